//! Charts with plotters. The DejaVu Sans font is embedded (from the `dejavu`
//! crate), so charts render the same on any machine, fonts installed or not.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Once;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

use crate::metrics::services::ServiceSample;
use crate::metrics::Sample;

/// A chart that could not be drawn or saved.
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot draw chart: {message}")]
pub struct PlotError {
    /// The file.
    pub path: String,
    /// What failed.
    pub message: String,
}

static FONT: Once = Once::new();

fn register_font() {
    FONT.call_once(|| {
        // The bytes are a valid TrueType font shipped by the crate; failure would
        // only mean text is not drawn, which the chart survives.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular());
    });
}

/// A line to draw: legend label, colour, and the value it shows.
type Series = (&'static str, RGBColor, fn(&Sample) -> f64);

/// A chart panel: time (in the axis unit) across, `f64` up.
type Panel<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Picks a time unit that keeps axis labels readable.
fn time_axis(max_s: f64) -> (f64, &'static str) {
    if max_s > 3.0 * 3600.0 {
        (3600.0, "hours")
    } else if max_s > 300.0 {
        (60.0, "minutes")
    } else {
        (1.0, "seconds")
    }
}

/// The time axis every panel of one chart shares.
struct TimeAxis {
    /// Seconds per axis unit.
    unit: f64,
    /// The unit's name, for the axis title.
    name: &'static str,
    /// The axis end, in `unit`s.
    max: f64,
}

impl TimeAxis {
    /// An axis from 0 to `max_s` seconds (at least 1 s; a non-finite end counts as 1 s).
    fn new(max_s: f64) -> Self {
        let max_s = if max_s.is_finite() { max_s.max(1.0) } else { 1.0 };
        let (unit, name) = time_axis(max_s);
        TimeAxis { unit, name, max: max_s / unit }
    }
}

/// Turns a drawing failure on `path` into a [`PlotError`].
fn plot_error(path: &Path) -> impl Fn(&dyn std::fmt::Display) -> PlotError + '_ {
    move |e| PlotError { path: path.display().to_string(), message: e.to_string() }
}

/// What a panel has to the right of its plot.
#[derive(Clone, Copy)]
enum RightSide {
    /// Nothing.
    Nothing,
    /// Blank room as wide as a secondary axis, to line up with a panel that has one.
    Blank,
    /// Room for a secondary axis.
    Axis,
}

/// Chart margin, pixels.
const MARGIN: u32 = 12;
/// Width of the room for a secondary axis, pixels.
const RIGHT_AXIS: u32 = 60;

/// A panel on `area` with time across and `0..y_max` up. Panels of one chart
/// line up when their [`RightSide`]s take the same room.
fn time_panel<'a, DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    axis: &TimeAxis,
    y_max: f64,
    right: RightSide,
) -> Result<Panel<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut builder = ChartBuilder::on(area);
    builder.caption(caption, ("sans-serif", 24)).margin(MARGIN).x_label_area_size(40).y_label_area_size(60);
    match right {
        RightSide::Nothing => {}
        RightSide::Blank => {
            builder.margin_right(MARGIN + RIGHT_AXIS);
        }
        RightSide::Axis => {
            builder.right_y_label_area_size(RIGHT_AXIS);
        }
    }
    builder.build_cartesian_2d(0.0..axis.max, 0.0..y_max)
}

/// Draws the grid and axes of a panel. With a secondary axis, call it after
/// `set_secondary_coord`, or the primary labels are drawn on the right too.
fn draw_time_mesh<'a, DB: DrawingBackend + 'a>(
    chart: &mut Panel<'a, DB>,
    axis: &TimeAxis,
    y_desc: &str,
    y_format: Option<&dyn Fn(&f64) -> String>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(format!("simulated time ({})", axis.name)).y_desc(y_desc).x_label_formatter(&number_label);
    if let Some(f) = y_format {
        mesh.y_label_formatter(f);
    }
    mesh.draw()
}

/// A legend mark: a 20-pixel line at `(x, y)`.
fn legend_line(style: ShapeStyle) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style)
}

/// Draws the series labels of `chart` in a box at `position`.
fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    chart.configure_series_labels().position(position).background_style(WHITE.mix(0.8)).border_style(BLACK).draw()
}

