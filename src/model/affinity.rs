//! Node selection constraints of a pod: `nodeSelector` and node affinity,
//! with Kubernetes' matching rules (`k8s.io/component-helpers/scheduling/corev1/nodeaffinity`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How a requirement compares a node label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum SelectorOperator {
    /// The label exists and its value is one of `values`.
    In,
    /// The label is absent, or its value is none of `values`.
    NotIn,
    /// The label exists.
    Exists,
    /// The label is absent.
    DoesNotExist,
    /// The label is an integer greater than the single value.
    Gt,
    /// The label is an integer less than the single value.
    Lt,
}

/// One `matchExpressions` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// Label key.
    pub key: String,
    /// Operator.
    pub operator: SelectorOperator,
    /// Values (none for Exists/DoesNotExist, one integer for Gt/Lt).
    #[serde(default)]
    pub values: Vec<String>,
}

/// A `nodeSelectorTerm`: its requirements are ANDed; an empty term matches
/// no node, as upstream.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Term {
    /// `matchExpressions`.
    #[serde(default)]
    pub match_expressions: Vec<Requirement>,
}

/// A `preferredDuringSchedulingIgnoredDuringExecution` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferredTerm {
    /// 1–100, added to the node's NodeAffinity score when the term matches.
    pub weight: i64,
    /// `preference.matchExpressions`.
    #[serde(default)]
    pub match_expressions: Vec<Requirement>,
}

/// `affinity.nodeAffinity` as written in a scenario.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeAffinity {
    /// `requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`: ORed.
    #[serde(default)]
    pub required: Vec<Term>,
    /// `preferredDuringSchedulingIgnoredDuringExecution`.
    #[serde(default)]
    pub preferred: Vec<PreferredTerm>,
}

/// What a topology spread constraint does when it cannot be met.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum WhenUnsatisfiable {
    /// A filter: nodes that would exceed `max_skew` are infeasible.
    #[default]
    DoNotSchedule,
    /// A score: skew is avoided when possible.
    ScheduleAnyway,
}

/// Which pods a spread constraint counts (its `labelSelector`): the pods of the
/// same workload class, or of the same job. Pod affinity terms use
/// [`AffinitySelector`], which can also select another class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PodSelector {
    /// Pods of the same `[[batch]]` class.
    #[default]
    Workload,
    /// Pods of the same job.
    Job,
}

/// A `topologySpreadConstraints` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpreadConstraint {
    /// Largest allowed difference between a domain's matching pods and the
    /// least-loaded domain's (at least 1).
    pub max_skew: u32,
    /// Node label whose values are the domains, e.g. `topology.kubernetes.io/zone`.
    pub topology_key: String,
    /// Filter or score.
    #[serde(default)]
    pub when_unsatisfiable: WhenUnsatisfiable,
    /// Which pods count.
    #[serde(default)]
    pub selector: PodSelector,
}

/// Which pods a pod (anti-)affinity term selects (its `labelSelector`),
/// relative to the pod that carries the term. Unlike [`PodSelector`] it can
/// name another workload class: affinity between different applications
/// ("keep the cache away from the database") is what makes the symmetric
/// rules of InterPodAffinity matter. In a scenario: `selector = "job"` or
/// `selector = { class = "db" }` (a `[[batch]]` name, resolved to its index
/// when the scenario is validated).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AffinitySelector {
    /// Pods of the same workload class as the term's owner.
    #[default]
    Workload,
    /// Pods of the same job as the term's owner.
    Job,
    /// Pods of the workload class with this index: the position of its
    /// `[[batch]]` entry in the scenario, from 0 (`Pod::workload`).
    Class(u32),
}

/// A required pod (anti-)affinity term: the pods matching `selector`, in the
/// node's `topology_key` domain. `S` is the selector: [`AffinitySelector`] in
/// the model; the scenario reads class names first and resolves them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(bound = "S: schemars::JsonSchema + Default")]
pub struct PodAffinityTerm<S = AffinitySelector> {
    /// Node label defining the domain, e.g. `kubernetes.io/hostname`.
    pub topology_key: String,
    /// Which pods count.
    #[serde(default)]
    pub selector: S,
}

