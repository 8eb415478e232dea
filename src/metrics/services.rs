//! Service and autoscaling metrics: per-service samples (`services.csv`),
//! scaling events (`scaling_events.csv`), per-service summaries
//! (`services_summary.csv`) and the exact time integrals behind them.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::service::{Overflow, Slo, Traffic};
use crate::time::SimTime;

/// One row of `services.csv`: a service at one sample time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
    /// Replicas Ready as the control plane sees them (the endpoints load is
    /// sent to). A replica on a failed node stays Ready until the failure
    /// is detected, dropping its share of the load meanwhile.
    pub replicas_ready: u32,
    /// Replicas actually running on a node that is up.
    pub replicas_serving: u32,
    /// Replicas that exist (pending, starting or ready).
    pub replicas_total: u32,
    /// CPU used by the ready replicas over their CPU requests.
    pub cpu_utilization: f64,
    /// The VPA's CPU target per replica, millicores (with a VPA).
    pub vpa_cpu_target_m: Option<f64>,
    /// The VPA's memory target per replica, MiB (with a VPA).
    pub vpa_memory_target_mib: Option<f64>,
    /// The VPA's CPU lower and upper bounds, millicores: widened while the
    /// history is short (the upper at 1e14 without one). Absent from the
    /// `services.csv` of earlier versions, which `orchsim plot` still reads.
    #[serde(default)]
    pub vpa_cpu_lower_m: Option<f64>,
    /// See `vpa_cpu_lower_m`.
    #[serde(default)]
    pub vpa_cpu_upper_m: Option<f64>,
    /// The VPA's memory lower and upper bounds, MiB.
    #[serde(default)]
    pub vpa_memory_lower_mib: Option<f64>,
    /// See `vpa_memory_lower_mib`.
    #[serde(default)]
    pub vpa_memory_upper_mib: Option<f64>,
    /// Replicas waiting for a node (not yet bound): with a node autoscaler,
    /// those that wait for a new node. The columns from here on are absent
    /// from the `services.csv` of earlier versions, which `orchsim plot`
    /// still reads (as 0 or empty).
    #[serde(default)]
    pub replicas_pending: u32,
    /// Requests dropped since the previous sample (0 in the first): exact,
    /// where `dropped_rps` is the rate at the sample time only and misses a
    /// short drop between samples.
    #[serde(default)]
    pub dropped_requests: f64,
    /// Seconds since the previous sample in which the service missed its SLO.
    #[serde(default)]
    pub slo_missed_s: f64,
    /// With an HPA on CPU utilization: the utilization it acts on, the mean
    /// over the replicas that metrics-server last reported (a 60 s window,
    /// scraped every 15 s) of CPU used over CPU requested, as a fraction
    /// (empty before the first report). It lags `cpu_utilization`, which is
    /// the utilization at the sample time.
    #[serde(default)]
    pub hpa_cpu_utilization: Option<f64>,
    /// The HPA's CPU utilization target, a fraction (0.6 for 60 %).
    #[serde(default)]
    pub hpa_cpu_target: Option<f64>,
    /// With an HPA on requests per pod: requests/s per replica as it acts on
    /// them (as `hpa_cpu_utilization`, from metrics-server's last report).
    #[serde(default)]
    pub hpa_rps_per_pod: Option<f64>,
    /// The HPA's requests/s per pod target.
    #[serde(default)]
    pub hpa_rps_per_pod_target: Option<f64>,
}

/// One row of `scaling_events.csv`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScalingEvent {
    /// Simulated time, seconds.
    pub time_s: f64,
    /// `replicas` (a service) or `nodes` (a pool or node). A `Cow` as
    /// [`FailureEvent::kind`](super::failures::FailureEvent::kind) is: fixed
    /// names logged without allocating, rows read back from a CSV file owning theirs.
    pub kind: Cow<'static, str>,
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
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
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
    /// Seconds with no serving replica.
    pub unavailable_s: f64,
    /// Fraction of the run with at least one serving replica.
    pub available_fraction: f64,
    /// Fraction of the run with every desired replica serving.
    pub fully_available_fraction: f64,
    /// Outages: periods with no serving replica after the service first served.
    pub outages: u32,
    /// Their total length, seconds (an outage still open at the end counts to the end).
    pub outage_s: f64,
    /// The longest, seconds.
    pub longest_outage_s: f64,
    /// Recoveries: a failure took serving replicas away and the service got
    /// back to every desired replica serving.
    pub recoveries: u32,
    /// Mean time from the failure to full recovery, seconds (empty without one).
    pub mean_recovery_s: Option<f64>,
    /// Longest time to recover, seconds (empty without a recovery).
    pub max_recovery_s: Option<f64>,
    /// Failures still not recovered from at the end of the run.
    pub unrecovered: u32,
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

