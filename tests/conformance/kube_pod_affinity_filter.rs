//! kube-scheduler's InterPodAffinity filter: the incoming pod's required
//! affinity and anti-affinity, and existing pods' required anti-affinity
//! (the symmetric rule), read as the set of nodes the `kubernetes` scheduler
//! finds feasible (every node has room; only this filter can reject one).
//!
//! Each upstream label set of the row's pods is a workload class here. A
//! selector is ported as a class selector when, among the row's pods, it
//! picks exactly the pods of one class: `service In [securityscan, value2]`
//! (no pod is labelled `value2`) or `security Exists` (only the S1 pods carry
//! `security`). Selectors that pick several classes at once (`NotIn`, which
//! also matches pods without the key; `Exists` with `DoesNotExist`),
//! namespaces and invalid selectors are not expressible.

use orchsim::model::affinity::{AffinitySelector, NodePlacement, PodAffinity, PodAffinityTerm};

use crate::harness::{Case, Suite};
use crate::kube_cluster::{cluster, expect_feasible, node, params, pod, schedule, with_not_expressible, NodeSpec};

const SINGLE: &str = "pkg/scheduler/framework/plugins/interpodaffinity/filtering_test.go: TestRequiredAffinitySingleNode";
const MULTIPLE: &str = "pkg/scheduler/framework/plugins/interpodaffinity/filtering_test.go: TestRequiredAffinityMultipleNodes";

/// Classes of the single-node table: `service: securityscan`, `security:
/// S1`, no labels, `service: antivirusscan` (no pod of it runs), and the
/// `{abc, xyz}` and `{def, xyz}` pods of the symmetry checks.
const SCAN: u32 = 0;
const S1: u32 = 1;
const UNLABELLED: u32 = 2;
const ANTIVIRUS: u32 = 3;
const ABC: u32 = 4;
const DEF: u32 = 5;

/// Classes of the multiple-node table: `{foo: bar}`, `{foo: abc}`, `{foo:
/// abc, service: securityscan}`, `{foo: ""}`, `{bar: ""}`, `{foo: "", bar:
/// ""}`, and the labels `labelA` / `labelB` no pod carries.
const FOO_BAR: u32 = 10;
const FOO_ABC: u32 = 11;
const FOO_ABC_SCAN: u32 = 12;
const FOO: u32 = 13;
const BAR: u32 = 14;
const FOO_AND_BAR: u32 = 15;
const LABEL_A: u32 = 16;
const LABEL_B: u32 = 17;

/// Required terms `(topologyKey, class)` for affinity and anti-affinity.
type Terms = (&'static [(&'static str, u32)], &'static [(&'static str, u32)]);

const NONE: Terms = (&[], &[]);

fn placement((affinity, anti): Terms) -> NodePlacement {
    let required = |terms: &[(&str, u32)]| PodAffinity {
        required: terms.iter().map(|&(key, class)| PodAffinityTerm { topology_key: key.into(), selector: AffinitySelector::Class(class) }).collect(),
        preferred: vec![],
    };
    NodePlacement { pod_affinity: required(affinity), pod_anti_affinity: required(anti), ..Default::default() }
}

/// One row: the nodes, the incoming pod (class, terms), the existing pods
/// (node, class, terms), and the nodes the filter lets through.
struct Row {
    source: &'static str,
    name: &'static str,
    nodes: Vec<NodeSpec>,
    incoming: (u32, Terms),
    existing: &'static [(&'static str, u32, Terms)],
    pass: &'static [&'static str],
}

fn check(row: &Row) -> Result<(), String> {
    let existing = row.existing.iter().map(|&(on, class, terms)| (on, pod(class, 1, placement(terms), 0))).collect();
    let c = cluster(&row.nodes, existing);
    let (decision, scores) = schedule(params(&[]), &c, &pod(row.incoming.0, 0, placement(row.incoming.1), 100));
    expect_feasible(&scores, row.pass, &decision)
}

/// Nodes with `region`, `zone` and `hostname` labels.
fn rzh(name: &'static str, region: &'static str, zone: &'static str) -> NodeSpec {
    node(name, &[("region", region), ("zone", zone), ("hostname", name)])
}

