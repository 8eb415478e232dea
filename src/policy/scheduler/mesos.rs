//! Apache Mesos: two-level scheduling with the DRF allocator (`mesos-drf`).
//!
//! Every number here is from `shared/reference/semantics.md` §7 (Mesos
//! `c1b42f79`: `src/master/constants.hpp`, `include/mesos/v1/mesos.proto`,
//! `src/master/allocator/mesos/hierarchical.cpp`, the DRF sorter):
//!
//! * Every **allocation interval** (`--allocation_interval`, 1 s) the master
//!   shuffles the agents (nodes) with the policy's seeded stream and, agent by
//!   agent, offers all of an agent's free resources to **one** framework: the
//!   first in **DRF order**, i.e. lowest `max_r(allocated_r / total_r) /
//!   weight`, then fewest allocations (every offer counts, declined ones
//!   included: `sorter.cpp` `allocated`), then name. Within a cycle a
//!   framework is charged for the whole agent it was offered before the next
//!   agent is sorted (`hierarchical.cpp` `__allocate`), so with two agents
//!   the second goes to the framework that is then lowest.
//! * An agent is offerable when it has at least `min_allocatable_resources`
//!   (`cpus:0.01|mem:32`: 10 mCPU *or* 32 MiB) and a free pod slot.
//! * The framework **accepts** by launching tasks that fit, or **declines**.
//!   Either way, resources it leaves are filtered for it on that agent for
//!   `refuse_seconds` (`Filters.refuse_seconds`, 5 s): a filter hides later
//!   offers that are a subset of what was refused, so a task finishing there
//!   (the agent offering more) lifts it.
//! * Frameworks with nothing to launch are suppressed (receive no offers).
//!
//! Two frameworks ship, each running the workload classes assigned to it
//! (by default every class is its own batch framework, so DRF is fair between
//! classes):
//!
//! * `batch`: launches the oldest pending task (over its classes' queue heads)
//!   that fits what is left of the offer, again and again: FIFO per class, a
//!   head that does not fit holds back its class for this offer.
//! * `service` (Marathon-like): launches one instance per app (class) per
//!   round, round-robin over its apps, so apps share an offer evenly.
//!
//! Either may cap the tasks launched per offer (`max_tasks_per_offer`). The
//! granularity matters: on the DRF paper's single ⟨9 CPU, 18 GB⟩ agent, greedy
//! frameworks give A 4 tasks and B 1 (A takes the whole first offer), while
//! one task per offer reproduces progressive filling, A 3 and B 2
//! ([`drf::progressive_filling`]); both are tests.
//!
//! Mesos frameworks see agent attributes, not Kubernetes objects: taints and
//! node selectors/affinity are honoured as constraints, topology spread and
//! pod affinity are not.

pub mod drf;

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::offers::{OfferScheduler, PendingTasks};
use super::{filter, ClusterView, Placement, Scheduler};
use crate::engine::SimRng;
use crate::model::{Cluster, Node, NodeId, Pod, PodId, Resources};
use crate::scenario::quantity::{Literal, Unit};
use crate::time::{SimDuration, SimTime};

/// `min_allocatable_resources` `cpus:0.01`: an agent with less free CPU…
pub const MIN_ALLOCATABLE_CPU_MILLI: u64 = 10;
/// …and less than `mem:32` (MiB) free memory is not offered.
pub const MIN_ALLOCATABLE_MEMORY: u64 = 32 << 20;

/// How a framework picks tasks for an offer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FrameworkKind {
    /// Oldest fitting queue head first (FIFO per workload class).
    #[default]
    Batch,
    /// One instance per app per round, round-robin (Marathon-like).
    Service,
}

/// One framework (`[[scheduler.frameworks]]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FrameworkSpec {
    /// Name; the DRF sorter's last tie-break.
    pub name: String,
    /// Task selection.
    #[serde(default)]
    pub kind: FrameworkKind,
    /// Its role's weight: the DRF share is divided by it (default 1).
    #[serde(default = "one")]
    pub weight: f64,
    /// The `[[batch]]` classes (by name) whose tasks it runs.
    pub workloads: Vec<String>,
    /// Most tasks launched from one offer; 0 = as many as fit.
    #[serde(default)]
    pub max_tasks_per_offer: u32,
    /// `Filters.refuse_seconds` on declines and left-over resources (default 5).
    #[serde(default = "default_refuse_seconds")]
    pub refuse_seconds: f64,
}

