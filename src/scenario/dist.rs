//! Probability distributions named in scenarios.
//!
//! A field that takes a distribution accepts either a constant quantity
//! (`cpu = "500m"`) or a table naming the distribution and its parameters in
//! the field's unit:
//!
//! | `dist`        | parameters                         |
//! |---------------|------------------------------------|
//! | `constant`    | `value`                            |
//! | `uniform`     | `low`, `high` (inclusive integers for counts) |
//! | `exponential` | `mean`                             |
//! | `lognormal`   | `median`, `sigma` (of the log)     |
//! | `normal`      | `mean`, `std`                      |
//! | `pareto`      | `scale` (minimum), `shape` (alpha) |
//! | `weibull`     | `scale` (λ), `shape` (k): mean λ·Γ(1 + 1/k); k < 1 gives many short and a few very long times, k = 1 is an exponential |
//!
//! Every distribution also takes optional `min` and `max`: samples are clamped
//! to them (and always to ≥ 0). Samples are rounded to the nearest base unit
//! (microsecond, millicore, byte) exactly once, here.

use rand::Rng;
use rand_distr::{Distribution, Exp, LogNormal, Normal, Pareto, Weibull};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::quantity::{Literal, LiteralVisitor, Unit};

/// One distribution a table may name: its `dist`, the parameters it
/// requires (no others are allowed, beyond `min` and `max`), and what it is.
/// The validation and the schema both read this list.
pub(crate) struct DistInfo {
    pub(crate) name: &'static str,
    pub(crate) parameters: &'static [&'static str],
    pub(crate) summary: &'static str,
}

/// Every distribution a table may name.
pub(crate) const DISTRIBUTIONS: [DistInfo; 7] = [
    DistInfo { name: "constant", parameters: &["value"], summary: "Always `value`." },
    DistInfo { name: "uniform", parameters: &["low", "high"], summary: "Uniform between `low` and `high` (whole numbers for counts)." },
    DistInfo { name: "exponential", parameters: &["mean"], summary: "Exponential with this `mean`." },
    DistInfo { name: "lognormal", parameters: &["median", "sigma"], summary: "Lognormal with this `median` and `sigma` (of the log)." },
    DistInfo { name: "normal", parameters: &["mean", "std"], summary: "Normal with this `mean` and `std`." },
    DistInfo { name: "pareto", parameters: &["scale", "shape"], summary: "Pareto with this `scale` (the minimum) and `shape` (alpha)." },
    DistInfo {
        name: "weibull",
        parameters: &["scale", "shape"],
        summary: "Weibull with this `scale` (λ) and `shape` (k): mean λ·Γ(1 + 1/k).",
    },
];

/// The parameters that are plain numbers, not quantities of the field's unit.
pub(crate) const NUMBER_PARAMETERS: [&str; 2] = ["sigma", "shape"];

/// A distribution as written: a constant literal or a table.
#[derive(Clone, Debug, PartialEq)]
pub enum RawDist {
    /// `field = "500m"`.
    Constant(Literal),
    /// `field = { dist = "…", … }`.
    Table(Box<DistTable>),
}

/// The table form of a distribution.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistTable {
    /// Name: constant, uniform, exponential, lognormal, normal, pareto or weibull.
    pub dist: String,
    value: Option<Literal>,
    low: Option<Literal>,
    high: Option<Literal>,
    mean: Option<Literal>,
    std: Option<Literal>,
    median: Option<Literal>,
    sigma: Option<f64>,
    scale: Option<Literal>,
    shape: Option<f64>,
    min: Option<Literal>,
    max: Option<Literal>,
}

