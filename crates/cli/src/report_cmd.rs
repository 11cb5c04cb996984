//! `didymos report`: one self-contained HTML file (and each figure as SVG)
//! from a scenario run's `scenarios.json` (or a flood forecast's
//! `report-data.json`): fan charts of observations and the forecast, the
//! scenarios compared, a map and the averted outcomes. A backtest's folder
//! is reported by `backtest_report.rs`.

use std::path::{Path, PathBuf};

use didymos_core::{Date, Error, Located, Result};
use didymos_report::{
    write_report, FanChart, QuantileBandPoint, QuantileRow, QuantileSummary, QuantileTable, Report,
    ScenarioChart, ScenarioSeries, Section, Text,
};
use didymos_scenario::QuantileSet;

use crate::scenario_bundle::{Bundle, FanSeries};

mod maps;
pub(crate) use maps::feature_key;
use maps::{exceedance_map, incidence_map};

#[derive(clap::Args)]
pub struct ReportArgs {
    /// `scenarios.json` from `didymos scenario` (or `report-data.json` from
    /// a flood forecast), or the directory holding it; or a `didymos
    /// backtest` output directory (its scores, and its kept forecasts).
    scenarios: PathBuf,
    /// GeoJSON of the areas (WGS84), for the maps (none: no maps).
    #[arg(long)]
    pub(crate) geojson: Option<PathBuf>,
    /// Feature property holding the twin's area ids (default: the feature id).
    #[arg(long)]
    geojson_id: Option<String>,
    /// Feature property with a readable area name.
    #[arg(long)]
    pub(crate) geojson_name: Option<String>,
    /// Observable to chart (default: new_hospitalized, else the first flow;
    /// for a backtest, the first stream scored).
    #[arg(long)]
    pub(crate) observable: Option<String>,
    /// Areas to chart besides the total (default: the two with most
    /// forecast cases of the observable; for a backtest, none).
    #[arg(long, value_delimiter = ',')]
    pub(crate) areas: Vec<String>,
    /// Also write each figure as PNG (needs headless Chromium).
    #[arg(long)]
    png: bool,
    #[arg(long, default_value = "out/report/report.html")]
    out: PathBuf,
}

fn re(e: didymos_report::ReportError) -> Error {
    Error::Other(format!("report: {e}"))
}

pub fn report_cmd(args: &ReportArgs) -> Result<()> {
    let mut prov = crate::prov_cmd::start("report");
    if crate::backtest_report::is_backtest_dir(&args.scenarios) {
        let report = crate::backtest_report::report(&args.scenarios, args, &mut prov)?;
        return write_out(&report, args, prov);
    }
    let path = if args.scenarios.is_dir() {
        let dir = &args.scenarios;
        ["scenarios.json", "report-data.json"]
            .into_iter()
            .map(|name| dir.join(name))
            .find(|p| p.exists())
            .ok_or_else(|| {
                Error::input(
                    Located::file(dir),
                    "not a folder `didymos report` reads: it holds no scenarios.json (from \
                     `didymos scenario`), report-data.json (from a flood forecast), or \
                     summary.csv and scores.csv (from `didymos backtest`)",
                )
            })?
    } else {
        args.scenarios.clone()
    };
    let b = Bundle::read(&path)?;
    crate::prov_cmd::used(&mut prov, "scenarios", &path)?;
    let geojson = match &args.geojson {
        Some(g) => {
            crate::prov_cmd::used(&mut prov, "geojson", g)?;
            let text = didymos_core::fs::read_text(g, didymos_core::fs::DATA_MAX_BYTES)?;
            Some(
                didymos_report::parse_geojson(&text)
                    .map_err(|e| Error::Other(format!("{}: {e}", g.display())))?,
            )
        }
        None => None,
    };
    let observable = pick_observable(&b, args.observable.as_deref())?;
    let areas = pick_areas(&b, &observable, &args.areas)?;

    let mut sections = vec![Section::Text(summary_text(&b, &observable))];
    let charted: Vec<String> = if b.series.is_empty() {
        // A forecast without scenarios: every location it has.
        b.forecast.iter().map(|f| f.location.clone()).collect()
    } else {
        std::iter::once("total".to_string()).chain(areas).collect()
    };
    for area in charted {
        if let Some(f) = b
            .forecast
            .iter()
            .find(|f| f.stream == observable && f.location == area)
        {
            sections.push(Section::FanChart(fan_chart(&b, f)));
        }
    }
    if !b.exceedance.is_empty() && b.series.is_empty() {
        sections.push(Section::Text(warnings_text(&b)));
    }
    if !b.series.is_empty() {
        sections.push(Section::ScenarioChart(scenario_chart(&b, &observable)?));
    }
    if let Some(geojson) = geojson {
        sections.push(Section::Map(incidence_map(
            &b,
            &observable,
            geojson.clone(),
            args,
        )));
        if let Some(m) = exceedance_map(&b, geojson, args) {
            sections.push(Section::Map(m));
        }
    }
    if !b.differences.is_empty() {
        sections.push(Section::Table(averted_table(&b)));
    }
    let report = Report {
        title: if b.series.is_empty() {
            format!("{}: forecast", b.meta.twin)
        } else {
            format!("{}: forecast and what-if scenarios", b.meta.twin)
        },
        subtitle: format!("From {}; forecast to {}", b.meta.branch, b.meta.horizon),
        metadata: metadata(&b),
        sections,
    };
    write_out(&report, args, prov)
}

