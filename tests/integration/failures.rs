//! Failures and the reactions to them in whole runs, with vectors from
//! shared/reference/semantics.md §5–§8.

use orchsim::metrics::failures::FailureEvent;
use orchsim::metrics::PodRecord;
use orchsim::policy::failure::{CrashModel, CrashTarget, FailureConfig, NodeTarget, ScriptAction, ScriptedEvent};
use orchsim::scenario::dist::Dist;
use orchsim::time::{SimDuration, SimTime};
use orchsim::Scenario;

use crate::support::{run, scenario};

/// `count` nodes of 4 CPUs over zones a, b, c (round-robin) with `app:1`
/// preloaded, sampled every second for `duration`.
fn cluster(count: u32, duration: &str, scheduler: &str) -> String {
    format!(
        "name = \"t\"\n[simulation]\nduration = \"{duration}\"\nsample_interval = \"1s\"\n\
         [scheduler]\nkind = \"{scheduler}\"\n\
         [[images]]\nname = \"app:1\"\nsize = \"1Gi\"\n\
         [[node_groups]]\nname = \"pool\"\ncount = {count}\ncpu = \"4\"\nmemory = \"16Gi\"\nzones = [\"a\", \"b\", \"c\"]\n\
         preloaded_images = [\"app:1\"]\n"
    )
}

/// A service `web` of `replicas` replicas, 100 req/s each under 50 req/s per
/// replica, with `extra` lines appended to its table.
fn web(replicas: u32, extra: &str) -> String {
    format!(
        "[[services]]\nname = \"web\"\nreplicas = {replicas}\nimage = \"app:1\"\ncpu = \"500m\"\nmemory = \"256Mi\"\nstartup = \"0s\"\n\
         capacity_rps = 100\nload = {{ constant = {} }}\n{extra}\n",
        50 * replicas
    )
}

fn script(at: u64, action: ScriptAction, target: NodeTarget, duration: Option<u64>) -> ScriptedEvent {
    ScriptedEvent { at: SimTime::from_secs(at), action, target, duration: duration.map(SimDuration::from_secs) }
}

fn with_failures(mut s: Scenario, failures: FailureConfig) -> Scenario {
    s.failures = failures;
    s
}

fn fail_node_at(node: &str, at: u64) -> FailureConfig {
    FailureConfig { script: vec![script(at, ScriptAction::Fail, NodeTarget::Node(node.into()), None)], ..Default::default() }
}

/// Pods of `workload` crash after `secs` of running, every time.
fn crashes(workload: u32, secs: f64) -> FailureConfig {
    FailureConfig {
        crashes: vec![CrashModel { target: CrashTarget::Workload(workload), time_to_crash: Dist::constant(secs * 1e6) }],
        ..Default::default()
    }
}

fn events<'a>(log: &'a [FailureEvent], kind: &str) -> Vec<&'a FailureEvent> {
    log.iter().filter(|e| e.kind == kind).collect()
}

/// The web replica that ran on `node`, and the replica created to replace it.
fn replaced_on(pods: &[PodRecord], node: &str) -> (PodRecord, PodRecord) {
    let lost = pods.iter().find(|p| p.node.as_deref() == Some(node) && p.phase == "Terminated").expect("a replica ran there").clone();
    let lost_at = lost.finish_s.unwrap();
    let new = pods.iter().find(|p| p.workload == "web" && p.submit_s == lost_at).expect("a replacement").clone();
    (lost, new)
}

