//! The HTML page: inline CSS, metadata list, sections in order. Figures are
//! inlined SVG documents; nothing is fetched when the page is opened.

use crate::report::{Choropleth, Report, Text};
use crate::text::escape;

/// Readable on a laptop or a tablet: one column of at most 60rem, SVGs
/// scale to the column width through their viewBox.
const CSS: &str = "\
:root{color-scheme:light;--ink:#1f2328;--muted:#57606a;--rule:#d8dee4}\
*{box-sizing:border-box}\
body{margin:0;background:#f6f8fa;color:var(--ink);font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif}\
main{max-width:60rem;margin:0 auto;padding:1.5rem 1rem 3rem;background:#fff;min-height:100vh}\
h1{font-size:1.75rem;line-height:1.2;margin:.5rem 0 .25rem}\
h2{font-size:1.25rem;margin:2rem 0 .5rem;border-top:1px solid var(--rule);padding-top:1rem}\
.subtitle{color:var(--muted);margin:0 0 1rem}\
dl.metadata{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:1rem 0;padding:.75rem 1rem;background:#f6f8fa;border-radius:6px;font-size:.9rem}\
dl.metadata dt{font-weight:600}\
dl.metadata dd{margin:0;overflow-wrap:anywhere;font-variant-numeric:tabular-nums}\
figure{margin:2rem 0}\
figure svg{display:block;width:100%;height:auto;max-width:100%}\
figcaption{color:var(--muted);font-size:.9rem;margin:0 0 .5rem;border-top:1px solid var(--rule);padding-top:1rem}\
figcaption strong{display:block;color:var(--ink);font-size:1.1rem;margin-bottom:.25rem}\
.table-wrap{overflow-x:auto}\
table{border-collapse:collapse;width:100%;font-size:.95rem}\
caption{text-align:left;color:var(--muted);padding:.25rem 0 .5rem}\
th,td{padding:.4rem .6rem;border-bottom:1px solid var(--rule);text-align:left;vertical-align:top}\
thead th{border-bottom:2px solid var(--ink)}\
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\
details{margin:.5rem 0;font-size:.9rem}\
@media (max-width:40rem){body{font-size:15px}main{padding:1rem .75rem}dl.metadata{grid-template-columns:1fr}}\
@media print{body{background:#fff}main{max-width:none}}";

/// Assembles the page from already rendered section bodies (one per
/// section, in order).
pub fn page(report: &Report, bodies: &[String]) -> String {
    let mut out = String::with_capacity(bodies.iter().map(String::len).sum::<usize>() + 8192);
    out.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"generator\" content=\"didymos-report\">\
         <title>{}</title><style>{CSS}</style></head><body><main>\n<header><h1>{}</h1>",
        escape(&report.title),
        escape(&report.title)
    ));
    if !report.subtitle.is_empty() {
        out.push_str(&format!(
            "<p class=\"subtitle\">{}</p>",
            escape(&report.subtitle)
        ));
    }
    if !report.metadata.is_empty() {
        out.push_str("<dl class=\"metadata\" aria-label=\"About this report\">");
        for (k, v) in &report.metadata {
            out.push_str(&format!("<dt>{}</dt><dd>{}</dd>", escape(k), escape(v)));
        }
        out.push_str("</dl>");
    }
    out.push_str("</header>\n");
    for body in bodies {
        out.push_str(body);
        out.push('\n');
    }
    out.push_str("</main></body></html>\n");
    out
}

/// A figure around an inline SVG. The `<figcaption>` (title, then caption)
/// comes first so that the title reads above the chart, as a heading would.
pub fn figure(name: &str, title: &str, caption: &str, svg: &str, extra: &str) -> String {
    let mut out = format!(
        "<figure id=\"fig-{}\"><figcaption><strong>{}</strong>",
        escape(name),
        escape(title)
    );
    if !caption.is_empty() {
        out.push_str(&escape(caption));
    }
    out.push_str("</figcaption>");
    out.push_str(svg);
    out.push_str(extra);
    out.push_str("</figure>");
    out
}

pub fn text(section: &Text) -> String {
    let mut out = String::from("<section class=\"text\">");
    if !section.heading.is_empty() {
        out.push_str(&format!("<h2>{}</h2>", escape(&section.heading)));
    }
    for p in &section.paragraphs {
        out.push_str(&format!("<p>{}</p>", escape(p)));
    }
    out.push_str("</section>");
    out
}

/// The map's values as a collapsed table: the same information for screen
/// readers and for copying numbers out.
pub fn map_data_table(map: &Choropleth) -> String {
    let mut out = format!(
        "<details><summary>Data table</summary><div class=\"table-wrap\"><table>\
         <thead><tr><th scope=\"col\">Area</th><th scope=\"col\" class=\"num\">{}</th></tr></thead><tbody>",
        escape(&map.value_label)
    );
    for (id, v) in &map.values {
        let shown = match v {
            Some(x) => crate::text::styled(*x, map.value_style),
            None => "no data".to_string(),
        };
        out.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td></tr>",
            escape(id),
            escape(&shown)
        ));
    }
    out.push_str("</tbody></table></div></details>");
    out
}
