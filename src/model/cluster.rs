//! The cluster state: nodes, pods, images, with incremental accounting.

use crate::model::disruption::DisruptionBudget;
use crate::model::free_index::FreeIndex;
use crate::model::image::{ImageId, ImageSpec};
use crate::model::node::{Node, NodeId};
use crate::model::pod::{Pod, PodId, PodPhase};
use crate::model::priority_usage::PriorityUsage;
use crate::model::resources::Resources;
use crate::time::SimTime;
use std::sync::OnceLock;

/// Counts of pods by phase, kept up to date on every transition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PodCounts {
    /// Submitted, not yet bound.
    pub pending: u64,
    /// Bound, pulling or starting.
    pub starting: u64,
    /// Running.
    pub running: u64,
    /// Finished.
    pub succeeded: u64,
    /// Deleted before finishing (service replicas scaled away).
    pub terminated: u64,
    /// Given up on after too many failures.
    pub failed: u64,
}

impl PodCounts {
    /// Every pod ever submitted: pods are conserved across phases.
    pub fn total(&self) -> u64 {
        self.pending + self.starting + self.running + self.succeeded + self.terminated + self.failed
    }

    fn slot(&mut self, phase: PodPhase) -> &mut u64 {
        match phase {
            PodPhase::Pending => &mut self.pending,
            PodPhase::Starting => &mut self.starting,
            PodPhase::Running => &mut self.running,
            PodPhase::Succeeded => &mut self.succeeded,
            PodPhase::Terminated => &mut self.terminated,
            PodPhase::Failed => &mut self.failed,
        }
    }
}

/// What one workload class holds in the cluster right now: the basis of
/// per-tenant shares (Mesos DRF) and of disruption budgets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkloadUsage {
    /// Requests of its bound pods (starting or running).
    pub requested: Resources,
    /// Bound pods (starting or running).
    pub bound: u32,
    /// Running pods: Kubernetes' "healthy" for a disruption budget.
    pub running: u32,
    /// Pending pods (submitted or sent back, not bound): the task group
    /// SwarmKit schedules together.
    pub pending: u32,
}

/// What preemption reads of a pod bound to a node. A node's are stored
/// together, in the order of [`Cluster::pods_on`], so that a dry run over
/// thousands of nodes reads each node's pods in one sweep instead of looking
/// up every pod in the (much larger) pod table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoundPod {
    /// The pod.
    pub id: PodId,
    /// Its priority.
    pub priority: i32,
    /// When it was bound.
    pub bound: SimTime,
    /// Its requests.
    pub requests: Resources,
    /// Its workload class.
    pub workload: u32,
}

/// The whole cluster. Totals (`requested`, `allocatable`, pod counts, nodes per
/// image) are maintained incrementally, so reading them is O(1).
#[derive(Clone, Debug, Default)]
pub struct Cluster {
    /// Nodes, indexed by [`NodeId`].
    pub nodes: Vec<Node>,
    /// Pods, indexed by [`PodId`].
    pub pods: Vec<Pod>,
    /// Images, indexed by [`ImageId`].
    pub images: Vec<ImageSpec>,
    nodes_with_image: Vec<u32>,
    allocatable: Resources,
    requested: Resources,
    counts: PodCounts,
    /// Pods bound to each node (pulling, starting or running).
    pods_on: Vec<Vec<PodId>>,
    /// Per node, the requests of its bound pods by priority (for preemption).
    priority_usage: Vec<PriorityUsage>,
    /// Per node, its bound pods as preemption reads them, parallel to `pods_on`.
    bound_on: Vec<Vec<BoundPod>>,
    /// Per node, the `version` its last change made.
    changed_at: Vec<u64>,
    /// Free CPU and memory per node, for filters that skip full nodes. Built
    /// at the first query rather than here: tests set up nodes by hand after
    /// building the cluster. Updated with `changed_at`.
    free_index: OnceLock<FreeIndex>,
    /// Per workload class, indexed by `Pod::workload`.
    usage: Vec<WorkloadUsage>,
    /// Per workload class: its PodDisruptionBudget, if any.
    budgets: Vec<Option<DisruptionBudget>>,
    /// Per workload class: the replicas its controller wants (a service's
    /// desired count), which percentage and `maxUnavailable` budgets scale by.
    scales: Vec<u32>,
    /// Bumped on every change of what is bound where, so policies can cache
    /// results computed on an unchanged cluster.
    version: u64,
}

