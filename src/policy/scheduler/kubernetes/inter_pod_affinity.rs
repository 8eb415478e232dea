//! InterPodAffinity (semantics.md §1; upstream `interpodaffinity/filtering.go`
//! and `scoring.go`) for pod affinity and anti-affinity terms on workload
//! classes, including the *symmetric* rules: terms carried by pods already
//! bound constrain and steer the incoming pod too, even one without terms.
//!
//! **Filter** (three counts, as upstream's PreFilter state):
//! * *Existing anti-affinity*: a bound pod whose required anti-affinity term
//!   selects the incoming pod bars it from every node of the bound pod's
//!   domain (`existingAntiAffinityCounts`).
//! * *Required affinity*: the node must carry every term's `topology_key`, and
//!   each term's domain must hold a pod matching **all** the terms. If no
//!   bound pod matches them all and the pod matches its own terms, it may
//!   start the group on any node carrying the keys (`satisfyPodAffinity`).
//! * *Required anti-affinity*: no pod selected by a term in the node's domain;
//!   nodes without the key pass.
//!
//! **Score** (PreScore): per topology domain, the incoming pod's preferred
//! terms add (affinity) or subtract (anti-affinity) their weight for every
//! bound pod they select; bound pods' preferred terms that select the incoming
//! pod do the same; bound pods' *required* affinity terms that select it add
//! `hardPodAffinityWeight` (0 turns that off). Raw scores are normalized
//! `int(100·((s − min)/(max − min)))` in floating point, with the actual
//! minimum and maximum over the feasible nodes, as current upstream (all
//! equal → 0; an older release seeded both at 0). With nothing counted the
//! plugin skips scoring.
//!
//! Pods with terms are rare; the common cluster has none. Each class's pods,
//! and which classes carry terms, are learned once per submitted pod: a cycle
//! in a cluster where no bound pod has terms costs one look-up per carrying
//! class, and otherwise visits only the pods of the classes that carry terms
//! or that the pod's own terms select.

use crate::model::affinity::AffinitySelector;
use crate::model::{Cluster, Node, Pod, PodId};
use crate::policy::scheduler::ClusterView;

/// Whether `target` is among the pods that `selector`, on a term carried by
/// `owner`, picks: selectors are relative to the term's owner.
pub fn selects(selector: AffinitySelector, owner: &Pod, target: &Pod) -> bool {
    match selector {
        AffinitySelector::Workload => target.workload == owner.workload,
        AffinitySelector::Job => target.workload == owner.workload && target.job == owner.job,
        AffinitySelector::Class(class) => target.workload == class,
    }
}

/// A number per domain of one topology key (a `topologyPair` count map
/// restricted to one key). Domains are few, so a sorted vector beats a map.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct KeyCounts {
    key: String,
    /// (label value, count), sorted by value.
    domains: Vec<(String, i64)>,
}

impl KeyCounts {
    fn new(key: &str) -> Self {
        KeyCounts { key: key.to_string(), domains: Vec::new() }
    }

    /// Adds `n` to the domain of `node`, if it carries the key.
    fn add(&mut self, node: &Node, n: i64) {
        let Some(value) = node.labels.get(&self.key) else { return };
        match self.domains.binary_search_by(|(v, _)| v.as_str().cmp(value)) {
            Ok(i) => self.domains[i].1 += n,
            Err(i) => self.domains.insert(i, (value.clone(), n)),
        }
    }

    /// The count of `node`'s domain; `None` if the node lacks the key.
    fn at(&self, node: &Node) -> Option<i64> {
        let value = node.labels.get(&self.key)?;
        Some(self.domains.binary_search_by(|(v, _)| v.as_str().cmp(value)).map_or(0, |i| self.domains[i].1))
    }

    fn is_empty(&self) -> bool {
        self.domains.is_empty()
    }
}

