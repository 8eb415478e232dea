//! The commands that serve tools and editors: `policies --json`, `schema`,
//! `completions` and `man`.

use std::process::Command;

use clap::CommandFactory;
use orchsim::cli::Cli;
use orchsim::policy::scheduler::SchedulerConfig;
use serde_json::Value;

use crate::support::{orchsim, repo, scenario};

/// One pool that can grow and one service last, so that a `[services.…]`
/// table appended belongs to it.
const BASE: &str = "[simulation]\nduration = \"1h\"\n[[node_groups]]\nname = \"n\"\ncount = 1\nmax = 2\ncpu = \"4\"\nmemory = \"16Gi\"\n\
                    [[images]]\nname = \"web\"\nsize = 0\n[[services]]\nname = \"web\"\nreplicas = 1\nimage = \"web\"\ncpu = \"1\"\n\
                    memory = \"1Gi\"\ncapacity_rps = 10\nload = { constant = 5 }\n";

fn stdout_of(args: &[&str]) -> String {
    let out = orchsim(&repo(), args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn policies_json_lists_every_family_and_each_entrys_defaults_load_as_a_scenario() {
    let json: Value = serde_json::from_str(&stdout_of(&["policies", "--json"])).expect("JSON");
    let families = ["schedulers", "replica_autoscalers", "node_autoscalers", "failure_profiles", "vpa_modes"];
    let keys: Vec<&str> = json.as_object().expect("an object").keys().map(String::as_str).collect();
    assert_eq!(keys, families);
    let schedulers: Vec<&str> = json["schedulers"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    let catalogue: Vec<&str> = SchedulerConfig::catalogue().iter().map(|p| p.name).collect();
    assert_eq!(schedulers, catalogue);
    let profiles: Vec<&str> = json["failure_profiles"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(profiles, ["kubernetes", "swarm", "mesos", "borg"]);
    let text = stdout_of(&["policies"]);
    for family in families {
        let entries = json[family].as_array().unwrap();
        assert!(!entries.is_empty(), "{family}");
        for e in entries {
            let name = e["name"].as_str().unwrap();
            assert!(!e["summary"].as_str().unwrap().is_empty(), "{name}");
            assert!(text.contains(&format!("\n{name}\n")), "the text lacks {name}");
            // `[services.autoscaler]` is the table `autoscaler` of the last service.
            let table = e["table"].as_str().unwrap().trim_matches(['[', ']']);
            let defaults: toml::Table = serde_json::from_value(e["defaults"].clone()).expect("defaults are a table");
            let nested = table.rsplit('.').fold(defaults, |inner, key| toml::Table::from_iter([(key.to_string(), inner.into())]));
            let s = scenario(&format!("{BASE}{}", toml::to_string(&nested).unwrap()));
            if family == "schedulers" {
                assert_eq!(s.scheduler.name(), name);
            }
        }
    }
}

#[test]
fn schema_prints_json_schemas_of_scenarios_and_experiments() {
    for (args, title) in [
        (&["schema"][..], "orchsim scenario"),
        (&["schema", "scenario"], "orchsim scenario"),
        (&["schema", "experiment"], "orchsim experiment"),
    ] {
        let schema: Value = serde_json::from_str(&stdout_of(args)).expect("JSON");
        assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
        assert_eq!(schema["title"], title, "{args:?}");
        assert_eq!(schema["additionalProperties"], false);
    }
    let out = orchsim(&repo(), &["schema", "trace"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn completions_name_every_subcommand() {
    let bash = stdout_of(&["completions", "bash"]);
    let cli = Cli::command();
    let names: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
    assert!(names.len() >= 11, "{names:?}");
    for name in names {
        assert!(bash.contains(&format!("orchsim__subcmd__{name})")), "bash completion lacks {name}");
    }
    assert!(bash.contains("inspect") && bash.contains("--skip-bad-rows"));
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        assert!(stdout_of(&["completions", shell]).contains("policies"), "{shell}");
    }
    assert_eq!(orchsim(&repo(), &["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn man_writes_a_page_per_command_into_a_new_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("share/man/man1");
    stdout_of(&["man", "--out", out.to_str().unwrap()]);
    let mut pages: Vec<String> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    pages.sort();
    let mut want: Vec<String> = vec!["orchsim.1".into(), "orchsim-trace-convert.1".into(), "orchsim-trace-inspect.1".into()];
    want.extend(Cli::command().get_subcommands().map(|c| format!("orchsim-{}.1", c.get_name())));
    want.sort();
    assert_eq!(pages, want);
    for page in &pages {
        let roff = std::fs::read_to_string(out.join(page)).unwrap();
        let th = roff.lines().find(|l| !l.starts_with(".ie") && !l.starts_with(".el")).unwrap_or_default();
        assert!(th.starts_with(&format!(".TH {} 1 ", page.trim_end_matches(".1"))), "{page}: {th}");
    }
    // Rendered by man(1) where the machine has it (cheap: one page).
    if let Ok(rendered) = Command::new("man").env("MANPAGER", "cat").args(["-l", out.join("orchsim-policies.1").to_str().unwrap()]).output()
    {
        if rendered.status.success() {
            assert!(String::from_utf8_lossy(&rendered.stdout).contains("--json"));
        }
    }
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    assert_eq!(orchsim(dir.path(), &["man", "--out", "a-file/man1"]).status.code(), Some(2));
}
