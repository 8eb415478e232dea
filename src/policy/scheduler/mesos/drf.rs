//! Dominant Resource Fairness (Ghodsi et al., NSDI'11), as Mesos' DRF sorter
//! computes it (`src/master/allocator/mesos/sorter/drf/sorter.cpp`).

use std::cmp::Ordering;

use crate::model::Resources;

/// A client's dominant share: the largest fraction of any resource of the
/// cluster it holds, divided by its weight (`share = max_r(alloc_r/total_r) /
/// weight`). Resources the cluster lacks (GPUs on a CPU-only cluster) do not
/// count.
pub fn dominant_share(allocated: &Resources, total: &Resources, weight: f64) -> f64 {
    let fraction = |a: u64, t: u64| if t == 0 { 0.0 } else { a as f64 / t as f64 };
    let share = fraction(allocated.cpu_milli, total.cpu_milli)
        .max(fraction(allocated.memory_bytes, total.memory_bytes))
        .max(fraction(allocated.gpu, total.gpu));
    share / weight
}

/// The DRF sorter's order (`sorter.hpp` `compareDRF`): lower weighted
/// dominant share first, then fewer allocations (offers) received, then name.
pub fn compare((share_a, count_a, name_a): (f64, u64, &str), (share_b, count_b, name_b): (f64, u64, &str)) -> Ordering {
    share_a.total_cmp(&share_b).then(count_a.cmp(&count_b)).then_with(|| name_a.cmp(name_b))
}

/// One client of a [`Sorter`].
#[derive(Clone, Debug)]
struct Client {
    name: String,
    weight: f64,
    allocated: Resources,
    /// Allocations received (`allocation.count`): never reset by
    /// `unallocated` or deactivation.
    count: u64,
    active: bool,
}

/// Mesos' DRF sorter (`src/master/allocator/mesos/sorter/drf/sorter.cpp`)
/// over flat clients: the order `mesos-drf` offers agents in, with the
/// sorter's own verbs so that upstream's `sorter_tests.cpp` read as they are.
/// Role hierarchies, shared and revocable resources are not modelled.
#[derive(Clone, Debug, Default)]
pub struct Sorter {
    total: Resources,
    clients: Vec<Client>,
}

impl Sorter {
    /// An empty sorter over no agents.
    pub fn new() -> Self {
        Sorter::default()
    }

    /// `addSlave`: an agent's resources join the total.
    pub fn add_agent(&mut self, total: Resources) {
        self.total += total;
    }

    /// `removeSlave`: an agent's resources leave the total.
    pub fn remove_agent(&mut self, total: Resources) {
        self.total = self.total.saturating_sub(&total);
    }

    fn client(&mut self, name: &str) -> &mut Client {
        let i = self.clients.iter().position(|c| c.name == name).unwrap_or_else(|| {
            self.clients.push(Client { name: name.to_string(), weight: 1.0, allocated: Resources::ZERO, count: 0, active: false });
            self.clients.len() - 1
        });
        &mut self.clients[i]
    }

    /// `add`: a client, inactive until [`activate`](Self::activate)d.
    pub fn add(&mut self, name: &str) {
        self.client(name);
    }

    /// `remove`: forgets a client.
    pub fn remove(&mut self, name: &str) {
        self.clients.retain(|c| c.name != name);
    }

    /// `activate`: the client is sorted again.
    pub fn activate(&mut self, name: &str) {
        self.client(name).active = true;
    }

    /// `deactivate`: the client is left out of [`sort`](Self::sort) but keeps
    /// its allocation and count.
    pub fn deactivate(&mut self, name: &str) {
        self.client(name).active = false;
    }

    /// `updateWeight`: the share is divided by `weight`.
    pub fn update_weight(&mut self, name: &str, weight: f64) {
        self.client(name).weight = weight;
    }

    /// `allocated`: the client holds `resources` more; one more allocation.
    pub fn allocated(&mut self, name: &str, resources: Resources) {
        let c = self.client(name);
        c.allocated += resources;
        c.count += 1;
    }

    /// `unallocated`: the client holds `resources` less; the count stays.
    pub fn unallocated(&mut self, name: &str, resources: Resources) {
        let c = self.client(name);
        c.allocated = c.allocated.saturating_sub(&resources);
    }

