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

    /// The request kube-scheduler's scoring plugins assume: *unset* CPU or
    /// memory requests are replaced by 100 m / 200 MiB, so best-effort pods
    /// do not all pile onto one node; a request explicitly set to 0 stays 0.
    /// Upstream: `GetNonzeroRequestForResource` (`pkg/scheduler/util/
    /// pod_resources.go`, "override if un-set, but not if explicitly set to
    /// zero"), now `NonMissingContainerRequests` of component-helpers'
    /// `PodRequests`, used by `calculatePodResourceRequest`.
    pub fn non_zero(&self, unset: UnsetRequests) -> Resources {
        Resources {
            cpu_milli: if unset.cpu { DEFAULT_MILLI_CPU_REQUEST } else { self.cpu_milli },
            memory_bytes: if unset.memory { DEFAULT_MEMORY_REQUEST } else { self.memory_bytes },
            gpu: self.gpu,
        }
    }

    /// Whether every resource is zero (a best-effort pod).
    pub fn is_zero(&self) -> bool {
        *self == Resources::ZERO
    }
}

/// Which of a pod's CPU and memory requests are unset, as opposed to set to
/// 0: Kubernetes tells the two apart (a missing key in the container's
/// `resources.requests`), and only an unset request gets the scoring
/// defaults of [`Resources::non_zero`]. An unset request is 0 for the fit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct UnsetRequests {
    /// No CPU request.
    pub cpu: bool,
    /// No memory request.
    pub memory: bool,
}

impl UnsetRequests {
    /// Both requests set (possibly to 0).
    pub const NONE: UnsetRequests = UnsetRequests { cpu: false, memory: false };

    /// For inputs that cannot write "unset" (trace rows): a request of 0
    /// reads as unset, so it gets the scoring defaults.
    pub fn where_zero(requests: &Resources) -> UnsetRequests {
        UnsetRequests { cpu: requests.cpu_milli == 0, memory: requests.memory_bytes == 0 }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `GetNonzeroRequestForResource`: only an unset request is defaulted.
    #[test]
    fn only_unset_requests_get_the_scoring_defaults() {
        let zero = Resources::ZERO;
        let both = UnsetRequests { cpu: true, memory: true };
        assert_eq!(zero.non_zero(UnsetRequests::NONE), zero, "explicit zeros stay zero");
        assert_eq!(zero.non_zero(both), Resources { cpu_milli: 100, memory_bytes: 200 << 20, gpu: 0 });
        let r = Resources { cpu_milli: 0, memory_bytes: 5, gpu: 2 };
        assert_eq!(r.non_zero(UnsetRequests { cpu: true, memory: false }), Resources { cpu_milli: 100, memory_bytes: 5, gpu: 2 });
        assert_eq!(UnsetRequests::where_zero(&r), UnsetRequests { cpu: true, memory: false });
    }
}
