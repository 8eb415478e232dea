//! The charts `orchsim run` draws, and when.

use std::path::Path;

use orchsim::cli::run_to_dir;
use orchsim::policy::failure::{FailureConfig, NodeTarget, ScriptAction, ScriptedEvent};
use orchsim::time::{SimDuration, SimTime};
use orchsim::Scenario;

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

/// The PNG files in `dir`, sorted.
fn charts(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .collect();
    names.sort();
    names
}

/// Runs `s` into a temporary directory: how many failure events it logged, and the charts it drew.
fn run_in(s: &Scenario, chart: bool) -> (usize, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let output = run_to_dir(s, s.seed, dir.path(), chart, None).unwrap();
    (output.failure_events.len(), charts(dir.path()))
}

#[test]
fn availability_png_is_drawn_when_something_failed() {
    let plain = scenario(WEB);
    assert_eq!(run_in(&plain, true), (0, vec!["autoscaling.png".to_string(), "utilization.png".to_string()]));

    let mut failing = plain.clone();
    failing.failures = FailureConfig {
        script: vec![ScriptedEvent {
            at: SimTime::from_secs(120),
            action: ScriptAction::Fail,
            target: NodeTarget::Node("pool-0".into()),
            duration: Some(SimDuration::from_secs(300)),
        }],
        ..Default::default()
    };
    let (events, drawn) = run_in(&failing, true);
    assert!(events > 0);
    assert_eq!(drawn, ["autoscaling.png", "availability.png", "utilization.png"]);
    // --no-chart skips it with the others.
    assert!(run_in(&failing, false).1.is_empty());
}
