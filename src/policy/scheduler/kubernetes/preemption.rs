//! DefaultPreemption, kube-scheduler's PostFilter plugin (semantics.md §1,
//! "Preemption"; upstream `pkg/scheduler/framework/preemption/preemption.go`
//! and `plugins/defaultpreemption/default_preemption.go`).
//!
//! When no node passes the filters, the pod may make room by evicting pods of
//! *lower* priority:
//!
//! 1. **Potential nodes** are those rejected only for reasons that removing
//!    pods can fix: CPU, memory, GPUs, pod count (upstream's `Unschedulable`,
//!    see [`resolvable`]). Nodes rejected by a taint, the node selector or
//!    required node affinity, a topology spread constraint or a required pod
//!    (anti-)affinity term are skipped (`UnschedulableAndUnresolvable`).
//! 2. **Dry run**: from a random offset (the policy's seeded stream) over the
//!    potential nodes in index order, [`select_victims_on_node`] on each until
//!    [`calculate_num_candidates`] candidates are found, at least one of them
//!    violating no disruption budget (`DryRunPreemption`).
//! 3. **Choice**: [`pick_one_node_for_preemption`].
//!
//! Simplifications, deliberate and worth knowing when reading results:
//!
//! * **Victims are removed at once.** Upstream evicts them with their graceful
//!   termination period and the preemptor waits, nominated to the node
//!   (`nominatedNodeName`), for a later cycle; meanwhile another pod may take
//!   the room. The simulation applies a `Preempt` immediately (evicts and
//!   re-queues the victims, binds the pod), so there is no such window and no
//!   lower-priority nominated pods to clear.
//! * **PodTopologySpread and InterPodAffinity are checked once per node**, on
//!   the cluster as it is, rather than re-run after each removal. Spread
//!   selectors pick pods of the preemptor's own class or job, which share its
//!   priority, so victims never change those counts. Pod affinity terms may
//!   select another class (`{ class = "…" }`), and there two cases differ
//!   from upstream: a node rejected only because a lower-priority pod's
//!   anti-affinity bars the preemptor is never a candidate (upstream may
//!   evict that pod), and a pod whose required affinity is met only by a
//!   lower-priority pod on the node may evict that very pod (upstream's
//!   re-run of the filter would reprieve it or drop the node). Scenarios
//!   whose affinity terms select classes of equal or higher priority are
//!   unaffected.
//! * **Ties** in the last rule go to the first candidate in dry-run order
//!   (upstream iterates a map, so effectively at random); the offset already
//!   randomizes that order.
//! * A pod's **start time** (`status.startTime`, set when the kubelet accepts
//!   the pod, before its image is pulled) is its bind time here.

use std::cmp::Reverse;

use rand::Rng;

use crate::engine::SimRng;
use std::collections::HashMap;

use crate::model::{BoundPod, Cluster, Node, NodeId, Pod, PodId, PriorityUsage, Resources};
use crate::policy::scheduler::filter::{FilterCounts, Rejection};
use crate::policy::scheduler::ClusterView;
use crate::time::SimTime;

/// Default `minCandidateNodesPercentage` of DefaultPreemptionArgs.
pub const DEFAULT_MIN_CANDIDATE_NODES_PERCENTAGE: u32 = 10;
/// Default `minCandidateNodesAbsolute` of DefaultPreemptionArgs.
pub const DEFAULT_MIN_CANDIDATE_NODES_ABSOLUTE: u32 = 100;

/// Whether a node rejected for `r` may accept the pod once lower-priority pods
/// are gone: every reason is about free resources or the pod count. A node
/// that also fails a taint or a placement rule stays infeasible whatever is
/// evicted, so trying it would only waste the dry run.
pub fn resolvable(r: Rejection) -> bool {
    let fixable = r.has(Rejection::CPU) || r.has(Rejection::MEMORY) || r.has(Rejection::GPU) || r.has(Rejection::TOO_MANY_PODS);
    // NodeUnschedulable (cordoned, drained, lost, removed) is
    // UnschedulableAndUnresolvable upstream: no eviction makes room there.
    let unfixable = r.has(Rejection::NODE_UNSCHEDULABLE)
        || r.has(Rejection::TAINT)
        || r.has(Rejection::NODE_AFFINITY)
        || r.has(Rejection::TOPOLOGY_SPREAD)
        || r.has(Rejection::POD_AFFINITY);
    fixable && !unfixable
}

/// Whether every node of a failed filtering pass that examined them all was
/// rejected only for [`resolvable`] reasons, read from the pass's `counts`: a
/// rejected node has at least one reason, so without any unresolvable one
/// counted, each node's reasons are all resolvable and every node is a
/// potential one. Spares re-filtering the whole cluster to find that out.
pub fn all_resolvable(counts: &FilterCounts, num_nodes: usize) -> bool {
    counts.examined as usize == num_nodes
        && counts.node_unschedulable == 0
        && counts.untolerated_taint == 0
        && counts.node_affinity_mismatch == 0
        && counts.topology_spread_violation == 0
        && counts.pod_affinity_violation == 0
        && counts.rejected_by_policy == 0
}

/// `calculateNumCandidates`: how many candidates the dry run looks for before
/// it stops, `max(num_nodes · percentage / 100, absolute)` but never more
/// than there are potential nodes. Bounding the dry run keeps preemption cheap
/// in large clusters while still comparing enough candidates to pick well.
pub fn calculate_num_candidates(num_nodes: usize, percentage: u32, absolute: u32) -> usize {
    (num_nodes * percentage as usize / 100).max(absolute as usize).min(num_nodes)
}

/// `GetOffsetAndNumCandidates`' random offset into `num_nodes` potential nodes,
/// so that repeated preemptions do not always dry-run the same nodes first.
/// The only random draw of preemption; shared by the failure cache, which
/// replays it so a cached failure leaves the stream as a full run would.
pub fn draw_offset(rng: &mut SimRng, num_nodes: usize) -> usize {
    rng.random_range(0..num_nodes)
}

