//! Autoscalers: policies that change how many pods (or nodes) there are.
//!
//! The algorithms are pure functions over what the controller sees, so they
//! can be tested against the reference vectors on their own; the simulation
//! feeds them lagged metrics and applies their decisions.

pub mod cluster_autoscaler;
pub mod hpa;
pub mod vpa;
