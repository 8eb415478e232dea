//! Your own replica autoscaler, registered by name and run from a scenario file.
//! `cargo run --release --example custom_autoscaler` (writes results/custom-autoscaler/)
use orchsim::policy::autoscaler::{ReplicaAutoscaler, ServiceView};
use orchsim::policy::scheduler::Registry;
use orchsim::Scenario;
use orchsim::{run_to_dir, RunOptions};

/// Sizes the service for the requests/s its pods reported, at 80 % of their
/// capacity (dropped requests are not reported, so overload grows it 25 % a sync).
struct Proportional;

impl ReplicaAutoscaler for Proportional {
    fn name(&self) -> &'static str {
        "proportional"
    }
    fn desired_replicas(&mut self, view: &ServiceView<'_>) -> u32 {
        let served: f64 = view.pods.iter().filter_map(|p| p.rps).sum();
        ((served / (0.8 * view.capacity_rps)).ceil() as u32).clamp(1, 100)
    }
}

fn main() {
    let mut registry = Registry::default();
    registry.register_autoscaler("proportional", |_: &toml::Table, _rng| Box::new(Proportional) as Box<dyn ReplicaAutoscaler>);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/custom-autoscaler.toml");
    let scenario = Scenario::load_with(&path, &registry).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    match run_to_dir(&scenario, std::path::Path::new("results/custom-autoscaler"), RunOptions::of(&scenario)) {
        Ok(out) => {
            println!("{}: success {:.4}, mean replicas {:.1}", scenario.name, out.summary.request_success_ratio, out.summary.replicas_mean)
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(if e.is_bad_input() { 2 } else { 1 })
        }
    }
}
