//! A batch trace made ready to replay: the part of a [`TaskTrace`] inside the
//! scenario's window, in simulated time and in requests a pod can carry.
//!
//! What a scenario's `[[trace]]` entry asks for, applied once at load:
//! 1. **Window.** Tasks submitted in `[start, start + duration)` of trace time
//!    are kept; simulated time 0 is `start`.
//! 2. **Speed-up.** Submission times are divided by `speedup`; run times are
//!    not, so a speed-up of 2 offers twice the load (the usual way to stress a
//!    scheduler with a trace). Durations stay the trace's.
//! 3. **Units.** Normalised CPU and memory (Google, Alibaba's memory) are
//!    multiplied by the size of the trace's largest machine (`machine_cpu`,
//!    `machine_memory`), which the traces do not publish.
//! 4. **Tasks that never ran** (killed or failed before any SCHEDULE) are
//!    dropped: the trace's system never gave them anything. Tasks still
//!    running at the end of the trace run until the end of the simulation.
//!
//! Sub-sampling (`sample`: the fraction of jobs kept) is decided per run, from
//! the run's seed and the job id ([`keeps_job`]), so that replications see
//! different samples and every policy of one replication sees the same one.
//!
//! A scenario reads its trace through a [`ReplaySink`], which keeps only the
//! window's tasks and the machines present when it opens: one hour of a
//! trace costs the same memory whether the file holds a day or a month. The
//! result is that of [`Replay::new`] on the whole trace read into memory.

use crate::model::resources::Resources;
use crate::time::{SimDuration, SimTime};

use super::tasks::{Absolute, BadRows, GpuRequest, Outcome, ReadSummary, Scale, Submissions, TaskSink, TaskTrace, TraceMachine, TraceTask};

/// The window, speed-up and units of a replay.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReplayWindow {
    /// Trace time where the replay starts (µs).
    pub start_us: u64,
    /// Length of the window in trace time (µs); `None` runs to the end of the trace.
    pub length_us: Option<u64>,
    /// Submission times are divided by this (> 0).
    pub speedup: f64,
    /// Size of a normalised 1.0 of CPU and memory.
    pub machine: Absolute,
}

/// One task of a replay: `instances` pods submitted together at `at`.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayTask {
    /// Submission in simulated time.
    pub at: SimTime,
    /// The job's id in the trace.
    pub job: u64,
    /// The task's id in its job.
    pub task: u32,
    /// Pods.
    pub instances: u32,
    /// Run time of each pod; `None` runs until the end of the simulation.
    pub duration: Option<SimDuration>,
    /// Requests of each pod. `gpu` counts whole GPUs; a GPU share is in `gpu_share`.
    pub requests: Resources,
    /// Thousandths of one shared GPU (0: none).
    pub gpu_share: u16,
    /// The trace's priority (the format maps it to a pod priority).
    pub trace_priority: i32,
}

/// What the window and the filters kept of a trace. Tasks outside the window
/// are not counted: a streaming read does not always know them (Google's
/// tasks that start after the window are dropped unseen).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplayCounts {
    /// Tasks of the window that never ran in the trace.
    pub never_ran: usize,
    /// Tasks kept.
    pub kept: usize,
    /// Distinct jobs of the kept tasks.
    pub jobs: usize,
    /// Pods the kept tasks stand for.
    pub pods: u64,
}

/// A trace ready to replay.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Replay {
    /// Tasks in submission order.
    pub tasks: Vec<ReplayTask>,
    /// Machines present when the window opens, in absolute units.
    pub machines: Vec<MachineShape>,
    /// What was kept.
    pub counts: ReplayCounts,
    /// Rows skipped as malformed while reading, with the first few errors.
    pub bad_rows: BadRows,
}

/// A kind of machine and how many of them are present when the replay starts.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct MachineShape {
    /// Millicores.
    pub cpu_milli: u64,
    /// Bytes.
    pub memory_bytes: u64,
    /// GPUs.
    pub gpus: u32,
    /// GPU model, empty if none.
    pub gpu_model: String,
    /// Machines of this shape.
    pub count: u32,
}

