//! kube-scheduler's node sampling: how many feasible nodes a cycle looks for
//! before it stops filtering (`numFeasibleNodesToFind`).

use orchsim::policy::scheduler::kubernetes::num_feasible_nodes_to_find;

use crate::harness::{Case, Suite};

const SOURCE: &str = "pkg/scheduler/schedule_one_test.go: TestNumFeasibleNodesToFind";

pub fn suite() -> Suite {
    // (name, percentageOfNodesToScore (0 = unset, adaptive), numAllNodes, wantNumNodes)
    let table: [(&str, u32, usize, usize); 5] = [
        ("not set percentageOfNodesToScore and nodes number not more than 50", 0, 10, 10),
        ("set percentageOfNodesToScore and nodes number not more than 50", 40, 10, 10),
        ("not set percentageOfNodesToScore and nodes number more than 50", 0, 1000, 420),
        ("set percentageOfNodesToScore and nodes number more than 50", 40, 1000, 400),
        ("not set percentageOfNodesToScore and nodes number more than 50*125", 0, 6000, 300),
    ];
    let cases = table
        .into_iter()
        .map(|(name, percentage, nodes, want)| {
            Case::ported(SOURCE, name, move || {
                let got = num_feasible_nodes_to_find(nodes, percentage);
                if got == want {
                    Ok(())
                } else {
                    Err(format!("numFeasibleNodesToFind({nodes}) at {percentage} % = {got}, want {want}"))
                }
            })
        })
        .collect();
    Suite { system: "kube-scheduler", component: "node sampling", upstream: "kubernetes/kubernetes v1.27", cases }
}
