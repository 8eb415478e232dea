//! First fit: the first node, in index order, that passes the filters.

use super::filter::{check, FilterCounts};
use super::{ClusterView, Placement, Scheduler};
use crate::model::{NodeId, Pod};

/// The first-fit scheduler.
pub struct FirstFit;

impl Scheduler for FirstFit {
    fn name(&self) -> &'static str {
        "first-fit"
    }

    fn schedule(&mut self, pod: &Pod, view: &ClusterView<'_>) -> Placement {
        let mut counts = FilterCounts::default();
        for (i, node) in view.nodes().iter().enumerate() {
            let r = check(pod, node);
            if r.is_none() {
                return Placement::Bind(NodeId(i as u32));
            }
            counts.record(r);
        }
        Placement::Unschedulable(counts)
    }
}
