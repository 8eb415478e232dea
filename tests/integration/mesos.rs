//! `mesos-drf`: DRF offers to frameworks, refuse filters, idle detection.

use orchsim::metrics::NoPodLog;
use orchsim::time::SimTime;
use orchsim::Simulation;

use crate::support::{run, scenario};

/// The DRF paper's cluster (semantics.md §7): one agent of ⟨9 CPU, 18 GB⟩,
/// framework A with ⟨1 CPU, 4 GB⟩ tasks, B with ⟨3 CPU, 1 GB⟩, plenty of
/// each, an hour long; `frameworks` is appended.
fn paper(frameworks: &str) -> String {
    let class = |name: &str, cpu: &str, mem: &str| {
        format!(
            "[[batch]]\nname = \"{name}\"\njobs = 1\ninterarrival = {{ dist = \"constant\", value = \"1s\" }}\n\
             tasks = {{ dist = \"constant\", value = 10 }}\nduration = {{ dist = \"constant\", value = \"1h\" }}\n\
             startup = {{ dist = \"constant\", value = 0 }}\ncpu = \"{cpu}\"\nmemory = \"{mem}\"\nimages = [\"app:1\"]\n"
        )
    };
    format!(
        "name = \"drf-paper\"\nseed = 3\n[simulation]\nduration = \"2m\"\n\
         [[node_groups]]\nname = \"agent\"\ncount = 1\ncpu = \"9\"\nmemory = \"18Gi\"\nmax_pods = 110\n\
         [[images]]\nname = \"app:1\"\nsize = \"1Mi\"\n{}{}[scheduler]\nkind = \"mesos-drf\"\n{frameworks}",
        class("A", "1", "4Gi"),
        class("B", "3", "1Gi"),
    )
}

/// Tasks of classes A and B bound after the first minute.
fn placed(text: &str) -> (u32, u32) {
    let sc = scenario(text);
    let mut sim = Simulation::new(&sc, sc.seed);
    sim.run_until(SimTime::from_secs(60), &mut NoPodLog).unwrap();
    (sim.cluster().usage(0).bound, sim.cluster().usage(1).bound)
}

#[test]
fn one_task_per_offer_reproduces_the_drf_paper() {
    let fw = "[[scheduler.frameworks]]\nname = \"A\"\nworkloads = [\"A\"]\nmax_tasks_per_offer = 1\n\
              [[scheduler.frameworks]]\nname = \"B\"\nworkloads = [\"B\"]\nmax_tasks_per_offer = 1\n";
    assert_eq!(placed(&paper(fw)), (3, 2), "A = 3 tasks ⟨3 CPU, 12 GB⟩, B = 2 tasks ⟨6 CPU, 2 GB⟩");
}

#[test]
fn greedy_frameworks_take_whole_offers() {
    // Default frameworks (one per class, as many tasks as fit): A gets the
    // agent first (equal shares, name order) and fills it with 4 tasks; B gets
    // what is left at the next interval, room for 1.
    assert_eq!(placed(&paper("")), (4, 1));
}

#[test]
fn refuse_filters_delay_reoffers_by_refuse_seconds() {
    // One task per offer, default refuse_seconds 5: A launches at 1 s, B at
    // 2 s; the leftover is hidden from both until A's filter expires at 6 s.
    let fw = "[[scheduler.frameworks]]\nname = \"A\"\nworkloads = [\"A\"]\nmax_tasks_per_offer = 1\n\
              [[scheduler.frameworks]]\nname = \"B\"\nworkloads = [\"B\"]\nmax_tasks_per_offer = 1\n";
    let (_, pods) = run(&scenario(&paper(fw)));
    let mut bound: Vec<(f64, String)> = pods.iter().filter_map(|p| p.bind_s.map(|t| (t, p.workload.clone()))).collect();
    bound.sort_by(|a, b| a.0.total_cmp(&b.0));
    let order: Vec<(f64, &str)> = bound.iter().map(|(t, w)| (*t, w.as_str())).collect();
    assert_eq!(order, vec![(1.0, "A"), (2.0, "B"), (6.0, "A"), (7.0, "B"), (11.0, "A")]);

    // With refuse_seconds = 0 the same five launches come one per interval.
    let fw0 = fw.replace("max_tasks_per_offer = 1\n", "max_tasks_per_offer = 1\nrefuse_seconds = 0\n");
    let (_, pods) = run(&scenario(&paper(&fw0)));
    let mut times: Vec<f64> = pods.iter().filter_map(|p| p.bind_s).collect();
    times.sort_by(f64::total_cmp);
    assert_eq!(times, vec![1.0, 2.0, 3.0, 4.0, 5.0]);
}

