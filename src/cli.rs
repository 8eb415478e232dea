//! The command line: clap definitions (their doc comments are the `--help`
//! text) and the commands they run.
//!
//! Every command follows one exit-code rule (see [`Failure`]): 0 when it
//! did its work; 2 for bad input, which includes an output path it cannot
//! use, found before any work starts (a parent that does not exist or is not
//! writable, a directory where a file is wanted, a directory that holds
//! something else); 1 for a failure during the work (a run that failed, a
//! write that failed). Interrupted by SIGINT or SIGTERM, it exits 130 or 143
//! (see [`remove_temp_files_on_signal`]).
//!
//! A command that writes a directory owns it (see [`crate::report::output_dir`]):
//! it replaces an earlier output of its own kind whole, and refuses anything
//! else unless given `--force`.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::metrics::Summary;
use crate::policy::scheduler::Registry;
use crate::policy::scheduler::SchedulerConfig;
use crate::report::output_dir::{self, Holds, Kind, Marker};
use crate::report::{write_csv, AtomicFile};
use crate::runner::{self, RunOptions};
use crate::scenario::catalogue::Catalogue;
use crate::scenario::{LoadOptions, Scenario, ScenarioError};
use crate::simulation::RunOutput;
use crate::sweep::{Experiment, Progress, Recorded, Shard, SweepError, SweepOptions};
use crate::trace::{self, Absolute, RateFormat, RateOptions, Scale, TaskFormat, TraceInputs};
use rayon::prelude::*;

