//! A cloud provider's node-group autoscaler with a target tracking policy, as
//! AWS Auto Scaling (EC2 Auto Scaling groups, Application Auto Scaling)
//! offers: it keeps one metric near a target by resizing the group, knowing
//! nothing of pods beyond that metric.
//!
//! **Metric**: the cluster's requested share of allocatable CPU (or the larger
//! of the CPU and memory shares), counting the requests of unschedulable
//! pending pods as demand, so that pods waiting for room drive scale-out:
//!
//! ```text
//! metric = (Σ requests of bound pods + Σ requests of unschedulable pods)
//!        / (Σ allocatable of schedulable nodes + Σ allocatable of nodes being provisioned)
//! ```
//!
//! Nodes still being provisioned count as capacity, as AWS counts the
//! capacity added by a scale-out in its cooldown towards the next one;
//! without that every scan until they join would ask for them again.
//!
//! **Desired size** of each scaled pool: `ceil(current · metric / target)`
//! clamped to the pool's [min, max] (`current` counts nodes being
//! provisioned). It is computed in integers, so a metric exactly at target
//! keeps the size. A pool at zero nodes cannot grow by proportion; it gets
//! one node when the metric is above target.
//!
//! **Scale-out** asks for the difference at once, then waits
//! `scale_out_cooldown` (60 s) before scaling out again. **Scale-in** is
//! conservative: never while the pool has nodes on their way, at most
//! `scale_in_step` nodes (1) per scan, only nodes whose pods all fit on the
//! other nodes (a [`Repacker`] what-if, within disruption budgets), least
//! utilized first (ties: node id), then `scale_in_cooldown` (300 s) before
//! the next scale-in; a scale-out ends that cooldown, as AWS documents.
//! (AWS picks instances to terminate by its termination policy, blind to
//! pods; draining the idlest node whose pods fit elsewhere is what a
//! Kubernetes-aware operator would configure.)
//!
//! **Which pools**: the one named `pool` in the parameters; without a name,
//! every autoscaled pool (max > min), each sized in proportion to its current
//! size by the same formula — as if each pool were an Auto Scaling group with
//! the same policy on the cluster-wide metric. Capacity of pools that are not
//! scaled counts in the metric but never grows, so growth lags when much of the
//! cluster is fixed; a named pool that does not exist is never scaled.
//!
//! Not modelled: CloudWatch's alarm evaluation periods (several one-minute
//! datapoints beyond the target before an alarm fires); the scan period
//! (60 s, CloudWatch's one-minute metrics) stands for them. There are no
//! random choices, so the policy needs no random stream.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::model::{NodeId, PodPhase, Resources};
use crate::policy::autoscaler::repack::{utilization, Repacker};
use crate::policy::autoscaler::{NodeAction, NodeAutoscaler, NodeScalingView};
use crate::time::{SimDuration, SimTime};

/// The metric a [`TargetTracking`] policy keeps at its target.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TrackedMetric {
    /// Requested over allocatable CPU (like `ASGAverageCPUUtilization`, but
    /// on requests, which is what a scheduler can place).
    #[default]
    Cpu,
    /// The larger of the CPU and memory shares.
    CpuOrMemory,
}

/// A target tracking policy's settings, with AWS's defaults where it has them.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetTrackingParams {
    /// How often the metric is evaluated (60 s: CloudWatch's one-minute
    /// metric period with detailed monitoring).
    pub interval: SimDuration,
    /// The metric.
    pub metric: TrackedMetric,
    /// `TargetValue`, as a fraction (0.7: a common choice, leaving 30 % room).
    pub target: f64,
    /// `ScaleOutCooldown` (60 s): after a scale-out, no other scale-out.
    pub scale_out_cooldown: SimDuration,
    /// `ScaleInCooldown` (300 s, AWS's default): after a scale-in, no other
    /// scale-in (a scale-out may happen, and ends it).
    pub scale_in_cooldown: SimDuration,
    /// Most nodes removed from a pool per scan (1).
    pub scale_in_step: u32,
    /// Whether the policy removes nodes (false: `DisableScaleIn`).
    pub scale_in_enabled: bool,
    /// The pool to scale; `None`: every pool with max > min, in proportion.
    pub pool: Option<String>,
}

