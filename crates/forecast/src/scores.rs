//! Proper scores for probabilistic forecasts of one value.
//!
//! * [`wis`]: the weighted interval score of a quantile forecast (Bracher et
//!   al. 2021, PLoS Comput Biol 17(2): e1008618), with its decomposition.
//! * [`crps_samples`]: the continuous ranked probability score of a sample
//!   forecast, exact for the empirical distribution, in O(n log n)
//!   ([`crps_sorted`]: O(n) for a sorted sample).
//! * [`interval_coverage`] and [`bias`] for calibration checks.
//!
//! Lower scores are better; all are in the units of the target value.

use didymos_core::{Error, Result};

/// Levels closer than this are treated as equal when looking up a pair
/// (0.025 and 1 - 0.975 differ in the last bits).
const LEVEL_TOL: f64 = 1e-9;

/// A forecast given by values at quantile levels.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantileForecast {
    levels: Vec<f64>,
    values: Vec<f64>,
}

impl QuantileForecast {
    /// Checks that levels are strictly increasing inside (0, 1), values are
    /// finite and non-decreasing, and both have the same length. Crossing
    /// quantiles are an error rather than silently sorted: they mean the
    /// producer has a bug, and sorting would hide it.
    pub fn new(levels: Vec<f64>, values: Vec<f64>) -> Result<Self> {
        if levels.is_empty() || levels.len() != values.len() {
            return Err(Error::Other(format!(
                "quantile forecast needs as many values ({}) as levels ({}), at least one",
                values.len(),
                levels.len()
            )));
        }
        for (i, &l) in levels.iter().enumerate() {
            if !(l > 0.0 && l < 1.0) {
                return Err(Error::Other(format!("level {l} is not inside (0, 1)")));
            }
            if i > 0 && levels[i - 1] >= l {
                return Err(Error::Other(format!(
                    "levels must increase strictly: {} then {l}",
                    levels[i - 1]
                )));
            }
        }
        for (i, &v) in values.iter().enumerate() {
            if !v.is_finite() {
                return Err(Error::Numerical(format!(
                    "value at level {} is {v}",
                    levels[i]
                )));
            }
            if i > 0 && values[i - 1] > v {
                return Err(Error::Other(format!(
                    "quantiles cross: {} at level {} but {v} at level {}",
                    values[i - 1],
                    levels[i - 1],
                    levels[i]
                )));
            }
        }
        Ok(QuantileForecast { levels, values })
    }

    pub fn levels(&self) -> &[f64] {
        &self.levels
    }

    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The value at `level` (within 1e-9), if the forecast has it.
    pub fn value_at(&self, level: f64) -> Option<f64> {
        self.levels
            .iter()
            .position(|&l| (l - level).abs() < LEVEL_TOL)
            .map(|i| self.values[i])
    }

    /// Each level below 0.5 with its partner 1 − level, as indices into
    /// [`Self::levels`] and [`Self::values`], lowest first: the central
    /// intervals (level, 1 − level). An error for a lower level without its
    /// partner; an upper level without one is left out.
    pub fn central_pairs(&self) -> Result<Vec<(usize, usize)>> {
        self.levels
            .iter()
            .enumerate()
            .filter(|(_, &lvl)| lvl < 0.5 - LEVEL_TOL)
            .map(|(i, &lvl)| {
                self.levels
                    .iter()
                    .position(|&u| (u - (1.0 - lvl)).abs() < LEVEL_TOL)
                    .map(|j| (i, j))
                    .ok_or_else(|| {
                        Error::Other(format!("level {lvl} has no partner level {}", 1.0 - lvl))
                    })
            })
            .collect()
    }

    /// The value at level 0.5, if present.
    pub fn median(&self) -> Option<f64> {
        self.value_at(0.5)
    }

