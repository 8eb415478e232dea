//! Borg (Verma et al., EuroSys'15; semantics.md §8).
//!
//! * **Priority bands**, high to low: monitoring, production, batch,
//!   best-effort, from the pod's priority and the band thresholds below.
//!   Monitoring and production together are "prod".
//! * **Feasibility** counts the resources of lower-priority tasks on a machine
//!   as available, since they can be preempted, except that prod never
//!   preempts prod.
//! * **Preemption** takes victims from the lowest priority upward (latest
//!   started first within a priority) until the task fits; victims are
//!   re-queued, not migrated.
//! * **Scoring** prefers machines needing no preemption, then fewer and
//!   lower-priority victims, then the packing mode: `best-fit` (tightest),
//!   `worst-fit` (most room left, E-PVM-like spreading), or `hybrid` (the
//!   default), which minimizes *stranded* resources: the imbalance between the
//!   fractions of CPU and memory left, i.e. capacity that cannot be used
//!   because the other resource runs out first; ties go to best fit.
//! * **Equivalence classes**: once a task fails, identical tasks (same
//!   requests, priority and tolerations) fail without a rescan until the
//!   cluster changes.
//!
//! * **Pending queue**: scanned high to low priority, round-robin between jobs
//!   within a priority ([`QueueSort::RoundRobin`](crate::scheduling_queue::QueueSort)).
//!
//! Not modelled yet: relaxed randomization (every machine is examined) and
//! package-locality scoring.

use std::cmp::Reverse;

use serde::{Deserialize, Serialize};

use super::filter::{check, check_except_resources, FilterCounts};
use super::{ClusterView, Placement, Scheduler};
use crate::model::{Node, NodeId, Pod, PodId, Resources};

/// How feasible machines are ranked after preemption cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BorgScoring {
    /// Tightest fit.
    BestFit,
    /// Most room left (spreads load, fragments).
    WorstFit,
    /// Least stranded resources, then tightest fit.
    #[default]
    Hybrid,
}

/// Parameters of the `borg` scheduler.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BorgParams {
    /// Packing mode.
    pub scoring: BorgScoring,
    /// Lowest priority of the monitoring band.
    pub monitoring_priority: i32,
    /// Lowest priority of the production band.
    pub production_priority: i32,
    /// Lowest priority of the batch band; anything below is best-effort.
    pub batch_priority: i32,
    /// Whether tasks may preempt lower-priority ones.
    pub preemption: bool,
}

impl Default for BorgParams {
    fn default() -> Self {
        BorgParams {
            scoring: BorgScoring::Hybrid,
            monitoring_priority: 10_000,
            production_priority: 1_000,
            batch_priority: 0,
            preemption: true,
        }
    }
}

impl BorgParams {
    pub(crate) fn validate(&self) -> Vec<(String, String)> {
        if self.batch_priority <= self.production_priority && self.production_priority <= self.monitoring_priority {
            Vec::new()
        } else {
            vec![("batch_priority".into(), "bands must be ordered: batch_priority ≤ production_priority ≤ monitoring_priority".into())]
        }
    }
}

/// Borg's priority bands, low to high.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Band {
    /// Best-effort ("free", testing).
    BestEffort,
    /// Batch.
    Batch,
    /// Production.
    Production,
    /// Monitoring.
    Monitoring,
}

impl BorgParams {
    /// The band of `priority`.
    pub fn band(&self, priority: i32) -> Band {
        if priority >= self.monitoring_priority {
            Band::Monitoring
        } else if priority >= self.production_priority {
            Band::Production
        } else if priority >= self.batch_priority {
            Band::Batch
        } else {
            Band::BestEffort
        }
    }

    /// Whether a task of `priority` may preempt one of `victim`: only lower
    /// priorities, and prod (production or monitoring) never preempts prod.
    pub fn may_preempt(&self, priority: i32, victim: i32) -> bool {
        victim < self.preemptible_below(priority)
    }

