//! Charts with plotters. The DejaVu Sans font is embedded (from the `dejavu`
//! crate), so charts render the same on any machine, fonts installed or not.
//! (An SVG names the font family `sans-serif` and its viewer picks the font;
//! text is placed with DejaVu's metrics.)
//!
//! Each chart of a run is drawn by one function generic over the plotters
//! backend and written twice: PNG to look at, SVG to scale and edit for a paper.
//! [`run_charts_from_csv`] redraws them from a run directory's CSV files, so a
//! run made with `--no-chart`, or charts improved since, need no new simulation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

use crate::metrics::failures::FailureEvent;
use crate::metrics::services::{ScalingEvent, ServiceSample};
use crate::metrics::{PoolSample, Sample, Summary};
use crate::report::{read_csv, ReadError};
use crate::simulation::RunOutput;

mod autoscaling;
pub mod sweep_charts;

use autoscaling::{aligned_scale, nice_scale, value_range};

/// A chart that could not be drawn or saved.
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot write chart: {message}")]
pub struct PlotError {
    /// The file.
    pub path: String,
    /// What failed.
    pub message: String,
}

/// Why the charts of a run directory could not be redrawn from its CSV files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunChartsError {
    /// A CSV file is missing, unreadable or malformed (the error names the file and line).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// `summary.csv` has no row, so there is no title to draw.
    #[error("{path}: no row (a run writes one)")]
    NoSummary {
        /// The file.
        path: PathBuf,
    },
    /// A chart could not be drawn or saved.
    #[error(transparent)]
    Plot(#[from] PlotError),
}

/// The file formats every chart of a run is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChartFormat {
    /// A bitmap, through plotters' `BitMapBackend`.
    Png,
    /// A vector drawing, through plotters' `SVGBackend`: scales without blur
    /// and can be edited; text stays text.
    Svg,
}

impl ChartFormat {
    /// Every format, in the order they are written.
    pub const ALL: [ChartFormat; 2] = [ChartFormat::Png, ChartFormat::Svg];

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ChartFormat::Png => "png",
            ChartFormat::Svg => "svg",
        }
    }

    /// The format a file named `path` is written in: SVG for a name ending in
    /// `.svg` (any case), PNG otherwise.
    pub fn of(path: &Path) -> ChartFormat {
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("svg")) {
            ChartFormat::Svg
        } else {
            ChartFormat::Png
        }
    }
}

/// What the charts of a run are drawn from: its samples and event logs, as
/// [`RunOutput`] holds them or as read back from the run's CSV files.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunSeries<'a> {
    /// `timeseries.csv`.
    pub samples: &'a [Sample],
    /// `services.csv` (empty without services).
    pub services: &'a [ServiceSample],
    /// `pools.csv` (empty without a node autoscaler).
    pub pools: &'a [PoolSample],
    /// `scaling_events.csv`.
    pub scaling_events: &'a [ScalingEvent],
    /// `failure_events.csv` (empty if nothing failed).
    pub failure_events: &'a [FailureEvent],
}

impl<'a> From<&'a RunOutput> for RunSeries<'a> {
    fn from(output: &'a RunOutput) -> Self {
        RunSeries {
            samples: &output.samples,
            services: &output.services,
            pools: &output.pools,
            scaling_events: &output.scaling_events,
            failure_events: &output.failure_events,
        }
    }
}

/// A chart of one run with the data it shows. A value rather than a function
/// per chart and format: [`RunChart::draw`] is generic over the backend, so
/// each chart's drawing code is written once and every format is a backend.
enum RunChart<'a> {
    /// `utilization`: allocation and pods.
    Utilization { samples: &'a [Sample] },
    /// `autoscaling`: per service the HPA's metric, replicas and requests;
    /// nodes per pool and cost.
    Autoscaling { run: RunSeries<'a> },
    /// `availability`: replicas serving, load served and nodes, with the failure events.
    Availability { services: &'a [ServiceSample], samples: &'a [Sample], events: &'a [FailureEvent] },
}

/// What the drawing functions return: plotters' error for the backend.
type Drawn<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

impl RunChart<'_> {
    /// The file name without its extension.
    fn name(&self) -> &'static str {
        match self {
            RunChart::Utilization { .. } => "utilization",
            RunChart::Autoscaling { .. } => "autoscaling",
            RunChart::Availability { .. } => "availability",
        }
    }

    /// Size, pixels (the SVG's user units).
    fn size(&self) -> (u32, u32) {
        match self {
            RunChart::Availability { .. } => AVAILABILITY_SIZE,
            RunChart::Autoscaling { run } => autoscaling::size(by_service(run.services).len()),
            RunChart::Utilization { .. } => CHART_SIZE,
        }
    }

    /// Draws the chart on `root`, on a white background, and completes the file.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, title: &str) -> Drawn<DB> {
        root.fill(&WHITE)?;
        match *self {
            RunChart::Utilization { samples } => draw_utilization(root, title, samples)?,
            RunChart::Autoscaling { ref run } => autoscaling::draw(root, title, run)?,
            RunChart::Availability { services, samples, events } => draw_availability(root, title, services, samples, events)?,
        }
        root.present()
    }

    /// The chart as the bytes of a `format` file, drawn in memory.
    fn render(&self, format: ChartFormat, title: &str) -> Result<Vec<u8>, String> {
        register_font();
        let size = self.size();
        match format {
            ChartFormat::Png => png_bytes(size, |root| self.draw(root, title).map_err(|e| e.to_string())),
            ChartFormat::Svg => svg_bytes(size, |root| self.draw(root, title).map_err(|e| e.to_string())),
        }
    }

    /// Draws the chart into `path`, written in place (see [`write_run_charts`]
    /// for atomic writes).
    fn save(&self, path: &Path, format: ChartFormat, title: &str) -> Result<(), PlotError> {
        let err = plot_error(path);
        let bytes = self.render(format, title).map_err(|e| err(&e))?;
        std::fs::write(path, bytes).map_err(|e| err(&e))
    }
}

/// A PNG of `size` pixels drawn by `draw`: drawn into an RGB buffer and
/// encoded in memory, so the file is only ever created by the caller (see
/// [`write_through_temp`]).
fn png_bytes(size: (u32, u32), draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), String>) -> Result<Vec<u8>, String> {
    use image::ImageEncoder;
    let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        draw(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png).write_image(&rgb, size.0, size.1, image::ColorType::Rgb8).map_err(|e| e.to_string())?;
    Ok(png)
}