/// A lower-priority pod on a potential node: what preemption needs of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PotentialVictim {
    /// The pod.
    pub pod: PodId,
    /// Its priority.
    pub priority: i32,
    /// Its start time (`status.startTime`: its bind time here).
    pub start: SimTime,
    /// Its requests, freed if it is evicted.
    pub requests: Resources,
    /// Its workload class, whose disruption budget covers it.
    pub workload: u32,
    /// Whether evicting it would take its budget below zero (set by
    /// [`filter_pods_with_pdb_violation`]).
    pub violating: bool,
}

impl PotentialVictim {
    /// A bound pod as a potential victim: as [`of`](Self::of) the pod, read
    /// from the node's compact list.
    pub fn bound(pod: &BoundPod) -> Self {
        PotentialVictim {
            pod: pod.id,
            priority: pod.priority,
            start: pod.bound,
            requests: pod.requests,
            workload: pod.workload,
            violating: false,
        }
    }

    /// `pod` as a potential victim at `now` (a pod bound but without a bind
    /// time counts as starting now, as upstream's `GetPodStartTime`).
    pub fn of(pod: &Pod, now: SimTime) -> Self {
        PotentialVictim {
            pod: pod.id,
            priority: pod.priority,
            start: pod.bound.unwrap_or(now),
            requests: pod.requests,
            workload: pod.workload,
            violating: false,
        }
    }
}

/// `util.MoreImportantPod` as a sort key: higher priority first, then the
/// earlier start (a pod that has run longer has more work to lose). The pod id
/// settles exact ties, where upstream's unstable sort would be arbitrary.
pub fn importance(v: &PotentialVictim) -> (Reverse<i32>, SimTime, PodId) {
    (Reverse(v.priority), v.start, v.pod)
}

/// `filterPodsWithPDBViolation`: walking `victims` in the given (importance)
/// order, each pod takes one disruption from its workload's budget; a pod
/// whose budget would go below zero is marked violating. So the most important
/// pods use up the allowed disruptions and the least important ones are the
/// violating ones, which are then reprieved first. `disruptions_allowed`
/// gives a workload's `status.disruptionsAllowed` (`None`: no budget, never
/// violating); `remaining` is scratch space.
pub fn filter_pods_with_pdb_violation(
    victims: &mut [PotentialVictim],
    disruptions_allowed: impl Fn(u32) -> Option<i64>,
    remaining: &mut Vec<(u32, Option<i64>)>,
) {
    remaining.clear();
    for v in victims.iter_mut() {
        // A node holds few workloads: a linear scan beats a map.
        let slot = match remaining.iter().position(|&(w, _)| w == v.workload) {
            Some(i) => i,
            None => {
                remaining.push((v.workload, disruptions_allowed(v.workload)));
                remaining.len() - 1
            }
        };
        v.violating = match &mut remaining[slot].1 {
            Some(allowed) => {
                *allowed -= 1;
                *allowed < 0
            }
            None => false,
        };
    }
}

/// Whether `requests` fit on `node` once pods holding `freed` and `freed_pods`
/// pod slots are gone: NodeResourcesFit's filter on the node as it would be.
pub fn fits_without(requests: &Resources, node: &Node, freed: Resources, freed_pods: u32) -> bool {
    let free = node.allocatable.saturating_sub(&node.requested.saturating_sub(&freed));
    requests.fits_in(&free) && node.pod_count.saturating_sub(freed_pods) < node.max_pods
}

/// The lowest priority `p` such that evicting every pod of `node` of
/// priority up to `p` (below `pod`'s) lets `pod` on, read from the node's
/// per-priority sums `usage`; `None` if evicting all pods below `pod`'s
/// priority is not enough (or there are none): then
/// [`select_victims_on_node`] finds nothing, which most potential nodes of a
/// full cluster show, so the dry run tries this first and gathers and sorts
/// the pods only of the nodes that pass.
///
/// It is also the highest victim priority [`select_victims_on_node`] can
/// return: no set of victims of lower highest priority makes room (it would
/// lie within the pods up to `p`'s predecessor), and without disruption
/// budgets every pod above `p` is reprieved (the pods up to `p`, still
/// evicted when it is tried, make room). So the candidate's rule-2 key is
/// known before its victims are.
pub fn lowest_victim_priority(pod: &Pod, node: &Node, usage: &PriorityUsage) -> Option<i32> {
    usage.lowest_sufficient(pod.priority, |freed, freed_pods| fits_without(&pod.requests, node, freed, freed_pods))
}

/// `SelectVictimsOnNode`: the fewest important pods among `potential` (the
/// node's lower-priority pods) whose eviction lets a pod requesting `requests`
/// onto `node`, appended to `out` most important first, and how many of them
/// violate a disruption budget. `None` if evicting all of them is not enough.
///
/// All potential victims are removed first; then, from the most important
/// down, each is put back if the pod still fits without it ("reprieved").
/// Budget-violating pods are reprieved before the others, so victims violate
/// budgets only where nothing else makes room. `potential` is reordered.
pub fn select_victims_on_node(
    requests: &Resources,
    node: &Node,
    potential: &mut [PotentialVictim],
    disruptions_allowed: impl Fn(u32) -> Option<i64>,
    remaining: &mut Vec<(u32, Option<i64>)>,
    out: &mut Vec<PotentialVictim>,
) -> Option<u32> {
    if potential.is_empty() {
        return None;
    }
    let mut freed = potential.iter().fold(Resources::ZERO, |acc, v| acc + v.requests);
    let mut freed_pods = potential.len() as u32;
    if !fits_without(requests, node, freed, freed_pods) {
        return None;
    }
    potential.sort_unstable_by_key(importance);
    filter_pods_with_pdb_violation(potential, disruptions_allowed, remaining);
    let first = out.len();
    let mut violations = 0;
    for violating in [true, false] {
        for v in potential.iter().filter(|v| v.violating == violating) {
            // Put it back: keep it if the pod still fits.
            freed -= v.requests;
            freed_pods -= 1;
            if !fits_without(requests, node, freed, freed_pods) {
                freed += v.requests;
                freed_pods += 1;
                out.push(*v);
                violations += violating as u32;
            }
        }
    }
    // Upstream re-sorts when both groups were present; sorting always is the
    // same (a sorted group stays sorted) and keeps the order independent of
    // the budgets.
    out[first..].sort_unstable_by_key(importance);
    Some(violations)
}

