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

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap};

use crate::model::PodId;
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Queued {
    pod: PodId,
    priority: i32,
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
        // BinaryHeap pops the greatest: higher priority, then earlier time, then lower seq.
        self.0.priority.cmp(&o.0.priority).then_with(|| o.0.timestamp.cmp(&self.0.timestamp)).then_with(|| o.0.seq.cmp(&self.0.seq))
    }
}

/// The three sub-queues of kube-scheduler's `PriorityQueue`.
pub struct SchedulingQueue {
    timings: QueueTimings,
    active: BinaryHeap<Active>,
    /// (expiry, seq) of the pods in `backoff_entries`, earliest first.
    backoff: BinaryHeap<Reverse<(SimTime, u64)>>,
    backoff_entries: BTreeMap<u64, Queued>,
    unschedulable: BTreeMap<u64, Queued>,
    next_seq: u64,
}

impl SchedulingQueue {
    /// An empty queue.
    pub fn new(timings: QueueTimings) -> Self {
        SchedulingQueue {
            timings,
            active: BinaryHeap::new(),
            backoff: BinaryHeap::new(),
            backoff_entries: BTreeMap::new(),
            unschedulable: BTreeMap::new(),
            next_seq: 0,
        }
    }

    /// The timings in force.
    pub fn timings(&self) -> &QueueTimings {
        &self.timings
    }

    fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// Adds a newly created pod to activeQ.
    pub fn add(&mut self, pod: PodId, priority: i32, now: SimTime) {
        let seq = self.seq();
        self.active.push(Active(Queued { pod, priority, timestamp: now, attempts: 0, seq }));
    }

    /// Pops the next pod to try, with its attempt count so far.
    pub fn pop(&mut self) -> Option<(PodId, u32)> {
        self.active.pop().map(|Active(q)| (q.pod, q.attempts))
    }

    /// Parks a pod whose attempt just failed (its `attempts` include this one).
    pub fn add_unschedulable(&mut self, pod: PodId, priority: i32, attempts: u32, now: SimTime) {
        let seq = self.seq();
        self.unschedulable.insert(seq, Queued { pod, priority, timestamp: now, attempts, seq });
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

    /// A cluster event: moves the unschedulable pods for which `may_fit` says
    /// the event could help (kube-scheduler's QueueingHints) to backoffQ or
    /// activeQ. Returns how many moved.
    pub fn move_on_event(&mut self, now: SimTime, mut may_fit: impl FnMut(PodId) -> bool) -> usize {
        let moving: Vec<u64> = self.unschedulable.iter().filter(|(_, q)| may_fit(q.pod)).map(|(s, _)| *s).collect();
        for seq in &moving {
            let q = self.unschedulable.remove(seq).expect("listed above");
            self.requeue(q, now);
        }
        moving.len()
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
        let expired: Vec<u64> =
            self.unschedulable.iter().filter(|(_, q)| now.saturating_since(q.timestamp) > timeout).map(|(s, _)| *s).collect();
        for seq in &expired {
            let q = self.unschedulable.remove(seq).expect("listed above");
            self.requeue(q, now);
        }
        expired.len()
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
        let mut q = SchedulingQueue::new(QueueTimings::default());
        q.add(PodId(0), 0, SimTime::from_secs(1));
        q.add(PodId(1), 10, SimTime::from_secs(2));
        q.add(PodId(2), 0, SimTime::from_secs(0));
        q.add(PodId(3), 0, SimTime::from_secs(0));
        let order: Vec<u32> = std::iter::from_fn(|| q.pop().map(|(p, _)| p.0)).collect();
        assert_eq!(order, vec![1, 2, 3, 0]);
    }

    #[test]
    fn failed_pods_wait_for_events_then_back_off() {
        let mut q = SchedulingQueue::new(QueueTimings::default());
        let t0 = SimTime::from_secs(100);
        q.add_unschedulable(PodId(7), 0, 3, t0); // backoff 4 s
        assert_eq!(q.active_len(), 0);
        // An event that does not concern the pod leaves it alone.
        assert_eq!(q.move_on_event(t0 + SimDuration::from_secs(1), |_| false), 0);
        // One that does moves it to backoffQ (4 s not over yet)…
        assert_eq!(q.move_on_event(t0 + SimDuration::from_secs(1), |_| true), 1);
        assert_eq!((q.active_len(), q.backoff_len()), (0, 1));
        // …until the flush after its backoff expired.
        assert_eq!(q.flush_backoff(t0 + SimDuration::from_secs(3)), 0);
        assert_eq!(q.flush_backoff(t0 + SimDuration::from_secs(4)), 1);
        assert_eq!(q.pop(), Some((PodId(7), 3)));
    }

    #[test]
    fn unschedulable_pods_are_retried_after_five_minutes() {
        let mut q = SchedulingQueue::new(QueueTimings::default());
        q.add_unschedulable(PodId(1), 0, 1, SimTime::ZERO);
        assert_eq!(q.flush_unschedulable_timeout(SimTime::from_secs(300)), 0);
        assert_eq!(q.flush_unschedulable_timeout(SimTime::from_secs(330)), 1);
        assert_eq!(q.active_len(), 1, "backoff long over: straight to activeQ");
    }
}
