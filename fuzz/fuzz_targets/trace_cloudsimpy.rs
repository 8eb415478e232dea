//! The `cloudsimpy` batch-trace reader (see `orchsim_fuzz::tasks`).
#![no_main]

orchsim_fuzz::target!(|data| orchsim_fuzz::tasks::check(orchsim::trace::TaskFormat::Cloudsimpy, data));