/// orchsim: a deterministic discrete-event simulator of container
/// orchestration (Kubernetes, Borg, Swarm, Mesos scheduling and autoscaling).
#[derive(Debug, Parser)]
#[command(name = "orchsim", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one scenario and write summary.csv, timeseries.csv, pods.csv and the
    /// charts, each as PNG and SVG: utilization, autoscaling (with services)
    /// and availability (if anything failed).
    ///
    /// The availability chart shows replicas desired, ready and actually serving, the
    /// load served, and nodes down and declared lost, with the failure events
    /// marked.
    Run {
        /// Scenario file (TOML). Without it, the built-in quickstart scenario runs.
        scenario: Option<PathBuf>,
        /// Master seed; overrides the scenario's `seed`.
        #[arg(long)]
        seed: Option<u64>,
        /// Output directory [default: results/SCENARIO_NAME/].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Skip drawing the charts (utilization, autoscaling, availability; PNG and SVG).
        #[arg(long)]
        no_chart: bool,
        /// Also write decisions.csv: every scheduling attempt with its outcome,
        /// the best candidates' per-plugin scores, and for failures how many
        /// nodes each filter rejected.
        #[arg(long)]
        explain: bool,
        /// Candidates per attempt in decisions.csv.
        #[arg(long, default_value_t = 3, requires = "explain")]
        explain_top: usize,
        /// Skip and count malformed rows of the scenario's traces instead of
        /// stopping at the first.
        #[arg(long)]
        skip_bad_rows: bool,
        /// Write into --out even if it holds something other than an earlier
        /// run (whose files a run replaces, as it does every time): files of the same names are
        /// replaced, others are left.
        #[arg(long)]
        force: bool,
    },
    /// Run one scenario's workload under several scheduler policies (in
    /// parallel, same seed, so the same workload) and write one summary row per
    /// policy to summary.csv, plus each run's outputs in a folder per policy.
    Compare {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// Policies to compare, comma-separated [default: every built-in
        /// policy]. The scenario's own policy keeps its parameters; the others
        /// run with their defaults.
        #[arg(long, value_delimiter = ',')]
        policies: Vec<String>,
        /// Master seed; overrides the scenario's `seed`.
        #[arg(long)]
        seed: Option<u64>,
        /// Output directory [default: results/SCENARIO_NAME-compare/].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Runs in parallel [default: one per core]. Output is identical for any value.
        #[arg(long)]
        jobs: Option<usize>,
        /// Skip drawing the charts.
        #[arg(long)]
        no_chart: bool,
        /// Skip and count malformed rows of the scenario's traces.
        #[arg(long)]
        skip_bad_rows: bool,
        /// Write into --out even if it holds something other than an earlier
        /// comparison (whose files a comparison replaces): files of the same
        /// names are replaced, others are left.
        #[arg(long)]
        force: bool,
    },
    /// Check a scenario: print a one-line summary, or every error with its line.
    Validate {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// Skip and count malformed rows of the scenario's traces.
        #[arg(long)]
        skip_bad_rows: bool,
    },
    /// Run an experiment: a base scenario × a grid of parameter values ×
    /// replications, in parallel. Writes runs.csv (one row per run),
    /// summary.csv (per grid cell and metric: n, mean, sd, 95 % CI),
    /// pending_cdf.csv and charts (PNG and SVG) into the output directory.
    /// Output is byte-identical for any --jobs.
    Sweep {
        /// Experiment file (TOML), e.g. scenarios/experiments/scheduler-load.toml.
        experiment: PathBuf,
        /// Output directory [default: results/EXPERIMENT_NAME/].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Runs in parallel [default: one per core].
        #[arg(long)]
        jobs: Option<usize>,
        /// Run only shard K of N (K from 1); combine the shards with `orchsim merge`.
        #[arg(long, value_name = "K/N")]
        shard: Option<Shard>,
        /// Keep the runs already completed in the output directory and run only the rest.
        #[arg(long)]
        resume: bool,
        /// Replications per grid cell; overrides the experiment's.
        #[arg(long)]
        replications: Option<u32>,
        /// Master seed; overrides the experiment's.
        #[arg(long)]
        seed: Option<u64>,
        /// Also write each run's summary and time series into runs/RUN/ (RUN its 6-digit number).
        #[arg(long)]
        series: bool,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
        /// Skip drawing the charts.
        #[arg(long)]
        no_chart: bool,
        /// Skip and count malformed rows of the scenarios' traces.
        #[arg(long)]
        skip_bad_rows: bool,
        /// Validate the experiment and list its grid cells and what the output
        /// directory already holds; run nothing, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write into --out even if it holds something other than a sweep
        /// (a sweep replaces an earlier one's tables, charts and records
        /// unless --resume): files of the same names are replaced, others are left.
        #[arg(long)]
        force: bool,
    },
    /// Combine the directories of a sweep's shards (`sweep --shard K/N`) into
    /// the runs.csv, summary.csv and charts one machine would have written.
    Merge {
        /// Shard directories.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output directory: new, empty, or holding the same sweep.
        #[arg(long)]
        out: PathBuf,
        /// Skip drawing the charts.
        #[arg(long)]
        no_chart: bool,
        /// Write into --out even if it holds something other than a sweep.
        #[arg(long)]
        force: bool,
    },
    /// Redraw the charts of a sweep's, a run's or a comparison's output
    /// directory from its CSV files (after editing them, or to get charts
    /// skipped with --no-chart).
    Plot {
        /// The output directory of `orchsim sweep`, `merge`, `run` or `compare`.
        dir: PathBuf,
        /// Metrics to chart, comma-separated [default: the experiment's].
        #[arg(long, value_delimiter = ',')]
        metrics: Vec<String>,
    },
    /// List every kind a scenario can name (schedulers, replica autoscalers,
    /// node autoscalers, failure profiles, VPA modes), each with what it does
    /// and its parameters with their defaults, written as in a scenario.
    Policies {
        /// Print the list as JSON, for tools: {"schedulers": [{name, summary,
        /// table, defaults, required}], "replica_autoscalers": […],
        /// "node_autoscalers": […], "failure_profiles": […], "vpa_modes": […]}.
        #[arg(long)]
        json: bool,
    },
    /// Print a JSON Schema of scenario or experiment files, so that an editor
    /// with TOML support (Even Better TOML / Taplo, …) completes and checks
    /// them. It covers the built-in kinds; plug-in kinds are accepted with
    /// any parameters.
    ///
    /// For example `orchsim schema > scenario.schema.json`, then a first line
    /// `#:schema ./scenario.schema.json` in a scenario (Taplo's directive), or
    /// the editor's setting that maps files to schemas.
    Schema {
        /// Which file format.
        #[arg(value_enum, default_value_t = SchemaFormat::Scenario)]
        format: SchemaFormat,
    },
    /// Print a completion script for SHELL to stdout; load it from the
    /// shell's startup file or its completions directory.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Write the man pages: orchsim.1 and one per subcommand
    /// (orchsim-run.1, …, orchsim-trace-inspect.1).
    Man {
        /// Directory to write them into (created if missing), e.g.
        /// ~/.local/share/man/man1.
        #[arg(long)]
        out: PathBuf,
    },
    /// Look into a trace before replaying it, or convert it to the native format.
    Trace {
        /// What to do with the trace.
        #[command(subcommand)]
        command: TraceCommand,
    },
}

/// The file formats `orchsim schema` describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaFormat {
    /// A scenario (`orchsim run`, `validate`, `compare`).
    Scenario,
    /// An experiment (`orchsim sweep`).
    Experiment,
}

/// `orchsim trace …`.
#[derive(Debug, Subcommand)]
pub enum TraceCommand {
    /// Print what a trace holds: rows, jobs, tasks, time span, arrivals over
    /// time, quantiles of durations, requests and priorities (batch formats),
    /// or the rate's level and shape (request-rate formats). Memory does not
    /// grow with the trace: a quantile of a field with over 65,536 distinct
    /// values is within 0.5 % and marked ≈.
    Inspect {
        /// The trace.
        #[command(flatten)]
        trace: TraceArgs,
    },
    /// Write a trace in the native format: tasks as CSV (and, with
    /// `--machines-out`, machines), or a rate series as `time_s,rate`.
    /// Normalised CPU and memory become absolute with `--machine-cpu` and
    /// `--machine-memory`.
    Convert {
        /// The trace.
        #[command(flatten)]
        trace: TraceArgs,
        /// Output CSV.
        #[arg(long)]
        out: PathBuf,
        /// Output CSV of the machines (batch formats that have them).
        #[arg(long)]
        machines_out: Option<PathBuf>,
        /// Cores of the largest machine, for traces that normalise CPU to it.
        #[arg(long)]
        machine_cpu: Option<f64>,
        /// Memory of the largest machine (e.g. "64Gi"), for traces that normalise memory to it.
        #[arg(long)]
        machine_memory: Option<String>,
    },
}

