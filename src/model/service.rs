//! Long-running services (Deployments): a pod template, a replica count kept
//! by a ReplicaSet controller, and request load served by the ready replicas.
//!
//! Serving model: the load balancer spreads the offered requests evenly over
//! the ready replicas. A replica serves `capacity_rps` at its CPU request and
//! may burst to its CPU limit (`capacity_rps · limit/request`); its CPU usage
//! is proportional to what it serves. What exceeds the ready capacity is
//! dropped, or, with `overflow = "queue"`, the replicas form an M/M/c queue
//! whose mean response time is reported (requests beyond a stable queue are
//! still dropped).

use std::sync::Arc;

use crate::model::affinity::NodePlacement;
use crate::model::disruption::DisruptionBudget;
use crate::model::image::ImageId;
use crate::model::load::LoadSpec;
use crate::model::queueing::mmc_response_time;
use crate::model::resources::Resources;
use crate::model::taint::Toleration;
use crate::scenario::dist::Dist;
use crate::time::SimDuration;

/// What happens to requests beyond what the ready replicas can serve.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Overflow {
    /// Dropped at once (a load balancer with no queue, or a 503).
    #[default]
    Drop,
    /// Queued: latency from the M/M/c formula; dropped only when the queue
    /// is unstable (offered ≥ capacity).
    Queue,
}

/// The service level objective a service is judged against, per load tick.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Slo {
    /// Fewest served/offered requests (0.99 by default).
    pub min_success_ratio: f64,
    /// Longest mean response time (queue mode only); `None`: no latency objective.
    pub max_latency: Option<SimDuration>,
}

impl Default for Slo {
    fn default() -> Self {
        Slo { min_success_ratio: 0.99, max_latency: None }
    }
}

/// A service as the scenario defines it.
#[derive(Clone, Debug)]
pub struct ServiceSpec {
    /// Name, unique among workloads.
    pub name: String,
    /// Replicas at the start (and always, without an autoscaler).
    pub replicas: u32,
    /// Container image.
    pub image: ImageId,
    /// Requests of each replica.
    pub requests: Resources,
    /// Limits of each replica.
    pub limits: Resources,
    /// Container startup until Ready, after the image is present (µs).
    pub startup: Dist,
    /// Pod priority.
    pub priority: i32,
    /// Tolerations.
    pub tolerations: Arc<[Toleration]>,
    /// Node selector, node and pod affinity, topology spread.
    pub placement: Arc<NodePlacement>,
    /// PodDisruptionBudget over its replicas.
    pub disruption_budget: Option<DisruptionBudget>,
    /// Requests/s one replica serves at its CPU request.
    pub capacity_rps: f64,
    /// Memory used by a replica, as a fraction of its request.
    pub memory_utilization: f64,
    /// The offered load.
    pub load: LoadSpec,
    /// Beyond capacity: drop or queue.
    pub overflow: Overflow,
    /// The objective.
    pub slo: Slo,
}

impl ServiceSpec {
    /// Most requests/s one replica serves: at its CPU limit.
    pub fn max_rps_per_replica(&self) -> f64 {
        if self.requests.cpu_milli == 0 {
            return self.capacity_rps;
        }
        self.capacity_rps * self.limits.cpu_milli.max(self.requests.cpu_milli) as f64 / self.requests.cpu_milli as f64
    }

    /// CPU (millicores) a replica uses serving `rps`.
    pub fn cpu_for(&self, rps: f64) -> f64 {
        if self.capacity_rps <= 0.0 {
            return 0.0;
        }
        rps / self.capacity_rps * self.requests.cpu_milli as f64
    }
}

/// How `offered` requests/s fare on `ready` replicas of at most `per_replica`
/// requests/s each.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Traffic {
    /// Requests/s arriving.
    pub offered: f64,
    /// Requests/s served.
    pub served: f64,
    /// Requests/s dropped.
    pub dropped: f64,
    /// Mean response time in seconds (queue mode, stable queue).
    pub latency_s: Option<f64>,
}

