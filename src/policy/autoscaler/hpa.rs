//! The HorizontalPodAutoscaler's algorithm, as the controller computes it.
//!
//! Every number here is from `shared/reference/semantics.md` §2 (controller
//! defaults `config/v1alpha1/defaults.go`, `replica_calculator.go`,
//! `horizontal.go`, autoscaling/v2 `defaults.go`):
//!
//! 1. **Replica calculation** per metric: `ratio = current / target`, where
//!    `current` is the mean over pods with metrics (for CPU utilization,
//!    `Σ usage / Σ requests`); within the tolerance (0.1) nothing changes,
//!    else `ceil(ratio · pods with metrics)`. Pods without metrics count as
//!    100 % of target when scaling down and 0 when scaling up; not-ready pods
//!    count as 0, and only when scaling up. If the recomputed ratio is within
//!    tolerance or flips direction, nothing changes. Several metrics: the
//!    largest proposal wins.
//! 2. **Stabilization**: the recommendation is the lowest of the last
//!    `scale_up.stabilization` (0 s) and the highest of the last
//!    `scale_down.stabilization` (300 s), bounded by the current count.
//! 3. **Rate policies** per direction: each policy allows `period_start +
//!    pods` or `ceil(period_start · (1 + percent/100))` up, `period_start −
//!    pods` or `floor(period_start · (1 − percent/100))` down, where
//!    `period_start = current − added + removed` within its period; `Max`
//!    picks the most permissive policy, `Min` the least, `Disabled` none.
//!    Defaults: up `max(4 pods, 100 %)` per 15 s, down 100 % per 15 s.
//! 4. **Legacy** (no `behavior`): scale-down stabilized over 300 s, scale-up
//!    capped at `max(2 · current, 4)` per sync.
//!
//! Then `[min_replicas, max_replicas]`. The functions are pure; [`HpaState`]
//! keeps the history the controller keeps per HPA.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::policy::autoscaler::{PodMetrics, ReplicaAutoscaler, ServiceView};
use crate::time::{SimDuration, SimTime};

/// `--horizontal-pod-autoscaler-tolerance`.
pub const DEFAULT_TOLERANCE: f64 = 0.1;
/// `--horizontal-pod-autoscaler-sync-period`.
pub const DEFAULT_SYNC_PERIOD: SimDuration = SimDuration::from_secs(15);
/// `--horizontal-pod-autoscaler-downscale-stabilization`.
pub const DEFAULT_DOWNSCALE_STABILIZATION: SimDuration = SimDuration::from_secs(300);
/// Legacy scale-up cap: `max(scaleUpLimitFactor · current, scaleUpLimitMinimum)`.
pub const LEGACY_SCALE_UP_FACTOR: u32 = 2;
/// See [`LEGACY_SCALE_UP_FACTOR`].
pub const LEGACY_SCALE_UP_MINIMUM: u32 = 4;

/// One pod as the replica calculation sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PodSample {
    /// The metric over the last window (CPU millicores, requests/s, …);
    /// `None` when the metrics pipeline has nothing for it yet.
    pub value: Option<f64>,
    /// What `value` is compared against per pod: its CPU request for a
    /// utilization target, 1 for an average-value target.
    pub base: f64,
    /// Ready, and past the CPU initialization period where it applies.
    pub ready: bool,
}

