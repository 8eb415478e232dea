//! The Standard Workload Format (SWF) of Feitelson's Parallel Workloads Archive
//! (<https://www.cs.huji.ac.il/labs/parallel/workload/swf.html>, version 2.2):
//! logs of parallel machines and grids (NASA iPSC, KTH SP2, LANL CM-5, LCG, …).
//!
//! # Schema
//! A text file (gzipped or not). Lines starting with `;` are comments; the
//! header comments `; Key: value` describe the machine. Of those this reader
//! keeps [`SwfHeader`]: `UnixStartTime` (the epoch second of trace time 0),
//! `MaxNodes` and `MaxProcs`; a key given twice keeps its first value, and
//! only the value's first word is read (`MaxProcs: 2048 (1024 nodes)`).
//! Every other line is one job: 18 whitespace-separated numbers, −1 meaning
//! unknown:
//!
//! | # | field | unit |
//! |---|---|---|
//! | 1 | job number | id |
//! | 2 | submit time | s from the start of the log |
//! | 3 | wait time | s |
//! | 4 | run time | s (wall clock) |
//! | 5 | allocated processors | count |
//! | 6 | average CPU time | s per processor |
//! | 7 | used memory | KB per processor |
//! | 8 | requested processors | count |
//! | 9 | requested time | s |
//! | 10 | requested memory | KB per processor |
//! | 11 | status | 1 completed, 0 failed, 5 cancelled; 2, 3, 4 partial executions |
//! | 12–14 | user, group, executable | ids |
//! | 15 | queue | id (0 interactive by convention) |
//! | 16 | partition | id |
//! | 17 | preceding job | job number |
//! | 18 | think time | s after the preceding job |
//!
//! Every field must be a number (times may have decimals), ≥ 0 or exactly −1;
//! anything else is a bad row, as is a row without exactly 18 fields, a job
//! number or submit time of −1, a status outside −1…5 and a job number seen
//! before. Rows need not be sorted: the table is sorted at the end.
//!
//! # How each [`TraceTask`] field is derived (one task per job)
//! * `job` = the job number; `task` = 0.
//! * `submit_us` = submit time.
//! * `instances` = allocated processors; when that is unknown (or 0), the
//!   requested processors; when both are, 1 (a job that ran had at least one).
//!   Each instance asks for one core, so a job spans as many pods as it had
//!   processors (the unit SWF machines allocate).
//! * `cpu` = 1 core; `memory` = requested memory per processor in bytes
//!   (KB × 1024), the used memory when the request is unknown, 0 when both are
//!   (most logs record neither). The request first because a scheduler places
//!   on requests.
//! * `duration_us` = run time. A run time of 0 stays 0 (the standard: the job
//!   ran for less than half a second). An unknown run time (−1) gives `None`,
//!   as for a task still running at the end of a trace: no length can be made
//!   up for it.
//! * `outcome`: status 1 → finished, 0 → failed, 5 → killed (cancelled),
//!   −1 → unknown. Lines of status 2, 3 and 4 are partial executions of a
//!   checkpointed or swapped job: by the standard, the job also has a summary
//!   line of status 0, 1 or 5, so they are counted as rows but make no task
//!   (replaying them too would run the job twice).
//! * `class` = the queue number, clamped to 255; an unknown queue gives 0,
//!   which is also the convention for the interactive queue (the logs in
//!   `shared/traces` record queues only for LANL, where 0 is unused).
//! * `priority` = 0: SWF records none ([`TaskFormat::pod_priority`] keeps it,
//!   Borg's batch band).
//! * `depends_on` stays empty: the preceding job is another job, while
//!   `depends_on` lists tasks of the same job; and archived logs set it to −1
//!   (it is meant for models with feedback).
//!
//! # Machines
//! With `MaxNodes` in the header, `MaxNodes` identical machines with
//! `MaxProcs / MaxNodes` cores each (1 without `MaxProcs`; SMP nodes have
//! several processors). The header gives no memory: each machine gets the
//! least memory on which every job of the log fits, the largest per-processor
//! memory of any job times the cores per machine (0 when the log records no
//! memory, like its tasks). Without `MaxNodes` (LCG gives only `MaxProcs`, a
//! grid of 170 sites) the node shape is unknown and no machine is returned.
//! A `MaxNodes` above [`MAX_NODES`] is a bad header line (see there).
//!
//! # Dropped
//! Wait time (the simulated scheduler decides it), CPU time used, requested
//! time, user, group, executable, partition, preceding job and think time are
//! checked but not kept.
//!
//! [`TaskFormat::pod_priority`]: super::TaskFormat::pod_priority

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;

