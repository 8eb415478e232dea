//! Row-level helpers shared by the CSV trace readers: opening with the
//! header checked, locating errors at file, line and column, and parsing
//! numbers with messages that quote the offending text.

use std::io::Read;
use std::path::Path;

use csv::StringRecord;

use super::{open, TraceError};

pub(crate) fn bad(path: &Path, line: u64, column: &str, message: String) -> TraceError {
    TraceError::Bad { path: path.to_path_buf(), line, column: column.to_string(), message }
}

pub(crate) fn csv_reader(path: &Path) -> Result<csv::Reader<Box<dyn Read>>, TraceError> {
    // Flexible, so that a short or long row is reported by the column it lacks rather than as a bare length mismatch.
    Ok(csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(open(path)?))
}

pub(crate) fn line_of(record: &StringRecord) -> u64 {
    record.position().map_or(0, |p| p.line())
}

/// Maps a csv error to the file, line and column it concerns.
pub(crate) fn csv_error(path: &Path, header: Option<&StringRecord>, e: csv::Error) -> TraceError {
    let message = e.to_string();
    let line = e.position().map_or(0, |p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(source) => TraceError::io(path, source),
        csv::ErrorKind::Utf8 { pos, err } => {
            let column = header.and_then(|h| h.get(err.field())).map_or_else(|| format!("field {}", err.field() + 1), str::to_string);
            bad(path, pos.map_or(line, |p| p.line()), &column, "not valid UTF-8".into())
        }
        _ => bad(path, line, "row", message),
    }
}

/// The header of a CSV trace and the indices of the columns a format needs.
pub(crate) struct Header {
    pub(crate) record: StringRecord,
    pub(crate) columns: Vec<usize>,
}

impl Header {
    pub(crate) fn read<R: Read>(path: &Path, reader: &mut csv::Reader<R>, names: &[&str]) -> Result<Header, TraceError> {
        let record = reader.headers().map_err(|e| csv_error(path, None, e))?.clone();
        let expected = names.join(",");
        if record.is_empty() {
            return Err(TraceError::Empty { path: path.to_path_buf(), message: format!("empty file: expected the header `{expected}`") });
        }
        let line = line_of(&record).max(1);
        let columns = names
            .iter()
            .map(|name| {
                record.iter().position(|h| h == *name).ok_or_else(|| {
                    let found = record.iter().collect::<Vec<_>>().join(",");
                    bad(path, line, name, format!("missing from the header `{found}` (expected `{expected}`)"))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Header { record, columns })
    }

    /// Reads the next row into `row`, checking it has exactly the header's fields.
    // Unused since the request-rate readers skip bad rows; kept for readers that never do.
    #[allow(dead_code)]
    pub(crate) fn next<R: Read>(&self, path: &Path, reader: &mut csv::Reader<R>, row: &mut StringRecord) -> Result<bool, TraceError> {
        if !self.read_unchecked(path, reader, row)? {
            return Ok(false);
        }
        self.check_width(path, row)?;
        Ok(true)
    }

    /// Reads the next row into `row` without checking its width (see
    /// [`check_width`](Self::check_width)), for readers that may skip a bad row
    /// and go on.
    pub(crate) fn read_unchecked<R: Read>(
        &self,
        path: &Path,
        reader: &mut csv::Reader<R>,
        row: &mut StringRecord,
    ) -> Result<bool, TraceError> {
        reader.read_record(row).map_err(|e| csv_error(path, Some(&self.record), e))
    }

    /// Checks that `row` has exactly the header's fields.
    pub(crate) fn check_width(&self, path: &Path, row: &StringRecord) -> Result<(), TraceError> {
        let (got, want) = (row.len(), self.record.len());
        if got < want {
            let message = format!("missing: the row has {got} field(s), the header {want}");
            return Err(bad(path, line_of(row), &self.record[got], message));
        }
        if got > want {
            let message = format!("extra field `{}`: the row has {got} fields, the header {want}", &row[want]);
            return Err(bad(path, line_of(row), &format!("field {}", want + 1), message));
        }
        Ok(())
    }

    pub(crate) fn name(&self, i: usize) -> &str {
        &self.record[self.columns[i]]
    }
}

/// A finite number ≥ 0, or why not.
pub(crate) fn parse_non_negative(text: &str, what: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        Ok(x) if x.is_finite() => Err(format!("negative {what} {text}")),
        Ok(_) => Err(format!("{what} must be a finite number, not `{text}`")),
        Err(_) => Err(format!("not a number: `{text}`")),
    }
}

/// A count of requests (a whole number ≥ 0), or why not.
pub(crate) fn parse_count(text: &str) -> Result<f64, String> {
    match text.parse::<u64>() {
        Ok(n) => Ok(n as f64),
        Err(_) if text.is_empty() => Err("empty: expected a count of requests".into()),
        Err(_) if text.starts_with('-') && text.len() > 1 && text[1..].bytes().all(|b| b.is_ascii_digit()) => {
            Err(format!("negative count {text}"))
        }
        Err(_) if text.bytes().all(|b| b.is_ascii_digit()) => Err(format!("count {text} is too large")),
        Err(_) => Err(format!("not a count of requests (a whole number ≥ 0): `{text}`")),
    }
}
