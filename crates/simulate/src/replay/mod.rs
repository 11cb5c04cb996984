//! Replay: send an observation file to a target in timestamp order.
//!
//! Targets: `stdout` (NDJSON lines), `http://127.0.0.1:PORT/v1/twins/NAME`
//! (POST `/observations`, see [`http`]) and `mqtt://127.0.0.1:PORT/topic`
//! (see [`mqtt`]). Hosts other than 127.0.0.1, localhost and ::1 are refused
//! unless `allow_remote` is set. Records are sent in consecutive batches of
//! `batch` records (a batch leaves when its last record is due); the rate
//! limit counts records, not batches. The replay stops after
//! `max_messages` records or `max_seconds` of wall time, whichever comes
//! first, and reports what it achieved.

pub mod http;
pub mod mqtt;
pub mod pacing;
pub mod stdout;

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use didymos_core::{Error, Located, Result};
use sha2::{Digest, Sha256};

pub use pacing::{Pacing, RateLimiter};

use crate::record::Record;
use crate::writer::{read_records, Format};

/// What one send achieved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SendOutcome {
    pub accepted: u64,
    pub duplicates: u64,
    pub failed: u64,
    pub retries: u32,
    pub error: Option<String>,
}

impl SendOutcome {
    pub fn accepted(n: usize) -> Self {
        SendOutcome {
            accepted: n as u64,
            ..Default::default()
        }
    }
    pub fn failed(n: usize, error: String) -> Self {
        SendOutcome {
            failed: n as u64,
            error: Some(error),
            ..Default::default()
        }
    }
}

/// Where records go.
pub trait Sink {
    /// Send one batch; `index` is its 0-based position in the replay.
    fn send(&mut self, batch: &[Record], index: u64) -> SendOutcome;
    /// Flush and close; an error when something sent was not delivered.
    fn finish(&mut self) -> std::result::Result<(), String>;
    /// For targets that confirm later (MQTT): records confirmed so far.
    fn acknowledged_records(&self) -> Option<u64> {
        None
    }
}

/// A parsed `--to`.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Stdout,
    Http {
        url: String,
    },
    Mqtt {
        host: String,
        port: u16,
        topic: String,
    },
}

fn target_error(msg: String) -> Error {
    Error::input(Located::default().field("--to"), msg)
}

impl Target {
    pub fn parse(to: &str, allow_remote: bool) -> Result<Target> {
        if to == "stdout" || to == "-" {
            return Ok(Target::Stdout);
        }
        let (scheme, rest) = to.split_once("://").ok_or_else(|| {
            target_error(format!(
                "`{to}`: expected stdout, http://HOST:PORT/v1/twins/NAME or mqtt://HOST:PORT/TOPIC"
            ))
        })?;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.is_empty() && !p.contains(']') => {
                let port = p
                    .parse::<u16>()
                    .map_err(|_| target_error(format!("`{to}`: bad port `{p}`")))?;
                (h, Some(port))
            }
            _ => (authority, None),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(target_error(format!("`{to}`: no host")));
        }
        if !allow_remote && !matches!(host, "127.0.0.1" | "localhost" | "::1") {
            return Err(target_error(format!(
                "`{to}`: host `{host}` is not local (127.0.0.1, localhost or ::1); pass --allow-remote to send there"
            )));
        }
        match scheme {
            "http" => Ok(Target::Http {
                url: to.to_string(),
            }),
            "mqtt" => {
                if path.is_empty() {
                    return Err(target_error(format!(
                        "`{to}`: no topic (mqtt://HOST:PORT/TOPIC)"
                    )));
                }
                Ok(Target::Mqtt {
                    host: host.to_string(),
                    port: port.unwrap_or(1883),
                    topic: path.to_string(),
                })
            }
            "https" | "mqtts" => Err(target_error(format!(
                "`{to}`: TLS is not supported (targets are local)"
            ))),
            other => Err(target_error(format!(
                "`{to}`: unknown scheme `{other}` (http, mqtt or stdout)"
            ))),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ReplayOptions {
    pub target: Target,
    pub pacing: Pacing,
    /// Records per second, if limited.
    pub rate: Option<f64>,
    /// Records per message (HTTP request, MQTT publish).
    pub batch: usize,
    pub max_messages: Option<u64>,
    pub max_seconds: Option<f64>,
    pub token: Option<String>,
    /// Sort the file in memory instead of refusing an unsorted one.
    pub sort: bool,
    /// HTTP retries per batch.
    pub retries: u32,
}

/// What a replay achieved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplayReport {
    pub records_in_file: usize,
    /// Records handed to the target.
    pub sent: u64,
    pub batches: u64,
    pub accepted: u64,
    pub duplicates: u64,
    pub failed: u64,
    pub retries: u64,
    pub elapsed_s: f64,
    /// sent / elapsed.
    pub achieved_rate: f64,
    /// Why the replay ended early, if it did.
    pub stopped: Option<String>,
    pub first_error: Option<String>,
}

impl fmt::Display for ReplayReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "replayed {} of {} records in {} batches in {:.3} s: {:.1} records/s; accepted {}, duplicates {}, failed {}, retries {}",
            self.sent, self.records_in_file, self.batches, self.elapsed_s, self.achieved_rate,
            self.accepted, self.duplicates, self.failed, self.retries
        )?;
        if let Some(s) = &self.stopped {
            write!(f, "; stopped: {s}")?;
        }
        if let Some(e) = &self.first_error {
            write!(f, "; first error: {e}")?;
        }
        Ok(())
    }
}

