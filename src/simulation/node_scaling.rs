//! Node pools in a run: the node autoscaler's scans, provisioning delays,
//! node drains and removals, and what the nodes cost.

use super::{SimError, Simulation};
use crate::engine::{stream_rng, SimRng, StreamId};
use crate::event::Event;
use crate::metrics::services::ScalingEvent;
use crate::metrics::PoolSample;
use crate::model::{Node, NodeId, PodPhase};
use crate::policy::autoscaler::{NodeAction, NodeScalingView, PoolView};
use crate::scenario::{NodeGroup, Scenario};
use crate::time::{SimDuration, SimTime};

/// One node group's state: nodes asked for, and node-time billed.
pub(super) struct PoolRuntime {
    pub(super) group: NodeGroup,
    /// An empty node of the pool, for the autoscaler's what-ifs.
    template: Node,
    /// Nodes asked for that have not joined (or failed) yet.
    pub(super) provisioning: u32,
    /// Nodes of the pool in service.
    pub(super) live: u32,
    /// Index of the next node's name (`pool-k`).
    next_index: u32,
    delay_rng: SimRng,
    /// Node-microseconds billed so far (nodes in service or provisioning).
    billed_us: u128,
    last: SimTime,
}

impl PoolRuntime {
    pub(super) fn new(scenario: &Scenario, gi: usize, seed: u64) -> Self {
        let group = scenario.node_groups[gi].clone();
        let template = group.node(gi as u32, 0, scenario.images.len(), SimTime::ZERO);
        PoolRuntime {
            template,
            provisioning: 0,
            live: group.count,
            next_index: group.count,
            // Provisioning delays have their own stream per pool, so a node
            // autoscaler's decisions never shift the workload's draws.
            delay_rng: stream_rng(seed, 0, StreamId::provisioning(gi as u32)),
            billed_us: 0,
            last: SimTime::ZERO,
            group,
        }
    }

    /// Bills the pool's nodes from the last change to `now`.
    fn advance(&mut self, now: SimTime) {
        let dt = now.saturating_since(self.last).as_micros() as u128;
        self.billed_us += dt * (self.live + self.provisioning) as u128;
        self.last = now;
    }

    /// Cost so far at `now`: node-hours × price.
    pub(super) fn cost(&self, now: SimTime) -> f64 {
        self.node_hours(now) * self.group.price_per_hour
    }

    /// The pool's row of `pools.csv` at `now`.
    pub(super) fn sample(&self, now: SimTime) -> PoolSample {
        PoolSample {
            time_s: now.as_secs_f64(),
            pool: self.group.name.clone(),
            nodes: u64::from(self.live),
            nodes_provisioning: u64::from(self.provisioning),
            cost: self.cost(now),
        }
    }

    /// Node-hours so far at `now`.
    pub(super) fn node_hours(&self, now: SimTime) -> f64 {
        let pending = now.saturating_since(self.last).as_micros() as u128 * (self.live + self.provisioning) as u128;
        (self.billed_us + pending) as f64 / 3.6e9
    }
}

impl Simulation {
    /// Schedules the node autoscaler's first scan.
    pub(super) fn start_node_autoscaler(&mut self) -> Result<(), SimError> {
        if let Some(a) = &self.node_autoscaler {
            let first = SimTime::ZERO + a.interval();
            self.push(first, Event::NodeScan)?;
        }
        Ok(())
    }

    /// Total cost of all pools at `now`.
    pub(super) fn cost(&self, now: SimTime) -> f64 {
        self.pools.iter().map(|p| p.cost(now)).sum()
    }

    /// One scan of the node autoscaler, and the application of its actions.
    pub(super) fn node_scan(&mut self, now: SimTime) -> Result<(), SimError> {
        let Some(mut autoscaler) = self.node_autoscaler.take() else { return Ok(()) };
        // A pending pod with a lifecycle event is waiting out a retry backoff
        // (its controller has not created the replacement yet): no node helps it.
        let unschedulable: Vec<_> = self
            .cluster
            .pods
            .iter()
            .filter(|p| p.phase == PodPhase::Pending && p.attempts > 0 && self.pod_events[p.id.index()].is_none())
            .map(|p| p.id)
            .collect();
        let pools: Vec<PoolView<'_>> = self
            .pools
            .iter()
            .map(|p| PoolView {
                name: &p.group.name,
                template: &p.template,
                min: p.group.min,
                max: p.group.max,
                price_per_hour: p.group.price_per_hour,
                priority: p.group.priority,
                nodes: p.live,
                provisioning: p.provisioning,
            })
            .collect();
        let view = NodeScalingView { now, cluster: &self.cluster, pools: &pools, unschedulable: &unschedulable };
        let mut actions = std::mem::take(&mut self.node_actions);
        actions.clear();
        autoscaler.scan(&view, &mut actions);
        let (policy, interval) = (autoscaler.name(), autoscaler.interval());
        self.node_autoscaler = Some(autoscaler);
        for &action in &actions {
            match action {
                NodeAction::Provision { pool, count, reason } => self.provision(pool as usize, count, reason, policy, now)?,
                NodeAction::Remove { node, reason } => self.remove_node(node, reason, policy, now)?,
            }
        }
        self.node_actions = actions;
        self.push(now + interval, Event::NodeScan)?;
        Ok(())
    }

