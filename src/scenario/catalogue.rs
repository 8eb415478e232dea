//! What `orchsim policies` lists: every kind a scenario can name, family by
//! family, with its parameters and defaults as a scenario writes them.
//!
//! The names and defaults come from each family's one catalogue in the
//! policy layer ([`SchedulerConfig::catalogue`],
//! [`ReplicaAutoscalerConfig::catalogue`], [`NodeAutoscalerConfig::catalogue`],
//! [`Family::catalogue`], [`VpaMode::catalogue`]), the same lists `compare`
//! and the scenario errors ("known: …") read; this module only writes them
//! in the scenario's TOML, so the text and `--json` cannot disagree.

use serde::Serialize;

use super::failures::reactions_table;
use super::services::{node_autoscaler_table, replica_autoscaler_table, HPA_REQUIRED};
use crate::policy::autoscaler::{NodeAutoscalerConfig, ReplicaAutoscalerConfig, VpaMode};
use crate::policy::failure::{Family, Reactions};
use crate::policy::scheduler::SchedulerConfig;
use crate::policy::PolicyInfo;

/// One kind a scenario can name.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entry {
    /// The name the scenario gives it.
    pub name: &'static str,
    /// What it does and what it emulates.
    pub summary: &'static str,
    /// The table it is written in: `[scheduler]`, `[services.autoscaler]`
    /// (in a `[[services]]` entry), `[node_autoscaler]`, `[failures]` or
    /// `[services.vpa]`.
    pub table: &'static str,
    /// Every parameter with its default, the key naming the kind included:
    /// this table, written under [`table`](Self::table), is valid scenario TOML.
    pub defaults: toml::Table,
    /// Parameters without a default: [`defaults`](Self::defaults) holds an
    /// example of each.
    pub required: Vec<&'static str>,
}

/// Every kind a scenario can name, by family. Serialized, this is
/// `orchsim policies --json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Catalogue {
    /// `[scheduler] kind`.
    pub schedulers: Vec<Entry>,
    /// `[services.autoscaler] policy`.
    pub replica_autoscalers: Vec<Entry>,
    /// `[node_autoscaler] policy`.
    pub node_autoscalers: Vec<Entry>,
    /// `[failures] profile`: how the control plane reacts to failures.
    pub failure_profiles: Vec<Entry>,
    /// `[services.vpa] mode`.
    pub vpa_modes: Vec<Entry>,
}

/// The entries of one family: `policies` of kinds `C`, each written by `table_of`.
fn entries<C>(table: &'static str, policies: Vec<PolicyInfo<C>>, mut table_of: impl FnMut(&C) -> toml::Table) -> Vec<Entry> {
    policies
        .into_iter()
        .map(|p| Entry { name: p.name, summary: p.summary, table, defaults: table_of(&p.default), required: Vec::new() })
        .collect()
}

impl Catalogue {
    /// The built-in kinds. (Plug-ins registered by a library user are known
    /// only to their program.)
    pub fn builtin() -> Catalogue {
        let scheduler = |c: &SchedulerConfig| toml::Table::try_from(c).expect("a scheduler configuration is a TOML table");
        let mut replica_autoscalers = entries("[services.autoscaler]", ReplicaAutoscalerConfig::catalogue(), |c| {
            replica_autoscaler_table(c).expect("the catalogue holds built-in autoscalers")
        });
        for e in &mut replica_autoscalers {
            if e.name == "hpa" {
                e.required = HPA_REQUIRED.to_vec();
            }
        }
        Catalogue {
            schedulers: entries("[scheduler]", SchedulerConfig::catalogue(), scheduler),
            replica_autoscalers,
            node_autoscalers: entries("[node_autoscaler]", NodeAutoscalerConfig::catalogue(), node_autoscaler_table),
            failure_profiles: entries("[failures]", Family::catalogue(), |f| reactions_table(&Reactions::of(*f))),
            vpa_modes: entries("[services.vpa]", VpaMode::catalogue(), |m| {
                toml::Table::from_iter([("mode".to_string(), toml::Value::try_from(m).expect("a mode is a string"))])
            }),
        }
    }

    /// The families with a heading each, in the order `orchsim policies` prints them.
    pub fn families(&self) -> [(&'static str, &'static str, &[Entry]); 5] {
        [
            ("Schedulers", "kind", &self.schedulers),
            ("Replica autoscalers", "policy", &self.replica_autoscalers),
            ("Node autoscalers", "policy", &self.node_autoscalers),
            ("Failure profiles", "profile", &self.failure_profiles),
            ("VPA modes", "mode", &self.vpa_modes),
        ]
    }

    /// The text of `orchsim policies`: per family, each kind, what it does,
    /// and its defaults as they would be written in a scenario.
    pub fn text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        for (heading, key, entries) in self.families() {
            let table = entries.first().map_or("", |e| e.table);
            let _ = writeln!(out, "{heading} ({table} {key} = \"…\"):");
            for e in entries {
                let _ = write!(out, "\n{}\n  {}\n  defaults:\n", e.name, e.summary);
                for line in e.toml().lines().filter(|l| !l.is_empty()) {
                    let _ = writeln!(out, "    {line}");
                }
                if !e.required.is_empty() {
                    let _ = writeln!(out, "  required (no default; the values above are examples): {}", e.required.join(", "));
                }
            }
            out.push('\n');
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
        out
    }
}

