//! `didymos report` on a `didymos backtest` folder: its summary as tables
//! (relative WIS, coverage, bias and relative CRPS per forecaster and
//! horizon), each location's relative WIS on a map, and, where the
//! forecasts were kept (`--keep-forecasts`), the forecasts at each horizon
//! against what came, for the total and any areas asked for.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use didymos_core::{Date, Error, Located, Result};
use didymos_report::{
    Choropleth, FanChart, Grid, QuantileBandPoint, Report, Section, Text, ValueStyle,
};

use crate::report_cmd::ReportArgs;

/// Whether `dir` holds a backtest's scores.
pub fn is_backtest_dir(dir: &Path) -> bool {
    dir.is_dir() && dir.join("summary.csv").is_file() && dir.join("scores.csv").is_file()
}

/// A CSV file read by column name, every error naming file, line and
/// column.
struct Table {
    path: std::path::PathBuf,
    columns: HashMap<String, usize>,
    rows: Vec<csv::StringRecord>,
}

impl Table {
    fn read(path: &Path) -> Result<Table> {
        let text = didymos_core::fs::read_text(path, didymos_core::fs::DATA_MAX_BYTES)?;
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let at = || Located::file(path);
        let headers = r
            .headers()
            .map_err(|e| Error::input(at(), e.to_string()))?
            .clone();
        let rows = r
            .records()
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::input(at(), e.to_string()))?;
        Ok(Table {
            path: path.to_path_buf(),
            columns: headers
                .iter()
                .enumerate()
                .map(|(i, h)| (h.to_string(), i))
                .collect(),
            rows,
        })
    }

    fn has(&self, column: &str) -> bool {
        self.columns.contains_key(column)
    }

    /// Row `i`'s `column` as text.
    fn text(&self, i: usize, column: &str) -> Result<&str> {
        let at = || {
            let mut l = Located::file(&self.path).field(column);
            l.line = Some(i as u64 + 2);
            l
        };
        let c = *self.columns.get(column).ok_or_else(|| {
            Error::input(at(), "no such column: is this a `didymos backtest` folder?")
        })?;
        self.rows[i]
            .get(c)
            .ok_or_else(|| Error::input(at(), "the row is short"))
    }

    fn parsed<T: std::str::FromStr>(&self, i: usize, column: &str) -> Result<T>
    where
        T::Err: std::fmt::Display,
    {
        let v = self.text(i, column)?;
        v.parse().map_err(|e: T::Err| {
            let mut l = Located::file(&self.path).field(column);
            l.line = Some(i as u64 + 2);
            Error::input(l, format!("`{v}`: {e}"))
        })
    }

    /// An optional score: empty (a forecaster without it) or absent (a
    /// backtest from before the column) is `None`.
    fn maybe(&self, i: usize, column: &str) -> Result<Option<f64>> {
        match self.has(column) && !self.text(i, column)?.is_empty() {
            true => self.parsed(i, column).map(Some),
            false => Ok(None),
        }
    }
}

/// Each forecaster's name in `scores.csv`, in the tables, and in words.
const FORECASTERS: [(&str, &str, &str); 4] = [
    ("model", "twin", "the twin"),
    ("trend", "trend", "damped trend"),
    ("lead", "lead", "leading-series ratio"),
    ("ensemble", "ensemble", "ensemble (twin + companions)"),
];

fn in_words(who: &str) -> &str {
    FORECASTERS.iter().find(|f| f.0 == who).map_or(who, |f| f.2)
}

