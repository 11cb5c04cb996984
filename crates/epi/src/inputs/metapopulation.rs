//! `metapopulation_data.csv`: one row per patch, in the order the mobility
//! and seed files index (row k ↔ patch index k, 1-based).

use std::collections::HashMap;
use std::path::Path;

use didymos_core::{Error, Located, Result};

use super::csv_table::CsvTable;
use super::Warning;
use crate::mmca::Metapopulation;

/// Read patches: `id` (kept as a string, leading zeros included), `area`
/// (km², ≥ 0) and the population of each stratum in `strata` (persons,
/// ≥ 0, kept as read: the model rounds them as EpiSim does). A `total`
/// column, when present, is compared with the sum of the strata and a
/// mismatch of more than half a person is reported as a warning.
pub fn read_metapopulation(
    path: &Path,
    strata: &[String],
) -> Result<(Metapopulation, Vec<Warning>)> {
    let mut table = CsvTable::open(path)?;
    let id_col = table.require("id")?;
    let area_col = table.require("area")?;
    let strata_cols = strata
        .iter()
        .map(|s| table.require(s))
        .collect::<Result<Vec<_>>>()?;
    let total_col = table.column("total");

    let mut ids = Vec::new();
    let mut area = Vec::new();
    let mut population = Vec::new();
    let mut warnings = Vec::new();
    let mut first_line_of: HashMap<String, u64> = HashMap::new();
    let mut total_mismatches = 0usize;

    for row in table.rows() {
        let row = row?;
        let id = row.str(id_col)?.to_string();
        if let Some(first) = first_line_of.insert(id.clone(), row.line) {
            return Err(row.error(
                id_col,
                format!("duplicate patch id `{id}` (first on line {first})"),
            ));
        }
        let a = row.non_negative(area_col)?;
        let pop = strata_cols
            .iter()
            .map(|&c| row.non_negative(c))
            .collect::<Result<Vec<_>>>()?;
        if let Some(tc) = total_col {
            let total = row.non_negative(tc)?;
            let sum: f64 = pop.iter().sum();
            if (total - sum).abs() > 0.5 {
                if total_mismatches == 0 {
                    warnings.push(Warning::new(
                        row.at(tc),
                        format!(
                            "total {total} differs from the sum of the strata {sum} for patch `{id}`; \
                             the strata columns are used"
                        ),
                    ));
                }
                total_mismatches += 1;
            }
        }
        ids.push(id);
        area.push(a);
        population.push(pop);
    }
    if total_mismatches > 1 {
        warnings.push(Warning::new(
            Located::file(path).field("total"),
            format!("{total_mismatches} patches in all have a total that differs from the sum of the strata"),
        ));
    }
    if ids.is_empty() {
        return Err(Error::input(
            Located::file(path).at_line(2),
            "no patches: the file has a header but no rows",
        ));
    }
    Ok((
        Metapopulation {
            ids,
            area,
            population,
        },
        warnings,
    ))
}
