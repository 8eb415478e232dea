//! Sweeps: an experiment's grid cells × replications, run in parallel.
//!
//! Run `r` is cell `r / R`, replication `r % R` (R replications per cell),
//! on seed [`replication_seed`]`(master, replication)`: every cell of one
//! replication sees the same workload draws (common random numbers), so the
//! differences between policies or parameter values within a replication are
//! due to them and not to luck, and their confidence intervals are narrow.
//!
//! Each finished run is written at once as its own record (see [`store`]);
//! the tables are rebuilt from the records at the end. So the output is the
//! same bytes whatever `--jobs` is and in whatever order runs finish, an
//! interrupted sweep loses only the runs in flight (`--resume` skips the
//! rest), and shards run anywhere merge into exactly what one machine writes.

pub mod experiment;
pub mod grid;
pub mod stats;
pub mod store;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use rayon::prelude::*;

use crate::engine::replication_seed;
use crate::metrics::NoPodLog;
use crate::simulation::{RunOutput, Simulation};
pub use experiment::{Cell, Experiment};
use store::{Manifest, RunRecord};

/// Why a sweep or merge failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SweepError {
    /// Bad input: the experiment, a flag, or a directory that holds another sweep.
    #[error("{0}")]
    Invalid(String),
    /// An output could not be written or read.
    #[error("{0}")]
    Io(String),
    /// Some runs failed; the others are recorded, and `--resume` retries these.
    #[error("{} run(s) failed:\n{}", .0.len(), .0.join("\n"))]
    Runs(Vec<String>),
}

impl SweepError {
    fn io(path: &Path, e: impl std::fmt::Display) -> SweepError {
        SweepError::Io(format!("{}: {e}", path.display()))
    }
}

/// `--shard K/N`: this process runs runs K-1, K-1+N, K-1+2N, … (1-based K),
/// so every shard gets a share of every cell and of the slow ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard, from 1.
    pub k: usize,
    /// Shards in all.
    pub n: usize,
}

impl Shard {
    /// Whether run `index` is this shard's.
    pub fn owns(&self, index: usize) -> bool {
        index % self.n == self.k - 1
    }
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("`{s}`: write K/N with 1 <= K <= N, e.g. 2/8");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (k, n): (usize, usize) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if k == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }
}

/// How to run a sweep.
#[derive(Clone, Debug, Default)]
pub struct SweepOptions {
    /// Worker threads (`None`: one per core). The output does not depend on it.
    pub jobs: Option<usize>,
    /// Run only this share of the runs.
    pub shard: Option<Shard>,
    /// Keep the completed runs already in the directory and skip them.
    pub resume: bool,
    /// Also write each run's `summary.csv`, `timeseries.csv` and, for runs
    /// with services or failures, their tables into `runs/<run>/`.
    pub series: bool,
}

/// What a sweep did.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepReport {
    /// Runs in the sweep (all shards).
    pub total: usize,
    /// Runs this process was to do (its shard).
    pub planned: usize,
    /// Of those, already recorded and skipped (`--resume`).
    pub kept: usize,
    /// Of those, run now.
    pub ran: usize,
    /// Unreadable records found when resuming (a power loss), run again.
    pub discarded: usize,
    /// The replications per cell of the sweep this one resumed and extended.
    pub extended_from: Option<u32>,
    /// Wall time of the runs, seconds.
    pub seconds: f64,
}

/// One run to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunSpec {
    /// Run number.
    pub index: usize,
    /// Grid cell.
    pub cell: usize,
    /// Replication.
    pub replication: u32,
    /// Seed.
    pub seed: u64,
}

/// Every run of `experiment`, in run order.
pub fn plan(experiment: &Experiment) -> Vec<RunSpec> {
    let reps = experiment.replications;
    (0..experiment.cells.len())
        .flat_map(|cell| (0..reps).map(move |replication| (cell, replication)))
        .enumerate()
        .map(|(index, (cell, replication))| RunSpec { index, cell, replication, seed: replication_seed(experiment.seed, replication) })
        .collect()
}

/// What a sweep directory holds for an experiment (`sweep --dry-run`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// No sweep there yet.
    Nothing,
    /// This sweep, with so many of the shard's runs recorded.
    Runs(usize),
    /// This sweep with fewer replications (`from`), and so many of the
    /// shard's runs: resuming extends it.
    Extends {
        /// Replications per cell recorded.
        from: u32,
        /// Runs recorded.
        runs: usize,
    },
    /// This sweep with more replications (`holds`): resuming is refused, as it would drop runs.
    Fewer {
        /// Replications per cell recorded.
        holds: u32,
    },
    /// Another sweep (a changed experiment, scenario or orchsim): resuming is refused.
    Other,
}

