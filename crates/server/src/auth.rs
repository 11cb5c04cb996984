//! Bearer tokens with scopes. A token is 32 random bytes (hex); the store
//! keeps only its SHA-256, which is enough for secrets of that entropy (a
//! slow password hash protects guessable secrets; these are not).
//!
//! Scopes: `admin` (everything), `read` (every GET), `scenarios` (submit
//! and cancel scenario jobs), and `ingest:TWIN/STREAM` to post
//! observations, where either part may be `*` (`ingest:*` = everywhere).

use std::collections::HashMap;
use std::sync::RwLock;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::problem::Problem;
use crate::SharedState;

/// Who is calling, and what they may do.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token's id (0 for none).
    pub id: i64,
    pub name: String,
    pub scopes: Vec<String>,
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.scopes.iter().any(|s| s == "admin")
    }
    fn has(&self, scope: &str) -> bool {
        self.is_admin() || self.scopes.iter().any(|s| s == scope)
    }
    pub fn require_admin(&self) -> Result<(), Problem> {
        self.check(self.is_admin(), "admin")
    }
    pub fn require_read(&self) -> Result<(), Problem> {
        self.check(self.has("read"), "read")
    }
    pub fn require_scenarios(&self) -> Result<(), Problem> {
        self.check(self.has("scenarios"), "scenarios")
    }
    pub fn can_ingest(&self, twin: &str, stream: &str) -> bool {
        self.is_admin()
            || self.scopes.iter().any(|s| {
                let Some(target) = s.strip_prefix("ingest:") else {
                    return false;
                };
                if target == "*" {
                    return true;
                }
                let (t, st) = target.split_once('/').unwrap_or((target, "*"));
                (t == "*" || t == twin) && (st == "*" || st == stream)
            })
    }
    pub fn require_ingest(&self, twin: &str, stream: &str) -> Result<(), Problem> {
        self.check(
            self.can_ingest(twin, stream),
            &format!("ingest:{twin}/{stream}"),
        )
    }
    fn check(&self, ok: bool, scope: &str) -> Result<(), Problem> {
        if ok {
            Ok(())
        } else {
            Err(Problem::new(
                StatusCode::FORBIDDEN,
                format!("token `{}` lacks the scope `{scope}`", self.name),
            ))
        }
    }
}

/// Checks that a scope string is one the server knows.
pub fn valid_scope(s: &str) -> bool {
    matches!(s, "admin" | "read" | "scenarios")
        || s.strip_prefix("ingest:").is_some_and(|t| {
            !t.is_empty() && t.split('/').count() <= 2 && t.split('/').all(|p| !p.is_empty())
        })
}

pub fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("dt_{hex}")
}

/// Token hash → caller, mirrored from the store.
#[derive(Default)]
pub struct TokenCache {
    by_hash: RwLock<HashMap<String, Caller>>,
}

impl TokenCache {
    pub fn replace(&self, tokens: Vec<crate::store::TokenRow>) {
        if let Ok(mut m) = self.by_hash.write() {
            *m = tokens
                .into_iter()
                .map(|t| {
                    (
                        t.sha256,
                        Caller {
                            id: t.id,
                            name: t.name,
                            scopes: t.scopes,
                        },
                    )
                })
                .collect();
        }
    }
    fn lookup(&self, hash: &str) -> Option<Caller> {
        self.by_hash.read().ok()?.get(hash).cloned()
    }
}

impl FromRequestParts<SharedState> for Caller {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &SharedState) -> Result<Self, Problem> {
        let unauthorised = |msg: &str| Problem::new(StatusCode::UNAUTHORIZED, msg);
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| unauthorised("missing `Authorization: Bearer TOKEN`"))?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| unauthorised("the Authorization header must be `Bearer TOKEN`"))?;
        state
            .tokens
            .lookup(&hash_token(token))
            .ok_or_else(|| unauthorised("unknown token"))
    }
}

/// A caller with the `admin` scope (403 otherwise), checked before the
/// request body is read.
pub struct Admin(pub Caller);

impl FromRequestParts<SharedState> for Admin {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &SharedState) -> Result<Self, Problem> {
        let c = Caller::from_request_parts(parts, state).await?;
        c.require_admin()?;
        Ok(Admin(c))
    }
}

/// A caller allowed to run scenario jobs (403 otherwise).
pub struct ScenarioRunner(pub Caller);

impl FromRequestParts<SharedState> for ScenarioRunner {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &SharedState) -> Result<Self, Problem> {
        let c = Caller::from_request_parts(parts, state).await?;
        c.require_scenarios()?;
        Ok(ScenarioRunner(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ingest_scopes_match_twin_and_stream() {
        let c = Caller {
            id: 1,
            name: "t".into(),
            scopes: vec!["ingest:spain/hosp".into(), "ingest:other/*".into()],
        };
        assert!(c.can_ingest("spain", "hosp"));
        assert!(!c.can_ingest("spain", "deaths"));
        assert!(c.can_ingest("other", "x"));
        assert!(c.require_read().is_err());
        assert!(valid_scope("ingest:*") && valid_scope("read") && !valid_scope("ingest:"));
    }
}
