//! `[[services]]`: long-running services with their load and autoscaler, and
//! the node autoscaler with its pools (`[node_autoscaler]`, node group
//! `min`/`max`/`price_per_hour`).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;
use serde_json::{json, Value};
use std::borrow::Cow;

use super::dist::RawDist;
use super::quantity::{duration_text, Literal, Unit};
use super::schema;
use super::{RawBudget, RawLimits, RawPlacement, RawSelector, SharedSeries, SkippedRows, Validator, DEFAULT_STARTUP};
use crate::model::affinity::{NodeAffinity, PodAffinity, PodSelector, SpreadConstraint, WhenUnsatisfiable};
use crate::model::load::{LoadShape, LoadSpec};
use crate::model::service::{Overflow, ServiceSpec, Slo};
use crate::model::{ImageId, Resources, Toleration};
use crate::policy::autoscaler::cluster_autoscaler::{CaParams, Expander};
use crate::policy::autoscaler::hpa::{
    Behavior, BehaviorSpec, Hpa, HpaSpec, MetricTarget, ScalingRulesSpec, SelectPolicy, MAX_PERIOD_SECONDS,
    MAX_STABILIZATION_WINDOW_SECONDS,
};
use crate::policy::autoscaler::karpenter::{ConsolidationPolicy, KarpenterParams};
use crate::policy::autoscaler::target_tracking::{TargetTrackingParams, TrackedMetric};
use crate::policy::autoscaler::{NodeAutoscalerConfig, ReplicaAutoscalerConfig, VpaConfig, VpaMode};
use crate::scenario::NodeGroup;
use crate::time::{SimDuration, SimTime};
use crate::trace::{read_rate_series, resolve_path, RateFormat, RateOptions, TraceError};

/// Default load tick: the rate is redrawn every 10 s.
pub const DEFAULT_LOAD_TICK: SimDuration = SimDuration::from_secs(10);
/// Default longest provisioning: Cluster Autoscaler's `--max-node-provision-time`.
pub const DEFAULT_MAX_PROVISION_TIME: SimDuration = SimDuration::from_secs(15 * 60);

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawService {
    /// Service name.
    pub(super) name: String,
    /// Replicas at the start.
    replicas: u32,
    /// Its image (an [[images]] name).
    image: String,
    /// CPU request of each replica.
    #[schemars(with = "schema::Cpu")]
    cpu: Literal,
    /// Memory request of each replica.
    #[schemars(with = "schema::Bytes")]
    memory: Literal,
    /// GPUs per replica (default 0).
    #[serde(default)]
    gpu: u64,
    /// Limits as multiples of the requests (default 1).
    limits: Option<RawLimits>,
    /// Container start time (default 1s).
    #[schemars(with = "Option<schema::Dist<schema::Duration>>")]
    startup: Option<RawDist>,
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
    /// Topology spread constraints (default: the system default spread over hostnames and zones).
    #[serde(default)]
    topology_spread: Vec<SpreadConstraint>,
    /// Pod affinity terms.
    #[serde(default)]
    pod_affinity: PodAffinity<RawSelector>,
    /// Pod anti-affinity terms.
    #[serde(default)]
    pod_anti_affinity: PodAffinity<RawSelector>,
    /// A PodDisruptionBudget over the service's pods.
    disruption_budget: Option<RawBudget>,
    /// Requests/s one replica serves at its CPU request.
    capacity_rps: f64,
    /// Memory used, as a fraction of the request (default 0.5).
    memory_utilization: Option<f64>,
    /// The offered request rate: exactly one of constant, steps, ramp, diurnal, spikes, points or series, plus noise and tick.
    load: RawLoad,
    /// What happens to requests beyond capacity: "drop" (default) or "queue".
    #[serde(default)]
    overflow: RawOverflow,
    /// The service level objective.
    slo: Option<RawSlo>,
    /// The replica autoscaler: policy = "hpa" (the default) and its parameters.
    // Kept raw: `hpa` is read here, registered policies by their plugin.
    #[schemars(with = "Option<ReplicaAutoscalerSchema>")]
    autoscaler: Option<toml::Table>,
    /// A VerticalPodAutoscaler recommending requests.
    vpa: Option<RawVpa>,
}

