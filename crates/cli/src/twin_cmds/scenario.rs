//! `didymos scenario`: what-if scenarios branched from the twin's posterior,
//! run with common random numbers and compared with the baseline.
//!
//! The posterior comes from, in order: `--from-checkpoint` (a saved
//! assimilation), or assimilating the spec's observations up to the branch
//! date, or (a spec without `[assimilation]`) the prior ensemble run to the
//! branch date. Measures in force at the branch (κ₀ and the rest) are held
//! from there on, as in `didymos forecast`; scenarios change them.

use didymos_core::Ensemble;
use didymos_epi::scenarios::{load_scenarios, ScenarioFile};
use didymos_scenario::output::{write_daily, write_differences, write_exceedance, write_summary};
use didymos_scenario::{
    difference, exceedance, summarise, Options, Outcome, Posterior, QuantileSet,
};

use super::scenario_horizon::{horizon_day, Branch};
use super::*;
use crate::scenario_bundle::{Bundle, BundleMeta, FanSeries};

#[derive(clap::Args)]
pub struct ScenarioArgs {
    /// Twin spec.
    pub(crate) spec: PathBuf,
    /// Scenarios TOML (see data/spain/scenarios.toml).
    #[arg(long)]
    pub(crate) scenarios: PathBuf,
    /// Branch from this saved posterior (`didymos assimilate`).
    #[arg(long)]
    pub(crate) from_checkpoint: Option<PathBuf>,
    /// Observation CSV (default: assimilation.observations).
    #[arg(long)]
    pub(crate) observations: Option<PathBuf>,
    /// Members to run per scenario (default: all of the posterior's).
    #[arg(long)]
    pub(crate) members: Option<usize>,
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    #[arg(long, default_value = "out/scenarios")]
    pub(crate) out: PathBuf,
}

/// The twin's model with its process noise and priors, and, when it has
/// `[assimilation]`, its observations.
enum Source {
    Assimilated(Box<LoadedTwin>),
    Prior(Box<(TwinSpec, MmcaModel)>),
}

impl Source {
    fn model(&self) -> &MmcaModel {
        match self {
            Source::Assimilated(t) => &t.model,
            Source::Prior(p) => &p.1,
        }
    }
    fn spec(&self) -> &TwinSpec {
        match self {
            Source::Assimilated(t) => &t.spec,
            Source::Prior(p) => &p.0,
        }
    }
}

fn load_source(args: &ScenarioArgs) -> Result<Source> {
    let (spec, warnings) = load_spec(&args.spec)?;
    if spec.assimilation.is_some() {
        return Ok(Source::Assimilated(Box::new(load_twin(
            &args.spec,
            args.observations.as_deref(),
        )?)));
    }
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let mut model = MmcaModel::new(spec.setup.clone())?;
    for (name, prior, at) in &spec.priors {
        model.parameters_mut().set_prior(name, prior.clone(), at)?;
    }
    Ok(Source::Prior(Box::new((spec, model))))
}

pub fn scenario_cmd(args: &ScenarioArgs) -> Result<()> {
    if crate::flood_cmds::is_flood_spec(&args.spec) {
        return crate::flood_cmds::scenario(args);
    }
    let started = Instant::now();
    let mut prov = crate::prov_cmd::start("scenario");
    let source = load_source(args)?;
    match &source {
        Source::Assimilated(t) => record_twin_inputs(&mut prov, t)?,
        Source::Prior(p) => crate::prov_cmd::used_spec(&mut prov, &p.0.spec_path, &p.0.inputs)?,
    }
    crate::prov_cmd::used(&mut prov, "scenarios", &args.scenarios)?;
    let model = source.model();
    let cal = *model.calendar();
    let file = load_scenarios(&args.scenarios, model)?;
    let seed = args.seed.unwrap_or(source.spec().seed);

    let horizon_of = |branch: usize, why: &Branch| horizon_day(args, &file, &cal, branch, why);
    let branched = posterior(args, &source, &file, &mut prov, seed, &horizon_of)?;
    let (post, how, cutoff) = (branched.post, branched.how, branched.cutoff);
    let horizon_day = branched.horizon;
    file.check_window(post.day, horizon_day)?;

    let base = model.with_containments_until(post.day)?;
    let opts = Options {
        horizon_day,
        seed,
        members: args.members,
    };
    let outcomes = didymos_epi::scenarios::run_file(&file, &base, &post, &opts)?;
    let members = outcomes[0].members();
    let capacity = didymos_epi::scenarios::capacity_thresholds(&file);
    write_outputs(
        &args.out,
        file.baseline,
        &capacity,
        &outcomes,
        &cal,
        &mut prov,
        |series, diffs, exceed| Bundle {
            meta: BundleMeta::new(
                source.spec().name.clone(),
                (cal.date_of(post.day), cal.date_of(horizon_day)),
                cutoff,
                how.clone(),
                members,
                seed,
            ),
            first_date: cal.date_of(post.day + 1),
            baseline: file.scenarios[file.baseline].name.clone(),
            units: model.layout().units.clone(),
            population: model.network().pop_patch.clone(),
            series,
            differences: diffs,
            exceedance: exceed,
            forecast: branched.fan,
        },
    )?;
    outln!(
        "{}: {} scenarios branched on {} ({how}), {members} members each, to {}, {:.1} s",
        source.spec().name,
        outcomes.len(),
        cal.date_of(post.day),
        cal.date_of(horizon_day),
        started.elapsed().as_secs_f64()
    );
    print_averted(&outcomes, file.baseline)?;
    outln!("wrote {}", args.out.display());
    crate::prov_cmd::finish(prov, &args.out, false)
}

