//! Alibaba cluster-trace-v2018 (format `alibaba-2018`): batch tasks with their
//! DAGs, optionally the per-instance run times, the online services'
//! containers and the machines.
//!
//! The published tables are CSV files without a header, in the column order
//! of the official schema (`alibaba-schemas/v2018_schema.txt`); a file whose
//! first row names the first column (`task_name`, …) has a header, and its
//! columns are then found by name. All times are whole seconds from the start
//! of the 8-day trace, 0 meaning "before or after the trace"; CPU is in
//! hundredths of a core (100 = 1 core) and memory normalised to the largest
//! machine on a 0–100 scale, where −1 and 101 mark invalid values: any memory
//! outside `[0, 100]` is a bad row. Tasks keep cores ([`Scale::Absolute`](super::tasks::Scale::Absolute)) and
//! memory as a fraction 0–1 ([`Scale::Normalized`](super::tasks::Scale::Normalized)): `plan_mem / 100`.
//!
//! # `batch_task` ([`TraceInputs::tasks`])
//! `task_name,instance_num,job_name,task_type,status,start_time,end_time,plan_cpu,plan_mem`
//! * `job_name` `j_1234` → job 1234 (see *Ids* for other names);
//! * `task_name` carries the DAG: one letter, the task's number, then the
//!   numbers of the tasks it depends on, separated by `_` (`M5_3_4` → task 5,
//!   `depends_on = [3, 4]`; `R2_1`; `M1` has none); the letter does not
//!   matter. Any other name (`task_Nzg3…==`, `MergeTask`, `M1_x`) is an
//!   independent task with no dependencies and an id of its own, at or above
//!   [`NON_DAG_TASK`] (2³¹): the `k`-th such name of a job, in file order, is
//!   `NON_DAG_TASK + k`. DAG numbers must be below 2³¹ (else the name is not
//!   a DAG name), so the two kinds of ids never clash within a job;
//! * submission = `start_time` (the table has no submit time; 0 → at the
//!   start); duration = `end_time − start_time` (clamped at 0), or `None`
//!   when `end_time` is 0 (it ended after the trace, or was never recorded);
//! * `status` → [`Outcome`]: `Terminated` finished, `Failed` failed,
//!   `Cancelled` and `Interrupted` killed, `Running`, `Waiting` and `Ready`
//!   running (or pending); any other is a bad row;
//! * `plan_cpu / 100` cores, `plan_mem / 100`; an empty request is 0 (the
//!   trace does not say);
//! * class [`BATCH_CLASS`](super::alibaba::BATCH_CLASS), priority
//!   [`BATCH_PRIORITY`](super::alibaba::BATCH_PRIORITY); `task_type` is dropped.
//!
//! # `batch_instance` ([`TraceInputs::instances`], optional)
//! `instance_name,task_name,job_name,task_type,status,start_time,end_time,machine_id,seq_no,total_seq_no,cpu_avg,cpu_max,mem_avg,mem_max`
//!
//! Streamed and aggregated per task: a task's duration becomes the **mean run
//! time of its instances** (rounded down to the µs) — what one pod of the task
//! needs, whereas the task's own `end − start` spans all its waves of
//! instances. Only instances with both times in the trace count
//! (`start_time > 0` and `end_time ≥ start_time`), whatever their status (a failed instance
//! held its resources too); a task with none keeps its own duration.
//! Instances of tasks absent from `batch_task` are ignored. Only the two times
//! and the names are read; usage, machine and sequence columns are dropped.
//!
//! # `container_meta` ([`TraceInputs::containers`], optional)
//! `container_id,machine_id,time_stamp,app_du,status,cpu_request,cpu_limit,mem_size`
//!
//! The online services' containers, long-running: one task per container
//! (`c_N` → task N, instances 1), job = its application group (`app_du`
//! `app_N` → job [`APP_JOB`] `+ N`, away from the batch jobs), submitted at
//! its earliest `time_stamp`, duration `None`, outcome running, class
//! [`ONLINE_CLASS`] and priority [`ONLINE_PRIORITY`] (production band, see
//! [`pod_priority`](super::alibaba::pod_priority)). The table has a row per
//! status change; the requests are those of the container's first row
//! (`cpu_request / 100` cores, `mem_size / 100`); `machine_id`, `status` and
//! `cpu_limit` are dropped.
//!
//! # `machine_meta` ([`TraceInputs::machines`], optional)
//! `machine_id,time_stamp,failure_domain_1,failure_domain_2,cpu_num,mem_size,status`
//!
//! One [`TraceMachine`] per machine (`m_N` → N): `cpu_num` cores, `mem_size /
//! 100`, added at its earliest `time_stamp`, never removed, no GPU. The table
//! has a row per status event; capacities are those of the first row; the
//! failure domains and statuses are dropped.
//!
//! # Ids
//! A name `prefix_N` (`j_`, `app_`, `c_`, `m_`) with N written in plain digits
//! becomes N (plus [`APP_JOB`] for applications); any other name gets an id
//! in a range of its own, by first appearance in file order: jobs from
//! [`UNPARSED_JOB`], applications from [`UNPARSED_APP`], machines from
//! [`UNPARSED_MACHINE`], containers from 2³¹. Reading the same files in the
//! same order therefore always gives the same ids.

