//! `didymos assimilate`, `forecast` and `backtest`: keeping the MMCA twin in
//! step with observations and saying what comes next.

use std::path::{Path, PathBuf};
use std::time::Instant;

use didymos_assim::{Eakf, EakfOptions, ParticleFilter, PfOptions};
use didymos_core::observation::StreamSet;
use didymos_core::{Calendar, DataModel, Date, Error, Model, Result};
use didymos_epi::filtering::mmca_eakf_options;
use didymos_epi::inputs::{read_observations, ObservationColumns, ObservationTable};
use didymos_epi::mmca::{MmcaModel, ProcessNoise, BETA_SCALE};
use didymos_epi::spec::{load_spec, TwinSpec};
use didymos_epi::spec_assim::AssimilationSpec;
use didymos_epi::streams::build_streams;
use didymos_forecast::{
    forecast_rows, quantiles, write_hub_csv, HorizonUnit, HubRow, QuantileForecast, Target,
    HUB_LEVELS,
};
use didymos_store::{Format, TidyWriter};
use didymos_twin::backtest::{backtest_with, summarise, BacktestOptions};
use didymos_twin::checkpoint;
use didymos_twin::filter::Filter;
use didymos_twin::predict::{forecast_with, StreamForecast};

/// A twin spec with its model and observations, ready to filter.
pub struct LoadedTwin {
    pub spec: TwinSpec,
    pub assim: AssimilationSpec,
    pub model: MmcaModel,
    pub table: ObservationTable,
    pub observations: PathBuf,
}

pub fn load_twin(spec_path: &Path, observations: Option<&Path>) -> Result<LoadedTwin> {
    let (spec, warnings) = load_spec(spec_path)?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let assim = spec.assimilation.clone().ok_or_else(|| {
        Error::Other(format!(
            "{}: the spec has no [assimilation] section (see data/spain/twin-2020.toml)",
            spec_path.display()
        ))
    })?;
    let mut model = MmcaModel::new(spec.setup.clone())?.with_process_noise(ProcessNoise {
        log_beta_sd: assim.log_beta_sd,
        log_beta_patch_sd: assim.log_beta_patch_sd,
    })?;
    for (name, prior, at) in &spec.priors {
        model.parameters_mut().set_prior(name, prior.clone(), at)?;
    }
    let observations = observations
        .map(Path::to_path_buf)
        .or_else(|| assim.observations.clone())
        .ok_or_else(|| {
            Error::Other(
                "no observations: give --observations FILE or assimilation.observations".into(),
            )
        })?;
    let cols = ObservationColumns {
        date: assim.date_column.clone(),
        location: assim.location_column.clone(),
        stratum: assim.stratum_column.clone(),
        variables: assim.streams.iter().map(|s| s.column.clone()).collect(),
    };
    let table = read_observations(
        &observations,
        &cols,
        &model.layout().units,
        &model.layout().strata,
    )?;
    Ok(LoadedTwin {
        spec,
        assim,
        model,
        table,
        observations,
    })
}

impl LoadedTwin {
    pub fn streams(&self, cutoff: Option<Date>) -> Result<StreamSet> {
        build_streams(&self.model, &self.table, &self.assim.streams, cutoff)
    }
    /// A fresh filter of the spec's kind on day 1.
    pub fn filter<'a>(
        &'a self,
        data: &'a StreamSet,
        members: usize,
        seed: u64,
    ) -> Result<Filter<'a, MmcaModel, StreamSet>> {
        Ok(match self.assim.filter.as_str() {
            "eakf" => Filter::Eakf(Eakf::new(
                &self.model,
                data,
                members,
                seed,
                self.eakf_options(data),
            )?),
            _ => Filter::Particle(ParticleFilter::new(
                &self.model,
                data,
                members,
                seed,
                self.pf_options(),
            )?),
        })
    }
    pub fn eakf_options(&self, data: &StreamSet) -> EakfOptions {
        mmca_eakf_options(&self.model, data, self.assim.inflation)
    }
    pub fn pf_options(&self) -> PfOptions {
        PfOptions {
            resample_threshold: self.assim.resample_threshold,
            ..PfOptions::default()
        }
    }
    fn calendar(&self) -> Calendar {
        *self.model.calendar()
    }
    /// The last date with data inside the simulated range.
    fn last_data_date(&self) -> Result<Date> {
        let cal = self.calendar();
        self.table
            .dates()
            .into_iter()
            .rev()
            .find(|d| cal.day_in_range(*d).is_some())
            .ok_or_else(|| {
                Error::Other(format!(
                    "{}: no observation falls inside {}..{}",
                    self.observations.display(),
                    cal.start,
                    cal.end
                ))
            })
    }
    fn day_of(&self, date: Date, what: &str) -> Result<usize> {
        let cal = self.calendar();
        cal.day_in_range(date).ok_or_else(|| {
            Error::Other(format!(
                "{what} {date} is outside the twin's range {}..{}",
                cal.start, cal.end
            ))
        })
    }
}

