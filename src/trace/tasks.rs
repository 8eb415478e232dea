//! Batch traces as a table of tasks: what every batch-trace reader returns and
//! what a replay submits.
//!
//! A reader streams its files row by row and hands each task, once it is
//! complete, to a [`TaskSink`]: what to keep is the consumer's choice. A
//! replay keeps the tasks of its window ([`ReplaySink`](super::replay::ReplaySink)),
//! `trace inspect` folds every task into bounded summaries
//! ([`inspect`](super::inspect)), and [`TaskFormat::read`] collects the whole
//! table, sorted by submission ([`TaskTrace`]). So a replay's memory follows its
//! window, not the file's length: a reader itself keeps per-task state only
//! where a task spans several rows (Google's events: its FINISH comes hours
//! after its SUBMIT), and then only for the tasks the sink wants
//! ([`TaskSink::wanted`]).
//!
//! # Units
//! Each format states its [`TaskUnits`]: CPU in cores and memory in bytes
//! ([`Scale::Absolute`]), or both normalised to the largest machine
//! ([`Scale::Normalized`], Google 2011 and Alibaba's memory) — then the replay's
//! scale factors (the largest machine's size) turn them into requests.
//!
//! # The native format
//! A CSV that users can write from their own traces, and that
//! `orchsim trace convert` writes from any supported format (absolute units):
//!
//! ```text
//! submit_s,job,task,instances,duration_s,cpu,memory_bytes,gpus,gpu_milli,priority,class,outcome,depends_on
//! 0,1,0,1,60,0.5,1073741824,0,0,0,0,finished,
//! 12.5,2,1,4,,2,2147483648,1,500,9,1,running,0
//! ```
//! * `submit_s`: seconds from the start of the trace (any order: the table is sorted);
//! * `job`, `task`: ids; `instances`: identical copies of the task (pods);
//! * `duration_s`: run time; empty when the task was still running at the end;
//! * `cpu` in cores, `memory_bytes`; `gpus` and `gpu_milli` (the share of
//!   each GPU, 1000 = whole; `1,500` is half of one shared GPU);
//! * `priority` (the trace's own), `class` (0–255: scheduling or latency class);
//! * `outcome`: `finished`, `failed`, `killed`, `lost`, `running` or `unknown`;
//! * `depends_on`: task ids of the same job that must finish first, separated by spaces.
//!
//! An optional machines file has the header
//! `machine,cpu,memory_bytes,gpus,gpu_model,added_s,removed_s` (`removed_s`
//! empty if the machine stays).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use csv::StringRecord;

use super::rows::{bad, csv_reader, line_of, parse_non_negative, Header};
use super::TraceError;

/// One task of a batch trace: `instances` identical pods submitted together.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceTask {
    /// Submission, µs of trace time (from the start of the trace).
    pub submit_us: u64,
    /// The job's id in the trace.
    pub job: u64,
    /// The task's id within its job.
    pub task: u32,
    /// Identical copies (Alibaba's instances; 1 elsewhere).
    pub instances: u32,
    /// Run time of one instance in µs; `None` when it was still running when the trace ends.
    pub duration_us: Option<u64>,
    /// CPU request of one instance, in the trace's [`TaskUnits::cpu`].
    pub cpu: f64,
    /// Memory request of one instance, in the trace's [`TaskUnits::memory`].
    pub memory: f64,
    /// GPUs of one instance.
    pub gpu: GpuRequest,
    /// The trace's own priority (each format maps it to pod priorities).
    pub priority: i32,
    /// Scheduling class (Google 0–3), latency class or QoS, by format.
    pub class: u8,
    /// How the task ended in the trace.
    pub outcome: Outcome,
    /// Tasks of the same job that must finish before this one is submitted (Alibaba 2018's DAG).
    pub depends_on: Vec<u32>,
}

/// GPUs asked for: `count` GPUs of which `milli`/1000 each. Whole GPUs have
/// `milli = 1000`; a shared GPU (GPU-v2023's `gpu_milli < 1000`) is `count = 1`
/// with the share.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GpuRequest {
    /// Number of GPUs.
    pub count: u32,
    /// Share of each, in thousandths.
    pub milli: u32,
}