use super::alibaba::{batch_task, outcome, read_table, unknown_status, Fields, HeaderRow, ONLINE_CLASS, ONLINE_PRIORITY, UNITS};
use super::tasks::{collect, ReadSummary, TaskSink};
use super::{GpuRequest, Outcome, TaskTrace, TraceError, TraceInputs, TraceMachine, TraceTask};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The columns of `batch_task`.
pub const BATCH_TASK_COLUMNS: [&str; 9] =
    ["task_name", "instance_num", "job_name", "task_type", "status", "start_time", "end_time", "plan_cpu", "plan_mem"];

/// The columns of `batch_instance`.
pub const BATCH_INSTANCE_COLUMNS: [&str; 14] = [
    "instance_name",
    "task_name",
    "job_name",
    "task_type",
    "status",
    "start_time",
    "end_time",
    "machine_id",
    "seq_no",
    "total_seq_no",
    "cpu_avg",
    "cpu_max",
    "mem_avg",
    "mem_max",
];

/// The columns of `container_meta`.
pub const CONTAINER_META_COLUMNS: [&str; 8] =
    ["container_id", "machine_id", "time_stamp", "app_du", "status", "cpu_request", "cpu_limit", "mem_size"];

/// The columns of `machine_meta`.
pub const MACHINE_META_COLUMNS: [&str; 7] =
    ["machine_id", "time_stamp", "failure_domain_1", "failure_domain_2", "cpu_num", "mem_size", "status"];

/// The first id of a task whose name encodes no DAG; DAG task numbers stay below.
pub const NON_DAG_TASK: u32 = 1 << 31;
/// Online applications' jobs: `app_N` is job `APP_JOB + N` (N < `APP_JOB`).
pub const APP_JOB: u64 = 1 << 48;
/// The first id of a batch job whose name is not `j_N`.
pub const UNPARSED_JOB: u64 = 1 << 56;
/// The first id of an application whose name is not `app_N`.
pub const UNPARSED_APP: u64 = UNPARSED_JOB + APP_JOB;
/// The first id of a machine whose name is not `m_N`.
pub const UNPARSED_MACHINE: u64 = 1 << 56;

/// Full-scale memory on v2018's normalised scale.
const MEMORY_SCALE: f64 = 100.0;
/// Hundredths of a core per core.
const CPU_SCALE: f64 = 100.0;

/// Reads a v2018 trace: `inputs.tasks` (`batch_task`) and, when given,
/// `instances`, `containers` and `machines` (module docs).
pub fn read_v2018(inputs: &TraceInputs, skip_bad_rows: bool) -> Result<TaskTrace, TraceError> {
    collect(|sink| stream_v2018(inputs, skip_bad_rows, sink))
}

