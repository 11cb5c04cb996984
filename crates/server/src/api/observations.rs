//! Observations: ingest (JSON, NDJSON, CSV; idempotent with a key),
//! history of a stream by time with keyset pagination, latest values.

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{time_text, twin_entry};
use crate::auth::Caller;
use crate::ingest::{parse_body, validate};
use crate::problem::{ApiPath, ApiQuery, ApiResult, Problem, RawBody};
use crate::store::{self, now_ms, StoredObservation};
use crate::SharedState;
use didymos_core::timestamp::parse_time;

#[derive(Debug, Serialize, ToSchema)]
pub struct IngestResult {
    /// Observations stored by this batch (or by its first sending).
    pub accepted: usize,
    /// The Idempotency-Key was seen before: nothing new was stored.
    pub duplicate: bool,
    /// For a twin whose `late_values` is `rewind`, given a value for a day
    /// it had assimilated: the date of the checkpoint it went back to, or
    /// `start`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rewound_to: Option<String>,
}

/// Longest Idempotency-Key accepted.
const MAX_KEY_LEN: usize = 200;

/// Ingest a batch of observations. Answered only after it is committed
/// to disk; all or nothing (the first bad record fails the batch, naming
/// where it is).
#[utoipa::path(post, path = "/v1/twins/{twin}/observations", tag = "observations",
    params(("twin" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "A retried batch with the same key is stored once")),
    request_body(content(
        (crate::ingest::ObservationBatch = "application/json"),
        (String = "application/x-ndjson"),
        (String = "text/csv"))),
    responses((status = 200, body = IngestResult), (status = 400, body = crate::problem::ProblemDocument, content_type = "application/problem+json"), (status = 403, body = crate::problem::ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json"), (status = 409, body = crate::problem::ProblemDocument, content_type = "application/problem+json"), (status = 413, body = crate::problem::ProblemDocument, content_type = "application/problem+json"),
        (status = 415, body = crate::problem::ProblemDocument, content_type = "application/problem+json"), (status = 422, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn ingest(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath(twin): ApiPath<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<IngestResult>> {
    let entry = twin_entry(&state, &twin)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let key = match headers.get("idempotency-key") {
        Some(v) => Some(
            v.to_str()
                .ok()
                .map(str::trim)
                .filter(|k| !k.is_empty() && k.len() <= MAX_KEY_LEN)
                .ok_or_else(|| {
                    Problem::bad_request(format!(
                        "Idempotency-Key must be 1–{MAX_KEY_LEN} visible ASCII characters"
                    ))
                })?
                .to_string(),
        ),
        None => None,
    };
    let records = parse_body(content_type, &body)?;
    let now = now_ms();
    let mut obs = Vec::with_capacity(records.len());
    for (pos, rec) in records {
        let o = validate(&entry, pos, rec, None, now)?;
        caller.require_ingest(&twin, &o.stream)?;
        obs.push(o);
    }
    if obs.is_empty() && key.is_none() {
        return Ok(Json(IngestResult {
            accepted: 0,
            duplicate: false,
            rewound_to: None,
        }));
    }
    let body_sha = key.as_ref().map(|_| {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(content_type.as_bytes());
        h.update([0]);
        h.update(&body);
        h.finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    });
    let t = twin.clone();
    let outcome = state
        .store
        .write(move |c| {
            let idem = key.as_deref().zip(body_sha.as_deref());
            store::insert_batch(c, &t, &obs, idem, now)
        })
        .await?;
    if !outcome.duplicate && outcome.accepted > 0 {
        state.mark_dirty(&twin);
    }
    Ok(Json(IngestResult {
        accepted: outcome.accepted,
        duplicate: outcome.duplicate,
        rewound_to: outcome.rewound.and_then(|r| r.label()),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ObservationOut {
    pub id: i64,
    pub stream: String,
    pub time: String,
    pub location: Option<String>,
    pub stratum: Option<String>,
    pub value: f64,
    pub received: String,
    /// When its source published it, where the sender said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued: Option<String>,
    /// When it was retracted (absent while it stands).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retracted: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retraction_reason: Option<String>,
}

impl From<StoredObservation> for ObservationOut {
    fn from(o: StoredObservation) -> Self {
        ObservationOut {
            id: o.id,
            stream: o.stream,
            time: time_text(o.t_ms),
            location: o.location,
            stratum: o.stratum,
            value: o.value,
            received: time_text(o.received_ms),
            issued: o.issued_ms.map(time_text),
            retracted: o.retracted_ms.map(time_text),
            retraction_reason: o.retraction_reason,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Earliest time (date or RFC 3339), inclusive.
    pub from: Option<String>,
    /// Latest time, inclusive.
    pub to: Option<String>,
    /// Page size (1–10000, default 1000).
    pub limit: Option<usize>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Also list retracted observations, marked with when and why
    /// (default false: only the standing record).
    pub include_retracted: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ObservationPage {
    pub items: Vec<ObservationOut>,
    /// Cursor for the next page (absent on the last page).
    pub next: Option<String>,
}

/// A stream's observations in a time range, by time then arrival. Retracted
/// ones only with `include_retracted=true`.
#[utoipa::path(get, path = "/v1/twins/{twin}/streams/{stream}/observations", tag = "observations",
    params(("twin" = String, Path), ("stream" = String, Path), HistoryQuery),
    responses((status = 200, body = ObservationPage), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json"), (status = 422, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn stream_history(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath((twin, stream)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> ApiResult<Json<ObservationPage>> {
    caller.require_read()?;
    let time = |v: &Option<String>, name: &str, default: i64| -> ApiResult<i64> {
        v.as_deref().map_or(Ok(default), |s| {
            parse_time(s).map_err(|e| Problem::unprocessable(format!("`{name}`: {e}")))
        })
    };
    let from = time(&q.from, "from", i64::MIN)?;
    let to = time(&q.to, "to", i64::MAX)?;
    let limit = q.limit.unwrap_or(1000);
    if !(1..=10_000).contains(&limit) {
        return Err(Problem::unprocessable("`limit` must be in 1..=10000"));
    }
    let after = match &q.after {
        None => None,
        Some(c) => Some(
            c.split_once('.')
                .and_then(|(t, i)| Some((t.parse().ok()?, i.parse().ok()?)))
                .ok_or_else(|| {
                    Problem::unprocessable("`after` is not a cursor this server gave")
                })?,
        ),
    };
    let (t, s) = (twin.clone(), stream.clone());
    let items = state
        .store
        .read(move |c| {
            store::get_stream(c, &t, &s)?;
            let range = store::HistoryRange {
                from_ms: from,
                to_ms: to,
                after,
                limit: limit + 1,
                include_retracted: q.include_retracted.unwrap_or(false),
            };
            store::stream_history(c, &t, &s, &range)
        })
        .await?;
    let mut items: Vec<StoredObservation> = items;
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|o| format!("{}.{}", o.t_ms, o.id))
    } else {
        None
    };
    Ok(Json(ObservationPage {
        items: items.into_iter().map(Into::into).collect(),
        next,
    }))
}

/// The latest standing observation of every stream of a twin.
#[utoipa::path(get, path = "/v1/twins/{twin}/observations/latest", tag = "observations",
    params(("twin" = String, Path)),
    responses((status = 200, body = Vec<ObservationOut>), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn latest(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath(twin): ApiPath<String>,
) -> ApiResult<Json<Vec<ObservationOut>>> {
    caller.require_read()?;
    twin_entry(&state, &twin)?;
    let rows = state
        .store
        .read(move |c| {
            let mut out = Vec::new();
            for s in store::list_streams(c, Some(&twin))? {
                if let Some(o) = store::latest(c, &twin, &s.name)? {
                    out.push(o);
                }
            }
            Ok(out)
        })
        .await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}
