//! `didymos report` on a flood backtest's folder, whose files are per lead
//! day rather than per epiweek: each forecaster's scores by lead (relative
//! WIS against persistence, CRPS, coverage, NSE and KGE of the median),
//! where the outcomes fell against each forecaster's quantiles, and the
//! twin's forecasts at the first and last lead against what came.

use std::collections::BTreeMap;
use std::path::Path;

use didymos_core::{Date, Result};
use didymos_epi::inputs::CsvTable;
use didymos_forecast::{calibration, QuantileForecast};
use didymos_report::{FanChart, Grid, QuantileBandPoint, Report, Section, Text};

use super::{date_in, metadata, require, whole};

/// Whether `dir`'s summary is a flood backtest's (per lead day).
pub(super) fn is_flood_backtest(dir: &Path) -> Result<bool> {
    Ok(CsvTable::open(&dir.join("summary.csv"))?
        .column("lead_days")
        .is_some())
}

/// Each forecaster's name in the files, and in words.
const FORECASTERS: [(&str, &str); 3] = [
    (
        "twin",
        "the twin, assimilating the discharge up to each origin",
    ),
    ("open_loop", "the same model without assimilation"),
    (
        "persistence",
        "the last observed discharge, with the spread of past changes",
    ),
];

/// One forecast of `scores.csv`.
struct Scored {
    origin: Date,
    target: Date,
    lead: u32,
    forecaster: String,
    observed: f64,
    /// At the 5%, 25%, 50%, 75% and 95% levels.
    q: QuantileForecast,
}

const LEVELS: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

fn read_scores(path: &Path) -> Result<Vec<Scored>> {
    let mut t = CsvTable::open(path)?;
    let c = require(
        &mut t,
        [
            "origin",
            "target_date",
            "lead_days",
            "forecaster",
            "observed_mm_day",
            "q05",
            "q25",
            "median",
            "q75",
            "q95",
        ],
    )?;
    t.rows()
        .map(|row| {
            let row = row?;
            Ok(Scored {
                origin: date_in(&row, c[0])?,
                target: date_in(&row, c[1])?,
                lead: whole(&row, c[2], "days")?,
                forecaster: row.str(c[3])?.to_string(),
                observed: row.f64(c[4])?,
                // A file edited by hand may have crossing quantiles: named
                // here with its line, not later as a bare error.
                q: QuantileForecast::new(
                    LEVELS.to_vec(),
                    c[5..].iter().map(|&c| row.f64(c)).collect::<Result<_>>()?,
                )
                .map_err(|e| row.error(c[5], e.to_string()))?,
            })
        })
        .collect()
}

/// The report of the flood backtest in `dir`.
pub(super) fn report(dir: &Path, prov: &mut didymos_prov::Recorder) -> Result<Report> {
    let (summary_path, scores_path) = (dir.join("summary.csv"), dir.join("scores.csv"));
    crate::prov_cmd::used(prov, "summary", &summary_path)?;
    crate::prov_cmd::used(prov, "scores", &scores_path)?;
    let summary = summary_grid(&summary_path)?;
    let scores = read_scores(&scores_path)?;
    let mut origins: Vec<Date> = scores.iter().map(|s| s.origin).collect();
    origins.sort();
    origins.dedup();
    let leads: Vec<u32> = {
        let mut l: Vec<u32> = scores.iter().map(|s| s.lead).collect();
        l.sort_unstable();
        l.dedup();
        l
    };
    let mut sections = vec![
        Section::Text(intro(origins.len())),
        Section::Grid(summary),
        Section::Grid(below_grid(&scores, &leads)?),
    ];
    let mut charted = vec![leads.first().copied(), leads.last().copied()];
    charted.dedup();
    for lead in charted.into_iter().flatten() {
        sections.push(Section::FanChart(lead_chart(&scores, lead)));
    }
    Ok(Report {
        title: "Backtest: discharge".into(),
        subtitle: format!(
            "{} forecast origins from {} to {}",
            origins.len(),
            origins.first().map_or("–".into(), Date::to_string),
            origins.last().map_or("–".into(), Date::to_string)
        ),
        metadata: metadata(dir),
        sections,
    })
}

