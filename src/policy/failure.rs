//! Failures and how each orchestrator reacts to them.
//!
//! A scenario's `[failures]` section describes what goes wrong (the *models*:
//! node failures with time-to-failure and time-to-repair distributions, zone
//! or label outages, scripted events, container crashes, spot reclaims); the
//! *reaction profile* says what the control plane does about it. The profile
//! follows the scheduler's family unless the scenario names one
//! (semantics.md §5–§8):
//!
//! | family | node declared lost after | pods of a lost node | crashed container |
//! |---|---|---|---|
//! | `kubernetes` | node-monitor-grace-period, 50 s | evicted after the NoExecute toleration (300 s, or the pod's own `toleration_seconds`); Services' pods recreated, Job pods retried after 10 s·2ⁿ (≤ 6 min), at most `backoffLimit` = 6 times | restarted in place after CrashLoopBackOff: 0, 10, 20, 40 … 300 s, reset after 10 min |
//! | `swarm` | heartbeat 5 s × 3 = 15 s | rescheduled as new tasks after the restart delay | new task after the restart delay, 5 s, unlimited attempts |
//! | `mesos` | agent ping timeout 15 s × 5 = 75 s | TASK_LOST: the framework relaunches them | relaunched with Marathon's backoff, 1 s × 1.15ⁿ, capped at 1 h |
//! | `borg` | several missed Borglet polls (20 s, an assumption) | re-queued at once at their priority | re-queued at once at its priority |
//!
//! The functions here are pure; `simulation::failures` applies them.

use crate::model::image::ImageId;
use crate::model::taint::{Taint, TaintEffect, Toleration};
use crate::policy::PolicyInfo;
use crate::scenario::dist::Dist;
use crate::time::{SimDuration, SimTime};

/// Which real system's failure handling a run follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// kubelet, node lifecycle controller, taint manager, ReplicaSet and Job controllers.
    Kubernetes,
    /// SwarmKit's dispatcher and orchestrator restart supervisor.
    Swarm,
    /// The Mesos master's agent health checks and a framework (Marathon) relaunching tasks.
    Mesos,
    /// The Borgmaster polling Borglets and re-queueing lost tasks.
    Borg,
}

impl Family {
    /// Every family (`[failures] profile`); its reaction defaults are [`Reactions::of`] it.
    pub fn catalogue() -> Vec<PolicyInfo<Family>> {
        vec![
            PolicyInfo {
                name: "kubernetes",
                summary: "A lost node is NotReady after node-monitor-grace-period; its pods are evicted after \
                          their NoExecute toleration; services' pods are recreated, Job pods retried after \
                          10 s·2ⁿ (≤ 6 min) up to backoffLimit; crashed containers restart in place with \
                          CrashLoopBackOff (0, 10, 20 … 300 s, reset after 10 min). The profile of kubernetes, \
                          the classic policies and plug-ins.",
                default: Family::Kubernetes,
            },
            PolicyInfo {
                name: "swarm",
                summary: "SwarmKit: a node is down after 3 missed 5 s heartbeats; its tasks and crashed tasks are \
                          replaced by new tasks that are scheduled again after the restart delay, without limit. \
                          The profile of the swarm-* policies and swarmkit.",
                default: Family::Swarm,
            },
            PolicyInfo {
                name: "mesos",
                summary: "Mesos with a Marathon-like framework: an agent is lost after 5 missed 15 s pings; lost \
                          and crashed tasks are relaunched with Marathon's backoff, 1 s × 1.15ⁿ capped at 1 h. \
                          The profile of mesos-drf.",
                default: Family::Mesos,
            },
            PolicyInfo {
                name: "borg",
                summary: "The Borgmaster: a machine is down after several missed Borglet polls (20 s, an \
                          assumption); its tasks and crashed tasks are re-queued at once at their priority. \
                          The profile of borg.",
                default: Family::Borg,
            },
        ]
    }

    /// The family a scheduler policy belongs to: the Swarm and Mesos emulations
    /// run under their own control planes, Borg under the Borgmaster, and every
    /// other policy (kube-scheduler, the classics, plug-ins) under Kubernetes'.
    pub fn of_scheduler(policy: &str) -> Family {
        match policy {
            "swarm-spread" | "swarm-binpack" | "swarm-random" | "swarmkit" => Family::Swarm,
            "mesos-drf" => Family::Mesos,
            "borg" => Family::Borg,
            _ => Family::Kubernetes,
        }
    }

