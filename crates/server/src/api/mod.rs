//! The REST API: one file per resource, plain async handlers with typed
//! extractors; every error is problem+json.

pub mod alerts;
pub mod forecasts;
pub mod mqtt;
pub mod observations;
pub mod retractions;
pub mod runs;
pub mod scenarios;
pub mod skill;
pub mod streams;
pub mod tokens;
mod twin_spec;
pub mod twins;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::problem::{method_not_allowed, not_found_fallback, ApiResult, Problem};
use crate::registry::TwinEntry;
use crate::SharedState;

pub fn router(state: SharedState) -> Router {
    let limit = state.config.max_body_bytes;
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .route("/health", get(health))
        .route("/v1/twins", post(twins::create_twin).get(twins::list_twins))
        .route(
            "/v1/twins/{twin}",
            get(twins::get_twin)
                .delete(twins::delete_twin)
                .patch(twins::update_twin),
        )
        .route("/v1/twins/{twin}/status", get(twins::twin_status))
        .route("/v1/twins/{twin}/reassimilate", post(twins::reassimilate))
        .route(
            "/v1/twins/{twin}/streams",
            post(streams::register_stream).get(streams::list_streams),
        )
        .route(
            "/v1/twins/{twin}/streams/{stream}",
            get(streams::get_stream),
        )
        .route(
            "/v1/twins/{twin}/streams/{stream}/pause",
            post(streams::pause_stream),
        )
        .route(
            "/v1/twins/{twin}/streams/{stream}/resume",
            post(streams::resume_stream),
        )
        .route(
            "/v1/twins/{twin}/streams/{stream}/observations",
            get(observations::stream_history),
        )
        .route("/v1/twins/{twin}/observations", post(observations::ingest))
        .route(
            "/v1/twins/{twin}/observations/retract",
            post(retractions::retract),
        )
        .route(
            "/v1/twins/{twin}/observations/latest",
            get(observations::latest),
        )
        .route("/v1/twins/{twin}/forecasts", get(forecasts::list_forecasts))
        .route("/v1/twins/{twin}/skill", get(skill::twin_skill))
        .route(
            "/v1/twins/{twin}/forecasts/latest",
            get(forecasts::latest_forecast),
        )
        .route(
            "/v1/twins/{twin}/forecasts/{id}",
            get(forecasts::get_forecast),
        )
        .route(
            "/v1/twins/{twin}/alert-rules",
            post(alerts::create_rule).get(alerts::list_rules),
        )
        .route(
            "/v1/twins/{twin}/alert-rules/{id}",
            get(alerts::get_rule).delete(alerts::delete_rule),
        )
        .route("/v1/twins/{twin}/alerts", get(alerts::list_events))
        .route("/v1/twins/{twin}/deliveries", get(alerts::list_deliveries))
        .route(
            "/v1/twins/{twin}/scenarios",
            post(scenarios::submit_scenarios).get(scenarios::list_scenario_jobs),
        )
        .route("/v1/jobs/{id}", get(scenarios::get_job))
        .route("/v1/jobs/{id}/cancel", post(scenarios::cancel_job))
        .route("/v1/runs", get(runs::list_runs))
        .route("/v1/runs/{id}", get(runs::get_run))
        .route("/v1/runs/{id}/prov", get(runs::run_prov))
        .route("/runs/{id}/prov", get(runs::run_prov))
        .route("/v1/events", get(crate::events::events))
        .route("/v1/mqtt", get(mqtt::mqtt_status))
        .route("/v1/mqtt/rejected", get(mqtt::list_rejected))
        .route("/v1/mqtt/rejected/{id}/retry", post(mqtt::retry_rejected))
        .route(
            "/v1/tokens",
            post(tokens::create_token).get(tokens::list_tokens),
        )
        .route(
            "/v1/tokens/{id}",
            axum::routing::delete(tokens::delete_token),
        )
        // The web dashboard: static pages and assets, open without a token
        // (the API calls they make carry the user's token).
        .merge(didymos_dashboard::routes())
        .fallback(not_found_fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| async move {
                match declared_too_large(&req, limit) {
                    Some(p) => p.into_response(),
                    None => next.run(req).await,
                }
            },
        ))
        .with_state(state)
}

/// A request whose Content-Length is over the limit is answered 413 before
/// any of its body is read. The body limit alone answers only after reading
/// up to the limit, and the client, still sending, may then see the
/// connection close under it (a broken pipe) instead of the answer; a
/// client that sends `Expect: 100-continue` now gets the 413 and sends
/// nothing.
fn declared_too_large(req: &axum::extract::Request, limit: usize) -> Option<Problem> {
    let declared: u64 = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (declared > limit as u64).then(|| {
        Problem::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is {declared} bytes; at most {limit} are accepted"),
        )
    })
}

/// The twin, loaded, or 404.
pub fn twin_entry(state: &SharedState, id: &str) -> ApiResult<Arc<TwinEntry>> {
    state
        .registry
        .get(id)
        .ok_or_else(|| Problem::not_found(format!("no twin `{id}`")))
}

/// The OpenAPI 3.1 document of this API, generated from the code.
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(crate::openapi::document())
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    pub status: String,
    pub version: String,
    pub schema_version: i64,
}

/// Liveness (no token needed).
#[utoipa::path(get, path = "/health", tag = "meta", responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        schema_version: crate::store::SCHEMA_VERSION,
    })
}

/// Milliseconds → RFC 3339.
pub fn time_text(ms: i64) -> String {
    didymos_core::timestamp::format_time(ms)
}
