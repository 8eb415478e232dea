//! Cluster Autoscaler's scale-down: which nodes become unneeded (eligibility,
//! the removal simulation, the planner's limit) and when unneeded nodes go.
//! Every case runs whole scans of `ClusterAutoscaler` (upstream's tests call
//! the planner's parts one by one) and reads the nodes it found unneeded, the
//! nodes it left out after a failed simulation, and the removals it asked for.

use orchsim::model::NodeId;
use orchsim::policy::autoscaler::cluster_autoscaler::{CaParams, UnneededNode};
use orchsim::time::{SimDuration, SimTime};

use crate::ca_world::{ca, expect, node, not_expressible, removed, unneeded, Pool, World};
use crate::harness::{Case, Outcome, Suite};

const MINUTE: u64 = 60;

fn pool(cpu_milli: u64, memory_bytes: u64, min: u32, group: u32) -> Pool {
    Pool { template: node(cpu_milli, memory_bytes, 110, group), min, max: 1000 }
}

/// `unneeded/nodes_test.go` `TestUpdate`: two updates a minute apart; a node
/// unneeded in both keeps its first time, a new one gets the second, a node
/// no longer unneeded is forgotten; its threshold follows its readiness at
/// the last update. Upstream's nodes (`BuildTestNode`) are not ready unless
/// set so. A node is made unneeded by emptying it and kept needed by a pod
/// filling it (`version` annotations are not modelled and not checked).
fn update() -> Vec<Case> {
    const SOURCE: &str = "core/scaledown/unneeded/nodes_test.go: TestUpdate";
    // (desc, initial nodes, final nodes, ready in the final update, want (node, since initial?))
    type Row = (&'static str, &'static [usize], &'static [usize], &'static [usize], &'static [(usize, bool)]);
    let rows: [Row; 6] = [
        ("added then deleted", &[0, 1, 2], &[], &[], &[]),
        ("added in last call", &[], &[0, 1, 2], &[], &[(0, false), (1, false), (2, false)]),
        ("single one remaining", &[0, 1, 2], &[1], &[], &[(1, true)]),
        ("single one older", &[1], &[0, 1, 2], &[], &[(0, false), (1, true), (2, false)]),
        ("threshold updated on existing node (Ready -> Unready)", &[1], &[1], &[], &[(1, true)]),
        ("mixed update and preservation", &[0], &[0, 1], &[0], &[(0, true), (1, false)]),
    ];
    rows.into_iter()
        .map(|(desc, initial, last, ready, want)| {
            Case::ported(SOURCE, desc, move || {
                let (t0, t1) = (100, 100 + MINUTE);
                let mut w = World::new(vec![pool(1000, 1 << 30, 0, 0)]);
                let nodes: Vec<NodeId> = (0..3).map(|_| w.node(0)).collect();
                // A node not unneeded carries a pod filling it.
                let fill: Vec<_> = nodes.iter().map(|&n| (!initial.contains(&n.index())).then(|| w.run(1000, 1 << 20, n))).collect();
                // "Ready -> Unready": ready at the first update.
                let ready_first = desc.starts_with("threshold") || desc.starts_with("mixed");
                for n in &nodes {
                    w.cluster.nodes[n.index()].ready = ready_first;
                }
                let mut a = ca(CaParams::default());
                w.scan(&mut a, t0);
                for (i, &n) in nodes.iter().enumerate() {
                    match fill[i] {
                        Some(p) if last.contains(&i) => w.finish(p, t0),
                        None if !last.contains(&i) => {
                            w.run(1000, 1 << 20, n);
                        }
                        _ => {}
                    }
                    w.cluster.nodes[n.index()].ready = ready.contains(&i);
                }
                w.scan(&mut a, t1);
                let got: Vec<(NodeId, UnneededNode)> = a.unneeded().iter().map(|(&n, &u)| (n, u)).collect();
                let want: Vec<(NodeId, UnneededNode)> = want
                    .iter()
                    .map(|&(i, old)| {
                        let since = SimTime::from_secs(if old { t0 } else { t1 });
                        (nodes[i], UnneededNode { since, empty: true, ready: ready.contains(&i) })
                    })
                    .collect();
                expect("unneeded nodes (since, threshold by readiness)", got, want)
            })
        })
        .collect()
}

/// `unneeded/nodes_test.go` `TestRemovableAt_UnremovableReasons`: a node
/// unneeded for 10 minutes is not removed when its threshold is longer, nor
/// when its pool is at its minimum.
fn unremovable_reasons() -> Vec<Case> {
    const SOURCE: &str = "core/scaledown/unneeded/nodes_test.go: TestRemovableAt_UnremovableReasons";
    // (name, ready, unneeded time, unready time, pool min)
    let rows: [(&str, bool, u64, u64, u32); 3] = [
        ("NotUnneededLongEnough", true, 15, 5, 0),
        ("NotUnreadyLongEnough", false, 5, 15, 0),
        ("NodeGroupMinSizeReached", true, 5, 5, 1),
    ];
    let mut cases: Vec<Case> = rows
        .into_iter()
        .map(|(name, ready, unneeded_min, unready_min, min)| {
            Case::ported(SOURCE, name, move || {
                let mut w = World::new(vec![pool(1000, 1 << 30, min, 0)]);
                let n = w.node(0);
                w.cluster.nodes[n.index()].ready = ready;
                let params = CaParams {
                    unneeded_time: SimDuration::from_secs(unneeded_min * MINUTE),
                    unready_time: SimDuration::from_secs(unready_min * MINUTE),
                    ..CaParams::default()
                };
                let mut a = ca(params);
                w.scan(&mut a, 100);
                // sinceOffset -10 minutes.
                let actions = w.scan(&mut a, 100 + 10 * MINUTE);
                expect("nodes removed", removed(&actions), vec![])
            })
        })
        .collect();
    for (name, why) in [
        ("ThresholdRetrievalFails", "node groups' per-group options cannot fail to be read: they are the scenario's"),
        ("ScaleDownDisabledAnnotation", "node annotations (`cluster-autoscaler.kubernetes.io/scale-down-disabled`) are not modelled"),
        ("NotAutoscaled", "every node belongs to a pool the autoscaler manages"),
        ("MinimalResourceLimitExceeded", "cluster-wide resource limits and quotas are not modelled"),
    ] {
        cases.push(Case::not_expressible(SOURCE, name, why));
    }
    const DELETING: &str = "orchsim removes a node at once: there are no deletions in progress \
                            (`numOngoingDeletions`) to count against a pool's minimum";
    cases.extend(not_expressible(
        "core/scaledown/unneeded/nodes_test.go: TestRemovableAt",
        &[
            "Node group min size is not reached",
            "Node group min size is reached for drain nodes",
            "Node group min size is reached for empty and drain nodes",
        ],
        DELETING,
    ));
    cases
}

/// `eligibility/eligibility_test.go` `TestFilterOutUnremovable`: which nodes
/// pass the eligibility checks. The node checked is in pool `ng1` above its
/// minimum; a second pool at its minimum holds an empty node the pods may
/// move to (upstream checks eligibility alone, before any simulation).
fn eligibility() -> Vec<Case> {
    const SOURCE: &str = "core/scaledown/eligibility/eligibility_test.go: TestFilterOutUnremovable";
    #[derive(Clone, Copy)]
    enum Node {
        Regular,
        Unready,
        BrokenUtil,
    }
    // (desc, node, pod CPU on it, want unneeded)
    let rows: [(&str, Node, Option<u64>, bool); 5] = [
        ("regular node stays", Node::Regular, None, true),
        ("highly utilized node is filtered out", Node::Regular, Some(600), false),
        ("underutilized node stays", Node::Regular, Some(100), true),
        ("node is filtered out if utilization can't be calculated", Node::BrokenUtil, Some(100), false),
        ("unready node stays", Node::Unready, None, true),
    ];
    let mut cases = Vec::new();
    // The suite runs its base cases twice, the second time with
    // IgnoreDaemonSetsUtilization; without DaemonSet pods on the node the
    // option changes nothing, so the rows hold as they are.
    for suite in ["[base]", "[ignore-daemonsets=true]"] {
        for (desc, kind, pod, want) in rows {
            cases.push(Case::ported(SOURCE, format!("{desc} {suite}"), move || {
                let (cpu, mem) = if matches!(kind, Node::BrokenUtil) { (0, 0) } else { (1000, 10) };
                let mut w = World::new(vec![pool(cpu, mem, 0, 0), pool(1000, 10, 1, 1)]);
                let n = w.node(0);
                w.node(1);
                w.cluster.nodes[n.index()].ready = !matches!(kind, Node::Unready);
                if let Some(cpu) = pod {
                    w.run(cpu, 0, n);
                }
                let mut a = ca(CaParams::default());
                w.scan(&mut a, 10);
                expect("unneeded", unneeded(&a).contains(&n), want)?;
                expect("left out after a failed simulation", a.unremovable_until(n), None)
            }));
        }
        for (desc, why) in [
            (
                "recently deleted node is filtered out",
                "the ToBeDeletedByClusterAutoscaler taint is not modelled: orchsim removes a node at once (a cordoned node is left out)",
            ),
            ("marked no scale down is filtered out", "node annotations (`scale-down-disabled`) are not modelled"),
            (
                "unready node is filtered oud when scale-down of unready is disabled",
                "`--scale-down-unready-enabled` is not a parameter: unready nodes are always candidates (its default)",
            ),
            ("Node is not filtered out because of DRA issues if DRA is disabled", "dynamic resource allocation (ResourceSlices) is not modelled"),
            ("Node is filtered out because of DRA issues if DRA is enabled", "dynamic resource allocation (ResourceSlices) is not modelled"),
        ] {
            cases.push(Case::not_expressible(SOURCE, format!("{desc} {suite}"), why));
        }
    }
    for desc in [
        "high utilization daemonsets node stays",
        "high utilization daemonsets node is filtered out, when IgnoreDaemonSets is disabled",
        "only daemonsets pods on this node (threshold=0)",
    ] {
        cases.push(Case::not_expressible(
            SOURCE,
            format!("{desc} [ignore-daemonsets=true]"),
            "DaemonSets are not modelled (nor `--ignore-daemonsets-utilization`)",
        ));
    }
    cases
}

/// `simulator/cluster_test.go` `TestSimulateNodeRemoval`: whether the node's
/// pods find a place on the other nodes. The node simulated is in a pool
/// above its minimum; the other nodes are in a pool at its minimum, so they
/// only take pods (upstream simulates the one node).
fn simulate_node_removal() -> Vec<Case> {
    const SOURCE: &str = "simulator/cluster_test.go: TestSimulateNodeRemoval";
    const MEM: u64 = 2_000_000;
    // Pods of each node kind: emptyNode n1, drainableNode n2 (two small
    // ReplicaSet pods), nonDrainableNode n3 (one small pod), fullNode n4 (one
    // 1000m pod).
    fn pods(kind: usize) -> &'static [u64] {
        match kind {
            2 => &[100, 100],
            3 => &[100],
            4 => &[1000],
            _ => &[],
        }
    }
    // (name, node simulated, other nodes, want removable)
    let rows: [(&str, usize, &[usize], bool); 5] = [
        ("just an empty node, should be removed", 1, &[], true),
        ("just a drainable node, but nowhere for pods to go to", 2, &[], false),
        ("drainable node, and a mostly empty node that can take its pods", 2, &[3], true),
        ("drainable node, and a full node that cannot fit anymore pods", 2, &[4], false),
        ("4 nodes, 1 empty, 1 drainable", 1, &[2, 4, 3], true),
    ];
    let mut cases: Vec<Case> = rows
        .into_iter()
        .map(|(name, simulated, others, want)| {
            Case::ported(SOURCE, name, move || -> Outcome {
                let mut w = World::new(vec![pool(1000, MEM, 0, 0), pool(1000, MEM, others.len() as u32, 1)]);
                let n = w.node(0);
                for &cpu in pods(simulated) {
                    w.run(cpu, 100_000, n);
                }
                for &kind in others {
                    let other = w.node(1);
                    for &cpu in pods(kind) {
                        w.run(cpu, 100_000, other);
                    }
                }
                let mut a = ca(CaParams::default());
                w.scan(&mut a, 10);
                expect("removable", unneeded(&a) == [n], want)?;
                expect("left out until the recheck", a.unremovable_until(n).is_some(), !want)
            })
        })
        .collect();
    for (name, why) in [
        (
            "topology spread constraint test - node unremovable due to phantom zone",
            "`minDomains` of topology spread constraints is not modelled",
        ),
        (
            "topology spread constraint test - node removable with nodeTaintsPolicy Honor",
            "`minDomains` and `nodeTaintsPolicy` are not modelled",
        ),
        ("candidate not in clusterSnapshot should be marked unremovable", "orchsim only simulates nodes of the cluster"),
    ] {
        cases.push(Case::not_expressible(SOURCE, name, why));
    }
    cases
}

