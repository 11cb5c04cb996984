//! Reading and validating hub CSV files.

use std::collections::HashMap;
use std::path::Path;

use didymos_core::{Date, Error, Located, Result};

use super::{HubRow, RowKind, Target, HUB_COLUMNS};

/// Identity of a row: a second row with the same key is a duplicate.
type RowKey = (Date, String, Date, String, Option<u64>);
/// One forecast (quantile rows share it): forecast date, target, end, location.
type GroupKey = (Date, String, Date, String);

/// Reads and validates a hub CSV. Errors name the file and line: a bad
/// field, a duplicate row (both lines), or quantile values that decrease as
/// the level rises (the line of the offending row and of its neighbour).
pub fn read_hub_csv(path: &Path) -> Result<Vec<HubRow>> {
    let at = |line: u64| Located::file(path).at_line(line);
    let file = didymos_core::fs::open_limited(path, didymos_core::fs::DATA_MAX_BYTES)?;
    let mut rdr = csv::Reader::from_reader(file);
    let header = rdr
        .headers()
        .map_err(|e| Error::input(at(1), e.to_string()))?
        .clone();
    if header.iter().map(str::trim).ne(HUB_COLUMNS) {
        return Err(Error::input(
            at(1),
            format!("header must be `{}`", HUB_COLUMNS.join(",")),
        ));
    }
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    let mut seen: HashMap<RowKey, u64> = HashMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            Error::input(at(line), e.to_string())
        })?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let row = parse_row(&rec, &|field: &str| at(line).field(field))?;
        let q_bits = match row.kind {
            RowKind::Quantile(q) => Some(q.to_bits()),
            RowKind::Point => None,
        };
        let key = (
            row.forecast_date,
            row.target.to_string(),
            row.target_end_date,
            row.location.clone(),
            q_bits,
        );
        if let Some(first) = seen.insert(key, line) {
            return Err(Error::input(
                at(line),
                format!("duplicate of the row on line {first}"),
            ));
        }
        rows.push(row);
        lines.push(line);
    }
    check_monotone(&rows, &lines, &at)?;
    Ok(rows)
}

fn parse_row(rec: &csv::StringRecord, at: &dyn Fn(&str) -> Located) -> Result<HubRow> {
    let get = |i: usize| rec.get(i).unwrap_or("").trim();
    let date = |i: usize| -> Result<Date> {
        get(i)
            .parse()
            .map_err(|e: didymos_core::time::DateParseError| {
                Error::input(at(HUB_COLUMNS[i]), e.to_string())
            })
    };
    let target = Target::parse(get(1)).ok_or_else(|| {
        Error::input(
            at("target"),
            format!(
                "`{}` is not `<h> day ahead <name>` or `<h> wk ahead <name>`",
                get(1)
            ),
        )
    })?;
    let kind = match get(4) {
        "point" if get(5).is_empty() || get(5) == "NA" => RowKind::Point,
        "point" => {
            return Err(Error::input(
                at("quantile"),
                "a point row has an empty quantile",
            ));
        }
        "quantile" => match get(5).parse::<f64>() {
            Ok(q) if q > 0.0 && q < 1.0 => RowKind::Quantile(q),
            _ => {
                return Err(Error::input(
                    at("quantile"),
                    format!("`{}` is not a level inside (0, 1)", get(5)),
                ))
            }
        },
        other => {
            return Err(Error::input(
                at("type"),
                format!("`{other}` is neither `quantile` nor `point`"),
            ))
        }
    };
    let value = match get(6).parse::<f64>() {
        Ok(v) if v.is_finite() => v,
        _ => {
            return Err(Error::input(
                at("value"),
                format!("`{}` is not a finite number", get(6)),
            ))
        }
    };
    let (forecast_date, target_end_date) = (date(0)?, date(2)?);
    // The end date follows from the forecast date and the target (the
    // Hub's rule); a file that disagrees has mislabelled its rows.
    let expected = target.end_date(forecast_date);
    if target_end_date != expected {
        return Err(Error::input(
            at("target_end_date"),
            format!(
                "`{target}` forecast on {forecast_date} ends on {expected}, not {target_end_date}"
            ),
        ));
    }
    Ok(HubRow {
        forecast_date,
        target,
        target_end_date,
        location: get(3).to_string(),
        kind,
        value,
    })
}

fn check_monotone(rows: &[HubRow], lines: &[u64], at: &dyn Fn(u64) -> Located) -> Result<()> {
    let mut groups: HashMap<GroupKey, Vec<(f64, f64, u64)>> = HashMap::new();
    for (r, &line) in rows.iter().zip(lines) {
        if let RowKind::Quantile(q) = r.kind {
            let key = (
                r.forecast_date,
                r.target.to_string(),
                r.target_end_date,
                r.location.clone(),
            );
            groups.entry(key).or_default().push((q, r.value, line));
        }
    }
    let mut offenders: Vec<(u64, u64, f64, f64)> = Vec::new();
    for g in groups.values_mut() {
        g.sort_by(|a, b| a.0.total_cmp(&b.0));
        for w in g.windows(2) {
            let ((q0, v0, l0), (q1, v1, l1)) = (w[0], w[1]);
            if v1 < v0 {
                offenders.push((l1, l0, q1, q0));
            }
        }
    }
    // Report the earliest offending line, so the message does not depend on
    // hash-map order.
    let first = offenders
        .into_iter()
        .min_by_key(|&(line, other, ..)| (line, other));
    match first {
        None => Ok(()),
        Some((line, other, q, q_prev)) => Err(Error::input(
            at(line).field("value"),
            format!(
                "quantiles are not monotone: the value at level {q} is below the value at level {q_prev} (line {other})"
            ),
        )),
    }
}