impl Cluster {
    /// A cluster of `nodes` knowing `images`; each node's image cache must have
    /// one slot per image. Images already present at time zero are counted.
    pub fn new(nodes: Vec<Node>, images: Vec<ImageSpec>) -> Self {
        let mut nodes_with_image = vec![0u32; images.len()];
        let mut allocatable = Resources::ZERO;
        for n in &nodes {
            debug_assert_eq!(n.image_ready_at.len(), images.len());
            allocatable += n.allocatable;
            for (i, slot) in n.image_ready_at.iter().enumerate() {
                if matches!(slot, Some(t) if *t == SimTime::ZERO) {
                    nodes_with_image[i] += 1;
                }
            }
        }
        let pods_on = vec![Vec::new(); nodes.len()];
        let priority_usage = vec![PriorityUsage::default(); nodes.len()];
        let bound_on = vec![Vec::new(); nodes.len()];
        let changed_at = vec![0; nodes.len()];
        Cluster {
            nodes,
            pods: Vec::new(),
            images,
            nodes_with_image,
            allocatable,
            requested: Resources::ZERO,
            counts: PodCounts::default(),
            pods_on,
            priority_usage,
            bound_on,
            changed_at,
            free_index: OnceLock::new(),
            usage: Vec::new(),
            budgets: Vec::new(),
            scales: Vec::new(),
            version: 0,
        }
    }

    /// Sets each workload class's disruption budget (indexed by `Pod::workload`).
    pub fn set_disruption_budgets(&mut self, budgets: Vec<Option<DisruptionBudget>>) {
        self.budgets = budgets;
    }

    /// Records that `workload`'s controller now wants `replicas` pods.
    pub fn set_scale(&mut self, workload: u32, replicas: u32) {
        let w = workload as usize;
        if w >= self.scales.len() {
            self.scales.resize(w + 1, 0);
        }
        self.scales[w] = replicas;
    }

    /// What workload class `workload` holds now.
    pub fn usage(&self, workload: u32) -> WorkloadUsage {
        self.usage.get(workload as usize).copied().unwrap_or_default()
    }

    /// Whether any workload class has a disruption budget.
    pub fn has_disruption_budgets(&self) -> bool {
        self.budgets.iter().any(Option::is_some)
    }

    /// `status.disruptionsAllowed` of `workload`'s budget, `None` without one.
    pub fn disruptions_allowed(&self, workload: u32) -> Option<i64> {
        let budget = self.budgets.get(workload as usize).copied().flatten()?;
        let scale = self.scales.get(workload as usize).copied().unwrap_or(0);
        Some(budget.disruptions_allowed(self.usage(workload).running, scale))
    }

    fn usage_mut(&mut self, workload: u32) -> &mut WorkloadUsage {
        let w = workload as usize;
        if w >= self.usage.len() {
            self.usage.resize(w + 1, WorkloadUsage::default());
        }
        &mut self.usage[w]
    }

