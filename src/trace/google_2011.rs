//! Google clusterdata-2011 (format `google-2011`): the Borg cell traced for 29
//! days in May 2011, as published (headerless CSV parts, `.csv.gz`).
//!
//! Sources: the "Google cluster-usage traces: format + schema" document
//! (trace-data v2.1, linked from `ClusterData2011_2.md` in google/cluster-data)
//! for the columns and event codes, and `ClusterData2011_2.md` itself for the
//! priorities.
//!
//! # Tables
//! * `task_events` ([`TraceInputs::tasks`], a part or the folder of parts), 13
//!   columns: `time`, `missing_info`, `job_id`, `task_index`, `machine_id`,
//!   `event_type`, `user`, `scheduling_class`, `priority`, `cpu_request`,
//!   `memory_request`, `disk_request`, `different_machine`.
//! * `job_events` (optional, [`TraceInputs::jobs`]), 8 columns: `time`,
//!   `missing_info`, `job_id`, `event_type`, `user`, `scheduling_class`,
//!   `job_name`, `logical_job_name`.
//! * `machine_events` (optional, [`TraceInputs::machines`]), 6 columns: `time`,
//!   `machine_id`, `event_type` (0 ADD, 1 REMOVE, 2 UPDATE), `platform_id`,
//!   `cpus`, `memory`.
//!
//! Times are integer µs; 0 means "before the trace" (the trace proper starts at
//! 600 s). Requests and capacities are normalised to the largest machine
//! (0–1), so both units are [`Scale::Normalized`]. Empty fields are allowed
//! where the schema marks the column optional (`missing_info`, `machine_id`,
//! `user`, `scheduling_class`, the requests, `different_machine`; a row with
//! `missing_info = 2`, "exists but no creation", carries no requests).
//! `missing_info` is 0–2, `scheduling_class` 0–3, `priority` 0–11, requests
//! 0–1, `different_machine` 0 or 1; anything else, and fields padded with
//! spaces (the published files have none), is a bad row. Task and machine
//! events must be in time order, across parts too (as published): the
//! derivation below replays each history in order. Job events may come in any
//! order (a job's class is its last in file order).
//!
//! # Speed
//! The 14 published parts hold 2.6 M task events (291 MB inflated). Rows are
//! parsed as untrimmed byte records with fast paths for integers and plain
//! decimals; tasks are kept per job (see `Tasks`); `.gz` parts are inflated on
//! a second thread. Tables keyed by hash are only summed or sorted into the
//! output, never iterated into it.
//!
//! # Memory
//! A task's events span the trace (its FINISH may come hours after its
//! SUBMIT), so the reader folds them into one state per task until the end of
//! the files. It keeps that state only for the tasks whose submission the sink
//! wants ([`TaskSink::wanted`]: a replay's window): the events of other tasks
//! are read, checked and counted, then dropped. A task first seen before the
//! window may still have events inside it, which must not make it a new task:
//! such tasks are remembered in a compressed bitmap of task indices per job
//! (about 20 bytes a task when jobs have ten tasks, less when they have more),
//! and tasks first seen after the window need nothing.
//! What grows with the files beyond the window is the job table of
//! `job_events` (a class per job) and the machines (a state per machine).
//!
//! A sink that summarises (`trace inspect`, [`TaskSink::early_tasks`]) wants
//! every task but not all at once: a task's state is then handed over and
//! dropped `RETAINED_US` (12 hours of trace time) after its ending event,
//! unless an event came for it since, and a job's table once it holds no
//! task. The states kept are those of the tasks running, waiting, or ended
//! within the last 12 hours: they follow the cluster's size and rate, not the
//! files' length. The approximation: a task whose events resume more than
//! 12 hours after it ended is handed over twice, with its events before the
//! pause and with those after, as two tasks (none in the 14 published parts,
//! where the longest such pause is 8.6 hours).
//!
//! # Task events
//! The schema's codes: SUBMIT 0 (eligible for scheduling), SCHEDULE 1 (placed
//! on a machine), EVICT 2 (descheduled: preempted, overcommitted machine,
//! machine or disk lost), FAIL 3, FINISH 4, KILL 5 (by the user, a driver
//! program or a dependency's death), LOST 6 (presumably ended, the record is
//! missing), UPDATE_PENDING 7 and UPDATE_RUNNING 8 (class, requests or
//! constraints changed). Every ending event, EVICT included, leaves the task
//! dead until a new SUBMIT resubmits it.
//!
//! One [`TraceTask`] per `(job_id, task_index)`:
//! * `submit_us`: the task's first event — its first SUBMIT, or, when the
//!   trace (or the part given) starts with the task already there, whatever
//!   came first;
//! * `duration_us`: the task's *last run*, from its last SCHEDULE to the event
//!   that ended that run (EVICT, FAIL, FINISH, KILL or LOST). Earlier runs and
//!   evictions are dropped: the replayed scheduler decides evictions itself,
//!   so the task's work is its last run. `None` when the task's last life-cycle
//!   event is not FAIL/FINISH/KILL/LOST (still pending or running at the end of
//!   the files, or evicted and not yet resubmitted); `Some(0)` when it ended
//!   without ever being scheduled (killed or failed while pending): such tasks
//!   took no resources, and the replay drops them ([`GoogleStats::never_scheduled`]
//!   counts them);
//! * `outcome`: that last ending event (Finished, Failed, Killed, Lost), else
//!   [`Outcome::Running`];
//! * `cpu`, `memory`: `cpu_request`, `memory_request` of the latest event
//!   carrying them (UPDATE events included); 0 if none does;
//! * `class`: `scheduling_class` of the latest event carrying it, else the
//!   job's (from `job_events`), else 0; `priority`: the latest event's (0–11,
//!   see [`pod_priority`]); `instances` 1; no GPU, no dependencies.
//!
//! Dropped: `machine_id` (the replay places tasks itself), `user`,
//! `disk_request`, `different_machine` and `missing_info` (validated only).
//!
//! # Job events
//! Same event codes. They are validated and counted ([`GoogleStats`]); a job's
//! latest `scheduling_class` fills the class of its tasks whose events never
//! carry one, and tasks whose job has no job event are counted. Job names are
//! dropped.
//!
//! # Machine events
//! One [`TraceMachine`] per `machine_id`: `added_us` from its first ADD;
//! `removed_us` from a REMOVE not followed by another ADD (a machine removed
//! and added back — a repair, maintenance — counts as present throughout: the
//! replay's failure models stand for such outages); capacity from the ADD,
//! then the latest ADD or UPDATE carrying `cpus`/`memory` wins, so a machine
//! has the capacity it ended the trace with. A machine whose capacity is never
//! given is dropped (counted in [`GoogleStats::machines_without_capacity`]);
//! `platform_id` is dropped. An UPDATE or REMOVE before the machine's first ADD
//! is a bad row.
//!
//! # Priorities
//! `ClusterData2011_2.md`: "Priorities in this trace range from 0 to 11
//! inclusive; bigger numbers mean more important. 0 and 1 are 'free'
//! priorities; 9, 10, and 11 are 'production' priorities". It names the
//! monitoring priority inconsistently (10 in early versions of the page, 12 —
//! outside the range — in the current one); the Borg paper puts monitoring
//! above production, so the top priority, 11, is taken as monitoring. See
//! [`pod_priority`].

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, Read};
use std::path::Path;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread;

use csv::ByteRecord;
use flate2::read::MultiGzDecoder;

use roaring::RoaringBitmap;

use super::rows::{bad, csv_error, parse_non_negative};
use super::tasks::{collect, files_of, parse_int, ReadSummary, Submissions, TaskSink};
use super::{open, LineCap, Outcome, Scale, TaskTrace, TaskUnits, TraceError, TraceInputs, TraceMachine, TraceTask};

/// The columns of `task_events`, named as in the schema.
pub const TASK_EVENT_COLUMNS: [&str; 13] = [
    "time",
    "missing_info",
    "job_id",
    "task_index",
    "machine_id",
    "event_type",
    "user",
    "scheduling_class",
    "priority",
    "cpu_request",
    "memory_request",
    "disk_request",
    "different_machine",
];

