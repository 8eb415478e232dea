//! Karpenter, a consolidating provisioner (semantics.md §3;
//! `aws/karpenter-provider-aws:website/content/en/docs/concepts/disruption.md`,
//! `kubernetes-sigs/karpenter:pkg/controllers/disruption/{consolidation,emptiness,
//! multinodeconsolidation,singlenodeconsolidation,helpers,types}.go`,
//! `pkg/utils/disruption/disruption.go`, `orchestration/queue.go`).
//!
//! Unlike Cluster Autoscaler it is driven by price, has no utilization
//! threshold and no unneeded timer, and can *replace* a node with a cheaper one.
//! The scenario's pools play the part of the instance types of one NodePool.
//!
//! Every scan (10 s):
//!
//! * **provisioning**: the unschedulable pods that fit neither a node in
//!   service nor one on its way (`filterOutSchedulable`, shared with Cluster
//!   Autoscaler) are binpacked onto each pool's template
//!   ([`estimate_nodes`](crate::policy::autoscaler::cluster_autoscaler::estimate_nodes));
//!   the pool giving the cheapest capacity per pod placed is asked for the
//!   nodes needed, at once (no scale-up delay). Pods it cannot take are left
//!   for the next scan, which picks another pool for them.
//! * **replacements** launched earlier are watched: once one has joined, the
//!   nodes it replaces are removed; after 10 minutes without it
//!   (`maxRetryDuration`) the replacement is given up and they stay.
//! * **consolidation** (`consolidationPolicy: WhenEmptyOrUnderutilized`):
//!   the first of these mechanisms that finds something acts, the others wait
//!   for a later scan: (a) **empty**: delete every empty candidate, in
//!   parallel; (b) **multi-node**: delete the longest prefix (≥ 2) of the
//!   candidates whose pods all fit elsewhere, or replace it with one node of
//!   another pool cheaper than all of them together (binary search over the
//!   prefix length, at most 100 candidates, as upstream); (c) **single-node**:
//!   delete the first candidate whose pods fit elsewhere, or replace it with
//!   the cheapest node of a cheaper pool that takes what does not fit
//!   elsewhere. A replacement is asked for now; the old nodes are removed only
//!   once it has joined (state kept in [`Karpenter`]).
//!
//! **Candidates** are nodes in service that nothing is deleting, whose pods
//! have not changed for `consolidate_after`, and that no pending pod needs
//! (upstream's *nominated* nodes: the what-if places pending pods and the pods
//! of nodes being deleted first, as `SimulateScheduling` does, and the nodes
//! that receive them are kept). They are tried cheapest to disrupt first:
//! upstream's disruption cost, the sum over the node's pods of
//! `clamp(1 + priority/2^25, −10, 10)` times the fraction of its lifetime
//! (`expireAfter`, 720 h) left — fewer pods first, then lower-priority pods,
//! then nodes closer to expiry; ties by node id.
//!
//! **Disruption budget** `nodes: 10%`: at most `roundup(total · 10 %) −
//! deleting − notReady` nodes are disrupted at once, over all pools (one
//! NodePool). Nodes being removed, or waiting for their replacement, count as
//! deleting; joined nodes are always Ready in the simulator. Pool minimums are
//! never crossed (upstream has no minimum; the scenario's pools do).
//!
//! **Validation**: as upstream, a consolidation decision is executed only if it
//! still holds `consolidationTTL` (15 s) later — here at the first scan at
//! least that late — and consolidation waits meanwhile (upstream's controller
//! blocks while validating). A decision that no longer holds is dropped and
//! consolidation is computed again.
//!
//! **Differences from upstream**: the old node of a replacement is not tainted
//! `karpenter.sh/disrupted:NoSchedule` (the simulator has no cordon action), so
//! pods may still land on it until it is removed; `lastPodEventTime` is seen at
//! scan resolution; expiration, drift and spot-to-spot rules are not modelled;
//! if several nodes of a pool are on their way, the first to join is taken as
//! the replacement. There are no random choices (ties go to the lower pool
//! index or node id), so the policy needs no random stream.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::model::{Cluster, Node, NodeId, PodId, PodPhase};
use crate::policy::autoscaler::cluster_autoscaler::{pods_needing_nodes, scale_up_options, ScaleUpOption};
use crate::policy::autoscaler::repack::{Repacker, Spare};
use crate::policy::autoscaler::{NodeAction, NodeAutoscaler, NodeScalingView};
use crate::time::{SimDuration, SimTime};

/// `spec.disruption.consolidationPolicy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ConsolidationPolicy {
    /// Only empty nodes are deleted.
    WhenEmpty,
    /// Empty nodes are deleted and others deleted or replaced when cheaper
    /// (the v1 default).
    #[default]
    WhenEmptyOrUnderutilized,
}

