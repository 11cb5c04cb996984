//! Observed counts: a wide CSV with one row per date, location and
//! (optionally) stratum, and one column per observed variable, e.g. the
//! ISCIII-derived `date,province_ine,age_group,new_cases,new_hospitalized,new_deaths`.
//!
//! Gaps in dates are allowed (no update those days); an empty cell is a
//! missing value. Everything else that cannot be right is an error naming
//! file, line and column: duplicate rows (both lines), negative or
//! non-numeric counts, unknown locations or strata.
//!
//! With an `issued` column the file is a record of vintages: the same date,
//! location and stratum may appear once per issue date (a first report,
//! then its revisions; an empty cell: issued on its own date). The table's
//! rows are the latest values; [`ObservationTable::as_issued`] gives the
//! record as it stood on a past day, which is what a forecaster then had.

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
    /// The date each row was published (`None`: every value was known on
    /// its own date and never revised).
    pub issued: Option<String>,
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
    /// (`None` = missing), as last issued. Without a stratum column the
    /// stratum index is 0.
    pub rows: BTreeMap<Key, Vec<Option<f64>>>,
    /// The rows that were issued later than their date or more than once:
    /// every issue (date issued, values), oldest first; the last is the one
    /// in `rows`.
    pub revisions: BTreeMap<Key, Vec<Issue>>,
}

/// (date, location index, stratum index).
pub type Key = (Date, usize, usize);

