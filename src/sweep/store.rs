//! A sweep's directory and the tables built from it.
//!
//! ```text
//! DIR/sweep.json          what the sweep is: grid cells, replications, seed, sources
//! DIR/runs/000042.json    one completed run, written atomically when it finishes
//! DIR/runs.csv            one row per run          } rebuilt from runs/ after every
//! DIR/summary.csv         one row per cell × metric } sweep, shard, merge or resume
//! DIR/pending_cdf.csv     pending-time quantiles per cell
//! ```
//!
//! The tables are always rebuilt from the run records on disk, by the same
//! code whether the runs came from one process, from a resumed one or from
//! merged shards: that is what makes their bytes equal.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::experiment::Experiment;
use super::stats::Estimate;
use super::SweepError;
use crate::engine::replication_seed;
use crate::metrics::Summary;
use crate::report::{AtomicFile, CsvStream};

/// The manifest's file name.
pub const MANIFEST: &str = "sweep.json";
/// The folder of run records.
pub const RUNS_DIR: &str = "runs";
/// Summary columns that identify a run rather than measure it.
const IDENTITY_COLUMNS: [&str; 3] = ["scenario", "policy", "seed"];

/// What a sweep is: enough to check that a directory being resumed or merged
/// holds runs of the same sweep, and to rebuild its tables and charts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// orchsim's version that wrote it (runs of other versions are not mixed).
    pub orchsim: String,
    /// Experiment name.
    pub name: String,
    /// Master seed.
    pub seed: u64,
    /// Replications per cell.
    pub replications: u32,
    /// Parameter names.
    pub parameters: Vec<String>,
    /// Each cell's parameter values.
    pub cells: Vec<Vec<String>>,
    /// Metrics to chart.
    pub metrics: Vec<String>,
    /// The experiment file and base scenarios, verbatim.
    pub sources: Vec<String>,
}

impl Manifest {
    /// The manifest of `experiment`.
    pub fn of(experiment: &Experiment) -> Manifest {
        Manifest {
            orchsim: env!("CARGO_PKG_VERSION").to_string(),
            name: experiment.name.clone(),
            seed: experiment.seed,
            replications: experiment.replications,
            parameters: experiment.parameter_names(),
            cells: experiment.cells.iter().map(|c| c.values.clone()).collect(),
            metrics: experiment.metrics.clone(),
            sources: experiment.sources.clone(),
        }
    }

    /// Runs in the whole sweep.
    pub fn runs(&self) -> usize {
        self.cells.len() * self.replications as usize
    }

    /// The manifest in `dir`, if there is one.
    pub fn read(dir: &Path) -> Result<Option<Manifest>, SweepError> {
        let path = dir.join(MANIFEST);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| SweepError::Invalid(format!("{}: not a sweep manifest: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(SweepError::io(&path, e)),
        }
    }

    /// Writes the manifest into `dir`, atomically.
    pub fn write(&self, dir: &Path) -> Result<(), SweepError> {
        write_json(&dir.join(MANIFEST), self, true)
    }
}

/// One completed run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Run number: `cell × replications + replication`.
    pub index: usize,
    /// Grid cell.
    pub cell: usize,
    /// Replication.
    pub replication: u32,
    /// The run's seed.
    pub seed: u64,
    /// Whether a run without a duration was cut at the horizon.
    pub stopped_at_horizon: bool,
    /// The run's summary row.
    pub summary: Summary,
    /// Pending-time quantiles, q = 0, 0.01, …, 1 (seconds).
    pub pending_quantiles: Vec<f64>,
}

/// The record file of run `index`.
pub fn record_path(dir: &Path, index: usize) -> PathBuf {
    dir.join(RUNS_DIR).join(format!("{index:06}.json"))
}

/// Writes a run's record, atomically: a sweep killed mid-write leaves only a
/// `.tmp` file, which resuming ignores.
///
/// Records are renamed into place without a sync to disk: the rename keeps
/// them atomic if the process is killed, and a sweep of quick runs writes
/// thousands of them. A record lost or left empty by a power loss is found
/// unreadable when resuming, and its run is simply done again.
pub fn write_record(dir: &Path, record: &RunRecord) -> Result<(), SweepError> {
    write_json(&record_path(dir, record.index), record, false)
}

