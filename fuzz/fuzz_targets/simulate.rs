//! Scenario files that validate, run for a bounded number of events.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| orchsim_fuzz::scenarios::simulate(data));
