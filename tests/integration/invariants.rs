//! Property tests over random small scenarios: after every event no node is
//! over-committed on requests, the incremental accounting (per node, per
//! priority on each node, per workload) matches a recount,
//! and pods are conserved (submitted = pending + starting + running + finished).

use orchsim::metrics::NoPodLog;
use orchsim::model::{PodPhase, PriorityUsage, Resources, WorkloadUsage};
use orchsim::Simulation;
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Shape {
    groups: Vec<(u32, u32, u32)>,                  // count, cores, GiB
    classes: Vec<(u32, u32, u32, u32, u32, bool)>, // jobs, max tasks, mean duration s, max cpu m, max mem MiB, tainted-tolerant
    policy: &'static str,
    seed: u64,
    /// Bits: 1 a node fails at 60 s and is repaired 2 min later, 2 containers
    /// crash (mean 3 min), 4 a node is drained at 30 s, 8 random node failures.
    failures: u8,
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        prop::collection::vec((1u32..6, 1u32..9, 1u32..17), 1..3),
        prop::collection::vec((1u32..15, 1u32..8, 1u32..120, 100u32..4000, 64u32..8192, any::<bool>()), 1..3),
        prop_oneof![Just("kubernetes"), Just("first-fit"), Just("borg"), Just("tetris"), Just("swarm-spread"), Just("mesos-drf")],
        any::<u64>(),
        0u8..16,
    )
        .prop_map(|(groups, classes, policy, seed, failures)| Shape { groups, classes, policy, seed, failures })
}

