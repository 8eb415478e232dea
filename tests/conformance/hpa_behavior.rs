//! The HPA controller's normalization (`pkg/controller/podautoscaler/horizontal.go`):
//! legacy stabilization and bounds, `behavior` stabilization windows, rate
//! policies with their scale-event history, and out-of-range counts.
//!
//! Upstream's tests stamp history with `time.Now().Add(-d)`; here "now" is a
//! fixed instant and the history lies the same distances before it. (Upstream
//! creates the history a moment before the check, so an entry exactly a
//! period old is just outside it; orchsim's windows give the same answer at
//! equal times because their bounds are strict the same way.)

use orchsim::policy::autoscaler::hpa::{
    calculate_scale_down_limit_with_behaviors, calculate_scale_up_limit, calculate_scale_up_limit_with_scaling_rules,
    convert_desired_replicas_with_rules, generate_scale_down_rules, generate_scale_up_rules, get_replicas_change_per_period, Behavior,
    HpaSpec, HpaState, PolicyKind, Recommendation, ScaleEvent, ScalingPolicy, ScalingRulesSpec, SelectPolicy,
};
use orchsim::time::{SimDuration, SimTime};

use crate::harness::{Case, Suite};

const NORMALIZE: &str = "pkg/controller/podautoscaler/horizontal_test.go: TestNormalizeDesiredReplicas";
const WITH_RULES: &str = "pkg/controller/podautoscaler/horizontal_test.go: TestScalingWithRules";
const STORE: &str = "pkg/controller/podautoscaler/horizontal_test.go: TestStoreScaleEvents";
const WITH_BEHAVIOR: &str = "pkg/controller/podautoscaler/horizontal_test.go: TestNormalizeDesiredReplicasWithBehavior";
const CONVERT: &str = "pkg/controller/podautoscaler/horizontal_test.go: TestConvertDesiredReplicasWithRules";

/// "Now": a day in, so an hour and a half of history fits before it.
const NOW: SimTime = SimTime::from_secs(86_400);

/// `time.Now().Add(-secs)`.
fn ago(secs: u64) -> SimTime {
    SimTime::from_secs(86_400 - secs)
}

fn rec(replicas: u32, secs_ago: u64) -> Recommendation {
    Recommendation { replicas, at: ago(secs_ago) }
}

/// `generateScalingRules(pods, podsPeriod, percent, percentPeriod, stabilizationWindow)`.
fn rules(pods: u32, pods_period: u32, percent: u32, percent_period: u32, window: u32) -> Option<ScalingRulesSpec> {
    let mut policies = None::<Vec<ScalingPolicy>>;
    if pods != 0 {
        policies.get_or_insert_with(Vec::new).push(ScalingPolicy { kind: PolicyKind::Pods, value: pods, period_seconds: pods_period });
    }
    if percent != 0 {
        policies.get_or_insert_with(Vec::new).push(ScalingPolicy {
            kind: PolicyKind::Percent,
            value: percent,
            period_seconds: percent_period,
        });
    }
    Some(ScalingRulesSpec { stabilization_window_seconds: Some(window), select_policy: Some(SelectPolicy::Max), policies })
}

/// `generateEventsUniformDistribution(raw, periodSeconds)`: each event in the
/// middle of its share of the last `period` seconds, oldest first.
fn uniform(raw: &[u32], period: u64) -> Vec<ScaleEvent> {
    let segment = period as f64 / raw.len() as f64;
    raw.iter()
        .enumerate()
        .map(|(i, &change)| {
            // Go converts the float seconds to a Duration, truncating.
            let back = (period as f64 - segment * (i + 1) as f64 + segment / 2.0) as u64;
            ScaleEvent { change, at: ago(back), outdated: false }
        })
        .collect()
}

fn expect<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}

