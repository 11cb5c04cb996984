//! Data streams: register (binding to an observable, a location/stratum,
//! a cadence, a value type and optionally an MQTT topic), list, get,
//! pause and resume.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{time_text, twin_entry};
use crate::auth::Caller;
use crate::problem::{ApiJson, ApiPath, ApiResult, Problem};
use crate::store::{self, now_ms, StreamRow, ValueType};
use crate::SharedState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterStream {
    /// Unique within the twin; observations name it.
    pub name: String,
    /// Unit of the values, e.g. `persons/day`. A flood twin's discharge
    /// stream takes `mm/day`, `m3/s`, `L/s` or `ft3/s` (converted to the
    /// twin's mm/day over the basin).
    pub unit: String,
    /// The twin observable it measures: one of the twin's `observables`
    /// (an epidemic spec's `[[assimilation.stream]]` columns, e.g.
    /// `new_hospitalized`; a flood twin's `discharge`).
    pub observable: String,
    /// Bind to one location (records may then leave `location` out).
    #[serde(default)]
    pub location: Option<String>,
    /// Bind to one stratum.
    #[serde(default)]
    pub stratum: Option<String>,
    /// Expected interval between data: seconds, or `30s`, `15m`, `6h`, `1d`.
    pub cadence: String,
    /// Default: `count` for an epidemic twin, `real` for a flood twin.
    #[serde(default)]
    pub value_type: Option<ValueType>,
    /// MQTT topic to subscribe to for this stream.
    #[serde(default)]
    pub mqtt_topic: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StreamView {
    pub twin: String,
    pub name: String,
    pub unit: String,
    pub observable: String,
    pub location: Option<String>,
    pub stratum: Option<String>,
    pub cadence_seconds: u64,
    pub value_type: ValueType,
    pub mqtt_topic: Option<String>,
    pub paused: bool,
    /// No data received for more than twice the cadence.
    pub stale: bool,
    pub last_time: Option<String>,
    pub last_received: Option<String>,
    #[serde(skip)]
    pub last_time_ms: Option<i64>,
}

impl StreamView {
    pub fn of(s: &StreamRow, now_ms: i64) -> StreamView {
        let since = s.last_received_ms.unwrap_or(s.created_ms);
        StreamView {
            twin: s.twin_id.clone(),
            name: s.name.clone(),
            unit: s.unit.clone(),
            observable: s.observable.clone(),
            location: s.location.clone(),
            stratum: s.stratum.clone(),
            cadence_seconds: s.cadence_s,
            value_type: s.value_type,
            mqtt_topic: s.mqtt_topic.clone(),
            paused: s.paused,
            stale: !s.paused && now_ms - since > 2 * 1000 * s.cadence_s as i64,
            last_time: s.last_time_ms.map(time_text),
            last_received: s.last_received_ms.map(time_text),
            last_time_ms: s.last_time_ms,
        }
    }
}

/// `3600`, `30s`, `15m`, `6h`, `1d`, `1w` → seconds.
pub fn parse_cadence(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: u64 = n.parse().ok().filter(|&n| n > 0)?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return None,
    };
    n.checked_mul(scale).filter(|&s| s <= 366 * 86_400)
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Register a stream on a twin (409 if the name is taken).
#[utoipa::path(post, path = "/v1/twins/{twin}/streams", tag = "streams", params(("twin" = String, Path)),
    request_body = RegisterStream,
    responses((status = 201, body = StreamView), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json"), (status = 409, body = crate::problem::ProblemDocument, content_type = "application/problem+json"), (status = 422, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn register_stream(
    _caller: crate::auth::Admin,
    State(state): State<SharedState>,
    ApiPath(twin): ApiPath<String>,
    ApiJson(req): ApiJson<RegisterStream>,
) -> ApiResult<(StatusCode, Json<StreamView>)> {
    let entry = twin_entry(&state, &twin)?;
    if !valid_name(&req.name) {
        return Err(Problem::unprocessable(
            "a stream name is 1–64 letters, digits, `.`, `_` or `-`",
        )
        .at("/name"));
    }
    let observables = entry.observables();
    let leading = entry.hosted.leading_observables();
    if !observables.contains(&req.observable) && !leading.contains(&req.observable) {
        let also = match leading.is_empty() {
            true => String::new(),
            false => format!(
                "; it also reads, without fitting them, the leading series: {}",
                leading.join(", ")
            ),
        };
        return Err(Problem::unprocessable(format!(
            "twin `{twin}` assimilates no `{}`; its observables are: {}{also}",
            req.observable,
            observables.join(", ")
        ))
        .at("/observable"));
    }
    if let Some(l) = &req.location {
        if !entry.locations().contains(l) {
            return Err(
                Problem::unprocessable(format!("twin `{twin}` has no location `{l}`"))
                    .at("/location"),
            );
        }
    }
    if let Some(s) = &req.stratum {
        if !entry.strata().contains(s) {
            return Err(
                Problem::unprocessable(format!("twin `{twin}` has no stratum `{s}`"))
                    .at("/stratum"),
            );
        }
    }
    entry
        .hosted
        .check_unit(&req.unit)
        .map_err(|e| Problem::unprocessable(e).at("/unit"))?;
    let cadence_s = parse_cadence(&req.cadence).ok_or_else(|| {
        Problem::unprocessable(format!(
            "`{}` is not a cadence: give seconds or a number with s, m, h, d or w (at most a year)",
            req.cadence
        ))
        .at("/cadence")
    })?;
    if let Some(t) = &req.mqtt_topic {
        if t.is_empty() || t.contains(['+', '#']) || t.len() > 256 {
            return Err(Problem::unprocessable(
                "an MQTT topic must be a plain topic name (no wildcards), at most 256 bytes",
            )
            .at("/mqtt_topic"));
        }
        if state.mqtt.is_none() {
            return Err(Problem::unprocessable(
                "this server has no MQTT broker configured (start it with --mqtt HOST:PORT)",
            )
            .at("/mqtt_topic"));
        }
    }
    let row = StreamRow {
        twin_id: twin.clone(),
        name: req.name.clone(),
        unit: req.unit.clone(),
        observable: req.observable.clone(),
        location: req.location.clone(),
        stratum: req.stratum.clone(),
        cadence_s,
        value_type: req.value_type.unwrap_or(entry.hosted.default_value_type()),
        mqtt_topic: req.mqtt_topic.clone(),
        paused: false,
        created_ms: now_ms(),
        last_time_ms: None,
        last_received_ms: None,
    };
    let r = row.clone();
    state
        .store
        .write(move |c| store::insert_stream(c, &r))
        .await?;
    entry.set_stream(row.clone());
    if let (Some(topic), Some(m)) = (&row.mqtt_topic, &state.mqtt) {
        m.bind(topic, &twin, &row.name);
    }
    Ok((StatusCode::CREATED, Json(StreamView::of(&row, now_ms()))))
}

#[utoipa::path(get, path = "/v1/twins/{twin}/streams", tag = "streams", params(("twin" = String, Path)),
    responses((status = 200, body = Vec<StreamView>), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_streams(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath(twin): ApiPath<String>,
) -> ApiResult<Json<Vec<StreamView>>> {
    caller.require_read()?;
    twin_entry(&state, &twin)?;
    let rows = state
        .store
        .read(move |c| store::list_streams(c, Some(&twin)))
        .await?;
    let now = now_ms();
    Ok(Json(rows.iter().map(|s| StreamView::of(s, now)).collect()))
}

#[utoipa::path(get, path = "/v1/twins/{twin}/streams/{stream}", tag = "streams",
    params(("twin" = String, Path), ("stream" = String, Path)),
    responses((status = 200, body = StreamView), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_stream(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath((twin, stream)): ApiPath<(String, String)>,
) -> ApiResult<Json<StreamView>> {
    caller.require_read()?;
    let row = state
        .store
        .read(move |c| store::get_stream(c, &twin, &stream))
        .await?;
    Ok(Json(StreamView::of(&row, now_ms())))
}

async fn set_paused(
    state: SharedState,
    twin: String,
    stream: String,
    paused: bool,
) -> ApiResult<Json<StreamView>> {
    let entry = twin_entry(&state, &twin)?;
    let (t, s) = (twin.clone(), stream.clone());
    let row = state
        .store
        .write(move |c| {
            store::set_paused(c, &t, &s, paused)?;
            store::get_stream(c, &t, &s)
        })
        .await?;
    entry.set_stream(row.clone());
    Ok(Json(StreamView::of(&row, now_ms())))
}

/// Pause a stream: its observations are refused (409) until resumed.
#[utoipa::path(post, path = "/v1/twins/{twin}/streams/{stream}/pause", tag = "streams",
    params(("twin" = String, Path), ("stream" = String, Path)),
    responses((status = 200, body = StreamView), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn pause_stream(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath((twin, stream)): ApiPath<(String, String)>,
) -> ApiResult<Json<StreamView>> {
    caller.require_admin()?;
    set_paused(state, twin, stream, true).await
}

#[utoipa::path(post, path = "/v1/twins/{twin}/streams/{stream}/resume", tag = "streams",
    params(("twin" = String, Path), ("stream" = String, Path)),
    responses((status = 200, body = StreamView), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn resume_stream(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath((twin, stream)): ApiPath<(String, String)>,
) -> ApiResult<Json<StreamView>> {
    caller.require_admin()?;
    set_paused(state, twin, stream, false).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn cadences() {
        use super::parse_cadence;
        assert_eq!(parse_cadence("1d"), Some(86_400));
        assert_eq!(parse_cadence("90"), Some(90));
        assert_eq!(parse_cadence("15m"), Some(900));
        assert_eq!(parse_cadence("0s"), None);
        assert_eq!(parse_cadence("1y"), None);
    }
}
