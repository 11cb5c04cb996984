//! Alert rules, the events they raised, and the webhook delivery log.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{time_text, twin_entry};
use crate::alerts::{Aggregate, RuleForecast, ENSEMBLE_PROBABILITY};
use crate::auth::Caller;
use crate::problem::{ApiJson, ApiPath, ApiResult, Problem};
use crate::store::{self, now_ms, RuleRow};
use crate::SharedState;

/// Fires when P(A > `threshold`) > `probability` on any forecast. With
/// `forecast: twin` (the default), A is the `aggregate` (sum, or max: the
/// peak day) of `target` at `location` over the next `days` days, and P
/// the share of the twin's members above. With `forecast: ensemble` (an
/// epidemic twin), A is the sum over the Forecast Hub epiweek `week` weeks
/// ahead, and P is read off the weekly ensemble's quantiles. A flood
/// twin's threshold may be given as a return period instead, resolved from
/// its observed record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRule {
    pub name: String,
    /// A forecast target, e.g. `new_hospitalized` or `discharge`.
    pub target: String,
    /// A location of the twin, or `total`.
    pub location: String,
    /// `twin` (default): the twin's members, day by day; `ensemble`: an
    /// epidemic twin's weekly ensemble, one epiweek.
    #[serde(default)]
    pub forecast: RuleForecast,
    /// Twin rules: forecast days aggregated (1 = tomorrow only).
    #[serde(default)]
    pub days: Option<usize>,
    /// Ensemble rules: the epiweek, in weeks ahead as the Hub counts them
    /// (`1 wk ahead` ends on the Saturday after the forecast's origin, or on
    /// the Saturday of its week for a Sunday or Monday origin). It must end
    /// within the twin's horizon for some weekday of the origin.
    #[serde(default)]
    pub week: Option<u32>,
    /// Twin rules: `sum` (default) or `max`. Ensemble rules forecast weekly
    /// sums only.
    #[serde(default)]
    pub aggregate: Aggregate,
    /// In the target's unit (a flood twin's discharge: mm/day). Required
    /// unless `return_period_years` is given.
    #[serde(default)]
    pub threshold: Option<f64>,
    /// Flood twins: the threshold is the flow of this return period (> 1,
    /// at most 10000 years), from the annual maxima of the spec's observed
    /// discharge record (the spec's `forecast.return_period_method`, Gumbel
    /// by default).
    #[serde(default)]
    pub return_period_years: Option<f64>,
    /// In [0, 1); for ensemble rules in [0.01, 0.99), the range the
    /// quantiles' outer levels can decide.
    pub probability: f64,
    /// POSTed a JSON payload on each change of state (plain http://).
    #[serde(default)]
    pub webhook_url: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rule {
    pub id: i64,
    pub twin: String,
    pub name: String,
    pub target: String,
    pub location: String,
    /// `twin` or `ensemble`.
    pub forecast: RuleForecast,
    /// Twin rules: forecast days aggregated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<usize>,
    /// Ensemble rules: the epiweek, in weeks ahead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub week: Option<u32>,
    pub aggregate: Aggregate,
    /// The threshold in force (resolved from the return period, if given).
    pub threshold: f64,
    pub return_period_years: Option<f64>,
    pub probability: f64,
    pub webhook_url: Option<String>,
    /// `ok` or `firing`.
    pub state: String,
    /// The exceedance probability at the last evaluation.
    pub last_probability: Option<f64>,
    pub created: String,
}

impl From<RuleRow> for Rule {
    fn from(r: RuleRow) -> Rule {
        Rule {
            id: r.id,
            twin: r.twin_id,
            name: r.name,
            target: r.target,
            location: r.location,
            forecast: r.forecast,
            days: (r.forecast == RuleForecast::Twin).then_some(r.days),
            week: r.week,
            aggregate: r.aggregate,
            threshold: r.threshold,
            return_period_years: r.return_period_years,
            probability: r.probability,
            webhook_url: r.webhook_url,
            state: r.state,
            last_probability: r.last_probability,
            created: time_text(r.created_ms),
        }
    }
}

