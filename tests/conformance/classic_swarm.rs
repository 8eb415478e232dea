//! Classic Docker Swarm's placement strategies
//! (`scheduler/strategy/binpack_test.go`, `spread_test.go`), run through
//! orchsim's `swarm-binpack` and `swarm-spread` one container (pod) at a time.
//!
//! Upstream's `createNode(id, memory, cpus)` gives memory in GB (with the
//! 5 % overcommit applied to the whole GB count, then truncated) and whole
//! CPUs; here a node has `memory` GiB and `cpus` cores allocatable, and
//! orchsim applies the engine's overcommit (`cluster/engine.go`) to the
//! bytes. A container's `createConfig(memory, cpus)` is a pod requesting
//! `memory` GiB and `cpus` cores.

use orchsim::engine::{stream_rng, StreamId};
use orchsim::model::Resources;
use orchsim::policy::scheduler::swarm::{Swarm, SwarmStrategy};

use crate::harness::{Case, Outcome, Suite};
use crate::world::{expect_eq, node, World};

const BINPACK: &str = "scheduler/strategy/binpack_test.go";
const SPREAD: &str = "scheduler/strategy/spread_test.go";
const GIB: u64 = 1 << 30;

/// Nodes `node-0…` of `memory` GiB and `cpus` cores under `strategy`.
fn world(strategy: SwarmStrategy, nodes: &[(u64, u64)]) -> World<Swarm> {
    let nodes = nodes.iter().enumerate().map(|(i, &(memory, cpus))| node(&format!("node-{i}"), cpus * 1000, memory * GIB, &[])).collect();
    World::new(nodes, Swarm::new(strategy, stream_rng(1, 0, StreamId::SCHEDULER)))
}

/// Places one container of `memory` GiB and `cpus` cores; its node, if any.
fn place(w: &mut World<Swarm>, memory: u64, cpus: u64) -> Option<String> {
    w.submit(0, 1, Resources { cpu_milli: cpus * 1000, memory_bytes: memory * GIB, gpu: 0 });
    w.schedule_pending().pop().and_then(|(_, n)| n)
}

/// Places a container that upstream places; `Err` if orchsim finds no node.
fn placed(w: &mut World<Swarm>, memory: u64, cpus: u64) -> Result<String, String> {
    place(w, memory, cpus).ok_or_else(|| format!("container of {memory} GiB / {cpus} CPUs found no node"))
}

fn containers(w: &World<Swarm>, node: &str) -> usize {
    w.cluster.pods_on(w.id(node)).len()
}

/// `TestPlaceEqualWeight` / `TestSpreadPlaceEqualWeight`: 2 GiB on node-0
/// (one container), 2 GiB on node-1 (two containers); one more 1 GiB
/// container goes to node-1 (binpack: more containers) or node-0 (spread).
fn equal_weight(strategy: SwarmStrategy, want: &str) -> Outcome {
    let mut w = world(strategy, &[(4, 0), (4, 0)]);
    w.run_on(0, 1, Resources { cpu_milli: 0, memory_bytes: 2 * GIB, gpu: 0 }, "node-0");
    w.run_on(0, 2, Resources { cpu_milli: 0, memory_bytes: GIB, gpu: 0 }, "node-1");
    expect_eq("node of the 1 GiB container", placed(&mut w, 1, 0)?, want.to_string())
}

/// `TestPlaceContainerMemory`/`CPU` and their spread twins: two containers
/// on two equal nodes land together (binpack) or apart (spread).
fn two_containers(strategy: SwarmStrategy, nodes: (u64, u64), each: (u64, u64), together: bool) -> Outcome {
    let mut w = world(strategy, &[nodes, nodes]);
    let first = placed(&mut w, each.0, each.1)?;
    let second = placed(&mut w, each.0, each.1)?;
    expect_eq("second container on the first one's node", first == second, together)
}

