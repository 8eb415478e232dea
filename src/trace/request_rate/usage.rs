//! Usage profiles: utilisation in percent at a fixed step, whose *shape*
//! drives a service's load (module docs of [`super`], "Usage profiles").
//!
//! # PlanetLab ([`RateFormat::Planetlab`](super::RateFormat::Planetlab))
//! CoMon's CPU utilisation of PlanetLab VMs as shipped with CloudSim: one file
//! per VM (in `planetlab-20110303.tar.gz`, 1,052 members of 288 lines), each
//! line a percentage (0–100) over 5 minutes; line *n* covers trace time
//! `[300 (n−1), 300 n)` s. The trace is the archive (`.tar` or `.tar.gz`), a
//! directory of the VM files, or one VM's file.
//!
//! By default the series is the **mean over all VMs** at each step: the load
//! of a service spread over the whole fleet, with the fleet's daily shape and
//! without one VM's noise. The mean of a step is over the VMs that have a good
//! value there (a shorter file, or a skipped bad value, leaves it to the
//! others); it needs one pass over every member, keeping a sum per step (288),
//! not the values. `member` picks one VM instead, by its path in the archive
//! or its file name, and streams it alone. [`RateSeries::rows`](super::RateSeries::rows)
//! counts values (1,052 × 288 for the mean of the whole day).
//!
//! # Alibaba 2018, derived ([`RateFormat::Alibaba2018Usage`](super::RateFormat::Alibaba2018Usage))
//! `machine_usage_days_1_to_8_clustermean_{30s,300s}.csv`: the mean over all
//! machines of Alibaba's 2018 `machine_usage`, every 30 s or 300 s, with the
//! header `cpu_util_percent,mem_util_percent,net_in,net_out,disk_io_percent`
//! (all 0–100). The processing dropped the timestamp column, so data row *i*
//! (0-based) is placed at `i × step_s`: the step is the option, or read from
//! the file name's `_30s`/`_300s`. Timestamps missing from the original leave
//! no gap, so the profile runs slightly fast across them (the README's "some
//! gaps"). One `column` is read (default `cpu_util_percent`); the others are
//! neither parsed nor checked.

use std::io::{BufRead, BufReader, Read};
use std::ops::ControlFlow;
use std::path::Path;

use super::archive::{for_each_member, is_member};
use super::{csv_reader, line_of, parse_non_negative, visit_rows, Aggregator, Extent, Header, RateOptions, Step, Steps};
use crate::trace::rows::bad;
use crate::trace::TraceError;

/// PlanetLab's step: CoMon sampled every 5 minutes.
pub(super) const PLANETLAB_STEP_S: f64 = 300.0;

/// The name PlanetLab values are reported under (the files have no header).
const PLANETLAB_COLUMN: &str = "utilization";

/// A percentage in [0, 100], or why not.
fn parse_percent(text: &str, what: &str) -> Result<f64, String> {
    match parse_non_negative(text, what)? {
        v if v <= 100.0 => Ok(v),
        _ => Err(format!("{what} {text} is above 100 %")),
    }
}

pub(super) fn read_planetlab(path: &Path, opts: &RateOptions, agg: &mut Aggregator) -> Result<Extent, TraceError> {
    match &opts.member {
        Some(wanted) => read_one_vm(path, wanted, agg),
        None => read_vm_mean(path, agg),
    }
}

/// Reads one VM's values (a percentage a line) from `source`, passing each
/// good one with its 0-based step and line to `each` until it returns false;
/// bad ones go through the aggregator's bad-row policy. Returns the lines read.
fn vm_values(
    path: &Path,
    source: &mut dyn Read,
    agg: &mut Aggregator,
    mut each: impl FnMut(&mut Aggregator, u64, f64, u64) -> Result<bool, TraceError>,
) -> Result<u64, TraceError> {
    let mut reader = BufReader::new(source);
    let mut bytes = Vec::new();
    let mut line = 0;
    loop {
        bytes.clear();
        if reader.read_until(b'\n', &mut bytes).map_err(|source| TraceError::io(path, source))? == 0 {
            return Ok(line);
        }
        line += 1;
        let value = std::str::from_utf8(&bytes)
            .map_err(|_| "not valid UTF-8".to_string())
            .and_then(|text| match text.trim() {
                "" => Err("empty: expected a utilization in percent".into()),
                text => parse_percent(text, PLANETLAB_COLUMN),
            })
            .map_err(|m| bad(path, line, PLANETLAB_COLUMN, m));
        let Some(value) = agg.bad_rows.check(value)? else { continue };
        if !each(agg, line - 1, value, line)? {
            return Ok(line);
        }
    }
}

