//! kube-scheduler's NodeResourcesFit score: the LeastAllocated, MostAllocated
//! and RequestedToCapacityRatio strategies, run through the plugin's score
//! (`node_resources_fit_score`, what the scheduler adds per node) on nodes
//! whose requests come from bound pods, as upstream's tests build a snapshot
//! of existing pods.
//!
//! Upstream's `extendedRes` is orchsim's only extended resource, the GPU;
//! upstream's `extendedResourceSet` weighs cpu, memory and it by 1.

use orchsim::policy::scheduler::kubernetes::{
    broken_linear, node_resources_fit_score, KubernetesParams, ResourceWeights, ScoringStrategy, ShapePoint,
};

use crate::harness::{Case, Suite};
use crate::kube_fixtures::{cluster, cluster_of, empty_pod, expect, node, pod, pod_of, template, Existing, Req};

const LEAST: &str = "pkg/scheduler/framework/plugins/noderesources/least_allocated_test.go: TestLeastAllocatedScoringStrategy";
const MOST: &str = "pkg/scheduler/framework/plugins/noderesources/most_allocated_test.go: TestMostAllocatedScoringStrategy";
const RTCR: &str =
    "pkg/scheduler/framework/plugins/noderesources/requested_to_capacity_ratio_test.go: TestRequestedToCapacityRatioScoringStrategy";
const BROKEN_LINEAR: &str = "pkg/scheduler/framework/plugins/noderesources/requested_to_capacity_ratio_test.go: TestBrokenLinearFunction";
const SINGLE_EXTENDED: &str =
    "pkg/scheduler/framework/plugins/noderesources/requested_to_capacity_ratio_test.go: TestResourceBinPackingSingleExtended";
const MULTIPLE_EXTENDED: &str =
    "pkg/scheduler/framework/plugins/noderesources/requested_to_capacity_ratio_test.go: TestResourceBinPackingMultipleExtended";

const NO_RESOURCES: &str = "orchsim's resource_weights always hold cpu and memory; an empty resource list (upstream: Score returns \
                            an Error status) cannot be written";
const ZERO_WEIGHT: &str = "orchsim's parameters are the v1 configuration API, whose defaulting turns a resource weight of 0 into 1 \
                           (defaults.go) before the internal validation this row checks";
const ONLY_EXTENDED: &str = "a scoring strategy over an extended resource alone: orchsim's resource_weights always score cpu and \
                             memory too";
const TWO_EXTENDED: &str = "two extended resources (intel.com/foo and intel.com/bar): orchsim's only extended resource is the GPU";

/// One score row: the incoming pod's (cpu, memory, GPUs) requests, `None`
/// for a pod without containers; the nodes' (cpu, memory, GPUs); the bound
/// pods; the expected score of each node.
struct Row {
    name: &'static str,
    pod: Option<(u64, u64, u64)>,
    nodes: &'static [(u64, u64, u64)],
    existing: &'static [Existing],
    want: &'static [i64],
}

fn params(strategy: ScoringStrategy, weights: ResourceWeights) -> KubernetesParams {
    KubernetesParams { scoring_strategy: strategy, resource_weights: weights, ..Default::default() }
}

const DEFAULT: ResourceWeights = ResourceWeights { cpu: 1, memory: 1, gpu: None };
const EXTENDED_SET: ResourceWeights = ResourceWeights { cpu: 1, memory: 1, gpu: Some(1) };

/// The plugin's score of every node of `row` under `params`.
fn run(params: KubernetesParams, row: &Row) -> Result<(), String> {
    let c = cluster_of(row.nodes, row.existing);
    let incoming = row.pod.map_or_else(empty_pod, |(cpu, mem, gpu)| pod(cpu, mem, gpu));
    let got: Vec<i64> = c.nodes.iter().map(|n| node_resources_fit_score(&params, &incoming, n)).collect();
    expect("scores", got.as_slice(), row.want)
}

fn score_case(source: &'static str, params: KubernetesParams, row: Row) -> Case {
    Case::ported(source, row.name, move || run(params.clone(), &row))
}

