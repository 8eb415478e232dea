//! The HPA's replica calculation (`pkg/controller/podautoscaler/replica_calculator.go`,
//! `metrics/utilization.go`): CPU utilization and pods metrics, with ready,
//! unready, pending, failed, deleted and missing pods, and the tolerances;
//! and `horizontal_test.go`'s controller cases that run one sync end to end
//! (`TestScaleUp…`: the proposal, then the legacy normalization).
//!
//! Upstream's fixture gives each pod two containers with the same request
//! and usage; orchsim's pod is their sum (the pod-level figures the
//! calculation uses), so those cases are expressible. Cases that read one
//! container (`ContainerResource`), or object and external metrics, are not.
//! "Hot" pods started now and "cool" ones three minutes ago, against
//! upstream's test settings (CPU initialization period 2 min, initial
//! readiness delay 10 s); metric samples carry upstream's zero timestamp and
//! 1 min window.

use orchsim::policy::autoscaler::hpa::{
    CalcError, HpaSpec, HpaState, Phase, PodGroup, PodInfo, PodMetric, ReadyCondition, ReplicaCalculator, ResourceReplicas, Tolerances,
};
use orchsim::time::{SimDuration, SimTime};

use crate::harness::{Case, Suite};

const RESOURCE_SCALE: &str = "pkg/controller/podautoscaler/replica_calculator_test.go: TestReplicaCalcResourceScale";
const GROUP_PODS: &str = "pkg/controller/podautoscaler/replica_calculator_test.go: TestGroupPods";
const CALCULATE_REQUESTS: &str = "pkg/controller/podautoscaler/replica_calculator_test.go: TestCalculateRequests";

const NOW: SimTime = SimTime::from_secs(86_400);
const CONTAINERS: i64 = 2;

/// `defaultTestingCPUInitializationPeriod`, `defaultTestingDelayOfInitialReadinessStatus`.
const CALC: ReplicaCalculator = ReplicaCalculator {
    cpu_initialization_period: SimDuration::from_secs(120),
    delay_of_initial_readiness_status: SimDuration::from_secs(10),
};

fn ago(secs: u64) -> SimTime {
    SimTime::from_secs(86_400 - secs)
}

/// `podStartTime`: the zero time (unset in the table), hot or cool.
#[derive(Clone, Copy)]
enum Start {
    Zero,
    Hot,
    Cool,
}

/// A `replicaCalcTestCase` / `calcScenario`: pods `0..max(current, phases)`.
#[derive(Clone, Default)]
struct Fixture {
    current: u32,
    /// Per-container CPU request of each pod, millicores.
    requests: Vec<i64>,
    /// Per-container usage of each pod (`makePodMetricLevels`), or a pods
    /// metric's value; pods past the end have no sample.
    levels: Vec<i64>,
    ready: Vec<bool>,
    start: Vec<Start>,
    phase: Vec<Phase>,
    deleting: Vec<bool>,
    tolerances: Option<Tolerances>,
}

fn fixture(current: u32, requests: &[i64], levels: &[i64]) -> Fixture {
    Fixture { current, requests: requests.to_vec(), levels: levels.to_vec(), ..Default::default() }
}

impl Fixture {
    fn ready(self, ready: &[bool]) -> Self {
        Fixture { ready: ready.to_vec(), ..self }
    }
    fn start(self, start: &[Start]) -> Self {
        Fixture { start: start.to_vec(), ..self }
    }
    fn phase(self, phase: &[Phase]) -> Self {
        Fixture { phase: phase.to_vec(), ..self }
    }
    fn deleting(self, deleting: &[bool]) -> Self {
        Fixture { deleting: deleting.to_vec(), ..self }
    }
    fn tolerances(self, scale_down: f64, scale_up: f64) -> Self {
        Fixture { tolerances: Some(Tolerances { scale_down, scale_up }), ..self }
    }