/// The posterior to branch from, how it was obtained, its data cut-off,
/// and (for a twin with data) the forecast of what will be reported.
struct Branched {
    post: Posterior,
    how: String,
    /// The last day of the runs, checked against the branch day before
    /// any filtering.
    horizon: usize,
    cutoff: Option<Date>,
    fan: Vec<FanSeries>,
}

fn posterior(
    args: &ScenarioArgs,
    source: &Source,
    file: &ScenarioFile,
    prov: &mut didymos_prov::Recorder,
    seed: u64,
    horizon_of: &dyn Fn(usize, &Branch) -> Result<usize>,
) -> Result<Branched> {
    let model = source.model();
    let cal = *model.calendar();
    let branch_day = |fallback: Option<usize>| -> Result<usize> {
        match (file.branch, fallback) {
            (Some(d), _) => cal.day_in_range(d).ok_or_else(|| {
                Error::Other(format!(
                    "{}: branch {d} is outside the twin's range {}..{}",
                    args.scenarios.display(),
                    cal.start,
                    cal.end
                ))
            }),
            (None, Some(d)) => Ok(d),
            (None, None) => Err(Error::Other(format!(
                "{}: give [scenarios] branch = DATE (the twin has no data to branch after)",
                args.scenarios.display()
            ))),
        }
    };
    if let Some(ck) = &args.from_checkpoint {
        crate::prov_cmd::used(prov, "checkpoint", ck)?;
        let (ens, hist, saved) = checkpoint::load_parts(ck, model)?;
        let day = branch_day(Some(saved.day))?;
        if day != saved.day {
            return Err(Error::Other(format!(
                "the scenarios branch on {} but the checkpoint holds day {}; remove `branch` or assimilate to it",
                cal.date_of(day),
                cal.date_of(saved.day)
            )));
        }
        let why = Branch::of(file, Branch::Checkpoint(ck.clone()));
        let horizon = horizon_of(day, &why)?;
        let cutoff: Option<Date> = saved.meta["data_cutoff"]
            .as_str()
            .and_then(|s| s.parse().ok());
        let fan = match source {
            Source::Assimilated(twin) => {
                let data = twin.streams(cutoff)?;
                fan_chart_series(twin, &ens, &hist, &saved.log_w, &data, horizon, seed)?
            }
            Source::Prior(_) => Vec::new(),
        };
        return Ok(Branched {
            post: Posterior::from_ensemble(&ens, saved.log_w.clone()),
            how: format!("checkpoint {}", ck.display()),
            horizon,
            cutoff,
            fan,
        });
    }
    match source {
        Source::Assimilated(twin) => {
            let last = twin.last_data_date()?;
            let day = branch_day(Some(twin.day_of(last, "last data date")?))?;
            let why = Branch::of(file, Branch::EndOfData(twin.observations.clone()));
            // Before the filter runs: it takes a while, and the answer
            // would be thrown away.
            let horizon = horizon_of(day, &why)?;
            let cutoff = cal.date_of(day);
            let data = twin.streams(Some(cutoff))?;
            let members = twin.assim.members;
            let mut filter = twin.filter(&data, members, seed)?;
            filter.advance_to(day)?;
            let log_w = filter.log_weights();
            let fan = fan_chart_series(
                twin,
                filter.ensemble(),
                filter.history(),
                &log_w,
                &data,
                horizon,
                seed,
            )?;
            Ok(Branched {
                post: Posterior::from_ensemble(filter.ensemble(), log_w),
                how: format!("{} filter on data up to {cutoff}", filter.kind()),
                horizon,
                cutoff: Some(cutoff),
                fan,
            })
        }
        Source::Prior(p) => {
            let (spec, model) = (&p.0, &p.1);
            let day = branch_day(None)?;
            let horizon = horizon_of(day, &Branch::File)?;
            let mut ens = Ensemble::from_priors(model, spec.members, seed)?;
            let opts = didymos_core::RunOptions {
                batch_size: None,
                observe: false,
            };
            ens.run_to(day, &opts, |_| {});
            let w = vec![0.0; ens.len()];
            Ok(Branched {
                post: Posterior::from_ensemble(&ens, w),
                how: "prior ensemble, no data".into(),
                horizon,
                cutoff: None,
                fan: Vec::new(),
            })
        }
    }
}

