//! A small typed table as one Parquet or CSV file, for result tables whose
//! columns are not the tidy five (backtest scores: dates, names, horizons,
//! scores and coverage flags). Such tables hold thousands of rows, so the
//! whole file is built in memory and written atomically in one go. One set
//! of columns feeds both formats, so they cannot drift apart.

use std::path::Path;
use std::sync::Arc;

use parquet::basic::{Compression, LogicalType, Repetition, Type as PhysicalType};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int32Type};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;

use didymos_core::{Date, Error, Result};

/// One column's values, all required (no nulls) except in
/// [`Column::MaybeFloat`].
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    Date(Vec<Date>),
    Text(Vec<String>),
    Int(Vec<i32>),
    Float(Vec<f64>),
    /// A score some rows have and others lack: an OPTIONAL DOUBLE in
    /// Parquet (null where `None`), an empty cell in CSV.
    MaybeFloat(Vec<Option<f64>>),
    Bool(Vec<bool>),
}

impl Column {
    fn len(&self) -> usize {
        match self {
            Column::Date(v) => v.len(),
            Column::Text(v) => v.len(),
            Column::Int(v) => v.len(),
            Column::Float(v) => v.len(),
            Column::MaybeFloat(v) => v.len(),
            Column::Bool(v) => v.len(),
        }
    }

    /// Row `i` as CSV text (Rust's `Display`: dates ISO, floats shortest
    /// round-trip, booleans `true`/`false`).
    fn cell(&self, i: usize) -> String {
        match self {
            Column::Date(v) => v[i].to_string(),
            Column::Text(v) => v[i].clone(),
            Column::Int(v) => v[i].to_string(),
            Column::Float(v) => v[i].to_string(),
            Column::MaybeFloat(v) => v[i].map_or_else(String::new, |x| x.to_string()),
            Column::Bool(v) => v[i].to_string(),
        }
    }

    fn field(&self, name: &str) -> std::result::Result<Type, ParquetError> {
        let (physical, logical) = match self {
            Column::Date(_) => (PhysicalType::INT32, Some(LogicalType::Date)),
            Column::Text(_) => (PhysicalType::BYTE_ARRAY, Some(LogicalType::String)),
            Column::Int(_) => (
                PhysicalType::INT32,
                Some(LogicalType::Integer {
                    bit_width: 32,
                    is_signed: true,
                }),
            ),
            Column::Float(_) | Column::MaybeFloat(_) => (PhysicalType::DOUBLE, None),
            Column::Bool(_) => (PhysicalType::BOOLEAN, None),
        };
        let repetition = match self {
            Column::MaybeFloat(_) => Repetition::OPTIONAL,
            _ => Repetition::REQUIRED,
        };
        Type::primitive_type_builder(name, physical)
            .with_repetition(repetition)
            .with_logical_type(logical)
            .build()
    }
}

/// Writes `columns` (name, values; all the same length) to `path` as one
/// row group, replacing the file atomically.
pub fn write_parquet_table(path: &Path, columns: &[(&str, Column)]) -> Result<()> {
    check_lengths(path, columns)?;
    let bytes = encode(columns).map_err(|e| Error::Other(format!("{}: {e}", path.display())))?;
    didymos_core::fs::write_atomic(path, &bytes)
}

/// The same table as CSV with a header row, replacing the file atomically.
pub fn write_csv_table(path: &Path, columns: &[(&str, Column)]) -> Result<()> {
    let rows = check_lengths(path, columns)?;
    let e = |e: csv::Error| Error::Other(format!("{}: {e}", path.display()));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(columns.iter().map(|(name, _)| *name))
        .map_err(e)?;
    for i in 0..rows {
        w.write_record(columns.iter().map(|(_, c)| c.cell(i)))
            .map_err(e)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Other(format!("{}: {e}", path.display())))?;
    didymos_core::fs::write_atomic(path, &bytes)
}

/// The common row count, or an error naming the column that differs.
fn check_lengths(path: &Path, columns: &[(&str, Column)]) -> Result<usize> {
    let rows = columns.first().map_or(0, |(_, c)| c.len());
    match columns.iter().find(|(_, c)| c.len() != rows) {
        Some((name, c)) => Err(Error::Other(format!(
            "{}: column `{name}` has {} rows, the first has {rows}",
            path.display(),
            c.len()
        ))),
        None => Ok(rows),
    }
}

fn encode(columns: &[(&str, Column)]) -> std::result::Result<Vec<u8>, ParquetError> {
    let fields = columns
        .iter()
        .map(|(name, c)| c.field(name).map(Arc::new))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let schema = Arc::new(
        Type::group_type_builder("schema")
            .with_fields(fields)
            .build()?,
    );
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut writer = SerializedFileWriter::new(Vec::new(), schema, Arc::new(props))?;
    let mut rg = writer.next_row_group()?;
    for (_, c) in columns {
        let mut col = rg
            .next_column()?
            .ok_or_else(|| ParquetError::General("schema has fewer columns than written".into()))?;
        match c {
            Column::Date(v) => {
                let days: Vec<i32> = v.iter().map(|d| d.days_since_epoch()).collect();
                col.typed::<Int32Type>().write_batch(&days, None, None)?;
            }
            Column::Text(v) => {
                let bytes: Vec<ByteArray> = v.iter().map(|s| ByteArray::from(s.as_str())).collect();
                col.typed::<ByteArrayType>()
                    .write_batch(&bytes, None, None)?;
            }
            Column::Int(v) => {
                col.typed::<Int32Type>().write_batch(v, None, None)?;
            }
            Column::Float(v) => {
                col.typed::<DoubleType>().write_batch(v, None, None)?;
            }
            Column::MaybeFloat(v) => {
                // Definition level 1 where there is a value, 0 for a null;
                // the values themselves are the present ones only.
                let present: Vec<f64> = v.iter().flatten().copied().collect();
                let levels: Vec<i16> = v.iter().map(|x| i16::from(x.is_some())).collect();
                col.typed::<DoubleType>()
                    .write_batch(&present, Some(&levels), None)?;
            }
            Column::Bool(v) => {
                col.typed::<BoolType>().write_batch(v, None, None)?;
            }
        }
        col.close()?;
    }
    rg.close()?;
    writer.into_inner()
}
