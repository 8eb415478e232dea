//! The HorizontalPodAutoscaler controller, as kubernetes/kubernetes computes it.
//!
//! Each piece mirrors an upstream function of `pkg/controller/podautoscaler`
//! and keeps its name, so the ported test tables in `tests/conformance/`
//! (`replica_calculator_test.go`, `horizontal_test.go`) drive it directly:
//!
//! 1. **Replica calculation** per metric ([`ReplicaCalculator`],
//!    `replica_calculator.go`): pods are grouped as upstream's `groupPods`
//!    does (deleting and failed pods ignored; Pending pods, and for CPU pods
//!    not Ready or whose metric window began before they became Ready within
//!    the CPU initialization period, *unready*; running pods without a sample
//!    *missing*). The ratio is taken in upstream's integers
//!    (`metrics/utilization.go`): CPU utilization is the integer percent
//!    `Σ usage·100 / Σ requests` (truncated) over the target percent; a pods
//!    metric is the integer mean of milli-values over the target milli-value.
//!    Within the tolerances nothing changes, else `ceil(ratio · ready pods)`.
//!    With missing or (on scale-up) unready pods, the ratio is recomputed with
//!    missing pods at `max(100 %, target)` of their request (CPU) or at the
//!    target (pods metric) on scale-down, at 0 on scale-up, and unready pods
//!    at 0 on scale-up; a recomputed ratio within tolerance or in the other
//!    direction changes nothing. No sample for any counted pod is an error:
//!    that metric proposes nothing.
//! 2. **Reconcile** ([`HpaState::reconcile`], `horizontal.go`
//!    `reconcileAutoscaler`): the first sync records the current replica count
//!    as a recommendation; a target at 0 replicas (with `minReplicas` > 0) is
//!    left alone; a count outside `[min, max]` is brought inside without
//!    reading metrics; otherwise the largest proposal is normalized. When
//!    every metric fails, or one fails and the rest would scale down, nothing
//!    happens and nothing is recorded.
//! 3. **Normalization without `behavior`** (legacy, `normalizeDesiredReplicas`):
//!    the highest recommendation of the last 300 s, a recommendation exactly
//!    300 s old included (`stabilizeRecommendation` drops only those
//!    `Before(cutoff)`), then `[min, min(max, max(2·current, 4))]`
//!    (`convertDesiredReplicasWithRules`).
//! 4. **Normalization with `behavior`** (`normalizeDesiredReplicasWithBehaviors`):
//!    the current count moved only as far as every recommendation within
//!    each direction's stabilization window agrees (strictly newer than the
//!    cutoff), then each direction's rate policies: `period_start + pods` or
//!    `ceil(period_start · (1 + percent/100))` up, `period_start − pods` or
//!    `trunc(period_start · (1 − percent/100))` down, where `period_start =
//!    current − added + removed` within the policy's period; `Max` picks the
//!    most permissive policy, `Min` the least, `Disabled` none.
//! 5. **Defaults of `behavior`** (`pkg/apis/autoscaling/v2/defaults.go`
//!    `GenerateHPAScaleUpRules` / `GenerateHPAScaleDownRules`): a `behavior`
//!    given in part gets each missing field of each direction on its own: up
//!    0 s stabilization, `max(4 pods, 100 %)` per 15 s; down 100 % per 15 s,
//!    its stabilization window left to the controller's flag (300 s). A
//!    missing `behavior` stays missing and takes the legacy path.
//!
//! The functions are pure; [`HpaState`] keeps what the controller keeps per
//! HPA (recommendations and scale events), stored the way upstream stores
//! them (an outdated entry is reused rather than dropped).

use serde::{Deserialize, Serialize};

use crate::metrics::window::USAGE_WINDOW;
use crate::model::PodPhase;
use crate::policy::autoscaler::{PodMetrics, ReplicaAutoscaler, ServiceView};
use crate::time::{SimDuration, SimTime};

/// `--horizontal-pod-autoscaler-tolerance`.
pub const DEFAULT_TOLERANCE: f64 = 0.1;
/// `--horizontal-pod-autoscaler-sync-period`.
pub const DEFAULT_SYNC_PERIOD: SimDuration = SimDuration::from_secs(15);
/// `--horizontal-pod-autoscaler-downscale-stabilization`: the legacy path's
/// window, and a `behavior`'s scale-down window when it sets none.
pub const DEFAULT_DOWNSCALE_STABILIZATION: SimDuration = SimDuration::from_secs(300);
/// `--horizontal-pod-autoscaler-cpu-initialization-period`.
pub const CPU_INITIALIZATION_PERIOD: SimDuration = SimDuration::from_secs(300);
/// `--horizontal-pod-autoscaler-initial-readiness-delay`.
pub const DELAY_OF_INITIAL_READINESS_STATUS: SimDuration = SimDuration::from_secs(30);
/// Legacy scale-up cap: `max(scaleUpLimitFactor · current, scaleUpLimitMinimum)`.
pub const LEGACY_SCALE_UP_FACTOR: u32 = 2;
/// See [`LEGACY_SCALE_UP_FACTOR`].
pub const LEGACY_SCALE_UP_MINIMUM: u32 = 4;
/// The longest `periodSeconds` the API accepts (`MaxPeriodSeconds`).
pub const MAX_PERIOD_SECONDS: u32 = 1800;
/// The longest `stabilizationWindowSeconds` the API accepts.
pub const MAX_STABILIZATION_WINDOW_SECONDS: u32 = 3600;

/// Whether `at` is strictly before `now − window` (Go's `Before(cutoff)`).
fn before_cutoff(at: SimTime, now: SimTime, window: SimDuration) -> bool {
    now.saturating_since(at) > window
}

/// Whether `at` is strictly after `now − window` (Go's `After(cutoff)`).
fn after_cutoff(at: SimTime, now: SimTime, window: SimDuration) -> bool {
    at > now || now.saturating_since(at) < window
}

// ---------------------------------------------------------------------------
// Replica calculation (replica_calculator.go, metrics/utilization.go)
// ---------------------------------------------------------------------------

