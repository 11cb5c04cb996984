//! How a live twin's forecasts have done: each origin's last published
//! forecast scored against the record as it now stands, for the days and
//! epiweeks the twin has since assimilated. The same scores as `didymos
//! backtest` (WIS, 50%/90% coverage, bias), but of what the service
//! actually published, so users can judge its intervals before acting on
//! the next one.
//!
//! Truth is read only through the twin's checkpoint: the days it has
//! assimilated as complete (a nowcasting twin's provisional days are
//! after it), as values stand now, revisions and retractions included.
//! The weekly ensemble, and the twin's own weekly forecasts that went
//! into it, are compared with the Forecast Hub's persistence baseline,
//! fitted at each origin to every epiweek completed by then (back to the
//! record's first gap, as in `didymos backtest`); the daily forecasts have
//! no yardstick here.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use didymos_core::observation::Stream;
use didymos_core::{Calendar, Date};
use didymos_forecast::{
    bias, interval_coverage, persistence_baseline, wis, BaselineOptions, CalibrationTally,
    QuantileForecast,
};
use didymos_twin::companions::{observed_sum, weekly_history};
use serde::Serialize;
use utoipa::ToSchema;

use crate::hosted::{Hosted, LiveTwin};
use crate::jobs::ForecastBody;
use crate::registry::TwinEntry;
use crate::store::{self, ForecastRow, StoredObservation};
use crate::AppState;

/// Days of origins scored when the request names none: eight weeks.
pub const DEFAULT_DAYS: i32 = 56;
/// At most this many days of origins per request, which bounds the
/// forecasts read (one per origin).
pub const MAX_DAYS: i32 = 366;
/// The baseline's simulated sums per horizon: a tenth of the backtest's
/// 50,000, since a request fits it for every location and epiweek of up
/// to a year (its quantiles move by well under its own spread's
/// uncertainty).
const BASELINE_SIMS: usize = 5_000;

/// The scores of a twin's past forecasts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Skill {
    pub twin: String,
    /// Truth is read through this date: the last day the twin has
    /// assimilated (absent: nothing yet, so nothing is scored).
    pub scored_through: Option<String>,
    /// The origins asked about, from and to (absent when nothing is
    /// scored yet). At most [`MAX_DAYS`] of them: a `from` further back
    /// than that before `to` is moved up.
    pub from: Option<String>,
    pub to: Option<String>,
    /// The origins whose forecast (the last one published for each) was
    /// scored, oldest first.
    pub origins: Vec<String>,
    /// The twin's daily forecasts, per target, scope and week of horizon.
    pub daily: Vec<DailySkill>,
    /// The weekly ensemble (the twin with its companions), per target,
    /// scope and Forecast Hub week ahead, against the Hub's baseline.
    pub weekly_ensemble: Vec<WeeklySkill>,
    /// The twin's own weekly forecasts, the ensemble's mechanistic part,
    /// scored the same way on the same epiweeks (forecasts stored before
    /// these were kept have none, so `n` may be smaller).
    pub weekly_twin: Vec<WeeklySkill>,
    /// The weekly ensemble per origin and week ahead, oldest origin first:
    /// whether skill has held up lately, which the pooled rows dilute.
    pub weekly_by_origin: Vec<OriginSkill>,
}

/// One origin's weekly forecasts `weeks_ahead` weeks ahead, over the
/// locations in its scope.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OriginSkill {
    pub target: String,
    pub scope: String,
    pub origin: String,
    pub weeks_ahead: usize,
    pub n: usize,
    /// The ensemble's mean WIS, and the baseline's on the same targets.
    pub wis: f64,
    pub baseline_wis: f64,
    /// Σ WIS / Σ baseline WIS (absent when the baseline scored 0).
    pub relative_wis: Option<f64>,
    /// The same for the twin alone (absent where its weekly forecasts
    /// were not kept).
    pub twin_relative_wis: Option<f64>,
}

