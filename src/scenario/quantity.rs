//! Quantities as written in scenarios, in Kubernetes' vocabulary.
//!
//! * CPU: `"500m"` (millicores), `"2"`, `2` or `0.5` (cores).
//! * Memory and image sizes: `"512Mi"`, `"8Gi"`, `"1G"` (bytes); a bare number is bytes.
//! * Bandwidth: a memory quantity per second, `"100Mi"` or `"100Mi/s"`.
//! * Durations: `"250ms"`, `"30s"`, `"5m"`, `"1h30m"`, `"2d"`; a bare number is seconds.
//! * Counts: plain numbers.
//!
//! Everything is converted to the base unit (millicores, bytes, microseconds,
//! bytes per second, count) as `f64` for distributions, then rounded once.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::time::SimDuration;

/// A quantity as written: a number or a string with a unit suffix.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// A bare TOML number.
    Number(f64),
    /// A string such as `"500m"` or `"8Gi"`.
    Text(String),
}

impl<'de> Deserialize<'de> for Literal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LiteralVisitor)
    }
}

impl Serialize for Literal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Literal::Number(n) => s.serialize_f64(*n),
            Literal::Text(t) => s.serialize_str(t),
        }
    }
}

pub(crate) struct LiteralVisitor;

impl Visitor<'_> for LiteralVisitor {
    type Value = Literal;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number or a quantity string such as \"500m\", \"8Gi\" or \"30s\"")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Literal, E> {
        Ok(Literal::Number(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Literal, E> {
        Ok(Literal::Number(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Literal, E> {
        Ok(Literal::Number(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Literal, E> {
        Ok(Literal::Text(v.to_string()))
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // `{:?}` keeps 1e300 short where `{}` would print 301 digits.
            Literal::Number(n) if n.abs() >= 1e15 => write!(f, "{n:?}"),
            Literal::Number(n) => write!(f, "{n}"),
            Literal::Text(t) => write!(f, "\"{t}\""),
        }
    }
}

/// The unit a field is measured in, which decides how a literal is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Millicores.
    Cpu,
    /// Bytes.
    Bytes,
    /// Bytes per second.
    Bandwidth,
    /// Microseconds.
    Duration,
    /// A plain count.
    Count,
}

impl Unit {
    /// What the unit's literals look like, for error messages.
    pub fn example(self) -> &'static str {
        match self {
            Unit::Cpu => "a CPU quantity such as \"500m\", \"2\" or 0.5",
            Unit::Bytes => "a memory quantity such as \"512Mi\" or \"8Gi\"",
            Unit::Bandwidth => "a rate such as \"100Mi\" (bytes per second)",
            Unit::Duration => "a duration such as \"250ms\", \"30s\", \"5m\" or \"1h30m\"",
            Unit::Count => "a number",
        }
    }

    /// Converts `lit` to this unit's base unit.
    pub fn parse(self, lit: &Literal) -> Result<f64, String> {
        let value = match (self, lit) {
            (Unit::Count, Literal::Number(n)) => Ok(*n),
            (Unit::Count, Literal::Text(_)) => Err(()),
            (Unit::Cpu, Literal::Number(n)) => Ok(n * 1000.0),
            (Unit::Cpu, Literal::Text(t)) => parse_k8s_quantity(t).map(|v| v * 1000.0),
            (Unit::Bytes | Unit::Bandwidth, Literal::Number(n)) => Ok(*n),
            (Unit::Bytes, Literal::Text(t)) => parse_k8s_quantity(t),
            (Unit::Bandwidth, Literal::Text(t)) => parse_k8s_quantity(t.strip_suffix("/s").unwrap_or(t)),
            (Unit::Duration, Literal::Number(n)) => Ok(n * 1e6),
            (Unit::Duration, Literal::Text(t)) => parse_duration_micros(t),
        };
        match value {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(format!("expected {}, got {lit}", self.example())),
        }
    }
}

/// A duration as a scenario writes it, in its largest whole unit: `"15m"`,
/// `"10s"`, `"250ms"`, `"0s"` (what [`Unit::Duration`] parses back exactly).
pub fn duration_text(d: SimDuration) -> String {
    let us = d.as_micros();
    let units: [(&str, u64); 6] =
        [("d", 86_400_000_000), ("h", 3_600_000_000), ("m", 60_000_000), ("s", 1_000_000), ("ms", 1_000), ("us", 1)];
    match units.iter().find(|(_, size)| us % size == 0 && us > 0) {
        Some((unit, size)) => format!("{}{unit}", us / size),
        None => "0s".to_string(),
    }
}

/// Parses a Kubernetes resource quantity (`resource.Quantity`): a decimal
/// number with an optional binary (`Ki`…`Ei`) or decimal (`n`, `u`, `m`, `k`,
/// `M`…`E`) suffix.
fn parse_k8s_quantity(s: &str) -> Result<f64, ()> {
    let s = s.trim();
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (number, suffix) = s.split_at(split);
    let n: f64 = number.parse().map_err(|_| ())?;
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        _ => return Err(()),
    };
    Ok(n * factor)
}

/// Parses a Go-style duration (`"1h30m"`, `"250ms"`, `"1.5s"`, plus `d` for
/// days) into microseconds.
fn parse_duration_micros(s: &str) -> Result<f64, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Err(());
    }
    if s == "0" {
        return Ok(0.0);
    }
    let mut total = 0.0;
    let mut rest = s;
    while !rest.is_empty() {
        let num_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or(())?;
        if num_end == 0 {
            return Err(());
        }
        let n: f64 = rest[..num_end].parse().map_err(|_| ())?;
        rest = &rest[num_end..];
        let unit_end = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let factor = match &rest[..unit_end] {
            "ns" => 1e-3,
            "us" | "µs" => 1.0,
            "ms" => 1e3,
            "s" => 1e6,
            "m" => 60e6,
            "h" => 3600e6,
            "d" => 86400e6,
            _ => return Err(()),
        };
        total += n * factor;
        rest = &rest[unit_end..];
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Literal {
        Literal::Text(s.into())
    }

    #[test]
    fn durations_print_in_their_largest_whole_unit_and_parse_back() {
        for (us, text) in [
            (0, "0s"),
            (250_000, "250ms"),
            (10_000_000, "10s"),
            (900_000_000, "15m"),
            (90_000_000, "90s"),
            (2_592_000_000_000, "30d"),
            (7, "7us"),
        ] {
            let d = SimDuration::from_micros(us);
            assert_eq!(duration_text(d), text);
            assert_eq!(Unit::Duration.parse(&t(text)), Ok(us as f64));
        }
    }

    #[test]
    fn kubernetes_quantities() {
        assert_eq!(Unit::Cpu.parse(&t("500m")), Ok(500.0));
        assert_eq!(Unit::Cpu.parse(&t("2")), Ok(2000.0));
        assert_eq!(Unit::Cpu.parse(&Literal::Number(0.25)), Ok(250.0));
        assert_eq!(Unit::Bytes.parse(&t("8Gi")), Ok(8.0 * 1024.0 * 1024.0 * 1024.0));
        assert_eq!(Unit::Bytes.parse(&t("1G")), Ok(1e9));
        assert_eq!(Unit::Bandwidth.parse(&t("100Mi/s")), Ok(100.0 * 1024.0 * 1024.0));
        assert!(Unit::Bytes.parse(&t("8GB")).is_err());
        assert!(Unit::Count.parse(&t("3")).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(Unit::Duration.parse(&t("1h30m")), Ok(5400e6));
        assert_eq!(Unit::Duration.parse(&t("250ms")), Ok(250e3));
        assert_eq!(Unit::Duration.parse(&t("1.5s")), Ok(1.5e6));
        assert_eq!(Unit::Duration.parse(&Literal::Number(10.0)), Ok(10e6));
        assert!(Unit::Duration.parse(&t("5 minutes")).is_err());
        assert!(Unit::Duration.parse(&t("s")).is_err());
    }
}