/// A service's replica counts at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplicaCounts {
    /// Wanted (`spec.replicas`).
    pub desired: u32,
    /// Ready in the control plane's view.
    pub ready: u32,
    /// Actually serving.
    pub serving: u32,
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
    /// Counts since the last call to `advance`.
    counts: ReplicaCounts,
    total_us: u64,
    available_us: u64,
    full_us: u64,
    first_served: bool,
    outage_since: Option<SimTime>,
    outages: u32,
    outage_us: u64,
    longest_outage_us: u64,
    degraded_since: Option<SimTime>,
    recovery_us: Vec<u64>,
    /// Replica scale-ups and scale-downs decided.
    pub scale_ups: u32,
    /// See `scale_ups`.
    pub scale_downs: u32,
}

impl ServiceStats {
    /// Integrates `traffic` and the replica counts held since the last call
    /// up to `now`, then takes `counts` as the counts from `now` on.
    pub fn advance(&mut self, now: SimTime, traffic: &Traffic, counts: ReplicaCounts, slo: &Slo, overflow: Overflow) {
        self.integrate(now, traffic, slo, overflow);
        self.observe(now, counts);
    }

    /// A failure took serving replicas away at `now`: the time to recover
    /// counts from here (unless a recovery is already under way).
    pub fn failure_hit(&mut self, now: SimTime) {
        self.degraded_since.get_or_insert(now);
    }

    /// Outage and recovery transitions at `now`.
    fn observe(&mut self, now: SimTime, counts: ReplicaCounts) {
        self.counts = counts;
        let serving = counts.serving;
        if serving > 0 {
            self.first_served = true;
            if let Some(since) = self.outage_since.take() {
                self.close_outage(now - since);
            }
        } else if self.first_served && self.outage_since.is_none() {
            self.outage_since = Some(now);
            self.outages += 1;
        }
        if serving >= counts.desired {
            if let Some(since) = self.degraded_since.take() {
                self.recovery_us.push((now - since).as_micros());
            }
        }
    }

    fn close_outage(&mut self, length: crate::time::SimDuration) {
        let us = length.as_micros();
        self.outage_us += us;
        self.longest_outage_us = self.longest_outage_us.max(us);
    }

    /// Requests dropped from the start to `now`, `traffic` being the traffic
    /// since the last call to [`advance`](Self::advance). Leaves the
    /// integrals as they are: integrating at sample times too would round
    /// them differently.
    pub fn dropped_until(&self, now: SimTime, traffic: &Traffic) -> f64 {
        self.dropped + traffic.dropped * now.saturating_since(self.last).as_micros() as f64 / 1e6
    }

    /// Microseconds from the start to `now` in which the SLO was missed, as
    /// [`dropped_until`](Self::dropped_until) counts.
    pub fn slo_violation_until(&self, now: SimTime, traffic: &Traffic, slo: &Slo, overflow: Overflow) -> u64 {
        let pending = if traffic.meets(slo, overflow) { 0 } else { now.saturating_since(self.last).as_micros() };
        self.slo_violation_us + pending
    }

    /// Closes the integrals at the end of the run.
    pub fn finish(&mut self, end: SimTime, traffic: &Traffic, slo: &Slo, overflow: Overflow) {
        self.integrate(end, traffic, slo, overflow);
        if let Some(since) = self.outage_since.take() {
            self.close_outage(end.saturating_since(since));
        }
    }

