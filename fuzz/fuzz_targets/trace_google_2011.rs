//! The `google-2011` batch-trace reader (see `orchsim_fuzz::tasks`).
#![no_main]

orchsim_fuzz::target!(|data| orchsim_fuzz::tasks::check(orchsim::trace::TaskFormat::Google2011, data));