/// Adds `n` at `node`'s domain of `key` in a list keyed by topology key,
/// creating the key's entry only when the node carries it (so an empty list
/// means nothing was counted, as upstream's empty maps).
fn add_keyed(list: &mut Vec<KeyCounts>, key: &str, node: &Node, n: i64) {
    if !node.labels.contains_key(key) {
        return;
    }
    match list.iter_mut().find(|c| c.key == key) {
        Some(c) => c.add(node, n),
        None => {
            let mut c = KeyCounts::new(key);
            c.add(node, n);
            list.push(c);
        }
    }
}

/// The cluster's pods by workload class, and which classes carry pod
/// (anti-)affinity terms, learned from the cluster's pod table: each
/// submitted pod is looked at once. Every selector picks pods of one class,
/// so a cycle visits the pods of the classes that matter, not every bound pod
/// (upstream likewise visits only nodes with pods with affinity for the
/// symmetric rules).
#[derive(Clone, Debug, Default)]
struct Classes {
    /// Pods of the table already looked at.
    seen: usize,
    /// Per class: its pods, less those seen finished (dropped lazily).
    pods: Vec<Vec<PodId>>,
    /// Classes with any term, sorted.
    carriers: Vec<u32>,
}

impl Classes {
    fn observe(&mut self, cluster: &Cluster) {
        if cluster.pods.len() < self.seen {
            // Another cluster than last time (unit tests): start over.
            *self = Classes::default();
        }
        for pod in &cluster.pods[self.seen..] {
            let w = pod.workload as usize;
            if self.pods.len() <= w {
                self.pods.resize_with(w + 1, Vec::new);
            }
            self.pods[w].push(pod.id);
            if pod.placement.has_pod_terms() {
                insert_sorted(&mut self.carriers, pod.workload);
            }
        }
        self.seen = cluster.pods.len();
    }

    /// The bound pods of `class` with their nodes, after dropping the
    /// finished ones from its list (pending pods stay: they may bind later).
    fn bound<'s, 'c>(&'s mut self, class: u32, cluster: &'c Cluster) -> impl Iterator<Item = (&'c Pod, &'c Node)> + use<'s, 'c> {
        let list = self.pods.get_mut(class as usize).map(|list| {
            list.retain(|&q| !cluster.pod(q).phase.is_final());
            &*list
        });
        list.into_iter().flatten().filter_map(|&q| {
            let pod = cluster.pod(q);
            pod.node.map(|n| (pod, cluster.node(n)))
        })
    }
}

fn insert_sorted(classes: &mut Vec<u32>, class: u32) {
    if let Err(i) = classes.binary_search(&class) {
        classes.insert(i, class);
    }
}

/// Whether any pod of `classes` is bound now.
fn any_bound(classes: &[u32], cluster: &Cluster) -> bool {
    classes.iter().any(|&w| cluster.usage(w).bound > 0)
}

/// The classes `pod`'s own terms select, sorted and deduplicated.
fn selected_classes(pod: &Pod) -> Vec<u32> {
    let (a, n) = (&pod.placement.pod_affinity, &pod.placement.pod_anti_affinity);
    let selectors =
        a.required.iter().chain(&n.required).map(|t| t.selector).chain(a.preferred.iter().chain(&n.preferred).map(|t| t.selector));
    let mut classes: Vec<u32> = selectors
        .map(|s| match s {
            AffinitySelector::Workload | AffinitySelector::Job => pod.workload,
            AffinitySelector::Class(c) => c,
        })
        .collect();
    classes.sort_unstable();
    classes.dedup();
    classes
}

/// The per-attempt counts of the pod being scheduled (upstream's PreFilter
/// and PreScore state).
#[derive(Clone, Debug, Default)]
struct Counts {
    /// Per required affinity term of the pod: bound pods matching *all* the
    /// terms, per domain of the term's key.
    affinity: Vec<KeyCounts>,
    /// Whether the pod may start its group: no bound pod matches all its
    /// required affinity terms, and the pod matches them itself.
    first_of_group: bool,
    /// Per required anti-affinity term of the pod: bound pods it selects.
    anti: Vec<KeyCounts>,
    /// Per topology key: bound pods whose required anti-affinity selects the pod.
    existing_anti: Vec<KeyCounts>,
    /// Per topology key: the signed weights of the score.
    score: Vec<KeyCounts>,
}

