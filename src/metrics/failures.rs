//! Failure metrics: the log of failure events (`failure_events.csv`), what
//! failures cost batch work (`batch_summary.csv`) and the cluster totals that
//! go into `summary.csv`.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::time::SimTime;

/// One row of `failure_events.csv`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FailureEvent {
    /// Simulated time, seconds.
    pub time_s: f64,
    /// What happened: `node-down`, `node-lost`, `node-up`, `outage`,
    /// `outage-end`, `cordon`, `uncordon`, `drain`, `nodes-added`, `crash`,
    /// `oom-kill`, `pod-evicted`, `job-failed`, `spot-notice`, `spot-reclaim`,
    /// `script-no-match` (a scripted event found no node in service).
    ///
    /// A `Cow` so that the simulation logs its fixed names without allocating
    /// (`Cow::Borrowed`) while rows read back from a CSV file
    /// ([`crate::plot::run_charts_from_csv`]) own theirs; the CSV text is the same.
    pub kind: Cow<'static, str>,
    /// The node, zone, pod or job.
    pub target: String,
    /// Details: the cause, the workload, the restart delay.
    pub detail: String,
}

/// One row of `batch_summary.csv`: what failures cost one batch class.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BatchSummary {
    /// Workload class.
    pub workload: String,
    /// Pods submitted.
    pub pods: u64,
    /// Pods finished.
    pub pods_completed: u64,
    /// Times a task was killed by a failure (crash, OOM kill, lost node).
    pub tasks_lost: u64,
    /// Times a lost task was tried again.
    pub tasks_retried: u64,
    /// CPU-seconds of running work thrown away by failures (request × time run).
    pub lost_cpu_seconds: f64,
    /// Jobs given up on after their retry limit.
    pub jobs_failed: u64,
}

/// Cluster-wide failure counts, kept as the run goes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FailureTotals {
    /// Node failures (a node going down; an outage counts each node).
    pub node_failures: u64,
    /// Node-microseconds spent down, closed intervals only (see [`FailureTotals::downtime_s`]).
    pub node_down_us: u128,
    /// Pods evicted or deleted because their node was lost or reclaimed.
    pub pods_lost: u64,
    /// Pods evicted by drains (voluntary disruptions).
    pub evictions: u64,
    /// Container crashes (OOM kills included).
    pub crashes: u64,
    /// Of which OOM kills.
    pub oom_kills: u64,
    /// Container restarts in place and task replacements after failures.
    pub restarts: u64,
    /// Per batch class (indexed like the scenario's `[[batch]]`).
    pub batch: Vec<BatchSummary>,
}

impl FailureTotals {
    /// Node-seconds down at `now`, counting nodes still down since `down_since`.
    pub fn downtime_s(&self, now: SimTime, still_down: impl Iterator<Item = SimTime>) -> f64 {
        let open: u128 = still_down.map(|since| now.saturating_since(since).as_micros() as u128).sum();
        (self.node_down_us + open) as f64 / 1e6
    }

    /// Batch tasks lost, over every class.
    pub fn tasks_lost(&self) -> u64 {
        self.batch.iter().map(|b| b.tasks_lost).sum()
    }

    /// Batch retries, over every class.
    pub fn tasks_retried(&self) -> u64 {
        self.batch.iter().map(|b| b.tasks_retried).sum()
    }

    /// Jobs failed, over every class.
    pub fn jobs_failed(&self) -> u64 {
        self.batch.iter().map(|b| b.jobs_failed).sum()
    }

    /// Batch CPU-seconds lost to failures, over every class.
    pub fn lost_cpu_seconds(&self) -> f64 {
        self.batch.iter().map(|b| b.lost_cpu_seconds).sum()
    }
}
