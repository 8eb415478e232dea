//! Cluster Autoscaler's expanders: which pool's scale-up option wins
//! (`expander/*`). orchsim's `choose` returns one option, breaking ties at
//! random as upstream's chain ends with `random`; a case that expects several
//! best options checks that every draw lands among them and each is drawn.

use std::collections::BTreeSet;

use orchsim::engine::{stream_rng, StreamId};
use orchsim::model::Resources;
use orchsim::policy::autoscaler::cluster_autoscaler::{choose, Expander, ScaleUpOption};

use crate::harness::{Case, Outcome, Suite};

/// An option adding `nodes` nodes of `cpu_milli`/`memory_bytes` for `pods`
/// pods requesting `requested` in all.
fn option(nodes: u32, pods: u32, requested: (u64, u64), node: (u64, u64), priority: i32) -> ScaleUpOption {
    ScaleUpOption {
        pool: 0,
        nodes,
        pods,
        requested: Resources { cpu_milli: requested.0, memory_bytes: requested.1, gpu: 0 },
        node_allocatable: Resources { cpu_milli: node.0, memory_bytes: node.1, gpu: 0 },
        price_per_hour: 1.0,
        priority,
    }
}

/// Checks that `expander` picks among `want` (indices; empty: no choice),
/// every one of them over 200 draws.
fn picks(options: &[ScaleUpOption], expander: Expander, want: &[usize]) -> Outcome {
    let mut rng = stream_rng(7, 0, StreamId::autoscaler(0));
    let got: BTreeSet<Option<usize>> = (0..200).map(|_| choose(options, expander, &mut rng)).collect();
    let want: BTreeSet<Option<usize>> =
        if want.is_empty() { [None].into_iter().collect() } else { want.iter().map(|&i| Some(i)).collect() };
    if got == want {
        Ok(())
    } else {
        Err(format!("{expander:?} picked {got:?}, want {want:?}"))
    }
}

fn least_waste() -> Vec<Case> {
    const SOURCE: &str = "expander/waste/waste_test.go: TestLeastWaste";
    const CPU: u64 = 500;
    const MEM: u64 = 1000 * 1024 * 1024;
    let balanced = (16 * CPU, 16 * MEM);
    let highmem = (16 * CPU, 32 * MEM);
    let lowcpu = (8 * CPU, 16 * MEM);
    let pod = (CPU, MEM);
    let rows: Vec<(&str, Vec<ScaleUpOption>, Vec<usize>)> = vec![
        ("without any pods, one node info", vec![option(1, 0, (0, 0), balanced, 0)], vec![0]),
        ("with one pod, one node info", vec![option(1, 1, pod, balanced, 0)], vec![0]),
        (
            "with one pod, two node infos, one that has lots of RAM one that has less",
            vec![option(1, 1, pod, balanced, 0), option(1, 1, pod, highmem, 0)],
            vec![0],
        ),
        (
            "with one pod, three node infos, one that has lots of RAM one that has less, and one that has less CPU",
            vec![option(1, 1, pod, balanced, 0), option(1, 1, pod, highmem, 0), option(1, 1, pod, lowcpu, 0)],
            vec![2],
        ),
    ];
    rows.into_iter().map(|(name, opts, want)| Case::ported(SOURCE, name, move || picks(&opts, Expander::LeastWaste, &want))).collect()
}

fn most_pods() -> Vec<Case> {
    const SOURCE: &str = "expander/mostpods/mostpods_test.go: TestMostPods";
    let eo = |pods| option(1, pods, (0, 0), (1000, 1000), 0);
    let rows: Vec<(&str, Vec<ScaleUpOption>, Vec<usize>)> = vec![
        ("EO0 alone", vec![eo(0)], vec![0]),
        ("EO1 (one pod) over EO0", vec![eo(0), eo(1)], vec![1]),
        ("EO1 and EO1b over EO0", vec![eo(0), eo(1), eo(1)], vec![1, 2]),
    ];
    rows.into_iter().map(|(name, opts, want)| Case::ported(SOURCE, name, move || picks(&opts, Expander::MostPods, &want))).collect()
}

fn least_nodes() -> Vec<Case> {
    const SOURCE: &str = "expander/leastnodes/leastnodes_test.go: TestLeastNodes";
    let rows: Vec<(&str, Vec<u32>, Vec<usize>)> = vec![
        ("no options", vec![], vec![]),
        ("no valid options", vec![0], vec![]),
        ("1 valid option", vec![2], vec![0]),
        ("2 valid options, not equal", vec![2, 1], vec![1]),
        ("3 valid options, 2 equal", vec![6, 2, 2], vec![1, 2]),
        ("3 valid options, all equal", vec![8, 8, 8], vec![0, 1, 2]),
        ("6 valid options, 1 invalid option, 3 equal", vec![23, 0, 5, 8, 5, 5, 22], vec![2, 4, 5]),
    ];
    rows.into_iter()
        .map(|(name, counts, want)| {
            let opts: Vec<ScaleUpOption> = counts.iter().map(|&n| option(n, 1, (0, 0), (1000, 1000), 0)).collect();
            Case::ported(SOURCE, name, move || picks(&opts, Expander::LeastNodes, &want))
        })
        .collect()
}

