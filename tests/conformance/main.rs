//! Upstream conformance: the real systems' own unit-test tables, ported case
//! by case and run against orchsim's public API. Each suite module ports one
//! plugin's or controller's tables; every case cites its upstream file and test
//! function. See `README.md` here for how to add cases, and for the cases that
//! still deviate or that orchsim cannot yet express.
//!
//! The README's conformance table and this directory's list of exceptions are
//! generated from these suites: `scripts/conformance-table` rewrites them, and
//! `tables_are_current` fails when they drift.

mod ca_world;
mod harness;
mod kube_cluster;
mod kube_fixtures;

/// The source of a VPA case: `vpa!(file, "TestName")` is
/// `"pkg/…/file_test.go: TestName"` in `vertical-pod-autoscaler`.
macro_rules! vpa {
    (processor, $test:literal) => {
        concat!("pkg/updater/priority/priority_processor_test.go: ", $test)
    };
    (calc, $test:literal) => {
        concat!("pkg/updater/priority/update_priority_calculator_test.go: ", $test)
    };
    (factory, $test:literal) => {
        concat!("pkg/updater/restriction/pods_restriction_factory_test.go: ", $test)
    };
    (restriction, $test:literal) => {
        concat!("pkg/updater/restriction/pods_eviction_restriction_test.go: ", $test)
    };
    (scaling, $test:literal) => {
        concat!("pkg/utils/vpa/limit_and_request_scaling_test.go: ", $test)
    };
    (provider, $test:literal) => {
        concat!("pkg/admission-controller/resource/pod/recommendation/recommendation_provider_test.go: ", $test)
    };
    (capping, $test:literal) => {
        concat!("pkg/utils/vpa/capping_test.go: ", $test)
    };
    (estimator, $test:literal) => {
        concat!("pkg/recommender/logic/estimator_test.go: ", $test)
    };
    (recommender, $test:literal) => {
        concat!("pkg/recommender/logic/recommender_test.go: ", $test)
    };
}
mod world;

/// Declares the suite modules: one `#[test]` each (so a failure names its
/// component), and the list the tables are made from, in table order.
macro_rules! suites {
    ($($module:ident),+ $(,)?) => {
        $(mod $module;)+

        fn all_suites() -> Vec<harness::Suite> {
            vec![$($module::suite()),+]
        }

        $(
            #[test]
            fn $module() {
                harness::assert_conforms(&$module::suite());
            }
        )+
    };
}

suites! {
    kube_sampling,
    kube_node_resources_fit,
    kube_balanced_allocation,
    kube_taint_toleration,
    kube_node_affinity,
    kube_spread_score,
    kube_spread_filter,
    kube_pod_affinity_score,
    kube_pod_affinity_filter,
    hpa_replica_calculator,
    hpa_behavior,
    hpa_defaults,
    vpa_updater_priority,
    vpa_eviction,
    vpa_admission,
    vpa_recommender,
    ca_estimator,
    ca_scale_down,
    ca_expanders,
    classic_swarm,
    swarmkit,
    mesos_drf,
}

#[test]
fn tables_are_current() {
    let suites = all_suites();
    harness::check_generated("README.md", "conformance-table", &harness::summary_table(&suites));
    harness::check_generated("tests/conformance/README.md", "conformance-exceptions", &harness::exceptions_list(&suites));
}