/// Karpenter's settings that matter to the model, with upstream's defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct KarpenterParams {
    /// How often pending pods are provisioned for and consolidation is
    /// computed (10 s: the disruption controller's poll period, and about
    /// the provisioner's `batchMaxDuration`).
    pub interval: SimDuration,
    /// Whether consolidation runs at all (false: `consolidateAfter: Never`).
    pub consolidation: bool,
    /// `spec.disruption.consolidationPolicy` (`WhenEmptyOrUnderutilized`).
    pub consolidation_policy: ConsolidationPolicy,
    /// `spec.disruption.consolidateAfter`: how long a node's pods must not
    /// have changed (a pod bound or gone, or the node joining) before it is a
    /// candidate (0 s, as the v1 docs' examples).
    pub consolidate_after: SimDuration,
    /// The `nodes` disruption budget in percent of the nodes (10: the default
    /// budget `nodes: 10%`).
    pub budget_percent: u32,
    /// `consolidationTTL`: how long a consolidation decision must keep holding
    /// before it is executed (15 s, `consolidation.go`). Zero acts at once.
    pub validation_ttl: SimDuration,
    /// `expireAfter` (720 h), used only to weigh candidates by the lifetime
    /// they have left (`LifetimeRemaining`); `None` for `Never`.
    pub expire_after: Option<SimDuration>,
    /// How long to wait for a replacement to join before giving it up and
    /// keeping the old nodes (10 min, `maxRetryDuration` of the queue).
    pub replacement_timeout: SimDuration,
}

impl Default for KarpenterParams {
    fn default() -> Self {
        KarpenterParams {
            interval: SimDuration::from_secs(10),
            consolidation: true,
            consolidation_policy: ConsolidationPolicy::default(),
            consolidate_after: SimDuration::ZERO,
            budget_percent: 10,
            validation_ttl: SimDuration::from_secs(15),
            expire_after: Some(SimDuration::from_secs(720 * 3600)),
            replacement_timeout: SimDuration::from_secs(600),
        }
    }
}

/// Most candidates multi-node consolidation considers (`MultiNodeConsolidation`).
const MAX_MULTI_NODE_CANDIDATES: usize = 100;

/// Upstream's `EvictionCost` of one pod: `1 + priority / 2^25`, clamped to
/// [−10, 10] (there are no `pod-deletion-cost` annotations in the model).
pub fn eviction_cost(priority: i32) -> f64 {
    (1.0 + priority as f64 / (1u64 << 25) as f64).clamp(-10.0, 10.0)
}

/// Upstream's disruption cost of a node: the sum of its pods' eviction costs
/// times the fraction of its lifetime left, `clamp((expire − age)/expire, 0, 1)`
/// (1 without expiry). Lower is disrupted first.
pub fn disruption_cost(cluster: &Cluster, node: NodeId, age: SimDuration, expire_after: Option<SimDuration>) -> f64 {
    let pods: f64 = cluster.pods_on(node).iter().map(|&p| eviction_cost(cluster.pod(p).priority)).sum();
    let remaining = match expire_after {
        Some(e) if e > SimDuration::ZERO => {
            let (e, a) = (e.as_micros() as f64, age.as_micros() as f64);
            ((e - a) / e).clamp(0.0, 1.0)
        }
        _ => 1.0,
    };
    pods * remaining
}

/// Which consolidation mechanism produced a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mechanism {
    Empty,
    MultiNode,
    SingleNode,
}

/// What to do with a set of candidates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Decision {
    /// Their pods fit on the nodes in service.
    Delete,
    /// Their pods fit on the nodes in service plus one new node of this pool.
    Replace(u32),
}

/// A consolidation decision.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Command {
    mechanism: Mechanism,
    nodes: Vec<NodeId>,
    decision: Decision,
}

/// What is known of a node in service.
#[derive(Clone, Copy, Debug)]
struct Seen {
    /// When the autoscaler first saw it (its creation, at scan resolution).
    first: SimTime,
    /// Order-independent digest of the pods bound to it.
    pods: u64,
    /// When those pods last changed (upstream's `lastPodEventTime`, or the
    /// node's initialization).
    last_event: SimTime,
}

/// A replacement asked for and not joined yet.
#[derive(Clone, Debug)]
struct Replacement {
    /// The nodes to remove once it joins.
    old: Vec<NodeId>,
    /// Its pool.
    pool: u32,
    /// When it was asked for.
    asked_at: SimTime,
    /// Node ids from here on joined after it was asked for.
    first_new: u32,
}

