//! Readers for the MMCA input files, in EpiSim.jl's formats, and the pieces
//! shared by the two front ends ([`crate::episim`] reads EpiSim's JSON
//! config, [`crate::spec`] our TOML twin spec).
//!
//! Every reader validates what it reads and fails with ONE
//! [`Error::input`](didymos_core::Error::input) naming the file, the line
//! (the CSV header is line 1) and the column, and saying what was expected.
//! Problems that do not stop a run (a dropped κ₀ row, a renormalised
//! mobility row) come back as [`Warning`]s for the caller to show.
//!
//! The CSV formats (all comma-separated, header required, quoting optional,
//! extra columns ignored as EpiSim ignores them):
//!
//! | file | columns |
//! |---|---|
//! | metapopulation | `id`, `area`, one column per stratum label (`total` optional) |
//! | mobility | `source_idx`, `target_idx` (1-based patch rows), `ratio` |
//! | seeds | `idx` (1-based patch row), one column per stratum (`id`, `name` optional) |
//! | κ₀ series | `date`, `reduction` |

mod csv_table;
pub use csv_table::{CsvTable, Row as CsvRow};
mod kappa0;
mod metapopulation;
mod mobility;
mod observations;
pub(crate) mod params;
pub(crate) mod parse;
mod seeds;
pub(crate) mod spec_writer;

use std::fmt;
use std::path::{Path, PathBuf};

use didymos_core::{Error, Located, Result, Timeline};

use crate::mmca::{Containment, Edge, Metapopulation, Seed};

pub use kappa0::{kappa0_containments, read_kappa0, read_kappa0_rows, Kappa0Row};
pub use metapopulation::read_metapopulation;
pub use mobility::{read_mobility, ROW_SUM_TOLERANCE};
pub use observations::{read_observations, Issue, Key, ObservationColumns, ObservationTable};
pub use seeds::read_seeds;

/// A non-fatal problem found while reading inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    pub at: Located,
    pub msg: String,
}

impl Warning {
    pub fn new(at: Located, msg: impl Into<String>) -> Self {
        Warning {
            at,
            msg: msg.into(),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "warning: {}: {}", self.at, self.msg)
    }
}

/// One containment measure with its day and where it was defined, so that
/// two measures on one day can be reported by both their sources.
#[derive(Debug, Clone, PartialEq)]
pub struct DatedContainment {
    /// 1-based simulation day.
    pub day: usize,
    pub containment: Containment,
    pub at: Located,
}

/// Build the containment timeline; two measures on the same day are an
/// error naming both (the model applies one measure per day).
pub fn build_containments(entries: Vec<DatedContainment>) -> Result<Timeline<Containment>> {
    let mut sorted = entries;
    // Stable sort: the first source listed stays first in the message.
    sorted.sort_by_key(|e| e.day);
    for pair in sorted.windows(2) {
        if let [a, b] = pair {
            if a.day == b.day {
                return Err(Error::input(
                    b.at.clone(),
                    format!(
                        "two containment measures on day {} (also defined at {}); \
                         only one measure per day is allowed",
                        b.day, a.at
                    ),
                ));
            }
        }
    }
    Ok(sorted.into_iter().map(|e| (e.day, e.containment)).collect())
}

/// The data files of one run and how to read them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DataFiles {
    pub metapopulation: PathBuf,
    pub mobility: PathBuf,
    pub seeds: PathBuf,
    pub normalise_mobility: bool,
    /// Multiplier applied to every seed count (EpiSim's `scale_seeds`).
    pub seed_scale: f64,
}

/// What the three patch-level files give.
pub(crate) struct PatchData {
    pub metapopulation: Metapopulation,
    pub edges: Vec<Edge>,
    pub seeds: Vec<Seed>,
}

/// Read metapopulation, mobility and seeds, in that order (the later files
/// are checked against the patches of the first).
pub(crate) fn read_patch_data(
    files: &DataFiles,
    strata: &[String],
    warnings: &mut Vec<Warning>,
) -> Result<PatchData> {
    let (metapopulation, w) = read_metapopulation(&files.metapopulation, strata)?;
    warnings.extend(w);
    let (edges, w) = read_mobility(
        &files.mobility,
        &metapopulation.ids,
        files.normalise_mobility,
    )?;
    warnings.extend(w);
    let (seeds, w) = read_seeds(&files.seeds, &metapopulation, strata, files.seed_scale)?;
    warnings.extend(w);
    Ok(PatchData {
        metapopulation,
        edges,
        seeds,
    })
}

/// `YYYY-MM-DD` with a four-digit year, as the spec readers parse it.
pub(crate) use didymos_spec::parse_date;

/// Read a whole spec, scenario or config file (data tables are read record
/// by record through [`csv_table`]).
pub(crate) fn read_text(path: &Path) -> Result<String> {
    didymos_core::fs::read_text(path, didymos_core::fs::SPEC_MAX_BYTES)
}
