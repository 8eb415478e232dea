//! kube-scheduler's scheduling queue: activeQ, backoffQ and unschedulable pods.
//!
//! semantics.md §1 (`scheduling_queue.go`, `backoff_queue.go`):
//!
//! * **activeQ** pops by priority (higher first), then by the time the pod was
//!   last queued (earlier first) — the PrioritySort plugin.
//! * A pod that fails goes to **unschedulable**. A cluster event that may make
//!   it schedulable (a pod on some node finishing, a node added) moves it out:
//!   to **backoffQ** if it is still backing off, else to activeQ.
//! * Backoff after *n* attempts is `1 s · 2^(n−1)`, capped at 10 s; backoffQ is
//!   flushed every 1 s.
//! * Pods unschedulable for more than 5 min are moved anyway (checked every 30 s).
//!
//! The queue never retries a pod in a busy loop: a failed pod waits for an event
//! that concerns it or for the 5-minute flush.
//!
//! Borg scans its pending queue "high to low priority, round-robin within a
//! priority" (semantics.md §8): with [`QueueSort::RoundRobin`], pods of equal
//! priority take turns by job instead of queueing by time.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::ops::Bound::{Excluded, Unbounded};

use crate::model::{PodId, Resources};
use crate::time::{SimDuration, SimTime};

/// Queue timings, with kube-scheduler's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueTimings {
    /// `podInitialBackoffSeconds` (1 s).
    pub initial_backoff: SimDuration,
    /// `podMaxBackoffSeconds` (10 s).
    pub max_backoff: SimDuration,
    /// How often backoffQ is flushed (1 s).
    pub backoff_flush_interval: SimDuration,
    /// How long a pod may stay unschedulable before it is retried anyway (5 min).
    pub unschedulable_timeout: SimDuration,
    /// How often that timeout is checked (30 s).
    pub unschedulable_flush_interval: SimDuration,
}

impl Default for QueueTimings {
    fn default() -> Self {
        QueueTimings {
            initial_backoff: SimDuration::from_secs(1),
            max_backoff: SimDuration::from_secs(10),
            backoff_flush_interval: SimDuration::from_secs(1),
            unschedulable_timeout: SimDuration::from_secs(300),
            unschedulable_flush_interval: SimDuration::from_secs(30),
        }
    }
}

/// The minimum request when no pod is parked: larger than any request.
const NO_PARKED_PODS: Resources = Resources { cpu_milli: u64::MAX, memory_bytes: u64::MAX, gpu: u64::MAX };

/// Backoff after `attempts` failed attempts: 0 for none, then
/// `initial · 2^(attempts−1)` capped at `max` (`calculateBackoffDuration`).
pub fn backoff_duration(attempts: u32, initial: SimDuration, max: SimDuration) -> SimDuration {
    if attempts == 0 {
        return SimDuration::ZERO;
    }
    let mut d = initial;
    for _ in 1..attempts {
        d = d.saturating_mul(2);
        if d > max {
            return max;
        }
    }
    d.min(max)
}

/// How activeQ orders pods of equal priority.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum QueueSort {
    /// By the time they were queued (kube-scheduler's PrioritySort).
    #[default]
    PrioritySort,
    /// Jobs take turns (Borg): start-time fair queuing, where each pod gets
    /// the next round of its job, and a job that joins starts at the round
    /// being served at its priority (that of the last pod bound there), so it
    /// neither jumps the queue nor waits for the jobs already there to drain.
    RoundRobin,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Queued {
    pod: PodId,
    priority: i32,
    /// Turn within the priority (always 0 under PrioritySort).
    round: u32,
    /// When the pod was last queued (PrioritySort's timestamp).
    timestamp: SimTime,
    /// Failed attempts so far.
    attempts: u32,
    seq: u64,
}

impl Queued {
    fn backoff_expiry(&self, t: &QueueTimings) -> SimTime {
        self.timestamp + backoff_duration(self.attempts, t.initial_backoff, t.max_backoff)
    }
}

/// activeQ order: priority desc, timestamp asc, then insertion order.
struct Active(Queued);

