//! The VPA admission controller's resources for a new pod: requests become the
//! recommendation's target, limits keep their ratio to the requests
//! (`pkg/admission-controller/resource/pod/recommendation/recommendation_provider.go`,
//! `GetContainersResources`; `pkg/utils/vpa/limit_and_request_scaling.go`,
//! `getProportionalResourceLimit`), and the capping of recommendations by a
//! resource policy or a LimitRange (`pkg/utils/vpa/capping.go`), which
//! orchsim does not have.
//!
//! orchsim's VPA controls requests and limits (`controlledValues:
//! RequestsAndLimits`, the default), recommends CPU and memory together, and
//! knows no resource policy or LimitRange. A quantity of 0 stands for an
//! unset request or limit; CPU is in millicores, memory in bytes.

use orchsim::model::Resources;
use orchsim::policy::autoscaler::vpa::admission::{admitted, proportional_limit};

use crate::harness::{expect_eq, Case, Outcome, Suite};

const MI: u64 = 1 << 20;
const M: u64 = 1_000_000;
const MAX: u64 = i64::MAX as u64;

fn cores(c: f64) -> u64 {
    (c * 1000.0).round() as u64
}

/// (CPU millicores, memory bytes) as requests or limits.
fn res(cpu: u64, memory: u64) -> Resources {
    Resources { cpu_milli: cpu, memory_bytes: memory, gpu: 0 }
}

/// The admission of a pod with `requests` and `limits` under a target: the
/// requests and the limits it gets (0: none).
fn expect_admitted(requests: Resources, limits: Resources, target: (u64, u64), want: (Resources, Resources)) -> Outcome {
    expect_eq("(requests, limits)", admitted(requests, limits, target.0, target.1), want)
}

