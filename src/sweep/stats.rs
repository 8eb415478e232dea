//! Statistics over the replications of one grid cell.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Confidence level of the intervals in `summary.csv`.
pub const CONFIDENCE: f64 = 0.95;

/// A metric's replications summarised: mean, sample standard deviation and
/// the Student-t confidence interval of the mean.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Replications.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1 in the denominator); none for n = 1.
    pub sd: Option<f64>,
    /// Half-width of the 95 % interval, t(0.975, n − 1) · sd / √n; none for n = 1.
    pub half_width: Option<f64>,
}

impl Estimate {
    /// The estimate from `values`, summed in the order given (so the result
    /// is the same bits whatever order the runs finished in); `None` if empty.
    ///
    /// The interval uses Student's t rather than the normal 1.96 because
    /// sweeps run few replications: with 5, t(0.975, 4) = 2.776, and 1.96
    /// would claim 41 % more confidence than the data give.
    pub fn of(values: &[f64]) -> Option<Estimate> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        if n == 1 {
            return Some(Estimate { n, mean, sd: None, half_width: None });
        }
        let sd = (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64).sqrt();
        let t = t_quantile(n - 1, 0.5 + CONFIDENCE / 2.0);
        Some(Estimate { n, mean, sd: Some(sd), half_width: Some(t * sd / (n as f64).sqrt()) })
    }

    /// Lower end of the interval.
    pub fn low(&self) -> Option<f64> {
        self.half_width.map(|h| self.mean - h)
    }

    /// Upper end of the interval.
    pub fn high(&self) -> Option<f64> {
        self.half_width.map(|h| self.mean + h)
    }
}

/// The `p` quantile of Student's t with `df` degrees of freedom.
fn t_quantile(df: usize, p: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df as f64).expect("df >= 1 is a valid Student t").inverse_cdf(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn t_quantiles_match_the_tables() {
        // Two-sided 95 % critical values from any t table.
        for (df, t) in [(1, 12.706), (2, 4.303), (4, 2.776), (9, 2.262), (29, 2.045), (1000, 1.962)] {
            assert!(close(t_quantile(df, 0.975), t, 0.0006), "df {df}: {}", t_quantile(df, 0.975));
        }
    }

    #[test]
    fn hand_computed_interval() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, squared deviations sum to 32,
        // sd = √(32/7) = 2.13809, t(0.975, 7) = 2.36462,
        // half-width = 2.36462 · 2.13809 / √8 = 1.78749.
        let e = Estimate::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!((e.n, e.mean), (8, 5.0));
        assert!(close(e.sd.unwrap(), 2.138090, 1e-6));
        assert!(close(e.half_width.unwrap(), 1.787485, 1e-5), "{:?}", e.half_width);
        assert!(close(e.low().unwrap(), 3.212515, 1e-5) && close(e.high().unwrap(), 6.787485, 1e-5));
    }

    #[test]
    fn one_replication_has_no_spread_and_none_has_no_estimate() {
        assert_eq!(Estimate::of(&[3.5]), Some(Estimate { n: 1, mean: 3.5, sd: None, half_width: None }));
        assert_eq!(Estimate::of(&[]), None);
        let same = Estimate::of(&[2.0, 2.0, 2.0]).unwrap();
        assert_eq!((same.sd, same.half_width), (Some(0.0), Some(0.0)));
    }
}