/// An SVG of `size` pixels drawn by `draw`, in memory (the backend's own
/// buffered file write would also drop a failed flush).
fn svg_bytes(size: (u32, u32), draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String>) -> Result<Vec<u8>, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg.into_bytes())
}

/// Writes `bytes` to `dest` under the temporary name `tmp`, then renames it
/// into place. The temporary file is created under the registry's lock
/// ([`TempPath::create`](crate::report::TempPath::create)), so a signal
/// handler that removes temporary files never misses one, and it is removed
/// if anything fails: an interrupted run never leaves a chart under a final
/// or a temporary name.
fn write_through_temp(tmp: PathBuf, dest: &Path, bytes: &[u8]) -> Result<(), PlotError> {
    use std::io::Write;
    let (temp, mut file) = crate::report::TempPath::create(tmp.clone()).map_err(|e| plot_error(&tmp)(&e))?;
    file.write_all(bytes).map_err(|e| plot_error(&tmp)(&e))?;
    drop(file);
    let moving = format!("cannot move {} into place", temp.path().display());
    temp.persist(dest).map_err(|e| plot_error(dest)(&format!("{moving}: {e}")))
}

/// The title of a run's charts: `scenario (policy)`. Taken from the summary
/// rather than the scenario so that charts redrawn from `summary.csv` carry
/// the same title as those drawn at the end of the run.
pub fn run_title(summary: &Summary) -> String {
    format!("{} ({})", summary.scenario, summary.policy)
}

/// Draws the charts of a run into `dir`, each as PNG and SVG:
/// `utilization` always, `autoscaling` when there are services or a node
/// autoscaler (`run.services` or `run.pools` not empty) and `availability`
/// when something failed (`run.failure_events` not empty). Each file is
/// drawn under a temporary name (`utilization.tmp.png`) and renamed into
/// place, so an interrupted run never leaves a half-drawn chart under the
/// final name. Returns the files written, in that order.
pub fn write_run_charts(dir: &Path, title: &str, run: &RunSeries<'_>) -> Result<Vec<PathBuf>, PlotError> {
    let RunSeries { samples, services, failure_events, .. } = *run;
    let mut charts = vec![RunChart::Utilization { samples }];
    if !services.is_empty() || !run.pools.is_empty() {
        charts.push(RunChart::Autoscaling { run: *run });
    }
    if !failure_events.is_empty() {
        charts.push(RunChart::Availability { services, samples, events: failure_events });
    }
    let mut written = Vec::new();
    for chart in &charts {
        for format in ChartFormat::ALL {
            let dest = dir.join(format!("{}.{}", chart.name(), format.extension()));
            let tmp = dir.join(format!("{}.tmp.{}", chart.name(), format.extension()));
            let bytes = chart.render(format, title).map_err(|e| plot_error(&tmp)(&e))?;
            write_through_temp(tmp, &dest, &bytes)?;
            written.push(dest);
        }
    }
    Ok(written)
}

/// Redraws the charts of the run directory `dir` from its CSV files, as
/// [`write_run_charts`] drew them at the end of the run (the same files, the
/// PNGs byte for byte): `timeseries.csv`; `services.csv`, `pools.csv`,
/// `scaling_events.csv` and `failure_events.csv` if present (a run without
/// services, node autoscaler or failures has not all of them); and the title
/// from `summary.csv`. A missing or malformed file is an error naming it, and
/// the line; nothing in the files makes it panic.
pub fn run_charts_from_csv(dir: &Path) -> Result<Vec<PathBuf>, RunChartsError> {
    let summary_path = dir.join("summary.csv");
    let summary: Summary = read_csv(&summary_path)?.into_iter().next().ok_or(RunChartsError::NoSummary { path: summary_path })?;
    let samples: Vec<Sample> = read_csv(&dir.join("timeseries.csv"))?;
    let services: Vec<ServiceSample> = read_csv_if_present(&dir.join("services.csv"))?;
    let pools: Vec<PoolSample> = read_csv_if_present(&dir.join("pools.csv"))?;
    let scaling_events: Vec<ScalingEvent> = read_csv_if_present(&dir.join("scaling_events.csv"))?;
    let failure_events: Vec<FailureEvent> = read_csv_if_present(&dir.join("failure_events.csv"))?;
    let run = RunSeries {
        samples: &samples,
        services: &services,
        pools: &pools,
        scaling_events: &scaling_events,
        failure_events: &failure_events,
    };
    Ok(write_run_charts(dir, &run_title(&summary), &run)?)
}

/// The rows of `path`, none if there is no such file: a run writes some files
/// only when it has something to put in them.
fn read_csv_if_present<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, ReadError> {
    if path.exists() {
        read_csv(path)
    } else {
        Ok(Vec::new())
    }
}

/// Draws `utilization.png` at `path` (SVG if its name ends in `.svg`):
/// allocated CPU, memory (and GPU if any) as a fraction of capacity over time,
/// and below it pending and running pods.
pub fn utilization_chart(path: &Path, title: &str, samples: &[Sample]) -> Result<(), PlotError> {
    RunChart::Utilization { samples }.save(path, ChartFormat::of(path), title)
}

/// Draws `autoscaling.png` at `path` (SVG if its name ends in `.svg`); see
/// [`write_run_charts`] for when a run has one. Per service (the first
/// three), the HPA's metric against its target, replicas desired against
/// ready, starting and pending with the scale events, and requests offered,
/// served and dropped with the SLO misses; then nodes per pool with those
/// provisioning and the pods pending, and the cost so far. Nothing in the
/// data makes it fail or panic.
pub fn autoscaling_chart(path: &Path, title: &str, run: &RunSeries<'_>) -> Result<(), PlotError> {
    RunChart::Autoscaling { run: *run }.save(path, ChartFormat::of(path), title)
}

/// Draws `availability.png` at `path` (SVG if its name ends in `.svg`), for
/// runs where something failed: replicas desired, ready and serving, the load
/// served and the nodes, with the failure events marked. Nothing in the data
/// makes it fail or panic.
pub fn availability_chart(
    path: &Path,
    title: &str,
    services: &[ServiceSample],
    samples: &[Sample],
    events: &[FailureEvent],
) -> Result<(), PlotError> {
    RunChart::Availability { services, samples, events }.save(path, ChartFormat::of(path), title)
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
type Panel<'a, DB> = PanelOn<'a, DB, RangedCoordf64>;

/// A chart panel with time across and the value axis `Y` up.
type PanelOn<'a, DB, Y> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>;

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

/// Size of `utilization.png` and `autoscaling.png`, pixels.
const CHART_SIZE: (u32, u32) = (1200, 800);
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
    time_panel_on(area, caption, axis, (0.0..y_max).into(), right)
}

