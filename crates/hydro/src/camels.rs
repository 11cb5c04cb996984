//! Readers for CAMELS-US files (Newman et al. 2015):
//! - `<id>_lump_cida_forcing_leap.txt`: line 1 latitude, line 2 mean
//!   elevation (m), line 3 area (m²), line 4 a header, then whitespace
//!   separated `Year Mnth Day Hr dayl prcp srad swe tmax tmin vp`;
//! - `<id>_streamflow_qc.txt`: `gauge_id year month day Q flag`, Q in ft³/s,
//!   negative (−999) = missing.
//!
//! Errors name the file, line and field; nothing here panics on bad input.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use didymos_core::{Date, Error, Located, Result};

use crate::forcing::{hydrotel_solid_fraction, Forcing, ForcingTrace, HYDROTEL_MAX_ELEVATION_M};

const FORCING_FIELDS: [&str; 11] = [
    "Year", "Mnth", "Day", "Hr", "dayl", "prcp", "srad", "swe", "tmax", "tmin", "vp",
];
const STREAMFLOW_FIELDS: [&str; 6] = ["gauge_id", "year", "month", "day", "Q", "flag"];
/// One cubic foot in m³.
const CUBIC_FOOT_M3: f64 = 0.028_316_8;

/// One day of CAMELS forcing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CamelsDay {
    pub prcp: f64,
    pub tmax: f64,
    pub tmin: f64,
}

/// A CAMELS basin-mean forcing file.
#[derive(Debug, Clone, PartialEq)]
pub struct CamelsForcing {
    pub path: PathBuf,
    pub latitude: f64,
    pub elevation_m: f64,
    pub area_m2: f64,
    pub days: BTreeMap<Date, CamelsDay>,
}

/// Daily discharge in mm/day (missing days absent).
#[derive(Debug, Clone, PartialEq)]
pub struct Streamflow {
    pub path: PathBuf,
    pub gauge: String,
    pub mm_per_day: BTreeMap<Date, f64>,
}

fn read(path: &Path) -> Result<String> {
    didymos_core::fs::read_text(path, didymos_core::fs::DATA_MAX_BYTES)
}

fn at(path: &Path, line: usize, field: &str) -> Located {
    Located::file(path).at_line(line as u64).field(field)
}

fn number(path: &Path, line: usize, field: &str, text: &str) -> Result<f64> {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(Error::input(
            at(path, line, field),
            format!("`{text}` is not a finite number"),
        )),
    }
}

fn date(path: &Path, line: usize, y: &str, m: &str, d: &str) -> Result<Date> {
    let bad = || {
        Error::input(
            at(path, line, "date"),
            format!("`{y} {m} {d}` is not a valid date"),
        )
    };
    let y: i32 = y.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    let d: u32 = d.parse().map_err(|_| bad())?;
    Date::from_ymd(y, m, d).ok_or_else(bad)
}

/// Read a `<id>_lump_cida_forcing_leap.txt` file.
pub fn read_camels_forcing(path: &Path) -> Result<CamelsForcing> {
    let text = read(path)?;
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let mut header = |field: &str| -> Result<f64> {
        let (n, l) = lines
            .next()
            .ok_or_else(|| Error::input(Located::file(path).field(field), "file ends before it"))?;
        number(path, n, field, l)
    };
    let latitude = header("latitude")?;
    let elevation_m = header("elevation")?;
    let area_m2 = header("area")?;
    if !(-90.0..=90.0).contains(&latitude) {
        return Err(Error::input(
            at(path, 1, "latitude"),
            format!("{latitude} is outside [-90, 90]"),
        ));
    }
    if area_m2 <= 0.0 {
        return Err(Error::input(at(path, 3, "area"), "area must be > 0 m²"));
    }
    lines.next(); // column header
    let mut days = BTreeMap::new();
    for (n, l) in lines {
        if l.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() < FORCING_FIELDS.len() {
            return Err(Error::input(
                at(path, n, FORCING_FIELDS[f.len()]),
                format!(
                    "expected {} fields ({}), found {}",
                    FORCING_FIELDS.len(),
                    FORCING_FIELDS.join(" "),
                    f.len()
                ),
            ));
        }
        let d = date(path, n, f[0], f[1], f[2])?;
        let prcp = number(path, n, "prcp", f[5])?;
        if prcp < 0.0 {
            return Err(Error::input(
                at(path, n, "prcp"),
                format!("negative precipitation {prcp}"),
            ));
        }
        let day = CamelsDay {
            prcp,
            tmax: number(path, n, "tmax", f[8])?,
            tmin: number(path, n, "tmin", f[9])?,
        };
        if days.insert(d, day).is_some() {
            return Err(Error::input(
                at(path, n, "date"),
                format!("{d} appears more than once"),
            ));
        }
    }
    Ok(CamelsForcing {
        path: path.to_path_buf(),
        latitude,
        elevation_m,
        area_m2,
        days,
    })
}