impl<'de> Deserialize<'de> for RawDist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawDist;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a quantity or a table such as { dist = \"exponential\", mean = \"30s\" }")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawDist, E> {
                LiteralVisitor.visit_i64(v).map(RawDist::Constant)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawDist, E> {
                LiteralVisitor.visit_u64(v).map(RawDist::Constant)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawDist, E> {
                LiteralVisitor.visit_f64(v).map(RawDist::Constant)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawDist, E> {
                LiteralVisitor.visit_str(v).map(RawDist::Constant)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawDist, A::Error> {
                DistTable::deserialize(de::value::MapAccessDeserializer::new(map)).map(|t| RawDist::Table(Box::new(t)))
            }
        }
        d.deserialize_any(V)
    }
}

impl From<Literal> for RawDist {
    fn from(l: Literal) -> Self {
        RawDist::Constant(l)
    }
}

#[derive(Clone, Debug)]
enum Kind {
    Constant(f64),
    Uniform { low: f64, high: f64, d: rand::distr::Uniform<f64> },
    Exponential { mean: f64, d: Exp<f64> },
    LogNormal { median: f64, sigma: f64, d: LogNormal<f64> },
    Normal { mean: f64, d: Normal<f64> },
    Pareto { scale: f64, shape: f64, d: Pareto<f64> },
    Weibull { scale: f64, shape: f64, d: Weibull<f64> },
}

/// A validated distribution over a base unit.
#[derive(Clone, Debug)]
pub struct Dist {
    kind: Kind,
    min: f64,
    max: f64,
    discrete: bool,
}

/// A parameter error: `(parameter name, message)`; the name is empty when the
/// error is about the whole field.
pub type ParamError = (String, String);

impl Dist {
    /// A constant.
    pub fn constant(v: f64) -> Dist {
        Dist { kind: Kind::Constant(v), min: 0.0, max: f64::INFINITY, discrete: false }
    }

    /// An exponential distribution with `mean` in the base unit (the `mtbf`
    /// shorthands of `[failures]`). Callers check that the mean is positive;
    /// a negative or NaN one gives a constant zero rather than a panic.
    pub fn exponential(mean: f64) -> Dist {
        match Exp::new(1.0 / mean) {
            Ok(d) => Dist { kind: Kind::Exponential { mean, d }, min: 0.0, max: f64::INFINITY, discrete: false },
            Err(_) => Dist::constant(0.0),
        }
    }

