//! The grid of an experiment: each parameter's values, their cartesian
//! product, and how one value overrides a field of the base scenario.
//!
//! Overrides act on the scenario's TOML before it is validated, so any field
//! a scenario has can be swept, and a value is checked exactly as it would be
//! in a scenario file. A parameter names its field with the path syntax of
//! the scenario's error messages, `batch[0].cpu.sigma`, where an index may
//! also be an entry's `name`: `node_groups[small].count`. A long path can be
//! given a short name for the outputs' columns and charts:
//! `target = { path = "services[web].autoscaler.metrics[0].cpu_utilization", values = [50, 70] }`.

use toml::{Table, Value};

/// The parameter that picks the scheduler policy by name.
pub const POLICY: &str = "policy";
/// Shorthand for `simulation.load`, the offered-load multiplier.
pub const LOAD: &str = "load";

/// One axis of the grid: a parameter and the values it takes, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    /// As written in `[grid]`; it heads the parameter's column in the outputs.
    pub name: String,
    /// The field it sets: `policy`, `load` or a field path (the name itself unless a `path` was given).
    pub path: String,
    /// The values, in the order given (ranges expanded).
    pub values: Vec<Value>,
}

/// Reads one `[grid]` entry: a list of values, a range `{ from, to, step }`,
/// a single value, or a table naming its `path` with `values` or a range.
pub fn parameter(name: &str, spec: &Value) -> Result<Parameter, String> {
    let (path, values) = match spec {
        Value::Table(t) if t.contains_key("path") => {
            let path = t["path"].as_str().ok_or("`path` must be a field path in quotes")?;
            let mut rest = t.clone();
            rest.remove("path");
            let values = match rest.remove("values") {
                Some(v) if rest.is_empty() => v,
                Some(_) => return Err("give `values` or a range, not both".into()),
                None => Value::Table(rest),
            };
            (path.to_string(), values)
        }
        other => (name.to_string(), other.clone()),
    };
    let values = match values {
        Value::Array(values) => values,
        Value::Table(t) if t.contains_key("from") || t.contains_key("to") || t.contains_key("step") => range(&t)?,
        Value::Table(t) if t.is_empty() => return Err("needs `values` or a range { from, to, step }".into()),
        single => vec![single],
    };
    if values.is_empty() {
        return Err("has no values".into());
    }
    if path == POLICY {
        if let Some(v) = values.iter().find(|v| !v.is_str()) {
            return Err(format!("policies are named by strings (\"kubernetes\"), got {v}"));
        }
    }
    let labels: Vec<String> = values.iter().map(label).collect();
    if let Some((i, l)) = labels.iter().enumerate().find(|(i, l)| labels[..*i].contains(l)) {
        return Err(format!("value {} (`{l}`) is listed twice", i + 1));
    }
    Ok(Parameter { name: name.to_string(), path, values })
}

/// The values of `{ from, to, step }`: `from`, `from + step`, … up to `to`
/// inclusive. Integers if all three are; otherwise decimals rounded to 12
/// significant digits, so that 0.1 steps give 0.3 and not 0.30000000000000004.
fn range(t: &Table) -> Result<Vec<Value>, String> {
    if let Some(k) = t.keys().find(|k| !["from", "to", "step"].contains(&k.as_str())) {
        return Err(format!("unknown key `{k}` in a range; write {{ from = …, to = …, step = … }}"));
    }
    let get = |k: &str| t.get(k).ok_or_else(|| format!("a range needs `{k}`"));
    let (from, to, step) = (get("from")?, get("to")?, get("step")?);
    if let (Value::Integer(from), Value::Integer(to), Value::Integer(step)) = (from, to, step) {
        if *step <= 0 || to < from {
            return Err(format!("range from {from} to {to} by {step}: needs step > 0 and to >= from"));
        }
        return Ok((*from..=*to).step_by(*step as usize).take(MAX_VALUES + 1).map(Value::Integer).collect::<Vec<_>>()).and_then(limit);
    }
    let num = |k: &str, v: &Value| {
        v.as_float().or(v.as_integer().map(|i| i as f64)).ok_or_else(|| format!("range `{k}` must be a number, got {v}"))
    };
    let (from, to, step) = (num("from", from)?, num("to", to)?, num("step", step)?);
    if !(step > 0.0 && to >= from && from.is_finite() && to.is_finite()) {
        return Err(format!("range from {from} to {to} by {step}: needs step > 0 and to >= from"));
    }
    // Counted in f64 first: a tiny step gives an infinite or huge count.
    let count = ((to - from) / step + 1e-9).floor() + 1.0;
    if !count.is_finite() || count > MAX_VALUES as f64 {
        return Err(format!("range from {from} to {to} by {step} gives more than {MAX_VALUES} values"));
    }
    let count = count as usize;
    Ok((0..count).map(|i| Value::Float(round12(from + i as f64 * step))).collect())
}

