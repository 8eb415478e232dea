//! Streaming metrics: exact time-weighted integrals, periodic samples, per-pod
//! records and the run summary.
//!
//! Allocation means are exact, not sampled: the integral of requested resources
//! over time is advanced at every event (`Σ requested · Δt` in integers) and
//! divided by the integral of capacity at the end.

pub mod failures;
pub mod services;
pub mod window;

use serde::{Deserialize, Serialize};

use crate::model::cluster::Cluster;
use crate::model::{Pod, PodPhase, Resources};
use crate::time::SimTime;

/// One row of `timeseries.csv`: the cluster at one sample time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Simulated time, seconds.
    pub time_s: f64,
    /// Requested CPU / allocatable CPU.
    pub cpu_allocated: f64,
    /// Requested memory / allocatable memory.
    pub memory_allocated: f64,
    /// Requested GPUs / GPUs (0 without GPUs).
    pub gpu_allocated: f64,
    /// Pods waiting to be scheduled.
    pub pods_pending: u64,
    /// Pods bound, pulling images or starting.
    pub pods_starting: u64,
    /// Pods running.
    pub pods_running: u64,
    /// Pods finished so far.
    pub pods_succeeded: u64,
    /// Nodes in service.
    pub nodes: u64,
    /// Nodes asked for by the node autoscaler, not yet joined.
    pub nodes_provisioning: u64,
    /// Cost so far: node-hours × price per hour.
    pub cost: f64,
    /// Nodes in service whose machine is down.
    pub nodes_down: u64,
    /// Nodes the control plane has declared lost (NotReady).
    pub nodes_not_ready: u64,
    /// Container restarts and task replacements after failures so far.
    pub restarts: u64,
    /// Pods lost with their nodes so far.
    pub pods_lost: u64,
}

/// One row of `pools.csv`, written for runs with a node autoscaler: one
/// node pool (scenario node group) at one sample time. At each time the
/// pools' rows add up to the `nodes`, `nodes_provisioning` and `cost` of
/// `timeseries.csv`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PoolSample {
    /// Simulated time, seconds.
    pub time_s: f64,
    /// The pool (node group) name.
    pub pool: String,
    /// Nodes of the pool in service.
    pub nodes: u64,
    /// Nodes of the pool asked for, not yet joined.
    pub nodes_provisioning: u64,
    /// The pool's cost so far: node-hours × its price per hour.
    pub cost: f64,
}

/// One row of `pods.csv`. Times are seconds; empty where the pod never got there.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PodRecord {
    /// Pod index.
    pub pod: u32,
    /// Job number.
    pub job: u32,
    /// Task index within the job.
    pub task: u32,
    /// Workload class name.
    pub workload: String,
    /// Priority.
    pub priority: i32,
    /// CPU request, millicores.
    pub cpu_request_m: u64,
    /// Memory request, MiB.
    pub memory_request_mib: f64,
    /// Submission time.
    pub submit_s: f64,
    /// Bind time.
    pub bind_s: Option<f64>,
    /// Containers running.
    pub start_s: Option<f64>,
    /// Completion.
    pub finish_s: Option<f64>,
    /// Node name.
    pub node: Option<String>,
    /// Time waiting for the image after binding.
    pub image_pull_s: Option<f64>,
    /// Queue to bind: from submission, or from the last preemption.
    pub pending_s: Option<f64>,
    /// Scheduling attempts.
    pub attempts: u32,
    /// Times preempted.
    pub preemptions: u32,
    /// Container restarts and replacements after failures.
    pub restarts: u32,
    /// Final phase: Pending, Starting, Running, Succeeded, Terminated or Failed.
    pub phase: &'static str,
}

impl PodRecord {
    /// The record of `pod` as it stands.
    pub fn of(pod: &Pod, workload: &str, cluster: &Cluster) -> PodRecord {
        let secs = |t: Option<SimTime>| t.map(|t| t.as_secs_f64());
        PodRecord {
            pod: pod.id.0,
            job: pod.job,
            task: pod.task,
            workload: workload.to_string(),
            priority: pod.priority,
            cpu_request_m: pod.requests.cpu_milli,
            memory_request_mib: pod.requests.memory_bytes as f64 / (1u64 << 20) as f64,
            submit_s: pod.submitted.as_secs_f64(),
            bind_s: secs(pod.bound),
            start_s: secs(pod.started),
            finish_s: secs(pod.finished),
            node: pod.node.map(|n| cluster.node(n).name.clone()),
            image_pull_s: pod.bound.map(|_| pod.image_wait.as_secs_f64()),
            pending_s: pod.bound.map(|b| (b - pod.queued_at).as_secs_f64()),
            attempts: pod.attempts,
            preemptions: pod.preemptions,
            restarts: pod.restarts,
            phase: pod.phase.name(),
        }
    }
}