/// The replica count proposed for one metric (`GetResourceReplicas` /
/// `GetMetricReplicas`): `target` is the desired `Σ value / Σ base` (e.g. 0.6
/// for 60 % CPU utilization, 100 for 100 requests/s per pod).
pub fn replicas_for_metric(current: u32, pods: &[PodSample], target: f64, tolerance: f64) -> u32 {
    let ratio_of = |with: &dyn Fn(&PodSample) -> Option<f64>| {
        let (mut sum, mut base, mut n) = (0.0, 0.0, 0u32);
        for p in pods {
            if let Some(v) = with(p) {
                sum += v;
                base += p.base;
                n += 1;
            }
        }
        (if base > 0.0 { sum / base / target } else { 0.0 }, n)
    };
    // First pass: ready pods with metrics only.
    let (ratio, ready_with_metrics) = ratio_of(&|p| if p.ready { p.value } else { None });
    let missing = pods.iter().any(|p| p.value.is_none());
    let scale_up_with_unready = pods.iter().any(|p| !p.ready && p.value.is_some()) && ratio > 1.0;
    if !scale_up_with_unready && !missing {
        if (ratio - 1.0).abs() <= tolerance || ready_with_metrics == 0 {
            return current;
        }
        return (ratio * ready_with_metrics as f64).ceil() as u32;
    }
    // Second pass: fill in the pods left out, in the direction's cautious way.
    let (new_ratio, counted) = ratio_of(&|p| match (p.value, p.ready) {
        (None, _) if ratio < 1.0 => Some(p.base * target),
        (None, _) if ratio > 1.0 => Some(0.0),
        (None, _) => None,
        (Some(_), false) if scale_up_with_unready => Some(0.0),
        (Some(_), false) => None,
        (Some(v), true) => Some(v),
    });
    if (new_ratio - 1.0).abs() <= tolerance || (ratio < 1.0 && new_ratio > 1.0) || (ratio > 1.0 && new_ratio < 1.0) {
        return current;
    }
    let proposed = (new_ratio * counted as f64).ceil() as u32;
    if (new_ratio < 1.0 && proposed > current) || (new_ratio > 1.0 && proposed < current) {
        return current;
    }
    proposed
}

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

/// One direction of `behavior` (`scaleUp` or `scaleDown`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScalingRules {
    /// `stabilizationWindowSeconds`.
    pub stabilization_window_seconds: u32,
    /// `selectPolicy`.
    #[serde(default)]
    pub select_policy: SelectPolicy,
    /// `policies`.
    pub policies: Vec<ScalingPolicy>,
}

impl ScalingRules {
    /// autoscaling/v2 default `scaleUp`: no stabilization, max of 4 pods and
    /// 100 % per 15 s.
    pub fn default_scale_up() -> Self {
        ScalingRules {
            stabilization_window_seconds: 0,
            select_policy: SelectPolicy::Max,
            policies: vec![
                ScalingPolicy { kind: PolicyKind::Pods, value: 4, period_seconds: 15 },
                ScalingPolicy { kind: PolicyKind::Percent, value: 100, period_seconds: 15 },
            ],
        }
    }

    /// autoscaling/v2 default `scaleDown`: 300 s stabilization, 100 % per 15 s.
    pub fn default_scale_down() -> Self {
        ScalingRules {
            stabilization_window_seconds: (DEFAULT_DOWNSCALE_STABILIZATION.as_micros() / 1_000_000) as u32,
            select_policy: SelectPolicy::Max,
            policies: vec![ScalingPolicy { kind: PolicyKind::Percent, value: 100, period_seconds: 15 }],
        }
    }
}

/// `behavior`: `None` in [`HpaSpec`] selects the legacy algorithm.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Behavior {
    /// `scaleUp`.
    #[serde(default = "ScalingRules::default_scale_up")]
    pub scale_up: ScalingRules,
    /// `scaleDown`.
    #[serde(default = "ScalingRules::default_scale_down")]
    pub scale_down: ScalingRules,
}

impl Default for Behavior {
    fn default() -> Self {
        Behavior { scale_up: ScalingRules::default_scale_up(), scale_down: ScalingRules::default_scale_down() }
    }
}

/// The replica bounds and behavior of one HPA.
#[derive(Clone, Debug, PartialEq)]
pub struct HpaSpec {
    /// `minReplicas` (default 1).
    pub min_replicas: u32,
    /// `maxReplicas`.
    pub max_replicas: u32,
    /// `behavior`; `None` is the legacy path.
    pub behavior: Option<Behavior>,
}

