//! The VPA admission controller's rule for a new pod
//! (`vertical-pod-autoscaler/pkg/admission-controller/resource/pod/recommendation/recommendation_provider.go`,
//! `GetContainersResources`, and `pkg/utils/vpa/limit_and_request_scaling.go`,
//! `GetProportionalLimit`): the pod's requests become the recommendation's
//! target, and each limit keeps its original ratio to the request
//! (`controlledValues: RequestsAndLimits`, the default).
//!
//! Per resource (`getProportionalResourceLimit`, no LimitRange default):
//! * no limit (0): none is set;
//! * no recommended request (0): no limit is set;
//! * no original request, or a limit equal to it: the limit is the new request;
//! * otherwise `limit × recommended / request`, rounded down (CPU in
//!   millicores, memory in bytes; `scaleQuantityProportionally*`), capped at
//!   `i64::MAX` as a Quantity is.

use crate::model::Resources;

/// `getProportionalResourceLimit`: the limit for a container whose request
/// goes from `original_request` to `recommended`, `None` for no limit.
/// Quantities in millicores (CPU) or bytes (memory): both round down
/// without a LimitRange (`noRounding`).
pub fn proportional_limit(original_limit: u64, original_request: u64, recommended: u64) -> Option<u64> {
    // `Value()` rounds up to whole units: a CPU limit is "unset" only at 0.
    if original_limit == 0 || recommended == 0 {
        return None;
    }
    if original_request == 0 || original_request == original_limit {
        return Some(recommended);
    }
    let scaled = u128::from(original_limit) * u128::from(recommended) / u128::from(original_request);
    Some(u64::try_from(scaled).unwrap_or(i64::MAX as u64).min(i64::MAX as u64))
}

/// The requests and limits a new pod of a template with `requests` and
/// `limits` gets from a recommendation `target` (CPU millicores, memory
/// bytes). Other resources (GPUs) keep the template's values.
pub fn admitted(requests: Resources, limits: Resources, target_cpu_milli: u64, target_memory_bytes: u64) -> (Resources, Resources) {
    let new_requests = Resources { cpu_milli: target_cpu_milli, memory_bytes: target_memory_bytes, gpu: requests.gpu };
    let new_limits = Resources {
        cpu_milli: proportional_limit(limits.cpu_milli, requests.cpu_milli, target_cpu_milli).unwrap_or(0),
        memory_bytes: proportional_limit(limits.memory_bytes, requests.memory_bytes, target_memory_bytes).unwrap_or(0),
        gpu: limits.gpu,
    };
    (new_requests, new_limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `limit_and_request_scaling_test.go: TestGetProportionalResourceLimit`-style vectors:
    /// a 2:1 limit stays 2:1; an equal one follows the request; no limit stays none.
    #[test]
    fn limits_keep_their_ratio_to_requests() {
        assert_eq!(proportional_limit(2000, 1000, 300), Some(600));
        assert_eq!(proportional_limit(1000, 1000, 300), Some(300));
        assert_eq!(proportional_limit(0, 1000, 300), None);
        assert_eq!(proportional_limit(3, 2, 5), Some(7), "7.5 rounds down");
        assert_eq!(proportional_limit(3, 0, 5), Some(5), "no request: limit = request");
        let r = Resources { cpu_milli: 500, memory_bytes: 1 << 30, gpu: 1 };
        let l = Resources { cpu_milli: 1000, memory_bytes: 1 << 30, gpu: 1 };
        let (req, lim) = admitted(r, l, 250, 1 << 29);
        assert_eq!((req.cpu_milli, req.memory_bytes, req.gpu), (250, 1 << 29, 1));
        assert_eq!((lim.cpu_milli, lim.memory_bytes, lim.gpu), (500, 1 << 29, 1));
    }
}
