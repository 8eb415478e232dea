//! The public traces in tests, shared by the unit tests and the integration
//! tests (which see only the library's public items, hence `pub` but hidden).
//!
//! Tests that check a reader against the published counts need the public
//! traces, found where [`traces_dir`] finds them (`$ORCHSIM_TRACES`, else
//! `../shared/traces`; cargo runs tests from the package root, so that is
//! beside the repository). A fresh clone has no such folder. There a test that
//! needs it is skipped with one line saying so, and every reader is still
//! tested on the small fixtures in `tests/fixtures/traces`. Under CI
//! (`CI=true`) a missing folder fails the test instead: CI must run them all.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{traces_dir, TRACES_ENV};

/// `relative` (a file or folder of the public traces) for the running test:
/// its path when it exists. Otherwise the test fails under CI, and elsewhere
/// one line on stderr says what was skipped and how to get the data, and
/// `None` tells the test to return early:
///
/// ```no_run
/// let Some(dir) = orchsim::trace::testing::needed("swf") else { return };
/// ```
pub fn needed(relative: &str) -> Option<PathBuf> {
    check(&test_name(), &traces_dir().join(relative), under_ci(), &mut std::io::stderr())
}

/// [`needed`] for one part of a test (a scenario of a loop over them), which
/// the skip line names after the test.
pub fn needed_for(part: &str, relative: &str) -> Option<PathBuf> {
    check(&format!("{} ({part})", test_name()), &traces_dir().join(relative), under_ci(), &mut std::io::stderr())
}

/// The running test's name: libtest runs each test on a thread named after it.
fn test_name() -> String {
    std::thread::current().name().unwrap_or("a test").to_string()
}

/// Whether this is CI: `CI=true` is what GitHub Actions, GitLab CI and most
/// others set (and `.ci/run` sets it too).
fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// `path` if it exists; else a failure under CI, or the skip line on `out`.
/// libtest captures what `print!` and `eprint!` write for a passing test, so
/// the callers pass stderr itself, which is not captured: the user sees the skip.
fn check(test: &str, path: &Path, ci: bool, out: &mut dyn Write) -> Option<PathBuf> {
    if path.exists() {
        return Some(path.to_path_buf());
    }
    let how = format!("the public traces; set {TRACES_ENV}=/path/to/traces or put them at ../shared/traces beside the repository");
    if ci {
        panic!("{test} needs {}, which is missing ({how}); under CI=true a missing trace is a failure, not a skip", path.display());
    }
    let _ = writeln!(out, "skipped {test}: needs {} ({how})", path.display());
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_trace_skips_the_test_or_fails_it_under_ci() {
        let dir = tempfile::tempdir().unwrap();
        let mut out = Vec::new();
        assert_eq!(check("t", dir.path(), false, &mut out), Some(dir.path().to_path_buf()));
        assert_eq!(check("t", dir.path(), true, &mut out), Some(dir.path().to_path_buf()));
        assert!(out.is_empty(), "nothing said when the traces are there");
        let missing = dir.path().join("swf");
        assert_eq!(check("t", &missing, false, &mut out), None);
        let line = String::from_utf8(out).unwrap();
        let expected = format!("skipped t: needs {} (the public traces; set {TRACES_ENV}=", missing.display());
        assert!(line.starts_with(&expected) && line.ends_with(")\n") && line.lines().count() == 1, "{line}");
        let failure = std::panic::catch_unwind(|| check("t", &missing, true, &mut Vec::new())).unwrap_err();
        let message = failure.downcast_ref::<String>().unwrap();
        assert!(message.starts_with("t needs ") && message.contains("CI=true") && message.contains(TRACES_ENV), "{message}");
    }

    #[test]
    fn the_test_is_named_after_its_thread() {
        assert_eq!(test_name(), "trace::testing::tests::the_test_is_named_after_its_thread");
    }
}
