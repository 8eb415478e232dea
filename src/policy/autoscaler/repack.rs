//! What node autoscalers simulate before removing a node: its utilization, and
//! whether its pods would fit elsewhere (Cluster Autoscaler's scale-down
//! simulation, Karpenter's consolidation check).
//!
//! The check is the scheduler's filters without scoring: free resources and
//! pod count, taints, node selector and required node affinity. Inter-pod
//! rules are not re-checked (Cluster Autoscaler runs the full predicates; the
//! difference matters only for pods with required anti-affinity).

use std::collections::BTreeMap;

use crate::model::{Cluster, Node, NodeId, Pod, PodId, PodPhase, Resources};
use crate::policy::scheduler::filter;

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
}

impl Repacker {
    /// A what-if with nothing moved yet.
    pub fn new() -> Self {
        Self::default()
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
    /// takes `pod` given the moves in `added`.
    fn target(&self, cluster: &Cluster, pod: &Pod, except: Option<NodeId>, added: &BTreeMap<NodeId, (Resources, u32)>) -> Option<NodeId> {
        let (id, _) = cluster.live_nodes().find(|&(id, n)| {
            if Some(id) == except || !n.schedulable() || self.drained.contains(&id) || !filter::check_except_resources(pod, n) {
                return false;
            }
            let (extra, pods) = added.get(&id).copied().unwrap_or((Resources::ZERO, 0));
            n.pod_count + pods < n.max_pods && pod.requests.fits_in(&n.free().saturating_sub(&extra))
        })?;
        Some(id)
    }

    /// Places `pod` (one not bound yet, say pending) on the first node that
    /// takes it, keeping the move; `None` (and nothing changes) if no node does.
    /// No disruption budget is involved: nothing is evicted.
    pub fn try_place(&mut self, cluster: &Cluster, pod: PodId) -> Option<NodeId> {
        let pod = cluster.pod(pod);
        let id = self.target(cluster, pod, None, &self.added)?;
        let slot = self.added.entry(id).or_insert((Resources::ZERO, 0));
        slot.0 += pod.requests;
        slot.1 += 1;
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
        let mut added = self.added.clone();
        let mut evicted = self.evicted.clone();
        let mut trial: Option<Spare<'a>> = spare.as_deref().cloned();
        for &p in cluster.pods_on(node) {
            let pod = cluster.pod(p);
            if pod.phase == PodPhase::Running && cluster.disruptions_allowed(pod.workload).is_some() {
                let used = evicted.entry(pod.workload).or_insert(0);
                if cluster.disruptions_allowed(pod.workload).unwrap_or(0) - *used <= 0 {
                    return false;
                }
                *used += 1;
            }
            if let Some(id) = self.target(cluster, pod, Some(node), &added) {
                let slot = added.entry(id).or_insert((Resources::ZERO, 0));
                slot.0 += pod.requests;
                slot.1 += 1;
                continue;
            }
            match trial.as_mut() {
                Some(s) if s.takes(pod) => {
                    s.requested += pod.requests;
                    s.pods += 1;
                }
                _ => return false,
            }
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
}
