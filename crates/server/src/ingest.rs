//! THE INGEST CONTRACT: observation records as JSON (`{"observations":
//! [...]}`), NDJSON (one record per line) or CSV (header
//! `stream,time,location,stratum,value[,issued]`), parsed and validated against a
//! twin before anything is stored. Every error names where it is: a JSON
//! pointer, or a line and field.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::problem::{parse_json, ApiResult, Problem};
use crate::registry::TwinEntry;
use crate::store::{NewObservation, ValueType};
use didymos_core::timestamp::{day_of, parse_time};

/// One observation as sent.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservationIn {
    /// The stream's name (may be left out on an MQTT topic bound to one stream).
    #[serde(default)]
    pub stream: Option<String>,
    /// A date (`2020-03-01`) or an RFC 3339 timestamp.
    pub time: String,
    /// Location (e.g. a province code); defaults to the stream's binding.
    #[serde(default)]
    pub location: Option<String>,
    /// Stratum (e.g. an age group); absent for a location total.
    #[serde(default)]
    pub stratum: Option<String>,
    pub value: f64,
    /// When the value's source published it (a date or an RFC 3339
    /// timestamp), for a value reported late or revised, e.g. in a replay
    /// of an old record's vintages. Left out: when it arrives. A twin that
    /// nowcasts learns from these how complete recent counts are.
    #[serde(default)]
    pub issued: Option<String>,
}

/// A JSON batch.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservationBatch {
    pub observations: Vec<ObservationIn>,
}

/// Where a record was in the request, for error messages.
#[derive(Debug, Clone, Copy)]
pub enum Position {
    /// Index in a JSON batch's `observations`.
    Index(usize),
    /// 1-based line of NDJSON or CSV.
    Line(u64),
}

impl Position {
    fn locate(self, p: Problem, field: &str) -> Problem {
        match self {
            Position::Index(i) => p.at(format!("/observations/{i}/{field}")),
            Position::Line(l) => p.on_line(l, Some(field)),
        }
    }
}

/// The body's records with their positions.
pub fn parse_body(content_type: &str, body: &[u8]) -> ApiResult<Vec<(Position, ObservationIn)>> {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "application/json" => {
            let batch: ObservationBatch = parse_json(body).map_err(|mut p| {
                if p.detail.contains("not an array") {
                    p.detail.push_str(": a batch is {\"observations\": [ … ]}");
                }
                p
            })?;
            Ok(batch
                .observations
                .into_iter()
                .enumerate()
                .map(|(i, o)| (Position::Index(i), o))
                .collect())
        }
        "application/x-ndjson" | "application/ndjson" => parse_ndjson(body),
        "text/csv" => parse_csv(body),
        other => Err(Problem::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "unsupported Content-Type `{other}`: use application/json, application/x-ndjson or text/csv"
            ),
        )),
    }
}

fn parse_ndjson(body: &[u8]) -> ApiResult<Vec<(Position, ObservationIn)>> {
    let text = std::str::from_utf8(body)
        .map_err(|e| Problem::bad_request(format!("the body is not UTF-8: {e}")))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let rec: ObservationIn = parse_json(line.as_bytes()).map_err(|p| {
            let field = p.pointer().map(|s| s.trim_start_matches('/').to_string());
            let mut p = p.on_line(n, field.as_deref());
            p.detail = format!("line {n}: {}", p.detail);
            p
        })?;
        out.push((Position::Line(n), rec));
    }
    Ok(out)
}

fn parse_csv(body: &[u8]) -> ApiResult<Vec<(Position, ObservationIn)>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| {
            Problem::bad_request(format!("line 1: unreadable CSV header: {e}")).on_line(1, None)
        })?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (stream, time, value) = match (col("stream"), col("time"), col("value")) {
        (Some(s), Some(t), Some(v)) => (s, t, v),
        _ => {
            return Err(Problem::bad_request(format!(
                "line 1: the CSV header must name stream, time and value (and optionally location, stratum, issued); found `{}`",
                headers.iter().collect::<Vec<_>>().join(",")
            ))
            .on_line(1, None))
        }
    };
    let (location, stratum, issued) = (col("location"), col("stratum"), col("issued"));
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            Problem::bad_request(format!("line {line}: {e}")).on_line(line, None)
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let cell = |c: Option<usize>| {
            c.and_then(|c| record.get(c))
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let text = record.get(value).unwrap_or("");
        let v: f64 = text.parse().map_err(|_| {
            Problem::unprocessable(format!(
                "line {line}, field value: `{text}` is not a number"
            ))
            .on_line(line, Some("value"))
        })?;
        out.push((
            Position::Line(line),
            ObservationIn {
                stream: cell(Some(stream)),
                time: record.get(time).unwrap_or("").to_string(),
                location: cell(location),
                stratum: cell(stratum),
                value: v,
                issued: cell(issued),
            },
        ));
    }
    Ok(out)
}

/// How far past the server's clock an observation may be dated.
pub const MAX_FUTURE_MS: i64 = 24 * 3_600_000;

