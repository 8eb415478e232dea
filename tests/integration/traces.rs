//! Trace replay: `[[trace]]` classes submit a trace's tasks at their times,
//! with their durations and requests; GPUs are shared as the trace asks; bad
//! rows are located; `orchsim trace inspect` and `convert` work as documented.

use std::fs;
use std::path::Path;

use orchsim::metrics::PodRecord;

use crate::support::{orchsim, run, scenario};

const HEADER: &str = "submit_s,job,task,instances,duration_s,cpu,memory_bytes,gpus,gpu_milli,priority,class,outcome,depends_on\n";

/// Writes a native trace of `rows` into `dir` and returns a scenario replaying
/// it on one node of 4 cores, 16 GiB and `gpus` GPUs, with `extra` lines in
/// the `[[trace]]` entry.
fn replay(dir: &Path, rows: &str, gpus: u32, extra: &str) -> String {
    let tasks = dir.join("tasks.csv");
    fs::write(&tasks, format!("{HEADER}{rows}")).unwrap();
    format!(
        "name = \"replay\"\n[simulation]\nduration = \"1h\"\n[[node_groups]]\nname = \"n\"\ncount = 1\ncpu = \"4\"\nmemory = \"16Gi\"\ngpu = {gpus}\n\
         [[trace]]\nname = \"t\"\nformat = \"native\"\ntasks = \"{}\"\nstartup = \"0s\"\n{extra}\n",
        tasks.display()
    )
}

/// (job, task, submitted, started, finished) of each pod.
type PodTimes = (u32, u32, f64, Option<f64>, Option<f64>);

fn by_job_task(pods: &[PodRecord]) -> Vec<PodTimes> {
    let mut rows: Vec<PodTimes> = pods.iter().map(|p| (p.job, p.task, p.submit_s, p.start_s, p.finish_s)).collect();
    rows.sort_by_key(|p| (p.0, p.1));
    rows
}

#[test]
fn tasks_arrive_at_their_trace_times_and_run_their_trace_durations() {
    let dir = tempfile::tempdir().unwrap();
    let rows = "0,10,0,2,60,1,1073741824,0,0,0,0,finished,\n30,11,0,1,,1,1073741824,0,0,0,0,running,\n45,12,0,1,0,1,1,0,0,0,0,killed,\n";
    let s = scenario(&replay(dir.path(), rows, 0, ""));
    let (out, pods) = run(&s);
    // Job 12 never ran in the trace: dropped. Job 11 runs to the end of the run.
    assert_eq!(out.summary.pods_submitted, 3);
    let got = by_job_task(&pods);
    assert_eq!(got.len(), 3);
    let (first, second, running) = (got[0], got[1], got[2]);
    assert_eq!((first.0, first.1, first.2), (0, 0, 0.0));
    assert_eq!((second.0, second.1), (0, 1), "instances are tasks of one job");
    let ran = |p: PodTimes| p.4.unwrap() - p.3.unwrap();
    assert_eq!((ran(first), ran(second)), (60.0, 60.0));
    assert_eq!((running.2, running.4), (30.0, None));
}

#[test]
fn the_window_skips_and_cuts_and_speedup_compresses_arrivals_only() {
    let dir = tempfile::tempdir().unwrap();
    let rows = "0,1,0,1,10,1,1,0,0,0,0,finished,\n100,2,0,1,10,1,1,0,0,0,0,finished,\n140,3,0,1,10,1,1,0,0,0,0,finished,\n300,4,0,1,10,1,1,0,0,0,0,finished,\n";
    let s = scenario(&replay(dir.path(), rows, 0, "start = \"100s\"\nduration = \"100s\"\nspeedup = 2"));
    let (_, pods) = run(&s);
    let got: Vec<_> = by_job_task(&pods).iter().map(|p| (p.2, p.4.unwrap() - p.3.unwrap())).collect();
    assert_eq!(got, [(0.0, 10.0), (20.0, 10.0)]);
}

