//! kube-scheduler's InterPodAffinity scoring: preferred terms of the incoming
//! pod, the symmetric preferred terms and required affinity of existing pods
//! (`hardPodAffinityWeight`), and NormalizeScore over the actual minimum and
//! maximum, read from the `kubernetes` scheduler's per-plugin scores.
//!
//! Upstream's pods labelled `security: S1`, `security: S2` and unlabelled
//! ones are three workload classes here, and a term whose selector is
//! `security In [S1]` selects the class of the S1 pods.

use orchsim::model::affinity::{AffinitySelector, NodePlacement, PodAffinity, PodAffinityTerm, WeightedPodAffinityTerm};
use orchsim::policy::scheduler::Placement;

use crate::harness::{Case, Suite};
use crate::kube_cluster::{cluster, expect_scores, node, params, pod, schedule, with_not_expressible, NodeSpec};

const PREFERRED: &str = "pkg/scheduler/framework/plugins/interpodaffinity/scoring_test.go: TestPreferredAffinity";
const SYMMETRIC_WEIGHT: &str =
    "pkg/scheduler/framework/plugins/interpodaffinity/scoring_test.go: TestPreferredAffinityWithHardPodAffinitySymmetricWeight";

/// Classes: pods labelled `security: S1`, `security: S2` (or, in the
/// symmetric-weight table, `service: S1`), and pods without labels.
const S1: u32 = 0;
const S2: u32 = 1;
const UNLABELLED: u32 = 2;

fn region(name: &'static str, value: &'static str) -> NodeSpec {
    node(name, &[("region", value)])
}

fn az(name: &'static str, value: &'static str) -> NodeSpec {
    node(name, &[("az", value)])
}

fn weighted(weight: i64, key: &str, class: u32) -> WeightedPodAffinityTerm {
    WeightedPodAffinityTerm { weight, topology_key: key.into(), selector: AffinitySelector::Class(class) }
}

/// Preferred pod affinity `terms` and anti-affinity `anti`.
fn terms(affinity: Vec<WeightedPodAffinityTerm>, anti: Vec<WeightedPodAffinityTerm>) -> NodePlacement {
    NodePlacement {
        pod_affinity: PodAffinity { required: vec![], preferred: affinity },
        pod_anti_affinity: PodAffinity { required: vec![], preferred: anti },
        ..Default::default()
    }
}

/// Upstream's `stayWithS1InRegion` (weight 5) and `stayWithS2InRegion` (weight 6).
fn stay_with_s1_in_region() -> NodePlacement {
    terms(vec![weighted(5, "region", S1)], vec![])
}

fn stay_with_s2_in_region() -> NodePlacement {
    terms(vec![weighted(6, "region", S2)], vec![])
}

/// `awayFromS1InAz`, `awayFromS2InAz` (weight 5).
fn away_from_in_az(class: u32) -> NodePlacement {
    terms(vec![], vec![weighted(5, "az", class)])
}

/// `stayWithS1InRegionAwayFromS2InAz`: affinity 8 to S1 per region, anti-affinity 5 to S2 per az.
fn stay_with_s1_away_from_s2() -> NodePlacement {
    terms(vec![weighted(8, "region", S1)], vec![weighted(5, "az", S2)])
}

fn none() -> NodePlacement {
    NodePlacement::default()
}

/// One row: the incoming pod (class, terms), existing pods (node, class,
/// terms), the nodes, `hardPodAffinityWeight`, and the normalized scores
/// (all 0 where upstream's PreScore returns Skip).
struct Row {
    source: &'static str,
    name: &'static str,
    incoming: (u32, NodePlacement),
    pods: Vec<(&'static str, u32, NodePlacement)>,
    nodes: Vec<NodeSpec>,
    hard_weight: i64,
    want: &'static [(&'static str, i64)],
}

fn check(row: &Row) -> Result<(), String> {
    let existing = row.pods.iter().map(|(on, class, t)| (*on, pod(*class, 1, t.clone(), 0))).collect();
    let c = cluster(&row.nodes, existing);
    let mut p = params(&[]);
    p.hard_pod_affinity_weight = row.hard_weight;
    let (placement, scores) = schedule(p, &c, &pod(row.incoming.0, 0, row.incoming.1.clone(), 100));
    if row.want.is_empty() {
        // No node: nothing is scored and the pod cannot be placed.
        return match placement {
            Placement::Unschedulable(_) if scores.is_empty() => Ok(()),
            other => Err(format!("got {other:?} with scores {scores:?}, want no node scored")),
        };
    }
    let got = scores.iter().map(|(n, s)| (n.clone(), s.inter_pod_affinity)).collect();
    expect_scores("InterPodAffinity scores", &got, row.want)
}

fn three_regions() -> Vec<NodeSpec> {
    vec![region("node1", "China"), region("node2", "India"), az("node3", "az1")]
}

