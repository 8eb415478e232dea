//! Services in a run: the ReplicaSet controller, load and serving, the
//! metrics pipeline (scrape every 15 s of a 60 s window) and the replica
//! autoscalers that act on what it reports.

use std::collections::BTreeMap;

use super::{SimError, Simulation};
use crate::controller::replicaset::{pods_to_delete, slow_start_batches, PodStanding};
use crate::engine::{stream_rng, SimRng, StreamId, WorkloadField};
use crate::event::Event;
use crate::metrics::services::{ReplicaCounts, ScalingEvent, ServiceSample, ServiceStats};
use crate::metrics::window::{UsageWindow, SCRAPE_INTERVAL, USAGE_WINDOW};
use crate::model::cluster::Cluster;
use crate::model::load::LoadGenerator;
use crate::model::service::{ServiceSpec, Traffic};
use crate::model::{Pod, PodId, PodPhase, PodTemplate, UnsetRequests};
use crate::policy::autoscaler::hpa::MetricTarget;
use crate::policy::autoscaler::vpa::admission::admitted;
use crate::policy::autoscaler::vpa::updater::{
    self, update_order, update_priority, wants_update, GroupStats, PodPriority, ResourceRecommendation, UpdaterConfig,
};
use crate::policy::autoscaler::vpa::Recommender;
use crate::policy::autoscaler::{PodMetrics, ReplicaAutoscaler, ReplicaAutoscalerConfig, ServiceView, VpaConfig};
use crate::scenario::ServiceConfig;
use crate::time::{SimDuration, SimTime};

/// Bytes in a MiB, for the VPA columns.
const MIB: f64 = (1u64 << 20) as f64;

/// What the metrics pipeline last reported for a pod: (scrape time, CPU
/// millicores, requests/s).
type Scraped = (SimTime, Option<f64>, Option<f64>);

/// One service's state during a run.
pub(super) struct ServiceRuntime {
    pub(super) spec: ServiceSpec,
    template: PodTemplate,
    /// The scale's `spec.replicas`.
    pub(super) desired: u32,
    /// Pods not yet deleted, in creation order.
    pub(super) pods: Vec<PodId>,
    created: u32,
    load: LoadGenerator,
    startup_rng: SimRng,
    offered: f64,
    traffic: Traffic,
    counts: ReplicaCounts,
    /// Per pod: CPU and requests/s as piecewise-constant signals.
    windows: BTreeMap<PodId, (UsageWindow, UsageWindow)>,
    scraped: BTreeMap<PodId, Scraped>,
    pub(super) autoscaler: Option<Box<dyn ReplicaAutoscaler>>,
    pub(super) autoscaler_name: String,
    vpa: Option<(VpaConfig, Recommender)>,
    pub(super) stats: ServiceStats,
    /// The HPA's targets: CPU utilization and requests/s per pod, for the samples.
    hpa_targets: (Option<f64>, Option<f64>),
    /// Requests dropped and SLO-missed microseconds up to the last sample.
    sampled: (f64, u64),
    /// The serving replicas' mean [`capacity weight`](Self::capacity_weight)
    /// and their summed CPU requests (millicores), as of the last refresh.
    serving_capacity: (f64, u64),
}

/// The first CPU utilization and requests-per-pod targets of `config`'s HPA, if it has one.
fn hpa_targets(config: &ServiceConfig) -> (Option<f64>, Option<f64>) {
    let Some(ReplicaAutoscalerConfig::Hpa(hpa)) = &config.autoscaler else { return (None, None) };
    let cpu = hpa.metrics.iter().find_map(|m| if let MetricTarget::CpuUtilization(t) = m { Some(f64::from(*t) / 100.0) } else { None });
    let rps = hpa.metrics.iter().find_map(|m| if let MetricTarget::RequestsPerPod(t) = m { Some(*t) } else { None });
    (cpu, rps)
}