    /// Validates `raw` as a distribution over `unit`.
    pub fn from_raw(raw: &RawDist, unit: Unit) -> Result<Dist, ParamError> {
        let t = match raw {
            RawDist::Constant(l) => {
                let v = unit.parse(l).map_err(|m| (String::new(), m))?;
                if v < 0.0 {
                    return Err((String::new(), format!("must not be negative, got {l}")));
                }
                return Ok(Dist::constant(v));
            }
            RawDist::Table(t) => t,
        };
        // Every quantity parameter is non-negative, except a normal's mean.
        let q = |name: &str, v: &Option<Literal>| -> Result<f64, ParamError> {
            let l = v.as_ref().ok_or_else(|| (name.to_string(), format!("`{}` needs `{name}`", t.dist)))?;
            let x = unit.parse(l).map_err(|m| (name.to_string(), m))?;
            if x < 0.0 && !(t.dist == "normal" && name == "mean") {
                return Err((name.to_string(), format!("must not be negative, got {l}")));
            }
            Ok(x)
        };
        let f = |name: &str, v: Option<f64>| -> Result<f64, ParamError> {
            v.ok_or_else(|| (name.to_string(), format!("`{}` needs `{name}`", t.dist)))
        };
        let positive = |name: &str, v: f64| -> Result<f64, ParamError> {
            if v > 0.0 && v.is_finite() {
                Ok(v)
            } else {
                Err((name.to_string(), format!("must be positive, got {v}")))
            }
        };
        let allowed: &[&str] = match DISTRIBUTIONS.iter().find(|d| d.name == t.dist) {
            Some(d) => d.parameters,
            None => {
                return Err((
                    "dist".into(),
                    format!(
                        "unknown distribution `{}`; expected constant, uniform, exponential, lognormal, normal, pareto or weibull",
                        t.dist
                    ),
                ))
            }
        };
        let given = [
            ("value", t.value.is_some()),
            ("low", t.low.is_some()),
            ("high", t.high.is_some()),
            ("mean", t.mean.is_some()),
            ("std", t.std.is_some()),
            ("median", t.median.is_some()),
            ("sigma", t.sigma.is_some()),
            ("scale", t.scale.is_some()),
            ("shape", t.shape.is_some()),
        ];
        if let Some((name, _)) = given.iter().find(|(n, g)| *g && !allowed.contains(n)) {
            return Err((name.to_string(), format!("`{name}` is not a parameter of `{}` (it takes {})", t.dist, allowed.join(", "))));
        }
        let kind = match t.dist.as_str() {
            "constant" => Kind::Constant(q("value", &t.value)?),
            "uniform" => {
                let (low, high) = (q("low", &t.low)?, q("high", &t.high)?);
                if low > high {
                    return Err(("high".into(), format!("must be at least `low` ({low}), got {high}")));
                }
                if unit == Unit::Count && (low.fract() != 0.0 || high.fract() != 0.0) {
                    return Err(("low".into(), "a uniform count needs whole-number `low` and `high`".into()));
                }
                let d = rand::distr::Uniform::new_inclusive(low, high)
                    .map_err(|e| ("high".to_string(), format!("`low`..`high` is not a usable range: {e}")))?;
                Kind::Uniform { low, high, d }
            }
            "exponential" => {
                let mean = positive("mean", q("mean", &t.mean)?)?;
                let d = Exp::new(1.0 / mean).map_err(|e| ("mean".to_string(), e.to_string()))?;
                Kind::Exponential { mean, d }
            }
            "lognormal" => {
                let median = positive("median", q("median", &t.median)?)?;
                let sigma = f("sigma", t.sigma)?;
                if !(sigma >= 0.0 && sigma.is_finite()) {
                    return Err(("sigma".into(), format!("must be zero or positive, got {sigma}")));
                }
                let d = LogNormal::new(median.ln(), sigma).map_err(|e| ("sigma".to_string(), format!("invalid: {e} (got {sigma})")))?;
                Kind::LogNormal { median, sigma, d }
            }
            "normal" => {
                let (mean, std) = (q("mean", &t.mean)?, q("std", &t.std)?);
                if std < 0.0 {
                    return Err(("std".into(), format!("must be zero or positive, got {std}")));
                }
                let d = Normal::new(mean, std).map_err(|e| ("std".to_string(), format!("invalid: {e} (got {std})")))?;
                Kind::Normal { mean, d }
            }
            "pareto" | "weibull" => {
                let scale = positive("scale", q("scale", &t.scale)?)?;
                let shape = positive("shape", f("shape", t.shape)?)?;
                let invalid = |e: &dyn std::fmt::Display| ("shape".to_string(), e.to_string());
                if t.dist == "pareto" {
                    Kind::Pareto { scale, shape, d: Pareto::new(scale, shape).map_err(|e| invalid(&e))? }
                } else {
                    Kind::Weibull { scale, shape, d: Weibull::new(scale, shape).map_err(|e| invalid(&e))? }
                }
            }
            _ => unreachable!("checked above"),
        };
        let min = t.min.as_ref().map(|l| unit.parse(l).map_err(|m| ("min".to_string(), m))).transpose()?.unwrap_or(0.0);
        let max = t.max.as_ref().map(|l| unit.parse(l).map_err(|m| ("max".to_string(), m))).transpose()?.unwrap_or(f64::INFINITY);
        if min < 0.0 {
            return Err(("min".into(), format!("must not be negative, got {min}")));
        }
        if min > max {
            return Err(("max".into(), format!("must be at least `min`, got {max} < {min}")));
        }
        if let Kind::Constant(v) = kind {
            if v < 0.0 {
                return Err(("value".into(), format!("must not be negative, got {v}")));
            }
        }
        Ok(Dist { kind, min, max, discrete: unit == Unit::Count })
    }

