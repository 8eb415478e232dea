//! `orchsim trace inspect`: what a trace holds, so that a user can check an
//! import before replaying it — rows, jobs, tasks, time span, arrivals over
//! time, and the distributions of durations, requests and priorities.
//!
//! A batch trace is summarised as it streams ([`TaskSummary`], a
//! [`TaskSink`]), in memory that does not grow with its length: counts,
//! extremes and small histograms are exact; jobs are counted exactly in a
//! compressed bitmap (bits per job, not the tasks); quantiles are exact while
//! a field has at most [`Quantiles::EXACT_VALUES`] distinct values and within
//! [`Quantiles::RELATIVE_ERROR`] beyond, which the report marks with `≈`.
//! Google's reader hands a task over 12 hours of trace time after it ended
//! ([`TaskSink::early_tasks`]), so that its per-task states follow the
//! cluster, not the file; a task whose events resume later than that counts
//! twice (see the `google_2011` module docs).
//!
//! The arrivals over time need the first and last submission before the
//! first bin can be counted: a reader that knows them before delivering any
//! task says so ([`TaskSink::span`]), a trace with few distinct submission
//! times keeps them, and any other is read a second time (see [`summarise`]).
//! One reading would not do in bounded memory with exact counts: the bins'
//! edges depend on the last submission, so every submission time would have
//! to be kept until it is known (or the counts approximated, to a bin's
//! width over the number kept); a second reading costs time, not memory.

mod quantiles;

use std::collections::BTreeMap;
use std::fmt::Write;

use roaring::RoaringTreemap;

use quantiles::Capped;
pub use quantiles::Quantiles;

use super::request_rate::RateSeries;
use super::tasks::{Outcome, ReadSummary, Scale, TaskFormat, TaskSink, TaskTrace, TraceInputs, TraceMachine, TraceTask};
use super::TraceError;

/// Quantiles reported for every distribution.
pub const QUANTILES: [f64; 7] = [0.0, 0.1, 0.25, 0.5, 0.9, 0.99, 1.0];

/// Bins of the arrivals over time.
const ARRIVAL_BINS: usize = 12;

/// Distinct submission times kept, so that a trace with no more needs no
/// second reading for its arrivals (2 MB at most).
const SUBMISSION_TIMES_KEPT: usize = 1 << 16;

/// Distinct priorities listed; past that many, only their range is given.
const PRIORITIES_LISTED: usize = 4096;

/// The quantiles [`QUANTILES`] of `values` (nearest rank on the sorted
/// values); `None` when there are none.
pub fn quantiles(mut values: Vec<f64>) -> Option<[f64; 7]> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let last = values.len() - 1;
    Some(QUANTILES.map(|q| values[((q * last as f64).round() as usize).min(last)]))
}

/// A row of the distributions: the name, marked `≈` when approximate, and the quantiles.
fn quantile_row(out: &mut String, name: &str, values: &Quantiles) {
    let name = if values.is_exact() { name.to_string() } else { format!("{name} ≈") };
    let _ = match values.get() {
        Some(q) => writeln!(out, "  {name:<22} {}", q.map(|v| format!("{:>12}", short(v))).join("")),
        None => writeln!(out, "  {name:<22} (none)"),
    };
}

/// A number in at most 6 significant digits, without trailing zeros.
fn short(v: f64) -> String {
    if v == 0.0 || (v.abs() >= 1e-3 && v.abs() < 1e9) {
        let s = format!("{v:.6}");
        let digits = s.trim_start_matches('-').find('.').unwrap_or(s.len());
        let s = format!("{v:.*}", 6usize.saturating_sub(digits));
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    } else {
        format!("{v:.3e}")
    }
}

