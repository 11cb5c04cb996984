//! One observation as the service ingests it (THE INGEST CONTRACT):
//!
//! ```json
//! {"stream": "cases", "time": "2020-03-01", "location": "28", "stratum": "Y", "value": 12.0}
//! ```
//!
//! `time` is a date or an RFC 3339 date-time; `location` and `stratum` are
//! optional. Two optional trailing fields (CSV columns after `value`) are
//! ours: `issued`, the date a record was published when it was published
//! later than `time` (a backfill revision, or a record dumped after an
//! outage; a revision repeats the key of an earlier record with an updated
//! value), and `flag`, which is `"censored"` when the true value lies below
//! `value` (a wastewater sample under the detection limit). Replay orders
//! records by `issued` when present, otherwise by `time`, and sends the
//! contract's fields ([`Record::to_wire_json`]): the five, and `issued`
//! where given (the service dates revisions by it; a nowcasting twin learns
//! from them how complete recent counts are), never `flag`.

use serde::{Deserialize, Serialize};

use crate::timefmt::parse_timestamp;

/// The CSV header: the contract's five columns, then ours.
pub const CSV_COLUMNS: [&str; 7] = [
    "stream", "time", "location", "stratum", "value", "issued", "flag",
];

/// The value of `flag` for a value below the detection limit.
pub const CENSORED: &str = "censored";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub stream: String,
    pub time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stratum: Option<String>,
    pub value: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
}

impl Record {
    /// When the record became available (seconds since the epoch): `issued`
    /// if given, else `time`.
    pub fn available_at(&self) -> Result<f64, String> {
        match &self.issued {
            Some(i) => parse_timestamp(i).map_err(|e| format!("issued: {e}")),
            None => parse_timestamp(&self.time).map_err(|e| format!("time: {e}")),
        }
    }

    /// Checks the contract: non-empty stream, a valid time, a finite value.
    pub fn validate(&self) -> Result<(), String> {
        if self.stream.trim().is_empty() {
            return Err("`stream` is empty".into());
        }
        parse_timestamp(&self.time).map_err(|e| format!("time: {e}"))?;
        if let Some(i) = &self.issued {
            parse_timestamp(i).map_err(|e| format!("issued: {e}"))?;
        }
        if !self.value.is_finite() {
            return Err(format!(
                "`value` must be a finite number, got {}",
                self.value
            ));
        }
        Ok(())
    }

    /// One JSON object with every field, no trailing newline (NDJSON files).
    pub fn to_json(&self) -> String {
        // A struct of strings and a finite f64 always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// One JSON object with the contract's fields only: what replay sends,
    /// since the service rejects unknown fields. `issued` goes too (besides
    /// deciding the order and the pacing, it dates a revision in the
    /// store); `flag` is not sent, so a censored value arrives as the
    /// detection limit.
    pub fn to_wire_json(&self) -> String {
        let wire = WireRecord {
            stream: &self.stream,
            time: &self.time,
            location: self.location.as_deref(),
            stratum: self.stratum.as_deref(),
            value: self.value,
            issued: self.issued.as_deref(),
        };
        serde_json::to_string(&wire).unwrap_or_default()
    }
}

#[derive(Serialize)]
struct WireRecord<'a> {
    stream: &'a str,
    time: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stratum: Option<&'a str>,
    value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    issued: Option<&'a str>,
}
