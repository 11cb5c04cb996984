//! The backtest report's tables of how often each range held, from the
//! backtest's `calibration.csv`: one per forecaster, nominal coverage down
//! the side and weeks ahead across, for the locations pooled; then one of
//! where the outcomes fell against the quantiles, which shows what
//! coverage hides: ranges of the right width sitting too low or too high.

use std::collections::BTreeMap;
use std::path::Path;

use didymos_core::Result;
use didymos_epi::inputs::CsvTable;
use didymos_report::Grid;

use super::inputs::{forecaster_names, weeks_in, SCOPES};
use super::label_of;
use super::read::{level_in, no_rows, one_of, require, share, whole_in, Seen};

/// (forecaster, level in thousandths, weeks ahead) → share.
type Held = BTreeMap<(String, i64, u32), f64>;

/// The two kinds of line: the share inside each central range, and the
/// share below each quantile.
const KINDS: [&str; 2] = ["central", "below"];

/// The `central` and `below` lines of `path` for `stream`, pooled over
/// locations. Every line is checked, whichever stream it is of: a file
/// damaged in one place may be damaged in others.
fn read(path: &Path, stream: &str) -> Result<(Held, Held)> {
    let mut t = CsvTable::open(path)?;
    let c = require(
        &t,
        [
            "stream",
            "scope",
            "forecaster",
            "weeks_ahead",
            "kind",
            "level",
            "observed",
        ],
    )?;
    // Read only to be checked, so not required of older files.
    let n = t.column("n");
    let names = forecaster_names();
    let mut seen = Seen::new();
    let (mut central, mut below) = (Held::new(), Held::new());
    let mut rows = 0;
    for row in t.rows() {
        let row = row?;
        rows += 1;
        let this = row.str(c[0])?;
        let scope = one_of(&row, c[1], &SCOPES)?;
        let who = one_of(&row, c[2], &names)?;
        let weeks = weeks_in(&row, c[3])?;
        let kind = one_of(&row, c[4], &KINDS)?;
        let level = level_in(&row, c[5])?;
        let share = share(&row, c[6])?;
        if let Some(n) = n {
            whole_in(&row, n, "forecasts", 0, u64::MAX)?;
        }
        let what =
            format!("the {kind} {level} line of {this} {scope} for the {who}, {weeks} weeks ahead");
        let key = (
            this.to_string(),
            scope.to_string(),
            who.to_string(),
            weeks,
            kind.to_string(),
            level.to_bits(),
        );
        seen.first(key, &row, c[5], &what)?;
        if this != stream || scope != "locations" {
            continue;
        }
        // Thousandths: the levels (0.025, 0.975) are finer than percent.
        let key = (who.to_string(), (level * 1000.0).round() as i64, weeks);
        match kind {
            "central" => central.insert(key, share),
            _ => below.insert(key, share),
        };
    }
    if rows == 0 {
        return Err(no_rows(
            path,
            "a row per stream, scope, forecaster, weeks ahead, kind and level",
        ));
    }
    Ok((central, below))
}

fn percent(x: f64) -> String {
    format!("{}%", (100.0 * x).round())
}

/// A table per forecaster in `who` that `path` has, in that order, then
/// where the outcomes fell for all of them.
pub(super) fn calibration_grids(path: &Path, stream: &str, who: &[&str]) -> Result<Vec<Grid>> {
    let (held, below) = read(path, stream)?;
    let mut grids = Vec::new();
    for &w in who {
        let mine: Vec<(&(String, i64, u32), &f64)> =
            held.iter().filter(|((f, _, _), _)| f == w).collect();
        if mine.is_empty() {
            continue;
        }
        let mut weeks: Vec<u32> = mine.iter().map(|((_, _, k), _)| *k).collect();
        weeks.sort_unstable();
        weeks.dedup();
        let mut levels: Vec<i64> = mine.iter().map(|((_, l, _), _)| *l).collect();
        levels.sort_unstable();
        levels.dedup();
        let rows = levels
            .iter()
            .map(|&l| {
                std::iter::once(percent(l as f64 / 1000.0))
                    .chain(weeks.iter().map(|&k| {
                        held.get(&(w.to_string(), l, k))
                            .map_or("–".into(), |&x| percent(x))
                    }))
                    .collect()
            })
            .collect();
        let headers: Vec<String> = std::iter::once("Range".to_string())
            .chain(weeks.iter().map(|k| format!("{k} wk ahead")))
            .collect();
        grids.push(Grid {
            title: format!("How often the {}'s ranges held", label_of(w)),
            caption: format!(
                "{}, each location pooled: the share of outcomes inside each central range, by \
                 weeks ahead. Honest ranges hold about as often as they say (the first column); \
                 lower shares mean ranges too narrow, higher ones too wide.",
                stream.replace('_', " ")
            ),
            numeric: vec![true; headers.len()],
            headers,
            rows,
        });
    }
    grids.extend(below_grid(&below, stream, who));
    Ok(grids)
}

/// The share of outcomes below five of the quantiles, per forecaster in
/// `who` and weeks ahead.
fn below_grid(below: &Held, stream: &str, who: &[&str]) -> Option<Grid> {
    const LEVELS: [i64; 5] = [50, 250, 500, 750, 950];
    let mut rows = Vec::new();
    for &w in who {
        let mut weeks: Vec<u32> = below
            .keys()
            .filter(|(f, _, _)| f == w)
            .map(|(_, _, k)| *k)
            .collect();
        weeks.sort_unstable();
        weeks.dedup();
        for k in weeks {
            let cells = LEVELS.iter().map(|&l| {
                below
                    .get(&(w.to_string(), l, k))
                    .map_or("–".into(), |&x| percent(x))
            });
            rows.push(
                [label_of(w).to_string(), k.to_string()]
                    .into_iter()
                    .chain(cells)
                    .collect(),
            );
        }
    }
    if rows.is_empty() {
        return None;
    }
    let headers: Vec<String> = ["Forecaster", "Weeks ahead"]
        .into_iter()
        .map(String::from)
        .chain(LEVELS.iter().map(|&l| format!("below q{}", l / 10)))
        .collect();
    Some(Grid {
        title: "Where the outcomes fell".into(),
        caption: format!(
            "{}, each location pooled: the share of outcomes below the forecast's 5%, 25%,              50%, 75% and 95% quantiles (an outcome equal to one counting half). Honest              forecasts give about 5%, 25%, 50%, 75% and 95%; shares below that throughout              mean forecasts too low, above it too high.",
            stream.replace('_', " ")
        ),
        numeric: std::iter::once(false)
            .chain(std::iter::repeat_n(true, headers.len() - 1))
            .collect(),
        headers,
        rows,
    })
}
