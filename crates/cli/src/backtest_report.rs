//! `didymos report` on a `didymos backtest` folder (a flood twin's, per
//! lead day, in `flood.rs`): its summary as tables
//! (relative WIS, coverage, bias and relative CRPS per forecaster and
//! horizon), how often each range held (`calibration.csv`, where the
//! backtest wrote one), each location's relative WIS on a map, and, where the
//! forecasts were kept (`--keep-forecasts`), the forecasts at each horizon
//! against what came, for the total and any areas asked for.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use didymos_core::{Date, Error, Located, Result};
use didymos_report::{
    Choropleth, FanChart, Grid, QuantileBandPoint, Report, Section, Text, ValueStyle,
};

use crate::report_cmd::ReportArgs;

mod by_origin;
mod calibration;
mod flood;
mod inputs;
mod read;

use inputs::{Kept, SummaryLine, Target};

/// Whether `dir` is a backtest's folder rather than a scenario run's or a
/// flood forecast's: it has a summary or scores (a missing one of the two
/// is then named by the reader) and no bundle of those commands.
pub fn is_backtest_dir(dir: &Path) -> bool {
    let has = |name: &str| dir.join(name).exists();
    let complete = dir.join("summary.csv").is_file() && dir.join("scores.csv").is_file();
    let partial = (has("summary.csv") || has("scores.csv"))
        && !(has("scenarios.json") || has("report-data.json"));
    dir.is_dir() && (complete || partial)
}

/// Each forecaster's name in `scores.csv`, in the tables, and in words.
const FORECASTERS: [(&str, &str, &str); 5] = [
    ("model", "twin", "the twin"),
    ("trend", "trend", "damped trend"),
    ("lead", "lead", "leading-series ratio"),
    ("ensemble", "ensemble", "ensemble (twin + companions)"),
    ("baseline", "baseline", "persistence baseline"),
];

fn in_words(who: &str) -> &str {
    FORECASTERS.iter().find(|f| f.0 == who).map_or(who, |f| f.2)
}

/// The forecaster's name in the tables (`model` is the twin).
fn label_of(who: &str) -> &str {
    FORECASTERS.iter().find(|f| f.0 == who).map_or(who, |f| f.1)
}

/// The report of the backtest in `dir`.
pub fn report(dir: &Path, args: &ReportArgs, prov: &mut didymos_prov::Recorder) -> Result<Report> {
    let (summary_path, scores_path) = (
        read::required(dir, "summary.csv")?,
        read::required(dir, "scores.csv")?,
    );
    if flood::is_flood_backtest(&summary_path, &scores_path)? {
        return flood::report(dir, prov);
    }
    let summary = inputs::read_summary(&summary_path)?;
    let scores = inputs::read_scores(&scores_path)?;
    crate::prov_cmd::used(prov, "summary", &summary_path)?;
    crate::prov_cmd::used(prov, "scores", &scores_path)?;
    let mut streams: Vec<String> = Vec::new();
    let mut origins: Vec<Date> = Vec::new();
    for (t, _) in &scores {
        if !streams.contains(&t.stream) {
            streams.push(t.stream.clone());
        }
        if !origins.contains(&t.origin) {
            origins.push(t.origin);
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
                    scores_path.display(),
                    streams.join(", ")
                ),
            ))
        }
        // `read_scores` refuses a file without rows.
        None => streams.first().cloned().unwrap_or_default(),
    };
    // Without this the summary's tables would be empty, as if the
    // backtest had nothing to say of the stream.
    if !summary.iter().any(|l| l.stream == stream) {
        let mut summarised: Vec<&str> = summary.iter().map(|l| l.stream.as_str()).collect();
        summarised.sort_unstable();
        summarised.dedup();
        return Err(Error::input(
            Located::file(&summary_path).field("stream"),
            format!(
                "no rows for `{stream}`, which {} scores; it summarises {}",
                scores_path.display(),
                summarised.join(", ")
            ),
        ));
    }
    let mut sections = vec![Section::Text(intro(&origins, &streams))];
    for scope in ["locations", "total"] {
        sections.push(Section::Grid(summary_grid(&summary, &stream, scope)));
    }
    let best = if scores.iter().any(|(t, _)| t.forecaster == "ensemble") {
        "ensemble"
    } else {
        "model"
    };
    sections.push(Section::Grid(by_origin::by_origin_grid(
        &scores, &stream, best,
    )));
    let calibrated = dir.join("calibration.csv");
    if read::optional(&calibrated)? {
        crate::prov_cmd::used(prov, "calibration", &calibrated)?;
        let who: &[&str] = match best {
            "model" => &["model", "baseline"],
            _ => &[best, "model", "baseline"],
        };
        let grids = calibration::calibration_grids(&calibrated, &stream, who)?;
        sections.extend(grids.into_iter().map(Section::Grid));
    }
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
    if read::optional(&kept)? {
        crate::prov_cmd::used(prov, "forecasts", &kept)?;
        let forecasts = inputs::read_forecasts(&kept)?;
        let charts = Charts {
            path: &kept,
            forecasts: &forecasts,
            stream: &stream,
            who: best,
        };
        sections.extend(
            charts
                .of("total", false)?
                .into_iter()
                .map(Section::FanChart),
        );
        for area in &args.areas {
            sections.extend(charts.of(area, true)?.into_iter().map(Section::FanChart));
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
            origins.first().map_or("–".into(), Date::to_string),
            origins.last().map_or("–".into(), Date::to_string)
        ),
        metadata: metadata(dir),
        sections,
    })
}