/// One issue of a row: the date it was published, and its values.
pub type Issue = (Date, Vec<Option<f64>>);

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

    /// Drop every row dated after `cutoff` (later revisions of the rest
    /// stay: see [`as_issued`](Self::as_issued)).
    pub fn up_to(&self, cutoff: Date) -> ObservationTable {
        let last = (cutoff, usize::MAX, usize::MAX);
        ObservationTable {
            variables: self.variables.clone(),
            locations: self.locations.clone(),
            strata: self.strata.clone(),
            // Not `..self.clone()`: that would copy every row first.
            rows: self
                .rows
                .range(..=last)
                .map(|(k, v)| (*k, v.clone()))
                .collect(),
            revisions: self
                .revisions
                .range(..=last)
                .map(|(k, v)| (*k, v.clone()))
                .collect(),
        }
    }

    /// The record as it stood at the end of `day`: each row's last issue
    /// on or before it, none for rows not yet issued. What a forecaster
    /// knew that day; without revisions, the same as [`up_to`](Self::up_to).
    pub fn as_issued(&self, day: Date) -> ObservationTable {
        let mut known = self.up_to(day);
        for (key, issues) in self.revisions.range(..=(day, usize::MAX, usize::MAX)) {
            match issues.iter().rev().find(|(issued, _)| *issued <= day) {
                Some((_, values)) => known.rows.insert(*key, values.clone()),
                None => known.rows.remove(key),
            };
        }
        known.revisions = BTreeMap::new();
        known
    }

    /// How complete a date's count of `variable` is k days after it, for
    /// k = 0, 1, … (empty: the record up to `day` shows no revisions), as
    /// the record's own revisions known by the end of `day` show. The lag
    /// after which nothing more arrives, L, is the longest seen (at most
    /// 56 days); over the dates of the `window` days that end L days before
    /// `day` (complete by then), share k = Σ value as issued k days after
    /// its date ÷ Σ value as issued by `day`, pooled over locations and
    /// strata, for k < L. So it uses nothing issued after `day`.
    pub fn completeness(&self, variable: usize, day: Date, window: i32) -> Vec<f64> {
        const MAX_LAG: i32 = 56;
        let issued_by = |issues: &'_ [Issue], when: Date| {
            issues
                .iter()
                .rev()
                .find(|(i, _)| *i <= when)
                .map(|(_, v)| v[variable])
        };
        let lag = self
            .revisions
            .range((day.add_days(-MAX_LAG - window), 0, 0)..=(day, usize::MAX, usize::MAX))
            .filter_map(|(key, issues)| {
                let last = issues.iter().rev().find(|(i, _)| *i <= day)?.0;
                Some(last.days_since_epoch() - key.0.days_since_epoch())
            })
            .max()
            .unwrap_or(0)
            .min(MAX_LAG);
        if lag == 0 {
            return Vec::new();
        }
        let (first, last) = (day.add_days(-lag - window + 1), day.add_days(-lag));
        let mut known = vec![0.0; lag as usize];
        let mut total = 0.0;
        for (key, final_values) in self
            .rows
            .range((first, 0, 0)..=(last, usize::MAX, usize::MAX))
        {
            let issues = self.revisions.get(key);
            let at = |when: Date| match issues {
                Some(list) => issued_by(list, when).unwrap_or(Some(0.0)),
                None => final_values[variable],
            };
            let (Some(reference), true) = (at(day), key.0 <= day) else {
                continue;
            };
            let mut row = Vec::with_capacity(lag as usize);
            for k in 0..lag {
                match at(key.0.add_days(k)) {
                    Some(v) => row.push(v),
                    None => break,
                }
            }
            if row.len() == lag as usize {
                total += reference;
                known.iter_mut().zip(row).for_each(|(s, v)| *s += v);
            }
        }
        if total <= 0.0 {
            return Vec::new();
        }
        known.iter().map(|v| (v / total).clamp(0.05, 2.0)).collect()
    }

    /// The earliest date whose values, as issued by the end of `day`, are
    /// not yet the final ones (`None`: the record up to `day` was final).
    pub fn first_revised_after(&self, day: Date) -> Option<Date> {
        self.revisions
            .range(..=(day, usize::MAX, usize::MAX))
            .find(|(_, issues)| issues.last().is_some_and(|(issued, _)| *issued > day))
            .map(|(key, _)| key.0)
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
    let c_issued = cols
        .issued
        .as_deref()
        .map(|s| table.require(s))
        .transpose()?;
    let whole: Vec<bool> = cols
        .variables
        .iter()
        .map(|v| cols.whole_numbers.contains(v))
        .collect();
    // Every issue of every row: (date issued, line, values).
    type Issues = Vec<(Date, u64, Vec<Option<f64>>)>;
    let mut issues: BTreeMap<Key, Issues> = BTreeMap::new();
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
        let issued = match c_issued {
            Some(c) if row.str(c).is_ok() => {
                let text = row.str(c)?;
                let ms = didymos_core::timestamp::parse_time(text).map_err(|e| {
                    row.error(c, format!("expected the date it was published: {e}"))
                })?;
                let issued = Date::from_days_since_epoch(ms.div_euclid(86_400_000) as i32);
                if issued < date {
                    return Err(row.error(
                        c,
                        format!("issued {issued}, before the date {date} it reports on"),
                    ));
                }
                issued
            }
            _ => date,
        };
        let key = (date, loc, stratum);
        let rows = issues.entry(key).or_default();
        if let Some((_, prev, _)) = rows.iter().find(|(i, _, _)| *i == issued) {
            let when = match c_issued {
                Some(_) => format!(", issued {issued}"),
                None => String::new(),
            };
            return Err(row.error(
                c_date,
                format!(
                    "duplicate row for {date}, location {loc_text}{when}: already given on line {prev}"
                ),
            ));
        }
        rows.push((issued, row.line, values));
    }
    let mut rows = BTreeMap::new();
    let mut revisions = BTreeMap::new();
    for (key, mut list) in issues {
        list.sort_by_key(|(issued, _, _)| *issued);
        let revised = list.len() > 1 || list.first().is_some_and(|(i, _, _)| *i > key.0);
        let last = list.last().map(|(_, _, v)| v.clone()).unwrap_or_default();
        rows.insert(key, last);
        if revised {
            revisions.insert(key, list.into_iter().map(|(i, _, v)| (i, v)).collect());
        }
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
        revisions,
    })
}

fn unknown(what: &str, found: &str, valid: &[String]) -> String {
    match suggest::closest(found, valid.iter().map(String::as_str)) {
        Some(c) => format!("unknown {what} `{found}`; did you mean `{c}`?"),
        None => format!("unknown {what} `{found}` ({} known)", valid.len()),
    }
}
