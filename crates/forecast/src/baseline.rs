//! The COVID-19 Forecast Hub baseline: persistence with an empirical,
//! symmetrised spread.
//!
//! The point forecast is the last observed value. The spread comes from the
//! series' past one-step changes d, pooled with their negatives −d so the
//! forecast has no trend and its median is the last value. At horizon h the
//! value is last + (sum of h independent draws from that pool), truncated
//! at 0 for non-negative quantities.
//!
//! How the h-fold sum is computed (deterministic either way):
//! * h = 1: exactly, as type-7 quantiles of the pool itself;
//! * h ≥ 2: by seeded Monte Carlo (ChaCha8, [`BaselineOptions::seed`]), with
//!   antithetic pairs: every simulated sum s is used as both +s and −s. The
//!   exact h-fold convolution has (2n)^h atoms, too many to enumerate, and
//!   the pairs keep the simulated distribution exactly symmetric, so the
//!   median is the last value at every horizon, as in the Hub's baseline.
//!
//! The series may be daily or weekly: a step is whatever one element is.

use didymos_core::{Error, Result};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::quantiles::{quantiles, HUB_LEVELS};
use crate::scores::QuantileForecast;

/// Settings of [`persistence_baseline`].
#[derive(Debug, Clone, PartialEq)]
pub struct BaselineOptions {
    /// Levels to report; strictly increasing inside (0, 1).
    pub levels: Vec<f64>,
    /// Simulated sums per horizon ≥ 2 (each used twice, as +s and −s).
    pub n_sims: usize,
    pub seed: u64,
    /// Clamp quantiles at 0 (counts, rates and other non-negative values).
    pub truncate_at_zero: bool,
}

impl Default for BaselineOptions {
    fn default() -> Self {
        BaselineOptions {
            levels: HUB_LEVELS.to_vec(),
            n_sims: 50_000,
            seed: 0,
            truncate_at_zero: true,
        }
    }
}

/// Baseline quantile forecasts of `history` (oldest first, at least two
/// finite values) for each horizon in `horizons` (steps ahead, ≥ 1).
pub fn persistence_baseline(
    history: &[f64],
    horizons: &[u32],
    opts: &BaselineOptions,
) -> Result<Vec<QuantileForecast>> {
    Ok(centred_forecasts(history, horizons, opts)?
        .into_iter()
        .map(|c| c.quantiles)
        .collect())
}

/// One horizon's baseline forecast with the sample it was taken from.
#[derive(Debug, Clone, PartialEq)]
pub struct SampledBaseline {
    /// The same quantiles as [`persistence_baseline`] gives.
    pub quantiles: QuantileForecast,
    /// The predictive sample, in increasing order: the pool itself at one
    /// step, the simulated sums beyond, shifted to the last value (and
    /// truncated at 0 where the options say), for sample scores such as
    /// [`crate::crps_sorted`].
    pub samples: Vec<f64>,
}

/// As [`persistence_baseline`], keeping each horizon's predictive sample.
pub fn persistence_baseline_sampled(
    history: &[f64],
    horizons: &[u32],
    opts: &BaselineOptions,
) -> Result<Vec<SampledBaseline>> {
    let centred = centred_forecasts(history, horizons, opts)?;
    Ok(centred
        .into_iter()
        .map(|c| SampledBaseline {
            quantiles: c.quantiles,
            samples: c
                .sorted_changes
                .into_iter()
                .map(|d| shifted(c.last, d, opts))
                .collect(),
        })
        .collect())
}

/// A horizon's quantiles and the sorted changes they came from.
struct Centred {
    quantiles: QuantileForecast,
    sorted_changes: Vec<f64>,
    last: f64,
}

fn shifted(last: f64, change: f64, opts: &BaselineOptions) -> f64 {
    let v = last + change;
    if opts.truncate_at_zero {
        v.max(0.0)
    } else {
        v
    }
}

fn centred_forecasts(
    history: &[f64],
    horizons: &[u32],
    opts: &BaselineOptions,
) -> Result<Vec<Centred>> {
    if history.len() < 2 {
        return Err(Error::Other(format!(
            "the baseline needs at least two observations, got {}",
            history.len()
        )));
    }
    if let Some(i) = history.iter().position(|v| !v.is_finite()) {
        return Err(Error::Numerical(format!(
            "observation {i} is {}",
            history[i]
        )));
    }
    if horizons.contains(&0) {
        return Err(Error::Other("horizons start at 1".into()));
    }
    if opts.n_sims == 0 {
        return Err(Error::Other("n_sims must be at least 1".into()));
    }
    let last = *history.last().expect("length checked above");
    let mut pool: Vec<f64> = history.windows(2).map(|w| w[1] - w[0]).collect();
    pool.extend(pool.clone().iter().map(|d| -d));

    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    horizons
        .iter()
        .map(|&h| {
            // Quantiles of the centred change, then shifted: a symmetric
            // sample has a median of exactly 0 under type-7 interpolation,
            // so the median comes out as exactly `last`.
            let mut centred = if h == 1 {
                pool.clone()
            } else {
                simulate_sums(&pool, h, opts.n_sims, &mut rng)
            };
            let q = quantiles(&mut centred, &opts.levels)?;
            let values = q.into_iter().map(|c| shifted(last, c, opts)).collect();
            Ok(Centred {
                quantiles: QuantileForecast::new(opts.levels.clone(), values)?,
                sorted_changes: centred,
                last,
            })
        })
        .collect()
}