fn intro(origins: &[Date], streams: &[String]) -> Text {
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

fn summary_grid(summary: &[SummaryLine], stream: &str, scope: &str) -> Grid {
    let mut rows = Vec::new();
    for (who, label, _) in FORECASTERS {
        for l in summary {
            if l.stream != stream || l.scope != scope || l.forecaster != who {
                continue;
            }
            let fixed =
                |v: Option<f64>, digits: usize| v.map_or("–".into(), |v| format!("{v:.digits$}"));
            let share = |v: f64| format!("{:.0}%", 100.0 * v);
            rows.push(vec![
                label.to_string(),
                l.weeks_ahead.to_string(),
                l.n.to_string(),
                fixed(Some(l.relative_wis), 3),
                share(l.coverage_50),
                share(l.coverage_90),
                fixed(l.bias.map(crate::twin_cmds::shown_bias), 2),
                fixed(l.relative_crps, 3),
            ]);
        }
    }
    let place = match scope {
        "total" => "the total over all locations",
        _ => "each location, pooled",
    };
    Grid {
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
    }
}

/// Each of `who`'s forecasts of `stream` at a location (not the total)
/// with its WIS and the baseline's on the same target, where the baseline
/// has one: the pairs every relative WIS here is summed from.
fn matched_wis<'s>(
    scores: &'s [(Target, f64)],
    stream: &str,
    who: &str,
) -> Vec<(&'s Target, f64, f64)> {
    let at = |t: &Target| t.stream == stream && t.location != "total";
    let baseline: HashMap<(Date, &str, u32), f64> = scores
        .iter()
        .filter(|(t, _)| at(t) && t.forecaster == "baseline")
        .map(|(t, v)| ((t.origin, t.location.as_str(), t.weeks_ahead), *v))
        .collect();
    scores
        .iter()
        .filter(|(t, _)| at(t) && t.forecaster == who)
        .filter_map(|(t, v)| {
            let b = baseline.get(&(t.origin, t.location.as_str(), t.weeks_ahead))?;
            Some((t, *v, *b))
        })
        .collect()
}