    /// `update`: an allocation of `old` becomes `new` (not a new allocation).
    pub fn update(&mut self, name: &str, old: Resources, new: Resources) {
        let c = self.client(name);
        c.allocated = c.allocated.saturating_sub(&old) + new;
    }

    /// A client's weighted dominant share.
    pub fn share(&self, name: &str) -> Option<f64> {
        self.clients.iter().find(|c| c.name == name).map(|c| dominant_share(&c.allocated, &self.total, c.weight))
    }

    /// `sort`: the active clients in DRF order ([`compare`]).
    pub fn sort(&self) -> Vec<&str> {
        let mut active: Vec<(f64, u64, &str)> = self
            .clients
            .iter()
            .filter(|c| c.active)
            .map(|c| (dominant_share(&c.allocated, &self.total, c.weight), c.count, c.name.as_str()))
            .collect();
        active.sort_by(|&a, &b| compare(a, b));
        active.into_iter().map(|(_, _, name)| name).collect()
    }
}

/// Progressive filling (the paper's Algorithm 1) over one pooled cluster of
/// `total`: repeatedly launch one task for the user with the lowest weighted
/// dominant share (ties to the lower index, as the sorter's name order) until
/// no user's next task fits. Users whose task no longer fits are passed over
/// rather than ending the loop, so users with small tasks keep filling; for
/// the paper's example both readings agree. Returns tasks per user.
pub fn progressive_filling(total: Resources, demands: &[Resources], weights: &[f64]) -> Vec<u32> {
    let mut tasks = vec![0u32; demands.len()];
    let mut allocated = vec![Resources::ZERO; demands.len()];
    let mut consumed = Resources::ZERO;
    let mut saturated = vec![false; demands.len()];
    loop {
        let next = (0..demands.len()).filter(|&i| !saturated[i]).min_by(|&a, &b| {
            dominant_share(&allocated[a], &total, weights[a]).total_cmp(&dominant_share(&allocated[b], &total, weights[b]))
        });
        let Some(i) = next else { return tasks };
        let after = consumed + demands[i];
        if demands[i] == Resources::ZERO || !after.fits_in(&total) {
            saturated[i] = true;
            continue;
        }
        consumed = after;
        allocated[i] += demands[i];
        tasks[i] += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GB: u64 = 1 << 30;

    fn res(cpu: u64, gb: u64) -> Resources {
        Resources { cpu_milli: cpu * 1000, memory_bytes: gb * GB, gpu: 0 }
    }

    /// semantics.md §7, the DRF paper's example: ⟨9 CPU, 18 GB⟩; A's tasks
    /// ⟨1 CPU, 4 GB⟩, B's ⟨3 CPU, 1 GB⟩ → A = 3 tasks, B = 2, both dominant
    /// shares 2/3.
    #[test]
    fn paper_example() {
        let total = res(9, 18);
        let (a, b) = (res(1, 4), res(3, 1));
        assert_eq!(progressive_filling(total, &[a, b], &[1.0, 1.0]), vec![3, 2]);
        assert!((dominant_share(&res(3, 12), &total, 1.0) - 2.0 / 3.0).abs() < 1e-12);
        assert!((dominant_share(&res(6, 2), &total, 1.0) - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn weights_divide_shares() {
        let total = res(10, 10);
        assert!((dominant_share(&res(5, 1), &total, 2.0) - 0.25).abs() < 1e-12);
        // With weight 2, B may hold twice A's dominant share. One-CPU tasks on 10
        // CPUs: whenever the weighted shares tie, A (the lower index) goes
        // first, so the last CPU goes to A: 4 and 6 (weighted shares 0.4, 0.3).
        assert_eq!(progressive_filling(total, &[res(1, 1), res(1, 1)], &[1.0, 2.0]), vec![4, 6]);
    }

    #[test]
    fn a_user_that_no_longer_fits_does_not_stop_the_others() {
        // A's big task fits once; B's small ones fill the rest.
        let total = res(10, 10);
        assert_eq!(progressive_filling(total, &[res(6, 1), res(1, 1)], &[1.0, 1.0]), vec![1, 4]);
    }
}
