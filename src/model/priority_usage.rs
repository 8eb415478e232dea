//! Requests bound to one node, summed by pod priority.

use crate::model::resources::Resources;

/// What the pods of one priority hold on a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Band {
    priority: i32,
    requested: Resources,
    pods: u32,
}

/// The requests and pod count of the pods bound to one node, by priority,
/// kept up to date on every bind and release (see [`Cluster`](crate::model::Cluster)).
///
/// Preemption asks, for every potential node of every attempt, whether
/// evicting *all* pods below a priority would make room; gathering those pods
/// one by one costs a walk over the node's pods and a lookup of each, while a
/// node holds only a few distinct priorities (twelve at most in the Google
/// trace). So the sums are kept per priority, in a short vector sorted by
/// priority, and a query adds up the bands below it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PriorityUsage {
    /// Ascending priority, one band per priority with at least one pod.
    bands: Vec<Band>,
}

impl PriorityUsage {
    /// Counts a pod of `priority` requesting `requests` bound to the node.
    pub fn add(&mut self, priority: i32, requests: Resources) {
        match self.bands.binary_search_by_key(&priority, |b| b.priority) {
            Ok(i) => {
                let b = &mut self.bands[i];
                b.requested += requests;
                b.pods += 1;
            }
            Err(i) => self.bands.insert(i, Band { priority, requested: requests, pods: 1 }),
        }
    }

    /// Takes off a pod counted by [`add`](Self::add) with the same arguments;
    /// a band left without pods goes, so queries only walk priorities present.
    pub fn remove(&mut self, priority: i32, requests: Resources) {
        let i = self.bands.binary_search_by_key(&priority, |b| b.priority).expect("a bound pod's priority has a band");
        let b = &mut self.bands[i];
        b.requested -= requests;
        b.pods -= 1;
        if b.pods == 0 {
            debug_assert!(b.requested.is_zero(), "a band without pods holds {:?}", b.requested);
            self.bands.remove(i);
        }
    }

    /// The summed requests and the number of the pods of priority strictly
    /// below `priority`: what evicting every pod a pod of `priority` may
    /// preempt would free.
    pub fn below(&self, priority: i32) -> (Resources, u32) {
        self.bands.iter().take_while(|b| b.priority < priority).fold((Resources::ZERO, 0), |(r, n), b| (r + b.requested, n + b.pods))
    }

    /// The lowest priority `p` below `priority` such that evicting every pod
    /// of priority up to `p` makes room, as `makes_room(freed, freed_pods)`
    /// says; `None` if evicting all pods below `priority` does not. Since any
    /// set of evicted pods that makes room lies within the priorities up to
    /// its highest, no such set has a highest priority below `p`.
    pub fn lowest_sufficient(&self, priority: i32, makes_room: impl Fn(Resources, u32) -> bool) -> Option<i32> {
        let (mut freed, mut freed_pods) = (Resources::ZERO, 0);
        for b in self.bands.iter().take_while(|b| b.priority < priority) {
            freed += b.requested;
            freed_pods += b.pods;
            if makes_room(freed, freed_pods) {
                return Some(b.priority);
            }
        }
        None
    }
}

/// The sums from scratch, from `(priority, requests)` of every pod on a node:
/// what the incremental accounting must always equal.
impl FromIterator<(i32, Resources)> for PriorityUsage {
    fn from_iter<I: IntoIterator<Item = (i32, Resources)>>(pods: I) -> Self {
        let mut u = PriorityUsage::default();
        for (priority, requests) in pods {
            u.add(priority, requests);
        }
        u
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(cpu: u64, mem: u64) -> Resources {
        Resources { cpu_milli: cpu, memory_bytes: mem, gpu: 0 }
    }

    #[test]
    fn below_sums_the_strictly_lower_priorities() {
        let mut u = PriorityUsage::default();
        assert_eq!(u.below(i32::MAX), (Resources::ZERO, 0));
        u.add(5, r(100, 10));
        u.add(-3, r(200, 20));
        u.add(5, r(300, 30));
        u.add(9, r(400, 40));
        assert_eq!(u.below(-3), (Resources::ZERO, 0), "equal priority is never below");
        assert_eq!(u.below(5), (r(200, 20), 1));
        assert_eq!(u.below(6), (r(600, 60), 3));
        assert_eq!(u.below(i32::MAX), (r(1000, 100), 4));
        u.remove(5, r(100, 10));
        assert_eq!(u.below(6), (r(500, 50), 2));
        u.remove(5, r(300, 30));
        assert_eq!(u.bands.len(), 2, "an empty band goes");
        assert_eq!(u, [(9, r(400, 40)), (-3, r(200, 20))].into_iter().collect());
    }
}