/// Each location's relative WIS for `who`, all horizons pooled.
fn relative_wis_map(
    scores: &[(Target, f64)],
    stream: &str,
    who: &str,
    geojson: serde_json::Value,
    args: &ReportArgs,
) -> Result<Choropleth> {
    let mut locations: Vec<String> = Vec::new();
    for (t, _) in scores {
        if t.stream == stream && t.location != "total" && !locations.contains(&t.location) {
            locations.push(t.location.clone());
        }
    }
    let mut sums: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for (t, w, b) in matched_wis(scores, stream, who) {
        let s = sums.entry(t.location.as_str()).or_default();
        s.0 += w;
        s.1 += b;
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

/// The kept forecasts, for charts of one forecaster's forecasts of one
/// stream.
struct Charts<'a> {
    path: &'a Path,
    forecasts: &'a [Kept],
    stream: &'a str,
    who: &'a str,
}

impl Charts<'_> {
    /// Why `area` cannot be charted: which file lacks what, and whether
    /// the area was asked for with `--areas` or is the total (always
    /// charted, so not the user's doing).
    fn missing(&self, area: &str, asked: bool, what: &str) -> Error {
        let at = if asked {
            Located::default().field("--areas")
        } else {
            Located::file(self.path).field("location")
        };
        let stream = self.stream;
        let msg = if asked {
            format!(
                "{} has no forecasts {what} of {stream} at `{area}`",
                self.path.display()
            )
        } else {
            format!(
                "no forecasts {what} of {stream} at `{area}`, which the report charts for \
                 the stream scored"
            )
        };
        Error::input(at, msg)
    }

    /// One chart per horizon: the forecasts of `area` k weeks ahead, at
    /// the end of each target week, over the weekly sums observed.
    fn of(&self, area: &str, asked: bool) -> Result<Vec<FanChart>> {
        let (stream, who) = (self.stream, self.who);
        // (weeks ahead, target end) → (level, value); target end → truth.
        let mut bands: BTreeMap<(u32, Date), Vec<(f64, f64)>> = BTreeMap::new();
        let mut observed: BTreeMap<Date, f64> = BTreeMap::new();
        for k in self.forecasts {
            let t = &k.target;
            if t.stream != stream || t.location != area {
                continue;
            }
            let end = t.origin.add_days(7 * t.weeks_ahead as i32);
            observed.insert(end, k.truth);
            if t.forecaster == who {
                let band = bands.entry((t.weeks_ahead, end)).or_default();
                band.push((k.level, k.value));
            }
        }
        if observed.is_empty() {
            return Err(self.missing(area, asked, "at all"));
        }
        if bands.is_empty() {
            return Err(self.missing(
                area,
                asked,
                &format!("by the {who}, whose scores are charted,"),
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
                    .map(|(&(_, date), q)| self.band(area, k, date, q))
                    .collect::<Result<Vec<_>>>()?;
                let s = if k == 1 { "" } else { "s" };
                Ok(FanChart {
                    name: format!("backtest-{stream}-{area}-{k}w").replace(['/', ' '], "_"),
                    title: format!(
                        "{}, {place}: forecasts {k} week{s} ahead",
                        stream.replace('_', " ")
                    ),
                    caption: format!(
                        "Dots: the observed weekly sums. Bands: what each origin's {} forecast \
                         for the week ending on that date, {k} week{s} after the origin.",
                        in_words(who),
                    ),
                    y_label: "per week".into(),
                    observed: observed.iter().map(|(d, v)| (*d, *v)).collect(),
                    bands: points,
                    cutoff: None,
                })
            })
            .collect()
    }

    /// The quantiles a chart draws of one forecast, `k` weeks ahead of
    /// the week ending `date`, from its (level, value) pairs.
    fn band(&self, area: &str, k: u32, date: Date, q: &[(f64, f64)]) -> Result<QuantileBandPoint> {
        let at = |level: f64| {
            let v = q.iter().find(|(l, _)| (l - level).abs() < 1e-9);
            v.map(|(_, v)| *v).ok_or_else(|| {
                Error::input(
                    Located::file(self.path).field("quantile"),
                    format!(
                        "no {level} quantile for the {}'s forecast of {} at {area} from {}, \
                         {k} weeks ahead; the charts need the 0.05, 0.25, 0.5, 0.75 and 0.95 \
                         quantiles of every forecast",
                        self.who,
                        self.stream,
                        date.add_days(-7 * k as i32),
                    ),
                )
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
    }
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
