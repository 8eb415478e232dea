//! SwarmKit's scheduler (`manager/scheduler/scheduler_test.go`,
//! `nodeinfo_test.go`): task groups of a service, placement preferences,
//! resource reservations and `MaxReplicas`, run through orchsim's `swarmkit`
//! policy one pending pod at a time.
//!
//! Upstream's tests hold whatever order Go's maps give; each check here runs
//! under many seeds of the policy's tie-break stream for the same reason.
//! Nodes without declared resources upstream get ample ones here, and tasks
//! without reservations request nothing.

use orchsim::engine::{stream_rng, StreamId};
use orchsim::model::Resources;
use orchsim::policy::scheduler::swarmkit::{PlacementPreference, Swarmkit, SwarmkitParams};

use crate::harness::{Case, Outcome, Suite};
use crate::world::{expect_eq, node, World, GB};

const TEST: &str = "manager/scheduler/scheduler_test.go";
const SEEDS: u64 = 24;

fn swarmkit(params: &SwarmkitParams, seed: u64) -> Swarmkit {
    Swarmkit::new(params, stream_rng(seed, 0, StreamId::SCHEDULER))
}

fn spread(keys: &[&str]) -> SwarmkitParams {
    SwarmkitParams {
        placement_preferences: keys.iter().map(|k| PlacementPreference { spread: format!("node.labels.{k}") }).collect(),
        max_replicas: 0,
    }
}

fn memory(bytes: u64) -> Resources {
    Resources { cpu_milli: 0, memory_bytes: bytes, gpu: 0 }
}

/// Runs `check` under every seed; the first failure names its seed.
fn every_seed(check: impl Fn(u64) -> Outcome) -> Outcome {
    (0..SEEDS).try_for_each(|seed| check(seed).map_err(|e| format!("seed {seed}: {e}")))
}

/// `testHA`: five plain nodes; 18 tasks of service 1, then 2 of service 2,
/// 3 more of service 1, one more of service 2, then every task on id1 removed
/// and 4 + 2 new ones.
fn test_ha(seed: u64) -> Outcome {
    let names = ["id1", "id2", "id3", "id4", "id5"];
    let nodes = names.iter().map(|n| node(n, 1_000_000, 1_000 * GB, &[])).collect();
    let mut w = World::new(nodes, swarmkit(&SwarmkitParams::default(), seed));
    let (t1, t2) = (1, 2);
    w.submit(t1, 18, Resources::ZERO);
    w.schedule_pending();
    let mut counts: Vec<usize> = names.iter().map(|n| w.tasks_on(t1, n)).collect();
    counts.sort();
    expect_eq("service 1 tasks per node after 18", counts, vec![3, 3, 4, 4, 4])?;
    w.submit(t2, 2, Resources::ZERO);
    for (_, n) in w.schedule_pending() {
        let n = n.ok_or("service 2 task unschedulable")?;
        expect_eq(&format!("service 1 tasks on {n}, which got a service 2 task"), w.tasks_on(t1, &n), 3)?;
    }
    w.submit(t1, 3, Resources::ZERO);
    let placed = w.schedule_pending();
    let on_t2 = placed.iter().filter(|(_, n)| n.as_deref().is_some_and(|n| w.tasks_on(t2, n) > 0)).count();
    expect_eq("new service 1 tasks on the nodes with service 2", on_t2, 2)?;
    let mut counts: Vec<usize> = names.iter().map(|n| w.tasks_on(t1, n)).collect();
    counts.sort();
    expect_eq("service 1 tasks per node after 21", counts, vec![4, 4, 4, 4, 5])?;
    w.submit(t2, 1, Resources::ZERO);
    let n = w.schedule_pending()[0].1.clone().ok_or("service 2 task unschedulable")?;
    expect_eq("service 2 tasks already on its node", w.tasks_on(t2, &n), 1)?;
    if w.tasks_on(t1, &n) == 5 {
        return Err(format!("service 2 task on {n}, the node with 5 service 1 tasks"));
    }
    let id1 = w.id("id1");
    for p in w.cluster.pods_on(id1).to_vec() {
        w.cluster.delete(p, orchsim::time::SimTime::ZERO);
    }
    w.submit(t1, 4, Resources::ZERO);
    w.submit(t2, 2, Resources::ZERO);
    w.schedule_pending();
    expect_eq("service 1 tasks on id1", w.tasks_on(t1, "id1"), 4)?;
    expect_eq("service 2 tasks on id1", w.tasks_on(t2, "id1"), 1)
}