fn normalize_desired_replicas() -> Vec<Case> {
    // (name, recommendations, prenormalized, stabilized, log length)
    let table: Vec<(&str, Vec<Recommendation>, u32, u32, usize)> = vec![
        ("empty log", vec![], 5, 5, 1),
        ("stabilize", vec![rec(4, 120), rec(5, 60)], 3, 5, 3),
        ("no stabilize", vec![rec(1, 120), rec(2, 60)], 3, 3, 3),
        ("no stabilize - old recommendations", vec![rec(10, 600), rec(9, 540)], 3, 3, 2),
        ("stabilize - old recommendations", vec![rec(10, 600), rec(4, 60), rec(5, 120), rec(9, 540)], 3, 5, 4),
    ];
    table
        .into_iter()
        .map(|(name, recs, desired, want, log)| {
            Case::ported(NORMALIZE, name, move || {
                let mut h = HpaState::with_history(recs.clone(), vec![], vec![]);
                let got = h.stabilize_recommendation(NOW, SimDuration::from_secs(300), desired);
                expect("stabilized replicas", got, want)?;
                expect("recommendations log length", h.recommendations().len(), log)
            })
        })
        .collect()
}

/// One row of `TestScalingWithRules`: (name, minReplicas, maxReplicas,
/// scaleUp rules, scaleDown rules, current, prenormalized desired, expected,
/// condition, scale-up events, scale-down events).
type RulesRow = (&'static str, u32, u32, Option<ScalingRulesSpec>, Option<ScalingRulesSpec>, u32, u32, u32, &'static str, Vec<ScaleEvent>, Vec<ScaleEvent>);