/// The scale-up and scale-down tolerances (`Tolerances` in
/// `replica_calculator.go`): a usage ratio in `[1 − scale_down, 1 + scale_up]`
/// changes nothing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerances {
    /// Below 1.
    pub scale_down: f64,
    /// Above 1.
    pub scale_up: f64,
}

impl Tolerances {
    /// The same tolerance both ways (the controller flag's form).
    pub fn both(tolerance: f64) -> Self {
        Tolerances { scale_down: tolerance, scale_up: tolerance }
    }

    /// `isWithin`.
    pub fn is_within(self, usage_ratio: f64) -> bool {
        (1.0 - self.scale_down) <= usage_ratio && usage_ratio <= (1.0 + self.scale_up)
    }
}

/// A pod's phase, as the replica calculation reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Not running yet (orchsim's Pending and Starting pods).
    Pending,
    /// Running.
    Running,
    /// Succeeded: grouped like a running pod, as upstream does.
    Succeeded,
    /// Failed.
    Failed,
}

/// A pod's `Ready` condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadyCondition {
    /// `status` True (false: False).
    pub ready: bool,
    /// `lastTransitionTime`.
    pub last_transition: SimTime,
}

/// One sample of the metrics API for a pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodMetric {
    /// The value in milli-units (millicores, milli-requests/s), as
    /// `Quantity.MilliValue()` gives it.
    pub value_milli: i64,
    /// When the sample's window ended.
    pub timestamp: SimTime,
    /// The sample's window.
    pub window: SimDuration,
}

/// What the replica calculation knows of one pod matched by the HPA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodInfo {
    /// `status.phase`.
    pub phase: Phase,
    /// `metadata.deletionTimestamp` is set.
    pub deleting: bool,
    /// The `Ready` condition, if the pod has one.
    pub ready: Option<ReadyCondition>,
    /// `status.startTime`.
    pub start_time: Option<SimTime>,
    /// Its CPU request, millicores (the sum over its containers).
    pub request_milli: i64,
    /// Its sample of the metric, if the metrics API returned one.
    pub metric: Option<PodMetric>,
}

/// How `groupPods` classes a pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodGroup {
    /// Counted with its sample.
    Ready,
    /// Counted only on scale-up, at 0.
    Unready,
    /// No sample: counted at 0 on scale-up, high on scale-down.
    Missing,
    /// Left out (being deleted, or failed).
    Ignored,
}

/// Why a metric proposes no replica count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CalcError {
    /// `no pods returned by selector while calculating replica count`.
    #[error("no pods returned by selector while calculating replica count")]
    NoPods,
    /// `did not receive metrics for targeted pods (pods might be unready)`.
    #[error("did not receive metrics for targeted pods (pods might be unready)")]
    NoMetrics,
    /// `no metrics returned matched known pods`: the requests sum to 0.
    #[error("no metrics returned matched known pods")]
    NoRequests,
}

/// What `GetResourceReplicas` returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceReplicas {
    /// The proposal.
    pub replicas: u32,
    /// The integer utilization percent over the ready pods.
    pub utilization: i32,
    /// Their mean usage, milli-units (`rawUtilization`).
    pub raw_utilization: i64,
}

/// `GetResourceUtilizationRatio`: over `(usage, request)` pairs in milli-units,
/// the integer utilization percent (truncated), its ratio to
/// `target_utilization`, and the mean usage.
pub fn resource_utilization_ratio(metrics: &[(i64, i64)], target_utilization: i32) -> Result<(f64, i32, i64), CalcError> {
    let (usage, requests) = metrics.iter().fold((0i128, 0i128), |(u, r), &(v, q)| (u + i128::from(v), r + i128::from(q)));
    if requests == 0 {
        return Err(CalcError::NoRequests);
    }
    // Upstream clamps a percentage beyond int32 to its rails.
    let utilization = (usage * 100 / requests).clamp(i128::from(i32::MIN), i128::from(i32::MAX)) as i32;
    let raw = (usage / metrics.len() as i128) as i64;
    Ok((f64::from(utilization) / f64::from(target_utilization), utilization, raw))
}

/// `GetMetricUsageRatio`: the integer mean of `values` (milli-units) and its
/// ratio to `target_usage`.
pub fn metric_usage_ratio(values: &[i64], target_usage: i64) -> (f64, i64) {
    let total: i128 = values.iter().map(|&v| i128::from(v)).sum();
    let usage = (total / values.len().max(1) as i128) as i64;
    (usage as f64 / target_usage as f64, usage)
}

/// `int32(math.Ceil(x))` for a non-negative proposal.
fn ceil_replicas(x: f64) -> u32 {
    x.ceil() as u32
}

/// The replica calculator's settings (`NewReplicaCalculator`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplicaCalculator {
    /// `--horizontal-pod-autoscaler-cpu-initialization-period`.
    pub cpu_initialization_period: SimDuration,
    /// `--horizontal-pod-autoscaler-initial-readiness-delay`.
    pub delay_of_initial_readiness_status: SimDuration,
}

impl Default for ReplicaCalculator {
    fn default() -> Self {
        ReplicaCalculator {
            cpu_initialization_period: CPU_INITIALIZATION_PERIOD,
            delay_of_initial_readiness_status: DELAY_OF_INITIAL_READINESS_STATUS,
        }
    }
}

/// The pods of one calculation, grouped: the samples counted, and the
/// requests of the unready and missing pods.
struct Grouped {
    /// (value, request) of the ready pods.
    metrics: Vec<(i64, i64)>,
    unready: Vec<i64>,
    missing: Vec<i64>,
}

impl ReplicaCalculator {
    /// `groupPods` for one pod at `now`; `cpu` when the metric is the CPU
    /// resource (only then does readiness matter).
    pub fn group_pod(&self, pod: &PodInfo, cpu: bool, now: SimTime) -> PodGroup {
        if pod.deleting || pod.phase == Phase::Failed {
            return PodGroup::Ignored;
        }
        if pod.phase == Phase::Pending {
            return PodGroup::Unready;
        }
        let Some(metric) = pod.metric else { return PodGroup::Missing };
        if cpu {
            let unready = match (pod.ready, pod.start_time) {
                (Some(condition), Some(start)) => {
                    if start + self.cpu_initialization_period > now {
                        // Within the initialization period: unready, or one
                        // whole window not yet collected since it became Ready.
                        !condition.ready || metric.timestamp < condition.last_transition + metric.window
                    } else {
                        // Unready and never ready since it started.
                        !condition.ready && start + self.delay_of_initial_readiness_status > condition.last_transition
                    }
                }
                _ => true,
            };
            if unready {
                return PodGroup::Unready;
            }
        }
        PodGroup::Ready
    }

