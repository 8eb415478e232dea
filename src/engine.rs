//! The discrete-event engine: a time-ordered event queue and seeded random streams.
//!
//! The engine knows nothing about clusters; [`crate::simulation`] drives it with
//! the closed [`crate::event::Event`] enum.

pub mod queue;
pub mod rng;

pub use queue::{EventId, EventQueue, Phase, ScheduleError};
pub use rng::{keyed_rng, replication_seed, stream_rng, FailureStream, SimRng, StreamId, WorkloadField};
