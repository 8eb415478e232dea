//! The `azure-llm` request-rate reader (see `orchsim_fuzz::rates`).
#![no_main]

orchsim_fuzz::target!(|data| orchsim_fuzz::rates::check(orchsim::trace::RateFormat::AzureLlm, data));
