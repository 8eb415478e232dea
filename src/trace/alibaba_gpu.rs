//! Alibaba's GPU cluster trace v2023 (`clusterdata/cluster-trace-gpu-v2023`,
//! the "openb" trace of Weng et al., *Beware of Fragmentation*, ATC '23):
//! pods of a GPU-sharing Kubernetes cluster and its nodes.
//!
//! # Schema
//! Pods (`openb_pod_list_default.csv`, [`TraceInputs::tasks`](super::TraceInputs::tasks)), one row each:
//! `name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time`
//! * `cpu_milli`: thousandths of a core; `memory_mib`: MiB;
//! * `num_gpu`: GPUs; `gpu_milli`: thousandths of each (1000 whole; a shared
//!   GPU is `num_gpu` 1 with less; CPU-only pods have 0 and 0);
//! * `gpu_spec`: GPU models the pod may run on, `|`-separated, empty for any;
//! * `qos`: `LS` (latency-sensitive), `BE` (best-effort), or the Kubernetes
//!   classes `Burstable` and `Guaranteed`;
//! * `pod_phase`: `Pending`, `Running`, `Succeeded`, `Failed` (Kubernetes' phases; `Unknown` too);
//! * `creation_time`, `scheduled_time`, `deletion_time`: **seconds** from the
//!   start of the trace; `scheduled_time` is empty for pods never scheduled.
//!
//! Nodes (`openb_node_list_all_node.csv`, [`TraceInputs::machines`](super::TraceInputs::machines)):
//! `sn,cpu_milli,memory_mib,gpu,model` (`gpu`: GPUs; `model`: their model,
//! empty on CPU nodes).
//!
//! Columns are found by name; other columns are ignored. A bad number, an
//! unknown QoS or phase, a GPU share over 1000 or of 0 on a GPU pod, a
//! scheduling before the creation or a deletion before the scheduling is a
//! bad row.
//!
//! # How each [`TraceTask`] field is derived (one task per pod)
//! * `job` = the pod's row number in the file, from 0 (`openb-pod-0000` is
//!   job 0: the published names number the rows); `task` = 0; `instances` = 1.
//! * `submit_us` = creation time: the replay's scheduler decides when it runs.
//! * `cpu` = `cpu_milli` / 1000 cores; `memory` = `memory_mib` × 2²⁰ bytes (absolute units).
//! * `gpu` = `GpuRequest { count: num_gpu, milli: gpu_milli }`, and
//!   [`GpuRequest::NONE`] whenever `num_gpu` is 0 (the file gives those
//!   `gpu_milli` 0 too; `num_gpu` decides).
//! * `duration_us`: deletion − scheduling for a scheduled pod. A pod never
//!   scheduled (897 `Pending` ones) gets deletion − creation, its whole life:
//!   a replay that places it deletes it when the trace did, however long it
//!   waited. A pod never deleted (none in the published file) gets `None`,
//!   still running at the end.
//! * `outcome` from the phase the pod had when deleted: `Succeeded` →
//!   finished, `Failed` → failed, `Running` or `Pending` → killed (deleted by
//!   its owner: how a service's pod ends), or running when never deleted,
//!   `Unknown` → unknown.
//! * `class` and `priority` from `qos` (the trace has no priority of its own,
//!   so `priority` holds a pod priority directly, placed in the bands of
//!   `policy::scheduler::borg`):
//!
//!   | qos | class | priority | why |
//!   |---|---|---|---|
//!   | `BE` | 0 | −1 | best-effort band: Alibaba's BE pods run on reclaimed resources and are the first victims |
//!   | `Burstable` | 1 | 0 | batch band: pods with no Alibaba class get Kubernetes' default priority |
//!   | `Guaranteed` | 2 | 0 | the same: Kubernetes' QoS orders eviction, not scheduling |
//!   | `LS` | 3 | 1000 | production band: online services, which preempt the others but not each other |
//!
//!   `class` orders the classes like Google's scheduling classes (higher is
//!   more latency-sensitive).
//! * `depends_on` is empty: pods are independent.
//!
//! # Machines
//! One per node: `id` = row number from 0, `cpu` = `cpu_milli` / 1000 cores,
//! `memory` = `memory_mib` × 2²⁰ bytes, `gpus` and `gpu_model` (empty when
//! the node has no GPU), present for the whole trace.
//!
//! # Dropped
//! Pod and node names (the row numbers stand for them) and `gpu_spec`:
//! [`TraceTask`] has no field for a GPU model constraint. In the published
//! default pod list every `gpu_spec` is empty, so nothing is lost there.