/// A preferred pod (anti-)affinity term.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(bound = "S: schemars::JsonSchema + Default")]
pub struct WeightedPodAffinityTerm<S = AffinitySelector> {
    /// 1–100.
    pub weight: i64,
    /// Node label defining the domain.
    pub topology_key: String,
    /// Which pods count.
    #[serde(default)]
    pub selector: S,
}

/// `podAffinity` or `podAntiAffinity`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, bound(deserialize = "S: Deserialize<'de> + Default"))]
#[schemars(bound = "S: schemars::JsonSchema + Default")]
pub struct PodAffinity<S = AffinitySelector> {
    /// Hard terms (all must hold).
    #[serde(default)]
    pub required: Vec<PodAffinityTerm<S>>,
    /// Soft terms.
    #[serde(default)]
    pub preferred: Vec<WeightedPodAffinityTerm<S>>,
}

impl<S> Default for PodAffinity<S> {
    fn default() -> Self {
        PodAffinity { required: Vec::new(), preferred: Vec::new() }
    }
}

impl<S> PodAffinity<S> {
    /// Whether there are no terms.
    pub fn is_empty(&self) -> bool {
        self.required.is_empty() && self.preferred.is_empty()
    }

    /// The same terms with each selector converted by `f` (given the term's
    /// field path relative to this affinity, e.g. `required[0].selector`);
    /// the first error is returned.
    pub fn try_map<T, E>(&self, mut f: impl FnMut(&S, String) -> Result<T, E>) -> Result<PodAffinity<T>, E> {
        let required = (self.required.iter().enumerate())
            .map(|(i, t)| {
                Ok(PodAffinityTerm { topology_key: t.topology_key.clone(), selector: f(&t.selector, format!("required[{i}].selector"))? })
            })
            .collect::<Result<_, E>>()?;
        let preferred = (self.preferred.iter().enumerate())
            .map(|(i, t)| {
                let selector = f(&t.selector, format!("preferred[{i}].selector"))?;
                Ok(WeightedPodAffinityTerm { weight: t.weight, topology_key: t.topology_key.clone(), selector })
            })
            .collect::<Result<_, E>>()?;
        Ok(PodAffinity { required, preferred })
    }
}

/// Everything that restricts or steers where a pod goes by node labels.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodePlacement {
    /// `nodeSelector`: every label must match exactly.
    pub node_selector: BTreeMap<String, String>,
    /// Node affinity.
    pub affinity: NodeAffinity,
    /// Topology spread constraints (honoured by the `kubernetes` policy).
    pub topology_spread: Vec<SpreadConstraint>,
    /// Pod affinity (honoured by the `kubernetes` policy).
    pub pod_affinity: PodAffinity,
    /// Pod anti-affinity (honoured by the `kubernetes` policy).
    pub pod_anti_affinity: PodAffinity,
}

impl Requirement {
    /// Whether `labels` satisfy the requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let value = labels.get(&self.key);
        let int = |s: &str| s.parse::<i64>().ok();
        match self.operator {
            SelectorOperator::In => value.is_some_and(|v| self.values.contains(v)),
            SelectorOperator::NotIn => value.is_none_or(|v| !self.values.contains(v)),
            SelectorOperator::Exists => value.is_some(),
            SelectorOperator::DoesNotExist => value.is_none(),
            SelectorOperator::Gt | SelectorOperator::Lt => {
                let (Some(v), Some(bound)) = (value.and_then(|v| int(v)), self.values.first().and_then(|b| int(b))) else {
                    return false;
                };
                if self.operator == SelectorOperator::Gt {
                    v > bound
                } else {
                    v < bound
                }
            }
        }
    }

    /// What is wrong with the requirement, if anything (validation).
    pub fn problem(&self) -> Option<String> {
        let n = self.values.len();
        match self.operator {
            SelectorOperator::In | SelectorOperator::NotIn if n == 0 => Some(format!("{:?} needs at least one value", self.operator)),
            SelectorOperator::Exists | SelectorOperator::DoesNotExist if n > 0 => Some(format!("{:?} takes no values", self.operator)),
            SelectorOperator::Gt | SelectorOperator::Lt if n != 1 || self.values[0].parse::<i64>().is_err() => {
                Some(format!("{:?} needs exactly one integer value", self.operator))
            }
            _ => None,
        }
    }
}