/// [`time_panel`] with the value axis `y`: one whose ticks are set, say.
fn time_panel_on<'a, DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    axis: &TimeAxis,
    y: Y,
    right: RightSide,
) -> Result<PanelOn<'a, DB, Y>, DrawingAreaErrorKind<DB::ErrorType>> {
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
    builder.build_cartesian_2d(0.0..axis.max, y)
}

/// Draws the grid and axes of a panel. With a secondary axis, call it after
/// `set_secondary_coord`, or the primary labels are drawn on the right too.
fn draw_time_mesh<'a, DB: DrawingBackend + 'a, Y: Ranged<ValueType = f64> + ValueFormatter<f64>>(
    chart: &mut PanelOn<'a, DB, Y>,
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

/// Draws the utilization chart on `root`: allocated CPU, memory (and
/// GPU if any) as a fraction of capacity over time, and below it pending and
/// running pods.
fn draw_utilization<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, title: &str, samples: &[Sample]) -> Drawn<DB> {
    let (top, bottom) = root.split_vertically(420);
    let axis = TimeAxis::new(samples.last().map_or(1.0, |s| s.time_s));
    let unit = axis.unit;

    let caption = format!("{title}: resources requested / allocatable");
    let mut chart = time_panel(&top, &caption, &axis, 1.05, RightSide::Nothing)?;
    draw_time_mesh(&mut chart, &axis, "allocated fraction", None)?;
    let mut series: Vec<Series> = vec![("CPU", BLUE, |s| s.cpu_allocated), ("memory", RED, |s| s.memory_allocated)];
    if samples.iter().any(|s| s.gpu_allocated > 0.0) {
        series.push(("GPU", GREEN, |s| s.gpu_allocated));
    }
    for (name, color, f) in series {
        chart
            .draw_series(LineSeries::new(samples.iter().map(|s| (s.time_s / unit, f(s))), color.stroke_width(2)))?
            .label(name)
            .legend(legend_line(color.stroke_width(2)));
    }
    draw_legend(&mut chart, SeriesLabelPosition::MiddleRight)?;

    let max_pods = samples.iter().map(|s| s.pods_pending.max(s.pods_running + s.pods_starting)).max().unwrap_or(0).max(1);
    let mut chart = time_panel(&bottom, "pods", &axis, max_pods as f64 * 1.05, RightSide::Nothing)?;
    draw_time_mesh(&mut chart, &axis, "pods", Some(&|y| format!("{y:.0}")))?;
    let pod_series: [Series; 2] = [
        ("pending (unscheduled)", RGBColor(230, 120, 0), |s| s.pods_pending as f64),
        ("running + starting", RGBColor(60, 60, 60), |s| (s.pods_running + s.pods_starting) as f64),
    ];
    for (name, color, f) in pod_series {
        chart
            .draw_series(LineSeries::new(samples.iter().map(|s| (s.time_s / unit, f(s))), color.stroke_width(2)))?
            .label(name)
            .legend(legend_line(color.stroke_width(2)));
    }
    draw_legend(&mut chart, SeriesLabelPosition::MiddleRight)?;
    Ok(())
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

/// Styles of the availability chart's marks: served-load line, black
/// nodes, dashed desired replicas.
fn served_style(color: RGBColor) -> ShapeStyle {
    color.stroke_width(2)
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

/// Width of the key column right of each panel of `availability.png`, pixels.
/// The key stays off the plots: a failure can fall at any time, so no corner of
/// a panel is safe to cover.
const KEY_WIDTH: u32 = 330;
/// Size of `availability.png`, pixels: the plots as wide as the other charts', and the key.
const AVAILABILITY_SIZE: (u32, u32) = (1200 + KEY_WIDTH, 900);
/// Height of one key entry, pixels.
const KEY_ROW: i32 = 22;
/// Height of a pod event's tick, as a fraction of its panel's height.
const TICK: f64 = 0.05;
/// Room above the highest value in `availability.png`: its keys are off the
/// plots, so only enough that the top line is not the frame.
const KEYED_OFF_HEADROOM: f64 = 0.1;

/// How `availability.png` marks a failure event.
#[derive(Clone, Copy, PartialEq, Eq)]
enum EventMark {
    /// Capacity lost or about to be: a node down or declared lost, an outage, a spot notice or reclaim.
    Failure,
    /// Capacity back: a node up, an outage over, nodes added.
    Recovery,
    /// An operator's action: cordon, uncordon, drain.
    Maintenance,
    /// Something that happened to one pod or job: a crash, an OOM kill, an eviction, a failed job.
    Pod,
}

impl EventMark {
    /// Every mark with its key label, in the order they are drawn (later on top,
    /// so a failure shows where it falls on the same pixel as a recovery).
    const ALL: [(EventMark, &'static str); 4] = [
        (EventMark::Pod, "pod crash, OOM kill, eviction, job failed"),
        (EventMark::Maintenance, "cordon, uncordon, drain"),
        (EventMark::Recovery, "node up, outage end, nodes added"),
        (EventMark::Failure, "node down or lost, outage, spot"),
    ];

    /// The mark of an event kind (see [`FailureEvent::kind`]); `None` for a kind
    /// this chart does not know, which it leaves out rather than guess its family.
    fn of(kind: &str) -> Option<EventMark> {
        match kind {
            "node-down" | "node-lost" | "outage" | "spot-notice" | "spot-reclaim" => Some(EventMark::Failure),
            "node-up" | "outage-end" | "nodes-added" => Some(EventMark::Recovery),
            "cordon" | "uncordon" | "drain" => Some(EventMark::Maintenance),
            "crash" | "oom-kill" | "pod-evicted" | "job-failed" => Some(EventMark::Pod),
            _ => None,
        }
    }

    /// The mark's colour: red, green and orange lines; pod events in dark grey.
    fn color(self) -> RGBColor {
        match self {
            EventMark::Failure => RGBColor(220, 30, 30),
            EventMark::Recovery => RGBColor(30, 160, 30),
            EventMark::Maintenance => RGBColor(245, 150, 0),
            EventMark::Pod => RGBColor(70, 70, 70),
        }
    }

    /// The mark in the key: event lines as in a run with few events, ticks as drawn.
    fn key_style(self) -> ShapeStyle {
        let opacity = if self == EventMark::Pod { 1.0 } else { MARKER_OPACITY.1 };
        self.color().mix(opacity).stroke_width(1)
    }
}

/// Opacity of the event lines: `.0` with many events, `.1` with few (see
/// [`draw_event_lines`]).
const MARKER_OPACITY: (f64, f64) = (0.3, 0.8);
/// Event lines in a chart past which they fade below the highest opacity.
const MARKERS_OPAQUE_MAX: f64 = 30.0;

/// Draws the node-level events of `marked` (times in axis units) as vertical
/// lines from 0 to `y_top`; pod events are left to [`draw_pod_ticks`]. The
/// lines fade as they grow many (a node failure model on a large cluster
/// makes hundreds), so that they shade the panel rather than paint it over,
/// while a few stay bold enough to see at a glance; events of one family on
/// the same pixel column (the nodes of an outage) make one line.
fn draw_event_lines<'a, DB: DrawingBackend + 'a, Y: Ranged<ValueType = f64>>(
    chart: &mut PanelOn<'a, DB, Y>,
    marked: &[(f64, EventMark)],
    y_top: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let mut columns: BTreeMap<(usize, i32), f64> = BTreeMap::new();
    for &(x, mark) in marked.iter().filter(|(_, m)| *m != EventMark::Pod) {
        let family = EventMark::ALL.iter().position(|(m, _)| *m == mark).unwrap_or(0);
        columns.entry((family, chart.backend_coord(&(x, 0.0)).0)).or_insert(x);
    }
    let (faint, bold) = MARKER_OPACITY;
    let opacity = (bold * MARKERS_OPAQUE_MAX / columns.len().max(1) as f64).clamp(faint, bold);
    // In the families' order, so that later ones draw on top.
    chart.draw_series(columns.into_iter().map(|((family, _), x)| {
        let style = EventMark::ALL[family].0.color().mix(opacity).stroke_width(1);
        PathElement::new(vec![(x, 0.0), (x, y_top)], style)
    }))?;
    Ok(())
}

/// Draws the pod events of `marked` as short ticks up from the bottom of a
/// panel `y_top` high.
fn draw_pod_ticks<'a, DB: DrawingBackend + 'a, Y: Ranged<ValueType = f64>>(
    chart: &mut PanelOn<'a, DB, Y>,
    marked: &[(f64, EventMark)],
    y_top: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let style = EventMark::Pod.color().stroke_width(1);
    let ticks =
        marked.iter().filter(|(_, m)| *m == EventMark::Pod).map(|&(x, _)| PathElement::new(vec![(x, 0.0), (x, y_top * TICK)], style));
    chart.draw_series(ticks)?;
    Ok(())
}

/// The mark of a key entry.
#[derive(Clone, Copy)]
enum Swatch {
    /// A line.
    Line(ShapeStyle),
    /// A dashed line.
    Dashed(ShapeStyle),
    /// A shaded area.
    Area(ShapeStyle),
    /// A vertical line: an event marker.
    Marker(ShapeStyle),
    /// A short vertical line on the baseline: a pod event's tick.
    Tick(ShapeStyle),
    /// Two triangles, up and down: scale events.
    Triangles(ShapeStyle, ShapeStyle),
}

/// Draws `entries` down the key column `area` beside a panel, from the top of
/// its plot. Entries that do not fit are counted in the last row.
fn draw_key<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, Swatch)],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    // The panel's caption is above its plot: start below it.
    let top = MARGIN as i32 + 40;
    let rows = ((area.dim_in_pixel().1 as i32 - top) / KEY_ROW).max(1) as usize;
    let shown = if entries.len() > rows { rows - 1 } else { entries.len() };
    let font = ("sans-serif", 15).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Center));
    let x = 8;
    let row_y = |i: usize| top + KEY_ROW * i as i32 + KEY_ROW / 2;
    for (i, (label, swatch)) in entries.iter().take(shown).enumerate() {
        let y = row_y(i);
        match *swatch {
            Swatch::Line(style) => area.draw(&legend_line(style)((x, y)))?,
            Swatch::Dashed(style) => area.draw(&legend_dashed(style)((x, y)))?,
            Swatch::Area(style) => area.draw(&legend_area(style)((x, y)))?,
            Swatch::Marker(style) => area.draw(&PathElement::new(vec![(x + 10, y - 8), (x + 10, y + 8)], style))?,
            Swatch::Tick(style) => area.draw(&PathElement::new(vec![(x + 10, y + 2), (x + 10, y + 8)], style))?,
            Swatch::Triangles(up, down) => {
                area.draw(&(EmptyElement::at((x + 4, y)) + autoscaling::triangle(true, up)))?;
                area.draw(&(EmptyElement::at((x + 16, y)) + autoscaling::triangle(false, down)))?;
            }
        }
        area.draw(&Text::new(label.as_str(), (x + 28, y), font.clone()))?;
    }
    if shown < entries.len() {
        area.draw(&Text::new(format!("… and {} more", entries.len() - shown), (x + 28, row_y(shown)), font))?;
    }
    Ok(())
}