/// Why a trace cannot be replayed as asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// Nothing falls in the window.
    #[error("no task of the trace ({rows} data rows read) is submitted in the window; check `start` and `duration`")]
    EmptyWindow {
        /// Data rows of the trace.
        rows: u64,
    },
    /// A time is beyond the simulator's clock.
    #[error("job {job} task {task}: {what} is beyond the simulator's clock")]
    Clock {
        /// Job id.
        job: u64,
        /// Task id.
        task: u32,
        /// Which time.
        what: &'static str,
    },
}

impl ReplayWindow {
    /// The submissions of the window in trace time.
    pub fn submissions(&self) -> Submissions {
        Submissions { from_us: self.start_us, until_us: self.length_us.map(|l| self.start_us.saturating_add(l)) }
    }

    /// Whether `machine` is present when the window opens.
    fn present(&self, machine: &TraceMachine) -> bool {
        machine.added_us <= self.start_us && machine.removed_us.is_none_or(|r| r > self.start_us)
    }
}

impl Replay {
    /// Cuts and converts `trace` (sorted, see [`TaskTrace::sort`]) for a replay.
    pub fn new(trace: &TaskTrace, window: &ReplayWindow) -> Result<Replay, ReplayError> {
        let submissions = window.submissions();
        let mut counts = ReplayCounts::default();
        let mut tasks = Vec::new();
        for t in trace.tasks.iter().filter(|t| submissions.contains(t.submit_us)) {
            if t.duration_us == Some(0) && !matches!(t.outcome, Outcome::Finished) {
                counts.never_ran += 1;
                continue;
            }
            let clock = |what| ReplayError::Clock { job: t.job, task: t.task, what };
            let at = SimTime::ZERO + compress(t.submit_us - window.start_us, window.speedup).ok_or(clock("the submission"))?;
            let duration = t.duration_us.map(SimDuration::from_micros);
            let (gpu, gpu_share) = gpu_of(t.gpu);
            let requests = Resources {
                cpu_milli: cpu_milli(trace.units.cpu, t.cpu, window.machine),
                memory_bytes: memory_bytes(trace.units.memory, t.memory, window.machine),
                gpu,
            };
            counts.kept += 1;
            counts.pods += t.instances as u64;
            tasks.push(ReplayTask {
                at,
                job: t.job,
                task: t.task,
                instances: t.instances,
                duration,
                requests,
                gpu_share,
                trace_priority: t.priority,
            });
        }
        if tasks.is_empty() {
            return Err(ReplayError::EmptyWindow { rows: trace.rows });
        }
        let mut jobs: Vec<u64> = tasks.iter().map(|t| t.job).collect();
        jobs.sort_unstable();
        jobs.dedup();
        counts.jobs = jobs.len();
        let machines = machine_shapes(&trace.machines, trace, window);
        Ok(Replay { tasks, machines, counts, bad_rows: trace.bad_rows.clone() })
    }
}

/// A [`TaskSink`] that keeps what a replay of its window needs: the tasks
/// submitted in the window and the machines present when it opens.
/// [`finish`](Self::finish) makes the replay, the same as [`Replay::new`] on
/// the whole trace.
#[derive(Debug)]
pub struct ReplaySink {
    window: ReplayWindow,
    kept: TaskTrace,
}

impl ReplaySink {
    /// A sink for a replay of `window`.
    pub fn new(window: ReplayWindow) -> ReplaySink {
        ReplaySink { window, kept: TaskTrace::default() }
    }

    /// The replay of what was kept, `read` being what the read saw besides.
    pub fn finish(self, read: ReadSummary) -> Result<Replay, ReplayError> {
        let ReplaySink { window, mut kept } = self;
        (kept.units, kept.rows, kept.bad_rows) = (read.units, read.rows, read.bad_rows);
        // Sorted as a whole read would be: readers deliver in their own order.
        kept.sort();
        Replay::new(&kept, &window)
    }
}

impl TaskSink for ReplaySink {
    fn task(&mut self, task: TraceTask) {
        if self.window.submissions().contains(task.submit_us) {
            self.kept.tasks.push(task);
        }
    }

