//! `autoscaling.png`: the chart a capacity planner reads to see whether the
//! autoscalers kept up, and what it cost.
//!
//! Panels share one time axis, each with its key in a column to the right
//! (so no key covers data). Per service (the first [`SERVICES_SHOWN`]):
//!
//! 1. the metric the HPA acts on against its target (CPU utilization or
//!    requests/s per pod), with the utilization at the sample time behind it;
//! 2. replicas: desired (dashed) over ready, starting and pending stacked, so
//!    the gap between desired and ready reads as "waiting for a node" or
//!    "pulling the image, starting"; replica scale events as triangles;
//! 3. requests: offered and served on the left axis, dropped on the right
//!    axis (its own scale, so a small drop still shows), and the intervals in
//!    which the SLO was missed as a band along the top.
//!
//! Then the cluster: nodes in service per pool stacked, nodes provisioning on
//! top and pods waiting for a node on the right axis, node scale events as
//! triangles; and the cost so far per pool. Right axes take the left axis'
//! number of ticks ([`aligned_scale`]), so their ticks fall on its grid lines.

use std::ops::Range;

use plotters::chart::DualCoordChartContext;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    area, by_service, count_label, draw_key, finite, last_time, number_label, steps, Drawn, RunSeries, Swatch, TimeAxis, DASH, DASH_GAP,
    KEY_WIDTH, MARGIN, PALETTE, RIGHT_AXIS,
};
use crate::metrics::services::{ScalingEvent, ServiceSample};
use crate::metrics::{PoolSample, Sample};

/// Services with panels of their own; the others are named in a note (their
/// rows are in `services.csv`).
pub(super) const SERVICES_SHOWN: usize = 3;

/// Width of the plots, pixels (the key column is [`KEY_WIDTH`] more).
const PLOT_WIDTH: u32 = 1200;
/// Height of the title strip.
const TITLE_HEIGHT: u32 = 50;
/// Heights of a service's panels: metric, replicas, requests.
const METRIC_PANEL: u32 = 180;
const REPLICAS_PANEL: u32 = 200;
const REQUESTS_PANEL: u32 = 200;
/// Heights of the cluster panels: nodes and cost, with and without services
/// above them.
const NODES_PANEL: (u32, u32) = (240, 340);
const COST_PANEL: (u32, u32) = (200, 260);
/// Room under the last panel for the time axis' title.
const TIME_TITLE: u32 = 24;
/// Most ticks on a value axis (intervals between them).
const MAX_INTERVALS: u32 = 5;

/// The chart's size for `services` services (all drawn up to
/// [`SERVICES_SHOWN`]): it grows a row of panels per service.
pub(super) fn size(services: usize) -> (u32, u32) {
    let shown = services.min(SERVICES_SHOWN) as u32;
    let cluster = if shown == 0 { NODES_PANEL.1 + COST_PANEL.1 } else { NODES_PANEL.0 + COST_PANEL.0 };
    (PLOT_WIDTH + KEY_WIDTH, TITLE_HEIGHT + shown * (METRIC_PANEL + REPLICAS_PANEL + REQUESTS_PANEL) + cluster + TIME_TITLE)
}

/// A value axis from 0: `intervals` steps of `step`, each tick a grid line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct AxisScale {
    /// Distance between ticks: 1, 2, 2.5 or 5 times a power of ten.
    pub(super) step: f64,
    /// Intervals between ticks; the axis ends at `step · intervals`.
    pub(super) intervals: u32,
}

impl AxisScale {
    /// The axis end.
    pub(super) fn top(&self) -> f64 {
        self.step * f64::from(self.intervals)
    }

    /// The tick values, from 0 to the top.
    pub(super) fn ticks(&self) -> Vec<f64> {
        (0..=self.intervals).map(|i| self.step * f64::from(i)).collect()
    }
}

/// The smallest "nice" step (1, 2, 2.5 or 5 × 10^k; for counts, a whole
/// number, so 2.5 only from 25 up) at least `raw`. `raw` must be positive
/// and finite.
fn nice_step(raw: f64, counts: bool) -> f64 {
    let base = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * base)
        .filter(|s| !counts || (*s >= 1.0 && s.fract() == 0.0))
        // `base · m` may round just below `raw` (0.3 = 3 · 0.1 rounds up, say).
        .find(|s| *s >= raw * (1.0 - 1e-12));
    step.unwrap_or(if counts { raw.ceil().max(1.0) } else { raw })
}

/// The scale of a primary (left) axis showing values up to `max`: the
/// smallest nice step that covers `max` in at most `max_intervals` steps.
/// A non-finite or non-positive `max` counts as 1.
pub(super) fn nice_scale(max: f64, max_intervals: u32, counts: bool) -> AxisScale {
    let max_intervals = max_intervals.max(1);
    let max = if max.is_finite() && max > 0.0 { max } else { 1.0 };
    let step = nice_step(max / f64::from(max_intervals), counts);
    let intervals = ((max / step) * (1.0 - 1e-12)).ceil().clamp(1.0, f64::from(max_intervals)) as u32;
    finite_scale(AxisScale { step, intervals })
}