impl Counts {
    fn clear(&mut self) {
        self.affinity.clear();
        self.anti.clear();
        self.existing_anti.clear();
        self.score.clear();
        self.first_of_group = false;
    }

    /// The incoming pod's terms against one bound pod.
    fn count_incoming_terms(&mut self, pod: &Pod, existing: &Pod, node: &Node) {
        let p = &pod.placement;
        let required = &p.pod_affinity.required;
        // Upstream counts a pod for the affinity terms only if it matches all of them.
        if !required.is_empty() && required.iter().all(|t| selects(t.selector, pod, existing)) {
            self.affinity.iter_mut().for_each(|c| c.add(node, 1));
        }
        for (c, t) in self.anti.iter_mut().zip(&p.pod_anti_affinity.required) {
            if selects(t.selector, pod, existing) {
                c.add(node, 1);
            }
        }
        for (terms, sign) in [(&p.pod_affinity.preferred, 1), (&p.pod_anti_affinity.preferred, -1)] {
            for t in terms.iter().filter(|t| selects(t.selector, pod, existing)) {
                add_keyed(&mut self.score, &t.topology_key, node, sign * t.weight);
            }
        }
    }

    /// One bound pod's terms against the incoming pod (the symmetric rules).
    fn count_existing_terms(&mut self, pod: &Pod, existing: &Pod, node: &Node, hard_pod_affinity_weight: i64) {
        let e = &existing.placement;
        for t in e.pod_anti_affinity.required.iter().filter(|t| selects(t.selector, existing, pod)) {
            add_keyed(&mut self.existing_anti, &t.topology_key, node, 1);
        }
        if hard_pod_affinity_weight > 0 {
            for t in e.pod_affinity.required.iter().filter(|t| selects(t.selector, existing, pod)) {
                add_keyed(&mut self.score, &t.topology_key, node, hard_pod_affinity_weight);
            }
        }
        for (terms, sign) in [(&e.pod_affinity.preferred, 1), (&e.pod_anti_affinity.preferred, -1)] {
            for t in terms.iter().filter(|t| selects(t.selector, existing, pod)) {
                add_keyed(&mut self.score, &t.topology_key, node, sign * t.weight);
            }
        }
    }
}

/// InterPodAffinity's state: the cluster's pods by class (kept across
/// cycles) and the per-attempt counts of the pod being scheduled.
#[derive(Clone, Debug, Default)]
pub struct AffinityState {
    classes: Classes,
    counts: Counts,
}

impl AffinityState {
    /// PreFilter and PreScore for `pod`: counts what its terms select among
    /// the bound pods, and what bound pods' terms say about it. Returns
    /// whether the filter has anything to check.
    pub fn compute(&mut self, pod: &Pod, view: &ClusterView<'_>, hard_pod_affinity_weight: i64) -> bool {
        let cluster = view.cluster();
        let Self { classes, counts } = self;
        classes.observe(cluster);
        counts.clear();
        let p = &pod.placement;
        let own = p.has_pod_terms();
        if !own && !any_bound(&classes.carriers, cluster) {
            return false;
        }
        counts.affinity.extend(p.pod_affinity.required.iter().map(|t| KeyCounts::new(&t.topology_key)));
        counts.anti.extend(p.pod_anti_affinity.required.iter().map(|t| KeyCounts::new(&t.topology_key)));
        if own {
            for class in selected_classes(pod) {
                classes.bound(class, cluster).for_each(|(existing, node)| counts.count_incoming_terms(pod, existing, node));
            }
        }
        for class in classes.carriers.clone() {
            classes
                .bound(class, cluster)
                .for_each(|(existing, node)| counts.count_existing_terms(pod, existing, node, hard_pod_affinity_weight));
        }
        let required = &p.pod_affinity.required;
        counts.first_of_group = counts.affinity.iter().all(KeyCounts::is_empty)
            && !required.is_empty()
            && required.iter().all(|t| selects(t.selector, pod, pod));
        !counts.affinity.is_empty() || !counts.anti.is_empty() || !counts.existing_anti.is_empty()
    }

