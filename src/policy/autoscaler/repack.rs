//! What node autoscalers simulate before removing a node: its utilization, and
//! whether its pods would fit elsewhere (Cluster Autoscaler's scale-down
//! simulation, Karpenter's consolidation check).
//!
//! The check is the scheduler's filters without scoring: free resources and
//! pod count, taints, node selector and required node affinity; and, in a
//! what-if made [`with_inter_pod_rules`](Repacker::with_inter_pod_rules) (as
//! Cluster Autoscaler's removal simulation runs the full predicates), the
//! inter-pod rules: `DoNotSchedule` topology spread and required pod
//! (anti-)affinity, counted on a copy of the cluster where the simulated
//! moves are made.

use std::collections::BTreeMap;

use crate::model::affinity::WhenUnsatisfiable;
use crate::model::{Cluster, Node, NodeId, Pod, PodId, PodPhase, Resources};
use crate::policy::scheduler::filter;
use crate::policy::scheduler::kubernetes::inter_pod_affinity::AffinityState;
use crate::policy::scheduler::kubernetes::topology_spread::SpreadState;
use crate::policy::scheduler::ClusterView;
use crate::time::SimTime;

/// Cluster Autoscaler's node utilization (`utilization.Calculate`): the larger
/// of requested/allocatable CPU and memory, or of GPUs on a GPU node (where
/// CPU and memory are not what the node is for).
pub fn utilization(node: &Node) -> f64 {
    let frac = |req: u64, cap: u64| if cap == 0 { 0.0 } else { req as f64 / cap as f64 };
    if node.allocatable.gpu > 0 {
        return frac(node.requested.gpu, node.allocatable.gpu);
    }
    frac(node.requested.cpu_milli, node.allocatable.cpu_milli).max(frac(node.requested.memory_bytes, node.allocatable.memory_bytes))
}

/// A node that does not exist yet, taking pods in a what-if: the replacement
/// Karpenter considers launching when a node's pods do not all fit elsewhere.
#[derive(Clone, Debug)]
pub struct Spare<'a> {
    /// The node as it would join (its pool's template).
    pub template: &'a Node,
    /// Requests placed on it so far.
    pub requested: Resources,
    /// Pods placed on it so far.
    pub pods: u32,
}

impl<'a> Spare<'a> {
    /// An empty node of `template`'s pool.
    pub fn new(template: &'a Node) -> Self {
        Spare { template, requested: Resources::ZERO, pods: 0 }
    }

    /// Whether `pod` would fit on it now.
    fn takes(&self, pod: &Pod) -> bool {
        let t = self.template;
        self.pods < t.max_pods
            && pod.requests.fits_in(&t.allocatable.saturating_sub(&self.requested))
            && filter::check_except_resources(pod, t)
    }
}

/// A what-if of several drains in one scan: pods moved by earlier drains take
/// room on their new nodes, nodes being drained take no pods, and evictions
/// count against each workload's disruption budget.
#[derive(Clone, Debug, Default)]
pub struct Repacker {
    /// Extra requests and pods placed on nodes by the simulated moves.
    added: BTreeMap<NodeId, (Resources, u32)>,
    /// Nodes drained (or excluded) in this what-if.
    drained: Vec<NodeId>,
    /// Running pods evicted per workload.
    evicted: BTreeMap<u32, i64>,
    /// The inter-pod rules, when they are checked (else `None`).
    inter_pod: Option<Box<InterPod>>,
}

/// What the inter-pod rules of a what-if need: the cluster with the what-if's
/// moves made (once some pod has or meets such rules; until then, the moves
/// to replay on it), and the scheduler's per-pod states.
#[derive(Clone, Debug, Default)]
struct InterPod {
    /// The cluster as the what-if has it: moved pods bound where they went,
    /// drained nodes cordoned (they stay topology domains, as upstream's
    /// tainted ghost node).
    snapshot: Option<Cluster>,
    /// Every move kept so far (pod, new node), to replay on a snapshot made later.
    moves: Vec<(PodId, NodeId)>,
    spread: SpreadState,
    affinity: AffinityState,
}