impl ServiceRuntime {
    /// Service `index` (workload `workload`) of `config`, with its streams.
    pub(super) fn new(config: &ServiceConfig, index: u32, workload: u32, seed: u64, load: f64) -> Self {
        let spec = config.spec.clone();
        let template = PodTemplate {
            workload,
            requests: spec.requests,
            // Services must request positive CPU and memory.
            unset_requests: UnsetRequests::NONE,
            limits: spec.limits,
            priority: spec.priority,
            image: spec.image,
            tolerations: spec.tolerations.clone(),
            placement: spec.placement.clone(),
            gpu_share: 0,
        };
        // Services draw from the workload streams numbered after the batch
        // classes, so adding a service never shifts a batch class's draws.
        let load =
            LoadGenerator::new(spec.load.clone(), stream_rng(seed, 0, StreamId::workload(workload, WorkloadField::Arrivals))).scaled(load);
        let startup_rng = stream_rng(seed, 0, StreamId::workload(workload, WorkloadField::Startup));
        let autoscaler = config.autoscaler.as_ref().map(|a| a.build(stream_rng(seed, 0, StreamId::autoscaler(index))));
        ServiceRuntime {
            desired: spec.replicas,
            template,
            pods: Vec::new(),
            created: 0,
            load,
            startup_rng,
            offered: 0.0,
            traffic: Traffic::serve(0.0, 0, 0.0, spec.overflow),
            counts: ReplicaCounts::default(),
            windows: BTreeMap::new(),
            scraped: BTreeMap::new(),
            autoscaler_name: config.autoscaler.as_ref().map_or(String::new(), |a| a.name().to_string()),
            autoscaler,
            vpa: config.vpa.map(|v| (v, Recommender::default())),
            stats: ServiceStats::default(),
            hpa_targets: hpa_targets(config),
            sampled: (0.0, 0),
            serving_capacity: (1.0, 0),
            spec,
        }
    }

    /// Integrates the traffic so far, then recomputes it for the replicas
    /// and offered load at `now`, and sets each serving pod's usage.
    ///
    /// A replica resized by the VPA serves with its own requests: its
    /// capacity scales with its CPU limit (or request, if higher) over the
    /// template's ([`capacity_weight`](Self::capacity_weight)). The load
    /// balancer spreads requests in proportion to capacity (as a
    /// least-request balancer does), so the replicas serve as many of their
    /// mean capacity would; with identical replicas every weight is exactly 1.
    pub(super) fn refresh(&mut self, now: SimTime, cluster: &Cluster) {
        let (mut ready, mut serving, mut weights, mut requested) = (0, 0, 0.0, 0);
        for &p in &self.pods {
            let (endpoint, up) = endpoint_and_up(cluster, p);
            ready += endpoint as u32;
            if endpoint && up {
                serving += 1;
                weights += self.capacity_weight(cluster.pod(p));
                requested += cluster.pod(p).requests.cpu_milli;
            }
        }
        let counts = ReplicaCounts { desired: self.desired, ready, serving };
        self.stats.advance(now, &self.traffic, counts, &self.spec.slo, self.spec.overflow);
        self.counts = counts;
        let mean_weight = if serving == 0 { 1.0 } else { weights / f64::from(serving) };
        self.serving_capacity = (mean_weight, requested);
        let per_replica = self.spec.max_rps_per_replica() * mean_weight;
        self.traffic = Traffic::serve_endpoints(self.offered, ready, serving, per_replica, self.spec.overflow);
        let per_pod = if serving == 0 { 0.0 } else { self.traffic.served / f64::from(serving) };
        let serves = |p: &&PodId| endpoint_and_up(cluster, **p) == (true, true);
        for &p in self.pods.iter().filter(serves) {
            let share = per_pod * (self.capacity_weight(cluster.pod(p)) / mean_weight);
            let (c, r) = self.windows.entry(p).or_default();
            c.set(now, self.spec.cpu_for(share));
            r.set(now, share);
        }
    }

    /// A replica's capacity relative to the template's: its CPU limit (or
    /// request, if higher) over the template's. 1 for a replica the VPA has
    /// not resized.
    fn capacity_weight(&self, pod: &Pod) -> f64 {
        let template = self.spec.limits.cpu_milli.max(self.spec.requests.cpu_milli);
        if template == 0 {
            return 1.0;
        }
        pod.limits.cpu_milli.max(pod.requests.cpu_milli) as f64 / template as f64
    }

    /// CPU used by the serving replicas over their requests.
    fn cpu_utilization(&self) -> f64 {
        let serving = self.counts.serving;
        if serving == 0 || self.spec.requests.cpu_milli == 0 {
            return 0.0;
        }
        let requested = self.serving_capacity.1;
        if requested != u64::from(serving) * self.spec.requests.cpu_milli {
            // Resized replicas: the CPU they use over what they request.
            return self.spec.cpu_for(self.traffic.served) / requested as f64;
        }
        let per_pod = self.traffic.served / serving as f64;
        self.spec.cpu_for(per_pod) / self.spec.requests.cpu_milli as f64
    }

