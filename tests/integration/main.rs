//! Integration tests: one binary, one module per concern.

mod bad_input;
mod behaviour;
mod determinism;
mod invariants;
mod plugins;
mod preemption;
mod support;
