//! Node taints and pod tolerations, with Kubernetes' matching rules.

use serde::{Deserialize, Serialize};

/// What a taint does to pods that do not tolerate it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
pub enum TaintEffect {
    /// New pods are not scheduled onto the node.
    NoSchedule,
    /// The scheduler avoids the node when it can (a score, not a filter).
    PreferNoSchedule,
    /// New pods are not scheduled, and running ones are evicted.
    NoExecute,
}

/// A node taint: `key=value:effect`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Taint {
    /// Taint key, e.g. `dedicated`.
    pub key: String,
    /// Taint value (may be empty).
    #[serde(default)]
    pub value: String,
    /// Effect on pods that do not tolerate it.
    pub effect: TaintEffect,
}

/// How a toleration compares values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub enum TolerationOperator {
    /// Key and value must match.
    #[default]
    Equal,
    /// Key must match; any value.
    Exists,
}

/// A pod toleration, as in a PodSpec.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Toleration {
    /// Key to match; empty with `Exists` matches every taint.
    #[serde(default)]
    pub key: String,
    /// `Equal` (default) or `Exists`.
    #[serde(default)]
    pub operator: TolerationOperator,
    /// Value to match with `Equal`.
    #[serde(default)]
    pub value: String,
    /// Effect to match; absent matches all effects.
    #[serde(default)]
    pub effect: Option<TaintEffect>,
    /// With effect NoExecute: how long the pod stays bound after the taint
    /// appears (`tolerationSeconds`; absent means for ever, negative as 0).
    /// The taint manager reads it for the `node.kubernetes.io/unreachable`
    /// taint of a lost node.
    #[serde(default)]
    pub toleration_seconds: Option<i64>,
}

impl Toleration {
    /// `ToleratesTaint` from `k8s.io/api/core/v1/toleration.go`.
    pub fn tolerates(&self, taint: &Taint) -> bool {
        if let Some(effect) = self.effect {
            if effect != taint.effect {
                return false;
            }
        }
        if !self.key.is_empty() && self.key != taint.key {
            return false;
        }
        match self.operator {
            TolerationOperator::Exists => true,
            TolerationOperator::Equal => self.value == taint.value,
        }
    }
}

/// Whether some toleration in `tolerations` tolerates `taint`.
pub fn is_tolerated(taint: &Taint, tolerations: &[Toleration]) -> bool {
    tolerations.iter().any(|t| t.tolerates(taint))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taint(key: &str, value: &str, effect: TaintEffect) -> Taint {
        Taint { key: key.into(), value: value.into(), effect }
    }

    #[test]
    fn matching_rules_follow_kubernetes() {
        let t = taint("dedicated", "gpu", TaintEffect::NoSchedule);
        let equal = Toleration { key: "dedicated".into(), value: "gpu".into(), ..Default::default() };
        let wrong_value = Toleration { key: "dedicated".into(), value: "db".into(), ..Default::default() };
        let exists = Toleration { key: "dedicated".into(), operator: TolerationOperator::Exists, ..Default::default() };
        let everything = Toleration { operator: TolerationOperator::Exists, ..Default::default() };
        let other_effect = Toleration { effect: Some(TaintEffect::NoExecute), ..exists.clone() };
        assert!(equal.tolerates(&t));
        assert!(!wrong_value.tolerates(&t));
        assert!(exists.tolerates(&t));
        assert!(everything.tolerates(&t));
        assert!(!other_effect.tolerates(&t));
    }
}