/// The scale of a secondary (right) axis showing values up to `max` beside
/// a primary axis of `intervals` intervals: the same number of intervals,
/// of the smallest nice step that covers `max`, so that every right tick
/// falls on a left tick's grid line. A non-finite or non-positive `max`
/// counts as 1.
pub(super) fn aligned_scale(max: f64, intervals: u32, counts: bool) -> AxisScale {
    let intervals = intervals.max(1);
    let max = if max.is_finite() && max > 0.0 { max } else { 1.0 };
    finite_scale(AxisScale { step: nice_step(max / f64::from(intervals), counts), intervals })
}

/// `scale`, its step cut where its top would not be finite (values near `f64::MAX`).
fn finite_scale(scale: AxisScale) -> AxisScale {
    if scale.top().is_finite() {
        scale
    } else {
        AxisScale { step: f64::MAX / f64::from(scale.intervals), ..scale }
    }
}

/// A value axis with its ticks, and the grid lines, where
/// [`AxisScale::ticks`] puts them, and no minor grid lines. (plotters'
/// `WithKeyPoints` does this too, but its labels cannot be formatted.)
pub(super) struct ValueRange {
    range: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ranged for ValueRange {
    type ValueType = f64;
    // Every axis of this chart sets its label formatter; the default is never used.
    type FormatOption = DefaultFormatting;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.range.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.range()
    }
}
/// A panel: time across, values up, ticks at the scale's steps.
type Panel<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, ValueRange>>;
/// A panel with a second value axis on the right.
type DualPanel<'a, DB> = DualCoordChartContext<'a, DB, Cartesian2d<RangedCoordf64, ValueRange>, Cartesian2d<RangedCoordf64, ValueRange>>;
/// A key column's entries.
type Key = Vec<(String, Swatch)>;
/// What the drawing functions return: plotters' error for the backend.
type Drawing<T, DB> = Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// The value axis of `scale`.
pub(super) fn value_range(scale: &AxisScale) -> ValueRange {
    ValueRange { range: (0.0..scale.top()).into(), ticks: scale.ticks() }
}

/// Colours, the same in every service's panels (their captions name the
/// service): blue for what serves (the metric, ready replicas, requests
/// served), orange for pods waiting for a node, purple for nodes on their
/// way, red for what was lost; pools take [`POOL_PALETTE`].
const SERVING: RGBColor = PALETTE[0];
const PENDING: RGBColor = RGBColor(230, 120, 0);
const PROVISIONING: RGBColor = RGBColor(150, 120, 200);
const DROPPED: RGBColor = RGBColor(200, 0, 0);
const SLO_MISSED: RGBColor = RGBColor(230, 40, 40);
const SCALE_UP: RGBColor = RGBColor(0, 120, 0);
const SCALE_DOWN: RGBColor = RGBColor(170, 0, 0);
/// Pool colours: muted, apart from the services' and from orange (pending)
/// and purple (provisioning).
const POOL_PALETTE: [RGBColor; 6] = [
    RGBColor(110, 110, 110),
    RGBColor(70, 140, 170),
    RGBColor(150, 170, 90),
    RGBColor(170, 130, 90),
    RGBColor(90, 160, 140),
    RGBColor(190, 170, 110),
];

/// `color` at `strength` (0 to 1) over white, opaque: stacked bands are
/// drawn over each other, and see-through ones would mix their colours.
fn tint(color: RGBColor, strength: f64) -> RGBColor {
    let over_white = |c: u8| (255.0 - (255.0 - f64::from(c)) * strength).round() as u8;
    RGBColor(over_white(color.0), over_white(color.1), over_white(color.2))
}

/// The narrowest mark for an interval, pixels: a drop or an SLO miss of
/// one short interval on a long run still shows.
const MIN_MARK_WIDTH: f64 = 3.0;

/// `(t0, t1)` widened about its middle to at least `min`, and moved right
/// if it would then start before 0 (where it would be cut off).
fn widened((t0, t1): (f64, f64), min: f64) -> (f64, f64) {
    let pad = ((min - (t1 - t0)) / 2.0).max(0.0);
    let (a, b) = (t0 - pad, t1 + pad);
    if a < 0.0 {
        (0.0, b - a)
    } else {
        (a, b)
    }
}

/// The SLO band's height, as a fraction of its panel's.
const SLO_BAND: f64 = 0.07;
/// Half the width of a scale event's triangle, pixels.
const MARK: i32 = 5;

/// A scale event's triangle: pointing up (added) or down (removed).
pub(super) fn triangle(up: bool, style: ShapeStyle) -> Polygon<(i32, i32)> {
    let (tip, base) = if up { (-MARK, MARK - 1) } else { (MARK, -MARK + 1) };
    Polygon::new(vec![(-MARK, base), (MARK, base), (0, tip)], style)
}

