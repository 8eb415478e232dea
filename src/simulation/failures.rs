//! Failures in a run: the failure models' random processes and scripts, and
//! the control plane's reactions (detection, eviction, restarts, retries)
//! from the run's [`Reactions`] profile.
//!
//! A node that fails stops running its pods at once, but the control plane
//! learns of it only after its detection time: until then the node takes new
//! pods and its replicas stay endpoints that drop their share of the load.
//! Once the node is declared lost, its pods are evicted (at once, or after
//! their NoExecute toleration under Kubernetes) and replaced by their
//! controllers. Every model draws from its own random stream, so turning
//! failures on never changes the workload's draws.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use rand::Rng;

use super::{SimError, Simulation};
use crate::engine::{keyed_rng, stream_rng, EventId, FailureStream, SimRng, StreamId};
use crate::event::Event;
use crate::metrics::failures::{BatchSummary, FailureEvent, FailureTotals};
use crate::model::{NodeId, PodId, PodPhase};
use crate::policy::failure::{FailureConfig, NodeTarget, Reactions, RestartMode, RetryCount, ScriptAction, DRAIN_RETRY_INTERVAL};
use crate::scenario::Scenario;
use crate::time::{SimDuration, SimTime};

/// What holds a node down. A node comes back when its last cause ends, and
/// each cause ends only itself (a zone outage ending does not repair a node
/// that also failed on its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Cause {
    /// Its own failure under `[[failures.nodes]]` model `m`.
    Model(u16),
    /// The current outage of `[[failures.outages]]` model `m`.
    Outage(u32),
    /// `[[failures.script]]` entry `i`.
    Script(u32),
}

impl Cause {
    fn name(self) -> &'static str {
        match self {
            Cause::Model(_) => "failure",
            Cause::Outage(_) => "outage",
            Cause::Script(_) => "scripted",
        }
    }
}

/// One node's failure state.
#[derive(Clone, Debug, Default)]
struct NodeFailure {
    /// What holds it down; up when empty.
    causes: BTreeSet<Cause>,
    /// Its pending detection (`NodeLost`), while down and undetected.
    detection: Option<EventId>,
}

/// One batch job, for its retry limit: its first part's pods (numbered
/// consecutively), its failures, and whether it has failed.
#[derive(Clone, Copy, Debug)]
struct JobRecord {
    first: PodId,
    tasks: u32,
    failures: u32,
    failed: bool,
}

/// The failure models' state during a run.
pub(super) struct FailureRuntime {
    pub(super) reactions: Reactions,
    config: FailureConfig,
    seed: u64,
    outage_rngs: Vec<SimRng>,
    /// Per node (grown as nodes join).
    nodes: Vec<NodeFailure>,
    /// Per outage model: the nodes its current outage took down.
    outage_nodes: Vec<Vec<NodeId>>,
    /// Per script entry: the nodes it acted on, for its timed undo.
    script_nodes: Vec<Vec<NodeId>>,
    /// Consecutive failures of pods that failed, for their backoff.
    retries: BTreeMap<PodId, RetryCount>,
    /// Batch jobs by job number.
    jobs: Vec<JobRecord>,
    /// The later parts of trace jobs whose tasks arrive at several instants
    /// (first pod, pods), by job number: rare, so kept apart.
    later_parts: BTreeMap<u32, Vec<(PodId, u32)>>,
    pub(super) totals: FailureTotals,
    pub(super) log: Vec<FailureEvent>,
}

impl FailureRuntime {
    pub(super) fn new(scenario: &Scenario, reactions: Reactions, seed: u64) -> Self {
        let config = scenario.failures.clone();
        let rngs = |kind, n: usize| (0..n as u32).map(|i| stream_rng(seed, 0, StreamId::failure(kind, i))).collect();
        FailureRuntime {
            reactions,
            outage_rngs: rngs(FailureStream::Outages, config.outages.len()),
            seed,
            nodes: Vec::new(),
            outage_nodes: vec![Vec::new(); config.outages.len()],
            script_nodes: vec![Vec::new(); config.script.len()],
            retries: BTreeMap::new(),
            jobs: Vec::new(),
            later_parts: BTreeMap::new(),
            totals: FailureTotals {
                batch: scenario.batch.iter().map(|b| BatchSummary { workload: b.name.clone(), ..Default::default() }).collect(),
                ..Default::default()
            },
            log: Vec::new(),
            config,
        }
    }

