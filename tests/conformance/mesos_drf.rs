//! Mesos' DRF sorter (`src/tests/sorter_tests.cpp`, `DRFSorterTest`): the
//! order in which `mesos-drf` offers agents to frameworks, driven through
//! `orchsim::policy::scheduler::mesos::drf::Sorter`, which keeps upstream's
//! verbs (`add`, `activate`, `allocated`, `unallocated`, `update`,
//! `updateWeight`, `addSlave`/`removeSlave`). Plus the DRF paper's worked
//! example (Ghodsi et al., NSDI'11, §4).

use orchsim::model::Resources;
use orchsim::policy::scheduler::mesos::drf::{progressive_filling, Sorter};

use crate::harness::{Case, Outcome, Suite};
use crate::world::expect_eq;

const TEST: &str = "src/tests/sorter_tests.cpp";

/// `cpus:5;mem:5` as resources: CPUs in cores, memory in MB.
fn res(text: &str) -> Resources {
    let mut r = Resources::ZERO;
    for part in text.split(';') {
        let (name, value) = part.split_once(':').unwrap_or_else(|| panic!("bad resource {part}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("bad quantity {part}"));
        match name {
            "cpus" => r.cpu_milli = (value * 1000.0).round() as u64,
            "mem" => r.memory_bytes = (value * (1 << 20) as f64).round() as u64,
            _ => panic!("resource {name} is not modelled"),
        }
    }
    r
}

fn sorted(sorter: &Sorter, want: &[&str]) -> Outcome {
    expect_eq("sort()", sorter.sort(), want.to_vec())
}

fn added(names: &[&str]) -> Sorter {
    let mut sorter = Sorter::new();
    for n in names {
        sorter.add(n);
        sorter.activate(n);
    }
    sorter
}

/// `DRFSorterTest.DRF`.
fn drf() -> Outcome {
    let mut s = Sorter::new();
    s.add_agent(res("cpus:100;mem:100"));
    sorted(&s, &[])?;
    for (name, r) in [("a", "cpus:5;mem:5"), ("b", "cpus:6;mem:6")] {
        s.add(name);
        s.activate(name);
        s.allocated(name, res(r));
    }
    sorted(&s, &["a", "b"])?;
    for (name, r) in [("c", "cpus:1;mem:1"), ("d", "cpus:3;mem:1")] {
        s.add(name);
        s.activate(name);
        s.allocated(name, res(r));
    }
    sorted(&s, &["c", "d", "a", "b"])?;
    s.remove("a");
    s.unallocated("b", res("cpus:4;mem:4"));
    sorted(&s, &["c", "b", "d"])?;
    s.add("e");
    s.activate("e");
    s.allocated("e", res("cpus:1;mem:5"));
    s.remove_agent(res("cpus:100;mem:100"));
    s.add_agent(res("cpus:50;mem:100"));
    sorted(&s, &["c", "b", "e", "d"])?;
    s.remove_agent(res("cpus:50;mem:100"));
    s.add_agent(res("cpus:50;mem:200"));
    s.add("f");
    s.activate("f");
    s.allocated("f", res("cpus:5;mem:1"));
    s.allocated("c", res("cpus:0;mem:15"));
    sorted(&s, &["e", "b", "d", "c", "f"])?;
    s.deactivate("d");
    sorted(&s, &["e", "b", "c", "f"])?;
    s.activate("d");
    sorted(&s, &["e", "b", "d", "c", "f"])
}

/// `DRFSorterTest.WDRF`.
fn wdrf() -> Outcome {
    let mut s = Sorter::new();
    s.add_agent(res("cpus:100;mem:100"));
    let join = |s: &mut Sorter, name: &str, weight: Option<f64>, r: &str| {
        s.add(name);
        s.activate(name);
        if let Some(w) = weight {
            s.update_weight(name, w);
        }
        s.allocated(name, res(r));
    };
    join(&mut s, "a", None, "cpus:5;mem:5");
    join(&mut s, "b", Some(2.0), "cpus:6;mem:6");
    sorted(&s, &["b", "a"])?;
    join(&mut s, "c", None, "cpus:4;mem:4");
    sorted(&s, &["b", "c", "a"])?;
    join(&mut s, "d", Some(10.0), "cpus:10;mem:20");
    sorted(&s, &["d", "b", "c", "a"])?;
    s.remove("b");
    sorted(&s, &["d", "c", "a"])?;
    s.allocated("d", res("cpus:10;mem:25"));
    sorted(&s, &["c", "d", "a"])?;
    join(&mut s, "e", Some(0.1), "cpus:1;mem:1");
    sorted(&s, &["c", "d", "a", "e"])?;
    s.remove("a");
    sorted(&s, &["c", "d", "e"])
}

/// `DRFSorterTest.UpdateWeight`.
fn update_weight() -> Outcome {
    let mut s = added(&["a", "b"]);
    s.add_agent(res("cpus:100;mem:100"));
    s.allocated("a", res("cpus:5;mem:5"));
    s.allocated("b", res("cpus:6;mem:6"));
    sorted(&s, &["a", "b"])?;
    s.update_weight("b", 2.0);
    sorted(&s, &["b", "a"])
}

/// `DRFSorterTest.AllocationCountTieBreak`.
fn allocation_count_tie_break() -> Outcome {
    let mut s = added(&["a", "b", "c", "d", "e"]);
    s.add_agent(res("cpus:100;mem:100"));
    for (name, r) in [
        ("a", "cpus:3;mem:3"),
        ("b", "cpus:3;mem:3"),
        ("c", "cpus:1;mem:1"),
        ("c", "cpus:1;mem:1"),
        ("c", "cpus:1;mem:1"),
        ("d", "cpus:2;mem:2"),
        ("d", "cpus:1;mem:1"),
        ("e", "cpus:3;mem:3"),
    ] {
        s.allocated(name, res(r));
    }
    sorted(&s, &["a", "b", "e", "d", "c"])?;
    s.unallocated("c", res("cpus:3;mem:3"));
    sorted(&s, &["c", "a", "b", "e", "d"])?;
    s.allocated("c", res("cpus:3;mem:3"));
    sorted(&s, &["a", "b", "e", "d", "c"])?;
    s.deactivate("c");
    s.activate("c");
    sorted(&s, &["a", "b", "e", "d", "c"])?;
    s.unallocated("c", res("cpus:3;mem:3"));
    s.allocated("c", res("cpus:3;mem:3"));
    sorted(&s, &["a", "b", "e", "d", "c"])?;
    s.deactivate("a");
    s.unallocated("a", res("cpus:1;mem:3"));
    s.allocated("a", res("cpus:1;mem:3"));
    sorted(&s, &["b", "e", "d", "c"])?;
    s.activate("a");
    sorted(&s, &["b", "e", "a", "d", "c"])
}

/// The shape of `UpdateTotal`, `MultipleSlavesUpdateTotal` and
/// `RemoveResources`: clients a and b on `agents` with `allocations` sort
/// b before a; after `change` to the totals (or an allocation), a before b.
fn order_flips(agents: &[&str], allocations: [(&str, &str); 2], change: impl FnOnce(&mut Sorter)) -> Outcome {
    let mut s = added(&["a", "b"]);
    agents.iter().for_each(|agent| s.add_agent(res(agent)));
    allocations.iter().for_each(|(name, r)| s.allocated(name, res(r)));
    sorted(&s, &["b", "a"])?;
    change(&mut s);
    sorted(&s, &["a", "b"])
}

/// `DRFSorterTest.UpdateTotal`.
fn update_total() -> Outcome {
    order_flips(&["cpus:10;mem:100"], [("a", "cpus:2;mem:1"), ("b", "cpus:1;mem:2")], |s| {
        s.remove_agent(res("cpus:10;mem:100"));
        s.add_agent(res("cpus:100;mem:10"));
    })
}

/// `DRFSorterTest.MultipleSlavesUpdateTotal`.
fn multiple_slaves_update_total() -> Outcome {
    order_flips(&["cpus:5;mem:50", "cpus:5;mem:50"], [("a", "cpus:2;mem:1"), ("b", "cpus:1;mem:3")], |s| {
        s.remove_agent(res("cpus:5;mem:50"));
        s.add_agent(res("cpus:95;mem:50"));
    })
}

/// `DRFSorterTest.RemoveResources`.
fn remove_resources() -> Outcome {
    order_flips(&["cpus:10"], [("a", "cpus:6"), ("b", "cpus:4")], |s| {
        s.remove_agent(res("cpus:10"));
        s.add_agent(res("cpus:5"));
        s.update("a", res("cpus:6"), res("cpus:1"));
    })
}

/// The DRF paper's example: ⟨9 CPU, 18 GB⟩, user A's tasks ⟨1 CPU, 4 GB⟩,
/// user B's ⟨3 CPU, 1 GB⟩: A runs 3 tasks, B 2, both at dominant share 2/3.
fn paper_example() -> Outcome {
    let gb = |n: u64| n << 30;
    let r = |cpus: u64, g: u64| Resources { cpu_milli: cpus * 1000, memory_bytes: gb(g), gpu: 0 };
    expect_eq("tasks of A and B", progressive_filling(r(9, 18), &[r(1, 4), r(3, 1)], &[1.0, 1.0]), vec![3, 2])
}

pub fn suite() -> Suite {
    let hierarchy = "role hierarchies (nested client paths such as a/b) are not modelled: frameworks are flat";
    let per_agent = "asserts the sorter's per-agent allocation map and ports ranges or persistent volumes, which orchsim's flat sorter does not keep";
    let shared = "shared resources (persistent volumes shared between tasks) are not modelled";
    let random = "orchsim's mesos-drf has the DRF sorter only (--role_sorter=drf, the default); the random sorter is not modelled";
    let mut cases = vec![
        Case::ported(TEST, "DRFSorterTest.DRF", drf),
        Case::ported(TEST, "DRFSorterTest.WDRF", wdrf),
        Case::ported(TEST, "DRFSorterTest.UpdateWeight", update_weight),
        Case::ported(TEST, "DRFSorterTest.AllocationCountTieBreak", allocation_count_tie_break),
        Case::ported(TEST, "DRFSorterTest.UpdateTotal", update_total),
        Case::ported(TEST, "DRFSorterTest.MultipleSlavesUpdateTotal", multiple_slaves_update_total),
        Case::ported(TEST, "DRFSorterTest.RemoveResources", remove_resources),
        Case::ported("Ghodsi et al., NSDI'11, §4 (DRF paper)", "9 CPUs / 18 GB, A <1 CPU, 4 GB>, B <3 CPU, 1 GB>", paper_example),
        Case::not_expressible(TEST, "DRFSorterTest.SplitResourceShares", "disk resources and persistent volumes are not modelled"),
        Case::not_expressible(TEST, "DRFSorterTest.RevocableResources", "revocable resources are not modelled"),
    ];
    let groups: [(&[&str], &'static str); 4] = [
        (
            &[
                "DRFSorterTest.ShallowHierarchy",
                "DRFSorterTest.DeepHierarchy",
                "DRFSorterTest.HierarchicalAllocation",
                "DRFSorterTest.HierarchicalIterationOrder",
                "DRFSorterTest.AddChildToLeaf",
                "DRFSorterTest.AddChildToInternal",
                "DRFSorterTest.AddChildToInactiveLeaf",
                "DRFSorterTest.ChangeWeightOnSubtree",
                "CommonSorterTest.RemoveLeafCollapseParent",
                "CommonSorterTest.RemoveLeafCollapseParentInactive",
                "CommonSorterTest.UpdateAllocationNestedClient",
            ],
            hierarchy,
        ),
        (
            &[
                "CommonSorterTest.UpdateAllocation",
                "CommonSorterTest.AllocationForInactiveClient",
                "CommonSorterTest.MultipleSlaves",
                "CommonSorterTest.MultipleSlavesUpdateAllocation",
            ],
            per_agent,
        ),
        (
            &[
                "DRFSorterTest.SharedResources",
                "DRFSorterTest.SameDominantSharedResourcesAcrossClients",
                "DRFSorterTest.SameSharedResourcesSameClient",
                "DRFSorterTest.SharedResourcesUnallocated",
            ],
            shared,
        ),
        (
            &[
                "WeightedShuffleTest.ProbabilityDistribution",
                "RandomSorterTest.HierarchicalProbabilityDistribution",
                "RandomSorterTest.ProbabilityDistribution",
            ],
            random,
        ),
    ];
    for (names, why) in groups {
        cases.extend(names.iter().map(|name| Case::not_expressible(TEST, *name, why)));
    }
    Suite { system: "Apache Mesos", component: "DRF sorter", upstream: "apache/mesos @c1b42f79 (master 2024-08)", cases }
}
