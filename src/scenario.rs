//! Scenario files: TOML in, a validated [`Scenario`] out.
//!
//! Parsing happens in two layers, as in ripgrep's flags: serde reads the raw
//! file into `Raw*` structs (unknown keys are errors), then a `Validator` turns
//! them into typed settings, collecting every problem with the file, line,
//! column and field it concerns. Nothing downstream ever sees unvalidated input.
//!
//! The format is documented in `scenarios/quickstart.toml` and README.md.

pub mod catalogue;
pub mod dist;
mod failures;
pub mod locate;
pub mod quantity;
pub mod schema;
pub mod services;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::Deserialize;

use crate::model::affinity::{AffinitySelector, NodeAffinity, NodePlacement, PodAffinity, SpreadConstraint};
use crate::model::image::normalize_image_name;
use crate::model::workload::{BatchWorkload, DrawnJobs, JobSource, TraceJobs};
use crate::model::{DisruptionBudget, ImageId, ImageSpec, Node, PodCount, Resources, Taint, Toleration};
use crate::policy::autoscaler::NodeAutoscalerConfig;
use crate::policy::failure::FailureConfig;
use crate::policy::scheduler::{CustomScheduler, Registry, SchedulerConfig};
use crate::time::{SimDuration, SimTime};
use crate::trace::{self, Absolute, BadRows, Replay, ReplaySink, ReplayWindow, Scale, TaskFormat, TraceInputs};
use dist::{Dist, RawDist};
use quantity::{Literal, Unit};
pub use services::ServiceConfig;

/// The quickstart scenario, embedded so `orchsim run` works with no file.
pub const QUICKSTART: &str = include_str!("../scenarios/quickstart.toml");

/// A problem in a scenario, located as precisely as possible.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file (or `<embedded quickstart>`).
    pub file: String,
    /// 1-based line, if known.
    pub line: Option<usize>,
    /// 1-based column, if known.
    pub column: Option<usize>,
    /// Dotted field path, e.g. `batch[0].cpu.sigma`.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": ")?;
        if let Some(field) = &self.field {
            write!(f, "field `{field}`: ")?;
        }
        write!(f, "{}", self.message)
    }
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{path}: cannot read scenario: {error}")]
    Io {
        /// The path given.
        path: String,
        /// The I/O error: part of the message, so not also a `source` (an
        /// error chain printed with `{:#}` would show it twice).
        error: std::io::Error,
    },
    /// The file is not a valid scenario; every problem found is listed.
    #[error("{}", .0.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Diagnostic>),
}

// ---------------------------------------------------------------------------
// Raw layer: exactly what the file says.

/// An orchsim scenario: the cluster, its workload, the policies and what
/// fails (see scenarios/quickstart.toml and `orchsim policies`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "orchsim scenario")]
struct RawScenario {
    /// Name of the scenario; names the output directory `results/NAME/` (letters, digits, `.`, `_`, `-`).
    name: Option<String>,
    /// Free text.
    description: Option<String>,
    /// Master seed of the random streams (default 1); `--seed` overrides it.
    seed: Option<u64>,
    /// How long to run and how often to sample.
    #[serde(default)]
    simulation: RawSimulation,
    /// The cluster: groups of identical nodes.
    #[serde(default)]
    node_groups: Vec<RawNodeGroup>,
    /// Container images, with their sizes (pulled at the node's bandwidth).
    #[serde(default)]
    images: Vec<RawImage>,
    /// Batch workload classes: jobs drawn from distributions.
    #[serde(default)]
    batch: Vec<RawBatch>,
    /// Batch workload classes replayed from a trace.
    #[serde(default)]
    trace: Vec<RawTrace>,
    /// Long-running services with their request load and autoscalers.
    #[serde(default)]
    services: Vec<services::RawService>,
    /// The node autoscaler: policy = "cluster-autoscaler" | "karpenter" | "target-tracking" and its parameters.
    node_autoscaler: Option<services::RawNodeAutoscaler>,
    /// What fails during the run, and how the control plane reacts.
    failures: Option<failures::RawFailures>,
    /// The scheduler: kind = "…" and its parameters (default: kubernetes).
    // Kept raw: built-in kinds are read again with spans, registered ones
    // are handed to their plugin.
    #[schemars(with = "Option<schema::Scheduler>")]
    scheduler: Option<toml::Table>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawSimulation {
    /// Stop time; without it the run goes on until every job has arrived and finished.
    #[schemars(with = "Option<schema::Duration>")]
    duration: Option<Literal>,
    /// Interval between metric samples (default 10s).
    #[schemars(with = "Option<schema::Duration>")]
    sample_interval: Option<Literal>,
    /// Offered-load multiplier (default 1): arrivals come `load` times as often, services get `load` times their rate.
    load: Option<f64>,
}

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawNodeGroup {
    /// Group name; nodes are called NAME-0, NAME-1, …
    name: String,
    /// Nodes at the start.
    count: u32,
    /// Allocatable CPU of each node.
    #[schemars(with = "schema::Cpu")]
    cpu: Literal,
    /// Allocatable memory of each node.
    #[schemars(with = "schema::Bytes")]
    memory: Literal,
    /// GPUs of each node (default 0).
    #[serde(default)]
    gpu: u64,
    /// Kubelet maxPods (default 110).
    max_pods: Option<u32>,
    /// Zones, assigned round-robin (`topology.kubernetes.io/zone`; default ["zone-a"]).
    #[serde(default)]
    zones: Vec<String>,
    /// Extra node labels.
    #[serde(default)]
    labels: BTreeMap<String, String>,
    /// Node taints.
    #[serde(default)]
    taints: Vec<Taint>,
    /// Image pull bandwidth (default 100Mi/s).
    #[schemars(with = "Option<schema::Bandwidth>")]
    image_pull_bandwidth: Option<Literal>,
    /// Fixed latency of each image pull (default 500ms).
    #[schemars(with = "Option<schema::Duration>")]
    image_pull_latency: Option<Literal>,
    /// Images present on every node at the start.
    #[serde(default)]
    preloaded_images: Vec<String>,
    /// Fewest nodes a node autoscaler may leave (default: count).
    min: Option<u32>,
    /// Most nodes a node autoscaler may have (default: count).
    max: Option<u32>,
    /// Price of one node per hour (cost; the `price` expander).
    #[serde(default)]
    price_per_hour: f64,
    /// Preference of the `priority` expander (higher first).
    #[serde(default)]
    priority: i32,
    /// Time from a node autoscaler's request to the node joining (default 3m).
    #[schemars(with = "Option<schema::Dist<schema::Duration>>")]
    provisioning_delay: Option<RawDist>,
}

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawImage {
    /// Image name, e.g. `web:1` (normalised as Kubernetes does).
    name: String,
    /// Image size.
    #[schemars(with = "schema::Bytes")]
    size: Literal,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawBatch {
    /// Class name.
    name: String,
    /// Jobs to submit (else until `until` or the end of the run).
    jobs: Option<u64>,
    /// First arrival time (default 0).
    #[schemars(with = "Option<schema::Duration>")]
    start: Option<Literal>,
    /// No arrivals after this time.
    #[schemars(with = "Option<schema::Duration>")]
    until: Option<Literal>,
    /// Time between job arrivals.
    #[schemars(with = "schema::Dist<schema::Duration>")]
    interarrival: RawDist,
    /// Tasks (pods) per job (default 1).
    #[schemars(with = "Option<schema::Dist<schema::Count>>")]
    tasks: Option<RawDist>,
    /// Run time of each task.
    #[schemars(with = "schema::Dist<schema::Duration>")]
    duration: RawDist,
    /// Container start time after the image is present (default 1s).
    #[schemars(with = "Option<schema::Dist<schema::Duration>>")]
    startup: Option<RawDist>,
    /// CPU request of each task.
    #[schemars(with = "schema::Dist<schema::Cpu>")]
    cpu: RawDist,
    /// Memory request of each task.
    #[schemars(with = "schema::Dist<schema::Bytes>")]
    memory: RawDist,
    /// GPUs per task (default 0).
    #[serde(default)]
    gpu: u64,
    /// Limits as multiples of the requests (default 1).
    limits: Option<RawLimits>,
    /// Images of the class; each job uses one, uniformly.
    images: Vec<String>,
    /// Pod priority (default 0).
    #[serde(default)]
    priority: i32,
    /// Pod tolerations.
    #[serde(default)]
    tolerations: Vec<Toleration>,
    /// Node labels the pods require.
    #[serde(default)]
    node_selector: BTreeMap<String, String>,
    /// Node affinity: required and preferred terms.
    #[serde(default)]
    node_affinity: NodeAffinity,
    /// Topology spread constraints.
    #[serde(default)]
    topology_spread: Vec<SpreadConstraint>,
    /// Pod affinity terms.
    #[serde(default)]
    pod_affinity: PodAffinity<RawSelector>,
    /// Pod anti-affinity terms.
    #[serde(default)]
    pod_anti_affinity: PodAffinity<RawSelector>,
    /// A PodDisruptionBudget over the class's pods.
    disruption_budget: Option<RawBudget>,
}

/// `[[trace]]`: a batch class replayed from a trace (see `trace::replay`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawTrace {
    /// Class name.
    name: String,
    /// The trace format.
    format: TaskFormat,
    /// The trace's main table (task events, batch tasks, pod list, SWF log); `@traces/…` is the traces folder.
    tasks: String,
    /// Google job_events.
    jobs: Option<String>,
    /// Alibaba 2018 batch_instance.
    instances: Option<String>,
    /// Machines (node groups are made of them): Google machine_events, Alibaba 2018 machine_meta, the GPU node list, native machines.
    machines: Option<String>,
    /// Alibaba 2018 container_meta.
    containers: Option<String>,
    /// Trace time where the replay starts (default 0).
    #[schemars(with = "Option<schema::Duration>")]
    start: Option<Literal>,
    /// Length of the replayed window of trace time (default: to the end).
    #[schemars(with = "Option<schema::Duration>")]
    duration: Option<Literal>,
    /// Submission times are divided by this (default 1).
    speedup: Option<f64>,
    /// Fraction of the jobs kept, drawn per run (default 1).
    sample: Option<f64>,
    /// Cores of the largest machine, for traces that normalise CPU to it.
    #[schemars(with = "Option<schema::Cpu>")]
    machine_cpu: Option<Literal>,
    /// Memory of the largest machine, for traces that normalise memory to it.
    #[schemars(with = "Option<schema::Bytes>")]
    machine_memory: Option<Literal>,
    /// Skip and count malformed rows instead of failing at the first.
    #[serde(default)]
    skip_bad_rows: bool,
    /// Container start time (default 1s).
    #[schemars(with = "Option<schema::Dist<schema::Duration>>")]
    startup: Option<RawDist>,
    /// Limits as multiples of the requests (default 1).
    limits: Option<RawLimits>,
    /// Images of the class (default: an empty image of its own).
    #[serde(default)]
    images: Vec<String>,
    /// Added to the priority the trace gives.
    #[serde(default)]
    priority: i32,
    /// Pod tolerations.
    #[serde(default)]
    tolerations: Vec<Toleration>,
    /// Node labels the pods require.
    #[serde(default)]
    node_selector: BTreeMap<String, String>,
    /// Node affinity: required and preferred terms.
    #[serde(default)]
    node_affinity: NodeAffinity,
    /// Topology spread constraints.
    #[serde(default)]
    topology_spread: Vec<SpreadConstraint>,
    /// Pod affinity terms.
    #[serde(default)]
    pod_affinity: PodAffinity<RawSelector>,
    /// Pod anti-affinity terms.
    #[serde(default)]
    pod_anti_affinity: PodAffinity<RawSelector>,
    /// A PodDisruptionBudget over the class's pods.
    disruption_budget: Option<RawBudget>,
}

impl RawTrace {
    fn placement(&self) -> RawPlacement<'_> {
        RawPlacement {
            node_selector: &self.node_selector,
            node_affinity: &self.node_affinity,
            topology_spread: &self.topology_spread,
            pod_affinity: &self.pod_affinity,
            pod_anti_affinity: &self.pod_anti_affinity,
        }
    }
}

