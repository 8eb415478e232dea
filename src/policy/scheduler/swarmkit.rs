//! Docker Swarm mode's scheduler (`moby/swarmkit@3e72cb64`, `manager/scheduler/`;
//! semantics.md §6).
//!
//! SwarmKit does not score resources at all. It filters nodes (`filter.go`),
//! then orders the survivors with `nodeLess` (`scheduler.go`):
//!
//! 1. a node where this service had at least [`MAX_FAILURES`] task failures in
//!    the last [`MONITOR_FAILURES`] is demoted (more failures, further back);
//! 2. fewer active tasks **of the same service** first;
//! 3. fewer active tasks in total first.
//!
//! With placement preferences (`spread = "node.labels.<key>"`), the nodes are
//! first grouped into a decision tree (`nodeset.go` `tree`), one level per
//! preference and one branch per label value; nodes lacking the label share
//! the branch of the empty value, as upstream. A task walks down the tree to
//! the branch holding the fewest tasks of its service, skipping branches with
//! no feasible node, and `nodeLess` picks the node within the leaf.
//!
//! **Mapping to the model.** A service is a pod's workload class
//! (`Pod::workload`); its active tasks are the pods bound to a node (pulling,
//! starting or running). The filters are [`filter::check`]: the Resource filter
//! (the pod's requests against the node's free allocatable, SwarmKit's
//! reservations) plus taints, node selectors and required node affinity, which
//! play the Constraint filter. Ready, Plugin, Platform and HostPort have nothing
//! to check here: every node is ready and ports are not modelled. The node's
//! `max_pods` stays a hard limit, as for every policy (a cluster is the same
//! cluster whatever the scheduler), although Docker itself has no such limit;
//! SwarmKit's own per-node limit is `MaxReplicas` — tasks of one service per
//! node — which is the `max_replicas` parameter here.
//!
//! **Task groups.** SwarmKit schedules the new tasks of one service together
//! (`scheduleTaskGroup`, `scheduler.go`): the decision tree keeps each leaf's
//! `n` best nodes for a group of `n`; at each level it computes the even
//! share `(tasks already there + new) / branches` and tops up the branches
//! below it (`scheduleNTasksOnSubtree`, whose task counts are not updated as
//! it places, hence signed arithmetic as Go's); within a leaf it fills the
//! best node until the next one is *strictly* better by `nodeLess`, moves on,
//! and past the last node goes round-robin over the nodes that still pass the
//! filters (`scheduleNTasksOnNodes`). So two loaded nodes and two empty ones
//! that join take six new tasks as 1 and 5 on the new nodes, not 3 and 3.
//! Here the group is the service's pending pods
//! ([`WorkloadUsage::pending`](crate::model::WorkloadUsage)), all taken to be
//! like the first one asked about (SwarmKit's groups are tasks of one spec);
//! its placements are computed when that pod comes and handed out to the
//! next pods of the service while nothing but those binds has changed the
//! cluster. Anything else (another service's pod, a task ending, a pod with
//! other requests) plans the remaining group afresh from the cluster as it is.
//!
//! **Ties.** Among equal branches and equal nodes SwarmKit's order comes from
//! Go map iteration (`nodeSet.nodes`, `decisionTree.next`), which Go
//! deliberately randomizes, then heap operations. So from the outside equal
//! nodes win at random; we draw uniformly among them from the policy's seeded
//! stream. Taking the lowest node index instead would be deterministic too,
//! but would make every service pile its first tasks on the same few nodes,
//! which real Swarm does not do.
//!
//! **Failures.** The simulator has no task failures yet, so the recent-failure
//! count fed to [`NodeRank`] is always 0 today. [`RecentFailures`] already keeps
//! the 5-minute window and the ranking reads it; the failures work needs only
//! a way to reach [`RecentFailures::record`] when a task fails (say, a
//! `Scheduler` hook), nothing in the ordering changes.
//!
//! **`--explain`.** `nodeLess` is a lexicographic order, not a sum. Each
//! candidate's score rows are its keys, in the order they are compared: one
//! `PlacementPreference` row per preference (tasks of the service in the
//! node's branch at that level), then `RecentFailures`, `ServiceTasks` and
//! `TotalTasks`. Only `ServiceTasks` has a weight (−1), so `total` = −(tasks of
//! the service on the node): higher is better, as for the other policies, and
//! the other keys (weight 0) are the tie-breaks and tree levels shown by
//! `rank`.

use std::collections::BTreeMap;

use rand::seq::SliceRandom;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::filter::{self, FilterCounts};
use super::{ClusterView, Placement, Scheduler};
use crate::engine::SimRng;
use crate::model::{Cluster, Node, NodeId, Pod, PodId, Resources};
use crate::policy::scheduler::{Candidate, ScorePart};
use crate::time::{SimDuration, SimTime};

/// `maxFailures`: recent failures of a service that demote a node.
pub const MAX_FAILURES: u32 = 5;

/// `monitorFailures`: how far back failures count (5 minutes).
pub const MONITOR_FAILURES: SimDuration = SimDuration::from_secs(5 * 60);

/// Spread descriptor prefix for node labels (`constraint.NodeLabelPrefix`).
pub const NODE_LABEL_PREFIX: &str = "node.labels.";

