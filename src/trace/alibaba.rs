//! Alibaba cluster-trace-v2017's `batch_task` table and CloudSimPy's processed
//! form of it (`jobs.csv`), plus the helpers the v2018 reader
//! ([`alibaba_2018`](super::alibaba_2018)) shares: optional headers, field
//! parsing that names the column, and the batch/online priorities.
//!
//! # v2017 `batch_task.csv` (format `alibaba-2017`)
//! Eight columns, in this order (official schema, `v2017_schema.csv`); the
//! published table has no header, the public copy in `shared/traces` has one
//! added, and both are read (a first row naming `task_create_time` is the header,
//! matched by name; otherwise the columns are positional):
//!
//! ```text
//! task_create_time,task_end_time,job_id,task_id,number_of_instances,status,number_of_cpus_requested_per_instance_in_the_task,normalized_memory_requested_per_instance_in_the_task
//! 6459,6524,3,4,15740,Terminated,50,0.007956928
//! ```
//! * times are whole seconds from the start of the trace; 0 or negative means
//!   before the trace (down to −1,078 s in the public table). The task is
//!   submitted at `max(create, 0)`;
//! * duration = `end − create`, the task's whole run time even when it began
//!   before the trace, clamped at 0 (one row ends a second before it was
//!   created: whole-second rounding). It is `None` only when no end was
//!   recorded, i.e. `end = 0` after a positive create time (208 `Running`
//!   rows). The recorded end is used whatever the status: a `Running` or
//!   `Waiting` task with an end stopped then (job 28's `Running` tasks end
//!   with their `Failed` sibling), and replaying it as endless would hold its
//!   resources for the rest of the run;
//! * status → [`Outcome`]: `Terminated` → finished, `Failed` → failed,
//!   `Running` and `Waiting` → running (running or pending at its last record);
//!   v2018's statuses are accepted too (see [`alibaba_2018`](super::alibaba_2018)),
//!   any other status is a bad row;
//! * CPU: cores requested per instance, 100 = 1 core → `cpu = value / 100`
//!   ([`Scale::Absolute`]); memory: normalised to the largest machine, 0–1
//!   ([`Scale::Normalized`]); a value above 1 is a bad row. Both are empty in
//!   9,017 rows (every `Waiting` task and 170 others): the trace does not say,
//!   and they are read as 0;
//! * `job_id`, `task_id` are the TraceTask's ids; every task is batch: class
//!   [`BATCH_CLASS`], priority [`BATCH_PRIORITY`].
//!
//! # CloudSimPy `jobs.csv` (format `cloudsimpy`)
//! The DeepJS authors' processed v2017 (CloudSimPy): a pandas index column,
//! then `submit_time` (s), `duration` (s, the mean of the task's instances),
//! `cpu` (cores), `memory` (normalised 0–1), `job_id`, `task_id`,
//! `instances_num`, `disk` (dropped). The header is required (matched by name).
//! The outcome is [`Outcome::Unknown`] (the file keeps no status), every task is
//! batch.
//!
//! # Priorities
//! Alibaba's batch tasks and online containers have no priority figure; the
//! trace's own scale here is the class: batch 0, online 1. [`pod_priority`]
//! puts online services in Borg's production band (≥ 1,000, see
//! `policy::scheduler::borg`) and batch tasks at 0, so online containers may
//! preempt batch tasks and never the reverse, as Sigma's services did over
//! Fuxi's batch.

use std::path::Path;
use std::str::FromStr;

use csv::StringRecord;

use super::rows::{bad, csv_error, line_of, parse_non_negative, Header};
use super::tasks::{collect, files_of, parse_int, secs_to_us, ReadSummary, TaskSink};
use super::{open, GpuRequest, Outcome, Scale, TaskTrace, TaskUnits, TraceError, TraceTask};

/// The class of a batch task.
pub const BATCH_CLASS: u8 = 0;
/// The class of an online service's container (v2018's `container_meta`).
pub const ONLINE_CLASS: u8 = 1;
/// The trace priority of a batch task.
pub const BATCH_PRIORITY: i32 = 0;
/// The trace priority of an online container.
pub const ONLINE_PRIORITY: i32 = 1;
/// The pod priority of an online container: the bottom of Borg's production band.
pub const ONLINE_POD_PRIORITY: i32 = 1000;

