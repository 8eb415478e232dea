//! `orchsim sweep`, `merge` and `plot`: determinism over thread counts,
//! statistics, shards, resume, and bad experiments.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use orchsim::policy::scheduler::Registry;
use orchsim::scenario::LoadOptions;
use orchsim::sweep::{self, Experiment, Shard, SweepOptions};

use crate::support::{orchsim, scenario};

/// A small cluster with one batch class arriving for `minutes`.
fn base(minutes: u32) -> String {
    format!(
        r#"
name = "small"
seed = 4
[simulation]
sample_interval = "30s"
[[node_groups]]
name = "n"
count = 6
cpu = "4"
memory = "16Gi"
[[images]]
name = "app"
size = "100Mi"
[[batch]]
name = "work"
until = "{minutes}m"
interarrival = {{ dist = "exponential", mean = "6s" }}
tasks = {{ dist = "uniform", low = 1, high = 4 }}
duration = {{ dist = "lognormal", median = "2m", sigma = 0.6, max = "20m" }}
cpu = {{ dist = "uniform", low = "500m", high = "2" }}
memory = "1Gi"
images = ["app"]
[scheduler]
kind = "kubernetes"
"#
    )
}

/// Writes `base.toml` and `exp.toml` (with `grid` and `extra` lines) into `dir`.
fn experiment_files(dir: &Path, minutes: u32, replications: u32, grid: &str) -> PathBuf {
    std::fs::write(dir.join("base.toml"), base(minutes)).unwrap();
    let exp = dir.join("exp.toml");
    std::fs::write(&exp, format!("name = \"t\"\nscenario = \"base.toml\"\nreplications = {replications}\nseed = 7\n\n[grid]\n{grid}\n"))
        .unwrap();
    exp
}

const GRID: &str = "policy = [\"kubernetes\", \"best-fit\"]\nload = [0.5, 1.5]";