/// Spread descriptor prefix for engine labels, which the model does not have.
const ENGINE_LABEL_PREFIX: &str = "engine.labels.";

/// Parameters of the `swarmkit` policy. In Swarm both are per service
/// (`docker service create --placement-pref … --replicas-max-per-node …`);
/// here they apply to every workload class.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SwarmkitParams {
    /// Placement preferences, outermost first: each spreads a service's tasks
    /// evenly over the values of one node label.
    pub placement_preferences: Vec<PlacementPreference>,
    /// `MaxReplicas`: at most this many tasks of one service per node; 0 (the
    /// default) means no limit.
    pub max_replicas: u32,
}

/// One placement preference, `{ spread = "node.labels.<key>" }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlacementPreference {
    /// The spread descriptor, `node.labels.<key>` (prefix case-insensitive,
    /// key exact), e.g. `node.labels.topology.kubernetes.io/zone`.
    pub spread: String,
}

impl PlacementPreference {
    /// The node label key this preference spreads over, or why the descriptor
    /// is not supported. SwarmKit silently ignores other descriptors; here they
    /// are errors, because a preference that does nothing is a typo.
    pub fn label_key(&self) -> Result<&str, String> {
        let d = self.spread.as_str();
        let has_prefix = |p: &str| d.len() >= p.len() && d.is_char_boundary(p.len()) && d[..p.len()].eq_ignore_ascii_case(p);
        if has_prefix(NODE_LABEL_PREFIX) {
            let key = &d[NODE_LABEL_PREFIX.len()..];
            return if key.is_empty() { Err(format!("`{d}` names no label; write node.labels.<key>")) } else { Ok(key) };
        }
        if has_prefix(ENGINE_LABEL_PREFIX) {
            return Err(format!("`{d}`: engine labels are not modelled (orchsim nodes carry node labels only); use node.labels.<key>"));
        }
        Err(format!("`{d}` is not a spread descriptor; write node.labels.<key>, e.g. node.labels.topology.kubernetes.io/zone"))
    }
}

impl SwarmkitParams {
    pub(crate) fn validate(&self) -> Vec<(String, String)> {
        let mut errors = Vec::new();
        for (i, p) in self.placement_preferences.iter().enumerate() {
            if let Err(message) = p.label_key() {
                errors.push((format!("placement_preferences[{i}].spread"), message));
            }
        }
        errors
    }
}

/// A node's place in `nodeLess`: compare with `<` (smaller is better).
///
/// Upstream's `nodeLess` compares failures only when either node has at least
/// [`MAX_FAILURES`]; otherwise it goes straight to the task counts. That is
/// the lexicographic order of `(failures if ≥ MAX_FAILURES else 0, tasks of
/// the service, total tasks)`: a node below the threshold beats any node at
/// or above it, and demoted nodes are ordered by their failures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeRank {
    /// Failures of the service on the node within [`MONITOR_FAILURES`].
    pub recent_failures: u32,
    /// Active tasks of the service on the node.
    pub service_tasks: u32,
    /// Active tasks on the node.
    pub total_tasks: u32,
}

impl NodeRank {
    /// The lexicographic key `nodeLess` orders by.
    fn key(&self) -> (u32, u32, u32) {
        let demotion = if self.recent_failures >= MAX_FAILURES { self.recent_failures } else { 0 };
        (demotion, self.service_tasks, self.total_tasks)
    }
}

impl PartialOrd for NodeRank {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for NodeRank {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

/// Task failures per (service, node) in the last [`MONITOR_FAILURES`]: the
/// input of `nodeLess`' demotion (`NodeInfo.recentFailures`). Empty until the
/// simulator models task failures.
#[derive(Clone, Debug, Default)]
pub struct RecentFailures {
    times: BTreeMap<(u32, NodeId), Vec<SimTime>>,
}

impl RecentFailures {
    /// A task of `service` failed on `node` at `now` (`taskFailed`: failures
    /// older than the window are forgotten).
    pub fn record(&mut self, service: u32, node: NodeId, now: SimTime) {
        let times = self.times.entry((service, node)).or_default();
        times.retain(|&t| now.saturating_since(t) < MONITOR_FAILURES);
        times.push(now);
    }

    /// Failures of `service` on `node` at most [`MONITOR_FAILURES`] before
    /// `now` (`countRecentFailures`).
    pub fn count(&self, service: u32, node: NodeId, now: SimTime) -> u32 {
        if self.times.is_empty() {
            return 0;
        }
        self.times.get(&(service, node)).map_or(0, |ts| ts.iter().filter(|&&t| now.saturating_since(t) <= MONITOR_FAILURES).count() as u32)
    }
}

/// No parent: the root of the [`Tree`].
const ROOT_PARENT: u32 = u32::MAX;

/// SwarmKit's decision tree over the nodes (`nodeset.go` `tree`), one level
/// per preference. Built once from the labels (they do not change), and
/// rebuilt if nodes are added. Vertices are numbered so that a parent comes
/// before its children; vertex 0 is the root. Without preferences the root is
/// the only leaf.
#[derive(Clone, Debug, Default)]
struct Tree {
    /// Parent of each vertex ([`ROOT_PARENT`] for the root).
    parent: Vec<u32>,
    /// Children of each vertex, in order of first appearance (empty for leaves).
    children: Vec<Vec<u32>>,
    /// Leaf vertex of each node, indexed by node.
    leaf_of: Vec<u32>,
}

impl Tree {
    /// Groups `nodes` by the values of `keys` (missing labels count as the
    /// empty value, as upstream).
    fn build(nodes: &[Node], keys: &[String]) -> Tree {
        let mut tree = Tree { parent: vec![ROOT_PARENT], children: vec![Vec::new()], leaf_of: Vec::with_capacity(nodes.len()) };
        let mut branch: BTreeMap<(u32, &str), u32> = BTreeMap::new();
        for node in nodes {
            let mut v = 0u32;
            for key in keys {
                let (parent, value) = (v, node.labels.get(key).map_or("", String::as_str));
                v = *branch.entry((parent, value)).or_insert_with(|| {
                    let child = tree.parent.len() as u32;
                    tree.parent.push(parent);
                    tree.children.push(Vec::new());
                    tree.children[parent as usize].push(child);
                    child
                });
            }
            tree.leaf_of.push(v);
        }
        tree
    }

