//! Scenario files that validate, run for a bounded number of events.
#![no_main]

orchsim_fuzz::target!(|data| orchsim_fuzz::scenarios::simulate(data));
