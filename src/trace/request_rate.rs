//! Request-rate series of a service: the load that drives its autoscaling,
//! replayed from a trace as a step function (requests/s held from each point to
//! the next), ready for [`LoadShape::Series`](crate::model::load::LoadShape::Series).
//!
//! # Trace time
//! Each format has a *trace time* in seconds, and every option below is in
//! trace seconds:
//! * [`RateFormat::Native`]: `time_s` itself (seconds from the start of the trace);
//! * [`RateFormat::Worldcup98Minute`]: minutes since the **first row's** period,
//!   times 60. Minutes with no request are absent from the file (it has 125,300
//!   rows for 125,310 minutes), so a missing minute is a minute of zero requests;
//! * [`RateFormat::NasaSecond`]: the value's 0-based index (value *i* covers
//!   seconds `[i, i+1)`);
//! * [`RateFormat::AzureLlm`]: seconds since the **whole second** of the first
//!   row's `TIMESTAMP` (`18:15:46.68` is trace time 0.68 s), so that 1 s bins
//!   are wall-clock seconds. Requests are counted, 1 s bins unless `bin_s`
//!   (any length: arrivals are instants); the data end with the last request's bin;
//! * [`RateFormat::AlibabaQps`]: seconds since the earliest `timestamp_anon`
//!   (anonymised, shifted epoch seconds); rates in requests/s as scaled by
//!   Alibaba (relative, not absolute, load);
//! * [`RateFormat::Planetlab`]: 300 s times the value's 0-based line in its
//!   member (one day = 288 values); values in percent;
//! * [`RateFormat::Alibaba2018Usage`]: `step_s` times the 0-based data row
//!   (the derived file dropped its timestamps, and rows of the original that
//!   were missing leave no gap); values in percent.
//!
//! # From trace to series
//! 1. **Window.** Only `[skip_s, skip_s + take_s)` is kept; series time 0 is
//!    `skip_s`. Reading stops at the end of the window, so a short window of a
//!    big file is cheap (and rows after it are not checked).
//! 2. **Bins.** With `bin_s`, the rate of a bin is the requests in it divided by
//!    its length. Bins are aligned to trace time 0, not to `skip_s`, so series
//!    read with different skips agree on bin boundaries; a bin cut by the edge of
//!    the window or of the data averages over the part of it that is inside (so
//!    the last rate, which the series holds forever, is not diluted). A
//!    per-minute or per-second trace without `bin_s` is binned at its own
//!    resolution.
//! 3. **Speedup.** Trace second `t` becomes `(t − skip_s) / speedup`, and rates are
//!    multiplied by `speedup`: the same requests arrive in less time, as when a
//!    log is replayed faster. Use `scale = 1/speedup` to keep the rate levels and
//!    only shorten the run.
//! 4. **Scale** multiplies every rate.
//!
//! Points are only emitted where the rate changes (the step function is the
//! same), so a long run of empty minutes or seconds costs one point, not one per
//! bin. The first point is always at time 0 (rate 0 if the data start later).
//! Two points closer than the clock's 1 µs (a huge speedup) collapse into the
//! later one.
//!
//! # The native format's last row
//! Each row's rate holds until the next row; the last row's rate holds from then
//! on, as the series' last point does. With `take_s` it therefore fills the
//! window to its end (and counts in [`RateSeries::requests`]); without `take_s`
//! the series ends at the last row's time and its rate is only the final point.
//! [`RateFormat::AlibabaQps`] samples end the same way.
//!
//! # Usage profiles
//! [`RateFormat::Planetlab`] and [`RateFormat::Alibaba2018Usage`] record a
//! utilisation in percent (0–100), not requests: the series' values are that
//! percentage, and [`RateSeries::requests`] is its integral (percent·seconds).
//! A service's load takes the *shape* of the profile; `scale` turns percent
//! into requests/s (`scale = 20` makes 50 % into 1,000 requests/s).
//!
//! # Bad rows
//! A malformed row fails the read, naming the file, line and column. With
//! [`RateOptions::skip_bad_rows`] it is counted in [`RateSeries::bad_rows`]
//! and left out instead: as if its request never arrived
//! ([`RateFormat::AzureLlm`]), as if the row were absent (the CSV formats
//! whose rows carry their time), or, in the usage profiles, whose time is the
//! row's position, the previous row's value holds over it (in the PlanetLab
//! mean, the other VMs' mean is taken at that step). [`RateFormat::NasaSecond`]
//! refuses the option: a value's position is its second, and a skipped count
//! would have to be invented. I/O errors are never skipped.

mod archive;
mod arrivals;
mod samples;
mod usage;

use std::io::{self, BufRead, BufReader, Read};
use std::ops::ControlFlow;
use std::path::Path;

use csv::StringRecord;
use serde::Deserialize;

use super::rows::{bad, csv_reader, line_of, parse_count, parse_non_negative, Header};
use super::{open_uncapped, BadRows, TraceError};
use crate::time::{SimDuration, SimTime};

/// The layout of a request-rate file (any of them may be gzipped: `.gz`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RateFormat {
    /// Native CSV with the header `time_s,rate`: rate in requests/s from
    /// `time_s` (seconds from the start of the trace, strictly increasing, ≥ 0)
    /// until the next row. Other columns are allowed and ignored.
    Native,
    /// `worldcup98/wc98_requests_per_minute.csv`: header `period,count`, one row
    /// per minute with requests (`YYYY-MM-DD HH:MM:00`, GMT, strictly increasing;
    /// absent minutes had no requests).
    Worldcup98Minute,
    /// `nasa-http/nasa_jul_aug_1995_requests_per_second.txt.gz`: whitespace-separated
    /// counts of requests, one per second (on one line there; line breaks are allowed).
    NasaSecond,
    /// `azure-llm-2023/AzureLLMInferenceTrace_{conv,code}.csv`: one row per
    /// request, header `TIMESTAMP,ContextTokens,GeneratedTokens`, `TIMESTAMP` a
    /// datetime with up to 9 decimals (`2023-11-16 18:15:46.6805900`, 100 ns in
    /// the trace), in non-decreasing order. Requests are counted per bin (1 s
    /// unless `bin_s`); the token counts are dropped (not checked).
    AzureLlm,
    /// `alibaba-v2026-genai/qps.tar.gz` (its member `qps.csv`, or that CSV
    /// itself, plain or `.gz`): header `timestamp_anon,value,container_ip,request_type`,
    /// one row per container sample; `value` is the container's scaled
    /// requests/s. The service's rate at a timestamp is the sum over its rows
    /// (all containers, or those of `request_type`), held until the next
    /// timestamp. Rows may come in any order (summed per timestamp, see the `samples` module).
    AlibabaQps,
    /// `planetlab/planetlab-20110303.tar.gz`: one member per VM, each a CPU
    /// utilisation in percent (0–100) per line, every 5 min. A usage profile:
    /// the mean over all VMs, or the VM named by `member` (see the `usage` module).
    Planetlab,
    /// `alibaba-v2018-derived/machine_usage_days_1_to_8_clustermean_{30s,300s}.csv`:
    /// cluster-mean utilisation in percent, one row per `step_s` (the file has
    /// no time column), `column` (default `cpu_util_percent`). A usage profile.
    #[serde(rename = "alibaba-2018-usage")]
    Alibaba2018Usage,
}

impl RateFormat {
    /// Every format, for help texts and errors.
    pub const ALL: [RateFormat; 7] = [
        RateFormat::Native,
        RateFormat::Worldcup98Minute,
        RateFormat::NasaSecond,
        RateFormat::AzureLlm,
        RateFormat::AlibabaQps,
        RateFormat::Planetlab,
        RateFormat::Alibaba2018Usage,
    ];

    /// The name used in scenarios.
    pub fn name(self) -> &'static str {
        match self {
            RateFormat::Native => "native",
            RateFormat::Worldcup98Minute => "worldcup98-minute",
            RateFormat::NasaSecond => "nasa-second",
            RateFormat::AzureLlm => "azure-llm",
            RateFormat::AlibabaQps => "alibaba-qps",
            RateFormat::Planetlab => "planetlab",
            RateFormat::Alibaba2018Usage => "alibaba-2018-usage",
        }
    }

    /// Seconds covered by one row, for the formats with a fixed step
    /// ([`RateFormat::Alibaba2018Usage`]'s depends on the file: see [`RateOptions::step_s`]).
    pub fn resolution_s(self) -> Option<f64> {
        match self {
            RateFormat::Native | RateFormat::AzureLlm | RateFormat::AlibabaQps | RateFormat::Alibaba2018Usage => None,
            RateFormat::Worldcup98Minute => Some(60.0),
            RateFormat::NasaSecond => Some(1.0),
            RateFormat::Planetlab => Some(usage::PLANETLAB_STEP_S),
        }
    }
}