/// Most values one parameter may take.
pub const MAX_VALUES: usize = 10_000;

fn limit(values: Vec<Value>) -> Result<Vec<Value>, String> {
    if values.len() > MAX_VALUES {
        return Err(format!("range gives more than {MAX_VALUES} values"));
    }
    Ok(values)
}

/// `x` rounded to 12 significant digits.
fn round12(x: f64) -> f64 {
    format!("{x:.11e}").parse().unwrap_or(x)
}

/// How a value is written in the outputs' parameter columns and chart labels.
pub fn label(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Boolean(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// Every combination of the parameters' values (the first parameter varies
/// slowest), as value indices.
pub fn cells(parameters: &[Parameter]) -> Vec<Vec<usize>> {
    parameters.iter().fold(vec![Vec::new()], |acc, p| {
        acc.iter().flat_map(|prefix| (0..p.values.len()).map(move |i| [prefix.as_slice(), &[i]].concat())).collect()
    })
}

/// The field a parameter path sets, with the shorthands spelled out.
fn canonical(path: &str) -> &str {
    match path {
        POLICY => "scheduler",
        LOAD => "simulation.load",
        other => other,
    }
}

/// Whether two parameter paths set the same field, or one a field inside
/// the other's (`scheduler` and `scheduler.percentage_of_nodes_to_score`):
/// the later would silently override the earlier.
pub fn overlaps(a: &str, b: &str) -> bool {
    let (a, b) = (canonical(a), canonical(b));
    let inside = |long: &str, short: &str| long.strip_prefix(short).is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']));
    inside(a, b) || inside(b, a)
}

/// Sets parameter `name` to `value` in a scenario's TOML.
pub fn apply(scenario: &mut Table, name: &str, value: &Value) -> Result<(), String> {
    match name {
        POLICY => {
            let kind = value.as_str().unwrap_or_default();
            let own = scenario.get("scheduler").and_then(|s| s.get("kind")).and_then(Value::as_str);
            // The scenario's own policy keeps its parameters; others run with
            // their defaults (as `orchsim compare` does).
            if own.unwrap_or("kubernetes") != kind {
                scenario.insert("scheduler".into(), Value::Table(Table::from_iter([("kind".to_string(), Value::String(kind.into()))])));
            }
            Ok(())
        }
        LOAD => set(scenario, "simulation.load", value),
        path => set(scenario, path, value),
    }
}

/// One step of a field path.
#[derive(Debug, PartialEq)]
enum Step<'a> {
    Key(&'a str),
    /// `[3]` or `[name]`.
    Entry(&'a str),
}

fn steps(path: &str) -> Result<Vec<Step<'_>>, String> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if key.is_empty() && out.is_empty() {
            return Err(format!("`{path}` must start with a field name"));
        }
        if !key.is_empty() {
            out.push(Step::Key(key));
        }
        while !rest.is_empty() {
            let (entry, r) = rest.split_once(']').ok_or_else(|| format!("`{path}`: unclosed `[`"))?;
            out.push(Step::Entry(entry));
            rest = r.strip_prefix('[').unwrap_or(r);
            if !r.is_empty() && !r.starts_with('[') {
                return Err(format!("`{path}`: expected `.` or `[` after `]`"));
            }
        }
    }
    Ok(out)
}