/// Writes the scenario tables and the report bundle. `capacity` holds
/// (observable, unit, threshold) triples for exceedance probabilities.
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_outputs(
    out: &Path,
    baseline_index: usize,
    capacity: &[(usize, usize, f64)],
    outcomes: &[Outcome],
    cal: &Calendar,
    prov: &mut didymos_prov::Recorder,
    bundle: impl FnOnce(
        Vec<didymos_scenario::SeriesSummary>,
        Vec<didymos_scenario::Difference>,
        Vec<didymos_scenario::Exceedance>,
    ) -> Bundle,
) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let first = outcomes[0].first_day;
    let date = |t: usize| cal.date_of(first + t).to_string();
    let mut series = Vec::new();
    for o in outcomes {
        series.extend(summarise(o)?);
    }
    let baseline = &outcomes[baseline_index];
    let mut diffs = Vec::new();
    for (i, o) in outcomes.iter().enumerate() {
        if i == baseline_index {
            continue;
        }
        for (k, flow) in o.is_flow.iter().enumerate() {
            if !flow {
                continue;
            }
            for u in 0..o.units.len() {
                diffs.push(difference(baseline, o, k, u)?);
            }
        }
    }
    let mut exceed = Vec::new();
    for &(k, unit, threshold) in capacity {
        for o in outcomes {
            exceed.push(exceedance(o, k, unit, threshold));
        }
    }
    let files = [
        write_daily(&out.join("scenario_daily.csv"), &series, &date)?,
        write_summary(&out.join("scenario_summary.csv"), &series, &date)?,
        write_differences(&out.join("scenario_differences.csv"), &diffs)?,
        write_exceedance(&out.join("scenario_capacity.csv"), &exceed)?,
    ];
    for f in &files {
        crate::prov_cmd::generated(prov, "output", f)?;
    }
    let b = bundle(series, diffs, exceed);
    let path = out.join("scenarios.json");
    b.write(&path)?;
    crate::prov_cmd::generated(prov, "output", &path)
}

/// National averted outcomes, one line per scenario and flow.
fn print_averted(outcomes: &[Outcome], baseline: usize) -> Result<()> {
    let b = &outcomes[baseline];
    let total = b.units.len() - 1;
    for (i, o) in outcomes.iter().enumerate() {
        if i == baseline {
            continue;
        }
        for (k, name) in o.observables.iter().enumerate() {
            if !o.is_flow[k] {
                continue;
            }
            let d = difference(b, o, k, total)?;
            outln!(
                "  {} vs {}: {name} averted {:.0} (50%: {:.0} to {:.0}; 90%: {:.0} to {:.0})",
                o.name,
                b.name,
                d.averted.q50,
                d.averted.q25,
                d.averted.q75,
                d.averted.q05,
                d.averted.q95
            );
        }
    }
    Ok(())
}

/// How many days of observations before the branch the fan charts show.
const FAN_HISTORY_DAYS: usize = 56;

/// The baseline forecast of what each stream will report (measures held),
/// with the observations around it (after the cut-off too, where the file
/// has them: a retrospective run then shows what happened).
fn fan_chart_series(
    twin: &LoadedTwin,
    ens: &Ensemble<'_, MmcaModel>,
    hist: &didymos_assim::ObsHistory,
    log_w: &[f64],
    data: &StreamSet,
    horizon_day: usize,
    seed: u64,
) -> Result<Vec<FanSeries>> {
    let origin = ens.day();
    let frozen = twin.model.with_containments_until(origin)?;
    let days = horizon_day.checked_sub(origin).ok_or_else(|| {
        Error::Other(format!(
            "the scenario horizon (day {horizon_day}) is before the branch (day {origin})"
        ))
    })?;
    let fc = forecast_with(&frozen, ens, hist, log_w, data, days, seed)?;
    let cal = twin.calendar();
    let units = &twin.model.layout().units;
    let first = origin.saturating_sub(FAN_HISTORY_DAYS).max(1);
    let mut out = Vec::new();
    for f in &fc {
        let Some(var) = twin.table.variable_index(&f.stream) else {
            continue;
        };
        for (l, name) in f.locations.iter().enumerate() {
            let cells: Vec<usize> = if name == didymos_twin::predict::TOTAL {
                (0..units.len()).collect()
            } else {
                units.iter().position(|u| u == name).into_iter().collect()
            };
            let observed = (first..=horizon_day)
                .filter_map(|d| {
                    let date = cal.date_of(d);
                    let vals: Option<Vec<f64>> = cells
                        .iter()
                        .map(|&c| twin.table.total(var, date, c))
                        .collect();
                    vals.map(|v| (date, v.iter().sum()))
                })
                .collect();
            let forecast = f.values[l]
                .iter()
                .enumerate()
                .map(|(h, samples)| Ok((cal.date_of(origin + h + 1), QuantileSet::of(samples)?)))
                .collect::<Result<Vec<_>>>()?;
            out.push(FanSeries {
                stream: f.stream.clone(),
                location: name.clone(),
                title: None,
                unit: None,
                caption: None,
                observed,
                forecast,
            });
        }
    }
    Ok(out)
}