fn load(exp: &Path) -> Experiment {
    Experiment::load(exp, &Registry::default(), &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn tables(dir: &Path) -> Vec<(String, Vec<u8>)> {
    ["runs.csv", "summary.csv", "pending_cdf.csv"].iter().map(|f| (f.to_string(), std::fs::read(dir.join(f)).unwrap())).collect()
}

fn sweep_into(exp: &Experiment, dir: &Path, options: SweepOptions) -> sweep::SweepReport {
    sweep::run(exp, dir, &options).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn tables_are_byte_identical_on_1_2_and_8_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = load(&experiment_files(tmp.path(), 10, 3, GRID));
    let outputs: Vec<_> = [1, 2, 8]
        .iter()
        .map(|&jobs| {
            let dir = tmp.path().join(format!("j{jobs}"));
            let report = sweep_into(&exp, &dir, SweepOptions { jobs: Some(jobs), ..Default::default() });
            assert_eq!((report.total, report.ran, report.kept), (12, 12, 0));
            tables(&dir)
        })
        .collect();
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
    // --series adds each run's own tables and leaves the sweep's unchanged.
    let series = tmp.path().join("series");
    sweep_into(&exp, &series, SweepOptions { series: true, ..Default::default() });
    assert_eq!(tables(&series), outputs[0]);
    let run = std::fs::read_to_string(series.join("runs/000006/summary.csv")).unwrap();
    assert!(series.join("runs/000006/timeseries.csv").exists() && run.contains(",best-fit,"), "{run}");
    let runs = String::from_utf8(outputs[0][0].1.clone()).unwrap();
    assert!(runs.starts_with("run,cell,replication,seed,policy,load,scenario,nodes,"), "{}", &runs[..80]);
    assert_eq!(runs.lines().count(), 13);
}

/// Common random numbers: replication r has the same seed in every cell, so
/// two policies at the same load see the same jobs.
#[test]
fn every_cell_of_a_replication_sees_the_same_workload() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = load(&experiment_files(tmp.path(), 10, 2, GRID));
    sweep_into(&exp, tmp.path(), SweepOptions::default());
    let mut reader = csv::Reader::from_path(tmp.path().join("runs.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let (policy, load, rep, seed, pods) = (col("policy"), col("load"), col("replication"), col("seed"), col("pods_submitted"));
    for a in &rows {
        for b in &rows {
            if a[rep] == b[rep] {
                assert_eq!(a[seed], b[seed]);
            }
            if a[rep] == b[rep] && a[load] == b[load] {
                assert_eq!(a[pods], b[pods], "{} vs {}", &a[policy], &b[policy]);
            }
        }
    }
    // Replication 0 runs on the master seed; the offered load triples the jobs (0.5 vs 1.5).
    assert_eq!(&rows[0][seed], "7");
    let submitted = |l: &str| rows.iter().filter(|r| &r[load] == l).map(|r| r[pods].parse::<f64>().unwrap()).sum::<f64>();
    let ratio = submitted("1.5") / submitted("0.5");
    assert!((2.5..3.5).contains(&ratio), "pods at load 1.5 / 0.5 = {ratio}");
}

/// summary.csv against the formulas, by hand, from runs.csv: mean, sample
/// sd, and mean ± t(0.975, n-1)·sd/√n with t(0.975, 3) = 3.182446.
#[test]
fn summary_statistics_match_a_hand_computation() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = load(&experiment_files(tmp.path(), 10, 4, "policy = [\"kubernetes\"]"));
    sweep_into(&exp, tmp.path(), SweepOptions::default());
    let mut runs = csv::Reader::from_path(tmp.path().join("runs.csv")).unwrap();
    let header = runs.headers().unwrap().clone();
    let col = header.iter().position(|h| h == "pending_mean_s").unwrap();
    let xs: Vec<f64> = runs.records().map(|r| r.unwrap()[col].parse().unwrap()).collect();
    assert_eq!(xs.len(), 4);
    assert!(xs.iter().any(|&x| x != xs[0]), "replications differ: {xs:?}");
    let mean = (xs[0] + xs[1] + xs[2] + xs[3]) / 4.0;
    let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 3.0).sqrt();
    let half = 3.182446 * sd / 2.0;
    let summary = std::fs::read_to_string(tmp.path().join("summary.csv")).unwrap();
    assert!(summary.starts_with("cell,policy,metric,n,mean,sd,ci95_low,ci95_high\n"));
    let row: Vec<f64> =
        summary.lines().find(|l| l.contains(",pending_mean_s,")).unwrap().split(',').skip(3).map(|v| v.parse().unwrap()).collect();
    assert_eq!(row[0], 4.0);
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1.0);
    assert!(close(row[1], mean) && close(row[2], sd), "{row:?} vs {mean} {sd}");
    assert!(close(row[3], mean - half) && close(row[4], mean + half), "{row:?} vs ±{half}");
}

