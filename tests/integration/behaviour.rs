//! End-to-end behaviour of the model and the schedulers on small scenarios.

use crate::support::{one_node, one_task_class, preloaded_nodes, run, scenario};

fn pod(pods: &[orchsim::metrics::PodRecord], job: u32, task: u32) -> &orchsim::metrics::PodRecord {
    pods.iter().find(|p| p.job == job && p.task == task).unwrap_or_else(|| panic!("no pod {job}/{task}"))
}

#[test]
fn image_is_pulled_once_per_node() {
    // Job 0 (t=0): two tasks on the only node; job 1 (t=100 s): one task.
    let s = scenario(&one_node(
        r#"
[[batch]]
name = "b"
jobs = 2
interarrival = "100s"
tasks = { dist = "uniform", low = 2, high = 2 }
duration = "10s"
startup = "1s"
cpu = "100m"
memory = "100Mi"
images = ["app:1"]
"#,
    ));
    let (out, pods) = run(&s);
    assert_eq!(out.summary.image_pulls, 1, "one pull for three pods of one image on one node");
    // 100 MiB at 100 MiB/s + 0.5 s latency = 1.5 s; both first pods wait for that one pull.
    assert_eq!(pod(&pods, 0, 0).image_pull_s, Some(1.5));
    assert_eq!(pod(&pods, 0, 1).image_pull_s, Some(1.5));
    assert_eq!(pod(&pods, 0, 0).start_s, Some(2.5));
    // The second job finds the image cached: it starts after startup alone.
    let later = pod(&pods, 1, 0);
    assert_eq!(later.image_pull_s, Some(0.0));
    assert_eq!(later.start_s, Some(101.0));
}

#[test]
fn unschedulable_pod_is_bound_when_resources_free_up() {
    // The node has 1 CPU. Job 0 takes all of it for 10 s from t = 1.5 s (pull)
    // + 0 startup; job 1 arrives at t = 1 s, cannot fit, and must be bound the
    // instant job 0 finishes — moved by the cluster event, not a busy retry.
    let s = scenario(&one_node(
        r#"
[[batch]]
name = "b"
jobs = 2
interarrival = "1s"
duration = "10s"
startup = "0s"
cpu = "1"
memory = "100Mi"
images = ["app:1"]
"#,
    ));
    let (out, pods) = run(&s);
    let first = pod(&pods, 0, 0);
    let second = pod(&pods, 1, 0);
    assert_eq!(first.finish_s, Some(11.5));
    assert_eq!(second.bind_s, Some(11.5));
    assert_eq!(second.attempts, 2);
    assert_eq!(out.summary.unschedulable_attempts, 1);
    assert_eq!(out.summary.pods_completed, 2);
}

fn three_nodes(strategy: &str) -> String {
    format!(
        r#"
name = "spread"
[[node_groups]]
name = "n"
count = 3
cpu = "4"
memory = "8Gi"
preloaded_images = ["app:1"]

[[images]]
name = "app:1"
size = "100Mi"

[[batch]]
name = "b"
jobs = 3
interarrival = "1s"
duration = "1h"
cpu = "1"
memory = "1Gi"
images = ["app:1"]

[scheduler]
kind = "kubernetes"
scoring_strategy = "{strategy}"
"#
    )
}

fn nodes_used(strategy: &str) -> Vec<String> {
    let (_, pods) = run(&scenario(&three_nodes(strategy)));
    let mut nodes: Vec<String> = pods.iter().map(|p| p.node.clone().unwrap()).collect();
    nodes.sort();
    nodes.dedup();
    nodes
}

#[test]
fn least_allocated_spreads_and_most_allocated_packs() {
    assert_eq!(nodes_used("LeastAllocated").len(), 3);
    assert_eq!(nodes_used("MostAllocated").len(), 1);
}

#[test]
fn first_fit_fills_nodes_in_order() {
    let text = three_nodes("LeastAllocated")
        .replace("[scheduler]\nkind = \"kubernetes\"\nscoring_strategy = \"LeastAllocated\"", "[scheduler]\nkind = \"first-fit\"");
    let (out, pods) = run(&scenario(&text));
    assert_eq!(out.summary.policy, "first-fit");
    assert!(pods.iter().all(|p| p.node.as_deref() == Some("n-0")));
}

