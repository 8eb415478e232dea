//! CSV outputs, written atomically: each file is written under a temporary name
//! in the output directory and renamed into place when complete, so an
//! interrupted run never leaves a truncated CSV that looks finished. They are
//! read back by [`read_csv`] (charts are redrawn from a run directory).

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::explain::{Decision, DecisionLog, DecisionRow};
use crate::metrics::{PodLog, PodRecord};

pub mod output_dir;
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

/// An output file that cannot be read back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The file is missing or unreadable.
    #[error("{path}: cannot read: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        message: String,
    },
    /// A row (or the header) is malformed: a value that does not parse, a
    /// missing column, a row of the wrong width.
    #[error("{path}: line {line}: {message}")]
    Bad {
        /// The file.
        path: PathBuf,
        /// 1-based line (the header is line 1).
        line: u64,
        /// What is wrong, naming the column where known.
        message: String,
    },
}

fn write_err(path: &Path, e: impl std::fmt::Display) -> ReportError {
    ReportError::Write { path: path.to_path_buf(), message: e.to_string() }
}

/// Temporary files being written, for [`remove_temp_files`].
static IN_FLIGHT: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// The registry of temporary files. A thread that panicked while holding it
/// left it consistent (each change is one insert or remove), so poisoning is ignored.
fn in_flight() -> MutexGuard<'static, BTreeSet<PathBuf>> {
    IN_FLIGHT.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A temporary file that is removed unless it is [`persist`](Self::persist)ed
/// under its final name: when dropped (an error, a panic) and, in the binary,
/// on SIGINT or SIGTERM. A `.tmp` file must never outlive the process that
/// wrote it, or it could be taken for a result.
#[derive(Debug)]
pub struct TempPath {
    path: PathBuf,
    persisted: bool,
}

impl TempPath {
    /// Creates (truncates) the file at `path` and registers it, both under
    /// the registry's lock, so a signal handler never misses a file that exists.
    pub fn create(path: PathBuf) -> std::io::Result<(TempPath, File)> {
        let mut files = in_flight();
        let file = File::create(&path)?;
        files.insert(path.clone());
        Ok((TempPath { path, persisted: false }, file))
    }

    /// The temporary file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the file to `dest`; if that fails, it is removed.
    pub fn persist(mut self, dest: &Path) -> std::io::Result<()> {
        std::fs::rename(&self.path, dest)?;
        self.persisted = true;
        Ok(())
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        if !self.persisted {
            // Best effort: the error being reported, if any, is the one that matters.
            let _ = std::fs::remove_file(&self.path);
        }
        in_flight().remove(&self.path);
    }
}

/// Removes every temporary file being written, then runs `then` while no new
/// one can be created (the registry stays locked). For a front end's signal
/// handler, whose `then` exits the process (see the binary's
/// `cli::remove_temp_files_on_signal`).
pub fn remove_temp_files(then: impl FnOnce()) {
    let files = in_flight();
    for path in files.iter() {
        let _ = std::fs::remove_file(path);
    }
    then();
    drop(files);
}

/// A file written under a temporary name (`NAME.tmp`) and renamed on
/// [`commit`](Self::commit); dropped uncommitted, the temporary file is removed.
pub struct AtomicFile {
    tmp: TempPath,
    dest: PathBuf,
}

impl AtomicFile {
    /// Opens `dest.tmp` for writing.
    pub fn create(dest: &Path) -> Result<(AtomicFile, BufWriter<File>), ReportError> {
        let mut name = dest.file_name().unwrap_or_default().to_os_string();
        name.push(".tmp");
        let tmp = dest.with_file_name(name);
        let (tmp, file) = TempPath::create(tmp.clone()).map_err(|e| write_err(&tmp, e))?;
        Ok((AtomicFile { tmp, dest: dest.to_path_buf() }, BufWriter::new(file)))
    }