    /// Sum of allocatable resources over the nodes in service (not removed).
    pub fn allocatable(&self) -> Resources {
        self.allocatable
    }
    /// Sum of requests of all bound pods.
    pub fn requested(&self) -> Resources {
        self.requested
    }
    /// Pods by phase.
    pub fn counts(&self) -> PodCounts {
        self.counts
    }
    /// Number of nodes that hold `image` (pull complete).
    pub fn nodes_with_image(&self, image: ImageId) -> u32 {
        self.nodes_with_image[image.0 as usize]
    }
    /// The pods bound to `node` (pulling, starting or running).
    pub fn pods_on(&self, node: NodeId) -> &[PodId] {
        &self.pods_on[node.index()]
    }
    /// The pods bound to `node`, as [`pods_on`](Self::pods_on) (same order).
    pub fn bound_pods(&self, node: NodeId) -> &[BoundPod] {
        &self.bound_on[node.index()]
    }
    /// The requests of the pods bound to `node`, by priority.
    pub fn priority_usage(&self, node: NodeId) -> &PriorityUsage {
        &self.priority_usage[node.index()]
    }
    /// Changes whenever a pod is bound or leaves a node.
    pub fn version(&self) -> u64 {
        self.version
    }
    /// Per node, the [`version`](Self::version) at its last change (a pod
    /// bound or gone, taking or no longer taking new pods, added, removed):
    /// a result computed for a node at some version still holds while the
    /// node's entry is not above it, so a policy can recompute only the
    /// nodes that changed.
    pub fn nodes_changed_at(&self) -> &[u64] {
        &self.changed_at
    }

    /// The free resources of every node, indexed (see [`FreeIndex`]).
    pub fn free_index(&self) -> &FreeIndex {
        self.free_index.get_or_init(|| FreeIndex::new(&self.nodes))
    }

    /// Records a change of `node`: a new version, the node's stamp and its
    /// free resources.
    fn node_changed(&mut self, node: NodeId) {
        self.version += 1;
        self.changed_at[node.index()] = self.version;
        if let Some(index) = self.free_index.get_mut() {
            index.update(node.index(), &self.nodes[node.index()]);
        }
    }
    /// A pod by id.
    pub fn pod(&self, id: PodId) -> &Pod {
        &self.pods[id.index()]
    }
    /// A node by id.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    /// Adds a pending pod; its id must be the next index.
    pub fn submit(&mut self, pod: Pod) -> PodId {
        debug_assert_eq!(pod.id.index(), self.pods.len());
        debug_assert_eq!(pod.phase, PodPhase::Pending);
        let (id, workload) = (pod.id, pod.workload);
        self.pods.push(pod);
        self.counts.pending += 1;
        self.usage_mut(workload).pending += 1;
        id
    }

    fn set_phase(&mut self, pod: PodId, phase: PodPhase) {
        let (old, workload) = (self.pods[pod.index()].phase, self.pods[pod.index()].workload);
        *self.counts.slot(old) -= 1;
        *self.counts.slot(phase) += 1;
        match (old == PodPhase::Pending, phase == PodPhase::Pending) {
            (true, false) => self.usage_mut(workload).pending -= 1,
            (false, true) => self.usage_mut(workload).pending += 1,
            _ => {}
        }
        self.pods[pod.index()].phase = phase;
    }

    /// Binds a pending pod to `node` at `now`, reserving its requests and
    /// acquiring its image. Returns when the image is present on the node.
    pub fn bind(&mut self, pod_id: PodId, node_id: NodeId, now: SimTime) -> SimTime {
        let pod = &self.pods[pod_id.index()];
        debug_assert_eq!(pod.phase, PodPhase::Pending);
        let (requests, image, workload, share, priority) = (pod.requests, pod.image, pod.workload, pod.gpu_share, pod.priority);
        let non_zero = pod.non_zero_requests();
        let usage = self.usage_mut(workload);
        usage.requested += requests;
        usage.bound += 1;
        let size = self.images[image.0 as usize].size_bytes;
        let node = &mut self.nodes[node_id.index()];
        node.requested += requests;
        node.non_zero_requested += non_zero;
        node.pod_count += 1;
        let (image_ready, pulled) = node.acquire_image(image, size, now);
        let gpu_device = if share > 0 {
            let (gpu, opened) = node.take_gpu_share(share);
            self.requested.gpu += opened as u64;
            gpu
        } else {
            0
        };
        self.requested += requests;
        self.pods_on[node_id.index()].push(pod_id);
        self.priority_usage[node_id.index()].add(priority, requests);
        self.bound_on[node_id.index()].push(BoundPod { id: pod_id, priority, bound: now, requests, workload });
        self.node_changed(node_id);
        let pod = &mut self.pods[pod_id.index()];
        pod.node = Some(node_id);
        pod.gpu_device = gpu_device;
        pod.bound = Some(now);
        pod.image_wait = image_ready - now;
        pod.pulled_image = pulled;
        self.set_phase(pod_id, PodPhase::Starting);
        image_ready
    }