#[test]
fn a_lost_nodes_pods_are_not_ready_after_50s_and_recreated_after_300s_more() {
    let s = with_failures(scenario(&(cluster(3, "20m", "kubernetes") + &web(3, ""))), fail_node_at("pool-0", 600));
    let (out, pods) = run(&s);
    let at = |t: f64| out.services.iter().find(|x| x.time_s == t).unwrap();
    // Serving drops at once; the control plane sees it 50 s later.
    assert_eq!((at(599.0).replicas_ready, at(599.0).replicas_serving), (3, 3));
    assert_eq!((at(600.0).replicas_ready, at(600.0).replicas_serving), (3, 2));
    assert_eq!(at(649.0).replicas_ready, 3);
    assert_eq!((at(650.0).replicas_ready, at(650.0).replicas_serving), (2, 2));
    // A dead endpoint keeps its share of the load until then: a third is dropped.
    assert!((at(620.0).dropped_rps - 50.0).abs() < 1e-9, "{}", at(620.0).dropped_rps);
    assert_eq!(at(660.0).dropped_rps, 0.0);
    // Evicted after the default 300 s toleration, and replaced elsewhere.
    let (lost, new) = replaced_on(&pods, "pool-0");
    assert_eq!(lost.finish_s, Some(950.0));
    assert_ne!(new.node.as_deref(), Some("pool-0"));
    assert_eq!(new.start_s, Some(950.0));
    assert_eq!(at(950.0).replicas_ready, 3);
    let lost_events = events(&out.failure_events, "node-lost");
    assert_eq!((lost_events.len(), lost_events[0].time_s), (1, 650.0));
    let summary = &out.service_summaries[0];
    assert_eq!((summary.recoveries, summary.max_recovery_s), (1, Some(350.0)));
    assert_eq!(summary.outages, 0);
    assert_eq!(out.summary.pods_lost, 1);
}

#[test]
fn a_30s_toleration_recreates_pods_80s_after_the_failure() {
    let tol = "tolerations = [{ key = \"node.kubernetes.io/unreachable\", operator = \"Exists\", effect = \"NoExecute\", toleration_seconds = 30 }]";
    let s = with_failures(scenario(&(cluster(3, "20m", "kubernetes") + &web(3, tol))), fail_node_at("pool-0", 600));
    let (_, pods) = run(&s);
    let (lost, new) = replaced_on(&pods, "pool-0");
    assert_eq!((lost.finish_s, new.start_s), (Some(680.0), Some(680.0)));
}

#[test]
fn swarm_reschedules_after_the_heartbeat_timeout_and_restart_delay() {
    // SwarmKit: down after 5 s × 3 heartbeats, a new task after the 5 s restart delay.
    let s = with_failures(scenario(&(cluster(3, "20m", "swarmkit") + &web(3, ""))), fail_node_at("pool-0", 600));
    let (out, pods) = run(&s);
    assert_eq!(events(&out.failure_events, "node-lost")[0].time_s, 615.0);
    let moved = pods.iter().find(|p| p.workload == "web" && p.restarts == 1).expect("the task on pool-0 is replaced");
    assert_eq!((moved.bind_s, moved.node.as_deref() != Some("pool-0")), (Some(620.0), true));
}

#[test]
fn crash_loop_delays_double_from_zero_to_300s() {
    // A replica that crashes after 60 s of running, for ever.
    let s = with_failures(scenario(&(cluster(1, "2h", "kubernetes") + &web(1, ""))), crashes(0, 60.0));
    let (out, _) = run(&s);
    let times: Vec<f64> = events(&out.failure_events, "crash").iter().map(|e| e.time_s).collect();
    let delays: Vec<f64> = times.windows(2).map(|w| w[1] - w[0] - 60.0).collect();
    assert_eq!(delays[..9], [0.0, 10.0, 20.0, 40.0, 80.0, 160.0, 300.0, 300.0, 300.0]);
}

#[test]
fn crash_loop_backoff_resets_after_ten_minutes_of_running() {
    // Crashes 700 s apart: each comes more than 10 min after the last, so
    // every restart is immediate again.
    let s = with_failures(scenario(&(cluster(1, "2h", "kubernetes") + &web(1, ""))), crashes(0, 700.0));
    let (out, _) = run(&s);
    let times: Vec<f64> = events(&out.failure_events, "crash").iter().map(|e| e.time_s).collect();
    assert!(times.len() >= 8);
    assert!(times.windows(2).all(|w| w[1] - w[0] == 700.0), "{times:?}");
}

