//! Autoscalers: policies that change how many pods (or nodes) there are.
//!
//! Two kinds, each a trait the simulation calls on its own period with a
//! read-only view, returning a decision the engine applies:
//!
//! * a [`ReplicaAutoscaler`] sets one service's replica count from lagged
//!   pod metrics (`hpa`, or your own);
//! * a [`NodeAutoscaler`] adds nodes to pools and removes nodes
//!   (`cluster-autoscaler`, `karpenter`, `target-tracking`).
//!
//! The algorithms are pure functions over what the controller sees, so they
//! can be tested against the reference vectors on their own.

pub mod cluster_autoscaler;
pub mod hpa;
pub mod karpenter;
pub mod repack;
pub mod target_tracking;
pub mod vpa;

use std::sync::Arc;

use crate::engine::SimRng;
use crate::model::{Cluster, Node, NodeId, PodId, PodPhase};
use crate::policy::PolicyInfo;
use crate::time::{SimDuration, SimTime};

/// One pod of a service as the metrics pipeline reports it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PodMetrics {
    /// The pod.
    pub pod: PodId,
    /// Its CPU request, millicores.
    pub cpu_request_milli: f64,
    /// Mean CPU usage (millicores) over the metrics window at the last
    /// scrape; `None` until a scrape has covered it.
    pub cpu_milli: Option<f64>,
    /// Mean requests/s it served, likewise.
    pub rps: Option<f64>,
    /// When the reported window ended (the scrape), if there is a value.
    pub scraped_at: Option<SimTime>,
    /// Pending, Starting or Running.
    pub phase: PodPhase,
    /// When the pod was bound to a node (Kubernetes' `status.startTime`).
    pub started: Option<SimTime>,
    /// When it became Ready (its containers running), if it is.
    pub ready_since: Option<SimTime>,
}

/// What a replica autoscaler sees of one service.
#[derive(Clone, Copy, Debug)]
pub struct ServiceView<'a> {
    /// Now.
    pub now: SimTime,
    /// The service's name.
    pub service: &'a str,
    /// The current replica count (`spec.replicas` of its scale).
    pub replicas: u32,
    /// Its pods that are not being deleted.
    pub pods: &'a [PodMetrics],
    /// Requests/s one replica serves at its CPU request.
    pub capacity_rps: f64,
}

/// Sets one service's replica count, called every [`interval`](Self::interval).
///
/// Implementations keep whatever history they need (the HPA keeps its
/// stabilization window) and must be `Send`: sweeps run on many threads.
pub trait ReplicaAutoscaler: Send {
    /// Policy name, as written in scenarios.
    fn name(&self) -> &'static str;
    /// How often it runs (the HPA's sync period, 15 s by default).
    fn interval(&self) -> SimDuration {
        hpa::DEFAULT_SYNC_PERIOD
    }
    /// The replica count the service should have now.
    fn desired_replicas(&mut self, view: &ServiceView<'_>) -> u32;
}

/// One node pool (scenario node group) as a node autoscaler sees it.
#[derive(Clone, Copy, Debug)]
pub struct PoolView<'a> {
    /// The pool's name.
    pub name: &'a str,
    /// A node of the pool as it would join (empty), for "would it fit" tests.
    pub template: &'a Node,
    /// Fewest nodes the autoscaler may leave.
    pub min: u32,
    /// Most nodes (in service plus provisioning).
    pub max: u32,
    /// Price of one node per hour.
    pub price_per_hour: f64,
    /// Priority for the `priority` expander (higher preferred).
    pub priority: i32,
    /// Nodes in service.
    pub nodes: u32,
    /// Nodes asked for that have not joined yet.
    pub provisioning: u32,
}

impl PoolView<'_> {
    /// Nodes that may still be added.
    pub fn headroom(&self) -> u32 {
        self.max.saturating_sub(self.nodes + self.provisioning)
    }
}

/// What a node autoscaler sees: the cluster, its pools, and the pods the
/// scheduler has failed to place (Kubernetes' `PodScheduled=False`).
#[derive(Clone, Copy, Debug)]
pub struct NodeScalingView<'a> {
    /// Now.
    pub now: SimTime,
    /// The cluster (nodes in service carry their pool in `Node::group`).
    pub cluster: &'a Cluster,
    /// The pools, indexed like `Node::group`.
    pub pools: &'a [PoolView<'a>],
    /// Pending pods that have failed at least one scheduling attempt.
    pub unschedulable: &'a [PodId],
}

/// A change a node autoscaler asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeAction {
    /// Ask the provider for `count` nodes of `pool`; they join after the
    /// pool's provisioning delay.
    Provision {
        /// The pool index.
        pool: u32,
        /// How many nodes.
        count: u32,
        /// Why, for `scaling_events.csv`.
        reason: &'static str,
    },
    /// Drain `node` (its pods are evicted and rescheduled by their
    /// controllers) and delete it.
    Remove {
        /// The node.
        node: NodeId,
        /// Why.
        reason: &'static str,
    },
}