/// `testPreferences`: az1 = {id1}, az2 = {id2..id5}; 8 tasks spread over az.
fn test_preferences(seed: u64) -> Outcome {
    let mut nodes = vec![node("id1", 1_000_000, 1_000 * GB, &[("az", "az1")])];
    nodes.extend(["id2", "id3", "id4", "id5"].iter().map(|n| node(n, 1_000_000, 1_000 * GB, &[("az", "az2")])));
    let mut w = World::new(nodes, swarmkit(&spread(&["az"]), seed));
    w.submit(1, 8, Resources::ZERO);
    w.schedule_pending();
    let got: Vec<usize> = ["id1", "id2", "id3", "id4", "id5"].iter().map(|n| w.tasks_on(1, n)).collect();
    expect_eq("tasks per node", got, vec![4, 1, 1, 1, 1])
}

/// `testMultiplePreferences`: spread over az then rack; id0 lacks the memory,
/// id1 takes 5 tasks of 2e8 bytes (upstream's `apple` generic resource
/// allows id1 the same 5 and never binds on the others, so memory alone
/// expresses the case).
fn test_multiple_preferences(seed: u64) -> Outcome {
    let mut nodes = vec![
        node("id0", 1000, GB / 10, &[("az", "az1"), ("rack", "rack1")]),
        node("id1", 1000, GB, &[("az", "az1"), ("rack", "rack1")]),
    ];
    for (n, rack) in [("id2", "rack1"), ("id3", "rack1"), ("id4", "rack1"), ("id5", "rack2"), ("id6", "rack2")] {
        nodes.push(node(n, 1000, GB, &[("az", "az2"), ("rack", rack)]));
    }
    let mut w = World::new(nodes, swarmkit(&spread(&["az", "rack"]), seed));
    w.submit(1, 12, memory(2 * GB / 10));
    let placed = w.schedule_pending();
    expect_eq("unschedulable tasks", placed.iter().filter(|(_, n)| n.is_none()).count(), 0)?;
    let on = |n: &str| w.tasks_on(1, n);
    expect_eq("tasks on id0", on("id0"), 0)?;
    expect_eq("tasks on id1", on("id1"), 5)?;
    let rack1 = [on("id2"), on("id3"), on("id4")];
    let rack2 = [on("id5"), on("id6")];
    let (mut r1, mut r2) = (rack1.to_vec(), rack2.to_vec());
    r1.sort();
    r2.sort();
    match (r1.iter().sum::<usize>(), r2.iter().sum::<usize>()) {
        (4, 3) => expect_eq("az2 layout (rack1 4, rack2 3)", (r1, r2), (vec![1, 1, 2], vec![1, 2])),
        (3, 4) => expect_eq("az2 layout (rack1 3, rack2 4)", (r1, r2), (vec![1, 1, 1], vec![2, 2])),
        other => Err(format!("unexpected rack totals {other:?}: rack1 {rack1:?}, rack2 {rack2:?}")),
    }
}

