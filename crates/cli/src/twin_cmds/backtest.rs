//! `didymos backtest`: rolling-origin forecasts scored against the data
//! and the persistence baseline.

use didymos_store::Column;
use didymos_twin::backtest::{
    backtest_as_issued, can_score, summarise_forecaster, HorizonSummary, Score, ENSEMBLE, LEAD,
    MODEL, TREND,
};

use super::backtest_calibration::{calibration_columns, calibration_rows};
use super::*;

#[derive(clap::Args)]
pub struct BacktestArgs {
    /// Twin spec (epidemic or flood).
    spec: PathBuf,
    /// Observation CSV (default: the spec's assimilation.observations).
    /// Epidemic twins only: a flood twin reads its basin.streamflow.
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
    /// Ensemble members (default: the spec's assimilation.members).
    #[arg(long)]
    members: Option<usize>,
    /// Random seed (default: the spec's ensemble.seed); the same seed
    /// gives the same scores.
    #[arg(long)]
    seed: Option<u64>,
    #[arg(long, default_value = "out/backtest")]
    out: PathBuf,
    /// Also keep every scored forecast's quantiles (all forecasters, the 23
    /// Hub levels) with its truth, as forecasts.csv and forecasts.parquet,
    /// for scoring or combining them elsewhere.
    #[arg(long)]
    keep_forecasts: bool,
}

pub fn backtest_cmd(args: &BacktestArgs) -> Result<()> {
    if crate::flood_cmds::is_flood_spec(&args.spec) {
        if args.keep_forecasts {
            return Err(Error::Other(
                "--keep-forecasts is for epidemic twins; a flood backtest's scores.csv already \
                 holds each forecast's 5/25/50/75/95% quantiles"
                    .into(),
            ));
        }
        return crate::flood_cmds::backtest(&crate::flood_cmds::FloodBacktestArgs {
            spec: &args.spec,
            observations: args.observations.as_deref(),
            from: args.from,
            to: args.to,
            every: &args.every,
            horizon: args.horizon,
            members: args.members,
            seed: args.seed,
            out: &args.out,
        });
    }
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
    let span = twin.calendar().n_days();
    if args.horizon > span {
        return Err(Error::Other(format!(
            "--horizon {}: longer than the twin's whole time range ({span} days)",
            args.horizon
        )));
    }
    let weeks = args.horizon / 7;
    if weeks == 0 {
        return Err(Error::Other(format!(
            "--horizon {}: scores are for whole weeks, so the horizon must be at least 7 days",
            args.horizon
        )));
    }
    if last < first {
        return Err(Error::Other(format!(
            "--from {} is after --to {}",
            args.from, args.to
        )));
    }
    let origins: Vec<usize> = (first..=last).step_by(every).collect();
    let data = twin.streams(None)?;
    // Before the filter runs (minutes on a long record): an origin
    // without the weeks around it that scoring needs would be wasted.
    if !origins.iter().any(|&o| can_score(&data, o)) {
        return Err(nothing_to_score(args, &twin, &data));
    }
    let opts = BacktestOptions {
        origins,
        weeks,
        seed: args.seed.unwrap_or(twin.spec.seed),
        companions: twin.assim.companions.clone(),
    };
    let members = args.members.unwrap_or(twin.assim.members);
    // Each origin forecasts with the measures in force then, held constant:
    // no covariate from after the origin enters a forecast.
    let frozen = |origin: usize| twin.model.with_containments_until(origin).map(Some);
    let leading = twin.leading_streams(None)?;
    // With revisions in the record, each origin sees what had been issued
    // by its end and is scored on the final values.
    let vintages = twin.vintages(&opts.origins)?;
    let bt = backtest_as_issued(
        twin.filter(&data, members, opts.seed)?,
        &data,
        &leading,
        &vintages,
        &opts,
        frozen,
    )?;
    let cal = twin.calendar();
    let scores = score_columns(&bt.scores, |d| cal.date_of(d))?;
    let path = args.out.join("scores.csv");
    didymos_store::write_csv_table(&path, &scores)?;
    crate::prov_cmd::generated(&mut prov, "output", &path)?;
    let parquet = args.out.join("scores.parquet");
    didymos_store::write_parquet_table(&parquet, &scores)?;
    crate::prov_cmd::generated(&mut prov, "output", &parquet)?;
    outln!(
        "{}: {} origins {}..{} every {every} d, {} filter, {} members, {:.1} s",
        twin.spec.name,
        opts.origins.len(),
        args.from,
        args.to,
        twin.assim.filter,
        members,
        started.elapsed().as_secs_f64()
    );
    if twin.has_revisions() {
        let revised = vintages.iter().filter(|v| v.is_some()).count();
        outln!(
            "as issued: the record has revisions; {revised} of {} origins saw values that were \
             revised or first issued later, and were scored on the final values",
            opts.origins.len()
        );
    }
    // One block per stream: WIS is on each stream's own scale, so summing
    // hospitalisations and deaths into one figure would let the larger
    // stream decide it.
    let mut streams: Vec<&str> = Vec::new();
    for s in &bt.scores {
        if !streams.contains(&s.stream.as_str()) {
            streams.push(&s.stream);
        }
    }
    if streams.is_empty() {
        outln!(
            "nothing scored: no origin had, as issued then, the two whole weeks of data up \
             to it that the persistence baseline needs, with a whole week of data after it"
        );
    }
    let rows = summary_rows(&bt.scores, &streams, weeks);
    for stream in &streams {
        let prefix = if streams.len() > 1 {
            format!("{stream} ")
        } else {
            String::new()
        };
        print_summary(&prefix, &rows, stream);
    }
    if args.keep_forecasts {
        let columns = forecast_columns(&bt.scores, |d| cal.date_of(d))?;
        for name in ["forecasts.csv", "forecasts.parquet"] {
            let path = args.out.join(name);
            match name.ends_with(".csv") {
                true => didymos_store::write_csv_table(&path, &columns)?,
                false => didymos_store::write_parquet_table(&path, &columns)?,
            }
            crate::prov_cmd::generated(&mut prov, "output", &path)?;
            outln!("wrote {}", path.display());
        }
    }
    let summary = args.out.join("summary.csv");
    didymos_store::write_csv_table(&summary, &summary_columns(&rows)?)?;
    crate::prov_cmd::generated(&mut prov, "output", &summary)?;
    let calibration = args.out.join("calibration.csv");
    let calibrated = calibration_rows(&bt.scores, &streams, weeks)?;
    didymos_store::write_csv_table(&calibration, &calibration_columns(&calibrated)?)?;
    crate::prov_cmd::generated(&mut prov, "output", &calibration)?;
    outln!(
        "wrote {}, {}, {} and {}",
        path.display(),
        parquet.display(),
        summary.display(),
        calibration.display()
    );
    crate::prov_cmd::finish(prov, &args.out, false)
}

