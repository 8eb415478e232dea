//! kube-scheduler's NodeResourcesBalancedAllocation score, run through
//! `balanced_allocation_score` (what the scheduler adds per node) on nodes
//! whose requests come from bound pods.
//!
//! Upstream's pod specs, with their containers summed: `cpuAndMemory` is
//! 3000m / 5000 bytes, `cpuOnly` 3000m and memory set to 0 in each container.
//!
//! The formula is the one before kubernetes/kubernetes#135573 (merged
//! December 2025 for v1.36), which scores the *change* of balance the pod
//! brings; that version's code and test table were not available to port.

use orchsim::policy::scheduler::kubernetes::balanced_allocation_score;

use crate::harness::{Case, Suite};
use crate::kube_fixtures::{cluster_of, empty_pod, expect, pod, Existing};

const SOURCE: &str = "pkg/scheduler/framework/plugins/noderesources/balanced_allocation_test.go: TestNodeResourcesBalancedAllocation";
const SIGN: &str = "pkg/scheduler/framework/plugins/noderesources/balanced_allocation_test.go: TestBalancedAllocationSignPod";

const CPU_AND_MEMORY: (u64, u64, u64) = (3000, 5000, 0);
const CPU_ONLY: (u64, u64, u64) = (3000, 0, 0);
/// `cpuOnly` on node1, `cpuAndMemory` on node2.
const BOUND: &[Existing] = &[(0, 3000, 0, 0), (1, 3000, 5000, 0)];

const SCALAR: &str = "NodeResourcesBalancedAllocationArgs.resources listing nvidia.com/gpu: orchsim's BalancedAllocation \
                      scores cpu and memory only (upstream's default resources)";
const DRA: &str = "a DRA-backed extended resource (a DeviceClass with extendedResourceName and ResourceSlices): orchsim has no \
                   dynamic resource allocation";
const SIGNING: &str = "pod signatures (SignPod, for batching equivalent pods) are not modelled";

/// One row: the incoming pod's (cpu, memory, GPUs), the nodes, the bound
/// pods and each node's expected score.
fn row(name: &'static str, incoming: (u64, u64, u64), nodes: &'static [(u64, u64, u64)], existing: &'static [Existing], want: [i64; 2]) -> Case {
    Case::ported(SOURCE, name, move || {
        let c = cluster_of(nodes, existing);
        let (cpu, memory, gpu) = incoming;
        let p = pod(cpu, memory, gpu);
        let got: Vec<Option<i64>> = c.nodes.iter().map(|n| balanced_allocation_score(&p, n)).collect();
        expect("scores", got, want.map(Some).to_vec())
    })
}

pub fn suite() -> Suite {
    let mut cases = vec![
        // A best-effort pod: PreScore returns Skip, no score.
        Case::ported(SOURCE, "nothing scheduled, nothing requested, skip in PreScore", || {
            let c = cluster_of(&[(4000, 10000, 0), (4000, 10000, 0)], &[]);
            let got: Vec<Option<i64>> = c.nodes.iter().map(|n| balanced_allocation_score(&empty_pod(), n)).collect();
            expect("scores", got, vec![None, None])
        }),
        row("nothing scheduled, resources requested, differently sized nodes", CPU_AND_MEMORY, &[(4000, 10000, 0), (6000, 10000, 0)], &[], [87, 100]),
        row("resources requested, pods scheduled with resources", CPU_AND_MEMORY, &[(10000, 20000, 0), (10000, 20000, 0)], BOUND, [82, 95]),
        row(
            "resources requested, pods scheduled with resources, differently sized nodes",
            CPU_AND_MEMORY,
            &[(10000, 20000, 0), (10000, 50000, 0)],
            BOUND,
            [82, 80],
        ),
        row("requested resources at node capacity", CPU_ONLY, &[(6000, 10000, 0), (6000, 10000, 0)], BOUND, [50, 75]),
        Case::not_expressible(SOURCE, "include scalar resource on a node for balanced resource allocation", SCALAR),
        // The GPU listed in the arguments is skipped for a pod that requests
        // none, leaving cpu and memory, which orchsim scores.
        row("node without the scalar resource should skip the scalar resource", CPU_AND_MEMORY, &[(3500, 40000, 8), (3500, 40000, 0)], &[], [63, 63]),
        // orchsim has no PreScore cache: the score always computes the requests.
        row("resources requested, pods scheduled with resources if PreScore not called", CPU_AND_MEMORY, &[(10000, 20000, 0), (10000, 20000, 0)], BOUND, [82, 95]),
        Case::not_expressible(SOURCE, "include DRA resource on a node for balanced resource allocation", DRA),
        Case::not_expressible(SOURCE, "include DRA resource on a node for balanced resource allocation if PreScore not called", DRA),
    ];
    for name in ["pod with CPU and memory requests", "best-effort pod with no requests", "pod with multiple containers", "DRA extended resource enabled - returns unschedulable"] {
        cases.push(Case::not_expressible(SIGN, name, SIGNING));
    }
    Suite {
        system: "kube-scheduler",
        component: "NodeResourcesBalancedAllocation",
        upstream: "kubernetes/kubernetes master 2025 @00fdb4f (before #135573)",
        cases,
    }
}
