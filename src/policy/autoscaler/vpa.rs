//! The VerticalPodAutoscaler recommender's arithmetic (semantics.md §4;
//! `vertical-pod-autoscaler/pkg/recommender/{util/histogram.go,
//! util/decaying_histogram.go, logic/recommender.go, model/aggregations_config.go}`):
//!
//! * usage goes into **exponential histograms**: bucket sizes grow 5 % from a
//!   first bucket of 0.01 core (CPU, up to 1000 cores) or 1e7 bytes (memory,
//!   up to 1e12); a percentile is the upper bound of the bucket where the
//!   cumulative weight reaches it;
//! * samples **decay** with a half-life of 24 h: a sample at time t weighs
//!   `2^((t − t₀)/half_life)` relative to a reference t₀, so newer samples count
//!   more and the scale never matters for percentiles;
//! * CPU samples weigh their pod's CPU request (at least `minSampleWeight`
//!   0.1); memory enters as the **peak per 24 h interval** (a higher sample in
//!   the same interval replaces the lower one);
//! * the **target** recommendation is the 90th percentile plus a 15 % safety
//!   margin, at least 25 mCPU and 250 MiB; lower bound p50, upper bound p95;
//! * the **bounds** widen while the history is short (`logic/estimator.go`
//!   `getConfidence`, `WithConfidenceMultiplier`): with `c` the history in
//!   days, the smaller of the span from the first to the last CPU sample and
//!   the CPU samples counted at one a minute, the upper bound is multiplied by
//!   `1 + 1/c` and the lower by `(1 + 0.001/c)^-2`, before the minimums. No
//!   history gives an upper bound at the cap (`MaxResourceAmount`, 1e14) and a
//!   lower bound at the minimum, so that an updater would not act on it.
//!
//! What the VPA does with the recommendation is in [`admission`] (new pods
//! get the target) and [`updater`] (which running pods are evicted to get it).

pub mod admission;
pub mod updater;

use crate::time::{SimDuration, SimTime};

/// Histogram half-life for CPU and memory (`CPUHistogramDecayHalfLife`, `MemoryHistogramDecayHalfLife`).
pub const HALF_LIFE: SimDuration = SimDuration::from_secs(24 * 3600);
/// `MemoryAggregationInterval`: memory enters as the peak per this interval.
pub const MEMORY_AGGREGATION_INTERVAL: SimDuration = SimDuration::from_secs(24 * 3600);
/// `minSampleWeight`.
pub const MIN_SAMPLE_WEIGHT: f64 = 0.1;
/// `--recommendation-margin-fraction`.
pub const SAFETY_MARGIN: f64 = 0.15;
/// `--pod-recommendation-min-cpu-millicores`.
pub const MIN_CPU_MILLI: f64 = 25.0;
/// `--pod-recommendation-min-memory-mb`: 250, which `GetRecommendedPodResources`
/// (`logic/recommender.go`) turns into bytes as `minMemoryMb * 1024 * 1024`,
/// so mebibytes (`recommender_test.go: TestMinResourcesApplied`).
pub const MIN_MEMORY_BYTES: f64 = 250.0 * 1024.0 * 1024.0;
/// Bucket growth ratio (5 % wider each).
pub const BUCKET_RATIO: f64 = 1.05;
/// `--confidence-interval-cpu` and `-memory` (24 h): history is measured in these.
pub const CONFIDENCE_INTERVAL: SimDuration = SimDuration::from_secs(24 * 3600);
/// `model.MaxResourceAmount`: the largest amount (millicores, bytes) a recommendation takes.
pub const MAX_RESOURCE_AMOUNT: f64 = 1e14;

/// How much history backs a recommendation, in [`CONFIDENCE_INTERVAL`]s
/// (`getConfidence`): the span between the first and the last CPU sample, or
/// the CPU samples counted at one a minute, whichever is smaller.
pub fn confidence(span: SimDuration, samples: u64) -> f64 {
    let interval = CONFIDENCE_INTERVAL.as_secs_f64();
    (span.as_secs_f64() / interval).min(samples as f64 / (interval / 60.0))
}

/// `ScaleResource(base, (1 + multiplier/confidence)^exponent)`: the bound
/// `base` widened for a short history, kept within 0 and the cap (a zero
/// history makes the factor infinite or 0; a zero base stays 0).
pub fn widen(base: f64, multiplier: f64, exponent: f64, confidence: f64) -> f64 {
    let factor = (1.0 + multiplier / confidence).powf(exponent);
    if base == 0.0 {
        return 0.0;
    }
    (base * factor).clamp(0.0, MAX_RESOURCE_AMOUNT)
}