fn one() -> f64 {
    1.0
}

fn default_refuse_seconds() -> f64 {
    5.0
}

/// Parameters of `mesos-drf`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MesosParams {
    /// `--allocation_interval` (default "1s").
    #[schemars(with = "crate::scenario::schema::Duration")]
    pub allocation_interval: Literal,
    /// Frameworks; classes not listed each get a batch framework of their own,
    /// named after them, with weight 1.
    pub frameworks: Vec<FrameworkSpec>,
    /// The scenario's workload class names, in order (filled in by the
    /// scenario, which resolves `frameworks[].workloads`).
    #[serde(skip)]
    pub workload_names: Vec<String>,
}

impl Default for MesosParams {
    fn default() -> Self {
        MesosParams { allocation_interval: Literal::Text("1s".into()), frameworks: Vec::new(), workload_names: Vec::new() }
    }
}

impl MesosParams {
    fn interval(&self) -> Result<SimDuration, String> {
        let micros = Unit::Duration.parse(&self.allocation_interval)?;
        if !(1000.0..=3.6e9).contains(&micros) {
            return Err("must be between 1ms and 1h".into());
        }
        Ok(SimDuration::from_micros(micros as u64))
    }

    pub(crate) fn validate(&self) -> Vec<(String, String)> {
        let mut errors = Vec::new();
        if let Err(e) = self.interval() {
            errors.push(("allocation_interval".into(), e));
        }
        for (i, f) in self.frameworks.iter().enumerate() {
            if !(f.weight > 0.0 && f.weight.is_finite()) {
                errors.push((format!("frameworks[{i}].weight"), format!("must be a positive number, got {}", f.weight)));
            }
            if !(f.refuse_seconds >= 0.0 && f.refuse_seconds <= 31_536_000.0) {
                errors
                    .push((format!("frameworks[{i}].refuse_seconds"), format!("must be between 0 and one year, got {}", f.refuse_seconds)));
            }
            if f.workloads.is_empty() {
                errors.push((format!("frameworks[{i}].workloads"), "name at least one [[batch]] class".into()));
            }
            if self.frameworks[..i].iter().any(|g| g.name == f.name) {
                errors.push((format!("frameworks[{i}].name"), format!("`{}` is already a framework", f.name)));
            }
        }
        errors
    }

    /// Checks `frameworks[].workloads` against the scenario's class names:
    /// each must exist and belong to one framework only.
    pub(crate) fn resolve(&mut self, workload_names: &[String]) -> Vec<(String, String)> {
        let mut errors = Vec::new();
        let mut owner: Vec<Option<usize>> = vec![None; workload_names.len()];
        for (i, f) in self.frameworks.iter().enumerate() {
            for (j, w) in f.workloads.iter().enumerate() {
                let field = format!("frameworks[{i}].workloads[{j}]");
                match workload_names.iter().position(|n| n == w) {
                    None => errors.push((field, format!("no [[batch]] class is named `{w}`; known: {}", workload_names.join(", ")))),
                    Some(k) if owner[k].is_some() => errors
                        .push((field, format!("`{w}` already belongs to framework `{}`", self.frameworks[owner[k].unwrap_or(i)].name))),
                    Some(k) => owner[k] = Some(i),
                }
            }
        }
        self.workload_names = workload_names.to_vec();
        errors
    }
}

/// A framework at run time.
#[derive(Clone, Debug)]
struct Framework {
    name: String,
    kind: FrameworkKind,
    weight: f64,
    workloads: Vec<u32>,
    max_tasks_per_offer: u32,
    refuse: SimDuration,
    /// Offers it received, declined ones included (the DRF sorter's second
    /// key: `allocated` counts every allocation).
    allocations: u64,
}

/// Resources refused by a framework on an agent, hidden from it until `until`.
#[derive(Clone, Copy, Debug)]
struct RefuseFilter {
    refused: Resources,
    until: SimTime,
}

