//! Maps field paths to source positions and back, so that every error names
//! the file, line, column and field.

use std::ops::Range;

use toml::de::{DeTable, DeValue, ValueDeserializer};
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

/// The elements along `path` from `root`, as far as they exist: for each
/// step, the span of its key (none for an array index) and its value.
fn descend<'a, 's>(root: &'a DeTable<'s>, path: &str) -> Vec<(Option<Range<usize>>, &'a Spanned<DeValue<'s>>)> {
    let mut found = Vec::new();
    let mut table: Option<&DeTable<'_>> = Some(root);
    let mut value: Option<&Spanned<DeValue<'_>>> = None;
    for step in steps(path) {
        let next = match (step, table, value) {
            (Step::Key(k), Some(t), _) => t.iter().find(|(key, _)| key.get_ref() == k).map(|(key, v)| (Some(key.span()), v)),
            (Step::Index(i), _, Some(v)) => v.get_ref().as_array().and_then(|a| a.get(i)).map(|v| (None, v)),
            _ => None,
        };
        let Some((key, v)) = next else { break };
        found.push((key, v));
        table = v.get_ref().as_table();
        value = Some(v);
    }
    found
}

/// The span of the deepest existing element along `path` (the value if it
/// exists, otherwise its nearest ancestor), for errors about a field.
pub fn span_of(source: &str, path: &str) -> Option<Range<usize>> {
    let (root, _) = DeTable::parse_recoverable(source);
    let mut best: Option<Range<usize>> = None;
    for (key, v) in descend(root.get_ref(), path) {
        if !v.span().is_empty() {
            best = Some(v.span());
        } else if let Some(key) = key {
            // The key's span when the value's is empty (array-of-tables headers).
            best = Some(key);
        }
    }
    best
}

/// Deserializes the table at `path` in `source`, without its keys `skip`
/// (a tag read apart), with `read`; `None` if there is no table there.
///
/// The table is taken from the parsed document, whose values keep their
/// spans in `source`: an error then carries the span of its own key or value.
/// A `toml::Table` has no spans, and a type deserialized through an
/// internally tagged enum loses them (serde buffers the table first), so an
/// error from either can only be placed at the table's header.
pub fn read_table<T>(
    source: &str,
    path: &str,
    skip: &[&str],
    read: impl FnOnce(ValueDeserializer<'_>) -> Result<T, toml::de::Error>,
) -> Option<Result<T, toml::de::Error>> {
    let (root, _) = DeTable::parse_recoverable(source);
    let steps = steps(path).len();
    let along = descend(root.get_ref(), path);
    let value = along.last().filter(|_| along.len() == steps)?.1;
    let mut table = value.get_ref().as_table()?.clone();
    for key in skip {
        table.remove(*key);
    }
    Some(read(ValueDeserializer::from(Spanned::new(value.span(), DeValue::Table(table)))))
}

/// The start of the dotted key of the most parts in `source` (`a.b.c = …`,
/// `[a.b.c]`, or a key in an inline table). toml refuses a key of too many
/// parts with a "recursion limit" error that has no span: this is its place.
pub fn deepest_dotted_key(source: &str) -> Option<usize> {
    use toml_parser::lexer::TokenKind;
    // (dots so far, start) of the key being read, and of the deepest one.
    let mut key: Option<(usize, usize)> = None;
    let mut deepest: Option<(usize, usize)> = None;
    for token in toml_parser::Source::new(source).lex() {
        match token.kind() {
            TokenKind::Atom | TokenKind::BasicString | TokenKind::LiteralString => {
                key.get_or_insert((0, token.span().start()));
            }
            TokenKind::Whitespace => {}
            TokenKind::Dot => {
                if let Some(k) = &mut key {
                    k.0 += 1;
                    if deepest.is_none_or(|d| k.0 > d.0) {
                        deepest = Some(*k);
                    }
                }
            }
            _ => key = None,
        }
    }
    deepest.map(|(_, start)| start)
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

    #[test]
    fn a_table_read_apart_keeps_the_lines_of_its_keys() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Cpu {
            dist: String,
            sigma: u32,
        }
        use serde::Deserialize as _;
        let read = |path: &str, skip: &[&str]| read_table(SRC, path, skip, |de| Cpu::deserialize(de));
        let line = |e: toml::de::Error| position(SRC, e.span().unwrap().start).line;
        // `sigma = -1` is no u32: the error is at line 9, where it is, not at the table.
        assert_eq!(read("batch[1].cpu", &[]).map(|r| r.map_err(line).unwrap_err()), Some(9));
        assert!(read("batch[1].cpu", &["sigma"]).unwrap().unwrap_err().message().contains("missing field `sigma`"));
        assert!(read("batch[1].memory", &[]).is_none() && read("batch[0].cpu", &[]).is_none(), "no such table");
    }

    #[test]
    fn the_deepest_dotted_key_is_found() {
        let deep = format!("name = 1.5\n[x]\nb.c = 2\nd = {{ e.\"f\" . g = 3 }}\n{} = 1\n", ["a"; 200].join("."));
        assert_eq!(deepest_dotted_key(&deep).map(|o| position(&deep, o).line), Some(5));
        assert_eq!(deepest_dotted_key("d = { e.\"f.h\" . g = 3 }").map(|o| position("d = { e.\"f.h\" . g = 3 }", o).column), Some(7));
    }
}