impl PartialEq for Active {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Active {}
impl PartialOrd for Active {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Active {
    fn cmp(&self, o: &Self) -> Ordering {
        // BinaryHeap pops the greatest: higher priority, then earlier round,
        // then earlier time, then lower seq.
        self.0
            .priority
            .cmp(&o.0.priority)
            .then_with(|| o.0.round.cmp(&self.0.round))
            .then_with(|| o.0.timestamp.cmp(&self.0.timestamp))
            .then_with(|| o.0.seq.cmp(&self.0.seq))
    }
}

/// `move_for_freed_node` visits the parked pods by groups of equal requests
/// only when the groups are this many times fewer than the pods (traces,
/// where thousands of tasks share a shape); otherwise it walks the pods. Both
/// take the same pods in the same order.
const GROUPED_MOVE_MIN_SHARING: usize = 4;

/// The key of a parked pod: (priority, highest first; then round, then failure order).
type ParkedKey = (Reverse<i32>, u32, u64);

/// The three sub-queues of kube-scheduler's `PriorityQueue`.
pub struct SchedulingQueue {
    timings: QueueTimings,
    active: BinaryHeap<Active>,
    /// (expiry, seq) of the pods in `backoff_entries`, earliest first.
    backoff: BinaryHeap<Reverse<(SimTime, u64)>>,
    backoff_entries: BTreeMap<u64, Queued>,
    /// Keyed by (priority, highest first; then round, then failure order).
    /// With each pod's requests, as parked.
    unschedulable: BTreeMap<ParkedKey, (Queued, Resources)>,
    /// The keys of `unschedulable` by the pods' requests, so a move visits
    /// only the pods that fit (see `move_for_freed_node`).
    parked_by_requests: BTreeMap<Resources, BTreeSet<ParkedKey>>,
    /// Reused by the moves, so a cluster event allocates nothing.
    scratch: Vec<ParkedKey>,
    /// Reused by `move_for_freed_node`: per group of requests that fit, its
    /// next parked key, smallest first.
    next_of_group: BinaryHeap<Reverse<(ParkedKey, Resources)>>,
    /// Per resource, at most the smallest request among parked pods (stale
    /// values are only ever too small, which costs a longer scan, never a
    /// missed pod). Lets a move stop as soon as nothing more could fit.
    min_parked_request: Resources,
    next_seq: u64,
    sort: QueueSort,
    /// RoundRobin: each job's next round, each pod's round, and the latest
    /// round popped at each priority.
    /// (A map: services number their job from `u32::MAX` down.)
    job_round: BTreeMap<u32, u32>,
    pod_round: Vec<u32>,
    served_round: BTreeMap<i32, u32>,
}

impl SchedulingQueue {
    /// An empty queue ordering equal priorities by `sort`.
    pub fn new(timings: QueueTimings, sort: QueueSort) -> Self {
        SchedulingQueue {
            timings,
            active: BinaryHeap::new(),
            backoff: BinaryHeap::new(),
            backoff_entries: BTreeMap::new(),
            unschedulable: BTreeMap::new(),
            parked_by_requests: BTreeMap::new(),
            scratch: Vec::new(),
            next_of_group: BinaryHeap::new(),
            min_parked_request: NO_PARKED_PODS,
            next_seq: 0,
            sort,
            job_round: BTreeMap::new(),
            pod_round: Vec::new(),
            served_round: BTreeMap::new(),
        }
    }

    /// The round of a pod of `job` joining at `priority`: 0 under
    /// PrioritySort; under RoundRobin the job's next turn, no earlier than
    /// the round being served.
    fn assign_round(&mut self, pod: PodId, priority: i32, job: u32) -> u32 {
        if self.sort == QueueSort::PrioritySort {
            return 0;
        }
        let p = pod.index();
        if p >= self.pod_round.len() {
            self.pod_round.resize(p + 1, 0);
        }
        let served = self.served_round.get(&priority).copied().unwrap_or(0);
        let next = self.job_round.entry(job).or_insert(0);
        let round = (*next).max(served);
        *next = round + 1;
        self.pod_round[p] = round;
        round
    }