/// An exponential histogram with exponentially decaying sample weights.
#[derive(Clone, Debug)]
pub struct DecayingHistogram {
    first_bucket: f64,
    /// Where each bucket starts, and after the last one where it ends.
    /// Computed once: `powi` may be inlined as multiplications in one place
    /// and called in another, giving results an ulp apart (release builds
    /// did), so every percentile reads these same numbers.
    starts: Vec<f64>,
    weights: Vec<f64>,
    total: f64,
    reference: SimTime,
}

impl DecayingHistogram {
    /// Buckets from 0 up to `max_value`, the first `first_bucket` wide, each
    /// next one [`BUCKET_RATIO`] times wider (`NewExponentialHistogramOptions`).
    pub fn new(max_value: f64, first_bucket: f64) -> Self {
        let n = ((max_value * (BUCKET_RATIO - 1.0) / first_bucket + 1.0).ln() / BUCKET_RATIO.ln()).ceil() as usize + 1;
        let starts = (0..=n).map(|i| first_bucket * (BUCKET_RATIO.powf(i as f64) - 1.0) / (BUCKET_RATIO - 1.0)).collect();
        DecayingHistogram { first_bucket, starts, weights: vec![0.0; n], total: 0.0, reference: SimTime::ZERO }
    }

    /// CPU in cores: first bucket 0.01 core, up to 1000 cores.
    pub fn cpu() -> Self {
        Self::new(1000.0, 0.01)
    }

    /// Memory in bytes: first bucket 1e7 B, up to 1e12 B.
    pub fn memory() -> Self {
        Self::new(1e12, 1e7)
    }

    /// Where bucket `i` starts (`i` up to the number of buckets: there the last one ends).
    pub fn bucket_start(&self, i: usize) -> f64 {
        self.starts[i]
    }

    fn bucket_of(&self, value: f64) -> usize {
        if value < self.first_bucket {
            return 0;
        }
        let i = ((value * (BUCKET_RATIO - 1.0) / self.first_bucket + 1.0).ln() / BUCKET_RATIO.ln()).floor() as usize;
        i.min(self.weights.len() - 1)
    }

    /// The decay factor of a sample at `at`, relative to the reference time.
    fn decay(&self, at: SimTime) -> f64 {
        let dt = at.as_secs_f64() - self.reference.as_secs_f64();
        (dt / HALF_LIFE.as_secs_f64()).exp2()
    }

    /// Adds `value` observed at `at` with `weight` (negative to take a sample
    /// back out, as memory peaks are replaced).
    pub fn add(&mut self, value: f64, weight: f64, at: SimTime) {
        // Move the reference forward before factors grow large (upstream
        // shifts it by whole half-lives, which rescales every bucket alike).
        if at.saturating_since(self.reference) > SimDuration::from_secs(100 * 24 * 3600) {
            let shift = self.decay(at).recip();
            self.weights.iter_mut().for_each(|w| *w *= shift);
            self.total *= shift;
            self.reference = at;
        }
        let w = weight * self.decay(at);
        let b = self.bucket_of(value);
        self.weights[b] = (self.weights[b] + w).max(0.0);
        self.total = (self.total + w).max(0.0);
    }

    /// The `p` percentile (0–1): the upper bound of the bucket where the
    /// cumulative weight reaches `p` of the total; 0 for an empty histogram.
    pub fn percentile(&self, p: f64) -> f64 {
        if self.total <= 0.0 {
            return 0.0;
        }
        let threshold = p * self.total;
        let mut sum = 0.0;
        for (i, w) in self.weights.iter().enumerate() {
            sum += w;
            if sum >= threshold && *w > 0.0 {
                return self.bucket_start(i + 1);
            }
        }
        self.bucket_start(self.weights.len())
    }
}

/// A recommendation for one container: (lower bound, target, upper bound).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Recommendation {
    /// CPU millicores: p50, p90, p95, each + margin, at least the minimum.
    pub cpu_milli: [f64; 3],
    /// Memory bytes, likewise.
    pub memory_bytes: [f64; 3],
}

/// `resourceAmountFromFloat`: an amount as the VPA status holds it, truncated
/// to an integer and kept within 0 and [`MAX_RESOURCE_AMOUNT`].
pub fn resource_amount(amount: f64) -> u64 {
    amount.clamp(0.0, MAX_RESOURCE_AMOUNT) as u64
}

impl Recommendation {
    /// The recommendation as the VPA object's status holds it
    /// (`CPUAmountFromCores`, `MemoryAmountFromBytes`): integer millicores
    /// and bytes, (lower bound, target, upper bound).
    pub fn amounts(&self) -> ([u64; 3], [u64; 3]) {
        (self.cpu_milli.map(resource_amount), self.memory_bytes.map(resource_amount))
    }
}

