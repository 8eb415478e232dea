//! The classic bin-packing heuristics and Tetris: each scores every feasible
//! node and takes the best; ties go to the lowest node index.
//!
//! Resources are compared as fractions of the node's allocatable, over CPU and
//! memory, plus GPUs on nodes that have them.

use rand::Rng;

use super::{pick_max, ClusterView, Placement, Scheduler};
use crate::engine::SimRng;
use crate::model::{Node, Pod, Resources};

/// Which classic rule a [`Classic`] scheduler applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClassicRule {
    /// Least free capacity left after placement (packs tightly).
    BestFit,
    /// Most free capacity left after placement (spreads).
    WorstFit,
    /// Uniformly random among feasible nodes (the policy's seeded stream).
    Random,
    /// Tetris' alignment: the dot product of demand and free capacity.
    Tetris,
}

/// `(request, free after nothing, allocatable)` per resource the node has.
fn dims(pod: &Pod, node: &Node) -> impl Iterator<Item = (f64, f64, f64)> {
    let free = node.free();
    let r = |req: u64, free: u64, cap: u64| (cap > 0).then_some((req as f64, free as f64, cap as f64));
    let p: Resources = pod.requests;
    [
        r(p.cpu_milli, free.cpu_milli, node.allocatable.cpu_milli),
        r(p.memory_bytes, free.memory_bytes, node.allocatable.memory_bytes),
        r(p.gpu, free.gpu, node.allocatable.gpu),
    ]
    .into_iter()
    .flatten()
}

/// Free capacity left on `node` after placing `pod`: `Σ_r (free_r − req_r) / cap_r`.
/// Best fit minimizes it, worst fit maximizes it.
pub fn leftover(pod: &Pod, node: &Node) -> f64 {
    dims(pod, node).map(|(req, free, cap)| (free - req) / cap).sum()
}

/// Tetris alignment (Grandl et al., SIGCOMM'14): `Σ_r (req_r / cap_r)·(free_r / cap_r)`,
/// the dot product of the task's demand and the node's free resources, both
/// normalized by the node's capacity. Higher is a better fit. The paper's SRTF
/// and fairness terms are not modelled (their exact form is unverified,
/// semantics.md §8).
pub fn tetris_alignment(pod: &Pod, node: &Node) -> f64 {
    dims(pod, node).map(|(req, free, cap)| (req / cap) * (free / cap)).sum()
}

/// A classic heuristic scheduler.
pub struct Classic {
    rule: ClassicRule,
    rng: SimRng,
}

impl Classic {
    /// `rule`, with `rng` for [`ClassicRule::Random`].
    pub fn new(rule: ClassicRule, rng: SimRng) -> Self {
        Classic { rule, rng }
    }
}

impl Scheduler for Classic {
    fn name(&self) -> &'static str {
        match self.rule {
            ClassicRule::BestFit => "best-fit",
            ClassicRule::WorstFit => "worst-fit",
            ClassicRule::Random => "random",
            ClassicRule::Tetris => "tetris",
        }
    }

    fn schedule(&mut self, pod: &Pod, view: &ClusterView<'_>) -> Placement {
        match self.rule {
            ClassicRule::BestFit => pick_max(pod, view, |_, n| Some(-leftover(pod, n))),
            ClassicRule::WorstFit => pick_max(pod, view, |_, n| Some(leftover(pod, n))),
            ClassicRule::Tetris => pick_max(pod, view, |_, n| Some(tetris_alignment(pod, n))),
            ClassicRule::Random => {
                // Reservoir sampling: each feasible node kept with probability 1/k.
                let (rng, mut seen) = (&mut self.rng, 0u32);
                pick_max(pod, view, |_, _| {
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
    use crate::model::{Cluster, ImageSpec, NodeId};

    const GI: u64 = 1 << 30;

    /// Three nodes of 4 CPU / 8 GiB with 3, 1 and 2 CPUs already requested.
    fn cluster() -> Cluster {
        let nodes = [3000, 1000, 2000]
            .iter()
            .map(|&used| {
                let mut n = node(4000, 8 * GI);
                n.requested = Resources { cpu_milli: used, memory_bytes: GI, gpu: 0 };
                n
            })
            .collect();
        let image = ImageSpec { name: "a:1".into(), size_bytes: 1 };
        Cluster::new(nodes, vec![image.clone(), image])
    }

    fn choose(rule: ClassicRule, seed: u64) -> Placement {
        let c = cluster();
        let mut s = Classic::new(rule, crate::engine::stream_rng(seed, 0, crate::engine::StreamId::SCHEDULER));
        s.schedule(&pod(0, 500, GI), &ClusterView::new(&c, crate::time::SimTime::ZERO))
    }

    #[test]
    fn best_fit_packs_and_worst_fit_spreads() {
        assert_eq!(choose(ClassicRule::BestFit, 1), Placement::Bind(NodeId(0)));
        assert_eq!(choose(ClassicRule::WorstFit, 1), Placement::Bind(NodeId(1)));
    }

    #[test]
    fn tetris_prefers_the_most_free_aligned_node() {
        // Demand (0.125 CPU, 0.125 mem); free CPU 0.25/0.75/0.5, mem 0.875 each:
        // alignment is highest where most CPU is free.
        assert_eq!(choose(ClassicRule::Tetris, 1), Placement::Bind(NodeId(1)));
        let c = cluster();
        let p = pod(0, 500, GI);
        let a = tetris_alignment(&p, &c.nodes[1]);
        assert_eq!(a, 0.125 * 0.75 + 0.125 * 0.875);
    }

    #[test]
    fn random_is_uniform_over_feasible_nodes() {
        let mut wins = [0u32; 3];
        let c = cluster();
        let view = ClusterView::new(&c, crate::time::SimTime::ZERO);
        let mut s = Classic::new(ClassicRule::Random, crate::engine::stream_rng(5, 0, crate::engine::StreamId::SCHEDULER));
        for _ in 0..3000 {
            if let Placement::Bind(n) = s.schedule(&pod(0, 500, GI), &view) {
                wins[n.index()] += 1;
            }
        }
        assert!(wins.iter().all(|&w| (900..=1100).contains(&w)), "{wins:?}");
        // A pod that fits only node 1 always lands there.
        assert_eq!(s.schedule(&pod(0, 2500, GI), &view), Placement::Bind(NodeId(1)));
    }
}