    /// The scenario name.
    pub fn name(self) -> &'static str {
        match self {
            Family::Kubernetes => "kubernetes",
            Family::Swarm => "swarm",
            Family::Mesos => "mesos",
            Family::Borg => "borg",
        }
    }
}

/// A retry delay that grows geometrically: `initial · factorⁿ` capped at `max`
/// for the n-th retry (n from 0), or 0 for the first retry when `immediate`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    /// The first retry goes at once (kubelet restarts a crashed container
    /// immediately the first time); the delays then start at `initial`.
    pub immediate: bool,
    /// First non-zero delay.
    pub initial: SimDuration,
    /// Growth per retry.
    pub factor: f64,
    /// Cap.
    pub max: SimDuration,
    /// The count starts again after this long without a failure
    /// (client-go's `hasExpired`: 2 × max since the last backoff).
    pub reset_after: Option<SimDuration>,
}

impl Backoff {
    /// kubelet's CrashLoopBackOff: 0, 10, 20, 40 … capped at 300 s
    /// (`MaxContainerBackOff`), reset after 2 × 300 s = 10 min without a crash.
    pub const CRASH_LOOP: Backoff = Backoff {
        immediate: true,
        initial: SimDuration::from_secs(10),
        factor: 2.0,
        max: SimDuration::from_secs(300),
        reset_after: Some(SimDuration::from_secs(600)),
    };
    /// The Job controller's delay before replacing a failed pod: 10 s, 20 s,
    /// 40 s …, capped at six minutes.
    pub const JOB_POD_FAILURE: Backoff =
        Backoff { immediate: false, initial: SimDuration::from_secs(10), factor: 2.0, max: SimDuration::from_secs(360), reset_after: None };
    /// SwarmKit's restart policy: a fixed 5 s delay before the new task.
    pub const SWARM_RESTART: Backoff =
        Backoff { immediate: false, initial: SimDuration::from_secs(5), factor: 1.0, max: SimDuration::from_secs(5), reset_after: None };
    /// Marathon's launch backoff: 1 s × 1.15 per failure, capped at 1 h
    /// (`backoffSeconds`, `backoffFactor`, `maxLaunchDelaySeconds`).
    pub const MARATHON_LAUNCH: Backoff = Backoff {
        immediate: false,
        initial: SimDuration::from_secs(1),
        factor: 1.15,
        max: SimDuration::from_secs(3600),
        reset_after: None,
    };
    /// No delay at all (Borg re-queues lost and failed tasks at once).
    pub const NONE: Backoff =
        Backoff { immediate: true, initial: SimDuration::ZERO, factor: 1.0, max: SimDuration::ZERO, reset_after: None };

    /// The delay before retry number `n` (0 for the first retry).
    pub fn delay(&self, n: u32) -> SimDuration {
        let step = if self.immediate {
            match n.checked_sub(1) {
                None => return SimDuration::ZERO,
                Some(s) => s,
            }
        } else {
            n
        };
        // `powf`, not `powi`: libm's pow gives one answer, while `powi` may be
        // expanded into multiplications where the compiler sees the exponent,
        // rounding differently between debug and release builds.
        let secs = self.initial.as_secs_f64() * self.factor.powf(f64::from(step.min(1 << 16)));
        SimDuration::from_secs_f64(secs).map_or(self.max, |d| d.min(self.max))
    }
}

/// A pod's consecutive failures, for its backoff.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetryCount {
    /// Retries so far in the current run of failures.
    pub retries: u32,
    /// When the last failure was seen.
    pub last_failure: Option<SimTime>,
}

impl RetryCount {
    /// Records a failure at `now` and returns the delay before the retry under
    /// `backoff`, starting the count again when the last failure is older than
    /// its reset time.
    pub fn next_delay(&mut self, backoff: &Backoff, now: SimTime) -> SimDuration {
        if let (Some(last), Some(reset)) = (self.last_failure, backoff.reset_after) {
            if now.saturating_since(last) > reset {
                self.retries = 0;
            }
        }
        let delay = backoff.delay(self.retries);
        self.retries = self.retries.saturating_add(1);
        self.last_failure = Some(now);
        delay
    }
}

