//! Cluster Autoscaler (semantics.md §3; kubernetes/autoscaler
//! cluster-autoscaler-1.36: `core/static_autoscaler.go`,
//! `core/scaledown/{planner,unneeded,unremovable,eligibility,budgets}`,
//! `simulator/cluster.go`, `estimator/binpacking_estimator.go`, `expander/*`):
//!
//! * **scale-up**, every scan (10 s): pods the scheduler marked unschedulable,
//!   less those that fit existing nodes or nodes already being provisioned,
//!   are packed onto each pool's template node ([`estimate_nodes`]); an
//!   expander picks one pool; its size grows by the nodes needed (up to max);
//! * **scale-down**, every scan too: a node at or below the utilization
//!   threshold (the larger of CPU and memory requested over allocatable) is
//!   simulated away, and becomes *unneeded* only if every one of its pods
//!   finds a place on the other nodes (the scheduler's filters, inter-pod
//!   rules included, and disruption budgets; nodes found unneeded earlier in the scan take no pods); its
//!   timer starts then. A node whose simulation fails is not simulated
//!   again for 5 minutes. A node unneeded for strictly longer than the
//!   unneeded time (10 minutes) is removed, never below its pool's minimum,
//!   never within 10 minutes of a scale-up; up to 10 per scan, at most one
//!   of them with pods to move.

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

