//! A run written to an output directory, as `orchsim run` writes it: the
//! library's entry point for running a scenario end to end, with a typed
//! error a caller can match on (the command line maps it to an exit code).
//!
//! [`Simulation::run`] alone writes nothing; this adds what a user of the
//! tool expects beside the numbers: the directory checked and owned
//! ([`output_dir::prepare`]), the tables, and optionally the charts and
//! `decisions.csv`. Tables are written before charts, so whatever fails late,
//! the results already computed are on disk.

use std::path::Path;

use crate::explain::DecisionLog;
use crate::report::output_dir::{self, Kind, Marker, OutputError};
use crate::report::{write_run, CsvDecisionLog, CsvPodLog, ReportError};
use crate::scenario::Scenario;
use crate::simulation::{RunOutput, SimError, Simulation};

/// What a run writes besides its tables.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// The seed of every random stream.
    pub seed: u64,
    /// Draw the charts (PNG and SVG): utilization, autoscaling if the
    /// scenario has services or node pools, availability if anything failed.
    /// Needs the `charts` feature.
    pub charts: bool,
    /// Write `decisions.csv` with this many scored candidates per attempt.
    pub explain: Option<usize>,
    /// Write into a directory holding something other than an earlier run.
    pub force: bool,
}

impl RunOptions {
    /// The scenario's own seed, charts on, no explanations, no `force`.
    pub fn of(scenario: &Scenario) -> RunOptions {
        RunOptions { seed: scenario.seed, charts: cfg!(feature = "charts"), explain: None, force: false }
    }
}

/// Why a run could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The output directory cannot be used; nothing was run.
    #[error(transparent)]
    OutputDir(#[from] OutputError),
    /// An output file cannot be created in the directory; nothing was run.
    #[error(transparent)]
    OutputFile(ReportError),
    /// The simulation stopped on an internal error.
    #[error(transparent)]
    Simulation(#[from] SimError),
    /// Writing a table failed after the run.
    #[error(transparent)]
    Write(ReportError),
    /// Drawing a chart failed; the tables are written.
    #[cfg(feature = "charts")]
    #[error(transparent)]
    Charts(#[from] crate::plot::PlotError),
    /// Charts were asked for in a build without the `charts` feature.
    #[cfg(not(feature = "charts"))]
    #[error("charts were asked for, but this build of orchsim has no `charts` feature")]
    NoCharts,
}

impl RunError {
    /// Whether the caller's input is at fault (the output path) rather than
    /// the work: the command line exits 2 for these, 1 for the others.
    pub fn is_bad_input(&self) -> bool {
        matches!(self, RunError::OutputDir(_) | RunError::OutputFile(_))
    }
}

/// Runs `scenario` and writes `summary.csv`, `timeseries.csv`, `pods.csv`
/// and the other tables of a run into `dir` (created if need be), with the
/// charts and `decisions.csv` as `options` say. `dir` must be new, empty or
/// an earlier run's, whose files are replaced, unless `options.force`.
pub fn run_to_dir(scenario: &Scenario, dir: &Path, options: RunOptions) -> Result<RunOutput, RunError> {
    #[cfg(not(feature = "charts"))]
    if options.charts {
        return Err(RunError::NoCharts);
    }
    output_dir::prepare(dir, Kind::Run, options.force)?;
    Marker::run(&scenario.name, scenario.scheduler.name(), options.seed).write(dir)?;
    let mut pods = CsvPodLog::create(&dir.join("pods.csv")).map_err(RunError::OutputFile)?;
    let mut decisions =
        options.explain.map(|_| CsvDecisionLog::create(&dir.join("decisions.csv"))).transpose().map_err(RunError::OutputFile)?;
    let explained = decisions.as_mut().zip(options.explain).map(|(d, top)| (d as &mut dyn DecisionLog, top));
    let output = Simulation::new(scenario, options.seed).run_explained(&mut pods, explained)?;
    // Summary and time series first: whatever fails later, they are on disk.
    write_run(dir, &output).map_err(RunError::Write)?;
    pods.finish().map_err(RunError::Write)?;
    if let Some(d) = decisions {
        d.finish().map_err(RunError::Write)?;
    }
    #[cfg(feature = "charts")]
    if options.charts {
        crate::plot::write_run_charts(dir, &crate::plot::run_title(&output.summary), &(&output).into())?;
    }
    Ok(output)
}