/// What the control plane does with a crashed container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartMode {
    /// The node agent restarts it where it is (kubelet, `restartPolicy:
    /// Always` for Services, `OnFailure` for Jobs).
    InPlace,
    /// The task is replaced by a new one that goes through scheduling again
    /// (Swarm, Mesos frameworks, Borg).
    Reschedule,
}

/// The failure-reaction profile of a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reactions {
    /// The family the defaults came from.
    pub family: Family,
    /// From a node going silent to the control plane declaring it lost
    /// (Kubernetes: NotReady after `node-monitor-grace-period`).
    pub detection: SimDuration,
    /// From that declaration to evicting the node's pods, for pods without a
    /// toleration of their own (Kubernetes' `DefaultTolerationSeconds`; zero
    /// elsewhere).
    pub eviction_timeout: SimDuration,
    /// What happens to a crashed container.
    pub restart: RestartMode,
    /// Delays between restarts of a crashed container, or before a lost
    /// task's replacement under [`RestartMode::Reschedule`].
    pub restart_backoff: Backoff,
    /// Delay before a lost batch pod's replacement (Kubernetes' Job
    /// controller; the restart backoff elsewhere).
    pub batch_backoff: Backoff,
    /// Failures a batch job survives before it is failed (Job `backoffLimit`);
    /// `None` retries for ever.
    pub batch_retry_limit: Option<u32>,
    /// How long a spot node runs after its reclaim notice.
    pub spot_notice: SimDuration,
}

/// kube-controller-manager's `--node-monitor-grace-period` (50 s from v1.32).
pub const NODE_MONITOR_GRACE_PERIOD: SimDuration = SimDuration::from_secs(50);
/// The `DefaultTolerationSeconds` admission plugin's not-ready/unreachable toleration.
pub const DEFAULT_TOLERATION_SECONDS: u64 = 300;
/// Job `backoffLimit` default.
pub const DEFAULT_BACKOFF_LIMIT: u32 = 6;
/// SwarmKit's dispatcher: heartbeat period 5 s × grace multiplier 3 (the up
/// to 500 ms random epsilon is left out).
pub const SWARM_HEARTBEAT_TIMEOUT: SimDuration = SimDuration::from_secs(15);
/// The Mesos master's agent ping timeout, 15 s × 5 missed pings.
pub const MESOS_AGENT_PING_TIMEOUT: SimDuration = SimDuration::from_secs(75);
/// Borg: the paper gives no number ("several poll messages"); 4 polls of 5 s.
pub const BORG_DOWN_AFTER: SimDuration = SimDuration::from_secs(20);
/// How often `kubectl drain` retries evictions a disruption budget refused.
pub const DRAIN_RETRY_INTERVAL: SimDuration = SimDuration::from_secs(5);
/// AWS's spot interruption notice: two minutes.
pub const DEFAULT_SPOT_NOTICE: SimDuration = SimDuration::from_secs(120);

/// The taint the node lifecycle controller puts on a node it has lost contact with.
pub const UNREACHABLE_TAINT: &str = "node.kubernetes.io/unreachable";

impl Reactions {
    /// The published defaults of `family`.
    pub fn of(family: Family) -> Reactions {
        let (detection, eviction_timeout, restart, restart_backoff, batch_backoff, batch_retry_limit) = match family {
            Family::Kubernetes => (
                NODE_MONITOR_GRACE_PERIOD,
                SimDuration::from_secs(DEFAULT_TOLERATION_SECONDS),
                RestartMode::InPlace,
                Backoff::CRASH_LOOP,
                Backoff::JOB_POD_FAILURE,
                Some(DEFAULT_BACKOFF_LIMIT),
            ),
            Family::Swarm => {
                (SWARM_HEARTBEAT_TIMEOUT, SimDuration::ZERO, RestartMode::Reschedule, Backoff::SWARM_RESTART, Backoff::SWARM_RESTART, None)
            }
            Family::Mesos => (
                MESOS_AGENT_PING_TIMEOUT,
                SimDuration::ZERO,
                RestartMode::Reschedule,
                Backoff::MARATHON_LAUNCH,
                Backoff::MARATHON_LAUNCH,
                None,
            ),
            Family::Borg => (BORG_DOWN_AFTER, SimDuration::ZERO, RestartMode::Reschedule, Backoff::NONE, Backoff::NONE, None),
        };
        Reactions {
            family,
            detection,
            eviction_timeout,
            restart,
            restart_backoff,
            batch_backoff,
            batch_retry_limit,
            spot_notice: DEFAULT_SPOT_NOTICE,
        }
    }

