//! Parquet flavour of the tidy format, written with the `parquet` crate's
//! low-level column writers (the Arrow layer would triple compile time and
//! buys nothing for five flat columns).
//!
//! Rows are buffered column-wise. The three id columns repeat a handful of
//! strings millions of times, so each is stored as `u32` indices into a
//! string table and only turned into `ByteArray`s, chunk by chunk, when a
//! row group is written.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::basic::{Compression, LogicalType, Repetition, Type as PhysicalType};
use parquet::column::reader::get_typed_column_reader;
use parquet::data_type::{ByteArray, ByteArrayType, DataType, DoubleType, Int32Type};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, RowGroupReader};
use parquet::file::serialized_reader::SerializedFileReader;
use parquet::file::writer::{SerializedFileWriter, SerializedRowGroupWriter};
use parquet::schema::types::{ColumnPath, SchemaDescriptor, Type, TypePtr};

use didymos_core::{Date, Error, Located, Result};

use crate::{TidyRow, COLUMNS, MAX_ROW_GROUP_ROWS};

/// ByteArrays materialised at a time when writing a string column; bounds
/// the transient memory independently of the row-group size.
const STRING_CHUNK: usize = 8192;

/// The file schema: `date` DATE, three UTF-8 ids, `value` DOUBLE, all required.
pub fn schema() -> TypePtr {
    let col = |name: &str, physical, logical| {
        Type::primitive_type_builder(name, physical)
            .with_repetition(Repetition::REQUIRED)
            .with_logical_type(logical)
            .build()
            .map(Arc::new)
    };
    let fields = vec![
        col(COLUMNS[0], PhysicalType::INT32, Some(LogicalType::Date)),
        col(
            COLUMNS[1],
            PhysicalType::BYTE_ARRAY,
            Some(LogicalType::String),
        ),
        col(
            COLUMNS[2],
            PhysicalType::BYTE_ARRAY,
            Some(LogicalType::String),
        ),
        col(
            COLUMNS[3],
            PhysicalType::BYTE_ARRAY,
            Some(LogicalType::String),
        ),
        col(COLUMNS[4], PhysicalType::DOUBLE, None),
    ];
    let fields = fields
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .expect("static schema is valid");
    Arc::new(
        Type::group_type_builder("schema")
            .with_fields(fields)
            .build()
            .expect("static schema is valid"),
    )
}

fn properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_size(MAX_ROW_GROUP_ROWS)
        // Dates repeat as much as the ids do; values rarely repeat, and a
        // dictionary there would only be built and then abandoned.
        .set_dictionary_enabled(true)
        .set_column_dictionary_enabled(ColumnPath::from(COLUMNS[4]), false)
        .build()
}

/// Maps each distinct string to a small index. Lives as long as the file,
/// not one row group: every row group repeats the same few thousand ids, so
/// re-interning them per group would only redo work.
#[derive(Default)]
struct Interner {
    ids: HashMap<Box<str>, u32>,
    values: Vec<ByteArray>,
    /// Rows usually come sorted, so the previous string is the best guess
    /// and is checked before hashing.
    last: u32,
}

impl Interner {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(v) = self.values.get(self.last as usize) {
            if v.data() == s.as_bytes() {
                return self.last;
            }
        }
        let id = match self.ids.get(s) {
            Some(&id) => id,
            None => {
                let id = u32::try_from(self.values.len()).expect("fewer than 2^32 distinct ids");
                self.ids.insert(s.into(), id);
                self.values.push(ByteArray::from(s.as_bytes().to_vec()));
                id
            }
        };
        self.last = id;
        id
    }
}

pub(crate) struct ParquetSink {
    writer: SerializedFileWriter<File>,
    path: PathBuf,
    dates: Vec<i32>,
    /// Indices into `strings[k]` for id column `k` (patch, age_group, variable).
    ids: [Vec<u32>; 3],
    strings: [Interner; 3],
    values: Vec<f64>,
    scratch: Vec<ByteArray>,
}

