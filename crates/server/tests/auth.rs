//! Bearer tokens and scopes: admin does everything; read only reads;
//! ingest tokens write only to the streams they name; tokens are stored
//! hashed and shown once.

mod common;

use common::*;
use serde_json::json;

#[test]
fn scopes_limit_what_a_token_can_do() {
    let server = start_server(None);
    let admin = Client::new(&server, Some(ADMIN));
    create_spain_twin(&admin, "spain", 20, 600_000);
    let a = admin.post(
        "/v1/twins/spain/streams",
        &json!({"name": "deaths-proxy", "unit": "p", "observable": "new_hospitalized", "cadence": "1d"}),
    );
    assert_eq!(a.status, 201);
    let token = |scopes: serde_json::Value| {
        let a = admin.post("/v1/tokens", &json!({"name": "t", "scopes": scopes}));
        assert_eq!(a.status, 201, "{a:?}");
        a.body["token"].as_str().unwrap().to_string()
    };
    let reader = token(json!(["read"]));
    let ingester = token(json!(["ingest:spain/hosp"]));
    let reader = Client::new(&server, Some(&reader));
    let ingester = Client::new(&server, Some(&ingester));
    let anonymous = Client::new(&server, None);
    let bogus = Client::new(&server, Some("not-a-token"));

    let obs = |stream: &str| json!({"observations": [{"stream": stream, "time": "2020-03-01", "location": "28", "value": 3}]});
    // No token or an unknown one: 401.
    assert_problem(&anonymous.get("/v1/twins"), 401);
    assert_problem(&bogus.get("/v1/twins"), 401);
    assert_problem(
        &anonymous.post("/v1/twins/spain/observations", &obs("hosp")),
        401,
    );
    // Health and the API description are public.
    assert_eq!(anonymous.get("/health").status, 200);
    assert_eq!(anonymous.get("/openapi.json").status, 200);
    // Read: GETs only.
    assert_eq!(reader.get("/v1/twins/spain/status").status, 200);
    assert_problem(
        &reader.post("/v1/twins/spain/observations", &obs("hosp")),
        403,
    );
    assert_problem(
        &reader.post("/v1/twins", &json!({"spec_path": spain_spec()})),
        403,
    );
    assert_problem(&reader.delete("/v1/twins/spain"), 403);
    assert_problem(&reader.get("/v1/tokens"), 403);
    // Ingest: to its stream only, and no reading.
    assert_eq!(
        ingester
            .post("/v1/twins/spain/observations", &obs("hosp"))
            .status,
        200
    );
    assert_problem(
        &ingester.post("/v1/twins/spain/observations", &obs("deaths-proxy")),
        403,
    );
    assert_problem(&ingester.get("/v1/twins/spain/status"), 403);
    assert_problem(&ingester.post("/v1/twins/spain/streams", &json!({})), 403);
    // Admin sees tokens without their secrets; revoking works at once.
    let list = admin.get("/v1/tokens");
    assert!(list
        .body
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t.get("token").is_none()));
    let id = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["scopes"][0] == "read")
        .unwrap()["id"]
        .clone();
    assert_eq!(admin.delete(&format!("/v1/tokens/{id}")).status, 204);
    assert_problem(&reader.get("/v1/twins"), 401);
    // An admin cannot lock itself out by revoking its own token.
    let own = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "admin")
        .unwrap()["id"]
        .clone();
    assert_problem(&admin.delete(&format!("/v1/tokens/{own}")), 409);
    // Bad scopes are refused.
    let a = admin.post("/v1/tokens", &json!({"name": "x", "scopes": ["root"]}));
    assert_problem(&a, 422);
    assert_eq!(a.body["pointer"], "/scopes/0");
}

#[test]
fn tokens_are_stored_hashed() {
    let server = start_server(None);
    let admin = Client::new(&server, Some(ADMIN));
    let a = admin.post("/v1/tokens", &json!({"name": "t", "scopes": ["read"]}));
    let secret = a.body["token"].as_str().unwrap().to_string();
    let conn = rusqlite::Connection::open(server.dir.path().join("didymos.sqlite")).unwrap();
    let stored: Vec<String> = conn
        .prepare("SELECT sha256 FROM tokens")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(stored
        .iter()
        .all(|h| h.len() == 64 && *h != secret && *h != ADMIN));
    assert!(stored.contains(&didymos_server::auth::hash_token(&secret)));
}
