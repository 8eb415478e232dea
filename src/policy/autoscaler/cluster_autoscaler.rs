//! Cluster Autoscaler (semantics.md §3; `core/static_autoscaler.go`,
//! `estimator/binpacking_estimator.go`, `expander/*`, FAQ):
//!
//! * **scale-up**, every scan (10 s): pods the scheduler marked unschedulable,
//!   less those that fit existing nodes or nodes already being provisioned,
//!   are packed onto each pool's template node ([`estimate_nodes`]); an
//!   expander picks one pool; its size grows by the nodes needed (up to max);
//! * **scale-down**: a node whose utilization (the larger of CPU and memory
//!   requested over allocatable) stays under 0.5 for 10 minutes is
//!   *unneeded*; unneeded nodes are removed, empty ones in bulk (up to 10),
//!   others one at a time and only when all their pods fit elsewhere within
//!   their disruption budgets; never within 10 minutes of a scale-up, nor
//!   below a pool's minimum.

use std::collections::BTreeMap;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::engine::SimRng;
use crate::model::{Node, NodeId, Pod, PodPhase, Resources};
use crate::policy::autoscaler::repack::{utilization, Repacker};
use crate::policy::autoscaler::{NodeAction, NodeAutoscaler, NodeScalingView};
use crate::policy::scheduler::filter;
use crate::time::{SimDuration, SimTime};

/// The result of simulating a scale-up of one node pool.
#[derive(Clone, Debug, PartialEq)]
pub struct ScaleUpOption {
    /// The pool (index into the scenario's pools).
    pub pool: usize,
    /// New nodes needed.
    pub nodes: u32,
    /// Pending pods those nodes would take.
    pub pods: u32,
    /// Sum of those pods' requests.
    pub requested: Resources,
    /// Allocatable of one node of the pool.
    pub node_allocatable: Resources,
    /// Price of one node per hour.
    pub price_per_hour: f64,
    /// The pool's priority for the `priority` expander (higher wins).
    pub priority: i32,
}

/// `--expander`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Expander {
    /// A random option (the FAQ's documented default).
    Random,
    /// The option taking the most pending pods.
    MostPods,
    /// The option wasting the least CPU and memory (the default in recent `flags.go`).
    #[default]
    LeastWaste,
    /// The option adding the fewest nodes.
    LeastNodes,
    /// The cheapest option (node-hours × price).
    Price,
    /// The pool with the highest priority.
    Priority,
}

/// `BinpackingNodeEstimator`: places `pods` (requests) onto new nodes of
/// `allocatable` first-fit, largest first, opening a node when none of the
/// new ones fits, up to `max_nodes`. Returns (nodes, requests of the pods
/// placed, pods placed); pods that fit no empty node are skipped.
pub fn estimate_nodes(pods: &[Resources], allocatable: Resources, max_pods: u32, max_nodes: u32) -> (u32, Resources, u32) {
    let mut order: Vec<&Resources> = pods.iter().filter(|p| p.fits_in(&allocatable)).collect();
    // Largest first (by the larger of the CPU and memory fractions), as CA
    // sorts by a request score before packing.
    let score = |r: &Resources| {
        let f = |a: u64, c: u64| if c == 0 { 0.0 } else { a as f64 / c as f64 };
        f(r.cpu_milli, allocatable.cpu_milli).max(f(r.memory_bytes, allocatable.memory_bytes))
    };
    order.sort_by(|a, b| score(b).total_cmp(&score(a)));
    let mut nodes: Vec<(Resources, u32)> = Vec::new();
    let (mut requested, mut placed) = (Resources::ZERO, 0u32);
    for pod in order {
        let i = match nodes.iter().position(|(free, n)| *n < max_pods && pod.fits_in(free)) {
            Some(i) => i,
            None if (nodes.len() as u32) < max_nodes => {
                nodes.push((allocatable, 0));
                nodes.len() - 1
            }
            None => continue,
        };
        let (free, n) = &mut nodes[i];
        *free = free.saturating_sub(pod);
        *n += 1;
        requested += *pod;
        placed += 1;
    }
    (nodes.len() as u32, requested, placed)
}