/// Streams a v2018 trace into `sink`: batch tasks as they are read, unless
/// `batch_instance` is given (their durations then wait for their instances,
/// so every batch task is kept until that table is read), then the online
/// containers and the machines (each spans several rows: kept to the end).
pub(crate) fn stream_v2018(inputs: &TraceInputs, skip_bad_rows: bool, sink: &mut dyn TaskSink) -> Result<ReadSummary, TraceError> {
    let mut summary = ReadSummary::new(UNITS, skip_bad_rows);
    let mut batch = Batch::new(inputs.instances.is_some());
    if let Some(path) = &inputs.instances {
        read_table(&inputs.tasks, &BATCH_TASK_COLUMNS, HeaderRow::Optional, &mut summary, |row| {
            let task = batch.add_task(row)?;
            batch.tasks.push(task);
            Ok(())
        })?;
        batch.index_tasks();
        read_table(path, &BATCH_INSTANCE_COLUMNS, HeaderRow::Optional, &mut summary, |row| batch.add_instance(row))?;
        batch.apply_runs();
        sink.reserve(batch.tasks.len());
        std::mem::take(&mut batch.tasks).into_iter().for_each(|task| sink.task(task));
    } else {
        read_table(&inputs.tasks, &BATCH_TASK_COLUMNS, HeaderRow::Optional, &mut summary, |row| {
            sink.task(batch.add_task(row)?);
            Ok(())
        })?;
    }
    if let Some(path) = &inputs.containers {
        let mut containers = Containers::default();
        read_table(path, &CONTAINER_META_COLUMNS, HeaderRow::Optional, &mut summary, |row| containers.add(row))?;
        containers.tasks.into_iter().for_each(|task| sink.task(task));
    }
    if let Some(path) = &inputs.machines {
        let mut machines = Machines::default();
        read_table(path, &MACHINE_META_COLUMNS, HeaderRow::Optional, &mut summary, |row| machines.add(row))?;
        machines.list.into_iter().for_each(|machine| sink.machine(machine));
    }
    Ok(summary)
}

/// Ids of names `prefix_N`, and of other names by first appearance.
struct Names {
    prefix: &'static str,
    offset: u64,
    unparsed: u64,
    seen: IdMap<Box<str>, u64>,
}

impl Names {
    fn new(prefix: &'static str, offset: u64, unparsed: u64) -> Names {
        Names { prefix, offset, unparsed, seen: IdMap::default() }
    }

    /// `offset + N` for `prefix_N` with N in plain digits (no sign, no
    /// leading zero) and below the unparsed range, so that two names never share an id.
    fn parse(&self, name: &str) -> Option<u64> {
        let digits = name.strip_prefix(self.prefix)?;
        let plain = digits.bytes().all(|b| b.is_ascii_digit()) && (digits == "0" || !digits.starts_with('0'));
        let n = digits.parse::<u64>().ok().filter(|_| plain)?;
        Some(self.offset + n).filter(|id| *id < self.unparsed)
    }

    /// The id of `name`, giving a new one to an unparsed name.
    fn id(&mut self, name: &str) -> u64 {
        if let Some(id) = self.get(name) {
            return id;
        }
        let id = self.unparsed + self.seen.len() as u64;
        self.seen.insert(name.into(), id);
        id
    }

    /// The id of `name` if it parses or was seen.
    fn get(&self, name: &str) -> Option<u64> {
        self.parse(name).or_else(|| self.seen.get(name).copied())
    }
}

/// A DAG task name's number and the `_`-separated numbers it depends on
/// (`M5_3_4` → `(5, "3_4")`), or `None` for a name without a DAG.
fn dag(name: &str) -> Option<(u32, &str)> {
    let mut chars = name.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let rest = chars.as_str();
    let (task, deps) = rest.split_once('_').unwrap_or((rest, ""));
    let task = dag_number(task)?;
    if rest.contains('_') && !deps.split('_').all(|d| dag_number(d).is_some()) {
        return None;
    }
    Some((task, deps))
}

/// A task number of a DAG name: plain digits below [`NON_DAG_TASK`].
fn dag_number(text: &str) -> Option<u32> {
    let plain = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    text.parse::<u32>().ok().filter(|n| plain && *n < NON_DAG_TASK)
}

/// A fast hasher for the readers' maps, keyed by ids and names of a trace
/// file (FxHash's mixing: no defence against crafted keys, which a trace is
/// not); SipHash made the maps half of `batch_task`'s read time.
#[derive(Clone, Copy, Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.write_u64(chunk.iter().fold(0, |n, &b| n << 8 | b as u64));
        }
        self.write_u64(chunks.remainder().iter().fold(0, |n, &b| n << 8 | b as u64));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(n as u64);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map with [`IdHasher`]. Never iterated: the readers only look ids up.
type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// Task ids within jobs: DAG numbers, and the ids given to other names.
#[derive(Default)]
struct TaskIds {
    /// Whether to keep the names without a DAG, to find their tasks again
    /// (for `batch_instance`): else only their count per job is kept.
    remember: bool,
    /// Per job, the names without a DAG.
    other: IdMap<u64, OtherNames>,
}

/// The names without a DAG of one job.
#[derive(Default)]
struct OtherNames {
    count: u32,
    ids: IdMap<Box<str>, u32>,
}

