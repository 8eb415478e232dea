//! The VPA updater's choice of pods to update: each pod's priority
//! (`pkg/updater/priority/priority_processor.go`, `GetUpdatePriority`), the
//! conditions for updating it and the order
//! (`pkg/updater/priority/update_priority_calculator.go`, `AddPod`,
//! `GetSortedPods`, `PodPriority.Less`).
//!
//! orchsim's pods have one container, so a priority is computed from one
//! request and one recommendation per resource; quantities are milli-units
//! as `Quantity.MilliValue()` gives them.

use orchsim::policy::autoscaler::vpa::updater::{
    update_order, update_priority, wants_update, PodPriority, ResourceRecommendation, UpdaterConfig,
};
use orchsim::time::{SimDuration, SimTime};

use crate::harness::{expect_eq, Case, Outcome, Suite};

/// CPU cores in millicores.
fn cores(c: f64) -> u64 {
    (c * 1000.0).round() as u64
}

/// Memory bytes in milli-units (`MilliValue`).
fn bytes(b: u64) -> u64 {
    b * 1000
}

/// A recommendation of a target only (`WithTarget`).
fn target(t: u64) -> Option<ResourceRecommendation> {
    Some(ResourceRecommendation { target: t, lower: None, upper: None })
}

/// A recommendation with bounds (`WithTarget`, `WithLowerBound`, `WithUpperBound`).
fn bounded(lower: u64, t: u64, upper: u64) -> Option<ResourceRecommendation> {
    Some(ResourceRecommendation { target: t, lower: Some(lower), upper: Some(upper) })
}

fn priority(outside: bool, scale_up: bool, diff: f64) -> PodPriority {
    PodPriority { outside_recommended_range: outside, scale_up, resource_diff: diff }
}

fn expect_priority(requests: [Option<u64>; 2], rec: [Option<ResourceRecommendation>; 2], want: PodPriority) -> Outcome {
    let got = update_priority(requests, rec);
    let close = (got.resource_diff - want.resource_diff).abs() < 1e-9;
    if got.outside_recommended_range == want.outside_recommended_range && got.scale_up == want.scale_up && close {
        Ok(())
    } else {
        Err(format!("priority {got:?}, want {want:?}"))
    }
}

/// The updater as `update_priority_calculator_test.go` configures it, with `MinChangePriority` `min_change`.
fn config(min_change: f64) -> UpdaterConfig {
    UpdaterConfig { min_change_priority: min_change, pod_lifetime_update_threshold: SimDuration::from_secs(12 * 3600), ..UpdaterConfig::default() }
}

/// `AddPod` for each priority (pods started at 0, now `age_h` hours later),
/// then `GetSortedPods`: the indices of the pods to update, in order.
fn calculator(priorities: &[PodPriority], age_h: u64, min_change: f64) -> Vec<usize> {
    let now = SimTime::from_secs(age_h * 3600);
    let kept: Vec<usize> = (0..priorities.len()).filter(|&i| wants_update(&priorities[i], Some(SimTime::ZERO), now, &config(min_change))).collect();
    let kept_priorities: Vec<PodPriority> = kept.iter().map(|&i| priorities[i]).collect();
    update_order(&kept_priorities).into_iter().map(|k| kept[k]).collect()
}

fn expect_order(got: Vec<usize>, want: &[usize]) -> Outcome {
    expect_eq("pods updated (0-based)", got.as_slice(), want)
}

