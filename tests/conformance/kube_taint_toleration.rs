//! kube-scheduler's TaintToleration plugin: the PreferNoSchedule score
//! (normalized, reversed) and the NoSchedule / NoExecute filter, run through
//! the scheduler on nodes carrying the rows' taints.

use std::sync::Arc;

use orchsim::model::{NodeId, Taint, TaintEffect, Toleration, TolerationOperator};
use orchsim::policy::scheduler::Placement;

use crate::harness::{Case, Suite};
use crate::kube_fixtures::{cluster, decide, expect, node, pod};

const SCORE: &str = "pkg/scheduler/framework/plugins/tainttoleration/taint_toleration_test.go: TestTaintTolerationScore";
const FILTER: &str = "pkg/scheduler/framework/plugins/tainttoleration/taint_toleration_test.go: TestTaintTolerationFilter";
const GATE: &str = "pkg/scheduler/framework/plugins/tainttoleration/taint_toleration_test.go: TestTaintTolerationFilterWithFeatureGate";

const COMPARISON: &str = "toleration operators Gt and Lt (TaintTolerationComparisonOperators, alpha): orchsim's tolerations \
                          have Equal and Exists only";

use TaintEffect::{NoSchedule as NS, PreferNoSchedule as PNS};

/// A taint `key=value:effect`.
type T = (&'static str, &'static str, TaintEffect);
/// A toleration (key, Exists?, value, effect).
type Tol = (&'static str, bool, &'static str, Option<TaintEffect>);

fn taints(list: &[T]) -> Vec<Taint> {
    list.iter().map(|&(key, value, effect)| Taint { key: key.into(), value: value.into(), effect }).collect()
}

/// A small pod with these tolerations.
fn tolerating(list: &[Tol]) -> orchsim::model::Pod {
    let mut p = pod(100, 1 << 20, 0);
    let tolerations: Vec<Toleration> = list
        .iter()
        .map(|&(key, exists, value, effect)| Toleration {
            key: key.into(),
            operator: if exists { TolerationOperator::Exists } else { TolerationOperator::Equal },
            value: value.into(),
            effect,
            toleration_seconds: None,
        })
        .collect();
    p.tolerations = Arc::from(tolerations);
    p
}

/// Nodes with `taints` each, roomy enough for the pod.
fn tainted_cluster(per_node: &[&[T]]) -> orchsim::model::Cluster {
    let nodes = per_node
        .iter()
        .enumerate()
        .map(|(i, t)| orchsim::model::Node { taints: taints(t), ..node(&format!("node{i}"), 4000, 8 << 30, 0) })
        .collect();
    cluster(nodes, &[])
}

fn score(name: &'static str, tolerations: &'static [Tol], per_node: &'static [&'static [T]], want: &'static [i64]) -> Case {
    Case::ported(SCORE, name, move || {
        let (_, scores) = decide(&tainted_cluster(per_node), &tolerating(tolerations));
        let got: Vec<i64> = scores.iter().map(|s| s.taint_toleration).collect();
        expect("normalized TaintToleration scores", got.as_slice(), want)
    })
}

/// One node: the pod fits it (`true`) or the taint filter rejects it.
fn filter(name: &'static str, tolerations: &'static [Tol], node_taints: &'static [T], fits: bool) -> Case {
    Case::ported(FILTER, name, move || {
        let (placement, _) = decide(&tainted_cluster(&[node_taints]), &tolerating(tolerations));
        match placement {
            Placement::Bind(NodeId(0)) if fits => Ok(()),
            Placement::Unschedulable(f) if !fits && f.untolerated_taint == 1 => Ok(()),
            other => Err(format!("got {other:?}, want {}", if fits { "a bind" } else { "one untolerated-taint rejection" })),
        }
    })
}

const FOO_BAR: &[Tol] = &[("foo", false, "bar", Some(PNS))];
const ARM_SSD: &[Tol] = &[("cpu-type", false, "arm64", Some(PNS)), ("disk-type", false, "ssd", Some(PNS))];
const ARM: &[T] = &[("cpu-type", "arm64", PNS)];
const ARM_AND_SSD: &[T] = &[("cpu-type", "arm64", PNS), ("disk-type", "ssd", PNS)];
const DEDICATED_USER1: &[T] = &[("dedicated", "user1", NS)];

