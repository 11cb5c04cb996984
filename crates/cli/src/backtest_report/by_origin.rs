//! The backtest report's table of relative WIS by origin: which origins
//! the pooled figures' losses come from (the turns of a wave no data
//! before them showed, typically), for the locations pooled.

use std::collections::BTreeMap;

use didymos_core::Date;
use didymos_report::Grid;

use super::{label_of, matched_wis, Target};

/// Per origin (rows) and weeks ahead (columns): Σ WIS of `who` over
/// Σ WIS of the baseline on the same targets, over the locations (not
/// the total) of `stream`.
pub(super) fn by_origin_grid(scores: &[(Target, f64)], stream: &str, who: &str) -> Grid {
    // (origin, weeks ahead) → (Σ theirs, Σ baseline).
    let mut sums: BTreeMap<(Date, u32), (f64, f64)> = BTreeMap::new();
    for (t, w, b) in matched_wis(scores, stream, who) {
        let s = sums.entry((t.origin, t.weeks_ahead)).or_default();
        s.0 += w;
        s.1 += b;
    }
    let mut weeks: Vec<u32> = sums.keys().map(|(_, k)| *k).collect();
    weeks.sort_unstable();
    weeks.dedup();
    let mut origins: Vec<Date> = sums.keys().map(|(o, _)| *o).collect();
    origins.dedup();
    let rows = origins
        .iter()
        .map(|&o| {
            std::iter::once(o.to_string())
                .chain(weeks.iter().map(|&k| match sums.get(&(o, k)) {
                    Some(&(w, b)) if b > 0.0 => format!("{:.2}", w / b),
                    _ => "–".into(),
                }))
                .collect()
        })
        .collect();
    let headers: Vec<String> = std::iter::once("Origin".to_string())
        .chain(weeks.iter().map(|k| format!("{k} wk ahead")))
        .collect();
    Grid {
        title: format!("Relative WIS of the {} by origin", label_of(who)),
        caption: format!(
            "{}, each location pooled: for each origin, the forecaster's summed WIS over the \
             baseline's on the same targets, by weeks ahead. The pooled scores above are \
             these weighted by the baseline's WIS, so the origins with the largest errors \
             decide them.",
            stream.replace('_', " ")
        ),
        numeric: vec![true; headers.len()],
        headers,
        rows,
    }
}
