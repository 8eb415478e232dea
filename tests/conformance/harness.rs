//! The suite's machinery: a case is one row of an upstream test table, run
//! against orchsim's public API, and counted into the conformance tables.
//!
//! A case is one of three kinds, so the tables never overstate what holds:
//! - [`Case::ported`]: orchsim behaves as upstream; the check must pass.
//! - [`Case::deviates`]: ported, but orchsim still differs (the reason says
//!   how). The check must *fail*: once a fix makes it pass, the suite fails
//!   until the case is promoted to `ported`, so the tables stay true.
//! - [`Case::not_expressible`]: orchsim's object model cannot state the case
//!   (several containers, label selectors, namespaces, …). The reason is the
//!   input of the object-model work; nothing runs.

use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// What a case's check returns: `Err` says what differed from upstream.
pub type Outcome = Result<(), String>;

/// `Ok` when `got` equals `want`; otherwise says what `what` was and should be.
pub fn expect_eq<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Outcome {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: {got:?}, want {want:?}"))
    }
}

/// A boxed check, so table-driven cases can capture their row.
pub type Check = Box<dyn Fn() -> Outcome + Send + Sync>;

/// How a case stands.
pub enum Kind {
    Ported(Check),
    Deviates { why: &'static str, check: Check },
    NotExpressible { why: &'static str },
}

/// One row of an upstream test table.
pub struct Case {
    /// Upstream file and test function, e.g.
    /// `pkg/scheduler/framework/plugins/noderesources/least_allocated_test.go: TestLeastAllocatedScoringStrategy`.
    pub source: &'static str,
    /// The row's name in the upstream table (its `name:` field, or a short
    /// description when upstream has none).
    pub name: String,
    pub kind: Kind,
}

impl Case {
    /// A case orchsim passes.
    pub fn ported(source: &'static str, name: impl Into<String>, check: impl Fn() -> Outcome + Send + Sync + 'static) -> Case {
        Case { source, name: name.into(), kind: Kind::Ported(Box::new(check)) }
    }

    /// A ported case orchsim still fails, and why.
    pub fn deviates(
        source: &'static str,
        name: impl Into<String>,
        why: &'static str,
        check: impl Fn() -> Outcome + Send + Sync + 'static,
    ) -> Case {
        Case { source, name: name.into(), kind: Kind::Deviates { why, check: Box::new(check) } }
    }

    /// A case the scenario format or object model cannot express, and why.
    pub fn not_expressible(source: &'static str, name: impl Into<String>, why: &'static str) -> Case {
        Case { source, name: name.into(), kind: Kind::NotExpressible { why } }
    }
}

/// The ported tables of one component of a real system.
pub struct Suite {
    /// `kube-scheduler`, `HPA`, `Cluster Autoscaler`, …
    pub system: &'static str,
    /// The plugin or controller, e.g. `NodeResourcesFit`.
    pub component: &'static str,
    /// Repository and the release or commit the cases were taken from, e.g.
    /// `kubernetes/kubernetes v1.34`.
    pub upstream: &'static str,
    pub cases: Vec<Case>,
}

/// How one case ran.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Verdict {
    Passes,
    Fails,
    NotRun,
}

/// Runs a check, turning a panic (an `assert!` inside it) into a failure.
fn run(check: &Check) -> Outcome {
    match catch_unwind(AssertUnwindSafe(check)) {
        Ok(outcome) => outcome,
        Err(panic) => {
            let text = panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
            Err(format!("panicked: {}", text.unwrap_or_default()))
        }
    }
}

/// Runs every case of `suite`; returns each case's verdict and the problems:
/// a ported case that fails, or a deviating case that now passes.
pub fn evaluate(suite: &Suite) -> (Vec<Verdict>, Vec<String>) {
    let mut verdicts = Vec::with_capacity(suite.cases.len());
    let mut problems = Vec::new();
    for case in &suite.cases {
        let label = format!("{} [{}] {}", suite.component, case.source, case.name);
        let verdict = match &case.kind {
            Kind::Ported(check) => match run(check) {
                Ok(()) => Verdict::Passes,
                Err(why) => {
                    problems.push(format!("{label}: {why}"));
                    Verdict::Fails
                }
            },
            Kind::Deviates { check, .. } => match run(check) {
                Ok(()) => {
                    problems.push(format!("{label}: now behaves as upstream; mark it `Case::ported`"));
                    Verdict::Passes
                }
                Err(_) => Verdict::Fails,
            },
            Kind::NotExpressible { .. } => Verdict::NotRun,
        };
        verdicts.push(verdict);
    }
    (verdicts, problems)
}

/// Panics with every problem of `suite`, one per line.
pub fn assert_conforms(suite: &Suite) {
    assert!(!suite.cases.is_empty(), "{}: no cases", suite.component);
    let (_, problems) = evaluate(suite);
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}

/// The README's conformance table: per component, cases ported, passing and
/// not expressible.
pub fn summary_table(suites: &[Suite]) -> String {
    let mut out = String::from("| System | Component | Upstream | Ported | Passing | Not expressible |\n|---|---|---|---:|---:|---:|\n");
    let mut totals = [0usize; 3];
    for suite in suites {
        let (verdicts, _) = evaluate(suite);
        let ported = suite.cases.iter().filter(|c| !matches!(c.kind, Kind::NotExpressible { .. })).count();
        let passing =
            suite.cases.iter().zip(&verdicts).filter(|(c, v)| matches!(c.kind, Kind::Ported(_)) && **v == Verdict::Passes).count();
        let not_expressible = suite.cases.len() - ported;
        for (t, n) in totals.iter_mut().zip([ported, passing, not_expressible]) {
            *t += n;
        }
        let _ = writeln!(out, "| {} | {} | {} | {ported} | {passing} | {not_expressible} |", suite.system, suite.component, suite.upstream);
    }
    let _ = writeln!(out, "| **all** | | | **{}** | **{}** | **{}** |", totals[0], totals[1], totals[2]);
    out
}

/// The suite README's list of the cases that do not pass: those that still
/// deviate and those the object model cannot express, each with its reason.
pub fn exceptions_list(suites: &[Suite]) -> String {
    let mut out = String::new();
    for (heading, deviating) in [("Ported, still deviating", true), ("Not expressible", false)] {
        let _ = writeln!(out, "### {heading}\n");
        let mut any = false;
        for suite in suites {
            for case in &suite.cases {
                let why = match (&case.kind, deviating) {
                    (Kind::Deviates { why, .. }, true) | (Kind::NotExpressible { why }, false) => why,
                    _ => continue,
                };
                any = true;
                let _ = writeln!(out, "- **{} / {}** `{}` — {}: {why}", suite.system, suite.component, case.source, case.name);
            }
        }
        if !any {
            out.push_str("None.\n");
        }
        out.push('\n');
    }
    out
}

/// Replaces the text between `<!-- {marker}:begin -->` and
/// `<!-- {marker}:end -->` of `path` with `body` when `ORCHSIM_UPDATE_CONFORMANCE`
/// is set; otherwise asserts the file already holds it, so the tables in the
/// READMEs can never drift from what the suite measures.
pub fn check_generated(path: &str, marker: &str, body: &str) {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    let (begin, end) = (format!("<!-- {marker}:begin -->\n"), format!("<!-- {marker}:end -->"));
    let start = text.find(&begin).unwrap_or_else(|| panic!("{full}: no `{}` marker", begin.trim())) + begin.len();
    let stop = start + text[start..].find(&end).unwrap_or_else(|| panic!("{full}: no `{end}` marker"));
    if text[start..stop] == *body {
        return;
    }
    if std::env::var_os("ORCHSIM_UPDATE_CONFORMANCE").is_some() {
        let updated = format!("{}{body}{}", &text[..start], &text[stop..]);
        std::fs::write(&full, updated).unwrap_or_else(|e| panic!("{full}: {e}"));
    } else {
        panic!("{full}: the `{marker}` section is out of date; run scripts/conformance-table\n--- expected ---\n{body}");
    }
}
