//! Charts of a sweep, drawn from its `summary.csv` and `pending_cdf.csv`
//! (so `orchsim plot DIR` redraws them from the tables alone), each as PNG
//! and SVG:
//!
//! - `<metric>_by_<parameter>`: the metric's mean against the first numeric
//!   parameter, one line per combination of the others (per policy, say),
//!   with its 95 % confidence band;
//! - `<metric>_bars`: one bar per grid cell with 95 % whiskers, coloured by policy;
//! - `pending_cdf`: the pending-time CDF per policy.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{draw_legend, legend_line, png_bytes, register_font, svg_bytes, write_through_temp, PlotError, PALETTE};

/// One row of `summary.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct CellEstimate {
    /// Grid cell.
    pub cell: usize,
    /// Parameter values, in column order.
    pub values: Vec<String>,
    /// Metric name.
    pub metric: String,
    /// Mean over replications.
    pub mean: f64,
    /// 95 % interval, if there were two or more replications.
    pub interval: Option<(f64, f64)>,
}

/// A sweep's tables, as the charts need them.
#[derive(Clone, Debug, Default)]
pub struct SweepTables {
    /// Parameter names.
    pub parameters: Vec<String>,
    /// `summary.csv`.
    pub estimates: Vec<CellEstimate>,
    /// `pending_cdf.csv`.
    pub pending: Vec<CellCdf>,
}

fn read_error(path: &Path, e: impl std::fmt::Display) -> PlotError {
    PlotError { path: path.display().to_string(), message: e.to_string() }
}

fn open(path: &Path) -> Result<csv::Reader<std::fs::File>, PlotError> {
    csv::Reader::from_path(path).map_err(|e| read_error(path, e))
}

/// The column named `name` in `header`.
fn column(header: &csv::StringRecord, name: &str, path: &Path) -> Result<usize, PlotError> {
    header.iter().position(|h| h == name).ok_or_else(|| read_error(path, format!("no `{name}` column")))
}

/// A number in row `row`, column `name`, or an error naming the line.
fn number(row: &csv::StringRecord, at: usize, name: &str, path: &Path) -> Result<Option<f64>, PlotError> {
    let text = row.get(at).unwrap_or("");
    if text.is_empty() {
        return Ok(None);
    }
    let line = row.position().map_or(0, |p| p.line());
    text.parse().map(Some).map_err(|_| read_error(path, format!("line {line}: `{name}` is not a number: `{text}`")))
}

impl SweepTables {
    /// Reads `summary.csv` and `pending_cdf.csv` from a sweep directory.
    pub fn read(dir: &Path) -> Result<SweepTables, PlotError> {
        let path = dir.join("summary.csv");
        let mut reader = open(&path)?;
        let header = reader.headers().map_err(|e| read_error(&path, e))?.clone();
        let metric_at = column(&header, "metric", &path)?;
        let parameters: Vec<String> = header.iter().take(metric_at).skip(1).map(String::from).collect();
        let (mean_at, low_at, high_at) =
            (column(&header, "mean", &path)?, column(&header, "ci95_low", &path)?, column(&header, "ci95_high", &path)?);
        let mut estimates = Vec::new();
        for row in reader.records() {
            let row = row.map_err(|e| read_error(&path, e))?;
            let line = row.position().map_or(0, |p| p.line());
            let cell = row.get(0).and_then(|c| c.parse().ok()).ok_or_else(|| read_error(&path, format!("line {line}: bad `cell`")))?;
            let mean = number(&row, mean_at, "mean", &path)?.ok_or_else(|| read_error(&path, format!("line {line}: no mean")))?;
            let interval = number(&row, low_at, "ci95_low", &path)?.zip(number(&row, high_at, "ci95_high", &path)?);
            estimates.push(CellEstimate {
                cell,
                values: (1..metric_at).map(|i| row.get(i).unwrap_or("").to_string()).collect(),
                metric: row.get(metric_at).unwrap_or("").to_string(),
                mean,
                interval,
            });
        }
        let pending = read_pending(&dir.join("pending_cdf.csv"), parameters.len())?;
        Ok(SweepTables { parameters, estimates, pending })
    }

