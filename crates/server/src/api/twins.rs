//! Twins: create from a spec (TOML text or a path on the server; placing
//! and loading it is `twin_spec.rs`), list, get, delete, status.

use std::path::Path;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::time_text;
use super::twin_spec::{place_spec, sha256_hex, valid_id};
use crate::auth::Caller;
use crate::hosted::TwinKind;
use crate::problem::{ApiJson, ApiPath, ApiResult, Problem};
use crate::store::{self, now_ms, TwinRow};
use crate::SharedState;

/// A new twin: its spec as TOML text, or the path of a spec on the
/// server's disk (its data files are then found relative to it). An
/// epidemic spec (with `[assimilation]`, e.g. `data/spain/twin-2020.toml`)
/// or a flood spec (with `[basin]`, e.g. `data/flood/twin.toml`; it is
/// calibrated once, here, unless its `[calibration.ranges]` is empty).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTwin {
    /// Twin id (default: the spec's `twin.name`). Letters, digits, `.`, `_`, `-`.
    #[serde(default)]
    pub id: Option<String>,
    /// Path of a twin spec on the server (e.g. `data/spain/twin-2020.toml`).
    #[serde(default)]
    pub spec_path: Option<String>,
    /// The spec's TOML text; relative data paths are then resolved against
    /// the folder the server stores it in, so give absolute ones.
    #[serde(default)]
    pub spec_toml: Option<String>,
    /// Ensemble size (default: the spec's `assimilation.members`).
    #[serde(default)]
    pub members: Option<usize>,
    /// Random seed (default: the spec's `ensemble.seed`).
    #[serde(default)]
    pub seed: Option<u64>,
    /// Days to forecast after each assimilation (default 28; a flood
    /// twin's: its spec's `forecast.horizon`).
    #[serde(default)]
    pub horizon_days: Option<usize>,
    /// A day's data is taken as complete after this long without new data (default 5000).
    #[serde(default)]
    pub settle_ms: Option<u64>,
    /// What a value for a day already assimilated does (default `hold`).
    #[serde(default)]
    pub late_values: Option<LateValues>,
    /// Read the last days' counts as incomplete (default false; epidemic
    /// twins). How complete a count is k days after its date is learnt
    /// from the stored record's own revisions: values sent again later,
    /// dated by their `issued` field or else by when they arrived. The
    /// filter's expected values for those days are scaled by it, and the
    /// twin checkpoints before the first such day, so every update reads
    /// them afresh. What `didymos forecast --until` does with an
    /// `issued_column`, bit for bit. Pair it with `late_values: rewind`,
    /// so a revision older than the learnt delay is taken in too.
    #[serde(default)]
    pub nowcast: Option<bool>,
}

/// What a value for a day the twin has already assimilated (a late report,
/// a correction, a retraction) does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LateValues {
    /// Stored; read when the twin is next reassimilated
    /// (`POST /v1/twins/{id}/reassimilate`). Each update costs one day.
    Hold,
    /// The twin goes back at once to its newest kept checkpoint before
    /// that day and reads every standing value after it: what a
    /// reassimilation from the start would give, bit for bit, for the cost
    /// of the days since that checkpoint (from the start when none is kept).
    Rewind,
}