/// The `mesos-drf` policy: the master's DRF allocator plus the frameworks.
pub struct Mesos {
    interval: SimDuration,
    frameworks: Vec<Framework>,
    /// Workload class → framework.
    framework_of: Vec<usize>,
    rng: SimRng,
    /// Per framework × agent (`f * agents + a`).
    filters: Vec<Option<RefuseFilter>>,
    /// Per framework × agent: declined at `declined_key` (cluster version,
    /// pending pods). Cleared when either changes.
    declined: Vec<bool>,
    declined_key: (u64, usize),
    idle: bool,
    /// Reused buffers.
    agents: Vec<u32>,
    taken: Vec<usize>,
    allocated: Vec<Resources>,
    order: Vec<usize>,
    blocked: Vec<bool>,
}

impl Mesos {
    /// The allocator for `params` (already validated and resolved), shuffling
    /// agents with `rng`.
    pub fn new(params: &MesosParams, rng: SimRng) -> Self {
        let frameworks: Vec<Framework> = params
            .frameworks
            .iter()
            .map(|f| Framework {
                name: f.name.clone(),
                kind: f.kind,
                weight: f.weight,
                workloads: f.workloads.iter().filter_map(|w| params.workload_names.iter().position(|n| n == w)).map(|k| k as u32).collect(),
                max_tasks_per_offer: f.max_tasks_per_offer,
                refuse: SimDuration::from_secs_f64(f.refuse_seconds).unwrap_or(SimDuration::ZERO),
                allocations: 0,
            })
            .collect();
        let mut framework_of = vec![usize::MAX; params.workload_names.len()];
        for (i, f) in frameworks.iter().enumerate() {
            for &w in &f.workloads {
                framework_of[w as usize] = i;
            }
        }
        let mut mesos = Mesos {
            interval: params.interval().unwrap_or(SimDuration::from_secs(1)),
            frameworks,
            framework_of,
            rng,
            filters: Vec::new(),
            declined: Vec::new(),
            declined_key: (u64::MAX, usize::MAX),
            idle: false,
            agents: Vec::new(),
            taken: Vec::new(),
            allocated: Vec::new(),
            order: Vec::new(),
            blocked: Vec::new(),
        };
        for (w, name) in params.workload_names.iter().enumerate() {
            if mesos.framework_of[w] == usize::MAX {
                mesos.add_default_framework(w as u32, name.clone());
            }
        }
        mesos
    }

    /// Workload class `w` as a batch framework of its own.
    fn add_default_framework(&mut self, w: u32, name: String) {
        let wi = w as usize;
        if wi >= self.framework_of.len() {
            self.framework_of.resize(wi + 1, usize::MAX);
        }
        self.framework_of[wi] = self.frameworks.len();
        self.frameworks.push(Framework {
            name,
            kind: FrameworkKind::Batch,
            weight: 1.0,
            workloads: vec![w],
            max_tasks_per_offer: 0,
            refuse: SimDuration::from_secs(5),
            allocations: 0,
        });
    }

    /// Frameworks for classes the parameters did not know (a scenario built
    /// in code rather than parsed), each its own batch framework.
    fn cover_workloads(&mut self, pending: &PendingTasks) {
        for w in 0..pending.workloads() {
            if self.framework_of.get(w as usize).is_none_or(|&f| f == usize::MAX) {
                self.add_default_framework(w, format!("workload-{w}"));
            }
        }
    }

    /// Whether framework `f` has a task waiting.
    fn has_demand(&self, f: usize, pending: &PendingTasks) -> bool {
        self.frameworks[f].workloads.iter().any(|&w| self.taken[w as usize] < pending.queue(w).len())
    }

    /// DRF order: weighted dominant share, then allocations, then name.
    fn sort_frameworks(&mut self, total: &Resources) {
        let (frameworks, allocated) = (&self.frameworks, &self.allocated);
        let key = |f: usize| {
            (drf::dominant_share(&allocated[f], total, frameworks[f].weight), frameworks[f].allocations, frameworks[f].name.as_str())
        };
        self.order.sort_by(|&a, &b| drf::compare(key(a), key(b)));
    }

