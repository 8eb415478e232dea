//! What orchsim's fuzz targets share: turning one fuzz input into the files a
//! reader wants, and the checks a reader's or a run's result must pass beyond
//! "did not panic".
//!
//! Every reader of orchsim takes paths, so each input is written to a scratch
//! directory (in `/dev/shm` when there is one, so an execution costs no disk
//! I/O) and read back from there. Inputs that hold several files use the
//! multi-file layout of [`split`].

pub mod files;
pub mod known;
pub mod rates;
pub mod replay;
pub mod scenarios;
pub mod tasks;
pub mod watchdog;

/// A fuzz target whose every input runs under the [`watchdog`]:
/// `orchsim_fuzz::target!(|data| check(data));`
#[macro_export]
macro_rules! target {
    (|$data:ident| $body:expr) => {
        ::libfuzzer_sys::fuzz_target!(|$data: &[u8]| $crate::watchdog::watch(|| $body));
    };
}
