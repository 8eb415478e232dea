//! The `swarmkit` policy end to end: one service's tasks spread evenly over
//! nodes, or over zones with a placement preference.

use std::collections::BTreeMap;

use crate::support::{run, scenario};

/// Tasks of workload class `workload` per node name.
fn per_node(pods: &[orchsim::metrics::PodRecord], workload: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for p in pods.iter().filter(|p| p.workload == workload) {
        *counts.entry(p.node.clone().expect("every pod is bound")).or_default() += 1;
    }
    counts
}

/// `groups` ([[node_groups]] entries), a class `first` of one 5-task job at
/// t = 0 (with `first_extra` lines) and a class `web` of one 8-task job at
/// t = 10 s, all running an hour (so every task is still bound when the last
/// is placed), under `scheduler`.
fn two_services(groups: &str, first_extra: &str, scheduler: &str) -> String {
    format!(
        r#"
name = "swarmkit"
{groups}

[[images]]
name = "app:1"
size = "10Mi"

[[batch]]
name = "first"
jobs = 1
interarrival = "1h"
tasks = 5
duration = "1h"
cpu = "100m"
memory = "128Mi"
images = ["app:1"]
{first_extra}

[[batch]]
name = "web"
jobs = 1
interarrival = "1h"
start = "10s"
tasks = 8
duration = "1h"
cpu = "100m"
memory = "128Mi"
images = ["app:1"]

[scheduler]
kind = "swarmkit"
{scheduler}
"#
    )
}

const FOUR_NODES: &str = r#"
[[node_groups]]
name = "n"
count = 4
cpu = "4"
memory = "8Gi"
preloaded_images = ["app:1"]
"#;

/// Pins `first` to node n-0.
const FIRST_ON_N0: &str = r#"node_selector = { "kubernetes.io/hostname" = "n-0" }"#;

/// Zone a has one node, zone b three.
const LOPSIDED_ZONES: &str = r#"
[[node_groups]]
name = "a"
count = 1
cpu = "4"
memory = "8Gi"
zones = ["a"]
preloaded_images = ["app:1"]

[[node_groups]]
name = "b"
count = 3
cpu = "4"
memory = "8Gi"
zones = ["b"]
preloaded_images = ["app:1"]
"#;

#[test]
fn a_service_spreads_evenly_over_nodes_whatever_else_runs_there() {
    let s = scenario(&two_services(FOUR_NODES, FIRST_ON_N0, ""));
    let (out, pods) = run(&s);
    assert_eq!(out.summary.policy, "swarmkit");
    // `first` puts all 5 tasks on n-0; `web` still gets exactly two per node,
    // n-0 included: its own count comes before the total count.
    assert_eq!(per_node(&pods, "first").get("n-0"), Some(&5));
    let web = per_node(&pods, "web");
    assert_eq!(web.len(), 4, "{web:?}");
    assert!(web.values().all(|&n| n == 2), "{web:?}");
}

#[test]
fn a_spread_preference_evens_out_zones_not_nodes() {
    let zone = r#"placement_preferences = [{ spread = "node.labels.topology.kubernetes.io/zone" }]"#;
    let (_, pods) = run(&scenario(&two_services(LOPSIDED_ZONES, "", zone)));
    let zone_b = |nodes: &BTreeMap<String, usize>| {
        let mut b: Vec<usize> = (0..3).map(|k| nodes.get(&format!("b-{k}")).copied().unwrap_or(0)).collect();
        b.sort();
        b
    };
    // `web`'s 8 tasks: half in zone a (one node), half over zone b's three
    // nodes, evenly within the zone.
    let web = per_node(&pods, "web");
    assert_eq!(web.get("a-0"), Some(&4), "{web:?}");
    assert_eq!(zone_b(&web), [1, 1, 2], "{web:?}");
    // `first`'s 5 tasks: 2 or 3 in zone a.
    let first = per_node(&pods, "first");
    assert!(matches!(first.get("a-0"), Some(2 | 3)), "{first:?}");
    // Without the preference zone a's node gets only its per-node share.
    let (_, pods) = run(&scenario(&two_services(LOPSIDED_ZONES, "", "")));
    let web = per_node(&pods, "web");
    assert_eq!(web.get("a-0"), Some(&2), "{web:?}");
    assert_eq!(zone_b(&web), [2, 2, 2], "{web:?}");
}

#[test]
fn max_replicas_leaves_extra_tasks_pending() {
    let (out, pods) = run(&scenario(&two_services(FOUR_NODES, "", "max_replicas = 1")));
    // One `web` task per node can be placed at first; the other four wait
    // until tasks of `web` finish an hour later.
    let web: Vec<_> = pods.iter().filter(|p| p.workload == "web").collect();
    let early = web.iter().filter(|p| p.bind_s.is_some_and(|t| t < 3600.0)).count();
    assert_eq!((web.len(), early), (8, 4));
    assert_eq!(out.summary.pods_completed, 13);
}

#[test]
fn unsupported_spread_descriptors_are_rejected_by_name() {
    let text = two_services(FOUR_NODES, "", r#"placement_preferences = [{ spread = "engine.labels.az" }]"#);
    let err = orchsim::Scenario::parse(&text, "test.toml").expect_err("engine labels are rejected").to_string();
    assert!(err.contains("placement_preferences[0].spread") && err.contains("engine labels"), "{err}");
}
