//! `simulate`: twin spec + scenario → observations, truth and events.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use didymos_core::{Error, Located, Model, Result};
use didymos_epi::mmca::MmcaModel;
use didymos_epi::spec::load_spec;

use crate::config::{self, Context, SimConfig};
use crate::observation_process::{generate_stream, Event, Generated};
use crate::presets;
use crate::record::Record;
use crate::truth::{run_truth, Truth};
use crate::wastewater::{expected_concentration, generate_wastewater};
use crate::writer::{write_records, Format};

#[derive(Debug, Clone)]
pub struct SimulateOptions {
    pub spec: PathBuf,
    /// `normal`, `critical` or a scenario TOML path.
    pub scenario: String,
    pub out: PathBuf,
    pub seed: Option<u64>,
    pub format: Format,
}

#[derive(Debug, Clone)]
pub struct SimulateOutcome {
    pub twin: String,
    pub seed: u64,
    /// Files read: the spec and its data files, and the scenario file.
    pub used: Vec<(String, PathBuf)>,
    /// Files written, with their roles.
    pub written: Vec<(String, PathBuf)>,
    pub records: usize,
    pub revisions: usize,
    pub events: usize,
}

/// The scenario's source text and, for a file, its path.
fn scenario_text(name: &str) -> Result<(String, String, Option<PathBuf>)> {
    if let Some(text) = presets::preset(name) {
        return Ok((format!("preset {name}"), text.to_string(), None));
    }
    let path = Path::new(name);
    if !path.is_file() {
        return Err(Error::input(
            Located::default().field("--scenario"),
            format!(
                "unknown scenario `{name}`: give {} or the path of a scenario TOML file (no such file)",
                presets::NAMES.join(" or ")
            ),
        ));
    }
    let text = didymos_core::fs::read_text(path, didymos_core::fs::SPEC_MAX_BYTES)?;
    Ok((path.display().to_string(), text, Some(path.to_path_buf())))
}

/// Orders records as replay sends them: by availability, then by key.
fn by_availability(a: &(f64, Record), b: &(f64, Record)) -> Ordering {
    a.0.total_cmp(&b.0)
        .then_with(|| a.1.stream.cmp(&b.1.stream))
        .then_with(|| a.1.location.cmp(&b.1.location))
        .then_with(|| a.1.stratum.cmp(&b.1.stratum))
        .then_with(|| a.1.time.cmp(&b.1.time))
}

fn sort_for_replay(records: Vec<Record>) -> Result<Vec<Record>> {
    let mut keyed = records
        .into_iter()
        .map(|r| Ok((r.available_at().map_err(Error::Other)?, r)))
        .collect::<Result<Vec<_>>>()?;
    keyed.sort_by(by_availability);
    Ok(keyed.into_iter().map(|(_, r)| r).collect())
}

/// The wastewater truth: stream name, patches, concentration per patch and day.
type WastewaterTruth<'a> = (&'a str, &'a [usize], &'a [Vec<f64>]);

/// The truth in the ingest schema: every observable per (patch, stratum),
/// the transmission multiplier, and the wastewater concentration.
fn truth_records(truth: &Truth, ww: Option<WastewaterTruth<'_>>) -> Vec<Record> {
    let mut out = Vec::new();
    for (t, date) in truth.dates.iter().enumerate() {
        let time = date.to_string();
        let rec =
            |stream: &str, location: Option<&str>, stratum: Option<&str>, value: f64| Record {
                stream: stream.to_string(),
                time: time.clone(),
                location: location.map(String::from),
                stratum: stratum.map(String::from),
                value,
                issued: None,
                flag: None,
            };
        out.push(rec(
            "transmission_multiplier",
            None,
            None,
            truth.transmission[t],
        ));
        for (k, obs) in truth.observables.iter().enumerate() {
            for (u, unit) in truth.units.iter().enumerate() {
                for (g, stratum) in truth.strata.iter().enumerate() {
                    out.push(rec(obs, Some(unit), Some(stratum), truth.get(t, u, g, k)));
                }
            }
        }
        if let Some((name, locations, conc)) = ww {
            for (&u, c) in locations.iter().zip(conc) {
                out.push(rec(name, Some(&truth.units[u]), None, c[t]));
            }
        }
    }
    out
}