impl Default for TargetTrackingParams {
    fn default() -> Self {
        TargetTrackingParams {
            interval: SimDuration::from_secs(60),
            metric: TrackedMetric::default(),
            target: 0.7,
            scale_out_cooldown: SimDuration::from_secs(60),
            scale_in_cooldown: SimDuration::from_secs(300),
            scale_in_step: 1,
            scale_in_enabled: true,
            pool: None,
        }
    }
}

/// Parts per million, the unit the target is compared in (integer arithmetic).
const PPM: u128 = 1_000_000;

/// `ceil(current · demand / (capacity · target))` with the target in parts
/// per million; `None` when there is demand and no capacity.
fn scaled(current: u32, demand: u64, capacity: u64, target_ppm: u128) -> Option<u64> {
    if demand == 0 {
        return Some(0);
    }
    let den = capacity as u128 * target_ppm;
    if den == 0 {
        return None;
    }
    let n = current as u128 * demand as u128 * PPM;
    Some(n.div_ceil(den).min(u64::MAX as u128) as u64)
}

/// The desired size of a pool of `current` nodes (in service plus on their
/// way) when the cluster's demand and capacity are as given, before the
/// pool's bounds: the largest over the tracked resources of
/// `ceil(current · demand / (capacity · target))`; a pool at zero gets one
/// node when the metric is above target.
pub fn desired_nodes(current: u32, demand: Resources, capacity: Resources, metric: TrackedMetric, target: f64) -> u64 {
    let target_ppm = (target * PPM as f64).round().max(1.0) as u128;
    let both = [(demand.cpu_milli, capacity.cpu_milli), (demand.memory_bytes, capacity.memory_bytes)];
    let resources = match metric {
        TrackedMetric::Cpu => &both[..1],
        TrackedMetric::CpuOrMemory => &both[..],
    };
    if current == 0 {
        let above = resources.iter().any(|&(d, c)| d as u128 * PPM > c as u128 * target_ppm);
        return above as u64;
    }
    resources.iter().map(|&(d, c)| scaled(current, d, c, target_ppm).unwrap_or(u64::MAX)).max().unwrap_or(0)
}

/// The `target-tracking` node autoscaler.
#[derive(Debug)]
pub struct TargetTracking {
    params: TargetTrackingParams,
    /// Per pool: the last scale-out.
    last_out: Vec<Option<SimTime>>,
    /// Per pool: the last scale-in, unless a scale-out came after it.
    last_in: Vec<Option<SimTime>>,
    /// Nodes this policy asked to remove that are still in service.
    removing: BTreeSet<NodeId>,
}

impl TargetTracking {
    /// A target tracking policy with `params`. It makes no random choices, so
    /// it takes no random stream.
    pub fn new(params: TargetTrackingParams) -> Self {
        TargetTracking { params, last_out: Vec::new(), last_in: Vec::new(), removing: BTreeSet::new() }
    }

    /// Whether pool `i` (of `view.pools`) is scaled.
    fn scales(&self, view: &NodeScalingView<'_>, i: usize) -> bool {
        let pool = &view.pools[i];
        match &self.params.pool {
            Some(name) => pool.name == name,
            None => pool.max > pool.min,
        }
    }
}