/// The columns of `job_events`.
pub const JOB_EVENT_COLUMNS: [&str; 8] =
    ["time", "missing_info", "job_id", "event_type", "user", "scheduling_class", "job_name", "logical_job_name"];

/// The columns of `machine_events`.
pub const MACHINE_EVENT_COLUMNS: [&str; 6] = ["time", "machine_id", "event_type", "platform_id", "cpus", "memory"];

/// Task and job event types, by code.
pub const EVENT_NAMES: [&str; 9] = ["SUBMIT", "SCHEDULE", "EVICT", "FAIL", "FINISH", "KILL", "LOST", "UPDATE_PENDING", "UPDATE_RUNNING"];

/// Machine event types, by code.
pub const MACHINE_EVENT_NAMES: [&str; 3] = ["ADD", "REMOVE", "UPDATE"];

const SUBMIT: u8 = 0;
const SCHEDULE: u8 = 1;
const EVICT: u8 = 2;
const FAIL: u8 = 3;
const FINISH: u8 = 4;
const KILL: u8 = 5;
const LOST: u8 = 6;

const ADD: u8 = 0;
const REMOVE: u8 = 1;

/// Highest scheduling class and priority the schema allows.
const MAX_CLASS: u8 = 3;
const MAX_PRIORITY: u8 = 11;

/// What a read saw beyond the task table, for `orchsim trace inspect`.
/// Rows skipped as malformed are not counted here.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GoogleStats {
    /// Task events by type (index = code, see [`EVENT_NAMES`]).
    pub task_events: [u64; 9],
    /// Distinct tasks, `(job_id, task_index)`.
    pub tasks: u64,
    /// Tasks with at least one SUBMIT.
    pub submitted_tasks: u64,
    /// Tasks that ended without ever being scheduled (duration 0: the replay drops them).
    pub never_scheduled: u64,
    /// Job events by type (index = code); all 0 without `job_events`.
    pub job_events: [u64; 9],
    /// Distinct jobs in `job_events`.
    pub jobs: u64,
    /// Tasks whose class came from their job's events.
    pub classes_from_jobs: u64,
    /// Tasks whose job has no job event (0 without `job_events`).
    pub tasks_without_job_events: u64,
    /// Machine events by type (index = code, see [`MACHINE_EVENT_NAMES`]).
    pub machine_events: [u64; 3],
    /// Machines dropped because no event gives their capacity.
    pub machines_without_capacity: u64,
}

impl GoogleStats {
    /// All task events.
    pub fn task_event_total(&self) -> u64 {
        self.task_events.iter().sum()
    }

    /// All job events.
    pub fn job_event_total(&self) -> u64 {
        self.job_events.iter().sum()
    }
}

/// Reads a Google 2011 trace (module docs).
pub fn read(inputs: &TraceInputs, skip_bad_rows: bool) -> Result<TaskTrace, TraceError> {
    read_with_stats(inputs, skip_bad_rows).map(|(trace, _)| trace)
}

/// Reads a Google 2011 trace and the counts of what it holds.
pub fn read_with_stats(inputs: &TraceInputs, skip_bad_rows: bool) -> Result<(TaskTrace, GoogleStats), TraceError> {
    let mut stats = GoogleStats::default();
    let trace = collect(|sink| read_tables(inputs, skip_bad_rows, sink, &mut stats))?;
    Ok((trace, stats))
}

/// Streams a Google 2011 trace into `sink`, keeping state only for the tasks
/// it wants (module docs).
pub(crate) fn stream(inputs: &TraceInputs, skip_bad_rows: bool, sink: &mut dyn TaskSink) -> Result<ReadSummary, TraceError> {
    read_tables(inputs, skip_bad_rows, sink, &mut GoogleStats::default())
}

/// Reads the tables into `sink`; `stats` counts the events of every task and
/// the states of the tasks the sink wants.
fn read_tables(
    inputs: &TraceInputs,
    skip_bad_rows: bool,
    sink: &mut dyn TaskSink,
    stats: &mut GoogleStats,
) -> Result<ReadSummary, TraceError> {
    let mut summary = ReadSummary::new(TaskUnits { cpu: Scale::Normalized, memory: Scale::Normalized }, skip_bad_rows);
    let mut jobs = Jobs::default();
    if let Some(path) = &inputs.jobs {
        for_each_row(path, &JOB_EVENT_COLUMNS, &mut summary, |row| jobs.add(row))?;
        stats.job_events = jobs.events;
        stats.jobs = jobs.classes.len() as u64;
    }
    let mut tasks = Tasks::new(sink.wanted(), sink.early_tasks());
    let mut out = Delivery { jobs: inputs.jobs.as_ref().map(|_| &jobs), stats, sink };
    for_each_row(&inputs.tasks, &TASK_EVENT_COLUMNS, &mut summary, |row| tasks.add(row, &mut out))?;
    if tasks.events.iter().all(|&n| n == 0) {
        return Err(TraceError::Empty { path: inputs.tasks.clone(), message: "no task events".into() });
    }
    tasks.finish(&mut out);
    let Delivery { stats, sink, .. } = out;
    if let Some(path) = &inputs.machines {
        let mut machines = Machines::default();
        for_each_row(path, &MACHINE_EVENT_COLUMNS, &mut summary, |row| machines.add(row))?;
        stats.machine_events = machines.events;
        machines.finish(stats, sink);
    }
    Ok(summary)
}

/// The pod priority of Google priority `p`, so that the Borg policy's default
/// bands (best-effort < 0 ≤ batch < 1000 ≤ production < 10000 ≤ monitoring)
/// and Kubernetes preemption order tasks as Google's bands did: free (0–1) →
/// −2, −1; middle (2–8) → 0, 100, …, 600; production (9–10) → 1000, 1100;
/// monitoring (11) → 10000. Order is kept within each band and beyond the
/// trace's range.
pub fn pod_priority(p: i32) -> i32 {
    match p {
        ..=1 => p.saturating_sub(2),
        2..=8 => (p - 2) * 100,
        9..=10 => 1000 + (p - 9) * 100,
        _ => (p - 11).saturating_mul(100).saturating_add(10_000),
    }
}

/// Streams every headerless CSV file of `path` (a file, or a folder's files in
/// name order), passing each row of the right width to `add` and routing
/// errors through the read's bad-row policy.
fn for_each_row(
    path: &Path,
    columns: &'static [&'static str],
    summary: &mut ReadSummary,
    mut add: impl FnMut(&Row) -> Result<(), TraceError>,
) -> Result<(), TraceError> {
    for file in files_of(path)? {
        // Untrimmed byte records: the published files have no spaces, and this is the hot loop.
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(inflating_ahead(&file)?);
        let mut record = ByteRecord::new();
        while reader.read_byte_record(&mut record).map_err(|e| csv_error(&file, None, e))? {
            summary.rows += 1;
            let row = Row { path: &file, record: &record, columns };
            summary.bad_rows.check(row.check_width().and_then(|()| add(&row)))?;
        }
    }
    Ok(())
}

/// Opens `path` like [`open`] (lines capped too), but a `.gz` file is
/// inflated on a second thread, a few chunks ahead of the parser: inflating is
/// a sixth of the read's work, and the machine has two cores. Streams like [`open`] (at most
/// [`AHEAD`] chunks in flight); the thread stops when the reader is dropped.
fn inflating_ahead(path: &Path) -> Result<Box<dyn Read>, TraceError> {
    if !path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("gz")) {
        return open(path);
    }
    let file = File::open(path).map_err(|error| TraceError::Io { path: path.to_path_buf(), error })?;
    let source = MultiGzDecoder::new(file); // as `open` does, but `Send`
    let (chunks, receiver) = mpsc::sync_channel(AHEAD);
    thread::spawn(move || inflate(source, &chunks));
    Ok(Box::new(LineCap::new(Ahead { receiver, chunk: Vec::new(), at: 0, ended: false })))
}

/// Chunks inflated ahead of the parser.
const AHEAD: usize = 4;

/// Bytes per chunk.
const CHUNK: usize = 1 << 18;