/// Sets the field at `path` to `value`, creating missing tables on the way
/// (so a field left at its default can be swept); entries of arrays must
/// exist. Whether the field is one the scenario knows is left to its
/// validation, which rejects unknown fields.
fn set(root: &mut Table, path: &str, value: &Value) -> Result<(), String> {
    let steps = steps(path)?;
    let mut here: &mut Value = root.entry(key(&steps[0], path)?).or_insert_with(|| Value::Table(Table::new()));
    let mut at = String::from(key(&steps[0], path)?);
    for step in &steps[1..] {
        here = match (step, here) {
            (Step::Key(k), Value::Table(t)) => t.entry(k.to_string()).or_insert_with(|| Value::Table(Table::new())),
            (Step::Entry(e), Value::Array(items)) => {
                let found = match e.parse::<usize>() {
                    Ok(i) => i,
                    Err(_) => items.iter().position(|v| v.get("name").and_then(Value::as_str) == Some(e)).ok_or_else(|| {
                        let names: Vec<&str> = items.iter().filter_map(|v| v.get("name").and_then(Value::as_str)).collect();
                        format!("`{at}` has no entry named `{e}` (it has: {})", names.join(", "))
                    })?,
                };
                let len = items.len();
                items.get_mut(found).ok_or_else(|| format!("`{at}` has {len} entries; [{found}] is out of range"))?
            }
            (Step::Key(k), _) => return Err(format!("`{at}` is not a table, so it has no field `{k}`")),
            (Step::Entry(e), _) => return Err(format!("`{at}` is not a list, so it has no entry [{e}]")),
        };
        match step {
            Step::Key(k) => at = format!("{at}.{k}"),
            Step::Entry(e) => at = format!("{at}[{e}]"),
        }
    }
    *here = value.clone();
    Ok(())
}