/// Styles of the availability chart's replica lines: dashed desired, thin
/// ready, bold serving, and the detection window (ready, not serving) shaded.
fn serving_style(color: RGBColor) -> ShapeStyle {
    color.stroke_width(3)
}
fn ready_thin_style(color: RGBColor) -> ShapeStyle {
    color.stroke_width(1)
}
fn unserved_style(color: RGBColor) -> ShapeStyle {
    color.mix(0.3).filled()
}
/// Nodes whose machine is down, NotReady nodes, and the cumulative counts.
fn down_style() -> ShapeStyle {
    RGBColor(220, 30, 30).mix(0.3).filled()
}
fn not_ready_style() -> ShapeStyle {
    RGBColor(150, 0, 0).stroke_width(2)
}
fn restarts_style() -> ShapeStyle {
    PALETTE[4].stroke_width(2)
}
fn pods_lost_style() -> ShapeStyle {
    PALETTE[5].stroke_width(2)
}

/// Heights of the replica and load panels of `availability.png`, pixels; the
/// node panel has the rest.
const REPLICA_PANEL: u32 = 360;
const LOAD_PANEL: u32 = 200;

/// Draws the availability chart on `root`, for runs where something failed, in three panels
/// over the same time axis. Top, per service: desired replicas (dashed), ready
/// replicas as the control plane sees them (thin) and replicas actually
/// serving on a node that is up (bold), with the gap between ready and serving
/// shaded: the detection window, when endpoints still send load to replicas
/// on a dead node. Middle, per service: the fraction of the offered load
/// served. Bottom: nodes in service (black), nodes whose machine is down
/// (shaded red) and nodes the control plane has declared lost (dark red,
/// dashed), with container restarts and pods lost with their nodes so far on
/// the right axis. Without services the bottom panel is the only one.
///
/// Failure events are thin vertical lines across every panel: node failures,
/// outages and spot notices and reclaims red, recoveries (node up, outage end,
/// nodes added) green, cordons, uncordons and drains orange; they fade as they
/// grow many. Pod-level events (crash, OOM kill, eviction, failed job) are
/// short dark ticks along the bottom of the top panel (of the node panel
/// without services), whatever their number: a crash loop makes one every few
/// minutes per pod, and a full-height line for each would bury the replica
/// lines, while a threshold would make one run's chart look unlike the next.
/// Event kinds the chart does not know are left out.
///
/// The keys are in a column right of the panels, so they never hide a failure;
/// with more than three services they name each service once and key the line
/// styles separately, as in [`autoscaling_chart`]. Counts are drawn as steps.
/// Values that are not finite are left out; nothing in the data makes it fail
/// or panic.
fn draw_availability<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    services: &[ServiceSample],
    samples: &[Sample],
    events: &[FailureEvent],
) -> Drawn<DB> {
    let order = by_service(services);
    let times = samples.iter().map(|s| s.time_s).chain(services.iter().map(|s| s.time_s)).chain(events.iter().map(|e| e.time_s));
    let axis = TimeAxis::new(last_time(times));
    let unit = axis.unit;
    let marked: Vec<(f64, EventMark)> =
        events.iter().filter(|e| e.time_s.is_finite()).filter_map(|e| EventMark::of(&e.kind).map(|m| (e.time_s / unit, m))).collect();
    let plot_width = AVAILABILITY_SIZE.0 - KEY_WIDTH;

    let (nodes_area, nodes_caption) = if order.is_empty() {
        (root.clone(), format!("{title}: nodes, restarts and pods lost"))
    } else {
        let (top, rest) = root.split_vertically(REPLICA_PANEL);
        let (middle, bottom) = rest.split_vertically(LOAD_PANEL);
        let (plot, key) = top.split_horizontally(plot_width);
        let caption = format!("{title}: replicas per service");
        let entries = replicas_panel(&plot, &caption, &axis, &order, services, &marked)?;
        draw_key(&key, &entries)?;
        let (plot, key) = middle.split_horizontally(plot_width);
        let entries = load_panel(&plot, &axis, &order, &marked)?;
        draw_key(&key, &entries)?;
        (bottom, "nodes, restarts and pods lost".to_string())
    };
    let (plot, key) = nodes_area.split_horizontally(plot_width);
    nodes_panel(&plot, &nodes_caption, &axis, samples, &marked, order.is_empty())?;
    let mut entries = vec![
        ("nodes in service".to_string(), Swatch::Line(nodes_style())),
        ("nodes down (machine)".to_string(), Swatch::Area(down_style())),
        ("nodes NotReady (declared lost)".to_string(), Swatch::Dashed(not_ready_style())),
        ("restarts (right axis)".to_string(), Swatch::Line(restarts_style())),
        ("pods lost with nodes (right axis)".to_string(), Swatch::Line(pods_lost_style())),
    ];
    for (mark, label) in EventMark::ALL.into_iter().rev() {
        let swatch = if mark == EventMark::Pod { Swatch::Tick(mark.key_style()) } else { Swatch::Marker(mark.key_style()) };
        entries.push((label.to_string(), swatch));
    }
    draw_key(&key, &entries)?;
    Ok(())
}

