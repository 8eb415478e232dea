//! Multi-resource quantities in Kubernetes' base units.

use std::ops::{Add, AddAssign, SubAssign};

/// CPU in millicores, memory in bytes, GPUs as a whole count — the units of a
/// Kubernetes `ResourceList`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Resources {
    /// CPU in millicores (`1000` = one core).
    pub cpu_milli: u64,
    /// Memory in bytes.
    pub memory_bytes: u64,
    /// GPUs (an extended resource, `nvidia.com/gpu`).
    pub gpu: u64,
}

/// Kubernetes' `DefaultMilliCPURequest`: assumed for scoring when a pod requests no CPU.
pub const DEFAULT_MILLI_CPU_REQUEST: u64 = 100;
/// Kubernetes' `DefaultMemoryRequest` (200 MiB): assumed for scoring when a pod requests no memory.
pub const DEFAULT_MEMORY_REQUEST: u64 = 200 * 1024 * 1024;

impl Resources {
    /// Nothing.
    pub const ZERO: Resources = Resources { cpu_milli: 0, memory_bytes: 0, gpu: 0 };

    /// Whether `self` fits into `free` on every resource.
    pub fn fits_in(&self, free: &Resources) -> bool {
        self.cpu_milli <= free.cpu_milli && self.memory_bytes <= free.memory_bytes && self.gpu <= free.gpu
    }

    /// `self − other` per resource, floored at zero.
    pub fn saturating_sub(&self, other: &Resources) -> Resources {
        Resources {
            cpu_milli: self.cpu_milli.saturating_sub(other.cpu_milli),
            memory_bytes: self.memory_bytes.saturating_sub(other.memory_bytes),
            gpu: self.gpu.saturating_sub(other.gpu),
        }
    }

    /// The request kube-scheduler's scoring plugins assume: zero CPU or memory
    /// requests are replaced by 100 m / 200 MiB (`pkg/scheduler/util`,
    /// semantics.md §1), so best-effort pods do not all pile onto one node.
    pub fn non_zero(&self) -> Resources {
        Resources {
            cpu_milli: if self.cpu_milli == 0 { DEFAULT_MILLI_CPU_REQUEST } else { self.cpu_milli },
            memory_bytes: if self.memory_bytes == 0 { DEFAULT_MEMORY_REQUEST } else { self.memory_bytes },
            gpu: self.gpu,
        }
    }

    /// Whether every resource is zero (a best-effort pod).
    pub fn is_zero(&self) -> bool {
        *self == Resources::ZERO
    }
}

impl Add for Resources {
    type Output = Resources;
    /// Saturating: validation keeps cluster totals far below `u64::MAX`, and a
    /// saturated sum still compares as "more than fits".
    fn add(self, o: Resources) -> Resources {
        Resources {
            cpu_milli: self.cpu_milli.saturating_add(o.cpu_milli),
            memory_bytes: self.memory_bytes.saturating_add(o.memory_bytes),
            gpu: self.gpu.saturating_add(o.gpu),
        }
    }
}

impl AddAssign for Resources {
    fn add_assign(&mut self, o: Resources) {
        *self = *self + o;
    }
}

impl SubAssign for Resources {
    /// Panics in debug builds on underflow: releasing more than was reserved is
    /// an accounting bug, never a user error.
    fn sub_assign(&mut self, o: Resources) {
        debug_assert!(o.fits_in(self), "releasing {o:?} from {self:?}");
        *self = self.saturating_sub(&o);
    }
}
