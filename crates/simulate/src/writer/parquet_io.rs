//! Parquet with the low-level API (no arrow, to keep compile times down).

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use didymos_core::{Error, Located, Result};
use parquet::basic::{Compression, LogicalType, Repetition, Type as PhysicalType};
use parquet::column::reader::get_typed_column_reader;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, RowGroupReader};
use parquet::file::serialized_reader::SerializedFileReader;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::{Type, TypePtr};

use crate::record::{Record, CSV_COLUMNS};

const ROW_GROUP: usize = 65_536;

/// `value` is the only number; `stream`, `time`, `value` are required.
fn schema() -> std::result::Result<TypePtr, ParquetError> {
    let fields = CSV_COLUMNS
        .iter()
        .map(|&name| {
            let required = matches!(name, "stream" | "time" | "value");
            let rep = if required {
                Repetition::REQUIRED
            } else {
                Repetition::OPTIONAL
            };
            let b = if name == "value" {
                Type::primitive_type_builder(name, PhysicalType::DOUBLE)
            } else {
                Type::primitive_type_builder(name, PhysicalType::BYTE_ARRAY)
                    .with_logical_type(Some(LogicalType::String))
            };
            b.with_repetition(rep).build().map(Arc::new)
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Arc::new(
        Type::group_type_builder("schema")
            .with_fields(fields)
            .build()?,
    ))
}

fn text_column(records: &[Record], k: usize) -> Vec<Option<&str>> {
    records
        .iter()
        .map(|r| match k {
            0 => Some(r.stream.as_str()),
            1 => Some(r.time.as_str()),
            2 => r.location.as_deref(),
            3 => r.stratum.as_deref(),
            5 => r.issued.as_deref(),
            _ => r.flag.as_deref(),
        })
        .collect()
}

pub(super) fn to_bytes(records: &[Record]) -> std::result::Result<Vec<u8>, ParquetError> {
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_size(ROW_GROUP)
        .build();
    let mut w = SerializedFileWriter::new(Vec::new(), schema()?, Arc::new(props))?;
    for chunk in records.chunks(ROW_GROUP) {
        let mut rg = w.next_row_group()?;
        for k in 0..CSV_COLUMNS.len() {
            let mut col = rg
                .next_column()?
                .ok_or_else(|| ParquetError::General("schema has fewer columns".into()))?;
            if k == 4 {
                let v: Vec<f64> = chunk.iter().map(|r| r.value).collect();
                col.typed::<DoubleType>().write_batch(&v, None, None)?;
            } else {
                let texts = text_column(chunk, k);
                let values: Vec<ByteArray> = texts
                    .iter()
                    .flatten()
                    .map(|s| ByteArray::from(s.as_bytes().to_vec()))
                    .collect();
                if k < 2 {
                    col.typed::<ByteArrayType>()
                        .write_batch(&values, None, None)?;
                } else {
                    let def: Vec<i16> = texts.iter().map(|t| i16::from(t.is_some())).collect();
                    col.typed::<ByteArrayType>()
                        .write_batch(&values, Some(&def), None)?;
                }
            }
            col.close()?;
        }
        rg.close()?;
    }
    w.into_inner()
}

fn perr(path: &Path, e: ParquetError) -> Error {
    Error::input(Located::file(path), format!("Parquet: {e}"))
}

pub(super) fn read(path: &Path) -> Result<Vec<Record>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let reader = SerializedFileReader::new(file).map_err(|e| perr(path, e))?;
    let descr = reader.metadata().file_metadata().schema_descr();
    // Column index by name; the typed readers panic on a type mismatch, so
    // types are checked first.
    let mut index = [None; 7];
    for (i, c) in descr.columns().iter().enumerate() {
        if let Some(k) = CSV_COLUMNS.iter().position(|&n| n == c.name()) {
            let want = if k == 4 {
                PhysicalType::DOUBLE
            } else {
                PhysicalType::BYTE_ARRAY
            };
            if c.physical_type() != want {
                return Err(Error::input(
                    Located::file(path).field(c.name()),
                    format!(
                        "column `{}` has type {:?}, expected {want:?}",
                        c.name(),
                        c.physical_type()
                    ),
                ));
            }
            index[k] = Some(i);
        }
    }
    for k in [0, 1, 4] {
        if index[k].is_none() {
            return Err(Error::input(
                Located::file(path).field(CSV_COLUMNS[k]),
                format!("missing column `{}`", CSV_COLUMNS[k]),
            ));
        }
    }
    let mut out = Vec::new();
    for g in 0..reader.num_row_groups() {
        let rg = reader.get_row_group(g).map_err(|e| perr(path, e))?;
        let n = usize::try_from(rg.metadata().num_rows()).unwrap_or(0);
        let mut texts: Vec<Vec<Option<String>>> = vec![vec![None; n]; 7];
        let mut values = vec![0.0; n];
        for (k, idx) in index.iter().enumerate() {
            let Some(i) = *idx else { continue };
            if k == 4 {
                values = read_doubles(&*rg, i, n).map_err(|e| perr(path, e))?;
            } else {
                texts[k] = read_texts(&*rg, i, n).map_err(|e| perr(path, e))?;
            }
        }
        let base = out.len();
        for row in 0..n {
            let mut take = |k: usize| texts[k][row].take();
            let r = Record {
                stream: take(0).unwrap_or_default(),
                time: take(1).unwrap_or_default(),
                location: take(2),
                stratum: take(3),
                value: values[row],
                issued: take(5),
                flag: take(6),
            };
            r.validate().map_err(|m| {
                Error::input(
                    Located::file(path).field(format!("row {}", base + row + 1)),
                    m,
                )
            })?;
            out.push(r);
        }
    }
    Ok(out)
}

fn read_doubles(
    rg: &dyn RowGroupReader,
    i: usize,
    n: usize,
) -> std::result::Result<Vec<f64>, ParquetError> {
    let mut reader = get_typed_column_reader::<DoubleType>(rg.get_column_reader(i)?);
    let (mut values, mut def) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut got = 0;
    while got < n {
        let (records, _, _) = reader.read_records(n - got, Some(&mut def), None, &mut values)?;
        if records == 0 {
            break;
        }
        got += records;
    }
    if values.len() != n {
        return Err(ParquetError::General(format!(
            "`value` has {} values for {n} rows (nulls are not allowed)",
            values.len()
        )));
    }
    Ok(values)
}

fn read_texts(
    rg: &dyn RowGroupReader,
    i: usize,
    n: usize,
) -> std::result::Result<Vec<Option<String>>, ParquetError> {
    let mut reader = get_typed_column_reader::<ByteArrayType>(rg.get_column_reader(i)?);
    let (mut values, mut def) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut got = 0;
    while got < n {
        let (records, _, _) = reader.read_records(n - got, Some(&mut def), None, &mut values)?;
        if records == 0 {
            break;
        }
        got += records;
    }
    let max_def = rg.metadata().column(i).column_descr().max_def_level();
    let mut it = values.into_iter();
    let mut out = Vec::with_capacity(n);
    for row in 0..n {
        let present = max_def == 0 || def.get(row).is_some_and(|&d| d == max_def);
        out.push(if present {
            let v = it
                .next()
                .ok_or_else(|| ParquetError::General("column shorter than its row count".into()))?;
            Some(
                String::from_utf8(v.data().to_vec())
                    .map_err(|_| ParquetError::General(format!("row {} is not UTF-8", row + 1)))?,
            )
        } else {
            None
        });
    }
    Ok(out)
}
