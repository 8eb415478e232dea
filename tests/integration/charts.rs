//! The charts `orchsim run` draws, and when, in which formats, and redrawn
//! from a run directory's CSV files.

use std::path::{Path, PathBuf};

use orchsim::plot::{run_charts_from_csv, RunChartsError};
use orchsim::policy::failure::{FailureConfig, NodeTarget, ScriptAction, ScriptedEvent};
use orchsim::time::{SimDuration, SimTime};
use orchsim::{RunOptions, Scenario};

use crate::support::scenario;

/// Three nodes and a web service of three replicas, for ten minutes.
const WEB: &str = r#"
name = "t"
[simulation]
duration = "10m"
sample_interval = "10s"
[[images]]
name = "app:1"
size = "1Gi"
[[node_groups]]
name = "pool"
count = 3
cpu = "4"
memory = "16Gi"
preloaded_images = ["app:1"]
[[services]]
name = "web"
replicas = 3
image = "app:1"
cpu = "500m"
memory = "256Mi"
startup = "0s"
capacity_rps = 100
load = { constant = 150 }
"#;

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// The chart files (PNG and SVG) in `dir`, sorted, after checking that each
/// is a non-empty file of its format and that every PNG has its SVG.
fn charts(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png") || n.ends_with(".svg"))
        .collect();
    names.sort();
    for name in &names {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        if name.ends_with(".png") {
            assert_eq!(bytes.get(..8), Some(&PNG_SIGNATURE[..]), "{name} is not a PNG");
            assert!(names.contains(&name.replace(".png", ".svg")), "{name} has no SVG: {names:?}");
        } else {
            assert!(bytes.starts_with(b"<svg"), "{name} is not an SVG: {:?}", String::from_utf8_lossy(&bytes[..bytes.len().min(80)]));
            assert!(bytes.ends_with(b"</svg>\n"), "{name} is not complete");
        }
        assert!(!name.contains(".tmp."), "temporary file left: {name}");
    }
    names
}

/// `names` as PNG and SVG, sorted as [`charts`] returns them.
fn both(names: &[&str]) -> Vec<String> {
    names.iter().flat_map(|n| [format!("{n}.png"), format!("{n}.svg")]).collect()
}

/// Runs `s` into a temporary directory: how many failure events it logged, and the charts it drew.
fn run_in(s: &Scenario, chart: bool) -> (usize, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let output = run(s, dir.path(), chart).unwrap();
    (output.failure_events.len(), charts(dir.path()))
}

/// [`WEB`] with node `pool-0` failing for five minutes at two: every chart is drawn.
fn failing() -> Scenario {
    let mut s = scenario(WEB);
    s.failures = FailureConfig {
        script: vec![ScriptedEvent {
            at: SimTime::from_secs(120),
            action: ScriptAction::Fail,
            target: NodeTarget::Node("pool-0".into()),
            duration: Some(SimDuration::from_secs(300)),
        }],
        ..Default::default()
    };
    s
}

/// The bytes of `dir/name`.
fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn availability_chart_is_drawn_when_something_failed() {
    assert_eq!(run_in(&scenario(WEB), true), (0, both(&["autoscaling", "utilization"])));
    let (events, drawn) = run_in(&failing(), true);
    assert!(events > 0);
    assert_eq!(drawn, both(&["autoscaling", "availability", "utilization"]));
    // --no-chart skips it with the others.
    assert!(run_in(&failing(), false).1.is_empty());
}

#[test]
fn charts_without_services_are_utilization_only() {
    let batch = WEB.split("[[services]]").next().unwrap();
    assert_eq!(run_in(&scenario(batch), true), (0, both(&["utilization"])));
}