impl GpuRequest {
    /// No GPU.
    pub const NONE: GpuRequest = GpuRequest { count: 0, milli: 0 };

    /// `count` whole GPUs.
    pub fn whole(count: u32) -> GpuRequest {
        GpuRequest { count, milli: if count == 0 { 0 } else { 1000 } }
    }

    /// Total thousandths of a GPU.
    pub fn total_milli(self) -> u64 {
        self.count as u64 * self.milli as u64
    }
}

/// How a task ended in the trace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Completed normally.
    Finished,
    /// Failed (a task failure).
    Failed,
    /// Cancelled by its user or another job.
    Killed,
    /// Its record ends without an end event (Google's LOST).
    Lost,
    /// Still running (or pending) when the trace ends.
    Running,
    /// The format does not say.
    #[default]
    Unknown,
}

impl Outcome {
    /// Every outcome, in the order of their names.
    pub const ALL: [Outcome; 6] = [Outcome::Finished, Outcome::Failed, Outcome::Killed, Outcome::Lost, Outcome::Running, Outcome::Unknown];

    /// The name used in the native format and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Finished => "finished",
            Outcome::Failed => "failed",
            Outcome::Killed => "killed",
            Outcome::Lost => "lost",
            Outcome::Running => "running",
            Outcome::Unknown => "unknown",
        }
    }

    fn parse(text: &str) -> Result<Outcome, String> {
        Outcome::ALL.into_iter().find(|o| o.name() == text).ok_or_else(|| {
            let names: Vec<_> = Outcome::ALL.iter().map(|o| o.name()).collect();
            format!("unknown outcome `{text}` (expected one of {})", names.join(", "))
        })
    }
}

/// Whether a quantity is absolute (CPU in cores, memory in bytes) or a
/// fraction of the largest machine's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scale {
    /// Cores, or bytes.
    #[default]
    Absolute,
    /// A fraction of the largest machine's capacity (0–1).
    Normalized,
}

/// The units of a trace's CPU and memory figures (tasks and machines alike).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TaskUnits {
    /// CPU: cores, or normalised.
    pub cpu: Scale,
    /// Memory: bytes, or normalised.
    pub memory: Scale,
}

/// A machine of the trace, in the trace's units.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceMachine {
    /// The machine's id in the trace.
    pub id: u64,
    /// CPU capacity.
    pub cpu: f64,
    /// Memory capacity.
    pub memory: f64,
    /// GPUs.
    pub gpus: u32,
    /// GPU model; empty when unknown or without GPU.
    pub gpu_model: String,
    /// When it joined, µs of trace time (0: present from the start).
    pub added_us: u64,
    /// When it left for good, if it did.
    pub removed_us: Option<u64>,
}

/// Malformed rows: fatal by default; with `--skip-bad-rows` counted and
/// reported (the first few messages kept).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BadRows {
    /// Skip bad rows instead of failing.
    pub skip: bool,
    /// Rows skipped.
    pub count: u64,
    /// The first skipped rows' errors (at most [`BadRows::KEEP`]).
    pub examples: Vec<String>,
}

impl BadRows {
    /// How many skipped rows' messages are kept.
    pub const KEEP: usize = 5;

    /// Bad rows fail the read.
    pub fn fail() -> BadRows {
        BadRows::default()
    }

    /// Bad rows are skipped and counted.
    pub fn skip() -> BadRows {
        BadRows { skip: true, ..BadRows::default() }
    }

    /// Passes a row's result through: `Ok(Some)` for a good row, `Ok(None)` for
    /// a bad one being skipped, `Err` for a bad one when not skipping (and for
    /// I/O errors, which are never skipped).
    pub fn check<T>(&mut self, row: Result<T, TraceError>) -> Result<Option<T>, TraceError> {
        match row {
            Ok(value) => Ok(Some(value)),
            Err(err @ TraceError::Bad { .. }) if self.skip => {
                self.count += 1;
                if self.examples.len() < Self::KEEP {
                    self.examples.push(err.to_string());
                }
                Ok(None)
            }
            Err(err) => Err(err),
        }
    }
}

