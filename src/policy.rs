//! Pluggable policies. A policy reads a read-only view of the cluster and returns
//! a decision value; the simulation applies it. Policies never mutate the world.

pub mod autoscaler;
pub mod failure;
pub mod scheduler;

/// One kind a scenario can name, as the catalogue of its family lists it
/// (`orchsim policies`, `compare`'s defaults, the "known: …" of scenario
/// errors): each family keeps one list, so a name is never in one place and
/// missing from another.
#[derive(Clone, Debug)]
pub struct PolicyInfo<C> {
    /// The name a scenario gives it (`kind`, `policy`, `profile` or `mode`).
    pub name: &'static str,
    /// What it does and what it emulates.
    pub summary: &'static str,
    /// Its default configuration (for a kind with required parameters, an
    /// example of them; the scenario layer says which).
    pub default: C,
}
