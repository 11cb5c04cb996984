//! push: a PUT to /api/v0/documents/{id} with the exact body, over plain
//! HTTP/1.1, to a tiny in-process server; non-2xx answers are errors.

use didymos_prov::{push, push_with_token, Error};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::thread::JoinHandle;

struct Request {
    line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Serves one request with the given status and returns what it received.
fn serve_once(status: &'static str) -> (String, JoinHandle<Request>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).unwrap();
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (k, v) = h.split_once(':').unwrap();
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
        let len: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .unwrap()
            .1
            .parse()
            .unwrap();
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();
        let answer = format!("HTTP/1.1 {status}\r\nContent-Length: 14\r\nConnection: close\r\n\r\n{{\"error\":\"x\"}}");
        reader.get_mut().write_all(answer.as_bytes()).unwrap();
        Request {
            line: line.trim_end().to_owned(),
            headers,
            body,
        }
    });
    (url, handle)
}

const BODY: &str = "{\n  \"prefix\": {\"didymos\": \"https://example.invalid/didymos/prov#\"},\n  \"entity\": {\"didymos:x\": {\"prov:label\": \"é ü\"}}\n}\n";

#[test]
fn push_puts_the_exact_body_at_the_documents_endpoint() {
    let (url, server) = serve_once("201 Created");
    push(&url, "run-20261122T035201Z-1a2b3c4d", BODY).unwrap();
    let req = server.join().unwrap();
    assert_eq!(
        req.line,
        "PUT /api/v0/documents/run-20261122T035201Z-1a2b3c4d HTTP/1.1"
    );
    assert_eq!(req.body, BODY.as_bytes());
    let header = |k: &str| {
        req.headers
            .iter()
            .find(|(h, _)| h == k)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(header("content-type").as_deref(), Some("application/json"));
    assert_eq!(
        header("host"),
        Some(url.trim_start_matches("http://").to_owned())
    );
    assert_eq!(header("authorization"), None);
}

#[test]
fn push_keeps_a_base_path_encodes_the_id_and_sends_a_token() {
    let (url, server) = serve_once("200 OK");
    push_with_token(
        &format!("{url}/yprov/"),
        "didymos:run 1",
        BODY,
        Some("s3cret"),
    )
    .unwrap();
    let req = server.join().unwrap();
    assert_eq!(
        req.line,
        "PUT /yprov/api/v0/documents/didymos%3Arun%201 HTTP/1.1"
    );
    assert!(req
        .headers
        .contains(&("authorization".into(), "Bearer s3cret".into())));
}

#[test]
fn a_server_error_is_an_error_with_its_status() {
    let (url, server) = serve_once("500 Internal Server Error");
    let err = push(&url, "doc", BODY).unwrap_err();
    server.join().unwrap();
    match &err {
        Error::Http { status, .. } => assert_eq!(*status, Some(500)),
        other => panic!("expected an HTTP error, got {other:?}"),
    }
    assert!(err.to_string().contains("500"), "{err}");
}

#[test]
fn https_and_unreachable_servers_are_clear_errors() {
    let err = push("https://prov.example.org", "doc", BODY).unwrap_err();
    assert!(
        matches!(err, Error::Url(_)) && err.to_string().contains("https is not supported"),
        "{err}"
    );
    assert!(matches!(push("ftp://x", "doc", BODY), Err(Error::Url(_))));
    // A port nobody listens on: bind, note the port, close.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = push(&format!("http://127.0.0.1:{port}"), "doc", BODY).unwrap_err();
    assert!(matches!(err, Error::Http { status: None, .. }), "{err}");
}
