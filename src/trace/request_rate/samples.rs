//! Sampled rates of a service's containers: the Alibaba GenAI trace 2026's
//! `qps.csv` ([`RateFormat::AlibabaQps`](super::RateFormat::AlibabaQps)).
//!
//! # Schema and units
//! `timestamp_anon,value,container_ip,request_type`: at `timestamp_anon`
//! (seconds, anonymised by a shift: only differences count), one container
//! (`container_ip`, an md5; empty for `API Requests`) served `value` requests/s
//! of `request_type` (`Generative Requests` or `API Requests`). Alibaba scaled
//! the values: they give the shape of the load, and `scale` its level.
//!
//! # From samples to a rate
//! The service's rate at a timestamp is the **sum of its rows' values** there
//! (all containers; with `request_type`, only that type's rows), held until the
//! next timestamp (the containers report every 57 s; a timestamp at which some
//! containers did not report sums only those that did). `container_ip` is
//! dropped: two rows of one container at one timestamp both count.
//!
//! # Order
//! The published file is sorted by time, but nothing in the format promises
//! it, so rows may come in any order: they are summed per timestamp in an
//! ordered map, whose size is the number of distinct timestamps (1,145 in the
//! sample, about 1,500 a day), not of rows. The series is built once the file
//! is read, so a short window still reads the whole file.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::ops::ControlFlow;
use std::path::Path;

use csv::StringRecord;

use super::archive::{for_each_member, is_member, is_tar};
use super::{csv_over, line_of, visit_rows, Aggregator, Extent, Header, RateOptions, Step, Steps};
use crate::trace::rows::{bad, parse_non_negative};
use crate::trace::TraceError;

/// The member of the published archive.
const MEMBER: &str = "qps.csv";

/// The rows of one timestamp.
struct Sum {
    value: f64,
    rows: u64,
    /// Its first row, for errors.
    line: u64,
}

/// What the rows add up to: per timestamp (µs, so that keys are exact).
#[derive(Default)]
struct Samples {
    by_time: BTreeMap<i64, Sum>,
    /// Rows read, good or bad, kept or not.
    rows: u64,
    /// The request types seen, to say which exist when the one asked for is not.
    types: BTreeSet<String>,
}

pub(super) fn read_alibaba_qps(path: &Path, opts: &RateOptions, agg: &mut Aggregator) -> Result<Extent, TraceError> {
    let mut samples = Samples::default();
    // Where the CSV is (a tar member's path for errors).
    let mut csv_path = path.to_path_buf();
    if is_tar(path) {
        let wanted = opts.member.as_deref().unwrap_or(MEMBER);
        let mut found = false;
        for_each_member(path, |member, name, source| {
            if !is_member(name, wanted) {
                return Ok(true);
            }
            found = true;
            csv_path = member.to_path_buf();
            read_csv(member, source, opts, agg, &mut samples)?;
            Ok(false)
        })?;
        if !found {
            return Err(TraceError::Empty { path: path.to_path_buf(), message: format!("the archive has no member `{wanted}`") });
        }
    } else {
        read_csv(path, crate::trace::open(path)?, opts, agg, &mut samples)?;
    }
    if let (Some(wanted), true) = (&opts.request_type, samples.by_time.is_empty() && samples.rows > 0) {
        let found: Vec<_> = samples.types.iter().map(|t| format!("`{t}`")).collect();
        let message = format!("no row has the request_type `{wanted}` (found {})", found.join(", "));
        return Err(TraceError::Empty { path: csv_path, message });
    }
    feed(&csv_path, samples, agg)
}

/// Reads the rows of the CSV in `source` into `samples`.
fn read_csv(path: &Path, source: impl Read, opts: &RateOptions, agg: &mut Aggregator, samples: &mut Samples) -> Result<(), TraceError> {
    let mut reader = csv_over(source);
    let header = Header::read(path, &mut reader, &["timestamp_anon", "value", "request_type"])?;
    let rows = visit_rows(path, &header, &mut reader, agg, |row, _, agg| {
        let Some((key, value)) = agg.bad_rows.check(sample(path, &header, row))? else { return Ok(ControlFlow::Continue(())) };
        let kind = &row[header.columns[2]];
        if !samples.types.contains(kind) {
            samples.types.insert(kind.to_string());
        }
        if opts.request_type.as_deref().is_none_or(|wanted| wanted == kind) {
            let sum = samples.by_time.entry(key).or_insert(Sum { value: 0.0, rows: 0, line: line_of(row) });
            sum.value += value;
            sum.rows += 1;
        }
        Ok(ControlFlow::Continue(()))
    })?;
    samples.rows += rows;
    Ok(())
}