/// The inflating thread: sends chunks, an empty one at the end, or the error.
fn inflate(mut source: impl Read, chunks: &SyncSender<io::Result<Vec<u8>>>) {
    loop {
        let mut chunk = vec![0; CHUNK];
        let more = match fill(&mut source, &mut chunk) {
            Ok(n) => {
                chunk.truncate(n);
                chunks.send(Ok(chunk)).is_ok() && n > 0
            }
            Err(e) => {
                let _ = chunks.send(Err(e)); // the reader may be gone already
                false
            }
        };
        if !more {
            return; // the end, an error, or the reader is gone
        }
    }
}

/// Reads until `buf` is full or the source ends; the count read.
fn fill(source: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match source.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The parser's side of [`inflating_ahead`].
struct Ahead {
    receiver: Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    at: usize,
    /// The end marker came: later reads return 0.
    ended: bool,
}

impl Read for Ahead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at == self.chunk.len() && !self.ended {
            // An empty chunk marks the end; a thread gone without it died (it never should).
            self.chunk = self.receiver.recv().map_err(|_| io::Error::other("the inflating thread stopped"))??;
            self.at = 0;
            self.ended = self.chunk.is_empty();
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// One row, with what is needed to report its errors.
struct Row<'a> {
    path: &'a Path,
    record: &'a ByteRecord,
    columns: &'static [&'static str],
}

impl Row<'_> {
    fn line(&self) -> u64 {
        self.record.position().map_or(0, |p| p.line())
    }

    fn bad(&self, i: usize, message: String) -> TraceError {
        bad(self.path, self.line(), self.columns[i], message)
    }

    fn check_width(&self) -> Result<(), TraceError> {
        let (got, want) = (self.record.len(), self.columns.len());
        if got < want {
            return Err(self.bad(got, format!("missing: the row has {got} field(s), the table {want}")));
        }
        if got > want {
            let extra = String::from_utf8_lossy(&self.record[want]);
            let message = format!("extra field `{extra}`: the row has {got} fields, the table {want}");
            return Err(bad(self.path, self.line(), &format!("field {}", want + 1), message));
        }
        Ok(())
    }

    fn text(&self, i: usize) -> Result<&str, TraceError> {
        std::str::from_utf8(&self.record[i]).map_err(|_| self.bad(i, "not valid UTF-8".into()))
    }

    /// An integer; the fast path reads plain digits, the slow one explains errors.
    fn int<T: std::str::FromStr + TryFrom<u64>>(&self, i: usize, what: &str) -> Result<T, TraceError> {
        match digits(&self.record[i]).map(T::try_from) {
            Some(Ok(n)) => Ok(n),
            _ => parse_int(self.text(i)?, what).map_err(|m| self.bad(i, m)),
        }
    }

    fn optional_int<T: std::str::FromStr + TryFrom<u64>>(&self, i: usize, what: &str) -> Result<Option<T>, TraceError> {
        if self.record[i].is_empty() {
            return Ok(None);
        }
        self.int(i, what).map(Some)
    }

    /// A code of 0..=`max`: an event type, a class, a priority…
    fn code(&self, i: usize, what: &str, max: u8) -> Result<u8, TraceError> {
        let code: u8 = self.int(i, what)?;
        if code > max {
            return Err(self.bad(i, format!("{what} {code} is out of range 0–{max}")));
        }
        Ok(code)
    }

    fn optional_code(&self, i: usize, what: &str, max: u8) -> Result<Option<u8>, TraceError> {
        if self.record[i].is_empty() {
            return Ok(None);
        }
        self.code(i, what, max).map(Some)
    }

    /// A normalised quantity (0–1), or nothing.
    fn fraction(&self, i: usize) -> Result<Option<f64>, TraceError> {
        if self.record[i].is_empty() {
            return Ok(None);
        }
        let x = match decimal(&self.record[i]) {
            Some(x) => x,
            None => parse_non_negative(self.text(i)?, self.columns[i]).map_err(|m| self.bad(i, m))?,
        };
        if x > 1.0 {
            return Err(self.bad(i, format!("{x} is over 1 (normalised to the largest machine)")));
        }
        Ok(Some(x))
    }
}

/// Plain decimal digits that fit in a u64 (up to 19 of them), else `None`.
fn digits(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || bytes.len() > 19 {
        return None;
    }
    bytes.iter().try_fold(0u64, |n, &b| b.is_ascii_digit().then(|| n * 10 + u64::from(b - b'0')))
}

/// A plain decimal (`0.07446`, `1`) whose digits make an integer below 2^53
/// with at most 22 after the point, else `None` (the caller then parses it in
/// full). Exactly what `str::parse::<f64>` gives: the digits and the power of
/// ten are exact in f64 and the one division is correctly rounded (Clinger's
/// fast path) — and several times faster, on the three requests of every row.
fn decimal(bytes: &[u8]) -> Option<f64> {
    const POW10: [f64; 23] =
        [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];
    let (mut mantissa, mut digits, mut point) = (0u64, 0usize, None);
    for &b in bytes {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                digits += 1;
                if mantissa >= 1 << 53 {
                    return None;
                }
            }
            b'.' if point.is_none() => point = Some(digits),
            _ => return None,
        }
    }
    let after_point = digits - point.unwrap_or(digits);
    (digits > 0).then(|| POW10.get(after_point).map(|&p| mantissa as f64 / p)).flatten()
}

/// Rejects a row earlier than the one before: task and machine histories are
/// replayed in file order.
#[derive(Default)]
struct TimeOrder {
    last_us: u64,
}

impl TimeOrder {
    fn check(&mut self, row: &Row, time_us: u64) -> Result<(), TraceError> {
        if time_us < self.last_us {
            let message = format!("{time_us} µs is before the previous event's {} µs: events must be in time order", self.last_us);
            return Err(row.bad(0, message));
        }
        self.last_us = time_us;
        Ok(())
    }
}

/// Job events: counts and each job's latest scheduling class.
#[derive(Default)]
struct Jobs {
    events: [u64; 9],
    /// Job id → its latest class (`None` until an event carries one).
    classes: HashMap<u64, Option<u8>>,
}

impl Jobs {
    fn add(&mut self, row: &Row) -> Result<(), TraceError> {
        row.int::<u64>(0, "a time in µs")?;
        row.optional_code(1, "missing_info", 2)?;
        let job: u64 = row.int(2, "a job id")?;
        let event = row.code(3, "event_type", 8)?;
        let class = row.optional_code(5, "scheduling_class", MAX_CLASS)?;
        self.events[usize::from(event)] += 1;
        let latest = self.classes.entry(job).or_default();
        *latest = class.or(*latest);
        Ok(())
    }
}

/// Where a task is in its life cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Life {
    /// Submitted, evicted or not yet seen placed.
    Waiting,
    /// Scheduled since `run_start_us`.
    Running,
    /// Its last life-cycle event ended it.
    Ended(Outcome),
}

/// Sentinel for "not yet" in [`TaskState`]'s times (keeps the state compact).
const NEVER: u64 = u64::MAX;

/// One task's history, folded as its events arrive.
#[derive(Clone, Copy, Debug)]
struct TaskState {
    first_us: u64,
    /// The last SCHEDULE, or [`NEVER`].
    run_start_us: u64,
    /// Length of the run that began at `run_start_us`, once it ended, or [`NEVER`].
    last_run_us: u64,
    cpu: f64,
    memory: f64,
    life: Life,
    submitted: bool,
    priority: u8,
    /// Latest scheduling class, or `u8::MAX` if none yet.
    class: u8,
    /// The last event that ended a run or the task, or [`NEVER`].
    ended_us: u64,
}

impl TaskState {
    fn new(first_us: u64) -> TaskState {
        TaskState {
            first_us,
            run_start_us: NEVER,
            last_run_us: NEVER,
            cpu: 0.0,
            memory: 0.0,
            life: Life::Waiting,
            submitted: false,
            priority: 0,
            class: u8::MAX,
            ended_us: NEVER,
        }
    }