/// The trace to read.
#[derive(Debug, clap::Args)]
pub struct TraceArgs {
    /// The trace file, or a directory of its parts (the main table: task
    /// events, batch tasks, pod list, SWF log, rate series).
    pub file: PathBuf,
    /// Its format: a batch format (native, google-2011, alibaba-2017,
    /// cloudsimpy, alibaba-2018, alibaba-gpu-2023, swf) or a request-rate
    /// format (native-rate, worldcup98-minute, nasa-second, …).
    #[arg(long)]
    pub format: String,
    /// Google job_events.
    #[arg(long)]
    pub jobs: Option<PathBuf>,
    /// Machines: Google machine_events, Alibaba 2018 machine_meta, the GPU node list, native machines.
    #[arg(long)]
    pub machines: Option<PathBuf>,
    /// Alibaba 2018 batch_instance.
    #[arg(long)]
    pub instances: Option<PathBuf>,
    /// Alibaba 2018 container_meta.
    #[arg(long)]
    pub containers: Option<PathBuf>,
    /// Skip and count malformed rows instead of stopping at the first.
    #[arg(long)]
    pub skip_bad_rows: bool,
}

/// A failed command, with the exit code it maps to.
#[derive(Debug)]
pub struct Failure {
    /// 2 for bad input (scenario, experiment, trace, flags, an unusable
    /// output path), 1 for a failure during the work.
    pub code: i32,
    /// What went wrong, with its causes.
    pub error: anyhow::Error,
}

impl Failure {
    /// The error and its causes, as `{:#}` prints them (`error: cause:
    /// cause`). No error type of orchsim both quotes its cause and chains it
    /// as its `source`, so each cause is printed once
    /// (`tests/integration/bad_input.rs` checks the commands' messages).
    pub fn message(&self) -> String {
        format!("{:#}", self.error)
    }

    fn input(error: impl Into<anyhow::Error>) -> Self {
        Failure { code: 2, error: error.into() }
    }
    fn internal(error: impl Into<anyhow::Error>) -> Self {
        Failure { code: 1, error: error.into() }
    }
}

fn load(path: Option<&Path>, skip_bad_rows: bool) -> Result<Scenario, Failure> {
    let options = if skip_bad_rows { LoadOptions::skipping_bad_rows() } else { LoadOptions::default() };
    let Some(p) = path else { return Ok(Scenario::quickstart()) };
    let scenario =
        Scenario::load_with_options(p, &Registry::default(), &options).map_err(|e: ScenarioError| Failure::input(anyhow::Error::new(e)))?;
    warn_skipped(&p.display().to_string(), &scenario.skipped_rows);
    warn_all(&scenario.warnings);
    Ok(scenario)
}

/// Says on stderr what validation found valid but doubtful.
fn warn_all(warnings: impl IntoIterator<Item = impl std::fmt::Display>) {
    for w in warnings {
        eprintln!("warning: {w}");
    }
}

/// Says on stderr which malformed trace rows a scenario's loading skipped:
/// a run without them is a different run, and must not look like the full one.
fn warn_skipped(file: &str, skipped: impl IntoIterator<Item = impl std::fmt::Display>) {
    for rows in skipped {
        eprintln!("warning: {file}: {rows}");
    }
}