/// `planner/planner_test.go` `TestUpdateClusterState`: the planner's
/// unneeded nodes. Upstream injects which nodes are eligible; orchsim's
/// eligibility is the utilization threshold, so only the rows whose eligible
/// nodes are exactly those at or below it (threshold 1 here) are ported.
fn update_cluster_state() -> Vec<Case> {
    const SOURCE: &str = "core/scaledown/planner/planner_test.go: TestUpdateClusterState";
    // (name, node CPUs, pods (CPU, node), want unneeded)
    type Row = (&'static str, &'static [u64], &'static [(u64, usize)], &'static [usize]);
    let rows: [Row; 2] = [
        ("empty nodes, all eligible", &[1000, 1000, 1000], &[], &[0, 1, 2]),
        ("single utilised node, not eligible", &[1000], &[(500, 0)], &[]),
    ];
    let mut cases: Vec<Case> = rows
        .into_iter()
        .map(|(name, cpus, placed, want)| {
            Case::ported(SOURCE, name, move || {
                let mut w = World::new(vec![pool(1000, 10, 0, 0)]);
                let nodes: Vec<NodeId> = cpus.iter().map(|_| w.node(0)).collect();
                for &(cpu, on) in placed {
                    w.run(cpu, 1, nodes[on]);
                }
                let mut a = ca(CaParams { utilization_threshold: 1.0, ..CaParams::default() });
                w.scan(&mut a, 10);
                let want: Vec<NodeId> = want.iter().map(|&i| nodes[i]).collect();
                expect("unneeded", unneeded(&a), want.clone())?;
                let failed: Vec<NodeId> = nodes.iter().copied().filter(|&n| a.unremovable_until(n).is_some()).collect();
                let want_failed: Vec<NodeId> = nodes.iter().copied().filter(|n| !want.contains(n)).collect();
                expect("unremovable", failed, want_failed)
            })
        })
        .collect();
    const INJECTED: &str = "the test injects which nodes are eligible; an empty node it marks ineligible passes \
                            orchsim's eligibility (utilization at or below the threshold) and would be simulated";
    cases.extend(not_expressible(
        SOURCE,
        &[
            "empty nodes, some eligible",
            "empty nodes, none eligible",
            "pods can schedule on non-eligible node, eligible",
            "pods cannot schedule anywhere, not eligible",
            "all pods from multiple nodes can schedule elsewhere, all eligible",
            "some pods from multiple nodes can schedule elsewhere, some eligible",
            "no pods from multiple nodes can schedule elsewhere, no eligible",
        ],
        INJECTED,
    ));
    cases.push(Case::not_expressible(
        SOURCE,
        "pods can schedule on eligible node, eligible",
        "the test hands the planner its candidates in its own order; orchsim's scan orders them as upstream's \
         ScaleDownCandidatesSortingProcessor does (empty nodes first), so the empty n2 would be simulated first",
    ));
    cases.push(Case::not_expressible(
        SOURCE,
        "pods cannot schedule on node undergoing deletion, not eligible",
        "orchsim removes a node at once: there are no deletions in progress",
    ));
    const EVICTED: &str = "orchsim's planner does not re-inject recently evicted pods: a removal is instant and its \
                           pods are pending at once, rescheduled by the scheduler (no ActuationStatus.RecentEvictions)";
    cases.extend(not_expressible(
        SOURCE,
        &[
            "recently evicted RS pod, not eligible",
            "recently evicted pod without owner, not eligible",
            "recently evicted static pod, eligible",
            "recently evicted mirror pod, eligible",
            "recently evicted DS pod, eligible",
            "recently evicted pod can schedule on non-eligible node, eligible",
            "recently evicted pod can schedule on eligible node, eligible",
            "recently evicted pod too large to schedule anywhere, all eligible",
            "all recently evicted pod got rescheduled, all eligible",
            "some recently evicted pod got rescheduled, some eligible",
            "no recently evicted pod got rescheduled, no eligible",
            "all scheduled and recently evicted pods can schedule elsewhere, all eligible",
            "some scheduled and recently evicted pods can schedule elsewhere, some eligible",
            "scheduled and recently evicted pods take all capacity, no eligible",
        ],
        EVICTED,
    ));
    cases.push(Case::not_expressible(
        SOURCE,
        "Simulation timeout is hit",
        "`--scale-down-simulation-timeout` is wall-clock time; a simulated scan takes none",
    ));
    cases
}