    /// Records the pods of batch job `job` submitted at one instant (they are
    /// numbered consecutively): a new job, or a later part of a trace job
    /// whose tasks arrive at several instants.
    pub(super) fn job_submitted(&mut self, job: u32, first: PodId, tasks: u32) {
        if job as usize >= self.jobs.len() {
            self.jobs.push(JobRecord { first, tasks, failures: 0, failed: false });
        } else {
            self.later_parts.entry(job).or_default().push((first, tasks));
        }
    }

    /// Whether batch job `job` has failed (passed its retry limit): the Job
    /// controller creates no more pods for it.
    pub(super) fn job_failed(&self, job: u32) -> bool {
        self.jobs.get(job as usize).is_some_and(|j| j.failed)
    }

    fn note(&mut self, now: SimTime, kind: &'static str, target: impl Into<String>, detail: impl Into<String>) {
        self.log.push(FailureEvent { time_s: now.as_secs_f64(), kind: Cow::Borrowed(kind), target: target.into(), detail: detail.into() });
    }

    fn node(&mut self, node: NodeId) -> &mut NodeFailure {
        if self.nodes.len() <= node.index() {
            self.nodes.resize(node.index() + 1, NodeFailure::default());
        }
        &mut self.nodes[node.index()]
    }

    /// A draw from `dist` for `node` under model `m` of `kind` at `now`,
    /// keyed by them: a node's failures and repairs do not depend on how
    /// many other nodes joined before (which differs between policies).
    fn draw_for_node(&self, kind: FailureStream, m: usize, dist: &crate::scenario::dist::Dist, node: NodeId, now: SimTime) -> SimDuration {
        let mut rng = keyed_rng(self.seed, StreamId::failure(kind, m as u32), [node.0 as u64, now.as_micros(), 0]);
        SimDuration::from_micros(dist.sample(&mut rng))
    }

    /// Running time before the next crash of `pod`, which just started: the
    /// earliest of the applicable models' draws. Each draw is keyed by the
    /// pod's workload, job, task and restart count, so every policy sees the
    /// same crash for the same task (common random numbers).
    fn time_to_crash(&self, pod: &crate::model::Pod) -> Option<SimDuration> {
        let key = [pod.workload as u64, (pod.job as u64) << 32 | pod.task as u64, pod.restarts as u64];
        let mut earliest: Option<SimDuration> = None;
        for (m, model) in self.config.crashes.iter().enumerate() {
            if model.applies(pod.workload, pod.image) {
                let mut rng = keyed_rng(self.seed, StreamId::failure(FailureStream::Crashes, m as u32), key);
                let d = SimDuration::from_micros(model.time_to_crash.sample(&mut rng));
                earliest = Some(earliest.map_or(d, |e| e.min(d)));
            }
        }
        earliest
    }
}

impl Simulation {
    /// Schedules the failure models' first events and arms every node.
    pub(super) fn start_failures(&mut self) -> Result<(), SimError> {
        for n in 0..self.cluster.nodes.len() {
            self.arm_node(NodeId(n as u32), SimTime::ZERO)?;
        }
        for m in 0..self.failures.config.outages.len() {
            let first = self.failures.config.outages[m].time_between.sample(&mut self.failures.outage_rngs[m]);
            self.push(SimTime::ZERO + SimDuration::from_micros(first), Event::OutageStarted { model: m as u32 })?;
        }
        for i in 0..self.failures.config.script.len() {
            self.push(self.failures.config.script[i].at, Event::Scripted { index: i as u32 })?;
        }
        Ok(())
    }

