//! `[failures]`: what goes wrong during a run and how the control plane's
//! reaction differs from its family's defaults, validated into a
//! [`FailureConfig`] (semantics in `crate::policy::failure`).
//!
//! ```toml
//! [failures]
//! profile = "kubernetes"              # reaction defaults; default: the scheduler's family
//! node_monitor_grace_period = "50s"   # reaction overrides, each optional
//! default_toleration_seconds = 300
//! restart_delay = "10s"
//! max_restart_delay = "5m"
//! backoff_limit = 6                   # or "unlimited"
//! spot_notice = "2m"
//!
//! [[failures.nodes]]                  # each node of the pools fails and is repaired, again and again
//! pools = ["general"]                 # default: every pool
//! mtbf = "30d"                        # or time_to_failure = { dist = "weibull", shape = 0.7, scale = "20d" }
//! mttr = "2h"                         # or time_to_repair = <distribution>
//!
//! [[failures.outages]]                # every node with one label value goes down together
//! label = "topology.kubernetes.io/zone"   # the default
//! value = "a"                         # default: a random value each time
//! mtbf = "7d"                         # or every = <distribution>
//! duration = "1h"                     # a constant or a distribution
//!
//! [[failures.script]]                 # one event at a given time
//! at = "10m"
//! action = "fail"                     # fail | repair | drain | cordon | uncordon | add
//! node = "general-3"                  # or zone = "a", label = { key = "rack", value = "r1" }, pool = "general"
//! duration = "30m"                    # fail, cordon, drain: undone after this long
//! # action = "add" takes pool and count = N
//!
//! [[failures.crashes]]                # containers crash after a drawn running time
//! workload = "web"                    # or image = "web:1"; neither: every pod
//! mtbf = "2h"                         # or time_to_crash = <distribution>
//!
//! [[failures.spot]]                   # the provider reclaims a pool's nodes
//! pool = "spot"
//! mtbf = "6h"                         # or time_to_reclaim = <distribution>
//! replace = true                      # the group replaces reclaimed nodes
//! ```
//!
//! `mtbf`/`mttr` are means of exponential times, the usual reading of those
//! figures; the long forms take any distribution. The random models draw
//! failures for as long as the run lasts, so they need `[simulation] duration`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::dist::{Dist, RawDist};
use super::quantity::{duration_text, Literal, Unit};
use super::schema;
use super::{locate, NodeGroup, Validator, HOSTNAME_LABEL, MAX_HORIZON, MAX_NODES, ZONE_LABEL};
use crate::model::image::normalize_image_name;
use crate::model::ImageId;
use crate::policy::failure::{
    CrashModel, CrashTarget, FailureConfig, Family, NodeFailureModel, NodeTarget, OutageModel, ReactionOverrides, Reactions, ScriptAction,
    ScriptedEvent, SpotModel,
};
use crate::time::{SimDuration, SimTime};

