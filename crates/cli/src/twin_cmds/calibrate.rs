//! `didymos calibrate`: maximum-likelihood parameters of the MMCA twin by
//! iterated filtering (IF2, `didymos_assim::if2`), the way pomp's `mif2`
//! is used: a swarm of parameter vectors takes random-walk steps while a
//! particle filter weighs it against the data, with the steps cooling
//! over the iterations; the swarm's mean is the estimate. IF2 estimates
//! constants, so the spec's random walks on the estimated parameters are
//! off here (`constant_model`). The log-likelihood is then measured at the
//! start and at the estimate with the same filter and no perturbation, so
//! the two are comparable.

use std::sync::Arc;

use didymos_assim::if2::swarm_mean;
use didymos_assim::{if2_with, If2Options, If2Result, ParticleFilter, PfOptions};
use didymos_core::{Ensemble, Prior};
use didymos_epi::filtering::mmca_blocks;

use super::*;

/// Per-day random-walk sd on the estimation scale (log or logit) when the
/// command line gives none: over 100 days √100 × 0.02 = 0.2, a 20% move
/// in the first iteration, which cools from there.
const DEFAULT_RW_SD: f64 = 0.02;

#[derive(clap::Args)]
pub struct CalibrateArgs {
    /// Twin spec with an `[assimilation]` section.
    spec: PathBuf,
    /// Parameters to estimate, comma-separated: NAME or NAME=SD, SD the
    /// per-day random-walk sd on the estimation scale (default 0.02); a
    /// NAME ending in `*` takes every parameter it begins, e.g.
    /// `beta_scale.*` (every province's multiplier) or `beta_scale.28`.
    /// Unless the spec's filter is "pf", IF2 filters by blocks (each
    /// province by its own data), so only parameters of one province can
    /// be estimated.
    #[arg(long, value_delimiter = ',', required = true)]
    estimate: Vec<String>,
    /// Observation CSV (default: assimilation.observations).
    #[arg(long)]
    observations: Option<PathBuf>,
    /// Fit data up to this date (default: the last date with data).
    #[arg(long)]
    until: Option<Date>,
    /// IF2 iterations.
    #[arg(long, default_value_t = 30)]
    iterations: usize,
    /// Particles in the swarm.
    #[arg(long, default_value_t = 300)]
    particles: usize,
    /// Share of the random-walk sd left after 50 iterations.
    #[arg(long, default_value_t = 0.5)]
    cooling: f64,
    #[arg(long)]
    seed: Option<u64>,
    #[arg(long, default_value = "out/calibrate")]
    out: PathBuf,
}

/// One `--estimate` item: a parameter's index, name and random-walk sd.
fn parse_estimates(items: &[String], model: &MmcaModel) -> Result<Vec<(usize, String, f64)>> {
    let space = model.parameters();
    let bad = |item: &str, msg: String| {
        Error::input(
            didymos_core::Located::default().field(format!("--estimate {item}")),
            msg,
        )
    };
    let mut out: Vec<(usize, String, f64)> = Vec::new();
    for item in items {
        let (name, sd) = match item.split_once('=') {
            None => (item.trim(), DEFAULT_RW_SD),
            Some((name, sd)) => {
                let sd = sd
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x > 0.0)
                    .ok_or_else(|| {
                        bad(
                            item,
                            format!("expected NAME=SD with SD a number > 0, found `{sd}`"),
                        )
                    })?;
                (name.trim(), sd)
            }
        };
        // `beta_scale.*`: every parameter with that prefix.
        let matched = space.matching(name);
        if matched.is_empty() {
            return Err(bad(item, space.unmatched_message(name)));
        }
        for k in matched {
            let name = &space.defs()[k].name;
            if out.iter().any(|e| e.0 == k) {
                return Err(bad(item, format!("`{name}` is given twice")));
            }
            out.push((k, name.clone(), sd));
        }
    }
    Ok(out)
}

