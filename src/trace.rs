//! Readers of recorded traces: the public samples in `../shared/traces` (see its
//! README for schemas and units) or a user's own full downloads in the same formats.
//!
//! One module per kind of trace. Every reader streams: the real files run to
//! millions of rows, so a reader keeps only what it returns (aggregated bins),
//! never the raw rows. Files whose name ends in `.gz` are decompressed on the
//! fly, so the compressed originals are read as published.
//!
//! A bad row fails the read with a [`TraceError`] naming the file, the 1-based
//! line and the column, so that the user can open the file at the right place.

pub mod alibaba;
pub mod alibaba_2018;
pub mod alibaba_gpu;
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

pub use replay::{keeps_job, Replay, ReplayTask, ReplayWindow};
pub use request_rate::{read_rate_series, RateFormat, RateOptions, RateSeries};
pub use tasks::{Absolute, BadRows, GpuRequest, Outcome, Scale, TaskFormat, TaskTrace, TaskUnits, TraceInputs, TraceMachine, TraceTask};

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
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O or decompression error.
        source: io::Error,
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
}

/// Opens `path` for reading, through a gzip decoder if its name ends in `.gz`.
///
/// `MultiGzDecoder` rather than `GzDecoder` because concatenated gzip members
/// (what `cat a.gz b.gz` or parallel compressors produce) are one valid file.
/// Both `File` and the decoder are unbuffered at this level on purpose: the csv
/// reader buffers itself and the value reader wraps a `BufReader`.
pub(crate) fn open(path: &Path) -> Result<Box<dyn Read>, TraceError> {
    let file = File::open(path).map_err(|source| TraceError::Io { path: path.to_path_buf(), source })?;
    let gzip = path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("gz"));
    Ok(if gzip { Box::new(MultiGzDecoder::new(file)) } else { Box::new(file) })
}

/// Small files for the readers' tests.
#[cfg(test)]
pub(crate) mod test_files {
    use std::path::{Path, PathBuf};

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
    fn errors_name_the_file_line_and_column() {
        let bad = TraceError::Bad { path: "a/b.csv".into(), line: 7, column: "rate".into(), message: "negative rate -1".into() };
        assert_eq!(bad.to_string(), "a/b.csv: line 7, rate: negative rate -1");
    }
}