/// The recommender's state for one container (all pods of a service pooled,
/// as VPA aggregates per container name).
#[derive(Clone, Debug)]
pub struct Recommender {
    cpu: DecayingHistogram,
    memory: DecayingHistogram,
    /// The current memory interval: (its start, the peak added for it).
    memory_peak: Option<(SimTime, f64)>,
    /// The first and the last CPU sample's time, and how many there were
    /// (`FirstSampleStart`, `LastSampleStart`, `TotalSamplesCount`).
    cpu_samples: Option<(SimTime, SimTime, u64)>,
}

impl Default for Recommender {
    fn default() -> Self {
        Recommender { cpu: DecayingHistogram::cpu(), memory: DecayingHistogram::memory(), memory_peak: None, cpu_samples: None }
    }
}

impl Recommender {
    /// A CPU usage sample (millicores) of a pod requesting `request_milli`.
    pub fn add_cpu(&mut self, usage_milli: f64, request_milli: f64, at: SimTime) {
        self.cpu.add(usage_milli / 1000.0, (request_milli / 1000.0).max(MIN_SAMPLE_WEIGHT), at);
        let (first, last, n) = self.cpu_samples.unwrap_or((at, at, 0));
        self.cpu_samples = Some((first.min(at), last.max(at), n + 1));
    }

    /// Whether the recommender has seen the container at all: only then does
    /// the VPA status hold a recommendation for the admission controller and
    /// the updater to apply.
    pub fn has_samples(&self) -> bool {
        self.cpu_samples.is_some()
    }

    /// The history behind the recommendation (see [`confidence`]).
    pub fn confidence(&self) -> f64 {
        self.cpu_samples.map_or(0.0, |(first, last, n)| confidence(last.saturating_since(first), n))
    }

    /// A memory usage sample (bytes): only the interval's peak counts.
    pub fn add_memory(&mut self, usage_bytes: f64, at: SimTime) {
        match self.memory_peak {
            Some((start, peak)) if at.saturating_since(start) < MEMORY_AGGREGATION_INTERVAL => {
                if usage_bytes > peak {
                    self.memory.add(peak, -1.0, start);
                    self.memory.add(usage_bytes, 1.0, start);
                    self.memory_peak = Some((start, usage_bytes));
                }
            }
            _ => {
                self.memory.add(usage_bytes, 1.0, at);
                self.memory_peak = Some((at, usage_bytes));
            }
        }
    }

