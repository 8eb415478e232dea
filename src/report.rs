//! CSV outputs, written atomically: each file is written under a temporary name
//! in the output directory and renamed into place when complete, so an
//! interrupted run never leaves a truncated CSV that looks finished.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::metrics::{PodLog, PodRecord};
use crate::simulation::RunOutput;

/// A failed write of an output file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// I/O or CSV error on `path`.
    #[error("{path}: {message}")]
    Write {
        /// The file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
}

fn write_err(path: &Path, e: impl std::fmt::Display) -> ReportError {
    ReportError::Write { path: path.to_path_buf(), message: e.to_string() }
}

/// A file written under a temporary name and renamed on [`commit`](Self::commit).
pub struct AtomicFile {
    tmp: PathBuf,
    dest: PathBuf,
}

impl AtomicFile {
    /// Opens `dest.tmp` for writing.
    pub fn create(dest: &Path) -> Result<(AtomicFile, BufWriter<File>), ReportError> {
        let mut name = dest.file_name().unwrap_or_default().to_os_string();
        name.push(".tmp");
        let tmp = dest.with_file_name(name);
        let file = File::create(&tmp).map_err(|e| write_err(&tmp, e))?;
        Ok((AtomicFile { tmp, dest: dest.to_path_buf() }, BufWriter::new(file)))
    }

    /// Flushes `writer` and renames the file into place.
    pub fn commit(self, writer: BufWriter<File>) -> Result<(), ReportError> {
        let file = writer.into_inner().map_err(|e| write_err(&self.tmp, e.error()))?;
        file.sync_all().map_err(|e| write_err(&self.tmp, e))?;
        std::fs::rename(&self.tmp, &self.dest).map_err(|e| write_err(&self.dest, e))
    }
}

/// Writes `rows` to `path` as CSV with a header, atomically.
pub fn write_csv<T: Serialize>(path: &Path, rows: impl IntoIterator<Item = T>) -> Result<(), ReportError> {
    let (atomic, out) = AtomicFile::create(path)?;
    let mut w = csv::Writer::from_writer(out);
    for row in rows {
        w.serialize(row).map_err(|e| write_err(path, e))?;
    }
    let out = w.into_inner().map_err(|e| write_err(path, e.error()))?;
    atomic.commit(out)
}

/// A CSV file written row by row as a run goes (memory stays flat however
/// many rows there are), renamed into place by [`finish`](Self::finish). The
/// first write error is kept and reported by `finish`, so logging never
/// interrupts a simulation.
pub struct CsvStream<T> {
    atomic: AtomicFile,
    writer: csv::Writer<BufWriter<File>>,
    path: PathBuf,
    error: Option<ReportError>,
    rows: std::marker::PhantomData<fn(T)>,
}

impl<T: Serialize> CsvStream<T> {
    /// Starts writing `path`.
    pub fn create(path: &Path) -> Result<Self, ReportError> {
        let (atomic, out) = AtomicFile::create(path)?;
        Ok(CsvStream {
            atomic,
            writer: csv::Writer::from_writer(out),
            path: path.to_path_buf(),
            error: None,
            rows: std::marker::PhantomData,
        })
    }

    /// Appends one row.
    pub fn write(&mut self, row: T) {
        if self.error.is_none() {
            if let Err(e) = self.writer.serialize(row) {
                self.error = Some(write_err(&self.path, e));
            }
        }
    }

    /// Completes the file, or reports the first error.
    pub fn finish(self) -> Result<(), ReportError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let mut out = self.writer.into_inner().map_err(|e| write_err(&self.path, e.error()))?;
        out.flush().map_err(|e| write_err(&self.path, e))?;
        self.atomic.commit(out)
    }
}

/// `pods.csv`, streamed as pods finish.
pub type CsvPodLog = CsvStream<PodRecord>;

impl PodLog for CsvPodLog {
    fn record(&mut self, record: PodRecord) {
        self.write(record);
    }
}

/// Writes `summary.csv` and `timeseries.csv` into `dir`; for runs with
/// services or a node autoscaler, `services.csv`, `services_summary.csv` and
/// `scaling_events.csv`; for runs with batch classes, `batch_summary.csv`;
/// and for runs where something failed, `failure_events.csv`.
pub fn write_run(dir: &Path, output: &RunOutput) -> Result<(), ReportError> {
    write_csv(&dir.join("summary.csv"), std::iter::once(&output.summary))?;
    write_csv(&dir.join("timeseries.csv"), &output.samples)?;
    if !output.service_summaries.is_empty() {
        write_csv(&dir.join("services.csv"), &output.services)?;
        write_csv(&dir.join("services_summary.csv"), &output.service_summaries)?;
    }
    if !output.service_summaries.is_empty() || !output.scaling_events.is_empty() {
        write_csv(&dir.join("scaling_events.csv"), &output.scaling_events)?;
    }
    if !output.failure_events.is_empty() {
        write_csv(&dir.join("failure_events.csv"), &output.failure_events)?;
    }
    if !output.batch_summaries.is_empty() {
        write_csv(&dir.join("batch_summary.csv"), &output.batch_summaries)?;
    }
    Ok(())
}
