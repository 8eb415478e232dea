//! Who owns an output directory.
//!
//! A command writes into a directory that is empty, new, or holds an earlier
//! output of the same kind, which it then replaces: it first deletes the
//! files that kind of output writes, so nothing of the earlier one is left
//! beside the new one (`plot` would mix them) or, if the new one fails, taken
//! for its result. Anything else (another kind of output, or files orchsim
//! did not write) is refused unless the user forces it.
//!
//! Each kind marks its directory: `run.json` for a run and a comparison
//! ([`Marker`], written before any other file), `sweep.json` for a sweep (its
//! manifest). The marker tells `plot` what the directory holds.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::AtomicFile;

/// The marker of a run's or a comparison's directory.
pub const RUN_MARKER: &str = "run.json";
/// The marker of a sweep's directory: its manifest.
pub const SWEEP_MARKER: &str = "sweep.json";

/// Every file a run may write: its tables (see [`super::write_run`],
/// `pods.csv`, `decisions.csv`) and its charts, each as PNG and SVG. A run
/// replacing an earlier one deletes these (a test checks that a run with
/// every option writes nothing else).
pub const RUN_FILES: [&str; 16] = [
    "summary.csv",
    "timeseries.csv",
    "pods.csv",
    "decisions.csv",
    "services.csv",
    "services_summary.csv",
    "scaling_events.csv",
    "failure_events.csv",
    "batch_summary.csv",
    "pools.csv",
    "utilization.png",
    "utilization.svg",
    "autoscaling.png",
    "autoscaling.svg",
    "availability.png",
    "availability.svg",
];

/// The files of a comparison besides its policies' run folders.
const COMPARE_FILES: [&str; 1] = ["summary.csv"];

/// What `run.json` says: which command wrote the directory, on what.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Marker {
    /// `orchsim run` (also each policy's folder of a comparison).
    Run {
        /// orchsim's version.
        orchsim: String,
        /// Scenario name.
        scenario: String,
        /// Scheduler policy.
        policy: String,
        /// Master seed.
        seed: u64,
    },
    /// `orchsim compare`: `summary.csv` and a run folder per policy.
    Compare {
        /// orchsim's version.
        orchsim: String,
        /// Scenario name.
        scenario: String,
        /// Master seed.
        seed: u64,
        /// The policies compared, each the name of its run folder.
        policies: Vec<String>,
    },
}

impl Marker {
    /// The marker of a run of `scenario` under `policy` on `seed`.
    pub fn run(scenario: &str, policy: &str, seed: u64) -> Marker {
        Marker::Run { orchsim: env!("CARGO_PKG_VERSION").into(), scenario: scenario.into(), policy: policy.into(), seed }
    }

    /// The marker of a comparison of `policies` on `scenario` and `seed`.
    pub fn compare(scenario: &str, seed: u64, policies: Vec<String>) -> Marker {
        Marker::Compare { orchsim: env!("CARGO_PKG_VERSION").into(), scenario: scenario.into(), seed, policies }
    }

    /// The kind of output it marks.
    pub fn kind(&self) -> Kind {
        match self {
            Marker::Run { .. } => Kind::Run,
            Marker::Compare { .. } => Kind::Compare,
        }
    }

    /// Writes the marker into `dir`, atomically.
    pub fn write(&self, dir: &Path) -> Result<(), OutputError> {
        let path = dir.join(RUN_MARKER);
        let io = |e: &dyn std::fmt::Display| OutputError::Io { path: path.clone(), message: e.to_string() };
        let (atomic, mut out) = AtomicFile::create(&path).map_err(|e| io(&e))?;
        serde_json::to_writer_pretty(&mut out, self).map_err(|e| io(&e))?;
        atomic.commit(out).map_err(|e| io(&e))
    }
}

/// A kind of output directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `orchsim run`.
    Run,
    /// `orchsim compare`.
    Compare,
    /// `orchsim sweep` or `merge`.
    Sweep,
}

impl Kind {
    /// How a message names it.
    fn noun(self) -> &'static str {
        match self {
            Kind::Run => "run",
            Kind::Compare => "comparison",
            Kind::Sweep => "sweep",
        }
    }
}

/// What an output directory holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Holds {
    /// Nothing: it does not exist, or is empty.
    Nothing,
    /// A run or a comparison.
    Marked(Marker),
    /// A sweep.
    Sweep,
    /// Files, but no marker of orchsim's.
    Other,
}

impl Holds {
    /// Its kind of output, if it is one.
    pub fn kind(&self) -> Option<Kind> {
        match self {
            Holds::Marked(m) => Some(m.kind()),
            Holds::Sweep => Some(Kind::Sweep),
            Holds::Nothing | Holds::Other => None,
        }
    }
}