/// Adds and removes nodes, called every [`interval`](Self::interval).
pub trait NodeAutoscaler: Send {
    /// Policy name, as written in scenarios.
    fn name(&self) -> &'static str;
    /// How often it scans (Cluster Autoscaler's `--scan-interval`, 10 s).
    fn interval(&self) -> SimDuration;
    /// Looks at the cluster and appends the actions to take now.
    fn scan(&mut self, view: &NodeScalingView<'_>, actions: &mut Vec<NodeAction>);
}

/// Builds a registered replica autoscaler from its scenario parameters.
pub trait ReplicaAutoscalerPlugin: Send + Sync {
    /// Checks the `[services.autoscaler]` table (everything but `policy`).
    /// The default accepts none.
    fn validate(&self, params: &toml::Table) -> Result<(), String> {
        match params.keys().next() {
            None => Ok(()),
            Some(key) => Err(format!("unknown parameter `{key}`: this autoscaler takes none")),
        }
    }
    /// Builds the autoscaler for one service of one run.
    fn build(&self, params: &toml::Table, rng: SimRng) -> Box<dyn ReplicaAutoscaler>;
}

impl<F> ReplicaAutoscalerPlugin for F
where
    F: Fn(&toml::Table, SimRng) -> Box<dyn ReplicaAutoscaler> + Send + Sync,
{
    fn build(&self, params: &toml::Table, rng: SimRng) -> Box<dyn ReplicaAutoscaler> {
        self(params, rng)
    }
}

/// A service's replica autoscaler as the scenario chose it.
#[derive(Clone)]
pub enum ReplicaAutoscalerConfig {
    /// The HorizontalPodAutoscaler.
    Hpa(hpa::Hpa),
    /// A policy registered at run time (see `Registry::register_autoscaler`).
    Custom {
        /// Its `policy` name.
        name: String,
        /// The table without `policy`.
        params: toml::Table,
        /// The plugin.
        plugin: Arc<dyn ReplicaAutoscalerPlugin>,
    },
}

impl std::fmt::Debug for ReplicaAutoscalerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplicaAutoscalerConfig::Hpa(h) => f.debug_tuple("Hpa").field(h).finish(),
            ReplicaAutoscalerConfig::Custom { name, params, .. } => {
                f.debug_struct("Custom").field("name", name).field("params", params).finish()
            }
        }
    }
}

impl ReplicaAutoscalerConfig {
    /// Every built-in replica autoscaler (`[services.autoscaler] policy`).
    /// The HPA's `max_replicas` and `metrics` have no default: the entry
    /// holds an example of them (10 replicas, 80 % CPU).
    pub fn catalogue() -> Vec<PolicyInfo<ReplicaAutoscalerConfig>> {
        let spec = hpa::HpaSpec { min_replicas: 1, max_replicas: 10, behavior: None };
        vec![PolicyInfo {
            name: "hpa",
            summary: "The HorizontalPodAutoscaler (autoscaling/v2): every sync period, desired = ceil(current × \
                      usage / target) per metric (CPU utilization of the requests, or requests per pod), the \
                      largest wins; within the tolerance nothing changes; unready pods and missing metrics are \
                      treated as upstream does; without `behavior` the legacy algorithm (scale-up at most \
                      max(2 × current, 4) per sync, scale-down held 300 s), with it its rate policies and \
                      stabilization windows, each field left out defaulted as upstream.",
            default: ReplicaAutoscalerConfig::Hpa(hpa::Hpa::new(spec, vec![hpa::MetricTarget::CpuUtilization(80)])),
        }]
    }

    /// The policy name.
    pub fn name(&self) -> &str {
        match self {
            ReplicaAutoscalerConfig::Hpa(_) => "hpa",
            ReplicaAutoscalerConfig::Custom { name, .. } => name,
        }
    }

    /// A fresh autoscaler for one run.
    pub fn build(&self, rng: SimRng) -> Box<dyn ReplicaAutoscaler> {
        match self {
            ReplicaAutoscalerConfig::Hpa(h) => Box::new(h.clone()),
            ReplicaAutoscalerConfig::Custom { params, plugin, .. } => plugin.build(params, rng),
        }
    }
}

/// The node autoscaler as the scenario chose it.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeAutoscalerConfig {
    /// Kubernetes Cluster Autoscaler.
    ClusterAutoscaler(cluster_autoscaler::CaParams),
    /// A Karpenter-like consolidating provisioner.
    Karpenter(karpenter::KarpenterParams),
    /// A cloud target-tracking node group policy.
    TargetTracking(target_tracking::TargetTrackingParams),
}