    /// The profile for a run under scheduler `policy` with the scenario's overrides.
    pub fn resolve(policy: &str, overrides: &ReactionOverrides) -> Reactions {
        let mut r = Reactions::of(overrides.profile.unwrap_or_else(|| Family::of_scheduler(policy)));
        if let Some(d) = overrides.detection {
            r.detection = d;
        }
        if let Some(d) = overrides.eviction_timeout {
            r.eviction_timeout = d;
        }
        if let Some(d) = overrides.restart_delay {
            r.restart_backoff.initial = d;
            r.restart_backoff.max = r.restart_backoff.max.max(d);
        }
        if let Some(d) = overrides.max_restart_delay {
            r.restart_backoff.max = d;
            // client-go forgets a backoff after 2 × its maximum.
            if r.restart_backoff.reset_after.is_some() {
                r.restart_backoff.reset_after = Some(d + d);
            }
        }
        if let Some(limit) = overrides.backoff_limit {
            r.batch_retry_limit = limit;
        }
        if let Some(d) = overrides.spot_notice {
            r.spot_notice = d;
        }
        r
    }

    /// How long after its node is declared lost a pod is evicted: its own
    /// toleration of the unreachable NoExecute taint if it has one (`None`
    /// when it tolerates it for ever), else the default. Other families do
    /// not wait.
    pub fn eviction_delay(&self, tolerations: &[Toleration]) -> Option<SimDuration> {
        if self.family != Family::Kubernetes {
            return Some(self.eviction_timeout);
        }
        let taint = Taint { key: UNREACHABLE_TAINT.to_string(), value: String::new(), effect: TaintEffect::NoExecute };
        match tolerations.iter().find(|t| t.tolerates(&taint)) {
            None => Some(self.eviction_timeout),
            Some(t) => t.toleration_seconds.map(|s| SimDuration::from_secs(s.max(0) as u64)),
        }
    }
}

/// The scenario's changes to the profile (`[failures]` keys).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ReactionOverrides {
    /// `profile`: a family other than the scheduler's.
    pub profile: Option<Family>,
    /// `node_monitor_grace_period` (or the family's detection time).
    pub detection: Option<SimDuration>,
    /// `default_toleration_seconds`.
    pub eviction_timeout: Option<SimDuration>,
    /// `restart_delay`: the first non-zero restart delay.
    pub restart_delay: Option<SimDuration>,
    /// `max_restart_delay`: the cap (`KubeletCrashLoopBackOffMax`).
    pub max_restart_delay: Option<SimDuration>,
    /// `backoff_limit` (`Some(None)`: unlimited).
    pub backoff_limit: Option<Option<u32>>,
    /// `spot_notice`.
    pub spot_notice: Option<SimDuration>,
}

/// Independent failures of each node of some pools: up for a drawn
/// time-to-failure, down for a drawn time-to-repair, again and again.
#[derive(Clone, Debug)]
pub struct NodeFailureModel {
    /// Node group indices; empty means every pool.
    pub pools: Vec<u32>,
    /// Time up before failing (µs).
    pub time_to_failure: Dist,
    /// Time down before repair (µs).
    pub time_to_repair: Dist,
}

/// Which nodes an outage or scripted event hits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeTarget {
    /// One node by name (`general-3`).
    Node(String),
    /// Every node with this label value (`zone = "a"` is the zone label).
    Label {
        /// Label key.
        key: String,
        /// Label value.
        value: String,
    },
    /// Every node of a node group.
    Pool(u32),
}

impl std::fmt::Display for NodeTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NodeTarget::Node(name) => f.write_str(name),
            NodeTarget::Label { key, value } => write!(f, "{key}={value}"),
            NodeTarget::Pool(g) => write!(f, "node group {g}"),
        }
    }
}

/// Correlated failures: every node with one value of a label (a zone, a rack)
/// goes down together, for a drawn duration, at a drawn rate.
#[derive(Clone, Debug)]
pub struct OutageModel {
    /// The label (default `topology.kubernetes.io/zone`).
    pub label: String,
    /// The value hit; `None` picks one of the values on nodes in service,
    /// uniformly, at each outage.
    pub value: Option<String>,
    /// Time from the end of one outage (or the start of the run) to the next (µs).
    pub time_between: Dist,
    /// How long each lasts (µs).
    pub duration: Dist,
}

