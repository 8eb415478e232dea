//! A JSON Schema of the scenario file (`orchsim schema`), so that editors
//! with TOML support complete and check scenarios as they are written.
//!
//! The schema is derived from the raw serde types the loader reads
//! (`schemars` on `RawScenario` and everything below it), so it has the real
//! shape: `deny_unknown_fields` becomes `additionalProperties: false`, tagged
//! enums become a `oneOf` on their tag, and the doc comments of the fields
//! become descriptions. Where the raw type reads more loosely than the
//! validation that follows (a quantity is "a number or a string" to serde),
//! the types here describe what the validation accepts: a duration's units,
//! a distribution's parameters, each node autoscaler's own keys. They check
//! the shape and the units, not the ranges (a negative CPU request has the
//! right shape and is left to `orchsim validate`, which says why).
//!
//! Plug-ins: a library user may register schedulers and replica autoscalers
//! of their own (`Registry`), with parameters only their code knows, and a
//! schema printed by the `orchsim` binary cannot know them. So the schema
//! checks the built-in kinds fully and accepts any other `kind` (or autoscaler
//! `policy`) with any parameters, rather than flag a user's own plug-in as an
//! error in their editor; a misspelt built-in kind is then left to `orchsim
//! validate`, whose error lists the kinds that exist.

use std::borrow::Cow;
use std::marker::PhantomData;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde_json::{json, Value};

use super::dist::{DISTRIBUTIONS, NUMBER_PARAMETERS};
use crate::policy::failure::Family;
use crate::policy::scheduler::SchedulerConfig;

/// The schema of a scenario file.
pub fn scenario() -> Schema {
    generator().into_root_schema_for::<super::RawScenario>()
}

/// The generator both schemas use: JSON Schema 2020-12, of what is read,
/// without the `null` that serde's `Option` admits in JSON (TOML has none,
/// and an alternative of `null` would move every error to the parent table).
pub fn generator() -> SchemaGenerator {
    schemars::generate::SchemaSettings::draft2020_12()
        .for_deserialize()
        .with_transform(schemars::transform::RecursiveTransform(without_null))
        .into_generator()
}

/// Removes the `null` alternatives of one schema (its subschemas are the
/// recursion's).
fn without_null(schema: &mut Schema) {
    let is_null = |v: &Value| v == &json!({ "type": "null" });
    let Some(obj) = schema.as_object_mut() else { return };
    if let Some(Value::Array(any)) = obj.get_mut("anyOf") {
        any.retain(|v| !is_null(v));
        if any.len() == 1 {
            let Some(Value::Object(only)) = obj.remove("anyOf").and_then(|mut a| a.as_array_mut().and_then(Vec::pop)) else { return };
            for (k, v) in only {
                obj.entry(k).or_insert(v);
            }
        }
    }
    if let Some(Value::Array(types)) = obj.get_mut("type") {
        types.retain(|t| t != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            obj.insert("type".into(), only);
        }
    }
    if let Some(Value::Array(values)) = obj.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
    if obj.get("default").is_some_and(Value::is_null) {
        obj.remove("default");
    }
}

/// A decimal number with an optional Kubernetes suffix, as
/// `parse_k8s_quantity` reads it (the string is trimmed first).
const QUANTITY: &str = r"^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?\s*$";
/// A bandwidth: a quantity per second, the `/s` optional.
const BANDWIDTH: &str = r"^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?(/s)?\s*$";
/// A Go-style duration with days, as `parse_duration_micros` reads it.
const DURATION: &str = r"^\s*(0|(([0-9]+\.?[0-9]*|\.[0-9]+)(ns|us|µs|ms|s|m|h|d))+)\s*$";

/// The unit of a quantity field, which decides what its strings look like.
pub trait UnitSchema {
    /// The schema's name, e.g. `Duration`.
    const NAME: &'static str;
    /// A literal of the unit: a number, or a string with the unit's suffixes.
    fn literal() -> Value;
}

