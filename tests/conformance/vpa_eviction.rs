//! The VPA updater's eviction restriction: how many pods of one controller it
//! may evict in a loop (`pkg/updater/restriction/pods_restriction_factory.go`,
//! `GetCreatorMaps`; `pods_eviction_restriction.go`, `CanEvict`, `Evict`;
//! `singleGroupStats.isPodDisruptable`).
//!
//! orchsim's services are ReplicaSets, so the tables' ReplicationController
//! and ReplicaSet groups are a service's replicas; a pod is pending or running.

use orchsim::policy::autoscaler::vpa::updater::{GroupStats, UpdaterConfig};

use crate::harness::{Case, Outcome, Suite};

/// One pod of a table: pending (else running), `CanEvict` before any
/// eviction, and whether its `Evict` (in table order) succeeds.
#[derive(Clone, Copy)]
struct Pod {
    pending: bool,
    can_evict: bool,
    evicted: bool,
}

const fn running(can_evict: bool, evicted: bool) -> Pod {
    Pod { pending: false, can_evict, evicted }
}

const fn pending() -> Pod {
    Pod { pending: true, can_evict: true, evicted: true }
}

/// The factory built with `min_replicas` and `tolerance` over `pods` of a
/// controller configured with `replicas`: every `CanEvict` first, then every `Evict`.
fn check(replicas: u32, tolerance: f64, min_replicas: u32, pods: &[Pod]) -> Outcome {
    let config = UpdaterConfig { min_replicas, eviction_tolerance: tolerance, ..UpdaterConfig::default() };
    let waiting = pods.iter().filter(|p| p.pending).count() as u32;
    let mut group = GroupStats::new(replicas, pods.len() as u32, waiting, &config);
    for (i, p) in pods.iter().enumerate() {
        let can = group.as_ref().is_some_and(|g| g.can_evict(p.pending));
        if can != p.can_evict {
            return Err(format!("CanEvict(pod {i}) = {can}, want {}", p.can_evict));
        }
    }
    for (i, p) in pods.iter().enumerate() {
        let ok = group.as_mut().is_some_and(|g| g.evict(p.pending).is_ok());
        if ok != p.evicted {
            return Err(format!("Evict(pod {i}) succeeded: {ok}, want {}", p.evicted));
        }
    }
    Ok(())
}

