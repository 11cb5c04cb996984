//! The skill answer's shapes, and the sums behind each of its rows.

use std::collections::BTreeMap;

use didymos_forecast::{bias, interval_coverage, wis, CalibrationTally, QuantileForecast};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Key, OriginKey};

/// The scores of a twin's past forecasts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Skill {
    pub twin: String,
    /// Truth is read through this date: the last day the twin has
    /// assimilated (absent: nothing yet, so nothing is scored).
    pub scored_through: Option<String>,
    /// The origins asked about, from and to (absent when nothing is
    /// scored yet). At most [`super::MAX_DAYS`] of them: a `from` further back
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
    /// The damped trend on the observed weekly sums, the ensemble's
    /// statistical part, the same way (as averaged in).
    pub weekly_trend: Vec<WeeklySkill>,
    /// The lead forecaster (the stream's leading series times its recent
    /// ratio), where the twin has one, the same way.
    pub weekly_lead: Vec<WeeklySkill>,
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
    /// The same for each part of the ensemble: the twin alone, the trend
    /// and the lead. Each is absent unless that part was kept for every
    /// target the ensemble was scored on (older forecasts kept none; a
    /// location may have no lead).
    pub twin_relative_wis: Option<f64>,
    pub trend_relative_wis: Option<f64>,
    pub lead_relative_wis: Option<f64>,
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

/// Sums for one row of the answer.
#[derive(Debug, Default)]
pub(super) struct Tally {
    n: usize,
    wis: f64,
    covered_50: usize,
    covered_90: usize,
    bias: f64,
    baseline_wis: f64,
    baseline_covered_90: usize,
    calibration: CalibrationTally,
}

/// One forecast's scores against its outcome, worked out once however
/// many rows it counts in (pooled and per origin), and for the baseline
/// once however many forecasters are compared with it.
pub(super) struct Scored {
    wis: f64,
    covered_50: bool,
    covered_90: bool,
    bias: f64,
}

impl Scored {
    pub(super) fn of(q: &QuantileForecast, y: f64) -> Result<Self, String> {
        let e = |e: didymos_core::Error| e.to_string();
        Ok(Scored {
            wis: wis(q, y).map_err(e)?.wis,
            covered_50: interval_coverage(q, y, 0.5).map_err(e)?,
            covered_90: interval_coverage(q, y, 0.9).map_err(e)?,
            bias: bias(q, y).map_err(e)?,
        })
    }
}

impl Tally {
    /// Counts forecast `q` of outcome `y`, `scored` as [`Scored::of`].
    pub(super) fn add(
        &mut self,
        q: &QuantileForecast,
        scored: &Scored,
        y: f64,
    ) -> Result<(), String> {
        self.n += 1;
        self.wis += scored.wis;
        self.covered_50 += usize::from(scored.covered_50);
        self.covered_90 += usize::from(scored.covered_90);
        self.bias += scored.bias;
        self.calibration.add(q, y).map_err(|e| e.to_string())
    }
    /// Counts the baseline's forecast of the same outcome.
    pub(super) fn add_baseline(&mut self, baseline: &Scored) {
        self.baseline_wis += baseline.wis;
        self.baseline_covered_90 += usize::from(baseline.covered_90);
    }
    pub(super) fn mean(&self, x: f64) -> f64 {
        x / self.n.max(1) as f64
    }
    pub(super) fn share(&self, k: usize) -> f64 {
        k as f64 / self.n.max(1) as f64
    }
    pub(super) fn relative_wis(&self) -> Option<f64> {
        (self.baseline_wis > 0.0).then(|| self.wis / self.baseline_wis)
    }
    /// The central ranges' coverage and the shares below each quantile.
    fn level_shares(&self) -> (Vec<LevelShare>, Vec<LevelShare>) {
        let c = self.calibration.finish();
        (level_shares(&c.central), level_shares(&c.below))
    }
}

pub(super) fn weekly_rows(tallies: BTreeMap<Key, Tally>) -> Vec<WeeklySkill> {
    tallies
        .into_iter()
        .map(|((target, scope, k), t)| {
            let (central_coverage, below_quantile) = t.level_shares();
            WeeklySkill {
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
                central_coverage,
                below_quantile,
            }
        })
        .collect()
}

pub(super) fn daily_rows(tallies: BTreeMap<Key, Tally>) -> Vec<DailySkill> {
    tallies
        .into_iter()
        .map(|((target, scope, week), t)| {
            let (central_coverage, below_quantile) = t.level_shares();
            DailySkill {
                target,
                scope: scope.into(),
                days_ahead_from: 7 * (week - 1) + 1,
                days_ahead_to: 7 * week,
                n: t.n,
                wis: t.mean(t.wis),
                coverage_50: t.share(t.covered_50),
                coverage_90: t.share(t.covered_90),
                bias: t.mean(t.bias),
                central_coverage,
                below_quantile,
            }
        })
        .collect()
}

/// Per origin: the ensemble's tally, then its parts'.
pub(super) fn origin_rows(
    tallies: BTreeMap<OriginKey, [Tally; super::WEEKLY_PARTS]>,
) -> Vec<OriginSkill> {
    tallies
        .into_iter()
        .map(|((target, scope, origin, k), [e, twin, trend, lead])| {
            let part = |p: &Tally| (p.n == e.n).then(|| p.relative_wis()).flatten();
            OriginSkill {
                target,
                scope: scope.into(),
                origin,
                weeks_ahead: k,
                n: e.n,
                wis: e.mean(e.wis),
                baseline_wis: e.mean(e.baseline_wis),
                relative_wis: e.relative_wis(),
                twin_relative_wis: part(&twin),
                trend_relative_wis: part(&trend),
                lead_relative_wis: part(&lead),
            }
        })
        .collect()
}