use std::path::Path;

use csv::StringRecord;

use super::rows::{bad, line_of, parse_non_negative, Header};
use super::tasks::{
    collect, parse_int, read_records, secs_to_us, GpuRequest, Outcome, ReadSummary, TaskSink, TaskTrace, TaskUnits, TraceMachine, TraceTask,
};
use super::TraceError;

/// The pod list's columns this reader uses.
const POD_COLUMNS: [&str; 9] =
    ["cpu_milli", "memory_mib", "num_gpu", "gpu_milli", "qos", "pod_phase", "creation_time", "deletion_time", "scheduled_time"];
const CPU: usize = 0;
const MEMORY: usize = 1;
const NUM_GPU: usize = 2;
const GPU_MILLI: usize = 3;
const QOS: usize = 4;
const PHASE: usize = 5;
const CREATED: usize = 6;
const DELETED: usize = 7;
const SCHEDULED: usize = 8;

/// The node list's columns this reader uses.
const NODE_COLUMNS: [&str; 4] = ["cpu_milli", "memory_mib", "gpu", "model"];
const NODE_CPU: usize = 0;
const NODE_MEMORY: usize = 1;
const NODE_GPUS: usize = 2;
const NODE_MODEL: usize = 3;

/// Bytes per MiB.
const MIB: f64 = (1u64 << 20) as f64;

/// Pod priority of `BE` pods (best-effort band).
pub const PRIORITY_BE: i32 = -1;
/// Pod priority of `Burstable` and `Guaranteed` pods (Kubernetes' default, batch band).
pub const PRIORITY_DEFAULT: i32 = 0;
/// Pod priority of `LS` pods (production band).
pub const PRIORITY_LS: i32 = 1000;

/// Reads the pod list (and the node list, if given) of GPU-v2023 (module docs).
pub fn read_gpu_2023(pods: &Path, nodes: Option<&Path>, skip_bad_rows: bool) -> Result<TaskTrace, TraceError> {
    collect(|sink| stream_gpu_2023(pods, nodes, skip_bad_rows, sink))
}

/// Streams the pod list into `sink`, a task a row, then the node list.
pub(crate) fn stream_gpu_2023(
    pods: &Path,
    nodes: Option<&Path>,
    skip_bad_rows: bool,
    sink: &mut dyn TaskSink,
) -> Result<ReadSummary, TraceError> {
    let mut summary = ReadSummary::new(TaskUnits::default(), skip_bad_rows);
    read_records(pods, &POD_COLUMNS, &mut summary, |task| sink.task(task), pod)?;
    if let Some(nodes) = nodes {
        read_records(nodes, &NODE_COLUMNS, &mut summary, |machine| sink.machine(machine), node)?;
    }
    Ok(summary)
}