    /// Starts the random failure processes and spot reclaim clock of a node
    /// that has just joined (or exists at time zero).
    pub(super) fn arm_node(&mut self, node: NodeId, now: SimTime) -> Result<(), SimError> {
        let group = self.cluster.node(node).group;
        let f = &self.failures;
        let mut due = Vec::new();
        for (m, model) in f.config.nodes.iter().enumerate() {
            if model.pools.is_empty() || model.pools.contains(&group) {
                let ttf = f.draw_for_node(FailureStream::Nodes, m, &model.time_to_failure, node, now);
                due.push((now + ttf, Event::NodeFailed { node, model: m as u16 }));
            }
        }
        for (m, model) in f.config.spot.iter().enumerate() {
            if model.pool == group {
                let ttr = f.draw_for_node(FailureStream::Spot, m, &model.time_to_reclaim, node, now);
                due.push((now + ttr, Event::SpotNotice { node }));
            }
        }
        for (at, event) in due {
            self.push(at, event)?;
        }
        Ok(())
    }

    /// A node of a random failure model fails; its repair is drawn.
    pub(super) fn node_failed(&mut self, node: NodeId, model: usize, now: SimTime) -> Result<(), SimError> {
        if self.cluster.node(node).removed {
            return Ok(());
        }
        self.take_down(node, now, Cause::Model(model as u16))?;
        let m = &self.failures.config.nodes[model];
        let ttr = self.failures.draw_for_node(FailureStream::Nodes, model, &m.time_to_repair, node, now);
        self.push(now + ttr, Event::NodeRepaired { node, model: model as u16 })?;
        Ok(())
    }

    /// A node of a random failure model is repaired; its next failure is drawn.
    pub(super) fn node_repaired(&mut self, node: NodeId, model: usize, now: SimTime) -> Result<(), SimError> {
        if self.cluster.node(node).removed {
            return Ok(());
        }
        self.bring_up(node, now, Some(Cause::Model(model as u16)))?;
        let m = &self.failures.config.nodes[model];
        let ttf = self.failures.draw_for_node(FailureStream::Nodes, model, &m.time_to_failure, node, now);
        self.push(now + ttf, Event::NodeFailed { node, model: model as u16 })?;
        Ok(())
    }

    /// A node goes down (one more cause). Its pods stop at once; the
    /// control plane declares it lost after the detection time.
    fn take_down(&mut self, node: NodeId, now: SimTime, cause: Cause) -> Result<(), SimError> {
        let causes = &mut self.failures.node(node).causes;
        let was_up = causes.is_empty();
        causes.insert(cause);
        if !was_up {
            return Ok(());
        }
        let n = self.cluster.node(node);
        let (ready, cordoned, name) = (n.ready, n.cordoned, n.name.clone());
        self.cluster.set_node_state(node, false, ready, cordoned, now);
        self.failures.totals.node_failures += 1;
        self.failures.note(now, "node-down", name, cause.name());
        let pods = self.cluster.pods_on(node).to_vec();
        for &pod in &pods {
            self.cancel_lifecycle(pod);
            if let Some(s) = self.service_of(pod) {
                if self.cluster.pod(pod).phase == PodPhase::Running {
                    self.services[s].stats.failure_hit(now);
                }
            }
        }
        self.refresh_services_of(&pods, now);
        let id = self.push(now + self.failures.reactions.detection, Event::NodeLost { node })?;
        self.failures.node(node).detection = Some(id);
        Ok(())
    }

    /// One cause of a node being down ends, or all of them (`None`, a
    /// scripted repair). When none is left, pods still bound to it start
    /// again where they are (kubelet restarts them after the reboot).
    fn bring_up(&mut self, node: NodeId, now: SimTime, cause: Option<Cause>) -> Result<(), SimError> {
        let causes = &mut self.failures.node(node).causes;
        if causes.is_empty() {
            return Ok(());
        }
        match cause {
            Some(c) => {
                causes.remove(&c);
            }
            None => causes.clear(),
        }
        if !causes.is_empty() {
            return Ok(());
        }
        if let Some(id) = self.failures.node(node).detection.take() {
            self.cancel(id);
        }
        let n = self.cluster.node(node);
        let (cordoned, name, since) = (n.cordoned, n.name.clone(), n.down_since.unwrap_or(now));
        self.failures.totals.node_down_us += now.saturating_since(since).as_micros() as u128;
        let pods = self.cluster.pods_on(node).to_vec();
        for &pod in &pods {
            if self.cluster.pod(pod).phase == PodPhase::Running {
                if let Some(w) = self.batch_class(pod) {
                    let b = &mut self.failures.totals.batch[w];
                    b.tasks_lost += 1;
                    b.tasks_retried += 1;
                }
            }
            self.abandon_work(pod, since);
        }
        let admits = self.cluster.set_node_state(node, true, true, cordoned, now);
        self.failures.note(now, "node-up", name, "");
        for &pod in &pods {
            self.cancel_lifecycle(pod);
            if self.cluster.pod(pod).phase == PodPhase::Running {
                self.cluster.restart(pod);
                self.failures.totals.restarts += 1;
            }
            let startup = self.cluster.pod(pod).startup;
            self.push_lifecycle(now + startup, Event::PodStarted { pod }, pod)?;
        }
        self.refresh_services_of(&pods, now);
        if admits {
            self.queue.move_all(now);
        }
        Ok(())
    }

