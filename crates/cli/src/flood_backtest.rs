//! `didymos backtest` of a flood twin: calibrate on the spec's calibration
//! period, then weekly (or `--every`) origins over the validation period,
//! each forecasting `--horizon` days with the assimilating twin, the open
//! loop and persistence, scored per lead day against observed discharge
//! (`didymos_hydro::backtest`). Forcing after each origin is the observed
//! record: a hindcast with perfect meteorology.

use std::path::Path;
use std::time::Instant;

use didymos_core::{Date, Error, Result};
use didymos_forecast::{calibration, QuantileForecast};
use didymos_hydro::backtest::{backtest as run_backtest, BacktestOptions, Forecaster, LeadScore};
use didymos_store::Column;

use crate::flood_cmds::{calibrated, record_inputs, write_csv};

/// The command line of `didymos backtest`, as the flood twin reads it.
pub struct FloodBacktestArgs<'a> {
    pub spec: &'a Path,
    pub observations: Option<&'a Path>,
    pub from: Date,
    pub to: Date,
    pub every: &'a str,
    pub horizon: usize,
    pub members: Option<usize>,
    pub seed: Option<u64>,
    pub out: &'a Path,
}

/// `--every 7` or `--every 7d`: days between origins (≥ 1).
fn parse_every(every: &str) -> Result<usize> {
    every
        .trim()
        .strip_suffix('d')
        .unwrap_or(every.trim())
        .parse::<usize>()
        .ok()
        .filter(|&e| e >= 1)
        .ok_or_else(|| {
            Error::Other(format!(
                "--every {every}: expected a number of days such as 7 or 7d"
            ))
        })
}

pub fn backtest(a: &FloodBacktestArgs<'_>) -> Result<()> {
    let started = Instant::now();
    if a.observations.is_some() {
        return Err(Error::Other(
            "--observations is not used with a flood spec: the discharge comes from the spec's basin.streamflow".into(),
        ));
    }
    let every = parse_every(a.every)?;
    if a.horizon == 0 {
        return Err(Error::Other("--horizon must be at least 1 day".into()));
    }
    if a.from > a.to {
        return Err(Error::Other(format!(
            "--from {} is after --to {}",
            a.from, a.to
        )));
    }
    if a.members == Some(0) {
        return Err(Error::Other("--members must be at least 1".into()));
    }
    // Check the dates against the spec before the (slower) calibration.
    let spec = didymos_hydro::spec::load_flood_spec(a.spec)?;
    if a.from <= spec.calibration_end {
        return Err(Error::Other(format!(
            "--from {}: origins must come after the calibration period (which ends {}), \
             or the calibrated parameters would have seen the discharge being forecast",
            a.from, spec.calibration_end
        )));
    }
    let room = i64::from(spec.end.days_since(a.to));
    if a.horizon as i64 > room {
        let latest = if a.horizon as i64 <= i64::from(spec.end.days_since(spec.start)) {
            format!(
                "the last origin can be {}",
                spec.end.add_days(-(a.horizon as i32))
            )
        } else {
            "the record is shorter than the horizon".to_string()
        };
        return Err(Error::Other(format!(
            "--to {}: a {}-day forecast must end by the end of the record ({}); {latest}",
            a.to, a.horizon, spec.end
        )));
    }
    let mut prov = crate::prov_cmd::start("backtest");
    let mut twin = calibrated(a.spec)?;
    record_inputs(&mut prov, &twin)?;
    if let Some(m) = a.members {
        twin.spec.assimilation.members = m;
    }
    if let Some(s) = a.seed {
        twin.spec.assimilation.seed = s;
    }
    let s = &twin.spec.assimilation;
    let n_days = a.to.days_since(a.from) as usize;
    let origins: Vec<Date> = (0..=n_days)
        .step_by(every)
        .map(|k| a.from.add_days(k as i32))
        .collect();
    let opts = BacktestOptions::new(origins, a.horizon, s.seed);
    let bt = run_backtest(&twin, &opts)?;
    std::fs::create_dir_all(a.out).map_err(|e| Error::io(a.out, e))?;

    let scores = score_columns(&bt.scores)?;
    let path = a.out.join("scores.csv");
    didymos_store::write_csv_table(&path, &scores)?;
    crate::prov_cmd::generated(&mut prov, "output", &path)?;
    let parquet = a.out.join("scores.parquet");
    didymos_store::write_parquet_table(&parquet, &scores)?;
    crate::prov_cmd::generated(&mut prov, "output", &parquet)?;
    let summary = bt.summary();
    let spath = a.out.join("summary.csv");
    write_csv(
        &spath,
        &[
            "lead_days",
            "forecaster",
            "n",
            "crps",
            "wis",
            "relative_wis",
            "coverage_50",
            "coverage_90",
            "nse_median",
            "kge_median",
        ],
        summary.iter().map(|h| {
            vec![
                h.lead.to_string(),
                h.forecaster.name().to_string(),
                h.n.to_string(),
                h.crps.to_string(),
                h.wis.to_string(),
                h.relative_wis.to_string(),
                h.coverage_50.to_string(),
                h.coverage_90.to_string(),
                h.nse.to_string(),
                h.kge.to_string(),
            ]
        }),
    )?;
    crate::prov_cmd::generated(&mut prov, "summary", &spath)?;
    let cpath = a.out.join("calibration.csv");
    write_csv(
        &cpath,
        &["forecaster", "lead_days", "n", "kind", "level", "observed"],
        calibration_lines(&bt.scores, a.horizon)?.into_iter(),
    )?;
    crate::prov_cmd::generated(&mut prov, "output", &cpath)?;

    outln!(
        "{}: {} origins {}..{} every {every} d ({} not scored: no observation on the origin day), \
         {}-day horizon, {} filter, {} members, {:.1} s",
        twin.spec.name,
        bt.origins.len(),
        a.from,
        a.to,
        bt.skipped.len(),
        a.horizon,
        match s.filter {
            didymos_hydro::assimilate::FilterKind::Particle => "particle",
            didymos_hydro::assimilate::FilterKind::Eakf => "EAKF",
        },
        s.members,
        started.elapsed().as_secs_f64()
    );
    outln!(
        "Hindcast: forcing after each origin is the observed record (perfect meteorology). \
         Discharge in mm/day; relative WIS against persistence (< 1: better)."
    );
    outln!(
        "{:>4}  {:<11} {:>4} {:>8} {:>8} {:>8} {:>6} {:>6} {:>7} {:>7}",
        "lead",
        "forecaster",
        "n",
        "CRPS",
        "WIS",
        "rel WIS",
        "cov50",
        "cov90",
        "NSE",
        "KGE"
    );
    for h in &summary {
        outln!(
            "{:>4}  {:<11} {:>4} {:>8.3} {:>8.3} {:>8.3} {:>6.2} {:>6.2} {:>7.3} {:>7.3}",
            if h.forecaster == Forecaster::Twin {
                h.lead.to_string()
            } else {
                String::new()
            },
            h.forecaster.name(),
            h.n,
            h.crps,
            h.wis,
            h.relative_wis,
            h.coverage_50,
            h.coverage_90,
            h.nse,
            h.kge
        );
    }
    outln!(
        "wrote {}, {}, {} and {}",
        path.display(),
        parquet.display(),
        spath.display(),
        cpath.display()
    );
    crate::prov_cmd::finish(prov, a.out, false)
}

