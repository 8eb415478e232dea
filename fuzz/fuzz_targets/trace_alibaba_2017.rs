//! The `alibaba-2017` batch-trace reader (see `orchsim_fuzz::tasks`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| orchsim_fuzz::tasks::check(orchsim::trace::TaskFormat::Alibaba2017, data));