/// Checks one record against the twin and its streams.
pub fn validate(
    twin: &TwinEntry,
    pos: Position,
    rec: ObservationIn,
    default_stream: Option<&str>,
    now_ms: i64,
) -> ApiResult<NewObservation> {
    let stream_name = rec
        .stream
        .clone()
        .or(default_stream.map(str::to_string))
        .ok_or_else(|| pos.locate(Problem::unprocessable("`stream` is required"), "stream"))?;
    let stream = twin.stream(&stream_name).ok_or_else(|| {
        pos.locate(
            Problem::not_found(format!("twin `{}` has no stream `{stream_name}`", twin.id)),
            "stream",
        )
    })?;
    if stream.paused {
        return Err(pos.locate(
            Problem::conflict(format!("stream `{stream_name}` is paused")),
            "stream",
        ));
    }
    let t_ms = parse_time(&rec.time).map_err(|e| pos.locate(Problem::unprocessable(e), "time"))?;
    let day = day_of(t_ms);
    let date = didymos_core::Date::from_days_since_epoch(day);
    if date < twin.start() {
        return Err(pos.locate(
            Problem::unprocessable(format!(
                "`{}` is before the twin's start {}: the model cannot use it",
                rec.time,
                twin.start()
            )),
            "time",
        ));
    }
    if date > twin.end() {
        return Err(pos.locate(
            Problem::unprocessable(format!(
                "`{}` is after the twin's end {}: extend time.end in its spec",
                rec.time,
                twin.end()
            )),
            "time",
        ));
    }
    if t_ms > now_ms + MAX_FUTURE_MS {
        return Err(pos.locate(
            Problem::unprocessable(format!(
                "`{}` is more than a day ahead of the server's clock: observations cannot come from the future",
                rec.time
            )),
            "time",
        ));
    }
    let issued_ms = match &rec.issued {
        None => None,
        Some(text) => {
            let at = |why: String| pos.locate(Problem::unprocessable(why), "issued");
            let issued = parse_time(text).map_err(at)?;
            if day_of(issued) < day {
                return Err(at(format!(
                    "`{text}` is before the day `{}` counts for: a value cannot be published before its date",
                    rec.time
                )));
            }
            if issued > now_ms + MAX_FUTURE_MS {
                return Err(at(format!(
                    "`{text}` is more than a day ahead of the server's clock: a value cannot be published in the future"
                )));
            }
            Some(issued)
        }
    };
    let location = match (&rec.location, &stream.location) {
        (Some(l), Some(b)) if l != b => {
            return Err(pos.locate(
                Problem::unprocessable(format!(
                    "location `{l}` differs from stream `{stream_name}`'s binding `{b}`"
                )),
                "location",
            ))
        }
        (l, b) => l.clone().or(b.clone()),
    };
    let location = match location {
        Some(l) if twin.locations().contains(&l) => l,
        Some(l) => {
            return Err(pos.locate(
                Problem::unprocessable(unknown("location", &l, twin.locations())),
                "location",
            ))
        }
        None if twin.locations().len() == 1 => twin.locations()[0].clone(),
        None => {
            return Err(pos.locate(
                Problem::unprocessable(format!(
                    "`location` is required: stream `{stream_name}` is not bound to one"
                )),
                "location",
            ))
        }
    };
    let stratum = rec.stratum.clone().or(stream.stratum.clone());
    if let Some(s) = &stratum {
        if !twin.strata().contains(s) {
            return Err(pos.locate(
                Problem::unprocessable(unknown("stratum", s, twin.strata())),
                "stratum",
            ));
        }
    }
    if twin.hosted.per_stratum(&stream.observable) && stratum.is_none() {
        return Err(pos.locate(
            Problem::unprocessable(format!(
                "`stratum` is required: `{}` is fitted per stratum",
                stream.observable
            )),
            "stratum",
        ));
    }
    let value = rec.value;
    let bad_value = match stream.value_type {
        _ if !value.is_finite() => Some("is not a finite number"),
        ValueType::Count if value < 0.0 || value.fract() != 0.0 => {
            Some("is not a count (a whole number ≥ 0)")
        }
        _ => None,
    }
    .map(str::to_string)
    .or_else(|| twin.bad_value(value, stream.value_type, &location, stratum.as_deref()));
    if let Some(why) = bad_value {
        return Err(pos.locate(
            Problem::unprocessable(format!("value {value} {why}")),
            "value",
        ));
    }
    Ok(NewObservation {
        stream: stream_name,
        t_ms,
        day,
        location: Some(location),
        stratum,
        value,
        issued_ms,
    })
}

fn unknown(what: &str, found: &str, valid: &[String]) -> String {
    match didymos_core::suggest::closest(found, valid.iter().map(String::as_str)) {
        Some(c) => format!("unknown {what} `{found}`; did you mean `{c}`?"),
        None => format!("unknown {what} `{found}` ({} known)", valid.len()),
    }
}
