//! PodTopologySpread (semantics.md §1; upstream `podtopologyspread/filtering.go`
//! and `scoring.go`), for explicit constraints on workload classes.
//!
//! * Domains are the values of `topology_key` on *eligible* nodes: nodes that
//!   carry the key and pass the pod's node selector and required affinity.
//! * **Filter** (`DoNotSchedule`): a node passes if
//!   `count(its domain) + 1 − min over domains ≤ max_skew`.
//! * **Score** (`ScheduleAnyway`): `Σ_c count_c · ln(#domains_c + 2) + (max_skew_c − 1)`,
//!   rounded; normalized as `100·(max + min − s) / max` (all 100 when max is
//!   0); nodes lacking a key score 0.
//!
//! The system default constraints (hostname skew 3, zone skew 5) apply only to
//! pods owned by services or replica sets, which arrive with the services work.

use std::collections::BTreeMap;

use crate::model::affinity::{PodSelector, WhenUnsatisfiable};
use crate::model::{Node, Pod};
use crate::policy::scheduler::ClusterView;

/// Counts for one constraint.
#[derive(Clone, Debug)]
struct ConstraintState {
    hard: bool,
    key: String,
    max_skew: i64,
    /// Matching pods per domain (every eligible domain present, maybe with 0).
    domains: BTreeMap<String, i64>,
    min: i64,
    /// `ln(#domains + 2)`.
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

/// Pods selected by `selector` per value of node label `key`, over the nodes
/// for which `eligible` holds (every such domain present, maybe with 0).
pub(super) fn domain_counts(
    pod: &Pod,
    view: &ClusterView<'_>,
    key: &str,
    selector: PodSelector,
    eligible: impl Fn(&Node) -> bool,
) -> BTreeMap<String, i64> {
    let cluster = view.cluster();
    let mut domains: BTreeMap<String, i64> = BTreeMap::new();
    for (i, node) in view.nodes().iter().enumerate() {
        let Some(value) = node.labels.get(key) else { continue };
        if !eligible(node) {
            continue;
        }
        let on = cluster.pods_on(crate::model::NodeId(i as u32));
        let n = on.iter().filter(|&&q| selects(pod, cluster.pod(q), selector)).count() as i64;
        *domains.entry(value.clone()).or_insert(0) += n;
    }
    domains
}

impl SpreadState {
    /// Counts matching pods per domain for each of `pod`'s constraints.
    pub fn compute(&mut self, pod: &Pod, view: &ClusterView<'_>) {
        self.constraints.clear();
        for c in &pod.placement.topology_spread {
            let eligible = |node: &Node| pod.placement.is_empty() || pod.placement.allows(&node.labels);
            let domains = domain_counts(pod, view, &c.topology_key, c.selector, eligible);
            let min = domains.values().copied().min().unwrap_or(0);
            let weight = ((domains.len() + 2) as f64).ln();
            self.constraints.push(ConstraintState {
                hard: c.when_unsatisfiable == WhenUnsatisfiable::DoNotSchedule,
                key: c.topology_key.clone(),
                max_skew: c.max_skew as i64,
                domains,
                min,
                weight,
            });
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

    /// The raw score of `node`, or `None` if it lacks a constraint's key.
    pub fn raw_score(&self, node: &Node) -> Option<i64> {
        let mut score = 0.0;
        for c in self.constraints.iter().filter(|c| !c.hard) {
            let v = node.labels.get(&c.key)?;
            score += c.domains.get(v).copied().unwrap_or(0) as f64 * c.weight + (c.max_skew - 1) as f64;
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
}
