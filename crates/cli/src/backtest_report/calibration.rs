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

use super::{label_of, require, whole};

/// (forecaster, level in thousandths, weeks ahead) → share.
type Held = BTreeMap<(String, i64, u32), f64>;

/// The lines of `kind` (`central` or `below`) in `path` for `stream`,
/// pooled over locations.
fn read_kind(path: &Path, stream: &str, kind: &str) -> Result<Held> {
    let mut t = CsvTable::open(path)?;
    let c = require(
        &mut t,
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
    let mut held = Held::new();
    for row in t.rows() {
        let row = row?;
        if row.str(c[0])? != stream || row.str(c[1])? != "locations" || row.str(c[4])? != kind {
            continue;
        }
        let weeks = whole(&row, c[3], "weeks")?;
        let level = (row.f64(c[5])? * 1000.0).round() as i64;
        held.insert((row.str(c[2])?.to_string(), level, weeks), row.f64(c[6])?);
    }
    Ok(held)
}

fn percent(x: f64) -> String {
    format!("{}%", (100.0 * x).round())
}

/// A table per forecaster in `who` that `path` has, in that order, then
/// where the outcomes fell for all of them.
pub(super) fn calibration_grids(path: &Path, stream: &str, who: &[&str]) -> Result<Vec<Grid>> {
    let held = read_kind(path, stream, "central")?;
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
    grids.extend(below_grid(&read_kind(path, stream, "below")?, stream, who));
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