impl InterPod {
    /// Whether `pod` has a `DoNotSchedule` spread constraint or meets a
    /// required pod (anti-)affinity term (its own or a bound pod's).
    fn concerns(&mut self, cluster: &Cluster, pod: &Pod) -> bool {
        let hard_spread = pod.placement.topology_spread.iter().any(|c| c.when_unsatisfiable == WhenUnsatisfiable::DoNotSchedule);
        hard_spread || self.affinity.compute(pod, &ClusterView::new(cluster, SimTime::ZERO), 0)
    }

    /// Makes the snapshot from `cluster` with the moves so far, the
    /// `drained` nodes and the one `draining` cordoned and the pods left on
    /// it taken off, if not made yet.
    fn make_snapshot(&mut self, cluster: &Cluster, drained: &[NodeId], draining: Option<NodeId>) {
        if self.snapshot.is_some() {
            return;
        }
        let mut copy = cluster.clone();
        for &(pod, to) in &self.moves {
            rebind(&mut copy, pod, to);
        }
        for &n in drained.iter().chain(&draining) {
            for p in copy.pods_on(n).to_vec() {
                copy.unbind(p, SimTime::ZERO);
            }
            copy.nodes[n.index()].cordoned = true;
        }
        self.snapshot = Some(copy);
    }

    /// Undoes a failed drain of `node` whose moves start at `from` in
    /// `moves`: the moved pods go back, the node takes pods again.
    fn undo_drain(&mut self, cluster: &Cluster, node: NodeId, from: usize) {
        if let Some(copy) = self.snapshot.as_mut() {
            for &p in cluster.pods_on(node) {
                rebind(copy, p, node);
            }
            copy.nodes[node.index()].cordoned = cluster.node(node).cordoned;
        }
        self.moves.truncate(from);
    }
}

/// Binds `pod` to `to` in a snapshot, taking it off its node first if bound.
fn rebind(copy: &mut Cluster, pod: PodId, to: NodeId) {
    if copy.pod(pod).node.is_some() {
        copy.unbind(pod, SimTime::ZERO);
    }
    copy.bind(pod, to, SimTime::ZERO);
}

impl Repacker {
    /// A what-if with nothing moved yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A what-if with nothing moved yet that also checks the inter-pod rules
    /// (Cluster Autoscaler's `SimulateNodeRemoval` runs the scheduler's
    /// filters, PodTopologySpread and InterPodAffinity included).
    pub fn with_inter_pod_rules() -> Self {
        Repacker { inter_pod: Some(Box::default()), ..Self::default() }
    }

    /// Whether `node` would be drained in this what-if.
    pub fn is_drained(&self, node: NodeId) -> bool {
        self.drained.contains(&node)
    }

    /// Whether some simulated move placed a pod on `node`.
    pub fn receives(&self, node: NodeId) -> bool {
        self.added.contains_key(&node)
    }

    /// Keeps `node` out of the what-if: it takes no pods (a node already
    /// being deleted, or about to be). Its own pods are not moved.
    pub fn exclude(&mut self, node: NodeId) {
        if !self.drained.contains(&node) {
            self.drained.push(node);
        }
    }

    /// The first schedulable node (in node order) other than `except` that
    /// takes `pod` given the moves in `added`, and that `rules` allow.
    fn target(
        &self,
        cluster: &Cluster,
        pod: &Pod,
        except: Option<NodeId>,
        added: &BTreeMap<NodeId, (Resources, u32)>,
        rules: &dyn Fn(&Node) -> bool,
    ) -> Option<NodeId> {
        let (id, _) = cluster.live_nodes().find(|&(id, n)| {
            if Some(id) == except || !n.schedulable() || self.drained.contains(&id) || !filter::check_except_resources(pod, n) {
                return false;
            }
            let (extra, pods) = added.get(&id).copied().unwrap_or((Resources::ZERO, 0));
            n.pod_count + pods < n.max_pods && pod.requests.fits_in(&n.free().saturating_sub(&extra)) && rules(n)
        })?;
        Some(id)
    }