/// The error for origins none of which can be scored, with the range of
/// origins that can.
fn nothing_to_score(args: &BacktestArgs, twin: &LoadedTwin, data: &StreamSet) -> Error {
    let cal = twin.calendar();
    let usable: Vec<usize> = (1..=cal.n_days()).filter(|&o| can_score(data, o)).collect();
    let why = "an origin is scored beside the persistence baseline, which needs the two whole \
               weeks of data up to it, and against a whole week of data after it";
    let obs = twin.observations.display();
    let (Some(&first), Some(&last)) = (usable.first(), usable.last()) else {
        return Error::Other(format!(
            "no origin can be scored: {why}, and no day of {obs} has both"
        ));
    };
    let (first, last) = (cal.date_of(first), cal.date_of(last));
    let hint = if args.to < first {
        format!("the earliest origin that can be scored is {first}")
    } else if args.from > last {
        format!("the latest origin that can be scored is {last}")
    } else {
        format!(
            "origins from {first} to {last} can be, but each of those asked for falls next to \
             a gap in the data"
        )
    };
    Error::Other(format!(
        "no origin from --from {} to --to {} can be scored: {why} (in {obs}); {hint}",
        args.from, args.to
    ))
}

/// One horizon's summary of one forecaster over one stream's locations or
/// its total.
struct SummaryRow<'a> {
    stream: &'a str,
    /// `locations` or `total`.
    scope: &'static str,
    forecaster: &'static str,
    h: HorizonSummary,
}

