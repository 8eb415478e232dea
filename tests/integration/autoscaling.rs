//! Services and autoscalers in whole runs, with vectors from
//! shared/reference/semantics.md §2–§3.

use orchsim::metrics::services::ScalingEvent;

use crate::support::{run, scenario};

/// A service `web` of `replicas` replicas (500m, 100 req/s each) under
/// constant `load`, with `autoscaler` lines appended to its table.
fn web(replicas: u32, load: f64, extra: &str) -> String {
    format!(
        "[[services]]\nname = \"web\"\nreplicas = {replicas}\nimage = \"app:1\"\ncpu = \"500m\"\nmemory = \"256Mi\"\nstartup = \"0s\"\n\
         capacity_rps = 100\nload = {{ constant = {load} }}\n{extra}\n"
    )
}

/// Nodes: `count` of 4 CPUs in a pool `pool` with the image preloaded.
fn cluster(count: u32, pool_extra: &str, duration: &str) -> String {
    format!(
        "name = \"t\"\n[simulation]\nduration = \"{duration}\"\nsample_interval = \"15s\"\n\
         [[images]]\nname = \"app:1\"\nsize = \"1Gi\"\n\
         [[node_groups]]\nname = \"pool\"\ncount = {count}\ncpu = \"4\"\nmemory = \"16Gi\"\npreloaded_images = [\"app:1\"]\n{pool_extra}\n"
    )
}

fn node_events(events: &[ScalingEvent]) -> Vec<(f64, u32, u32, &str)> {
    events.iter().filter(|e| e.kind == "nodes").map(|e| (e.time_s, e.from, e.to, e.reason.as_str())).collect()
}

#[test]
fn hpa_doubles_three_replicas_at_twice_the_target() {
    // 3 replicas serving 90 req/s take 30 each, 150m: 30 % of their 500m
    // request, twice the 15 % target → ceil(3 · 30/15) = 6 replicas
    // (semantics.md §2). After that, 15 req/s each = 15 %: no change.
    let hpa = "[services.autoscaler]\nmax_replicas = 20\nmetrics = [{ cpu_utilization = 15 }]\n";
    let s = scenario(&(cluster(2, "", "10m") + &web(3, 90.0, hpa)));
    let (out, _) = run(&s);
    let changes: Vec<(u32, u32)> = out.scaling_events.iter().filter(|e| e.kind == "replicas").map(|e| (e.from, e.to)).collect();
    assert_eq!(changes, vec![(3, 6)], "{:?}", out.scaling_events);
    // Within the 5-minute CPU initialization period a pod whose reported
    // window began before it was ready counts as not ready: the pods became
    // ready at 0 s, so the HPA first trusts their CPU at 0 + 60 s.
    assert_eq!(out.scaling_events[0].time_s, 60.0);
    let last = out.services.last().unwrap();
    assert_eq!((last.replicas_desired, last.replicas_ready), (6, 6));
    assert_eq!(out.summary.request_success_ratio, 1.0);
}

#[test]
fn overload_is_dropped_and_counted_against_the_slo() {
    // Two replicas, no autoscaler, 300 req/s: 200 served, 100 dropped.
    let s = scenario(&(cluster(1, "", "100s") + &web(2, 300.0, "")));
    let (out, _) = run(&s);
    let last = out.services.last().unwrap();
    assert_eq!((last.served_rps, last.dropped_rps), (200.0, 100.0));
    let sum = &out.service_summaries[0];
    assert!((sum.success_ratio - 2.0 / 3.0).abs() < 1e-9, "{}", sum.success_ratio);
    assert_eq!(sum.slo_violation_s, 100.0);
    assert_eq!(last.cpu_utilization, 1.0, "each replica at its full request");
}