    /// The filter on `node`: the pod's required affinity and anti-affinity,
    /// and bound pods' required anti-affinity. Cold and not inlined: most
    /// clusters have no terms, and the per-node filter loop of `schedule`
    /// stays tightest without this code in it.
    #[cold]
    #[inline(never)]
    pub fn allows(&self, node: &Node) -> bool {
        self.satisfies_affinity(node) && self.satisfies_anti_affinity(node) && self.satisfies_existing_anti_affinity(node)
    }

    /// `satisfyPodAffinity`: every term's key on the node, and a matching pod
    /// in every term's domain, unless the pod may start its group.
    fn satisfies_affinity(&self, node: &Node) -> bool {
        let mut pods_exist = true;
        for c in &self.counts.affinity {
            match c.at(node) {
                None => return false,
                Some(n) if n <= 0 => pods_exist = false,
                Some(_) => {}
            }
        }
        pods_exist || self.counts.first_of_group
    }

    /// `satisfyPodAntiAffinity`: no selected pod in any term's domain.
    fn satisfies_anti_affinity(&self, node: &Node) -> bool {
        self.counts.anti.iter().all(|c| c.at(node).unwrap_or(0) <= 0)
    }

    /// `satisfyExistingPodsAntiAffinity`: no bound pod that rejects the pod
    /// in any of the node's domains.
    fn satisfies_existing_anti_affinity(&self, node: &Node) -> bool {
        self.counts.existing_anti.iter().all(|c| c.at(node).unwrap_or(0) <= 0)
    }

    /// Whether anything was counted for the score; without it the plugin
    /// skips scoring (PreScore's Skip), as upstream.
    pub fn scores(&self) -> bool {
        !self.counts.score.is_empty()
    }

    /// Raw score: the summed signed weights of the node's domains.
    pub fn raw_score(&self, node: &Node) -> i64 {
        self.counts.score.iter().map(|c| c.at(node).unwrap_or(0)).sum()
    }
}

