//! A small cluster driven by one placement policy, one pod at a time, as the
//! Swarm suites need: nodes with labels, pods of a service (workload class),
//! and where each pending pod lands.

use orchsim::model::{Cluster, ImageSpec, Node, NodeId, Pod, PodId, PodPhase, PodTemplate, Resources};
use orchsim::policy::scheduler::{ClusterView, Placement, Scheduler};
use orchsim::time::{SimDuration, SimTime};

pub const GB: u64 = 1_000_000_000;

/// A ready node `name` with `cpu_milli`, `memory_bytes` and `labels`.
pub fn node(name: &str, cpu_milli: u64, memory_bytes: u64, labels: &[(&str, &str)]) -> Node {
    let mut node = Node::new(name, Resources { cpu_milli, memory_bytes, gpu: 0 }, 1);
    node.labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    node.max_pods = 10_000;
    node
}

/// A cluster and the policy placing its pods.
pub struct World<S: Scheduler> {
    pub cluster: Cluster,
    pub scheduler: S,
}

impl<S: Scheduler> World<S> {
    pub fn new(nodes: Vec<Node>, scheduler: S) -> Self {
        World { cluster: Cluster::new(nodes, vec![ImageSpec { name: "v:1".into(), size_bytes: 1 }]), scheduler }
    }

    /// Adds a node (a node joining the cluster).
    pub fn add_node(&mut self, node: Node) {
        self.cluster.add_node(node);
    }

    /// The node named `name`.
    pub fn id(&self, name: &str) -> NodeId {
        NodeId(self.cluster.nodes.iter().position(|n| n.name == name).unwrap_or_else(|| panic!("no node {name}")) as u32)
    }

    /// Submits `count` pending pods of `service` requesting `requests`.
    pub fn submit(&mut self, service: u32, count: usize, requests: Resources) -> Vec<PodId> {
        let template = PodTemplate::new(service, requests);
        (0..count)
            .map(|_| {
                let id = PodId(self.cluster.pods.len() as u32);
                self.cluster.submit(Pod::pending(id, service, id.0, &template, None, SimDuration::ZERO, SimTime::ZERO))
            })
            .collect()
    }

    /// Submits and binds `count` pods of `service` on `node` (tasks already
    /// running there).
    pub fn run_on(&mut self, service: u32, count: usize, requests: Resources, node: &str) {
        let node = self.id(node);
        for id in self.submit(service, count, requests) {
            self.cluster.bind(id, node, SimTime::ZERO);
        }
    }

    /// Offers every pending pod to the policy, oldest first, and binds it where
    /// the policy says; returns each pod's node name (`None`: unschedulable).
    pub fn schedule_pending(&mut self) -> Vec<(PodId, Option<String>)> {
        let pending: Vec<PodId> = self.cluster.pods.iter().filter(|p| p.phase == PodPhase::Pending).map(|p| p.id).collect();
        pending
            .into_iter()
            .map(|id| {
                let placement = self.scheduler.schedule(self.cluster.pod(id), &ClusterView::new(&self.cluster, SimTime::ZERO));
                match placement {
                    Placement::Bind(node) => {
                        self.cluster.bind(id, node, SimTime::ZERO);
                        (id, Some(self.cluster.node(node).name.clone()))
                    }
                    _ => (id, None),
                }
            })
            .collect()
    }

    /// Pods of `service` bound to `node`.
    pub fn tasks_on(&self, service: u32, node: &str) -> usize {
        let id = self.id(node);
        self.cluster.pods_on(id).iter().filter(|&&p| self.cluster.pod(p).workload == service).count()
    }
}

/// `Err` naming what differs unless `got == want`.
pub fn expect_eq<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}
