//! Workloads: batch job classes and how their jobs and tasks are drawn.

use std::sync::Arc;

use crate::engine::{stream_rng, SimRng, StreamId, WorkloadField};
use crate::model::affinity::NodePlacement;
use crate::model::disruption::DisruptionBudget;
use crate::model::image::ImageId;
use crate::model::resources::UnsetRequests;
use crate::model::taint::Toleration;
use crate::scenario::dist::Dist;
use crate::time::SimTime;
use crate::trace::{Replay, TaskFormat};

/// A class of batch jobs: a scenario `[[batch]]` entry, whose jobs are drawn
/// from distributions, or a `[[trace]]` entry, whose jobs are replayed.
#[derive(Clone, Debug)]
pub struct BatchWorkload {
    /// Name, unique in the scenario.
    pub name: String,
    /// Where the jobs come from.
    pub source: JobSource,
    /// Container startup time after the image is present (µs).
    pub startup: Dist,
    /// Limits as multiples of the requests: (cpu, memory).
    pub limit_factor: (f64, f64),
    /// Images; each job picks one uniformly.
    pub images: Vec<ImageId>,
    /// Pod priority (added to a trace's own, mapped by its format).
    pub priority: i32,
    /// Tolerations of every pod.
    pub tolerations: Arc<[Toleration]>,
    /// Node selector and affinity of every pod.
    pub placement: Arc<NodePlacement>,
    /// Its PodDisruptionBudget, which preemption respects where it can.
    pub disruption_budget: Option<DisruptionBudget>,
}

/// Where a batch class's jobs come from.
#[derive(Clone, Debug)]
pub enum JobSource {
    /// Drawn from distributions (`[[batch]]`); shared so that a run can hold
    /// it while it draws.
    Drawn(Arc<DrawnJobs>),
    /// Replayed from a trace (`[[trace]]`).
    Trace(TraceJobs),
}

/// A replayed trace: its tasks, submitted at their (windowed) trace times.
#[derive(Clone, Debug)]
pub struct TraceJobs {
    /// The tasks, shared by every run of a sweep.
    pub replay: Arc<Replay>,
    /// The trace's format, which maps its priorities to pod priorities.
    pub format: TaskFormat,
    /// Fraction of the jobs kept, chosen per run (see [`keeps_job`](crate::trace::keeps_job)).
    pub sample: f64,
}

/// Jobs arriving by an inter-arrival distribution, each with a number of tasks
/// (pods) of sampled duration and requests.
#[derive(Clone, Debug)]
pub struct DrawnJobs {
    /// Number of jobs to submit; `None` submits until `until` or the end of the run.
    pub jobs: Option<u64>,
    /// Time of the first arrival.
    pub start: SimTime,
    /// No arrivals after this time.
    pub until: Option<SimTime>,
    /// Time between job arrivals (µs); exponential gives a Poisson process.
    pub interarrival: Dist,
    /// Tasks per job.
    pub tasks: Dist,
    /// Task run time (µs).
    pub duration: Dist,
    /// CPU request (millicores).
    pub cpu: Dist,
    /// Memory request (bytes).
    pub memory: Dist,
    /// GPUs per task.
    pub gpu: u64,
    /// Which requests the class leaves unset (`cpu` or `memory` omitted):
    /// 0 for the fit, kube-scheduler's defaults for scoring.
    pub unset: UnsetRequests,
}

/// The random streams of one workload class, one per drawn quantity (see
/// [`WorkloadField`]), so changing one distribution never shifts the others.
pub struct WorkloadStreams {
    /// Inter-arrival times.
    pub arrivals: SimRng,
    /// Tasks per job.
    pub tasks: SimRng,
    /// Image choice.
    pub image: SimRng,
    /// Task durations.
    pub duration: SimRng,
    /// Startup times.
    pub startup: SimRng,
    /// CPU requests.
    pub cpu: SimRng,
    /// Memory requests.
    pub memory: SimRng,
}

impl WorkloadStreams {
    /// The streams of workload class `class` in replication `run` under `seed`.
    pub fn new(seed: u64, run: u64, class: u32) -> Self {
        let s = |f| stream_rng(seed, run, StreamId::workload(class, f));
        WorkloadStreams {
            arrivals: s(WorkloadField::Arrivals),
            tasks: s(WorkloadField::Tasks),
            image: s(WorkloadField::Image),
            duration: s(WorkloadField::Duration),
            startup: s(WorkloadField::Startup),
            cpu: s(WorkloadField::Cpu),
            memory: s(WorkloadField::Memory),
        }
    }
}
