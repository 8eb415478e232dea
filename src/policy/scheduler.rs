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

pub mod borg;
pub mod classic;
pub mod filter;
pub mod first_fit;
pub mod kubernetes;
pub mod mesos;
pub mod offers;
pub mod swarm;
pub mod swarmkit;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::engine::SimRng;
use crate::model::{Cluster, Node, NodeId, Pod, PodId};
use crate::policy::autoscaler::ReplicaAutoscalerPlugin;
use crate::time::SimTime;
use classic::{Classic, ClassicRule};
use swarm::{Swarm, SwarmStrategy};

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
    /// Evict `victims` (lower-priority pods bound to `node`), which go back
    /// to the scheduling queue, then bind the pod to `node`.
    Preempt {
        /// Where the pod goes.
        node: NodeId,
        /// Pods bound to `node` to evict first.
        victims: Vec<PodId>,
    },
}

/// Runs the common filters on every node, asks `key` for a score of each
/// feasible one (`None` rejects it), and binds the pod to the highest key; ties
/// go to the lowest node index. The building block of the classic policies,
/// and the quickest way to write your own.
pub fn pick_max<K: PartialOrd>(pod: &Pod, view: &ClusterView<'_>, mut key: impl FnMut(NodeId, &Node) -> Option<K>) -> Placement {
    let mut counts = FilterCounts::default();
    let mut best: Option<(K, NodeId)> = None;
    for (i, node) in view.nodes().iter().enumerate() {
        let r = filter::check(pod, node);
        if !r.is_none() {
            counts.record(r);
            continue;
        }
        let id = NodeId(i as u32);
        match key(id, node) {
            Some(k) => {
                if best.as_ref().is_none_or(|(b, _)| k > *b) {
                    best = Some((k, id));
                }
            }
            None => {
                counts.examined += 1;
                counts.rejected_by_policy += 1;
            }
        }
    }
    match best {
        Some((_, id)) => Placement::Bind(id),
        None => Placement::Unschedulable(counts),
    }
}

/// Parameters of a policy that has none: an empty table, unknown keys rejected.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// One plugin's contribution to a candidate's score, as a scoring policy
/// reports it for `--explain` (written out by `crate::explain`).
#[derive(Clone, Debug, PartialEq)]
pub struct ScorePart {
    /// Plugin name, as upstream (`NodeResourcesFit`, …).
    pub plugin: &'static str,
    /// Its normalized score (0–100 for kube-scheduler).
    pub raw: f64,
    /// Its weight in the profile.
    pub weight: f64,
}

/// A scored candidate node of the last decision.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// The node.
    pub node: NodeId,
    /// Its total score.
    pub total: f64,
    /// Per-plugin parts.
    pub parts: Vec<ScorePart>,
}

/// A scheduling policy. Object-safe and `Send`, so a sweep can run many in
/// parallel from the same configuration.
pub trait Scheduler: Send {
    /// The policy's name as used in scenarios.
    fn name(&self) -> &'static str;
    /// Decides where `pod` goes.
    fn schedule(&mut self, pod: &Pod, view: &ClusterView<'_>) -> Placement;
    /// For `--explain`: the `top` best-scored candidates of the last
    /// decision, best first, with per-plugin parts. Called only when
    /// explanations are on; policies that do not score nodes keep the default.
    fn explain(&self, top: usize, out: &mut Vec<Candidate>) {
        let _ = (top, out);
    }
    /// Offer-based (two-level) policies return themselves: the simulation then
    /// runs their allocation cycles instead of asking about one pod at a time
    /// (see [`offers`]).
    fn offers(&mut self) -> Option<&mut dyn offers::OfferScheduler> {
        None
    }
    /// How the scheduling queue orders pods of equal priority: by time, as
    /// kube-scheduler's PrioritySort (the default), or round-robin by job.
    fn queue_sort(&self) -> crate::scheduling_queue::QueueSort {
        crate::scheduling_queue::QueueSort::PrioritySort
    }
}

/// Scheduler configuration in a scenario: `[scheduler] kind = "…"` plus the
/// policy's parameters. Unknown keys are errors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SchedulerConfig {
    /// kube-scheduler's default profile (see [`kubernetes`]).
    Kubernetes(kubernetes::KubernetesParams),
    /// The first node, in index order, that passes the filters.
    FirstFit(NoParams),
    /// The feasible node left with the least free capacity.
    BestFit(NoParams),
    /// The feasible node left with the most free capacity.
    WorstFit(NoParams),
    /// A uniformly random feasible node.
    Random(NoParams),
    /// Tetris' demand/free alignment.
    Tetris(NoParams),
    /// Classic Docker Swarm, spread strategy (its default).
    SwarmSpread(NoParams),
    /// Classic Docker Swarm, binpack strategy.
    SwarmBinpack(NoParams),
    /// Classic Docker Swarm, random strategy.
    SwarmRandom(NoParams),
    /// Borg: priority bands, preemption, hybrid packing.
    Borg(borg::BorgParams),
    /// Apache Mesos: DRF offers to batch and service frameworks.
    MesosDrf(mesos::MesosParams),
    /// Docker Swarm mode (SwarmKit): fewest tasks of the service, placement preferences.
    Swarmkit(swarmkit::SwarmkitParams),
    /// A policy registered at run time in a [`Registry`] (never read directly
    /// from TOML: the scenario parser resolves it by name).
    #[serde(skip)]
    Custom(CustomScheduler),
}

