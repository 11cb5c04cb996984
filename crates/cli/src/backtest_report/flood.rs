//! `didymos report` on a flood backtest's folder, whose files are per lead
//! day rather than per epiweek: each forecaster's scores by lead (relative
//! WIS against persistence, CRPS, coverage, NSE and KGE of the median),
//! where the outcomes fell against each forecaster's quantiles, and the
//! twin's forecasts at the first and last lead against what came.

use std::collections::BTreeMap;
use std::path::Path;

use didymos_core::{show_number, Date, Error, Located, Result};
use didymos_epi::inputs::{CsvRow, CsvTable};
use didymos_forecast::{calibration, QuantileForecast};
use didymos_report::{FanChart, Grid, QuantileBandPoint, Report, Section, Text};

use super::metadata;
use super::read::{
    date_in, no_rows, number_in, one_of, require, whole_in, Agreed, Seen, MAX_LEAD_DAYS,
};

/// Whether the backtest is a flood twin's (per lead day) rather than an
/// epidemic one's (per week ahead), from the columns of both files: one
/// damaged header must not pass for the other kind.
pub(super) fn is_flood_backtest(summary: &Path, scores: &Path) -> Result<bool> {
    let (su, sc) = (CsvTable::open(summary)?, CsvTable::open(scores)?);
    let flood = ["lead_days", "target_date"];
    let epidemic = ["weeks_ahead", "stream", "scope", "location"];
    let has = |t: &CsvTable, names: &[&str]| names.iter().any(|n| t.column(n).is_some());
    let votes = |names: &[&str]| [has(&su, names), has(&sc, names)];
    match (votes(&flood), votes(&epidemic)) {
        ([false, false], [false, false]) => Err(Error::input(
            Located::file(summary).at_line(1),
            format!(
                "neither it nor {} has the columns of a flood backtest (`lead_days`) or an \
                 epidemic one (`stream`, `weeks_ahead`)",
                scores.display()
            ),
        )),
        // The file with the kind's columns decides; the other's reader then
        // names what it lacks.
        (f, e) if f.contains(&true) && !e.contains(&true) => Ok(true),
        (f, _) if !f.contains(&true) => Ok(false),
        _ => Err(Error::input(
            Located::file(summary).at_line(1),
            format!(
                "it and {} mix the columns of a flood backtest (`lead_days`, `target_date`) \
                 with those of an epidemic one (`stream`, `weeks_ahead`): they cannot be of \
                 one backtest",
                scores.display()
            ),
        )),
    }
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

/// The quantile columns of `scores.csv`, in the order of `LEVELS`.
const QUANTILES: [&str; 5] = ["q05", "q25", "median", "q75", "q95"];

fn names() -> Vec<&'static str> {
    FORECASTERS.iter().map(|f| f.0).collect()
}

/// Lead days in column `c`: from 1 to a horizon a backtest can have.
fn lead_in(row: &CsvRow, c: usize) -> Result<u32> {
    // MAX_LEAD_DAYS fits a u32, so the conversion cannot fail.
    Ok(whole_in(row, c, "days", 1, MAX_LEAD_DAYS)? as u32)
}

/// The quantiles in columns `c` (those of `QUANTILES`), which must rise.
/// Where they do not, the column named is the one out of place: the one
/// without which the others rise (both of a swapped pair).
fn quantiles_in(row: &CsvRow, c: &[usize]) -> Result<QuantileForecast> {
    let q: Vec<f64> = c.iter().map(|&c| row.f64(c)).collect::<Result<_>>()?;
    let rising = |skip: usize| {
        let rest: Vec<f64> = (0..q.len()).filter(|&i| i != skip).map(|i| q[i]).collect();
        rest.windows(2).all(|w| w[0] <= w[1])
    };
    if let Some(i) = (1..q.len()).find(|&i| q[i] < q[i - 1]) {
        let culprits: Vec<usize> = [i - 1, i].into_iter().filter(|&j| rising(j)).collect();
        let at = match culprits.as_slice() {
            [one] => *one,
            _ => i,
        };
        return Err(row.error(
            c[at],
            format!(
                "quantiles cross: `{}` is {} but `{}` is {}; they must not fall from {}",
                QUANTILES[i - 1],
                show_number(q[i - 1]),
                QUANTILES[i],
                show_number(q[i]),
                QUANTILES.join(" to ")
            ),
        ));
    }
    QuantileForecast::new(LEVELS.to_vec(), q).map_err(|e| row.error(c[0], e.to_string()))
}