fn intro(origins: usize) -> Text {
    let mut paragraphs = vec![format!(
        "Each of the {origins} origins forecast the daily discharge (mm/day over the basin) \
         from the data available on that day, and each forecast is scored on the discharge \
         later observed, per day of lead. The forecasters are:"
    )];
    paragraphs.extend(
        FORECASTERS
            .iter()
            .map(|(who, what)| format!("{who}: {what}.")),
    );
    paragraphs.push(
        "Relative WIS is a forecaster's mean weighted interval score (on the 5%, 25%, 50%, 75% \
         and 95% quantiles) divided by that of persistence: below 1 beats it. NSE and KGE \
         score the median as a hydrograph (1 is perfect)."
            .into(),
    );
    Text {
        heading: "How to read this".into(),
        paragraphs,
    }
}

fn summary_grid(path: &Path) -> Result<Grid> {
    let mut t = CsvTable::open(path)?;
    let names = [
        "forecaster",
        "lead_days",
        "n",
        "relative_wis",
        "crps",
        "coverage_50",
        "coverage_90",
        "nse_median",
        "kge_median",
    ];
    let c = require(&mut t, names)?;
    let mut rows = Vec::new();
    for row in t.rows() {
        let row = row?;
        let share = |v: f64| format!("{:.0}%", 100.0 * v);
        rows.push(vec![
            row.str(c[0])?.to_string(),
            row.str(c[1])?.to_string(),
            row.str(c[2])?.to_string(),
            format!("{:.3}", row.f64(c[3])?),
            format!("{:.3}", row.f64(c[4])?),
            share(row.f64(c[5])?),
            share(row.f64(c[6])?),
            format!("{:.2}", row.f64(c[7])?),
            format!("{:.2}", row.f64(c[8])?),
        ]);
    }
    Ok(Grid {
        title: "Scores by lead".into(),
        caption: "Every forecaster's scores by day of lead; CRPS in mm/day.".into(),
        headers: [
            "Forecaster",
            "Lead (days)",
            "Forecasts",
            "Relative WIS",
            "CRPS",
            "50% coverage",
            "90% coverage",
            "NSE",
            "KGE",
        ]
        .map(String::from)
        .to_vec(),
        numeric: vec![false, true, true, true, true, true, true, true, true],
        rows,
    })
}

/// The share of outcomes below each quantile, per forecaster and lead.
fn below_grid(scores: &[Scored], leads: &[u32]) -> Result<Grid> {
    let mut rows = Vec::new();
    for (who, _) in FORECASTERS {
        for &lead in leads {
            let forecasts = scores
                .iter()
                .filter(|s| s.forecaster == who && s.lead == lead);
            let c = calibration(forecasts.map(|s| (&s.q, s.observed)))?;
            if c.n == 0 {
                continue;
            }
            rows.push(
                [who.to_string(), lead.to_string()]
                    .into_iter()
                    .chain(c.below.iter().map(|(_, s)| format!("{:.0}%", 100.0 * s)))
                    .collect(),
            );
        }
    }
    Ok(Grid {
        title: "Where the outcomes fell".into(),
        caption: "The share of observed discharges below each forecaster's 5%, 25%, 50%, 75% \
                  and 95% quantiles (one equal to a quantile counting half). Honest forecasts \
                  give about 5%, 25%, 50%, 75% and 95%; shares below that throughout mean \
                  forecasts too low, above it too high."
            .into(),
        headers: [
            "Forecaster",
            "Lead (days)",
            "below q5",
            "below q25",
            "below q50",
            "below q75",
            "below q95",
        ]
        .map(String::from)
        .to_vec(),
        numeric: vec![false, true, true, true, true, true, true],
        rows,
    })
}

/// The twin's forecasts `lead` days ahead, by target date, over the
/// discharge observed.
fn lead_chart(scores: &[Scored], lead: u32) -> FanChart {
    let mut observed: BTreeMap<Date, f64> = BTreeMap::new();
    let mut bands: BTreeMap<Date, &[f64]> = BTreeMap::new();
    for s in scores {
        observed.insert(s.target, s.observed);
        if s.forecaster == "twin" && s.lead == lead {
            bands.insert(s.target, s.q.values());
        }
    }
    let days = if lead == 1 { "day" } else { "days" };
    FanChart {
        name: format!("backtest-discharge-{lead}d"),
        title: format!("Discharge: the twin's forecasts {lead} {days} ahead"),
        caption: format!(
            "Dots: the observed discharge. Bands: what the twin forecast for that day from \
             the origin {lead} {days} before."
        ),
        y_label: "mm/day".into(),
        observed: observed.into_iter().collect(),
        bands: bands
            .into_iter()
            .map(|(date, q)| QuantileBandPoint {
                date,
                q05: q[0],
                q25: q[1],
                q50: q[2],
                q75: q[3],
                q95: q[4],
            })
            .collect(),
        cutoff: None,
    }
}