#[test]
fn cluster_autoscaler_adds_three_four_cpu_nodes_for_ten_one_cpu_pods() {
    // 10 pending pods of 1 CPU, an empty pool of 4-CPU nodes: binpacking
    // gives 3 nodes (semantics.md §3). The pods fail at 0 s, the first scan
    // at 10 s asks for 3 nodes, which join 120 s later.
    let pool = "min = 0\nmax = 10\nprovisioning_delay = \"120s\"\nprice_per_hour = 0.5\n";
    let batch = "[[batch]]\nname = \"b\"\njobs = 1\ntasks = 10\ninterarrival = \"1s\"\nduration = \"1h\"\nstartup = \"0s\"\n\
                 cpu = \"1\"\nmemory = \"1Gi\"\nimages = [\"app:1\"]\n[node_autoscaler]\npolicy = \"cluster-autoscaler\"\n\
                 scale_down_enabled = false\n";
    let s = scenario(&(cluster(0, pool, "30m") + batch));
    let (out, pods) = run(&s);
    assert_eq!(node_events(&out.scaling_events), vec![(10.0, 0, 3, "unschedulable pods")]);
    assert!(pods.iter().all(|p| p.bind_s == Some(130.0)), "{:?}", pods.iter().map(|p| p.bind_s).collect::<Vec<_>>());
    // Cost: 3 nodes billed from the request at 10 s to the end at 1800 s.
    assert!((out.summary.cost - 3.0 * 1790.0 / 3600.0 * 0.5).abs() < 1e-9, "{}", out.summary.cost);
}

#[test]
fn an_idle_node_goes_only_after_ten_minutes_unneeded() {
    // Two empty nodes, min 1: both are unneeded from the first scan (10 s);
    // one is removed at the first scan strictly more than 10 minutes later
    // (620 s: `unneeded/nodes.go` keeps a node while `since + 10m` is not
    // before now), the other stays.
    let s = scenario(&(cluster(2, "min = 1\nmax = 4\n", "30m") + "[node_autoscaler]\npolicy = \"cluster-autoscaler\"\n"));
    let (out, _) = run(&s);
    assert_eq!(node_events(&out.scaling_events), vec![(620.0, 2, 1, "empty")]);
    assert_eq!(out.samples.last().unwrap().nodes, 1);
}

#[test]
fn least_waste_grows_the_pool_that_wastes_least() {
    // 6 pods of 1 CPU and 1 GiB: a 4-CPU pool needs 2 nodes (2 CPUs idle of
    // 8), an 8-CPU pool 1 node (2 idle of 8) but with 64 GiB of memory mostly
    // wasted; least-waste adds CPU and memory fractions, so the 4-CPU pool.
    let text = format!(
        "{}[[node_groups]]\nname = \"big\"\ncount = 0\nmin = 0\nmax = 5\ncpu = \"8\"\nmemory = \"64Gi\"\nprovisioning_delay = \"60s\"\n\
         price_per_hour = 0.8\n\
         [[batch]]\nname = \"b\"\njobs = 1\ntasks = 6\ninterarrival = \"1s\"\nduration = \"1h\"\nstartup = \"0s\"\ncpu = \"1\"\n\
         memory = \"1Gi\"\nimages = [\"app:1\"]\n[node_autoscaler]\npolicy = \"cluster-autoscaler\"\nexpander = \"least-waste\"\n",
        cluster(0, "min = 0\nmax = 5\nprovisioning_delay = \"60s\"\nprice_per_hour = 0.5\n", "10m")
    );
    let (out, _) = run(&scenario(&text));
    let grown: Vec<&str> = out.scaling_events.iter().filter(|e| e.kind == "nodes").map(|e| e.target.as_str()).collect();
    assert_eq!(grown, vec!["pool"]);
    // The price expander picks the cheaper option: 1 big node at 0.8/h
    // against 2 small ones at 0.5/h.
    let priced = text.replace("expander = \"least-waste\"", "expander = \"price\"");
    let (out, _) = run(&scenario(&priced));
    let grown: Vec<&str> = out.scaling_events.iter().filter(|e| e.kind == "nodes").map(|e| e.target.as_str()).collect();
    assert_eq!(grown, vec!["big"], "{:?}", out.scaling_events);
}

#[test]
fn a_cold_image_delays_readiness_by_the_pull_and_a_warm_one_does_not() {
    // A new node without the 1 GiB image pulls it at 100 MiB/s after 0.5 s
    // latency: 10.74 s before the replica can start.
    let base = |preloaded: &str| {
        format!(
            "name = \"t\"\n[simulation]\nduration = \"5m\"\n[[images]]\nname = \"app:1\"\nsize = \"1Gi\"\n\
             [[node_groups]]\nname = \"pool\"\ncount = 1\ncpu = \"4\"\nmemory = \"16Gi\"\nimage_pull_bandwidth = \"100Mi\"\n\
             image_pull_latency = \"500ms\"\n{preloaded}\n{}",
            web(1, 10.0, "")
        )
    };
    let (_, cold) = run(&scenario(&base("")));
    let (_, warm) = run(&scenario(&base("preloaded_images = [\"app:1\"]")));
    assert_eq!(cold[0].image_pull_s, Some(10.74));
    assert_eq!(cold[0].start_s, Some(10.74));
    assert_eq!((warm[0].image_pull_s, warm[0].start_s), (Some(0.0), Some(0.0)));
}

