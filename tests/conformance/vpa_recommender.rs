//! The VPA recommender's estimators (`pkg/recommender/logic/estimator.go`)
//! and its per-pod recommendation (`pkg/recommender/logic/recommender.go`),
//! driven through orchsim's recommender: its histograms, the confidence of a
//! history and the widening of the bounds by it.
//!
//! orchsim composes the estimators in one fixed chain (percentile, 15 %
//! margin, confidence multiplier, minimums); upstream's tests that wrap
//! constant estimators with other parameters are ported where orchsim exposes
//! the step ([`widen`], [`confidence`]).

use orchsim::policy::autoscaler::vpa::{confidence, resource_amount, widen, DecayingHistogram, Recommender};
use orchsim::time::{SimDuration, SimTime};

use crate::harness::{expect_eq, Case, Suite};

/// 9 CPU samples 2 minutes apart (`TestConfidenceMultiplier`): the confidence of their history.
fn nine_samples() -> f64 {
    let mut r = Recommender::default();
    for i in 0..9u64 {
        r.add_cpu(1000.0, 1000.0, SimTime::from_secs(i * 120));
    }
    r.confidence()
}

pub fn suite() -> Suite {
    let mut cases = Vec::new();
    cases.push(Case::ported(vpa!(estimator, "TestPercentileEstimator"), "p20 of CPU 1, 2, 3 cores; p50 of memory peaks 1, 2, 3 GB", || {
        let (mut cpu, mut memory) = (DecayingHistogram::cpu(), DecayingHistogram::memory());
        for v in [1.0, 2.0, 3.0] {
            cpu.add(v, 1.0, SimTime::ZERO);
            memory.add(v * 1e9, 1.0, SimTime::ZERO);
        }
        let (c, m) = (cpu.percentile(0.2), memory.percentile(0.5));
        // assert.InEpsilon(…, 0.05): within 5 % for the histogram's rounding.
        if (c - 1.0).abs() / 1.0 <= 0.05 && (m - 2e9).abs() / 2e9 <= 0.05 {
            Ok(())
        } else {
            Err(format!("p20 CPU {c} cores, p50 memory {m} B; want 1 core and 2e9 B within 5 %"))
        }
    }));
    cases.push(Case::ported(vpa!(estimator, "TestConfidenceMultiplier"), "no history: +Inf or 0 by the exponent's sign", || {
        let c = Recommender::default().confidence();
        expect_eq("(exponent 1, exponent −1) on 3.14 cores", (resource_amount(widen(3140.0, 1.0, 1.0, c)), resource_amount(widen(3140.0, 1.0, -1.0, c))), (100_000_000_000_000, 0))
    }));
    cases.push(Case::ported(vpa!(estimator, "TestConfidenceMultiplier"), "9 samples 2 min apart: confidence 0.00625, 907.46 cores", || {
        let c = nine_samples();
        expect_eq("confidence", c, 0.00625)?;
        // CPU 3.14 cores (3140 m) and memory 3.14e9 B × (1 + 0.1/c)^2.
        let cpu = resource_amount(widen(3140.0, 0.1, 2.0, c));
        let memory = resource_amount(widen(3.14e9, 0.1, 2.0, c));
        expect_eq("(CPU m, memory B)", (cpu, memory), (907_460, 907_460_000_000))
    }));
    cases.push(Case::not_expressible(
        vpa!(estimator, "TestConfidenceMultiplierWithCustomInterval"),
        "confidence over an 18 min interval",
        "--confidence-interval-cpu and -memory are fixed at their 24 h default",
    ));
    cases.push(Case::ported(vpa!(estimator, "TestConfidenceMultiplierNoHistory"), "no history: the 1e14 cap", || {
        expect_eq("CPU", resource_amount(widen(3140.0, 0.1, 2.0, confidence(SimDuration::ZERO, 0))), 100_000_000_000_000)
    }));
    cases.push(Case::not_expressible(
        vpa!(estimator, "TestMarginEstimator"),
        "10 % margin",
        "--recommendation-margin-fraction is fixed at its 0.15 default",
    ));
    cases.push(Case::not_expressible(
        vpa!(estimator, "TestMinResourcesEstimator"),
        "a minimum below the estimate",
        "the minimums are fixed at their defaults (25m, 250 MiB) inside the recommender; no constant estimator to wrap",
    ));
    cases.push(Case::ported(vpa!(recommender, "TestMinResourcesApplied"), "1m CPU and 1 MB raised to 25m and 250 MiB", || {
        let mut r = Recommender::default();
        r.add_cpu(1.0, 1.0, SimTime::ZERO);
        r.add_memory(1e6, SimTime::ZERO);
        let (cpu, memory) = r.recommend().amounts();
        expect_eq("target (CPU m, memory B)", (cpu[1], memory[1]), (25, 250 * 1024 * 1024))
    }));
    cases.push(Case::not_expressible(
        vpa!(recommender, "TestMinResourcesSplitAcrossContainers"),
        "minimums split over 2 containers",
        "several containers per pod",
    ));
    for (source, name) in [
        (vpa!(recommender, "TestControlledResourcesFiltered"), "memory only"),
        (vpa!(recommender, "TestControlledResourcesFilteredDefault"), "memory and CPU"),
    ] {
        cases.push(Case::not_expressible(source, name, "controlledResources: orchsim's VPA always recommends CPU and memory"));
    }
    for name in ["All recommendations sorted", "All recommendations unsorted"] {
        cases.push(Case::not_expressible(vpa!(recommender, "TestMapToListOfRecommendedContainerResources"), name, "several containers per pod"));
    }
    Suite { system: "VPA", component: "recommender estimators", upstream: "kubernetes/autoscaler vertical-pod-autoscaler @55c37cd (master 2026-08)", cases }
}