    /// Records that a pull of `image` on `node` completed (for ImageLocality's
    /// count of nodes with the image); pulls landing on a removed node do not count.
    pub fn image_pulled(&mut self, node: NodeId, image: ImageId) {
        if !self.nodes[node.index()].removed {
            self.nodes_with_image[image.0 as usize] += 1;
        }
    }

    /// Marks a starting pod as running.
    pub fn start(&mut self, pod: PodId, now: SimTime) {
        debug_assert_eq!(self.pods[pod.index()].phase, PodPhase::Starting);
        self.pods[pod.index()].started = Some(now);
        let workload = self.pods[pod.index()].workload;
        self.usage_mut(workload).running += 1;
        self.set_phase(pod, PodPhase::Running);
    }

    /// Marks a running pod as finished and releases its requests.
    pub fn finish(&mut self, pod_id: PodId, now: SimTime) {
        debug_assert_eq!(self.pods[pod_id.index()].phase, PodPhase::Running);
        self.pods[pod_id.index()].finished = Some(now);
        self.release(pod_id);
        self.set_phase(pod_id, PodPhase::Succeeded);
    }

    /// Deletes a pod that has not finished: a bound one releases its requests
    /// (its node stays recorded), a pending one simply leaves the queue's
    /// concern (queues drop pods that are no longer pending when they pop).
    pub fn delete(&mut self, pod_id: PodId, now: SimTime) {
        self.end(pod_id, PodPhase::Terminated, now);
    }

    /// Gives up on a pod that has not finished (its job failed), as [`delete`](Self::delete).
    pub fn fail(&mut self, pod_id: PodId, now: SimTime) {
        self.end(pod_id, PodPhase::Failed, now);
    }

    fn end(&mut self, pod_id: PodId, phase: PodPhase, now: SimTime) {
        let old = self.pods[pod_id.index()].phase;
        debug_assert!(!old.is_final() && phase.is_final());
        if matches!(old, PodPhase::Starting | PodPhase::Running) {
            self.release(pod_id);
        }
        self.pods[pod_id.index()].finished = Some(now);
        self.set_phase(pod_id, phase);
    }

    /// A running pod's containers stopped (a crash, an OOM kill, its node
    /// rebooted) and will start again where they are: it holds its node and
    /// requests but is no longer running.
    pub fn restart(&mut self, pod: PodId) {
        let p = &mut self.pods[pod.index()];
        p.restarts += 1;
        if p.phase == PodPhase::Running {
            p.started = None;
            let workload = p.workload;
            self.usage_mut(workload).running -= 1;
            self.set_phase(pod, PodPhase::Starting);
        }
    }

    /// Sets a node's machine and control-plane state (see [`Node`]). Returns
    /// whether the node is now schedulable and was not before.
    pub fn set_node_state(&mut self, id: NodeId, up: bool, ready: bool, cordoned: bool, now: SimTime) -> bool {
        let node = &mut self.nodes[id.index()];
        let admitted = node.schedulable();
        match (node.up, up) {
            (true, false) => node.down_since = Some(now),
            (false, true) => node.down_since = None,
            _ => {}
        }
        node.up = up;
        node.ready = ready;
        node.cordoned = cordoned;
        let admits = node.schedulable();
        if admits != admitted {
            self.node_changed(id);
        }
        admits && !admitted
    }