    fn group(&self, pods: &[PodInfo], cpu: bool, now: SimTime) -> Result<Grouped, CalcError> {
        if pods.is_empty() {
            return Err(CalcError::NoPods);
        }
        let mut g = Grouped { metrics: Vec::new(), unready: Vec::new(), missing: Vec::new() };
        for pod in pods {
            match self.group_pod(pod, cpu, now) {
                PodGroup::Ready => g.metrics.push((pod.metric.map_or(0, |m| m.value_milli), pod.request_milli)),
                PodGroup::Unready => g.unready.push(pod.request_milli),
                PodGroup::Missing => g.missing.push(pod.request_milli),
                PodGroup::Ignored => {}
            }
        }
        if g.metrics.is_empty() {
            return Err(CalcError::NoMetrics);
        }
        Ok(g)
    }

    /// `GetResourceReplicas` for CPU: the proposal for `target_utilization`
    /// percent of the requests.
    pub fn resource_replicas(
        &self,
        current: u32,
        target_utilization: i32,
        tolerances: Tolerances,
        pods: &[PodInfo],
        now: SimTime,
    ) -> Result<ResourceReplicas, CalcError> {
        let Grouped { mut metrics, unready, missing } = self.group(pods, true, now)?;
        let ready = metrics.len();
        let (ratio, utilization, raw_utilization) = resource_utilization_ratio(&metrics, target_utilization)?;
        let result = |replicas| Ok(ResourceReplicas { replicas, utilization, raw_utilization });
        let scale_up_with_unready = !unready.is_empty() && ratio > 1.0;
        if !scale_up_with_unready && missing.is_empty() {
            if tolerances.is_within(ratio) {
                return result(current);
            }
            return result(ceil_replicas(ratio * ready as f64));
        }
        if ratio < 1.0 {
            // On a scale-down a missing pod uses all its request, or the
            // target when that is higher (kubernetes#112178).
            let fallback = i64::from(target_utilization.max(100));
            metrics.extend(missing.iter().map(|&request| (request * fallback / 100, request)));
        } else if ratio > 1.0 {
            metrics.extend(missing.iter().map(|&request| (0, request)));
        }
        if scale_up_with_unready {
            metrics.extend(unready.iter().map(|&request| (0, request)));
        }
        let (new_ratio, _, _) = resource_utilization_ratio(&metrics, target_utilization)?;
        result(rebalanced(current, ratio, new_ratio, metrics.len(), tolerances))
    }

    /// `GetMetricReplicas` (`calcPlainMetricReplicas`): the proposal for a pods
    /// metric whose mean should be `target_usage` milli-units; also returns the
    /// mean.
    pub fn metric_replicas(
        &self,
        current: u32,
        target_usage: i64,
        tolerances: Tolerances,
        pods: &[PodInfo],
        now: SimTime,
    ) -> Result<(u32, i64), CalcError> {
        let Grouped { metrics, unready, missing } = self.group(pods, false, now)?;
        let mut values: Vec<i64> = metrics.iter().map(|&(v, _)| v).collect();
        let (ratio, usage) = metric_usage_ratio(&values, target_usage);
        let scale_up_with_unready = !unready.is_empty() && ratio > 1.0;
        if !scale_up_with_unready && missing.is_empty() {
            if tolerances.is_within(ratio) {
                return Ok((current, usage));
            }
            return Ok((ceil_replicas(ratio * values.len() as f64), usage));
        }
        if ratio < 1.0 {
            values.extend(missing.iter().map(|_| target_usage));
        } else if ratio > 1.0 {
            values.extend(missing.iter().map(|_| 0));
        }
        if scale_up_with_unready {
            values.extend(unready.iter().map(|_| 0));
        }
        let (new_ratio, _) = metric_usage_ratio(&values, target_usage);
        Ok((rebalanced(current, ratio, new_ratio, values.len(), tolerances), usage))
    }
}

/// The second pass's proposal: no change when the recomputed ratio is within
/// tolerance or points the other way, or when the count would move against it.
fn rebalanced(current: u32, ratio: f64, new_ratio: f64, counted: usize, tolerances: Tolerances) -> u32 {
    if tolerances.is_within(new_ratio) || (ratio < 1.0 && new_ratio > 1.0) || (ratio > 1.0 && new_ratio < 1.0) {
        return current;
    }
    let proposed = ceil_replicas(new_ratio * counted as f64);
    if (new_ratio < 1.0 && proposed > current) || (new_ratio > 1.0 && proposed < current) {
        return current;
    }
    proposed
}

// ---------------------------------------------------------------------------
// behavior and its defaults (pkg/apis/autoscaling/v2/defaults.go)
// ---------------------------------------------------------------------------

/// A `behavior` rate policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScalingPolicy {
    /// `Pods` or `Percent`.
    #[serde(rename = "type")]
    pub kind: PolicyKind,
    /// Pods, or percent of the replicas at the start of the period.
    pub value: u32,
    /// `periodSeconds`.
    pub period_seconds: u32,
}

/// How a [`ScalingPolicy`] counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum PolicyKind {
    /// A number of pods.
    Pods,
    /// A percentage of the replicas at the start of the period.
    Percent,
}

/// `selectPolicy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum SelectPolicy {
    /// The policy allowing the largest change (the default).
    #[default]
    Max,
    /// The policy allowing the smallest change.
    Min,
    /// No scaling in this direction.
    Disabled,
}