/// Scores of daily forecasts `days_ahead_from..=days_ahead_to` days after
/// their origin: means over the scored (origin, location, day) targets.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DailySkill {
    pub target: String,
    /// `locations` (each location on its own, pooled) or `total`.
    pub scope: String,
    pub days_ahead_from: usize,
    pub days_ahead_to: usize,
    pub n: usize,
    pub wis: f64,
    pub coverage_50: f64,
    pub coverage_90: f64,
    /// In [−1, 1], positive when forecasts were too high.
    pub bias: f64,
    /// Each central range (10% … 98%) and the share of outcomes in it.
    pub central_coverage: Vec<LevelShare>,
    /// Each quantile level and the share of outcomes below that quantile
    /// (a tie counting half): about the level itself when the forecasts
    /// sat neither too low nor too high.
    pub below_quantile: Vec<LevelShare>,
}

/// A level (a range's nominal coverage, or a quantile's level) and the
/// share of outcomes observed there.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LevelShare {
    pub level: f64,
    pub share: f64,
}

fn level_shares(pairs: &[(f64, f64)]) -> Vec<LevelShare> {
    // Levels as the Hub writes them (0.9, not 0.8999999999999999).
    let level = |x: f64| (x * 1e9).round() / 1e9;
    pairs
        .iter()
        .map(|&(l, share)| LevelShare {
            level: level(l),
            share,
        })
        .collect()
}

/// Scores of weekly forecasts `weeks_ahead` weeks ahead (the Hub's
/// rule: from a Sunday or Monday the epiweek under way is week 1).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WeeklySkill {
    pub target: String,
    pub scope: String,
    pub weeks_ahead: usize,
    pub n: usize,
    pub wis: f64,
    /// The Hub baseline's mean WIS over the same targets (where it could
    /// be fitted: two completed epiweeks before the origin).
    pub baseline_wis: f64,
    /// Σ WIS / Σ baseline WIS (absent when the baseline scored 0).
    pub relative_wis: Option<f64>,
    pub coverage_50: f64,
    pub coverage_90: f64,
    pub bias: f64,
    pub baseline_coverage_90: f64,
    /// As in [`DailySkill`].
    pub central_coverage: Vec<LevelShare>,
    pub below_quantile: Vec<LevelShare>,
}

/// Origins from `from` to `to` (either may be absent: the last
/// [`DEFAULT_DAYS`] before the twin's checkpoint), one target or all, one
/// location (or `total`) or all.
#[derive(Debug, Clone, Default)]
pub struct SkillRequest {
    pub target: Option<String>,
    pub location: Option<String>,
    pub from: Option<Date>,
    pub to: Option<Date>,
}

/// Sums for one row of the answer.
#[derive(Debug, Default)]
struct Tally {
    n: usize,
    wis: f64,
    covered_50: usize,
    covered_90: usize,
    bias: f64,
    baseline_wis: f64,
    baseline_covered_90: usize,
    calibration: CalibrationTally,
}

impl Tally {
    fn add(&mut self, q: &QuantileForecast, y: f64) -> Result<(), String> {
        let e = |e: didymos_core::Error| e.to_string();
        self.n += 1;
        self.wis += wis(q, y).map_err(e)?.wis;
        self.covered_50 += usize::from(interval_coverage(q, y, 0.5).map_err(e)?);
        self.covered_90 += usize::from(interval_coverage(q, y, 0.9).map_err(e)?);
        self.bias += bias(q, y).map_err(e)?;
        self.calibration.add(q, y).map_err(e)
    }
    fn add_baseline(&mut self, q: &QuantileForecast, y: f64) -> Result<(), String> {
        let e = |e: didymos_core::Error| e.to_string();
        self.baseline_wis += wis(q, y).map_err(e)?.wis;
        self.baseline_covered_90 += usize::from(interval_coverage(q, y, 0.9).map_err(e)?);
        Ok(())
    }
    fn mean(&self, x: f64) -> f64 {
        x / self.n.max(1) as f64
    }
    fn share(&self, k: usize) -> f64 {
        k as f64 / self.n.max(1) as f64
    }
    fn relative_wis(&self) -> Option<f64> {
        (self.baseline_wis > 0.0).then(|| self.wis / self.baseline_wis)
    }
}