#[test]
fn adding_a_service_leaves_the_batch_workload_unchanged() {
    // Common random numbers: the batch class draws the same jobs with or
    // without a service beside it.
    let batch = "[[batch]]\nname = \"b\"\njobs = 20\ntasks = { dist = \"uniform\", low = 1, high = 4 }\n\
                 interarrival = { dist = \"exponential\", mean = \"5s\" }\nduration = { dist = \"exponential\", mean = \"30s\" }\n\
                 cpu = { dist = \"uniform\", low = \"100m\", high = \"900m\" }\nmemory = \"256Mi\"\nimages = [\"app:1\"]\n";
    let alone = scenario(&(cluster(3, "", "30m") + batch));
    let with = scenario(&(cluster(3, "", "30m") + batch + &web(2, 50.0, "")));
    let key = |pods: Vec<orchsim::metrics::PodRecord>| {
        let mut v: Vec<(u32, u32, String, u64, u64)> = pods
            .into_iter()
            .filter(|p| p.workload == "b")
            .map(|p| (p.job, p.task, format!("{:.6}", p.submit_s), p.cpu_request_m, (p.memory_request_mib * 1024.0) as u64))
            .collect();
        v.sort();
        v
    };
    assert_eq!(key(run(&alone).1), key(run(&with).1));
}

#[test]
fn service_runs_are_reproducible() {
    let text = std::fs::read_to_string(crate::support::repo().join("scenarios/hpa-diurnal.toml")).unwrap();
    let s = orchsim::Scenario::parse(&text, "hpa-diurnal.toml").unwrap();
    let (a, _) = run(&s);
    let (b, _) = run(&s);
    assert_eq!(a.services, b.services);
    assert_eq!(a.scaling_events, b.scaling_events);
    assert_eq!(a.summary, b.summary);
    assert!(a.summary.replica_scaling_events > 4, "the HPA follows the day: {}", a.summary.replica_scaling_events);
    assert!(a.summary.node_scale_ups > 0 && a.summary.node_scale_downs > 0);
}

/// As upstream's `reconcileAutoscaler`: a count above `max_replicas` (or
/// below `min_replicas`) is brought inside by the first sync, whatever the
/// metrics say; a service at 0 replicas is left alone (scaling disabled).
#[test]
fn replicas_outside_the_bounds_are_brought_inside_by_the_first_sync() {
    let hpa = |min: u32| format!("[services.autoscaler]\nmin_replicas = {min}\nmax_replicas = 4\nmetrics = [{{ cpu_utilization = 50 }}]\n");
    let changes = |replicas: u32, min: u32| {
        let (out, _) = run(&scenario(&(cluster(2, "", "2m") + &web(replicas, 10.0, &hpa(min)))));
        out.scaling_events.iter().filter(|e| e.kind == "replicas").map(|e| (e.time_s, e.from, e.to)).collect::<Vec<_>>()
    };
    assert_eq!(changes(6, 1), vec![(15.0, 6, 4)], "above max_replicas");
    assert_eq!(changes(1, 2), vec![(15.0, 1, 2)], "below min_replicas");
    assert_eq!(changes(0, 1), vec![], "at zero the HPA stands aside");
}

#[test]
fn bad_service_and_pool_settings_are_located() {
    let cases = [
        (
            web(3, 10.0, "[services.autoscaler]\nmax_replicas = 5\nmetrics = [{ cpu_utilization = 50 }]\nlegacy = false\n"),
            "services[0].autoscaler.legacy",
        ),
        (
            web(3, 10.0, "[services.autoscaler]\nmax_replicas = 5\nmetrics = [{ cpu_utilization = 50, requests_per_pod = 3 }]\n"),
            "metrics[0]",
        ),
        (web(3, 10.0, "[services.autoscaler]\npolicy = \"nope\"\nmax_replicas = 5\nmetrics = []\n"), "unknown autoscaler `nope`"),
        (web(1, 10.0, "").replace("capacity_rps = 100", "capacity_rps = 0"), "services[0].capacity_rps"),
        (
            web(1, 10.0, "")
                .replace("load = { constant = 10 }", "load = { constant = 1, ramp = { from = 1, to = 2, start = \"0s\", end = \"1s\" } }"),
            "exactly one",
        ),
        ("[node_autoscaler]\npolicy = \"magic\"\n".to_string(), "unknown node autoscaler `magic`"),
    ];
    for (extra, expect) in cases {
        let text = cluster(1, "", "10m") + &extra;
        let err = orchsim::Scenario::parse(&text, "t.toml").unwrap_err().to_string();
        assert!(err.contains(expect) && err.contains("t.toml:"), "expected `{expect}` in:\n{err}");
    }
    let no_duration = cluster(1, "", "10m").replace("duration = \"10m\"\n", "") + &web(1, 1.0, "");
    let err = orchsim::Scenario::parse(&no_duration, "t.toml").unwrap_err().to_string();
    assert!(err.contains("give the run a duration"), "{err}");
}

