//! Event queue ordered by `(time, phase, sequence)`.
//!
//! * **time** — integer microseconds ([`SimTime`]).
//! * **phase** — where order within one instant matters, it is explicit: all
//!   state changes at time *t* (arrivals, completions) run before the scheduler
//!   cycle at *t*, which runs before the metrics sample at *t*. See [`Phase`].
//! * **sequence** — a counter assigned at scheduling time, so events with the same
//!   time and phase pop in the order they were scheduled (FIFO).
//!
//! The key is two `u64`s (time; phase and sequence packed) rather than a `u128`,
//! whose 16-byte alignment would pad every heap entry to 32 bytes: with an
//! 8-byte event an entry is 24 bytes, which matters once the heap outgrows the
//! caches (see `benches/engine.rs`). Cancellation is lazy: a cancelled id is remembered and the
//! event is dropped when it reaches the top, so `cancel` is O(1) and costs nothing
//! when unused.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};

use crate::time::SimTime;

/// Order of events that fall on the same instant. Lower runs first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Phase(pub u8);

impl Phase {
    /// Changes of the world: arrivals, completions, image pulls, node changes.
    pub const STATE: Phase = Phase(0);
    /// The metrics pipeline's scrape: sees the instant's world changes.
    pub const SCRAPE: Phase = Phase(1);
    /// Controllers and autoscalers: decide on what the scrape just reported,
    /// so the pods and nodes they ask for are scheduled in the same instant.
    pub const CONTROL: Phase = Phase(2);
    /// Housekeeping of the scheduling queue (backoff and unschedulable flushes).
    pub const QUEUE: Phase = Phase(3);
    /// Scheduling cycles: see every state change of the instant.
    pub const SCHEDULE: Phase = Phase(4);
    /// Metric samples: see the instant's final state.
    pub const OBSERVE: Phase = Phase(5);
}

/// Handle of a scheduled event, for [`EventQueue::cancel`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(u64);

/// Why an event could not be scheduled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScheduleError {
    /// The requested time is before the current time of the queue.
    #[error("cannot schedule an event at {at} before the current time {now}")]
    InPast {
        /// Requested time.
        at: SimTime,
        /// The queue's current time.
        now: SimTime,
    },
}

const SEQ_BITS: u32 = 56;
const SEQ_MASK: u64 = (1 << SEQ_BITS) - 1;

struct Entry<E> {
    time: u64,
    /// `phase << 56 | seq`.
    tie: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.tie) == (other.time, other.tie)
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed, so that the max-heap `BinaryHeap` pops the smallest key.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.tie).cmp(&(self.time, self.tie))
    }
}