    /// The control plane declares `node` lost: it takes no new pods, its
    /// replicas leave the endpoints, and its pods are evicted after their
    /// toleration (Kubernetes) or at once (the other families).
    pub(super) fn node_lost(&mut self, node: NodeId, now: SimTime) -> Result<(), SimError> {
        self.failures.node(node).detection = None;
        let n = self.cluster.node(node);
        if n.removed || n.up {
            return Ok(());
        }
        let (cordoned, name) = (n.cordoned, n.name.clone());
        self.cluster.set_node_state(node, false, false, cordoned, now);
        let detail = format!("after {}", self.failures.reactions.detection);
        self.failures.note(now, "node-lost", name, detail);
        let pods = self.cluster.pods_on(node).to_vec();
        self.refresh_services_of(&pods, now);
        for pod in pods {
            // A job failed by an earlier pod of this loop has ended its others.
            if !self.still_on(pod, node) {
                continue;
            }
            // A pod bound after the failure may still wait for its start.
            self.cancel_lifecycle(pod);
            match self.failures.reactions.eviction_delay(&self.cluster.pod(pod).tolerations) {
                None => {}
                Some(d) if d == SimDuration::ZERO => self.lose_pod(pod, now)?,
                Some(d) => self.push_lifecycle(now + d, Event::PodEvicted { pod }, pod)?,
            }
        }
        self.queue.move_all(now);
        Ok(())
    }

    /// The taint manager's eviction of a pod of a lost node.
    pub(super) fn pod_evicted(&mut self, pod: PodId, now: SimTime) -> Result<(), SimError> {
        self.pod_events[pod.index()] = None;
        self.lose_pod(pod, now)?;
        self.queue.move_all(now);
        Ok(())
    }

    /// A pod taken off a node that is lost (or reclaimed): its controller
    /// replaces it.
    fn lose_pod(&mut self, pod: PodId, now: SimTime) -> Result<(), SimError> {
        let p = self.cluster.pod(pod);
        let (node, workload) = (p.node.expect("pods of a lost node are bound"), p.workload as usize);
        let n = self.cluster.node(node);
        let (until, detail) = (n.down_since.unwrap_or(now), format!("{}: node {} lost", self.workload_names[workload], n.name));
        self.failures.totals.pods_lost += 1;
        self.abandon_work(pod, until);
        self.failures.note(now, "pod-evicted", pod_name(pod), detail);
        self.replace_failed(pod, now)
    }