impl TaskIds {
    /// The id and dependencies of task `name` of `job`, giving a new id to a name without a DAG.
    fn id(&mut self, job: u64, name: &str) -> (u32, Vec<u32>) {
        if let Some((task, deps)) = dag(name) {
            let deps = if deps.is_empty() { Vec::new() } else { deps.split('_').filter_map(dag_number).collect() };
            return (task, deps);
        }
        let names = self.other.entry(job).or_default();
        if let Some(&id) = names.ids.get(name) {
            return (id, Vec::new());
        }
        // 2³¹ names in one job cannot fit in memory; saturate rather than wrap all the same.
        let id = NON_DAG_TASK.saturating_add(names.count);
        names.count += 1;
        if self.remember {
            names.ids.insert(name.into(), id);
        }
        (id, Vec::new())
    }

    /// The id of task `name` of `job`, if it has one.
    fn get(&self, job: u64, name: &str) -> Option<u32> {
        match dag(name) {
            Some((task, _)) => Some(task),
            None => self.other.get(&job)?.ids.get(name).copied(),
        }
    }
}

/// Sum and count of a task's instance run times.
#[derive(Clone, Copy, Debug, Default)]
struct Runs {
    total_us: u64,
    count: u64,
}

/// The batch tasks' ids and, when their instances are read, the tasks themselves.
struct Batch {
    jobs: Names,
    task_ids: TaskIds,
    tasks: Vec<TraceTask>,
    /// `(job, task)` → index in `tasks` (the first task, if a job repeats a
    /// name), built for reading instances.
    index: IdMap<(u64, u32), usize>,
    /// Per task, its instances' run times (empty until instances are read).
    runs: Vec<Runs>,
    /// The last task an instance was found for, and its index.
    last: Option<((u64, u32), usize)>,
}

/// A name column's text, or a bad row if it is empty.
fn name<'a>(row: &Fields<'a>, i: usize) -> Result<&'a str, TraceError> {
    match row.text(i) {
        "" => Err(row.bad(i, "empty: expected a name".into())),
        text => Ok(text),
    }
}

/// A time in whole seconds, 0 meaning outside the trace.
fn time(row: &Fields, i: usize) -> Result<f64, TraceError> {
    row.amount(i, "time", f64::MAX, None)
}

impl Batch {
    /// No tasks yet; `instances` tells whether instances will be read.
    fn new(instances: bool) -> Batch {
        let task_ids = TaskIds { remember: instances, ..TaskIds::default() };
        Batch {
            jobs: Names::new("j_", 0, UNPARSED_JOB),
            task_ids,
            tasks: Vec::new(),
            index: IdMap::default(),
            runs: Vec::new(),
            last: None,
        }
    }

    /// Indexes the tasks by `(job, task)`, to add their instances.
    fn index_tasks(&mut self) {
        self.index = IdMap::with_capacity_and_hasher(self.tasks.len(), Default::default());
        for (i, t) in self.tasks.iter().enumerate() {
            self.index.entry((t.job, t.task)).or_insert(i);
        }
        self.runs = vec![Runs::default(); self.tasks.len()];
    }

    /// The task of a `batch_task` row, its ids given.
    fn add_task(&mut self, row: &Fields) -> Result<TraceTask, TraceError> {
        let instances = row.instances(1)?;
        let status = row.text(4);
        let outcome = outcome(status).ok_or_else(|| row.bad(4, unknown_status(status)))?;
        let (start, end) = (time(row, 5)?, time(row, 6)?);
        let duration_us = if end > 0.0 { Some(row.us(6, end - start)?) } else { None };
        let cpu = row.amount(7, "plan_cpu", f64::MAX, Some(0.0))? / CPU_SCALE;
        let memory = row.amount(8, "plan_mem", MEMORY_SCALE, Some(0.0))? / MEMORY_SCALE;
        let submit_us = row.us(5, start)?;
        let (task_name, job_name) = (name(row, 0)?, name(row, 2)?);
        // Only now that the row is valid: ids are given in order of first appearance.
        let job = self.jobs.id(job_name);
        let (task, depends_on) = self.task_ids.id(job, task_name);
        let mut t = batch_task(submit_us, job, task, instances, duration_us, cpu, memory);
        t.outcome = outcome;
        t.depends_on = depends_on;
        Ok(t)
    }

