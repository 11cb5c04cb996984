//! Upload to a yProv service: `PUT {url}/api/v0/documents/{id}` over plain HTTP/1.1.

use crate::{Error, Result};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);

/// Uploads a PROV-JSON document to a yProv-compatible service with
/// `PUT {url}/api/v0/documents/{doc_id}`. Only `http://` URLs are supported
/// (`https://` is refused with a clear error). A non-2xx answer is an
/// [`Error::Http`] carrying the status.
pub fn push(url: &str, doc_id: &str, body: &str) -> Result<()> {
    push_with_token(url, doc_id, body, None)
}

/// [`push`], sending `Authorization: Bearer {token}` when a token is given.
pub fn push_with_token(url: &str, doc_id: &str, body: &str, token: Option<&str>) -> Result<()> {
    let rest = match url.split_once("://") {
        Some(("http", rest)) => rest,
        Some(("https", _)) => {
            return Err(Error::Url(format!(
                "{url}: https is not supported (plain http only); use an http:// endpoint or a local TLS proxy"
            )))
        }
        _ => return Err(Error::Url(format!("{url}: expected an http:// URL"))),
    };
    let (authority, base) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    if authority.is_empty() {
        return Err(Error::Url(format!("{url}: no host")));
    }
    let host_port = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let base = base.trim_end_matches('/');
    let path = if base.is_empty() {
        format!("/api/v0/documents/{}", encode(doc_id))
    } else {
        format!("/{base}/api/v0/documents/{}", encode(doc_id))
    };
    let full = format!("http://{authority}{path}");
    let fail = |status: Option<u16>, message: String| Error::Http {
        url: full.clone(),
        status,
        message,
    };

    let addr = host_port
        .to_socket_addrs()
        .map_err(|e| fail(None, format!("cannot resolve {host_port}: {e}")))?
        .next()
        .ok_or_else(|| fail(None, format!("cannot resolve {host_port}")))?;
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT)
        .map_err(|e| fail(None, format!("connect: {e}")))?;
    let io = |e: std::io::Error| fail(None, e.to_string());
    stream.set_read_timeout(Some(TIMEOUT)).map_err(io)?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(io)?;
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: didymos-prov/{}\r\nContent-Type: application/json\r\nAccept: application/json\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION"),
        body.len()
    );
    stream.write_all(head.as_bytes()).map_err(io)?;
    stream.write_all(body.as_bytes()).map_err(io)?;
    stream.flush().map_err(io)?;

    let mut reply = Vec::new();
    // The server may close once it has answered; what we read so far counts.
    let read = stream.read_to_end(&mut reply);
    if reply.is_empty() {
        return Err(fail(
            None,
            format!(
                "no response: {}",
                read.err()
                    .map_or("connection closed".into(), |e| e.to_string())
            ),
        ));
    }
    let text = String::from_utf8_lossy(&reply);
    let status_line = text.lines().next().unwrap_or("");
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| fail(None, format!("malformed response: {status_line:?}")))?;
    if (200..300).contains(&status) {
        return Ok(());
    }
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b).trim();
    let snippet: String = body.chars().take(300).collect();
    Err(fail(
        Some(status),
        format!("server answered {status_line}: {snippet}"),
    ))
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