    /// Framework `f`'s answer to an offer of `offer` on `node`: the tasks it
    /// launches (appended to `out`), taking them from the queue heads.
    fn accept(
        &mut self,
        f: usize,
        pending: &PendingTasks,
        cluster: &Cluster,
        node: (NodeId, &Node),
        offer: &mut Resources,
        out: &mut Vec<(PodId, NodeId)>,
    ) -> u32 {
        let (id, node) = node;
        let mut slots = node.max_pods.saturating_sub(node.pod_count);
        let fw = &self.frameworks[f];
        let cap = if fw.max_tasks_per_offer == 0 { u32::MAX } else { fw.max_tasks_per_offer };
        let mut launched = 0u32;
        // Classes whose head does not fit what is left: held back for this
        // offer (a reused buffer: this runs for every offer).
        let mut blocked = std::mem::take(&mut self.blocked);
        blocked.clear();
        blocked.resize(fw.workloads.len(), false);
        let head = |taken: &[usize], w: u32| pending.queue(w).get(taken[w as usize]).copied();
        let fits = |pod: &Pod, offer: &Resources| pod.requests.fits_in(offer) && filter::check_except_resources(pod, node);
        let mut round_robin = 0usize;
        while launched < cap && slots > 0 {
            let pick = match fw.kind {
                FrameworkKind::Batch => fw
                    .workloads
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| !blocked[*k])
                    .filter_map(|(k, &w)| head(&self.taken, w).map(|p| (p, k)))
                    .min(),
                FrameworkKind::Service => (0..fw.workloads.len())
                    .map(|i| (round_robin + i) % fw.workloads.len())
                    .filter(|&k| !blocked[k])
                    .find_map(|k| head(&self.taken, fw.workloads[k]).map(|p| (p, k))),
            };
            let Some((pod_id, k)) = pick else { break };
            let pod = cluster.pod(pod_id);
            if !fits(pod, offer) {
                blocked[k] = true;
                continue;
            }
            *offer = offer.saturating_sub(&pod.requests);
            slots -= 1;
            launched += 1;
            self.taken[fw.workloads[k] as usize] += 1;
            self.allocated[f] += pod.requests;
            round_robin = k + 1;
            out.push((pod_id, id));
        }
        self.blocked = blocked;
        launched
    }
}

/// Whether an agent's free resources are worth offering.
fn offerable(free: &Resources, node: &Node) -> bool {
    // The master offers nothing of an agent it has removed (lost, scaled
    // away) or that is drained for maintenance.
    node.schedulable()
        && node.pod_count < node.max_pods
        && (free.cpu_milli >= MIN_ALLOCATABLE_CPU_MILLI || free.memory_bytes >= MIN_ALLOCATABLE_MEMORY)
}

impl OfferScheduler for Mesos {
    fn allocation_interval(&self) -> SimDuration {
        self.interval
    }

    fn allocate(&mut self, pending: &PendingTasks, view: &ClusterView<'_>, out: &mut Vec<(PodId, NodeId)>) {
        let cluster = view.cluster();
        let now = view.now();
        if self.framework_of.len() < pending.workloads() as usize {
            self.cover_workloads(pending);
        }
        let (nf, na) = (self.frameworks.len(), view.nodes().len());
        if self.filters.len() != nf * na {
            self.filters = vec![None; nf * na];
            self.declined = vec![false; nf * na];
        }
        let key = (cluster.version(), pending.len());
        if key != self.declined_key {
            self.declined.iter_mut().for_each(|d| *d = false);
            self.declined_key = key;
        }
        self.taken.clear();
        self.taken.resize(self.framework_of.len(), 0);
        self.allocated.clear();
        self.allocated
            .extend(self.frameworks.iter().map(|f| f.workloads.iter().fold(Resources::ZERO, |a, &w| a + cluster.usage(w).requested)));
        let total = cluster.allocatable();
        self.agents.clear();
        self.agents.extend(0..na as u32);
        self.agents.shuffle(&mut self.rng);
        let agents = std::mem::take(&mut self.agents);
        let launched_before = out.len();
        for &a in &agents {
            let node = view.node(NodeId(a));
            let mut offer = node.free();
            if !offerable(&offer, node) {
                continue;
            }
            let mut order = std::mem::take(&mut self.order);
            order.clear();
            order.extend((0..nf).filter(|&f| self.has_demand(f, pending)));
            self.order = order;
            if self.order.is_empty() {
                break;
            }
            self.sort_frameworks(&total);
            let slot = |f: usize| f * na + a as usize;
            let chosen = self.order.iter().copied().find(|&f| match self.filters[slot(f)] {
                Some(filter) => !(filter.until > now && offer.fits_in(&filter.refused)),
                None => true,
            });
            let Some(f) = chosen else { continue };
            let launched = self.accept(f, pending, cluster, (NodeId(a), node), &mut offer, out);
            // Every offer is an allocation to the sorter (`hierarchical.cpp`
            // `__allocate` → `trackAllocatedResources` → the DRF sorter's
            // `allocated`, which counts it), declined or not; and until the
            // framework answers, the whole agent counts as its own, so the next
            // agent of this cycle is sorted with it charged (`accept` already
            // charged what it launched; add what it left).
            self.frameworks[f].allocations += 1;
            self.allocated[f] += offer;
            if launched == 0 {
                self.declined[slot(f)] = true;
            }
            let refuse = self.frameworks[f].refuse;
            self.filters[slot(f)] = (refuse > SimDuration::ZERO).then_some(RefuseFilter { refused: offer, until: now + refuse });
        }
        // Idle: nothing launched, and every framework with tasks has declined
        // every agent with resources at this cluster state.
        self.idle = out.len() == launched_before && {
            let with_demand: Vec<usize> = (0..nf).filter(|&f| self.has_demand(f, pending)).collect();
            agents.iter().all(|&a| {
                let node = view.node(NodeId(a));
                !offerable(&node.free(), node) || with_demand.iter().all(|&f| self.declined[f * na + a as usize])
            })
        };
        self.agents = agents;
    }

