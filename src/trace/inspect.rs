//! `orchsim trace inspect`: what a trace holds, so that a user can check an
//! import before replaying it — rows, jobs, tasks, time span, arrivals over
//! time, and the distributions of durations, requests and priorities.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::request_rate::RateSeries;
use super::tasks::{Outcome, Scale, TaskTrace};

/// Quantiles reported for every distribution.
pub const QUANTILES: [f64; 7] = [0.0, 0.1, 0.25, 0.5, 0.9, 0.99, 1.0];

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

fn quantile_row(out: &mut String, name: &str, values: Vec<f64>) {
    let _ = match quantiles(values) {
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

/// Arrivals per bin over the trace's span: `bins` equal bins from the first to
/// the last submission, as (bin start in s, tasks, pods); one bin when every
/// task is submitted at the same instant (a span of 0 has no parts).
pub fn arrivals_over_time(trace: &TaskTrace, bins: usize) -> Vec<(f64, u64, u64)> {
    let (Some(first), Some(last)) = (trace.tasks.first(), trace.tasks.last()) else { return Vec::new() };
    let span = last.submit_us - first.submit_us;
    let bins = if span == 0 { 1 } else { bins };
    let width = span.div_ceil(bins as u64).max(1);
    let mut out: Vec<(f64, u64, u64)> = (0..bins as u64).map(|b| ((first.submit_us + b * width) as f64 / 1e6, 0, 0)).collect();
    for t in &trace.tasks {
        let b = (((t.submit_us - first.submit_us) / width) as usize).min(bins - 1);
        out[b].1 += 1;
        out[b].2 += t.instances as u64;
    }
    out
}

/// The report on a batch trace.
pub fn task_report(trace: &TaskTrace, format: &str) -> String {
    let mut out = String::new();
    let tasks = &trace.tasks;
    let _ = writeln!(out, "format {format}: {} data rows read, {} malformed rows skipped", trace.rows, trace.bad_rows.count);
    for example in &trace.bad_rows.examples {
        let _ = writeln!(out, "  skipped: {example}");
    }
    let _ = writeln!(out, "{} jobs, {} tasks, {} instances (pods)", trace.jobs(), tasks.len(), trace.instances());
    if let (Some(first), Some(last)) = (tasks.first(), tasks.last()) {
        let span = (last.submit_us - first.submit_us) as f64 / 1e6;
        let (from, to) = (short(first.submit_us as f64 / 1e6), short(last.submit_us as f64 / 1e6));
        // A rate needs time to pass: over a span of 0 it would be a division by (nearly) zero.
        let _ = if span > 0.0 {
            let rate = short(tasks.len() as f64 / span);
            writeln!(out, "submissions from {from} s to {to} s of trace time ({:.2} h; {rate} tasks/s on average)", span / 3600.0)
        } else {
            writeln!(out, "submissions all at {from} s of trace time (a span of 0 s: no rate over time)")
        };
        let _ = writeln!(out, "\narrivals over time (bin start in trace seconds):");
        let _ = writeln!(out, "  {:>14} {:>10} {:>12}", "from_s", "tasks", "pods");
        for (start, n, pods) in arrivals_over_time(trace, 12) {
            let _ = writeln!(out, "  {:>14} {n:>10} {pods:>12}", short(start));
        }
    }
    let _ = writeln!(out, "\ndistributions (per task) {}", QUANTILES.map(|q| format!("{:>12}", format!("p{}", q * 100.0))).join(""));
    let ended: Vec<f64> = tasks.iter().filter_map(|t| t.duration_us).map(|d| d as f64 / 1e6).collect();
    let open = tasks.len() - ended.len();
    quantile_row(&mut out, "duration (s)", ended);
    let cpu_unit = unit(trace.units.cpu, "cores");
    let memory_unit = unit(trace.units.memory, "bytes");
    quantile_row(&mut out, "cpu request", tasks.iter().map(|t| t.cpu).collect());
    quantile_row(&mut out, "memory request", tasks.iter().map(|t| t.memory).collect());
    quantile_row(&mut out, "instances", tasks.iter().map(|t| t.instances as f64).collect());
    let _ =
        writeln!(out, "  (cpu in {cpu_unit}; memory in {memory_unit}; {open} tasks without an end in the trace are left out of durations)");
    let counts = |key: &dyn Fn(&super::TraceTask) -> i32| {
        let mut map: BTreeMap<i32, u64> = BTreeMap::new();
        for t in tasks {
            *map.entry(key(t)).or_default() += 1;
        }
        map.into_iter().map(|(k, n)| format!("{k}: {n}")).collect::<Vec<_>>().join(", ")
    };
    let _ = writeln!(out, "\npriorities (tasks): {}", counts(&|t| t.priority));
    let _ = writeln!(out, "classes (tasks): {}", counts(&|t| t.class.into()));
    let outcome_counts: Vec<String> = Outcome::ALL
        .iter()
        .map(|o| (o, tasks.iter().filter(|t| t.outcome == *o).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(o, n)| format!("{}: {n}", o.name()))
        .collect();
    let _ = writeln!(out, "outcomes (tasks): {}", outcome_counts.join(", "));
    let gpu = tasks.iter().filter(|t| t.gpu.count > 0).count();
    if gpu > 0 {
        let shared = tasks.iter().filter(|t| t.gpu.count > 0 && t.gpu.milli < 1000).count();
        let _ = writeln!(out, "GPU tasks: {gpu} ({shared} share a GPU, {} CPU-only)", tasks.len() - gpu);
    }
    let with_dag = tasks.iter().filter(|t| !t.depends_on.is_empty()).count();
    if with_dag > 0 {
        let _ = writeln!(out, "DAG: {with_dag} tasks depend on others of their job");
    }
    if !trace.machines.is_empty() {
        let m = &trace.machines;
        let gpus: u64 = m.iter().map(|m| m.gpus as u64).sum();
        let _ = writeln!(
            out,
            "\nmachines: {} ({} with GPUs, {gpus} GPUs; {} join later, {} leave)",
            m.len(),
            m.iter().filter(|m| m.gpus > 0).count(),
            m.iter().filter(|m| m.added_us > 0).count(),
            m.iter().filter(|m| m.removed_us.is_some()).count()
        );
        let mut shapes: BTreeMap<(String, String, u32, &str), u64> = BTreeMap::new();
        for m in m {
            *shapes.entry((short(m.cpu), short(m.memory), m.gpus, m.gpu_model.as_str())).or_default() += 1;
        }
        let mut shapes: Vec<_> = shapes.into_iter().collect();
        shapes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
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

    #[test]
    fn numbers_are_short() {
        assert_eq!(short(0.0), "0");
        assert_eq!(short(12.5), "12.5");
        assert_eq!(short(1_352_804_107.0), "1.353e9");
        assert_eq!(short(0.0625), "0.0625");
    }
}