/// The report of the backtest in `dir`.
pub fn report(dir: &Path, args: &ReportArgs, prov: &mut didymos_prov::Recorder) -> Result<Report> {
    let summary = Table::read(&dir.join("summary.csv"))?;
    let scores = Table::read(&dir.join("scores.csv"))?;
    crate::prov_cmd::used(prov, "summary", &dir.join("summary.csv"))?;
    crate::prov_cmd::used(prov, "scores", &dir.join("scores.csv"))?;
    let mut streams: Vec<String> = Vec::new();
    let mut origins: Vec<String> = Vec::new();
    for i in 0..scores.rows.len() {
        let (s, o) = (scores.text(i, "stream")?, scores.text(i, "origin")?);
        if !streams.iter().any(|x| x == s) {
            streams.push(s.to_string());
        }
        if !origins.iter().any(|x| x == o) {
            origins.push(o.to_string());
        }
    }
    origins.sort();
    let stream = match &args.observable {
        Some(o) if streams.contains(o) => o.clone(),
        Some(o) => {
            return Err(Error::input(
                Located::default().field("--observable"),
                format!(
                    "`{o}` is not scored in {}; it scores {}",
                    dir.display(),
                    streams.join(", ")
                ),
            ))
        }
        None => streams
            .first()
            .cloned()
            .ok_or_else(|| Error::Other(format!("{}: no scores", scores.path.display())))?,
    };
    let mut sections = vec![Section::Text(intro(&origins, &streams))];
    for scope in ["locations", "total"] {
        sections.push(Section::Grid(summary_grid(&summary, &stream, scope)?));
    }
    let best = if (0..scores.rows.len())
        .any(|i| scores.text(i, "forecaster").is_ok_and(|f| f == "ensemble"))
    {
        "ensemble"
    } else {
        "model"
    };
    if let Some(g) = &args.geojson {
        crate::prov_cmd::used(prov, "geojson", g)?;
        let text = didymos_core::fs::read_text(g, didymos_core::fs::DATA_MAX_BYTES)?;
        let geojson = didymos_report::parse_geojson(&text)
            .map_err(|e| Error::Other(format!("{}: {e}", g.display())))?;
        sections.push(Section::Map(relative_wis_map(
            &scores, &stream, best, geojson, args,
        )?));
    }
    let kept = dir.join("forecasts.csv");
    if kept.is_file() {
        crate::prov_cmd::used(prov, "forecasts", &kept)?;
        let forecasts = Table::read(&kept)?;
        let areas: Vec<String> = std::iter::once("total".to_string())
            .chain(args.areas.iter().cloned())
            .collect();
        for area in &areas {
            sections.extend(
                horizon_charts(&forecasts, &stream, area, best)?
                    .into_iter()
                    .map(Section::FanChart),
            );
        }
    } else {
        sections.push(Section::Text(Text {
            heading: "Forecasts against what came".into(),
            paragraphs: vec![
                "The forecasts were not kept: run the backtest with --keep-forecasts to chart them here."
                    .into(),
            ],
        }));
    }
    Ok(Report {
        title: format!("Backtest: {}", stream.replace('_', " ")),
        subtitle: format!(
            "{} forecast origins from {} to {}",
            origins.len(),
            origins.first().map_or("–", String::as_str),
            origins.last().map_or("–", String::as_str)
        ),
        metadata: metadata(dir),
        sections,
    })
}

fn intro(origins: &[String], streams: &[String]) -> Text {
    Text {
        heading: "How to read this".into(),
        paragraphs: vec![
            format!(
                "Each of the {} origins forecast {} from the data available on that day only, \
                 and each forecast is scored on the weekly sums that were later observed.",
                origins.len(),
                streams.join(", ").replace('_', " ")
            ),
            "Relative WIS is a forecaster's mean weighted interval score divided by that of the \
             Forecast Hub's persistence baseline (last week's level, with the spread of past \
             changes) on the same targets: below 1 beats it. Relative CRPS is the same for the \
             continuous ranked probability score, for the forecasters that have a sample (the \
             twin)."
                .into(),
            "Coverage is the share of outcomes inside the 50% and 90% ranges, which should be \
             near 50% and 90%. Bias runs from −1 (always too low) to +1 (always too high)."
                .into(),
        ],
    }
}

