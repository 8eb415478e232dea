//! Parallel speed-up of a sweep: `scenarios/experiments/scheduler-load.toml`
//! cut to 2 replications (40 runs of 5 schedulers at loads 0.6–1.2) run with
//! one worker and with two. The speed-up is the ratio of the two times
//! (README, Performance: the goal is ≥ 1.8× on 2 cores).
//!
//! `cargo bench --bench sweep`
//!
//! Runs write their records to a temporary directory, as `orchsim sweep
//! --quiet --no-chart` does, so the time includes the tables at the end.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use orchsim::policy::scheduler::Registry;
use orchsim::scenario::LoadOptions;
use orchsim::sweep::{self, Experiment, SweepOptions};

fn speed_up(c: &mut Criterion) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/experiments/scheduler-load.toml");
    let mut experiment = Experiment::load(&path, &Registry::default(), &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    experiment.override_runs(Some(2), None).unwrap_or_else(|e| panic!("{e}"));
    let runs = sweep::plan(&experiment).len() as u64;
    let mut group = c.benchmark_group("sweep");
    group.sample_size(10).measurement_time(Duration::from_secs(20)).throughput(Throughput::Elements(runs));
    for jobs in [1, 2] {
        group.bench_with_input(BenchmarkId::new("scheduler-load-40-runs/jobs", jobs), &jobs, |b, &jobs| {
            let dir = tempfile::tempdir().expect("temporary directory");
            let options = SweepOptions { jobs: Some(jobs), shard: None, resume: false, series: false };
            b.iter(|| sweep::run(&experiment, dir.path(), &options).unwrap_or_else(|e| panic!("{e}")).ran)
        });
    }
    group.finish();
}

criterion_group!(benches, speed_up);
criterion_main!(benches);
