//! Experiment files (`orchsim sweep` up to the first run).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| orchsim_fuzz::scenarios::experiment(data));
