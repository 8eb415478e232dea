//! Decision explanations (`orchsim run --explain`): why each pod went where it
//! went, or why it could not go anywhere.
//!
//! `decisions.csv` is tidy, one row per fact, so it loads straight into a data
//! frame and filters by `kind`:
//!
//! | kind | one row per | `name` | `value` (`weight`, `weighted`) |
//! |---|---|---|---|
//! | `decision` | attempt | outcome | chosen node index (empty if none) |
//! | `total` | top candidate | `total` | its total score |
//! | `score` | plugin of a top candidate | plugin | raw score, weight, raw × weight |
//! | `filter` | filter that rejected nodes | reason | number of nodes it rejected |
//! | `examined` | failed attempt | `examined` | nodes examined |
//!
//! Policies that do not score nodes (first-fit, the classics) write the
//! `decision` and `filter` rows only. Off by default: the simulation then never
//! asks the policy for an explanation.

use serde::Serialize;

use crate::model::NodeId;
use crate::policy::scheduler::FilterCounts;
pub use crate::policy::scheduler::{Candidate, ScorePart};

/// One row of `decisions.csv`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DecisionRow {
    /// Simulated time of the attempt, seconds.
    pub time_s: f64,
    /// Pod index.
    pub pod: u32,
    /// The pod's attempt number (1 for the first).
    pub attempt: u32,
    /// Policy name.
    pub policy: String,
    /// `bound` or `unschedulable`.
    pub outcome: &'static str,
    /// Row kind (see the module docs).
    pub kind: &'static str,
    /// Candidate node index for `total` and `score` rows.
    pub candidate: Option<u32>,
    /// Candidate rank, 1 = chosen (for `total` and `score` rows).
    pub rank: Option<u32>,
    /// Plugin, filter reason or outcome.
    pub name: String,
    /// Score, count or node index.
    pub value: Option<f64>,
    /// Plugin weight (`score` rows).
    pub weight: Option<f64>,
    /// `value × weight` (`score` rows).
    pub weighted: Option<f64>,
}

/// One scheduling attempt, as recorded.
pub struct Decision<'a> {
    /// Time, seconds.
    pub time_s: f64,
    /// Pod index.
    pub pod: u32,
    /// Attempt number.
    pub attempt: u32,
    /// Policy.
    pub policy: &'a str,
    /// Chosen node, if bound.
    pub bound_to: Option<NodeId>,
    /// Filter rejections (failed attempts).
    pub filters: Option<&'a FilterCounts>,
    /// Top candidates, best first (scoring policies).
    pub candidates: &'a [Candidate],
}

impl Decision<'_> {
    /// The rows this decision becomes.
    pub fn rows(&self) -> Vec<DecisionRow> {
        let outcome = if self.bound_to.is_some() { "bound" } else { "unschedulable" };
        let row = |kind, name: &str, value: Option<f64>| DecisionRow {
            time_s: self.time_s,
            pod: self.pod,
            attempt: self.attempt,
            policy: self.policy.to_string(),
            outcome,
            kind,
            candidate: None,
            rank: None,
            name: name.to_string(),
            value,
            weight: None,
            weighted: None,
        };
        let mut rows = vec![row("decision", outcome, self.bound_to.map(|n| n.0 as f64))];
        for (i, c) in self.candidates.iter().enumerate() {
            let rank = Some(i as u32 + 1);
            rows.push(DecisionRow { candidate: Some(c.node.0), rank, ..row("total", "total", Some(c.total)) });
            for p in &c.parts {
                rows.push(DecisionRow {
                    candidate: Some(c.node.0),
                    rank,
                    weight: Some(p.weight),
                    // `+ 0.0` turns −0 (a 0 score of a negative weight) into 0.
                    weighted: Some(p.raw * p.weight + 0.0),
                    ..row("score", p.plugin, Some(p.raw))
                });
            }
        }
        if let Some(f) = self.filters {
            for (name, n) in [
                ("Insufficient cpu", f.insufficient_cpu),
                ("Insufficient memory", f.insufficient_memory),
                ("Insufficient nvidia.com/gpu", f.insufficient_gpu),
                ("Too many pods", f.too_many_pods),
                ("untolerated taint", f.untolerated_taint),
                ("node affinity/selector mismatch", f.node_affinity_mismatch),
                ("topology spread constraint", f.topology_spread_violation),
                ("pod affinity/anti-affinity", f.pod_affinity_violation),
                ("rejected by policy", f.rejected_by_policy),
            ] {
                if n > 0 {
                    rows.push(row("filter", name, Some(n as f64)));
                }
            }
            rows.push(row("examined", "examined", Some(f.examined as f64)));
        }
        rows
    }
}

/// Where decisions go when explanations are on.
pub trait DecisionLog {
    /// Records one scheduling attempt.
    fn record(&mut self, decision: &Decision<'_>);
}

impl DecisionLog for Vec<DecisionRow> {
    fn record(&mut self, decision: &Decision<'_>) {
        self.extend(decision.rows());
    }
}
