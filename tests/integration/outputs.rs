//! What a command leaves in its output directory: every table with its
//! header, no temporary file, and no file of an earlier run.

use crate::support::{orchsim, repo};

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
