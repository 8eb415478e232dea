//! Readers of recorded traces: the public samples in `../shared/traces` (see its
//! README for schemas and units) or a user's own full downloads in the same formats.
//!
//! One module per kind of trace. Every reader streams: the real files run to
//! millions of rows, so a reader keeps only what it returns (aggregated bins,
//! or the tasks its [`TaskSink`] keeps), never the raw rows. Files whose name ends in `.gz` are decompressed on the
//! fly, so the compressed originals are read as published.
//!
//! A bad row fails the read with a [`TraceError`] naming the file, the 1-based
//! line and the column, so that the user can open the file at the right place.
//! A line longer than [`MAX_LINE_BYTES`] fails it too: readers hold a line
//! whole before parsing it, and a file without line breaks must not be
//! buffered until memory runs out.

pub mod alibaba;
pub mod alibaba_2018;
pub mod alibaba_gpu;
mod format;
pub mod google_2011;
pub mod inspect;
pub mod replay;
pub mod request_rate;
pub(crate) mod rows;
pub mod swf;
pub mod tasks;
#[doc(hidden)]
pub mod testing;

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

pub use replay::{keeps_job, Replay, ReplaySink, ReplayTask, ReplayWindow};
pub use request_rate::{read_rate_series, RateFormat, RateOptions, RateSeries};
pub use tasks::{
    Absolute, BadRows, GpuRequest, Outcome, ReadSummary, Scale, Submissions, TaskFormat, TaskSink, TaskTrace, TaskUnits, TraceInputs,
    TraceMachine, TraceTask,
};

/// The environment variable that points at a folder of traces, for users whose
/// full downloads live elsewhere than the shared samples.
pub const TRACES_ENV: &str = "ORCHSIM_TRACES";

/// Where the public traces live: `$ORCHSIM_TRACES` if set (and not empty),
/// else `../shared/traces` relative to the current directory, which is where
/// they sit beside a checkout of the repository (and in CI).
pub fn traces_dir() -> PathBuf {
    match std::env::var_os(TRACES_ENV) {
        // An empty value would silently mean "the current directory"; treat it as unset.
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from("../shared/traces"),
    }
}

/// Resolves a path written in a scenario: `@traces/…` is relative to
/// [`traces_dir`], so that scenarios need not know where the traces are; any
/// other relative path is relative to `base` (the scenario file's directory),
/// so that a scenario works from any current directory; an absolute path is
/// taken as is.
pub fn resolve_path(written: &str, base: &Path) -> PathBuf {
    if let Some(rest) = written.strip_prefix("@traces/") {
        // `@traces//etc` must stay inside the traces folder: joining an absolute path would replace it.
        return traces_dir().join(rest.trim_start_matches('/'));
    }
    let path = Path::new(written);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

/// Why a trace could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// The file could not be opened or read, including a `.gz` file that is
    /// not gzip, is corrupt or is truncated.
    #[error("{}: cannot read: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O or decompression error: part of the message, so not also
        /// a `source` (an error chain printed with `{:#}` would show it twice).
        error: io::Error,
    },
    /// A row (or, in a file of bare values, a value) is malformed.
    #[error("{}: line {line}, {column}: {message}", path.display())]
    Bad {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// The column's name in the header, `field N` for an unnamed one, or
        /// `value N` (1-based) in a file of whitespace-separated values.
        column: String,
        /// What is wrong, quoting the offending text.
        message: String,
    },
    /// There is nothing to read: the file is empty, has a header but no rows,
    /// or no row falls in the window asked for.
    #[error("{}: {message}", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
        /// What is missing.
        message: String,
    },
    /// The reading options are invalid whatever the file holds.
    #[error("{}: option `{option}` {message}", path.display())]
    Options {
        /// The file being read.
        path: PathBuf,
        /// The option's field name.
        option: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// A line runs past [`MAX_LINE_BYTES`] without a line break: the file is
    /// not a text trace (binary, corrupt, or the wrong file). Never skipped as
    /// a bad row, since the rest of the file cannot be split into rows.
    #[error(
        "{}: line {line}: longer than {limit} bytes without a line break, far beyond any trace's rows: not a text trace (binary or corrupt?)",
        path.display()
    )]
    LineTooLong {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// The longest line allowed, in bytes ([`MAX_LINE_BYTES`]).
        limit: usize,
    },
}

impl TraceError {
    /// An I/O error while reading `path`: [`TraceError::LineTooLong`] when it
    /// is a reader's [`open`] refusing a line, [`TraceError::Io`] otherwise.
    pub(crate) fn io(path: &Path, source: io::Error) -> TraceError {
        match source.get_ref().and_then(|e| e.downcast_ref::<LongLine>()) {
            Some(&LongLine { line }) => TraceError::LineTooLong { path: path.to_path_buf(), line, limit: MAX_LINE_BYTES },
            None => TraceError::Io { path: path.to_path_buf(), error: source },
        }
    }
}