/// The image of a trace entry that names none.
fn implicit_image(t: &RawTrace) -> String {
    format!("{}-trace", t.name)
}

/// One node group per machine shape of the replay: `<trace>-<k>`, labelled
/// with the GPU model when there is one.
fn machine_groups(trace: &str, replay: &Replay) -> Vec<RawNodeGroup> {
    let usable = replay.machines.iter().filter(|m| m.cpu_milli > 0 && m.memory_bytes > 0);
    usable
        .enumerate()
        .map(|(k, m)| RawNodeGroup {
            name: format!("{trace}-{k}"),
            count: m.count,
            cpu: Literal::Text(format!("{}m", m.cpu_milli)),
            memory: Literal::Number(m.memory_bytes as f64),
            gpu: m.gpus as u64,
            max_pods: None,
            zones: Vec::new(),
            labels: if m.gpu_model.is_empty() {
                BTreeMap::new()
            } else {
                BTreeMap::from([(GPU_MODEL_LABEL.to_string(), m.gpu_model.clone())])
            },
            taints: Vec::new(),
            image_pull_bandwidth: None,
            image_pull_latency: None,
            preloaded_images: Vec::new(),
            min: None,
            max: None,
            price_per_hour: 0.0,
            priority: 0,
            provisioning_delay: None,
        })
        .collect()
}

/// The label carrying a trace machine's GPU model.
pub const GPU_MODEL_LABEL: &str = "orchsim.io/gpu-model";

/// A `[[trace]]` entry once its trace is read: the replay, and the node
/// groups its machines make (when it names machines).
#[derive(Clone)]
pub(crate) struct LoadedTrace {
    replay: Arc<Replay>,
    machine_groups: Vec<RawNodeGroup>,
}

/// Where a workload's pods may go, as written: the placement fields that
/// batch classes and services share (serde's `flatten` would lose
/// `deny_unknown_fields`, so each raw struct lends its fields).
struct RawPlacement<'a> {
    node_selector: &'a BTreeMap<String, String>,
    node_affinity: &'a NodeAffinity,
    topology_spread: &'a [SpreadConstraint],
    pod_affinity: &'a PodAffinity<RawSelector>,
    pod_anti_affinity: &'a PodAffinity<RawSelector>,
}

impl RawBatch {
    fn placement(&self) -> RawPlacement<'_> {
        RawPlacement {
            node_selector: &self.node_selector,
            node_affinity: &self.node_affinity,
            topology_spread: &self.topology_spread,
            pod_affinity: &self.pod_affinity,
            pod_anti_affinity: &self.pod_anti_affinity,
        }
    }
}

/// A pod (anti-)affinity term's selector as written: `"workload"`, `"job"`
/// or `{ class = "name" }`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
enum RawSelector {
    #[default]
    Workload,
    Job,
    Class(String),
}

/// `disruption_budget`: a PodDisruptionBudget over a class's or service's
/// pods; each count is a number of pods or a percentage (`"50%"`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawBudget {
    /// Pods that voluntary disruptions must leave Ready.
    #[schemars(with = "Option<schema::PodCount>")]
    min_available: Option<Literal>,
    /// Pods that may be unavailable (services only).
    #[schemars(with = "Option<schema::PodCount>")]
    max_unavailable: Option<Literal>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    /// CPU limit as a multiple of the request (≥ 1).
    cpu: Option<f64>,
    /// Memory limit as a multiple of the request (≥ 1).
    memory: Option<f64>,
}

// ---------------------------------------------------------------------------
// Validated layer.

/// A group of identical nodes.
#[derive(Clone, Debug)]
pub struct NodeGroup {
    /// Name; nodes are called `name-0`, `name-1`, …
    pub name: String,
    /// Number of nodes.
    pub count: u32,
    /// Allocatable resources of each node.
    pub allocatable: Resources,
    /// Kubelet `maxPods`.
    pub max_pods: u32,
    /// Zones, assigned round-robin (`topology.kubernetes.io/zone`).
    pub zones: Vec<String>,
    /// Extra labels.
    pub labels: BTreeMap<String, String>,
    /// Taints.
    pub taints: Vec<Taint>,
    /// Image pull bandwidth, bytes per second.
    pub pull_bandwidth: u64,
    /// Fixed latency of each pull.
    pub pull_latency: SimDuration,
    /// Images present on every node at time zero.
    pub preloaded_images: Vec<ImageId>,
    /// Fewest nodes a node autoscaler may leave (default: `count`).
    pub min: u32,
    /// Most nodes a node autoscaler may have (default: `count`).
    pub max: u32,
    /// Price of one node per hour (for cost; the `price` expander).
    pub price_per_hour: f64,
    /// Preference of the `priority` expander (higher first).
    pub priority: i32,
    /// Time from a node autoscaler's request to the node joining (µs).
    pub provisioning_delay: Dist,
}

impl NodeGroup {
    /// Name of node `k` of the group: `<group>-<k>`.
    pub fn node_name(&self, k: u32) -> String {
        format!("{}-{k}", self.name)
    }

    /// Zone of node `k`: the zones are assigned round-robin.
    pub fn zone_of(&self, k: u32) -> &str {
        &self.zones[k as usize % self.zones.len()]
    }

    /// Labels of node `k`: the group's own plus `topology.kubernetes.io/zone`,
    /// `kubernetes.io/hostname` and `orchsim.io/node-group`.
    pub fn node_labels(&self, k: u32) -> BTreeMap<String, String> {
        let mut labels = self.labels.clone();
        labels.insert(ZONE_LABEL.into(), self.zone_of(k).to_string());
        labels.insert(HOSTNAME_LABEL.into(), self.node_name(k));
        labels.insert("orchsim.io/node-group".into(), self.name.clone());
        labels
    }

    /// Node `k` of the group (group index `gi`), joining at `now` with the
    /// group's preloaded images, in a scenario of `images` images.
    pub fn node(&self, gi: u32, k: u32, images: usize, now: SimTime) -> Node {
        let mut image_ready_at = vec![None; images];
        for img in &self.preloaded_images {
            image_ready_at[img.0 as usize] = Some(now);
        }
        Node {
            zone: self.zone_of(k).to_string(),
            labels: self.node_labels(k),
            taints: self.taints.clone(),
            pull_bandwidth: self.pull_bandwidth,
            pull_latency: self.pull_latency,
            puller_free_at: now,
            image_ready_at,
            ..Node::new(self.node_name(k), gi, self.allocatable, self.max_pods, 0)
        }
    }
}

/// Parses a memory quantity such as `"64Gi"` or `"512M"` into bytes.
pub fn parse_memory(text: &str) -> Result<f64, String> {
    Unit::Bytes.parse(&Literal::Text(text.to_string()))
}

/// How to load a scenario, beyond what the file says.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct LoadOptions {
    /// Skip and count malformed trace rows instead of failing (`--skip-bad-rows`),
    /// whatever the `[[trace]]` entries say.
    pub skip_bad_rows: bool,
    /// Traces already read, to share between scenarios loaded with these options.
    pub traces: Option<Arc<TraceCache>>,
}

impl LoadOptions {
    /// Options that skip malformed trace rows.
    pub fn skipping_bad_rows() -> LoadOptions {
        LoadOptions { skip_bad_rows: true, traces: None }
    }

    /// These options, sharing traces through a [`TraceCache`] (theirs, or a new one).
    pub fn with_trace_cache(&self) -> LoadOptions {
        LoadOptions { traces: Some(self.traces.clone().unwrap_or_default()), ..self.clone() }
    }
}

