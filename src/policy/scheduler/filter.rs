//! Node filters shared by every scheduler: a pod may only go where its requests
//! fit, the pod limit is not reached and every hard taint is tolerated.

use crate::model::taint::{is_tolerated, TaintEffect};
use crate::model::{Node, Pod};

/// Why a node was rejected, as a bit set (a node can fail several ways at once,
/// and kube-scheduler reports each: "2 Insufficient cpu, 1 Insufficient memory").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rejection(u16);

impl Rejection {
    /// Not enough free CPU.
    pub const CPU: Rejection = Rejection(1);
    /// Not enough free memory.
    pub const MEMORY: Rejection = Rejection(2);
    /// Not enough free GPUs.
    pub const GPU: Rejection = Rejection(4);
    /// The node already runs `maxPods` pods.
    pub const TOO_MANY_PODS: Rejection = Rejection(8);
    /// A NoSchedule/NoExecute taint the pod does not tolerate.
    pub const TAINT: Rejection = Rejection(16);
    /// The node selector or required node affinity does not match.
    pub const NODE_AFFINITY: Rejection = Rejection(32);
    /// A DoNotSchedule topology spread constraint would be violated.
    pub const TOPOLOGY_SPREAD: Rejection = Rejection(64);
    /// A required pod affinity or anti-affinity term does not hold.
    pub const POD_AFFINITY: Rejection = Rejection(128);
    /// The node takes no new pods: removed, cordoned or draining (NodeUnschedulable).
    pub const NODE_UNSCHEDULABLE: Rejection = Rejection(256);

    /// No reason: the node passes.
    pub fn is_none(self) -> bool {
        self.0 == 0
    }
    /// Whether `reason` is among the reasons.
    pub fn has(self, reason: Rejection) -> bool {
        self.0 & reason.0 != 0
    }
}

/// How many nodes each filter rejected in one scheduling attempt.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FilterCounts {
    /// Nodes examined.
    pub examined: u32,
    /// Rejected for CPU.
    pub insufficient_cpu: u32,
    /// Rejected for memory.
    pub insufficient_memory: u32,
    /// Rejected for GPUs.
    pub insufficient_gpu: u32,
    /// Rejected for the pod count limit.
    pub too_many_pods: u32,
    /// Rejected for an untolerated taint.
    pub untolerated_taint: u32,
    /// Rejected by the node selector or required node affinity.
    pub node_affinity_mismatch: u32,
    /// Rejected by a DoNotSchedule topology spread constraint.
    pub topology_spread_violation: u32,
    /// Rejected by a required pod affinity or anti-affinity term.
    pub pod_affinity_violation: u32,
    /// Rejected because the node takes no new pods (removed, cordoned, draining).
    pub node_unschedulable: u32,
    /// Passed the filters but rejected by the policy's own rule (e.g. Swarm's
    /// resource check on totals).
    pub rejected_by_policy: u32,
}

impl FilterCounts {
    /// Counts one examined node and its rejection reasons.
    pub fn record(&mut self, r: Rejection) {
        self.record_times(r, 1);
    }

    /// Counts `times` examined nodes, each rejected for the reasons `r`.
    pub fn record_times(&mut self, r: Rejection, times: u32) {
        self.examined += times;
        self.insufficient_cpu += r.has(Rejection::CPU) as u32 * times;
        self.insufficient_memory += r.has(Rejection::MEMORY) as u32 * times;
        self.insufficient_gpu += r.has(Rejection::GPU) as u32 * times;
        self.too_many_pods += r.has(Rejection::TOO_MANY_PODS) as u32 * times;
        self.untolerated_taint += r.has(Rejection::TAINT) as u32 * times;
        self.node_affinity_mismatch += r.has(Rejection::NODE_AFFINITY) as u32 * times;
        self.topology_spread_violation += r.has(Rejection::TOPOLOGY_SPREAD) as u32 * times;
        self.pod_affinity_violation += r.has(Rejection::POD_AFFINITY) as u32 * times;
        self.node_unschedulable += r.has(Rejection::NODE_UNSCHEDULABLE) as u32 * times;
    }
}

/// [`FilterCounts`] gathered for a pass over many nodes: nodes rejected only
/// for free resources and the pod count, nearly all of them in a full
/// cluster, are tallied by their set of reasons (one increment instead of ten
/// per node) and spread over the counts once at the end.
#[derive(Clone, Copy, Debug, Default)]
pub struct RejectionTally {
    /// By reason set, for sets of the four resource reasons only (bits 0–3).
    resource_only: [u32; 16],
    /// Nodes rejected for any other reason.
    others: FilterCounts,
}

impl RejectionTally {
    /// Counts one examined node and its rejection reasons.
    #[inline(always)]
    pub fn record(&mut self, r: Rejection) {
        match self.resource_only.get_mut(r.0 as usize) {
            Some(n) => *n += 1,
            None => self.others.record(r),
        }
    }

    /// Takes back one [`record`](Self::record) of `r` (a node whose
    /// rejection is being replaced).
    #[inline(always)]
    pub fn unrecord(&mut self, r: Rejection) {
        match self.resource_only.get_mut(r.0 as usize) {
            Some(n) => *n -= 1,
            None => {
                let c = &mut self.others;
                c.examined -= 1;
                for (reason, count) in [
                    (Rejection::CPU, &mut c.insufficient_cpu),
                    (Rejection::MEMORY, &mut c.insufficient_memory),
                    (Rejection::GPU, &mut c.insufficient_gpu),
                    (Rejection::TOO_MANY_PODS, &mut c.too_many_pods),
                    (Rejection::TAINT, &mut c.untolerated_taint),
                    (Rejection::NODE_AFFINITY, &mut c.node_affinity_mismatch),
                    (Rejection::TOPOLOGY_SPREAD, &mut c.topology_spread_violation),
                    (Rejection::POD_AFFINITY, &mut c.pod_affinity_violation),
                    (Rejection::NODE_UNSCHEDULABLE, &mut c.node_unschedulable),
                ] {
                    *count -= r.has(reason) as u32;
                }
            }
        }
    }

