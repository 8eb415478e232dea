//! kube-scheduler's default profile, with the upstream formulas.
//!
//! Every number here is from `shared/reference/semantics.md` §1 (which cites the
//! upstream files):
//!
//! * **Filters**: NodeResourcesFit (real requests and `maxPods`), TaintToleration,
//!   NodeAffinity (node selector and required terms).
//! * **Scores** (0–100 each, weighted): NodeResourcesFit ×1 (LeastAllocated on
//!   the *non-zero* requests, cpu:1 memory:1), NodeResourcesBalancedAllocation ×1
//!   (real requests), ImageLocality ×1, TaintToleration ×3 (PreferNoSchedule,
//!   reverse-normalized), NodeAffinity ×2 (summed weights of matching preferred
//!   terms, normalized by the maximum). PodTopologySpread ×2 scores explicit
//!   constraints; InterPodAffinity ×2 scores the pod's and bound pods'
//!   (anti-)affinity terms (see `inter_pod_affinity`).
//! * **Sampling**: `percentageOfNodesToScore` (0 = adaptive `max(50 − n/125, 5)` %,
//!   at least 100 nodes); filtering starts where the previous cycle stopped.
//! * **Choice**: highest total; ties broken at random with the policy's own
//!   seeded stream (reservoir sampling, as `selectHost` up to v1.34).
//! * **Preemption** (PostFilter, DefaultPreemption): when no node passes the
//!   filters, lower-priority pods may be evicted to make room; see
//!   [`preemption`] for the rules and the simplifications.
//! * **Plugin set**: `disabled_plugins` removes plugins from the profile, as
//!   `plugins.multiPoint.disabled` does: a disabled plugin neither filters
//!   nor scores (see [`Plugin`]).

use std::collections::HashMap;

use rand::Rng;
use serde::{Deserialize, Serialize};

pub mod inter_pod_affinity;
pub mod preemption;
pub mod topology_spread;

use super::filter::{check, check_some, FilterCounts, FilterSet, Rejection, RejectionTally};
use super::{ClusterView, Placement, Scheduler};
use crate::engine::SimRng;
use crate::model::taint::{is_tolerated, TaintEffect, Toleration};
use crate::model::{FreeIndex, Node, NodeId, Pod, Resources};
use crate::policy::scheduler::{Candidate, ScorePart};

/// Highest score a plugin gives (`framework.MaxNodeScore`).
pub const MAX_NODE_SCORE: i64 = 100;
/// Below this many nodes, every node is examined (`minFeasibleNodesToFind`).
pub const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
/// Floor of the adaptive percentage (`minFeasibleNodesPercentageToFind`).
pub const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: usize = 5;
/// ImageLocality's lower threshold: 23 MiB.
pub const IMAGE_MIN_THRESHOLD: u64 = 23 * 1024 * 1024;
/// ImageLocality's upper threshold per container: 1000 MiB.
pub const IMAGE_MAX_CONTAINER_THRESHOLD: u64 = 1000 * 1024 * 1024;

/// NodeResourcesFit scoring strategy (`scoringStrategy.type`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum ScoringStrategy {
    /// Prefer nodes with the most free resources (spreads). The default.
    #[default]
    LeastAllocated,
    /// Prefer nodes with the least free resources (packs).
    MostAllocated,
    /// Score each resource's utilization through the piecewise-linear `shape`.
    RequestedToCapacityRatio,
}

/// One point of the RequestedToCapacityRatio `shape`: at `utilization` percent
/// the score is `score` (0–10, scaled ×10 to the 0–100 node score range).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShapePoint {
    /// Utilization, 0–100, strictly increasing along the shape.
    pub utilization: i64,
    /// Score, 0–10 (`MaxCustomPriorityScore`).
    pub score: i64,
}

/// Upstream's default shape when none is given: 10 at 0 %, 0 at 100 %
/// (least-requested-like).
pub fn default_shape() -> Vec<ShapePoint> {
    vec![ShapePoint { utilization: 0, score: 10 }, ShapePoint { utilization: 100, score: 0 }]
}

/// `BuildBrokenLinearFunction` (`helper/shape_score.go`) over the shape with
/// its scores multiplied by `scale` first (upstream scales them ×10 before
/// interpolating): the first score below the first point, the last above the
/// last, integer linear interpolation between.
pub fn broken_linear(shape: &[ShapePoint], p: i64, scale: i64) -> i64 {
    for (i, point) in shape.iter().enumerate() {
        if p <= point.utilization {
            if i == 0 {
                return point.score * scale;
            }
            let prev = shape[i - 1];
            return prev.score * scale
                + (point.score - prev.score) * scale * (p - prev.utilization) / (point.utilization - prev.utilization);
        }
    }
    shape.last().map_or(0, |p| p.score * scale)
}

/// RequestedToCapacityRatio's node score (`requested_to_capacity_ratio.go`):
/// per resource `f(requested·100 / capacity)` (f(100) if over capacity) with
/// the shape's scores scaled ×`scale` (10 upstream); only resources scoring
/// above 0 enter the weighted mean, which is rounded. `pod` is the incoming
/// pod's own request: GPUs count only when it asks for some, as upstream
/// leaves an extended resource the pod does not request out
/// (`calculateResourceAllocatableRequest`).
pub fn requested_to_capacity_ratio(
    requested: &Resources,
    allocatable: &Resources,
    pod: &Resources,
    weights: &ResourceWeights,
    shape: &[ShapePoint],
    scale: i64,
) -> i64 {
    let (score, weight_sum) = weighted_scores(requested, allocatable, pod, weights, |req, cap| {
        let util = if req > cap { 100 } else { (req as u128 * 100 / cap as u128) as i64 };
        Some(broken_linear(shape, util, scale)).filter(|&s| s > 0)
    });
    if weight_sum == 0 {
        0
    } else {
        (score as f64 / weight_sum as f64).round() as i64
    }
}

/// `(Σ w_r·s_r, Σ w_r)` over CPU, memory and (when weighted) GPUs, for the
/// resources the node has and `score` keeps (`None` leaves a resource out);
/// weights of 0 count as 1, as upstream. Generic so the closure inlines: this
/// runs for every candidate node of every pod.
///
/// GPUs, an extended resource, enter only when the incoming pod requests
/// some (`pod.gpu > 0`): upstream's `calculateResourceAllocatableRequest`
/// (`noderesources/resource_allocation.go`) returns (0, 0) for a scalar
/// resource the pod does not request, and `score` skips a resource whose
/// allocatable is 0. Otherwise a GPU weight would pull CPU-only pods onto
/// GPU nodes (LeastAllocated: an idle GPU scores 100) or off them.
fn weighted_scores(
    requested: &Resources,
    allocatable: &Resources,
    pod: &Resources,
    weights: &ResourceWeights,
    mut score: impl FnMut(u64, u64) -> Option<i64>,
) -> (i64, i64) {
    let (mut total, mut weight_sum) = (0i64, 0i64);
    let mut add = |req: u64, cap: u64, w: i64| {
        if cap == 0 {
            return;
        }
        if let Some(s) = score(req, cap) {
            let w = if w == 0 { 1 } else { w };
            total += s * w;
            weight_sum += w;
        }
    };
    add(requested.cpu_milli, allocatable.cpu_milli, weights.cpu);
    add(requested.memory_bytes, allocatable.memory_bytes, weights.memory);
    if let Some(w) = weights.gpu.filter(|_| pod.gpu > 0) {
        add(requested.gpu, allocatable.gpu, w);
    }
    (total, weight_sum)
}

/// How ties between equally scored nodes are broken.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TieBreak {
    /// Uniformly at random, by reservoir sampling over the scored nodes in the
    /// order they were examined (`selectHost` up to v1.34), seeded.
    #[default]
    Reservoir,
    /// The first examined node among the best (deterministic without RNG).
    First,
}

/// Per-resource weights of the NodeResourcesFit score (`scoringStrategy.resources`).
/// Upstream scores `cpu` and `memory` only; extended resources such as
/// `nvidia.com/gpu` count only when listed, which is what `gpu` does here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ResourceWeights {
    /// Weight of `cpu` (a weight of 0 becomes 1, as upstream).
    pub cpu: i64,
    /// Weight of `memory`.
    pub memory: i64,
    /// Weight of `nvidia.com/gpu`; absent (the default) leaves GPUs out of the
    /// score. Even when weighted, GPUs count only for pods that request some,
    /// as upstream's extended resources (see `weighted_scores`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpu: Option<i64>,
}

impl Default for ResourceWeights {
    fn default() -> Self {
        ResourceWeights { cpu: 1, memory: 1, gpu: None }
    }
}

/// Score plugin weights of the profile (`plugins.multiPoint.enabled[].weight`).
/// A weight of 0 disables the plugin's score.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PluginWeights {
    /// NodeResourcesFit (default 1).
    pub node_resources_fit: i64,
    /// NodeResourcesBalancedAllocation (default 1).
    pub node_resources_balanced_allocation: i64,
    /// ImageLocality (default 1).
    pub image_locality: i64,
    /// TaintToleration (default 3).
    pub taint_toleration: i64,
    /// NodeAffinity (default 2).
    pub node_affinity: i64,
    /// PodTopologySpread (default 2).
    pub pod_topology_spread: i64,
    /// InterPodAffinity (default 2).
    pub inter_pod_affinity: i64,
}

impl Default for PluginWeights {
    fn default() -> Self {
        PluginWeights {
            node_resources_fit: 1,
            node_resources_balanced_allocation: 1,
            image_locality: 1,
            taint_toleration: 3,
            node_affinity: 2,
            pod_topology_spread: 2,
            inter_pod_affinity: 2,
        }
    }
}

/// A plugin of the default profile that can be disabled, spelled as upstream
/// (`plugins.multiPoint.disabled[].name`); other names are rejected.
///
/// Disabling a plugin removes its filter and its score (its weight counts as
/// 0). One exception: **NodeResourcesFit cannot be disabled**. Upstream
/// would then overcommit nodes, which the simulator's accounting never
/// allows (a binding re-checks requests and the pod count), so validation
/// rejects it and points to `plugin_weights.node_resources_fit = 0`, which
/// drops its score and keeps the filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Plugin {
    /// Resource and pod-count filter, LeastAllocated (etc.) score. Cannot be disabled.
    NodeResourcesFit,
    /// Score only.
    NodeResourcesBalancedAllocation,
    /// Score only.
    ImageLocality,
    /// NoSchedule/NoExecute filter, PreferNoSchedule score.
    TaintToleration,
    /// Node selector and required-terms filter, preferred-terms score.
    NodeAffinity,
    /// DoNotSchedule filter, ScheduleAnyway score.
    PodTopologySpread,
    /// Required-terms filter, preferred-terms score.
    InterPodAffinity,
    /// PostFilter: preemption (same as `preemption = false`).
    DefaultPreemption,
}

