//! Standalone SVG figures. Each figure is one `<svg>` with its own xmlns,
//! title, description and presentation attributes (no CSS classes needed for
//! its look), so the same string is both inlined in the HTML page and
//! exported on its own.

pub mod axis;
pub mod color;
pub mod fan;
pub mod frame;
pub mod map;
mod map_layout;
pub mod scenario;

use didymos_core::Date;

use crate::error::{ReportError, Result};
use crate::report::QuantileBandPoint;
use crate::text::{coord, escape};

/// Width of every chart's viewBox; heights vary with the legend.
pub const WIDTH: f64 = 800.0;
/// Rough width of one character of 13px legend text, for laying out legend
/// columns without measuring text (SVG cannot before rendering).
const CHAR_WIDTH: f64 = 7.0;

/// Figure names become file stems and element ids, so they are limited to
/// letters, digits, `-` and `_`.
pub fn check_name(name: &str) -> Result<()> {
    if crate::text::is_slug(name) {
        Ok(())
    } else {
        Err(ReportError::invalid(
            name,
            "a figure name may only hold letters, digits, `-` and `_` (it names the exported file)",
        ))
    }
}

/// Opens the root element with accessibility metadata: `role="img"`, an
/// `aria-label`, and `<title>`/`<desc>` children.
pub fn open(out: &mut String, name: &str, height: f64, title: &str, desc: &str) {
    out.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" \
         width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{t}\" data-figure=\"{n}\" \
         font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif\">\
         <title>{t}</title><desc>{d}</desc>\
         <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>",
        w = coord(WIDTH),
        h = coord(height),
        t = escape(title),
        d = escape(desc),
        n = escape(name),
    ));
}

pub fn close(out: &mut String) {
    out.push_str("</svg>");
}

/// What a legend entry's swatch looks like.
pub enum Swatch<'a> {
    /// A filled rectangle (a band).
    Area { fill: &'a str, opacity: f64 },
    /// A line segment (a median).
    Line { stroke: &'a str },
    /// A line over a light rectangle of the same colour (a median with its
    /// band).
    LineOnArea { colour: &'a str, opacity: f64 },
    /// A dot (observations).
    Point { fill: &'a str },
}

pub struct LegendItem<'a> {
    pub swatch: Swatch<'a>,
    pub label: String,
}

/// Lays legend entries out in as many columns as fit in `width`, starting
/// at (`x`, `y`); returns the markup and the height used.
pub fn legend(items: &[LegendItem], x: f64, y: f64, width: f64) -> (String, f64) {
    const ROW: f64 = 22.0;
    const SWATCH: f64 = 28.0;
    let widest = items
        .iter()
        .map(|i| SWATCH + 16.0 + CHAR_WIDTH * i.label.chars().count() as f64)
        .fold(0.0, f64::max);
    let columns = ((width / widest.max(1.0)).floor() as usize).clamp(1, items.len().max(1));
    let column_width = width / columns as f64;
    let mut out = String::from("<g class=\"legend\" font-size=\"13\" fill=\"#222\">");
    for (i, item) in items.iter().enumerate() {
        let cx = x + (i % columns) as f64 * column_width;
        let cy = y + (i / columns) as f64 * ROW;
        let mid = cy + ROW / 2.0;
        match item.swatch {
            Swatch::Area { fill, opacity } => out.push_str(&format!(
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"12\" fill=\"{fill}\" fill-opacity=\"{}\"/>",
                coord(cx),
                coord(mid - 6.0),
                coord(SWATCH - 4.0),
                coord(opacity)
            )),
            Swatch::Line { stroke } => out.push_str(&format!(
                "<line x1=\"{}\" x2=\"{}\" y1=\"{m}\" y2=\"{m}\" stroke=\"{stroke}\" stroke-width=\"2.5\"/>",
                coord(cx),
                coord(cx + SWATCH - 4.0),
                m = coord(mid)
            )),
            Swatch::LineOnArea { colour, opacity } => out.push_str(&format!(
                "<rect x=\"{x0}\" y=\"{}\" width=\"{w}\" height=\"12\" fill=\"{colour}\" fill-opacity=\"{}\"/>\
                 <line x1=\"{x0}\" x2=\"{}\" y1=\"{m}\" y2=\"{m}\" stroke=\"{colour}\" stroke-width=\"2.5\"/>",
                coord(mid - 6.0),
                coord(opacity),
                coord(cx + SWATCH - 4.0),
                x0 = coord(cx),
                w = coord(SWATCH - 4.0),
                m = coord(mid)
            )),
            Swatch::Point { fill } => out.push_str(&format!(
                "<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"{fill}\"/>",
                coord(cx + (SWATCH - 4.0) / 2.0),
                coord(mid)
            )),
        }
        out.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" dominant-baseline=\"middle\">{}</text>",
            coord(cx + SWATCH + 4.0),
            coord(mid),
            escape(&item.label)
        ));
    }
    out.push_str("</g>");
    let rows = items.len().div_ceil(columns);
    (out, rows as f64 * ROW)
}

