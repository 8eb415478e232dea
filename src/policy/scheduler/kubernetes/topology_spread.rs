//! PodTopologySpread (semantics.md §1; upstream `podtopologyspread/filtering.go`,
//! `scoring.go` and `common.go`), for explicit constraints on workload classes.
//!
//! * A node takes part in a constraint's counts if it passes the pod's node
//!   selector and required affinity (`nodeAffinityPolicy: Honor`, the default;
//!   taints are ignored, `nodeTaintsPolicy: Ignore`) and carries the keys of
//!   **all** the pod's constraints of the same kind (`nodeLabelsMatchSpreadConstraints`,
//!   over the hard constraints for the filter and the soft ones for the score).
//! * **Filter** (`DoNotSchedule`): a node passes if
//!   `count(its domain) + 1 − min over domains ≤ max_skew`.
//! * **Score** (`ScheduleAnyway`, PreScore after filtering):
//!   `Σ_c count_c · ln(#domains_c + 2) + (max_skew_c − 1)`, rounded, where
//!   `#domains_c` counts the key's values among the nodes that *passed
//!   filtering* (for `kubernetes.io/hostname`: those nodes, and the count is
//!   the node's own pods); normalized as `100·(max + min − s) / max` (all 100
//!   when max is 0); nodes lacking a key score 0.
//!
//! The system default constraints (hostname skew 3, zone skew 5) are given to
//! service replicas as explicit constraints when the scenario is read; upstream
//! would not require both keys on a node for them, but every orchsim node
//! carries both labels.

use std::collections::BTreeMap;

use crate::model::affinity::{PodSelector, WhenUnsatisfiable};
use crate::model::{Node, Pod};
use crate::policy::scheduler::ClusterView;

/// The label whose domains are single nodes: scoring counts a node's own pods
/// for it and weighs it by the number of feasible nodes (upstream's
/// `v1.LabelHostname` special case in `scoring.go`).
const HOSTNAME: &str = "kubernetes.io/hostname";

/// Counts for one constraint.
#[derive(Clone, Debug)]
struct ConstraintState {
    hard: bool,
    key: String,
    max_skew: i64,
    selector: PodSelector,
    /// Matching pods per domain (every eligible domain present, maybe with 0).
    domains: BTreeMap<String, i64>,
    min: i64,
    /// `ln(#domains + 2)` over the feasible nodes (soft constraints; set by
    /// [`SpreadState::prescore`]).
    weight: f64,
}

/// The per-attempt state: computed once per pod, read for every node.
#[derive(Clone, Debug, Default)]
pub struct SpreadState {
    constraints: Vec<ConstraintState>,
}

/// Whether pod `q` is selected by `selector` relative to `pod` (same class, or
/// same job).
pub(super) fn selects(pod: &Pod, q: &Pod, selector: PodSelector) -> bool {
    match selector {
        PodSelector::Workload => q.workload == pod.workload,
        PodSelector::Job => q.job == pod.job && q.workload == pod.workload,
    }
}

/// Pods on node `id` selected by `selector` relative to `pod`.
fn pods_selected_on(pod: &Pod, view: &ClusterView<'_>, id: crate::model::NodeId, selector: PodSelector) -> i64 {
    let cluster = view.cluster();
    cluster.pods_on(id).iter().filter(|&&q| selects(pod, cluster.pod(q), selector)).count() as i64
}

/// Pods selected by `selector` per value of node label `key`, over the nodes
/// for which `eligible` holds (every such domain present, maybe with 0).
/// Nodes removed from the cluster are not counted: upstream's snapshot no
/// longer lists a deleted node, so its domain is none.
fn domain_counts(
    pod: &Pod,
    view: &ClusterView<'_>,
    key: &str,
    selector: PodSelector,
    eligible: impl Fn(&Node) -> bool,
) -> BTreeMap<String, i64> {
    let mut domains: BTreeMap<String, i64> = BTreeMap::new();
    for (i, node) in view.nodes().iter().enumerate() {
        let Some(value) = node.labels.get(key) else { continue };
        if node.removed || !eligible(node) {
            continue;
        }
        let n = pods_selected_on(pod, view, crate::model::NodeId(i as u32), selector);
        *domains.entry(value.clone()).or_insert(0) += n;
    }
    domains
}

