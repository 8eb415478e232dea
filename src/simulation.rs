//! One simulation run: the world (cluster, workloads, scheduling queue,
//! policies) driven by the event engine.
//!
//! ```no_run
//! use orchsim::{Scenario, Simulation, metrics::NoPodLog};
//! let scenario = Scenario::quickstart();
//! let mut sim = Simulation::new(&scenario, scenario.seed);
//! let output = sim.run(&mut NoPodLog).unwrap();
//! println!("mean CPU allocated: {:.3}", output.summary.mean_cpu_allocated);
//! ```

mod failures;
mod node_scaling;
mod services;

use std::collections::BTreeMap;
use std::sync::Arc;

use rand::Rng;

use crate::engine::{stream_rng, EventId, EventQueue, ScheduleError, StreamId};
use crate::event::Event;
use crate::explain::{Candidate, Decision, DecisionLog};
use crate::metrics::failures::{BatchSummary, FailureEvent};
use crate::metrics::services::{ScalingEvent, ServiceSample, ServiceSummary};
use crate::metrics::{Collector, PodLog, PodRecord, PoolSample, Sample, ScalingTotals, Summary};
use crate::model::cluster::Cluster;
use crate::model::workload::{BatchWorkload, JobSource, WorkloadStreams};
use crate::model::{ImageId, Node, NodeId, Pod, PodId, PodPhase, PodTemplate, Resources, UnsetRequests};
use crate::policy::autoscaler::{NodeAction, NodeAutoscaler};
use crate::policy::failure::Reactions;
use crate::policy::scheduler::offers::PendingTasks;
use crate::policy::scheduler::{filter, ClusterView, Placement, Scheduler};
use crate::scenario::{Scenario, MAX_HORIZON};
use crate::scheduling_queue::{QueueTimings, SchedulingQueue};
use crate::time::{SimDuration, SimTime};
use crate::trace::keeps_job;
use failures::FailureRuntime;

use node_scaling::PoolRuntime;
use services::ServiceRuntime;

/// What can go wrong during a run. Input errors are caught by scenario
/// validation; these are policy or engine bugs, reported instead of panicking.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The engine refused an event. Its message is the engine's (a cause
    /// in both the message and the source chain would be printed twice).
    #[error(transparent)]
    Engine(#[from] ScheduleError),
    /// A scheduler returned an impossible decision.
    #[error("scheduler `{policy}` bound pod {pod} to node {node}, which {why}")]
    BadPlacement {
        /// The policy.
        policy: &'static str,
        /// The pod index.
        pod: u32,
        /// The node index or name.
        node: String,
        /// What is wrong.
        why: &'static str,
    },
    /// A node autoscaler asked for something impossible.
    #[error("node autoscaler `{policy}` {why}")]
    BadScaling {
        /// The policy.
        policy: &'static str,
        /// What it asked.
        why: String,
    },
}

/// The result of a run.
#[derive(Clone, Debug)]
pub struct RunOutput {
    /// One-row summary.
    pub summary: Summary,
    /// Periodic samples.
    pub samples: Vec<Sample>,
    /// The pending-time distribution: q-quantiles in seconds for q = 0, 0.01,
    /// …, 1 (see [`pending_quantiles`](crate::metrics::pending_quantiles)).
    pub pending_quantiles: Vec<f64>,
    /// Whether a run without a fixed duration was cut at [`MAX_HORIZON`] with
    /// work still scheduled (heavy-tailed durations, say).
    pub stopped_at_horizon: bool,
    /// The interval between the samples as written: the scenario's, or a
    /// power-of-two multiple of it in a run without a fixed duration that
    /// went on long enough to be thinned (see [`OPEN_ENDED_SAMPLE_BUDGET`]).
    pub sample_interval: SimDuration,
    /// Per-service samples, at the same times as `samples`.
    pub services: Vec<ServiceSample>,
    /// Per-service summaries.
    pub service_summaries: Vec<ServiceSummary>,
    /// Per node pool, at the same times as `samples`: runs with a node
    /// autoscaler only (empty otherwise).
    pub pools: Vec<PoolSample>,
    /// Replica and node scaling decisions, in time order.
    pub scaling_events: Vec<ScalingEvent>,
    /// Failures and the reactions to them, in time order.
    pub failure_events: Vec<FailureEvent>,
    /// Per batch class: what failures cost it.
    pub batch_summaries: Vec<BatchSummary>,
}

/// Most sample times a run without a fixed duration keeps (plus one). Such a
/// run lasts as long as its work, up to the 366-day horizon, so its length is
/// unknown when it starts: each time the budget fills, every other sample is
/// dropped and the interval doubles, keeping the series uniform and its size
/// bounded (100,001 rows at most, about 10 MB of `timeseries.csv`) however
/// long the run. A run with a `duration` keeps its interval: its sample count
/// is known, and validation bounds it.
pub const OPEN_ENDED_SAMPLE_BUDGET: usize = 100_000;