/// Runs the parsed command line.
pub fn execute(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Run { scenario, seed, out, no_chart, explain, explain_top, skip_bad_rows, force } => {
            let scenario = load(scenario.as_deref(), skip_bad_rows)?;
            let options =
                RunOptions { seed: seed.unwrap_or(scenario.seed), charts: !no_chart, explain: explain.then_some(explain_top), force };
            run(&scenario, out, options)
        }
        Command::Compare { scenario, policies, seed, out, jobs, no_chart, skip_bad_rows, force } => {
            let scenario = load(Some(&scenario), skip_bad_rows)?;
            let options = RunOptions { seed: seed.unwrap_or(scenario.seed), charts: !no_chart, explain: None, force };
            compare(&scenario, &policies, out, jobs, options)
        }
        Command::Validate { scenario, skip_bad_rows } => {
            let s = load(Some(&scenario), skip_bad_rows)?;
            println!("ok: {}", s.summary());
            Ok(())
        }
        Command::Sweep {
            experiment,
            out,
            jobs,
            shard,
            resume,
            replications,
            seed,
            series,
            quiet,
            no_chart,
            skip_bad_rows,
            dry_run,
            force,
        } => {
            let options = if skip_bad_rows { LoadOptions::skipping_bad_rows() } else { LoadOptions::default() };
            let mut experiment = Experiment::load(&experiment, &Registry::default(), &options).map_err(sweep_failure)?;
            // Cells sharing a trace skipped the same rows: say it once per trace.
            let skipped: std::collections::BTreeSet<String> =
                experiment.cells.iter().flat_map(|c| &c.scenario.skipped_rows).map(ToString::to_string).collect();
            warn_skipped(&experiment.name, skipped);
            // Likewise each doubtful field, once for every cell that shares it.
            let warnings: std::collections::BTreeSet<String> =
                experiment.cells.iter().flat_map(|c| &c.scenario.warnings).map(ToString::to_string).collect();
            warn_all(warnings);
            experiment.override_runs(replications, seed).map_err(sweep_failure)?;
            let dir = out.unwrap_or_else(|| Path::new("results").join(&experiment.name));
            if dry_run {
                return dry_run_sweep(&experiment, &dir, shard);
            }
            output_dir::prepare(&dir, Kind::Sweep, force).map_err(Failure::input)?;
            let options = SweepOptions { jobs, shard, resume, series };
            sweep(&experiment, &dir, &options, !no_chart, &ProgressBar::new(!quiet))
        }
        Command::Merge { dirs, out, no_chart, force } => {
            output_dir::prepare(&out, Kind::Sweep, force).map_err(Failure::input)?;
            let manifest = crate::sweep::merge(&dirs, &out).map_err(sweep_failure)?;
            if !no_chart {
                sweep_charts(&out, &manifest.metrics)?;
            }
            eprintln!("merged {} runs of `{}` from {} directories into {}", manifest.runs(), manifest.name, dirs.len(), out.display());
            Ok(())
        }
        Command::Plot { dir, metrics } => plot(&dir, metrics),
        Command::Schema { format } => {
            let schema = match format {
                SchemaFormat::Scenario => crate::scenario::schema::scenario(),
                SchemaFormat::Experiment => crate::sweep::experiment::schema(),
            };
            emit(&(serde_json::to_string_pretty(&schema).map_err(Failure::internal)? + "\n"))
        }
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "orchsim", &mut script);
            emit(&String::from_utf8_lossy(&script))
        }
        Command::Man { out } => {
            let pages = write_man_pages(&out)?;
            eprintln!("wrote {} man pages to {}", pages.len(), out.display());
            Ok(())
        }
        Command::Policies { json } => {
            let catalogue = Catalogue::builtin();
            let text = if json { serde_json::to_string_pretty(&catalogue).map_err(Failure::internal)? + "\n" } else { catalogue.text() };
            emit(&text)
        }
        Command::Trace { command } => trace_command(command),
    }
}

/// `orchsim plot DIR`: redraws the charts of the output that DIR's marker
/// names, and reads only that output's files. A directory without a marker
/// (written by an older orchsim) is taken for a run if it has a
/// `timeseries.csv`, for a sweep otherwise.
fn plot(dir: &Path, metrics: Vec<String>) -> Result<(), Failure> {
    if !dir.exists() {
        return Err(Failure::input(output_dir::OutputError::Missing { path: dir.to_path_buf() }));
    }
    let held = output_dir::holds(dir).map_err(Failure::input)?;
    let run_folders = match &held {
        Holds::Marked(Marker::Run { .. }) => vec![dir.to_path_buf()],
        Holds::Marked(Marker::Compare { policies, .. }) => policies.iter().map(|p| dir.join(p)).collect(),
        Holds::Nothing | Holds::Other if dir.join("timeseries.csv").exists() => vec![dir.to_path_buf()],
        Holds::Sweep | Holds::Nothing | Holds::Other => return plot_sweep(dir, metrics),
    };
    if !metrics.is_empty() {
        return Err(Failure::input(anyhow::anyhow!("--metrics: {} holds runs, not a sweep; --metrics is for sweeps", dir.display())));
    }
    let mut written = 0;
    for folder in &run_folders {
        written += crate::plot::run_charts_from_csv(folder).map_err(Failure::input)?.len();
    }
    eprintln!("{written} charts in {}", dir.display());
    Ok(())
}

/// `orchsim plot` of a sweep's directory: the charts of `metrics` (the
/// manifest's by default).
fn plot_sweep(dir: &Path, metrics: Vec<String>) -> Result<(), Failure> {
    let metrics = if metrics.is_empty() {
        crate::sweep::store::Manifest::read(dir)
            .map_err(sweep_failure)?
            .map_or_else(|| crate::sweep::experiment::DEFAULT_METRICS.map(String::from).to_vec(), |m| m.metrics)
    } else {
        let columns = crate::sweep::store::summary_columns();
        if let Some(m) = metrics.iter().find(|m| !crate::sweep::store::is_metric(&columns, m)) {
            return Err(Failure::input(anyhow::anyhow!("--metrics: `{m}` is not a metric of the run summary")));
        }
        metrics
    };
    let written = sweep_charts(dir, &metrics)?;
    eprintln!("{} charts in {}", written.len(), dir.display());
    Ok(())
}

/// A trace format named on the command line: a batch one or a rate one.
enum AnyFormat {
    Tasks(TaskFormat),
    Rate(RateFormat),
}

