//! Traces of request arrivals, one row per request: the Azure LLM inference
//! trace 2023 ([`RateFormat::AzureLlm`](super::RateFormat::AzureLlm)).
//!
//! Each row is one request at its `TIMESTAMP`; the rate of a bin is the
//! requests in it over its length (module docs of [`super`]). The token
//! columns (`ContextTokens`, `GeneratedTokens`) size each request's work,
//! which a request-rate load does not model: they are dropped, unchecked.
//! Rows must be in non-decreasing time (several requests may share a
//! timestamp): a row earlier than the last good one is a bad row.

use std::ops::ControlFlow;
use std::path::Path;

use csv::StringRecord;

use super::{csv_reader, line_of, parse_civil, visit_rows, Aggregator, Extent, Header};
use crate::trace::rows::bad;
use crate::trace::TraceError;

const NANOS: i64 = 1_000_000_000;

/// The longest a trace may run from its first request, in years of 365.25
/// days ([`MAX_SPAN_NS`]).
const MAX_SPAN_YEARS: u64 = 100;

/// The longest a trace may run from its first request, in nanoseconds. Timestamps may lie anywhere in 1678–2262 (an `i64` of nanoseconds),
/// so two of them may be up to 584 years apart, more than an `i64`
/// difference holds; and a request centuries after the others is a corrupt
/// timestamp, not data (the published traces span an hour to two weeks),
/// whose series would stretch one-second bins over ~10¹⁰ seconds.
const MAX_SPAN_NS: u64 = MAX_SPAN_YEARS * 31_557_600 * NANOS as u64;

/// Nanoseconds since 1970-01-01 of `YYYY-MM-DD HH:MM:SS[.fffffffff]` (up to 9 decimals).
pub(super) fn parse_timestamp_ns(text: &str) -> Result<i64, String> {
    const EXPECTED: &str = "a time as `YYYY-MM-DD HH:MM:SS.fffffff`";
    let (secs, rest) = parse_civil(text, EXPECTED)?;
    let fraction = match rest.strip_prefix('.') {
        None if rest.is_empty() => 0,
        Some(digits) if (1..=9).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) => {
            digits.bytes().fold(0i64, |acc, b| acc * 10 + i64::from(b - b'0')) * 10i64.pow(9 - digits.len() as u32)
        }
        _ => return Err(format!("expected {EXPECTED} (at most 9 decimals), found `{text}`")),
    };
    secs.checked_mul(NANOS).and_then(|ns| ns.checked_add(fraction)).ok_or_else(|| format!("`{text}` is out of range"))
}

pub(super) fn read_azure_llm(path: &Path, agg: &mut Aggregator) -> Result<Extent, TraceError> {
    let mut reader = csv_reader(path)?;
    let header = Header::read(path, &mut reader, &["TIMESTAMP"])?;
    let column = header.name(0).to_string();
    let mut line = 1;
    // Trace time 0 (the first request's whole second), the last good request (ns) and its line.
    let mut zero = None;
    let mut last: Option<(i64, u64)> = None;
    let mut end = 0.0;
    let rows = visit_rows(path, &header, &mut reader, agg, |row, _, agg| {
        let Some(ns) = agg.bad_rows.check(arrival(path, &header, row, last, zero))? else { return Ok(ControlFlow::Continue(())) };
        line = line_of(row);
        last = Some((ns, line));
        let zero = *zero.get_or_insert(ns - ns.rem_euclid(NANOS));
        // `arrival` has bounded the span to MAX_SPAN_NS (a difference of i64 may not fit one).
        let t = ns.abs_diff(zero) as f64 / NANOS as f64;
        if agg.past_window(t) {
            end = agg.end;
            return Ok(ControlFlow::Break(()));
        }
        agg.arrive(t).map_err(|m| bad(path, line, &column, m))?;
        // The data reach the end of the last request's bin.
        end = agg.bin.map_or(t, |bin| ((t / bin).floor() + 1.0) * bin);
        Ok(ControlFlow::Continue(()))
    })?;
    agg.finish(end).map_err(|m| bad(path, line, &column, m))?;
    Ok(Extent { rows, end, last_line: line, last_column: column })
}

/// A request's timestamp (ns), which must not be before the last good one's
/// nor more than [`MAX_SPAN_NS`] after trace time 0 (`zero`, ns).
fn arrival(path: &Path, header: &Header, row: &StringRecord, last: Option<(i64, u64)>, zero: Option<i64>) -> Result<i64, TraceError> {
    let line = line_of(row);
    let text = &row[header.columns[0]];
    let at = |m| bad(path, line, header.name(0), m);
    let ns = parse_timestamp_ns(text).map_err(at)?;
    match (last, zero) {
        (Some((prev, pline)), _) if ns < prev => Err(at(format!("out of order: `{text}` is before line {pline}"))),
        (_, Some(zero)) if ns.abs_diff(zero) > MAX_SPAN_NS => {
            Err(at(format!("`{text}` is more than {MAX_SPAN_YEARS} years after the trace's first request, so not a time of this trace")))
        }
        _ => Ok(ns),
    }
}