pub fn calibrate_cmd(args: &CalibrateArgs) -> Result<()> {
    if crate::flood_cmds::is_flood_spec(&args.spec) {
        return Err(Error::Other(format!(
            "{}: a flood twin is calibrated by `didymos run` (differential evolution on KGE over \
             the spec's [calibration] period); `calibrate` runs IF2 on epidemic twins",
            args.spec.display()
        )));
    }
    if args.iterations == 0 || args.particles < 2 {
        return Err(Error::Other(format!(
            "--iterations must be ≥ 1 and --particles ≥ 2 (got {} and {})",
            args.iterations, args.particles
        )));
    }
    if !(args.cooling > 0.0 && args.cooling <= 1.0) {
        return Err(Error::Other(format!(
            "--cooling must be in (0, 1], got {}",
            args.cooling
        )));
    }
    let started = Instant::now();
    let mut prov = crate::prov_cmd::start("calibrate");
    let twin = load_twin(&args.spec, args.observations.as_deref())?;
    record_twin_inputs(&mut prov, &twin)?;
    let estimates = parse_estimates(&args.estimate, &twin.model)?;
    let (model, walks_off) = constant_model(&twin.model, &estimates)?;
    let until = match args.until {
        Some(d) => d,
        None => twin.last_data_date()?,
    };
    let last = twin.day_of(until, "--until")?;
    let data = twin.streams(Some(until))?;
    let seed = args.seed.unwrap_or(twin.spec.seed);
    // A spec's fixed priors (such as a previous calibration's priors.toml)
    // are where its members start, so IF2 starts there too.
    let start: Vec<f64> = model
        .parameters()
        .defs()
        .iter()
        .map(|d| match d.prior {
            Some(Prior::Fixed { value }) => value,
            _ => d.value,
        })
        .collect();
    // Whole members degenerate on many provinces; blocks keep IF2 working.
    let blocks = match twin.assim.filter.as_str() {
        "pf" => None,
        _ => Some(Arc::new(mmca_blocks(&model, &data)?)),
    };
    if let Some(b) = &blocks {
        if let Some((_, name, _)) = estimates.iter().find(|e| b.param_owner(e.0).is_none()) {
            return Err(Error::input(
                didymos_core::Located::default().field(format!("--estimate {name}")),
                format!(
                    "`{name}` is not a parameter of one observed province, and IF2 weighs each \
                     province by its own data here (the spec's filter is \"{}\"), so no \
                     province's data would select it: estimate the provinces' multipliers \
                     (`beta_scale.*`), or set filter = \"pf\" in the spec",
                    twin.assim.filter
                ),
            ));
        }
    }
    let opts = If2Options {
        iterations: args.iterations,
        particles: args.particles,
        rw_sd: estimates.iter().map(|e| (e.1.clone(), e.2)).collect(),
        ivp_sd: Vec::new(),
        cooling_fraction_50: args.cooling,
        blocks: blocks.clone(),
        ..If2Options::default()
    };
    let defs = model.parameters().defs();
    // Per iteration: its log-likelihood and the swarm's mean of each
    // estimated parameter (on the estimation scale, as IF2 averages).
    let mut trace = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["iteration".to_string(), "log_lik".to_string()];
    header.extend(estimates.iter().map(|e| e.1.clone()));
    trace
        .write_record(&header)
        .map_err(|e| Error::Other(e.to_string()))?;
    let bar = crate::run::progress_bar(args.iterations as u64, false);
    let mut rows: Vec<Vec<String>> = Vec::new();
    let result = if2_with(&model, &data, &start, last, seed, &opts, |m, ll, swarm| {
        let mut row = vec![(m + 1).to_string(), ll.to_string()];
        for &(k, _, _) in &estimates {
            let xs: Vec<f64> = swarm.iter().map(|p| p[k]).collect();
            row.push(swarm_mean(&defs[k], &xs).to_string());
        }
        rows.push(row);
        bar.set_position(m as u64 + 1);
    })?;
    bar.finish_and_clear();
    for row in &rows {
        trace
            .write_record(row)
            .map_err(|e| Error::Other(e.to_string()))?;
    }
    let blocks_used = blocks.is_some();
    let pf_opts = PfOptions {
        resample_threshold: twin.assim.resample_threshold,
        blocks,
        ..PfOptions::default()
    };
    let yardstick = |params: &[f64]| -> Result<f64> {
        let ens = Ensemble::with_params(&model, vec![params.to_vec(); args.particles], seed)?;
        let mut pf = ParticleFilter::from_ensemble(ens, &data, pf_opts.clone())?;
        pf.advance_to(last)?;
        Ok(pf.log_lik())
    };
    let (ll_start, ll_end) = (yardstick(&start)?, yardstick(&result.estimate)?);

    let (table, priors, lines) = estimate_outputs(&estimates, &start, &result, &args.spec, until)?;
    std::fs::create_dir_all(&args.out).map_err(|e| Error::io(&args.out, e))?;
    let trace_path = args.out.join("if2.csv");
    let table_path = args.out.join("estimate.csv");
    write_csv(&trace_path, trace)?;
    write_csv(&table_path, table)?;
    let priors_path = args.out.join("priors.toml");
    didymos_core::fs::write_atomic(&priors_path, priors.as_bytes())?;
    crate::prov_cmd::generated(&mut prov, "output", &priors_path)?;
    crate::prov_cmd::generated(&mut prov, "output", &trace_path)?;
    crate::prov_cmd::generated(&mut prov, "output", &table_path)?;
    outln!(
        "{}: IF2, {} iterations × {} particles, data up to {until}, {:.1} s",
        twin.spec.name,
        args.iterations,
        args.particles,
        started.elapsed().as_secs_f64()
    );
    for l in lines {
        outln!("{l}");
    }
    if let Some(w) = walks_off {
        outln!("  (IF2 estimates constants: the spec's {w} was off here)");
    }
    outln!(
        "particle-filter log-likelihood ({} particles, parameters fixed): {ll_start:.1} at the \
         start, {ll_end:.1} at the estimate",
        args.particles
    );
    if ll_end < ll_start {
        eprintln!(
            "warning: the estimate fits the data worse than the start; IF2 has not found \
             better values. Try more --iterations or --particles, smaller random-walk sds \
             (NAME=SD){}",
            if blocks_used {
                ""
            } else {
                ", or filter = \"block-pf\" for many places"
            }
        );
    }
    outln!(
        "wrote {}, {} and {} (the estimates as [priors] for the spec)",
        table_path.display(),
        trace_path.display(),
        priors_path.display()
    );
    crate::prov_cmd::finish(prov, &args.out, false)
}