/// Draws `utilization.png`: allocated CPU, memory (and GPU if any) as a fraction
/// of capacity over time, and below it pending and running pods.
pub fn utilization_chart(path: &Path, title: &str, samples: &[Sample]) -> Result<(), PlotError> {
    register_font();
    let err = plot_error(path);
    let root = BitMapBackend::new(path, (1200, 800)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (top, bottom) = root.split_vertically(420);
    let axis = TimeAxis::new(samples.last().map_or(1.0, |s| s.time_s));
    let unit = axis.unit;

    let caption = format!("{title}: resources requested / allocatable");
    let mut chart = time_panel(&top, &caption, &axis, 1.05, RightSide::Nothing).map_err(|e| err(&e))?;
    draw_time_mesh(&mut chart, &axis, "allocated fraction", None).map_err(|e| err(&e))?;
    let mut series: Vec<Series> = vec![("CPU", BLUE, |s| s.cpu_allocated), ("memory", RED, |s| s.memory_allocated)];
    if samples.iter().any(|s| s.gpu_allocated > 0.0) {
        series.push(("GPU", GREEN, |s| s.gpu_allocated));
    }
    for (name, color, f) in series {
        chart
            .draw_series(LineSeries::new(samples.iter().map(|s| (s.time_s / unit, f(s))), color.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label(name)
            .legend(legend_line(color.stroke_width(2)));
    }
    draw_legend(&mut chart, SeriesLabelPosition::MiddleRight).map_err(|e| err(&e))?;

    let max_pods = samples.iter().map(|s| s.pods_pending.max(s.pods_running + s.pods_starting)).max().unwrap_or(0).max(1);
    let mut chart = time_panel(&bottom, "pods", &axis, max_pods as f64 * 1.05, RightSide::Nothing).map_err(|e| err(&e))?;
    draw_time_mesh(&mut chart, &axis, "pods", Some(&|y| format!("{y:.0}"))).map_err(|e| err(&e))?;
    let pod_series: [Series; 2] = [
        ("pending (unscheduled)", RGBColor(230, 120, 0), |s| s.pods_pending as f64),
        ("running + starting", RGBColor(60, 60, 60), |s| (s.pods_running + s.pods_starting) as f64),
    ];
    for (name, color, f) in pod_series {
        chart
            .draw_series(LineSeries::new(samples.iter().map(|s| (s.time_s / unit, f(s))), color.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label(name)
            .legend(legend_line(color.stroke_width(2)));
    }
    draw_legend(&mut chart, SeriesLabelPosition::MiddleRight).map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))
}

/// Service colours, in the order services first appear; they repeat past the
/// ninth service. Grey is left out: grey and black are for
/// nodes and the line-style key.
const PALETTE: [RGBColor; 9] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// With more services than this, the legends name each service once (its
/// colour) and give the line styles in a separate key; with this many or fewer,
/// every line has its own entry.
const LEGEND_ENTRY_PER_LINE_MAX: usize = 3;

/// Dash and gap lengths of dashed lines, pixels.
const DASH: i32 = 8;
const DASH_GAP: i32 = 5;

/// Room above the highest value, as a fraction of it, so the legend in the
/// upper left corner rarely covers a line.
const HEADROOM: f64 = 0.25;

/// Room above the most nodes on the right axis. More than [`HEADROOM`], so the
/// node line does not sit on the replica line whenever both are at their peak.
const NODES_HEADROOM: f64 = 0.5;

/// The top of a value axis: the largest finite value (at least 1) plus
/// `headroom`. Never infinite, so that any data draws.
fn axis_top(values: impl Iterator<Item = f64>, headroom: f64) -> f64 {
    let max = values.filter(|v| v.is_finite()).fold(1.0, f64::max);
    let top = max * (1.0 + headroom);
    if top.is_finite() {
        top
    } else {
        f64::MAX
    }
}

/// Axis labels for counts: whole numbers only, so no label repeats.
fn count_label(y: &f64) -> String {
    if y.fract() == 0.0 {
        number_label(y)
    } else {
        String::new()
    }
}

/// Axis labels: whole numbers without decimals, fractions with at most two,
/// and huge values in scientific notation rather than in hundreds of digits.
fn number_label(v: &f64) -> String {
    if v.abs() >= 1e7 {
        format!("{v:.1e}")
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').to_string()
    }
}

/// `points` drawn as a step function: each value holds until the next sample.
/// Points with a non-finite coordinate are left out.
fn steps(points: impl Iterator<Item = (f64, f64)>) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for (x, y) in points.filter(|(x, y)| x.is_finite() && y.is_finite()) {
        if let Some(&(_, prev)) = out.last() {
            out.push((x, prev));
        }
        out.push((x, y));
    }
    out
}

/// The polygon between `points` and the time axis.
fn area(mut points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    if let (Some(&(first, _)), Some(&(last, _))) = (points.first(), points.last()) {
        points.insert(0, (first, 0.0));
        points.push((last, 0.0));
    }
    points
}

/// A legend mark for a shaded area.
fn legend_area(style: ShapeStyle) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], style)
}