fn write_json<T: Serialize>(path: &Path, value: &T, sync: bool) -> Result<(), SweepError> {
    let (atomic, mut out) = AtomicFile::create(path).map_err(|e| SweepError::Io(e.to_string()))?;
    serde_json::to_writer_pretty(&mut out, value).map_err(|e| SweepError::io(path, e))?;
    let committed = if sync { atomic.commit(out) } else { atomic.commit_unsynced(out) };
    committed.map_err(|e| SweepError::Io(e.to_string()))
}

/// The run record files in `dir` (skipping the `.tmp` files of runs in
/// flight when a sweep was killed, and `--series` folders).
fn record_files(dir: &Path) -> Result<Vec<PathBuf>, SweepError> {
    let runs = dir.join(RUNS_DIR);
    let entries = match std::fs::read_dir(&runs) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(SweepError::io(&runs, e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| SweepError::io(&runs, e))?.path();
        if path.extension().is_some_and(|x| x == "json") {
            files.push(path);
        }
    }
    Ok(files)
}

/// Whether `dir` holds any run record.
pub fn has_records(dir: &Path) -> Result<bool, SweepError> {
    Ok(!record_files(dir)?.is_empty())
}

fn parse_record(path: &Path) -> Result<RunRecord, SweepError> {
    let text = std::fs::read_to_string(path).map_err(|e| SweepError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| SweepError::Invalid(format!("{}: not a run record: {e}", path.display())))
}

/// The completed runs recorded in `dir`, checked against `manifest`.
pub fn read_records(dir: &Path, manifest: &Manifest) -> Result<Vec<RunRecord>, SweepError> {
    let mut records = Vec::new();
    for path in record_files(dir)? {
        let record = parse_record(&path)?;
        check_record(&record, manifest, &path)?;
        records.push(record);
    }
    records.sort_by_key(|r| r.index);
    Ok(records)
}

/// Deletes the records in `dir` that do not parse (left empty or cut short
/// by a power loss: they are not synced), so that resuming runs them again;
/// returns how many there were.
pub fn discard_unreadable(dir: &Path) -> Result<usize, SweepError> {
    let mut discarded = 0;
    for path in record_files(dir)? {
        if let Err(SweepError::Invalid(_)) = parse_record(&path) {
            std::fs::remove_file(&path).map_err(|e| SweepError::io(&path, e))?;
            discarded += 1;
        }
    }
    Ok(discarded)
}

/// A record must be the run its name and the manifest say it is.
fn check_record(r: &RunRecord, m: &Manifest, path: &Path) -> Result<(), SweepError> {
    let reps = m.replications as usize;
    let consistent = r.index < m.runs()
        && record_path(Path::new(""), r.index).file_name() == path.file_name()
        && r.cell == r.index / reps
        && r.replication as usize == r.index % reps
        && r.seed == replication_seed(m.seed, r.replication);
    if consistent {
        Ok(())
    } else {
        Err(SweepError::Invalid(format!(
            "{}: run {} does not belong to sweep `{}` as planned in {MANIFEST}",
            path.display(),
            r.index,
            m.name
        )))
    }
}

/// Writes `runs.csv`, `summary.csv` and `pending_cdf.csv` into `dir` from `records` (sorted by run).
pub fn write_tables(dir: &Path, manifest: &Manifest, records: &[RunRecord]) -> Result<(), SweepError> {
    let fields: Vec<Vec<(String, String)>> = records.iter().map(|r| summary_fields(&r.summary)).collect::<Result<_, _>>()?;
    let params = &manifest.parameters;
    // A summary column a parameter already gives (policy, scenario) is not repeated.
    let kept = |name: &str| !params.iter().any(|p| p == name) && name != "seed";

    // The header even without runs (a shard that owns none), so readers get the columns.
    let mut runs = table(&dir.join("runs.csv"))?;
    let header = ["run", "cell", "replication", "seed"].map(String::from).into_iter().chain(params.iter().cloned());
    runs.write(header.chain(summary_columns().into_iter().filter(|k| kept(k))).collect());
    for (r, f) in records.iter().zip(&fields) {
        let head = [r.index.to_string(), r.cell.to_string(), r.replication.to_string(), r.seed.to_string()];
        let values = f.iter().filter(|(k, _)| kept(k)).map(|(_, v)| v.clone());
        runs.write(head.into_iter().chain(manifest.cells[r.cell].iter().cloned()).chain(values).collect());
    }
    runs.finish().map_err(io_error)?;

    let mut summary = table(&dir.join("summary.csv"))?;
    let metric_head = ["metric", "n", "mean", "sd", "ci95_low", "ci95_high"].map(String::from);
    summary.write(std::iter::once("cell".to_string()).chain(params.iter().cloned()).chain(metric_head).collect());
    // Every record has the summary's columns in the same order.
    let metrics: Vec<(usize, &str)> = fields.first().map_or(Vec::new(), |f| {
        f.iter().enumerate().map(|(i, (k, _))| (i, k.as_str())).filter(|(_, k)| !IDENTITY_COLUMNS.contains(k)).collect()
    });
    for (cell, values) in manifest.cells.iter().enumerate() {
        let of_cell: Vec<&Vec<(String, String)>> = records.iter().zip(&fields).filter(|(r, _)| r.cell == cell).map(|(_, f)| f).collect();
        for &(column, metric) in &metrics {
            let xs: Vec<f64> = of_cell.iter().filter_map(|f| f[column].1.parse().ok()).collect();
            let Some(e) = Estimate::of(&xs) else { continue };
            let opt = |x: Option<f64>| x.map_or(String::new(), |x| x.to_string());
            let stats = [metric.to_string(), e.n.to_string(), e.mean.to_string(), opt(e.sd), opt(e.low()), opt(e.high())];
            summary.write(std::iter::once(cell.to_string()).chain(values.iter().cloned()).chain(stats).collect());
        }
    }
    summary.finish().map_err(io_error)?;

    write_pending_cdf(dir, manifest, records)
}