fn rows() -> Vec<Row> {
    // Upstream's node1: region r1, zone z11 (no `node` label); every
    // existing pod runs there.
    let single = |name, incoming, existing: &'static [(&'static str, u32, Terms)], passes: bool| Row {
        source: SINGLE,
        name,
        nodes: vec![node("node1", &[("region", "r1"), ("zone", "z11")])],
        incoming,
        existing,
        pass: if passes { &["node1"] } else { &[] },
    };
    let multiple = |name, nodes, incoming, existing, pass| Row { source: MULTIPLE, name, nodes, incoming, existing, pass };
    let china_india = || vec![node("nodeA", &[("region", "China")]), node("nodeB", &[("region", "China"), ("az", "az1")]), node("nodeC", &[("region", "India")])];
    vec![
        single(
            "A pod that has no required pod affinity scheduling rules can schedule onto a node with no existing pods",
            (UNLABELLED, NONE),
            &[],
            true,
        ),
        single(
            "satisfies with requiredDuringSchedulingIgnoredDuringExecution in PodAffinity using In operator that matches the existing pod",
            (S1, (&[("region", SCAN)], &[])),
            &[("node1", SCAN, NONE)],
            true,
        ),
        single(
            "Doesn't satisfy the PodAffinity because of unmatching labelSelector with the existing pod",
            (SCAN, (&[("", ANTIVIRUS)], &[])),
            &[("node1", SCAN, NONE)],
            false,
        ),
        single(
            "satisfies the PodAffinity and PodAntiAffinity with the existing pod",
            (S1, (&[("region", SCAN)], &[("node", ANTIVIRUS)])),
            &[("node1", SCAN, NONE)],
            true,
        ),
        single(
            "satisfies the PodAffinity and PodAntiAffinity and PodAntiAffinity symmetry with the existing pod",
            (S1, (&[("region", SCAN)], &[("node", ANTIVIRUS)])),
            &[("node1", SCAN, (&[], &[("node", ANTIVIRUS)]))],
            true,
        ),
        single(
            "satisfies the PodAffinity but doesn't satisfy the PodAntiAffinity with the existing pod",
            (S1, (&[("region", SCAN)], &[("zone", SCAN)])),
            &[("node1", SCAN, NONE)],
            false,
        ),
        single(
            "satisfies the PodAffinity and PodAntiAffinity but doesn't satisfy PodAntiAffinity symmetry with the existing pod",
            (SCAN, (&[("region", SCAN)], &[("node", ANTIVIRUS)])),
            &[("node1", SCAN, (&[], &[("zone", SCAN)]))],
            false,
        ),
        single(
            "verify that PodAntiAffinity from existing pod is respected when pod has no AntiAffinity constraints. doesn't satisfy PodAntiAffinity symmetry with the existing pod",
            (SCAN, NONE),
            &[("node1", SCAN, (&[], &[("zone", SCAN)]))],
            false,
        ),
        single(
            "satisfies the PodAntiAffinity with existing pod but doesn't satisfy PodAntiAffinity symmetry with incoming pod",
            (SCAN, (&[], &[("region", SCAN), ("region", S1)])),
            &[("node1", S1, (&[], &[("zone", S1)]))],
            false,
        ),
        single(
            "PodAntiAffinity symmetry check a1: incoming pod and existing pod partially match each other on AffinityTerms",
            (SCAN, (&[], &[("zone", SCAN), ("zone", S1)])),
            &[("node1", S1, (&[], &[("zone", S1)]))],
            false,
        ),
        single(
            "PodAntiAffinity symmetry check a2: incoming pod and existing pod partially match each other on AffinityTerms",
            (S1, (&[], &[("zone", S1)])),
            &[("node1", SCAN, (&[], &[("zone", SCAN), ("zone", S1)]))],
            false,
        ),
        single(
            "PodAntiAffinity symmetry check b1: incoming pod and existing pod partially match each other on AffinityTerms",
            (ABC, (&[], &[("zone", ABC), ("zone", DEF)])),
            &[("node1", DEF, (&[], &[("zone", ABC), ("zone", DEF)]))],
            false,
        ),
        single(
            "PodAntiAffinity symmetry check b2: incoming pod and existing pod partially match each other on AffinityTerms",
            (DEF, (&[], &[("zone", ABC), ("zone", DEF)])),
            &[("node1", ABC, (&[], &[("zone", ABC), ("zone", DEF)]))],
            false,
        ),
        multiple(
            "A pod can be scheduled onto all the nodes that have the same topology key & label value with one of them has an existing pod that matches the affinity rules",
            vec![node("node1", &[("region", "China")]), node("node2", &[("region", "China"), ("az", "az1")]), node("node3", &[("region", "India")])],
            (UNLABELLED, (&[("region", FOO_BAR)], &[])),
            &[("node1", FOO_BAR, NONE)],
            &["node1", "node2"],
        ),
        multiple(
            "NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that matches the inter pod affinity rule. The pod can not be scheduled onto nodeA and nodeB.",
            vec![node("nodeA", &[("region", "r1"), ("hostname", "nodeA")]), node("nodeB", &[("region", "r1"), ("hostname", "nodeB")])],
            (UNLABELLED, (&[], &[("region", FOO_ABC)])),
            &[("nodeA", FOO_ABC, NONE)],
            &[],
        ),
        multiple(
            "This test ensures that anti-affinity matches a pod when any term of the anti-affinity rule matches a pod.",
            vec![rzh("nodeA", "r1", "z1"), rzh("nodeB", "r1", "z2")],
            (UNLABELLED, (&[], &[("region", FOO_ABC_SCAN), ("zone", FOO_ABC_SCAN)])),
            &[("nodeA", FOO_ABC_SCAN, NONE)],
            &[],
        ),
        multiple(
            "NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that matches the inter pod affinity rule. The pod can not be scheduled onto nodeA and nodeB but can be scheduled onto nodeC",
            china_india(),
            (UNLABELLED, (&[], &[("region", FOO_ABC)])),
            &[("nodeA", FOO_ABC, NONE)],
            &["nodeC"],
        ),
        multiple(
            "Test existing pod's anti-affinity: if an existing pod has a term with invalid topologyKey, labelSelector of the term is firstly checked, and then topologyKey of the term is also checked",
            vec![rzh("nodeA", "r1", "z1"), rzh("nodeB", "r1", "z1")],
            (FOO, NONE),
            &[("nodeA", UNLABELLED, (&[], &[("invalid-node-label", FOO)]))],
            &["nodeA", "nodeB"],
        ),
        multiple(
            "Test incoming pod's anti-affinity: even if labelSelector matches, we still check if topologyKey matches",
            vec![rzh("nodeA", "r1", "z1"), rzh("nodeB", "r1", "z1")],
            (UNLABELLED, (&[], &[("invalid-node-label", FOO)])),
            &[("nodeA", FOO, NONE)],
            &["nodeA", "nodeB"],
        ),
        multiple(
            "Test existing pod's anti-affinity: incoming pod wouldn't considered as a fit as it violates each existingPod's terms on all nodes",
            vec![rzh("nodeA", "r1", "z1"), rzh("nodeB", "r1", "z2")],
            (FOO_AND_BAR, NONE),
            &[("nodeA", UNLABELLED, (&[], &[("zone", FOO_AND_BAR)])), ("nodeA", UNLABELLED, (&[], &[("region", FOO_AND_BAR)]))],
            &[],
        ),
        multiple(
            "Test incoming pod's anti-affinity: incoming pod wouldn't considered as a fit as it at least violates one anti-affinity rule of existingPod",
            vec![rzh("nodeA", "r1", "z1"), rzh("nodeB", "r1", "z2")],
            (UNLABELLED, (&[], &[("zone", FOO), ("region", BAR)])),
            &[("nodeA", FOO, NONE), ("nodeB", BAR, NONE)],
            &[],
        ),
        multiple(
            "Test existing pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a single term match - case when one term has invalid topologyKey",
            vec![rzh("nodeA", "r1", "z1"), rzh("nodeB", "r1", "z2")],
            (FOO_AND_BAR, NONE),
            &[("nodeA", UNLABELLED, (&[], &[("invalid-node-label", FOO_AND_BAR), ("zone", FOO_AND_BAR)]))],
            &["nodeB"],
        ),
        multiple(
            "Test incoming pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a single term match - case when one term has invalid topologyKey",
            vec![rzh("nodeA", "r1", "z1"), rzh("nodeB", "r1", "z2")],
            (UNLABELLED, (&[], &[("invalid-node-label", FOO_AND_BAR), ("zone", FOO_AND_BAR)])),
            &[("nodeA", FOO_AND_BAR, NONE)],
            &["nodeB"],
        ),
        multiple(
            "Test existing pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a single term match - case when all terms have valid topologyKey",
            vec![rzh("nodeA", "r1", "z1"), rzh("nodeB", "r1", "z2")],
            (FOO_AND_BAR, NONE),
            &[("nodeA", UNLABELLED, (&[], &[("region", FOO_AND_BAR), ("zone", FOO_AND_BAR)]))],
            &[],
        ),
        multiple(
            "Test incoming pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a single term match - case when all terms have valid topologyKey",
            vec![rzh("nodeA", "r1", "z1"), rzh("nodeB", "r1", "z2")],
            (UNLABELLED, (&[], &[("region", FOO_AND_BAR), ("zone", FOO_AND_BAR)])),
            &[("nodeA", FOO_AND_BAR, NONE)],
            &[],
        ),
        multiple(
            "Test existing pod's anti-affinity: existingPod on nodeA and nodeB has at least one anti-affinity term matches incoming pod, so incoming pod can only be scheduled to nodeC",
            vec![rzh("nodeA", "r1", "z1"), rzh("nodeB", "r1", "z2"), rzh("nodeC", "r1", "z3")],
            (FOO_AND_BAR, NONE),
            &[
                ("nodeA", UNLABELLED, (&[], &[("zone", FOO_AND_BAR), ("zone", LABEL_A)])),
                ("nodeB", UNLABELLED, (&[], &[("zone", FOO_AND_BAR), ("zone", LABEL_B)])),
            ],
            &["nodeC"],
        ),
        multiple(
            "Test incoming pod's affinity: firstly check if all affinityTerms match, and then check if all topologyKeys match",
            vec![rzh("nodeA", "r1", "z1"), rzh("nodeB", "r1", "z1")],
            (UNLABELLED, (&[("region", FOO_AND_BAR), ("zone", FOO_AND_BAR)], &[])),
            &[("nodeA", FOO_AND_BAR, NONE)],
            &["nodeA", "nodeB"],
        ),
        multiple(
            "Test incoming pod's affinity: firstly check if all affinityTerms match, and then check if all topologyKeys match, and the match logic should be satisfied on the same pod",
            vec![rzh("nodeA", "r1", "z1"), rzh("nodeB", "r1", "z2")],
            (UNLABELLED, (&[("region", FOO), ("zone", BAR)], &[])),
            &[("nodeA", FOO, NONE), ("nodeB", BAR, NONE)],
            &[],
        ),
    ]
}

