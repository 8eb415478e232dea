//! The VerticalPodAutoscaler updater's rules (`vertical-pod-autoscaler/pkg/updater`
//! of kubernetes/autoscaler): which running pods it evicts so that the
//! admission controller recreates them with the recommended requests.
//!
//! Each loop (`logic/updater.go`, `RunOnce`, every `--updater-interval`, 1 min):
//!
//! 1. The pods of each controller (here: one service's ReplicaSet) form a
//!    group (`restriction/pods_restriction_factory.go`, `GetCreatorMaps`).
//!    A group with fewer live pods than `--min-replicas` (2) is left alone;
//!    otherwise it may lose `⌊configured × --eviction-tolerance⌋` (0.5) of its
//!    configured replicas, and always at least one when none is missing
//!    ([`GroupStats::is_pod_disruptable`]). Pods not yet running
//!    (Kubernetes' `Pending` phase) are always evictable.
//! 2. Each evictable pod gets a priority (`priority/priority_processor.go`,
//!    [`update_priority`]): whether a request lies outside the recommendation's
//!    `[lowerBound, upperBound]`, whether any resource should grow, and the
//!    relative change summed over resources.
//! 3. A pod is updated (`priority/update_priority_calculator.go`, `AddPod`,
//!    [`wants_update`]) when a request is outside the bounds, or when it has
//!    run at least `--in-recommendation-bounds-eviction-lifetime-threshold`
//!    (12 h) and the change is at least `--pod-update-threshold` (0.1).
//! 4. Pods are taken highest priority first (`GetSortedPods`,
//!    [`PodPriority::less`]): growing before shrinking, then the larger change.
//! 5. Each is evicted if its group still allows it (`CanEvict`, `Evict`); the
//!    Eviction API refuses an eviction a PodDisruptionBudget forbids, which the
//!    simulation checks when it applies the decision.
//!
//! Not modelled: the quick-OOM rule (a container OOM-killed within 10 min of
//! starting makes its pod eligible; orchsim's services have no OOM kills),
//! in-place resizing (`InPlaceOrRecreate`, `InPlace`), the eviction rate
//! limiter (disabled by default, `--eviction-rate-limit -1`) and the
//! admission-controller status check (the admission controller is always up).

use crate::time::{SimDuration, SimTime};

/// `--updater-interval`: how often the updater runs.
pub const UPDATER_INTERVAL: SimDuration = SimDuration::from_secs(60);
/// `--min-replicas`: a group with fewer live pods is never evicted from.
pub const MIN_REPLICAS: u32 = 2;
/// `--eviction-tolerance`: the fraction of a group's configured replicas that may be down.
pub const EVICTION_TOLERANCE: f64 = 0.5;
/// `--pod-update-threshold` (`defaultUpdateThreshold`): the smallest relative
/// change worth an eviction for a pod within its bounds.
pub const UPDATE_THRESHOLD: f64 = 0.1;
/// `--in-recommendation-bounds-eviction-lifetime-threshold`
/// (`podLifetimeUpdateThreshold`): a pod within its bounds is updated only
/// after running this long.
pub const POD_LIFETIME_UPDATE_THRESHOLD: SimDuration = SimDuration::from_secs(12 * 3600);

/// The updater's flags that decide evictions (`updater/config/config.go`
/// `DefaultUpdaterConfig`; the defaults are [`UpdaterConfig::default`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UpdaterConfig {
    /// `MinChangePriority`.
    pub min_change_priority: f64,
    /// `PodLifetimeUpdateThreshold`.
    pub pod_lifetime_update_threshold: SimDuration,
    /// `--min-replicas`, or the VPA's `updatePolicy.minReplicas`.
    pub min_replicas: u32,
    /// `--eviction-tolerance`.
    pub eviction_tolerance: f64,
}

impl Default for UpdaterConfig {
    fn default() -> Self {
        UpdaterConfig {
            min_change_priority: UPDATE_THRESHOLD,
            pod_lifetime_update_threshold: POD_LIFETIME_UPDATE_THRESHOLD,
            min_replicas: MIN_REPLICAS,
            eviction_tolerance: EVICTION_TOLERANCE,
        }
    }
}