#[rustfmt::skip]
fn scaling_with_rules_rows() -> Vec<RulesRow> {
    let u = |raw: &[u32]| uniform(raw, 120);
    let none = Vec::new;
    let (w, l, m, f) = ("DesiredWithinRange", "ScaleUpLimit", "TooManyReplicas", "TooFewReplicas");
    let d = "ScaleDownLimit";
    vec![
        ("prenormalized desired replicas within range", 3, 8, None, None, 5, 7, 7, w, none(), none()),
        ("prenormalized desired replicas < minReplicas", 2, 8, None, None, 3, 1, 2, f, none(), none()),
        ("prenormalized desired replicas within range when minReplicas is 0", 0, 10, None, None, 1, 0, 0, w, none(), none()),
        ("maxReplicas is the limit because maxReplicas < scaleUpLimit", 1, 10, None, None, 20, 1000, 10, m, none(), none()),
        ("desired replica count is more than the maximum replica count", 100, 150, None, None, 100, 1000, 150, m, none(), none()),
        ("scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies", 1, 2000, rules(0, 0, 1, 60, 0), None, 3, 1000, 4, l, none(), none()),
        ("scaleDownLimit is the limit because scaleDownLimit > minReplicas with user defined policies", 3, 2000, None, rules(20, 60, 0, 0, 0), 1000, 3, 980, d, none(), none()),
        ("scaleUp with default behavior", 1, 1000, None, None, 10, 50, 20, l, none(), none()),
        ("scaleUp with pods policy larger than percent policy", 1, 1000, rules(100, 60, 100, 60, 0), None, 10, 500, 110, l, none(), none()),
        ("scaleUp with percent policy larger than pods policy", 1, 1000, rules(2, 60, 100, 60, 0), None, 10, 500, 20, l, none(), none()),
        ("scaleUp with spec MaxReplicas limitation with large pod policy", 1, 1000, rules(100, 60, 0, 0, 0), None, 10, 50, 50, w, none(), none()),
        ("scaleUp with spec MaxReplicas limitation with large percent policy", 1, 1000, rules(10000, 60, 0, 0, 0), None, 10, 50, 50, w, none(), none()),
        ("scaleUp with pod policy limitation", 1, 1000, rules(30, 60, 0, 0, 0), None, 10, 50, 40, l, none(), none()),
        ("scaleUp with percent policy limitation", 1, 1000, rules(0, 0, 200, 60, 0), None, 10, 50, 30, l, none(), none()),
        ("scaleDown with percent policy larger than pod policy", 1, 1000, None, rules(20, 60, 1, 60, 300), 100, 2, 80, d, none(), none()),
        ("scaleDown with pod policy larger than percent policy", 1, 1000, None, rules(2, 60, 1, 60, 300), 100, 2, 98, d, none(), none()),
        ("scaleDown with spec MinReplicas=nil limitation with large pod policy", 1, 1000, None, rules(100, 60, 0, 0, 300), 10, 0, 1, f, none(), none()),
        ("scaleDown with spec MinReplicas limitation with large pod policy", 1, 1000, None, rules(100, 60, 0, 0, 300), 10, 0, 1, f, none(), none()),
        ("scaleDown with spec MinReplicas limitation with large percent policy", 5, 1000, None, rules(0, 0, 100, 60, 300), 10, 2, 5, f, none(), none()),
        ("scaleDown with pod policy limitation", 1, 1000, None, rules(5, 60, 0, 0, 300), 10, 2, 5, d, none(), none()),
        ("scaleDown with percent policy limitation", 1, 1000, None, rules(0, 0, 50, 60, 300), 10, 5, 5, w, none(), none()),
        ("scaleUp with spec MaxReplicas limitation with large pod policy and events", 1, 200, rules(300, 60, 0, 0, 0), None, 100, 500, 200, m, u(&[1, 5, 9]), none()),
        ("scaleUp with spec MaxReplicas limitation with large percent policy and events", 1, 200, rules(0, 0, 10000, 60, 0), None, 100, 500, 200, m, u(&[1, 5, 9]), none()),
        ("scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events", 1, 1000, rules(5, 120, 0, 0, 0), None, 100, 500, 100, l, u(&[1, 5, 9]), none()),
        ("scaleUp with pod policy and previous scale up events", 1, 1000, rules(150, 120, 0, 0, 0), None, 100, 500, 235, l, u(&[1, 5, 9]), none()),
        ("scaleUp with percent policy and previous scale up events", 1, 1000, rules(0, 0, 200, 120, 0), None, 100, 500, 255, l, u(&[1, 5, 9]), none()),
        ("scaleUp with percent policy and previous scale up and down events", 1, 1000, rules(0, 0, 300, 300, 0), None, 6, 24, 16, l, u(&[4]), u(&[2])),
        ("scaleDown with default policy and previous events", 1, 1000, None, None, 10, 5, 5, w, none(), u(&[1, 5, 9])),
        ("scaleDown with spec MinReplicas=nil limitation with large pod policy and previous events", 1, 1000, None, rules(115, 120, 0, 0, 300), 100, 0, 1, f, none(), u(&[1, 5, 9])),
        ("scaleDown with spec MinReplicas limitation with large pod policy and previous events", 5, 1000, None, rules(130, 120, 0, 0, 300), 100, 0, 5, f, none(), u(&[1, 5, 9])),
        ("scaleDown with spec MinReplicas limitation with large percent policy and previous events", 5, 1000, None, rules(0, 0, 100, 120, 300), 100, 2, 5, f, none(), u(&[1, 5, 9])),
        ("scaleDown with pod policy limitation and previous events", 1, 1000, None, rules(5, 120, 0, 0, 300), 100, 2, 100, d, none(), u(&[1, 5, 9])),
        ("scaleDown with percent policy limitation and previous events", 1, 1000, None, rules(0, 0, 50, 120, 300), 100, 0, 56, d, none(), u(&[2, 4, 6])),
        ("scaleDown with percent policy and previous scale up and down events", 1, 1000, None, rules(0, 0, 50, 180, 0), 10, 1, 6, d, u(&[2]), u(&[4])),
        ("scaleDown with previous events preventing further scale down", 1, 1000, None, rules(0, 0, 10, 120, 300), 100, 0, 100, d, none(), u(&[10, 10, 10])),
        ("scaleDown with with previous events still allowing more scale down", 1, 1000, None, rules(0, 0, 1000, 120, 300), 10, 5, 5, w, none(), u(&[10, 10, 10])),
        ("check 'outdated' flag for events for one behavior for up", 1, 1000, rules(1000, 60, 0, 0, 0), None, 100, 200, 200, w, u(&[8, 12, 9, 11]), none()),
        ("check that events were not marked 'outdated' for two different policies in the behavior for up", 1, 1000, rules(1000, 120, 100, 60, 0), None, 100, 200, 200, w, u(&[8, 12, 9, 11]), none()),
        ("check that events were marked 'outdated' for two different policies in the behavior for up", 1, 1000, rules(1000, 30, 100, 60, 0), None, 100, 200, 200, w, u(&[8, 12, 9, 11]), none()),
        ("check 'outdated' flag for events for one behavior for down", 1, 1000, None, rules(1000, 60, 0, 0, 300), 100, 5, 5, w, none(), u(&[8, 12, 9, 11])),
        ("check that events were not marked 'outdated' for two different policies in the behavior for down", 1, 1000, None, rules(1000, 120, 100, 60, 300), 100, 5, 5, w, none(), u(&[8, 12, 9, 11])),
        ("check that events were marked 'outdated' for two different policies in the behavior for down", 1, 1000, None, rules(1000, 30, 100, 60, 300), 100, 5, 5, w, none(), u(&[8, 12, 9, 11])),
    ]
}

