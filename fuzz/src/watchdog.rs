//! Slow inputs as crashes. libFuzzer's own `-timeout` dumps the input from a
//! SIGALRM handler that allocates: when the signal lands while the target is
//! inside `malloc` (as a slow simulation mostly is), the handler waits for the
//! allocator lock its own thread holds, and the fuzzer hangs for ever, input
//! lost. (AddressSanitizer's allocator makes that rare; the targets are built
//! without it.) So the targets watch the time themselves: a thread checks
//! the running input every quarter of a second and, once it has run for
//! libFuzzer's `-timeout` less 2 s, aborts from that thread, where libFuzzer's
//! crash handler saves the input (`crash-…`) without touching the main
//! thread's allocator lock.

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// When the running input started, if one is running.
static STARTED: Mutex<Option<Instant>> = Mutex::new(None);

/// Runs `target` on one input under the watchdog.
pub fn watch<R>(target: impl FnOnce() -> R) -> R {
    static WATCHDOG: OnceLock<()> = OnceLock::new();
    WATCHDOG.get_or_init(|| {
        let limit = Duration::from_secs(timeout_arg().unwrap_or(1200).saturating_sub(2).max(1));
        std::thread::spawn(move || watchdog(limit));
    });
    set(Some(Instant::now()));
    let result = target();
    set(None);
    result
}

fn set(started: Option<Instant>) {
    *STARTED.lock().unwrap_or_else(|e| e.into_inner()) = started;
}

/// libFuzzer's `-timeout=N` (seconds), if given.
fn timeout_arg() -> Option<u64> {
    std::env::args().find_map(|a| a.strip_prefix("-timeout=").and_then(|n| n.parse().ok())).filter(|&n| n > 0)
}

fn watchdog(limit: Duration) {
    loop {
        std::thread::sleep(Duration::from_millis(250));
        let started = *STARTED.lock().unwrap_or_else(|e| e.into_inner());
        if started.is_some_and(|t| t.elapsed() > limit) {
            eprintln!("==orchsim-fuzz== an input ran for more than {} s: a timeout, saved as a crash", limit.as_secs());
            std::process::abort();
        }
    }
}
