//! The `alibaba-gpu-2023` batch-trace reader (see `orchsim_fuzz::tasks`).
#![no_main]

orchsim_fuzz::target!(|data| orchsim_fuzz::tasks::check(orchsim::trace::TaskFormat::AlibabaGpu2023, data));
