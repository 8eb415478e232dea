//! Maps field paths to source positions and back, so that every error names
//! the file, line, column and field.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// A 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

/// The line and column of byte `offset` in `source`.
pub fn position(source: &str, offset: usize) -> Position {
    let offset = offset.min(source.len());
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Position { line, column: before[line_start..].chars().count() + 1 }
}

/// One step of a field path.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Splits `batch[0].cpu.sigma` into steps.
fn steps(path: &str) -> Vec<Step<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, mut rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if !key.is_empty() {
            out.push(Step::Key(key));
        }
        while let Some((idx, r)) = rest.split_once(']') {
            if let Ok(i) = idx.parse() {
                out.push(Step::Index(i));
            }
            rest = r.strip_prefix('[').unwrap_or(r);
        }
    }
    out
}

/// The span of the deepest existing element along `path` (the value if it
/// exists, otherwise its nearest ancestor), for errors about a field.
pub fn span_of(source: &str, path: &str) -> Option<Range<usize>> {
    let (root, _) = DeTable::parse_recoverable(source);
    let mut best: Option<Range<usize>> = None;
    let mut table: Option<&DeTable<'_>> = Some(root.get_ref());
    let mut value: Option<&Spanned<DeValue<'_>>> = None;
    for step in steps(path) {
        let next = match (step, table, value) {
            (Step::Key(k), Some(t), _) => t.iter().find(|(key, _)| key.get_ref() == k).map(|(key, v)| {
                // Prefer the key's span when the value's span is empty (array-of-tables headers).
                if v.span().is_empty() {
                    best = Some(key.span());
                }
                v
            }),
            (Step::Index(i), _, Some(v)) => v.get_ref().as_array().and_then(|a| a.get(i)),
            _ => None,
        };
        let Some(v) = next else { break };
        if !v.span().is_empty() {
            best = Some(v.span());
        }
        table = v.get_ref().as_table();
        value = Some(v);
    }
    best
}

/// The dotted path of the deepest element whose span contains `offset`, to
/// name the field in deserialization errors that only carry a span. For a
/// syntax error the tree may not hold the broken value; then the bare key
/// written on that line is named.
pub fn path_at(source: &str, offset: usize) -> Option<String> {
    path_in_tree(source, offset).or_else(|| key_on_line(source, offset))
}

fn key_on_line(source: &str, offset: usize) -> Option<String> {
    let offset = offset.min(source.len());
    let start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = source[start..].lines().next()?;
    let key = line.split_once('=')?.0.trim();
    let bare = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    bare.then(|| key.to_string())
}

fn path_in_tree(source: &str, offset: usize) -> Option<String> {
    let (root, _) = DeTable::parse_recoverable(source);
    let mut path = String::new();
    let mut current: &DeTable<'_> = root.get_ref();
    let mut found_any = false;
    loop {
        let mut descended = None;
        for (key, v) in current.iter() {
            if contains(&key.span(), offset) || contains(&v.span(), offset) || contains_deep(v, offset) {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key.get_ref());
                found_any = true;
                descended = Some(v);
                break;
            }
        }
        let Some(mut v) = descended else { break };
        // Step through arrays to the element holding the offset.
        while let Some(a) = v.get_ref().as_array() {
            match a.iter().position(|e| contains(&e.span(), offset) || contains_deep(e, offset)) {
                Some(i) => {
                    path.push_str(&format!("[{i}]"));
                    v = &a[i];
                }
                None => break,
            }
        }
        match v.get_ref().as_table() {
            Some(t) => current = t,
            None => break,
        }
    }
    found_any.then_some(path)
}

fn contains(span: &Range<usize>, offset: usize) -> bool {
    span.start <= offset && offset < span.end.max(span.start + 1)
}

/// Whether any key or value below `v` contains `offset` (header tables have
/// empty spans of their own).
fn contains_deep(v: &Spanned<DeValue<'_>>, offset: usize) -> bool {
    if contains(&v.span(), offset) && !v.span().is_empty() {
        return true;
    }
    match v.get_ref() {
        DeValue::Table(t) => t.iter().any(|(k, v)| contains(&k.span(), offset) || contains_deep(v, offset)),
        DeValue::Array(a) => a.iter().any(|e| contains_deep(e, offset)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str =
        "name = \"x\"\n\n[[batch]]\nname = \"a\"\ncpu = \"1\"\n\n[[batch]]\nname = \"b\"\ncpu = { dist = \"lognormal\", sigma = -1 }\n";

    #[test]
    fn paths_map_to_lines_and_back() {
        let line = |p: &str| span_of(SRC, p).map(|s| position(SRC, s.start).line);
        assert_eq!(line("name"), Some(1));
        assert_eq!(line("batch[0].cpu"), Some(5));
        assert_eq!(line("batch[1].cpu.sigma"), Some(9));
        // A missing parameter points at its table.
        assert_eq!(line("batch[1].cpu.median"), Some(9));
        let offset = SRC.find("-1").unwrap();
        assert_eq!(path_at(SRC, offset).as_deref(), Some("batch[1].cpu.sigma"));
    }
}