/// `TestMultiplePreferencesScaleUp`: running 3/1/3 on id11 (dc1 r1), id12
/// (dc1 r2), id21 (dc2 r1); 2 new tasks balance either the racks of dc1
/// (id12) or the datacenters (id21).
fn test_multiple_preferences_scale_up(seed: u64) -> Outcome {
    let nodes = vec![
        node("id11", 1_000_000, 1_000 * GB, &[("az", "dc1"), ("rack", "r1")]),
        node("id12", 1_000_000, 1_000 * GB, &[("az", "dc1"), ("rack", "r2")]),
        node("id21", 1_000_000, 1_000 * GB, &[("az", "dc2"), ("rack", "r1")]),
    ];
    let mut w = World::new(nodes, swarmkit(&spread(&["az", "rack"]), seed));
    for (n, tasks) in [("id11", 3), ("id12", 1), ("id21", 3)] {
        w.run_on(1, tasks, Resources::ZERO, n);
    }
    w.submit(1, 2, Resources::ZERO);
    let placed = w.schedule_pending();
    let to = |n: &str| placed.iter().filter(|(_, p)| p.as_deref() == Some(n)).count();
    expect_eq("new tasks on id12 + id21", to("id12") + to("id21"), 2)
}

/// `TestSchedulerNoReadyNodes`: no node, no placement; a node joins, the task
/// goes there.
fn test_no_ready_nodes(seed: u64) -> Outcome {
    let mut w = World::new(Vec::new(), swarmkit(&SwarmkitParams::default(), seed));
    w.submit(1, 1, Resources::ZERO);
    expect_eq("placement without nodes", w.schedule_pending()[0].1.clone(), None)?;
    w.add_node(node("newnode", 1000, GB, &[]));
    expect_eq("placement once a node joins", w.schedule_pending()[0].1.clone(), Some("newnode".into()))
}

/// `TestSchedulerResourceConstraint`: a task reserving 2e9 bytes fits neither
/// the 1e9-byte node nor the two non-ready ones; a big node joins and takes it.
fn test_resource_constraint(seed: u64) -> Outcome {
    let mut nonready1 = node("nonready1", 2000, 2 * GB, &[]);
    nonready1.ready = false;
    let mut nonready2 = node("nonready2", 2000, 2 * GB, &[]);
    nonready2.ready = false;
    let nodes = vec![node("underprovisioned", 1000, GB, &[]), nonready1, nonready2];
    let mut w = World::new(nodes, swarmkit(&SwarmkitParams::default(), seed));
    w.submit(1, 1, memory(2 * GB));
    expect_eq("placement before bignode", w.schedule_pending()[0].1.clone(), None)?;
    w.add_node(node("bignode", 4000, 8 * GB, &[]));
    expect_eq("placement once bignode joins", w.schedule_pending()[0].1.clone(), Some("bignode".into()))
}

/// `TestSchedulerResourceConstraintHA`: id1 (1e9 bytes) runs one 5e8 task,
/// id2 (1e11) three; of the two new tasks id1 can take only one, so they
/// land one per node.
fn test_resource_constraint_ha(seed: u64) -> Outcome {
    let nodes = vec![node("id1", 1000, GB, &[]), node("id2", 1000, 100 * GB, &[])];
    let mut w = World::new(nodes, swarmkit(&SwarmkitParams::default(), seed));
    w.run_on(1, 1, memory(GB / 2), "id1");
    w.run_on(1, 3, memory(GB / 2), "id2");
    w.submit(1, 2, memory(GB / 2));
    let mut got: Vec<Option<String>> = w.schedule_pending().into_iter().map(|(_, n)| n).collect();
    got.sort();
    expect_eq("new tasks' nodes", got, vec![Some("id1".into()), Some("id2".into())])
}

/// `TestSchedulerMaxReplicas`, first half: `MaxReplicas` 1 on two nodes; two
/// tasks land on different nodes and a third finds no node.
fn test_max_replicas(seed: u64) -> Outcome {
    let nodes = vec![node("nodeid1", 1000, GB, &[]), node("nodeid2", 1000, GB, &[])];
    let mut w = World::new(nodes, swarmkit(&SwarmkitParams { max_replicas: 1, ..Default::default() }, seed));
    w.submit(1, 2, Resources::ZERO);
    let mut got: Vec<Option<String>> = w.schedule_pending().into_iter().map(|(_, n)| n).collect();
    got.sort();
    expect_eq("two tasks", got, vec![Some("nodeid1".into()), Some("nodeid2".into())])?;
    w.submit(1, 1, Resources::ZERO);
    expect_eq("third task", w.schedule_pending()[0].1.clone(), None)
}