    /// Flushes `writer`, syncs the file to disk and renames it into place.
    pub fn commit(self, writer: BufWriter<File>) -> Result<(), ReportError> {
        self.finish(writer, true)
    }

    /// Flushes `writer` and renames the file into place without waiting for
    /// the disk: still atomic if the process is killed (the rename is), but
    /// after a power loss the file may be empty. For many small files whose
    /// readers check them (a sweep's run records), where a sync per file
    /// would cost more than the work it protects.
    pub fn commit_unsynced(self, writer: BufWriter<File>) -> Result<(), ReportError> {
        self.finish(writer, false)
    }

    fn finish(self, writer: BufWriter<File>, sync: bool) -> Result<(), ReportError> {
        let file = writer.into_inner().map_err(|e| write_err(self.tmp.path(), e.error()))?;
        if sync {
            file.sync_all().map_err(|e| write_err(self.tmp.path(), e))?;
        }
        self.tmp.persist(&self.dest).map_err(|e| write_err(&self.dest, e))
    }
}

/// The header of `T`'s CSV rows: the column names the csv crate writes
/// before the first row, found by serializing `T::default()` (so they are
/// never listed twice). `None` for rows that are not structs (`Vec<String>`),
/// which carry no names: their writer writes its own header row.
///
/// The csv crate writes a header only with the first row; a table with no
/// rows needs this to still have its columns (pandas cannot load a 0-byte file).
pub fn header<T: Serialize + Default>() -> Option<csv::StringRecord> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.serialize(T::default()).ok()?;
    let bytes = w.into_inner().ok()?;
    let mut lines = csv::ReaderBuilder::new().has_headers(false).from_reader(bytes.as_slice()).into_records();
    let first = lines.next()?.ok()?;
    // A header and a row for a struct; the row alone otherwise.
    lines.next().is_some().then_some(first)
}

/// Writes the header of `T` to `w` if no row was written, so that an empty
/// table still names its columns.
fn header_if_empty<T: Serialize + Default, W: Write>(w: &mut csv::Writer<W>, rows: u64) -> csv::Result<()> {
    match header::<T>() {
        Some(names) if rows == 0 => w.write_record(&names),
        _ => Ok(()),
    }
}

/// Writes `rows` to `path` as CSV with a header (also when there is no
/// row), atomically.
pub fn write_csv<'a, T: Serialize + Default + 'a>(path: &Path, rows: impl IntoIterator<Item = &'a T>) -> Result<(), ReportError> {
    let (atomic, out) = AtomicFile::create(path)?;
    let mut w = csv::Writer::from_writer(out);
    let mut written = 0;
    for row in rows {
        w.serialize(row).map_err(|e| write_err(path, e))?;
        written += 1;
    }
    header_if_empty::<T, _>(&mut w, written).map_err(|e| write_err(path, e))?;
    let out = w.into_inner().map_err(|e| write_err(path, e.error()))?;
    atomic.commit(out)
}

/// [`write_csv`], with a header even when there are no rows: the csv crate
/// takes the header from the first row it writes, so an empty table would be
/// an empty file, which tells a reader nothing of its columns. The header of
/// an empty table is that of `T::default()`.
pub fn write_table<T: Serialize + Default>(path: &Path, rows: &[T]) -> Result<(), ReportError> {
    if !rows.is_empty() {
        return write_csv(path, rows);
    }
    let mut header = csv::Writer::from_writer(Vec::new());
    header.serialize(T::default()).map_err(|e| write_err(path, e))?;
    let bytes = header.into_inner().map_err(|e| write_err(path, e.error()))?;
    // The header is the first record; the default row, the second, is left out.
    let header_len = bytes.iter().position(|&b| b == b'\n').map_or(bytes.len(), |i| i + 1);
    let (atomic, mut out) = AtomicFile::create(path)?;
    out.write_all(&bytes[..header_len]).map_err(|e| write_err(path, e))?;
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
    /// Rows written so far (none: `finish` writes the header alone).
    written: u64,
    rows: std::marker::PhantomData<fn(T)>,
}