/// `TestPlaceContainerHuge` / `TestSpreadPlaceContainerHuge`: 100 nodes of
/// 1 GiB / 1 CPU take 100 one-CPU containers and no more, then 100 one-GiB
/// containers and no more.
fn huge(strategy: SwarmStrategy) -> Outcome {
    let mut w = world(strategy, &vec![(1, 1); 100]);
    for (memory, cpus) in [(0, 1), (1, 0)] {
        for _ in 0..100 {
            placed(&mut w, memory, cpus)?;
        }
        expect_eq("the 101st container", place(&mut w, memory, cpus), None)?;
        // The pending one stays; drop it so it is not offered again.
        let last = orchsim::model::PodId(w.cluster.pods.len() as u32 - 1);
        w.cluster.delete(last, orchsim::time::SimTime::ZERO);
    }
    Ok(())
}

/// `TestComplexPlacement` / `TestSpreadComplexPlacement`: 2 GiB and 3 GiB on
/// two 4 GiB nodes go apart; a 1 GiB one joins the 3 GiB (binpack) or the
/// 2 GiB (spread).
fn complex(strategy: SwarmStrategy, joins_bigger: bool) -> Outcome {
    let mut w = world(strategy, &[(4, 4), (4, 4)]);
    let two = placed(&mut w, 2, 0)?;
    let three = placed(&mut w, 3, 0)?;
    if two == three {
        return Err(format!("2 GiB and 3 GiB containers both on {two}"));
    }
    let want = if joins_bigger { three } else { two };
    expect_eq("node of the 1 GiB container", placed(&mut w, 1, 0)?, want)
}

/// `TestSpreadPlaceDifferentNodeSize(CPUs)`: 60 containers on a 64 GB/21 CPU
/// and a 128 GB/42 CPU node; without requests they alternate (30/30), with
/// one CPU each they follow the CPUs (20/40).
fn different_node_size(cpus: u64, want: (usize, usize)) -> Outcome {
    let mut w = world(SwarmStrategy::Spread, &[(64, 21), (128, 42)]);
    for _ in 0..60 {
        placed(&mut w, 0, cpus)?;
    }
    expect_eq("containers per node", (containers(&w, "node-0"), containers(&w, "node-1")), want)
}

pub fn suite() -> Suite {
    use SwarmStrategy::{Binpack, Spread};
    let overcommit = "a container of up to 105 % of a node's memory fits in Swarm; orchsim never binds beyond a node's \
                      allocatable (the cluster is the same whatever the scheduler), so the overcommit changes weights, not fit";
    let cases = vec![
        Case::ported(BINPACK, "TestPlaceEqualWeight", || equal_weight(Binpack, "node-1")),
        Case::ported(BINPACK, "TestPlaceContainerMemory", || two_containers(Binpack, (2, 0), (1, 0), true)),
        Case::ported(BINPACK, "TestPlaceContainerCPU", || two_containers(Binpack, (0, 2), (0, 1), true)),
        Case::ported(BINPACK, "TestPlaceContainerHuge", || huge(Binpack)),
        Case::not_expressible(BINPACK, "TestPlaceContainerOvercommit", overcommit),
        Case::not_expressible(
            BINPACK,
            "TestPlaceContainerDemo",
            "its last step empties a node's container list while the node's reserved memory stays counted (node2.Containers = nil), a state orchsim's cluster cannot hold",
        ),
        Case::ported(BINPACK, "TestComplexPlacement", || complex(Binpack, true)),
        Case::ported(SPREAD, "TestSpreadPlaceDifferentNodeSize", || different_node_size(0, (30, 30))),
        Case::ported(SPREAD, "TestSpreadPlaceDifferentNodeSizeCPUs", || different_node_size(1, (20, 40))),
        Case::ported(SPREAD, "TestSpreadPlaceEqualWeight", || equal_weight(Spread, "node-0")),
        Case::ported(SPREAD, "TestSpreadPlaceContainerMemory", || two_containers(Spread, (2, 0), (1, 0), false)),
        Case::ported(SPREAD, "TestSpreadPlaceContainerCPU", || two_containers(Spread, (0, 2), (0, 1), false)),
        Case::ported(SPREAD, "TestSpreadPlaceContainerHuge", || huge(Spread)),
        Case::not_expressible(SPREAD, "TestSpreadPlaceContainerOvercommit", overcommit),
        Case::ported(SPREAD, "TestSpreadComplexPlacement", || complex(Spread, false)),
    ];
    Suite { system: "Docker Swarm (classic)", component: "placement strategies", upstream: "docker/classicswarm @3cc018dc (v1.2.9+)", cases }
}