/// (target, scope, bucket): a week of horizon, or weeks ahead.
type Key = (String, &'static str, usize);

/// Answers already given, by all they depend on: the twin's checkpoint
/// and generation, its last forecast, what its record stands at (a stored
/// late value or a retraction changes the truth without moving the
/// checkpoint), and the request. Every open dashboard asks again after
/// each update; without this each page would cost the scoring again.
///
/// Beside them, the baseline fits, by what alone determines one: its seed,
/// its horizon and the weekly sums it is fitted to. A new day changes the
/// record, so every answer is scored afresh, but the epiweeks completed
/// before it are fitted to the same sums as before: only the newest
/// Saturday's fits are simulated again (they were two thirds of a
/// request's time).
#[derive(Default)]
pub struct SkillCache {
    answers: Mutex<HashMap<String, Arc<Skill>>>,
    fits: Mutex<HashMap<FitKey, Option<QuantileForecast>>>,
}

/// Answers kept at most; past that they are dropped and start afresh.
const CACHED: usize = 64;
/// Baseline fits kept at most (a year of origins of the Spain twin fits
/// about 9,000; each takes well under a kilobyte).
const FITS_KEPT: usize = 50_000;

/// A baseline fit's seed, weeks ahead and the bits of the weekly sums
/// (its other options are this module's constants).
type FitKey = (u64, u32, Vec<u64>);

/// Scores `twin`'s forecasts as `req` asks (see [`SkillCache`]). Errors
/// are the server's own (a stored forecast or record it cannot read).
pub fn skill(state: &AppState, twin: &TwinEntry, req: &SkillRequest) -> Result<Arc<Skill>, String> {
    let id = twin.id.clone();
    let (row, version) = state
        .store
        .read_blocking(move |c| Ok((store::get_twin(c, &id)?, store::record_version(c, &id)?)))
        .map_err(|e| e.to_string())?;
    let key = format!(
        "{}|{}|{:?}|{:?}|{version:?}|{req:?}",
        twin.id, row.generation, row.checkpoint_date, row.last_forecast_id
    );
    let cached = |cache: &HashMap<String, Arc<Skill>>| cache.get(&key).cloned();
    let answers = &state.skill_cache.answers;
    if let Some(hit) = answers.lock().ok().and_then(|c| cached(&c)) {
        return Ok(hit);
    }
    let answer = Arc::new(score_twin(state, twin, &row, req)?);
    if let Ok(mut cache) = answers.lock() {
        if cache.len() >= CACHED {
            cache.clear();
        }
        cache.insert(key, answer.clone());
    }
    Ok(answer)
}

fn score_twin(
    state: &AppState,
    twin: &TwinEntry,
    row: &store::TwinRow,
    req: &SkillRequest,
) -> Result<Skill, String> {
    let mut out = Skill {
        twin: twin.id.clone(),
        scored_through: None,
        from: None,
        to: None,
        origins: Vec::new(),
        daily: Vec::new(),
        weekly_ensemble: Vec::new(),
        weekly_twin: Vec::new(),
        weekly_by_origin: Vec::new(),
    };
    let Some(through) = row.assimilated_through().map_err(|e| e.to_string())? else {
        return Ok(out);
    };
    let through = Date::from_days_since_epoch(through);
    out.scored_through = Some(through.to_string());
    let to = req.to.unwrap_or(through.add_days(-1));
    let earliest = to.add_days(1 - MAX_DAYS);
    let from = req
        .from
        .unwrap_or(to.add_days(1 - DEFAULT_DAYS))
        .max(earliest);
    (out.from, out.to) = (Some(from.to_string()), Some(to.to_string()));
    let (id, f, t) = (twin.id.clone(), from.to_string(), to.to_string());
    let forecasts = state
        .store
        .read_blocking(move |c| store::last_forecast_per_origin(c, &id, &f, &t))
        .map_err(|e| e.to_string())?;
    if forecasts.is_empty() {
        return Ok(out);
    }
    let baseline = BaselineOptions {
        seed: row.seed,
        n_sims: BASELINE_SIMS,
        ..BaselineOptions::default()
    };
    let read = (forecasts.as_slice(), through, req, &baseline);
    match &twin.hosted {
        Hosted::Epidemic(d) => score(state, twin, d.as_ref(), read, &mut out)?,
        Hosted::Flood(d) => score(state, twin, d.as_ref(), read, &mut out)?,
    }
    Ok(out)
}

/// Reads the record up to `through` and scores `forecasts` on it.
fn score<T: LiveTwin>(
    state: &AppState,
    twin: &TwinEntry,
    domain: &T,
    (forecasts, through, req, baseline): (&[ForecastRow], Date, &SkillRequest, &BaselineOptions),
    out: &mut Skill,
) -> Result<(), String> {
    let cal = twin.hosted.calendar();
    let first: Date = forecasts[0].origin.parse().map_err(|e| format!("{e}"))?;
    // The baseline is fitted to every completed epiweek before its origin,
    // back to the record's first gap, as the backtest's is: so an origin's
    // baseline does not depend on which other origins were asked about.
    // Without weekly forecasts only the days after each origin are read.
    let after = match twin.hosted.has_weekly_ensemble() {
        true => cal.start.days_since_epoch() - 1,
        false => first.days_since_epoch() - domain.history_days() as i32 - 7,
    };
    let id = twin.id.clone();
    let last = through.days_since_epoch();
    let rows: Vec<StoredObservation> = state
        .store
        .read_blocking(move |c| store::observations_between_days(c, &id, after, last))
        .map_err(|e| e.to_string())?;
    let data = domain.data(&twin.streams(), &rows, through.min(cal.end), None)?;
    let scored_day = cal.day_in_range(through.min(cal.end)).unwrap_or(0);
    let record = Record {
        streams: domain.scored_streams(&data),
        calendar: &cal,
        strata: twin.strata(),
        scored_day,
    };
    let mut baselines = Baselines {
        options: baseline,
        kept: &state.skill_cache.fits,
        history: HashMap::new(),
        fitted: HashMap::new(),
    };
    let mut daily = BTreeMap::new();
    let mut weekly = Weekly::default();
    for f in forecasts {
        // One body at a time: a year of them would be hundreds of MB.
        let (id, fid) = (twin.id.clone(), f.id);
        let stored = match state
            .store
            .read_blocking(move |c| store::get_forecast(c, &id, fid))
        {
            Ok(stored) => stored,
            // The twin was deleted meanwhile: nothing left to score.
            Err(store::StoreError::NotFound(_)) => break,
            Err(e) => return Err(e.to_string()),
        };
        let body: ForecastBody = serde_json::from_str(&stored.body)
            .map_err(|e| format!("stored forecast {}: {e}", f.id))?;
        let wanted = |target: &str, location: &str| {
            req.target.as_deref().is_none_or(|x| x == target)
                && req.location.as_deref().is_none_or(|x| x == location)
        };
        let mut scored = false;
        for t in body
            .targets
            .iter()
            .filter(|t| wanted(&t.target, &t.location))
        {
            scored |= record.daily(&body.levels, t, &mut daily)?;
        }
        let weekly_wanted = body
            .weekly_ensemble
            .iter()
            .filter(|w| wanted(&w.target, &w.location));
        for w in weekly_wanted {
            scored |= record.weekly(&body, w, &mut baselines, &mut weekly)?;
        }
        if scored {
            out.origins.push(f.origin.clone());
        }
    }
    out.daily = daily
        .into_iter()
        .map(|((target, scope, week), t): (Key, Tally)| DailySkill {
            target,
            scope: scope.into(),
            days_ahead_from: 7 * (week - 1) + 1,
            days_ahead_to: 7 * week,
            n: t.n,
            wis: t.mean(t.wis),
            coverage_50: t.share(t.covered_50),
            coverage_90: t.share(t.covered_90),
            bias: t.mean(t.bias),
            central_coverage: level_shares(&t.calibration.finish().central),
            below_quantile: level_shares(&t.calibration.finish().below),
        })
        .collect();
    out.weekly_ensemble = weekly_rows(weekly.ensemble);
    out.weekly_twin = weekly_rows(weekly.twin);
    out.weekly_by_origin = weekly
        .by_origin
        .into_iter()
        .map(|((target, scope, origin, k), [e, t])| OriginSkill {
            target,
            scope: scope.into(),
            origin,
            weeks_ahead: k,
            n: e.n,
            wis: e.mean(e.wis),
            baseline_wis: e.mean(e.baseline_wis),
            relative_wis: e.relative_wis(),
            twin_relative_wis: (t.n == e.n).then(|| t.relative_wis()).flatten(),
        })
        .collect();
    Ok(())
}

/// (target, scope, origin, weeks ahead).
type OriginKey = (String, &'static str, String, usize);

/// Tallies of the weekly forecasts: the ensemble and the twin alone,
/// pooled over origins and per origin.
#[derive(Default)]
struct Weekly {
    ensemble: BTreeMap<Key, Tally>,
    twin: BTreeMap<Key, Tally>,
    by_origin: BTreeMap<OriginKey, [Tally; 2]>,
}

fn weekly_rows(tallies: BTreeMap<Key, Tally>) -> Vec<WeeklySkill> {
    tallies
        .into_iter()
        .map(|((target, scope, k), t)| WeeklySkill {
            target,
            scope: scope.into(),
            weeks_ahead: k,
            n: t.n,
            wis: t.mean(t.wis),
            baseline_wis: t.mean(t.baseline_wis),
            relative_wis: t.relative_wis(),
            coverage_50: t.share(t.covered_50),
            coverage_90: t.share(t.covered_90),
            bias: t.mean(t.bias),
            baseline_coverage_90: t.share(t.baseline_covered_90),
            central_coverage: level_shares(&t.calibration.finish().central),
            below_quantile: level_shares(&t.calibration.finish().below),
        })
        .collect()
}

/// The record as it stands, through the last day scored.
struct Record<'a> {
    /// Per forecast target: its stream and the factor to the forecast's
    /// unit ([`LiveTwin::scored_streams`]).
    streams: Vec<(String, &'a Stream, f64)>,
    calendar: &'a Calendar,
    strata: &'a [String],
    /// The twin's day (1-based) of the last date scored.
    scored_day: usize,
}

/// The Hub baseline fitted at each Saturday, for the weeks after it that
/// are scored: every origin of an epiweek fits it to the same completed
/// epiweeks, so each (location, Saturday, weeks ahead) is fitted once,
/// with its own seed so it does not depend on which others were asked for.
struct Baselines<'a> {
    options: &'a BaselineOptions,
    /// Fits from earlier answers ([`SkillCache`]).
    kept: &'a Mutex<HashMap<FitKey, Option<QuantileForecast>>>,
    /// Per (target, location, Saturday): the weekly sums up to it.
    history: HashMap<(String, usize, usize), Vec<f64>>,
    /// Per (target, location, Saturday, weeks ahead): the forecast (`None`:
    /// under two completed epiweeks to fit it to).
    fitted: HashMap<(String, usize, usize, u32), Option<QuantileForecast>>,
}

impl Baselines<'_> {
    fn at(
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

/// A forecast target's observations at one location (or the total).
struct Located<'a> {
    stream: &'a Stream,
    /// The location's index in the stream, its number of locations for
    /// the total.
    l: usize,
    /// From the stream's values to the forecast's unit.
    factor: f64,
}

impl Located<'_> {
    /// The observed sum over days `from..=to`, `None` if one is missing.
    fn sum(&self, from: usize, to: usize) -> Option<f64> {
        observed_sum(self.stream, self.l, from, to).map(|v| v * self.factor)
    }
}