/// `points` without those with a non-finite coordinate.
fn finite(points: impl Iterator<Item = (f64, f64)>) -> Vec<(f64, f64)> {
    points.filter(|(x, y)| x.is_finite() && y.is_finite()).collect()
}

/// Styles of the autoscaling chart's marks: shaded offered load, served-load
/// line, wide pale ready replicas, dashed desired replicas, black nodes.
fn offered_style(color: RGBColor) -> ShapeStyle {
    color.mix(0.2).filled()
}
fn served_style(color: RGBColor) -> ShapeStyle {
    color.stroke_width(2)
}
fn ready_style(color: RGBColor) -> ShapeStyle {
    color.mix(0.45).stroke_width(5)
}
fn nodes_style() -> ShapeStyle {
    BLACK.stroke_width(2)
}
fn desired_style(color: RGBColor) -> ShapeStyle {
    color.stroke_width(2)
}

/// A legend mark for a dashed line.
fn legend_dashed(style: ShapeStyle) -> impl Fn((i32, i32)) -> DashedPathElement<std::vec::IntoIter<(i32, i32)>, i32> {
    move |(x, y)| DashedPathElement::new(vec![(x, y), (x + 20, y)], DASH, DASH_GAP, style)
}

/// Draws `autoscaling.png`, two panels over the same time axis. Above, per
/// service, offered load (shaded) and served load (line) in requests/s: where
/// requests are dropped the shading shows above the line. Below, per service,
/// ready replicas (wide, pale) and desired replicas (dashed, on top), and the
/// nodes in service in black on a second axis to the right. Replica and node
/// counts are drawn as steps. Services are told apart by colour; with more
/// than three, each legend names every service once and keys the line styles
/// separately.
///
/// `services` are rows of `services.csv` (any order within a time; services are
/// coloured in the order they first appear), `samples` rows of
/// `timeseries.csv`. Without services the top panel says so and the bottom one
/// shows the nodes alone. Values that are not finite are left out; nothing in
/// the data makes it fail or panic.
pub fn autoscaling_chart(path: &Path, title: &str, services: &[ServiceSample], samples: &[Sample]) -> Result<(), PlotError> {
    register_font();
    let err = plot_error(path);
    let root = BitMapBackend::new(path, (1200, 800)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (top, bottom) = root.split_vertically(380);

    // Services in the order they first appear, each with its rows.
    let mut order: Vec<(&str, Vec<&ServiceSample>)> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for row in services {
        let i = *index.entry(&row.service).or_insert_with(|| {
            order.push((&row.service, Vec::new()));
            order.len() - 1
        });
        order[i].1.push(row);
    }
    let end_s = samples.iter().map(|s| s.time_s).chain(services.iter().map(|s| s.time_s)).filter(|t| t.is_finite()).fold(0.0, f64::max);
    let axis = TimeAxis::new(end_s);
    let unit = axis.unit;
    let per_line = order.len() <= LEGEND_ENTRY_PER_LINE_MAX;

    // Top: load.
    let load_top = axis_top(services.iter().flat_map(|s| [s.load_rps, s.served_rps]), HEADROOM);
    let caption = format!("{title}: offered and served load per service");
    let mut chart = time_panel(&top, &caption, &axis, load_top, RightSide::Blank).map_err(|e| err(&e))?;
    draw_time_mesh(&mut chart, &axis, "load (requests/s)", Some(&number_label)).map_err(|e| err(&e))?;
    for (i, (name, rows)) in order.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let offered = area(finite(rows.iter().map(|s| (s.time_s / unit, s.load_rps))));
        let served = finite(rows.iter().map(|s| (s.time_s / unit, s.served_rps)));
        let anno = chart.draw_series([Polygon::new(offered, offered_style(color))]).map_err(|e| err(&e))?;
        if per_line {
            anno.label(format!("{name} offered")).legend(legend_area(offered_style(color)));
        }
        let anno = chart.draw_series(LineSeries::new(served, served_style(color))).map_err(|e| err(&e))?;
        anno.label(if per_line { format!("{name} served") } else { (*name).to_string() }).legend(legend_line(served_style(color)));
    }
    if !per_line {
        key_entry(&mut chart, "offered (shaded)", legend_area(offered_style(BLACK))).map_err(|e| err(&e))?;
        key_entry(&mut chart, "served (line)", legend_line(served_style(BLACK))).map_err(|e| err(&e))?;
    }
    if order.is_empty() {
        let style = ("sans-serif", 20).into_font().color(&RGBColor(90, 90, 90)).pos(Pos::new(HPos::Center, VPos::Center));
        chart.draw_series([Text::new("no services in this run", (axis.max / 2.0, load_top / 2.0), style)]).map_err(|e| err(&e))?;
    } else {
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft).map_err(|e| err(&e))?;
    }

    // Bottom: replicas, and nodes on the right.
    let replicas_top = axis_top(services.iter().map(|s| f64::from(s.replicas_ready.max(s.replicas_desired))), HEADROOM);
    let nodes_top = axis_top(samples.iter().map(|s| s.nodes as f64), NODES_HEADROOM);
    let chart = time_panel(&bottom, "replicas per service, nodes in service", &axis, replicas_top, RightSide::Axis).map_err(|e| err(&e))?;
    let mut chart = chart.set_secondary_coord(0.0..axis.max, 0.0..nodes_top);
    draw_time_mesh(&mut chart, &axis, "replicas (pods)", Some(&count_label)).map_err(|e| err(&e))?;
    chart.configure_secondary_axes().y_desc("nodes in service").y_label_formatter(&count_label).draw().map_err(|e| err(&e))?;
    // Nodes first, so that the services' lines stay visible where they meet it.
    let nodes = steps(samples.iter().map(|s| (s.time_s / unit, s.nodes as f64)));
    chart.draw_secondary_series(LineSeries::new(nodes, nodes_style())).map_err(|e| err(&e))?;
    for (i, (name, rows)) in order.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let ready = steps(rows.iter().map(|s| (s.time_s / unit, f64::from(s.replicas_ready))));
        let desired = steps(rows.iter().map(|s| (s.time_s / unit, f64::from(s.replicas_desired))));
        let anno = chart.draw_series(LineSeries::new(ready, ready_style(color))).map_err(|e| err(&e))?;
        anno.label(if per_line { format!("{name} ready") } else { (*name).to_string() }).legend(legend_line(ready_style(color)));
        let anno = chart.draw_series(DashedLineSeries::new(desired, DASH, DASH_GAP, desired_style(color))).map_err(|e| err(&e))?;
        if per_line {
            anno.label(format!("{name} desired")).legend(legend_dashed(desired_style(color)));
        }
    }
    if !per_line {
        key_entry(&mut chart, "ready (wide, pale)", legend_line(ready_style(BLACK))).map_err(|e| err(&e))?;
        key_entry(&mut chart, "desired (dashed)", legend_dashed(desired_style(BLACK))).map_err(|e| err(&e))?;
    }
    key_entry(&mut chart, "nodes in service (right axis)", legend_line(nodes_style())).map_err(|e| err(&e))?;
    draw_legend(&mut chart, SeriesLabelPosition::UpperLeft).map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))
}