    /// A task of `priority` may preempt exactly the tasks below this
    /// priority: its own for the lower bands; for prod, the lowest prod
    /// priority (both band bounds count, since a band is the highest whose
    /// bound the priority reaches). A threshold, so that the per-priority
    /// sums of a machine tell at once what preemption could free there.
    pub fn preemptible_below(&self, priority: i32) -> i32 {
        if self.band(priority) >= Band::Production {
            priority.min(self.production_priority).min(self.monitoring_priority)
        } else {
            priority
        }
    }
}

/// Fractions of CPU and memory left on `node` after taking `freed` back from
/// victims and placing `request`.
fn left_fractions(node: &Node, freed: Resources, request: Resources) -> [f64; 2] {
    let free = node.free() + freed;
    let f = |free: u64, req: u64, cap: u64| if cap == 0 { 0.0 } else { free.saturating_sub(req) as f64 / cap as f64 };
    [
        f(free.cpu_milli, request.cpu_milli, node.allocatable.cpu_milli),
        f(free.memory_bytes, request.memory_bytes, node.allocatable.memory_bytes),
    ]
}

/// Stranded resources: `|left_cpu − left_mem|`, the share of the more plentiful
/// resource that cannot be used once the scarcer one is exhausted.
pub fn stranded(left: [f64; 2]) -> f64 {
    (left[0] - left[1]).abs()
}

/// The `borg` scheduler.
pub struct Borg {
    params: BorgParams,
    /// Victims of the node being examined and of the best one so far.
    victims: Vec<PodId>,
    best_victims: Vec<PodId>,
    /// Equivalence class of the last task that failed, with the cluster
    /// version then and its filter counts.
    failed: Option<(u64, Resources, i32, usize, FilterCounts)>,
}

impl Borg {
    /// A Borg scheduler with `params`.
    pub fn new(params: BorgParams) -> Self {
        Borg { params, victims: Vec::new(), best_victims: Vec::new(), failed: None }
    }

    /// Fills `self.victims` with the fewest preemptible pods, lowest priority
    /// first, that make room for `pod` on `node`; `false` if no set does.
    fn victims_for(&mut self, pod: &Pod, id: NodeId, view: &ClusterView<'_>) -> bool {
        self.victims.clear();
        let node = view.node(id);
        if !self.params.preemption || !check_except_resources(pod, node) {
            return false;
        }
        let cluster = view.cluster();
        // The loop below only adds victims, so if taking all of them is not
        // enough no set is: tested first on the machine's per-priority sums,
        // which most machines of a full cluster fail, before gathering and
        // sorting their tasks.
        let (freed, preemptible) = cluster.priority_usage(id).below(self.params.preemptible_below(pod.priority));
        let (free, slots) = (node.free(), node.max_pods.saturating_sub(node.pod_count));
        if preemptible == 0 || !(pod.requests.fits_in(&(free + freed)) && slots + preemptible > 0) {
            return false;
        }
        self.victims
            .extend(view.cluster().pods_on(id).iter().copied().filter(|&v| self.params.may_preempt(pod.priority, cluster.pod(v).priority)));
        self.victims.sort_by_key(|&v| {
            let p = cluster.pod(v);
            (p.priority, Reverse(p.started), v)
        });
        let (mut free, mut slots) = (free, slots);
        for (i, &v) in self.victims.iter().enumerate() {
            free += cluster.pod(v).requests;
            slots += 1;
            if pod.requests.fits_in(&free) && slots > 0 {
                self.victims.truncate(i + 1);
                return true;
            }
        }
        false
    }
}