    /// P(Y > `x`) under the forecast, reading its distribution function as
    /// the straight lines through the points (q_τ, τ): between two
    /// quantiles q_i ≤ `x` < q_{i+1} it is 1 − τ_i − (τ_{i+1} − τ_i)·(`x` −
    /// q_i)/(q_{i+1} − q_i). Where several quantiles equal `x` (a point mass,
    /// such as a run of zeros) the highest of their levels counts, since Y
    /// is not above `x` there.
    ///
    /// The quantiles say nothing beyond the outer levels, so there the
    /// answer is the bound they give: below the first quantile 1 − τ_first
    /// (P is at least that), at or above the last one 1 − τ_last (P is at
    /// most that); 0.99 and 0.01 with the Hub's levels. Compare it only
    /// with probabilities between those two.
    ///
    /// The result is rounded to 12 decimal places: levels are decimal
    /// fractions, and 1 − 0.99 in binary is 0.010000000000000009, which a
    /// comparison with 0.01 would take as more than 0.01.
    pub fn exceedance(&self, x: f64) -> f64 {
        let n = self.values.len();
        // Index of the first quantile above x: every one before is ≤ x.
        let above = self.values.partition_point(|&v| v <= x);
        let p = if above == 0 {
            1.0 - self.levels[0]
        } else if above == n {
            1.0 - self.levels[n - 1]
        } else {
            let (q0, q1) = (self.values[above - 1], self.values[above]);
            let (t0, t1) = (self.levels[above - 1], self.levels[above]);
            1.0 - (t0 + (t1 - t0) * (x - q0) / (q1 - q0))
        };
        (p * 1e12).round() / 1e12
    }

    /// The central interval of nominal coverage `central` (e.g. 0.9 is the
    /// pair of levels 0.05 and 0.95).
    pub fn interval(&self, central: f64) -> Result<(f64, f64)> {
        let lo = (1.0 - central) / 2.0;
        match (self.value_at(lo), self.value_at(1.0 - lo)) {
            (Some(l), Some(u)) => Ok((l, u)),
            _ => Err(Error::Other(format!(
                "no {central} central interval: levels {lo} and {} are needed",
                1.0 - lo
            ))),
        }
    }
}

/// The weighted interval score and its three parts, which sum to it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WisBreakdown {
    pub wis: f64,
    /// Width of the intervals: the forecast's own spread.
    pub dispersion: f64,
    /// Penalty for the observation lying above intervals (forecast too low).
    pub underprediction: f64,
    /// Penalty for the observation lying below intervals (forecast too high).
    pub overprediction: f64,
}

/// Weighted interval score (Bracher et al. 2021):
///
/// WIS = 1/(K+½) · (½|y−m| + Σₖ (αₖ/2) · IS_αₖ),
/// IS_α = (u−l) + (2/α)(l−y)·1{y<l} + (2/α)(y−u)·1{y>u},
///
/// with m the median and (l, u) the central (1−α) interval formed by the
/// levels α/2 and 1−α/2. Every level other than 0.5 must have its partner
/// 1−level, and 0.5 must be present. With (α/2)(2/α) = 1 the parts are
/// dispersion = c·Σ(α/2)(u−l), overprediction = c·(½(m−y)⁺ + Σ(l−y)⁺) and
/// underprediction = c·(½(y−m)⁺ + Σ(y−u)⁺), c = 1/(K+½).
pub fn wis(forecast: &QuantileForecast, y: f64) -> Result<WisBreakdown> {
    if !y.is_finite() {
        return Err(Error::Numerical(format!("observation is {y}")));
    }
    let m = forecast
        .median()
        .ok_or_else(|| Error::Other("WIS needs the 0.5 level (the median)".into()))?;
    let (mut dispersion, mut under, mut over) = (0.0, 0.0, 0.0);
    // Upper levels are visited through their lower partner.
    let pairs = forecast.central_pairs()?;
    let k = pairs.len();
    for (i, j) in pairs {
        let (lvl, l, u) = (forecast.levels[i], forecast.values[i], forecast.values[j]);
        let alpha = 2.0 * lvl;
        dispersion += alpha / 2.0 * (u - l);
        over += (l - y).max(0.0);
        under += (y - u).max(0.0);
    }
    // Every upper level must be some lower level's partner, or it was ignored.
    let n_upper = forecast
        .levels
        .iter()
        .filter(|&&l| l > 0.5 + LEVEL_TOL)
        .count();
    if n_upper != k {
        return Err(Error::Other(
            "WIS needs symmetric levels: an upper level has no lower partner".into(),
        ));
    }
    over += 0.5 * (m - y).max(0.0);
    under += 0.5 * (y - m).max(0.0);
    let c = 1.0 / (k as f64 + 0.5);
    let (dispersion, underprediction, overprediction) = (c * dispersion, c * under, c * over);
    Ok(WisBreakdown {
        wis: dispersion + underprediction + overprediction,
        dispersion,
        underprediction,
        overprediction,
    })
}