/// Dates in `start..=end` that `has` lacks, as an error naming them.
pub(crate) fn missing_dates_error(
    file: &Path,
    what: &str,
    start: Date,
    end: Date,
    has: impl Fn(Date) -> bool,
) -> Result<()> {
    let missing: Vec<Date> = (0..=end.days_since(start))
        .map(|i| start.add_days(i))
        .filter(|d| !has(*d))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let shown: Vec<String> = missing.iter().take(10).map(|d| d.to_string()).collect();
    let more = if missing.len() > 10 {
        format!(" and {} more", missing.len() - 10)
    } else {
        String::new()
    };
    Err(Error::input(
        Located::file(file),
        format!(
            "{what} is missing for {} day(s) in {start} … {end}: {}{more}",
            missing.len(),
            shown.join(", ")
        ),
    ))
}

impl CamelsForcing {
    /// The forcing for `start..=end` (mean temperature = (tmax + tmin)/2,
    /// Oudin PET at the file's latitude; below 1,500 m mean elevation the
    /// snow share of precipitation by the Hydrotel rule from tmin and tmax,
    /// as airGR does). Missing days are an error naming the dates.
    pub fn forcing(&self, start: Date, end: Date) -> Result<Forcing> {
        if end < start {
            return Err(Error::input(
                Located::file(&self.path),
                format!("end {end} is before start {start}"),
            ));
        }
        missing_dates_error(&self.path, "forcing", start, end, |d| {
            self.days.contains_key(&d)
        })?;
        let rows: Vec<&CamelsDay> = self.days.range(start..=end).map(|(_, v)| v).collect();
        let precip = rows.iter().map(|r| r.prcp).collect();
        let tmean = rows.iter().map(|r| 0.5 * (r.tmax + r.tmin)).collect();
        let trace = ForcingTrace::from_temperature(start, self.latitude, precip, tmean);
        let solid = (self.elevation_m < HYDROTEL_MAX_ELEVATION_M).then(|| {
            rows.iter()
                .map(|r| hydrotel_solid_fraction(r.tmin, r.tmax))
                .collect()
        });
        Forcing::new(start, self.latitude, trace)?.with_solid_fraction(solid)
    }

    /// First and last date in the file.
    pub fn span(&self) -> Option<(Date, Date)> {
        Some((*self.days.keys().next()?, *self.days.keys().next_back()?))
    }
}

/// Read a `<id>_streamflow_qc.txt` file, converting ft³/s to mm/day over
/// `area_m2`: Q·0.0283168·86400/area·1000.
pub fn read_camels_streamflow(path: &Path, area_m2: f64) -> Result<Streamflow> {
    if !(area_m2.is_finite() && area_m2 > 0.0) {
        return Err(Error::input(
            Located::file(path).field("area"),
            format!("basin area must be > 0 m², got {area_m2}"),
        ));
    }
    let text = read(path)?;
    let mut gauge = String::new();
    let mut mm_per_day = BTreeMap::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, l) in text.lines().enumerate() {
        let n = i + 1;
        if l.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() < 5 {
            return Err(Error::input(
                at(path, n, STREAMFLOW_FIELDS[f.len()]),
                format!(
                    "expected the fields {}, found {}",
                    STREAMFLOW_FIELDS.join(" "),
                    f.len()
                ),
            ));
        }
        if gauge.is_empty() {
            gauge = f[0].to_string();
        } else if gauge != f[0] {
            return Err(Error::input(
                at(path, n, "gauge_id"),
                format!("gauge `{}` differs from `{gauge}` above", f[0]),
            ));
        }
        let d = date(path, n, f[1], f[2], f[3])?;
        if !seen.insert(d) {
            return Err(Error::input(
                at(path, n, "date"),
                format!("{d} appears more than once"),
            ));
        }
        let q = number(path, n, "Q", f[4])?;
        if q >= 0.0 {
            mm_per_day.insert(d, q * CUBIC_FOOT_M3 * 86_400.0 / area_m2 * 1000.0);
        }
    }
    Ok(Streamflow {
        path: path.to_path_buf(),
        gauge,
        mm_per_day,
    })
}

impl Streamflow {
    /// Observed values on `start..=end`, `None` where missing.
    pub fn series(&self, start: Date, end: Date) -> Vec<Option<f64>> {
        (0..=end.days_since(start).max(-1))
            .map(|i| self.mm_per_day.get(&start.add_days(i)).copied())
            .collect()
    }
}