/// The first 16 hex digits of the file's SHA-256: the stem of every
/// Idempotency-Key of a replay of this file.
pub fn file_key(path: &Path) -> Result<String> {
    let bytes = didymos_core::fs::read_bytes(path, didymos_core::fs::DATA_MAX_BYTES)?;
    let digest = Sha256::digest(&bytes);
    Ok(digest.iter().take(8).map(|b| format!("{b:02x}")).collect())
}

/// Load `path` and check (or, with `sort`, establish) timestamp order.
/// Returns the records and their availability times (seconds).
pub fn load_ordered(path: &Path, sort: bool) -> Result<(Vec<Record>, Vec<f64>)> {
    let records = read_records(path)?;
    let mut keyed: Vec<(f64, Record)> = Vec::with_capacity(records.len());
    for r in records {
        // read_records validated every timestamp.
        let t = r.available_at().map_err(Error::Other)?;
        keyed.push((t, r));
    }
    if sort {
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
    } else if let Some(i) = (1..keyed.len()).find(|&i| keyed[i].0 < keyed[i - 1].0) {
        let line = match Format::from_path(path)? {
            Format::Csv => Some(i as u64 + 2),
            Format::Ndjson => Some(i as u64 + 1),
            Format::Parquet => None,
        };
        let mut at = Located::file(path).field(if keyed[i].1.issued.is_some() {
            "issued"
        } else {
            "time"
        });
        at.line = line;
        let (r, p) = (&keyed[i].1, &keyed[i - 1].1);
        return Err(Error::input(
            at,
            format!(
                "record {} ({}) is earlier than the record before it ({}): the file is not in timestamp order; sort it or pass --sort",
                i + 1,
                r.issued.as_ref().unwrap_or(&r.time),
                p.issued.as_ref().unwrap_or(&p.time)
            ),
        ));
    }
    Ok(keyed.into_iter().unzip::<_, _, Vec<f64>, Vec<Record>>()).map(|(t, r)| (r, t))
}

/// Replay `path` to the target of `opts`; stdout records go to `stdout`.
pub fn replay(path: &Path, opts: &ReplayOptions, stdout: &mut dyn Write) -> Result<ReplayReport> {
    check_options(opts)?;
    let (records, times) = load_ordered(path, opts.sort)?;
    replay_records(&records, &times, &file_key(path)?, opts, stdout)
}

/// The first 16 hex digits of the SHA-256 of `records` as NDJSON: the
/// stem of the Idempotency-Keys of a replay of records built in memory
/// (the same records give the same keys, so a repeated replay is
/// recognised as such).
pub fn records_key(records: &[Record]) -> String {
    let mut h = Sha256::new();
    for r in records {
        h.update(r.to_wire_json().as_bytes());
        h.update(b"\n");
    }
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Replay `records`, in order, available at `times` (seconds), to the
/// target of `opts`; `key_stem` names this replay's Idempotency-Keys.
pub fn replay_records(
    records: &[Record],
    times: &[f64],
    key_stem: &str,
    opts: &ReplayOptions,
    stdout: &mut dyn Write,
) -> Result<ReplayReport> {
    check_options(opts)?;
    if records.len() != times.len() {
        return Err(Error::Other(format!(
            "{} records with {} times",
            records.len(),
            times.len()
        )));
    }
    let paced = opts.pacing.wall_per_data_second().is_some() || opts.rate.is_some();
    let key_prefix = format!("{key_stem}-b{}", opts.batch);
    let mut sink: Box<dyn Sink + '_> = match &opts.target {
        Target::Stdout => Box::new(stdout::LineSink::new(stdout, paced)),
        Target::Http { url } => Box::new(http::HttpSink::new(
            url,
            opts.token.clone(),
            key_prefix,
            opts.retries,
        )),
        Target::Mqtt { host, port, topic } => Box::new(mqtt::MqttSink::new(host, *port, topic)),
    };
    run(records, times, opts, sink.as_mut())
}