pub fn suite() -> Suite {
    let mut cases = Vec::new();
    let m = 1_000_000u64;
    // (name, CPU request, memory request (bytes), recommendation, want)
    type Row = (&'static str, Option<u64>, Option<u64>, [Option<ResourceRecommendation>; 2], PodPriority);
    let rows: Vec<Row> = vec![
        ("simple scale up", Some(cores(2.0)), None, [target(cores(10.0)), None], priority(false, true, 4.0)),
        ("simple scale down", Some(cores(4.0)), None, [target(cores(2.0)), None], priority(false, false, 0.5)),
        ("no resource diff", Some(cores(2.0)), None, [target(cores(2.0)), None], priority(false, false, 0.0)),
        ("scale up on milliquanitites", Some(10), None, [target(900), None], priority(false, true, 89.0)),
        (
            "scale up outside recommended range",
            Some(cores(4.0)),
            None,
            [bounded(cores(6.0), cores(10.0), cores(14.0)), None],
            priority(true, true, 1.5),
        ),
        (
            "scale down outside recommended range",
            Some(cores(8.0)),
            None,
            [bounded(cores(1.0), cores(2.0), cores(3.0)), None],
            priority(true, false, 0.75),
        ),
        ("scale up with multiple quantities", Some(cores(2.0)), None, [target(cores(10.0)), None], priority(false, true, 4.0)),
        (
            "multiple resources, both scale up",
            Some(cores(3.0)),
            Some(10 * m),
            [target(cores(6.0)), target(bytes(20 * m))],
            priority(false, true, 2.0),
        ),
        (
            "multiple resources, only one scale up",
            Some(cores(4.0)),
            Some(10 * m),
            [target(cores(2.0)), target(bytes(20 * m))],
            priority(false, true, 1.5),
        ),
        (
            "multiple resources, both scale down",
            Some(cores(4.0)),
            Some(20 * m),
            [target(cores(2.0)), target(bytes(10 * m))],
            priority(false, false, 1.0),
        ),
        (
            "multiple resources, one outside recommended range",
            Some(cores(4.0)),
            Some(20 * m),
            [bounded(cores(1.0), cores(2.0), cores(3.0)), bounded(bytes(5 * m), bytes(10 * m), bytes(30 * m))],
            priority(true, false, 1.0),
        ),
    ];
    for (name, cpu, memory, rec, want) in rows {
        cases.push(Case::ported(vpa!(processor, "TestGetUpdatePriority"), name, move || expect_priority([cpu, memory.map(bytes)], rec, want)));
    }
    cases.push(Case::not_expressible(
        vpa!(processor, "TestGetUpdatePriority"),
        "simple scale up, resources from containerStatus have higher priority",
        "orchsim's pods have no status resources apart from their spec (no in-place resize)",
    ));
    for name in [
        "multiple containers, both scale up",
        "multiple containers, both scale down",
        "multiple containers, both scale up, one outside range",
        "multiple containers, multiple resources",
    ] {
        cases.push(Case::not_expressible(vpa!(processor, "TestGetUpdatePriority"), name, "several containers per pod"));
    }
    cases.push(Case::ported(vpa!(processor, "TestGetUpdatePriority_NoRecommendationForContainer"), "no recommendation for the container", || {
        expect_priority([Some(cores(5.0)), Some(bytes(10))], [None, None], PodPriority::default())
    }));
        cases.push(Case::ported(vpa!(processor, "TestGetUpdatePriority_VpaObservedContainers"), "with no VpaObservedContainers annotation", || {
        expect_priority([Some(cores(1.0)), None], [target(cores(10.0)), None], priority(false, true, 9.0))
    }));
    for name in [
        "with container listed in VpaObservedContainers annotation",
        "with container not listed in VpaObservedContainers annotation",
        "with incorrect VpaObservedContainers annotation",
    ] {
        cases.push(Case::not_expressible(vpa!(processor, "TestGetUpdatePriority_VpaObservedContainers"), name, "pod annotations (vpaObservedContainers)"));
    }

    // update_priority_calculator_test.go: the fake processor's priorities go
    // straight into AddPod and GetSortedPods.
    let d = |diff| priority(false, false, diff);
    cases.push(Case::ported(vpa!(calc, "TestSortPriority"), "pods sorted by resource diff", move || {
        expect_order(calculator(&[d(4.0), d(1.5), d(9.0), d(2.33)], 24, 0.1), &[2, 0, 3, 1])
    }));
    cases.push(Case::ported(vpa!(calc, "TestSortPriorityResourcesDecrease"), "scale up before the larger scale down", || {
        let p = [priority(false, true, 0.25), priority(false, false, 0.25), priority(false, false, 0.5)];
        expect_order(calculator(&p, 24, 0.1), &[0, 2, 1])
    }));
    cases.push(Case::ported(vpa!(calc, "TestUpdateNotRequired"), "no resource diff: not updated", move || {
        expect_order(calculator(&[d(0.0)], 24, 0.1), &[])
    }));
    cases.push(Case::not_expressible(
        vpa!(calc, "TestUseProcessor"),
        "the recommendation processor is used",
        "no pluggable recommendation processor: orchsim applies the recommendation uncapped (no resource policy or LimitRange)",
    ));
    cases.push(Case::ported(vpa!(calc, "TestUpdateLonglivedPods"), "13 h old: outside the range or a change ≥ 0.5", || {
        let p = [priority(false, true, 0.25), priority(false, true, 4.0), priority(true, false, 0.25)];
        expect_order(calculator(&p, 13, 0.5), &[1, 2])
    }));
    cases.push(Case::ported(vpa!(calc, "TestUpdateShortlivedPods"), "11 h old: only outside the range", || {
        let p = [priority(false, true, 0.25), priority(false, true, 0.0), priority(true, false, 0.9)];
        expect_order(calculator(&p, 11, 0.5), &[2])
    }));
    let oom = "container termination states: orchsim's updater does not model the quick-OOM rule (services have no OOM kills)";
    for (source, name) in [
        (vpa!(calc, "TestUpdatePodWithQuickOOM"), "a quick OOM makes a pod in range eligible"),
        (vpa!(calc, "TestDontUpdatePodWithQuickOOMNoResourceChange"), "a quick OOM with no resource change"),
        (vpa!(calc, "TestDontUpdatePodWithOOMAfterLongRun"), "an OOM after a long run"),
    ] {
        cases.push(Case::not_expressible(source, name, oom));
    }
    for name in [
        "no VpaOvservedContainers annotation",
        "container listed in VpaOvservedContainers annotation",
        "container not listed in VpaOvservedContainers annotation",
    ] {
        cases.push(Case::not_expressible(vpa!(calc, "TestQuickOOM_VpaOvservedContainers"), name, oom));
    }
    for name in ["ContainerScalingModeAuto", "ContainerScalingModeOff", "ContainerScalingModeAuto as default"] {
        cases.push(Case::not_expressible(vpa!(calc, "TestQuickOOM_ContainerResourcePolicy"), name, oom));
    }
    cases.push(Case::ported(vpa!(calc, "TestNoPods"), "no pods", || expect_order(calculator(&[], 24, 0.5), &[])));
    cases.push(Case::not_expressible(
        vpa!(calc, "TestAdmission"),
        "a PodEvictionAdmission filters the sorted pods",
        "no pluggable PodEvictionAdmission (the default admits every pod)",
    ));
    let less: [(&str, PodPriority, PodPriority, bool); 4] = [
        ("scale down more than empty", priority(false, false, 0.1), PodPriority::default(), false),
        ("scale up more than empty", priority(false, true, 0.1), PodPriority::default(), false),
        ("two scale ups", priority(false, true, 0.1), priority(false, true, 1.0), true),
        ("two scale downs", priority(false, false, 0.9), priority(false, false, 0.1), false),
    ];
    for (name, p, other, is_less) in less {
        cases.push(Case::ported(vpa!(calc, "TestLessPodPriority"), name, move || {
            expect_eq("(p < other, other < p)", (p.less(&other), other.less(&p)), (is_less, !is_less))
        }));
    }
    for name in [
        "container with target and uncappedTarget",
        "container with cpu only",
        "container with memory only",
        "multi-container with different resources",
        "multi-containers with uncappedTarget",
    ] {
        cases.push(Case::not_expressible(vpa!(calc, "TestAddPodLogs"), name, "log text of the processed recommendation (no such log in orchsim)"));
    }
    for name in [
        "both nil",
        "lastAttempt nil",
        "newRecommendation nil",
        "new CPU is lower",
        "new memory is lower",
        "new resources are higher",
        "equal resources",
        "container not in lastAttempt",
        "one resource lower one higher",
        "cpu higher memory lower",
    ] {
        cases.push(Case::not_expressible(
            vpa!(calc, "TestHasLowerResourceRecommendation"),
            name,
            "infeasible in-place attempts: the InPlace update mode is not modelled",
        ));
    }
        for name in [
        "InPlace mode: no previous infeasible attempt",
        "InPlace mode: same recommendation as last infeasible attempt",
        "InPlace mode: higher recommendation than last infeasible attempt",
        "InPlace mode: lower CPU than last infeasible attempt",
        "InPlace mode: lower memory than last infeasible attempt",
        "InPlace mode: one resource lower, one higher",
    ] {
        cases.push(Case::not_expressible(vpa!(calc, "TestAddPodWithInfeasibleAttempts"), name, "the InPlace update mode is not modelled"));
    }
    // Recreate and Auto ignore infeasible in-place attempts: the pod, outside
    // its range with a diff of 1, is updated.
    for name in ["Recreate mode: same recommendation as last infeasible attempt", "Auto mode: same recommendation as last infeasible attempt"] {
        cases.push(Case::ported(vpa!(calc, "TestAddPodWithInfeasibleAttempts"), name, || expect_order(calculator(&[priority(true, true, 1.0)], 24, 0.1), &[0])));
    }
    Suite { system: "VPA", component: "updater priority", upstream: "kubernetes/autoscaler vertical-pod-autoscaler @55c37cd (master 2026-08)", cases }
}