/// Draws the autoscaling chart on `root` (see the module's documentation).
/// Values that are not finite are left out; nothing in the data makes it
/// fail or panic.
pub(super) fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, title: &str, run: &RunSeries<'_>) -> Drawn<DB> {
    let order = by_service(run.services);
    let times = run.samples.iter().map(|s| s.time_s).chain(run.services.iter().map(|s| s.time_s)).chain(run.pools.iter().map(|p| p.time_s));
    let axis = TimeAxis::new(last_time(times));

    let (head, mut rest) = root.split_vertically(TITLE_HEIGHT);
    let mut heading = format!("{title}: autoscaling");
    if order.len() > SERVICES_SHOWN {
        heading += &format!(" (the first {SERVICES_SHOWN} of {} services; all are in services.csv)", order.len());
    }
    let centre = ("sans-serif", 24).into_font().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Center));
    head.draw(&Text::new(heading, ((PLOT_WIDTH / 2) as i32, (TITLE_HEIGHT / 2) as i32), centre))?;

    for (name, rows) in order.iter().take(SERVICES_SHOWN) {
        let events: Vec<&ScalingEvent> = run.scaling_events.iter().filter(|e| e.kind == "replicas" && e.target == *name).collect();
        for (height, panel) in [(METRIC_PANEL, 0), (REPLICAS_PANEL, 1), (REQUESTS_PANEL, 2)] {
            let (area, below) = rest.split_vertically(height);
            rest = below;
            let (plot, key) = area.split_horizontally(PLOT_WIDTH);
            let entries = match panel {
                0 => metric_panel(&plot, &axis, name, rows)?,
                1 => replicas_panel(&plot, &axis, name, rows, &events)?,
                _ => requests_panel(&plot, &axis, name, rows)?,
            };
            draw_key(&key, &entries)?;
        }
    }
    let (nodes_height, _) = if order.is_empty() { (NODES_PANEL.1, COST_PANEL.1) } else { (NODES_PANEL.0, COST_PANEL.0) };
    let (area, below) = rest.split_vertically(nodes_height);
    let (plot, key) = area.split_horizontally(PLOT_WIDTH);
    let pools = by_pool(run.pools);
    draw_key(&key, &nodes_panel(&plot, &axis, run, &pools)?)?;
    let (plot, key) = below.split_horizontally(PLOT_WIDTH);
    draw_key(&key, &cost_panel(&plot, &axis, run.samples, &pools)?)?;
    Ok(())
}

/// Whether a panel is the last one, whose time axis has its title.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    Above,
    Bottom,
}

/// A value axis of a panel: its scale, title, label format and colour.
struct YAxis<'f> {
    scale: AxisScale,
    desc: &'f str,
    format: &'f dyn Fn(&f64) -> String,
    color: RGBColor,
}

impl<'f> YAxis<'f> {
    /// A black axis.
    fn new(scale: AxisScale, desc: &'f str, format: &'f dyn Fn(&f64) -> String) -> Self {
        YAxis { scale, desc, format, color: BLACK }
    }
}

/// A panel on `area` with time across and `left` up, with the room of a
/// right axis, taken by `right` or left blank, so that all panels line up.
fn build<'a, DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    axis: &TimeAxis,
    left: &YAxis<'_>,
    right: bool,
    place: Place,
) -> Drawing<Panel<'a, DB>, DB> {
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(caption, ("sans-serif", 18))
        .margin(MARGIN / 2)
        .margin_left(MARGIN)
        .x_label_area_size(if place == Place::Bottom { 24 + TIME_TITLE } else { 24 })
        .y_label_area_size(70);
    if right {
        builder.right_y_label_area_size(RIGHT_AXIS + 10);
    } else {
        builder.margin_right(MARGIN / 2 + RIGHT_AXIS + 10);
    }
    builder.build_cartesian_2d(0.0..axis.max, value_range(&left.scale))
}

/// Draws a panel's grid and left axis. With a right axis, call it after
/// `set_secondary_coord`, or the left labels are drawn on the right too.
fn mesh<'a, DB: DrawingBackend + 'a>(chart: &mut Panel<'a, DB>, axis: &TimeAxis, left: &YAxis<'_>, place: Place) -> Drawing<(), DB> {
    let mut mesh = chart.configure_mesh();
    mesh.y_desc(left.desc).x_label_formatter(&number_label).y_label_formatter(left.format).x_labels(12);
    if place == Place::Bottom {
        mesh.x_desc(format!("simulated time ({})", axis.name));
    }
    mesh.draw()
}

/// A panel with one value axis, on the left (see [`build`]).
fn panel<'a, DB: DrawingBackend + 'a>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    axis: &TimeAxis,
    left: &YAxis<'_>,
    place: Place,
) -> Drawing<Panel<'a, DB>, DB> {
    let mut chart = build(area, caption, axis, left, false, place)?;
    mesh(&mut chart, axis, left, place)?;
    Ok(chart)
}

