//! Schedulers: decide which node a pending pod is bound to.
//!
//! A scheduler implements [`Scheduler`]: it gets the pod and a read-only
//! [`ClusterView`] and returns a [`Placement`]. The simulation owns the
//! scheduling queue (ordering, backoff, retries) and applies the decision, so a
//! policy is a small pure-ish function plus whatever private state it needs (its
//! own seeded RNG, a round-robin index).
//!
//! To add a policy: write a struct implementing [`Scheduler`], add a variant to
//! [`SchedulerConfig`] with its parameters, and build it in
//! [`SchedulerConfig::build`]. `orchsim policies` lists it automatically.

pub mod filter;
pub mod first_fit;
pub mod kubernetes;

use serde::{Deserialize, Serialize};

use crate::engine::SimRng;
use crate::model::{Cluster, Node, NodeId, Pod};
use crate::time::SimTime;

pub use filter::FilterCounts;

/// What a scheduler may read: the nodes with their current requests, images and
/// the time. Nothing here can change the cluster.
#[derive(Clone, Copy)]
pub struct ClusterView<'a> {
    cluster: &'a Cluster,
    now: SimTime,
}

impl<'a> ClusterView<'a> {
    /// A view of `cluster` at `now`.
    pub fn new(cluster: &'a Cluster, now: SimTime) -> Self {
        ClusterView { cluster, now }
    }
    /// Current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }
    /// All nodes, indexed by [`NodeId`].
    pub fn nodes(&self) -> &'a [Node] {
        &self.cluster.nodes
    }
    /// One node.
    pub fn node(&self, id: NodeId) -> &'a Node {
        self.cluster.node(id)
    }
    /// The underlying cluster (read-only), for policies that need more.
    pub fn cluster(&self) -> &'a Cluster {
        self.cluster
    }
}

/// A scheduling decision.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Placement {
    /// Bind the pod to this node.
    Bind(NodeId),
    /// No node passes the filters; the pod waits in the unschedulable queue.
    Unschedulable(FilterCounts),
}

/// A scheduling policy. Object-safe and `Send`, so a sweep can run many in
/// parallel from the same configuration.
pub trait Scheduler: Send {
    /// The policy's name as used in scenarios.
    fn name(&self) -> &'static str;
    /// Decides where `pod` goes.
    fn schedule(&mut self, pod: &Pod, view: &ClusterView<'_>) -> Placement;
}

/// Scheduler configuration in a scenario: `[scheduler] kind = "…"` plus the
/// policy's parameters. Unknown keys are errors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SchedulerConfig {
    /// kube-scheduler's default profile (see [`kubernetes`]).
    Kubernetes(kubernetes::KubernetesParams),
    /// The first node, in index order, that passes the filters.
    FirstFit(first_fit::FirstFitParams),
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig::Kubernetes(kubernetes::KubernetesParams::default())
    }
}

/// One entry of the policy catalogue shown by `orchsim policies`.
pub struct PolicyInfo {
    /// Name used as `kind` in scenarios.
    pub name: &'static str,
    /// What it does and what it emulates.
    pub summary: &'static str,
    /// The default configuration, as it would be written in a scenario.
    pub default: SchedulerConfig,
}

impl SchedulerConfig {
    /// The policy's name as used in scenarios.
    pub fn name(&self) -> &'static str {
        match self {
            SchedulerConfig::Kubernetes(_) => "kubernetes",
            SchedulerConfig::FirstFit(_) => "first-fit",
        }
    }

    /// Checks parameter ranges; returns `(field, message)` pairs.
    pub fn validate(&self) -> Vec<(String, String)> {
        match self {
            SchedulerConfig::Kubernetes(p) => p.validate(),
            SchedulerConfig::FirstFit(_) => Vec::new(),
        }
    }

    /// Builds the policy with its own random stream.
    pub fn build(&self, rng: SimRng) -> Box<dyn Scheduler> {
        match self {
            SchedulerConfig::Kubernetes(p) => Box::new(kubernetes::KubernetesScheduler::new(p.clone(), rng)),
            SchedulerConfig::FirstFit(_) => Box::new(first_fit::FirstFit),
        }
    }

    /// Every scheduler with its defaults.
    pub fn catalogue() -> Vec<PolicyInfo> {
        vec![
            PolicyInfo {
                name: "kubernetes",
                summary: "kube-scheduler default profile: filters NodeResourcesFit (requests, maxPods) and \
                          TaintToleration; scores NodeResourcesFit (LeastAllocated), BalancedAllocation, \
                          ImageLocality and TaintToleration with the upstream integer formulas and weights; \
                          samples percentageOfNodesToScore nodes round-robin; random tie-break.",
                default: SchedulerConfig::Kubernetes(Default::default()),
            },
            PolicyInfo {
                name: "first-fit",
                summary: "The first node in index order that passes the same filters as kubernetes.",
                default: SchedulerConfig::FirstFit(Default::default()),
            },
        ]
    }
}