fn any_format(name: &str) -> Result<AnyFormat, Failure> {
    use serde::de::value::{Error, StrDeserializer};
    use serde::Deserialize;
    // "native" is the batch format; the rate format's native CSV is "native-rate".
    let rate_name = if name == "native-rate" { "native" } else { name };
    if let Ok(f) = TaskFormat::deserialize(StrDeserializer::<Error>::new(name)) {
        return Ok(AnyFormat::Tasks(f));
    }
    match RateFormat::deserialize(StrDeserializer::<Error>::new(rate_name)) {
        Ok(f) => Ok(AnyFormat::Rate(f)),
        Err(e) => Err(Failure::input(anyhow::anyhow!("--format {name}: not a trace format (batch formats: {}); {e}", TaskFormat::names()))),
    }
}

fn trace_command(command: TraceCommand) -> Result<(), Failure> {
    let (TraceCommand::Inspect { trace: args } | TraceCommand::Convert { trace: args, .. }) = &command;
    let format = any_format(&args.format)?;
    let inputs = TraceInputs {
        tasks: args.file.clone(),
        jobs: args.jobs.clone(),
        instances: args.instances.clone(),
        machines: args.machines.clone(),
        containers: args.containers.clone(),
    };
    match (format, &command) {
        (AnyFormat::Tasks(f), TraceCommand::Inspect { .. }) => {
            let summary = trace::inspect::summarise(f, &inputs, args.skip_bad_rows).map_err(Failure::input)?;
            print!("{}", summary.report(f.name()));
        }
        (AnyFormat::Rate(f), TraceCommand::Inspect { .. }) => {
            let series = trace::read_rate_series(&args.file, f, &RateOptions::default()).map_err(Failure::input)?;
            print!("{}", trace::inspect::rate_report(&series, &args.format));
        }
        (AnyFormat::Tasks(f), TraceCommand::Convert { out, machines_out, machine_cpu, machine_memory, .. }) => {
            let bytes = machine_memory
                .as_deref()
                .map(|m| crate::scenario::parse_memory(m).map_err(|e| Failure::input(anyhow::anyhow!("--machine-memory {m}: {e}"))))
                .transpose()?;
            // The outputs are opened before the trace is read: a bad --out fails at once.
            let tasks_out = OutputFile::open(out)?;
            let machines_file = machines_out.as_deref().map(OutputFile::open).transpose()?;
            let trace = f.read(&inputs, args.skip_bad_rows).map_err(Failure::input)?;
            for (scale, given, flag) in
                [(trace.units.cpu, machine_cpu.is_some(), "--machine-cpu"), (trace.units.memory, bytes.is_some(), "--machine-memory")]
            {
                if scale == Scale::Normalized && !given {
                    return Err(Failure::input(anyhow::anyhow!(
                        "the {} trace is normalised to its largest machine: give {flag}",
                        f.name()
                    )));
                }
            }
            let scale = Absolute { cores: machine_cpu.unwrap_or(1.0), bytes: bytes.unwrap_or(1.0) };
            tasks_out.write(|w| trace::tasks::write_native_tasks(&trace, scale, w))?;
            if let Some(machines) = machines_file {
                machines.write(|w| trace::tasks::write_native_machines(&trace, scale, w))?;
            }
            eprintln!("wrote {} tasks ({} jobs) to {}", trace.tasks.len(), trace.jobs(), out.display());
        }
        (AnyFormat::Rate(f), TraceCommand::Convert { out, .. }) => {
            let file = OutputFile::open(out)?;
            let series = trace::read_rate_series(&args.file, f, &RateOptions::default()).map_err(Failure::input)?;
            file.write(|w| series.write_native(w))?;
            eprintln!("wrote {} points ({} requests) to {}", series.points.len(), series.requests, out.display());
        }
    }
    Ok(())
}

/// An output file of `trace convert`, written through [`AtomicFile`] so an
/// interrupted conversion never leaves a truncated CSV that looks complete.
struct OutputFile {
    path: PathBuf,
    atomic: AtomicFile,
    writer: std::io::BufWriter<std::fs::File>,
}

impl OutputFile {
    /// Opens `path` for writing, before the work: a directory, or a file that
    /// cannot be created there, is a bad `--out` (exit 2).
    fn open(path: &Path) -> Result<OutputFile, Failure> {
        if path.is_dir() {
            return Err(Failure::input(anyhow::anyhow!("{}: is a directory; --out names the file to write", path.display())));
        }
        let (atomic, writer) =
            AtomicFile::create(path).with_context(|| format!("{}: cannot write", path.display())).map_err(Failure::input)?;
        Ok(OutputFile { path: path.to_path_buf(), atomic, writer })
    }

    /// Writes the file with `write` and renames it into place; a failure now is exit 1.
    fn write(mut self, write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> csv::Result<()>) -> Result<(), Failure> {
        write(&mut self.writer).with_context(|| format!("{}: cannot write", self.path.display())).map_err(Failure::internal)?;
        self.atomic.commit(self.writer).map_err(Failure::internal)
    }
}