    fn round_of(&self, pod: PodId) -> u32 {
        self.pod_round.get(pod.index()).copied().unwrap_or(0)
    }

    /// The timings in force.
    pub fn timings(&self) -> &QueueTimings {
        &self.timings
    }

    fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// Adds a pod of `job` that needs a node (new, or preempted) to activeQ.
    pub fn add(&mut self, pod: PodId, priority: i32, job: u32, now: SimTime) {
        let seq = self.seq();
        let round = self.assign_round(pod, priority, job);
        self.active.push(Active(Queued { pod, priority, round, timestamp: now, attempts: 0, seq }));
    }

    /// Pops the next pod to try, with its attempt count so far.
    pub fn pop(&mut self) -> Option<(PodId, u32)> {
        self.active.pop().map(|Active(q)| (q.pod, q.attempts))
    }

    /// Records that a popped pod got a node: under RoundRobin its round is
    /// now being served at its priority (failed attempts do not advance it,
    /// so a job joining behind parked pods still gets its turn).
    pub fn scheduled(&mut self, pod: PodId, priority: i32) {
        if self.sort == QueueSort::RoundRobin {
            let round = self.round_of(pod);
            let served = self.served_round.entry(priority).or_insert(0);
            *served = (*served).max(round);
        }
    }

    /// Parks a pod whose attempt just failed (its `attempts` include this one).
    pub fn add_unschedulable(&mut self, pod: PodId, priority: i32, requests: Resources, attempts: u32, now: SimTime) {
        let m = &mut self.min_parked_request;
        *m = Resources {
            cpu_milli: m.cpu_milli.min(requests.cpu_milli),
            memory_bytes: m.memory_bytes.min(requests.memory_bytes),
            gpu: m.gpu.min(requests.gpu),
        };
        let seq = self.seq();
        let round = self.round_of(pod);
        let q = Queued { pod, priority, round, timestamp: now, attempts, seq };
        let key = (Reverse(priority), round, seq);
        self.unschedulable.insert(key, (q, requests));
        self.parked_by_requests.entry(requests).or_default().insert(key);
    }

    fn requeue(&mut self, q: Queued, now: SimTime) {
        let expiry = q.backoff_expiry(&self.timings);
        if expiry > now {
            self.backoff.push(Reverse((expiry, q.seq)));
            self.backoff_entries.insert(q.seq, q);
        } else {
            self.active.push(Active(q));
        }
    }

    /// Moves the parked pods whose keys are in `scratch` to backoffQ or activeQ.
    fn requeue_scratch(&mut self, now: SimTime) -> usize {
        let keys = std::mem::take(&mut self.scratch);
        for key in &keys {
            let (q, requests) = self.unschedulable.remove(key).expect("collected from the map");
            let group = self.parked_by_requests.get_mut(&requests).expect("every parked pod has a group");
            group.remove(key);
            if group.is_empty() {
                self.parked_by_requests.remove(&requests);
            }
            self.requeue(q, now);
        }
        let moved = keys.len();
        self.scratch = keys;
        self.scratch.clear();
        if self.unschedulable.is_empty() {
            self.min_parked_request = NO_PARKED_PODS;
        }
        moved
    }

