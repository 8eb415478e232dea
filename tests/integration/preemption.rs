//! kube-scheduler's DefaultPreemption (PostFilter) in whole runs of the
//! `kubernetes` policy.

use crate::support::{one_task_class, orchsim, preloaded_nodes, run, scenario};

/// Two full 4-CPU nodes. `low` and `mid` (priority 0 and 1) each start one
/// 4-CPU pod at t = 0 for 100 s, so each fills a node; `high` (priority 1000)
/// submits a 2-CPU pod at t = 10 s. `low_extra` goes into the `low` class,
/// `scheduler` is the `[scheduler]` table's body after `kind`.
fn full_cluster(low_extra: &str, high_priority: i32, scheduler: &str) -> String {
    format!(
        "{}{}{}{}[scheduler]\nkind = \"kubernetes\"\n{scheduler}\n",
        preloaded_nodes("preempt", 2, 4),
        one_task_class("low", "4", "100s", &format!("priority = 0\n{low_extra}")),
        one_task_class("mid", "4", "100s", "priority = 1"),
        one_task_class("high", "2", "20s", &format!("start = \"10s\"\npriority = {high_priority}")),
    )
}

/// Runs `text` through the CLI and returns summary.csv's `preemptions` value.
fn cli_preemptions(text: &str) -> u64 {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("s.toml"), text).unwrap();
    let o = orchsim(tmp.path(), &["run", "s.toml", "--out", "out", "--no-chart"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary = std::fs::read_to_string(tmp.path().join("out/summary.csv")).unwrap();
    let mut lines = summary.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header.iter().position(|&h| h == "preemptions").expect("summary.csv has a preemptions column");
    row[col].parse().unwrap()
}

#[test]
fn a_high_priority_pod_preempts_on_a_full_cluster() {
    let text = full_cluster("", 1000, "");
    assert_eq!(cli_preemptions(&text), 1, "one 4-CPU pod makes room for the 2-CPU one");
    let (out, pods) = run(&scenario(&text));
    assert_eq!(out.summary.preemptions, 1);
    let by = |w: &str| pods.iter().find(|p| p.workload == w).unwrap().clone();
    let (low, mid, high) = (by("low"), by("mid"), by("high"));
    // The victim is the lowest-priority pod (rule 2), its 10 s of work lost.
    assert_eq!((low.preemptions, mid.preemptions), (1, 0));
    assert_eq!(out.summary.lost_cpu_seconds, 40.0, "4 CPUs × 10 s");
    // The preemptor binds at once, where the victim ran.
    assert_eq!((high.bind_s, high.finish_s), (Some(10.0), Some(30.0)));
    // The victim waits for room again: 2 CPUs stay free beside the
    // preemptor, not enough; it runs once `high` leaves at 30 s.
    assert_eq!((low.bind_s, low.finish_s), (Some(30.0), Some(130.0)));
    assert_eq!(low.node, high.node, "the only node with room at 30 s is the one it was evicted from");
    assert_eq!(mid.finish_s, Some(100.0));
    assert_eq!(out.summary.pods_completed, 3);
}

#[test]
fn no_preemption_when_switched_off() {
    // Either switch: the parameter, or the plugin taken out of the profile.
    for off in ["preemption = false", r#"disabled_plugins = ["DefaultPreemption"]"#] {
        let text = full_cluster("", 1000, off);
        assert_eq!(cli_preemptions(&text), 0, "{off}");
        let (out, pods) = run(&scenario(&text));
        assert_eq!(out.summary.preemptions, 0);
        // `high` waits for the first node to empty at 100 s.
        assert_eq!(pods.iter().find(|p| p.workload == "high").unwrap().bind_s, Some(100.0));
    }
}

#[test]
fn bad_preemption_and_plugin_parameters_are_input_errors() {
    let tmp = tempfile::tempdir().unwrap();
    for (params, needle) in [
        ("min_candidate_nodes_percentage = 150", "min_candidate_nodes_percentage"),
        ("min_candidate_nodes_absolute = -1", "min_candidate_nodes_absolute"),
        (r#"disabled_plugins = ["NodeResourcesFit"]"#, "NodeResourcesFit cannot be disabled"),
        (r#"disabled_plugins = ["taint-toleration"]"#, "taint-toleration"),
        ("preemptoin = false", "preemptoin"),
    ] {
        std::fs::write(tmp.path().join("s.toml"), full_cluster("", 1000, params)).unwrap();
        let o = orchsim(tmp.path(), &["run", "s.toml", "--out", "out", "--no-chart"]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{params}: {stderr}");
        assert!(stderr.contains(needle), "{params}: {stderr}");
    }
}

#[test]
fn equal_priority_never_preempts() {
    // `high` at priority 1 equals `mid` and exceeds only `low`'s 0: still a
    // preemption. At priority 0 it exceeds nobody: it waits.
    let (out, _) = run(&scenario(&full_cluster("", 1, "")));
    assert_eq!(out.summary.preemptions, 1);
    let (out, pods) = run(&scenario(&full_cluster("", 0, "")));
    assert_eq!(out.summary.preemptions, 0);
    assert!(pods.iter().all(|p| p.preemptions == 0));
    assert_eq!(pods.iter().find(|p| p.workload == "high").unwrap().bind_s, Some(100.0));
}

#[test]
fn a_disruption_budget_steers_preemption_to_the_other_node() {
    // `low` and `mid` both at priority 0 here, `low` bound 1 s later. Without
    // a budget `low` is the victim: equal priorities, sums and counts, and its
    // node loses less work (rule 5, the latest start). With
    // `min_available = 1` its one running pod allows no disruption, so `mid`'s
    // node wins by rule 1 (no violation). `mid`, re-queued at priority 0,
    // cannot preempt `low` in turn.
    let text = |budget: &str| full_cluster(&format!("start = \"1s\"\n{budget}"), 1000, "").replacen("priority = 1\n", "priority = 0\n", 1);
    let victims = |text: &str| {
        let (out, pods) = run(&scenario(text));
        assert_eq!(out.summary.preemptions, 1);
        let of = |w: &str| pods.iter().find(|p| p.workload == w).unwrap().preemptions;
        (of("low"), of("mid"))
    };
    assert_eq!(victims(&text("")), (1, 0), "rule 5 without a budget");
    assert_eq!(victims(&text("disruption_budget = { min_available = 1 }")), (0, 1), "rule 1 with one");
    // A budget that still allows the disruption changes nothing.
    assert_eq!(victims(&text("disruption_budget = { min_available = 0 }")), (1, 0));
    // Budgets are best effort: with `mid` at priority 1000 like `high`, `low`
    // is the only eligible victim and is evicted despite its budget.
    let only_low = full_cluster("disruption_budget = { min_available = 1 }", 1000, "").replacen("priority = 1\n", "priority = 1000\n", 1);
    assert_eq!(victims(&only_low), (1, 0));
}