#[test]
fn untolerated_taint_keeps_pods_off() {
    let text = three_nodes("LeastAllocated")
        .replace("count = 3\n", "count = 3\ntaints = [{ key = \"gpu\", value = \"yes\", effect = \"NoSchedule\" }]\n");
    let (out, pods) = run(&scenario(&text));
    assert_eq!(out.summary.pods_completed, 0);
    assert_eq!(out.summary.pods_pending_at_end, 3);
    assert!(pods.iter().all(|p| p.phase == "Pending" && p.node.is_none()));
    // Tolerating it lets them run.
    let tolerant = text.replace(
        "images = [\"app:1\"]\n\n[scheduler]",
        "images = [\"app:1\"]\ntolerations = [{ key = \"gpu\", operator = \"Exists\" }]\n\n[scheduler]",
    );
    let (out, _) = run(&scenario(&tolerant));
    assert_eq!(out.summary.pods_completed, 3);
}

#[test]
fn higher_priority_is_scheduled_first() {
    // One 1-CPU node; at t=0 a low-priority and a high-priority job arrive with
    // a blocker already running, so both wait; the high one must get the node first.
    let s = scenario(&one_node(
        r#"
[[batch]]
name = "blocker"
jobs = 1
interarrival = "1s"
duration = "10s"
startup = "0s"
cpu = "1"
memory = "100Mi"
images = ["app:1"]

[[batch]]
name = "low"
jobs = 1
start = "2s"
interarrival = "1s"
duration = "10s"
startup = "0s"
cpu = "1"
memory = "100Mi"
images = ["app:1"]

[[batch]]
name = "high"
jobs = 1
start = "3s"
interarrival = "1s"
duration = "10s"
startup = "0s"
cpu = "1"
memory = "100Mi"
images = ["app:1"]
priority = 100

# Queue order only: without preemption, which would evict the blocker.
[scheduler]
kind = "kubernetes"
preemption = false
"#,
    ));
    let (_, pods) = run(&s);
    let by = |w: &str| pods.iter().find(|p| p.workload == w).unwrap().clone();
    assert_eq!(by("high").bind_s, Some(11.5));
    assert_eq!(by("low").bind_s, Some(21.5));
}

/// A policy that binds every pod to node 0, fit or not.
struct AlwaysNodeZero;

impl orchsim::policy::scheduler::Scheduler for AlwaysNodeZero {
    fn name(&self) -> &'static str {
        "always-node-zero"
    }
    fn schedule(
        &mut self,
        _: &orchsim::model::Pod,
        _: &orchsim::policy::scheduler::ClusterView<'_>,
    ) -> orchsim::policy::scheduler::Placement {
        orchsim::policy::scheduler::Placement::Bind(orchsim::model::NodeId(0))
    }
}

#[test]
fn a_policy_that_overcommits_is_stopped_with_an_error() {
    // Two 1-CPU pods at once on a 1-CPU node: the second bind must be refused.
    let s = scenario(&one_node(
        r#"
[[batch]]
name = "b"
jobs = 1
interarrival = "1s"
tasks = 2
duration = "10s"
cpu = "1"
memory = "100Mi"
images = ["app:1"]
"#,
    ));
    let err = orchsim::Simulation::with_policy(&s, 1, Box::new(AlwaysNodeZero)).run(&mut orchsim::metrics::NoPodLog).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("always-node-zero") && msg.contains("has no room for it"), "{msg}");
}

#[test]
fn every_shipped_scenario_validates_and_runs() {
    let dir = crate::support::repo().join("scenarios");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            // Scenarios that replay the public traces are skipped without them (a failure under CI).
            let part = format!("scenarios/{}", path.file_name().unwrap().to_string_lossy());
            if !traces_of(&path).iter().all(|t| orchsim::trace::testing::needed_for(&part, t).is_some()) {
                continue;
            }
            let s = orchsim::Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
            assert!(!s.description.is_empty(), "{}: no description", path.display());
            seen += 1;
            // Full-scale trace replays (the Google cell) take minutes in a debug
            // build: they are validated here (trace read, window cut) and run in
            // release mode for the README's performance section.
            if replayed_pods(&s) > 200_000 {
                continue;
            }
            let (out, _) = run(&s);
            let served = out.summary.requests > 0.0 && out.summary.request_success_ratio > 0.5;
            assert!(out.summary.pods_completed > 0 || served, "{}: nothing completed or served", path.display());
        }
    }
    assert!(seen >= 2, "expected the shipped scenarios in {}", dir.display());
}

