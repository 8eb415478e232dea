//! Whole-run benchmark: `benches/scenarios/k8s-1000-nodes.toml` (1,000 nodes,
//! 20,000 batch pods over one simulated hour, `kubernetes` scheduler).
//!
//! `cargo bench --bench scenario`
//!
//! Peak memory of the same run through the CLI:
//! `/usr/bin/time -v target/release/orchsim run benches/scenarios/k8s-1000-nodes.toml --out /tmp/bench --no-chart`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use orchsim::metrics::NoPodLog;
use orchsim::{Scenario, Simulation};

fn k8s_1000_nodes(c: &mut Criterion) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/scenarios/k8s-1000-nodes.toml");
    let scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let mut group = c.benchmark_group("scenario");
    group.sample_size(10);
    group.bench_function("k8s-1000-nodes-20k-pods-1h", |b| {
        b.iter(|| {
            let out = Simulation::new(&scenario, scenario.seed).run(&mut NoPodLog).expect("run");
            black_box(out.summary.pods_completed)
        })
    });
    group.finish();
}

criterion_group!(benches, k8s_1000_nodes);
criterion_main!(benches);
