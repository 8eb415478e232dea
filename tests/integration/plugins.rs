//! Schedulers registered at run time and named in scenarios.

use orchsim::engine::SimRng;
use orchsim::model::Pod;
use orchsim::policy::scheduler::{pick_max, ClusterView, Placement, Registry, Scheduler, SchedulerPlugin};
use orchsim::scenario::ScenarioError;
use orchsim::{Scenario, Simulation};

/// Puts every pod on the feasible node with the highest index.
struct LastNode;

impl Scheduler for LastNode {
    fn name(&self) -> &'static str {
        "last-node"
    }
    fn schedule(&mut self, pod: &Pod, view: &ClusterView<'_>) -> Placement {
        pick_max(pod, view, |id, _| Some(id.0))
    }
}

/// Takes a required `group` parameter and only uses nodes of that group.
struct OnlyGroup;

impl SchedulerPlugin for OnlyGroup {
    fn validate(&self, params: &toml::Table) -> Result<(), String> {
        match params.get("group") {
            Some(toml::Value::String(_)) if params.len() == 1 => Ok(()),
            _ => Err("only-group needs exactly one parameter, `group = \"<node group>\"`".into()),
        }
    }
    fn build(&self, params: &toml::Table, _rng: SimRng) -> Box<dyn Scheduler> {
        let group = params["group"].as_str().unwrap_or_default().to_string();
        struct S(String);
        impl Scheduler for S {
            fn name(&self) -> &'static str {
                "only-group"
            }
            fn schedule(&mut self, pod: &Pod, view: &ClusterView<'_>) -> Placement {
                pick_max(pod, view, |id, node| (node.labels["orchsim.io/node-group"] == self.0).then_some(std::cmp::Reverse(id.0)))
            }
        }
        Box::new(S(group))
    }
}

fn registry() -> Registry {
    let mut r = Registry::default();
    r.register("last-node", |_: &toml::Table, _: SimRng| Box::new(LastNode) as Box<dyn Scheduler>).register("only-group", OnlyGroup);
    r
}

fn text(scheduler: &str) -> String {
    format!(
        r#"name = "plugins"
[[node_groups]]
name = "a"
count = 3
cpu = "4"
memory = "8Gi"
[[node_groups]]
name = "b"
count = 3
cpu = "4"
memory = "8Gi"
[[images]]
name = "app:1"
size = "10Mi"
[[batch]]
name = "jobs"
jobs = 5
interarrival = "1s"
duration = "1h"
cpu = "500m"
memory = "1Gi"
images = ["app:1"]
[scheduler]
{scheduler}
"#
    )
}

/// 1-based line of the first line of `text` starting with `prefix`.
fn line_of(text: &str, prefix: &str) -> usize {
    text.lines().position(|l| l.starts_with(prefix)).unwrap() + 1
}

fn nodes_used(s: &Scenario) -> Vec<String> {
    let mut pods = Vec::new();
    Simulation::new(s, 1).run(&mut pods).unwrap();
    pods.iter().map(|p| p.node.clone().unwrap()).collect()
}

#[test]
fn registered_schedulers_decide_placement() {
    let s = Scenario::parse_with(&text("kind = \"last-node\""), "p.toml", &registry()).unwrap();
    assert_eq!(s.scheduler.name(), "last-node");
    assert!(nodes_used(&s).iter().all(|n| n == "b-2"));
    let s = Scenario::parse_with(&text("kind = \"only-group\"\ngroup = \"a\""), "p.toml", &registry()).unwrap();
    assert!(nodes_used(&s).iter().all(|n| n == "a-0"), "{:?}", nodes_used(&s));
}

#[test]
fn plugin_parameters_are_validated_with_the_line() {
    let source = text("kind = \"only-group\"\ngruop = \"a\"");
    let err = Scenario::parse_with(&source, "p.toml", &registry()).unwrap_err();
    let ScenarioError::Invalid(d) = err else { panic!("{err}") };
    assert_eq!((d[0].line, d[0].field.as_deref()), (Some(line_of(&source, "[scheduler]")), Some("scheduler")));
    assert!(d[0].message.contains("`group = "), "{}", d[0].message);
    // Parameters are rejected for a plugin that takes none.
    let err = Scenario::parse_with(&text("kind = \"last-node\"\nweight = 2"), "p.toml", &registry()).unwrap_err();
    assert!(err.to_string().contains("unknown parameter `weight`"), "{err}");
}

