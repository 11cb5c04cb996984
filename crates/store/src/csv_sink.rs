//! CSV flavour of the tidy format: a plain header line, ISO dates and values
//! printed so that parsing them gives back the exact same `f64`.

use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};

use didymos_core::{Date, Error, Located, Result};

use crate::{TidyRow, COLUMNS};

pub(crate) struct CsvSink {
    out: csv::Writer<File>,
    /// Final path, for messages: the temporary name means nothing to users.
    path: PathBuf,
    // Rows arrive grouped by date, so formatting each date once saves work.
    last_date: Option<Date>,
    date_buf: String,
    value_buf: String,
}

impl CsvSink {
    pub(crate) fn new(file: File, path: &Path) -> Result<Self> {
        let mut out = csv::WriterBuilder::new()
            .buffer_capacity(1 << 16)
            .from_writer(file);
        out.write_record(COLUMNS).map_err(|e| csv_error(path, e))?;
        Ok(CsvSink {
            out,
            path: path.to_path_buf(),
            last_date: None,
            date_buf: String::new(),
            value_buf: String::new(),
        })
    }

    pub(crate) fn push(
        &mut self,
        date: Date,
        patch: &str,
        age_group: &str,
        variable: &str,
        value: f64,
    ) -> Result<()> {
        if self.last_date != Some(date) {
            self.date_buf.clear();
            write!(self.date_buf, "{date}").expect("writing to a String cannot fail");
            self.last_date = Some(date);
        }
        self.value_buf.clear();
        // `{}` prints the shortest decimal that parses back to the same bits.
        write!(self.value_buf, "{value}").expect("writing to a String cannot fail");
        self.out
            .write_record([
                self.date_buf.as_bytes(),
                patch.as_bytes(),
                age_group.as_bytes(),
                variable.as_bytes(),
                self.value_buf.as_bytes(),
            ])
            .map_err(|e| csv_error(&self.path, e))
    }

    pub(crate) fn finish(self) -> Result<File> {
        let path = self.path;
        self.out
            .into_inner()
            .map_err(|e| Error::io(&path, e.into_error()))
    }
}

fn csv_error(path: &Path, e: csv::Error) -> Error {
    if e.is_io_error() {
        match e.into_kind() {
            csv::ErrorKind::Io(io) => Error::io(path, io),
            other => Error::Other(format!("{}: {other:?}", path.display())),
        }
    } else {
        Error::Other(format!("{}: {e}", path.display()))
    }
}

pub(crate) fn read(path: &Path) -> Result<Vec<TidyRow>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(file);
    let at = |line: u64| Located::file(path).at_line(line);

    let header = rdr.headers().map_err(|e| read_error(path, e))?;
    if header.iter().ne(COLUMNS) {
        return Err(Error::input(
            at(1),
            format!(
                "expected the header `{}`, found `{}`",
                COLUMNS.join(","),
                header.iter().collect::<Vec<_>>().join(",")
            ),
        ));
    }

    let mut rows = Vec::new();
    let mut rec = csv::StringRecord::new();
    while rdr.read_record(&mut rec).map_err(|e| read_error(path, e))? {
        let line = rec.position().map_or(0, |p| p.line());
        let date = rec[0]
            .parse::<Date>()
            .map_err(|e| Error::input(at(line).field("date"), e.to_string()))?;
        let value = match rec[4].parse::<f64>() {
            Ok(v) if v.is_finite() => v,
            _ => {
                return Err(Error::input(
                    at(line).field("value"),
                    format!("`{}` is not a finite number", &rec[4]),
                ))
            }
        };
        rows.push(TidyRow {
            date,
            patch: rec[1].to_string(),
            age_group: rec[2].to_string(),
            variable: rec[3].to_string(),
            value,
        });
    }
    Ok(rows)
}

fn read_error(path: &Path, e: csv::Error) -> Error {
    let mut at = Located::file(path);
    at.line = e.position().map(|p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(path, io),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => Error::input(at, format!("expected {expected_len} fields, found {len}")),
        csv::ErrorKind::Utf8 { err, .. } => {
            let field = COLUMNS.get(err.field()).copied().unwrap_or("?");
            Error::input(at.field(field), "not valid UTF-8")
        }
        other => Error::input(at, format!("malformed CSV: {other:?}")),
    }
}