fn check_options(opts: &ReplayOptions) -> Result<()> {
    if opts.batch == 0 {
        return Err(Error::input(
            Located::default().field("--batch"),
            "must be ≥ 1",
        ));
    }
    if let Some(r) = opts.rate {
        if !(r.is_finite() && r > 0.0) {
            return Err(Error::input(
                Located::default().field("--rate"),
                format!("must be > 0, got {r}"),
            ));
        }
    }
    if let Some(s) = opts.max_seconds {
        if s.is_nan() || s < 0.0 {
            return Err(Error::input(
                Located::default().field("--max-seconds"),
                format!("must be ≥ 0, got {s}"),
            ));
        }
    }
    if let Pacing::DaysPerSecond(d) = opts.pacing {
        if !(d.is_finite() && d > 0.0) {
            return Err(Error::input(
                Located::default().field("--speed"),
                format!("must be > 0, got {d}"),
            ));
        }
    }
    Ok(())
}

/// The send loop, for any sink.
pub fn run(
    records: &[Record],
    times: &[f64],
    opts: &ReplayOptions,
    sink: &mut dyn Sink,
) -> Result<ReplayReport> {
    let mut report = ReplayReport {
        records_in_file: records.len(),
        ..Default::default()
    };
    let limit = opts
        .max_messages
        .map_or(records.len(), |m| (m as usize).min(records.len()));
    let start = Instant::now();
    let deadline = opts.max_seconds.map(|s| pacing::after(start, s));
    // Catch-up allowance: 50 ms worth of records (at least 4 batches), so
    // a late wake-up on a busy machine does not lower the achieved rate,
    // while no 50 ms window ever sees more than twice the rate.
    let mut limiter = opts
        .rate
        .map(|r| RateLimiter::new(r, (r * 0.05).max(opts.batch as f64 * 4.0)));
    let wall_per_data = opts.pacing.wall_per_data_second();
    let mut i = 0;
    let mut index = 0u64;
    while i < limit {
        let end = (i + opts.batch).min(limit);
        let batch = &records[i..end];
        if let Some(w) = wall_per_data {
            let due = pacing::after(start, (times[end - 1] - times[0]) * w);
            if !pacing::wait_until(due, deadline) {
                report.stopped = Some("time limit (--max-seconds)".into());
                break;
            }
        }
        if let Some(l) = limiter.as_mut() {
            if !pacing::wait_until(l.reserve(batch.len()), deadline) {
                report.stopped = Some("time limit (--max-seconds)".into());
                break;
            }
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            report.stopped = Some("time limit (--max-seconds)".into());
            break;
        }
        let out = sink.send(batch, index);
        report.sent += batch.len() as u64;
        report.batches += 1;
        report.accepted += out.accepted;
        report.duplicates += out.duplicates;
        report.failed += out.failed;
        report.retries += u64::from(out.retries);
        if report.first_error.is_none() {
            report.first_error = out.error;
        }
        i = end;
        index += 1;
    }
    if report.stopped.is_none() && limit < records.len() {
        report.stopped = Some(format!("message limit (--max-messages {limit})"));
    }
    // Throughput is measured over the sends; waiting for late
    // acknowledgements below is not part of it.
    report.elapsed_s = start.elapsed().as_secs_f64();
    report.achieved_rate = if report.elapsed_s > 0.0 {
        report.sent as f64 / report.elapsed_s
    } else {
        0.0
    };
    let finished = sink.finish();
    if let Some(acked) = sink.acknowledged_records() {
        report.accepted += acked;
        report.failed += report.sent.saturating_sub(acked + report.failed);
    }
    if let Err(e) = finished {
        report.first_error.get_or_insert(e);
    }
    Ok(report)
}