/// A panel with a second value axis on the right, drawn in its colour. Its
/// scale should be [`aligned_scale`] to the left one's, so that its ticks
/// fall on the grid lines.
fn dual_panel<'a, DB: DrawingBackend + 'a>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    axis: &TimeAxis,
    (left, right): (&YAxis<'_>, &YAxis<'_>),
    place: Place,
) -> Drawing<DualPanel<'a, DB>, DB> {
    let chart = build(area, caption, axis, left, true, place)?;
    let mut chart = chart.set_secondary_coord(0.0..axis.max, value_range(&right.scale));
    mesh(&mut chart, axis, left, place)?;
    chart
        .configure_secondary_axes()
        .y_desc(right.desc)
        .y_label_formatter(right.format)
        .label_style(("sans-serif", 12).into_font().color(&right.color))
        .axis_desc_style(("sans-serif", 14).into_font().color(&right.color))
        .axis_style(right.color)
        .draw()?;
    Ok(chart)
}

/// Text in the middle of a panel with no data to show.
fn no_data<'a, DB: DrawingBackend + 'a>(chart: &mut Panel<'a, DB>, axis: &TimeAxis, scale: &AxisScale, text: &str) -> Drawing<(), DB> {
    let style = ("sans-serif", 18).into_font().color(&RGBColor(90, 90, 90)).pos(Pos::new(HPos::Center, VPos::Center));
    chart.draw_series([Text::new(text.to_string(), (axis.max / 2.0, scale.top() / 2.0), style)])?;
    Ok(())
}

/// What the metric panel of a service shows: the HPA's metric as it sees
/// it, the same at the sample time, and the target, in display units.
struct MetricView {
    /// What the metric is, for the caption.
    what: &'static str,
    /// The left axis' title.
    y_desc: &'static str,
    /// The unit after a value in the key.
    unit: &'static str,
    /// Display units per unit of the CSV columns (100 for a fraction shown in %).
    scale_by: f64,
    /// The metric as the HPA sees it.
    seen: fn(&ServiceSample) -> Option<f64>,
    /// The metric at the sample time.
    now: fn(&ServiceSample) -> Option<f64>,
    /// The target.
    target: fn(&ServiceSample) -> Option<f64>,
}

impl MetricView {
    /// The metric of `rows`' HPA: CPU utilization if it targets it, else
    /// requests/s per replica if it targets that, else CPU utilization
    /// without a target.
    fn of(rows: &[&ServiceSample]) -> MetricView {
        if rows.iter().all(|s| s.hpa_cpu_target.is_none()) && rows.iter().any(|s| s.hpa_rps_per_pod_target.is_some()) {
            MetricView {
                what: "requests/s per replica",
                y_desc: "requests/s per replica",
                unit: "/s",
                scale_by: 1.0,
                seen: |s| s.hpa_rps_per_pod,
                now: |s| (s.replicas_serving > 0).then(|| s.served_rps / f64::from(s.replicas_serving)),
                target: |s| s.hpa_rps_per_pod_target,
            }
        } else {
            MetricView {
                what: "CPU utilization",
                y_desc: "CPU used / requested (%)",
                unit: " %",
                scale_by: 100.0,
                seen: |s| s.hpa_cpu_utilization,
                now: |s| Some(s.cpu_utilization),
                target: |s| s.hpa_cpu_target,
            }
        }
    }

    /// `value` of `rows` in display units, against time in axis units.
    fn line(&self, rows: &[&ServiceSample], unit: f64, value: fn(&ServiceSample) -> Option<f64>) -> Vec<(f64, f64)> {
        finite(rows.iter().filter_map(|s| value(s).map(|v| (s.time_s / unit, v * self.scale_by))))
    }
}

/// The metric panel of one service: what its HPA acts on (bold) against
/// its target (dashed), and the same at the sample time (pale), which the
/// HPA's 60 s window smooths and delays.
fn metric_panel<DB: DrawingBackend>(on: &DrawingArea<DB, Shift>, axis: &TimeAxis, name: &str, rows: &[&ServiceSample]) -> Drawing<Key, DB> {
    let view = MetricView::of(rows);
    let (seen, now, target) =
        (view.line(rows, axis.unit, view.seen), view.line(rows, axis.unit, view.now), view.line(rows, axis.unit, view.target));
    let has_target = !target.is_empty();
    let caption = if has_target {
        format!("{name}: {}, the HPA's metric, against its target", view.what)
    } else {
        format!("{name}: {} (no HPA target)", view.what)
    };
    let max = seen.iter().chain(&now).chain(&target).map(|p| p.1).fold(0.0, f64::max);
    let scale = nice_scale(max * 1.1, MAX_INTERVALS, false);
    let mut chart = panel(on, &caption, axis, &YAxis::new(scale, view.y_desc, &number_label), Place::Above)?;
    let mut key = Key::new();
    // Pale behind the HPA's view, bold when it is the only line.
    let pale = if has_target { SERVING.mix(0.4).stroke_width(1) } else { SERVING.stroke_width(1) };
    chart.draw_series(LineSeries::new(now, pale))?;
    if has_target {
        let bold = SERVING.stroke_width(2);
        chart.draw_series(LineSeries::new(seen, bold))?;
        key.push(("as the HPA sees it (60 s mean)".to_string(), Swatch::Line(bold)));
        key.push(("at the sample time".to_string(), Swatch::Line(pale)));
        let dashed = BLACK.stroke_width(2);
        let label = format!("target ({}{})", number_label(&target[target.len() - 1].1), view.unit);
        chart.draw_series(DashedLineSeries::new(steps(target.into_iter()), DASH, DASH_GAP, dashed))?;
        key.push((label, Swatch::Dashed(dashed)));
    } else {
        key.push(("at the sample time".to_string(), Swatch::Line(pale)));
    }
    if rows.is_empty() {
        no_data(&mut chart, axis, &scale, "no samples")?;
    }
    Ok(key)
}

