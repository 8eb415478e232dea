//! kube-scheduler's PodTopologySpread scoring (`ScheduleAnyway` constraints):
//! PreScore's counts and weights, Score and NormalizeScore, read from the
//! `kubernetes` scheduler's per-plugin scores.
//!
//! Upstream's pods labelled `foo` and selected by `fooSelector` (`foo`
//! exists) are one workload class here, and the constraints select the
//! incoming pod's own class. Upstream's `failedNodes` (nodes that did not
//! pass filtering) have no CPU for the incoming pod, so NodeResourcesFit
//! filters them out. Where upstream hands the plugin a node the NodeAffinity
//! or TaintToleration filter would reject, that filter is disabled so the
//! node reaches PreScore as in the upstream test.

use orchsim::model::affinity::WhenUnsatisfiable::ScheduleAnyway;
use orchsim::policy::scheduler::kubernetes::Plugin;
use orchsim::policy::scheduler::Placement;

use crate::harness::{Case, Suite};
use crate::kube_cluster::{by_node, expect_scores, node, spread_rows, with_not_expressible, NodeRule, NodeSpec, SpreadRow, HOSTNAME};

const SOURCE: &str = "pkg/scheduler/framework/plugins/podtopologyspread/scoring_test.go: TestPodTopologySpreadScore";

/// The class of pods labelled `foo`.
const FOO: u32 = 0;

fn host(name: &'static str) -> NodeSpec {
    node(name, &[(HOSTNAME, name)])
}

fn zoned(name: &'static str, zone: &'static str) -> NodeSpec {
    node(name, &[("zone", zone), (HOSTNAME, name)])
}

/// The candidates' normalized scores upstream expects.
type Row = SpreadRow<&'static [(&'static str, i64)]>;

fn check(row: &Row) -> Result<(), String> {
    let (c, placement, scores) = row.run(ScheduleAnyway);
    if row.want.len() == 1 {
        // One feasible node: the scheduler binds it without scoring, as
        // upstream's schedulePod does; the plugin would have scored it 100.
        let want = row.want[0].0;
        return match placement {
            Placement::Bind(n) if c.node(n).name == want => Ok(()),
            other => Err(format!("got {other:?}, want a bind to {want}")),
        };
    }
    let got = scores.iter().map(|(n, s)| (n.clone(), s.topology_spread.unwrap_or(-1))).collect();
    expect_scores("PodTopologySpread scores", &got, row.want)
}