/// What a read saw besides its tasks and machines: the units of their figures
/// and the rows read and skipped.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadSummary {
    /// Units of CPU and memory, in tasks and machines.
    pub units: TaskUnits,
    /// Data rows read (all files).
    pub rows: u64,
    /// Rows skipped as malformed.
    pub bad_rows: BadRows,
}

impl ReadSummary {
    /// Nothing read yet, in `units`; bad rows skipped or fatal.
    pub(crate) fn new(units: TaskUnits, skip_bad_rows: bool) -> ReadSummary {
        ReadSummary { units, rows: 0, bad_rows: if skip_bad_rows { BadRows::skip() } else { BadRows::fail() } }
    }
}

/// The submission times a consumer wants, `[from_us, until_us)`: a reader may
/// drop other tasks as early as it can (see [`TaskSink::wanted`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Submissions {
    /// The first µs of trace time wanted.
    pub from_us: u64,
    /// The first µs past the span; `None` runs to the end of the trace.
    pub until_us: Option<u64>,
}

impl Submissions {
    /// Every task.
    pub const ALL: Submissions = Submissions { from_us: 0, until_us: None };

    /// Whether a task submitted at `us` is wanted.
    pub fn contains(self, us: u64) -> bool {
        us >= self.from_us && self.until_us.is_none_or(|until| us < until)
    }
}

/// Where a reader delivers a trace: each task once it is complete, and each
/// machine. Tasks come in the reader's order, not sorted: a consumer that needs
/// them sorted sorts what it keeps (see [`TaskTrace::sort`]).
pub trait TaskSink {
    /// A complete task.
    fn task(&mut self, task: TraceTask);

    /// A machine.
    fn machine(&mut self, machine: TraceMachine);

    /// The submissions this sink keeps. A reader may leave out the other tasks
    /// (it must still read, check and count their rows), and should when
    /// keeping them would cost memory: Google's reader keeps no state for a
    /// task submitted outside this span. Everything by default.
    fn wanted(&self) -> Submissions {
        Submissions::ALL
    }

    /// Whether this sink takes a task as soon as its history has ended, for
    /// a summary in memory that does not grow with the files. A reader that
    /// folds each task's events until the end of the files (Google's) then
    /// hands over a task some time after its ending event, so that a task
    /// whose events resume later still than that is delivered once per
    /// resumption (see the `google_2011` module docs); it may then not call
    /// [`span`](Self::span). Only for a sink that wants every task
    /// ([`Submissions::ALL`]); no by default.
    fn early_tasks(&self) -> bool {
        false
    }

    /// A hint that about `tasks` more tasks are coming at once.
    fn reserve(&mut self, _tasks: usize) {}

    /// The first and last submission of every task the reader will deliver,
    /// told before the first of them by a reader that holds them all before
    /// delivering any (Google's), so that a sink can bin them in one pass.
    fn span(&mut self, _first_us: u64, _last_us: u64) {}
}

/// Collects the whole trace, unsorted until [`TaskFormat::read`] sorts it.
impl TaskSink for TaskTrace {
    fn task(&mut self, task: TraceTask) {
        self.tasks.push(task);
    }

    fn machine(&mut self, machine: TraceMachine) {
        self.machines.push(machine);
    }

    fn reserve(&mut self, tasks: usize) {
        self.tasks.reserve(tasks);
    }
}

/// The whole trace that `read` streams, in a table sorted by submission.
pub(crate) fn collect(read: impl FnOnce(&mut dyn TaskSink) -> Result<ReadSummary, TraceError>) -> Result<TaskTrace, TraceError> {
    let mut trace = TaskTrace::default();
    let ReadSummary { units, rows, bad_rows } = read(&mut trace)?;
    (trace.units, trace.rows, trace.bad_rows) = (units, rows, bad_rows);
    trace.sort();
    Ok(trace)
}