/// What `dir` holds for `experiment` and its `shard`, without changing
/// anything; counted as `--resume` would find it (see [`store::count_records`]).
pub fn recorded(experiment: &Experiment, dir: &Path, shard: Option<Shard>) -> Result<Recorded, SweepError> {
    let manifest = experiment.manifest();
    let owns = |index: usize| shard.is_none_or(|s| s.owns(index));
    Ok(match Manifest::read(dir)? {
        None => Recorded::Nothing,
        Some(old) if old == manifest => Recorded::Runs(store::count_records(dir, &manifest, owns)?),
        Some(old) if manifest.extends(&old) => {
            Recorded::Extends { from: old.replications, runs: store::count_records(dir, &manifest, owns)? }
        }
        Some(old) if old.extends(&manifest) => Recorded::Fewer { holds: old.replications },
        Some(_) => Recorded::Other,
    })
}

/// Runs `experiment` (its shard, with `options`) into `dir`, then writes the
/// tables of the runs recorded there. A directory holding another sweep is
/// refused; without `resume`, its earlier records are discarded.
pub fn run(experiment: &Experiment, dir: &Path, options: &SweepOptions) -> Result<SweepReport, SweepError> {
    run_with_progress(experiment, dir, options, &NoProgress)
}

/// Told how a sweep advances, so a front end can show it (the command line
/// draws a progress bar). Runs end on the worker threads, hence `Sync`.
pub trait Progress: Sync {
    /// `runs` runs are about to start.
    fn start(&self, runs: u64) {
        let _ = runs;
    }
    /// One more run ended (recorded or failed).
    fn run_ended(&self) {}
    /// Every run ended.
    fn finish(&self) {}
}

/// Shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {}

/// [`run`], telling `progress` as runs end.
pub fn run_with_progress(
    experiment: &Experiment,
    dir: &Path,
    options: &SweepOptions,
    progress: &dyn Progress,
) -> Result<SweepReport, SweepError> {
    let manifest = experiment.manifest();
    // An output directory that cannot be made is a bad --out.
    std::fs::create_dir_all(dir.join(store::RUNS_DIR))
        .map_err(|e| SweepError::Invalid(format!("{}: cannot create output directory: {e}", dir.display())))?;
    let mut extended_from = None;
    match Manifest::read(dir)? {
        Some(old) if options.resume && manifest.extends(&old) => extended_from = Some(old.replications),
        Some(old) if options.resume && old.extends(&manifest) => {
            return Err(SweepError::Invalid(format!(
                "{}: holds {} replications per cell; resuming can add replications but not drop them (asked for {})",
                dir.display(),
                old.replications,
                manifest.replications
            )))
        }
        Some(old) if old != manifest && options.resume => {
            return Err(SweepError::Invalid(format!(
                "{}: holds runs of another sweep (the experiment, a base scenario or orchsim changed); resume into a new --out",
                dir.display()
            )))
        }
        None if options.resume && store::has_records(dir)? => {
            return Err(SweepError::Invalid(format!(
                "{}: has run records but no {}; cannot tell which sweep they belong to",
                dir.display(),
                store::MANIFEST
            )))
        }
        _ if !options.resume => clear_records(dir)?,
        _ => {}
    }
    // The first file written: one that cannot be is a bad --out.
    manifest.write(dir).map_err(|e| SweepError::Invalid(e.to_string()))?;
    let discarded = store::discard_unreadable(dir)?;
    // After the manifest: a renumbering cut short is finished by the next resume.
    if options.resume {
        store::renumber_records(dir, &manifest)?;
    }
    let done: std::collections::BTreeSet<usize> = store::read_records(dir, &manifest)?.iter().map(|r| r.index).collect();
    let planned: Vec<RunSpec> = plan(experiment).into_iter().filter(|r| options.shard.is_none_or(|s| s.owns(r.index))).collect();
    let todo: Vec<RunSpec> = planned.iter().filter(|r| !done.contains(&r.index)).copied().collect();

    let pool = rayon::ThreadPoolBuilder::new().num_threads(options.jobs.unwrap_or(0)).build().map_err(|e| SweepError::Io(e.to_string()))?;
    progress.start(todo.len() as u64);
    let started = Instant::now();
    let mut failures: Vec<(usize, String)> = pool.install(|| {
        // One run per task (`with_max_len(1)`): by default rayon cuts the list
        // into a few blocks (4 for 2 workers) that it never re-splits once
        // started, so a worker that ends its blocks early sits idle while the
        // other finishes a block of slow runs (the high-load cells come last in
        // grid order). Measured on `scheduler-load`, 2 workers: the idle tail
        // fell from 0.55 s to under 0.1 s of a 2.2 s sweep.
        todo.par_iter()
            .with_max_len(1)
            .filter_map(|spec| {
                let outcome = run_one(experiment, spec, dir, options.series).err().map(|e| (spec.index, e));
                progress.run_ended();
                outcome
            })
            .collect()
    });
    progress.finish();
    let seconds = started.elapsed().as_secs_f64();
    let records = store::read_records(dir, &manifest)?;
    store::write_tables(dir, &manifest, &records)?;
    if !failures.is_empty() {
        failures.sort();
        return Err(SweepError::Runs(failures.into_iter().map(|(i, e)| format!("run {i}: {e}")).collect()));
    }
    Ok(SweepReport {
        total: manifest.runs(),
        planned: planned.len(),
        kept: planned.len() - todo.len(),
        ran: todo.len(),
        discarded,
        extended_from,
        seconds,
    })
}