#[test]
fn a_zone_outage_spares_a_service_spread_over_three_zones() {
    let outage = FailureConfig {
        script: vec![script(
            600,
            ScriptAction::Fail,
            NodeTarget::Label { key: "topology.kubernetes.io/zone".into(), value: "a".into() },
            Some(1800),
        )],
        ..Default::default()
    };
    let spread =
        "topology_spread = [{ max_skew = 1, topology_key = \"topology.kubernetes.io/zone\", when_unsatisfiable = \"DoNotSchedule\" }]";
    let one_zone = "node_selector = { \"topology.kubernetes.io/zone\" = \"a\" }";
    let run_with = |extra: &str| {
        let s = with_failures(scenario(&(cluster(6, "1h", "kubernetes") + &web(3, extra))), outage.clone());
        run(&s).0
    };
    let spread = run_with(spread);
    let s = &spread.service_summaries[0];
    assert_eq!((s.available_fraction, s.outages), (1.0, 0), "two zones keep serving");
    assert!(s.fully_available_fraction < 1.0, "the replica in zone a is lost for a while");
    let packed = run_with(one_zone);
    let p = &packed.service_summaries[0];
    assert_eq!(p.outages, 1);
    assert_eq!(p.outage_s, 1800.0, "nothing serves until the zone is back");
    assert!(p.success_ratio < 0.6);
    assert_eq!(packed.summary.node_failures, 2);
    assert_eq!(packed.summary.node_downtime_s, 3600.0);
}

#[test]
fn jobs_fail_after_six_retries_under_kubernetes_and_never_under_borg() {
    let batch =
        "[[batch]]\nname = \"etl\"\njobs = 1\ninterarrival = \"1s\"\ntasks = 2\nduration = \"10m\"\ncpu = \"1\"\nmemory = \"1Gi\"\n\
                 images = [\"app:1\"]\n";
    let k8s = with_failures(scenario(&(cluster(1, "3h", "kubernetes") + batch)), crashes(0, 60.0));
    let (out, pods) = run(&k8s);
    assert_eq!(out.summary.jobs_failed, 1);
    // backoffLimit 6: the 7th failure fails the job; its other task is deleted.
    assert_eq!(out.summary.tasks_lost, 7);
    let phases: Vec<&str> = pods.iter().map(|p| p.phase).collect();
    assert!(phases.contains(&"Failed") && phases.contains(&"Terminated"), "{phases:?}");
    assert!(out.summary.failure_lost_cpu_seconds >= 7.0 * 60.0);
    let b = &out.batch_summaries[0];
    assert_eq!((b.workload.as_str(), b.jobs_failed, b.pods_completed), ("etl", 1, 0));

    let borg = with_failures(scenario(&(cluster(1, "3h", "borg") + batch)), crashes(0, 60.0));
    let (out, _) = run(&borg);
    assert_eq!(out.summary.jobs_failed, 0);
    assert!(out.summary.tasks_retried > 100, "re-queued at once, again and again");
}

#[test]
fn a_drain_respects_the_disruption_budget() {
    // Two replicas: every form of "one must stay" evicts one, waits for its
    // replacement to run (12 s; the drain retries every 5 s), then the other.
    for budget in ["min_available = 1", "min_available = \"50%\"", "max_unavailable = 1", "max_unavailable = \"50%\""] {
        assert_eq!(drain_under_budget(2, budget, ""), [600.0, 615.0], "{budget}");
    }
    // Three: "one may go" (of the scale) and "one must stay" differ.
    assert_eq!(drain_under_budget(3, "max_unavailable = 1", ""), [600.0, 615.0, 630.0]);
    assert_eq!(drain_under_budget(3, "max_unavailable = \"34%\"", ""), [600.0, 600.0, 615.0], "⌈1.02⌉ = 2 may go");
    assert_eq!(drain_under_budget(3, "min_available = 1", ""), [600.0, 600.0, 615.0]);
    // An HPA grows 2 replicas to 4 (50 % CPU against a 25 % target) long
    // before the drain: `max_unavailable = 1` counts from the 4 it wants now,
    // so the drain still takes one at a time (from the initial 2, three
    // could go at once).
    let hpa = "[services.autoscaler]\nmax_replicas = 4\nmetrics = [{ cpu_utilization = 25 }]";
    assert_eq!(drain_under_budget(2, "max_unavailable = 1", hpa), [600.0, 615.0, 630.0, 645.0]);
}

