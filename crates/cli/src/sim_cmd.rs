//! `didymos simulate` (synthetic observation streams from a twin, with the
//! truth next to them) and `didymos replay` (send an observation file to a
//! service, a broker or stdout at a chosen pace). See `didymos-simulate`.

use std::path::PathBuf;

use didymos_core::{Date, Error, Located, Result};
use didymos_simulate::replay::{replay, Pacing, ReplayOptions, Target};
use didymos_simulate::{simulate, Format, Record, SimulateOptions};

#[derive(clap::Args)]
pub struct SimulateArgs {
    /// Twin spec (TOML).
    spec: PathBuf,
    /// `normal`, `critical`, or a scenario TOML file (every key is
    /// documented in crates/simulate/presets/normal.toml).
    #[arg(long, default_value = "normal")]
    scenario: String,
    /// Output directory: observations.*, truth.*, events.csv, scenario.toml, prov.json.
    #[arg(long)]
    out: PathBuf,
    /// Random seed (default: the scenario's simulation.seed, else the spec's ensemble.seed).
    #[arg(long)]
    seed: Option<u64>,
    /// csv, ndjson or parquet.
    #[arg(long, default_value = "csv", value_parser = ["csv", "ndjson", "parquet"])]
    format: String,
}

pub fn simulate_cmd(args: &SimulateArgs) -> Result<()> {
    // The epidemic reader would stop at the first flood key with an
    // "unknown key" that hides the real mismatch.
    if crate::flood_cmds::is_flood_spec(&args.spec) {
        return Err(Error::input(
            Located::file(&args.spec),
            "simulate supports epidemic twins; this is a flood twin spec (it has [basin])",
        ));
    }
    let started = std::time::Instant::now();
    let mut prov = crate::prov_cmd::start("simulate");
    let outcome = simulate(&SimulateOptions {
        spec: args.spec.clone(),
        scenario: args.scenario.clone(),
        out: args.out.clone(),
        seed: args.seed,
        format: Format::parse(&args.format)?,
    })?;
    for (role, path) in &outcome.used {
        crate::prov_cmd::used(&mut prov, role, path)?;
    }
    for (role, path) in &outcome.written {
        crate::prov_cmd::generated(&mut prov, role, path)?;
    }
    outln!(
        "{}: {} records ({} published late: revisions and dumps), {} injected events, seed {}, {:.1} s",
        outcome.twin,
        outcome.records,
        outcome.revisions,
        outcome.events,
        outcome.seed,
        started.elapsed().as_secs_f64()
    );
    for (_, path) in &outcome.written {
        outln!("wrote {}", path.display());
    }
    crate::prov_cmd::finish(prov, &args.out, false)
}

#[derive(clap::Args)]
pub struct ReplayArgs {
    /// Observation file in the ingest schema (.csv, .ndjson/.jsonl or .parquet).
    #[arg(required_unless_present = "spec", conflicts_with = "spec")]
    file: Option<PathBuf>,
    /// Instead of FILE: the observation file an epidemic twin spec reads,
    /// in its own columns (each fitted or leading column a stream; rows
    /// with revisions sent issue by issue, with `issued`).
    #[arg(long)]
    spec: Option<PathBuf>,
    /// Send only this stream (with --spec: this column), under its own
    /// name or as NAME, e.g. `--stream new_hospitalized=hosp` (default:
    /// every stream in FILE, every column the spec reads). Repeatable.
    #[arg(long = "stream", value_name = "STREAM[=NAME]")]
    streams: Vec<String>,
    /// Only records that became available on or after this date (UTC):
    /// their `issued`, else their `time` (with --spec: issue date, else
    /// date).
    #[arg(long)]
    from: Option<didymos_core::Date>,
    /// Only records that became available on or before this date (UTC).
    #[arg(long)]
    until: Option<didymos_core::Date>,
    /// stdout, http://127.0.0.1:PORT/v1/twins/NAME or mqtt://127.0.0.1:PORT/TOPIC.
    #[arg(long)]
    to: String,
    /// Days of data per second of wall time.
    #[arg(long, conflicts_with_all = ["original_pacing", "as_fast_as_possible"])]
    speed: Option<f64>,
    /// Real time: the gaps between records as they were.
    #[arg(long, conflicts_with = "as_fast_as_possible")]
    original_pacing: bool,
    /// No pacing (the default when no pacing is given).
    #[arg(long)]
    as_fast_as_possible: bool,
    /// Rate limit, records per second.
    #[arg(long)]
    rate: Option<f64>,
    /// Records per HTTP request or MQTT publish.
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// Stop after this many records.
    #[arg(long)]
    max_messages: Option<u64>,
    /// Stop after this many seconds.
    #[arg(long)]
    max_seconds: Option<f64>,
    /// Bearer token for HTTP.
    #[arg(long)]
    token: Option<String>,
    /// Allow a target that is not 127.0.0.1/localhost.
    #[arg(long)]
    allow_remote: bool,
    /// Sort the file by time in memory instead of refusing an unsorted file.
    #[arg(long)]
    sort: bool,
    /// HTTP retries per batch (5xx, 429, connection errors), with backoff.
    #[arg(long, default_value_t = 5)]
    retries: u32,
}

