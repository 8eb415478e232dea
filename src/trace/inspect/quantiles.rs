//! Bounded-memory summaries for `trace inspect`: a map kept exactly while its
//! keys are few ([`Capped`]), and quantiles that are exact while the values
//! are few and within [`Quantiles::RELATIVE_ERROR`] beyond ([`Quantiles`]).
//! A trace of ten million tasks must not cost ten million values to describe.

use std::collections::BTreeMap;

use sketches_ddsketch::{Config, DDSketch};

use super::QUANTILES;

/// A map kept exactly while it has at most `cap` keys; the key one past
/// `cap` drops it (its memory with it), and it stays given up.
#[derive(Clone, Debug)]
pub(crate) struct Capped<K, V> {
    map: Option<BTreeMap<K, V>>,
    cap: usize,
}

impl<K: Ord, V: Default> Capped<K, V> {
    pub(crate) fn new(cap: usize) -> Capped<K, V> {
        Capped { map: Some(BTreeMap::new()), cap }
    }

    /// Updates the value of `key` (the default if new) with `update`, unless
    /// the map is given up, or is full and `key` is new: then it gives up.
    pub(crate) fn update(&mut self, key: K, update: impl FnOnce(&mut V)) {
        let Some(map) = &mut self.map else { return };
        let full = map.len() >= self.cap;
        match map.get_mut(&key) {
            Some(value) => update(value),
            None if !full => update(map.entry(key).or_default()),
            None => self.map = None,
        }
    }

    /// The map, unless it was given up.
    pub(crate) fn exact(&self) -> Option<&BTreeMap<K, V>> {
        self.map.as_ref()
    }
}

/// The quantiles [`QUANTILES`] of a stream of finite values, by nearest rank
/// (the value at rank `round(q·(n−1))` of the sorted values, as
/// [`quantiles`](super::quantiles) computes on a vector). Exact while at most
/// [`EXACT_VALUES`](Self::EXACT_VALUES) distinct values have come; beyond,
/// each quantile other than p0 and p100 (always exact) comes from a DDSketch
/// (Masson, Rim and Lee, VLDB 2019: logarithmic buckets) and is within
/// [`RELATIVE_ERROR`](Self::RELATIVE_ERROR) of the exact value. Both parts
/// are deterministic and independent of the order of the values.
#[derive(Clone)]
pub struct Quantiles {
    /// Count per distinct value (by [`order_key`]), while few.
    exact: Capped<i64, (f64, u64)>,
    /// Every value, for when `exact` gives up.
    sketch: DDSketch,
    count: u64,
    min: f64,
    max: f64,
}