    fn apply(&mut self, e: &TaskEvent) {
        match e.kind {
            SUBMIT => {
                self.submitted = true;
                if self.life != Life::Running {
                    self.life = Life::Waiting;
                }
            }
            SCHEDULE => {
                self.run_start_us = e.time_us;
                self.last_run_us = NEVER;
                self.life = Life::Running;
            }
            EVICT => self.end_run(e.time_us, Life::Waiting),
            FAIL => self.end_run(e.time_us, Life::Ended(Outcome::Failed)),
            FINISH => self.end_run(e.time_us, Life::Ended(Outcome::Finished)),
            KILL => self.end_run(e.time_us, Life::Ended(Outcome::Killed)),
            LOST => self.end_run(e.time_us, Life::Ended(Outcome::Lost)),
            _ => {} // UPDATE_PENDING, UPDATE_RUNNING: only the requests below.
        }
        self.cpu = e.cpu.unwrap_or(self.cpu);
        self.memory = e.memory.unwrap_or(self.memory);
        self.class = e.class.unwrap_or(self.class);
        self.priority = e.priority;
    }

    /// Ends the current run, if the task is running, and moves on to `life`.
    fn end_run(&mut self, time_us: u64, life: Life) {
        if self.life == Life::Running {
            self.last_run_us = time_us.saturating_sub(self.run_start_us);
        }
        self.life = life;
        self.ended_us = time_us;
    }

    /// Whether the task's last life-cycle event ended it at `time_us`.
    fn ended_at(&self, time_us: u64) -> bool {
        matches!(self.life, Life::Ended(_)) && self.ended_us == time_us
    }

    /// The task's class: its own latest, else its job's, else 0.
    fn class(&self, job_class: Option<u8>, stats: &mut GoogleStats) -> u8 {
        match (self.class, job_class) {
            (u8::MAX, Some(class)) => {
                stats.classes_from_jobs += 1;
                class
            }
            (u8::MAX, None) => 0,
            (class, _) => class,
        }
    }

    /// Duration and outcome (module docs).
    fn ending(&self) -> (Option<u64>, Outcome) {
        match self.life {
            Life::Ended(outcome) if self.run_start_us == NEVER => (Some(0), outcome),
            Life::Ended(outcome) => (Some(self.last_run_us), outcome),
            Life::Waiting | Life::Running => (None, Outcome::Running),
        }
    }
}

/// One parsed task event (the columns the table needs).
struct TaskEvent {
    time_us: u64,
    job: u64,
    task: u32,
    kind: u8,
    class: Option<u8>,
    priority: u8,
    cpu: Option<f64>,
    memory: Option<f64>,
}

impl TaskEvent {
    /// Parses and validates every column, even those the table drops.
    fn parse(row: &Row) -> Result<TaskEvent, TraceError> {
        let event = TaskEvent {
            time_us: row.int(0, "a time in µs")?,
            job: row.int(2, "a job id")?,
            task: row.int(3, "a task index")?,
            kind: row.code(5, "event_type", 8)?,
            class: row.optional_code(7, "scheduling_class", MAX_CLASS)?,
            priority: row.code(8, "priority", MAX_PRIORITY)?,
            cpu: row.fraction(9)?,
            memory: row.fraction(10)?,
        };
        row.optional_code(1, "missing_info", 2)?;
        row.optional_int::<u64>(4, "a machine id")?;
        row.fraction(11)?;
        row.optional_code(12, "different_machine", 1)?;
        Ok(event)
    }
}

/// Task events folded into one state per task, grouped by job: a job's events
/// come in bursts (its tasks are submitted, scheduled and ended together), so
/// keeping a job's tasks in one small table keeps the lookups in cache — one
/// table of all tasks, hashed at random, made the lookups the read's main cost.
/// Only the tasks first seen in `wanted` get a state (module docs).
struct Tasks {
    /// Job id → its index in `jobs`.
    slots: HashMap<u64, usize, Ids>,
    jobs: Vec<JobTasks>,
    /// The last job looked up (`(id, slot)`): consecutive events are often of one job.
    last: Option<(u64, usize)>,
    events: [u64; 9],
    order: TimeOrder,
    /// The submissions kept.
    wanted: Submissions,
    /// Per job, the indices of its tasks first seen before `wanted`: their
    /// later events are not new tasks. Only looked up, never iterated.
    earlier: HashMap<u64, RoaringBitmap, Ids>,
    /// Whether ended tasks are delivered [`RETAINED_US`] after their end
    /// ([`TaskSink::early_tasks`]) rather than at the end of the files.
    early: bool,
    /// In early mode, the tasks that ended, as (end, job, task) in order of
    /// their end: each is delivered [`RETAINED_US`] later unless an event
    /// came for it since.
    ended: VecDeque<(u64, u64, u32)>,
    /// Whether a task was delivered before the end of the files.
    delivered: bool,
}

/// How long after its ending event a task's state is kept in early mode
/// ([`TaskSink::early_tasks`]), in trace time: 12 hours. In the 14 published
/// parts, 28,025 of the 614,019 tasks have events after an ending one
/// (resubmissions after a FAIL, mostly), 99 % of them within 13 minutes and
/// all within 8.6 hours, so none is delivered twice there; the states kept
/// are those of the tasks that ended in the last 12 hours, which follow the
/// cluster's rate, not the files' length.
const RETAINED_US: u64 = 12 * 3600 * 1_000_000;

/// Where [`Tasks`] hands its tasks over, with what they need: the job
/// table's classes (when `job_events` was given) and the stats to count in.
struct Delivery<'a> {
    jobs: Option<&'a Jobs>,
    stats: &'a mut GoogleStats,
    sink: &'a mut dyn TaskSink,
}

impl Delivery<'_> {
    /// Hands task `task` of job `job` over to the sink, counting it.
    fn task(&mut self, job: u64, task: u32, state: &TaskState) {
        let stats = &mut *self.stats;
        let job_class = self.jobs.map(|jobs| jobs.classes.get(&job).copied());
        stats.tasks += 1;
        stats.tasks_without_job_events += u64::from(job_class == Some(None));
        let class = state.class(job_class.flatten().flatten(), stats);
        let (duration_us, outcome) = state.ending();
        stats.submitted_tasks += u64::from(state.submitted);
        stats.never_scheduled += u64::from(duration_us == Some(0) && state.run_start_us == NEVER);
        self.sink.task(TraceTask {
            submit_us: state.first_us,
            job,
            task,
            instances: 1,
            duration_us,
            cpu: state.cpu,
            memory: state.memory,
            gpu: Default::default(),
            priority: i32::from(state.priority),
            class,
            outcome,
            depends_on: Vec::new(),
        });
    }
}

/// One job's tasks, by task index.
struct JobTasks {
    id: u64,
    tasks: HashMap<u32, TaskState, Ids>,
}

impl Tasks {
    /// `early` ([`TaskSink::early_tasks`]) applies only when every task is `wanted`.
    fn new(wanted: Submissions, early: bool) -> Tasks {
        Tasks {
            slots: HashMap::default(),
            jobs: Vec::new(),
            last: None,
            events: [0; 9],
            order: TimeOrder::default(),
            wanted,
            earlier: HashMap::default(),
            early: early && wanted == Submissions::ALL,
            ended: VecDeque::new(),
            delivered: false,
        }
    }

    fn add(&mut self, row: &Row, out: &mut Delivery) -> Result<(), TraceError> {
        let event = TaskEvent::parse(row)?;
        self.order.check(row, event.time_us)?;
        self.events[usize::from(event.kind)] += 1;
        if self.early {
            self.deliver_ended(event.time_us, out);
            let state = self.keep(&event);
            if state.ended_at(event.time_us) && matches!(event.kind, FAIL | FINISH | KILL | LOST) {
                self.ended.push_back((event.time_us, event.job, event.task));
            }
        } else if self.wanted == Submissions::ALL {
            // Every task kept (a whole read): one lookup, which adds the task if new.
            self.keep(&event);
        } else if let Some(state) = self.state(event.job, event.task) {
            state.apply(&event);
        } else if event.time_us < self.wanted.from_us {
            self.earlier.entry(event.job).or_default().insert(event.task);
        } else if self.wanted.contains(event.time_us) && !self.earlier.get(&event.job).is_some_and(|seen| seen.contains(event.task)) {
            // First seen inside the span: submitted there.
            self.keep(&event);
        }
        // Else a task of before the span, or first seen after it: not kept.
        Ok(())
    }

