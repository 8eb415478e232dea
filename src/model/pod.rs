//! Pods (tasks) and their lifecycle.

use std::sync::Arc;

use crate::model::affinity::NodePlacement;
use crate::model::image::ImageId;
use crate::model::node::NodeId;
use crate::model::resources::Resources;
use crate::model::taint::Toleration;
use crate::time::{SimDuration, SimTime};

/// Index of a pod in the cluster's pod table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PodId(pub u32);

impl PodId {
    /// As a vector index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Where a pod is in its life. Kubernetes reports `Starting` as phase `Pending`
/// with a node assigned (`ContainerCreating`); the simulator keeps it apart
/// because image pulls are a cost users want to see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PodPhase {
    /// Waiting in the scheduling queue.
    Pending,
    /// Bound to a node: pulling its image and starting containers.
    Starting,
    /// Containers running.
    Running,
    /// Finished successfully.
    Succeeded,
    /// Deleted before finishing: a service replica scaled away, or a pod
    /// removed with its node. Its controller replaces it if still wanted.
    Terminated,
    /// Given up on: its batch job failed more often than its retry limit
    /// (Job `backoffLimit`).
    Failed,
}

impl PodPhase {
    /// The name written in `pods.csv`.
    pub fn name(self) -> &'static str {
        match self {
            PodPhase::Pending => "Pending",
            PodPhase::Starting => "Starting",
            PodPhase::Running => "Running",
            PodPhase::Succeeded => "Succeeded",
            PodPhase::Terminated => "Terminated",
            PodPhase::Failed => "Failed",
        }
    }

    /// Whether the pod is gone for good (finished or deleted).
    pub fn is_final(self) -> bool {
        matches!(self, PodPhase::Succeeded | PodPhase::Terminated | PodPhase::Failed)
    }
}

/// One pod: a batch task with requests, limits, priority, image and duration.
#[derive(Clone, Debug)]
pub struct Pod {
    /// Its index.
    pub id: PodId,
    /// Job the pod belongs to (numbered per run, in arrival order).
    pub job: u32,
    /// Index of the task within its job.
    pub task: u32,
    /// Index of the workload class (scenario `[[batch]]` entry) that made it.
    pub workload: u32,
    /// Requests: what the scheduler reserves.
    pub requests: Resources,
    /// Limits: the most the containers may use (recorded; enforced by later usage models).
    pub limits: Resources,
    /// Priority (PriorityClass value); higher is scheduled first.
    pub priority: i32,
    /// Container image.
    pub image: ImageId,
    /// Tolerations, shared by all pods of the workload class.
    pub tolerations: Arc<[Toleration]>,
    /// Node selector and node affinity, shared by all pods of the class.
    pub placement: Arc<NodePlacement>,
    /// Time from container start to completion; `None` for a service replica,
    /// which runs until it is deleted.
    pub duration: Option<SimDuration>,
    /// Time from image present to containers running.
    pub startup: SimDuration,
    /// Current phase.
    pub phase: PodPhase,
    /// When the pod was submitted (created).
    pub submitted: SimTime,
    /// When the pod last entered the scheduling queue: its submission, or its
    /// latest preemption. Pending time counts from here.
    pub queued_at: SimTime,
    /// When it was bound to a node.
    pub bound: Option<SimTime>,
    /// When its containers started.
    pub started: Option<SimTime>,
    /// When it finished.
    pub finished: Option<SimTime>,
    /// The node it is bound to.
    pub node: Option<NodeId>,
    /// Time spent waiting for its image after binding (zero when cached).
    pub image_wait: SimDuration,
    /// Whether binding it started a new image pull.
    pub pulled_image: bool,
    /// Scheduling attempts so far (drives the backoff).
    pub attempts: u32,
    /// Times the pod was preempted (evicted and re-queued, its work lost).
    pub preemptions: u32,
    /// Times its containers were restarted or the pod was replaced after a
    /// failure (a crash, an OOM kill, its node lost or repaired).
    pub restarts: u32,
    /// Thousandths of one shared GPU (0: none; whole GPUs are in `requests.gpu`).
    pub gpu_share: u16,
    /// While bound with a share: which of its node's shared GPUs holds it.
    pub gpu_device: u16,
}

impl Pod {
    /// CPU-seconds of work done since its containers last started, up to
    /// `until` (request × time run): what is lost if they stop there.
    pub fn cpu_seconds_run(&self, until: SimTime) -> f64 {
        self.started.map_or(0.0, |s| self.requests.cpu_milli as f64 / 1000.0 * until.saturating_since(s).as_secs_f64())
    }
}

/// What the pods of one workload share: everything but their identity,
/// duration and startup time.
#[derive(Clone, Debug)]
pub struct PodTemplate {
    /// Workload index (batch classes, then services).
    pub workload: u32,
    /// Requests.
    pub requests: Resources,
    /// Limits.
    pub limits: Resources,
    /// Priority.
    pub priority: i32,
    /// Image.
    pub image: ImageId,
    /// Tolerations.
    pub tolerations: Arc<[Toleration]>,
    /// Placement rules.
    pub placement: Arc<NodePlacement>,
    /// Thousandths of one shared GPU (0: none).
    pub gpu_share: u16,
}

impl PodTemplate {
    /// Pods of `workload` requesting `requests` (their limits too), priority
    /// 0, image 0, no toleration and no placement rule.
    pub fn new(workload: u32, requests: Resources) -> PodTemplate {
        PodTemplate {
            workload,
            requests,
            limits: requests,
            priority: 0,
            image: ImageId(0),
            tolerations: Arc::from(Vec::new()),
            placement: Arc::new(NodePlacement::default()),
            gpu_share: 0,
        }
    }
}

impl Pod {
    /// A new pending pod `id` of `template`, task `task` of job `job`,
    /// submitted at `now`.
    pub fn pending(
        id: PodId,
        job: u32,
        task: u32,
        template: &PodTemplate,
        duration: Option<SimDuration>,
        startup: SimDuration,
        now: SimTime,
    ) -> Pod {
        Pod {
            id,
            job,
            task,
            workload: template.workload,
            requests: template.requests,
            limits: template.limits,
            priority: template.priority,
            image: template.image,
            tolerations: template.tolerations.clone(),
            placement: template.placement.clone(),
            duration,
            startup,
            phase: PodPhase::Pending,
            submitted: now,
            queued_at: now,
            bound: None,
            started: None,
            finished: None,
            node: None,
            image_wait: SimDuration::ZERO,
            pulled_image: false,
            attempts: 0,
            preemptions: 0,
            restarts: 0,
            gpu_share: template.gpu_share,
            gpu_device: 0,
        }
    }
}

/// Builders shared by unit tests across modules.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// A pending pod requesting `cpu_milli` and `memory_bytes`, image 0.
    pub(crate) fn pod(id: u32, cpu_milli: u64, memory_bytes: u64) -> Pod {
        let template = PodTemplate::new(0, Resources { cpu_milli, memory_bytes, gpu: 0 });
        Pod::pending(PodId(id), 0, id, &template, Some(SimDuration::from_secs(1)), SimDuration::ZERO, SimTime::ZERO)
    }
}
