//! An experiment file: base scenario(s), grid, replications, seed.
//!
//! ```toml
//! name = "scheduler-load"
//! scenario = "../compare-schedulers.toml"   # relative to this file; or a list
//! replications = 5
//! seed = 1
//! metrics = ["pending_p95_s", "mean_cpu_allocated"]   # charted; all are in the CSVs
//!
//! [grid]
//! policy = ["kubernetes", "best-fit", "tetris"]
//! load = { from = 0.6, to = 1.2, step = 0.2 }
//! "node_groups[small].count" = [60, 120]
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::{Table, Value};

use super::grid::{self, Parameter};
use super::store::{self, Manifest};
use super::SweepError;
use crate::policy::scheduler::Registry;
use crate::scenario::{locate, Diagnostic, LoadOptions, Scenario, ScenarioError};

/// The parameter added when an experiment names several base scenarios.
pub const SCENARIO: &str = "scenario";
/// Metrics charted when the experiment names none.
pub const DEFAULT_METRICS: [&str; 3] = ["pending_p95_s", "mean_cpu_allocated", "makespan_s"];
/// Default replications per grid cell.
pub const DEFAULT_REPLICATIONS: u32 = 5;
/// Most runs one sweep may plan.
pub const MAX_RUNS: usize = 1_000_000;

/// An experiment file: base scenario(s) × a grid of parameter values × replications.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "orchsim experiment")]
struct RawExperiment {
    /// Name; the default output directory is `results/NAME/` (default: the file's name).
    name: Option<String>,
    /// Free text.
    description: Option<String>,
    /// The base scenario, relative to this file, or a list of them (then `scenario` is a parameter of the grid).
    scenario: OneOrMany,
    /// Master seed (default: the base scenario's).
    seed: Option<u64>,
    /// Runs per grid cell, each on its own seed (default 5).
    replications: Option<u32>,
    /// Columns of the run summary to chart (default: pending_p95_s, mean_cpu_allocated, makespan_s).
    metrics: Option<Vec<String>>,
    /// The grid: one entry per parameter.
    #[serde(default)]
    #[schemars(with = "Grid")]
    grid: Table,
}

/// `[grid]`: each key a parameter (`policy`, `load` or a field path such as
/// `"node_groups[small].count"`), each value a list, a range, or a path
/// under a short name; the values are checked as the scenario checks them.
struct Grid;

impl schemars::JsonSchema for Grid {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Grid".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let range = serde_json::json!({
            "description": "A range: from, from + step, … up to to.",
            "type": "object",
            "properties": { "from": { "type": "number" }, "to": { "type": "number" }, "step": { "type": "number", "exclusiveMinimum": 0 } },
            "required": ["from", "to", "step"],
            "additionalProperties": false
        });
        let values = serde_json::json!({ "description": "The values, in order.", "type": "array", "minItems": 1 });
        let named = serde_json::json!({
            "description": "A short name for a long field path: { path = \"…\", values = […] } or { path = \"…\", from, to, step }.",
            "type": "object",
            "properties": {
                "path": { "type": "string", "description": "The field set, as in error messages: services[web].autoscaler.metrics[0].cpu_utilization." },
                "values": values.clone(),
                "from": { "type": "number" }, "to": { "type": "number" }, "step": { "type": "number" }
            },
            "required": ["path"],
            "additionalProperties": false
        });
        // A single value, even a table (a distribution), is a grid of one.
        let single = serde_json::json!({ "description": "A single value (a grid of one)." });
        schemars::json_schema!({
            "description": "Parameters of the grid: policy, load, or a field path such as \"node_groups[small].count\"; the cells are every combination.",
            "type": "object",
            "properties": {
                "policy": {
                    "description": "Scheduler policies by name.",
                    "anyOf": [{ "type": "array", "items": { "type": "string" }, "minItems": 1 }, { "type": "string" }]
                },
                "load": { "description": "Offered-load multipliers (`[simulation] load`).", "anyOf": [values, range, { "type": "number" }] }
            },
            "additionalProperties": { "anyOf": [values, range, named, single] }
        })
    }
}