#[test]
fn unregistered_names_are_errors_listing_what_exists() {
    let source = text("kind = \"last-node\"");
    let err = Scenario::parse(&source, "p.toml").unwrap_err().to_string();
    let expected = format!("p.toml:{}:8: field `scheduler.kind`: unknown scheduler `last-node`", line_of(&source, "kind ="));
    assert!(err.starts_with(&expected), "{err}");
    assert!(err.contains("kubernetes") && err.contains("swarm-spread"), "{err}");
    let err = Scenario::parse_with(&text("kind = \"nope\""), "p.toml", &registry()).unwrap_err().to_string();
    assert!(err.contains("last-node, only-group"), "{err}");
}

#[test]
#[should_panic(expected = "built-in")]
fn built_in_names_cannot_be_registered() {
    Registry::default().register("kubernetes", |_: &toml::Table, _: SimRng| Box::new(LastNode) as Box<dyn Scheduler>);
}

/// The plug-in page of the user guide shows `example` through mdBook's
/// include (so it is always the file as it is, and the book build fails if the
/// file goes), and the example stays as short as the page promises.
fn the_guide_shows(example: &str, most_lines: usize) {
    let root = crate::support::repo();
    let page = std::fs::read_to_string(root.join("docs/src/plugins.md")).unwrap();
    let include = format!("{{{{#include ../../{example}}}}}");
    assert!(page.contains(&include), "docs/src/plugins.md must show {example} with `{include}`");
    let lines = std::fs::read_to_string(root.join(example)).unwrap().lines().count();
    assert!(lines <= most_lines, "{example}: the page promises at most {most_lines} lines, it has {lines}");
}

#[test]
fn the_guide_shows_the_scheduler_example_as_it_is() {
    the_guide_shows("examples/custom_scheduler.rs", 39);
}

/// A replica autoscaler that always asks for `n` replicas.
struct Fixed(u32);

impl orchsim::policy::autoscaler::ReplicaAutoscaler for Fixed {
    fn name(&self) -> &'static str {
        "fixed"
    }
    fn desired_replicas(&mut self, _: &orchsim::policy::autoscaler::ServiceView<'_>) -> u32 {
        self.0
    }
}

/// Builds [`Fixed`] from `n = …`, checking it.
struct FixedPlugin;

impl orchsim::policy::autoscaler::ReplicaAutoscalerPlugin for FixedPlugin {
    fn validate(&self, params: &toml::Table) -> Result<(), String> {
        match params.get("n").and_then(|v| v.as_integer()) {
            Some(n) if n > 0 && params.len() == 1 => Ok(()),
            _ => Err("give only `n`, a positive replica count".into()),
        }
    }
    fn build(&self, params: &toml::Table, _: SimRng) -> Box<dyn orchsim::policy::autoscaler::ReplicaAutoscaler> {
        Box::new(Fixed(params["n"].as_integer().unwrap_or(1) as u32))
    }
}

#[test]
fn registered_autoscalers_run_with_their_parameters() {
    let mut registry = Registry::default();
    registry.register_autoscaler("fixed", FixedPlugin);
    let text = |table: &str| {
        format!(
            "{}[simulation]\nduration = \"2m\"\n[[services]]\nname = \"s\"\nreplicas = 1\nimage = \"app:1\"\ncpu = \"100m\"\nmemory = \"64Mi\"\n\
             capacity_rps = 10\nload = {{ constant = 5 }}\n[services.autoscaler]\n{table}\n",
            crate::support::preloaded_nodes("fx", 1, 4)
        )
    };
    let s = Scenario::parse_with(&text("policy = \"fixed\"\nn = 3"), "f.toml", &registry).unwrap();
    let (out, _) = crate::support::run(&s);
    let e = &out.scaling_events[0];
    assert_eq!((e.time_s, e.from, e.to, e.policy.as_str()), (15.0, 1, 3, "fixed"));
    assert_eq!(out.services.last().unwrap().replicas_ready, 3);
    let err = Scenario::parse_with(&text("policy = \"other\""), "f.toml", &registry).unwrap_err().to_string();
    assert!(err.contains("unknown autoscaler `other`; known: hpa, fixed"), "{err}");
    let err = Scenario::parse_with(&text("policy = \"fixed\"\nn = 0"), "f.toml", &registry).unwrap_err().to_string();
    assert!(err.contains("f.toml:") && err.contains("services[0].autoscaler") && err.contains("positive replica count"), "{err}");
}

#[test]
fn the_guide_shows_the_autoscaler_example_as_it_is() {
    the_guide_shows("examples/custom_autoscaler.rs", 39);
}