/// The pod priority of an Alibaba task of trace priority `p` (see the module docs).
pub fn pod_priority(p: i32) -> i32 {
    if p >= ONLINE_PRIORITY {
        ONLINE_POD_PRIORITY
    } else {
        BATCH_PRIORITY
    }
}

/// The columns of v2017's `batch_task.csv`, named as in the public copy's header.
pub const V2017_TASK_COLUMNS: [&str; 8] = [
    "task_create_time",
    "task_end_time",
    "job_id",
    "task_id",
    "number_of_instances",
    "status",
    "number_of_cpus_requested_per_instance_in_the_task",
    "normalized_memory_requested_per_instance_in_the_task",
];

/// The columns CloudSimPy's `jobs.csv` must have (others, such as `disk` and
/// the index, are ignored).
pub const CLOUDSIMPY_COLUMNS: [&str; 7] = ["submit_time", "duration", "cpu", "memory", "job_id", "task_id", "instances_num"];

/// Alibaba's units: cores, and memory normalised to the largest machine.
pub(crate) const UNITS: TaskUnits = TaskUnits { cpu: Scale::Absolute, memory: Scale::Normalized };

/// Whether a table's first row must be a header or may be data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HeaderRow {
    /// The header is required; columns are found by name.
    Required,
    /// The published tables have none: a first row naming the first column is
    /// a header (columns found by name), any other first row is data and the
    /// columns are positional, in the schema's order.
    Optional,
}

/// Reads every row of `path` (a file or a directory of files) through `each`,
/// counting rows and passing each row's result through the bad-row policy.
/// `each` must change nothing before it has parsed the whole row, so that a
/// skipped row leaves no trace.
pub(crate) fn read_table(
    path: &Path,
    names: &[&str],
    header_row: HeaderRow,
    summary: &mut ReadSummary,
    mut each: impl FnMut(&Fields) -> Result<(), TraceError>,
) -> Result<(), TraceError> {
    for file in files_of(path)? {
        // Only the header is trimmed by the csv reader (v2017's has spaces after its commas): trimming every record
        // costs a third of the read, and `Fields::text` trims the fields a format reads.
        let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::Headers).flexible(true).from_reader(open(&file)?);
        let (header, first) = open_header(&file, &mut reader, names, header_row)?;
        let mut step = |row: &StringRecord| {
            summary.rows += 1;
            let result = header.check_width(&file, row).and_then(|()| each(&Fields::new(&file, &header, row)));
            summary.bad_rows.check(result).map(drop)
        };
        if let Some(first) = first {
            step(&first)?;
        }
        let mut row = StringRecord::new();
        while header.read_unchecked(&file, &mut reader, &mut row)? {
            step(&row)?;
        }
    }
    Ok(())
}

/// The header of a table, and its first row when that row is data.
fn open_header(
    path: &Path,
    reader: &mut csv::Reader<Box<dyn std::io::Read>>,
    names: &[&str],
    header_row: HeaderRow,
) -> Result<(Header, Option<StringRecord>), TraceError> {
    let mut first = reader.headers().map_err(|e| csv_error(path, None, e))?.clone();
    if header_row == HeaderRow::Required || first.is_empty() || first.iter().any(|f| f == names[0]) {
        return Ok((Header::read(path, reader, names)?, None));
    }
    if first.position().is_none() {
        let mut at = csv::Position::new();
        at.set_line(1);
        first.set_position(Some(at));
    }
    let header = Header { record: names.iter().copied().collect(), columns: (0..names.len()).collect() };
    Ok((header, Some(first)))
}

/// One row's fields, by their index in the format's column list, with errors
/// that name the file, line and column.
pub(crate) struct Fields<'a> {
    path: &'a Path,
    header: &'a Header,
    row: &'a StringRecord,
    line: u64,
}

impl<'a> Fields<'a> {
    fn new(path: &'a Path, header: &'a Header, row: &'a StringRecord) -> Fields<'a> {
        Fields { path, header, row, line: line_of(row) }
    }

    /// The text of column `i`.
    pub(crate) fn text(&self, i: usize) -> &'a str {
        self.row[self.header.columns[i]].trim()
    }

    /// A bad-row error at column `i`.
    pub(crate) fn bad(&self, i: usize, message: String) -> TraceError {
        bad(self.path, self.line, self.header.name(i), message)
    }

    /// An integer.
    pub(crate) fn int<T: FromStr>(&self, i: usize, what: &str) -> Result<T, TraceError> {
        parse_int(self.text(i), what).map_err(|m| self.bad(i, m))
    }

