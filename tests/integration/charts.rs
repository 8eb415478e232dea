//! The charts `orchsim run` draws, and when, in which formats, and redrawn
//! from a run directory's CSV files.

use std::path::{Path, PathBuf};

use orchsim::cli::run_to_dir;
use orchsim::plot::{run_charts_from_csv, RunChartsError};
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
    let output = run_to_dir(s, s.seed, dir.path(), chart, None).unwrap();
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
    run_to_dir(&s, s.seed, drawn.path(), true, None).unwrap();
    // The same run without charts (`--no-chart`), drawn afterwards from its CSV files.
    let later = tempfile::tempdir().unwrap();
    run_to_dir(&s, s.seed, later.path(), false, None).unwrap();
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
    run_to_dir(&s, s.seed, dir.path(), false, None).unwrap();
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