    /// A running pod's container crashes (or is OOM-killed).
    pub(super) fn pod_crashed(&mut self, pod: PodId, now: SimTime) -> Result<(), SimError> {
        self.pod_events[pod.index()] = None;
        let oom = self.is_oom(pod);
        let t = &mut self.failures.totals;
        t.crashes += 1;
        t.oom_kills += oom as u64;
        self.abandon_work(pod, now);
        let p = self.cluster.pod(pod);
        let detail = self.workload_names[p.workload as usize].clone();
        self.failures.note(now, if oom { "oom-kill" } else { "crash" }, pod_name(pod), detail);
        if let Some(s) = self.service_of(pod) {
            self.services[s].stats.failure_hit(now);
        }
        if self.failures.reactions.restart == RestartMode::Reschedule {
            self.replace_failed(pod, now)?;
            self.queue.move_all(now);
            return Ok(());
        }
        if self.service_of(pod).is_none() && self.job_failure(pod, now) {
            return Ok(());
        }
        // kubelet restarts the container in place after CrashLoopBackOff.
        if let Some(w) = self.batch_class(pod) {
            self.failures.totals.batch[w].tasks_retried += 1;
        }
        let r = self.failures.reactions;
        let delay = self.failures.retries.entry(pod).or_default().next_delay(&r.restart_backoff, now);
        self.cluster.restart(pod);
        self.failures.totals.restarts += 1;
        let startup = self.cluster.pod(pod).startup;
        self.push_lifecycle(now + delay + startup, Event::PodStarted { pod }, pod)?;
        self.service_pod_changed(pod, now);
        Ok(())
    }

    /// Whether a pod's modelled memory use is over its limit: services use
    /// `memory_utilization` × their request.
    fn is_oom(&self, pod: PodId) -> bool {
        let p = self.cluster.pod(pod);
        self.service_of(pod).is_some_and(|s| {
            let used = self.services[s].spec.memory_utilization * p.requests.memory_bytes as f64;
            p.limits.memory_bytes > 0 && used > p.limits.memory_bytes as f64
        })
    }

    /// Replaces a pod killed by a failure, as its controller does: Kubernetes
    /// recreates a Service's pod at once and a Job's pod after the Job
    /// backoff (up to its `backoffLimit`); the other families start a new
    /// task after their restart delay. The caller retries the waiting pods
    /// once for all the room freed (`queue.move_all`).
    fn replace_failed(&mut self, pod: PodId, now: SimTime) -> Result<(), SimError> {
        let r = self.failures.reactions;
        let service = self.service_of(pod);
        if let Some(s) = service {
            if r.restart == RestartMode::InPlace {
                // The ReplicaSet's new pod replaces it.
                self.failures.totals.restarts += 1;
                self.delete_pod(pod, now);
                self.reconcile(s, now);
                return Ok(());
            }
        } else if self.job_failure(pod, now) {
            return Ok(());
        }
        let delay = match (service, r.restart) {
            (None, RestartMode::InPlace) => {
                let failures = self.failures.jobs.get(self.cluster.pod(pod).job as usize).map_or(1, |j| j.failures);
                r.batch_backoff.delay(failures.saturating_sub(1))
            }
            (None, RestartMode::Reschedule) => self.failures.retries.entry(pod).or_default().next_delay(&r.batch_backoff, now),
            (Some(_), _) => self.failures.retries.entry(pod).or_default().next_delay(&r.restart_backoff, now),
        };
        if let Some(w) = self.batch_class(pod) {
            self.failures.totals.batch[w].tasks_retried += 1;
        }
        self.cancel_lifecycle(pod);
        self.cluster.unbind(pod, now);
        self.cluster.pods[pod.index()].restarts += 1;
        self.failures.totals.restarts += 1;
        self.service_pod_changed(pod, now);
        if delay == SimDuration::ZERO {
            self.enqueue(pod, now);
        } else {
            self.push_lifecycle(now + delay, Event::PodRequeued { pod }, pod)?;
        }
        Ok(())
    }

    /// A failed pod's replacement is created.
    pub(super) fn pod_requeued(&mut self, pod: PodId, now: SimTime) {
        self.pod_events[pod.index()] = None;
        if self.cluster.pod(pod).phase == PodPhase::Pending {
            self.enqueue(pod, now);
        }
    }

