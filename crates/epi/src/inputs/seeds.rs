//! `A0_initial_conditions_seeds.csv`: persons placed in the asymptomatic
//! compartment A on day 1 (EpiSim's CSV initial condition).

use std::collections::HashMap;
use std::path::Path;

use didymos_core::{Located, Result};

use super::csv_table::CsvTable;
use super::Warning;
use crate::mmca::{Metapopulation, Seed};

/// Read seeds: `idx` (1-based patch row, returned 0-based) and one count
/// column per stratum; `name` and `id` are optional. Counts are multiplied
/// by `scale` (EpiSim's `scale_seeds`; the caller checks it is > 0).
///
/// When an `id` column is present it must agree with the metapopulation id
/// at `idx` — a disagreement means the seeds were written for another
/// patch order. Without it the cross-check is impossible and a warning
/// says so. A patch listed twice is an error (EpiSim would silently keep
/// the last row). A scaled count larger than the stratum's population is
/// an error: it would leave a negative number of susceptibles.
pub fn read_seeds(
    path: &Path,
    metapopulation: &Metapopulation,
    strata: &[String],
    scale: f64,
) -> Result<(Vec<Seed>, Vec<Warning>)> {
    let ids = &metapopulation.ids;
    let mut table = CsvTable::open(path)?;
    let idx_col = table.require("idx")?;
    let strata_cols = strata
        .iter()
        .map(|s| table.require(s))
        .collect::<Result<Vec<_>>>()?;
    let id_col = table.column("id");

    let mut warnings = Vec::new();
    if id_col.is_none() {
        warnings.push(Warning::new(
            Located::file(path).at_line(1).field("id"),
            "no `id` column: cannot check that `idx` points at the intended patches",
        ));
    }

    let mut seeds = Vec::new();
    let mut first_line_of: HashMap<usize, u64> = HashMap::new();
    for row in table.rows() {
        let row = row?;
        let patch = row.patch_index(idx_col, ids.len())?;
        let expected_id = ids.get(patch).map_or("", String::as_str);
        if let Some(c) = id_col {
            let id = row.str(c)?;
            if id != expected_id {
                return Err(row.error(
                    c,
                    format!(
                        "id `{id}` disagrees with the metapopulation, whose patch {} has id `{expected_id}`",
                        patch + 1
                    ),
                ));
            }
        }
        if let Some(first) = first_line_of.insert(patch, row.line) {
            return Err(row.error(
                idx_col,
                format!(
                    "patch {} (`{expected_id}`) is seeded twice (first on line {first})",
                    patch + 1
                ),
            ));
        }
        let mut counts = Vec::with_capacity(strata.len());
        for (g, &c) in strata_cols.iter().enumerate() {
            let n = row.non_negative(c)? * scale;
            // Compare with the population as the model will use it: rounded
            // half-to-even, like Julia's `round`.
            let pop = metapopulation
                .population
                .get(patch)
                .and_then(|p| p.get(g))
                .copied()
                .unwrap_or(0.0);
            let pop = pop.round_ties_even();
            if n > pop {
                return Err(row.error(
                    c,
                    format!(
                        "{n} seeded persons exceed the population {pop} of stratum `{}` in patch `{expected_id}`",
                        strata.get(g).map_or("", String::as_str)
                    ),
                ));
            }
            counts.push(n);
        }
        seeds.push(Seed { patch, counts });
    }
    Ok((seeds, warnings))
}
