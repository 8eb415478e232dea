//! Your own scheduler, registered by name and run from a scenario file.
//! `cargo run --release --example custom_scheduler` (writes results/custom-scheduler/)
use orchsim::model::Pod;
use orchsim::policy::scheduler::{pick_max, ClusterView, Placement, Registry, Scheduler};
use orchsim::Scenario;
use orchsim::{run_to_dir, RunOptions};

/// Binds each pod to the feasible node with the most free memory.
struct MostFreeMemory;

impl Scheduler for MostFreeMemory {
    fn name(&self) -> &'static str {
        "most-free-memory"
    }
    fn schedule(&mut self, pod: &Pod, view: &ClusterView<'_>) -> Placement {
        // pick_max runs the standard filters, then takes the node with the highest key.
        pick_max(pod, view, |_, node| Some(node.free().memory_bytes))
    }
}

fn main() {
    let mut registry = Registry::default();
    registry.register("most-free-memory", |_: &toml::Table, _rng| Box::new(MostFreeMemory) as Box<dyn Scheduler>);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/custom-scheduler.toml");
    let scenario = Scenario::load_with(&path, &registry).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    match run_to_dir(&scenario, std::path::Path::new("results/custom-scheduler"), RunOptions::of(&scenario)) {
        Ok(out) => {
            println!("{}: {} pods done, p95 wait {:.1} s", out.summary.policy, out.summary.pods_completed, out.summary.pending_p95_s)
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(if e.is_bad_input() { 2 } else { 1 })
        }
    }
}
