//! Batch-trace readers ([`TaskFormat`]): one fuzz input is a trace's files
//! (see [`roles`]), read as `orchsim trace inspect`, `trace convert` and a
//! scenario's `[[trace]]` would.

use orchsim::trace::inspect::task_report;
use orchsim::trace::tasks::{read_native, write_native_machines, write_native_tasks};
use orchsim::trace::{Absolute, ReplayWindow, TaskFormat, TaskTrace, TraceInputs};

use crate::files::{fresh_dir, split, write};

/// The files a format reads, in the order the parts of an input fill them
/// (the first is the main table; the names after `~~~~` are only comments).
pub fn roles(format: TaskFormat) -> &'static [&'static str] {
    match format {
        TaskFormat::Native => &["tasks", "machines"],
        TaskFormat::Google2011 => &["tasks", "jobs", "machines"],
        TaskFormat::Alibaba2018 => &["tasks", "instances", "containers", "machines"],
        TaskFormat::AlibabaGpu2023 => &["tasks", "machines"],
        TaskFormat::Alibaba2017 | TaskFormat::Cloudsimpy | TaskFormat::Swf => &["tasks"],
    }
}

/// The size of a normalised 1.0, as a user gives `--machine-cpu` and `--machine-memory`.
const MACHINE: Absolute = Absolute { cores: 64.0, bytes: 256.0 * (1u64 << 30) as f64 };

/// Reads `data` as a `format` trace, failing on bad rows and skipping them,
/// and checks what a successful read promises:
/// * skipping bad rows changes nothing when there were none to skip;
/// * the inspection report and the replay conversion do not panic;
/// * the trace converted to the native format (`orchsim trace convert`)
///   reads back, with as many tasks and machines.
pub fn check(format: TaskFormat, data: &[u8]) {
    let dir = fresh_dir("tasks");
    let roles = roles(format);
    // A single-file format reads the whole input, separators and all.
    let parts = if roles.len() == 1 { vec![data] } else { split(data).into_iter().map(|p| p.body).collect() };
    let mut paths = roles.iter().zip(parts).map(|(role, body)| {
        // An empty part stands for a file not given, so that later ones can be given alone.
        (!body.is_empty() || *role == "tasks").then(|| {
            let path = dir.join(format!("{role}.{}", if format == TaskFormat::Swf { "swf" } else { "csv" }));
            write(&path, body);
            path
        })
    });
    let tasks = paths.next().flatten().expect("the main table is always written");
    let mut next = || paths.next().flatten();
    let inputs = match format {
        TaskFormat::Google2011 => TraceInputs { tasks, jobs: next(), machines: next(), ..TraceInputs::default() },
        TaskFormat::Alibaba2018 => TraceInputs { tasks, instances: next(), containers: next(), machines: next(), ..TraceInputs::default() },
        _ => TraceInputs { tasks, machines: next(), ..TraceInputs::default() },
    };

    let strict = format.read(&inputs, false);
    let lenient = format.read(&inputs, true);
    match (&strict, &lenient) {
        (Ok(s), Ok(l)) => {
            assert_eq!(l.bad_rows.count, 0, "a read that fails on no bad row skipped {} with --skip-bad-rows", l.bad_rows.count);
            assert!(same_content(s, l), "skipping bad rows changed a trace that had none");
        }
        (Ok(_), Err(e)) => panic!("the trace reads, but not with --skip-bad-rows: {e}"),
        (Err(e), _) => drop(e.to_string()),
    }
    if let Err(e) = &lenient {
        drop(e.to_string());
    }
    if let Ok(trace) = lenient {
        let _ = task_report(&trace, format.name());
        let window = ReplayWindow { start_us: 0, length_us: None, speedup: 1.0, machine: MACHINE };
        let _ = orchsim::trace::Replay::new(&trace, &window);
        converts_and_reads_back(&trace, &dir);
    }
}

/// Everything but the bad-row bookkeeping (whose `skip` flag differs by design).
fn same_content(a: &TaskTrace, b: &TaskTrace) -> bool {
    (&a.tasks, &a.machines, a.units, a.rows) == (&b.tasks, &b.machines, b.units, b.rows)
}

/// `orchsim trace convert`: the native files it writes must read back (a
/// trace without tasks or machines makes a file with a header only, which
/// reads as empty: not checked).
fn converts_and_reads_back(trace: &TaskTrace, dir: &std::path::Path) {
    if trace.tasks.is_empty() {
        return;
    }
    let mut tasks = Vec::new();
    write_native_tasks(trace, MACHINE, &mut tasks).expect("writing to memory cannot fail");
    let mut machines = Vec::new();
    write_native_machines(trace, MACHINE, &mut machines).expect("writing to memory cannot fail");
    let (tasks_path, machines_path) = (dir.join("converted-tasks.csv"), dir.join("converted-machines.csv"));
    write(&tasks_path, &tasks);
    write(&machines_path, &machines);
    let machines_path = (!trace.machines.is_empty()).then_some(machines_path.as_path());
    let back = read_native(&tasks_path, machines_path, false)
        .unwrap_or_else(|e| panic!("the converted trace does not read back: {e}\n--- tasks\n{}", String::from_utf8_lossy(&tasks)));
    assert_eq!(
        (back.tasks.len(), back.machines.len()),
        (trace.tasks.len(), trace.machines.len()),
        "the converted trace lost tasks or machines"
    );
}
