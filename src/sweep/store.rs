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

use super::stats::Estimate;
use super::SweepError;
use crate::engine::replication_seed;
use crate::metrics::Summary;
use crate::report::{AtomicFile, CsvStream};

/// The manifest's file name (it also marks the directory as a sweep's).
pub const MANIFEST: &str = crate::report::output_dir::SWEEP_MARKER;
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

    /// Whether this is the sweep `old` with more replications per cell and
    /// nothing else changed: resuming `old`'s directory then keeps its runs
    /// (their seeds depend on the replication only) and adds the new ones.
    pub fn extends(&self, old: &Manifest) -> bool {
        self.replications > old.replications && *self == Manifest { replications: self.replications, ..old.clone() }
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

/// The `--series` folder of run `index`.
pub fn series_dir(dir: &Path, index: usize) -> PathBuf {
    dir.join(RUNS_DIR).join(format!("{index:06}"))
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

/// Moves every record in `dir` to its run number under `manifest`, from its
/// cell and replication; returns how many moved. Needed after the
/// replications per cell grew: run `cell × R + r` is then a larger number.
///
/// Safe to repeat and to interrupt. Records are visited from the highest
/// number down and never move down (R only grows), so the slot a record moves
/// to has been vacated already: its record went further up, and no other
/// record belongs there. A record that is no run of `manifest` stays where it
/// is, for [`read_records`] to refuse. A `--series` folder moves with its
/// record (a stale one of a run killed in flight is replaced).
pub fn renumber_records(dir: &Path, manifest: &Manifest) -> Result<usize, SweepError> {
    let mut records = Vec::new();
    for path in record_files(dir)? {
        records.push((parse_record(&path)?, path));
    }
    records.sort_by_key(|(r, _)| std::cmp::Reverse(r.index));
    let mut moved = 0;
    for (mut record, path) in records {
        let Some(index) = planned_index(&record, manifest).filter(|&i| i != record.index) else { continue };
        let (old_series, new_series) = (series_dir(dir, record.index), series_dir(dir, index));
        if old_series.is_dir() {
            if new_series.exists() {
                std::fs::remove_dir_all(&new_series).map_err(|e| SweepError::io(&new_series, e))?;
            }
            std::fs::rename(&old_series, &new_series).map_err(|e| SweepError::io(&old_series, e))?;
        }
        record.index = index;
        write_record(dir, &record)?;
        std::fs::remove_file(&path).map_err(|e| SweepError::io(&path, e))?;
        moved += 1;
    }
    Ok(moved)
}

/// Runs of `manifest` recorded in `dir` that `owns` takes, counted without
/// changing anything, as a resume would find them: a record that does not
/// parse is left out (resuming reruns it), and one that an interrupted
/// renumbering left at its old number counts by its cell and replication.
pub fn count_records(dir: &Path, manifest: &Manifest, owns: impl Fn(usize) -> bool) -> Result<usize, SweepError> {
    let mut runs = std::collections::BTreeSet::new();
    for path in record_files(dir)? {
        let record = match parse_record(&path) {
            Ok(record) => record,
            Err(SweepError::Invalid(_)) => continue,
            Err(e) => return Err(e),
        };
        if let Some(index) = planned_index(&record, manifest).filter(|&i| owns(i)) {
            runs.insert(index);
        }
    }
    Ok(runs.len())
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

/// The run number that `r`'s cell and replication have under `m`, if `r`
/// is a run of that sweep at all (its cell, replication and seed fit).
fn planned_index(r: &RunRecord, m: &Manifest) -> Option<usize> {
    let belongs = r.cell < m.cells.len() && r.replication < m.replications && r.seed == replication_seed(m.seed, r.replication);
    belongs.then(|| r.cell * m.replications as usize + r.replication as usize)
}

/// A record must be the run its name and the manifest say it is.
fn check_record(r: &RunRecord, m: &Manifest, path: &Path) -> Result<(), SweepError> {
    let consistent = planned_index(r, m) == Some(r.index) && record_path(Path::new(""), r.index).file_name() == path.file_name();
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

/// Deletes the tables and charts of an earlier sweep in `dir` (not its
/// records or manifest), so that none is left to be taken for those of the
/// sweep replacing it, should that one fail or write other charts: the
/// tables, and each chart of a summary metric (`METRIC_bars`,
/// `METRIC_by_PARAMETER`) or of the pending times, as PNG and SVG.
pub fn remove_outputs(dir: &Path) -> Result<(), SweepError> {
    let metrics = summary_columns();
    let is_chart = |stem: &str| {
        stem == "pending_cdf"
            || metrics.iter().any(|m| stem.strip_prefix(m.as_str()).is_some_and(|rest| rest == "_bars" || rest.starts_with("_by_")))
    };
    let entries = std::fs::read_dir(dir).map_err(|e| SweepError::io(dir, e))?;
    for entry in entries {
        let path = entry.map_err(|e| SweepError::io(dir, e))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let table = ["runs.csv", "summary.csv", "pending_cdf.csv"]
            .iter()
            .any(|t| name.strip_prefix(t).is_some_and(|r| r.is_empty() || r == ".tmp"));
        let chart = [".png", ".svg", ".tmp.png", ".tmp.svg"].iter().any(|ext| name.strip_suffix(ext).is_some_and(is_chart));
        if (table || chart) && path.is_file() {
            std::fs::remove_file(&path).map_err(|e| SweepError::io(&path, e))?;
        }
    }
    Ok(())
}

/// The run summary's column names, in order.
pub fn summary_columns() -> Vec<String> {
    crate::report::header::<Summary>().map_or(Vec::new(), |h| h.iter().map(String::from).collect())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(replications: u32) -> Manifest {
        Manifest {
            orchsim: "test".into(),
            name: "t".into(),
            seed: 7,
            replications,
            parameters: vec!["load".into()],
            cells: vec![vec!["0.5".into()], vec!["1".into()], vec!["1.5".into()]],
            metrics: Vec::new(),
            sources: Vec::new(),
        }
    }

    fn record(cell: usize, replication: u32, replications: u32) -> RunRecord {
        RunRecord {
            index: cell * replications as usize + replication as usize,
            cell,
            replication,
            seed: replication_seed(7, replication),
            stopped_at_horizon: false,
            summary: Summary { pods_submitted: (10 * cell) as u64 + u64::from(replication), ..Summary::default() },
            pending_quantiles: Vec::new(),
        }
    }

    /// (cell, replication) of the record in each file, by file name.
    fn layout(dir: &Path) -> Vec<(String, usize, u32)> {
        let mut files: Vec<_> = record_files(dir)
            .unwrap()
            .into_iter()
            .map(|p| {
                let r = parse_record(&p).unwrap();
                (p.file_name().unwrap().to_string_lossy().into_owned(), r.cell, r.replication)
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn only_more_replications_extend_a_manifest() {
        assert!(manifest(5).extends(&manifest(3)));
        assert!(!manifest(3).extends(&manifest(3)) && !manifest(3).extends(&manifest(5)));
        assert!(!manifest(5).extends(&Manifest { seed: 8, ..manifest(3) }));
    }

    #[test]
    fn renumbering_moves_each_record_to_its_cell_and_replication_even_when_repeated_or_cut_short() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::create_dir_all(dir.join(RUNS_DIR)).unwrap();
        for cell in 0..3 {
            for rep in 0..2 {
                write_record(dir, &record(cell, rep, 2)).unwrap();
            }
        }
        std::fs::create_dir_all(series_dir(dir, 5)).unwrap();
        std::fs::write(series_dir(dir, 5).join("summary.csv"), "cell 2, replication 1").unwrap();
        // As a renumbering killed after its first move leaves it: the highest
        // record already at its new number (2 × 4 + 1), the others not.
        let mut first = record(2, 1, 2);
        first.index = 9;
        write_record(dir, &first).unwrap();
        std::fs::remove_file(record_path(dir, 5)).unwrap();
        std::fs::rename(series_dir(dir, 5), series_dir(dir, 9)).unwrap();

        let m = manifest(4);
        assert_eq!(renumber_records(dir, &m).unwrap(), 3, "runs 2, 3, 4 move to 4, 5, 8; 0, 1 and 9 are in place");
        let want: Vec<(String, usize, u32)> = [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1)]
            .iter()
            .map(|&(c, r)| (format!("{:06}.json", c * 4 + r as usize), c, r))
            .collect();
        assert_eq!(layout(dir), want);
        assert_eq!(std::fs::read_to_string(series_dir(dir, 9).join("summary.csv")).unwrap(), "cell 2, replication 1");
        let records = read_records(dir, &m).unwrap();
        assert_eq!(records.iter().map(|r| r.summary.pods_submitted).collect::<Vec<_>>(), [0, 1, 10, 11, 20, 21]);
        assert_eq!(renumber_records(dir, &m).unwrap(), 0, "a second pass has nothing to do");
    }
}