    /// A finite number of seconds, of either sign.
    pub(crate) fn seconds(&self, i: usize) -> Result<f64, TraceError> {
        let text = self.text(i);
        match text.parse::<f64>() {
            Ok(s) if s.is_finite() => Ok(s),
            _ if text.is_empty() => Err(self.bad(i, "empty: expected a time in seconds".into())),
            _ => Err(self.bad(i, format!("not a time in seconds: `{text}`"))),
        }
    }

    /// A number in `[0, max]`; an empty field is `if_empty` when that is given.
    pub(crate) fn amount(&self, i: usize, what: &str, max: f64, if_empty: Option<f64>) -> Result<f64, TraceError> {
        let text = self.text(i);
        if let (true, Some(value)) = (text.is_empty(), if_empty) {
            return Ok(value);
        }
        match parse_non_negative(text, what) {
            Ok(x) if x > max => Err(self.bad(i, format!("{what} {text} is over {max}"))),
            Ok(x) => Ok(x),
            Err(m) if text.is_empty() => Err(self.bad(i, format!("empty: expected {what} ({m})"))),
            Err(m) => Err(self.bad(i, m)),
        }
    }

    /// A number of instances: a whole number ≥ 1.
    pub(crate) fn instances(&self, i: usize) -> Result<u32, TraceError> {
        let n: i64 = self.int(i, "a number of instances")?;
        match u32::try_from(n) {
            Ok(0) => Err(self.bad(i, "a task has at least one instance, not 0".into())),
            Ok(n) => Ok(n),
            Err(_) if n < 0 => Err(self.bad(i, format!("negative number of instances {n}"))),
            Err(_) => Err(self.bad(i, format!("{n} instances is too many"))),
        }
    }

    /// Seconds (≥ 0) as µs.
    pub(crate) fn us(&self, i: usize, seconds: f64) -> Result<u64, TraceError> {
        secs_to_us(seconds.max(0.0)).map_err(|m| self.bad(i, m))
    }
}

/// The outcome a v2017 or v2018 task or instance status stands for.
pub(crate) fn outcome(status: &str) -> Option<Outcome> {
    Some(match status {
        "Terminated" => Outcome::Finished,
        "Failed" => Outcome::Failed,
        "Cancelled" | "Interrupted" => Outcome::Killed,
        "Running" | "Waiting" | "Ready" => Outcome::Running,
        _ => return None,
    })
}

/// Why `status` is not one of [`outcome`]'s.
pub(crate) fn unknown_status(status: &str) -> String {
    format!("unknown status `{status}` (expected Terminated, Failed, Cancelled, Interrupted, Running, Waiting or Ready)")
}

/// A batch task with the fields every Alibaba batch format shares.
pub(crate) fn batch_task(
    submit_us: u64,
    job: u64,
    task: u32,
    instances: u32,
    duration_us: Option<u64>,
    cpu: f64,
    memory: f64,
) -> TraceTask {
    TraceTask {
        submit_us,
        job,
        task,
        instances,
        duration_us,
        cpu,
        memory,
        gpu: GpuRequest::NONE,
        priority: BATCH_PRIORITY,
        class: BATCH_CLASS,
        outcome: Outcome::Unknown,
        depends_on: Vec::new(),
    }
}

/// Reads v2017's `batch_task.csv` (a file or a directory of parts).
pub fn read_v2017(tasks: &Path, skip_bad_rows: bool) -> Result<TaskTrace, TraceError> {
    collect(|sink| stream_v2017(tasks, skip_bad_rows, sink))
}

/// Streams v2017's `batch_task.csv` into `sink`, a task a row.
pub(crate) fn stream_v2017(tasks: &Path, skip_bad_rows: bool, sink: &mut dyn TaskSink) -> Result<ReadSummary, TraceError> {
    stream_rows(tasks, &V2017_TASK_COLUMNS, HeaderRow::Optional, skip_bad_rows, sink, v2017_task)
}

/// Streams a table whose every row is one task (`task`) into `sink`.
fn stream_rows(
    path: &Path,
    names: &[&str],
    header_row: HeaderRow,
    skip_bad_rows: bool,
    sink: &mut dyn TaskSink,
    task: fn(&Fields) -> Result<TraceTask, TraceError>,
) -> Result<ReadSummary, TraceError> {
    let mut summary = ReadSummary::new(UNITS, skip_bad_rows);
    read_table(path, names, header_row, &mut summary, |row| {
        sink.task(task(row)?);
        Ok(())
    })?;
    Ok(summary)
}