    /// A pod finished on one node, freeing resources there and nowhere else:
    /// only pods that now fit *that* node can have become schedulable
    /// (kube-scheduler's QueueingHint for NodeResourcesFit), and only as many
    /// as the freed capacity can take. Walking the parked pods highest
    /// priority first, a pod is moved (to backoffQ or activeQ) when its
    /// requests (as parked) fit in what is left of `free` and `pod_slots` and
    /// `eligible` says the node passes its other filters, such as taints
    /// (asked only of pods that fit: reading a pod costs more than the fit).
    /// Pods beyond that would fail again, so they stay parked: no retry
    /// storm. Returns how many moved.
    ///
    /// The walk visits only the pods whose requests fit: with up to ~99 k
    /// pods parked in the full Google replay and each completion freeing
    /// little, walking them all was most of the run. The parked pods are
    /// grouped by requests; the groups that fit `free` each offer their
    /// next key, and the smallest is taken: the pods that fit, in key order.
    /// A group that no longer fits what is left never fits again (`free`
    /// only shrinks), as in the walk over every pod.
    pub fn move_for_freed_node(
        &mut self,
        now: SimTime,
        mut free: Resources,
        mut pod_slots: u32,
        mut eligible: impl FnMut(PodId) -> bool,
    ) -> usize {
        // With few pods sharing requests (drawn workloads), the groups are as
        // many as the pods and setting them up costs more than the walk.
        if self.parked_by_requests.len() * GROUPED_MOVE_MIN_SHARING > self.unschedulable.len() {
            for (key, (q, requests)) in &self.unschedulable {
                if pod_slots == 0 || !self.min_parked_request.fits_in(&free) {
                    break;
                }
                if requests.fits_in(&free) && eligible(q.pod) {
                    free -= *requests;
                    pod_slots -= 1;
                    self.scratch.push(*key);
                }
            }
            return self.requeue_scratch(now);
        }
        let next = &mut self.next_of_group;
        next.clear();
        if pod_slots > 0 && self.min_parked_request.fits_in(&free) {
            let cpu_fits = Resources { cpu_milli: free.cpu_milli, memory_bytes: u64::MAX, gpu: u64::MAX };
            for (requests, keys) in self.parked_by_requests.range(..=cpu_fits) {
                if let (true, Some(&first)) = (requests.fits_in(&free), keys.first()) {
                    next.push(Reverse((first, *requests)));
                }
            }
        }
        while pod_slots > 0 {
            let Some(Reverse((key, requests))) = next.pop() else { break };
            if !requests.fits_in(&free) {
                continue;
            }
            if eligible(self.unschedulable[&key].0.pod) {
                free -= requests;
                pod_slots -= 1;
                self.scratch.push(key);
            }
            if let Some(&after) = self.parked_by_requests[&requests].range((Excluded(key), Unbounded)).next() {
                next.push(Reverse((after, requests)));
            }
        }
        self.requeue_scratch(now)
    }

    /// Any other cluster event that may help every parked pod (a node added,
    /// say): moves them all.
    pub fn move_all(&mut self, now: SimTime) -> usize {
        self.scratch.extend(self.unschedulable.keys().copied());
        self.requeue_scratch(now)
    }

    /// The 1 s flush: pods whose backoff expired go to activeQ.
    pub fn flush_backoff(&mut self, now: SimTime) -> usize {
        let mut moved = 0;
        while let Some(Reverse((expiry, seq))) = self.backoff.peek().copied() {
            if expiry > now {
                break;
            }
            self.backoff.pop();
            let q = self.backoff_entries.remove(&seq).expect("backoff entry");
            self.active.push(Active(q));
            moved += 1;
        }
        moved
    }

    /// The 30 s flush: pods unschedulable for longer than the timeout are
    /// retried whatever happened.
    pub fn flush_unschedulable_timeout(&mut self, now: SimTime) -> usize {
        let timeout = self.timings.unschedulable_timeout;
        let expired = self.unschedulable.iter().filter(|(_, (q, _))| now.saturating_since(q.timestamp) > timeout).map(|(k, _)| *k);
        self.scratch.extend(expired);
        self.requeue_scratch(now)
    }

