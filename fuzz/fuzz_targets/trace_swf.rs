//! The `swf` batch-trace reader (see `orchsim_fuzz::tasks`).
#![no_main]

orchsim_fuzz::target!(|data| {
    if !orchsim_fuzz::known::swf_huge_max_nodes(data) {
        orchsim_fuzz::tasks::check(orchsim::trace::TaskFormat::Swf, data)
    }
});