    /// The current recommendation: percentile, margin, the bounds widened
    /// for a short history, then the minimums (`CreatePodResourceRecommender`).
    pub fn recommend(&self) -> Recommendation {
        let c = self.confidence();
        let with = |h: &DecayingHistogram, scale: f64, min: f64| {
            let base = |p: f64| h.percentile(p) * scale * (1.0 + SAFETY_MARGIN);
            [widen(base(0.5), 0.001, -2.0, c), base(0.9), widen(base(0.95), 1.0, 1.0, c)].map(|v| v.max(min))
        };
        Recommendation { cpu_milli: with(&self.cpu, 1000.0, MIN_CPU_MILLI), memory_bytes: with(&self.memory, 1.0, MIN_MEMORY_BYTES) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_grow_five_percent_and_percentiles_are_upper_bounds() {
        let h = DecayingHistogram::cpu();
        assert_eq!(h.bucket_start(0), 0.0);
        assert!((h.bucket_start(1) - 0.01).abs() < 1e-12);
        assert!((h.bucket_start(2) - 0.0205).abs() < 1e-12, "second bucket 5 % wider");
        // 1000 cores is inside the last bucket.
        assert!(h.bucket_start(h.weights.len()) >= 1000.0);
        let mut h = DecayingHistogram::cpu();
        // 90 samples at 0.1 core, 10 at 1 core: p50 and p90 fall in 0.1's
        // bucket, p95 in 1.0's; each is that bucket's upper bound.
        for _ in 0..90 {
            h.add(0.1, 1.0, SimTime::ZERO);
        }
        for _ in 0..10 {
            h.add(1.0, 1.0, SimTime::ZERO);
        }
        let b = h.bucket_of(0.1);
        assert!(h.bucket_start(b) <= 0.1 && 0.1 < h.bucket_start(b + 1));
        assert_eq!(h.percentile(0.5), h.bucket_start(b + 1));
        assert_eq!(h.percentile(0.9), h.bucket_start(b + 1));
        assert_eq!(h.percentile(0.95), h.bucket_start(h.bucket_of(1.0) + 1));
    }

    #[test]
    fn a_day_old_sample_weighs_half() {
        let mut h = DecayingHistogram::cpu();
        // One sample at 1 core, one a day newer at 0.1 core: the newer weighs 2,
        // the older 1, so the cumulative weight reaches 2/3 in 0.1's bucket:
        // p60 lies there, p70 in 1.0's. (Equal weights would put p60 at 1.0.)
        h.add(1.0, 1.0, SimTime::ZERO);
        h.add(0.1, 1.0, SimTime::ZERO + HALF_LIFE);
        let low = h.bucket_start(h.bucket_of(0.1) + 1);
        assert_eq!(h.percentile(0.6), low);
        assert_eq!(h.percentile(0.7), h.bucket_start(h.bucket_of(1.0) + 1));
        assert!((h.total - 3.0).abs() < 1e-9, "weights 1 and 2");
    }

    #[test]
    fn target_is_p90_plus_margin_with_minimums() {
        let mut r = Recommender::default();
        for k in 0..100u64 {
            r.add_cpu(if k < 95 { 400.0 } else { 2000.0 }, 500.0, SimTime::from_secs(k * 60));
        }
        let rec = r.recommend();
        // p90 falls in 0.4 core's bucket: upper bound × 1.15.
        let h = DecayingHistogram::cpu();
        let upper = h.bucket_start(h.bucket_of(0.4) + 1) * 1000.0 * 1.15;
        assert!((rec.cpu_milli[1] - upper).abs() < 1e-6, "{rec:?}");
        assert!(rec.cpu_milli[1] > 400.0 * 1.15 && rec.cpu_milli[1] < 400.0 * 1.05 * 1.15 + 1e-6);
        // No memory samples: the 250 MiB minimum.
        assert_eq!(rec.memory_bytes, [MIN_MEMORY_BYTES; 3]);
        // Tiny CPU: the 25 m minimum.
        let mut r = Recommender::default();
        r.add_cpu(1.0, 100.0, SimTime::ZERO);
        assert_eq!(r.recommend().cpu_milli[1], MIN_CPU_MILLI);
    }

    /// The multipliers listed in `CreatePodResourceRecommender`'s comments.
    #[test]
    fn bounds_widen_for_a_short_history_as_upstream_lists() {
        let days = |secs: u64| confidence(SimDuration::from_secs(secs), u64::MAX);
        let upper = |secs| widen(1.0, 1.0, 1.0, days(secs));
        let lower = |secs| widen(1.0, 0.001, -2.0, days(secs));
        assert!((upper(12 * 3600) - 3.0).abs() < 1e-12, "12 h: ×3");
        assert!((upper(24 * 3600) - 2.0).abs() < 1e-12, "24 h: ×2");
        assert!((upper(7 * 24 * 3600) - 8.0 / 7.0).abs() < 1e-12, "1 week: ×1.14");
        assert!((lower(300) - 0.6).abs() < 0.01, "5 min: ×0.6, got {}", lower(300));
        assert!((lower(1800) - 0.9).abs() < 0.011, "30 min: ×0.9, got {}", lower(1800));
        assert!((lower(3600) - 0.95).abs() < 0.005, "60 min: ×0.95, got {}", lower(3600));
        assert_eq!((upper(0), lower(0)), (MAX_RESOURCE_AMOUNT, 0.0), "no history: do not act");
        // Few samples over a long span: counted at one a minute, 720 are half a day.
        assert_eq!(confidence(SimDuration::from_secs(5 * 24 * 3600), 720), 0.5);
    }

    #[test]
    fn a_recommenders_bounds_follow_its_history() {
        let mut r = Recommender::default();
        r.add_cpu(400.0, 500.0, SimTime::ZERO);
        let first = r.recommend();
        assert_eq!((first.cpu_milli[0], first.cpu_milli[2]), (MIN_CPU_MILLI, MAX_RESOURCE_AMOUNT), "one sample: no bounds yet");
        // A steady 400 m sampled every minute for 12 h: one bucket holds every sample.
        for k in 1..=720u64 {
            r.add_cpu(400.0, 500.0, SimTime::from_secs(k * 60));
        }
        let rec = r.recommend();
        assert!((r.confidence() - 0.5).abs() < 1e-12);
        let target = rec.cpu_milli[1];
        assert!((rec.cpu_milli[2] - 3.0 * target).abs() < 1e-6, "{rec:?}");
        assert!((rec.cpu_milli[0] - target / 1.002f64.powi(2)).abs() < 1e-6, "{rec:?}");
    }

    #[test]
    fn memory_counts_the_peak_of_each_day() {
        let mut r = Recommender::default();
        let t = SimTime::from_secs;
        // Day 0: 1 GB then 3 GB (the peak replaces it), then 2 GB (lower).
        r.add_memory(1e9, t(0));
        r.add_memory(3e9, t(3600));
        r.add_memory(2e9, t(7200));
        assert!((r.memory.total - 1.0).abs() < 1e-9, "one peak per interval");
        let peak = r.memory.percentile(0.9);
        assert!((3e9..3e9 * 1.06).contains(&peak));
        // Day 1 starts a new interval: a second sample, weighing 2^(1 day / half-life).
        r.add_memory(1e9, t(24 * 3600 + 1));
        assert!((r.memory.total - (1.0 + (86401.0f64 / 86400.0).exp2())).abs() < 1e-9);
    }
}