/// A replica change the HPA made (for the rate policies' periods).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ScaleEvent {
    at: SimTime,
    /// Positive: added; negative: removed.
    change: i64,
}

/// What the controller remembers per HPA between syncs.
#[derive(Clone, Debug, Default)]
pub struct HpaState {
    /// (time, proposal) of past syncs within the longest window.
    recommendations: VecDeque<(SimTime, u32)>,
    events: VecDeque<ScaleEvent>,
}

/// Replicas added and removed within the `period` before `now`.
fn changes_within(events: &VecDeque<ScaleEvent>, now: SimTime, period: SimDuration) -> (i64, i64) {
    events.iter().filter(|e| now.saturating_since(e.at) < period).fold((0, 0), |(up, down), e| {
        if e.change > 0 {
            (up + e.change, down)
        } else {
            (up, down - e.change)
        }
    })
}

/// The most (scale-up) or least (scale-down) replicas the rate policies allow
/// from `current` now, or `None` when the direction is disabled.
fn rate_limit(rules: &ScalingRules, up: bool, current: u32, events: &VecDeque<ScaleEvent>, now: SimTime) -> Option<u32> {
    if rules.select_policy == SelectPolicy::Disabled {
        return None;
    }
    let limits = rules.policies.iter().map(|p| {
        let (added, removed) = changes_within(events, now, SimDuration::from_secs(p.period_seconds as u64));
        let start = (current as i64 - added + removed).max(0) as f64;
        let limit = match (p.kind, up) {
            (PolicyKind::Pods, true) => start + p.value as f64,
            (PolicyKind::Percent, true) => (start * (1.0 + p.value as f64 / 100.0)).ceil(),
            (PolicyKind::Pods, false) => start - p.value as f64,
            (PolicyKind::Percent, false) => (start * (1.0 - p.value as f64 / 100.0)).floor(),
        };
        limit.max(0.0) as u32
    });
    // The most permissive policy is the largest limit up, the smallest down.
    let most_permissive = up == (rules.select_policy == SelectPolicy::Max);
    if most_permissive {
        limits.max()
    } else {
        limits.min()
    }
}

impl HpaState {
    /// One sync: from the current replica count and the metrics' largest
    /// proposal, the replica count to set (`normalizeDesiredReplicas[WithBehaviors]`).
    /// Records the proposal and any change.
    pub fn decide(&mut self, spec: &HpaSpec, now: SimTime, current: u32, proposal: u32) -> u32 {
        if current == 0 && spec.min_replicas > 0 {
            // Scaling is disabled for a target scaled to zero by hand.
            return 0;
        }
        let desired = match &spec.behavior {
            Some(b) => self.with_behavior(b, spec, now, current, proposal),
            None => self.legacy(spec, now, current, proposal),
        };
        if desired != current {
            self.events.push_back(ScaleEvent { at: now, change: desired as i64 - current as i64 });
        }
        // The longest period any rule looks back is bounded by an hour upstream.
        while self.events.front().is_some_and(|e| now.saturating_since(e.at) > SimDuration::from_secs(3600)) {
            self.events.pop_front();
        }
        desired
    }

    /// Keeps `proposal` and returns (lowest within `up_window`, highest
    /// within `down_window`) including it.
    fn stabilize(&mut self, now: SimTime, proposal: u32, up_window: SimDuration, down_window: SimDuration) -> (u32, u32) {
        let keep = up_window.max(down_window);
        while self.recommendations.front().is_some_and(|(t, _)| now.saturating_since(*t) > keep) {
            self.recommendations.pop_front();
        }
        self.recommendations.push_back((now, proposal));
        // Upstream keeps records strictly after `now − window`.
        let within = |w: SimDuration| self.recommendations.iter().filter(move |(t, _)| now.saturating_since(*t) < w).map(|(_, r)| *r);
        (within(up_window).min().unwrap_or(proposal), within(down_window).max().unwrap_or(proposal))
    }