    fn add_instance(&mut self, row: &Fields) -> Result<(), TraceError> {
        let (start, end) = (time(row, 5)?, time(row, 6)?);
        let (task_name, job_name) = (name(row, 1)?, name(row, 2)?);
        let key = self.jobs.get(job_name).and_then(|job| Some((job, self.task_ids.get(job, task_name)?)));
        if let Some(i) = self.task_index(key) {
            if start > 0.0 && end >= start {
                let runs = &mut self.runs[i];
                runs.total_us = runs.total_us.saturating_add(row.us(6, end - start)?);
                runs.count += 1;
            }
        }
        Ok(())
    }

    /// The index of task `key`, remembering the last one found: a task's
    /// instances tend to come together, and a lookup in a table of millions of
    /// tasks is a cache miss.
    fn task_index(&mut self, key: Option<(u64, u32)>) -> Option<usize> {
        let key = key?;
        match self.last {
            Some((last, i)) if last == key => Some(i),
            _ => {
                let i = *self.index.get(&key)?;
                self.last = Some((key, i));
                Some(i)
            }
        }
    }

    /// Replaces each task's duration by its instances' mean run time, where it has some.
    fn apply_runs(&mut self) {
        for (task, runs) in self.tasks.iter_mut().zip(&self.runs) {
            if let Some(mean) = runs.total_us.checked_div(runs.count) {
                task.duration_us = Some(mean);
            }
        }
    }
}

/// The online containers read so far.
struct Containers {
    apps: Names,
    ids: Names,
    tasks: Vec<TraceTask>,
    /// Container id → index in `tasks`.
    index: IdMap<u32, usize>,
}

impl Default for Containers {
    fn default() -> Containers {
        Containers {
            apps: Names::new("app_", APP_JOB, UNPARSED_APP),
            ids: Names::new("c_", 0, NON_DAG_TASK as u64),
            tasks: Vec::new(),
            index: IdMap::default(),
        }
    }
}

impl Containers {
    fn add(&mut self, row: &Fields) -> Result<(), TraceError> {
        let submit_us = row.us(2, time(row, 2)?)?;
        let cpu = row.amount(5, "cpu_request", f64::MAX, Some(0.0))? / CPU_SCALE;
        let memory = row.amount(7, "mem_size", MEMORY_SCALE, Some(0.0))? / MEMORY_SCALE;
        let (container, app) = (name(row, 0)?, name(row, 3)?);
        // Container ids stay below 2³² (2³¹ + the count of unparsed names).
        let id = u32::try_from(self.ids.id(container)).unwrap_or(u32::MAX);
        if let Some(&i) = self.index.get(&id) {
            let task = &mut self.tasks[i];
            task.submit_us = task.submit_us.min(submit_us);
            return Ok(());
        }
        self.index.insert(id, self.tasks.len());
        self.tasks.push(TraceTask {
            submit_us,
            job: self.apps.id(app),
            task: id,
            instances: 1,
            duration_us: None,
            cpu,
            memory,
            gpu: GpuRequest::NONE,
            priority: ONLINE_PRIORITY,
            class: ONLINE_CLASS,
            outcome: Outcome::Running,
            depends_on: Vec::new(),
        });
        Ok(())
    }
}

/// The machines read so far.
struct Machines {
    ids: Names,
    list: Vec<TraceMachine>,
    /// Machine id → index in `list`.
    index: IdMap<u64, usize>,
}

impl Default for Machines {
    fn default() -> Machines {
        Machines { ids: Names::new("m_", 0, UNPARSED_MACHINE), list: Vec::new(), index: IdMap::default() }
    }
}

