//! Reading a batch trace by its format: the dispatch from [`TaskFormat`] to
//! each format's reader.
//!
//! It lives apart from the task table (`tasks`) on purpose: every reader
//! builds on the table's types, so the table must not name the readers, or the
//! two would import each other. Only this module knows them all.

use super::tasks::{collect, stream_native, ReadSummary, TaskFormat, TaskSink, TaskTrace, TraceInputs};
use super::{alibaba, alibaba_2018, alibaba_gpu, google_2011, swf, TraceError};

impl TaskFormat {
    /// Reads the whole trace in this format into memory, sorted.
    pub fn read(self, inputs: &TraceInputs, skip_bad_rows: bool) -> Result<TaskTrace, TraceError> {
        collect(|sink| self.read_into(inputs, skip_bad_rows, sink))
    }

    /// Streams the trace in this format into `sink` (see [`TaskSink`]).
    /// Errors, and the rows skipped with `skip_bad_rows`, are those of
    /// [`read`](Self::read) whatever the sink keeps: every row is read and checked.
    pub fn read_into(self, inputs: &TraceInputs, skip_bad_rows: bool, sink: &mut dyn TaskSink) -> Result<ReadSummary, TraceError> {
        let machines = inputs.machines.as_deref();
        match self {
            TaskFormat::Native => stream_native(&inputs.tasks, machines, skip_bad_rows, sink),
            TaskFormat::Google2011 => google_2011::stream(inputs, skip_bad_rows, sink),
            TaskFormat::Alibaba2017 => alibaba::stream_v2017(&inputs.tasks, skip_bad_rows, sink),
            TaskFormat::Cloudsimpy => alibaba::stream_cloudsimpy(&inputs.tasks, skip_bad_rows, sink),
            TaskFormat::Alibaba2018 => alibaba_2018::stream_v2018(inputs, skip_bad_rows, sink),
            TaskFormat::Swf => swf::stream_swf(&inputs.tasks, skip_bad_rows, sink).map(|(summary, _)| summary),
            TaskFormat::AlibabaGpu2023 => alibaba_gpu::stream_gpu_2023(&inputs.tasks, machines, skip_bad_rows, sink),
        }
    }

    /// The pod priority of a task with the trace's priority `p`: the trace's
    /// own scale mapped so that Kubernetes preemption and Borg's bands (see
    /// `policy::scheduler::borg`) order tasks as the trace's system did.
    pub fn pod_priority(self, p: i32) -> i32 {
        match self {
            // SWF has no priorities (all 0); GPU-v2023's are already pod priorities (see its module).
            TaskFormat::Native | TaskFormat::Swf | TaskFormat::AlibabaGpu2023 => p,
            TaskFormat::Alibaba2017 | TaskFormat::Cloudsimpy | TaskFormat::Alibaba2018 => alibaba::pod_priority(p),
            TaskFormat::Google2011 => google_2011::pod_priority(p),
        }
    }
}
