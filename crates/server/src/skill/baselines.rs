//! The Forecast Hub baseline at each Saturday, and the fits kept between
//! answers.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::Mutex;

use didymos_forecast::{persistence_baseline, BaselineOptions, QuantileForecast};
use didymos_twin::companions::weekly_history;

use super::record::Located;

/// The baseline's simulated sums per horizon: a tenth of the backtest's
/// 50,000, since a request fits it for every location and epiweek of up
/// to a year (its quantiles move by well under its own spread's
/// uncertainty).
pub(super) const BASELINE_SIMS: usize = 5_000;

/// Baseline fits kept at most (a year of origins of the Spain twin fits
/// about 9,000; each takes well under a kilobyte).
const FITS_KEPT: usize = 50_000;

/// A baseline fit's seed, weeks ahead and the bits of the weekly sums
/// (its other options are this module's constants).
pub(super) type FitKey = (u64, u32, Vec<u64>);

/// The Hub baseline fitted at each Saturday, for the weeks after it that
/// are scored: every origin of an epiweek fits it to the same completed
/// epiweeks, so each (location, Saturday, weeks ahead) is fitted once,
/// with its own seed so it does not depend on which others were asked for.
pub(super) struct Baselines<'a> {
    options: &'a BaselineOptions,
    /// Fits from earlier answers ([`SkillCache`]).
    kept: &'a Mutex<HashMap<FitKey, Option<QuantileForecast>>>,
    /// Per (target, location, Saturday): the weekly sums up to it.
    history: HashMap<(String, usize, usize), Vec<f64>>,
    /// Per (target, location, Saturday, weeks ahead): the forecast (`None`:
    /// under two completed epiweeks to fit it to).
    fitted: HashMap<(String, usize, usize, u32), Option<QuantileForecast>>,
}

impl<'a> Baselines<'a> {
    pub(super) fn new(
        options: &'a BaselineOptions,
        kept: &'a Mutex<HashMap<FitKey, Option<QuantileForecast>>>,
    ) -> Self {
        Baselines {
            options,
            kept,
            history: HashMap::new(),
            fitted: HashMap::new(),
        }
    }

    pub(super) fn at(
        &mut self,
        at: &Located,
        saturday: usize,
        weeks: u32,
    ) -> Result<Option<&QuantileForecast>, String> {
        let (stream, l) = (at.stream, at.l);
        let key = (stream.name.clone(), l, saturday, weeks);
        let fitted = match self.fitted.entry(key) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                let past = self
                    .history
                    .entry((stream.name.clone(), l, saturday))
                    .or_insert_with(|| {
                        let past = weekly_history(stream, l, saturday);
                        past.into_iter().map(|v| v * at.factor).collect()
                    });
                e.insert(fit_kept(self.kept, self.options, past, weeks)?)
            }
        };
        Ok(fitted.as_ref())
    }
}

/// The baseline `weeks` ahead fitted to the weekly sums `past` (`None`:
/// under two to fit it to), from the fits kept if it was made before.
fn fit_kept(
    kept: &Mutex<HashMap<FitKey, Option<QuantileForecast>>>,
    options: &BaselineOptions,
    past: &[f64],
    weeks: u32,
) -> Result<Option<QuantileForecast>, String> {
    let options = BaselineOptions {
        seed: options.seed.wrapping_add(u64::from(weeks)),
        ..options.clone()
    };
    let key = (
        options.seed,
        weeks,
        past.iter().map(|v| v.to_bits()).collect(),
    );
    let hit = kept.lock().ok().and_then(|fits| fits.get(&key).cloned());
    if let Some(fit) = hit {
        return Ok(fit);
    }
    let fit = match past.len() {
        0 | 1 => None,
        _ => persistence_baseline(past, &[weeks], &options)
            .map_err(|e| e.to_string())?
            .pop(),
    };
    if let Ok(mut fits) = kept.lock() {
        if fits.len() >= FITS_KEPT {
            fits.clear();
        }
        fits.insert(key, fit.clone());
    }
    Ok(fit)
}
