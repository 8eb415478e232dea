//! Cluster Autoscaler's scale-up arithmetic: the binpacking estimate of how
//! many nodes of a pool the pending pods need, and the expanders that choose
//! among pools (semantics.md §3; `estimator/binpacking_estimator.go`,
//! `expander/*`).

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::engine::SimRng;
use crate::model::Resources;

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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