    /// Draws one value in the base unit, clamped to `[min, max]` and rounded
    /// to the nearest integer.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        let x = match &self.kind {
            Kind::Constant(v) => *v,
            Kind::Uniform { low, high, .. } if self.discrete => rng.random_range(*low as u64..=*high as u64) as f64,
            Kind::Uniform { d, .. } => d.sample(rng),
            Kind::Exponential { d, .. } => d.sample(rng),
            Kind::LogNormal { d, .. } => d.sample(rng),
            Kind::Normal { d, .. } => d.sample(rng),
            Kind::Pareto { d, .. } => d.sample(rng),
            Kind::Weibull { d, .. } => d.sample(rng),
        };
        let x = x.clamp(self.min, self.max).round();
        if x >= u64::MAX as f64 {
            u64::MAX
        } else {
            x as u64
        }
    }

    /// The smallest value a sample can take.
    pub fn lower_bound(&self) -> f64 {
        let natural = match &self.kind {
            Kind::Constant(v) => *v,
            Kind::Uniform { low, .. } => *low,
            Kind::Pareto { scale, .. } => *scale,
            Kind::Exponential { .. } | Kind::LogNormal { .. } | Kind::Normal { .. } | Kind::Weibull { .. } => 0.0,
        };
        natural.clamp(self.min, self.max).round()
    }

    /// The largest value a sample can take (may be infinite).
    pub fn upper_bound(&self) -> f64 {
        let natural = match &self.kind {
            Kind::Constant(v) => *v,
            Kind::Uniform { high, .. } => *high,
            _ => f64::INFINITY,
        };
        natural.clamp(self.min, self.max).round()
    }

    /// The chance that a sample exceeds `x` (in the base unit): the natural
    /// distribution's tail, or 0 when `max` caps samples at or below `x`.
    /// Validation uses it to warn when a duration's tail reaches past the
    /// horizon at which an open-ended run is cut.
    pub fn survival(&self, x: f64) -> f64 {
        use statrs::function::erf::erfc;
        if self.max <= x {
            return 0.0;
        }
        if self.min > x {
            return 1.0;
        }
        let tail = match &self.kind {
            Kind::Constant(v) => f64::from(u8::from(*v > x)),
            Kind::Uniform { low, high, .. } if high > low => ((high - x) / (high - low)).clamp(0.0, 1.0),
            Kind::Uniform { low, .. } => f64::from(u8::from(*low > x)),
            Kind::Exponential { mean, .. } => (-x / mean).exp(),
            Kind::LogNormal { median, sigma, .. } if *sigma > 0.0 => 0.5 * erfc((x / median).ln() / (sigma * std::f64::consts::SQRT_2)),
            Kind::LogNormal { median, .. } => f64::from(u8::from(*median > x)),
            Kind::Normal { mean, d } => 0.5 * erfc((x - mean) / (d.std_dev() * std::f64::consts::SQRT_2)),
            Kind::Pareto { scale, shape, .. } => (scale / x).powf(*shape).min(1.0),
            Kind::Weibull { scale, shape, .. } => (-(x / scale).powf(*shape)).exp(),
        };
        if tail.is_nan() {
            0.0
        } else {
            tail
        }
    }

    /// The mean of the distribution before clamping (infinite for a Pareto
    /// with shape ≤ 1), for scenario summaries and sanity checks.
    pub fn mean(&self) -> f64 {
        match &self.kind {
            Kind::Constant(v) => *v,
            Kind::Uniform { low, high, .. } => (low + high) / 2.0,
            Kind::Exponential { mean, .. } | Kind::Normal { mean, .. } => *mean,
            Kind::LogNormal { median, sigma, .. } => median * (sigma * sigma / 2.0).exp(),
            Kind::Pareto { scale, shape, .. } if *shape > 1.0 => shape * scale / (shape - 1.0),
            Kind::Pareto { .. } => f64::INFINITY,
            Kind::Weibull { scale, shape, .. } => scale * ln_gamma(1.0 + 1.0 / shape).exp(),
        }
    }
}