macro_rules! unit {
    ($(#[$doc:meta])* $name:ident, $literal:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl UnitSchema for $name {
            const NAME: &'static str = stringify!($name);
            fn literal() -> Value {
                $literal
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                Schema::try_from(<$name as UnitSchema>::literal()).expect("a literal's schema is an object")
            }
        }
    };
}

unit!(
    /// A duration: `"250ms"`, `"30s"`, `"5m"`, `"1h30m"`, `"2d"`, or a number of seconds.
    Duration,
    json!({
        "description": "A duration: \"250ms\", \"30s\", \"5m\", \"1h30m\", \"2d\" (units ns, us, ms, s, m, h, d), or a number of seconds.",
        "anyOf": [{ "type": "number" }, { "type": "string", "pattern": DURATION }]
    })
);
unit!(
    /// CPU: `"500m"` (millicores), `"2"`, or a number of cores.
    Cpu,
    json!({
        "description": "CPU: \"500m\" (millicores), \"2\" or a number of cores (0.5).",
        "anyOf": [{ "type": "number" }, { "type": "string", "pattern": QUANTITY }]
    })
);
unit!(
    /// Memory or a size: `"512Mi"`, `"8Gi"`, `"1G"`, or a number of bytes.
    Bytes,
    json!({
        "description": "Memory or a size: \"512Mi\", \"8Gi\", \"1G\" (Kubernetes suffixes) or a number of bytes.",
        "anyOf": [{ "type": "number" }, { "type": "string", "pattern": QUANTITY }]
    })
);
unit!(
    /// Bytes per second: `"100Mi"` or `"100Mi/s"`, or a number.
    Bandwidth,
    json!({
        "description": "Bytes per second: \"100Mi\" or \"100Mi/s\", or a number.",
        "anyOf": [{ "type": "number" }, { "type": "string", "pattern": BANDWIDTH }]
    })
);
unit!(
    /// A plain count.
    Count,
    json!({ "description": "A number.", "type": "number" })
);

/// A count of pods of a disruption budget: a whole number or a percentage.
pub struct PodCount;

impl JsonSchema for PodCount {
    fn schema_name() -> Cow<'static, str> {
        "PodCount".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A whole number of pods, or a whole percentage such as \"50%\" (0–100 %).",
            "anyOf": [{ "type": "integer", "minimum": 0 }, { "type": "string", "pattern": "^[0-9]+%$" }]
        })
    }
}

/// A distribution over unit `U`: a constant literal, or a table naming the
/// distribution with exactly its parameters (`dist::Dist::from_raw`).
pub struct Dist<U>(PhantomData<U>);

impl<U: UnitSchema + JsonSchema> JsonSchema for Dist<U> {
    fn schema_name() -> Cow<'static, str> {
        format!("{}Dist", U::NAME).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let literal = generator.subschema_for::<U>().to_value();
        let param = |dist: &str, p: &str| match p {
            _ if NUMBER_PARAMETERS.contains(&p) => json!({ "type": "number" }),
            // A uniform count is drawn between whole numbers.
            "low" | "high" if dist == "uniform" && U::NAME == Count::NAME => json!({ "type": "integer" }),
            _ => literal.clone(),
        };
        let tables: Vec<Value> = DISTRIBUTIONS
            .iter()
            .map(|d| {
                let mut required = vec![Value::from("dist")];
                required.extend(d.parameters.iter().map(|p| Value::from(*p)));
                let mut properties = serde_json::Map::new();
                properties.insert("dist".into(), json!({ "const": d.name, "description": d.summary }));
                properties.extend(d.parameters.iter().map(|p| (p.to_string(), param(d.name, p))));
                properties.insert("min".into(), literal.clone());
                properties.insert("max".into(), literal.clone());
                json!({ "type": "object", "properties": properties, "required": required, "additionalProperties": false })
            })
            .collect();
        json_schema!({
            "description": "A constant, or a distribution: { dist = \"constant\" | \"uniform\" | \"exponential\" | \"lognormal\" | \"normal\" | \"pareto\" | \"weibull\", its parameters, and optional min and max }.",
            "anyOf": [literal, { "oneOf": tables }]
        })
    }
}

