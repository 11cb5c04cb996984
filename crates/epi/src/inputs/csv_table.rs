//! A thin layer over the `csv` crate that turns every failure into an
//! [`Error::input`] naming file, physical line and column. Public for the
//! CLI's readers of our own output tables (a backtest's scores).

use didymos_core::fs::LimitedFile;
use std::path::{Path, PathBuf};

use didymos_core::{show_number, Error, Located, Result};

/// An open CSV file with its header row read.
pub struct CsvTable {
    path: PathBuf,
    reader: csv::Reader<LimitedFile>,
    headers: Vec<String>,
}

/// One data row.
pub struct Row<'t> {
    path: &'t Path,
    headers: &'t [String],
    /// Physical line of the row (header = line 1).
    pub line: u64,
    record: csv::StringRecord,
}

impl CsvTable {
    /// Open `path` and read its header. Column names are trimmed; a UTF-8
    /// byte-order mark and surrounding quotes are removed.
    pub fn open(path: &Path) -> Result<Self> {
        let file = didymos_core::fs::open_limited(path, didymos_core::fs::DATA_MAX_BYTES)?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(csv::Trim::All)
            .from_reader(file);
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| csv_error(path, e))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        let table = CsvTable {
            path: path.to_path_buf(),
            reader,
            headers,
        };
        if table.headers.iter().all(|h| h.is_empty()) {
            return Err(table.header_error("the file is empty or has no header row"));
        }
        for (i, h) in table.headers.iter().enumerate() {
            if table.headers[..i].contains(h) {
                return Err(table.header_error(format!("column `{h}` appears twice in the header")));
            }
        }
        Ok(table)
    }

    fn header_error(&self, msg: impl Into<String>) -> Error {
        Error::input(Located::file(&self.path).at_line(1), msg)
    }

    /// Index of a column that must be present.
    pub fn require(&self, name: &str) -> Result<usize> {
        self.column(name).ok_or_else(|| {
            Error::input(
                Located::file(&self.path).at_line(1).field(name),
                format!(
                    "missing column `{name}`; the header has: {}",
                    self.headers
                        .iter()
                        .map(|h| format!("`{h}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
    }

    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    /// The data rows, each failing with the line it is on.
    pub fn rows(&mut self) -> impl Iterator<Item = Result<Row<'_>>> + '_ {
        let path = self.path.as_path();
        let headers = self.headers.as_slice();
        self.reader.records().map(move |r| {
            let record = r.map_err(|e| csv_error(path, e))?;
            let line = record.position().map_or(0, |p| p.line());
            Ok(Row {
                path,
                headers,
                line,
                record,
            })
        })
    }
}

impl Row<'_> {
    pub fn at(&self, col: usize) -> Located {
        let name = self.headers.get(col).cloned().unwrap_or_default();
        Located::file(self.path).at_line(self.line).field(name)
    }

    pub fn error(&self, col: usize, msg: impl Into<String>) -> Error {
        Error::input(self.at(col), msg)
    }

    /// The trimmed cell as it is, perhaps empty.
    pub fn cell(&self, col: usize) -> &str {
        self.record.get(col).unwrap_or("")
    }

    /// A finite number, or `None` for an empty cell.
    pub fn optional_f64(&self, col: usize) -> Result<Option<f64>> {
        match self.cell(col) {
            "" => Ok(None),
            _ => self.f64(col).map(Some),
        }
    }

    /// The trimmed cell; empty cells are an error.
    pub fn str(&self, col: usize) -> Result<&str> {
        match self.record.get(col) {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(self.error(col, "empty cell; a value is required")),
        }
    }

    /// A finite number (NaN and infinities are refused everywhere: they
    /// would silently poison the whole simulation).
    pub fn f64(&self, col: usize) -> Result<f64> {
        let s = self.str(col)?;
        let x: f64 = s
            .parse()
            .map_err(|_| self.error(col, format!("expected a number, found `{s}`")))?;
        if !x.is_finite() {
            return Err(self.error(col, format!("expected a finite number, found `{s}`")));
        }
        Ok(x)
    }

    /// A finite number ≥ 0.
    pub fn non_negative(&self, col: usize) -> Result<f64> {
        let x = self.f64(col)?;
        if x < 0.0 {
            return Err(self.error(
                col,
                format!("expected a number ≥ 0, found {}", show_number(x)),
            ));
        }
        Ok(x)
    }

    /// A number in [0, 1].
    pub fn fraction(&self, col: usize) -> Result<f64> {
        let x = self.f64(col)?;
        if !(0.0..=1.0).contains(&x) {
            return Err(self.error(
                col,
                format!("expected a value in [0, 1], found {}", show_number(x)),
            ));
        }
        Ok(x)
    }

    /// A 1-based row index into a table of `n` patches, returned 0-based.
    pub fn patch_index(&self, col: usize, n: usize) -> Result<usize> {
        let s = self.str(col)?;
        let bad = || {
            self.error(
                col,
                format!("expected a patch index in 1..={n}, found `{s}`"),
            )
        };
        let i: usize = s.parse().map_err(|_| bad())?;
        if i == 0 || i > n {
            return Err(bad());
        }
        Ok(i - 1)
    }
}

/// A `csv` crate error (ragged row, bad UTF-8, I/O) with its line.
fn csv_error(path: &Path, e: csv::Error) -> Error {
    let line = match e.kind() {
        csv::ErrorKind::UnequalLengths { pos: Some(p), .. }
        | csv::ErrorKind::Utf8 { pos: Some(p), .. } => Some(p.line()),
        _ => e.position().map(|p| p.line()),
    };
    let msg = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("this row has {len} fields but the header has {expected_len}")
        }
        _ => e.to_string(),
    };
    if let csv::ErrorKind::Io(io) = e.kind() {
        return Error::io(path, std::io::Error::new(io.kind(), io.to_string()));
    }
    let mut at = Located::file(path);
    at.line = line;
    Error::input(at, msg)
}
