//! Offer-based (two-level) scheduling, as in Apache Mesos.
//!
//! A per-pod scheduler ([`Scheduler::schedule`](super::Scheduler::schedule))
//! is asked about one pod at a time from kube-scheduler's queue. A two-level
//! system works the other way round: every allocation interval a central
//! allocator offers free node resources to frameworks, and each framework
//! launches tasks from its own queue on what it was offered. A policy of that
//! kind implements [`OfferScheduler`] and returns itself from
//! [`Scheduler::offers`](super::Scheduler::offers); the simulation then keeps
//! pending pods in [`PendingTasks`] (one FIFO per workload class, no backoff)
//! and runs one allocation cycle per interval while pods wait.

use std::collections::VecDeque;

use super::ClusterView;
use crate::model::{Cluster, NodeId, PodId};
use crate::time::SimDuration;

/// Pending pods of each workload class, oldest first: the frameworks' queues.
#[derive(Clone, Debug, Default)]
pub struct PendingTasks {
    queues: Vec<VecDeque<PodId>>,
    len: usize,
}

impl PendingTasks {
    /// Appends `pod` of workload class `workload` to its queue.
    pub fn push(&mut self, workload: u32, pod: PodId) {
        let w = workload as usize;
        if w >= self.queues.len() {
            self.queues.resize_with(w + 1, VecDeque::new);
        }
        self.queues[w].push_back(pod);
        self.len += 1;
    }

    /// The queue of workload class `workload` (empty if it never had pods).
    pub fn queue(&self, workload: u32) -> &VecDeque<PodId> {
        static EMPTY: VecDeque<PodId> = VecDeque::new();
        self.queues.get(workload as usize).unwrap_or(&EMPTY)
    }

    /// Number of workload classes that ever had a pod queued here.
    pub fn workloads(&self) -> u32 {
        self.queues.len() as u32
    }

    /// Pods waiting, over all queues.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no pod waits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Takes one pod out of its queue, if it is there (a pending replica
    /// scaled away).
    pub fn remove_pod(&mut self, workload: u32, pod: PodId) {
        if let Some(q) = self.queues.get_mut(workload as usize) {
            let before = q.len();
            q.retain(|&p| p != pod);
            self.len -= before - q.len();
        }
    }

    /// Takes the `placed` pods out of their queues. Frameworks usually launch
    /// from the front of a queue, so that case costs O(placed); any other
    /// order falls back to a scan of the queues concerned.
    pub fn remove(&mut self, placed: &[(PodId, NodeId)], cluster: &Cluster) {
        let mut stragglers = Vec::new();
        for &(pod, _) in placed {
            let q = &mut self.queues[cluster.pod(pod).workload as usize];
            if q.front() == Some(&pod) {
                q.pop_front();
            } else {
                stragglers.push(pod);
            }
        }
        if !stragglers.is_empty() {
            stragglers.sort_unstable();
            let mut workloads: Vec<u32> = stragglers.iter().map(|&p| cluster.pod(p).workload).collect();
            workloads.sort_unstable();
            workloads.dedup();
            for w in workloads {
                self.queues[w as usize].retain(|p| stragglers.binary_search(p).is_err());
            }
        }
        self.len -= placed.len();
    }
}

/// A two-level scheduler: the simulation calls [`allocate`](Self::allocate)
/// once per [`allocation_interval`](Self::allocation_interval) while pods wait.
pub trait OfferScheduler: Send {
    /// Time between allocation cycles (Mesos `--allocation_interval`).
    fn allocation_interval(&self) -> SimDuration;

    /// One allocation cycle at `view.now()`: offers, and the tasks frameworks
    /// launch on them, appended to `out` as (pod, node) in launch order. Every
    /// pod must come from `pending`, and together they must fit their nodes.
    fn allocate(&mut self, pending: &PendingTasks, view: &ClusterView<'_>, out: &mut Vec<(PodId, NodeId)>);

    /// Whether the last cycle showed that further cycles cannot launch
    /// anything until the cluster or the queues change (every framework with
    /// tasks has declined every node with resources). The simulation then stops
    /// ticking until something changes, instead of idling every interval.
    fn idle(&self) -> bool;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::node::tests_support::node;
    use crate::model::pod::tests_support::pod;

    #[test]
    fn a_single_pod_leaves_its_queue_and_the_count() {
        let mut pending = PendingTasks::default();
        for i in 0..3 {
            pending.push(1, PodId(i));
        }
        pending.remove_pod(1, PodId(1));
        pending.remove_pod(1, PodId(7));
        pending.remove_pod(5, PodId(0));
        assert_eq!(pending.queue(1).iter().copied().collect::<Vec<_>>(), vec![PodId(0), PodId(2)]);
        assert_eq!(pending.len(), 2, "absent pods and unknown workloads change nothing");
    }

    #[test]
    fn removal_handles_fronts_and_pods_from_the_middle() {
        let image = crate::model::ImageSpec { name: "a:1".into(), size_bytes: 1 };
        let mut c = Cluster::new(vec![node(4000, 1 << 30)], vec![image.clone(), image]);
        let mut pending = PendingTasks::default();
        for i in 0..6u32 {
            let mut p = pod(i, 100, 1 << 20);
            p.workload = i % 2;
            c.submit(p);
            pending.push(i % 2, PodId(i));
        }
        // Workload 0 holds 0, 2, 4; workload 1 holds 1, 3, 5. Take 0 (a
        // front), 3 (middle of 1) and 4 (end of 0).
        let n = NodeId(0);
        pending.remove(&[(PodId(0), n), (PodId(3), n), (PodId(4), n)], &c);
        assert_eq!(pending.len(), 3);
        assert_eq!(pending.queue(0).iter().copied().collect::<Vec<_>>(), vec![PodId(2)]);
        assert_eq!(pending.queue(1).iter().copied().collect::<Vec<_>>(), vec![PodId(1), PodId(5)]);
        assert!(pending.queue(7).is_empty());
    }
}