/// The `karpenter` node autoscaler.
#[derive(Debug)]
pub struct Karpenter {
    params: KarpenterParams,
    /// Nodes in service, by id.
    seen: BTreeMap<NodeId, Seen>,
    /// Nodes this autoscaler asked to remove that are still in service.
    removing: BTreeSet<NodeId>,
    /// Replacements on their way.
    replacements: Vec<Replacement>,
    /// Nodes that joined as replacements (never taken for another one).
    claimed: BTreeSet<NodeId>,
    /// Joined replacements whose old nodes are still being drained: they are
    /// not candidates until those are gone (the old pods are on their way).
    settling: BTreeMap<NodeId, Vec<NodeId>>,
    /// A decision waiting for its validation, with when it was made.
    pending: Option<(Command, SimTime)>,
    /// The state in which consolidation last found nothing (upstream's
    /// `IsConsolidated`): while it is unchanged nothing is recomputed.
    consolidated: Option<StateKey>,
}

/// What consolidation's outcome depends on.
#[derive(Clone, Debug, PartialEq, Eq)]
struct StateKey {
    version: u64,
    candidates: Vec<NodeId>,
    allowed: u32,
    headroom: Vec<u32>,
    pending: usize,
}

/// Everything one consolidation pass reads, computed once per scan.
struct Context<'v, 'a> {
    view: &'v NodeScalingView<'a>,
    /// Candidates, cheapest to disrupt first.
    candidates: Vec<NodeId>,
    /// Nodes that may still be disrupted now.
    allowed: u32,
    /// Nodes per pool in service and not being deleted.
    left: Vec<u32>,
    /// Nodes per pool that may still be added.
    headroom: Vec<u32>,
    /// The what-if with pending pods and the pods of deleting nodes placed,
    /// and every deleting node excluded.
    base: Repacker,
}

impl Context<'_, '_> {
    fn cluster(&self) -> &Cluster {
        self.view.cluster
    }

    fn pool_of(&self, node: NodeId) -> usize {
        self.cluster().node(node).group as usize
    }

    /// Whether `node` may go with `left` nodes per pool remaining; if so,
    /// counts it out of `left`.
    fn take(&self, left: &mut [u32], node: NodeId) -> bool {
        let g = self.pool_of(node);
        let ok = left[g] > self.view.pools[g].min;
        if ok {
            left[g] -= 1;
        }
        ok
    }

    /// Whether removing `nodes` together keeps every pool at its minimum.
    fn above_minimums(&self, nodes: &[NodeId]) -> bool {
        let mut left = self.left.clone();
        nodes.iter().all(|&n| self.take(&mut left, n))
    }

    /// Runs the scheduling simulation for removing `nodes` together: a delete
    /// if their pods fit the nodes in service, else a replace with the
    /// cheapest pool (not one of theirs, with headroom, cheaper than all of
    /// them together) whose one new node takes the rest.
    fn simulate(&self, nodes: &[NodeId]) -> Option<Decision> {
        let cluster = self.cluster();
        let mut r = self.base.clone();
        for &n in nodes {
            r.exclude(n);
        }
        let mut delete = r.clone();
        if nodes.iter().all(|&n| delete.try_drain(cluster, n)) {
            return Some(Decision::Delete);
        }
        let price: f64 = nodes.iter().map(|&n| self.view.pools[self.pool_of(n)].price_per_hour).sum();
        let theirs: BTreeSet<usize> = nodes.iter().map(|&n| self.pool_of(n)).collect();
        let mut cheaper: Vec<usize> = (0..self.view.pools.len())
            .filter(|&i| !theirs.contains(&i) && self.headroom[i] > 0 && self.view.pools[i].price_per_hour < price)
            .collect();
        cheaper.sort_by(|&a, &b| self.view.pools[a].price_per_hour.total_cmp(&self.view.pools[b].price_per_hour).then(a.cmp(&b)));
        cheaper.into_iter().find_map(|i| {
            let mut spare = Spare::new(self.view.pools[i].template);
            let mut replace = r.clone();
            nodes.iter().all(|&n| replace.try_drain_into(cluster, n, Some(&mut spare))).then_some(Decision::Replace(i as u32))
        })
    }

    /// (a) Every empty candidate, within the budget and the pools' minimums.
    fn empty(&self) -> Option<Command> {
        let (mut nodes, mut left) = (Vec::new(), self.left.clone());
        for &n in &self.candidates {
            if nodes.len() as u32 >= self.allowed {
                break;
            }
            if self.cluster().node(n).pod_count == 0 && self.take(&mut left, n) {
                nodes.push(n);
            }
        }
        (!nodes.is_empty()).then_some(Command { mechanism: Mechanism::Empty, nodes, decision: Decision::Delete })
    }

