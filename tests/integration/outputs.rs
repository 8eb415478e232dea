//! What a command leaves in its output directory: every table with its
//! header, no temporary file, no file of an earlier run; and what it does
//! with an output path it cannot use.

use std::path::{Path, PathBuf};
use std::process::Output;

use orchsim::report::output_dir::RUN_FILES;

use crate::support::{one_task_class, orchsim, preloaded_nodes, repo};

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts `o` failed with exit 2 and its stderr contains each of `mentions`.
fn assert_refused(o: &Output, mentions: &[&str]) {
    assert_eq!(o.status.code(), Some(2), "{}", stderr(o));
    for m in mentions {
        assert!(stderr(o).contains(m), "expected `{m}` in: {}", stderr(o));
    }
}

/// Writes `s.toml`, a one-node scenario of one short task, into `dir`.
fn small(dir: &Path) {
    std::fs::write(dir.join("s.toml"), format!("{}{}", preloaded_nodes("s", 1, 4), one_task_class("b", "1", "1m", ""))).unwrap();
}

/// A table without rows still names its columns, so pandas and the csv crate can load it.
#[test]
fn an_empty_table_has_its_header() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = repo().join("scenarios/zone-outage.toml");
    let o = orchsim(tmp.path(), &["run", scenario.to_str().unwrap(), "--out", "z", "--no-chart"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut reader = csv::Reader::from_path(tmp.path().join("z/scaling_events.csv")).unwrap();
    let names: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(names, ["time_s", "kind", "target", "from", "to", "policy", "reason"]);
    assert_eq!(reader.records().count(), 0, "zone-outage scales nothing");
}

/// Every `.tmp` file (or chart drawn under a `.tmp.` name) below `dir`.
fn temp_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(temp_files(&path));
        } else if path.file_name().unwrap().to_string_lossy().contains(".tmp") {
            found.push(path);
        }
    }
    found
}

/// A scenario that runs for minutes: a job a second for a year.
fn endless() -> String {
    let batch = "[[batch]]\nname = \"b\"\nuntil = \"365d\"\ninterarrival = \"1s\"\nduration = \"1s\"\nstartup = \"0s\"\n\
                 cpu = \"100m\"\nmemory = \"100Mi\"\nimages = [\"app:1\"]\n";
    format!("{}[simulation]\nduration = \"365d\"\n{batch}", preloaded_nodes("endless", 2, 64))
}

/// Starts `orchsim args` in `dir`, waits until `sign` exists (so the work is
/// under way), sends `signal` and returns the exit code.
#[cfg(unix)]
fn interrupted(dir: &Path, args: &[&str], sign: &str, signal: &str) -> Option<i32> {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_orchsim")).current_dir(dir).args(args).spawn().expect("orchsim starts");
    while !dir.join(sign).exists() {
        assert!(child.try_wait().unwrap().is_none(), "orchsim ended before writing {sign}");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let kill = std::process::Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    child.wait().unwrap().code()
}

/// SIGTERM and SIGINT stop a run with 143 and 130, leaving no temporary file.
#[cfg(unix)]
#[test]
fn a_signal_removes_the_files_in_progress() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("endless.toml"), endless()).unwrap();
    for (signal, code) in [("-TERM", 143), ("-INT", 130)] {
        let args = ["run", "endless.toml", "--out", "e", "--explain"];
        assert_eq!(interrupted(tmp.path(), &args, "e/pods.csv.tmp", signal), Some(code), "{signal}");
        assert_eq!(temp_files(&tmp.path().join("e")), Vec::<PathBuf>::new(), "{signal}");
        assert!(!tmp.path().join("e/summary.csv").exists(), "an interrupted run has no result");
    }
}

/// A sweep's runs on worker threads are stopped the same way.
#[cfg(unix)]
#[test]
fn a_signal_stops_a_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("endless.toml"), endless()).unwrap();
    std::fs::write(tmp.path().join("exp.toml"), "name = \"e\"\nscenario = \"endless.toml\"\nreplications = 4\n[grid]\nload = [1]\n")
        .unwrap();
    let args = ["sweep", "exp.toml", "--out", "s", "--jobs", "2", "--series", "-q"];
    assert_eq!(interrupted(tmp.path(), &args, "s/sweep.json", "-TERM"), Some(143));
    assert_eq!(temp_files(&tmp.path().join("s")), Vec::<PathBuf>::new());
}