/// Where per-pod records go as pods finish (a CSV file, a vector in tests).
pub trait PodLog {
    /// Records one pod.
    fn record(&mut self, record: PodRecord);
}

impl PodLog for Vec<PodRecord> {
    fn record(&mut self, record: PodRecord) {
        self.push(record);
    }
}

/// Discards records (for benchmarks and sweeps that only need summaries).
pub struct NoPodLog;

impl PodLog for NoPodLog {
    fn record(&mut self, _: PodRecord) {}
}

/// The one-row `summary.csv` of a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Scheduler policy.
    pub policy: String,
    /// Master seed.
    pub seed: u64,
    /// Nodes.
    pub nodes: u64,
    /// Jobs submitted.
    pub jobs_submitted: u64,
    /// Pods submitted.
    pub pods_submitted: u64,
    /// Pods finished.
    pub pods_completed: u64,
    /// Pods never bound by the end.
    pub pods_pending_at_end: u64,
    /// Pods bound but not finished by the end.
    pub pods_unfinished_at_end: u64,
    /// Scheduling attempts.
    pub scheduling_attempts: u64,
    /// Attempts that found no feasible node.
    pub unschedulable_attempts: u64,
    /// Pods evicted by preemption (each goes back to the queue).
    pub preemptions: u64,
    /// CPU-seconds of running work lost to preemptions (request × time run).
    pub lost_cpu_seconds: f64,
    /// Time-weighted mean of requested/allocatable CPU.
    pub mean_cpu_allocated: f64,
    /// Time-weighted mean of requested/allocatable memory.
    pub mean_memory_allocated: f64,
    /// Time-weighted mean of requested/allocatable GPUs (0 without GPUs).
    pub mean_gpu_allocated: f64,
    /// Mean queue-to-bind time (from submission, or from the last preemption),
    /// seconds, over every wait of every pod; pods
    /// never bound count with their wait up to the end of the run (censored).
    pub pending_mean_s: f64,
    /// Median pending time (nearest rank, censored as the mean), seconds.
    pub pending_p50_s: f64,
    /// 95th percentile pending time, seconds.
    pub pending_p95_s: f64,
    /// 99th percentile pending time, seconds.
    pub pending_p99_s: f64,
    /// Image pulls started.
    pub image_pulls: u64,
    /// Mean wait for the image per bound pod, seconds.
    pub mean_image_wait_s: f64,
    /// Time of the last pod completion, seconds from the start.
    pub makespan_s: f64,
    /// Simulated time covered, seconds.
    pub simulated_s: f64,
    /// Node-hours of all pools (nodes in service or provisioning).
    pub node_hours: f64,
    /// Cost: node-hours × price per hour.
    pub cost: f64,
    /// Node scale-ups (nodes asked for, per decision).
    pub node_scale_ups: u64,
    /// Node removals.
    pub node_scale_downs: u64,
    /// Service requests offered.
    pub requests: f64,
    /// Served over offered requests (1 without services).
    pub request_success_ratio: f64,
    /// Seconds any service missed its SLO, summed over services.
    pub slo_violation_s: f64,
    /// Time-weighted mean of ready replicas, summed over services.
    pub replicas_mean: f64,
    /// Time-weighted 95th percentile of ready replicas, summed over services.
    pub replicas_p95: u64,
    /// Replica scale-ups and scale-downs by the replica autoscalers.
    pub replica_scaling_events: u64,
    /// Node failures (an outage counts each node it takes down).
    pub node_failures: u64,
    /// Node-seconds spent down.
    pub node_downtime_s: f64,
    /// Pods lost with their nodes (evicted after detection, or reclaimed).
    pub pods_lost: u64,
    /// Pods evicted by drains.
    pub evictions: u64,
    /// Container crashes, OOM kills included.
    pub crashes: u64,
    /// OOM kills.
    pub oom_kills: u64,
    /// Container restarts and task replacements after failures.
    pub restarts: u64,
    /// Batch tasks killed by failures.
    pub tasks_lost: u64,
    /// Batch tasks tried again after a failure.
    pub tasks_retried: u64,
    /// Batch jobs failed after their retry limit.
    pub jobs_failed: u64,
    /// CPU-seconds of batch work lost to failures (request × time run).
    pub failure_lost_cpu_seconds: f64,
    /// Mean over services of the fraction of time with a serving replica (1 without services).
    pub availability: f64,
    /// Mean over services of the fraction of time with every desired replica serving.
    pub full_availability: f64,
    /// Events processed.
    pub events: u64,
}