/// A row's timestamp (µs) and value.
fn sample(path: &Path, header: &Header, row: &StringRecord) -> Result<(i64, f64), TraceError> {
    let line = line_of(row);
    let at = |i: usize| move |m| bad(path, line, header.name(i), m);
    let secs = parse_non_negative(&row[header.columns[0]], "timestamp").map_err(at(0))?;
    // Exact in an f64 up to 2^53 µs (285 years); later is no timestamp of this trace.
    if secs >= 9.0e9 {
        return Err(at(0)(format!("timestamp {secs} s is beyond the year 2255")));
    }
    let value = parse_non_negative(&row[header.columns[1]], "value").map_err(at(1))?;
    Ok(((secs * 1e6).round() as i64, value))
}

/// Feeds the timestamps' sums, in time order, as steps from the earliest.
fn feed(path: &Path, samples: Samples, agg: &mut Aggregator) -> Result<Extent, TraceError> {
    let column = "timestamp_anon";
    let mut steps = Steps::new(path, column);
    let first = samples.by_time.keys().next().copied().unwrap_or(0);
    for (key, sum) in samples.by_time {
        let step = Step { t: (key - first) as f64 / 1e6, rate: sum.value, line: sum.line, rows: sum.rows };
        if !steps.row(agg, step)? {
            break;
        }
    }
    let (end, last_line) = steps.finish(agg, None)?;
    Ok(Extent { rows: samples.rows, end, last_line, last_column: column.into() })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use tempfile::TempDir;

    use super::super::tests::{gzip, secs, tar, write};
    use super::super::{read_rate_series, RateFormat, RateSeries};
    use super::*;
    use crate::time::SimDuration;
    use crate::trace::test_files::fixture;
    use crate::trace::testing::needed;

    fn qps(path: &Path, opts: &RateOptions) -> RateSeries {
        read_rate_series(path, RateFormat::AlibabaQps, opts).unwrap_or_else(|e| panic!("{e}"))
    }

    const QPS: &str = "timestamp_anon,value,container_ip,request_type\n\
        1000.0,0.5,,API Requests\n\
        1000.0,1.0,aa,Generative Requests\n\
        1000.0,2.0,bb,Generative Requests\n\
        1057.0,1.5,aa,Generative Requests\n\
        1114.0,0.25,,API Requests\n";

    #[test]
    fn containers_are_summed_per_timestamp_and_held_to_the_next() {
        let dir = TempDir::new().unwrap();
        let path = write(&dir, "qps.csv", QPS);
        let s = qps(&path, &RateOptions::default());
        assert_eq!(secs(&s), [(0.0, 3.5), (57.0, 1.5), (114.0, 0.25)]);
        assert_eq!((s.requests, s.rows, s.duration), (3.5 * 57.0 + 1.5 * 57.0, 5, SimDuration::from_secs(114)));
        let generative = RateOptions { request_type: Some("Generative Requests".into()), ..RateOptions::default() };
        let s = qps(&path, &generative);
        assert_eq!((secs(&s), s.rows, s.duration), (vec![(0.0, 3.0), (57.0, 1.5)], 3, SimDuration::from_secs(57)));
        let err =
            read_rate_series(&path, RateFormat::AlibabaQps, &RateOptions { request_type: Some("x".into()), ..RateOptions::default() });
        let err = err.unwrap_err().to_string();
        assert!(err.contains("no row has the request_type `x` (found `API Requests`, `Generative Requests`)"), "{err}");
    }

    #[test]
    fn unsorted_rows_give_the_same_series_as_sorted() {
        let dir = TempDir::new().unwrap();
        let mut lines: Vec<&str> = QPS.lines().collect();
        lines[1..].reverse();
        let sorted = qps(&write(&dir, "sorted.csv", QPS), &RateOptions::default());
        let reversed = qps(&write(&dir, "reversed.csv", lines.join("\n")), &RateOptions::default());
        assert_eq!(sorted, reversed);
    }

    #[test]
    fn the_csv_is_read_from_a_tar_gz_a_tar_or_a_gz() {
        let dir = TempDir::new().unwrap();
        let plain = qps(&write(&dir, "qps.csv", QPS), &RateOptions::default());
        let members = [("README", "not this"), ("qps.csv", QPS)];
        assert_eq!(qps(&write(&dir, "qps.tar.gz", tar(&members, true)), &RateOptions::default()), plain);
        assert_eq!(qps(&write(&dir, "qps.tar", tar(&members, false)), &RateOptions::default()), plain);
        assert_eq!(qps(&write(&dir, "qps.csv.gz", gzip(QPS.as_bytes())), &RateOptions::default()), plain);
        let renamed = write(&dir, "other.tar", tar(&[("data/rates.csv", QPS)], false));
        let err = read_rate_series(&renamed, RateFormat::AlibabaQps, &RateOptions::default()).unwrap_err().to_string();
        assert!(err.contains("the archive has no member `qps.csv`"), "{err}");
        assert_eq!(qps(&renamed, &RateOptions { member: Some("data/rates.csv".into()), ..RateOptions::default() }), plain);
        // Errors in a member name the member inside the archive.
        let bad = write(&dir, "bad.tar", tar(&[("qps.csv", &QPS.replace("1057.0,1.5", "1057.0,x"))], false));
        let err = read_rate_series(&bad, RateFormat::AlibabaQps, &RateOptions::default()).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{}: line 5, value: not a number: `x`", bad.join("qps.csv").display())), "{err}");
        // A truncated archive is an I/O error.
        let whole = tar(&members, true);
        let cut = write(&dir, "cut.tar.gz", &whole[..whole.len() / 2]);
        let err = read_rate_series(&cut, RateFormat::AlibabaQps, &RateOptions::default()).unwrap_err();
        assert!(matches!(err, TraceError::Io { .. }), "{err}");
    }

    #[test]
    fn bad_rows_fail_or_are_skipped() {
        let dir = TempDir::new().unwrap();
        let cases = [
            ("1057.0,x,aa,Generative Requests", "value", "not a number: `x`"),
            ("1057.0,-1,aa,Generative Requests", "value", "negative value -1"),
            ("1057.0,inf,aa,Generative Requests", "value", "finite"),
            ("-5,1,aa,Generative Requests", "timestamp_anon", "negative timestamp -5"),
            ("1e12,1,aa,Generative Requests", "timestamp_anon", "beyond the year"),
            ("1057.0,1", "container_ip", "missing"),
        ];
        for (k, (bad_row, column, message)) in cases.into_iter().enumerate() {
            let text = QPS.replace("1057.0,1.5,aa,Generative Requests", bad_row);
            let path = write(&dir, &format!("bad{k}.csv"), text);
            let err = read_rate_series(&path, RateFormat::AlibabaQps, &RateOptions::default()).unwrap_err().to_string();
            assert!(err.contains(&format!("line 5, {column}: ")) && err.contains(message), "case {k}: {err}");
            let s = qps(&path, &RateOptions { skip_bad_rows: true, ..RateOptions::default() });
            assert_eq!((secs(&s), s.bad_rows.count, s.rows), (vec![(0.0, 3.5), (114.0, 0.25)], 1, 4), "case {k}");
        }
        let mut file = std::fs::File::create(dir.path().join("utf8.csv")).unwrap();
        file.write_all(b"timestamp_anon,value,container_ip,request_type\n1,1,\xff,API Requests\n2,1,,API Requests\n").unwrap();
        let err = read_rate_series(&dir.path().join("utf8.csv"), RateFormat::AlibabaQps, &RateOptions::default()).unwrap_err();
        assert!(err.to_string().contains("line 2, container_ip: not valid UTF-8"), "{err}");
        let s = qps(&dir.path().join("utf8.csv"), &RateOptions { skip_bad_rows: true, ..RateOptions::default() });
        assert_eq!((secs(&s), s.bad_rows.count), (vec![(0.0, 1.0)], 1));
    }

    #[test]
    fn the_fixture_archive_sums_the_containers_at_each_timestamp() {
        let path = fixture("alibaba-v2026-genai/qps.tar.gz");
        let s = qps(&path, &RateOptions::default());
        assert_eq!(secs(&s), [(0.0, 0.125 + 1.5), (57.0, 0.25 + 2.0 + 1.0), (114.0, 0.5)]);
        assert_eq!((s.rows, s.requests, s.duration), (6, 1.625 * 57.0 + 3.25 * 57.0, SimDuration::from_secs(114)));
        let generative = RateOptions { request_type: Some("Generative Requests".into()), scale: 10.0, ..RateOptions::default() };
        let s = qps(&path, &generative);
        assert_eq!((secs(&s), s.rows, s.requests), (vec![(0.0, 15.0), (57.0, 30.0), (114.0, 5.0)], 4, 1.5 * 57.0 + 3.0 * 57.0));
    }

    #[test]
    fn alibaba_genai_qps_has_the_readme_row_count() {
        let Some(path) = needed("alibaba-v2026-genai/qps.tar.gz") else { return };
        let s = qps(&path, &RateOptions::default());
        // 24,627 rows at 1,145 timestamps over 80,313 s (0.93 days).
        assert_eq!((s.rows, s.bad_rows.count, s.duration), (24_627, 0, SimDuration::from_secs(80_313)));
        assert!((s.requests / 203_262.57 - 1.0).abs() < 1e-9, "{}", s.requests);
        assert_eq!(s.points[0], (crate::time::SimTime::ZERO, 0.09000000000000001));
        for (kind, rows) in [("Generative Requests", 23_513), ("API Requests", 1_114)] {
            let s = qps(&path, &RateOptions { request_type: Some(kind.into()), ..RateOptions::default() });
            assert_eq!(s.rows, rows, "{kind}");
        }
    }
}
