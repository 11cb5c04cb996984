//! The epidemic backtest's `summary.csv`, `scores.csv` and `forecasts.csv`
//! as the report reads them, each value checked against what a backtest
//! writes (see `read.rs`).

use std::collections::HashMap;
use std::path::Path;

use didymos_core::{show_number, Date, Error, Located, Result};
use didymos_epi::inputs::{CsvRow, CsvTable};

use super::read::{
    date_in, level_in, no_rows, number_in, one_of, require, share, whole_in, Agreed, Seen,
    MAX_WEEKS,
};
use super::FORECASTERS;

/// The scopes of `summary.csv` and `calibration.csv`.
pub(super) const SCOPES: [&str; 2] = ["locations", "total"];

/// One row of `summary.csv`.
pub(super) struct SummaryLine {
    pub stream: String,
    pub scope: String,
    pub forecaster: String,
    pub weeks_ahead: u64,
    pub n: u64,
    pub relative_wis: f64,
    pub coverage_50: f64,
    pub coverage_90: f64,
    /// Absent in backtests from before these columns.
    pub bias: Option<f64>,
    pub relative_crps: Option<f64>,
}

/// What a row of `scores.csv` or `forecasts.csv` is about.
pub(super) struct Target {
    pub origin: Date,
    pub stream: String,
    pub location: String,
    pub weeks_ahead: u32,
    pub forecaster: String,
}

/// One row of `forecasts.csv`: one quantile of a kept forecast.
pub(super) struct Kept {
    pub target: Target,
    pub level: f64,
    pub value: f64,
    pub truth: f64,
}

pub(super) fn forecaster_names() -> Vec<&'static str> {
    FORECASTERS.iter().map(|f| f.0).collect()
}

/// Weeks ahead in column `c`: from 1 to a horizon a backtest can have.
pub(super) fn weeks_in(row: &CsvRow, c: usize) -> Result<u32> {
    // MAX_WEEKS fits a u32, so the conversion cannot fail.
    Ok(whole_in(row, c, "weeks", 1, MAX_WEEKS)? as u32)
}

fn ratio(row: &CsvRow, c: usize) -> Result<f64> {
    number_in(row, c, |x| x >= 0.0, "a ratio ≥ 0")
}

fn bias_in(row: &CsvRow, c: usize) -> Result<f64> {
    number_in(row, c, |x| (-1.0..=1.0).contains(&x), "a bias in [-1, 1]")
}

/// An optional column's value where the column is there and the cell is
/// not empty (the backtest leaves CRPS empty for quantile-only
/// forecasters).
fn optional(
    row: &CsvRow,
    c: Option<usize>,
    check: fn(&CsvRow, usize) -> Result<f64>,
) -> Result<Option<f64>> {
    match c {
        Some(c) if !row.cell(c).is_empty() => check(row, c).map(Some),
        _ => Ok(None),
    }
}

pub(super) fn read_summary(path: &Path) -> Result<Vec<SummaryLine>> {
    let mut t = CsvTable::open(path)?;
    let c = require(
        &t,
        [
            "stream",
            "scope",
            "forecaster",
            "weeks_ahead",
            "n",
            "relative_wis",
            "coverage_50",
            "coverage_90",
        ],
    )?;
    let (bias, crps) = (t.column("bias"), t.column("relative_crps"));
    let names = forecaster_names();
    let mut seen = Seen::new();
    let mut lines = Vec::new();
    for row in t.rows() {
        let row = row?;
        let line = SummaryLine {
            stream: row.str(c[0])?.to_string(),
            scope: one_of(&row, c[1], &SCOPES)?.to_string(),
            forecaster: one_of(&row, c[2], &names)?.to_string(),
            weeks_ahead: whole_in(&row, c[3], "weeks", 1, MAX_WEEKS)?,
            n: whole_in(&row, c[4], "forecasts", 0, u64::MAX)?,
            relative_wis: ratio(&row, c[5])?,
            coverage_50: share(&row, c[6])?,
            coverage_90: share(&row, c[7])?,
            bias: optional(&row, bias, bias_in)?,
            relative_crps: optional(&row, crps, ratio)?,
        };
        let key = (
            line.stream.clone(),
            line.scope.clone(),
            line.forecaster.clone(),
            line.weeks_ahead,
        );
        let what = format!(
            "{} {} of the {}, {} weeks ahead",
            key.0, key.1, key.2, key.3
        );
        seen.first(key, &row, c[0], &what)?;
        lines.push(line);
    }
    if lines.is_empty() {
        return Err(no_rows(
            path,
            "a row per stream, scope, forecaster and weeks ahead",
        ));
    }
    Ok(lines)
}

