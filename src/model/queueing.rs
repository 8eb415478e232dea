//! Queueing formulas for a service's request latency (M/M/c).
//!
//! A service with `c` ready replicas, each serving `mu` requests/s, offered
//! `lambda` requests/s behaves, to first order, like an M/M/c queue: Poisson
//! arrivals, exponential service times, one shared queue. Its mean waiting
//! time follows from Erlang's C formula. The simulator uses it to estimate
//! latency when requests queue instead of being dropped.

/// Erlang's B formula (blocking probability of M/M/c/c) for `c` servers and
/// offered load `a = lambda/mu` Erlangs, by the stable recursion
/// `B(0) = 1`, `B(k) = a·B(k−1) / (k + a·B(k−1))`.
pub fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (k as f64 + a * b))
}

/// Erlang's C formula: the probability that an arriving request waits, for
/// `c` servers and offered load `a` Erlangs; 1 when the queue is unstable
/// (`a ≥ c`).
pub fn erlang_c(c: u32, a: f64) -> f64 {
    if c == 0 || a >= c as f64 {
        return 1.0;
    }
    if a <= 0.0 {
        return 0.0;
    }
    let rho = a / c as f64;
    let b = erlang_b(c, a);
    b / (1.0 - rho * (1.0 - b))
}

/// Mean response time (waiting plus service) of M/M/c in seconds, or `None`
/// when the queue is unstable (`lambda ≥ c·mu`) and waits grow without bound.
pub fn mmc_response_time(c: u32, lambda: f64, mu: f64) -> Option<f64> {
    if c == 0 || mu <= 0.0 || lambda >= c as f64 * mu {
        return None;
    }
    let wait = erlang_c(c, lambda / mu) / (c as f64 * mu - lambda);
    Some(wait + 1.0 / mu)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn mm1_is_the_textbook_case() {
        // M/M/1, ρ = 0.5: P(wait) = ρ, W = 1/(μ − λ) = 2 s.
        assert!(close(erlang_c(1, 0.5), 0.5));
        assert!(close(mmc_response_time(1, 0.5, 1.0).unwrap(), 2.0));
    }

    #[test]
    fn mm2_with_one_erlang() {
        // a = 1, c = 2: B = 1/5, C = 1/3, Wq = C/(cμ − λ) = 1/3 s.
        assert!(close(erlang_b(2, 1.0), 0.2));
        assert!(close(erlang_c(2, 1.0), 1.0 / 3.0));
        assert!(close(mmc_response_time(2, 1.0, 1.0).unwrap(), 1.0 / 3.0 + 1.0));
    }

    #[test]
    fn overload_has_no_steady_state() {
        assert_eq!(mmc_response_time(4, 4.0, 1.0), None);
        assert_eq!(mmc_response_time(0, 1.0, 1.0), None);
        assert_eq!(erlang_c(3, 5.0), 1.0);
        // Many servers at moderate load: waiting is rare, response ≈ service.
        let r = mmc_response_time(100, 50.0, 1.0).unwrap();
        assert!(r > 1.0 && r < 1.0 + 1e-6, "{r}");
    }
}