/// Why an output directory cannot be used. Every one is found before any
/// work starts, and is the user's to fix (a bad `--out`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// The path exists and is not a directory.
    #[error("{}: not a directory", path.display())]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// There is no such directory (for commands that read one).
    #[error("{}: no such directory", path.display())]
    Missing {
        /// The path.
        path: PathBuf,
    },
    /// The directory holds something this output must not be mixed with.
    #[error(
        "{}: holds {holds}; a {kind} written there would mix with it: choose another --out, or add --force to write into it anyway",
        path.display()
    )]
    Taken {
        /// The directory.
        path: PathBuf,
        /// What it holds.
        holds: String,
        /// The kind of output refused.
        kind: &'static str,
    },
    /// `run.json` is not a marker orchsim wrote.
    #[error("{}: not an orchsim run marker: {message}", path.display())]
    BadMarker {
        /// The marker file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The directory or a file in it cannot be read, created or removed.
    #[error("{}: {message}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        message: String,
    },
}

/// What `dir` holds; an error if it exists and is not a directory, or
/// cannot be read.
pub fn holds(dir: &Path) -> Result<Holds, OutputError> {
    let io = |e: std::io::Error| OutputError::Io { path: dir.to_path_buf(), message: e.to_string() };
    let mut entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        // Also when a parent is a file: creating it will say so.
        Err(_) if !dir.exists() => return Ok(Holds::Nothing),
        Err(_) if !dir.is_dir() => return Err(OutputError::NotADirectory { path: dir.to_path_buf() }),
        Err(e) => return Err(io(e)),
    };
    if entries.next().transpose().map_err(io)?.is_none() {
        return Ok(Holds::Nothing);
    }
    let marker = dir.join(RUN_MARKER);
    match std::fs::read_to_string(&marker) {
        Ok(text) => {
            return serde_json::from_str(&text)
                .map(Holds::Marked)
                .map_err(|e| OutputError::BadMarker { path: marker, message: e.to_string() });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(OutputError::Io { path: marker, message: e.to_string() }),
    }
    Ok(if dir.join(SWEEP_MARKER).is_file() { Holds::Sweep } else { Holds::Other })
}

/// Makes `dir` ready for an output of `kind`, before any work starts: it
/// must be new, empty, or hold an output of the same kind (with `force`,
/// anything; a sweep may also go where there are only other sweeps, as a
/// merge of shards into the folder that holds them); it is created, and the files of the earlier output of that
/// kind are deleted (a sweep deletes its own, keeping `--resume` possible).
/// When forced over another kind of output, that output's marker is
/// deleted, so that the directory is only this one's. Returns what `dir` held.
pub fn prepare(dir: &Path, kind: Kind, force: bool) -> Result<Holds, OutputError> {
    let held = holds(dir)?;
    let refused = match &held {
        Holds::Nothing => false,
        Holds::Other => !(force || kind == Kind::Sweep && only_sweeps(dir)),
        held => held.kind() != Some(kind) && !force,
    };
    if refused {
        let holds = match &held {
            Holds::Marked(Marker::Run { scenario, .. }) => format!("a run of `{scenario}` ({RUN_MARKER})"),
            Holds::Marked(Marker::Compare { scenario, .. }) => format!("a comparison on `{scenario}` ({RUN_MARKER})"),
            Holds::Sweep => format!("a sweep ({SWEEP_MARKER})"),
            _ => format!("files that are not an orchsim output (no {RUN_MARKER} or {SWEEP_MARKER})"),
        };
        return Err(OutputError::Taken { path: dir.to_path_buf(), holds, kind: kind.noun() });
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| OutputError::Io { path: dir.to_path_buf(), message: format!("cannot create output directory: {e}") })?;
    match kind {
        Kind::Run => remove_files(dir, &RUN_FILES)?,
        Kind::Compare => {
            remove_files(dir, &COMPARE_FILES)?;
            if let Holds::Marked(Marker::Compare { policies, .. }) = &held {
                for policy in policies {
                    remove_run_folder(&dir.join(policy))?;
                }
            }
        }
        Kind::Sweep => {}
    }
    let other_marker = if kind == Kind::Sweep { RUN_MARKER } else { SWEEP_MARKER };
    if held.kind().is_some_and(|k| k != kind) {
        remove_files(dir, &[other_marker])?;
    }
    Ok(held)
}

/// Whether every entry of `dir` is a sweep's directory.
fn only_sweeps(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| entries.flatten().all(|e| e.path().join(SWEEP_MARKER).is_file()))
}