/// How to cut, aggregate and transform a trace into a series. All times are in
/// trace seconds (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct RateOptions {
    /// Skip this many seconds of the trace (time 0 of the series = this offset). Default 0.
    pub skip_s: f64,
    /// Keep at most this many seconds after the skip (None = all).
    pub take_s: Option<f64>,
    /// Aggregate into bins of this many seconds (rate = requests in bin / bin
    /// length); None keeps the trace's own resolution (1 s for the arrivals of
    /// [`RateFormat::AzureLlm`]). Must be a multiple of the native resolution
    /// for fixed-step formats, since finer bins would invent detail the trace
    /// does not have.
    pub bin_s: Option<f64>,
    /// Multiply every rate by this (default 1); for a usage profile, the
    /// requests/s of 1 %.
    pub scale: f64,
    /// Compress time: trace second t becomes t / speedup in the series (default
    /// 1). Rates are multiplied by it, so the requests are conserved.
    pub speedup: f64,
    /// Count and leave out malformed rows instead of failing (module docs, "Bad rows").
    pub skip_bad_rows: bool,
    /// [`RateFormat::AlibabaQps`]: keep only the rows of this `request_type`
    /// (`Generative Requests`, `API Requests`); None sums all.
    pub request_type: Option<String>,
    /// The member of a tar archive (or file of a directory) to read, by its
    /// path in the archive or its file name: [`RateFormat::Planetlab`]'s VM
    /// (None: the mean over all VMs), [`RateFormat::AlibabaQps`]'s CSV (None: `qps.csv`).
    pub member: Option<String>,
    /// [`RateFormat::Alibaba2018Usage`]: seconds between rows. None infers it
    /// from a file name ending in `_<N>s` (`…_30s.csv` → 30 s), and is an error
    /// for other names.
    pub step_s: Option<f64>,
    /// [`RateFormat::Alibaba2018Usage`]: the column to read (default
    /// `cpu_util_percent`; also `mem_util_percent`, `net_in`, `net_out`,
    /// `disk_io_percent`, all 0–100).
    pub column: Option<String>,
}

impl Default for RateOptions {
    fn default() -> Self {
        RateOptions {
            skip_s: 0.0,
            take_s: None,
            bin_s: None,
            scale: 1.0,
            speedup: 1.0,
            skip_bad_rows: false,
            request_type: None,
            member: None,
            step_s: None,
            column: None,
        }
    }
}

/// A request-rate step function read from a trace.
#[derive(Clone, Debug, PartialEq)]
pub struct RateSeries {
    /// (time, requests/s), each held until the next point; strictly increasing
    /// times, the first at [`SimTime::ZERO`], consecutive rates different.
    pub points: Vec<(SimTime, f64)>,
    /// Total requests in the kept window, before `scale` (and unchanged by
    /// `speedup`), so that it can be checked against the trace's published
    /// totals. For a usage profile, the integral of the percentage (% · s).
    pub requests: f64,
    /// Rows (values, for [`RateFormat::NasaSecond`] and [`RateFormat::Planetlab`];
    /// requests, for [`RateFormat::AzureLlm`]) that overlap the window.
    pub rows: u64,
    /// Where the kept data end, in series time: the end of the window or of the
    /// trace, whichever comes first (the native format's last row time when there
    /// is no `take_s`). After it the last point's rate holds.
    pub duration: SimDuration,
    /// Malformed rows skipped (with [`RateOptions::skip_bad_rows`]).
    pub bad_rows: BadRows,
}

impl RateSeries {
    /// Writes the series in the native rate format (`time_s,rate`), which
    /// reads back to the same step function.
    pub fn write_native(&self, out: impl std::io::Write) -> csv::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(["time_s", "rate"])?;
        for (t, rate) in &self.points {
            w.write_record([t.as_secs_f64().to_string(), rate.to_string()])?;
        }
        w.flush()?;
        Ok(())
    }
}

/// Reads a request-rate series from `path` (gzipped if its name ends in `.gz`),
/// streaming: memory holds the returned points, not the file.
pub fn read_rate_series(path: &Path, format: RateFormat, opts: &RateOptions) -> Result<RateSeries, TraceError> {
    let mut agg = Aggregator::new(path, format, opts)?;
    let read = match format {
        RateFormat::Native => read_native(path, &mut agg)?,
        RateFormat::Worldcup98Minute => read_worldcup98(path, &mut agg)?,
        RateFormat::NasaSecond => read_nasa(path, &mut agg)?,
        RateFormat::AzureLlm => arrivals::read_azure_llm(path, &mut agg)?,
        RateFormat::AlibabaQps => samples::read_alibaba_qps(path, opts, &mut agg)?,
        RateFormat::Planetlab => usage::read_planetlab(path, opts, &mut agg)?,
        RateFormat::Alibaba2018Usage => usage::read_alibaba_2018(path, opts, &mut agg)?,
    };
    if read.rows == 0 {
        return Err(TraceError::Empty { path: path.to_path_buf(), message: "no data rows".into() });
    }
    if agg.rows == 0 {
        let window = match opts.take_s {
            Some(take) => format!("[{}, {}) s", opts.skip_s, opts.skip_s + take),
            None => format!("from {} s on", opts.skip_s),
        };
        let skipped = match agg.bad_rows.count {
            0 => String::new(),
            n => format!(", {n} skipped as bad"),
        };
        return Err(TraceError::Empty {
            path: path.to_path_buf(),
            message: format!("no data in the window {window} (trace time; {} rows read{skipped})", read.rows),
        });
    }
    let end = (read.end.min(agg.end) - agg.start).max(0.0) / agg.speedup;
    let duration = SimDuration::from_secs_f64(end).ok_or_else(|| TraceError::Bad {
        path: path.to_path_buf(),
        line: read.last_line,
        column: read.last_column.clone(),
        message: format!("the series would end at {end} s, beyond the simulator's clock"),
    })?;
    Ok(RateSeries { points: agg.points, requests: agg.requests, rows: agg.rows, duration, bad_rows: agg.bad_rows })
}

/// What a format reader reports once it has fed the aggregator.
struct Extent {
    /// Data rows (values) read, in or out of the window.
    rows: u64,
    /// Trace time where the data end (or the window's end when reading stopped there).
    end: f64,
    /// Where the last row read is, for errors found after the last row.
    last_line: u64,
    last_column: String,
}

// ---------------------------------------------------------------------------
// Windowing and binning, shared by all formats.

/// Turns trace rows, in increasing time, into the points of the series.
struct Aggregator {
    /// The window in trace seconds; `end` is infinite without `take_s`.
    start: f64,
    end: f64,
    bin: Option<f64>,
    /// Seconds per row for fixed-step formats (with [`RateFormat::Alibaba2018Usage`]'s step resolved).
    resolution: Option<f64>,
    speedup: f64,
    /// What a trace rate is multiplied by in the series: scale × speedup.
    factor: f64,
    points: Vec<(SimTime, f64)>,
    requests: f64,
    rows: u64,
    /// The bin being filled (binned mode) and the requests in it so far. Bins
    /// before it are emitted; it is emitted once a later row or the end arrives.
    open_bin: u64,
    open_requests: f64,
    /// Fail on or skip malformed rows; what was skipped.
    bad_rows: BadRows,
}

/// The options that only some formats take: (option, given, formats that take it).
fn format_options(opts: &RateOptions) -> [(&'static str, bool, &'static [RateFormat]); 4] {
    use RateFormat::{Alibaba2018Usage, AlibabaQps, Planetlab};
    [
        ("request_type", opts.request_type.is_some(), &[AlibabaQps]),
        ("member", opts.member.is_some(), &[AlibabaQps, Planetlab]),
        ("step_s", opts.step_s.is_some(), &[Alibaba2018Usage]),
        ("column", opts.column.is_some(), &[Alibaba2018Usage]),
    ]
}

/// The step written in a file name ending in `_<N>s` (before `.csv`/`.gz`), as
/// the derived Alibaba 2018 files are named.
fn step_in_name(path: &Path) -> Option<f64> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_suffix(".gz").unwrap_or(name);
    let stem = stem.rsplit_once('.').map_or(stem, |(stem, _)| stem);
    let secs: u32 = stem.rsplit_once('_')?.1.strip_suffix('s')?.parse().ok()?;
    (secs > 0).then_some(f64::from(secs))
}