impl Default for Quantiles {
    fn default() -> Quantiles {
        Quantiles {
            exact: Capped::new(Quantiles::EXACT_VALUES),
            sketch: DDSketch::new(Config::new(Quantiles::RELATIVE_ERROR, Quantiles::MAX_BUCKETS, Quantiles::SMALLEST)),
            count: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

impl Quantiles {
    /// Distinct values up to which quantiles are exact (a few MB of map at most).
    pub const EXACT_VALUES: usize = 1 << 16;

    /// The relative error of an approximate quantile: 0.5 %.
    pub const RELATIVE_ERROR: f64 = 0.005;

    /// Magnitudes at or below this (10⁻¹²) share the sketch's bucket of 0: an
    /// approximate quantile among them is 0, off by at most this much.
    pub const SMALLEST: f64 = 1e-12;

    /// Buckets of the sketch's store (a `u64` each, allocated only over the
    /// range of keys seen): enough for every magnitude from [`SMALLEST`](Self::SMALLEST)
    /// to `f64::MAX` at [`RELATIVE_ERROR`](Self::RELATIVE_ERROR) (about 74,000),
    /// so the sketch never merges buckets and the error bound always holds.
    const MAX_BUCKETS: u32 = 1 << 17;

    /// Adds a finite value.
    pub fn add(&mut self, value: f64) {
        self.exact.update(order_key(value), |(v, n)| (*v, *n) = (value, *n + 1));
        self.sketch.add(value);
        self.count += 1;
        if value.total_cmp(&self.min).is_lt() {
            self.min = value;
        }
        if value.total_cmp(&self.max).is_gt() {
            self.max = value;
        }
    }

    /// Whether [`get`](Self::get) is exact.
    pub fn is_exact(&self) -> bool {
        self.exact.exact().is_some()
    }

    /// The quantiles [`QUANTILES`]; `None` when no value came.
    pub fn get(&self) -> Option<[f64; 7]> {
        (self.count > 0).then(|| QUANTILES.map(|q| self.at(nearest_rank(q, self.count))))
    }

    /// The value of rank `rank` (from 0) of the sorted values, exactly or within the bound.
    fn at(&self, rank: u64) -> f64 {
        if let Some(exact) = self.exact.exact() {
            let mut below = 0;
            for &(value, n) in exact.values() {
                below += n;
                if below > rank {
                    return value;
                }
            }
        }
        if rank == 0 {
            return self.min;
        }
        if rank == self.count - 1 {
            return self.max;
        }
        // The sketch's rank is ⌊q·(n−1)⌋: ask half a rank above, which floors to `rank`.
        let q = (rank as f64 + 0.5) / (self.count - 1) as f64;
        self.sketch.quantile(q).ok().flatten().map_or(self.max, |v| v.clamp(self.min, self.max))
    }
}

/// The rank (from 0) of quantile `q` of `count` values: `round(q·(count−1))`.
fn nearest_rank(q: f64, count: u64) -> u64 {
    let last = count - 1;
    ((q * last as f64).round() as u64).min(last)
}

/// A key whose integer order is the order of the finite values
/// ([`f64::total_cmp`]'s), so that a map keyed by it is sorted by value.
fn order_key(value: f64) -> i64 {
    let bits = value.to_bits() as i64;
    bits ^ (((bits >> 63) as u64) >> 1) as i64
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::trace::inspect::quantiles as exact_quantiles;

    fn of(values: &[f64]) -> Quantiles {
        let mut q = Quantiles::default();
        values.iter().for_each(|&v| q.add(v));
        q
    }

    #[test]
    fn few_distinct_values_give_the_exact_quantiles() {
        let values: Vec<f64> = (0..1000).map(|k| f64::from(k % 37) * 0.25).rev().collect();
        let q = of(&values);
        assert!(q.is_exact());
        assert_eq!(q.get(), exact_quantiles(values));
        assert_eq!(of(&[]).get(), None);
        assert_eq!(of(&[-2.0, 0.0, -0.0, 3.5]).get(), exact_quantiles(vec![-2.0, 0.0, -0.0, 3.5]));
    }

    #[test]
    fn a_capped_map_gives_up_past_its_cap_and_stays_given_up() {
        let mut map: Capped<u32, u64> = Capped::new(2);
        for key in [1, 2, 1, 2] {
            map.update(key, |n| *n += 1);
        }
        assert_eq!(map.exact().map(|m| m.len()), Some(2));
        map.update(3, |n| *n += 1);
        assert!(map.exact().is_none());
        map.update(1, |n| *n += 1);
        assert!(map.exact().is_none());
    }

    #[test]
    fn many_distinct_values_are_approximate_within_the_bound_and_keep_the_extremes() {
        let values: Vec<f64> = (0..Quantiles::EXACT_VALUES as u64 + 10).map(|k| (k * 7919 % 100_003) as f64 * 1.5).collect();
        let q = of(&values);
        assert!(!q.is_exact());
        let (got, want) = (q.get().unwrap(), exact_quantiles(values).unwrap());
        assert_eq!((got[0], got[6]), (want[0], want[6]));
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() <= Quantiles::RELATIVE_ERROR * w, "{g} vs {w}");
        }
    }

    /// Values for the property: mostly spread over many magnitudes, some
    /// repeated, some 0; enough of them to pass the exact limit in some cases.
    fn values() -> impl Strategy<Value = Vec<f64>> {
        let value = prop_oneof![
            8 => (-12i32..13, 1.0f64..10.0).prop_map(|(e, m)| m * 10f64.powi(e)),
            1 => Just(0.0),
            1 => (0u32..50).prop_map(f64::from),
        ];
        prop_oneof![
            prop::collection::vec(value.clone(), 1..2_000),
            (prop::collection::vec(value, 1..50), 1usize..3).prop_map(|(head, k)| {
                // Past the exact limit: the head, then a ramp of distinct values.
                let ramp = (0..Quantiles::EXACT_VALUES + k * 1000).map(|i| 1e-3 * (1.0 + i as f64).powf(1.7));
                head.into_iter().chain(ramp).collect()
            }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Every quantile is the exact nearest-rank one when exact, else
        /// within the relative error of it (or [`Quantiles::SMALLEST`] of 0),
        /// and never outside the values' range.
        #[test]
        fn quantiles_are_exact_or_within_the_stated_relative_error(values in values()) {
            let q = of(&values);
            let exact = q.is_exact();
            prop_assert_eq!(exact, {
                let mut keys: Vec<i64> = values.iter().map(|&v| order_key(v)).collect();
                keys.sort_unstable();
                keys.dedup();
                keys.len() <= Quantiles::EXACT_VALUES
            });
            let (got, want) = (q.get().unwrap(), exact_quantiles(values).unwrap());
            for (g, w) in got.iter().zip(want) {
                if exact {
                    prop_assert_eq!(*g, w);
                } else {
                    prop_assert!((g - w).abs() <= Quantiles::RELATIVE_ERROR * w.abs() + Quantiles::SMALLEST, "{} vs {}", g, w);
                }
                prop_assert!(want[0] <= *g && *g <= want[6]);
            }
        }
    }
}
