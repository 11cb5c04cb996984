//! How honest a set of quantile forecasts was: for each central interval
//! the share of outcomes inside it, and for each level the share of
//! outcomes below its quantile. Calibrated forecasts match the nominal
//! values on both. Coverage at 50% and 90% alone can hide intervals that
//! are right in total but lopsided (too many outcomes above, as many fewer
//! below), or right at 90% and too narrow at 98%; the Forecast Hubs'
//! evaluations show both curves for that reason.

use didymos_core::{Error, Result};

use crate::scores::QuantileForecast;

/// The calibration of `n` forecasts at their common levels.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    pub n: usize,
    /// (nominal coverage 1 − 2τ of the central interval between levels τ
    /// and 1 − τ, share of outcomes inside it, ends included), narrowest
    /// first.
    pub central: Vec<(f64, f64)>,
    /// (level τ, share of outcomes below the forecast's τ quantile), an
    /// outcome equal to the quantile counting half: counts often equal a
    /// quantile (0 admissions, say), and counting them wholly below or
    /// wholly above would tilt the curve at every such tie.
    pub below: Vec<(f64, f64)>,
}

/// The calibration of `forecasts`, each with the outcome it forecast.
/// Every forecast must have the same levels, each (other than 0.5) with its
/// partner 1 − τ for the central intervals. With no forecasts, `n` is 0 and
/// both lists are empty.
pub fn calibration<'a>(
    forecasts: impl IntoIterator<Item = (&'a QuantileForecast, f64)>,
) -> Result<Calibration> {
    let mut tally = CalibrationTally::default();
    for (f, y) in forecasts {
        tally.add(f, y)?;
    }
    Ok(tally.finish())
}

/// [`calibration`] one forecast at a time, for callers that score
/// forecasts as they read them rather than keep them all.
#[derive(Debug, Clone, Default)]
pub struct CalibrationTally {
    n: usize,
    levels: Vec<f64>,
    /// Lower levels τ < 0.5, each with its partner's index.
    pairs: Vec<(usize, usize)>,
    inside: Vec<usize>,
    /// Outcomes below each quantile, in halves (a tie counts one half).
    below_halves: Vec<usize>,
}

impl CalibrationTally {
    /// Counts the outcome `y` of forecast `f` (see [`calibration`]).
    pub fn add(&mut self, f: &QuantileForecast, y: f64) -> Result<()> {
        if !y.is_finite() {
            return Err(Error::Numerical(format!("observation is {y}")));
        }
        if self.n == 0 {
            self.levels = f.levels().to_vec();
            self.pairs = f.central_pairs()?;
            self.inside = vec![0; self.pairs.len()];
            self.below_halves = vec![0; self.levels.len()];
        } else if f.levels() != self.levels.as_slice() {
            return Err(Error::Other(format!(
                "calibration needs the same levels in every forecast: {:?} and {:?}",
                self.levels,
                f.levels()
            )));
        }
        let q = f.values();
        for (k, &v) in q.iter().enumerate() {
            self.below_halves[k] += match y.partial_cmp(&v) {
                Some(std::cmp::Ordering::Less) => 2,
                Some(std::cmp::Ordering::Equal) => 1,
                _ => 0,
            };
        }
        for (i, &(lo, hi)) in self.pairs.iter().enumerate() {
            if q[lo] <= y && y <= q[hi] {
                self.inside[i] += 1;
            }
        }
        self.n += 1;
        Ok(())
    }

    /// The shares so far.
    pub fn finish(&self) -> Calibration {
        let n = self.n as f64;
        let mut central: Vec<(f64, f64)> = self
            .pairs
            .iter()
            .zip(&self.inside)
            .map(|(&(lo, _), &k)| (1.0 - 2.0 * self.levels[lo], k as f64 / n))
            .collect();
        central.sort_by(|a, b| a.0.total_cmp(&b.0));
        Calibration {
            n: self.n,
            central,
            below: self
                .levels
                .iter()
                .zip(&self.below_halves)
                .map(|(&l, &h)| (l, h as f64 / 2.0 / n))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(values: &[f64]) -> QuantileForecast {
        QuantileForecast::new(vec![0.05, 0.25, 0.5, 0.75, 0.95], values.to_vec()).unwrap()
    }

    /// Four forecasts of quantiles 10, 20, 30, 40, 50, worked by hand:
    /// y = 5 is below every quantile, 20 ties the 0.25 quantile, 35 lies
    /// between the median and the 0.75 quantile, 60 above every one.
    #[test]
    fn shares_worked_by_hand() {
        let f = q(&[10.0, 20.0, 30.0, 40.0, 50.0]);
        let outcomes = [5.0, 20.0, 35.0, 60.0];
        let c = calibration(outcomes.iter().map(|&y| (&f, y))).unwrap();
        assert_eq!(c.n, 4);
        // 50% interval [20, 40]: 20 and 35 inside. 90% [10, 50]: 20, 35.
        assert_eq!(c.central, vec![(0.5, 0.5), (0.9, 0.5)]);
        // Below 10: 5 → 1/4. Below 20: 5, and 20 half → 1.5/4. Below 30:
        // 5, 20 → 2/4. Below 40: 5, 20, 35 → 3/4; below 50: the same.
        assert_eq!(
            c.below,
            vec![
                (0.05, 0.25),
                (0.25, 0.375),
                (0.5, 0.5),
                (0.75, 0.75),
                (0.95, 0.75)
            ]
        );
    }

    #[test]
    fn nothing_to_calibrate_is_empty_and_mixed_levels_are_refused() {
        let c = calibration(std::iter::empty()).unwrap();
        assert_eq!((c.n, c.central.len(), c.below.len()), (0, 0, 0));
        let other = QuantileForecast::new(vec![0.1, 0.5, 0.9], vec![1.0, 2.0, 3.0]).unwrap();
        let f = q(&[10.0, 20.0, 30.0, 40.0, 50.0]);
        let err = calibration([(&f, 1.0), (&other, 1.0)]).unwrap_err();
        assert!(err.to_string().contains("same levels"), "{err}");
        let lopsided = QuantileForecast::new(vec![0.1, 0.5, 0.8], vec![1.0, 2.0, 3.0]).unwrap();
        let err = calibration([(&lopsided, 1.0)]).unwrap_err();
        assert!(err.to_string().contains("partner"), "{err}");
        assert!(calibration([(&f, f64::NAN)]).is_err());
    }

    /// Outcomes drawn from the forecast's own distribution are calibrated:
    /// the quantiles of the uniform on [0, 1] at the Hub's levels, against
    /// 1,000 evenly spread outcomes.
    #[test]
    fn outcomes_from_the_forecast_itself_are_calibrated() {
        let levels = crate::HUB_LEVELS.to_vec();
        let f = QuantileForecast::new(levels.clone(), levels.clone()).unwrap();
        let ys: Vec<f64> = (0..1000).map(|i| (i as f64 + 0.5) / 1000.0).collect();
        let c = calibration(ys.iter().map(|&y| (&f, y))).unwrap();
        assert_eq!(c.central.len(), 11);
        for (nominal, observed) in &c.central {
            assert!((nominal - observed).abs() < 1e-9, "{nominal} {observed}");
        }
        for (level, share) in &c.below {
            assert!((level - share).abs() < 1e-9, "{level} {share}");
        }
    }
}