/// What a scripted event does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptAction {
    /// The nodes go down (crash, power loss): nothing on them runs, and the
    /// control plane notices only after its detection time.
    Fail,
    /// The nodes come back.
    Repair,
    /// Cordon, then evict every pod through the Eviction API (disruption
    /// budgets respected; blocked evictions retried every 5 s, as `kubectl drain`).
    Drain,
    /// No new pods may be placed on the nodes.
    Cordon,
    /// Undoes a cordon (or a drain).
    Uncordon,
    /// `count` new nodes of a pool join at once.
    Add(u32),
}

impl ScriptAction {
    /// The scenario name.
    pub fn name(self) -> &'static str {
        match self {
            ScriptAction::Fail => "fail",
            ScriptAction::Repair => "repair",
            ScriptAction::Drain => "drain",
            ScriptAction::Cordon => "cordon",
            ScriptAction::Uncordon => "uncordon",
            ScriptAction::Add(_) => "add",
        }
    }
}

/// One `[[failures.script]]` entry.
#[derive(Clone, Debug)]
pub struct ScriptedEvent {
    /// When.
    pub at: SimTime,
    /// What.
    pub action: ScriptAction,
    /// Which nodes (a pool for `add`).
    pub target: NodeTarget,
    /// For `fail` and `cordon`/`drain`: undo after this long (repair, uncordon).
    pub duration: Option<SimDuration>,
}

/// Which pods a crash model applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CrashTarget {
    /// Every pod.
    All,
    /// The pods of one workload (batch class or service; workload index).
    Workload(u32),
    /// The pods running one image.
    Image(ImageId),
}

/// Containers that crash after a drawn running time (a crash rate per pod).
#[derive(Clone, Debug)]
pub struct CrashModel {
    /// Which pods.
    pub target: CrashTarget,
    /// Running time before a crash (µs), drawn at every container start.
    pub time_to_crash: Dist,
}

impl CrashModel {
    /// Whether the model applies to a pod of `workload` running `image`.
    pub fn applies(&self, workload: u32, image: ImageId) -> bool {
        match self.target {
            CrashTarget::All => true,
            CrashTarget::Workload(w) => w == workload,
            CrashTarget::Image(i) => i == image,
        }
    }
}

/// Spot (preemptible) nodes: the provider reclaims each after a drawn time,
/// with a notice.
#[derive(Clone, Debug)]
pub struct SpotModel {
    /// The node group.
    pub pool: u32,
    /// Time from a node's start to its reclaim notice (µs).
    pub time_to_reclaim: Dist,
    /// Whether the group (an AWS Auto Scaling group, a GCE managed instance
    /// group) replaces a reclaimed node, after the pool's provisioning delay.
    pub replace: bool,
}

/// The `[failures]` section.
#[derive(Clone, Debug, Default)]
pub struct FailureConfig {
    /// Changes to the reaction profile.
    pub reactions: ReactionOverrides,
    /// Independent node failures.
    pub nodes: Vec<NodeFailureModel>,
    /// Correlated outages.
    pub outages: Vec<OutageModel>,
    /// Scripted events, in the order written.
    pub script: Vec<ScriptedEvent>,
    /// Container crashes.
    pub crashes: Vec<CrashModel>,
    /// Spot reclaims.
    pub spot: Vec<SpotModel>,
}