/// One direction of `behavior` as written (`HPAScalingRules` before
/// defaulting): each field left out gets its default on its own.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScalingRulesSpec {
    /// `stabilizationWindowSeconds` (default: 0 up; down, the controller's 300 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stabilization_window_seconds: Option<u32>,
    /// `selectPolicy` (default Max).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select_policy: Option<SelectPolicy>,
    /// `policies` (default: up 4 pods and 100 % per 15 s; down 100 % per 15 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<Vec<ScalingPolicy>>,
}

/// `behavior` as written: a direction left out gets all its defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BehaviorSpec {
    /// `scaleUp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_up: Option<ScalingRulesSpec>,
    /// `scaleDown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down: Option<ScalingRulesSpec>,
}

/// One direction of a defaulted `behavior`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScalingRules {
    /// `stabilizationWindowSeconds`; `None` only for scale-down, where the
    /// controller applies its `--horizontal-pod-autoscaler-downscale-stabilization`
    /// (`maybeInitScaleDownStabilizationWindow`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stabilization_window_seconds: Option<u32>,
    /// `selectPolicy`.
    pub select_policy: SelectPolicy,
    /// `policies`.
    pub policies: Vec<ScalingPolicy>,
}

/// `copyHPAScalingRules`: the fields `spec` sets, over `defaults`.
fn copy_scaling_rules(spec: Option<&ScalingRulesSpec>, mut defaults: ScalingRules) -> ScalingRules {
    if let Some(s) = spec {
        if let Some(p) = s.select_policy {
            defaults.select_policy = p;
        }
        if s.stabilization_window_seconds.is_some() {
            defaults.stabilization_window_seconds = s.stabilization_window_seconds;
        }
        if let Some(p) = &s.policies {
            defaults.policies = p.clone();
        }
    }
    defaults
}

/// `GenerateHPAScaleUpRules`: no stabilization, the larger of 4 pods and
/// 100 % per 15 s, for each field `spec` leaves out.
pub fn generate_scale_up_rules(spec: Option<&ScalingRulesSpec>) -> ScalingRules {
    let defaults = ScalingRules {
        stabilization_window_seconds: Some(0),
        select_policy: SelectPolicy::Max,
        policies: vec![
            ScalingPolicy { kind: PolicyKind::Pods, value: 4, period_seconds: 15 },
            ScalingPolicy { kind: PolicyKind::Percent, value: 100, period_seconds: 15 },
        ],
    };
    copy_scaling_rules(spec, defaults)
}

/// `GenerateHPAScaleDownRules`: 100 % per 15 s, and the stabilization window
/// left to the controller, for each field `spec` leaves out.
pub fn generate_scale_down_rules(spec: Option<&ScalingRulesSpec>) -> ScalingRules {
    let defaults = ScalingRules {
        stabilization_window_seconds: None,
        select_policy: SelectPolicy::Max,
        policies: vec![ScalingPolicy { kind: PolicyKind::Percent, value: 100, period_seconds: 15 }],
    };
    copy_scaling_rules(spec, defaults)
}

/// A defaulted `behavior` (`SetDefaults_HorizontalPodAutoscalerBehavior`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Behavior {
    /// `scaleUp`.
    pub scale_up: ScalingRules,
    /// `scaleDown`.
    pub scale_down: ScalingRules,
}

impl Behavior {
    /// `spec` with every field it leaves out defaulted.
    pub fn from_spec(spec: &BehaviorSpec) -> Self {
        Behavior {
            scale_up: generate_scale_up_rules(spec.scale_up.as_ref()),
            scale_down: generate_scale_down_rules(spec.scale_down.as_ref()),
        }
    }

    /// The scale-up and scale-down stabilization windows, the scale-down one
    /// defaulting to the controller's flag.
    pub fn windows(&self) -> (SimDuration, SimDuration) {
        let secs = |s: u32| SimDuration::from_secs(u64::from(s));
        (
            secs(self.scale_up.stabilization_window_seconds.unwrap_or(0)),
            self.scale_down.stabilization_window_seconds.map_or(DEFAULT_DOWNSCALE_STABILIZATION, secs),
        )
    }
}

impl Default for Behavior {
    /// `behavior: {}`: every default.
    fn default() -> Self {
        Behavior::from_spec(&BehaviorSpec::default())
    }
}

/// The replica bounds and behavior of one HPA.
#[derive(Clone, Debug, PartialEq)]
pub struct HpaSpec {
    /// `minReplicas` (default 1).
    pub min_replicas: u32,
    /// `maxReplicas`.
    pub max_replicas: u32,
    /// `behavior`, defaulted; `None` (not written) is the legacy path.
    pub behavior: Option<Behavior>,
}

// ---------------------------------------------------------------------------
// Normalization (horizontal.go)
// ---------------------------------------------------------------------------

/// An unstabilized recommendation (`timestampedRecommendation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recommendation {
    /// The proposal.
    pub replicas: u32,
    /// When it was made.
    pub at: SimTime,
}

/// A replica change the HPA made (`timestampedScaleEvent`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScaleEvent {
    /// Replicas added (scale-up list) or removed (scale-down list).
    pub change: u32,
    /// When.
    pub at: SimTime,
    /// Older than the direction's longest policy period, so reusable.
    pub outdated: bool,
}

/// The `ScalingLimited` condition's reason: what bounded the result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalingLimited {
    /// `DesiredWithinRange`.
    DesiredWithinRange,
    /// `TooFewReplicas`: `minReplicas`.
    TooFewReplicas,
    /// `TooManyReplicas`: `maxReplicas`.
    TooManyReplicas,
    /// `ScaleUpLimit`: the scale-up rate.
    ScaleUpLimit,
    /// `ScaleDownLimit`: the scale-down rate.
    ScaleDownLimit,
}

impl ScalingLimited {
    /// The reason as upstream writes it.
    pub fn reason(self) -> &'static str {
        match self {
            ScalingLimited::DesiredWithinRange => "DesiredWithinRange",
            ScalingLimited::TooFewReplicas => "TooFewReplicas",
            ScalingLimited::TooManyReplicas => "TooManyReplicas",
            ScalingLimited::ScaleUpLimit => "ScaleUpLimit",
            ScalingLimited::ScaleDownLimit => "ScaleDownLimit",
        }
    }
}