/// A min-queue of events keyed by `(time, phase, sequence)`; see the module docs.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
    now: SimTime,
    cancelled: HashSet<u64>,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty queue with room for `n` pending events.
    pub fn with_capacity(n: usize) -> Self {
        EventQueue { heap: BinaryHeap::with_capacity(n), next_seq: 0, now: SimTime::ZERO, cancelled: HashSet::new() }
    }

    /// The time of the last popped event (the simulation clock).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Number of pending events, including cancelled ones not yet dropped.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no events are pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Schedules `event` at `at` in `phase`. Scheduling before [`now`](Self::now)
    /// is an error: it would rewrite history.
    pub fn schedule(&mut self, at: SimTime, phase: Phase, event: E) -> Result<EventId, ScheduleError> {
        if at < self.now {
            return Err(ScheduleError::InPast { at, now: self.now });
        }
        let seq = self.next_seq;
        debug_assert!(seq <= SEQ_MASK, "event sequence exhausted");
        self.next_seq += 1;
        let tie = ((phase.0 as u64) << SEQ_BITS) | (seq & SEQ_MASK);
        self.heap.push(Entry { time: at.as_micros(), tie, event });
        Ok(EventId(seq))
    }

    /// Cancels a pending event; it will be skipped when it would pop. Cancelling
    /// an event that already ran is a no-op... as long as ids are not reused,
    /// which they never are.
    pub fn cancel(&mut self, id: EventId) {
        self.cancelled.insert(id.0);
    }

    /// Time of the next live event, if any.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.drop_cancelled_top();
        self.heap.peek().map(|e| SimTime::from_micros(e.time))
    }

    /// Pops the next event and advances the clock to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.pop_until(SimTime::MAX)
    }

    /// Pops the next event if its time is at most `limit` (inclusive); events
    /// after `limit` stay queued, so a run can be continued.
    pub fn pop_until(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        self.drop_cancelled_top();
        let top = self.heap.peek()?;
        let at = SimTime::from_micros(top.time);
        if at > limit {
            return None;
        }
        let entry = self.heap.pop()?;
        self.now = at;
        Some((at, entry.event))
    }

    fn drop_cancelled_top(&mut self) {
        if self.cancelled.is_empty() {
            return;
        }
        while let Some(top) = self.heap.peek() {
            let seq = top.tie & SEQ_MASK;
            if !self.cancelled.remove(&seq) {
                break;
            }
            self.heap.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn scheduling_in_the_past_is_an_error() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_secs(5), Phase::STATE, 'a').unwrap();
        q.pop();
        let err = q.schedule(SimTime::from_secs(4), Phase::STATE, 'b').unwrap_err();
        assert_eq!(err, ScheduleError::InPast { at: SimTime::from_secs(4), now: SimTime::from_secs(5) });
        // The present is fine.
        assert!(q.schedule(SimTime::from_secs(5), Phase::STATE, 'c').is_ok());
    }

    #[test]
    fn phase_orders_events_at_one_instant() {
        let mut q = EventQueue::new();
        let t = SimTime::from_secs(1);
        q.schedule(t, Phase::OBSERVE, "sample").unwrap();
        q.schedule(t, Phase::SCHEDULE, "cycle").unwrap();
        q.schedule(t, Phase::STATE, "arrival").unwrap();
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ["arrival", "cycle", "sample"]);
    }

    #[test]
    fn cancelled_events_never_pop_and_run_until_stops_at_limit() {
        let mut q = EventQueue::new();
        let a = q.schedule(SimTime::from_secs(1), Phase::STATE, 1).unwrap();
        q.schedule(SimTime::from_secs(2), Phase::STATE, 2).unwrap();
        q.schedule(SimTime::from_secs(3), Phase::STATE, 3).unwrap();
        q.cancel(a);
        assert_eq!(q.pop_until(SimTime::from_secs(2)), Some((SimTime::from_secs(2), 2)));
        assert_eq!(q.pop_until(SimTime::from_secs(2)), None);
        assert_eq!(q.now(), SimTime::from_secs(2));
        assert_eq!(q.pop(), Some((SimTime::from_secs(3), 3)));
        assert_eq!(q.pop(), None);
    }

    proptest! {
        /// Every pop returns the smallest (time, phase, scheduling order) among
        /// the events pending at that moment — checked against a brute-force
        /// model — so ties pop FIFO, also when scheduling and popping interleave.
        /// Popped times never decrease.
        #[test]
        fn pops_are_ordered_and_fifo_on_ties(ops in proptest::collection::vec((0u64..20, 0u8..3, any::<bool>()), 1..300)) {
            let mut q = EventQueue::new();
            let mut model: Vec<(SimTime, u8, usize)> = Vec::new();
            let mut last = SimTime::ZERO;
            let mut check_pop = |q: &mut EventQueue<usize>, model: &mut Vec<(SimTime, u8, usize)>| -> Result<(), TestCaseError> {
                let (t, id) = q.pop().unwrap();
                let min = model.iter().enumerate().min_by_key(|(_, e)| **e).map(|(i, _)| i).unwrap();
                let expected = model.remove(min);
                prop_assert_eq!((t, id), (expected.0, expected.2));
                prop_assert!(t >= last);
                last = t;
                Ok(())
            };
            for (i, (dt, phase, pop_now)) in ops.iter().enumerate() {
                let at = q.now() + crate::time::SimDuration::from_micros(*dt);
                q.schedule(at, Phase(*phase), i).unwrap();
                model.push((at, *phase, i));
                if *pop_now {
                    check_pop(&mut q, &mut model)?;
                }
            }
            while !model.is_empty() {
                check_pop(&mut q, &mut model)?;
            }
            prop_assert!(q.pop().is_none());
        }
    }
}