/// Deletes the run in folder `dir` of an earlier comparison: its files, its
/// marker, and the folder if that leaves it empty. A folder that does not
/// hold a run is left alone.
fn remove_run_folder(dir: &Path) -> Result<(), OutputError> {
    if !matches!(holds(dir), Ok(Holds::Marked(Marker::Run { .. }))) {
        return Ok(());
    }
    remove_files(dir, &RUN_FILES)?;
    remove_files(dir, &[RUN_MARKER])?;
    // Left if the user put something of theirs there.
    let _ = std::fs::remove_dir(dir);
    Ok(())
}

/// Deletes each of `names` in `dir` (and a temporary file of it left by a
/// process killed outright), if present.
fn remove_files(dir: &Path, names: &[&str]) -> Result<(), OutputError> {
    for name in names {
        let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
        for file in [name.to_string(), format!("{name}.tmp"), format!("{stem}.tmp.{ext}")] {
            let path = dir.join(file);
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(OutputError::Io { path, message: format!("cannot remove the earlier output: {e}") })
                }
                _ => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_is_replaced_only_by_its_own_kind_unless_forced() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        assert_eq!(prepare(&dir, Kind::Run, false).unwrap(), Holds::Nothing);
        Marker::run("s", "kubernetes", 1).write(&dir).unwrap();
        for name in ["summary.csv", "decisions.csv", "utilization.tmp.png", "notes.txt"] {
            std::fs::write(dir.join(name), "earlier").unwrap();
        }
        assert!(matches!(prepare(&dir, Kind::Run, false).unwrap(), Holds::Marked(Marker::Run { .. })));
        let mut left: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        assert_eq!(left, ["notes.txt", "run.json"], "the run's files go; the user's stay");

        for kind in [Kind::Compare, Kind::Sweep] {
            let err = prepare(&dir, kind, false).unwrap_err().to_string();
            assert!(err.contains("holds a run of `s` (run.json)") && err.contains("--force"), "{err}");
        }
        std::fs::remove_file(dir.join(RUN_MARKER)).unwrap();
        let err = prepare(&dir, Kind::Run, false).unwrap_err().to_string();
        assert!(err.contains("not an orchsim output"), "{err}");
        assert_eq!(prepare(&dir, Kind::Run, true).unwrap(), Holds::Other);

        std::fs::write(dir.join(SWEEP_MARKER), "{}").unwrap();
        assert_eq!(prepare(&dir, Kind::Run, true).unwrap(), Holds::Sweep);
        assert!(!dir.join(SWEEP_MARKER).exists(), "forced over a sweep, the directory is no longer one");
        std::fs::write(dir.join(RUN_MARKER), "{\"kind\": \"plot\"}").unwrap();
        assert!(matches!(prepare(&dir, Kind::Run, true), Err(OutputError::BadMarker { .. })));

        // Shards gathered in one folder: a merge may write there, a run may not.
        let shards = tmp.path().join("shards");
        std::fs::create_dir_all(shards.join("shard-1")).unwrap();
        std::fs::write(shards.join("shard-1").join(SWEEP_MARKER), "{}").unwrap();
        assert_eq!(prepare(&shards, Kind::Sweep, false).unwrap(), Holds::Other);
        assert!(matches!(prepare(&shards, Kind::Run, false), Err(OutputError::Taken { .. })));

        let file = tmp.path().join("file");
        std::fs::write(&file, "").unwrap();
        assert!(matches!(prepare(&file, Kind::Run, true), Err(OutputError::NotADirectory { .. })));
    }

    #[test]
    fn a_comparison_replaces_the_run_folders_of_the_earlier_one() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        Marker::compare("s", 1, vec!["borg".into(), "kubernetes".into()]).write(dir).unwrap();
        std::fs::write(dir.join("summary.csv"), "").unwrap();
        for policy in ["borg", "kubernetes"] {
            std::fs::create_dir(dir.join(policy)).unwrap();
            Marker::run("s", policy, 1).write(&dir.join(policy)).unwrap();
            std::fs::write(dir.join(policy).join("pods.csv"), "").unwrap();
        }
        std::fs::write(dir.join("kubernetes/mine.txt"), "").unwrap();
        std::fs::create_dir(dir.join("first-fit")).unwrap();
        prepare(dir, Kind::Compare, false).unwrap();
        assert!(!dir.join("summary.csv").exists() && !dir.join("borg").exists());
        assert_eq!(std::fs::read_dir(dir.join("kubernetes")).unwrap().count(), 1, "mine.txt stays");
        assert!(dir.join("first-fit").exists(), "not one of the compared policies");
    }
}