#[test]
fn the_vpa_recommends_the_p90_usage_plus_fifteen_percent() {
    // Each of 2 replicas serves 25 req/s: 125m of its 500m request, steadily.
    // Target = p90 of the CPU histogram (bucket upper bound, buckets 5 %
    // wide) + 15 % margin: within a bucket of 125 · 1.15 = 143.75m.
    let s = scenario(&(cluster(1, "", "2h") + &web(2, 50.0, "vpa = { mode = \"off\" }\n")));
    let (out, _) = run(&s);
    let target = out.services.last().unwrap().vpa_cpu_target_m.unwrap();
    assert!((143.75..=143.75 * 1.06).contains(&target), "{target}");
    // Memory: half the 256Mi request, + 15 %, is below the minimum of 250 MiB
    // (`--pod-recommendation-min-memory-mb` times 1024 · 1024).
    let mem = out.services.last().unwrap().vpa_memory_target_mib.unwrap();
    assert_eq!(mem, 250.0);
    // Steady usage: p50, p90 and p95 share one bucket, so the bounds are the
    // target widened for the history's length (the first sample at 15 s, so
    // the span is under 2 h): upper × (1 + 1/c), lower × (1 + 0.001/c)^-2.
    let last = out.services.last().unwrap();
    let first_scrape = out.services.iter().find(|s| s.vpa_cpu_upper_m.is_some_and(|u| u < 1e14)).unwrap();
    let c = (last.time_s - (first_scrape.time_s - 10.0).max(0.0)) / 86400.0;
    let (lower, upper) = (last.vpa_cpu_lower_m.unwrap(), last.vpa_cpu_upper_m.unwrap());
    assert!(upper > target * (1.0 + 1.0 / c) * 0.9 && upper <= target * (1.0 + 1.0 / c) * 1.1, "{upper} vs {target} at c = {c}");
    assert!(lower < target && lower > target * 0.97, "{lower} vs {target}");
}

#[test]
fn every_node_autoscaler_grows_and_shrinks_the_burst_cluster() {
    let text = std::fs::read_to_string(crate::support::repo().join("scenarios/cluster-autoscaler-burst.toml")).unwrap();
    for policy in ["cluster-autoscaler", "karpenter", "target-tracking"] {
        let t = text.replace("policy = \"cluster-autoscaler\"\nexpander = \"least-waste\"", &format!("policy = \"{policy}\""));
        let s = orchsim::Scenario::parse(&t, "burst.toml").unwrap_or_else(|e| panic!("{policy}: {e}"));
        let (out, _) = run(&s);
        let ev = node_events(&out.scaling_events);
        assert!(ev.iter().any(|e| e.2 > e.1) && ev.iter().any(|e| e.2 < e.1), "{policy}: {ev:?}");
        assert!(out.scaling_events.iter().filter(|e| e.kind == "nodes").all(|e| e.policy == policy || e.policy.is_empty()));
        assert_eq!(out.summary.pods_pending_at_end, 0, "{policy}: the burst is served");
        assert!(out.summary.cost > 0.0);
    }
    let wrong = text.replace("expander = \"least-waste\"", "expander = \"least-waste\"\nbudget_percent = 20");
    let err = orchsim::Scenario::parse(&wrong, "burst.toml").unwrap_err().to_string();
    assert!(err.contains("node_autoscaler.budget_percent") && err.contains("not a parameter of `cluster-autoscaler`"), "{err}");
}

