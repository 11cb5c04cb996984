//! Checked reading of a backtest folder's CSV files. The report only shows
//! what these files say, so a value no backtest writes (a coverage of 7, a
//! date in the year 999999, a forecaster it does not know, a row twice)
//! is an error naming the file, line and column here: shown, it would
//! read as a valid result.

use std::collections::HashMap;
use std::hash::Hash;
use std::path::{Path, PathBuf};

use didymos_core::{show_number, Date, Error, Located, Result};
use didymos_epi::inputs::{CsvRow, CsvTable};

/// The most weeks ahead a backtest forecasts: ten years is far beyond any
/// horizon a twin's record allows, and keeps the charts' spans sane.
pub(super) const MAX_WEEKS: u64 = 520;
/// The same for a flood backtest's lead, in days.
pub(super) const MAX_LEAD_DAYS: u64 = 3660;

/// What a backtest folder holds, for the errors about a file missing.
pub(super) const FOLDER: &str = "a `didymos backtest` folder holds summary.csv and scores.csv \
     (and calibration.csv, and forecasts.csv with --keep-forecasts)";

/// `dir/name`, which must be a file.
pub(super) fn required(dir: &Path, name: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    match optional(&path)? {
        true => Ok(path),
        false => Err(Error::input(
            Located::file(&path),
            format!("missing; {FOLDER}"),
        )),
    }
}

/// Whether `path` is there (the backtest may not have written it); a
/// directory or other non-file in its place is an error, not "absent".
pub(super) fn optional(path: &Path) -> Result<bool> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(true),
        Ok(_) => Err(Error::input(
            Located::file(path),
            format!("expected a CSV file, found a directory or other non-file; {FOLDER}"),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// The indices of columns `names`, each required.
pub(super) fn require<const N: usize>(t: &CsvTable, names: [&str; N]) -> Result<[usize; N]> {
    let mut c = [0; N];
    for (c, name) in c.iter_mut().zip(names) {
        *c = t.require(name)?;
    }
    Ok(c)
}

/// The error for a file with a header and no rows, which no backtest
/// writes: an empty report would pass for a result.
pub(super) fn no_rows(path: &Path, what: &str) -> Error {
    Error::input(Located::file(path), format!("has no rows; expected {what}"))
}

/// A row's date in column `c`, written as the backtest writes it
/// (YYYY-MM-DD, a year in 1000..=9999). `Date`'s parser also takes a time
/// part, unpadded months and days, and years before 1000, which no
/// backtest writes; such a date is an edit.
pub(super) fn date_in(row: &CsvRow, c: usize) -> Result<Date> {
    let text = row.str(c)?;
    let date: Date = text.parse().map_err(|e| row.error(c, format!("{e}")))?;
    let (year, _, _) = date.ymd();
    if !(1000..=9999).contains(&year) || date.to_string() != text {
        return Err(row.error(
            c,
            format!("expected a date YYYY-MM-DD with a year in 1000..=9999, found `{text}`"),
        ));
    }
    Ok(date)
}

/// A row's whole number of `unit` in column `c`, in `lo..=hi`.
pub(super) fn whole_in(row: &CsvRow, c: usize, unit: &str, lo: u64, hi: u64) -> Result<u64> {
    let text = row.str(c)?;
    let range = match hi {
        u64::MAX => format!("≥ {lo}"),
        _ => format!("from {lo} to {hi}"),
    };
    match text.parse::<u64>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(n),
        _ => Err(row.error(
            c,
            format!("expected a whole number of {unit} {range}, found `{text}`"),
        )),
    }
}

/// A row's number in column `c` for which `ok` holds; `expected` says
/// which numbers those are.
pub(super) fn number_in(
    row: &CsvRow,
    c: usize,
    ok: impl Fn(f64) -> bool,
    expected: &str,
) -> Result<f64> {
    let x = row.f64(c)?;
    if !ok(x) {
        return Err(row.error(c, format!("expected {expected}, found {}", show_number(x))));
    }
    Ok(x)
}

/// A share of forecasts: in [0, 1].
pub(super) fn share(row: &CsvRow, c: usize) -> Result<f64> {
    number_in(row, c, |x| (0.0..=1.0).contains(&x), "a share in [0, 1]")
}

/// A quantile level: strictly between 0 and 1.
pub(super) fn level_in(row: &CsvRow, c: usize) -> Result<f64> {
    number_in(
        row,
        c,
        |x| x > 0.0 && x < 1.0,
        "a quantile level strictly between 0 and 1",
    )
}

/// A row's cell in column `c`, which must be one of `known`.
pub(super) fn one_of<'r>(row: &'r CsvRow, c: usize, known: &[&str]) -> Result<&'r str> {
    let text = row.str(c)?;
    if known.contains(&text) {
        return Ok(text);
    }
    let list: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
    Err(row.error(
        c,
        format!("expected one of {}, found `{text}`", list.join(", ")),
    ))
}

/// The line each key was first seen on, to refuse a second row for the
/// same thing: the report would show one of the two, or both, as if valid.
pub(super) struct Seen<K>(HashMap<K, u64>);

impl<K: Hash + Eq> Seen<K> {
    pub(super) fn new() -> Self {
        Seen(HashMap::new())
    }

    /// Records `key` at `row`'s line; an error at column `c` if an
    /// earlier line had it. `what` describes the key in words.
    pub(super) fn first(&mut self, key: K, row: &CsvRow, c: usize, what: &str) -> Result<()> {
        if let Some(&earlier) = self.0.get(&key) {
            return Err(row.error(
                c,
                format!("line {earlier} already has {what}; each may appear once"),
            ));
        }
        self.0.insert(key, row.line);
        Ok(())
    }
}

/// The same quantity given on several rows (the observed truth of a
/// target) must have one value: the report would show whichever came last.
pub(super) struct Agreed<K>(HashMap<K, (f64, u64)>);

impl<K: Hash + Eq> Agreed<K> {
    pub(super) fn new() -> Self {
        Agreed(HashMap::new())
    }

    pub(super) fn check(
        &mut self,
        key: K,
        value: f64,
        row: &CsvRow,
        c: usize,
        what: &str,
    ) -> Result<()> {
        match self.0.get(&key) {
            Some(&(v, line)) if v.to_bits() != value.to_bits() => Err(row.error(
                c,
                format!(
                    "{} for {what}, but line {line} has {}",
                    show_number(value),
                    show_number(v)
                ),
            )),
            Some(_) => Ok(()),
            None => {
                self.0.insert(key, (value, row.line));
                Ok(())
            }
        }
    }
}