/// Replicas of one service not ready, split by why: (pending: waiting for a
/// node; starting: bound, pulling the image or starting, or on a node
/// declared lost).
fn not_ready(s: &ServiceSample) -> (u32, u32) {
    let pending = s.replicas_pending.min(s.replicas_total);
    (pending, s.replicas_total.saturating_sub(s.replicas_ready).saturating_sub(pending))
}

/// The replicas panel of one service: ready, starting and pending stacked
/// under desired (dashed), and the scale events as triangles on the count
/// they set.
fn replicas_panel<DB: DrawingBackend>(
    on: &DrawingArea<DB, Shift>,
    axis: &TimeAxis,
    name: &str,
    rows: &[&ServiceSample],
    events: &[&ScalingEvent],
) -> Drawing<Key, DB> {
    let unit = axis.unit;
    let max = rows
        .iter()
        .map(|s| f64::from(s.replicas_desired.max(s.replicas_total)))
        .chain(events.iter().map(|e| f64::from(e.to)))
        .fold(0.0, f64::max);
    let scale = nice_scale(max * 1.1, MAX_INTERVALS, true);
    let caption = format!("{name}: replicas, desired against ready, and why the others are not");
    let mut chart = panel(on, &caption, axis, &YAxis::new(scale, "replicas (pods)", &count_label), Place::Above)?;
    let at = |f: &dyn Fn(&ServiceSample) -> u32| steps(rows.iter().map(|s| (s.time_s / unit, f64::from(f(s)))));
    let ready = at(&|s| s.replicas_ready);
    let starting = at(&|s| s.replicas_ready.saturating_add(not_ready(s).1));
    let pending = at(&|s| s.replicas_ready.saturating_add(not_ready(s).1).saturating_add(not_ready(s).0));
    let styles = [tint(PENDING, 0.6).filled(), tint(SERVING, 0.25).filled(), tint(SERVING, 0.6).filled()];
    // Top down, each over the last: the bands between them show.
    for (band, style) in [pending, starting, ready].into_iter().zip(styles) {
        chart.draw_series([Polygon::new(area(band), style)])?;
    }
    let dashed = BLACK.stroke_width(2);
    chart.draw_series(DashedLineSeries::new(at(&|s| s.replicas_desired), DASH, DASH_GAP, dashed))?;
    let marks = events.iter().filter(|e| e.time_s.is_finite() && e.to != e.from).map(|e| {
        let up = e.to > e.from;
        EmptyElement::at((e.time_s / unit, f64::from(e.to))) + triangle(up, if up { SCALE_UP } else { SCALE_DOWN }.filled())
    });
    chart.draw_series(marks)?;
    if rows.is_empty() {
        no_data(&mut chart, axis, &scale, "no samples")?;
    }
    Ok(vec![
        ("desired (the scale's spec.replicas)".to_string(), Swatch::Dashed(dashed)),
        ("ready (endpoints)".to_string(), Swatch::Area(styles[2])),
        ("starting, or on a failed node".to_string(), Swatch::Area(styles[1])),
        ("pending (waiting for a node)".to_string(), Swatch::Area(styles[0])),
        (format!("scaled up / down ({} times)", events.len()), Swatch::Triangles(SCALE_UP.filled(), SCALE_DOWN.filled())),
    ])
}

