//! Pluggable policies. A policy reads a read-only view of the cluster and returns
//! a decision value; the simulation applies it. Policies never mutate the world.

pub mod autoscaler;
pub mod failure;
pub mod scheduler;