impl ParquetSink {
    pub(crate) fn new(file: File, path: &Path) -> Result<Self> {
        let writer = SerializedFileWriter::new(file, schema(), Arc::new(properties()))
            .map_err(|e| parquet_error(path, e))?;
        Ok(ParquetSink {
            writer,
            path: path.to_path_buf(),
            dates: Vec::new(),
            ids: Default::default(),
            strings: Default::default(),
            values: Vec::new(),
            scratch: Vec::with_capacity(STRING_CHUNK),
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
        self.dates.push(date.days_since_epoch());
        for ((ids, table), s) in self
            .ids
            .iter_mut()
            .zip(&mut self.strings)
            .zip([patch, age_group, variable])
        {
            ids.push(table.intern(s));
        }
        self.values.push(value);
        if self.dates.len() >= MAX_ROW_GROUP_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.dates.is_empty() {
            return Ok(());
        }
        self.write_row_group()
            .map_err(|e| parquet_error(&self.path, e))?;
        self.dates.clear();
        self.ids.iter_mut().for_each(Vec::clear);
        self.values.clear();
        Ok(())
    }

    fn write_row_group(&mut self) -> Result<(), ParquetError> {
        let mut rg = self.writer.next_row_group()?;
        write_column::<Int32Type>(&mut rg, &self.dates)?;
        for (ids, table) in self.ids.iter().zip(&self.strings) {
            let mut col = next_column(&mut rg)?;
            for chunk in ids.chunks(STRING_CHUNK) {
                self.scratch.clear();
                // Cloning a ByteArray bumps a reference count; no copy.
                self.scratch
                    .extend(chunk.iter().map(|&i| table.values[i as usize].clone()));
                col.typed::<ByteArrayType>()
                    .write_batch(&self.scratch, None, None)?;
            }
            col.close()?;
        }
        self.scratch.clear();
        write_column::<DoubleType>(&mut rg, &self.values)?;
        rg.close()?;
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Result<File> {
        self.flush()?;
        self.writer
            .into_inner()
            .map_err(|e| parquet_error(&self.path, e))
    }
}

fn next_column<'a>(
    rg: &'a mut SerializedRowGroupWriter<'_, File>,
) -> Result<parquet::file::writer::SerializedColumnWriter<'a>, ParquetError> {
    rg.next_column()?
        .ok_or_else(|| ParquetError::General("schema has fewer columns than written".into()))
}

fn write_column<T: DataType>(
    rg: &mut SerializedRowGroupWriter<'_, File>,
    values: &[T::T],
) -> Result<(), ParquetError> {
    let mut col = next_column(rg)?;
    col.typed::<T>().write_batch(values, None, None)?;
    col.close()
}

fn parquet_error(path: &Path, e: ParquetError) -> Error {
    match e {
        ParquetError::External(inner) => match inner.downcast::<std::io::Error>() {
            Ok(io) => Error::io(path, *io),
            Err(other) => Error::Other(format!("{}: Parquet: {other}", path.display())),
        },
        other => Error::Other(format!("{}: Parquet: {other}", path.display())),
    }
}

pub(crate) fn read(path: &Path) -> Result<Vec<TidyRow>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let reader = SerializedFileReader::new(file).map_err(|e| parquet_error(path, e))?;
    check_schema(path, reader.metadata().file_metadata().schema_descr())?;

    let total = reader.metadata().file_metadata().num_rows();
    let mut rows = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    for g in 0..reader.num_row_groups() {
        let rg = reader
            .get_row_group(g)
            .map_err(|e| parquet_error(path, e))?;
        let n = usize::try_from(rg.metadata().num_rows()).unwrap_or(0);
        let cols = read_row_group(&*rg, n).map_err(|e| parquet_error(path, e))?;
        let (dates, [patch, age, var], values) = cols;
        for i in 0..n {
            let row_no = rows.len() + 1;
            let text = |col: &[ByteArray], k: usize| -> Result<String> {
                String::from_utf8(col[i].data().to_vec()).map_err(|_| {
                    Error::input(
                        Located::file(path).field(COLUMNS[k]),
                        format!("row {row_no} is not valid UTF-8"),
                    )
                })
            };
            rows.push(TidyRow {
                date: Date::from_days_since_epoch(dates[i]),
                patch: text(&patch, 1)?,
                age_group: text(&age, 2)?,
                variable: text(&var, 3)?,
                value: values[i],
            });
        }
    }
    Ok(rows)
}

type Columns = (Vec<i32>, [Vec<ByteArray>; 3], Vec<f64>);

fn read_row_group(rg: &dyn RowGroupReader, n: usize) -> Result<Columns, ParquetError> {
    Ok((
        read_column::<Int32Type>(rg, 0, n)?,
        [
            read_column::<ByteArrayType>(rg, 1, n)?,
            read_column::<ByteArrayType>(rg, 2, n)?,
            read_column::<ByteArrayType>(rg, 3, n)?,
        ],
        read_column::<DoubleType>(rg, 4, n)?,
    ))
}

fn read_column<T: DataType>(
    rg: &dyn RowGroupReader,
    i: usize,
    n: usize,
) -> Result<Vec<T::T>, ParquetError> {
    let mut reader = get_typed_column_reader::<T>(rg.get_column_reader(i)?);
    let mut out = Vec::with_capacity(n);
    reader.read_records(n, None, None, &mut out)?;
    if out.len() != n {
        return Err(ParquetError::General(format!(
            "column `{}` has {} values, the row group says {n}",
            COLUMNS[i],
            out.len()
        )));
    }
    Ok(out)
}

/// Rejects files of another shape before the typed column readers (which
/// panic on a type mismatch) are asked for them.
fn check_schema(path: &Path, descr: &SchemaDescriptor) -> Result<()> {
    let expected = SchemaDescriptor::new(schema());
    let found: Vec<&str> = descr.columns().iter().map(|c| c.name()).collect();
    if found != COLUMNS {
        return Err(Error::input(
            Located::file(path),
            format!("expected the columns {COLUMNS:?}, found {found:?}"),
        ));
    }
    for (want, got) in expected.columns().iter().zip(descr.columns()) {
        if want.physical_type() != got.physical_type()
            || got.max_def_level() != 0
            || got.max_rep_level() != 0
        {
            return Err(Error::input(
                Located::file(path).field(got.name()),
                format!(
                    "expected a required {} column, found {}{}",
                    want.physical_type(),
                    if got.max_def_level() != 0 {
                        "an optional "
                    } else {
                        ""
                    },
                    got.physical_type()
                ),
            ));
        }
    }
    Ok(())
}