impl<T: Serialize + Default> CsvStream<T> {
    /// Starts writing `path`.
    pub fn create(path: &Path) -> Result<Self, ReportError> {
        let (atomic, out) = AtomicFile::create(path)?;
        Ok(CsvStream {
            atomic,
            writer: csv::Writer::from_writer(out),
            path: path.to_path_buf(),
            error: None,
            written: 0,
            rows: std::marker::PhantomData,
        })
    }

    /// Appends one row.
    pub fn write(&mut self, row: T) {
        if self.error.is_none() {
            match self.writer.serialize(row) {
                Ok(()) => self.written += 1,
                Err(e) => self.error = Some(write_err(&self.path, e)),
            }
        }
    }

    /// Completes the file, or reports the first error.
    pub fn finish(mut self) -> Result<(), ReportError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        header_if_empty::<T, _>(&mut self.writer, self.written).map_err(|e| write_err(&self.path, e))?;
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
/// services, `services.csv` and `services_summary.csv`; for runs with a node
/// autoscaler, `pools.csv`; for runs with either (or nodes that came and
/// went), `scaling_events.csv` (its header alone if nothing scaled); for runs
/// with batch classes, `batch_summary.csv`; and for runs where something
/// failed, `failure_events.csv`.
pub fn write_run(dir: &Path, output: &RunOutput) -> Result<(), ReportError> {
    write_csv(&dir.join("summary.csv"), std::iter::once(&output.summary))?;
    write_csv(&dir.join("timeseries.csv"), &output.samples)?;
    if !output.service_summaries.is_empty() {
        write_csv(&dir.join("services.csv"), &output.services)?;
        write_csv(&dir.join("services_summary.csv"), &output.service_summaries)?;
    }
    if !output.pools.is_empty() {
        write_table(&dir.join("pools.csv"), &output.pools)?;
    }
    if !output.service_summaries.is_empty() || !output.scaling_events.is_empty() || !output.pools.is_empty() {
        write_table(&dir.join("scaling_events.csv"), &output.scaling_events)?;
    }
    if !output.failure_events.is_empty() {
        write_csv(&dir.join("failure_events.csv"), &output.failure_events)?;
    }
    if !output.batch_summaries.is_empty() {
        write_csv(&dir.join("batch_summary.csv"), &output.batch_summaries)?;
    }
    Ok(())
}

/// Reads every row of the CSV file `path` (with a header, as [`write_csv`]
/// writes it). Columns are matched by name, so their order does not matter.
/// A malformed row is an error naming the line and column, never a panic.
pub fn read_csv<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, ReadError> {
    let file = File::open(path).map_err(|e| ReadError::Io { path: path.to_path_buf(), message: e.to_string() })?;
    let mut reader = csv::Reader::from_reader(std::io::BufReader::new(file));
    let headers = reader.headers().map_err(|e| read_err(path, None, e))?.clone();
    reader.into_deserialize().collect::<Result<Vec<T>, _>>().map_err(|e| read_err(path, Some(&headers), e))
}

/// Turns a csv error on `path` into a [`ReadError`], with the line and the
/// column's name (from `headers`) where the csv crate knows them.
fn read_err(path: &Path, headers: Option<&csv::StringRecord>, e: csv::Error) -> ReadError {
    let Some(line) = e.position().map(csv::Position::line) else {
        return ReadError::Io { path: path.to_path_buf(), message: e.to_string() };
    };
    let message = match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => match err.field() {
            Some(i) => {
                let column = headers.and_then(|h| h.get(i as usize)).map_or_else(|| format!("field {}", i + 1), |name| format!("`{name}`"));
                format!("column {column}: {}", err.kind())
            }
            None => err.kind().to_string(),
        },
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => format!("{len} fields where the header has {expected_len}"),
        csv::ErrorKind::Utf8 { err, .. } => format!("field {}: {err}", err.field() + 1),
        _ => e.to_string(),
    };
    ReadError::Bad { path: path.to_path_buf(), line, message }
}

