//! PodDisruptionBudgets: how many pods of a workload may be taken down at once
//! by voluntary disruptions (preemption, node drains).
//!
//! Kubernetes computes `disruptionsAllowed = currentHealthy − desiredHealthy`
//! (at least 0), where `currentHealthy` counts the selected pods that are
//! Ready. Batch jobs have no scale subresource, so for them Kubernetes accepts
//! only an integer `minAvailable` (`desiredHealthy = minAvailable`); that is
//! what a batch workload's budget holds.

use serde::{Deserialize, Serialize};

/// A workload's PodDisruptionBudget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisruptionBudget {
    /// `spec.minAvailable`: running pods of the workload that voluntary
    /// disruptions must leave.
    pub min_available: u32,
}

impl DisruptionBudget {
    /// `status.disruptionsAllowed` with `healthy` running pods: may be
    /// negative inside a preemption's bookkeeping, never below 0 here.
    pub fn disruptions_allowed(&self, healthy: u32) -> i64 {
        (healthy as i64 - self.min_available as i64).max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_disruptions_are_healthy_pods_above_min_available() {
        let b = DisruptionBudget { min_available: 3 };
        assert_eq!(b.disruptions_allowed(5), 2);
        assert_eq!(b.disruptions_allowed(3), 0);
        assert_eq!(b.disruptions_allowed(1), 0, "never negative");
    }
}