fn random() -> Vec<Case> {
    const SOURCE: &str = "expander/random/random_test.go: TestRandomExpander";
    let eo = || option(1, 1, (0, 0), (1000, 1000), 0);
    let rows: Vec<(&str, Vec<ScaleUpOption>, Vec<usize>)> = vec![
        ("one option", vec![eo()], vec![0]),
        ("two options, either", vec![eo(), eo()], vec![0, 1]),
        ("no options", vec![], vec![]),
    ];
    rows.into_iter().map(|(name, opts, want)| Case::ported(SOURCE, name, move || picks(&opts, Expander::Random, &want))).collect()
}

/// The priority expander's config map maps regular expressions over node
/// group names to priorities; orchsim gives each pool its priority directly.
/// The rows below resolve upstream's config map by hand (`config`: t2.micro
/// 5, t2.large and t3.large 10, m4.4xlarge 50; `wildcardMatchConfig`: every
/// group 5, t2.large 10), so they test the choice, not the matching. Each
/// upstream test function is one row.
fn priority() -> Vec<Case> {
    macro_rules! source {
        ($test:literal) => {
            concat!("expander/priority/priority_test.go: ", $test)
        };
    }
    let eo = |p| option(1, 1, (0, 0), (1000, 1000), p);
    let rows: Vec<(&'static str, &'static str, Vec<ScaleUpOption>, Vec<usize>)> = vec![
        (
            source!("TestPriorityExpanderCorrecltyFiltersSingleMatchingOptionOutOfOne"),
            "TestPriorityExpanderCorrecltyFiltersSingleMatchingOptionOutOfOne",
            vec![eo(10)],
            vec![0],
        ),
        (
            source!("TestPriorityExpanderCorrecltyFiltersSingleMatchingOptionOutOfMany"),
            "TestPriorityExpanderCorrecltyFiltersSingleMatchingOptionOutOfMany",
            vec![eo(10), eo(50)],
            vec![1],
        ),
        (
            source!("TestPriorityExpanderFiltersToHigherPriorityMatch"),
            "TestPriorityExpanderFiltersToHigherPriorityMatch",
            vec![eo(10), eo(5)],
            vec![0],
        ),
        (
            source!("TestPriorityExpanderCorrecltyFiltersTwoMatchingOptionsOutOfMany"),
            "TestPriorityExpanderCorrecltyFiltersTwoMatchingOptionsOutOfMany",
            vec![eo(10), eo(10), eo(5)],
            vec![0, 1],
        ),
        (
            source!("TestPriorityExpanderCorrecltyFallsBackToAllWhenNoMatches"),
            "TestPriorityExpanderCorrecltyFallsBackToAllWhenNoMatches",
            vec![eo(10), eo(10)],
            vec![0, 1],
        ),
    ];
    let mut cases: Vec<Case> = rows
        .into_iter()
        .map(|(source, test, opts, want)| Case::ported(source, test, move || picks(&opts, Expander::Priority, &want)))
        .collect();
    const CONFIG: &str = "the priority expander's config map (regular expressions over node group names, updated \
                          at run time) is not modelled: a pool's priority is a number in the scenario";
    cases.push(Case::not_expressible(
        source!("TestPriorityExpanderCorrecltyHandlesConfigUpdate"),
        "TestPriorityExpanderCorrecltyHandlesConfigUpdate",
        CONFIG,
    ));
    cases.push(Case::not_expressible(
        source!("TestPriorityExpanderCorrecltySkipsBadChangeConfig"),
        "TestPriorityExpanderCorrecltySkipsBadChangeConfig",
        CONFIG,
    ));
    cases
}

fn price() -> Vec<Case> {
    const WHY: &str = "upstream's price expander scores an option by its node price against a preferred node's \
                       (sized from the cluster), with an unfitness penalty and pod-price terms; orchsim's `price` \
                       expander compares node-hours × price per hour and has no pricing model to state these rows";
    vec![
        Case::not_expressible("expander/price/price_test.go: TestPriceExpander", "TestPriceExpander", WHY),
        Case::not_expressible("expander/price/preferred_test.go: TestPreferredNode", "TestPreferredNode", WHY),
        Case::not_expressible("expander/price/preferred_test.go: TestSimpleNodeUnfitness", "TestSimpleNodeUnfitness", WHY),
    ]
}

pub fn suite() -> Suite {
    let cases = [least_waste(), most_pods(), least_nodes(), random(), priority(), price()]
        .into_iter()
        .flatten()
        .collect();
    Suite {
        system: "Cluster Autoscaler",
        component: "expanders",
        upstream: "kubernetes/autoscaler cluster-autoscaler-1.36.1 @35e8a28",
        cases,
    }
}