impl Scheduler for Borg {
    fn name(&self) -> &'static str {
        "borg"
    }

    /// "The scheduler scans the pending queue from high to low priority,
    /// modulated by a round-robin scheme within a priority to ensure fairness
    /// across users" (Verma et al. §3.2): jobs take turns.
    fn queue_sort(&self) -> crate::scheduling_queue::QueueSort {
        crate::scheduling_queue::QueueSort::RoundRobin
    }

    fn schedule(&mut self, pod: &Pod, view: &ClusterView<'_>) -> Placement {
        let class = (view.cluster().version(), pod.requests, pod.priority, std::sync::Arc::as_ptr(&pod.tolerations) as *const () as usize);
        if let Some((version, requests, priority, tolerations, counts)) = self.failed {
            if (version, requests, priority, tolerations) == class {
                return Placement::Unschedulable(counts);
            }
        }
        let mut counts = FilterCounts::default();
        // (no preemption, fewer/lower victims, packing score): higher is better.
        type Key = (bool, Reverse<i32>, Reverse<usize>, f64, f64);
        let mut best: Option<(Key, NodeId)> = None;
        for (i, node) in view.nodes().iter().enumerate() {
            let id = NodeId(i as u32);
            let r = check(pod, node);
            let freed = if r.is_none() {
                self.victims.clear();
                Resources::ZERO
            } else if node.schedulable() && self.victims_for(pod, id, view) {
                self.victims.iter().fold(Resources::ZERO, |acc, &v| acc + view.cluster().pod(v).requests)
            } else {
                counts.record(r);
                continue;
            };
            let left = left_fractions(node, freed, pod.requests);
            let leftover = left[0] + left[1];
            let (primary, secondary) = match self.params.scoring {
                BorgScoring::BestFit => (-leftover, 0.0),
                BorgScoring::WorstFit => (leftover, 0.0),
                BorgScoring::Hybrid => (-stranded(left), -leftover),
            };
            let top_victim = self.victims.iter().map(|&v| view.cluster().pod(v).priority).max().unwrap_or(i32::MIN);
            let key: Key = (self.victims.is_empty(), Reverse(top_victim), Reverse(self.victims.len()), primary, secondary);
            if best.as_ref().is_none_or(|(b, _)| key > *b) {
                best = Some((key, id));
                std::mem::swap(&mut self.best_victims, &mut self.victims);
            }
        }
        match best {
            Some((_, node)) if self.best_victims.is_empty() => Placement::Bind(node),
            Some((_, node)) => Placement::Preempt { node, victims: std::mem::take(&mut self.best_victims) },
            None => {
                self.failed = Some((class.0, class.1, class.2, class.3, counts));
                Placement::Unschedulable(counts)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::node::tests_support::node;
    use crate::model::pod::tests_support::pod;
    use crate::model::{Cluster, ImageSpec};
    use crate::time::SimTime;

    const GI: u64 = 1 << 30;

    /// Nodes of 4 CPU / 16 GiB; `running[n]` = (priority, cpu millis) of pods bound to node n.
    fn cluster(running: &[&[(i32, u64)]]) -> Cluster {
        let nodes = running.iter().map(|_| node(4000, 16 * GI)).collect();
        let image = ImageSpec { name: "a:1".into(), size_bytes: 1 };
        let mut c = Cluster::new(nodes, vec![image.clone(), image]);
        for (n, pods) in running.iter().enumerate() {
            for &(priority, cpu) in pods.iter() {
                let id = c.pods.len() as u32;
                let mut p = pod(id, cpu, GI);
                p.priority = priority;
                c.submit(p);
                c.bind(PodId(id), NodeId(n as u32), SimTime::ZERO);
            }
        }
        c
    }

    fn decide(c: &Cluster, priority: i32, cpu: u64) -> Placement {
        let mut p = pod(999, cpu, GI);
        p.priority = priority;
        Borg::new(BorgParams::default()).schedule(&p, &ClusterView::new(c, SimTime::ZERO))
    }

    #[test]
    fn production_preempts_batch_lowest_priority_first() {
        // Node full: batch pods of priority 10 (1 CPU), 5 (1 CPU), 50 (2 CPU).
        let c = cluster(&[&[(10, 1000), (5, 1000), (50, 2000)]]);
        assert_eq!(decide(&c, 1000, 1000), Placement::Preempt { node: NodeId(0), victims: vec![PodId(1)] });
        // Needing 2 CPUs takes the two lowest.
        assert_eq!(decide(&c, 1000, 2000), Placement::Preempt { node: NodeId(0), victims: vec![PodId(1), PodId(0)] });
    }

    #[test]
    fn prod_never_preempts_prod() {
        let c = cluster(&[&[(1000, 4000)]]);
        assert!(matches!(decide(&c, 5000, 1000), Placement::Unschedulable(_)));
        // A batch task of higher priority than a best-effort one may preempt it.
        let c = cluster(&[&[(-1, 4000)]]);
        assert_eq!(decide(&c, 0, 1000), Placement::Preempt { node: NodeId(0), victims: vec![PodId(0)] });
        // Equal priority never preempts.
        let c = cluster(&[&[(0, 4000)]]);
        assert!(matches!(decide(&c, 0, 1000), Placement::Unschedulable(_)));
    }

    #[test]
    fn the_preemption_threshold_is_the_band_rule() {
        // Lower priorities only, and prod never preempts prod: as a threshold,
        // for the default bands, bands of one priority each, and (unvalidated)
        // misordered ones.
        let bands = [(0, 1000, 10_000), (0, 1, 2), (5, 20, 10)];
        for (batch_priority, production_priority, monitoring_priority) in bands {
            let b = BorgParams { batch_priority, production_priority, monitoring_priority, ..BorgParams::default() };
            let prod = |p: i32| b.band(p) >= Band::Production;
            let around = [-3, 0, 1, 2, 3, 4, 5, 6, 9, 10, 11, 19, 20, 21, 999, 1000, 1001, 9999, 10_000, 10_001];
            for p in around {
                for v in around {
                    assert_eq!(b.may_preempt(p, v), v < p && !(prod(p) && prod(v)), "bands {bands:?}, {p} over {v}");
                }
            }
        }
    }

    #[test]
    fn machines_without_preemption_come_first() {
        let c = cluster(&[&[(0, 4000)], &[(0, 3000)]]);
        assert_eq!(decide(&c, 1000, 1000), Placement::Bind(NodeId(1)));
    }

    #[test]
    fn hybrid_avoids_stranding_where_best_fit_packs() {
        // Placing 1 CPU / 1 GiB on 4 CPU / 16 GiB nodes. Node 0 (3 CPU, 1 GiB
        // used) is left with cpu 0 %, mem 87.5 %: tightest (0.875 left in all)
        // but 87.5 % of its memory is stranded. Node 1 (1 CPU, 1 GiB used) is
        // left with cpu 50 %, mem 87.5 %: more room (1.375), only 37.5 % stranded.
        let c = cluster(&[&[(0, 3000)], &[(0, 1000)]]);
        let mut p = pod(999, 1000, GI);
        p.priority = 0;
        let view = ClusterView::new(&c, SimTime::ZERO);
        let params = |scoring| BorgParams { scoring, ..BorgParams::default() };
        assert_eq!(Borg::new(params(BorgScoring::BestFit)).schedule(&p, &view), Placement::Bind(NodeId(0)));
        assert_eq!(Borg::new(params(BorgScoring::Hybrid)).schedule(&p, &view), Placement::Bind(NodeId(1)));
        assert_eq!(stranded([0.0, 0.875]), 0.875);
    }

    #[test]
    fn identical_tasks_fail_fast_until_the_cluster_changes() {
        let c = cluster(&[&[(1000, 4000)]]);
        let mut b = Borg::new(BorgParams::default());
        let view = ClusterView::new(&c, SimTime::ZERO);
        let first = b.schedule(&pod(1, 1000, GI), &view);
        assert!(matches!(first, Placement::Unschedulable(_)));
        assert!(b.failed.is_some());
        assert_eq!(b.schedule(&pod(2, 1000, GI), &view), first);
    }

    #[test]
    fn preemption_can_be_turned_off_and_bands_must_be_ordered() {
        let c = cluster(&[&[(0, 4000)]]);
        let mut p = pod(999, 1000, GI);
        p.priority = 1000;
        let view = ClusterView::new(&c, SimTime::ZERO);
        let off = BorgParams { preemption: false, ..BorgParams::default() };
        assert!(matches!(Borg::new(off).schedule(&p, &view), Placement::Unschedulable(_)));
        assert!(matches!(Borg::new(BorgParams::default()).schedule(&p, &view), Placement::Preempt { .. }));
        assert!(BorgParams::default().validate().is_empty());
        let crossed = BorgParams { production_priority: 20_000, ..BorgParams::default() };
        assert_eq!(crossed.validate()[0].0, "batch_priority");
    }
}
