//! Request-rate and usage readers ([`RateFormat`]): one fuzz input is an
//! optional options line and the trace's file (or, for the formats read from
//! a tar archive, its members).

use std::path::{Path, PathBuf};

use orchsim::time::SimTime;
use orchsim::trace::inspect::rate_report;
use orchsim::trace::{read_rate_series, RateFormat, RateOptions, RateSeries};

use crate::files::{fresh_dir, split, write};

/// The first line of an input, when it starts with `#!`, sets the options:
/// whitespace-separated `key=value` with the keys `skip`, `take`, `bin`,
/// `scale`, `speedup`, `step` (seconds or factors), `member`, `column` and
/// `request_type` (`+` for a space). Unknown keys and unparsable numbers are
/// ignored, so that most mutations of the line still give options. The
/// options' own checks are part of what is fuzzed: the reader validates them.
pub fn options(data: &[u8]) -> (RateOptions, &[u8]) {
    let mut opts = RateOptions::default();
    if !data.starts_with(b"#!") {
        return (opts, data);
    }
    let end = data.iter().position(|&b| b == b'\n').map_or(data.len(), |i| i + 1);
    for pair in String::from_utf8_lossy(&data[2..end]).split_whitespace() {
        let Some((key, value)) = pair.split_once('=') else { continue };
        let number = value.parse::<f64>().ok();
        let text = Some(value.replace('+', " "));
        match key {
            "skip" => opts.skip_s = number.unwrap_or(opts.skip_s),
            "take" => opts.take_s = number,
            "bin" => opts.bin_s = number,
            "scale" => opts.scale = number.unwrap_or(opts.scale),
            "speedup" => opts.speedup = number.unwrap_or(opts.speedup),
            "step" => opts.step_s = number,
            "member" => opts.member = text,
            "column" => opts.column = text,
            "request_type" => opts.request_type = text,
            _ => {}
        }
    }
    (opts, &data[end..])
}

/// Writes the trace's file: for the archive formats, several parts make a
/// tar archive whose members are named by their separator lines (a default
/// name for the first and for names that are not plain file names); anything
/// else is one file named as the shipped trace is (the usage format reads its
/// step from the name).
fn write_trace(format: RateFormat, body: &[u8], dir: &Path) -> PathBuf {
    let (file, member) = match format {
        RateFormat::AlibabaQps => ("qps.csv", "qps.csv"),
        RateFormat::Planetlab => ("vm-0", "vm-0"),
        RateFormat::Alibaba2018Usage => ("usage_30s.csv", ""),
        _ => ("series.csv", ""),
    };
    let parts = split(body);
    if member.is_empty() || parts.len() == 1 {
        let path = dir.join(file);
        write(&path, body);
        return path;
    }
    let mut tar = tar::Builder::new(Vec::new());
    for (k, part) in parts.iter().enumerate() {
        let plain = !part.name.is_empty()
            && !part.name.starts_with('.')
            && part.name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        let name = match k {
            0 => member.to_string(),
            _ if plain => part.name.to_string(),
            _ => format!("{member}.{k}"),
        };
        let mut header = tar::Header::new_gnu();
        header.set_size(part.body.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, format!("trace/{name}"), part.body).expect("appending to a tar in memory cannot fail");
    }
    let path = dir.join("trace.tar");
    write(&path, &tar.into_inner().expect("a tar in memory cannot fail"));
    path
}

/// Reads `data` as a `format` series, failing on bad rows and skipping them,
/// and checks what a successful read promises:
/// * the points are a step function as documented on [`RateSeries::points`]:
///   the first at time 0, strictly increasing times, consecutive rates
///   different, every rate a finite number ≥ 0;
/// * skipping bad rows changes nothing when there were none to skip;
/// * the series written in the native format (`orchsim trace convert`) reads
///   back to the same points;
/// * the inspection report does not panic.
pub fn check(format: RateFormat, data: &[u8]) {
    let dir = fresh_dir("rates");
    let (opts, body) = options(data);
    let path = write_trace(format, body, &dir);
    let strict = read_rate_series(&path, format, &RateOptions { skip_bad_rows: false, ..opts.clone() });
    // NASA's format refuses to skip (a value's position is its second).
    let lenient = (format != RateFormat::NasaSecond).then(|| read_rate_series(&path, format, &RateOptions { skip_bad_rows: true, ..opts }));
    match (&strict, &lenient) {
        (Ok(s), Some(Ok(l))) => {
            assert_eq!(l.bad_rows.count, 0, "a read that fails on no bad row skipped {} with skip_bad_rows", l.bad_rows.count);
            assert_eq!((&s.points, s.requests.to_bits(), s.rows, s.duration), (&l.points, l.requests.to_bits(), l.rows, l.duration));
        }
        (Ok(_), Some(Err(e))) => panic!("the series reads, but not with skip_bad_rows: {e}"),
        (Err(e), _) => drop(e.to_string()),
        (Ok(_), None) => {}
    }
    for series in [strict.ok(), lenient.and_then(Result::ok)].into_iter().flatten() {
        is_a_step_function(&series);
        let _ = rate_report(&series, format.name());
        converts_and_reads_back(&series, &dir);
    }
}

fn is_a_step_function(series: &RateSeries) {
    let points = &series.points;
    assert_eq!(points.first().map(|p| p.0), Some(SimTime::ZERO), "a series starts at time 0: {points:?}");
    for pair in points.windows(2) {
        assert!(pair[0].0 < pair[1].0, "times must increase strictly: {pair:?}");
        assert!(pair[0].1 != pair[1].1, "consecutive rates must differ: {pair:?}");
    }
    assert!(points.iter().all(|p| p.1.is_finite() && p.1 >= 0.0), "rates must be finite and ≥ 0: {points:?}");
}

/// `orchsim trace convert`: the native file it writes reads back to the same points.
fn converts_and_reads_back(series: &RateSeries, dir: &Path) {
    let mut native = Vec::new();
    series.write_native(&mut native).expect("writing to memory cannot fail");
    let path = dir.join("converted.csv");
    write(&path, &native);
    let back = read_rate_series(&path, RateFormat::Native, &RateOptions::default())
        .unwrap_or_else(|e| panic!("the converted series does not read back: {e}\n{}", String::from_utf8_lossy(&native)));
    assert_eq!(back.points, series.points, "the converted series reads back different\n{}", String::from_utf8_lossy(&native));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_options_line_sets_the_options_it_names_and_is_cut_off() {
        let (opts, body) = options(b"#! skip=60 take=x bin=10 request_type=API+Requests nothing\ntime_s,rate\n");
        assert_eq!((opts.skip_s, opts.take_s, opts.bin_s, opts.request_type.as_deref()), (60.0, None, Some(10.0), Some("API Requests")));
        assert_eq!(body, b"time_s,rate\n");
        assert_eq!(options(b"time_s,rate\n"), (RateOptions::default(), &b"time_s,rate\n"[..]));
    }
}