fn five_regions(node1: NodeSpec) -> Vec<NodeSpec> {
    vec![node1, region("node2", "India"), region("node3", "China"), region("node4", "China"), region("node5", "India")]
}

fn rows() -> Vec<Row> {
    let row = |name, incoming, pods, nodes, want| Row { source: PREFERRED, name, incoming, pods, nodes, hard_weight: 1, want };
    let hard_s1 = || NodePlacement {
        // `hardPodAffinity`: required affinity to `service: S1` per region
        // (its `namespaces` list the incoming pod's own namespace).
        pod_affinity: PodAffinity {
            required: vec![PodAffinityTerm { topology_key: "region".into(), selector: AffinitySelector::Class(S1) }],
            preferred: vec![],
        },
        ..Default::default()
    };
    vec![
        row("all nodes are same priority as Affinity is nil", (S1, none()), vec![], three_regions(), &[("node1", 0), ("node2", 0), ("node3", 0)]),
        row(
            "Affinity: pod that matches topology key & pods in nodes will get high score comparing to others\
             which doesn't match either pods in nodes or in topology key",
            (S1, stay_with_s1_in_region()),
            vec![("node1", S1, none()), ("node2", S2, none()), ("node3", S1, none())],
            three_regions(),
            &[("node1", 100), ("node2", 0), ("node3", 0)],
        ),
        row(
            "All the nodes that have the same topology key & label value with one of them has an existing pod that match the affinity rules, have the same score",
            (UNLABELLED, stay_with_s1_in_region()),
            vec![("node1", S1, none())],
            vec![region("node1", "China"), node("node2", &[("region", "China"), ("az", "az1")]), region("node3", "India")],
            &[("node1", 100), ("node2", 100), ("node3", 0)],
        ),
        row(
            "Affinity: nodes in one region has more matching pods comparing to other region, so the region which has more matches will get high score",
            (S1, stay_with_s2_in_region()),
            vec![("node1", S2, none()), ("node1", S2, none()), ("node2", S2, none()), ("node3", S2, none()), ("node4", S2, none()), ("node5", S2, none())],
            five_regions(region("node1", "China")),
            &[("node1", 100), ("node2", 0), ("node3", 100), ("node4", 100), ("node5", 0)],
        ),
        row(
            "Affinity symmetry: considered only the preferredDuringSchedulingIgnoredDuringExecution in pod affinity symmetry",
            (S2, none()),
            vec![("node1", S1, stay_with_s1_in_region()), ("node2", S2, stay_with_s2_in_region())],
            three_regions(),
            &[("node1", 0), ("node2", 100), ("node3", 0)],
        ),
        row(
            "Anti Affinity: pod that does not match existing pods in node will get high score ",
            (S1, away_from_in_az(S1)),
            vec![("node1", S1, none()), ("node2", S2, none())],
            vec![az("node1", "az1"), region("node2", "China")],
            &[("node1", 0), ("node2", 100)],
        ),
        row(
            "Anti Affinity: pod that does not match topology key & match the pods in nodes will get higher score comparing to others ",
            (S1, away_from_in_az(S1)),
            vec![("node1", S1, none()), ("node2", S1, none())],
            vec![az("node1", "az1"), region("node2", "China")],
            &[("node1", 0), ("node2", 100)],
        ),
        row(
            "Anti Affinity: one node has more matching pods comparing to other node, so the node which has more unmatches will get high score",
            (S1, away_from_in_az(S1)),
            vec![("node1", S1, none()), ("node1", S1, none()), ("node2", S2, none())],
            vec![az("node1", "az1"), region("node2", "India")],
            &[("node1", 0), ("node2", 100)],
        ),
        row(
            "Anti Affinity symmetry: the existing pods in node which has anti affinity match will get high score",
            (S2, none()),
            vec![("node1", S1, away_from_in_az(S2)), ("node2", S2, away_from_in_az(S1))],
            vec![az("node1", "az1"), az("node2", "az2")],
            &[("node1", 0), ("node2", 100)],
        ),
        row(
            "Affinity and Anti Affinity: considered only preferredDuringSchedulingIgnoredDuringExecution in both pod affinity & anti affinity",
            (S1, stay_with_s1_away_from_s2()),
            vec![("node1", S1, none()), ("node2", S1, none())],
            vec![region("node1", "China"), az("node2", "az1")],
            &[("node1", 100), ("node2", 0)],
        ),
        row(
            "Affinity and Anti Affinity: considering both affinity and anti-affinity, the pod to schedule and existing pods have the same labels",
            (S1, stay_with_s1_away_from_s2()),
            vec![
                ("node1", S1, none()),
                ("node1", S1, none()),
                ("node2", S1, none()),
                ("node3", S1, none()),
                ("node3", S1, none()),
                ("node4", S1, none()),
                ("node5", S1, none()),
            ],
            five_regions(node("node1", &[("region", "China"), ("az", "az1")])),
            &[("node1", 100), ("node2", 0), ("node3", 100), ("node4", 100), ("node5", 0)],
        ),
        row(
            "Affinity and Anti Affinity and symmetry: considered only preferredDuringSchedulingIgnoredDuringExecution in both pod affinity & anti affinity & symmetry",
            (S1, stay_with_s1_away_from_s2()),
            vec![
                ("node1", S1, none()),
                ("node2", S2, none()),
                ("node3", UNLABELLED, stay_with_s1_away_from_s2()),
                ("node4", UNLABELLED, away_from_in_az(S1)),
            ],
            vec![region("node1", "China"), az("node2", "az1"), region("node3", "India"), az("node4", "az2")],
            &[("node1", 100), ("node2", 0), ("node3", 100), ("node4", 0)],
        ),
        row(
            "Avoid panic when partial nodes in a topology don't have pods with affinity",
            (S1, none()),
            vec![("node1", S1, none()), ("node2", UNLABELLED, stay_with_s1_away_from_s2())],
            vec![region("node1", "China"), region("node2", "China")],
            &[("node1", 0), ("node2", 0)],
        ),
        row(
            "Do not ignore preferred terms of existing pods",
            (S2, none()),
            vec![("node1", S1, stay_with_s1_away_from_s2()), ("node2", S2, stay_with_s2_in_region())],
            vec![region("node1", "China"), region("node2", "India")],
            &[("node1", 0), ("node2", 100)],
        ),
        row("No nodes to score", (S2, none()), vec![], vec![], &[]),
        Row {
            source: SYMMETRIC_WEIGHT,
            name: "with default weight",
            incoming: (S1, none()),
            pods: vec![("node1", UNLABELLED, hard_s1()), ("node2", UNLABELLED, hard_s1())],
            nodes: three_regions(),
            hard_weight: 1,
            want: &[("node1", 100), ("node2", 100), ("node3", 0)],
        },
        Row {
            source: SYMMETRIC_WEIGHT,
            name: "with zero weight",
            incoming: (S1, none()),
            pods: vec![("node1", UNLABELLED, hard_s1()), ("node2", UNLABELLED, hard_s1())],
            nodes: three_regions(),
            hard_weight: 0,
            want: &[("node1", 0), ("node2", 0), ("node3", 0)],
        },
    ]
}