    /// Counts a batch pod's failure against its job's retry limit; when the
    /// limit is passed the job fails (`BackoffLimitExceeded`): the pod is
    /// marked Failed and the job's other unfinished pods are deleted.
    /// Returns whether the job failed.
    fn job_failure(&mut self, pod: PodId, now: SimTime) -> bool {
        let p = self.cluster.pod(pod);
        let (job, w) = (p.job as usize, p.workload as usize);
        self.failures.totals.batch[w].tasks_lost += 1;
        let Some(limit) = self.failures.reactions.batch_retry_limit else { return false };
        let Some(rec) = self.failures.jobs.get_mut(job) else { return false };
        rec.failures += 1;
        if rec.failures <= limit {
            return false;
        }
        rec.failed = true;
        let rec = *rec;
        self.failures.totals.batch[w].jobs_failed += 1;
        self.failures.note(now, "job-failed", format!("job-{job}"), format!("{} failures, backoffLimit {limit}", rec.failures));
        let later = self.failures.later_parts.get(&(job as u32)).cloned().unwrap_or_default();
        for (first, tasks) in std::iter::once((rec.first, rec.tasks)).chain(later) {
            for i in 0..tasks {
                let other = PodId(first.0 + i);
                if !self.cluster.pod(other).phase.is_final() {
                    let phase = if other == pod { PodPhase::Failed } else { PodPhase::Terminated };
                    self.end_pod(other, phase, now);
                }
            }
        }
        self.queue.move_all(now);
        true
    }

    /// The batch class of a pod, `None` for a service replica.
    fn batch_class(&self, pod: PodId) -> Option<usize> {
        let w = self.cluster.pod(pod).workload as usize;
        (w < self.workloads.len()).then_some(w)
    }

    /// Adds the CPU-seconds a batch pod had run (up to `until`) to the work
    /// lost to failures. Every caller then restarts, re-queues or ends the
    /// pod, which clears its start, so nothing is counted twice.
    fn abandon_work(&mut self, pod: PodId, until: SimTime) {
        if let Some(w) = self.batch_class(pod) {
            self.failures.totals.batch[w].lost_cpu_seconds += self.cluster.pod(pod).cpu_seconds_run(until);
        }
    }

    /// Whether `pod` is still bound to `node` and not finished.
    fn still_on(&self, pod: PodId, node: NodeId) -> bool {
        let p = self.cluster.pod(pod);
        !p.phase.is_final() && p.node == Some(node)
    }

    /// Cancels a pod's pending lifecycle event, if any.
    fn cancel_lifecycle(&mut self, pod: PodId) {
        if let Some(id) = self.pod_events[pod.index()].take() {
            self.cancel(id);
        }
    }

    /// Re-balances the services that own any of `pods`.
    fn refresh_services_of(&mut self, pods: &[PodId], now: SimTime) {
        let services: BTreeSet<usize> = pods.iter().filter_map(|&p| self.service_of(p)).collect();
        for s in services {
            self.services[s].refresh(now, &self.cluster);
        }
    }

    /// Cordons or uncordons a node.
    fn set_cordon(&mut self, node: NodeId, cordoned: bool, now: SimTime) {
        let n = self.cluster.node(node);
        if n.cordoned == cordoned || n.removed {
            return;
        }
        let (up, ready, name) = (n.up, n.ready, n.name.clone());
        if self.cluster.set_node_state(node, up, ready, cordoned, now) {
            self.queue.move_all(now);
        }
        self.failures.note(now, if cordoned { "cordon" } else { "uncordon" }, name, "");
    }

    /// `kubectl drain`: cordons the node and evicts its pods through the
    /// Eviction API, which refuses while a pod's disruption budget allows no
    /// disruption; refused evictions are retried every 5 s.
    pub(super) fn drain(&mut self, node: NodeId, now: SimTime) -> Result<(), SimError> {
        if self.cluster.node(node).removed {
            return Ok(());
        }
        self.set_cordon(node, true, now);
        let mut blocked = false;
        for pod in self.cluster.pods_on(node).to_vec() {
            if self.cluster.disruptions_allowed(self.cluster.pod(pod).workload).is_some_and(|a| a <= 0) {
                blocked = true;
                continue;
            }
            self.failures.totals.evictions += 1;
            match self.service_of(pod) {
                Some(s) => {
                    self.delete_pod(pod, now);
                    self.reconcile(s, now);
                }
                None => {
                    let until = self.cluster.node(node).down_since.unwrap_or(now);
                    self.abandon_work(pod, until);
                    self.cancel_lifecycle(pod);
                    self.cluster.unbind(pod, now);
                    self.enqueue(pod, now);
                }
            }
        }
        self.queue.move_all(now);
        if blocked {
            self.push(now + DRAIN_RETRY_INTERVAL, Event::DrainRetry { node })?;
        }
        Ok(())
    }