/// When the pods on a drained node were evicted: `replicas` replicas of
/// `web`, with `autoscaler` lines after its budget.
fn drain_under_budget(replicas: u32, budget: &str, autoscaler: &str) -> Vec<f64> {
    // The replicas on one node (the other is cordoned until the drain).
    let extra = format!("startup = \"12s\"\ndisruption_budget = {{ {budget} }}\n{autoscaler}");
    let base = cluster(2, "30m", "kubernetes") + &web(replicas, &extra);
    let base = base.replace("startup = \"0s\"\n", "");
    let failures = FailureConfig {
        script: vec![
            script(0, ScriptAction::Cordon, NodeTarget::Node("pool-1".into()), Some(300)),
            script(600, ScriptAction::Drain, NodeTarget::Node("pool-0".into()), None),
        ],
        ..Default::default()
    };
    let (out, pods) = run(&with_failures(scenario(&base), failures));
    let mut drained: Vec<f64> =
        pods.iter().filter(|p| p.node.as_deref() == Some("pool-0") && p.phase == "Terminated").map(|p| p.finish_s.unwrap()).collect();
    drained.sort_by(f64::total_cmp);
    // The first replacement runs 12 s later; the retry every 5 s sees it at 615 s.
    assert_eq!(out.summary.evictions, drained.len() as u64, "{budget}");
    assert!(out.services.iter().all(|s| s.time_s < 12.0 || s.replicas_serving >= 1), "{budget}: the budget kept one serving");
    drained
}

#[test]
fn same_seed_same_failures_and_failures_never_change_arrivals() {
    let text = cluster(8, "6h", "kubernetes")
        + "[[batch]]\nname = \"b\"\ninterarrival = { dist = \"exponential\", mean = \"20s\" }\ntasks = { dist = \"uniform\", low = 1, high = 4 }\n\
           duration = { dist = \"exponential\", mean = \"5m\" }\ncpu = \"500m\"\nmemory = \"1Gi\"\nimages = [\"app:1\"]\n"
        + &web(4, "");
    let failures = FailureConfig {
        nodes: vec![orchsim::policy::failure::NodeFailureModel {
            pools: vec![],
            time_to_failure: Dist::exponential(3600e6),
            time_to_repair: Dist::exponential(600e6),
        }],
        crashes: vec![CrashModel { target: CrashTarget::All, time_to_crash: Dist::exponential(1800e6) }],
        ..Default::default()
    };
    let on = with_failures(scenario(&text), failures);
    let (a, pods_a) = run(&on);
    let (b, pods_b) = run(&on);
    assert!(a.summary.node_failures > 0 && a.summary.crashes > 0);
    assert_eq!((&a.summary, &a.failure_events, &a.services, &a.samples), (&b.summary, &b.failure_events, &b.services, &b.samples));
    assert_eq!(pods_a, pods_b);
    let (_, pods_off) = run(&scenario(&text));
    let arrivals = |pods: &[PodRecord]| {
        let mut v: Vec<(u32, u32, u64, u64)> =
            pods.iter().filter(|p| p.workload == "b").map(|p| (p.job, p.task, (p.submit_s * 1e6) as u64, p.cpu_request_m)).collect();
        v.sort_unstable();
        v
    };
    let (on_arrivals, off_arrivals) = (arrivals(&pods_a), arrivals(&pods_off));
    assert_eq!(on_arrivals, off_arrivals, "common random numbers: failures leave the workload alone");
}

#[test]
fn spot_nodes_are_drained_at_the_notice_reclaimed_two_minutes_later_and_replaced() {
    let text = cluster(2, "2h", "kubernetes").replace("name = \"pool\"", "name = \"spot\"") + &web(2, "");
    let failures = FailureConfig {
        spot: vec![orchsim::policy::failure::SpotModel { pool: 0, time_to_reclaim: Dist::constant(3600e6), replace: true }],
        ..Default::default()
    };
    let (out, pods) = run(&with_failures(scenario(&text), failures));
    let kinds: Vec<(f64, &str)> = out.failure_events.iter().filter(|e| e.target == "spot-0").map(|e| (e.time_s, &*e.kind)).collect();
    assert_eq!(kinds[..2], [(3600.0, "spot-notice"), (3600.0, "cordon")]);
    assert!(kinds.contains(&(3720.0, "spot-reclaim")), "{kinds:?}");
    // Its replica was moved at the notice, not lost at the reclaim.
    let moved = pods.iter().find(|p| p.node.as_deref() == Some("spot-0")).unwrap();
    assert_eq!(moved.finish_s, Some(3600.0));
    assert_eq!(out.summary.pods_lost, 0);
    // The group replaces each reclaimed node after the provisioning delay (3 min).
    let replaced: Vec<(f64, &str)> =
        out.scaling_events.iter().filter(|e| e.policy == "spot").map(|e| (e.time_s, e.reason.as_str())).collect();
    assert_eq!(replaced[..2], [(3720.0, "spot reclaim"), (3720.0, "replace reclaimed spot node")]);
    assert!(out.samples.iter().any(|s| s.time_s == 3720.0 + 180.0 && s.nodes == 2));
}