impl Aggregator {
    /// Validates `opts` (nothing in them is checked again later): the one
    /// place where options are checked, for every format.
    fn new(path: &Path, format: RateFormat, opts: &RateOptions) -> Result<Self, TraceError> {
        let bad = |option, message: String| TraceError::Options { path: path.to_path_buf(), option, message };
        let RateOptions { skip_s, take_s, bin_s, scale, speedup, skip_bad_rows, .. } = *opts;
        if !(skip_s.is_finite() && skip_s >= 0.0) {
            return Err(bad("skip_s", format!("must be a finite number of seconds ≥ 0, not {skip_s}")));
        }
        let end = match take_s {
            None => f64::INFINITY,
            Some(take) if take.is_finite() && take > 0.0 && (skip_s + take).is_finite() => skip_s + take,
            Some(take) => return Err(bad("take_s", format!("must be a finite number of seconds > 0, not {take}"))),
        };
        for (option, given, formats) in format_options(opts) {
            if given && !formats.contains(&format) {
                let names: Vec<_> = formats.iter().map(|f| f.name()).collect();
                let formats = if names.len() > 1 { "formats" } else { "format" };
                return Err(bad(option, format!("applies only to the {formats} {}, not to {}", names.join(" and "), format.name())));
            }
        }
        for (option, text) in [("request_type", &opts.request_type), ("member", &opts.member), ("column", &opts.column)] {
            if text.as_deref().is_some_and(|t| t.trim().is_empty()) {
                return Err(bad(option, "must not be empty".into()));
            }
        }
        if skip_bad_rows && format == RateFormat::NasaSecond {
            let why = "a value's position is its second, so a bad value cannot be left out without inventing its count";
            return Err(bad("skip_bad_rows", format!("is not supported by {}: {why}", format.name())));
        }
        let resolution = match (format, opts.step_s) {
            (RateFormat::Alibaba2018Usage, Some(step)) if step.is_finite() && step > 0.0 => Some(step),
            (RateFormat::Alibaba2018Usage, Some(step)) => {
                return Err(bad("step_s", format!("must be a finite number of seconds > 0, not {step}")))
            }
            (RateFormat::Alibaba2018Usage, None) => match step_in_name(path) {
                Some(step) => Some(step),
                None => return Err(bad("step_s", "is needed: the file name does not end in `_<N>s` (as `…_30s.csv`) to infer it".into())),
            },
            _ => format.resolution_s(),
        };
        if let Some(bin) = bin_s {
            if !(bin.is_finite() && bin > 0.0) {
                return Err(bad("bin_s", format!("must be a finite number of seconds > 0, not {bin}")));
            }
            if let Some(res) = resolution.filter(|res| bin % res != 0.0) {
                return Err(bad("bin_s", format!("must be a multiple of the trace's resolution ({res} s), not {bin}")));
            }
        }
        if !(scale.is_finite() && scale >= 0.0) {
            return Err(bad("scale", format!("must be a finite number ≥ 0, not {scale}")));
        }
        if !(speedup.is_finite() && speedup > 0.0) {
            return Err(bad("speedup", format!("must be a finite number > 0, not {speedup}")));
        }
        // Arrivals are instants: they must be counted in some bin, 1 s by default.
        let arrivals_bin = (format == RateFormat::AzureLlm).then_some(1.0);
        let bin = bin_s.or(resolution).or(arrivals_bin);
        let open_bin = bin.map_or(0, |bin| (skip_s / bin).floor() as u64);
        Ok(Aggregator {
            start: skip_s,
            end,
            bin,
            resolution,
            speedup,
            factor: scale * speedup,
            points: Vec::new(),
            requests: 0.0,
            rows: 0,
            open_bin,
            open_requests: 0.0,
            bad_rows: if skip_bad_rows { BadRows::skip() } else { BadRows::fail() },
        })
    }

    /// Whether trace time `t` is at or after the end of the window (reading can stop).
    fn past_window(&self, t: f64) -> bool {
        t >= self.end
    }

    /// Adds the row covering trace time `[start, end)` at `rate` requests/s,
    /// `count` requests in all (exact for counted formats, so that totals are
    /// reproduced to the request). The error is a message for the caller to locate.
    fn add(&mut self, start: f64, end: f64, rate: f64, count: f64) -> Result<(), String> {
        self.add_rows(start, end, rate, count, 1)
    }

    /// [`add`](Self::add) for an aggregate of `rows` trace rows (a timestamp's
    /// container samples, a step's VMs).
    fn add_rows(&mut self, start: f64, end: f64, rate: f64, count: f64, rows: u64) -> Result<(), String> {
        let (s, e) = (start.max(self.start), end.min(self.end));
        if e <= s {
            return Ok(());
        }
        self.rows += rows;
        let part = if s == start && e == end { count } else { rate * (e - s) };
        self.requests += part;
        match self.bin {
            None => self.push(s, rate * self.factor),
            Some(bin) => self.spread(s, e, part, bin),
        }
    }

    /// Adds one request arriving at trace time `t` (binned mode only: the
    /// aggregator of an arrivals format always has a bin).
    fn arrive(&mut self, t: f64) -> Result<(), String> {
        if t < self.start || t >= self.end {
            return Ok(());
        }
        let Some(bin) = self.bin else { return Err("arrivals need bins".into()) };
        self.rows += 1;
        self.requests += 1.0;
        self.spread(t, t, 1.0, bin)
    }

    /// Adds `part` requests, spread evenly over `[s, e)`, to the bins it covers.
    fn spread(&mut self, s: f64, e: f64, part: f64, bin: f64) -> Result<(), String> {
        let first = (s / bin).floor() as u64;
        let last = ((e / bin).ceil() as u64).saturating_sub(1).max(first);
        self.advance_to(first, bin)?;
        if last == first {
            self.open_requests += part;
            return Ok(());
        }
        // A row longer than a bin (native format): its first and last bins are
        // partial, the bins between all have its rate, so one point covers them.
        // The partial lengths are floored at 0 because a bin edge computed in
        // floating point may land a rounding error past the row's edge.
        let density = part / (e - s);
        let boundary = (first + 1) as f64 * bin;
        self.open_requests += density * (boundary - s).max(0.0);
        self.advance_to(first + 1, bin)?;
        if last > first + 1 {
            self.push(boundary, density * self.factor)?;
            self.open_bin = last;
        }
        self.open_requests += density * (e - last as f64 * bin).max(0.0);
        Ok(())
    }

    /// Emits the open bin and any empty ones before bin `k`, which a row in bin
    /// `k` has shown to be complete, and opens bin `k`.
    fn advance_to(&mut self, k: u64, bin: f64) -> Result<(), String> {
        if k <= self.open_bin {
            return Ok(());
        }
        self.close_open(self.end, bin)?;
        if k > self.open_bin + 1 {
            self.push_bin_start(self.open_bin + 1, bin, 0.0)?;
        }
        self.open_bin = k;
        self.open_requests = 0.0;
        Ok(())
    }

    /// Emits the open bin, cut at `stop` if it ends later.
    fn close_open(&mut self, stop: f64, bin: f64) -> Result<(), String> {
        let begin = (self.open_bin as f64 * bin).max(self.start);
        let stop = ((self.open_bin + 1) as f64 * bin).min(stop);
        if stop > begin {
            self.push(begin, self.open_requests / (stop - begin) * self.factor)?;
        }
        Ok(())
    }

    /// Starts a step at bin `k` (or at the window's start if the bin begins before it).
    fn push_bin_start(&mut self, k: u64, bin: f64, rate: f64) -> Result<(), String> {
        self.push((k as f64 * bin).max(self.start), rate)
    }

    /// Ends the data at trace time `end`: emits the last bins up to it.
    fn finish(&mut self, end: f64) -> Result<(), String> {
        let end = end.min(self.end);
        let Some(bin) = self.bin else { return Ok(()) };
        if end <= self.start {
            return Ok(());
        }
        let last = ((end / bin).ceil() as u64).saturating_sub(1);
        self.close_open(end, bin)?;
        if last > self.open_bin {
            self.push_bin_start(self.open_bin + 1, bin, 0.0)?;
        }
        Ok(())
    }

    /// The native format's last row without `take_s`: its rate holds from
    /// `at` (or from the window's start) on.
    fn final_point(&mut self, at: f64, rate: f64, rows: u64) -> Result<(), String> {
        self.rows += rows;
        self.push(at.max(self.start), rate * self.factor)
    }

