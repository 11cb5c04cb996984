//! `didymos assimilate`: fit the twin to observations, save the posterior.

use super::*;

#[derive(clap::Args)]
pub struct AssimilateArgs {
    /// Twin spec with an `[assimilation]` section.
    spec: PathBuf,
    /// Observation CSV (default: assimilation.observations).
    #[arg(long)]
    observations: Option<PathBuf>,
    /// Assimilate up to this date (default: the last date with data).
    #[arg(long)]
    until: Option<Date>,
    /// Ensemble members (default: the spec's assimilation.members).
    #[arg(long)]
    members: Option<usize>,
    /// Random seed (default: the spec's ensemble.seed); the same seed
    /// gives the same posterior.
    #[arg(long)]
    seed: Option<u64>,
    #[arg(long, default_value = "out/assimilate")]
    out: PathBuf,
}

pub fn assimilate(args: &AssimilateArgs) -> Result<()> {
    if crate::flood_cmds::is_flood_spec(&args.spec) {
        if args.observations.is_some() {
            return Err(Error::Other(format!(
                "{}: --observations is for epidemic twins; a flood twin reads the \
                 streamflow file its spec names ([basin] streamflow)",
                args.spec.display()
            )));
        }
        return crate::flood_cmds::assimilate(
            &args.spec,
            args.until,
            (args.members, args.seed),
            &args.out,
        );
    }
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
        "degenerate_by",
    ];
    trace
        .write_record(header)
        .map_err(|e| Error::Other(e.to_string()))?;
    let bar = crate::run::progress_bar(last as u64, false);
    let mut min_ess = f64::INFINITY;
    // Days whose weights fell on one member: how many, and the first.
    let (mut degenerate_days, mut first_degenerate) = (0usize, None);
    for day in 1..=last {
        filter.advance_to(day)?;
        bar.set_position(day as u64);
        if !data.has_data(day) {
            continue;
        }
        let (ess, ll, by) = match &filter {
            Filter::Particle(pf) => match pf.records().last().filter(|r| r.day == day) {
                Some(r) => (
                    r.ess.to_string(),
                    r.log_lik.to_string(),
                    r.dominant.clone().unwrap_or_default(),
                ),
                None => Default::default(),
            },
            Filter::Eakf(_) => Default::default(),
        };
        if !by.is_empty() {
            degenerate_days += 1;
            first_degenerate.get_or_insert_with(|| (cal.date_of(day), by.clone()));
        }
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
            by,
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
    outln!(
        "{}: {} filter, {members} members, data up to {until}, {:.1} s",
        twin.spec.name,
        filter.kind(),
        started.elapsed().as_secs_f64()
    );
    // The block filter records the smallest of its blocks' ESS.
    let blocked = filter.kind() == "block-pf";
    if let Some(ll) = filter.log_lik() {
        let what = if blocked {
            "lowest block ESS"
        } else {
            "lowest ESS"
        };
        outln!("log-likelihood {ll:.1}; {what} {min_ess:.0}");
    }
    if let Some((date, by)) = first_degenerate {
        let whose = if blocked {
            "a block's weights"
        } else {
            "the particle filter's weights"
        };
        eprintln!(
            "warning: {whose} fell on a single member (ESS < 2) on {} \
             day(s) with data; first on {date}, decided by {by}. Every such day is in filter.csv, \
             column degenerate_by.",
            degenerate_days
        );
    }
    outln!("national transmission multiplier on {until}: median {:.3}, 90% of the ensemble in [{:.3}, {:.3}]", q[1], q[0], q[2]);
    for s in data.streams() {
        if let Some(w) = s.weekday.as_ref().filter(|w| w.is_estimated()) {
            // The factors a forecast from `until` uses.
            let f = w.factors_on(last + 1);
            if f == &[1.0; 7] {
                outln!(
                    "weekday factors of `{}`: not estimated yet (each weekday needs two days \
                     with a complete week of reports around them, not all zero)",
                    s.name
                );
            } else {
                let f: Vec<String> = f.iter().map(|x| format!("{x:.3}")).collect();
                outln!(
                    "weekday factors of `{}` estimated to {until} (Sunday to Saturday): {}",
                    s.name,
                    f.join(" ")
                );
            }
        }
    }
    outln!("wrote {} and {}", ck.display(), trace_path.display());
    crate::prov_cmd::finish(prov, &args.out, false)
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
