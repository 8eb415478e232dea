//! Classic Docker Swarm's placement strategies (`docker-archive/classicswarm`,
//! `scheduler/strategy/*.go`; semantics.md §6).
//!
//! `weighNodes` gives each node `cpuScore + memScore + healthFactor·health`, where
//! `cpuScore = (usedCpus + request)·100 / totalCpus` in integers (100 when the
//! container requests no CPU), and likewise for memory; a node is kept only if
//! both scores are ≤ 100. The totals are the engine's (`cluster/engine.go`
//! `TotalMemory`, `TotalCpus`): memory plus the default 5 % overcommit, whole
//! CPUs plus 5 % in integers. What a node can hold stays its allocatable (the
//! common filters run first, and the simulator never binds beyond it), so the
//! overcommit changes the weights, not what fits. **spread** (Swarm's default) takes the lowest weight,
//! ties to fewer containers; **binpack** the highest, ties to more containers;
//! **random** any kept node uniformly. Health is 100 for every node here (no
//! failures yet), so the health term is a constant −1000 (spread) or +1000
//! (binpack). Exact ties go to the lowest node index (Go's unstable sort has
//! no defined order there). The common filters (taints, pod limit) run first,
//! in place of Swarm's constraint filters.

use rand::Rng;

use super::{pick_max, ClusterView, Placement, Scheduler};
use crate::engine::SimRng;
use crate::model::{Node, Pod};

/// Classic Swarm's `HealthIndicator` of a healthy node.
pub const HEALTHY: i64 = 100;

/// Which strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwarmStrategy {
    /// Least reserved CPU + memory first (the default strategy).
    Spread,
    /// Most reserved first.
    Binpack,
    /// Uniformly random.
    Random,
}

impl SwarmStrategy {
    fn health_factor(self) -> i64 {
        match self {
            SwarmStrategy::Spread => -10,
            SwarmStrategy::Binpack => 10,
            SwarmStrategy::Random => 0,
        }
    }
}

/// `swarm.overcommit` (0.05 by default, `cli/help.go`) as the engine keeps it:
/// `overcommitRatio = int64(0.05 * 100)` percent (`cluster/engine.go`).
pub const OVERCOMMIT_PERCENT: u64 = 5;

/// `Engine.TotalMemory`: the node's memory plus the overcommit, in integers.
pub fn total_memory(node: &Node) -> u64 {
    let m = node.allocatable.memory_bytes;
    m + m * OVERCOMMIT_PERCENT / 100
}

/// `Engine.TotalCpus` in millicores: the engine knows whole CPUs (`NCPU`, so
/// a fraction of a core is dropped) plus the overcommit in integers (no extra
/// CPU below 20 CPUs).
pub fn total_cpu_milli(node: &Node) -> u64 {
    let cpus = node.allocatable.cpu_milli / 1000;
    (cpus + cpus * OVERCOMMIT_PERCENT / 100) * 1000
}

/// `weighNodes` for one node: the weight, or `None` if the request does not
/// fit Swarm's totals ([`total_cpu_milli`], [`total_memory`]).
pub fn weigh_node(pod: &Pod, node: &Node, health_factor: i64) -> Option<i64> {
    let score = |used: u64, req: u64, total: u64| -> Option<i64> {
        if total < req {
            return None;
        }
        let s = if req > 0 { ((used + req) as u128 * 100 / total as u128) as i64 } else { 100 };
        (s <= 100).then_some(s)
    };
    let cpu = score(node.requested.cpu_milli, pod.requests.cpu_milli, total_cpu_milli(node))?;
    let mem = score(node.requested.memory_bytes, pod.requests.memory_bytes, total_memory(node))?;
    Some(cpu + mem + health_factor * HEALTHY)
}

/// A classic Swarm scheduler.
pub struct Swarm {
    strategy: SwarmStrategy,
    rng: SimRng,
}

impl Swarm {
    /// `strategy`, with `rng` for [`SwarmStrategy::Random`].
    pub fn new(strategy: SwarmStrategy, rng: SimRng) -> Self {
        Swarm { strategy, rng }
    }
}

