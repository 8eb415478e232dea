//! Crashes found and not fixed yet (in code the fuzzing branch does not own).
//! Each guard skips the inputs of one bug, so that the fuzzer looks for other
//! bugs instead of finding this one again, and CI stays green until the fix
//! is merged. Remove a guard with its fix: the bug's input in
//! `fuzz/regressions/<target>/` then checks the fix on every CI run.

/// Whether a line of `data` is an SWF header comment `; MaxNodes: N` with N
/// above 10,000. The reader builds one machine per node, so a `MaxNodes`
/// near `u32::MAX` aborts on allocation (fixed on another branch). The real
/// logs have at most a few thousand nodes; between 10,000 and the crash, a
/// value only slows every execution down.
pub fn swf_huge_max_nodes(data: &[u8]) -> bool {
    data.split(|&b| b == b'\n').filter_map(|line| line.trim_ascii().strip_prefix(b";")).any(|comment| {
        let comment = String::from_utf8_lossy(comment);
        let Some((key, value)) = comment.split_once(':') else { return false };
        let word = value.split_whitespace().next().unwrap_or("");
        key.trim() == "MaxNodes" && word.parse::<u32>().is_ok_and(|n| n > 10_000)
    })
}

/// Whether `data` holds a year `YYYY-` outside 1900–2150 anywhere. The
/// Azure LLM reader subtracts the first request's nanoseconds from each
/// request's in an `i64`, which overflows for timestamps more than 292 years
/// apart (valid ones span 1678–2262): `src/trace/request_rate/arrivals.rs`,
/// `let t = (ns - zero)`; input in `fuzz/regressions/rate_azure_llm/`.
pub fn far_apart_dates(data: &[u8]) -> bool {
    (0..data.len().saturating_sub(4)).any(|i| {
        let w = &data[i..i + 5];
        let starts = i == 0 || !data[i - 1].is_ascii_digit();
        starts && w[4] == b'-' && w[..4].iter().all(u8::is_ascii_digit) && {
            let year = w[..4].iter().fold(0u32, |y, d| y * 10 + u32::from(d - b'0'));
            !(1900..=2150).contains(&year)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_skip_their_bugs_inputs_and_not_the_seeds() {
        assert!(far_apart_dates(include_bytes!("../regressions/rate_azure_llm/timestamps-338-years-apart")));
        assert!(!far_apart_dates(include_bytes!("../seeds/rate_azure_llm/requests")));
        assert!(!far_apart_dates(b"12345-1 2023-11-16"));
        assert!(swf_huge_max_nodes(b"; Version: 2.2\n  ; MaxNodes: 4294967295 (nodes)\n"));
        assert!(!swf_huge_max_nodes(include_bytes!("../seeds/trace_swf/kth")));
    }
}