/// Draws the replica panel of [`availability_chart`] on `on` and returns its key.
fn replicas_panel<DB: DrawingBackend>(
    on: &DrawingArea<DB, Shift>,
    caption: &str,
    axis: &TimeAxis,
    order: &[(&str, Vec<&ServiceSample>)],
    services: &[ServiceSample],
    marked: &[(f64, EventMark)],
) -> Result<Vec<(String, Swatch)>, DrawingAreaErrorKind<DB::ErrorType>> {
    let unit = axis.unit;
    let per_line = order.len() <= LEGEND_ENTRY_PER_LINE_MAX;
    let replicas_top =
        axis_top(services.iter().map(|s| f64::from(s.replicas_desired.max(s.replicas_ready).max(s.replicas_serving))), KEYED_OFF_HEADROOM);
    let mut chart = time_panel(on, caption, axis, replicas_top, RightSide::Blank)?;
    draw_time_mesh(&mut chart, axis, "replicas (pods)", Some(&count_label))?;
    draw_event_lines(&mut chart, marked, replicas_top)?;
    let mut entries = Vec::new();
    if !per_line {
        // The line styles first: should the key not fit, it is service names that are left out.
        entries.push(("desired (dashed)".to_string(), Swatch::Dashed(desired_style(BLACK))));
        entries.push(("ready (thin)".to_string(), Swatch::Line(ready_thin_style(BLACK))));
        entries.push(("serving (bold)".to_string(), Swatch::Line(serving_style(BLACK))));
        entries.push(("ready, not serving (shaded)".to_string(), Swatch::Area(unserved_style(BLACK))));
    }
    for (i, (name, rows)) in order.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let rows: Vec<&&ServiceSample> = rows.iter().filter(|s| s.time_s.is_finite()).collect();
        let ready = steps(rows.iter().map(|s| (s.time_s / unit, f64::from(s.replicas_ready))));
        let serving = steps(rows.iter().map(|s| (s.time_s / unit, f64::from(s.replicas_serving))));
        let desired = steps(rows.iter().map(|s| (s.time_s / unit, f64::from(s.replicas_desired))));
        // The detection window: down from ready to serving, where serving is the lower.
        let floor = steps(rows.iter().map(|s| (s.time_s / unit, f64::from(s.replicas_serving.min(s.replicas_ready)))));
        let gap: Vec<(f64, f64)> = ready.iter().copied().chain(floor.into_iter().rev()).collect();
        chart.draw_series([Polygon::new(gap, unserved_style(color))])?;
        chart.draw_series(LineSeries::new(serving, serving_style(color)))?;
        chart.draw_series(LineSeries::new(ready, ready_thin_style(color)))?;
        chart.draw_series(DashedLineSeries::new(desired, DASH, DASH_GAP, desired_style(color)))?;
        if per_line {
            entries.push((format!("{name} desired"), Swatch::Dashed(desired_style(color))));
            entries.push((format!("{name} ready"), Swatch::Line(ready_thin_style(color))));
            entries.push((format!("{name} serving"), Swatch::Line(serving_style(color))));
            entries.push((format!("{name} ready, not serving"), Swatch::Area(unserved_style(color))));
        } else {
            entries.push(((*name).to_string(), Swatch::Line(serving_style(color))));
        }
    }
    draw_pod_ticks(&mut chart, marked, replicas_top)?;
    Ok(entries)
}

