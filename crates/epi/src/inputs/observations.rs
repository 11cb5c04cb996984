//! Observed counts: a wide CSV with one row per date, location and
//! (optionally) stratum, and one column per observed variable, e.g. the
//! ISCIII-derived `date,province_ine,age_group,new_cases,new_hospitalized,new_deaths`.
//!
//! Gaps in dates are allowed (no update those days); an empty cell is a
//! missing value. Everything else that cannot be right is an error naming
//! file, line and column: duplicate rows (both lines), negative or
//! non-numeric counts, unknown locations or strata.

use std::collections::BTreeMap;
use std::path::Path;

use didymos_core::{show_number, suggest, Date, Result};

use super::csv_table::CsvTable;

/// Which columns hold what.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationColumns {
    pub date: String,
    pub location: String,
    /// `None` when the file has no stratum column (totals only).
    pub stratum: Option<String>,
    pub variables: Vec<String>,
    /// Those of `variables` that a count model (Poisson, negative
    /// binomial) fits: a fraction there is refused at its line.
    pub whole_numbers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservationTable {
    pub variables: Vec<String>,
    pub locations: Vec<String>,
    pub strata: Vec<String>,
    /// (date, location index, stratum index) → one value per variable
    /// (`None` = missing). Without a stratum column the stratum index is 0.
    pub rows: BTreeMap<(Date, usize, usize), Vec<Option<f64>>>,
}

impl ObservationTable {
    pub fn variable_index(&self, name: &str) -> Option<usize> {
        self.variables.iter().position(|v| v == name)
    }

    /// Sum over strata of `variable` at (date, location); `None` if any
    /// stratum's value is missing or no row exists.
    pub fn total(&self, variable: usize, date: Date, location: usize) -> Option<f64> {
        let mut sum = 0.0;
        let mut seen = false;
        for s in 0..self.strata.len().max(1) {
            if let Some(v) = self.rows.get(&(date, location, s)) {
                sum += v[variable]?;
                seen = true;
            }
        }
        seen.then_some(sum)
    }

    /// The dates present, in order.
    pub fn dates(&self) -> Vec<Date> {
        let mut d: Vec<Date> = self.rows.keys().map(|k| k.0).collect();
        d.dedup();
        d
    }

    /// Drop everything after `cutoff` (what a forecaster may know on that date).
    pub fn up_to(&self, cutoff: Date) -> ObservationTable {
        ObservationTable {
            rows: self
                .rows
                .range(..=(cutoff, usize::MAX, usize::MAX))
                .map(|(k, v)| (*k, v.clone()))
                .collect(),
            ..self.clone()
        }
    }
}

/// Read `path`; `locations` and `strata` are the twin's (every row must use them).
pub fn read_observations(
    path: &Path,
    cols: &ObservationColumns,
    locations: &[String],
    strata: &[String],
) -> Result<ObservationTable> {
    let mut table = CsvTable::open(path)?;
    let c_date = table.require(&cols.date)?;
    let c_loc = table.require(&cols.location)?;
    let c_str = cols
        .stratum
        .as_deref()
        .map(|s| table.require(s))
        .transpose()?;
    let c_vars = cols
        .variables
        .iter()
        .map(|v| table.require(v))
        .collect::<Result<Vec<_>>>()?;
    let whole: Vec<bool> = cols
        .variables
        .iter()
        .map(|v| cols.whole_numbers.contains(v))
        .collect();
    let mut rows = BTreeMap::new();
    let mut first_line: BTreeMap<(Date, usize, usize), u64> = BTreeMap::new();
    for row in table.rows() {
        let row = row?;
        let text = row.str(c_date)?;
        let date: Date = text
            .parse()
            .map_err(|e| row.error(c_date, format!("{e}")))?;
        let loc_text = row.str(c_loc)?;
        let loc = locations
            .iter()
            .position(|l| l == loc_text)
            .ok_or_else(|| row.error(c_loc, unknown("location", loc_text, locations)))?;
        let stratum = match c_str {
            None => 0,
            Some(c) => {
                let s = row.str(c)?;
                strata
                    .iter()
                    .position(|x| x == s)
                    .ok_or_else(|| row.error(c, unknown("stratum", s, strata)))?
            }
        };
        let mut values = Vec::with_capacity(c_vars.len());
        for (&c, &whole) in c_vars.iter().zip(&whole) {
            values.push(if row.str(c).is_err() {
                None
            } else {
                let v = row.non_negative(c)?;
                if whole && v.fract() != 0.0 {
                    return Err(row.error(
                        c,
                        format!(
                            "expected a whole number (a count: the stream fitting this column \
                             has Poisson or negative-binomial noise; log_sd fits other values), \
                             found {}",
                            show_number(v)
                        ),
                    ));
                }
                Some(v)
            });
        }
        let key = (date, loc, stratum);
        if let Some(prev) = first_line.insert(key, row.line) {
            return Err(row.error(
                c_date,
                format!(
                    "duplicate row for {date}, location {loc_text}: already given on line {prev}"
                ),
            ));
        }
        rows.insert(key, values);
    }
    Ok(ObservationTable {
        variables: cols.variables.clone(),
        locations: locations.to_vec(),
        strata: if c_str.is_some() {
            strata.to_vec()
        } else {
            vec!["total".into()]
        },
        rows,
    })
}

fn unknown(what: &str, found: &str, valid: &[String]) -> String {
    match suggest::closest(found, valid.iter().map(String::as_str)) {
        Some(c) => format!("unknown {what} `{found}`; did you mean `{c}`?"),
        None => format!("unknown {what} `{found}` ({} known)", valid.len()),
    }
}