impl Traffic {
    /// Serves `offered` with `ready` replicas.
    pub fn serve(offered: f64, ready: u32, per_replica: f64, overflow: Overflow) -> Traffic {
        let capacity = ready as f64 * per_replica;
        let served = offered.min(capacity);
        let latency_s = match overflow {
            Overflow::Drop => None,
            Overflow::Queue => mmc_response_time(ready, offered, per_replica),
        };
        Traffic { offered, served, dropped: offered - served, latency_s }
    }

    /// `offered` requests/s spread evenly over `endpoints` replicas of which
    /// only `serving` run: the load balancer keeps sending a dead replica its
    /// share until the control plane takes it out of the endpoints, and that
    /// share is dropped.
    pub fn serve_endpoints(offered: f64, endpoints: u32, serving: u32, per_replica: f64, overflow: Overflow) -> Traffic {
        let alive = serving.min(endpoints);
        if alive == endpoints {
            return Traffic::serve(offered, alive, per_replica, overflow);
        }
        let reaching = if endpoints == 0 { 0.0 } else { offered * alive as f64 / endpoints as f64 };
        let t = Traffic::serve(reaching, alive, per_replica, overflow);
        Traffic { offered, served: t.served, dropped: offered - t.served, latency_s: t.latency_s }
    }

    /// Whether the tick meets `slo`. A tick with no load meets it.
    pub fn meets(&self, slo: &Slo, overflow: Overflow) -> bool {
        let ratio_ok = self.offered <= 0.0 || self.served / self.offered >= slo.min_success_ratio;
        let latency_ok = match (overflow, slo.max_latency) {
            (Overflow::Queue, Some(max)) => self.offered <= 0.0 || self.latency_s.is_some_and(|l| l <= max.as_secs_f64()),
            _ => true,
        };
        ratio_ok && latency_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_endpoints_drop_their_share() {
        // 4 endpoints, 1 on a failed node: a quarter of the load is lost even
        // though the other three could serve it all.
        let t = Traffic::serve_endpoints(300.0, 4, 3, 1000.0, Overflow::Drop);
        assert_eq!((t.served, t.dropped), (225.0, 75.0));
        assert_eq!(Traffic::serve_endpoints(300.0, 4, 4, 1000.0, Overflow::Drop), Traffic::serve(300.0, 4, 1000.0, Overflow::Drop));
        assert_eq!(Traffic::serve_endpoints(300.0, 0, 0, 1000.0, Overflow::Drop).dropped, 300.0);
    }

    #[test]
    fn excess_load_is_dropped() {
        let t = Traffic::serve(250.0, 2, 100.0, Overflow::Drop);
        assert_eq!((t.served, t.dropped, t.latency_s), (200.0, 50.0, None));
        assert!(!t.meets(&Slo::default(), Overflow::Drop));
        let t = Traffic::serve(150.0, 2, 100.0, Overflow::Drop);
        assert_eq!((t.served, t.dropped), (150.0, 0.0));
        assert!(t.meets(&Slo::default(), Overflow::Drop));
        assert_eq!(Traffic::serve(10.0, 0, 100.0, Overflow::Drop).dropped, 10.0, "no ready replica serves nothing");
    }

    #[test]
    fn queued_load_has_the_mmc_latency() {
        // M/M/1 at 50 % load: response time 1/(mu − lambda) = 1/50 s.
        let t = Traffic::serve(50.0, 1, 100.0, Overflow::Queue);
        assert!((t.latency_s.unwrap() - 0.02).abs() < 1e-12);
        let slo = Slo { min_success_ratio: 0.99, max_latency: Some(SimDuration::from_millis(15)) };
        assert!(!t.meets(&slo, Overflow::Queue), "20 ms > 15 ms");
        let unstable = Traffic::serve(150.0, 1, 100.0, Overflow::Queue);
        assert_eq!((unstable.latency_s, unstable.dropped), (None, 50.0));
    }
}