/// A batch trace read into memory: its tasks (sorted by submission, then job,
/// then task) and, when the format has them, its machines. Only for traces
/// that fit in memory (tests, `trace convert`): a replay and `trace inspect`
/// stream through a [`TaskSink`] instead.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TaskTrace {
    /// Tasks, sorted by `(submit_us, job, task)`.
    pub tasks: Vec<TraceTask>,
    /// Machines, sorted by id; empty when the trace has none.
    pub machines: Vec<TraceMachine>,
    /// Units of CPU and memory, in tasks and machines.
    pub units: TaskUnits,
    /// Data rows read (all files).
    pub rows: u64,
    /// Rows skipped as malformed.
    pub bad_rows: BadRows,
}

impl TaskTrace {
    /// Sorts the tasks into submission order and the machines by id: readers
    /// collect in file order, which is not always time order.
    pub fn sort(&mut self) {
        self.tasks.sort_by_key(|t| (t.submit_us, t.job, t.task));
        self.machines.sort_by_key(|m| m.id);
    }

    /// Distinct jobs.
    pub fn jobs(&self) -> usize {
        let mut jobs: Vec<u64> = self.tasks.iter().map(|t| t.job).collect();
        jobs.sort_unstable();
        jobs.dedup();
        jobs.len()
    }

    /// Pods the tasks stand for (the sum of their instances).
    pub fn instances(&self) -> u64 {
        self.tasks.iter().map(|t| t.instances as u64).sum()
    }
}

/// The files of a batch trace. Which ones a format reads is documented on its
/// [`TaskFormat`] variant; each is a file or a directory of files (read in
/// name order, see [`files_of`]), gzipped or not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceInputs {
    /// The main table: Google `task_events`, Alibaba `batch_task`, GPU pod
    /// list, SWF log, CloudSimPy `jobs.csv`, native tasks.
    pub tasks: PathBuf,
    /// Google `job_events`.
    pub jobs: Option<PathBuf>,
    /// Alibaba 2018 `batch_instance`.
    pub instances: Option<PathBuf>,
    /// Google `machine_events`, Alibaba 2018 `machine_meta`, the GPU node list, native machines.
    pub machines: Option<PathBuf>,
    /// Alibaba 2018 `container_meta` (online services' containers).
    pub containers: Option<PathBuf>,
}

/// A batch trace's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TaskFormat {
    /// The native format (module docs): tasks, and machines if given.
    Native,
    /// Google clusterdata-2011 (`google_2011` module docs): task events, job and machine events if given.
    #[serde(rename = "google-2011")]
    Google2011,
    /// Alibaba v2017 `batch_task.csv` (`tasks`; see [`alibaba`](super::alibaba)).
    #[serde(rename = "alibaba-2017")]
    Alibaba2017,
    /// CloudSimPy's `jobs.csv`, processed from Alibaba v2017 (`tasks`; see [`alibaba`](super::alibaba)).
    Cloudsimpy,
    /// Alibaba v2018: `batch_task` (`tasks`), optionally `batch_instance`
    /// (`instances`), `container_meta` (`containers`) and `machine_meta`
    /// (`machines`); see [`alibaba_2018`](super::alibaba_2018).
    #[serde(rename = "alibaba-2018")]
    Alibaba2018,
    /// A Standard Workload Format log (see [`super::swf`]): tasks only; machines from its header.
    Swf,
    /// Alibaba GPU-v2023 (see [`super::alibaba_gpu`]): the pod list as tasks, the node list as machines.
    #[serde(rename = "alibaba-gpu-2023")]
    AlibabaGpu2023,
}

impl TaskFormat {
    /// Every format, for help texts and errors.
    pub const ALL: [TaskFormat; 7] = [
        TaskFormat::Native,
        TaskFormat::Google2011,
        TaskFormat::Alibaba2017,
        TaskFormat::Cloudsimpy,
        TaskFormat::Alibaba2018,
        TaskFormat::Swf,
        TaskFormat::AlibabaGpu2023,
    ];

    /// Every format's name, comma-separated.
    pub fn names() -> String {
        TaskFormat::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
    }

    /// The name used in scenarios and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            TaskFormat::Native => "native",
            TaskFormat::Google2011 => "google-2011",
            TaskFormat::Alibaba2017 => "alibaba-2017",
            TaskFormat::Cloudsimpy => "cloudsimpy",
            TaskFormat::Alibaba2018 => "alibaba-2018",
            TaskFormat::Swf => "swf",
            TaskFormat::AlibabaGpu2023 => "alibaba-gpu-2023",
        }
    }
}

