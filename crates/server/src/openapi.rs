//! The OpenAPI 3.1 document, generated from the handlers' annotations and
//! the request/response types (utoipa), never written by hand.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;

#[derive(OpenApi)]
#[openapi(
    info(title = "Didymos twin service", description = "Twins, data streams, durable ingest, live assimilation, forecasts, scenarios and alerts."),
    paths(
        api::openapi_json, api::health, api::mqtt::mqtt_status, api::mqtt::list_rejected, api::mqtt::retry_rejected,
        api::twins::create_twin, api::twins::list_twins, api::twins::get_twin,
        api::twins::delete_twin, api::twins::update_twin, api::twins::twin_status, api::twins::reassimilate,
        api::streams::register_stream, api::streams::list_streams, api::streams::get_stream,
        api::streams::pause_stream, api::streams::resume_stream,
        api::observations::ingest, api::observations::stream_history, api::observations::latest,
        api::retractions::retract,
        api::forecasts::latest_forecast, api::forecasts::list_forecasts, api::forecasts::get_forecast,
        api::skill::twin_skill,
        api::alerts::create_rule, api::alerts::list_rules, api::alerts::get_rule,
        api::alerts::delete_rule, api::alerts::list_events, api::alerts::list_deliveries,
        api::scenarios::submit_scenarios, api::scenarios::list_scenario_jobs,
        api::scenarios::get_job, api::scenarios::cancel_job,
        api::runs::list_runs, api::runs::get_run, api::runs::run_prov,
        api::tokens::create_token, api::tokens::list_tokens, api::tokens::delete_token,
        crate::events::events,
    ),
    components(schemas(
        crate::problem::ProblemDocument, crate::ingest::ObservationIn, crate::ingest::ObservationBatch,
        crate::events::ServiceEvent, crate::store::ValueType, crate::alerts::Aggregate, crate::alerts::RuleForecast,
        crate::hosted::TwinKind,
    )),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