/// The requests panel of one service: offered (line) and served (shaded)
/// requests/s on the left axis; dropped requests/s, the mean over each
/// sample interval, on the right axis with a scale of its own; and a band
/// along the top over each interval in which the SLO was missed.
fn requests_panel<DB: DrawingBackend>(
    on: &DrawingArea<DB, Shift>,
    axis: &TimeAxis,
    name: &str,
    rows: &[&ServiceSample],
) -> Drawing<Key, DB> {
    let unit = axis.unit;
    let rows: Vec<&&ServiceSample> = rows.iter().filter(|s| s.time_s.is_finite()).collect();
    let scale = nice_scale(
        rows.iter().flat_map(|s| [s.load_rps, s.served_rps]).filter(|v| v.is_finite()).fold(0.0, f64::max) * 1.1,
        MAX_INTERVALS,
        false,
    );
    // Dropped requests/s over each interval: exact where the rate at the sample time is not.
    let times: Vec<f64> = rows.iter().map(|s| s.time_s).collect();
    let dropped_rate: Vec<(f64, f64)> = rows
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let dt = if i == 0 { 0.0 } else { s.time_s - times[i - 1] };
            (s.time_s / unit, if dt > 0.0 { s.dropped_requests / dt } else { 0.0 })
        })
        .collect();
    let dropped_max = dropped_rate.iter().map(|p| p.1).filter(|v| v.is_finite()).fold(0.0, f64::max);
    let right = aligned_scale(dropped_max * 1.05, scale.intervals, false);
    let caption = format!("{name}: requests, offered against served, dropped and SLO missed");
    let left = YAxis::new(scale, "requests/s", &number_label);
    let right = YAxis { color: DROPPED, ..YAxis::new(right, "dropped requests/s", &number_label) };
    let mut chart = dual_panel(on, &caption, axis, (&left, &right), Place::Above)?;

    let served = tint(SERVING, 0.35).filled();
    chart.draw_series([Polygon::new(area(finite(rows.iter().map(|s| (s.time_s / unit, s.served_rps)))), served)])?;
    let dropped = DROPPED.filled();
    let min_width = axis.max * MIN_MARK_WIDTH / f64::from(PLOT_WIDTH);
    let drops = dropped_rate.windows(2).filter(|w| w[1].1 > 0.0 && w[1].1.is_finite()).map(|w| {
        let (t0, t1) = widened((w[0].0, w[1].0), min_width);
        Rectangle::new([(t0, 0.0), (t1, w[1].1)], dropped)
    });
    chart.draw_secondary_series(drops)?;
    // Offered over the drops, which would hide it where they are high.
    let offered = BLACK.stroke_width(1);
    chart.draw_series(LineSeries::new(finite(rows.iter().map(|s| (s.time_s / unit, s.load_rps))), offered))?;
    // The SLO band: runs of intervals with a miss, merged.
    let band = tint(SLO_MISSED, 0.55).filled();
    let (lo, hi) = (scale.top() * (1.0 - SLO_BAND), scale.top());
    let mut missed: Vec<(f64, f64)> = Vec::new();
    for (i, s) in rows.iter().enumerate().skip(1) {
        if s.slo_missed_s > 0.0 {
            let (t0, t1) = (times[i - 1] / unit, s.time_s / unit);
            match missed.last_mut() {
                Some(last) if last.1 == t0 => last.1 = t1,
                _ => missed.push((t0, t1)),
            }
        }
    }
    let missed_s: f64 = rows.iter().map(|s| s.slo_missed_s).filter(|v| v.is_finite()).sum();
    chart.draw_series(missed.iter().map(|&run| {
        let (t0, t1) = widened(run, min_width);
        Rectangle::new([(t0, lo), (t1, hi)], band)
    }))?;
    let total_dropped: f64 = rows.iter().map(|s| s.dropped_requests).filter(|v| v.is_finite()).sum();
    Ok(vec![
        ("offered".to_string(), Swatch::Line(offered)),
        ("served".to_string(), Swatch::Area(served)),
        (
            if total_dropped > 0.0 {
                format!("dropped (right axis): {} requests", number_label(&total_dropped.round()))
            } else {
                "dropped (right axis): none".to_string()
            },
            Swatch::Area(dropped),
        ),
        (
            if missed_s > 0.0 { format!("SLO missed: {} s", number_label(&missed_s.round())) } else { "SLO missed: never".to_string() },
            Swatch::Area(band),
        ),
    ])
}

/// Pools in the order they first appear (the order that picks their
/// colours), each with its rows.
fn by_pool(pools: &[PoolSample]) -> Vec<(&str, Vec<&PoolSample>)> {
    let mut order: Vec<(&str, Vec<&PoolSample>)> = Vec::new();
    for row in pools {
        match order.iter_mut().find(|(name, _)| *name == row.pool) {
            Some((_, rows)) => rows.push(row),
            None => order.push((&row.pool, vec![row])),
        }
    }
    order
}

/// Nodes of each pool at each sample time, stacked: the running sums of
/// the pools' counts, in pool order, as steps. Rows at the same time are
/// the pools' rows of one sample.
fn stacked(pools: &[(&str, Vec<&PoolSample>)], unit: f64, value: fn(&PoolSample) -> f64) -> Vec<Vec<(f64, f64)>> {
    let mut below: Vec<f64> = Vec::new();
    pools
        .iter()
        .map(|(_, rows)| {
            below.resize(below.len().max(rows.len()), 0.0);
            let points: Vec<(f64, f64)> = rows
                .iter()
                .zip(below.iter_mut())
                .map(|(r, b)| {
                    *b += value(r);
                    (r.time_s / unit, *b)
                })
                .collect();
            points
        })
        .collect()
}