impl<'a> Record<'a> {
    /// The stream of `target` and the index of `location` in it (its
    /// locations, then the total).
    fn locate(&self, target: &str, location: &str) -> Option<Located<'a>> {
        let &(_, s, factor) = self.streams.iter().find(|(t, _, _)| t == target)?;
        let n = s.aggregation.len();
        if location == didymos_twin::predict::TOTAL {
            return Some(Located {
                stream: s,
                l: n,
                factor,
            });
        }
        let (place, stratum) = match location.split_once('/') {
            Some((p, x)) => (p, Some(self.strata.iter().position(|s| s == x)?)),
            None => (location, None),
        };
        let l = s
            .aggregation
            .locations()
            .iter()
            .position(|o| o.location == place && o.stratum == stratum)?;
        Some(Located {
            stream: s,
            l,
            factor,
        })
    }

    /// The twin's day of an ISO date in a stored forecast, if it is scored.
    fn day(&self, date: &str) -> Result<Option<usize>, String> {
        let d: Date = date.parse().map_err(|e| format!("stored forecast: {e}"))?;
        Ok(self
            .calendar
            .day_in_range(d)
            .filter(|&day| day <= self.scored_day))
    }

    /// Scores one daily target's complete days; whether any was.
    fn daily(
        &self,
        levels: &[f64],
        t: &crate::jobs::TargetQuantiles,
        into: &mut BTreeMap<Key, Tally>,
    ) -> Result<bool, String> {
        let Some(at) = self.locate(&t.target, &t.location) else {
            return Ok(false);
        };
        let scope = scope_of(&t.location);
        let mut any = false;
        for (h, (date, q)) in t.dates.iter().zip(&t.quantiles).enumerate() {
            let Some(day) = self.day(date)? else { continue };
            let Some(y) = at.sum(day, day) else {
                continue;
            };
            let q = QuantileForecast::new(levels.to_vec(), q.clone()).map_err(|e| e.to_string())?;
            let key = (t.target.clone(), scope, h / 7 + 1);
            into.entry(key).or_default().add(&q, y)?;
            any = true;
        }
        Ok(any)
    }

    /// Scores one location's weekly ensemble, and the twin's weekly
    /// forecasts in it, on its complete epiweeks, with the baseline fitted
    /// to the epiweeks completed by the origin.
    fn weekly(
        &self,
        body: &ForecastBody,
        w: &crate::jobs::WeeklyQuantiles,
        baselines: &mut Baselines,
        into: &mut Weekly,
    ) -> Result<bool, String> {
        let Some(at) = self.locate(&w.target, &w.location) else {
            return Ok(false);
        };
        let origin: Date = body.origin.parse().map_err(|e| format!("{e}"))?;
        // The last Saturday on or before the origin ends the last epiweek
        // completed by then.
        let back = (origin.iso_weekday() + 1) % 7;
        let Some(saturday) = self.calendar.day_in_range(origin.add_days(-(back as i32))) else {
            return Ok(false);
        };
        let mut any = false;
        for (k, (end, q)) in w.week_ends.iter().zip(&w.quantiles).enumerate() {
            let Some(end_day) = self.day(end)? else {
                continue;
            };
            let Some(y) = end_day
                .checked_sub(6)
                .filter(|&d| d >= 1)
                .and_then(|start| at.sum(start, end_day))
            else {
                continue;
            };
            let weeks = ((end_day - saturday) / 7) as u32;
            let Some(b) = baselines.at(&at, saturday, weeks)? else {
                continue;
            };
            let key = (w.target.clone(), scope_of(&w.location), k + 1);
            let origin_key = (key.0.clone(), key.1, body.origin.clone(), key.2);
            let [by_origin, twin_by_origin] = into.by_origin.entry(origin_key).or_default();
            let scored = [
                (Some(q), &mut into.ensemble, by_origin),
                (w.twin_quantiles.get(k), &mut into.twin, twin_by_origin),
            ];
            for (q, pooled, per_origin) in scored {
                let Some(q) = q else { continue };
                let q = QuantileForecast::new(body.levels.clone(), q.clone())
                    .map_err(|e| e.to_string())?;
                for tally in [pooled.entry(key.clone()).or_default(), per_origin] {
                    tally.add(&q, y)?;
                    tally.add_baseline(b, y)?;
                }
            }
            any = true;
        }
        Ok(any)
    }
}

fn scope_of(location: &str) -> &'static str {
    match location == didymos_twin::predict::TOTAL {
        true => "total",
        false => "locations",
    }
}