/// Traces already read, shared by the scenarios of one experiment. Its grid
/// cells usually differ in policy or parameters, not in the trace, and a big
/// trace would otherwise be read, and held in memory, once per cell (the
/// Google 2011 replay: about 2 s and 80 MB a copy). Only what read without an
/// error is kept, keyed by everything that shaped it (files, format, window,
/// options), so a hit is what reading again would give.
#[derive(Default)]
pub struct TraceCache {
    pub(crate) replays: Memo<LoadedTrace>,
    pub(crate) series: Memo<SharedSeries>,
}

/// Readings kept by key (a description of everything that shaped them).
pub(crate) struct Memo<T>(Mutex<BTreeMap<String, T>>);

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Memo(Mutex::default())
    }
}

impl<T: Clone> Memo<T> {
    /// The reading kept under `key`.
    pub(crate) fn get(&self, key: &str) -> Option<T> {
        self.lock().get(key).cloned()
    }

    /// Keeps a reading that succeeded under `key`.
    pub(crate) fn keep(&self, key: String, value: &T) {
        self.lock().insert(key, value.clone());
    }

    fn len(&self) -> usize {
        self.lock().len()
    }

    /// A poisoned lock only means another thread panicked while holding it;
    /// a map of finished reads is still sound.
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, T>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A request-rate series as scenarios keep it: its points shared by every
/// scenario that reads it, and the rows its reading skipped.
#[derive(Clone)]
pub(crate) struct SharedSeries {
    pub(crate) points: Arc<[(SimTime, f64)]>,
    pub(crate) bad_rows: BadRows,
}

impl TraceCache {
    /// How many traces and request-rate series were read into the cache.
    pub fn len(&self) -> (usize, usize) {
        (self.replays.len(), self.series.len())
    }

    /// Whether nothing was read into the cache yet.
    pub fn is_empty(&self) -> bool {
        self.len() == (0, 0)
    }
}

impl fmt::Debug for TraceCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (replays, series) = self.len();
        f.debug_struct("TraceCache").field("replays", &replays).field("series", &series).finish()
    }
}

/// A validated scenario: everything a run needs.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Name, used for the default output directory.
    pub name: String,
    /// Free text from the file.
    pub description: String,
    /// Master seed (overridable with `--seed`).
    pub seed: u64,
    /// Stop time; `None` runs until every job has arrived and finished.
    pub duration: Option<SimDuration>,
    /// Interval between metric samples.
    pub sample_interval: SimDuration,
    /// Offered-load multiplier (`[simulation] load`, default 1): batch
    /// arrivals (drawn and replayed) come `load` times as often and services
    /// get `load` times their request rate. The random draws are the same
    /// whatever the load (common random numbers), so a sweep over load levels
    /// compares the same jobs arriving faster or slower.
    pub load: f64,
    /// Node groups.
    pub node_groups: Vec<NodeGroup>,
    /// Images.
    pub images: Vec<ImageSpec>,
    /// Batch workload classes.
    pub batch: Vec<BatchWorkload>,
    /// Long-running services (their pods' workload index follows the batch classes).
    pub services: Vec<ServiceConfig>,
    /// The node autoscaler and the longest provisioning it waits for.
    pub node_autoscaler: Option<(NodeAutoscalerConfig, SimDuration)>,
    /// Scheduler policy.
    pub scheduler: SchedulerConfig,
    /// What fails, and changes to how the control plane reacts (`[failures]`).
    pub failures: FailureConfig,
    /// Malformed trace rows skipped while loading (`skip_bad_rows`), to report.
    pub skipped_rows: Vec<SkippedRows>,
    /// What is valid but probably not what was meant (a duration whose mean
    /// is infinite, or whose tail reaches past [`MAX_HORIZON`]), to report
    /// before the run.
    pub warnings: Vec<Diagnostic>,
}

/// Malformed rows that reading one trace skipped (`skip_bad_rows` or
/// `--skip-bad-rows`): the run goes on without them, and says so.
#[derive(Clone, Debug, PartialEq)]
pub struct SkippedRows {
    /// The scenario field naming the trace: `trace[0].tasks`, `services[1].load.series.file`.
    pub field: String,
    /// Rows skipped.
    pub count: u64,
    /// The first skipped rows' errors, each with its file, line and column.
    pub examples: Vec<String>,
}

impl SkippedRows {
    fn of(field: String, bad: &BadRows) -> Option<SkippedRows> {
        (bad.count > 0).then(|| SkippedRows { field, count: bad.count, examples: bad.examples.clone() })
    }
}

impl fmt::Display for SkippedRows {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let more = self.count - self.examples.len() as u64;
        write!(f, "{}: skipped {} malformed row(s)", self.field, self.count)?;
        for example in &self.examples {
            write!(f, "\n  {example}")?;
        }
        if more > 0 {
            write!(f, "\n  … and {more} more")?;
        }
        Ok(())
    }
}

/// The label carrying a node's zone (`zone = "a"` targets in `[failures]` mean it).
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";
/// The label carrying a node's name.
pub const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";

/// Default kubelet `maxPods`.
pub const DEFAULT_MAX_PODS: u32 = 110;
/// Default image pull bandwidth: 100 MiB/s.
pub const DEFAULT_PULL_BANDWIDTH: u64 = 100 * 1024 * 1024;
/// Default fixed pull latency: 500 ms.
pub const DEFAULT_PULL_LATENCY: SimDuration = SimDuration::from_millis(500);
/// Default container startup time: 1 s.
pub const DEFAULT_STARTUP: SimDuration = SimDuration::from_secs(1);
/// Default node provisioning delay (GCE takes 3–4 minutes, semantics.md §3).
pub const DEFAULT_PROVISIONING_DELAY: &str = "3m";
/// Default sampling interval: 10 s.
pub const DEFAULT_SAMPLE_INTERVAL: SimDuration = SimDuration::from_secs(10);

/// Longest run: any duration in a scenario must be shorter, and a run without
/// `[simulation] duration` stops here at the latest (with a warning), so a
/// heavy-tailed task duration cannot keep a run going for ever.
pub const MAX_HORIZON: SimDuration = SimDuration::from_secs(366 * 86_400);
/// Largest `[simulation] load` multiplier.
pub const MAX_LOAD: f64 = 1000.0;
/// Shortest sampling interval.
pub const MIN_SAMPLE_INTERVAL: SimDuration = SimDuration::from_millis(1);
/// Chance of a sample beyond [`MAX_HORIZON`] from which validation warns
/// (one in a million: a few thousand jobs then reach the horizon in a few
/// runs out of a thousand; a lighter tail cannot matter).
pub const TAIL_WARNING: f64 = 1e-6;
/// Most samples a run may take (`duration / sample_interval`).
pub const MAX_SAMPLES: u64 = 5_000_000;
/// Most nodes in a scenario.
pub const MAX_NODES: u64 = 1_000_000;
/// Most images a scenario may declare (image ids travel in 16-bit event fields).
pub const MAX_IMAGES: usize = 1 << 16;
/// Most tasks one job may have.
pub const MAX_TASKS_PER_JOB: f64 = 1_000_000.0;
/// Most pods a scenario may be expected to submit (memory: ~200 bytes each).
pub const MAX_EXPECTED_PODS: f64 = 50_000_000.0;