    /// The template a new replica gets from the admission controller: with a
    /// VPA in any mode but `Off` that has a recommendation, the target as
    /// requests and limits in their original ratio (`admission::admitted`).
    fn admitted_template(&self) -> Option<PodTemplate> {
        let (config, recommender) = self.vpa.as_ref()?;
        if !config.mode.applies_at_admission() || !recommender.has_samples() {
            return None;
        }
        let (cpu, memory) = recommender.recommend().amounts();
        let (requests, limits) = admitted(self.template.requests, self.template.limits, cpu[1], memory[1]);
        Some(PodTemplate { requests, limits, ..self.template.clone() })
    }

    /// The metrics the HPA reads, from metrics-server's last report: CPU
    /// used over CPU requested, and requests/s per pod, over the pods
    /// reported (`None` for a metric the HPA does not target, or before a report).
    fn hpa_metrics(&self, cluster: &Cluster) -> (Option<f64>, Option<f64>) {
        let (mut cpu, mut requested, mut rps, mut pods) = (0.0, 0.0, 0.0, 0u32);
        for (&p, &(_, c, r)) in &self.scraped {
            if let Some(c) = c {
                cpu += c;
                requested += cluster.pod(p).requests.cpu_milli as f64;
            }
            if let Some(r) = r {
                rps += r;
                pods += 1;
            }
        }
        let (cpu_target, rps_target) = self.hpa_targets;
        (cpu_target.and((requested > 0.0).then(|| cpu / requested)), rps_target.and((pods > 0).then(|| rps / f64::from(pods))))
    }

    /// The sample row at `now`; counts drops and SLO misses from the previous one.
    pub(super) fn sample(&mut self, now: SimTime, cluster: &Cluster) -> ServiceSample {
        let rec = self.vpa.as_ref().map(|(_, r)| r.recommend());
        let dropped = self.stats.dropped_until(now, &self.traffic);
        let missed = self.stats.slo_violation_until(now, &self.traffic, &self.spec.slo, self.spec.overflow);
        let (dropped_before, missed_before) = std::mem::replace(&mut self.sampled, (dropped, missed));
        let (hpa_cpu_utilization, hpa_rps_per_pod) = self.hpa_metrics(cluster);
        let pending = self.pods.iter().filter(|&&p| cluster.pod(p).phase == PodPhase::Pending).count() as u32;
        ServiceSample {
            time_s: now.as_secs_f64(),
            service: self.spec.name.clone(),
            load_rps: self.traffic.offered,
            served_rps: self.traffic.served,
            dropped_rps: self.traffic.dropped,
            latency_ms: self.traffic.latency_s.map(|s| s * 1000.0),
            replicas_desired: self.desired,
            replicas_ready: self.counts.ready,
            replicas_serving: self.counts.serving,
            replicas_total: self.pods.len() as u32,
            cpu_utilization: self.cpu_utilization(),
            vpa_cpu_target_m: rec.map(|r| r.cpu_milli[1]),
            vpa_memory_target_mib: rec.map(|r| r.memory_bytes[1] / MIB),
            vpa_cpu_lower_m: rec.map(|r| r.cpu_milli[0]),
            vpa_cpu_upper_m: rec.map(|r| r.cpu_milli[2]),
            vpa_memory_lower_mib: rec.map(|r| r.memory_bytes[0] / MIB),
            vpa_memory_upper_mib: rec.map(|r| r.memory_bytes[2] / MIB),
            replicas_pending: pending,
            dropped_requests: dropped - dropped_before,
            slo_missed_s: (missed - missed_before) as f64 / 1e6,
            hpa_cpu_utilization,
            hpa_cpu_target: self.hpa_targets.0,
            hpa_rps_per_pod,
            hpa_rps_per_pod_target: self.hpa_targets.1,
        }
    }

    /// Closes the integrals at the end of the run.
    pub(super) fn finish(&mut self, end: SimTime) {
        self.stats.finish(end, &self.traffic, &self.spec.slo, self.spec.overflow);
    }
}

