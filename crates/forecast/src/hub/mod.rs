//! Forecast Hub CSV files.
//!
//! One row per (forecast, quantile level) with the columns
//! `forecast_date,target,target_end_date,location,type,quantile,value`:
//! `type` is `quantile` (with a level in `quantile`) or `point` (empty
//! `quantile`, value = the median). Targets read `"{h} day ahead {name}"` or
//! `"{h} wk ahead {name}"`, the name (e.g. `inc case`) being the caller's.
//!
//! Files are written under a temporary name and renamed when complete, so
//! a crash never leaves a truncated file that looks finished.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use didymos_core::{Date, Error, Result};

use crate::quantiles::epiweek_end;
use crate::scores::QuantileForecast;

mod read;
pub use read::read_hub_csv;

/// The header, in order.
pub const HUB_COLUMNS: [&str; 7] = [
    "forecast_date",
    "target",
    "target_end_date",
    "location",
    "type",
    "quantile",
    "value",
];

/// Unit of a target's horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HorizonUnit {
    Day,
    Week,
}

/// A target such as `2 wk ahead inc hosp`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    pub horizon: u32,
    pub unit: HorizonUnit,
    /// What is forecast, e.g. `inc hosp`.
    pub name: String,
}

impl Target {
    pub fn new(horizon: u32, unit: HorizonUnit, name: impl Into<String>) -> Self {
        Target {
            horizon,
            unit,
            name: name.into(),
        }
    }

    /// The date the target refers to, by the Hub's rule: `h day ahead` is
    /// `forecast_date + h`; `h wk ahead` is the Saturday ending the
    /// epiweek `h` weeks on, where a forecast made on a Sunday or Monday
    /// counts its own epiweek as week 1 (the data for it are not in yet).
    pub fn end_date(&self, forecast_date: Date) -> Date {
        let h = self.horizon as i32;
        match self.unit {
            HorizonUnit::Day => forecast_date.add_days(h),
            HorizonUnit::Week => {
                // iso_weekday: Monday = 1, Sunday = 7.
                let own_week = matches!(forecast_date.iso_weekday(), 7 | 1);
                let first = epiweek_end(forecast_date).add_days(if own_week { 0 } else { 7 });
                first.add_days(7 * (h - 1))
            }
        }
    }

    /// Parses `"{h} day ahead {name}"` or `"{h} wk ahead {name}"`.
    pub fn parse(s: &str) -> Option<Self> {
        let (h, rest) = s.trim().split_once(' ')?;
        let horizon = h.parse().ok()?;
        let (unit, name) = if let Some(n) = rest.strip_prefix("day ahead ") {
            (HorizonUnit::Day, n)
        } else {
            (HorizonUnit::Week, rest.strip_prefix("wk ahead ")?)
        };
        (!name.trim().is_empty()).then(|| Target::new(horizon, unit, name.trim()))
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = match self.unit {
            HorizonUnit::Day => "day",
            HorizonUnit::Week => "wk",
        };
        write!(f, "{} {unit} ahead {}", self.horizon, self.name)
    }
}

/// `type` and `quantile` columns together.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RowKind {
    Quantile(f64),
    Point,
}

/// One CSV row.
#[derive(Debug, Clone, PartialEq)]
pub struct HubRow {
    pub forecast_date: Date,
    pub target: Target,
    pub target_end_date: Date,
    pub location: String,
    pub kind: RowKind,
    pub value: f64,
}

/// The rows for one quantile forecast: every quantile, then a point row
/// with the median. Errors if the forecast has no 0.5 level.
pub fn forecast_rows(
    forecast_date: Date,
    target: &Target,
    target_end_date: Date,
    location: &str,
    forecast: &QuantileForecast,
) -> Result<Vec<HubRow>> {
    let median = forecast
        .median()
        .ok_or_else(|| Error::Other("a hub point row needs the 0.5 level".into()))?;
    let row = |kind, value| HubRow {
        forecast_date,
        target: target.clone(),
        target_end_date,
        location: location.to_string(),
        kind,
        value,
    };
    let mut rows: Vec<HubRow> = (forecast.levels().iter().zip(forecast.values()))
        .map(|(&l, &v)| row(RowKind::Quantile(l), v))
        .collect();
    rows.push(row(RowKind::Point, median));
    Ok(rows)
}

/// Writes `rows` to `path` atomically (temporary file, fsync, rename).
/// Non-finite values are refused before anything is written.
pub fn write_hub_csv(path: &Path, rows: &[HubRow]) -> Result<()> {
    if let Some(r) = rows.iter().find(|r| !r.value.is_finite()) {
        return Err(Error::Numerical(format!(
            "{} {} {}: value is {}",
            r.location, r.target, r.target_end_date, r.value
        )));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| Error::Other(format!("{} is not a file path", path.display())))?;
    let (tmp, file) = create_temp(&dir, &name.to_string_lossy())?;
    let result = write_rows(file, &tmp, rows)
        .and_then(|()| fs::rename(&tmp, path).map_err(|e| Error::io(path, e)));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn write_rows(file: File, tmp: &Path, rows: &[HubRow]) -> Result<()> {
    let csv_err = |e: csv::Error| Error::Other(format!("{}: {e}", tmp.display()));
    let mut w = csv::Writer::from_writer(file);
    w.write_record(HUB_COLUMNS).map_err(csv_err)?;
    for r in rows {
        let (kind, q) = match r.kind {
            RowKind::Quantile(q) => ("quantile", q.to_string()),
            RowKind::Point => ("point", String::new()),
        };
        w.write_record([
            r.forecast_date.to_string(),
            r.target.to_string(),
            r.target_end_date.to_string(),
            r.location.clone(),
            kind.to_string(),
            q,
            // `{}` prints the shortest string that parses back to the same
            // f64, so a round trip is exact.
            r.value.to_string(),
        ])
        .map_err(csv_err)?;
    }
    let file = w.into_inner().map_err(|e| Error::io(tmp, e.into_error()))?;
    file.sync_all().map_err(|e| Error::io(tmp, e))
}

fn create_temp(dir: &Path, file_name: &str) -> Result<(PathBuf, File)> {
    let pid = std::process::id();
    let mut last = None;
    // `create_new` detects two writers picking the same name; retry then.
    for attempt in 0..8u32 {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let tmp = dir.join(format!(".{file_name}.partial-{pid}-{nanos}-{attempt}"));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some((tmp, e)),
            Err(e) => return Err(Error::io(tmp, e)),
        }
    }
    let (tmp, e) = last.expect("the loop ran at least once");
    Err(Error::io(tmp, e))
}