    /// The pods; `resource`: a CPU fixture (two containers summed) rather
    /// than a pods metric (one value per pod).
    fn pods(&self, resource: bool) -> Vec<PodInfo> {
        let n = (self.current as usize).max(self.phase.len());
        let per_pod = if resource { CONTAINERS } else { 1 };
        (0..n)
            .map(|i| PodInfo {
                phase: self.phase.get(i).copied().unwrap_or(Phase::Running),
                deleting: self.deleting.get(i).copied().unwrap_or(false),
                ready: Some(ReadyCondition { ready: self.ready.get(i).copied().unwrap_or(true), last_transition: SimTime::ZERO }),
                start_time: Some(match self.start.get(i).copied().unwrap_or(Start::Zero) {
                    Start::Zero => SimTime::ZERO,
                    Start::Hot => NOW,
                    Start::Cool => ago(180),
                }),
                request_milli: self.requests.get(i).map_or(0, |r| r * CONTAINERS),
                metric: self.levels.get(i).map(|&l| PodMetric {
                    value_milli: l * per_pod,
                    timestamp: SimTime::ZERO,
                    window: SimDuration::from_secs(60),
                }),
            })
            .collect()
    }

    fn tol(&self) -> Tolerances {
        self.tolerances.unwrap_or(Tolerances::both(0.1))
    }
}

fn resource(source: &'static str, name: &str, f: Fixture, target: i32, want: (u32, i32, i64)) -> Case {
    Case::ported(source, name, move || {
        let got = CALC.resource_replicas(f.current, target, f.tol(), &f.pods(true), NOW);
        let want = ResourceReplicas { replicas: want.0, utilization: want.1, raw_utilization: want.2 };
        if got == Ok(want) {
            Ok(())
        } else {
            Err(format!("got {got:?}, want {want:?}"))
        }
    })
}

fn resource_error(source: &'static str, name: &str, f: Fixture, target: i32) -> Case {
    Case::ported(source, name, move || match CALC.resource_replicas(f.current, target, f.tol(), &f.pods(true), NOW) {
        Err(_) => Ok(()),
        Ok(r) => Err(format!("got {r:?}, want an error (no proposal)")),
    })
}

fn pods_metric(source: &'static str, name: &str, f: Fixture, target: i64, want: (u32, i64)) -> Case {
    Case::ported(source, name, move || {
        let got = CALC.metric_replicas(f.current, target, f.tol(), &f.pods(false), NOW);
        if got == Ok(want) {
            Ok(())
        } else {
            Err(format!("got {got:?}, want {:?}", Ok::<_, CalcError>(want)))
        }
    })
}

/// The source of a case that is a whole test function of `replica_calculator_test.go`.
macro_rules! test_fn {
    ($name:literal) => {
        concat!("pkg/controller/podautoscaler/replica_calculator_test.go: ", $name)
    };
}