/// Writes the man page of `orchsim` and of each subcommand, nested ones
/// included (`orchsim-trace-inspect.1`), into `dir`, creating it; returns
/// their paths. A directory that cannot be made is a bad `--out` (exit 2).
pub fn write_man_pages(dir: &Path) -> Result<Vec<PathBuf>, Failure> {
    fn pages(cmd: &clap::Command, out: &mut Vec<clap::Command>) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            pages(sub, out);
        }
        out.push(cmd.clone());
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("{}: cannot create the man page directory", dir.display()))
        .map_err(Failure::input)?;
    // Built, the subcommands carry their full names (`orchsim-trace-inspect`).
    let mut cmd = <Cli as clap::CommandFactory>::command().disable_help_subcommand(true);
    cmd.build();
    let mut all = Vec::new();
    pages(&cmd, &mut all);
    let mut written = Vec::new();
    for page in all {
        let man = clap_mangen::Man::new(page).source(concat!("orchsim ", env!("CARGO_PKG_VERSION")));
        let path = dir.join(man.get_filename());
        let (atomic, mut w) = AtomicFile::create(&path).map_err(Failure::input)?;
        man.render(&mut w).with_context(|| format!("{}: cannot write", path.display())).map_err(Failure::internal)?;
        atomic.commit(w).map_err(Failure::internal)?;
        written.push(path);
    }
    Ok(written)
}

fn run(scenario: &Scenario, out: Option<PathBuf>, options: RunOptions) -> Result<(), Failure> {
    let dir = out.unwrap_or_else(|| Path::new("results").join(&scenario.name));
    let started = Instant::now();
    let output = run_into(scenario, &dir, options)?;
    let secs = started.elapsed().as_secs_f64();
    print_summary(&output.summary);
    eprintln!(
        "simulated {:.0} s in {:.3} s of wall time ({:.2} M events/s); outputs in {}",
        output.summary.simulated_s,
        secs,
        output.summary.events as f64 / secs.max(1e-9) / 1e6,
        dir.display()
    );
    Ok(())
}

/// A sweep's progress bar: runs done, rate and ETA on stderr; hidden unless
/// wanted and stderr is a terminal (logs and CI stay clean).
struct ProgressBar(indicatif::ProgressBar);

impl ProgressBar {
    fn new(wanted: bool) -> ProgressBar {
        if !wanted || !std::io::stderr().is_terminal() {
            return ProgressBar(indicatif::ProgressBar::hidden());
        }
        let style = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} runs  {rate}  elapsed {elapsed}  ETA {eta}")
            .expect("the progress template is valid")
            .with_key("rate", |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.1} runs/s", state.per_sec());
            });
        ProgressBar(indicatif::ProgressBar::new(0).with_style(style))
    }
}

