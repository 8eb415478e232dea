//! # orchsim — a deterministic simulator of container orchestration
//!
//! orchsim replays how a cluster manager (Kubernetes, Borg, Docker Swarm,
//! Apache Mesos) places and scales containers, without a cluster. A run is a
//! discrete-event simulation:
//!
//! * a **cluster** of [`model::Node`]s with multi-resource capacity, labels,
//!   taints and an image cache;
//! * **workloads** that submit batch jobs whose tasks become [`model::Pod`]s;
//! * a **scheduler** policy ([`policy::scheduler::Scheduler`]) that binds pods to
//!   nodes, fed by Kubernetes' scheduling queue ([`scheduling_queue`]);
//! * **metrics** ([`metrics`]) written as CSV ([`report`]) and charts ([`plot`]);
//! * **traces** ([`trace`]): streaming readers of recorded traces, such as the
//!   request-rate series that drive autoscaling.
//!
//! Runs are deterministic: time is integer microseconds ([`time`]), events at
//! one instant run in a defined order ([`engine::queue`]), and every source of
//! randomness has its own seeded stream ([`engine::rng`]). The same scenario and
//! seed give byte-identical output.
//!
//! Start from [`Scenario::load`] (or [`Scenario::quickstart`]) and
//! [`Simulation::run`].
#![warn(missing_docs, unreachable_pub)]

#[cfg(feature = "cli")]
pub mod cli;
pub mod controller;
pub mod engine;
pub mod event;
pub mod explain;
pub mod metrics;
pub mod model;
#[cfg(feature = "charts")]
pub mod plot;
pub mod policy;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod scheduling_queue;
pub mod simulation;
pub mod sweep;
pub mod time;
pub mod trace;

pub use runner::{run_to_dir, RunError, RunOptions};
pub use scenario::Scenario;
pub use simulation::{RunOutput, SimError, Simulation};