    /// [`target`](Self::target) with the inter-pod rules, when they are
    /// checked and concern `pod`: its spread and affinity states are
    /// computed on the snapshot (where it is unbound) and filter the nodes.
    fn target_with_rules(
        &mut self,
        cluster: &Cluster,
        pod: &Pod,
        except: Option<NodeId>,
        added: &BTreeMap<NodeId, (Resources, u32)>,
    ) -> Option<NodeId> {
        let Some(mut ip) = self.inter_pod.take() else { return self.target(cluster, pod, except, added, &|_| true) };
        let found = if ip.snapshot.is_some() || ip.concerns(cluster, pod) {
            ip.make_snapshot(cluster, &self.drained, except);
            let InterPod { snapshot, spread, affinity, .. } = &mut *ip;
            let view = ClusterView::new(snapshot.as_ref().expect("made above"), SimTime::ZERO);
            spread.compute(pod, &view);
            let pod_affinity = affinity.compute(pod, &view, 0);
            let (spread, affinity) = (&*spread, &*affinity);
            self.target(cluster, pod, except, added, &|n: &Node| spread.allows(n) && (!pod_affinity || affinity.allows(n)))
        } else {
            self.target(cluster, pod, except, added, &|_| true)
        };
        self.inter_pod = Some(ip);
        found
    }

    /// Records the move of `pod` to `to` for the inter-pod rules, if checked.
    fn record_move(&mut self, pod: PodId, to: NodeId) {
        if let Some(ip) = self.inter_pod.as_deref_mut() {
            ip.moves.push((pod, to));
            if let Some(copy) = ip.snapshot.as_mut() {
                rebind(copy, pod, to);
            }
        }
    }

    /// Places `pod` (one not bound yet, say pending) on the first node that
    /// takes it, keeping the move; `None` (and nothing changes) if no node does.
    /// No disruption budget is involved: nothing is evicted.
    pub fn try_place(&mut self, cluster: &Cluster, pod: PodId) -> Option<NodeId> {
        let p = cluster.pod(pod);
        let added = std::mem::take(&mut self.added);
        let found = self.target_with_rules(cluster, p, None, &added);
        self.added = added;
        let id = found?;
        let slot = self.added.entry(id).or_insert((Resources::ZERO, 0));
        slot.0 += p.requests;
        slot.1 += 1;
        self.record_move(pod, id);
        Some(id)
    }

    /// Tries to move every pod of `node` to other schedulable nodes (first
    /// fit, in node order), respecting disruption budgets. On success the
    /// moves are kept and `true` returned; otherwise nothing changes.
    pub fn try_drain(&mut self, cluster: &Cluster, node: NodeId) -> bool {
        self.try_drain_into(cluster, node, None)
    }

