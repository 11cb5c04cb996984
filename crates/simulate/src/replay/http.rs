//! The HTTP target: `POST {base}/observations` with a JSON body
//! `{"observations": [...]}`, an `Idempotency-Key` per batch (derived from
//! the file's hash, the batch size and the batch index, so a retried batch,
//! or a whole replay run again, is never stored twice) and an optional
//! bearer token. 5xx, 429 and connection errors are retried with
//! exponential backoff; other 4xx answers are errors.

use std::time::Duration;

use super::{SendOutcome, Sink};
use crate::record::Record;

pub struct HttpSink {
    agent: ureq::Agent,
    url: String,
    token: Option<String>,
    key_prefix: String,
    retries: u32,
}

impl HttpSink {
    /// `base` is `http://host:port/v1/twins/NAME` (or already ends with
    /// `/observations`).
    pub fn new(base: &str, token: Option<String>, key_prefix: String, retries: u32) -> HttpSink {
        let base = base.trim_end_matches('/');
        let url = if base.ends_with("/observations") {
            base.to_string()
        } else {
            format!("{base}/observations")
        };
        HttpSink {
            agent: ureq::AgentBuilder::new()
                .timeout_connect(Duration::from_secs(5))
                .timeout(Duration::from_secs(30))
                .build(),
            url,
            token,
            key_prefix,
            retries,
        }
    }

    fn post(&self, body: &str, key: &str) -> Result<(u64, bool), (bool, String)> {
        let mut req = self
            .agent
            .post(&self.url)
            .set("Content-Type", "application/json")
            .set("Idempotency-Key", key);
        if let Some(t) = &self.token {
            req = req.set("Authorization", &format!("Bearer {t}"));
        }
        match req.send_string(body) {
            Ok(resp) => {
                let v: serde_json::Value = resp.into_json().unwrap_or(serde_json::Value::Null);
                let accepted = v["accepted"].as_u64().unwrap_or(0);
                Ok((accepted, v["duplicate"].as_bool().unwrap_or(false)))
            }
            Err(ureq::Error::Status(code, resp)) => {
                let text = resp.into_string().unwrap_or_default();
                let retry = code >= 500 || code == 429;
                Err((
                    retry,
                    format!("HTTP {code} from {}: {}", self.url, text.trim()),
                ))
            }
            Err(e) => Err((true, format!("{}: {e}", self.url))),
        }
    }
}

impl Sink for HttpSink {
    fn send(&mut self, batch: &[Record], index: u64) -> SendOutcome {
        let mut body = String::with_capacity(batch.len() * 100 + 20);
        body.push_str("{\"observations\":[");
        for (i, r) in batch.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(&r.to_wire_json());
        }
        body.push_str("]}");
        let key = format!("{}-{index}", self.key_prefix);
        let mut attempt = 0;
        loop {
            match self.post(&body, &key) {
                Ok((accepted, duplicate)) => {
                    let mut out = SendOutcome::accepted(0);
                    out.accepted = accepted;
                    out.duplicates = if duplicate { batch.len() as u64 } else { 0 };
                    out.retries = attempt;
                    return out;
                }
                Err((retry, msg)) => {
                    if !retry || attempt >= self.retries {
                        let mut out = SendOutcome::failed(batch.len(), msg);
                        out.retries = attempt;
                        return out;
                    }
                    let backoff =
                        Duration::from_millis(50u64 << attempt.min(6)).min(Duration::from_secs(2));
                    std::thread::sleep(backoff);
                    attempt += 1;
                }
            }
        }
    }
    fn finish(&mut self) -> Result<(), String> {
        Ok(())
    }
}