impl Progress for ProgressBar {
    fn start(&self, runs: u64) {
        self.0.set_length(runs);
    }
    fn run_ended(&self) {
        self.0.inc(1);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// On SIGINT or SIGTERM, removes the temporary files being written (see
/// [`crate::report::remove_temp_files`]) and exits with 128 + the signal's number
/// (130, 143), as a shell reports a process the signal killed. For the
/// binary only: a library must not exit its host.
///
/// The handler runs on a thread of its own (not in signal context). Files
/// being written stay open but are unlinked; a rename after the removal
/// fails, which is what should happen.
#[cfg(unix)]
pub fn remove_temp_files_on_signal() -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new().name("signals".into()).spawn(move || {
        if let Some(signal) = signals.forever().next() {
            crate::report::remove_temp_files(|| {
                let name = if signal == SIGINT { "SIGINT" } else { "SIGTERM" };
                eprintln!("error: interrupted by {name}; outputs in progress were removed");
                std::process::exit(128 + signal);
            });
        }
    })?;
    Ok(())
}

/// Without Unix signals, nothing to install: temporary files are still
/// removed on errors (see [`crate::report::TempPath`]).
#[cfg(not(unix))]
pub fn remove_temp_files_on_signal() -> std::io::Result<()> {
    Ok(())
}

/// Runs `scenario` into `dir` (see [`runner::run_to_dir`]), then warns
/// about what the user may not have meant: a run stopped at the horizon, or
/// a thinned time series.
fn run_into(scenario: &Scenario, dir: &Path, options: RunOptions) -> Result<RunOutput, Failure> {
    let output =
        runner::run_to_dir(scenario, dir, options).map_err(|e| if e.is_bad_input() { Failure::input(e) } else { Failure::internal(e) })?;
    if output.stopped_at_horizon {
        eprintln!(
            "warning: {} ({}): the run was stopped at the {}-day horizon with work still scheduled; set [simulation] duration or bound the task durations (`max`)",
            scenario.name,
            scenario.scheduler.name(),
            crate::scenario::MAX_HORIZON.as_secs_f64() / 86_400.0
        );
    }
    if output.sample_interval != scenario.sample_interval {
        eprintln!(
            "note: {} ({}): the run lasted {:.0} s without a fixed duration; timeseries.csv samples every {} instead of {} to stay within {} rows",
            scenario.name,
            scenario.scheduler.name(),
            output.summary.simulated_s,
            output.sample_interval,
            scenario.sample_interval,
            crate::simulation::OPEN_ENDED_SAMPLE_BUDGET + 1
        );
    }
    Ok(output)
}

/// The configurations `compare` runs: each named policy with its defaults,
/// except the scenario's own policy, which keeps the scenario's parameters.
fn compare_configs(scenario: &Scenario, names: &[String]) -> Result<Vec<SchedulerConfig>, Failure> {
    let catalogue = SchedulerConfig::catalogue();
    let names: Vec<String> = if names.is_empty() { catalogue.iter().map(|p| p.name.to_string()).collect() } else { names.to_vec() };
    names
        .iter()
        .map(|name| {
            if name == scenario.scheduler.name() {
                return Ok(scenario.scheduler.clone());
            }
            catalogue.iter().find(|p| p.name == name).map(|p| p.default.clone()).ok_or_else(|| {
                let known: Vec<&str> = catalogue.iter().map(|p| p.name).collect();
                Failure::input(anyhow::anyhow!("--policies: unknown policy `{name}`; known: {}", known.join(", ")))
            })
        })
        .collect()
}

fn compare(scenario: &Scenario, names: &[String], out: Option<PathBuf>, jobs: Option<usize>, options: RunOptions) -> Result<(), Failure> {
    let seed = options.seed;
    let configs = compare_configs(scenario, names)?;
    let dir = out.unwrap_or_else(|| Path::new("results").join(format!("{}-compare", scenario.name)));
    output_dir::prepare(&dir, Kind::Compare, options.force).map_err(Failure::input)?;
    let policies = configs.iter().map(|c| c.name().to_string()).collect();
    Marker::compare(&scenario.name, seed, policies).write(&dir).map_err(Failure::input)?;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs.unwrap_or(0)).build().map_err(Failure::internal)?;
    let started = Instant::now();
    // Each policy runs on the same seed, so the same workload (common random
    // numbers); results are collected in the order given, whatever the threads.
    let outputs: Vec<Result<RunOutput, Failure>> = pool.install(|| {
        configs
            .par_iter()
            .map(|config| {
                let mut s = scenario.clone();
                s.scheduler = config.clone();
                run_into(&s, &dir.join(config.name()), options)
            })
            .collect()
    });
    let mut summaries = Vec::new();
    for output in outputs {
        summaries.push(output?.summary);
    }
    write_csv(&dir.join("summary.csv"), &summaries).map_err(Failure::internal)?;
    println!(
        "{:<14} {:>9} {:>9} {:>8} {:>8} {:>10} {:>10}",
        "policy", "completed", "pending", "cpu %", "mem %", "p95 wait s", "makespan s"
    );
    for s in &summaries {
        println!(
            "{:<14} {:>9} {:>9} {:>8.1} {:>8.1} {:>10.2} {:>10.0}",
            s.policy,
            s.pods_completed,
            s.pods_pending_at_end,
            s.mean_cpu_allocated * 100.0,
            s.mean_memory_allocated * 100.0,
            s.pending_p95_s,
            s.makespan_s
        );
    }
    if summaries.iter().any(had_failures) {
        println!();
        println!(
            "{:<14} {:>9} {:>9} {:>8} {:>10} {:>11} {:>12} {:>9}",
            "policy", "node fail", "pods lost", "crashes", "tasks lost", "jobs failed", "availability", "full"
        );
        for s in &summaries {
            println!(
                "{:<14} {:>9} {:>9} {:>8} {:>10} {:>11} {:>12.4} {:>9.4}",
                s.policy, s.node_failures, s.pods_lost, s.crashes, s.tasks_lost, s.jobs_failed, s.availability, s.full_availability
            );
        }
    }
    eprintln!("{} policies in {:.2} s; outputs in {}", summaries.len(), started.elapsed().as_secs_f64(), dir.display());
    Ok(())
}

/// Exit 2 for bad input, 1 for failed runs or I/O.
fn sweep_failure(e: SweepError) -> Failure {
    match e {
        SweepError::Invalid(_) => Failure::input(e),
        _ => Failure::internal(e),
    }
}

/// Draws a sweep directory's charts; a missing or malformed table is bad input.
fn sweep_charts(dir: &Path, metrics: &[String]) -> Result<Vec<PathBuf>, Failure> {
    crate::plot::sweep_charts::sweep_charts(dir, metrics).map_err(Failure::input)
}

fn sweep(experiment: &Experiment, dir: &Path, options: &SweepOptions, chart: bool, progress: &dyn Progress) -> Result<(), Failure> {
    let runs = experiment.cells.len() * experiment.replications as usize;
    eprintln!(
        "sweep `{}`: {} cells × {} replications = {runs} runs{} into {}",
        experiment.name,
        experiment.cells.len(),
        experiment.replications,
        options.shard.map_or(String::new(), |s| format!(" (shard {}/{})", s.k, s.n)),
        dir.display()
    );
    let report = crate::sweep::run_with_progress(experiment, dir, options, progress);
    // Charts of whatever completed, even if some runs failed (but not of a
    // directory the sweep refused); the runs' failure comes first.
    if chart && matches!(report, Ok(_) | Err(SweepError::Runs(_))) {
        let charts = sweep_charts(dir, &experiment.metrics);
        match (&report, charts) {
            (Ok(_), Err(e)) => return Err(e),
            (Err(_), Err(e)) => eprintln!("warning: {}", e.message()),
            _ => {}
        }
    }
    let report = report.map_err(sweep_failure)?;
    let extended = report
        .extended_from
        .map_or(String::new(), |from| format!("; extended from {from} to {} replications per cell", experiment.replications));
    eprintln!("{} runs in {:.2} s ({} kept from before{extended}); outputs in {}", report.ran, report.seconds, report.kept, dir.display());
    Ok(())
}