/// A built-in kind's parameters (`defs`: the schema of the configuration
/// enum, a `oneOf` on `key`), or any other name with any parameters: a
/// plug-in (module docs).
pub(super) fn builtin_or_plugin(builtin: Value, key: &str, names: &[&str], description: &str) -> Schema {
    let plugin = json!({
        "description": format!("A plug-in registered by a program using orchsim as a library: any other `{key}`, with the parameters it takes."),
        "type": "object",
        "properties": { key: { "type": "string", "not": { "enum": names } } },
        "required": [key]
    });
    json_schema!({ "description": description, "anyOf": [builtin, plugin] })
}

/// `[scheduler]`: a built-in kind with its parameters, or a plug-in.
pub struct Scheduler;

impl JsonSchema for Scheduler {
    fn schema_name() -> Cow<'static, str> {
        "Scheduler".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let builtin = generator.subschema_for::<SchedulerConfig>().to_value();
        let names: Vec<&str> = SchedulerConfig::catalogue().iter().map(|p| p.name).collect();
        builtin_or_plugin(builtin, "kind", &names, "The scheduler: kind = \"…\" (see `orchsim policies`) and its parameters.")
    }
}

/// `[failures] profile`: a family of the catalogue.
pub struct FailureProfile;

impl JsonSchema for FailureProfile {
    fn schema_name() -> Cow<'static, str> {
        "FailureProfile".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> = Family::catalogue().iter().map(|f| f.name).collect();
        json_schema!({ "type": "string", "enum": names })
    }
}

/// `[failures] backoff_limit`: a whole number of retries, or `"unlimited"`.
pub struct BackoffLimit;

