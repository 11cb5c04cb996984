//! `R_mobility_matrix.csv`: the sparse commuting matrix Rᵢⱼ.

use std::collections::HashMap;
use std::path::Path;

use didymos_core::{Error, Located, Result};

use super::csv_table::CsvTable;
use super::Warning;
use crate::mmca::Edge;

/// How far an origin's outgoing ratios may sum from 1. The real EpiSim
/// matrices are within 2e-15; 1e-6 leaves room for files written with
/// fewer digits while still catching a missing or doubled edge.
pub const ROW_SUM_TOLERANCE: f64 = 1e-6;

/// Read edges `source_idx, target_idx, ratio` (indices 1-based rows of the
/// metapopulation file, returned 0-based; edges kept in file order).
///
/// Checks: indices in 1..=M, ratio in [0, 1], no edge listed twice, and
/// every origin that has edges has ratios summing to 1 within
/// [`ROW_SUM_TOLERANCE`]. With `normalise`, a row that does not sum to 1
/// is rescaled instead and a warning names it. Origins without any edge
/// are left alone: the model gives them a self-loop of ratio 1, as
/// MMCAcovid19's `correct_self_loops` does.
pub fn read_mobility(
    path: &Path,
    patch_ids: &[String],
    normalise: bool,
) -> Result<(Vec<Edge>, Vec<Warning>)> {
    let m = patch_ids.len();
    let mut table = CsvTable::open(path)?;
    let src_col = table.require("source_idx")?;
    let dst_col = table.require("target_idx")?;
    let ratio_col = table.require("ratio")?;

    let mut edges = Vec::new();
    let mut first_line_of: HashMap<(usize, usize), u64> = HashMap::new();
    // Per origin: sum of ratios and the line of its last edge (to point at).
    let mut sums: Vec<(f64, u64)> = vec![(0.0, 0); m];
    for row in table.rows() {
        let row = row?;
        let source = row.patch_index(src_col, m)?;
        let target = row.patch_index(dst_col, m)?;
        let ratio = row.fraction(ratio_col)?;
        if let Some(first) = first_line_of.insert((source, target), row.line) {
            return Err(row.error(
                dst_col,
                format!(
                    "duplicate edge {} → {} (first on line {first})",
                    source + 1,
                    target + 1
                ),
            ));
        }
        if let Some(s) = sums.get_mut(source) {
            s.0 += ratio;
            s.1 = row.line;
        }
        edges.push(Edge {
            source,
            target,
            ratio,
        });
    }

    let mut warnings = Vec::new();
    // Divisor per origin (1 = unchanged).
    let mut divisor = vec![1.0; m];
    for (i, &(sum, line)) in sums.iter().enumerate() {
        if line == 0 || (sum - 1.0).abs() <= ROW_SUM_TOLERANCE {
            continue;
        }
        let id = patch_ids.get(i).map_or("", String::as_str);
        let at = Located::file(path).at_line(line).field("ratio");
        let what = format!(
            "the ratios of origin `{id}` (source_idx {}) sum to {sum}, not 1",
            i + 1
        );
        if !normalise || sum <= 0.0 {
            let hint = if normalise {
                "; a row of zeros cannot be normalised"
            } else {
                " (normalise_mobility = true would rescale it)"
            };
            return Err(Error::input(at, format!("{what}{hint}")));
        }
        warnings.push(Warning::new(at, format!("{what}; rescaled to sum to 1")));
        if let Some(d) = divisor.get_mut(i) {
            *d = sum;
        }
    }
    if !warnings.is_empty() {
        for e in &mut edges {
            let d = divisor.get(e.source).copied().unwrap_or(1.0);
            if d != 1.0 {
                e.ratio /= d;
            }
        }
    }
    Ok((edges, warnings))
}
