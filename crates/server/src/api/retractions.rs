//! Retracting observations that should never have been sent. They are
//! marked, not deleted (a run's record of what it read stays true), and a
//! twin whose filter has taken one in goes back and reads its standing
//! record again.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::twin_entry;
use crate::auth::Caller;
use crate::problem::{ApiJson, ApiPath, ApiResult, Problem};
use crate::store::{self, now_ms, Selection};
use crate::SharedState;
use didymos_core::timestamp::parse_time;

/// Observations to retract: by `ids`, or by `stream` and a time range (with
/// `location` and `stratum` to narrow it), never both.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetractRequest {
    /// Why (kept with each observation; 1–500 characters).
    pub reason: String,
    /// Observation ids, as the history lists them (at most 10000).
    pub ids: Option<Vec<i64>>,
    pub stream: Option<String>,
    /// Earliest time (date or RFC 3339), inclusive.
    pub from: Option<String>,
    /// Latest time, inclusive.
    pub to: Option<String>,
    pub location: Option<String>,
    pub stratum: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RetractResult {
    /// Ids retracted by this request.
    pub retracted: Vec<i64>,
    /// Named observations that were retracted before.
    pub already_retracted: usize,
    /// The twin had assimilated a retracted value: it reads its standing
    /// record again from its newest checkpoint before that day (or from
    /// the priors), and a new forecast follows.
    pub reassimilating: bool,
    /// Where it went back to: a checkpoint's date, or `start`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rewound_to: Option<String>,
}

/// Longest reason kept.
const MAX_REASON_CHARS: usize = 500;
/// Most ids in one request.
const MAX_IDS: usize = 10_000;

impl RetractRequest {
    fn selection(self) -> ApiResult<(Selection, String)> {
        let reason = self.reason.trim().to_string();
        if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
            return Err(Problem::unprocessable(format!(
                "`reason` must be 1–{MAX_REASON_CHARS} characters"
            )));
        }
        let by_cells = self.stream.is_some()
            || self.from.is_some()
            || self.to.is_some()
            || self.location.is_some()
            || self.stratum.is_some();
        let selection = match (self.ids, by_cells) {
            (Some(_), true) => {
                return Err(Problem::unprocessable(
                    "give `ids`, or `stream` with `from` and `to`, not both",
                ))
            }
            (Some(ids), false) => {
                if ids.is_empty() || ids.len() > MAX_IDS {
                    return Err(Problem::unprocessable(format!(
                        "`ids` must list 1–{MAX_IDS} observations"
                    )));
                }
                Selection::Ids(ids)
            }
            (None, _) => {
                let (Some(stream), Some(from), Some(to)) = (self.stream, self.from, self.to) else {
                    return Err(Problem::unprocessable(
                        "name the observations: `ids`, or `stream` with `from` and `to`",
                    ));
                };
                let time = |v: &str, name: &str| {
                    parse_time(v).map_err(|e| Problem::unprocessable(format!("`{name}`: {e}")))
                };
                let (from_ms, to_ms) = (time(&from, "from")?, time(&to, "to")?);
                if from_ms > to_ms {
                    return Err(Problem::unprocessable(format!(
                        "`from` ({from}) is after `to` ({to})"
                    )));
                }
                Selection::Cells {
                    stream,
                    from_ms,
                    to_ms,
                    location: self.location,
                    stratum: self.stratum,
                }
            }
        };
        Ok((selection, reason))
    }
}

/// Retract observations.
///
/// Retracted observations stay in the history (with
/// `include_retracted=true`), marked with when and why, but the live loop
/// and the latest values no longer read them; where one corrected an
/// earlier value for the same cell, that value stands again. If the twin's
/// filter had already taken one in, the twin goes back to its newest kept
/// checkpoint before that day (its priors when none is) and reads its
/// standing record from there: the same forecast, bit for bit, as a
/// reassimilation from the start. Needs the ingest scope for every stream
/// named. All or nothing.
#[utoipa::path(post, path = "/v1/twins/{twin}/observations/retract", tag = "observations",
    params(("twin" = String, Path)),
    request_body = RetractRequest,
    responses((status = 200, body = RetractResult), (status = 403, body = crate::problem::ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json"), (status = 422, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn retract(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath(twin): ApiPath<String>,
    ApiJson(req): ApiJson<RetractRequest>,
) -> ApiResult<Json<RetractResult>> {
    twin_entry(&state, &twin)?;
    let (selection, reason) = req.selection()?;
    if let Selection::Cells { stream, .. } = &selection {
        caller.require_ingest(&twin, stream)?;
    }
    let t = twin.clone();
    let matched = state
        .store
        .read(move |c| {
            if let Selection::Cells { stream, .. } = &selection {
                store::get_stream(c, &t, stream)?;
            }
            store::select(c, &t, &selection)
        })
        .await
        .map_err(|e| match e {
            // The request named something that is not there: its own fault.
            store::StoreError::NotFound(m) => Problem::unprocessable(m),
            e => e.into(),
        })?;
    let mut ids = Vec::with_capacity(matched.len());
    for m in &matched {
        caller.require_ingest(&twin, &m.stream)?;
        ids.push(m.id);
    }
    let t = twin.clone();
    let done = state
        .store
        .write(move |c| store::retract(c, &t, &ids, &reason, now_ms()))
        .await?;
    if !done.retracted.is_empty() {
        state.mark_dirty(&twin);
        crate::events::publish(
            &state.events,
            "retraction",
            &twin,
            serde_json::json!({
                "retracted": done.retracted,
                "reassimilating": done.reassimilating,
            }),
        );
    }
    Ok(Json(RetractResult {
        retracted: done.retracted,
        already_retracted: done.already_retracted,
        reassimilating: done.reassimilating,
        rewound_to: done.rewound_to,
    }))
}