    /// Adds a node that has just joined (a node autoscaler's provisioning
    /// completed); its image cache must have one slot per image.
    pub fn add_node(&mut self, node: Node) -> NodeId {
        debug_assert_eq!(node.image_ready_at.len(), self.images.len());
        let id = NodeId(self.nodes.len() as u32);
        self.allocatable += node.allocatable;
        // A joining node holds only its preloaded images, all present.
        for (i, slot) in node.image_ready_at.iter().enumerate() {
            self.nodes_with_image[i] += slot.is_some() as u32;
        }
        self.nodes.push(node);
        self.pods_on.push(Vec::new());
        self.priority_usage.push(PriorityUsage::default());
        self.bound_on.push(Vec::new());
        self.changed_at.push(0);
        self.node_changed(id);
        id
    }

    /// Removes an empty node from service (scale-down): it keeps its id but is
    /// never schedulable again and no longer counts in the totals.
    pub fn remove_node(&mut self, id: NodeId, now: SimTime) {
        debug_assert!(self.pods_on[id.index()].is_empty(), "drain a node before removing it");
        let node = &mut self.nodes[id.index()];
        if node.removed {
            return;
        }
        node.removed = true;
        self.allocatable -= node.allocatable;
        // Only completed pulls were counted (see `image_pulled`).
        for (i, slot) in node.image_ready_at.iter().enumerate() {
            self.nodes_with_image[i] -= matches!(slot, Some(t) if *t <= now) as u32;
        }
        self.node_changed(id);
    }

    /// Nodes in service (not removed).
    pub fn live_nodes(&self) -> impl Iterator<Item = (NodeId, &Node)> + '_ {
        self.nodes.iter().enumerate().filter(|(_, n)| !n.removed).map(|(i, n)| (NodeId(i as u32), n))
    }

    /// Preempts a bound pod: [`unbind`](Self::unbind)s it and counts the preemption.
    pub fn evict(&mut self, pod_id: PodId, now: SimTime) {
        self.unbind(pod_id, now);
        self.pods[pod_id.index()].preemptions += 1;
    }

    /// Takes a bound pod off its node and makes it pending again, as if never
    /// bound (its work so far is lost).
    pub fn unbind(&mut self, pod_id: PodId, now: SimTime) {
        debug_assert!(matches!(self.pods[pod_id.index()].phase, PodPhase::Starting | PodPhase::Running));
        self.release(pod_id);
        let pod = &mut self.pods[pod_id.index()];
        pod.node = None;
        pod.bound = None;
        pod.started = None;
        pod.image_wait = crate::time::SimDuration::ZERO;
        pod.pulled_image = false;
        pod.queued_at = now;
        self.set_phase(pod_id, PodPhase::Pending);
    }

    /// Takes a bound pod's requests off its node.
    fn release(&mut self, pod_id: PodId) {
        let pod = &self.pods[pod_id.index()];
        let (requests, workload, running, priority) = (pod.requests, pod.workload, pod.phase == PodPhase::Running, pod.priority);
        let non_zero = pod.non_zero_requests();
        let (share, gpu) = (pod.gpu_share, pod.gpu_device);
        let node_id = pod.node.expect("bound pod has a node");
        let usage = self.usage_mut(workload);
        usage.requested -= requests;
        usage.bound -= 1;
        usage.running -= running as u32;
        let node = &mut self.nodes[node_id.index()];
        node.requested -= requests;
        node.non_zero_requested -= non_zero;
        node.pod_count -= 1;
        if share > 0 && node.return_gpu_share(gpu, share) {
            self.requested.gpu -= 1;
        }
        self.requested -= requests;
        let on = &mut self.pods_on[node_id.index()];
        if let Some(i) = on.iter().position(|&p| p == pod_id) {
            on.swap_remove(i);
            self.bound_on[node_id.index()].swap_remove(i);
        }
        self.priority_usage[node_id.index()].remove(priority, requests);
        self.node_changed(node_id);
    }
}