/// `[failures]` as written.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFailures {
    /// Whose reactions to failures (default: the scheduler's family; see `orchsim policies`).
    #[schemars(with = "Option<schema::FailureProfile>")]
    profile: Option<String>,
    /// From a node going silent to it being declared lost.
    #[schemars(with = "Option<schema::Duration>")]
    node_monitor_grace_period: Option<Literal>,
    /// Seconds a lost node's pods stay before eviction, unless they tolerate it otherwise.
    default_toleration_seconds: Option<i64>,
    /// First non-zero delay before a crashed container restarts.
    #[schemars(with = "Option<schema::Duration>")]
    restart_delay: Option<Literal>,
    /// Cap of the restart delay.
    #[schemars(with = "Option<schema::Duration>")]
    max_restart_delay: Option<Literal>,
    /// Failures a batch job survives before it fails (Job backoffLimit), or "unlimited".
    // Kept as a TOML value: a whole number or the string `"unlimited"`.
    #[schemars(with = "Option<schema::BackoffLimit>")]
    backoff_limit: Option<toml::Value>,
    /// How long a reclaimed spot node runs after its notice.
    #[schemars(with = "Option<schema::Duration>")]
    spot_notice: Option<Literal>,
    /// Independent failures of each node of some pools.
    #[serde(default)]
    nodes: Vec<RawNodeFailures>,
    /// Every node with one label value goes down together.
    #[serde(default)]
    outages: Vec<RawOutage>,
    /// Events at given times.
    #[serde(default)]
    script: Vec<RawScripted>,
    /// Container crashes.
    #[serde(default)]
    crashes: Vec<RawCrash>,
    /// Spot reclaims of a pool's nodes.
    #[serde(default)]
    spot: Vec<RawSpot>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawNodeFailures {
    /// Node groups whose nodes fail (default: every pool).
    pools: Option<Vec<String>>,
    /// Mean time between failures (exponential).
    #[schemars(with = "Option<schema::Duration>")]
    mtbf: Option<Literal>,
    /// Mean time to repair (exponential).
    #[schemars(with = "Option<schema::Duration>")]
    mttr: Option<Literal>,
    /// Time up before failing, any distribution (instead of mtbf).
    #[schemars(with = "Option<schema::Dist<schema::Duration>>")]
    time_to_failure: Option<RawDist>,
    /// Time down before repair, any distribution (instead of mttr).
    #[schemars(with = "Option<schema::Dist<schema::Duration>>")]
    time_to_repair: Option<RawDist>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawOutage {
    /// The node label whose value goes down (default topology.kubernetes.io/zone).
    label: Option<String>,
    /// The value (default: a random one each time).
    value: Option<String>,
    /// Mean time between outages (exponential).
    #[schemars(with = "Option<schema::Duration>")]
    mtbf: Option<Literal>,
    /// Time between outages, any distribution (instead of mtbf).
    #[schemars(with = "Option<schema::Dist<schema::Duration>>")]
    every: Option<RawDist>,
    /// How long each outage lasts.
    #[schemars(with = "schema::Dist<schema::Duration>")]
    duration: RawDist,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawScripted {
    /// When it happens.
    #[schemars(with = "schema::Duration")]
    at: Literal,
    /// What happens.
    action: RawAction,
    /// One node by name, e.g. general-3.
    node: Option<String>,
    /// Every node of a zone.
    zone: Option<String>,
    /// Every node with this label value.
    label: Option<RawLabel>,
    /// Every node of a node group (or the group `add` grows).
    pool: Option<String>,
    /// Nodes to add (`add` only).
    count: Option<u32>,
    /// fail, cordon, drain: undone after this long.
    #[schemars(with = "Option<schema::Duration>")]
    duration: Option<Literal>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
enum RawAction {
    Fail,
    Repair,
    Drain,
    Cordon,
    Uncordon,
    Add,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawLabel {
    /// Label key.
    key: String,
    /// Label value.
    value: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawCrash {
    /// Pods of this class or service (default: every pod).
    workload: Option<String>,
    /// Pods of this image.
    image: Option<String>,
    /// Mean running time before a crash (exponential).
    #[schemars(with = "Option<schema::Duration>")]
    mtbf: Option<Literal>,
    /// Running time before a crash, any distribution (instead of mtbf).
    #[schemars(with = "Option<schema::Dist<schema::Duration>>")]
    time_to_crash: Option<RawDist>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawSpot {
    /// The node group of spot nodes.
    pool: String,
    /// Mean time before a node is reclaimed (exponential).
    #[schemars(with = "Option<schema::Duration>")]
    mtbf: Option<Literal>,
    /// Time before a node is reclaimed, any distribution (instead of mtbf).
    #[schemars(with = "Option<schema::Dist<schema::Duration>>")]
    time_to_reclaim: Option<RawDist>,
    /// Whether the group replaces reclaimed nodes.
    replace: Option<bool>,
}

/// The `[failures]` reaction keys as a scenario would write the profile
/// `r`, every key given (for `orchsim policies`).
pub(crate) fn reactions_table(r: &Reactions) -> toml::Table {
    let d = |d: SimDuration| toml::Value::String(duration_text(d));
    let backoff_limit = r.batch_retry_limit.map_or(toml::Value::from("unlimited"), |n| i64::from(n).into());
    let keys = [
        ("profile", r.family.name().into()),
        ("node_monitor_grace_period", d(r.detection)),
        ("default_toleration_seconds", i64::try_from(r.eviction_timeout.as_micros() / 1_000_000).unwrap_or(i64::MAX).into()),
        ("restart_delay", d(r.restart_backoff.initial)),
        ("max_restart_delay", d(r.restart_backoff.max)),
        ("backoff_limit", backoff_limit),
        ("spot_notice", d(r.spot_notice)),
    ];
    keys.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// A random model's time as written: a mean shorthand (`mtbf = "30d"`) and
/// the key taking a full distribution (`time_to_failure = { … }`), exactly
/// one of which must be given.
struct ModelTime<'a> {
    short: (&'static str, Option<&'a Literal>),
    long: (&'static str, Option<&'a RawDist>),
    /// Why a zero time is refused, for the error message.
    zero: &'static str,
}

/// Why a zero time between failures is refused.
const ZERO_BETWEEN: &str = "a model drawing 0 s would fire again and again at one instant";

/// The nodes a target may name: the first `size(g)` of each group.
struct NodeSet<'a> {
    groups: &'a [NodeGroup],
    size: fn(&NodeGroup) -> u32,
}

impl<'a> NodeSet<'a> {
    /// The nodes present at time zero: scripted events name these.
    fn at_start(groups: &'a [NodeGroup]) -> Self {
        NodeSet { groups, size: |g| g.count }
    }

    /// Every node a pool may ever hold (a node autoscaler fills pools up to
    /// `max`): an outage model may hit a zone that only added nodes are in.
    fn ever(groups: &'a [NodeGroup]) -> Self {
        NodeSet { groups, size: |g| g.count.max(g.max) }
    }

    fn has_node(&self, name: &str) -> bool {
        self.groups.iter().any(|g| {
            let index = name.strip_prefix(g.name.as_str()).and_then(|r| r.strip_prefix('-')).and_then(|k| k.parse::<u32>().ok());
            index.is_some_and(|k| k < (self.size)(g) && g.node_name(k) == name)
        })
    }

    /// The values of label `key` on the set's nodes. A group's nodes differ
    /// only in zone (assigned round-robin) and hostname, so its first
    /// `zones.len()` nodes carry every other value; hostnames are not listed.
    fn label_values(&self, key: &str) -> BTreeSet<String> {
        self.groups
            .iter()
            .flat_map(|g| (0..(self.size)(g).min(g.zones.len() as u32)).filter_map(move |k| g.node_labels(k).remove(key)))
            .collect()
    }

    /// Whether some node carries `key` = `value` (any value when `None`).
    fn has_label(&self, key: &str, value: Option<&str>) -> bool {
        if key == HOSTNAME_LABEL {
            return value.map_or(self.groups.iter().any(|g| (self.size)(g) > 0), |v| self.has_node(v));
        }
        let values = self.label_values(key);
        value.map_or(!values.is_empty(), |v| values.contains(v))
    }

    /// What a label lookup could have matched, for error messages.
    fn describe_label(&self, key: &str) -> String {
        if key == HOSTNAME_LABEL {
            return format!("its values are node names: {}", self.describe_nodes());
        }
        let values: Vec<String> = self.label_values(key).into_iter().collect();
        if values.is_empty() {
            format!("no node has a `{key}` label")
        } else {
            format!("values of `{key}`: {}", values.join(", "))
        }
    }

    /// The node names, group by group (`general-0 … general-9, gpu-0`).
    fn describe_nodes(&self) -> String {
        let names: Vec<String> = self
            .groups
            .iter()
            .filter(|g| (self.size)(g) > 0)
            .map(|g| match (self.size)(g) {
                1 => g.node_name(0),
                n => format!("{} … {}", g.node_name(0), g.node_name(n - 1)),
            })
            .collect();
        if names.is_empty() {
            "no node exists".to_string()
        } else {
            names.join(", ")
        }
    }
}

impl Validator<'_> {
    /// Validates `[failures]` against the cluster (`groups`), the images, the
    /// workload names (batch classes, then services) and the run's duration.
    pub(super) fn failures(
        &mut self,
        raw: &RawFailures,
        groups: &[NodeGroup],
        images: &BTreeMap<String, ImageId>,
        workloads: &[String],
        run: Option<SimDuration>,
    ) -> FailureConfig {
        let reactions = self.reactions(raw);
        let nodes = raw.nodes.iter().enumerate().filter_map(|(i, n)| self.node_failures(i, n, groups)).collect();
        let outages = raw.outages.iter().enumerate().filter_map(|(i, o)| self.outage(i, o, groups)).collect();
        let mut cluster_nodes = groups.iter().map(|g| g.count as u64).sum::<u64>();
        let script = raw.script.iter().enumerate().filter_map(|(i, s)| self.scripted(i, s, groups, run, &mut cluster_nodes)).collect();
        let crashes = raw.crashes.iter().enumerate().filter_map(|(i, c)| self.crash(i, c, images, workloads)).collect();
        let mut spot: Vec<SpotModel> = Vec::new();
        for (i, s) in raw.spot.iter().enumerate() {
            let Some(model) = self.spot(i, s, groups) else { continue };
            if spot.iter().any(|o| o.pool == model.pool) {
                self.error(&format!("failures.spot[{i}].pool"), format!("pool `{}` already has a [[failures.spot]] entry", s.pool));
            }
            spot.push(model);
        }
        // The random models draw failures for as long as the run goes on; a
        // run without a duration would only end at MAX_HORIZON.
        let random = [("nodes", raw.nodes.len()), ("outages", raw.outages.len()), ("crashes", raw.crashes.len()), ("spot", raw.spot.len())];
        if let (Some((key, _)), None) = (random.iter().find(|(_, n)| *n > 0), run) {
            let at = locate::span_of(self.source, &format!("failures.{key}[0]"))
                .map_or(String::new(), |s| format!(" (line {})", locate::position(self.source, s.start).line));
            self.error(
                "simulation.duration",
                format!("[[failures.{key}]]{at} draws failures for as long as the run goes on: give the run a duration"),
            );
        }
        FailureConfig { reactions, nodes, outages, script, crashes, spot }
    }

    /// The reaction overrides: the top-level keys of `[failures]`.
    fn reactions(&mut self, raw: &RawFailures) -> ReactionOverrides {
        let f = |name: &str| format!("failures.{name}");
        let dur = |v: &mut Self, name: &str, lit: &Option<Literal>| lit.as_ref().and_then(|l| v.duration(&f(name), l));
        let profile = raw.profile.as_ref().and_then(|p| {
            let catalogue = Family::catalogue();
            let family = catalogue.iter().find(|f| f.name == p).map(|f| f.default);
            if family.is_none() {
                let known: Vec<&str> = catalogue.iter().map(|f| f.name).collect();
                self.error(&f("profile"), format!("unknown profile `{p}`; known: {}", known.join(", ")));
            }
            family
        });
        let most = MAX_HORIZON.as_micros() / 1_000_000;
        let eviction_timeout = raw.default_toleration_seconds.and_then(|s| match u64::try_from(s) {
            Ok(s) if s <= most => Some(SimDuration::from_secs(s)),
            _ => {
                self.error(&f("default_toleration_seconds"), format!("whole seconds between 0 and {most}, got {s}"));
                None
            }
        });
        let restart_delay = dur(self, "restart_delay", &raw.restart_delay);
        let max_restart_delay = dur(self, "max_restart_delay", &raw.max_restart_delay);
        if let (Some(initial), Some(max)) = (restart_delay, max_restart_delay) {
            if max < initial {
                self.error(&f("max_restart_delay"), format!("must be at least restart_delay ({initial}), got {max}"));
            }
        }
        let backoff_limit = match &raw.backoff_limit {
            None => None,
            Some(toml::Value::String(s)) if s == "unlimited" => Some(None),
            Some(v) => match v.as_integer().map(u32::try_from) {
                Some(Ok(n)) => Some(Some(n)),
                _ => {
                    self.error(&f("backoff_limit"), format!("a whole number of retries ≥ 0, or \"unlimited\"; got {v}"));
                    None
                }
            },
        };
        ReactionOverrides {
            profile,
            detection: dur(self, "node_monitor_grace_period", &raw.node_monitor_grace_period),
            eviction_timeout,
            restart_delay,
            max_restart_delay,
            backoff_limit,
            spot_notice: dur(self, "spot_notice", &raw.spot_notice),
        }
    }

    /// A random model's time (see [`ModelTime`]). `mtbf`-style means may
    /// exceed the longest run (a node's MTBF is often years), so they are read
    /// as plain quantities; either way the mean must be positive.
    fn model_time(&mut self, prefix: &str, t: ModelTime<'_>) -> Option<Dist> {
        let ((short, mean), (long, dist)) = (t.short, t.long);
        let (field, dist) = match (mean, dist) {
            (Some(_), Some(_)) => {
                self.error(&format!("{prefix}.{long}"), format!("give `{short}` or `{long}`, not both"));
                return None;
            }
            (None, None) => {
                self.error(prefix, format!("needs `{short}` (a mean time, exponentially distributed) or `{long}` (a distribution)"));
                return None;
            }
            (Some(mean), None) => {
                let field = format!("{prefix}.{short}");
                let dist = self.quantity(&field, mean, Unit::Duration).map(Dist::exponential);
                (field, dist)
            }
            (None, Some(raw)) => {
                let field = format!("{prefix}.{long}");
                let dist = self.dist(&field, raw, Unit::Duration);
                (field, dist)
            }
        };
        self.positive_on_average(&field, dist?, t.zero)
    }

    /// `dist` if its samples are positive on average, else an error on
    /// `field` saying `why` zero is refused. A mean below zero (a normal) or
    /// a `max` of 0 counts as zero.
    fn positive_on_average(&mut self, field: &str, dist: Dist, why: &str) -> Option<Dist> {
        if dist.mean() > 0.0 && dist.upper_bound() > 0.0 {
            return Some(dist);
        }
        let mean = if dist.upper_bound() > 0.0 { dist.mean().max(0.0) } else { 0.0 };
        self.error(field, format!("must be positive on average, got a mean of {} s: {why}", mean / 1e6));
        None
    }

    /// Index of the node group `name`, or an error on `field` listing the groups.
    fn pool(&mut self, field: &str, name: &str, groups: &[NodeGroup]) -> Option<u32> {
        let index = groups.iter().position(|g| g.name == name).map(|i| i as u32);
        if index.is_none() {
            let known: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
            self.error(field, format!("no node group is named `{name}`; node groups: {}", known.join(", ")));
        }
        index
    }

    fn node_failures(&mut self, i: usize, raw: &RawNodeFailures, groups: &[NodeGroup]) -> Option<NodeFailureModel> {
        let prefix = format!("failures.nodes[{i}]");
        let mut pools: Vec<u32> = Vec::new();
        if raw.pools.as_ref().is_some_and(|p| p.is_empty()) {
            self.error(&format!("{prefix}.pools"), "name at least one node group, or leave `pools` out for every pool");
        }
        for (k, name) in raw.pools.iter().flatten().enumerate() {
            let field = format!("{prefix}.pools[{k}]");
            let Some(index) = self.pool(&field, name, groups) else { continue };
            if pools.contains(&index) {
                self.error(&field, format!("`{name}` is listed twice"));
            }
            pools.push(index);
        }
        let time_to_failure = self.model_time(
            &prefix,
            ModelTime { short: ("mtbf", raw.mtbf.as_ref()), long: ("time_to_failure", raw.time_to_failure.as_ref()), zero: ZERO_BETWEEN },
        );
        let time_to_repair = self.model_time(
            &prefix,
            ModelTime {
                short: ("mttr", raw.mttr.as_ref()),
                long: ("time_to_repair", raw.time_to_repair.as_ref()),
                zero: "a failure repaired at once has no effect",
            },
        );
        Some(NodeFailureModel { pools, time_to_failure: time_to_failure?, time_to_repair: time_to_repair? })
    }

    fn outage(&mut self, i: usize, raw: &RawOutage, groups: &[NodeGroup]) -> Option<OutageModel> {
        let prefix = format!("failures.outages[{i}]");
        let label = raw.label.clone().unwrap_or_else(|| ZONE_LABEL.to_string());
        let nodes = NodeSet::ever(groups);
        if !nodes.has_label(&label, raw.value.as_deref()) {
            let (field, what) = match &raw.value {
                Some(v) => ("value", format!("no node has the label `{label}={v}`")),
                None => ("label", format!("no node has a `{label}` label")),
            };
            self.error(
                &format!("{prefix}.{field}"),
                format!("{what}, so this outage could never happen; {}", nodes.describe_label(&label)),
            );
        }
        let time_between = self
            .model_time(&prefix, ModelTime { short: ("mtbf", raw.mtbf.as_ref()), long: ("every", raw.every.as_ref()), zero: ZERO_BETWEEN });
        let field = format!("{prefix}.duration");
        let duration = self
            .dist(&field, &raw.duration, Unit::Duration)
            .and_then(|d| self.positive_on_average(&field, d, "an outage of 0 s has no effect"));
        Some(OutageModel { label, value: raw.value.clone(), time_between: time_between?, duration: duration? })
    }

    /// A scripted event. `nodes` counts the cluster's nodes with the `add`
    /// events so far, against [`MAX_NODES`].
    fn scripted(
        &mut self,
        i: usize,
        raw: &RawScripted,
        groups: &[NodeGroup],
        run: Option<SimDuration>,
        nodes: &mut u64,
    ) -> Option<ScriptedEvent> {
        let prefix = format!("failures.script[{i}]");
        let f = |name: &str| format!("{prefix}.{name}");
        let at = self.duration(&f("at"), &raw.at).map(|d| SimTime::ZERO + d);
        if let (Some(at), Some(run)) = (at, run) {
            if at > SimTime::ZERO + run {
                self.error(
                    &f("at"),
                    format!("{at} is after the end of the run ({run}, [simulation] duration): the event would never happen"),
                );
            }
        }
        let action = match raw.action {
            RawAction::Fail => ScriptAction::Fail,
            RawAction::Repair => ScriptAction::Repair,
            RawAction::Drain => ScriptAction::Drain,
            RawAction::Cordon => ScriptAction::Cordon,
            RawAction::Uncordon => ScriptAction::Uncordon,
            RawAction::Add => ScriptAction::Add(raw.count.unwrap_or(0)),
        };
        match action {
            ScriptAction::Add(0) => self.error(&f("count"), "`add` needs count = N, the number of nodes (at least 1) that join"),
            ScriptAction::Add(n) => {
                *nodes += n as u64;
                if *nodes > MAX_NODES {
                    self.error(&f("count"), format!("would grow the cluster past {MAX_NODES} nodes, the most orchsim simulates"));
                }
            }
            _ if raw.count.is_some() => {
                self.error(&f("count"), format!("only `add` takes a count; `{}` applies to the nodes named", action.name()))
            }
            _ => {}
        }
        if raw.action == RawAction::Add && raw.pool.is_none() {
            self.error(&prefix, "`add` needs `pool`, the node group the new nodes join");
        }
        let duration = raw.duration.as_ref().and_then(|l| self.duration(&f("duration"), l));
        if duration == Some(SimDuration::ZERO) {
            self.error(&f("duration"), "must be positive (leave it out to never undo the event)");
        }
        if duration.is_some() && !matches!(raw.action, RawAction::Fail | RawAction::Cordon | RawAction::Drain) {
            self.error(&f("duration"), format!("only `fail`, `cordon` and `drain` are undone after a duration, not `{}`", action.name()));
        }
        let target = self.node_target(&prefix, raw, groups)?;
        Some(ScriptedEvent { at: at?, action, target, duration })
    }

    /// The nodes a scripted event applies to: exactly one of `node`, `zone`,
    /// `label` and `pool`, naming nodes that exist at time zero.
    fn node_target(&mut self, prefix: &str, raw: &RawScripted, groups: &[NodeGroup]) -> Option<NodeTarget> {
        let f = |name: &str| format!("{prefix}.{name}");
        let given: Vec<&str> =
            [("node", raw.node.is_some()), ("zone", raw.zone.is_some()), ("label", raw.label.is_some()), ("pool", raw.pool.is_some())]
                .into_iter()
                .filter_map(|(k, set)| set.then_some(k))
                .collect();
        match given.as_slice() {
            [] => {
                self.error(prefix, "name the nodes with one of node, zone, label or pool");
                return None;
            }
            [_, second, ..] => {
                self.error(&f(second), format!("give only one of node, zone, label or pool (got {})", given.join(" and ")));
                return None;
            }
            [_] => {}
        }
        let nodes = NodeSet::at_start(groups);
        // (key, target, whether it names some node, what is missing, what exists)
        let (field, target, found, missing, known) = if let Some(name) = &raw.node {
            let known = format!("nodes: {}", nodes.describe_nodes());
            ("node", NodeTarget::Node(name.clone()), nodes.has_node(name), format!("no node is named `{name}`"), known)
        } else if let Some(zone) = &raw.zone {
            let zones: Vec<String> = nodes.label_values(ZONE_LABEL).into_iter().collect();
            let target = NodeTarget::Label { key: ZONE_LABEL.to_string(), value: zone.clone() };
            ("zone", target, zones.contains(zone), format!("no node is in zone `{zone}`"), format!("zones: {}", zones.join(", ")))
        } else if let Some(l) = &raw.label {
            let target = NodeTarget::Label { key: l.key.clone(), value: l.value.clone() };
            let missing = format!("no node has the label `{}={}`", l.key, l.value);
            ("label", target, nodes.has_label(&l.key, Some(&l.value)), missing, nodes.describe_label(&l.key))
        } else {
            let name = raw.pool.as_deref().unwrap_or_default();
            return self.pool(&f("pool"), name, groups).map(NodeTarget::Pool);
        };
        if !found {
            self.error(&f(field), format!("{missing} at the start of the run; {known}"));
            return None;
        }
        Some(target)
    }

    fn crash(&mut self, i: usize, raw: &RawCrash, images: &BTreeMap<String, ImageId>, workloads: &[String]) -> Option<CrashModel> {
        let prefix = format!("failures.crashes[{i}]");
        let f = |name: &str| format!("{prefix}.{name}");
        let time_to_crash = self.model_time(
            &prefix,
            ModelTime { short: ("mtbf", raw.mtbf.as_ref()), long: ("time_to_crash", raw.time_to_crash.as_ref()), zero: ZERO_BETWEEN },
        );
        let target = match (&raw.workload, &raw.image) {
            (None, None) => CrashTarget::All,
            (Some(_), Some(_)) => {
                self.error(&f("image"), "give `workload` or `image`, not both (neither: every pod)");
                return None;
            }
            (Some(w), None) => match workloads.iter().position(|n| n == w) {
                Some(index) => CrashTarget::Workload(index as u32),
                None => {
                    self.error(
                        &f("workload"),
                        format!("no [[batch]] class or [[services]] entry is named `{w}`; workloads: {}", workloads.join(", ")),
                    );
                    return None;
                }
            },
            (None, Some(image)) => match images.get(&normalize_image_name(image)) {
                Some(id) => CrashTarget::Image(*id),
                None => {
                    let known: Vec<&str> = images.keys().map(String::as_str).collect();
                    self.error(&f("image"), format!("unknown image `{image}`; images: {}", known.join(", ")));
                    return None;
                }
            },
        };
        Some(CrashModel { target, time_to_crash: time_to_crash? })
    }

    fn spot(&mut self, i: usize, raw: &RawSpot, groups: &[NodeGroup]) -> Option<SpotModel> {
        let prefix = format!("failures.spot[{i}]");
        let pool = self.pool(&format!("{prefix}.pool"), &raw.pool, groups);
        let time_to_reclaim = self.model_time(
            &prefix,
            ModelTime { short: ("mtbf", raw.mtbf.as_ref()), long: ("time_to_reclaim", raw.time_to_reclaim.as_ref()), zero: ZERO_BETWEEN },
        );
        Some(SpotModel { pool: pool?, time_to_reclaim: time_to_reclaim?, replace: raw.replace.unwrap_or(true) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Diagnostic, Scenario, ScenarioError};

    const HEAD: &str = "name = \"f\"\n[simulation]\nduration = \"1d\"\n";

    /// Three pools: `general` (4 nodes over zones a and b), `spot` (2 nodes in
    /// zone c, rack r1) and `gpu` (empty at the start, up to 2 nodes in zone d);
    /// one batch class `etl` (workload 0).
    const CLUSTER: &str = r#"
[[node_groups]]
name = "general"
count = 4
cpu = "8"
memory = "32Gi"
zones = ["a", "b"]

[[node_groups]]
name = "spot"
count = 2
cpu = "4"
memory = "16Gi"
zones = ["c"]
labels = { rack = "r1" }

[[node_groups]]
name = "gpu"
count = 0
max = 2
cpu = "8"
memory = "64Gi"
gpu = 1
zones = ["d"]

[[images]]
name = "web:1"
size = "100Mi"

[[batch]]
name = "etl"
jobs = 3
interarrival = "1m"
duration = "5m"
cpu = "1"
memory = "1Gi"
images = ["web:1"]
"#;

    /// Service `web` (workload 1); needs the run's duration.
    const SERVICE: &str = r#"
[[services]]
name = "web"
replicas = 2
image = "web:1"
cpu = "500m"
memory = "512Mi"
capacity_rps = 100
load = { constant = 50 }
"#;

    fn text(failures: &str) -> String {
        format!("{HEAD}{CLUSTER}{SERVICE}{failures}")
    }

    fn parse(failures: &str) -> FailureConfig {
        Scenario::parse(&text(failures), "f.toml").unwrap_or_else(|e| panic!("invalid:\n{e}")).failures
    }

    fn diagnostics(text: &str) -> Vec<Diagnostic> {
        match Scenario::parse(text, "f.toml") {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(ScenarioError::Invalid(d)) => d,
            Err(e) => panic!("{e}"),
        }
    }

    /// Checks that `failures` is rejected with a diagnostic on `field`, at the
    /// first line of `failures` containing `marker`, whose message contains
    /// `fragment`.
    fn assert_rejected(failures: &str, field: &str, marker: &str, fragment: &str) {
        let full = text(failures);
        let before = full.len() - failures.len();
        let line = full[..before].lines().count()
            + failures.lines().position(|l| l.contains(marker)).unwrap_or_else(|| panic!("no line contains {marker}"))
            + 1;
        let found = diagnostics(&full);
        assert!(
            found.iter().any(|d| d.field.as_deref() == Some(field) && d.line == Some(line) && d.message.contains(fragment)),
            "expected `{field}` at line {line} mentioning `{fragment}`, got:\n{}",
            found.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")
        );
    }

    const DAY: f64 = 86_400e6;
    const HOUR: f64 = 3_600e6;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn a_full_section_parses_into_the_failure_config() {
        let c = parse(
            r#"
[failures]
profile = "swarm"
node_monitor_grace_period = "40s"
default_toleration_seconds = 120
restart_delay = "5s"
max_restart_delay = "2m"
backoff_limit = "unlimited"
spot_notice = "30s"

[[failures.nodes]]
mtbf = "30d"
mttr = "2h"

[[failures.nodes]]
pools = ["spot", "general"]
time_to_failure = { dist = "weibull", shape = 1.0, scale = "20d" }
time_to_repair = { dist = "lognormal", median = "1h", sigma = 1.0 }

[[failures.outages]]
mtbf = "7d"
duration = "1h"

[[failures.outages]]
label = "rack"
value = "r1"
every = { dist = "exponential", mean = "3d" }
duration = { dist = "uniform", low = "10m", high = "30m" }

[[failures.outages]]
value = "d"          # only nodes a node autoscaler adds to `gpu` are in zone d
mtbf = "30d"
duration = "2h"

[[failures.script]]
at = "10m"
action = "fail"
node = "general-3"
duration = "30m"

[[failures.script]]
at = "5m"
action = "cordon"
zone = "b"

[[failures.script]]
at = "1h"
action = "drain"
label = { key = "rack", value = "r1" }

[[failures.script]]
at = "2h"
action = "add"
pool = "gpu"
count = 2

[[failures.script]]
at = "3h"
action = "repair"
pool = "general"

[[failures.crashes]]
mtbf = "6h"

[[failures.crashes]]
workload = "web"
time_to_crash = { dist = "weibull", shape = 2.0, scale = "3h" }

[[failures.crashes]]
image = "web:1"
mtbf = "1d"

[[failures.spot]]
pool = "spot"
mtbf = "6h"

[[failures.spot]]
pool = "gpu"
time_to_reclaim = { dist = "exponential", mean = "12h" }
replace = false
"#,
        );
        let s = SimDuration::from_secs;
        assert_eq!(
            c.reactions,
            ReactionOverrides {
                profile: Some(Family::Swarm),
                detection: Some(s(40)),
                eviction_timeout: Some(s(120)),
                restart_delay: Some(s(5)),
                max_restart_delay: Some(s(120)),
                backoff_limit: Some(None),
                spot_notice: Some(s(30)),
            }
        );

        assert_eq!(c.nodes.len(), 2);
        assert_eq!((c.nodes[0].pools.clone(), c.nodes[1].pools.clone()), (vec![], vec![1, 0]), "absent: every pool; else indices");
        assert!(close(c.nodes[0].time_to_failure.mean(), 30.0 * DAY) && close(c.nodes[0].time_to_repair.mean(), 2.0 * HOUR));
        assert!(close(c.nodes[1].time_to_failure.mean(), 20.0 * DAY), "weibull with shape 1: mean = scale");
        assert!(close(c.nodes[1].time_to_repair.mean(), HOUR * 0.5f64.exp()), "lognormal mean = median·e^(σ²/2)");

        assert_eq!(c.outages.len(), 3);
        assert_eq!((c.outages[0].label.as_str(), c.outages[0].value.as_deref()), (ZONE_LABEL, None));
        assert!(close(c.outages[0].time_between.mean(), 7.0 * DAY) && close(c.outages[0].duration.mean(), HOUR));
        assert_eq!((c.outages[1].label.as_str(), c.outages[1].value.as_deref()), ("rack", Some("r1")));
        assert!(close(c.outages[1].time_between.mean(), 3.0 * DAY) && close(c.outages[1].duration.mean(), 20.0 * 60e6));
        assert_eq!(c.outages[2].value.as_deref(), Some("d"));

        let script: Vec<_> = c.script.iter().map(|e| (e.at, e.action, e.target.clone(), e.duration)).collect();
        let zone = |v: &str| NodeTarget::Label { key: ZONE_LABEL.into(), value: v.into() };
        let t = SimTime::from_secs;
        assert_eq!(
            script,
            [
                (t(600), ScriptAction::Fail, NodeTarget::Node("general-3".into()), Some(s(1800))),
                (t(300), ScriptAction::Cordon, zone("b"), None),
                (t(3600), ScriptAction::Drain, NodeTarget::Label { key: "rack".into(), value: "r1".into() }, None),
                (t(7200), ScriptAction::Add(2), NodeTarget::Pool(2), None),
                (t(10800), ScriptAction::Repair, NodeTarget::Pool(0), None),
            ],
            "in the order written"
        );

        let crashes: Vec<_> = c.crashes.iter().map(|m| m.target.clone()).collect();
        assert_eq!(crashes, [CrashTarget::All, CrashTarget::Workload(1), CrashTarget::Image(ImageId(0))]);
        let rayleigh = 3.0 * HOUR * std::f64::consts::PI.sqrt() / 2.0;
        assert!(close(c.crashes[1].time_to_crash.mean(), rayleigh), "weibull shape 2: scale·√π/2");

        let spot: Vec<_> = c.spot.iter().map(|m| (m.pool, m.time_to_reclaim.mean() / HOUR, m.replace)).collect();
        assert_eq!(spot, [(1, 6.0, true), (2, 12.0, false)]);
        assert!(c.is_unbounded());
    }

    #[test]
    fn reaction_keys_alone_and_a_numeric_backoff_limit() {
        let c = parse("[failures]\nbackoff_limit = 6\n");
        assert_eq!(c.reactions, ReactionOverrides { backoff_limit: Some(Some(6)), ..Default::default() });
        assert!(c.is_empty());
        assert!(parse("").is_empty(), "no [failures]: nothing fails");
    }

    #[test]
    fn a_script_alone_needs_no_run_duration() {
        let text = format!("name = \"f\"\n{CLUSTER}\n[[failures.script]]\nat = \"1m\"\naction = \"fail\"\npool = \"spot\"\n");
        let scenario = Scenario::parse(&text, "f.toml").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(scenario.failures.script.len(), 1);
        assert!(!scenario.failures.is_unbounded());
    }

    #[test]
    fn random_models_need_a_run_duration() {
        let text = format!("name = \"f\"\n{CLUSTER}\n[[failures.crashes]]\nmtbf = \"1h\"\n");
        let line = text.lines().position(|l| l == "[[failures.crashes]]").unwrap() + 1;
        let d = diagnostics(&text);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].field.as_deref(), Some("simulation.duration"));
        assert!(d[0].message.contains(&format!("[[failures.crashes]] (line {line})")), "{}", d[0].message);
    }

    #[test]
    fn bad_reaction_overrides_are_located() {
        assert_rejected("[failures]\nprofile = \"nomad\"\n", "failures.profile", "profile", "known: kubernetes, swarm, mesos, borg");
        assert_rejected("[failures]\nbackoff_limit = -1\n", "failures.backoff_limit", "backoff_limit", "\"unlimited\"");
        assert_rejected("[failures]\nbackoff_limit = \"forever\"\n", "failures.backoff_limit", "backoff_limit", "\"unlimited\"");
        assert_rejected("[failures]\ndefault_toleration_seconds = -5\n", "failures.default_toleration_seconds", "toleration", "between 0");
        assert_rejected(
            "[failures]\nrestart_delay = \"1m\"\nmax_restart_delay = \"30s\"\n",
            "failures.max_restart_delay",
            "max_restart_delay",
            "at least restart_delay",
        );
    }

    #[test]
    fn model_times_need_exactly_one_positive_form() {
        let both = "[[failures.nodes]]\nmtbf = \"1d\"\ntime_to_failure = \"2d\"\nmttr = \"1h\"\n";
        assert_rejected(both, "failures.nodes[0].time_to_failure", "time_to_failure", "not both");
        assert_rejected("[[failures.nodes]]\nmtbf = \"1d\"\n", "failures.nodes[0]", "[[failures.nodes]]", "needs `mttr`");
        let zero = "[[failures.nodes]]\ntime_to_failure = \"0s\"\nmttr = \"1h\"\n";
        assert_rejected(zero, "failures.nodes[0].time_to_failure", "time_to_failure", "positive on average");
        let clamped = "[[failures.crashes]]\ntime_to_crash = { dist = \"exponential\", mean = \"1h\", max = \"0s\" }\n";
        assert_rejected(clamped, "failures.crashes[0].time_to_crash", "time_to_crash", "positive on average");
        assert_rejected("[[failures.spot]]\npool = \"spot\"\nmtbf = 0\n", "failures.spot[0].mtbf", "mtbf", "again and again");
        assert_rejected("[[failures.outages]]\nmtbf = \"1d\"\nduration = \"0s\"\n", "failures.outages[0].duration", "duration", "positive");
    }

    #[test]
    fn names_must_exist() {
        let pools = "[[failures.nodes]]\npools = [\"general\", \"gpus\"]\nmtbf = \"1d\"\nmttr = \"1h\"\n";
        assert_rejected(pools, "failures.nodes[0].pools[1]", "pools", "node groups: general, spot, gpu");
        let script = |target: &str| {
            format!(
                "[[failures.script]]\nat = \"1m\"\naction = \"fail\"\n\n[[failures.script]]\nat = \"2m\"\naction = \"fail\"\n{target}\n"
            )
        };
        assert_rejected(&script("node = \"general-4\""), "failures.script[1].node", "node =", "general-0 … general-3, spot-0 … spot-1");
        assert_rejected(&script("zone = \"d\""), "failures.script[1].zone", "zone =", "zones: a, b, c");
        assert_rejected(
            &script("label = { key = \"rack\", value = \"r9\" }"),
            "failures.script[1].label",
            "label =",
            "values of `rack`: r1",
        );
        assert_rejected(&script("pool = \"gpus\""), "failures.script[1].pool", "pool =", "no node group is named `gpus`");
        let outage = "[[failures.outages]]\nlabel = \"rack\"\nvalue = \"r2\"\nmtbf = \"1d\"\nduration = \"1h\"\n";
        assert_rejected(outage, "failures.outages[0].value", "value", "could never happen");
        assert_rejected(
            "[[failures.crashes]]\nworkload = \"api\"\nmtbf = \"1h\"\n",
            "failures.crashes[0].workload",
            "workload",
            "workloads: etl, web",
        );
        assert_rejected("[[failures.crashes]]\nimage = \"db:2\"\nmtbf = \"1h\"\n", "failures.crashes[0].image", "image", "images: web:1");
        let both = "[[failures.crashes]]\nworkload = \"web\"\nimage = \"web:1\"\nmtbf = \"1h\"\n";
        assert_rejected(both, "failures.crashes[0].image", "image", "not both");
        let twice = "[[failures.spot]]\npool = \"spot\"\nmtbf = \"1h\"\n\n[[failures.spot]]\npool = \"spot\"\nmtbf = \"2h\"\n";
        let line_of_second = "[[failures.spot]]\npool = \"spot\"\nmtbf = \"1h\"\n\n[[failures.spot]]\n".lines().count() + 1;
        let full = text(twice);
        let d = diagnostics(&full);
        let expected = full.lines().count() - twice.lines().count() + line_of_second;
        assert!(d.iter().any(|d| d.field.as_deref() == Some("failures.spot[1].pool") && d.line == Some(expected)), "{d:?}");
    }

    #[test]
    fn script_entries_are_checked() {
        let event = |rest: &str| format!("[[failures.script]]\nat = \"1m\"\n{rest}\n");
        assert_rejected(&event("action = \"fail\"\nnode = \"general-0\"\ncount = 2"), "failures.script[0].count", "count", "only `add`");
        assert_rejected(&event("action = \"add\"\npool = \"gpu\""), "failures.script[0].count", "[[failures.script]]", "needs count");
        assert_rejected(&event("action = \"add\"\ncount = 1"), "failures.script[0]", "[[failures.script]]", "needs `pool`");
        assert_rejected(
            &event("action = \"fail\"\nnode = \"general-0\"\npool = \"spot\""),
            "failures.script[0].pool",
            "pool",
            "only one of",
        );
        assert_rejected(&event("action = \"cordon\""), "failures.script[0]", "[[failures.script]]", "one of node, zone, label or pool");
        let undo = event("action = \"repair\"\npool = \"spot\"\nduration = \"5m\"");
        assert_rejected(&undo, "failures.script[0].duration", "duration", "not `repair`");
        let late = "[[failures.script]]\nat = \"2d\"\naction = \"fail\"\npool = \"spot\"\n";
        assert_rejected(late, "failures.script[0].at", "at =", "after the end of the run (86400s");
    }

    #[test]
    fn serde_errors_name_the_failures_field() {
        let full = text("[[failures.script]]\nat = \"1m\"\naction = \"explode\"\npool = \"spot\"\n");
        let d = diagnostics(&full);
        let line = full.lines().position(|l| l.contains("explode")).unwrap() + 1;
        assert_eq!((d[0].field.as_deref(), d[0].line), (Some("failures.script[0].action"), Some(line)), "{d:?}");
        assert!(d[0].message.contains("unknown variant `explode`"), "{}", d[0].message);
        let d = diagnostics(&text("[[failures.nodes]]\nmtbf = \"1d\"\nmtr = \"1h\"\n"));
        assert!(d[0].message.contains("unknown field `mtr`"), "{}", d[0].message);
    }
}