/// The longest line a trace may have, in bytes (1 MiB). Readers hold a whole
/// line (a CSV record, an SWF job, a PlanetLab value) before parsing it, so a
/// file without line breaks (binary, corrupt, `/dev/zero`) would otherwise be
/// buffered until memory runs out and the process aborts. The longest rows of
/// the public traces are under 200 bytes: the cap is thousands of times that,
/// so no real row comes near it, and it bounds what one row can cost.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// The error [`LineCap`] reads fail with, carried inside an [`io::Error`]
/// through the csv reader and `BufRead` to [`TraceError::io`].
#[derive(Debug, thiserror::Error)]
#[error("line {line} is longer than {MAX_LINE_BYTES} bytes")]
struct LongLine {
    line: u64,
}

/// A reader that fails once a line grows past [`MAX_LINE_BYTES`]: every
/// line-based reader reads through one (see [`open`]). It counts lines as the
/// bytes pass, so the error names the line even when the parser has not
/// reached it; once failed, it fails again on every later read.
pub(crate) struct LineCap<R> {
    inner: R,
    /// The line being read, 1-based, and its bytes so far.
    line: u64,
    run: usize,
}

impl<R: Read> LineCap<R> {
    pub(crate) fn new(inner: R) -> LineCap<R> {
        LineCap { inner, line: 1, run: 0 }
    }

    fn extend(&mut self, bytes: usize) -> io::Result<()> {
        self.run += bytes;
        if self.run > MAX_LINE_BYTES {
            return Err(io::Error::new(io::ErrorKind::InvalidData, LongLine { line: self.line }));
        }
        Ok(())
    }
}

impl<R: Read> Read for LineCap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', &buf[..n]) {
            self.extend(end - start)?;
            (self.line, self.run, start) = (self.line + 1, 0, end + 1);
        }
        self.extend(n - start)?;
        Ok(n)
    }
}

/// Opens `path` for reading, through a gzip decoder if its name ends in `.gz`,
/// with lines capped at [`MAX_LINE_BYTES`] ([`LineCap`]): the one way every
/// line-based reader opens a file, so that none can buffer a line without end.
/// Read errors go through [`TraceError::io`], which names the long line.
pub(crate) fn open(path: &Path) -> Result<Box<dyn Read>, TraceError> {
    Ok(Box::new(LineCap::new(open_uncapped(path)?)))
}

/// [`open`] without the cap on lines, for readers that never hold a line:
/// NASA's counts (one line of 5 M values, parsed value by value in bounded
/// memory) and tar archives (binary: their members are capped one by one).
///
/// `MultiGzDecoder` rather than `GzDecoder` because concatenated gzip members
/// (what `cat a.gz b.gz` or parallel compressors produce) are one valid file.
/// Both `File` and the decoder are unbuffered at this level on purpose: the csv
/// reader buffers itself and the value reader wraps a `BufReader`.
pub(crate) fn open_uncapped(path: &Path) -> Result<Box<dyn Read>, TraceError> {
    let file = File::open(path).map_err(|error| TraceError::Io { path: path.to_path_buf(), error })?;
    let gzip = path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("gz"));
    Ok(if gzip { Box::new(MultiGzDecoder::new(file)) } else { Box::new(file) })
}

/// Small files for the readers' tests.
#[cfg(test)]
pub(crate) mod test_files {
    use std::path::{Path, PathBuf};

    use super::{TaskFormat, TraceInputs};

    /// Writes `text` to `dir/name` and returns its path.
    pub(crate) fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// A file of `tests/fixtures/traces` (see its README): a few rows in a
    /// reader's real layout, shipped so that every reader is tested on a
    /// fresh clone, without the public traces.
    pub(crate) fn fixture(relative: &str) -> PathBuf {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/traces").join(relative);
        assert!(path.exists(), "the fixture {} is missing", path.display());
        path
    }