/// Every forecaster's summary, computed once for the printed tables and
/// `summary.csv`: per stream, scope, forecaster and horizon.
fn summary_rows<'a>(scores: &[Score], streams: &[&'a str], weeks: usize) -> Vec<SummaryRow<'a>> {
    let mut rows = Vec::new();
    for &stream in streams {
        for (scope, total) in [("locations", false), ("total", true)] {
            let keep = |s: &Score| s.stream == stream && (s.location == "total") == total;
            for forecaster in [MODEL, TREND, LEAD, ENSEMBLE] {
                for h in summarise_forecaster(scores, weeks, forecaster, keep) {
                    rows.push(SummaryRow {
                        stream,
                        scope,
                        forecaster,
                        h,
                    });
                }
            }
        }
    }
    rows
}

/// The horizons of forecaster `who` for `stream` and `scope`.
fn horizons<'r>(
    rows: &'r [SummaryRow],
    stream: &'r str,
    scope: &'r str,
    who: &'static str,
) -> impl Iterator<Item = &'r HorizonSummary> {
    rows.iter()
        .filter(move |r| r.stream == stream && r.scope == scope && r.forecaster == who)
        .map(|r| &r.h)
}

fn print_summary(prefix: &str, rows: &[SummaryRow], stream: &str) {
    for label in ["locations", "total"] {
        outln!("{prefix}{label}:");
        outln!(
            "{:>7} {:>6} {:>10} {:>10} {:>8} {:>8} {:>8} {:>9} {:>7}",
            "weeks",
            "n",
            "WIS",
            "baseline",
            "rel WIS",
            "cov50",
            "cov90",
            "rel CRPS",
            "bias"
        );
        let of = |who: &'static str| horizons(rows, stream, label, who);
        for h in of(MODEL) {
            if h.n == 0 {
                // Scores of nothing would print as −0.0 and NaN.
                outln!(
                    "{:>7} {:>6}   nothing scored: no target week ends within the data",
                    h.weeks_ahead,
                    0
                );
                continue;
            }
            let relative_crps = h
                .relative_crps
                .map_or_else(|| "—".to_string(), |r| format!("{r:.3}"));
            outln!(
                "{:>7} {:>6} {:>10.1} {:>10.1} {:>8.3} {:>8.2} {:>8.2} {:>9} {:>7.2}",
                h.weeks_ahead,
                h.n,
                h.model_wis,
                h.baseline_wis,
                h.relative_wis,
                h.coverage_50,
                h.coverage_90,
                relative_crps,
                shown_bias(h.bias)
            );
        }
        // The companions, from the same data (relative WIS against the
        // same baseline, then 90% coverage and bias), one line each;
        // quantiles only, so no CRPS.
        for (who, what) in [
            (TREND, "trend (damped, log scale)"),
            (LEAD, "lead (ratio to leading column)"),
            (ENSEMBLE, "ensemble (twin + companions)"),
        ] {
            if of(who).all(|h| h.n == 0) {
                continue;
            }
            let cells: Vec<String> = of(who)
                .map(|h| match h.n {
                    0 => "—".to_string(),
                    _ => format!(
                        "{:.3} ({:.2}, {:+.2})",
                        h.relative_wis,
                        h.coverage_90,
                        shown_bias(h.bias)
                    ),
                })
                .collect();
            outln!(
                "  {what:<27} rel WIS (cov90, bias) by week: {}",
                cells.join("  ")
            );
        }
    }
}

/// A bias as printed to two decimals: one that rounds to zero is 0, not
/// −0.00 (the terminal table and `didymos report`'s).
pub(crate) fn shown_bias(b: f64) -> f64 {
    if b.abs() < 0.005 {
        0.0
    } else {
        b
    }
}

