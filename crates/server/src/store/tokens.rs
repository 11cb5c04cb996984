//! API tokens, stored as SHA-256 hashes of the secret.

use rusqlite::{params, Connection};

use super::{StoreError, StoreResult};

#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub sha256: String,
    pub scopes: Vec<String>,
    pub created_ms: i64,
}

pub fn insert_token(
    conn: &Connection,
    name: &str,
    sha256: &str,
    scopes: &[String],
    created_ms: i64,
) -> StoreResult<i64> {
    let scopes = serde_json::to_string(scopes).map_err(|e| StoreError::Sqlite(e.to_string()))?;
    conn.execute(
        "INSERT INTO tokens (name, sha256, scopes, created_ms) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (sha256) DO UPDATE SET scopes = excluded.scopes, name = excluded.name",
        params![name, sha256, scopes, created_ms],
    )?;
    Ok(
        conn.query_row("SELECT id FROM tokens WHERE sha256 = ?1", [sha256], |r| {
            r.get(0)
        })?,
    )
}

pub fn list_tokens(conn: &Connection) -> StoreResult<Vec<TokenRow>> {
    let mut st =
        conn.prepare("SELECT id, name, sha256, scopes, created_ms FROM tokens ORDER BY id")?;
    let rows = st.query_map([], |r| {
        let scopes: String = r.get(3)?;
        Ok(TokenRow {
            id: r.get(0)?,
            name: r.get(1)?,
            sha256: r.get(2)?,
            scopes: serde_json::from_str(&scopes).unwrap_or_default(),
            created_ms: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub fn delete_token(conn: &Connection, id: i64) -> StoreResult<()> {
    if conn.execute("DELETE FROM tokens WHERE id = ?1", [id])? == 0 {
        return Err(StoreError::NotFound(format!("no token {id}")));
    }
    Ok(())
}