impl Scenario {
    /// Reads and validates the scenario at `path`.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let source = std::fs::read_to_string(path).map_err(|error| ScenarioError::Io { path: path.display().to_string(), error })?;
        Scenario::parse(&source, &path.display().to_string())
    }

    /// The embedded quickstart scenario.
    pub fn quickstart() -> Scenario {
        Scenario::parse(QUICKSTART, "<embedded quickstart>").expect("the embedded quickstart scenario is valid")
    }

    /// Parses and validates `source`; `file` names it in errors. Only built-in
    /// schedulers may be named; see [`parse_with`](Self::parse_with).
    pub fn parse(source: &str, file: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse_with(source, file, &Registry::default())
    }

    /// Reads and validates the scenario at `path`, which may name the
    /// schedulers in `registry` as well as the built-in ones.
    pub fn load_with(path: &Path, registry: &Registry) -> Result<Scenario, ScenarioError> {
        let source = std::fs::read_to_string(path).map_err(|error| ScenarioError::Io { path: path.display().to_string(), error })?;
        Scenario::parse_with(&source, &path.display().to_string(), registry)
    }

    /// Parses and validates `source`, which may name the schedulers in
    /// `registry` as well as the built-in ones.
    pub fn parse_with(source: &str, file: &str, registry: &Registry) -> Result<Scenario, ScenarioError> {
        Scenario::parse_with_options(source, file, registry, &LoadOptions::default())
    }

    /// Reads and validates the scenario at `path` with `options`.
    pub fn load_with_options(path: &Path, registry: &Registry, options: &LoadOptions) -> Result<Scenario, ScenarioError> {
        let source = std::fs::read_to_string(path).map_err(|error| ScenarioError::Io { path: path.display().to_string(), error })?;
        Scenario::parse_with_options(&source, &path.display().to_string(), registry, options)
    }

    /// [`parse_with`](Self::parse_with), with `options`.
    pub fn parse_with_options(source: &str, file: &str, registry: &Registry, options: &LoadOptions) -> Result<Scenario, ScenarioError> {
        let raw: RawScenario = toml::from_str(source).map_err(|e| ScenarioError::Invalid(vec![toml_diagnostic(source, file, &e)]))?;
        let mut v = Validator {
            source,
            file,
            registry,
            options: options.clone(),
            diagnostics: Vec::new(),
            warnings: Vec::new(),
            skipped: Vec::new(),
        };
        let scenario = v.scenario(raw);
        if v.diagnostics.is_empty() {
            Ok(scenario.expect("no diagnostics means a scenario"))
        } else {
            Err(ScenarioError::Invalid(v.diagnostics))
        }
    }

    /// Total number of nodes.
    pub fn node_count(&self) -> u64 {
        self.node_groups.iter().map(|g| g.count as u64).sum()
    }

    /// One line describing the scenario, for `orchsim validate`.
    pub fn summary(&self) -> String {
        let cap = self.node_groups.iter().fold(Resources::ZERO, |acc, g| {
            let n = g.count as u64;
            acc + Resources {
                cpu_milli: g.allocatable.cpu_milli * n,
                memory_bytes: g.allocatable.memory_bytes * n,
                gpu: g.allocatable.gpu * n,
            }
        });
        // Classes bounded by time (`until`, or the run) have no job count to
        // show. Each task of a job is one pod; a drawn class's pods are
        // expected (jobs × mean tasks) unless its task count is a constant.
        // A trace class submits what arrives before the run ends, a job
        // counted once however many instants its tasks arrive at; `sample`
        // keeps a share of the jobs drawn per run, so that count is expected.
        struct Count {
            jobs: f64,
            pods: f64,
            jobs_exact: bool,
            pods_exact: bool,
        }
        let end = self.duration.map(|d| SimTime::ZERO + d);
        let expected = |b: &BatchWorkload| match &b.source {
            JobSource::Drawn(d) => d.jobs.map(|j| Count {
                jobs: j as f64,
                pods: j as f64 * d.tasks.mean(),
                jobs_exact: true,
                pods_exact: d.tasks.lower_bound() == d.tasks.upper_bound(),
            }),
            JobSource::Trace(t) => {
                let arrived = t.replay.tasks.iter().filter(|task| end.is_none_or(|e| crate::simulation::at_load(task.at, self.load) <= e));
                let mut jobs: Vec<u64> = arrived.clone().map(|task| task.job).collect();
                jobs.sort_unstable();
                jobs.dedup();
                let pods: u64 = arrived.map(|task| u64::from(task.instances)).sum();
                let exact = t.sample >= 1.0;
                Some(Count { jobs: jobs.len() as f64 * t.sample, pods: pods as f64 * t.sample, jobs_exact: exact, pods_exact: exact })
            }
        };
        let jobs = match self.batch.iter().map(expected).collect::<Option<Vec<_>>>() {
            Some(counted) => {
                let about = |exact: bool| if exact { "" } else { "~" };
                let (jobs, pods) = (counted.iter().map(|c| c.jobs).sum::<f64>(), counted.iter().map(|c| c.pods).sum::<f64>());
                let (jobs_exact, pods_exact) = (counted.iter().all(|c| c.jobs_exact), counted.iter().all(|c| c.pods_exact));
                format!("{}{jobs:.0} jobs ({}{pods:.0} pods)", about(jobs_exact), about(pods_exact))
            }
            None => "arrivals over time".to_string(),
        };
        let duration = self.duration.map_or("until all work is done".to_string(), |d| format!("for {d}"));
        let failures = &self.failures;
        let failures = if failures.is_empty() {
            String::new()
        } else {
            let models = failures.nodes.len() + failures.outages.len() + failures.crashes.len() + failures.spot.len();
            format!(", {models} failure model(s) and {} scripted event(s)", failures.script.len())
        };
        format!(
            "{}: {} nodes in {} group(s) ({} cores, {:.0} GiB, {} GPUs), {} image(s), {} batch class(es) with {}, scheduler {}, seed {}{failures}, runs {}",
            self.name,
            self.node_count(),
            self.node_groups.len(),
            cap.cpu_milli / 1000,
            cap.memory_bytes as f64 / (1u64 << 30) as f64,
            cap.gpu,
            self.images.len(),
            self.batch.len(),
            jobs,
            self.scheduler.name(),
            self.seed,
            duration
        )
    }
}

/// Whether `name` is safe as a directory name: letters, digits, `.`, `_`, `-`,
/// and not `.` or `..`.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Reads the parameters of the built-in scheduler `kind` from `de` (the
/// `[scheduler]` table; a `kind` key in it is an unknown field). They are
/// read straight into the variant's parameters rather than through
/// `SchedulerConfig`'s internally tagged `Deserialize`, which buffers the
/// table and so loses every span: an error names its own key's line, also
/// inside `[[scheduler.frameworks]]`. The match is exhaustive, so a new
/// policy cannot be forgotten here.
fn builtin_scheduler<'de, D: serde::Deserializer<'de, Error = toml::de::Error>>(
    kind: &str,
    de: D,
) -> Result<SchedulerConfig, toml::de::Error> {
    use serde::de::Error as _;
    let default = SchedulerConfig::catalogue().into_iter().find(|p| p.name == kind).map(|p| p.default);
    Ok(match default.ok_or_else(|| toml::de::Error::custom(format!("unknown scheduler `{kind}`")))? {
        SchedulerConfig::Kubernetes(_) => SchedulerConfig::Kubernetes(Deserialize::deserialize(de)?),
        SchedulerConfig::FirstFit(_) => SchedulerConfig::FirstFit(Deserialize::deserialize(de)?),
        SchedulerConfig::BestFit(_) => SchedulerConfig::BestFit(Deserialize::deserialize(de)?),
        SchedulerConfig::WorstFit(_) => SchedulerConfig::WorstFit(Deserialize::deserialize(de)?),
        SchedulerConfig::Random(_) => SchedulerConfig::Random(Deserialize::deserialize(de)?),
        SchedulerConfig::Tetris(_) => SchedulerConfig::Tetris(Deserialize::deserialize(de)?),
        SchedulerConfig::SwarmSpread(_) => SchedulerConfig::SwarmSpread(Deserialize::deserialize(de)?),
        SchedulerConfig::SwarmBinpack(_) => SchedulerConfig::SwarmBinpack(Deserialize::deserialize(de)?),
        SchedulerConfig::SwarmRandom(_) => SchedulerConfig::SwarmRandom(Deserialize::deserialize(de)?),
        SchedulerConfig::Borg(_) => SchedulerConfig::Borg(Deserialize::deserialize(de)?),
        SchedulerConfig::MesosDrf(_) => SchedulerConfig::MesosDrf(Deserialize::deserialize(de)?),
        SchedulerConfig::Swarmkit(_) => SchedulerConfig::Swarmkit(Deserialize::deserialize(de)?),
        SchedulerConfig::Custom(_) => return Err(toml::de::Error::custom(format!("`{kind}` is not a built-in scheduler"))),
    })
}

/// A TOML deserialization error as a diagnostic: its span gives the line,
/// column and (through the document tree) the field.
fn toml_diagnostic(source: &str, file: &str, e: &toml::de::Error) -> Diagnostic {
    let mut message = e.message().trim().to_string();
    let mut offset = e.span().map(|s| s.start);
    // toml refuses a key of too many parts without saying where.
    if offset.is_none() && message == "recursion limit" {
        offset = locate::deepest_dotted_key(source);
        message = "this key has too many parts (toml's recursion limit)".into();
    }
    let pos = offset.map(|o| locate::position(source, o));
    Diagnostic {
        file: file.to_string(),
        line: pos.map(|p| p.line),
        column: pos.map(|p| p.column),
        // A key of thousands of parts is not worth quoting.
        field: offset.and_then(|o| locate::path_at(source, o)).filter(|f| f.len() <= 200),
        message,
    }
}

struct Validator<'a> {
    source: &'a str,
    file: &'a str,
    registry: &'a Registry,
    options: LoadOptions,
    diagnostics: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    skipped: Vec<SkippedRows>,
}