/// A node where preemption would make room, summarized for
/// [`pick_one_node_for_preemption`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The node.
    pub node: NodeId,
    /// How many victims.
    pub num_victims: usize,
    /// How many of them violate a disruption budget.
    pub num_pdb_violations: u32,
    /// The highest victim priority (`i32::MIN` without victims).
    pub highest_priority: i32,
    /// Σ (priority + 2³¹) over the victims: upstream offsets each priority by
    /// `MaxInt32 + 1` so that all terms are ≥ 0 and more victims never sum
    /// lower than fewer of the same (negative) priority.
    pub sum_priorities: i64,
    /// The earliest start time among the victims of the highest priority
    /// (`GetEarliestPodStartTime`).
    pub earliest_start: SimTime,
}

impl Candidate {
    /// Summarizes `victims` (most important first, as returned by
    /// [`select_victims_on_node`]) on `node`. The victims themselves are
    /// not kept: only the chosen node's are needed, and searched again.
    pub fn new(node: NodeId, victims: &[PotentialVictim], num_pdb_violations: u32) -> Self {
        let highest_priority = victims.iter().map(|v| v.priority).max().unwrap_or(i32::MIN);
        let earliest_start = victims.iter().filter(|v| v.priority == highest_priority).map(|v| v.start).min().unwrap_or(SimTime::ZERO);
        Candidate {
            node,
            num_victims: victims.len(),
            num_pdb_violations,
            highest_priority,
            sum_priorities: victims.iter().map(|v| v.priority as i64 + i32::MAX as i64 + 1).sum(),
            earliest_start,
        }
    }
}

/// `pickOneNodeForPreemption`: the index of the best candidate, or `None`
/// without candidates. A node needing no victims wins at once (older upstream
/// releases; it cannot arise here, since such a node passes the filters).
/// Otherwise each rule keeps only the candidates best by it, in order:
///
/// 1. fewest disruption budget violations (respect budgets where possible);
/// 2. lowest highest-victim priority (hurt the least important work);
/// 3. smallest sum of victim priorities;
/// 4. fewest victims;
/// 5. latest earliest start among the highest-priority victims (lose the
///    least work already done);
/// 6. the first remaining.
///
/// Keeping the best by each rule in turn is the lexicographic maximum of the
/// five keys, taken here in one pass.
pub fn pick_one_node_for_preemption(candidates: &[Candidate]) -> Option<usize> {
    if let Some(i) = candidates.iter().position(|c| c.num_victims == 0) {
        return Some(i);
    }
    let key = |c: &Candidate| {
        (Reverse(c.num_pdb_violations), Reverse(c.highest_priority), Reverse(c.sum_priorities), Reverse(c.num_victims), c.earliest_start)
    };
    let mut best: Option<usize> = None;
    for (i, c) in candidates.iter().enumerate() {
        if best.is_none_or(|b| key(c) > key(&candidates[b])) {
            best = Some(i);
        }
    }
    best
}

/// What the dry run learned of one node for one preemptor class, valid
/// while the node is unchanged (see [`VerdictCache`]).
#[derive(Clone, Copy, Debug, Default)]
struct NodeVerdict {
    /// The cluster version it was computed at, plus one (0: never computed);
    /// stale once the node's change stamp reaches it.
    at: u64,
    /// The highest victim priority ([`lowest_victim_priority`]), `i32::MAX`
    /// if the node is no candidate (evictions cannot make room, or the pod
    /// fits with none).
    highest: i32,
    /// The candidate, once its victims were searched at this version.
    candidate: Option<Candidate>,
}

impl NodeVerdict {
    /// The verdict on `node` for `pod`, victims not searched yet.
    fn of(pod: &Pod, node: &Node, usage: &PriorityUsage, version: u64) -> Self {
        let highest = match lowest_victim_priority(pod, node, usage) {
            // With every pod reprieved there are no victims: upstream treats
            // such a candidate as an error, the dry run skips it.
            Some(p) if !fits_without(&pod.requests, node, Resources::ZERO, 0) => p,
            _ => i32::MAX,
        };
        NodeVerdict { at: version + 1, highest, candidate: None }
    }
}

/// Per preemptor class (requests and priority), the [`NodeVerdict`] of each
/// node, for clusters without disruption budgets (then a node's victims
/// depend only on the class and the node's pods).
///
/// In the Google trace a full cluster sees ~35,500 dry runs an hour from
/// only ~160 classes (a job's pending pods are alike), each run testing
/// ~4,000 nodes and searching the victims of hundreds; between two runs of a
/// class most of those nodes are unchanged, so their verdicts are read back
/// (64 bytes a node) instead of recomputed from each node's pods.
/// Looked up, never iterated; emptied when it holds
/// [`MAX_VERDICT_CLASSES`] classes (about 0.8 MB each on 12.5 k nodes).
#[derive(Clone, Debug, Default)]
struct VerdictCache {
    classes: HashMap<(Resources, i32), Vec<NodeVerdict>>,
}

/// At most this many classes' verdicts are kept.
const MAX_VERDICT_CLASSES: usize = 256;

impl VerdictCache {
    /// `pod`'s class's verdicts, one slot per node of `cluster`.
    fn of(&mut self, pod: &Pod, cluster: &Cluster) -> &mut [NodeVerdict] {
        let key = (pod.requests, pod.priority);
        if !self.classes.contains_key(&key) && self.classes.len() >= MAX_VERDICT_CLASSES {
            self.classes.clear();
        }
        let verdicts = self.classes.entry(key).or_default();
        verdicts.resize(cluster.nodes.len(), NodeVerdict::default());
        verdicts
    }
}

/// The dry run's reusable buffers, so preemption allocates nothing per attempt
/// beyond the victim list it returns.
#[derive(Clone, Debug, Default)]
pub struct Preemption {
    /// Potential nodes of the current attempt (index order, or a rotation of it).
    potential: Vec<NodeId>,
    /// The lower-priority pods of the node being tried.
    on_node: Vec<PotentialVictim>,
    /// Disruptions left per workload on the node being tried.
    remaining: Vec<(u32, Option<i64>)>,
    /// Victims of the node being tried.
    victims: Vec<PotentialVictim>,
    candidates: Vec<Candidate>,
    verdicts: VerdictCache,
}