#[test]
fn a_memory_limit_below_the_modelled_usage_oom_kills_every_start() {
    let s = scenario(&(cluster(1, "30m", "kubernetes") + &web(1, "memory_utilization = 1.5")));
    let (out, _) = run(&s);
    assert!(out.summary.oom_kills >= 5, "{}", out.summary.oom_kills);
    assert_eq!(out.summary.oom_kills, out.summary.crashes);
    assert!(out.service_summaries[0].available_fraction < 0.01);
}

#[test]
fn random_zone_outages_take_a_drawn_zone_down_for_a_drawn_time() {
    let failures = FailureConfig {
        outages: vec![orchsim::policy::failure::OutageModel {
            label: "topology.kubernetes.io/zone".into(),
            value: None,
            time_between: Dist::exponential(4.0 * 3600e6),
            duration: Dist::constant(1800e6),
        }],
        ..Default::default()
    };
    let (out, _) = run(&with_failures(scenario(&(cluster(6, "3d", "kubernetes") + &web(3, ""))), failures));
    let starts = events(&out.failure_events, "outage");
    let ends = events(&out.failure_events, "outage-end");
    assert!(starts.len() >= 5, "about 14 expected over 3 days, got {}", starts.len());
    for (s, e) in starts.iter().zip(&ends) {
        assert_eq!(e.time_s - s.time_s, 1800.0);
        assert!(["topology.kubernetes.io/zone=a", "topology.kubernetes.io/zone=b", "topology.kubernetes.io/zone=c"]
            .contains(&s.target.as_str()));
    }
    let zones: std::collections::BTreeSet<&str> = starts.iter().map(|s| s.target.as_str()).collect();
    assert!(zones.len() >= 2, "zones are drawn, not fixed: {zones:?}");
    assert_eq!(out.summary.node_failures, 2 * starts.len() as u64);
}

#[test]
fn mesos_removes_an_agent_after_75s_and_the_framework_relaunches_its_tasks() {
    let batch = "[[batch]]\nname = \"etl\"\njobs = 1\ninterarrival = \"1s\"\ntasks = 2\nduration = \"1h\"\ncpu = \"3\"\nmemory = \"1Gi\"\n\
                 images = [\"app:1\"]\n";
    let s = with_failures(scenario(&(cluster(3, "3h", "mesos-drf") + batch)), fail_node_at("pool-0", 600));
    let (out, pods) = run(&s);
    assert_eq!(events(&out.failure_events, "node-lost")[0].time_s, 675.0);
    let lost: Vec<&PodRecord> = pods.iter().filter(|p| p.restarts == 1).collect();
    assert_eq!(lost.len(), 1, "one task ran on pool-0");
    // Marathon's first launch delay is 1 s; the task then waits for an offer.
    assert!(lost[0].bind_s.unwrap() >= 676.0 && lost[0].bind_s.unwrap() < 680.0, "{:?}", lost[0].bind_s);
    assert_eq!(lost[0].phase, "Succeeded");
    let b = &out.batch_summaries[0];
    assert_eq!((b.tasks_lost, b.tasks_retried), (1, 1));
    // 3 CPUs from its start (an allocation tick and the 1 s default startup
    // after submission) to the failure.
    let ran = 600.0 - lost[0].submit_s;
    assert!(b.lost_cpu_seconds <= 3.0 * ran && b.lost_cpu_seconds >= 3.0 * (ran - 3.0), "{}", b.lost_cpu_seconds);
}