#[derive(clap::Args)]
pub struct AssimilateArgs {
    /// Twin spec with an [assimilation] section.
    spec: PathBuf,
    /// Observation CSV (default: assimilation.observations).
    #[arg(long)]
    observations: Option<PathBuf>,
    /// Assimilate up to this date (default: the last date with data).
    #[arg(long)]
    until: Option<Date>,
    #[arg(long)]
    members: Option<usize>,
    #[arg(long)]
    seed: Option<u64>,
    #[arg(long, default_value = "out/assimilate")]
    out: PathBuf,
}

pub fn assimilate(args: &AssimilateArgs) -> Result<()> {
    let started = Instant::now();
    let mut prov = crate::prov_cmd::start("assimilate");
    let twin = load_twin(&args.spec, args.observations.as_deref())?;
    record_twin_inputs(&mut prov, &twin)?;
    let until = match args.until {
        Some(d) => d,
        None => twin.last_data_date()?,
    };
    let last = twin.day_of(until, "--until")?;
    let data = twin.streams(Some(until))?;
    let members = args.members.unwrap_or(twin.assim.members);
    let seed = args.seed.unwrap_or(twin.spec.seed);
    let mut filter = twin.filter(&data, members, seed)?;
    let cal = twin.calendar();
    let trace_path = args.out.join("filter.csv");
    // Small: built in memory, written atomically once complete.
    let mut trace = csv::Writer::from_writer(Vec::new());
    let header = [
        "date",
        "ess",
        "log_lik",
        "transmission_q05",
        "transmission_q50",
        "transmission_q95",
    ];
    trace
        .write_record(header)
        .map_err(|e| Error::Other(e.to_string()))?;
    let bar = crate::run::progress_bar(last as u64, false);
    let mut min_ess = f64::INFINITY;
    for day in 1..=last {
        filter.advance_to(day)?;
        bar.set_position(day as u64);
        if !data.has_data(day) {
            continue;
        }
        let (ess, ll) = match &filter {
            Filter::Particle(pf) => match pf.records().last().filter(|r| r.day == day) {
                Some(r) => (r.ess.to_string(), r.log_lik.to_string()),
                None => (String::new(), String::new()),
            },
            Filter::Eakf(_) => (String::new(), String::new()),
        };
        if let Ok(e) = ess.parse::<f64>() {
            min_ess = min_ess.min(e);
        }
        let q = transmission_quantiles(&twin.model, filter.ensemble())?;
        let row = [
            cal.date_of(day).to_string(),
            ess,
            ll,
            q[0].to_string(),
            q[1].to_string(),
            q[2].to_string(),
        ];
        trace
            .write_record(row)
            .map_err(|e| Error::Other(e.to_string()))?;
    }
    bar.finish_and_clear();
    write_csv(&trace_path, trace)?;
    crate::prov_cmd::generated(&mut prov, "output", &trace_path)?;
    let meta = serde_json::json!({
        "twin": twin.spec.name,
        "spec": std::fs::canonicalize(&args.spec).unwrap_or(args.spec.clone()),
        "observations": std::fs::canonicalize(&twin.observations).unwrap_or(twin.observations.clone()),
        "data_cutoff": until.to_string(),
    });
    let ck = args.out.join("checkpoint.bin");
    checkpoint::save(&ck, &filter, meta)?;
    crate::prov_cmd::generated(&mut prov, "checkpoint", &ck)?;
    let q = transmission_quantiles(&twin.model, filter.ensemble())?;
    println!(
        "{}: {} filter, {members} members, data up to {until}, {:.1} s",
        twin.spec.name,
        filter.kind(),
        started.elapsed().as_secs_f64()
    );
    if let Some(ll) = filter.log_lik() {
        println!("log-likelihood {ll:.1}; lowest ESS {min_ess:.0}");
    }
    println!("national transmission multiplier on {until}: median {:.3}, 90% of the ensemble in [{:.3}, {:.3}]", q[1], q[0], q[2]);
    println!("wrote {} and {}", ck.display(), trace_path.display());
    crate::prov_cmd::finish(prov, &args.out, false)
}

