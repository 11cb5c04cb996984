//! Tidy output files for Didymos simulation results.
//!
//! Every result table the engine writes has the same long ("tidy") shape —
//! one row per `date, patch, age_group, variable` with a single `value` — so
//! downstream tools (pandas, R, DuckDB, Polars) can read any output without
//! knowing which model produced it. Two formats are offered: Parquet for
//! size and speed, CSV for eyeballing and for tools without Parquet support.
//!
//! Files are written to a hidden temporary file next to the destination and
//! renamed into place only on [`TidyWriter::finish`], so a crashed or failed
//! run never leaves a file at the destination that looks complete.
#![forbid(unsafe_code)]

mod csv_sink;
mod parquet_sink;
mod table;

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use didymos_core::{Date, Error, Located, Result};

use csv_sink::CsvSink;
use parquet_sink::ParquetSink;
pub use table::{write_csv_table, write_parquet_table, Column};

/// Column names, in file order. Shared by both formats.
pub const COLUMNS: [&str; 5] = ["date", "patch", "age_group", "variable", "value"];

/// Rows per Parquet row group, at most. Large enough for efficient scans,
/// small enough that the in-memory buffer stays around 25 MB.
pub const MAX_ROW_GROUP_ROWS: usize = 1 << 20;

/// On-disk format of a tidy output file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Parquet,
    Csv,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::Parquet, Format::Csv];

    /// File extension without the dot.
    pub fn extension(&self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Csv => "csv",
        }
    }

    /// The format a path's extension names, if any (case-insensitive).
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?;
        Format::ALL
            .into_iter()
            .find(|f| ext.eq_ignore_ascii_case(f.extension()))
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

impl FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim();
        Format::ALL
            .into_iter()
            .find(|f| t.eq_ignore_ascii_case(f.extension()))
            .ok_or_else(|| {
                Error::Other(format!(
                    "unknown output format `{s}`; valid formats: parquet, csv"
                ))
            })
    }
}

/// One row of a tidy output file.
#[derive(Debug, Clone, PartialEq)]
pub struct TidyRow {
    pub date: Date,
    pub patch: String,
    pub age_group: String,
    pub variable: String,
    pub value: f64,
}

enum Sink {
    Csv(CsvSink),
    Parquet(ParquetSink),
}

/// Streams tidy rows into a file that only appears at its final path once
/// [`finish`](TidyWriter::finish) succeeds.
pub struct TidyWriter {
    path: PathBuf,
    tmp: PathBuf,
    sink: Option<Sink>,
    rows: u64,
    /// Set after a failed write: the sink's state is unknown, so the file
    /// must not be published.
    broken: bool,
    finished: bool,
}

impl TidyWriter {
    /// Creates the parent dir if needed. Writes into a temporary file in the SAME directory
    /// (hidden name like `.{file_name}.partial-{pid}-{nanos}`), so a crash or error never
    /// leaves a file at `path` that looks complete.
    pub fn create(path: &Path, format: Format) -> Result<TidyWriter> {
        if let Some(named) = Format::from_path(path) {
            if named != format {
                return Err(Error::Other(format!(
                    "{}: the extension says {named} but the requested format is {format}; \
                     readers pick the format from the extension, so use `.{}`",
                    path.display(),
                    format.extension()
                )));
            }
        }
        let file_name = path.file_name().ok_or_else(|| {
            Error::Other(format!("{}: output path has no file name", path.display()))
        })?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let (tmp, file) = create_temp(&dir, &file_name.to_string_lossy())?;
        // From here on `writer`'s Drop removes the temporary file on any error.
        let mut writer = TidyWriter {
            path: path.to_path_buf(),
            tmp,
            sink: None,
            rows: 0,
            broken: false,
            finished: false,
        };
        writer.sink = Some(match format {
            Format::Csv => Sink::Csv(CsvSink::new(file, path)?),
            Format::Parquet => Sink::Parquet(ParquetSink::new(file, path)?),
        });
        Ok(writer)
    }

    pub fn push(
        &mut self,
        date: Date,
        patch: &str,
        age_group: &str,
        variable: &str,
        value: f64,
    ) -> Result<()> {
        if !value.is_finite() {
            return Err(Error::Numerical(format!(
                "{}: refusing to write non-finite value {value} for date={date}, patch={patch:?}, \
                 age_group={age_group:?}, variable={variable:?}",
                self.path.display()
            )));
        }
        if self.broken {
            return Err(self.broken_error());
        }
        let res = match self.sink.as_mut() {
            Some(Sink::Csv(s)) => s.push(date, patch, age_group, variable, value),
            Some(Sink::Parquet(s)) => s.push(date, patch, age_group, variable, value),
            None => Err(self.broken_error()),
        };
        match res {
            Ok(()) => {
                self.rows += 1;
                Ok(())
            }
            Err(e) => {
                self.broken = true;
                Err(e)
            }
        }
    }

    pub fn rows_written(&self) -> u64 {
        self.rows
    }

    /// Flushes, fsyncs, then atomically renames the temp file to `path`. Returns the path.
    pub fn finish(mut self) -> Result<PathBuf> {
        if self.broken {
            return Err(self.broken_error());
        }
        let file = match self.sink.take() {
            Some(Sink::Csv(s)) => s.finish()?,
            Some(Sink::Parquet(s)) => s.finish()?,
            None => return Err(self.broken_error()),
        };
        // Without the fsync a power cut after the rename can leave a
        // zero-length or truncated file under the final name.
        file.sync_all().map_err(|e| Error::io(&self.path, e))?;
        drop(file);
        fs::rename(&self.tmp, &self.path).map_err(|e| Error::io(&self.path, e))?;
        self.finished = true;
        sync_parent_dir(&self.path);
        Ok(std::mem::take(&mut self.path))
    }

    fn broken_error(&self) -> Error {
        Error::Other(format!(
            "{}: an earlier write to this output failed; the file will not be created",
            self.path.display()
        ))
    }
}

impl Drop for TidyWriter {
    fn drop(&mut self) {
        // Close the handle first: some platforms refuse to delete open files.
        drop(self.sink.take());
        if !self.finished {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

fn create_temp(dir: &Path, file_name: &str) -> Result<(PathBuf, File)> {
    let pid = std::process::id();
    let mut last_err = None;
    // Two writers for the same name in the same nanosecond are unlikely but
    // possible (parallel tests); `create_new` detects it and we retry.
    for _ in 0..8 {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let tmp = dir.join(format!(".{file_name}.partial-{pid}-{nanos}"));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_err = Some((tmp, e)),
            Err(e) => return Err(Error::io(tmp, e)),
        }
    }
    let (tmp, e) = last_err.expect("loop ran at least once");
    Err(Error::io(tmp, e))
}

/// Makes the rename itself durable. Best effort: the file is already in
/// place and complete, so a failure here is not worth failing the run for.
fn sync_parent_dir(path: &Path) {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Reads a whole tidy file back, rows in file order. The format comes from
/// the extension (`.parquet` or `.csv`).
pub fn read_tidy(path: &Path) -> Result<Vec<TidyRow>> {
    match Format::from_path(path) {
        Some(Format::Csv) => csv_sink::read(path),
        Some(Format::Parquet) => parquet_sink::read(path),
        None => Err(Error::input(
            Located::file(path),
            "cannot tell the format from the file extension; expected `.parquet` or `.csv`",
        )),
    }
}