    /// (b) The longest prefix (≥ 2) of the candidates that can go together,
    /// found by binary search as `firstNConsolidationOption` does.
    fn multi_node(&self) -> Option<Command> {
        let (mut within, mut left) = (Vec::new(), self.left.clone());
        for &n in &self.candidates {
            if within.len() as u32 >= self.allowed || within.len() >= MAX_MULTI_NODE_CANDIDATES {
                break;
            }
            if self.take(&mut left, n) {
                within.push(n);
            }
        }
        if within.len() < 2 {
            return None;
        }
        let (mut lo, mut hi) = (1usize, within.len() - 1);
        let mut best = None;
        while lo <= hi {
            let mid = (lo + hi) / 2;
            match self.simulate(&within[..=mid]) {
                Some(decision) => {
                    best = Some(Command { mechanism: Mechanism::MultiNode, nodes: within[..=mid].to_vec(), decision });
                    lo = mid + 1;
                }
                None => hi = mid - 1,
            }
        }
        best
    }

    /// (c) The first candidate that can be deleted or replaced alone.
    fn single_node(&self) -> Option<Command> {
        if self.allowed == 0 {
            return None;
        }
        self.candidates.iter().find_map(|&n| {
            if !self.above_minimums(&[n]) {
                return None;
            }
            let decision = self.simulate(&[n])?;
            Some(Command { mechanism: Mechanism::SingleNode, nodes: vec![n], decision })
        })
    }

    /// The first mechanism's command, if any acts.
    fn compute(&self, policy: ConsolidationPolicy) -> Option<Command> {
        self.empty().or_else(|| match policy {
            ConsolidationPolicy::WhenEmpty => None,
            ConsolidationPolicy::WhenEmptyOrUnderutilized => self.multi_node().or_else(|| self.single_node()),
        })
    }

    /// Whether `cmd`, decided earlier, still holds: its nodes are all still
    /// candidates, within the budget and the minimums, and the simulation
    /// still comes to the same decision.
    fn still_holds(&self, cmd: &Command) -> bool {
        let valid = cmd.nodes.iter().all(|n| self.candidates.contains(n))
            && cmd.nodes.len() as u32 <= self.allowed
            && self.above_minimums(&cmd.nodes);
        valid
            && match cmd.mechanism {
                Mechanism::Empty => cmd.nodes.iter().all(|&n| self.cluster().node(n).pod_count == 0),
                Mechanism::MultiNode | Mechanism::SingleNode => self.simulate(&cmd.nodes) == Some(cmd.decision),
            }
    }
}

