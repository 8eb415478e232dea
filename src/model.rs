//! The cluster model: nodes, container images, pods, jobs and the cluster state
//! with incremental resource accounting.

pub mod affinity;
pub mod cluster;
pub mod disruption;
pub mod free_index;
pub mod image;
pub mod label;
pub mod load;
pub mod node;
pub mod pod;
pub mod priority_usage;
pub mod queueing;
pub mod resources;
pub mod service;
pub mod taint;
pub mod workload;

pub use cluster::{BoundPod, Cluster, WorkloadUsage};
pub use disruption::{DisruptionBudget, PodCount};
pub use free_index::FreeIndex;
pub use image::{ImageId, ImageSpec};
pub use node::{Node, NodeId};
pub use pod::{Pod, PodId, PodPhase, PodTemplate};
pub use priority_usage::PriorityUsage;
pub use resources::{Resources, UnsetRequests};
pub use taint::{Taint, TaintEffect, Toleration, TolerationOperator};
