//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use orchsim::metrics::PodRecord;
use orchsim::{RunOutput, Scenario, Simulation};

/// Runs the `orchsim` binary with `args` in `dir`.
pub fn orchsim(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orchsim")).current_dir(dir).args(args).output().expect("the orchsim binary runs")
}

/// The repository root (for scenarios/).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Parses `toml` as a scenario, panicking with the diagnostics if invalid.
pub fn scenario(toml: &str) -> Scenario {
    Scenario::parse(toml, "test.toml").unwrap_or_else(|e| panic!("invalid test scenario:\n{e}"))
}

/// Runs `scenario` in-process and returns its output and pod records.
pub fn run(scenario: &Scenario) -> (RunOutput, Vec<PodRecord>) {
    let mut pods = Vec::new();
    let out = Simulation::new(scenario, scenario.seed).run(&mut pods).expect("run succeeds");
    (out, pods)
}

/// A one-node, one-image scenario with `extra` appended (for [[batch]] entries).
pub fn one_node(extra: &str) -> String {
    format!(
        r#"
name = "t"
[[node_groups]]
name = "n"
count = 1
cpu = "1"
memory = "4Gi"
image_pull_bandwidth = "100Mi"
image_pull_latency = "500ms"

[[images]]
name = "app:1"
size = "100Mi"
{extra}"#
    )
}

/// Runs `scenario` in-process with explanations (`top` candidates per attempt).
pub fn run_explained(scenario: &Scenario, top: usize) -> (RunOutput, Vec<PodRecord>, Vec<orchsim::explain::DecisionRow>) {
    let (mut pods, mut rows) = (Vec::new(), Vec::new());
    let out = Simulation::new(scenario, scenario.seed)
        .run_explained(&mut pods, Some((&mut rows as &mut dyn orchsim::explain::DecisionLog, top)))
        .expect("run succeeds");
    (out, pods, rows)
}

/// Nodes of `cores` CPUs and 8 GiB with `app:1` preloaded (no pull time), for
/// scenarios that only care about who runs where and when.
pub fn preloaded_nodes(name: &str, count: u32, cores: u32) -> String {
    format!(
        "name = \"{name}\"\n[[node_groups]]\nname = \"n\"\ncount = {count}\ncpu = \"{cores}\"\nmemory = \"8Gi\"\npreloaded_images = [\"app:1\"]\n\
         [[images]]\nname = \"app:1\"\nsize = \"1Mi\"\n"
    )
}

/// A `[[batch]]` class of one job with one task of `cpu` CPUs and 1 GiB,
/// running `duration` with no startup delay; `extra` lines (start, priority,
/// …) are appended.
pub fn one_task_class(name: &str, cpu: &str, duration: &str, extra: &str) -> String {
    format!(
        "[[batch]]\nname = \"{name}\"\njobs = 1\ninterarrival = \"1s\"\nduration = \"{duration}\"\nstartup = \"0s\"\ncpu = \"{cpu}\"\n\
         memory = \"1Gi\"\nimages = [\"app:1\"]\n{extra}\n"
    )
}
