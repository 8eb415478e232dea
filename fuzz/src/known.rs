//! Crashes found and not fixed yet (in code the fuzzing branch does not own).
//! Each guard skips the inputs of one bug, so that the fuzzer looks for other
//! bugs instead of finding this one again, and CI stays green until the fix
//! is merged. Remove a guard with its fix: the bug's input in
//! `fuzz/regressions/<target>/` then checks the fix on every CI run.

/// Whether a line of `data` is an SWF header comment `; MaxNodes: N` with N
/// above 10,000. The reader builds one machine per node: a `MaxNodes` near
/// `u32::MAX` aborted on allocation, and is now refused above
/// `orchsim::trace::swf::MAX_NODES` (1,000,000). The real logs have at most a
/// few thousand nodes; between 10,000 and that bound, a value only slows
/// every execution down, so the guard stays.
pub fn swf_huge_max_nodes(data: &[u8]) -> bool {
    data.split(|&b| b == b'\n').filter_map(|line| line.trim_ascii().strip_prefix(b";")).any(|comment| {
        let comment = String::from_utf8_lossy(comment);
        let Some((key, value)) = comment.split_once(':') else { return false };
        let word = value.split_whitespace().next().unwrap_or("");
        key.trim() == "MaxNodes" && word.parse::<u32>().is_ok_and(|n| n > 10_000)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_skip_their_bugs_inputs_and_not_the_seeds() {
        assert!(swf_huge_max_nodes(b"; Version: 2.2\n  ; MaxNodes: 4294967295 (nodes)\n"));
        assert!(!swf_huge_max_nodes(include_bytes!("../seeds/trace_swf/kth")));
    }
}