    fn len(&self) -> usize {
        self.parent.len()
    }

    /// The vertices from just below the root down to `leaf`.
    fn path(&self, leaf: u32) -> Vec<u32> {
        let mut path = Vec::new();
        let mut v = leaf;
        while self.parent[v as usize] != ROOT_PARENT {
            path.push(v);
            v = self.parent[v as usize];
        }
        path.reverse();
        path
    }
}

/// Tasks of one service on each node, kept across decisions.
///
/// A fresh count scans the pods bound to every node. Consecutive decisions for
/// one service (a job's tasks) usually differ only by the pod just bound, and
/// [`Cluster::version`] tells when that is so: one version step since the
/// count, and that step was our bind. Anything else recounts.
#[derive(Clone, Debug, Default)]
struct ServiceCounts {
    service: Option<u32>,
    version: u64,
    per_node: Vec<u32>,
    /// The bind this policy decided after the last refresh.
    last_bind: Option<(PodId, NodeId)>,
}

impl ServiceCounts {
    fn refresh(&mut self, cluster: &Cluster, service: u32) {
        let version = cluster.version();
        let last_bind = self.last_bind.take();
        let same = self.service == Some(service) && self.per_node.len() == cluster.nodes.len();
        if same && version == self.version {
            return;
        }
        if same && version == self.version + 1 {
            if let Some((pod, node)) = last_bind.filter(|&(pod, node)| cluster.pod(pod).node == Some(node)) {
                self.per_node[node.index()] += 1;
                self.version = version;
                debug_assert_eq!(self.per_node[node.index()], count_on(cluster, node, service), "pod {pod:?}");
                return;
            }
        }
        self.service = Some(service);
        self.version = version;
        self.per_node.clear();
        self.per_node.resize(cluster.nodes.len(), 0);
        if cluster.usage(service).bound > 0 {
            for (i, slot) in self.per_node.iter_mut().enumerate() {
                *slot = count_on(cluster, NodeId(i as u32), service);
            }
        }
    }
}

/// Pods of `service` bound to `node`.
fn count_on(cluster: &Cluster, node: NodeId, service: u32) -> u32 {
    cluster.pods_on(node).iter().filter(|&&p| cluster.pod(p).workload == service).count() as u32
}

/// A feasible node of the last decision.
#[derive(Clone, Copy, Debug)]
struct Feasible {
    node: NodeId,
    leaf: u32,
    rank: NodeRank,
}

/// How many more pods like `pod` fit on `node`, which passes the filters
/// now, holding `service_tasks` of its service: at least 1.
fn copies_that_fit(pod: &Pod, node: &Node, service_tasks: u32, max_replicas: u32) -> u32 {
    let (free, req) = (node.free(), pod.requests);
    let per = |free: u64, req: u64| free.checked_div(req).map_or(u32::MAX, |k| k.min(u32::MAX as u64) as u32);
    let mut copies = per(free.cpu_milli, req.cpu_milli)
        .min(per(free.memory_bytes, req.memory_bytes))
        .min(per(free.gpu, req.gpu))
        .min(node.max_pods.saturating_sub(node.pod_count));
    if pod.gpu_share > 0 {
        // Shares of one GPU: whether a second fits depends on the devices.
        copies = copies.min(1);
    }
    if max_replicas > 0 {
        copies = copies.min(max_replicas.saturating_sub(service_tasks));
    }
    copies.max(1)
}

/// The nodes SwarmKit assigned to the tasks of one group, in assignment
/// order, handed out one pod at a time while nothing but these binds has
/// changed the cluster.
#[derive(Clone, Debug, Default)]
struct Plan {
    service: u32,
    requests: Resources,
    /// The cluster version at which the next entry is valid.
    version: u64,
    nodes: Vec<NodeId>,
    next: usize,
}

impl Plan {
    /// The next planned node for `pod` at cluster `version`, if the plan is
    /// still that of its group.
    fn next_for(&self, pod: &Pod, version: u64) -> Option<NodeId> {
        let same = self.service == pod.workload && self.requests == pod.requests && self.version == version;
        if same {
            self.nodes.get(self.next).copied()
        } else {
            None
        }
    }
}

/// A node of a leaf while a group is assigned (`NodeInfo` in the leaf's
/// `nodeHeap`): its rank and room change with each task it gets.
#[derive(Clone, Copy, Debug)]
struct Slot {
    node: NodeId,
    rank: NodeRank,
    copies: u32,
    /// Random tie-break among equal ranks (Go map and heap order upstream).
    tie: u32,
}

/// One run of `scheduleTaskGroup` (`scheduler.go`) over the survey of the
/// group's first task.
struct GroupRun<'a> {
    tree: &'a Tree,
    /// Tasks of the service per tree vertex when the tree was built; upstream
    /// does not update them while it assigns (`decisionTree.tasks`).
    tasks: &'a [u64],
    /// Per leaf, its best nodes, changed as tasks are assigned.
    leaves: Vec<Vec<Slot>>,
    /// Tasks of the group not yet assigned.
    remaining: u32,
    rng: &'a mut SimRng,
    out: Vec<NodeId>,
}

impl GroupRun<'_> {
    /// `scheduleNTasksOnSubtree`: makes the branches of `v` even, topping up
    /// those below the even share, until `n` tasks are placed, every branch is
    /// full, or no branch takes more. Returns the tasks placed, which can be
    /// more than `n`: a leaf fills the share its parent computed. Signed, as
    /// Go's `int`, because the shares are computed from task counts that are
    /// not updated as tasks are placed.
    fn subtree(&mut self, n: i64, v: u32) -> i64 {
        let tree = self.tree;
        let children = &tree.children[v as usize];
        if children.is_empty() {
            return self.leaf(n, v);
        }
        let tasks = |c: u32| self.tasks[c as usize] as i64;
        let mut scheduled = 0i64;
        let mut usable_tasks = tasks(v);
        let mut no_room = vec![false; children.len()];
        let mut full = 0usize;
        let mut converging = true;
        while scheduled != n && full != children.len() && converging {
            let branches = (children.len() - full) as i64;
            let want = usable_tasks + n - scheduled;
            let (desired, mut remainder) = (want / branches, want % branches);
            converging = false;
            // `range` over Go's map `tree.next`: a fresh random order each time.
            let mut order: Vec<usize> = (0..children.len()).collect();
            order.shuffle(self.rng);
            for k in order {
                if no_room[k] {
                    continue;
                }
                let sub = children[k];
                let sub_tasks = self.tasks[sub as usize] as i64;
                if sub_tasks < desired || (sub_tasks == desired && remainder > 0) {
                    converging = true;
                    let mut to_assign = desired - sub_tasks;
                    if remainder > 0 {
                        to_assign += 1;
                    }
                    let placed = self.subtree(to_assign, sub);
                    if placed < to_assign {
                        no_room[k] = true;
                        full += 1;
                        usable_tasks -= sub_tasks;
                    } else if remainder > 0 {
                        remainder -= 1;
                    }
                    scheduled += placed;
                }
            }
        }
        scheduled
    }