impl Plugin {
    /// The upstream name.
    pub fn name(self) -> &'static str {
        match self {
            Plugin::NodeResourcesFit => "NodeResourcesFit",
            Plugin::NodeResourcesBalancedAllocation => "NodeResourcesBalancedAllocation",
            Plugin::ImageLocality => "ImageLocality",
            Plugin::TaintToleration => "TaintToleration",
            Plugin::NodeAffinity => "NodeAffinity",
            Plugin::PodTopologySpread => "PodTopologySpread",
            Plugin::InterPodAffinity => "InterPodAffinity",
            Plugin::DefaultPreemption => "DefaultPreemption",
        }
    }
}

/// Parameters of the `kubernetes` scheduler, with kube-scheduler's defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct KubernetesParams {
    /// `percentageOfNodesToScore`: 0 means adaptive; 100 examines every node.
    pub percentage_of_nodes_to_score: u32,
    /// NodeResourcesFit strategy.
    pub scoring_strategy: ScoringStrategy,
    /// NodeResourcesFit per-resource weights.
    pub resource_weights: ResourceWeights,
    /// The RequestedToCapacityRatio shape (used with that strategy only).
    pub shape: Vec<ShapePoint>,
    /// Score plugin weights.
    pub plugin_weights: PluginWeights,
    /// InterPodAffinity's `hardPodAffinityWeight` (0–100, default 1): what a
    /// bound pod's *required* affinity term that selects the incoming pod
    /// adds to the score of its domain. 0 turns that off.
    pub hard_pod_affinity_weight: i64,
    /// Tie-break among the best nodes.
    pub tie_break: TieBreak,
    /// DefaultPreemption (in the default profile): when no node fits, evict
    /// lower-priority pods to make room.
    pub preemption: bool,
    /// DefaultPreemptionArgs `minCandidateNodesPercentage` (0–100): the dry
    /// run looks for at least this share of the potential nodes as candidates.
    pub min_candidate_nodes_percentage: i32,
    /// DefaultPreemptionArgs `minCandidateNodesAbsolute` (≥ 0): and at least
    /// this many.
    pub min_candidate_nodes_absolute: i32,
    /// Plugins removed from the profile (`plugins.multiPoint.disabled`): no
    /// filter, no score. Empty by default.
    pub disabled_plugins: Vec<Plugin>,
}

impl Default for KubernetesParams {
    fn default() -> Self {
        KubernetesParams {
            percentage_of_nodes_to_score: 0,
            shape: default_shape(),
            scoring_strategy: ScoringStrategy::LeastAllocated,
            resource_weights: ResourceWeights::default(),
            plugin_weights: PluginWeights::default(),
            hard_pod_affinity_weight: 1,
            tie_break: TieBreak::Reservoir,
            preemption: true,
            min_candidate_nodes_percentage: preemption::DEFAULT_MIN_CANDIDATE_NODES_PERCENTAGE as i32,
            min_candidate_nodes_absolute: preemption::DEFAULT_MIN_CANDIDATE_NODES_ABSOLUTE as i32,
            disabled_plugins: Vec::new(),
        }
    }
}

impl KubernetesParams {
    /// The parameters that break upstream's validation rules (for example
    /// `ValidateNodeResourcesFitArgs`), as (field, message) pairs; empty
    /// when valid.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut errors = Vec::new();
        if self.percentage_of_nodes_to_score > 100 {
            errors.push(("percentage_of_nodes_to_score".into(), "must be between 0 (adaptive) and 100".into()));
        }
        if self.shape.is_empty() {
            errors.push(("shape".into(), "needs at least one point".into()));
        }
        for (i, p) in self.shape.iter().enumerate() {
            if !(0..=100).contains(&p.utilization) || !(0..=10).contains(&p.score) {
                errors.push((format!("shape[{i}]"), "utilization must be 0-100 and score 0-10".into()));
            }
            if i > 0 && p.utilization <= self.shape[i - 1].utilization {
                errors.push((format!("shape[{i}].utilization"), "must increase along the shape".into()));
            }
        }
        let w = &self.resource_weights;
        for (name, v) in
            [("resource_weights.cpu", w.cpu), ("resource_weights.memory", w.memory), ("resource_weights.gpu", w.gpu.unwrap_or(1))]
        {
            if !(0..=100).contains(&v) {
                errors.push((name.into(), "must be between 0 and 100 (0 means 1)".into()));
            }
        }
        if !(0..=100).contains(&self.hard_pod_affinity_weight) {
            errors.push(("hard_pod_affinity_weight".into(), "must be between 0 and 100".into()));
        }
        let p = &self.plugin_weights;
        for (name, v) in [
            ("plugin_weights.node_resources_fit", p.node_resources_fit),
            ("plugin_weights.node_resources_balanced_allocation", p.node_resources_balanced_allocation),
            ("plugin_weights.image_locality", p.image_locality),
            ("plugin_weights.taint_toleration", p.taint_toleration),
            ("plugin_weights.node_affinity", p.node_affinity),
            ("plugin_weights.pod_topology_spread", p.pod_topology_spread),
            ("plugin_weights.inter_pod_affinity", p.inter_pod_affinity),
        ] {
            if !(0..=100).contains(&v) {
                errors.push((name.into(), "must be between 0 and 100".into()));
            }
        }
        // As upstream's ValidateDefaultPreemptionArgs.
        let (pct, abs) = (self.min_candidate_nodes_percentage, self.min_candidate_nodes_absolute);
        if !(0..=100).contains(&pct) {
            errors.push(("min_candidate_nodes_percentage".into(), "must be between 0 and 100".into()));
        }
        if abs < 0 {
            errors.push(("min_candidate_nodes_absolute".into(), "must be at least 0".into()));
        }
        if pct == 0 && abs == 0 {
            errors.push(("min_candidate_nodes_percentage".into(), "cannot be 0 at the same time as min_candidate_nodes_absolute".into()));
        }
        for (i, &plugin) in self.disabled_plugins.iter().enumerate() {
            if plugin == Plugin::NodeResourcesFit {
                errors.push((
                    format!("disabled_plugins[{i}]"),
                    "NodeResourcesFit cannot be disabled: the simulator never overcommits a node (every binding re-checks \
                     requests and the pod count); to drop its score only, set plugin_weights.node_resources_fit = 0"
                        .into(),
                ));
            }
            if self.disabled_plugins[..i].contains(&plugin) {
                errors.push((format!("disabled_plugins[{i}]"), format!("{} is listed twice", plugin.name())));
            }
        }
        errors
    }

    /// Whether `plugin` is in the profile.
    pub fn enabled(&self, plugin: Plugin) -> bool {
        !self.disabled_plugins.contains(&plugin)
    }

    /// The score weights in force: `plugin_weights` with disabled plugins at 0.
    pub fn effective_weights(&self) -> PluginWeights {
        let w = &self.plugin_weights;
        let on = |plugin, weight| if self.enabled(plugin) { weight } else { 0 };
        PluginWeights {
            node_resources_fit: on(Plugin::NodeResourcesFit, w.node_resources_fit),
            node_resources_balanced_allocation: on(Plugin::NodeResourcesBalancedAllocation, w.node_resources_balanced_allocation),
            image_locality: on(Plugin::ImageLocality, w.image_locality),
            taint_toleration: on(Plugin::TaintToleration, w.taint_toleration),
            node_affinity: on(Plugin::NodeAffinity, w.node_affinity),
            pod_topology_spread: on(Plugin::PodTopologySpread, w.pod_topology_spread),
            inter_pod_affinity: on(Plugin::InterPodAffinity, w.inter_pod_affinity),
        }
    }
}

/// `numFeasibleNodesToFind`: how many feasible nodes a cycle looks for before
/// it stops filtering and scores what it has.
pub fn num_feasible_nodes_to_find(num_nodes: usize, percentage: u32) -> usize {
    if num_nodes < MIN_FEASIBLE_NODES_TO_FIND {
        return num_nodes;
    }
    let mut pct = percentage as usize;
    if pct == 0 {
        pct = 50usize.saturating_sub(num_nodes / 125).max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
    }
    (num_nodes * pct / 100).max(MIN_FEASIBLE_NODES_TO_FIND)
}

/// LeastAllocated score of one resource: `(cap − req)·100 / cap`, 0 when the
/// capacity is 0 or the request exceeds it (`least_allocated.go`).
pub fn least_allocated(requested: u64, capacity: u64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    scale_to_max_score(capacity - requested, capacity)
}

/// `part · 100 / whole` in integers; u64 arithmetic unless `part · 100` would
/// overflow (exabyte memory), where it falls back to u128.
fn scale_to_max_score(part: u64, whole: u64) -> i64 {
    match part.checked_mul(MAX_NODE_SCORE as u64) {
        Some(p) => (p / whole) as i64,
        None => (part as u128 * MAX_NODE_SCORE as u128 / whole as u128) as i64,
    }
}

/// MostAllocated score of one resource: `min(req, cap)·100 / cap` (`most_allocated.go`).
pub fn most_allocated(requested: u64, capacity: u64) -> i64 {
    if capacity == 0 {
        return 0;
    }
    scale_to_max_score(requested.min(capacity), capacity)
}

/// NodeResourcesFit score: the weighted integer mean of the per-resource scores
/// over CPU, memory (and GPUs when weighted and `pod`, the incoming pod's own
/// request, asks for some), `requested` being the node's non-zero requests
/// *after* placing the pod. Resources with zero allocatable are skipped
/// (`least_allocated.go`, `most_allocated.go`).
pub fn fit_score(
    strategy: ScoringStrategy,
    requested: &Resources,
    allocatable: &Resources,
    pod: &Resources,
    weights: &ResourceWeights,
) -> i64 {
    // RequestedToCapacityRatio has its own function (it needs the shape).
    let (score, weight_sum) = weighted_scores(requested, allocatable, pod, weights, |req, cap| {
        Some(match strategy {
            ScoringStrategy::LeastAllocated => least_allocated(req, cap),
            ScoringStrategy::MostAllocated | ScoringStrategy::RequestedToCapacityRatio => most_allocated(req, cap),
        })
    });
    if weight_sum == 0 {
        0
    } else {
        score / weight_sum
    }
}