/// The least-waste expander's score: `(avail_cpu − req_cpu)/avail_cpu +
/// (avail_mem − req_mem)/avail_mem` over the new nodes (`waste.go`).
pub fn waste(option: &ScaleUpOption) -> f64 {
    let n = option.nodes as f64;
    let frac = |req: u64, cap: u64| {
        let avail = cap as f64 * n;
        if avail == 0.0 {
            0.0
        } else {
            (avail - req as f64) / avail
        }
    };
    frac(option.requested.cpu_milli, option.node_allocatable.cpu_milli)
        + frac(option.requested.memory_bytes, option.node_allocatable.memory_bytes)
}

/// Chooses among `options` with `expander`; ties (and `random`) are broken
/// uniformly with `rng`, as upstream's fallback to random.
pub fn choose(options: &[ScaleUpOption], expander: Expander, rng: &mut SimRng) -> Option<usize> {
    if options.is_empty() {
        return None;
    }
    // Lower key is better; f64 keys compare exactly (same inputs, same values).
    let key = |o: &ScaleUpOption| -> f64 {
        match expander {
            Expander::Random => 0.0,
            Expander::MostPods => -(o.pods as f64),
            Expander::LeastWaste => waste(o),
            Expander::LeastNodes => o.nodes as f64,
            Expander::Price => o.nodes as f64 * o.price_per_hour,
            Expander::Priority => -(o.priority as f64),
        }
    };
    let best = options.iter().map(key).fold(f64::INFINITY, f64::min);
    let ties: Vec<usize> = (0..options.len()).filter(|&i| key(&options[i]) == best).collect();
    Some(ties[if ties.len() > 1 { rng.random_range(0..ties.len()) } else { 0 }])
}

/// `filterOutSchedulable`: the pods of `view.unschedulable` still pending that
/// would stay pending without new nodes. Pods that fit a schedulable node in
/// service, then a node already being provisioned (its pool's template), are
/// placed there in turn (first fit, in node order, then pool order) and left
/// out. Shared by every node autoscaler that scales up on pending pods.
pub(crate) fn pods_needing_nodes<'a>(view: &NodeScalingView<'a>) -> Vec<&'a Pod> {
    let cluster = view.cluster;
    let pending: Vec<&'a Pod> = view.unschedulable.iter().map(|&p| cluster.pod(p)).filter(|p| p.phase == PodPhase::Pending).collect();
    if pending.is_empty() {
        return pending;
    }
    let mut free: Vec<(Resources, u32)> = cluster.nodes.iter().map(|n| (n.free(), n.max_pods.saturating_sub(n.pod_count))).collect();
    let mut upcoming: Vec<(usize, Resources, u32)> = Vec::new();
    for (i, pool) in view.pools.iter().enumerate() {
        let t = pool.template;
        upcoming.extend((0..pool.provisioning).map(|_| (i, t.allocatable, t.max_pods)));
    }
    let fits = |pod: &Pod, node: &Node, room: &mut (Resources, u32)| {
        let ok = room.1 > 0 && pod.requests.fits_in(&room.0) && filter::check_except_resources(pod, node);
        if ok {
            room.0 = room.0.saturating_sub(&pod.requests);
            room.1 -= 1;
        }
        ok
    };
    pending
        .into_iter()
        .filter(|pod| {
            let existing = cluster.nodes.iter().zip(free.iter_mut()).any(|(n, room)| n.schedulable() && fits(pod, n, room));
            let mut coming = || {
                upcoming.iter_mut().any(|(pool, alloc, pods)| {
                    let mut room = (*alloc, *pods);
                    let ok = fits(pod, view.pools[*pool].template, &mut room);
                    (*alloc, *pods) = room;
                    ok
                })
            };
            !existing && !coming()
        })
        .collect()
}

/// One [`ScaleUpOption`] per pool with headroom whose template takes some of
/// `pods` ([`estimate_nodes`] over the pods its filters admit, capped by the
/// headroom), in pool order.
pub(crate) fn scale_up_options(view: &NodeScalingView<'_>, pods: &[&Pod]) -> Vec<ScaleUpOption> {
    view.pools
        .iter()
        .enumerate()
        .filter(|(_, pool)| pool.headroom() > 0)
        .filter_map(|(i, pool)| {
            let t = pool.template;
            let requests: Vec<Resources> = pods.iter().filter(|p| filter::check(p, t).is_none()).map(|p| p.requests).collect();
            let (nodes, requested, placed) = estimate_nodes(&requests, t.allocatable, t.max_pods, pool.headroom());
            (nodes > 0).then_some(ScaleUpOption {
                pool: i,
                nodes,
                pods: placed,
                requested,
                node_allocatable: t.allocatable,
                price_per_hour: pool.price_per_hour,
                priority: pool.priority,
            })
        })
        .collect()
}