    /// `scheduleNTasksOnNodes` on leaf `v`: fills the best node until the
    /// next one is strictly better (`nodeLess`), moves on, and once past the
    /// last node goes round-robin over the nodes that still pass the filters.
    fn leaf(&mut self, n: i64, v: u32) -> i64 {
        let mut nodes = std::mem::take(&mut self.leaves[v as usize]);
        // `orderedNodes`: the nodes that still fit, best first.
        nodes.retain(|s| s.copies > 0);
        nodes.sort_by_key(|s| (s.rank, s.tie));
        let count = nodes.len();
        let mut scheduled = 0i64;
        let mut failed = vec![false; count];
        let mut iter = 0usize;
        while count > 0 && self.remaining > 0 {
            let slot = &mut nodes[iter % count];
            slot.rank.service_tasks += 1;
            slot.rank.total_tasks += 1;
            slot.copies -= 1;
            let current = *slot;
            self.out.push(current.node);
            self.remaining -= 1;
            scheduled += 1;
            if scheduled == n {
                break;
            }
            if iter + 1 < count {
                // First pass: stay until the next node is strictly better.
                if nodes[iter + 1].rank < current.rank {
                    iter += 1;
                }
            } else {
                iter += 1;
            }
            let start = iter;
            while failed[iter % count] || nodes[iter % count].copies == 0 {
                failed[iter % count] = true;
                iter += 1;
                if iter - start == count {
                    self.leaves[v as usize] = nodes;
                    return scheduled;
                }
            }
        }
        self.leaves[v as usize] = nodes;
        scheduled
    }
}

/// Docker Swarm mode's scheduler (see the module docs).
pub struct Swarmkit {
    /// Label key of each placement preference, outermost first.
    keys: Vec<String>,
    max_replicas: u32,
    rng: SimRng,
    failures: RecentFailures,
    tree: Tree,
    counts: ServiceCounts,
    /// Scratch, per tree vertex: tasks of the service below it.
    tasks: Vec<u64>,
    /// Feasible nodes of the last decision (for `explain`).
    feasible: Vec<Feasible>,
    last_choice: Option<NodeId>,
    /// The placements of the task group being handed out.
    plan: Plan,
}

impl Swarmkit {
    /// A scheduler with `params` (validated) drawing ties from `rng`.
    pub fn new(params: &SwarmkitParams, rng: SimRng) -> Self {
        let keys = params.placement_preferences.iter().filter_map(|p| p.label_key().ok()).map(str::to_string).collect();
        Swarmkit {
            keys,
            max_replicas: params.max_replicas,
            rng,
            failures: RecentFailures::default(),
            tree: Tree::default(),
            counts: ServiceCounts::default(),
            tasks: Vec::new(),
            feasible: Vec::new(),
            last_choice: None,
            plan: Plan::default(),
        }
    }