fn read_scores(path: &Path) -> Result<Vec<Scored>> {
    let mut t = CsvTable::open(path)?;
    let c = require(
        &t,
        [
            "origin",
            "target_date",
            "lead_days",
            "forecaster",
            "observed_mm_day",
        ],
    )?;
    let q = require(&t, QUANTILES)?;
    let names = names();
    let mut seen = Seen::new();
    let mut observed = Agreed::new();
    let mut scores = Vec::new();
    for row in t.rows() {
        let row = row?;
        let (origin, lead) = (date_in(&row, c[0])?, lead_in(&row, c[2])?);
        let target = date_in(&row, c[1])?;
        if target != origin.add_days(lead as i32) {
            return Err(row.error(
                c[1],
                format!(
                    "expected the origin plus lead_days ({}), found {target}",
                    origin.add_days(lead as i32)
                ),
            ));
        }
        let s = Scored {
            origin,
            target,
            lead,
            forecaster: one_of(&row, c[3], &names)?.to_string(),
            observed: number_in(&row, c[4], |x| x >= 0.0, "a discharge ≥ 0")?,
            q: quantiles_in(&row, &q)?,
        };
        let what = format!(
            "the {}'s forecast from {origin}, {lead} days ahead",
            s.forecaster
        );
        seen.first((origin, lead, s.forecaster.clone()), &row, c[0], &what)?;
        let on = format!("the discharge observed on {target}");
        observed.check(target, s.observed, &row, c[4], &on)?;
        scores.push(s);
    }
    if scores.is_empty() {
        return Err(no_rows(path, "a row per origin, lead day and forecaster"));
    }
    Ok(scores)
}

/// The report of the flood backtest in `dir`.
pub(super) fn report(dir: &Path, prov: &mut didymos_prov::Recorder) -> Result<Report> {
    let (summary_path, scores_path) = (dir.join("summary.csv"), dir.join("scores.csv"));
    // `super::report` has checked both are files.
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
    let c = require(&t, names)?;
    let forecasters = self::names();
    let mut seen = Seen::new();
    let mut rows = Vec::new();
    for row in t.rows() {
        let row = row?;
        let who = one_of(&row, c[0], &forecasters)?;
        let lead = lead_in(&row, c[1])?;
        seen.first(
            (who.to_string(), lead),
            &row,
            c[0],
            &format!("the {who} at lead {lead}"),
        )?;
        let at_least_0 = |c| number_in(&row, c, |x| x >= 0.0, "a number ≥ 0");
        let share = |c| {
            let v = number_in(&row, c, |x| (0.0..=1.0).contains(&x), "a share in [0, 1]")?;
            Ok::<_, Error>(format!("{:.0}%", 100.0 * v))
        };
        // NSE and KGE are 1 for a perfect median and lower for any other.
        let skill = |c| number_in(&row, c, |x| x <= 1.0, "a skill score ≤ 1");
        rows.push(vec![
            who.to_string(),
            lead.to_string(),
            whole_in(&row, c[2], "forecasts", 0, u64::MAX)?.to_string(),
            format!("{:.3}", at_least_0(c[3])?),
            format!("{:.3}", at_least_0(c[4])?),
            share(c[5])?,
            share(c[6])?,
            format!("{:.2}", skill(c[7])?),
            format!("{:.2}", skill(c[8])?),
        ]);
    }
    if rows.is_empty() {
        return Err(no_rows(path, "a row per forecaster and lead day"));
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