/// NodeResourcesBalancedAllocation: `int((1 − std)·100)` over the fractions
/// `requested/allocatable` (capped at 1) of CPU and memory, `requested` being
/// the node's real requests after placing the pod (`balanced_allocation.go`).
/// With two resources std = |f₁ − f₂| / 2.
pub fn balanced_allocation(requested: &Resources, allocatable: &Resources) -> i64 {
    let mut fractions = [0f64; 2];
    let mut n = 0;
    for (req, cap) in [(requested.cpu_milli, allocatable.cpu_milli), (requested.memory_bytes, allocatable.memory_bytes)] {
        if cap == 0 {
            continue;
        }
        fractions[n] = (req as f64 / cap as f64).min(1.0);
        n += 1;
    }
    let std = if n == 2 { ((fractions[0] - fractions[1]) / 2.0).abs() } else { 0.0 };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}

/// NodeResourcesFit's score of `node` for `pod` under `params`' strategy,
/// weights and shape: the plugin's `Score` (`noderesources/fit.go`,
/// `resource_allocation.go`). CPU and memory count the node's and the pod's
/// non-zero requests (unset ones defaulted); GPUs, an extended resource, the
/// real ones, including the GPUs opened for shares, and only when the pod
/// requests some.
pub fn node_resources_fit_score(params: &KubernetesParams, pod: &Pod, node: &Node) -> i64 {
    let own = pod.non_zero_requests();
    let requested = Resources { gpu: node.requested.gpu, ..node.non_zero_requested } + own;
    match params.scoring_strategy {
        ScoringStrategy::RequestedToCapacityRatio => {
            requested_to_capacity_ratio(&requested, &node.allocatable, &own, &params.resource_weights, &params.shape, MAX_NODE_SCORE / 10)
        }
        s => fit_score(s, &requested, &node.allocatable, &own, &params.resource_weights),
    }
}

/// NodeResourcesBalancedAllocation's score of `node` for `pod`, on real
/// requests over CPU and memory (`balanced_allocation.go`); `None` when the
/// plugin skips the pod: a best-effort pod, requesting no CPU and no memory
/// (PreScore's `isBestEffortPod`).
pub fn balanced_allocation_score(pod: &Pod, node: &Node) -> Option<i64> {
    let best_effort = pod.requests.cpu_milli == 0 && pod.requests.memory_bytes == 0;
    (!best_effort).then(|| balanced_allocation(&(node.requested + pod.requests), &node.allocatable))
}

/// ImageLocality's raw sum for one container: the image size scaled by the
/// fraction of nodes that have it (`scaledImageScore`), if this node has it.
pub fn image_scaled_size(size_bytes: u64, nodes_with_image: u32, total_nodes: usize) -> u64 {
    if total_nodes == 0 {
        return 0;
    }
    let spread = nodes_with_image as f64 / total_nodes as f64;
    (size_bytes as f64 * spread) as u64
}

/// ImageLocality score: `100·(clamp(sum, 23 MiB, 1000 MiB·containers) − 23 MiB) / (max − min)`.
pub fn image_locality_score(sum: u64, containers: u64) -> i64 {
    let max = IMAGE_MAX_CONTAINER_THRESHOLD * containers.max(1);
    let min = IMAGE_MIN_THRESHOLD;
    let clamped = sum.clamp(min, max);
    scale_to_max_score(clamped - min, max - min)
}

/// TaintToleration's raw score: the number of PreferNoSchedule taints not
/// tolerated by the pod's PreferNoSchedule (or effect-less) tolerations.
pub fn untolerated_prefer_no_schedule(node: &Node, tolerations: &[Toleration]) -> i64 {
    // A toleration with another effect never matches (see `Toleration::tolerates`),
    // so this is upstream's filter to PreferNoSchedule/effect-less tolerations.
    node.taints.iter().filter(|t| t.effect == TaintEffect::PreferNoSchedule && !is_tolerated(t, tolerations)).count() as i64
}

/// `DefaultNormalizeScore(100, reverse)`: scales raw scores to 0–100 by the
/// maximum; `reverse` turns "fewer is better" into "higher is better". When the
/// maximum is 0 every score becomes 100 (reverse) or stays 0.
pub fn default_normalize(raw: i64, max: i64, reverse: bool) -> i64 {
    if max == 0 {
        return if reverse { MAX_NODE_SCORE } else { 0 };
    }
    let s = MAX_NODE_SCORE * raw / max;
    if reverse {
        MAX_NODE_SCORE - s
    } else {
        s
    }
}

/// Per-plugin scores of one feasible node (normalized, unweighted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeScores {
    /// The node.
    pub node: NodeId,
    /// NodeResourcesFit.
    pub fit: i64,
    /// NodeResourcesBalancedAllocation.
    pub balanced: i64,
    /// ImageLocality.
    pub image_locality: i64,
    /// TaintToleration (raw count before normalization, then normalized).
    pub taint_toleration: i64,
    /// NodeAffinity (summed preferred weights before normalization, then normalized).
    pub node_affinity: i64,
    /// PodTopologySpread (raw, `None` for a node lacking a key; then normalized).
    pub topology_spread: Option<i64>,
    /// InterPodAffinity (raw signed sum, then normalized).
    pub inter_pod_affinity: i64,
    /// Weighted total.
    pub total: i64,
}

/// The `kubernetes` scheduler.
pub struct KubernetesScheduler {
    params: KubernetesParams,
    /// Score weights with disabled plugins at 0.
    weights: PluginWeights,
    /// TaintToleration and NodeAffinity filters in force.
    filters: FilterSet,
    /// Whether PodTopologySpread, InterPodAffinity and preemption are in force.
    spread_enabled: bool,
    pod_affinity_enabled: bool,
    preemption_enabled: bool,
    rng: SimRng,
    next_start_node_index: usize,
    /// Reused between cycles: no allocation per decision.
    scored: Vec<NodeScores>,
    /// The node chosen in the last cycle, listed first by `explain`.
    last_choice: Option<NodeId>,
    /// PodTopologySpread's per-attempt counts.
    spread: topology_spread::SpreadState,
    /// InterPodAffinity's per-attempt counts.
    pod_affinity: inter_pod_affinity::AffinityState,
    /// The failures on the cluster as it is (version `failures_version`), by
    /// class (requests, GPU share, priority, tolerations and placement
    /// identity): their filter counts, and the number of potential nodes
    /// preemption drew its offset over (if it ran). See `schedule`. Looked up,
    /// never iterated, and emptied whenever the cluster changes.
    failed: HashMap<FailureClass, (FilterCounts, Option<usize>)>,
    failures_version: u64,
    /// Per filter class whose last pass rejected every node: each node's
    /// rejection, as of the cluster version it holds. A node's rejection
    /// depends only on the class and the node, so on a later attempt only
    /// the nodes changed since are filtered again (see
    /// `Cluster::nodes_changed_at`); in a full cluster most attempts of a
    /// job's pending pods then cost a pass over the stamps instead of over
    /// the nodes. Looked up, never iterated; emptied when it holds
    /// [`MAX_REMEMBERED_CLASSES`] classes.
    rejections: HashMap<FilterClass, Remembered>,
    /// The buffer a pass records rejections into, kept between passes.
    rejection_buf: Vec<Rejection>,
    /// DefaultPreemption's buffers.
    preemption: preemption::Preemption,
    /// At most the lowest priority of any bound pod: read from the cluster at
    /// the first decision, then lowered by every pod this policy places (all
    /// binds go through it). Stale only ever low, so a pod at or below it
    /// skips preemption at once (nothing it could preempt), which keeps
    /// clusters of equal priorities from paying for the dry run.
    lowest_bound_priority: Option<i32>,
}

/// One filtering pass: where it starts, how many feasible nodes it wants,
/// whether the pod has topology spread or pod affinity terms in force, and
/// whether it skips the nodes the free-resource index rules out.
///
/// A skipping pass finds the same feasible nodes in the same order and stops
/// at the same node as a full one, but leaves the skipped nodes out of the
/// tally and the per-node rejections; these are only read when no node is
/// feasible, and such a pass is run again in full (see `schedule`).
#[derive(Clone, Copy)]
struct FilterPass<'a> {
    start: usize,
    to_find: usize,
    spread: bool,
    pod_affinity: bool,
    skip: Option<&'a FreeIndex>,
}

/// Where a filtering pass records the nodes it rejects: tallied, and each
/// node's reasons when its class's are to be remembered (else empty).
struct PassRejections<'a> {
    tally: &'a mut RejectionTally,
    per_node: &'a mut [Rejection],
}

/// A filter class's rejection by every node (see `KubernetesScheduler::rejections`).
struct Remembered {
    /// The cluster version the rejections hold at.
    at: u64,
    /// Each node's rejection.
    per_node: Vec<Rejection>,
    /// Their tally, kept along as nodes are filtered again, so an attempt
    /// that still fails everywhere reads its counts instead of recounting
    /// every node's rejection.
    tally: RejectionTally,
}

/// What makes two pods fail identically on the same cluster: (cluster version,
/// requests, priority, tolerations and placement identity).
type FailureClass = (Resources, u16, i32, usize, usize);

/// What makes two pods' filter results on a node the same: the class without
/// the priority. Tolerations and placement by identity: pods are never
/// dropped, so their shared rules are never freed and an address stays theirs.
type FilterClass = (Resources, u16, usize, usize);

/// At most this many classes' rejections are remembered (25 kB each on a
/// cluster of 12.5 k nodes).
const MAX_REMEMBERED_CLASSES: usize = 256;

impl KubernetesScheduler {
    /// A scheduler with `params`, drawing tie-breaks from `rng`.
    pub fn new(params: KubernetesParams, rng: SimRng) -> Self {
        let filters = FilterSet { taints: params.enabled(Plugin::TaintToleration), node_affinity: params.enabled(Plugin::NodeAffinity) };
        KubernetesScheduler {
            weights: params.effective_weights(),
            filters,
            spread_enabled: params.enabled(Plugin::PodTopologySpread),
            pod_affinity_enabled: params.enabled(Plugin::InterPodAffinity),
            preemption_enabled: params.preemption && params.enabled(Plugin::DefaultPreemption),
            params,
            rng,
            next_start_node_index: 0,
            scored: Vec::new(),
            last_choice: None,
            spread: Default::default(),
            pod_affinity: Default::default(),
            failed: HashMap::new(),
            failures_version: 0,
            rejections: HashMap::new(),
            rejection_buf: Vec::new(),
            preemption: Default::default(),
            lowest_bound_priority: None,
        }
    }