fn scaling_with_rules() -> Vec<Case> {
    scaling_with_rules_rows()
        .into_iter()
        .map(|(name, min, max, up, down, current, desired, want, condition, up_events, down_events)| {
            Case::ported(WITH_RULES, name, move || {
                let behavior = Behavior { scale_up: generate_scale_up_rules(up.as_ref()), scale_down: generate_scale_down_rules(down.as_ref()) };
                let h = HpaState::with_history(vec![], up_events.clone(), down_events.clone());
                let (got, limited) = h.convert_desired_replicas_with_behavior_rate(NOW, &behavior, min, max, current, desired);
                expect("replicas", got, want)?;
                expect("condition", limited.reason(), condition)
            })
        })
        .collect()
}

fn store_scale_events() -> Vec<Case> {
    let ev = |change, secs_ago, outdated| ScaleEvent { change, at: ago(secs_ago), outdated };
    // (name, previous events, expected events (change, outdated), rules, change within 60 s)
    type Row = (&'static str, Vec<ScaleEvent>, Vec<(u32, bool)>, Option<ScalingRulesSpec>, i64);
    let table: Vec<Row> = vec![
        ("empty entries with default behavior", vec![], vec![], None, 0),
        ("empty entries with two-policy-behavior", vec![], vec![(5, false)], rules(10, 60, 100, 60, 0), 0),
        ("one outdated entry to be kept untouched without behavior", vec![ev(7, 61, false)], vec![(7, false)], None, 0),
        ("one outdated entry to be replaced with behavior", vec![ev(7, 61, false)], vec![(5, false)], rules(10, 60, 100, 60, 0), 0),
        ("one actual entry to be not touched with behavior", vec![ev(7, 58, false)], vec![(7, false), (5, false)], rules(10, 60, 100, 60, 0), 7),
        ("two entries, one of them to be replaced", vec![ev(7, 61, false), ev(6, 59, false)], vec![(5, false), (6, false)], rules(10, 60, 0, 0, 0), 6),
        (
            "replace one entry, use policies with different periods",
            vec![ev(8, 29, false), ev(6, 59, false), ev(7, 61, false), ev(9, 61, false)],
            vec![(8, false), (6, false), (7, true), (5, false)],
            rules(10, 60, 100, 30, 0),
            14,
        ),
        (
            "two entries, both actual",
            vec![ev(7, 58, false), ev(6, 59, false)],
            vec![(7, false), (6, false), (5, false)],
            rules(10, 120, 100, 30, 0),
            13,
        ),
    ];
    table
        .into_iter()
        .map(|(name, previous, want, rules, change)| {
            Case::ported(STORE, name, move || {
                // The rules serve both directions; each store reads only its own.
                let behavior = rules.as_ref().map(|r| Behavior {
                    scale_up: generate_scale_up_rules(Some(r)),
                    scale_down: generate_scale_down_rules(Some(r)),
                });
                let summary = |events: &[ScaleEvent]| events.iter().map(|e| (e.change, e.outdated)).collect::<Vec<_>>();
                let mut up = HpaState::with_history(vec![], previous.clone(), vec![]);
                expect("up: replicas change per 60 s", get_replicas_change_per_period(60, up.scale_up_events(), NOW), change)?;
                up.store_scale_event(behavior.as_ref(), NOW, 10, 15);
                expect("up: events", summary(up.scale_up_events()), want.clone())?;
                let mut down = HpaState::with_history(vec![], vec![], previous.clone());
                expect("down: replicas change per 60 s", get_replicas_change_per_period(60, down.scale_down_events(), NOW), change)?;
                down.store_scale_event(behavior.as_ref(), NOW, 10, 5);
                expect("down: events", summary(down.scale_down_events()), want.clone())
            })
        })
        .collect()
}

fn normalize_desired_replicas_with_behavior() -> Vec<Case> {
    // (name, recommendations, current, prenormalized, stabilized, stored recommendations, up window, down window)
    type Row = (&'static str, Vec<Recommendation>, u32, u32, u32, Option<Vec<u32>>, u64, u64);
    let table: Vec<Row> = vec![
        ("empty recommendations for scaling down", vec![], 100, 5, 5, Some(vec![5]), 0, 0),
        ("simple scale down stabilization", vec![rec(4, 120), rec(5, 60)], 100, 3, 5, Some(vec![4, 5, 3]), 0, 180),
        ("simple scale up stabilization", vec![rec(4, 120), rec(5, 60)], 1, 7, 4, Some(vec![4, 5, 7]), 300, 0),
        ("no scale down stabilization", vec![rec(1, 120), rec(2, 60)], 100, 3, 3, Some(vec![1, 2, 3]), 300, 0),
        ("no scale up stabilization", vec![rec(4, 120), rec(5, 60)], 1, 3, 3, Some(vec![4, 5, 3]), 0, 300),
        ("no scale down stabilization, reuse recommendation element", vec![rec(10, 600), rec(9, 540)], 100, 3, 3, Some(vec![10, 3]), 0, 0),
        ("no scale up stabilization, reuse recommendation element", vec![rec(10, 600), rec(9, 540)], 1, 100, 100, Some(vec![10, 100]), 0, 0),
        (
            "scale down stabilization, reuse one of obsolete recommendation element",
            vec![rec(10, 600), rec(4, 60), rec(5, 120), rec(9, 540)],
            100,
            3,
            5,
            Some(vec![10, 4, 5, 3]),
            0,
            180,
        ),
        (
            "scale up stabilization, reuse one of obsolete recommendation element",
            vec![rec(10, 6000), rec(6, 60), rec(5, 120), rec(9, 180)],
            1,
            100,
            5,
            Some(vec![100, 6, 5, 9]),
            300,
            0,
        ),
        ("scale up and down stabilization, do not scale up when prenormalized rec goes down", vec![rec(2, 6000), rec(3, 180)], 2, 1, 2, None, 300, 300),
        ("scale up and down stabilization, do not scale down when prenormalized rec goes up", vec![rec(2, 6000), rec(1, 180)], 2, 3, 2, None, 300, 300),
    ];
    table
        .into_iter()
        .map(|(name, recs, current, desired, want, stored, up, down)| {
            Case::ported(WITH_BEHAVIOR, name, move || {
                let mut h = HpaState::with_history(recs.clone(), vec![], vec![]);
                let secs = SimDuration::from_secs;
                let got = h.stabilize_recommendation_with_behaviors(NOW, secs(up), secs(down), current, desired);
                expect("stabilized replicas", got, want)?;
                match &stored {
                    Some(s) => expect("stored recommendations", h.recommendations().iter().map(|r| r.replicas).collect::<Vec<_>>(), s.clone()),
                    None => Ok(()),
                }
            })
        })
        .collect()
}

fn convert_desired_replicas_with_rules_cases() -> Vec<Case> {
    // (annotation, current, desired, min, max, converted, condition)
    let table = [
        ("prenormalized desired replicas within range", 5, 7, 3, 8, 7, "DesiredWithinRange"),
        ("prenormalized desired replicas < minReplicas", 3, 1, 2, 8, 2, "TooFewReplicas"),
        ("prenormalized desired zeroed replicas within range", 1, 0, 0, 10, 0, "DesiredWithinRange"),
        ("maxReplicas is the limit because maxReplicas < scaleUpLimit", 20, 1000, 1, 10, 10, "TooManyReplicas"),
        ("scaleUpLimit is the limit because scaleUpLimit < maxReplicas", 3, 1000, 1, 2000, calculate_scale_up_limit(3), "ScaleUpLimit"),
    ];
    table
        .into_iter()
        .map(|(name, current, desired, min, max, want, condition)| {
            Case::ported(CONVERT, name, move || {
                let (got, limited) = convert_desired_replicas_with_rules(current, desired, min, max);
                expect("replicas", got, want)?;
                expect("condition", limited.reason(), condition)
            })
        })
        .collect()
}

/// `TestCalculateScaleUpLimitWithScalingRules` / `…DownLimitWithBehaviors`:
/// Min of {2 pods, 50 %} per 60 s, no history.
fn limits() -> Vec<Case> {
    let rules = || {
        generate_scale_up_rules(Some(&ScalingRulesSpec {
            stabilization_window_seconds: Some(300),
            select_policy: Some(SelectPolicy::Min),
            policies: Some(vec![
                ScalingPolicy { kind: PolicyKind::Pods, value: 2, period_seconds: 60 },
                ScalingPolicy { kind: PolicyKind::Percent, value: 50, period_seconds: 60 },
            ]),
        }))
    };
    vec![
        Case::ported(
            "pkg/controller/podautoscaler/horizontal_test.go: TestCalculateScaleUpLimitWithScalingRules",
            "Min of 2 pods and 50 % from 1",
            move || expect("limit", calculate_scale_up_limit_with_scaling_rules(1, &[], &[], &rules(), NOW), 2),
        ),
        Case::ported(
            "pkg/controller/podautoscaler/horizontal_test.go: TestCalculateScaleDownLimitWithBehaviors",
            "Min of 2 pods and 50 % from 5",
            move || expect("limit", calculate_scale_down_limit_with_behaviors(5, &[], &[], &rules(), NOW), 3),
        ),
    ]
}

/// `TestScaleUpRCImmediately` / `TestScaleDownRCImmediately`: a count outside
/// `[min, max]` is brought inside without reading any metric (no `behavior`).
fn immediately() -> Vec<Case> {
    let case = |source, name, min, max, current, want| {
        Case::ported(source, name, move || {
            let spec = HpaSpec { min_replicas: min, max_replicas: max, behavior: None };
            // The metric fails: the bounds alone decide.
            expect("desired replicas", HpaState::default().reconcile(&spec, NOW, current, &[None]), want)
        })
    };
    vec![
        case("pkg/controller/podautoscaler/horizontal_test.go: TestScaleUpRCImmediately", "spec 1, min 2", 2, 6, 1, 2),
        case("pkg/controller/podautoscaler/horizontal_test.go: TestScaleDownRCImmediately", "spec 6, max 5", 2, 5, 6, 5),
    ]
}

pub fn suite() -> Suite {
    let mut cases = normalize_desired_replicas();
    cases.extend(scaling_with_rules());
    cases.extend(store_scale_events());
    cases.extend(normalize_desired_replicas_with_behavior());
    cases.extend(convert_desired_replicas_with_rules_cases());
    cases.extend(limits());
    cases.extend(immediately());
    Suite { system: "Kubernetes HPA", component: "normalization and behavior", upstream: "kubernetes/kubernetes @003e862 (horizontal_test.go)", cases }
}
