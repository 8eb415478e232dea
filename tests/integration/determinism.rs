//! Same scenario and seed → byte-identical outputs; another seed → different.

use crate::support::{orchsim, repo};

fn run_to(dir: &std::path::Path, out: &str, seed: &str) -> Vec<(String, Vec<u8>)> {
    let scenario = repo().join("scenarios/quickstart.toml");
    let o = orchsim(dir, &["run", scenario.to_str().unwrap(), "--seed", seed, "--out", out]);
    assert!(o.status.success(), "run failed: {}", String::from_utf8_lossy(&o.stderr));
    ["summary.csv", "timeseries.csv", "pods.csv", "utilization.png"]
        .iter()
        .map(|f| (f.to_string(), std::fs::read(dir.join(out).join(f)).unwrap_or_else(|e| panic!("{f}: {e}"))))
        .collect()
}

#[test]
fn same_seed_gives_identical_bytes_and_another_seed_differs() {
    let tmp = tempfile::tempdir().unwrap();
    let a = run_to(tmp.path(), "a", "7");
    let b = run_to(tmp.path(), "b", "7");
    let c = run_to(tmp.path(), "c", "8");
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{name} differs between two runs with the same seed");
    }
    for ((name, x), (_, z)) in a.iter().zip(&c) {
        if name != "utilization.png" {
            assert!(x != z, "{name} is identical for seeds 7 and 8");
        }
    }
    // The seed is in the summary.
    let summary = String::from_utf8(a[0].1.clone()).unwrap();
    assert!(summary.lines().nth(1).unwrap().starts_with("quickstart,kubernetes,7,"), "{summary}");
}

#[test]
fn quickstart_runs_without_arguments_into_results() {
    let tmp = tempfile::tempdir().unwrap();
    let o = orchsim(tmp.path(), &["run"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in ["summary.csv", "timeseries.csv", "pods.csv", "utilization.png"] {
        let p = tmp.path().join("results/quickstart").join(f);
        assert!(p.metadata().map(|m| m.len() > 0).unwrap_or(false), "{} missing or empty", p.display());
    }
    // No temporary files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path().join("results/quickstart"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn pausing_with_run_until_changes_nothing() {
    let scenario = orchsim::Scenario::quickstart();
    let (straight, straight_pods) = crate::support::run(&scenario);
    let mut pods = Vec::new();
    let mut sim = orchsim::Simulation::new(&scenario, scenario.seed);
    for minutes in [1u64, 7, 30, 31, 90] {
        sim.run_until(orchsim::time::SimTime::from_secs(minutes * 60), &mut pods).unwrap();
        assert!(sim.now() <= orchsim::time::SimTime::from_secs(minutes * 60));
    }
    let paused = sim.run(&mut pods).unwrap();
    assert_eq!(paused.summary, straight.summary);
    assert_eq!(paused.samples, straight.samples);
    assert_eq!(pods, straight_pods);
}

#[test]
fn compare_gives_identical_bytes_on_any_thread_count_and_the_same_workload_to_every_policy() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = repo().join("scenarios/compare-schedulers.toml");
    let policies = "kubernetes,best-fit,swarm-spread,random";
    for (out, jobs) in [("one", "1"), ("two", "2")] {
        let o = orchsim(
            tmp.path(),
            &["compare", scenario.to_str().unwrap(), "--policies", policies, "--jobs", jobs, "--out", out, "--no-chart"],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let read = |p: &str| std::fs::read(tmp.path().join(p)).unwrap();
    assert_eq!(read("one/summary.csv"), read("two/summary.csv"));
    for policy in policies.split(',') {
        assert_eq!(read(&format!("one/{policy}/pods.csv")), read(&format!("two/{policy}/pods.csv")), "{policy}");
    }
    // One row per policy, in the order asked.
    let summary = String::from_utf8(read("one/summary.csv")).unwrap();
    let rows: Vec<&str> = summary.lines().skip(1).map(|l| l.split(',').nth(1).unwrap()).collect();
    assert_eq!(rows, policies.split(',').collect::<Vec<_>>());
    // Common random numbers: every policy got the same pods (submit time and
    // requests), only where and when they ran differs.
    let workload = |policy: &str| -> Vec<String> {
        let text = String::from_utf8(read(&format!("one/{policy}/pods.csv"))).unwrap();
        let mut rows: Vec<String> = text.lines().skip(1).map(|l| l.split(',').take(8).collect::<Vec<_>>().join(",")).collect();
        rows.sort();
        rows
    };
    let reference = workload("kubernetes");
    assert!(reference.len() > 1000);
    for policy in ["best-fit", "swarm-spread", "random"] {
        assert!(workload(policy) == reference, "{policy} saw a different workload");
    }
    let placements = |policy: &str| String::from_utf8(read(&format!("one/{policy}/pods.csv"))).unwrap();
    assert_ne!(placements("kubernetes"), placements("best-fit"), "policies should place differently");
}

#[test]
fn compare_rejects_unknown_policies() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = repo().join("scenarios/compare-schedulers.toml");
    let o = orchsim(tmp.path(), &["compare", scenario.to_str().unwrap(), "--policies", "kubernetes,borgg"]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("unknown policy `borgg`") && stderr.contains("swarm-spread"), "{stderr}");
}

#[test]
fn failure_runs_give_identical_bytes_on_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = repo().join("scenarios/mtbf-batch.toml");
    for (out, jobs) in [("one", "1"), ("two", "2")] {
        let args = ["compare", scenario.to_str().unwrap(), "--policies", "kubernetes,borg", "--jobs", jobs, "--out", out, "--no-chart"];
        let o = orchsim(tmp.path(), &args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let read = |p: &str| std::fs::read(tmp.path().join(p)).unwrap();
    assert_eq!(read("one/summary.csv"), read("two/summary.csv"));
    for policy in ["kubernetes", "borg"] {
        for file in ["pods.csv", "failure_events.csv", "batch_summary.csv", "timeseries.csv"] {
            assert_eq!(read(&format!("one/{policy}/{file}")), read(&format!("two/{policy}/{file}")), "{policy}/{file}");
        }
    }
    // Both control planes saw the same node failures: the models draw from
    // their own streams, whatever the policy does.
    let downs = |policy: &str| -> Vec<String> {
        let text = String::from_utf8(read(&format!("one/{policy}/failure_events.csv"))).unwrap();
        text.lines().filter(|l| l.contains(",node-down,")).map(str::to_string).collect()
    };
    assert!(!downs("kubernetes").is_empty());
    assert_eq!(downs("kubernetes"), downs("borg"));
}