/// `decisions.csv` (`--explain`), streamed as the scheduler decides.
pub type CsvDecisionLog = CsvStream<DecisionRow>;

impl DecisionLog for CsvDecisionLog {
    fn record(&mut self, d: &Decision<'_>) {
        for row in d.rows() {
            self.write(row);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::failures::FailureEvent;
    use crate::metrics::services::{ScalingEvent, ServiceSample};
    use crate::metrics::PoolSample;

    fn row(time_s: f64, latency_ms: Option<f64>) -> ServiceSample {
        ServiceSample {
            time_s,
            service: "web, \"quoted\"".to_string(),
            load_rps: 0.1 + 0.2,
            served_rps: f64::MAX,
            dropped_rps: f64::MIN_POSITIVE,
            latency_ms,
            replicas_desired: u32::MAX,
            replicas_ready: 0,
            replicas_serving: 1,
            replicas_total: 2,
            cpu_utilization: 1.0 / 3.0,
            vpa_cpu_target_m: None,
            vpa_memory_target_mib: Some(-0.0),
            vpa_cpu_lower_m: Some(1e14),
            vpa_cpu_upper_m: None,
            vpa_memory_lower_mib: None,
            vpa_memory_upper_mib: Some(f64::MIN_POSITIVE),
            replicas_pending: 7,
            dropped_requests: 1e-300,
            slo_missed_s: 15.000001,
            hpa_cpu_utilization: Some(0.1 + 0.7),
            hpa_cpu_target: Some(0.6),
            hpa_rps_per_pod: None,
            hpa_rps_per_pod_target: Some(-0.0),
        }
    }

    /// Charts redrawn from CSV are byte-identical only if every value reads back exactly.
    #[test]
    fn rows_read_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("services.csv");
        let rows = vec![row(0.0, None), row(1e-7, Some(12.5)), row(f64::INFINITY, Some(f64::NEG_INFINITY))];
        write_csv(&path, &rows).unwrap();
        assert_eq!(read_csv::<ServiceSample>(&path).unwrap(), rows);
        // NaN is not equal to itself: compared through its text.
        write_csv(&path, &[row(f64::NAN, Some(f64::NAN))]).unwrap();
        let back: Vec<ServiceSample> = read_csv(&path).unwrap();
        assert!(back[0].time_s.is_nan() && back[0].latency_ms.is_some_and(f64::is_nan));

        let path = dir.path().join("failure_events.csv");
        let events = vec![FailureEvent { time_s: 3.5, kind: "node-down".into(), target: "n-1".into(), detail: "a,b\nc".into() }];
        write_csv(&path, &events).unwrap();
        assert_eq!(read_csv::<FailureEvent>(&path).unwrap(), events);
        // A table without rows still has its header, and reads as no rows.
        write_csv(&path, &Vec::<FailureEvent>::new()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "time_s,kind,target,detail\n");
        assert_eq!(read_csv::<FailureEvent>(&path).unwrap(), []);
    }

    /// `services.csv` of an earlier version, without the columns added since, still reads.
    #[test]
    fn services_csv_without_the_later_columns_reads_as_zero_and_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("services.csv");
        let text = "time_s,service,load_rps,served_rps,dropped_rps,latency_ms,replicas_desired,replicas_ready,replicas_serving,\
                    replicas_total,cpu_utilization,vpa_cpu_target_m,vpa_memory_target_mib\n60,web,10,8,2,,3,2,2,3,0.5,,\n";
        std::fs::write(&path, text).unwrap();
        let rows: Vec<ServiceSample> = read_csv(&path).unwrap();
        assert_eq!((rows[0].replicas_ready, rows[0].replicas_pending, rows[0].dropped_requests), (2, 0, 0.0));
        assert_eq!((rows[0].hpa_cpu_target, rows[0].vpa_cpu_lower_m), (None, None));
    }

