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

use crate::model::resources::Resources;
use crate::time::{SimDuration, SimTime};

use super::tasks::{Absolute, BadRows, GpuRequest, Outcome, Scale, TaskTrace, TraceMachine};

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

/// What the window and the filters kept of a trace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplayCounts {
    /// Tasks in the trace.
    pub read: usize,
    /// Tasks submitted outside the window.
    pub outside_window: usize,
    /// Tasks that never ran in the trace.
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
    #[error("no task of the trace ({read} read) is submitted in the window; check `start` and `duration`")]
    EmptyWindow {
        /// Tasks in the trace.
        read: usize,
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

impl Replay {
    /// Cuts and converts `trace` for a replay.
    pub fn new(trace: &TaskTrace, window: &ReplayWindow) -> Result<Replay, ReplayError> {
        let end = window.length_us.map(|l| window.start_us.saturating_add(l));
        let mut counts = ReplayCounts { read: trace.tasks.len(), ..ReplayCounts::default() };
        let mut tasks = Vec::new();
        for t in &trace.tasks {
            if t.submit_us < window.start_us || end.is_some_and(|e| t.submit_us >= e) {
                counts.outside_window += 1;
                continue;
            }
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
            return Err(ReplayError::EmptyWindow { read: counts.read });
        }
        let mut jobs: Vec<u64> = tasks.iter().map(|t| t.job).collect();
        jobs.sort_unstable();
        jobs.dedup();
        counts.jobs = jobs.len();
        let machines = machine_shapes(&trace.machines, trace, window);
        Ok(Replay { tasks, machines, counts, bad_rows: trace.bad_rows.clone() })
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
    let present = |m: &&TraceMachine| m.added_us <= window.start_us && m.removed_us.is_none_or(|r| r > window.start_us);
    let mut shapes: Vec<MachineShape> = Vec::new();
    let mut keys: Vec<(u64, u64, u32, &str)> = machines
        .iter()
        .filter(present)
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
    use crate::trace::tasks::{TaskUnits, TraceTask};

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
        assert_eq!(replay.counts, ReplayCounts { read: 5, outside_window: 2, never_ran: 1, kept: 2, jobs: 2, pods: 4 });
        let at: Vec<_> = replay.tasks.iter().map(|t| (t.job, t.at, t.duration)).collect();
        assert_eq!(at, [(2, SimTime::ZERO, Some(SimDuration::from_secs(10))), (4, SimTime::ZERO + SimDuration::from_secs(30), None)]);
        assert_eq!(replay.tasks[0].requests, Resources { cpu_milli: 4000, memory_bytes: 32, gpu: 0 });
        // Machines present at trace time 100 s: ids 1, 2, 3 (4 left at 90 s, 5 joins at 200 s).
        let shapes: Vec<_> = replay.machines.iter().map(|m| (m.cpu_milli, m.count)).collect();
        assert_eq!(shapes, [(8000, 1), (16000, 2)]);
    }

    #[test]
    fn an_empty_window_is_an_error() {
        let trace = TaskTrace { tasks: vec![task(50, 1, Some(10), Outcome::Finished)], ..TaskTrace::default() };
        let window = ReplayWindow { start_us: 100_000_000, length_us: None, speedup: 1.0, machine: Absolute { cores: 1.0, bytes: 1.0 } };
        assert_eq!(Replay::new(&trace, &window), Err(ReplayError::EmptyWindow { read: 1 }));
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