/// Writes the page and its figures (and PNGs where asked) where `args`
/// says, and the provenance of it all.
fn write_out(report: &Report, args: &ReportArgs, mut prov: didymos_prov::Recorder) -> Result<()> {
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let written = write_report(report, &args.out).map_err(re)?;
    crate::prov_cmd::generated(&mut prov, "report", &written.html)?;
    for f in &written.figures {
        crate::prov_cmd::generated(&mut prov, "figure", f)?;
    }
    if args.png {
        for png in figures_as_png(&written.figures)? {
            crate::prov_cmd::generated(&mut prov, "figure", &png)?;
        }
    }
    outln!(
        "wrote {} and {} figures",
        written.html.display(),
        written.figures.len()
    );
    let out_dir = out_dir(&args.out);
    crate::prov_cmd::finish(prov, &out_dir, false)
}

fn out_dir(html: &Path) -> PathBuf {
    match html.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn pick_observable(b: &Bundle, asked: Option<&str>) -> Result<String> {
    // Every series and forecast names its observable: each name once,
    // sorted, for the list of valid ones.
    let names: std::collections::BTreeSet<&str> = b
        .series
        .iter()
        .map(|s| s.observable.as_str())
        .chain(b.forecast.iter().map(|f| f.stream.as_str()))
        .collect();
    if let Some(a) = asked {
        return if names.contains(&a) {
            Ok(a.into())
        } else {
            Err(Error::Other(
                didymos_core::suggest::unknown_key_message(a, names.iter().copied())
                    .replace("key", "observable"),
            ))
        };
    }
    let flows: Vec<&str> = b
        .series
        .iter()
        .filter(|s| s.cumulative.is_some())
        .map(|s| s.observable.as_str())
        .collect();
    flows
        .iter()
        .find(|n| **n == "new_hospitalized")
        .or(flows.first())
        .map(|s| s.to_string())
        .or_else(|| b.forecast.first().map(|f| f.stream.clone()))
        .ok_or_else(|| Error::Other("the run has nothing to chart".into()))
}

fn baseline_series<'a>(
    b: &'a Bundle,
    observable: &str,
) -> impl Iterator<Item = &'a didymos_scenario::SeriesSummary> + 'a {
    let (base, obs) = (b.baseline.clone(), observable.to_string());
    b.series
        .iter()
        .filter(move |s| s.scenario == base && s.observable == obs)
}