pub fn suite() -> Suite {
    const NAMESPACES: &str = "a term's `namespaces` / `namespaceSelector` and pods in other or labelled namespaces: orchsim has no namespaces";
    const NOT_IN: &str = "a `NotIn` selector, which also selects every pod without the key (here pods of several classes, the incoming pod's among them): an orchsim term selects one workload class";
    const OPERATORS: &str = "selectors with `Exists`, `DoesNotExist` and `NotIn` ANDed over `service` and `wrongkey` (matching several classes' pods): an orchsim term selects one workload class";
    const TWO_SETS: &str = "a term `foo In [bar]` selecting pods of two label sets (`{foo: bar}` and the incoming `{foo: bar, service: securityscan}`), which the first pod of a group must match itself: a pod has one workload class and a term selects one class";
    const INVALID: &str = "a label selector with an invalid value (`{{.bad-value.}}`) that fails PreFilter: orchsim's selectors name workload classes, and scenario validation rejects an unknown class before any run";
    let not_expressible = [
        (SINGLE, "satisfies the pod with requiredDuringSchedulingIgnoredDuringExecution in PodAffinity using not in operator in labelSelector that matches the existing pod", NOT_IN),
        (SINGLE, "Does not satisfy the PodAffinity with labelSelector because of diff Namespace", NAMESPACES),
        (SINGLE, "satisfies the PodAffinity with different label Operators in multiple RequiredDuringSchedulingIgnoredDuringExecution ", OPERATORS),
        (
            SINGLE,
            "The labelSelector requirements(items of matchExpressions) are ANDed, the pod cannot schedule onto the node because one of the matchExpression item don't match.",
            OPERATORS,
        ),
        (SINGLE, "pod matches its own Label in PodAffinity and that matches the existing pod Labels", NOT_IN),
        (
            SINGLE,
            "verify that PodAntiAffinity from existing pod is respected when pod has no AntiAffinity constraints. satisfy PodAntiAffinity symmetry with the existing pod",
            NOT_IN,
        ),
        (SINGLE, "PodAffinity fails PreFilter with an invalid affinity label syntax", INVALID),
        (SINGLE, "PodAntiAffinity fails PreFilter with an invalid antiaffinity label syntax", INVALID),
        (SINGLE, "affinity with NamespaceSelector", NAMESPACES),
        (SINGLE, "affinity with non-matching NamespaceSelector", NAMESPACES),
        (SINGLE, "anti-affinity with matching NamespaceSelector", NAMESPACES),
        (SINGLE, "anti-affinity with matching all NamespaceSelector", NAMESPACES),
        (SINGLE, "anti-affinity with non-matching NamespaceSelector", NAMESPACES),
        (
            MULTIPLE,
            "The affinity rule is to schedule all of the pods of this collection to the same zone. The first pod of the collection should not be blocked from being scheduled onto any node, even there's no existing pod that matches the rule anywhere.",
            TWO_SETS,
        ),
        (MULTIPLE, "The first pod of the collection can only be scheduled on nodes labelled with the requested topology keys", TWO_SETS),
        (
            MULTIPLE,
            "NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that matches the inter pod affinity rule. The pod can not be scheduled onto nodeA, nodeB, but can be scheduled onto nodeC (NodeC has an existing pod that match the inter pod affinity rule but in different namespace)",
            NAMESPACES,
        ),
    ];
    let ported = rows().into_iter().map(|row| Case::ported(row.source, row.name, move || check(&row))).collect();
    Suite {
        system: "kube-scheduler",
        component: "InterPodAffinity (filter)",
        upstream: "kubernetes/kubernetes master (interpodaffinity/filtering_test.go @072825f)",
        cases: with_not_expressible(ported, &not_expressible),
    }
}