    fn with_behavior(&mut self, b: &Behavior, spec: &HpaSpec, now: SimTime, current: u32, proposal: u32) -> u32 {
        let secs = |s: u32| SimDuration::from_secs(s as u64);
        let (up, down) =
            self.stabilize(now, proposal, secs(b.scale_up.stabilization_window_seconds), secs(b.scale_down.stabilization_window_seconds));
        // Move from `current` only as far as every recent proposal agrees.
        let stabilized = current.max(up).min(down);
        let desired = if stabilized > current {
            let limit = rate_limit(&b.scale_up, true, current, &self.events, now).unwrap_or(current).max(current);
            stabilized.min(limit)
        } else if stabilized < current {
            let limit = rate_limit(&b.scale_down, false, current, &self.events, now).unwrap_or(current).min(current);
            stabilized.max(limit)
        } else {
            current
        };
        desired.clamp(spec.min_replicas, spec.max_replicas.max(spec.min_replicas))
    }

    fn legacy(&mut self, spec: &HpaSpec, now: SimTime, current: u32, proposal: u32) -> u32 {
        let (_, down) = self.stabilize(now, proposal, SimDuration::ZERO, DEFAULT_DOWNSCALE_STABILIZATION);
        let cap = (LEGACY_SCALE_UP_FACTOR * current).max(LEGACY_SCALE_UP_MINIMUM);
        down.min(cap).clamp(spec.min_replicas, spec.max_replicas.max(spec.min_replicas))
    }
}

/// `--horizontal-pod-autoscaler-cpu-initialization-period`.
pub const CPU_INITIALIZATION_PERIOD: SimDuration = SimDuration::from_secs(300);

/// What an HPA metric targets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MetricTarget {
    /// Resource metric `cpu`, target type Utilization: mean usage over the
    /// requests, as a fraction (0.6 for `averageUtilization: 60`).
    CpuUtilization(f64),
    /// Pods metric of requests per second, target type AverageValue.
    RequestsPerPod(f64),
}