impl NodeAutoscalerConfig {
    /// Every node autoscaler (`[node_autoscaler] policy`) with its defaults.
    pub fn catalogue() -> Vec<PolicyInfo<NodeAutoscalerConfig>> {
        vec![
            PolicyInfo {
                name: "cluster-autoscaler",
                summary: "Kubernetes Cluster Autoscaler: each scan, unschedulable pods that fit no existing or \
                          coming node are binpacked onto each pool's template and an expander picks the pool; \
                          a node at or below the utilization threshold whose pods a removal simulation places \
                          elsewhere (scheduler filters, disruption budgets) is unneeded, and removed once \
                          unneeded longer than the unneeded time (up to 10 a scan, one of them with pods).",
                default: NodeAutoscalerConfig::ClusterAutoscaler(Default::default()),
            },
            PolicyInfo {
                name: "karpenter",
                summary: "Karpenter: provisions the cheapest pool per pod placed for unschedulable pods at once, \
                          and consolidates (empty, multi-node, single-node: delete, or replace with a cheaper \
                          node) within a disruption budget; no utilization threshold.",
                default: NodeAutoscalerConfig::Karpenter(Default::default()),
            },
            PolicyInfo {
                name: "target-tracking",
                summary: "A cloud target tracking policy (AWS Auto Scaling): keeps the requested share of CPU \
                          (or CPU or memory), pending pods counted, near the target by resizing the pools in \
                          proportion, with scale-out and scale-in cooldowns; `pool` names one pool to scale \
                          (default: every pool with max > min).",
                default: NodeAutoscalerConfig::TargetTracking(Default::default()),
            },
        ]
    }

    /// The policy's name in scenarios.
    pub fn name(&self) -> &'static str {
        match self {
            NodeAutoscalerConfig::ClusterAutoscaler(_) => "cluster-autoscaler",
            NodeAutoscalerConfig::Karpenter(_) => "karpenter",
            NodeAutoscalerConfig::TargetTracking(_) => "target-tracking",
        }
    }

    /// A fresh autoscaler for one run.
    pub fn build(&self, rng: SimRng) -> Box<dyn NodeAutoscaler> {
        match self {
            NodeAutoscalerConfig::ClusterAutoscaler(p) => Box::new(cluster_autoscaler::ClusterAutoscaler::new(p.clone(), rng)),
            NodeAutoscalerConfig::Karpenter(p) => Box::new(karpenter::Karpenter::new(p.clone())),
            NodeAutoscalerConfig::TargetTracking(p) => Box::new(target_tracking::TargetTracking::new(p.clone())),
        }
    }
}

/// What the VPA does with its recommendations (`updatePolicy.updateMode`,
/// `pkg/apis/autoscaling.k8s.io/v1/types.go`). `InPlaceOrRecreate` and
/// `InPlace` are not offered: orchsim does not resize running pods in place.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum VpaMode {
    /// Recommend only (`Off`): recommendations are reported in
    /// `services.csv`, pods untouched.
    #[default]
    Off,
    /// `Initial`: new pods get the target at admission; running pods are never evicted.
    Initial,
    /// `Recreate`: as `Initial`, and the updater evicts running pods whose
    /// requests are off the recommendation so they are recreated with it.
    Recreate,
    /// `Auto` (deprecated upstream): the same as `Recreate`.
    Auto,
}

impl VpaMode {
    /// Whether new pods get the recommendation at admission (every mode but `Off`).
    pub fn applies_at_admission(self) -> bool {
        self != VpaMode::Off
    }

    /// Whether the updater evicts pods (`Recreate`, `Auto`; `RunOnce` skips the others).
    pub fn evicts(self) -> bool {
        matches!(self, VpaMode::Recreate | VpaMode::Auto)
    }

    /// The mode's name in scenarios (`[services.vpa] mode`).
    pub fn name(self) -> &'static str {
        match self {
            VpaMode::Off => "off",
            VpaMode::Initial => "initial",
            VpaMode::Recreate => "recreate",
            VpaMode::Auto => "auto",
        }
    }

    /// Every mode (`[services.vpa] mode`).
    pub fn catalogue() -> Vec<PolicyInfo<VpaMode>> {
        vec![
            PolicyInfo {
                name: VpaMode::Off.name(),
                summary: "The VerticalPodAutoscaler's recommender (updateMode Off): target, lower and upper bound \
                          of CPU and memory from decaying usage histograms, reported in services.csv; pods keep \
                          their requests.",
                default: VpaMode::Off,
            },
            PolicyInfo {
                name: VpaMode::Initial.name(),
                summary: "updateMode Initial: the recommender, and the admission controller gives each new \
                          replica the target as its requests (limits keep their ratio to requests); running \
                          replicas are never evicted.",
                default: VpaMode::Initial,
            },
            PolicyInfo {
                name: VpaMode::Recreate.name(),
                summary: "updateMode Recreate: as initial, and every minute the updater evicts replicas whose \
                          requests are outside the recommended bounds, or 10 % off the target after 12 h, at most \
                          half of the replicas at once, none below 2 live replicas, within the PodDisruptionBudget.",
                default: VpaMode::Recreate,
            },
            PolicyInfo {
                name: VpaMode::Auto.name(),
                summary: "updateMode Auto (deprecated upstream): the same as recreate.",
                default: VpaMode::Auto,
            },
        ]
    }
}

/// A service's VerticalPodAutoscaler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VpaConfig {
    /// Recommend only, or apply.
    pub mode: VpaMode,
    /// `updatePolicy.minReplicas`: overrides the updater's `--min-replicas`.
    pub min_replicas: Option<u32>,
}