pub fn suite() -> Suite {
    let mut cases = vec![
        score(
            "node with taints tolerated by the pod, gets a higher score than those node with intolerable taints",
            FOO_BAR,
            &[&[("foo", "bar", PNS)], &[("foo", "blah", PNS)]],
            &[100, 0],
        ),
        score(
            "the nodes that all of their taints are tolerated by the pod, get the same score, no matter how many tolerable taints a node has",
            ARM_SSD,
            &[&[], ARM, ARM_AND_SSD],
            &[100, 100, 100],
        ),
        score("the more intolerable taints a node has, the lower score it gets.", FOO_BAR, &[&[], ARM, ARM_AND_SSD], &[100, 50, 0]),
        score(
            "only taints and tolerations that have effect PreferNoSchedule are checked by taints-tolerations priority function",
            &[("cpu-type", false, "arm64", Some(NS)), ("disk-type", false, "ssd", Some(NS))],
            &[&[], &[("cpu-type", "arm64", NS)], ARM_AND_SSD],
            &[100, 100, 0],
        ),
        score("Default behaviour No taints and tolerations, lands on node with no taints", &[], &[&[], ARM], &[100, 0]),
        Case::not_expressible(SCORE, "Numeric Gt operator: pod with Gt toleration prefers nodes with matching SLA taint", COMPARISON),
        Case::not_expressible(SCORE, "Numeric Lt operator: pod with Lt toleration prefers nodes with matching SLA taint", COMPARISON),
        Case::not_expressible(SCORE, "Score ignores parse errors from numeric PreferNoSchedule taint value", COMPARISON),
        filter("A pod having no tolerations can't be scheduled onto a node with nonempty taints", &[], DEDICATED_USER1, false),
        filter(
            "A pod which can be scheduled on a dedicated node assigned to user1 with effect NoSchedule",
            &[("dedicated", false, "user1", Some(NS))],
            DEDICATED_USER1,
            true,
        ),
        filter(
            "A pod which can't be scheduled on a dedicated node assigned to user2 with effect NoSchedule",
            &[("dedicated", false, "user2", Some(NS))],
            DEDICATED_USER1,
            false,
        ),
        filter(
            "A pod can be scheduled onto the node, with a toleration uses operator Exists that tolerates the taints on the node",
            &[("foo", true, "", Some(NS))],
            &[("foo", "bar", NS)],
            true,
        ),
        filter(
            "A pod has multiple tolerations, node has multiple taints, all the taints are tolerated, pod can be scheduled onto the node",
            &[("dedicated", false, "user2", Some(NS)), ("foo", true, "", Some(NS))],
            &[("dedicated", "user2", NS), ("foo", "bar", NS)],
            true,
        ),
        filter(
            "A pod has a toleration that keys and values match the taint on the node, but (non-empty) effect doesn't match, can't be scheduled onto the node",
            &[("foo", false, "bar", Some(PNS))],
            &[("foo", "bar", NS)],
            false,
        ),
        filter(
            "The pod has a toleration that keys and values match the taint on the node, the effect of toleration is empty, and the effect of taint is NoSchedule. Pod can be scheduled onto the node",
            &[("foo", false, "bar", None)],
            &[("foo", "bar", NS)],
            true,
        ),
        filter(
            "The pod has a toleration that key and value don't match the taint on the node, but the effect of taint on node is PreferNoSchedule. Pod can be scheduled onto the node",
            &[("dedicated", false, "user2", Some(NS))],
            &[("dedicated", "user1", PNS)],
            true,
        ),
        filter(
            "The pod has no toleration, but the effect of taint on node is PreferNoSchedule. Pod can be scheduled onto the node",
            &[],
            &[("dedicated", "user1", PNS)],
            true,
        ),
    ];
    for name in [
        "Pod with Gt toleration cannot be scheduled on node when taint value is lower than threshold",
        "Pod with Gt toleration can be scheduled on node when taint value is higher than threshold",
        "Pod with Lt toleration cannot be scheduled on node when taint value is higher than threshold",
        "Pod with Lt toleration can be scheduled on node when taint value is lower than threshold",
        "Pod with Gt toleration cannot be scheduled on node with non-numeric taint value",
    ] {
        cases.push(Case::not_expressible(FILTER, name, COMPARISON));
    }
    for name in [
        "Pod with Gt toleration can be scheduled when feature gate is enabled and taint value is higher",
        "Pod with Gt toleration cannot be scheduled when feature gate is disabled",
        "Pod with Lt toleration can be scheduled when feature gate is enabled and taint value is lower",
        "Pod with Lt toleration cannot be scheduled when feature gate is disabled",
        "Pod with mixed tolerations (Equal and Gt) when feature gate is disabled - only Equal is honored",
        "Pod with mixed tolerations, Gt toleration needed but filtered out when feature gate is disabled",
    ] {
        cases.push(Case::not_expressible(GATE, name, COMPARISON));
    }
    Suite { system: "kube-scheduler", component: "TaintToleration", upstream: "kubernetes/kubernetes master 2025 @04c0d74", cases }
}
