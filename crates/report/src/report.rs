//! The report as plain data. Nothing here knows about epidemics or floods:
//! a caller fills these in from its own outputs and gets a string back.

use didymos_core::Date;

/// A whole report: a title, key facts, then sections in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub title: String,
    /// Shown under the title; may be empty.
    pub subtitle: String,
    /// Key facts in the order given: data cut-off, ensemble size, seed,
    /// software version, git commit, ...
    pub metadata: Vec<(String, String)>,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Section {
    FanChart(FanChart),
    ScenarioChart(ScenarioChart),
    Map(Choropleth),
    Table(QuantileTable),
    Grid(Grid),
    Text(Text),
}

/// Forecast quantiles of one variable on one date.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuantileBandPoint {
    pub date: Date,
    pub q05: f64,
    pub q25: f64,
    pub q50: f64,
    pub q75: f64,
    pub q95: f64,
}

/// Observations and forecast bands of one variable in one area.
#[derive(Debug, Clone, PartialEq)]
pub struct FanChart {
    /// File stem and element id: letters, digits, `-` and `_` only, unique
    /// within a report. The standalone export is `figures/<name>.svg`.
    pub name: String,
    pub title: String,
    /// A sentence under the figure saying what it shows; may be empty.
    pub caption: String,
    pub y_label: String,
    pub observed: Vec<(Date, f64)>,
    /// In strictly increasing date order.
    pub bands: Vec<QuantileBandPoint>,
    /// Drawn as a dashed vertical line labelled "data cut-off".
    pub cutoff: Option<Date>,
}

/// Several scenarios' medians and 90% bands on the same axes.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioChart {
    /// See [`FanChart::name`].
    pub name: String,
    pub title: String,
    pub caption: String,
    pub y_label: String,
    /// At most 8, so each keeps a colour that can be told apart.
    pub scenarios: Vec<ScenarioSeries>,
    /// Optional observations drawn as points behind the scenarios.
    pub observed: Vec<(Date, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioSeries {
    pub label: String,
    /// In strictly increasing date order; q25/q75 are not drawn.
    pub bands: Vec<QuantileBandPoint>,
}

/// How a GeoJSON feature names the area it draws.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeatureKey {
    /// `feature.properties[<name>]` (a string or an integer).
    Property(String),
    /// The feature's top-level `id`.
    FeatureId,
}

/// How map values are written in tooltips and the legend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueStyle {
    Number,
    /// A fraction of 1 written as a percentage (probabilities).
    Percent,
}

/// Areas coloured by one value each.
#[derive(Debug, Clone, PartialEq)]
pub struct Choropleth {
    /// See [`FanChart::name`].
    pub name: String,
    pub title: String,
    pub caption: String,
    /// A FeatureCollection of Polygon/MultiPolygon features in lon/lat
    /// (WGS84). [`parse_geojson`](crate::parse_geojson) reads one from text.
    pub geojson: serde_json::Value,
    pub key: FeatureKey,
    /// Property holding a readable area name for tooltips; the id otherwise.
    pub name_property: Option<String>,
    /// Every area of the twin, exactly once; `None` = no data (drawn grey).
    pub values: Vec<(String, Option<f64>)>,
    pub value_label: String,
    pub value_style: ValueStyle,
    /// Colour scale limits; the values' range when `None`. Fix it (e.g. to
    /// 0..1 for probabilities) to compare maps.
    pub domain: Option<(f64, f64)>,
}

/// Five quantiles of one quantity (a difference, an outcome...).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuantileSummary {
    pub q05: f64,
    pub q25: f64,
    pub q50: f64,
    pub q75: f64,
    pub q95: f64,
}

/// Rows of labelled quantile summaries: median, 50% and 90% intervals.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantileTable {
    pub title: String,
    pub caption: String,
    /// Headers of the label columns, e.g. ["Scenario", "Outcome"].
    pub label_headers: Vec<String>,
    /// Header of the median column, e.g. "Median difference".
    pub median_header: String,
    pub rows: Vec<QuantileRow>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuantileRow {
    /// One per label header.
    pub labels: Vec<String>,
    pub summary: QuantileSummary,
}

/// A plain table of text cells, e.g. scores per forecaster and horizon.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub title: String,
    pub caption: String,
    pub headers: Vec<String>,
    /// Per column: whether it holds numbers (right-aligned). As many as
    /// `headers`.
    pub numeric: Vec<bool>,
    /// Each as many cells as `headers`; the first names the row.
    pub rows: Vec<Vec<String>>,
}

/// Prose: an optional heading and paragraphs of plain text.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub heading: String,
    pub paragraphs: Vec<String>,
}

impl Section {
    /// The figure's export name, for sections that are figures.
    pub fn figure_name(&self) -> Option<&str> {
        match self {
            Section::FanChart(f) => Some(&f.name),
            Section::ScenarioChart(s) => Some(&s.name),
            Section::Map(m) => Some(&m.name),
            Section::Table(_) | Section::Grid(_) | Section::Text(_) => None,
        }
    }
}
