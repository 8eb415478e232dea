//! Cluster Autoscaler's binpacking estimator: how many nodes of a pool's
//! template the pending pods need (`BinpackingNodeEstimator.Estimate`).

use orchsim::model::Resources;
use orchsim::policy::autoscaler::cluster_autoscaler::estimate_nodes;

use crate::ca_world::not_expressible;
use crate::harness::{Case, Suite};

const SOURCE: &str = "estimator/binpacking_estimator_test.go: TestBinpackingEstimate";

const MIB: u64 = 1 << 20;

/// `podCount` pods of `cpu_milli` and `memory_bytes` (an equivalence group).
fn group(cpu_milli: u64, memory_bytes: u64, count: usize) -> Vec<Resources> {
    vec![Resources { cpu_milli, memory_bytes, gpu: 0 }; count]
}

pub fn suite() -> Suite {
    // (name, template millicores, template MiB, maxNodes (0: no limit), pods,
    //  want nodes, want pods, want requested CPU of the pods placed (the
    //  processed pods, where upstream checks them))
    type Row = (&'static str, u64, u64, u32, Vec<Resources>, u32, u32, Option<u64>);
    let table: Vec<Row> = vec![
        ("simple resource-based binpacking", 350 * 3 - 50, 2 * 1000, 0, group(350, 1000, 10), 5, 10, None),
        ("pods-per-node bound binpacking", 10000, 20000, 0, group(10, 100, 20), 2, 20, None),
        ("limiter cuts binpacking", 1000, 5000, 5, group(500, 1000, 20), 5, 10, None),
        (
            "decreasing ordered pods are processed first",
            1000,
            5000,
            5,
            [group(50, 1000, 10), group(500, 1000, 10)].concat(),
            5,
            10,
            // The ten 500m pods (highResourcePodGroup), not the 50m ones.
            Some(10 * 500),
        ),
    ];
    let mut cases: Vec<Case> = table
        .into_iter()
        .map(|(name, cpu, mem_mib, max_nodes, pods, want_nodes, want_pods, want_cpu)| {
            Case::ported(SOURCE, name, move || {
                // The template of makeNode: 10 pods at most; a StaticThreshold of 0 is no limit.
                let allocatable = Resources { cpu_milli: cpu, memory_bytes: mem_mib * MIB, gpu: 0 };
                let limit = if max_nodes == 0 { u32::MAX } else { max_nodes };
                let (nodes, requested, placed) = estimate_nodes(&pods, allocatable, 10, limit);
                if (nodes, placed) != (want_nodes, want_pods) {
                    return Err(format!("{nodes} nodes for {placed} pods, want {want_nodes} for {want_pods}"));
                }
                match want_cpu {
                    Some(want) if requested.cpu_milli != want => {
                        Err(format!("the pods placed request {} m of CPU, want {want} m", requested.cpu_milli))
                    }
                    _ => Ok(()),
                }
            })
        })
        .collect();
    cases.push(Case::not_expressible(SOURCE, "hostport conflict forces pod-per-node", "host ports are not modelled"));
    const SPREAD: &str = "orchsim's binpacking estimator (`estimate_nodes`) packs pods' requests only: it does not run \
                          PodTopologySpread on the simulated new nodes, so a pod's spread constraints cannot reach it";
    cases.extend(not_expressible(
        SOURCE,
        &[
            "hostname topology spreading with maxSkew=2 forces 2 pods/node",
            "zonal topology spreading with maxSkew=2 only allows 2 pods to schedule",
            "hostname topology spreading with maxSkew=1 with a large scaleup handles scheduling pods retroactively",
        ],
        SPREAD,
    ));
    Suite {
        system: "Cluster Autoscaler",
        component: "binpacking estimator",
        upstream: "kubernetes/autoscaler cluster-autoscaler-1.36.1 @35e8a28",
        cases,
    }
}
