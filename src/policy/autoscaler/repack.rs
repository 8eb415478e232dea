//! What node autoscalers simulate before removing a node: its utilization, and
//! whether its pods would fit elsewhere (Cluster Autoscaler's scale-down
//! simulation, Karpenter's consolidation check).
//!
//! The check is the scheduler's filters without scoring: free resources and
//! pod count, taints, node selector and required node affinity. Inter-pod
//! rules are not re-checked (Cluster Autoscaler runs the full predicates; the
//! difference matters only for pods with required anti-affinity).

use std::collections::BTreeMap;

use crate::model::{Cluster, Node, NodeId, PodPhase, Resources};
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

/// A what-if of several drains in one scan: pods moved by earlier drains take
/// room on their new nodes, nodes being drained take no pods, and evictions
/// count against each workload's disruption budget.
#[derive(Debug, Default)]
pub struct Repacker {
    /// Extra requests and pods placed on nodes by the simulated moves.
    added: BTreeMap<NodeId, (Resources, u32)>,
    /// Nodes drained in this what-if.
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

    /// Tries to move every pod of `node` to other schedulable nodes (first
    /// fit, in node order), respecting disruption budgets. On success the
    /// moves are kept and `true` returned; otherwise nothing changes.
    pub fn try_drain(&mut self, cluster: &Cluster, node: NodeId) -> bool {
        let mut added = self.added.clone();
        let mut evicted = self.evicted.clone();
        for &p in cluster.pods_on(node) {
            let pod = cluster.pod(p);
            if pod.phase == PodPhase::Running && cluster.disruptions_allowed(pod.workload).is_some() {
                let used = evicted.entry(pod.workload).or_insert(0);
                if cluster.disruptions_allowed(pod.workload).unwrap_or(0) - *used <= 0 {
                    return false;
                }
                *used += 1;
            }
            let target = cluster.live_nodes().find(|&(id, n)| {
                if id == node || !n.schedulable || self.drained.contains(&id) || !filter::check_except_resources(pod, n) {
                    return false;
                }
                let (extra, pods) = added.get(&id).copied().unwrap_or((Resources::ZERO, 0));
                n.pod_count + pods < n.max_pods && pod.requests.fits_in(&n.free().saturating_sub(&extra))
            });
            let Some((id, _)) = target else { return false };
            let slot = added.entry(id).or_insert((Resources::ZERO, 0));
            slot.0 += pod.requests;
            slot.1 += 1;
        }
        self.added = added;
        self.evicted = evicted;
        self.drained.push(node);
        true
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
    fn drains_respect_disruption_budgets() {
        let mut c = cluster(3);
        c.set_disruption_budgets(vec![Some(DisruptionBudget { min_available: 1 })]);
        place(&mut c, 500, 0);
        place(&mut c, 500, 1);
        let mut r = Repacker::new();
        assert!(r.try_drain(&c, NodeId(0)), "2 running, 1 must stay: one eviction allowed");
        assert!(!r.try_drain(&c, NodeId(1)), "the budget is used up");
    }
}