/// Draws the load panel of [`availability_chart`] on `on`: per service, the
/// fraction of the offered load served. Samples with no load offered are left
/// out (nothing could be dropped). Returns its key.
fn load_panel<DB: DrawingBackend>(
    on: &DrawingArea<DB, Shift>,
    axis: &TimeAxis,
    order: &[(&str, Vec<&ServiceSample>)],
    marked: &[(f64, EventMark)],
) -> Result<Vec<(String, Swatch)>, DrawingAreaErrorKind<DB::ErrorType>> {
    // A little room above 100 %, so that the usual level is not the frame.
    let top = 1.1;
    let mut chart = time_panel(on, "load served", axis, top, RightSide::Blank)?;
    draw_time_mesh(&mut chart, axis, "served / offered (%)", Some(&|v: &f64| number_label(&(v * 100.0).round())))?;
    draw_event_lines(&mut chart, marked, top)?;
    let mut entries = Vec::new();
    for (i, (name, rows)) in order.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let served =
            finite(rows.iter().filter(|s| s.load_rps > 0.0).map(|s| (s.time_s / axis.unit, (s.served_rps / s.load_rps).clamp(0.0, 1.0))));
        chart.draw_series(LineSeries::new(served, served_style(color)))?;
        if order.len() <= LEGEND_ENTRY_PER_LINE_MAX {
            entries.push((format!("{name} served / offered"), Swatch::Line(served_style(color))));
        }
    }
    if order.len() > LEGEND_ENTRY_PER_LINE_MAX {
        entries.push(("served / offered, per service".to_string(), Swatch::Line(served_style(BLACK))));
    }
    Ok(entries)
}

/// Draws the node panel of [`availability_chart`] on `on`, with the pod
/// events' ticks when `ticks` (there is no replica panel to take them).
fn nodes_panel<DB: DrawingBackend>(
    on: &DrawingArea<DB, Shift>,
    caption: &str,
    axis: &TimeAxis,
    samples: &[Sample],
    marked: &[(f64, EventMark)],
    ticks: bool,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let unit = axis.unit;
    // Different headrooms, so that the node count and the counts so far do not
    // draw one line wherever both are at their highest (the end of most runs).
    // The right axis has the left's ticks, so that they fall on its grid lines.
    let nodes = nice_scale(axis_top(samples.iter().map(|s| s.nodes.max(s.nodes_down).max(s.nodes_not_ready) as f64), HEADROOM), 5, true);
    let counts =
        aligned_scale(axis_top(samples.iter().map(|s| s.restarts.max(s.pods_lost) as f64), KEYED_OFF_HEADROOM), nodes.intervals, true);
    let nodes_top = nodes.top();
    let chart = time_panel_on(on, caption, axis, value_range(&nodes), RightSide::Axis)?;
    let mut chart = chart.set_secondary_coord(0.0..axis.max, value_range(&counts));
    draw_time_mesh(&mut chart, axis, "nodes", Some(&count_label))?;
    chart.configure_secondary_axes().y_desc("restarts, pods lost (so far)").y_label_formatter(&count_label).draw()?;
    draw_event_lines(&mut chart, marked, nodes_top)?;
    let down = area(steps(samples.iter().map(|s| (s.time_s / unit, s.nodes_down as f64))));
    chart.draw_series([Polygon::new(down, down_style())])?;
    let not_ready = steps(samples.iter().map(|s| (s.time_s / unit, s.nodes_not_ready as f64)));
    chart.draw_series(DashedLineSeries::new(not_ready, DASH, DASH_GAP, not_ready_style()))?;
    let nodes = steps(samples.iter().map(|s| (s.time_s / unit, s.nodes as f64)));
    chart.draw_series(LineSeries::new(nodes, nodes_style()))?;
    let restarts = steps(samples.iter().map(|s| (s.time_s / unit, s.restarts as f64)));
    chart.draw_secondary_series(LineSeries::new(restarts, restarts_style()))?;
    let pods_lost = steps(samples.iter().map(|s| (s.time_s / unit, s.pods_lost as f64)));
    chart.draw_secondary_series(LineSeries::new(pods_lost, pods_lost_style()))?;
    if ticks {
        draw_pod_ticks(&mut chart, marked, nodes_top)?;
    }
    Ok(())
}

/// Services in the order they first appear (the order that picks their
/// colours), each with its rows.
fn by_service(services: &[ServiceSample]) -> Vec<(&str, Vec<&ServiceSample>)> {
    let mut order: Vec<(&str, Vec<&ServiceSample>)> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for row in services {
        let i = *index.entry(&row.service).or_insert_with(|| {
            order.push((&row.service, Vec::new()));
            order.len() - 1
        });
        order[i].1.push(row);
    }
    order
}

