//! Builders shared by the kube-scheduler suites: a cluster of labelled nodes,
//! existing pods bound to them, and one scheduling cycle of the `kubernetes`
//! scheduler for an incoming pod, read back through `last_scores()`.
//!
//! Upstream's tables label pods and select them with label selectors; orchsim
//! pods carry a workload class and a job instead, and selectors pick the
//! owner's class, its job or a named class. A suite maps each upstream label
//! set it can state to a class (e.g. pods labelled `foo` are class 0); the
//! rows it cannot map are `Case::not_expressible`.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::harness::Case;
use orchsim::engine::{stream_rng, StreamId};
use orchsim::model::affinity::{
    NodeAffinity, NodePlacement, PodSelector, Requirement, SelectorOperator, SpreadConstraint, Term, WhenUnsatisfiable,
};
use orchsim::model::{Cluster, ImageSpec, Node, NodeId, Pod, PodId, PodTemplate, Resources, Taint, TaintEffect};
use orchsim::policy::scheduler::kubernetes::{KubernetesParams, KubernetesScheduler, NodeScores, Plugin};
use orchsim::policy::scheduler::{ClusterView, Placement, Scheduler};
use orchsim::time::{SimDuration, SimTime};

/// The hostname label, which upstream's scoring treats specially.
pub const HOSTNAME: &str = "kubernetes.io/hostname";

/// A node of a test cluster.
#[derive(Clone)]
pub struct NodeSpec {
    pub name: &'static str,
    pub labels: Vec<(&'static str, &'static str)>,
    /// Filtered out before the plugins under test see it (upstream's
    /// `failedNodes`): no CPU to hold the incoming pod.
    pub failed: bool,
    /// Tainted `node.kubernetes.io/unschedulable:NoSchedule` (upstream's `taints`).
    pub tainted: bool,
}

/// A candidate node `name` with `labels`.
pub fn node(name: &'static str, labels: &[(&'static str, &'static str)]) -> NodeSpec {
    NodeSpec { name, labels: labels.to_vec(), failed: false, tainted: false }
}

impl NodeSpec {
    /// The same node, filtered out by NodeResourcesFit.
    pub fn failed(self) -> NodeSpec {
        NodeSpec { failed: true, ..self }
    }

    /// The same node with upstream's NoSchedule taint.
    pub fn tainted(self) -> NodeSpec {
        NodeSpec { tainted: true, ..self }
    }
}

fn build_node(spec: &NodeSpec) -> Node {
    let labels: BTreeMap<String, String> = spec.labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let cpu_milli = if spec.failed { 0 } else { 64_000 };
    let taints = if spec.tainted {
        vec![Taint { key: "node.kubernetes.io/unschedulable".into(), value: String::new(), effect: TaintEffect::NoSchedule }]
    } else {
        Vec::new()
    };
    let zone = labels.get("zone").cloned().unwrap_or_default();
    Node {
        zone,
        labels,
        taints,
        pull_latency: SimDuration::ZERO,
        image_ready_at: vec![Some(SimTime::ZERO)],
        ..Node::new(spec.name.to_string(), Resources { cpu_milli, memory_bytes: 256 << 30, gpu: 0 }, 1)
    }
}

/// A pod of workload `class` and `job` with `placement`, requesting `cpu_milli`.
pub fn pod(class: u32, job: u32, placement: NodePlacement, cpu_milli: u64) -> Pod {
    // Upstream's st.MakePod() sets no requests; these suites check spread and
    // affinity scores only, so the requests are explicit zeros as in the Fit suites.
    let requests = Resources { cpu_milli, memory_bytes: 0, gpu: 0 };
    let template = PodTemplate { placement: Arc::new(placement), ..PodTemplate::new(class, requests) };
    Pod::pending(PodId(0), job, 0, &template, None, SimDuration::ZERO, SimTime::ZERO)
}

/// A cluster of `nodes` with `existing` pods bound, each to the node named.
pub fn cluster(nodes: &[NodeSpec], existing: Vec<(&str, Pod)>) -> Cluster {
    let image = ImageSpec { name: "app:latest".into(), size_bytes: 1 };
    let mut c = Cluster::new(nodes.iter().map(build_node).collect(), vec![image]);
    for (on, mut p) in existing {
        let at = nodes.iter().position(|n| n.name == on).unwrap_or_else(|| panic!("no node {on}"));
        p.id = PodId(c.pods.len() as u32);
        let id = c.submit(p);
        c.bind(id, NodeId(at as u32), SimTime::ZERO);
    }
    c
}

/// The default profile without `disabled` plugins.
pub fn params(disabled: &[Plugin]) -> KubernetesParams {
    KubernetesParams { disabled_plugins: disabled.to_vec(), ..Default::default() }
}

/// One scheduling cycle of `incoming` on `c`: the decision and the per-plugin
/// scores of the feasible nodes (normalized when two or more were feasible),
/// keyed by node name.
pub fn schedule(params: KubernetesParams, c: &Cluster, incoming: &Pod) -> (Placement, BTreeMap<String, NodeScores>) {
    let mut s = KubernetesScheduler::new(params, stream_rng(1, 0, StreamId::SCHEDULER));
    let mut p = incoming.clone();
    p.id = PodId(c.pods.len() as u32);
    let placement = s.schedule(&p, &ClusterView::new(c, SimTime::ZERO));
    let scores = s.last_scores().iter().map(|x| (c.node(x.node).name.clone(), *x)).collect();
    (placement, scores)
}

