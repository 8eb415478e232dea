//! kube-scheduler's PodTopologySpread filter (`DoNotSchedule` constraints):
//! PreFilter's counts over the nodes that pass the pod's node affinity and
//! carry every constraint's key, and Filter's `count + self − min ≤ maxSkew`,
//! read as the set of nodes the `kubernetes` scheduler finds feasible.
//!
//! Upstream's pods labelled `foo`, selected by `fooSelector`, are one workload
//! class here, and the constraints select the incoming pod's own class.
//! Upstream runs the plugin's Filter alone on every node; where a row expects
//! a node the NodeAffinity or TaintToleration filter would reject to pass,
//! that filter is disabled so only PodTopologySpread (and the resource fit,
//! which every node passes) decides.

use orchsim::model::affinity::WhenUnsatisfiable::DoNotSchedule;
use orchsim::policy::scheduler::kubernetes::Plugin;

use crate::harness::{Case, Suite};
use crate::kube_cluster::{by_node, expect_feasible, node, spread_rows, with_not_expressible, NodeRule, NodeSpec, SpreadRow};

const SINGLE: &str = "pkg/scheduler/framework/plugins/podtopologyspread/filtering_test.go: TestSingleConstraint";
const MULTIPLE: &str = "pkg/scheduler/framework/plugins/podtopologyspread/filtering_test.go: TestMultipleConstraints";

/// The class of pods labelled `foo`.
const FOO: u32 = 0;

/// The nodes upstream's filter lets through.
type Row = SpreadRow<&'static [&'static str]>;

fn check(row: &Row) -> Result<(), String> {
    let (_, decision, scores) = row.run(DoNotSchedule);
    expect_feasible(&scores, row.want, &decision)
}

/// Nodes `node-a`, `node-b` (zone1), `node-x`, `node-y` (zone2), each also
/// labelled `node: <name>`.
fn four() -> Vec<NodeSpec> {
    vec![
        node("node-a", &[("zone", "zone1"), ("node", "node-a")]),
        node("node-b", &[("zone", "zone1"), ("node", "node-b")]),
        node("node-x", &[("zone", "zone2"), ("node", "node-x")]),
        node("node-y", &[("zone", "zone2"), ("node", "node-y")]),
    ]
}

const FOUR: [&str; 4] = ["node-a", "node-b", "node-x", "node-y"];

const SPREAD_2_1_0_3: &[&str] = &["node-a", "node-a", "node-b", "node-y", "node-y", "node-y"];