pub fn suite() -> Suite {
    let ported = |name: &'static str, check: fn(u64) -> Outcome| Case::ported(TEST, name, move || every_seed(check));
    let cases = vec![
        ported("TestHA", test_ha),
        ported("TestPreferences", test_preferences),
        ported("TestMultiplePreferences", test_multiple_preferences),
        ported("TestMultiplePreferencesScaleUp", test_multiple_preferences_scale_up),
        ported("TestSchedulerNoReadyNodes", test_no_ready_nodes),
        ported("TestSchedulerResourceConstraint", test_resource_constraint),
        ported("TestSchedulerResourceConstraintHA", test_resource_constraint_ha),
        ported("TestSchedulerMaxReplicas (MaxReplicas 1 on two nodes)", test_max_replicas),
        Case::not_expressible(
            TEST,
            "TestSchedulerMaxReplicas (MaxReplicas 3 with node.hostname==node1)",
            "max_replicas is one parameter of the swarmkit scheduler, not per service, so one run cannot hold MaxReplicas 1 and 3 tasks",
        ),
        Case::not_expressible(
            TEST,
            "TestScheduler",
            "drives the store's task lifecycle (tasks deleted, nodes updated to DOWN and drained, tasks pre-assigned by node ID) which orchsim's scheduler view does not model",
        ),
        Case::not_expressible(
            TEST,
            "TestSchedulerFaultyNode",
            "task failures are not recorded for swarmkit: the simulator never reports a failed task to the scheduler, so no node is demoted",
        ),
        Case::not_expressible(
            TEST,
            "TestSchedulerFaultyNodeSpecVersion",
            "task failures are not recorded for swarmkit (as TestSchedulerFaultyNode), and services have no spec versions",
        ),
        Case::not_expressible(
            TEST,
            "TestSchedulerResourceConstraintDeadTask",
            "needs tasks that stay bound after death (desired state shutdown, resources released by state) - orchsim releases a pod's requests when it ends",
        ),
        Case::not_expressible(TEST, "TestSchedulerPreexistingDeadTask", "needs dead tasks pre-assigned to a node in the store; orchsim has no pre-assigned pending pods"),
        Case::not_expressible(TEST, "TestSchedulerCompatiblePlatform", "platform (OS/architecture) filter: nodes have no platform"),
        Case::not_expressible(TEST, "TestSchedulerUnassignedMap", "tests the scheduler's internal unassigned-task map across store events, not placement"),
        Case::not_expressible(TEST, "TestPreassignedTasks", "tasks pre-assigned to a node (NodeID set before scheduling) are not modelled"),
        Case::not_expressible(TEST, "TestIgnoreTasks", "tasks in states past pending that the scheduler must ignore are not modelled"),
        Case::not_expressible(TEST, "TestUnscheduleableTask", "the unschedulable task's status message and re-scheduling on node updates are not modelled"),
        Case::not_expressible(TEST, "TestSchedulerPluginConstraint", "volume and network plugins on nodes are not modelled"),
        Case::not_expressible(TEST, "TestSchedulerHostPort", "host-mode published ports are not modelled"),
        Case::not_expressible(
            "manager/scheduler/nodeinfo_test.go",
            "TestAddTask",
            "asserts generic resources (named sets and discrete counts) taken by a task; orchsim has CPU, memory and GPUs only",
        ),
        Case::not_expressible(
            "manager/scheduler/nodeinfo_test.go",
            "TestRemoveTask",
            "asserts generic resources (named sets and discrete counts) given back by a task; orchsim has CPU, memory and GPUs only",
        ),
    ];
    Suite { system: "Docker Swarm mode", component: "SwarmKit scheduler", upstream: "moby/swarmkit @3e72cb64 (v2.1.2+)", cases }
}