use super::rows::bad;
use super::tasks::{
    collect, files_of, secs_to_us, GpuRequest, Outcome, ReadSummary, TaskSink, TaskTrace, TaskUnits, TraceMachine, TraceTask,
};
use super::{open, TraceError};

/// The fields of a job line, named for error messages.
const FIELDS: [&str; 18] = [
    "job number (field 1)",
    "submit time (field 2)",
    "wait time (field 3)",
    "run time (field 4)",
    "allocated processors (field 5)",
    "average CPU time (field 6)",
    "used memory (field 7)",
    "requested processors (field 8)",
    "requested time (field 9)",
    "requested memory (field 10)",
    "status (field 11)",
    "user (field 12)",
    "group (field 13)",
    "executable (field 14)",
    "queue (field 15)",
    "partition (field 16)",
    "preceding job (field 17)",
    "think time (field 18)",
];

const JOB: usize = 0;
const SUBMIT: usize = 1;
const RUN: usize = 3;
const ALLOCATED: usize = 4;
const USED_MEMORY: usize = 6;
const REQUESTED: usize = 7;
const REQUESTED_MEMORY: usize = 9;
const STATUS: usize = 10;
const QUEUE: usize = 14;

/// Bytes per SWF kilobyte.
const KB: f64 = 1024.0;

/// The most nodes a log's `MaxNodes` may give (10⁶). The reader makes one
/// machine per node, so a corrupt or hostile header (`MaxNodes: 4000000000`)
/// would otherwise ask for hundreds of GB and abort the process. The largest
/// machines in the Parallel Workloads Archive have tens of thousands of nodes
/// (ANL Intrepid: 40,960); a million leaves room for any real cluster while
/// keeping the machines a few hundred MB at most. `MaxProcs` allocates
/// nothing (it only divides into cores per node), so it needs no bound beyond
/// fitting a `u32`.
pub const MAX_NODES: u32 = 1_000_000;

/// The header comments this reader uses; `None` when absent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SwfHeader {
    /// Epoch second at which trace time 0 falls.
    pub unix_start_time: Option<i64>,
    /// Nodes of the machine.
    pub max_nodes: Option<u32>,
    /// Processors of the machine (more than the nodes when nodes are SMPs).
    pub max_procs: Option<u32>,
}

/// Reads an SWF log (module docs): its jobs as tasks and, when the header
/// gives `MaxNodes`, its machines.
pub fn read_swf(path: &Path, skip_bad_rows: bool) -> Result<TaskTrace, TraceError> {
    read_swf_with_header(path, skip_bad_rows).map(|(trace, _)| trace)
}

/// [`read_swf`], also returning the header (for `UnixStartTime`). A directory
/// is read file by file in name order, as one log split into parts.
pub fn read_swf_with_header(path: &Path, skip_bad_rows: bool) -> Result<(TaskTrace, SwfHeader), TraceError> {
    let mut header = SwfHeader::default();
    let trace = collect(|sink| {
        let (summary, read) = stream_swf(path, skip_bad_rows, sink)?;
        header = read;
        Ok(summary)
    })?;
    Ok((trace, header))
}

/// Streams an SWF log into `sink`, a task a job line, then the machines of
/// its header; returns the header too.
pub(crate) fn stream_swf(path: &Path, skip_bad_rows: bool, sink: &mut dyn TaskSink) -> Result<(ReadSummary, SwfHeader), TraceError> {
    let mut log = Log {
        summary: ReadSummary::new(TaskUnits::default(), skip_bad_rows),
        header: SwfHeader::default(),
        seen: Seen::default(),
        memory: 0.0,
    };
    for file in files_of(path)? {
        read_file(&file, &mut log, sink)?;
    }
    if log.summary.rows == 0 {
        return Err(TraceError::Empty { path: path.to_path_buf(), message: "no job lines: expected 18 numbers per job".into() });
    }
    machines(&log.header, log.memory).into_iter().for_each(|machine| sink.machine(machine));
    Ok((log.summary, log.header))
}

/// What reading a log keeps between lines.
struct Log {
    summary: ReadSummary,
    header: SwfHeader,
    seen: Seen,
    /// The largest memory per processor of any job, in bytes.
    memory: f64,
}