pub fn suite() -> Suite {
    let mut cases = Vec::new();
    let r = running;
    // (name, replicas, evictionTolerance, minReplicas, pods)
    let disrupt: Vec<(&str, u32, f64, u32, Vec<Pod>)> = vec![
        ("Evict only first pod (half of 3).", 3, 0.5, 2, vec![r(true, true), r(true, false), r(true, false)]),
        ("Evict two pods (half of 4).", 4, 0.5, 2, vec![r(true, true), r(true, true), r(true, false), r(true, false)]),
        ("Half of the population can be evicted. One pod is missing already.", 4, 0.5, 2, vec![r(true, true), r(true, false), r(true, false)]),
        ("For small eviction tolerance at least one pod is evicted.", 3, 0.1, 2, vec![r(true, true), r(true, false), r(true, false)]),
        ("Only 2 pods in replica of 3 and tolerance is 0. None of pods can be evicted.", 3, 0.1, 2, vec![r(false, false), r(false, false)]),
        ("Only pending pod can be evicted without violation of tolerance.", 3, 0.5, 2, vec![r(false, false), pending(), r(false, false)]),
        ("Pending pods are always evictable.", 4, 0.5, 2, vec![r(false, false), pending(), pending(), pending()]),
        ("Cannot evict a single Pod under default settings.", 1, 0.5, 2, vec![r(false, false)]),
        // `updatePolicy.minReplicas: 1` (`[services.vpa] min_replicas`).
        ("Can evict even a single Pod using PodUpdatePolicy.MinReplicas.", 1, 0.5, 1, vec![r(true, true)]),
    ];
    for (name, replicas, tolerance, min, pods) in disrupt {
        cases.push(Case::ported(vpa!(factory, "TestDisruptReplicatedByController"), name, move || check(replicas, tolerance, min, &pods)));
    }
    cases.push(Case::not_expressible(
        vpa!(factory, "TestDisruptReplicatedByController"),
        "Can update even a single Pod if CPU boost is in progress.",
        "CPU startup boost (pod annotations) is not modelled",
    ));
    for name in [
        "In-place update only first pod (half of 3).",
        "For small eviction tolerance at least one pod is in-place resized.",
        "Ongoing in-placing pods will not get resized again, but may be considered for eviction or deferred.",
        "Cannot in-place a single Pod under default settings.",
        "Can in-place even a single Pod using PodUpdatePolicy.MinReplicas.",
        "First pod can be evicted without violation of tolerance, even if other evictable pods have ongoing resizes.",
        "No pods are evictable even if some pods are stuck resizing, but some are missing and eviction tolerance is small.",
        "All pods, including resizing pods, are evictable due to large tolerance.",
    ] {
        cases.push(Case::not_expressible(
            vpa!(factory, "TestDisruptReplicatedByController"),
            name,
            "in-place resizing (InPlaceOrRecreate, resize conditions) is not modelled",
        ));
    }
    // Five running pods of a controller of 5, min-replicas 2: the first `evicted` go.
    let five = |tolerance: f64, evicted: usize| move || check(5, tolerance, 2, &(0..5).map(|i| r(true, i < evicted)).collect::<Vec<_>>());
    cases.push(Case::ported(vpa!(factory, "TestEvictReplicatedByReplicaSet"), "5 of 5 live, tolerance 0.5: 2 evicted", five(0.5, 2)));
    for (source, name, why) in [
        (vpa!(factory, "TestEvictReplicatedByStatefulSet"), "5 of 5 live, tolerance 0.5: 2 evicted", "StatefulSet owners (services are ReplicaSets)"),
        (vpa!(factory, "TestEvictReplicatedByDaemonSet"), "5 ready, tolerance 0.5: 2 evicted", "DaemonSet owners (services are ReplicaSets)"),
        (vpa!(factory, "TestEvictReplicatedByJob"), "5 live, tolerance 0.5: 2 evicted", "a VPA over a Job's pods (orchsim's VPA serves services only)"),
    ] {
        cases.push(Case::not_expressible(source, name, why));
    }
    for name in [
        "pod not in-place updating - no resize status",
        "PodResizePending with Deferred reason",
        "PodResizePending with Infeasible reason",
        "PodResizePending with unknown reason",
        "PodResizePending with empty reason",
        "PodResizeInProgress with empty reason and message",
        "PodResizeInProgress with Error reason",
        "PodResizeInProgress with unknown reason",
        "PodResizeInProgress with message but no reason",
        "pod with unrelated condition only",
        "both PodResizePending and PodResizeInProgress - PodResizePending takes precedence",
        "PodResizePending Infeasible takes precedence over PodResizeInProgress Error",
    ] {
        cases.push(Case::not_expressible(vpa!(factory, "TestGetResizeStatus"), name, "pod resize conditions (in-place resizing is not modelled)"));
    }

    // pods_eviction_restriction_test.go
    cases.push(Case::ported(vpa!(restriction, "TestEvictTooFewReplicas"), "5 live pods, min-replicas 10: none evictable", || {
        check(5, 0.5, 10, &[running(false, false); 5])
    }));
    cases.push(Case::ported(vpa!(restriction, "TestEvictionTolerance"), "tolerance 0.8 of 5: 4 evicted", five(0.8, 4)));
    cases.push(Case::ported(vpa!(restriction, "TestEvictAtLeastOne"), "tolerance 0.1 of 5: at least 1 evicted", five(0.1, 1)));
    cases.push(Case::ported(vpa!(restriction, "TestEvictEmitEvent"), "Pods that can be evicted", || check(4, 0.5, 2, &[pending(), pending()])));
    cases.push(Case::ported(vpa!(restriction, "TestEvictEmitEvent"), "Pod that can not be evicted", || check(4, 0.5, 2, &[running(false, false)])));
    cases.push(Case::ported(
        vpa!(restriction, "TestEvictTooFewReplicasWithInPlaceSkipDisruptionBudget"),
        "in-place-skip-disruption-budget does not bypass min-replicas for evictions",
        || check(5, 0.5, 10, &[running(false, false); 5]),
    ));
    Suite { system: "VPA", component: "updater eviction restriction", upstream: "kubernetes/autoscaler vertical-pod-autoscaler @55c37cd (master 2026-08)", cases }
}