impl NodeAutoscaler for TargetTracking {
    fn name(&self) -> &'static str {
        "target-tracking"
    }

    fn interval(&self) -> SimDuration {
        self.params.interval
    }

    fn scan(&mut self, view: &NodeScalingView<'_>, actions: &mut Vec<NodeAction>) {
        let (now, cluster, p) = (view.now, view.cluster, &self.params);
        let pools = view.pools.len();
        self.last_out.resize(pools, None);
        self.last_in.resize(pools, None);
        self.removing.retain(|&id| !cluster.node(id).removed);

        let in_service = |id: NodeId, n: &crate::model::Node| n.schedulable() && !self.removing.contains(&id);
        let mut demand = cluster.requested();
        for &pod in view.unschedulable {
            let pod = cluster.pod(pod);
            if pod.phase == PodPhase::Pending {
                demand += pod.requests;
            }
        }
        let mut capacity = Resources::ZERO;
        let mut nodes = vec![0u32; pools];
        for (id, n) in cluster.live_nodes() {
            if in_service(id, n) {
                capacity += n.allocatable;
                if let Some(c) = nodes.get_mut(n.group as usize) {
                    *c += 1;
                }
            }
        }
        for pool in view.pools {
            for _ in 0..pool.provisioning {
                capacity += pool.template.allocatable;
            }
        }

        let mut removals: Vec<(usize, u32)> = Vec::new();
        for (i, pool) in view.pools.iter().enumerate() {
            if !self.scales(view, i) {
                continue;
            }
            let current = nodes[i] + pool.provisioning;
            // Bounds without `clamp`, which panics on min > max (a scenario error).
            let desired = desired_nodes(current, demand, capacity, p.metric, p.target).min(pool.max as u64).max(pool.min as u64) as u32;
            if desired > current {
                let count = (desired - current).min(pool.headroom());
                let cooling = self.last_out[i].is_some_and(|t| now < t + p.scale_out_cooldown);
                if count > 0 && !cooling {
                    actions.push(NodeAction::Provision { pool: i as u32, count, reason: "above target" });
                    self.last_out[i] = Some(now);
                    self.last_in[i] = None;
                }
            } else if desired < current && p.scale_in_enabled && pool.provisioning == 0 {
                let cooling = self.last_in[i].is_some_and(|t| now < t + p.scale_in_cooldown);
                if !cooling {
                    removals.push((i, (current - desired).min(p.scale_in_step)));
                }
            }
        }
        if removals.is_empty() {
            return;
        }
        // One what-if for all pools' removals: pods moved from one node take
        // room that another removal cannot count on.
        let mut repack = Repacker::new();
        for (id, n) in cluster.live_nodes() {
            if !in_service(id, n) {
                repack.exclude(id);
            }
        }
        let mut removed: Vec<NodeId> = Vec::new();
        for (i, count) in removals {
            let mut idle: Vec<(f64, NodeId)> = cluster
                .live_nodes()
                .filter(|&(id, n)| n.group as usize == i && in_service(id, n))
                .map(|(id, n)| (utilization(n), id))
                .collect();
            idle.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let mut taken = 0;
            for (_, id) in idle {
                if taken == count {
                    break;
                }
                if repack.try_drain(cluster, id) {
                    removed.push(id);
                    actions.push(NodeAction::Remove { node: id, reason: "below target" });
                    taken += 1;
                }
            }
            if taken > 0 {
                self.last_in[i] = Some(now);
            }
        }
        self.removing.extend(removed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DisruptionBudget;
    use crate::policy::autoscaler::repack::tests_support::{Pool, World, GI};

    fn cpu(m: u64) -> Resources {
        Resources { cpu_milli: m, memory_bytes: GI, gpu: 0 }
    }

    fn provision(pool: u32, count: u32) -> NodeAction {
        NodeAction::Provision { pool, count, reason: "above target" }
    }

    fn remove(node: NodeId) -> NodeAction {
        NodeAction::Remove { node, reason: "below target" }
    }

    #[test]
    fn desired_size_is_ceil_of_current_times_metric_over_target() {
        let m = TrackedMetric::Cpu;
        // 4 nodes at 100 % (16 of 16 CPUs) with target 70 %: ceil(4 · 1.0 / 0.7) = ceil(5.71) = 6.
        assert_eq!(desired_nodes(4, cpu(16_000), cpu(16_000), m, 0.7), 6);
        // Exactly at target: unchanged (no floating-point drift to 11).
        assert_eq!(desired_nodes(10, cpu(28_000), cpu(40_000), m, 0.7), 10);
        // 20 % on 5 nodes: ceil(5 · 0.2 / 0.7) = ceil(1.43) = 2.
        assert_eq!(desired_nodes(5, cpu(4000), cpu(20_000), m, 0.7), 2);
        assert_eq!(desired_nodes(5, Resources::ZERO, cpu(20_000), m, 0.7), 0);
        // From zero: one node when there is demand above target, none otherwise.
        assert_eq!(desired_nodes(0, cpu(1000), Resources::ZERO, m, 0.7), 1);
        assert_eq!(desired_nodes(0, Resources::ZERO, Resources::ZERO, m, 0.7), 0);
        // Memory counts only with CpuOrMemory: 50 % CPU, 90 % memory → ceil(4 · 0.9 / 0.7) = 6.
        let demand = Resources { cpu_milli: 8000, memory_bytes: 90 * GI, gpu: 0 };
        let capacity = Resources { cpu_milli: 16_000, memory_bytes: 100 * GI, gpu: 0 };
        assert_eq!(desired_nodes(4, demand, capacity, m, 0.7), 3);
        assert_eq!(desired_nodes(4, demand, capacity, TrackedMetric::CpuOrMemory, 0.7), 6);
    }

    #[test]
    fn pending_pods_drive_scale_out_and_the_cooldown_holds_the_next_one() {
        let mut w = World::new(vec![Pool(4000, 1, 10, 0.2)]);
        for _ in 0..4 {
            w.node(0, &[3500]);
        }
        let waiting = w.pending(2000);
        let mut tt = TargetTracking::new(TargetTrackingParams::default());
        // (14 + 2) / 16 CPUs = 100 %: 6 nodes.
        assert_eq!(w.scan(&mut tt, 0, &[waiting]), [provision(0, 2)]);
        // The 2 nodes on their way count: (16 / 24) → ceil(6 · 0.667 / 0.7) = 6.
        w.provisioning[0] = 2;
        assert_eq!(w.scan(&mut tt, 30, &[waiting]), []);
        // 8 more CPUs pending: ceil(6 · 24 / 24 / 0.7) = 9, but the cooldown runs to 60 s.
        let more = w.pending(8000);
        assert_eq!(w.scan(&mut tt, 30, &[waiting, more]), []);
        assert_eq!(w.scan(&mut tt, 60, &[waiting, more]), [provision(0, 3)]);
    }

    #[test]
    fn scale_out_stops_at_the_maximum() {
        let mut w = World::new(vec![Pool(4000, 1, 5, 0.2)]);
        for _ in 0..4 {
            w.node(0, &[3500]);
        }
        let waiting = w.pending(2000);
        let mut tt = TargetTracking::new(TargetTrackingParams::default());
        assert_eq!(w.scan(&mut tt, 0, &[waiting]), [provision(0, 1)]);
        w.provisioning[0] = 1;
        assert_eq!(w.scan(&mut tt, 60, &[waiting]), [], "at max");
    }

    #[test]
    fn scales_in_one_idle_node_at_a_time_with_cooldown_down_to_the_minimum() {
        let mut w = World::new(vec![Pool(4000, 2, 10, 0.2)]);
        let n: Vec<NodeId> = [&[1000][..], &[500], &[1500], &[], &[1000]].iter().map(|cpus| w.node(0, cpus)).collect();
        let mut tt = TargetTracking::new(TargetTrackingParams::default());
        // 4 of 20 CPUs: desired 2; one node per scan, the idlest first.
        assert_eq!(w.scan(&mut tt, 0, &[]), [remove(n[3])]);
        // Still draining: not counted, and the scale-in cooldown (300 s) runs.
        assert_eq!(w.scan(&mut tt, 60, &[]), []);
        w.cluster.remove_node(n[3], SimTime::from_secs(70));
        assert_eq!(w.scan(&mut tt, 240, &[]), []);
        // Next idlest: node 1 (0.5 CPU), whose pod fits on node 0.
        assert_eq!(w.scan(&mut tt, 300, &[]), [remove(n[1])]);
        w.drain(n[1], n[0], 310);
        // Node 0 now holds 1.5 CPUs: node 4 (1 CPU) is the idlest.
        assert_eq!(w.scan(&mut tt, 600, &[]), [remove(n[4])]);
        w.drain(n[4], n[0], 610);
        // Two nodes left: the minimum.
        assert_eq!(w.scan(&mut tt, 900, &[]), []);
        assert_eq!(w.scan(&mut tt, 1200, &[]), []);
    }

    #[test]
    fn scale_in_takes_only_nodes_whose_pods_can_move() {
        let mut w = World::new(vec![Pool(4000, 0, 10, 0.2)]);
        let guarded = w.node(0, &[]);
        let p = w.run(1000, guarded, 0);
        w.cluster.pods[p.index()].workload = 1;
        w.cluster.set_disruption_budgets(vec![None, Some(DisruptionBudget::MinAvailable(crate::model::PodCount::Pods(1)))]);
        let n1 = w.node(0, &[2000]);
        w.node(0, &[2000]);
        w.node(0, &[2000]);
        // 7 of 16 CPUs: desired ceil(4 · 0.4375 / 0.7) = 3. The idlest node's
        // pod may not be evicted; the next one's moves to it.
        let mut tt = TargetTracking::new(TargetTrackingParams { scale_in_step: 2, ..TargetTrackingParams::default() });
        assert_eq!(w.scan(&mut tt, 0, &[]), [remove(n1)]);
    }

    #[test]
    fn scale_in_steps_and_disabling() {
        let mut w = World::new(vec![Pool(4000, 0, 10, 0.2)]);
        let n: Vec<NodeId> = (0..4).map(|_| w.node(0, &[])).collect();
        let mut tt = TargetTracking::new(TargetTrackingParams { scale_in_step: 3, ..TargetTrackingParams::default() });
        assert_eq!(w.scan(&mut tt, 0, &[]), [remove(n[0]), remove(n[1]), remove(n[2])]);
        let mut off = TargetTracking::new(TargetTrackingParams { scale_in_enabled: false, ..TargetTrackingParams::default() });
        assert_eq!(w.scan(&mut off, 0, &[]), []);
    }

    #[test]
    fn a_named_pool_or_every_autoscaled_pool_in_proportion() {
        // p0 and p1 autoscaled, p2 fixed (min = max).
        let mut w = World::new(vec![Pool(4000, 1, 10, 0.2), Pool(4000, 1, 10, 0.2), Pool(4000, 1, 1, 0.2)]);
        for pool in [0, 0, 1, 1, 2] {
            w.node(pool, &[3500]);
        }
        let waiting = w.pending(2500);
        // (17.5 + 2.5) / 20 = 100 %: each 2-node pool to ceil(2 / 0.7) = 3.
        let mut all = TargetTracking::new(TargetTrackingParams::default());
        assert_eq!(w.scan(&mut all, 0, &[waiting]), [provision(0, 1), provision(1, 1)]);
        let mut one = TargetTracking::new(TargetTrackingParams { pool: Some("p1".into()), ..TargetTrackingParams::default() });
        assert_eq!(w.scan(&mut one, 0, &[waiting]), [provision(1, 1)]);
        let mut none = TargetTracking::new(TargetTrackingParams { pool: Some("gpu".into()), ..TargetTrackingParams::default() });
        assert_eq!(w.scan(&mut none, 0, &[waiting]), []);
        assert_eq!((all.name(), all.interval()), ("target-tracking", SimDuration::from_secs(60)));
    }

    #[test]
    fn a_scale_out_ends_the_scale_in_cooldown() {
        let mut w = World::new(vec![Pool(4000, 1, 10, 0.2)]);
        let idle = w.node(0, &[]);
        w.node(0, &[2000]);
        let mut tt = TargetTracking::new(TargetTrackingParams::default());
        // 2 of 8 CPUs: ceil(2 · 0.25 / 0.7) = 1.
        assert_eq!(w.scan(&mut tt, 0, &[]), [remove(idle)]);
        w.cluster.remove_node(idle, SimTime::from_secs(5));
        // Demand: (2 + 3) / 4 = 125 % → ceil(1.79) = 2.
        let waiting = w.pending(3000);
        assert_eq!(w.scan(&mut tt, 60, &[waiting]), [provision(0, 1)]);
        let joined = w.node(0, &[]);
        w.provisioning[0] = 0;
        // The pod finished: 2 of 8 CPUs again, and scale-in may go at once.
        assert_eq!(w.scan(&mut tt, 120, &[]), [remove(joined)]);
    }
}