fn rows() -> Vec<Row> {
    let row = spread_rows::<&'static [&'static str]>(FOO);
    // Upstream's two NodeAffinityPolicy-honored rows differ only in how the
    // pod states `foo` (node selector or required affinity).
    let honored = |name, rule| {
        let nodes = by_node(&FOUR, &["node-a", "node-b", "node-x"]);
        row(SINGLE, name, &[(1, "node")], rule, nodes, &["node-a", "node-b", "node-y"], &[Plugin::NodeAffinity], &["node-x", "node-y"])
    };
    let zone: &'static [(u32, &str)] = &[(1, "zone")];
    let by_name: &'static [(u32, &str)] = &[(1, "node")];
    let zone_and_node: &'static [(u32, &str)] = &[(1, "zone"), (1, "node")];
    let all4: &'static [&str] = &["node-a", "node-b", "node-x", "node-y"];
    vec![
        row(SINGLE, "no existing pods", zone, NodeRule::None, four(), &[], &[], all4),
        row(
            SINGLE,
            "pods spread across zones as 3/3, all nodes fit",
            zone,
            NodeRule::None,
            four(),
            &["node-a", "node-a", "node-b", "node-y", "node-y", "node-y"],
            &[],
            all4,
        ),
        row(
            SINGLE,
            "pods spread across zones as 1/2 due to absence of label 'zone' on node-b",
            zone,
            NodeRule::None,
            vec![
                node("node-a", &[("zone", "zone1"), ("node", "node-a")]),
                node("node-b", &[("zon", "zone1"), ("node", "node-b")]),
                node("node-x", &[("zone", "zone2"), ("node", "node-x")]),
                node("node-y", &[("zone", "zone2"), ("node", "node-y")]),
            ],
            &["node-a", "node-b", "node-x", "node-y"],
            &[],
            &["node-a"],
        ),
        row(
            SINGLE,
            "pod cannot be scheduled as all nodes don't have label 'rack'",
            &[(1, "rack")],
            NodeRule::None,
            vec![node("node-a", &[("zone", "zone1"), ("node", "node-a")]), node("node-x", &[("zone", "zone2"), ("node", "node-x")])],
            &[],
            &[],
            &[],
        ),
        row(SINGLE, "pods spread across nodes as 2/1/0/3, only node-x fits", by_name, NodeRule::None, four(), SPREAD_2_1_0_3, &[], &["node-x"]),
        row(
            SINGLE,
            "pods spread across nodes as 2/1/0/3, maxSkew is 2, node-b and node-x fit",
            &[(2, "node")],
            NodeRule::None,
            four(),
            SPREAD_2_1_0_3,
            &[],
            &["node-b", "node-x"],
        ),
        row(
            SINGLE,
            "incoming pod has nodeAffinity, pods spread as 2/~1~/~0~/3, hence node-a fits",
            by_name,
            NodeRule::In("node", &["node-a", "node-y"]),
            four(),
            SPREAD_2_1_0_3,
            &[Plugin::NodeAffinity],
            &["node-a", "node-b", "node-x"],
        ),
        row(
            SINGLE,
            "incoming pod has nodeAffinity, pods spread as 0/~2~/0/1, hence node-a fits",
            zone,
            NodeRule::NotIn("node", &["node-b"]),
            four(),
            &["node-b", "node-b", "node-y"],
            &[Plugin::NodeAffinity],
            &["node-a", "node-b"],
        ),
        honored("NodeAffinityPolicy honored with labelSelectors", NodeRule::SelectorFoo),
        honored("NodeAffinityPolicy honored with nodeAffinity", NodeRule::In("foo", &[""])),
        row(
            SINGLE,
            "NodeTaintsPolicy ignored",
            by_name,
            NodeRule::None,
            {
                let mut n = by_node(&FOUR, &["node-a", "node-b", "node-x"]);
                n[3] = n[3].clone().tainted();
                n
            },
            &["node-a", "node-b", "node-y"],
            &[Plugin::TaintToleration],
            &["node-x"],
        ),
        row(MULTIPLE, "two Constraints on zone and node, spreads = [3/3, 2/1/0/3]", zone_and_node, NodeRule::None, four(), SPREAD_2_1_0_3, &[], &["node-x"]),
        row(
            MULTIPLE,
            "two Constraints on zone and node, spreads = [3/4, 2/1/0/4]",
            zone_and_node,
            NodeRule::None,
            four(),
            &["node-a", "node-a", "node-b", "node-y", "node-y", "node-y", "node-y"],
            &[],
            &[],
        ),
        row(
            MULTIPLE,
            "two Constraints on zone and node, absence of label 'node' on node-x, spreads = [1/1, 1/0/0/1]",
            zone_and_node,
            NodeRule::None,
            vec![
                node("node-a", &[("zone", "zone1"), ("node", "node-a")]),
                node("node-b", &[("zone", "zone1"), ("node", "node-b")]),
                node("node-x", &[("zone", "zone2")]),
                node("node-y", &[("zone", "zone2"), ("node", "node-y")]),
            ],
            &["node-a", "node-y"],
            &[],
            &["node-b"],
        ),
        row(
            MULTIPLE,
            "two node inclusion Constraints, zone: honor/ignore, node: honor/ignore",
            zone_and_node,
            NodeRule::SelectorFoo,
            vec![
                node("node-a", &[("zone", "zone1"), ("node", "node-a"), ("foo", "")]),
                node("node-b", &[("zone", "zone1"), ("node", "node-b")]),
                node("node-x", &[("zone", "zone2"), ("node", "node-x"), ("foo", "")]),
                node("node-y", &[("zone", "zone2"), ("node", "node-y"), ("foo", "")]).tainted(),
            ],
            &["node-a", "node-b", "node-y"],
            &[Plugin::NodeAffinity, Plugin::TaintToleration],
            &["node-b", "node-x"],
        ),
    ]
}