    fn idle(&self) -> bool {
        self.idle
    }
}

impl Scheduler for Mesos {
    fn name(&self) -> &'static str {
        "mesos-drf"
    }

    /// A single pod outside the offer cycle (the simulation never calls this
    /// for `mesos-drf`; it is here for code that drives schedulers by hand):
    /// one allocation cycle with that pod alone pending.
    fn schedule(&mut self, pod: &Pod, view: &ClusterView<'_>) -> Placement {
        let mut pending = PendingTasks::default();
        pending.push(pod.workload, pod.id);
        let mut out = Vec::new();
        self.allocate(&pending, view, &mut out);
        match out.first() {
            Some(&(_, node)) => Placement::Bind(node),
            None => Placement::Unschedulable(Default::default()),
        }
    }

    fn offers(&mut self) -> Option<&mut dyn OfferScheduler> {
        Some(self)
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

    #[test]
    fn the_second_agent_goes_to_the_framework_lowest_after_the_first_offer() {
        // Two agents; framework `a`'s task fits only the big one, `b`'s either.
        // Whichever agent comes first goes to `a` (equal shares, name order).
        // If it is the small one, `a` declines it, but it held the whole agent
        // for the cycle: the big one goes to `b`. Either way `b` launches.
        let names = vec!["a".to_string(), "b".to_string()];
        let mut firsts = [0u32; 2];
        for seed in 0..32 {
            let c = {
                let nodes = vec![node(4000, 2 * GI), node(4000, 16 * GI)];
                let image = ImageSpec { name: "v:1".into(), size_bytes: 1 };
                let mut c = Cluster::new(nodes, vec![image.clone(), image]);
                let mut big = pod(0, 1000, 8 * GI);
                big.workload = 0;
                c.submit(big);
                let mut small = pod(1, 1000, GI);
                small.workload = 1;
                c.submit(small);
                c
            };
            let params = MesosParams { workload_names: names.clone(), ..MesosParams::default() };
            let mut mesos = Mesos::new(&params, stream_rng(seed, 0, StreamId::SCHEDULER));
            let mut pending = PendingTasks::default();
            pending.push(0, PodId(0));
            pending.push(1, PodId(1));
            let mut out = Vec::new();
            mesos.allocate(&pending, &ClusterView::new(&c, SimTime::ZERO), &mut out);
            assert!(out.iter().any(|&(p, _)| p == PodId(1)), "seed {seed}: b launched nothing: {out:?}");
            firsts[usize::from(out.iter().any(|&(p, _)| p == PodId(0)))] += 1;
            // Both frameworks got one offer each.
            assert_eq!(mesos.frameworks.iter().map(|f| f.allocations).collect::<Vec<_>>(), [1, 1], "seed {seed}");
        }
        // Both orders occurred: `a` declined the small agent first in some.
        assert!(firsts.iter().all(|&n| n > 0), "{firsts:?}");
    }
}