    /// The metrics present, in file order.
    pub fn metrics(&self) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for e in &self.estimates {
            if !seen.contains(&e.metric) {
                seen.push(e.metric.clone());
            }
        }
        seen
    }
}

/// One cell's pending-time CDF from `pending_cdf.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct CellCdf {
    /// Parameter values (without a `policy` column the file adds).
    pub values: Vec<String>,
    /// The policy.
    pub policy: String,
    /// (pending seconds, quantile), by quantile.
    pub points: Vec<(f64, f64)>,
}

/// `pending_cdf.csv`: rows of one cell are consecutive.
fn read_pending(path: &Path, parameters: usize) -> Result<Vec<CellCdf>, PlotError> {
    let mut reader = open(path)?;
    let header = reader.headers().map_err(|e| read_error(path, e))?.clone();
    let (policy_at, q_at, s_at) =
        (column(&header, "policy", path)?, column(&header, "quantile", path)?, column(&header, "pending_s", path)?);
    let mut cells: Vec<(String, CellCdf)> = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| read_error(path, e))?;
        let point = (number(&row, s_at, "pending_s", path)?.unwrap_or(0.0), number(&row, q_at, "quantile", path)?.unwrap_or(0.0));
        let cell = row.get(0).unwrap_or("").to_string();
        match cells.last_mut() {
            Some((c, cdf)) if *c == cell => cdf.points.push(point),
            _ => {
                let values = (1..=parameters).map(|i| row.get(i).unwrap_or("").to_string()).collect();
                cells.push((cell, CellCdf { values, policy: row.get(policy_at).unwrap_or("").to_string(), points: vec![point] }));
            }
        }
    }
    Ok(cells.into_iter().map(|(_, c)| c).collect())
}