fn pod(path: &Path, header: &Header, row: &StringRecord, number: u64) -> Result<TraceTask, TraceError> {
    let line = line_of(row);
    let field = |i: usize| &row[header.columns[i]];
    let at = |i: usize| move |message: String| bad(path, line, header.name(i), message);
    let time = |i: usize| -> Result<Option<u64>, TraceError> {
        match field(i) {
            "" => Ok(None),
            text => non_negative(text, "time").and_then(secs_to_us).map(Some).map_err(at(i)),
        }
    };
    let created = time(CREATED)?.ok_or_else(|| at(CREATED)("empty: every pod has a creation time".into()))?;
    let scheduled = time(SCHEDULED)?;
    let deleted = time(DELETED)?;
    if let Some(s) = scheduled.filter(|&s| s < created) {
        return Err(at(SCHEDULED)(format!("scheduled at {} s, before its creation at {} s", secs(s), secs(created))));
    }
    let started = scheduled.unwrap_or(created);
    if let Some(d) = deleted.filter(|&d| d < started) {
        return Err(at(DELETED)(format!("deleted at {} s, before it was scheduled or created at {} s", secs(d), secs(started))));
    }
    let (class, priority) = qos(field(QOS)).map_err(at(QOS))?;
    Ok(TraceTask {
        submit_us: created,
        job: number,
        task: 0,
        instances: 1,
        duration_us: deleted.map(|d| d - started),
        cpu: non_negative(field(CPU), "cpu").map_err(at(CPU))? / 1000.0,
        memory: non_negative(field(MEMORY), "memory").map_err(at(MEMORY))? * MIB,
        gpu: gpu(path, line, header, row)?,
        priority,
        class,
        outcome: outcome(field(PHASE), deleted.is_some()).map_err(at(PHASE))?,
        depends_on: Vec::new(),
    })
}

/// [`parse_non_negative`], with a fast path for the whole numbers the trace holds.
fn non_negative(text: &str, what: &str) -> Result<f64, String> {
    text.parse::<u64>().map(|n| n as f64).or_else(|_| parse_non_negative(text, what))
}

fn secs(us: u64) -> f64 {
    us as f64 / 1e6
}

/// The pod's GPUs, [`GpuRequest::NONE`] when it has none.
fn gpu(path: &Path, line: u64, header: &Header, row: &StringRecord) -> Result<GpuRequest, TraceError> {
    let at = |i: usize| move |message: String| bad(path, line, header.name(i), message);
    let count: u32 = parse_int(&row[header.columns[NUM_GPU]], "a number of GPUs").map_err(at(NUM_GPU))?;
    let milli: u32 = parse_int(&row[header.columns[GPU_MILLI]], "a GPU share in thousandths").map_err(at(GPU_MILLI))?;
    match (count, milli) {
        (0, _) => Ok(GpuRequest::NONE),
        (_, 0) => Err(at(GPU_MILLI)(format!("a share of 0 for {count} GPU(s)"))),
        (_, 1001..) => Err(at(GPU_MILLI)(format!("share {milli} is over 1000 (a whole GPU)"))),
        _ => Ok(GpuRequest { count, milli }),
    }
}

/// `(class, pod priority)` of a QoS (module docs).
fn qos(text: &str) -> Result<(u8, i32), String> {
    match text {
        "BE" => Ok((0, PRIORITY_BE)),
        "Burstable" => Ok((1, PRIORITY_DEFAULT)),
        "Guaranteed" => Ok((2, PRIORITY_DEFAULT)),
        "LS" => Ok((3, PRIORITY_LS)),
        _ => Err(format!("unknown QoS `{text}` (expected LS, BE, Burstable or Guaranteed)")),
    }
}

/// The outcome of a pod whose last phase was `phase`.
fn outcome(phase: &str, deleted: bool) -> Result<Outcome, String> {
    match phase {
        "Succeeded" => Ok(Outcome::Finished),
        "Failed" => Ok(Outcome::Failed),
        "Running" | "Pending" if deleted => Ok(Outcome::Killed),
        "Running" | "Pending" => Ok(Outcome::Running),
        "Unknown" => Ok(Outcome::Unknown),
        _ => Err(format!("unknown phase `{phase}` (expected Pending, Running, Succeeded, Failed or Unknown)")),
    }
}

