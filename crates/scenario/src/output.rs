//! Scenario tables as CSV (one row per scenario, location, variable and day
//! or statistic), each written whole and atomically.

use std::path::{Path, PathBuf};

use didymos_core::fs::write_atomic;
use didymos_core::{Error, Result};

use crate::summary::{Difference, Exceedance, QuantileSet, SeriesSummary};

/// Turns a day offset from the first scenario day into a date label.
pub type DateLabel<'a> = &'a dyn Fn(usize) -> String;

fn quantile_cells(q: &QuantileSet) -> Vec<String> {
    q.as_array().iter().map(|v| v.to_string()).collect()
}

fn finish(path: &Path, w: csv::Writer<Vec<u8>>) -> Result<PathBuf> {
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Other(format!("{}: {e}", path.display())))?;
    write_atomic(path, &bytes)?;
    Ok(path.to_path_buf())
}

fn csv_err(path: &Path) -> impl Fn(csv::Error) -> Error + '_ {
    move |e| Error::Other(format!("{}: {e}", path.display()))
}

/// Daily quantiles: scenario, date, location, variable, q05 … q95.
pub fn write_daily(path: &Path, series: &[SeriesSummary], date: DateLabel<'_>) -> Result<PathBuf> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let e = csv_err(path);
    w.write_record([
        "scenario", "date", "location", "variable", "q05", "q25", "q50", "q75", "q95",
    ])
    .map_err(&e)?;
    for s in series {
        for (t, q) in s.daily.iter().enumerate() {
            let mut row = vec![
                s.scenario.clone(),
                date(t),
                s.unit.clone(),
                s.observable.clone(),
            ];
            row.extend(quantile_cells(q));
            w.write_record(&row).map_err(&e)?;
        }
    }
    finish(path, w)
}

/// Peaks (size and date) and cumulative totals per scenario, location and
/// variable; cumulative cells are empty for stocks.
pub fn write_summary(
    path: &Path,
    series: &[SeriesSummary],
    date: DateLabel<'_>,
) -> Result<PathBuf> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let e = csv_err(path);
    let mut header = vec!["scenario", "location", "variable"];
    let names = [
        ["peak_q05", "peak_q25", "peak_q50", "peak_q75", "peak_q95"],
        [
            "peak_date_q05",
            "peak_date_q25",
            "peak_date_q50",
            "peak_date_q75",
            "peak_date_q95",
        ],
        [
            "cumulative_q05",
            "cumulative_q25",
            "cumulative_q50",
            "cumulative_q75",
            "cumulative_q95",
        ],
    ];
    for n in &names {
        header.extend_from_slice(n);
    }
    w.write_record(&header).map_err(&e)?;
    for s in series {
        let mut row = vec![s.scenario.clone(), s.unit.clone(), s.observable.clone()];
        row.extend(quantile_cells(&s.peak_size));
        // Day offsets are quantiles of integers; the date is the day they
        // round down to (a quantile between two days reads as the earlier).
        row.extend(
            s.peak_offset
                .as_array()
                .iter()
                .map(|d| date(d.floor() as usize)),
        );
        match &s.cumulative {
            Some(c) => row.extend(quantile_cells(c)),
            None => row.extend(std::iter::repeat_n(String::new(), 5)),
        }
        w.write_record(&row).map_err(&e)?;
    }
    finish(path, w)
}

/// Paired differences (baseline − scenario, cumulative over the horizon).
pub fn write_differences(path: &Path, diffs: &[Difference]) -> Result<PathBuf> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let e = csv_err(path);
    w.write_record([
        "scenario",
        "baseline",
        "location",
        "variable",
        "averted_q05",
        "averted_q25",
        "averted_q50",
        "averted_q75",
        "averted_q95",
        "averted_mean",
        "prob_fewer",
    ])
    .map_err(&e)?;
    for d in diffs {
        let mut row = vec![
            d.scenario.clone(),
            d.baseline.clone(),
            d.unit.clone(),
            d.observable.clone(),
        ];
        row.extend(quantile_cells(&d.averted));
        row.push(d.mean.to_string());
        row.push(d.prob_fewer.to_string());
        w.write_record(&row).map_err(&e)?;
    }
    finish(path, w)
}

/// Probability of exceeding capacity at some point within the horizon.
pub fn write_exceedance(path: &Path, rows: &[Exceedance]) -> Result<PathBuf> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let e = csv_err(path);
    w.write_record([
        "scenario",
        "location",
        "variable",
        "threshold",
        "prob_exceed_within_horizon",
    ])
    .map_err(&e)?;
    for x in rows {
        w.write_record([
            x.scenario.clone(),
            x.unit.clone(),
            x.observable.clone(),
            x.threshold.to_string(),
            x.within_horizon.to_string(),
        ])
        .map_err(&e)?;
    }
    finish(path, w)
}