/// A chart drawn the same way on any backend.
trait Chart {
    /// Size in pixels.
    fn size(&self) -> (u32, u32);
    /// Draws on `root`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// Draws `chart` as `<stem>.png` and `<stem>.svg`, each written under a
/// temporary name and renamed into place.
fn render(chart: &impl Chart, stem: &Path) -> Result<Vec<PathBuf>, PlotError> {
    register_font();
    let mut written = Vec::new();
    for ext in ["png", "svg"] {
        let dest = stem.with_extension(ext);
        let drawn =
            if ext == "png" { png_bytes(chart.size(), |root| chart.draw(root)) } else { svg_bytes(chart.size(), |root| chart.draw(root)) };
        let bytes = drawn.map_err(|m| read_error(&dest, m))?;
        write_through_temp(stem.with_extension(format!("tmp.{ext}")), &dest, &bytes)?;
        written.push(dest);
    }
    Ok(written)
}

/// Draws every chart of a sweep directory for `metrics` (those absent from
/// `summary.csv` are skipped) and returns the files written.
pub fn sweep_charts(dir: &Path, metrics: &[String]) -> Result<Vec<PathBuf>, PlotError> {
    let tables = SweepTables::read(dir)?;
    let mut written = Vec::new();
    let present = tables.metrics();
    for metric in metrics.iter().filter(|m| present.contains(m)) {
        let rows: Vec<&CellEstimate> = tables.estimates.iter().filter(|e| &e.metric == metric).collect();
        if let Some(lines) = LineChart::of(&tables.parameters, metric, &rows) {
            written.extend(render(&lines, &dir.join(format!("{}_by_{}", metric, file_safe(&lines.x_name))))?);
        }
        written.extend(render(&BarChart::of(&tables.parameters, metric, &rows), &dir.join(format!("{metric}_bars")))?);
    }
    // Without a measurable wait (every pod bound within the axis' floor) the CDF says nothing.
    if tables.pending.iter().any(|c| c.points.iter().any(|p| p.0 >= CDF_FLOOR_S)) {
        written.extend(render(&CdfChart::of(&tables.parameters, &tables.pending), &dir.join("pending_cdf"))?);
    }
    Ok(written)
}

fn file_safe(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect()
}

/// An axis title for a metric, with its unit.
pub fn metric_title(metric: &str) -> String {
    let words = |s: &str| s.replace('_', " ");
    if let Some(stem) = metric.strip_suffix("_s") {
        return format!("{} (seconds)", words(stem));
    }
    let unit = match metric {
        m if m.ends_with("_allocated") => "fraction of allocatable",
        "availability" | "full_availability" => "fraction of time",
        "request_success_ratio" => "served / offered",
        "node_hours" => "node-hours",
        "cost" => "price units",
        "lost_cpu_seconds" | "failure_lost_cpu_seconds" => "CPU-seconds",
        "requests" => "requests",
        _ => "count",
    };
    format!("{} ({unit})", words(metric))
}

/// An axis title for a parameter.
fn parameter_title(name: &str) -> String {
    match name {
        "load" | "simulation.load" => "offered load (× the scenario's)".into(),
        other => other.to_string(),
    }
}

/// The colour of series `i`.
fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Value range with a margin, never empty.
fn padded(lo: f64, hi: f64) -> (f64, f64) {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let span = if hi > lo { hi - lo } else { hi.abs().max(1.0) };
    (lo - span * 0.05, hi + span * 0.1)
}

/// A point of a line chart: x, mean, and the 95 % interval if any.
type LinePoint = (f64, f64, Option<(f64, f64)>);
/// A bar: group, policy, mean, and the 95 % interval if any.
type Bar = (usize, usize, f64, Option<(f64, f64)>);
/// A CDF line: policy, and (pending seconds, quantile) points.
type CdfLine = (String, Vec<(f64, f64)>);

/// The parameter that tells bars and CDF lines apart by colour: `policy` if
/// the grid has it, else the last parameter; the others make the groups (or
/// panels).
fn series_parameter(parameters: &[String]) -> Option<usize> {
    parameters.iter().position(|p| p == "policy").or(parameters.len().checked_sub(1))
}

/// How a parameter value is named in a legend: a policy by its name, any
/// other value with its parameter's.
fn value_label(parameter: &str, value: &str) -> String {
    if parameter == "policy" {
        value.to_string()
    } else {
        format!("{parameter} = {value}")
    }
}

/// The label of `values` over the parameters `indices`.
fn values_label(parameters: &[String], values: &[String], indices: impl Iterator<Item = usize>) -> String {
    indices.map(|i| value_label(&parameters[i], &values[i])).collect::<Vec<_>>().join(", ")
}

/// `<metric>` against a numeric parameter, a line per combination of the others.
struct LineChart {
    metric: String,
    x_name: String,
    /// (label, points (x, mean, interval)).
    lines: Vec<(String, Vec<LinePoint>)>,
}

impl LineChart {
    /// The chart if some parameter is numeric with two or more values.
    fn of(parameters: &[String], metric: &str, rows: &[&CellEstimate]) -> Option<LineChart> {
        let numeric = |i: usize| {
            let values: Vec<&str> = rows.iter().map(|r| r.values[i].as_str()).collect();
            values.iter().all(|v| v.parse::<f64>().is_ok()) && values.iter().any(|v| *v != values[0])
        };
        let x = (0..parameters.len()).find(|&i| numeric(i))?;
        let mut lines: Vec<(String, Vec<LinePoint>)> = Vec::new();
        for r in rows {
            let label = values_label(parameters, &r.values, (0..parameters.len()).filter(|&i| i != x));
            let label = if label.is_empty() { metric.to_string() } else { label };
            let point = (r.values[x].parse().unwrap_or(0.0), r.mean, r.interval);
            match lines.iter_mut().find(|(l, _)| *l == label) {
                Some((_, points)) => points.push(point),
                None => lines.push((label, vec![point])),
            }
        }
        for (_, points) in &mut lines {
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        Some(LineChart { metric: metric.to_string(), x_name: parameters[x].clone(), lines })
    }
}

impl Chart for LineChart {
    fn size(&self) -> (u32, u32) {
        (1000, 640)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let points = || self.lines.iter().flat_map(|(_, p)| p.iter());
        let (x0, x1) = points().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p.0), hi.max(p.0)));
        let (y0, y1) = points().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            let (a, b) = p.2.unwrap_or((p.1, p.1));
            (lo.min(a), hi.max(b))
        });
        let (y0, y1) = padded(y0.min(0.0), y1);
        let mut chart = ChartBuilder::on(root)
            .caption(format!("{} by {} (mean, 95 % CI)", self.metric, self.x_name), ("sans-serif", 22))
            .margin(14)
            .x_label_area_size(48)
            .y_label_area_size(80)
            .build_cartesian_2d(padded(x0, x1).0..padded(x0, x1).1, y0..y1)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc(parameter_title(&self.x_name))
            .y_desc(metric_title(&self.metric))
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 16))
            .draw()
            .map_err(|e| e.to_string())?;
        for (i, (label, pts)) in self.lines.iter().enumerate() {
            let c = color(i);
            let band: Vec<(f64, f64)> = pts
                .iter()
                .map(|p| (p.0, p.2.map_or(p.1, |i| i.1)))
                .chain(pts.iter().rev().map(|p| (p.0, p.2.map_or(p.1, |i| i.0))))
                .collect();
            chart.draw_series(std::iter::once(Polygon::new(band, c.mix(0.18).filled()))).map_err(|e| e.to_string())?;
            chart
                .draw_series(LineSeries::new(pts.iter().map(|p| (p.0, p.1)), c.stroke_width(2)).point_size(3))
                .map_err(|e| e.to_string())?
                .label(label.as_str())
                .legend(legend_line(c.stroke_width(2)));
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft).map_err(|e| e.to_string())
    }
}

