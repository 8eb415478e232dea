//! Charts with plotters. The DejaVu Sans font is embedded (from the `dejavu`
//! crate), so charts render the same on any machine, fonts installed or not.

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

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

/// Draws `utilization.png`: allocated CPU, memory (and GPU if any) as a fraction
/// of capacity over time, and below it pending and running pods.
pub fn utilization_chart(path: &Path, title: &str, samples: &[Sample]) -> Result<(), PlotError> {
    register_font();
    let err = |e: &dyn std::fmt::Display| PlotError { path: path.display().to_string(), message: e.to_string() };
    let root = BitMapBackend::new(path, (1200, 800)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (top, bottom) = root.split_vertically(420);
    let max_s = samples.last().map_or(1.0, |s| s.time_s).max(1.0);
    let (unit, unit_name) = time_axis(max_s);
    let x_max = max_s / unit;

    let mut chart = ChartBuilder::on(&top)
        .caption(format!("{title}: resources requested / allocatable"), ("sans-serif", 24))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..x_max, 0.0..1.05)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc(format!("simulated time ({unit_name})"))
        .y_desc("allocated fraction")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .draw()
        .map_err(|e| err(&e))?;
    let mut series: Vec<Series> = vec![("CPU", BLUE, |s| s.cpu_allocated), ("memory", RED, |s| s.memory_allocated)];
    if samples.iter().any(|s| s.gpu_allocated > 0.0) {
        series.push(("GPU", GREEN, |s| s.gpu_allocated));
    }
    for (name, color, f) in series {
        chart
            .draw_series(LineSeries::new(samples.iter().map(|s| (s.time_s / unit, f(s))), color.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw().map_err(|e| err(&e))?;

    let max_pods = samples.iter().map(|s| s.pods_pending.max(s.pods_running + s.pods_starting)).max().unwrap_or(0).max(1);
    let mut chart = ChartBuilder::on(&bottom)
        .caption("pods", ("sans-serif", 24))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..x_max, 0.0..(max_pods as f64 * 1.05))
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc(format!("simulated time ({unit_name})"))
        .y_desc("pods")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()
        .map_err(|e| err(&e))?;
    let pod_series: [Series; 2] = [
        ("pending (unscheduled)", RGBColor(230, 120, 0), |s| s.pods_pending as f64),
        ("running + starting", RGBColor(60, 60, 60), |s| (s.pods_running + s.pods_starting) as f64),
    ];
    for (name, color, f) in pod_series {
        chart
            .draw_series(LineSeries::new(samples.iter().map(|s| (s.time_s / unit, f(s))), color.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw().map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))
}