/// CRPS of the empirical distribution of `samples` at `y`:
/// E|X−y| − ½E|X−X'|, with X, X' independent draws from the samples (the
/// 1/n² form, as `properscoring.crps_ensemble`, not the "fair" 1/(n(n−1))).
///
/// After sorting, Σ_{i<j}(x_j − x_i) = Σₖ (x_k − x_{k−1})·k·(n−k): every gap
/// is crossed by k·(n−k) pairs. Summing non-negative gap terms avoids the
/// cancellation of the Σ(2i−n+1)x_i form.
pub fn crps_samples(samples: &[f64], y: f64) -> Result<f64> {
    check_crps_inputs(samples, y)?;
    let mut x = samples.to_vec();
    x.sort_unstable_by(f64::total_cmp);
    Ok(crps_of_sorted(&x, y))
}

/// As [`crps_samples`] for samples already in increasing order, in O(n):
/// for a forecaster that sorted them anyway (for its quantiles). An error
/// for an empty or unsorted sample or a non-finite value.
pub fn crps_sorted(sorted: &[f64], y: f64) -> Result<f64> {
    check_crps_inputs(sorted, y)?;
    if let Some(i) = sorted.windows(2).position(|w| w[1] < w[0]) {
        return Err(Error::Other(format!(
            "samples are not sorted: sample {} ({}) is below sample {i} ({})",
            i + 1,
            sorted[i + 1],
            sorted[i]
        )));
    }
    Ok(crps_of_sorted(sorted, y))
}

/// A non-empty sample and an observation, all finite.
fn check_crps_inputs(samples: &[f64], y: f64) -> Result<()> {
    if samples.is_empty() {
        return Err(Error::Other("CRPS of an empty sample".into()));
    }
    if !y.is_finite() {
        return Err(Error::Numerical(format!("observation is {y}")));
    }
    match samples.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(Error::Numerical(format!("sample {i} is {}", samples[i]))),
        None => Ok(()),
    }
}

/// The sample CRPS of finite, sorted `x` (non-empty).
fn crps_of_sorted(x: &[f64], y: f64) -> f64 {
    let n = x.len() as f64;
    let abs_dev: f64 = x.iter().map(|&v| (v - y).abs()).sum::<f64>() / n;
    let pair_sum: f64 = x
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            let k = (i + 1) as f64;
            (w[1] - w[0]) * k * (n - k)
        })
        .sum();
    // ½E|X−X'| = ½ · 2·pair_sum / n².
    abs_dev - pair_sum / (n * n)
}

/// Whether `y` lies in the closed central interval of nominal coverage
/// `central` (0.5 uses levels 0.25/0.75, 0.9 uses 0.05/0.95).
pub fn interval_coverage(forecast: &QuantileForecast, y: f64, central: f64) -> Result<bool> {
    let (l, u) = forecast.interval(central)?;
    Ok(l <= y && y <= u)
}

/// Bias of a quantile forecast, as scoringutils' `bias_quantile`, in
/// [−1, 1], positive when the forecast is too high:
///
/// * y = median: 0;
/// * y < median: 1 − 2·max{τ : q_τ ≤ y}, which is 1 when y is below every
///   quantile (the max over an empty set is taken as 0);
/// * y > median: 1 − 2·min{τ : q_τ ≥ y}, which is −1 when y is above every
///   quantile (the min over an empty set is taken as 1).
///
/// Requires the 0.5 level.
pub fn bias(forecast: &QuantileForecast, y: f64) -> Result<f64> {
    if !y.is_finite() {
        return Err(Error::Numerical(format!("observation is {y}")));
    }
    let m = forecast
        .median()
        .ok_or_else(|| Error::Other("bias needs the 0.5 level (the median)".into()))?;
    let pairs = || forecast.levels.iter().zip(&forecast.values);
    let b = if y == m {
        0.0
    } else if y < m {
        let tau = pairs()
            .filter(|(_, &v)| v <= y)
            .map(|(&l, _)| l)
            .fold(0.0, f64::max);
        1.0 - 2.0 * tau
    } else {
        let tau = pairs()
            .filter(|(_, &v)| v >= y)
            .map(|(&l, _)| l)
            .fold(1.0, f64::min);
        1.0 - 2.0 * tau
    };
    Ok(b)
}
