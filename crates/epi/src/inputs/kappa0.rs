//! `kappa0_from_mitma.csv`: a daily mobility-reduction series κ₀(t).
//!
//! EpiSim (MMCACovid19Vac.jl's `init_NPI_parameters_struct`) turns each row
//! into a containment measure on day `(date − start) + 1`, with ϕ and δ
//! taken from the first entries of the config's `ϕs`/`δs`, except that δ
//! is 0 on rows whose reduction is 0 (no confinement, no distancing).

use std::collections::HashMap;
use std::path::Path;

use didymos_core::{Calendar, Date, Located, Result, Timeline};

use super::csv_table::CsvTable;
use super::{build_containments, parse_date, DatedContainment, Warning};
use crate::mmca::Containment;

/// One validated row of a κ₀ series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Kappa0Row {
    pub date: Date,
    /// The `reduction` column, in [0, 1].
    pub kappa0: f64,
    /// Physical line in the file (header = 1).
    pub line: u64,
}

/// Read `date, reduction` rows (other columns, e.g. EpiSim's `datetime`
/// and `time`, are ignored: `time` is relative to one particular start
/// date, so it is recomputed from `date`). Dates must parse and be
/// unique; reductions must lie in [0, 1].
pub fn read_kappa0_rows(path: &Path) -> Result<Vec<Kappa0Row>> {
    let mut table = CsvTable::open(path)?;
    let date_col = table.require("date")?;
    let red_col = table.require("reduction")?;
    let mut rows = Vec::new();
    let mut first_line_of: HashMap<Date, u64> = HashMap::new();
    for row in table.rows() {
        let row = row?;
        let s = row.str(date_col)?;
        let date = parse_date(s).ok_or_else(|| {
            row.error(date_col, format!("expected a date YYYY-MM-DD, found `{s}`"))
        })?;
        if let Some(first) = first_line_of.insert(date, row.line) {
            return Err(row.error(
                date_col,
                format!("duplicate date {date} (first on line {first})"),
            ));
        }
        let kappa0 = row.fraction(red_col)?;
        rows.push(Kappa0Row {
            date,
            kappa0,
            line: row.line,
        });
    }
    Ok(rows)
}

/// Map κ₀ rows to containment measures on simulation days. Rows before
/// the start are dropped with one warning (as EpiSim does); rows after the
/// end are never reached and are left out silently.
pub fn kappa0_containments(
    rows: &[Kappa0Row],
    path: &Path,
    calendar: &Calendar,
    phi: f64,
    delta: f64,
) -> (Vec<DatedContainment>, Vec<Warning>) {
    let mut out = Vec::new();
    let mut early: Vec<&Kappa0Row> = Vec::new();
    for r in rows {
        let day = calendar.day_of(r.date);
        if day < 1 {
            early.push(r);
            continue;
        }
        let Some(day) = calendar.day_in_range(r.date) else {
            continue;
        };
        let delta = if r.kappa0 == 0.0 { 0.0 } else { delta };
        out.push(DatedContainment {
            day,
            containment: Containment {
                kappa0: r.kappa0,
                phi,
                delta,
            },
            at: Located::file(path).at_line(r.line).field("date"),
        });
    }
    let mut warnings = Vec::new();
    if let (Some(first), Some(last)) = (early.first(), early.last()) {
        warnings.push(Warning::new(
            Located::file(path).at_line(first.line).field("date"),
            format!(
                "{} row(s) dated before the simulation start {} ({} … {}) were dropped",
                early.len(),
                calendar.start,
                first.date,
                last.date
            ),
        ));
    }
    (out, warnings)
}

/// Read a κ₀ series straight into a containment timeline.
pub fn read_kappa0(
    path: &Path,
    calendar: &Calendar,
    phi: f64,
    delta: f64,
) -> Result<(Timeline<Containment>, Vec<Warning>)> {
    let rows = read_kappa0_rows(path)?;
    let (entries, warnings) = kappa0_containments(&rows, path, calendar, phi, delta);
    Ok((build_containments(entries)?, warnings))
}