impl Validator<'_> {
    /// A diagnostic about `field`, located at the field's own line.
    fn diagnostic(&self, field: &str, message: String) -> Diagnostic {
        let pos = locate::span_of(self.source, field).map(|s| locate::position(self.source, s.start));
        Diagnostic {
            file: self.file.to_string(),
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.column),
            field: Some(field.to_string()),
            message,
        }
    }

    fn error(&mut self, field: &str, message: impl Into<String>) {
        let d = self.diagnostic(field, message.into());
        self.diagnostics.push(d);
    }

    fn warn(&mut self, field: &str, message: impl Into<String>) {
        let d = self.diagnostic(field, message.into());
        self.warnings.push(d);
    }

    /// Warns about a batch duration or gap that would make a run's length or
    /// its averages meaningless: an infinite mean (a Pareto with shape ≤ 1
    /// and no `max`), or, in a run without `[simulation] duration`, a tail
    /// that reaches past [`MAX_HORIZON`] often enough to matter, which would
    /// keep the run going, and sampling, for up to a year of simulated time.
    fn heavy_tail(&mut self, field: &str, dist: Option<&Dist>, bounded_run: bool) {
        let Some(d) = dist else { return };
        let days = MAX_HORIZON.as_secs_f64() / 86_400.0;
        let beyond = d.survival(MAX_HORIZON.as_micros() as f64);
        if d.mean().is_infinite() && d.upper_bound().is_infinite() {
            let cut = if bounded_run {
                String::new()
            } else {
                format!(", and without [simulation] duration a run may go on to the {days}-day horizon")
            };
            self.warn(
                field,
                format!("the mean is infinite (a Pareto shape ≤ 1): a few samples dominate every average{cut}; give it a `max`"),
            );
        } else if !bounded_run && beyond >= TAIL_WARNING {
            self.warn(
                field,
                format!(
                    "about one sample in {:.0} is longer than the {days}-day horizon at which a run without [simulation] duration is cut; give it a `max` or set [simulation] duration",
                    (1.0 / beyond).round()
                ),
            );
        }
    }

    /// An error deserializing the table at `field` (read by
    /// [`locate::read_table`]): at its own key's line where toml gave a span,
    /// at the table otherwise (a missing key).
    fn toml_error(&mut self, field: &str, e: &toml::de::Error) {
        if e.span().is_some_and(|s| !s.is_empty()) {
            self.diagnostics.push(toml_diagnostic(self.source, self.file, e));
        } else {
            self.error(field, e.message().trim());
        }
    }

    fn quantity(&mut self, field: &str, lit: &Literal, unit: Unit) -> Option<f64> {
        match unit.parse(lit) {
            Ok(v) if v < 0.0 => {
                self.error(field, format!("must not be negative, got {lit}"));
                None
            }
            Ok(v) => Some(v),
            Err(m) => {
                self.error(field, m);
                None
            }
        }
    }

    /// A quantity that must round to at least one base unit (node capacity).
    fn positive_quantity(&mut self, field: &str, lit: &Literal, unit: Unit) -> u64 {
        match self.quantity(field, lit, unit).map(|v| v.round() as u64) {
            Some(0) => {
                self.error(field, format!("must be positive, got {lit}"));
                0
            }
            Some(v) => v,
            None => 0,
        }
    }

    /// A duration no longer than [`MAX_HORIZON`].
    fn duration(&mut self, field: &str, lit: &Literal) -> Option<SimDuration> {
        let us = self.quantity(field, lit, Unit::Duration)?;
        match SimDuration::from_secs_f64(us / 1e6) {
            Some(d) if d <= MAX_HORIZON => Some(d),
            _ => {
                self.error(
                    field,
                    format!("{lit} is longer than the longest run orchsim simulates ({} days)", MAX_HORIZON.as_secs_f64() / 86_400.0),
                );
                None
            }
        }
    }

    fn dist(&mut self, field: &str, raw: &RawDist, unit: Unit) -> Option<Dist> {
        match Dist::from_raw(raw, unit) {
            Ok(d) if unit == Unit::Duration && d.lower_bound() > MAX_HORIZON.as_micros() as f64 => {
                self.error(
                    field,
                    format!(
                        "every sample is longer than the longest run orchsim simulates ({} days)",
                        MAX_HORIZON.as_secs_f64() / 86_400.0
                    ),
                );
                None
            }
            Ok(d) => Some(d),
            Err((param, message)) => {
                let path = if param.is_empty() { field.to_string() } else { format!("{field}.{param}") };
                self.error(&path, message);
                None
            }
        }
    }

    fn scenario(&mut self, raw: RawScenario) -> Option<Scenario> {
        let sim = &raw.simulation;
        if !valid_name(raw.name.as_deref().unwrap_or("scenario")) {
            self.error("name", "use letters, digits, `.`, `_` and `-` only (it names the output directory)");
        }
        let duration = sim.duration.as_ref().and_then(|l| self.duration("simulation.duration", l));
        if duration == Some(SimDuration::ZERO) {
            self.error("simulation.duration", "must be positive");
        }
        let sample_interval = match &sim.sample_interval {
            Some(l) => self.duration("simulation.sample_interval", l),
            None => Some(DEFAULT_SAMPLE_INTERVAL),
        };
        if let Some(si) = sample_interval {
            let span = duration.unwrap_or(MAX_HORIZON);
            if si < MIN_SAMPLE_INTERVAL {
                self.error("simulation.sample_interval", format!("must be at least {MIN_SAMPLE_INTERVAL}"));
            } else if duration.is_some() && span.as_micros() / si.as_micros() > MAX_SAMPLES {
                self.error(
                    "simulation.sample_interval",
                    format!("would take more than {MAX_SAMPLES} samples over the run; sample less often"),
                );
            }
        }
        let load = sim.load.unwrap_or(1.0);
        if !(load > 0.0 && load <= MAX_LOAD) {
            self.error("simulation.load", format!("must be a multiplier in (0, {MAX_LOAD}], got {load}"));
        }

        let base = Path::new(self.file).parent().unwrap_or(Path::new("."));
        let loaded: Vec<Option<LoadedTrace>> = raw.trace.iter().enumerate().map(|(i, t)| self.load_trace(i, t, base, duration)).collect();
        // A trace without images of its own gets an empty one (its pods then wait only for the pull latency).
        let mut raw_images = raw.images.clone();
        raw_images.extend(
            raw.trace.iter().filter(|t| t.images.is_empty()).map(|t| RawImage { name: implicit_image(t), size: Literal::Number(0.0) }),
        );
        let images = self.images(&raw_images);
        let image_index: BTreeMap<String, ImageId> =
            images.iter().enumerate().map(|(i, im)| (im.name.clone(), ImageId(i as u32))).collect();
        let mut raw_groups = raw.node_groups.clone();
        raw_groups.extend(loaded.iter().flatten().flat_map(|l| l.machine_groups.iter().cloned()));
        let node_groups = self.node_groups(&raw_groups, &image_index);
        let sized = self.cluster_size(&node_groups);
        let names: Vec<String> = raw
            .batch
            .iter()
            .map(|b| b.name.clone())
            .chain(raw.trace.iter().map(|t| t.name.clone()))
            .chain(raw.services.iter().map(|s| s.name.clone()))
            .collect();
        let mut batch = self.batch(&raw.batch, &image_index, duration, &names);
        self.pods_fit_some_node(&batch, &node_groups);
        self.affinity_matches_some_node(&batch, &node_groups);
        batch.extend(self.trace_classes(&raw.trace, loaded, &image_index, &names));
        let services = self.services(&raw.services, &image_index, &names, raw.batch.len() + raw.trace.len(), base);
        if !services.is_empty() && duration.is_none() {
            self.error("simulation.duration", "services run until stopped: give the run a duration");
        }
        let node_autoscaler = raw.node_autoscaler.as_ref().and_then(|n| self.node_autoscaler(n, &node_groups));
        if node_autoscaler.is_some() && !node_groups.iter().any(|g| g.max > g.min) {
            self.error("node_autoscaler", "no node group can change size: give one `min` and `max`");
        }
        let failures = raw.failures.as_ref().map(|f| self.failures(f, &node_groups, &image_index, &names, duration)).unwrap_or_default();
        if sized {
            self.resource_totals(&node_groups, &failures.nodes_added(node_groups.len()));
        }

        let scheduler = self.scheduler(raw.scheduler.as_ref(), &names);
        if !self.diagnostics.is_empty() {
            return None;
        }
        Some(Scenario {
            name: raw.name.unwrap_or_else(|| "scenario".into()),
            description: raw.description.unwrap_or_default(),
            seed: raw.seed.unwrap_or(1),
            duration,
            sample_interval: sample_interval?,
            load,
            node_groups,
            images,
            batch,
            services,
            node_autoscaler,
            scheduler: scheduler?,
            failures,
            skipped_rows: std::mem::take(&mut self.skipped),
            warnings: std::mem::take(&mut self.warnings),
        })
    }

    /// Resolves `[scheduler]`: a built-in kind is deserialized from the source
    /// (so its errors keep their lines), a registered one is checked by its
    /// plugin, anything else is an error listing what exists.
    fn scheduler(&mut self, table: Option<&toml::Table>, workload_names: &[String]) -> Option<SchedulerConfig> {
        let Some(table) = table else { return Some(SchedulerConfig::default()) };
        let kind = match table.get("kind") {
            Some(toml::Value::String(k)) => k.clone(),
            Some(_) => {
                self.error("scheduler.kind", "must be a string such as \"kubernetes\"");
                return None;
            }
            None => {
                self.error("scheduler", "needs `kind`, e.g. kind = \"kubernetes\" (see `orchsim policies`)");
                return None;
            }
        };
        if SchedulerConfig::is_builtin(&kind) {
            let read = locate::read_table(self.source, "scheduler", &["kind"], |de| builtin_scheduler(&kind, de));
            match read.unwrap_or_else(|| builtin_scheduler(&kind, toml::Value::Table(table.clone()))) {
                Ok(mut scheduler) => {
                    let mut errors = scheduler.validate();
                    if let SchedulerConfig::MesosDrf(p) = &mut scheduler {
                        errors.extend(p.resolve(workload_names));
                    }
                    for (field, message) in errors {
                        self.error(&format!("scheduler.{field}"), message);
                    }
                    Some(scheduler)
                }
                Err(e) => {
                    self.toml_error("scheduler", &e);
                    None
                }
            }
        } else if let Some(plugin) = self.registry.get(&kind) {
            let mut params = table.clone();
            params.remove("kind");
            match plugin.validate(&params) {
                Ok(()) => Some(SchedulerConfig::Custom(CustomScheduler::new(kind, params, plugin))),
                Err(message) => {
                    self.error("scheduler", message);
                    None
                }
            }
        } else {
            let known: Vec<&str> = SchedulerConfig::catalogue().iter().map(|p| p.name).chain(self.registry.names()).collect();
            self.error("scheduler.kind", format!("unknown scheduler `{kind}`; known: {}", known.join(", ")));
            None
        }
    }

    fn images(&mut self, raw: &[RawImage]) -> Vec<ImageSpec> {
        let mut images: Vec<ImageSpec> = Vec::new();
        for (i, im) in raw.iter().enumerate() {
            let name = normalize_image_name(&im.name);
            if images.iter().any(|o| o.name == name) {
                self.error(&format!("images[{i}].name"), format!("image `{name}` is defined twice"));
            }
            let size = self.quantity(&format!("images[{i}].size"), &im.size, Unit::Bytes).unwrap_or(0.0);
            images.push(ImageSpec { name, size_bytes: size.round() as u64 });
        }
        if images.len() > MAX_IMAGES {
            self.error("images", format!("{} images; orchsim tracks at most {MAX_IMAGES}", images.len()));
        }
        images
    }

    fn image_refs(&mut self, field: &str, names: &[String], index: &BTreeMap<String, ImageId>) -> Vec<ImageId> {
        let mut ids = Vec::new();
        for (i, name) in names.iter().enumerate() {
            match index.get(&normalize_image_name(name)) {
                Some(id) => ids.push(*id),
                None => self.error(&format!("{field}[{i}]"), format!("unknown image `{name}`; define it in an [[images]] entry")),
            }
        }
        ids
    }

    fn node_groups(&mut self, raw: &[RawNodeGroup], image_index: &BTreeMap<String, ImageId>) -> Vec<NodeGroup> {
        if raw.is_empty() {
            self.error("node_groups", "the cluster needs at least one [[node_groups]] entry");
        }
        let mut groups: Vec<NodeGroup> = Vec::new();
        for (i, g) in raw.iter().enumerate() {
            let f = |name: &str| format!("node_groups[{i}].{name}");
            if groups.iter().any(|o| o.name == g.name) {
                self.error(&f("name"), format!("node group `{}` is defined twice", g.name));
            }
            if g.count == 0 && g.max.unwrap_or(0) == 0 {
                self.error(&f("count"), "must be at least 1 (or give the pool a `max` for a node autoscaler to fill)");
            }
            let cpu = self.positive_quantity(&f("cpu"), &g.cpu, Unit::Cpu);
            let memory = self.positive_quantity(&f("memory"), &g.memory, Unit::Bytes);
            let max_pods = g.max_pods.unwrap_or(DEFAULT_MAX_PODS);
            if max_pods == 0 {
                self.error(&f("max_pods"), "must be at least 1");
            }
            let pull_bandwidth = match &g.image_pull_bandwidth {
                Some(l) => self.quantity(&f("image_pull_bandwidth"), l, Unit::Bandwidth).unwrap_or(1.0).round() as u64,
                None => DEFAULT_PULL_BANDWIDTH,
            };
            if pull_bandwidth == 0 {
                self.error(&f("image_pull_bandwidth"), "must be positive");
            }
            let pull_latency = match &g.image_pull_latency {
                Some(l) => self.duration(&f("image_pull_latency"), l).unwrap_or_default(),
                None => DEFAULT_PULL_LATENCY,
            };
            let preloaded_images = self.image_refs(&f("preloaded_images"), &g.preloaded_images, image_index);
            let (min, max) = (g.min.unwrap_or(g.count.min(g.max.unwrap_or(g.count))), g.max.unwrap_or(g.count));
            if !(min <= g.count && g.count <= max) {
                self.error(&f("max"), format!("need min ≤ count ≤ max, got {min} ≤ {} ≤ {max}", g.count));
            }
            if !(g.price_per_hour >= 0.0 && g.price_per_hour.is_finite()) {
                self.error(&f("price_per_hour"), "must be a finite number ≥ 0");
            }
            let delay_default = RawDist::Constant(Literal::Text(DEFAULT_PROVISIONING_DELAY.into()));
            let provisioning_delay =
                self.dist(&f("provisioning_delay"), g.provisioning_delay.as_ref().unwrap_or(&delay_default), Unit::Duration);
            groups.push(NodeGroup {
                name: g.name.clone(),
                count: g.count,
                allocatable: Resources { cpu_milli: cpu, memory_bytes: memory, gpu: g.gpu },
                max_pods,
                zones: if g.zones.is_empty() { vec!["zone-a".to_string()] } else { g.zones.clone() },
                labels: g.labels.clone(),
                taints: g.taints.clone(),
                pull_bandwidth,
                pull_latency,
                preloaded_images,
                min,
                max,
                price_per_hour: g.price_per_hour,
                priority: g.priority,
                provisioning_delay: provisioning_delay.unwrap_or(Dist::constant(0.0)),
            });
        }
        groups
    }

    fn node_affinity(&mut self, field: &str, a: &NodeAffinity) {
        for (t, term) in a.required.iter().enumerate() {
            if term.match_expressions.is_empty() {
                self.error(&format!("{field}.required[{t}]"), "an empty term matches no node; give it match_expressions");
            }
            for (i, r) in term.match_expressions.iter().enumerate() {
                if let Some(problem) = r.problem() {
                    self.error(&format!("{field}.required[{t}].match_expressions[{i}]"), problem);
                }
            }
        }
        for (t, term) in a.preferred.iter().enumerate() {
            if !(1..=100).contains(&term.weight) {
                self.error(&format!("{field}.preferred[{t}].weight"), format!("must be between 1 and 100, got {}", term.weight));
            }
            for (i, r) in term.match_expressions.iter().enumerate() {
                if let Some(problem) = r.problem() {
                    self.error(&format!("{field}.preferred[{t}].match_expressions[{i}]"), problem);
                }
            }
        }
    }

    /// The node table must fit in memory.
    fn cluster_size(&mut self, groups: &[NodeGroup]) -> bool {
        let nodes: u64 = groups.iter().map(|g| g.count as u64).sum();
        if nodes > MAX_NODES {
            let i = (0..groups.len()).max_by_key(|&i| groups[i].count).unwrap_or(0);
            self.error(&format!("node_groups[{i}].count"), format!("{nodes} nodes in all; orchsim simulates at most {MAX_NODES}"));
            return false;
        }
        true
    }

    /// The cluster's totals must fit the integer accounting with every group
    /// at its most nodes: its `max`, which a node autoscaler may fill, plus
    /// the nodes that scripted `add` events bring (`added`, per group).
    fn resource_totals(&mut self, groups: &[NodeGroup], added: &[u64]) {
        type Part = fn(&Resources) -> u64;
        let resources: [(&str, Part); 3] = [("cpu", |r| r.cpu_milli), ("memory", |r| r.memory_bytes), ("gpu", |r| r.gpu)];
        for (name, f) in resources {
            let most = |i: usize| u128::from(groups[i].count.max(groups[i].max)) + u128::from(added.get(i).copied().unwrap_or(0));
            let share = |i: &usize| most(*i) * u128::from(f(&groups[*i].allocatable));
            if (0..groups.len()).map(|i| share(&i)).sum::<u128>() > (u64::MAX / 4) as u128 {
                // The error points at the group contributing most.
                let i = (0..groups.len()).max_by_key(share).unwrap_or(0);
                self.error(
                    &format!("node_groups[{i}].{name}"),
                    format!("the cluster's total {name} is too large to account for; check the unit"),
                );
            }
        }
    }

    fn batch(
        &mut self,
        raw: &[RawBatch],
        image_index: &BTreeMap<String, ImageId>,
        run_duration: Option<SimDuration>,
        class_names: &[String],
    ) -> Vec<BatchWorkload> {
        let bounded_run = run_duration.is_some();
        let mut out: Vec<BatchWorkload> = Vec::new();
        for (i, b) in raw.iter().enumerate() {
            let f = |name: &str| format!("batch[{i}].{name}");
            if out.iter().any(|o| o.name == b.name) {
                self.error(&f("name"), format!("batch workload `{}` is defined twice", b.name));
            }
            if b.jobs.is_none() && b.until.is_none() && !bounded_run {
                self.error(&f("name"), "this workload never stops submitting: set `jobs` or `until` here, or [simulation] duration");
            }
            let start = b.start.as_ref().and_then(|l| self.duration(&f("start"), l)).unwrap_or_default();
            let until = b.until.as_ref().and_then(|l| self.duration(&f("until"), l)).map(|d| SimTime::ZERO + d);
            if until.is_some_and(|u| u < SimTime::ZERO + start) {
                self.error(&f("until"), "is before `start`: no job would ever arrive");
            }
            let one = RawDist::Constant(Literal::Number(1.0));
            let startup_default = RawDist::Constant(Literal::Number(DEFAULT_STARTUP.as_secs_f64()));
            let interarrival = self.dist(&f("interarrival"), &b.interarrival, Unit::Duration);
            let tasks = self.dist(&f("tasks"), b.tasks.as_ref().unwrap_or(&one), Unit::Count);
            let duration = self.dist(&f("duration"), &b.duration, Unit::Duration);
            self.heavy_tail(&f("interarrival"), interarrival.as_ref(), bounded_run);
            self.heavy_tail(&f("duration"), duration.as_ref(), bounded_run);
            let startup = self.dist(&f("startup"), b.startup.as_ref().unwrap_or(&startup_default), Unit::Duration);
            let cpu = self.dist(&f("cpu"), &b.cpu, Unit::Cpu);
            let memory = self.dist(&f("memory"), &b.memory, Unit::Bytes);
            if let Some(t) = &tasks {
                if t.upper_bound() == 0.0 {
                    self.error(&f("tasks"), "jobs need at least one task");
                } else if t.upper_bound() > MAX_TASKS_PER_JOB {
                    self.error(&f("tasks"), format!("jobs may have at most {MAX_TASKS_PER_JOB} tasks; give the distribution a `max`"));
                }
            }
            if let (Some(d), Some(t)) = (&interarrival, &tasks) {
                // Jobs submitted: the `jobs` limit, or the arrival window over the mean gap.
                let window = until.map(|u| u - (SimTime::ZERO + start)).or(run_duration).unwrap_or(MAX_HORIZON);
                let jobs = match b.jobs {
                    Some(j) => j as f64,
                    None if d.mean() < 1.0 => f64::INFINITY,
                    None => window.as_micros() as f64 / d.mean(),
                };
                if jobs * t.mean() > MAX_EXPECTED_PODS {
                    self.error(
                        &f("interarrival"),
                        format!("this class would submit about {:.3e} pods; orchsim runs at most {MAX_EXPECTED_PODS:.0}", jobs * t.mean()),
                    );
                }
            }
            let limit_factor = self.limit_factor(&format!("batch[{i}]"), b.limits.as_ref());
            if b.images.is_empty() {
                self.error(&f("images"), "name at least one image");
            }
            let placement = self.placement(&format!("batch[{i}]"), b.placement(), class_names);
            let disruption_budget = self.budget(&format!("batch[{i}]"), b.disruption_budget.as_ref(), false);
            let images = self.image_refs(&f("images"), &b.images, image_index);
            let (Some(interarrival), Some(tasks), Some(duration), Some(startup), Some(cpu), Some(memory)) =
                (interarrival, tasks, duration, startup, cpu, memory)
            else {
                continue;
            };
            out.push(BatchWorkload {
                name: b.name.clone(),
                source: JobSource::Drawn(Arc::new(DrawnJobs {
                    jobs: b.jobs,
                    start: SimTime::ZERO + start,
                    until,
                    interarrival,
                    tasks,
                    duration,
                    cpu,
                    memory,
                    gpu: b.gpu,
                })),
                startup,
                limit_factor,
                images,
                priority: b.priority,
                tolerations: Arc::from(b.tolerations.clone()),
                placement: Arc::new(placement),
                disruption_budget,
            });
        }
        out
    }

    /// Reads the trace of `[[trace]]` entry `i` and cuts its window; the
    /// trace's own errors (file, line, column) become the diagnostic's message.
    fn load_trace(&mut self, i: usize, t: &RawTrace, base: &Path, run: Option<SimDuration>) -> Option<LoadedTrace> {
        let f = |name: &str| format!("trace[{i}].{name}");
        let start = t.start.as_ref().and_then(|l| self.duration(&f("start"), l)).unwrap_or_default();
        let length = t.duration.as_ref().and_then(|l| self.duration(&f("duration"), l));
        if length == Some(SimDuration::ZERO) {
            self.error(&f("duration"), "must be positive");
        }
        let speedup = t.speedup.unwrap_or(1.0);
        if !(speedup.is_finite() && speedup > 0.0) {
            self.error(&f("speedup"), format!("must be a finite number > 0, got {speedup}"));
        }
        let sample = t.sample.unwrap_or(1.0);
        if !(sample > 0.0 && sample <= 1.0) {
            self.error(&f("sample"), format!("is the fraction of jobs kept: > 0 and ≤ 1, got {sample}"));
        }
        let cores = t.machine_cpu.as_ref().and_then(|l| self.quantity(&f("machine_cpu"), l, Unit::Cpu)).map(|m| m / 1000.0);
        let bytes = t.machine_memory.as_ref().and_then(|l| self.quantity(&f("machine_memory"), l, Unit::Bytes));
        if !self.diagnostics.is_empty() {
            // Reading a big trace only to report an unrelated mistake would waste the user's time.
            return None;
        }
        let resolve = |p: &Option<String>| p.as_deref().map(|p| trace::resolve_path(p, base));
        let inputs = TraceInputs {
            tasks: trace::resolve_path(&t.tasks, base),
            jobs: resolve(&t.jobs),
            instances: resolve(&t.instances),
            machines: resolve(&t.machines),
            containers: resolve(&t.containers),
        };
        let skip_bad_rows = t.skip_bad_rows || self.options.skip_bad_rows;
        let window = ReplayWindow {
            start_us: start.as_micros(),
            length_us: length.map(SimDuration::as_micros),
            speedup,
            machine: Absolute { cores: cores.unwrap_or(1.0), bytes: bytes.unwrap_or(1.0) },
        };
        // Everything that shapes the result (`sample` is applied per run, later).
        let key = format!("{:?}", (&inputs, t.format.name(), skip_bad_rows, &window, cores, bytes, &t.name, run.is_some()));
        let cache = self.options.traces.clone();
        let loaded = match cache.as_ref().and_then(|c| c.replays.get(&key)) {
            Some(hit) => hit,
            None => {
                let errors = self.diagnostics.len();
                let loaded = self.read_trace(i, t, &inputs, skip_bad_rows, &window, run)?;
                if let Some(cache) = cache.filter(|_| self.diagnostics.len() == errors) {
                    cache.replays.keep(key, &loaded);
                }
                loaded
            }
        };
        self.skipped.extend(SkippedRows::of(f("tasks"), &loaded.replay.bad_rows));
        Some(loaded)
    }

    /// Reads and cuts the trace of `[[trace]]` entry `i` (see
    /// [`Validator::load_trace`]), keeping only the window's tasks while reading.
    fn read_trace(
        &mut self,
        i: usize,
        t: &RawTrace,
        inputs: &TraceInputs,
        skip_bad_rows: bool,
        window: &ReplayWindow,
        run: Option<SimDuration>,
    ) -> Option<LoadedTrace> {
        let f = |name: &str| format!("trace[{i}].{name}");
        let mut sink = ReplaySink::new(*window);
        let read = match t.format.read_into(inputs, skip_bad_rows, &mut sink) {
            Ok(read) => read,
            Err(e) => {
                self.error(&f("tasks"), format!("cannot read the {} trace: {e}", t.format.name()));
                return None;
            }
        };
        let normalised = [
            (read.units.cpu, t.machine_cpu.is_some(), "machine_cpu", "CPU"),
            (read.units.memory, t.machine_memory.is_some(), "machine_memory", "memory"),
        ];
        for (scale, given, field, what) in normalised {
            if scale == Scale::Normalized && !given {
                let message = format!(
                    "the {} trace gives {what} as a fraction of its largest machine's: give that machine's size here",
                    t.format.name()
                );
                self.error(&f(field), message);
            }
        }
        let replay = match sink.finish(read) {
            Ok(replay) => replay,
            Err(e) => {
                self.error(&f("start"), e.to_string());
                return None;
            }
        };
        if replay.counts.pods as f64 > MAX_EXPECTED_PODS {
            self.error(&f("sample"), format!("the window holds {} pods; orchsim runs at most {MAX_EXPECTED_PODS:.0}", replay.counts.pods));
        }
        if run.is_none() && replay.tasks.iter().any(|t| t.duration.is_none()) {
            self.error(&f("name"), "some tasks were still running when the trace ends and never finish: give [simulation] a duration");
        }
        let machine_groups = if inputs.machines.is_some() { machine_groups(&t.name, &replay) } else { Vec::new() };
        if inputs.machines.is_some() && machine_groups.is_empty() {
            self.error(&f("machines"), "no machine with CPU and memory is present when the window opens");
        }
        Some(LoadedTrace { replay: Arc::new(replay), machine_groups })
    }

    /// The batch classes of the `[[trace]]` entries that could be read.
    fn trace_classes(
        &mut self,
        raw: &[RawTrace],
        loaded: Vec<Option<LoadedTrace>>,
        image_index: &BTreeMap<String, ImageId>,
        class_names: &[String],
    ) -> Vec<BatchWorkload> {
        let mut out = Vec::new();
        for (i, (t, loaded)) in raw.iter().zip(loaded).enumerate() {
            let f = |name: &str| format!("trace[{i}].{name}");
            if class_names.iter().filter(|n| **n == t.name).count() > 1 {
                self.error(&f("name"), format!("workload `{}` is defined twice", t.name));
            }
            let startup_default = RawDist::Constant(Literal::Number(DEFAULT_STARTUP.as_secs_f64()));
            let startup = self.dist(&f("startup"), t.startup.as_ref().unwrap_or(&startup_default), Unit::Duration);
            let limit_factor = self.limit_factor(&format!("trace[{i}]"), t.limits.as_ref());
            let placement = self.placement(&format!("trace[{i}]"), t.placement(), class_names);
            let disruption_budget = self.budget(&format!("trace[{i}]"), t.disruption_budget.as_ref(), false);
            let images = if t.images.is_empty() { vec![implicit_image(t)] } else { t.images.clone() };
            let images = self.image_refs(&f("images"), &images, image_index);
            let (Some(loaded), Some(startup)) = (loaded, startup) else { continue };
            out.push(BatchWorkload {
                name: t.name.clone(),
                source: JobSource::Trace(TraceJobs { replay: loaded.replay, format: t.format, sample: t.sample.unwrap_or(1.0) }),
                startup,
                limit_factor,
                images,
                priority: t.priority,
                tolerations: Arc::from(t.tolerations.clone()),
                placement: Arc::new(placement),
                disruption_budget,
            });
        }
        out
    }

    /// `limits = { cpu = 2, memory = 1.5 }`: multiples of the requests (≥ 1).
    fn limit_factor(&mut self, prefix: &str, limits: Option<&RawLimits>) -> (f64, f64) {
        let factor = (limits.and_then(|l| l.cpu).unwrap_or(1.0), limits.and_then(|l| l.memory).unwrap_or(1.0));
        for (name, v) in [("limits.cpu", factor.0), ("limits.memory", factor.1)] {
            if !(v >= 1.0 && v.is_finite()) {
                self.error(&format!("{prefix}.{name}"), format!("a limit is a multiple of the request and must be at least 1, got {v}"));
            }
        }
        factor
    }

    /// A workload's placement rules: node affinity checked, pod (anti-)affinity
    /// selectors resolved against `class_names` (batch classes, then services).
    fn placement(&mut self, prefix: &str, raw: RawPlacement<'_>, class_names: &[String]) -> NodePlacement {
        let f = |name: &str| format!("{prefix}.{name}");
        self.node_affinity(&f("node_affinity"), raw.node_affinity);
        let mut pod_terms = [PodAffinity::default(), PodAffinity::default()];
        for (k, (name, a)) in [("pod_affinity", raw.pod_affinity), ("pod_anti_affinity", raw.pod_anti_affinity)].into_iter().enumerate() {
            let resolved = a.try_map(|s, path| match s {
                RawSelector::Workload => Ok(AffinitySelector::Workload),
                RawSelector::Job => Ok(AffinitySelector::Job),
                RawSelector::Class(c) => match class_names.iter().position(|other| other == c) {
                    Some(index) => Ok(AffinitySelector::Class(index as u32)),
                    None => Err((format!("{name}.{path}.class"), format!("no [[batch]] class or [[services]] entry is named `{c}`"))),
                },
            });
            match resolved {
                Ok(terms) => pod_terms[k] = terms,
                Err((field, message)) => self.error(&f(&field), message),
            }
            for (t, term) in a.preferred.iter().enumerate() {
                if !(1..=100).contains(&term.weight) {
                    self.error(&f(&format!("{name}.preferred[{t}].weight")), format!("must be between 1 and 100, got {}", term.weight));
                }
            }
            let keys = a.required.iter().map(|t| &t.topology_key).chain(a.preferred.iter().map(|t| &t.topology_key));
            if keys.clone().any(|k| k.is_empty()) {
                self.error(&f(name), "every term needs a topology_key, e.g. kubernetes.io/hostname");
            }
        }
        let [pod_affinity, pod_anti_affinity] = pod_terms;
        for (c, constraint) in raw.topology_spread.iter().enumerate() {
            if constraint.max_skew == 0 {
                self.error(&f(&format!("topology_spread[{c}].max_skew")), "must be at least 1");
            }
            if constraint.topology_key.is_empty() {
                self.error(&f(&format!("topology_spread[{c}].topology_key")), "name a node label, e.g. topology.kubernetes.io/zone");
            }
        }
        NodePlacement {
            node_selector: raw.node_selector.clone(),
            affinity: raw.node_affinity.clone(),
            topology_spread: raw.topology_spread.to_vec(),
            pod_affinity,
            pod_anti_affinity,
        }
    }

    /// A `disruption_budget` table. `scaled` says whether the pods have a
    /// controller with a replica count (services do, batch jobs do not):
    /// without one, Kubernetes takes only an integer `min_available`.
    fn budget(&mut self, prefix: &str, raw: Option<&RawBudget>, scaled: bool) -> Option<DisruptionBudget> {
        let field = format!("{prefix}.disruption_budget");
        let (name, count) = match raw? {
            RawBudget { min_available: Some(_), max_unavailable: Some(_) } => {
                self.error(&field, "set one of min_available and max_unavailable, not both (as Kubernetes requires)");
                return None;
            }
            RawBudget { min_available: Some(m), max_unavailable: None } => ("min_available", m),
            RawBudget { min_available: None, max_unavailable: Some(m) } => ("max_unavailable", m),
            RawBudget { min_available: None, max_unavailable: None } => {
                self.error(&field, "set min_available or max_unavailable");
                return None;
            }
        };
        let field = format!("{field}.{name}");
        let count = self.pod_count(&field, count)?;
        let budget = if name == "min_available" { DisruptionBudget::MinAvailable(count) } else { DisruptionBudget::MaxUnavailable(count) };
        if !scaled && budget.needs_scale() {
            self.error(
                &field,
                "batch jobs have no replica count to scale by, so Kubernetes takes only an integer min_available for their pods",
            );
            return None;
        }
        Some(budget)
    }

    /// A PDB count: a whole number of pods, or a whole percentage `"P%"` (0–100).
    fn pod_count(&mut self, field: &str, raw: &Literal) -> Option<PodCount> {
        let count = match raw {
            Literal::Number(n) if *n >= 0.0 && n.fract() == 0.0 && *n <= f64::from(u32::MAX) => Some(PodCount::Pods(*n as u32)),
            // Digits only, as Kubernetes' IntOrString percentages (`"+50%"` is no percentage).
            Literal::Text(t) => t
                .strip_suffix('%')
                .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse::<u32>().ok())
                .filter(|p| *p <= 100)
                .map(PodCount::Percent),
            Literal::Number(_) => None,
        };
        if count.is_none() {
            self.error(field, format!("expected a whole number of pods or a percentage such as \"50%\" (0–100 %), got {raw}"));
        }
        count
    }

    /// Pods whose node selector or required affinity matches no node would
    /// wait forever: almost certainly a typo in a label. Checks every node of
    /// clusters up to 100,000 nodes (labels differ per node by hostname).
    fn affinity_matches_some_node(&mut self, batch: &[BatchWorkload], groups: &[NodeGroup]) {
        if groups.iter().map(|g| g.count as u64).sum::<u64>() > 100_000 {
            return;
        }
        for (i, b) in batch.iter().enumerate() {
            if b.placement.is_empty() || groups.iter().any(|g| (0..g.count.max(1)).any(|k| b.placement.allows(&g.node_labels(k)))) {
                continue;
            }
            let field = if b.placement.node_selector.is_empty() { "node_affinity" } else { "node_selector" };
            self.error(&format!("batch[{i}].{field}"), format!("pods of `{}` match no node's labels, so they could never run", b.name));
        }
    }

    /// A pod whose smallest possible request fits no node would wait forever:
    /// almost certainly a unit mistake ("8" cores vs "8Gi"), so it is an error.
    fn pods_fit_some_node(&mut self, batch: &[BatchWorkload], groups: &[NodeGroup]) {
        for (i, b) in batch.iter().enumerate() {
            // A trace's tasks are what they were: the validate summary counts those that fit no node.
            let JobSource::Drawn(d) = &b.source else { continue };
            let smallest = Resources { cpu_milli: d.cpu.lower_bound() as u64, memory_bytes: d.memory.lower_bound() as u64, gpu: d.gpu };
            if groups.is_empty() || groups.iter().any(|g| smallest.fits_in(&g.allocatable)) {
                continue;
            }
            let field = if !groups.iter().any(|g| smallest.cpu_milli <= g.allocatable.cpu_milli) {
                "cpu"
            } else if !groups.iter().any(|g| smallest.memory_bytes <= g.allocatable.memory_bytes) {
                "memory"
            } else {
                "gpu"
            };
            self.error(
                &format!("batch[{i}].{field}"),
                format!(
                    "pods of `{}` request at least {}m CPU, {} MiB memory and {} GPU, which fits no node group",
                    b.name,
                    smallest.cpu_milli,
                    smallest.memory_bytes >> 20,
                    smallest.gpu
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quickstart with its batch classes' durations replaced by `duration`
    /// and, when `bounded`, a fixed run length.
    fn quickstart_with(duration: &str, bounded: bool) -> Scenario {
        let mut source = QUICKSTART.to_string();
        let first = source.find("\nduration =").expect("the quickstart has a batch duration");
        let end = first + 1 + source[first + 1..].find('\n').unwrap();
        source.replace_range(first + 1..end, &format!("duration = {duration}"));
        if bounded {
            source = source.replacen("[simulation]", "[simulation]\nduration = \"2h\"", 1);
        }
        Scenario::parse(&source, "q.toml").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_quickstart_has_nothing_to_warn_about() {
        assert!(Scenario::quickstart().warnings.is_empty());
    }

    #[test]
    fn an_infinite_mean_duration_is_warned_about_at_its_line() {
        let s = quickstart_with(r#"{ dist = "pareto", scale = "1s", shape = 0.01 }"#, false);
        assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
        let w = &s.warnings[0];
        assert_eq!(w.field.as_deref(), Some("batch[0].duration"));
        assert!(w.message.contains("mean is infinite") && w.message.contains("366-day horizon"), "{w}");
        let line = QUICKSTART.lines().position(|l| l.starts_with("duration =")).unwrap() + 1;
        assert_eq!(w.line, Some(line));
        // With a fixed run length the infinite mean still skews every average.
        let s = quickstart_with(r#"{ dist = "pareto", scale = "1s", shape = 0.5 }"#, true);
        assert_eq!(s.warnings.len(), 1);
        assert!(!s.warnings[0].message.contains("horizon"), "{}", s.warnings[0]);
        // A `max` bounds it: nothing to say.
        assert!(quickstart_with(r#"{ dist = "pareto", scale = "1s", shape = 0.5, max = "1h" }"#, false).warnings.is_empty());
    }

    #[test]
    fn a_tail_past_the_horizon_is_warned_about_only_in_open_ended_runs() {
        // P(X > 366 d) = erfc(ln(8784) / (3 √2)) / 2 ≈ 1.2e-3 for a log-normal of median 1 h, sigma 3.
        let heavy = r#"{ dist = "lognormal", median = "1h", sigma = 3.0 }"#;
        let s = quickstart_with(heavy, false);
        assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
        assert!(s.warnings[0].message.contains("one sample in 8"), "{}", s.warnings[0]);
        assert!(quickstart_with(heavy, true).warnings.is_empty());
        // A light tail (sigma 1: about 1e-19) is no concern.
        assert!(quickstart_with(r#"{ dist = "lognormal", median = "1h", sigma = 1.0 }"#, false).warnings.is_empty());
    }

    /// The diagnostics of `text`, which must be invalid.
    fn diagnostics(text: &str) -> Vec<Diagnostic> {
        match Scenario::parse(text, "t.toml") {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(ScenarioError::Invalid(d)) => d,
            Err(e) => panic!("{e}"),
        }
    }

    /// A pool of `count` nodes of `memory` each, up to `max`, and a node autoscaler.
    fn pool(count: u32, max: u32, memory: &str) -> String {
        format!(
            "name = \"t\"\n[simulation]\nduration = \"1h\"\n\
             [[node_groups]]\nname = \"base\"\ncount = 2\ncpu = \"4\"\nmemory = \"32Gi\"\n\
             [[node_groups]]\nname = \"big\"\ncount = {count}\nmin = 0\nmax = {max}\ncpu = \"8\"\nmemory = \"{memory}\"\n\
             [node_autoscaler]\npolicy = \"cluster-autoscaler\"\n"
        )
    }

    #[test]
    fn cluster_totals_count_the_nodes_a_node_autoscaler_may_add() {
        // Found by the `simulate` fuzz target: an empty pool of absurd nodes
        // passed validation, and the totals saturated once the Cluster
        // Autoscaler added two of them, then underflowed as they left.
        let d = diagnostics(&pool(0, 12, "4444444444444444444444444444464Gi"));
        assert!(d.iter().any(|d| d.field.as_deref() == Some("node_groups[1].memory") && d.message.contains("too large")), "{d:?}");
        // 1 EiB nodes: one fits the accounting, four do not.
        assert!(Scenario::parse(&pool(1, 1, "1Ei"), "t.toml").is_ok());
        assert!(diagnostics(&pool(1, 4, "1Ei")).iter().any(|d| d.field.as_deref() == Some("node_groups[1].memory")));
    }

    #[test]
    fn cluster_totals_count_the_nodes_scripted_add_events_bring() {
        let add = |count: u32| {
            format!("{}[[failures.script]]\nat = \"1m\"\naction = \"add\"\npool = \"big\"\ncount = {count}\n", pool(1, 1, "1Ei"))
        };
        assert!(Scenario::parse(&add(1), "t.toml").is_ok());
        assert!(diagnostics(&add(3))
            .iter()
            .any(|d| d.field.as_deref() == Some("node_groups[1].memory") && d.message.contains("too large")));
    }
}
