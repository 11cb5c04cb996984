//! The Didymos web dashboard: plain HTML, CSS and JavaScript (ES modules,
//! no framework, no build step), embedded in the binary and served at `/`
//! and `/assets/...` by `didymos serve`. No page or asset needs a token:
//! the browser holds a read token typed by the user and sends it to the
//! API as `Authorization: Bearer`.
//!
//! The map draws the bundled GeoJSON of the Spanish provinces
//! (`data/spain/spain_provinces.geojson`, property `cod_prov`), served at
//! `/assets/geo/spain_provinces.geojson`; the page uses it when the twin's
//! locations are its `cod_prov` codes and says so when they are not.
#![forbid(unsafe_code)]

mod assets;

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

pub use assets::{asset, Asset, ASSETS};

/// The dashboard's routes, to merge into the service's router. They use
/// no state, so they fit a router of any state type.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/assets/{*path}", get(asset_by_path))
}

async fn index() -> Response {
    match asset("index.html") {
        Some(a) => respond(a),
        None => not_found("index.html"),
    }
}

async fn asset_by_path(Path(path): Path<String>) -> Response {
    match asset(&path) {
        Some(a) => respond(a),
        None => not_found(&path),
    }
}

/// Security headers: the page may talk only to its own origin (the
/// service), never to a CDN; nothing may frame it.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
                   script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

fn respond(a: &Asset) -> Response {
    let mut r = (StatusCode::OK, a.body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(a.content_type),
    );
    // Assets change with the binary, not by name: revalidate every time.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

/// A problem+json 404 like the API's, without depending on the service.
fn not_found(path: &str) -> Response {
    let safe: String = path
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(200)
        .collect();
    let body = format!(
        "{{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404,\"detail\":\"no dashboard asset `{}`\"}}",
        safe.replace(['"', '\\'], "")
    );
    let mut r = (StatusCode::NOT_FOUND, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    r
}