/// The files to read: a file, or every file of a directory in name order
/// (Google's `part-00000-of-00500.csv.gz`, … sort into trace order).
pub fn files_of(path: &Path) -> Result<Vec<PathBuf>, TraceError> {
    let io = |error| TraceError::Io { path: path.to_path_buf(), error };
    if !fs::metadata(path).map_err(io)?.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in fs::read_dir(path).map_err(io)? {
        let entry = entry.map_err(io)?;
        if entry.file_type().map_err(io)?.is_file() && !entry.file_name().to_string_lossy().starts_with('.') {
            files.push(entry.path());
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(TraceError::Empty { path: path.to_path_buf(), message: "the directory has no files".into() });
    }
    Ok(files)
}

/// Seconds of trace time as µs, or why not.
pub(crate) fn secs_to_us(s: f64) -> Result<u64, String> {
    let us = (s * 1e6).round();
    if us < u64::MAX as f64 {
        Ok(us as u64)
    } else {
        Err(format!("{s} s is beyond the simulator's clock"))
    }
}

/// The columns of the native task format.
pub const NATIVE_TASK_COLUMNS: [&str; 13] = [
    "submit_s",
    "job",
    "task",
    "instances",
    "duration_s",
    "cpu",
    "memory_bytes",
    "gpus",
    "gpu_milli",
    "priority",
    "class",
    "outcome",
    "depends_on",
];

/// The columns of the native machines format.
pub const NATIVE_MACHINE_COLUMNS: [&str; 7] = ["machine", "cpu", "memory_bytes", "gpus", "gpu_model", "added_s", "removed_s"];

/// Parses an integer field.
pub(crate) fn parse_int<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, String> {
    text.parse::<T>().map_err(|_| if text.is_empty() { format!("empty: expected {what}") } else { format!("not {what}: `{text}`") })
}

/// Reads tasks in the native format (and its machines file, if given).
pub fn read_native(tasks: &Path, machines: Option<&Path>, skip_bad_rows: bool) -> Result<TaskTrace, TraceError> {
    collect(|sink| stream_native(tasks, machines, skip_bad_rows, sink))
}

/// Streams tasks in the native format into `sink`, then its machines. One row
/// is one task, so nothing is kept between rows.
pub(super) fn stream_native(
    tasks: &Path,
    machines: Option<&Path>,
    skip_bad_rows: bool,
    sink: &mut dyn TaskSink,
) -> Result<ReadSummary, TraceError> {
    let mut summary = ReadSummary::new(TaskUnits::default(), skip_bad_rows);
    let parse_task = |path: &Path, header: &Header, row: &StringRecord, _| native_task(path, header, row);
    read_records(tasks, &NATIVE_TASK_COLUMNS, &mut summary, |task| sink.task(task), parse_task)?;
    if let Some(machines) = machines {
        let parse_machine = |path: &Path, header: &Header, row: &StringRecord, _| native_machine(path, header, row);
        read_records(machines, &NATIVE_MACHINE_COLUMNS, &mut summary, |machine| sink.machine(machine), parse_machine)?;
    }
    Ok(summary)
}

/// Reads every row of a CSV table (a file, or a directory of files in name
/// order) with `parse`, which gets the row's number in the table from 0;
/// good rows go to `emit`, bad ones through `summary.bad_rows`.
pub(crate) fn read_records<T>(
    path: &Path,
    columns: &[&str],
    summary: &mut ReadSummary,
    mut emit: impl FnMut(T),
    parse: impl Fn(&Path, &Header, &StringRecord, u64) -> Result<T, TraceError>,
) -> Result<(), TraceError> {
    let mut number = 0;
    for file in files_of(path)? {
        let mut reader = csv_reader(&file)?;
        let header = Header::read(&file, &mut reader, columns)?;
        let mut row = StringRecord::new();
        while header.read_unchecked(&file, &mut reader, &mut row)? {
            summary.rows += 1;
            let parsed = header.check_width(&file, &row).and_then(|()| parse(&file, &header, &row, number));
            number += 1;
            if let Some(value) = summary.bad_rows.check(parsed)? {
                emit(value);
            }
        }
    }
    Ok(())
}

fn native_task(path: &Path, header: &Header, row: &StringRecord) -> Result<TraceTask, TraceError> {
    let line = line_of(row);
    let field = |i: usize| &row[header.columns[i]];
    let at = |i: usize| move |message: String| bad(path, line, header.name(i), message);
    let optional_secs = |i: usize| -> Result<Option<u64>, TraceError> {
        match field(i) {
            "" => Ok(None),
            text => parse_non_negative(text, "time").and_then(secs_to_us).map(Some).map_err(at(i)),
        }
    };
    let depends_on =
        field(12).split_whitespace().map(|t| parse_int::<u32>(t, "a task id")).collect::<Result<Vec<_>, _>>().map_err(at(12))?;
    let milli: u32 = parse_int(field(8), "a share in thousandths").map_err(at(8))?;
    if milli > 1000 {
        return Err(at(8)(format!("share {milli} is over 1000 (a whole GPU)")));
    }
    let instances: u32 = parse_int(field(3), "a number of instances").map_err(at(3))?;
    if instances == 0 {
        return Err(at(3)("a task has at least one instance".into()));
    }
    Ok(TraceTask {
        submit_us: optional_secs(0)?.ok_or_else(|| at(0)("empty: expected the submission time".into()))?,
        job: parse_int(field(1), "a job id").map_err(at(1))?,
        task: parse_int(field(2), "a task id").map_err(at(2))?,
        instances,
        duration_us: optional_secs(4)?,
        cpu: parse_non_negative(field(5), "cpu").map_err(at(5))?,
        memory: parse_non_negative(field(6), "memory").map_err(at(6))?,
        gpu: GpuRequest { count: parse_int(field(7), "a number of GPUs").map_err(at(7))?, milli },
        priority: parse_int(field(9), "a priority").map_err(at(9))?,
        class: parse_int(field(10), "a class (0–255)").map_err(at(10))?,
        outcome: Outcome::parse(field(11)).map_err(at(11))?,
        depends_on,
    })
}

fn native_machine(path: &Path, header: &Header, row: &StringRecord) -> Result<TraceMachine, TraceError> {
    let line = line_of(row);
    let field = |i: usize| &row[header.columns[i]];
    let at = |i: usize| move |message: String| bad(path, line, header.name(i), message);
    let removed_us = match field(6) {
        "" => None,
        text => Some(parse_non_negative(text, "time").and_then(secs_to_us).map_err(at(6))?),
    };
    Ok(TraceMachine {
        id: parse_int(field(0), "a machine id").map_err(at(0))?,
        cpu: parse_non_negative(field(1), "cpu").map_err(at(1))?,
        memory: parse_non_negative(field(2), "memory").map_err(at(2))?,
        gpus: parse_int(field(3), "a number of GPUs").map_err(at(3))?,
        gpu_model: field(4).to_string(),
        added_us: parse_non_negative(field(5), "time").and_then(secs_to_us).map_err(at(5))?,
        removed_us,
    })
}

/// Converts a trace's CPU and memory figures to the native format's absolute
/// units: normalised figures are multiplied by the largest machine's cores and
/// bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Absolute {
    /// Cores per 1.0 of normalised CPU.
    pub cores: f64,
    /// Bytes per 1.0 of normalised memory.
    pub bytes: f64,
}