/// A weight `validate` must reject at `field`.
fn weight_case(source: &'static str, name: &'static str, weights: ResourceWeights, field: &'static str) -> Case {
    Case::ported(source, name, move || {
        let params = KubernetesParams { resource_weights: weights.clone(), ..Default::default() };
        let errors: Vec<String> = params.validate().into_iter().map(|(field, _)| field).collect();
        expect("invalid fields", errors, vec![field.to_string()])
    })
}

const N4_10: &[(u64, u64, u64)] = &[(4000, 10000, 0), (4000, 10000, 0)];
const N4_6: &[(u64, u64, u64)] = &[(4000, 10000, 0), (6000, 10000, 0)];
const N10_20: &[(u64, u64, u64)] = &[(10000, 20000, 0), (10000, 20000, 0)];
const N6_EXT4: &[(u64, u64, u64)] = &[(6000, 10000, 0), (6000, 10000, 4)];
const N6_EXT4_10: &[(u64, u64, u64)] = &[(6000, 10000, 4), (6000, 10000, 10)];
/// Two empty pods on each node (pods without containers).
const EMPTY_PODS: &[Existing] = &[(0, 0, 0, 0), (0, 0, 0, 0), (1, 0, 0, 0), (1, 0, 0, 0)];
const CPU_PODS: &[Existing] = &[(0, 3000, 0, 0), (0, 3000, 0, 0), (1, 3000, 0, 0), (1, 3000, 5000, 0)];
const ONE_POD_EACH: &[Existing] = &[(0, 3000, 0, 0), (1, 3000, 5000, 0)];

fn least_allocated() -> Vec<Case> {
    let least = |w| params(ScoringStrategy::LeastAllocated, w);
    vec![
        score_case(LEAST, least(DEFAULT), Row { name: "nothing scheduled, nothing requested", pod: None, nodes: N4_10, existing: &[], want: &[100, 100] }),
        score_case(LEAST, least(DEFAULT), Row {
            name: "nothing scheduled, resources requested, differently sized nodes",
            pod: Some((3000, 5000, 0)),
            nodes: N4_6,
            existing: &[],
            want: &[37, 50],
        }),
        Case::not_expressible(LEAST, "Resources not set, pods scheduled with error", NO_RESOURCES),
        score_case(LEAST, least(DEFAULT), Row { name: "no resources requested, pods scheduled", pod: None, nodes: N4_10, existing: EMPTY_PODS, want: &[100, 100] }),
        score_case(LEAST, least(DEFAULT), Row {
            name: "no resources requested, pods scheduled with resources",
            pod: None,
            nodes: N10_20,
            existing: CPU_PODS,
            want: &[70, 57],
        }),
        score_case(LEAST, least(DEFAULT), Row {
            name: "resources requested, pods scheduled with resources",
            pod: Some((3000, 5000, 0)),
            nodes: N10_20,
            existing: ONE_POD_EACH,
            want: &[57, 45],
        }),
        score_case(LEAST, least(DEFAULT), Row {
            name: "resources requested, pods scheduled with resources, differently sized nodes",
            pod: Some((3000, 5000, 0)),
            nodes: &[(10000, 20000, 0), (10000, 50000, 0)],
            existing: ONE_POD_EACH,
            want: &[57, 60],
        }),
        score_case(LEAST, least(DEFAULT), Row {
            name: "requested resources exceed node capacity",
            pod: Some((3000, 0, 0)),
            nodes: N4_10,
            existing: ONE_POD_EACH,
            want: &[50, 25],
        }),
        score_case(LEAST, least(DEFAULT), Row {
            name: "zero node resources, pods scheduled with resources",
            pod: None,
            nodes: &[(0, 0, 0), (0, 0, 0)],
            existing: ONE_POD_EACH,
            want: &[0, 0],
        }),
        score_case(LEAST, least(ResourceWeights { cpu: 1, memory: 2, gpu: None }), Row {
            name: "nothing scheduled, resources requested with different weight on CPU and memory, differently sized nodes",
            pod: Some((3000, 5000, 0)),
            nodes: N4_6,
            existing: &[],
            want: &[41, 50],
        }),
        weight_case(LEAST, "resource with negative weight", ResourceWeights { cpu: 1, memory: -1, gpu: None }, "resource_weights.memory"),
        Case::not_expressible(LEAST, "resource with zero weight", ZERO_WEIGHT),
        weight_case(LEAST, "resource weight larger than MaxNodeScore", ResourceWeights { cpu: 101, memory: 1, gpu: None }, "resource_weights.cpu"),
        score_case(LEAST, least(EXTENDED_SET), Row {
            name: "bypass extended resource if the pod does not request",
            pod: Some((3000, 5000, 0)),
            nodes: N6_EXT4,
            existing: &[],
            want: &[50, 50],
        }),
        score_case(LEAST, least(EXTENDED_SET), Row {
            name: "honor extended resource if the pod requests",
            pod: Some((3000, 5000, 2)),
            nodes: N6_EXT4_10,
            existing: &[],
            want: &[50, 60],
        }),
        score_case(LEAST, least(ResourceWeights { cpu: 1, memory: 1, gpu: Some(2) }), Row {
            name: "if the node doesn't have a resource",
            pod: Some((3000, 4000, 0)),
            nodes: N6_EXT4,
            existing: &[],
            want: &[55, 55],
        }),
    ]
}

