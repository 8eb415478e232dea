//! PodDisruptionBudgets: how many pods of a workload may be taken down at once
//! by voluntary disruptions (preemption, node drains).
//!
//! Kubernetes' disruption controller (`pkg/controller/disruption/disruption.go`,
//! `getExpectedPodCount`, `updatePdbStatus`) computes
//! `disruptionsAllowed = max(0, currentHealthy − desiredHealthy)`, where
//! `currentHealthy` counts the selected pods that are Ready and
//! `desiredHealthy` comes from the budget:
//!
//! * `minAvailable: N` (an integer): N;
//! * `minAvailable: "P%"`: ⌈P % of the controller's scale⌉;
//! * `maxUnavailable: N` or `"P%"`: the scale minus N (or minus ⌈P % of the
//!   scale⌉), at least 0.
//!
//! The scale is the desired replica count of the controller owning the pods
//! (Deployment, ReplicaSet, StatefulSet), so a `maxUnavailable` budget follows
//! an autoscaler's resizing. Jobs have no scale subresource: for batch pods
//! Kubernetes accepts only an integer `minAvailable` (otherwise the budget
//! allows nothing and reports an error), which is what scenarios enforce.

use serde::{Deserialize, Serialize};

/// A number of pods, or a percentage of the controller's scale (`IntOrString`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PodCount {
    /// So many pods.
    Pods(u32),
    /// This percentage of the controller's scale, rounded up (0–100).
    Percent(u32),
}

impl PodCount {
    /// The count out of `scale` pods: `GetScaledValueFromIntOrPercent(…, roundUp = true)`.
    pub fn of(self, scale: u32) -> u32 {
        match self {
            PodCount::Pods(n) => n,
            PodCount::Percent(p) => (u64::from(p) * u64::from(scale)).div_ceil(100) as u32,
        }
    }

    /// Whether the count needs the controller's scale to mean anything.
    pub fn needs_scale(self) -> bool {
        matches!(self, PodCount::Percent(_))
    }
}

/// A workload's PodDisruptionBudget (`spec.minAvailable` or `spec.maxUnavailable`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DisruptionBudget {
    /// Pods of the workload that voluntary disruptions must leave Ready.
    MinAvailable(PodCount),
    /// Pods of the controller's scale that may be unavailable.
    MaxUnavailable(PodCount),
}

impl DisruptionBudget {
    /// Whether the budget needs the controller's scale (anything but an integer `minAvailable`).
    pub fn needs_scale(&self) -> bool {
        match self {
            DisruptionBudget::MinAvailable(count) => count.needs_scale(),
            DisruptionBudget::MaxUnavailable(_) => true,
        }
    }

    /// `status.desiredHealthy` when the owning controller wants `scale` pods.
    pub fn desired_healthy(&self, scale: u32) -> u32 {
        match *self {
            DisruptionBudget::MinAvailable(count) => count.of(scale),
            DisruptionBudget::MaxUnavailable(count) => scale.saturating_sub(count.of(scale)),
        }
    }

    /// `status.disruptionsAllowed` with `healthy` Ready pods of a controller
    /// wanting `scale`: may be negative inside a preemption's bookkeeping,
    /// never below 0 here.
    pub fn disruptions_allowed(&self, healthy: u32, scale: u32) -> i64 {
        (i64::from(healthy) - i64::from(self.desired_healthy(scale))).max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::DisruptionBudget::{MaxUnavailable, MinAvailable};
    use super::PodCount::{Percent, Pods};

    #[test]
    fn allowed_disruptions_are_healthy_pods_above_min_available() {
        let b = MinAvailable(Pods(3));
        assert_eq!(b.disruptions_allowed(5, 5), 2);
        assert_eq!(b.disruptions_allowed(3, 10), 0, "the scale does not matter");
        assert_eq!(b.disruptions_allowed(1, 5), 0, "never negative");
    }

    /// The vectors of the Kubernetes docs ("Specifying a Disruption Budget"):
    /// percentages round up; for a StatefulSet of 3, `minAvailable: 2` and
    /// `maxUnavailable: 1` mean the same.
    #[test]
    fn percentages_round_up_and_max_unavailable_follows_the_scale() {
        assert_eq!(MinAvailable(Percent(50)).desired_healthy(7), 4, "7 pods, 50 %: 4 must stay");
        assert_eq!(MinAvailable(Percent(30)).desired_healthy(10), 3);
        assert_eq!(MaxUnavailable(Percent(30)).desired_healthy(10), 7, "at most 3 of 10 down");
        assert_eq!(MaxUnavailable(Percent(30)).desired_healthy(7), 4, "⌈2.1⌉ = 3 down, 4 stay");
        for healthy in 0..=3 {
            assert_eq!(MinAvailable(Pods(2)).disruptions_allowed(healthy, 3), MaxUnavailable(Pods(1)).disruptions_allowed(healthy, 3));
        }
        // An autoscaler grows the controller from 3 to 6: one may still go.
        assert_eq!(MaxUnavailable(Pods(1)).disruptions_allowed(6, 6), 1);
        assert_eq!(MaxUnavailable(Pods(1)).disruptions_allowed(5, 6), 0, "one already down");
        assert_eq!(MaxUnavailable(Pods(0)).disruptions_allowed(6, 6), 0, "0 blocks every eviction");
        assert_eq!(MaxUnavailable(Pods(9)).desired_healthy(6), 0, "never below 0");
        assert_eq!(MinAvailable(Percent(100)).disruptions_allowed(6, 6), 0);
    }
}