/// The files of the public traces a scenario reads: its strings `@traces/…`, relative to the traces folder.
fn traces_of(scenario: &std::path::Path) -> Vec<String> {
    fn walk(value: &toml::Value, out: &mut Vec<String>) {
        match value {
            toml::Value::String(s) => out.extend(s.strip_prefix("@traces/").map(str::to_string)),
            toml::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            toml::Value::Table(table) => table.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let text = std::fs::read_to_string(scenario).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", scenario.display()));
    let mut out = Vec::new();
    walk(&toml::Value::Table(table), &mut out);
    out
}

/// Pods the scenario's trace classes replay.
fn replayed_pods(s: &orchsim::Scenario) -> u64 {
    s.batch
        .iter()
        .map(|b| match &b.source {
            orchsim::model::workload::JobSource::Trace(t) => t.replay.counts.pods,
            orchsim::model::workload::JobSource::Drawn(_) => 0,
        })
        .sum()
}

#[test]
fn gpus_are_a_schedulable_resource() {
    let s = orchsim::Scenario::load(&crate::support::repo().join("scenarios/gpu-training.toml")).unwrap();
    let (out, pods) = run(&s);
    assert!(out.summary.mean_gpu_allocated > 0.5, "{}", out.summary.mean_gpu_allocated);
    // The NoSchedule taint keeps CPU-only pods off GPU nodes; GPU pods only land there.
    for p in &pods {
        if let Some(node) = &p.node {
            assert_eq!(node.starts_with("gpu-"), p.workload != "preprocessing", "{} on {node}", p.workload);
        }
    }
}

#[test]
fn pods_never_bound_count_in_pending_time_and_are_retried_every_five_minutes() {
    // One tainted node nobody tolerates: the pod can never be bound. It is
    // retried by the unschedulable-timeout flush only: moved at the first 30 s
    // tick more than 300 s after its last failure (330 s, 660 s, …, 3300 s),
    // so 1 + 10 attempts in an hour.
    let text = one_node(
        r#"
[simulation]
duration = "1h"

[[batch]]
name = "b"
jobs = 1
interarrival = "1s"
duration = "10s"
cpu = "100m"
memory = "100Mi"
images = ["app:1"]
"#,
    )
    .replace("count = 1\n", "count = 1\ntaints = [{ key = \"k\", effect = \"NoSchedule\" }]\n");
    let (out, pods) = run(&scenario(&text));
    assert_eq!(pods[0].phase, "Pending");
    assert_eq!(pods[0].attempts, 11);
    assert_eq!(out.summary.pods_pending_at_end, 1);
    // Censored at the end of the run, not left out.
    assert_eq!(out.summary.pending_p50_s, 3600.0);
    assert_eq!(out.summary.pending_mean_s, 3600.0);
}

#[test]
fn runs_stop_at_the_horizon_when_durations_are_absurd() {
    let (out, _) = run(&scenario(&one_node(
        r#"
[simulation]
sample_interval = "1d"

[[batch]]
name = "b"
jobs = 1
interarrival = "1s"
duration = { dist = "pareto", scale = "300d", shape = 0.01 }
cpu = "100m"
memory = "100Mi"
images = ["app:1"]
"#,
    )));
    assert!(out.stopped_at_horizon);
    assert_eq!(out.summary.simulated_s, orchsim::scenario::MAX_HORIZON.as_secs_f64());
    assert_eq!(out.summary.pods_unfinished_at_end, 1);
}

#[test]
fn image_locality_steers_pods_to_nodes_holding_the_image() {
    // Two empty nodes, a 1000 MiB image preloaded on the first only: every
    // other score ties, so ImageLocality (48 vs 0) decides, whatever the seed.
    for seed in 1..=20 {
        let text = format!(
            r#"
name = "locality"
seed = {seed}
[[node_groups]]
name = "warm"
count = 1
cpu = "4"
memory = "8Gi"
preloaded_images = ["big:1"]
[[node_groups]]
name = "cold"
count = 1
cpu = "4"
memory = "8Gi"
[[images]]
name = "big:1"
size = "1000Mi"
[[batch]]
name = "b"
jobs = 1
interarrival = "1s"
duration = "10s"
cpu = "1"
memory = "1Gi"
images = ["big:1"]
"#
        );
        let (_, pods) = run(&scenario(&text));
        assert_eq!(pods[0].node.as_deref(), Some("warm-0"), "seed {seed}");
        assert_eq!(pods[0].image_pull_s, Some(0.0));
    }
}

#[test]
fn parked_pods_are_retried_once_per_freed_slot_not_all_at_once() {
    // 10 one-CPU nodes, 100 one-CPU tasks of 10 s at t = 0 (all done in 100 s,
    // before any 5-minute flush). 10 bind, 90 fail and park; each finish frees
    // one slot and moves exactly one parked pod. Moving every fitting pod on
    // each finish (90, 89, … retries) would be a retry storm.
    let s = scenario(
        r#"
name = "storm"
[[node_groups]]
name = "n"
count = 10
cpu = "1"
memory = "4Gi"
preloaded_images = ["app:1"]
[[images]]
name = "app:1"
size = "1Mi"
[[batch]]
name = "b"
jobs = 1
tasks = 100
interarrival = "1s"
duration = "10s"
startup = "0s"
cpu = "1"
memory = "100Mi"
images = ["app:1"]
"#,
    );
    let (out, _) = run(&s);
    assert_eq!(out.summary.pods_completed, 100);
    assert_eq!(out.summary.unschedulable_attempts, 90);
    assert_eq!(out.summary.scheduling_attempts, 190);
    assert_eq!(out.summary.makespan_s, 100.0);
}

#[test]
fn every_listed_policy_runs_to_completion() {
    // No placeholder policies: every catalogue entry, built from its defaults,
    // schedules the three-node scenario to completion.
    for info in orchsim::policy::scheduler::SchedulerConfig::catalogue() {
        let mut s = scenario(&three_nodes("LeastAllocated"));
        s.scheduler = info.default.clone();
        let (out, pods) = run(&s);
        assert_eq!(out.summary.policy, info.name);
        assert_eq!(out.summary.pods_completed, 3, "{}", info.name);
        assert!(pods.iter().all(|p| p.node.as_deref().is_some_and(|n| n.starts_with("n-"))));
    }
}

#[test]
fn explanations_are_consistent_and_change_nothing() {
    use orchsim::explain::DecisionRow;
    let s = orchsim::Scenario::quickstart();
    let (plain, _) = run(&s);
    let (explained, _, rows) = crate::support::run_explained(&s, 3);
    assert_eq!(explained.summary, plain.summary, "explaining must not change the run");

    let decisions: Vec<&DecisionRow> = rows.iter().filter(|r| r.kind == "decision").collect();
    assert_eq!(decisions.len() as u64, plain.summary.scheduling_attempts);
    for d in decisions.iter().filter(|d| d.outcome == "bound").take(200) {
        let mine = |kind: &'static str| rows.iter().filter(move |r| r.pod == d.pod && r.attempt == d.attempt && r.kind == kind);
        let first = mine("total").find(|r| r.rank == Some(1)).expect("a rank-1 candidate");
        assert_eq!(first.candidate.map(|c| c as f64), d.value, "rank 1 is the chosen node");
        let parts: Vec<&DecisionRow> = mine("score").filter(|r| r.rank == Some(1)).collect();
        if !parts.is_empty() {
            let sum: f64 = parts.iter().map(|r| r.weighted.unwrap()).sum();
            assert_eq!(sum, first.value.unwrap(), "total = sum of weighted plugin scores");
        }
    }
    let failed = decisions.iter().find(|d| d.outcome == "unschedulable").expect("the quickstart has failed attempts");
    let examined = rows.iter().find(|r| r.pod == failed.pod && r.attempt == failed.attempt && r.kind == "examined").unwrap();
    assert_eq!(examined.value, Some(300.0), "a failed attempt examines every node");
    assert!(rows.iter().any(|r| r.pod == failed.pod && r.kind == "filter" && r.name.starts_with("Insufficient")));
}

#[test]
fn decisions_csv_is_written_only_with_explain() {
    let tmp = tempfile::tempdir().unwrap();
    let o = crate::support::orchsim(tmp.path(), &["run", "--out", "plain", "--no-chart"]);
    assert!(o.status.success());
    assert!(!tmp.path().join("plain/decisions.csv").exists());
    let o = crate::support::orchsim(tmp.path(), &["run", "--out", "why", "--no-chart", "--explain", "--explain-top", "1"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(tmp.path().join("why/decisions.csv")).unwrap();
    assert!(csv.starts_with("time_s,pod,attempt,policy,outcome,kind,candidate,rank,name,value,weight,weighted\n"));
    // Columns `candidate,rank,name`: rank-1 totals are there, rank-2 ones are not.
    assert!(csv.contains(",1,total,") && !csv.contains(",2,total,"), "--explain-top 1 keeps one candidate");
}

#[test]
fn borg_preempts_batch_for_production_and_the_victims_finish_later() {
    // One 4-CPU node. A 4-CPU batch task starts at t = 0 for 100 s; a
    // production task arrives at t = 10 s. Borg evicts the batch task (its
    // 10 s of work lost), runs the production task, then the batch task again.
    let s = scenario(&format!(
        "{}{}{}[scheduler]\nkind = \"borg\"\n",
        preloaded_nodes("borg", 1, 4),
        one_task_class("batch", "4", "100s", ""),
        one_task_class("prod", "2", "20s", "start = \"10s\"\npriority = 1000"),
    ));
    let (out, pods) = run(&s);
    assert_eq!(out.summary.preemptions, 1);
    assert_eq!(out.summary.lost_cpu_seconds, 40.0, "4 CPUs × 10 s");
    assert_eq!(out.summary.pods_completed, 2);
    let by = |w: &str| pods.iter().find(|p| p.workload == w).unwrap().clone();
    let (batch, prod) = (by("batch"), by("prod"));
    assert_eq!(prod.bind_s, Some(10.0));
    assert_eq!(prod.finish_s, Some(30.0));
    assert_eq!(batch.preemptions, 1);
    // Re-queued at 10 s, bound again when the production task leaves at 30 s.
    assert_eq!((batch.bind_s, batch.pending_s, batch.finish_s), (Some(30.0), Some(20.0), Some(130.0)));
    // The same workload under kubernetes with preemption off: prod waits.
    let mut k = s.clone();
    let params = orchsim::policy::scheduler::kubernetes::KubernetesParams { preemption: false, ..Default::default() };
    k.scheduler = orchsim::policy::scheduler::SchedulerConfig::Kubernetes(params);
    let (out, pods) = run(&k);
    assert_eq!(out.summary.preemptions, 0);
    assert_eq!(pods.iter().find(|p| p.workload == "prod").unwrap().bind_s, Some(100.0));
}

fn zoned(constraint: &str) -> String {
    format!(
        r#"
name = "zoned"
[[node_groups]]
name = "n"
count = 6
cpu = "8"
memory = "16Gi"
zones = ["a", "b", "c"]
labels = {{ "disk" = "ssd" }}
preloaded_images = ["app:1"]
[[images]]
name = "app:1"
size = "1Mi"
[[batch]]
name = "b"
jobs = 10
interarrival = "1s"
tasks = 3
duration = "1h"
cpu = "500m"
memory = "1Gi"
images = ["app:1"]
{constraint}
"#
    )
}

#[test]
fn required_node_affinity_and_node_selectors_bind_under_every_policy() {
    for constraint in [
        r#"node_affinity = { required = [{ match_expressions = [{ key = "topology.kubernetes.io/zone", operator = "In", values = ["b"] }] }] }"#,
        r#"node_selector = { "topology.kubernetes.io/zone" = "b" }"#,
    ] {
        for info in orchsim::policy::scheduler::SchedulerConfig::catalogue() {
            let mut s = scenario(&zoned(constraint));
            s.scheduler = info.default.clone();
            let (out, pods) = run(&s);
            assert_eq!(out.summary.pods_submitted, 30);
            // Zone b holds nodes n-1 and n-4 (round-robin a, b, c).
            assert!(pods.iter().all(|p| matches!(p.node.as_deref(), Some("n-1") | Some("n-4"))), "{}: {constraint}", info.name);
        }
    }
}

#[test]
fn preferred_node_affinity_steers_the_kubernetes_policy() {
    // Preferring zone c (weight 50, normalized to 100 × NodeAffinity weight 2 =
    // 200 points) outweighs the spreading pull of LeastAllocated for these small pods.
    let text = zoned(
        r#"node_affinity = { preferred = [{ weight = 50, match_expressions = [{ key = "topology.kubernetes.io/zone", operator = "In", values = ["c"] }] }] }"#,
    );
    let (_, pods) = run(&scenario(&text));
    assert!(
        pods.iter().all(|p| matches!(p.node.as_deref(), Some("n-2") | Some("n-5"))),
        "{:?}",
        pods.iter().map(|p| p.node.clone()).collect::<Vec<_>>()
    );
    // Without the preference the same pods spread over all six nodes.
    let (_, pods) = run(&scenario(&zoned("")));
    let mut used: Vec<_> = pods.iter().filter_map(|p| p.node.clone()).collect();
    used.sort();
    used.dedup();
    assert_eq!(used.len(), 6);
}

#[test]
fn affinity_mistakes_are_validation_errors() {
    let bad = |constraint: &str, expected: &str| {
        let err = orchsim::Scenario::parse(&zoned(constraint), "z.toml").unwrap_err().to_string();
        assert!(err.contains(expected), "{constraint}: {err}");
        let line = zoned(constraint).lines().position(|l| l.starts_with("node_")).unwrap() + 1;
        assert!(err.contains(&format!("z.toml:{line}:")), "{constraint}: {err}");
    };
    bad(r#"node_selector = { "topology.kubernetes.io/zone" = "d" }"#, "match no node's labels");
    bad(
        r#"node_affinity = { required = [{ match_expressions = [{ key = "disk", operator = "In", values = [] }] }] }"#,
        "needs at least one value",
    );
    bad(r#"node_affinity = { required = [{ match_expressions = [] }] }"#, "empty term matches no node");
    bad(
        r#"node_affinity = { preferred = [{ weight = 500, match_expressions = [{ key = "disk", operator = "Exists" }] }] }"#,
        "between 1 and 100",
    );
}

#[test]
fn requested_to_capacity_ratio_packs_or_spreads_by_its_shape() {
    // Default shape (10 at 0 %, 0 at 100 %) prefers empty nodes; a rising
    // shape prefers full ones.
    assert_eq!(nodes_used("RequestedToCapacityRatio").len(), 3);
    let text = three_nodes("RequestedToCapacityRatio") + "shape = [{ utilization = 0, score = 0 }, { utilization = 100, score = 10 }]\n";
    let (_, pods) = run(&scenario(&text));
    let mut used: Vec<_> = pods.iter().filter_map(|p| p.node.clone()).collect();
    used.dedup();
    assert_eq!(used.len(), 1, "{used:?}");
    // A shape that does not increase is rejected.
    let bad = three_nodes("RequestedToCapacityRatio") + "shape = [{ utilization = 50, score = 1 }, { utilization = 50, score = 2 }]\n";
    let err = orchsim::Scenario::parse(&bad, "s.toml").unwrap_err().to_string();
    assert!(err.contains("scheduler.shape[1].utilization") && err.contains("must increase"), "{err}");
}

/// Pods per zone (zones a, b, c round-robin over nodes n-0…n-5).
fn per_zone(pods: &[orchsim::metrics::PodRecord]) -> [usize; 3] {
    let mut z = [0; 3];
    for p in pods {
        let i: usize = p.node.as_deref().unwrap().trim_start_matches("n-").parse().unwrap();
        z[i % 3] += 1;
    }
    z
}

fn packed_with(constraint: &str) -> String {
    zoned(constraint).replace("jobs = 10", "jobs = 1").replace("tasks = 3", "tasks = 9")
        + "[scheduler]\nkind = \"kubernetes\"\nscoring_strategy = \"MostAllocated\"\n"
}

#[test]
fn topology_spread_constraints_balance_zones_against_packing() {
    // MostAllocated alone piles all nine pods onto one node.
    let (_, pods) = run(&scenario(&packed_with("")));
    assert_eq!(per_zone(&pods).iter().filter(|&&n| n > 0).count(), 1);
    // DoNotSchedule with max_skew 1 forces 3/3/3.
    let hard = r#"topology_spread = [{ max_skew = 1, topology_key = "topology.kubernetes.io/zone" }]"#;
    let (_, pods) = run(&scenario(&packed_with(hard)));
    assert_eq!(per_zone(&pods), [3, 3, 3]);
    // ScheduleAnyway outweighs MostAllocated (weight 2 × 100 vs 1 × ≤ 100) here too.
    let soft =
        r#"topology_spread = [{ max_skew = 1, topology_key = "topology.kubernetes.io/zone", when_unsatisfiable = "ScheduleAnyway" }]"#;
    let (_, pods) = run(&scenario(&packed_with(soft)));
    assert_eq!(per_zone(&pods), [3, 3, 3]);
}

#[test]
fn hostname_spread_balances_nodes() {
    let text = packed_with(r#"topology_spread = [{ max_skew = 1, topology_key = "kubernetes.io/hostname" }]"#);
    let (_, pods) = run(&scenario(&text));
    let mut per_node = [0; 6];
    for p in &pods {
        per_node[p.node.as_deref().unwrap().trim_start_matches("n-").parse::<usize>().unwrap()] += 1;
    }
    per_node.sort();
    assert_eq!(per_node, [1, 1, 1, 2, 2, 2]);
}

#[test]
fn a_tainted_zone_still_counts_as_a_domain_and_blocks_the_others() {
    // Zone c's nodes carry a taint no pod tolerates, but as upstream (node
    // taints policy Ignore) the zone is still a domain with 0 pods: with
    // max_skew 1, zones a and b may hold one pod each; the rest stay pending,
    // and --explain names the constraint.
    let text = r#"
name = "tainted-zone"
[simulation]
duration = "30m"
[[node_groups]]
name = "ab"
count = 4
cpu = "8"
memory = "16Gi"
zones = ["a", "b"]
[[node_groups]]
name = "c"
count = 2
cpu = "8"
memory = "16Gi"
zones = ["c"]
taints = [{ key = "maintenance", effect = "NoSchedule" }]
[[images]]
name = "app:1"
size = "1Mi"
[[batch]]
name = "b"
jobs = 1
interarrival = "1s"
tasks = 5
duration = "1h"
cpu = "500m"
memory = "1Gi"
images = ["app:1"]
topology_spread = [{ max_skew = 1, topology_key = "topology.kubernetes.io/zone" }]
"#;
    let (out, _, rows) = crate::support::run_explained(&scenario(text), 1);
    assert_eq!(out.summary.pods_pending_at_end, 3);
    assert_eq!(out.summary.pods_unfinished_at_end, 2, "one running in zone a, one in zone b");
    let reasons: Vec<&str> = rows.iter().filter(|r| r.kind == "filter").map(|r| r.name.as_str()).collect();
    assert!(reasons.contains(&"topology spread constraint") && reasons.contains(&"untolerated taint"), "{reasons:?}");
}

fn nodes_of(pods: &[orchsim::metrics::PodRecord]) -> Vec<String> {
    let mut n: Vec<String> = pods.iter().filter_map(|p| p.node.clone()).collect();
    n.sort();
    n
}

#[test]
fn required_pod_anti_affinity_puts_each_task_on_its_own_node() {
    // MostAllocated would pile the job onto one node; hostname anti-affinity
    // within the job forbids it. Six nodes take six tasks; a seventh waits.
    let anti = r#"pod_anti_affinity = { required = [{ topology_key = "kubernetes.io/hostname", selector = "job" }] }"#;
    let text = packed_with(anti)
        .replace("tasks = 9", "tasks = 7")
        .replace("name = \"zoned\"", "name = \"zoned\"\n[simulation]\nduration = \"30m\"");
    let (out, pods) = run(&scenario(&text));
    let mut used = nodes_of(&pods);
    used.dedup();
    assert_eq!(used.len(), 6);
    assert_eq!(out.summary.pods_pending_at_end, 1);
}

#[test]
fn required_pod_affinity_keeps_a_job_in_one_zone() {
    // LeastAllocated spreads over all nodes; zone affinity within the job keeps
    // every task in the zone of the first.
    let aff = r#"pod_affinity = { required = [{ topology_key = "topology.kubernetes.io/zone", selector = "job" }] }"#;
    let text = zoned(aff).replace("jobs = 10", "jobs = 1").replace("tasks = 3", "tasks = 9");
    let (_, pods) = run(&scenario(&text));
    let zones: Vec<usize> = per_zone(&pods).into_iter().filter(|&n| n > 0).collect();
    assert_eq!(zones, vec![9], "all nine tasks in one zone");
}

#[test]
fn preferred_pod_affinity_terms_steer_both_ways() {
    let soft_anti = r#"pod_anti_affinity = { preferred = [{ weight = 100, topology_key = "kubernetes.io/hostname", selector = "job" }] }"#;
    let (_, pods) = run(&scenario(&packed_with(soft_anti).replace("tasks = 9", "tasks = 6")));
    let mut used = nodes_of(&pods);
    used.dedup();
    assert_eq!(used.len(), 6, "soft anti-affinity beats MostAllocated's packing");
    let soft_aff = r#"pod_affinity = { preferred = [{ weight = 100, topology_key = "kubernetes.io/hostname", selector = "job" }] }"#;
    let text = zoned(soft_aff).replace("jobs = 10", "jobs = 1").replace("tasks = 3", "tasks = 6");
    let (_, pods) = run(&scenario(&text));
    let mut used = nodes_of(&pods);
    used.dedup();
    assert_eq!(used.len(), 1, "soft affinity beats LeastAllocated's spreading");
}

#[test]
fn spread_and_pod_affinity_mistakes_are_validation_errors() {
    for (constraint, field, message) in [
        (
            r#"topology_spread = [{ max_skew = 0, topology_key = "kubernetes.io/hostname" }]"#,
            "batch[0].topology_spread[0].max_skew",
            "at least 1",
        ),
        (r#"topology_spread = [{ max_skew = 1, topology_key = "" }]"#, "batch[0].topology_spread[0].topology_key", "name a node label"),
        (
            r#"pod_affinity = { preferred = [{ weight = 0, topology_key = "kubernetes.io/hostname" }] }"#,
            "batch[0].pod_affinity.preferred[0].weight",
            "between 1 and 100",
        ),
        (r#"pod_anti_affinity = { required = [{ topology_key = "" }] }"#, "batch[0].pod_anti_affinity", "needs a topology_key"),
    ] {
        let text = zoned(constraint);
        let err = orchsim::Scenario::parse(&text, "z.toml").unwrap_err().to_string();
        let line = text.lines().position(|l| l.starts_with(constraint.split(' ').next().unwrap())).unwrap() + 1;
        assert!(err.contains(&format!("z.toml:{line}:")) && err.contains(field) && err.contains(message), "{constraint}: {err}");
    }
}

#[test]
fn borg_serves_jobs_of_a_priority_round_robin_and_kubernetes_by_time() {
    // One 1-CPU node, 1-CPU tasks of 10 s: one runs at a time. Job 0 (4
    // tasks) arrives at 0 s, job 1 (4 tasks) at 1 s, same priority.
    let text = |kind: &str| {
        one_node(&format!(
            r#"
[[batch]]
name = "w"
jobs = 2
interarrival = "1s"
tasks = {{ dist = "constant", value = 4 }}
duration = "10s"
startup = "0s"
cpu = "1"
memory = "100Mi"
images = ["app:1"]

[scheduler]
kind = "{kind}"
"#
        ))
    };
    let job_order = |kind: &str| {
        let (_, pods) = run(&scenario(&text(kind)));
        let mut bound: Vec<(f64, u32)> = pods.iter().map(|p| (p.bind_s.unwrap(), p.job)).collect();
        bound.sort_by(|a, b| a.0.total_cmp(&b.0));
        bound.into_iter().map(|(_, j)| j).collect::<Vec<u32>>()
    };
    // Borg: jobs take turns once job 1 is queued.
    assert_eq!(job_order("borg"), vec![0, 1, 0, 1, 0, 1, 0, 1]);
    // kube-scheduler's PrioritySort: first come, first served.
    assert_eq!(job_order("kubernetes"), vec![0, 0, 0, 0, 1, 1, 1, 1]);
}

#[test]
fn a_profile_without_taint_toleration_places_pods_on_tainted_nodes() {
    // The only node is tainted NoSchedule and the pods do not tolerate it:
    // the default profile leaves them pending; a profile that disables
    // TaintToleration (as a KubeSchedulerConfiguration may) runs them.
    let text = |plugins: &str| {
        one_node(&format!(
            r#"
[[batch]]
name = "w"
jobs = 1
interarrival = "1s"
tasks = 2
duration = "10s"
cpu = "100m"
memory = "100Mi"
images = ["app:1"]

[scheduler]
kind = "kubernetes"
{plugins}
"#
        ))
        .replace(
            "image_pull_latency = \"500ms\"",
            "image_pull_latency = \"500ms\"\ntaints = [{ key = \"dedicated\", value = \"gpu\", effect = \"NoSchedule\" }]",
        )
    };
    let (out, _) = run(&scenario(&text("")));
    assert_eq!((out.summary.pods_completed, out.summary.pods_pending_at_end), (0, 2));
    let (out, _) = run(&scenario(&text("disabled_plugins = [\"TaintToleration\"]")));
    assert_eq!((out.summary.pods_completed, out.summary.pods_pending_at_end), (2, 0));
}

/// A run without a fixed duration lasts as long as its work: one 40-day task
/// sampled every 10 s would write 345,600 rows. The series is thinned instead,
/// staying uniform (every 40 s here: two doublings) and within the budget,
/// and it still reaches the end of the run.
#[test]
fn an_open_ended_run_keeps_its_time_series_within_the_sample_budget() {
    let scenario = orchsim::Scenario::parse(
        r#"
name = "long-task"
[simulation]
sample_interval = "10s"
[[node_groups]]
name = "n"
count = 1
cpu = "4"
memory = "16Gi"
[[images]]
name = "app"
size = "10Mi"
[[batch]]
name = "one"
jobs = 1
interarrival = "1s"
images = ["app"]
duration = "40d"
cpu = "1"
memory = "1Gi"
"#,
        "long.toml",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = orchsim::Simulation::new(&scenario, 1).run(&mut orchsim::metrics::NoPodLog).unwrap();
    assert_eq!(out.summary.pods_completed, 1);
    assert_eq!(out.sample_interval, orchsim::time::SimDuration::from_secs(40));
    let rows = out.samples.len();
    assert!(rows <= orchsim::simulation::OPEN_ENDED_SAMPLE_BUDGET + 2, "{rows} rows");
    // Uniform every 40 s up to the last grid time, then the end of the run.
    let times: Vec<f64> = out.samples.iter().map(|s| s.time_s).collect();
    assert!(times[..rows - 1].windows(2).all(|w| w[1] - w[0] == 40.0), "not a 40 s grid");
    assert_eq!(*times.last().unwrap(), out.summary.simulated_s);
    assert!(out.summary.simulated_s >= 40.0 * 86_400.0);
}
