//! InterPodAffinity (semantics.md §1; upstream `interpodaffinity/filtering.go`
//! and `scoring.go`) for pod affinity and anti-affinity terms on workload
//! classes.
//!
//! * **Required anti-affinity**: a node is infeasible if any selected pod runs
//!   in its `topology_key` domain.
//! * **Required affinity**: the node's domain must hold a selected pod,
//!   except when no selected pod runs anywhere and the pod selects itself (the
//!   first pod of a group may start it).
//! * **Preferred terms**: each selected pod adds (affinity) or subtracts
//!   (anti-affinity) the term's weight on every node of its domain; scores are
//!   normalized `100·(s − min)/(max − min)` with min and max seeded at 0.
//!
//! Not modelled: the symmetric check of *existing* pods' anti-affinity against
//! the incoming pod, and `hardPodAffinityWeight` (existing pods' required
//! affinity in scoring).

use std::collections::BTreeMap;

use super::topology_spread::domain_counts;
use crate::model::{Node, Pod};
use crate::policy::scheduler::ClusterView;

#[derive(Clone, Debug)]
struct TermCounts {
    key: String,
    /// Signed weight for preferred terms; 0 for required ones.
    weight: i64,
    domains: BTreeMap<String, i64>,
}

/// Per-attempt counts for one pod's terms.
#[derive(Clone, Debug, Default)]
pub struct AffinityState {
    required_affinity: Vec<TermCounts>,
    /// Whether no selected pod runs anywhere for some required affinity term
    /// (then the first pod may go anywhere that passes the other filters).
    first_of_group: Vec<bool>,
    required_anti: Vec<TermCounts>,
    preferred: Vec<TermCounts>,
}

impl AffinityState {
    /// Counts selected pods per domain for each term of `pod`.
    pub fn compute(&mut self, pod: &Pod, view: &ClusterView<'_>) {
        let p = &pod.placement;
        let count = |key: &str, selector, weight| TermCounts {
            key: key.to_string(),
            weight,
            domains: domain_counts(pod, view, key, selector, |_| true),
        };
        self.required_affinity = p.pod_affinity.required.iter().map(|t| count(&t.topology_key, t.selector, 0)).collect();
        self.first_of_group = self.required_affinity.iter().map(|t| t.domains.values().all(|&n| n == 0)).collect();
        self.required_anti = p.pod_anti_affinity.required.iter().map(|t| count(&t.topology_key, t.selector, 0)).collect();
        self.preferred = p
            .pod_affinity
            .preferred
            .iter()
            .map(|t| count(&t.topology_key, t.selector, t.weight))
            .chain(p.pod_anti_affinity.preferred.iter().map(|t| count(&t.topology_key, t.selector, -t.weight)))
            .collect();
    }

    fn in_domain(t: &TermCounts, node: &Node) -> Option<i64> {
        node.labels.get(&t.key).map(|v| t.domains.get(v).copied().unwrap_or(0))
    }

    /// The filter: required affinity and anti-affinity hold on `node`.
    pub fn allows(&self, node: &Node) -> bool {
        let affinity_ok = self
            .required_affinity
            .iter()
            .zip(&self.first_of_group)
            .all(|(t, &first)| first || Self::in_domain(t, node).is_some_and(|n| n > 0));
        let anti_ok = self.required_anti.iter().all(|t| Self::in_domain(t, node).unwrap_or(0) == 0);
        affinity_ok && anti_ok
    }

    /// Whether there are preferred terms to score.
    pub fn scores(&self) -> bool {
        !self.preferred.is_empty()
    }

    /// Raw score: Σ over preferred terms of ±weight × selected pods in the node's domain.
    pub fn raw_score(&self, node: &Node) -> i64 {
        self.preferred.iter().map(|t| t.weight * Self::in_domain(t, node).unwrap_or(0)).sum()
    }
}

/// NormalizeScore: `100·(s − min)/(max − min)` with `min ≤ 0 ≤ max`; 0 when all
/// scores are equal.
pub fn normalize(s: i64, min: i64, max: i64) -> i64 {
    let (min, max) = (min.min(0), max.max(0));
    if max == min {
        0
    } else {
        super::MAX_NODE_SCORE * (s - min) / (max - min)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn normalization_is_seeded_at_zero() {
        // Anti-affinity only: scores ≤ 0 map to 0…100 with 0 → 100.
        assert_eq!([-10, -5, 0].map(|s| super::normalize(s, -10, 0)), [0, 50, 100]);
        // Affinity only: 0…20 → 0…100.
        assert_eq!([0, 5, 20].map(|s| super::normalize(s, 0, 20)), [0, 25, 100]);
        // Min and max seeded at 0: positive-only scores 10 and 20 map to 50 and 100.
        assert_eq!([10, 20].map(|s| super::normalize(s, 10, 20)), [50, 100]);
        assert_eq!(super::normalize(0, 0, 0), 0);
    }
}