/// What autoscaling and failures contribute to the run summary.
pub struct ScalingTotals<'a> {
    /// Cost of all pools.
    pub cost: f64,
    /// Node-hours of all pools.
    pub node_hours: f64,
    /// Every scaling decision.
    pub events: &'a [services::ScalingEvent],
    /// Per-service summaries.
    pub services: &'a [services::ServiceSummary],
    /// Failure counts.
    pub failures: &'a failures::FailureTotals,
    /// Node-seconds down.
    pub node_downtime_s: f64,
}

/// Accumulates metrics as the run goes.
#[derive(Debug, Default)]
pub struct Collector {
    last: SimTime,
    requested_area: [u128; 3],
    capacity_area: [u128; 3],
    pending_us: Vec<u64>,
    image_pulls: u64,
    image_wait_us: u128,
    /// Scheduling attempts so far.
    pub attempts: u64,
    /// Failed attempts so far.
    pub unschedulable_attempts: u64,
    /// Jobs submitted so far.
    pub jobs: u64,
    /// Pods evicted by preemption so far.
    pub preemptions: u64,
    /// CPU-seconds of running work thrown away by preemptions.
    pub lost_cpu_seconds: f64,
    last_finish: SimTime,
    samples: Vec<Sample>,
}

fn parts(r: &Resources) -> [u128; 3] {
    [r.cpu_milli as u128, r.memory_bytes as u128, r.gpu as u128]
}

fn ratio(num: u128, den: u128) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// The mean of `value` over `services`, 1 without any.
fn mean_over(services: &[services::ServiceSummary], value: impl Fn(&services::ServiceSummary) -> f64) -> f64 {
    if services.is_empty() {
        1.0
    } else {
        services.iter().map(value).sum::<f64>() / services.len() as f64
    }
}

