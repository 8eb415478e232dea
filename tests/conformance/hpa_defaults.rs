//! The defaults of an HPA's `behavior` (`pkg/apis/autoscaling/v2/defaults.go`,
//! `GenerateHPAScaleUpRules` / `GenerateHPAScaleDownRules`): each field a
//! direction leaves out gets its default on its own.

use orchsim::policy::autoscaler::hpa::{
    generate_scale_down_rules, generate_scale_up_rules, PolicyKind, ScalingPolicy, ScalingRules, ScalingRulesSpec, SelectPolicy,
};

use crate::harness::{Case, Suite};

/// One row of `TestGenerateScale{Up,Down}Rules`: the policies written
/// (`rate*Pods`/`rate*PodsPeriodSeconds`, `rate*Percent`/`…PeriodSeconds`;
/// both 0 leaves the policy out), the window and select policy written, and
/// what the generated rules must hold.
struct Row {
    annotation: &'static str,
    pods: (u32, u32),
    percent: (u32, u32),
    stabilization: Option<u32>,
    select: Option<SelectPolicy>,
    expected_policies: Vec<ScalingPolicy>,
    expected_stabilization: Option<u32>,
    expected_select: SelectPolicy,
}

fn pods(value: u32, period_seconds: u32) -> ScalingPolicy {
    ScalingPolicy { kind: PolicyKind::Pods, value, period_seconds }
}

fn percent(value: u32, period_seconds: u32) -> ScalingPolicy {
    ScalingPolicy { kind: PolicyKind::Percent, value, period_seconds }
}

impl Row {
    /// The rules as the test builds them: `policies` stays nil unless a
    /// policy is appended.
    fn spec(&self) -> ScalingRulesSpec {
        let mut policies = None::<Vec<ScalingPolicy>>;
        if self.pods != (0, 0) {
            policies.get_or_insert_with(Vec::new).push(pods(self.pods.0, self.pods.1));
        }
        if self.percent != (0, 0) {
            policies.get_or_insert_with(Vec::new).push(percent(self.percent.0, self.percent.1));
        }
        ScalingRulesSpec { stabilization_window_seconds: self.stabilization, select_policy: self.select, policies }
    }

    fn case(self, source: &'static str, generate: fn(Option<&ScalingRulesSpec>) -> ScalingRules) -> Case {
        Case::ported(source, self.annotation, move || {
            let got = generate(Some(&self.spec()));
            let want = ScalingRules {
                stabilization_window_seconds: self.expected_stabilization,
                select_policy: self.expected_select,
                policies: self.expected_policies.clone(),
            };
            if got == want {
                Ok(())
            } else {
                Err(format!("got {got:?}, want {want:?}"))
            }
        })
    }
}

pub fn suite() -> Suite {
    use SelectPolicy::{Max, Min};
    let row = |annotation, pods, percent, stabilization, select, expected_policies, expected_stabilization, expected_select| Row {
        annotation,
        pods,
        percent,
        stabilization,
        select,
        expected_policies,
        expected_stabilization,
        expected_select,
    };
    let down = [
        row("Default values", (0, 0), (0, 0), None, None, vec![percent(100, 15)], None, Max),
        row("All parameters are specified", (1, 2), (3, 4), Some(25), Some(Max), vec![pods(1, 2), percent(3, 4)], Some(25), Max),
        row("Percent policy is specified", (0, 0), (1, 2), None, Some(Min), vec![percent(1, 2)], None, Min),
        row("Pods policy is specified", (3, 4), (0, 0), None, None, vec![pods(3, 4)], None, Max),
    ];
    let up = [
        row("Default values", (0, 0), (0, 0), None, None, vec![pods(4, 15), percent(100, 15)], Some(0), Max),
        row("All parameters are specified", (1, 2), (3, 4), Some(25), Some(Max), vec![pods(1, 2), percent(3, 4)], Some(25), Max),
        row("Pod policy is specified", (1, 2), (0, 0), None, Some(Min), vec![pods(1, 2)], Some(0), Min),
        row("Percent policy is specified", (0, 0), (7, 10), None, None, vec![percent(7, 10)], Some(0), Max),
        row("Pod policy and stabilization window are specified", (4, 2), (0, 0), Some(25), None, vec![pods(4, 2)], Some(25), Max),
        row("Percent policy and stabilization window are specified", (0, 0), (7, 60), Some(25), None, vec![percent(7, 60)], Some(25), Max),
    ];
    let mut cases: Vec<Case> = Vec::new();
    cases.extend(down.into_iter().map(|r| r.case("pkg/apis/autoscaling/v2/defaults_test.go: TestGenerateScaleDownRules", generate_scale_down_rules)));
    cases.extend(up.into_iter().map(|r| r.case("pkg/apis/autoscaling/v2/defaults_test.go: TestGenerateScaleUpRules", generate_scale_up_rules)));
    let annotations = "pkg/apis/autoscaling/v2/defaults_test.go: TestHorizontalPodAutoscalerAnnotations";
    for name in ["test empty value for Annotations", "test random value for Annotations", "test empty array value for Annotations"] {
        cases.push(Case::not_expressible(
            annotations,
            name,
            "an API round trip of the autoscaling/v1 annotations (conditions, metric specs, behavior, metric statuses): orchsim has no API objects or annotations",
        ));
    }
    Suite { system: "Kubernetes HPA", component: "behavior defaults", upstream: "kubernetes/kubernetes @0a74a85 (defaults_test.go)", cases }
}
