//! The flood twin (GR4J, `crates/hydro`) behind the same commands as the
//! epidemic twin: `didymos run`, `assimilate`, `forecast`, `scenario` and
//! `backtest` recognise a flood spec (one with a `[basin]` table) and come
//! here.

use std::path::{Path, PathBuf};
use std::time::Instant;

use didymos_core::{Date, Error, Model, Result};
use didymos_hydro::assimilate::filter_options;
use didymos_hydro::forecast_forcing::read_forecast_forcing;
use didymos_hydro::twin::FloodTwin;
use didymos_twin::checkpoint;
use serde_json::json;

pub use crate::flood_scenario::scenario;

pub use crate::flood_backtest::{backtest, FloodBacktestArgs};

/// Whether `path` is a flood twin spec; `None` when it cannot be read (the
/// loader then gives its own error).
fn spec_is_flood(path: &Path) -> Option<bool> {
    didymos_core::fs::read_text(path, didymos_core::fs::SPEC_MAX_BYTES)
        .ok()
        .map(|t| didymos_hydro::spec::is_flood_spec_text(&t))
}

/// Whether `path` is a flood twin spec rather than an epidemic one.
pub fn is_flood_spec(path: &Path) -> bool {
    spec_is_flood(path) == Some(true)
}

/// Whether `path` is an epidemic twin spec rather than a flood one.
pub fn is_epidemic_spec(path: &Path) -> bool {
    spec_is_flood(path) == Some(false)
}

pub(crate) fn write_csv(
    path: &Path,
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let e = |e: csv::Error| Error::Other(format!("{}: {e}", path.display()));
    w.write_record(header).map_err(e)?;
    for r in rows {
        w.write_record(&r).map_err(e)?;
    }
    let bytes = w.into_inner().map_err(|e| Error::Other(e.to_string()))?;
    didymos_core::fs::write_atomic(path, &bytes)
}

fn cell(v: Option<f64>) -> String {
    v.map_or(String::new(), |x| x.to_string())
}

/// Loads the twin and calibrates it on its calibration period (the spec's
/// `[calibration]`); prints the fit on both periods.
pub(crate) fn calibrated(spec: &Path) -> Result<FloodTwin> {
    let mut twin = FloodTwin::load(spec)?;
    let c = twin.calibrate()?;
    let s = twin.skill()?;
    let how = match &c {
        Some(c) => format!(
            "calibrated on {}..{} ({} model runs, KGE {:.3})",
            twin.spec.start, twin.spec.calibration_end, c.evaluations, s.calibration_kge
        ),
        None => "not calibrated (every calibrated parameter is learned online: \
                 assimilation.learn); the spec's values"
            .to_string(),
    };
    outln!(
        "{}: {how}; validation to {}: KGE {:.3}, NSE {:.3}",
        twin.spec.name,
        twin.spec.end,
        s.validation_kge,
        s.validation_nse
    );
    Ok(twin)
}

