//! Nodes: capacity, labels, taints, requested resources and the image cache.

use std::collections::BTreeMap;

use crate::model::image::ImageId;
use crate::model::resources::Resources;
use crate::model::taint::Taint;
use crate::time::{SimDuration, SimTime};

/// Index of a node in the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

impl NodeId {
    /// As a vector index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One node (machine) of the cluster.
///
/// `requested` and `non_zero_requested` are kept up to date incrementally on
/// every bind and release, as kube-scheduler's `NodeInfo` does: nothing ever
/// rescans the pods of a node.
#[derive(Clone, Debug)]
pub struct Node {
    /// `group-index`, e.g. `general-17`.
    pub name: String,
    /// Index of the scenario node group this node came from.
    pub group: u32,
    /// Value of the `topology.kubernetes.io/zone` label.
    pub zone: String,
    /// All labels, including the zone and hostname labels.
    pub labels: BTreeMap<String, String>,
    /// Taints (NoSchedule, PreferNoSchedule, NoExecute).
    pub taints: Vec<Taint>,
    /// Allocatable resources.
    pub allocatable: Resources,
    /// Kubelet's `maxPods` (110 by default).
    pub max_pods: u32,
    /// Sum of the real requests of the pods bound here.
    pub requested: Resources,
    /// Sum of the non-zero requests (100 m / 200 MiB for empty requests), used
    /// by the scoring plugins.
    pub non_zero_requested: Resources,
    /// Pods bound here (pulling, starting or running).
    pub pod_count: u32,
    /// Image pull bandwidth in bytes per second.
    pub pull_bandwidth: u64,
    /// Fixed latency of every pull (registry round trips, unpacking).
    pub pull_latency: SimDuration,
    /// When the node's puller is free again: pulls are serialized per node
    /// (kubelet's `serializeImagePulls`, default true).
    pub puller_free_at: SimTime,
    /// For each image, when it is (or will be) present on the node; `None` if
    /// never pulled. Indexed by [`ImageId`].
    pub image_ready_at: Vec<Option<SimTime>>,
    /// Removed from the cluster (scaled down); kept so ids stay stable.
    pub removed: bool,
    /// The machine runs. A failed node runs nothing, but the control plane
    /// only learns of it after its detection time.
    pub up: bool,
    /// The control plane's view: false once it has declared the node lost
    /// (Kubernetes' NotReady, with the unreachable taints).
    pub ready: bool,
    /// Cordoned (`kubectl cordon`, a drain, a spot reclaim notice).
    pub cordoned: bool,
    /// When the machine went down, while it is down.
    pub down_since: Option<SimTime>,
    /// Thousandths in use of each GPU opened for sharing (pods that ask for a
    /// share of one GPU, as in Alibaba's GPU-v2023 trace). A GPU holding any
    /// share counts as one requested GPU, so whole-GPU pods never land on it;
    /// an entry at 0 is a GPU given back, reused before another is opened.
    pub gpu_shares: Vec<u16>,
}

impl Node {
    /// An empty node in service named `name`, of pool `group`, with
    /// `allocatable`, `max_pods`, no label or taint, instant image pulls and
    /// `images` image slots, none pulled: what a scenario's node group and
    /// tests refine.
    pub fn new(name: String, group: u32, allocatable: Resources, max_pods: u32, images: usize) -> Node {
        Node {
            name,
            group,
            zone: String::new(),
            labels: BTreeMap::new(),
            taints: vec![],
            allocatable,
            max_pods,
            requested: Resources::ZERO,
            non_zero_requested: Resources::ZERO,
            pod_count: 0,
            pull_bandwidth: 0,
            pull_latency: SimDuration::ZERO,
            puller_free_at: SimTime::ZERO,
            image_ready_at: vec![None; images],
            removed: false,
            up: true,
            ready: true,
            cordoned: false,
            down_since: None,
            gpu_shares: Vec::new(),
        }
    }

    /// Whether new pods may be bound here (kube-scheduler's NodeUnschedulable
    /// filter): in service, ready (not declared lost) and not cordoned or
    /// draining.
    pub fn schedulable(&self) -> bool {
        !self.removed && self.ready && !self.cordoned
    }

    /// Resources not yet requested by bound pods.
    pub fn free(&self) -> Resources {
        self.allocatable.saturating_sub(&self.requested)
    }

    /// Whether a pod asking `share` thousandths of one GPU fits: on a shared
    /// GPU with room left, or on a GPU nobody uses.
    pub fn gpu_share_fits(&self, share: u16) -> bool {
        share == 0 || self.gpu_shares.iter().any(|&used| used > 0 && used + share <= 1000) || self.free().gpu >= 1
    }

    /// Places a share of `share` thousandths (which must fit): on the fullest
    /// shared GPU with room (best fit, keeping whole GPUs free for whole-GPU
    /// pods, as GPU-sharing schedulers bin-pack), else on a GPU nobody uses.
    /// Returns the GPU's index in [`gpu_shares`](Self::gpu_shares) and whether
    /// it opened a GPU (one more requested GPU).
    pub fn take_gpu_share(&mut self, share: u16) -> (u16, bool) {
        let best = (0..self.gpu_shares.len())
            .filter(|&i| self.gpu_shares[i] > 0 && self.gpu_shares[i] + share <= 1000)
            .max_by_key(|&i| (self.gpu_shares[i], std::cmp::Reverse(i)));
        if let Some(i) = best {
            self.gpu_shares[i] += share;
            return (i as u16, false);
        }
        debug_assert!(self.free().gpu >= 1, "{}: no GPU for a share of {share}", self.name);
        let i = match self.gpu_shares.iter().position(|&used| used == 0) {
            Some(i) => i,
            None => {
                self.gpu_shares.push(0);
                self.gpu_shares.len() - 1
            }
        };
        self.gpu_shares[i] = share;
        self.requested.gpu += 1;
        (i as u16, true)
    }