/// `planner/planner_test.go` `TestUpdateClusterStatUnneededNodesLimit`: how
/// many unneeded nodes a scan looks for. 100 empty nodes; the previously
/// unneeded ones are found by earlier scans `updateInterval` apart (the
/// shortest interval between scans is the planner's `minUpdateInterval`),
/// the other nodes kept full meanwhile.
fn unneeded_nodes_limit() -> Vec<Case> {
    const SOURCE: &str = "core/scaledown/planner/planner_test.go: TestUpdateClusterStatUnneededNodesLimit";
    // (name, previously unneeded, unneeded time (s), update interval (s), want)
    let rows: [(&str, usize, u64, u64, usize); 6] = [
        ("no unneeded, default settings", 0, 60, 10, 20),
        ("some unneeded, default settings", 3, 60, 10, 23),
        ("max unneeded, default settings", 70, 60, 10, 70),
        ("instant kill nodes", 0, 0, 10, 20),
        ("quick loops", 13, 60, 1, 33),
        ("slow loops", 13, 60, 30, 30),
    ];
    let mut cases: Vec<Case> = rows
        .into_iter()
        .map(|(name, previous, unneeded_s, interval, want)| {
            Case::ported(SOURCE, name, move || {
                let mut w = World::new(vec![pool(1000, 10, 0, 0)]);
                let nodes: Vec<NodeId> = (0..100).map(|_| w.node(0)).collect();
                let fill: Vec<_> = nodes[previous..].iter().map(|&n| w.run(1000, 1, n)).collect();
                let params = CaParams {
                    unneeded_time: SimDuration::from_secs(unneeded_s),
                    max_scale_down_parallelism: 10,
                    ..CaParams::default()
                };
                let mut a = ca(params);
                let mut now = 0;
                loop {
                    now += interval;
                    w.scan(&mut a, now);
                    if a.unneeded().len() == previous {
                        break;
                    }
                    if now > 100 * interval {
                        return Err(format!("scans never found the {previous} previously unneeded nodes"));
                    }
                }
                for p in fill {
                    w.finish(p, now);
                }
                w.scan(&mut a, now + interval);
                expect("unneeded nodes", a.unneeded().len(), want)
            })
        })
        .collect();
    cases.push(Case::not_expressible(
        SOURCE,
        "too many unneeded, default settings",
        "77 previously unneeded nodes: orchsim's unneeded nodes come only from scans, which the limit itself keeps \
         at 70 with these settings",
    ));
    cases.extend(not_expressible(
        SOURCE,
        &[
            "atomic sclale down - default settings",
            "atomic sclale down - quick loops",
            "atomic sclale down - slow loops",
            "atomic sclale down - too many unneeded",
            "atomic sclale down - no uneeded",
            "atomic sclale down - short uneeded time and short update interval",
        ],
        "atomic (ZeroOrMaxNodeScaling) node groups are not modelled",
    ));
    cases
}

pub fn suite() -> Suite {
    let cases = [update(), unremovable_reasons(), eligibility(), simulate_node_removal(), update_cluster_state(), unneeded_nodes_limit()]
        .into_iter()
        .flatten()
        .collect();
    Suite {
        system: "Cluster Autoscaler",
        component: "scale-down planner",
        upstream: "kubernetes/autoscaler cluster-autoscaler-1.36.1 @35e8a28",
        cases,
    }
}