/// The test function a source names: the case's name when the test is one case.
fn name_of(source: &'static str) -> &'static str {
    source.rsplit(": ").next().unwrap_or(source)
}

fn resource_scale() -> Vec<Case> {
    use Phase::{Failed, Pending, Running};
    use Start::{Cool, Hot};
    let (t, f) = (true, false);
    let container = "a ContainerResource metric (the usage of one named container): orchsim's pods are one container";
    let ne = |name: &str| Case::not_expressible(RESOURCE_SCALE, name, container);
    let r = |name, fx, target, want| resource(RESOURCE_SCALE, name, fx, target, want);
    vec![
        r("scale up", fixture(3, &[1000; 3], &[300, 500, 700]), 30, (5, 50, CONTAINERS * 500)),
        ne("scale up: container metric"),
        r("scale up: unready pod scales less", fixture(3, &[1000; 3], &[300, 500, 700]).ready(&[f, t, t]), 30, (4, 60, CONTAINERS * 600)),
        ne("scale up: hot-CPU container scales less"),
        r("scale up: hot-CPU pod scales less", fixture(3, &[1000; 3], &[300, 500, 700]).start(&[Hot, Cool, Cool]), 30, (4, 60, CONTAINERS * 600)),
        r("no scale: unready pods ignored", fixture(3, &[1000; 3], &[400, 500, 700]).ready(&[t, f, f]), 30, (3, 40, CONTAINERS * 400)),
        r(
            "no scale: hot-CPU pods ignored",
            fixture(3, &[1000; 3], &[400, 500, 700]).ready(&[t, f, f]).start(&[Cool, Hot, Hot]),
            30,
            (3, 40, CONTAINERS * 400),
        ),
        r(
            "scale up: failed pods ignored",
            fixture(2, &[1000; 4], &[500, 700]).ready(&[t, t, f, f]).phase(&[Running, Running, Failed, Failed]),
            30,
            (4, 60, CONTAINERS * 600),
        ),
        ne("scale up: failed pods ignored with missing container metric"),
        ne("scale up: container metrics with failed pods ignored"),
        r(
            "scale up: pods being deleted are ignored",
            fixture(2, &[1000; 4], &[500, 700]).ready(&[t, t, f, f]).phase(&[Running; 4]).deleting(&[f, f, t, t]),
            30,
            (4, 60, CONTAINERS * 600),
        ),
        ne("scale up: container metrics with pods being deleted ignored"),
        r("scale down", fixture(5, &[1000; 5], &[100, 300, 500, 250, 250]), 50, (3, 28, CONTAINERS * 280)),
        ne("scale down: container metric"),
        r(
            "scale down: exclude unready pods",
            fixture(5, &[1000; 5], &[100, 300, 500, 250, 250]).ready(&[t, t, t, f, f]),
            50,
            (2, 30, CONTAINERS * 300),
        ),
        ne("scale down: container metric excludes unready pods"),
        r(
            "scale down: exclude unscheduled pods",
            fixture(5, &[1000; 5], &[100]).ready(&[t, f, f, f, f]).phase(&[Running, Pending, Pending, Pending, Pending]),
            50,
            (1, 10, CONTAINERS * 100),
        ),
        ne("scale down: container metric excludes unscheduled pods"),
        r(
            "scale down: ignore hot-CPU pods",
            fixture(5, &[1000; 5], &[100, 300, 500, 250, 250]).start(&[Cool, Cool, Cool, Hot, Hot]),
            50,
            (2, 30, CONTAINERS * 300),
        ),
        ne("scale down: container metric ignores hot-CPU pods"),
        r(
            "scale down: failed pods ignored",
            fixture(5, &[1000; 7], &[100, 300, 500, 250, 250])
                .ready(&[t, t, t, t, t, f, f])
                .phase(&[Running, Running, Running, Running, Running, Failed, Failed]),
            50,
            (3, 28, CONTAINERS * 280),
        ),
        ne("scale down: container metric with failed pods ignored"),
        r(
            "scale down: pods being deleted are ignored",
            fixture(5, &[1000; 7], &[100, 300, 500, 250, 250])
                .ready(&[t, t, t, t, t, f, f])
                .phase(&[Running; 7])
                .deleting(&[f, f, f, f, f, t, t]),
            50,
            (3, 28, CONTAINERS * 280),
        ),
        ne("scale down: still-running pods being deleted are ignored"),
    ]
}

fn named_tests() -> Vec<Case> {
    use Start::{Cool, Hot};
    let (t, f) = (true, false);
    let object = "an Object metric (one value for another object, e.g. a Deployment's qps): orchsim's HPA metrics are CPU utilization and requests per pod";
    let external = "an External metric (a value from outside the cluster, with a label selector): orchsim has no external metrics";
    let outside = "metrics reported for pods the HPA does not select: orchsim's metrics pipeline reports only the service's own pods";
    let ne = |source: &'static str, why: &'static str| Case::not_expressible(source, name_of(source), why);
    let r = |source: &'static str, fx, target, want| resource(source, name_of(source), fx, target, want);
    let m = |source: &'static str, fx, target, want| pods_metric(source, name_of(source), fx, target, want);
    let requests = [900, 1000, 1100];
    let mut cases = vec![
        ne(test_fn!("TestReplicaCalcDisjointResourcesMetrics"), outside),
        ne(test_fn!("TestReplicaCalcScaleUpOverflow"), object),
        ne(test_fn!("TestExternalPerPodMetricReplicaOverflow"), external),
        ne(test_fn!("TestExternalPerPodMetricUsageOverflow"), external),
        m(test_fn!("TestReplicaCalcScaleUpCM"), fixture(3, &[], &[20000, 10000, 30000]), 15000, (4, 20000)),
        m(
            "TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale",
            fixture(3, &[], &[50000, 10000, 30000]).ready(&[t, t, f]).start(&[Cool, Cool, Hot]),
            15000,
            (6, 30000),
        ),
        m(
            "TestReplicaCalcScaleUpCMUnreadyHotCpuScaleWouldScaleDown",
            fixture(3, &[], &[50000, 15000, 30000]).ready(&[f, t, f]).start(&[Hot, Cool, Hot]),
            15000,
            (7, 31666),
        ),
        ne(test_fn!("TestReplicaCalcScaleUpCMObject"), object),
        ne(test_fn!("TestReplicaCalcScaleUpCMPerPodObject"), object),
        ne(test_fn!("TestReplicaCalcScaleUpCMObjectIgnoresUnreadyPods"), object),
        ne(test_fn!("TestReplicaCalcScaleUpCMExternalIgnoresUnreadyPods"), external),
        ne(test_fn!("TestReplicaCalcScaleUpPerPodCMExternal"), external),
        m(test_fn!("TestReplicaCalcScaleDownCM"), fixture(5, &[], &[12000; 5]), 20000, (3, 12000)),
        ne(test_fn!("TestReplicaCalcScaleDownPerPodCMObject"), object),
        ne(test_fn!("TestReplicaCalcScaleDownCMObject"), object),
        ne(test_fn!("TestReplicaCalcScaleDownCMExternal"), external),
        ne(test_fn!("TestReplicaCalcScaleDownPerPodCMExternal"), external),
        r(test_fn!("TestReplicaCalcTolerance"), fixture(3, &requests, &[1010, 1030, 1020]), 100, (3, 102, CONTAINERS * 1020)),
        m(test_fn!("TestReplicaCalcToleranceCM"), fixture(3, &[], &[20000, 21000, 21000]), 20000, (3, 20666)),
        ne(test_fn!("TestReplicaCalcToleranceCMObject"), object),
        ne(test_fn!("TestReplicaCalcTolerancePerPodCMObject"), object),
        ne(test_fn!("TestReplicaCalcToleranceCMExternal"), external),
        ne(test_fn!("TestReplicaCalcTolerancePerPodCMExternal"), external),
    ];
    let configurable = test_fn!("TestReplicaCalcConfigurableTolerance");
    let c = |name, fx, want| resource(configurable, name, fx, 100, want);
    cases.extend([
        c("Outside of a 0% tolerance", fixture(3, &requests, &[909, 1010, 1111]).tolerances(0.0, 0.0), (4, 101, CONTAINERS * 1010)),
        c("Within a 200% scale-up tolerance", fixture(3, &requests, &[1890, 1910, 1900]).tolerances(0.1, 2.0), (3, 190, CONTAINERS * 1900)),
        c(
            "Outside 8% scale-up tolerance (and superfuous scale-down tolerance)",
            fixture(3, &requests, &[1100, 1080, 1090]).tolerances(2.0, 0.08),
            (4, 109, CONTAINERS * 1090),
        ),
        c("Within a 36% scale-down tolerance", fixture(3, &requests, &[660, 640, 650]).tolerances(0.36, 0.1), (3, 65, CONTAINERS * 650)),
        c("Outside a 34% scale-down tolerance", fixture(3, &requests, &[660, 640, 650]).tolerances(0.34, 0.1), (2, 65, CONTAINERS * 650)),
    ]);
    let one = [1000; 4];
    cases.extend([
        m(test_fn!("TestReplicaCalcConfigurableToleranceCM"), fixture(3, &[], &[20000, 21000, 21000]).tolerances(0.1, 0.01), 20000, (4, 20666)),
        ne(test_fn!("TestReplicaCalcConfigurableToleranceCMObject"), object),
        ne(test_fn!("TestReplicaCalcConfigurableTolerancePerPodCMObject"), object),
        ne(test_fn!("TestReplicaCalcConfigurableToleranceCMExternal"), external),
        ne(test_fn!("TestReplicaCalcConfigurableTolerancePerPodCMExternal"), external),
        ne(test_fn!("TestReplicaCalcSuperfluousMetrics"), outside),
        r(test_fn!("TestReplicaCalcMissingMetrics"), fixture(4, &one, &[400, 95]), 100, (3, 24, 495)),
        resource_error(test_fn!("TestReplicaCalcEmptyMetrics"), "TestReplicaCalcEmptyMetrics", fixture(4, &one[..3], &[]), 100),
        ne(
            "TestReplicaCalcEmptyCPURequest",
            "a pod without a CPU request: orchsim's service pods always request CPU (the scenario requires cpu > 0)",
        ),
        m(test_fn!("TestPlainMetricReplicaCalcMissingMetricsNoChangeEq"), fixture(5, &[], &[20000, 19000, 21000]), 20000, (5, 20000)),
        r(test_fn!("TestReplicaCalcMissingMetricsNoChangeEq"), fixture(2, &one[..2], &[1000]), 100, (2, 100, CONTAINERS * 1000)),
        r(test_fn!("TestReplicaCalcMissingMetricsNoChangeGt"), fixture(2, &one[..2], &[1900]), 100, (2, 190, CONTAINERS * 1900)),
        r(test_fn!("TestReplicaCalcMissingMetricsNoChangeLt"), fixture(2, &one[..2], &[600]), 100, (2, 60, CONTAINERS * 600)),
        r(test_fn!("TestReplicaCalcMissingMetricsUnreadyChange"), fixture(3, &one[..3], &[100, 450]).ready(&[f, t, t]), 50, (3, 45, CONTAINERS * 450)),
        r(
            "TestReplicaCalcMissingMetricsHotCpuNoChange",
            fixture(3, &one[..3], &[100, 450]).start(&[Hot, Cool, Cool]),
            50,
            (3, 45, CONTAINERS * 450),
        ),
        r(test_fn!("TestReplicaCalcMissingMetricsUnreadyScaleUp"), fixture(3, &one[..3], &[100, 2000]).ready(&[f, t, t]), 50, (4, 200, CONTAINERS * 2000)),
        r(
            "TestReplicaCalcMissingMetricsHotCpuScaleUp",
            fixture(3, &one[..3], &[100, 2000]).ready(&[f, t, t]).start(&[Hot, Cool, Cool]),
            50,
            (4, 200, CONTAINERS * 2000),
        ),
        r(
            "TestReplicaCalcMissingMetricsUnreadyScaleDown",
            fixture(4, &one, &[100, 100, 100]).ready(&[f, t, t, t]),
            50,
            (3, 10, CONTAINERS * 100),
        ),
        r(
            "TestReplicaCalcMissingMetricsScaleDownTargetOver100",
            fixture(4, &[1000, 1000, 2000, 2000], &[200, 100, 100]).ready(&[f, t, t, t]),
            300,
            (2, 6, CONTAINERS * 100),
        ),
        r(
            "TestReplicaCalcDuringRollingUpdateWithMaxSurge",
            fixture(2, &one[..3], &[100, 100]).phase(&[Phase::Running; 3]),
            50,
            (2, 10, CONTAINERS * 100),
        ),
        m(
            "TestReplicaCalcDuringRollingUpdateWithMaxSurgeCM",
            fixture(2, &[], &[10000, 10000]).phase(&[Phase::Running; 3]),
            17000,
            (2, 10000),
        ),
        computed_tolerance(),
        ne(test_fn!("TestReplicaCalcExternalMetricUsageOverflow"), external),
        ne(
            "TestCalculatePodRequestsFromContainers_NonExistentContainer",
            "a ContainerResource metric naming a container the pod lacks: orchsim's pods are one container",
        ),
    ]);
    cases
}

/// `TestReplicaCalcComputedToleranceAlgImplementation`: a target just past
/// the tolerance scales down; one just inside it does not.
fn computed_tolerance() -> Case {
    let source = test_fn!("TestReplicaCalcComputedToleranceAlgImplementation");
    Case::ported(source, name_of(source), || {
        let start_pods: i64 = 10;
        let used = start_pods * 150;
        let requested = 2 * used;
        let requested_to_used = (requested / used) as f64;
        let per_pod = requested / start_pods;
        let requests = [per_pod + 100, per_pod - 100, per_pod + 10, per_pod - 10, per_pod + 2, per_pod - 2, per_pod + 1, per_pod - 1, per_pod, per_pod];
        let f = fixture(start_pods as u32, &requests, &[used / 10; 10]);
        for (margin, scales) in [(0.01, true), (0.004, false)] {
            let target = (1.0 / (requested_to_used * (1.0 - 0.1))).abs() + margin;
            let percent = (target * 100.0) as i32;
            let ratio = used as f64 / (requested as f64 * target);
            let want_replicas = if scales { (ratio * start_pods as f64).ceil() as u32 } else { start_pods as u32 };
            let want = ResourceReplicas {
                replicas: want_replicas,
                utilization: (used * 100 / requested) as i32,
                raw_utilization: CONTAINERS * used / 10,
            };
            let got = CALC.resource_replicas(f.current, percent, f.tol(), &f.pods(true), NOW);
            if got != Ok(want) {
                return Err(format!("target {percent} %: got {got:?}, want {want:?}"));
            }
        }
        Ok(())
    })
}

/// `TestGroupPods`: each pod's group.
fn group_pods() -> Vec<Case> {
    struct P {
        phase: Phase,
        deleting: bool,
        start: Option<u64>,
        ready: Option<(bool, u64)>,
        metric: Option<(u64, u64)>,
    }
    let p = |phase, start, ready, metric| P { phase, deleting: false, start, ready, metric };
    let cpu = true;
    use Phase::{Failed, Pending, Succeeded};
    use PodGroup::{Ignored, Missing, Ready, Unready};
    // (name, pods (start, ready (status, transition), metric (timestamp, window) as seconds ago), cpu, groups)
    let zero = Some((86_400, 0));
    let table: Vec<(&str, Vec<P>, bool, Vec<PodGroup>)> = vec![
        ("count in a ready pod - memory", vec![p(Succeeded, None, None, Some((0, 60)))], false, vec![Ready]),
        ("unready a pod without ready condition - CPU", vec![p(Succeeded, Some(0), None, zero)], cpu, vec![Unready]),
        (
            "count in a ready pod with fresh metrics during initialization period - CPU",
            vec![p(Succeeded, Some(60), Some((true, 30)), Some((0, 30)))],
            cpu,
            vec![Ready],
        ),
        (
            "unready a ready pod without fresh metrics during initialization period - CPU",
            vec![p(Succeeded, Some(60), Some((true, 30)), Some((0, 60)))],
            cpu,
            vec![Unready],
        ),
        ("unready an unready pod during initialization period - CPU", vec![p(Succeeded, Some(600), Some((false, 594)), zero)], cpu, vec![Unready]),
        (
            "count in a ready pod without fresh metrics after initialization period - CPU",
            vec![p(Succeeded, Some(180), Some((true, 180)), Some((120, 60)))],
            cpu,
            vec![Ready],
        ),
        (
            "count in an unready pod that was ready after initialization period - CPU",
            vec![p(Succeeded, Some(600), Some((false, 540)), zero)],
            cpu,
            vec![Ready],
        ),
        (
            "unready pod that has never been ready after initialization period - CPU",
            vec![p(Succeeded, Some(600), Some((false, 590)), zero)],
            cpu,
            vec![Ready],
        ),
        ("a missing pod", vec![p(Succeeded, Some(180), None, None)], cpu, vec![Missing]),
        (
            "several pods",
            vec![p(Succeeded, Some(0), None, zero), p(Succeeded, Some(180), Some((true, 180)), zero), p(Succeeded, Some(180), None, None)],
            cpu,
            vec![Unready, Ready, Missing],
        ),
        ("pending pods are unreadied", vec![p(Pending, None, None, None)], cpu, vec![Unready]),
        ("ignore pods with deletion timestamps", vec![P { deleting: true, ..p(Pending, None, None, zero) }], cpu, vec![Ignored]),
        ("ignore pods in a failed state", vec![p(Failed, None, None, zero)], cpu, vec![Ignored]),
    ];
    let void = Case::not_expressible(
        GROUP_PODS,
        "void",
        "an empty pod list given to the grouping helper alone: orchsim groups one pod at a time, so there is nothing to check",
    );
    let cases = table.into_iter().map(|(name, pods, cpu, want)| {
            let pods: Vec<PodInfo> = pods
                .into_iter()
                .map(|p| PodInfo {
                    phase: p.phase,
                    deleting: p.deleting,
                    ready: p.ready.map(|(ready, t)| ReadyCondition { ready, last_transition: ago(t) }),
                    start_time: p.start.map(ago),
                    request_milli: 0,
                    metric: p.metric.map(|(t, w)| PodMetric { value_milli: 1, timestamp: ago(t), window: SimDuration::from_secs(w) }),
                })
                .collect();
            Case::ported(GROUP_PODS, name, move || {
                let got: Vec<PodGroup> = pods.iter().map(|pod| CALC.group_pod(pod, cpu, NOW)).collect();
                if got == want {
                    Ok(())
                } else {
                    Err(format!("got {got:?}, want {want:?}"))
                }
            })
        });
    std::iter::once(void).chain(cases).collect()
}

fn calculate_requests() -> Vec<Case> {
    let containers = "a pod of several containers whose requests are summed: orchsim's pod has one request";
    let pod_level = "pod-level resources (PodLevelResources): orchsim's pod has one request";
    let container = "a ContainerResource metric (one named container's request): orchsim's pods are one container";
    [
        ("void", "an empty pod list given to the requests helper alone: orchsim has no separate requests calculation to call"),
        ("Sum container requests if pod-level feature is disabled", containers),
        ("Pod-level resources are enabled, but not set: fallback to sum container requests", containers),
        ("Pod-level resources override container requests when feature enabled and pod resources specified", pod_level),
        ("Fail if at least one of the containers is missing requests and pod-level feature/requests are not set", containers),
        ("Pod-level resources override missing container requests when feature enabled and pod resources specified", pod_level),
        ("Container: if a container name is specified, calculate requests only for that container", container),
        ("Container: if a container name is specified, calculate requests only for that container and ignore pod-level requests", container),
        ("pod with restartable init containers", "restartable init (sidecar) containers: orchsim's pods are one container"),
    ]
    .into_iter()
    .map(|(name, why)| Case::not_expressible(CALCULATE_REQUESTS, name, why))
    .collect()
}

/// A metric of a whole-controller case: CPU utilization (percent) or a pods
/// metric (milli-value).
enum Target {
    Cpu(i32),
    Pods(i64),
}

/// `horizontal_test.go`'s controller cases (`testCase.runTest`): one sync of
/// a fresh HPA without `behavior` (`reconcileAutoscaler`: the initial
/// recommendation, the metric's proposal, `normalizeDesiredReplicas`).
fn controller() -> Vec<Case> {
    use Phase::{Failed, Running};
    use Start::{Cool, Hot};
    let (t, f) = (true, false);
    let sync = |source: &'static str, fx: Fixture, target: Target, want: u32| {
        Case::ported(source, name_of(source), move || {
            let proposal = match target {
                Target::Cpu(p) => CALC.resource_replicas(fx.current, p, fx.tol(), &fx.pods(true), NOW).ok().map(|r| r.replicas),
                Target::Pods(v) => CALC.metric_replicas(fx.current, v, fx.tol(), &fx.pods(false), NOW).ok().map(|(n, _)| n),
            };
            let spec = HpaSpec { min_replicas: 2, max_replicas: 6, behavior: None };
            let got = HpaState::default().reconcile(&spec, NOW, fx.current, &[proposal]);
            if got == want {
                Ok(())
            } else {
                Err(format!("desired replicas {got}, want {want} (the metric proposed {proposal:?})"))
            }
        })
    };
    let levels = [300, 500, 700];
    let object = "an Object metric (one value for another object): orchsim's HPA metrics are CPU utilization and requests per pod";
        vec![
        sync("pkg/controller/podautoscaler/horizontal_test.go: TestScaleUp", fixture(3, &[1000; 3], &levels), Target::Cpu(30), 5),
        Case::not_expressible(
            "pkg/controller/podautoscaler/horizontal_test.go: TestScaleUpContainer",
            "TestScaleUpContainer",
            "a ContainerResource metric (one named container's usage): orchsim's pods are one container",
        ),
        sync(
            "pkg/controller/podautoscaler/horizontal_test.go: TestScaleUpUnreadyLessScale",
            fixture(3, &[1000; 3], &levels).ready(&[f, t, t]),
            Target::Cpu(30),
            4,
        ),
        sync(
            "pkg/controller/podautoscaler/horizontal_test.go: TestScaleUpHotCpuLessScale",
            fixture(3, &[1000; 3], &levels).start(&[Hot, Cool, Cool]),
            Target::Cpu(30),
            4,
        ),
        sync(
            "pkg/controller/podautoscaler/horizontal_test.go: TestScaleUpUnreadyNoScale",
            fixture(3, &[1000; 3], &[400, 500, 700]).ready(&[t, f, f]),
            Target::Cpu(30),
            3,
        ),
        sync(
            "pkg/controller/podautoscaler/horizontal_test.go: TestScaleUpHotCpuNoScale",
            fixture(3, &[1000; 3], &[400, 500, 700]).ready(&[t, f, f]).start(&[Cool, Hot, Hot]),
            Target::Cpu(30),
            3,
        ),
        sync(
            "pkg/controller/podautoscaler/horizontal_test.go: TestScaleUpIgnoresFailedPods",
            fixture(2, &[1000; 4], &[500, 700]).ready(&[t, t, f, f]).phase(&[Running, Running, Failed, Failed]),
            Target::Cpu(30),
            4,
        ),
        sync(
            "pkg/controller/podautoscaler/horizontal_test.go: TestScaleUpIgnoresDeletionPods",
            fixture(2, &[1000; 4], &[500, 700]).ready(&[t, t, f, f]).phase(&[Running; 4]).deleting(&[f, f, t, t]),
            Target::Cpu(30),
            4,
        ),
        sync("pkg/controller/podautoscaler/horizontal_test.go: TestScaleUpDeployment", fixture(3, &[1000; 3], &levels), Target::Cpu(30), 5),
        sync("pkg/controller/podautoscaler/horizontal_test.go: TestScaleUpReplicaSet", fixture(3, &[1000; 3], &levels), Target::Cpu(30), 5),
        sync("pkg/controller/podautoscaler/horizontal_test.go: TestScaleUpCM", fixture(3, &[], &[20000, 10000, 30000]), Target::Pods(15000), 4),
        sync(
            "pkg/controller/podautoscaler/horizontal_test.go: TestScaleUpCMUnreadyAndHotCpuNoLessScale",
            fixture(3, &[], &[50000, 10000, 30000]).ready(&[t, t, f]).start(&[Cool, Cool, Hot]),
            Target::Pods(15000),
            6,
        ),
        sync(
            "pkg/controller/podautoscaler/horizontal_test.go: TestScaleUpCMUnreadyandCpuHot",
            fixture(3, &[], &[50000, 15000, 30000]).ready(&[f, t, f]).start(&[Hot, Cool, Hot]),
            Target::Pods(15000),
            6,
        ),
        sync(
            "pkg/controller/podautoscaler/horizontal_test.go: TestScaleUpHotCpuNoScaleWouldScaleDown",
            fixture(3, &[], &[50000, 15000, 30000]).start(&[Hot, Cool, Hot]),
            Target::Pods(15000),
            6,
        ),
        Case::not_expressible("pkg/controller/podautoscaler/horizontal_test.go: TestScaleUpCMObject", "TestScaleUpCMObject", object),
        Case::not_expressible(
            "pkg/controller/podautoscaler/horizontal_test.go: TestScaleUpFromZeroCMObject",
            "TestScaleUpFromZeroCMObject",
            "scaling up from zero replicas (minReplicas 0, HPAScaleToZero) on an Object metric: orchsim's metrics are per pod, so a service at 0 has none",
        ),
        Case::not_expressible(
            "pkg/controller/podautoscaler/horizontal_test.go: TestScaleUpFromZeroIgnoresToleranceCMObject",
            "TestScaleUpFromZeroIgnoresToleranceCMObject",
            "scaling up from zero replicas (minReplicas 0, HPAScaleToZero) on an Object metric: orchsim's metrics are per pod, so a service at 0 has none",
        ),
        Case::not_expressible("pkg/controller/podautoscaler/horizontal_test.go: TestScaleUpPerPodCMObject", "TestScaleUpPerPodCMObject", object),
    ]
}

pub fn suite() -> Suite {
    let mut cases = resource_scale();
    cases.extend(named_tests());
    cases.extend(group_pods());
    cases.extend(calculate_requests());
    cases.extend(controller());
    Suite {
        system: "Kubernetes HPA",
        component: "replica calculator",
        upstream: "kubernetes/kubernetes master 2026 (replica_calculator_test.go); @003e862 (horizontal_test.go TestScaleUp*)",
        cases,
    }
}