#[cfg(test)]
mod tests {
    use tempfile::TempDir;

    use super::super::tests::{secs, write};
    use super::super::{read_rate_series, RateFormat, RateOptions, RateSeries};
    use super::*;
    use crate::time::SimDuration;
    use crate::trace::test_files::fixture;
    use crate::trace::testing::needed;

    fn azure(path: &Path, opts: &RateOptions) -> RateSeries {
        read_rate_series(path, RateFormat::AzureLlm, opts).unwrap_or_else(|e| panic!("{e}"))
    }

    const HEADER: &str = "TIMESTAMP,ContextTokens,GeneratedTokens\n";

    #[test]
    fn timestamps_keep_100_ns_and_cross_days() {
        assert_eq!(parse_timestamp_ns("1970-01-01 00:00:01.0000001"), Ok(NANOS + 100));
        assert_eq!(parse_timestamp_ns("1970-01-01 00:00:01"), Ok(NANOS));
        assert_eq!(parse_timestamp_ns("1970-01-01T00:00:00.5"), Ok(NANOS / 2));
        let day = parse_timestamp_ns("2023-11-17 00:00:00.0000000").unwrap() - parse_timestamp_ns("2023-11-16 23:59:59.9999999").unwrap();
        assert_eq!(day, 100);
        for bad in ["2023-11-16 18:15:46.", "2023-11-16 18:15:46.1234567890", "2023-11-16 18:15:46,5", "2023-11-16 18:15:4x.5"] {
            assert!(parse_timestamp_ns(bad).is_err(), "{bad}");
        }
        assert!(parse_timestamp_ns("2023-02-29 00:00:00").unwrap_err().contains("not a valid date"));
    }

    #[test]
    fn requests_are_counted_per_second_from_the_first_whole_second() {
        let dir = TempDir::new().unwrap();
        let text = format!(
            "{HEADER}2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:46.9,1,1\n2023-11-16 18:15:46.9,1,1\n\
             2023-11-16 18:15:49.0000000,1,1\n2023-11-16 18:15:49.5,1,1\n"
        );
        let path = write(&dir, "azure.csv", text);
        let s = azure(&path, &RateOptions::default());
        // Trace time 0 is 18:15:46: three requests in [0, 1), none in [1, 3), two in [3, 4).
        assert_eq!(secs(&s), [(0.0, 3.0), (1.0, 0.0), (3.0, 2.0)]);
        assert_eq!((s.requests, s.rows, s.duration), (5.0, 5, SimDuration::from_secs(4)));
        let s = azure(&path, &RateOptions { bin_s: Some(2.5), ..RateOptions::default() });
        assert_eq!(secs(&s), [(0.0, 3.0 / 2.5), (2.5, 2.0 / 2.5)]);
        assert_eq!(s.duration, SimDuration::from_secs(5));
        // A window cutting bins averages over their part inside it; the request at 3.5 s is past it.
        let s = azure(&path, &RateOptions { skip_s: 0.5, take_s: Some(3.0), ..RateOptions::default() });
        assert_eq!((secs(&s), s.requests, s.rows), (vec![(0.0, 3.0 / 0.5), (0.5, 0.0), (2.5, 1.0 / 0.5)], 4.0, 4));
    }