#[test]
fn service_pods_get_the_system_default_spread_unless_they_set_their_own() {
    let defaults = scenario(&(cluster(1, "", "1m") + &web(1, 1.0, "")));
    let spread = &defaults.services[0].spec.placement.topology_spread;
    let keys: Vec<(&str, u32)> = spread.iter().map(|c| (c.topology_key.as_str(), c.max_skew)).collect();
    assert_eq!(keys, vec![("kubernetes.io/hostname", 3), ("topology.kubernetes.io/zone", 5)]);
    let own = web(1, 1.0, "topology_spread = [{ max_skew = 1, topology_key = \"topology.kubernetes.io/zone\" }]\n");
    let own = scenario(&(cluster(1, "", "1m") + &own));
    assert_eq!(own.services[0].spec.placement.topology_spread.len(), 1);
}

/// The VPA's evictions (`kind = vpa` in `scaling_events.csv`): (time, old CPU request, target).
fn vpa_evictions(events: &[ScalingEvent]) -> Vec<(f64, u32, u32)> {
    events.iter().filter(|e| e.kind == "vpa").map(|e| (e.time_s, e.from, e.to)).collect()
}

#[test]
fn the_vpa_in_recreate_mode_evicts_overprovisioned_replicas_and_recreates_them_with_the_target() {
    // 4 replicas of 500m each use 125m. The target is about 144m; the upper
    // bound, target × (1 + 1/c), falls below 500m once c > 0.405 days
    // (9.7 h): the requests are then outside the bounds and the updater
    // evicts, at most ⌊4 × 0.5⌋ = 2 a loop, every minute.
    let s = scenario(&(cluster(2, "", "12h") + &web(4, 100.0, "vpa = { mode = \"recreate\" }\n")));
    let (out, pods) = run(&s);
    let evictions = vpa_evictions(&out.scaling_events);
    assert_eq!(evictions.len(), 4, "{evictions:?}");
    let first = evictions[0].0;
    assert!((9.5 * 3600.0..10.0 * 3600.0).contains(&first), "{first}");
    assert_eq!(evictions.iter().filter(|e| e.0 == first).count(), 2, "half the group per loop: {evictions:?}");
    assert!(evictions.iter().all(|&(_, from, to)| from == 500 && (143..=153).contains(&to)), "{evictions:?}");
    // The evicted pods are gone; their replacements run with the target and serve the load.
    let terminated: Vec<_> = pods.iter().filter(|p| p.phase == "Terminated").collect();
    assert_eq!(terminated.len(), 4);
    let running: Vec<_> = pods.iter().filter(|p| p.phase == "Running").collect();
    assert_eq!(running.len(), 4);
    assert!(
        running.iter().all(|p| (143..=153).contains(&p.cpu_request_m)),
        "{:?}",
        running.iter().map(|p| p.cpu_request_m).collect::<Vec<_>>()
    );
    let last = out.services.last().unwrap();
    assert_eq!((last.replicas_serving, last.dropped_rps), (4, 0.0));
    // Each serves its 25 req/s (125m) on about 145m: utilization near 1/1.15.
    assert!((0.8..0.9).contains(&last.cpu_utilization), "{}", last.cpu_utilization);
}

#[test]
fn the_vpa_evicts_nothing_in_initial_mode_below_min_replicas_or_against_a_budget() {
    let none = |extra: &str, replicas: u32| {
        let s = scenario(&(cluster(2, "", "12h") + &web(replicas, 25.0 * f64::from(replicas), extra)));
        vpa_evictions(&run(&s).0.scaling_events)
    };
    assert_eq!(none("vpa = { mode = \"initial\" }\n", 4), vec![], "Initial: admission only");
    assert_eq!(none("vpa = { mode = \"auto\" }\n", 1), vec![], "one live replica: below --min-replicas 2");
    assert_eq!(
        none("vpa = { mode = \"auto\" }\ndisruption_budget = { min_available = 4 }\n", 4),
        vec![],
        "the budget allows no disruption"
    );
    // updatePolicy.minReplicas = 1 lets the updater take a lone replica.
    assert_eq!(none("vpa = { mode = \"auto\", min_replicas = 1 }\n", 1).len(), 1);
    // A budget of one unavailable: one eviction a loop instead of two.
    let one_by_one = none("vpa = { mode = \"recreate\" }\ndisruption_budget = { max_unavailable = 1 }\n", 4);
    let times: Vec<f64> = one_by_one.iter().map(|e| e.0).collect();
    assert!(times.len() == 4 && times.windows(2).all(|w| w[1] >= w[0] + 60.0), "{one_by_one:?}");
}