#[utoipa::path(post, path = "/v1/twins/{twin}/alert-rules", tag = "alerts", params(("twin" = String, Path)),
    request_body = CreateRule,
    responses((status = 201, body = Rule), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json"), (status = 422, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_rule(
    _caller: crate::auth::Admin,
    State(state): State<SharedState>,
    ApiPath(twin): ApiPath<String>,
    ApiJson(req): ApiJson<CreateRule>,
) -> ApiResult<(StatusCode, Json<Rule>)> {
    let entry = twin_entry(&state, &twin)?;
    if req.name.trim().is_empty() || req.name.len() > 200 {
        return Err(Problem::unprocessable("a rule needs a name (at most 200 bytes)").at("/name"));
    }
    if !entry.observables().contains(&req.target) {
        return Err(Problem::unprocessable(format!(
            "twin `{twin}` forecasts no `{}`; its targets are: {}",
            req.target,
            entry.observables().join(", ")
        ))
        .at("/target"));
    }
    if req.location != "total" && !entry.locations().contains(&req.location) {
        return Err(Problem::unprocessable(format!(
            "twin `{twin}` has no location `{}` (use one of its locations or `total`)",
            req.location
        ))
        .at("/location"));
    }
    let (days, week) = rule_period(&state, &entry, &req).await?;
    let threshold = match (req.threshold, req.return_period_years) {
        (Some(t), None) if t.is_finite() => t,
        (Some(_), None) => {
            return Err(Problem::unprocessable("threshold must be a finite number").at("/threshold"))
        }
        (None, Some(years)) => {
            if !(years > 1.0 && years <= 10_000.0) {
                return Err(Problem::unprocessable(
                    "return_period_years must be > 1 and at most 10000",
                )
                .at("/return_period_years"));
            }
            let e2 = entry.clone();
            tokio::task::spawn_blocking(move || e2.hosted.return_period_flow(years))
                .await
                .map_err(|e| Problem::internal(e.to_string()))?
                .map_err(|e| Problem::unprocessable(e).at("/return_period_years"))?
        }
        (None, None) => {
            return Err(Problem::unprocessable(
                "give `threshold` (or, for a flood twin, `return_period_years`)",
            )
            .at("/threshold"))
        }
        (Some(_), Some(_)) => {
            return Err(Problem::unprocessable(
                "give either `threshold` or `return_period_years`, not both",
            )
            .at("/return_period_years"))
        }
    };
    let (low, high) = match req.forecast {
        RuleForecast::Twin => (0.0, 1.0),
        RuleForecast::Ensemble => ENSEMBLE_PROBABILITY,
    };
    if !(low..high).contains(&req.probability) {
        let why = match req.forecast {
            RuleForecast::Twin => String::new(),
            RuleForecast::Ensemble => format!(
                " for an ensemble rule: its quantiles' outer levels only bound P below {low} and above {high}"
            ),
        };
        return Err(
            Problem::unprocessable(format!("probability must be in [{low}, {high}){why}"))
                .at("/probability"),
        );
    }
    if let Some(u) = &req.webhook_url {
        if !u.starts_with("http://") || u.len() > 2000 {
            return Err(Problem::unprocessable(
                "webhook_url must be a plain http:// URL (use a local TLS proxy for https)",
            )
            .at("/webhook_url"));
        }
    }
    let mut row = RuleRow {
        id: 0,
        twin_id: twin.clone(),
        name: req.name,
        target: req.target,
        location: req.location,
        days,
        forecast: req.forecast,
        week,
        threshold,
        probability: req.probability,
        webhook_url: req.webhook_url,
        aggregate: req.aggregate,
        return_period_years: req.return_period_years,
        state: "ok".into(),
        last_probability: None,
        created_ms: now_ms(),
    };
    let r = row.clone();
    row.id = state
        .store
        .write(move |c| store::insert_rule(c, &r))
        .await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// The rule's period: `(days, None)` for a twin rule, `(0, Some(week))`
/// for an ensemble rule, each refused with the field at fault.
async fn rule_period(
    state: &SharedState,
    entry: &crate::registry::TwinEntry,
    req: &CreateRule,
) -> ApiResult<(usize, Option<u32>)> {
    match req.forecast {
        RuleForecast::Twin => {
            if req.week.is_some() {
                return Err(Problem::unprocessable(
                    "`week` is for ensemble rules (`\"forecast\": \"ensemble\"`); a twin rule takes `days`",
                )
                .at("/week"));
            }
            let horizon = twin_horizon(state, entry).await?;
            match req.days {
                // Beyond the horizon the rule would quietly read fewer days
                // than it says.
                Some(d) if (1..=horizon).contains(&d) => Ok((d, None)),
                Some(d) => Err(Problem::unprocessable(format!(
                    "days must be in 1..={horizon}: the twin forecasts {horizon} days, so a rule over {d} \
                     would read fewer than it says (raise the twin's horizon_days first)"
                ))
                .at("/days")),
                None => Err(Problem::unprocessable(
                    "give `days`, the forecast days the rule sums (or takes the peak of)",
                )
                .at("/days")),
            }
        }
        RuleForecast::Ensemble => {
            if !entry.hosted.has_weekly_ensemble() {
                return Err(Problem::unprocessable(format!(
                    "twin `{}` has no weekly ensemble (epidemic twins have one); use `\"forecast\": \"twin\"`",
                    entry.id
                ))
                .at("/forecast"));
            }
            if req.days.is_some() {
                return Err(Problem::unprocessable(
                    "an ensemble rule reads one epiweek: give `week` (weeks ahead), not `days`",
                )
                .at("/days"));
            }
            if req.aggregate != Aggregate::Sum {
                return Err(Problem::unprocessable(
                    "the weekly ensemble forecasts weekly sums: an ensemble rule's aggregate is `sum`",
                )
                .at("/aggregate"));
            }
            let horizon = twin_horizon(state, entry).await?;
            let most = didymos_twin::epiweeks::most_epiweeks(horizon);
            match req.week {
                Some(w) if w >= 1 && w <= most => Ok((0, Some(w))),
                Some(w) => Err(Problem::unprocessable(format!(
                    "week {w} is out of reach: the twin forecasts {horizon} days, which end at most {most} epiweek(s) ahead"
                ))
                .at("/week")),
                None => Err(Problem::unprocessable(
                    "give `week`, the epiweek the rule reads (1 = the first the forecast reports)",
                )
                .at("/week")),
            }
        }
    }
}

/// The days the twin forecasts now.
async fn twin_horizon(state: &SharedState, entry: &crate::registry::TwinEntry) -> ApiResult<usize> {
    let id = entry.id.clone();
    Ok(state
        .store
        .read(move |c| store::get_twin(c, &id))
        .await?
        .horizon_days)
}

/// The twin's rules that read further than `horizon` days would reach:
/// a shorter horizon is refused while they stand.
pub(super) fn rules_beyond(rules: &[store::RuleRow], horizon: usize) -> Vec<String> {
    let most = didymos_twin::epiweeks::most_epiweeks(horizon);
    rules
        .iter()
        .filter(|r| r.days > horizon || r.week.is_some_and(|w| w > most))
        .map(|r| match r.week {
            Some(w) => format!("rule {} (`{}`, week {w})", r.id, r.name),
            None => format!("rule {} (`{}`, {} days)", r.id, r.name, r.days),
        })
        .collect()
}

#[utoipa::path(get, path = "/v1/twins/{twin}/alert-rules", tag = "alerts", params(("twin" = String, Path)),
    responses((status = 200, body = Vec<Rule>), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_rules(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath(twin): ApiPath<String>,
) -> ApiResult<Json<Vec<Rule>>> {
    caller.require_read()?;
    twin_entry(&state, &twin)?;
    let rows = state
        .store
        .read(move |c| store::list_rules(c, &twin))
        .await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/v1/twins/{twin}/alert-rules/{id}", tag = "alerts",
    params(("twin" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = Rule), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_rule(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath((twin, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<Rule>> {
    caller.require_read()?;
    let row = state
        .store
        .read(move |c| store::get_rule(c, &twin, id))
        .await?;
    Ok(Json(row.into()))
}

#[utoipa::path(delete, path = "/v1/twins/{twin}/alert-rules/{id}", tag = "alerts",
    params(("twin" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn delete_rule(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath((twin, id)): ApiPath<(String, i64)>,
) -> ApiResult<StatusCode> {
    caller.require_admin()?;
    state
        .store
        .write(move |c| store::delete_rule(c, &twin, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertEvent {
    pub id: i64,
    pub rule_id: i64,
    pub forecast_id: i64,
    /// `firing` or `resolved`.
    pub state: String,
    pub probability: f64,
    pub created: String,
}

/// Alert events of a twin, newest first.
#[utoipa::path(get, path = "/v1/twins/{twin}/alerts", tag = "alerts", params(("twin" = String, Path)),
    responses((status = 200, body = Vec<AlertEvent>), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_events(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath(twin): ApiPath<String>,
) -> ApiResult<Json<Vec<AlertEvent>>> {
    caller.require_read()?;
    twin_entry(&state, &twin)?;
    let rows = state
        .store
        .read(move |c| store::list_events(c, &twin, 1000))
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|e| AlertEvent {
                id: e.id,
                rule_id: e.rule_id,
                forecast_id: e.forecast_id,
                state: e.state,
                probability: e.probability,
                created: time_text(e.created_ms),
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryAttempt {
    pub attempt: u32,
    pub at: String,
    pub http_status: Option<u16>,
    pub error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    pub id: i64,
    pub event_id: i64,
    pub url: String,
    /// `pending`, `delivered` or `failed` (after the last retry).
    pub status: String,
    pub attempts: Vec<DeliveryAttempt>,
    pub payload: serde_json::Value,
}

/// The webhook delivery log of a twin, newest first.
#[utoipa::path(get, path = "/v1/twins/{twin}/deliveries", tag = "alerts", params(("twin" = String, Path)),
    responses((status = 200, body = Vec<Delivery>), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_deliveries(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath(twin): ApiPath<String>,
) -> ApiResult<Json<Vec<Delivery>>> {
    caller.require_read()?;
    twin_entry(&state, &twin)?;
    let rows = state
        .store
        .read(move |c| store::list_deliveries(c, &twin, 1000))
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|(d, attempts)| Delivery {
                id: d.id,
                event_id: d.event_id,
                url: d.url,
                status: d.status,
                payload: serde_json::from_str(&d.payload).unwrap_or_default(),
                attempts: attempts
                    .into_iter()
                    .map(|a| DeliveryAttempt {
                        attempt: a.attempt,
                        at: time_text(a.at_ms),
                        http_status: a.http_status,
                        error: a.error,
                    })
                    .collect(),
            })
            .collect(),
    ))
}