#[test]
fn shared_gpus_hold_several_pods_and_keep_whole_gpu_pods_off() {
    let dir = tempfile::tempdir().unwrap();
    // One GPU: two halves share it at once; a 0.6 share waits for one to end;
    // a whole-GPU pod waits until no share is left.
    let rows = "0,1,0,1,100,0.1,1,1,500,0,0,finished,\n0,2,0,1,200,0.1,1,1,500,0,0,finished,\n\
                1,3,0,1,50,0.1,1,1,600,0,0,finished,\n2,4,0,1,10,0.1,1,1,1000,0,0,finished,\n";
    let s = scenario(&replay(dir.path(), rows, 1, ""));
    let (out, pods) = run(&s);
    let start: Vec<_> = by_job_task(&pods).iter().map(|p| p.3.unwrap()).collect();
    assert_eq!(start[0], 0.0 + 0.5, "image latency only");
    assert_eq!(start[1], 0.5, "the second half shares the GPU at once");
    assert!(start[2] >= 100.5, "the 0.6 share waits for a half to finish, started at {}", start[2]);
    assert!(start[3] >= 200.5, "the whole GPU waits for every share to go, started at {}", start[3]);
    assert_eq!(out.summary.pods_completed, 4);
}

#[test]
fn sampling_is_per_run_seed_and_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let rows: String = (0..200).map(|j| format!("{j},{j},0,1,1,0.01,1,0,0,0,0,finished,\n")).collect();
    let s = scenario(&replay(dir.path(), &rows, 0, "sample = 0.5"));
    let submitted = |seed| orchsim::Simulation::new(&s, seed).run(&mut Vec::new()).unwrap().summary.pods_submitted;
    let (a, b) = (submitted(1), submitted(2));
    assert!((70..130).contains(&a) && (70..130).contains(&b), "{a} {b}");
    assert_eq!(a, submitted(1));
    assert_ne!(by_seed(&s, 1), by_seed(&s, 2), "different seeds keep different jobs");
}

fn by_seed(s: &orchsim::Scenario, seed: u64) -> Vec<f64> {
    let mut pods = Vec::new();
    orchsim::Simulation::new(s, seed).run(&mut pods).unwrap();
    pods.iter().map(|p| p.submit_s).collect()
}

#[test]
fn nodes_come_from_the_trace_machines() {
    let dir = tempfile::tempdir().unwrap();
    let machines = dir.path().join("machines.csv");
    fs::write(
        &machines,
        "machine,cpu,memory_bytes,gpus,gpu_model,added_s,removed_s\n1,0.5,0.5,0,,0,\n2,0.5,0.5,0,,0,\n3,1,1,8,V100,0,\n4,1,1,0,,50,\n",
    )
    .unwrap();
    let tasks = dir.path().join("tasks.csv");
    fs::write(&tasks, format!("{HEADER}0,1,0,1,10,1,1,0,0,0,0,finished,\n")).unwrap();
    let text = format!(
        "name = \"m\"\n[simulation]\nduration = \"1m\"\n[[trace]]\nname = \"g\"\nformat = \"native\"\ntasks = \"{}\"\nmachines = \"{}\"\n",
        tasks.display(),
        machines.display()
    );
    let s = scenario(&text);
    let groups: Vec<_> = s.node_groups.iter().map(|g| (g.name.as_str(), g.count, g.allocatable.cpu_milli, g.allocatable.gpu)).collect();
    // Machine 4 joins after the window opens: not a node at the start.
    assert_eq!(groups, [("g-0", 2, 500, 0), ("g-1", 1, 1000, 8)]);
    assert_eq!(s.node_groups[1].labels.get("orchsim.io/gpu-model").map(String::as_str), Some("V100"));
}

