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
//! The weekly ensemble, and each of its parts (the twin's own weekly
//! forecasts, the damped trend, the lead), are compared with the Forecast Hub's persistence baseline,
//! fitted at each origin to every epiweek completed by then (back to the
//! record's first gap, as in `didymos backtest`); the daily forecasts have
//! no yardstick here.
//!
//! `answer.rs` holds the answer's shapes and the sums behind each row,
//! `record.rs` reads the record and scores one stored forecast on it,
//! `baselines.rs` fits (and keeps) the baseline.

mod answer;
mod baselines;
mod record;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use didymos_core::Date;
use didymos_forecast::{BaselineOptions, QuantileForecast};

use answer::{daily_rows, origin_rows, weekly_rows, Tally};
pub use answer::{DailySkill, LevelShare, OriginSkill, Skill, WeeklySkill};
use baselines::{Baselines, FitKey, BASELINE_SIMS};
use record::Record;

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
        weekly_trend: Vec::new(),
        weekly_lead: Vec::new(),
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
    let mut baselines = Baselines::new(baseline, &state.skill_cache.fits);
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
    out.daily = daily_rows(daily);
    let [ensemble, twin_alone, trend, lead] = weekly.pooled;
    out.weekly_ensemble = weekly_rows(ensemble);
    out.weekly_twin = weekly_rows(twin_alone);
    out.weekly_trend = weekly_rows(trend);
    out.weekly_lead = weekly_rows(lead);
    out.weekly_by_origin = origin_rows(weekly.by_origin);
    Ok(())
}

/// (target, scope, origin, weeks ahead).
type OriginKey = (String, &'static str, String, usize);

/// How many weekly forecasters are scored: the ensemble, then its parts
/// (the twin alone, the trend, the lead), in that order.
const WEEKLY_PARTS: usize = 4;

/// Tallies of the weekly forecasts, one per forecaster in the order of
/// [`WEEKLY_PARTS`], pooled over origins and per origin.
#[derive(Default)]
struct Weekly {
    pooled: [BTreeMap<Key, Tally>; WEEKLY_PARTS],
    by_origin: BTreeMap<OriginKey, [Tally; WEEKLY_PARTS]>,
}