impl FailureConfig {
    /// Whether anything can fail (random models or a script).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty() && self.outages.is_empty() && self.script.is_empty() && self.crashes.is_empty() && self.spot.is_empty()
    }

    /// The nodes scripted `add` events bring to each of the scenario's
    /// `groups` node groups, which the cluster's totals must allow for.
    pub fn nodes_added(&self, groups: usize) -> Vec<u64> {
        let mut added = vec![0; groups];
        for ev in &self.script {
            if let (ScriptAction::Add(n), NodeTarget::Pool(g)) = (ev.action, &ev.target) {
                if let Some(nodes) = added.get_mut(*g as usize) {
                    *nodes += u64::from(n);
                }
            }
        }
        added
    }

    /// Whether a model draws failures for ever, so the run needs a duration.
    pub fn is_unbounded(&self) -> bool {
        !(self.nodes.is_empty() && self.outages.is_empty() && self.crashes.is_empty() && self.spot.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(d: SimDuration) -> u64 {
        d.as_secs_f64().round() as u64
    }

    #[test]
    fn crash_loop_backoff_doubles_from_10s_to_300s_after_an_immediate_first_restart() {
        // semantics.md §5: the first restart is immediate, then 10, 20, 40 … capped at 300 s.
        let delays: Vec<u64> = (0..9).map(|n| secs(Backoff::CRASH_LOOP.delay(n))).collect();
        assert_eq!(delays, [0, 10, 20, 40, 80, 160, 300, 300, 300]);
    }

    #[test]
    fn crash_loop_count_resets_after_ten_minutes_without_a_crash() {
        let mut c = RetryCount::default();
        let t = SimTime::from_secs;
        let b = Backoff::CRASH_LOOP;
        assert_eq!(secs(c.next_delay(&b, t(0))), 0);
        assert_eq!(secs(c.next_delay(&b, t(5))), 10);
        assert_eq!(secs(c.next_delay(&b, t(30))), 20);
        // Exactly 10 min is not "more than 2 × max": the count goes on.
        assert_eq!(secs(c.next_delay(&b, t(630))), 40);
        // More than 10 min later: back to an immediate restart.
        assert_eq!(secs(c.next_delay(&b, t(1231))), 0);
        assert_eq!(secs(c.next_delay(&b, t(1232))), 10);
    }

    #[test]
    fn other_families_delays() {
        assert_eq!((0..4).map(|n| secs(Backoff::SWARM_RESTART.delay(n))).collect::<Vec<_>>(), [5, 5, 5, 5]);
        let m: Vec<f64> = (0..3).map(|n| Backoff::MARATHON_LAUNCH.delay(n).as_secs_f64()).collect();
        assert_eq!(m, [1.0, 1.15, 1.3225]);
        assert_eq!(Backoff::MARATHON_LAUNCH.delay(200), SimDuration::from_secs(3600));
        assert_eq!((0..3).map(|n| secs(Backoff::JOB_POD_FAILURE.delay(n))).collect::<Vec<_>>(), [10, 20, 40]);
        assert_eq!(Backoff::JOB_POD_FAILURE.delay(10), SimDuration::from_secs(360));
        assert_eq!(Backoff::NONE.delay(7), SimDuration::ZERO);
    }

    #[test]
    fn profiles_follow_the_scheduler_family() {
        let k = Reactions::resolve("kubernetes", &ReactionOverrides::default());
        assert_eq!((secs(k.detection), secs(k.eviction_timeout), k.batch_retry_limit), (50, 300, Some(6)));
        assert_eq!(Reactions::resolve("best-fit", &ReactionOverrides::default()).family, Family::Kubernetes);
        let s = Reactions::resolve("swarmkit", &ReactionOverrides::default());
        assert_eq!((secs(s.detection), s.restart), (15, RestartMode::Reschedule));
        assert_eq!(secs(Reactions::resolve("mesos-drf", &ReactionOverrides::default()).detection), 75);
        let o = ReactionOverrides { profile: Some(Family::Borg), ..Default::default() };
        assert_eq!(Reactions::resolve("kubernetes", &o).family, Family::Borg);
        // KubeletCrashLoopBackOffMax: the count is forgotten after 2 × the cap.
        let o = ReactionOverrides { max_restart_delay: Some(SimDuration::from_secs(60)), ..Default::default() };
        let b = Reactions::resolve("kubernetes", &o).restart_backoff;
        assert_eq!((b.max, b.reset_after), (SimDuration::from_secs(60), Some(SimDuration::from_secs(120))));
    }

    #[test]
    fn eviction_waits_for_the_pods_own_toleration() {
        let k = Reactions::of(Family::Kubernetes);
        assert_eq!(k.eviction_delay(&[]), Some(SimDuration::from_secs(300)));
        let tol = |secs| Toleration {
            key: UNREACHABLE_TAINT.into(),
            operator: crate::model::taint::TolerationOperator::Exists,
            value: String::new(),
            effect: Some(TaintEffect::NoExecute),
            toleration_seconds: secs,
        };
        assert_eq!(k.eviction_delay(&[tol(Some(30))]), Some(SimDuration::from_secs(30)));
        assert_eq!(k.eviction_delay(&[tol(None)]), None, "tolerated for ever: never evicted");
        assert_eq!(Reactions::of(Family::Swarm).eviction_delay(&[tol(Some(30))]), Some(SimDuration::ZERO));
    }
}