    /// See `lowest_bound_priority`.
    fn lowest_bound_priority(&mut self, view: &ClusterView<'_>) -> i32 {
        *self
            .lowest_bound_priority
            .get_or_insert_with(|| view.cluster().pods.iter().filter(|p| p.node.is_some()).map(|p| p.priority).min().unwrap_or(i32::MAX))
    }

    /// Filters from `pass.start`, wrapping around, until `pass.to_find`
    /// feasible nodes are scored into `scored` or every node was examined;
    /// rejections go to `rejected`. Returns where the next cycle starts.
    #[inline(always)]
    fn filter_and_score(
        &self,
        check: impl Fn(&Pod, &Node) -> Rejection,
        pod: &Pod,
        view: &ClusterView<'_>,
        pass: FilterPass<'_>,
        scored: &mut Vec<NodeScores>,
        rejected: PassRejections<'_>,
    ) -> usize {
        let nodes = view.nodes();
        let n = nodes.len();
        let (mut processed, mut cursor) = (0, pass.start);
        while processed < n && scored.len() < pass.to_find {
            if let Some(index) = pass.skip {
                // Jump over the nodes the resource fit would reject, within
                // what is left of the ring before it wraps.
                let end = (cursor + (n - processed)).min(n);
                match index.first_fit(cursor, end, pod.requests.cpu_milli, pod.requests.memory_bytes) {
                    Some(next) => {
                        processed += next - cursor;
                        cursor = next;
                    }
                    None => {
                        processed += end - cursor;
                        cursor = if end == n { 0 } else { end };
                        continue;
                    }
                }
            }
            let idx = cursor;
            processed += 1;
            cursor = if cursor + 1 == n { 0 } else { cursor + 1 };
            let node = &nodes[idx];
            let mut r = check(pod, node);
            if pass.spread && r.is_none() && !self.spread.allows(node) {
                r = Rejection::TOPOLOGY_SPREAD;
            }
            if pass.pod_affinity && r.is_none() && !self.pod_affinity.allows(node) {
                r = Rejection::POD_AFFINITY;
            }
            if let Some(slot) = rejected.per_node.get_mut(idx) {
                *slot = r;
            }
            if r.is_none() {
                scored.push(self.score_node(pod, node, NodeId(idx as u32), view));
            } else {
                rejected.tally.record(r);
            }
        }
        cursor
    }

    /// [`Self::filter_and_score`] for profiles without TaintToleration or
    /// NodeAffinity, out of line so the default path stays as small as before.
    #[inline(never)]
    fn filter_and_score_some(
        &self,
        filters: FilterSet,
        pod: &Pod,
        view: &ClusterView<'_>,
        pass: FilterPass<'_>,
        scored: &mut Vec<NodeScores>,
        rejected: PassRejections<'_>,
    ) -> usize {
        self.filter_and_score(|pod, node| check_some(pod, node, filters), pod, view, pass, scored, rejected)
    }

    /// The remembered rejections of `class` brought up to date (only the
    /// nodes changed since are filtered again); if every node still rejects
    /// the pod, their tally is `counts` and the answer is `true`: the
    /// pass would fail, and examine every node to find out. Otherwise the
    /// class is forgotten (a full pass follows).
    fn refresh_rejections(&mut self, class: FilterClass, pod: &Pod, view: &ClusterView<'_>, counts: &mut RejectionTally) -> bool {
        let Some(kept) = self.rejections.get_mut(&class) else { return false };
        let nodes = view.nodes();
        let (filters, all_filters) = (self.filters, self.filters == FilterSet::ALL);
        let mut all_reject = kept.per_node.len() == nodes.len();
        if all_reject {
            for ((node, &changed), slot) in nodes.iter().zip(view.cluster().nodes_changed_at()).zip(kept.per_node.iter_mut()) {
                if changed > kept.at {
                    kept.tally.unrecord(*slot);
                    *slot = if all_filters { check(pod, node) } else { check_some(pod, node, filters) };
                    kept.tally.record(*slot);
                    all_reject &= !slot.is_none();
                }
            }
        }
        if !all_reject {
            self.rejections.remove(&class);
            return false;
        }
        kept.at = view.cluster().version();
        *counts = kept.tally;
        true
    }

    /// The scores of the nodes examined in the last cycle (for explanations).
    pub fn last_scores(&self) -> &[NodeScores] {
        &self.scored
    }

    #[inline(always)]
    fn score_node(&self, pod: &Pod, node: &Node, id: NodeId, view: &ClusterView<'_>) -> NodeScores {
        let p = &self.params;
        let w = &self.weights;
        let fit = if w.node_resources_fit != 0 { node_resources_fit_score(p, pod, node) } else { 0 };
        let balanced = if w.node_resources_balanced_allocation != 0 { balanced_allocation_score(pod, node).unwrap_or(0) } else { 0 };
        let image_locality = if w.image_locality != 0 {
            let sum = if node.has_image(pod.image, view.now()) {
                let cluster = view.cluster();
                let size = cluster.images[pod.image.0 as usize].size_bytes;
                image_scaled_size(size, cluster.nodes_with_image(pod.image), view.nodes().len())
            } else {
                0
            };
            image_locality_score(sum, 1)
        } else {
            0
        };
        let taint_toleration = untolerated_prefer_no_schedule(node, &pod.tolerations);
        let node_affinity = if pod.placement.affinity.preferred.is_empty() { 0 } else { pod.placement.preference(&node.labels) };
        // A placeholder: PodTopologySpread is scored after filtering, since its
        // weights depend on the feasible nodes (see `schedule`, which sets it).
        let topology_spread = Some(0);
        let inter_pod_affinity = if self.pod_affinity.scores() { self.pod_affinity.raw_score(node) } else { 0 };
        NodeScores {
            node: id,
            fit,
            balanced,
            image_locality,
            taint_toleration,
            node_affinity,
            topology_spread,
            inter_pod_affinity,
            total: 0,
        }
    }
}