/// Compares `got` with `want` per node name, naming every difference.
pub fn expect_scores(what: &str, got: &BTreeMap<String, i64>, want: &[(&str, i64)]) -> Result<(), String> {
    let want: BTreeMap<String, i64> = want.iter().map(|(n, s)| (n.to_string(), *s)).collect();
    if *got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}

/// Node rules of an incoming pod in upstream's spread tables.
#[derive(Clone, Copy)]
pub enum NodeRule {
    None,
    /// `nodeSelector: {foo: ""}`.
    SelectorFoo,
    /// Required node affinity `key In values`.
    In(&'static str, &'static [&'static str]),
    /// Required node affinity `key NotIn values`.
    NotIn(&'static str, &'static [&'static str]),
}

/// An incoming pod of class `class` with spread `constraints` (`(maxSkew,
/// topologyKey)`, all `when`, selecting its own class) and node `rule`.
pub fn spread_pod(class: u32, constraints: &[(u32, &str)], when: WhenUnsatisfiable, rule: NodeRule) -> Pod {
    let topology_spread = (constraints.iter())
        .map(|&(max_skew, key)| SpreadConstraint {
            max_skew,
            topology_key: key.to_string(),
            when_unsatisfiable: when,
            selector: PodSelector::Workload,
        })
        .collect();
    let mut placement = NodePlacement { topology_spread, ..Default::default() };
    let required = |key: &str, operator, values: &[&str]| {
        let r = Requirement { key: key.into(), operator, values: values.iter().map(|v| v.to_string()).collect() };
        NodeAffinity { required: vec![Term { match_expressions: vec![r] }], preferred: vec![] }
    };
    match rule {
        NodeRule::None => {}
        NodeRule::SelectorFoo => {
            placement.node_selector.insert("foo".into(), String::new());
        }
        NodeRule::In(key, values) => placement.affinity = required(key, SelectorOperator::In, values),
        NodeRule::NotIn(key, values) => placement.affinity = required(key, SelectorOperator::NotIn, values),
    }
    pod(class, 0, placement, 100)
}

/// Nodes labelled `node: <name>`, those in `with_foo` also `foo: ""`.
pub fn by_node(names: &[&'static str], with_foo: &[&str]) -> Vec<NodeSpec> {
    (names.iter()).map(|&n| if with_foo.contains(&n) { node(n, &[("node", n), ("foo", "")]) } else { node(n, &[("node", n)]) }).collect()
}

/// A cluster of `nodes` with one pod of `class` on each node named in `on`
/// (a name repeated for more).
pub fn with_pods(nodes: &[NodeSpec], class: u32, on: &[&str]) -> Cluster {
    cluster(nodes, on.iter().map(|&n| (n, pod(class, 1, NodePlacement::default(), 0))).collect())
}

/// One row of upstream's spread tables that orchsim can state: constraints
/// `(maxSkew, topologyKey)` selecting the `foo` pods (class `class`), the
/// incoming pod's node rule, the nodes, the nodes holding one `foo` pod each
/// (a name repeated for more), the plugins disabled, and what upstream
/// expects (`W`).
pub struct SpreadRow<W> {
    pub source: &'static str,
    pub name: &'static str,
    pub class: u32,
    pub constraints: &'static [(u32, &'static str)],
    pub rule: NodeRule,
    pub nodes: Vec<NodeSpec>,
    pub foo_pods: &'static [&'static str],
    pub disabled: &'static [Plugin],
    pub want: W,
}

/// A maker of rows whose `foo` pods are of `class`, taking the rest in
/// upstream's order: (source, name, constraints, rule, nodes, foo pods,
/// disabled plugins, expectation).
#[allow(clippy::type_complexity)]
pub fn spread_rows<W>(
    class: u32,
) -> impl Fn(
    &'static str,
    &'static str,
    &'static [(u32, &'static str)],
    NodeRule,
    Vec<NodeSpec>,
    &'static [&'static str],
    &'static [Plugin],
    W,
) -> SpreadRow<W> {
    move |source, name, constraints, rule, nodes, foo_pods, disabled, want| SpreadRow {
        source,
        name,
        class,
        constraints,
        rule,
        nodes,
        foo_pods,
        disabled,
        want,
    }
}

impl<W> SpreadRow<W> {
    /// One scheduling cycle of the row's incoming pod with its constraints
    /// all `when`: the cluster, the decision and the feasible nodes' scores.
    pub fn run(&self, when: WhenUnsatisfiable) -> (Cluster, Placement, BTreeMap<String, NodeScores>) {
        let c = with_pods(&self.nodes, self.class, self.foo_pods);
        let (placement, scores) = schedule(params(self.disabled), &c, &spread_pod(self.class, self.constraints, when, self.rule));
        (c, placement, scores)
    }
}

/// `ported` followed by the rows orchsim cannot state, each `(source, name, why)`.
pub fn with_not_expressible(mut ported: Vec<Case>, rows: &[(&'static str, &'static str, &'static str)]) -> Vec<Case> {
    ported.extend(rows.iter().map(|&(source, name, why)| Case::not_expressible(source, name, why)));
    ported
}

/// Compares the feasible nodes of a cycle (the keys of its scores) with the
/// nodes upstream's filter lets through.
pub fn expect_feasible(scores: &BTreeMap<String, NodeScores>, want: &[&str], decision: &Placement) -> Result<(), String> {
    let got: Vec<&str> = scores.keys().map(String::as_str).collect();
    let mut want = want.to_vec();
    want.sort_unstable();
    if got == want {
        Ok(())
    } else {
        Err(format!("feasible nodes {got:?}, want {want:?} ({decision:?})"))
    }
}