/// A run into the directory of an earlier run replaces it whole: nothing of
/// the earlier one is left (here, decisions.csv and the charts of a run with
/// more outputs), so `plot` cannot mix the two.
#[test]
fn a_rerun_replaces_the_earlier_run() {
    let tmp = tempfile::tempdir().unwrap();
    small(tmp.path());
    let o = orchsim(tmp.path(), &["run", "s.toml", "--out", "r", "--explain"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(names(&tmp.path().join("r")).contains(&"decisions.csv".to_string()));
    std::fs::write(tmp.path().join("r/notes.txt"), "mine").unwrap();
    let o = orchsim(tmp.path(), &["run", "s.toml", "--out", "r", "--no-chart"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let want = ["batch_summary.csv", "notes.txt", "pods.csv", "run.json", "summary.csv", "timeseries.csv"];
    assert_eq!(names(&tmp.path().join("r")), want, "the run's own files, and the user's");
    let marker = std::fs::read_to_string(tmp.path().join("r/run.json")).unwrap();
    assert!(marker.contains("\"kind\": \"run\"") && marker.contains("\"scenario\": \"s\""), "{marker}");
}

/// A second run that does not finish leaves no summary of the first to be taken for its own.
#[cfg(unix)]
#[test]
fn a_failed_rerun_leaves_no_result_of_the_earlier_run() {
    let tmp = tempfile::tempdir().unwrap();
    small(tmp.path());
    std::fs::write(tmp.path().join("endless.toml"), endless()).unwrap();
    let o = orchsim(tmp.path(), &["run", "s.toml", "--out", "r", "--no-chart"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(interrupted(tmp.path(), &["run", "endless.toml", "--out", "r", "--no-chart"], "r/pods.csv.tmp", "-TERM"), Some(143));
    assert_eq!(names(&tmp.path().join("r")), ["run.json"]);
    let marker = std::fs::read_to_string(tmp.path().join("r/run.json")).unwrap();
    assert!(marker.contains("\"scenario\": \"endless\""), "the directory is the failed run's: {marker}");
}

/// A non-empty directory that is not an earlier run is refused (exit 2,
/// nothing written) unless forced; an empty one is taken.
#[test]
fn a_run_refuses_a_directory_it_does_not_own_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    small(tmp.path());
    std::fs::create_dir(tmp.path().join("mine")).unwrap();
    std::fs::write(tmp.path().join("mine/summary.csv"), "my own table").unwrap();
    let o = orchsim(tmp.path(), &["run", "s.toml", "--out", "mine", "--no-chart"]);
    assert_refused(&o, &["mine: holds files that are not an orchsim output", "--force"]);
    assert_eq!(names(&tmp.path().join("mine")), ["summary.csv"], "nothing written");
    let o = orchsim(tmp.path(), &["run", "s.toml", "--out", "mine", "--no-chart", "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(names(&tmp.path().join("mine")).contains(&"run.json".to_string()));

    std::fs::create_dir(tmp.path().join("empty")).unwrap();
    let o = orchsim(tmp.path(), &["run", "s.toml", "--out", "empty", "--no-chart"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // A path that is a file is no directory at all, --force or not.
    let o = orchsim(tmp.path(), &["run", "s.toml", "--out", "s.toml", "--force"]);
    assert_refused(&o, &["s.toml: not a directory"]);
}

/// Runs, comparisons and sweeps do not write into each other's directories;
/// a comparison replaces an earlier one with its policy folders; `plot`
/// redraws what the marker names.
#[test]
fn outputs_of_one_kind_refuse_the_directories_of_another() {
    let tmp = tempfile::tempdir().unwrap();
    small(tmp.path());
    std::fs::write(tmp.path().join("exp.toml"), "name = \"e\"\nscenario = \"s.toml\"\nreplications = 1\n[grid]\nload = [1]\n").unwrap();
    let ok = |args: &[&str]| {
        let o = orchsim(tmp.path(), args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    };
    ok(&["run", "s.toml", "--out", "r", "--no-chart"]);
    ok(&["compare", "s.toml", "--policies", "kubernetes,borg", "--out", "c", "--no-chart"]);
    ok(&["sweep", "exp.toml", "--out", "w", "--no-chart", "-q"]);
    assert_refused(&orchsim(tmp.path(), &["sweep", "exp.toml", "--out", "r", "-q"]), &["r: holds a run of `s` (run.json)", "a sweep"]);
    assert_refused(&orchsim(tmp.path(), &["run", "s.toml", "--out", "w"]), &["w: holds a sweep (sweep.json)"]);
    assert_refused(&orchsim(tmp.path(), &["run", "s.toml", "--out", "c"]), &["c: holds a comparison on `s`"]);
    assert_refused(&orchsim(tmp.path(), &["compare", "s.toml", "--out", "r"]), &["r: holds a run"]);
    assert_refused(&orchsim(tmp.path(), &["merge", "w", "--out", "r"]), &["r: holds a run"]);
    assert_eq!(names(&tmp.path().join("r")), ["batch_summary.csv", "pods.csv", "run.json", "summary.csv", "timeseries.csv"]);

    ok(&["compare", "s.toml", "--policies", "kubernetes", "--out", "c", "--no-chart"]);
    assert_eq!(names(&tmp.path().join("c")), ["kubernetes", "run.json", "summary.csv"], "borg's folder went with the earlier comparison");
    ok(&["plot", "c"]);
    assert!(tmp.path().join("c/kubernetes/utilization.png").exists());
    // With --force, a sweep takes over a run's directory, which is then a sweep's alone.
    ok(&["sweep", "exp.toml", "--out", "r", "--no-chart", "-q", "--force"]);
    assert!(!tmp.path().join("r/run.json").exists() && tmp.path().join("r/sweep.json").exists());
}

/// A sweep that replaces another (without --resume) leaves none of its
/// tables or charts: here a chart of a metric the new one does not draw.
#[test]
fn a_sweep_replaces_the_charts_of_the_earlier_one() {
    let tmp = tempfile::tempdir().unwrap();
    small(tmp.path());
    std::fs::write(tmp.path().join("exp.toml"), "name = \"e\"\nscenario = \"s.toml\"\nreplications = 1\n[grid]\nload = [1]\n").unwrap();
    let o = orchsim(tmp.path(), &["sweep", "exp.toml", "--out", "w", "--no-chart", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for stale in ["cost_bars.png", "cost_by_load.svg", "pending_cdf.png", "notes.txt"] {
        std::fs::write(tmp.path().join("w").join(stale), "earlier").unwrap();
    }
    let o = orchsim(tmp.path(), &["sweep", "exp.toml", "--out", "w", "--no-chart", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(names(&tmp.path().join("w")), ["notes.txt", "pending_cdf.csv", "runs", "runs.csv", "summary.csv", "sweep.json"]);
}

/// [`RUN_FILES`] names everything a run writes, so a rerun can delete it all.
#[test]
fn the_files_a_run_replaces_are_all_it_writes() {
    let tmp = tempfile::tempdir().unwrap();
    for (scenario, extra) in [("zone-outage", &["--explain"][..]), ("mtbf-batch", &[][..])] {
        let path = repo().join(format!("scenarios/{scenario}.toml"));
        let o = orchsim(tmp.path(), &[&["run", path.to_str().unwrap(), "--out", scenario][..], extra].concat());
        assert!(o.status.success(), "{}", stderr(&o));
        for name in names(&tmp.path().join(scenario)) {
            assert!(RUN_FILES.contains(&name.as_str()) || name == "run.json", "{scenario}: {name} is not in RUN_FILES");
        }
    }
}

/// An output path that cannot be used is exit 2, found before any work:
/// `trace convert` reads nothing and leaves no `.tmp`.
#[test]
fn an_unusable_output_path_is_refused_before_the_work() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("rate.csv"), "time_s,rate\n0,1\n60,2\n").unwrap();
    std::fs::create_dir(tmp.path().join("dir")).unwrap();
    let convert = |input: &str, out: &str| orchsim(tmp.path(), &["trace", "convert", input, "--format", "native-rate", "--out", out]);
    assert_refused(&convert("rate.csv", "dir"), &["dir: is a directory"]);
    // The output is checked first: the missing input is not even looked at.
    assert_refused(&convert("missing.csv", "dir"), &["dir: is a directory"]);
    assert_refused(&convert("rate.csv", "no/such/parent.csv"), &["no/such/parent.csv: cannot write"]);
    assert_eq!(names(tmp.path()), ["dir", "rate.csv"], "no .tmp left");
    assert_eq!(names(&tmp.path().join("dir")), Vec::<String>::new());
    let o = convert("rate.csv", "dir/back.csv");
    assert!(o.status.success(), "{}", stderr(&o));

    small(tmp.path());
    assert_refused(&orchsim(tmp.path(), &["run", "s.toml", "--out", "rate.csv/r"]), &["rate.csv/r"]);
    assert_refused(&orchsim(tmp.path(), &["plot", "nowhere"]), &["nowhere: no such directory"]);
    assert_refused(&orchsim(tmp.path(), &["plot", "rate.csv"]), &["rate.csv: not a directory"]);
}

/// Each cause of an error is printed once, however the error types chain it.
#[test]
fn an_io_error_is_printed_once() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [&["run", "missing.toml"][..], &["trace", "inspect", "missing.swf", "--format", "swf"]] {
        let o = orchsim(tmp.path(), args);
        assert_refused(&o, &["missing."]);
        assert_eq!(stderr(&o).matches("(os error 2)").count(), 1, "{}", stderr(&o));
    }
}