impl Scheduler for KubernetesScheduler {
    fn name(&self) -> &'static str {
        "kubernetes"
    }

    fn schedule(&mut self, pod: &Pod, view: &ClusterView<'_>) -> Placement {
        // Equivalence classes (a speed-up, not a behaviour): a pod identical to
        // one that failed since the cluster last changed (same requests, GPU share, priority, tolerations and
        // node rules, no topology spread or pod affinity, which depend on its
        // job) fails the same way on an unchanged cluster, preemption
        // included: the same potential nodes and victims, so again no
        // candidate. A failed cycle examines every node, so the round-robin
        // start is back where it was; the only random number is preemption's
        // offset, which is drawn again: skipping the scan leaves the state as
        // it would be.
        let p = &pod.placement;
        // Plugins with terms for this pod (disabled ones ignore them).
        let spread = self.spread_enabled && !p.topology_spread.is_empty();
        let own_pod_terms = self.pod_affinity_enabled && p.has_pod_terms();
        let classable = !spread && !own_pod_terms;
        let class: FailureClass = (
            pod.requests,
            pod.gpu_share,
            pod.priority,
            std::sync::Arc::as_ptr(&pod.tolerations) as *const () as usize,
            std::sync::Arc::as_ptr(&pod.placement) as usize,
        );
        if self.failures_version != view.cluster().version() {
            self.failed.clear();
            self.failures_version = view.cluster().version();
        }
        if let Some(&(counts, drew)) = self.failed.get(&class) {
            if classable {
                if let Some(n) = drew {
                    preemption::draw_offset(&mut self.rng, n);
                }
                self.scored.clear();
                self.last_choice = None;
                return Placement::Unschedulable(counts);
            }
        }
        let nodes = view.nodes();
        let n = nodes.len();
        let to_find = num_feasible_nodes_to_find(n, self.params.percentage_of_nodes_to_score);
        let mut tally = RejectionTally::default();
        let mut scored = std::mem::take(&mut self.scored);
        scored.clear();
        // Per-attempt plugin state: computed for pods with terms, emptied
        // otherwise, so no later step can read a previous pod's counts.
        if spread {
            self.spread.compute(pod, view);
        } else {
            self.spread = Default::default();
        }
        // Also for pods without terms: bound pods' terms may reject or score them.
        let pod_affinity = self.pod_affinity_enabled && self.pod_affinity.compute(pod, view, self.params.hard_pod_affinity_weight);
        let start = if n == 0 { 0 } else { self.next_start_node_index % n };
        let pass = FilterPass { start, to_find, spread, pod_affinity, skip: Some(view.cluster().free_index()) };
        // One copy of the loop per filter set, so the default profile's
        // inlined `check` carries no test for disabled plugins.
        let (filters, all_filters) = (self.filters, self.filters == FilterSet::ALL);
        // Rejections are remembered where they depend on the class and the
        // node alone: no spread or pod affinity in the pass.
        let remember = classable && !pod_affinity && n > 0;
        let filter_class: FilterClass = (class.0, class.1, class.3, class.4);
        // A remembered class that still fails everywhere: the pass would
        // examine every node, reject each as remembered and leave the
        // round-robin start where it is.
        if !(remember && self.refresh_rejections(filter_class, pod, view, &mut tally)) {
            let mut rejections = std::mem::take(&mut self.rejection_buf);
            rejections.clear();
            rejections.resize(if remember { n } else { 0 }, Rejection::default());
            let mut run = |pass: FilterPass<'_>, tally: &mut RejectionTally, scored: &mut Vec<NodeScores>| {
                let rejected = PassRejections { tally, per_node: &mut rejections };
                if all_filters {
                    self.filter_and_score(check, pod, view, pass, scored, rejected)
                } else {
                    self.filter_and_score_some(filters, pod, view, pass, scored, rejected)
                }
            };
            let next_start = run(pass, &mut tally, &mut scored);
            if scored.is_empty() {
                // No feasible node: the failure's counts (and the remembered
                // rejections) need every node's reasons, which the skipping
                // pass left out. The full pass ends where it started, as the
                // skipping one did.
                tally = RejectionTally::default();
                run(FilterPass { skip: None, ..pass }, &mut tally, &mut scored);
            }
            self.next_start_node_index = next_start;
            if remember && scored.is_empty() {
                if self.rejections.len() >= MAX_REMEMBERED_CLASSES {
                    self.rejections.clear();
                }
                self.rejections.insert(filter_class, Remembered { at: view.cluster().version(), per_node: rejections, tally });
            } else {
                self.rejection_buf = rejections;
            }
        }
        let counts = tally.counts();
        let result = match scored.len() {
            0 => {
                // PostFilter: every node was examined and none fits.
                // Preemption can only help a pod of higher priority than some
                // bound pod: one comparison for clusters of equal priorities.
                let (drew, preempt) = if self.preemption_enabled && pod.priority > self.lowest_bound_priority(view) {
                    // Potential nodes, in index order: found again here rather
                    // than in the filter loop above, where every node of every
                    // attempt would pay for it; and not even here when the
                    // counts show that all nodes are (a full cluster).
                    self.preemption.clear();
                    if preemption::all_resolvable(&counts, n) {
                        self.preemption.add_all_potential(n);
                    } else {
                        for (i, node) in nodes.iter().enumerate() {
                            let r = if all_filters { check(pod, node) } else { check_some(pod, node, filters) };
                            if preemption::resolvable(r) {
                                self.preemption.add_potential(NodeId(i as u32));
                            }
                        }
                    }
                    let potential = self.preemption.num_potential();
                    let (spread_state, affinity_state) = (&self.spread, &self.pod_affinity);
                    let other_filters =
                        |node: &Node| (!spread || spread_state.allows(node)) && (!pod_affinity || affinity_state.allows(node));
                    let found = self.preemption.find(
                        pod,
                        view,
                        self.params.min_candidate_nodes_percentage.max(0) as u32,
                        self.params.min_candidate_nodes_absolute.max(0) as u32,
                        &mut self.rng,
                        other_filters,
                    );
                    // `find` draws its offset exactly when there is a potential node.
                    ((potential > 0).then_some(potential), found)
                } else {
                    (None, None)
                };
                match preempt {
                    Some((node, victims)) => Placement::Preempt { node, victims },
                    None => {
                        // Bound pods' anti-affinity rejects by class or job, which
                        // the key does not hold: only failures on the pod's own
                        // rules are kept (a pod with the same key fails those on
                        // every node before anti-affinity is looked at, so
                        // replaying is exact).
                        if classable && !pod_affinity {
                            self.failed.insert(class, (counts, drew));
                        }
                        Placement::Unschedulable(counts)
                    }
                }
            }
            // Upstream skips scoring when only one node is feasible.
            1 => Placement::Bind(scored[0].node),
            _ => {
                let w = &self.weights;
                // Normalization needs each plugin's extremes: a pass per plugin,
                // skipped for plugins with nothing to score for this pod (their
                // raw scores are all 0 and stay 0, as upstream's Skip).
                let max_taint = scored.iter().map(|s| s.taint_toleration).max().unwrap_or(0);
                let node_affinity = !pod.placement.affinity.preferred.is_empty();
                let max_affinity = if node_affinity { scored.iter().map(|s| s.node_affinity).max().unwrap_or(0) } else { 0 };
                let spread_scores = self.spread.scores();
                let (min_spread, max_spread) = if spread_scores {
                    self.spread.prescore(scored.iter().map(|s| view.node(s.node)));
                    for s in scored.iter_mut() {
                        s.topology_spread = self.spread.raw_score(pod, s.node, view);
                    }
                    let raw = scored.iter().filter_map(|s| s.topology_spread);
                    (raw.clone().min().unwrap_or(0), raw.max().unwrap_or(0))
                } else {
                    (0, 0)
                };
                let pod_affinity_scores = self.pod_affinity.scores();
                let (min_pod_aff, max_pod_aff) = if pod_affinity_scores {
                    // The actual extremes over the feasible nodes, as current upstream.
                    let raw = scored.iter().map(|s| s.inter_pod_affinity);
                    (raw.clone().min().unwrap_or(0), raw.max().unwrap_or(0))
                } else {
                    (0, 0)
                };
                for s in scored.iter_mut() {
                    s.taint_toleration = default_normalize(s.taint_toleration, max_taint, true);
                    if node_affinity {
                        s.node_affinity = default_normalize(s.node_affinity, max_affinity, false);
                    }
                    if pod_affinity_scores {
                        s.inter_pod_affinity = inter_pod_affinity::normalize(s.inter_pod_affinity, min_pod_aff, max_pod_aff);
                    }
                    s.topology_spread =
                        Some(if spread_scores { topology_spread::normalize(s.topology_spread, min_spread, max_spread) } else { 0 });
                    s.total = w.node_resources_fit * s.fit
                        + w.node_resources_balanced_allocation * s.balanced
                        + w.image_locality * s.image_locality
                        + w.taint_toleration * s.taint_toleration
                        + w.node_affinity * s.node_affinity
                        + w.pod_topology_spread * s.topology_spread.unwrap_or(0)
                        + w.inter_pod_affinity * s.inter_pod_affinity;
                }
                Placement::Bind(select_host(&scored, self.params.tie_break, &mut self.rng))
            }
        };
        self.scored = scored;
        self.last_choice = match result {
            Placement::Bind(n) | Placement::Preempt { node: n, .. } => Some(n),
            _ => None,
        };
        if self.last_choice.is_some() {
            self.lowest_bound_priority = Some(self.lowest_bound_priority(view).min(pod.priority));
        }
        result
    }

    fn explain(&self, top: usize, out: &mut Vec<Candidate>) {
        let w = &self.weights;
        let mut best: Vec<&NodeScores> = self.scored.iter().collect();
        // The chosen node first (it may have won a random tie), then by total;
        // among equals, examination order.
        best.sort_by_key(|s| (Some(s.node) != self.last_choice, std::cmp::Reverse(s.total)));
        // Disabled plugins are not in the profile: no part for them.
        let part = |plugin: Plugin, raw: i64, weight: i64| {
            self.params.enabled(plugin).then(|| ScorePart { plugin: plugin.name(), raw: raw as f64, weight: weight as f64 })
        };
        // A single feasible node is bound without scoring, as upstream: no parts.
        let scored = self.scored.len() > 1;
        out.extend(best.into_iter().take(top).map(|s| Candidate {
            node: s.node,
            total: s.total as f64,
            parts: if !scored {
                Vec::new()
            } else {
                [
                    part(Plugin::NodeResourcesFit, s.fit, w.node_resources_fit),
                    part(Plugin::NodeResourcesBalancedAllocation, s.balanced, w.node_resources_balanced_allocation),
                    part(Plugin::ImageLocality, s.image_locality, w.image_locality),
                    part(Plugin::TaintToleration, s.taint_toleration, w.taint_toleration),
                    part(Plugin::NodeAffinity, s.node_affinity, w.node_affinity),
                    part(Plugin::PodTopologySpread, s.topology_spread.unwrap_or(0), w.pod_topology_spread),
                    part(Plugin::InterPodAffinity, s.inter_pod_affinity, w.inter_pod_affinity),
                ]
                .into_iter()
                .flatten()
                .collect()
            },
        }));
    }
}

