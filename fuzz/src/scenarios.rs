//! Scenario files, bounded runs of them, and experiment files.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use orchsim::metrics::NoPodLog;
use orchsim::model::Cluster;
use orchsim::policy::scheduler::Registry;
use orchsim::scenario::{LoadOptions, ScenarioError};
use orchsim::sweep::{grid, Experiment};
use orchsim::{Scenario, Simulation};

use crate::files::{fresh_dir, paths_stay_inside, scratch, split, use_seed_traces, write};

/// Parses and validates `data` as a scenario file, as `orchsim validate`
/// does, and checks that an error lists at least one problem, each naming
/// the file and a line of it. `@traces/…` paths read the seed traces; inputs
/// with paths that leave the scratch directory are skipped (see
/// [`paths_stay_inside`]).
pub fn parse(data: &[u8]) -> Option<Scenario> {
    use_seed_traces();
    let text = std::str::from_utf8(data).ok()?;
    if !paths_stay_inside(text) {
        return None;
    }
    let file = scratch().join("scenario.toml").display().to_string();
    match Scenario::parse(text, &file) {
        Ok(scenario) => {
            let _ = scenario.summary();
            Some(scenario)
        }
        Err(ScenarioError::Invalid(diagnostics)) => {
            assert!(!diagnostics.is_empty(), "an invalid scenario with no diagnostic");
            let lines = text.lines().count().max(1);
            for d in diagnostics.iter().filter(|d| d.file == file) {
                assert!(d.line.is_none_or(|l| (1..=lines + 1).contains(&l)), "diagnostic beyond the file's {lines} lines: {d}");
            }
            None
        }
        Err(other) => {
            drop(other.to_string());
            None
        }
    }
}

/// Most nodes a simulated scenario may start with, and have at most.
const MAX_NODES: u64 = 64;
const MAX_POOL_NODES: u64 = 256;
/// Most events one execution simulates, and most pods it lets exist: each
/// execution stays within milliseconds and megabytes.
const MAX_STEPS: u32 = 20_000;
const MAX_PODS: usize = 5_000;

/// Runs a valid scenario (`parse`) of at most [`MAX_NODES`] nodes for at most
/// [`MAX_STEPS`] events or until [`MAX_PODS`] pods exist, checking the
/// invariants of `tests/integration/invariants.rs` as it goes and, when the
/// run ends within the bounds, its summary. A run error on a validated
/// scenario is a finding: the engine reports its own bugs that way.
pub fn simulate(data: &[u8]) {
    let Some(scenario) = parse(data) else { return };
    let most = scenario.node_groups.iter().map(|g| u64::from(g.max.max(g.count))).sum::<u64>();
    if scenario.node_count() > MAX_NODES || most > MAX_POOL_NODES {
        return;
    }
    let mut sim = Simulation::new(&scenario, scenario.seed);
    for step in 0..MAX_STEPS {
        let more = sim.step(&mut NoPodLog).unwrap_or_else(|e| panic!("a validated scenario failed to run: {e}"));
        if step % 64 == 0 || !more {
            holds_invariants(sim.cluster());
        }
        if !more {
            let counts = sim.cluster().counts();
            let out = sim.run(&mut NoPodLog).unwrap_or_else(|e| panic!("a finished run failed to report: {e}"));
            if scenario.duration.is_none() {
                // Without a duration a run ends with nothing running: all work done or given up on.
                assert_eq!(counts.starting + counts.running, 0, "a run without a duration ended with pods running");
                let s = &out.summary;
                let ended = s.pods_completed + s.pods_pending_at_end + counts.terminated + counts.failed;
                assert_eq!(s.pods_submitted, ended, "pods not conserved: {s:?}");
            }
            return;
        }
        if sim.cluster().pods.len() > MAX_PODS {
            return;
        }
    }
}