/// `calculateScaleUpLimit`: the legacy cap, `max(2·current, 4)`.
pub fn calculate_scale_up_limit(current: u32) -> u32 {
    (LEGACY_SCALE_UP_FACTOR * current).max(LEGACY_SCALE_UP_MINIMUM)
}

/// `convertDesiredReplicasWithRules`: the legacy bounds `[min, min(max,
/// calculate_scale_up_limit(current))]`.
pub fn convert_desired_replicas_with_rules(current: u32, desired: u32, min: u32, max: u32) -> (u32, ScalingLimited) {
    let up_limit = calculate_scale_up_limit(current);
    let (maximum, limited) = if max > up_limit { (up_limit, ScalingLimited::ScaleUpLimit) } else { (max, ScalingLimited::TooManyReplicas) };
    if desired < min {
        (min, ScalingLimited::TooFewReplicas)
    } else if desired > maximum {
        (maximum, limited)
    } else {
        (desired, ScalingLimited::DesiredWithinRange)
    }
}

/// `getReplicasChangePerPeriod`: the changes of `events` strictly within the
/// `period_seconds` before `now`.
pub fn get_replicas_change_per_period(period_seconds: u32, events: &[ScaleEvent], now: SimTime) -> i64 {
    let period = SimDuration::from_secs(u64::from(period_seconds));
    events.iter().filter(|e| after_cutoff(e.at, now, period)).map(|e| i64::from(e.change)).sum()
}

/// The limit every policy of `rules` allows from `current`, combined as
/// `selectPolicy` says: `up` for scale-up (`calculateScaleUpLimitWithScalingRules`),
/// else scale-down (`calculateScaleDownLimitWithBehaviors`). May lie beyond
/// `current` or below 0; the caller bounds it.
fn scaling_limit(up: bool, current: u32, up_events: &[ScaleEvent], down_events: &[ScaleEvent], rules: &ScalingRules, now: SimTime) -> i64 {
    let current = i64::from(current);
    let most = match rules.select_policy {
        SelectPolicy::Disabled => return current,
        // Up, the most permissive policy is the largest limit; down, the smallest.
        SelectPolicy::Max => up,
        SelectPolicy::Min => !up,
    };
    let limits = rules.policies.iter().map(|p| {
        let start = current - get_replicas_change_per_period(p.period_seconds, up_events, now)
            + get_replicas_change_per_period(p.period_seconds, down_events, now);
        let value = i64::from(p.value);
        match (p.kind, up) {
            (PolicyKind::Pods, true) => start + value,
            (PolicyKind::Pods, false) => start - value,
            // Rounded up, or a small percentage would never add a pod.
            (PolicyKind::Percent, true) => (start as f64 * (1.0 + value as f64 / 100.0)).ceil() as i64,
            // Go's int32 conversion truncates toward zero.
            (PolicyKind::Percent, false) => (start as f64 * (1.0 - value as f64 / 100.0)) as i64,
        }
    });
    // With no policies, upstream's seed (MinInt32 or MaxInt32) stands.
    if most {
        limits.max().unwrap_or(i64::from(i32::MIN))
    } else {
        limits.min().unwrap_or(i64::from(i32::MAX))
    }
}

/// `calculateScaleUpLimitWithScalingRules`.
pub fn calculate_scale_up_limit_with_scaling_rules(
    current: u32,
    up_events: &[ScaleEvent],
    down_events: &[ScaleEvent],
    rules: &ScalingRules,
    now: SimTime,
) -> i64 {
    scaling_limit(true, current, up_events, down_events, rules, now)
}

/// `calculateScaleDownLimitWithBehaviors`.
pub fn calculate_scale_down_limit_with_behaviors(
    current: u32,
    up_events: &[ScaleEvent],
    down_events: &[ScaleEvent],
    rules: &ScalingRules,
    now: SimTime,
) -> i64 {
    scaling_limit(false, current, up_events, down_events, rules, now)
}

/// `getLongestPolicyPeriod`.
fn longest_policy_period(rules: &ScalingRules) -> u32 {
    rules.policies.iter().map(|p| p.period_seconds).max().unwrap_or(0)
}

/// What the controller remembers per HPA between syncs.
#[derive(Clone, Debug, Default)]
pub struct HpaState {
    /// `None` until the first sync (`recordInitialRecommendation` checks nil).
    recommendations: Option<Vec<Recommendation>>,
    scale_up_events: Vec<ScaleEvent>,
    scale_down_events: Vec<ScaleEvent>,
}

impl HpaState {
    /// A state holding this history, as upstream's tests set it.
    pub fn with_history(
        recommendations: Vec<Recommendation>,
        scale_up_events: Vec<ScaleEvent>,
        scale_down_events: Vec<ScaleEvent>,
    ) -> Self {
        HpaState { recommendations: Some(recommendations), scale_up_events, scale_down_events }
    }

    /// The stored recommendations, in storage order.
    pub fn recommendations(&self) -> &[Recommendation] {
        self.recommendations.as_deref().unwrap_or_default()
    }

    /// The stored scale-up events.
    pub fn scale_up_events(&self) -> &[ScaleEvent] {
        &self.scale_up_events
    }

    /// The stored scale-down events.
    pub fn scale_down_events(&self) -> &[ScaleEvent] {
        &self.scale_down_events
    }

    /// `recordInitialRecommendation`: on the first sync, the current count.
    pub fn record_initial_recommendation(&mut self, current: u32, now: SimTime) {
        if self.recommendations.is_none() {
            self.recommendations = Some(vec![Recommendation { replicas: current, at: now }]);
        }
    }

    /// Stores `proposal` at `now` in the place of the last recommendation
    /// `old` marks, or after the others.
    fn store_recommendation(&mut self, old: Option<usize>, proposal: u32, now: SimTime) {
        let recs = self.recommendations.get_or_insert_with(Vec::new);
        let rec = Recommendation { replicas: proposal, at: now };
        match old {
            Some(i) => recs[i] = rec,
            None => recs.push(rec),
        }
    }