/// ln Γ(x) for x > 0, by Lanczos' approximation (g = 7, 9 terms; relative
/// error below 1e-13), for the Weibull mean: no crate needed for one formula.
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1 − x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + G + 0.5;
    let series = C[0] + C[1..].iter().enumerate().map(|(i, c)| c / (x + i as f64 + 1.0)).sum::<f64>();
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + series.ln()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{stream_rng, StreamId, WorkloadField};

    fn table(src: &str) -> RawDist {
        #[derive(Deserialize)]
        struct W {
            d: RawDist,
        }
        toml::from_str::<W>(&format!("d = {src}")).unwrap().d
    }

    #[test]
    fn survival_is_each_distributions_upper_tail() {
        let tail = |src: &str, x: f64| Dist::from_raw(&table(src), Unit::Duration).unwrap().survival(x * 1e6);
        let close = |got: f64, want: f64| (got - want).abs() <= 1e-12 * want.max(1e-300);
        // Exponential: e^{-x/mean}; Weibull with shape 1 is the same law.
        assert!(close(tail(r#"{ dist = "exponential", mean = "10s" }"#, 10.0), (-1.0f64).exp()));
        assert!(close(tail(r#"{ dist = "weibull", scale = "10s", shape = 1.0 }"#, 10.0), (-1.0f64).exp()));
        // Pareto: (scale / x)^shape, and 1 below the scale.
        assert!(close(tail(r#"{ dist = "pareto", scale = "1s", shape = 2.0 }"#, 10.0), 0.01));
        assert_eq!(tail(r#"{ dist = "pareto", scale = "10s", shape = 2.0 }"#, 1.0), 1.0);
        // Log-normal and normal: half the mass above the median / mean.
        assert!(close(tail(r#"{ dist = "lognormal", median = "30s", sigma = 1.5 }"#, 30.0), 0.5));
        assert!(close(tail(r#"{ dist = "normal", mean = "30s", std = "5s" }"#, 30.0), 0.5));
        assert!(close(tail(r#"{ dist = "uniform", low = "10s", high = "20s" }"#, 15.0), 0.5));
        // A `max` at or below x cuts the tail off; a `min` above x takes all of it.
        assert_eq!(tail(r#"{ dist = "pareto", scale = "1s", shape = 0.01, max = "10s" }"#, 10.0), 0.0);
        assert_eq!(tail(r#"{ dist = "exponential", mean = "10s", min = "20s" }"#, 10.0), 1.0);
        assert_eq!(tail(r#""30s""#, 10.0), 1.0);
        assert_eq!(tail(r#""30s""#, 30.0), 0.0);
    }

    #[test]
    fn every_named_distribution_samples_within_bounds() {
        let mut rng = stream_rng(1, 0, StreamId::workload(0, WorkloadField::Duration));
        for src in [
            r#""30s""#,
            r#"{ dist = "constant", value = "30s" }"#,
            r#"{ dist = "uniform", low = "10s", high = "20s" }"#,
            r#"{ dist = "exponential", mean = "30s", min = "5s", max = "60s" }"#,
            r#"{ dist = "lognormal", median = "30s", sigma = 0.5, min = "20s", max = "45s" }"#,
            r#"{ dist = "normal", mean = "30s", std = "5s", min = "25s", max = "40s" }"#,
            r#"{ dist = "pareto", scale = "10s", shape = 2.5, max = "20s" }"#,
            r#"{ dist = "weibull", scale = "10s", shape = 0.7, max = "20s" }"#,
        ] {
            let d = Dist::from_raw(&table(src), Unit::Duration).unwrap_or_else(|e| panic!("{src}: {e:?}"));
            assert!(d.upper_bound().is_finite(), "{src}: the test needs finite bounds");
            let xs: Vec<f64> = (0..500).map(|_| d.sample(&mut rng) as f64).collect();
            assert!(xs.iter().all(|&x| x >= d.lower_bound() && x <= d.upper_bound()), "{src}: out of bounds");
            // Clamping really bites for the clamped ones: the bounds are reached.
            if src.contains("max") {
                assert!(xs.iter().any(|&x| x == d.upper_bound()), "{src}: max never reached");
            }
        }
    }

    #[test]
    fn exponential_mean_is_close() {
        let d = Dist::from_raw(&table(r#"{ dist = "exponential", mean = 1000 }"#), Unit::Count).unwrap();
        let mut rng = stream_rng(7, 0, StreamId::workload(0, WorkloadField::Arrivals));
        let n = 20_000;
        let mean = (0..n).map(|_| d.sample(&mut rng) as f64).sum::<f64>() / n as f64;
        assert!((mean - 1000.0).abs() < 30.0, "mean {mean}");
    }

    #[test]
    fn weibull_mean_is_scale_times_gamma_of_one_plus_inverse_shape() {
        // Shape 1 is an exponential with mean = scale; shape 2 (Rayleigh) has mean scale·√π/2.
        let mut rng = stream_rng(11, 0, StreamId::workload(0, WorkloadField::Duration));
        for (shape, expected) in [(1.0, 1000.0), (2.0, 1000.0 * std::f64::consts::PI.sqrt() / 2.0)] {
            let d = Dist::from_raw(&table(&format!(r#"{{ dist = "weibull", scale = 1000, shape = {shape:?} }}"#)), Unit::Count).unwrap();
            assert!((d.mean() - expected).abs() < 1e-9, "shape {shape}: mean() = {}, expected {expected}", d.mean());
            let n = 20_000;
            let sampled = (0..n).map(|_| d.sample(&mut rng) as f64).sum::<f64>() / n as f64;
            assert!((sampled - expected).abs() < 0.03 * expected, "shape {shape}: sampled mean {sampled}, expected {expected}");
        }
    }

    #[test]
    fn ln_gamma_matches_known_values() {
        // Γ(1) = Γ(2) = 1, Γ(5) = 24, Γ(1/2) = √π, Γ(1.5) = √π/2.
        let sqrt_pi = std::f64::consts::PI.sqrt();
        for (x, g) in [(1.0, 1.0), (2.0, 1.0), (5.0, 24.0), (0.5, sqrt_pi), (1.5, sqrt_pi / 2.0)] {
            assert!((ln_gamma(x).exp() - g).abs() < 1e-10 * g, "Γ({x}) = {}, expected {g}", ln_gamma(x).exp());
        }
    }

    #[test]
    fn exponential_shorthand_has_the_given_mean() {
        let d = Dist::exponential(3.6e9);
        assert_eq!((d.mean(), d.lower_bound(), d.upper_bound()), (3.6e9, 0.0, f64::INFINITY));
        assert_eq!(Dist::exponential(-1.0).upper_bound(), 0.0, "a bad mean is a constant zero, not a panic");
    }

    #[test]
    fn uniform_counts_are_inclusive_integers() {
        let d = Dist::from_raw(&table(r#"{ dist = "uniform", low = 1, high = 3 }"#), Unit::Count).unwrap();
        let mut rng = stream_rng(3, 0, StreamId::workload(0, WorkloadField::Tasks));
        let mut seen = [0; 4];
        for _ in 0..3000 {
            seen[d.sample(&mut rng) as usize] += 1;
        }
        assert_eq!(seen[0], 0);
        assert!(seen[1..].iter().all(|&c| c > 900), "{seen:?}");
    }

    #[test]
    fn invalid_parameters_name_the_parameter() {
        let err = |src: &str| Dist::from_raw(&table(src), Unit::Duration).unwrap_err().0;
        assert_eq!(err(r#"{ dist = "lognormal", median = "1s", sigma = -1.0 }"#), "sigma");
        assert_eq!(err(r#"{ dist = "exponential", mean = "0s" }"#), "mean");
        assert_eq!(err(r#"{ dist = "uniform", low = "5s", high = "1s" }"#), "high");
        assert_eq!(err(r#"{ dist = "pareto", scale = "1s" }"#), "shape");
        assert_eq!(err(r#"{ dist = "normal", mean = "1s", std = "1s", median = "1s" }"#), "median");
        assert_eq!(err(r#"{ dist = "gamma", mean = "1s" }"#), "dist");
        assert_eq!(err(r#"{ dist = "weibull", scale = "1s", shape = 0 }"#), "shape");
        assert_eq!(err(r#"{ dist = "weibull", shape = 1.5 }"#), "scale");
        assert_eq!(err(r#"{ dist = "weibull", scale = "1s", shape = 1.5, mean = "1s" }"#), "mean");
        assert_eq!(err(r#""-5s""#), "");
    }
}
