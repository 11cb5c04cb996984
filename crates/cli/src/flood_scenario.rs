//! `didymos scenario` for a flood twin: forcing scenarios ("30% more rain
//! from Monday") branched from an assimilated checkpoint with common random
//! numbers, compared with the baseline, with the chance of exceeding the
//! spec's thresholds in each.

use std::time::Instant;

use didymos_core::{Error, Model, Result};
use didymos_hydro::scenarios::load_flood_scenarios;
use didymos_hydro::twin::FloodTwin;
use didymos_scenario::Posterior;
use didymos_twin::checkpoint;

use crate::scenario_bundle::{Bundle, BundleMeta};
use crate::twin_cmds::{write_outputs, ScenarioArgs};

pub fn scenario(args: &ScenarioArgs) -> Result<()> {
    if args.observations.is_some() {
        return Err(Error::Other(
            "--observations is for epidemic twins; a flood scenario branches from its \
             checkpoint's posterior"
                .into(),
        ));
    }
    let started = Instant::now();
    let mut prov = crate::prov_cmd::start("scenario");
    let ck = args.from_checkpoint.as_ref().ok_or_else(|| {
        Error::Other(
            "flood scenarios branch from a posterior: run `didymos assimilate` first and give --from-checkpoint".into(),
        )
    })?;
    let meta = checkpoint::read_meta(ck)?;
    let mut twin = FloodTwin::load(&args.spec)?;
    let params: Vec<f64> = serde_json::from_value(meta["parameters"].clone())
        .map_err(|e| Error::Other(format!("{}: parameters: {e}", ck.display())))?;
    twin.set_params(&params)?;
    crate::prov_cmd::used(&mut prov, "spec", &twin.spec.spec_path)?;
    crate::prov_cmd::used(&mut prov, "forcing", &twin.spec.forcing)?;
    crate::prov_cmd::used(&mut prov, "checkpoint", ck)?;
    crate::prov_cmd::used(&mut prov, "scenarios", &args.scenarios)?;
    let model = twin.noisy_model()?;
    let (ens, _hist, saved) = checkpoint::load_parts(ck, &model)?;
    let post = Posterior::from_ensemble(&ens, saved.log_w.clone());
    let file = load_flood_scenarios(&args.scenarios, &model)?;
    let cal = *model.calendar();
    let horizon_day = file
        .horizon_after(&model, post.day)
        .map_err(|e| Error::Other(format!("{}: {e}", args.scenarios.display())))?;
    let branch = cal.date_of(post.day);
    let seed = args.seed.unwrap_or(twin.spec.assimilation.seed);
    let outcomes = file.run(&model, &post, horizon_day, seed, args.members)?;
    let discharge = outcomes[0]
        .observable("discharge")
        .ok_or_else(|| Error::Other("the flood model has no discharge observable".into()))?;
    // Unit 0 is the basin (the last unit is the total, the same here).
    let capacity: Vec<(usize, usize, f64)> = twin
        .warning_levels()?
        .iter()
        .map(|(_, q)| (discharge, 0, *q))
        .collect();
    let members = outcomes[0].members();
    let units = model.layout().units.clone();
    write_outputs(
        &args.out,
        file.baseline,
        &capacity,
        &outcomes,
        &cal,
        &mut prov,
        |series, diffs, exceed| Bundle {
            meta: BundleMeta::new(
                twin.spec.name.clone(),
                (branch, cal.date_of(horizon_day)),
                meta["data_cutoff"].as_str().and_then(|s| s.parse().ok()),
                format!("checkpoint {}", ck.display()),
                members,
                seed,
            ),
            first_date: cal.date_of(post.day + 1),
            baseline: file.scenarios[file.baseline].name.clone(),
            units,
            population: Vec::new(),
            series,
            differences: diffs,
            exceedance: exceed,
            forecast: Vec::new(),
        },
    )?;
    outln!(
        "{}: {} scenarios branched on {branch}, {members} members each, to {}, {:.1} s",
        twin.spec.name,
        outcomes.len(),
        cal.date_of(horizon_day),
        started.elapsed().as_secs_f64()
    );
    let b = &outcomes[file.baseline];
    for o in &outcomes {
        let s =
            didymos_scenario::summary::summarise_one(o, discharge, 0, "discharge", &o.units[0])?;
        let peak = s.peak_size;
        outln!(
            "  {}: peak discharge median {:.2} mm/day (90%: {:.2} – {:.2})",
            o.name,
            peak.q50,
            peak.q05,
            peak.q95
        );
        for &(k, u, q) in &capacity {
            let e = didymos_scenario::exceedance(o, k, u, q);
            outln!(
                "    chance of exceeding {q:.2} mm/day: {:.0}%",
                e.within_horizon * 100.0
            );
        }
        if o.name != b.name {
            let d = didymos_scenario::difference(b, o, discharge, 0)?;
            outln!(
                "    runoff against {}: {:+.1} mm over the horizon (90%: {:+.1} to {:+.1})",
                b.name,
                -d.averted.q50,
                -d.averted.q95,
                -d.averted.q05
            );
        }
    }
    outln!("wrote {}", args.out.display());
    crate::prov_cmd::finish(prov, &args.out, false)
}
