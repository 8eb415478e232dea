//! Simulated time: integer microseconds.
//!
//! Time is an integer so that two runs of the same scenario agree to the bit on
//! every event order, whatever the platform; Google's traces also count in µs.
//! Floating-point durations drawn from distributions are converted exactly once,
//! at the sampling boundary, with [`SimDuration::from_secs_f64`] (round to
//! nearest microsecond).

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// Microseconds in one second.
pub const MICROS_PER_SEC: u64 = 1_000_000;

/// An instant of simulated time, in microseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

/// A span of simulated time, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(u64);

impl SimTime {
    /// This time (or gap) measured from the start at `load` times the offered
    /// load (a scenario's `load`): divided by `load`, rounded to the
    /// microsecond, and exactly `self` at load 1 so that scenarios without
    /// `load` keep their outputs to the bit.
    pub fn at_load(self, load: f64) -> SimTime {
        if load == 1.0 {
            return self;
        }
        SimTime::from_micros((self.0 as f64 / load).round() as u64)
    }

    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// The end of time; used as "never".
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// An instant `us` microseconds after the start.
    pub const fn from_micros(us: u64) -> Self {
        SimTime(us)
    }
    /// An instant `s` whole seconds after the start.
    pub const fn from_secs(s: u64) -> Self {
        SimTime(s * MICROS_PER_SEC)
    }
    /// Microseconds since the start.
    pub const fn as_micros(self) -> u64 {
        self.0
    }
    /// Seconds since the start, for output only (never fed back into the engine).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_SEC as f64
    }
    /// Time elapsed since `earlier`, or zero if `earlier` is later.
    pub fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
    /// The first multiple of `period` strictly after `self` (the next tick of a
    /// ticker started at time zero, as Kubernetes' periodic loops are).
    pub fn next_multiple_of(self, period: SimDuration) -> SimTime {
        let p = period.0.max(1);
        SimTime((self.0 / p + 1).saturating_mul(p))
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);

    /// `us` microseconds.
    pub const fn from_micros(us: u64) -> Self {
        SimDuration(us)
    }
    /// `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms * 1_000)
    }
    /// `s` whole seconds.
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s * MICROS_PER_SEC)
    }
    /// Converts a sampled duration in seconds, rounding to the nearest
    /// microsecond. `None` for negative, NaN or out-of-range values.
    pub fn from_secs_f64(s: f64) -> Option<Self> {
        let us = (s * MICROS_PER_SEC as f64).round();
        (us.is_finite() && us >= 0.0 && us < u64::MAX as f64).then_some(SimDuration(us as u64))
    }
    /// Microseconds.
    pub const fn as_micros(self) -> u64 {
        self.0
    }
    /// Seconds, for output only.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_SEC as f64
    }
    /// `self · 2^exp`, saturating.
    pub fn saturating_mul(self, factor: u64) -> Self {
        SimDuration(self.0.saturating_mul(factor))
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    /// Saturates at [`SimTime::MAX`] (half a million years), which reads as "never".
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    /// Saturates at zero: a negative span has no meaning in the simulator.
    fn sub(self, earlier: SimTime) -> SimDuration {
        self.saturating_since(earlier)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}s", self.as_secs_f64())
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}s", self.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampled_seconds_round_to_nearest_microsecond() {
        assert_eq!(SimDuration::from_secs_f64(1.0000004), Some(SimDuration::from_micros(1_000_000)));
        assert_eq!(SimDuration::from_secs_f64(1.0000006), Some(SimDuration::from_micros(1_000_001)));
        assert_eq!(SimDuration::from_secs_f64(-0.5), None);
        assert_eq!(SimDuration::from_secs_f64(f64::NAN), None);
    }

    #[test]
    fn ticker_alignment() {
        let p = SimDuration::from_secs(1);
        assert_eq!(SimTime::ZERO.next_multiple_of(p), SimTime::from_secs(1));
        assert_eq!(SimTime::from_micros(1_300_000).next_multiple_of(p), SimTime::from_secs(2));
        assert_eq!(SimTime::from_secs(2).next_multiple_of(p), SimTime::from_secs(3));
    }
}