impl SpreadState {
    /// Counts matching pods per domain for each of `pod`'s constraints
    /// (PreFilter, and the counting half of PreScore): over the nodes that
    /// pass the pod's node selector and required affinity and carry the keys
    /// of all its constraints of the same kind.
    pub fn compute(&mut self, pod: &Pod, view: &ClusterView<'_>) {
        self.constraints.clear();
        let spread = &pod.placement.topology_spread;
        for hard in [true, false] {
            let of_kind = || spread.iter().filter(move |c| (c.when_unsatisfiable == WhenUnsatisfiable::DoNotSchedule) == hard);
            let eligible = |node: &Node| {
                of_kind().all(|c| node.labels.contains_key(&c.topology_key))
                    && (pod.placement.is_empty() || pod.placement.allows(&node.labels))
            };
            for c in of_kind() {
                // A soft hostname constraint counts the scored node's own pods
                // (`raw_score`): no domains to gather.
                let domains = if !hard && c.topology_key == HOSTNAME {
                    BTreeMap::new()
                } else {
                    domain_counts(pod, view, &c.topology_key, c.selector, eligible)
                };
                let min = domains.values().copied().min().unwrap_or(0);
                self.constraints.push(ConstraintState {
                    hard,
                    key: c.topology_key.clone(),
                    max_skew: c.max_skew as i64,
                    selector: c.selector,
                    domains,
                    min,
                    weight: 0.0,
                });
            }
        }
    }

    /// The filter: every `DoNotSchedule` constraint holds on `node`.
    pub fn allows(&self, node: &Node) -> bool {
        self.constraints.iter().filter(|c| c.hard).all(|c| match node.labels.get(&c.key) {
            Some(v) => c.domains.get(v).copied().unwrap_or(0) + 1 - c.min <= c.max_skew,
            None => false,
        })
    }

    /// Whether any constraint is a score (`ScheduleAnyway`); without one the
    /// plugin skips scoring, as upstream.
    pub fn scores(&self) -> bool {
        self.constraints.iter().any(|c| !c.hard)
    }

    /// PreScore's weights (`initPreScoreState`): for each soft constraint,
    /// `ln(n + 2)` where `n` is the number of the key's values among the
    /// `feasible` nodes that carry every soft key (for the hostname key, the
    /// number of such nodes). Upstream counts the nodes that passed filtering,
    /// not all nodes: a domain no feasible node is in does not dilute the
    /// others.
    pub fn prescore<'n>(&mut self, feasible: impl Iterator<Item = &'n Node>) {
        let soft = || self.constraints.iter().filter(|c| !c.hard);
        let scorable: Vec<&Node> = feasible.filter(|n| soft().all(|c| n.labels.contains_key(&c.key))).collect();
        let sizes: Vec<usize> = soft()
            .map(|c| {
                if c.key == HOSTNAME {
                    scorable.len()
                } else {
                    let mut values: Vec<&str> = scorable.iter().map(|n| n.labels[&c.key].as_str()).collect();
                    values.sort_unstable();
                    values.dedup();
                    values.len()
                }
            })
            .collect();
        for (c, size) in self.constraints.iter_mut().filter(|c| !c.hard).zip(sizes) {
            c.weight = ((size + 2) as f64).ln();
        }
    }

    /// The raw score of node `id` (after [`Self::prescore`]), or `None` if it
    /// lacks a soft constraint's key (upstream's `IgnoredNodes`).
    pub fn raw_score(&self, pod: &Pod, id: crate::model::NodeId, view: &ClusterView<'_>) -> Option<i64> {
        let node = view.node(id);
        let mut score = 0.0;
        for c in self.constraints.iter().filter(|c| !c.hard) {
            let v = node.labels.get(&c.key)?;
            let count =
                if c.key == HOSTNAME { pods_selected_on(pod, view, id, c.selector) } else { c.domains.get(v).copied().unwrap_or(0) };
            score += count as f64 * c.weight + (c.max_skew - 1) as f64;
        }
        Some(score.round() as i64)
    }
}