/// The schema of an experiment file (`orchsim schema experiment`).
pub fn schema() -> schemars::Schema {
    crate::scenario::schema::generator().into_root_schema_for::<RawExperiment>()
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// A validated experiment: every grid cell's scenario is built and checked
/// before anything runs, so a bad value fails at once rather than hours in.
#[derive(Debug)]
pub struct Experiment {
    /// Name (the default output directory is `results/<name>/`).
    pub name: String,
    /// Free text.
    pub description: String,
    /// Master seed: replication r runs on [`replication_seed`](crate::engine::replication_seed)`(seed, r)`.
    pub seed: u64,
    /// Replications per cell.
    pub replications: u32,
    /// The grid's axes, in the order written.
    pub parameters: Vec<Parameter>,
    /// Metrics to chart (columns of the run summary).
    pub metrics: Vec<String>,
    /// The grid cells, first parameter varying slowest.
    pub cells: Vec<Cell>,
    /// The experiment file's text and each base scenario's, which identify
    /// the sweep when resuming or merging.
    pub sources: Vec<String>,
}

/// One point of the grid.
#[derive(Debug)]
pub struct Cell {
    /// Each parameter's value as written in the outputs.
    pub values: Vec<String>,
    /// The base scenario with the cell's overrides, validated.
    pub scenario: Scenario,
}

impl Experiment {
    /// The manifest a sweep of this experiment writes, so a resumed or merged
    /// directory can be checked against it.
    pub fn manifest(&self) -> Manifest {
        Manifest {
            orchsim: env!("CARGO_PKG_VERSION").to_string(),
            name: self.name.clone(),
            seed: self.seed,
            replications: self.replications,
            parameters: self.parameter_names(),
            cells: self.cells.iter().map(|c| c.values.clone()).collect(),
            metrics: self.metrics.clone(),
            sources: self.sources.clone(),
        }
    }

    /// Reads and validates the experiment at `path`; with `replications` or
    /// `seed`, overrides the file's.
    pub fn load(path: &Path, registry: &Registry, options: &LoadOptions) -> Result<Experiment, SweepError> {
        // Cells that replay the same trace share one reading of it.
        let options = &options.with_trace_cache();
        let file = path.display().to_string();
        let source = std::fs::read_to_string(path).map_err(|e| SweepError::Invalid(format!("{file}: cannot read experiment: {e}")))?;
        let raw: RawExperiment = toml::from_str(&source).map_err(|e| {
            let pos = e.span().map(|s| locate::position(&source, s.start));
            let at = pos.map_or(String::new(), |p| format!(":{}:{}", p.line, p.column));
            SweepError::Invalid(format!("{file}{at}: {}", e.message()))
        })?;
        let at = |field: &str| {
            let line = locate::span_of(&source, field).map(|s| locate::position(&source, s.start).line);
            format!("{file}{}: field `{field}`", line.map_or(String::new(), |l| format!(":{l}")))
        };
        let name = raw.name.unwrap_or_else(|| path.file_stem().map_or("sweep".into(), |s| s.to_string_lossy().into_owned()));
        let replications = raw.replications.unwrap_or(DEFAULT_REPLICATIONS);
        if replications == 0 {
            return Err(SweepError::Invalid(format!("{}: must be at least 1", at("replications"))));
        }
        let base_dir = path.parent().unwrap_or(Path::new("."));
        let scenario_paths: Vec<PathBuf> = match raw.scenario {
            OneOrMany::One(s) => vec![base_dir.join(s)],
            OneOrMany::Many(list) => list.iter().map(|s| base_dir.join(s)).collect(),
        };
        if scenario_paths.is_empty() {
            return Err(SweepError::Invalid(format!("{}: names no scenario", at("scenario"))));
        }
        let mut parameters: Vec<Parameter> = Vec::new();
        for (key, spec) in &raw.grid {
            let bad = |m: String| SweepError::Invalid(format!("{}: {m}", grid_key_at(&source, &file, key)));
            let p = grid::parameter(key, spec).map_err(bad)?;
            check_name(key).map_err(bad)?;
            if let Some(other) = parameters.iter().find(|o| grid::overlaps(&o.path, &p.path)) {
                return Err(bad(format!("sets the same field as `{}`; one parameter per field", other.name)));
            }
            parameters.push(p);
        }
        let columns = store::summary_columns();
        let metrics = raw.metrics.unwrap_or_else(|| DEFAULT_METRICS.map(String::from).to_vec());
        if let Some(m) = metrics.iter().find(|m| !store::is_metric(&columns, m)) {
            return Err(SweepError::Invalid(format!(
                "{}: `{m}` is not a metric of the run summary (see summary.csv's columns)",
                at("metrics")
            )));
        }
        let mut sources = vec![source.clone()];
        let mut bases = Vec::new();
        for p in &scenario_paths {
            let text = std::fs::read_to_string(p)
                .map_err(|e| SweepError::Invalid(format!("{}: scenario {}: {e}", at("scenario"), p.display())))?;
            // The base must be valid on its own: its errors then carry its real lines.
            let base = Scenario::parse_with_options(&text, &p.display().to_string(), registry, options).map_err(scenario_error)?;
            let table: Table = toml::from_str(&text).map_err(|e| SweepError::Invalid(format!("{}: {e}", p.display())))?;
            sources.push(text);
            bases.push((p.clone(), base.name, table));
        }
        if bases.len() > 1 {
            if parameters.iter().any(|p| p.name == SCENARIO) {
                return Err(SweepError::Invalid(format!(
                    "{}: `{SCENARIO}` is set by the list of scenarios",
                    grid_key_at(&source, &file, SCENARIO)
                )));
            }
            let names = bases.iter().map(|(_, n, _)| Value::String(n.clone())).collect();
            let axis =
                grid::parameter(SCENARIO, &Value::Array(names)).map_err(|m| SweepError::Invalid(format!("{}: {m}", at("scenario"))))?;
            parameters.insert(0, axis);
        }
        let cell_count = parameters.iter().try_fold(1usize, |n, p| n.checked_mul(p.values.len())).unwrap_or(usize::MAX);
        check_runs(cell_count, replications).map_err(|m| SweepError::Invalid(format!("{file}: {m}")))?;
        let combos = grid::cells(&parameters);
        let cells = combos.iter().map(|combo| cell(&parameters, combo, &bases, registry, options, &file)).collect::<Result<Vec<_>, _>>()?;
        Ok(Experiment {
            name,
            description: raw.description.unwrap_or_default(),
            seed: raw.seed.unwrap_or(1),
            replications,
            parameters,
            metrics,
            cells,
            sources,
        })
    }

    /// Applies `--replications` and `--seed`.
    pub fn override_runs(&mut self, replications: Option<u32>, seed: Option<u64>) -> Result<(), SweepError> {
        if let Some(r) = replications {
            check_runs(self.cells.len(), r).map_err(|m| SweepError::Invalid(format!("--replications: {m}")))?;
        }
        self.replications = replications.unwrap_or(self.replications);
        self.seed = seed.unwrap_or(self.seed);
        Ok(())
    }

    /// Every parameter's name, in column order.
    pub fn parameter_names(&self) -> Vec<String> {
        self.parameters.iter().map(|p| p.name.clone()).collect()
    }
}

/// At least one replication, and at most [`MAX_RUNS`] runs.
fn check_runs(cells: usize, replications: u32) -> Result<(), String> {
    if replications == 0 {
        return Err("replications must be at least 1".into());
    }
    if cells.saturating_mul(replications as usize) > MAX_RUNS {
        return Err(format!("{cells} cells × {replications} replications exceed {MAX_RUNS} runs"));
    }
    Ok(())
}

/// Names a parameter may not take: the outputs' own columns and the run
/// summary's (a parameter named `cost` would hide the metric), and `seed`,
/// which the replications set.
fn check_name(name: &str) -> Result<(), String> {
    const OWN: [&str; 10] = ["run", "cell", "replication", "metric", "n", "mean", "sd", "ci95_low", "ci95_high", "quantile"];
    if name == "seed" {
        return Err(
            "runs take their seeds from the experiment's `seed` and replications; sweep the scenario's draws with replications".into()
        );
    }
    let summary = store::summary_columns();
    if OWN.contains(&name) || name == "pending_s" || (summary.iter().any(|c| c == name) && name != grid::POLICY && name != SCENARIO) {
        return Err(format!(
            "`{name}` is a column of the outputs; give the parameter another name (`{name}_value = {{ path = \"…\", values = […] }}`)"
        ));
    }
    Ok(())
}

/// Builds and validates one cell's scenario.
fn cell(
    parameters: &[Parameter],
    combo: &[usize],
    bases: &[(PathBuf, String, Table)],
    registry: &Registry,
    options: &LoadOptions,
    file: &str,
) -> Result<Cell, SweepError> {
    let values: Vec<String> = parameters.iter().zip(combo).map(|(p, &i)| grid::label(&p.values[i])).collect();
    let described = || parameters.iter().zip(&values).map(|(p, v)| format!("{}={v}", p.name)).collect::<Vec<_>>().join(", ");
    let base = match parameters.first() {
        Some(p) if p.name == SCENARIO && bases.len() > 1 => &bases[combo[0]],
        _ => &bases[0],
    };
    let mut table = base.2.clone();
    for (p, &i) in parameters.iter().zip(combo) {
        if p.name == SCENARIO && bases.len() > 1 {
            continue;
        }
        grid::apply(&mut table, &p.path, &p.values[i]).map_err(|m| SweepError::Invalid(format!("{file}: grid `{}`: {m}", p.name)))?;
    }
    let text = toml::to_string(&table).map_err(|e| SweepError::Invalid(format!("{file}: cell ({}): {e}", described())))?;
    // Parsed under the base's path, so relative trace paths resolve as in the base.
    let scenario = Scenario::parse_with_options(&text, &base.0.display().to_string(), registry, options).map_err(|e| match e {
        ScenarioError::Invalid(diagnostics) => SweepError::Invalid(
            diagnostics
                .iter()
                .map(|d| format!("{file}: grid cell ({}) makes {} invalid: {}", described(), base.0.display(), without_position(d)))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        other => scenario_error(other),
    })?;
    Ok(Cell { values, scenario })
}

/// A diagnostic without its line, which points into the overridden text rather than a file.
fn without_position(d: &Diagnostic) -> String {
    Diagnostic { line: None, column: None, file: String::new(), ..d.clone() }.to_string().trim_start_matches(": ").to_string()
}

fn scenario_error(e: ScenarioError) -> SweepError {
    SweepError::Invalid(e.to_string())
}

/// `file:line: grid key `k`` for errors about one grid entry.
fn grid_key_at(source: &str, file: &str, key: &str) -> String {
    let grid = locate::span_of(source, "grid").map_or(0, |s| s.start);
    let line = source[grid..].find(key).map(|i| locate::position(source, grid + i).line);
    format!("{file}{}: grid `{key}`", line.map_or(String::new(), |l| format!(":{l}")))
}
