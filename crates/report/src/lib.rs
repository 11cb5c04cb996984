//! Self-contained HTML reports: inline-SVG fan charts, scenario
//! comparisons, GeoJSON choropleths, quantile and plain tables and key
//! metadata.
//!
//! Plain data in, string out, and nothing domain-specific: callers map their
//! outputs onto [`Report`] and its [`Section`]s. The page needs no network
//! (inline CSS and SVG, no script), and the same input always gives
//! byte-identical output, so a bit-exact rerun reproduces its report too.
//! Each figure is also a standalone SVG document ([`figures`],
//! [`write_report`] puts them in `figures/<name>.svg`), and
//! [`chromium`] can turn pages or figures into PNGs with a headless browser.
#![forbid(unsafe_code)]

pub mod chromium;
mod error;
mod export;
mod geojson;
mod html;
mod report;
mod svg;
mod table;
mod text;

pub use error::{ReportError, Result};
pub use export::{write_report, WrittenReport};
pub use geojson::parse_geojson;
pub use report::{
    Choropleth, FanChart, FeatureKey, Grid, QuantileBandPoint, QuantileRow, QuantileSummary,
    QuantileTable, Report, ScenarioChart, ScenarioSeries, Section, Text, ValueStyle,
};
pub use text::escape;

use std::collections::HashSet;

impl FanChart {
    /// The chart as a standalone SVG document (starts with `<svg`).
    pub fn to_svg(&self) -> Result<String> {
        svg::fan::render(self)
    }
}

impl ScenarioChart {
    /// The chart as a standalone SVG document (starts with `<svg`).
    pub fn to_svg(&self) -> Result<String> {
        svg::scenario::render(self)
    }
}

impl Choropleth {
    /// The map as a standalone SVG document (starts with `<svg`).
    pub fn to_svg(&self) -> Result<String> {
        svg::map::render(self)
    }
}

/// A rendered report: the page and every figure as (name, standalone SVG),
/// in section order.
pub(crate) struct Rendered {
    pub html: String,
    pub figures: Vec<(String, String)>,
}

/// The report as one self-contained HTML page.
pub fn render_html(report: &Report) -> Result<String> {
    Ok(render(report)?.html)
}

/// Every figure of the report as (name, standalone SVG), in section order.
pub fn figures(report: &Report) -> Result<Vec<(String, String)>> {
    Ok(render(report)?.figures)
}

pub(crate) fn render(report: &Report) -> Result<Rendered> {
    let mut names = HashSet::new();
    for name in report.sections.iter().filter_map(Section::figure_name) {
        if !names.insert(name) {
            return Err(ReportError::invalid(
                name,
                "two figures share this name; names must be unique (they name the exported files)",
            ));
        }
    }
    let mut bodies = Vec::with_capacity(report.sections.len());
    let mut figures = Vec::new();
    for section in &report.sections {
        let (body, figure) = match section {
            Section::FanChart(c) => {
                let svg = c.to_svg()?;
                let body = html::figure(&c.name, &c.title, &c.caption, &svg, "");
                (body, Some((c.name.clone(), svg)))
            }
            Section::ScenarioChart(c) => {
                let svg = c.to_svg()?;
                let body = html::figure(&c.name, &c.title, &c.caption, &svg, "");
                (body, Some((c.name.clone(), svg)))
            }
            Section::Map(m) => {
                let svg = m.to_svg()?;
                let table = html::map_data_table(m);
                let body = html::figure(&m.name, &m.title, &m.caption, &svg, &table);
                (body, Some((m.name.clone(), svg)))
            }
            Section::Table(t) => (table::render(t)?, None),
            Section::Grid(g) => (table::render_grid(g)?, None),
            Section::Text(t) => (html::text(t), None),
        };
        bodies.push(body);
        figures.extend(figure);
    }
    Ok(Rendered {
        html: html::page(report, &bodies),
        figures,
    })
}