/// A run in progress. Build with [`Simulation::new`], then [`run`](Self::run)
/// it, or [`step`](Self::step) through it to inspect the state between events.
pub struct Simulation {
    scenario_name: String,
    seed: u64,
    /// `[simulation] load`: arrival times are divided by it.
    load: f64,
    end: Option<SimTime>,
    sample_interval: SimDuration,
    workloads: Vec<BatchWorkload>,
    streams: Vec<WorkloadStreams>,
    jobs_left: Vec<Option<u64>>,
    /// Per replayed trace class: the index of its next task.
    trace_next: Vec<usize>,
    /// Per replayed trace class: the trace jobs submitted so far, by trace
    /// job id, with their job number, next task index and image, so a job
    /// whose tasks arrive at several instants stays one job.
    trace_jobs: Vec<BTreeMap<u64, (u32, u32, ImageId)>>,
    arrivals_scheduled: usize,
    events: EventQueue<Event>,
    state_events: usize,
    cluster: Cluster,
    queue: SchedulingQueue,
    scheduler: Box<dyn Scheduler>,
    cycle_scheduled: bool,
    backoff_tick_scheduled: bool,
    unschedulable_tick_scheduled: bool,
    metrics: Collector,
    events_processed: u64,
    last_state_change: SimTime,
    done: bool,
    /// Reused buffer for explanations.
    candidates: Vec<Candidate>,
    /// Each pod's pending start or finish event, for cancellation on preemption.
    pod_events: Vec<Option<EventId>>,
    /// Offer-based policies: the allocation interval. Pending pods then wait
    /// in `pending` (the frameworks' queues) instead of the scheduling queue.
    allocation_interval: Option<SimDuration>,
    pending: PendingTasks,
    /// (cluster version, pods pending) when the offer policy reported idle:
    /// no cycle is run again until one of them changes.
    offers_idle_at: Option<(u64, usize)>,
    /// Reused buffer of an allocation cycle's launches.
    launched: Vec<(PodId, NodeId)>,
    /// Names of the workloads: batch classes, then services.
    workload_names: Vec<String>,
    services: Vec<ServiceRuntime>,
    pools: Vec<PoolRuntime>,
    node_autoscaler: Option<Box<dyn NodeAutoscaler>>,
    node_actions: Vec<NodeAction>,
    max_provision_time: SimDuration,
    scaling_events: Vec<ScalingEvent>,
    service_samples: Vec<ServiceSample>,
    pool_samples: Vec<PoolSample>,
    /// Pods deleted during the current event, for the pod log.
    to_log: Vec<PodId>,
    failures: FailureRuntime,
}

/// Builds the nodes of every node group: `name-i`, zones round-robin, labels
/// `topology.kubernetes.io/zone`, `kubernetes.io/hostname` and
/// `orchsim.io/node-group` added to the group's own.
fn build_nodes(scenario: &Scenario) -> Vec<Node> {
    let mut nodes = Vec::with_capacity(scenario.node_count() as usize);
    for (gi, g) in scenario.node_groups.iter().enumerate() {
        nodes.extend((0..g.count).map(|k| g.node(gi as u32, k, scenario.images.len(), SimTime::ZERO)));
    }
    nodes
}

impl Simulation {
    /// Sets up a run of `scenario` with master seed `seed`.
    pub fn new(scenario: &Scenario, seed: u64) -> Simulation {
        Self::with_policy(scenario, seed, scenario.scheduler.build(stream_rng(seed, 0, StreamId::SCHEDULER)))
    }

