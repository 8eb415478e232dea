//! The `worldcup98-minute` request-rate reader (see `orchsim_fuzz::rates`).
#![no_main]

orchsim_fuzz::target!(|data| orchsim_fuzz::rates::check(orchsim::trace::RateFormat::Worldcup98Minute, data));
