//! What a command leaves in its output directory: every table with its
//! header, no temporary file, and no file of an earlier run.

use crate::support::{orchsim, preloaded_nodes, repo};

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
fn temp_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
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
fn interrupted(dir: &std::path::Path, args: &[&str], sign: &str, signal: &str) -> Option<i32> {
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
        assert_eq!(temp_files(&tmp.path().join("e")), Vec::<std::path::PathBuf>::new(), "{signal}");
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
    assert_eq!(temp_files(&tmp.path().join("s")), Vec::<std::path::PathBuf>::new());
}
