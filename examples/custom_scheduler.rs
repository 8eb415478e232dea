//! A custom scheduler in a few lines: bind each pod to the feasible node with
//! the most free memory, then run the quickstart scenario with it.
//!
//! `cargo run --release --example custom_scheduler`

use orchsim::metrics::NoPodLog;
use orchsim::model::{NodeId, Pod};
use orchsim::policy::scheduler::{filter, ClusterView, FilterCounts, Placement, Scheduler};
use orchsim::{Scenario, Simulation};

/// Binds each pod to the feasible node with the most free memory.
struct MostFreeMemory;

impl Scheduler for MostFreeMemory {
    fn name(&self) -> &'static str {
        "most-free-memory"
    }
    fn schedule(&mut self, pod: &Pod, view: &ClusterView<'_>) -> Placement {
        let mut counts = FilterCounts::default();
        let mut best: Option<(u64, usize)> = None;
        for (i, node) in view.nodes().iter().enumerate() {
            let r = filter::check(pod, node);
            if !r.is_none() {
                counts.record(r);
                continue;
            }
            let free = node.free().memory_bytes;
            if best.is_none_or(|(f, _)| free > f) {
                best = Some((free, i));
            }
        }
        match best {
            Some((_, i)) => Placement::Bind(NodeId(i as u32)),
            None => Placement::Unschedulable(counts),
        }
    }
}

fn main() {
    let scenario = Scenario::quickstart();
    let mut sim = Simulation::with_policy(&scenario, scenario.seed, Box::new(MostFreeMemory));
    let out = sim.run(&mut NoPodLog).expect("the run completes");
    let s = &out.summary;
    println!(
        "{}: {} pods completed, mean CPU allocated {:.1} %, pending p95 {:.1} s",
        s.policy,
        s.pods_completed,
        s.mean_cpu_allocated * 100.0,
        s.pending_p95_s
    );
}