/// `sweep --dry-run`: the plan, cell by cell, and what `dir` already holds.
fn dry_run_sweep(experiment: &Experiment, dir: &Path, shard: Option<Shard>) -> Result<(), Failure> {
    let runs = experiment.cells.len() * experiment.replications as usize;
    let planned = crate::sweep::plan(experiment).iter().filter(|r| shard.is_none_or(|s| s.owns(r.index))).count();
    let mut text = format!(
        "sweep `{}`: {} cells × {} replications = {runs} runs (seed {}); dry run, nothing run or written\n",
        experiment.name,
        experiment.cells.len(),
        experiment.replications,
        experiment.seed
    );
    let header: Vec<String> = std::iter::once("cell".to_string()).chain(experiment.parameter_names()).collect();
    let rows: Vec<Vec<String>> = experiment
        .cells
        .iter()
        .enumerate()
        .map(|(i, c)| std::iter::once(i.to_string()).chain(c.values.iter().cloned()).collect())
        .collect();
    let widths: Vec<usize> =
        (0..header.len()).map(|k| rows.iter().map(|r| r[k].len()).chain([header[k].len()]).max().unwrap_or(0)).collect();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(v, w)| format!("{v:<w$}")).collect();
        let _ = writeln!(text, "{}", cells.join("  ").trim_end());
    }
    let held = match crate::sweep::recorded(experiment, dir, shard).map_err(sweep_failure)? {
        Recorded::Nothing => "no sweep yet".to_string(),
        Recorded::Runs(done) => format!("{done} of {planned} runs recorded; --resume would run {}", planned - done),
        Recorded::Extends { from, runs: done } => {
            format!("{done} runs of {from} replications per cell recorded; --resume would extend them and run {}", planned - done)
        }
        Recorded::Fewer { holds } => format!("{holds} replications per cell recorded; --resume would refuse to drop runs"),
        Recorded::Other => "runs of another sweep (changed experiment, scenario or orchsim); --resume would refuse".to_string(),
    };
    let shard_note = shard.map_or(String::new(), |s| format!(" (shard {}/{})", s.k, s.n));
    let _ = writeln!(text, "{}{shard_note}: {held}", dir.display());
    emit(&text)
}

/// Writes `text` to stdout; a reader that went away (`| head`) is no error.
fn emit(text: &str) -> Result<(), Failure> {
    use std::io::Write as _;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::internal(e)),
        _ => Ok(()),
    }
}

/// Whether anything failed in the run (its failure columns are worth printing).
fn had_failures(s: &Summary) -> bool {
    s.node_failures + s.crashes + s.evictions + s.pods_lost > 0
}

fn print_summary(s: &Summary) {
    println!("scenario {} | policy {} | seed {} | {} nodes", s.scenario, s.policy, s.seed, s.nodes);
    println!(
        "pods: {} submitted, {} completed, {} pending at end ({} jobs)",
        s.pods_submitted, s.pods_completed, s.pods_pending_at_end, s.jobs_submitted
    );
    println!("allocated (time-weighted mean): CPU {:.1} %, memory {:.1} %", s.mean_cpu_allocated * 100.0, s.mean_memory_allocated * 100.0);
    println!(
        "pending time: p50 {:.2} s, p95 {:.2} s, p99 {:.2} s; makespan {:.0} s; {} image pulls",
        s.pending_p50_s, s.pending_p95_s, s.pending_p99_s, s.makespan_s, s.image_pulls
    );
    if s.requests > 0.0 {
        println!(
            "services: {:.0} requests, {:.4} served, SLO missed {:.0} s, replicas mean {:.1} / p95 {}, {} replica changes",
            s.requests, s.request_success_ratio, s.slo_violation_s, s.replicas_mean, s.replicas_p95, s.replica_scaling_events
        );
    }
    if s.cost > 0.0 || s.node_scale_ups + s.node_scale_downs > 0 {
        println!(
            "nodes: {:.1} node-hours, cost {:.2}, {} scale-ups, {} removals",
            s.node_hours, s.cost, s.node_scale_ups, s.node_scale_downs
        );
    }
    if had_failures(s) {
        println!(
            "failures: {} node failures ({:.1} node-hours down), {} pods lost, {} crashes ({} OOM), {} restarts, {} evictions",
            s.node_failures,
            s.node_downtime_s / 3600.0,
            s.pods_lost,
            s.crashes,
            s.oom_kills,
            s.restarts,
            s.evictions
        );
        if s.requests > 0.0 {
            println!("availability (mean over services): {:.4} with a replica serving, {:.4} fully", s.availability, s.full_availability);
        }
        if s.tasks_lost > 0 {
            println!(
                "batch: {} tasks lost, {} retried, {} jobs failed, {:.0} CPU-seconds of work lost",
                s.tasks_lost, s.tasks_retried, s.jobs_failed, s.failure_lost_cpu_seconds
            );
        }
    }
}
