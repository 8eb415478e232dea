//! Service and autoscaling metrics: per-service samples (`services.csv`),
//! scaling events (`scaling_events.csv`), per-service summaries
//! (`services_summary.csv`) and the exact time integrals behind them.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::service::{Overflow, Slo, Traffic};
use crate::time::SimTime;

/// One row of `services.csv`: a service at one sample time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServiceSample {
    /// Simulated time, seconds.
    pub time_s: f64,
    /// Service name.
    pub service: String,
    /// Offered requests/s.
    pub load_rps: f64,
    /// Served requests/s.
    pub served_rps: f64,
    /// Dropped requests/s.
    pub dropped_rps: f64,
    /// Mean response time, ms (queue mode with a stable queue; else empty).
    pub latency_ms: Option<f64>,
    /// Replicas wanted (the scale's `spec.replicas`).
    pub replicas_desired: u32,
    /// Replicas Ready (serving).
    pub replicas_ready: u32,
    /// Replicas that exist (pending, starting or ready).
    pub replicas_total: u32,
    /// CPU used by the ready replicas over their CPU requests.
    pub cpu_utilization: f64,
    /// The VPA's CPU target per replica, millicores (with a VPA).
    pub vpa_cpu_target_m: Option<f64>,
    /// The VPA's memory target per replica, MiB (with a VPA).
    pub vpa_memory_target_mib: Option<f64>,
}

/// One row of `scaling_events.csv`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScalingEvent {
    /// Simulated time, seconds.
    pub time_s: f64,
    /// `replicas` (a service) or `nodes` (a pool or node).
    pub kind: &'static str,
    /// The service, pool or node.
    pub target: String,
    /// Count before.
    pub from: u32,
    /// Count after.
    pub to: u32,
    /// The policy that decided.
    pub policy: String,
    /// Why.
    pub reason: String,
}

/// One row of `services_summary.csv`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServiceSummary {
    /// Service name.
    pub service: String,
    /// Its replica autoscaler (empty without one).
    pub autoscaler: String,
    /// Requests offered over the run.
    pub requests: f64,
    /// Requests served.
    pub served: f64,
    /// Requests dropped.
    pub dropped: f64,
    /// served / offered (1 without load).
    pub success_ratio: f64,
    /// Seconds in which the SLO was not met.
    pub slo_violation_s: f64,
    /// Seconds with no ready replica.
    pub unavailable_s: f64,
    /// Time-weighted mean of ready replicas.
    pub replicas_mean: f64,
    /// Time-weighted 95th percentile of ready replicas.
    pub replicas_p95: u32,
    /// Replica scale-ups.
    pub scale_ups: u32,
    /// Replica scale-downs.
    pub scale_downs: u32,
    /// Mean response time of served requests, ms (queue mode).
    pub mean_latency_ms: Option<f64>,
}

/// Exact integrals of one service's traffic and replicas over time.
#[derive(Clone, Debug, Default)]
pub struct ServiceStats {
    last: SimTime,
    requests: f64,
    served: f64,
    dropped: f64,
    /// Σ latency · served · dt, for the request-weighted mean latency.
    latency_weighted: f64,
    slo_violation_us: u64,
    unavailable_us: u64,
    /// Time spent at each ready-replica count.
    ready_time: BTreeMap<u32, u64>,
    /// Replica scale-ups and scale-downs decided.
    pub scale_ups: u32,
    /// See `scale_ups`.
    pub scale_downs: u32,
}

impl ServiceStats {
    /// Integrates `traffic` with `ready` replicas from the last call to `now`.
    pub fn advance(&mut self, now: SimTime, traffic: &Traffic, ready: u32, slo: &Slo, overflow: Overflow) {
        let us = now.saturating_since(self.last).as_micros();
        if us == 0 {
            return;
        }
        let dt = us as f64 / 1e6;
        self.requests += traffic.offered * dt;
        self.served += traffic.served * dt;
        self.dropped += traffic.dropped * dt;
        if let Some(l) = traffic.latency_s {
            self.latency_weighted += l * traffic.served * dt;
        }
        if !traffic.meets(slo, overflow) {
            self.slo_violation_us += us;
        }
        if ready == 0 {
            self.unavailable_us += us;
        }
        *self.ready_time.entry(ready).or_insert(0) += us;
        self.last = now;
    }

    /// The summary row.
    pub fn summary(&self, service: &str, autoscaler: &str, overflow: Overflow) -> ServiceSummary {
        let total: u64 = self.ready_time.values().sum();
        let mean = if total == 0 { 0.0 } else { self.ready_time.iter().map(|(&r, &us)| r as f64 * us as f64).sum::<f64>() / total as f64 };
        // Time-weighted quantile: the smallest count held, with the counts
        // below it, for at least 95 % of the time.
        let mut acc = 0u64;
        let p95 = self.ready_time.iter().find(|(_, &us)| {
            acc += us;
            acc as f64 >= 0.95 * total as f64
        });
        ServiceSummary {
            service: service.to_string(),
            autoscaler: autoscaler.to_string(),
            requests: self.requests,
            served: self.served,
            dropped: self.dropped,
            success_ratio: if self.requests > 0.0 { self.served / self.requests } else { 1.0 },
            slo_violation_s: self.slo_violation_us as f64 / 1e6,
            unavailable_s: self.unavailable_us as f64 / 1e6,
            replicas_mean: mean,
            replicas_p95: p95.map_or(0, |(&r, _)| r),
            scale_ups: self.scale_ups,
            scale_downs: self.scale_downs,
            mean_latency_ms: (overflow == Overflow::Queue && self.served > 0.0).then(|| self.latency_weighted / self.served * 1000.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrals_weight_by_time() {
        let mut s = ServiceStats::default();
        let slo = Slo::default();
        let t = SimTime::from_secs;
        // 100 s at 2 ready serving everything, then 10 s at 0 ready.
        s.advance(t(100), &Traffic::serve(50.0, 2, 100.0, Overflow::Drop), 2, &slo, Overflow::Drop);
        s.advance(t(110), &Traffic::serve(50.0, 0, 100.0, Overflow::Drop), 0, &slo, Overflow::Drop);
        let sum = s.summary("web", "hpa", Overflow::Drop);
        assert_eq!((sum.requests, sum.served, sum.dropped), (5500.0, 5000.0, 500.0));
        assert_eq!((sum.slo_violation_s, sum.unavailable_s), (10.0, 10.0));
        assert!((sum.replicas_mean - 200.0 / 110.0).abs() < 1e-12);
        assert_eq!(sum.replicas_p95, 2, "0 ready for 9 % of the time only");
    }
}