    #[test]
    fn an_empty_table_is_written_with_its_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scaling_events.csv");
        write_table::<ScalingEvent>(&path, &[]).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "time_s,kind,target,from,to,policy,reason\n");
        assert_eq!(read_csv::<ScalingEvent>(&path).unwrap(), []);
        let path = dir.path().join("pools.csv");
        write_table::<PoolSample>(&path, &[]).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "time_s,pool,nodes,nodes_provisioning,cost\n");
        // With rows, as write_csv writes them; they read back.
        let rows = [PoolSample { time_s: 1.5, pool: "a,b".into(), nodes: 2, nodes_provisioning: 1, cost: 0.25 }];
        write_table(&path, &rows).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "time_s,pool,nodes,nodes_provisioning,cost\n1.5,\"a,b\",2,1,0.25\n");
        assert_eq!(read_csv::<PoolSample>(&path).unwrap(), rows);
    }

    #[test]
    fn a_temporary_file_is_removed_unless_committed() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("summary.csv");
        let tmp = dir.path().join("summary.csv.tmp");
        let (atomic, mut out) = AtomicFile::create(&dest).unwrap();
        out.write_all(b"half a row").unwrap();
        assert!(tmp.exists() && in_flight().contains(&tmp));
        drop((atomic, out));
        assert!(!tmp.exists() && !dest.exists(), "dropped uncommitted: nothing left");
        assert!(!in_flight().contains(&tmp));

        let (atomic, out) = AtomicFile::create(&dest).unwrap();
        atomic.commit(out).unwrap();
        assert!(dest.exists() && !tmp.exists() && !in_flight().contains(&tmp));
        // A stream dropped unfinished (a failed run) leaves nothing either.
        let mut stream = CsvStream::<FailureEvent>::create(&dir.path().join("events.csv")).unwrap();
        stream.write(FailureEvent::default());
        drop(stream);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "only summary.csv");
    }

    #[test]
    fn empty_streams_have_their_header_and_rows_without_names_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("failure_events.csv");
        CsvStream::<FailureEvent>::create(&path).unwrap().finish().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "time_s,kind,target,detail\n");
        // Rows without field names: the writer's own first row is the header.
        assert_eq!(header::<Vec<String>>(), None);
        let mut table = CsvStream::<Vec<String>>::create(&path).unwrap();
        table.write(vec!["a".into(), "b".into()]);
        table.finish().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a,b\n");
    }

    #[test]
    fn bad_rows_name_the_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("failure_events.csv");
        let bad = |text: &[u8]| {
            std::fs::write(&path, text).unwrap();
            let err = read_csv::<FailureEvent>(&path).unwrap_err();
            assert!(matches!(err, ReadError::Bad { .. }), "{err:?}");
            err.to_string()
        };
        let header = "time_s,kind,target,detail\n";
        let message = bad(format!("{header}1,crash,p,\nsoon,crash,p,\n").as_bytes());
        assert_eq!(message, format!("{}: line 3: column `time_s`: invalid float literal", path.display()));
        assert!(bad(format!("{header}1,crash\n").as_bytes()).ends_with("line 2: 2 fields where the header has 4"));
        assert!(bad(b"time_s,kind,target\n1,crash,p\n").ends_with("line 2: missing field `detail`"));
        let not_utf8 = [header.as_bytes(), b"1,crash,p,\xff\n"].concat();
        assert!(bad(&not_utf8).contains("line 2: "), "{}", bad(&not_utf8));
        let missing = dir.path().join("nothing.csv");
        let err = read_csv::<FailureEvent>(&missing).unwrap_err();
        assert!(
            matches!(err, ReadError::Io { .. }) && err.to_string().starts_with(&format!("{}: cannot read: ", missing.display())),
            "{err}"
        );
    }
}