#[test]
fn the_zone_outage_scenario_recovers_as_each_control_plane_does() {
    let text = std::fs::read_to_string(crate::support::repo().join("scenarios/zone-outage.toml")).unwrap();
    let recovery = |extra: &str| {
        let s = Scenario::parse(&format!("{text}\n{extra}"), "zone-outage.toml").unwrap_or_else(|e| panic!("{e}"));
        let out = run(&s).0;
        let by_name = |n: &str| out.service_summaries.iter().find(|s| s.service == n).unwrap().clone();
        (by_name("checkout"), by_name("ledger"))
    };
    let (checkout, ledger) = recovery("");
    // 50 s grace + 300 s toleration + 8 s startup of the replacement.
    assert_eq!((checkout.outages, checkout.max_recovery_s), (0, Some(358.0)));
    assert_eq!((ledger.outages, ledger.outage_s), (1, 1820.0));
    let (checkout, _) = recovery("[scheduler]\nkind = \"swarmkit\"\n");
    // 15 s heartbeat timeout + 5 s restart delay + 8 s startup.
    assert_eq!(checkout.max_recovery_s, Some(28.0));
}

#[test]
fn failures_are_read_from_the_scenario_file() {
    let text = cluster(3, "1h", "kubernetes")
        + &web(3, "")
        + "[failures]\ndefault_toleration_seconds = 60\n[[failures.script]]\nat = \"10m\"\naction = \"fail\"\nnode = \"pool-1\"\n";
    let (out, pods) = run(&scenario(&text));
    let (lost, _) = replaced_on(&pods, "pool-1");
    assert_eq!(lost.finish_s, Some(600.0 + 50.0 + 60.0));
    assert_eq!(out.summary.node_failures, 1);
}

#[test]
fn a_script_that_finds_no_node_says_so() {
    let text = cluster(1, "1h", "kubernetes")
        + "[[node_groups]]\nname = \"extra\"\ncount = 1\nmin = 0\nmax = 1\ncpu = \"1\"\nmemory = \"1Gi\"\n"
        + "[[failures.script]]\nat = \"10m\"\naction = \"drain\"\nnode = \"extra-0\"\n\
           [[failures.script]]\nat = \"20m\"\naction = \"fail\"\nnode = \"extra-0\"\n";
    // Remove extra-0 in between, as a node autoscaler would: here by a spot reclaim.
    let mut s = scenario(&text);
    s.failures.spot.push(orchsim::policy::failure::SpotModel { pool: 1, time_to_reclaim: Dist::constant(900e6), replace: false });
    let (out, _) = run(&s);
    let miss = events(&out.failure_events, "script-no-match");
    assert_eq!(miss.len(), 1, "{:?}", out.failure_events);
    assert_eq!((miss[0].time_s, miss[0].target.as_str(), miss[0].detail.as_str()), (1200.0, "extra-0", "fail"));
}

#[test]
fn no_policy_places_or_preempts_on_a_lost_or_cordoned_node() {
    // Found by the property test: mesos-drf offered a lost agent, and
    // preemption (kubernetes, borg) evicted pods on a cordoned node.
    let batch = "[[batch]]\nname = \"low\"\njobs = 4\ninterarrival = \"5s\"\nduration = \"10m\"\ncpu = \"1500m\"\nmemory = \"1Gi\"\n\
                 images = [\"app:1\"]\n[[batch]]\nname = \"high\"\njobs = 4\nstart = \"2m\"\ninterarrival = \"5s\"\nduration = \"1m\"\n\
                 cpu = \"1500m\"\nmemory = \"1Gi\"\nimages = [\"app:1\"]\npriority = 1000\n";
    for policy in ["kubernetes", "borg", "mesos-drf", "swarmkit", "first-fit"] {
        let failures = FailureConfig {
            script: vec![
                script(60, ScriptAction::Fail, NodeTarget::Node("pool-0".into()), Some(600)),
                script(30, ScriptAction::Cordon, NodeTarget::Node("pool-1".into()), Some(900)),
            ],
            ..Default::default()
        };
        let s = with_failures(scenario(&(cluster(2, "1h", policy) + batch)), failures);
        let mut pods = Vec::new();
        let out = orchsim::Simulation::new(&s, s.seed).run(&mut pods).unwrap_or_else(|e| panic!("{policy}: {e}"));
        let bound_while_out = pods.iter().filter(|p| {
            let t = p.bind_s.unwrap_or(-1.0);
            // Binding to pool-0 before the failure is detected is allowed (the
            // control plane cannot know); 75 s is the slowest detection here.
            (p.node.as_deref() == Some("pool-0") && (60.0 + 75.0..660.0).contains(&t))
                || (p.node.as_deref() == Some("pool-1") && (30.0..930.0).contains(&t))
        });
        assert_eq!(bound_while_out.count(), 0, "{policy}");
        assert!(out.summary.pods_completed > 0, "{policy}");
    }
}