pub fn replay_cmd(args: &ReplayArgs) -> Result<()> {
    let pacing = match (args.speed, args.original_pacing) {
        (Some(days_per_second), _) => Pacing::DaysPerSecond(days_per_second),
        (None, true) => Pacing::Original,
        (None, false) => Pacing::AsFastAsPossible,
    };
    let opts = ReplayOptions {
        target: Target::parse(&args.to, args.allow_remote)?,
        pacing,
        rate: args.rate,
        batch: args.batch,
        max_messages: args.max_messages,
        max_seconds: args.max_seconds,
        token: args.token.clone(),
        sort: args.sort,
        retries: args.retries,
    };
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    let window = (args.from, args.until);
    if let (Some(from), Some(until)) = window {
        if from > until {
            return Err(Error::input(
                Located::default().field("--from"),
                format!("{from} is after --until {until}: no record can fall in that range"),
            ));
        }
    }
    let everything = args.streams.is_empty() && window == (None, None);
    let report = match (&args.file, &args.spec) {
        (Some(file), _) if everything => replay(file, &opts, &mut lock)?,
        (Some(file), _) => {
            let (records, times) = didymos_simulate::replay::load_ordered(file, opts.sort)?;
            let (records, times) = select(file, records, times, &args.streams, window)?;
            // The selection's own key: another day's records from the same
            // file are not repeats of these.
            let key = didymos_simulate::replay::records_key(&records);
            didymos_simulate::replay::replay_records(&records, &times, &key, &opts, &mut lock)?
        }
        (None, Some(spec)) => {
            let records = crate::replay_spec::records_of_spec(spec, &args.streams, window)?;
            let times = records
                .iter()
                .map(|r| r.available_at().map_err(Error::Other))
                .collect::<Result<Vec<f64>>>()?;
            let key = didymos_simulate::replay::records_key(&records);
            didymos_simulate::replay::replay_records(&records, &times, &key, &opts, &mut lock)?
        }
        (None, None) => {
            return Err(Error::input(
                Located::default().field("FILE"),
                "give an observation file, or --spec with a twin spec",
            ))
        }
    };
    drop(lock);
    // The report goes to stderr: stdout may be the replay's own target.
    eprintln!("{report}");
    if report.failed > 0 {
        return Err(Error::Other(format!(
            "{} of {} records were not delivered",
            report.failed, report.sent
        )));
    }
    Ok(())
}

/// The records of `file` (available at `times`, seconds) that `--stream`
/// names (renamed as asked) and that became available within `window`
/// (whole UTC days, either end open), in their order.
fn select(
    file: &std::path::Path,
    records: Vec<Record>,
    times: Vec<f64>,
    streams: &[String],
    (from, until): (Option<Date>, Option<Date>),
) -> Result<(Vec<Record>, Vec<f64>)> {
    const DAY: f64 = 86_400.0;
    let start = from.map_or(f64::NEG_INFINITY, |d| f64::from(d.days_since_epoch()) * DAY);
    let end = until.map_or(f64::INFINITY, |d| f64::from(d.days_since_epoch() + 1) * DAY);
    let mut renames: Vec<(&str, &str)> = Vec::new();
    for r in streams {
        let (stream, name) = crate::replay_spec::renamed(r, "STREAM")?;
        if !records.iter().any(|x| x.stream == stream) {
            let mut found: Vec<&str> = records.iter().map(|x| x.stream.as_str()).collect();
            found.sort_unstable();
            found.dedup();
            return Err(Error::input(
                Located::default().field("--stream"),
                format!(
                    "no record of {} is of stream `{stream}`; its streams are {}",
                    file.display(),
                    found.join(", ")
                ),
            ));
        }
        renames.push((stream, name));
    }
    let mut out = (Vec::new(), Vec::new());
    for (mut r, t) in records.into_iter().zip(times) {
        if t < start || t >= end {
            continue;
        }
        if !renames.is_empty() {
            let Some(&(_, name)) = renames.iter().find(|(s, _)| *s == r.stream) else {
                continue;
            };
            r.stream = name.to_string();
        }
        out.0.push(r);
        out.1.push(t);
    }
    Ok(out)
}