impl Preemption {
    /// Starts a new attempt: no potential nodes yet.
    pub fn clear(&mut self) {
        self.potential.clear();
    }

    /// Records a node rejected for reasons preemption may resolve.
    pub fn add_potential(&mut self, node: NodeId) {
        self.potential.push(node);
    }

    /// Records every node of a cluster of `num_nodes` as potential (see [`all_resolvable`]).
    pub fn add_all_potential(&mut self, num_nodes: usize) {
        self.potential.extend((0..num_nodes as u32).map(NodeId));
    }

    /// How many potential nodes the attempt recorded.
    pub fn num_potential(&self) -> usize {
        self.potential.len()
    }

    /// `findCandidates` + `SelectCandidate`: dry-runs preemption of `pod` on
    /// the potential nodes and returns the chosen node with its victims, or
    /// `None` if no node can take the pod whatever is evicted. Draws the
    /// offset from `rng` if (and only if) there is a potential node.
    /// `other_filters` are the filters not re-checked per removal (see the
    /// module docs); a node failing them is no candidate.
    pub fn find(
        &mut self,
        pod: &Pod,
        view: &ClusterView<'_>,
        min_percentage: u32,
        min_absolute: u32,
        rng: &mut SimRng,
        other_filters: impl Fn(&Node) -> bool,
    ) -> Option<(NodeId, Vec<PodId>)> {
        let n = self.potential.len();
        if n == 0 {
            return None;
        }
        // Index order, as upstream's node snapshot (a caller that collected
        // the nodes from its round-robin start gives a rotation of it).
        if let Some(wrap) = self.potential.windows(2).position(|w| w[0] > w[1]) {
            self.potential.rotate_left(wrap + 1);
        }
        let offset = draw_offset(rng, n);
        let wanted = calculate_num_candidates(n, min_percentage, min_absolute);
        let cluster = view.cluster();
        // Without budgets no victim violates one, every candidate counts as
        // non-violating, and a candidate's highest victim priority is known
        // from the sums (see `lowest_victim_priority`): a node whose is above
        // the lowest among the candidates so far loses rule 2 to that one,
        // so it is only counted (the dry run stops after as many candidates
        // as upstream), not searched. And verdicts are kept per class.
        let prune = !cluster.has_disruption_budgets();
        let Preemption { potential, on_node, remaining, victims, candidates, verdicts } = self;
        let mut verdicts = prune.then(|| verdicts.of(pod, cluster));
        let (changed_at, version) = (cluster.nodes_changed_at(), cluster.version());
        candidates.clear();
        let mut lowest_highest = i32::MAX;
        let (mut num_candidates, mut non_violating) = (0, 0);
        for i in 0..n {
            let id = potential[(offset + i) % n];
            let node = view.node(id);
            let mut fresh = NodeVerdict::default();
            let verdict = match verdicts.as_deref_mut() {
                Some(kept) => &mut kept[id.index()],
                None => &mut fresh,
            };
            if changed_at[id.index()] >= verdict.at {
                *verdict = NodeVerdict::of(pod, node, cluster.priority_usage(id), version);
            }
            if verdict.highest == i32::MAX || !other_filters(node) {
                continue;
            }
            if prune && verdict.highest > lowest_highest {
                num_candidates += 1;
                non_violating += 1;
                if num_candidates >= wanted {
                    break;
                }
                continue;
            }
            let candidate = match verdict.candidate {
                Some(c) => c,
                None => {
                    let Some(violations) = victims_on(pod, id, node, cluster, on_node, remaining, victims) else { continue };
                    let c = Candidate::new(id, victims, violations);
                    debug_assert!(
                        !prune || c.highest_priority == verdict.highest,
                        "{c:?}: highest victim priority {} expected",
                        verdict.highest
                    );
                    verdict.candidate = Some(c);
                    c
                }
            };
            lowest_highest = lowest_highest.min(candidate.highest_priority);
            candidates.push(candidate);
            num_candidates += 1;
            non_violating += (candidate.num_pdb_violations == 0) as usize;
            if non_violating > 0 && num_candidates >= wanted {
                break;
            }
        }
        let best = candidates[pick_one_node_for_preemption(candidates)?];
        // Only the chosen node's victims are needed: searched again (the
        // same search on the same node gives the same victims).
        victims_on(pod, best.node, view.node(best.node), cluster, on_node, remaining, victims)?;
        Some((best.node, victims.iter().map(|v| v.pod).collect()))
    }
}