    /// Applies `event` to its task's state, made if new.
    fn keep(&mut self, event: &TaskEvent) -> &TaskState {
        let slot = self.slot(event.job);
        let state = self.jobs[slot].tasks.entry(event.task).or_insert_with(|| TaskState::new(event.time_us));
        state.apply(event);
        state
    }

    /// Early mode: hands over the tasks that ended more than [`RETAINED_US`]
    /// before `now_us` and had no event since, dropping their states (and
    /// their job's table once empty).
    fn deliver_ended(&mut self, now_us: u64, out: &mut Delivery) {
        while let Some(&(end_us, job, task)) = self.ended.front() {
            if now_us.saturating_sub(end_us) <= RETAINED_US {
                return;
            }
            self.ended.pop_front();
            let Some(&slot) = self.slots.get(&job) else { continue };
            let tasks = &mut self.jobs[slot].tasks;
            // A task with events since its end is ended later, or not at all.
            if !tasks.get(&task).is_some_and(|state| state.ended_at(end_us)) {
                continue;
            }
            if let Some(state) = tasks.remove(&task) {
                out.task(job, task, &state);
                self.delivered = true;
            }
            if tasks.is_empty() {
                self.drop_job(slot);
            }
        }
    }

    /// Forgets the job at `slot`, whose tasks have all been delivered: the
    /// last job moves into its slot.
    fn drop_job(&mut self, slot: usize) {
        let gone = self.jobs.swap_remove(slot);
        self.slots.remove(&gone.id);
        if let Some(moved) = self.jobs.get(slot) {
            self.slots.insert(moved.id, slot);
        }
        self.last = None;
    }

    /// The state of a task kept, if it is one.
    fn state(&mut self, job: u64, task: u32) -> Option<&mut TaskState> {
        let slot = match self.last {
            Some((id, slot)) if id == job => slot,
            _ => {
                let slot = *self.slots.get(&job)?;
                self.last = Some((job, slot));
                slot
            }
        };
        self.jobs[slot].tasks.get_mut(&task)
    }

    /// The index of `job`'s tasks in `jobs`, added if new.
    fn slot(&mut self, job: u64) -> usize {
        if let Some((id, slot)) = self.last {
            if id == job {
                return slot;
            }
        }
        let slot = *self.slots.entry(job).or_insert_with(|| {
            self.jobs.push(JobTasks { id: job, tasks: HashMap::default() });
            self.jobs.len() - 1
        });
        self.last = Some((job, slot));
        slot
    }

    /// Hands the tasks still kept to the sink, job by job in order of first
    /// appearance (early mode: of the jobs left, in no set order) and by task
    /// index within a job, filling the stats.
    fn finish(self, out: &mut Delivery) {
        out.stats.task_events = self.events;
        out.sink.reserve(self.jobs.iter().map(|j| j.tasks.len()).sum());
        let submissions = self.jobs.iter().flat_map(|j| j.tasks.values()).map(|state| state.first_us);
        if let (Some(first), Some(last), false) = (submissions.clone().min(), submissions.max(), self.delivered) {
            out.sink.span(first, last);
        }
        for JobTasks { id: job, tasks: states } in self.jobs {
            let mut states: Vec<(u32, TaskState)> = states.into_iter().collect();
            states.sort_unstable_by_key(|&(task, _)| task);
            for (task, state) in states {
                out.task(job, task, &state);
            }
        }
    }
}

/// FxHash's multiplicative hasher, for the integer ids keying the task
/// tables: SipHash's resistance to crafted keys is not needed for a trace the
/// user chose, and its cost showed in the profile.
#[derive(Clone, Copy, Default)]
struct IdHasher(u64);

type Ids = BuildHasherDefault<IdHasher>;

impl IdHasher {
    fn add(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        bytes.iter().for_each(|&b| self.add(u64::from(b)));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
}

/// One machine's history.
struct MachineState {
    cpu: Option<f64>,
    memory: Option<f64>,
    added_us: u64,
    removed_us: Option<u64>,
}

/// Machine events folded into one state per machine.
#[derive(Default)]
struct Machines {
    states: HashMap<u64, MachineState>,
    events: [u64; 3],
    order: TimeOrder,
}

impl Machines {
    fn add(&mut self, row: &Row) -> Result<(), TraceError> {
        let time_us = row.int(0, "a time in µs")?;
        let id: u64 = row.int(1, "a machine id")?;
        let kind = row.code(2, "event_type", 2)?;
        let (cpu, memory) = (row.fraction(4)?, row.fraction(5)?);
        self.order.check(row, time_us)?;
        let state = match self.states.entry(id) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(new) if kind == ADD => new.insert(MachineState { cpu: None, memory: None, added_us: time_us, removed_us: None }),
            Entry::Vacant(_) => {
                return Err(row.bad(2, format!("{} of machine {id} before its ADD", MACHINE_EVENT_NAMES[usize::from(kind)])))
            }
        };
        self.events[usize::from(kind)] += 1;
        match kind {
            REMOVE => state.removed_us = Some(time_us),
            _ => {
                // ADD (again: back from a removal) or UPDATE: the latest capacity given wins.
                state.removed_us = if kind == ADD { None } else { state.removed_us };
                state.cpu = cpu.or(state.cpu);
                state.memory = memory.or(state.memory);
            }
        }
        Ok(())
    }