    /// Sets up a run with a scheduler of your own (see the README's "Write your
    /// own scheduler").
    pub fn with_policy(scenario: &Scenario, seed: u64, mut scheduler: Box<dyn Scheduler>) -> Simulation {
        let allocation_interval = scheduler.offers().map(|o| o.allocation_interval());
        let reactions = Reactions::resolve(scheduler.name(), &scenario.failures.reactions);
        let mut cluster = Cluster::new(build_nodes(scenario), scenario.images.clone());
        let budgets = scenario.batch.iter().map(|b| b.disruption_budget).chain(scenario.services.iter().map(|s| s.spec.disruption_budget));
        cluster.set_disruption_budgets(budgets.collect());
        for (i, s) in scenario.services.iter().enumerate() {
            cluster.set_scale(scenario.batch.len() as u32 + i as u32, s.spec.replicas);
        }
        let batch_len = scenario.batch.len() as u32;
        let services = scenario
            .services
            .iter()
            .enumerate()
            .map(|(i, s)| ServiceRuntime::new(s, i as u32, batch_len + i as u32, seed, scenario.load))
            .collect();
        let streams = (0..scenario.batch.len() as u32).map(|i| WorkloadStreams::new(seed, 0, i)).collect();
        let mut sim = Simulation {
            scenario_name: scenario.name.clone(),
            seed,
            load: scenario.load,
            end: scenario.duration.map(|d| SimTime::ZERO + d),
            sample_interval: scenario.sample_interval,
            workloads: scenario.batch.clone(),
            streams,
            jobs_left: scenario.batch.iter().map(|b| if let JobSource::Drawn(d) = &b.source { d.jobs } else { None }).collect(),
            trace_next: vec![0; scenario.batch.len()],
            trace_jobs: vec![BTreeMap::new(); scenario.batch.len()],
            arrivals_scheduled: 0,
            events: EventQueue::with_capacity(1024),
            state_events: 0,
            cluster,
            queue: SchedulingQueue::new(QueueTimings::default(), scheduler.queue_sort()),
            scheduler,
            cycle_scheduled: false,
            backoff_tick_scheduled: false,
            unschedulable_tick_scheduled: false,
            metrics: Collector::default(),
            events_processed: 0,
            last_state_change: SimTime::ZERO,
            done: false,
            candidates: Vec::new(),
            pod_events: Vec::new(),
            allocation_interval,
            pending: PendingTasks::default(),
            offers_idle_at: None,
            launched: Vec::new(),
            workload_names: scenario
                .batch
                .iter()
                .map(|b| b.name.clone())
                .chain(scenario.services.iter().map(|s| s.spec.name.clone()))
                .collect(),
            services,
            pools: (0..scenario.node_groups.len()).map(|gi| PoolRuntime::new(scenario, gi, seed)).collect(),
            node_autoscaler: scenario.node_autoscaler.as_ref().map(|(c, _)| c.build(stream_rng(seed, 0, StreamId::autoscaler(u32::MAX)))),
            node_actions: Vec::new(),
            // Without a node autoscaler nothing gives up on a provisioning (a spot
            // group replacing a reclaimed node).
            max_provision_time: scenario.node_autoscaler.as_ref().map_or(MAX_HORIZON, |(_, t)| *t),
            scaling_events: Vec::new(),
            service_samples: Vec::new(),
            pool_samples: Vec::new(),
            to_log: Vec::new(),
            failures: FailureRuntime::new(scenario, reactions, seed),
        };
        for (i, w) in scenario.batch.iter().enumerate() {
            let first = match &w.source {
                JobSource::Drawn(d) => (d.jobs != Some(0) && d.until.is_none_or(|u| d.start <= u)).then_some(d.start),
                JobSource::Trace(t) => t.replay.tasks.first().map(|task| task.at.at_load(scenario.load)),
            };
            if let Some(at) = first {
                sim.push(at, Event::JobArrival { workload: i as u32 }).expect("time zero is never in the past");
            }
        }
        sim.push(SimTime::ZERO, Event::Sample).expect("time zero is never in the past");
        sim.start_services().expect("time zero is never in the past");
        sim.start_node_autoscaler().expect("time zero is never in the past");
        sim.start_failures().expect("failure events are never in the past");
        sim
    }

