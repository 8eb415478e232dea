//! Every target by name, so that the inputs kept in `fuzz/regressions/` and
//! `fuzz/seeds/` are also replayed by `cargo test` on the stable toolchain,
//! without libFuzzer (`.ci/run` does): a finding stays fixed even where
//! nightly and cargo-fuzz are missing, and the targets' checks are tested on
//! inputs known to pass them.

use orchsim::trace::{RateFormat, TaskFormat};

/// Runs the check of the fuzz target named `target` (a file name of
/// `fuzz_targets/` without `.rs`) on `data`, as the target does; `None` for
/// a name that is no target.
pub fn run(target: &str, data: &[u8]) -> Option<()> {
    let format = |prefix: &str| target.strip_prefix(prefix).map(|name| name.replace('_', "-"));
    match target {
        "scenario" => drop(crate::scenarios::parse(data)),
        "simulate" => crate::scenarios::simulate(data),
        "experiment" => crate::scenarios::experiment(data),
        _ if target.starts_with("trace_") => {
            let name = format("trace_")?;
            crate::tasks::check(TaskFormat::ALL.into_iter().find(|f| f.name() == name)?, data);
        }
        _ => {
            let name = format("rate_")?;
            crate::rates::check(RateFormat::ALL.into_iter().find(|f| f.name() == name)?, data);
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// The files of `dir/<target>/` for each target folder, in name order.
    fn inputs(dir: &str) -> Vec<(String, std::path::PathBuf)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let mut found = Vec::new();
        for folder in std::fs::read_dir(&root).unwrap() {
            let folder = folder.unwrap().path();
            let target = folder.file_name().unwrap().to_string_lossy().into_owned();
            for file in std::fs::read_dir(&folder).unwrap() {
                found.push((target.clone(), file.unwrap().path()));
            }
        }
        found.sort();
        found
    }

    #[test]
    fn every_target_has_a_check() {
        let targets = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz_targets");
        let mut names = Vec::new();
        for file in std::fs::read_dir(targets).unwrap() {
            let name = file.unwrap().path().file_stem().unwrap().to_string_lossy().into_owned();
            assert!(run(&name, b"").is_some(), "fuzz_targets/{name}.rs has no check in replay::run");
            names.push(name);
        }
        // The scenario, simulate and experiment targets, and one per trace format.
        assert_eq!(names.len(), 3 + TaskFormat::ALL.len() + RateFormat::ALL.len(), "{names:?}");
        assert!(run("trace_nothing", b"").is_none() && run("rate_", b"").is_none());
    }

    /// The crashes found before stay fixed: each passes its target's checks.
    #[test]
    fn regressions_pass_their_targets_checks() {
        let found = inputs("regressions");
        assert!(!found.is_empty());
        for (target, path) in found {
            println!("{target}: {}", path.display());
            run(&target, &std::fs::read(&path).unwrap()).unwrap_or_else(|| panic!("regressions/{target} names no target"));
        }
    }

    /// The seeds pass the checks the fuzzer starts from (`seeds/traces` is
    /// the traces folder scenarios read, not a target's).
    #[test]
    fn seeds_pass_their_targets_checks() {
        for (target, path) in inputs("seeds").into_iter().filter(|(target, _)| target != "traces") {
            println!("{target}: {}", path.display());
            run(&target, &std::fs::read(&path).unwrap()).unwrap_or_else(|| panic!("seeds/{target} names no target"));
        }
    }
}