    /// Every batch format's fixture, with all the tables it has.
    pub(crate) fn batch_fixtures() -> Vec<(TaskFormat, TraceInputs)> {
        let tables = |tasks: &str, machines: Option<&str>| TraceInputs {
            tasks: fixture(tasks),
            machines: machines.map(fixture),
            ..TraceInputs::default()
        };
        let google = TraceInputs {
            jobs: Some(fixture("google-2011/job_events")),
            ..tables("google-2011/task_events", Some("google-2011/machine_events"))
        };
        let alibaba_2018 = TraceInputs {
            instances: Some(fixture("alibaba-v2018/batch_instance.csv")),
            containers: Some(fixture("alibaba-v2018/container_meta.csv")),
            ..tables("alibaba-v2018/batch_task.csv.gz", Some("alibaba-v2018/machine_meta.csv"))
        };
        vec![
            (TaskFormat::Native, tables("native/tasks.csv", Some("native/machines.csv"))),
            (TaskFormat::Google2011, google),
            (TaskFormat::Alibaba2017, tables("alibaba-v2017/batch_task.csv", None)),
            (TaskFormat::Cloudsimpy, tables("alibaba-v2017/cloudsimpy_jobs.csv", None)),
            (TaskFormat::Alibaba2018, TraceInputs { instances: None, ..alibaba_2018.clone() }),
            (TaskFormat::Alibaba2018, alibaba_2018),
            (TaskFormat::Swf, tables("swf/kth-sample.swf.gz", None)),
            (
                TaskFormat::AlibabaGpu2023,
                tables("alibaba-gpu-v2023/openb_pod_list_default.csv", Some("alibaba-gpu-v2023/openb_node_list_all_node.csv")),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_paths_resolve_against_traces_the_scenario_or_nothing() {
        let base = Path::new("/work/scenarios");
        assert_eq!(resolve_path("@traces/nasa-http/x.txt.gz", base), traces_dir().join("nasa-http/x.txt.gz"));
        assert_eq!(resolve_path("@traces//etc/passwd", base), traces_dir().join("etc/passwd"));
        assert_eq!(resolve_path("load/rate.csv", base), PathBuf::from("/work/scenarios/load/rate.csv"));
        assert_eq!(resolve_path("/data/rate.csv", base), PathBuf::from("/data/rate.csv"));
        // Only the exact prefix is special: a folder that happens to start with `@traces` is an ordinary relative path.
        assert_eq!(resolve_path("@tracesx/a.csv", base), PathBuf::from("/work/scenarios/@tracesx/a.csv"));
    }

    #[test]
    fn lines_up_to_the_cap_pass_and_a_longer_one_fails_naming_it() {
        // `read_to_end` reads in growing chunks, so lines cross reads.
        let line = vec![b'x'; MAX_LINE_BYTES];
        let text = [&line[..], b"\n", &line[..], b"\nshort\n"].concat();
        let mut out = Vec::new();
        LineCap::new(&text[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out, text);
        let long = [b"a\nb\n", &line[..], b"x\n"].concat();
        let err = TraceError::io(Path::new("t.csv"), LineCap::new(&long[..]).read_to_end(&mut Vec::new()).unwrap_err());
        assert!(matches!(err, TraceError::LineTooLong { line: 3, limit: MAX_LINE_BYTES, .. }), "{err}");
        assert!(err.to_string().starts_with("t.csv: line 3: longer than 1048576 bytes without a line break"), "{err}");
        // Other I/O errors stay what they are.
        let other = TraceError::io(Path::new("t.csv"), io::Error::other("disk on fire"));
        assert!(matches!(other, TraceError::Io { .. }), "{other}");
    }

    /// A file without line breaks (the bytes of `/dev/zero`), plain or gzipped,
    /// alone or in a tar archive, fails every reader that holds lines, at
    /// line 1, instead of being buffered whole.
    #[test]
    fn every_line_reader_refuses_a_line_past_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let zeros = vec![0u8; MAX_LINE_BYTES + (MAX_LINE_BYTES >> 1)];
        let path = |name: &str| dir.path().join(name);
        std::fs::write(path("zeros.csv"), &zeros).unwrap();
        std::fs::write(path("zeros_30s.csv"), &zeros).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        io::Write::write_all(&mut gz, &zeros).unwrap();
        std::fs::write(path("zeros.csv.gz"), gz.finish().unwrap()).unwrap();
        let mut archive = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(zeros.len() as u64);
        header.set_mode(0o644);
        archive.append_data(&mut header, "qps.csv", &zeros[..]).unwrap();
        std::fs::write(path("zeros.tar"), archive.into_inner().unwrap()).unwrap();
        let too_long = |case: &str, result: Result<(), TraceError>| match result {
            Err(TraceError::LineTooLong { line: 1, limit: MAX_LINE_BYTES, .. }) => {}
            other => panic!("{case}: {other:?}"),
        };
        for format in TaskFormat::ALL {
            for file in ["zeros.csv", "zeros.csv.gz"] {
                let inputs = TraceInputs { tasks: path(file), ..TraceInputs::default() };
                too_long(&format!("{} {file}", format.name()), format.read(&inputs, true).map(drop));
            }
        }
        for format in RateFormat::ALL.into_iter().filter(|&f| f != RateFormat::NasaSecond) {
            for file in ["zeros_30s.csv", "zeros.csv.gz", "zeros.tar"]
                .into_iter()
                .filter(|&f| format != RateFormat::Alibaba2018Usage || f == "zeros_30s.csv")
            {
                let opts = RateOptions { skip_bad_rows: true, ..RateOptions::default() };
                too_long(&format!("{} {file}", format.name()), read_rate_series(&path(file), format, &opts).map(drop));
            }
        }
    }

    #[test]
    fn errors_name_the_file_line_and_column() {
        let bad = TraceError::Bad { path: "a/b.csv".into(), line: 7, column: "rate".into(), message: "negative rate -1".into() };
        assert_eq!(bad.to_string(), "a/b.csv: line 7, rate: negative rate -1");
    }
}
