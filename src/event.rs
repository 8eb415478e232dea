//! The closed set of simulation events. One enum, matched exhaustively: adding
//! an event makes the compiler show every place that must handle it.

use crate::engine::Phase;
use crate::model::{NodeId, PodId};

/// Everything that can happen in a run. Kept at 8 bytes so the event heap
/// moves little memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The next job of batch workload class `workload` arrives.
    JobArrival {
        /// Index of the workload class.
        workload: u32,
    },
    /// An image pull completed on a node.
    ImagePulled {
        /// The node.
        node: NodeId,
        /// The image (`ImageId` narrowed to keep the event at 8 bytes;
        /// scenarios hold at most 65,536 images).
        image: u16,
    },
    /// A bound pod's containers are running.
    PodStarted {
        /// The pod.
        pod: PodId,
    },
    /// A running batch pod completed.
    PodFinished {
        /// The pod.
        pod: PodId,
    },
    /// backoffQ flush (every 1 s while backoffQ is not empty).
    BackoffFlush,
    /// Unschedulable-timeout flush (every 30 s while pods are unschedulable).
    UnschedulableFlush,
    /// The scheduler pops pods from activeQ until it is empty.
    SchedulingCycle,
    /// A metrics sample.
    Sample,
    /// A service's offered load changes (every load tick).
    LoadTick {
        /// The service index.
        service: u32,
    },
    /// metrics-server scrapes every pod (every 15 s).
    MetricsScrape,
    /// A service's replica autoscaler syncs.
    AutoscalerSync {
        /// The service index.
        service: u32,
    },
    /// A service's VPA updater runs (`RunOnce`, every minute, in the
    /// `Recreate` and `Auto` modes).
    VpaUpdate {
        /// The service index.
        service: u32,
    },
    /// The node autoscaler scans.
    NodeScan,
    /// A provisioned node of `pool` joins the cluster.
    NodeJoined {
        /// The node group index.
        pool: u32,
    },
    /// A provisioning of `pool` did not complete within the longest wait.
    ProvisionFailed {
        /// The node group index.
        pool: u32,
    },
    /// A node fails under node-failure model `model`.
    NodeFailed {
        /// The node.
        node: NodeId,
        /// Index of the `[[failures.nodes]]` model.
        model: u16,
    },
    /// A node failed under model `model` is repaired.
    NodeRepaired {
        /// The node.
        node: NodeId,
        /// Index of the `[[failures.nodes]]` model.
        model: u16,
    },
    /// The control plane declares a silent node lost (Kubernetes: NotReady
    /// after the node monitor grace period).
    NodeLost {
        /// The node.
        node: NodeId,
    },
    /// An outage of `[[failures.outages]]` entry `model` starts.
    OutageStarted {
        /// The outage model.
        model: u32,
    },
    /// The current outage of `model` ends.
    OutageEnded {
        /// The outage model.
        model: u32,
    },
    /// `[[failures.script]]` entry `index` happens.
    Scripted {
        /// The entry.
        index: u32,
    },
    /// The timed effect of script entry `index` ends (repair, uncordon).
    ScriptUndone {
        /// The entry.
        index: u32,
    },
    /// A running pod's container crashes (or is OOM-killed).
    PodCrashed {
        /// The pod.
        pod: PodId,
    },
    /// The taint manager evicts a pod of a lost node (its toleration ran out).
    PodEvicted {
        /// The pod.
        pod: PodId,
    },
    /// A failed pod's replacement is created after its backoff.
    PodRequeued {
        /// The pod.
        pod: PodId,
    },
    /// A drain retries the evictions its disruption budgets blocked (every 5 s).
    DrainRetry {
        /// The node.
        node: NodeId,
    },
    /// The provider warns that a spot node will be reclaimed.
    SpotNotice {
        /// The node.
        node: NodeId,
    },
    /// The provider takes a spot node back.
    SpotReclaimed {
        /// The node.
        node: NodeId,
    },
}

impl Event {
    /// Where the event runs within one instant: world changes, then queue
    /// housekeeping, then scheduling, then observation.
    pub fn phase(&self) -> Phase {
        match self {
            Event::JobArrival { .. }
            | Event::ImagePulled { .. }
            | Event::PodStarted { .. }
            | Event::PodFinished { .. }
            | Event::LoadTick { .. }
            | Event::NodeJoined { .. }
            | Event::ProvisionFailed { .. }
            | Event::NodeFailed { .. }
            | Event::NodeRepaired { .. }
            | Event::NodeLost { .. }
            | Event::OutageStarted { .. }
            | Event::OutageEnded { .. }
            | Event::Scripted { .. }
            | Event::ScriptUndone { .. }
            | Event::PodCrashed { .. }
            | Event::PodEvicted { .. }
            | Event::PodRequeued { .. }
            | Event::SpotNotice { .. }
            | Event::SpotReclaimed { .. } => Phase::STATE,
            Event::MetricsScrape => Phase::SCRAPE,
            // A drain retry blocked by a budget for ever must not keep a run
            // without a duration alive: it is housekeeping, not a state change.
            Event::AutoscalerSync { .. } | Event::VpaUpdate { .. } | Event::NodeScan | Event::DrainRetry { .. } => Phase::CONTROL,
            Event::BackoffFlush | Event::UnschedulableFlush => Phase::QUEUE,
            Event::SchedulingCycle => Phase::SCHEDULE,
            Event::Sample => Phase::OBSERVE,
        }
    }

    /// Whether the event changes the world (as opposed to periodic housekeeping);
    /// a run with none of these left can make no more progress.
    pub fn changes_state(&self) -> bool {
        self.phase() == Phase::STATE
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn events_stay_small() {
        assert!(std::mem::size_of::<super::Event>() <= 8);
    }
}