/// The nodes panel: nodes in service per pool (stacked; all pools as one
/// without `pools.csv`), nodes provisioning on top, and pods waiting for a
/// node on the right axis; node scale events as triangles along the top.
fn nodes_panel<DB: DrawingBackend>(
    on: &DrawingArea<DB, Shift>,
    axis: &TimeAxis,
    run: &RunSeries<'_>,
    pools: &[(&str, Vec<&PoolSample>)],
) -> Drawing<Key, DB> {
    let unit = axis.unit;
    let samples: Vec<&Sample> = run.samples.iter().filter(|s| s.time_s.is_finite()).collect();
    let node_max = samples.iter().map(|s| s.nodes.saturating_add(s.nodes_provisioning) as f64).fold(0.0, f64::max);
    let scale = nice_scale(node_max * 1.15, MAX_INTERVALS, true);
    let pending_max = samples.iter().map(|s| s.pods_pending as f64).fold(0.0, f64::max);
    let right = aligned_scale(pending_max * 1.05, scale.intervals, true);
    let caption = "cluster: nodes in service per pool, nodes provisioning, and pods waiting for a node";
    let left = YAxis::new(scale, "nodes", &count_label);
    let right = YAxis { color: PENDING, ..YAxis::new(right, "pods pending", &count_label) };
    let mut chart = dual_panel(on, caption, axis, (&left, &right), Place::Above)?;

    let mut key = Key::new();
    let provisioning = tint(PROVISIONING, 0.6).filled();
    let total = steps(samples.iter().map(|s| (s.time_s / unit, s.nodes.saturating_add(s.nodes_provisioning) as f64)));
    chart.draw_series([Polygon::new(area(total), provisioning)])?;
    if pools.is_empty() {
        let style = tint(POOL_PALETTE[0], 0.75).filled();
        chart.draw_series([Polygon::new(area(steps(samples.iter().map(|s| (s.time_s / unit, s.nodes as f64)))), style)])?;
        key.push(("nodes in service".to_string(), Swatch::Area(style)));
    } else {
        // Highest first, each over the last, so every pool's band shows.
        let bands = stacked(pools, unit, |p| p.nodes as f64);
        for (i, band) in bands.into_iter().enumerate().rev() {
            let style = tint(POOL_PALETTE[i % POOL_PALETTE.len()], 0.75).filled();
            chart.draw_series([Polygon::new(area(steps(band.into_iter())), style)])?;
        }
        for (i, (name, _)) in pools.iter().enumerate() {
            key.push((format!("{name} nodes in service"), Swatch::Area(tint(POOL_PALETTE[i % POOL_PALETTE.len()], 0.75).filled())));
        }
    }
    key.push(("nodes provisioning (not joined yet)".to_string(), Swatch::Area(provisioning)));
    let pending = PENDING.stroke_width(2);
    chart.draw_secondary_series(LineSeries::new(steps(samples.iter().map(|s| (s.time_s / unit, s.pods_pending as f64))), pending))?;
    key.push(("pods pending (right axis)".to_string(), Swatch::Line(pending)));
    let events: Vec<&ScalingEvent> =
        run.scaling_events.iter().filter(|e| e.kind == "nodes" && e.time_s.is_finite() && e.to != e.from).collect();
    let y = scale.top() - scale.top() * SLO_BAND / 2.0;
    chart.draw_series(events.iter().map(|e| {
        let up = e.to > e.from;
        EmptyElement::at((e.time_s / unit, y)) + triangle(up, if up { SCALE_UP } else { SCALE_DOWN }.filled())
    }))?;
    key.push((format!("nodes added / removed ({} times)", events.len()), Swatch::Triangles(SCALE_UP.filled(), SCALE_DOWN.filled())));
    if samples.is_empty() {
        no_data(&mut chart, axis, &scale, "no samples")?;
    }
    Ok(key)
}

/// The cost panel: the cost so far per pool, stacked (all pools as one
/// without `pools.csv`), with the total as a line.
fn cost_panel<DB: DrawingBackend>(
    on: &DrawingArea<DB, Shift>,
    axis: &TimeAxis,
    samples: &[Sample],
    pools: &[(&str, Vec<&PoolSample>)],
) -> Drawing<Key, DB> {
    let unit = axis.unit;
    let total = finite(samples.iter().map(|s| (s.time_s / unit, s.cost)));
    let scale = nice_scale(total.iter().map(|p| p.1).fold(0.0, f64::max) * 1.1, MAX_INTERVALS, false);
    let left = YAxis::new(scale, "cost (price units)", &number_label);
    let mut chart = panel(on, "cluster: cost so far (node-hours × price per hour)", axis, &left, Place::Bottom)?;
    let mut key = Key::new();
    let bands = stacked(pools, unit, |p| p.cost);
    for (i, band) in bands.into_iter().enumerate().rev() {
        let style = tint(POOL_PALETTE[i % POOL_PALETTE.len()], 0.5).filled();
        chart.draw_series([Polygon::new(area(finite(band.into_iter())), style)])?;
    }
    for (i, (name, rows)) in pools.iter().enumerate() {
        let cost = rows.last().map_or(0.0, |r| r.cost);
        key.push((
            format!("{name}: {}", number_label(&round2(cost))),
            Swatch::Area(tint(POOL_PALETTE[i % POOL_PALETTE.len()], 0.5).filled()),
        ));
    }
    let line = BLACK.stroke_width(2);
    let end = total.last().map_or(0.0, |p| p.1);
    chart.draw_series(LineSeries::new(total, line))?;
    key.insert(0, (format!("total: {}", number_label(&round2(end))), Swatch::Line(line)));
    if samples.iter().all(|s| s.cost == 0.0) {
        no_data(&mut chart, axis, &scale, "no cost: the node groups set no price_per_hour")?;
    }
    Ok(key)
}