    fn bad_scaling(policy: &'static str, why: String) -> SimError {
        SimError::BadScaling { policy, why }
    }

    pub(super) fn provision(&mut self, pool: usize, count: u32, reason: &str, policy: &'static str, now: SimTime) -> Result<(), SimError> {
        let max_time = self.max_provision_time;
        let Some(p) = self.pools.get_mut(pool) else {
            return Err(Self::bad_scaling(policy, format!("asked for nodes of pool {pool}, which does not exist")));
        };
        let from = p.live + p.provisioning;
        if count == 0 || from + count > p.group.max {
            return Err(Self::bad_scaling(
                policy,
                format!("asked for {count} nodes of `{}`, which has {from} of at most {}", p.group.name, p.group.max),
            ));
        }
        p.advance(now);
        p.provisioning += count;
        let mut joins = Vec::with_capacity(count as usize);
        for _ in 0..count {
            joins.push(SimDuration::from_micros(p.group.provisioning_delay.sample(&mut p.delay_rng)));
        }
        let name = p.group.name.clone();
        for delay in joins {
            // Cluster Autoscaler gives up on a node not registered within
            // `--max-node-provision-time`.
            if delay > max_time {
                self.push(now + max_time, Event::ProvisionFailed { pool: pool as u32 })?;
            } else {
                self.push(now + delay, Event::NodeJoined { pool: pool as u32 })?;
            }
        }
        self.scaling_events.push(ScalingEvent {
            time_s: now.as_secs_f64(),
            kind: "nodes".into(),
            target: name,
            from,
            to: from + count,
            policy: policy.to_string(),
            reason: reason.to_string(),
        });
        Ok(())
    }

    /// A provisioned node joins.
    pub(super) fn node_joined(&mut self, pool: usize, now: SimTime) -> Result<(), SimError> {
        let p = &mut self.pools[pool];
        p.advance(now);
        p.provisioning -= 1;
        let node = self.join_node(pool, now);
        self.arm_node(node, now)
    }

    /// A new node of `pool` joins at `now`: it is ready for pods, and pods
    /// that failed for lack of room are retried (kube-scheduler's NodeAdd event).
    pub(super) fn join_node(&mut self, pool: usize, now: SimTime) -> NodeId {
        let images = self.cluster.images.len();
        let p = &mut self.pools[pool];
        p.advance(now);
        p.live += 1;
        let node = p.group.node(pool as u32, p.next_index, images, now);
        p.next_index += 1;
        let id = self.cluster.add_node(node);
        self.queue.move_all(now);
        id
    }

    /// A provisioning that did not complete in time.
    pub(super) fn provision_failed(&mut self, pool: usize, now: SimTime) {
        let p = &mut self.pools[pool];
        p.advance(now);
        p.provisioning -= 1;
        let to = p.live + p.provisioning;
        self.scaling_events.push(ScalingEvent {
            time_s: now.as_secs_f64(),
            kind: "nodes".into(),
            target: p.group.name.clone(),
            from: to + 1,
            to,
            policy: String::new(),
            reason: "provisioning timed out".to_string(),
        });
    }

    /// Drains `node` and deletes it: service replicas are deleted (their
    /// controllers create replacements), batch pods go back to the queue with
    /// their work lost, as after an eviction.
    fn remove_node(&mut self, node: NodeId, reason: &str, policy: &'static str, now: SimTime) -> Result<(), SimError> {
        let Some(n) = self.cluster.nodes.get(node.index()).filter(|n| !n.removed) else {
            return Err(Self::bad_scaling(policy, format!("asked to remove node {}, which is not in service", node.0)));
        };
        let gi = n.group as usize;
        let (name, min) = (n.name.clone(), self.pools[gi].group.min);
        if self.pools[gi].live <= min {
            return Err(Self::bad_scaling(policy, format!("asked to remove {name}, below the minimum of {min} of its pool")));
        }
        let pods: Vec<_> = self.cluster.pods_on(node).to_vec();
        let mut services = Vec::new();
        for pod in pods {
            match self.service_of(pod) {
                Some(s) => {
                    self.delete_pod(pod, now);
                    services.push(s);
                }
                None => self.evict(pod, now),
            }
        }
        services.sort_unstable();
        services.dedup();
        for s in services {
            self.reconcile(s, now);
        }
        self.retire_node(node, reason, policy, now);
        Ok(())
    }

    /// Takes an empty node out of its pool and the cluster, and records it.
    pub(super) fn retire_node(&mut self, node: NodeId, reason: &str, policy: &'static str, now: SimTime) {
        let n = self.cluster.node(node);
        let (gi, name) = (n.group as usize, n.name.clone());
        if let Some(since) = n.down_since {
            self.failures.totals.node_down_us += now.saturating_since(since).as_micros() as u128;
        }
        let p = &mut self.pools[gi];
        p.advance(now);
        p.live -= 1;
        let from = p.live + p.provisioning + 1;
        self.cluster.remove_node(node, now);
        self.scaling_events.push(ScalingEvent {
            time_s: now.as_secs_f64(),
            kind: "nodes".into(),
            target: name,
            from,
            to: from - 1,
            policy: policy.to_string(),
            reason: reason.to_string(),
        });
    }
}