fn read_one_vm(path: &Path, wanted: &str, agg: &mut Aggregator) -> Result<Extent, TraceError> {
    let mut found = None;
    let members = for_each_member(path, |member, name, source| {
        if !is_member(name, wanted) {
            return Ok(true);
        }
        let mut steps = Steps::new(member, PLANETLAB_COLUMN);
        let rows = vm_values(member, source, agg, |agg, step, value, line| {
            steps.row(agg, Step { t: step as f64 * PLANETLAB_STEP_S, rate: value, line, rows: 1 })
        })?;
        let (end, last_line) = steps.finish(agg, Some(PLANETLAB_STEP_S))?;
        found = Some(Extent { rows, end, last_line, last_column: PLANETLAB_COLUMN.into() });
        Ok(false)
    })?;
    found.ok_or_else(|| TraceError::Empty { path: path.to_path_buf(), message: format!("none of its {members} files is named `{wanted}`") })
}

fn read_vm_mean(path: &Path, agg: &mut Aggregator) -> Result<Extent, TraceError> {
    // Per step: the sum of the VMs' values and how many VMs have one.
    let (mut sums, mut vms): (Vec<f64>, Vec<u64>) = (Vec::new(), Vec::new());
    let mut rows = 0;
    for_each_member(path, |member, _, source| {
        rows += vm_values(member, source, agg, |agg, step, value, _| {
            if agg.past_window(step as f64 * PLANETLAB_STEP_S) {
                return Ok(false);
            }
            let step = step as usize;
            if step >= sums.len() {
                sums.resize(step + 1, 0.0);
                vms.resize(step + 1, 0);
            }
            sums[step] += value;
            vms[step] += 1;
            Ok(true)
        })?;
        Ok(true)
    })?;
    let mut steps = Steps::new(path, PLANETLAB_COLUMN);
    for (step, (&sum, &n)) in sums.iter().zip(&vms).enumerate().filter(|(_, (_, &n))| n > 0) {
        let line = step as u64 + 1;
        if !steps.row(agg, Step { t: step as f64 * PLANETLAB_STEP_S, rate: sum / n as f64, line, rows: n })? {
            break;
        }
    }
    let (end, last_line) = steps.finish(agg, Some(PLANETLAB_STEP_S))?;
    Ok(Extent { rows, end, last_line, last_column: PLANETLAB_COLUMN.into() })
}

pub(super) fn read_alibaba_2018(path: &Path, opts: &RateOptions, agg: &mut Aggregator) -> Result<Extent, TraceError> {
    let step_s =
        agg.resolution.ok_or_else(|| TraceError::Options { path: path.to_path_buf(), option: "step_s", message: "is needed".into() })?;
    let mut reader = csv_reader(path)?;
    let header = Header::read(path, &mut reader, &[opts.column.as_deref().unwrap_or("cpu_util_percent")])?;
    let column = header.name(0).to_string();
    let mut steps = Steps::new(path, &column);
    // Row n (from 1) is the sample at (n - 1) steps: a skipped bad row keeps its time slot.
    let rows = visit_rows(path, &header, &mut reader, agg, |row, n, agg| {
        let line = line_of(row);
        let value = parse_percent(&row[header.columns[0]], &column).map_err(|m| bad(path, line, &column, m));
        let Some(value) = agg.bad_rows.check(value)? else { return Ok(ControlFlow::Continue(())) };
        let more = steps.row(agg, Step { t: (n - 1) as f64 * step_s, rate: value, line, rows: 1 })?;
        Ok(if more { ControlFlow::Continue(()) } else { ControlFlow::Break(()) })
    })?;
    let (end, last_line) = steps.finish(agg, Some(step_s))?;
    Ok(Extent { rows, end, last_line, last_column: column })
}