/// `calibration.csv`, as an epidemic backtest writes it: per forecaster and
/// lead, the share of outcomes inside the 50% and 90% ranges (`central`)
/// and below each of the five quantiles (`below`, ties counting half).
fn calibration_lines(scores: &[LeadScore], horizon: usize) -> Result<Vec<Vec<String>>> {
    const LEVELS: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];
    let mut lines = Vec::new();
    for f in Forecaster::ALL {
        for lead in 1..=horizon {
            let forecasts = scores
                .iter()
                .filter(|s| s.forecaster == f && s.lead == lead)
                .map(|s| {
                    let q = vec![s.q05, s.q25, s.median, s.q75, s.q95];
                    Ok((QuantileForecast::new(LEVELS.to_vec(), q)?, s.observed))
                })
                .collect::<Result<Vec<_>>>()?;
            let c = calibration(forecasts.iter().map(|(q, y)| (q, *y)))?;
            let kinds = [("central", &c.central), ("below", &c.below)];
            for (kind, shares) in kinds {
                for &(level, share) in shares.iter() {
                    lines.push(vec![
                        f.name().to_string(),
                        lead.to_string(),
                        c.n.to_string(),
                        kind.to_string(),
                        ((level * 1e9).round() / 1e9).to_string(),
                        share.to_string(),
                    ]);
                }
            }
        }
    }
    Ok(lines)
}

/// The scores as typed columns, written both as `scores.csv` and as
/// `scores.parquet` (dates, INT32 lead, DOUBLE values, BOOLEAN coverage).
fn score_columns(scores: &[LeadScore]) -> Result<Vec<(&'static str, Column)>> {
    let date = |f: fn(&LeadScore) -> Date| Column::Date(scores.iter().map(f).collect());
    let float = |f: fn(&LeadScore) -> f64| Column::Float(scores.iter().map(f).collect());
    let flag = |f: fn(&LeadScore) -> bool| Column::Bool(scores.iter().map(f).collect());
    let leads = scores
        .iter()
        .map(|s| i32::try_from(s.lead))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Other(e.to_string()))?;
    let forecasters = scores
        .iter()
        .map(|s| s.forecaster.name().to_string())
        .collect();
    Ok(vec![
        ("origin", date(|s| s.origin)),
        ("target_date", date(|s| s.target)),
        ("lead_days", Column::Int(leads)),
        ("forecaster", Column::Text(forecasters)),
        ("observed_mm_day", float(|s| s.observed)),
        ("median", float(|s| s.median)),
        ("q05", float(|s| s.q05)),
        ("q25", float(|s| s.q25)),
        ("q75", float(|s| s.q75)),
        ("q95", float(|s| s.q95)),
        ("crps", float(|s| s.crps)),
        ("wis", float(|s| s.wis)),
        ("covered_50", flag(|s| s.covered_50)),
        ("covered_90", flag(|s| s.covered_90)),
    ])
}

#[cfg(test)]
mod tests {
    use super::parse_every;

    #[test]
    fn every_takes_days_with_or_without_d() {
        assert_eq!(parse_every("7d").unwrap(), 7);
        assert_eq!(parse_every("3").unwrap(), 3);
        for bad in ["0", "0d", "-1", "d", "7w", ""] {
            assert!(parse_every(bad).is_err(), "{bad}");
        }
    }
}