/// Records the spec, the data files it read and the observations as inputs.
fn record_twin_inputs(prov: &mut didymos_prov::Recorder, twin: &LoadedTwin) -> Result<()> {
    crate::prov_cmd::used_spec(prov, &twin.spec.spec_path, &twin.spec.inputs)?;
    crate::prov_cmd::used(prov, "observations", &twin.observations)
}

/// Quantiles over members of the population-weighted transmission
/// multiplier: global `beta_scale` × Σ (population share × patch multiplier).
fn transmission_quantiles(
    model: &MmcaModel,
    ens: &didymos_core::Ensemble<'_, MmcaModel>,
) -> Result<Vec<f64>> {
    let net = model.network();
    let total: f64 = net.pop_patch.iter().sum();
    let first = model.first_patch_scale();
    let mut xs: Vec<f64> = (0..ens.len())
        .map(|m| {
            let p = ens.params(m);
            let local: f64 = p[first..]
                .iter()
                .zip(&net.pop_patch)
                .map(|(l, n)| l * n / total)
                .sum();
            p[BETA_SCALE] * local
        })
        .collect();
    quantiles(&mut xs, &[0.05, 0.5, 0.95])
}

#[derive(clap::Args)]
pub struct ForecastArgs {
    /// Checkpoint written by `didymos assimilate`.
    #[arg(long)]
    checkpoint: PathBuf,
    /// Twin spec (default: the one recorded in the checkpoint).
    #[arg(long)]
    spec: Option<PathBuf>,
    /// Observation CSV (default: the one recorded in the checkpoint).
    #[arg(long)]
    observations: Option<PathBuf>,
    /// First assimilate the observations that arrived since the checkpoint,
    /// up to this date (the live loop: update, then re-forecast).
    #[arg(long)]
    until: Option<Date>,
    /// Days to forecast.
    #[arg(long, default_value_t = 28)]
    horizon: usize,
    /// Also write every member's trajectory.
    #[arg(long)]
    trajectories: bool,
    #[arg(long, default_value = "out/forecast")]
    out: PathBuf,
}

pub fn forecast_cmd(args: &ForecastArgs) -> Result<()> {
    let mut prov = crate::prov_cmd::start("forecast");
    let peek = checkpoint::read_meta(&args.checkpoint)?;
    let spec = args
        .spec
        .clone()
        .or_else(|| peek["spec"].as_str().map(PathBuf::from))
        .ok_or_else(|| Error::Other("give --spec".into()))?;
    let obs = args
        .observations
        .clone()
        .or_else(|| peek["observations"].as_str().map(PathBuf::from));
    let twin = load_twin(&spec, obs.as_deref())?;
    crate::prov_cmd::used(&mut prov, "checkpoint", &args.checkpoint)?;
    record_twin_inputs(&mut prov, &twin)?;
    let saved_cutoff: Option<Date> = peek["data_cutoff"].as_str().and_then(|s| s.parse().ok());
    let cutoff = args.until.or(saved_cutoff);
    let data = twin.streams(cutoff)?;
    let started = Instant::now();
    let (mut pf, mut saved) = checkpoint::resume(
        &args.checkpoint,
        &twin.model,
        &data,
        twin.pf_options(),
        twin.eakf_options(&data),
    )?;
    let cal = twin.calendar();
    if let Some(until) = args.until {
        let day = twin.day_of(until, "--until")?;
        if day < saved.day {
            return Err(Error::Other(format!(
                "--until {until} is before the checkpoint's day {}",
                cal.date_of(saved.day)
            )));
        }
        pf.advance_to(day)?;
        saved.day = day;
    }
    if saved.day + args.horizon > cal.n_days() {
        return Err(Error::Other(format!(
            "a {}-day forecast from {} runs past the twin's end {}; extend time.end",
            args.horizon,
            cal.date_of(saved.day),
            cal.end
        )));
    }
    // Measures (κ₀) after the origin are unknown at the origin: hold the
    // ones in force.
    let frozen = twin.model.with_containments_until(saved.day)?;
    let fc = forecast_with(
        &frozen,
        pf.ensemble(),
        pf.history(),
        &pf.log_weights(),
        &data,
        args.horizon,
        saved.seed,
    )?;
    let origin = cal.date_of(saved.day);
    let compute = started.elapsed();
    write_forecast(&fc, origin, &args.out, args.trajectories)?;
    crate::prov_cmd::generated(&mut prov, "output", &args.out.join("forecast.parquet"))?;
    let hub_csv = args.out.join(format!("{origin}-didymos-mmca.csv"));
    crate::prov_cmd::generated(&mut prov, "output", &hub_csv)?;
    if args.trajectories {
        let traj = args.out.join("trajectories.parquet");
        crate::prov_cmd::generated(&mut prov, "output", &traj)?;
    }
    for f in &fc {
        let total = f.locations.len() - 1;
        println!(
            "{} forecast from {origin} (total over {} locations):",
            f.stream, total
        );
        println!(
            "{:>6} {:>12} {:>26}",
            "week", "median", "90% of forecasts fall in"
        );
        for k in 1..=args.horizon / 7 {
            let mut s = f.summed(total, 7 * (k - 1) + 1, 7 * k);
            let q = quantiles(&mut s, &[0.05, 0.5, 0.95])?;
            println!("{k:>6} {:>12.0} {:>12.0} – {:<12.0}", q[1], q[0], q[2]);
        }
    }
    println!(
        "update and forecast took {:.3} s ({} members, {} days ahead); wrote {}",
        compute.as_secs_f64(),
        pf.ensemble().len(),
        args.horizon,
        args.out.display()
    );
    crate::prov_cmd::finish(prov, &args.out, false)
}