    /// [`try_drain`](Self::try_drain), with pods that fit no node in service
    /// going to `spare` (first fit: nodes in service are preferred, as
    /// Karpenter's scheduler fills existing capacity before new nodes). On
    /// failure neither the what-if nor `spare` changes.
    pub fn try_drain_into<'a>(&mut self, cluster: &Cluster, node: NodeId, spare: Option<&mut Spare<'a>>) -> bool {
        let moved_before = self.inter_pod.as_deref().map_or(0, |ip| ip.moves.len());
        let mut added = self.added.clone();
        let mut evicted = self.evicted.clone();
        let mut trial: Option<Spare<'a>> = spare.as_deref().cloned();
        // As `findPlaceFor`, the node's pods are taken off it (and it is
        // cordoned) before any is placed.
        if let Some(copy) = self.inter_pod.as_deref_mut().and_then(|ip| ip.snapshot.as_mut()) {
            for &p in cluster.pods_on(node) {
                copy.unbind(p, SimTime::ZERO);
            }
            copy.nodes[node.index()].cordoned = true;
        }
        let ok = cluster.pods_on(node).iter().all(|&p| {
            let pod = cluster.pod(p);
            if pod.phase == PodPhase::Running && cluster.disruptions_allowed(pod.workload).is_some() {
                let used = evicted.entry(pod.workload).or_insert(0);
                if cluster.disruptions_allowed(pod.workload).unwrap_or(0) - *used <= 0 {
                    return false;
                }
                *used += 1;
            }
            if let Some(id) = self.target_with_rules(cluster, pod, Some(node), &added) {
                let slot = added.entry(id).or_insert((Resources::ZERO, 0));
                slot.0 += pod.requests;
                slot.1 += 1;
                self.record_move(p, id);
                return true;
            }
            match trial.as_mut() {
                Some(s) if s.takes(pod) => {
                    s.requested += pod.requests;
                    s.pods += 1;
                    true
                }
                _ => false,
            }
        });
        if !ok {
            if let Some(ip) = self.inter_pod.as_deref_mut() {
                ip.undo_drain(cluster, node, moved_before);
            }
            return false;
        }
        if let (Some(s), Some(t)) = (spare, trial) {
            *s = t;
        }
        self.added = added;
        self.evicted = evicted;
        self.drained.push(node);
        true
    }
}

/// A small cluster with pools for node autoscalers' unit tests, driven by hand
/// the way the engine would drive it.
#[cfg(test)]
pub(crate) mod tests_support {
    use crate::model::image::{ImageId, ImageSpec};
    use crate::model::node::tests_support::node;
    use crate::model::pod::tests_support::pod;
    use crate::model::{Cluster, Node, NodeId, PodId};
    use crate::policy::autoscaler::{NodeAction, NodeAutoscaler, NodeScalingView, PoolView};
    use crate::time::SimTime;

    pub(crate) const GI: u64 = 1 << 30;

    /// A pool: CPU of its nodes (millicores; 64 GiB of memory each), min, max,
    /// price per hour. Pool `i` is named `p{i}`.
    pub(crate) struct Pool(pub(crate) u64, pub(crate) u32, pub(crate) u32, pub(crate) f64);

    /// A cluster and its pools.
    pub(crate) struct World {
        pub(crate) cluster: Cluster,
        pub(crate) templates: Vec<Node>,
        pub(crate) pools: Vec<Pool>,
        pub(crate) names: Vec<String>,
        /// Nodes asked for and not joined, per pool.
        pub(crate) provisioning: Vec<u32>,
    }

    impl World {
        pub(crate) fn new(pools: Vec<Pool>) -> Self {
            let templates = (0..pools.len())
                .map(|i| {
                    let mut n = node(pools[i].0, 64 * GI);
                    n.group = i as u32;
                    n
                })
                .collect();
            let images = vec![ImageSpec { name: "a".into(), size_bytes: 0 }, ImageSpec { name: "b".into(), size_bytes: 0 }];
            let names = (0..pools.len()).map(|i| format!("p{i}")).collect();
            World { cluster: Cluster::new(vec![], images), templates, provisioning: vec![0; pools.len()], names, pools }
        }

        /// A node of `pool` that has joined, running pods of `cpus` millicores.
        pub(crate) fn node(&mut self, pool: usize, cpus: &[u64]) -> NodeId {
            let id = self.cluster.add_node(self.templates[pool].clone());
            for &cpu in cpus {
                self.run(cpu, id, 0);
            }
            id
        }

        /// A running pod of `cpu` millicores and `priority` on `on`.
        pub(crate) fn run(&mut self, cpu: u64, on: NodeId, priority: i32) -> PodId {
            let id = self.pending(cpu);
            self.cluster.pods[id.index()].priority = priority;
            self.bind(id, on, SimTime::ZERO);
            self.cluster.start(id, SimTime::ZERO);
            id
        }

        /// A pending pod of `cpu` millicores.
        pub(crate) fn pending(&mut self, cpu: u64) -> PodId {
            let id = PodId(self.cluster.pods.len() as u32);
            self.cluster.submit(pod(id.0, cpu, GI));
            id
        }