#[test]
fn each_cause_of_a_node_being_down_ends_only_itself() {
    // A timed failure, a repair, then a permanent failure: the timed
    // failure's end must not bring the node back (found in review).
    let node = || NodeTarget::Node("pool-0".into());
    let failures = FailureConfig {
        script: vec![
            script(10, ScriptAction::Fail, node(), Some(1000)),
            script(100, ScriptAction::Repair, node(), None),
            script(200, ScriptAction::Fail, node(), None),
        ],
        ..Default::default()
    };
    let (out, _) = run(&with_failures(scenario(&cluster(2, "1h", "kubernetes")), failures));
    let ups: Vec<f64> = events(&out.failure_events, "node-up").iter().map(|e| e.time_s).collect();
    assert_eq!(ups, [100.0]);
    assert_eq!(out.samples.last().unwrap().nodes_down, 1);
}

#[test]
fn a_job_failed_while_its_node_is_lost_is_counted_once() {
    // Swarm evicts at once; with a retry limit of 0 the first lost task fails
    // the job and ends its other task on the same node.
    let batch = "[[batch]]\nname = \"etl\"\njobs = 1\ninterarrival = \"1s\"\ntasks = 2\nduration = \"1h\"\ncpu = \"1\"\nmemory = \"1Gi\"\n\
                 images = [\"app:1\"]\n[failures]\nbackoff_limit = 0\n";
    let mut s = scenario(&(cluster(1, "2h", "swarmkit") + batch));
    s.failures.script = fail_node_at("pool-0", 600).script;
    let (out, pods) = run(&s);
    assert_eq!((out.summary.jobs_failed, out.summary.tasks_lost, out.summary.pods_lost), (1, 1, 1));
    let phases: Vec<&str> = pods.iter().map(|p| p.phase).collect();
    assert!(phases.contains(&"Failed") && phases.contains(&"Terminated"), "{phases:?}");
}

#[test]
fn services_run_under_borg() {
    // Services number their job from u32::MAX down; Borg's round-robin queue
    // once sized an array by job number.
    let (out, _) = run(&scenario(&(cluster(3, "10m", "borg") + &web(3, ""))));
    assert_eq!(out.service_summaries[0].fully_available_fraction, 1.0);
}

#[test]
fn scripted_nodes_join_at_once_and_a_full_spot_pool_is_not_replaced() {
    let text = cluster(2, "2h", "kubernetes").replace("name = \"pool\"", "name = \"spot\"");
    let failures = FailureConfig {
        script: vec![script(600, ScriptAction::Add(1), NodeTarget::Pool(0), None)],
        spot: vec![orchsim::policy::failure::SpotModel { pool: 0, time_to_reclaim: Dist::constant(3600e6), replace: true }],
        ..Default::default()
    };
    let (out, _) = run(&with_failures(scenario(&text), failures));
    let nodes_at = |t: f64| out.samples.iter().find(|s| s.time_s == t).unwrap().nodes;
    assert_eq!((nodes_at(599.0), nodes_at(600.0)), (2, 3));
    assert_eq!(events(&out.failure_events, "nodes-added")[0].detail, "1 nodes");
    // spot-0 and spot-1 go at 3,720 s: the first leaves the pool at its max
    // of 2 (the added node counts), the second is replaced; so is spot-2,
    // reclaimed an hour after it joined.
    let not_replaced = out.failure_events.iter().filter(|e| e.detail.starts_with("not replaced")).count();
    assert_eq!(not_replaced, 1);
    assert_eq!(out.scaling_events.iter().filter(|e| e.reason == "replace reclaimed spot node").count(), 2);
}