fn summary_grid(summary: &Table, stream: &str, scope: &str) -> Result<Grid> {
    let mut rows = Vec::new();
    for (who, label, _) in FORECASTERS {
        for i in 0..summary.rows.len() {
            if summary.text(i, "stream")? != stream
                || summary.text(i, "scope")? != scope
                || summary.text(i, "forecaster")? != who
            {
                continue;
            }
            let fixed =
                |v: Option<f64>, digits: usize| v.map_or("–".into(), |v| format!("{v:.digits$}"));
            let share = |v: f64| format!("{:.0}%", 100.0 * v);
            rows.push(vec![
                label.to_string(),
                summary.text(i, "weeks_ahead")?.to_string(),
                summary.text(i, "n")?.to_string(),
                fixed(Some(summary.parsed(i, "relative_wis")?), 3),
                share(summary.parsed(i, "coverage_50")?),
                share(summary.parsed(i, "coverage_90")?),
                // Rounded first, so a bias near 0 is not −0.00.
                fixed(
                    summary
                        .maybe(i, "bias")?
                        .map(|b| (b * 100.0).round() / 100.0 + 0.0),
                    2,
                ),
                fixed(summary.maybe(i, "relative_crps")?, 3),
            ]);
        }
    }
    let place = match scope {
        "total" => "the total over all locations",
        _ => "each location, pooled",
    };
    Ok(Grid {
        title: format!("Scores for {place}"),
        caption: format!(
            "{}: every forecaster's scores by weeks ahead (twin: the mechanistic twin; \
             trend: a damped trend on the weekly sums; lead: a ratio to a leading series; \
             ensemble: their quantile average).",
            stream.replace('_', " ")
        ),
        headers: [
            "Forecaster",
            "Weeks ahead",
            "Forecasts",
            "Relative WIS",
            "50% coverage",
            "90% coverage",
            "Bias",
            "Relative CRPS",
        ]
        .map(String::from)
        .to_vec(),
        numeric: vec![false, true, true, true, true, true, true, true],
        rows,
    })
}

/// Each location's relative WIS for `who`, all horizons pooled.
fn relative_wis_map(
    scores: &Table,
    stream: &str,
    who: &str,
    geojson: serde_json::Value,
    args: &ReportArgs,
) -> Result<Choropleth> {
    type Key = (String, String, String);
    let mut theirs: HashMap<Key, f64> = HashMap::new();
    let mut baseline: HashMap<Key, f64> = HashMap::new();
    let mut locations: Vec<String> = Vec::new();
    for i in 0..scores.rows.len() {
        let location = scores.text(i, "location")?;
        if scores.text(i, "stream")? != stream || location == "total" {
            continue;
        }
        if !locations.iter().any(|l| l == location) {
            locations.push(location.to_string());
        }
        let key = (
            scores.text(i, "origin")?.to_string(),
            location.to_string(),
            scores.text(i, "weeks_ahead")?.to_string(),
        );
        match scores.text(i, "forecaster")? {
            f if f == who => theirs.insert(key, scores.parsed(i, "wis")?),
            "baseline" => baseline.insert(key, scores.parsed(i, "wis")?),
            _ => None,
        };
    }
    let mut sums: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for (key, w) in &theirs {
        if let Some(b) = baseline.get(key) {
            let s = sums.entry(key.1.as_str()).or_default();
            s.0 += w;
            s.1 += b;
        }
    }
    let values = locations
        .iter()
        .map(|l| {
            let v = sums
                .get(l.as_str())
                .filter(|s| s.1 > 0.0)
                .map(|s| s.0 / s.1);
            (l.clone(), v)
        })
        .collect();
    let label = in_words(who);
    Ok(Choropleth {
        name: format!("map-relative-wis-{who}"),
        title: format!("Relative WIS of the {label}, all weeks ahead"),
        caption: "Below 1: better than the persistence baseline in that location.".into(),
        geojson,
        key: crate::report_cmd::feature_key(args),
        name_property: args.geojson_name.clone(),
        values,
        value_label: "relative WIS".into(),
        value_style: ValueStyle::Number,
        domain: None,
    })
}