impl Entry {
    /// The defaults written under the entry's table header, e.g.
    /// `[scheduler]\nkind = "kubernetes"\n…`.
    pub fn toml(&self) -> String {
        // `[services.autoscaler]` is the table `autoscaler` in the table `services`.
        let path: Vec<&str> = self.table.trim_matches(['[', ']']).split('.').collect();
        let nested = path.iter().rev().fold(self.defaults.clone(), |inner, key| toml::Table::from_iter([(key.to_string(), inner.into())]));
        toml::to_string(&nested).expect("a table of TOML values serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::autoscaler::hpa::Hpa;
    use crate::policy::autoscaler::VpaConfig;
    use crate::policy::failure::Reactions;
    use crate::scenario::services::{DEFAULT_MAX_PROVISION_TIME, NODE_AUTOSCALER_COMMON_KEYS, NODE_AUTOSCALER_KEYS};
    use crate::scenario::Scenario;

    /// A cluster whose one pool can grow, with one service last (so a
    /// `[services.…]` table appended to it belongs to that service).
    const BASE: &str = r#"
[simulation]
duration = "1h"
[[node_groups]]
name = "n"
count = 1
max = 3
cpu = "4"
memory = "16Gi"
[[images]]
name = "web"
size = "100Mi"
[[services]]
name = "web"
replicas = 1
image = "web"
cpu = "500m"
memory = "256Mi"
capacity_rps = 100
load = { constant = 10 }
"#;

    fn load(table: &str) -> Scenario {
        let source = format!("{BASE}{table}");
        Scenario::parse(&source, "catalogue").unwrap_or_else(|e| panic!("{e}\n{source}"))
    }

    /// The entry with only the keys a scenario must give (the kind's name and
    /// the required parameters): what every parameter left out defaults to.
    fn minimal(e: &Entry) -> Entry {
        let selector = ["kind", "policy", "profile", "mode"];
        let mut m = e.clone();
        m.defaults.retain(|k, _| selector.contains(&k) || e.required.contains(&k));
        m
    }

    fn hpa_of(s: &Scenario) -> Hpa {
        match s.services[0].autoscaler.clone() {
            Some(ReplicaAutoscalerConfig::Hpa(h)) => h,
            other => panic!("not an HPA: {other:?}"),
        }
    }

    /// Whether every slot `0..N` is some entry's: `slot` numbers the variants.
    fn covers<C, const N: usize>(catalogue: Vec<PolicyInfo<C>>, slot: fn(&C) -> usize) -> bool {
        let mut seen = [false; N];
        for p in catalogue {
            seen[slot(&p.default)] = true;
        }
        seen == [true; N]
    }

    /// A new variant does not compile here until it is given a slot, and then
    /// fails until the catalogue lists it.
    #[test]
    fn every_kind_of_every_family_is_in_its_catalogue() {
        let scheduler = |c: &SchedulerConfig| match c {
            SchedulerConfig::Kubernetes(_) => 0,
            SchedulerConfig::FirstFit(_) => 1,
            SchedulerConfig::BestFit(_) => 2,
            SchedulerConfig::WorstFit(_) => 3,
            SchedulerConfig::Random(_) => 4,
            SchedulerConfig::Tetris(_) => 5,
            SchedulerConfig::SwarmSpread(_) => 6,
            SchedulerConfig::SwarmBinpack(_) => 7,
            SchedulerConfig::SwarmRandom(_) => 8,
            SchedulerConfig::Borg(_) => 9,
            SchedulerConfig::MesosDrf(_) => 10,
            SchedulerConfig::Swarmkit(_) => 11,
            SchedulerConfig::Custom(_) => unreachable!("plug-ins are not built in"),
        };
        assert!(covers::<_, 12>(SchedulerConfig::catalogue(), scheduler), "schedulers");
        let node_autoscaler = |c: &NodeAutoscalerConfig| match c {
            NodeAutoscalerConfig::ClusterAutoscaler(_) => 0,
            NodeAutoscalerConfig::Karpenter(_) => 1,
            NodeAutoscalerConfig::TargetTracking(_) => 2,
        };
        assert!(covers::<_, 3>(NodeAutoscalerConfig::catalogue(), node_autoscaler), "node autoscalers");
        let replica_autoscaler = |c: &ReplicaAutoscalerConfig| match c {
            ReplicaAutoscalerConfig::Hpa(_) => 0,
            ReplicaAutoscalerConfig::Custom { .. } => unreachable!("plug-ins are not built in"),
        };
        assert!(covers::<_, 1>(ReplicaAutoscalerConfig::catalogue(), replica_autoscaler), "replica autoscalers");
        let family = |f: &Family| match f {
            Family::Kubernetes => 0,
            Family::Swarm => 1,
            Family::Mesos => 2,
            Family::Borg => 3,
        };
        assert!(covers::<_, 4>(Family::catalogue(), family), "failure profiles");
        let vpa = |m: &VpaMode| match m {
            VpaMode::Off => 0,
            VpaMode::Initial => 1,
            VpaMode::Recreate => 2,
            VpaMode::Auto => 3,
        };
        assert!(covers::<_, 4>(VpaMode::catalogue(), vpa), "VPA modes");
        // Names are what the kinds call themselves, and unique in a family.
        for p in NodeAutoscalerConfig::catalogue() {
            assert_eq!(p.name, p.default.name());
        }
        for p in Family::catalogue() {
            assert_eq!(p.name, p.default.name());
        }
        for (heading, _, entries) in Catalogue::builtin().families() {
            let mut names: Vec<&str> = entries.iter().map(|e| e.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), entries.len(), "{heading}: a name twice");
        }
    }

    /// Each entry's defaults, written in a scenario, load as the kind's
    /// default configuration, and so does the entry with only its required
    /// keys: the catalogue shows the defaults the loader really applies.
    #[test]
    fn every_entry_loads_back_as_its_defaults() {
        let c = Catalogue::builtin();
        for (e, p) in c.schedulers.iter().zip(SchedulerConfig::catalogue()) {
            for written in [e.clone(), minimal(e)] {
                let s = load(&written.toml());
                assert_eq!(s.scheduler.name(), e.name);
                assert_eq!(toml::Table::try_from(&s.scheduler).unwrap(), e.defaults, "{}", e.name);
                assert_eq!(toml::Table::try_from(&p.default).unwrap(), e.defaults, "{}", e.name);
            }
        }
        for (e, p) in c.node_autoscalers.iter().zip(NodeAutoscalerConfig::catalogue()) {
            for written in [e.clone(), minimal(e)] {
                let s = load(&written.toml());
                assert_eq!(s.node_autoscaler, Some((p.default.clone(), DEFAULT_MAX_PROVISION_TIME)), "{}", e.name);
            }
        }
        for (e, p) in c.replica_autoscalers.iter().zip(ReplicaAutoscalerConfig::catalogue()) {
            let ReplicaAutoscalerConfig::Hpa(want) = p.default else { unreachable!("built in") };
            for written in [e.clone(), minimal(e)] {
                let got = hpa_of(&load(&written.toml()));
                assert_eq!(
                    (&got.spec, &got.metrics, got.tolerance, got.sync_period),
                    (&want.spec, &want.metrics, want.tolerance, want.sync_period)
                );
            }
            for key in &e.required {
                let mut without = e.clone();
                without.defaults.remove(*key);
                let source = format!("{BASE}{}", without.toml());
                assert!(Scenario::parse(&source, "catalogue").is_err(), "{} loads without `{key}`", e.name);
            }
        }
        for (e, p) in c.failure_profiles.iter().zip(Family::catalogue()) {
            for written in [e.clone(), minimal(e)] {
                let s = load(&written.toml());
                // The scheduler (kubernetes) has another family: the profile decides.
                assert_eq!(Reactions::resolve(s.scheduler.name(), &s.failures.reactions), Reactions::of(p.default), "{}", e.name);
            }
        }
        for (e, p) in c.vpa_modes.iter().zip(VpaMode::catalogue()) {
            assert_eq!(load(&e.toml()).services[0].vpa, Some(VpaConfig { mode: p.default, min_replicas: None }));
        }
    }

    #[test]
    fn node_autoscaler_entries_give_exactly_their_policys_keys() {
        for e in Catalogue::builtin().node_autoscalers {
            let (_, own) = NODE_AUTOSCALER_KEYS.iter().find(|(p, _)| *p == e.name).expect("keys of every policy");
            let mut want: Vec<&str> = NODE_AUTOSCALER_COMMON_KEYS.iter().chain(own.iter()).copied().collect();
            // `pool` has no default: every pool with max > min.
            want.retain(|k| *k != "pool");
            want.sort_unstable();
            let mut got: Vec<&str> = e.defaults.keys().map(String::as_str).collect();
            got.sort_unstable();
            assert_eq!(got, want, "{}", e.name);
        }
    }

    #[test]
    fn the_text_lists_every_entry_under_its_table() {
        let c = Catalogue::builtin();
        let text = c.text();
        assert!(text.starts_with("Schedulers ([scheduler] kind = \"…\"):\n"));
        for heading in [
            "Replica autoscalers ([services.autoscaler] policy",
            "Node autoscalers ([node_autoscaler] policy",
            "Failure profiles ([failures] profile",
            "VPA modes ([services.vpa] mode",
        ] {
            assert!(text.contains(heading), "{heading}");
        }
        for (_, _, entries) in c.families() {
            for e in entries {
                assert!(text.contains(&format!("\n{}\n  {}\n", e.name, e.summary)), "{}", e.name);
            }
        }
        assert!(text.contains("    [failures]\n    profile = \"swarm\"\n    node_monitor_grace_period = \"15s\"\n"));
        assert!(text.contains("required (no default; the values above are examples): max_replicas, metrics"));
    }
}