    #[test]
    fn bad_and_reordered_rows_fail_or_are_skipped() {
        let dir = TempDir::new().unwrap();
        let good = "2023-11-16 18:15:46.5,1,1\n";
        let cases = [
            (
                format!("{HEADER}{good}2023-11-16 18:15:46.4,1,1\n"),
                3,
                "TIMESTAMP",
                "out of order: `2023-11-16 18:15:46.4` is before line 2",
            ),
            (format!("{HEADER}{good}2023-11-16 18:15,1,1\n"), 3, "TIMESTAMP", "expected a time"),
            (format!("{HEADER}{good}yesterday,1,1\n"), 3, "TIMESTAMP", "`yesterday`"),
            (format!("{HEADER}{good}2023-11-16 25:00:00,1,1\n"), 3, "TIMESTAMP", "not a valid date"),
            // 101 years after the first request: more than MAX_SPAN_YEARS.
            (format!("{HEADER}{good}2124-11-16 18:15:47,1,1\n"), 3, "TIMESTAMP", "more than 100 years after the trace's first request"),
            (format!("{HEADER}{good}2023-11-16 18:15:47\n"), 3, "ContextTokens", "missing"),
            (format!("{HEADER}{good}2023-11-16 18:15:47,1,1,1\n"), 3, "field 4", "extra field"),
        ];
        for (k, (text, line, column, message)) in cases.into_iter().enumerate() {
            let path = write(&dir, &format!("bad{k}.csv"), format!("{text}2023-11-16 18:15:48,1,1\n"));
            let err = read_rate_series(&path, RateFormat::AzureLlm, &RateOptions::default()).unwrap_err();
            let shown = err.to_string();
            assert!(shown.contains(&format!("line {line}, {column}: ")) && shown.contains(message), "case {k}: {shown}");
            let s = azure(&path, &RateOptions { skip_bad_rows: true, ..RateOptions::default() });
            assert_eq!((s.requests, s.bad_rows.count), (2.0, 1), "case {k}");
            assert_eq!(secs(&s), [(0.0, 1.0), (1.0, 0.0), (2.0, 1.0)], "case {k}");
            assert!(s.bad_rows.examples[0].contains(message), "case {k}: {:?}", s.bad_rows.examples);
        }
    }

    /// Timestamps 338 years apart, both valid `i64` nanoseconds, whose
    /// difference overflowed one (fuzzing, `fuzz/regressions/rate_azure_llm/`):
    /// the later is a bad row; just under the bound, the span is read.
    #[test]
    fn timestamps_centuries_apart_are_bad_rows_not_overflows() {
        let dir = TempDir::new().unwrap();
        let path = write(&dir, "far.csv", "TIMESTAMP\n1685-11-16 18:15:57\n2023-11-16 18:12:52\n");
        let err = read_rate_series(&path, RateFormat::AzureLlm, &RateOptions::default()).unwrap_err().to_string();
        assert!(err.contains("far.csv: line 3, TIMESTAMP: `2023-11-16 18:12:52` is more than 100 years after"), "{err}");
        let s = azure(&path, &RateOptions { skip_bad_rows: true, ..RateOptions::default() });
        assert_eq!((s.requests, s.bad_rows.count, secs(&s)), (1.0, 1, vec![(0.0, 1.0)]));
        // 1900 to 2000: 36,524 days, under 100 years of 365.25 days.
        let path = write(&dir, "near.csv", "TIMESTAMP\n1900-01-01 00:00:00\n2000-01-01 00:00:00\n");
        let s = azure(&path, &RateOptions::default());
        let span = 36_524.0 * 86_400.0;
        assert_eq!((s.requests, secs(&s)), (2.0, vec![(0.0, 1.0), (1.0, 0.0), (span, 1.0)]));
        assert_eq!(s.duration, SimDuration::from_secs(36_524 * 86_400 + 1));
    }

    #[test]
    fn the_fixture_requests_are_counted_in_wall_clock_seconds() {
        // Requests at 46.68, 46.995, 47.0 and 49.255 s past 18:15: trace time 0 is 18:15:46.
        let path = fixture("azure-llm-2023/AzureLLMInferenceTrace_conv.csv");
        let s = azure(&path, &RateOptions::default());
        assert_eq!(secs(&s), [(0.0, 2.0), (1.0, 1.0), (2.0, 0.0), (3.0, 1.0)]);
        assert_eq!((s.requests, s.rows, s.duration), (4.0, 4, SimDuration::from_secs(4)));
        let s = azure(&path, &RateOptions { bin_s: Some(2.0), ..RateOptions::default() });
        assert_eq!((secs(&s), s.duration), (vec![(0.0, 1.5), (2.0, 0.5)], SimDuration::from_secs(4)));
    }

    #[test]
    fn azure_conv_and_code_traces_have_the_readme_request_counts() {
        let Some(dir) = needed("azure-llm-2023") else { return };
        for (file, requests) in [("AzureLLMInferenceTrace_conv.csv", 19_366u64), ("AzureLLMInferenceTrace_code.csv", 8_819)] {
            let s = azure(&dir.join(file), &RateOptions::default());
            assert_eq!((s.requests, s.rows, s.bad_rows.count), (requests as f64, requests, 0), "{file}");
            // About an hour: conv runs 18:15:46 to 19:14:08, code 18:17:03 to 19:14:19.
            let minutes = s.duration.as_secs_f64() / 60.0;
            assert!((57.0..60.0).contains(&minutes), "{file}: {minutes} min");
            let m = azure(&dir.join(file), &RateOptions { bin_s: Some(60.0), ..RateOptions::default() });
            assert_eq!(m.requests, requests as f64, "{file}");
        }
    }
}
