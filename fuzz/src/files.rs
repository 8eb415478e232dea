//! Scratch files, multi-file inputs and the traces folder the targets read.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The line that starts each file after the first in a multi-file input:
/// `~~~~` then, optionally, a name. See [`split`].
pub const SEPARATOR: &[u8] = b"~~~~";

/// One file of a multi-file input: its name (from the separator line; the
/// first file has none) and its bytes.
#[derive(Debug, PartialEq)]
pub struct Part<'a> {
    /// The words after `~~~~` on the separator line, trimmed; empty if none.
    pub name: &'a str,
    /// The file's contents (the separator line not included).
    pub body: &'a [u8],
}

/// Splits a multi-file input at every line that starts with `~~~~`. The first
/// part is what comes before the first such line (possibly empty); each later
/// part is named by the rest of its separator line. A textual layout, rather
/// than length prefixes, so that seeds are readable and libFuzzer's mutations
/// of one file rarely shift the others.
pub fn split(data: &[u8]) -> Vec<Part<'_>> {
    let mut parts = Vec::new();
    let mut name = "";
    let mut start = 0;
    let mut line = 0;
    while line < data.len() {
        let end = data[line..].iter().position(|&b| b == b'\n').map_or(data.len(), |i| line + i + 1);
        if data[line..].starts_with(SEPARATOR) {
            parts.push(Part { name, body: &data[start..line] });
            let rest = &data[line + SEPARATOR.len()..end];
            name = std::str::from_utf8(rest).map_or("", str::trim);
            start = end;
        }
        line = end;
    }
    parts.push(Part { name, body: &data[start..] });
    parts
}

/// This process's scratch directory, made on first use: in `/dev/shm` when
/// there is one (an execution then writes to memory, not to a disk), else in
/// the temporary directory. Directories left by earlier processes that are no
/// longer running (libFuzzer exits without running destructors) are removed.
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        let root = if shm.is_dir() { shm.to_path_buf() } else { std::env::temp_dir() };
        remove_stale(&root);
        let dir = root.join(format!("{PREFIX}{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot make the scratch directory {}: {e}", dir.display()));
        dir
    })
}

const PREFIX: &str = "orchsim-fuzz-";

/// Removes the scratch directories of processes that have exited.
fn remove_stale(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)).and_then(|p| p.parse::<u32>().ok()) else { continue };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// An empty subdirectory `sub` of the scratch directory, emptied if it was
/// there, so that nothing of an earlier execution can be read by this one.
pub fn fresh_dir(sub: &str) -> PathBuf {
    let dir = scratch().join(sub);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot make {}: {e}", dir.display()));
    dir
}

/// Writes `body` to `path`; a scratch file that cannot be written is a broken
/// fuzzing setup, not a finding, but there is nothing better to do than stop.
pub fn write(path: &Path, body: &[u8]) {
    std::fs::write(path, body).unwrap_or_else(|e| panic!("cannot write the scratch file {}: {e}", path.display()));
}

/// The folder `@traces/…` resolves to in the targets: the small cuts of every
/// shipped trace in `fuzz/seeds/traces`, named as in `../shared/traces`, so
/// that the shipped scenarios and experiments validate in full. Set once,
/// before any reading, through `ORCHSIM_TRACES`.
pub fn use_seed_traces() {
    static SET: OnceLock<()> = OnceLock::new();
    SET.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/traces");
        std::env::set_var(orchsim::trace::TRACES_ENV, dir);
    });
}

/// Whether a scenario or experiment text may be read without leaving the
/// scratch directory and the seed traces: no string value (a path, in the
/// fields that take one) is absolute or climbs more than one level. Keeps a
/// fuzzed `tasks = "/dev/zero"` from reading an endless file, and the targets
/// hermetic. Text that is not TOML is safe: it is rejected before any path is
/// opened.
pub fn paths_stay_inside(text: &str) -> bool {
    fn safe(value: &toml::Value) -> bool {
        match value {
            toml::Value::String(s) => !(s.starts_with('/') || s.contains("/..") || s.contains("../..") || s.contains('\\')),
            toml::Value::Array(items) => items.iter().all(safe),
            toml::Value::Table(table) => table.values().all(safe),
            _ => true,
        }
    }
    text.parse::<toml::Table>().map_or(true, |table| table.values().all(safe))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_names_every_part_after_the_first() {
        let parts = split(b"a,b\n1,2\n~~~~ jobs\nx\n~~~~\n~~~~ machines \nm,1");
        let got: Vec<(&str, &[u8])> = parts.iter().map(|p| (p.name, p.body)).collect();
        assert_eq!(got, vec![("", &b"a,b\n1,2\n"[..]), ("jobs", b"x\n"), ("", b""), ("machines", b"m,1")]);
        assert_eq!(split(b"no separator").len(), 1);
    }

    #[test]
    fn paths_that_leave_the_scratch_directory_are_refused() {
        assert!(paths_stay_inside("tasks = \"@traces/swf/x.swf\"\nscenario = \"../base.toml\""));
        for bad in ["tasks = \"/dev/zero\"", "[[x]]\nfile = \"a/../../b\"", "s = [\"../../etc\"]", "a = { b = \"@traces/../..\" }"] {
            assert!(!paths_stay_inside(bad), "{bad}");
        }
    }
}