/// NormalizeScore: `100·(max + min − s) / max` over the nodes with a score;
/// nodes without one get 0; all 100 when the maximum is 0.
pub fn normalize(raw: Option<i64>, min: i64, max: i64) -> i64 {
    match raw {
        None => 0,
        Some(_) if max == 0 => super::MAX_NODE_SCORE,
        Some(s) => super::MAX_NODE_SCORE * (max + min - s) / max,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_follows_upstream() {
        // Raw 0, 3, 6 → 100, 50, 0; missing keys → 0.
        assert_eq!([0, 3, 6].map(|s| normalize(Some(s), 0, 6)), [100, 50, 0]);
        assert_eq!(normalize(None, 0, 6), 0);
        assert_eq!(normalize(Some(0), 0, 0), 100);
        // With a non-zero minimum: (max + min − s)·100/max.
        assert_eq!([2, 4].map(|s| normalize(Some(s), 2, 4)), [100, 50]);
    }

    use crate::model::affinity::{NodePlacement, SpreadConstraint};
    use crate::model::{Cluster, NodeId};
    use crate::time::SimTime;

    /// Nodes `n-i` labelled `key = values[i]`, with `pods[i]` pods of class
    /// 0 bound to each.
    fn labelled(key: &str, values: &[&str], pods: &[u32]) -> Cluster {
        let nodes = (values.iter().enumerate())
            .map(|(i, v)| {
                let mut n = crate::model::node::tests_support::node(4000, 8 << 30);
                n.name = format!("n-{i}");
                n.labels.insert(key.into(), v.to_string());
                n
            })
            .collect();
        let image = crate::model::ImageSpec { name: "a:1".into(), size_bytes: 1 };
        let mut c = Cluster::new(nodes, vec![image.clone(), image]);
        for (node, &n) in pods.iter().enumerate() {
            for _ in 0..n {
                let id = c.submit(crate::model::pod::tests_support::pod(c.pods.len() as u32, 100, 1 << 20));
                c.bind(id, NodeId(node as u32), SimTime::ZERO);
            }
        }
        c
    }

    /// A pod of class 0 with one constraint on `key`.
    fn constrained(c: &Cluster, key: &str, when: WhenUnsatisfiable) -> Pod {
        let mut incoming = crate::model::pod::tests_support::pod(c.pods.len() as u32, 100, 1 << 20);
        let constraint =
            SpreadConstraint { max_skew: 1, topology_key: key.into(), when_unsatisfiable: when, selector: PodSelector::Workload };
        incoming.placement = std::sync::Arc::new(NodePlacement { topology_spread: vec![constraint], ..Default::default() });
        incoming
    }

    #[test]
    fn prescore_weighs_domains_among_the_feasible_nodes_only() {
        // Upstream `scoring.go` initPreScoreState: zones a, b, c; only the
        // nodes of zones a and b passed filtering, so the weight is ln(2 + 2)
        // (not ln(3 + 2)); zone a holds 3 pods of the class, so its node
        // scores round(3·ln 4) = 4, zone b's round(0) = 0.
        let c = labelled("zone", &["a", "b", "c"], &[3, 0, 0]);
        let incoming = constrained(&c, "zone", WhenUnsatisfiable::ScheduleAnyway);
        let view = ClusterView::new(&c, SimTime::ZERO);
        let mut s = SpreadState::default();
        s.compute(&incoming, &view);
        s.prescore(c.nodes[..2].iter());
        assert_eq!([0, 1].map(|i| s.raw_score(&incoming, NodeId(i), &view)), [Some(4), Some(0)]);
        // Over all three zones the weight would be ln 5 and zone a's score 5.
        s.prescore(c.nodes.iter());
        assert_eq!(s.raw_score(&incoming, NodeId(0), &view), Some(5));
    }

    #[test]
    fn a_removed_node_is_no_domain() {
        // One pod on each of n-0 and n-1; n-2 was scaled away. Upstream's
        // snapshot no longer lists it, so the minimum over hostnames is 1
        // and n-0 passes a hard skew of 1 (with n-2's empty domain counted,
        // the minimum would be 0 and n-0 would fail).
        let mut c = labelled(super::HOSTNAME, &["h0", "h1", "h2"], &[1, 1, 0]);
        c.remove_node(NodeId(2), SimTime::ZERO);
        let incoming = constrained(&c, super::HOSTNAME, WhenUnsatisfiable::DoNotSchedule);
        let mut s = SpreadState::default();
        s.compute(&incoming, &ClusterView::new(&c, SimTime::ZERO));
        assert!(s.allows(&c.nodes[0]) && s.allows(&c.nodes[1]));
    }
}