pub fn suite() -> Suite {
    const NAMESPACES: &str = "a term's `namespaces` / `namespaceSelector` and pods in namespaces with labels (`team`): orchsim has no namespaces";
    const INVALID: &str = "a label selector with an invalid value (`{{.bad-value.}}`) that fails PreScore: orchsim's selectors name workload classes, and scenario validation rejects an unknown class before any run";
    let not_expressible = [
        (
            PREFERRED,
            "Affinity: different Label operators and values for pod affinity scheduling preference, including some match failures ",
            "label selectors with NotIn, Exists and DoesNotExist (`security NotIn [S1], In [S2]`; `security Exists, wrongkey DoesNotExist`), the second selecting the S1 and S2 pods at once: an orchsim term selects one workload class",
        ),
        (PREFERRED, "Affinity symmetry with namespace selector", NAMESPACES),
        (PREFERRED, "AntiAffinity symmetry with namespace selector", NAMESPACES),
        (
            PREFERRED,
            "Affinity symmetry: considered RequiredDuringSchedulingIgnoredDuringExecution in pod affinity symmetry",
            "required terms `security In [S1, value2]` and `security Exists, wrongkey DoesNotExist` (selecting S1 and S2 pods at once): an orchsim term selects one workload class, with no set or existence operators",
        ),
        (PREFERRED, "invalid Affinity fails PreScore", INVALID),
        (PREFERRED, "invalid AntiAffinity fails PreScore", INVALID),
        (PREFERRED, "Affinity with pods matching NamespaceSelector", NAMESPACES),
        (PREFERRED, "Affinity with pods matching both NamespaceSelector and Namespaces fields", NAMESPACES),
        (PREFERRED, "Affinity with pods matching NamespaceSelector", NAMESPACES),
        (PREFERRED, "Affinity with pods matching both NamespaceSelector and Namespaces fields", NAMESPACES),
        (
            PREFERRED,
            "Ignore preferred terms of existing pods",
            "InterPodAffinityArgs `ignorePreferredTermsOfExistingPods`: orchsim's kubernetes parameters have no such switch",
        ),
        (SYMMETRIC_WEIGHT, "with no matching namespace", NAMESPACES),
        (SYMMETRIC_WEIGHT, "with matching NamespaceSelector", NAMESPACES),
        (SYMMETRIC_WEIGHT, "with matching Namespaces", NAMESPACES),
    ];
    let ported = rows().into_iter().map(|row| Case::ported(row.source, row.name, move || check(&row))).collect();
    let cases = with_not_expressible(ported, &not_expressible);
    Suite {
        system: "kube-scheduler",
        component: "InterPodAffinity (score)",
        upstream: "kubernetes/kubernetes master (interpodaffinity/scoring_test.go @8a4d98a)",
        cases,
    }
}