fn v2017_task(row: &Fields) -> Result<TraceTask, TraceError> {
    let (create, end) = (row.seconds(0)?, row.seconds(1)?);
    let status = row.text(5);
    let outcome = outcome(status).ok_or_else(|| row.bad(5, unknown_status(status)))?;
    let duration_us = if end == 0.0 && create > 0.0 { None } else { Some(row.us(1, end - create)?) };
    let mut task = batch_task(
        row.us(0, create)?,
        row.int(2, "a job id")?,
        row.int(3, "a task id")?,
        row.instances(4)?,
        duration_us,
        row.amount(6, "cpu", f64::MAX, Some(0.0))? / 100.0,
        row.amount(7, "memory", 1.0, Some(0.0))?,
    );
    task.outcome = outcome;
    Ok(task)
}

/// Reads CloudSimPy's `jobs.csv` (a file or a directory of parts).
pub fn read_cloudsimpy(jobs: &Path, skip_bad_rows: bool) -> Result<TaskTrace, TraceError> {
    collect(|sink| stream_cloudsimpy(jobs, skip_bad_rows, sink))
}

/// Streams CloudSimPy's `jobs.csv` into `sink`, a task a row.
pub(crate) fn stream_cloudsimpy(jobs: &Path, skip_bad_rows: bool, sink: &mut dyn TaskSink) -> Result<ReadSummary, TraceError> {
    stream_rows(jobs, &CLOUDSIMPY_COLUMNS, HeaderRow::Required, skip_bad_rows, sink, cloudsimpy_task)
}