/// NormalizeScore: `int(100·((s − min)/(max − min)))` with `min` and `max`
/// the actual extremes of the feasible nodes' scores, as current upstream
/// (`interpodaffinity/scoring.go`; an older release seeded both at 0), in
/// floating point (so 29/100 gives 28); 0 when all scores are equal.
pub fn normalize(s: i64, min: i64, max: i64) -> i64 {
    if max == min {
        0
    } else {
        (super::MAX_NODE_SCORE as f64 * ((s - min) as f64 / (max - min) as f64)) as i64
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::affinity::{NodePlacement, PodAffinity, PodAffinityTerm, WeightedPodAffinityTerm};
    use crate::model::pod::tests_support::pod;
    use crate::model::NodeId;
    use crate::time::SimTime;

    const HOST: &str = "kubernetes.io/hostname";
    const ZONE: &str = "topology.kubernetes.io/zone";

    /// Nodes `n-i` with hostname labels and the given zones (`None`: no zone label).
    fn cluster(zones: &[Option<&str>]) -> Cluster {
        let nodes = zones
            .iter()
            .enumerate()
            .map(|(i, z)| {
                let mut n = crate::model::node::tests_support::node(4000, 8 << 30);
                n.labels.insert(HOST.into(), format!("n-{i}"));
                if let Some(z) = z {
                    n.labels.insert(ZONE.into(), z.to_string());
                }
                n
            })
            .collect();
        let image = crate::model::ImageSpec { name: "a:1".into(), size_bytes: 1 };
        Cluster::new(nodes, vec![image.clone(), image])
    }

    fn term(key: &str, selector: AffinitySelector) -> PodAffinityTerm {
        PodAffinityTerm { topology_key: key.into(), selector }
    }

    fn weighted(weight: i64, key: &str, selector: AffinitySelector) -> WeightedPodAffinityTerm {
        WeightedPodAffinityTerm { weight, topology_key: key.into(), selector }
    }

    /// A pod of `class` and `job` with `affinity` and `anti` terms.
    fn pod_of(class: u32, job: u32, affinity: PodAffinity, anti: PodAffinity) -> Pod {
        let mut p = pod(0, 100, 1 << 20);
        p.workload = class;
        p.job = job;
        p.placement = Arc::new(NodePlacement { pod_affinity: affinity, pod_anti_affinity: anti, ..Default::default() });
        p
    }

    fn plain(class: u32) -> Pod {
        pod_of(class, 0, PodAffinity::default(), PodAffinity::default())
    }

    fn required(terms: Vec<PodAffinityTerm>) -> PodAffinity {
        PodAffinity { required: terms, preferred: vec![] }
    }

    fn preferred(terms: Vec<WeightedPodAffinityTerm>) -> PodAffinity {
        PodAffinity { required: vec![], preferred: terms }
    }

    /// Submits and binds `pod` to node `node`.
    fn bind(c: &mut Cluster, mut pod: Pod, node: u32) {
        pod.id = PodId(c.pods.len() as u32);
        let id = c.submit(pod);
        c.bind(id, NodeId(node), SimTime::ZERO);
    }

    /// The filter's verdict on every node for `incoming`, computed with `s`.
    fn verdicts(s: &mut AffinityState, c: &Cluster, incoming: &Pod, hard_weight: i64) -> Vec<bool> {
        let filters = s.compute(incoming, &ClusterView::new(c, SimTime::ZERO), hard_weight);
        c.nodes.iter().map(|n| !filters || s.allows(n)).collect()
    }

    /// The filter's verdict and the raw score on every node for `incoming`,
    /// computed by a fresh state.
    fn judge(c: &Cluster, incoming: &Pod, hard_weight: i64) -> (Vec<bool>, Vec<i64>, AffinityState) {
        let mut s = AffinityState::default();
        let allowed = verdicts(&mut s, c, incoming, hard_weight);
        let raw = c.nodes.iter().map(|n| s.raw_score(n)).collect();
        (allowed, raw, s)
    }

    #[test]
    fn normalization_uses_the_actual_extremes_and_truncates_like_upstream() {
        // Anti-affinity only: scores ≤ 0 map to 0…100 with 0 → 100.
        assert_eq!([-10, -5, 0].map(|s| normalize(s, -10, 0)), [0, 50, 100]);
        // Affinity only: 0…20 → 0…100.
        assert_eq!([0, 5, 20].map(|s| normalize(s, 0, 20)), [0, 25, 100]);
        // Current upstream takes the actual minimum: positive-only scores 10
        // and 20 map to 0 and 100 (seeded at 0, an older release gave 50).
        assert_eq!([10, 20].map(|s| normalize(s, 10, 20)), [0, 100]);
        // All equal, even when not 0: every node 0.
        assert_eq!([7, 7].map(|s| normalize(s, 7, 7)), [0, 0]);
        assert_eq!(normalize(0, 0, 0), 0);
        // float64(100) * (29.0/100.0) = 28.999999999999996, truncated to 28
        // (integer arithmetic would give 29).
        assert_eq!(normalize(29, 0, 100), 28);
    }

    #[test]
    fn existing_required_anti_affinity_bars_a_pod_without_terms_from_its_domain() {
        // Class 0 on n-0 (zone a) refuses class 1 in its zone. Class 1 has no
        // terms: upstream's existingAntiAffinityCounts still keep it out of
        // zone a (n-0, n-1); zone b and a node without the zone key are fine.
        let mut c = cluster(&[Some("a"), Some("a"), Some("b"), None]);
        let anti = required(vec![term(ZONE, AffinitySelector::Class(1))]);
        bind(&mut c, pod_of(0, 0, PodAffinity::default(), anti), 0);
        let (allowed, _, s) = judge(&c, &plain(1), 1);
        assert_eq!(allowed, [false, false, true, true]);
        assert!(!s.scores(), "required anti-affinity does not score");
        // A class the term does not select is not affected.
        assert_eq!(judge(&c, &plain(2), 1).0, [true; 4]);
    }

    #[test]
    fn existing_job_anti_affinity_selects_only_its_own_job() {
        // Hostname anti-affinity within a job, seen from a pod of the same
        // class: same job → barred from the node; another job → not.
        let mut c = cluster(&[Some("a"), Some("a")]);
        let anti = || required(vec![term(HOST, AffinitySelector::Job)]);
        bind(&mut c, pod_of(0, 7, PodAffinity::default(), anti()), 0);
        assert_eq!(judge(&c, &pod_of(0, 7, PodAffinity::default(), anti()), 1).0, [false, true]);
        assert_eq!(judge(&c, &pod_of(0, 8, PodAffinity::default(), anti()), 1).0, [true, true]);
    }

    #[test]
    fn required_affinity_needs_one_pod_matching_all_terms() {
        // Terms: zone with class 1, hostname with the pod's own class (0). A
        // class-1 pod on n-0 and a class-0 pod on n-1 share zone a, but
        // neither matches both terms, so upstream's affinity counts stay
        // empty; the pod does not match its own first term, so it cannot
        // start the group either: no node passes (counting each term on its
        // own would let n-1 pass).
        let mut c = cluster(&[Some("a"), Some("a"), Some("b")]);
        bind(&mut c, plain(1), 0);
        bind(&mut c, plain(0), 1);
        let mixed = required(vec![term(ZONE, AffinitySelector::Class(1)), term(HOST, AffinitySelector::Workload)]);
        assert_eq!(judge(&c, &pod_of(0, 0, mixed, PodAffinity::default()), 1).0, [false, false, false]);
        // Both terms selecting class 1: the pod on n-0 matches both, so a
        // node passes where both domains hold it: n-0 only (n-1 shares the
        // zone but not the host).
        let both = required(vec![term(ZONE, AffinitySelector::Class(1)), term(HOST, AffinitySelector::Class(1))]);
        assert_eq!(judge(&c, &pod_of(0, 0, both, PodAffinity::default()), 1).0, [true, false, false]);
    }

    #[test]
    fn the_first_pod_of_a_self_affine_group_goes_where_the_key_exists() {
        // No pod of the class runs yet and the pod matches its own term: any
        // node carrying the key passes; a node without it does not.
        let c = cluster(&[Some("a"), Some("b"), None]);
        let own = pod_of(0, 0, required(vec![term(ZONE, AffinitySelector::Workload)]), PodAffinity::default());
        assert_eq!(judge(&c, &own, 1).0, [true, true, false]);
        // A term selecting another class: the pod does not match it, so
        // without such pods it can go nowhere.
        let other = pod_of(0, 0, required(vec![term(ZONE, AffinitySelector::Class(1))]), PodAffinity::default());
        assert_eq!(judge(&c, &other, 1).0, [false, false, false]);
        // Once a pod of the class runs in zone b, only zone b.
        let mut c = c;
        bind(&mut c, plain(0), 1);
        assert_eq!(judge(&c, &own, 1).0, [false, true, false]);
    }

    #[test]
    fn required_anti_affinity_of_the_pod_skips_nodes_without_the_key() {
        let mut c = cluster(&[Some("a"), Some("b"), None]);
        bind(&mut c, plain(1), 0);
        let incoming = pod_of(0, 0, PodAffinity::default(), required(vec![term(ZONE, AffinitySelector::Class(1))]));
        assert_eq!(judge(&c, &incoming, 1).0, [false, true, true]);
    }

    #[test]
    fn existing_required_affinity_attracts_with_hard_pod_affinity_weight() {
        // Upstream scoring_test "Affinity symmetry: considered
        // RequiredDuringSchedulingIgnoredDuringExecution": pods on machine1
        // (region China) and machine2 (India) require the incoming pod's
        // label in their region; machine3 has no region label. Scores:
        // 100, 100, 0.
        let mut c = cluster(&[Some("china"), Some("india"), None]);
        let hard = || required(vec![term(ZONE, AffinitySelector::Class(1))]);
        bind(&mut c, pod_of(0, 0, hard(), PodAffinity::default()), 0);
        bind(&mut c, pod_of(2, 0, hard(), PodAffinity::default()), 1);
        let (allowed, raw, s) = judge(&c, &plain(1), 1);
        assert_eq!(allowed, [true; 3], "existing required affinity never filters");
        assert_eq!(raw, [1, 1, 0]);
        assert!(s.scores());
        assert_eq!(normalized(&raw), [100, 100, 0]);
        // The weight scales the raw score; 0 turns the rule off (Skip).
        assert_eq!(judge(&c, &plain(1), 7).1, [7, 7, 0]);
        let (_, raw, s) = judge(&c, &plain(1), 0);
        assert_eq!((raw, s.scores()), (vec![0, 0, 0], false));
    }

    #[test]
    fn existing_preferred_terms_score_the_incoming_pod() {
        // Upstream "Affinity symmetry: considered only the
        // preferredDuringSchedulingIgnoredDuringExecution": the pod on
        // machine1 prefers S1 pods in its region, the one on machine2 prefers
        // S2 pods; the incoming pod is S2 → 0, 100, 0.
        let mut c = cluster(&[Some("china"), Some("india"), Some("az1")]);
        bind(&mut c, pod_of(0, 0, preferred(vec![weighted(5, ZONE, AffinitySelector::Class(0))]), PodAffinity::default()), 0);
        bind(&mut c, pod_of(1, 0, preferred(vec![weighted(5, ZONE, AffinitySelector::Class(1))]), PodAffinity::default()), 1);
        let (_, raw, _) = judge(&c, &plain(1), 1);
        assert_eq!(raw, [0, 5, 0]);
        assert_eq!(normalized(&raw), [0, 100, 0]);
        // Preferred anti-affinity of a bound pod subtracts: −20 on its host.
        bind(&mut c, pod_of(2, 0, PodAffinity::default(), preferred(vec![weighted(20, HOST, AffinitySelector::Class(1))])), 2);
        let (_, raw, _) = judge(&c, &plain(1), 1);
        assert_eq!(raw, [0, 5, -20]);
        // min −20, max 5: (s + 20)·100/25 → 80, 100, 0.
        assert_eq!(normalized(&raw), [80, 100, 0]);
    }

    #[test]
    fn incoming_and_existing_preferred_terms_add_up() {
        // Self-affine class: the incoming pod's term (+10 per selected pod)
        // and the bound pod's identical term selecting the incoming pod (+10)
        // both count, as upstream's PreScore processes both.
        let mut c = cluster(&[Some("a"), Some("b")]);
        let soft = || preferred(vec![weighted(10, ZONE, AffinitySelector::Workload)]);
        bind(&mut c, pod_of(0, 0, soft(), PodAffinity::default()), 0);
        assert_eq!(judge(&c, &pod_of(0, 0, soft(), PodAffinity::default()), 1).1, [20, 0]);
        // A pod of another class without terms sees neither.
        let (_, raw, s) = judge(&c, &plain(1), 1);
        assert_eq!((raw, s.scores()), (vec![0, 0], false));
    }

    #[test]
    fn carriers_are_learned_once_and_gate_the_work() {
        let mut c = cluster(&[Some("a"), Some("b")]);
        let view = ClusterView::new(&c, SimTime::ZERO);
        let mut s = AffinityState::default();
        assert!(!s.compute(&plain(0), &view, 1));
        bind(&mut c, plain(0), 0);
        bind(&mut c, pod_of(1, 0, PodAffinity::default(), required(vec![term(HOST, AffinitySelector::Class(0))])), 1);
        let view = ClusterView::new(&c, SimTime::ZERO);
        assert!(s.compute(&plain(0), &view, 1));
        assert_eq!((s.allows(&c.nodes[0]), s.allows(&c.nodes[1])), (true, false));
        assert_eq!((s.classes.carriers.as_slice(), s.classes.seen), (&[1u32][..], 2));
        // When the carrier leaves, the fast path is back.
        c.start(PodId(1), SimTime::ZERO);
        c.finish(PodId(1), SimTime::ZERO);
        assert!(!s.compute(&plain(0), &ClusterView::new(&c, SimTime::ZERO), 1));
    }

    #[test]
    fn the_failure_cache_keeps_only_failures_on_the_pods_own_rules() {
        // Class 0 on n-0 bars class 1 from zone a, which holds both nodes. A
        // class-1 pod fails; a pod identical in everything the failure cache
        // keys on (requests, tolerations, placement) but of class 2 must
        // still be bound: that failure is not kept.
        use crate::policy::scheduler::kubernetes::{KubernetesParams, KubernetesScheduler};
        use crate::policy::scheduler::{Placement, Scheduler};
        let mut c = cluster(&[Some("a"), Some("a")]);
        bind(&mut c, pod_of(0, 0, PodAffinity::default(), required(vec![term(ZONE, AffinitySelector::Class(1))])), 0);
        let view = ClusterView::new(&c, SimTime::ZERO);
        let of_class = |pod: &Pod, class| Pod { workload: class, ..pod.clone() };
        let barred = plain(1);
        let rng = || crate::engine::stream_rng(1, 0, crate::engine::StreamId::SCHEDULER);
        let mut s = KubernetesScheduler::new(KubernetesParams::default(), rng());
        assert!(matches!(s.schedule(&barred, &view), Placement::Unschedulable(counts) if counts.pod_affinity_violation == 2));
        assert!(s.failed.is_empty());
        assert!(matches!(s.schedule(&of_class(&barred, 2), &view), Placement::Bind(_)));
        // A pod too big for any node fails on its own rules: kept while the
        // anti-affinity pod is bound, and replayed exactly for an identical
        // pod that the anti-affinity would also have barred.
        let huge = Pod { requests: crate::model::Resources { cpu_milli: 10_000, ..barred.requests }, ..of_class(&barred, 2) };
        let first = s.schedule(&huge, &view);
        assert!(matches!(first, Placement::Unschedulable(_)) && !s.failed.is_empty());
        let mut fresh = KubernetesScheduler::new(KubernetesParams::default(), rng());
        fresh.next_start_node_index = s.next_start_node_index;
        assert_eq!(s.schedule(&of_class(&huge, 1), &view), fresh.schedule(&of_class(&huge, 1), &view));
        assert_eq!(s.schedule(&of_class(&huge, 1), &view), first);
    }

    #[test]
    fn only_pods_bound_now_count() {
        // Two class-1 pods refuse class 0 on their hosts n-0 and n-1. Once the
        // one on n-0 finished and the one on n-1 was preempted (pending
        // again), neither bars anything; the incoming pod's own anti-affinity
        // against class 1 likewise sees no pod.
        let mut c = cluster(&[Some("a"), Some("a"), Some("a")]);
        let guard = || pod_of(1, 0, PodAffinity::default(), required(vec![term(HOST, AffinitySelector::Class(0))]));
        bind(&mut c, guard(), 0);
        bind(&mut c, guard(), 1);
        let avoider = pod_of(0, 0, PodAffinity::default(), required(vec![term(ZONE, AffinitySelector::Class(1))]));
        // One state throughout: it keeps the pods by class between cycles.
        let mut s = AffinityState::default();
        assert_eq!(verdicts(&mut s, &c, &plain(0), 1), [false, false, true]);
        assert_eq!(verdicts(&mut s, &c, &avoider, 1), [false, false, false]);
        c.start(PodId(0), SimTime::ZERO);
        c.finish(PodId(0), SimTime::ZERO);
        assert_eq!(verdicts(&mut s, &c, &plain(0), 1), [true, false, true]);
        assert_eq!(s.classes.pods[1], [PodId(1)], "the finished pod left the list");
        c.evict(PodId(1), SimTime::ZERO);
        assert_eq!(verdicts(&mut s, &c, &plain(0), 1), [true; 3]);
        assert_eq!(verdicts(&mut s, &c, &avoider, 1), [true; 3]);
    }

    /// Upstream's NormalizeScore over the raw scores of the nodes.
    fn normalized(raw: &[i64]) -> Vec<i64> {
        let (min, max) = (raw.iter().copied().min().unwrap_or(0), raw.iter().copied().max().unwrap_or(0));
        raw.iter().map(|&s| normalize(s, min, max)).collect()
    }
}