    fn machine(&mut self, machine: TraceMachine) {
        if self.window.present(&machine) {
            self.kept.machines.push(machine);
        }
    }

    fn wanted(&self) -> Submissions {
        self.window.submissions()
    }
}

/// `us` of trace time divided by `speedup`, exactly when there is none.
fn compress(us: u64, speedup: f64) -> Option<SimDuration> {
    if speedup == 1.0 {
        return Some(SimDuration::from_micros(us));
    }
    let scaled = (us as f64 / speedup).round();
    (scaled < u64::MAX as f64).then(|| SimDuration::from_micros(scaled as u64))
}

/// Whole GPUs and the share of one shared GPU: a request for one GPU with less
/// than 1000 thousandths is a share; anything else takes whole GPUs (a share of
/// several GPUs at once rounds up to whole ones).
fn gpu_of(gpu: GpuRequest) -> (u64, u16) {
    match gpu {
        GpuRequest { count: 0, .. } | GpuRequest { milli: 0, .. } => (0, 0),
        GpuRequest { count: 1, milli } if milli < 1000 => (0, milli as u16),
        GpuRequest { count, .. } => (count as u64, 0),
    }
}

fn cpu_milli(scale: Scale, cpu: f64, machine: Absolute) -> u64 {
    let cores = if scale == Scale::Normalized { cpu * machine.cores } else { cpu };
    (cores * 1000.0).round() as u64
}

fn memory_bytes(scale: Scale, memory: f64, machine: Absolute) -> u64 {
    (if scale == Scale::Normalized { memory * machine.bytes } else { memory }).round() as u64
}

/// The machines present when the window opens, grouped by shape (sorted, so
/// that node groups come out in a stable order).
fn machine_shapes(machines: &[TraceMachine], trace: &TaskTrace, window: &ReplayWindow) -> Vec<MachineShape> {
    let mut shapes: Vec<MachineShape> = Vec::new();
    let mut keys: Vec<(u64, u64, u32, &str)> = machines
        .iter()
        .filter(|m| window.present(m))
        .map(|m| {
            (
                cpu_milli(trace.units.cpu, m.cpu, window.machine),
                memory_bytes(trace.units.memory, m.memory, window.machine),
                m.gpus,
                m.gpu_model.as_str(),
            )
        })
        .collect();
    keys.sort_unstable();
    for (cpu_milli, memory_bytes, gpus, model) in keys {
        match shapes.last_mut() {
            Some(s) if (s.cpu_milli, s.memory_bytes, s.gpus, s.gpu_model.as_str()) == (cpu_milli, memory_bytes, gpus, model) => {
                s.count += 1
            }
            _ => shapes.push(MachineShape { cpu_milli, memory_bytes, gpus, gpu_model: model.to_string(), count: 1 }),
        }
    }
    shapes
}

