//! Request load on a service over time: a deterministic shape times seeded
//! noise, held constant over fixed ticks.
//!
//! Shapes: constant, steps, a linear ramp, a diurnal sine, periodic spikes, or
//! a time series (e.g. a request-rate trace). Noise is multiplicative,
//! `max(0, 1 + noise·Z)` with `Z` standard normal drawn once per tick from the
//! service's own stream, so the same seed gives the same load whatever the
//! policies do.

use std::sync::Arc;

use rand_distr::{Distribution, StandardNormal};

use crate::engine::SimRng;
use crate::time::{SimDuration, SimTime};

/// The noiseless request rate (requests/s) as a function of time.
#[derive(Clone, Debug, PartialEq)]
pub enum LoadShape {
    /// The same rate throughout.
    Constant {
        /// Requests per second.
        rate: f64,
    },
    /// `initial` until the first step, then each step's rate from its time on.
    Steps {
        /// Rate before the first step.
        initial: f64,
        /// (time, rate), in increasing time.
        steps: Vec<(SimTime, f64)>,
    },
    /// `from` until `start`, linear to `to` at `end`, `to` after.
    Ramp {
        /// Rate before the ramp.
        from: f64,
        /// Rate after it.
        to: f64,
        /// Ramp start.
        start: SimTime,
        /// Ramp end.
        end: SimTime,
    },
    /// `mean + amplitude·cos(2π (t − peak_at) / period)`, floored at 0.
    Diurnal {
        /// Mean rate.
        mean: f64,
        /// Half the peak-to-trough swing.
        amplitude: f64,
        /// Period (a day, typically).
        period: SimDuration,
        /// Time of a peak.
        peak_at: SimTime,
    },
    /// `base`, plus `height` for `duration` every `every` (from `every` on).
    Spikes {
        /// Rate between spikes.
        base: f64,
        /// Extra rate during a spike.
        height: f64,
        /// Spike period.
        every: SimDuration,
        /// Spike length.
        duration: SimDuration,
    },
    /// A time series, held constant from each point to the next (the first
    /// value before it, the last after).
    Series {
        /// (time, rate), in increasing time; shared, as a trace's series can
        /// be millions of points and every cell of a sweep replays it.
        points: Arc<[(SimTime, f64)]>,
    },
}

impl LoadShape {
    /// The rate at `t`.
    pub fn rate_at(&self, t: SimTime) -> f64 {
        match self {
            LoadShape::Constant { rate } => *rate,
            LoadShape::Steps { initial, steps } => step_value(*initial, steps, t),
            LoadShape::Ramp { from, to, start, end } => {
                if t <= *start {
                    *from
                } else if t >= *end {
                    *to
                } else {
                    let f = (t - *start).as_secs_f64() / (*end - *start).as_secs_f64();
                    from + (to - from) * f
                }
            }
            LoadShape::Diurnal { mean, amplitude, period, peak_at } => {
                let phase = (t.as_secs_f64() - peak_at.as_secs_f64()) / period.as_secs_f64();
                (mean + amplitude * (std::f64::consts::TAU * phase).cos()).max(0.0)
            }
            LoadShape::Spikes { base, height, every, duration } => {
                let (p, d) = (every.as_micros().max(1), duration.as_micros());
                let since = t.as_micros();
                let in_spike = since >= p && since % p < d;
                base + if in_spike { *height } else { 0.0 }
            }
            LoadShape::Series { points } => step_value(points.first().map_or(0.0, |p| p.1), points, t),
        }
    }
}

/// The value of the last point at or before `t`, `initial` before the first.
fn step_value(initial: f64, points: &[(SimTime, f64)], t: SimTime) -> f64 {
    match points.partition_point(|(at, _)| *at <= t) {
        0 => initial,
        i => points[i - 1].1,
    }
}

/// A service's load: its shape, noise and tick.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadSpec {
    /// The noiseless rate.
    pub shape: LoadShape,
    /// Relative standard deviation of the multiplicative noise (0 = none).
    pub noise: f64,
    /// The rate is held constant over ticks of this length.
    pub tick: SimDuration,
}

/// Draws a service's load tick by tick.
pub struct LoadGenerator {
    spec: LoadSpec,
    rng: SimRng,
    scale: f64,
}

impl LoadGenerator {
    /// A generator drawing noise from `rng` (the service's own stream).
    pub fn new(spec: LoadSpec, rng: SimRng) -> Self {
        LoadGenerator { spec, rng, scale: 1.0 }
    }

    /// The same generator with every rate multiplied by `scale` (the
    /// scenario's `[simulation] load`); the noise draws are unchanged.
    pub fn scaled(self, scale: f64) -> Self {
        LoadGenerator { scale, ..self }
    }