#[cfg(test)]
mod tests {
    use tempfile::TempDir;

    use super::super::tests::{gzip, secs, tar, write};
    use super::super::{read_rate_series, RateFormat, RateSeries};
    use super::*;
    use crate::time::SimDuration;
    use crate::trace::test_files::fixture;
    use crate::trace::testing::needed;

    fn read(path: &Path, format: RateFormat, opts: &RateOptions) -> RateSeries {
        read_rate_series(path, format, opts).unwrap_or_else(|e| panic!("{e}"))
    }

    fn vm(name: &str) -> RateOptions {
        RateOptions { member: Some(name.into()), ..RateOptions::default() }
    }

    const VMS: [(&str, &str); 3] = [("day/a", "10\n20\n30\n"), ("day/b", "30\n40\n"), ("day/c", "20\n60\n0")];

    #[test]
    fn planetlab_mean_is_over_the_vms_that_have_each_step() {
        let dir = TempDir::new().unwrap();
        let path = write(&dir, "day.tar.gz", tar(&VMS, true));
        let s = read(&path, RateFormat::Planetlab, &RateOptions::default());
        assert_eq!(secs(&s), [(0.0, 20.0), (300.0, 40.0), (600.0, 15.0)]);
        assert_eq!((s.rows, s.requests, s.duration), (8, (20.0 + 40.0 + 15.0) * 300.0, SimDuration::from_secs(900)));
        // Bins of 10 minutes; a window.
        let s = read(&path, RateFormat::Planetlab, &RateOptions { bin_s: Some(600.0), ..RateOptions::default() });
        assert_eq!(secs(&s), [(0.0, 30.0), (600.0, 15.0)]);
        let s = read(&path, RateFormat::Planetlab, &RateOptions { skip_s: 300.0, take_s: Some(300.0), ..RateOptions::default() });
        assert_eq!((secs(&s), s.rows), (vec![(0.0, 40.0)], 3));
        // A directory of the VM files reads the same.
        for (name, text) in VMS {
            std::fs::create_dir_all(dir.path().join("dir/day")).unwrap();
            write(&dir, &format!("dir/{name}"), text);
        }
        assert_eq!(
            read(&dir.path().join("dir/day"), RateFormat::Planetlab, &RateOptions::default()),
            read(&path, RateFormat::Planetlab, &RateOptions::default())
        );
    }

    #[test]
    fn planetlab_member_picks_one_vm_by_path_or_name() {
        let dir = TempDir::new().unwrap();
        let path = write(&dir, "day.tar", tar(&VMS, false));
        let s = read(&path, RateFormat::Planetlab, &vm("b"));
        assert_eq!((secs(&s), s.rows, s.duration), (vec![(0.0, 30.0), (300.0, 40.0)], 2, SimDuration::from_secs(600)));
        assert_eq!(read(&path, RateFormat::Planetlab, &vm("day/b")), s);
        let err = read_rate_series(&path, RateFormat::Planetlab, &vm("d")).unwrap_err();
        assert!(matches!(err, TraceError::Empty { .. }) && err.to_string().contains("none of its 3 files is named `d`"), "{err}");
        // One VM's own file is the trace of that VM.
        let one = write(&dir, "a", "10\n20\n30\n");
        assert_eq!(secs(&read(&one, RateFormat::Planetlab, &RateOptions::default())), [(0.0, 10.0), (300.0, 20.0), (600.0, 30.0)]);
    }