pub fn suite() -> Suite {
    const DIFFERENT_SELECTORS: &str = "constraints with different label selectors (`foo` for zone, `bar` for node) and pods labelled `foo`, `bar` or both: a pod has one workload class, and a spread selector picks only the incoming pod's own class or job";
    const NOT_SELF: &str = "the incoming pod does not match its own constraint's selector (self-match 0): orchsim's spread selectors always select the pod's own class or job";
    const MIN_DOMAINS: &str = "`minDomains` on the constraint: orchsim's spread constraints have no minDomains";
    const AFFINITY_IGNORE: &str = "`nodeAffinityPolicy: Ignore`: orchsim's spread constraints have no nodeAffinityPolicy (always Honor)";
    const TAINTS_HONOR: &str = "`nodeTaintsPolicy: Honor`: orchsim's spread constraints have no nodeTaintsPolicy (always Ignore)";
    let not_expressible = [
        (SINGLE, "no existing pods, incoming pod doesn't match itself", NOT_SELF),
        (SINGLE, "existing pods in a different namespace do not count", "pods in other namespaces (`ns1`, `ns2`): orchsim has no namespaces"),
        (
            SINGLE,
            "existing pods do not match null selector",
            "a constraint with a null labelSelector (selects no pod): orchsim's spread selectors always select the pod's own class or job",
        ),
        (SINGLE, "pods spread across nodes as 2/1/0/3, but pod doesn't match itself", NOT_SELF),
        (
            SINGLE,
            "terminating Pods should be excluded",
            "a terminating pod (deletionTimestamp set) still on its node: orchsim has no terminating state, a deleted pod leaves its node at once",
        ),
        (SINGLE, "pods spread across nodes as 2/2/1, maxSkew is 2, and the number of domains < minDomains, then the third node fits", MIN_DOMAINS),
        (SINGLE, "pods spread across nodes as 2/2/1, maxSkew is 2, and the number of domains > minDomains, then the all nodes fit", MIN_DOMAINS),
        (SINGLE, "pods spread across zone as 2/1, maxSkew is 2 and the number of domains < minDomains, then the third and fourth nodes fit", MIN_DOMAINS),
        (SINGLE, "pods spread across zone as 2/1, maxSkew is 2 and the number of domains > minDomains, then the all nodes fit", MIN_DOMAINS),
        (SINGLE, "NodeAffinityPolicy ignored with labelSelectors", AFFINITY_IGNORE),
        (SINGLE, "NodeAffinityPolicy ignored with labelSelectors", AFFINITY_IGNORE),
        (SINGLE, "NodeTaintsPolicy honored", TAINTS_HONOR),
        (MULTIPLE, "Constraints hold different labelSelectors, spreads = [1/0, 1/0/0/1]", DIFFERENT_SELECTORS),
        (MULTIPLE, "Constraints hold different labelSelectors, spreads = [1/0, 0/0/1/1]", DIFFERENT_SELECTORS),
        (MULTIPLE, "Constraints hold different labelSelectors, spreads = [2/3, 1/0/0/1]", DIFFERENT_SELECTORS),
        (
            MULTIPLE,
            "Constraints hold different labelSelectors but pod doesn't match itself on 'zone' constraint",
            "constraints with different label selectors (`foo`, `bar`), the incoming pod (`bar`) not matching the zone constraint's: a pod has one workload class, and spread selectors pick only the pod's own class or job",
        ),
        (MULTIPLE, "two node inclusion Constraints, zone: honor/ignore, node: ignore/ignore", AFFINITY_IGNORE),
        (MULTIPLE, "two node inclusion Constraints, zone: honor/honor, node: honor/ignore", TAINTS_HONOR),
        (
            MULTIPLE,
            "two node inclusion Constraints, zone: honor/honor, node: ignore/ignore",
            "`nodeTaintsPolicy: Honor` and `nodeAffinityPolicy: Ignore`: orchsim's spread constraints have neither (always Honor / Ignore)",
        ),
    ];
    let ported = rows().into_iter().map(|row| Case::ported(row.source, row.name, move || check(&row))).collect();
    let cases = with_not_expressible(ported, &not_expressible);
    Suite {
        system: "kube-scheduler",
        component: "PodTopologySpread (filter)",
        upstream: "kubernetes/kubernetes master (filtering_test.go @e782787)",
        cases,
    }
}
