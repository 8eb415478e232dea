//! Scenario files: parse and validate (`orchsim validate`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    orchsim_fuzz::scenarios::parse(data);
});