/// An order-independent digest of a node's pods (bindings and removals both
/// change it).
fn pods_digest(pods: &[PodId]) -> u64 {
    pods.iter().fold(pods.len() as u64, |acc, p| {
        // SplitMix64's finalizer: distinct ids give unrelated summands.
        let mut z = (p.0 as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        acc.wrapping_add(z ^ (z >> 31))
    })
}

impl Karpenter {
    /// A Karpenter with `params`. It makes no random choices, so it takes no
    /// random stream.
    pub fn new(params: KarpenterParams) -> Self {
        Karpenter {
            params,
            seen: BTreeMap::new(),
            removing: BTreeSet::new(),
            replacements: Vec::new(),
            claimed: BTreeSet::new(),
            settling: BTreeMap::new(),
            pending: None,
            consolidated: None,
        }
    }

    /// Updates what is known of each node and forgets removed ones.
    fn observe(&mut self, view: &NodeScalingView<'_>) {
        let (now, cluster) = (view.now, view.cluster);
        let live = |id: &NodeId| !cluster.node(*id).removed;
        self.seen.retain(|id, _| live(id));
        self.removing.retain(live);
        self.claimed.retain(live);
        self.settling.retain(|id, old| {
            old.retain(live);
            live(id) && !old.is_empty()
        });
        for (id, _) in cluster.live_nodes() {
            let digest = pods_digest(cluster.pods_on(id));
            let seen = self.seen.entry(id).or_insert(Seen { first: now, pods: digest, last_event: now });
            if seen.pods != digest {
                seen.pods = digest;
                seen.last_event = now;
            }
        }
    }

    /// Removes the old nodes of replacements that have joined; gives up those
    /// that took too long.
    fn finish_replacements(&mut self, view: &NodeScalingView<'_>, actions: &mut Vec<NodeAction>) {
        let (now, cluster) = (view.now, view.cluster);
        let mut waiting = Vec::new();
        for mut rep in std::mem::take(&mut self.replacements) {
            rep.old.retain(|&n| !cluster.node(n).removed);
            if rep.old.is_empty() {
                continue;
            }
            let joined = cluster
                .live_nodes()
                .find(|&(id, n)| id.0 >= rep.first_new && n.group == rep.pool && !self.claimed.contains(&id))
                .map(|(id, _)| id);
            if let Some(new) = joined {
                self.claimed.insert(new);
                for &old in &rep.old {
                    if self.removing.insert(old) {
                        actions.push(NodeAction::Remove { node: old, reason: "replaced" });
                    }
                }
                self.settling.insert(new, rep.old);
            } else if now < rep.asked_at + self.params.replacement_timeout {
                waiting.push(rep);
            }
        }
        self.replacements = waiting;
    }

    /// Asks for nodes for the pods that need them: the pool with the cheapest
    /// capacity per pod placed (ties: more pods, then the lower pool index).
    fn provision(&mut self, view: &NodeScalingView<'_>, actions: &mut Vec<NodeAction>) -> Option<(usize, u32)> {
        let helpless = pods_needing_nodes(view);
        if helpless.is_empty() {
            return None;
        }
        let options = scale_up_options(view, &helpless);
        let per_pod = |o: &ScaleUpOption| o.nodes as f64 * o.price_per_hour / o.pods as f64;
        let best = options.iter().min_by(|a, b| per_pod(a).total_cmp(&per_pod(b)).then(b.pods.cmp(&a.pods)).then(a.pool.cmp(&b.pool)))?;
        actions.push(NodeAction::Provision { pool: best.pool as u32, count: best.nodes, reason: "unschedulable pods" });
        Some((best.pool, best.nodes))
    }

    /// The context of this scan's consolidation, given what provisioning took.
    fn context<'v, 'a>(&self, view: &'v NodeScalingView<'a>, provisioned: Option<(usize, u32)>) -> Context<'v, 'a> {
        let (now, cluster, p) = (view.now, view.cluster, &self.params);
        let replaced: BTreeSet<NodeId> = self.replacements.iter().flat_map(|r| r.old.iter().copied()).collect();
        let deleting = |id: NodeId, n: &Node| !n.schedulable() || self.removing.contains(&id) || replaced.contains(&id);
        let (mut total, mut disrupting) = (0u32, 0u32);
        let mut left = vec![0u32; view.pools.len()];
        let mut base = Repacker::new();
        for (id, n) in cluster.live_nodes() {
            total += 1;
            if deleting(id, n) {
                disrupting += 1;
                base.exclude(id);
            } else if let Some(l) = left.get_mut(n.group as usize) {
                *l += 1;
            }
        }
        let allowed = (total as u64 * p.budget_percent as u64).div_ceil(100).saturating_sub(disrupting as u64) as u32;
        // What `SimulateScheduling` schedules before the candidates' pods:
        // pending pods, then those of nodes being removed (not of nodes waiting
        // for a replacement: their pods are meant for it).
        for &pod in view.unschedulable {
            if cluster.pod(pod).phase == PodPhase::Pending {
                base.try_place(cluster, pod);
            }
        }
        for (id, n) in cluster.live_nodes() {
            if deleting(id, n) && !replaced.contains(&id) {
                for &pod in cluster.pods_on(id) {
                    base.try_place(cluster, pod);
                }
            }
        }
        let mut headroom: Vec<u32> = view.pools.iter().map(|pool| pool.headroom()).collect();
        if let Some((pool, count)) = provisioned {
            headroom[pool] = headroom[pool].saturating_sub(count);
        }
        let mut candidates: Vec<(f64, NodeId)> = cluster
            .live_nodes()
            .filter(|&(id, n)| {
                let quiet = self.seen.get(&id).is_some_and(|s| now.saturating_since(s.last_event) >= p.consolidate_after);
                quiet && !deleting(id, n) && !base.receives(id) && !self.settling.contains_key(&id) && (n.group as usize) < view.pools.len()
            })
            .map(|(id, _)| {
                let age = self.seen.get(&id).map_or(SimDuration::ZERO, |s| now.saturating_since(s.first));
                (disruption_cost(cluster, id, age, p.expire_after), id)
            })
            .collect();
        candidates.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let candidates = candidates.into_iter().map(|(_, id)| id).collect();
        Context { view, candidates, allowed, left, headroom, base }
    }

    /// Acts on `cmd`: removes its nodes, or asks for their replacement.
    fn execute(&mut self, cmd: Command, view: &NodeScalingView<'_>, actions: &mut Vec<NodeAction>) {
        match cmd.decision {
            Decision::Delete => {
                let reason = if cmd.mechanism == Mechanism::Empty { "empty" } else { "underutilized" };
                for node in cmd.nodes {
                    self.removing.insert(node);
                    actions.push(NodeAction::Remove { node, reason });
                }
            }
            Decision::Replace(pool) => {
                actions.push(NodeAction::Provision { pool, count: 1, reason: "cheaper replacement" });
                let first_new = view.cluster.nodes.len() as u32;
                self.replacements.push(Replacement { old: cmd.nodes, pool, asked_at: view.now, first_new });
            }
        }
    }

    /// Validates the pending decision or computes a new one, and acts.
    fn consolidate(&mut self, view: &NodeScalingView<'_>, provisioned: Option<(usize, u32)>, actions: &mut Vec<NodeAction>) {
        let now = view.now;
        if let Some((_, decided)) = &self.pending {
            if now < *decided + self.params.validation_ttl {
                return;
            }
        }
        let ctx = self.context(view, provisioned);
        if let Some((cmd, _)) = self.pending.take() {
            if ctx.still_holds(&cmd) {
                self.consolidated = None;
                self.execute(cmd, view, actions);
                return;
            }
        }
        let key = StateKey {
            version: view.cluster.version(),
            candidates: ctx.candidates.clone(),
            allowed: ctx.allowed,
            headroom: ctx.headroom.clone(),
            pending: view.unschedulable.len(),
        };
        if self.consolidated.as_ref() == Some(&key) {
            return;
        }
        match ctx.compute(self.params.consolidation_policy) {
            None => self.consolidated = Some(key),
            Some(cmd) => {
                self.consolidated = None;
                if self.params.validation_ttl == SimDuration::ZERO {
                    self.execute(cmd, view, actions);
                } else {
                    self.pending = Some((cmd, now));
                }
            }
        }
    }
}

impl NodeAutoscaler for Karpenter {
    fn name(&self) -> &'static str {
        "karpenter"
    }

    fn interval(&self) -> SimDuration {
        self.params.interval
    }

    fn scan(&mut self, view: &NodeScalingView<'_>, actions: &mut Vec<NodeAction>) {
        self.observe(view);
        self.finish_replacements(view, actions);
        let provisioned = self.provision(view, actions);
        if self.params.consolidation {
            self.consolidate(view, provisioned, actions);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::autoscaler::repack::tests_support::{Pool, World};

    /// Decisions executed in the scan that makes them.
    fn at_once() -> KarpenterParams {
        KarpenterParams { validation_ttl: SimDuration::ZERO, ..KarpenterParams::default() }
    }

    fn remove(node: NodeId, reason: &'static str) -> NodeAction {
        NodeAction::Remove { node, reason }
    }

    fn provision(pool: u32, count: u32, reason: &'static str) -> NodeAction {
        NodeAction::Provision { pool, count, reason }
    }

    #[test]
    fn provisions_the_cheapest_capacity_for_ten_one_cpu_pods() {
        // 4-CPU nodes at 0.20/h (3 needed: 0.60) against one 16-CPU node at 0.50/h.
        let mut w = World::new(vec![Pool(4000, 0, 10, 0.2), Pool(16_000, 0, 10, 0.5)]);
        let pods: Vec<PodId> = (0..10).map(|_| w.pending(1000)).collect();
        let mut k = Karpenter::new(at_once());
        assert_eq!(w.scan(&mut k, 0, &pods), [provision(1, 1, "unschedulable pods")]);
        // At 0.70/h the big node is dearer than three small ones (which the
        // least-waste and least-nodes expanders would not pick).
        w.pools[1].3 = 0.7;
        let mut k = Karpenter::new(at_once());
        assert_eq!(w.scan(&mut k, 0, &pods), [provision(0, 3, "unschedulable pods")]);
        // Once those are on their way, the pods wait for them.
        w.provisioning[0] = 3;
        assert_eq!(w.scan(&mut k, 10, &pods), []);
    }

    #[test]
    fn deletes_empty_nodes_once_the_decision_has_held_for_15_s() {
        let mut w = World::new(vec![Pool(4000, 0, 10, 0.2)]);
        w.node(0, &[3000]);
        let empty = w.node(0, &[]);
        w.node(0, &[3000]);
        let mut k = Karpenter::new(KarpenterParams::default());
        assert_eq!(w.scan(&mut k, 0, &[]), []);
        assert_eq!(w.scan(&mut k, 10, &[]), [], "still validating");
        assert_eq!(w.scan(&mut k, 20, &[]), [remove(empty, "empty")]);
        // Being deleted, it uses the budget (roundup(3 · 10 %) = 1) and is no candidate.
        assert_eq!(w.scan(&mut k, 30, &[]), []);
        w.cluster.remove_node(empty, SimTime::from_secs(35));
        // The others' 3-CPU pods fit nowhere else.
        assert_eq!(w.scan(&mut k, 40, &[]), []);
        assert_eq!(w.scan(&mut k, 60, &[]), []);
    }

    #[test]
    fn a_decision_that_no_longer_holds_is_dropped() {
        let mut w = World::new(vec![Pool(4000, 0, 10, 0.2)]);
        let busy = w.node(0, &[3000]);
        let empty = w.node(0, &[]);
        let mut k = Karpenter::new(KarpenterParams::default());
        assert_eq!(w.scan(&mut k, 0, &[]), []);
        // A pod lands on the empty node before the decision is validated.
        w.run(1000, empty, 0);
        assert_eq!(w.scan(&mut k, 20, &[]), [], "not empty any more: decided again");
        // Now the 3-CPU pod fits next to the 1-CPU one: single-node deletion.
        assert_eq!(w.scan(&mut k, 30, &[]), []);
        assert_eq!(w.scan(&mut k, 40, &[]), [remove(busy, "underutilized")]);
    }

    #[test]
    fn replaces_an_expensive_node_with_a_cheaper_one_once_it_has_joined() {
        // Pool 0: 8 CPUs at 1.00/h; pool 1: 4 CPUs at 0.20/h; pool 2: 8 CPUs at 0.40/h.
        let mut w = World::new(vec![Pool(8000, 0, 10, 1.0), Pool(4000, 0, 10, 0.2), Pool(8000, 0, 10, 0.4)]);
        let dear = w.node(0, &[3000, 3000]);
        w.node(1, &[3500]);
        let mut k = Karpenter::new(at_once());
        // Neither node's pods fit on the other; the 4-CPU pool is cheapest but
        // takes one 3-CPU pod, the 8-CPU one at 0.40 takes both.
        assert_eq!(w.scan(&mut k, 0, &[]), [provision(2, 1, "cheaper replacement")]);
        w.provisioning[2] = 1;
        assert_eq!(w.scan(&mut k, 10, &[]), [], "waiting for the replacement");
        w.provisioning[2] = 0;
        let new = w.node(2, &[]);
        assert_eq!(w.scan(&mut k, 20, &[]), [remove(dear, "replaced")]);
        // The new node, still empty while the old one drains, is kept.
        assert_eq!(w.scan(&mut k, 30, &[]), []);
        w.drain(dear, new, 35);
        assert_eq!(w.scan(&mut k, 40, &[]), []);
        assert_eq!(w.cluster.pods_on(new).len(), 2);
    }

    #[test]
    fn a_replacement_that_never_joins_is_given_up_after_10_minutes() {
        let mut w = World::new(vec![Pool(8000, 0, 10, 1.0), Pool(8000, 0, 10, 0.4)]);
        w.node(0, &[3000, 3000]);
        let mut k = Karpenter::new(at_once());
        assert_eq!(w.scan(&mut k, 0, &[]), [provision(1, 1, "cheaper replacement")]);
        assert_eq!(w.scan(&mut k, 590, &[]), []);
        // Given up: the node is a candidate again and the replacement is asked again.
        assert_eq!(w.scan(&mut k, 600, &[]), [provision(1, 1, "cheaper replacement")]);
    }

    #[test]
    fn at_most_ten_percent_of_the_nodes_are_disrupted_at_once() {
        let mut w = World::new(vec![Pool(4000, 0, 20, 0.2)]);
        let nodes: Vec<NodeId> = (0..12).map(|_| w.node(0, &[])).collect();
        let mut k = Karpenter::new(at_once());
        // roundup(12 · 10 %) = 2.
        assert_eq!(w.scan(&mut k, 0, &[]), [remove(nodes[0], "empty"), remove(nodes[1], "empty")]);
        // 2 − 2 deleting = 0.
        assert_eq!(w.scan(&mut k, 10, &[]), []);
        w.cluster.remove_node(nodes[0], SimTime::from_secs(15));
        w.cluster.remove_node(nodes[1], SimTime::from_secs(15));
        // roundup(10 · 10 %) = 1.
        assert_eq!(w.scan(&mut k, 20, &[]), [remove(nodes[2], "empty")]);
    }

    #[test]
    fn pool_minimums_are_kept() {
        let mut w = World::new(vec![Pool(4000, 2, 20, 0.2)]);
        let nodes: Vec<NodeId> = (0..4).map(|_| w.node(0, &[])).collect();
        let mut k = Karpenter::new(KarpenterParams { budget_percent: 100, ..at_once() });
        assert_eq!(w.scan(&mut k, 0, &[]), [remove(nodes[0], "empty"), remove(nodes[1], "empty")]);
        assert_eq!(w.scan(&mut k, 10, &[]), []);
    }

    #[test]
    fn multi_node_consolidation_deletes_several_nodes_together() {
        let mut w = World::new(vec![Pool(4000, 0, 20, 0.2)]);
        let nodes: Vec<NodeId> = (0..4).map(|_| w.node(0, &[1000])).collect();
        let mut k = Karpenter::new(KarpenterParams { budget_percent: 50, ..at_once() });
        // Budget 2: the two cheapest to disrupt (ties: node order) move to node 2.
        assert_eq!(w.scan(&mut k, 0, &[]), [remove(nodes[0], "underutilized"), remove(nodes[1], "underutilized")]);
        // WhenEmpty leaves non-empty nodes alone.
        let mut k =
            Karpenter::new(KarpenterParams { budget_percent: 50, consolidation_policy: ConsolidationPolicy::WhenEmpty, ..at_once() });
        assert_eq!(w.scan(&mut k, 0, &[]), []);
    }

    #[test]
    fn multi_node_consolidation_replaces_two_nodes_with_one_cheaper_than_both() {
        // Two 4-CPU nodes at 0.30/h, each 2.5 CPUs used; one 8-CPU node costs 0.50/h.
        let mut w = World::new(vec![Pool(4000, 0, 10, 0.3), Pool(8000, 0, 10, 0.5)]);
        let a = w.node(0, &[2500]);
        let b = w.node(0, &[2500]);
        let mut k = Karpenter::new(KarpenterParams { budget_percent: 100, ..at_once() });
        assert_eq!(w.scan(&mut k, 0, &[]), [provision(1, 1, "cheaper replacement")]);
        w.node(1, &[]);
        assert_eq!(w.scan(&mut k, 10, &[]), [remove(a, "replaced"), remove(b, "replaced")]);
    }

    #[test]
    fn candidates_go_fewer_pods_first_then_lower_priority_then_node_id() {
        assert_eq!(eviction_cost(0), 1.0);
        assert_eq!(eviction_cost(1 << 25), 2.0);
        assert_eq!(eviction_cost(i32::MAX), 10.0);
        assert_eq!(eviction_cost(i32::MIN), -10.0);
        let mut w = World::new(vec![Pool(4000, 0, 20, 0.2)]);
        let high = w.node(0, &[]);
        w.run(1000, high, 1000);
        let two = w.node(0, &[500, 500]);
        let low = w.node(0, &[1000]);
        let also_low = w.node(0, &[1000]);
        let mut k = Karpenter::new(at_once());
        let pools = w.pool_views();
        let view = NodeScalingView { now: SimTime::ZERO, cluster: &w.cluster, pools: &pools, unschedulable: &[] };
        k.observe(&view);
        assert_eq!(k.context(&view, None).candidates, [low, also_low, high, two]);
        // Half of a 720 h lifetime gone halves the cost.
        let age = SimDuration::from_secs(360 * 3600);
        assert_eq!(disruption_cost(&w.cluster, two, age, KarpenterParams::default().expire_after), 1.0);
        // With a budget of one node, single-node consolidation takes the first.
        let mut k = Karpenter::new(at_once());
        assert_eq!(w.scan(&mut k, 0, &[]), [remove(low, "underutilized")]);
    }

    #[test]
    fn consolidate_after_waits_for_quiet_nodes() {
        let mut w = World::new(vec![Pool(4000, 0, 20, 0.2)]);
        w.node(0, &[3000]);
        let empty = w.node(0, &[]);
        let mut k = Karpenter::new(KarpenterParams { consolidate_after: SimDuration::from_secs(60), ..at_once() });
        assert_eq!(w.scan(&mut k, 0, &[]), []);
        assert_eq!(w.scan(&mut k, 50, &[]), []);
        assert_eq!(w.scan(&mut k, 60, &[]), [remove(empty, "empty")]);
    }

    #[test]
    fn a_node_a_pending_pod_needs_is_kept() {
        let mut w = World::new(vec![Pool(4000, 0, 20, 0.2)]);
        w.node(0, &[3000]);
        let empty = w.node(0, &[]);
        let waiting = w.pending(2000);
        let mut k = Karpenter::new(at_once());
        // The pod fits the empty node: no scale-up, and the node is nominated.
        assert_eq!(w.scan(&mut k, 0, &[waiting]), []);
        assert_eq!(w.scan(&mut k, 10, &[]), [remove(empty, "empty")]);
    }

    #[test]
    fn no_consolidation_when_disabled() {
        let mut w = World::new(vec![Pool(4000, 0, 20, 0.2)]);
        w.node(0, &[]);
        let mut k = Karpenter::new(KarpenterParams { consolidation: false, ..at_once() });
        assert_eq!(w.scan(&mut k, 0, &[]), []);
        assert_eq!(k.name(), "karpenter");
        assert_eq!(k.interval(), SimDuration::from_secs(10));
    }
}
