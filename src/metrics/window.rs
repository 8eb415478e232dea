//! Lagged usage as the Kubernetes metrics pipeline reports it.
//!
//! metrics-server scrapes every node's kubelet at an interval (15 s) and
//! reports each pod's usage averaged over a window (60 s), so autoscalers act
//! on data that trails the load. [`UsageWindow`] holds one pod's (or
//! service's) piecewise-constant usage and answers that windowed mean.

use std::collections::VecDeque;

use crate::time::{SimDuration, SimTime};

/// metrics-server's scrape interval (`--metric-resolution`).
pub const SCRAPE_INTERVAL: SimDuration = SimDuration::from_secs(15);
/// The window a reported usage is averaged over.
pub const USAGE_WINDOW: SimDuration = SimDuration::from_secs(60);

/// A piecewise-constant signal: each value holds from its time until the next.
#[derive(Clone, Debug, Default)]
pub struct UsageWindow {
    /// (from, value), in increasing time.
    segments: VecDeque<(SimTime, f64)>,
}

impl UsageWindow {
    /// The signal becomes `value` at `at` (not before the last change).
    pub fn set(&mut self, at: SimTime, value: f64) {
        debug_assert!(self.segments.back().is_none_or(|(t, _)| *t <= at));
        if let Some(last) = self.segments.back_mut() {
            if last.0 == at {
                last.1 = value;
                return;
            }
            if last.1 == value {
                return;
            }
        }
        self.segments.push_back((at, value));
    }

    /// The time-weighted mean over `[now − window, now]`, clipped to when the
    /// signal started; `None` if it started after `now − interval`, i.e. it
    /// has not yet been seen by a whole scrape (metrics-server reports no
    /// value for such a pod). Forgets segments older than the window.
    pub fn mean(&mut self, now: SimTime, window: SimDuration, interval: SimDuration) -> Option<f64> {
        let from = SimTime::from_micros(now.as_micros().saturating_sub(window.as_micros()));
        // Keep the segment in force at `from`; drop those before it.
        while self.segments.len() > 1 && self.segments[1].0 <= from {
            self.segments.pop_front();
        }
        let start = self.segments.front()?.0;
        if now.saturating_since(start) < interval {
            return None;
        }
        let from = from.max(start);
        let span = (now - from).as_secs_f64();
        if span == 0.0 {
            return self.segments.back().map(|s| s.1);
        }
        let mut integral = 0.0;
        for (i, &(t, v)) in self.segments.iter().enumerate() {
            let seg_start = t.max(from);
            let seg_end = self.segments.get(i + 1).map_or(now, |n| n.0.min(now));
            if seg_end > seg_start {
                integral += v * (seg_end - seg_start).as_secs_f64();
            }
        }
        Some(integral / span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> SimTime = SimTime::from_secs;

    #[test]
    fn reports_the_mean_of_the_last_window() {
        let mut w = UsageWindow::default();
        w.set(S(0), 100.0);
        w.set(S(90), 400.0);
        // At 120 s the window [60, 120] holds 30 s at 100 and 30 s at 400.
        assert_eq!(w.mean(S(120), USAGE_WINDOW, SCRAPE_INTERVAL), Some(250.0));
        // A step shows fully only a window later: lag.
        assert_eq!(w.mean(S(150), USAGE_WINDOW, SCRAPE_INTERVAL), Some(400.0));
    }

    #[test]
    fn new_signals_are_missing_until_scraped_and_then_clipped() {
        let mut w = UsageWindow::default();
        assert_eq!(w.mean(S(10), USAGE_WINDOW, SCRAPE_INTERVAL), None, "no data at all");
        w.set(S(100), 50.0);
        assert_eq!(w.mean(S(110), USAGE_WINDOW, SCRAPE_INTERVAL), None, "younger than one scrape");
        // At 130 s the pod has run 30 s: the mean covers those 30 s only.
        w.set(S(120), 110.0);
        assert_eq!(w.mean(S(130), USAGE_WINDOW, SCRAPE_INTERVAL), Some((50.0 * 20.0 + 110.0 * 10.0) / 30.0));
    }

    #[test]
    fn old_segments_are_forgotten() {
        let mut w = UsageWindow::default();
        for k in 0..1000 {
            w.set(S(k), k as f64);
        }
        assert!(w.mean(S(1000), USAGE_WINDOW, SCRAPE_INTERVAL).is_some());
        assert!(w.segments.len() <= 61, "{}", w.segments.len());
    }
}