/// Bars with 95 % whiskers: one group per combination of the parameters
/// other than the series one (per load level, say), one bar per value of the
/// series parameter (per policy) in each.
struct BarChart {
    metric: String,
    /// What the groups are (the non-policy parameters' names).
    group_title: String,
    /// Group labels, in order of appearance.
    groups: Vec<String>,
    /// Policies (bar colours), in order of appearance; one unnamed entry without a `policy` parameter.
    policies: Vec<String>,
    /// (group, policy, mean, interval).
    bars: Vec<Bar>,
}

/// The index of `value` in `list`, appending it if new.
fn index_in(list: &mut Vec<String>, value: String) -> usize {
    list.iter().position(|v| *v == value).unwrap_or_else(|| {
        list.push(value);
        list.len() - 1
    })
}

impl BarChart {
    fn of(parameters: &[String], metric: &str, rows: &[&CellEstimate]) -> BarChart {
        let series = series_parameter(parameters);
        let others: Vec<usize> = (0..parameters.len()).filter(|&i| Some(i) != series).collect();
        let (mut groups, mut policies) = (Vec::new(), Vec::new());
        let bars = rows
            .iter()
            .map(|r| {
                let label: Vec<String> = others
                    .iter()
                    .map(|&i| if others.len() == 1 { r.values[i].clone() } else { format!("{}={}", parameters[i], r.values[i]) })
                    .collect();
                let g = index_in(&mut groups, label.join(", "));
                let p = index_in(&mut policies, series.map_or(String::new(), |i| value_label(&parameters[i], &r.values[i])));
                (g, p, r.mean, r.interval)
            })
            .collect();
        let group_title = others.iter().map(|&i| parameter_title(&parameters[i])).collect::<Vec<_>>().join(", ");
        BarChart { metric: metric.to_string(), group_title, groups, policies, bars }
    }
}