fn node(path: &Path, header: &Header, row: &StringRecord, number: u64) -> Result<TraceMachine, TraceError> {
    let line = line_of(row);
    let field = |i: usize| &row[header.columns[i]];
    let at = |i: usize| move |message: String| bad(path, line, header.name(i), message);
    let gpus: u32 = parse_int(field(NODE_GPUS), "a number of GPUs").map_err(at(NODE_GPUS))?;
    Ok(TraceMachine {
        id: number,
        cpu: non_negative(field(NODE_CPU), "cpu").map_err(at(NODE_CPU))? / 1000.0,
        memory: non_negative(field(NODE_MEMORY), "memory").map_err(at(NODE_MEMORY))? * MIB,
        gpus,
        gpu_model: if gpus == 0 { String::new() } else { field(NODE_MODEL).to_string() },
        added_us: 0,
        removed_us: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::test_files::{fixture, write};
    use crate::trace::testing::needed;

    /// (pods, GPU pods, shared-GPU pods, CPU-only pods, machines, GPU machines, GPUs).
    fn gpu_counts(trace: &TaskTrace) -> [usize; 7] {
        let pods = |keep: fn(&TraceTask) -> bool| trace.tasks.iter().filter(|t| keep(t)).count();
        [
            trace.tasks.len(),
            pods(|t| t.gpu.count > 0),
            pods(|t| t.gpu.count > 0 && t.gpu.milli < 1000),
            pods(|t| t.gpu == GpuRequest::NONE),
            trace.machines.len(),
            trace.machines.iter().filter(|m| m.gpus > 0).count(),
            trace.machines.iter().map(|m| m.gpus as usize).sum(),
        ]
    }

    const PODS: &str = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n";
    const NODES: &str = "sn,cpu_milli,memory_mib,gpu,model\n";

    #[test]
    fn pods_and_nodes_are_read_with_gpu_shares_priorities_and_lifetimes() {
        let dir = tempfile::tempdir().unwrap();
        let pods = write(
            dir.path(),
            "pods.csv",
            &format!(
                "{PODS}p0,12000,16384,1,1000,,LS,Running,10,110,20\n\
                 p1,6000,12288,1,460,V100M16|V100M32,BE,Failed,5,50,5\n\
                 p2,88000,1024,0,0,,Burstable,Pending,30,40,\n\
                 p3,500,512,8,1000,,Guaranteed,Succeeded,30,,31\n"
            ),
        );
        let nodes = write(dir.path(), "nodes.csv", &format!("{NODES}n0,32000,262144,0,G2\nn1,96000,393216,8,V100M16\n"));
        let trace = read_gpu_2023(&pods, Some(&nodes), false).unwrap();
        assert_eq!(trace.rows, 6);
        let [p1, p0, p2, p3] = &trace.tasks[..] else { panic!("{:?}", trace.tasks) };
        assert_eq!((p0.job, p0.submit_us, p0.duration_us, p0.outcome), (0, 10_000_000, Some(90_000_000), Outcome::Killed));
        assert_eq!((p0.cpu, p0.memory, p0.gpu, p0.class, p0.priority), (12.0, 16384.0 * MIB, GpuRequest::whole(1), 3, PRIORITY_LS));
        assert_eq!(
            (p1.job, p1.gpu, p1.class, p1.priority, p1.outcome),
            (1, GpuRequest { count: 1, milli: 460 }, 0, PRIORITY_BE, Outcome::Failed)
        );
        // Never scheduled: its whole life, from creation to deletion.
        assert_eq!((p2.gpu, p2.duration_us, p2.outcome, p2.priority), (GpuRequest::NONE, Some(10_000_000), Outcome::Killed, 0));
        // Never deleted: still running at the end.
        assert_eq!((p3.gpu, p3.duration_us, p3.class, p3.outcome), (GpuRequest::whole(8), None, 2, Outcome::Finished));
        let [n0, n1] = &trace.machines[..] else { panic!("{:?}", trace.machines) };
        assert_eq!((n0.id, n0.cpu, n0.gpus, n0.gpu_model.as_str()), (0, 32.0, 0, ""), "no model without GPUs");
        assert_eq!((n1.id, n1.memory, n1.gpus, n1.gpu_model.as_str()), (1, 393216.0 * MIB, 8, "V100M16"));
        assert_eq!(gpu_counts(&trace), [4, 3, 1, 1, 2, 1, 8]);
    }

    #[test]
    fn the_fixture_pods_and_nodes_have_their_shares_classes_and_lifetimes() {
        let inputs = super::super::TraceInputs {
            tasks: fixture("alibaba-gpu-v2023/openb_pod_list_default.csv"),
            machines: Some(fixture("alibaba-gpu-v2023/openb_node_list_all_node.csv")),
            ..Default::default()
        };
        let trace = super::super::TaskFormat::AlibabaGpu2023.read(&inputs, false).unwrap();
        assert_eq!(gpu_counts(&trace), [5, 4, 2, 1, 3, 2, 10]);
        assert_eq!((trace.rows, trace.bad_rows.count, trace.jobs()), (5 + 3, 0, 5));
        let summary: Vec<_> =
            trace.tasks.iter().map(|t| (t.job, t.submit_us, t.duration_us, t.gpu, t.class, t.priority, t.outcome)).collect();
        assert_eq!(
            summary,
            [
                (0, 0, Some(12_537_496_000_000), GpuRequest::whole(1), 3, PRIORITY_LS, Outcome::Killed),
                (1, 427_061_000_000, Some(12_475_899_000_000), GpuRequest { count: 1, milli: 460 }, 3, PRIORITY_LS, Outcome::Killed),
                (2, 9_437_497_000_000, Some(1_332_357_000_000), GpuRequest::NONE, 0, PRIORITY_BE, Outcome::Failed),
                // Scheduled 70 s after its creation: it runs from then to its deletion.
                (3, 9_686_130_000_000, Some(162_010_000_000), GpuRequest::whole(8), 1, PRIORITY_DEFAULT, Outcome::Finished),
                // Never scheduled: its whole life.
                (4, 10_000_000_000_000, Some(600_000_000), GpuRequest { count: 1, milli: 250 }, 2, PRIORITY_DEFAULT, Outcome::Killed),
            ]
        );
        assert_eq!((trace.tasks[2].cpu, trace.tasks[2].memory), (88.0, 327_680.0 * MIB));
        let nodes: Vec<_> = trace.machines.iter().map(|m| (m.id, m.cpu, m.memory, m.gpus, m.gpu_model.as_str())).collect();
        assert_eq!(
            nodes,
            [(0, 32.0, 262_144.0 * MIB, 0, ""), (1, 96.0, 786_432.0 * MIB, 8, "V100M16"), (2, 64.0, 262_144.0 * MIB, 2, "P100")]
        );
    }

    #[test]
    fn bad_rows_fail_with_the_line_and_column_or_are_counted_when_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let good = "ok,1000,1024,1,1000,,LS,Running,0,10,0";
        let cases = [
            ("p,1000,1024,1,1000,,LS,Running,0,10", "scheduled_time"),
            ("p,1000,1024,1,1000,,LS,Running,0,10,0,9", "field 12"),
            ("p,lots,1024,1,1000,,LS,Running,0,10,0", "cpu_milli"),
            ("p,1000,-5,1,1000,,LS,Running,0,10,0", "memory_mib"),
            ("p,1000,1024,1,1500,,LS,Running,0,10,0", "gpu_milli"),
            ("p,1000,1024,2,0,,LS,Running,0,10,0", "gpu_milli"),
            ("p,1000,1024,-1,1000,,LS,Running,0,10,0", "num_gpu"),
            ("p,1000,1024,1,1000,,Gold,Running,0,10,0", "qos"),
            ("p,1000,1024,1,1000,,LS,Done,0,10,0", "pod_phase"),
            ("p,1000,1024,1,1000,,LS,Running,,10,0", "creation_time"),
            ("p,1000,1024,1,1000,,LS,Running,5,10,3", "scheduled_time"),
            ("p,1000,1024,1,1000,,LS,Running,0,10,20", "deletion_time"),
        ];
        for (k, (row, column)) in cases.into_iter().enumerate() {
            let path = write(dir.path(), &format!("bad{k}.csv"), &format!("{PODS}{good}\n{row}\n"));
            let err = read_gpu_2023(&path, None, false).unwrap_err();
            assert!(matches!(&err, TraceError::Bad { line: 3, column: c, .. } if c == column), "case {k}: {err}");
            let skipped = read_gpu_2023(&path, None, true).unwrap();
            assert_eq!((skipped.tasks.len(), skipped.bad_rows.count), (1, 1), "case {k}");
            assert!(skipped.bad_rows.examples[0].contains(column), "case {k}: {:?}", skipped.bad_rows.examples);
        }
        let nodes = write(dir.path(), "nodes.csv", &format!("{NODES}n0,32000,262144,two,G2\n"));
        let err = read_gpu_2023(&write(dir.path(), "p.csv", &format!("{PODS}{good}\n")), Some(&nodes), false).unwrap_err();
        assert!(matches!(&err, TraceError::Bad { line: 2, column, .. } if column == "gpu"), "{err}");
    }

    #[test]
    fn the_published_trace_has_its_readme_counts() {
        let Some(dir) = needed("alibaba-gpu-v2023") else { return };
        let inputs = super::super::TraceInputs {
            tasks: dir.join("openb_pod_list_default.csv"),
            machines: Some(dir.join("openb_node_list_all_node.csv")),
            ..Default::default()
        };
        let trace = super::super::TaskFormat::AlibabaGpu2023.read(&inputs, false).unwrap();
        // Pods, GPU pods, shared-GPU pods, CPU-only pods; nodes, GPU nodes, GPUs.
        assert_eq!(gpu_counts(&trace), [8_152, 7_064, 3_078, 1_088, 1_523, 1_213, 6_212]);
        assert_eq!((trace.rows, trace.bad_rows.count, trace.jobs()), (8_152 + 1_523, 0, 8_152));
        let classes: Vec<usize> = (0..4).map(|c| trace.tasks.iter().filter(|t| t.class == c).count()).collect();
        assert_eq!(classes, [3_398, 100, 7, 4_647], "BE, Burstable, Guaranteed, LS");
        let outcomes: Vec<usize> = Outcome::ALL.iter().map(|&o| trace.tasks.iter().filter(|t| t.outcome == o).count()).collect();
        // Running (5,193) and Pending (897) pods were all deleted: killed.
        assert_eq!(outcomes, [192, 1_870, 5_193 + 897, 0, 0, 0], "{:?}", Outcome::ALL);
        // The dropped model constraints: none in this file (the module docs say so).
        let mut pods = csv::Reader::from_path(&inputs.tasks).unwrap();
        let spec = pods.headers().unwrap().iter().position(|h| h == "gpu_spec").unwrap();
        assert_eq!(pods.records().filter(|r| !r.as_ref().unwrap()[spec].is_empty()).count(), 0, "pods with a gpu_spec");
        // openb-pod-0000: 12 cores, 16 GiB, one whole GPU, LS, created at 0, deleted at 12,537,496 s.
        let first = &trace.tasks[0];
        assert_eq!((first.job, first.cpu, first.memory, first.gpu), (0, 12.0, 16.0 * 1024.0 * MIB, GpuRequest::whole(1)));
        assert_eq!((first.priority, first.duration_us), (PRIORITY_LS, Some(12_537_496_000_000)));
    }
}
