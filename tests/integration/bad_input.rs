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

/// Replaces the line starting with `prefix` by `line` (one or more lines),
/// writes the scenario, validates and runs it, and checks both fail with exit
/// 2 naming `file:LINE` (a line of the replacement) and each of `mentions`.
fn assert_rejected(prefix: &str, line: &str, mentions: &[&str]) {
    let lines: Vec<&str> = BASE.lines().collect();
    let at = lines.iter().position(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no line starts with {prefix}"));
    let mut text: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    text[at] = line.to_string();
    let expected_lines: Vec<usize> = (0..line.lines().count()).map(|k| at + 1 + k).collect();
    assert_text_rejected(&text.join("\n"), &expected_lines, mentions);
}

/// Validates and runs `text`, checking both fail with exit 2 naming
/// `bad.toml:L:` for one of `lines` and each of `mentions`.
fn assert_text_rejected(text: &str, lines: &[usize], mentions: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("bad.toml"), text).unwrap();
    for cmd in ["validate", "run"] {
        let o = orchsim(tmp.path(), &[cmd, "bad.toml"]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "`{cmd}`: exit {:?}, stderr: {stderr}", o.status.code());
        let locations: Vec<String> = lines.iter().map(|l| format!("bad.toml:{l}:")).collect();
        assert!(locations.iter().any(|l| stderr.contains(l)), "`{cmd}`: expected one of {locations:?} in: {stderr}");
        for m in mentions {
            assert!(stderr.contains(m), "`{cmd}`: expected `{m}` in: {stderr}");
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

#[test]
fn absurd_durations_are_errors_not_hangs() {
    assert_rejected("duration = ", "duration = 1e300", &["batch[0].duration"]);
    assert_rejected("name = \"jobs\"", "name = \"jobs\"\nstart = \"10m\"\nuntil = \"5m\"", &["batch[0].until", "before `start`"]);
}

#[test]
fn simulation_section_limits() {
    for (line, field) in [
        ("[simulation]\nsample_interval = 1e300", "simulation.sample_interval"),
        ("[simulation]\nduration = 1e300", "simulation.duration"),
        ("[simulation]\nduration = \"300d\"\nsample_interval = \"1ms\"", "simulation.sample_interval"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        // The [simulation] table goes right after the top-level `name`.
        std::fs::write(tmp.path().join("s.toml"), BASE.replacen("name = \"bad\"\n", &format!("name = \"bad\"\n{line}\n"), 1)).unwrap();
        let o = orchsim(tmp.path(), &["validate", "s.toml"]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{line}: {stderr}");
        assert!(stderr.contains(field) && stderr.contains("s.toml:"), "{line}: {stderr}");
    }
}

#[test]
fn runaway_sizes_are_errors() {
    assert_rejected("count = 4", "count = 4000000000", &["node_groups", "at most"]);
    assert_rejected("jobs = 3", "jobs = 3\ntasks = 1e12", &["batch[0].tasks", "at most"]);
    // Without a `jobs` limit, a 1 ns mean gap would submit jobs for ever at t = 0.
    let text = BASE.replace("jobs = 3\n", "until = \"1m\"\n").replace("mean = \"10s\"", "mean = \"1ns\"");
    let line = text.lines().position(|l| l.starts_with("interarrival")).unwrap() + 1;
    assert_text_rejected(&text, &[line], &["batch[0].interarrival", "pods"]);
    assert_rejected("memory = \"16Gi\"", "memory = \"10Ei\"", &["node_groups", "too large"]);
}

#[test]
fn distribution_ranges_are_checked() {
    assert_rejected(
        "memory = \"1Gi\"",
        "memory = { dist = \"uniform\", low = -1.7e308, high = 1.7e308 }",
        &["batch[0].memory.low", "negative"],
    );
}

#[test]
fn scenario_name_cannot_escape_the_results_folder() {
    assert_rejected("name = \"bad\"", "name = \"../../escaped\"", &["`name`", "letters"]);
}

/// Jobs have no scale subresource: Kubernetes takes only an integer
/// `minAvailable` for their pods.
#[test]
fn batch_disruption_budgets_take_an_integer_min_available_only() {
    let budget = |b: &str| format!("images = [\"app:1\"]\ndisruption_budget = {{ {b} }}");
    let no_scale = "batch jobs have no replica count to scale by";
    assert_rejected("images =", &budget("max_unavailable = 1"), &["batch[0].disruption_budget.max_unavailable", no_scale]);
    assert_rejected("images =", &budget("min_available = \"50%\""), &["batch[0].disruption_budget.min_available", no_scale]);
    assert_rejected("images =", &budget("min_available = 1, max_unavailable = 1"), &["batch[0].disruption_budget", "not both"]);
    assert_rejected("images =", &budget("min_available = 1.5"), &["batch[0].disruption_budget.min_available", "whole number of pods"]);
    assert_rejected("images =", &budget("min_available = \"120%\""), &["0–100 %"]);
    assert_rejected("images =", &budget("min_available = \"+50%\""), &["a percentage such as"]);
    assert_rejected("images =", &budget("min_avail = 1"), &["unknown field `min_avail`"]);
}

/// BASE with a `[failures]` part appended, and the line of the part's first
/// line containing `marker`.
fn with_failures(part: &str, marker: &str) -> (String, usize) {
    let text = format!("{BASE}{part}");
    let start = BASE.lines().count();
    let line = text.lines().skip(start).position(|l| l.contains(marker)).unwrap_or_else(|| panic!("no line contains {marker}"));
    (text, start + line + 1)
}

#[test]
fn failure_script_naming_an_unknown_node() {
    let (text, line) = with_failures("[[failures.script]]\nat = \"1m\"\naction = \"fail\"\nnode = \"n-9\"\n", "node =");
    assert_text_rejected(&text, &[line], &["failures.script[0].node", "no node is named `n-9`", "n-0 … n-3"]);
}

#[test]
fn failure_script_count_needs_action_add() {
    let (text, line) = with_failures("[[failures.script]]\nat = \"1m\"\naction = \"fail\"\npool = \"n\"\ncount = 2\n", "count =");
    assert_text_rejected(&text, &[line], &["failures.script[0].count", "only `add` takes a count"]);
}

#[test]
fn failure_model_with_both_mtbf_and_a_distribution() {
    let part =
        "[[failures.nodes]]\nmtbf = \"30d\"\ntime_to_failure = { dist = \"weibull\", shape = 0.7, scale = \"20d\" }\nmttr = \"1h\"\n";
    let (text, line) = with_failures(&format!("[simulation]\nduration = \"1d\"\n{part}"), "time_to_failure");
    assert_text_rejected(&text, &[line], &["failures.nodes[0].time_to_failure", "not both"]);
}

#[test]
fn random_failures_need_a_run_duration() {
    let (text, line) = with_failures("[[failures.crashes]]\nworkload = \"jobs\"\nmtbf = \"2h\"\n", "[[failures.crashes]]");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("bad.toml"), text).unwrap();
    for cmd in ["validate", "run"] {
        let o = orchsim(tmp.path(), &[cmd, "bad.toml"]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "`{cmd}`: {stderr}");
        // No [simulation] section to point at: the message names the model and its line.
        for m in ["bad.toml", "simulation.duration", &format!("[[failures.crashes]] (line {line})"), "give the run a duration"] {
            assert!(stderr.contains(m), "`{cmd}`: expected `{m}` in: {stderr}");
        }
    }
    assert!(!tmp.path().join("results").exists());
}

/// Traces that would have the reader allocate without bound (a header asking
/// for 4·10⁹ machines, a file without line breaks) stop `trace inspect` and a
/// scenario replaying them with exit 2 and the file, line and field, instead
/// of aborting on a failed allocation.
#[test]
fn traces_that_would_exhaust_memory_are_errors_not_aborts() {
    let tmp = tempfile::tempdir().unwrap();
    let job = "1 0 0 10 1 -1 -1 1 -1 -1 1 1 1 -1 -1 -1 -1 -1\n";
    std::fs::write(tmp.path().join("huge.swf"), format!("; Version: 2.2\n; MaxNodes: 4000000000\n{job}")).unwrap();
    std::fs::write(tmp.path().join("zeros.swf"), vec![0u8; 3 << 20]).unwrap();
    let header = format!("{}\n", orchsim::trace::tasks::NATIVE_TASK_COLUMNS.join(","));
    std::fs::write(tmp.path().join("zeros.csv"), [header.as_bytes(), &vec![0u8; 3 << 20]].concat()).unwrap();
    // A bad header line can be skipped like any bad row (the log then has no machines); an endless line cannot.
    let cases = [
        ("huge.swf", "swf", "huge.swf: line 2, MaxNodes: 4000000000 nodes is more than the 1000000", ""),
        ("zeros.swf", "swf", "zeros.swf: line 1: longer than 1048576 bytes without a line break", "--skip-bad-rows"),
        ("zeros.csv", "native", "zeros.csv: line 2: longer than 1048576 bytes without a line break", "--skip-bad-rows"),
    ];
    for (file, format, message, skip) in cases {
        let scenario = format!(
            "name = \"t\"\n[[node_groups]]\nname = \"n\"\ncount = 1\ncpu = \"4\"\nmemory = \"16Gi\"\n\
             [[trace]]\nname = \"t\"\nformat = \"{format}\"\ntasks = \"{file}\"\n"
        );
        std::fs::write(tmp.path().join("s.toml"), scenario).unwrap();
        for args in [vec!["trace", "inspect", file, "--format", format, skip], vec!["validate", "s.toml", skip]] {
            let args: Vec<&str> = args.into_iter().filter(|a| !a.is_empty()).collect();
            let o = orchsim(tmp.path(), &args);
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(stderr.contains(message) && !stderr.contains("panicked"), "{args:?}: expected `{message}` in: {stderr}");
        }
    }
}

/// Replaces the line `old` of the shipped scenario `name` by `new` and checks
/// the error names that line and each of `mentions`.
fn assert_shipped_rejected(name: &str, old: &str, new: &str, mentions: &[&str]) {
    let text = std::fs::read_to_string(crate::support::repo().join("scenarios").join(name)).unwrap();
    let at = text.lines().position(|l| l == old).unwrap_or_else(|| panic!("{name} has no line {old}"));
    let changed: Vec<&str> = text.lines().enumerate().map(|(i, l)| if i == at { new } else { l }).collect();
    assert_text_rejected(&changed.join("\n"), &[at + 1], mentions);
}

/// Errors read through a table kept apart (`[services.autoscaler]`) or an
/// internally tagged enum (`[scheduler]`) name their own key's line, not the header's.
#[test]
fn errors_inside_nested_tables_name_the_keys_line() {
    let hpa = "hpa-diurnal.toml";
    assert_shipped_rejected(hpa, "max_replicas = 60", "max_replicas = \"sixty\"", &["services[0].autoscaler.max_replicas", "invalid type"]);
    assert_shipped_rejected(hpa, "min_replicas = 2", "min_replicaz = 2", &["services[0].autoscaler.min_replicaz", "unknown field"]);
    let mesos = "mesos-frameworks.toml";
    assert_shipped_rejected(mesos, "weight = 2.0", "weight = \"heavy\"", &["scheduler.frameworks[0].weight", "invalid type"]);
    let typo = "max_tasks_per_ofer = 5";
    assert_shipped_rejected(mesos, "max_tasks_per_offer = 5", typo, &["scheduler.frameworks[2].max_tasks_per_ofer", "unknown field"]);
    assert_shipped_rejected(mesos, "allocation_interval = \"1s\"", "allocation_interval = true", &["scheduler.allocation_interval"]);
}

/// A VPA mode orchsim does not model, and a `minReplicas` of 0, name the key's line.
#[test]
fn vpa_modes_and_min_replicas_are_checked() {
    let vpa = "vpa-recreate.toml";
    let line = "vpa = { mode = \"recreate\" }";
    assert_shipped_rejected(vpa, line, "vpa = { mode = \"inplaceorrecreate\" }", &["services[0].vpa.mode", "unknown variant", "recreate"]);
    assert_shipped_rejected(vpa, line, "vpa = { mode = \"recreate\", min_replicas = 0 }", &["services[0].vpa.min_replicas", "at least 1"]);
}

/// A key of 100,000 parts: toml's "recursion limit", with the file and line.
#[test]
fn a_key_of_too_many_parts_names_its_line() {
    let key = vec!["a"; 100_000].join(".");
    assert_text_rejected(&format!("name = \"deep\"\n{key} = 1\n"), &[2], &["too many parts"]);
    assert_text_rejected(&format!("name = \"deep\"\n\n[{key}]\n"), &[3], &["too many parts"]);
}

/// The fuzzing finding kept in `fuzz/regressions/rate_azure_llm/`: request
/// timestamps 338 years apart overflowed the reader's `i64` difference
/// (exit 101). Now the later is a bad row, named with its file, line and
/// column.
#[test]
fn request_timestamps_centuries_apart_are_a_bad_row() {
    let file = crate::support::repo().join("fuzz/regressions/rate_azure_llm/timestamps-338-years-apart");
    let file = file.to_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let o = orchsim(tmp.path(), &["trace", "inspect", file, "--format", "azure-llm"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    let message = "timestamps-338-years-apart: line 3, TIMESTAMP: `2023-11-16 18:12:52` is more than 100 years after";
    assert!(stderr.contains(message) && !stderr.contains("panicked"), "{stderr}");
}

/// Every command prints the cause of an I/O error once, with exit 2: a
/// missing input (a scenario, an experiment, each kind of trace reader, a
/// trace a scenario names), a file that is not the gzip its name says, and
/// outputs that cannot be created (a path under a regular file, which fails
/// even for root). An error that both quoted its cause and chained it as its
/// `source` printed it twice.
#[test]
fn each_cause_is_printed_once() {
    let tmp = tempfile::tempdir().unwrap();
    let kth = crate::support::repo().join("tests/fixtures/traces/swf/kth-sample.swf.gz");
    let kth = kth.to_str().unwrap();
    std::fs::write(tmp.path().join("file"), "").unwrap();
    std::fs::write(tmp.path().join("fake.csv.gz"), "not gzip").unwrap();
    let scenario = "name = \"t\"\n[[node_groups]]\nname = \"n\"\ncount = 1\ncpu = \"4\"\nmemory = \"16Gi\"\n\
                    [[trace]]\nname = \"t\"\nformat = \"native\"\ntasks = \"missing.csv\"\n";
    std::fs::write(tmp.path().join("s.toml"), scenario).unwrap();
    std::fs::write(tmp.path().join("ok.toml"), BASE).unwrap();
    let missing = "No such file or directory (os error 2)";
    let not_a_dir = "Not a directory (os error 20)";
    let cases: [(&[&str], &str); 14] = [
        (&["run", "missing.toml"], missing),
        (&["validate", "missing.toml"], missing),
        (&["compare", "missing.toml"], missing),
        (&["sweep", "missing.toml"], missing),
        (&["validate", "s.toml"], missing),
        (&["trace", "inspect", "missing", "--format", "native"], missing),
        (&["trace", "inspect", "missing", "--format", "google-2011"], missing),
        (&["trace", "inspect", "missing", "--format", "nasa-second"], missing),
        (&["trace", "inspect", "missing", "--format", "alibaba-qps"], missing),
        (&["trace", "inspect", "missing", "--format", "azure-llm"], missing),
        (&["trace", "inspect", "fake.csv.gz", "--format", "native"], "fake.csv.gz: cannot read: "),
        (&["trace", "convert", kth, "--format", "swf", "--out", "file/x.csv"], not_a_dir),
        (&["run", "ok.toml", "--out", "file/run"], not_a_dir),
        (&["man", "--out", "file/man"], not_a_dir),
    ];
    for (args, cause) in cases {
        let o = orchsim(tmp.path(), args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.matches(cause).count(), 1, "{args:?}: expected `{cause}` once in: {stderr}");
        // The gzip error's own text, whatever flate2 calls it, once too: nothing after the path's cause repeats.
        let last = stderr.trim_end().rsplit(": ").next().unwrap();
        assert_eq!(stderr.matches(last).count(), 1, "{args:?}: `{last}` more than once in: {stderr}");
    }
}