fn toml(s: &Shape) -> String {
    let mut t = format!(
        "name = \"prop\"\nseed = {}\n[[images]]\nname = \"a:1\"\nsize = \"50Mi\"\n[[images]]\nname = \"b:1\"\nsize = \"500Mi\"\n",
        s.seed
    );
    for (i, (count, cores, gib)) in s.groups.iter().enumerate() {
        let taint = if i == 1 { "taints = [{ key = \"t\", effect = \"NoSchedule\" }]\n" } else { "" };
        t += &format!("[[node_groups]]\nname = \"g{i}\"\ncount = {count}\ncpu = \"{cores}\"\nmemory = \"{gib}Gi\"\nmax_pods = 6\n{taint}");
    }
    for (i, (jobs, tasks, dur, cpu, mem, tolerant)) in s.classes.iter().enumerate() {
        let tol = if *tolerant { "tolerations = [{ key = \"t\", operator = \"Exists\" }]\n" } else { "" };
        t += &format!(
            "[[batch]]\nname = \"c{i}\"\njobs = {jobs}\ninterarrival = {{ dist = \"exponential\", mean = \"20s\" }}\n\
             tasks = {{ dist = \"uniform\", low = 1, high = {tasks} }}\nduration = {{ dist = \"exponential\", mean = \"{dur}s\" }}\n\
             cpu = {{ dist = \"uniform\", low = \"10m\", high = \"{cpu}m\" }}\nmemory = {{ dist = \"uniform\", low = \"1Mi\", high = \"{mem}Mi\" }}\n\
             images = [\"a:1\", \"b:1\"]\npriority = {i}\n{tol}"
        );
    }
    if s.failures & 1 != 0 {
        t += "[[failures.script]]\nat = \"60s\"\naction = \"fail\"\nnode = \"g0-0\"\nduration = \"2m\"\n";
    }
    if s.failures & 4 != 0 {
        t += "[[failures.script]]\nat = \"30s\"\naction = \"drain\"\nnode = \"g0-0\"\nduration = \"5m\"\n";
    }
    if s.failures & 2 != 0 {
        t += "[[failures.crashes]]\nmtbf = \"3m\"\n";
    }
    if s.failures & 8 != 0 {
        t += "[[failures.nodes]]\nmtbf = \"20m\"\nmttr = \"3m\"\n";
    }
    if s.failures & 10 != 0 {
        t += "[simulation]\nduration = \"2h\"\n";
    }
    t + &format!("[scheduler]\nkind = \"{}\"\n", s.policy)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn no_overcommit_and_pods_conserved(shape in shape()) {
        let text = toml(&shape);
        // Scenarios whose pods fit no node are rejected by validation; skip those.
        let Ok(sc) = orchsim::Scenario::parse(&text, "prop.toml") else { return Ok(()) };
        let mut sim = Simulation::new(&sc, sc.seed);
        let mut steps = 0u64;
        while sim.step(&mut NoPodLog).unwrap() {
            steps += 1;
            let c = sim.cluster();
            let mut recount = vec![(Resources::ZERO, 0u32); c.nodes.len()];
            let mut by_priority = vec![Vec::new(); c.nodes.len()];
            let mut usage = vec![WorkloadUsage::default(); shape.classes.len()];
            for p in &c.pods {
                if matches!(p.phase, PodPhase::Starting | PodPhase::Running) {
                    let n = p.node.unwrap().0 as usize;
                    recount[n].0 += p.requests;
                    recount[n].1 += 1;
                    by_priority[n].push((p.priority, p.requests));
                    let u = &mut usage[p.workload as usize];
                    u.requested += p.requests;
                    u.bound += 1;
                    u.running += (p.phase == PodPhase::Running) as u32;
                } else if p.phase == PodPhase::Pending {
                    usage[p.workload as usize].pending += 1;
                }
            }
            for (w, u) in usage.iter().enumerate() {
                prop_assert_eq!(c.usage(w as u32), *u, "per-workload accounting drifted for class {}", w);
            }
            for (n, node) in c.nodes.iter().enumerate() {
                prop_assert!(node.requested.fits_in(&node.allocatable), "node {} over-committed: {:?} > {:?}", node.name, node.requested, node.allocatable);
                prop_assert!(node.pod_count <= node.max_pods);
                prop_assert_eq!((node.requested, node.pod_count), recount[n], "incremental accounting drifted on {}", node.name);
                let id = orchsim::model::NodeId(n as u32);
                let bound: Vec<_> = c.bound_pods(id).iter().map(|b| (b.id, b.priority, Some(b.bound), b.requests, b.workload)).collect();
                let looked_up: Vec<_> = c.pods_on(id).iter().map(|&q| c.pod(q)).map(|p| (p.id, p.priority, p.bound, p.requests, p.workload)).collect();
                prop_assert_eq!(bound, looked_up, "bound pod records drifted on {}", node.name);
                let from_scratch: PriorityUsage = by_priority[n].drain(..).collect();
                prop_assert_eq!(c.priority_usage(id), &from_scratch, "per-priority accounting drifted on {}", node.name);
            }
            // Pods are conserved: the incremental phase counts match a recount,
            // and every pod ever submitted is in exactly one phase.
            let mut by_phase = [0u64; 6];
            for p in &c.pods {
                by_phase[match p.phase {
                    PodPhase::Pending => 0,
                    PodPhase::Starting => 1,
                    PodPhase::Running => 2,
                    PodPhase::Succeeded => 3,
                    PodPhase::Terminated => 4,
                    PodPhase::Failed => 5,
                }] += 1;
            }
            let k = c.counts();
            prop_assert_eq!([k.pending, k.starting, k.running, k.succeeded, k.terminated, k.failed], by_phase, "phase counts drifted");
            prop_assert_eq!(by_phase.iter().sum::<u64>(), c.pods.len() as u64);
            prop_assert!(steps < 1_000_000, "run does not terminate");
        }
        // A run without a duration ends with nothing running: all work is done
        // (or given up on), and whatever is left pending could never be placed.
        if sc.duration.is_none() {
            let c = sim.cluster().counts();
            prop_assert_eq!(c.starting + c.running, 0);
            let out = sim.run(&mut NoPodLog).unwrap();
            prop_assert_eq!(out.summary.pods_submitted, out.summary.pods_completed + out.summary.pods_pending_at_end + c.terminated + c.failed);
        }
    }
}