/// Whether a pod is one of its service's endpoints (running, on a node the
/// control plane considers ready) and whether its node is actually up.
fn endpoint_and_up(cluster: &Cluster, pod: PodId) -> (bool, bool) {
    let p = cluster.pod(pod);
    match p.node {
        Some(n) if p.phase == PodPhase::Running => {
            let node = cluster.node(n);
            (node.ready, node.up)
        }
        _ => (false, false),
    }
}

impl Simulation {
    /// Schedules the services' periodic events and creates their first replicas.
    pub(super) fn start_services(&mut self) -> Result<(), SimError> {
        if self.services.is_empty() {
            return Ok(());
        }
        self.push(SimTime::ZERO, Event::MetricsScrape)?;
        for s in 0..self.services.len() {
            self.push(SimTime::ZERO, Event::LoadTick { service: s as u32 })?;
            if let Some(a) = &self.services[s].autoscaler {
                let first = SimTime::ZERO + a.interval();
                self.push(first, Event::AutoscalerSync { service: s as u32 })?;
            }
            if self.services[s].vpa.as_ref().is_some_and(|(c, _)| c.mode.evicts()) {
                self.push(SimTime::ZERO + updater::UPDATER_INTERVAL, Event::VpaUpdate { service: s as u32 })?;
            }
            self.reconcile(s, SimTime::ZERO);
        }
        Ok(())
    }

    /// The ReplicaSet controller's sync: creates pods (slow-start batches, at
    /// most `burstReplicas`) or deletes the least valuable ones until the
    /// service has `desired` pods. Pod creation never fails in the model, so
    /// the batches all succeed within one sync.
    pub(super) fn reconcile(&mut self, s: usize, now: SimTime) {
        let have = self.services[s].pods.len() as u32;
        let want = self.services[s].desired;
        if want > have {
            // One admission decision for the whole sync: the recommendation
            // does not change while the controller creates pods.
            let admitted = self.services[s].admitted_template();
            for batch in slow_start_batches(want - have) {
                for _ in 0..batch {
                    self.create_replica(s, admitted.as_ref(), now);
                }
            }
        } else if want < have {
            let svc = &self.services[s];
            let standing: Vec<PodStanding> = svc
                .pods
                .iter()
                .map(|&p| {
                    let pod = self.cluster.pod(p);
                    PodStanding {
                        assigned: pod.node.is_some(),
                        running: pod.phase == PodPhase::Running,
                        ready_since: pod.started,
                        restarts: pod.restarts,
                        created: pod.submitted,
                    }
                })
                .collect();
            let victims: Vec<PodId> = pods_to_delete(&standing, (have - want) as usize).into_iter().map(|i| svc.pods[i]).collect();
            for p in victims {
                self.delete_pod(p, now);
            }
        }
    }

    /// Creates one replica of service `s` from the admission controller's
    /// template if it gave one, else the service's.
    fn create_replica(&mut self, s: usize, admitted: Option<&PodTemplate>, now: SimTime) {
        let svc = &mut self.services[s];
        let startup = SimDuration::from_micros(svc.spec.startup.sample(&mut svc.startup_rng));
        let id = PodId(self.cluster.pods.len() as u32);
        // A service is one "job" for selectors and fair queuing; numbered from
        // the top so batch job numbers do not depend on the services.
        let job = u32::MAX - s as u32;
        self.cluster.submit(Pod::pending(id, job, svc.created, admitted.unwrap_or(&svc.template), None, startup, now));
        svc.created += 1;
        svc.pods.push(id);
        self.pod_events.push(None);
        self.enqueue(id, now);
    }

    /// Deletes a pod that has not finished (scaled away, or drained with its
    /// node): cancels its pending start, frees its node, and, for a service
    /// replica, takes it out of the service and re-balances the load.
    pub(super) fn delete_pod(&mut self, pod: PodId, now: SimTime) {
        self.end_pod(pod, PodPhase::Terminated, now);
    }

    /// Ends a pod that has not finished, as [`delete_pod`](Self::delete_pod)
    /// does, in `phase` (Terminated, or Failed when its job gave up).
    pub(super) fn end_pod(&mut self, pod: PodId, phase: PodPhase, now: SimTime) {
        if let Some(id) = self.pod_events[pod.index()].take() {
            self.cancel(id);
        }
        if phase == PodPhase::Failed {
            self.cluster.fail(pod, now);
        } else {
            self.cluster.delete(pod, now);
        }
        if let Some(s) = self.service_of(pod) {
            let svc = &mut self.services[s];
            svc.pods.retain(|&p| p != pod);
            svc.windows.remove(&pod);
            svc.scraped.remove(&pod);
            svc.refresh(now, &self.cluster);
        }
        if self.allocation_interval.is_some() {
            self.pending.remove_pod(self.cluster.pod(pod).workload, pod);
        }
        self.to_log.push(pod);
    }