#[test]
fn shards_merge_into_the_bytes_of_a_single_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = load(&experiment_files(tmp.path(), 10, 3, GRID));
    let whole = tmp.path().join("whole");
    sweep_into(&exp, &whole, SweepOptions::default());
    let shards: Vec<PathBuf> = (1..=3).map(|k| tmp.path().join(format!("shard{k}"))).collect();
    let mut planned = 0;
    for (k, dir) in shards.iter().enumerate() {
        let report = sweep_into(&exp, dir, SweepOptions { shard: Some(Shard { k: k + 1, n: 3 }), ..Default::default() });
        planned += report.planned;
    }
    assert_eq!(planned, 12);
    // A shard that owns no run still writes the tables' headers.
    let empty = tmp.path().join("empty");
    assert_eq!(sweep_into(&exp, &empty, SweepOptions { shard: Some(Shard { k: 20, n: 20 }), ..Default::default() }).planned, 0);
    let header = std::fs::read_to_string(empty.join("runs.csv")).unwrap();
    assert!(header.starts_with("run,cell,replication,seed,policy,load,scenario,nodes,") && header.lines().count() == 1, "{header}");
    // Merging too early names what is missing.
    let err = sweep::merge(&shards[..2], &tmp.path().join("partial")).unwrap_err().to_string();
    assert!(err.contains("4 of 12 runs are missing"), "{err}");
    let merged = tmp.path().join("merged");
    let out = orchsim(tmp.path(), &["merge", "shard1", "shard2", "shard3", "--out", "merged"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(tables(&merged), tables(&whole));
    assert!(merged.join("pending_p95_s_bars.png").exists() && merged.join("pending_cdf.svg").exists());
    // Merging again into the same directory gives the same; into another sweep's, it is refused.
    let out = orchsim(tmp.path(), &["merge", "shard1", "shard2", "shard3", "--out", "merged", "--no-chart"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(tables(&merged), tables(&whole));
    let other = load(&experiment_files(tmp.path(), 12, 3, GRID));
    sweep_into(&other, &tmp.path().join("other"), SweepOptions::default());
    let out = orchsim(tmp.path(), &["merge", "shard1", "shard2", "shard3", "--out", "other"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds another sweep"));
}

#[test]
fn resume_runs_only_what_is_missing_and_ends_with_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = load(&experiment_files(tmp.path(), 10, 3, GRID));
    let dir = tmp.path().join("out");
    sweep_into(&exp, &dir, SweepOptions::default());
    let before = tables(&dir);
    // As a killed sweep leaves it: some records missing, one half-written.
    for run in [1, 5, 6, 11] {
        std::fs::remove_file(sweep::store::record_path(&dir, run)).unwrap();
    }
    std::fs::write(dir.join("runs/000005.json.tmp"), "{ \"index\": 5, \"cel").unwrap();
    // As a power loss may leave an unsynced record: empty.
    std::fs::write(sweep::store::record_path(&dir, 2), "").unwrap();
    let report = sweep_into(&exp, &dir, SweepOptions { resume: true, ..Default::default() });
    assert_eq!((report.kept, report.ran, report.discarded), (7, 5, 1));
    assert_eq!(tables(&dir), before);
    // Resuming into a directory of another sweep is refused.
    let other = load(&experiment_files(tmp.path(), 12, 3, GRID));
    let err = sweep::run(&other, &dir, &SweepOptions { resume: true, ..Default::default() }).unwrap_err().to_string();
    assert!(err.contains("another sweep"), "{err}");
    // Records without a manifest cannot be told apart: refused on resume, discarded otherwise.
    std::fs::remove_file(dir.join("sweep.json")).unwrap();
    let err = sweep::run(&other, &dir, &SweepOptions { resume: true, ..Default::default() }).unwrap_err().to_string();
    assert!(err.contains("no sweep.json"), "{err}");
    let report = sweep_into(&other, &dir, SweepOptions::default());
    assert_eq!((report.kept, report.ran), (0, 12));
}

/// `--resume --replications N` with more replications keeps the runs done,
/// moves them (and their `--series` folders) to their new numbers and adds
/// the rest: the same bytes as a sweep run with N from the start.
#[test]
fn more_replications_extend_a_resumed_sweep_to_the_bytes_of_a_fresh_one() {
    let tmp = tempfile::tempdir().unwrap();
    experiment_files(tmp.path(), 10, 2, GRID);
    let sweep = |out: &str, extra: &[&str]| {
        let args = [&["sweep", "exp.toml", "--out", out, "--no-chart", "-q", "--series"], extra].concat();
        let out = orchsim(tmp.path(), &args);
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    assert_eq!(sweep("fresh", &["--replications", "4"]).0, Some(0));
    assert_eq!(sweep("grown", &[]).0, Some(0));
    let two = tables(&tmp.path().join("grown"));
    let (code, stderr) = sweep("grown", &["--resume", "--replications", "4"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("8 runs in") && stderr.contains("(8 kept from before; extended from 2 to 4 replications per cell)"),
        "{stderr}"
    );
    let (fresh, grown) = (tmp.path().join("fresh"), tmp.path().join("grown"));
    assert_eq!(tables(&grown), tables(&fresh));
    assert_ne!(tables(&grown), two);
    for run in 0..16 {
        let series = |d: &Path| std::fs::read(sweep::store::series_dir(d, run).join("summary.csv")).unwrap();
        assert_eq!(series(&grown), series(&fresh), "run {run}'s series");
    }
    // Fewer replications would drop runs: refused, and nothing changes.
    let (code, stderr) = sweep("grown", &["--resume", "--replications", "3"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("holds 4 replications per cell; resuming can add replications but not drop them (asked for 3)"), "{stderr}");
    assert_eq!(tables(&grown), tables(&fresh));
    // A different master seed is another sweep.
    let (code, stderr) = sweep("grown", &["--resume", "--replications", "5", "--seed", "8"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("holds runs of another sweep"), "{stderr}");
}

/// `--dry-run` validates and lists the plan and what the directory holds,
/// and runs and writes nothing.
#[test]
fn a_dry_run_lists_the_cells_and_what_is_recorded_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    experiment_files(tmp.path(), 10, 2, GRID);
    let dry = |extra: &[&str]| {
        let out = orchsim(tmp.path(), &[&["sweep", "exp.toml", "--out", "d", "--dry-run"], extra].concat());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let plan = dry(&[]);
    let lines: Vec<&str> = plan.lines().collect();
    assert!(lines[0].starts_with("sweep `t`: 4 cells × 2 replications = 8 runs (seed 7); dry run"), "{plan}");
    assert_eq!(lines[1].split_whitespace().collect::<Vec<_>>(), ["cell", "policy", "load"]);
    assert_eq!(lines[5].split_whitespace().collect::<Vec<_>>(), ["3", "best-fit", "1.5"]);
    assert_eq!(lines[6], "d: no sweep yet");
    assert!(!tmp.path().join("d").exists(), "nothing written");
    let out = orchsim(tmp.path(), &["sweep", "exp.toml", "--out", "d", "--no-chart", "-q"]);
    assert!(out.status.success());
    let before = tables(&tmp.path().join("d"));
    assert!(dry(&[]).ends_with("d: 8 of 8 runs recorded; --resume would run 0\n"));
    assert!(
        dry(&["--replications", "3"]).ends_with("d: 8 runs of 2 replications per cell recorded; --resume would extend them and run 4\n")
    );
    assert!(dry(&["--seed", "9"]).contains("d: runs of another sweep"));
    assert!(dry(&["--replications", "1"]).ends_with("d: 2 replications per cell recorded; --resume would refuse to drop runs\n"));
    assert_eq!(tables(&tmp.path().join("d")), before, "a dry run changes nothing");
    // Counted as a resume would find them: an empty record (a power loss) is
    // rerun, not an error; a shard counts its own runs.
    std::fs::write(sweep::store::record_path(&tmp.path().join("d"), 1), "").unwrap();
    assert!(dry(&[]).ends_with("d: 7 of 8 runs recorded; --resume would run 1\n"));
    assert!(dry(&["--shard", "2/2"]).ends_with("d (shard 2/2): 3 of 4 runs recorded; --resume would run 1\n"));
}

#[test]
fn a_killed_sweep_resumes_where_it_stopped() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = experiment_files(tmp.path(), 30, 10, "load = [0.8, 1.0, 1.2, 1.4]");
    let whole = tmp.path().join("whole");
    let status = Command::new(env!("CARGO_BIN_EXE_orchsim"))
        .args(["sweep", exp.to_str().unwrap(), "--out", whole.to_str().unwrap(), "--no-chart", "-q"])
        .status()
        .unwrap();
    assert!(status.success());

    let dir = tmp.path().join("killed");
    let mut child = Command::new(env!("CARGO_BIN_EXE_orchsim"))
        .args(["sweep", exp.to_str().unwrap(), "--out", dir.to_str().unwrap(), "--jobs", "1", "--no-chart", "-q"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let records = |d: &Path| {
        std::fs::read_dir(d.join("runs"))
            .map_or(0, |e| e.filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "json")).count())
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while records(&dir) < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let done = records(&dir);
    assert!((2..40).contains(&done), "{done} of 40 runs recorded when killed");
    assert!(!dir.join("summary.csv").exists(), "the tables are written only at the end");

    let out = orchsim(tmp.path(), &["sweep", exp.to_str().unwrap(), "--out", "killed", "--resume", "--no-chart"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{} runs in", 40 - done)) && stderr.contains(&format!("({done} kept from before)")), "{stderr}");
    assert_eq!(tables(&dir), tables(&whole));
}

#[test]
fn plot_redraws_the_charts_from_the_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = experiment_files(tmp.path(), 10, 2, GRID);
    let out = orchsim(tmp.path(), &["sweep", exp.to_str().unwrap(), "--out", "s", "--no-chart"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dir = tmp.path().join("s");
    assert!(!dir.join("pending_cdf.png").exists());
    let out = orchsim(tmp.path(), &["plot", "s"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for chart in ["pending_p95_s_by_load", "pending_p95_s_bars", "mean_cpu_allocated_by_load", "makespan_s_bars", "pending_cdf"] {
        let png = std::fs::read(dir.join(format!("{chart}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 5_000, "{chart}.png");
        let svg = std::fs::read_to_string(dir.join(format!("{chart}.svg"))).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("kubernetes"), "{chart}.svg");
    }
    // A run's directory gets the run charts.
    std::fs::write(tmp.path().join("base.toml"), base(5)).unwrap();
    let out = orchsim(tmp.path(), &["run", "base.toml", "--out", "r", "--no-chart"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = orchsim(tmp.path(), &["plot", "r"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(tmp.path().join("r/utilization.png").exists() && tmp.path().join("r/utilization.svg").exists());
    // A damaged table is named.
    std::fs::write(dir.join("summary.csv"), "cell,policy,load,metric,n,mean,sd,ci95_low,ci95_high\n0,kubernetes,0.5,m,2,abc,,,\n").unwrap();
    let out = orchsim(tmp.path(), &["plot", "s"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("summary.csv") && stderr.contains("line 2") && stderr.contains("`mean`"), "{stderr}");
}

#[test]
fn bad_experiments_name_the_file_the_parameter_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, &[&str])> = vec![
        ("\"node_groups[big].count\" = [1, 2]", &["exp.toml", "no entry named `big` (it has: n)"]),
        ("\"node_groups[n].cont\" = [1, 2]", &["exp.toml", "node_groups[n].cont=1", "`cont`"]),
        ("policy = [\"kubernetes\", \"fastest\"]", &["exp.toml", "policy=fastest", "fastest"]),
        ("load = [1.0, -2.0]", &["exp.toml", "load=-2", "simulation.load"]),
        ("load = { from = 1, to = 0.5, step = 0.1 }", &["exp.toml:", "grid `load`", "to >= from"]),
        ("\"node_groups[n].count\" = [2, 2]", &["exp.toml:", "listed twice"]),
        ("load = [1.0]\n\"simulation.load\" = [0.5]", &["exp.toml:", "sets the same field as `load`"]),
        ("policy = [\"borg\"]\n\"scheduler.percentage_of_nodes_to_score\" = [50]", &["sets the same field as `policy`"]),
        ("seed = [1, 2]", &["exp.toml:", "replications"]),
        ("cost = { path = \"node_groups[n].count\", values = [1, 2] }", &["`cost` is a column of the outputs"]),
        ("load = { from = 0.5, to = 1.0, step = 1e-320 }", &["grid `load`", "more than"]),
    ];
    for (grid, mentions) in cases {
        let exp = experiment_files(tmp.path(), 10, 2, grid);
        let out = orchsim(tmp.path(), &["sweep", exp.to_str().unwrap(), "--out", "bad", "-q"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{grid}: {stderr}");
        for m in mentions {
            assert!(stderr.contains(m), "{grid}: `{m}` not in {stderr}");
        }
    }
    std::fs::write(tmp.path().join("typo.toml"), "scenario = \"base.toml\"\nreplicatons = 3\n").unwrap();
    let out = orchsim(tmp.path(), &["sweep", "typo.toml"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("typo.toml:2") && stderr.contains("replicatons"), "{stderr}");
    std::fs::write(tmp.path().join("a-file"), "").unwrap();
    experiment_files(tmp.path(), 10, 2, GRID);
    let out = orchsim(tmp.path(), &["sweep", "exp.toml", "--replications", "4000000000", "-q"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exceed"));
    std::fs::write(tmp.path().join("m.toml"), "scenario = \"base.toml\"\nmetrics = [\"pending_p59_s\"]\n").unwrap();
    let out = orchsim(tmp.path(), &["sweep", "m.toml", "-q"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("m.toml:2") && stderr.contains("`pending_p59_s` is not a metric"), "{stderr}");
    let out = orchsim(tmp.path(), &["sweep", "exp.toml", "--out", "a-file/x", "-q"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot create output directory"));
    let out = orchsim(tmp.path(), &["sweep", "exp.toml", "--shard", "4/3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 <= K <= N"));
}

/// `[simulation] load` divides every gap between arrivals (same draws) and
/// multiplies services' request rates.
#[test]
fn load_compresses_the_same_arrivals() {
    let at = |load: f64| {
        let mut s = scenario(&base(5).replace("sample_interval = \"30s\"", &format!("sample_interval = \"30s\"\nload = {load}")));
        s.seed = 3;
        let (_, pods) = crate::support::run(&s);
        let mut submits: Vec<f64> = pods.iter().map(|p| p.submit_s).collect();
        submits.sort_by(f64::total_cmp);
        submits.dedup();
        submits
    };
    let (one, two) = (at(1.0), at(2.0));
    assert!(two.len() > one.len() * 3 / 2, "{} vs {} arrivals", two.len(), one.len());
    for (a, b) in one.iter().zip(&two).take(20) {
        assert!((a / 2.0 - b).abs() < 2e-5, "{a} / 2 vs {b}");
    }
}

/// Every file in scenarios/experiments/ is a valid experiment (every grid
/// cell's scenario validates) or a valid base scenario.
#[test]
fn shipped_experiments_validate() {
    let dir = crate::support::repo().join("scenarios/experiments");
    let mut experiments = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let table: toml::Table = toml::from_str(&text).unwrap();
        if table.contains_key("scenario") {
            let exp = load(&path);
            assert!(exp.cells.len() >= 4 && exp.replications >= 5, "{}", path.display());
            experiments += 1;
        } else {
            orchsim::Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    assert!(experiments >= 3);
}

/// The Slurm and Kubernetes recipes' shard runner, under each batch
/// system's environment, ends with the bytes of a single sweep.
#[test]
fn the_batch_recipes_shard_and_merge_into_the_bytes_of_a_single_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = experiment_files(tmp.path(), 10, 2, GRID);
    let script = crate::support::repo().join("scenarios/experiments/distributed/shard.sh");
    let whole = tmp.path().join("whole");
    sweep_into(&load(&exp), &whole, SweepOptions::default());
    let shard = |out: &str, env: &[(&str, String)]| {
        let status = Command::new("bash")
            .arg(&script)
            .args([exp.to_str().unwrap(), out])
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("ORCHSIM", env!("CARGO_BIN_EXE_orchsim"))
            .current_dir(tmp.path())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "{env:?}");
    };
    for k in 1..=3 {
        shard(
            "slurm",
            &[("SLURM_ARRAY_TASK_ID", k.to_string()), ("SLURM_ARRAY_TASK_COUNT", "3".into()), ("SLURM_CPUS_PER_TASK", "2".into())],
        );
    }
    for index in 0..2 {
        shard("k8s", &[("JOB_COMPLETION_INDEX", index.to_string()), ("SHARDS", "2".into())]);
    }
    for out in ["slurm", "k8s"] {
        let status = Command::new("bash")
            .arg(&script)
            .args(["merge", out])
            .env("ORCHSIM", env!("CARGO_BIN_EXE_orchsim"))
            .current_dir(tmp.path())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        assert_eq!(tables(&tmp.path().join(out)), tables(&whole), "{out}");
    }
}