fn most_allocated() -> Vec<Case> {
    let most = |w| params(ScoringStrategy::MostAllocated, w);
    vec![
        score_case(MOST, most(DEFAULT), Row { name: "nothing scheduled, nothing requested", pod: None, nodes: N4_10, existing: &[], want: &[0, 0] }),
        score_case(MOST, most(DEFAULT), Row {
            name: "nothing scheduled, resources requested, differently sized nodes",
            pod: Some((3000, 5000, 0)),
            nodes: N4_6,
            existing: &[],
            want: &[62, 50],
        }),
        Case::not_expressible(MOST, "Resources not set, pods scheduled with error", NO_RESOURCES),
        score_case(MOST, most(DEFAULT), Row {
            name: "no resources requested, pods scheduled with resources",
            pod: None,
            nodes: N10_20,
            existing: CPU_PODS,
            want: &[30, 42],
        }),
        score_case(MOST, most(DEFAULT), Row {
            name: "resources requested, pods scheduled with resources",
            pod: Some((3000, 5000, 0)),
            nodes: N10_20,
            existing: ONE_POD_EACH,
            want: &[42, 55],
        }),
        score_case(MOST, most(DEFAULT), Row {
            name: "resources requested equal node capacity",
            pod: Some((5000, 9000, 0)),
            nodes: &[(5000, 10000, 0), (10000, 9000, 0)],
            existing: &[],
            want: &[95, 75],
        }),
        // The second row of this name weighs memory 2.
        score_case(MOST, most(ResourceWeights { cpu: 1, memory: 2, gpu: None }), Row {
            name: "nothing scheduled, resources requested, differently sized nodes",
            pod: Some((3000, 5000, 0)),
            nodes: N4_6,
            existing: &[],
            want: &[58, 50],
        }),
        // Containers without requests: 100m / 200Mi each for scoring.
        Case::ported(MOST, "no resources requested, pods scheduled, nonzero request for resource", move || {
            let unset = template(Req::Unset, Req::Unset, 0);
            let mi = 1 << 20;
            let nodes = vec![node("node1", 250, 1000 * mi, 0), node("node2", 250, 1000 * mi, 0)];
            let c = cluster(nodes, &[(0, unset.clone()), (0, unset.clone())]);
            let incoming = pod_of(u32::MAX, &unset);
            let params = most(DEFAULT);
            let got: Vec<i64> = c.nodes.iter().map(|n| node_resources_fit_score(&params, &incoming, n)).collect();
            expect("scores", got, vec![80, 30])
        }),
        weight_case(MOST, "resource with negative weight", ResourceWeights { cpu: 1, memory: -1, gpu: None }, "resource_weights.memory"),
        Case::not_expressible(MOST, "resource with zero weight", ZERO_WEIGHT),
        weight_case(MOST, "resource weight larger than MaxNodeScore", ResourceWeights { cpu: 1, memory: 101, gpu: None }, "resource_weights.memory"),
        score_case(MOST, most(EXTENDED_SET), Row {
            name: "bypass extended resource if the pod does not request",
            pod: Some((3000, 5000, 0)),
            nodes: N6_EXT4,
            existing: &[],
            want: &[50, 50],
        }),
        score_case(MOST, most(EXTENDED_SET), Row {
            name: "honor extended resource if the pod request",
            pod: Some((3000, 5000, 2)),
            nodes: N6_EXT4_10,
            existing: &[],
            want: &[50, 40],
        }),
        score_case(MOST, most(ResourceWeights { cpu: 1, memory: 1, gpu: Some(2) }), Row {
            name: "if the node doesn't have a resource",
            pod: Some((3000, 4000, 0)),
            nodes: N6_EXT4,
            existing: &[],
            want: &[45, 45],
        }),
    ]
}