/// One chart per horizon: `who`'s forecasts of `area` k weeks ahead, at
/// the end of each target week, over the weekly sums observed.
fn horizon_charts(forecasts: &Table, stream: &str, area: &str, who: &str) -> Result<Vec<FanChart>> {
    // (weeks ahead, target end) → (level, value); target end → truth.
    let mut bands: BTreeMap<(u32, Date), Vec<(f64, f64)>> = BTreeMap::new();
    let mut observed: BTreeMap<Date, f64> = BTreeMap::new();
    for i in 0..forecasts.rows.len() {
        if forecasts.text(i, "stream")? != stream || forecasts.text(i, "location")? != area {
            continue;
        }
        let origin: Date = forecasts.parsed(i, "origin")?;
        let k: u32 = forecasts.parsed(i, "weeks_ahead")?;
        let end = origin.add_days(7 * k as i32);
        observed.insert(end, forecasts.parsed(i, "truth")?);
        if forecasts.text(i, "forecaster")? == who {
            let level: f64 = forecasts.parsed(i, "quantile")?;
            bands
                .entry((k, end))
                .or_default()
                .push((level, forecasts.parsed(i, "value")?));
        }
    }
    if observed.is_empty() {
        return Err(Error::input(
            Located::default().field("--areas"),
            format!("`{area}` has no kept forecasts of {stream}"),
        ));
    }
    let weeks: Vec<u32> = {
        let mut w: Vec<u32> = bands.keys().map(|(k, _)| *k).collect();
        w.dedup();
        w
    };
    let place = if area == "total" {
        "all locations".to_string()
    } else {
        format!("location {area}")
    };
    weeks
        .into_iter()
        .map(|k| {
            let points = bands
                .iter()
                .filter(|((weeks, _), _)| *weeks == k)
                .map(|(&(_, date), q)| {
                    let at = |level: f64| {
                        let v = q.iter().find(|(l, _)| (l - level).abs() < 1e-9);
                        v.map(|(_, v)| *v).ok_or_else(|| {
                            Error::Other(format!(
                                "{}: the forecast for {date} has no {level} quantile",
                                forecasts.path.display()
                            ))
                        })
                    };
                    Ok(QuantileBandPoint {
                        date,
                        q05: at(0.05)?,
                        q25: at(0.25)?,
                        q50: at(0.5)?,
                        q75: at(0.75)?,
                        q95: at(0.95)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(FanChart {
                name: format!("backtest-{stream}-{area}-{k}w").replace(['/', ' '], "_"),
                title: format!(
                    "{}, {place}: forecasts {k} week{} ahead",
                    stream.replace('_', " "),
                    if k == 1 { "" } else { "s" }
                ),
                caption: format!(
                    "Dots: the observed weekly sums. Bands: what each origin's {} forecast for \
                     the week ending on that date, {k} week{} after the origin.",
                    in_words(who),
                    if k == 1 { "" } else { "s" }
                ),
                y_label: "per week".into(),
                observed: observed.iter().map(|(d, v)| (*d, *v)).collect(),
                bands: points,
                cutoff: None,
            })
        })
        .collect()
}

fn metadata(dir: &Path) -> Vec<(String, String)> {
    let Ok(p) = didymos_prov::load(dir) else {
        return vec![("backtest".into(), dir.display().to_string())];
    };
    vec![
        ("backtest".into(), dir.display().to_string()),
        ("command".into(), p.argv.join(" ")),
        ("software".into(), format!("didymos {}", p.agent.version)),
        (
            "git commit".into(),
            p.agent.git_commit.unwrap_or_else(|| "unknown".into()),
        ),
    ]
}