/// A scheduler added at run time (your own), selectable by name in scenarios
/// through a [`Registry`]. Any `Fn(&toml::Table, SimRng) -> Box<dyn Scheduler>`
/// is one, taking no parameters.
pub trait SchedulerPlugin: Send + Sync {
    /// Checks the scenario's `[scheduler]` parameters (everything but `kind`).
    /// The default accepts none.
    fn validate(&self, params: &toml::Table) -> Result<(), String> {
        match params.keys().next() {
            None => Ok(()),
            Some(key) => Err(format!("unknown parameter `{key}`: this scheduler takes none")),
        }
    }
    /// Builds the scheduler for one run from validated parameters and the
    /// policy's own random stream.
    fn build(&self, params: &toml::Table, rng: SimRng) -> Box<dyn Scheduler>;
}

impl<F> SchedulerPlugin for F
where
    F: Fn(&toml::Table, SimRng) -> Box<dyn Scheduler> + Send + Sync,
{
    fn build(&self, params: &toml::Table, rng: SimRng) -> Box<dyn Scheduler> {
        self(params, rng)
    }
}

/// The schedulers a scenario may name beyond the built-in ones.
#[derive(Clone, Default)]
pub struct Registry {
    plugins: BTreeMap<String, Arc<dyn SchedulerPlugin>>,
    autoscalers: BTreeMap<String, Arc<dyn ReplicaAutoscalerPlugin>>,
}

impl Registry {
    /// Registers `plugin` as `[scheduler] kind = "name"`. Built-in names are
    /// taken; registering one is a programming error and panics.
    pub fn register(&mut self, name: &str, plugin: impl SchedulerPlugin + 'static) -> &mut Self {
        assert!(!SchedulerConfig::is_builtin(name), "`{name}` is a built-in scheduler; choose another name");
        self.plugins.insert(name.to_string(), Arc::new(plugin));
        self
    }

    /// The plugin registered as `name`.
    pub fn get(&self, name: &str) -> Option<Arc<dyn SchedulerPlugin>> {
        self.plugins.get(name).cloned()
    }

    /// Registered names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.plugins.keys().map(String::as_str)
    }

    /// Registers `plugin` as a service's `[services.autoscaler] policy = "name"`.
    /// `hpa` is built in; registering it is a programming error and panics.
    pub fn register_autoscaler(&mut self, name: &str, plugin: impl ReplicaAutoscalerPlugin + 'static) -> &mut Self {
        assert!(name != "hpa", "`hpa` is built in; choose another name");
        self.autoscalers.insert(name.to_string(), Arc::new(plugin));
        self
    }

    /// The replica autoscaler registered as `name`.
    pub fn autoscaler(&self, name: &str) -> Option<Arc<dyn ReplicaAutoscalerPlugin>> {
        self.autoscalers.get(name).cloned()
    }

    /// Registered replica autoscaler names, sorted.
    pub fn autoscaler_names(&self) -> impl Iterator<Item = &str> {
        self.autoscalers.keys().map(String::as_str)
    }
}

