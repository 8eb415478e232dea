//! The ReplicaSet controller's rules (semantics.md §5;
//! `pkg/controller/replicaset/replica_set.go`, `pkg/controller/controller_utils.go`):
//!
//! * pods are created in **slow-start batches** of 1, 2, 4, … (`slowStartBatch`
//!   with `SlowStartInitialBatchSize = 1`), at most `burstReplicas` (500) per
//!   sync, so a crash-looping or unschedulable template does not flood the
//!   API server;
//! * surplus pods are deleted **least valuable first** (`ActivePods` ordering
//!   used by `getPodsToDelete`): unassigned before assigned, pending before
//!   running, not ready before ready, then the most recently ready, then the
//!   most restarts, then the newest. (The LogarithmicScaleDown refinements,
//!   ranking by co-located replicas and comparing timestamps on a log scale,
//!   are not modelled.)

use std::cmp::Reverse;

use crate::time::SimTime;

/// `burstReplicas`: most pods created or deleted in one sync.
pub const BURST_REPLICAS: u32 = 500;

/// The batch sizes `slowStartBatch` uses to create `count` pods: 1, 2, 4, …,
/// the last batch whatever is left. (Upstream stops at the first batch with
/// an error; pod creation does not fail in the simulator.)
pub fn slow_start_batches(count: u32) -> Vec<u32> {
    let mut batches = Vec::new();
    let (mut left, mut size) = (count.min(BURST_REPLICAS), 1u32);
    while left > 0 {
        let b = size.min(left);
        batches.push(b);
        left -= b;
        size = size.saturating_mul(2);
    }
    batches
}

/// What the deletion order looks at in a pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodStanding {
    /// Bound to a node.
    pub assigned: bool,
    /// Running (containers started), as opposed to pending or starting.
    pub running: bool,
    /// Ready, and since when.
    pub ready_since: Option<SimTime>,
    /// Container restarts.
    pub restarts: u32,
    /// Creation time.
    pub created: SimTime,
}

/// The `ActivePods` sort key: pods that sort first are deleted first.
fn deletion_key(p: &PodStanding) -> impl Ord {
    (
        p.assigned,
        p.running,
        p.ready_since.is_some(),
        // Ready more recently first (a shorter ready time is worth less).
        Reverse(p.ready_since),
        Reverse(p.restarts),
        Reverse(p.created),
    )
}

/// Indices of the `surplus` pods to delete, least valuable first.
pub fn pods_to_delete(pods: &[PodStanding], surplus: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..pods.len()).collect();
    order.sort_by_key(|&i| deletion_key(&pods[i]));
    order.truncate(surplus.min(BURST_REPLICAS as usize));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_start_doubles_until_done() {
        assert_eq!(slow_start_batches(0), Vec::<u32>::new());
        assert_eq!(slow_start_batches(1), vec![1]);
        assert_eq!(slow_start_batches(10), vec![1, 2, 4, 3]);
        assert_eq!(slow_start_batches(15), vec![1, 2, 4, 8]);
        assert_eq!(slow_start_batches(10_000).iter().sum::<u32>(), BURST_REPLICAS);
    }

    #[test]
    fn deletion_takes_the_least_valuable_pods_first() {
        let t = SimTime::from_secs;
        let pod = |assigned, running, ready: Option<u64>, restarts, created| PodStanding {
            assigned,
            running,
            ready_since: ready.map(t),
            restarts,
            created: t(created),
        };
        let pods = [
            pod(true, true, Some(100), 0, 0),  // 0: long ready
            pod(false, false, None, 0, 50),    // 1: unassigned
            pod(true, false, None, 0, 40),     // 2: assigned, starting
            pod(true, true, Some(900), 0, 10), // 3: ready recently
            pod(true, true, None, 0, 20),      // 4: running, not ready
            pod(true, true, Some(100), 3, 5),  // 5: long ready, restarted
        ];
        assert_eq!(pods_to_delete(&pods, 6), vec![1, 2, 4, 3, 5, 0]);
        assert_eq!(pods_to_delete(&pods, 2), vec![1, 2]);
    }
}