pub fn suite() -> Suite {
    let four_hosts = || vec![host("node-a"), host("node-b"), host("node-c"), host("node-d")];
    let by_node_foo = || by_node(&["node-a", "node-b", "node-c"], &["node-a", "node-b"]);
    let make = spread_rows::<&'static [(&'static str, i64)]>(FOO);
    let row = |name, constraints, rule, nodes, foo_pods, disabled, want| make(SOURCE, name, constraints, rule, nodes, foo_pods, disabled, want);
    let plain = |name, constraints, nodes, foo_pods, want: &'static [(&'static str, i64)]| row(name, constraints, NodeRule::None, nodes, foo_pods, &[], want);
    let rows = vec![
        plain(
            "one constraint on node, no existing pods",
            &[(1, HOSTNAME)],
            vec![host("node-a"), host("node-b")],
            &[],
            &[("node-a", 100), ("node-b", 100)],
        ),
        plain(
            "one constraint on node, only one node is candidate",
            &[(1, HOSTNAME)],
            vec![host("node-a"), host("node-b").failed()],
            &["node-a", "node-a", "node-b"],
            &[("node-a", 100)],
        ),
        plain(
            "one constraint on node, all nodes have the same number of matching pods",
            &[(1, HOSTNAME)],
            vec![host("node-a"), host("node-b")],
            &["node-a", "node-b"],
            &[("node-a", 100), ("node-b", 100)],
        ),
        plain(
            "one constraint on node, all 4 nodes are candidates",
            &[(1, HOSTNAME)],
            four_hosts(),
            &["node-a", "node-a", "node-b", "node-d", "node-d", "node-d"],
            &[("node-a", 20), ("node-b", 60), ("node-c", 100), ("node-d", 0)],
        ),
        plain(
            "one constraint on node, all 4 nodes are candidates, maxSkew=2",
            &[(2, HOSTNAME)],
            four_hosts(),
            &["node-a", "node-a", "node-b", "node-d", "node-d", "node-d"],
            &[("node-a", 33), ("node-b", 66), ("node-c", 100), ("node-d", 16)],
        ),
        plain(
            "one constraint on node, all 4 nodes are candidates, maxSkew=3",
            &[(3, HOSTNAME)],
            four_hosts(),
            &["node-a", "node-a", "node-a", "node-a", "node-b", "node-b", "node-b", "node-c", "node-c", "node-d"],
            &[("node-a", 44), ("node-b", 66), ("node-c", 77), ("node-d", 100)],
        ),
        plain(
            "one constraint on node, 3 out of 4 nodes are candidates",
            &[(1, HOSTNAME)],
            vec![host("node-a"), host("node-b"), host("node-x"), host("node-y").failed()],
            &["node-a", "node-a", "node-a", "node-a", "node-b", "node-b", "node-x", "node-y", "node-y", "node-y"],
            &[("node-a", 33), ("node-b", 83), ("node-x", 100)],
        ),
        plain(
            "one constraint on node, 3 out of 4 nodes are candidates, one node doesn't match topology key",
            &[(1, HOSTNAME)],
            vec![host("node-a"), node("node-b", &[("n", "node-b")]), host("node-x"), host("node-y").failed()],
            &["node-a", "node-a", "node-a", "node-a", "node-b", "node-b", "node-x", "node-y", "node-y", "node-y"],
            &[("node-a", 16), ("node-b", 0), ("node-x", 100)],
        ),
        plain(
            "one constraint on zone, 3 out of 4 nodes are candidates",
            &[(1, "zone")],
            vec![zoned("node-a", "zone1"), zoned("node-b", "zone1"), zoned("node-x", "zone2"), zoned("node-y", "zone2").failed()],
            &["node-a", "node-a", "node-a", "node-a", "node-b", "node-b", "node-x", "node-y", "node-y", "node-y"],
            &[("node-a", 75), ("node-b", 75), ("node-x", 100)],
        ),
        plain(
            "two Constraints on zone and node, 2 out of 4 nodes are candidates",
            &[(1, "zone"), (1, HOSTNAME)],
            vec![
                zoned("node-a", "zone1"),
                zoned("node-x", "zone2"),
                zoned("node-b", "zone1").failed(),
                zoned("node-y", "zone2").failed(),
            ],
            &["node-a", "node-a", "node-b", "node-x", "node-x", "node-y", "node-y", "node-y", "node-y"],
            &[("node-a", 100), ("node-x", 63)],
        ),
        row(
            "NodeAffinityPolicy honoed with labelSelectors",
            &[(1, "node")],
            NodeRule::SelectorFoo,
            by_node_foo(),
            &["node-a", "node-a", "node-b", "node-c"],
            &[Plugin::NodeAffinity],
            &[("node-a", 0), ("node-b", 33), ("node-c", 100)],
        ),
        row(
            "NodeAffinityPolicy honoed with nodeAffinity",
            &[(1, "node")],
            NodeRule::In("foo", &[""]),
            by_node_foo(),
            &["node-a", "node-a", "node-b", "node-c"],
            &[Plugin::NodeAffinity],
            &[("node-a", 0), ("node-b", 33), ("node-c", 100)],
        ),
        row(
            "NodeTaintsPolicy ignored",
            &[(1, "node")],
            NodeRule::None,
            {
                let mut n = by_node(&["node-a", "node-b", "node-c"], &[]);
                n[2] = n[2].clone().tainted();
                n
            },
            &["node-a", "node-a", "node-b", "node-c"],
            &[Plugin::TaintToleration],
            &[("node-a", 66), ("node-b", 100), ("node-c", 100)],
        ),
    ];
    let not_expressible = [
        (
            "one constraint on node, null selector",
            "a constraint with a null labelSelector (selects no pod): orchsim's spread selectors always select the pod's own class or job",
        ),
        (
            "system defaulting, nodes don't have zone, pods match service",
            "system default constraints for a pod without constraints because a Service's selector matches its labels, on nodes without a zone label (upstream then does not require every key): orchsim has no Service objects or pod labels in the scheduler and gives the defaults to service replicas as explicit constraints when reading a scenario",
        ),
        (
            "two Constraints on zone and node, with different labelSelectors",
            "two constraints with different label selectors (`foo`, `bar`) and pods labelled `foo`, `bar` or both: a pod has one workload class, and a spread selector picks only the incoming pod's own class or job",
        ),
        (
            "two Constraints on zone and node, with different labelSelectors, some nodes have 0 pods",
            "two constraints with different label selectors (`foo`, `bar`) and pods labelled `foo`, `bar` or both: a pod has one workload class, and a spread selector picks only the incoming pod's own class or job",
        ),
        (
            "two Constraints on zone and node, with different labelSelectors, 3 out of 4 nodes are candidates",
            "two constraints with different label selectors (`foo`, `bar`) and pods labelled `foo`, `bar` or both: a pod has one workload class, and a spread selector picks only the incoming pod's own class or job",
        ),
        ("existing pods in a different namespace do not count", "pods in another namespace (`ns1`): orchsim has no namespaces"),
        (
            "terminating Pods should be excluded",
            "a terminating pod (deletionTimestamp set) still on its node: orchsim has no terminating state, a deleted pod leaves its node at once",
        ),
        ("minDomains has no effect when ScheduleAnyway", "`minDomains` on a constraint: orchsim's spread constraints have no minDomains"),
        (
            "NodeAffinityPolicy ignored with labelSelectors",
            "`nodeAffinityPolicy: Ignore`: orchsim's spread constraints have no nodeAffinityPolicy (always Honor)",
        ),
        (
            "NodeAffinityPolicy ignored with nodeAffinity",
            "`nodeAffinityPolicy: Ignore`: orchsim's spread constraints have no nodeAffinityPolicy (always Honor)",
        ),
        ("NodeTaintsPolicy honored", "`nodeTaintsPolicy: Honor`: orchsim's spread constraints have no nodeTaintsPolicy (always Ignore)"),
        (
            "matchLabelKeys ignored when feature gate disabled",
            "`matchLabelKeys` (with its feature gate off) and a second constraint selecting pods labelled `bar`: no matchLabelKeys, no pod labels, one class per pod",
        ),
        (
            "matchLabelKeys ANDed with LabelSelector when LabelSelector is empty",
            "`matchLabelKeys` (`foo`, `bar`) merged into empty label selectors: orchsim has no matchLabelKeys and no pod labels",
        ),
        (
            "matchLabelKeys ANDed with LabelSelector when LabelSelector isn't empty",
            "`matchLabelKeys` (`baz`) ANDed with a `bar` selector, pods labelled `foo`, `bar`, `baz` in combinations: orchsim has no matchLabelKeys and no pod labels",
        ),
    ];
    let ported = rows.into_iter().map(|row| Case::ported(SOURCE, row.name, move || check(&row))).collect();
    let cases = with_not_expressible(ported, &not_expressible.map(|(name, why)| (SOURCE, name, why)));
    Suite {
        system: "kube-scheduler",
        component: "PodTopologySpread (score)",
        upstream: "kubernetes/kubernetes master (scoring_test.go @38f68d5, scoring.go @7d6a59c)",
        cases,
    }
}