    /// The tick length.
    pub fn tick(&self) -> SimDuration {
        self.spec.tick
    }

    /// The rate for the tick starting at `t`. Call once per tick, in order:
    /// each call draws the next noise value.
    pub fn next_rate(&mut self, t: SimTime) -> f64 {
        let base = self.spec.shape.rate_at(t) * self.scale;
        if self.spec.noise == 0.0 {
            return base;
        }
        let z: f64 = StandardNormal.sample(&mut self.rng);
        (base * (1.0 + self.spec.noise * z)).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> SimTime = SimTime::from_secs;

    #[test]
    fn shapes_follow_their_definitions() {
        assert_eq!(LoadShape::Constant { rate: 5.0 }.rate_at(S(100)), 5.0);
        let steps = LoadShape::Steps { initial: 1.0, steps: vec![(S(10), 4.0), (S(20), 2.0)] };
        assert_eq!([S(0), S(9), S(10), S(19), S(20), S(99)].map(|t| steps.rate_at(t)), [1.0, 1.0, 4.0, 4.0, 2.0, 2.0]);
        let ramp = LoadShape::Ramp { from: 10.0, to: 30.0, start: S(100), end: S(200) };
        assert_eq!([S(0), S(150), S(200), S(300)].map(|t| ramp.rate_at(t)), [10.0, 20.0, 30.0, 30.0]);
        let day = SimDuration::from_secs(86_400);
        let diurnal = LoadShape::Diurnal { mean: 100.0, amplitude: 50.0, period: day, peak_at: S(14 * 3600) };
        assert!((diurnal.rate_at(S(14 * 3600)) - 150.0).abs() < 1e-9, "peak at 14:00");
        assert!((diurnal.rate_at(S(2 * 3600)) - 50.0).abs() < 1e-9, "trough 12 h later");
        assert!((diurnal.rate_at(S(8 * 3600)) - 100.0).abs() < 1e-9, "mean a quarter period away");
        let spikes =
            LoadShape::Spikes { base: 10.0, height: 90.0, every: SimDuration::from_secs(600), duration: SimDuration::from_secs(60) };
        assert_eq!([S(0), S(599), S(600), S(659), S(660), S(1200)].map(|t| spikes.rate_at(t)), [10.0, 10.0, 100.0, 100.0, 10.0, 100.0]);
        let series = LoadShape::Series { points: vec![(S(60), 3.0), (S(120), 7.0)].into() };
        assert_eq!([S(0), S(60), S(119), S(500)].map(|t| series.rate_at(t)), [3.0, 3.0, 3.0, 7.0]);
    }

    #[test]
    fn noise_is_seeded_multiplicative_and_never_negative() {
        let spec = LoadSpec { shape: LoadShape::Constant { rate: 100.0 }, noise: 0.1, tick: SimDuration::from_secs(1) };
        let draw = |seed| {
            let mut g = LoadGenerator::new(spec.clone(), crate::engine::stream_rng(seed, 0, crate::engine::StreamId::SCHEDULER));
            (0..2000).map(|k| g.next_rate(S(k))).collect::<Vec<f64>>()
        };
        let a = draw(1);
        assert_eq!(a, draw(1), "same seed, same load");
        assert_ne!(a, draw(2));
        let mean = a.iter().sum::<f64>() / a.len() as f64;
        let sd = (a.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / a.len() as f64).sqrt();
        assert!((mean - 100.0).abs() < 1.0 && (sd - 10.0).abs() < 1.0, "mean {mean}, sd {sd}");
        let wild = LoadSpec { noise: 5.0, ..spec };
        let mut g = LoadGenerator::new(wild, crate::engine::stream_rng(3, 0, crate::engine::StreamId::SCHEDULER));
        assert!((0..1000).all(|k| g.next_rate(S(k)) >= 0.0));
    }

    #[test]
    fn a_scaled_load_multiplies_every_rate_with_the_same_noise() {
        let spec = LoadSpec { shape: LoadShape::Constant { rate: 100.0 }, noise: 0.1, tick: SimDuration::from_secs(1) };
        let rng = || crate::engine::stream_rng(4, 0, crate::engine::StreamId::SCHEDULER);
        let (mut one, mut two) = (LoadGenerator::new(spec.clone(), rng()), LoadGenerator::new(spec, rng()).scaled(2.0));
        for k in 0..100 {
            let (a, b) = (one.next_rate(S(k)), two.next_rate(S(k)));
            assert!((b - 2.0 * a).abs() < 1e-9, "{a} vs {b}");
        }
    }
}