fn pick_areas(b: &Bundle, observable: &str, asked: &[String]) -> Result<Vec<String>> {
    for a in asked {
        if !b.units.contains(a) {
            return Err(Error::Other(format!(
                "--areas: `{a}` is not an area of the twin (e.g. {})",
                b.units
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    if !asked.is_empty() {
        return Ok(asked.to_vec());
    }
    let mut by_size: Vec<(f64, String)> = baseline_series(b, observable)
        .filter(|s| s.unit != "total")
        .filter_map(|s| s.cumulative.map(|c| (c.q50, s.unit.clone())))
        .collect();
    by_size.sort_by(|x, y| y.0.total_cmp(&x.0));
    Ok(by_size.into_iter().take(2).map(|x| x.1).collect())
}

fn band(date: Date, q: &QuantileSet) -> QuantileBandPoint {
    QuantileBandPoint {
        date,
        q05: q.q05,
        q25: q.q25,
        q50: q.q50,
        q75: q.q75,
        q95: q.q95,
    }
}

fn fan_chart(b: &Bundle, f: &FanSeries) -> FanChart {
    let label = if f.location == "total" {
        "all areas".to_string()
    } else {
        format!("area {}", f.location)
    };
    FanChart {
        name: format!("fan-{}-{}", f.stream, f.location).replace(['/', ' '], "_"),
        title: f.title.clone().unwrap_or_else(|| {
            format!("{}: reported {} per day", label, f.stream.replace('_', " "))
        }),
        caption: f.caption.clone().unwrap_or_else(|| {
            format!(
                "Dots: reported counts. Bands: what the twin expects to be reported if the measures in force on {} stay in force.",
                b.meta.branch
            )
        }),
        y_label: f.unit.clone().unwrap_or_else(|| "per day".into()),
        observed: f.observed.clone(),
        bands: f.forecast.iter().map(|(d, q)| band(*d, q)).collect(),
        cutoff: b.meta.data_cutoff,
    }
}

fn scenario_chart(b: &Bundle, observable: &str) -> Result<ScenarioChart> {
    let mut scenarios = Vec::new();
    let names: Vec<String> = {
        let mut v: Vec<String> = Vec::new();
        for s in &b.series {
            if !v.contains(&s.scenario) {
                v.push(s.scenario.clone());
            }
        }
        v
    };
    for name in &names {
        let s = b
            .series
            .iter()
            .find(|s| &s.scenario == name && s.observable == observable && s.unit == "total")
            .ok_or_else(|| Error::Other(format!("scenario `{name}` has no total series")))?;
        scenarios.push(ScenarioSeries {
            label: name.clone(),
            bands: s
                .daily
                .iter()
                .enumerate()
                .map(|(t, q)| band(b.first_date.add_days(t as i32), q))
                .collect(),
        });
    }
    Ok(ScenarioChart {
        name: format!("scenarios-{observable}"),
        title: format!("What if: {} per day in all areas", observable.replace('_', " ")),
        caption: "Each scenario's median with the band where 90% of its runs fall; all scenarios share the same runs (common random numbers), so their differences are sharper than the bands suggest.".into(),
        y_label: "per day".into(),
        scenarios,
        observed: Vec::new(),
    })
}

fn averted_table(b: &Bundle) -> QuantileTable {
    let rows = b
        .differences
        .iter()
        .filter(|d| d.unit == "total")
        .map(|d| QuantileRow {
            labels: vec![
                d.scenario.clone(),
                d.observable.replace('_', " "),
                format!("{:.0}%", d.prob_fewer * 100.0),
            ],
            summary: QuantileSummary {
                q05: d.averted.q05,
                q25: d.averted.q25,
                q50: d.averted.q50,
                q75: d.averted.q75,
                q95: d.averted.q95,
            },
        })
        .collect();
    QuantileTable {
        title: format!("Averted outcomes against {}, all areas", b.baseline),
        caption: format!(
            "Baseline minus scenario, summed from {} to {}, run by run; negative numbers are extra outcomes.",
            b.first_date, b.meta.horizon
        ),
        label_headers: vec![
            "scenario".into(),
            "outcome".into(),
            "runs with fewer".into(),
        ],
        median_header: "averted (median)".into(),
        rows,
    }
}

fn summary_text(b: &Bundle, observable: &str) -> Text {
    let mut p = vec![if b.series.is_empty() {
        format!(
            "The forecast starts from the twin's state on {} ({}), with {} runs, and runs to {}.",
            b.meta.branch, b.meta.posterior, b.meta.members, b.meta.horizon
        )
    } else {
        format!(
            "Every scenario starts from the twin's state on {} ({}), with {} runs each, and runs to {}.",
            b.meta.branch, b.meta.posterior, b.meta.members, b.meta.horizon
        )
    }];
    if let Some(s) = baseline_series(b, observable).find(|s| s.unit == "total") {
        if let Some(c) = s.cumulative {
            p.push(format!(
                "If nothing changes ({}), the twin expects {:.0} {} in all areas over that time (90% of runs between {:.0} and {:.0}).",
                b.baseline,
                c.q50,
                observable.replace('_', " "),
                c.q05,
                c.q95
            ));
        }
    }
    Text {
        heading: "Summary".into(),
        paragraphs: p,
    }
}

fn metadata(b: &Bundle) -> Vec<(String, String)> {
    let m = &b.meta;
    vec![
        ("twin".into(), m.twin.clone()),
        (
            "data cut-off".into(),
            m.data_cutoff
                .map_or("none (prior ensemble)".into(), |d| d.to_string()),
        ),
        ("branch date".into(), m.branch.to_string()),
        ("horizon".into(), m.horizon.to_string()),
        ("posterior".into(), m.posterior.clone()),
        ("ensemble runs".into(), m.members.to_string()),
        ("seed".into(), m.seed.to_string()),
        ("software".into(), m.software.clone()),
        ("git commit".into(), m.git_commit.clone()),
    ]
}

/// Renders each standalone SVG to a PNG of its own size with headless
/// Chromium (deterministic: the same SVG gives the same bytes).
fn figures_as_png(svgs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let chromium = didymos_report::chromium::Chromium::find().ok_or_else(|| {
        Error::Other(
            "--png needs headless Chromium: apt-get install chromium (or set CHROMIUM)".into(),
        )
    })?;
    let mut out = Vec::new();
    for svg in svgs {
        let text = std::fs::read_to_string(svg).map_err(|e| Error::io(svg, e))?;
        let size = |attr: &str| -> Option<u32> {
            let at = text.find(&format!(" {attr}=\""))? + attr.len() + 3;
            text[at..].split('"').next()?.parse().ok()
        };
        let (w, h) = size("width").zip(size("height")).ok_or_else(|| {
            Error::Other(format!(
                "{}: no width/height on the <svg> element",
                svg.display()
            ))
        })?;
        let png = svg.with_extension("png");
        chromium.screenshot(svg, &png, w, h).map_err(re)?;
        out.push(png);
    }
    Ok(out)
}

/// The chance of exceeding each threshold, in words.
fn warnings_text(b: &Bundle) -> Text {
    Text {
        heading: "Chance of exceeding thresholds".into(),
        paragraphs: b
            .exceedance
            .iter()
            .map(|e| {
                format!(
                    "{} above {:.2} at {} on at least one day by {}: {:.0}% of forecasts.",
                    e.observable.replace('_', " "),
                    e.threshold,
                    e.unit,
                    b.meta.horizon,
                    e.within_horizon * 100.0
                )
            })
            .collect(),
    }
}