fn read_file(path: &Path, log: &mut Log, sink: &mut dyn TaskSink) -> Result<(), TraceError> {
    let mut reader = BufReader::with_capacity(1 << 16, open(path)?);
    let mut buf = Vec::new();
    let mut line = 0u64;
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(|source| TraceError::io(path, source))?;
        if n == 0 {
            return Ok(());
        }
        line += 1;
        let bytes = buf.trim_ascii();
        if let Some(comment) = bytes.strip_prefix(b";") {
            // Comments are free text: only the keys read here need to be valid.
            log.summary.bad_rows.check(header_comment(path, line, &String::from_utf8_lossy(comment), &mut log.header))?;
        } else if !bytes.is_empty() {
            log.summary.rows += 1;
            let text = std::str::from_utf8(bytes).map_err(|_| bad(path, line, "row", "not valid UTF-8".into()));
            let task = text.and_then(|text| job(path, line, text)).and_then(|task| unique(path, line, task, &mut log.seen));
            if let Some(Some(task)) = log.summary.bad_rows.check(task)? {
                log.memory = log.memory.max(task.memory);
                sink.task(task);
            }
        }
    }
}

/// Reads a `Key: value` header comment into `header` if it is one this reader uses.
fn header_comment(path: &Path, line: u64, comment: &str, header: &mut SwfHeader) -> Result<(), TraceError> {
    let Some((key, value)) = comment.split_once(':') else { return Ok(()) };
    let key = key.trim();
    let word = value.split_whitespace().next().unwrap_or("");
    let at = |message: String| bad(path, line, key, message);
    match key {
        "UnixStartTime" if header.unix_start_time.is_none() => {
            header.unix_start_time = Some(word.parse().map_err(|_| at(format!("not an epoch second: `{word}`")))?);
        }
        "MaxNodes" if header.max_nodes.is_none() => {
            let nodes = positive(word).map_err(at)?;
            if nodes > MAX_NODES {
                return Err(at(format!("{nodes} nodes is more than the {MAX_NODES} this reader accepts (one machine per node)")));
            }
            header.max_nodes = Some(nodes);
        }
        "MaxProcs" if header.max_procs.is_none() => header.max_procs = Some(positive(word).map_err(at)?),
        _ => {}
    }
    Ok(())
}

fn positive(word: &str) -> Result<u32, String> {
    match word.parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("not a positive whole number: `{word}`")),
    }
}

/// The job numbers seen so far. SWF numbers jobs with a counter from 1, so a
/// bitmap holds them in a bit each (hashing them took about a fifth of the
/// reading time); numbers beyond the bitmap go to a set.
#[derive(Default)]
struct Seen {
    bits: Vec<u64>,
    beyond: BTreeSet<u64>,
}

impl Seen {
    /// Job numbers below this are kept in the bitmap (8 MiB at most).
    const BITMAP: u64 = 1 << 26;

    /// Whether `job` is new, noting it.
    fn insert(&mut self, job: u64) -> bool {
        if job >= Self::BITMAP {
            return self.beyond.insert(job);
        }
        let (word, bit) = ((job / 64) as usize, 1u64 << (job % 64));
        if word >= self.bits.len() {
            self.bits.resize(word + 1, 0);
        }
        let new = self.bits[word] & bit == 0;
        self.bits[word] |= bit;
        new
    }
}

/// Fails a job number seen before; passes `None` (a partial execution) through.
fn unique(path: &Path, line: u64, task: Option<TraceTask>, seen: &mut Seen) -> Result<Option<TraceTask>, TraceError> {
    if let Some(t) = &task {
        if !seen.insert(t.job) {
            return Err(bad(path, line, FIELDS[JOB], format!("job number {} appears twice", t.job)));
        }
    }
    Ok(task)
}