pub fn suite() -> Suite {
    let mut cases = Vec::new();
    // (name, originalLimit, originalRequest, recommendedRequest, expectLimit), 0 = unset.
    let cpu_rows: [(&str, u64, u64, u64, Option<u64>); 6] = [
        ("scale proportionally", cores(2.0), cores(1.0), cores(10.0), Some(cores(20.0))),
        ("no original limit", 0, cores(1.0), cores(10.0), None),
        ("no original request", cores(2.0), 0, cores(10.0), Some(cores(10.0))),
        ("limit equal to request", cores(1.0), cores(1.0), cores(10.0), Some(cores(10.0))),
        ("handle non-integer ratios", cores(2.0), cores(1.5), cores(1.0), Some(1333)),
        // 10G cores over 1m, times 10G cores: beyond int64 millicores.
        ("go over milli cap", 10_000_000_000_000, 1, 10_000_000_000_000, Some(MAX)),
    ];
    for (name, limit, request, rec, want) in cpu_rows {
        cases.push(Case::ported(vpa!(scaling, "TestGetProportionalResourceLimitCPU"), name, move || {
            expect_eq("limit", proportional_limit(limit, request, rec), want)
        }));
    }
    let mem_rows: [(&str, u64, u64, u64, Option<u64>); 6] = [
        ("scale proportionally", 2, 1, 10, Some(20)),
        ("no original limit", 0, 1, 10, None),
        ("no original request", 2, 0, 10, Some(10)),
        ("limit equal to request", 1, 1, 10, Some(10)),
        ("handle non-integer ratios", 200, 150, 100, Some(133)),
        // A request of 1m byte is 1 byte (`Value()` rounds up).
        ("go over milli cap", 10_000_000_000, 1, 10_000_000_000, Some(MAX)),
    ];
    for (name, limit, request, rec, want) in mem_rows {
        cases.push(Case::ported(vpa!(scaling, "TestGetProportionalResourceLimitMem"), name, move || {
            expect_eq("limit", proportional_limit(limit, request, rec), want)
        }));
    }
    // "no recommendation": the LimitRange default (2) stands in for the missing
    // limit; a recommended request of 0 sets no limit whatever the limit.
    cases.push(Case::ported(vpa!(scaling, "TestGetProportionalResourceLimitCPU"), "no recommendation", || {
        expect_eq("limit", proportional_limit(cores(2.0), cores(1.0), 0), None)
    }));
    cases.push(Case::ported(vpa!(scaling, "TestGetProportionalResourceLimitMem"), "no recommendation", || {
        expect_eq("limit", proportional_limit(2, 1, 0), None)
    }));
    let limit_range = "LimitRange defaults, minimums and maximums are not modelled";
    cases.push(Case::not_expressible(vpa!(scaling, "TestGetProportionalResourceLimitCPU"), "scale proportionally with default", limit_range));
    cases.push(Case::not_expressible(vpa!(scaling, "TestGetProportionalResourceLimitMem"), "scale proportionally with default", limit_range));
    cases.push(Case::not_expressible(
        vpa!(scaling, "TestScaleQuantityProportionallyCPU"),
        "scaleBase is zero should return scaledQuantity",
        "the rounding helper serves LimitRange capping only, which is not modelled",
    ));

    // recommendation_provider_test.go: TestUpdateResourceRequests. The VPA
    // recommends 2 CPU and 200Mi; its minAllowed (1, 100Mi) and maxAllowed
    // (3, 1Gi) leave that target as it is.
    let update = |name: &'static str, requests: Resources, limits: Resources, target: (u64, u64), want: (Resources, Resources)| {
        Case::ported(vpa!(provider, "TestUpdateResourceRequests"), name, move || expect_admitted(requests, limits, target, want))
    };
    let none = res(0, 0);
    let vpa = (cores(2.0), 200 * MI);
    cases.push(update("uninitialized pod", none, none, vpa, (res(cores(2.0), 200 * MI), none)));
    cases.push(update("initialized pod", res(cores(2.0), 100 * MI), none, vpa, (res(cores(2.0), 200 * MI), none)));
    cases.push(update("high memory", res(cores(2.0), 100 * MI), none, (cores(2.0), 1000 * MI), (res(cores(2.0), 1000 * MI), none)));
    let guaranteed = res(cores(2.0), 200 * MI);
    cases.push(update("guaranteed resources", guaranteed, guaranteed, vpa, (guaranteed, guaranteed)));
    cases.push(update("guaranteed resources - no request", none, guaranteed, vpa, (guaranteed, guaranteed)));
    let double = (res(cores(1.0), 100 * MI), res(cores(2.0), 200 * MI));
    let doubled = (res(cores(2.0), 200 * MI), res(cores(4.0), 400 * MI));
    cases.push(update("proportional limit - as default", double.0, double.1, vpa, doubled));
    cases.push(update("proportional limit - set explicit", double.0, double.1, vpa, doubled));
    for (name, why) in [
        ("target below min", "VPA resource policy (minAllowed, maxAllowed)"),
        ("target above max", "VPA resource policy (minAllowed, maxAllowed)"),
        (
            "empty recommendation",
            "the patch-level result (empty resource lists) has no counterpart: without a recommendation orchsim admits the pod unchanged",
        ),
        (
            "nil recommendation",
            "the patch-level result (empty resource lists) has no counterpart: without a recommendation orchsim admits the pod unchanged",
        ),
        ("disabled limit scaling", "controlledValues RequestsOnly"),
        ("disabled limit scaling - requests capped at limit", "controlledValues RequestsOnly"),
        ("limit over int64", "1Ei CPU exceeds orchsim's 64-bit millicores (and the recommender's 1e14 cap)"),
        ("limit range calculation error", limit_range),
        ("proportional limit from default", limit_range),
    ] {
        cases.push(Case::not_expressible(vpa!(provider, "TestUpdateResourceRequests"), name, why));
    }

    // TestGetContainersResources: one container, a recommendation of 2 CPU and 2M.
    let get = |name: &'static str, requests: Resources, limits: Resources, want: (Resources, Resources)| {
        Case::ported(vpa!(provider, "TestGetContainersResources"), name, move || expect_admitted(requests, limits, (cores(2.0), 2 * M), want))
    };
    let (one, ten) = (res(cores(1.0), M), res(cores(10.0), 10 * M));
    let two = res(cores(2.0), 2 * M);
    cases.push(get("CPU and Memory recommendation, request and limits set", one, ten, (two, res(cores(20.0), 20 * M))));
    cases.push(get("CPU and Memory recommendation, only request set", one, none, (two, none)));
    cases.push(get("CPU and Memory recommendation, request and limits set, addAll false", one, ten, (two, res(cores(20.0), 20 * M))));
    cases.push(get("CPU and Memory recommendation, only request set, addAll false", one, none, (two, none)));
    for name in [
        "CPU only recommendation, request and limits set",
        "CPU only recommendation, only request set",
        "CPU only recommendation, only CPU request set",
        "CPU only recommendation, only CPU request and limit set",
        "CPU only recommendation, only CPU request and limit set, ContainerControlledValuesRequestOnly",
        "Memory only recommendation, request and limits set",
        "Memory only recommendation, only request set",
        "Memory only recommendation, only memory request set",
        "Memory only recommendation, only memory request and limit set",
        "Memory only recommendation, only memory request and limit set, ContainerControlledValuesRequestOnly",
        "CPU only recommendation, request and limits set, addAll false",
        "Memory only recommendation, request and limits set, addAll false",
    ] {
        cases.push(Case::not_expressible(
            vpa!(provider, "TestGetContainersResources"),
            name,
            "a recommendation of one resource only (controlledResources): orchsim's VPA recommends CPU and memory",
        ));
    }
    cases.push(Case::not_expressible(
        vpa!(provider, "TestGetContainersResources"),
        "CPU and memory recommendation, request and limits only set in containerStatus, addAll true",
        "orchsim's pods have no status resources apart from their spec (no in-place resize)",
    ));

    // capping_test.go: no resource policy and no LimitRange, so the target
    // is applied uncapped, even above the container's limit (30 CPU, 70000 B).
    for name in ["no capping for default policy", "no capping for RequestsAndLimits policy"] {
        cases.push(Case::ported(vpa!(capping, "TestRecommendationToLimitCapping"), name, move || {
            let (requests, _) = admitted(none, res(cores(30.0), 70_000), cores(20.0), 80_000);
            expect_eq("requests", requests, res(cores(20.0), 80_000))
        }));
    }
    for name in ["capping for RequestsOnly policy", "capping for RequestsOnly policy for limits defined in containerStatus"] {
        cases.push(Case::not_expressible(vpa!(capping, "TestRecommendationToLimitCapping"), name, "controlledValues RequestsOnly"));
    }
    let policy = "VPA resource policy (minAllowed, maxAllowed, global max allowed)";
    let multi = "several containers per pod";
    let unexpressible: &[(&'static str, &'static str, &'static str)] = &[
        (vpa!(capping, "TestApplyWithNilVPA"), "nil VPA", "a nil VPA object (the VPA is part of the service)"),
        (vpa!(capping, "TestApplyWithNilPod"), "nil pod", "a nil pod"),
        (vpa!(capping, "TestRecommendationNotAvailable"), "recommendation for another container", multi),
        (vpa!(capping, "TestRecommendationCappedToMinMaxPolicy"), "capped to minAllowed and maxAllowed", policy),
        (vpa!(capping, "TestApply"), "policy applied with annotations", policy),
        (vpa!(capping, "TestApplyVPAPolicy"), "recommendation is nil", policy),
        (vpa!(capping, "TestApplyVPAPolicy"), "resource policy is nil and global max allowed is nil", policy),
        (vpa!(capping, "TestApplyVPAPolicy"), "resource policy has min allowed and global max allowed is nil", policy),
        (vpa!(capping, "TestApplyVPAPolicy"), "resource policy has max allowed and global max allowed is nil", policy),
        (vpa!(capping, "TestApplyVPAPolicy"), "resource policy is nil and global max allowed is set for cpu and memory", policy),
        (vpa!(capping, "TestApplyVPAPolicy"), "resource policy has maxAllowed and global max allowed is set", policy),
        (vpa!(capping, "TestApplyVPAPolicy"), "resource policy has max allowed for cpu and global max allowed is set for memory", policy),
        (
            vpa!(capping, "TestApplyVPAPolicy"),
            "resource policy has max allowed for cpu and global max allowed is set for cpu and memory",
            policy,
        ),
        (vpa!(capping, "TestApplyCapsToLimitRange"), "capped to the container LimitRange", limit_range),
        (vpa!(capping, "TestApplyPodLimitRange"), "cap target cpu to max", limit_range),
        (vpa!(capping, "TestApplyPodLimitRange"), "cap cpu to max", limit_range),
        (vpa!(capping, "TestApplyPodLimitRange"), "cap mem to min", limit_range),
        (vpa!(capping, "TestApplyPodLimitRange"), "cap mem request to pod min", limit_range),
        (vpa!(capping, "TestApplyPodLimitRange"), "cap mem request to pod min, only one container with recommendation", limit_range),
        (vpa!(capping, "TestApplyPodLimitRange"), "cap mem request to pod min, extra recommendation", limit_range),
        (vpa!(capping, "TestApplyPodLimitRange"), "cap target cpu to pod min", limit_range),
        (vpa!(capping, "TestApplyPodLimitRange"), "cap target cpu to pod max", limit_range),
        (vpa!(capping, "TestApplyLimitRangeMinToRequest"), "caps to min range if above container limit", limit_range),
        (vpa!(capping, "TestApplyLimitRangeMinToRequest"), "caps to container limit if below container limit", limit_range),
        (vpa!(capping, "TestApplyLimitRangeMinToRequest"), "caps to pod limit if below pod limit", limit_range),
        (
            vpa!(capping, "TestApplyLimitRangeMinToRequest"),
            "Should use container status limits when lower than both recommendation and pod limit range",
            limit_range,
        ),
        (
            vpa!(capping, "TestApplyLimitRangeMinToRequest"),
            "caps to pod limit if below pod limit one container with recommendation and one without",
            limit_range,
        ),
        (vpa!(capping, "TestApplyLimitRangeMinToRequest"), "caps to pod limit if below pod limit two containers with recommendation", limit_range),
        (vpa!(capping, "TestCapPodMemoryWithUnderByteSplit"), "cap to max", limit_range),
        (vpa!(capping, "TestCapPodMemoryWithUnderByteSplit"), "cap to min", limit_range),
    ];
    for &(source, name, why) in unexpressible {
        cases.push(Case::not_expressible(source, name, why));
    }
    Suite { system: "VPA", component: "admission and capping", upstream: "kubernetes/autoscaler vertical-pod-autoscaler @55c37cd (master 2026-08)", cases }
}