/// The estimates as estimate.csv (with the final swarm's 90% range), as
/// priors.toml, and as lines for the terminal.
fn estimate_outputs(
    estimates: &[(usize, String, f64)],
    start: &[f64],
    result: &If2Result,
    spec: &Path,
    until: Date,
) -> Result<(csv::Writer<Vec<u8>>, String, Vec<String>)> {
    let mut table = csv::Writer::from_writer(Vec::new());
    table
        .write_record(["parameter", "start", "estimate", "swarm_q05", "swarm_q95"])
        .map_err(|e| Error::Other(e.to_string()))?;
    // Fixed priors: each member's value on day 1 (walks, if any, move on
    // from there).
    let mut priors = format!(
        "# IF2 estimates of `didymos calibrate` on {}, data up to {until}.\n\
         # Copy the lines below [priors] into the spec's [priors] section to\n\
         # start the twin from them.\n[priors]\n",
        spec.display()
    );
    let mut lines = Vec::new();
    for &(k, ref name, _) in estimates {
        priors.push_str(&format!(
            "\"{name}\" = {{ dist = \"fixed\", value = {} }}\n",
            result.estimate[k]
        ));
        let mut xs: Vec<f64> = result.swarm.iter().map(|p| p[k]).collect();
        let q = quantiles(&mut xs, &[0.05, 0.95])?;
        table
            .write_record([
                name.clone(),
                start[k].to_string(),
                result.estimate[k].to_string(),
                q[0].to_string(),
                q[1].to_string(),
            ])
            .map_err(|e| Error::Other(e.to_string()))?;
        lines.push(format!(
            "  {name}: {:.4} → {:.4} (final swarm 90%: {:.4} – {:.4})",
            start[k], result.estimate[k], q[0], q[1]
        ));
    }
    Ok((table, priors, lines))
}

/// The twin's model with the random walks (and pooling) on the estimated
/// parameters switched off, and what was switched off. IF2 estimates
/// constants: a parameter the model itself moves every day has no single
/// value to estimate, and the swarm would end on its value on the last
/// day, not on a value that fits the whole period (measured: to
/// 2020-08-31 such an "estimate" fitted worse than the start).
fn constant_model(
    model: &MmcaModel,
    estimates: &[(usize, String, f64)],
) -> Result<(MmcaModel, Option<String>)> {
    let mut noise = model.process_noise();
    let mut off = Vec::new();
    if estimates.iter().any(|e| e.1 == "beta_scale") && noise.log_beta_sd > 0.0 {
        off.push(format!("log_beta_sd = {}", noise.log_beta_sd));
        noise.log_beta_sd = 0.0;
    }
    if estimates.iter().any(|e| e.1.starts_with("beta_scale.")) {
        if noise.log_beta_patch_sd > 0.0 {
            off.push(format!("log_beta_patch_sd = {}", noise.log_beta_patch_sd));
            noise.log_beta_patch_sd = 0.0;
        }
        if noise.log_beta_pooling > 0.0 {
            off.push(format!("log_beta_pooling = {}", noise.log_beta_pooling));
            noise.log_beta_pooling = 0.0;
        }
    }
    let walks_off = (!off.is_empty()).then(|| off.join(", "));
    Ok((model.clone().with_process_noise(noise)?, walks_off))
}