/// Whether job `job` is in the sample of fraction `sample` in a run with seed
/// `seed`: a hash of both, so the choice needs no state and no order.
pub fn keeps_job(seed: u64, job: u64, sample: f64) -> bool {
    if sample >= 1.0 {
        return true;
    }
    // SplitMix64's finaliser: a well-mixed 64-bit hash of (seed, job).
    let mut z = seed ^ job.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    ((z >> 11) as f64 / (1u64 << 53) as f64) < sample
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::tasks::{TaskFormat, TaskUnits, TraceInputs, TraceTask};

    fn task(submit_s: u64, job: u64, duration_s: Option<u64>, outcome: Outcome) -> TraceTask {
        TraceTask {
            submit_us: submit_s * 1_000_000,
            job,
            task: 0,
            instances: 2,
            duration_us: duration_s.map(|d| d * 1_000_000),
            cpu: 0.25,
            memory: 0.5,
            gpu: GpuRequest::NONE,
            priority: 9,
            class: 0,
            outcome,
            depends_on: Vec::new(),
        }
    }

    fn machine(id: u64, cpu: f64, added_s: u64, removed_s: Option<u64>) -> TraceMachine {
        TraceMachine {
            id,
            cpu,
            memory: 1.0,
            gpus: 0,
            gpu_model: String::new(),
            added_us: added_s * 1_000_000,
            removed_us: removed_s.map(|r| r * 1_000_000),
        }
    }

    #[test]
    fn the_window_shifts_time_speedup_compresses_arrivals_only_and_units_become_absolute() {
        let trace = TaskTrace {
            tasks: vec![
                task(50, 1, Some(10), Outcome::Finished),
                task(100, 2, Some(10), Outcome::Finished),
                task(140, 3, Some(0), Outcome::Killed),
                task(160, 4, None, Outcome::Running),
                task(300, 5, Some(10), Outcome::Finished),
            ],
            machines: vec![
                machine(1, 1.0, 0, None),
                machine(2, 0.5, 0, None),
                machine(3, 1.0, 0, None),
                machine(4, 1.0, 0, Some(90)),
                machine(5, 1.0, 200, None),
            ],
            units: TaskUnits { cpu: Scale::Normalized, memory: Scale::Normalized },
            ..TaskTrace::default()
        };
        let window = ReplayWindow {
            start_us: 100_000_000,
            length_us: Some(100_000_000),
            speedup: 2.0,
            machine: Absolute { cores: 16.0, bytes: 64.0 },
        };
        let replay = Replay::new(&trace, &window).unwrap();
        assert_eq!(replay.counts, ReplayCounts { never_ran: 1, kept: 2, jobs: 2, pods: 4 });
        let at: Vec<_> = replay.tasks.iter().map(|t| (t.job, t.at, t.duration)).collect();
        assert_eq!(at, [(2, SimTime::ZERO, Some(SimDuration::from_secs(10))), (4, SimTime::ZERO + SimDuration::from_secs(30), None)]);
        assert_eq!(replay.tasks[0].requests, Resources { cpu_milli: 4000, memory_bytes: 32, gpu: 0 });
        // Machines present at trace time 100 s: ids 1, 2, 3 (4 left at 90 s, 5 joins at 200 s).
        let shapes: Vec<_> = replay.machines.iter().map(|m| (m.cpu_milli, m.count)).collect();
        assert_eq!(shapes, [(8000, 1), (16000, 2)]);
    }

    #[test]
    fn an_empty_window_is_an_error() {
        let trace = TaskTrace { tasks: vec![task(50, 1, Some(10), Outcome::Finished)], rows: 1, ..TaskTrace::default() };
        let window = ReplayWindow { start_us: 100_000_000, length_us: None, speedup: 1.0, machine: Absolute { cores: 1.0, bytes: 1.0 } };
        assert_eq!(Replay::new(&trace, &window), Err(ReplayError::EmptyWindow { rows: 1 }));
    }

    /// Windows over the submissions of `trace`: the whole trace, and from each
    /// distinct submission (and 0) to each later one, to a µs after it and to the end.
    fn windows(trace: &TaskTrace) -> Vec<ReplayWindow> {
        let mut times: Vec<u64> = trace.tasks.iter().map(|t| t.submit_us).chain([0]).collect();
        times.sort_unstable();
        times.dedup();
        let machine = Absolute { cores: 16.0, bytes: 64.0 * (1u64 << 30) as f64 };
        let window = |start_us, length_us| ReplayWindow { start_us, length_us, speedup: 1.0, machine };
        let mut windows = Vec::new();
        for (k, &start) in times.iter().enumerate() {
            windows.push(window(start, None));
            windows.push(window(start, Some(1)));
            windows.extend(times[k + 1..].iter().map(|&end| window(start, Some(end - start))));
        }
        windows
    }

    /// Reads `inputs` through a [`ReplaySink`] of `window`; fails unless it
    /// kept exactly the window's tasks and the machines present.
    fn windowed(format: TaskFormat, inputs: &TraceInputs, window: ReplayWindow) -> Result<Replay, ReplayError> {
        let mut sink = ReplaySink::new(window);
        let read = format.read_into(inputs, false, &mut sink).unwrap();
        let span = window.submissions();
        assert!(sink.kept.tasks.iter().all(|t| span.contains(t.submit_us)), "{} {window:?}: a task outside the window kept", format.name());
        assert!(sink.kept.machines.iter().all(|m| window.present(m)), "{} {window:?}: an absent machine kept", format.name());
        sink.finish(read)
    }

    /// On every fixture and every window over its submissions, reading through
    /// the sink gives what cutting the whole trace read into memory gives.
    #[test]
    fn a_windowed_read_equals_the_whole_read_cut_on_every_fixture() {
        for (format, inputs) in crate::trace::test_files::batch_fixtures() {
            let whole = format.read(&inputs, false).unwrap();
            let windows = windows(&whole);
            assert!(windows.len() >= 6, "{}: {} windows", format.name(), windows.len());
            for window in windows {
                let expected = Replay::new(&whole, &window);
                assert_eq!(windowed(format, &inputs, window), expected, "{} {window:?}", format.name());
            }
        }
    }

    /// The same on the public traces, for windows inside them and to their
    /// end (Google's: tasks first seen before the window have events in it).
    #[test]
    fn a_windowed_read_equals_the_whole_read_cut_on_the_public_traces() {
        use crate::trace::testing::needed_for;
        /// A window's start and length, µs.
        type Span = (u64, Option<u64>);
        let (hour, day) = (3_600_000_000, 86_400_000_000);
        let cases: [(_, _, _, &[Span]); 4] = [
            ("google-2011", TaskFormat::Google2011, "google-2011/task_events", &[(10 * hour, Some(hour)), (19 * hour, None)]),
            (
                "alibaba-2017",
                TaskFormat::Alibaba2017,
                "alibaba-v2017/batch_task.csv",
                &[(0, Some(hour)), (10 * hour, Some(hour)), (16 * hour, None)],
            ),
            (
                "gpu-2023",
                TaskFormat::AlibabaGpu2023,
                "alibaba-gpu-v2023/openb_pod_list_default.csv",
                &[(111 * day, Some(day)), (140 * day, None)],
            ),
            ("swf", TaskFormat::Swf, "swf/KTH-SP2-1996-2.1-cln.swf.gz", &[(7 * day, Some(day)), (100 * day, Some(day)), (300 * day, None)]),
        ];
        for (name, format, tasks, windows) in cases {
            let Some(tasks) = needed_for(name, tasks) else { continue };
            let jobs = (format == TaskFormat::Google2011).then(|| tasks.with_file_name("job_events"));
            let inputs = TraceInputs { tasks, jobs, ..TraceInputs::default() };
            let whole = format.read(&inputs, false).unwrap();
            let machine = Absolute { cores: 32.0, bytes: 128.0 * (1u64 << 30) as f64 };
            for &(start_us, length_us) in windows {
                let window = ReplayWindow { start_us, length_us, speedup: 2.0, machine };
                let expected = Replay::new(&whole, &window);
                assert!(expected.as_ref().is_ok_and(|r| r.counts.kept > 0), "{name} {window:?}: choose a window with tasks");
                assert_eq!(windowed(format, &inputs, window), expected, "{name} {window:?}");
            }
        }
    }

    #[test]
    fn shared_gpus_are_shares_and_everything_else_whole_gpus() {
        assert_eq!(gpu_of(GpuRequest::NONE), (0, 0));
        assert_eq!(gpu_of(GpuRequest { count: 1, milli: 250 }), (0, 250));
        assert_eq!(gpu_of(GpuRequest::whole(4)), (4, 0));
        assert_eq!(gpu_of(GpuRequest { count: 2, milli: 500 }), (2, 0));
    }

    #[test]
    fn sampling_keeps_about_the_fraction_asked_and_depends_on_the_seed() {
        let kept = |seed| (0..10_000u64).filter(|&j| keeps_job(seed, j, 0.3)).count();
        let (a, b) = (kept(1), kept(2));
        assert!((2_800..3_200).contains(&a) && (2_800..3_200).contains(&b), "{a} {b}");
        let same = (0..10_000u64).filter(|&j| keeps_job(1, j, 0.3) == keeps_job(2, j, 0.3)).count();
        assert!(same < 9_000, "samples of different seeds should differ: {same} agree");
        assert!((0..100u64).all(|j| keeps_job(7, j, 1.0)));
        assert!(!(0..100u64).any(|j| keeps_job(7, j, 0.0)));
    }
}