/// `n` sums of `h` uniform draws from `pool`, each stored as +s and −s.
fn simulate_sums(pool: &[f64], h: u32, n: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let mut out = Vec::with_capacity(2 * n);
    for _ in 0..n {
        let s: f64 = (0..h).map(|_| pool[rng.gen_range(0..pool.len())]).sum();
        out.push(s);
        out.push(-s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_series_gives_the_constant() {
        let f = persistence_baseline(&[5.0; 10], &[1, 2, 4], &BaselineOptions::default()).unwrap();
        for q in &f {
            assert!(q.values().iter().all(|&v| v == 5.0), "{:?}", q.values());
        }
    }

    #[test]
    fn median_is_last_and_spread_grows() {
        let x = [10.0, 12.0, 11.0, 15.0, 14.0, 18.0, 17.0, 20.0];
        let f = persistence_baseline(&x, &[1, 2, 3, 4], &BaselineOptions::default()).unwrap();
        let mut prev_width = 0.0;
        for q in &f {
            assert_eq!(q.median(), Some(20.0));
            // Symmetric about the last value (truncation does not bite here).
            for (a, b) in q.values().iter().zip(q.values().iter().rev()) {
                assert!((a + b - 40.0).abs() < 1e-9, "{a} {b}");
            }
            let (l, u) = q.interval(0.9).unwrap();
            assert!(u - l > prev_width, "{} not wider than {prev_width}", u - l);
            prev_width = u - l;
        }
    }

    #[test]
    fn one_step_is_exact_and_truncated() {
        // Changes {-3, +1}, pooled with negatives: {-3, -1, 1, 3}.
        let opts = BaselineOptions {
            levels: vec![0.25, 0.5, 0.75],
            ..Default::default()
        };
        let f = persistence_baseline(&[4.0, 1.0, 2.0], &[1], &opts).unwrap();
        // type 7 on {-3,-1,1,3}: 0.25 → -1.5, 0.75 → 1.5.
        assert_eq!(f[0].values(), &[0.5, 2.0, 3.5]);
        let f = persistence_baseline(&[40.0, 1.0, 0.5], &[1], &opts).unwrap();
        assert_eq!(f[0].values()[0], 0.0);
    }

    #[test]
    fn sampled_gives_the_same_quantiles_and_their_sample() {
        let x = [10.0, 12.0, 11.0, 15.0, 14.0, 18.0, 17.0, 20.0, 3.0];
        let o = BaselineOptions {
            n_sims: 2000,
            ..Default::default()
        };
        let plain = persistence_baseline(&x, &[1, 2, 4], &o).unwrap();
        let sampled = persistence_baseline_sampled(&x, &[1, 2, 4], &o).unwrap();
        for (h, (p, s)) in plain.iter().zip(&sampled).enumerate() {
            assert_eq!(p, &s.quantiles);
            // The pool (16 changes) at one step, 2 × n_sims sums beyond.
            assert_eq!(s.samples.len(), if h == 0 { 16 } else { 4000 });
            assert!(s.samples.windows(2).all(|w| w[0] <= w[1]));
            // Truncated at 0, and the quantiles are the sample's own.
            assert!(s.samples[0] >= 0.0 && s.samples.contains(&0.0));
            let mut sample = s.samples.clone();
            let again = crate::quantiles(&mut sample, p.levels()).unwrap();
            for (a, b) in again.iter().zip(p.values()) {
                assert!((a - b).abs() < 1e-9, "h={h}: {a} vs {b}");
            }
        }
        // One step from [0, 1]: changes ±1 around 1, so {0, 2}, whose
        // CRPS at 1 is E|X − 1| − ½E|X − X'| = 1 − ½ = ½.
        let s = persistence_baseline_sampled(&[0.0, 1.0], &[1], &o).unwrap();
        assert_eq!(s[0].samples, vec![0.0, 2.0]);
        assert_eq!(crate::crps_sorted(&s[0].samples, 1.0).unwrap(), 0.5);
    }

    #[test]
    fn seeded_runs_repeat() {
        let x = [3.0, 8.0, 2.0, 9.0, 4.0];
        let a = persistence_baseline(&x, &[3], &BaselineOptions::default()).unwrap();
        let b = persistence_baseline(&x, &[3], &BaselineOptions::default()).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn bad_input() {
        let o = BaselineOptions::default();
        assert!(persistence_baseline(&[1.0], &[1], &o).is_err());
        assert!(persistence_baseline(&[1.0, f64::NAN], &[1], &o).is_err());
        assert!(persistence_baseline(&[1.0, 2.0], &[0], &o).is_err());
    }
}