/// The target of a row of `scores.csv` or `forecasts.csv`, whose columns
/// `c` are origin, stream, location, weeks ahead and forecaster.
fn target(row: &CsvRow, c: &[usize; 5], names: &[&str]) -> Result<Target> {
    Ok(Target {
        origin: date_in(row, c[0])?,
        stream: row.str(c[1])?.to_string(),
        location: row.str(c[2])?.to_string(),
        weeks_ahead: weeks_in(row, c[3])?,
        forecaster: one_of(row, c[4], names)?.to_string(),
    })
}

const TARGET: [&str; 5] = ["origin", "stream", "location", "weeks_ahead", "forecaster"];

fn describe(t: &Target) -> String {
    format!(
        "the {}'s forecast of {} at {} from {}, {} weeks ahead",
        t.forecaster, t.stream, t.location, t.origin, t.weeks_ahead
    )
}

/// `scores.csv`: each forecast's target and WIS.
pub(super) fn read_scores(path: &Path) -> Result<Vec<(Target, f64)>> {
    let mut t = CsvTable::open(path)?;
    let c = require(&t, TARGET)?;
    let wis = t.require("wis")?;
    let names = forecaster_names();
    let mut seen = Seen::new();
    let mut scores = Vec::new();
    for row in t.rows() {
        let row = row?;
        let target = target(&row, &c, &names)?;
        let score = number_in(&row, wis, |x| x >= 0.0, "a score ≥ 0")?;
        let key = (
            target.origin,
            target.stream.clone(),
            target.location.clone(),
            target.weeks_ahead,
            target.forecaster.clone(),
        );
        seen.first(key, &row, c[0], &describe(&target))?;
        scores.push((target, score));
    }
    if scores.is_empty() {
        return Err(no_rows(path, "a row per forecast scored"));
    }
    Ok(scores)
}

/// A quantile of a kept forecast: level, value, and the line it is on.
type Quantile = (f64, f64, u64);

/// `forecasts.csv`: every quantile of every kept forecast, each forecast's
/// quantiles rising with the level, and one truth per target.
pub(super) fn read_forecasts(path: &Path) -> Result<Vec<Kept>> {
    let mut t = CsvTable::open(path)?;
    let c = require(&t, TARGET)?;
    let [level, value, truth] = require(&t, ["quantile", "value", "truth"])?;
    let names = forecaster_names();
    let mut seen = Seen::new();
    let mut truths = Agreed::new();
    // Each forecast's (level, value, line), for the order check.
    type Key = (Date, String, String, u32, String);
    let mut forecasts: HashMap<Key, Vec<Quantile>> = HashMap::new();
    let mut kept = Vec::new();
    for row in t.rows() {
        let row = row?;
        let target = target(&row, &c, &names)?;
        let k = Kept {
            level: level_in(&row, level)?,
            value: row.f64(value)?,
            truth: row.f64(truth)?,
            target,
        };
        let t = &k.target;
        let forecast = (
            t.origin,
            t.stream.clone(),
            t.location.clone(),
            t.weeks_ahead,
            t.forecaster.clone(),
        );
        let what = format!("the {} quantile of {}", show_number(k.level), describe(t));
        seen.first((forecast.clone(), k.level.to_bits()), &row, level, &what)?;
        let outcome = format!(
            "the outcome of {} at {} from {}, {} weeks ahead",
            t.stream, t.location, t.origin, t.weeks_ahead
        );
        let target_key = (
            forecast.0,
            forecast.1.clone(),
            forecast.2.clone(),
            forecast.3,
        );
        truths.check(target_key, k.truth, &row, truth, &outcome)?;
        forecasts
            .entry(forecast)
            .or_default()
            .push((k.level, k.value, row.line));
        kept.push(k);
    }
    if kept.is_empty() {
        return Err(no_rows(
            path,
            "a row per quantile of each kept forecast (written by --keep-forecasts)",
        ));
    }
    // Of the forecasts whose quantiles fall, the one found first in the
    // file is named, whatever the map's order.
    let mut falling: Option<(Quantile, Quantile)> = None;
    for quantiles in forecasts.values_mut() {
        quantiles.sort_by(|a, b| a.0.total_cmp(&b.0));
        for w in quantiles.windows(2) {
            let later = |a: Quantile, b: Quantile| a.2.max(b.2);
            if w[1].1 < w[0].1 && falling.is_none_or(|(a, b)| later(w[0], w[1]) < later(a, b)) {
                falling = Some((w[0], w[1]));
            }
        }
    }
    match falling {
        None => Ok(kept),
        Some(((la, va, line_a), (lb, vb, line_b))) => Err(Error::input(
            Located::file(path)
                .at_line(line_a.max(line_b))
                .field("value"),
            format!(
                "the {} quantile (line {line_b}) is {}, below the {} quantile (line {line_a}) \
                 {} of the same forecast: quantiles must not fall as the level rises",
                show_number(lb),
                show_number(vb),
                show_number(la),
                show_number(va)
            ),
        )),
    }
}