impl LateValues {
    pub fn as_str(self) -> &'static str {
        match self {
            LateValues::Hold => "hold",
            LateValues::Rewind => "rewind",
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Twin {
    pub id: String,
    /// `epidemic` or `flood` (null while the twin's spec cannot be loaded).
    pub kind: Option<TwinKind>,
    pub name: String,
    pub spec_path: String,
    pub spec_sha256: String,
    pub members: usize,
    pub seed: u64,
    pub horizon_days: usize,
    pub settle_ms: u64,
    /// `hold` or `rewind` (see `late_values` of a new twin).
    pub late_values: String,
    /// Whether the last days' counts are read as incomplete (see
    /// `nowcast` of a new twin).
    pub nowcast: bool,
    pub start: String,
    pub end: String,
    pub locations: Vec<String>,
    pub strata: Vec<String>,
    /// What streams can feed: the spec's `[[assimilation.stream]]` columns
    /// (epidemic), or `discharge` (flood).
    pub observables: Vec<String>,
    /// Series streams can also feed that the filter does not fit: the
    /// streams' `leading_column`s, which the weekly ensemble's lead
    /// forecaster reads (e.g. cases before admissions).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub leading_observables: Vec<String>,
    /// A flood twin's model parameters as calibrated at registration.
    pub parameters: Option<std::collections::BTreeMap<String, f64>>,
    pub created: String,
}

fn twin_view(state: &SharedState, row: &TwinRow) -> Twin {
    let entry = state.registry.get(&row.id);
    let (start, end, locations, strata, observables) = match &entry {
        Some(e) => (
            e.start().to_string(),
            e.end().to_string(),
            e.locations().to_vec(),
            e.strata().to_vec(),
            e.observables(),
        ),
        None => Default::default(),
    };
    Twin {
        id: row.id.clone(),
        kind: entry.as_ref().map(|e| e.hosted.kind()),
        parameters: entry.as_ref().and_then(|e| e.hosted.parameters()),
        name: row.name.clone(),
        spec_path: row.spec_path.clone(),
        spec_sha256: row.spec_sha256.clone(),
        members: row.members,
        seed: row.seed,
        horizon_days: row.horizon_days,
        settle_ms: row.settle_ms,
        late_values: row.late_values.clone(),
        nowcast: row.nowcast,
        start,
        end,
        locations,
        strata,
        observables,
        leading_observables: entry
            .as_ref()
            .map(|e| e.hosted.leading_observables())
            .unwrap_or_default(),
        created: time_text(row.created_ms),
    }
}

/// Ensemble sizes the service runs, for a twin and for its scenario jobs.
fn check_live_settings(horizon_days: Option<usize>, settle_ms: Option<u64>) -> ApiResult<()> {
    if horizon_days.is_some_and(|h| !(1..=366).contains(&h)) {
        return Err(Problem::unprocessable("horizon_days must be in 1..=366").at("/horizon_days"));
    }
    if settle_ms.is_some_and(|s| s > 86_400_000) {
        return Err(Problem::unprocessable("settle_ms must be at most a day").at("/settle_ms"));
    }
    Ok(())
}

/// A change to a twin's live settings; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTwin {
    #[serde(default)]
    pub late_values: Option<LateValues>,
    #[serde(default)]
    pub horizon_days: Option<usize>,
    #[serde(default)]
    pub settle_ms: Option<u64>,
    #[serde(default)]
    pub nowcast: Option<bool>,
}

/// Change how a twin runs live: what late values do, the forecast
/// horizon, the settle time, whether it nowcasts. From its next update
/// on; nothing already assimilated or forecast changes (a reassimilation
/// applies a new `nowcast` to the days before). (Its spec, members and seed define
/// what it has assimilated: register a new twin to change them.)
#[utoipa::path(patch, path = "/v1/twins/{twin}", tag = "twins", params(("twin" = String, Path)),
    request_body = UpdateTwin,
    responses((status = 200, body = Twin), (status = 403, body = crate::problem::ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json"), (status = 422, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update_twin(
    _caller: crate::auth::Admin,
    State(state): State<SharedState>,
    ApiPath(twin): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateTwin>,
) -> ApiResult<Json<Twin>> {
    if req.late_values.is_none()
        && req.horizon_days.is_none()
        && req.settle_ms.is_none()
        && req.nowcast.is_none()
    {
        return Err(Problem::unprocessable(
            "nothing to change: give late_values, horizon_days, settle_ms or nowcast",
        ));
    }
    check_live_settings(req.horizon_days, req.settle_ms)?;
    if let Some(entry) = state.registry.get(&twin) {
        check_nowcast(req.nowcast, entry.hosted.kind())?;
    }
    if let Some(h) = req.horizon_days {
        let id = twin.clone();
        let rules = state.store.read(move |c| store::list_rules(c, &id)).await?;
        let beyond = super::alerts::rules_beyond(&rules, h);
        if !beyond.is_empty() {
            return Err(Problem::unprocessable(format!(
                "horizon_days {h} is too short for {}: delete or change them first",
                beyond.join(", ")
            ))
            .at("/horizon_days"));
        }
    }
    let settings = store::TwinSettings {
        late_values: req.late_values.map(|l| l.as_str().to_string()),
        horizon_days: req.horizon_days,
        settle_ms: req.settle_ms,
        nowcast: req.nowcast,
    };
    let id = twin.clone();
    let row = state
        .store
        .write(move |c| store::update_twin_settings(c, &id, &settings))
        .await?;
    if req.nowcast.is_some() {
        // Its next update reads the record the new way.
        state.mark_dirty(&twin);
    }
    Ok(Json(twin_view(&state, &row)))
}

/// Nowcasting reads counts reported late; a flood twin's discharge is not.
fn check_nowcast(nowcast: Option<bool>, kind: TwinKind) -> ApiResult<()> {
    match (nowcast, kind) {
        (Some(true), TwinKind::Flood) => Err(Problem::unprocessable(
            "nowcast applies to epidemic twins (counts completed by later reports); a flood twin's discharge is not",
        )
        .at("/nowcast")),
        _ => Ok(()),
    }
}

pub(super) fn check_members(members: Option<usize>) -> ApiResult<()> {
    match members {
        Some(m) if !(2..=100_000).contains(&m) => {
            Err(Problem::unprocessable("members must be in 2..=100000").at("/members"))
        }
        _ => Ok(()),
    }
}

/// Create a twin from an epidemic spec (with an `[assimilation]` section)
/// or a flood spec (with `[basin]`; calibrated here, once).
#[utoipa::path(post, path = "/v1/twins", tag = "twins", request_body = CreateTwin,
    responses((status = 201, body = Twin), (status = 409, body = crate::problem::ProblemDocument, content_type = "application/problem+json"), (status = 422, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_twin(
    _caller: crate::auth::Admin,
    State(state): State<SharedState>,
    ApiJson(req): ApiJson<CreateTwin>,
) -> ApiResult<(StatusCode, Json<Twin>)> {
    if let Some(id) = &req.id {
        if !valid_id(id) {
            return Err(Problem::unprocessable(format!(
                "`{id}` is not a valid twin id: use letters, digits, `.`, `_`, `-` (at most 64)"
            ))
            .at("/id"));
        }
    }
    check_members(req.members)?;
    check_live_settings(req.horizon_days, req.settle_ms)?;
    let st = state.clone();
    let (req, path, loaded) =
        tokio::task::spawn_blocking(move || place_spec(&st, &req).map(|(p, l)| (req, p, l)))
            .await
            .map_err(|e| Problem::internal(e.to_string()))??;
    check_nowcast(req.nowcast, loaded.kind())?;
    let id = req.id.clone().unwrap_or(loaded.name().to_string());
    if !valid_id(&id) {
        return Err(Problem::unprocessable(format!(
            "the spec's name `{id}` is not a valid twin id; give `id`"
        ))
        .at("/id"));
    }
    let spec_bytes = didymos_core::fs::read_bytes(&path, didymos_core::fs::SPEC_MAX_BYTES)
        .map_err(|e| Problem::unprocessable(e.to_string()).at("/spec_path"))?;
    let row = TwinRow {
        id: id.clone(),
        name: loaded.name().to_string(),
        spec_path: path.to_string_lossy().into_owned(),
        spec_sha256: sha256_hex(&spec_bytes),
        members: req.members.unwrap_or(loaded.default_members()),
        seed: req.seed.unwrap_or(loaded.default_seed()),
        horizon_days: req.horizon_days.unwrap_or(loaded.default_horizon()),
        settle_ms: req.settle_ms.unwrap_or(5000),
        created_ms: now_ms(),
        checkpoint_path: None,
        checkpoint_day: None,
        checkpoint_date: None,
        last_assimilation_ms: None,
        last_assimilation_run: None,
        last_forecast_id: None,
        last_error: None,
        parameters: loaded
            .parameters()
            .and_then(|p| serde_json::to_string(&p).ok()),
        generation: 0,
        late_values: req.late_values.unwrap_or(LateValues::Hold).as_str().into(),
        nowcast: req.nowcast.unwrap_or(false),
        nowcast_read_ms: None,
    };
    let r = row.clone();
    state
        .store
        .write(move |c| store::insert_twin(c, &r))
        .await?;
    state.registry.insert(&row, loaded, Vec::new());
    Ok((StatusCode::CREATED, Json(twin_view(&state, &row))))
}

#[utoipa::path(get, path = "/v1/twins", tag = "twins",
    responses((status = 200, body = Vec<Twin>), (status = 401, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_twins(
    caller: Caller,
    State(state): State<SharedState>,
) -> ApiResult<Json<Vec<Twin>>> {
    caller.require_read()?;
    let rows = state.store.read(store::list_twins).await?;
    Ok(Json(rows.iter().map(|r| twin_view(&state, r)).collect()))
}

#[utoipa::path(get, path = "/v1/twins/{twin}", tag = "twins", params(("twin" = String, Path)),
    responses((status = 200, body = Twin), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_twin(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath(twin): ApiPath<String>,
) -> ApiResult<Json<Twin>> {
    caller.require_read()?;
    let row = state.store.read(move |c| store::get_twin(c, &twin)).await?;
    Ok(Json(twin_view(&state, &row)))
}

/// Delete a twin with its streams, observations, forecasts and rules.
#[utoipa::path(delete, path = "/v1/twins/{twin}", tag = "twins", params(("twin" = String, Path)),
    responses((status = 204), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn delete_twin(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath(twin): ApiPath<String>,
) -> ApiResult<StatusCode> {
    caller.require_admin()?;
    let t = twin.clone();
    state
        .store
        .write(move |c| store::delete_twin(c, &t))
        .await?;
    state.registry.remove(&twin);
    if let Some(m) = &state.mqtt {
        m.unbind_twin(&twin);
    }
    let dir = state.twins_dir().join(&twin);
    if valid_id(&twin) && Path::new(&dir).exists() {
        let _ = std::fs::remove_dir_all(dir);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// What a reset of the twin's filter will assimilate.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reassimilation {
    pub twin: String,
    /// The first day assimilated again (the day after the initial condition).
    pub from: String,
    /// Stored observations, every one of which the next update reads.
    pub observations: i64,
}

/// Assimilate every stored observation again, from the twin's start.
///
/// A live update only reads days after its checkpoint, so a value that
/// arrives late or corrects one for a day already assimilated (the later
/// value for a cell wins) changes nothing until this reset. The filter
/// starts again from the twin's priors with the same seed; the next update
/// runs at once and publishes a new forecast. With no new or corrected data
/// it gives the same forecast as before.
#[utoipa::path(post, path = "/v1/twins/{twin}/reassimilate", tag = "twins", params(("twin" = String, Path)),
    responses((status = 202, body = Reassimilation), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn reassimilate(
    _caller: crate::auth::Admin,
    State(state): State<SharedState>,
    ApiPath(twin): ApiPath<String>,
) -> ApiResult<(StatusCode, Json<Reassimilation>)> {
    let entry = state
        .registry
        .get(&twin)
        .ok_or_else(|| Problem::not_found(format!("no twin `{twin}` loaded")))?;
    let t = twin.clone();
    let observations = state
        .store
        .write(move |c| {
            store::clear_checkpoint(c, &t)?;
            store::count_observations(c, &t)
        })
        .await?;
    state.mark_dirty(&twin);
    let cal = entry.hosted.calendar();
    Ok((
        StatusCode::ACCEPTED,
        Json(Reassimilation {
            twin,
            from: cal.start.add_days(1).to_string(),
            observations,
        }),
    ))
}

pub use super::streams::StreamView;

#[derive(Debug, Serialize, ToSchema)]
pub struct TwinStatus {
    pub twin: String,
    /// `ok`, `initialising` (no assimilation yet), `stale` (a stream is
    /// late), `error` (the last live update failed) or `unloaded`.
    pub health: String,
    /// Time of the newest observation.
    pub last_data_time: Option<String>,
    /// When the last assimilation finished.
    pub last_assimilation: Option<String>,
    /// The last day assimilated.
    pub assimilated_through: Option<String>,
    pub ensemble_size: usize,
    pub observations: i64,
    pub last_forecast_id: Option<i64>,
    pub last_error: Option<String>,
    pub streams: Vec<StreamView>,
}

#[utoipa::path(get, path = "/v1/twins/{twin}/status", tag = "twins", params(("twin" = String, Path)),
    responses((status = 200, body = TwinStatus), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn twin_status(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath(twin): ApiPath<String>,
) -> ApiResult<Json<TwinStatus>> {
    caller.require_read()?;
    let t = twin.clone();
    let (row, streams, count) = state
        .store
        .read(move |c| {
            Ok((
                store::get_twin(c, &t)?,
                store::list_streams(c, Some(&t))?,
                store::count_observations(c, &t)?,
            ))
        })
        .await?;
    let now = now_ms();
    let streams: Vec<StreamView> = streams.iter().map(|s| StreamView::of(s, now)).collect();
    let health = if state.registry.get(&twin).is_none() {
        "unloaded"
    } else if row.last_error.is_some() {
        "error"
    } else if streams.iter().any(|s| s.stale) {
        "stale"
    } else if row.checkpoint_day.is_none() {
        "initialising"
    } else {
        "ok"
    };
    Ok(Json(TwinStatus {
        twin: row.id.clone(),
        health: health.into(),
        last_data_time: streams
            .iter()
            .filter_map(|s| s.last_time_ms)
            .max()
            .map(time_text),
        last_assimilation: row.last_assimilation_ms.map(time_text),
        assimilated_through: row.checkpoint_date.clone(),
        ensemble_size: row.members,
        observations: count,
        last_forecast_id: row.last_forecast_id,
        last_error: row.last_error.clone(),
        streams,
    }))
}