/// The flags that matter to the model, with upstream's defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct CaParams {
    /// `--scan-interval` (10 s).
    pub scan_interval: SimDuration,
    /// `--expander` (least-waste, the current `flags.go` default).
    pub expander: Expander,
    /// `--scale-down-enabled`.
    pub scale_down_enabled: bool,
    /// `--scale-down-utilization-threshold` (0.5).
    pub utilization_threshold: f64,
    /// `--scale-down-unneeded-time` (10 min).
    pub unneeded_time: SimDuration,
    /// `--scale-down-delay-after-add` (10 min).
    pub delay_after_add: SimDuration,
    /// `--scale-down-delay-after-delete` (0: the scan interval).
    pub delay_after_delete: SimDuration,
    /// `--max-empty-bulk-delete` (10).
    pub max_empty_bulk_delete: u32,
}

impl Default for CaParams {
    fn default() -> Self {
        CaParams {
            scan_interval: SimDuration::from_secs(10),
            expander: Expander::default(),
            scale_down_enabled: true,
            utilization_threshold: 0.5,
            unneeded_time: SimDuration::from_secs(600),
            delay_after_add: SimDuration::from_secs(600),
            delay_after_delete: SimDuration::ZERO,
            max_empty_bulk_delete: 10,
        }
    }
}

/// The `cluster-autoscaler` node autoscaler.
pub struct ClusterAutoscaler {
    params: CaParams,
    rng: SimRng,
    /// Since when each node has been under the utilization threshold.
    unneeded_since: BTreeMap<NodeId, SimTime>,
    last_scale_up: Option<SimTime>,
    last_scale_down: Option<SimTime>,
}

impl ClusterAutoscaler {
    /// A Cluster Autoscaler breaking expander ties with `rng`.
    pub fn new(params: CaParams, rng: SimRng) -> Self {
        ClusterAutoscaler { params, rng, unneeded_since: BTreeMap::new(), last_scale_up: None, last_scale_down: None }
    }

    /// The scale-up, if pending pods need one.
    fn scale_up(&mut self, view: &NodeScalingView<'_>) -> Option<NodeAction> {
        let helpless = pods_needing_nodes(view);
        if helpless.is_empty() {
            return None;
        }
        let options = scale_up_options(view, &helpless);
        let best = &options[choose(&options, self.params.expander, &mut self.rng)?];
        Some(NodeAction::Provision { pool: best.pool as u32, count: best.nodes, reason: "unschedulable pods" })
    }

    /// Updates the unneeded set and appends the removals due now.
    fn scale_down(&mut self, view: &NodeScalingView<'_>, actions: &mut Vec<NodeAction>) {
        let (now, p) = (view.now, &self.params);
        let live: Vec<(NodeId, &Node)> = view.cluster.live_nodes().filter(|(_, n)| n.schedulable()).collect();
        let mut unneeded = BTreeMap::new();
        for &(id, n) in &live {
            if utilization(n) < p.utilization_threshold {
                unneeded.insert(id, self.unneeded_since.get(&id).copied().unwrap_or(now));
            }
        }
        self.unneeded_since = unneeded;
        let cooling = self.last_scale_up.is_some_and(|t| now < t + p.delay_after_add)
            || self.last_scale_down.is_some_and(|t| now < t + p.delay_after_delete.max(p.scan_interval));
        if !p.scale_down_enabled || cooling {
            return;
        }
        // Nodes left per pool after this scan's removals, kept above the minimum.
        let mut left: Vec<u32> = view.pools.iter().map(|pool| pool.nodes).collect();
        let due = |id: NodeId, n: &Node, left: &[u32]| {
            let g = n.group as usize;
            self.unneeded_since.get(&id).is_some_and(|&t| now.saturating_since(t) >= p.unneeded_time) && left[g] > view.pools[g].min
        };
        let mut removed = 0;
        for &(id, n) in &live {
            if n.pod_count == 0 && removed < p.max_empty_bulk_delete && due(id, n, &left) {
                left[n.group as usize] -= 1;
                actions.push(NodeAction::Remove { node: id, reason: "empty" });
                removed += 1;
            }
        }
        if removed == 0 {
            let mut repack = Repacker::new();
            if let Some(&(id, _)) = live.iter().find(|&&(id, n)| due(id, n, &left) && repack.try_drain(view.cluster, id)) {
                actions.push(NodeAction::Remove { node: id, reason: "underutilized" });
                removed += 1;
            }
        }
        if removed > 0 {
            self.last_scale_down = Some(now);
        }
    }
}