/// One job line as a task, `None` for a partial execution (status 2, 3, 4).
fn job(path: &Path, line: u64, text: &str) -> Result<Option<TraceTask>, TraceError> {
    let values = values(text).map_err(|(field, message)| bad(path, line, field, message))?;
    let at = |i: usize| move |message: String| bad(path, line, FIELDS[i], message);
    let job = values[JOB].ok_or_else(|| at(JOB)("unknown (-1): every job needs its number".into()))?;
    let submit = values[SUBMIT].ok_or_else(|| at(SUBMIT)("unknown (-1): every job needs its submit time".into()))?;
    let outcome = match values[STATUS].map(|s| whole(s, u8::MAX as f64)).transpose().map_err(at(STATUS))? {
        None => Outcome::Unknown,
        Some(1) => Outcome::Finished,
        Some(0) => Outcome::Failed,
        Some(5) => Outcome::Killed,
        Some(2..=4) => return Ok(None),
        Some(s) => return Err(at(STATUS)(format!("unknown status {s} (expected -1, 0, 1, 5, or 2–4 for partial executions)"))),
    };
    let processors = |i: usize| values[i].map(|p| whole(p, u32::MAX as f64)).transpose().map_err(at(i));
    let instances = [processors(ALLOCATED)?, processors(REQUESTED)?].into_iter().flatten().find(|&p| p > 0).unwrap_or(1);
    let memory_kb = values[REQUESTED_MEMORY].or(values[USED_MEMORY]).unwrap_or(0.0);
    Ok(Some(TraceTask {
        submit_us: secs_to_us(submit).map_err(at(SUBMIT))?,
        job: whole(job, u64::MAX as f64).map_err(at(JOB))?,
        task: 0,
        instances,
        duration_us: values[RUN].map(secs_to_us).transpose().map_err(at(RUN))?,
        cpu: 1.0,
        memory: memory_kb * KB,
        gpu: GpuRequest::NONE,
        priority: 0,
        class: values[QUEUE].map(|q| whole::<u64>(q, u64::MAX as f64)).transpose().map_err(at(QUEUE))?.map_or(0, |q| q.min(255) as u8),
        outcome,
        depends_on: Vec::new(),
    }))
}

/// The 18 fields of a job line, `None` for −1, or the field that is wrong and why.
fn values(text: &str) -> Result<[Option<f64>; 18], (&'static str, String)> {
    let mut values = [None; 18];
    let mut got = 0;
    for word in text.split_ascii_whitespace() {
        let Some(slot) = values.get_mut(got) else {
            return Err(("field 19", format!("extra field `{word}`: the line has more than 18 fields")));
        };
        *slot = value(word).map_err(|message| (FIELDS[got], message))?;
        got += 1;
    }
    if got < FIELDS.len() {
        return Err((FIELDS[got], format!("missing: the line has {got} field(s), SWF has 18")));
    }
    Ok(values)
}

/// A field's value: `None` for −1 (unknown), else a finite number ≥ 0.
fn value(word: &str) -> Result<Option<f64>, String> {
    // Most fields are whole numbers or -1, which parse several times faster as integers.
    if word == "-1" {
        return Ok(None);
    }
    if let Ok(n) = word.parse::<u32>() {
        return Ok(Some(n as f64));
    }
    match word.parse::<f64>() {
        Ok(-1.0) => Ok(None),
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(Some(x)),
        Ok(x) if x.is_finite() => Err(format!("negative value {word} (only -1, unknown, may be negative)")),
        _ => Err(format!("not a number: `{word}`")),
    }
}

/// A whole number up to `max`.
fn whole<T: TryFrom<u64>>(x: f64, max: f64) -> Result<T, String> {
    if x.fract() != 0.0 || x > max {
        return Err(format!("{x} is not a whole number up to {max}"));
    }
    T::try_from(x as u64).map_err(|_| format!("{x} is out of range"))
}