    /// The counts of every node recorded.
    pub fn counts(&self) -> FilterCounts {
        let mut c = self.others;
        for (bits, &times) in self.resource_only.iter().enumerate() {
            c.record_times(Rejection(bits as u16), times);
        }
        c
    }
}

/// Whether `node` passes every filter other than free resources and pod
/// count (today: taints), for the scheduling queue's hints.
pub fn check_except_resources(pod: &Pod, node: &Node) -> bool {
    !has_untolerated_hard_taint(pod, node) && (pod.placement.is_empty() || pod.placement.allows(&node.labels))
}

fn has_untolerated_hard_taint(pod: &Pod, node: &Node) -> bool {
    node.taints.iter().any(|t| t.effect != TaintEffect::PreferNoSchedule && !is_tolerated(t, &pod.tolerations))
}

/// Runs the filters of kube-scheduler that apply to the model: NodeResourcesFit
/// (real requests, not the non-zero ones; pod count against `maxPods`),
/// TaintToleration (NoSchedule and NoExecute must be tolerated) and
/// NodeAffinity (node selector and required terms).
///
/// Runs for every examined node of every attempt, so the common path (resources
/// and pod count) stays small enough to inline; taints and node rules, which
/// most nodes and pods lack, are checked out of line behind emptiness tests.
#[inline]
pub fn check(pod: &Pod, node: &Node) -> Rejection {
    let mut r = resource_bits(pod, node);
    if !node.taints.is_empty() || !pod.placement.is_empty() {
        r |= check_rules(pod, node);
    }
    Rejection(r)
}

/// NodeResourcesFit's filter alone: free resources and pod count. What a
/// binding must never violate whatever the profile (the others are policy).
#[inline]
pub fn check_resources(pod: &Pod, node: &Node) -> Rejection {
    Rejection(resource_bits(pod, node))
}

#[inline(always)]
fn resource_bits(pod: &Pod, node: &Node) -> u16 {
    let mut r = 0u16;
    if !node.schedulable() {
        r |= Rejection::NODE_UNSCHEDULABLE.0;
    }
    let free = node.free();
    if node.pod_count >= node.max_pods {
        r |= Rejection::TOO_MANY_PODS.0;
    }
    if pod.requests.cpu_milli > free.cpu_milli {
        r |= Rejection::CPU.0;
    }
    if pod.requests.memory_bytes > free.memory_bytes {
        r |= Rejection::MEMORY.0;
    }
    if pod.requests.gpu > free.gpu || !node.gpu_share_fits(pod.gpu_share) {
        r |= Rejection::GPU.0;
    }
    r
}

/// Which optional filters [`check_some`] runs; NodeResourcesFit always runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilterSet {
    /// TaintToleration (NoSchedule and NoExecute taints).
    pub taints: bool,
    /// NodeAffinity (node selector and required terms).
    pub node_affinity: bool,
}

impl FilterSet {
    /// Every filter: what [`check`] runs.
    pub const ALL: FilterSet = FilterSet { taints: true, node_affinity: true };
}

/// [`check`] for profiles that disable TaintToleration or NodeAffinity: only
/// the filters in `set` beside the resource fit. Kept apart so the common
/// path, [`check`], carries no extra tests.
#[inline(never)]
pub fn check_some(pod: &Pod, node: &Node, set: FilterSet) -> Rejection {
    let mut r = resource_bits(pod, node);
    if set.taints && !node.taints.is_empty() && has_untolerated_hard_taint(pod, node) {
        r |= Rejection::TAINT.0;
    }
    if set.node_affinity && !pod.placement.is_empty() && !pod.placement.allows(&node.labels) {
        r |= Rejection::NODE_AFFINITY.0;
    }
    Rejection(r)
}

/// The taint and node-rule filters (out of line: see [`check`]).
#[inline(never)]
fn check_rules(pod: &Pod, node: &Node) -> u16 {
    let mut r = 0u16;
    if has_untolerated_hard_taint(pod, node) {
        r |= Rejection::TAINT.0;
    }
    if !pod.placement.is_empty() && !pod.placement.allows(&node.labels) {
        r |= Rejection::NODE_AFFINITY.0;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_counts_as_recording_each_node() {
        // Every reason set of the nine bits, some several times, in a scrambled order.
        let (mut tally, mut each) = (RejectionTally::default(), FilterCounts::default());
        for i in 0..3000u32 {
            let r = Rejection((i.wrapping_mul(2_654_435_761) >> 7) as u16 & 0x1ff);
            tally.record(r);
            each.record(r);
        }
        assert_eq!(tally.counts(), each);
        assert_eq!(RejectionTally::default().counts(), FilterCounts::default());
        // Taking every record back leaves nothing.
        for i in 0..3000u32 {
            tally.unrecord(Rejection((i.wrapping_mul(2_654_435_761) >> 7) as u16 & 0x1ff));
        }
        assert_eq!(tally.counts(), FilterCounts::default());
    }
}
