//! `didymos forecast`: forecast from a saved posterior (optionally after
//! assimilating newer data first), as Hub CSV and Parquet quantiles.

use super::*;

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
    /// Also write the weekly ensemble of the twin with a damped trend on
    /// the observed weekly sums and, for streams with a `leading_column`,
    /// the ratio to it (equal-weight quantile average; `didymos backtest`
    /// scores it), as `<origin>-didymos-ensemble.csv`.
    #[arg(long)]
    ensemble: bool,
    /// Flood twins: forecast forcing CSV (date, trace, precip_mm, tmean_c or
    /// tmin_c/tmax_c) for the days after the origin (default: the spec's
    /// forecast.forcing, else the observed record, a hindcast).
    #[arg(long)]
    forcing: Option<PathBuf>,
    #[arg(long, default_value = "out/forecast")]
    out: PathBuf,
}

pub fn forecast_cmd(args: &ForecastArgs) -> Result<()> {
    if args.horizon == 0 {
        return Err(Error::Other(
            "--horizon 0: a forecast needs at least one day ahead".into(),
        ));
    }
    let peek = checkpoint::read_meta(&args.checkpoint)?;
    if peek["domain"] == "flood" {
        if args.ensemble {
            return Err(Error::Other(
                "--ensemble is for epidemic twins (weekly counts); this checkpoint is a flood \
                 twin's, whose backtest compares it with persistence and climatology instead"
                    .into(),
            ));
        }
        if args.observations.is_some() || args.trajectories {
            return Err(Error::Other(
                "--observations and --trajectories are for epidemic twins; a flood twin reads \
                 its spec's streamflow file and writes discharge quantiles"
                    .into(),
            ));
        }
        return crate::flood_cmds::forecast(
            &args.checkpoint,
            &peek,
            (args.spec.as_deref(), args.until),
            args.horizon,
            args.forcing.as_deref(),
            &args.out,
        );
    }
    if args.forcing.is_some() {
        return Err(Error::Other(
            "--forcing is for flood twins; this checkpoint is an epidemic twin's".into(),
        ));
    }
    let mut prov = crate::prov_cmd::start("forecast");
    let spec = args
        .spec
        .clone()
        .or_else(|| peek["spec"].as_str().map(PathBuf::from))
        .ok_or_else(|| {
            Error::Other(format!(
                "{}: the checkpoint does not name its twin spec; give --spec",
                args.checkpoint.display()
            ))
        })?;
    if crate::flood_cmds::is_flood_spec(&spec) {
        return Err(Error::Other(format!(
            "{} is a flood twin spec, but the checkpoint {} is an epidemic twin's: give the \
             spec it was assimilated with (or leave --spec out to use the one it names)",
            spec.display(),
            args.checkpoint.display()
        )));
    }
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
        twin.pf_options(&data)?,
        twin.eakf_options(&data),
    )?;
    let cal = twin.calendar();
    if let Some(until) = args.until {
        checkpoint::catch_up(&mut pf, &mut saved, until)?;
    }
    if saved.day + args.horizon > cal.n_days() {
        return Err(Error::Other(format!(
            "a {}-day forecast from {} runs past the twin's end {}; extend time.end",
            args.horizon,
            cal.date_of(saved.day),
            cal.end
        )));
    }
    let origin = cal.date_of(saved.day);
    if args.ensemble && epiweek_targets(origin, args.horizon).is_empty() {
        // Some epiweek ends within 13 days of any origin.
        let first = epiweek_targets(origin, 13).into_iter().next();
        let (end, days) = first.map_or((origin, 13), |t| (t.end, t.last));
        return Err(Error::Other(format!(
            "--ensemble forecasts the Forecast Hub's epiweeks; the first from {origin} ends \
             on {end}, {days} days on: give --horizon {days} or more (got {})",
            args.horizon
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
    let compute = started.elapsed();
    write_forecast(
        &fc,
        (&data, saved.day, origin),
        &args.out,
        args.trajectories,
    )?;
    crate::prov_cmd::generated(&mut prov, "output", &args.out.join("forecast.parquet"))?;
    let hub_csv = args.out.join(format!("{origin}-didymos-mmca.csv"));
    crate::prov_cmd::generated(&mut prov, "output", &hub_csv)?;
    if args.trajectories {
        let traj = args.out.join("trajectories.parquet");
        crate::prov_cmd::generated(&mut prov, "output", &traj)?;
    }
    let ensemble = match args.ensemble {
        true => {
            let path = args.out.join(format!("{origin}-didymos-ensemble.csv"));
            let leading = twin.leading_streams(cutoff)?;
            let totals = write_ensemble(&fc, &twin, (&data, &leading), (saved.day, origin), &path)?;
            crate::prov_cmd::generated(&mut prov, "output", &path)?;
            totals
        }
        false => Vec::new(),
    };
    let row = |t: &EpiweekTarget, q: &QuantileForecast| {
        let at = |l: f64| q.value_at(l).unwrap_or(f64::NAN);
        outln!(
            "{:>6} {:>12} {:>12.0} {:>12.0} – {:<12.0}",
            t.weeks_ahead,
            t.end.to_string(),
            at(0.5),
            at(0.05),
            at(0.95)
        );
    };
    for (f, stream) in fc.iter().zip(data.streams()) {
        let total = f.locations.len() - 1;
        let mut weeks = Vec::new();
        for t in epiweek_targets(origin, args.horizon) {
            if let Some(observed) = observed_part(stream, total, saved.day, &t) {
                let q = f.epiweek_quantiles(total, &t, observed)?;
                weeks.push((t, q));
            }
        }
        if weeks.is_empty() {
            // A header with no rows under it reads as a failure.
            let first = epiweek_targets(origin, 13).into_iter().next();
            let why = match first {
                Some(t) if t.last > args.horizon => format!(
                    "no epiweek ends within the {}-day horizon (the first ends on {}, {} \
                     days on)",
                    args.horizon, t.end, t.last
                ),
                _ => "the epiweek under way has days missing from the data".into(),
            };
            outln!(
                "{} forecast from {origin}: no weekly totals, {why}; the daily forecast is in {}",
                f.stream,
                args.out.display()
            );
        } else {
            outln!(
                "{} forecast from {origin} (total over {} locations), by the Hub's epiweeks:",
                f.stream,
                total
            );
            outln!(
                "{:>6} {:>12} {:>12} {:>26}",
                "week",
                "ending",
                "median",
                "90% of forecasts fall in"
            );
            for (t, q) in &weeks {
                row(t, q);
            }
        }
        if let Some(e) = ensemble.iter().find(|e| e.stream == f.stream) {
            outln!("ensemble with the statistical companions (same columns):");
            for (t, q) in &e.weeks {
                row(t, q);
            }
        }
    }
    outln!(
        "update and forecast took {:.3} s ({} members, {} days ahead); wrote {}",
        compute.as_secs_f64(),
        pf.ensemble().len(),
        args.horizon,
        args.out.display()
    );
    crate::prov_cmd::finish(prov, &args.out, false)
}

/// Hub CSV (daily targets, and the Hub's epiweek targets within the
/// horizon, per location and in total) and a tidy table of the daily
/// quantiles. `data` gives the observed days of an epiweek under way at
/// `origin` (day `origin_day`); a location missing one gets no row for it.
pub fn write_forecast(
    fc: &[StreamForecast],
    (data, origin_day, origin): (&StreamSet, usize, Date),
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
    for (f, stream) in fc.iter().zip(data.streams()) {
        let horizon = f.values[0].len();
        let weeks = epiweek_targets(origin, horizon);
        for (l, loc) in f.locations.iter().enumerate() {
            for h in 1..=horizon {
                let target = Target::new(h as u32, HorizonUnit::Day, format!("inc {}", f.stream));
                let q = f.hub_quantiles(l, h, h)?;
                let end = origin.add_days(h as i32);
                hub.extend(forecast_rows(origin, &target, end, loc, &q)?);
                for (level, v) in q.levels().iter().zip(q.values()) {
                    tidy.push(end, loc, "total", &format!("{}_q{level}", f.stream), *v)?;
                }
            }
            for t in &weeks {
                let Some(observed) = observed_part(stream, l, origin_day, t) else {
                    continue;
                };
                let target = Target::new(
                    t.weeks_ahead,
                    HorizonUnit::Week,
                    format!("inc {}", f.stream),
                );
                let q = f.epiweek_quantiles(l, t, observed)?;
                hub.extend(forecast_rows(origin, &target, t.end, loc, &q)?);
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

/// The weekly ensemble (twin + damped trend on the observed weekly sums up
/// to day `origin_day`, and the lead where the stream has one) per location
/// and in total, as Hub CSV at `path`. Locations whose trend is undefined
/// (under two weeks of data, or a negative sum) are left out and named on
/// stderr. Returns each stream's total-over-locations forecasts by week,
/// for the summary.
fn write_ensemble(
    fc: &[StreamForecast],
    twin: &LoadedTwin,
    (data, leading): (&StreamSet, &[Option<Stream>]),
    (origin_day, origin): (usize, Date),
    path: &Path,
) -> Result<Vec<WeeklyEnsemble>> {
    let companions = &twin.assim.companions;
    let ensembles = weekly_ensembles(fc, (data, leading), (origin_day, origin), companions)?;
    let mut hub: Vec<HubRow> = Vec::new();
    let mut totals = Vec::new();
    for e in ensembles.forecasts {
        for (t, q) in &e.weeks {
            let target = Target::new(
                t.weeks_ahead,
                HorizonUnit::Week,
                format!("inc {}", e.stream),
            );
            hub.extend(forecast_rows(origin, &target, t.end, &e.location, q)?);
        }
        if e.location == TOTAL {
            totals.push(e);
        }
    }
    for (stream, locations) in ensembles.left_out {
        eprintln!(
            "ensemble: {stream} has no damped trend (under two whole weeks of data before \
             {origin}, or a negative weekly sum) at {}; left out",
            locations.join(", ")
        );
    }
    write_hub_csv(path, &hub)?;
    Ok(totals)
}
