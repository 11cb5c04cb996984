//! `didymos replay --spec twin.toml`: the observation file an epidemic
//! spec reads, in its own columns (one column per variable, perhaps an
//! issued column), as the ingest contract's records. So the record a twin
//! was fitted to can be fed to a live twin as it was published, without
//! converting it first.
//!
//! Each fitted or leading column becomes a stream named after it; with
//! `--stream COLUMN` or `--stream COLUMN=NAME`, only the columns named do,
//! under the names given. Each row gives a record per such column with a
//! value. A row with revisions gives one record per issue whose value
//! changed, each with its `issued` date; with an issued column, every other
//! record carries its own date as `issued`, so a nowcasting twin reads the
//! whole record as published rather than as arrived today. Rows outside the
//! spec's time range are left out (a twin refuses them), and `--from` and
//! `--until` keep the records that became available (issue date, else
//! date) on those days, so a twin can be caught up, then fed day by day.

use std::path::Path;

use didymos_core::{Date, Error, Located, Result};
use didymos_simulate::Record;

/// The records of `spec`'s observation file, in the order they became
/// available (issue date, else date; ties in the file's order), those that
/// became available from `from` to `until` (either open).
pub fn records_of_spec(
    spec: &Path,
    renames: &[String],
    (from, until): (Option<Date>, Option<Date>),
) -> Result<Vec<Record>> {
    let text = didymos_core::fs::read_text(spec, didymos_core::fs::SPEC_MAX_BYTES)?;
    if didymos_hydro::spec::is_flood_spec_text(&text) {
        return Err(Error::input(
            Located::file(spec),
            "replay --spec reads an epidemic spec's observation file; a flood twin's \
             record is its streamflow file, which `didymos replay` does not convert",
        ));
    }
    let twin = didymos_epi::twin::load_twin(spec, None)?;
    let table = &twin.table;
    let names = stream_names(&table.variables, renames)?;
    let has_issued = twin.assim.issued_column.is_some();
    let has_strata = twin.assim.stratum_column.is_some();
    let cal = twin.calendar();
    let wanted = |available: Date| {
        from.is_none_or(|f| available >= f) && until.is_none_or(|u| available <= u)
    };
    let mut out: Vec<(didymos_core::Date, Record)> = Vec::new();
    for (&(date, l, s), last) in &table.rows {
        if date < cal.start || date > cal.end {
            continue;
        }
        let issues = match table.revisions.get(&(date, l, s)) {
            Some(issues) => issues.clone(),
            None => vec![(date, last.clone())],
        };
        for (v, name) in names.iter().enumerate() {
            let Some(name) = name else { continue };
            let mut previous = None;
            for (issued, values) in &issues {
                let Some(x) = values[v] else { continue };
                if previous == Some(x) {
                    continue;
                }
                previous = Some(x);
                if !wanted(*issued) {
                    continue;
                }
                out.push((
                    *issued,
                    Record {
                        stream: name.to_string(),
                        time: date.to_string(),
                        location: Some(table.locations[l].clone()),
                        stratum: has_strata.then(|| table.strata[s].clone()),
                        value: x,
                        issued: has_issued.then(|| issued.to_string()),
                        flag: None,
                    },
                ));
            }
        }
    }
    // Stable: within a day, the file's order.
    out.sort_by_key(|(available, _)| *available);
    Ok(out.into_iter().map(|(_, r)| r).collect())
}

/// A `--stream` value, `WHAT` or `WHAT=NAME`: what to send, and under
/// which stream name.
pub(crate) fn renamed<'a>(r: &'a str, what: &str) -> Result<(&'a str, &'a str)> {
    let (from, name) = r.split_once('=').unwrap_or((r, r));
    if from.is_empty() || name.is_empty() {
        return Err(Error::input(
            Located::default().field("--stream"),
            format!("`{r}`: expected {what} or {what}=NAME"),
        ));
    }
    Ok((from, name))
}

/// The stream name of each column (`None`: not sent): with no `streams`,
/// every column under its own name; else those named, as `COLUMN` or
/// `COLUMN=NAME`.
fn stream_names(columns: &[String], streams: &[String]) -> Result<Vec<Option<String>>> {
    if streams.is_empty() {
        return Ok(columns.iter().cloned().map(Some).collect());
    }
    let mut names = vec![None; columns.len()];
    for r in streams {
        let at = || Located::default().field("--stream");
        let (column, name) = renamed(r, "COLUMN")?;
        let i = columns.iter().position(|c| c == column).ok_or_else(|| {
            Error::input(
                at(),
                format!(
                    "`{column}` is not a column the spec reads; it reads {}",
                    columns.join(", ")
                ),
            )
        })?;
        names[i] = Some(name.to_string());
    }
    Ok(names)
}