#[test]
fn charts_redrawn_from_csv_are_those_of_the_run() {
    let s = failing();
    let drawn = tempfile::tempdir().unwrap();
    run(&s, drawn.path(), true).unwrap();
    // The same run without charts (`--no-chart`), drawn afterwards from its CSV files.
    let later = tempfile::tempdir().unwrap();
    run(&s, later.path(), false).unwrap();
    let written = run_charts_from_csv(later.path()).unwrap();

    let names = both(&["autoscaling", "availability", "utilization"]);
    assert_eq!(charts(later.path()), names);
    let mut returned: Vec<PathBuf> = written.clone();
    returned.sort();
    assert_eq!(returned, names.iter().map(|n| later.path().join(n)).collect::<Vec<_>>());
    // Byte for byte: the CSV floats read back to the same values, and the title comes from summary.csv.
    for name in &names {
        assert!(read(drawn.path(), name) == read(later.path(), name), "{name} differs from the run's");
    }
    // Redrawing over existing charts replaces them with the same bytes.
    assert_eq!(run_charts_from_csv(drawn.path()).unwrap().len(), names.len());
    for name in &names {
        assert!(read(drawn.path(), name) == read(later.path(), name), "{name} changed when redrawn");
    }
}

#[test]
fn a_corrupted_csv_is_an_error_naming_the_file_and_line() {
    let s = scenario(WEB);
    let dir = tempfile::tempdir().unwrap();
    run(&s, dir.path(), false).unwrap();
    let path = dir.path().join("timeseries.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    // Line 3 (the second sample): its memory_allocated becomes text.
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut fields: Vec<&str> = lines[2].split(',').collect();
    assert_eq!(text.lines().next().unwrap().split(',').nth(2), Some("memory_allocated"));
    fields[2] = "lots";
    lines[2] = fields.join(",");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();

    let err = run_charts_from_csv(dir.path()).unwrap_err();
    assert!(matches!(err, RunChartsError::Read(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("timeseries.csv: line 3: column `memory_allocated`"), "{message}");
    assert!(charts(dir.path()).is_empty(), "charts drawn despite the error");

    // A row cut short, and a missing file, are errors too.
    lines[3] = "60,0.5".to_string();
    lines[2] = text.lines().nth(2).unwrap().to_string();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let message = run_charts_from_csv(dir.path()).unwrap_err().to_string();
    assert!(message.contains("timeseries.csv: line 4: 2 fields where the header has"), "{message}");
    std::fs::remove_file(&path).unwrap();
    let message = run_charts_from_csv(dir.path()).unwrap_err().to_string();
    assert!(message.contains("timeseries.csv: cannot read"), "{message}");
}

/// A `base` node of 4 CPUs ($1/h) and a `burst` pool of up to 3 more ($2/h,
/// joining 60 s after they are asked for) under Cluster Autoscaler, for five
/// minutes sampled every 10 s; `services` appended.
fn pools(services: &str) -> Scenario {
    scenario(&format!(
        r#"
name = "pools"
[simulation]
duration = "5m"
sample_interval = "10s"
[[images]]
name = "app:1"
size = "1Gi"
[[node_groups]]
name = "base"
count = 1
cpu = "4"
memory = "16Gi"
price_per_hour = 1.0
preloaded_images = ["app:1"]
[[node_groups]]
name = "burst"
count = 0
min = 0
max = 3
cpu = "4"
memory = "16Gi"
price_per_hour = 2.0
preloaded_images = ["app:1"]
provisioning_delay = "60s"
[node_autoscaler]
policy = "cluster-autoscaler"
{services}
"#
    ))
}

/// Three replicas of 3 CPUs, one per node, so two wait for the burst pool;
/// 150 requests/s of which one replica serves 100; an HPA on CPU pinned at three.
const THREE_BIG_REPLICAS: &str = r#"
[[services]]
name = "web"
replicas = 3
image = "app:1"
cpu = "3"
memory = "1Gi"
startup = "0s"
capacity_rps = 100
load = { constant = 150 }
[services.autoscaler]
min_replicas = 3
max_replicas = 3
metrics = [{ cpu_utilization = 60 }]
"#;

/// A run with a node autoscaler and no services: one batch job of `tasks`
/// tasks of 3 CPUs, one per node, so that a second task needs a burst node.
fn batch_on_pools(tasks: u32) -> Scenario {
    pools(&format!(
        r#"
[[batch]]
name = "job"
jobs = 1
interarrival = "1m"
tasks = {tasks}
duration = "2m"
startup = "0s"
cpu = "3"
memory = "1Gi"
images = ["app:1"]
"#
    ))
}

#[test]
fn a_node_autoscaler_without_services_gets_the_autoscaling_chart() {
    let s = batch_on_pools(2);
    let dir = tempfile::tempdir().unwrap();
    let output = run(&s, dir.path(), true).unwrap();
    assert!(output.services.is_empty());
    assert!(output.scaling_events.iter().any(|e| e.kind == "nodes" && e.to > e.from), "{:?}", output.scaling_events);
    assert_eq!(charts(dir.path()), both(&["autoscaling", "utilization"]));
    let svg = String::from_utf8(read(dir.path(), "autoscaling.svg")).unwrap();
    for text in ["pools (kubernetes): autoscaling", "base nodes in service", "burst nodes in service", "pods pending", "cost so far"] {
        assert!(svg.contains(text), "no `{text}` in the chart");
    }
    assert!(!svg.contains("replicas"), "a service panel without services");
    // Its tables: pools.csv and scaling_events.csv, no services.csv.
    let pools = String::from_utf8(read(dir.path(), "pools.csv")).unwrap();
    assert!(pools.starts_with("time_s,pool,nodes,nodes_provisioning,cost\n0.0,base,1,0,0.0\n0.0,burst,0,0,0.0\n"), "{pools}");
    assert!(String::from_utf8(read(dir.path(), "scaling_events.csv")).unwrap().starts_with("time_s,kind,target,from,to,policy,reason\n"));
    assert!(!dir.path().join("services.csv").exists());
}

#[test]
fn a_run_that_never_scaled_writes_the_header_of_its_scaling_events() {
    // One task: it fits the base node, and the node autoscaler never acts.
    let s = batch_on_pools(1);
    let dir = tempfile::tempdir().unwrap();
    let output = run(&s, dir.path(), true).unwrap();
    assert!(output.scaling_events.is_empty());
    assert_eq!(read(dir.path(), "scaling_events.csv"), b"time_s,kind,target,from,to,policy,reason\n");
    assert_eq!(charts(dir.path()), both(&["autoscaling", "utilization"]));
}

#[test]
fn pools_and_the_new_service_columns_hold_what_happened() {
    let s = pools(THREE_BIG_REPLICAS);
    let (out, _) = crate::support::run(&s);
    // Cluster Autoscaler asks for two burst nodes at its first scan (10 s); they join 60 s later.
    let grown: Vec<(f64, &str, u32, u32)> =
        out.scaling_events.iter().filter(|e| e.kind == "nodes").map(|e| (e.time_s, e.target.as_str(), e.from, e.to)).collect();
    assert_eq!(grown, [(10.0, "burst", 0, 2)]);

    // Every sample has one row per pool, adding up to the cluster's row.
    assert_eq!(out.pools.len(), 2 * out.samples.len());
    for (sample, rows) in out.samples.iter().zip(out.pools.chunks(2)) {
        assert_eq!((rows[0].pool.as_str(), rows[1].pool.as_str()), ("base", "burst"));
        assert!(rows.iter().all(|r| r.time_s == sample.time_s));
        assert_eq!(rows[0].nodes + rows[1].nodes, sample.nodes, "at {} s", sample.time_s);
        assert_eq!(rows[0].nodes_provisioning + rows[1].nodes_provisioning, sample.nodes_provisioning, "at {} s", sample.time_s);
        assert_eq!(rows[0].cost + rows[1].cost, sample.cost, "at {} s", sample.time_s);
        let (burst, provisioning) = (rows[1].nodes, rows[1].nodes_provisioning);
        let expected = match sample.time_s {
            t if t < 10.0 => (0, 0),
            t if t < 70.0 => (0, 2),
            _ => (2, 0),
        };
        assert_eq!((burst, provisioning), expected, "burst pool at {} s", sample.time_s);
    }
    // Billed from the request on: the base node for 300 s at $1/h, two burst nodes for 290 s at $2/h.
    let end = &out.pools[out.pools.len() - 2..];
    assert!((end[0].cost - 300.0 / 3600.0).abs() < 1e-12, "{}", end[0].cost);
    assert!((end[1].cost - 2.0 * 290.0 / 3600.0 * 2.0).abs() < 1e-12, "{}", end[1].cost);

    // The service: one replica on the base node until the burst nodes join
    // at 70 s, two waiting for them.
    for row in &out.services {
        let t = row.time_s;
        // Sampled after the scheduler at each instant: one bound at 0 s.
        let expected = if t < 70.0 { (1, 2) } else { (3, 0) };
        assert_eq!((row.replicas_ready, row.replicas_pending), expected, "at {t} s");
        // One replica serves 100 of the 150 requests/s: 50 dropped a second,
        // 500 in each 10 s interval, and every second of it under the 99 % SLO.
        let (dropped, missed) = if t > 0.0 && t <= 70.0 { (500.0, 10.0) } else { (0.0, 0.0) };
        assert!((row.dropped_requests - dropped).abs() < 1e-9, "{} dropped at {t} s", row.dropped_requests);
        assert_eq!(row.slo_missed_s, missed, "at {t} s");
        assert_eq!((row.hpa_cpu_target, row.hpa_rps_per_pod, row.hpa_rps_per_pod_target), (Some(0.6), None, None));
    }
    let summary = &out.service_summaries[0];
    let dropped: f64 = out.services.iter().map(|r| r.dropped_requests).sum();
    assert!((dropped - summary.dropped).abs() < 1e-6, "{dropped} vs {}", summary.dropped);
    assert_eq!(out.services.iter().map(|r| r.slo_missed_s).sum::<f64>(), summary.slo_violation_s);
    // What the HPA reads: nothing before metrics-server's first scrape; then
    // one replica at its full request (100 requests/s at 100 per CPU
    // request); at the end three at half of it, over the 60 s window.
    let at = |t: f64| out.services.iter().find(|r| r.time_s == t).unwrap().hpa_cpu_utilization;
    assert_eq!(at(0.0), None);
    assert_eq!(at(30.0), Some(1.0));
    assert_eq!(at(300.0), Some(0.5));
}

#[test]
fn autoscaling_charts_redrawn_from_csv_are_those_of_the_run() {
    let s = pools(THREE_BIG_REPLICAS);
    let drawn = tempfile::tempdir().unwrap();
    run(&s, drawn.path(), true).unwrap();
    let later = tempfile::tempdir().unwrap();
    run(&s, later.path(), false).unwrap();
    run_charts_from_csv(later.path()).unwrap();
    let names = both(&["autoscaling", "utilization"]);
    assert_eq!(charts(later.path()), names);
    for name in &names {
        assert!(read(drawn.path(), name) == read(later.path(), name), "{name} differs from the run's");
    }
    // The chart shows the pools, the scale events and the new service columns.
    let svg = String::from_utf8(read(later.path(), "autoscaling.svg")).unwrap();
    for text in [
        "web: CPU utilization, the HPA",
        "target (60 %)",
        "pending (waiting for a node)",
        "burst nodes in service",
        "nodes added / removed (1 times)",
        "dropped (right axis): 3500 requests",
        "SLO missed: 70 s",
    ] {
        assert!(svg.contains(text), "no `{text}` in the redrawn chart");
    }
}

/// Runs `scenario` into `dir` as `orchsim run` does, with or without charts.
fn run(scenario: &Scenario, dir: &std::path::Path, charts: bool) -> Result<orchsim::RunOutput, orchsim::RunError> {
    orchsim::run_to_dir(scenario, dir, RunOptions { charts, ..RunOptions::of(scenario) })
}