/// One resource's recommendation for a container, in milli-units
/// (`Quantity.MilliValue()`: millicores, millibytes): the bounds are optional
/// as in the VPA status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceRecommendation {
    /// `target`.
    pub target: u64,
    /// `lowerBound`, if set.
    pub lower: Option<u64>,
    /// `upperBound`, if set.
    pub upper: Option<u64>,
}

/// How much a pod wants an update (`PodPriority`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PodPriority {
    /// Some request lies outside the recommended range.
    pub outside_recommended_range: bool,
    /// Some resource should grow.
    pub scale_up: bool,
    /// Relative difference between requests and targets, summed over resources.
    pub resource_diff: f64,
}

impl PodPriority {
    /// `PodPriority.Less`: a pod that wants to grow comes first; then the larger change.
    pub fn less(&self, other: &PodPriority) -> bool {
        if self.scale_up != other.scale_up {
            return other.scale_up;
        }
        self.resource_diff < other.resource_diff
    }
}

/// `defaultPriorityProcessor.GetUpdatePriority` for a one-container pod:
/// `requests` and `recommendation` per resource (CPU, memory), in milli-units;
/// `None` where the pod requests nothing or the VPA recommends nothing.
///
/// A resource the VPA recommends but the pod does not request counts as
/// outside the range and growing (upstream treats the missing request as 0).
pub fn update_priority(requests: [Option<u64>; 2], recommendation: [Option<ResourceRecommendation>; 2]) -> PodPriority {
    let mut p = PodPriority::default();
    for (request, rec) in requests.into_iter().zip(recommendation) {
        let Some(rec) = rec else { continue };
        let Some(request) = request else {
            p.scale_up = true;
            p.outside_recommended_range = true;
            // totalRequestPerResource stays 0: the diff is against max(0, 1).
            p.resource_diff += (1.0 - rec.target as f64).abs();
            continue;
        };
        p.scale_up |= rec.target > request;
        p.outside_recommended_range |= rec.lower.is_some_and(|l| request < l) || rec.upper.is_some_and(|u| request > u);
        let total = (request as f64).max(1.0);
        p.resource_diff += (total - rec.target as f64).abs() / total;
    }
    p
}

/// `UpdatePriorityCalculator.AddPod` without the quick-OOM rule: whether a pod
/// of `priority`, running since `started` (`status.startTime`), is worth
/// updating at `now`.
pub fn wants_update(priority: &PodPriority, started: Option<SimTime>, now: SimTime, config: &UpdaterConfig) -> bool {
    if priority.outside_recommended_range {
        return true;
    }
    let Some(started) = started else { return false };
    if now < started + config.pod_lifetime_update_threshold {
        return false;
    }
    priority.resource_diff >= config.min_change_priority
}

/// `GetSortedPods`: the indices of `priorities`, highest priority first. Ties
/// keep the given order (upstream's `slices.SortFunc` is not stable; a stable
/// order keeps runs reproducible).
pub fn update_order(priorities: &[PodPriority]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..priorities.len()).collect();
    order.sort_by(|&a, &b| {
        let (pa, pb) = (&priorities[a], &priorities[b]);
        if pb.less(pa) {
            std::cmp::Ordering::Less
        } else if pa.less(pb) {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    });
    order
}

/// One controller's pods as the eviction restriction counts them
/// (`singleGroupStats`), and the evictions made this loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupStats {
    configured: u32,
    pending: u32,
    running: u32,
    eviction_tolerance: u32,
    evicted: u32,
}

impl GroupStats {
    /// `GetCreatorMaps` for one group: `live` pods (bound, not finished) of
    /// which `pending` have not started their containers, of a controller
    /// wanting `configured` replicas. `None` when the group may not be
    /// touched: fewer live pods than `min_replicas`, or no replicas configured
    /// (upstream fails to read the scale and skips the group).
    pub fn new(configured: u32, live: u32, pending: u32, config: &UpdaterConfig) -> Option<GroupStats> {
        if live < config.min_replicas || configured == 0 {
            return None;
        }
        // `int(float64(configured) * evictionToleranceFraction)`: truncated.
        let eviction_tolerance = (f64::from(configured) * config.eviction_tolerance) as u32;
        Some(GroupStats { configured, pending, running: live - pending, eviction_tolerance, evicted: 0 })
    }