    fn integrate(&mut self, now: SimTime, traffic: &Traffic, slo: &Slo, overflow: Overflow) {
        let us = now.saturating_since(self.last).as_micros();
        if us == 0 {
            return;
        }
        let (ready, c) = (self.counts.ready, self.counts);
        self.total_us += us;
        if c.serving > 0 {
            self.available_us += us;
        }
        if c.serving >= c.desired {
            self.full_us += us;
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
        if c.serving == 0 {
            self.unavailable_us += us;
        }
        *self.ready_time.entry(ready).or_insert(0) += us;
        self.last = now;
    }

    /// The summary row.
    pub fn summary(&self, service: &str, autoscaler: &str, overflow: Overflow) -> ServiceSummary {
        let total: u64 = self.ready_time.values().sum();
        let fraction = |us: u64| if self.total_us == 0 { 1.0 } else { us as f64 / self.total_us as f64 };
        let recoveries = self.recovery_us.len() as u32;
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
            available_fraction: fraction(self.available_us),
            fully_available_fraction: fraction(self.full_us),
            outages: self.outages,
            outage_s: self.outage_us as f64 / 1e6,
            longest_outage_s: self.longest_outage_us as f64 / 1e6,
            recoveries,
            mean_recovery_s: (recoveries > 0).then(|| self.recovery_us.iter().sum::<u64>() as f64 / recoveries as f64 / 1e6),
            max_recovery_s: self.recovery_us.iter().max().map(|&us| us as f64 / 1e6),
            unrecovered: self.degraded_since.is_some() as u32,
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
        let counts = |n| ReplicaCounts { desired: 2, ready: n, serving: n };
        // 100 s at 2 ready serving everything, then 10 s at 0 ready.
        let idle = Traffic::serve(0.0, 0, 100.0, Overflow::Drop);
        s.advance(t(0), &idle, counts(2), &slo, Overflow::Drop);
        s.advance(t(100), &Traffic::serve(50.0, 2, 100.0, Overflow::Drop), counts(0), &slo, Overflow::Drop);
        s.finish(t(110), &Traffic::serve(50.0, 0, 100.0, Overflow::Drop), &slo, Overflow::Drop);
        let sum = s.summary("web", "hpa", Overflow::Drop);
        assert_eq!((sum.available_fraction, sum.fully_available_fraction), (100.0 / 110.0, 100.0 / 110.0));
        assert_eq!((sum.outages, sum.outage_s, sum.longest_outage_s), (1, 10.0, 10.0), "an outage open at the end counts to the end");
        assert_eq!((sum.requests, sum.served, sum.dropped), (5500.0, 5000.0, 500.0));
        assert_eq!((sum.slo_violation_s, sum.unavailable_s), (10.0, 10.0));
        assert!((sum.replicas_mean - 200.0 / 110.0).abs() < 1e-12);
        assert_eq!(sum.replicas_p95, 2, "0 ready for 9 % of the time only");
    }

    #[test]
    fn outages_and_recoveries_are_timed_from_the_failure() {
        let mut s = ServiceStats::default();
        let (slo, t, idle) = (Slo::default(), SimTime::from_secs, Traffic::serve(0.0, 0, 1.0, Overflow::Drop));
        let at = |s: &mut ServiceStats, secs, serving| {
            s.advance(t(secs), &idle, ReplicaCounts { desired: 3, ready: serving, serving }, &slo, Overflow::Drop)
        };
        // Starting up is neither an outage nor a recovery.
        at(&mut s, 0, 0);
        at(&mut s, 20, 3);
        // A node failure takes 2 of 3 away at 100 s; back at 160 s.
        s.failure_hit(t(100));
        at(&mut s, 100, 1);
        at(&mut s, 130, 2);
        at(&mut s, 160, 3);
        // A zone outage takes all 3 at 200 s: an outage of 50 s, recovered at 300 s.
        s.failure_hit(t(200));
        at(&mut s, 200, 0);
        at(&mut s, 250, 1);
        at(&mut s, 300, 3);
        s.finish(t(400), &idle, &slo, Overflow::Drop);
        let sum = s.summary("web", "", Overflow::Drop);
        assert_eq!((sum.outages, sum.outage_s), (1, 50.0));
        assert_eq!((sum.recoveries, sum.mean_recovery_s, sum.max_recovery_s), (2, Some(80.0), Some(100.0)));
        assert_eq!(sum.unrecovered, 0);
        assert_eq!(sum.available_fraction, (400.0 - 20.0 - 50.0) / 400.0);
        assert_eq!(sum.fully_available_fraction, (400.0 - 20.0 - 60.0 - 100.0) / 400.0);
    }
}