/// Hub CSV (daily and weekly targets, per location and in total) and a
/// tidy table of the same quantiles.
pub fn write_forecast(
    fc: &[StreamForecast],
    origin: Date,
    out: &Path,
    trajectories: bool,
) -> Result<()> {
    let mut hub: Vec<HubRow> = Vec::new();
    let mut tidy = TidyWriter::create(&out.join("forecast.parquet"), Format::Parquet)?;
    let mut traj = match trajectories {
        true => Some(TidyWriter::create(
            &out.join("trajectories.parquet"),
            Format::Parquet,
        )?),
        false => None,
    };
    for f in fc {
        let horizon = f.values[0].len();
        for (l, loc) in f.locations.iter().enumerate() {
            let mut blocks: Vec<(Target, usize, usize)> = (1..=horizon)
                .map(|h| {
                    (
                        Target::new(h as u32, HorizonUnit::Day, format!("inc {}", f.stream)),
                        h,
                        h,
                    )
                })
                .collect();
            blocks.extend((1..=horizon / 7).map(|k| {
                (
                    Target::new(k as u32, HorizonUnit::Week, format!("inc {}", f.stream)),
                    7 * k - 6,
                    7 * k,
                )
            }));
            for (target, from, to) in blocks {
                let mut s = f.summed(l, from, to);
                let q =
                    QuantileForecast::new(HUB_LEVELS.to_vec(), quantiles(&mut s, &HUB_LEVELS)?)?;
                let end = origin.add_days(to as i32);
                hub.extend(forecast_rows(origin, &target, end, loc, &q)?);
                if from == to {
                    for (level, v) in q.levels().iter().zip(q.values()) {
                        tidy.push(end, loc, "total", &format!("{}_q{level}", f.stream), *v)?;
                    }
                }
            }
            if let Some(w) = traj.as_mut() {
                for (h, members) in f.values[l].iter().enumerate() {
                    for (m, v) in members.iter().enumerate() {
                        w.push(
                            origin.add_days(h as i32 + 1),
                            loc,
                            "total",
                            &format!("{}_m{m}", f.stream),
                            *v,
                        )?;
                    }
                }
            }
        }
    }
    write_hub_csv(&out.join(format!("{origin}-didymos-mmca.csv")), &hub)?;
    tidy.finish()?;
    if let Some(w) = traj {
        w.finish()?;
    }
    Ok(())
}

