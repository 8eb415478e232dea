//! kube-scheduler's NodeAffinity plugin: the filter (node selector and
//! required terms, as a bind or a node-affinity rejection on a one-node
//! cluster) and the score (the summed weights of the preferred terms a node
//! matches, normalized by the highest, from the scheduler's `last_scores()`),
//! on nodes carrying the rows' labels.

use std::collections::BTreeMap;
use std::sync::Arc;

use orchsim::model::affinity::{NodeAffinity, NodePlacement, PreferredTerm, Requirement, SelectorOperator, Term};
use orchsim::model::{Node, NodeId};
use orchsim::policy::scheduler::Placement;

use crate::harness::{Case, Suite};
use crate::kube_fixtures::{cluster, decide, expect, node, pod};

const FILTER: &str = "pkg/scheduler/framework/plugins/nodeaffinity/node_affinity_test.go: TestNodeAffinity";
const SCORE: &str = "pkg/scheduler/framework/plugins/nodeaffinity/node_affinity_test.go: TestNodeAffinityPriority";

const ADDED: &str = "NodeAffinityArgs.addedAffinity (a profile-wide node affinity added to every pod): orchsim's profile \
                     has no such parameter";

const MATCH_FIELDS: &str = "matchFields (metadata.name) node selector requirements: orchsim's terms hold matchExpressions \
                           on labels only";
const INVALID_VALUE: &str = "a NotIn value that is no valid label value: upstream's labels.NewRequirement rejects it, so the \
                             term matches no node; orchsim compares the strings and the node matches";