    /// Gives back a share taken with [`take_gpu_share`](Self::take_gpu_share);
    /// returns whether its GPU is now unused (one fewer requested GPU).
    pub fn return_gpu_share(&mut self, gpu: u16, share: u16) -> bool {
        let used = &mut self.gpu_shares[gpu as usize];
        *used -= share;
        if *used == 0 {
            self.requested.gpu -= 1;
        }
        *used == 0
    }

    /// Whether `image` is fully present on the node at `now`.
    pub fn has_image(&self, image: ImageId, now: SimTime) -> bool {
        matches!(self.image_ready_at.get(image.0 as usize), Some(Some(t)) if *t <= now)
    }

    /// When a pod bound at `now` that needs `image` (of `size` bytes) can start
    /// its containers, and whether that requires a new pull. A present image is
    /// ready at once; an image being pulled is waited for (never pulled twice);
    /// an absent one is pulled after the pulls already queued on this node:
    /// `start = max(now, puller free) ; ready = start + latency + size / bandwidth`.
    /// Updates the image cache and the puller.
    pub fn acquire_image(&mut self, image: ImageId, size: u64, now: SimTime) -> (SimTime, bool) {
        let slot = &mut self.image_ready_at[image.0 as usize];
        if let Some(ready) = *slot {
            return (ready.max(now), false);
        }
        let start = self.puller_free_at.max(now);
        let transfer = SimDuration::from_micros(transfer_micros(size, self.pull_bandwidth));
        let ready = start + self.pull_latency + transfer;
        *slot = Some(ready);
        self.puller_free_at = ready;
        (ready, true)
    }
}

/// `size / bandwidth` in microseconds, rounded up, in integers (no float drift).
fn transfer_micros(size: u64, bandwidth: u64) -> u64 {
    if bandwidth == 0 {
        return 0;
    }
    let us = (size as u128 * 1_000_000).div_ceil(bandwidth as u128);
    us.min(u64::MAX as u128) as u64
}

/// Builders shared by unit tests across modules.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// An untainted node with `cpu_milli` and `memory_bytes`, 100 MiB/s pulls
    /// with 0.5 s latency, and two image slots.
    pub(crate) fn node(cpu_milli: u64, memory_bytes: u64) -> Node {
        Node {
            zone: "a".into(),
            pull_bandwidth: 100 << 20,
            pull_latency: SimDuration::from_millis(500),
            ..Node::new("n-0".into(), 0, Resources { cpu_milli, memory_bytes, gpu: 0 }, 110, 2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> Node {
        tests_support::node(4000, 8 << 30)
    }

    #[test]
    fn pull_time_is_latency_plus_size_over_bandwidth_and_serialized() {
        let mut n = node();
        let t0 = SimTime::from_secs(10);
        // 200 MiB at 100 MiB/s = 2 s, plus 0.5 s latency.
        let (ready, pulled) = n.acquire_image(ImageId(0), 200 << 20, t0);
        assert!(pulled);
        assert_eq!(ready, SimTime::from_micros(12_500_000));
        // A second image waits for the first pull: serialized.
        let (ready2, _) = n.acquire_image(ImageId(1), 100 << 20, t0);
        assert_eq!(ready2, SimTime::from_micros(14_000_000));
    }

    #[test]
    fn second_pod_of_same_image_does_not_pull() {
        let mut n = node();
        let (ready, _) = n.acquire_image(ImageId(0), 200 << 20, SimTime::ZERO);
        // While the pull is in flight, a second pod waits for the same pull.
        assert_eq!(n.acquire_image(ImageId(0), 200 << 20, SimTime::from_secs(1)), (ready, false));
        assert!(!n.has_image(ImageId(0), SimTime::from_secs(1)));
        // After it, the image is cached: ready at once.
        let later = SimTime::from_secs(100);
        assert_eq!(n.acquire_image(ImageId(0), 200 << 20, later), (later, false));
        assert!(n.has_image(ImageId(0), later));
    }

    #[test]
    fn gpu_shares_pack_best_fit_and_a_shared_gpu_counts_as_requested() {
        let mut n = node();
        n.allocatable.gpu = 2;
        assert_eq!(n.take_gpu_share(500), (0, true));
        assert_eq!(n.requested.gpu, 1);
        // 300 fits beside the 500: no new GPU.
        assert_eq!(n.take_gpu_share(300), (0, false));
        // 400 does not fit on GPU 0 (800 used): it opens GPU 1.
        assert_eq!(n.take_gpu_share(400), (1, true));
        assert_eq!(n.requested.gpu, 2);
        // Best fit: 200 goes to the fuller GPU 0 (800 used), not GPU 1 (400).
        assert_eq!(n.take_gpu_share(200), (0, false));
        assert_eq!(n.gpu_shares, [1000, 400]);
        assert!(n.gpu_share_fits(600) && !n.gpu_share_fits(700), "GPU 1 has 600 left and no GPU is unused");
        // GPU 1 emptied is given back, and reused before a new one is opened.
        assert!(n.return_gpu_share(1, 400));
        assert_eq!(n.requested.gpu, 1);
        assert!(n.gpu_share_fits(1000) && n.free().gpu == 1);
        assert_eq!(n.take_gpu_share(100), (1, true));
        assert!(!n.return_gpu_share(0, 500));
        assert_eq!(n.gpu_shares, [500, 100]);
    }
}