/// `didymos run flood.toml`: calibrate, simulate the whole record, write
/// `discharge.csv` (observed and simulated, mm/day) and `summary.json`.
pub fn run(spec: &Path, out: &Path) -> Result<()> {
    let mut prov = crate::prov_cmd::start("run");
    let twin = calibrated(spec)?;
    record_inputs(&mut prov, &twin)?;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let params = twin.model.parameters().values();
    let sim = twin.model.simulate(&params)?;
    let cal = *twin.model.calendar();
    let path = out.join("discharge.csv");
    write_csv(
        &path,
        &["date", "observed_mm_day", "simulated_mm_day"],
        sim.discharge.iter().enumerate().map(|(t, q)| {
            vec![
                cal.date_of(t + 1).to_string(),
                cell(twin.observed[t]),
                q.to_string(),
            ]
        }),
    )?;
    crate::prov_cmd::generated(&mut prov, "output", &path)?;
    let skill = twin.skill()?;
    let names: Vec<String> = twin.model.parameters().names().map(String::from).collect();
    let summary = json!({
        "twin": twin.spec.name,
        "parameters": names.iter().zip(&params).map(|(n, v)| (n.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "calibration": {"kge": skill.calibration_kge, "nse": skill.calibration_nse},
        "validation": {"kge": skill.validation_kge, "nse": skill.validation_nse},
    });
    let spath = out.join("summary.json");
    let text = serde_json::to_vec_pretty(&summary).map_err(|e| Error::Other(e.to_string()))?;
    didymos_core::fs::write_atomic(&spath, &text)?;
    crate::prov_cmd::generated(&mut prov, "summary", &spath)?;
    outln!("wrote {} and {}", path.display(), spath.display());
    crate::prov_cmd::finish(prov, out, false)
}

pub(crate) fn record_inputs(prov: &mut didymos_prov::Recorder, twin: &FloodTwin) -> Result<()> {
    crate::prov_cmd::used(prov, "spec", &twin.spec.spec_path)?;
    crate::prov_cmd::used(prov, "forcing", &twin.spec.forcing)?;
    crate::prov_cmd::used(prov, "observations", &twin.spec.streamflow)
}

/// `didymos assimilate flood.toml`: calibrate, then filter the observed
/// discharge up to `until` and save the posterior with the calibrated
/// parameters. `members` and `seed` (from the command line) override the
/// spec's `[assimilation]`.
pub fn assimilate(
    spec: &Path,
    until: Option<Date>,
    (members, seed): (Option<usize>, Option<u64>),
    out: &Path,
) -> Result<()> {
    let started = Instant::now();
    let mut prov = crate::prov_cmd::start("assimilate");
    let mut twin = calibrated(spec)?;
    if let Some(m) = members {
        twin.spec.assimilation.members = m;
    }
    if let Some(s) = seed {
        twin.spec.assimilation.seed = s;
    }
    record_inputs(&mut prov, &twin)?;
    let cal = *twin.model.calendar();
    let until = until.unwrap_or(cal.end);
    let day = cal.day_within(until, "--until")?;
    let model = twin.noisy_model()?;
    let data = twin.streams(&model, Some(until))?;
    let mut filter = twin.filter(&model, &data)?;
    filter.advance_to(day)?;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let meta = json!({
        "domain": "flood",
        "twin": twin.spec.name,
        "spec": std::fs::canonicalize(spec).unwrap_or(spec.to_path_buf()),
        "data_cutoff": until.to_string(),
        "parameters": twin.model.parameters().values(),
    });
    let ck = out.join("checkpoint.bin");
    checkpoint::save(&ck, &filter, meta)?;
    crate::prov_cmd::generated(&mut prov, "checkpoint", &ck)?;
    outln!(
        "{}: {} filter, {} members, discharge up to {until}, {:.1} s; wrote {}",
        twin.spec.name,
        filter.kind(),
        filter.ensemble().len(),
        started.elapsed().as_secs_f64(),
        ck.display()
    );
    crate::prov_cmd::finish(prov, out, false)
}

/// `didymos forecast --checkpoint` of a flood twin: discharge quantiles for
/// each day and the chance of exceeding the spec's thresholds (and the
/// return-period flow).
///
/// After the origin the model is driven by `forcing` (or the spec's
/// `forecast.forcing`): one trace, or an ensemble; without either, by the
/// observed record (a hindcast with perfect meteorology).
pub fn forecast(
    ck: &Path,
    meta: &serde_json::Value,
    (spec, until): (Option<&Path>, Option<Date>),
    horizon: usize,
    forcing: Option<&Path>,
    out: &Path,
) -> Result<()> {
    let mut prov = crate::prov_cmd::start("forecast");
    let spec = spec
        .map(Path::to_path_buf)
        .or_else(|| meta["spec"].as_str().map(PathBuf::from))
        .ok_or_else(|| {
            Error::Other(format!(
                "{}: the checkpoint does not name its twin spec; give --spec",
                ck.display()
            ))
        })?;
    if is_epidemic_spec(&spec) {
        return Err(Error::Other(format!(
            "{} is an epidemic twin spec, but the checkpoint {} is a flood twin's: give the \
             spec it was assimilated with (or leave --spec out to use the one it names)",
            spec.display(),
            ck.display()
        )));
    }
    let mut twin = FloodTwin::load(&spec)?;
    let params: Vec<f64> = serde_json::from_value(meta["parameters"].clone())
        .map_err(|e| Error::Other(format!("{}: parameters: {e}", ck.display())))?;
    twin.set_params(&params)?;
    crate::prov_cmd::used(&mut prov, "checkpoint", ck)?;
    record_inputs(&mut prov, &twin)?;
    let cutoff: Option<Date> = meta["data_cutoff"].as_str().and_then(|s| s.parse().ok());
    let model = twin.noisy_model()?;
    let data = twin.streams(&model, until.or(cutoff))?;
    let (pf, eakf) = filter_options(&twin.spec.assimilation, &model)?;
    let (mut filter, mut saved) = checkpoint::resume(ck, &model, &data, pf, eakf)?;
    let cal = *twin.model.calendar();
    if let Some(until) = until {
        checkpoint::catch_up(&mut filter, &mut saved, until)?;
    }
    let origin = cal.date_of(saved.day);
    let forcing_file = forcing
        .map(Path::to_path_buf)
        .or_else(|| twin.spec.forecast_forcing.clone());
    let (future, driven_by) = match &forcing_file {
        Some(f) => {
            let latitude = model.forcing().latitude();
            let traces = read_forecast_forcing(f, origin, horizon, latitude)?;
            crate::prov_cmd::used(&mut prov, "forecast_forcing", f)?;
            let k = traces.len();
            let forcing = model.forcing().until(origin)?.with_forecast(traces)?;
            (
                model.with_forcing(forcing)?,
                format!(
                    "{} ({k} trace{})",
                    f.display(),
                    if k == 1 { "" } else { "s" }
                ),
            )
        }
        None => {
            if saved.day + horizon > cal.n_days() {
                return Err(Error::Other(format!(
                    "a {horizon}-day forecast from {origin} runs past the forcing record ({}); give forecast forcing (--forcing) or a shorter --horizon",
                    cal.end
                )));
            }
            (
                model.with_forcing(model.forcing().clone())?,
                "the observed record (a hindcast with perfect meteorology)".to_string(),
            )
        }
    };
    let fc = didymos_hydro::warning::discharge_forecast(
        &filter,
        &future,
        &data,
        twin.area_m2,
        horizon,
        twin.spec.assimilation.seed,
    )?;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let levels = [0.05, 0.25, 0.5, 0.75, 0.95];
    let q: Vec<Vec<f64>> = levels
        .iter()
        .map(|&l| fc.quantile(l))
        .collect::<Result<_>>()?;
    let path = out.join("discharge_forecast.csv");
    write_csv(
        &path,
        &["date", "q05", "q25", "q50", "q75", "q95", "observed_mm_day"],
        (0..fc.horizon()).map(|h| {
            let date = fc.date(h + 1);
            let day = cal.day_of(date) as usize;
            let mut row = vec![date.to_string()];
            row.extend(q.iter().map(|s| s[h].to_string()));
            row.push(cell(twin.observed.get(day - 1).copied().flatten()));
            row
        }),
    )?;
    crate::prov_cmd::generated(&mut prov, "output", &path)?;
    let warnings = twin.warnings(&fc)?;
    let wpath = out.join("warnings.csv");
    write_csv(
        &wpath,
        &["threshold", "mm_day", "prob_exceed_within_horizon"],
        warnings
            .iter()
            .map(|w| vec![w.label.clone(), w.threshold.to_string(), w.any.to_string()]),
    )?;
    crate::prov_cmd::generated(&mut prov, "output", &wpath)?;
    let bundle = report_bundle(&twin, &fc, &warnings, meta, filter.kind(), &q)?;
    let bpath = out.join("report-data.json");
    bundle.write(&bpath)?;
    crate::prov_cmd::generated(&mut prov, "output", &bpath)?;
    outln!(
        "{}: discharge forecast from {} (mm/day; 90% of forecasts fall in the range); forcing after the origin: {driven_by}",
        twin.spec.name, fc.origin
    );
    for (h, ((lo, mid), hi)) in q[0].iter().zip(&q[2]).zip(&q[4]).enumerate() {
        outln!(
            "  {}  median {mid:>7.2}  {lo:>7.2} – {hi:<7.2}",
            fc.date(h + 1),
        );
    }
    for w in &warnings {
        outln!(
            "  chance of exceeding {} within {horizon} days: {:.0}%",
            level(w),
            w.any * 100.0
        );
    }
    outln!("wrote {} and {}", path.display(), wpath.display());
    crate::prov_cmd::finish(prov, out, false)
}

fn level(w: &didymos_hydro::twin::Warning) -> String {
    if w.label.contains("mm/day") {
        w.label.clone()
    } else {
        format!("{} ({:.2} mm/day)", w.label, w.threshold)
    }
}

/// How many days of observed discharge before the origin the report shows.
const REPORT_HISTORY_DAYS: usize = 60;

/// What `didymos report` needs from a flood forecast.
fn report_bundle(
    twin: &FloodTwin,
    fc: &didymos_hydro::warning::DischargeForecast,
    warnings: &[didymos_hydro::twin::Warning],
    meta: &serde_json::Value,
    filter: &str,
    q: &[Vec<f64>],
) -> Result<crate::scenario_bundle::Bundle> {
    use crate::scenario_bundle::{Bundle, BundleMeta, FanSeries};
    let cal = *twin.model.calendar();
    let origin_day = cal.day_of(fc.origin) as usize;
    let last_day = origin_day + fc.horizon();
    let basin = twin.model.layout().units[0].clone();
    let observed = (origin_day.saturating_sub(REPORT_HISTORY_DAYS).max(1)..=last_day)
        .filter_map(|d| {
            twin.observed
                .get(d - 1)
                .copied()
                .flatten()
                .map(|v| (cal.date_of(d), v))
        })
        .collect();
    let forecast = (0..fc.horizon())
        .map(|h| {
            (
                fc.date(h + 1),
                didymos_scenario::QuantileSet {
                    q05: q[0][h],
                    q25: q[1][h],
                    q50: q[2][h],
                    q75: q[3][h],
                    q95: q[4][h],
                },
            )
        })
        .collect();
    let members = fc.samples.first().map_or(0, Vec::len);
    Ok(Bundle {
        meta: BundleMeta::new(
            twin.spec.name.clone(),
            (fc.origin, fc.date(fc.horizon())),
            meta["data_cutoff"].as_str().and_then(|s| s.parse().ok()),
            format!("{filter} filter on observed discharge"),
            members,
            twin.spec.assimilation.seed,
        ),
        first_date: fc.date(1),
        baseline: "forecast".into(),
        units: vec![basin.clone()],
        population: Vec::new(),
        series: Vec::new(),
        differences: Vec::new(),
        exceedance: warnings
            .iter()
            .map(|w| didymos_scenario::Exceedance {
                scenario: "forecast".into(),
                observable: format!("discharge ({})", level(w)),
                unit: basin.clone(),
                threshold: w.threshold,
                within_horizon: w.any,
                daily: w.daily.clone(),
            })
            .collect(),
        forecast: vec![FanSeries {
            stream: "discharge".into(),
            location: basin.clone(),
            title: Some(format!("{} ({basin}): discharge", twin.spec.name)),
            unit: Some("mm/day".into()),
            caption: Some(
                "Dots: observed discharge (USGS). Bands: the ensemble forecast, driven by the weather of the record where it goes on (a hindcast), else dry persistence.".into(),
            ),
            observed,
            forecast,
        }],
    })
}