impl Absolute {
    fn cpu(&self, units: TaskUnits, cpu: f64) -> f64 {
        if units.cpu == Scale::Normalized {
            cpu * self.cores
        } else {
            cpu
        }
    }

    fn memory(&self, units: TaskUnits, memory: f64) -> f64 {
        if units.memory == Scale::Normalized {
            (memory * self.bytes).round()
        } else {
            memory
        }
    }
}

fn secs(us: u64) -> f64 {
    us as f64 / 1e6
}

/// Writes `trace`'s tasks in the native format, with `scale` turning
/// normalised figures into absolute ones.
pub fn write_native_tasks(trace: &TaskTrace, scale: Absolute, out: impl Write) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(NATIVE_TASK_COLUMNS)?;
    for t in &trace.tasks {
        let depends: Vec<String> = t.depends_on.iter().map(u32::to_string).collect();
        w.write_record([
            secs(t.submit_us).to_string(),
            t.job.to_string(),
            t.task.to_string(),
            t.instances.to_string(),
            t.duration_us.map(|d| secs(d).to_string()).unwrap_or_default(),
            scale.cpu(trace.units, t.cpu).to_string(),
            scale.memory(trace.units, t.memory).to_string(),
            t.gpu.count.to_string(),
            t.gpu.milli.to_string(),
            t.priority.to_string(),
            t.class.to_string(),
            t.outcome.name().to_string(),
            depends.join(" "),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// Writes `trace`'s machines in the native machines format.
pub fn write_native_machines(trace: &TaskTrace, scale: Absolute, out: impl Write) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(NATIVE_MACHINE_COLUMNS)?;
    for m in &trace.machines {
        w.write_record([
            m.id.to_string(),
            scale.cpu(trace.units, m.cpu).to_string(),
            scale.memory(trace.units, m.memory).to_string(),
            m.gpus.to_string(),
            m.gpu_model.clone(),
            secs(m.added_us).to_string(),
            m.removed_us.map(|r| secs(r).to_string()).unwrap_or_default(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::test_files::{fixture, write};

    const HEADER: &str = "submit_s,job,task,instances,duration_s,cpu,memory_bytes,gpus,gpu_milli,priority,class,outcome,depends_on\n";

    #[test]
    fn native_tasks_are_read_sorted_with_their_dag_and_gpu_shares() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "t.csv",
            &format!("{HEADER}12.5,2,1,4,,2,2147483648,1,500,9,1,running,0 3\n0,1,0,1,60,0.5,1073741824,0,0,0,0,finished,\n"),
        );
        let trace = read_native(&path, None, false).unwrap();
        assert_eq!(trace.rows, 2);
        assert_eq!((trace.jobs(), trace.instances()), (2, 5));
        let [first, second] = &trace.tasks[..] else { panic!("{:?}", trace.tasks) };
        assert_eq!((first.job, first.submit_us, first.duration_us, first.outcome), (1, 0, Some(60_000_000), Outcome::Finished));
        assert_eq!((second.submit_us, second.duration_us, second.gpu), (12_500_000, None, GpuRequest { count: 1, milli: 500 }));
        assert_eq!(second.depends_on, vec![0, 3]);
    }

    #[test]
    fn the_native_fixture_reads_tasks_and_machines_in_absolute_units() {
        let inputs =
            TraceInputs { tasks: fixture("native/tasks.csv"), machines: Some(fixture("native/machines.csv")), ..TraceInputs::default() };
        let trace = TaskFormat::Native.read(&inputs, false).unwrap();
        assert_eq!((trace.rows, trace.tasks.len(), trace.jobs(), trace.instances()), (4 + 3, 4, 3, 8));
        assert_eq!((trace.units, trace.bad_rows.count), (TaskUnits::default(), 0));
        let ids: Vec<_> = trace.tasks.iter().map(|t| (t.submit_us, t.job, t.task)).collect();
        assert_eq!(ids, [(0, 1, 0), (0, 1, 1), (7_000_000, 3, 0), (12_500_000, 2, 0)], "sorted by submission, job, task");
        let [first, failed, killed, running] = &trace.tasks[..] else { panic!("{:?}", trace.tasks) };
        assert_eq!((first.instances, first.duration_us, first.cpu, first.memory), (2, Some(60_000_000), 0.5, 1073741824.0));
        assert_eq!((failed.duration_us, failed.outcome, &failed.depends_on[..]), (Some(30_250_000), Outcome::Failed, &[0][..]));
        assert_eq!((killed.gpu, killed.priority, killed.class, killed.outcome), (GpuRequest::whole(2), 100, 2, Outcome::Killed));
        assert_eq!((running.duration_us, running.gpu, running.priority, running.class), (None, GpuRequest { count: 1, milli: 500 }, 9, 1));
        assert_eq!(running.outcome, Outcome::Running);
        let machines: Vec<_> =
            trace.machines.iter().map(|m| (m.id, m.cpu, m.memory, m.gpus, m.gpu_model.as_str(), m.added_us, m.removed_us)).collect();
        assert_eq!(
            machines,
            [
                (1, 64.0, 274877906944.0, 8, "V100M16", 0, None),
                (2, 32.0, 68719476736.0, 0, "", 0, None),
                (3, 16.0, 34359738368.0, 0, "", 3_600_000_000, Some(7_200_500_000)),
            ]
        );
    }

    #[test]
    fn bad_native_rows_fail_with_the_line_and_column_or_are_counted_when_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("x,1,0,1,60,0.5,1,0,0,0,0,finished,", 2, "submit_s"),
            ("0,1,0,1,60,-0.5,1,0,0,0,0,finished,", 2, "cpu"),
            ("0,1,0,1,60,0.5,1,1,1200,0,0,finished,", 2, "gpu_milli"),
            ("0,1,0,1,60,0.5,1,0,0,0,0,done,", 2, "outcome"),
            ("0,1,0,1,60,0.5,1,0,0,0,0", 2, "outcome"),
            ("0,1,0,0,60,0.5,1,0,0,0,0,finished,", 2, "instances"),
        ];
        for (k, (row, line, column)) in cases.into_iter().enumerate() {
            let path = write(dir.path(), &format!("bad{k}.csv"), &format!("{HEADER}{row}\n0,1,1,1,60,0.5,1,0,0,0,0,finished,\n"));
            let err = read_native(&path, None, false).unwrap_err();
            assert!(matches!(&err, TraceError::Bad { line: l, column: c, .. } if *l == line && c == column), "case {k}: {err}");
            let skipped = read_native(&path, None, true).unwrap();
            assert_eq!((skipped.tasks.len(), skipped.bad_rows.count), (1, 1), "case {k}");
            assert!(skipped.bad_rows.examples[0].contains(column), "case {k}: {:?}", skipped.bad_rows.examples);
        }
    }

    #[test]
    fn native_output_reads_back_to_the_same_trace_in_absolute_units() {
        let dir = tempfile::tempdir().unwrap();
        let normalised = TaskTrace {
            tasks: vec![TraceTask {
                submit_us: 1_500_000,
                job: 7,
                task: 2,
                instances: 3,
                duration_us: Some(2_250_000),
                cpu: 0.25,
                memory: 0.5,
                gpu: GpuRequest::whole(2),
                priority: 9,
                class: 2,
                outcome: Outcome::Killed,
                depends_on: vec![1],
            }],
            machines: vec![TraceMachine {
                id: 5,
                cpu: 1.0,
                memory: 1.0,
                gpus: 0,
                gpu_model: String::new(),
                added_us: 0,
                removed_us: Some(3_000_000),
            }],
            units: TaskUnits { cpu: Scale::Normalized, memory: Scale::Normalized },
            rows: 2,
            bad_rows: BadRows::fail(),
        };
        let scale = Absolute { cores: 16.0, bytes: 64.0 * (1u64 << 30) as f64 };
        let (tasks, machines) = (dir.path().join("t.csv"), dir.path().join("m.csv"));
        write_native_tasks(&normalised, scale, fs::File::create(&tasks).unwrap()).unwrap();
        write_native_machines(&normalised, scale, fs::File::create(&machines).unwrap()).unwrap();
        let back = read_native(&tasks, Some(&machines), false).unwrap();
        let mut expected = normalised.clone();
        expected.units = TaskUnits::default();
        expected.tasks[0].cpu = 4.0;
        expected.tasks[0].memory = 32.0 * (1u64 << 30) as f64;
        expected.machines[0].cpu = 16.0;
        expected.machines[0].memory = 64.0 * (1u64 << 30) as f64;
        assert_eq!(back, expected);
    }

    #[test]
    fn a_directory_is_read_file_by_file_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "part-1.csv", "");
        write(dir.path(), "part-0.csv", "");
        write(dir.path(), ".hidden", "");
        let names: Vec<_> = files_of(dir.path()).unwrap().iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["part-0.csv", "part-1.csv"]);
    }
}
