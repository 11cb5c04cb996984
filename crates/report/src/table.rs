//! The table of labelled quantile summaries (median, 50% and 90% intervals),
//! e.g. averted outcomes per scenario, and plain tables of text cells.

use crate::error::{ReportError, Result};
use crate::report::{Grid, QuantileTable};
use crate::text::{escape, value};

/// The table as an HTML `<section>`.
pub fn render(table: &QuantileTable) -> Result<String> {
    let who = format!("table {}", table.title);
    if table.label_headers.is_empty() {
        return Err(ReportError::invalid(
            &who,
            "needs at least one label column",
        ));
    }
    let mut out = format!(
        "<section class=\"quantile-table\"><h2>{}</h2><div class=\"table-wrap\"><table>",
        escape(&table.title)
    );
    if !table.caption.is_empty() {
        out.push_str(&format!("<caption>{}</caption>", escape(&table.caption)));
    }
    out.push_str("<thead><tr>");
    for h in &table.label_headers {
        out.push_str(&format!("<th scope=\"col\">{}</th>", escape(h)));
    }
    out.push_str(&format!(
        "<th scope=\"col\" class=\"num\">{}</th>\
         <th scope=\"col\" class=\"num\">50% interval</th>\
         <th scope=\"col\" class=\"num\">90% interval</th></tr></thead><tbody>",
        escape(&table.median_header)
    ));
    for (i, row) in table.rows.iter().enumerate() {
        if row.labels.len() != table.label_headers.len() {
            return Err(ReportError::invalid(
                &who,
                format!(
                    "row {} has {} label(s) for {} label column(s)",
                    i + 1,
                    row.labels.len(),
                    table.label_headers.len()
                ),
            ));
        }
        let s = row.summary;
        let qs = [s.q05, s.q25, s.q50, s.q75, s.q95];
        if qs.iter().any(|q| !q.is_finite()) {
            return Err(ReportError::invalid(
                &who,
                format!(
                    "row {} ({}) has a non-finite quantile",
                    i + 1,
                    row.labels.join(", ")
                ),
            ));
        }
        if !qs.windows(2).all(|w| w[0] <= w[1]) {
            return Err(ReportError::invalid(
                &who,
                format!(
                    "row {} ({}): quantiles are not in increasing order",
                    i + 1,
                    row.labels.join(", ")
                ),
            ));
        }
        out.push_str("<tr>");
        for (j, label) in row.labels.iter().enumerate() {
            // The first label names the row for screen readers.
            let cell = if j == 0 { "th scope=\"row\"" } else { "td" };
            let close = if j == 0 { "th" } else { "td" };
            out.push_str(&format!("<{cell}>{}</{close}>", escape(label)));
        }
        out.push_str(&format!(
            "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&value(s.q50)),
            escape(&interval(s.q25, s.q75)),
            escape(&interval(s.q05, s.q95)),
        ));
    }
    out.push_str("</tbody></table></div></section>");
    Ok(out)
}

/// "12 to 40": words rather than a dash, which would read as a minus sign
/// next to negative numbers.
fn interval(lo: f64, hi: f64) -> String {
    format!("{} to {}", value(lo), value(hi))
}

/// A plain table as an HTML `<section>`.
pub fn render_grid(grid: &Grid) -> Result<String> {
    let who = format!("table {}", grid.title);
    let width = grid.headers.len();
    if width == 0 || grid.numeric.len() != width {
        return Err(ReportError::invalid(
            &who,
            format!(
                "needs at least one column and a numeric flag for each ({} header(s), {} flag(s))",
                width,
                grid.numeric.len()
            ),
        ));
    }
    if let Some(i) = grid.rows.iter().position(|r| r.len() != width) {
        return Err(ReportError::invalid(
            &who,
            format!(
                "row {} has {} cell(s) for {width} column(s)",
                i + 1,
                grid.rows[i].len()
            ),
        ));
    }
    let class = |j: usize| {
        if grid.numeric[j] {
            " class=\"num\""
        } else {
            ""
        }
    };
    let mut out = format!(
        "<section class=\"grid-table\"><h2>{}</h2><div class=\"table-wrap\"><table>",
        escape(&grid.title)
    );
    if !grid.caption.is_empty() {
        out.push_str(&format!("<caption>{}</caption>", escape(&grid.caption)));
    }
    out.push_str("<thead><tr>");
    for (j, h) in grid.headers.iter().enumerate() {
        out.push_str(&format!("<th scope=\"col\"{}>{}</th>", class(j), escape(h)));
    }
    out.push_str("</tr></thead><tbody>");
    for row in &grid.rows {
        out.push_str("<tr>");
        for (j, cell) in row.iter().enumerate() {
            // The first cell names the row for screen readers.
            match j {
                0 => out.push_str(&format!("<th scope=\"row\">{}</th>", escape(cell))),
                _ => out.push_str(&format!("<td{}>{}</td>", class(j), escape(cell))),
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div></section>");
    Ok(out)
}
