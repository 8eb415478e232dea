//! Integration tests: one binary, one module per concern.

mod autoscaling;
mod bad_input;
mod behaviour;
mod charts;
mod determinism;
mod failures;
mod invariants;
mod mesos;
mod outputs;
mod plugins;
mod pod_affinity;
mod preemption;
mod support;
mod swarmkit;
mod sweeps;
mod tools;
mod traces;