/// The latest finite time among `times` (0 if none), for [`TimeAxis::new`].
fn last_time(times: impl Iterator<Item = f64>) -> f64 {
    times.filter(|t| t.is_finite()).fold(0.0, f64::max)
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
            vpa_cpu_lower_m: None,
            vpa_cpu_upper_m: None,
            vpa_memory_lower_mib: None,
            vpa_memory_upper_mib: None,
            replicas_pending: desired.saturating_sub(ready) / 2,
            dropped_requests: (load_rps - f64::from(ready) * 100.0).max(0.0) * 60.0,
            slo_missed_s: if load_rps > f64::from(ready) * 100.0 { 60.0 } else { 0.0 },
            hpa_cpu_utilization: Some(0.55),
            hpa_cpu_target: Some(0.6),
            hpa_rps_per_pod: None,
            hpa_rps_per_pod_target: None,
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
        render_run(&RunSeries { samples, services, ..RunSeries::default() })
    }

    /// Draws the chart of `run` into a temporary directory and returns the PNG's bytes.
    fn render_run(run: &RunSeries<'_>) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("autoscaling.png");
        autoscaling_chart(&path, "test", run).unwrap();
        std::fs::read(&path).unwrap()
    }

    /// Two pools under the samples of [`synthetic`], and their scale events.
    fn pools_of(samples: &[Sample]) -> (Vec<PoolSample>, Vec<ScalingEvent>) {
        let mut pools = Vec::new();
        let mut events = Vec::new();
        for s in samples {
            let burst = s.nodes - 2;
            pools.push(PoolSample { time_s: s.time_s, pool: "base".into(), nodes: 2, nodes_provisioning: 0, cost: s.time_s / 3600.0 });
            pools.push(PoolSample { time_s: s.time_s, pool: "burst".into(), nodes: burst, nodes_provisioning: 1, cost: burst as f64 });
            if pools.len() > 2 && pools[pools.len() - 3].nodes != burst {
                let from = pools[pools.len() - 3].nodes as u32;
                events.push(ScalingEvent {
                    time_s: s.time_s,
                    kind: "nodes".into(),
                    target: "burst".into(),
                    from,
                    to: burst as u32,
                    ..Default::default()
                });
            }
        }
        (pools, events)
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
    fn autoscaling_chart_grows_a_row_per_service_up_to_three() {
        let size = |names: &[&str]| {
            let (services, samples) = synthetic(names);
            png_size(&render(&services, &samples))
        };
        let (width, none) = size(&[]);
        let (_, one) = size(&["web"]);
        let (_, three) = size(&["a", "b", "c"]);
        assert_eq!(width, 1200 + KEY_WIDTH);
        assert!(none < one && one < three, "{none} {one} {three}");
        assert_eq!(size(&["a", "b", "c", "d", "e"]).1, three, "the others are left to a note");
    }

    #[test]
    fn autoscaling_chart_names_the_services_it_leaves_out() {
        let (services, samples) = synthetic(&["a", "b", "c", "d"]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.svg");
        autoscaling_chart(&path, "test", &RunSeries { samples: &samples, services: &services, ..RunSeries::default() }).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.contains("the first 3 of 4 services"), "no note");
        assert!(svg.contains("c: replicas") && !svg.contains("d: replicas"));
    }

    #[test]
    fn autoscaling_chart_of_pools_without_services() {
        let (_, samples) = synthetic(&[]);
        let (pools, scaling_events) = pools_of(&samples);
        assert!(!scaling_events.is_empty());
        let png = render_run(&RunSeries { samples: &samples, pools: &pools, scaling_events: &scaling_events, ..RunSeries::default() });
        assert!(png.len() > 10_000, "{} bytes", png.len());
        // Rows of a pool with garbage in them draw too.
        let mut wild = pools.clone();
        wild[3].time_s = f64::NAN;
        wild[4].cost = f64::INFINITY;
        wild[5].nodes = u64::MAX;
        wild.truncate(wild.len() - 1);
        let mut events = scaling_events.clone();
        events[0].time_s = f64::INFINITY;
        events.push(ScalingEvent { time_s: 5.0, kind: "nodes".into(), target: "nowhere-x".into(), from: 3, to: 3, ..Default::default() });
        let png = render_run(&RunSeries { samples: &samples, pools: &wild, scaling_events: &events, ..RunSeries::default() });
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

    fn event(time_s: f64, kind: &'static str, target: &str) -> FailureEvent {
        FailureEvent { time_s, kind: kind.into(), target: target.to_string(), detail: String::new() }
    }

    /// Twenty minutes sampled every 10 s: a node of three fails at 300 s, is
    /// declared lost 50 s later (serving below ready in between), its two web
    /// replicas are evicted and replaced at 650 s, and it comes back at 900 s;
    /// then a drain, and a crash a minute.
    fn node_failure() -> (Vec<ServiceSample>, Vec<Sample>, Vec<FailureEvent>) {
        let mut services = Vec::new();
        let mut samples = Vec::new();
        for step in 0..=120u32 {
            let t = f64::from(step) * 10.0;
            let down = (300.0..900.0).contains(&t);
            let lost = (350.0..900.0).contains(&t);
            let (ready, serving) = if !(300.0..650.0).contains(&t) {
                (6, 6)
            } else if t < 350.0 {
                (6, 4)
            } else {
                (4, 4)
            };
            let mut web = service(t, "web", 500.0, ready, 6);
            web.replicas_serving = serving;
            web.served_rps = 500.0 * f64::from(serving) / 6.0;
            web.dropped_rps = 500.0 - web.served_rps;
            services.push(web);
            let mut s = sample(t, 3);
            s.nodes_down = u64::from(down);
            s.nodes_not_ready = u64::from(lost);
            s.pods_lost = if t >= 650.0 { 2 } else { 0 };
            s.restarts = (t / 60.0) as u64;
            samples.push(s);
        }
        let mut events = vec![
            event(300.0, "node-down", "general-1"),
            event(350.0, "node-lost", "general-1"),
            event(650.0, "pod-evicted", "pod-1"),
            event(650.0, "pod-evicted", "pod-2"),
            event(900.0, "node-up", "general-1"),
            event(1000.0, "drain", "general-2"),
            event(1100.0, "uncordon", "general-2"),
        ];
        events.extend((1..20).map(|m| event(f64::from(m) * 60.0, "crash", "pod-3")));
        events.sort_by(|a, b| a.time_s.total_cmp(&b.time_s));
        (services, samples, events)
    }

    /// Draws the availability chart into a temporary directory and returns the PNG's bytes.
    fn render_availability(services: &[ServiceSample], samples: &[Sample], events: &[FailureEvent]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("availability.png");
        availability_chart(&path, "test", services, samples, events).unwrap();
        std::fs::read(&path).unwrap()
    }

    /// A PNG's width and height, from its header.
    fn png_size(png: &[u8]) -> (u32, u32) {
        assert_eq!(png[..8], PNG_SIGNATURE);
        assert_eq!(&png[12..16], b"IHDR");
        let word = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
        (word(16), word(20))
    }

    #[test]
    fn availability_chart_draws_a_node_failure() {
        let (services, samples, events) = node_failure();
        let png = render_availability(&services, &samples, &events);
        assert_eq!(png_size(&png), AVAILABILITY_SIZE);
        assert!(png.len() > 10_000, "{} bytes: the chart looks empty", png.len());
    }

    #[test]
    fn availability_chart_without_services_shows_the_nodes() {
        let (_, samples, events) = node_failure();
        let png = render_availability(&[], &samples, &events);
        assert_eq!(png_size(&png), AVAILABILITY_SIZE);
        assert!(png.len() > 10_000, "{} bytes", png.len());
    }

    #[test]
    fn availability_chart_is_deterministic() {
        let (services, samples, events) = node_failure();
        assert_eq!(render_availability(&services, &samples, &events), render_availability(&services, &samples, &events));
    }

    #[test]
    fn availability_chart_survives_degenerate_runs() {
        let (services, samples, events) = node_failure();
        // One sample, no events, nothing at all.
        assert_eq!(png_size(&render_availability(&services[..1], &samples[..1], &[])), AVAILABILITY_SIZE);
        assert_eq!(png_size(&render_availability(&[], &[], &[])), AVAILABILITY_SIZE);
        // Events only, of kinds known and not, at times finite and not.
        let odd = vec![
            event(5.0, "node-down", "n"),
            event(f64::NAN, "crash", "p"),
            event(f64::INFINITY, "node-up", "n"),
            event(9.0, "new-kind", "x"),
        ];
        assert_eq!(png_size(&render_availability(&[], &[], &odd)), AVAILABILITY_SIZE);
        // Huge and non-finite values.
        let mut wild = services.clone();
        wild[3].load_rps = f64::NAN;
        wild[4].served_rps = f64::INFINITY;
        wild[5].replicas_ready = u32::MAX;
        wild[6].time_s = f64::NAN;
        let mut huge = samples.clone();
        huge[2].nodes = u64::MAX;
        huge[3].restarts = u64::MAX;
        huge[4].time_s = f64::INFINITY;
        assert_eq!(png_size(&render_availability(&wild, &huge, &events)), AVAILABILITY_SIZE);
    }

    #[test]
    fn availability_chart_handles_many_services_and_events_over_days() {
        // Eleven services over three days, a crash loop's worth of pod events
        // and a node failure model's worth of node events.
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"];
        let (mut services, mut samples) = synthetic(&names);
        for row in &mut services {
            row.time_s *= 36.0;
        }
        for s in &mut samples {
            s.time_s *= 36.0;
        }
        let kinds = ["node-down", "node-lost", "node-up", "crash", "oom-kill", "pod-evicted"];
        let events: Vec<FailureEvent> = (0..5000u32).map(|i| event(f64::from(i) * 50.0, kinds[i as usize % kinds.len()], "x")).collect();
        let png = render_availability(&services, &samples, &events);
        assert_eq!(png_size(&png), AVAILABILITY_SIZE);
    }

    #[test]
    fn event_kinds_are_marked_by_family() {
        assert!(EventMark::of("node-down") == Some(EventMark::Failure));
        assert!(EventMark::of("spot-reclaim") == Some(EventMark::Failure));
        assert!(EventMark::of("outage-end") == Some(EventMark::Recovery));
        assert!(EventMark::of("drain") == Some(EventMark::Maintenance));
        assert!(EventMark::of("oom-kill") == Some(EventMark::Pod));
        assert!(EventMark::of("replicas").is_none());
    }

    #[test]
    fn utilization_chart_draws_a_png() {
        let (_, samples) = synthetic(&[]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("utilization.png");
        utilization_chart(&path, "test", &samples).unwrap();
        assert_eq!(std::fs::read(&path).unwrap()[..8], PNG_SIGNATURE);
    }

    #[test]
    fn a_name_ending_in_svg_draws_an_svg_of_the_same_size() {
        let (services, samples, events) = node_failure();
        let dir = tempfile::tempdir().unwrap();
        let svg = |name: &str| {
            let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
            assert!(text.starts_with("<svg") && text.ends_with("</svg>\n"), "{name}: {}", &text[..text.len().min(80)]);
            text
        };
        utilization_chart(&dir.path().join("u.svg"), "test", &samples).unwrap();
        assert!(svg("u.svg").starts_with(r#"<svg width="1200" height="800""#));
        autoscaling_chart(&dir.path().join("a.SVG"), "test", &RunSeries { samples: &samples, services: &services, ..RunSeries::default() })
            .unwrap();
        assert!(svg("a.SVG").contains("test: autoscaling"));
        availability_chart(&dir.path().join("f.svg"), "test", &services, &samples, &events).unwrap();
        let (w, h) = AVAILABILITY_SIZE;
        assert!(svg("f.svg").starts_with(&format!(r#"<svg width="{w}" height="{h}""#)));
        // Degenerate data draws too.
        availability_chart(&dir.path().join("empty.svg"), "test", &[], &[], &[]).unwrap();
        svg("empty.svg");
    }

    #[test]
    fn run_charts_are_written_by_kind_in_both_formats_and_nothing_else() {
        let (services, samples, events) = node_failure();
        let dir = tempfile::tempdir().unwrap();
        let names = |written: Vec<PathBuf>| -> Vec<String> {
            written.iter().map(|p| p.strip_prefix(dir.path()).unwrap().to_string_lossy().into_owned()).collect()
        };
        let written = write_run_charts(dir.path(), "test", &RunSeries { samples: &samples, ..RunSeries::default() }).unwrap();
        assert_eq!(names(written), ["utilization.png", "utilization.svg"]);
        let run = RunSeries { samples: &samples, services: &services, failure_events: &events, ..RunSeries::default() };
        let written = write_run_charts(dir.path(), "test", &run).unwrap();
        let all = ["utilization", "autoscaling", "availability"].map(|n| [format!("{n}.png"), format!("{n}.svg")]).concat();
        assert_eq!(names(written), all);
        let mut on_disk: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        on_disk.sort();
        let mut expected = all.to_vec();
        expected.sort();
        assert_eq!(on_disk, expected, "temporary files left behind");
    }

    #[test]
    fn a_chart_that_cannot_be_written_is_an_error_naming_it_and_leaves_no_file() {
        let (_, samples) = synthetic(&[]);
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-dir");
        let run = RunSeries { samples: &samples, ..RunSeries::default() };
        let err = write_run_charts(&missing, "test", &run).unwrap_err();
        assert!(err.to_string().contains("utilization.tmp.png: cannot write chart"), "{err}");
        // The destination is taken by a directory: the rename fails, and the temporary file goes.
        std::fs::create_dir(dir.path().join("utilization.png")).unwrap();
        std::fs::write(dir.path().join("utilization.png").join("x"), "").unwrap();
        let err = write_run_charts(dir.path(), "test", &run).unwrap_err();
        assert!(err.to_string().contains("utilization.png: cannot write chart: cannot move"), "{err}");
    }

    #[test]
    fn chart_format_follows_the_extension() {
        assert_eq!(ChartFormat::of(Path::new("a/b.svg")), ChartFormat::Svg);
        assert_eq!(ChartFormat::of(Path::new("b.tmp.SVG")), ChartFormat::Svg);
        assert_eq!(ChartFormat::of(Path::new("b.png")), ChartFormat::Png);
        assert_eq!(ChartFormat::of(Path::new("b")), ChartFormat::Png);
        assert_eq!(ChartFormat::ALL.map(ChartFormat::extension), ["png", "svg"]);
    }
}
