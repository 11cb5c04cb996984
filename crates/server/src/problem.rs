//! RFC 9457 problem details: every error the API returns, and extractors
//! whose rejections are problems too, so that no bad request is answered
//! with a bare text body or a 500.

use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use utoipa::ToSchema;

/// An error answer (`application/problem+json`), kept small because every
/// handler returns it: the rarely used parts are boxed.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: u16,
    pub detail: String,
    pub place: Option<Box<Place>>,
}

/// Where in the request the problem is.
#[derive(Debug, Clone, Default)]
pub struct Place {
    pub pointer: Option<String>,
    pub line: Option<u64>,
    pub field: Option<String>,
}

/// The problem document as sent (RFC 9457 with extension members).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemDocument {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// JSON Pointer (RFC 6901) to the offending field of the request body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// Line of an NDJSON or CSV body (1-based).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Field (column or key) on that line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

pub type ApiResult<T> = Result<T, Problem>;

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Problem {
        Problem {
            status: status.as_u16(),
            detail: detail.into(),
            place: None,
        }
    }
    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, detail)
    }
    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, detail)
    }
    pub fn conflict(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::CONFLICT, detail)
    }
    pub fn unprocessable(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, detail)
    }
    pub fn internal(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, detail)
    }
    pub fn at(mut self, pointer: impl Into<String>) -> Problem {
        self.place.get_or_insert_with(Default::default).pointer = Some(pointer.into());
        self
    }
    pub fn on_line(mut self, line: u64, field: Option<&str>) -> Problem {
        let place = self.place.get_or_insert_with(Default::default);
        place.line = Some(line);
        place.field = field.map(str::to_string);
        self
    }
    pub fn pointer(&self) -> Option<&str> {
        self.place.as_ref()?.pointer.as_deref()
    }
    pub fn document(&self) -> ProblemDocument {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let title = status.canonical_reason().unwrap_or("Error").to_string();
        let slug = title.to_lowercase().replace(' ', "-");
        let place = self.place.as_deref().cloned().unwrap_or_default();
        ProblemDocument {
            kind: format!("https://didymos.invalid/problems/{slug}"),
            title,
            status: self.status,
            detail: self.detail.clone(),
            pointer: place.pointer,
            line: place.line,
            field: place.field,
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.detail)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::error!("{}", self.detail);
        }
        let body = serde_json::to_vec(&self.document()).unwrap_or_default();
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response()
    }
}

impl From<crate::store::StoreError> for Problem {
    fn from(e: crate::store::StoreError) -> Problem {
        match e {
            crate::store::StoreError::Conflict(m) => Problem::conflict(m),
            crate::store::StoreError::NotFound(m) => Problem::not_found(m),
            // The service cannot serve this until its store is restored;
            // the request itself was fine and nothing of it was kept.
            damaged @ crate::store::StoreError::Damaged { .. } => {
                tracing::error!("{damaged}");
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, damaged.to_string())
            }
            full @ crate::store::StoreError::Full { .. } => {
                tracing::error!("{full}");
                Problem::new(StatusCode::INSUFFICIENT_STORAGE, full.to_string())
            }
            other => Problem::internal(other.to_string()),
        }
    }
}

/// Parses JSON text into `T`, naming the JSON path of a bad field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        // Serde reads a struct from an array too (field by field), so a
        // bare list would be answered "expected a sequence" at `/0`, which
        // says the opposite of what is wrong.
        let bare_list = bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|&b| b == b'[');
        if bare_list && e.inner().is_data() {
            return Problem::unprocessable(
                "invalid request: the body must be a JSON object ({…}), not an array",
            );
        }
        let pointer = json_pointer(&e.path().to_string());
        let inner = e.into_inner();
        let status = if inner.is_data() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::BAD_REQUEST
        };
        let p = Problem::new(
            status,
            if inner.is_data() {
                format!("invalid request: {inner}")
            } else {
                format!("invalid JSON: {inner}")
            },
        );
        match pointer {
            Some(ptr) => p.at(ptr),
            None => p,
        }
    })
}

/// `observations[3].time` → `/observations/3/time`; `.` (the root) → none.
fn json_pointer(path: &str) -> Option<String> {
    if path == "." || path.is_empty() {
        return None;
    }
    let mut out = String::new();
    for part in path.split(['.', '[']) {
        let part = part.trim_end_matches(']');
        if part.is_empty() {
            continue;
        }
        out.push('/');
        out.push_str(&part.replace('~', "~0").replace('/', "~1"));
    }
    Some(out)
}

/// A JSON body whose errors are problems with the field's pointer.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;
    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if !content_type.starts_with("application/json") {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("expected Content-Type application/json, got `{content_type}`"),
            ));
        }
        let body = RawBody::from_request(req, state).await?;
        parse_json(&body.0).map(ApiJson)
    }
}

/// The raw body, within the configured size limit (413 beyond it).
pub struct RawBody(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = Problem;
    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        axum::body::Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|e: BytesRejection| Problem::new(e.status(), e.body_text()))
    }
}

/// Path parameters whose rejections are problems.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e: PathRejection| {
                let status = if e.status().is_server_error() {
                    StatusCode::BAD_REQUEST
                } else {
                    e.status()
                };
                Problem::new(status, e.body_text())
            })
    }
}

/// Query parameters whose rejections are problems (422 for a bad value).
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            // Query structs deny unknown fields: a misspelt or unsupported
            // filter would otherwise be ignored and the answer unfiltered.
            .map_err(|e: QueryRejection| {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, e.body_text())
            })
    }
}

/// The answer for routes that do not exist.
pub async fn not_found_fallback(uri: axum::http::Uri) -> Problem {
    Problem::not_found(format!("no such resource: {}", uri.path()))
}

/// The answer for a known route with the wrong method.
pub async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "this resource does not support that method",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_follow_rfc_6901() {
        assert_eq!(
            json_pointer("observations[3].time").as_deref(),
            Some("/observations/3/time")
        );
        assert_eq!(json_pointer("."), None);
    }
}