fn key<'a>(step: &Step<'a>, path: &str) -> Result<&'a str, String> {
    match step {
        Step::Key(k) => Ok(k),
        Step::Entry(_) => Err(format!("`{path}` must start with a field name")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn lists_ranges_and_single_values() {
        let p = parameter("x", &Value::Array(vec![Value::Integer(3), Value::Integer(1)])).unwrap();
        assert_eq!(p.values, vec![Value::Integer(3), Value::Integer(1)]);
        let t = table("r = { from = 10, to = 30, step = 10 }\nf = { from = 0.1, to = 0.5, step = 0.1 }\ns = \"5m\"");
        let labels = |name| parameter(name, &t[name]).unwrap().values.iter().map(label).collect::<Vec<_>>();
        assert_eq!(labels("r"), ["10", "20", "30"]);
        assert_eq!(labels("f"), ["0.1", "0.2", "0.3", "0.4", "0.5"]);
        assert_eq!(labels("s"), ["5m"]);
    }

    #[test]
    fn overlapping_paths_are_found() {
        assert!(overlaps("load", "simulation.load"));
        assert!(overlaps("policy", "scheduler.percentage_of_nodes_to_score"));
        assert!(overlaps("node_groups[a]", "node_groups[a].count"));
        assert!(!overlaps("node_groups[a].count", "node_groups[a].cpu"));
        assert!(!overlaps("batch[0].cpu", "batch[0].cpu_limit"));
        let tiny = table("r = { from = 0.5, to = 1.0, step = 1e-320 }");
        assert!(parameter("r", &tiny["r"]).unwrap_err().contains("more than"));
    }

    #[test]
    fn a_named_parameter_sets_its_path() {
        let t =
            table("target = { path = \"services[web].replicas\", values = [1, 2] }\nw = { path = \"a.b\", from = 1, to = 3, step = 2 }");
        let p = parameter("target", &t["target"]).unwrap();
        assert_eq!((p.name.as_str(), p.path.as_str(), p.values.len()), ("target", "services[web].replicas", 2));
        assert_eq!(parameter("w", &t["w"]).unwrap().values, vec![Value::Integer(1), Value::Integer(3)]);
        let both = table("x = { path = \"a\", values = [1], from = 1 }\ny = { path = \"a\" }");
        assert!(parameter("x", &both["x"]).unwrap_err().contains("not both"));
        assert!(parameter("y", &both["y"]).unwrap_err().contains("needs `values`"));
    }

    #[test]
    fn bad_grid_entries_say_what_is_wrong() {
        let t =
            table("a = []\nb = { from = 3, to = 1, step = 1 }\nc = { from = 1, to = 2 }\nd = [1, 1]\ne = { from = 1, to = 2, stp = 1 }");
        assert_eq!(parameter("a", &t["a"]).unwrap_err(), "has no values");
        assert!(parameter("b", &t["b"]).unwrap_err().contains("to >= from"));
        assert!(parameter("c", &t["c"]).unwrap_err().contains("needs `step`"));
        assert!(parameter("d", &t["d"]).unwrap_err().contains("listed twice"));
        assert!(parameter("e", &t["e"]).unwrap_err().contains("unknown key `stp`"));
        assert!(parameter(POLICY, &Value::Integer(1)).unwrap_err().contains("named by strings"));
    }

    #[test]
    fn cells_are_the_cartesian_product_first_parameter_slowest() {
        let p = |n: usize| Parameter { name: "p".into(), path: "p".into(), values: (0..n as i64).map(Value::Integer).collect() };
        assert_eq!(cells(&[p(2), p(3)]), vec![vec![0, 0], vec![0, 1], vec![0, 2], vec![1, 0], vec![1, 1], vec![1, 2]]);
        assert_eq!(cells(&[]), vec![Vec::<usize>::new()]);
    }

    #[test]
    fn paths_reach_fields_by_index_and_by_name_and_create_missing_tables() {
        let mut s = table("[[node_groups]]\nname = \"small\"\ncount = 3\n[[node_groups]]\nname = \"large\"\ncount = 1\n[batch]\ncpu = { dist = \"constant\", value = 1 }");
        apply(&mut s, "node_groups[large].count", &Value::Integer(7)).unwrap();
        apply(&mut s, "node_groups[0].count", &Value::Integer(9)).unwrap();
        apply(&mut s, "batch.cpu.value", &Value::Integer(2)).unwrap();
        apply(&mut s, LOAD, &Value::Float(0.5)).unwrap();
        assert_eq!(s["node_groups"][1]["count"].as_integer(), Some(7));
        assert_eq!(s["node_groups"][0]["count"].as_integer(), Some(9));
        assert_eq!(s["batch"]["cpu"]["value"].as_integer(), Some(2));
        assert_eq!(s["simulation"]["load"].as_float(), Some(0.5));
        let err = apply(&mut s, "node_groups[medium].count", &Value::Integer(1)).unwrap_err();
        assert!(err.contains("no entry named `medium` (it has: small, large)"), "{err}");
        assert!(apply(&mut s, "node_groups[5].count", &Value::Integer(1)).unwrap_err().contains("has 2 entries"));
        assert!(apply(&mut s, "node_groups[0].count.x", &Value::Integer(1)).unwrap_err().contains("not a table"));
        assert!(apply(&mut s, "[0]", &Value::Integer(1)).is_err());
    }

    #[test]
    fn the_policy_parameter_keeps_the_scenarios_own_parameters_and_defaults_the_others() {
        let base = table("[scheduler]\nkind = \"kubernetes\"\npercentage_of_nodes_to_score = 50");
        let mut same = base.clone();
        apply(&mut same, POLICY, &Value::String("kubernetes".into())).unwrap();
        assert_eq!(same, base);
        let mut other = base.clone();
        apply(&mut other, POLICY, &Value::String("borg".into())).unwrap();
        assert_eq!(other, table("[scheduler]\nkind = \"borg\""));
    }
}