/// [`select_victims_on_node`] for `pod` on node `id` of `cluster` into
/// `victims` (emptied first), with `on_node` and `remaining` as scratch:
/// `None` if there are no victims to be found.
fn victims_on(
    pod: &Pod,
    id: NodeId,
    node: &Node,
    cluster: &Cluster,
    on_node: &mut Vec<PotentialVictim>,
    remaining: &mut Vec<(u32, Option<i64>)>,
    victims: &mut Vec<PotentialVictim>,
) -> Option<u32> {
    on_node.clear();
    on_node.extend(cluster.bound_pods(id).iter().filter(|q| q.priority < pod.priority).map(PotentialVictim::bound));
    victims.clear();
    let violations = select_victims_on_node(&pod.requests, node, on_node, |w| cluster.disruptions_allowed(w), remaining, victims)?;
    // Upstream treats a "candidate" without victims as an error.
    (!victims.is_empty()).then_some(violations)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::node::tests_support::node;

    const GI: u64 = 1 << 30;

    fn victim(pod: u32, priority: i32, start_s: u64, cpu: u64) -> PotentialVictim {
        PotentialVictim {
            pod: PodId(pod),
            priority,
            start: SimTime::from_secs(start_s),
            requests: Resources { cpu_milli: cpu, memory_bytes: 0, gpu: 0 },
            workload: pod,
            violating: false,
        }
    }

    fn candidate(node: u32, victims: &[PotentialVictim], violations: u32) -> Candidate {
        Candidate::new(NodeId(node), victims, violations)
    }

    /// A 4-CPU node with `used` millicores requested by `pods` pods.
    fn full_node(used: u64, pods: u32) -> Node {
        let mut n = node(4000, 16 * GI);
        n.requested = Resources { cpu_milli: used, memory_bytes: 0, gpu: 0 };
        n.pod_count = pods;
        n
    }

    #[test]
    fn candidate_count_follows_the_upstream_formula() {
        // max(n·10/100, 100) capped at n (defaults 10 % and 100).
        assert_eq!(calculate_num_candidates(50, 10, 100), 50, "capped at the potential nodes");
        assert_eq!(calculate_num_candidates(500, 10, 100), 100, "absolute floor");
        assert_eq!(calculate_num_candidates(5000, 10, 100), 500, "10 % of 5000");
        assert_eq!(calculate_num_candidates(1005, 10, 100), 100, "integer division: 100.5 → 100");
        assert_eq!(calculate_num_candidates(2000, 40, 0), 800);
        assert_eq!(calculate_num_candidates(7, 0, 0), 0);
        assert_eq!(calculate_num_candidates(0, 10, 100), 0);
    }

    #[test]
    fn only_resource_and_pod_count_rejections_are_resolvable() {
        assert!(resolvable(Rejection::CPU));
        assert!(resolvable(Rejection::TOO_MANY_PODS));
        assert!(!resolvable(Rejection::default()), "a passing node needs no preemption");
        for r in [Rejection::TAINT, Rejection::NODE_AFFINITY, Rejection::TOPOLOGY_SPREAD, Rejection::POD_AFFINITY] {
            assert!(!resolvable(r), "{r:?}");
        }
    }

    #[test]
    fn pick_prefers_a_node_without_victims() {
        let c = [candidate(0, &[victim(1, 0, 0, 1)], 0), candidate(1, &[], 0)];
        assert_eq!(pick_one_node_for_preemption(&c), Some(1));
        assert_eq!(pick_one_node_for_preemption(&[]), None);
    }

    #[test]
    fn pick_rule_1_fewest_budget_violations() {
        // Node 0 has the lower victims on every later rule but violates a budget.
        let c = [candidate(0, &[victim(1, 0, 0, 1)], 1), candidate(1, &[victim(2, 50, 0, 1), victim(3, 50, 0, 1)], 0)];
        assert_eq!(pick_one_node_for_preemption(&c), Some(1));
    }

    #[test]
    fn pick_rule_2_lowest_highest_victim_priority() {
        // Node 0: one victim of 10; node 1: three victims of 5 (more, and a
        // larger sum, but a lower top priority).
        let c = [candidate(0, &[victim(1, 10, 0, 1)], 0), candidate(1, &[victim(2, 5, 0, 1), victim(3, 5, 0, 1), victim(4, 5, 0, 1)], 0)];
        assert_eq!(pick_one_node_for_preemption(&c), Some(1));
    }

    #[test]
    fn pick_rule_3_smallest_priority_sum_with_the_offset() {
        // Same top priority 10. Node 0: {10, 10}; node 1: {10, 0, 0}. Offset
        // sums: 2·(10 + 2³¹) = 2³² + 20 vs 3·2³¹ + 10, so node 0 has the smaller
        // sum although node 1's raw sum (10) is lower than node 0's (20).
        let n0 = candidate(0, &[victim(1, 10, 0, 1), victim(2, 10, 0, 1)], 0);
        let n1 = candidate(1, &[victim(3, 10, 0, 1), victim(4, 0, 0, 1), victim(5, 0, 0, 1)], 0);
        assert_eq!(n0.sum_priorities, (1i64 << 32) + 20);
        assert_eq!(pick_one_node_for_preemption(&[n1, n0]), Some(1));
        // Negative priorities: one victim of −100 beats two of −100 (without the
        // offset, −200 < −100 would wrongly favour evicting more pods).
        let one = candidate(0, &[victim(1, -100, 0, 1)], 0);
        let two = candidate(1, &[victim(2, -100, 0, 1), victim(3, -100, 0, 1)], 0);
        assert_eq!(pick_one_node_for_preemption(&[two, one]), Some(1));
        // Equal counts, different sums: {10, 5} beats {10, 8}.
        let a = candidate(0, &[victim(1, 10, 0, 1), victim(2, 8, 0, 1)], 0);
        let b = candidate(1, &[victim(3, 10, 0, 1), victim(4, 5, 0, 1)], 0);
        assert_eq!(pick_one_node_for_preemption(&[a, b]), Some(1));
    }

    #[test]
    fn pick_rule_4_fewest_victims() {
        // Offset sums tie across different counts only at the extremes: one
        // victim of 2³⁰ sums to 2³⁰ + 2³¹, and so do {2³⁰, i32::MIN} (the
        // offset brings i32::MIN to 0). Same top priority, same sum: the
        // node with fewer victims wins.
        let one = candidate(0, &[victim(1, 1 << 30, 0, 1)], 0);
        let two = candidate(1, &[victim(2, 1 << 30, 0, 1), victim(3, i32::MIN, 0, 1)], 0);
        assert_eq!(one.sum_priorities, two.sum_priorities);
        assert_eq!(pick_one_node_for_preemption(&[two, one]), Some(1));
        assert_eq!(pick_one_node_for_preemption(&[one, two]), Some(0));
    }

    #[test]
    fn pick_rule_5_latest_start_of_the_highest_priority_victims() {
        // Same priorities and counts. Node 0's top victims started at 5 s and
        // 30 s (earliest 5 s); node 1's at 20 s and 25 s (earliest 20 s): node 1
        // loses less work. A later low-priority victim on node 0 does not count.
        let n0 = candidate(0, &[victim(1, 10, 5, 1), victim(2, 10, 30, 1), victim(3, 0, 99, 1)], 0);
        let n1 = candidate(1, &[victim(4, 10, 20, 1), victim(5, 10, 25, 1), victim(6, 0, 1, 1)], 0);
        assert_eq!(n0.earliest_start, SimTime::from_secs(5));
        assert_eq!(n1.earliest_start, SimTime::from_secs(20));
        assert_eq!(pick_one_node_for_preemption(&[n0, n1]), Some(1));
    }

    #[test]
    fn pick_rule_6_first_remaining() {
        let a = candidate(7, &[victim(1, 3, 4, 1)], 0);
        let b = candidate(8, &[victim(2, 3, 4, 1)], 0);
        assert_eq!(pick_one_node_for_preemption(&[a, b]), Some(0));
        assert_eq!(pick_one_node_for_preemption(&[b, a]), Some(0));
    }

    #[test]
    fn reprieve_keeps_the_most_important_pods_without_budgets() {
        // 4 CPUs full with priorities 1 (1 CPU, started 0 s), 2 (1 CPU), 3 (2 CPU).
        // A 2-CPU pod: remove all (4 free), then reprieve 3 (2 free: fits),
        // 2 (1 free: does not fit → victim, 2 free again), 1 (1 free → victim).
        let n = full_node(4000, 3);
        let mut potential = vec![victim(1, 1, 0, 1000), victim(2, 2, 0, 1000), victim(3, 3, 0, 2000)];
        let (mut remaining, mut out) = (Vec::new(), Vec::new());
        let req = Resources { cpu_milli: 2000, memory_bytes: 0, gpu: 0 };
        let v = select_victims_on_node(&req, &n, &mut potential, |_| None, &mut remaining, &mut out);
        assert_eq!(v, Some(0));
        assert_eq!(out.iter().map(|v| v.pod.0).collect::<Vec<_>>(), vec![2, 1], "most important first");
        // A 1-CPU pod only needs the least important one.
        out.clear();
        let req = Resources { cpu_milli: 1000, memory_bytes: 0, gpu: 0 };
        assert_eq!(select_victims_on_node(&req, &n, &mut potential, |_| None, &mut remaining, &mut out), Some(0));
        assert_eq!(out.iter().map(|v| v.pod.0).collect::<Vec<_>>(), vec![1]);
        // Equal priorities: the later-started pod is less important.
        let mut potential = vec![victim(1, 0, 10, 2000), victim(2, 0, 20, 2000)];
        out.clear();
        assert_eq!(select_victims_on_node(&req, &n, &mut potential, |_| None, &mut remaining, &mut out), Some(0));
        assert_eq!(out[0].pod, PodId(2));
        // 5 CPUs can never fit on a 4-CPU node.
        out.clear();
        let req = Resources { cpu_milli: 5000, memory_bytes: 0, gpu: 0 };
        assert_eq!(select_victims_on_node(&req, &n, &mut potential, |_| None, &mut remaining, &mut out), None);
        assert!(out.is_empty());
        assert_eq!(select_victims_on_node(&req, &n, &mut [], |_| None, &mut remaining, &mut out), None);
    }

    #[test]
    fn reprieve_spares_budget_violating_pods_first() {
        // Four 1-CPU pods fill the node; the pod needs 1 CPU. Pods 1 and 2 (priority
        // 5 and 4) belong to workload 9 whose budget allows 1 disruption; pods 3
        // and 4 (priority 6, 7) have none. Importance order: 4, 3, 1, 2. Budget
        // pass: pod 1 takes the one disruption, pod 2 would go below 0 → violating.
        // Reprieve pod 2 first (fits: 1 CPU still free), then 4, 3 (fit), then
        // pod 1 (does not fit) → the victim is pod 1, no violation. Without the
        // budget the least important pod (2) would be the victim.
        let n = full_node(4000, 4);
        let mk = || {
            let mut p = vec![victim(1, 5, 0, 1000), victim(2, 4, 0, 1000), victim(3, 6, 0, 1000), victim(4, 7, 0, 1000)];
            p[0].workload = 9;
            p[1].workload = 9;
            p
        };
        let req = Resources { cpu_milli: 1000, memory_bytes: 0, gpu: 0 };
        let (mut remaining, mut out) = (Vec::new(), Vec::new());
        let budget = |w: u32| (w == 9).then_some(1);
        let mut p = mk();
        assert_eq!(select_victims_on_node(&req, &n, &mut p, budget, &mut remaining, &mut out), Some(0));
        assert_eq!(out.iter().map(|v| v.pod.0).collect::<Vec<_>>(), vec![1]);
        assert!(p.iter().find(|v| v.pod.0 == 2).unwrap().violating);
        assert!(!p.iter().find(|v| v.pod.0 == 1).unwrap().violating);
        out.clear();
        let mut p = mk();
        assert_eq!(select_victims_on_node(&req, &n, &mut p, |_| None, &mut remaining, &mut out), Some(0));
        assert_eq!(out[0].pod, PodId(2));
        // A budget allowing nothing: both pods of workload 9 violate. A 3-CPU
        // pod reprieves the violating ones first: 1 (3 free: fits), 2 (2 free:
        // victim, 1 violation), then 4 and 3 (victims).
        out.clear();
        let mut p = mk();
        let req = Resources { cpu_milli: 3000, memory_bytes: 0, gpu: 0 };
        assert_eq!(select_victims_on_node(&req, &n, &mut p, |w| (w == 9).then_some(0), &mut remaining, &mut out), Some(1));
        assert_eq!(out.iter().map(|v| v.pod.0).collect::<Vec<_>>(), vec![4, 3, 2], "sorted by importance");
    }

    #[test]
    fn pod_count_is_resolvable_by_eviction() {
        // maxPods (110) reached with empty-request pods; a pod needs one slot.
        let n = full_node(0, 110);
        assert_eq!(n.max_pods, 110);
        let mut p: Vec<_> = (0..110).map(|i| victim(i, (i % 3) as i32, 0, 0)).collect();
        let (mut remaining, mut out) = (Vec::new(), Vec::new());
        assert_eq!(select_victims_on_node(&Resources::ZERO, &n, &mut p, |_| None, &mut remaining, &mut out), Some(0));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].priority, 0);
        assert_eq!(out[0].pod, PodId(108), "priority 0, the latest id among equal start times is the least important");
    }

    /// Nodes of 4 CPU; `running[n]` = (priority, cpu millis, workload) of the
    /// running pods on node n (bound at `n` seconds, so later nodes' pods started later).
    fn cluster(running: &[&[(i32, u64, u32)]]) -> crate::model::Cluster {
        let nodes = running.iter().map(|_| node(4000, 16 * GI)).collect();
        let image = crate::model::ImageSpec { name: "a:1".into(), size_bytes: 1 };
        let mut c = crate::model::Cluster::new(nodes, vec![image.clone(), image]);
        for (n, pods) in running.iter().enumerate() {
            for &(priority, cpu, workload) in pods.iter() {
                let id = c.pods.len() as u32;
                let mut p = crate::model::pod::tests_support::pod(id, cpu, GI);
                p.priority = priority;
                p.workload = workload;
                c.submit(p);
                let at = SimTime::from_secs(n as u64);
                c.bind(PodId(id), NodeId(n as u32), at);
                c.start(PodId(id), at);
            }
        }
        c
    }

    fn preemptor(priority: i32, cpu: u64) -> Pod {
        let mut p = crate::model::pod::tests_support::pod(9999, cpu, GI);
        p.priority = priority;
        p
    }

    fn rng(seed: u64) -> SimRng {
        crate::engine::stream_rng(seed, 0, crate::engine::StreamId::SCHEDULER)
    }

    /// Runs `find` over every node of `c` as potential.
    fn find(c: &crate::model::Cluster, pod: &Pod, pct: u32, abs: u32, rng: &mut SimRng) -> Option<(NodeId, Vec<PodId>)> {
        let mut p = Preemption::default();
        for i in 0..c.nodes.len() {
            p.add_potential(NodeId(i as u32));
        }
        p.find(pod, &ClusterView::new(c, SimTime::from_secs(100)), pct, abs, rng, |_| true)
    }

    /// The dry run as upstream writes it, without pruning or kept verdicts:
    /// every potential node from the offset searched, until enough candidates.
    fn find_plainly(c: &crate::model::Cluster, pod: &Pod, abs: u32, rng: &mut SimRng) -> Option<(NodeId, Vec<PodId>)> {
        let n = c.nodes.len();
        let (offset, wanted) = (draw_offset(rng, n), calculate_num_candidates(n, 0, abs));
        let (mut candidates, mut all_victims) = (Vec::new(), Vec::new());
        for i in 0..n {
            let id = NodeId(((offset + i) % n) as u32);
            let mut on: Vec<_> = c.bound_pods(id).iter().filter(|q| q.priority < pod.priority).map(PotentialVictim::bound).collect();
            let mut victims = Vec::new();
            let found = select_victims_on_node(&pod.requests, c.node(id), &mut on, |_| None, &mut Vec::new(), &mut victims);
            if found.is_some() && !victims.is_empty() {
                candidates.push(Candidate::new(id, &victims, 0));
                all_victims.push(victims.iter().map(|v| v.pod).collect());
                if candidates.len() >= wanted {
                    break;
                }
            }
        }
        let best = pick_one_node_for_preemption(&candidates)?;
        Some((candidates[best].node, all_victims.swap_remove(best)))
    }

    #[test]
    fn pruned_and_remembered_dry_runs_choose_as_the_plain_one() {
        // Random nodes of pods of a few priorities, changed between attempts
        // by evictions, completions and binds; the same few preemptor classes
        // come back, so kept verdicts are read on unchanged nodes.
        let mut r = rng(21);
        for round in 0..30 {
            let pods: Vec<Vec<(i32, u64, u32)>> = (0..40)
                .map(|_| (0..r.random_range(0..6)).map(|_| (r.random_range(0..4), r.random_range(1..4) * 500, 0)).collect())
                .collect();
            let running: Vec<&[(i32, u64, u32)]> = pods.iter().map(|p| &p[..]).collect();
            let mut c = cluster(&running);
            let mut kept = Preemption::default();
            for attempt in 0..40 {
                let t = SimTime::from_secs(100 + attempt);
                let bound: Vec<PodId> =
                    (0..c.pods.len() as u32).map(PodId).filter(|&p| c.pod(p).phase == crate::model::PodPhase::Running).collect();
                if let Some(&victim) = bound.get(r.random_range(0..bound.len().max(1))) {
                    match r.random_range(0..3) {
                        0 => c.evict(victim, t),
                        1 => c.finish(victim, t),
                        _ => {}
                    }
                }
                let pod = preemptor(r.random_range(1..5), r.random_range(1..4) * 1000);
                let abs = r.random_range(1..12);
                let seed = round * 100 + attempt;
                kept.clear();
                kept.add_all_potential(c.nodes.len());
                let view = ClusterView::new(&c, t);
                let got = kept.find(&pod, &view, 0, abs, &mut rng(seed), |_| true);
                assert_eq!(got, find_plainly(&c, &pod, abs, &mut rng(seed)), "round {round}, attempt {attempt}");
                // Every other attempt only looks: then a single change
                // separates two attempts.
                if let Some((node, victims)) = got.filter(|_| attempt % 2 == 0) {
                    for v in victims {
                        c.evict(v, t);
                    }
                    let id = c.submit(Pod { id: PodId(c.pods.len() as u32), ..pod });
                    c.bind(id, node, t);
                    c.start(id, t);
                }
            }
        }
    }

    #[test]
    fn the_dry_run_stops_after_the_candidate_count_from_a_random_offset() {
        // Ten full nodes; node n runs one 4-CPU pod of priority 10 + n, so
        // globally node 0 is best (rule 2). With 2 candidates wanted, only the
        // two nodes from the offset on are tried: the better of those wins.
        let pods: Vec<[(i32, u64, u32); 1]> = (0..10).map(|n| [(10 + n, 4000, 0)]).collect();
        let running: Vec<&[(i32, u64, u32)]> = pods.iter().map(|p| &p[..]).collect();
        let c = cluster(&running);
        let pod = preemptor(100, 1000);
        for seed in 0..20 {
            let offset = draw_offset(&mut rng(seed), 10);
            let window = [offset, (offset + 1) % 10];
            let expected = *window.iter().min().unwrap();
            let (node, victims) = find(&c, &pod, 0, 2, &mut rng(seed)).unwrap();
            assert_eq!(node, NodeId(expected as u32), "seed {seed}, offset {offset}");
            assert_eq!(victims, vec![PodId(expected as u32)]);
        }
        // Wanting every node finds the global best whatever the offset.
        for seed in 0..5 {
            assert_eq!(find(&c, &pod, 100, 0, &mut rng(seed)).unwrap().0, NodeId(0));
        }
    }

    #[test]
    fn the_dry_run_goes_on_until_a_candidate_violates_no_budget() {
        // Every node's only pod is of workload 0, whose budget allows no
        // disruption, except node 3's (workload 1, no budget). Wanting one
        // candidate, the dry run still continues until it reaches node 3.
        let mut pods: Vec<[(i32, u64, u32); 1]> = (0..6).map(|_| [(0, 4000, 0)]).collect();
        pods[3][0].2 = 1;
        let running: Vec<&[(i32, u64, u32)]> = pods.iter().map(|p| &p[..]).collect();
        let mut c = cluster(&running);
        c.set_disruption_budgets(vec![Some(crate::model::DisruptionBudget::MinAvailable(crate::model::PodCount::Pods(5))), None]);
        assert_eq!(c.disruptions_allowed(0), Some(0));
        for seed in 0..10 {
            assert_eq!(find(&c, &preemptor(1, 4000), 0, 1, &mut rng(seed)).unwrap().0, NodeId(3), "seed {seed}");
        }
    }

    #[test]
    fn a_max_unavailable_budget_follows_the_controllers_scale() {
        // Six running pods of workload 0; at most one may be unavailable.
        let pods: Vec<[(i32, u64, u32); 1]> = (0..6).map(|_| [(0, 1000, 0)]).collect();
        let running: Vec<&[(i32, u64, u32)]> = pods.iter().map(|p| &p[..]).collect();
        let mut c = cluster(&running);
        c.set_disruption_budgets(vec![Some(crate::model::DisruptionBudget::MaxUnavailable(crate::model::PodCount::Pods(1)))]);
        c.set_scale(0, 6);
        assert_eq!(c.disruptions_allowed(0), Some(1));
        c.set_scale(0, 8);
        assert_eq!(c.disruptions_allowed(0), Some(0), "scaled up to 8: 7 must stay, only 6 run");
        c.set_scale(0, 4);
        assert_eq!(c.disruptions_allowed(0), Some(3), "scaled down to 4: 3 must stay");
    }

    #[test]
    fn the_precheck_agrees_with_the_victim_search_on_every_node() {
        // Random full-ish nodes, then random evictions and completions; for
        // every node and preemptor, the per-priority sums (which must equal a
        // recount) say a node may make room exactly when the search over its
        // pods finds victims, so skipping the others never loses a candidate.
        let mut r = rng(7);
        for _ in 0..20 {
            let pods: Vec<Vec<(i32, u64, u32)>> =
                (0..8).map(|_| (0..r.random_range(0..6)).map(|_| (r.random_range(-2..4), r.random_range(0..1500), 0)).collect()).collect();
            let running: Vec<&[(i32, u64, u32)]> = pods.iter().map(|p| &p[..]).collect();
            let mut c = cluster(&running);
            for id in 0..c.pods.len() as u32 {
                match r.random_range(0..4) {
                    0 => c.evict(PodId(id), SimTime::from_secs(50)),
                    1 => c.finish(PodId(id), SimTime::from_secs(50)),
                    _ => {}
                }
            }
            for n in 0..c.nodes.len() {
                let id = NodeId(n as u32);
                let on = c.pods_on(id).iter().map(|&q| (c.pod(q).priority, c.pod(q).requests)).collect();
                assert_eq!(c.priority_usage(id), &on);
                for (priority, cpu) in [(-2, 100), (0, 500), (1, 3000), (2, 4000), (4, 1000), (4, 4001)] {
                    let pod = preemptor(priority, cpu);
                    let mut potential: Vec<_> = c
                        .pods_on(id)
                        .iter()
                        .map(|&q| c.pod(q))
                        .filter(|q| q.priority < priority)
                        .map(|q| PotentialVictim::of(q, SimTime::ZERO))
                        .collect();
                    let (mut remaining, mut out) = (Vec::new(), Vec::new());
                    let found = select_victims_on_node(&pod.requests, c.node(id), &mut potential, |_| None, &mut remaining, &mut out);
                    let lowest = lowest_victim_priority(&pod, c.node(id), c.priority_usage(id));
                    assert_eq!(lowest.is_some(), found.is_some(), "node {n}, pod {priority} {cpu}m");
                    // And without budgets it is the highest victim's priority.
                    if let Some(highest) = out.iter().map(|v| v.priority).max() {
                        assert_eq!(lowest, Some(highest), "node {n}, pod {priority} {cpu}m");
                    }
                }
            }
        }
    }

    #[test]
    fn equal_or_higher_priority_pods_are_never_victims() {
        // Node 0: priority 5 and 7 (2 CPU each); the preemptor has priority 5.
        let c = cluster(&[&[(5, 2000, 0), (7, 2000, 0)], &[(4, 1000, 0), (5, 3000, 0)]]);
        // Only node 1's priority-4 pod is eligible: 1 CPU is not enough for 2.
        assert_eq!(find(&c, &preemptor(5, 2000), 10, 100, &mut rng(1)), None);
        // It is enough for 1 CPU.
        assert_eq!(find(&c, &preemptor(5, 1000), 10, 100, &mut rng(1)), Some((NodeId(1), vec![PodId(2)])));
        // With no potential node nothing is drawn.
        let mut r = rng(3);
        let before = r.clone();
        let view = ClusterView::new(&c, SimTime::ZERO);
        assert_eq!(Preemption::default().find(&preemptor(9, 1000), &view, 10, 100, &mut r, |_| true), None);
        assert_eq!(r, before);
    }

    #[test]
    fn budgets_are_spent_in_importance_order() {
        let mut v = vec![victim(1, 9, 0, 1), victim(2, 8, 0, 1), victim(3, 7, 0, 1), victim(4, 1, 0, 1)];
        for x in &mut v[..3] {
            x.workload = 0;
        }
        let mut remaining = Vec::new();
        filter_pods_with_pdb_violation(&mut v, |w| (w == 0).then_some(2), &mut remaining);
        assert_eq!(v.iter().map(|x| x.violating).collect::<Vec<_>>(), vec![false, false, true, false]);
    }
}