fn cloudsimpy_task(row: &Fields) -> Result<TraceTask, TraceError> {
    let submit = row.amount(0, "submit time", f64::MAX, None)?;
    let duration = row.amount(1, "duration", f64::MAX, None)?;
    Ok(batch_task(
        row.us(0, submit)?,
        row.int(4, "a job id")?,
        row.int(5, "a task id")?,
        row.instances(6)?,
        Some(row.us(1, duration)?),
        row.amount(2, "cpu", f64::MAX, None)?,
        row.amount(3, "memory", 1.0, None)?,
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::trace::testing::needed;

    use crate::trace::test_files::fixture;
    pub(crate) use crate::trace::test_files::write;

    /// Checks that `read` fails on `path` at `line` and `column`, and with
    /// skipping keeps `kept` tasks and counts one bad row.
    pub(crate) fn assert_bad(read: impl Fn(bool) -> Result<TaskTrace, TraceError>, line: u64, column: &str, kept: usize, case: &str) {
        let err = read(false).unwrap_err();
        assert!(matches!(&err, TraceError::Bad { line: l, column: c, .. } if *l == line && c == column), "{case}: {err}");
        let skipped = read(true).unwrap();
        assert_eq!((skipped.tasks.len(), skipped.bad_rows.count), (kept, 1), "{case}");
        assert!(skipped.bad_rows.examples[0].contains(column), "{case}: {:?}", skipped.bad_rows.examples);
    }

    #[test]
    fn the_public_v2017_table_has_the_papers_12951_jobs() {
        let Some(path) = needed("alibaba-v2017/batch_task.csv") else { return };
        let trace = read_v2017(&path, false).unwrap();
        assert_eq!((trace.rows, trace.tasks.len(), trace.jobs()), (80_553, 80_553, 12_951));
        assert_eq!(trace.bad_rows.count, 0);
        assert_eq!(trace.units, TaskUnits { cpu: Scale::Absolute, memory: Scale::Normalized });
        let still_running = trace.tasks.iter().filter(|t| t.duration_us.is_none()).count();
        assert_eq!(still_running, 208);
        assert!(trace.tasks.iter().all(|t| t.memory <= 1.0 && t.cpu <= 8.0 && t.class == BATCH_CLASS));
        // Tasks created before the trace are submitted at 0.
        assert_eq!(trace.tasks[0].submit_us, 0);
    }

    #[test]
    fn cloudsimpy_jobs_match_the_deepjs_paper() {
        let Some(path) = needed("alibaba-v2017/cloudsimpy_jobs.csv") else { return };
        let trace = read_cloudsimpy(&path, false).unwrap();
        assert_eq!((trace.jobs(), trace.tasks.len(), trace.instances()), (5_216, 31_756, 2_551_075));
        assert_eq!(trace.bad_rows.count, 0);
        let first = trace.tasks.iter().find(|t| (t.job, t.task) == (1, 1)).unwrap();
        assert_eq!((first.submit_us, first.instances, first.cpu), (539_000_000, 283, 1.0));
        assert_eq!(first.duration_us, Some(116_381_625));
    }

    #[test]
    fn the_v2017_fixture_with_the_public_copys_header_gives_cores_and_normalised_memory() {
        let trace = crate::trace::TaskFormat::Alibaba2017
            .read(&crate::trace::TraceInputs { tasks: fixture("alibaba-v2017/batch_task.csv"), ..Default::default() }, false)
            .unwrap();
        assert_eq!((trace.rows, trace.tasks.len(), trace.jobs(), trace.instances(), trace.bad_rows.count), (5, 5, 3, 16_216, 0));
        assert_eq!(trace.units, TaskUnits { cpu: Scale::Absolute, memory: Scale::Normalized });
        let summary: Vec<_> =
            trace.tasks.iter().map(|t| (t.submit_us, t.job, t.task, t.instances, t.duration_us, t.cpu, t.memory, t.outcome)).collect();
        assert_eq!(
            summary,
            [
                // Created 1,078 s before the trace: submitted at 0, its whole run time kept.
                (0, 12, 1, 20, Some(1_198_000_000), 1.0, 0.01, Outcome::Failed),
                (6_036_000_000, 28, 1, 452, Some(10_000_000), 0.0, 0.0, Outcome::Running),
                (6_457_000_000, 3, 5, 1, Some(76_000_000), 0.5, 0.004395206, Outcome::Finished),
                (6_459_000_000, 3, 4, 15_740, Some(65_000_000), 0.5, 0.007956928, Outcome::Finished),
                (52_000_000_000, 28, 2, 3, None, 2.0, 0.5, Outcome::Running),
            ]
        );
        assert!(trace.tasks.iter().all(|t| (t.class, t.priority) == (BATCH_CLASS, BATCH_PRIORITY)));
    }

    #[test]
    fn the_cloudsimpy_fixture_gives_submissions_mean_durations_and_instances() {
        let trace = read_cloudsimpy(&fixture("alibaba-v2017/cloudsimpy_jobs.csv"), false).unwrap();
        assert_eq!((trace.rows, trace.tasks.len(), trace.jobs(), trace.instances(), trace.bad_rows.count), (3, 3, 2, 362, 0));
        let summary: Vec<_> = trace.tasks.iter().map(|t| (t.submit_us, t.job, t.task, t.instances, t.duration_us, t.cpu)).collect();
        assert_eq!(
            summary,
            [
                (539_000_000, 1, 1, 283, Some(116_381_625), 1.0),
                (539_000_000, 1, 2, 12, Some(53_500_000), 0.5),
                (7_448_000_000, 9, 23, 67, Some(73_597_015), 0.5),
            ]
        );
        assert_eq!((trace.tasks[0].memory, trace.tasks[0].outcome), (0.005404705821447985, Outcome::Unknown));
    }

    const V2017_HEADER: &str = "task_create_time, task_end_time, job_id, task_id,number_of_instances, status, \
        number_of_cpus_requested_per_instance_in_the_task,normalized_memory_requested_per_instance_in_the_task\n";

    #[test]
    fn v2017_rows_give_submission_duration_units_and_outcome_with_or_without_header() {
        let dir = tempfile::tempdir().unwrap();
        let rows = "6459,6524,3,4,15740,Terminated,50,0.5\n\
                    -60,-55,3,5,1,Failed,100,0.25\n\
                    52000,0,4,7,2,Running,200,0.125\n\
                    6036,6046,4,6,452,Waiting,,\n";
        for (name, text) in [("headed.csv", format!("{V2017_HEADER}{rows}")), ("bare.csv", rows.to_string())] {
            let trace = read_v2017(&write(dir.path(), name, &text), false).unwrap();
            assert_eq!((trace.rows, trace.jobs(), trace.instances()), (4, 2, 16_195), "{name}");
            let summary: Vec<_> =
                trace.tasks.iter().map(|t| (t.submit_us, t.job, t.task, t.duration_us, t.cpu, t.memory, t.outcome)).collect();
            assert_eq!(
                summary,
                [
                    (0, 3, 5, Some(5_000_000), 1.0, 0.25, Outcome::Failed),
                    (6_036_000_000, 4, 6, Some(10_000_000), 0.0, 0.0, Outcome::Running),
                    (6_459_000_000, 3, 4, Some(65_000_000), 0.5, 0.5, Outcome::Finished),
                    (52_000_000_000, 4, 7, None, 2.0, 0.125, Outcome::Running),
                ],
                "{name}"
            );
        }
    }

    #[test]
    fn bad_v2017_rows_fail_at_their_line_and_column_or_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let good = "10,20,1,1,1,Terminated,50,0.5\n";
        let cases = [
            ("10,20,1,1,1,Terminated,50", "normalized_memory_requested_per_instance_in_the_task"),
            ("x,20,1,1,1,Terminated,50,0.5", "task_create_time"),
            ("10,20,1,1,-3,Terminated,50,0.5", "number_of_instances"),
            ("10,20,1,1,0,Terminated,50,0.5", "number_of_instances"),
            ("10,20,1,1,1,Terminated,50,1.01", "normalized_memory_requested_per_instance_in_the_task"),
            ("10,20,1,1,1,Terminated,-50,0.5", "number_of_cpus_requested_per_instance_in_the_task"),
            ("10,20,1,1,1,Done,50,0.5", "status"),
            ("10,20,j1,1,1,Terminated,50,0.5", "job_id"),
        ];
        for (k, (row, column)) in cases.into_iter().enumerate() {
            // With the header the bad row is line 3; without it, line 2.
            let headed = write(dir.path(), &format!("h{k}.csv"), &format!("{V2017_HEADER}{good}{row}\n{good}"));
            assert_bad(|skip| read_v2017(&headed, skip), 3, column, 2, &format!("headed {k}"));
            let bare = write(dir.path(), &format!("b{k}.csv"), &format!("{good}{row}\n{good}"));
            assert_bad(|skip| read_v2017(&bare, skip), 2, column, 2, &format!("bare {k}"));
        }
        // A bad first row of a headerless file is data, not a header.
        let first = write(dir.path(), "first.csv", &format!("x,20,1,1,1,Terminated,50,0.5\n{good}"));
        assert_bad(|skip| read_v2017(&first, skip), 1, "task_create_time", 1, "first row");
    }

    const CLOUDSIMPY_HEADER: &str = ",submit_time,duration,cpu,memory,job_id,task_id,instances_num,disk\n";

    #[test]
    fn bad_cloudsimpy_rows_fail_at_their_line_and_column_or_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let good = "0,539,116.5,1.0,0.005,1,1,283,0\n";
        let cases = [
            ("1,539,116.5,1.0,0.005,1,2", "instances_num"),
            ("1,539,abc,1.0,0.005,1,2,3,0", "duration"),
            ("1,539,116.5,1.0,101,1,2,3,0", "memory"),
            ("1,539,116.5,1.0,0.005,1,2,-4,0", "instances_num"),
            ("1,-5,116.5,1.0,0.005,1,2,3,0", "submit_time"),
        ];
        for (k, (row, column)) in cases.into_iter().enumerate() {
            let path = write(dir.path(), &format!("c{k}.csv"), &format!("{CLOUDSIMPY_HEADER}{good}{row}\n"));
            assert_bad(|skip| read_cloudsimpy(&path, skip), 3, column, 1, &format!("case {k}"));
        }
        let headerless = write(dir.path(), "bare.csv", good);
        let err = read_cloudsimpy(&headerless, false).unwrap_err();
        assert!(matches!(&err, TraceError::Bad { line: 1, column, .. } if column == "submit_time"), "{err}");
    }

    #[test]
    fn formats_are_named_in_scenarios_as_on_the_command_line() {
        #[derive(serde::Deserialize)]
        struct Scenario {
            format: crate::trace::TaskFormat,
        }
        for format in [crate::trace::TaskFormat::Alibaba2017, crate::trace::TaskFormat::Cloudsimpy, crate::trace::TaskFormat::Alibaba2018] {
            let parsed: Scenario = toml::from_str(&format!("format = \"{}\"", format.name())).unwrap();
            assert_eq!(parsed.format, format);
            assert_eq!(format.pod_priority(BATCH_PRIORITY), 0);
        }
    }

    #[test]
    fn online_containers_rank_in_borgs_production_band_above_batch() {
        assert_eq!(pod_priority(BATCH_PRIORITY), 0);
        assert_eq!(pod_priority(ONLINE_PRIORITY), 1000);
        assert!(pod_priority(ONLINE_PRIORITY) >= crate::policy::scheduler::borg::BorgParams::default().production_priority);
    }
}