/// The summary rows with forecasts (n > 0) as columns: the forecaster's
/// mean WIS, the baseline's over the same forecasts, relative WIS,
/// coverage, mean bias, and the same for the CRPS where the forecaster has
/// samples (empty otherwise).
fn summary_columns(rows: &[SummaryRow]) -> Result<Vec<(&'static str, Column)>> {
    let rows: Vec<&SummaryRow> = rows.iter().filter(|r| r.h.n > 0).collect();
    let text = |f: fn(&SummaryRow) -> String| Column::Text(rows.iter().map(|r| f(r)).collect());
    let float =
        |f: fn(&HorizonSummary) -> f64| Column::Float(rows.iter().map(|r| f(&r.h)).collect());
    let maybe = |f: fn(&HorizonSummary) -> Option<f64>| {
        Column::MaybeFloat(rows.iter().map(|r| f(&r.h)).collect())
    };
    let int = |f: fn(&HorizonSummary) -> usize| -> Result<Column> {
        rows.iter()
            .map(|r| i32::try_from(f(&r.h)))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map(Column::Int)
            .map_err(|e| Error::Other(e.to_string()))
    };
    Ok(vec![
        ("stream", text(|r| r.stream.to_string())),
        ("scope", text(|r| r.scope.to_string())),
        ("forecaster", text(|r| r.forecaster.to_string())),
        ("weeks_ahead", int(|h| h.weeks_ahead)?),
        ("n", int(|h| h.n)?),
        ("wis", float(|h| h.model_wis)),
        ("baseline_wis", float(|h| h.baseline_wis)),
        ("relative_wis", float(|h| h.relative_wis)),
        ("coverage_50", float(|h| h.coverage_50)),
        ("coverage_90", float(|h| h.coverage_90)),
        ("bias", float(|h| h.bias)),
        ("crps", maybe(|h| h.crps)),
        ("baseline_crps", maybe(|h| h.baseline_crps)),
        ("relative_crps", maybe(|h| h.relative_crps)),
    ])
}

/// The scores as typed columns, written both as `scores.csv` and as
/// `scores.parquet` (origin a DATE, weeks ahead an INT32, truth/median/WIS/
/// bias DOUBLE, coverage BOOLEAN, CRPS an optional DOUBLE: null for the
/// forecasters without samples).
fn score_columns(
    scores: &[Score],
    date_of: impl Fn(usize) -> Date,
) -> Result<Vec<(&'static str, Column)>> {
    let text = |f: fn(&Score) -> String| Column::Text(scores.iter().map(f).collect());
    let float = |f: fn(&Score) -> f64| Column::Float(scores.iter().map(f).collect());
    let flag = |f: fn(&Score) -> bool| Column::Bool(scores.iter().map(f).collect());
    let weeks = scores
        .iter()
        .map(|s| i32::try_from(s.weeks_ahead))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Other(e.to_string()))?;
    Ok(vec![
        (
            "origin",
            Column::Date(scores.iter().map(|s| date_of(s.origin)).collect()),
        ),
        ("stream", text(|s| s.stream.clone())),
        ("location", text(|s| s.location.clone())),
        ("weeks_ahead", Column::Int(weeks)),
        ("forecaster", text(|s| s.forecaster.to_string())),
        ("truth", float(|s| s.truth)),
        ("median", float(|s| s.median)),
        ("wis", float(|s| s.wis)),
        ("covered_50", flag(|s| s.covered_50)),
        ("covered_90", flag(|s| s.covered_90)),
        ("bias", float(|s| s.bias)),
        (
            "crps",
            Column::MaybeFloat(scores.iter().map(|s| s.crps).collect()),
        ),
    ])
}

/// Every scored forecast's quantiles, one row per level: origin, stream,
/// location, weeks ahead, forecaster, quantile level, value and the truth
/// it was scored against.
fn forecast_columns(
    scores: &[Score],
    date_of: impl Fn(usize) -> Date,
) -> Result<Vec<(&'static str, Column)>> {
    let rows: Vec<(&Score, f64, f64)> = scores
        .iter()
        .flat_map(|s| {
            let q = &s.quantiles;
            q.levels()
                .iter()
                .zip(q.values())
                .map(move |(l, v)| (s, *l, *v))
        })
        .collect();
    let text = |f: fn(&Score) -> String| Column::Text(rows.iter().map(|r| f(r.0)).collect());
    let weeks = rows
        .iter()
        .map(|r| i32::try_from(r.0.weeks_ahead))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Other(e.to_string()))?;
    Ok(vec![
        (
            "origin",
            Column::Date(rows.iter().map(|r| date_of(r.0.origin)).collect()),
        ),
        ("stream", text(|s| s.stream.clone())),
        ("location", text(|s| s.location.clone())),
        ("weeks_ahead", Column::Int(weeks)),
        ("forecaster", text(|s| s.forecaster.to_string())),
        (
            "quantile",
            Column::Float(rows.iter().map(|r| r.1).collect()),
        ),
        ("value", Column::Float(rows.iter().map(|r| r.2).collect())),
        (
            "truth",
            Column::Float(rows.iter().map(|r| r.0.truth).collect()),
        ),
    ])
}