    /// A drain retries: only while the node is still cordoned.
    pub(super) fn drain_retry(&mut self, node: NodeId, now: SimTime) -> Result<(), SimError> {
        if self.cluster.node(node).cordoned {
            self.drain(node, now)?;
        }
        Ok(())
    }

    /// Nodes in service that `target` names.
    fn resolve(&self, target: &NodeTarget) -> Vec<NodeId> {
        self.cluster
            .live_nodes()
            .filter(|(_, n)| match target {
                NodeTarget::Node(name) => n.name == *name,
                NodeTarget::Label { key, value } => n.labels.get(key) == Some(value),
                NodeTarget::Pool(g) => n.group == *g,
            })
            .map(|(id, _)| id)
            .collect()
    }

    /// A scripted event.
    pub(super) fn scripted(&mut self, index: usize, now: SimTime) -> Result<(), SimError> {
        let ev = self.failures.config.script[index].clone();
        let nodes = if matches!(ev.action, ScriptAction::Add(_)) { Vec::new() } else { self.resolve(&ev.target) };
        if nodes.is_empty() && !matches!(ev.action, ScriptAction::Add(_)) {
            // The named nodes may all have been scaled away: say so rather
            // than do nothing silently.
            self.failures.note(now, "script-no-match", ev.target.to_string(), ev.action.name());
        }
        for &node in &nodes {
            match ev.action {
                ScriptAction::Fail => self.take_down(node, now, Cause::Script(index as u32))?,
                ScriptAction::Repair => self.bring_up(node, now, None)?,
                ScriptAction::Drain => self.drain(node, now)?,
                ScriptAction::Cordon => self.set_cordon(node, true, now),
                ScriptAction::Uncordon => self.set_cordon(node, false, now),
                ScriptAction::Add(_) => {}
            }
        }
        if let (ScriptAction::Add(count), NodeTarget::Pool(pool)) = (ev.action, &ev.target) {
            for _ in 0..count {
                let node = self.join_node(*pool as usize, now);
                self.arm_node(node, now)?;
            }
            self.failures.note(now, "nodes-added", self.pools[*pool as usize].group.name.clone(), format!("{count} nodes"));
        }
        if let Some(d) = ev.duration {
            self.failures.script_nodes[index] = nodes;
            self.push(now + d, Event::ScriptUndone { index: index as u32 })?;
        }
        Ok(())
    }

    /// The timed effect of a scripted event ends.
    pub(super) fn script_undone(&mut self, index: usize, now: SimTime) -> Result<(), SimError> {
        let action = self.failures.config.script[index].action;
        for node in std::mem::take(&mut self.failures.script_nodes[index]) {
            if self.cluster.node(node).removed {
                continue;
            }
            match action {
                ScriptAction::Fail => self.bring_up(node, now, Some(Cause::Script(index as u32)))?,
                ScriptAction::Cordon | ScriptAction::Drain => self.set_cordon(node, false, now),
                _ => {}
            }
        }
        Ok(())
    }

    /// An outage starts: every node in service with the model's label value
    /// (or a value drawn among those on nodes in service) goes down.
    pub(super) fn outage_started(&mut self, model: usize, now: SimTime) -> Result<(), SimError> {
        let m = &self.failures.config.outages[model];
        let label = m.label.clone();
        let value = match &m.value {
            Some(v) => Some(v.clone()),
            None => {
                let values: BTreeSet<&String> = self.cluster.live_nodes().filter_map(|(_, n)| n.labels.get(&label)).collect();
                let k = if values.is_empty() { 0 } else { self.failures.outage_rngs[model].random_range(0..values.len()) };
                values.into_iter().nth(k).cloned()
            }
        };
        let m = &self.failures.config.outages[model];
        let length = SimDuration::from_micros(m.duration.sample(&mut self.failures.outage_rngs[model]));
        if let Some(value) = value {
            let nodes = self.resolve(&NodeTarget::Label { key: label.clone(), value: value.clone() });
            self.failures.note(now, "outage", format!("{label}={value}"), format!("{} nodes for {length}", nodes.len()));
            for &node in &nodes {
                self.take_down(node, now, Cause::Outage(model as u32))?;
            }
            self.failures.outage_nodes[model] = nodes;
        }
        self.push(now + length, Event::OutageEnded { model: model as u32 })?;
        Ok(())
    }