/// Whether all `requirements` hold; an empty list matches nothing.
fn all_match(requirements: &[Requirement], labels: &BTreeMap<String, String>) -> bool {
    !requirements.is_empty() && requirements.iter().all(|r| r.matches(labels))
}

impl NodePlacement {
    /// Whether there are no node-label rules (the common case, kept cheap).
    /// Topology spread is separate: it depends on where other pods run.
    pub fn is_empty(&self) -> bool {
        self.node_selector.is_empty() && self.affinity.required.is_empty() && self.affinity.preferred.is_empty()
    }

    /// Whether there are pod affinity or anti-affinity terms: only such pods
    /// take part in InterPodAffinity as *existing* pods (upstream's
    /// `PodsWithAffinity`).
    pub fn has_pod_terms(&self) -> bool {
        !self.pod_affinity.is_empty() || !self.pod_anti_affinity.is_empty()
    }

    /// The NodeAffinity filter: the node selector matches and, if there are
    /// required terms, at least one of them does.
    pub fn allows(&self, labels: &BTreeMap<String, String>) -> bool {
        self.node_selector.iter().all(|(k, v)| labels.get(k) == Some(v))
            && (self.affinity.required.is_empty() || self.affinity.required.iter().any(|t| all_match(&t.match_expressions, labels)))
    }

    /// NodeAffinity's raw score: the summed weights of matching preferred terms.
    pub fn preference(&self, labels: &BTreeMap<String, String>) -> i64 {
        self.affinity.preferred.iter().filter(|p| all_match(&p.match_expressions, labels)).map(|p| p.weight).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn req(key: &str, operator: SelectorOperator, values: &[&str]) -> Requirement {
        Requirement { key: key.into(), operator, values: values.iter().map(|v| v.to_string()).collect() }
    }

    #[test]
    fn operators_follow_kubernetes() {
        use SelectorOperator::*;
        let l = labels(&[("zone", "a"), ("cores", "16")]);
        assert!(req("zone", In, &["a", "b"]).matches(&l));
        assert!(!req("zone", In, &["c"]).matches(&l));
        assert!(req("zone", NotIn, &["c"]).matches(&l));
        assert!(req("gpu", NotIn, &["x"]).matches(&l), "NotIn matches an absent label");
        assert!(req("zone", Exists, &[]).matches(&l));
        assert!(req("gpu", DoesNotExist, &[]).matches(&l));
        assert!(req("cores", Gt, &["8"]).matches(&l));
        assert!(!req("cores", Lt, &["8"]).matches(&l));
        assert!(!req("zone", Gt, &["1"]).matches(&l), "non-integer labels never compare");
        assert_eq!(req("zone", In, &[]).problem().as_deref(), Some("In needs at least one value"));
        assert!(req("cores", Gt, &["x"]).problem().is_some());
    }

    #[test]
    fn terms_are_ored_expressions_anded_and_empty_terms_match_nothing() {
        use SelectorOperator::*;
        let l = labels(&[("zone", "a"), ("disk", "ssd")]);
        let term = |reqs: Vec<Requirement>| Term { match_expressions: reqs };
        let p = |required: Vec<Term>| NodePlacement { affinity: NodeAffinity { required, preferred: vec![] }, ..Default::default() };
        assert!(p(vec![]).allows(&l), "no required terms: anything goes");
        assert!(!p(vec![term(vec![])]).allows(&l), "an empty term matches nothing");
        assert!(!p(vec![term(vec![req("zone", In, &["a"]), req("disk", In, &["hdd"])])]).allows(&l));
        assert!(p(vec![term(vec![req("zone", In, &["b"])]), term(vec![req("disk", In, &["ssd"])])]).allows(&l));
        let mut selector = p(vec![]);
        selector.node_selector.insert("zone".into(), "b".into());
        assert!(!selector.allows(&l));
        let preferred = NodePlacement {
            affinity: NodeAffinity {
                required: vec![],
                preferred: vec![
                    PreferredTerm { weight: 30, match_expressions: vec![req("zone", In, &["a"])] },
                    PreferredTerm { weight: 5, match_expressions: vec![req("disk", In, &["hdd"])] },
                ],
            },
            ..Default::default()
        };
        assert_eq!(preferred.preference(&l), 30);
    }
}