fn events_csv(events: &[Event]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let e = |e: csv::Error| Error::Other(format!("events.csv: {e}"));
    w.write_record(["kind", "stream", "from", "to", "location", "detail"])
        .map_err(e)?;
    for ev in events {
        w.write_record([
            ev.kind.to_string(),
            ev.stream.clone(),
            ev.from.to_string(),
            ev.to.to_string(),
            ev.location.clone().unwrap_or_default(),
            ev.detail.clone(),
        ])
        .map_err(e)?;
    }
    w.into_inner()
        .map_err(|x| Error::Other(format!("events.csv: {x}")))
}

/// Generate the observations of `cfg` from `truth` (records sorted for
/// replay) and the injected events.
pub fn observe(
    cfg: &SimConfig,
    truth: &Truth,
    seed: u64,
) -> Result<(Generated, Option<Vec<Vec<f64>>>)> {
    let mut g = Generated::default();
    for (si, s) in cfg.streams.iter().enumerate() {
        generate_stream(s, si, truth, seed, &mut g);
    }
    let mut conc = None;
    if let Some(ww) = &cfg.wastewater {
        let c = expected_concentration(ww, truth)?;
        generate_wastewater(ww, &c, truth, seed, &mut g.records);
        conc = Some(c);
    }
    for r in &cfg.regimes {
        let (from, to) = match *r {
            config::Regime::Surge { from, to, .. }
            | config::Regime::MobilityShock { from, to, .. } => (from, to),
            config::Regime::Variant { from, .. } => (from, truth.n_days()),
        };
        g.events.push(Event {
            kind: r.kind(),
            stream: String::new(),
            from: truth.dates[from - 1],
            to: truth.dates[to - 1],
            location: None,
            detail: r.describe(),
        });
    }
    g.records = sort_for_replay(std::mem::take(&mut g.records))?;
    Ok((g, conc))
}

/// Load the twin and the scenario, run the truth, write everything.
pub fn simulate(opts: &SimulateOptions) -> Result<SimulateOutcome> {
    let (spec, warnings) = load_spec(&opts.spec)?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let model = MmcaModel::new(spec.setup.clone())?;
    let observables: Vec<String> = model.observables().iter().map(|o| o.name.clone()).collect();
    let ctx = Context {
        calendar: *model.calendar(),
        units: &model.layout().units,
        strata: &model.layout().strata,
        observables: &observables,
    };
    let (source, text, scenario_path) = scenario_text(&opts.scenario)?;
    let cfg = config::load(&source, &text, &ctx)?;
    let seed = opts.seed.or(cfg.seed).unwrap_or(spec.seed);
    let truth = run_truth(&model, &cfg, seed)?;
    let (generated, conc) = observe(&cfg, &truth, seed)?;

    let ext = opts.format.extension();
    let obs_path = opts.out.join(format!("observations.{ext}"));
    let truth_path = opts.out.join(format!("truth.{ext}"));
    let events_path = opts.out.join("events.csv");
    let scenario_out = opts.out.join("scenario.toml");
    std::fs::create_dir_all(&opts.out).map_err(|e| Error::io(&opts.out, e))?;
    write_records(&obs_path, opts.format, &generated.records)?;
    let ww = cfg
        .wastewater
        .as_ref()
        .zip(conc.as_ref())
        .map(|(w, c)| (w.name.as_str(), w.locations.as_slice(), c.as_slice()));
    write_records(&truth_path, opts.format, &truth_records(&truth, ww))?;
    didymos_core::fs::write_atomic(&events_path, &events_csv(&generated.events)?)?;
    didymos_core::fs::write_atomic(&scenario_out, text.as_bytes())?;

    let mut used = vec![("spec".to_string(), opts.spec.clone())];
    used.extend(spec.inputs.iter().map(|p| ("input".to_string(), p.clone())));
    if let Some(p) = scenario_path {
        used.push(("scenario".into(), p));
    }
    Ok(SimulateOutcome {
        twin: spec.name.clone(),
        seed,
        used,
        written: vec![
            ("observations".into(), obs_path),
            ("truth".into(), truth_path),
            ("events".into(), events_path),
            ("scenario".into(), scenario_out),
        ],
        records: generated.records.len(),
        revisions: generated
            .records
            .iter()
            .filter(|r| r.issued.is_some())
            .count(),
        events: generated.events.len(),
    })
}
