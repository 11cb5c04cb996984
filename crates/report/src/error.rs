//! Errors for everything a caller can get wrong in a report's input. Each
//! names the figure it concerns so a message points at the thing to fix.

use std::path::PathBuf;

/// How many unmatched ids an error lists before it only counts the rest:
/// a 2,850-zone map with the wrong id property would otherwise print them all.
const MAX_LISTED_IDS: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A figure's data cannot be drawn (non-finite value, unsorted dates,
    /// crossed quantiles, nothing to draw, a bad figure name, ...).
    #[error("figure `{figure}`: {msg}")]
    Invalid { figure: String, msg: String },

    /// The map's areas and the GeoJSON features do not correspond one to one.
    #[error(
        "map `{figure}`: areas and GeoJSON features (matched by {key}) differ: {}",
        describe_unmatched(areas_without_feature, features_without_area)
    )]
    Unmatched {
        figure: String,
        /// How features were keyed, e.g. "property `cod_prov`".
        key: String,
        areas_without_feature: Vec<String>,
        features_without_area: Vec<String>,
    },

    /// The GeoJSON is not a FeatureCollection of (Multi)Polygons in lon/lat.
    #[error("map `{figure}`: GeoJSON {at}: {msg}")]
    GeoJson {
        figure: String,
        /// Which part, e.g. "feature 3 (id `28`)".
        at: String,
        msg: String,
    },

    /// GeoJSON text that is not valid JSON (JSON has no NaN, for one).
    #[error("GeoJSON is not valid JSON: {0}")]
    GeoJsonText(String),

    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A headless Chromium run failed or ran out of time.
    #[error("chromium: {0}")]
    Chromium(String),

    #[error(transparent)]
    Core(#[from] didymos_core::Error),
}

pub type Result<T, E = ReportError> = std::result::Result<T, E>;

impl ReportError {
    pub(crate) fn invalid(figure: &str, msg: impl Into<String>) -> Self {
        ReportError::Invalid {
            figure: figure.to_string(),
            msg: msg.into(),
        }
    }
}

fn describe_unmatched(areas: &[String], features: &[String]) -> String {
    let mut parts = Vec::new();
    if !areas.is_empty() {
        parts.push(format!(
            "{} area(s) have no feature: {}",
            areas.len(),
            list_ids(areas)
        ));
    }
    if !features.is_empty() {
        parts.push(format!(
            "{} feature(s) have no area: {}",
            features.len(),
            list_ids(features)
        ));
    }
    parts.join("; ")
}

fn list_ids(ids: &[String]) -> String {
    let shown: Vec<String> = ids
        .iter()
        .take(MAX_LISTED_IDS)
        .map(|id| format!("`{id}`"))
        .collect();
    let mut out = shown.join(", ");
    if ids.len() > MAX_LISTED_IDS {
        out.push_str(&format!(" and {} more", ids.len() - MAX_LISTED_IDS));
    }
    out
}