    /// `stabilizeRecommendation` (legacy): the highest of `proposal` and the
    /// recommendations not older than `window` (one exactly `window` old
    /// counts); records `proposal`, reusing the last outdated entry.
    pub fn stabilize_recommendation(&mut self, now: SimTime, window: SimDuration, proposal: u32) -> u32 {
        let mut highest = proposal;
        let mut old = None;
        for (i, r) in self.recommendations().iter().enumerate() {
            if before_cutoff(r.at, now, window) {
                old = Some(i);
            } else {
                highest = highest.max(r.replicas);
            }
        }
        self.store_recommendation(old, proposal, now);
        highest
    }

    /// `stabilizeRecommendationWithBehaviors`: `current` moved toward
    /// `desired` only as far as the lowest recommendation strictly within
    /// `up_window` and the highest strictly within `down_window` allow;
    /// records `desired`, reusing the last entry outside both windows.
    pub fn stabilize_recommendation_with_behaviors(
        &mut self,
        now: SimTime,
        up_window: SimDuration,
        down_window: SimDuration,
        current: u32,
        desired: u32,
    ) -> u32 {
        let (mut up, mut down, mut old) = (desired, desired, None);
        for (i, r) in self.recommendations().iter().enumerate() {
            if after_cutoff(r.at, now, up_window) {
                up = up.min(r.replicas);
            }
            if after_cutoff(r.at, now, down_window) {
                down = down.max(r.replicas);
            }
            if before_cutoff(r.at, now, up_window) && before_cutoff(r.at, now, down_window) {
                old = Some(i);
            }
        }
        self.store_recommendation(old, desired, now);
        current.max(up).min(down)
    }

    /// `convertDesiredReplicasWithBehaviorRate`: `desired` bounded by the
    /// rate policies of its direction and by `[min, max]`.
    pub fn convert_desired_replicas_with_behavior_rate(
        &self,
        now: SimTime,
        behavior: &Behavior,
        min: u32,
        max: u32,
        current: u32,
        desired: u32,
    ) -> (u32, ScalingLimited) {
        let (up_events, down_events) = (&self.scale_up_events, &self.scale_down_events);
        if desired > current {
            // No further scale-up until the events age out.
            let limit = calculate_scale_up_limit_with_scaling_rules(current, up_events, down_events, &behavior.scale_up, now)
                .max(i64::from(current));
            let (maximum, limited) =
                if i64::from(max) > limit { (limit as u32, ScalingLimited::ScaleUpLimit) } else { (max, ScalingLimited::TooManyReplicas) };
            if desired > maximum {
                return (maximum, limited);
            }
        } else if desired < current {
            let limit = calculate_scale_down_limit_with_behaviors(current, up_events, down_events, &behavior.scale_down, now)
                .min(i64::from(current));
            let (minimum, limited) =
                if i64::from(min) < limit { (limit as u32, ScalingLimited::ScaleDownLimit) } else { (min, ScalingLimited::TooFewReplicas) };
            if desired < minimum {
                return (minimum, limited);
            }
        }
        (desired, ScalingLimited::DesiredWithinRange)
    }

    /// `storeScaleEvent`: records a change from `prev` to `new` in its
    /// direction's list (only with a `behavior`, the only user of the lists),
    /// reusing the last event older than the direction's longest policy period.
    pub fn store_scale_event(&mut self, behavior: Option<&Behavior>, now: SimTime, prev: u32, new: u32) {
        let Some(b) = behavior else { return };
        let (events, rules, change) = if new > prev {
            (&mut self.scale_up_events, &b.scale_up, new - prev)
        } else {
            (&mut self.scale_down_events, &b.scale_down, prev - new)
        };
        let longest = SimDuration::from_secs(u64::from(longest_policy_period(rules)));
        for e in events.iter_mut() {
            if before_cutoff(e.at, now, longest) {
                e.outdated = true;
            }
        }
        let event = ScaleEvent { change, at: now, outdated: false };
        match events.iter().rposition(|e| e.outdated) {
            Some(i) => events[i] = event,
            None => events.push(event),
        }
    }

    /// `normalizeDesiredReplicas` (no `behavior`).
    pub fn normalize_desired_replicas(&mut self, now: SimTime, current: u32, desired: u32, min: u32, max: u32) -> u32 {
        let stabilized = self.stabilize_recommendation(now, DEFAULT_DOWNSCALE_STABILIZATION, desired);
        convert_desired_replicas_with_rules(current, stabilized, min, max).0
    }

    /// `normalizeDesiredReplicasWithBehaviors`.
    pub fn normalize_desired_replicas_with_behaviors(
        &mut self,
        behavior: &Behavior,
        now: SimTime,
        current: u32,
        desired: u32,
        min: u32,
        max: u32,
    ) -> u32 {
        let (up_window, down_window) = behavior.windows();
        let stabilized = self.stabilize_recommendation_with_behaviors(now, up_window, down_window, current, desired);
        self.convert_desired_replicas_with_behavior_rate(now, behavior, min, max, current, stabilized).0
    }

    /// One sync (`reconcileAutoscaler`) from the current count and each
    /// metric's proposal (`None`: that metric failed): the count to set.
    pub fn reconcile(&mut self, spec: &HpaSpec, now: SimTime, current: u32, proposals: &[Option<u32>]) -> u32 {
        self.record_initial_recommendation(current, now);
        let (min, max) = (spec.min_replicas, spec.max_replicas);
        let desired = if current == 0 && min != 0 {
            // Scaling is disabled while the target is at zero.
            return current;
        } else if current > max {
            max
        } else if current < min {
            min
        } else {
            let valid = proposals.iter().flatten().copied();
            let invalid = proposals.iter().filter(|p| p.is_none()).count();
            let proposal = valid.max().unwrap_or(0);
            // Every metric failed, or some did and the others would scale down.
            if invalid == proposals.len() || (invalid > 0 && proposal < current) {
                return current;
            }
            match &spec.behavior {
                None => self.normalize_desired_replicas(now, current, proposal, min, max),
                Some(b) => self.normalize_desired_replicas_with_behaviors(b, now, current, proposal, min, max),
            }
        };
        if desired != current {
            self.store_scale_event(spec.behavior.as_ref(), now, current, desired);
        }
        desired
    }
}

