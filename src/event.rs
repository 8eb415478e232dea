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
            | Event::ProvisionFailed { .. } => Phase::STATE,
            Event::MetricsScrape => Phase::SCRAPE,
            Event::AutoscalerSync { .. } | Event::NodeScan => Phase::CONTROL,
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