/// The `hpa` replica autoscaler: the HorizontalPodAutoscaler controller for
/// one service.
#[derive(Clone, Debug)]
pub struct Hpa {
    /// Bounds and behavior.
    pub spec: HpaSpec,
    /// Metrics; the largest proposal wins.
    pub metrics: Vec<MetricTarget>,
    /// Tolerance (0.1).
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

/// One pod's sample for `metric` (`groupPods` in `replica_calculator.go`):
/// pods not yet running are left out except as 0 on scale-up; for CPU, a pod
/// within its initialization period whose reported window began before it was
/// ready counts as not ready.
fn sample(metric: MetricTarget, pod: &PodMetrics, now: SimTime) -> PodSample {
    let Some(ready_since) = pod.ready_since else {
        return PodSample { value: Some(0.0), base: base_of(metric, pod), ready: false };
    };
    let (value, base) = match metric {
        MetricTarget::CpuUtilization(_) => (pod.cpu_milli, pod.cpu_request_milli),
        MetricTarget::RequestsPerPod(_) => (pod.rps, 1.0),
    };
    let ready = match (metric, pod.scraped_at, pod.started) {
        (MetricTarget::CpuUtilization(_), Some(at), Some(started)) if now < started + CPU_INITIALIZATION_PERIOD => {
            at >= ready_since + crate::metrics::window::USAGE_WINDOW
        }
        _ => true,
    };
    PodSample { value, base, ready }
}

fn base_of(metric: MetricTarget, pod: &PodMetrics) -> f64 {
    match metric {
        MetricTarget::CpuUtilization(_) => pod.cpu_request_milli,
        MetricTarget::RequestsPerPod(_) => 1.0,
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
        let proposal = self
            .metrics
            .iter()
            .map(|&m| {
                let target = match m {
                    MetricTarget::CpuUtilization(t) | MetricTarget::RequestsPerPod(t) => t,
                };
                let samples: Vec<PodSample> = view.pods.iter().map(|p| sample(m, p, view.now)).collect();
                replicas_for_metric(view.replicas, &samples, target, self.tolerance)
            })
            .max()
            .unwrap_or(view.replicas);
        self.state.decide(&self.spec, view.now, view.replicas, proposal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pods(values: &[Option<f64>], ready: &[bool], request: f64) -> Vec<PodSample> {
        values.iter().zip(ready).map(|(&value, &ready)| PodSample { value, base: request, ready }).collect()
    }

    /// Issue vector: 3 replicas averaging 200m against a 100m target → 6.
    #[test]
    fn double_the_target_doubles_the_replicas() {
        // Average-value target: 100 millicores per pod.
        let p = pods(&[Some(200.0); 3], &[true; 3], 1.0);
        assert_eq!(replicas_for_metric(3, &p, 100.0, DEFAULT_TOLERANCE), 6);
        // As a utilization: requests 100m, target 100 % → the same.
        let p = pods(&[Some(200.0); 3], &[true; 3], 100.0);
        assert_eq!(replicas_for_metric(3, &p, 1.0, DEFAULT_TOLERANCE), 6);
    }

    #[test]
    fn within_tolerance_nothing_changes() {
        // 108 % and 92 % of target: |ratio − 1| ≤ 0.1.
        assert_eq!(replicas_for_metric(4, &pods(&[Some(108.0); 4], &[true; 4], 1.0), 100.0, 0.1), 4);
        assert_eq!(replicas_for_metric(4, &pods(&[Some(92.0); 4], &[true; 4], 1.0), 100.0, 0.1), 4);
        // 112 %: ceil(1.12 · 4) = 5.
        assert_eq!(replicas_for_metric(4, &pods(&[Some(112.0); 4], &[true; 4], 1.0), 100.0, 0.1), 5);
    }

    #[test]
    fn not_ready_pods_count_as_zero_only_when_scaling_up() {
        // Two ready pods at 300 %, two not ready (also at 300 %, say): scaling
        // up, the unready count as 0 → (600 + 600 + 0 + 0) / 4 = 150 % → 6.
        let p = pods(&[Some(300.0), Some(300.0), Some(300.0), Some(300.0)], &[true, true, false, false], 1.0);
        assert_eq!(replicas_for_metric(4, &p, 100.0, 0.1), 6);
        // Scaling down (ready ones at 20 %), the unready are left out:
        // ceil(0.2 · 2) = 1.
        let p = pods(&[Some(20.0), Some(20.0), Some(300.0), Some(300.0)], &[true, true, false, false], 1.0);
        assert_eq!(replicas_for_metric(4, &p, 100.0, 0.1), 1);
    }

    #[test]
    fn missing_metrics_are_cautious_in_both_directions() {
        // Scale-down: a pod without metrics counts as 100 % of target:
        // (50 + 50 + 100) / 3 = 66.7 % → ceil(0.667 · 3) = 2.
        let p = pods(&[Some(50.0), Some(50.0), None], &[true; 3], 1.0);
        assert_eq!(replicas_for_metric(3, &p, 100.0, 0.1), 2);
        // Scale-up: it counts as 0: (150 + 150 + 0) / 3 = 100 % → within
        // tolerance after the second pass: no change.
        let p = pods(&[Some(150.0), Some(150.0), None], &[true; 3], 1.0);
        assert_eq!(replicas_for_metric(3, &p, 100.0, 0.1), 3);
    }

    fn spec(behavior: Option<Behavior>) -> HpaSpec {
        HpaSpec { min_replicas: 1, max_replicas: 100, behavior }
    }

    #[test]
    fn scale_down_waits_for_the_stabilization_window() {
        let s = spec(Some(Behavior::default()));
        let mut h = HpaState::default();
        let t = |s: u64| SimTime::from_secs(s);
        assert_eq!(h.decide(&s, t(0), 10, 10), 10);
        // Load drops: proposals of 4 are held at the earlier 10…
        for k in 1..20 {
            assert_eq!(h.decide(&s, t(15 * k), 10, 4), 10, "at {} s", 15 * k);
        }
        // …until the 10 leaves the 300 s window: at 300 s it is exactly 300 s
        // old, and upstream keeps only records after `now − window`.
        assert_eq!(h.decide(&s, t(300), 10, 4), 4);
    }

    #[test]
    fn scale_up_is_capped_by_the_default_policies() {
        let s = spec(Some(Behavior::default()));
        let mut h = HpaState::default();
        let t = SimTime::from_secs;
        // From 2, max(2 + 4, 2 · 2) = 6 per 15 s.
        assert_eq!(h.decide(&s, t(0), 2, 50), 6);
        // Within the same period, the period started at 2: still 6.
        assert_eq!(h.decide(&s, t(10), 6, 50), 6);
        // A new period from 6: max(10, 12) = 12.
        assert_eq!(h.decide(&s, t(15), 6, 50), 12);
        // A Pods-only policy of 1 per 60 s with Min select.
        let custom = Behavior {
            scale_up: ScalingRules {
                stabilization_window_seconds: 0,
                select_policy: SelectPolicy::Min,
                policies: vec![
                    ScalingPolicy { kind: PolicyKind::Pods, value: 1, period_seconds: 60 },
                    ScalingPolicy { kind: PolicyKind::Percent, value: 100, period_seconds: 60 },
                ],
            },
            ..Behavior::default()
        };
        let s = spec(Some(custom));
        let mut h = HpaState::default();
        assert_eq!(h.decide(&s, t(0), 2, 50), 3);
        assert_eq!(h.decide(&s, t(30), 3, 50), 3, "one pod per 60 s");
        assert_eq!(h.decide(&s, t(61), 3, 50), 4);
    }

    #[test]
    fn scale_down_rate_and_disabled_directions() {
        let t = SimTime::from_secs;
        let down = |policies, select_policy| Behavior {
            scale_down: ScalingRules { stabilization_window_seconds: 0, select_policy, policies },
            ..Behavior::default()
        };
        // 50 % per 60 s: 10 → floor(10 · 0.5) = 5.
        let s = spec(Some(down(vec![ScalingPolicy { kind: PolicyKind::Percent, value: 50, period_seconds: 60 }], SelectPolicy::Max)));
        let mut h = HpaState::default();
        assert_eq!(h.decide(&s, t(0), 10, 1), 5);
        assert_eq!(h.decide(&s, t(30), 5, 1), 5, "the period started at 10: floor(10 · 0.5) = 5");
        let s = spec(Some(down(vec![], SelectPolicy::Disabled)));
        assert_eq!(HpaState::default().decide(&s, t(0), 10, 1), 10);
    }

    #[test]
    fn legacy_caps_scale_up_at_double_or_four() {
        let s = spec(None);
        let t = SimTime::from_secs;
        assert_eq!(HpaState::default().decide(&s, t(0), 1, 50), 4);
        assert_eq!(HpaState::default().decide(&s, t(0), 10, 50), 20);
        // Scale-down stabilized over 300 s.
        let mut h = HpaState::default();
        assert_eq!(h.decide(&s, t(0), 10, 10), 10);
        assert_eq!(h.decide(&s, t(100), 10, 3), 10);
        assert_eq!(h.decide(&s, t(301), 10, 3), 3);
    }

    #[test]
    fn bounds_and_zero_replicas() {
        let s = HpaSpec { min_replicas: 2, max_replicas: 5, behavior: Some(Behavior::default()) };
        let t = SimTime::from_secs;
        assert_eq!(HpaState::default().decide(&s, t(0), 4, 50), 5);
        assert_eq!(HpaState::default().decide(&s, t(0), 0, 3), 0, "scaled to zero by hand: the HPA stands aside");
    }
}