    #[test]
    fn planetlab_bad_values_fail_or_leave_the_step_to_the_others() {
        let dir = TempDir::new().unwrap();
        let cases = [("x", "not a number: `x`"), ("101", "above 100 %"), ("-1", "negative"), ("", "empty"), ("NaN", "finite")];
        for (k, (value, message)) in cases.into_iter().enumerate() {
            let members = [VMS[0], VMS[1], ("day/c", &format!("20\n{value}\n0") as &str)];
            let path = write(&dir, &format!("bad{k}.tar"), tar(&members, false));
            let err = read_rate_series(&path, RateFormat::Planetlab, &RateOptions::default()).unwrap_err().to_string();
            let at = format!("{}: line 2, utilization: ", path.join("day/c").display());
            assert!(err.starts_with(&at) && err.contains(message), "case {k}: {err}");
            let skip = RateOptions { skip_bad_rows: true, ..RateOptions::default() };
            let s = read(&path, RateFormat::Planetlab, &skip);
            assert_eq!((secs(&s), s.bad_rows.count, s.rows), (vec![(0.0, 20.0), (300.0, 30.0), (600.0, 15.0)], 1, 7), "case {k}");
            // One VM: the previous value holds over the skipped one.
            let s = read(&path, RateFormat::Planetlab, &RateOptions { member: Some("c".into()), ..skip });
            assert_eq!((secs(&s), s.duration), (vec![(0.0, 20.0), (600.0, 0.0)], SimDuration::from_secs(900)), "case {k}");
        }
    }

    #[test]
    fn the_planetlab_fixture_archive_gives_the_mean_vm_or_one_vm() {
        let path = fixture("planetlab/planetlab-20110303.tar.gz");
        // Three VMs: 6, 2, 4 %; 10, 20, 30 %; 8 % (a shorter file leaves the later steps to the others).
        let s = read(&path, RateFormat::Planetlab, &RateOptions::default());
        assert_eq!(secs(&s), [(0.0, 8.0), (300.0, 11.0), (600.0, 17.0)]);
        assert_eq!((s.rows, s.requests, s.duration), (7, (8.0 + 11.0 + 17.0) * 300.0, SimDuration::from_secs(900)));
        let one = read(&path, RateFormat::Planetlab, &vm("planetlab3_cs_st-andrews_ac_uk_upmc_ts"));
        assert_eq!((secs(&one), one.rows), (vec![(0.0, 10.0), (300.0, 20.0), (600.0, 30.0)], 3));
    }

    #[test]
    fn the_alibaba_2018_fixture_steps_by_the_300_s_of_its_name() {
        let path = fixture("alibaba-v2018-derived/machine_usage_clustermean_300s.csv");
        let s = read(&path, RateFormat::Alibaba2018Usage, &RateOptions::default());
        assert_eq!(secs(&s), [(0.0, 16.5), (300.0, 18.25), (900.0, 20.0)]);
        assert_eq!((s.rows, s.requests, s.duration), (4, (16.5 + 18.25 * 2.0 + 20.0) * 300.0, SimDuration::from_secs(1200)));
        let memory =
            read(&path, RateFormat::Alibaba2018Usage, &RateOptions { column: Some("mem_util_percent".into()), ..RateOptions::default() });
        assert_eq!(secs(&memory), [(0.0, 87.25), (300.0, 86.75), (600.0, 86.5), (900.0, 86.0)]);
    }

    #[test]
    fn planetlab_archive_has_1052_vms_of_288_steps() {
        let Some(path) = needed("planetlab/planetlab-20110303.tar.gz") else { return };
        let s = read(&path, RateFormat::Planetlab, &RateOptions::default());
        assert_eq!((s.rows, s.bad_rows.count, s.duration), (1_052 * 288, 0, SimDuration::from_secs(86_400)));
        // The values sum to 3,730,979 %: the mean VM's integral is that over 1,052, times 300 s.
        assert!((s.requests / (3_730_979.0 / 1_052.0 * 300.0) - 1.0).abs() < 1e-12, "{}", s.requests);
        assert_eq!(s.points[0].1, 12_408.0 / 1_052.0);
        let one = read(&path, RateFormat::Planetlab, &vm("planetlab1_fit_vutbr_cz_nyu_d"));
        assert_eq!((one.rows, one.requests, one.duration), (288, 822.0 * 300.0, SimDuration::from_secs(86_400)));
    }

    const USAGE: &str = "cpu_util_percent,mem_util_percent,net_in,net_out,disk_io_percent\n10,80,1,1,1\n20,81,1,1,1\n20,82,x,1,1\n";