/// The machines the header describes (module docs), none without `MaxNodes`;
/// `memory` is the largest memory per processor of any job.
fn machines(header: &SwfHeader, memory: f64) -> Vec<TraceMachine> {
    let Some(nodes) = header.max_nodes else { return Vec::new() };
    let cores = header.max_procs.map_or(1.0, |procs| procs as f64 / nodes as f64);
    let memory = cores * memory;
    (0..nodes as u64)
        .map(|id| TraceMachine { id, cpu: cores, memory, gpus: 0, gpu_model: String::new(), added_us: 0, removed_us: None })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::test_files::{fixture, write};
    use crate::trace::testing::needed;

    const HEADER: &str = "; Version: 2.2\n; UnixStartTime: 843480031\n; MaxNodes: 4\n; MaxProcs: 8 (SMP)\n;\n";

    #[test]
    fn jobs_become_tasks_of_one_core_per_processor_with_the_header_machines() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "{HEADER}\
             2 30.5 5 0 -1 -1 -1 2 60 -1 5 1 1 -1 300 -1 -1 -1\n\
             \x20 1   0  0  100  4  90  2048  8  120  1024  1  1  1  3  2  1  -1  -1\n\
             ; a comment between jobs\n\
             3 40 -1 -1 -1 -1 512 -1 -1 -1 0 2 2 -1 -1 -1 -1 -1\n\
             4 41 1 10 2 -1 -1 2 -1 -1 2 2 2 -1 -1 -1 -1 -1\n\
             \n"
        );
        let (trace, header) = read_swf_with_header(&write(dir.path(), "log.swf", &text), false).unwrap();
        assert_eq!(header, SwfHeader { unix_start_time: Some(843480031), max_nodes: Some(4), max_procs: Some(8) });
        assert_eq!(trace.rows, 4, "the partial execution (status 2) is a row but no task");
        let [first, second, third] = &trace.tasks[..] else { panic!("{:?}", trace.tasks) };
        // Sorted by submission: job 1 first although it is the second line.
        assert_eq!((first.job, first.submit_us, first.instances, first.duration_us), (1, 0, 4, Some(100_000_000)));
        assert_eq!((first.cpu, first.memory, first.class, first.outcome), (1.0, 1024.0 * 1024.0, 2, Outcome::Finished));
        // Allocation unknown: the request; run time 0 stays 0; queue clamped to 255; cancelled.
        assert_eq!((second.job, second.submit_us, second.instances, second.duration_us), (2, 30_500_000, 2, Some(0)));
        assert_eq!((second.memory, second.class, second.outcome), (0.0, 255, Outcome::Killed));
        // Neither allocation nor request: one processor; unknown run time; used memory stands in for the request.
        assert_eq!((third.instances, third.duration_us, third.memory, third.outcome), (1, None, 512.0 * 1024.0, Outcome::Failed));
        assert!(trace.tasks.iter().all(|t| t.priority == 0 && t.depends_on.is_empty() && t.gpu == GpuRequest::NONE));
        assert_eq!(trace.machines.len(), 4);
        assert_eq!((trace.machines[3].id, trace.machines[3].cpu, trace.machines[3].memory), (3, 2.0, 2.0 * 1024.0 * 1024.0));
    }

    #[test]
    fn the_gzipped_fixture_log_gives_jobs_and_the_header_machines() {
        let (trace, header) = read_swf_with_header(&fixture("swf/kth-sample.swf.gz"), false).unwrap();
        assert_eq!(header, SwfHeader { unix_start_time: Some(843480031), max_nodes: Some(4), max_procs: Some(8) });
        assert_eq!((trace.rows, trace.tasks.len(), trace.bad_rows.count), (4, 3, 0), "job 4 is a partial execution");
        let summary: Vec<_> =
            trace.tasks.iter().map(|t| (t.job, t.submit_us, t.instances, t.duration_us, t.memory, t.class, t.outcome)).collect();
        assert_eq!(
            summary,
            [
                (1, 0, 4, Some(3_477_000_000), 0.0, 0, Outcome::Finished),
                (2, 172_000_000, 2, Some(2_488_000_000), 4096.0 * 1024.0, 3, Outcome::Failed),
                (3, 626_000_000, 5, None, 0.0, 0, Outcome::Killed),
            ]
        );
        let machines: Vec<_> = trace.machines.iter().map(|m| (m.id, m.cpu, m.memory)).collect();
        assert_eq!(machines, (0..4).map(|id| (id, 2.0, 2.0 * 4096.0 * 1024.0)).collect::<Vec<_>>());
    }

    #[test]
    fn bad_lines_fail_with_the_line_and_field_or_are_counted_when_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let good = "9 50 0 10 1 -1 -1 1 -1 -1 1 1 1 -1 -1 -1 -1 -1";
        let cases = [
            ("1 0 0 10 1 -1 -1 1 -1 -1 1 1 1 -1 -1 -1 -1", "think time (field 18)"),
            ("1 0 0 10 1 -1 -1 1 -1 -1 1 1 1 -1 -1 -1 -1 -1 7", "field 19"),
            ("1 0 0 ten 1 -1 -1 1 -1 -1 1 1 1 -1 -1 -1 -1 -1", "run time (field 4)"),
            ("1 0 0 10 -2 -1 -1 1 -1 -1 1 1 1 -1 -1 -1 -1 -1", "allocated processors (field 5)"),
            ("1 0 0 10 1.5 -1 -1 1 -1 -1 1 1 1 -1 -1 -1 -1 -1", "allocated processors (field 5)"),
            ("1 -1 0 10 1 -1 -1 1 -1 -1 1 1 1 -1 -1 -1 -1 -1", "submit time (field 2)"),
            ("1 0 0 10 1 -1 -1 1 -1 -1 7 1 1 -1 -1 -1 -1 -1", "status (field 11)"),
            ("1 0 0 10 1 -1 -1 1 -1 -1 1 1 1 -1 -1 -1 -1 -inf", "think time (field 18)"),
            ("9 0 0 10 1 -1 -1 1 -1 -1 1 1 1 -1 -1 -1 -1 -1", "job number (field 1)"),
        ];
        for (k, (row, column)) in cases.into_iter().enumerate() {
            // The bad line comes after the good one, so that the duplicate job number is the bad line.
            let path = write(dir.path(), &format!("bad{k}.swf"), &format!("; MaxNodes: 2\n{good}\n{row}\n"));
            let err = read_swf(&path, false).unwrap_err();
            assert!(matches!(&err, TraceError::Bad { line: 3, column: c, .. } if c == column), "case {k}: {err}");
            let skipped = read_swf(&path, true).unwrap();
            assert_eq!((skipped.tasks.len(), skipped.bad_rows.count, skipped.rows), (1, 1, 2), "case {k}");
            assert!(skipped.bad_rows.examples[0].contains(column), "case {k}: {:?}", skipped.bad_rows.examples);
        }
    }

    #[test]
    fn job_numbers_are_remembered_in_the_bitmap_and_beyond() {
        let mut seen = Seen::default();
        for job in [1, 64, 0, Seen::BITMAP - 1, Seen::BITMAP, u64::MAX] {
            assert!(seen.insert(job), "{job} is new");
            assert!(!seen.insert(job), "{job} was seen");
        }
        assert!(seen.insert(2));
    }

    #[test]
    fn bad_header_values_and_empty_logs_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let good = "1 0 0 10 1 -1 -1 1 -1 -1 1 1 1 -1 -1 -1 -1 -1\n";
        let path = write(dir.path(), "h.swf", &format!("; MaxNodes: many\n{good}"));
        let err = read_swf(&path, false).unwrap_err();
        assert!(matches!(&err, TraceError::Bad { line: 1, column, .. } if column == "MaxNodes"), "{err}");
        let skipped = read_swf(&path, true).unwrap();
        assert_eq!((skipped.tasks.len(), skipped.machines.len(), skipped.bad_rows.count), (1, 0, 1));
        // A header asking for more machines than the bound is refused before any is made.
        let huge = write(dir.path(), "huge.swf", &format!("; MaxProcs: 4000000000\n; MaxNodes: {}\n{good}", MAX_NODES + 1));
        let err = read_swf(&huge, false).unwrap_err();
        assert!(matches!(&err, TraceError::Bad { line: 2, column, .. } if column == "MaxNodes"), "{err}");
        assert!(err.to_string().contains("1000001 nodes is more than the 1000000 this reader accepts"), "{err}");
        let empty = write(dir.path(), "e.swf", "; Version: 2.2\n\n");
        assert!(matches!(read_swf(&empty, false), Err(TraceError::Empty { .. })));
    }

    #[test]
    fn the_archive_logs_have_their_published_job_counts() {
        let logs = [
            ("NASA-iPSC-1993-3.1-cln.swf.gz", 18_239, Some(128)),
            ("KTH-SP2-1996-2.1-cln.swf.gz", 28_476, Some(100)),
            ("LANL-CM5-1994-4.1-cln.swf.gz", 122_060, Some(1024)),
            ("LCG.swf.gz", 188_041, None),
        ];
        let Some(dir) = needed("swf") else { return };
        for (name, jobs, nodes) in logs {
            let (trace, header) = read_swf_with_header(&dir.join(name), false).unwrap();
            assert_eq!((trace.tasks.len(), trace.jobs(), trace.rows, trace.bad_rows.count), (jobs, jobs, jobs as u64, 0), "{name}");
            assert_eq!(header.max_nodes, nodes, "{name}");
            assert_eq!(trace.machines.len(), nodes.unwrap_or(0) as usize, "{name}");
            assert!(trace.machines.iter().all(|m| m.cpu == 1.0), "{name}: one processor per node");
        }
        let (kth, header) = read_swf_with_header(&dir.join("KTH-SP2-1996-2.1-cln.swf.gz"), false).unwrap();
        assert_eq!(header.unix_start_time, Some(843480031));
        // The first line: job 15, submitted at 599850 s, 4 processors for 3477 s, completed.
        let first = &kth.tasks[0];
        assert_eq!((first.job, first.submit_us, first.instances, first.duration_us), (15, 599_850_000_000, 4, Some(3_477_000_000)));
        let statuses = |o: Outcome| kth.tasks.iter().filter(|t| t.outcome == o).count();
        assert_eq!((statuses(Outcome::Finished), statuses(Outcome::Failed)), (20_530, 7_946));
    }
}