        /// Binds and, as the engine does when a pull completes, counts the image.
        pub(crate) fn bind(&mut self, pod: PodId, on: NodeId, now: SimTime) {
            self.cluster.bind(pod, on, now);
            if self.cluster.pod(pod).pulled_image {
                self.cluster.image_pulled(on, ImageId(0));
            }
        }

        /// Moves the pods of `node` to `to` and removes it, as a drain would.
        pub(crate) fn drain(&mut self, node: NodeId, to: NodeId, now: u64) {
            let t = SimTime::from_secs(now);
            for p in self.cluster.pods_on(node).to_vec() {
                self.cluster.evict(p, t);
                self.bind(p, to, t);
            }
            self.cluster.remove_node(node, t);
        }

        /// The pools as a node autoscaler sees them.
        pub(crate) fn pool_views(&self) -> Vec<PoolView<'_>> {
            self.pools
                .iter()
                .enumerate()
                .map(|(i, &Pool(_, min, max, price))| PoolView {
                    name: &self.names[i],
                    template: &self.templates[i],
                    min,
                    max,
                    price_per_hour: price,
                    priority: 0,
                    nodes: self.cluster.live_nodes().filter(|(_, n)| n.group == i as u32).count() as u32,
                    provisioning: self.provisioning[i],
                })
                .collect()
        }