impl Machines {
    fn add(&mut self, row: &Fields) -> Result<(), TraceError> {
        let added_us = row.us(1, time(row, 1)?)?;
        let cpu = row.amount(4, "cpu_num", f64::MAX, None)?;
        let memory = row.amount(5, "mem_size", MEMORY_SCALE, None)? / MEMORY_SCALE;
        let id = self.ids.id(name(row, 0)?);
        if let Some(&i) = self.index.get(&id) {
            let machine = &mut self.list[i];
            machine.added_us = machine.added_us.min(added_us);
            return Ok(());
        }
        self.index.insert(id, self.list.len());
        self.list.push(TraceMachine { id, cpu, memory, gpus: 0, gpu_model: String::new(), added_us, removed_us: None });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::trace::alibaba::pod_priority;
    use crate::trace::alibaba::tests::{assert_bad, write};
    use crate::trace::alibaba::{BATCH_CLASS, BATCH_PRIORITY};
    use crate::trace::test_files::fixture;
    use crate::trace::{Scale, TaskUnits};

    fn tasks_only(path: &Path) -> TraceInputs {
        TraceInputs { tasks: path.to_path_buf(), ..TraceInputs::default() }
    }

    fn task(trace: &TaskTrace, job: u64, task: u32) -> &TraceTask {
        trace.tasks.iter().find(|t| (t.job, t.task) == (job, task)).unwrap_or_else(|| panic!("no task {job}/{task}: {:?}", trace.tasks))
    }

    const TASKS: &str = "M1,10,j_7,1,Terminated,100,160,100,0.5\n\
                         M2_1,4,j_7,1,Terminated,160,200,50,1.5\n\
                         R5_3_4,1,j_7,1,Failed,300,0,200,\n\
                         task_Nzg3ODAwNDgzMTAwNTc2NTQ2Mw==,3,j_7,12,Running,0,50,,100\n\
                         MergeTask,2,j_7,3,Cancelled,10,20,100,1\n\
                         task_Nzg3ODAwNDgzMTAwNTc2NTQ2Mw==,1,j_8,12,Waiting,5,0,100,1\n\
                         M1,1,job-x,1,Interrupted,1,2,100,1\n";

    #[test]
    fn task_names_give_the_dag_and_other_names_ids_of_their_own() {
        let dir = tempfile::tempdir().unwrap();
        let trace = read_v2018(&tasks_only(&write(dir.path(), "batch_task.csv", TASKS)), false).unwrap();
        assert_eq!((trace.rows, trace.tasks.len(), trace.jobs(), trace.instances()), (7, 7, 3, 22));
        assert_eq!(trace.units, TaskUnits { cpu: Scale::Absolute, memory: Scale::Normalized });
        let m1 = task(&trace, 7, 1);
        assert_eq!((m1.submit_us, m1.duration_us, m1.cpu, m1.memory, m1.instances), (100_000_000, Some(60_000_000), 1.0, 0.005, 10));
        assert_eq!((m1.outcome, m1.class, m1.priority, &m1.depends_on[..]), (Outcome::Finished, BATCH_CLASS, BATCH_PRIORITY, &[][..]));
        assert_eq!(task(&trace, 7, 2).depends_on, [1]);
        let r5 = task(&trace, 7, 5);
        assert_eq!((&r5.depends_on[..], r5.duration_us, r5.memory, r5.outcome), (&[3, 4][..], None, 0.0, Outcome::Failed));
        // Names without a DAG: ids from 2³¹ by first appearance within each job.
        let random = task(&trace, 7, NON_DAG_TASK);
        assert_eq!((random.submit_us, random.duration_us, random.cpu, random.memory), (0, Some(50_000_000), 0.0, 1.0));
        assert_eq!((task(&trace, 7, NON_DAG_TASK + 1).outcome, task(&trace, 8, NON_DAG_TASK).outcome), (Outcome::Killed, Outcome::Running));
        // A job name that is not `j_N` gets an id of the unparsed range.
        assert_eq!(task(&trace, UNPARSED_JOB, 1).outcome, Outcome::Killed);
    }

    /// The fixture: the four tables without headers, as published, `batch_task` gzipped.
    #[test]
    fn the_fixture_tables_give_dags_mean_instance_runs_containers_and_machines() {
        let inputs = TraceInputs {
            tasks: fixture("alibaba-v2018/batch_task.csv.gz"),
            instances: Some(fixture("alibaba-v2018/batch_instance.csv")),
            containers: Some(fixture("alibaba-v2018/container_meta.csv")),
            machines: Some(fixture("alibaba-v2018/machine_meta.csv")),
            ..TraceInputs::default()
        };
        let trace = crate::trace::TaskFormat::Alibaba2018.read(&inputs, false).unwrap();
        assert_eq!((trace.rows, trace.tasks.len(), trace.jobs(), trace.bad_rows.count), (4 + 4 + 3 + 4, 6, 4, 0));
        assert_eq!(trace.units, TaskUnits { cpu: Scale::Absolute, memory: Scale::Normalized });
        // M1's three instances ran 27, 45 and 6 s (the failed one counts): 26 s each on average.
        let m1 = task(&trace, 1, 1);
        assert_eq!(
            (m1.submit_us, m1.instances, m1.duration_us, m1.cpu, m1.memory),
            (157_213_000_000, 10, Some(26_000_000), 1.0, 0.39 / 100.0)
        );
        assert_eq!((m1.outcome, &m1.depends_on[..]), (Outcome::Finished, &[][..]));
        let r2 = task(&trace, 1, 2);
        assert_eq!((r2.duration_us, &r2.depends_on[..]), (Some(47_000_000), &[1][..]), "no instances: its own run");
        let m5 = task(&trace, 2, 5);
        assert_eq!((m5.duration_us, m5.cpu, m5.memory, m5.outcome, &m5.depends_on[..]), (None, 2.0, 0.0, Outcome::Failed, &[3, 4][..]));
        let other = task(&trace, 3, NON_DAG_TASK);
        assert_eq!((other.instances, other.duration_us, other.cpu, other.outcome), (371, None, 0.5, Outcome::Running));
        // Containers: requests of their first row, submitted at their earliest time stamp, online.
        let c1 = task(&trace, APP_JOB + 5052, 1);
        assert_eq!((c1.submit_us, c1.duration_us, c1.cpu, c1.memory, c1.class), (0, None, 4.0, 1.56 / 100.0, ONLINE_CLASS));
        let c2 = task(&trace, APP_JOB + 5052, 2);
        assert_eq!((c2.submit_us, c2.cpu, c2.memory, c2.priority), (3_000_000_000, 8.0, 3.13 / 100.0, ONLINE_PRIORITY));
        let machines: Vec<_> = trace.machines.iter().map(|m| (m.id, m.cpu, m.memory, m.added_us, m.removed_us)).collect();
        assert_eq!(machines, [(1, 96.0, 1.0, 0, None), (2, 96.0, 1.0, 0, None), (3, 64.0, 0.5, 43_200_000_000, None)]);
    }

    #[test]
    fn dag_names_are_one_letter_and_plain_numbers() {
        assert_eq!(dag("M5_3_4"), Some((5, "3_4")));
        assert_eq!(dag("R2_1"), Some((2, "1")));
        assert_eq!(dag("J12"), Some((12, "")));
        for other in ["MergeTask", "task_Nzg3", "M1_", "M1_x", "MM1", "M", "1_2", "M-1", "M+1", "M2147483648", ""] {
            assert_eq!(dag(other), None, "{other}");
        }
    }

    #[test]
    fn instances_give_each_task_its_mean_run_time() {
        let dir = tempfile::tempdir().unwrap();
        let tasks = write(dir.path(), "batch_task.csv", TASKS);
        let header = BATCH_INSTANCE_COLUMNS.join(",");
        let instances = write(
            dir.path(),
            "batch_instance.csv",
            &format!(
                "{header}\n\
                 ins_1,M1,j_7,1,Terminated,100,110,m_1,1,1,50,60,0.1,0.2\n\
                 ins_2,M1,j_7,1,Failed,100,121,m_2,1,1,,,,\n\
                 ins_3,M1,j_7,1,Terminated,0,30,m_3,1,1,,,,\n\
                 ins_4,M1,j_7,1,Running,120,0,m_3,1,1,,,,\n\
                 ins_5,task_Nzg3ODAwNDgzMTAwNTc2NTQ2Mw==,j_8,12,Terminated,5,9,m_1,1,1,,,,\n\
                 ins_6,M9,j_7,1,Terminated,5,9,m_1,1,1,,,,\n\
                 ins_7,task_unknown,j_99,1,Terminated,5,9,m_1,1,1,,,,\n"
            ),
        );
        let inputs = TraceInputs { instances: Some(instances), ..tasks_only(&tasks) };
        let trace = read_v2018(&inputs, false).unwrap();
        assert_eq!(trace.rows, 7 + 7);
        // (10 + 21) / 2 s: instances starting before the trace or still running do not count.
        assert_eq!(task(&trace, 7, 1).duration_us, Some(15_500_000));
        assert_eq!(task(&trace, 8, NON_DAG_TASK).duration_us, Some(4_000_000));
        // Without instances a task keeps its own duration.
        assert_eq!(task(&trace, 7, 2).duration_us, Some(40_000_000));
    }

    #[test]
    fn containers_are_long_running_online_tasks_and_machines_keep_their_first_capacity() {
        let dir = tempfile::tempdir().unwrap();
        let tasks = write(dir.path(), "batch_task.csv", "M1,1,j_5052,1,Terminated,1,2,100,1\n");
        let containers = write(
            dir.path(),
            "container_meta.csv",
            "c_1,m_2556,400,app_5052,started,400,800,1.5\n\
             c_1,m_2556,300,app_5052,allocated,400,800,1.5\n\
             c_2,m_7,0,app_5052,started,50,100,\n\
             c_x,m_7,10,service-y,started,100,100,3\n",
        );
        let machines = write(
            dir.path(),
            "machine_meta.csv",
            "m_1,300,1,A,96,100,USING\nm_1,200,1,A,64,50,IDLE\nm_2,0,2,B,64,50,USING\nnode-a,5,3,C,32,25,USING\n",
        );
        let inputs = TraceInputs { containers: Some(containers), machines: Some(machines), ..tasks_only(&tasks) };
        let trace = read_v2018(&inputs, false).unwrap();
        assert_eq!((trace.rows, trace.tasks.len(), trace.jobs()), (1 + 4 + 4, 4, 3));
        let c1 = task(&trace, APP_JOB + 5052, 1);
        assert_eq!((c1.submit_us, c1.duration_us, c1.cpu, c1.memory, c1.instances), (300_000_000, None, 4.0, 0.015, 1));
        assert_eq!((c1.class, c1.outcome), (ONLINE_CLASS, Outcome::Running));
        assert!(pod_priority(c1.priority) > pod_priority(task(&trace, 5052, 1).priority));
        assert_eq!(task(&trace, APP_JOB + 5052, 2).memory, 0.0);
        assert_eq!(task(&trace, UNPARSED_APP, NON_DAG_TASK).cpu, 1.0);
        let machines: Vec<_> = trace.machines.iter().map(|m| (m.id, m.cpu, m.memory, m.added_us, m.removed_us)).collect();
        assert_eq!(machines, [(1, 96.0, 1.0, 200_000_000, None), (2, 64.0, 0.5, 0, None), (UNPARSED_MACHINE, 32.0, 0.25, 5_000_000, None)]);
    }

    #[test]
    fn bad_v2018_rows_fail_at_their_line_and_column_or_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let good = "M1,1,j_1,1,Terminated,1,2,100,1\n";
        let task_cases = [
            ("M2,1,j_1,1,Terminated,1,2,100", "plan_mem"),
            ("M2,1,j_1,1,Terminated,1,2,100,101", "plan_mem"),
            ("M2,1,j_1,1,Terminated,1,2,100,-1", "plan_mem"),
            ("M2,-2,j_1,1,Terminated,1,2,100,1", "instance_num"),
            ("M2,1,j_1,1,Terminated,x,2,100,1", "start_time"),
            ("M2,1,j_1,1,Done,1,2,100,1", "status"),
            ("M2,1,,1,Terminated,1,2,100,1", "job_name"),
            ("M2,1,j_1,1,Terminated,1,2,100,1,7", "field 10"),
        ];
        for (k, (row, column)) in task_cases.into_iter().enumerate() {
            let path = write(dir.path(), &format!("t{k}.csv"), &format!("{good}{row}\n"));
            assert_bad(|skip| read_v2018(&tasks_only(&path), skip), 2, column, 1, &format!("task case {k}"));
        }
        let tasks = write(dir.path(), "tasks.csv", good);
        let others = [
            ("instances", "ins_1,M1,j_1,1,Terminated,1,2,m_1,1,1,,,,\n", "ins_2,M1,j_1,1,Terminated,1,two,m_1,1,1,,,,", "end_time"),
            ("containers", "c_1,m_1,0,app_1,started,400,400,1.5\n", "c_2,m_1,0,app_1,started,400,400,101", "mem_size"),
            ("machines", "m_1,0,1,A,96,100,USING\n", "m_2,0,1,A,96", "mem_size"),
        ];
        for (kind, good_row, bad_row, column) in others {
            let path = Some(write(dir.path(), &format!("{kind}.csv"), &format!("{good_row}{bad_row}\n")));
            let inputs = match kind {
                "instances" => TraceInputs { instances: path, ..tasks_only(&tasks) },
                "containers" => TraceInputs { containers: path, ..tasks_only(&tasks) },
                _ => TraceInputs { machines: path, ..tasks_only(&tasks) },
            };
            let err = read_v2018(&inputs, false).unwrap_err();
            assert!(matches!(&err, TraceError::Bad { line: 2, column: c, .. } if c == column), "{kind}: {err}");
            let skipped = read_v2018(&inputs, true).unwrap();
            assert_eq!(skipped.bad_rows.count, 1, "{kind}");
        }
    }
}