    /// Filters every node, ranks the feasible ones and sums the service's
    /// tasks per tree vertex. Returns the rejection counts.
    fn survey(&mut self, pod: &Pod, view: &ClusterView<'_>) -> FilterCounts {
        let cluster = view.cluster();
        let nodes = view.nodes();
        if self.tree.leaf_of.len() != nodes.len() {
            self.tree = Tree::build(nodes, &self.keys);
        }
        let service = pod.workload;
        self.counts.refresh(cluster, service);
        self.tasks.clear();
        self.tasks.resize(self.tree.len(), 0);
        self.feasible.clear();
        let mut rejected = FilterCounts::default();
        for (i, node) in nodes.iter().enumerate() {
            let (id, leaf) = (NodeId(i as u32), self.tree.leaf_of[i]);
            let service_tasks = self.counts.per_node[i];
            self.tasks[leaf as usize] += service_tasks as u64;
            let r = filter::check(pod, node);
            if !r.is_none() {
                rejected.record(r);
                continue;
            }
            if self.max_replicas > 0 && service_tasks >= self.max_replicas {
                rejected.examined += 1;
                rejected.rejected_by_policy += 1;
                continue;
            }
            let recent_failures = self.failures.count(service, id, view.now());
            let rank = NodeRank { recent_failures, service_tasks, total_tasks: node.pod_count };
            self.feasible.push(Feasible { node: id, leaf, rank });
        }
        // Parents precede children: one backward pass sums every subtree.
        for v in (1..self.tree.len()).rev() {
            let p = self.tree.parent[v] as usize;
            self.tasks[p] += self.tasks[v];
        }
        rejected
    }

    /// Assigns the whole task group of `pod` (the pending pods of its
    /// service, all taken to be like it) as `scheduleTaskGroup` does, from
    /// the survey just made.
    fn plan_group(&mut self, pod: &Pod, cluster: &Cluster) {
        let n = cluster.usage(pod.workload).pending.max(1);
        let mut leaves: Vec<Vec<Slot>> = vec![Vec::new(); self.tree.len()];
        for f in &self.feasible {
            // How many more tasks like this one the node takes: SwarmKit
            // re-runs its filters on the node after each task it assigns there.
            let copies = copies_that_fit(pod, cluster.node(f.node), f.rank.service_tasks, self.max_replicas);
            leaves[f.leaf as usize].push(Slot { node: f.node, rank: f.rank, copies, tie: self.rng.random() });
        }
        // `nodeSet.tree` keeps the `n` best nodes of each leaf.
        for leaf in &mut leaves {
            if leaf.len() > n as usize {
                leaf.sort_by_key(|s| (s.rank, s.tie));
                leaf.truncate(n as usize);
            }
        }
        let mut run = GroupRun { tree: &self.tree, tasks: &self.tasks, leaves, remaining: n, rng: &mut self.rng, out: Vec::new() };
        run.subtree(n as i64, 0);
        let nodes = run.out;
        self.plan = Plan { service: pod.workload, requests: pod.requests, version: cluster.version(), nodes, next: 0 };
    }
}