impl NodeAutoscaler for ClusterAutoscaler {
    fn name(&self) -> &'static str {
        "cluster-autoscaler"
    }

    fn interval(&self) -> SimDuration {
        self.params.scan_interval
    }

    fn scan(&mut self, view: &NodeScalingView<'_>, actions: &mut Vec<NodeAction>) {
        if let Some(up) = self.scale_up(view) {
            self.last_scale_up = Some(view.now);
            actions.push(up);
            return;
        }
        self.scale_down(view, actions);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GI: u64 = 1 << 30;

    fn cpu(m: u64) -> Resources {
        Resources { cpu_milli: m, memory_bytes: GI, gpu: 0 }
    }

    /// Issue vector: 10 pending pods of 1 CPU on an empty pool of 4-CPU nodes
    /// need 3 nodes (4 + 4 + 2).
    #[test]
    fn ten_one_cpu_pods_need_three_four_cpu_nodes() {
        let node = Resources { cpu_milli: 4000, memory_bytes: 16 * GI, gpu: 0 };
        let (nodes, req, pods) = estimate_nodes(&[cpu(1000); 10], node, 110, 100);
        assert_eq!((nodes, pods), (3, 10));
        assert_eq!(req.cpu_milli, 10_000);
        // Capped by the pool's headroom: 2 nodes take 8 pods.
        assert_eq!(estimate_nodes(&[cpu(1000); 10], node, 110, 2).2, 8);
        // maxPods counts too: 3 pods per node → 4 nodes.
        assert_eq!(estimate_nodes(&[cpu(1000); 10], node, 3, 100).0, 4);
        // A pod larger than a node is skipped.
        assert_eq!(estimate_nodes(&[cpu(5000)], node, 110, 100), (0, Resources::ZERO, 0));
    }

    fn option(pool: usize, nodes: u32, pods: u32, req_cpu: u64, node_cpu: u64, price: f64) -> ScaleUpOption {
        ScaleUpOption {
            pool,
            nodes,
            pods,
            requested: Resources { cpu_milli: req_cpu, memory_bytes: pods as u64 * GI, gpu: 0 },
            node_allocatable: Resources { cpu_milli: node_cpu, memory_bytes: 16 * GI, gpu: 0 },
            price_per_hour: price,
            priority: pool as i32,
        }
    }

    #[test]
    fn expanders_pick_as_documented() {
        let mut rng = crate::engine::stream_rng(1, 0, crate::engine::StreamId::autoscaler(0));
        // 10 one-CPU pods: pool 0 has 4-CPU nodes (3 nodes: 2 CPUs wasted of
        // 12), pool 1 16-CPU nodes (1 node: 6 wasted of 16).
        let opts = [option(0, 3, 10, 10_000, 4000, 0.2), option(1, 1, 10, 10_000, 16_000, 0.5)];
        // Waste: 2/12 + (48−10)/48 = 0.958 vs 6/16 + 6/16 = 0.75 → pool 1.
        assert!((waste(&opts[0]) - (2.0 / 12.0 + 38.0 / 48.0)).abs() < 1e-12);
        assert_eq!(choose(&opts, Expander::LeastWaste, &mut rng), Some(1));
        assert_eq!(choose(&opts, Expander::LeastNodes, &mut rng), Some(1));
        // Price: 3 × 0.2 = 0.6 vs 0.5.
        assert_eq!(choose(&opts, Expander::Price, &mut rng), Some(1));
        assert_eq!(choose(&opts, Expander::Priority, &mut rng), Some(1));
        let more = [option(0, 3, 12, 12_000, 4000, 0.2), option(1, 1, 10, 10_000, 16_000, 0.5)];
        assert_eq!(choose(&more, Expander::MostPods, &mut rng), Some(0));
        // Random and ties: both options over 200 draws.
        let picks: Vec<usize> = (0..200).filter_map(|_| choose(&opts, Expander::Random, &mut rng)).collect();
        assert!(picks.contains(&0) && picks.contains(&1));
        assert_eq!(choose(&[], Expander::LeastWaste, &mut rng), None);
    }
}
