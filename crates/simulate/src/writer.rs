//! Observation files in the ingest schema, written and read back: CSV
//! (header `stream,time,location,stratum,value,issued,flag`; the last two
//! are ours and may be absent when reading), NDJSON (one record per line)
//! and Parquet (the same seven columns: `stream`, `time` and `value`
//! required, the others optional UTF-8). Files are written whole to a
//! temporary name and renamed.

use std::path::Path;

use didymos_core::{Error, Located, Result};

use crate::record::{Record, CSV_COLUMNS};

mod parquet_io;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Ndjson,
    Parquet,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
            Format::Parquet => "parquet",
        }
    }
    pub fn parse(s: &str) -> Result<Format> {
        match s {
            "csv" => Ok(Format::Csv),
            "ndjson" | "jsonl" => Ok(Format::Ndjson),
            "parquet" => Ok(Format::Parquet),
            _ => Err(Error::input(
                Located::default().field("format"),
                format!("unknown format `{s}`; valid formats are: csv, ndjson, parquet"),
            )),
        }
    }
    /// By file extension (`.csv`, `.ndjson`/`.jsonl`, `.parquet`).
    pub fn from_path(path: &Path) -> Result<Format> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        Format::parse(ext).map_err(|_| {
            Error::input(
                Located::file(path),
                "cannot tell the format from the extension: use .csv, .ndjson (or .jsonl) or .parquet",
            )
        })
    }
}

/// Write `records` to `path` in `format`, atomically.
pub fn write_records(path: &Path, format: Format, records: &[Record]) -> Result<()> {
    let bytes = match format {
        Format::Csv => {
            csv_bytes(records).map_err(|e| Error::Other(format!("{}: {e}", path.display())))?
        }
        Format::Ndjson => {
            let mut out = Vec::with_capacity(records.len() * 96);
            for r in records {
                out.extend_from_slice(r.to_json().as_bytes());
                out.push(b'\n');
            }
            out
        }
        Format::Parquet => parquet_io::to_bytes(records)
            .map_err(|e| Error::Other(format!("{}: Parquet: {e}", path.display())))?,
    };
    didymos_core::fs::write_atomic(path, &bytes)
}

fn csv_bytes(records: &[Record]) -> std::result::Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(records.len() * 48));
    w.write_record(CSV_COLUMNS)?;
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    for r in records {
        // `{}` of an f64 is the shortest text that reads back to the same bits.
        w.write_record([
            r.stream.clone(),
            r.time.clone(),
            opt(&r.location),
            opt(&r.stratum),
            format!("{}", r.value),
            opt(&r.issued),
            opt(&r.flag),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// Read a file in the ingest schema; the format comes from the extension.
/// Each bad record is an error naming the file and line (CSV, NDJSON) or
/// row (Parquet).
pub fn read_records(path: &Path) -> Result<Vec<Record>> {
    let format = Format::from_path(path)?;
    let records = match format {
        Format::Csv => read_csv(path)?,
        Format::Ndjson => read_ndjson(path)?,
        Format::Parquet => parquet_io::read(path)?,
    };
    Ok(records)
}

fn read_ndjson(path: &Path) -> Result<Vec<Record>> {
    let text = didymos_core::fs::read_text(path, didymos_core::fs::DATA_MAX_BYTES)?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = || Located::file(path).at_line(i as u64 + 1);
        let r: Record = serde_json::from_str(line)
            .map_err(|e| Error::input(at(), format!("not a record: {e}")))?;
        r.validate().map_err(|m| Error::input(at(), m))?;
        out.push(r);
    }
    Ok(out)
}

fn read_csv(path: &Path) -> Result<Vec<Record>> {
    let file = didymos_core::fs::open_limited(path, didymos_core::fs::DATA_MAX_BYTES)?;
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(file);
    let header = rdr
        .headers()
        .map_err(|e| Error::input(Located::file(path).at_line(1), e.to_string()))?
        .clone();
    let col = |name: &str| header.iter().position(|h| h.trim() == name);
    let need = |name: &str| {
        col(name).ok_or_else(|| {
            Error::input(
                Located::file(path).at_line(1).field(name),
                format!("missing column `{name}` (the header must include stream,time,value; location,stratum,issued,flag are optional)"),
            )
        })
    };
    let (stream, time, value) = (need("stream")?, need("time")?, need("value")?);
    let optional = [col("location"), col("stratum"), col("issued"), col("flag")];
    let mut out = Vec::new();
    for row in rdr.records() {
        let row = row.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            Error::input(Located::file(path).at_line(line), e.to_string())
        })?;
        let line = row.position().map_or(0, |p| p.line());
        let at = |field: &str| Located::file(path).at_line(line).field(field);
        let text = |i: usize| row.get(i).unwrap_or("").trim().to_string();
        let opt = |i: Option<usize>| i.map(text).filter(|s| !s.is_empty());
        let v = text(value);
        let r = Record {
            stream: text(stream),
            time: text(time),
            location: opt(optional[0]),
            stratum: opt(optional[1]),
            value: v
                .parse()
                .map_err(|_| Error::input(at("value"), format!("`{v}` is not a number")))?,
            issued: opt(optional[2]),
            flag: opt(optional[3]),
        };
        r.validate()
            .map_err(|m| Error::input(at(m.split(':').next().unwrap_or("")), m.clone()))?;
        out.push(r);
    }
    Ok(out)
}