    /// Hands the machines to `sink` by id, those without a capacity dropped and counted.
    fn finish(self, stats: &mut GoogleStats, sink: &mut dyn TaskSink) {
        let mut states: Vec<(u64, MachineState)> = self.states.into_iter().collect();
        states.sort_unstable_by_key(|&(id, _)| id);
        for (id, state) in states {
            let (Some(cpu), Some(memory)) = (state.cpu, state.memory) else {
                stats.machines_without_capacity += 1;
                continue;
            };
            sink.machine(TraceMachine {
                id,
                cpu,
                memory,
                gpus: 0,
                gpu_model: String::new(),
                added_us: state.added_us,
                removed_us: state.removed_us,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use crate::trace::test_files::write;
    use std::io::Write;
    use std::path::PathBuf;

    use super::*;
    use crate::policy::scheduler::borg::{Band, BorgParams};
    use crate::trace::testing::needed;
    use crate::trace::TaskFormat;

    /// A task event with the columns the tests vary; the others valid.
    fn ev(time: u64, job: u64, task: u32, kind: u8, priority: u8, cpu: &str, memory: &str) -> String {
        format!("{time},,{job},{task},77,{kind},user=,1,{priority},{cpu},{memory},0.0004,0\n")
    }

    fn write_gz(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        let mut gz = flate2::write::GzEncoder::new(fs::File::create(&path).unwrap(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        gz.finish().unwrap();
        path
    }

    fn inputs(tasks: PathBuf) -> TraceInputs {
        TraceInputs { tasks, jobs: None, instances: None, machines: None, containers: None }
    }

    /// The fixture's three tables.
    fn fixture_inputs() -> TraceInputs {
        let (format, inputs) = crate::trace::test_files::batch_fixtures().swap_remove(1);
        assert_eq!(format, TaskFormat::Google2011);
        inputs
    }

    fn task(trace: &TaskTrace, job: u64, index: u32) -> &TraceTask {
        trace.tasks.iter().find(|t| (t.job, t.task) == (job, index)).unwrap_or_else(|| panic!("no task {job}/{index}"))
    }

    #[test]
    fn a_task_is_its_first_event_and_its_last_run() {
        let dir = tempfile::tempdir().unwrap();
        let rows = [
            // Task 1/0: evicted once, then resubmitted and finished: the last run counts.
            ev(0, 1, 0, SUBMIT, 9, "", ""),
            ev(600_000_000, 1, 0, SCHEDULE, 9, "0.25", "0.5"),
            ev(700_000_000, 1, 0, EVICT, 9, "0.25", "0.5"),
            ev(700_000_000, 1, 0, SUBMIT, 9, "0.25", "0.5"),
            ev(800_000_000, 1, 0, SCHEDULE, 9, "0.25", "0.5"),
            ev(850_000_000, 1, 0, 8, 10, "0.3", ""), // UPDATE_RUNNING: cpu and priority change, memory kept.
            ev(900_000_000, 1, 0, FINISH, 10, "0.3", "0.5"),
            // Task 2/3: already running when the trace starts, still running at its end.
            ev(0, 2, 3, SCHEDULE, 0, "0.1", "0.1"),
            // Task 2/4: killed while pending, never scheduled.
            ev(650_000_000, 2, 4, SUBMIT, 2, "0.1", "0.1"),
            ev(660_000_000, 2, 4, KILL, 2, "0.1", "0.1"),
            // Task 3/0: evicted, then killed while pending: its last run is the evicted one.
            ev(610_000_000, 3, 0, SUBMIT, 4, "0.1", "0.1"),
            ev(620_000_000, 3, 0, SCHEDULE, 4, "0.1", "0.1"),
            ev(650_000_000, 3, 0, EVICT, 4, "0.1", "0.1"),
            ev(680_000_000, 3, 0, KILL, 4, "0.1", "0.1"),
            // Task 3/1: failed, resubmitted, pending at the end: not over.
            ev(610_000_000, 3, 1, SUBMIT, 4, "0.1", "0.1"),
            ev(620_000_000, 3, 1, SCHEDULE, 4, "0.1", "0.1"),
            ev(630_000_000, 3, 1, FAIL, 4, "0.1", "0.1"),
            ev(630_000_000, 3, 1, SUBMIT, 4, "0.1", "0.1"),
            // Task 3/2: lost while running.
            ev(640_000_000, 3, 2, SUBMIT, 11, "0.1", "0.1"),
            ev(640_000_000, 3, 2, SCHEDULE, 11, "0.1", "0.1"),
            ev(690_000_000, 3, 2, LOST, 11, "0.1", "0.1"),
        ];
        // The files are in time order: interleave the histories (stable, so same-time events keep their order).
        let mut rows = rows.to_vec();
        rows.sort_by_key(|row| row.split(',').next().and_then(|t| t.parse::<u64>().ok()));
        let path = write(dir.path(), "part-00000-of-00500.csv", &rows.concat());
        let (trace, stats) = read_with_stats(&inputs(path), false).unwrap();
        assert_eq!((trace.rows, trace.tasks.len(), trace.units.cpu, trace.units.memory), (21, 6, Scale::Normalized, Scale::Normalized));
        let t = task(&trace, 1, 0);
        assert_eq!((t.submit_us, t.duration_us, t.outcome), (0, Some(100_000_000), Outcome::Finished));
        assert_eq!((t.cpu, t.memory, t.priority, t.class, t.instances), (0.3, 0.5, 10, 1, 1));
        let t = task(&trace, 2, 3);
        assert_eq!((t.submit_us, t.duration_us, t.outcome), (0, None, Outcome::Running));
        assert_eq!((task(&trace, 2, 4).duration_us, task(&trace, 2, 4).outcome), (Some(0), Outcome::Killed));
        assert_eq!((task(&trace, 3, 0).duration_us, task(&trace, 3, 0).outcome), (Some(30_000_000), Outcome::Killed));
        assert_eq!((task(&trace, 3, 1).duration_us, task(&trace, 3, 1).outcome), (None, Outcome::Running));
        assert_eq!((task(&trace, 3, 2).duration_us, task(&trace, 3, 2).outcome), (Some(50_000_000), Outcome::Lost));
        assert_eq!(stats.task_events, [7, 6, 2, 1, 1, 2, 1, 0, 1]);
        assert_eq!((stats.tasks, stats.submitted_tasks, stats.never_scheduled), (6, 5, 1));
        assert_eq!(stats.job_event_total(), 0);
        // Sorted by submission, then job and task.
        let order: Vec<_> = trace.tasks.iter().map(|t| (t.submit_us, t.job, t.task)).collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted);
    }

    /// The fixture: two gzipped parts of task events, job events (gzipped) and
    /// machine events (plain), in the published layout.
    #[test]
    fn the_fixture_parts_give_each_task_its_last_run_and_each_machine_its_capacity() {
        let (trace, stats) = read_with_stats(&fixture_inputs(), false).unwrap();
        assert_eq!((trace.rows, trace.tasks.len(), trace.jobs(), trace.bad_rows.count), (11 + 5 + 6, 4, 3, 0));
        assert_eq!((trace.units.cpu, trace.units.memory), (Scale::Normalized, Scale::Normalized));
        // Running at the start of the trace (time 0), finished in the second part: one run of 5,000 s.
        let t = task(&trace, 3418309, 0);
        assert_eq!((t.submit_us, t.duration_us, t.outcome), (0, Some(5_000_000_000), Outcome::Finished));
        assert_eq!((t.cpu, t.memory, t.priority, t.class), (0.125, 0.07446, 9, 3));
        // `missing_info` 2, no requests, no class of its own (its job's), pending at the end.
        let t = task(&trace, 3418309, 1);
        assert_eq!((t.duration_us, t.outcome, t.cpu, t.memory, t.class), (None, Outcome::Running, 0.0, 0.0, 3));
        // Evicted in the first part, resubmitted, failed in the second: the last run, 660 s to 700 s.
        let t = task(&trace, 6251639, 0);
        assert_eq!((t.submit_us, t.duration_us, t.outcome, t.cpu), (600_000_000, Some(40_000_000), Outcome::Failed, 0.0625));
        // Killed while pending: never scheduled.
        let t = task(&trace, 6251640, 0);
        assert_eq!((t.duration_us, t.outcome, t.priority, t.class), (Some(0), Outcome::Killed, 11, 2));
        assert_eq!(stats.task_events, [4, 3, 1, 1, 1, 1, 0, 0, 0]);
        assert_eq!((stats.tasks, stats.submitted_tasks, stats.never_scheduled), (4, 3, 1));
        assert_eq!(stats.job_events, [3, 0, 0, 1, 0, 1, 0, 0, 0]);
        assert_eq!((stats.jobs, stats.classes_from_jobs, stats.tasks_without_job_events), (3, 1, 0));
        // Machine 8 never gets a capacity; 6 leaves; 5's capacity is its update's.
        let machines: Vec<_> = trace.machines.iter().map(|m| (m.id, m.cpu, m.memory, m.added_us, m.removed_us)).collect();
        assert_eq!(machines, [(5, 0.5, 0.4995, 0, None), (6, 0.5, 0.2493, 0, Some(835_150_655)), (7, 1.0, 1.0, 0, None)]);
        assert_eq!((stats.machine_events, stats.machines_without_capacity), ([4, 1, 1], 1));
    }

    /// Keeps what it is given, and wants a span of submissions.
    struct Wanting(Submissions, TaskTrace);

    impl TaskSink for Wanting {
        fn task(&mut self, task: TraceTask) {
            self.1.tasks.push(task);
        }

        fn machine(&mut self, machine: TraceMachine) {
            self.1.machines.push(machine);
        }

        fn wanted(&self) -> Submissions {
            self.0
        }
    }

    /// The reader hands over every state it kept, so a sink that gets only
    /// the tasks of its span (with their whole histories, events before and
    /// after it included) shows that no other task was kept.
    #[test]
    fn state_is_kept_only_for_tasks_first_seen_in_the_wanted_span() {
        let inputs = fixture_inputs();
        let whole = read(&inputs, false).unwrap();
        let s = 1_000_000;
        for (from_s, until_s) in [(0, Some(1)), (1, None), (600, Some(601)), (600, Some(700)), (601, None), (700, None)] {
            let span = Submissions { from_us: from_s * s, until_us: until_s.map(|u| u * s) };
            let mut sink = Wanting(span, TaskTrace::default());
            let summary = stream(&inputs, false, &mut sink).unwrap();
            sink.1.sort();
            let expected: Vec<_> = whole.tasks.iter().filter(|t| span.contains(t.submit_us)).cloned().collect();
            assert_eq!(sink.1.tasks, expected, "{span:?}");
            assert_eq!((summary.rows, &sink.1.machines), (whole.rows, &whole.machines), "{span:?}");
        }
        assert!(whole.tasks.iter().any(|t| t.submit_us == 0 && t.duration_us.is_some_and(|d| d > 600 * s)), "a task spans the spans");
    }

    /// Takes tasks early ([`TaskSink::early_tasks`]), noting whether a span was told.
    #[derive(Default)]
    struct Early(Vec<TraceTask>, bool);

    impl TaskSink for Early {
        fn task(&mut self, task: TraceTask) {
            self.0.push(task);
        }

        fn machine(&mut self, _machine: TraceMachine) {}

        fn early_tasks(&self) -> bool {
            true
        }

        fn span(&mut self, _first_us: u64, _last_us: u64) {
            self.1 = true;
        }
    }

    /// A sink taking tasks early gets each task once its end is 12 hours old,
    /// with the history a whole read gives it, unless the task's events
    /// resume later than that: it then gets the task once per part.
    #[test]
    fn ended_tasks_are_handed_over_twelve_hours_after_their_end() {
        let dir = tempfile::tempdir().unwrap();
        let (s, h) = (1_000_000, 3_600_000_000);
        let r = |time, job, kind| ev(time, job, 0, kind, 9, "0.1", "0.2");
        let rows = [
            // Fails, is resubmitted within the hour and finishes: one task, its last run 70 s.
            r(0, 1, SUBMIT),
            r(s, 1, SCHEDULE),
            r(10 * s, 1, FAIL),
            r(20 * s, 1, SUBMIT),
            r(30 * s, 1, SCHEDULE),
            r(100 * s, 1, FINISH),
            // Finishes at 70 s, and is resubmitted 13 hours later.
            r(50 * s, 2, SUBMIT),
            r(60 * s, 2, SCHEDULE),
            r(70 * s, 2, FINISH),
            // Still running at the end.
            r(h, 3, SUBMIT),
            r(h + s, 3, SCHEDULE),
            r(70 * s + 13 * h, 2, SUBMIT),
            r(71 * s + 13 * h, 2, SCHEDULE),
            r(73 * s + 13 * h, 2, FINISH),
        ];
        let mut rows = rows.to_vec();
        rows.sort_by_key(|row| row.split(',').next().and_then(|t| t.parse::<u64>().ok()));
        let path = write(dir.path(), "part-00000-of-00500.csv", &rows.concat());
        let whole = read(&inputs(path.clone()), false).unwrap();
        let ends = |t: &TraceTask| (t.job, t.submit_us, t.duration_us, t.outcome);
        let expected =
            [(1, 0, Some(70 * s), Outcome::Finished), (2, 50 * s, Some(2 * s), Outcome::Finished), (3, h, None, Outcome::Running)];
        assert_eq!(whole.tasks.iter().map(ends).collect::<Vec<_>>(), expected);
        let mut early = Early::default();
        stream(&inputs(path), false, &mut early).unwrap();
        // Jobs 2 and 1, in order of their ends, are handed over when the event 13 h in
        // shows those ends over 12 h old; the rest at the end of the file.
        let got: Vec<_> = early.0.iter().map(ends).collect();
        let late = (2, 70 * s + 13 * h, Some(2 * s), Outcome::Finished);
        assert_eq!(got, [(2, 50 * s, Some(10 * s), Outcome::Finished), expected[0], expected[2], late]);
        assert!(!early.1, "no span is told once a task was handed over");
    }

    #[test]
    fn job_events_are_counted_and_fill_missing_classes() {
        let dir = tempfile::tempdir().unwrap();
        let tasks = write(
            dir.path(),
            "tasks.csv",
            &[
                "0,,5,0,,0,u,,9,0.1,0.1,,\n", // no class: the job's
                "0,,5,1,,0,u,2,9,0.1,0.1,,\n",
                "0,,6,0,,0,u,,9,0.1,0.1,,\n", // no class anywhere: 0
            ]
            .concat(),
        );
        let jobs = write(dir.path(), "jobs.csv", "0,,5,0,u,1,name,logical\n10,,5,0,u,3,name,logical\n20,,5,1,u,,name,logical\n");
        let (trace, stats) = read_with_stats(&TraceInputs { jobs: Some(jobs), ..inputs(tasks) }, false).unwrap();
        assert_eq!((task(&trace, 5, 0).class, task(&trace, 5, 1).class, task(&trace, 6, 0).class), (3, 2, 0));
        assert_eq!(stats.job_events, [2, 1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!((stats.jobs, stats.classes_from_jobs, stats.tasks_without_job_events), (1, 1, 1));
        assert_eq!(trace.rows, 6);
    }

    #[test]
    fn machines_keep_their_latest_capacity_and_a_final_removal() {
        let dir = tempfile::tempdir().unwrap();
        let tasks = write(dir.path(), "tasks.csv", &ev(0, 1, 0, SUBMIT, 0, "0.1", "0.1"));
        let machines = write_gz(
            dir.path(),
            "part-00000-of-00001.csv.gz",
            &[
                "0,1,0,platformA,0.5,0.2493\n",
                "0,2,0,platformB,1,1\n",
                "0,3,0,platformA,,\n", // capacity never given: dropped
                "5000000,1,2,platformA,0.5,0.4995\n",
                "6000000,2,1,platformB,,\n",
                "7000000,2,0,platformB,1,0.5\n", // back: present throughout
                "8000000,4,0,platformC,0.25,0.25\n",
                "9000000,4,1,platformC,,\n",
            ]
            .concat(),
        );
        let (trace, stats) = read_with_stats(&TraceInputs { machines: Some(machines), ..inputs(tasks) }, false).unwrap();
        let summary: Vec<_> = trace.machines.iter().map(|m| (m.id, m.cpu, m.memory, m.added_us, m.removed_us)).collect();
        assert_eq!(summary, [(1, 0.5, 0.4995, 0, None), (2, 1.0, 0.5, 0, None), (4, 0.25, 0.25, 8_000_000, Some(9_000_000))]);
        assert_eq!((stats.machine_events, stats.machines_without_capacity), ([5, 2, 1], 1));
    }

    #[test]
    fn a_folder_of_gzip_parts_is_read_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        write_gz(dir.path(), "part-00001-of-00500.csv.gz", &ev(2_000, 1, 0, FINISH, 0, "0.1", "0.1"));
        write_gz(
            dir.path(),
            "part-00000-of-00500.csv.gz",
            &[ev(0, 1, 0, SUBMIT, 0, "", ""), ev(1_000, 1, 0, SCHEDULE, 0, "", "")].concat(),
        );
        let trace = TaskFormat::Google2011.read(&inputs(dir.path().to_path_buf()), false).unwrap();
        assert_eq!((trace.rows, trace.tasks[0].duration_us, trace.tasks[0].outcome), (3, Some(1_000), Outcome::Finished));
    }

    /// Writes `good` with `bad` as its second row; the read must fail at
    /// (`line`, `column`), or skip just that row.
    fn check_bad_row(dir: &Path, table: &str, good: &str, bad: &str, column: &str) {
        let text = good.replacen('\n', &format!("\n{bad}\n"), 1);
        let path = write(dir, &format!("bad-{table}.csv"), &text);
        let tasks = write(dir, "tasks.csv", &ev(0, 1, 0, SUBMIT, 0, "0.1", "0.1"));
        let read = |skip| match table {
            "tasks" => read_with_stats(&inputs(path.clone()), skip),
            "jobs" => read_with_stats(&TraceInputs { jobs: Some(path.clone()), ..inputs(tasks.clone()) }, skip),
            _ => read_with_stats(&TraceInputs { machines: Some(path.clone()), ..inputs(tasks.clone()) }, skip),
        };
        let err = read(false).unwrap_err();
        assert!(matches!(&err, TraceError::Bad { line: 2, column: c, .. } if c == column), "`{bad}`: {err}");
        let (trace, _) = read(true).unwrap();
        assert_eq!(trace.bad_rows.count, 1, "`{bad}`");
        assert!(trace.bad_rows.examples[0].contains(column), "{:?}", trace.bad_rows.examples);
    }

    #[test]
    fn bad_rows_fail_at_their_line_and_column_or_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let good_tasks =
            [ev(100, 1, 0, SUBMIT, 0, "0.1", "0.1"), ev(200, 1, 0, SCHEDULE, 0, "0.1", "0.1"), ev(300, 1, 0, FINISH, 0, "", "")];
        let good_tasks = good_tasks.concat();
        let task_cases = [
            ("150,,1,0,77,1,u,1,0,0.1", "memory_request"),
            ("150,,1,0,77,1,u,1,0,0.1,0.1,0.1,0,extra", "field 14"),
            ("x,,1,0,77,1,u,1,0,0.1,0.1,0.1,0", "time"),
            ("150,,1e3,0,77,1,u,1,0,0.1,0.1,0.1,0", "job_id"),
            ("150,,1,-1,77,1,u,1,0,0.1,0.1,0.1,0", "task_index"),
            ("150,3,1,0,77,1,u,1,0,0.1,0.1,0.1,0", "missing_info"),
            ("150,,1,0,m7,1,u,1,0,0.1,0.1,0.1,0", "machine_id"),
            ("150,,1,0,77,9,u,1,0,0.1,0.1,0.1,0", "event_type"),
            ("150,,1,0,77,1,u,4,0,0.1,0.1,0.1,0", "scheduling_class"),
            ("150,,1,0,77,1,u,1,12,0.1,0.1,0.1,0", "priority"),
            ("150,,1,0,77,1,u,1,,0.1,0.1,0.1,0", "priority"),
            ("150,,1,0,77,1,u,1,0,1.5,0.1,0.1,0", "cpu_request"),
            ("150,,1,0,77,1,u,1,0,0.1,-0.1,0.1,0", "memory_request"),
            ("150,,1,0,77,1,u,1,0,0.1,0.1,NaN,0", "disk_request"),
            ("150,,1,0,77,1,u,1,0,0.1,0.1,0.1,2", "different_machine"),
            ("50,,1,0,77,1,u,1,0,0.1,0.1,0.1,0", "time"), // before the previous row
        ];
        for (bad, column) in task_cases {
            check_bad_row(dir.path(), "tasks", &good_tasks, bad, column);
        }
        let good_jobs = "0,,1,0,u,1,n,l\n10,,1,1,u,1,n,l\n";
        for (bad, column) in [("5,,1,9,u,1,n,l", "event_type"), ("5,,x,0,u,1,n,l", "job_id"), ("5,,1,0,u,1", "job_name")] {
            check_bad_row(dir.path(), "jobs", good_jobs, bad, column);
        }
        let good_machines = "0,1,0,p,0.5,0.5\n10,1,2,p,0.5,0.25\n";
        let machine_cases =
            [("5,2,1,p,,", "event_type"), ("5,1,3,p,0.5,0.5", "event_type"), ("5,1,0,p,2,0.5", "cpus"), ("5,1,0,p,0.5", "memory")];
        for (bad, column) in machine_cases {
            check_bad_row(dir.path(), "machines", good_machines, bad, column);
        }
        check_bad_row(dir.path(), "machines", "10,1,0,p,0.5,0.5\n20,1,2,p,0.5,0.25\n", "5,1,2,p,0.5,0.5", "time");
    }

    #[test]
    fn nothing_to_read_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "tasks.csv", "");
        assert!(matches!(read(&inputs(path), false), Err(TraceError::Empty { .. })));
        let gz = dir.path().join("broken.csv.gz");
        fs::write(&gz, b"not gzip at all").unwrap();
        assert!(matches!(read(&inputs(gz), true), Err(TraceError::Io { .. })), "I/O errors are never skipped");
    }

    #[test]
    fn the_decimal_fast_path_parses_exactly_as_std_does() {
        let fast = [
            "0.07446",
            "0.125",
            "1",
            "0",
            "0.5",
            "1.",
            ".5",
            "0.000000000000001",
            "0.9551",
            "9007199254740991",
            "0.1000000000",
            "0.0000000000000000000001",
        ];
        for text in fast {
            assert_eq!(decimal(text.as_bytes()), Some(text.parse::<f64>().unwrap()), "{text}");
        }
        let slow =
            ["", ".", "1e-3", "-0.1", "9007199254740992", "0.12345678901234567", "0.00000000000000000000001", "1.2.3", " 0.1", "NaN"];
        for text in slow {
            assert_eq!(decimal(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn a_truncated_gzip_part_is_an_io_error_never_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let rows: String = (0..20_000).map(|k| ev(k, 1, k as u32, SUBMIT, 0, "0.1", "0.1")).collect();
        let whole = write_gz(dir.path(), "whole.csv.gz", &rows);
        assert_eq!(read(&inputs(whole.clone()), false).unwrap().tasks.len(), 20_000);
        let mut ahead = inflating_ahead(&whole).unwrap();
        let mut text = String::new();
        ahead.read_to_string(&mut text).unwrap();
        assert_eq!((text, ahead.read(&mut [0; 8]).unwrap()), (rows.clone(), 0), "the end stays the end");
        let bytes = fs::read(&whole).unwrap();
        let cut = write(dir.path(), "cut.csv.gz", "");
        fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        assert!(matches!(read(&inputs(cut), true), Err(TraceError::Io { .. })));
    }

    #[test]
    fn priorities_fall_in_the_borg_bands_in_order() {
        let borg = BorgParams::default();
        let bands: Vec<_> = (0..=11).map(|p| borg.band(TaskFormat::Google2011.pod_priority(p))).collect();
        let expected = [[Band::BestEffort; 2].as_slice(), &[Band::Batch; 7], &[Band::Production; 2], &[Band::Monitoring]].concat();
        assert_eq!(bands, expected);
        let mapped: Vec<_> = (-3..=14).map(pod_priority).collect();
        assert!(mapped.windows(2).all(|w| w[0] < w[1]), "{mapped:?}");
        assert!(pod_priority(i32::MIN) < pod_priority(0) && pod_priority(i32::MAX) >= pod_priority(11));
        assert_eq!(TaskFormat::Google2011.name(), "google-2011");
    }

    /// The 14 published parts: the README's counts, and those derived from
    /// them by an independent awk pass over the same files.
    #[test]
    fn the_published_parts_reproduce_the_counts() {
        let Some(dir) = needed("google-2011") else { return };
        let inputs = TraceInputs { jobs: Some(dir.join("job_events")), ..inputs(dir.join("task_events")) };
        let start = std::time::Instant::now();
        let (trace, stats) = read_with_stats(&inputs, false).unwrap();
        let seconds = start.elapsed().as_secs_f64();
        eprintln!("google-2011: {} rows in {seconds:.2} s = {:.2} M rows/s", trace.rows, trace.rows as f64 / seconds / 1e6);
        assert_eq!((stats.task_event_total(), stats.job_event_total(), trace.rows), (2_609_335, 53_410, 2_662_745));
        assert_eq!(stats.task_events, [936_182, 890_517, 219_839, 18_604, 330_742, 213_308, 0, 3, 140]);
        assert_eq!(stats.job_events, [19_152, 19_149, 1, 186, 9_644, 5_278, 0, 0, 0]);
        assert_eq!((stats.tasks, stats.submitted_tasks, trace.tasks.len()), (614_019, 614_019, 614_019));
        assert_eq!((stats.jobs, trace.jobs(), stats.tasks_without_job_events, stats.classes_from_jobs), (19_151, 19_146, 0, 0));
        let count = |o| trace.tasks.iter().filter(|t| t.outcome == o).count();
        let outcomes = [Outcome::Finished, Outcome::Failed, Outcome::Killed, Outcome::Lost, Outcome::Running].map(count);
        assert_eq!(outcomes, [320_956, 967, 138_373, 0, 153_723]);
        assert_eq!(stats.never_scheduled, 27_847);
        let work: u64 = trace.tasks.iter().filter_map(|t| t.duration_us).sum();
        assert_eq!(work, 1_307_606_325_713_960);
        assert_eq!(trace.bad_rows.count, 0);
    }
}
