//! `calibration.csv` of `didymos backtest`: how honest each forecaster's
//! ranges were at every level, not only at 50% and 90% (see
//! [`didymos_forecast::calibration()`]).

use didymos_forecast::{calibration, Calibration};
use didymos_store::Column;
use didymos_twin::backtest::{Score, BASELINE, ENSEMBLE, LEAD, MODEL, TREND};

use super::*;

/// One forecaster's calibration for one stream, scope and horizon.
pub(super) struct CalibrationRow<'a> {
    stream: &'a str,
    scope: &'static str,
    forecaster: &'static str,
    weeks_ahead: usize,
    c: Calibration,
}

/// Per stream, scope (`locations` pooled, or `total`), forecaster (the
/// baseline included) and horizon with forecasts.
pub(super) fn calibration_rows<'a>(
    scores: &[Score],
    streams: &[&'a str],
    weeks: usize,
) -> Result<Vec<CalibrationRow<'a>>> {
    let mut rows = Vec::new();
    for &stream in streams {
        for (scope, total) in [("locations", false), ("total", true)] {
            for forecaster in [MODEL, BASELINE, TREND, LEAD, ENSEMBLE] {
                for k in 1..=weeks {
                    let scored = scores.iter().filter(|s| {
                        s.stream == stream
                            && (s.location == TOTAL) == total
                            && s.forecaster == forecaster
                            && s.weeks_ahead == k
                    });
                    let c = calibration(scored.map(|s| (&s.quantiles, s.truth)))?;
                    if c.n > 0 {
                        rows.push(CalibrationRow {
                            stream,
                            scope,
                            forecaster,
                            weeks_ahead: k,
                            c,
                        });
                    }
                }
            }
        }
    }
    Ok(rows)
}

/// A row, its kind, the level and the share observed.
type Line<'r, 'a> = (&'r CalibrationRow<'a>, &'static str, f64, f64);

/// One line per row and level: `kind` is `central` (`level` the nominal
/// coverage of a central interval, `observed` the share of outcomes in it)
/// or `below` (`level` a quantile level, `observed` the share of outcomes
/// below that quantile, ties counting half).
pub(super) fn calibration_columns(rows: &[CalibrationRow]) -> Result<Vec<(&'static str, Column)>> {
    let mut lines: Vec<Line> = Vec::new();
    for r in rows {
        lines.extend(r.c.central.iter().map(|&(l, o)| (r, "central", l, o)));
        lines.extend(r.c.below.iter().map(|&(l, o)| (r, "below", l, o)));
    }
    let int = |f: fn(&CalibrationRow) -> usize| -> Result<Column> {
        lines
            .iter()
            .map(|l| i32::try_from(f(l.0)))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map(Column::Int)
            .map_err(|e| Error::Other(e.to_string()))
    };
    let text = |f: &dyn Fn(&Line) -> String| Column::Text(lines.iter().map(f).collect());
    // Levels are printed as the Hub writes them (0.025, not 0.025000000000000022).
    let level = |x: f64| (x * 1e9).round() / 1e9;
    Ok(vec![
        ("stream", text(&|l| l.0.stream.to_string())),
        ("scope", text(&|l| l.0.scope.to_string())),
        ("forecaster", text(&|l| l.0.forecaster.to_string())),
        ("weeks_ahead", int(|r| r.weeks_ahead)?),
        ("n", int(|r| r.c.n)?),
        ("kind", text(&|l| l.1.to_string())),
        (
            "level",
            Column::Float(lines.iter().map(|l| level(l.2)).collect()),
        ),
        (
            "observed",
            Column::Float(lines.iter().map(|l| l.3).collect()),
        ),
    ])
}
