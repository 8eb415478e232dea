//! The `worldcup98-minute` request-rate reader (see `orchsim_fuzz::rates`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| orchsim_fuzz::rates::check(orchsim::trace::RateFormat::Worldcup98Minute, data));
