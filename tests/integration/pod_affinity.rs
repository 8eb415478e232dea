//! InterPodAffinity's symmetric rules, end to end: terms of bound pods
//! constrain and attract pods that carry no terms themselves
//! (semantics.md §1; upstream `interpodaffinity/filtering.go`, `scoring.go`).

use std::collections::BTreeSet;

use orchsim::metrics::PodRecord;

use crate::support::{run, scenario};

/// Four nodes with room for every pod on one, a `[[batch]]` entry per
/// `(name, start, jobs, interarrival, terms)`, one task per job, all running
/// for an hour, and `[scheduler]` lines.
fn four_nodes(classes: &[(&str, &str, u32, &str, &str)], scheduler: &str) -> String {
    let mut text = String::from(
        r#"
name = "pod-affinity"
[simulation]
duration = "30m"
[[node_groups]]
name = "n"
count = 4
cpu = "8"
memory = "16Gi"
zones = ["a", "b"]
preloaded_images = ["app:1"]
[[images]]
name = "app:1"
size = "1Mi"
"#,
    );
    for (name, start, jobs, interarrival, terms) in classes {
        text += &format!(
            r#"[[batch]]
name = "{name}"
start = "{start}"
jobs = {jobs}
interarrival = "{interarrival}"
tasks = 1
duration = "1h"
cpu = "500m"
memory = "1Gi"
images = ["app:1"]
{terms}
"#
        );
    }
    text + "[scheduler]\nkind = \"kubernetes\"\n" + scheduler
}

/// The nodes the pods of `workload` were bound to.
fn nodes_of(pods: &[PodRecord], workload: &str) -> BTreeSet<String> {
    pods.iter().filter(|p| p.workload == workload).filter_map(|p| p.node.clone()).collect()
}

#[test]
fn required_anti_affinity_of_bound_pods_keeps_pods_without_terms_away() {
    // `db` refuses pods of class `cache` on its node. MostAllocated
    // would pile `cache` onto `db`'s node; upstream's symmetric check
    // (existingAntiAffinityCounts) keeps `cache` off it although `cache` has
    // no terms. Without the term, the packing that the rule overrides shows.
    let run_with = |anti: &str| {
        let text = four_nodes(&[("db", "0s", 2, "1s", anti), ("cache", "1m", 4, "1s", "")], "scoring_strategy = \"MostAllocated\"\n");
        let (out, pods) = run(&scenario(&text));
        assert_eq!(out.summary.pods_pending_at_end, 0);
        (nodes_of(&pods, "db"), nodes_of(&pods, "cache"))
    };
    let (db, cache) =
        run_with(r#"pod_anti_affinity = { required = [{ topology_key = "kubernetes.io/hostname", selector = { class = "cache" } }] }"#);
    assert_eq!(db.len(), 1, "MostAllocated packs db: {db:?}");
    assert!(db.is_disjoint(&cache), "db on {db:?}, cache on {cache:?}");
    assert_eq!(cache.len(), 1, "cache packs on one of the other nodes: {cache:?}");
    let (db, cache) = run_with("");
    assert_eq!(db, cache, "without the rule cache joins db");
}

#[test]
fn bound_pods_anti_affinity_leaves_pods_pending_when_no_node_is_left() {
    // `guard` runs on every node and refuses `victim` in its zone: with both
    // zones taken `victim` can go nowhere (and must not be bound by a cached
    // verdict of an identical pod either).
    let anti = r#"pod_anti_affinity = { required = [{ topology_key = "topology.kubernetes.io/zone", selector = { class = "victim" } }] }"#;
    let spread = r#"topology_spread = [{ max_skew = 1, topology_key = "kubernetes.io/hostname" }]"#;
    let text = four_nodes(&[("guard", "0s", 4, "1s", &format!("{anti}\n{spread}")), ("victim", "1m", 3, "1s", "")], "");
    let (out, pods) = run(&scenario(&text));
    assert_eq!(nodes_of(&pods, "guard").len(), 4);
    assert!(pods.iter().filter(|p| p.workload == "victim").all(|p| p.node.is_none()));
    assert_eq!(out.summary.pods_pending_at_end, 3);
}

#[test]
fn hard_pod_affinity_weight_attracts_pods_to_those_that_require_them() {
    // `web` requires a `cache` pod on its node, so it
    // joins the first cache pod. The later cache pods have no terms, but
    // web's required term selects them: hardPodAffinityWeight (default 1)
    // scores web's node 100 for InterPodAffinity (×2), which outweighs
    // LeastAllocated's spreading. With the weight 0 they spread.
    let aff = r#"pod_affinity = { required = [{ topology_key = "kubernetes.io/hostname", selector = { class = "cache" } }] }"#;
    let run_with = |scheduler: &str| {
        let text = four_nodes(&[("web", "30s", 1, "1s", aff), ("cache", "0s", 3, "1m", "")], scheduler);
        let (out, pods) = run(&scenario(&text));
        assert_eq!(out.summary.pods_pending_at_end, 0);
        (nodes_of(&pods, "web"), nodes_of(&pods, "cache"))
    };
    let (web, cache) = run_with("");
    assert_eq!(web.len(), 1);
    assert_eq!(cache, web, "every cache pod joins web's node");
    let (web, cache) = run_with("hard_pod_affinity_weight = 0\n");
    assert!(web.is_subset(&cache), "web still requires a cache pod on its node");
    assert_eq!(cache.len(), 3, "without the weight LeastAllocated spreads cache: {cache:?}");
}

#[test]
fn hard_pod_affinity_weight_is_validated() {
    let text = four_nodes(&[("a", "0s", 1, "1s", "")], "hard_pod_affinity_weight = 101\n");
    let err = orchsim::Scenario::parse(&text, "w.toml").unwrap_err().to_string();
    assert!(err.contains("hard_pod_affinity_weight") && err.contains("between 0 and 100"), "{err}");
}

#[test]
fn selectors_name_classes_and_unknown_names_are_errors() {
    let anti =
        r#"pod_anti_affinity = { preferred = [{ weight = 5, topology_key = "kubernetes.io/hostname", selector = { class = "nope" } }] }"#;
    let text = four_nodes(&[("db", "0s", 2, "1s", anti)], "");
    let err = orchsim::Scenario::parse(&text, "t.toml").unwrap_err().to_string();
    assert!(
        err.contains("batch[0].pod_anti_affinity.preferred[0].selector.class")
            && err.contains("no [[batch]] class or [[services]] entry is named `nope`"),
        "{err}"
    );
}