/// Runs one grid cell's scenario on one seed and records it.
fn run_one(experiment: &Experiment, spec: &RunSpec, dir: &Path, series: bool) -> Result<(), String> {
    let scenario = &experiment.cells[spec.cell].scenario;
    let output: RunOutput = Simulation::new(scenario, spec.seed).run(&mut NoPodLog).map_err(|e| e.to_string())?;
    if series {
        let run_dir = store::series_dir(dir, spec.index);
        std::fs::create_dir_all(&run_dir).map_err(|e| format!("{}: {e}", run_dir.display()))?;
        crate::report::write_run(&run_dir, &output).map_err(|e| e.to_string())?;
    }
    let record = RunRecord {
        index: spec.index,
        cell: spec.cell,
        replication: spec.replication,
        seed: spec.seed,
        stopped_at_horizon: output.stopped_at_horizon,
        summary: output.summary,
        pending_quantiles: output.pending_quantiles,
    };
    store::write_record(dir, &record).map_err(|e| e.to_string())
}

/// Removes the run records (and series folders), tables and charts of an
/// earlier sweep in `dir`.
fn clear_records(dir: &Path) -> Result<(), SweepError> {
    store::remove_outputs(dir)?;
    let runs = dir.join(store::RUNS_DIR);
    std::fs::remove_dir_all(&runs).map_err(|e| SweepError::io(&runs, e))?;
    std::fs::create_dir_all(&runs).map_err(|e| SweepError::io(&runs, e))
}

/// Combines the run records of shard directories `dirs` into `out` and
/// writes the tables a single sweep would. The shards must be of the same
/// sweep; every run must be present (a missing one is named).
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<Manifest, SweepError> {
    let mut manifest: Option<(Manifest, &PathBuf)> = None;
    let mut records: std::collections::BTreeMap<usize, RunRecord> = std::collections::BTreeMap::new();
    for dir in dirs {
        let m = Manifest::read(dir)?
            .ok_or_else(|| SweepError::Invalid(format!("{}: no {} (not a sweep directory)", dir.display(), store::MANIFEST)))?;
        match &manifest {
            Some((first, from)) if *first != m => {
                return Err(SweepError::Invalid(format!(
                    "{}: a different sweep from {} (experiment, scenarios or orchsim differ)",
                    dir.display(),
                    from.display()
                )))
            }
            Some(_) => {}
            None => manifest = Some((m.clone(), dir)),
        }
        for r in store::read_records(dir, &m)? {
            if records.get(&r.index).is_some_and(|seen| *seen != r) {
                return Err(SweepError::Invalid(format!("{}: run {} differs from the same run in another shard", dir.display(), r.index)));
            }
            records.insert(r.index, r);
        }
    }
    let (manifest, _) = manifest.ok_or_else(|| SweepError::Invalid("merge: name at least one sweep directory".into()))?;
    let missing: Vec<usize> = (0..manifest.runs()).filter(|i| !records.contains_key(i)).collect();
    if !missing.is_empty() {
        let shown: Vec<String> = missing.iter().take(10).map(|i| i.to_string()).collect();
        return Err(SweepError::Invalid(format!(
            "merge: {} of {} runs are missing (runs {}{}); run or resume the shards that own them",
            missing.len(),
            manifest.runs(),
            shown.join(", "),
            if missing.len() > 10 { ", …" } else { "" }
        )));
    }
    if Manifest::read(out)?.is_some_and(|m| m != manifest) {
        return Err(SweepError::Invalid(format!("{}: holds another sweep; merge into a new --out", out.display())));
    }
    std::fs::create_dir_all(out.join(store::RUNS_DIR)).map_err(|e| SweepError::io(out, e))?;
    manifest.write(out)?;
    let records: Vec<RunRecord> = records.into_values().collect();
    for r in &records {
        store::write_record(out, r)?;
    }
    store::write_tables(out, &manifest, &records)?;
    Ok(manifest)
}