#[test]
fn a_bad_trace_row_is_located_and_exits_2_unless_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let rows = "0,1,0,1,10,1,1,0,0,0,0,finished,\n5,2,0,1,ten,1,1,0,0,0,0,finished,\n";
    let path = dir.path().join("s.toml");
    fs::write(&path, replay(dir.path(), rows, 0, "")).unwrap();
    let out = orchsim(dir.path(), &["validate", "s.toml"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("tasks.csv: line 3, duration_s: not a number: `ten`"), "{stderr}");
    assert!(stderr.contains("trace[0].tasks"), "{stderr}");
    let out = orchsim(dir.path(), &["run", "s.toml", "--skip-bad-rows", "--no-chart", "--out", "o"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let summary = fs::read_to_string(dir.path().join("o/summary.csv")).unwrap();
    assert!(summary.lines().count() == 2, "{summary}");
    // Skipping is said, with the row, on every command that loads the scenario.
    let warning = "warning: s.toml: trace[0].tasks: skipped 1 malformed row(s)\n  ";
    assert!(stderr.contains(warning) && stderr.contains("tasks.csv: line 3, duration_s: not a number: `ten`"), "{stderr}");
    let out = orchsim(dir.path(), &["validate", "s.toml", "--skip-bad-rows"]);
    assert!(out.status.success() && String::from_utf8_lossy(&out.stderr).contains(warning), "{}", String::from_utf8_lossy(&out.stderr));
    // A sweep says it once, though every cell skipped the row.
    fs::write(dir.path().join("e.toml"), "scenario = \"s.toml\"\nreplications = 1\n[grid]\npolicy = [\"kubernetes\", \"best-fit\"]\n")
        .unwrap();
    let out = orchsim(dir.path(), &["sweep", "e.toml", "--skip-bad-rows", "--no-chart", "-q", "--out", "sw"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr.matches("skipped 1 malformed row(s)").count(), 1, "{stderr}");
    // A request-rate series skips and says so too.
    fs::write(dir.path().join("rates.csv"), "time_s,rate\n0,10\nsixty,20\n120,5\n").unwrap();
    let service = "[[images]]\nname = \"app\"\nsize = \"10Mi\"\n[[services]]\nname = \"web\"\nreplicas = 1\nimage = \"app\"\ncpu = \"1\"\n\
                   memory = \"1Gi\"\ncapacity_rps = 100\nload = { series = { file = \"rates.csv\", format = \"native\" } }\n";
    fs::write(dir.path().join("w.toml"), format!("name = \"w\"\n[simulation]\nduration = \"1h\"\n[[node_groups]]\nname = \"n\"\ncount = 1\ncpu = \"4\"\nmemory = \"16Gi\"\n{service}")).unwrap();
    assert_eq!(orchsim(dir.path(), &["validate", "w.toml"]).status.code(), Some(2), "a bad series row stops the load");
    let out = orchsim(dir.path(), &["validate", "w.toml", "--skip-bad-rows"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: w.toml: services[0].load.series.file: skipped 1 malformed row(s)\n  ") && stderr.contains("line 3"),
        "{stderr}"
    );
}

#[test]
fn replay_options_are_checked_before_the_trace_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let text = replay(dir.path(), "0,1,0,1,10,1,1,0,0,0,0,finished,\n", 0, "sample = 0\nspeedup = -1");
    let err = orchsim::Scenario::parse(&text, "test.toml").unwrap_err().to_string();
    assert!(err.contains("trace[0].sample") && err.contains("trace[0].speedup"), "{err}");
}

#[test]
fn inspect_reports_and_convert_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let rows = "0,1,0,2,60,0.5,1073741824,0,0,0,0,finished,\n10,2,0,1,,2,2147483648,1,250,9,1,running,0\n";
    let tasks = dir.path().join("tasks.csv");
    fs::write(&tasks, format!("{HEADER}{rows}")).unwrap();
    let out = orchsim(dir.path(), &["trace", "inspect", "tasks.csv", "--format", "native"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("2 jobs, 2 tasks, 3 instances (pods)"), "{text}");
    assert!(text.contains("GPU tasks: 1 (1 share a GPU, 1 CPU-only)"), "{text}");
    let out = orchsim(dir.path(), &["trace", "convert", "tasks.csv", "--format", "native", "--out", "back.csv"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(fs::read_to_string(dir.path().join("back.csv")).unwrap(), format!("{HEADER}{rows}"));
    let out = orchsim(dir.path(), &["trace", "inspect", "tasks.csv", "--format", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--format nope"));
}

#[test]
fn inspect_gives_no_rate_when_every_task_is_submitted_at_one_instant() {
    let dir = tempfile::tempdir().unwrap();
    let rows = "5,1,0,1,60,0.5,1073741824,0,0,0,0,finished,\n5,2,0,1,60,0.5,1073741824,0,0,0,0,finished,\n";
    fs::write(dir.path().join("tasks.csv"), format!("{HEADER}{rows}")).unwrap();
    let out = orchsim(dir.path(), &["trace", "inspect", "tasks.csv", "--format", "native"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("submissions all at 5 s of trace time (a span of 0 s: no rate over time)"), "{text}");
    assert!(!text.contains("tasks/s"), "{text}");
}

#[test]
fn normalised_traces_need_the_machine_size_and_open_ended_tasks_a_run_duration() {
    let dir = tempfile::tempdir().unwrap();
    // Alibaba v2017 batch_task rows: create, end, job, task, instances, status, cpus (100 = 1 core), memory (fraction).
    let tasks = dir.path().join("batch_task.csv");
    fs::write(&tasks, "10,70,1,1,2,Terminated,50,0.01\n20,0,2,1,1,Running,100,0.02\n").unwrap();
    let entry = format!("[[trace]]\nname = \"a\"\nformat = \"alibaba-2017\"\ntasks = \"{}\"\n", tasks.display());
    let nodes = "[[node_groups]]\nname = \"n\"\ncount = 1\ncpu = \"64\"\nmemory = \"256Gi\"\n";
    let err = orchsim::Scenario::parse(&format!("name = \"a\"\n{nodes}{entry}"), "test.toml").unwrap_err().to_string();
    assert!(err.contains("trace[0].machine_memory"), "{err}");
    assert!(err.contains("trace[0].name") && err.contains("give [simulation] a duration"), "{err}");
    let s = scenario(&format!("name = \"a\"\n[simulation]\nduration = \"10m\"\n{nodes}{entry}machine_memory = \"256Gi\"\n"));
    let (_, pods) = run(&s);
    // Memory is a fraction of the 256 GiB machine: 1 % is 2,621.44 MiB.
    let mut requests: Vec<_> = pods.iter().map(|p| (p.cpu_request_m, (p.memory_request_mib * 100.0).round() as u64)).collect();
    requests.sort();
    assert_eq!(requests, [(500, 262_144), (500, 262_144), (1000, 524_288)]);
    let out = orchsim(dir.path(), &["trace", "convert", "batch_task.csv", "--format", "alibaba-2017", "--out", "n.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--machine-memory"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// An experiment's cells load their scenarios through one trace cache: a
/// trace (or a request-rate series) is read once per window and options.
/// Shown by changing the files between loads: a load sharing the cache still
/// sees the first reading, one without it sees the new file, and a different
/// window reads again. A reading that failed is not kept.
#[test]
fn scenarios_sharing_a_trace_cache_read_each_trace_once() {
    use orchsim::model::load::LoadShape;
    use orchsim::policy::scheduler::Registry;
    use orchsim::scenario::LoadOptions;
    use orchsim::Scenario;

    let dir = tempfile::tempdir().unwrap();
    let rates = dir.path().join("rates.csv");
    fs::write(&rates, "time_s,rate\n0,10\n60,20\n").unwrap();
    let service = format!(
        "[[services]]\nname = \"web\"\nreplicas = 1\nimage = \"app\"\ncpu = \"1\"\nmemory = \"1Gi\"\ncapacity_rps = 100\n\
         load = {{ series = {{ file = \"{}\", format = \"native\" }} }}\n[[images]]\nname = \"app\"\nsize = \"10Mi\"\n",
        rates.display()
    );
    let two_jobs = "0,1,0,1,10,1,1,0,0,0,0,finished,\n5,2,0,1,10,1,1,0,0,0,0,finished,\n";
    // (`replay` writes the two-job trace as it makes the scenario text.)
    let (plain, windowed) = (replay(dir.path(), two_jobs, 0, "") + &service, replay(dir.path(), two_jobs, 0, "start = \"1s\"") + &service);
    let shared = LoadOptions::default().with_trace_cache();
    let load = |toml: &str, options: &LoadOptions| Scenario::parse_with_options(toml, "t.toml", &Registry::default(), options);
    // Pods submitted: the trace's jobs (one task each) and the service's one replica.
    let pods = |s: &Scenario| run(s).0.summary.pods_submitted;
    let series = |s: &Scenario| match &s.services[0].spec.load.shape {
        LoadShape::Series { points } => points.iter().map(|p| p.1).collect::<Vec<f64>>(),
        other => panic!("not a series: {other:?}"),
    };

    let first = load(&plain, &shared).unwrap();
    assert_eq!((pods(&first), series(&first)), (2 + 1, vec![10.0, 20.0]));
    assert_eq!(shared.traces.as_ref().unwrap().len(), (1, 1));
    // The files change: three jobs, other rates.
    fs::write(dir.path().join("tasks.csv"), format!("{HEADER}{two_jobs}8,3,0,1,10,1,1,0,0,0,0,finished,\n")).unwrap();
    fs::write(&rates, "time_s,rate\n0,30\n").unwrap();
    let cached = load(&plain, &shared).unwrap();
    assert_eq!((pods(&cached), series(&cached)), (2 + 1, vec![10.0, 20.0]), "read from the cache");
    let fresh = load(&plain, &LoadOptions::default()).unwrap();
    assert_eq!((pods(&fresh), series(&fresh)), (3 + 1, vec![30.0]), "read from the files");
    let other_window = load(&windowed, &shared).unwrap();
    assert_eq!(pods(&other_window), 2 + 1, "jobs 2 and 3 from the new file");
    assert_eq!(shared.traces.as_ref().unwrap().len(), (2, 1));

    // A trace that fails to read is not kept: fixed, it is read again.
    let bad = "0,1,0,1,10,1,1,0,0,0,0,finished,\nnot,a,row\n";
    let err = load(&replay(dir.path(), bad, 0, "start = \"2s\""), &shared).unwrap_err().to_string();
    assert!(err.contains("tasks.csv: line 3"), "{err}");
    let fixed = load(&replay(dir.path(), two_jobs, 0, "start = \"2s\""), &shared).unwrap();
    assert_eq!(pods(&fixed), 1, "job 2 (no service here)");
}

#[test]
fn a_job_whose_tasks_arrive_at_two_instants_is_one_job() {
    let dir = tempfile::tempdir().unwrap();
    // Job 7's second task arrives 20 s after its first (a DAG's next stage); job 8 once.
    let rows = "0,7,0,2,10,1,1,0,0,0,0,finished,\n5,8,0,1,10,1,1,0,0,0,0,finished,\n20,7,1,1,10,1,1,0,0,0,0,finished,\n";
    let s = scenario(&replay(dir.path(), rows, 0, ""));
    assert!(s.summary().contains("2 jobs (4 pods)"), "{}", s.summary());
    let (out, pods) = run(&s);
    assert_eq!((out.summary.jobs_submitted, out.summary.pods_submitted), (2, 4));
    let got: Vec<_> = by_job_task(&pods).iter().map(|p| (p.0, p.1, p.2)).collect();
    // Job numbers follow first arrivals; the later task counts on from the job's index.
    assert_eq!(got, [(0, 0, 0.0), (0, 1, 0.0), (0, 2, 20.0), (1, 0, 5.0)]);
    // A run that ends before the later task counts only what arrives, as it submits.
    let s = scenario(&replay(dir.path(), rows, 0, "").replace("duration = \"1h\"", "duration = \"10s\""));
    assert!(s.summary().contains("2 jobs (3 pods)"), "{}", s.summary());
    let out = run(&s).0.summary;
    assert_eq!((out.jobs_submitted, out.pods_submitted), (2, 3));
}