impl Chart for BarChart {
    fn size(&self) -> (u32, u32) {
        ((200 + 28 * self.bars.len() as u32 + 30 * self.groups.len() as u32).clamp(800, 4000), 640)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let top = self.bars.iter().map(|b| b.3.map_or(b.2, |i| i.1).max(b.2)).fold(0.0, f64::max);
        let bottom = self.bars.iter().map(|b| b.3.map_or(b.2, |i| i.0).min(b.2)).fold(0.0, f64::min);
        let (y0, y1) = padded(bottom, top);
        let y0 = y0.min(0.0);
        let groups = self.groups.len().max(1) as f64;
        let mut chart = ChartBuilder::on(root)
            .caption(format!("{} (mean, 95 % CI)", self.metric), ("sans-serif", 22))
            .margin(14)
            .x_label_area_size(56)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..groups, y0..y1)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .x_desc(self.group_title.as_str())
            .y_desc(metric_title(&self.metric))
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 16))
            .draw()
            .map_err(|e| e.to_string())?;
        // Each group spans 0.8 of its unit, split evenly among the policies.
        let width = 0.8 / self.policies.len().max(1) as f64;
        let left = |g: usize, p: usize| g as f64 + 0.1 + p as f64 * width;
        for &(g, p, mean, interval) in &self.bars {
            let x = left(g, p);
            let bar = Rectangle::new([(x + width * 0.08, 0.0), (x + width * 0.92, mean)], color(p).filled());
            chart.draw_series(std::iter::once(bar)).map_err(|e| e.to_string())?;
            if let Some((lo, hi)) = interval {
                let (mid, cap) = (x + width / 2.0, width * 0.2);
                let whisker = [vec![(mid, lo), (mid, hi)], vec![(mid - cap, lo), (mid + cap, lo)], vec![(mid - cap, hi), (mid + cap, hi)]];
                chart.draw_series(whisker.into_iter().map(|w| PathElement::new(w, BLACK.stroke_width(2)))).map_err(|e| e.to_string())?;
            }
        }
        // Group labels under the axis, centred on their groups.
        let style = TextStyle::from(("sans-serif", 14).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
        for (g, label) in self.groups.iter().enumerate() {
            let (px, py) = chart.backend_coord(&(g as f64 + 0.5, y0));
            root.draw(&Text::new(label.clone(), (px, py + 6), style.clone())).map_err(|e| e.to_string())?;
        }
        if self.policies.len() > 1 {
            for (p, name) in self.policies.iter().enumerate() {
                let style = color(p).filled();
                chart
                    .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())
                    .map_err(|e| e.to_string())?
                    .label(name.as_str())
                    .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], style));
            }
            draw_legend(&mut chart, SeriesLabelPosition::UpperLeft).map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// The left edge of the CDF's log axis, seconds.
const CDF_FLOOR_S: f64 = 0.01;

/// The pending-time CDF, one line per value of the series parameter (per
/// policy), in one panel per combination of the other parameters (per load level, say): pooling runs at different
/// loads would draw a distribution no run had.
struct CdfChart {
    /// (panel title, lines (policy, points)).
    panels: Vec<(String, Vec<CdfLine>)>,
    /// Policies, in order of appearance (line colours are the same in every panel).
    policies: Vec<String>,
}

/// Panels per row of the CDF chart.
const CDF_COLUMNS: usize = 3;

impl CdfChart {
    fn of(parameters: &[String], cells: &[CellCdf]) -> CdfChart {
        let series = series_parameter(parameters);
        let mut panels: Vec<(String, Vec<CdfLine>)> = Vec::new();
        let mut policies = Vec::new();
        for c in cells {
            let title = values_label(parameters, &c.values, (0..parameters.len()).filter(|&i| Some(i) != series));
            let title = if title.is_empty() { "all runs".to_string() } else { title };
            let line = series.map_or(c.policy.clone(), |i| value_label(&parameters[i], &c.values[i]));
            index_in(&mut policies, line.clone());
            match panels.iter_mut().find(|(t, _)| *t == title) {
                Some((_, lines)) => lines.push((line, c.points.clone())),
                None => panels.push((title, vec![(line, c.points.clone())])),
            }
        }
        CdfChart { panels, policies }
    }