    /// The service a pod belongs to, if any.
    pub(super) fn service_of(&self, pod: PodId) -> Option<usize> {
        (self.cluster.pod(pod).workload as usize).checked_sub(self.workloads.len())
    }

    /// A pod started or left: its service's load is re-balanced.
    pub(super) fn service_pod_changed(&mut self, pod: PodId, now: SimTime) {
        if let Some(s) = self.service_of(pod) {
            self.services[s].refresh(now, &self.cluster);
        }
    }

    /// The next load tick of service `s`.
    pub(super) fn load_tick(&mut self, s: usize, now: SimTime) -> Result<(), SimError> {
        let svc = &mut self.services[s];
        svc.offered = svc.load.next_rate(now);
        let next = now + svc.load.tick();
        svc.refresh(now, &self.cluster);
        self.push(next, Event::LoadTick { service: s as u32 })?;
        Ok(())
    }

    /// metrics-server's scrape: each ready pod's mean usage over the last
    /// window, as the autoscalers (and the VPA recommender) will see it.
    pub(super) fn scrape(&mut self, now: SimTime) -> Result<(), SimError> {
        for svc in &mut self.services {
            let mut scraped = BTreeMap::new();
            for &p in &svc.pods {
                // metrics-server reaches only pods that are running.
                if !endpoint_and_up(&self.cluster, p).1 {
                    continue;
                }
                let pod = &self.cluster.pods[p.index()];
                let Some((c, r)) = svc.windows.get_mut(&p) else { continue };
                let (cpu, rps) = (c.mean(now, USAGE_WINDOW, SCRAPE_INTERVAL), r.mean(now, USAGE_WINDOW, SCRAPE_INTERVAL));
                if let (Some(cpu), Some((_, rec))) = (cpu, svc.vpa.as_mut()) {
                    rec.add_cpu(cpu, pod.requests.cpu_milli as f64, now);
                    // What the application uses, whatever a resized pod requests.
                    rec.add_memory(svc.spec.requests.memory_bytes as f64 * svc.spec.memory_utilization, now);
                }
                if cpu.is_some() || rps.is_some() {
                    scraped.insert(p, (now, cpu, rps));
                }
            }
            svc.scraped = scraped;
        }
        self.push(now + SCRAPE_INTERVAL, Event::MetricsScrape)?;
        Ok(())
    }

    /// One sync of service `s`'s replica autoscaler.
    pub(super) fn autoscaler_sync(&mut self, s: usize, now: SimTime) -> Result<(), SimError> {
        let svc = &mut self.services[s];
        let pods: Vec<PodMetrics> = svc
            .pods
            .iter()
            .map(|&p| {
                let pod = &self.cluster.pods[p.index()];
                let (scraped_at, cpu_milli, rps) = match svc.scraped.get(&p) {
                    Some(&(t, c, r)) => (Some(t), c, r),
                    None => (None, None, None),
                };
                PodMetrics {
                    pod: p,
                    cpu_request_milli: pod.requests.cpu_milli as f64,
                    cpu_milli,
                    rps,
                    scraped_at,
                    phase: pod.phase,
                    started: pod.bound,
                    ready_since: pod.started,
                }
            })
            .collect();
        let view = ServiceView { now, service: &svc.spec.name, replicas: svc.desired, pods: &pods, capacity_rps: svc.spec.capacity_rps };
        let autoscaler = svc.autoscaler.as_mut().expect("only services with an autoscaler sync");
        let desired = autoscaler.desired_replicas(&view);
        let interval = autoscaler.interval();
        let from = svc.desired;
        if desired != from {
            if desired > from {
                svc.stats.scale_ups += 1;
            } else {
                svc.stats.scale_downs += 1;
            }
            svc.desired = desired;
            self.cluster.set_scale(svc.template.workload, desired);
            self.scaling_events.push(ScalingEvent {
                time_s: now.as_secs_f64(),
                kind: "replicas".into(),
                target: svc.spec.name.clone(),
                from,
                to: desired,
                policy: svc.autoscaler_name.clone(),
                reason: if desired > from { "metrics above target" } else { "metrics below target" }.to_string(),
            });
            self.reconcile(s, now);
        }
        self.push(now + interval, Event::AutoscalerSync { service: s as u32 })?;
        Ok(())
    }

