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
    ca_estimator,
    ca_scale_down,
    ca_expanders,
}

#[test]
fn tables_are_current() {
    let suites = all_suites();
    harness::check_generated("README.md", "conformance-table", &harness::summary_table(&suites));
    harness::check_generated("tests/conformance/README.md", "conformance-exceptions", &harness::exceptions_list(&suites));
}