/// Checks observations: every value finite.
pub fn check_observed(figure: &str, observed: &[(Date, f64)]) -> Result<()> {
    for (date, v) in observed {
        if !v.is_finite() {
            return Err(ReportError::invalid(
                figure,
                format!("observed value on {date} is not a finite number ({v})"),
            ));
        }
    }
    Ok(())
}

/// Checks forecast bands: strictly increasing dates, finite quantiles in
/// order q05 ≤ q25 ≤ q50 ≤ q75 ≤ q95 (only q05 ≤ q50 ≤ q95 when `inner` is
/// false, as a scenario chart does not draw the 50% band).
pub fn check_bands(
    figure: &str,
    what: &str,
    bands: &[QuantileBandPoint],
    inner: bool,
) -> Result<()> {
    for (i, b) in bands.iter().enumerate() {
        let qs = [b.q05, b.q25, b.q50, b.q75, b.q95];
        if qs.iter().any(|q| !q.is_finite()) {
            return Err(ReportError::invalid(
                figure,
                format!("{what}: a quantile on {} is not a finite number", b.date),
            ));
        }
        let ordered = if inner {
            qs.windows(2).all(|w| w[0] <= w[1])
        } else {
            b.q05 <= b.q50 && b.q50 <= b.q95
        };
        if !ordered {
            return Err(ReportError::invalid(
                figure,
                format!(
                    "{what}: quantiles on {} are not in increasing order",
                    b.date
                ),
            ));
        }
        if i > 0 && bands[i - 1].date >= b.date {
            return Err(ReportError::invalid(
                figure,
                format!(
                    "{what}: dates must be strictly increasing ({} follows {})",
                    b.date,
                    bands[i - 1].date
                ),
            ));
        }
    }
    Ok(())
}

/// Path of a closed band between `lower` and `upper` (forward along the
/// upper edge, back along the lower).
pub fn band_path(
    bands: &[QuantileBandPoint],
    x: impl Fn(Date) -> f64,
    y: impl Fn(f64) -> f64,
    lower: impl Fn(&QuantileBandPoint) -> f64,
    upper: impl Fn(&QuantileBandPoint) -> f64,
) -> String {
    let mut d = String::new();
    for (i, b) in bands.iter().enumerate() {
        d.push_str(if i == 0 { "M" } else { "L" });
        d.push_str(&format!("{} {}", coord(x(b.date)), coord(y(upper(b)))));
    }
    for b in bands.iter().rev() {
        d.push_str(&format!("L{} {}", coord(x(b.date)), coord(y(lower(b)))));
    }
    d.push('Z');
    d
}

/// Path of a polyline through the medians.
pub fn median_path(
    bands: &[QuantileBandPoint],
    x: impl Fn(Date) -> f64,
    y: impl Fn(f64) -> f64,
) -> String {
    let mut d = String::new();
    for (i, b) in bands.iter().enumerate() {
        d.push_str(if i == 0 { "M" } else { "L" });
        d.push_str(&format!("{} {}", coord(x(b.date)), coord(y(b.q50))));
    }
    d
}