    /// `isPodDisruptable`: more running pods than must stay alive, or a
    /// complete group with a tolerance of 0 that has lost none yet.
    pub fn is_pod_disruptable(&self) -> bool {
        let should_be_alive = i64::from(self.configured) - i64::from(self.eviction_tolerance);
        let actually_alive = i64::from(self.running) - i64::from(self.evicted);
        actually_alive > should_be_alive || (self.configured == self.running && self.eviction_tolerance == 0 && self.evicted == 0)
    }

    /// `CanEvict` for a pod of this group: a pending pod always, a running one
    /// while the group is disruptable.
    pub fn can_evict(&self, pending: bool) -> bool {
        pending || self.is_pod_disruptable()
    }

    /// `Evict`: `Err` when the group does not allow it; an evicted running
    /// pod counts against the tolerance, a pending one does not.
    pub fn evict(&mut self, pending: bool) -> Result<(), EvictionRefused> {
        if !self.can_evict(pending) {
            return Err(EvictionRefused);
        }
        if !pending {
            self.evicted += 1;
        }
        Ok(())
    }
}

/// An eviction the group's tolerance does not allow ("eviction budget exceeded").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvictionRefused;

#[cfg(test)]
mod tests {
    use super::*;

    const CPU: fn(u64) -> Option<ResourceRecommendation> = |t| Some(ResourceRecommendation { target: t, lower: None, upper: None });

    /// `priority_processor_test.go: TestGetUpdatePriority`, "scale up on milliquanitites":
    /// 10m requested, 900m recommended: a change of 89.
    #[test]
    fn the_change_is_relative_to_the_request() {
        let p = update_priority([Some(10), None], [CPU(900), None]);
        assert_eq!(p, PodPriority { outside_recommended_range: false, scale_up: true, resource_diff: 89.0 });
        let down = update_priority([Some(4000), Some(20_000_000_000)], [CPU(2000), CPU(10_000_000_000)]);
        assert_eq!((down.scale_up, down.resource_diff), (false, 1.0), "0.5 + 0.5, summed over resources");
    }

    #[test]
    fn a_pod_within_bounds_waits_twelve_hours_for_a_ten_percent_change() {
        let c = UpdaterConfig::default();
        let t = SimTime::from_secs;
        let inside = PodPriority { outside_recommended_range: false, scale_up: true, resource_diff: 0.1 };
        assert!(!wants_update(&inside, Some(t(0)), t(12 * 3600 - 1), &c), "too young");
        assert!(wants_update(&inside, Some(t(0)), t(12 * 3600), &c), "12 h old, 10 %");
        let small = PodPriority { resource_diff: 0.099, ..inside };
        assert!(!wants_update(&small, Some(t(0)), t(24 * 3600), &c), "below 10 %");
        assert!(!wants_update(&inside, None, t(24 * 3600), &c), "not started");
        let outside = PodPriority { outside_recommended_range: true, resource_diff: 0.0, ..inside };
        assert!(wants_update(&outside, None, t(0), &c), "outside the bounds: at once");
    }

    /// `pods_restriction_factory_test.go: TestDisruptReplicatedByController`,
    /// "Evict only first pod (half of 3)" and "Evict two pods (half of 4)".
    #[test]
    fn half_the_group_may_go() {
        let c = UpdaterConfig::default();
        let mut three = GroupStats::new(3, 3, 0, &c).unwrap();
        assert_eq!((three.evict(false), three.evict(false)), (Ok(()), Err(EvictionRefused)));
        let mut four = GroupStats::new(4, 4, 0, &c).unwrap();
        assert_eq!([four.evict(false), four.evict(false), four.evict(false)], [Ok(()), Ok(()), Err(EvictionRefused)]);
        assert!(four.evict(true).is_ok(), "pending pods always");
        assert_eq!(GroupStats::new(1, 1, 0, &c), None, "below min-replicas");
    }
}