    /// One loop of service `s`'s VPA updater (`RunOnce`, see
    /// [`updater`](crate::policy::autoscaler::vpa::updater)): evicts, highest
    /// priority first, the live replicas whose requests are off the
    /// recommendation, as far as the group's tolerance, its minimum replicas
    /// and its PodDisruptionBudget allow; the ReplicaSet controller then
    /// recreates them and the admission controller gives them the target.
    pub(super) fn vpa_update(&mut self, s: usize, now: SimTime) -> Result<(), SimError> {
        self.push(now + updater::UPDATER_INTERVAL, Event::VpaUpdate { service: s as u32 })?;
        let svc = &self.services[s];
        let Some((config, recommender)) = &svc.vpa else { return Ok(()) };
        // No recommendation in the VPA's status yet: nothing to apply.
        if !recommender.has_samples() {
            return Ok(());
        }
        let (config, (cpu, memory)) = (*config, recommender.recommend().amounts());
        let settings = UpdaterConfig { min_replicas: config.min_replicas.unwrap_or(updater::MIN_REPLICAS), ..UpdaterConfig::default() };
        // The updater lists bound pods that have not finished (`NewPodLister`);
        // Kubernetes' Pending phase covers those still starting.
        let live: Vec<(PodId, bool)> = svc
            .pods
            .iter()
            .filter_map(|&p| match self.cluster.pod(p).phase {
                PodPhase::Starting => Some((p, true)),
                PodPhase::Running => Some((p, false)),
                _ => None,
            })
            .collect();
        let pending = live.iter().filter(|(_, pending)| *pending).count() as u32;
        let Some(mut group) = GroupStats::new(svc.desired, live.len() as u32, pending, &settings) else { return Ok(()) };
        // Upstream compares `Quantity.MilliValue()`s; the priority only
        // compares them and takes their ratios, so bytes do as well as
        // milli-bytes (and cannot overflow).
        let bounds = |[lower, target, upper]: [u64; 3]| Some(ResourceRecommendation { target, lower: Some(lower), upper: Some(upper) });
        let recommendation = [bounds(cpu), bounds(memory)];
        let mut candidates: Vec<(PodId, bool, PodPriority)> = Vec::new();
        for &(p, pending) in &live {
            if !group.can_evict(pending) {
                continue;
            }
            let pod = self.cluster.pod(p);
            let requests = [Some(pod.requests.cpu_milli), Some(pod.requests.memory_bytes)];
            let priority = update_priority(requests, recommendation);
            if wants_update(&priority, pod.bound, now, &settings) {
                candidates.push((p, pending, priority));
            }
        }
        let priorities: Vec<PodPriority> = candidates.iter().map(|c| c.2).collect();
        let mut evicted = Vec::new();
        for i in update_order(&priorities) {
            let (p, pending, priority) = candidates[i];
            // The Eviction API refuses what the PodDisruptionBudget forbids
            // (a pod not yet running is not counted by it).
            if !pending && self.cluster.disruptions_allowed(self.cluster.pod(p).workload) == Some(0) {
                continue;
            }
            // `evict` refuses what the group's tolerance no longer allows.
            if group.evict(pending).is_ok() {
                let from = self.cluster.pod(p).requests.cpu_milli;
                self.delete_pod(p, now);
                evicted.push((from, priority));
            }
        }
        if evicted.is_empty() {
            return Ok(());
        }
        let svc = &self.services[s];
        let policy = format!("vpa-{}", config.mode.name());
        for (from, priority) in evicted {
            self.scaling_events.push(ScalingEvent {
                time_s: now.as_secs_f64(),
                kind: "vpa".into(),
                target: svc.spec.name.clone(),
                from: u32::try_from(from).unwrap_or(u32::MAX),
                to: u32::try_from(cpu[1]).unwrap_or(u32::MAX),
                policy: policy.clone(),
                reason: if priority.outside_recommended_range {
                    "replica evicted: requests outside the recommended range".to_string()
                } else {
                    format!("replica evicted: requests off the target by {:.0} %", priority.resource_diff * 100.0)
                },
            });
        }
        self.reconcile(s, now);
        Ok(())
    }
}