    /// The outage of `model` ends; the next is drawn.
    pub(super) fn outage_ended(&mut self, model: usize, now: SimTime) -> Result<(), SimError> {
        let nodes = std::mem::take(&mut self.failures.outage_nodes[model]);
        self.failures.note(now, "outage-end", self.failures.config.outages[model].label.clone(), format!("{} nodes", nodes.len()));
        for node in nodes {
            if !self.cluster.node(node).removed {
                self.bring_up(node, now, Some(Cause::Outage(model as u32)))?;
            }
        }
        let m = &self.failures.config.outages[model];
        let next = SimDuration::from_micros(m.time_between.sample(&mut self.failures.outage_rngs[model]));
        self.push(now + next, Event::OutageStarted { model: model as u32 })?;
        Ok(())
    }

    /// A spot node's reclaim notice: the node is cordoned and drained (a
    /// termination handler's work) and taken back when the notice runs out.
    pub(super) fn spot_notice(&mut self, node: NodeId, now: SimTime) -> Result<(), SimError> {
        if self.cluster.node(node).removed {
            return Ok(());
        }
        self.failures.note(
            now,
            "spot-notice",
            self.cluster.node(node).name.clone(),
            format!("reclaimed in {}", self.failures.reactions.spot_notice),
        );
        self.drain(node, now)?;
        self.push(now + self.failures.reactions.spot_notice, Event::SpotReclaimed { node })?;
        Ok(())
    }

    /// The provider takes a spot node back: pods still on it are lost at once
    /// (the node object goes, so nothing waits for a detection), and the
    /// group replaces the node if it does so.
    pub(super) fn spot_reclaimed(&mut self, node: NodeId, now: SimTime) -> Result<(), SimError> {
        if self.cluster.node(node).removed {
            return Ok(());
        }
        let pods = self.cluster.pods_on(node).to_vec();
        for &pod in &pods {
            if !self.still_on(pod, node) {
                continue;
            }
            if let (Some(s), PodPhase::Running) = (self.service_of(pod), self.cluster.pod(pod).phase) {
                self.services[s].stats.failure_hit(now);
            }
            self.cancel_lifecycle(pod);
            self.lose_pod(pod, now)?;
        }
        self.queue.move_all(now);
        let group = self.cluster.node(node).group as usize;
        self.failures.note(now, "spot-reclaim", self.cluster.node(node).name.clone(), format!("{} pods lost", pods.len()));
        self.retire_node(node, "spot reclaim", "spot", now);
        let replace = self.failures.config.spot.iter().any(|m| m.pool as usize == group && m.replace);
        let p = &self.pools[group];
        if replace && p.live + p.provisioning < p.group.max {
            self.provision(group, 1, "replace reclaimed spot node", "spot", now)?;
        } else if replace {
            // Scripted `add`s took the pool to its maximum.
            let detail = format!("not replaced: the pool is at its max of {}", p.group.max);
            self.failures.note(now, "spot-reclaim", p.group.name.clone(), detail);
        }
        Ok(())
    }

    /// When a pod that just started crashes, if it does.
    pub(super) fn crash_after(&mut self, pod: PodId) -> Option<SimDuration> {
        if self.is_oom(pod) {
            return Some(SimDuration::ZERO);
        }
        self.failures.time_to_crash(self.cluster.pod(pod))
    }

    /// Node-seconds down so far at `now`.
    pub(super) fn node_downtime_s(&self, now: SimTime) -> f64 {
        self.failures.totals.downtime_s(now, self.cluster.live_nodes().filter_map(|(_, n)| n.down_since))
    }
}

/// A pod's name in the failure log: `pod-<index>`, its row in `pods.csv`.
fn pod_name(pod: PodId) -> String {
    format!("pod-{}", pod.0)
}