        /// One scan of `autoscaler` at `now` seconds.
        pub(crate) fn scan(&self, autoscaler: &mut dyn NodeAutoscaler, now: u64, unschedulable: &[PodId]) -> Vec<NodeAction> {
            let pools = self.pool_views();
            let view = NodeScalingView { now: SimTime::from_secs(now), cluster: &self.cluster, pools: &pools, unschedulable };
            let mut actions = Vec::new();
            autoscaler.scan(&view, &mut actions);
            actions
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::image::ImageSpec;
    use crate::model::node::tests_support::node;
    use crate::model::pod::tests_support::pod;
    use crate::model::{DisruptionBudget, PodId};
    use crate::time::SimTime;

    const GI: u64 = 1 << 30;

    fn cluster(nodes: usize) -> Cluster {
        let images = vec![ImageSpec { name: "a".into(), size_bytes: 0 }, ImageSpec { name: "b".into(), size_bytes: 0 }];
        Cluster::new((0..nodes).map(|_| node(4000, 16 * GI)).collect(), images)
    }

    fn place(c: &mut Cluster, cpu: u64, on: u32) -> PodId {
        let id = PodId(c.pods.len() as u32);
        c.submit(pod(id.0, cpu, GI));
        c.bind(id, NodeId(on), SimTime::ZERO);
        c.start(id, SimTime::ZERO);
        id
    }

    #[test]
    fn utilization_is_the_larger_fraction() {
        let mut c = cluster(1);
        place(&mut c, 1000, 0);
        // 1000/4000 CPU, 1/16 memory.
        assert_eq!(utilization(&c.nodes[0]), 0.25);
    }

    #[test]
    fn drains_succeed_only_where_the_pods_fit_elsewhere() {
        let mut c = cluster(3);
        place(&mut c, 3000, 0);
        place(&mut c, 1000, 1);
        place(&mut c, 3500, 2);
        let mut r = Repacker::new();
        // Node 1's pod fits on node 0 (1000 free).
        assert!(r.try_drain(&c, NodeId(1)));
        // Now node 0 is full in the what-if: node 2's 3.5-CPU pod fits nowhere.
        assert!(!r.try_drain(&c, NodeId(2)));
        // And node 0 cannot go: its pod would need node 1, which is drained.
        assert!(!r.try_drain(&c, NodeId(0)));
        assert!(r.is_drained(NodeId(1)) && !r.is_drained(NodeId(0)));
    }

    #[test]
    fn a_spare_node_takes_what_fits_nowhere_else() {
        let mut c = cluster(2);
        place(&mut c, 3000, 0);
        place(&mut c, 1500, 1);
        place(&mut c, 1500, 1);
        let big = node(2000, 16 * GI);
        let mut spare = Spare::new(&big);
        let mut r = Repacker::new();
        // Node 1's two 1.5-CPU pods: node 0 has 1 CPU free, a 2-CPU spare takes one.
        assert!(!r.try_drain_into(&c, NodeId(1), Some(&mut spare)));
        assert_eq!((spare.pods, r.is_drained(NodeId(1))), (0, false), "a failed drain leaves the spare as it was");
        let bigger = node(4000, 16 * GI);
        let mut spare = Spare::new(&bigger);
        assert!(r.try_drain_into(&c, NodeId(1), Some(&mut spare)));
        assert_eq!((spare.pods, spare.requested.cpu_milli), (2, 3000));
        // Without a spare the same drain fails.
        assert!(!Repacker::new().try_drain(&c, NodeId(1)));
    }

    #[test]
    fn placed_pods_take_room_and_excluded_nodes_take_none() {
        let mut c = cluster(3);
        place(&mut c, 3000, 0);
        place(&mut c, 2000, 2);
        let pending = PodId(c.pods.len() as u32);
        c.submit(pod(pending.0, 3500, GI));
        let mut r = Repacker::new();
        r.exclude(NodeId(1));
        // Node 1 (empty) is excluded, node 0 and 2 are too full: nowhere.
        assert_eq!(r.try_place(&c, pending), None);
        let mut r = Repacker::new();
        assert_eq!(r.try_place(&c, pending), Some(NodeId(1)));
        assert!(r.receives(NodeId(1)) && !r.receives(NodeId(0)));
        // Node 2's 2-CPU pod no longer fits on node 1 (0.5 CPU left) nor node 0.
        assert!(!r.try_drain(&c, NodeId(2)));
    }

    #[test]
    fn drains_respect_disruption_budgets() {
        let mut c = cluster(3);
        c.set_disruption_budgets(vec![Some(DisruptionBudget::MinAvailable(crate::model::PodCount::Pods(1)))]);
        place(&mut c, 500, 0);
        place(&mut c, 500, 1);
        let mut r = Repacker::new();
        assert!(r.try_drain(&c, NodeId(0)), "2 running, 1 must stay: one eviction allowed");
        assert!(!r.try_drain(&c, NodeId(1)), "the budget is used up");
    }

    /// Inter-pod rules are counted with the simulated moves made, and a
    /// failed drain takes its moves back: node 0's two anti-affine pods
    /// cannot both go to node 2, and once that drain fails node 2 is empty
    /// again for node 1's pod.
    #[test]
    fn inter_pod_rules_see_the_moves_and_a_failed_drain_takes_them_back() {
        use crate::model::affinity::{AffinitySelector, NodePlacement, PodAffinityTerm};
        let mut c = cluster(3);
        for i in 0..3 {
            c.nodes[i].labels.insert("kubernetes.io/hostname".into(), format!("n{i}"));
        }
        let mut placement = NodePlacement::default();
        placement.pod_anti_affinity.required =
            vec![PodAffinityTerm { topology_key: "kubernetes.io/hostname".into(), selector: AffinitySelector::Workload }];
        let placement = std::sync::Arc::new(placement);
        for on in [0, 0, 1] {
            let id = PodId(c.pods.len() as u32);
            let mut p = pod(id.0, 500, GI);
            p.placement = placement.clone();
            c.submit(p);
            c.bind(id, NodeId(on), SimTime::ZERO);
            c.start(id, SimTime::ZERO);
        }
        // Without the rules both of node 0's pods fit node 2.
        assert!(Repacker::new().try_drain(&c, NodeId(0)));
        let mut r = Repacker::with_inter_pod_rules();
        assert!(!r.try_drain(&c, NodeId(0)), "the second pod refuses node 2 once the first is there");
        assert!(r.try_drain(&c, NodeId(1)), "node 2 is empty again in the what-if");
        assert!(!r.try_drain(&c, NodeId(0)), "node 0's pods now meet node 1's on node 2");
    }
}