/// (utilization, score) shape points, or (p, f(p)) assertions.
type Points = &'static [(i64, i64)];

fn requested_to_capacity_ratio() -> Vec<Case> {
    // Upstream's shape: 10 at 0 %, 0 at 100 % (orchsim's default shape).
    let rtcr = || params(ScoringStrategy::RequestedToCapacityRatio, DEFAULT);
    let mut cases = vec![
        score_case(RTCR, rtcr(), Row {
            name: "nothing scheduled, nothing requested (default - least requested nodes have priority)",
            pod: None,
            nodes: N4_10,
            existing: &[(0, 0, 0, 0), (0, 0, 0, 0)],
            want: &[100, 100],
        }),
        score_case(RTCR, rtcr(), Row {
            name: "nothing scheduled, resources requested, differently sized nodes (default - least requested nodes have priority)",
            pod: Some((3000, 5000, 0)),
            nodes: N4_6,
            existing: &[(0, 0, 0, 0), (0, 0, 0, 0)],
            want: &[38, 50],
        }),
        score_case(RTCR, rtcr(), Row {
            name: "no resources requested, pods scheduled with resources (default - least requested nodes have priority)",
            pod: None,
            nodes: N4_6,
            existing: &[(0, 3000, 5000, 0), (1, 3000, 5000, 0)],
            want: &[38, 50],
        }),
    ];
    // (shape, [(p, expected)]), each upstream case a row named by its index.
    let broken: [(Points, Points); 3] = [
        (&[(10, 1), (90, 9)], &[(-10, 1), (0, 1), (9, 1), (10, 1), (15, 1), (19, 1), (20, 2), (89, 8), (90, 9), (99, 9), (100, 9), (110, 9)]),
        (&[(0, 2), (40, 10), (100, 0)], &[(-10, 2), (0, 2), (20, 6), (30, 8), (40, 10), (70, 5), (100, 0), (110, 0)]),
        (&[(0, 2), (40, 2), (100, 2)], &[(-10, 2), (0, 2), (20, 2), (30, 2), (40, 2), (70, 2), (100, 2), (110, 2)]),
    ];
    for (i, (points, assertions)) in broken.into_iter().enumerate() {
        cases.push(Case::ported(BROKEN_LINEAR, format!("case_{i}"), move || {
            let shape: Vec<ShapePoint> = points.iter().map(|&(utilization, score)| ShapePoint { utilization, score }).collect();
            let got: Vec<(i64, i64)> = assertions.iter().map(|&(p, _)| (p, broken_linear(&shape, p, 1))).collect();
            expect("f(p)", got.as_slice(), assertions)
        }));
    }
    // Both tables have the same four rows.
    for (source, why) in [(SINGLE_EXTENDED, ONLY_EXTENDED), (MULTIPLE_EXTENDED, TWO_EXTENDED)] {
        for name in [
            "nothing scheduled, nothing requested",
            "resources requested, pods scheduled with less resources",
            "resources requested, pods scheduled with resources, on node with existing pod running ",
            "resources requested, pods scheduled with more resources",
        ] {
            cases.push(Case::not_expressible(source, name, why));
        }
    }
    cases
}

pub fn suite() -> Suite {
    let mut cases = least_allocated();
    cases.extend(most_allocated());
    cases.extend(requested_to_capacity_ratio());
    Suite {
        system: "kube-scheduler",
        component: "NodeResourcesFit (score)",
        upstream: "kubernetes/kubernetes master 2025 (least_allocated_test @008b365, most_allocated_test @030880a, requested_to_capacity_ratio_test @00b9ead)",
        cases,
    }
}