/// Nearest-rank quantile of sorted values: the smallest value with at least
/// `q·n` values at or below it.
pub fn nearest_rank(sorted: &[u64], q: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

/// How many points [`pending_quantiles`] gives: q = 0, 0.01, …, 1.
pub const PENDING_QUANTILE_POINTS: usize = 101;

/// The pending-time distribution of a run as its q-quantiles (nearest rank,
/// seconds) for q = 0, 0.01, …, 1: a fixed-size summary that sweeps keep per
/// run and average across replications (quantile averaging) to draw the
/// pending-time CDF, without keeping every pod's wait. Empty if no pod waited.
pub fn pending_quantiles(sorted_us: &[u64]) -> Vec<f64> {
    if sorted_us.is_empty() {
        return Vec::new();
    }
    (0..PENDING_QUANTILE_POINTS)
        .map(|k| nearest_rank(sorted_us, k as f64 / (PENDING_QUANTILE_POINTS - 1) as f64).map_or(0.0, |us| us as f64 / 1e6))
        .collect()
}

impl Collector {
    /// Integrates the cluster's requests and capacity from the last call to `now`.
    /// Call before every change of the cluster.
    pub fn advance(&mut self, now: SimTime, cluster: &Cluster) {
        let dt = now.saturating_since(self.last).as_micros() as u128;
        if dt > 0 {
            let (req, cap) = (parts(&cluster.requested()), parts(&cluster.allocatable()));
            for i in 0..3 {
                self.requested_area[i] += req[i] * dt;
                self.capacity_area[i] += cap[i] * dt;
            }
            self.last = now;
        }
    }

    /// A pod was bound after waiting `pending`; `pulled` if that started a pull.
    pub fn on_bind(&mut self, pod: &Pod) {
        if let Some(bound) = pod.bound {
            self.pending_us.push((bound - pod.queued_at).as_micros());
        }
        self.image_pulls += pod.pulled_image as u64;
        self.image_wait_us += pod.image_wait.as_micros() as u128;
    }

    /// A pod finished at `now`.
    pub fn on_finish(&mut self, now: SimTime) {
        self.last_finish = self.last_finish.max(now);
    }

    /// Takes a sample of `cluster` at `now`.
    /// `failures` is (restarts, pods lost) so far.
    pub fn sample(&mut self, now: SimTime, cluster: &Cluster, nodes_provisioning: u64, cost: f64, failures: (u64, u64)) {
        let (req, cap) = (cluster.requested(), cluster.allocatable());
        let c = cluster.counts();
        let (mut nodes, mut nodes_down, mut nodes_not_ready) = (0, 0, 0);
        for (_, n) in cluster.live_nodes() {
            nodes += 1;
            nodes_down += !n.up as u64;
            nodes_not_ready += !n.ready as u64;
        }
        self.samples.push(Sample {
            time_s: now.as_secs_f64(),
            cpu_allocated: ratio(req.cpu_milli as u128, cap.cpu_milli as u128),
            memory_allocated: ratio(req.memory_bytes as u128, cap.memory_bytes as u128),
            gpu_allocated: ratio(req.gpu as u128, cap.gpu as u128),
            pods_pending: c.pending,
            pods_starting: c.starting,
            pods_running: c.running,
            pods_succeeded: c.succeeded,
            nodes,
            nodes_provisioning,
            cost,
            nodes_down,
            nodes_not_ready,
            restarts: failures.0,
            pods_lost: failures.1,
        });
    }

    /// Samples taken so far (after any thinning).
    pub fn sample_count(&self) -> usize {
        self.samples.len()
    }

    /// Drops every other sample, keeping the first and the last (see [`thin`]).
    pub fn thin_samples(&mut self) {
        thin(&mut self.samples, 1, |_, _| {});
    }

    /// Time of the last sample, if any.
    pub fn last_sample_time(&self) -> Option<f64> {
        self.samples.last().map(|s| s.time_s)
    }

    /// The summary and the samples; `end` is the simulated time covered.
    pub fn finish(
        mut self,
        identity: (String, String, u64),
        end: SimTime,
        cluster: &Cluster,
        events: u64,
        scaling: &ScalingTotals<'_>,
    ) -> (Summary, Vec<Sample>, Vec<f64>) {
        let (svc, f) = (scaling.services, scaling.failures);
        // Summed from +0.0: `Iterator::sum` of no f64 is -0.0, which would
        // print as `-0.0` in runs without services.
        let total = |f: fn(&services::ServiceSummary) -> f64| svc.iter().map(f).fold(0.0, |a, b| a + b);
        let (requests, served) = (total(|s| s.requests), total(|s| s.served));
        let nodes_changed = |up: bool| scaling.events.iter().filter(|e| e.kind == "nodes" && (e.to > e.from) == up).count() as u64;
        let bound = self.pending_us.len() as u64;
        // Pods never bound count with their wait so far (censored at `end`):
        // leaving them out would make a policy that starves pods look fast.
        self.pending_us.extend(cluster.pods.iter().filter(|p| p.phase == PodPhase::Pending).map(|p| (end - p.queued_at).as_micros()));
        self.pending_us.sort_unstable();
        let waited = self.pending_us.len() as u64;
        let q = |p: f64| nearest_rank(&self.pending_us, p).map_or(0.0, |us| us as f64 / 1e6);
        let c = cluster.counts();
        let summary = Summary {
            scenario: identity.0,
            policy: identity.1,
            seed: identity.2,
            nodes: cluster.nodes.iter().filter(|n| !n.removed).count() as u64,
            jobs_submitted: self.jobs,
            pods_submitted: c.total(),
            pods_completed: c.succeeded,
            pods_pending_at_end: c.pending,
            pods_unfinished_at_end: c.starting + c.running,
            scheduling_attempts: self.attempts,
            unschedulable_attempts: self.unschedulable_attempts,
            preemptions: self.preemptions,
            lost_cpu_seconds: self.lost_cpu_seconds,
            mean_cpu_allocated: ratio(self.requested_area[0], self.capacity_area[0]),
            mean_memory_allocated: ratio(self.requested_area[1], self.capacity_area[1]),
            mean_gpu_allocated: ratio(self.requested_area[2], self.capacity_area[2]),
            pending_mean_s: if waited == 0 {
                0.0
            } else {
                self.pending_us.iter().map(|&u| u as u128).sum::<u128>() as f64 / waited as f64 / 1e6
            },
            pending_p50_s: q(0.50),
            pending_p95_s: q(0.95),
            pending_p99_s: q(0.99),
            image_pulls: self.image_pulls,
            mean_image_wait_s: if bound == 0 { 0.0 } else { self.image_wait_us as f64 / bound as f64 / 1e6 },
            makespan_s: self.last_finish.as_secs_f64(),
            simulated_s: end.as_secs_f64(),
            node_hours: scaling.node_hours,
            cost: scaling.cost,
            node_scale_ups: nodes_changed(true),
            node_scale_downs: nodes_changed(false),
            requests,
            request_success_ratio: if requests > 0.0 { served / requests } else { 1.0 },
            slo_violation_s: total(|s| s.slo_violation_s),
            replicas_mean: total(|s| s.replicas_mean),
            replicas_p95: svc.iter().map(|s| s.replicas_p95 as u64).sum(),
            replica_scaling_events: svc.iter().map(|s| (s.scale_ups + s.scale_downs) as u64).sum(),
            node_failures: f.node_failures,
            node_downtime_s: scaling.node_downtime_s,
            pods_lost: f.pods_lost,
            evictions: f.evictions,
            crashes: f.crashes,
            oom_kills: f.oom_kills,
            restarts: f.restarts,
            tasks_lost: f.tasks_lost(),
            tasks_retried: f.tasks_retried(),
            jobs_failed: f.jobs_failed(),
            failure_lost_cpu_seconds: f.lost_cpu_seconds(),
            availability: mean_over(svc, |s| s.available_fraction),
            full_availability: mean_over(svc, |s| s.fully_available_fraction),
            events,
        };
        let quantiles = pending_quantiles(&self.pending_us);
        (summary, self.samples, quantiles)
    }
}

/// Halves a table of periodic rows taken at an odd number of times, `per_time`
/// rows at each (one per service, one per pool): the rows of every odd time
/// go, and `absorb(kept, dropped)` folds each dropped row into the row of the
/// same entity at the next time, so that counters "since the previous sample"
/// still add up to the run's totals. Times 0, 2, 4, …, 2k remain: the same
/// grid at twice the interval, ending at the last time.
pub fn thin<T>(rows: &mut Vec<T>, per_time: usize, absorb: impl Fn(&mut T, &T)) {
    if per_time == 0 || rows.len() < 3 * per_time {
        return;
    }
    let times = rows.len() / per_time;
    debug_assert!(times % 2 == 1 && rows.len() % per_time == 0, "thin needs whole times, an odd number of them");
    for t in (1..times).step_by(2) {
        for e in 0..per_time {
            let (before, after) = rows.split_at_mut((t + 1) * per_time);
            absorb(&mut after[e], &before[t * per_time + e]);
        }
    }
    let mut index = 0;
    rows.retain(|_| {
        let keep = (index / per_time) % 2 == 0;
        index += 1;
        keep
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_even_times_and_folds_counters_forward() {
        // Two entities per time, five times: (time, entity, counter).
        let mut rows: Vec<(u32, u32, u32)> = (0..5).flat_map(|t| (0..2).map(move |e| (t, e, 10 * t + e))).collect();
        let total: u32 = rows.iter().map(|r| r.2).sum();
        thin(&mut rows, 2, |kept, dropped| kept.2 += dropped.2);
        assert_eq!(rows, vec![(0, 0, 0), (0, 1, 1), (2, 0, 30), (2, 1, 32), (4, 0, 70), (4, 1, 72)]);
        assert_eq!(rows.iter().map(|r| r.2).sum::<u32>(), total, "counters since the previous sample still add up");
        // Nothing to thin: no entities, or fewer than three times.
        let mut few = vec![1, 2];
        thin(&mut few, 1, |_, _| {});
        assert_eq!(few, [1, 2]);
        thin(&mut few, 0, |_, _| {});
        assert_eq!(few, [1, 2]);
    }

    #[test]
    fn nearest_rank_quantiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(nearest_rank(&v, 0.5), Some(50));
        assert_eq!(nearest_rank(&v, 0.95), Some(95));
        assert_eq!(nearest_rank(&v, 0.99), Some(99));
        assert_eq!(nearest_rank(&[7], 0.99), Some(7));
        assert_eq!(nearest_rank(&[], 0.5), None);
    }

    #[test]
    fn pending_quantiles_run_from_the_least_to_the_greatest_wait() {
        let v: Vec<u64> = (1..=200).map(|s| s * 1_000_000).collect();
        let q = pending_quantiles(&v);
        assert_eq!(q.len(), PENDING_QUANTILE_POINTS);
        assert_eq!((q[0], q[50], q[95], q[100]), (1.0, 100.0, 190.0, 200.0));
        assert!(pending_quantiles(&[]).is_empty());
    }
}