    /// The cluster as it stands.
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.events.now()
    }

    /// Whether the run has ended.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The last instant simulated: the scenario's duration, or the horizon.
    fn limit(&self) -> SimTime {
        self.end.unwrap_or(SimTime::ZERO + MAX_HORIZON)
    }

    fn push(&mut self, at: SimTime, event: Event) -> Result<EventId, ScheduleError> {
        if event.changes_state() {
            self.state_events += 1;
        }
        if matches!(event, Event::JobArrival { .. }) {
            self.arrivals_scheduled += 1;
        }
        self.events.schedule(at, event.phase(), event)
    }

    /// Cancels a pending state-changing event.
    fn cancel(&mut self, id: EventId) {
        self.events.cancel(id);
        self.state_events -= 1;
    }

    /// Schedules `pod`'s next lifecycle event (start, finish, crash, eviction
    /// or re-queue), remembered so that a preemption or failure can cancel it.
    fn push_lifecycle(&mut self, at: SimTime, event: Event, pod: PodId) -> Result<(), ScheduleError> {
        debug_assert!(self.pod_events[pod.index()].is_none(), "pod {} already has a pending lifecycle event", pod.0);
        let id = self.push(at, event)?;
        self.pod_events[pod.index()] = Some(id);
        Ok(())
    }

    /// Puts a pod that needs a node (new or preempted) where the policy looks
    /// for work: the scheduling queue, or its framework's queue.
    fn enqueue(&mut self, pod: PodId, now: SimTime) {
        let p = self.cluster.pod(pod);
        if self.allocation_interval.is_some() {
            self.pending.push(p.workload, pod);
        } else {
            self.queue.add(pod, p.priority, p.job, now);
        }
    }

    fn ensure_cycle(&mut self, now: SimTime) -> Result<(), ScheduleError> {
        if let Some(interval) = self.allocation_interval {
            // Allocation runs on the interval's ticks while pods wait, unless
            // the policy found nothing to do and nothing changed since.
            let state = (self.cluster.version(), self.pending.len());
            if !self.cycle_scheduled && !self.pending.is_empty() && self.offers_idle_at != Some(state) {
                self.cycle_scheduled = true;
                self.push(now.next_multiple_of(interval), Event::SchedulingCycle)?;
            }
            return Ok(());
        }
        if !self.cycle_scheduled && self.queue.active_len() > 0 {
            self.cycle_scheduled = true;
            self.push(now, Event::SchedulingCycle)?;
        }
        if !self.backoff_tick_scheduled && self.queue.backoff_len() > 0 {
            self.backoff_tick_scheduled = true;
            self.push(now.next_multiple_of(self.queue.timings().backoff_flush_interval), Event::BackoffFlush)?;
        }
        if !self.unschedulable_tick_scheduled && self.queue.unschedulable_len() > 0 {
            self.unschedulable_tick_scheduled = true;
            self.push(now.next_multiple_of(self.queue.timings().unschedulable_flush_interval), Event::UnschedulableFlush)?;
        }
        Ok(())
    }

    /// Whether nothing can happen any more: no arrivals or state changes are
    /// scheduled and no pod is ready to be tried. Pods left unschedulable then
    /// stay pending forever (the cluster can no longer change).
    fn quiescent(&self) -> bool {
        self.arrivals_scheduled == 0
            && self.state_events == 0
            && self.queue.active_len() == 0
            && self.queue.backoff_len() == 0
            && !self.cycle_scheduled
    }

    /// Processes the next event. Returns `Ok(false)` once the run has ended.
    pub fn step(&mut self, log: &mut dyn PodLog) -> Result<bool, SimError> {
        self.step_explained(log, &mut None)
    }

    /// [`step`](Self::step), recording scheduling decisions in `explain` (a log
    /// and how many top candidates to keep) when given.
    fn step_explained(&mut self, log: &mut dyn PodLog, explain: &mut Option<(&mut dyn DecisionLog, usize)>) -> Result<bool, SimError> {
        if self.done {
            return Ok(false);
        }
        let Some((now, event)) = self.events.pop_until(self.limit()) else {
            self.done = true;
            return Ok(false);
        };
        self.events_processed += 1;
        self.metrics.advance(now, &self.cluster);
        if event.changes_state() {
            self.state_events -= 1;
            self.last_state_change = now;
        }
        match event {
            Event::JobArrival { workload } => self.job_arrival(workload as usize, now)?,
            Event::ImagePulled { node, image } => self.cluster.image_pulled(node, ImageId(image as u32)),
            Event::PodStarted { pod } => self.pod_started(pod, now)?,
            Event::PodFinished { pod } => self.pod_finished(pod, now, log)?,
            Event::BackoffFlush => {
                self.backoff_tick_scheduled = false;
                self.queue.flush_backoff(now);
            }
            Event::UnschedulableFlush => {
                self.unschedulable_tick_scheduled = false;
                self.queue.flush_unschedulable_timeout(now);
            }
            Event::SchedulingCycle if self.allocation_interval.is_some() => self.allocation_cycle(now, explain)?,
            Event::SchedulingCycle => self.scheduling_cycle(now, explain)?,
            Event::Sample => {
                self.sample(now);
                if self.end.is_none() && self.metrics.sample_count() > OPEN_ENDED_SAMPLE_BUDGET {
                    self.thin_samples();
                }
                self.push(now + self.sample_interval, Event::Sample)?;
            }
            Event::LoadTick { service } => self.load_tick(service as usize, now)?,
            Event::MetricsScrape => self.scrape(now)?,
            Event::AutoscalerSync { service } => self.autoscaler_sync(service as usize, now)?,
            Event::VpaUpdate { service } => self.vpa_update(service as usize, now)?,
            Event::NodeScan => self.node_scan(now)?,
            Event::NodeJoined { pool } => self.node_joined(pool as usize, now)?,
            Event::ProvisionFailed { pool } => self.provision_failed(pool as usize, now),
            Event::NodeFailed { node, model } => self.node_failed(node, model as usize, now)?,
            Event::NodeRepaired { node, model } => self.node_repaired(node, model as usize, now)?,
            Event::NodeLost { node } => self.node_lost(node, now)?,
            Event::OutageStarted { model } => self.outage_started(model as usize, now)?,
            Event::OutageEnded { model } => self.outage_ended(model as usize, now)?,
            Event::Scripted { index } => self.scripted(index as usize, now)?,
            Event::ScriptUndone { index } => self.script_undone(index as usize, now)?,
            Event::PodCrashed { pod } => self.pod_crashed(pod, now)?,
            Event::PodEvicted { pod } => self.pod_evicted(pod, now)?,
            Event::PodRequeued { pod } => self.pod_requeued(pod, now),
            Event::DrainRetry { node } => self.drain_retry(node, now)?,
            Event::SpotNotice { node } => self.spot_notice(node, now)?,
            Event::SpotReclaimed { node } => self.spot_reclaimed(node, now)?,
        }
        for pod in std::mem::take(&mut self.to_log) {
            let p = self.cluster.pod(pod);
            log.record(PodRecord::of(p, &self.workload_names[p.workload as usize], &self.cluster));
        }
        self.ensure_cycle(now)?;
        if self.end.is_none() && self.quiescent() {
            self.done = true;
        }
        Ok(!self.done)
    }

    /// Processes every event up to and including time `limit`, then stops with
    /// the clock at the last event processed; the run can be continued with
    /// [`run_until`](Self::run_until), [`step`](Self::step) or [`run`](Self::run)
    /// and gives exactly the result of an uninterrupted run.
    pub fn run_until(&mut self, limit: SimTime, log: &mut dyn PodLog) -> Result<(), SimError> {
        while !self.done && self.events.peek_time().is_some_and(|t| t <= limit) {
            self.step(log)?;
        }
        Ok(())
    }

    /// Runs to the end and returns the summary and samples; finished pods are
    /// recorded in `log` as they finish, unfinished ones at the end.
    pub fn run(&mut self, log: &mut dyn PodLog) -> Result<RunOutput, SimError> {
        self.run_explained(log, None)
    }

    /// [`run`](Self::run), recording every scheduling attempt in `decisions`
    /// with its `top` best candidates (`orchsim run --explain`).
    pub fn run_explained(
        &mut self,
        log: &mut dyn PodLog,
        mut decisions: Option<(&mut dyn DecisionLog, usize)>,
    ) -> Result<RunOutput, SimError> {
        while self.step_explained(log, &mut decisions)? {}
        let stopped_at_horizon = self.end.is_none() && self.events.peek_time().is_some_and(|t| t > self.limit()) && !self.quiescent();
        let end = match self.end {
            Some(end) => end,
            None if stopped_at_horizon => self.limit(),
            None => self.last_state_change,
        };
        self.metrics.advance(end, &self.cluster);
        if self.metrics.last_sample_time() != Some(end.as_secs_f64()) {
            self.sample(end);
        }
        for pod in self.cluster.pods.iter().filter(|p| !p.phase.is_final()) {
            log.record(PodRecord::of(pod, &self.workload_names[pod.workload as usize], &self.cluster));
        }
        let identity = (self.scenario_name.clone(), self.scheduler.name().to_string(), self.seed);
        let metrics = std::mem::take(&mut self.metrics);
        let service_summaries: Vec<ServiceSummary> = self
            .services
            .iter_mut()
            .map(|s| {
                s.finish(end);
                s.stats.summary(&s.spec.name, &s.autoscaler_name, s.spec.overflow)
            })
            .collect();
        let scaling = ScalingTotals {
            cost: self.cost(end),
            node_hours: self.pools.iter().map(|p| p.node_hours(end)).sum(),
            events: &self.scaling_events,
            services: &service_summaries,
            failures: &self.failures.totals,
            node_downtime_s: self.node_downtime_s(end),
        };
        let (summary, samples, pending_quantiles) = metrics.finish(identity, end, &self.cluster, self.events_processed, &scaling);
        Ok(RunOutput {
            summary,
            samples,
            pending_quantiles,
            stopped_at_horizon,
            sample_interval: self.sample_interval,
            services: std::mem::take(&mut self.service_samples),
            service_summaries,
            pools: std::mem::take(&mut self.pool_samples),
            scaling_events: std::mem::take(&mut self.scaling_events),
            failure_events: std::mem::take(&mut self.failures.log),
            batch_summaries: self.batch_summaries(),
        })
    }

    /// Samples the cluster, every service and, with a node autoscaler, every pool.
    fn sample(&mut self, now: SimTime) {
        let provisioning = self.pools.iter().map(|p| p.provisioning as u64).sum();
        let t = &self.failures.totals;
        self.metrics.sample(now, &self.cluster, provisioning, self.cost(now), (t.restarts, t.pods_lost));
        for s in &mut self.services {
            self.service_samples.push(s.sample(now, &self.cluster));
        }
        if self.node_autoscaler.is_some() {
            self.pool_samples.extend(self.pools.iter().map(|p| p.sample(now)));
        }
    }

    /// Halves every per-sample table and doubles the interval (see
    /// [`OPEN_ENDED_SAMPLE_BUDGET`]).
    fn thin_samples(&mut self) {
        self.metrics.thin_samples();
        crate::metrics::thin(&mut self.service_samples, self.services.len(), |kept, dropped| {
            kept.dropped_requests += dropped.dropped_requests;
            kept.slo_missed_s += dropped.slo_missed_s;
        });
        if self.node_autoscaler.is_some() {
            crate::metrics::thin(&mut self.pool_samples, self.pools.len(), |_, _| {});
        }
        self.sample_interval = self.sample_interval.saturating_mul(2);
    }

    fn job_arrival(&mut self, wi: usize, now: SimTime) -> Result<(), SimError> {
        self.arrivals_scheduled -= 1;
        let next = match &self.workloads[wi].source {
            JobSource::Drawn(_) => self.drawn_arrival(wi, now),
            JobSource::Trace(_) => self.trace_arrival(wi, now),
        };
        if let Some(next) = next {
            self.push(next, Event::JobArrival { workload: wi as u32 })?;
        }
        Ok(())
    }

    /// A job drawn from a `[[batch]]` class's distributions; returns when the
    /// next one arrives, if any.
    fn drawn_arrival(&mut self, wi: usize, now: SimTime) -> Option<SimTime> {
        let job = self.new_job();
        let JobSource::Drawn(w) = &self.workloads[wi].source else { unreachable!("a drawn arrival for a trace class") };
        let w = Arc::clone(w);
        let s = &mut self.streams[wi];
        let tasks = w.tasks.sample(&mut s.tasks).max(1);
        self.failures.job_submitted(job, PodId(self.cluster.pods.len() as u32), tasks as u32);
        let image = self.pick_image(wi);
        for task in 0..tasks {
            let s = &mut self.streams[wi];
            let duration = SimDuration::from_micros(w.duration.sample(&mut s.duration));
            let requests = Resources { cpu_milli: w.cpu.sample(&mut s.cpu), memory_bytes: w.memory.sample(&mut s.memory), gpu: w.gpu };
            let priority = self.workloads[wi].priority;
            self.submit_batch_pod(wi, (job, task as u32), (requests, w.unset, 0), Some(duration), (priority, image), now);
        }
        let left = &mut self.jobs_left[wi];
        if let Some(n) = left {
            *n -= 1;
        }
        if *left == Some(0) {
            return None;
        }
        let gap = w.interarrival.sample(&mut self.streams[wi].arrivals);
        let next = now + SimDuration::from_micros(SimTime::from_micros(gap).at_load(self.load).as_micros());
        w.until.is_none_or(|u| next <= u).then_some(next)
    }

    /// The tasks of one trace job submitted at this instant (those of the run's
    /// sample); returns when the trace's next task arrives, if any. A job whose
    /// tasks arrive at several instants (a DAG's stages, resubmissions) is one
    /// job: the later tasks join its number, counting on from its task index.
    fn trace_arrival(&mut self, wi: usize, now: SimTime) -> Option<SimTime> {
        let JobSource::Trace(trace) = &self.workloads[wi].source else { unreachable!("a trace arrival for a drawn class") };
        let (replay, format, sample) = (Arc::clone(&trace.replay), trace.format, trace.sample);
        let start = self.trace_next[wi];
        let group = &replay.tasks[start];
        let end = start + replay.tasks[start..].iter().take_while(|t| (t.at, t.job) == (group.at, group.job)).count();
        self.trace_next[wi] = end;
        let known = self.trace_jobs[wi].get(&group.job).copied();
        if keeps_job(self.seed, group.job, sample) && !known.is_some_and(|(job, ..)| self.failures.job_failed(job)) {
            let (job, mut index, image) = match known {
                Some(known) => known,
                None => (self.new_job(), 0, self.pick_image(wi)),
            };
            let pods: u64 = replay.tasks[start..end].iter().map(|t| t.instances as u64).sum();
            self.failures.job_submitted(job, PodId(self.cluster.pods.len() as u32), pods as u32);
            for t in &replay.tasks[start..end] {
                let priority = self.workloads[wi].priority.saturating_add(format.pod_priority(t.trace_priority));
                for _ in 0..t.instances {
                    // A trace cannot write "unset": its zero requests are (see `UnsetRequests::where_zero`).
                    let requests = (t.requests, UnsetRequests::where_zero(&t.requests), t.gpu_share);
                    self.submit_batch_pod(wi, (job, index), requests, t.duration, (priority, image), now);
                    index += 1;
                }
            }
            self.trace_jobs[wi].insert(group.job, (job, index, image));
        }
        replay.tasks.get(end).map(|t| t.at.at_load(self.load))
    }

    /// Numbers a new job.
    fn new_job(&mut self) -> u32 {
        let job = self.metrics.jobs as u32;
        self.metrics.jobs += 1;
        job
    }

    /// The image of a new job of class `wi`: one of the class's, uniformly.
    fn pick_image(&mut self, wi: usize) -> ImageId {
        let images = &self.workloads[wi].images;
        images[if images.len() > 1 { self.streams[wi].image.random_range(0..images.len()) } else { 0 }]
    }

    /// Submits task `task` of job `job` of batch class `wi` and queues it.
    fn submit_batch_pod(
        &mut self,
        wi: usize,
        (job, task): (u32, u32),
        (requests, unset_requests, gpu_share): (Resources, UnsetRequests, u16),
        duration: Option<SimDuration>,
        (priority, image): (i32, ImageId),
        now: SimTime,
    ) {
        let w = &self.workloads[wi];
        let startup = SimDuration::from_micros(w.startup.sample(&mut self.streams[wi].startup));
        let template = PodTemplate {
            workload: wi as u32,
            requests,
            unset_requests,
            limits: Resources {
                cpu_milli: (requests.cpu_milli as f64 * w.limit_factor.0).round() as u64,
                memory_bytes: (requests.memory_bytes as f64 * w.limit_factor.1).round() as u64,
                gpu: requests.gpu,
            },
            priority,
            image,
            tolerations: w.tolerations.clone(),
            placement: w.placement.clone(),
            gpu_share,
        };
        let id = PodId(self.cluster.pods.len() as u32);
        self.cluster.submit(Pod::pending(id, job, task, &template, duration, startup, now));
        self.pod_events.push(None);
        self.enqueue(id, now);
    }

    fn scheduling_cycle(&mut self, now: SimTime, explain: &mut Option<(&mut dyn DecisionLog, usize)>) -> Result<(), SimError> {
        self.cycle_scheduled = false;
        while let Some((pod_id, attempts)) = self.queue.pop() {
            if self.cluster.pod(pod_id).phase != PodPhase::Pending {
                // Deleted while it waited (a replica scaled away).
                continue;
            }
            let attempts = attempts + 1;
            self.metrics.attempts += 1;
            let pod = &mut self.cluster.pods[pod_id.index()];
            pod.attempts = attempts;
            let (priority, requests) = (pod.priority, pod.requests);
            let placement = self.scheduler.schedule(self.cluster.pod(pod_id), &ClusterView::new(&self.cluster, now));
            if let Some((decisions, top)) = explain.as_mut() {
                self.record_decision(&mut **decisions, *top, pod_id, attempts, &placement, now);
            }
            if matches!(placement, Placement::Bind(_) | Placement::Preempt { .. }) {
                self.queue.scheduled(pod_id, priority);
            }
            match placement {
                Placement::Bind(node) => self.bind(pod_id, node, now)?,
                Placement::Preempt { node, victims } => self.preempt(pod_id, node, &victims, now)?,
                Placement::Unschedulable(_) => {
                    self.metrics.unschedulable_attempts += 1;
                    self.queue.add_unschedulable(pod_id, priority, requests, attempts, now);
                }
            }
        }
        Ok(())
    }

    /// One allocation cycle of an offer-based policy: it launches pods from the
    /// frameworks' queues, which are bound in launch order.
    fn allocation_cycle(&mut self, now: SimTime, explain: &mut Option<(&mut dyn DecisionLog, usize)>) -> Result<(), SimError> {
        self.cycle_scheduled = false;
        let mut launched = std::mem::take(&mut self.launched);
        launched.clear();
        let offers = self.scheduler.offers().expect("allocation cycles run for offer-based policies only");
        offers.allocate(&self.pending, &ClusterView::new(&self.cluster, now), &mut launched);
        let idle = offers.idle();
        for &(pod, node) in &launched {
            if self.cluster.pods.get(pod.index()).is_none_or(|p| p.phase != PodPhase::Pending) {
                let policy = self.scheduler.name();
                return Err(SimError::BadPlacement {
                    policy,
                    pod: pod.0,
                    node: node.0.to_string(),
                    why: "launched a pod that is not pending",
                });
            }
            self.pending.remove(&[(pod, node)], &self.cluster);
            self.metrics.attempts += 1;
            let p = &mut self.cluster.pods[pod.index()];
            p.attempts += 1;
            let attempt = p.attempts;
            if let Some((decisions, top)) = explain.as_mut() {
                self.record_decision(&mut **decisions, *top, pod, attempt, &Placement::Bind(node), now);
            }
            self.bind(pod, node, now)?;
        }
        self.offers_idle_at = idle.then(|| (self.cluster.version(), self.pending.len()));
        self.launched = launched;
        Ok(())
    }

    fn record_decision(&mut self, log: &mut dyn DecisionLog, top: usize, pod: PodId, attempt: u32, placement: &Placement, now: SimTime) {
        let mut candidates = std::mem::take(&mut self.candidates);
        candidates.clear();
        self.scheduler.explain(top, &mut candidates);
        let (bound_to, filters) = match placement {
            Placement::Bind(n) | Placement::Preempt { node: n, .. } => (Some(*n), None),
            Placement::Unschedulable(f) => (None, Some(f)),
        };
        log.record(&Decision {
            time_s: now.as_secs_f64(),
            pod: pod.0,
            attempt,
            policy: self.scheduler.name(),
            bound_to,
            filters,
            candidates: &candidates,
        });
        self.candidates = candidates;
    }

    fn bind(&mut self, pod_id: PodId, node: NodeId, now: SimTime) -> Result<(), SimError> {
        let bad = |why| SimError::BadPlacement { policy: self.scheduler.name(), pod: pod_id.0, node: node.0.to_string(), why };
        let Some(n) = self.cluster.nodes.get(node.index()) else {
            return Err(bad("does not exist"));
        };
        // Only what no profile may break: taints and node rules are policy
        // (a kube-scheduler profile may disable TaintToleration).
        if !filter::check_resources(self.cluster.pod(pod_id), n).is_none() {
            return Err(bad("has no room for it (resources or pod count)"));
        }
        let image_ready = self.cluster.bind(pod_id, node, now);
        let pod = self.cluster.pod(pod_id);
        self.metrics.on_bind(pod);
        if pod.pulled_image {
            self.push(image_ready, Event::ImagePulled { node, image: pod.image.0 as u16 })?;
        }
        let startup = self.cluster.pod(pod_id).startup;
        self.push_lifecycle(image_ready + startup, Event::PodStarted { pod: pod_id }, pod_id)?;
        Ok(())
    }

    /// Applies a preemption: checks the victims are lower-priority pods bound
    /// to `node`, evicts them (cancelling their pending start or finish, their
    /// work lost), puts them back in the scheduling queue, then binds the pod.
    fn preempt(&mut self, pod_id: PodId, node: NodeId, victims: &[PodId], now: SimTime) -> Result<(), SimError> {
        let priority = self.cluster.pod(pod_id).priority;
        let bad = |why| SimError::BadPlacement { policy: self.scheduler.name(), pod: pod_id.0, node: node.0.to_string(), why };
        for &v in victims {
            let victim = self.cluster.pods.get(v.index()).ok_or_else(|| bad("names a victim that does not exist"))?;
            if victim.node != Some(node) {
                return Err(bad("names a victim that is not bound there"));
            }
            if victim.priority >= priority {
                return Err(bad("names a victim whose priority is not lower than the pod's"));
            }
        }
        for &v in victims {
            self.evict(v, now);
            self.metrics.preemptions += 1;
        }
        self.bind(pod_id, node, now)
    }

    /// A pod's containers are running, unless its node failed meanwhile (it
    /// then waits for the node's repair or its eviction). Its finish, or its
    /// crash if that comes first, is scheduled.
    fn pod_started(&mut self, pod: PodId, now: SimTime) -> Result<(), SimError> {
        self.pod_events[pod.index()] = None;
        let node = self.cluster.pod(pod).node.expect("starting pods are bound");
        if !self.cluster.node(node).up {
            return Ok(());
        }
        self.cluster.start(pod, now);
        let crash = self.crash_after(pod);
        match (self.cluster.pod(pod).duration, crash) {
            (Some(run), Some(c)) if c < run => self.push_lifecycle(now + c, Event::PodCrashed { pod }, pod)?,
            (Some(run), _) => self.push_lifecycle(now + run, Event::PodFinished { pod }, pod)?,
            (None, Some(c)) => self.push_lifecycle(now + c, Event::PodCrashed { pod }, pod)?,
            (None, None) => {}
        }
        if self.cluster.pod(pod).duration.is_none() {
            self.service_pod_changed(pod, now);
        }
        Ok(())
    }

    /// Per batch class: pods, completions, and what failures cost it.
    fn batch_summaries(&self) -> Vec<BatchSummary> {
        let mut rows = self.failures.totals.batch.clone();
        for p in &self.cluster.pods {
            if let Some(row) = rows.get_mut(p.workload as usize) {
                row.pods += 1;
                row.pods_completed += (p.phase == PodPhase::Succeeded) as u64;
            }
        }
        rows
    }

    /// Evicts a bound pod: cancels its pending start or finish, counts the
    /// work it loses, and puts it back where pending pods wait.
    fn evict(&mut self, pod: PodId, now: SimTime) {
        if let Some(id) = self.pod_events[pod.index()].take() {
            self.cancel(id);
        }
        let victim = self.cluster.pod(pod);
        // On a failed node the work stopped when the node did.
        let until = victim.node.and_then(|n| self.cluster.node(n).down_since).unwrap_or(now);
        self.metrics.lost_cpu_seconds += victim.cpu_seconds_run(until);
        self.cluster.evict(pod, now);
        self.service_pod_changed(pod, now);
        self.enqueue(pod, now);
    }

    fn pod_finished(&mut self, pod_id: PodId, now: SimTime, log: &mut dyn PodLog) -> Result<(), SimError> {
        self.pod_events[pod_id.index()] = None;
        self.cluster.finish(pod_id, now);
        self.metrics.on_finish(now);
        let pod = self.cluster.pod(pod_id);
        log.record(PodRecord::of(pod, &self.workload_names[pod.workload as usize], &self.cluster));
        // Resources were freed on this node only: see `move_for_freed_node`.
        let node = self.cluster.node(pod.node.expect("finished pods were bound"));
        let cluster = &self.cluster;
        let slots = node.max_pods.saturating_sub(node.pod_count);
        self.queue.move_for_freed_node(now, node.free(), slots, |p| filter::check_except_resources(cluster.pod(p), node));
        Ok(())
    }
}