/// A run-time registered scheduler with its scenario parameters.
#[derive(Clone)]
pub struct CustomScheduler {
    /// The `kind` it was registered under.
    pub kind: String,
    /// The `[scheduler]` table without `kind`.
    pub params: toml::Table,
    plugin: Arc<dyn SchedulerPlugin>,
}

impl CustomScheduler {
    /// `plugin` under `kind` with `params` (already validated).
    pub fn new(kind: String, params: toml::Table, plugin: Arc<dyn SchedulerPlugin>) -> Self {
        CustomScheduler { kind, params, plugin }
    }
}

impl fmt::Debug for CustomScheduler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomScheduler").field("kind", &self.kind).field("params", &self.params).finish_non_exhaustive()
    }
}

impl PartialEq for CustomScheduler {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.params == other.params
    }
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig::Kubernetes(kubernetes::KubernetesParams::default())
    }
}

/// One entry of the scheduler catalogue shown by `orchsim policies`.
pub type PolicyInfo = crate::policy::PolicyInfo<SchedulerConfig>;

impl SchedulerConfig {
    /// Whether `name` is a built-in policy.
    pub fn is_builtin(name: &str) -> bool {
        Self::catalogue().iter().any(|p| p.name == name)
    }

    /// The policy's name as used in scenarios.
    pub fn name(&self) -> &str {
        match self {
            SchedulerConfig::Custom(c) => &c.kind,
            SchedulerConfig::Kubernetes(_) => "kubernetes",
            SchedulerConfig::FirstFit(_) => "first-fit",
            SchedulerConfig::BestFit(_) => "best-fit",
            SchedulerConfig::WorstFit(_) => "worst-fit",
            SchedulerConfig::Random(_) => "random",
            SchedulerConfig::Tetris(_) => "tetris",
            SchedulerConfig::SwarmSpread(_) => "swarm-spread",
            SchedulerConfig::SwarmBinpack(_) => "swarm-binpack",
            SchedulerConfig::SwarmRandom(_) => "swarm-random",
            SchedulerConfig::Borg(_) => "borg",
            SchedulerConfig::MesosDrf(_) => "mesos-drf",
            SchedulerConfig::Swarmkit(_) => "swarmkit",
        }
    }

    /// Checks parameter ranges; returns `(field, message)` pairs.
    pub fn validate(&self) -> Vec<(String, String)> {
        match self {
            SchedulerConfig::Kubernetes(p) => p.validate(),
            SchedulerConfig::Borg(p) => p.validate(),
            SchedulerConfig::MesosDrf(p) => p.validate(),
            SchedulerConfig::Swarmkit(p) => p.validate(),
            _ => Vec::new(),
        }
    }

    /// Builds the policy with its own random stream.
    pub fn build(&self, rng: SimRng) -> Box<dyn Scheduler> {
        match self {
            SchedulerConfig::Kubernetes(p) => Box::new(kubernetes::KubernetesScheduler::new(p.clone(), rng)),
            SchedulerConfig::FirstFit(_) => Box::new(first_fit::FirstFit),
            SchedulerConfig::BestFit(_) => Box::new(Classic::new(ClassicRule::BestFit, rng)),
            SchedulerConfig::WorstFit(_) => Box::new(Classic::new(ClassicRule::WorstFit, rng)),
            SchedulerConfig::Random(_) => Box::new(Classic::new(ClassicRule::Random, rng)),
            SchedulerConfig::Tetris(_) => Box::new(Classic::new(ClassicRule::Tetris, rng)),
            SchedulerConfig::SwarmSpread(_) => Box::new(Swarm::new(SwarmStrategy::Spread, rng)),
            SchedulerConfig::SwarmBinpack(_) => Box::new(Swarm::new(SwarmStrategy::Binpack, rng)),
            SchedulerConfig::SwarmRandom(_) => Box::new(Swarm::new(SwarmStrategy::Random, rng)),
            SchedulerConfig::Borg(p) => Box::new(borg::Borg::new(p.clone())),
            SchedulerConfig::MesosDrf(p) => Box::new(mesos::Mesos::new(p, rng)),
            SchedulerConfig::Swarmkit(p) => Box::new(swarmkit::Swarmkit::new(p, rng)),
            SchedulerConfig::Custom(c) => c.plugin.build(&c.params, rng),
        }
    }