impl Scheduler for Swarmkit {
    fn name(&self) -> &'static str {
        "swarmkit"
    }

    fn schedule(&mut self, pod: &Pod, view: &ClusterView<'_>) -> Placement {
        self.last_choice = None;
        let rejected = self.survey(pod, view);
        if self.feasible.is_empty() {
            return Placement::Unschedulable(rejected);
        }
        let cluster = view.cluster();
        let planned = self.plan.next_for(pod, cluster.version());
        let chosen = match planned.filter(|n| self.feasible.binary_search_by_key(n, |f| f.node).is_ok()) {
            Some(node) => node,
            None => {
                self.plan_group(pod, cluster);
                match self.plan.nodes.first() {
                    Some(&node) => node,
                    None => return Placement::Unschedulable(rejected),
                }
            }
        };
        self.plan.next += 1;
        self.plan.version = cluster.version() + 1;
        self.counts.last_bind = Some((pod.id, chosen));
        self.last_choice = Some(chosen);
        Placement::Bind(chosen)
    }

    fn explain(&self, top: usize, out: &mut Vec<Candidate>) {
        // SwarmKit's order: branch counts level by level, then nodeLess; the
        // chosen node first (it may have won a random tie).
        let mut order: Vec<(bool, Vec<u64>, NodeRank, Feasible)> = self
            .feasible
            .iter()
            .map(|f| {
                let path = self.tree.path(f.leaf).iter().map(|&v| self.tasks[v as usize]).collect();
                (Some(f.node) != self.last_choice, path, f.rank, *f)
            })
            .collect();
        order.sort_by(|a, b| (a.0, &a.1, a.2, a.3.node).cmp(&(b.0, &b.1, b.2, b.3.node)));
        let part = |plugin, raw: u64, weight: f64| ScorePart { plugin, raw: raw as f64, weight };
        out.extend(order.into_iter().take(top).map(|(_, path, rank, f)| {
            let mut parts: Vec<ScorePart> = path.iter().map(|&t| part("PlacementPreference", t, 0.0)).collect();
            parts.push(part("RecentFailures", rank.recent_failures as u64, 0.0));
            parts.push(part("ServiceTasks", rank.service_tasks as u64, -1.0));
            parts.push(part("TotalTasks", rank.total_tasks as u64, 0.0));
            Candidate { node: f.node, total: 0.0 - rank.service_tasks as f64, parts }
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{stream_rng, StreamId};
    use crate::model::node::tests_support::node;
    use crate::model::pod::tests_support::pod;
    use crate::model::ImageSpec;

    const GI: u64 = 1 << 30;

    fn rng(seed: u64) -> SimRng {
        stream_rng(seed, 0, StreamId::SCHEDULER)
    }

    fn rank(recent_failures: u32, service_tasks: u32, total_tasks: u32) -> NodeRank {
        NodeRank { recent_failures, service_tasks, total_tasks }
    }

    /// `nodeLess` as written in `scheduler.go`, for checking the key encoding.
    fn upstream_node_less(a: &NodeRank, b: &NodeRank) -> bool {
        if a.recent_failures >= MAX_FAILURES || b.recent_failures >= MAX_FAILURES {
            if a.recent_failures > b.recent_failures {
                return false;
            }
            if b.recent_failures > a.recent_failures {
                return true;
            }
        }
        if a.service_tasks != b.service_tasks {
            return a.service_tasks < b.service_tasks;
        }
        a.total_tasks < b.total_tasks
    }

    /// Nodes of 4 CPU / 8 GiB; node `i` gets zone label `zones[i]` (none if empty).
    fn zoned_cluster(zones: &[&str]) -> Cluster {
        let nodes = zones
            .iter()
            .enumerate()
            .map(|(i, z)| {
                let mut n = node(4000, 8 * GI);
                n.name = format!("n-{i}");
                if !z.is_empty() {
                    n.labels.insert("topology.kubernetes.io/zone".into(), z.to_string());
                }
                n
            })
            .collect();
        let image = ImageSpec { name: "a:1".into(), size_bytes: 1 };
        Cluster::new(nodes, vec![image.clone(), image])
    }

    /// Submits a pod of `service` and binds it where `s` says; returns the node.
    fn place(s: &mut Swarmkit, c: &mut Cluster, service: u32) -> NodeId {
        let id = c.pods.len() as u32;
        let mut p = pod(id, 100, GI / 8);
        p.workload = service;
        c.submit(p);
        let placement = s.schedule(c.pod(PodId(id)), &ClusterView::new(c, SimTime::ZERO));
        let Placement::Bind(n) = placement else { panic!("pod {id} not bound: {placement:?}") };
        c.bind(PodId(id), n, SimTime::ZERO);
        n
    }

    fn spread_zone() -> SwarmkitParams {
        SwarmkitParams {
            placement_preferences: vec![PlacementPreference { spread: "node.labels.topology.kubernetes.io/zone".into() }],
            max_replicas: 0,
        }
    }

    #[test]
    fn rank_key_is_upstream_node_less() {
        let values = [0, 1, 4, 5, 6, 9];
        let mut ranks = Vec::new();
        for f in values {
            for s in values {
                ranks.extend(values.map(|t| rank(f, s, t)));
            }
        }
        for a in &ranks {
            for b in &ranks {
                assert_eq!(a < b, upstream_node_less(a, b), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn same_service_count_beats_total_count() {
        // Fewer tasks of the service wins even on a node with many more tasks.
        assert!(rank(0, 0, 50) < rank(0, 1, 1));
        // Equal service counts: fewer tasks in total.
        assert!(rank(0, 2, 3) < rank(0, 2, 4));
        // Four failures do not demote; five do, whatever the counts.
        assert!(rank(4, 0, 0) < rank(0, 1, 0));
        assert!(rank(0, 9, 9) < rank(5, 0, 0));
        assert!(rank(5, 0, 0) < rank(6, 0, 0));
    }

    #[test]
    fn schedule_follows_service_then_total_counts() {
        // Node 0 holds 3 tasks of service 1; node 1 one of service 0; node 2
        // three of service 0.
        let mut c = zoned_cluster(&["", "", ""]);
        let mut s = Swarmkit::new(&SwarmkitParams::default(), rng(1));
        for (service, node) in [(1, 0), (1, 0), (1, 0), (0, 1), (0, 2), (0, 2), (0, 2)] {
            let id = c.pods.len() as u32;
            let mut p = pod(id, 100, GI / 8);
            p.workload = service;
            c.submit(p);
            c.bind(PodId(id), NodeId(node), SimTime::ZERO);
        }
        // Service 0: node 0 has none of it, though the most tasks in total.
        assert_eq!(place(&mut s, &mut c, 0), NodeId(0));
        // Now 1/1/3 of service 0; nodes 0 and 1 tie on it, node 1 has fewer in total (1 < 4).
        assert_eq!(place(&mut s, &mut c, 0), NodeId(1));
        // Service 2, new: no node has any; fewest in total is node 1 (2 < 3 < 4).
        assert_eq!(place(&mut s, &mut c, 2), NodeId(1));
    }

    #[test]
    fn a_group_fills_the_best_node_until_the_next_is_strictly_better() {
        // `scheduleNTasksOnNodes`: two nodes run 5 tasks of the service, two
        // empty nodes join, 6 new tasks arrive together. The first empty node
        // gets one, the second is then strictly better and gets the rest: the
        // loaded nodes (5 each) never become strictly better than it. One
        // task at a time would put 3 and 3.
        for seed in 0..16 {
            let mut c = zoned_cluster(&["", "", "", ""]);
            for (i, node) in [0, 0, 0, 0, 0, 1, 1, 1, 1, 1].into_iter().enumerate() {
                let mut p = pod(i as u32, 100, GI / 8);
                p.workload = 0;
                c.submit(p);
                c.bind(PodId(i as u32), NodeId(node), SimTime::ZERO);
            }
            let mut s = Swarmkit::new(&SwarmkitParams::default(), rng(seed));
            let first = c.pods.len() as u32;
            for id in first..first + 6 {
                c.submit(pod(id, 100, GI / 8));
            }
            assert_eq!(c.usage(0).pending, 6);
            for id in first..first + 6 {
                let Placement::Bind(n) = s.schedule(c.pod(PodId(id)), &ClusterView::new(&c, SimTime::ZERO)) else { panic!() };
                c.bind(PodId(id), n, SimTime::ZERO);
            }
            let mut new_nodes = [c.pods_on(NodeId(2)).len(), c.pods_on(NodeId(3)).len()];
            new_nodes.sort();
            assert_eq!(new_nodes, [1, 5], "seed {seed}");
            assert_eq!(c.usage(0).pending, 0);
        }
    }

    #[test]
    fn spread_preference_alternates_zones_not_nodes() {
        // Zone a has one node, zone b three: tasks alternate between the zones,
        // so the lone zone-a node gets half of them.
        let mut c = zoned_cluster(&["a", "b", "b", "b"]);
        let mut s = Swarmkit::new(&spread_zone(), rng(3));
        let zone = |n: NodeId| if n.0 == 0 { 'a' } else { 'b' };
        let zones: String = (0..8).map(|_| zone(place(&mut s, &mut c, 0))).collect();
        let (a, b) = (zones.matches('a').count(), zones.matches('b').count());
        assert_eq!((a, b), (4, 4), "{zones}");
        // After every pair the zones are even.
        for pair in zones.as_bytes().chunks(2) {
            assert_ne!(pair[0], pair[1], "{zones}");
        }
        let per_node: Vec<u32> = (0..4).map(|i| c.pods_on(NodeId(i)).len() as u32).collect();
        assert_eq!(per_node[0], 4);
        let mut b_nodes = per_node[1..].to_vec();
        b_nodes.sort();
        assert_eq!(b_nodes, [1, 1, 2], "within zone b, nodeLess spreads: {per_node:?}");
        // Without the preference the same tasks spread over nodes: 2 each.
        let mut c = zoned_cluster(&["a", "b", "b", "b"]);
        let mut s = Swarmkit::new(&SwarmkitParams::default(), rng(3));
        (0..8).for_each(|_| _ = place(&mut s, &mut c, 0));
        assert!((0..4).all(|i| c.pods_on(NodeId(i)).len() == 2));
    }

    #[test]
    fn nodes_without_the_label_form_their_own_branch() {
        // Two labelled zones of two nodes, and one unlabelled node: three
        // branches, so the unlabelled node gets a third of the tasks.
        let mut c = zoned_cluster(&["a", "a", "b", "b", ""]);
        let mut s = Swarmkit::new(&spread_zone(), rng(4));
        (0..9).for_each(|_| _ = place(&mut s, &mut c, 0));
        assert_eq!(c.pods_on(NodeId(4)).len(), 3);
        assert_eq!(c.pods_on(NodeId(0)).len() + c.pods_on(NodeId(1)).len(), 3);
    }

    #[test]
    fn nested_preferences_spread_level_by_level() {
        // Zone a: rack 1 (node 0) and rack 2 (nodes 1, 2); zone b: node 3.
        let mut c = zoned_cluster(&["a", "a", "a", "b"]);
        for (i, rack) in ["1", "2", "2", "1"].iter().enumerate() {
            c.nodes[i].labels.insert("rack".into(), rack.to_string());
        }
        let mut params = spread_zone();
        params.placement_preferences.push(PlacementPreference { spread: "NODE.LABELS.rack".into() });
        let mut s = Swarmkit::new(&params, rng(5));
        for _ in 0..12 {
            place(&mut s, &mut c, 0);
        }
        let on = |i| c.pods_on(NodeId(i)).len();
        // 6 per zone; zone a's 6 are 3 per rack, so node 0 alone holds 3 (by
        // zone only it would hold 2, like nodes 1 and 2).
        assert_eq!([on(0), on(1) + on(2), on(3)], [3, 3, 6]);
        assert!(on(1).abs_diff(on(2)) <= 1);
    }

    #[test]
    fn branches_without_room_are_skipped() {
        // Zone a's node is full: every task goes to zone b despite its count.
        let mut c = zoned_cluster(&["a", "b"]);
        c.nodes[0].requested.cpu_milli = 4000;
        let mut s = Swarmkit::new(&spread_zone(), rng(6));
        assert!((0..3).all(|_| place(&mut s, &mut c, 0) == NodeId(1)));
    }

    #[test]
    fn max_replicas_limits_tasks_of_a_service_per_node() {
        let mut c = zoned_cluster(&["", ""]);
        let mut s = Swarmkit::new(&SwarmkitParams { max_replicas: 2, ..Default::default() }, rng(7));
        (0..4).for_each(|_| _ = place(&mut s, &mut c, 0));
        // A fifth task of the same service has nowhere to go; another service does.
        c.submit(pod(4, 100, GI / 8));
        let Placement::Unschedulable(f) = s.schedule(c.pod(PodId(4)), &ClusterView::new(&c, SimTime::ZERO)) else { panic!() };
        assert_eq!((f.examined, f.rejected_by_policy), (2, 2));
        place(&mut s, &mut c, 1);
    }

    #[test]
    fn ties_are_uniform_and_reproducible() {
        // Four empty nodes: the first task of each new service is a 4-way tie.
        let firsts = |seed| {
            let mut c = zoned_cluster(&["", "", "", ""]);
            let mut s = Swarmkit::new(&SwarmkitParams::default(), rng(seed));
            // Each pod is a new service on an unchanged cluster: pure ties.
            (0..400u32)
                .map(|service| {
                    let mut p = pod(service, 100, GI / 8);
                    p.workload = service;
                    c.submit(p);
                    let Placement::Bind(n) = s.schedule(c.pod(PodId(service)), &ClusterView::new(&c, SimTime::ZERO)) else { panic!() };
                    n.0
                })
                .collect::<Vec<u32>>()
        };
        let a = firsts(9);
        assert_eq!(a, firsts(9), "same seed, same choices");
        assert_ne!(a, firsts(10), "another seed, other choices");
        let mut wins = [0u32; 4];
        a.iter().for_each(|&n| wins[n as usize] += 1);
        assert!(wins.iter().all(|&w| (70..=130).contains(&w)), "uniform over tied nodes: {wins:?}");
    }

    #[test]
    fn recent_failures_count_within_five_minutes() {
        let mut f = RecentFailures::default();
        let t = |s| SimTime::from_secs(s);
        for s in [0, 100, 200, 250, 290] {
            f.record(7, NodeId(1), t(s));
        }
        assert_eq!(f.count(7, NodeId(1), t(300)), 5);
        assert_eq!(f.count(7, NodeId(0), t(300)), 0);
        assert_eq!(f.count(8, NodeId(1), t(300)), 0);
        // At 301 s the failure at 0 s is older than the window.
        assert_eq!(f.count(7, NodeId(1), t(301)), 4);
        // Recording forgets what has expired.
        f.record(7, NodeId(1), t(400));
        assert_eq!(f.times[&(7, NodeId(1))].len(), 4);
    }

    #[test]
    fn incremental_counts_match_a_recount() {
        // Interleave two services and a release: the cache must follow.
        let mut c = zoned_cluster(&["", "", ""]);
        let mut s = Swarmkit::new(&SwarmkitParams::default(), rng(11));
        for service in [0, 0, 0, 1, 0, 0] {
            place(&mut s, &mut c, service);
        }
        c.start(PodId(0), SimTime::ZERO);
        c.finish(PodId(0), SimTime::from_secs(1));
        place(&mut s, &mut c, 0);
        let expected: Vec<u32> = (0..3).map(|i| count_on(&c, NodeId(i), 0)).collect();
        s.counts.refresh(&c, 0);
        assert_eq!(s.counts.per_node, expected);
        assert_eq!(expected.iter().sum::<u32>(), 5);
    }

    #[test]
    fn validation_names_the_preference() {
        let params = |spread: &str| SwarmkitParams {
            placement_preferences: vec![
                PlacementPreference { spread: "node.labels.zone".into() },
                PlacementPreference { spread: spread.into() },
            ],
            max_replicas: 0,
        };
        assert!(params("Node.Labels.rack").validate().is_empty());
        for (bad, why) in [("engine.labels.az", "engine labels"), ("node.labels.", "names no label"), ("node.hostname", "not a spread")] {
            let errors = params(bad).validate();
            assert_eq!(errors.len(), 1, "{bad}");
            assert_eq!(errors[0].0, "placement_preferences[1].spread");
            assert!(errors[0].1.contains(why), "{bad}: {}", errors[0].1);
        }
    }

    #[test]
    fn explain_lists_keys_in_swarmkit_order() {
        let mut c = zoned_cluster(&["a", "b", "b"]);
        let mut s = Swarmkit::new(&spread_zone(), rng(12));
        let first = place(&mut s, &mut c, 0);
        let mut out = Vec::new();
        s.explain(5, &mut out);
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].node, first);
        let names: Vec<&str> = out[0].parts.iter().map(|p| p.plugin).collect();
        assert_eq!(names, ["PlacementPreference", "RecentFailures", "ServiceTasks", "TotalTasks"]);
        for cand in &out {
            let sum: f64 = cand.parts.iter().map(|p| p.raw * p.weight).sum();
            assert_eq!(sum, cand.total);
        }
        // The next task goes to the other zone; its branch (0 tasks) ranks first.
        let second = place(&mut s, &mut c, 0);
        assert_ne!(first.0 == 0, second.0 == 0, "zones alternate");
        out.clear();
        s.explain(5, &mut out);
        assert_eq!(out[0].node, second);
        assert_eq!(out[0].parts[0].raw, 0.0);
    }
}