/// No node over-committed on requests or pods, and every pod in exactly one phase.
fn holds_invariants(c: &Cluster) {
    for node in &c.nodes {
        assert!(
            node.requested.fits_in(&node.allocatable),
            "node {} over-committed: {:?} > {:?}",
            node.name,
            node.requested,
            node.allocatable
        );
        assert!(node.pod_count <= node.max_pods, "node {} holds {} pods, max {}", node.name, node.pod_count, node.max_pods);
    }
    let k = c.counts();
    let phases = k.pending + k.starting + k.running + k.succeeded + k.terminated + k.failed;
    assert_eq!(phases, c.pods.len() as u64, "pods not conserved: {k:?}");
}

/// Most grid cells an experiment may have here: every cell is a scenario to
/// validate, and an experiment may legitimately have a million.
const MAX_CELLS: usize = 64;

/// The shipped scenarios and experiments, by path under the repository's
/// `scenarios/`, read once: experiment inputs may name them as the shipped
/// experiments do (`scenario = "../compare-schedulers.toml"`).
fn shipped() -> &'static [(PathBuf, Vec<u8>)] {
    static FILES: OnceLock<Vec<(PathBuf, Vec<u8>)>> = OnceLock::new();
    FILES.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let mut files = Vec::new();
        for sub in ["", "experiments"] {
            let dir = root.join(sub);
            for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "toml") {
                    let body = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    files.push((Path::new(sub).join(entry.file_name()), body));
                }
            }
        }
        files
    })
}

/// Whether `name` may be written beside the experiment: a plain file name,
/// or one in the folder above (where the shipped scenarios are).
fn plain_name(name: &str) -> bool {
    let file = name.strip_prefix("../").unwrap_or(name);
    !file.is_empty() && !file.starts_with('.') && file.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// Loads `data` as an experiment (`orchsim sweep` before it runs anything):
/// the first part is `scenarios/experiments/fuzz.toml` in a copy of the
/// shipped `scenarios/` folder, and each later part is written beside it
/// under its separator line's name (`~~~~ base.toml`, `~~~~ ../x.toml`),
/// replacing a shipped file of that name. Experiments of more than
/// [`MAX_CELLS`] cells are skipped. A loaded experiment must have one cell
/// per combination of its parameters' values.
pub fn experiment(data: &[u8]) {
    use_seed_traces();
    let parts = split(data);
    let texts = parts.iter().filter_map(|p| std::str::from_utf8(p.body).ok());
    if !texts.clone().all(paths_stay_inside) {
        return;
    }
    let Some(cells) = std::str::from_utf8(parts[0].body).ok().and_then(cell_count) else { return };
    if cells > MAX_CELLS {
        return;
    }
    let root = fresh_dir("experiment").join("scenarios");
    std::fs::create_dir_all(root.join("experiments")).expect("the scratch directory is writable");
    for (path, body) in shipped() {
        write(&root.join(path), body);
    }
    let experiments = root.join("experiments");
    for part in parts.iter().skip(1).filter(|p| plain_name(p.name)) {
        write(&experiments.join(part.name), part.body);
    }
    let path = experiments.join("fuzz.toml");
    write(&path, parts[0].body);
    match Experiment::load(&path, &Registry::default(), &LoadOptions::default()) {
        Ok(e) => {
            let combinations: usize = e.parameters.iter().map(|p| p.values.len()).product();
            assert_eq!(e.cells.len(), combinations, "one cell per combination of the parameters' values");
            assert!(e.cells.iter().all(|c| c.values.len() == e.parameters.len()), "a cell without a value of each parameter");
        }
        Err(e) => drop(e.to_string()),
    }
}

/// The experiment's cells as its grid gives them (a list of scenarios adds an
/// axis), or `None` when the text is not a TOML table: loading fails anyway.
fn cell_count(text: &str) -> Option<usize> {
    let table: toml::Table = text.parse().ok()?;
    let scenarios = table.get("scenario").and_then(toml::Value::as_array).map_or(1, Vec::len);
    let grid = table.get("grid").and_then(toml::Value::as_table);
    let axes = grid.into_iter().flatten().map(|(key, spec)| grid::parameter(key, spec).map_or(1, |p| p.values.len()));
    Some(axes.fold(scenarios.max(1), usize::saturating_mul))
}