// ---------------------------------------------------------------------------
// The `hpa` replica autoscaler
// ---------------------------------------------------------------------------

/// What an HPA metric targets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MetricTarget {
    /// Resource metric `cpu`, target type Utilization: `averageUtilization`,
    /// an integer percent of the requests.
    CpuUtilization(u32),
    /// Pods metric of requests per second, target type AverageValue.
    RequestsPerPod(f64),
}

/// `Quantity.MilliValue()` of a value the metrics pipeline reports with
/// nano resolution (metrics-server's nanocores): rounded up to a milli-unit.
pub fn milli_value(value: f64) -> i64 {
    let nanos = (value * 1e6).round() as i64;
    nanos.div_euclid(1_000_000) + i64::from(nanos.rem_euclid(1_000_000) != 0)
}

/// The `hpa` replica autoscaler: the HorizontalPodAutoscaler controller for
/// one service.
#[derive(Clone, Debug)]
pub struct Hpa {
    /// Bounds and behavior.
    pub spec: HpaSpec,
    /// Metrics; the largest proposal wins.
    pub metrics: Vec<MetricTarget>,
    /// Tolerance (0.1), both ways.
    pub tolerance: f64,
    /// Sync period (15 s).
    pub sync_period: SimDuration,
    state: HpaState,
}

impl Hpa {
    /// An HPA with the controller's default tolerance and sync period.
    pub fn new(spec: HpaSpec, metrics: Vec<MetricTarget>) -> Self {
        Hpa { spec, metrics, tolerance: DEFAULT_TOLERANCE, sync_period: DEFAULT_SYNC_PERIOD, state: HpaState::default() }
    }
}

/// One pod of the service as the replica calculation sees it for `metric`.
/// A pod not yet running (Pending or Starting) is Pending upstream; a running
/// one has been Ready since its containers started.
fn pod_info(metric: MetricTarget, pod: &PodMetrics) -> PodInfo {
    let value = match metric {
        MetricTarget::CpuUtilization(_) => pod.cpu_milli.map(milli_value),
        MetricTarget::RequestsPerPod(_) => pod.rps.map(|r| milli_value(r * 1000.0)),
    };
    PodInfo {
        phase: if pod.phase == PodPhase::Running { Phase::Running } else { Phase::Pending },
        deleting: false,
        ready: pod.ready_since.map(|t| ReadyCondition { ready: true, last_transition: t }),
        start_time: pod.started,
        request_milli: pod.cpu_request_milli.round() as i64,
        metric: value.zip(pod.scraped_at).map(|(value_milli, timestamp)| PodMetric { value_milli, timestamp, window: USAGE_WINDOW }),
    }
}