/// `BinpackingNodeEstimator` (`estimator/binpacking_estimator.go`): places
/// `pods` (requests) onto new nodes of `allocatable` first-fit, largest
/// first, opening a node when none of the new ones fits, up to `max_nodes`
/// (the limiter). Returns (nodes, requests of the pods
/// placed, pods placed); pods that fit no empty node are skipped.
pub fn estimate_nodes(pods: &[Resources], allocatable: Resources, max_pods: u32, max_nodes: u32) -> (u32, Resources, u32) {
    let mut order: Vec<&Resources> = pods.iter().filter(|p| p.fits_in(&allocatable)).collect();
    // Largest first, by `DecreasingPodOrderer`'s score: the CPU fraction of
    // the template plus the memory fraction (`decreasing_pod_orderer.go`).
    let score = |r: &Resources| {
        let f = |a: u64, c: u64| if c == 0 { 0.0 } else { a as f64 / c as f64 };
        f(r.cpu_milli, allocatable.cpu_milli) + f(r.memory_bytes, allocatable.memory_bytes)
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
/// uniformly with `rng`, as upstream's fallback to random. `least-nodes`
/// passes over options adding no node (`leastnodes.go` keeps only
/// `NodeCount > 0`).
pub fn choose(options: &[ScaleUpOption], expander: Expander, rng: &mut SimRng) -> Option<usize> {
    let valid = |o: &ScaleUpOption| expander != Expander::LeastNodes || o.nodes > 0;
    if !options.iter().any(valid) {
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
    let best = options.iter().filter(|o| valid(o)).map(key).fold(f64::INFINITY, f64::min);
    let ties: Vec<usize> = (0..options.len()).filter(|&i| valid(&options[i]) && key(&options[i]) == best).collect();
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

/// The flags that matter to the model, with upstream's defaults
/// (`config/flags/flags.go` and `config/const.go`, cluster-autoscaler-1.36).
#[derive(Clone, Debug, PartialEq)]
pub struct CaParams {
    /// `--scan-interval` (10 s).
    pub scan_interval: SimDuration,
    /// `--expander` (least-waste, the current `flags.go` default).
    pub expander: Expander,
    /// `--scale-down-enabled`.
    pub scale_down_enabled: bool,
    /// `--scale-down-utilization-threshold` (0.5): a node at or below it is
    /// a scale-down candidate (`eligibility.go`: `utilization > threshold`
    /// rules it out).
    pub utilization_threshold: f64,
    /// `--scale-down-unneeded-time` (10 min).
    pub unneeded_time: SimDuration,
    /// `--scale-down-unready-time` (20 min): the unneeded time of a node
    /// that is not ready.
    pub unready_time: SimDuration,
    /// `--scale-down-delay-after-add` (10 min).
    pub delay_after_add: SimDuration,
    /// `--scale-down-delay-after-delete` (0).
    pub delay_after_delete: SimDuration,
    /// `--unremovable-node-recheck-timeout` (5 min): how long a node whose
    /// removal simulation failed is left out of the next simulations.
    pub unremovable_recheck_timeout: SimDuration,
    /// `--max-scale-down-parallelism` (10): nodes (empty or not) removed
    /// in one scan.
    pub max_scale_down_parallelism: u32,
    /// `--max-drain-parallelism` (1): non-empty nodes removed in one scan.
    pub max_drain_parallelism: u32,
}

impl Default for CaParams {
    fn default() -> Self {
        CaParams {
            scan_interval: SimDuration::from_secs(10),
            expander: Expander::default(),
            scale_down_enabled: true,
            utilization_threshold: 0.5,
            unneeded_time: SimDuration::from_secs(600),
            unready_time: SimDuration::from_secs(1200),
            delay_after_add: SimDuration::from_secs(600),
            delay_after_delete: SimDuration::ZERO,
            unremovable_recheck_timeout: SimDuration::from_secs(300),
            max_scale_down_parallelism: 10,
            max_drain_parallelism: 1,
        }
    }
}

/// A node the last scan found unneeded: its removal simulation found a place
/// for every one of its pods (`unneeded/nodes.go`'s tracked node).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnneededNode {
    /// When it was first found unneeded, kept while it stays unneeded.
    pub since: SimTime,
    /// Whether it has no pods to move (removed in bulk).
    pub empty: bool,
    /// Whether it was ready (else `--scale-down-unready-time` applies).
    pub ready: bool,
}

/// The `cluster-autoscaler` node autoscaler.
pub struct ClusterAutoscaler {
    params: CaParams,
    rng: SimRng,
    /// The nodes found unneeded by the last scan.
    unneeded: BTreeMap<NodeId, UnneededNode>,
    /// Nodes whose removal simulation failed, and until when they are not
    /// simulated again (`unremovable/nodes.go`'s TTLs).
    unremovable_until: BTreeMap<NodeId, SimTime>,
    /// The last scan, and the shortest time between two (the planner's
    /// `latestUpdate` and `minUpdateInterval`).
    latest_update: Option<SimTime>,
    min_update_interval: SimDuration,
    last_scale_up: Option<SimTime>,
    last_scale_down: Option<SimTime>,
}

impl ClusterAutoscaler {
    /// A Cluster Autoscaler breaking expander ties with `rng`.
    pub fn new(params: CaParams, rng: SimRng) -> Self {
        // planner.New: the interval starts at the unneeded time (1 ns if 0).
        let min_update_interval = params.unneeded_time.max(SimDuration::from_micros(1));
        ClusterAutoscaler {
            params,
            rng,
            unneeded: BTreeMap::new(),
            unremovable_until: BTreeMap::new(),
            latest_update: None,
            min_update_interval,
            last_scale_up: None,
            last_scale_down: None,
        }
    }

    /// The nodes the last scan found unneeded, and since when.
    pub fn unneeded(&self) -> &BTreeMap<NodeId, UnneededNode> {
        &self.unneeded
    }

    /// Until when `node` is left out of removal simulations after one
    /// failed, if it is.
    pub fn unremovable_until(&self, node: NodeId) -> Option<SimTime> {
        self.unremovable_until.get(&node).copied()
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

    /// `Planner.unneededNodesLimit`: how many removable nodes a scan looks
    /// for before it stops simulating, `min(unneeded + 2N, N·max(U, I)/I + N)`
    /// with N the scale-down parallelism, U the unneeded time and I the
    /// shortest interval between scans seen.
    fn unneeded_nodes_limit(&self) -> usize {
        let n = self.params.max_scale_down_parallelism as usize;
        let limit = self.unneeded.len() + 2 * n;
        let interval = self.min_update_interval.as_micros().max(1);
        let u = self.params.unneeded_time.as_micros().max(interval);
        limit.min(n * (u / interval) as usize + n)
    }

    /// `Planner.UpdateClusterState` / `categorizeNodes`: finds the unneeded
    /// nodes. The candidates are the nodes in service not being deleted
    /// whose pool is above its minimum (`PreFilteringScaleDownNodeProcessor`),
    /// empty ones first, then those unneeded at the last scan
    /// (`EmptySorting`, `PreviousCandidates`), else in node order. Each one
    /// not recently found unremovable and at or below the utilization
    /// threshold is simulated away (`SimulateNodeRemoval`): its pods must
    /// all fit on other nodes with the scheduler's filters, within their
    /// disruption budgets; a success is kept for the next candidates (its
    /// pods take room, it takes none), a failure leaves the node out for
    /// `unremovable_recheck_timeout`. The nodes found keep the time they were
    /// first found unneeded (`unneeded.Nodes.Update`).
    fn update_cluster_state(&mut self, view: &NodeScalingView<'_>) {
        let (now, cluster) = (view.now, view.cluster);
        if let Some(last) = self.latest_update {
            self.min_update_interval = self.min_update_interval.min(now.saturating_since(last));
        }
        self.latest_update = Some(now);
        // unremovable.Nodes.Update: forget removed nodes and expired TTLs.
        self.unremovable_until.retain(|&id, until| !cluster.node(id).removed && *until > now);
        let mut candidates: Vec<(NodeId, &Node)> = cluster
            .live_nodes()
            .filter(|(_, n)| {
                let pool = &view.pools[n.group as usize];
                !n.cordoned && pool.nodes + pool.provisioning > pool.min
            })
            .collect();
        candidates.sort_by_key(|&(id, n)| (n.pod_count != 0, !self.unneeded.contains_key(&id)));
        let (limit, p) = (self.unneeded_nodes_limit(), &self.params);
        let recheck = now + p.unremovable_recheck_timeout;
        let mut repack = Repacker::with_inter_pod_rules();
        let mut unneeded = BTreeMap::new();
        for (id, n) in candidates {
            if self.unremovable_until.contains_key(&id) || !utilization_known(n) || utilization(n) > p.utilization_threshold {
                continue;
            }
            if unneeded.len() >= limit {
                break;
            }
            if repack.try_drain(cluster, id) {
                let since = self.unneeded.get(&id).map_or(now, |u: &UnneededNode| u.since);
                unneeded.insert(id, UnneededNode { since, empty: n.pod_count == 0, ready: n.ready });
            } else {
                self.unremovable_until.insert(id, recheck);
            }
        }
        self.unneeded = unneeded;
    }

    /// `Planner.NodesToDelete` and the budget processor's `CropNodes`: the
    /// unneeded nodes whose unneeded time has passed *strictly* (`since +
    /// threshold` before now, `unneeded.Nodes.RemovableAt`) and whose pool
    /// stays above its minimum (its size counting nodes being provisioned,
    /// as the target size does), empty ones first; then, grouped by pool,
    /// up to `max_scale_down_parallelism` of them, of which at most
    /// `max_drain_parallelism` non-empty. Upstream walks Go maps here (an
    /// unspecified order); orchsim walks nodes in id order.
    fn nodes_to_delete(&self, view: &NodeScalingView<'_>) -> (Vec<NodeId>, Vec<NodeId>) {
        let (now, p) = (view.now, &self.params);
        let mut size: Vec<u32> = view.pools.iter().map(|pool| pool.nodes + pool.provisioning).collect();
        let mut removable = |empty: bool| -> Vec<NodeId> {
            let mut out = Vec::new();
            for (&id, u) in self.unneeded.iter().filter(|(_, u)| u.empty == empty) {
                let threshold = if u.ready { p.unneeded_time } else { p.unready_time };
                if threshold > SimDuration::ZERO && u.since + threshold >= now {
                    continue;
                }
                let g = view.cluster.node(id).group as usize;
                if size[g] <= view.pools[g].min {
                    continue;
                }
                size[g] -= 1;
                out.push(id);
            }
            out
        };
        let (empty, drain) = (removable(true), removable(false));
        let empty = crop_by_pool(view, empty, p.max_scale_down_parallelism as usize);
        let drain_budget = (p.max_scale_down_parallelism as usize - empty.len()).min(p.max_drain_parallelism as usize);
        (empty, crop_by_pool(view, drain, drain_budget))
    }
}

/// Whether `utilization.Calculate` can compute `node`'s utilization: on a
/// node without GPUs, CPU and memory allocatable must not be 0
/// (`CalculateUtilizationOfResource` fails, and the node is not a
/// candidate).
fn utilization_known(node: &Node) -> bool {
    let a = node.allocatable;
    a.gpu > 0 || (a.cpu_milli > 0 && a.memory_bytes > 0)
}

/// `cropIndividualNodes`: `nodes` grouped by pool (pools in order of first
/// appearance), whole groups taken while the budget lasts, the last one cut
/// to what is left. Returns the nodes taken.
fn crop_by_pool(view: &NodeScalingView<'_>, nodes: Vec<NodeId>, budget: usize) -> Vec<NodeId> {
    let mut groups: Vec<(u32, Vec<NodeId>)> = Vec::new();
    for id in nodes {
        let g = view.cluster.node(id).group;
        match groups.iter_mut().find(|(pool, _)| *pool == g) {
            Some((_, members)) => members.push(id),
            None => groups.push((g, vec![id])),
        }
    }
    let mut taken = Vec::new();
    for (_, members) in groups {
        let left = budget - taken.len();
        if left == 0 {
            break;
        }
        taken.extend(members.into_iter().take(left));
    }
    taken
}

impl NodeAutoscaler for ClusterAutoscaler {
    fn name(&self) -> &'static str {
        "cluster-autoscaler"
    }

    fn interval(&self) -> SimDuration {
        self.params.scan_interval
    }

    /// `StaticAutoscaler.RunOnce`: a scale-up if pending pods need one; then,
    /// in the same scan, the scale-down planner finds the unneeded nodes
    /// (even right after a scale-up, so their timers run on), and unless
    /// scale-down is cooling down after a scale-up or a removal
    /// (`isScaleDownInCooldown`), the nodes due are removed.
    fn scan(&mut self, view: &NodeScalingView<'_>, actions: &mut Vec<NodeAction>) {
        let now = view.now;
        if let Some(up) = self.scale_up(view) {
            self.last_scale_up = Some(now);
            actions.push(up);
        }
        if !self.params.scale_down_enabled {
            return;
        }
        self.update_cluster_state(view);
        let p = &self.params;
        let cooling = self.last_scale_up.is_some_and(|t| t + p.delay_after_add > now)
            || self.last_scale_down.is_some_and(|t| t + p.delay_after_delete > now);
        if cooling {
            return;
        }
        let (empty, drain) = self.nodes_to_delete(view);
        if empty.is_empty() && drain.is_empty() {
            return;
        }
        actions.extend(empty.into_iter().map(|node| NodeAction::Remove { node, reason: "empty" }));
        actions.extend(drain.into_iter().map(|node| NodeAction::Remove { node, reason: "underutilized" }));
        self.last_scale_down = Some(now);
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

    use crate::policy::autoscaler::repack::tests_support::{Pool, World};

    fn ca() -> ClusterAutoscaler {
        ClusterAutoscaler::new(CaParams::default(), crate::engine::stream_rng(1, 0, crate::engine::StreamId::autoscaler(0)))
    }

    fn remove(node: NodeId, reason: &'static str) -> NodeAction {
        NodeAction::Remove { node, reason }
    }

    /// `unneeded/nodes.go` RemovableAt: `!since.Add(threshold).Before(ts)`
    /// keeps a node, so it goes at the first scan strictly after
    /// `since + 10 min`.
    #[test]
    fn an_idle_node_goes_at_the_first_scan_strictly_after_the_unneeded_time() {
        let mut w = World::new(vec![Pool(4000, 1, 4, 0.1)]);
        let (_, idle) = (w.node(0, &[1000]), w.node(0, &[]));
        let mut a = ca();
        assert_eq!(w.scan(&mut a, 10, &[]), []);
        assert_eq!(a.unneeded()[&idle].since, SimTime::from_secs(10));
        assert_eq!(w.scan(&mut a, 610, &[]), [], "unneeded for exactly 10 minutes: not yet");
        assert_eq!(w.scan(&mut a, 620, &[]), [remove(idle, "empty")]);
    }

    /// The timer starts only when the removal simulation succeeds: a node
    /// under the threshold whose pods fit nowhere else is unremovable, left
    /// out for the recheck timeout (`unremovable/nodes.go`), and its timer
    /// starts when a recheck finds room.
    #[test]
    fn the_timer_starts_when_the_pods_can_move_and_failures_wait_out_the_recheck_timeout() {
        let mut w = World::new(vec![Pool(4000, 0, 4, 0.1)]);
        let full = w.node(0, &[3000]);
        let light = w.node(0, &[1500]);
        let mut a = ca();
        // Node 1 (37.5 %) is a candidate but its 1.5 CPU fits nowhere (1 CPU free on node 0).
        assert_eq!(w.scan(&mut a, 10, &[]), []);
        assert!(!a.unneeded().contains_key(&light));
        assert_eq!(a.unremovable_until(light), Some(SimTime::from_secs(310)));
        // Room appears at 20 s, but node 1 is not simulated again before 310 s.
        let p = w.cluster.pods_on(full)[0];
        w.cluster.finish(p, SimTime::from_secs(20));
        assert_eq!(w.scan(&mut a, 300, &[]), []);
        assert!(!a.unneeded().contains_key(&light), "not rechecked before the timeout");
        // Node 0, empty since 20 s, is unneeded from the scan at 300 s; node 1, rechecked at 310 s,
        // cannot move to node 0, which the simulation already takes away.
        assert_eq!(a.unneeded()[&full].since, SimTime::from_secs(300));
        assert_eq!(w.scan(&mut a, 310, &[]), []);
        assert_eq!(a.unremovable_until(light), Some(SimTime::from_secs(610)));
    }

    /// `eligibility.go`: a node exactly at the threshold is a candidate; one
    /// above is not even simulated. The destination is a pool at its
    /// minimum: not a candidate, but its node takes pods.
    #[test]
    fn a_node_at_the_threshold_is_a_candidate_and_one_above_is_not() {
        let mut w = World::new(vec![Pool(4000, 0, 4, 0.1), Pool(8000, 1, 1, 0.1)]);
        let half = w.node(0, &[2000]);
        let more = w.node(0, &[2001]);
        let fixed = w.node(1, &[]);
        let mut a = ca();
        w.scan(&mut a, 10, &[]);
        assert_eq!(a.unneeded().keys().copied().collect::<Vec<_>>(), [half]);
        assert_eq!((a.unremovable_until(more), a.unremovable_until(fixed)), (None, None));
    }

    /// `budgets.go` CropNodes: up to 10 nodes per scan, of which one with
    /// pods to move, in the same scan, empty ones first.
    #[test]
    fn a_scan_removes_up_to_ten_nodes_of_which_one_to_drain() {
        let mut w = World::new(vec![Pool(4000, 0, 20, 0.1)]);
        let busy = w.node(0, &[1000]);
        w.node(0, &[3000]);
        let empty: Vec<NodeId> = (0..8).map(|_| w.node(0, &[])).collect();
        let mut a = ca();
        w.scan(&mut a, 10, &[]);
        let mut want: Vec<NodeAction> = empty.iter().map(|&n| remove(n, "empty")).collect();
        want.push(remove(busy, "underutilized"));
        assert_eq!(w.scan(&mut a, 620, &[]), want);
        // Twelve empty nodes: ten go, and no drain fits in the budget.
        let mut w = World::new(vec![Pool(4000, 0, 20, 0.1)]);
        w.node(0, &[1000]);
        w.node(0, &[3000]);
        let empty: Vec<NodeId> = (0..12).map(|_| w.node(0, &[])).collect();
        let mut a = ca();
        w.scan(&mut a, 10, &[]);
        let want: Vec<NodeAction> = empty[..10].iter().map(|&n| remove(n, "empty")).collect();
        assert_eq!(w.scan(&mut a, 620, &[]), want);
    }

    /// `planner.go` unneededNodesLimit: the first scan looks for at most
    /// N·U/U + N = 20 unneeded nodes, the next ones for 20 more each.
    #[test]
    fn the_first_scans_find_twenty_more_unneeded_nodes_each() {
        let mut w = World::new(vec![Pool(4000, 0, 60, 0.1)]);
        for _ in 0..50 {
            w.node(0, &[]);
        }
        let mut a = ca();
        w.scan(&mut a, 10, &[]);
        assert_eq!(a.unneeded().len(), 20);
        w.scan(&mut a, 20, &[]);
        assert_eq!(a.unneeded().len(), 40);
        w.scan(&mut a, 30, &[]);
        assert_eq!(a.unneeded().len(), 50);
        assert_eq!(a.unneeded().values().filter(|u| u.since == SimTime::from_secs(10)).count(), 20);
    }

    /// `SimulateNodeRemoval` runs the scheduler's filters, InterPodAffinity
    /// included: a pod whose required anti-affinity bars the only node with
    /// room keeps its node needed.
    #[test]
    fn the_removal_simulation_checks_inter_pod_rules() {
        use crate::model::affinity::{AffinitySelector, NodePlacement, PodAffinityTerm};
        let anti = |w: &mut World, on: NodeId| {
            let p = w.run(500, on, 0);
            let mut placement = NodePlacement::default();
            placement.pod_anti_affinity.required =
                vec![PodAffinityTerm { topology_key: "kubernetes.io/hostname".into(), selector: AffinitySelector::Workload }];
            w.cluster.pods[p.index()].placement = std::sync::Arc::new(placement);
        };
        for spread_apart in [true, false] {
            let mut w = World::new(vec![Pool(4000, 0, 4, 0.1)]);
            let (a, b) = (w.node(0, &[]), w.node(0, &[]));
            // A pod of another class fills node b to 3 CPUs.
            // Of class 1 from its submission on: the cluster counts pending pods per class.
            let filler = crate::model::PodId(w.cluster.pods.len() as u32);
            let mut filler_pod = crate::model::pod::tests_support::pod(filler.0, 3000, 1 << 30);
            filler_pod.workload = 1;
            w.cluster.submit(filler_pod);
            w.bind(filler, b, SimTime::ZERO);
            w.cluster.start(filler, SimTime::ZERO);
            for (i, n) in [a, b].into_iter().enumerate() {
                w.cluster.nodes[n.index()].labels.insert("kubernetes.io/hostname".into(), format!("n{i}"));
            }
            anti(&mut w, a);
            if spread_apart {
                anti(&mut w, b);
            }
            let mut ca = ca();
            w.scan(&mut ca, 10, &[]);
            // Node a's pod fits node b's free CPU unless b holds a pod of its
            // class, which its anti-affinity term refuses.
            assert_eq!(ca.unneeded().contains_key(&a), !spread_apart, "spread apart: {spread_apart}");
            assert_eq!(ca.unremovable_until(a).is_some(), spread_apart);
        }
    }
}