    #[test]
    fn alibaba_2018_rows_are_steps_named_in_the_file_or_the_options() {
        let dir = TempDir::new().unwrap();
        let path = write(&dir, "usage_clustermean_30s.csv", USAGE);
        let s = read(&path, RateFormat::Alibaba2018Usage, &RateOptions::default());
        assert_eq!((secs(&s), s.rows, s.requests, s.duration), (vec![(0.0, 10.0), (30.0, 20.0)], 3, 1500.0, SimDuration::from_secs(90)));
        let mem = RateOptions { column: Some("mem_util_percent".into()), step_s: Some(10.0), ..RateOptions::default() };
        let s = read(&path, RateFormat::Alibaba2018Usage, &mem);
        assert_eq!((secs(&s), s.duration), (vec![(0.0, 80.0), (10.0, 81.0), (20.0, 82.0)], SimDuration::from_secs(30)));
        let gz = write(&dir, "x_300s.csv.gz", gzip(USAGE.as_bytes()));
        assert_eq!(read(&gz, RateFormat::Alibaba2018Usage, &RateOptions::default()).duration, SimDuration::from_secs(900));
        let unnamed = write(&dir, "usage.csv", USAGE);
        let err = read_rate_series(&unnamed, RateFormat::Alibaba2018Usage, &RateOptions::default()).unwrap_err();
        assert!(matches!(err, TraceError::Options { option: "step_s", .. }), "{err}");
        let err =
            read_rate_series(&path, RateFormat::Alibaba2018Usage, &RateOptions { column: Some("gpu".into()), ..RateOptions::default() });
        assert!(err.unwrap_err().to_string().contains("line 1, gpu: missing from the header"));
    }

    #[test]
    fn alibaba_2018_bad_values_fail_or_hold_the_previous() {
        let dir = TempDir::new().unwrap();
        let cases =
            [("x", "cpu_util_percent", "not a number"), ("100.5", "cpu_util_percent", "above 100 %"), ("", "cpu_util_percent", "``")];
        for (k, (value, column, message)) in cases.into_iter().enumerate() {
            let path = write(&dir, &format!("bad{k}_30s.csv"), USAGE.replacen("20,81", &format!("{value},81"), 1));
            let err = read_rate_series(&path, RateFormat::Alibaba2018Usage, &RateOptions::default()).unwrap_err().to_string();
            assert!(err.contains(&format!("line 3, {column}: ")) && err.contains(message), "case {k}: {err}");
            let s = read(&path, RateFormat::Alibaba2018Usage, &RateOptions { skip_bad_rows: true, ..RateOptions::default() });
            assert_eq!(
                (secs(&s), s.bad_rows.count, s.duration),
                (vec![(0.0, 10.0), (60.0, 20.0)], 1, SimDuration::from_secs(90)),
                "case {k}"
            );
        }
        let path = write(&dir, "short_30s.csv", format!("{USAGE}30,1,1\n"));
        let err = read_rate_series(&path, RateFormat::Alibaba2018Usage, &RateOptions::default()).unwrap_err().to_string();
        assert!(err.contains("line 5, net_out: missing"), "{err}");
    }

    #[test]
    fn alibaba_2018_derived_files_have_the_readme_row_counts() {
        let Some(dir) = needed("alibaba-v2018-derived") else { return };
        for (file, rows, step, cpu_sum) in [("30s", 22_415u64, 30u64, 861_934.399_676_618_6), ("300s", 2_243, 300, 90_113.998_645_016_2)] {
            let path = dir.join(format!("machine_usage_days_1_to_8_clustermean_{file}.csv"));
            let s = read(&path, RateFormat::Alibaba2018Usage, &RateOptions::default());
            assert_eq!((s.rows, s.bad_rows.count, s.duration), (rows, 0, SimDuration::from_secs(rows * step)), "{file}");
            assert!((s.requests / (cpu_sum * step as f64) - 1.0).abs() < 1e-12, "{file}: {}", s.requests);
            assert_eq!(s.points[0].1, 16.126976521322472, "{file}");
        }
    }
}