/// `v` rounded to cents.
fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every tick of `right` is at the height of the tick of `left` with the same index.
    fn aligned(left: &AxisScale, right: &AxisScale) -> bool {
        let (l, r) = (left.ticks(), right.ticks());
        l.len() == r.len() && l.iter().zip(&r).all(|(a, b)| (a / left.top() - b / right.top()).abs() < 1e-12)
    }

    fn is_nice(step: f64) -> bool {
        let mantissa = step / 10f64.powf(step.log10().floor());
        [1.0, 2.0, 2.5, 5.0].iter().any(|m| (mantissa - m).abs() < 1e-9)
    }

    #[test]
    fn primary_scales_cover_the_data_in_few_nice_steps() {
        assert_eq!(nice_scale(33.0, 5, true), AxisScale { step: 10.0, intervals: 4 });
        assert_eq!(nice_scale(30.0, 5, true), AxisScale { step: 10.0, intervals: 3 });
        assert_eq!(nice_scale(0.66, 5, false), AxisScale { step: 0.2, intervals: 4 });
        assert_eq!(nice_scale(2100.0, 5, false), AxisScale { step: 500.0, intervals: 5 });
        assert_eq!(nice_scale(11.0, 5, false), AxisScale { step: 2.5, intervals: 5 });
        // Counts step by whole numbers: no 0.5 or 2.5 pods.
        assert_eq!(nice_scale(3.3, 5, true), AxisScale { step: 1.0, intervals: 4 });
        assert_eq!(nice_scale(11.0, 5, true), AxisScale { step: 5.0, intervals: 3 });
        // Nothing to show, or nothing finite: one unit.
        for max in [0.0, -3.0, f64::NAN, f64::INFINITY] {
            assert_eq!(nice_scale(max, 5, true).top(), 1.0, "{max}");
        }
        assert!(nice_scale(f64::MAX, 5, false).top().is_finite());
        for max in [0.013, 0.3, 0.7, 1.0, 7.0, 42.0, 99.0, 101.0, 1234.5, 8e6] {
            for counts in [false, true] {
                let s = nice_scale(max, 5, counts);
                assert!(s.top() >= max && s.intervals <= 5 && is_nice(s.step), "{max} {counts}: {s:?}");
                assert!(!counts || s.step.fract() == 0.0, "{max}: {s:?}");
            }
        }
    }

    #[test]
    fn secondary_ticks_fall_on_the_primary_grid_lines() {
        // Replicas 0..40 by 10 on the left; dropped requests/s up to 3.2 on the right: 0..4 by 1.
        let left = nice_scale(33.0, 5, true);
        let right = aligned_scale(3.2, left.intervals, false);
        assert_eq!(right, AxisScale { step: 1.0, intervals: 4 });
        assert!(aligned(&left, &right));
        // A tiny right-hand maximum still gets the left's number of ticks.
        assert_eq!(aligned_scale(0.0004, 3, false), AxisScale { step: 0.0002, intervals: 3 });
        // Counts on the right: whole steps, however few.
        assert_eq!(aligned_scale(1.0, 4, true), AxisScale { step: 1.0, intervals: 4 });
        for lmax in [0.5, 3.0, 17.0, 260.0] {
            for rmax in [0.0, 0.02, 1.0, 9.0, 333.0, 1e9, f64::NAN] {
                let left = nice_scale(lmax, 5, false);
                let right = aligned_scale(rmax, left.intervals, true);
                assert!(aligned(&left, &right), "{lmax} {rmax}: {left:?} {right:?}");
                assert!(is_nice(right.step) && right.step.fract() == 0.0, "{rmax}: {right:?}");
                if rmax > 0.0 {
                    assert!(right.top() >= rmax, "{rmax}: {right:?}");
                }
                // The smallest such step: nice steps are at most 2.5 times apart.
                if rmax > f64::from(left.intervals) {
                    assert!(right.top() < rmax * 2.5, "{rmax}: {right:?}");
                }
            }
        }
    }
}
