//! A small cluster with node pools for the Cluster Autoscaler suites, built
//! and scanned through orchsim's public API the way the simulation drives it.
//! Upstream's tests build `apiv1.Node`s and pods with `BuildTestNode` and
//! `BuildTestPod`; these are their counterparts.

use orchsim::engine::{stream_rng, StreamId};
use orchsim::model::{Cluster, ImageSpec, Node, NodeId, Pod, PodId, PodTemplate, Resources};
use orchsim::policy::autoscaler::cluster_autoscaler::{CaParams, ClusterAutoscaler};
use orchsim::policy::autoscaler::{NodeAction, NodeAutoscaler, NodeScalingView, PoolView};
use orchsim::time::{SimDuration, SimTime};

use crate::harness::Case;

/// A node of `cpu_milli` and `memory_bytes` allocatable, `max_pods`, in pool
/// `group`, ready and untainted.
pub fn node(cpu_milli: u64, memory_bytes: u64, max_pods: u32, group: u32) -> Node {
    let mut node = Node::new(format!("p{group}"), Resources { cpu_milli, memory_bytes, gpu: 0 }, 1);
    node.group = group;
    node.max_pods = max_pods;
    node.image_ready_at[0] = Some(SimTime::ZERO);
    node
}

/// A pool: its template node, `min` and `max`.
pub struct Pool {
    pub template: Node,
    pub min: u32,
    pub max: u32,
}

/// A cluster, its pools and the nodes asked for and not joined.
pub struct World {
    pub cluster: Cluster,
    pools: Vec<Pool>,
    names: Vec<String>,
}

impl World {
    pub fn new(pools: Vec<Pool>) -> Self {
        let names = (0..pools.len()).map(|i| format!("p{i}")).collect();
        let images = vec![ImageSpec { name: "app:1".into(), size_bytes: 0 }];
        World { cluster: Cluster::new(vec![], images), pools, names }
    }

    /// A node of `pool` (its template) that has joined.
    pub fn node(&mut self, pool: usize) -> NodeId {
        self.cluster.add_node(self.pools[pool].template.clone())
    }

    /// A pending pod requesting `cpu_milli` and `memory_bytes`.
    pub fn pending(&mut self, cpu_milli: u64, memory_bytes: u64) -> PodId {
        let template = PodTemplate::new(0, Resources { cpu_milli, memory_bytes, gpu: 0 });
        let id = PodId(self.cluster.pods.len() as u32);
        self.cluster.submit(Pod::pending(id, id.0, 0, &template, None, SimDuration::ZERO, SimTime::ZERO));
        id
    }

    /// A pod running on `on`.
    pub fn run(&mut self, cpu_milli: u64, memory_bytes: u64, on: NodeId) -> PodId {
        let id = self.pending(cpu_milli, memory_bytes);
        self.cluster.bind(id, on, SimTime::ZERO);
        self.cluster.start(id, SimTime::ZERO);
        id
    }

    /// Finishes a running pod at `now` seconds.
    pub fn finish(&mut self, pod: PodId, now: u64) {
        self.cluster.finish(pod, SimTime::from_secs(now));
    }

    /// One scan of `autoscaler` at `now` microseconds.
    pub fn scan_at(&self, autoscaler: &mut dyn NodeAutoscaler, now: SimTime, unschedulable: &[PodId]) -> Vec<NodeAction> {
        let pools: Vec<PoolView<'_>> = self
            .pools
            .iter()
            .enumerate()
            .map(|(i, p)| PoolView {
                name: &self.names[i],
                template: &p.template,
                min: p.min,
                max: p.max,
                price_per_hour: 1.0,
                priority: 0,
                nodes: self.cluster.live_nodes().filter(|(_, n)| n.group == i as u32).count() as u32,
                provisioning: 0,
            })
            .collect();
        let view = NodeScalingView { now, cluster: &self.cluster, pools: &pools, unschedulable };
        let mut actions = Vec::new();
        autoscaler.scan(&view, &mut actions);
        actions
    }

    /// One scan at `now` seconds, no pod pending.
    pub fn scan(&self, autoscaler: &mut dyn NodeAutoscaler, now: u64) -> Vec<NodeAction> {
        self.scan_at(autoscaler, SimTime::from_secs(now), &[])
    }
}

/// A Cluster Autoscaler with `params`.
pub fn ca(params: CaParams) -> ClusterAutoscaler {
    ClusterAutoscaler::new(params, stream_rng(1, 0, StreamId::autoscaler(0)))
}

/// The nodes the last scan of `a` found unneeded.
pub fn unneeded(a: &ClusterAutoscaler) -> Vec<NodeId> {
    a.unneeded().keys().copied().collect()
}

/// The nodes `actions` remove.
pub fn removed(actions: &[NodeAction]) -> Vec<NodeId> {
    actions.iter().filter_map(|a| if let NodeAction::Remove { node, .. } = a { Some(*node) } else { None }).collect()
}

/// `Err` naming `what` unless `got == want`.
pub fn expect<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}

/// One `Case::not_expressible` per row name of `names`, for the same reason.
pub fn not_expressible(source: &'static str, names: &[&str], why: &'static str) -> Vec<Case> {
    names.iter().map(|&name| Case::not_expressible(source, name, why)).collect()
}
