//! Builders for the kube-scheduler suites: nodes, pods and clusters built
//! through orchsim's public model, in the shape of upstream's `st.MakeNode()`
//! / `st.MakePod()` test helpers.
//!
//! Upstream's pods have containers; an orchsim pod is one container. A pod
//! whose containers all set their requests is expressed by the sums (the
//! scheduler only ever reads the sums), and upstream's `st.MakePod().Obj()`,
//! a pod *without containers*, requests nothing at all, not even the scoring
//! defaults: it is a pod whose requests are explicitly 0.

use std::collections::BTreeMap;
use std::sync::Arc;

use orchsim::engine::{stream_rng, StreamId};
use orchsim::model::affinity::NodePlacement;
use orchsim::model::{Cluster, ImageId, ImageSpec, Node, NodeId, Pod, PodId, PodTemplate, Resources, Toleration, UnsetRequests};
use orchsim::policy::scheduler::kubernetes::{KubernetesParams, KubernetesScheduler, NodeScores, TieBreak};
use orchsim::policy::scheduler::{ClusterView, Placement, Scheduler};
use orchsim::time::{SimDuration, SimTime};

/// One request of a pod: set (possibly to 0), or left unset.
#[derive(Clone, Copy, Debug)]
pub enum Req {
    Set(u64),
    Unset,
}

/// A ready, untainted node with `allocatable` (cpu millis, memory bytes, GPUs).
pub fn node(name: &str, cpu_milli: u64, memory_bytes: u64, gpu: u64) -> Node {
    Node {
        zone: "zone-a".into(),
        labels: BTreeMap::from([("kubernetes.io/hostname".to_string(), name.to_string())]),
        ..Node::new(name, Resources { cpu_milli, memory_bytes, gpu }, 1)
    }
}

/// A pod template with these requests (GPUs are always set).
pub fn template(cpu: Req, memory: Req, gpu: u64) -> PodTemplate {
    let value = |r| match r {
        Req::Set(v) => v,
        Req::Unset => 0,
    };
    let requests = Resources { cpu_milli: value(cpu), memory_bytes: value(memory), gpu };
    PodTemplate {
        workload: 0,
        requests,
        unset_requests: UnsetRequests { cpu: matches!(cpu, Req::Unset), memory: matches!(memory, Req::Unset) },
        limits: requests,
        priority: 0,
        image: ImageId(0),
        tolerations: Arc::from(Vec::<Toleration>::new()),
        placement: Arc::new(NodePlacement::default()),
        gpu_share: 0,
    }
}

/// A pending pod of `template` with id `id`.
pub fn pod_of(id: u32, template: &PodTemplate) -> Pod {
    Pod::pending(PodId(id), 0, id, template, Some(SimDuration::from_secs(1)), SimDuration::ZERO, SimTime::ZERO)
}

/// A pod with explicit cpu / memory requests and `gpu` GPUs.
pub fn pod(cpu_milli: u64, memory_bytes: u64, gpu: u64) -> Pod {
    pod_of(u32::MAX, &template(Req::Set(cpu_milli), Req::Set(memory_bytes), gpu))
}

/// `st.MakePod().Obj()`: no containers, so nothing requested.
pub fn empty_pod() -> Pod {
    pod(0, 0, 0)
}

/// A cluster of `nodes` (one 10 MiB image) with `existing` pods bound: (node
/// index, the pod's template).
pub fn cluster(nodes: Vec<Node>, existing: &[(usize, PodTemplate)]) -> Cluster {
    let images = vec![ImageSpec { name: "image:1".into(), size_bytes: 10 << 20 }];
    let mut c = Cluster::new(nodes, images);
    for (i, (node, t)) in existing.iter().enumerate() {
        let id = c.submit(pod_of(i as u32, t));
        c.bind(id, NodeId(*node as u32), SimTime::ZERO);
    }
    c
}

/// A bound pod in a table: (node index, cpu millis, memory bytes, GPUs), requests set.
pub type Existing = (usize, u64, u64, u64);

/// A cluster of nodes `node1`, `node2`, … of (cpu millis, memory bytes, GPUs)
/// with `existing` pods bound.
pub fn cluster_of(nodes: &[(u64, u64, u64)], existing: &[Existing]) -> Cluster {
    let nodes = nodes.iter().enumerate().map(|(i, &(c, m, g))| node(&format!("node{}", i + 1), c, m, g)).collect();
    let existing: Vec<_> = existing.iter().map(|&(n, c, m, g)| (n, template(Req::Set(c), Req::Set(m), g))).collect();
    cluster(nodes, &existing)
}

/// The kubernetes scheduler (default profile, first-node tie-break) deciding
/// for `pod` on `c`: its placement and the per-plugin scores of the nodes it
/// examined, by node index (normalized when more than one node passed the
/// filters).
pub fn decide(c: &Cluster, pod: &Pod) -> (Placement, Vec<NodeScores>) {
    let params = KubernetesParams { tie_break: TieBreak::First, ..Default::default() };
    let mut s = KubernetesScheduler::new(params, stream_rng(1, 0, StreamId::SCHEDULER));
    let placement = s.schedule(pod, &ClusterView::new(c, SimTime::ZERO));
    let mut scores = s.last_scores().to_vec();
    scores.sort_by_key(|x| x.node);
    (placement, scores)
}

/// `Ok` when `got == want`, else a message naming both.
pub fn expect<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}