impl ReplicaAutoscaler for Hpa {
    fn name(&self) -> &'static str {
        "hpa"
    }

    fn interval(&self) -> SimDuration {
        self.sync_period
    }

    fn desired_replicas(&mut self, view: &ServiceView<'_>) -> u32 {
        let calc = ReplicaCalculator::default();
        let tolerances = Tolerances::both(self.tolerance);
        let proposals: Vec<Option<u32>> = self
            .metrics
            .iter()
            .map(|&m| {
                let pods: Vec<PodInfo> = view.pods.iter().map(|p| pod_info(m, p)).collect();
                match m {
                    MetricTarget::CpuUtilization(t) => {
                        let target = i32::try_from(t).unwrap_or(i32::MAX);
                        calc.resource_replicas(view.replicas, target, tolerances, &pods, view.now).ok().map(|r| r.replicas)
                    }
                    MetricTarget::RequestsPerPod(r) => {
                        calc.metric_replicas(view.replicas, milli_value(r * 1000.0), tolerances, &pods, view.now).ok().map(|(n, _)| n)
                    }
                }
            })
            .collect();
        self.state.reconcile(&self.spec, view.now, view.replicas, &proposals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: fn(u64) -> SimTime = SimTime::from_secs;

    /// A running, long-ready pod requesting `request` millicores, using `usage`.
    fn pod(request: i64, usage: Option<i64>) -> PodInfo {
        PodInfo {
            phase: Phase::Running,
            deleting: false,
            ready: Some(ReadyCondition { ready: true, last_transition: T(0) }),
            start_time: Some(T(0)),
            request_milli: request,
            metric: usage.map(|value_milli| PodMetric { value_milli, timestamp: T(3600), window: USAGE_WINDOW }),
        }
    }

    fn cpu(current: u32, target: i32, pods: &[PodInfo]) -> Result<u32, CalcError> {
        ReplicaCalculator::default().resource_replicas(current, target, Tolerances::both(0.1), pods, T(3600)).map(|r| r.replicas)
    }

    /// Issue vector: 3 replicas at 200 % of their request against 100 % → 6.
    #[test]
    fn double_the_target_doubles_the_replicas() {
        assert_eq!(cpu(3, 100, &[pod(100, Some(200)); 3]), Ok(6));
        let rps = |v| pod(0, Some(v));
        let got = ReplicaCalculator::default().metric_replicas(3, 100_000, Tolerances::both(0.1), &[rps(200_000); 3], T(3600));
        assert_eq!(got, Ok((6, 200_000)));
    }

    /// `GetResourceUtilizationRatio` truncates to an integer percent first:
    /// 110.95 % is 110 %, within the tolerance of a 100 % target.
    #[test]
    fn utilization_is_an_integer_percent() {
        assert_eq!(resource_utilization_ratio(&[(1109, 1000), (1110, 1000)], 100), Ok((1.1, 110, 1109)));
        assert_eq!(cpu(2, 100, &[pod(1000, Some(1109)), pod(1000, Some(1110))]), Ok(2));
        // 111 % is outside: ceil(1.11 · 2) = 3.
        assert_eq!(cpu(2, 100, &[pod(1000, Some(1110)), pod(1000, Some(1110))]), Ok(3));
    }

    /// On scale-down a pod without a sample counts as 100 % of its request
    /// (not the target): (300 + 1000) / 4000 = 32 % of a 50 % target → 3.
    #[test]
    fn a_missing_pod_counts_as_its_whole_request_on_scale_down() {
        let pods = [pod(1000, Some(100)), pod(1000, Some(100)), pod(1000, Some(100)), pod(1000, None)];
        assert_eq!(cpu(4, 50, &pods), Ok(3));
        // A target above 100 % is the fallback then: 150 % → (300 + 1500) / 4000.
        let pods = [pod(1000, Some(100)), pod(1000, Some(100)), pod(1000, Some(100)), pod(1000, None)];
        assert_eq!(cpu(4, 150, &pods), Ok(2), "45 % / 150 % → ceil(0.3 · 4) = 2");
    }

    #[test]
    fn no_sample_for_any_counted_pod_is_an_error() {
        assert_eq!(cpu(2, 50, &[pod(1000, None), pod(1000, None)]), Err(CalcError::NoMetrics));
        assert_eq!(cpu(0, 50, &[]), Err(CalcError::NoPods));
    }

    fn spec(behavior: Option<Behavior>) -> HpaSpec {
        HpaSpec { min_replicas: 1, max_replicas: 100, behavior }
    }

    /// Without `behavior`: scale-up capped at max(2·current, 4) per sync, and
    /// a recommendation exactly 300 s old still holds the count up.
    #[test]
    fn the_legacy_path_caps_scale_up_and_keeps_the_window_edge() {
        let s = spec(None);
        assert_eq!(HpaState::default().reconcile(&s, T(0), 1, &[Some(50)]), 4);
        assert_eq!(HpaState::default().reconcile(&s, T(0), 10, &[Some(50)]), 20);
        let mut h = HpaState::default();
        assert_eq!(h.reconcile(&s, T(0), 10, &[Some(10)]), 10);
        assert_eq!(h.reconcile(&s, T(100), 10, &[Some(3)]), 10);
        assert_eq!(h.reconcile(&s, T(300), 10, &[Some(3)]), 10, "the records at 0 s are exactly 300 s old: kept");
        assert_eq!(h.reconcile(&s, T(301), 10, &[Some(3)]), 3);
    }

    /// With `behavior`, the window is strict: a record exactly 300 s old no
    /// longer counts.
    #[test]
    fn the_behavior_window_is_strict() {
        let s = spec(Some(Behavior::default()));
        let mut h = HpaState::default();
        assert_eq!(h.reconcile(&s, T(0), 10, &[Some(10)]), 10);
        for k in 1..20 {
            assert_eq!(h.reconcile(&s, T(15 * k), 10, &[Some(4)]), 10, "at {} s", 15 * k);
        }
        assert_eq!(h.reconcile(&s, T(300), 10, &[Some(4)]), 4);
    }

    /// The first sync records the current count, so a low first proposal is
    /// held for the window; a sync whose metrics all fail records nothing.
    #[test]
    fn the_first_sync_records_the_current_count_and_a_failed_one_nothing() {
        let s = spec(None);
        let mut h = HpaState::default();
        assert_eq!(h.reconcile(&s, T(0), 8, &[Some(2)]), 8, "the initial record of 8 holds");
        assert_eq!(h.recommendations().len(), 2);
        assert_eq!(h.reconcile(&s, T(15), 8, &[None]), 8);
        assert_eq!(h.recommendations().len(), 2, "no metrics: nothing recorded");
        // One metric failing while the others would scale down: no change.
        assert_eq!(h.reconcile(&s, T(400), 8, &[Some(2), None]), 8);
        assert_eq!(h.reconcile(&s, T(400), 8, &[Some(9), None]), 9, "scaling up on the valid ones");
    }

    #[test]
    fn counts_outside_the_bounds_are_brought_inside_and_zero_disables() {
        let s = HpaSpec { min_replicas: 2, max_replicas: 5, behavior: None };
        assert_eq!(HpaState::default().reconcile(&s, T(0), 1, &[Some(1)]), 2);
        assert_eq!(HpaState::default().reconcile(&s, T(0), 9, &[None]), 5);
        assert_eq!(HpaState::default().reconcile(&s, T(0), 0, &[Some(3)]), 0, "scaled to zero by hand: the HPA stands aside");
    }

    #[test]
    fn scale_up_is_capped_by_the_default_policies() {
        let s = spec(Some(Behavior::default()));
        let mut h = HpaState::default();
        // From 2, max(2 + 4, 2 · 2) = 6 per 15 s.
        assert_eq!(h.reconcile(&s, T(0), 2, &[Some(50)]), 6);
        // Within the same period, the period started at 2: still 6.
        assert_eq!(h.reconcile(&s, T(10), 6, &[Some(50)]), 6);
        // A new period from 6: max(10, 12) = 12.
        assert_eq!(h.reconcile(&s, T(15), 6, &[Some(50)]), 12);
    }

    /// A `behavior` given in part gets each missing field's default.
    #[test]
    fn a_partial_behavior_is_defaulted_field_by_field() {
        let spec = BehaviorSpec {
            scale_up: Some(ScalingRulesSpec { select_policy: Some(SelectPolicy::Min), ..Default::default() }),
            scale_down: Some(ScalingRulesSpec { stabilization_window_seconds: Some(60), ..Default::default() }),
        };
        let b = Behavior::from_spec(&spec);
        assert_eq!(b.scale_up.select_policy, SelectPolicy::Min);
        assert_eq!(b.scale_up.policies, Behavior::default().scale_up.policies);
        assert_eq!(b.scale_down.policies, Behavior::default().scale_down.policies);
        assert_eq!(b.windows(), (SimDuration::ZERO, SimDuration::from_secs(60)));
        assert_eq!(Behavior::default().windows().1, DEFAULT_DOWNSCALE_STABILIZATION);
    }

    #[test]
    fn milli_values_round_up_at_nano_resolution() {
        assert_eq!(milli_value(60.0), 60);
        assert_eq!(milli_value(60.000_000_1), 60, "below a nanocore: noise");
        assert_eq!(milli_value(60.000_01), 61);
        assert_eq!(milli_value(0.4 * 1000.0), 400);
    }
}