/// `pending_cdf.csv`: per cell, the pending-time quantiles averaged over
/// its replications (quantile averaging keeps each run's shape and weighs
/// every replication equally, whatever its pod count).
fn write_pending_cdf(dir: &Path, manifest: &Manifest, records: &[RunRecord]) -> Result<(), SweepError> {
    let params = &manifest.parameters;
    let policy_is_parameter = params.iter().any(|p| p == "policy");
    let mut out = table(&dir.join("pending_cdf.csv"))?;
    let extra: &[&str] = if policy_is_parameter { &["quantile", "pending_s"] } else { &["policy", "quantile", "pending_s"] };
    out.write(std::iter::once("cell".to_string()).chain(params.iter().cloned()).chain(extra.iter().map(|s| s.to_string())).collect());
    for (cell, values) in manifest.cells.iter().enumerate() {
        let runs: Vec<&RunRecord> = records.iter().filter(|r| r.cell == cell && !r.pending_quantiles.is_empty()).collect();
        let Some(first) = runs.first() else { continue };
        let points = first.pending_quantiles.len();
        for k in 0..points {
            let mean = runs.iter().map(|r| r.pending_quantiles.get(k).copied().unwrap_or(0.0)).sum::<f64>() / runs.len() as f64;
            let q = k as f64 / (points - 1).max(1) as f64;
            let policy = (!policy_is_parameter).then(|| first.summary.policy.clone());
            let row =
                std::iter::once(cell.to_string()).chain(values.iter().cloned()).chain(policy).chain([q.to_string(), mean.to_string()]);
            out.write(row.collect());
        }
    }
    out.finish().map_err(io_error)
}

/// The run summary's column names, in order.
pub fn summary_columns() -> Vec<String> {
    summary_fields(&Summary::default()).map_or(Vec::new(), |f| f.into_iter().map(|(k, _)| k).collect())
}

/// Whether `name` is a metric: a summary column other than the run's identity.
pub fn is_metric(columns: &[String], name: &str) -> bool {
    columns.iter().any(|c| c == name) && !IDENTITY_COLUMNS.contains(&name)
}

/// A summary row as (column, text) pairs, in `summary.csv`'s column order.
fn summary_fields(s: &Summary) -> Result<Vec<(String, String)>, SweepError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.serialize(s).map_err(|e| SweepError::Io(format!("summary row: {e}")))?;
    let bytes = w.into_inner().map_err(|e| SweepError::Io(format!("summary row: {e}")))?;
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    let header = r.headers().map_err(|e| SweepError::Io(format!("summary row: {e}")))?.clone();
    let row = r.records().next().and_then(Result::ok).unwrap_or_default();
    Ok(header.iter().zip(row.iter()).map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

/// Starts writing a CSV table through [`CsvStream`] (atomic; the first write
/// error is reported when it is finished).
fn table(path: &Path) -> Result<CsvStream<Vec<String>>, SweepError> {
    CsvStream::create(path).map_err(io_error)
}

fn io_error(e: crate::report::ReportError) -> SweepError {
    SweepError::Io(e.to_string())
}