impl Scheduler for Swarm {
    fn name(&self) -> &'static str {
        match self.strategy {
            SwarmStrategy::Spread => "swarm-spread",
            SwarmStrategy::Binpack => "swarm-binpack",
            SwarmStrategy::Random => "swarm-random",
        }
    }

    fn schedule(&mut self, pod: &Pod, view: &ClusterView<'_>) -> Placement {
        let hf = self.strategy.health_factor();
        let containers = |n: &Node| n.pod_count as i64;
        match self.strategy {
            SwarmStrategy::Spread => pick_max(pod, view, |_, n| weigh_node(pod, n, hf).map(|w| (-w, -containers(n)))),
            SwarmStrategy::Binpack => pick_max(pod, view, |_, n| weigh_node(pod, n, hf).map(|w| (w, containers(n)))),
            SwarmStrategy::Random => {
                let (rng, mut seen) = (&mut self.rng, 0u32);
                pick_max(pod, view, |_, n| {
                    weigh_node(pod, n, hf)?;
                    seen += 1;
                    // Keep this node with probability 1/seen: a key above all earlier ones.
                    Some(if rng.random_range(0..seen) == 0 { seen } else { 0 })
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::node::tests_support::node;
    use crate::model::pod::tests_support::pod;
    use crate::model::{Cluster, ImageSpec, NodeId, Resources};

    const GI: u64 = 1 << 30;

    #[test]
    fn weights_follow_classic_swarm() {
        // 4 CPUs / 8 GiB, 1 CPU / 2 GiB used; request 1 CPU / 2 GiB →
        // cpu (1+1)·100/4 = 50, mem (2+2)·100/(8 + 8·5/100) = 400/8.4 → 47
        // (the engine's 5 % memory overcommit); spread adds −10·100.
        let mut n = node(4000, 8 * GI);
        n.requested = Resources { cpu_milli: 1000, memory_bytes: 2 * GI, gpu: 0 };
        assert_eq!(total_memory(&n), 8 * GI + 8 * GI * 5 / 100);
        assert_eq!(weigh_node(&pod(0, 1000, 2 * GI), &n, -10), Some(50 + 47 - 1000));
        // No CPU request scores 100 for CPU.
        assert_eq!(weigh_node(&pod(0, 0, 2 * GI), &n, 0), Some(100 + 47));
        // Integer division: 333·100/4000 = 8.
        assert_eq!(weigh_node(&pod(0, 333, 0), &node(4000, 8 * GI), 0), Some(8 + 100));
        // Over capacity → not kept.
        assert_eq!(weigh_node(&pod(0, 3500, GI), &n, 0), None);
        // Whole CPUs: 3.9 allocatable cores are 3 to the engine…
        assert_eq!(total_cpu_milli(&node(3900, GI)), 3000);
        assert_eq!(weigh_node(&pod(0, 3500, 0), &node(3900, GI), 0), None);
        // …and the 5 % overcommit adds a CPU only from 20 on (integers).
        assert_eq!(total_cpu_milli(&node(19_000, GI)), 19_000);
        assert_eq!(total_cpu_milli(&node(20_000, GI)), 21_000);
    }

    #[test]
    fn spread_takes_least_loaded_and_binpack_most_with_container_tie_breaks() {
        // Node 0 and 1 equally loaded (1 CPU), node 1 with more containers; node 2 empty.
        let mut nodes: Vec<Node> = (0..3).map(|_| node(4000, 8 * GI)).collect();
        for (n, pods) in [(0, 1), (1, 4)] {
            nodes[n].requested = Resources { cpu_milli: 1000, memory_bytes: GI, gpu: 0 };
            nodes[n].pod_count = pods;
        }
        let image = ImageSpec { name: "a:1".into(), size_bytes: 1 };
        let c = Cluster::new(nodes, vec![image.clone(), image]);
        let view = ClusterView::new(&c, crate::time::SimTime::ZERO);
        let p = pod(0, 500, GI);
        let rng = || crate::engine::stream_rng(1, 0, crate::engine::StreamId::SCHEDULER);
        assert_eq!(Swarm::new(SwarmStrategy::Spread, rng()).schedule(&p, &view), Placement::Bind(NodeId(2)));
        assert_eq!(Swarm::new(SwarmStrategy::Binpack, rng()).schedule(&p, &view), Placement::Bind(NodeId(1)));
    }
}