    /// Appends the point at trace time `at` (in the window), keeping the
    /// invariants of [`RateSeries::points`].
    fn push(&mut self, at: f64, rate: f64) -> Result<(), String> {
        let secs = (at - self.start) / self.speedup;
        let t = SimDuration::from_secs_f64(secs).ok_or_else(|| format!("time {secs} s in the series is beyond the simulator's clock"))?;
        let t = SimTime::from_micros(t.as_micros());
        if !rate.is_finite() {
            return Err(format!("the rate after scale and speedup ({rate}) is not a finite number"));
        }
        if self.points.is_empty() && t > SimTime::ZERO {
            // Nothing was recorded before the data start.
            self.points.push((SimTime::ZERO, 0.0));
        }
        if self.points.last().is_some_and(|&(last, _)| last == t) {
            // The previous step lasted less than the clock's microsecond.
            self.points.pop();
        }
        if self.points.last().is_none_or(|&(_, last)| last != rate) {
            self.points.push((t, rate));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// CSV formats.

/// Rows that each hold a rate from their time until the next row's: native
/// rows, Alibaba QPS samples and the usage profiles' steps. Keeps the previous
/// row, whose end is only known when the next arrives.
struct Steps<'p> {
    path: &'p Path,
    /// The column errors at a row's time are reported in.
    column: String,
    pending: Option<Step>,
    stopped: bool,
}

#[derive(Clone, Copy)]
struct Step {
    t: f64,
    rate: f64,
    line: u64,
    /// Trace rows it stands for.
    rows: u64,
}

impl<'p> Steps<'p> {
    fn new(path: &'p Path, column: &str) -> Self {
        Steps { path, column: column.to_string(), pending: None, stopped: false }
    }

    /// The last row's time and line, for order checks.
    fn last(&self) -> Option<(f64, u64)> {
        self.pending.map(|p| (p.t, p.line))
    }

    /// Adds a row at trace time `t` (after the last; the caller checks). False
    /// once `t` is past the window: reading can stop.
    fn row(&mut self, agg: &mut Aggregator, step: Step) -> Result<bool, TraceError> {
        if let Some(p) = self.pending {
            agg.add_rows(p.t, step.t, p.rate, p.rate * (step.t - p.t), p.rows).map_err(|m| bad(self.path, p.line, &self.column, m))?;
        }
        self.pending = Some(step);
        self.stopped = agg.past_window(step.t);
        Ok(!self.stopped)
    }

    /// Ends the data and returns where they end and the last row's line. With
    /// `last_step`, the last row lasts that long (fixed-step formats); without,
    /// its rate holds from then on (module docs, "The native format's last row").
    fn finish(self, agg: &mut Aggregator, last_step: Option<f64>) -> Result<(f64, u64), TraceError> {
        let Some(p) = self.pending else { return Ok((0.0, 1)) };
        let at = |m| bad(self.path, p.line, &self.column, m);
        let end = match last_step {
            _ if self.stopped => agg.end,
            Some(step) => {
                agg.add_rows(p.t, p.t + step, p.rate, p.rate * step, p.rows).map_err(at)?;
                p.t + step
            }
            // The last rate holds to the end of the window.
            None if agg.end.is_finite() => {
                agg.add_rows(p.t, agg.end, p.rate, p.rate * (agg.end - p.t), p.rows).map_err(at)?;
                agg.end
            }
            None => p.t.max(agg.start),
        };
        agg.finish(end).map_err(at)?;
        if last_step.is_none() && !agg.end.is_finite() {
            agg.final_point(p.t, p.rate, p.rows).map_err(at)?;
        }
        Ok((end, p.line))
    }
}

/// Reads the rows of a CSV trace in order and hands each well-formed one to
/// `visit` with its number (from 1), until the end or until `visit` breaks.
/// A malformed row (wrong width, invalid UTF-8) goes through `agg.bad_rows`:
/// an error, or skipped but counted. Returns the rows read, skipped ones
/// included, which is what [`Extent::rows`] reports.
///
/// `visit` routes its own parse errors through `agg.bad_rows` the same way.
fn visit_rows<R: Read>(
    path: &Path,
    header: &Header,
    reader: &mut csv::Reader<R>,
    agg: &mut Aggregator,
    mut visit: impl FnMut(&StringRecord, u64, &mut Aggregator) -> Result<ControlFlow<()>, TraceError>,
) -> Result<u64, TraceError> {
    let mut row = StringRecord::new();
    let mut rows = 0;
    loop {
        let read = header.read_unchecked(path, reader, &mut row).and_then(|more| {
            if more {
                header.check_width(path, &row).map(|()| true)
            } else {
                Ok(false)
            }
        });
        match agg.bad_rows.check(read)? {
            Some(false) => return Ok(rows),
            None => rows += 1,
            Some(true) => {
                rows += 1;
                if visit(&row, rows, agg)?.is_break() {
                    return Ok(rows);
                }
            }
        }
    }
}

/// A CSV reader over any source (a tar member), configured as [`csv_reader`].
fn csv_over<R: Read>(source: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(source)
}

fn read_native(path: &Path, agg: &mut Aggregator) -> Result<Extent, TraceError> {
    let mut reader = csv_reader(path)?;
    let header = Header::read(path, &mut reader, &["time_s", "rate"])?;
    let time_col = header.name(0).to_string();
    let mut steps = Steps::new(path, &time_col);
    let rows = visit_rows(path, &header, &mut reader, agg, |row, _, agg| {
        let Some(step) = agg.bad_rows.check(native_row(path, &header, row, steps.last()))? else { return Ok(ControlFlow::Continue(())) };
        Ok(if steps.row(agg, step)? { ControlFlow::Continue(()) } else { ControlFlow::Break(()) })
    })?;
    let (end, last_line) = steps.finish(agg, None)?;
    Ok(Extent { rows, end, last_line, last_column: time_col })
}

/// A native row, whose time must follow the last good row's.
fn native_row(path: &Path, header: &Header, row: &StringRecord, last: Option<(f64, u64)>) -> Result<Step, TraceError> {
    let line = line_of(row);
    let at = |i: usize| move |m| bad(path, line, header.name(i), m);
    let t = parse_non_negative(&row[header.columns[0]], "time").map_err(at(0))?;
    let rate = parse_non_negative(&row[header.columns[1]], "rate").map_err(at(1))?;
    if let Some((pt, pline)) = last.filter(|&(pt, _)| t <= pt) {
        return Err(at(0)(format!("time must increase: {t} after {pt} on line {pline}")));
    }
    Ok(Step { t, rate, line, rows: 1 })
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`), so that minutes are counted across month ends without a
/// date-time dependency.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds since 1970-01-01 00:00:00 of the date and time `YYYY-MM-DD HH:MM:SS`
/// (or with `T`) that `text` starts with, and the text after it. `expected`
/// describes the whole form, for messages.
fn parse_civil<'t>(text: &'t str, expected: &str) -> Result<(i64, &'t str), String> {
    let shape = || format!("expected {expected}, found `{text}`");
    let b = text.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b' ' | b'T') || b[13] != b':' || b[16] != b':' {
        return Err(shape());
    }
    let num = |at: usize, len: usize| -> Option<i64> {
        b[at..at + len].iter().try_fold(0i64, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0')))
    };
    let field = |at, len| num(at, len).ok_or_else(shape);
    let (year, month, day, hour, minute, second) = (field(0, 4)?, field(5, 2)?, field(8, 2)?, field(11, 2)?, field(14, 2)?, field(17, 2)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1..=12).contains(&month) || !(1..=days_in_month).contains(&day) || hour > 23 || minute > 59 || second > 59 {
        return Err(format!("not a valid date and time: `{text}`"));
    }
    // The first 19 bytes are ASCII, so byte 19 starts a character.
    let rest = text.get(19..).ok_or_else(shape)?;
    Ok((((days_from_civil(year, month, day) * 24 + hour) * 60 + minute) * 60 + second, rest))
}

/// Minutes since 1970-01-01 00:00 of `YYYY-MM-DD HH:MM:SS` (or with `T`) on a whole minute.
fn parse_period(text: &str) -> Result<i64, String> {
    const EXPECTED: &str = "a minute as `YYYY-MM-DD HH:MM:00`";
    match parse_civil(text, EXPECTED)? {
        (_, rest) if !rest.is_empty() => Err(format!("expected {EXPECTED}, found `{text}`")),
        (secs, _) if secs % 60 != 0 => Err(format!("not on a whole minute: `{text}`")),
        (secs, _) => Ok(secs.div_euclid(60)),
    }
}

fn read_worldcup98(path: &Path, agg: &mut Aggregator) -> Result<Extent, TraceError> {
    const MINUTE: f64 = 60.0;
    let mut reader = csv_reader(path)?;
    let header = Header::read(path, &mut reader, &["period", "count"])?;
    let period_col = header.name(0).to_string();
    let (mut end, mut line) = (0.0, 1);
    // (first minute, previous minute, its line)
    let mut minutes: Option<(i64, i64, u64)> = None;
    let rows = visit_rows(path, &header, &mut reader, agg, |row, _, agg| {
        let Some((minute, count)) = agg.bad_rows.check(worldcup98_row(path, &header, row, minutes))? else {
            return Ok(ControlFlow::Continue(()));
        };
        line = line_of(row);
        let first = minutes.map_or(minute, |(first, ..)| first);
        minutes = Some((first, minute, line));
        let start = (minute - first) as f64 * MINUTE;
        if agg.past_window(start) {
            // Minutes up to the window's end are known: any absent one had no requests.
            end = agg.end;
            return Ok(ControlFlow::Break(()));
        }
        end = start + MINUTE;
        agg.add(start, end, count / MINUTE, count).map_err(|m| bad(path, line, &period_col, m))?;
        Ok(ControlFlow::Continue(()))
    })?;
    agg.finish(end).map_err(|m| bad(path, line, &period_col, m))?;
    Ok(Extent { rows, end, last_line: line, last_column: period_col })
}

/// A WorldCup98 row's minute and count; the minute must follow the last good row's.
fn worldcup98_row(path: &Path, header: &Header, row: &StringRecord, minutes: Option<(i64, i64, u64)>) -> Result<(i64, f64), TraceError> {
    let line = line_of(row);
    let at = |i: usize| move |m| bad(path, line, header.name(i), m);
    let text = &row[header.columns[0]];
    let minute = parse_period(text).map_err(at(0))?;
    let count = parse_count(&row[header.columns[1]]).map_err(at(1))?;
    match minutes {
        Some((_, prev, pline)) if minute <= prev => Err(at(0)(format!("periods must increase: `{text}` is not after line {pline}"))),
        _ => Ok((minute, count)),
    }
}

// ---------------------------------------------------------------------------
// Whitespace-separated counts.

/// One whitespace-separated token, parsed as its bytes arrive (a token may be
/// split between two reads), keeping only a bounded prefix for messages so that
/// a corrupt file with no whitespace cannot exhaust memory.
#[derive(Default)]
struct Token {
    len: usize,
    value: u64,
    valid: bool,
    text: Vec<u8>,
    line: u64,
}

impl Token {
    const KEPT: usize = 40;

    fn push(&mut self, byte: u8, line: u64) {
        if self.len == 0 {
            (self.line, self.value, self.valid) = (line, 0, true);
            self.text.clear();
        }
        self.len += 1;
        if self.text.len() < Self::KEPT {
            self.text.push(byte);
        }
        let digit = byte.wrapping_sub(b'0');
        match self.value.checked_mul(10).and_then(|v| v.checked_add(u64::from(digit))) {
            Some(v) if digit < 10 => self.value = v,
            _ => self.valid = false,
        }
    }

    /// The count, or why the token is not one; the token is then empty.
    fn take(&mut self) -> Result<f64, String> {
        let len = std::mem::take(&mut self.len);
        if self.valid {
            return Ok(self.value as f64);
        }
        let text = String::from_utf8_lossy(&self.text);
        if len > Self::KEPT {
            return Err(format!("not a count of requests: `{text}…` ({len} bytes)"));
        }
        // Same rules and messages as the CSV formats (which also accept a leading `+`).
        parse_count(&text)
    }
}

fn read_nasa(path: &Path, agg: &mut Aggregator) -> Result<Extent, TraceError> {
    // Uncapped: the published file is one line of 5 M values, and a value is parsed as its bytes arrive.
    let mut reader = BufReader::with_capacity(1 << 16, open_uncapped(path)?);
    let io_error = |error: io::Error| TraceError::Io { path: path.to_path_buf(), error };
    let mut token = Token::default();
    let (mut line, mut index, mut stopped) = (1u64, 0u64, false);
    // Feeds the token just ended, value number `index` (1-based); false once past the window.
    let mut feed = |token: &mut Token, index: u64| -> Result<bool, TraceError> {
        let column = || format!("value {index}");
        let count = token.take().map_err(|m| bad(path, token.line, &column(), m))?;
        let start = (index - 1) as f64;
        if agg.past_window(start) {
            return Ok(false);
        }
        agg.add(start, start + 1.0, count, count).map_err(|m| bad(path, token.line, &column(), m))?;
        Ok(true)
    };
    'read: loop {
        let buf = match reader.fill_buf() {
            Ok([]) => break,
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_error(e)),
        };
        let n = buf.len();
        for &byte in buf {
            if byte.is_ascii_whitespace() {
                if token.len > 0 {
                    index += 1;
                    if !feed(&mut token, index)? {
                        stopped = true;
                        break 'read;
                    }
                }
                line += u64::from(byte == b'\n');
            } else {
                token.push(byte, line);
            }
        }
        reader.consume(n);
    }
    if !stopped && token.len > 0 {
        index += 1;
        stopped = !feed(&mut token, index)?;
    }
    // A value past the window was read but is not part of the data.
    let rows = index - u64::from(stopped);
    let end = if stopped { agg.end } else { rows as f64 };
    let column = format!("value {}", rows.max(1));
    agg.finish(end).map_err(|m| bad(path, line, &column, m))?;
    Ok(Extent { rows, end, last_line: line, last_column: column })
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::PathBuf;

    use flate2::write::GzEncoder;
    use flate2::Compression;
    use tempfile::TempDir;

    use super::*;
    use crate::trace::test_files::fixture;
    use crate::trace::testing::needed;

    pub(super) fn write(dir: &TempDir, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    pub(super) fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    pub(super) fn read(path: &Path, format: RateFormat, opts: &RateOptions) -> RateSeries {
        read_rate_series(path, format, opts).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A tar archive of `members` (name, contents), gzipped if `gz`.
    pub(super) fn tar(members: &[(&str, &str)], gz: bool) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, text) in members {
            let mut header = tar::Header::new_gnu();
            header.set_size(text.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, name, text.as_bytes()).unwrap();
        }
        let bytes = builder.into_inner().unwrap();
        if gz {
            gzip(&bytes)
        } else {
            bytes
        }
    }

    /// Points as (seconds, rate), for readable expectations.
    pub(super) fn secs(series: &RateSeries) -> Vec<(f64, f64)> {
        series.points.iter().map(|&(t, r)| (t.as_secs_f64(), r)).collect()
    }

    /// The step function's value at `t`.
    pub(super) fn rate_at(series: &RateSeries, t: SimTime) -> f64 {
        series.points[series.points.partition_point(|&(at, _)| at <= t) - 1].1
    }

    const NATIVE: &str = "time_s,rate\n5,10\n10,20\n25,0\n40,5\n";

    #[test]
    fn native_rows_pass_through_with_zero_before_the_first_and_the_last_holding() {
        let dir = TempDir::new().unwrap();
        let path = write(&dir, "rate.csv", NATIVE);
        let s = read(&path, RateFormat::Native, &RateOptions::default());
        assert_eq!(secs(&s), [(0.0, 0.0), (5.0, 10.0), (10.0, 20.0), (25.0, 0.0), (40.0, 5.0)]);
        assert_eq!((s.requests, s.rows, s.duration), (10.0 * 5.0 + 20.0 * 15.0, 4, SimDuration::from_secs(40)));
        // With a window, the last rate fills it and counts.
        let s = read(&path, RateFormat::Native, &RateOptions { take_s: Some(45.0), ..RateOptions::default() });
        assert_eq!((s.requests, s.rows, s.duration), (350.0 + 5.0 * 5.0, 4, SimDuration::from_secs(45)));
        // Skipping past the last row leaves its rate alone.
        let s = read(&path, RateFormat::Native, &RateOptions { skip_s: 100.0, ..RateOptions::default() });
        assert_eq!((secs(&s), s.requests, s.rows, s.duration), (vec![(0.0, 5.0)], 0.0, 1, SimDuration::ZERO));
    }

    #[test]
    fn the_fixtures_of_the_native_worldcup98_and_nasa_formats_give_their_steps() {
        let s = read(&fixture("rate/native.csv"), RateFormat::Native, &RateOptions::default());
        assert_eq!(secs(&s), [(0.0, 2.5), (60.0, 10.0), (90.0, 4.0)]);
        assert_eq!((s.requests, s.rows, s.duration), (2.5 * 60.0 + 10.0 * 30.0, 3, SimDuration::from_secs(90)));
        // Counts per minute become requests/s; the absent minute 21:32 had none.
        let s = read(&fixture("worldcup98/wc98_requests_per_minute.csv"), RateFormat::Worldcup98Minute, &RateOptions::default());
        assert_eq!(secs(&s), [(0.0, 2.0 / 60.0), (60.0, 11.0 / 60.0), (120.0, 0.0), (180.0, 2.0)]);
        assert_eq!((s.requests, s.rows, s.duration), (133.0, 3, SimDuration::from_secs(240)));
        // Gzipped counts per second, across a line break; a speedup of 2 halves the times and doubles the rates.
        let path = fixture("nasa-http/requests_per_second.txt.gz");
        let s = read(&path, RateFormat::NasaSecond, &RateOptions::default());
        assert_eq!(secs(&s), [(0.0, 1.0), (1.0, 0.0), (3.0, 3.0), (4.0, 2.0), (6.0, 0.0)]);
        assert_eq!((s.requests, s.rows, s.duration), (8.0, 7, SimDuration::from_secs(7)));
        let fast = read(&path, RateFormat::NasaSecond, &RateOptions { speedup: 2.0, ..RateOptions::default() });
        assert_eq!(secs(&fast), [(0.0, 2.0), (0.5, 0.0), (1.5, 6.0), (2.0, 4.0), (3.0, 0.0)]);
    }

    #[test]
    fn native_bins_hold_the_mean_rate_over_each_bin() {
        let dir = TempDir::new().unwrap();
        let path = write(&dir, "rate.csv", NATIVE);
        let s = read(&path, RateFormat::Native, &RateOptions { bin_s: Some(10.0), ..RateOptions::default() });
        // [0,10): 5 s at 10; [10,20): 20; [20,30): 5 s at 20 + 5 s at 0; [30,40): 0; then the last row.
        assert_eq!(secs(&s), [(0.0, 5.0), (10.0, 20.0), (20.0, 10.0), (30.0, 0.0), (40.0, 5.0)]);
        assert_eq!((s.requests, s.duration), (350.0, SimDuration::from_secs(40)));
        // A window cutting bins: bins stay aligned to trace time 0 and a cut bin averages over its part in the window.
        let opts = RateOptions { skip_s: 7.0, take_s: Some(20.0), bin_s: Some(10.0), ..RateOptions::default() };
        let s = read(&path, RateFormat::Native, &opts);
        assert_eq!(secs(&s), [(0.0, 10.0), (3.0, 20.0), (13.0, (20.0 * 5.0 + 0.0 * 2.0) / 7.0)]);
        assert_eq!((s.requests, s.rows, s.duration), (30.0 + 300.0, 3, SimDuration::from_secs(20)));
    }

    #[test]
    fn native_rows_longer_than_a_bin_fill_the_bins_between() {
        let dir = TempDir::new().unwrap();
        let path = write(&dir, "rate.csv", "time_s,rate\n0.5,2\n100.25,4\n");
        let s = read(&path, RateFormat::Native, &RateOptions { take_s: Some(101.0), bin_s: Some(1.0), ..RateOptions::default() });
        assert_eq!(secs(&s), [(0.0, 1.0), (1.0, 2.0), (100.0, 0.25 * 2.0 + 0.75 * 4.0)]);
        assert_eq!(s.requests, 2.0 * 99.75 + 4.0 * 0.75);
        // A million one-second bins of the same rate are one point, found without visiting each bin.
        let path = write(&dir, "long.csv", "time_s,rate\n0,2\n1000000,0\n");
        let s = read(&path, RateFormat::Native, &RateOptions { bin_s: Some(1.0), ..RateOptions::default() });
        assert_eq!(secs(&s), [(0.0, 2.0), (1_000_000.0, 0.0)]);
    }

    #[test]
    fn skip_take_speedup_and_scale() {
        let dir = TempDir::new().unwrap();
        let path = write(&dir, "rate.csv", NATIVE);
        let window = RateOptions { skip_s: 7.0, take_s: Some(20.0), ..RateOptions::default() };
        let s = read(&path, RateFormat::Native, &window);
        assert_eq!(secs(&s), [(0.0, 10.0), (3.0, 20.0), (18.0, 0.0)]);
        assert_eq!((s.requests, s.rows, s.duration), (330.0, 3, SimDuration::from_secs(20)));
        // Twice as fast: the same requests in half the time, so twice the rate.
        let s = read(&path, RateFormat::Native, &RateOptions { speedup: 2.0, ..window.clone() });
        assert_eq!(secs(&s), [(0.0, 20.0), (1.5, 40.0), (9.0, 0.0)]);
        assert_eq!((s.requests, s.duration), (330.0, SimDuration::from_secs(10)));
        // scale = 1/speedup keeps the rate levels and only shortens the run; requests are counted before scale.
        let s = read(&path, RateFormat::Native, &RateOptions { speedup: 2.0, scale: 0.5, ..window });
        assert_eq!(secs(&s), [(0.0, 10.0), (1.5, 20.0), (9.0, 0.0)]);
        assert_eq!(s.requests, 330.0);
    }

    #[test]
    fn steps_shorter_than_the_clock_collapse_into_the_later() {
        let dir = TempDir::new().unwrap();
        let path = write(&dir, "nasa.txt", "1 2 3 4");
        // Each second lasts 0.25 µs: seconds 0 and 1 round to 0 µs, 2 and 3 to 1 µs.
        let s = read(&path, RateFormat::NasaSecond, &RateOptions { speedup: 4e6, scale: 1.0 / 4e6, ..RateOptions::default() });
        assert_eq!(s.points, [(SimTime::ZERO, 2.0), (SimTime::from_micros(1), 4.0)]);
        assert_eq!((s.requests, s.duration), (10.0, SimDuration::from_micros(1)));
    }

    #[test]
    fn worldcup98_minutes_cross_month_ends_and_absent_minutes_have_no_requests() {
        let dir = TempDir::new().unwrap();
        let text = "period,count\n1998-04-30 23:58:00,60\n1998-04-30 23:59:00,120\n1998-05-01 00:02:00,30\n";
        let path = write(&dir, "wc.csv", text);
        let s = read(&path, RateFormat::Worldcup98Minute, &RateOptions::default());
        assert_eq!(secs(&s), [(0.0, 1.0), (60.0, 2.0), (120.0, 0.0), (240.0, 0.5)]);
        assert_eq!((s.requests, s.rows, s.duration), (210.0, 3, SimDuration::from_secs(300)));
        let s = read(&path, RateFormat::Worldcup98Minute, &RateOptions { bin_s: Some(120.0), ..RateOptions::default() });
        assert_eq!(secs(&s), [(0.0, 1.5), (120.0, 0.0), (240.0, 0.5)], "the last bin is cut at the end of the data");
        // A window ending inside a gap: the gap's minutes up to the end are known to be empty.
        let s = read(&path, RateFormat::Worldcup98Minute, &RateOptions { take_s: Some(200.0), ..RateOptions::default() });
        assert_eq!(secs(&s), [(0.0, 1.0), (60.0, 2.0), (120.0, 0.0)]);
        assert_eq!((s.requests, s.rows, s.duration), (180.0, 2, SimDuration::from_secs(200)));
    }

    #[test]
    fn nasa_values_are_seconds_binned_at_any_multiple() {
        let dir = TempDir::new().unwrap();
        let path = write(&dir, "nasa.txt", "1 2 3\n0 0\t4 ");
        let s = read(&path, RateFormat::NasaSecond, &RateOptions::default());
        assert_eq!(secs(&s), [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0), (3.0, 0.0), (5.0, 4.0)]);
        assert_eq!((s.requests, s.rows, s.duration), (10.0, 6, SimDuration::from_secs(6)));
        let s = read(&path, RateFormat::NasaSecond, &RateOptions { bin_s: Some(3.0), ..RateOptions::default() });
        assert_eq!(secs(&s), [(0.0, 2.0), (3.0, 4.0 / 3.0)]);
        let s = read(&path, RateFormat::NasaSecond, &RateOptions { bin_s: Some(2.0), ..RateOptions::default() });
        assert_eq!(secs(&s), [(0.0, 1.5), (4.0, 2.0)], "equal neighbouring bins share one point");
        let s = read(&path, RateFormat::NasaSecond, &RateOptions { skip_s: 2.0, take_s: Some(2.0), ..RateOptions::default() });
        assert_eq!((secs(&s), s.requests, s.rows), (vec![(0.0, 3.0), (1.0, 0.0)], 3.0, 2));
    }

    #[test]
    fn nasa_values_split_across_reads_are_parsed_whole() {
        let dir = TempDir::new().unwrap();
        // 200,000 values of 1 to 4 digits: several 64 KiB reads, so values straddle read boundaries.
        let values: Vec<u64> = (0..200_000u64).map(|i| (i * 7919) % 5000).collect();
        let text = values.iter().map(u64::to_string).collect::<Vec<_>>().join(" ");
        let total = values.iter().sum::<u64>() as f64;
        for (name, bytes) in [("n.txt", text.clone().into_bytes()), ("n.txt.gz", gzip(text.as_bytes()))] {
            let s = read(&write(&dir, name, bytes), RateFormat::NasaSecond, &RateOptions::default());
            assert_eq!((s.requests, s.rows, s.points.len()), (total, 200_000, 200_000), "{name}");
            assert_eq!(rate_at(&s, SimTime::from_secs(123_457)), values[123_457] as f64, "{name}");
        }
    }

    #[test]
    fn gzip_is_read_by_extension() {
        let dir = TempDir::new().unwrap();
        let plain = read(&write(&dir, "rate.csv", NATIVE), RateFormat::Native, &RateOptions::default());
        let gz = read(&write(&dir, "rate.csv.gz", gzip(NATIVE.as_bytes())), RateFormat::Native, &RateOptions::default());
        assert_eq!(plain, gz);
        // A byte-order mark and CRLF line ends, as spreadsheets write them, are read as any CSV.
        let excel = read(
            &write(&dir, "excel.csv", NATIVE.replace('\n', "\r\n").replacen("", "\u{feff}", 1)),
            RateFormat::Native,
            &RateOptions::default(),
        );
        assert_eq!(plain, excel);
        // Concatenated gzip members are one file.
        let mut two = gzip(b"time_s,rate\n0,1\n");
        two.extend(gzip(b"10,2\n"));
        let s = read(&write(&dir, "two.csv.gz", two), RateFormat::Native, &RateOptions::default());
        assert_eq!(secs(&s), [(0.0, 1.0), (10.0, 2.0)]);
    }

    #[test]
    fn unreadable_files_are_io_errors_naming_the_file() {
        let dir = TempDir::new().unwrap();
        let big: String = (0..100_000).map(|i| format!("{} ", i % 97)).collect();
        let compressed = gzip(big.as_bytes());
        let cases = [
            ("not-gzip.txt.gz", big.as_bytes().to_vec()),
            ("truncated.txt.gz", compressed[..compressed.len() / 2].to_vec()),
            ("no-trailer.txt.gz", compressed[..compressed.len() - 4].to_vec()),
        ];
        for (name, bytes) in cases {
            let path = write(&dir, name, bytes);
            let err = read_rate_series(&path, RateFormat::NasaSecond, &RateOptions::default()).unwrap_err();
            assert!(matches!(err, TraceError::Io { .. }), "{name}: {err}");
            assert!(err.to_string().contains(&path.display().to_string()), "{err}");
        }
        let missing = dir.path().join("missing.csv");
        let err = read_rate_series(&missing, RateFormat::Native, &RateOptions::default()).unwrap_err();
        assert!(matches!(err, TraceError::Io { .. }) && err.to_string().contains("missing.csv"), "{err}");
    }

    #[test]
    fn every_bad_row_names_file_line_and_column() {
        use RateFormat::{NasaSecond as Nasa, Native, Worldcup98Minute as Wc};
        const WC: &str = "period,count\n1998-04-30 21:30:00,2\n";
        let long = "a".repeat(100);
        let cases: Vec<(RateFormat, String, u64, &str, &str)> = vec![
            (Native, "time_s,rate\n0,1\nx,2\n".into(), 3, "time_s", "not a number: `x`"),
            (Native, "time_s,rate\n-1,3\n".into(), 2, "time_s", "negative time -1"),
            (Native, "time_s,rate\n0,1\n1,-2\n".into(), 3, "rate", "negative rate -2"),
            (Native, "time_s,rate\n0,NaN\n".into(), 2, "rate", "finite"),
            (Native, "time_s,rate\n0,inf\n".into(), 2, "rate", "finite"),
            (Native, "time_s,rate\n0,1\n1\n".into(), 3, "rate", "missing"),
            (Native, "time_s,rate\n0,1\n1,\n".into(), 3, "rate", "not a number: ``"),
            (Native, "time_s,rate\n0,1\n1,2,3\n".into(), 3, "field 3", "extra field `3`"),
            (Native, "time_s,rate\n0,1\n5,2\n4,2\n".into(), 4, "time_s", "time must increase: 4 after 5 on line 3"),
            (Native, "time_s,rate\n0,1\n5,2\n5,3\n".into(), 4, "time_s", "time must increase"),
            (Native, "time,rate\n0,1\n".into(), 1, "time_s", "missing from the header `time,rate`"),
            (Wc, format!("{WC}1998-04-30 21:31:00,x\n"), 3, "count", "not a count of requests"),
            (Wc, format!("{WC}1998-04-30 21:31:00,-3\n"), 3, "count", "negative count -3"),
            (Wc, format!("{WC}1998-04-30 21:31:00,1.5\n"), 3, "count", "`1.5`"),
            (Wc, format!("{WC}1998-04-30 21:31:00,99999999999999999999999\n"), 3, "count", "too large"),
            (Wc, format!("{WC}1998-04-30 21:31:00\n"), 3, "count", "missing"),
            (Wc, format!("{WC}1998-02-29 00:00:00,1\n"), 3, "period", "not a valid date"),
            (Wc, format!("{WC}1998-04-30 21:31:30,1\n"), 3, "period", "whole minute"),
            (Wc, format!("{WC}30/04/1998 21:31,1\n"), 3, "period", "YYYY-MM-DD HH:MM:00"),
            (Wc, format!("{WC}1998-04-30 21:30:00,1\n"), 3, "period", "periods must increase"),
            (Wc, format!("{WC}1998-04-30 21:29:00,1\n"), 3, "period", "not after line 2"),
            (Wc, "period,hits\n".into(), 1, "count", "missing from the header"),
            (Nasa, "1 2 x 4".into(), 1, "value 3", "`x`"),
            (Nasa, "1 2\n3 -4\n".into(), 2, "value 4", "negative count -4"),
            (Nasa, "1 2.5".into(), 1, "value 2", "`2.5`"),
            (Nasa, "18446744073709551616".into(), 1, "value 1", "too large"),
            (Nasa, format!("0\n\n{long} 1"), 3, "value 2", "100 bytes"),
        ];
        let dir = TempDir::new().unwrap();
        for (k, (format, text, line, column, message)) in cases.into_iter().enumerate() {
            let path = write(&dir, &format!("case{k}.txt"), &text);
            let err = read_rate_series(&path, format, &RateOptions::default()).unwrap_err();
            let TraceError::Bad { line: got_line, column: got_column, .. } = &err else { panic!("case {k}: {err}") };
            assert_eq!((*got_line, got_column.as_str()), (line, column), "case {k}: {err}");
            let shown = err.to_string();
            let expected = format!("{}: line {line}, {column}: ", path.display());
            assert!(shown.starts_with(&expected) && shown.contains(message), "case {k}: {shown}\nexpected {expected}…{message}");
        }
        // Invalid UTF-8 in a CSV field.
        let path = write(&dir, "utf8.csv", b"time_s,rate\n0,1\n1,\xff\n");
        let err = read_rate_series(&path, Native, &RateOptions::default()).unwrap_err();
        assert!(matches!(&err, TraceError::Bad { line: 3, column, .. } if column == "rate"), "{err}");
    }

    #[test]
    fn empty_files_and_windows_are_errors() {
        let dir = TempDir::new().unwrap();
        let cases = [
            (RateFormat::Native, "", "empty file: expected the header `time_s,rate`"),
            (RateFormat::Native, "time_s,rate\n", "no data rows"),
            (RateFormat::Worldcup98Minute, "period,count\n\n", "no data rows"),
            (RateFormat::NasaSecond, "", "no data rows"),
            (RateFormat::NasaSecond, " \n\t\n", "no data rows"),
        ];
        for (k, (format, text, message)) in cases.into_iter().enumerate() {
            let err = read_rate_series(&write(&dir, &format!("e{k}"), text), format, &RateOptions::default()).unwrap_err();
            assert!(matches!(err, TraceError::Empty { .. }) && err.to_string().contains(message), "case {k}: {err}");
        }
        let path = write(&dir, "nasa.txt.gz", gzip(b""));
        assert!(matches!(read_rate_series(&path, RateFormat::NasaSecond, &RateOptions::default()), Err(TraceError::Empty { .. })));
        let path = write(&dir, "short.txt", "1 2 3");
        let err = read_rate_series(&path, RateFormat::NasaSecond, &RateOptions { skip_s: 3.0, ..RateOptions::default() }).unwrap_err();
        assert!(err.to_string().contains("no data in the window from 3 s on (trace time; 3 rows read)"), "{err}");
        let path = write(&dir, "late.csv", "time_s,rate\n50,1\n");
        let err = read_rate_series(&path, RateFormat::Native, &RateOptions { take_s: Some(10.0), ..RateOptions::default() }).unwrap_err();
        assert!(err.to_string().contains("no data in the window [0, 10) s"), "{err}");
    }

    #[test]
    fn invalid_options_are_named() {
        let dir = TempDir::new().unwrap();
        let path = write(&dir, "nasa.txt", "1 2 3");
        let d = RateOptions::default;
        let cases = [
            (RateFormat::NasaSecond, RateOptions { skip_s: -1.0, ..d() }, "skip_s"),
            (RateFormat::NasaSecond, RateOptions { skip_s: f64::NAN, ..d() }, "skip_s"),
            (RateFormat::NasaSecond, RateOptions { take_s: Some(0.0), ..d() }, "take_s"),
            (RateFormat::NasaSecond, RateOptions { skip_s: f64::MAX, take_s: Some(f64::MAX), ..d() }, "take_s"),
            (RateFormat::Native, RateOptions { bin_s: Some(0.0), ..d() }, "bin_s"),
            (RateFormat::NasaSecond, RateOptions { bin_s: Some(1.5), ..d() }, "bin_s"),
            (RateFormat::Worldcup98Minute, RateOptions { bin_s: Some(90.0), ..d() }, "bin_s"),
            (RateFormat::NasaSecond, RateOptions { scale: -1.0, ..d() }, "scale"),
            (RateFormat::NasaSecond, RateOptions { speedup: 0.0, ..d() }, "speedup"),
            (RateFormat::NasaSecond, RateOptions { speedup: f64::INFINITY, ..d() }, "speedup"),
        ];
        for (format, opts, option) in cases {
            let err = read_rate_series(&path, format, &opts).unwrap_err();
            assert!(matches!(&err, TraceError::Options { option: o, .. } if *o == option), "{option}: {err}");
        }
        let ok = RateOptions { bin_s: Some(3600.0), ..d() };
        assert!(read_rate_series(&path, RateFormat::NasaSecond, &ok).is_ok());
    }

    #[test]
    fn format_options_are_refused_by_the_formats_that_do_not_take_them() {
        let dir = TempDir::new().unwrap();
        let path = write(&dir, "usage_30s.csv", "cpu_util_percent\n1\n");
        let d = RateOptions::default;
        let some = || Some("x".to_string());
        let cases = [
            (
                RateFormat::Native,
                RateOptions { request_type: some(), ..d() },
                "request_type",
                "applies only to the format alibaba-qps, not to native",
            ),
            (
                RateFormat::AzureLlm,
                RateOptions { member: some(), ..d() },
                "member",
                "applies only to the formats alibaba-qps and planetlab, not to azure-llm",
            ),
            (RateFormat::Planetlab, RateOptions { step_s: Some(30.0), ..d() }, "step_s", "alibaba-2018-usage"),
            (RateFormat::AlibabaQps, RateOptions { column: some(), ..d() }, "column", "alibaba-2018-usage"),
            (RateFormat::AlibabaQps, RateOptions { request_type: Some(" ".into()), ..d() }, "request_type", "must not be empty"),
            (RateFormat::NasaSecond, RateOptions { skip_bad_rows: true, ..d() }, "skip_bad_rows", "not supported by nasa-second"),
            (RateFormat::Alibaba2018Usage, RateOptions { step_s: Some(0.0), ..d() }, "step_s", "> 0"),
            (RateFormat::Alibaba2018Usage, RateOptions { bin_s: Some(45.0), ..d() }, "bin_s", "multiple of the trace's resolution (30 s)"),
            (RateFormat::Planetlab, RateOptions { bin_s: Some(60.0), ..d() }, "bin_s", "(300 s)"),
        ];
        for (format, opts, option, message) in cases {
            let err = read_rate_series(&path, format, &opts).unwrap_err();
            assert!(matches!(&err, TraceError::Options { option: o, .. } if *o == option), "{option}: {err}");
            assert!(err.to_string().contains(message), "{option}: {err}");
        }
        // Arrivals may be counted in bins of any length.
        let path = write(&dir, "azure.csv", "TIMESTAMP\n2023-11-16 18:15:46.5\n");
        let s = read(&path, RateFormat::AzureLlm, &RateOptions { bin_s: Some(0.25), ..d() });
        assert_eq!(secs(&s), [(0.0, 0.0), (0.5, 4.0)]);
    }

    #[test]
    fn skipped_native_and_worldcup98_rows_are_as_if_absent() {
        let dir = TempDir::new().unwrap();
        let skip = RateOptions { skip_bad_rows: true, ..RateOptions::default() };
        let path = write(&dir, "rate.csv", "time_s,rate\n0,1\n5,x\n4,3\n10,2\n11\n20,0\n");
        let err = read_rate_series(&path, RateFormat::Native, &RateOptions::default()).unwrap_err();
        assert!(err.to_string().contains("line 3, rate: not a number: `x`"), "{err}");
        let s = read(&path, RateFormat::Native, &skip);
        assert_eq!((secs(&s), s.rows, s.bad_rows.count), (vec![(0.0, 1.0), (4.0, 3.0), (10.0, 2.0), (20.0, 0.0)], 4, 2));
        assert_eq!(s.bad_rows.examples.len(), 2);
        assert!(s.bad_rows.examples[1].contains("line 6, rate: missing"), "{:?}", s.bad_rows.examples);
        let path = write(
            &dir,
            "wc.csv",
            "period,count\n1998-04-30 21:30:00,60\n1998-04-30 21:29:00,1\n1998-04-30 21:31:00,x\n1998-04-30 21:32:00,120\n",
        );
        let s = read(&path, RateFormat::Worldcup98Minute, &skip);
        assert_eq!((secs(&s), s.requests, s.bad_rows.count), (vec![(0.0, 1.0), (60.0, 0.0), (120.0, 2.0)], 180.0, 2));
        // Only bad rows: nothing left, and the message says why.
        let path = write(&dir, "bad.csv", "time_s,rate\nx,1\n");
        let err = read_rate_series(&path, RateFormat::Native, &skip).unwrap_err();
        assert!(err.to_string().contains("1 rows read, 1 skipped as bad"), "{err}");
    }

    #[test]
    fn periods_count_minutes_across_months_and_leap_days() {
        assert_eq!(parse_period("1970-01-01 00:01:00"), Ok(1));
        assert_eq!(parse_period("2000-03-01T00:00:00").unwrap() - parse_period("2000-02-28 00:00:00").unwrap(), 2 * 1440);
        assert_eq!(parse_period("1998-05-01 00:00:00").unwrap() - parse_period("1998-04-30 21:30:00").unwrap(), 150);
        assert!(parse_period("1900-02-29 00:00:00").is_err(), "1900 is not a leap year");
        assert!(parse_period("1998-13-01 00:00:00").is_err());
    }

    #[test]
    fn formats_are_named_in_kebab_case_in_scenarios() {
        #[derive(Deserialize)]
        struct Load {
            format: Vec<RateFormat>,
        }
        let names: Vec<String> = RateFormat::ALL.iter().map(|f| format!("\"{}\"", f.name())).collect();
        let load: Load = toml::from_str(&format!("format = [{}]", names.join(", "))).unwrap();
        assert_eq!(load.format, RateFormat::ALL);
        assert_eq!(names[6], "\"alibaba-2018-usage\"");
    }

    #[test]
    fn worldcup98_per_minute_counts_sum_to_the_ita_total() {
        let Some(path) = needed("worldcup98/wc98_requests_per_minute.csv") else { return };
        let s = read(&path, RateFormat::Worldcup98Minute, &RateOptions::default());
        assert_eq!((s.requests, s.rows), (1_352_804_107.0, 125_300));
        // 30 Apr 21:30 to 26 Jul 21:59 inclusive is 125,310 minutes: ten have no row, so no requests.
        assert_eq!(s.duration, SimDuration::from_secs(125_310 * 60));
        assert_eq!(s.points[0], (SimTime::ZERO, 2.0 / 60.0));
        let gap = parse_period("1998-05-08 03:22:00").unwrap() - parse_period("1998-04-30 21:30:00").unwrap();
        let gap = SimTime::from_secs(gap as u64 * 60);
        assert_eq!(rate_at(&s, gap), 0.0);
        assert!(rate_at(&s, SimTime::from_micros(gap.as_micros() - 1)) > 0.0);
        // Hourly bins keep the total (to rounding: rates are divided by the bin length and multiplied back here).
        let h = read(&path, RateFormat::Worldcup98Minute, &RateOptions { bin_s: Some(3600.0), ..RateOptions::default() });
        assert_eq!((h.requests, h.rows, h.duration), (1_352_804_107.0, 125_300, s.duration));
        let mut integral = 0.0;
        let ends = h.points.iter().skip(1).map(|p| p.0).chain([SimTime::ZERO + h.duration]);
        for (&(t, rate), end) in h.points.iter().zip(ends) {
            integral += rate * (end - t).as_secs_f64();
        }
        assert!((integral / 1_352_804_107.0 - 1.0).abs() < 1e-12, "{integral}");
    }

    #[test]
    fn nasa_per_second_counts_sum_to_the_readme_total() {
        let Some(path) = needed("nasa-http/nasa_jul_aug_1995_requests_per_second.txt.gz") else { return };
        let s = read(&path, RateFormat::NasaSecond, &RateOptions::default());
        assert_eq!((s.requests, s.rows, s.duration), (3_461_610.0, 5_059_950, SimDuration::from_secs(5_059_950)));
        // Hurricane Erin: the server was down from value 2,435,065 (1 Aug 14:52) for 135,851 s (37.7 h).
        let outage = RateOptions { skip_s: 2_435_065.0, take_s: Some(135_851.0), ..RateOptions::default() };
        let o = read(&path, RateFormat::NasaSecond, &outage);
        assert_eq!((secs(&o), o.requests, o.rows), (vec![(0.0, 0.0)], 0.0, 135_851));
        assert!(rate_at(&s, SimTime::from_secs(2_435_064)) > 0.0 && rate_at(&s, SimTime::from_secs(2_435_065 + 135_851)) > 0.0);
    }
}