#[derive(clap::Args)]
pub struct BacktestArgs {
    spec: PathBuf,
    #[arg(long)]
    observations: Option<PathBuf>,
    /// First forecast origin (a data cut-off date).
    #[arg(long)]
    from: Date,
    /// Last forecast origin.
    #[arg(long)]
    to: Date,
    /// Days between origins, e.g. 7 or 7d.
    #[arg(long, default_value = "7d")]
    every: String,
    /// Forecast horizon in days (scored in whole weeks).
    #[arg(long, default_value_t = 28)]
    horizon: usize,
    #[arg(long)]
    members: Option<usize>,
    #[arg(long)]
    seed: Option<u64>,
    #[arg(long, default_value = "out/backtest")]
    out: PathBuf,
}

pub fn backtest_cmd(args: &BacktestArgs) -> Result<()> {
    let started = Instant::now();
    let mut prov = crate::prov_cmd::start("backtest");
    let twin = load_twin(&args.spec, args.observations.as_deref())?;
    record_twin_inputs(&mut prov, &twin)?;
    let every: usize = args
        .every
        .trim_end_matches('d')
        .parse()
        .ok()
        .filter(|&e| e >= 1)
        .ok_or_else(|| {
            Error::Other(format!(
                "--every {}: expected a number of days such as 7 or 7d",
                args.every
            ))
        })?;
    let (first, last) = (
        twin.day_of(args.from, "--from")?,
        twin.day_of(args.to, "--to")?,
    );
    let weeks = args.horizon / 7;
    if weeks == 0 || last < first {
        return Err(Error::Other("need --horizon ≥ 7 and --from ≤ --to".into()));
    }
    let origins: Vec<usize> = (first..=last).step_by(every).collect();
    let data = twin.streams(None)?;
    let opts = BacktestOptions {
        origins,
        weeks,
        seed: args.seed.unwrap_or(twin.spec.seed),
    };
    let members = args.members.unwrap_or(twin.assim.members);
    // Each origin forecasts with the measures in force then, held constant:
    // no covariate from after the origin enters a forecast.
    let frozen = |origin: usize| twin.model.with_containments_until(origin).map(Some);
    let bt = backtest_with(
        twin.filter(&data, members, opts.seed)?,
        &data,
        &opts,
        frozen,
    )?;
    let cal = twin.calendar();
    let path = args.out.join("scores.csv");
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "origin",
        "stream",
        "location",
        "weeks_ahead",
        "forecaster",
        "truth",
        "median",
        "wis",
        "covered_50",
        "covered_90",
    ])
    .map_err(|e| Error::Other(e.to_string()))?;
    for s in &bt.scores {
        w.write_record([
            cal.date_of(s.origin).to_string(),
            s.stream.clone(),
            s.location.clone(),
            s.weeks_ahead.to_string(),
            s.forecaster.to_string(),
            s.truth.to_string(),
            s.median.to_string(),
            s.wis.to_string(),
            s.covered_50.to_string(),
            s.covered_90.to_string(),
        ])
        .map_err(|e| Error::Other(e.to_string()))?;
    }
    write_csv(&path, w)?;
    crate::prov_cmd::generated(&mut prov, "output", &path)?;
    println!(
        "{}: {} origins {}..{} every {every} d, {} particles, {:.1} s",
        twin.spec.name,
        opts.origins.len(),
        args.from,
        args.to,
        members,
        started.elapsed().as_secs_f64()
    );
    for (label, keep) in [
        (
            "locations",
            &(|l: &str| l != "total") as &dyn Fn(&str) -> bool,
        ),
        ("total", &|l: &str| l == "total"),
    ] {
        println!(
            "{label}: {:>5} {:>6} {:>10} {:>10} {:>8} {:>8} {:>8}",
            "weeks", "n", "WIS", "baseline", "rel WIS", "cov50", "cov90"
        );
        for h in summarise(&bt.scores, weeks, keep) {
            println!(
                "{:>16} {:>6} {:>10.1} {:>10.1} {:>8.3} {:>8.2} {:>8.2}",
                h.weeks_ahead,
                h.n,
                h.model_wis,
                h.baseline_wis,
                h.relative_wis,
                h.coverage_50,
                h.coverage_90
            );
        }
    }
    println!("wrote {}", path.display());
    crate::prov_cmd::finish(prov, &args.out, false)
}

/// Write a CSV built in memory to `path` atomically.
fn write_csv(path: &Path, w: csv::Writer<Vec<u8>>) -> Result<()> {
    let bytes = w.into_inner().map_err(|e| Error::Other(e.to_string()))?;
    didymos_core::fs::write_atomic(path, &bytes)
}