    fn grid(&self) -> (usize, usize) {
        let n = self.panels.len().max(1);
        let columns = n.min(CDF_COLUMNS);
        (n.div_ceil(columns), columns)
    }
}

impl Chart for CdfChart {
    fn size(&self) -> (u32, u32) {
        let (rows, columns) = self.grid();
        if rows * columns == 1 {
            return (1000, 640);
        }
        (540 * columns as u32, 60 + 380 * rows as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let root = root.titled("pending time CDF (quantiles averaged over replications)", ("sans-serif", 22)).map_err(|e| e.to_string())?;
        let max = self
            .panels
            .iter()
            .flat_map(|(_, l)| l.iter().flat_map(|(_, p)| p.iter().map(|p| p.0)))
            .filter(|x| x.is_finite())
            .fold(0.0, f64::max);
        // Waits span milliseconds to hours: a log axis, the same in every
        // panel, with shorter waits drawn at its left edge.
        let x_range = CDF_FLOOR_S..(max * 2.0).max(CDF_FLOOR_S * 10.0);
        let (rows, columns) = self.grid();
        for ((title, lines), area) in self.panels.iter().zip(root.split_evenly((rows, columns))) {
            let mut chart = ChartBuilder::on(&area)
                .caption(title.as_str(), ("sans-serif", 16))
                .margin(10)
                .x_label_area_size(44)
                .y_label_area_size(56)
                .build_cartesian_2d(x_range.clone().log_scale(), 0.0..1.02)
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .x_desc(format!("queue to bind (s, log; < {CDF_FLOOR_S} s at left)"))
                .y_desc("fraction of pods")
                .label_style(("sans-serif", 12))
                .axis_desc_style(("sans-serif", 13))
                .draw()
                .map_err(|e| e.to_string())?;
            for (policy, points) in lines {
                let c = color(self.policies.iter().position(|p| p == policy).unwrap_or(0));
                chart
                    .draw_series(LineSeries::new(points.iter().map(|&(s, q)| (s.max(CDF_FLOOR_S), q)), c.stroke_width(2)))
                    .map_err(|e| e.to_string())?
                    .label(policy.as_str())
                    .legend(legend_line(c.stroke_width(2)));
            }
            draw_legend(&mut chart, SeriesLabelPosition::LowerRight).map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(values: &[&str], metric: &str, mean: f64) -> CellEstimate {
        CellEstimate {
            cell: 0,
            values: values.iter().map(|v| v.to_string()).collect(),
            metric: metric.into(),
            mean,
            interval: Some((mean - 1.0, mean + 1.0)),
        }
    }

    #[test]
    fn lines_run_along_the_first_numeric_parameter_one_per_policy() {
        let params = ["policy".to_string(), "load".to_string()];
        let rows = [est(&["borg", "0.8"], "m", 2.0), est(&["borg", "0.6"], "m", 1.0), est(&["kubernetes", "0.6"], "m", 3.0)];
        let refs: Vec<&CellEstimate> = rows.iter().collect();
        let chart = LineChart::of(&params, "m", &refs).unwrap();
        assert_eq!(chart.x_name, "load");
        assert_eq!(chart.lines.len(), 2);
        assert_eq!(chart.lines[0].0, "borg");
        assert_eq!(chart.lines[0].1.iter().map(|p| p.0).collect::<Vec<_>>(), [0.6, 0.8]);
        // No numeric parameter with two values: no line chart.
        let only_policy = [est(&["borg", "1"], "m", 2.0), est(&["kubernetes", "1"], "m", 1.0)];
        assert!(LineChart::of(&params, "m", &only_policy.iter().collect::<Vec<_>>()).is_none());
    }

    #[test]
    fn titles_carry_units() {
        assert_eq!(metric_title("pending_p95_s"), "pending p95 (seconds)");
        assert_eq!(metric_title("mean_cpu_allocated"), "mean cpu allocated (fraction of allocatable)");
        assert_eq!(metric_title("pods_completed"), "pods completed (count)");
    }
}
