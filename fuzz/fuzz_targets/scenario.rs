//! Scenario files: parse and validate (`orchsim validate`).
#![no_main]

orchsim_fuzz::target!(|data| {
    orchsim_fuzz::scenarios::parse(data);
});