impl JsonSchema for BackoffLimit {
    fn schema_name() -> Cow<'static, str> {
        "BackoffLimit".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "anyOf": [{ "type": "integer", "minimum": 0, "maximum": u32::MAX }, { "const": "unlimited" }] })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// A TOML file as the JSON an editor's schema check sees.
    fn json_of(toml_text: &str) -> Value {
        let table: toml::Table = toml::from_str(toml_text).expect("valid TOML");
        serde_json::to_value(table).expect("TOML converts to JSON")
    }

    fn files(dir: &str) -> Vec<std::path::PathBuf> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("a directory entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        files
    }

    /// Every error the schema finds in `instance`, located.
    fn errors(schema: &Schema, instance: &Value) -> Vec<String> {
        let validator = jsonschema::validator_for(schema.as_value()).expect("the schema compiles");
        validator.iter_errors(instance).map(|e| format!("{}: {e}", e.instance_path())).collect()
    }

    #[test]
    fn every_shipped_scenario_validates() {
        let schema = scenario();
        assert!(!schema.as_value().to_string().contains("null"), "TOML has no null");
        let shipped: Vec<_> = ["scenarios", "examples", "benches/scenarios"].iter().flat_map(|d| files(d)).collect();
        assert!(shipped.len() >= 20, "{} scenarios found", shipped.len());
        for path in shipped {
            let text = std::fs::read_to_string(&path).expect("readable");
            let found = errors(&schema, &json_of(&text));
            assert!(found.is_empty(), "{}:\n{}", path.display(), found.join("\n"));
        }
    }

    #[test]
    fn every_shipped_experiment_validates() {
        let schema = crate::sweep::experiment::schema();
        let mut experiments = 0;
        // The folder also holds base scenarios of its experiments.
        for path in files("scenarios/experiments") {
            let json = json_of(&std::fs::read_to_string(&path).expect("readable"));
            let found = if json.get("scenario").is_some() {
                experiments += 1;
                errors(&schema, &json)
            } else {
                errors(&scenario(), &json)
            };
            assert!(found.is_empty(), "{}:\n{}", path.display(), found.join("\n"));
        }
        assert!(experiments >= 3, "{experiments} experiments found");
        let bad = json_of("scenario = \"a.toml\"\nreplication = 3\n[grid]\nload = { from = 0.5, to = 1 }\n");
        assert_eq!(errors(&schema, &bad).len(), 2, "{:?}", errors(&schema, &bad));
    }

    const CLUSTER: &str = "[[node_groups]]\nname = \"n\"\ncount = 2\ncpu = \"4\"\nmemory = \"16Gi\"\n";

    #[test]
    fn mistakes_are_flagged_where_they_are() {
        let schema = scenario();
        let cases = [
            ("name = \"x\"\nnode_group = []\n", ""),
            ("[[node_groups]]\nname = \"n\"\ncount = \"two\"\ncpu = 4\nmemory = \"16Gi\"\n", "/node_groups/0/count"),
            ("[[node_groups]]\nname = \"n\"\ncount = 2\ncpu = 4\nmemory = \"16Gi\"\ncolour = \"red\"\n", "/node_groups/0"),
            ("[simulation]\nduration = \"10 minutes\"\n", "/simulation/duration"),
            ("[[node_groups]]\nname = \"n\"\ncount = 2\ncpu = \"4 cores\"\nmemory = \"16Gi\"\n", "/node_groups/0/cpu"),
            ("[scheduler]\nkind = \"kubernetes\"\ntie_break = 5\n", "/scheduler"),
            ("[scheduler]\nkind = \"first-fit\"\npercentage_of_nodes_to_score = 50\n", "/scheduler"),
            ("[node_autoscaler]\npolicy = \"karpenter\"\nexpander = \"price\"\n", "/node_autoscaler"),
            ("[node_autoscaler]\npolicy = \"cluster-autoscaler\"\nexpander = \"cheapest\"\n", "/node_autoscaler"),
            ("[failures]\nprofile = \"nomad\"\n", "/failures/profile"),
            ("[failures]\nbackoff_limit = \"never\"\n", "/failures/backoff_limit"),
            ("[[batch]]\nname = \"b\"\njobs = 1\ninterarrival = { dist = \"exponential\", median = \"1s\" }\nduration = 1\ncpu = 1\nmemory = 1\nimages = []\n", "/batch/0/interarrival"),
            ("[[batch]]\nname = \"b\"\njobs = 1\ninterarrival = 1\ntasks = { dist = \"uniform\", low = 1, high = 2.5 }\nduration = 1\ncpu = 1\nmemory = 1\nimages = []\n", "/batch/0/tasks"),
            ("[[trace]]\nname = \"t\"\nformat = \"google-2019\"\ntasks = \"t.csv\"\n", "/trace/0/format"),
        ];
        for (text, at) in cases {
            let found = errors(&schema, &json_of(&format!("{text}{CLUSTER}")));
            assert!(!found.is_empty(), "accepted:\n{text}");
            assert!(found.iter().any(|e| e.starts_with(&format!("{at}:"))), "{text}\nnot at {at}: {found:?}");
        }
    }

    #[test]
    fn plug_ins_and_every_quantity_form_are_accepted() {
        let schema = scenario();
        let text = r#"
[simulation]
duration = "1h30m"
sample_interval = 0.5
[[images]]
name = "web"
size = 1e8
[[services]]
name = "web"
replicas = 1
image = "web"
cpu = 0.25
memory = "256Mi"
capacity_rps = 10
load = { points = [["0s", 1.0], [60, 2.0]] }
disruption_budget = { max_unavailable = "25%" }
autoscaler = { policy = "my-own", anything = [1, 2] }
[[batch]]
name = "b"
jobs = 3
interarrival = { dist = "weibull", scale = "2m", shape = 0.7, max = "1h" }
tasks = { dist = "uniform", low = 1, high = 4 }
duration = { dist = "lognormal", median = "30s", sigma = 1.2 }
cpu = "500m"
memory = { dist = "constant", value = "1Gi" }
images = ["web"]
disruption_budget = { min_available = 1 }
[scheduler]
kind = "my-scheduler"
weight = 3
[failures]
backoff_limit = "unlimited"
"#;
        let found = errors(&schema, &json_of(&format!("{CLUSTER}{text}")));
        assert!(found.is_empty(), "{found:?}");
    }
}
