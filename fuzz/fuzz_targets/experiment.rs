//! Experiment files (`orchsim sweep` up to the first run).
#![no_main]

orchsim_fuzz::target!(|data| orchsim_fuzz::scenarios::experiment(data));