/// Picks the highest total; ties per `tie_break`.
fn select_host(scored: &[NodeScores], tie_break: TieBreak, rng: &mut SimRng) -> NodeId {
    let mut best = scored[0];
    let mut ties = 1u32;
    for s in &scored[1..] {
        if s.total > best.total {
            best = *s;
            ties = 1;
        } else if s.total == best.total && tie_break == TieBreak::Reservoir {
            ties += 1;
            if rng.random_range(0..ties) == 0 {
                best = *s;
            }
        }
    }
    best.node
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::taint::Taint;

    const GI: u64 = 1 << 30;
    const MI: u64 = 1 << 20;

    /// semantics.md §1 and §8: node 4000m / 8 GiB with 1500m / 3 GiB requested
    /// after placement → LeastAllocated 62, MostAllocated 37, Balanced 100.
    #[test]
    fn reference_scoring_vector() {
        let alloc = Resources { cpu_milli: 4000, memory_bytes: 8 * GI, gpu: 0 };
        let req = Resources { cpu_milli: 1500, memory_bytes: 3 * GI, gpu: 0 };
        let w = ResourceWeights::default();
        assert_eq!(fit_score(ScoringStrategy::LeastAllocated, &req, &alloc, &req, &w), 62);
        assert_eq!(fit_score(ScoringStrategy::MostAllocated, &req, &alloc, &req, &w), 37);
        assert_eq!(balanced_allocation(&req, &alloc), 100);
    }

    /// The worked example of the Kubernetes docs (resource-bin-packing.md):
    /// weights foo (here: GPU) 5, memory 1, cpu 3; shape 0 → 0, 100 → 10.
    /// On the docs' 0–10 scale node 1 scores 5 and node 2 scores 7; upstream
    /// code scales the shape ×10 and gives 60 and 69 (semantics.md notes the
    /// rounding difference: the docs' per-resource 7, 5, 3 and 5, 7, 10 are the
    /// same values at 1/10 the scale).
    #[test]
    fn requested_to_capacity_ratio_reproduces_the_docs_example() {
        let shape = [ShapePoint { utilization: 0, score: 0 }, ShapePoint { utilization: 100, score: 10 }];
        let w = ResourceWeights { cpu: 3, memory: 1, gpu: Some(5) };
        let mb = 1 << 20;
        let node1_alloc = Resources { cpu_milli: 8000, memory_bytes: 1024 * mb, gpu: 4 };
        let node1_req = Resources { cpu_milli: 1000 + 2000, memory_bytes: 256 * mb + 256 * mb, gpu: 1 + 2 };
        let node2_alloc = Resources { cpu_milli: 8000, memory_bytes: 1024 * mb, gpu: 8 };
        let node2_req = Resources { cpu_milli: 6000 + 2000, memory_bytes: 512 * mb + 256 * mb, gpu: 2 + 2 };
        // The incoming pod of the example: 2 CPUs, 256 MiB, 2 foo.
        let pod = Resources { cpu_milli: 2000, memory_bytes: 256 * mb, gpu: 2 };
        assert_eq!(requested_to_capacity_ratio(&node1_req, &node1_alloc, &pod, &w, &shape, 1), 5);
        assert_eq!(requested_to_capacity_ratio(&node2_req, &node2_alloc, &pod, &w, &shape, 1), 7);
        assert_eq!(requested_to_capacity_ratio(&node1_req, &node1_alloc, &pod, &w, &shape, 10), 60);
        assert_eq!(requested_to_capacity_ratio(&node2_req, &node2_alloc, &pod, &w, &shape, 10), 69);
        // The interpolation itself.
        assert_eq!([75, 50, 37, 100, 0].map(|u| broken_linear(&shape, u, 1)), [7, 5, 3, 10, 0]);
        assert_eq!([75, 50, 37, 100, 0].map(|u| broken_linear(&shape, u, 10)), [75, 50, 37, 100, 0]);
        let bent = [ShapePoint { utilization: 20, score: 10 }, ShapePoint { utilization: 80, score: 4 }];
        assert_eq!([0, 20, 50, 80, 100].map(|u| broken_linear(&bent, u, 1)), [10, 10, 7, 4, 4]);
    }

    #[test]
    fn gpus_count_only_when_weighted_and_requested_by_the_pod() {
        // cpu and memory 50 % → MostAllocated 50; GPUs 8 of 8 → 100.
        let alloc = Resources { cpu_milli: 1000, memory_bytes: 4 * GI, gpu: 8 };
        let req = Resources { cpu_milli: 500, memory_bytes: 2 * GI, gpu: 8 };
        let gpu_pod = Resources { cpu_milli: 100, memory_bytes: GI, gpu: 1 };
        let cpu_pod = Resources { gpu: 0, ..gpu_pod };
        let mut w = ResourceWeights::default();
        assert_eq!(fit_score(ScoringStrategy::MostAllocated, &req, &alloc, &gpu_pod, &w), 50);
        w.gpu = Some(2);
        // (50·1 + 50·1 + 100·2) / 4 = 75.
        assert_eq!(fit_score(ScoringStrategy::MostAllocated, &req, &alloc, &gpu_pod, &w), 75);
        // A pod without GPUs leaves them out (`calculateResourceAllocatableRequest`).
        assert_eq!(fit_score(ScoringStrategy::MostAllocated, &req, &alloc, &cpu_pod, &w), 50);
        let shape = default_shape();
        assert_eq!(requested_to_capacity_ratio(&req, &alloc, &cpu_pod, &w, &shape, 10), 50);
        assert_eq!(requested_to_capacity_ratio(&req, &alloc, &gpu_pod, &w, &shape, 10), 50, "GPUs full score 0 and are left out");
    }

    /// An unset request is scored as 100m / 200 MiB, a request set to 0 as 0
    /// (`GetNonzeroRequestForResource`), both for the incoming pod and for
    /// the pods already on the node.
    #[test]
    fn only_unset_requests_are_scored_with_the_defaults() {
        let mut c = cluster(2);
        let mut bound = crate::model::pod::tests_support::pod(0, 0, 0);
        bound.unset_requests = crate::model::UnsetRequests { cpu: true, memory: true };
        c.submit(bound);
        c.bind(crate::model::PodId(0), NodeId(0), crate::time::SimTime::ZERO);
        assert_eq!(c.nodes[0].non_zero_requested, Resources { cpu_milli: 100, memory_bytes: 200 * MI, gpu: 0 });
        let view = ClusterView::new(&c, crate::time::SimTime::ZERO);
        let fit = |unset| {
            let mut pod = crate::model::pod::tests_support::pod(1, 0, 0);
            pod.unset_requests = unset;
            let mut s = KubernetesScheduler::new(without(&[]), rng());
            s.schedule(&pod, &view);
            s.last_scores().iter().map(|x| x.fit).collect::<Vec<_>>()
        };
        // Node 1 empty. Explicit zeros: node 1 scores 100; node 0 carries the
        // bound pod's defaults: cpu (4000 − 100)·100/4000 = 97, memory
        // (8192 − 200)·100/8192 = 97.
        assert_eq!(fit(crate::model::UnsetRequests::NONE), [97, 100]);
        // Unset: node 1 cpu 97, memory 97; node 0 (4000 − 200)·100/4000 = 95,
        // (8192 − 400)·100/8192 = 95.
        assert_eq!(fit(crate::model::UnsetRequests { cpu: true, memory: true }), [95, 97]);
    }

    /// The issue's case: LeastAllocated with a GPU weight must not pull a
    /// CPU-only pod onto an idle GPU node, where the idle GPUs would score 100.
    #[test]
    fn a_gpu_weight_does_not_pull_cpu_only_pods_onto_gpu_nodes() {
        let mut c = cluster(2);
        c.nodes[1].allocatable.gpu = 8;
        let params = KubernetesParams {
            resource_weights: ResourceWeights { gpu: Some(5), ..Default::default() },
            tie_break: TieBreak::First,
            ..Default::default()
        };
        let mut s = KubernetesScheduler::new(params, rng());
        let view = ClusterView::new(&c, crate::time::SimTime::ZERO);
        let cpu_pod = crate::model::pod::tests_support::pod(0, 500, GI);
        assert_eq!(s.schedule(&cpu_pod, &view), Placement::Bind(NodeId(0)), "equal scores: the first node");
        let fits: Vec<i64> = s.last_scores().iter().map(|x| x.fit).collect();
        assert_eq!(fits[0], fits[1], "{fits:?}");
    }

    #[test]
    fn fit_weights_and_edge_cases() {
        // cpu 50 % used → 50, memory 25 % used → 75; weights cpu 3, memory 1 → (150+75)/4 = 56.
        let alloc = Resources { cpu_milli: 1000, memory_bytes: 4 * GI, gpu: 0 };
        let req = Resources { cpu_milli: 500, memory_bytes: GI, gpu: 0 };
        let w = ResourceWeights { cpu: 3, memory: 1, gpu: None };
        assert_eq!(fit_score(ScoringStrategy::LeastAllocated, &req, &alloc, &req, &w), 56);
        assert_eq!(least_allocated(5, 4), 0, "over capacity scores 0");
        assert_eq!(least_allocated(0, 0), 0);
        assert_eq!(most_allocated(5, 4), 100, "MostAllocated caps at capacity");
    }

    #[test]
    fn balanced_allocation_penalizes_skew() {
        // cpu 80 %, memory 20 % → std 0.3 → 70.
        let alloc = Resources { cpu_milli: 1000, memory_bytes: 10 * GI, gpu: 0 };
        let req = Resources { cpu_milli: 800, memory_bytes: 2 * GI, gpu: 0 };
        assert_eq!(balanced_allocation(&req, &alloc), 70);
        // Fractions cap at 1: cpu 150 % counts as 100 %; memory 0 → std 0.5 → 50.
        let req = Resources { cpu_milli: 1500, memory_bytes: 0, gpu: 0 };
        assert_eq!(balanced_allocation(&req, &alloc), 50);
    }

    #[test]
    fn nodes_examined_follow_upstream_examples() {
        // semantics.md §1: 500→230, 1000→420, 5000→500, 10000→500; < 100 → all.
        assert_eq!(num_feasible_nodes_to_find(50, 0), 50);
        assert_eq!(num_feasible_nodes_to_find(500, 0), 230);
        assert_eq!(num_feasible_nodes_to_find(1000, 0), 420);
        assert_eq!(num_feasible_nodes_to_find(5000, 0), 500);
        assert_eq!(num_feasible_nodes_to_find(10000, 0), 500);
        assert_eq!(num_feasible_nodes_to_find(1000, 100), 1000);
        assert_eq!(num_feasible_nodes_to_find(1000, 5), 100, "never fewer than 100");
    }

    #[test]
    fn image_locality_thresholds() {
        // Below 23 MiB → 0; at or above 1000 MiB → 100.
        assert_eq!(image_locality_score(10 * MI, 1), 0);
        assert_eq!(image_locality_score(2000 * MI, 1), 100);
        // 500 MiB on every node: 100·(500−23)/(1000−23) = 48.8 → 48.
        let sum = image_scaled_size(500 * MI, 10, 10);
        assert_eq!(image_locality_score(sum, 1), 48);
        // The same image on half the nodes counts half: 250 MiB → 23.
        let sum = image_scaled_size(500 * MI, 5, 10);
        assert_eq!(image_locality_score(sum, 1), 23);
    }

    #[test]
    fn taint_toleration_normalization_is_reversed() {
        assert_eq!(default_normalize(0, 2, true), 100);
        assert_eq!(default_normalize(1, 2, true), 50);
        assert_eq!(default_normalize(2, 2, true), 0);
        assert_eq!(default_normalize(0, 0, true), 100);
        let mut node = crate::model::node::tests_support::node(4000, 8 * GI);
        node.taints.push(Taint { key: "a".into(), value: "".into(), effect: TaintEffect::PreferNoSchedule });
        node.taints.push(Taint { key: "b".into(), value: "".into(), effect: TaintEffect::NoSchedule });
        assert_eq!(untolerated_prefer_no_schedule(&node, &[]), 1);
        let tol = Toleration { key: "a".into(), operator: crate::model::TolerationOperator::Exists, ..Default::default() };
        assert_eq!(untolerated_prefer_no_schedule(&node, &[tol]), 0);
    }

    fn cluster(n: usize) -> crate::model::Cluster {
        let nodes = (0..n).map(|_| crate::model::node::tests_support::node(4000, 8 * GI)).collect();
        let image = crate::model::ImageSpec { name: "a:1".into(), size_bytes: 10 * MI };
        crate::model::Cluster::new(nodes, vec![image.clone(), image])
    }

    #[test]
    fn ties_are_broken_uniformly_with_the_policy_stream() {
        // Three identical empty nodes: every total ties, so each should win about
        // a third of 3,000 independent decisions.
        let c = cluster(3);
        let view = ClusterView::new(&c, crate::time::SimTime::ZERO);
        let pod = crate::model::pod::tests_support::pod(0, 500, GI);
        let mut s =
            KubernetesScheduler::new(KubernetesParams::default(), crate::engine::stream_rng(1, 0, crate::engine::StreamId::SCHEDULER));
        let mut wins = [0u32; 3];
        for _ in 0..3000 {
            match s.schedule(&pod, &view) {
                Placement::Bind(n) => wins[n.index()] += 1,
                other => panic!("{other:?}"),
            }
        }
        assert!(wins.iter().all(|&w| (900..=1100).contains(&w)), "{wins:?}");
        // `first` always takes the first examined node of the cycle.
        let params = KubernetesParams { tie_break: TieBreak::First, ..Default::default() };
        let mut s = KubernetesScheduler::new(params, crate::engine::stream_rng(1, 0, crate::engine::StreamId::SCHEDULER));
        assert_eq!(s.schedule(&pod, &view), Placement::Bind(NodeId(0)));
    }

    #[test]
    fn filtering_resumes_where_the_last_cycle_stopped() {
        // 250 nodes, 40 %: 100 feasible nodes per cycle, so cycles start at
        // node 0, 100, 200, then wrap to 50 (200 + 100 − 250).
        let c = cluster(250);
        let view = ClusterView::new(&c, crate::time::SimTime::ZERO);
        let pod = crate::model::pod::tests_support::pod(0, 500, GI);
        let params = KubernetesParams { percentage_of_nodes_to_score: 40, tie_break: TieBreak::First, ..Default::default() };
        let mut s = KubernetesScheduler::new(params, crate::engine::stream_rng(1, 0, crate::engine::StreamId::SCHEDULER));
        let picks: Vec<u32> = (0..4)
            .map(|_| match s.schedule(&pod, &view) {
                Placement::Bind(n) => n.0,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(picks, vec![0, 100, 200, 50]);
        assert_eq!(s.last_scores().len(), 100);
    }

    #[test]
    fn failure_cache_gives_the_same_decisions_as_a_full_scan() {
        // A full 4-CPU node and a half-full one: 3-CPU pods fail, 1-CPU pods fit.
        let mut c = cluster(120);
        for n in c.nodes.iter_mut().take(119) {
            n.requested = Resources { cpu_milli: 4000, memory_bytes: GI, gpu: 0 };
        }
        c.nodes[119].requested = Resources { cpu_milli: 2000, memory_bytes: GI, gpu: 0 };
        let view = ClusterView::new(&c, crate::time::SimTime::ZERO);
        let shared = crate::model::pod::tests_support::pod(0, 3000, GI);
        let small = crate::model::pod::tests_support::pod(1, 1000, GI);
        let rng = || crate::engine::stream_rng(9, 0, crate::engine::StreamId::SCHEDULER);
        let mut cached = KubernetesScheduler::new(KubernetesParams::default(), rng());
        for pod in [&shared, &shared, &small, &shared, &small] {
            // A fresh scheduler per decision has no cache but the same start index.
            let mut fresh = KubernetesScheduler::new(KubernetesParams::default(), rng());
            fresh.next_start_node_index = cached.next_start_node_index;
            assert_eq!(cached.schedule(pod, &view), fresh.schedule(pod, &view));
            assert_eq!(cached.next_start_node_index, fresh.next_start_node_index);
        }
        assert_eq!(cached.failed.len(), 1);
    }

    #[test]
    fn remembered_rejections_follow_the_changed_nodes_as_a_full_scan_would() {
        // 120 nodes each running a 3-CPU pod: a 2-CPU pod of equal priority
        // fails everywhere (nothing to preempt) until nodes change.
        use crate::model::PodId;
        use crate::time::SimTime;
        let mut c = busy(&[(0, 3000); 120]);
        for i in 0..120 {
            c.start(PodId(i), SimTime::ZERO);
        }
        let pod = prio_pod(0, 2000);
        let mut cached = KubernetesScheduler::new(KubernetesParams::default(), rng());
        let t = SimTime::from_secs(1);
        for step in 0..6 {
            match step {
                0 => {}
                1 => assert!(!c.set_node_state(NodeId(5), true, true, true, t), "cordoned: rejected for another reason"),
                2 => c.finish(PodId(7), t),
                3 => {
                    c.submit(crate::model::pod::tests_support::pod(120, 2500, GI));
                    c.bind(PodId(120), NodeId(7), t);
                }
                4 => assert!(c.set_node_state(NodeId(5), true, true, false, t)),
                _ => c.finish(PodId(9), t),
            }
            let view = ClusterView::new(&c, t);
            let mut fresh = KubernetesScheduler::new(KubernetesParams::default(), rng());
            fresh.next_start_node_index = cached.next_start_node_index;
            let placement = cached.schedule(&pod, &view);
            assert_eq!(placement, fresh.schedule(&pod, &view), "step {step}");
            assert_eq!(cached.next_start_node_index, fresh.next_start_node_index);
            let fits = matches!(placement, Placement::Bind(_));
            assert_eq!(fits, step == 2 || step == 5, "step {step}: {placement:?}");
            // Remembered while it fails; forgotten once a node takes it.
            assert_eq!(cached.rejections.len(), !fits as usize, "step {step}");
        }
    }

    #[test]
    fn a_pass_skipping_full_nodes_finds_what_a_full_pass_finds() {
        // 300 nodes filled at random by binds, completions and cordons; pods
        // of random sizes from random starts: the skipping pass scores the
        // same nodes in the same order and stops at the same node.
        use crate::time::SimTime;
        use rand::SeedableRng;
        let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut c = cluster(300);
        let s = KubernetesScheduler::new(KubernetesParams::default(), rng());
        let t = SimTime::from_secs(1);
        for round in 0..400u32 {
            let (node, cpu) = (r.random_range(0..300u32), r.random_range(0..2000));
            let id = c.submit(crate::model::pod::tests_support::pod(round, cpu, r.random_range(0..3 * GI)));
            if crate::policy::scheduler::filter::check(c.pod(id), c.node(NodeId(node))).is_none() {
                c.bind(id, NodeId(node), t);
                c.start(id, t);
            }
            if round % 7 == 0 {
                if let Some(&done) = c.pods_on(NodeId(r.random_range(0..300))).first() {
                    c.finish(done, t);
                }
            }
            if round % 13 == 0 {
                c.set_node_state(NodeId(r.random_range(0..300)), true, true, round % 26 == 0, t);
            }
            let view = ClusterView::new(&c, t);
            let pod = crate::model::pod::tests_support::pod(9999, r.random_range(0..4000), r.random_range(0..8 * GI));
            let pass = FilterPass {
                start: r.random_range(0..300),
                to_find: 1 + round as usize % 40,
                spread: false,
                pod_affinity: false,
                skip: None,
            };
            let run = |pass: FilterPass<'_>| {
                let (mut scored, mut tally) = (Vec::new(), RejectionTally::default());
                let next =
                    s.filter_and_score(check, &pod, &view, pass, &mut scored, PassRejections { tally: &mut tally, per_node: &mut [] });
                (next, scored)
            };
            assert_eq!(run(FilterPass { skip: Some(c.free_index()), ..pass }), run(pass), "round {round}");
        }
    }

    /// `cluster(n)` with one running pod per node of (priority, cpu millis).
    fn busy(pods: &[(i32, u64)]) -> crate::model::Cluster {
        let mut c = cluster(pods.len());
        for (n, &(priority, cpu)) in pods.iter().enumerate() {
            let mut p = crate::model::pod::tests_support::pod(n as u32, cpu, GI);
            p.priority = priority;
            c.submit(p);
            c.bind(crate::model::PodId(n as u32), NodeId(n as u32), crate::time::SimTime::ZERO);
        }
        c
    }

    fn prio_pod(priority: i32, cpu: u64) -> Pod {
        let mut p = crate::model::pod::tests_support::pod(999, cpu, GI);
        p.priority = priority;
        p
    }

    fn rng() -> SimRng {
        crate::engine::stream_rng(5, 0, crate::engine::StreamId::SCHEDULER)
    }

    #[test]
    fn unschedulable_pods_preempt_lower_priority_ones_unless_switched_off() {
        // Two full 4-CPU nodes running priority 3 and 1: a priority-5 pod
        // evicts the priority-1 pod (rule 2: lowest highest-victim priority).
        let c = busy(&[(3, 4000), (1, 4000)]);
        let view = ClusterView::new(&c, crate::time::SimTime::ZERO);
        let mut s = KubernetesScheduler::new(KubernetesParams::default(), rng());
        let victims = vec![crate::model::PodId(1)];
        assert_eq!(s.schedule(&prio_pod(5, 1000), &view), Placement::Preempt { node: NodeId(1), victims });
        assert_eq!(s.last_choice, Some(NodeId(1)), "explanations record the chosen node");
        for off in [
            KubernetesParams { preemption: false, ..Default::default() },
            KubernetesParams { disabled_plugins: vec![Plugin::DefaultPreemption], ..Default::default() },
        ] {
            let mut s = KubernetesScheduler::new(off, rng());
            assert!(matches!(s.schedule(&prio_pod(5, 1000), &view), Placement::Unschedulable(_)));
        }
        // Priority 1 may only evict lower priorities: there are none, and the
        // cheap check skips the dry run without drawing a random number.
        let mut s = KubernetesScheduler::new(KubernetesParams::default(), rng());
        let before = s.rng.clone();
        assert!(matches!(s.schedule(&prio_pod(1, 1000), &view), Placement::Unschedulable(_)));
        assert_eq!(s.rng, before);
        assert_eq!(s.lowest_bound_priority, Some(1));
    }

    #[test]
    fn preemption_parameters_are_validated_as_upstream() {
        let fields = |p: KubernetesParams| p.validate().into_iter().map(|(f, _)| f).collect::<Vec<_>>();
        assert!(fields(KubernetesParams::default()).is_empty());
        let d = KubernetesParams::default();
        assert!(d.preemption);
        assert_eq!((d.min_candidate_nodes_percentage, d.min_candidate_nodes_absolute), (10, 100));
        let p =
            |pct, abs| KubernetesParams { min_candidate_nodes_percentage: pct, min_candidate_nodes_absolute: abs, ..Default::default() };
        assert_eq!(fields(p(101, 100)), vec!["min_candidate_nodes_percentage"]);
        assert_eq!(fields(p(-1, 100)), vec!["min_candidate_nodes_percentage"]);
        assert_eq!(fields(p(10, -1)), vec!["min_candidate_nodes_absolute"]);
        assert_eq!(fields(p(0, 0)), vec!["min_candidate_nodes_percentage"], "both 0 is rejected");
        assert!(fields(p(0, 1)).is_empty() && fields(p(100, 0)).is_empty());
    }

    #[test]
    fn failure_cache_replays_preemption_and_its_random_draw() {
        // Full nodes whose lower-priority pods free too little for a 3-CPU pod
        // of priority 5 (1-CPU victims beside 3-CPU pods of priority 9):
        // preemption runs, draws its offset and finds nothing, every time.
        let mut c = busy(&[(9, 3000); 120]);
        for i in 0..120 {
            let id = 120 + i;
            let mut p = crate::model::pod::tests_support::pod(id, 1000, GI);
            p.priority = 1;
            c.submit(p);
            c.bind(crate::model::PodId(id), NodeId(i), crate::time::SimTime::ZERO);
        }
        let view = ClusterView::new(&c, crate::time::SimTime::ZERO);
        let (big, top) = (prio_pod(5, 3000), prio_pod(10, 3000));
        let mut cached = KubernetesScheduler::new(KubernetesParams::default(), rng());
        // The priority-10 pod is the same class but for its priority, and it
        // can evict the priority-9 pods: the cache must not answer for it.
        for (pod, preempts) in [(&big, false), (&big, false), (&top, true), (&big, false), (&big, false)] {
            let mut fresh = KubernetesScheduler::new(KubernetesParams::default(), cached.rng.clone());
            fresh.next_start_node_index = cached.next_start_node_index;
            let (a, b) = (cached.schedule(pod, &view), fresh.schedule(pod, &view));
            assert_eq!(matches!(a, Placement::Preempt { .. }), preempts, "{a:?}");
            assert_eq!(a, b);
            assert_eq!(cached.rng, fresh.rng, "a cached failure replays the offset draw");
        }
        let drew: Vec<_> = cached.failed.values().map(|(_, drew)| *drew).collect();
        assert_eq!(drew, [Some(120)], "every node was a potential node");
    }

    #[test]
    fn a_failed_gpu_share_is_not_the_failure_of_the_same_pod_without_one() {
        // No node has a GPU: the pod asking a share fails; the same requests
        // without a share must not be answered from that failure.
        let c = cluster(3);
        let view = ClusterView::new(&c, crate::time::SimTime::ZERO);
        let mut shared = crate::model::pod::tests_support::pod(0, 500, GI);
        shared.gpu_share = 500;
        let plain = crate::model::pod::tests_support::pod(1, 500, GI);
        let mut s =
            KubernetesScheduler::new(KubernetesParams::default(), crate::engine::stream_rng(1, 0, crate::engine::StreamId::SCHEDULER));
        assert!(matches!(s.schedule(&shared, &view), Placement::Unschedulable(_)));
        assert!(matches!(s.schedule(&plain, &view), Placement::Bind(_)));
        assert!(matches!(s.schedule(&shared, &view), Placement::Unschedulable(_)), "answered again, from the cache");
    }

    fn without(plugins: &[Plugin]) -> KubernetesParams {
        KubernetesParams { disabled_plugins: plugins.to_vec(), tie_break: TieBreak::First, ..Default::default() }
    }

    fn decide(params: KubernetesParams, c: &crate::model::Cluster, pod: &Pod) -> Placement {
        KubernetesScheduler::new(params, rng()).schedule(pod, &ClusterView::new(c, crate::time::SimTime::ZERO))
    }

    #[test]
    fn disabled_taint_toleration_neither_filters_nor_scores() {
        // Filter: the only node has an untolerated NoSchedule taint.
        let mut c = cluster(1);
        c.nodes[0].taints.push(Taint { key: "a".into(), value: "".into(), effect: TaintEffect::NoSchedule });
        let pod = crate::model::pod::tests_support::pod(0, 500, GI);
        match decide(without(&[]), &c, &pod) {
            Placement::Unschedulable(f) => assert_eq!(f.untolerated_taint, 1),
            other => panic!("{other:?}"),
        }
        assert_eq!(decide(without(&[Plugin::TaintToleration]), &c, &pod), Placement::Bind(NodeId(0)));
        // Score: node 0 has a PreferNoSchedule taint, node 1 none; otherwise
        // equal. Enabled, node 1 wins by 3 × 100; disabled, the tie goes to
        // the first examined node.
        let mut c = cluster(2);
        c.nodes[0].taints.push(Taint { key: "a".into(), value: "".into(), effect: TaintEffect::PreferNoSchedule });
        assert_eq!(decide(without(&[]), &c, &pod), Placement::Bind(NodeId(1)));
        assert_eq!(decide(without(&[Plugin::TaintToleration]), &c, &pod), Placement::Bind(NodeId(0)));
    }

    #[test]
    fn disabled_node_affinity_ignores_the_node_selector() {
        let c = cluster(2);
        let mut pod = crate::model::pod::tests_support::pod(0, 500, GI);
        let mut placement = crate::model::affinity::NodePlacement::default();
        placement.node_selector.insert("disk".into(), "ssd".into());
        pod.placement = std::sync::Arc::new(placement);
        match decide(without(&[]), &c, &pod) {
            Placement::Unschedulable(f) => assert_eq!(f.node_affinity_mismatch, 2),
            other => panic!("{other:?}"),
        }
        assert_eq!(decide(without(&[Plugin::NodeAffinity]), &c, &pod), Placement::Bind(NodeId(0)));
        // Taints still filter when only NodeAffinity is off.
        let mut c = cluster(2);
        c.nodes[0].taints.push(Taint { key: "a".into(), value: "".into(), effect: TaintEffect::NoExecute });
        assert_eq!(decide(without(&[Plugin::NodeAffinity]), &c, &pod), Placement::Bind(NodeId(1)));
    }

    #[test]
    fn disabled_spread_and_pod_affinity_drop_their_filters() {
        use crate::model::affinity::{AffinitySelector, NodePlacement, PodAffinityTerm, PodSelector, SpreadConstraint, WhenUnsatisfiable};
        // No node carries `zone`: a DoNotSchedule constraint on it rejects all.
        let c = cluster(2);
        let mut pod = crate::model::pod::tests_support::pod(0, 500, GI);
        let spread = SpreadConstraint {
            max_skew: 1,
            topology_key: "zone".into(),
            when_unsatisfiable: WhenUnsatisfiable::DoNotSchedule,
            selector: PodSelector::Workload,
        };
        pod.placement = std::sync::Arc::new(NodePlacement { topology_spread: vec![spread], ..Default::default() });
        match decide(without(&[]), &c, &pod) {
            Placement::Unschedulable(f) => assert_eq!(f.topology_spread_violation, 2),
            other => panic!("{other:?}"),
        }
        assert_eq!(decide(without(&[Plugin::PodTopologySpread]), &c, &pod), Placement::Bind(NodeId(0)));
        // Both nodes in zone `a`, a pod of the class running on node 0:
        // required anti-affinity on `zone` rejects both.
        let mut c = cluster(2);
        for n in &mut c.nodes {
            n.labels.insert("zone".into(), "a".into());
        }
        c.submit(crate::model::pod::tests_support::pod(0, 500, GI));
        c.bind(crate::model::PodId(0), NodeId(0), crate::time::SimTime::ZERO);
        let mut pod = crate::model::pod::tests_support::pod(1, 500, GI);
        let term = PodAffinityTerm { topology_key: "zone".into(), selector: AffinitySelector::Workload };
        let mut placement = NodePlacement::default();
        placement.pod_anti_affinity.required.push(term);
        pod.placement = std::sync::Arc::new(placement);
        match decide(without(&[]), &c, &pod) {
            Placement::Unschedulable(f) => assert_eq!(f.pod_affinity_violation, 2),
            other => panic!("{other:?}"),
        }
        assert!(matches!(decide(without(&[Plugin::InterPodAffinity]), &c, &pod), Placement::Bind(_)));
    }

    #[test]
    fn disabled_score_plugins_add_nothing_and_leave_the_explanation() {
        // A 1000 MiB image on node 0 only: ImageLocality favours node 0.
        let mut c = cluster(2);
        c.images[0].size_bytes = 1000 * MI;
        c.nodes[0].image_ready_at[0] = Some(crate::time::SimTime::ZERO);
        c.image_pulled(crate::model::NodeId(0), crate::model::ImageId(0));
        let pod = crate::model::pod::tests_support::pod(0, 500, GI);
        let view = ClusterView::new(&c, crate::time::SimTime::ZERO);
        let totals = |s: &KubernetesScheduler| s.last_scores().iter().map(|x| x.total).collect::<Vec<_>>();
        let mut on = KubernetesScheduler::new(without(&[]), rng());
        assert_eq!(on.schedule(&pod, &view), Placement::Bind(NodeId(0)));
        let t = totals(&on);
        // 500 MiB scaled (on 1 of 2 nodes) → 100·(500 − 23)/(1000 − 23) = 48.
        assert_eq!(t[0] - t[1], 48);
        let mut off = KubernetesScheduler::new(without(&[Plugin::ImageLocality, Plugin::NodeResourcesBalancedAllocation]), rng());
        off.schedule(&pod, &view);
        let t_off = totals(&off);
        assert_eq!(t_off[0], t_off[1], "nothing tells the nodes apart any more");
        assert_eq!(t_off[0], t[1] - 100, "BalancedAllocation's 100 is gone too");
        let mut parts = Vec::new();
        off.explain(1, &mut parts);
        let names: Vec<&str> = parts[0].parts.iter().map(|p| p.plugin).collect();
        assert!(!names.contains(&"ImageLocality") && !names.contains(&"NodeResourcesBalancedAllocation"), "{names:?}");
        assert!(names.contains(&"NodeResourcesFit"));
        assert_eq!(parts[0].parts.iter().map(|p| p.raw * p.weight).sum::<f64>(), parts[0].total);
    }

    #[test]
    fn disabled_plugins_use_upstream_names_and_keep_node_resources_fit() {
        let parse = |t: &str| toml::from_str::<KubernetesParams>(t);
        let p = parse(r#"disabled_plugins = ["TaintToleration", "DefaultPreemption"]"#).unwrap();
        assert_eq!(p.disabled_plugins, vec![Plugin::TaintToleration, Plugin::DefaultPreemption]);
        assert!(p.validate().is_empty());
        for bad in ["tainttoleration", "taint_toleration", "NodePorts", "*"] {
            let e = parse(&format!("disabled_plugins = [\"{bad}\"]")).unwrap_err().to_string();
            assert!(e.contains("unknown variant"), "{bad}: {e}");
        }
        let fit = parse(r#"disabled_plugins = ["ImageLocality", "NodeResourcesFit", "ImageLocality"]"#).unwrap();
        let errors = fit.validate();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].0, "disabled_plugins[1]");
        assert!(errors[0].1.contains("plugin_weights.node_resources_fit = 0"), "{}", errors[0].1);
        assert_eq!(errors[1], ("disabled_plugins[2]".to_string(), "ImageLocality is listed twice".to_string()));
    }
}
