//! Every kind of bad scenario exits with code 2 and names the file, line and field.

use crate::support::orchsim;

const BASE: &str = r#"name = "bad"
[[node_groups]]
name = "n"
count = 4
cpu = "8"
memory = "16Gi"

[[images]]
name = "app:1"
size = "100Mi"

[[batch]]
name = "jobs"
jobs = 3
interarrival = { dist = "exponential", mean = "10s" }
duration = { dist = "lognormal", median = "1m", sigma = 0.5 }
cpu = "500m"
memory = "1Gi"
images = ["app:1"]
"#;

/// Replaces the line starting with `prefix` by `line`, writes the scenario,
/// validates and runs it, and checks both fail with exit 2 naming
/// `file:LINE` and each of `mentions`.
fn assert_rejected(prefix: &str, line: &str, mentions: &[&str]) {
    let lines: Vec<&str> = BASE.lines().collect();
    let at = lines.iter().position(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no line starts with {prefix}"));
    let mut text: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    text[at] = line.to_string();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bad.toml");
    std::fs::write(&path, text.join("\n")).unwrap();
    for cmd in ["validate", "run"] {
        let o = orchsim(tmp.path(), &[cmd, "bad.toml"]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "`{cmd}` with `{line}`: exit {:?}, stderr: {stderr}", o.status.code());
        let location = format!("bad.toml:{}:", at + 1);
        assert!(stderr.contains(&location), "`{cmd}` with `{line}`: expected {location} in: {stderr}");
        for m in mentions {
            assert!(stderr.contains(m), "`{cmd}` with `{line}`: expected `{m}` in: {stderr}");
        }
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    // Nothing was written for a scenario that never ran.
    assert!(!tmp.path().join("results").exists());
}

#[test]
fn base_scenario_is_valid() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("ok.toml"), BASE).unwrap();
    let o = orchsim(tmp.path(), &["validate", "ok.toml"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.starts_with("ok: bad: 4 nodes"), "{stdout}");
}

#[test]
fn syntax_error() {
    assert_rejected("memory = \"16Gi\"", "memory = \"16Gi", &["memory"]);
}

#[test]
fn unknown_field() {
    assert_rejected("count = 4", "cont = 4", &["unknown field `cont`"]);
}

#[test]
fn wrong_type() {
    assert_rejected("count = 4", "count = \"four\"", &["node_groups[0].count", "invalid type"]);
}

#[test]
fn negative_capacity() {
    assert_rejected("cpu = \"8\"", "cpu = \"-8\"", &["node_groups[0].cpu", "negative"]);
}

#[test]
fn zero_capacity() {
    assert_rejected("memory = \"16Gi\"", "memory = 0", &["node_groups[0].memory", "positive"]);
}

#[test]
fn unparseable_quantity() {
    assert_rejected("memory = \"16Gi\"", "memory = \"16GB\"", &["node_groups[0].memory", "memory quantity"]);
}

#[test]
fn invalid_distribution_parameter() {
    assert_rejected(
        "duration = ",
        "duration = { dist = \"lognormal\", median = \"1m\", sigma = -0.5 }",
        &["batch[0].duration.sigma", "positive"],
    );
}

#[test]
fn unknown_distribution() {
    assert_rejected(
        "interarrival = ",
        "interarrival = { dist = \"poisson\", mean = \"10s\" }",
        &["batch[0].interarrival.dist", "unknown distribution"],
    );
}

#[test]
fn pod_larger_than_every_node() {
    assert_rejected("cpu = \"500m\"", "cpu = \"64\"", &["batch[0].cpu", "fits no node"]);
}

#[test]
fn unknown_image() {
    assert_rejected("images = ", "images = [\"nope:2\"]", &["batch[0].images[0]", "unknown image"]);
}

#[test]
fn unknown_scheduler_parameter() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("s.toml"), format!("{BASE}\n[scheduler]\nkind = \"kubernetes\"\npercentage = 50\n")).unwrap();
    let o = orchsim(tmp.path(), &["validate", "s.toml"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("s.toml:") && stderr.contains("percentage"), "{stderr}");
}

#[test]
fn missing_file_and_bad_flag_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let o = orchsim(tmp.path(), &["run", "nope.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nope.toml"));
    let o = orchsim(tmp.path(), &["run", "--seed", "abc"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--seed"));
}

#[test]
fn every_error_is_reported_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let text = BASE.replace("cpu = \"8\"", "cpu = \"-8\"").replace("sigma = 0.5", "sigma = -1.0");
    std::fs::write(tmp.path().join("two.toml"), text).unwrap();
    let o = orchsim(tmp.path(), &["validate", "two.toml"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr.contains("two.toml:5:") && stderr.contains("two.toml:16:"), "{stderr}");
}
