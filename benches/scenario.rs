//! Whole-run benchmarks of the scenarios in `benches/scenarios/`:
//!
//! * `k8s-1000-nodes`: 1,000 nodes, 20,000 batch pods over one simulated hour;
//! * `k8s-10000-nodes-100k-pods`: 100,000 pods placed onto 10,000 nodes with
//!   the full `kubernetes` profile (throughput in pods placed per second);
//! * `oversubscribed-1000-nodes`: 100,000 pods on 1,000 nodes, most waiting,
//!   over one simulated hour (parked pods must not be retried in a loop).
//!
//! `cargo bench --bench scenario` (all) or `cargo bench --bench scenario -- 10000`.
//!
//! Peak memory of the same runs through the CLI:
//! `/usr/bin/time -v target/release/orchsim run benches/scenarios/<file>.toml --out /tmp/bench --no-chart`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use orchsim::metrics::NoPodLog;
use orchsim::{Scenario, Simulation};

/// Benchmarks one whole run of `benches/scenarios/{file}.toml`, reporting
/// throughput as pods submitted per second of wall time.
fn whole_run(c: &mut Criterion, file: &str, measurement: Duration) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("benches/scenarios/{file}.toml"));
    let scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let pods = Simulation::new(&scenario, scenario.seed).run(&mut NoPodLog).expect("run").summary.pods_submitted;
    let mut group = c.benchmark_group("scenario");
    group.sample_size(10).measurement_time(measurement).throughput(Throughput::Elements(pods));
    group.bench_function(file, |b| {
        b.iter(|| {
            let out = Simulation::new(&scenario, scenario.seed).run(&mut NoPodLog).expect("run");
            black_box(out.summary.pods_completed)
        })
    });
    group.finish();
}

fn scenarios(c: &mut Criterion) {
    whole_run(c, "k8s-1000-nodes", Duration::from_secs(5));
    whole_run(c, "k8s-10000-nodes-100k-pods", Duration::from_secs(20));
    whole_run(c, "oversubscribed-1000-nodes", Duration::from_secs(8));
}

criterion_group!(benches, scenarios);
criterion_main!(benches);