/// A requirement: key, operator, values.
type Req = (&'static str, SelectorOperator, &'static [&'static str]);

/// One filter row: the pod's node selector, its required terms (ORed; each
/// a list of ANDed requirements), the node's labels, and whether the pod may
/// go there.
fn filter(name: &'static str, selector: Labels, required: &'static [&'static [Req]], labels: Labels, fits: bool) -> Case {
    let check = move || {
        let mut n = node("node1", 4000, 8 << 30, 0);
        n.labels.extend(labels.iter().map(|&(k, v)| (k.to_string(), v.to_string())));
        let mut p = pod(100, 1 << 20, 0);
        let required = required
            .iter()
            .map(|term| Term {
                match_expressions: term
                    .iter()
                    .map(|&(key, operator, values)| Requirement {
                        key: key.into(),
                        operator,
                        values: values.iter().map(|v| v.to_string()).collect(),
                    })
                    .collect(),
            })
            .collect();
        p.placement = Arc::new(NodePlacement {
            node_selector: selector.iter().map(|&(k, v)| (k.to_string(), v.to_string())).collect(),
            affinity: NodeAffinity { required, preferred: Vec::new() },
            ..Default::default()
        });
        match decide(&cluster(vec![n], &[]), &p).0 {
            Placement::Bind(NodeId(0)) if fits => Ok(()),
            Placement::Unschedulable(f) if !fits && f.node_affinity_mismatch == 1 => Ok(()),
            other => Err(format!("got {other:?}, want {}", if fits { "a bind" } else { "one node-affinity rejection" })),
        }
    };
    if name == INVALID_ROW {
        Case::deviates(FILTER, name, INVALID_VALUE, check)
    } else {
        Case::ported(FILTER, name, check)
    }
}

const INVALID_ROW: &str = "Pod with an invalid value in Affinity term won't be scheduled onto the node";

fn filter_cases() -> Vec<Case> {
    use SelectorOperator::{Exists, Gt, In, NotIn};
    const FOO_BAR: Labels = &[("foo", "bar")];
    const GPU: Labels = &[("GPU", "NVIDIA-GRID-K1")];
    const GPU_NOT_AMD: &[&[Req]] = &[&[("GPU", Exists, &[]), ("GPU", NotIn, &["AMD", "INTER"])]];
    let mut cases = vec![
        filter("missing labels", FOO_BAR, &[], &[], false),
        filter("same labels", FOO_BAR, &[], FOO_BAR, true),
        filter("node labels are superset", FOO_BAR, &[], &[("foo", "bar"), ("baz", "blah")], true),
        filter("node labels are subset", &[("foo", "bar"), ("baz", "blah")], &[], FOO_BAR, false),
        filter(
            "Pod with matchExpressions using In operator that matches the existing node",
            &[],
            &[&[("foo", In, &["bar", "value2"])]],
            FOO_BAR,
            true,
        ),
        filter(
            "Pod with matchExpressions using Gt operator that matches the existing node",
            &[],
            &[&[("kernel-version", Gt, &["0204"])]],
            &[("kernel-version", "0206")],
            true,
        ),
        filter(
            "Pod with matchExpressions using NotIn operator that matches the existing node",
            &[],
            &[&[("mem-type", NotIn, &["DDR", "DDR2"])]],
            &[("mem-type", "DDR3")],
            true,
        ),
        filter("Pod with matchExpressions using Exists operator that matches the existing node", &[], &[&[("GPU", Exists, &[])]], GPU, true),
        filter(
            "Pod with affinity that don't match node's labels won't schedule onto the node",
            &[],
            &[&[("foo", In, &["value1", "value2"])]],
            FOO_BAR,
            false,
        ),
        filter(
            "Pod with empty MatchExpressions is not a valid value will match no objects and won't schedule onto the node",
            &[],
            &[&[]],
            FOO_BAR,
            false,
        ),
        filter("Pod with no Affinity will schedule onto a node", &[], &[], FOO_BAR, true),
        // A nil required node selector is no required term.
        filter("Pod with Affinity but nil NodeSelector will schedule onto a node", &[], &[], FOO_BAR, true),
        filter("Pod with multiple matchExpressions ANDed that matches the existing node", &[], GPU_NOT_AMD, GPU, true),
        filter(
            "Pod with multiple matchExpressions ANDed that doesn't match the existing node",
            &[],
            &[&[("GPU", Exists, &[]), ("GPU", In, &["AMD", "INTER"])]],
            GPU,
            false,
        ),
        filter(
            "Pod with multiple NodeSelectorTerms ORed in affinity, matches the node's labels and will schedule onto the node",
            &[],
            &[&[("foo", In, &["bar", "value2"])], &[("diffkey", In, &["wrong", "value2"])]],
            FOO_BAR,
            true,
        ),
        filter(
            "Pod with an Affinity and a PodSpec.NodeSelector(the old thing that we are deprecating) both are satisfied, will schedule onto the node",
            FOO_BAR,
            &[&[("foo", Exists, &[])]],
            FOO_BAR,
            true,
        ),
        filter(
            "Pod with an Affinity matches node's labels but the PodSpec.NodeSelector(the old thing that we are deprecating) is not satisfied, won't schedule onto the node",
            FOO_BAR,
            &[&[("foo", Exists, &[])]],
            &[("foo", "barrrrrr")],
            false,
        ),
        filter(INVALID_ROW, &[], &[&[("foo", NotIn, &["invalid value: ___@#$%^"])]], FOO_BAR, false),
    ];
    for name in [
        "Pod with matchFields using In operator that matches the existing node",
        "Pod with matchFields using In operator that does not match the existing node",
        "Pod with two terms: matchFields does not match, but matchExpressions matches",
        "Pod with one term: matchFields does not match, but matchExpressions matches",
        "Pod with one term: both matchFields and matchExpressions match",
        "Pod with two terms: both matchFields and matchExpressions do not match",
        "Pod with two terms of node.Name affinity",
        "Pod with two conflicting mach field requirements",
    ] {
        cases.push(Case::not_expressible(FILTER, name, MATCH_FIELDS));
    }
    for name in ["Matches added affinity and Pod's node affinity", "Matches added affinity but not Pod's node affinity", "Doesn't match added affinity"] {
        cases.push(Case::not_expressible(FILTER, name, ADDED));
    }
    // orchsim has no PreFilter state: the filter always reads the pod's rules.
    cases.push(filter("Matches node selector correctly even if PreFilter is not called", FOO_BAR, &[], &[("foo", "bar"), ("baz", "blah")], true));
    cases.push(filter("Matches node affinity correctly even if PreFilter is not called", &[], GPU_NOT_AMD, GPU, true));
    cases
}

type Labels = &'static [(&'static str, &'static str)];

const LABEL1: Labels = &[("foo", "bar")];
const LABEL2: Labels = &[("key", "value")];
const LABEL3: Labels = &[("az", "az1")];
const LABEL4: Labels = &[("abc", "az11"), ("def", "az22")];
const LABEL5: Labels = &[("foo", "bar"), ("key", "value"), ("az", "az1")];

/// A preferred term: its weight and `key In [value]` requirements.
type Pref = (i64, &'static [(&'static str, &'static str)]);

/// upstream's `affinity1`: foo=bar, weight 2.
const AFFINITY1: &[Pref] = &[(2, &[("foo", "bar")])];
/// upstream's `affinity2`: foo=bar 2, key=value 4, and all three labels 5.
const AFFINITY2: &[Pref] = &[(2, &[("foo", "bar")]), (4, &[("key", "value")]), (5, &[("foo", "bar"), ("key", "value"), ("az", "az1")])];

fn row(name: &'static str, preferred: &'static [Pref], labels: [Labels; 3], want: [i64; 3]) -> Case {
    Case::ported(SCORE, name, move || {
        let nodes: Vec<Node> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let mut n = node(&format!("node{i}"), 4000, 8 << 30, 0);
                n.labels.extend(l.iter().map(|&(k, v)| (k.to_string(), v.to_string())));
                n
            })
            .collect();
        let preferred = preferred
            .iter()
            .map(|&(weight, reqs)| PreferredTerm {
                weight,
                match_expressions: reqs
                    .iter()
                    .map(|&(k, v)| Requirement { key: k.into(), operator: SelectorOperator::In, values: vec![v.into()] })
                    .collect(),
            })
            .collect();
        let mut p = pod(100, 1 << 20, 0);
        p.placement = Arc::new(NodePlacement {
            node_selector: BTreeMap::new(),
            affinity: NodeAffinity { required: Vec::new(), preferred },
            ..Default::default()
        });
        let (_, scores) = decide(&cluster(nodes, &[]), &p);
        let got: Vec<i64> = scores.iter().map(|s| s.node_affinity).collect();
        expect("normalized NodeAffinity scores", got, want.to_vec())
    })
}

pub fn suite() -> Suite {
    let mut cases = filter_cases();
    cases.extend([
        row("all nodes are same priority as NodeAffinity is nil", &[], [LABEL1, LABEL2, LABEL3], [0, 0, 0]),
        row(
            "no node matches preferred scheduling requirements in NodeAffinity of pod so all nodes' priority is zero",
            AFFINITY1,
            [LABEL4, LABEL2, LABEL3],
            [0, 0, 0],
        ),
        row("only node1 matches the preferred scheduling requirements of pod", AFFINITY1, [LABEL1, LABEL2, LABEL3], [100, 0, 0]),
        row(
            "all nodes matches the preferred scheduling requirements of pod but with different priorities ",
            AFFINITY2,
            [LABEL1, LABEL5, LABEL2],
            [18, 100, 36],
        ),
        Case::not_expressible(SCORE, "added affinity", ADDED),
        Case::not_expressible(SCORE, "added affinity and pod has default affinity", ADDED),
        // orchsim has no PreScore state: the score always reads the pod's terms.
        row("calculate the priorities correctly even if PreScore is not called", AFFINITY2, [LABEL1, LABEL5, LABEL2], [18, 100, 36]),
    ]);
    Suite { system: "kube-scheduler", component: "NodeAffinity", upstream: "kubernetes/kubernetes @022462c (2023)", cases }
}