#[test]
fn weights_scale_dominant_shares() {
    // B's framework weighs 2: it may hold twice A's dominant share. Ten
    // 1-CPU tasks each on a 10-CPU agent, one task per offer, no filters.
    let text = paper(
        "[[scheduler.frameworks]]\nname = \"A\"\nworkloads = [\"A\"]\nmax_tasks_per_offer = 1\nrefuse_seconds = 0\n\
         [[scheduler.frameworks]]\nname = \"B\"\nweight = 2.0\nworkloads = [\"B\"]\nmax_tasks_per_offer = 1\nrefuse_seconds = 0\n",
    )
    .replace("cpu = \"9\"", "cpu = \"10\"")
    .replace("cpu = \"3\"", "cpu = \"1\"")
    .replace("memory = \"4Gi\"", "memory = \"1Gi\"");
    // The same sequence as drf::progressive_filling with weights 1 and 2.
    assert_eq!(placed(&text), (4, 6));
}

#[test]
fn a_run_without_duration_ends_when_nothing_more_fits() {
    // Greedy frameworks stall with A's and B's leftovers unusable; without a
    // duration the run must still end (here when the hour-long tasks finish
    // and the rest run), not tick every second forever.
    let text = paper("").replace("[simulation]\nduration = \"2m\"\n", "");
    let (out, pods) = run(&scenario(&text));
    assert_eq!(out.summary.pods_completed, 20);
    assert!(pods.iter().all(|p| p.finish_s.is_some()));
    // Four rounds of (4 A + 1 B) and the rest: far fewer events than one
    // allocation tick per second for the ~4 simulated hours.
    assert!(out.summary.events < 2000, "{} events", out.summary.events);
}

#[test]
fn unknown_workloads_and_shared_classes_are_errors() {
    let bad = paper("[[scheduler.frameworks]]\nname = \"X\"\nworkloads = [\"C\"]\n");
    let err = orchsim::Scenario::parse(&bad, "m.toml").unwrap_err().to_string();
    assert!(err.contains("scheduler.frameworks[0].workloads[0]") && err.contains("no [[batch]] class is named `C`"), "{err}");
    let bad =
        paper("[[scheduler.frameworks]]\nname = \"X\"\nworkloads = [\"A\"]\n[[scheduler.frameworks]]\nname = \"Y\"\nworkloads = [\"A\"]\n");
    let err = orchsim::Scenario::parse(&bad, "m.toml").unwrap_err().to_string();
    assert!(err.contains("frameworks[1].workloads[0]") && err.contains("already belongs to framework `X`"), "{err}");
}

#[test]
fn service_frameworks_share_offers_between_apps_and_batch_ones_go_oldest_first() {
    // One framework runs both classes on one 9-CPU agent (A's tasks take
    // 1 CPU and 4 GiB, B's 3 CPU and 1 GiB; A's pods are older).
    let one =
        |kind: &str| placed(&paper(&format!("[[scheduler.frameworks]]\nname = \"fw\"\nkind = \"{kind}\"\nworkloads = [\"A\", \"B\"]\n")));
    // Batch: A's queue head is oldest, so A fills the agent: 4 tasks use
    // 16 GiB; B's head (1 GiB, 3 CPU) then fits once in what is left.
    assert_eq!(one("batch"), (4, 1));
    // Service (Marathon-like): one instance per app per round: A, B, A, B,
    // A (9 CPUs used); then neither fits: A 3, B 2.
    assert_eq!(one("service"), (3, 2));
}

#[test]
fn bad_allocator_parameters_are_errors() {
    for (line, field) in [
        ("allocation_interval = \"0s\"\n", "scheduler.allocation_interval"),
        ("allocation_interval = \"soon\"\n", "scheduler.allocation_interval"),
        ("[[scheduler.frameworks]]\nname = \"A\"\nweight = 0.0\nworkloads = [\"A\"]\n", "scheduler.frameworks[0].weight"),
        ("[[scheduler.frameworks]]\nname = \"A\"\nrefuse_seconds = -1.0\nworkloads = [\"A\"]\n", "scheduler.frameworks[0].refuse_seconds"),
        ("[[scheduler.frameworks]]\nname = \"A\"\nworkloads = []\n", "scheduler.frameworks[0].workloads"),
    ] {
        let err = orchsim::Scenario::parse(&paper(line), "m.toml").unwrap_err().to_string();
        assert!(err.contains(field), "{line}: {err}");
    }
}