    /// Every scheduler with its defaults.
    pub fn catalogue() -> Vec<PolicyInfo> {
        vec![
            PolicyInfo {
                name: "kubernetes",
                summary: "kube-scheduler's default profile with upstream formulas and weights: filters \
                          NodeResourcesFit, TaintToleration, NodeAffinity, PodTopologySpread, InterPodAffinity \
                          (symmetric); scores NodeResourcesFit (Least/MostAllocated, RequestedToCapacityRatio), \
                          BalancedAllocation, ImageLocality, TaintToleration, NodeAffinity, PodTopologySpread, \
                          InterPodAffinity; percentageOfNodesToScore round-robin; seeded random tie-break; \
                          DefaultPreemption with PDB-aware victim and node choice; disabled_plugins per profile.",
                default: SchedulerConfig::Kubernetes(Default::default()),
            },
            PolicyInfo {
                name: "first-fit",
                summary: "The first node in index order that passes the same filters as kubernetes.",
                default: SchedulerConfig::FirstFit(NoParams {}),
            },
            PolicyInfo {
                name: "borg",
                summary: "Borg (EuroSys'15): priority bands (monitoring, production, batch, best-effort); \
                          lower-priority tasks' resources count as available and are preempted lowest \
                          priority first (prod never preempts prod; victims are re-queued); machines needing \
                          no preemption first, then fewer and lower victims, then best-fit, worst-fit or \
                          hybrid (least stranded resources) packing; equivalence classes skip rescans.",
                default: SchedulerConfig::Borg(Default::default()),
            },
            PolicyInfo {
                name: "mesos-drf",
                summary: "Apache Mesos two-level scheduling: every allocation interval (1 s) each shuffled agent's \
                          free resources are offered to the framework with the lowest weighted dominant share \
                          (DRF); batch (FIFO) and service (round-robin, Marathon-like) frameworks launch what \
                          fits or decline, and refused resources are filtered for refuse_seconds (5 s).",
                default: SchedulerConfig::MesosDrf(Default::default()),
            },
            PolicyInfo {
                name: "best-fit",
                summary: "The feasible node with the least free capacity left after placement, \
                          sum over resources of (free - request) / allocatable; packs tightly.",
                default: SchedulerConfig::BestFit(NoParams {}),
            },
            PolicyInfo {
                name: "worst-fit",
                summary: "The feasible node with the most free capacity left after placement; spreads.",
                default: SchedulerConfig::WorstFit(NoParams {}),
            },
            PolicyInfo {
                name: "random",
                summary: "A uniformly random feasible node, from the policy's own seeded stream.",
                default: SchedulerConfig::Random(NoParams {}),
            },
            PolicyInfo {
                name: "tetris",
                summary: "Tetris (Grandl et al., SIGCOMM'14): the feasible node maximizing the dot product of \
                          the pod's demand and the node's free resources, both normalized by capacity.",
                default: SchedulerConfig::Tetris(NoParams {}),
            },
            PolicyInfo {
                name: "swarm-spread",
                summary: "Classic Docker Swarm's default strategy: lowest cpuScore + memScore with \
                          score = (used + request)*100/total in integers; ties to fewer containers.",
                default: SchedulerConfig::SwarmSpread(NoParams {}),
            },
            PolicyInfo {
                name: "swarm-binpack",
                summary: "Classic Docker Swarm binpack: highest cpuScore + memScore; ties to more containers.",
                default: SchedulerConfig::SwarmBinpack(NoParams {}),
            },
            PolicyInfo {
                name: "swarm-random",
                summary: "Classic Docker Swarm random: uniform among nodes with room.",
                default: SchedulerConfig::SwarmRandom(NoParams {}),
            },
            PolicyInfo {
                name: "swarmkit",
                summary: "Docker Swarm mode (moby/swarmkit manager/scheduler): filters reservations (requests vs \
                          free allocatable), taints, node selectors and required node affinity as constraints, and max_replicas tasks of \
                          a service per node (0 = no limit); no resource scoring: nodeLess prefers nodes without \
                          5 recent failures of the service (none are modelled yet), then fewest tasks of the \
                          same service (workload class), then fewest tasks in total; placement_preferences \
                          (spread = \"node.labels.<key>\") send each task to the label branch with the fewest \
                          tasks of its service, level by level; seeded random tie-break.",
                default: SchedulerConfig::Swarmkit(Default::default()),
            },
        ]
    }
}