impl RawService {
    fn placement(&self) -> RawPlacement<'_> {
        RawPlacement {
            tolerations: &self.tolerations,
            node_selector: &self.node_selector,
            node_affinity: &self.node_affinity,
            topology_spread: &self.topology_spread,
            pod_affinity: &self.pod_affinity,
            pod_anti_affinity: &self.pod_anti_affinity,
        }
    }
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
enum RawOverflow {
    #[default]
    Drop,
    Queue,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawSlo {
    /// Share of requests that must be served (default 0.99).
    min_success_ratio: Option<f64>,
    /// Highest acceptable latency (needs overflow = "queue").
    #[schemars(with = "Option<schema::Duration>")]
    max_latency: Option<Literal>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawVpa {
    /// What the VPA does with its recommendations.
    #[serde(default)]
    mode: VpaMode,
    /// `updatePolicy.minReplicas`: the fewest live replicas the updater
    /// evicts from (default: the updater's `--min-replicas`, 2).
    min_replicas: Option<u32>,
}

/// `load = { … }`: exactly one shape, plus noise and tick.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawLoad {
    /// A constant rate, requests/s.
    constant: Option<f64>,
    /// A rate that changes at given times.
    steps: Option<RawSteps>,
    /// A rate going linearly from `from` to `to` between `start` and `end`.
    ramp: Option<RawRamp>,
    /// A sinusoidal daily rate.
    diurnal: Option<RawDiurnal>,
    /// A base rate with periodic spikes.
    spikes: Option<RawSpikes>,
    /// A series of [time, rate] points, held until the next.
    #[schemars(with = "Option<Vec<(schema::Duration, f64)>>")]
    points: Option<Vec<(Literal, f64)>>,
    /// A request-rate trace.
    series: Option<RawSeries>,
    /// Relative standard deviation of the rate, redrawn each tick (0–10, default 0).
    noise: Option<f64>,
    /// How often the rate is redrawn (default 10s, at least 1s).
    #[schemars(with = "Option<schema::Duration>")]
    tick: Option<Literal>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawSteps {
    /// Rate before the first step, requests/s.
    initial: f64,
    /// [time, rate] steps.
    #[schemars(with = "Vec<(schema::Duration, f64)>")]
    steps: Vec<(Literal, f64)>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawRamp {
    /// Rate at `start`.
    from: f64,
    /// Rate at `end`.
    to: f64,
    /// When the ramp starts.
    #[schemars(with = "schema::Duration")]
    start: Literal,
    /// When it ends.
    #[schemars(with = "schema::Duration")]
    end: Literal,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawDiurnal {
    /// Mean rate, requests/s.
    mean: f64,
    /// Amplitude of the sine, requests/s.
    amplitude: f64,
    /// Period (default 1d).
    #[schemars(with = "Option<schema::Duration>")]
    period: Option<Literal>,
    /// Time of the peak (default 14h).
    #[schemars(with = "Option<schema::Duration>")]
    peak_at: Option<Literal>,
}

/// A request-rate trace: `file` (`@traces/…` is the traces folder, see
/// `crate::trace::traces_dir`), its `format`, the window and scaling, and the
/// options some formats take (see [`RateOptions`]).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawSeries {
    /// The file; `@traces/…` is the traces folder.
    file: String,
    /// Its format.
    format: RateFormat,
    /// Trace time skipped at the start.
    #[schemars(with = "Option<schema::Duration>")]
    skip: Option<Literal>,
    /// Length of trace time replayed.
    #[schemars(with = "Option<schema::Duration>")]
    take: Option<Literal>,
    /// Bin of the request counts (per-request formats).
    #[schemars(with = "Option<schema::Duration>")]
    bin: Option<Literal>,
    /// Rates are multiplied by this (default 1).
    scale: Option<f64>,
    /// Trace time is divided by this (default 1).
    speedup: Option<f64>,
    /// Skip and count malformed rows.
    skip_bad_rows: Option<bool>,
    /// Only rows of this request type (alibaba-qps).
    request_type: Option<String>,
    /// The archive member to read (planetlab: one VM).
    member: Option<String>,
    /// Time between rows of a file without a time column.
    #[schemars(with = "Option<schema::Duration>")]
    step: Option<Literal>,
    /// The column to read (alibaba-2018-usage).
    column: Option<String>,
}

/// The scenario key of a [`RateOptions`] field, to report its errors there.
fn series_key(option: &str) -> &str {
    match option {
        "skip_s" => "skip",
        "take_s" => "take",
        "bin_s" => "bin",
        "step_s" => "step",
        other => other,
    }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawSpikes {
    /// Rate between spikes.
    base: f64,
    /// Rate during a spike.
    height: f64,
    /// Period of the spikes.
    #[schemars(with = "schema::Duration")]
    every: Literal,
    /// Length of each spike.
    #[schemars(with = "schema::Duration")]
    duration: Literal,
}

/// The `[services.autoscaler]` keys of `hpa` that have no default.
pub(crate) const HPA_REQUIRED: [&str; 2] = ["max_replicas", "metrics"];

/// `[services.autoscaler]` for `policy = "hpa"` (the default).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHpa {
    /// minReplicas (default 1).
    min_replicas: Option<u32>,
    /// maxReplicas.
    max_replicas: u32,
    /// Metrics, each { cpu_utilization = percent } or { requests_per_pod = rps }; the largest proposal wins.
    metrics: Vec<RawMetric>,
    /// autoscaling/v2 behavior; each field left out gets upstream's default. Without it, the legacy algorithm (as upstream).
    behavior: Option<BehaviorSpec>,
    /// Deprecated: the legacy algorithm is what an HPA without `behavior` runs; `legacy = true` is accepted with a warning.
    legacy: Option<bool>,
    /// No change within this relative distance of the target (default 0.1).
    tolerance: Option<f64>,
    /// How often it runs (default 15s).
    #[schemars(with = "Option<schema::Duration>")]
    sync_period: Option<Literal>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawMetric {
    /// Target mean CPU usage, an integer percent of the request (averageUtilization).
    cpu_utilization: Option<f64>,
    /// Target requests/s per pod.
    requests_per_pod: Option<f64>,
}

/// The node autoscaler: `policy` and that policy's parameters (see `orchsim policies`).
// One table for every policy; each takes the common keys and its own
// (`NODE_AUTOSCALER_KEYS`), and the schema offers each policy only those.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = node_autoscaler_by_policy)]
pub(super) struct RawNodeAutoscaler {
    /// The policy (see `orchsim policies`).
    policy: String,
    /// Longest wait for a node asked for (default 15m).
    #[schemars(with = "Option<schema::Duration>")]
    max_node_provision_time: Option<Literal>,
    /// How often it runs.
    #[schemars(with = "Option<schema::Duration>")]
    scan_interval: Option<Literal>,
    /// Which pool grows (cluster-autoscaler).
    expander: Option<Expander>,
    /// Whether nodes are removed (cluster-autoscaler).
    scale_down_enabled: Option<bool>,
    /// Nodes below this utilization are unneeded (cluster-autoscaler).
    scale_down_utilization_threshold: Option<f64>,
    /// How long a node must be unneeded before removal (cluster-autoscaler).
    #[schemars(with = "Option<schema::Duration>")]
    scale_down_unneeded_time: Option<Literal>,
    /// No removal this long after a scale-up (cluster-autoscaler).
    #[schemars(with = "Option<schema::Duration>")]
    scale_down_delay_after_add: Option<Literal>,
    /// No removal this long after a removal (cluster-autoscaler).
    #[schemars(with = "Option<schema::Duration>")]
    scale_down_delay_after_delete: Option<Literal>,
    /// How long a node that is not ready must be unneeded before removal (cluster-autoscaler).
    #[schemars(with = "Option<schema::Duration>")]
    scale_down_unready_time: Option<Literal>,
    /// How long a node whose removal simulation failed is not simulated again (cluster-autoscaler).
    #[schemars(with = "Option<schema::Duration>")]
    unremovable_node_recheck_timeout: Option<Literal>,
    /// Most nodes removed in one scan (cluster-autoscaler).
    max_scale_down_parallelism: Option<u32>,
    /// Most nodes with pods to move removed in one scan (cluster-autoscaler).
    max_drain_parallelism: Option<u32>,
    /// Whether it consolidates (karpenter).
    consolidation: Option<bool>,
    /// Which nodes may be consolidated (karpenter).
    consolidation_policy: Option<ConsolidationPolicy>,
    /// How long a node's pods must be unchanged before consolidation (karpenter).
    #[schemars(with = "Option<schema::Duration>")]
    consolidate_after: Option<Literal>,
    /// Nodes disrupted at once, percent (karpenter).
    budget_percent: Option<u32>,
    /// The metric kept at the target (target-tracking).
    metric: Option<TrackedMetric>,
    /// The target utilization, a fraction (target-tracking).
    target: Option<f64>,
    /// No other scale-out this long after one (target-tracking).
    #[schemars(with = "Option<schema::Duration>")]
    scale_out_cooldown: Option<Literal>,
    /// No other scale-in this long after one (target-tracking).
    #[schemars(with = "Option<schema::Duration>")]
    scale_in_cooldown: Option<Literal>,
    /// Most nodes removed per scan (target-tracking).
    scale_in_step: Option<u32>,
    /// Whether nodes are removed (target-tracking).
    scale_in_enabled: Option<bool>,
    /// The one pool to scale (target-tracking; default: every pool with max > min).
    pool: Option<String>,
}

/// The `[node_autoscaler]` keys every policy takes.
pub(crate) const NODE_AUTOSCALER_COMMON_KEYS: [&str; 3] = ["policy", "max_node_provision_time", "scan_interval"];

/// The `[node_autoscaler]` keys of each policy beyond the common ones: the
/// validation rejects another policy's keys, and the schema offers each
/// policy only its own.
pub(crate) const NODE_AUTOSCALER_KEYS: [(&str, &[&str]); 3] = [
    (
        "cluster-autoscaler",
        &[
            "expander",
            "scale_down_enabled",
            "scale_down_utilization_threshold",
            "scale_down_unneeded_time",
            "scale_down_delay_after_add",
            "scale_down_delay_after_delete",
            "scale_down_unready_time",
            "unremovable_node_recheck_timeout",
            "max_scale_down_parallelism",
            "max_drain_parallelism",
        ],
    ),
    ("karpenter", &["consolidation", "consolidation_policy", "consolidate_after", "budget_percent"]),
    ("target-tracking", &["metric", "target", "scale_out_cooldown", "scale_in_cooldown", "scale_in_step", "scale_in_enabled", "pool"]),
];

impl RawNodeAutoscaler {
    /// The keys given that belong to policies other than `policy`.
    fn foreign_keys(&self) -> Vec<&'static str> {
        let given = [
            ("expander", self.expander.is_some()),
            ("scale_down_enabled", self.scale_down_enabled.is_some()),
            ("scale_down_utilization_threshold", self.scale_down_utilization_threshold.is_some()),
            ("scale_down_unneeded_time", self.scale_down_unneeded_time.is_some()),
            ("scale_down_delay_after_add", self.scale_down_delay_after_add.is_some()),
            ("scale_down_delay_after_delete", self.scale_down_delay_after_delete.is_some()),
            ("scale_down_unready_time", self.scale_down_unready_time.is_some()),
            ("unremovable_node_recheck_timeout", self.unremovable_node_recheck_timeout.is_some()),
            ("max_scale_down_parallelism", self.max_scale_down_parallelism.is_some()),
            ("max_drain_parallelism", self.max_drain_parallelism.is_some()),
            ("consolidation", self.consolidation.is_some()),
            ("consolidation_policy", self.consolidation_policy.is_some()),
            ("consolidate_after", self.consolidate_after.is_some()),
            ("budget_percent", self.budget_percent.is_some()),
            ("metric", self.metric.is_some()),
            ("target", self.target.is_some()),
            ("scale_out_cooldown", self.scale_out_cooldown.is_some()),
            ("scale_in_cooldown", self.scale_in_cooldown.is_some()),
            ("scale_in_step", self.scale_in_step.is_some()),
            ("scale_in_enabled", self.scale_in_enabled.is_some()),
            ("pool", self.pool.is_some()),
        ];
        let mine = NODE_AUTOSCALER_KEYS.iter().find(|(p, _)| *p == self.policy).map_or(&[][..], |(_, keys)| *keys);
        given.iter().filter(|(k, set)| *set && !mine.contains(k)).map(|(k, _)| *k).collect()
    }
}

/// `[node_autoscaler]` as a scenario would write `config`, every parameter
/// given (for `orchsim policies`).
pub(crate) fn node_autoscaler_table(config: &NodeAutoscalerConfig) -> toml::Table {
    use toml::Value;
    let d = |d: SimDuration| Value::String(duration_text(d));
    let mut t = toml::Table::new();
    t.insert("policy".into(), config.name().into());
    t.insert("max_node_provision_time".into(), d(DEFAULT_MAX_PROVISION_TIME));
    let keys: Vec<(&str, Value)> = match config {
        NodeAutoscalerConfig::ClusterAutoscaler(p) => vec![
            ("scan_interval", d(p.scan_interval)),
            ("expander", Value::try_from(p.expander).expect("an expander is a string")),
            ("scale_down_enabled", p.scale_down_enabled.into()),
            ("scale_down_utilization_threshold", p.utilization_threshold.into()),
            ("scale_down_unneeded_time", d(p.unneeded_time)),
            ("scale_down_delay_after_add", d(p.delay_after_add)),
            ("scale_down_delay_after_delete", d(p.delay_after_delete)),
            ("scale_down_unready_time", d(p.unready_time)),
            ("unremovable_node_recheck_timeout", d(p.unremovable_recheck_timeout)),
            ("max_scale_down_parallelism", i64::from(p.max_scale_down_parallelism).into()),
            ("max_drain_parallelism", i64::from(p.max_drain_parallelism).into()),
        ],
        NodeAutoscalerConfig::Karpenter(p) => vec![
            ("scan_interval", d(p.interval)),
            ("consolidation", p.consolidation.into()),
            ("consolidation_policy", Value::try_from(p.consolidation_policy).expect("a policy is a string")),
            ("consolidate_after", d(p.consolidate_after)),
            ("budget_percent", i64::from(p.budget_percent).into()),
        ],
        NodeAutoscalerConfig::TargetTracking(p) => {
            let mut keys = vec![
                ("scan_interval", d(p.interval)),
                ("metric", Value::try_from(p.metric).expect("a metric is a string")),
                ("target", p.target.into()),
                ("scale_out_cooldown", d(p.scale_out_cooldown)),
                ("scale_in_cooldown", d(p.scale_in_cooldown)),
                ("scale_in_step", i64::from(p.scale_in_step).into()),
                ("scale_in_enabled", p.scale_in_enabled.into()),
            ];
            keys.extend(p.pool.clone().map(|pool| ("pool", Value::String(pool))));
            keys
        }
    };
    t.extend(keys.into_iter().map(|(k, v)| (k.to_string(), v)));
    t
}

/// `[services.autoscaler]` as a scenario would write `config`, every
/// parameter given (for `orchsim policies`); `None` for a plug-in, whose
/// parameters only it knows.
pub(crate) fn replica_autoscaler_table(config: &ReplicaAutoscalerConfig) -> Option<toml::Table> {
    let ReplicaAutoscalerConfig::Hpa(h) = config else { return None };
    let metric = |m: &MetricTarget| match *m {
        MetricTarget::CpuUtilization(u) => toml::toml! { cpu_utilization = (i64::from(u)) },
        MetricTarget::RequestsPerPod(r) => toml::toml! { requests_per_pod = r },
    };
    let mut t = toml::Table::new();
    t.insert("policy".into(), config.name().into());
    t.insert("min_replicas".into(), i64::from(h.spec.min_replicas).into());
    t.insert("max_replicas".into(), i64::from(h.spec.max_replicas).into());
    t.insert("metrics".into(), toml::Value::Array(h.metrics.iter().map(|m| toml::Value::Table(metric(m))).collect()));
    t.insert("tolerance".into(), h.tolerance.into());
    t.insert("sync_period".into(), duration_text(h.sync_period).into());
    if let Some(b) = &h.spec.behavior {
        t.insert("behavior".into(), toml::Value::try_from(b).expect("a behavior is a table"));
    }
    Some(t)
}

/// A validated service with its policies.
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// The service.
    pub spec: ServiceSpec,
    /// Its replica autoscaler, if any.
    pub autoscaler: Option<ReplicaAutoscalerConfig>,
    /// Its vertical autoscaler, if any.
    pub vpa: Option<VpaConfig>,
}

/// kube-scheduler's system default spread (`defaultingType: System`), applied
/// to pods owned by a ReplicaSet that set no constraints of their own: skew 3
/// over hostnames and 5 over zones, both ScheduleAnyway.
fn system_default_spread() -> Vec<SpreadConstraint> {
    [("kubernetes.io/hostname", 3), ("topology.kubernetes.io/zone", 5)]
        .map(|(key, skew)| SpreadConstraint {
            max_skew: skew,
            topology_key: key.to_string(),
            when_unsatisfiable: WhenUnsatisfiable::ScheduleAnyway,
            selector: PodSelector::Workload,
        })
        .to_vec()
}

impl Validator<'_> {
    fn time_of(&mut self, field: &str, lit: &Literal) -> SimTime {
        SimTime::ZERO + self.duration(field, lit).unwrap_or_default()
    }

    fn rate(&mut self, field: &str, v: f64) -> f64 {
        if !(v >= 0.0 && v.is_finite()) {
            self.error(field, format!("a request rate must be a finite number ≥ 0, got {v}"));
            return 0.0;
        }
        v
    }

    fn points(&mut self, field: &str, raw: &[(Literal, f64)]) -> Vec<(SimTime, f64)> {
        let mut out: Vec<(SimTime, f64)> = Vec::with_capacity(raw.len());
        for (k, (t, r)) in raw.iter().enumerate() {
            let at = self.time_of(&format!("{field}[{k}]"), t);
            let rate = self.rate(&format!("{field}[{k}]"), *r);
            if out.last().is_some_and(|(prev, _)| *prev >= at) {
                self.error(&format!("{field}[{k}]"), "times must increase");
            }
            out.push((at, rate));
        }
        out
    }

    fn load(&mut self, prefix: &str, raw: &RawLoad, base: &Path) -> LoadSpec {
        let f = |name: &str| format!("{prefix}.load.{name}");
        let shapes = [
            raw.constant.is_some(),
            raw.steps.is_some(),
            raw.ramp.is_some(),
            raw.diurnal.is_some(),
            raw.spikes.is_some(),
            raw.points.is_some(),
            raw.series.is_some(),
        ];
        if shapes.iter().filter(|s| **s).count() != 1 {
            self.error(&format!("{prefix}.load"), "give exactly one of constant, steps, ramp, diurnal, spikes, points or series");
        }
        let shape = if let Some(rate) = raw.constant {
            LoadShape::Constant { rate: self.rate(&f("constant"), rate) }
        } else if let Some(s) = &raw.steps {
            LoadShape::Steps { initial: self.rate(&f("steps.initial"), s.initial), steps: self.points(&f("steps.steps"), &s.steps) }
        } else if let Some(r) = &raw.ramp {
            let (start, end) = (self.time_of(&f("ramp.start"), &r.start), self.time_of(&f("ramp.end"), &r.end));
            if end <= start {
                self.error(&f("ramp.end"), "must be after `start`");
            }
            LoadShape::Ramp { from: self.rate(&f("ramp.from"), r.from), to: self.rate(&f("ramp.to"), r.to), start, end }
        } else if let Some(d) = &raw.diurnal {
            let period = d.period.as_ref().and_then(|p| self.duration(&f("diurnal.period"), p)).unwrap_or(SimDuration::from_secs(86_400));
            if period == SimDuration::ZERO {
                self.error(&f("diurnal.period"), "must be positive");
            }
            let peak_at = d.peak_at.as_ref().map_or(SimTime::from_secs(14 * 3600), |p| self.time_of(&f("diurnal.peak_at"), p));
            LoadShape::Diurnal { mean: self.rate(&f("diurnal.mean"), d.mean), amplitude: d.amplitude.abs(), period, peak_at }
        } else if let Some(s) = &raw.spikes {
            let every = self.duration(&f("spikes.every"), &s.every).unwrap_or(SimDuration::from_secs(1));
            let duration = self.duration(&f("spikes.duration"), &s.duration).unwrap_or_default();
            if every == SimDuration::ZERO || duration >= every {
                self.error(&f("spikes.duration"), "a spike must be shorter than the period `every`");
            }
            LoadShape::Spikes {
                base: self.rate(&f("spikes.base"), s.base),
                height: self.rate(&f("spikes.height"), s.height),
                every,
                duration,
            }
        } else if let Some(p) = &raw.points {
            if p.is_empty() {
                self.error(&f("points"), "give at least one [time, rate] point");
            }
            LoadShape::Series { points: self.points(&f("points"), p).into() }
        } else if let Some(s) = &raw.series {
            LoadShape::Series { points: self.rate_series(&f("series"), s, base) }
        } else {
            LoadShape::Constant { rate: 0.0 }
        };
        let noise = raw.noise.unwrap_or(0.0);
        if !(0.0..=10.0).contains(&noise) {
            self.error(&f("noise"), format!("a relative standard deviation between 0 and 10, got {noise}"));
        }
        let tick = raw.tick.as_ref().and_then(|t| self.duration(&f("tick"), t)).unwrap_or(DEFAULT_LOAD_TICK);
        if tick < SimDuration::from_secs(1) {
            self.error(&f("tick"), "must be at least 1s");
        }
        LoadSpec { shape, noise, tick }
    }

    /// Reads a request-rate trace now, so a bad file is reported like any
    /// other scenario error (file, line and column of the trace).
    fn rate_series(&mut self, field: &str, s: &RawSeries, base: &Path) -> Arc<[(SimTime, f64)]> {
        let secs = |v: &mut Self, name: &str, lit: &Option<Literal>| {
            lit.as_ref().and_then(|l| v.duration(&format!("{field}.{name}"), l)).map(|d| d.as_secs_f64())
        };
        let opts = RateOptions {
            skip_s: secs(self, "skip", &s.skip).unwrap_or(0.0),
            take_s: secs(self, "take", &s.take),
            bin_s: secs(self, "bin", &s.bin),
            scale: s.scale.unwrap_or(1.0),
            speedup: s.speedup.unwrap_or(1.0),
            // As for `[[trace]]`: `--skip-bad-rows` wins over what the file says.
            skip_bad_rows: s.skip_bad_rows.unwrap_or(false) || self.options.skip_bad_rows,
            request_type: s.request_type.clone(),
            member: s.member.clone(),
            step_s: secs(self, "step", &s.step),
            column: s.column.clone(),
        };
        let path = resolve_path(&s.file, base);
        let key = format!("{:?}", (&path, s.format, &opts));
        let cache = self.options.traces.clone();
        let read = match cache.as_ref().and_then(|c| c.series.get(&key)) {
            Some(hit) => Ok(hit),
            None => read_rate_series(&path, s.format, &opts).map(|series| {
                let series = SharedSeries { points: series.points.into(), bad_rows: series.bad_rows };
                if let Some(cache) = &cache {
                    cache.series.keep(key, &series);
                }
                series
            }),
        };
        match read {
            Ok(series) => {
                self.skipped.extend(SkippedRows::of(format!("{field}.file"), &series.bad_rows));
                series.points
            }
            Err(TraceError::Options { option, message, .. }) => {
                self.error(&format!("{field}.{}", series_key(option)), format!("`{}` {message}", series_key(option)));
                Vec::new().into()
            }
            Err(e) => {
                self.error(&format!("{field}.file"), e.to_string());
                Vec::new().into()
            }
        }
    }

    /// `legacy`, removed: an HPA without `behavior` now runs the legacy
    /// algorithm, as upstream leaves a missing `behavior` nil. `legacy = true`
    /// alone asks for exactly that, so it is accepted with a warning; the
    /// other forms asked for something else and are rejected, saying what to
    /// write instead.
    fn legacy_switch(&mut self, field: &str, legacy: Option<bool>, has_behavior: bool) {
        let key = format!("{field}.legacy");
        match (legacy, has_behavior) {
            (None, _) => {}
            (Some(true), false) => self.warn(
                &key,
                "`legacy = true` is deprecated: an HPA without `behavior` runs the legacy algorithm (as Kubernetes does); remove the key",
            ),
            (Some(true), true) => self.error(
                &key,
                "the legacy algorithm is the one without `behavior`: remove `legacy`, and `behavior` too for the legacy algorithm",
            ),
            (Some(false), _) => self.error(
                &key,
                "`legacy` is removed: an HPA without `behavior` now runs the legacy algorithm (as Kubernetes does); \
                 for autoscaling/v2's default behavior write `behavior = {}` instead of `legacy = false`",
            ),
        }
    }

    /// The API's validation of a `behavior` (`validateScalingRules`): windows
    /// up to an hour, at least one policy per direction, each with a positive
    /// value and a period in (0, 1800] s.
    fn behavior(&mut self, field: &str, b: &BehaviorSpec) {
        for (name, rules) in [("scale_up", &b.scale_up), ("scale_down", &b.scale_down)] {
            let Some(ScalingRulesSpec { stabilization_window_seconds, select_policy, policies }) = rules else { continue };
            let f = format!("{field}.{name}");
            if stabilization_window_seconds.is_some_and(|w| w > MAX_STABILIZATION_WINDOW_SECONDS) {
                self.error(&format!("{f}.stabilization_window_seconds"), format!("must be at most {MAX_STABILIZATION_WINDOW_SECONDS}"));
            }
            let Some(policies) = policies else { continue };
            if policies.is_empty() {
                let hint =
                    if *select_policy == Some(SelectPolicy::Disabled) { " (select_policy = \"Disabled\" needs one too)" } else { "" };
                self.error(&format!("{f}.policies"), format!("give at least one policy, or leave `policies` out for the default{hint}"));
            }
            for (k, p) in policies.iter().enumerate() {
                let pf = format!("{f}.policies[{k}]");
                if p.value == 0 {
                    self.error(&format!("{pf}.value"), "must be greater than zero");
                }
                if p.period_seconds == 0 || p.period_seconds > MAX_PERIOD_SECONDS {
                    self.error(&format!("{pf}.period_seconds"), format!("must be in 1..={MAX_PERIOD_SECONDS}, got {}", p.period_seconds));
                }
            }
        }
    }

    fn replica_autoscaler(&mut self, prefix: &str, table: &toml::Table) -> Option<ReplicaAutoscalerConfig> {
        let field = format!("{prefix}.autoscaler");
        let policy = match table.get("policy") {
            None => "hpa".to_string(),
            Some(toml::Value::String(p)) => p.clone(),
            Some(_) => {
                self.error(&format!("{field}.policy"), "must be a string such as \"hpa\"");
                return None;
            }
        };
        if policy != "hpa" {
            let Some(plugin) = self.registry.autoscaler(&policy) else {
                let catalogue = ReplicaAutoscalerConfig::catalogue();
                let known: Vec<&str> = catalogue.iter().map(|p| p.name).chain(self.registry.autoscaler_names()).collect();
                self.error(&format!("{field}.policy"), format!("unknown autoscaler `{policy}`; known: {}", known.join(", ")));
                return None;
            };
            let mut params = table.clone();
            params.remove("policy");
            return match plugin.validate(&params) {
                Ok(()) => Some(ReplicaAutoscalerConfig::Custom { name: policy, params, plugin }),
                Err(message) => {
                    self.error(&field, message);
                    None
                }
            };
        }
        // Read from the source, so that an error names its own key's line.
        let read = super::locate::read_table(self.source, &field, &["policy"], |de| RawHpa::deserialize(de)).unwrap_or_else(|| {
            let mut table = table.clone();
            table.remove("policy");
            table.try_into()
        });
        let raw: RawHpa = match read {
            Ok(r) => r,
            Err(e) => {
                self.toml_error(&field, &e);
                return None;
            }
        };
        let min = raw.min_replicas.unwrap_or(1);
        if raw.max_replicas < min.max(1) {
            self.error(&format!("{field}.max_replicas"), format!("must be at least min_replicas ({min}) and 1"));
        }
        if raw.metrics.is_empty() {
            self.error(&format!("{field}.metrics"), "name at least one metric, e.g. { cpu_utilization = 60 }");
        }
        let mut metrics = Vec::new();
        for (k, m) in raw.metrics.iter().enumerate() {
            let mf = format!("{field}.metrics[{k}]");
            match (m.cpu_utilization, m.requests_per_pod) {
                (Some(u), None) if u > 0.0 && u.fract() == 0.0 && u <= f64::from(i32::MAX) => {
                    metrics.push(MetricTarget::CpuUtilization(u as u32))
                }
                (Some(u), None) if u > 0.0 && u.is_finite() => {
                    self.error(&format!("{mf}.cpu_utilization"), format!("an integer percent (averageUtilization), got {u}"))
                }
                (None, Some(r)) if r > 0.0 && r.is_finite() => metrics.push(MetricTarget::RequestsPerPod(r)),
                (Some(_), Some(_)) | (None, None) => self.error(&mf, "give exactly one of cpu_utilization (percent) or requests_per_pod"),
                _ => self.error(&mf, "the target must be positive"),
            }
        }
        self.legacy_switch(&field, raw.legacy, raw.behavior.is_some());
        if let Some(b) = &raw.behavior {
            self.behavior(&format!("{field}.behavior"), b);
        }
        let behavior = raw.behavior.as_ref().map(Behavior::from_spec);
        let mut hpa = Hpa::new(HpaSpec { min_replicas: min, max_replicas: raw.max_replicas, behavior }, metrics);
        if let Some(t) = raw.tolerance {
            if !(0.0..1.0).contains(&t) {
                self.error(&format!("{field}.tolerance"), format!("must be in [0, 1), got {t}"));
            }
            hpa.tolerance = t;
        }
        if let Some(p) = &raw.sync_period {
            hpa.sync_period = self.duration(&format!("{field}.sync_period"), p).unwrap_or(hpa.sync_period).max(SimDuration::from_secs(1));
        }
        Some(ReplicaAutoscalerConfig::Hpa(hpa))
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn services(
        &mut self,
        raw: &[RawService],
        image_index: &BTreeMap<String, ImageId>,
        class_names: &[String],
        batch_count: usize,
        base: &Path,
    ) -> Vec<ServiceConfig> {
        let mut out = Vec::new();
        for (i, s) in raw.iter().enumerate() {
            let prefix = format!("services[{i}]");
            let f = |name: &str| format!("{prefix}.{name}");
            if class_names[..batch_count + i].contains(&s.name) {
                self.error(&f("name"), format!("`{}` is already the name of a workload", s.name));
            }
            let cpu = self.positive_quantity(&f("cpu"), &s.cpu, Unit::Cpu);
            let memory = self.positive_quantity(&f("memory"), &s.memory, Unit::Bytes);
            let requests = Resources { cpu_milli: cpu, memory_bytes: memory, gpu: s.gpu };
            let limit_factor = self.limit_factor(&prefix, s.limits.as_ref());
            let limits = Resources {
                cpu_milli: (cpu as f64 * limit_factor.0).round() as u64,
                memory_bytes: (memory as f64 * limit_factor.1).round() as u64,
                gpu: s.gpu,
            };
            let startup_default = RawDist::Constant(Literal::Number(DEFAULT_STARTUP.as_secs_f64()));
            let startup = self.dist(&f("startup"), s.startup.as_ref().unwrap_or(&startup_default), Unit::Duration);
            let image = self.image_refs(&f("image"), std::slice::from_ref(&s.image), image_index).first().copied();
            let mut placement = self.placement(&prefix, s.placement(), class_names);
            if placement.topology_spread.is_empty() {
                placement.topology_spread = system_default_spread();
            }
            let disruption_budget = self.budget(&prefix, s.disruption_budget.as_ref(), true);
            if !(s.capacity_rps > 0.0 && s.capacity_rps.is_finite()) {
                self.error(
                    &f("capacity_rps"),
                    format!("requests/s one replica serves at its CPU request; must be positive, got {}", s.capacity_rps),
                );
            }
            let memory_utilization = s.memory_utilization.unwrap_or(0.5);
            if !(0.0..=10.0).contains(&memory_utilization) {
                self.error(&f("memory_utilization"), format!("a fraction of the memory request, got {memory_utilization}"));
            }
            let load = self.load(&prefix, &s.load, base);
            let slo = match &s.slo {
                None => Slo::default(),
                Some(r) => {
                    let min_success_ratio = r.min_success_ratio.unwrap_or(Slo::default().min_success_ratio);
                    if !(0.0..=1.0).contains(&min_success_ratio) {
                        self.error(&f("slo.min_success_ratio"), format!("must be between 0 and 1, got {min_success_ratio}"));
                    }
                    let max_latency = r.max_latency.as_ref().and_then(|l| self.duration(&f("slo.max_latency"), l));
                    if max_latency.is_some() && matches!(s.overflow, RawOverflow::Drop) {
                        self.error(
                            &f("slo.max_latency"),
                            "a latency objective needs overflow = \"queue\" (dropped requests have no latency)",
                        );
                    }
                    Slo { min_success_ratio, max_latency }
                }
            };
            let autoscaler = s.autoscaler.as_ref().and_then(|t| self.replica_autoscaler(&prefix, t));
            if s.vpa.as_ref().is_some_and(|v| v.min_replicas == Some(0)) {
                self.error(&f("vpa.min_replicas"), "must be at least 1");
            }
            let (Some(startup), Some(image)) = (startup, image) else { continue };
            out.push(ServiceConfig {
                spec: ServiceSpec {
                    name: s.name.clone(),
                    replicas: s.replicas,
                    image,
                    requests,
                    limits,
                    startup,
                    priority: s.priority,
                    tolerations: Arc::from(s.tolerations.clone()),
                    placement: Arc::new(placement),
                    disruption_budget,
                    capacity_rps: s.capacity_rps,
                    memory_utilization,
                    load,
                    overflow: match s.overflow {
                        RawOverflow::Drop => Overflow::Drop,
                        RawOverflow::Queue => Overflow::Queue,
                    },
                    slo,
                },
                autoscaler,
                vpa: s.vpa.as_ref().map(|v| VpaConfig { mode: v.mode, min_replicas: v.min_replicas }),
            });
        }
        out
    }

    pub(super) fn node_autoscaler(&mut self, raw: &RawNodeAutoscaler, pools: &[NodeGroup]) -> Option<(NodeAutoscalerConfig, SimDuration)> {
        let f = |name: &str| format!("node_autoscaler.{name}");
        let dur = |v: &mut Self, name: &str, lit: &Option<Literal>, default: SimDuration| {
            lit.as_ref().and_then(|l| v.duration(&f(name), l)).unwrap_or(default)
        };
        let max_provision = dur(self, "max_node_provision_time", &raw.max_node_provision_time, DEFAULT_MAX_PROVISION_TIME);
        let catalogue = NodeAutoscalerConfig::catalogue();
        let Some(known) = catalogue.iter().find(|p| p.name == raw.policy) else {
            let names: Vec<&str> = catalogue.iter().map(|p| p.name).collect();
            self.error(&f("policy"), format!("unknown node autoscaler `{}`; known: {}", raw.policy, names.join(", ")));
            return None;
        };
        let config = match &known.default {
            NodeAutoscalerConfig::ClusterAutoscaler(d) => {
                let threshold = raw.scale_down_utilization_threshold.unwrap_or(d.utilization_threshold);
                if !(0.0..=1.0).contains(&threshold) {
                    self.error(&f("scale_down_utilization_threshold"), format!("must be between 0 and 1, got {threshold}"));
                }
                let params = CaParams {
                    scan_interval: dur(self, "scan_interval", &raw.scan_interval, d.scan_interval).max(SimDuration::from_secs(1)),
                    expander: raw.expander.unwrap_or(d.expander),
                    scale_down_enabled: raw.scale_down_enabled.unwrap_or(d.scale_down_enabled),
                    utilization_threshold: threshold,
                    unneeded_time: dur(self, "scale_down_unneeded_time", &raw.scale_down_unneeded_time, d.unneeded_time),
                    delay_after_add: dur(self, "scale_down_delay_after_add", &raw.scale_down_delay_after_add, d.delay_after_add),
                    delay_after_delete: dur(
                        self,
                        "scale_down_delay_after_delete",
                        &raw.scale_down_delay_after_delete,
                        d.delay_after_delete,
                    ),
                    unready_time: dur(self, "scale_down_unready_time", &raw.scale_down_unready_time, d.unready_time),
                    unremovable_recheck_timeout: dur(
                        self,
                        "unremovable_node_recheck_timeout",
                        &raw.unremovable_node_recheck_timeout,
                        d.unremovable_recheck_timeout,
                    ),
                    max_scale_down_parallelism: raw.max_scale_down_parallelism.unwrap_or(d.max_scale_down_parallelism).max(1),
                    max_drain_parallelism: raw.max_drain_parallelism.unwrap_or(d.max_drain_parallelism),
                };
                NodeAutoscalerConfig::ClusterAutoscaler(params)
            }
            NodeAutoscalerConfig::Karpenter(d) => {
                let budget_percent = raw.budget_percent.unwrap_or(d.budget_percent);
                if !(1..=100).contains(&budget_percent) {
                    self.error(&f("budget_percent"), format!("must be between 1 and 100, got {budget_percent}"));
                }
                NodeAutoscalerConfig::Karpenter(KarpenterParams {
                    interval: dur(self, "scan_interval", &raw.scan_interval, d.interval).max(SimDuration::from_secs(1)),
                    consolidation: raw.consolidation.unwrap_or(d.consolidation),
                    consolidation_policy: raw.consolidation_policy.unwrap_or(d.consolidation_policy),
                    consolidate_after: dur(self, "consolidate_after", &raw.consolidate_after, d.consolidate_after),
                    budget_percent,
                    ..d.clone()
                })
            }
            NodeAutoscalerConfig::TargetTracking(d) => {
                let target = raw.target.unwrap_or(d.target);
                if !(target > 0.0 && target <= 1.0) {
                    self.error(&f("target"), format!("a utilization in (0, 1], got {target}"));
                }
                if let Some(p) = &raw.pool {
                    if !pools.iter().any(|g| &g.name == p) {
                        self.error(&f("pool"), format!("no node group is named `{p}`"));
                    }
                }
                NodeAutoscalerConfig::TargetTracking(TargetTrackingParams {
                    interval: dur(self, "scan_interval", &raw.scan_interval, d.interval).max(SimDuration::from_secs(1)),
                    metric: raw.metric.unwrap_or(d.metric),
                    target,
                    scale_out_cooldown: dur(self, "scale_out_cooldown", &raw.scale_out_cooldown, d.scale_out_cooldown),
                    scale_in_cooldown: dur(self, "scale_in_cooldown", &raw.scale_in_cooldown, d.scale_in_cooldown),
                    scale_in_step: raw.scale_in_step.unwrap_or(d.scale_in_step).max(1),
                    scale_in_enabled: raw.scale_in_enabled.unwrap_or(d.scale_in_enabled),
                    pool: raw.pool.clone(),
                })
            }
        };
        for key in raw.foreign_keys() {
            self.error(&f(key), format!("`{key}` is not a parameter of `{}`", raw.policy));
        }
        Some((config, max_provision))
    }
}

/// `[services.autoscaler]`: the HPA (`policy` absent or `"hpa"`), or a plug-in.
pub struct ReplicaAutoscalerSchema;

impl JsonSchema for ReplicaAutoscalerSchema {
    fn schema_name() -> Cow<'static, str> {
        "ReplicaAutoscaler".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut hpa = RawHpa::json_schema(generator);
        let policy = json!({ "const": "hpa", "description": "The HorizontalPodAutoscaler (the default)." });
        hpa.ensure_object().entry("properties").or_insert_with(|| json!({}))["policy"] = policy;
        schema::builtin_or_plugin(
            hpa.to_value(),
            "policy",
            &["hpa"],
            "The service's replica autoscaler: policy = \"hpa\" (the default) and its parameters.",
        )
    }
}

/// Rewrites the flat schema of `[node_autoscaler]` (every policy's keys) into
/// one alternative per policy with only its own keys, as the validation
/// requires (a key of another policy is an error).
pub fn node_autoscaler_by_policy(schema: &mut Schema) {
    let properties = schema.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
    let description = schema.get("description").cloned();
    let policies: Vec<Value> = NODE_AUTOSCALER_KEYS
        .iter()
        .map(|(policy, keys)| {
            let mut own: serde_json::Map<String, Value> = properties
                .iter()
                .filter(|(k, _)| NODE_AUTOSCALER_COMMON_KEYS.contains(&k.as_str()) || keys.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            own.insert("policy".into(), json!({ "const": policy }));
            json!({ "type": "object", "properties": own, "required": ["policy"], "additionalProperties": false })
        })
        .collect();
    let mut rewritten = json!({ "oneOf": policies });
    if let Some(d) = description {
        rewritten["description"] = d;
    }
    *schema = Schema::try_from(rewritten).expect("an object");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;
    use crate::trace::test_files::fixture;
    use crate::trace::testing::needed;

    /// A scenario of one service starting at `replicas`, on two nodes, with
    /// `rest` (its `load` and any tables after it) at the end.
    fn one_service(replicas: u32, rest: &str, file: &str) -> Result<Scenario, String> {
        let text = format!(
            r#"name = "one-service"
[simulation]
duration = "1h"

[[images]]
name = "app:1"
size = "100Mi"

[[node_groups]]
name = "n"
count = 2
cpu = "8"
memory = "16Gi"

[[services]]
name = "web"
replicas = {replicas}
image = "app:1"
cpu = "1"
memory = "1Gi"
capacity_rps = 100
{rest}
"#
        );
        Scenario::parse(&text, file).map_err(|e| e.to_string())
    }

    /// A scenario whose one service's load is `series = { <series> }`.
    fn with_series(series: &str) -> Result<Scenario, String> {
        one_service(2, &format!("load = {{ series = {{ {series} }} }}"), "series.toml")
    }

    fn points(series: &str) -> Vec<(SimTime, f64)> {
        let scenario = with_series(series).unwrap_or_else(|e| panic!("{e}"));
        match &scenario.services[0].spec.load.shape {
            LoadShape::Series { points } => points.to_vec(),
            other => panic!("not a series: {other:?}"),
        }
    }

    #[test]
    fn every_rate_format_and_its_options_are_accepted_in_a_load() {
        let folders = ["azure-llm-2023", "alibaba-v2026-genai", "planetlab", "alibaba-v2018-derived"];
        if folders.into_iter().any(|folder| needed(folder).is_none()) {
            return;
        }
        let azure = points(r#"file = "@traces/azure-llm-2023/AzureLLMInferenceTrace_conv.csv", format = "azure-llm", bin = "1m""#);
        assert_eq!(azure[0].0, SimTime::ZERO);
        assert!(azure.iter().all(|&(t, _)| t.as_micros() % 60_000_000 == 0), "minute bins");
        let qps = r#"file = "@traces/alibaba-v2026-genai/qps.tar.gz", format = "alibaba-qps", member = "qps.csv""#;
        let generative = points(&format!(r#"{qps}, request_type = "Generative Requests", scale = 100, skip_bad_rows = true"#));
        assert!(!generative.is_empty() && generative != points(qps));
        let mean = points(r#"file = "@traces/planetlab/planetlab-20110303.tar.gz", format = "planetlab", scale = 20, take = "1h""#);
        assert_eq!(mean[0], (SimTime::ZERO, 12_408.0 / 1_052.0 * 20.0));
        let vm = points(
            r#"file = "@traces/planetlab/planetlab-20110303.tar.gz", format = "planetlab", member = "planetlab1_fit_vutbr_cz_nyu_d""#,
        );
        assert_eq!(vm[0], (SimTime::ZERO, 0.0));
        let alibaba =
            r#"file = "@traces/alibaba-v2018-derived/machine_usage_days_1_to_8_clustermean_300s.csv", format = "alibaba-2018-usage""#;
        let cpu = points(alibaba);
        assert_eq!(cpu[1].0, SimTime::from_secs(300), "the step is read from the file name");
        let memory = points(&format!(r#"{alibaba}, column = "mem_util_percent", step = "10m""#));
        assert_eq!((memory[1].0, memory[0].1), (SimTime::from_secs(600), 87.13895543842837));
    }

    /// A scenario whose one service starts at `replicas` with this
    /// `[services.autoscaler]` table (and a CPU metric unless it names one).
    fn with_hpa(replicas: u32, table: &str) -> Result<Scenario, String> {
        let metrics = if table.contains("metrics =") { "" } else { "metrics = [{ cpu_utilization = 60 }]" };
        let rest = format!("load = {{ constant = 100 }}\n[services.autoscaler]\nmax_replicas = 10\n{metrics}\n{table}");
        one_service(replicas, &rest, "hpa.toml")
    }

    fn hpa(s: &Scenario) -> Hpa {
        match &s.services[0].autoscaler {
            Some(ReplicaAutoscalerConfig::Hpa(h)) => h.clone(),
            other => panic!("not an HPA: {other:?}"),
        }
    }

    /// `legacy` is gone: without `behavior` is the legacy path. `legacy =
    /// true` alone still loads (a warning says to drop it); the forms that
    /// asked for something else say what to write instead.
    #[test]
    fn the_legacy_switch_is_deprecated_or_rejected_with_what_to_write() {
        let plain = with_hpa(2, "").unwrap();
        assert_eq!(hpa(&plain).spec.behavior, None, "no behavior: the legacy path, as upstream");
        assert!(plain.warnings.is_empty());
        let legacy = with_hpa(2, "legacy = true").unwrap();
        assert_eq!(hpa(&legacy).spec, hpa(&plain).spec);
        assert_eq!(legacy.warnings.len(), 1);
        assert!(legacy.warnings[0].to_string().contains("services[0].autoscaler.legacy"), "{}", legacy.warnings[0]);
        assert!(legacy.warnings[0].message.contains("deprecated"), "{}", legacy.warnings[0]);
        let err = with_hpa(2, "legacy = false").unwrap_err();
        assert!(err.contains("services[0].autoscaler.legacy") && err.contains("behavior = {}"), "{err}");
        let err = with_hpa(2, "legacy = true\nbehavior = {}").unwrap_err();
        assert!(err.contains("services[0].autoscaler.legacy") && err.contains("remove `legacy`"), "{err}");
        let v2 = with_hpa(2, "behavior = {}").unwrap();
        assert_eq!(hpa(&v2).spec.behavior, Some(Behavior::default()));
    }

    /// A `behavior` given in part gets each missing field's default; the
    /// API's limits are checked where they are written.
    #[test]
    fn a_partial_behavior_is_defaulted_and_checked() {
        let s = with_hpa(2, "behavior = { scale_down = { stabilization_window_seconds = 60 } }").unwrap();
        let b = hpa(&s).spec.behavior.expect("a behavior");
        assert_eq!(b.scale_up, Behavior::default().scale_up);
        assert_eq!(
            (b.scale_down.stabilization_window_seconds, &b.scale_down.policies),
            (Some(60), &Behavior::default().scale_down.policies)
        );
        let cases = [
            ("behavior = { scale_up = { policies = [] } }", "behavior.scale_up.policies", "at least one policy"),
            (
                r#"behavior = { scale_down = { policies = [{ type = "Pods", value = 0, period_seconds = 60 }] } }"#,
                "scale_down.policies[0].value",
                "greater than zero",
            ),
            (
                r#"behavior = { scale_up = { policies = [{ type = "Percent", value = 10, period_seconds = 1801 }] } }"#,
                "scale_up.policies[0].period_seconds",
                "1..=1800",
            ),
            ("behavior = { scale_up = { stabilization_window_seconds = 3601 } }", "stabilization_window_seconds", "at most 3600"),
        ];
        for (table, field, message) in cases {
            let err = with_hpa(2, table).expect_err(table);
            assert!(err.contains(field) && err.contains(message), "{table}:\n{err}");
        }
    }

    /// Upstream brings a count outside [min, max] inside at the first sync,
    /// and leaves a target at 0 replicas alone; neither is an input error.
    /// A CPU target is an integer percent, as `averageUtilization` is.
    #[test]
    fn starting_replicas_need_not_lie_within_the_bounds() {
        for replicas in [0, 1, 12] {
            with_hpa(replicas, "min_replicas = 2").unwrap_or_else(|e| panic!("{replicas}: {e}"));
        }
        let err = with_hpa(2, "metrics = [{ cpu_utilization = 60.5 }]").unwrap_err();
        assert!(err.contains("services[0].autoscaler.metrics[0].cpu_utilization") && err.contains("integer percent"), "{err}");
    }

    #[test]
    fn series_options_are_checked_where_they_are_written() {
        // A literal TOML string: the path is taken as written.
        let planetlab = format!("file = '{}', format = \"planetlab\"", fixture("planetlab/planetlab-20110303.tar.gz").display());
        let cases = [
            (
                format!(r#"{planetlab}, column = "cpu""#),
                "services[0].load.series.column",
                "`column` applies only to the format alibaba-2018-usage",
            ),
            (format!(r#"{planetlab}, bin = "1m""#), "services[0].load.series.bin", "multiple of the trace's resolution (300 s)"),
            (format!(r#"{planetlab}, member = "nobody""#), "services[0].load.series.file", "none of its 3 files is named `nobody`"),
            (format!(r#"{planetlab}, sample = "x""#), "", "unknown field `sample`"),
            (format!(r#"{planetlab}, member = 3"#), "", "invalid type"),
            (r#"file = "x.csv", format = "alibaba-2018-usage""#.to_string(), "services[0].load.series.step", "`step` is needed"),
            (
                r#"file = "x.csv", format = "nasa-second", skip_bad_rows = true"#.into(),
                "series.skip_bad_rows",
                "not supported by nasa-second",
            ),
            (r#"file = "x.csv", format = "alibaba-qps", request_type = """#.into(), "series.request_type", "must not be empty"),
            (r#"file = "x.csv", format = "azure""#.into(), "", "unknown variant `azure`"),
        ];
        for (series, field, message) in cases {
            let err = with_series(&series).expect_err(&series);
            assert!(err.contains(field) && err.contains(message), "{series}:\n{err}");
        }
    }
}