    /// Pods ready to be tried.
    pub fn active_len(&self) -> usize {
        self.active.len()
    }
    /// Pods backing off.
    pub fn backoff_len(&self) -> usize {
        self.backoff_entries.len()
    }
    /// Pods waiting for a cluster event.
    pub fn unschedulable_len(&self) -> usize {
        self.unschedulable.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// semantics.md §1: attempts 0..6 → 0, 1, 2, 4, 8, 10, 10 s.
    #[test]
    fn backoff_sequence_matches_reference() {
        let t = QueueTimings::default();
        let got: Vec<u64> = (0..7).map(|a| backoff_duration(a, t.initial_backoff, t.max_backoff).as_micros() / 1_000_000).collect();
        assert_eq!(got, vec![0, 1, 2, 4, 8, 10, 10]);
    }

    #[test]
    fn active_queue_orders_by_priority_then_time() {
        let mut q = SchedulingQueue::new(QueueTimings::default(), QueueSort::PrioritySort);
        q.add(PodId(0), 0, 0, SimTime::from_secs(1));
        q.add(PodId(1), 10, 1, SimTime::from_secs(2));
        q.add(PodId(2), 0, 2, SimTime::from_secs(0));
        q.add(PodId(3), 0, 3, SimTime::from_secs(0));
        let order: Vec<u32> = std::iter::from_fn(|| q.pop().map(|(p, _)| p.0)).collect();
        assert_eq!(order, vec![1, 2, 3, 0]);
    }

    #[test]
    fn round_robin_takes_turns_between_jobs_of_a_priority() {
        let mut q = SchedulingQueue::new(QueueTimings::default(), QueueSort::RoundRobin);
        let t = SimTime::from_secs;
        // Job 0 queues pods 0–3, job 1 pods 4–5 later; a priority-9 job 2 pod 6.
        for p in 0..4 {
            q.add(PodId(p), 0, 0, t(0));
        }
        for p in 4..6 {
            q.add(PodId(p), 0, 1, t(5));
        }
        q.add(PodId(6), 9, 2, t(6));
        let first: Vec<u32> = (0..3).filter_map(|_| q.pop()).map(|(p, _)| p.0).collect();
        for (p, priority) in [(6, 9), (0, 0), (4, 0)] {
            q.scheduled(PodId(p), priority);
        }
        // Priority first; then turns: 0 (job 0, round 0), 4 (job 1, round 0).
        assert_eq!(first, vec![6, 0, 4]);
        // Job 3 joins now: it starts at the round being served (0), after the
        // pods already holding that round, not behind all of job 0.
        q.add(PodId(7), 0, 3, t(7));
        q.add(PodId(8), 0, 3, t(7));
        let rest: Vec<u32> = std::iter::from_fn(|| q.pop().map(|(p, _)| p.0)).collect();
        assert_eq!(rest, vec![7, 1, 5, 8, 2, 3]);
        // PrioritySort would have served by time: 0, 1, 2, 3, 4, 5.
    }

    #[test]
    fn failed_pods_wait_for_events_then_back_off() {
        let mut q = SchedulingQueue::new(QueueTimings::default(), QueueSort::PrioritySort);
        let t0 = SimTime::from_secs(100);
        q.add_unschedulable(PodId(7), 0, Resources::ZERO, 3, t0); // backoff 4 s
        assert_eq!(q.active_len(), 0);
        // An event on a node the pod cannot use leaves it alone.
        let free = Resources { cpu_milli: 1000, memory_bytes: 1 << 30, gpu: 0 };
        assert_eq!(q.move_for_freed_node(t0 + SimDuration::from_secs(1), free, 10, |_| false), 0);
        // One it can use moves it to backoffQ (4 s not over yet)…
        assert_eq!(q.move_for_freed_node(t0 + SimDuration::from_secs(1), free, 10, |_| true), 1);
        assert_eq!((q.active_len(), q.backoff_len()), (0, 1));
        // …until the flush after its backoff expired.
        assert_eq!(q.flush_backoff(t0 + SimDuration::from_secs(3)), 0);
        assert_eq!(q.flush_backoff(t0 + SimDuration::from_secs(4)), 1);
        assert_eq!(q.pop(), Some((PodId(7), 3)));
    }

    #[test]
    fn unschedulable_pods_are_retried_after_five_minutes() {
        let mut q = SchedulingQueue::new(QueueTimings::default(), QueueSort::PrioritySort);
        q.add_unschedulable(PodId(1), 0, Resources::ZERO, 1, SimTime::ZERO);
        assert_eq!(q.flush_unschedulable_timeout(SimTime::from_secs(300)), 0);
        assert_eq!(q.flush_unschedulable_timeout(SimTime::from_secs(330)), 1);
        assert_eq!(q.active_len(), 1, "backoff long over: straight to activeQ");
    }

    #[test]
    fn freed_capacity_moves_only_what_fits_highest_priority_first() {
        let mut q = SchedulingQueue::new(QueueTimings::default(), QueueSort::PrioritySort);
        let t0 = SimTime::from_secs(100);
        // Five 1-CPU pods parked, the last one with a higher priority.
        for i in 0..5 {
            q.add_unschedulable(
                PodId(i),
                if i == 4 { 10 } else { 0 },
                Resources { cpu_milli: 1000, memory_bytes: 1 << 20, gpu: 0 },
                1,
                SimTime::ZERO,
            );
        }
        let cpu = |m| Resources { cpu_milli: m, memory_bytes: 1 << 30, gpu: 0 };
        // 2 CPUs freed: two pods can go, the high-priority one first.
        assert_eq!(q.move_for_freed_node(t0, cpu(2000), 110, |_| true), 2);
        let moved: Vec<u32> = std::iter::from_fn(|| q.pop().map(|(p, _)| p.0)).collect();
        assert_eq!(moved, vec![4, 0]);
        // Pod slots limit too.
        assert_eq!(q.move_for_freed_node(t0, cpu(8000), 1, |_| true), 1);
        assert_eq!(q.unschedulable_len(), 2);
        assert_eq!(q.move_all(t0), 2);
    }

    /// Parks pods at random (requests from `shape`, up to `adds` a round,
    /// three priorities) while nodes free random resources, some pods
    /// ineligible; checks that the pods moved are those a walk over every
    /// parked pod in key order takes. Returns in how many rounds the move
    /// went by groups of equal requests.
    fn check_moves_against_a_walk(adds: u32, mut shape: impl FnMut(&mut rand_chacha::ChaCha8Rng) -> Resources) -> usize {
        use rand::{Rng, SeedableRng};
        let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut q = SchedulingQueue::new(QueueTimings::default(), QueueSort::PrioritySort);
        let eligible = |p: PodId| p.0 % 7 != 3;
        let mut next_pod = 0;
        let mut grouped = 0;
        for round in 0..300 {
            for _ in 0..r.random_range(0..adds) {
                let requests = shape(&mut r);
                q.add_unschedulable(PodId(next_pod), r.random_range(0..3), requests, 1, SimTime::ZERO);
                next_pod += 1;
            }
            let free = Resources { cpu_milli: r.random_range(0..5000), memory_bytes: r.random_range(0..8u64) << 30, gpu: 0 };
            let slots = r.random_range(0..6);
            grouped += usize::from(q.parked_by_requests.len() * GROUPED_MOVE_MIN_SHARING <= q.unschedulable_len());
            let (mut left, mut slots_left, mut expected) = (free, slots, Vec::new());
            for (q, requests) in q.unschedulable.values() {
                if slots_left > 0 && requests.fits_in(&left) && eligible(q.pod) {
                    left -= *requests;
                    slots_left -= 1;
                    expected.push(q.pod);
                }
            }
            let moved = q.move_for_freed_node(SimTime::from_secs(1000), free, slots, eligible);
            let mut got: Vec<PodId> = std::iter::from_fn(|| q.pop().map(|(p, _)| p)).collect();
            got.sort();
            expected.sort();
            assert_eq!((moved, got), (expected.len(), expected), "round {round}");
            let groups: usize = q.parked_by_requests.values().map(BTreeSet::len).sum();
            assert_eq!(groups, q.unschedulable_len(), "round {round}: every parked pod in one group");
        }
        grouped
    }

    #[test]
    fn freed_capacity_moves_what_a_walk_over_every_parked_pod_moves() {
        use rand::Rng;
        // Few distinct requests and many parked pods (traces): moves go by groups.
        let shared = check_moves_against_a_walk(30, |r| Resources {
            cpu_milli: r.random_range(1..5) * 500,
            memory_bytes: r.random_range(1..4) << 30,
            gpu: 0,
        });
        assert!(shared > 200, "grouped moves in {shared} of 300 rounds");
        // Requests all different (drawn workloads): moves walk the pods.
        let distinct = check_moves_against_a_walk(8, |r| Resources {
            cpu_milli: r.random_range(1..4000),
            memory_bytes: r.random_range(1..1 << 33),
            gpu: 0,
        });
        assert_eq!(distinct, 0);
    }
}