fn unit(scale: Scale, absolute: &'static str) -> &'static str {
    match scale {
        Scale::Absolute => absolute,
        Scale::Normalized => "fraction of the largest machine",
    }
}

/// Arrivals per bin: `bins` equal bins from the first to the last submission,
/// as (bin start in s, tasks, pods); one bin when every task is submitted at
/// the same instant (a span of 0 has no parts).
#[derive(Clone, Debug)]
struct Arrivals {
    first_us: u64,
    last_us: u64,
    width_us: u64,
    bins: Vec<(f64, u64, u64)>,
}

impl Arrivals {
    fn new(first_us: u64, last_us: u64, bins: usize) -> Arrivals {
        let span = last_us - first_us;
        let bins = if span == 0 { 1 } else { bins };
        let width_us = span.div_ceil(bins as u64).max(1);
        let bins = (0..bins as u64).map(|b| ((first_us + b * width_us) as f64 / 1e6, 0, 0)).collect();
        Arrivals { first_us, last_us, width_us, bins }
    }

    /// Counts `tasks` tasks of `pods` pods submitted at `submit_us`.
    fn add(&mut self, submit_us: u64, tasks: u64, pods: u64) {
        let b = (((submit_us - self.first_us) / self.width_us) as usize).min(self.bins.len() - 1);
        self.bins[b].1 += tasks;
        self.bins[b].2 += pods;
    }
}

/// The second reading of a large trace: only its arrivals.
impl TaskSink for Arrivals {
    fn task(&mut self, task: TraceTask) {
        self.add(task.submit_us, 1, task.instances.into());
    }

    fn machine(&mut self, _machine: TraceMachine) {}

    /// As the first reading did ([`TaskSummary`]), so that it delivers the same tasks.
    fn early_tasks(&self) -> bool {
        true
    }
}

/// Arrivals per bin over the trace's span: `bins` equal bins from the first to
/// the last submission, as (bin start in s, tasks, pods); one bin when every
/// task is submitted at the same instant (a span of 0 has no parts).
pub fn arrivals_over_time(trace: &TaskTrace, bins: usize) -> Vec<(f64, u64, u64)> {
    let times = trace.tasks.iter().map(|t| t.submit_us);
    let (Some(first), Some(last)) = (times.clone().min(), times.max()) else { return Vec::new() };
    let mut arrivals = Arrivals::new(first, last, bins);
    trace.tasks.iter().for_each(|t| arrivals.add(t.submit_us, 1, t.instances.into()));
    arrivals.bins
}

/// What `trace inspect` reports on a batch trace, folded task by task (see
/// the module docs for what is exact).
pub struct TaskSummary {
    read: ReadSummary,
    tasks: u64,
    pods: u64,
    jobs: RoaringTreemap,
    /// First and last submission.
    span: Option<(u64, u64)>,
    /// Tasks and pods per submission time, while few.
    submissions: Capped<u64, (u64, u64)>,
    /// Binned as the tasks come, when the reader told their span first.
    binned: Option<Arrivals>,
    /// Filled by [`finish`](Self::finish).
    arrivals: Vec<(f64, u64, u64)>,
    durations: Quantiles,
    /// Tasks without a duration.
    open: u64,
    cpu: Quantiles,
    memory: Quantiles,
    instances: Quantiles,
    priorities: Capped<i32, u64>,
    priority_range: Option<(i32, i32)>,
    classes: [u64; 256],
    /// By the index of the outcome in [`Outcome::ALL`].
    outcomes: [u64; Outcome::ALL.len()],
    gpu: u64,
    shared_gpu: u64,
    with_dag: u64,
    machines: MachineSummary,
}

/// The machines of a trace: counts, and how many of each shape.
#[derive(Default)]
struct MachineSummary {
    count: u64,
    with_gpus: u64,
    gpus: u64,
    join_later: u64,
    leave: u64,
    /// (cpu, memory as printed, gpus, model) → machines.
    shapes: BTreeMap<(String, String, u32, String), u64>,
}

impl Default for TaskSummary {
    fn default() -> TaskSummary {
        TaskSummary {
            read: ReadSummary::default(),
            tasks: 0,
            pods: 0,
            jobs: RoaringTreemap::new(),
            span: None,
            submissions: Capped::new(SUBMISSION_TIMES_KEPT),
            binned: None,
            arrivals: Vec::new(),
            durations: Quantiles::default(),
            open: 0,
            cpu: Quantiles::default(),
            memory: Quantiles::default(),
            instances: Quantiles::default(),
            priorities: Capped::new(PRIORITIES_LISTED),
            priority_range: None,
            classes: [0; 256],
            outcomes: [0; Outcome::ALL.len()],
            gpu: 0,
            shared_gpu: 0,
            with_dag: 0,
            machines: MachineSummary::default(),
        }
    }
}

impl TaskSink for TaskSummary {
    fn task(&mut self, task: TraceTask) {
        self.add(&task);
    }

    fn machine(&mut self, m: TraceMachine) {
        let machines = &mut self.machines;
        machines.count += 1;
        machines.with_gpus += u64::from(m.gpus > 0);
        machines.gpus += u64::from(m.gpus);
        machines.join_later += u64::from(m.added_us > 0);
        machines.leave += u64::from(m.removed_us.is_some());
        *machines.shapes.entry((short(m.cpu), short(m.memory), m.gpus, m.gpu_model)).or_default() += 1;
    }

    /// Summaries need no task's whole history at once: Google's reader then
    /// keeps a state per task only while the task runs and for a while after
    /// it ends (bounded memory; see [`TaskSink::early_tasks`]).
    fn early_tasks(&self) -> bool {
        true
    }

    fn span(&mut self, first_us: u64, last_us: u64) {
        if self.tasks == 0 {
            self.binned = Some(Arrivals::new(first_us, last_us, ARRIVAL_BINS));
        }
    }
}

/// Summarises a batch trace for `trace inspect`, streaming it through a
/// [`TaskSummary`]. A trace with more than 65,536 distinct submission times
/// whose reader does not tell their span first ([`TaskSink::span`]) is
/// streamed a second time for its arrivals over time, binned from the first
/// and last submission that the first reading found.
pub fn summarise(format: TaskFormat, inputs: &TraceInputs, skip_bad_rows: bool) -> Result<TaskSummary, TraceError> {
    let mut summary = TaskSummary::default();
    summary.read = format.read_into(inputs, skip_bad_rows, &mut summary)?;
    summary.finish(|arrivals| format.read_into(inputs, skip_bad_rows, arrivals).map(drop))?;
    Ok(summary)
}

impl TaskSummary {
    /// The summary of a trace read into memory.
    pub fn of(trace: &TaskTrace) -> TaskSummary {
        let mut summary = TaskSummary {
            read: ReadSummary { units: trace.units, rows: trace.rows, bad_rows: trace.bad_rows.clone() },
            ..TaskSummary::default()
        };
        trace.tasks.iter().for_each(|t| summary.add(t));
        trace.machines.iter().for_each(|m| summary.machine(m.clone()));
        let again = |arrivals: &mut Arrivals| {
            trace.tasks.iter().for_each(|t| arrivals.add(t.submit_us, 1, t.instances.into()));
            Ok(())
        };
        // Going over the tasks in memory again cannot fail.
        let _ = summary.finish(again);
        summary
    }

    fn add(&mut self, t: &TraceTask) {
        let pods = u64::from(t.instances);
        self.tasks += 1;
        self.pods += pods;
        self.jobs.insert(t.job);
        let submit = t.submit_us;
        self.span = Some(self.span.map_or((submit, submit), |(first, last)| (first.min(submit), last.max(submit))));
        self.submissions.update(t.submit_us, |(tasks, all)| (*tasks, *all) = (*tasks + 1, *all + pods));
        if let Some(binned) = &mut self.binned {
            binned.add(t.submit_us, 1, pods);
        }
        match t.duration_us {
            Some(d) => self.durations.add(d as f64 / 1e6),
            None => self.open += 1,
        }
        self.cpu.add(t.cpu);
        self.memory.add(t.memory);
        self.instances.add(f64::from(t.instances));
        self.priorities.update(t.priority, |n| *n += 1);
        let (low, high) = self.priority_range.unwrap_or((t.priority, t.priority));
        self.priority_range = Some((low.min(t.priority), high.max(t.priority)));
        self.classes[usize::from(t.class)] += 1;
        if let Some(k) = Outcome::ALL.iter().position(|&o| o == t.outcome) {
            self.outcomes[k] += 1;
        }
        if t.gpu.count > 0 {
            self.gpu += 1;
            self.shared_gpu += u64::from(t.gpu.milli < 1000);
        }
        self.with_dag += u64::from(!t.depends_on.is_empty());
    }

    /// Bins the arrivals: as they came, when the reader told their span
    /// first; else from the submission times kept, or, past
    /// [`SUBMISSION_TIMES_KEPT`] of them, by streaming the tasks `again`.
    fn finish(&mut self, again: impl FnOnce(&mut Arrivals) -> Result<(), TraceError>) -> Result<(), TraceError> {
        let Some((first, last)) = self.span else { return Ok(()) };
        let told = self.binned.take().filter(|binned| (binned.first_us, binned.last_us) == (first, last));
        let arrivals = match (told, self.submissions.exact()) {
            (Some(binned), _) => binned,
            (None, Some(times)) => {
                let mut arrivals = Arrivals::new(first, last, ARRIVAL_BINS);
                times.iter().for_each(|(&t, &(tasks, pods))| arrivals.add(t, tasks, pods));
                arrivals
            }
            (None, None) => {
                let mut arrivals = Arrivals::new(first, last, ARRIVAL_BINS);
                again(&mut arrivals)?;
                arrivals
            }
        };
        self.arrivals = arrivals.bins;
        Ok(())
    }

    /// The report, `format` naming the trace's format.
    pub fn report(&self, format: &str) -> String {
        let mut out = String::new();
        let read = &self.read;
        let _ = writeln!(out, "format {format}: {} data rows read, {} malformed rows skipped", read.rows, read.bad_rows.count);
        for example in &read.bad_rows.examples {
            let _ = writeln!(out, "  skipped: {example}");
        }
        let _ = writeln!(out, "{} jobs, {} tasks, {} instances (pods)", self.jobs.len(), self.tasks, self.pods);
        if let Some((first, last)) = self.span {
            let span = (last - first) as f64 / 1e6;
            let (from, to) = (short(first as f64 / 1e6), short(last as f64 / 1e6));
            // A rate needs time to pass: over a span of 0 it would be a division by (nearly) zero.
            let _ = if span > 0.0 {
                let rate = short(self.tasks as f64 / span);
                writeln!(out, "submissions from {from} s to {to} s of trace time ({:.2} h; {rate} tasks/s on average)", span / 3600.0)
            } else {
                writeln!(out, "submissions all at {from} s of trace time (a span of 0 s: no rate over time)")
            };
            let _ = writeln!(out, "\narrivals over time (bin start in trace seconds):");
            let _ = writeln!(out, "  {:>14} {:>10} {:>12}", "from_s", "tasks", "pods");
            for (start, n, pods) in &self.arrivals {
                let _ = writeln!(out, "  {:>14} {n:>10} {pods:>12}", short(*start));
            }
        }
        let _ = writeln!(out, "\ndistributions (per task) {}", QUANTILES.map(|q| format!("{:>12}", format!("p{}", q * 100.0))).join(""));
        quantile_row(&mut out, "duration (s)", &self.durations);
        quantile_row(&mut out, "cpu request", &self.cpu);
        quantile_row(&mut out, "memory request", &self.memory);
        quantile_row(&mut out, "instances", &self.instances);
        let cpu_unit = unit(read.units.cpu, "cores");
        let memory_unit = unit(read.units.memory, "bytes");
        let open = self.open;
        let _ = writeln!(
            out,
            "  (cpu in {cpu_unit}; memory in {memory_unit}; {open} tasks without an end in the trace are left out of durations)"
        );
        if [&self.durations, &self.cpu, &self.memory, &self.instances].iter().any(|q| !q.is_exact()) {
            let _ = writeln!(
                out,
                "  (≈: over {} distinct values, p0 and p100 are exact and the other quantiles within {} % of the exact ones)",
                Quantiles::EXACT_VALUES,
                Quantiles::RELATIVE_ERROR * 100.0
            );
        }
        let listed = |counts: &mut dyn Iterator<Item = (i32, u64)>| counts.map(|(k, n)| format!("{k}: {n}")).collect::<Vec<_>>().join(", ");
        let priorities = match (self.priorities.exact(), self.priority_range) {
            (Some(counts), _) => listed(&mut counts.iter().map(|(&k, &n)| (k, n))),
            (None, Some((low, high))) => format!("more than {PRIORITIES_LISTED} distinct, from {low} to {high}"),
            (None, None) => String::new(),
        };
        let _ = writeln!(out, "\npriorities (tasks): {priorities}");
        let classes = (0..=u8::MAX).map(|c| (i32::from(c), self.classes[usize::from(c)])).filter(|&(_, n)| n > 0);
        let _ = writeln!(out, "classes (tasks): {}", listed(&mut { classes }));
        let outcome_counts: Vec<String> =
            Outcome::ALL.iter().zip(self.outcomes).filter(|&(_, n)| n > 0).map(|(o, n)| format!("{}: {n}", o.name())).collect();
        let _ = writeln!(out, "outcomes (tasks): {}", outcome_counts.join(", "));
        if self.gpu > 0 {
            let _ = writeln!(out, "GPU tasks: {} ({} share a GPU, {} CPU-only)", self.gpu, self.shared_gpu, self.tasks - self.gpu);
        }
        if self.with_dag > 0 {
            let _ = writeln!(out, "DAG: {} tasks depend on others of their job", self.with_dag);
        }
        let m = &self.machines;
        if m.count > 0 {
            let _ = writeln!(
                out,
                "\nmachines: {} ({} with GPUs, {} GPUs; {} join later, {} leave)",
                m.count, m.with_gpus, m.gpus, m.join_later, m.leave
            );
            let mut shapes: Vec<_> = m.shapes.iter().collect();
            shapes.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
            let _ = writeln!(out, "  {:>8}  {:>12} {:>12} {:>5}  gpu model", "machines", "cpu", "memory", "gpus");
            for ((cpu, memory, gpus, model), n) in shapes.iter().take(15) {
                let _ = writeln!(out, "  {n:>8}  {cpu:>12} {memory:>12} {gpus:>5}  {model}");
            }
            if shapes.len() > 15 {
                let _ = writeln!(out, "  … {} more shapes", shapes.len() - 15);
            }
        }
        out
    }
}

/// The report on a batch trace read into memory.
pub fn task_report(trace: &TaskTrace, format: &str) -> String {
    TaskSummary::of(trace).report(format)
}

/// The report on a request-rate (or usage) series.
pub fn rate_report(series: &RateSeries, format: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "format {format}: {} rows in the window, {} requests in all", series.rows, short(series.requests));
    let _ = writeln!(
        out,
        "series of {} points over {} s ({:.2} h)",
        series.points.len(),
        short(series.duration.as_secs_f64()),
        series.duration.as_secs_f64() / 3600.0
    );
    // Time-weighted: each rate counts for as long as it holds (up to the end of the data).
    let end = series.duration.as_micros();
    let mut weighted: Vec<(f64, u64)> = Vec::new();
    for (k, &(t, rate)) in series.points.iter().enumerate() {
        let until = series.points.get(k + 1).map_or(end, |p| p.0.as_micros());
        weighted.push((rate, until.saturating_sub(t.as_micros())));
    }
    let total: u64 = weighted.iter().map(|w| w.1).sum();
    if total > 0 {
        weighted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let at = |q: f64| {
            let target = (q * total as f64).round() as u64;
            let mut acc = 0;
            weighted
                .iter()
                .find(|w| {
                    acc += w.1;
                    acc >= target.max(1)
                })
                .map_or(0.0, |w| w.0)
        };
        let _ = writeln!(
            out,
            "\nrate (requests/s, time-weighted) {}",
            QUANTILES.map(|q| format!("{:>12}", format!("p{}", q * 100.0))).join("")
        );
        let _ = writeln!(out, "  {:<31}{}", "", QUANTILES.map(|q| format!("{:>12}", short(at(q)))).join(""));
        let mean = weighted.iter().map(|w| w.0 * w.1 as f64).sum::<f64>() / total as f64;
        let _ = writeln!(out, "  mean {} requests/s", short(mean));
    }
    if end == 0 {
        // Nothing to spread over time: the last point's rate holds from the start.
        let rate = series.points.last().map_or(0.0, |p| p.1);
        let _ = writeln!(out, "\nthe data end where they start (a span of 0 s): {} requests/s from then on", short(rate));
        return out;
    }
    let _ = writeln!(out, "\nrate over time (series seconds):");
    let bins = 12u64;
    let width = end.div_ceil(bins).max(1);
    for b in 0..bins {
        let from = b * width;
        let rate = series.points.iter().take_while(|p| p.0.as_micros() <= from).last().map_or(0.0, |p| p.1);
        let _ = writeln!(out, "  {:>12} s  {:>12}", short(from as f64 / 1e6), short(rate));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::tasks::{GpuRequest, TraceTask};

    fn task(submit_s: u64, job: u64, instances: u32, duration_s: Option<u64>) -> TraceTask {
        TraceTask {
            submit_us: submit_s * 1_000_000,
            job,
            task: 0,
            instances,
            duration_us: duration_s.map(|d| d * 1_000_000),
            cpu: 0.5,
            memory: 1e9,
            gpu: GpuRequest::NONE,
            priority: 2,
            class: 1,
            outcome: Outcome::Finished,
            depends_on: Vec::new(),
        }
    }

    #[test]
    fn quantiles_are_nearest_rank_on_sorted_values() {
        let q = quantiles((1..=11).rev().map(f64::from).collect()).unwrap();
        assert_eq!(q, [1.0, 2.0, 4.0, 6.0, 10.0, 11.0, 11.0]);
        assert_eq!(quantiles(Vec::new()), None);
    }

    #[test]
    fn arrivals_are_counted_per_bin_over_the_span() {
        let trace = TaskTrace { tasks: vec![task(0, 1, 2, Some(5)), task(5, 2, 1, None), task(10, 3, 4, Some(1))], ..TaskTrace::default() };
        assert_eq!(arrivals_over_time(&trace, 2), [(0.0, 1, 2), (5.0, 2, 5)]);
        let report = task_report(&trace, "native");
        assert!(report.contains("3 jobs, 3 tasks, 7 instances (pods)"), "{report}");
        assert!(report.contains("1 tasks without an end"), "{report}");
        assert!(report.contains("outcomes (tasks): finished: 3"), "{report}");
    }

    #[test]
    fn a_trace_at_one_instant_reports_no_rate() {
        let trace = TaskTrace { tasks: vec![task(5, 1, 1, Some(5)), task(5, 2, 3, None)], ..TaskTrace::default() };
        assert_eq!(arrivals_over_time(&trace, 12), [(5.0, 2, 4)]);
        let report = task_report(&trace, "native");
        assert!(report.contains("submissions all at 5 s of trace time (a span of 0 s: no rate over time)"), "{report}");
        assert!(!report.contains("tasks/s"), "{report}");
        // One task a second over 2 s (three tasks: 1.5 a second on average).
        let spread = TaskTrace { tasks: vec![task(0, 1, 1, None), task(1, 2, 1, None), task(2, 3, 1, None)], ..TaskTrace::default() };
        let report = task_report(&spread, "native");
        assert!(report.contains("submissions from 0 s to 2 s of trace time (0.00 h; 1.5 tasks/s on average)"), "{report}");
        // A series whose data end at their start: its rate, no table over time.
        let series = RateSeries {
            points: vec![(crate::time::SimTime::ZERO, 10.0)],
            requests: 0.0,
            rows: 1,
            duration: crate::time::SimDuration::ZERO,
            bad_rows: Default::default(),
        };
        let report = rate_report(&series, "native-rate");
        assert!(report.contains("a span of 0 s): 10 requests/s from then on") && !report.contains("rate over time"), "{report}");
    }

    /// Streaming every fixture through `summarise` reports what the whole
    /// trace read into memory does, exactly: the fixtures are small.
    #[test]
    fn a_streamed_summary_equals_the_whole_read_on_every_fixture() {
        for (format, inputs) in crate::trace::test_files::batch_fixtures() {
            let streamed = summarise(format, &inputs, false).unwrap().report(format.name());
            let whole = task_report(&format.read(&inputs, false).unwrap(), format.name());
            assert_eq!(streamed, whole, "{}", format.name());
            assert!(!streamed.contains('≈'), "{streamed}");
        }
    }

    /// A native trace of `rows` tasks, task `k` submitted at `submit(k)` µs
    /// with priority `priority(k)`, in a file of `dir`.
    fn native(dir: &std::path::Path, rows: u64, submit: impl Fn(u64) -> u64, priority: impl Fn(u64) -> u64) -> TraceInputs {
        let mut text =
            String::from("submit_s,job,task,instances,duration_s,cpu,memory_bytes,gpus,gpu_milli,priority,class,outcome,depends_on\n");
        for k in 0..rows {
            let (submit, priority) = (submit(k) as f64 / 1e6, priority(k));
            let _ = writeln!(
                text,
                "{submit},{},{},{},{},0.5,{},0,0,{priority},0,finished,",
                k / 10,
                k % 10,
                1 + k % 3,
                k as f64 * 0.001,
                k % 7
            );
        }
        let tasks = crate::trace::test_files::write(dir, "tasks.csv", &text);
        TraceInputs { tasks, ..TraceInputs::default() }
    }

    /// Past the submission times kept, the arrivals come from a second
    /// reading; past the exact limit, quantiles are marked approximate; past
    /// the priorities listed, their range is given. Everything else stays exact.
    #[test]
    fn a_large_trace_is_summarised_exactly_where_cheap_and_says_where_not() {
        let dir = tempfile::tempdir().unwrap();
        let rows = (SUBMISSION_TIMES_KEPT.max(Quantiles::EXACT_VALUES) + 100) as u64;
        // Submissions out of order, distinct; priorities distinct.
        let inputs = native(dir.path(), rows, |k| (k * 7_919) % rows * 1_000, |k| k);
        let whole = format_read(&inputs);
        let summary = summarise(TaskFormat::Native, &inputs, false).unwrap();
        assert!(summary.submissions.exact().is_none() && summary.binned.is_none(), "the arrivals need a second reading");
        assert_eq!(summary.arrivals, arrivals_over_time(&whole, ARRIVAL_BINS));
        let report = summary.report("native");
        let expected_head = format!(
            "format native: {rows} data rows read, 0 malformed rows skipped\n{} jobs, {rows} tasks, {} instances (pods)\n",
            rows.div_ceil(10),
            whole.instances()
        );
        assert!(report.starts_with(&expected_head), "{report}");
        assert!(
            report.contains("  duration (s) ≈ ") && report.contains("  cpu request      ") && report.contains("  instances        "),
            "{report}"
        );
        assert!(
            report
                .contains("(≈: over 65536 distinct values, p0 and p100 are exact and the other quantiles within 0.5 % of the exact ones)"),
            "{report}"
        );
        assert!(
            report.contains(&format!("priorities (tasks): more than {PRIORITIES_LISTED} distinct, from 0 to {}\n", rows - 1)),
            "{report}"
        );
        let durations = quantiles(whole.tasks.iter().filter_map(|t| t.duration_us).map(|d| d as f64 / 1e6).collect()).unwrap();
        let approximate = summary.durations.get().unwrap();
        assert_eq!((approximate[0], approximate[6]), (durations[0], durations[6]));
        for (a, d) in approximate.iter().zip(durations) {
            assert!((a - d).abs() <= Quantiles::RELATIVE_ERROR * d, "{a} vs {d}");
        }
        // The same trace in memory reports the same.
        assert_eq!(task_report(&whole, "native"), report);
    }

    /// Few distinct submission times (many tasks at each) need one reading only.
    #[test]
    fn few_submission_times_are_binned_without_a_second_reading() {
        let dir = tempfile::tempdir().unwrap();
        let inputs = native(dir.path(), 5_000, |k| k % 100 * 60_000_000, |k| k % 3);
        let whole = format_read(&inputs);
        let mut summary = TaskSummary::default();
        summary.read = TaskFormat::Native.read_into(&inputs, false, &mut summary).unwrap();
        summary.finish(|_| panic!("read again")).unwrap();
        assert_eq!(summary.arrivals, arrivals_over_time(&whole, ARRIVAL_BINS));
        assert_eq!(summary.report("native"), task_report(&whole, "native"));
    }

    /// Google's reader holds every task before delivering any, and tells
    /// their span first: the arrivals are binned as the tasks come.
    #[test]
    fn a_span_told_first_bins_the_arrivals_in_one_reading() {
        let (format, inputs) = crate::trace::test_files::batch_fixtures().swap_remove(1);
        assert_eq!(format, TaskFormat::Google2011);
        let mut summary = TaskSummary::default();
        summary.read = format.read_into(&inputs, false, &mut summary).unwrap();
        assert!(summary.binned.is_some());
        // As if past the submission times kept.
        summary.submissions = Capped::new(0);
        summary.submissions.update(0, |_| {});
        assert!(summary.submissions.exact().is_none());
        summary.finish(|_| panic!("read again")).unwrap();
        assert_eq!(summary.arrivals, arrivals_over_time(&format.read(&inputs, false).unwrap(), ARRIVAL_BINS));
    }

    fn format_read(inputs: &TraceInputs) -> TaskTrace {
        TaskFormat::Native.read(inputs, false).unwrap()
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(short(0.0), "0");
        assert_eq!(short(12.5), "12.5");
        assert_eq!(short(1_352_804_107.0), "1.353e9");
        assert_eq!(short(0.0625), "0.0625");
    }
}