/// Adds a legend entry with no line in the chart: the key to a line style.
fn key_entry<'a, DB, E, F>(chart: &mut Panel<'a, DB>, label: &str, mark: F) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>
where
    DB: DrawingBackend + 'a,
    E: IntoDynElement<'a, DB, (i32, i32)>,
    F: Fn((i32, i32)) -> E + 'a,
{
    chart.draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?.label(label).legend(mark);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(time_s: f64, nodes: u64) -> Sample {
        Sample {
            time_s,
            cpu_allocated: 0.5,
            memory_allocated: 0.2,
            gpu_allocated: 0.0,
            pods_pending: 0,
            pods_starting: 0,
            pods_running: 4,
            pods_succeeded: 0,
            nodes,
            nodes_provisioning: 0,
            cost: 0.0,
            nodes_down: 0,
            nodes_not_ready: 0,
            restarts: 0,
            pods_lost: 0,
        }
    }

    fn service(time_s: f64, name: &str, load_rps: f64, ready: u32, desired: u32) -> ServiceSample {
        ServiceSample {
            time_s,
            service: name.to_string(),
            load_rps,
            served_rps: load_rps.min(f64::from(ready) * 100.0),
            dropped_rps: (load_rps - f64::from(ready) * 100.0).max(0.0),
            latency_ms: None,
            replicas_desired: desired,
            replicas_ready: ready,
            replicas_serving: ready,
            replicas_total: desired,
            cpu_utilization: 0.6,
            vpa_cpu_target_m: None,
            vpa_memory_target_mib: None,
        }
    }

    /// Two hours of `names` under a rising then falling load, sampled every minute.
    fn synthetic(names: &[&str]) -> (Vec<ServiceSample>, Vec<Sample>) {
        let mut services = Vec::new();
        let mut samples = Vec::new();
        for minute in 0..=120u32 {
            let t = f64::from(minute) * 60.0;
            let load = 200.0 + 1500.0 * (std::f64::consts::PI * f64::from(minute) / 120.0).sin();
            for (i, name) in names.iter().enumerate() {
                let load = load / (i + 1) as f64;
                let desired = (load / 60.0).ceil() as u32;
                let ready = if minute % 10 < 3 { desired.saturating_sub(2) } else { desired };
                services.push(service(t, name, load, ready, desired));
            }
            samples.push(sample(t, 2 + u64::from(minute) / 30));
        }
        (services, samples)
    }

    /// Draws the chart into a temporary directory and returns the PNG's bytes.
    fn render(services: &[ServiceSample], samples: &[Sample]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("autoscaling.png");
        autoscaling_chart(&path, "test", services, samples).unwrap();
        std::fs::read(&path).unwrap()
    }

    const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

    #[test]
    fn autoscaling_chart_draws_a_png() {
        let (services, samples) = synthetic(&["web", "api"]);
        let png = render(&services, &samples);
        assert_eq!(png[..8], PNG_SIGNATURE);
        assert!(png.len() > 10_000, "{} bytes: the chart looks empty", png.len());
    }

    #[test]
    fn autoscaling_chart_with_many_services_keys_the_line_styles() {
        let (services, samples) = synthetic(&["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"]);
        let png = render(&services, &samples);
        assert_eq!(png[..8], PNG_SIGNATURE);
    }

    #[test]
    fn autoscaling_chart_without_services_shows_the_nodes() {
        let (_, samples) = synthetic(&[]);
        let png = render(&[], &samples);
        assert_eq!(png[..8], PNG_SIGNATURE);
        assert!(png.len() > 10_000, "{} bytes", png.len());
    }

    #[test]
    fn autoscaling_chart_survives_empty_and_zero_length_runs() {
        assert_eq!(render(&[], &[])[..8], PNG_SIGNATURE);
        let png = render(&[service(0.0, "web", 100.0, 0, 2)], &[sample(0.0, 3)]);
        assert_eq!(png[..8], PNG_SIGNATURE);
    }

    #[test]
    fn autoscaling_chart_survives_huge_and_non_finite_values() {
        let services = vec![
            service(0.0, "web", f64::MAX, u32::MAX, u32::MAX),
            service(60.0, "web", f64::NAN, 0, 1),
            service(f64::INFINITY, "web", f64::INFINITY, 3, 0),
            service(120.0, "web", -5.0, 1, 1),
            service(f64::NAN, "api", 1e300, 7, 7),
        ];
        let samples = vec![sample(0.0, u64::MAX), sample(f64::NAN, 3), sample(f64::MAX, 0)];
        assert_eq!(render(&services, &samples)[..8], PNG_SIGNATURE);
    }

    #[test]
    fn utilization_chart_draws_a_png() {
        let (_, samples) = synthetic(&[]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("utilization.png");
        utilization_chart(&path, "test", &samples).unwrap();
        assert_eq!(std::fs::read(&path).unwrap()[..8], PNG_SIGNATURE);
    }
}
