//! Every file of the dashboard, embedded at compile time.

/// One embedded file.
pub struct Asset {
    /// Path under `/assets/` (or `index.html`).
    pub path: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const GEOJSON: &str = "application/geo+json";

macro_rules! embedded {
    ($path:literal, $type:expr) => {
        Asset {
            path: $path,
            content_type: $type,
            body: include_bytes!(concat!("../assets/", $path)),
        }
    };
}

pub static ASSETS: &[Asset] = &[
    embedded!("index.html", HTML),
    embedded!("style.css", CSS),
    embedded!("js/main.js", JS),
    embedded!("js/api.js", JS),
    embedded!("js/live.js", JS),
    embedded!("js/dom.js", JS),
    embedded!("js/format.js", JS),
    embedded!("js/fan_chart.js", JS),
    embedded!("js/choropleth.js", JS),
    embedded!("js/sparkline.js", JS),
    embedded!("js/overview.js", JS),
    embedded!("js/twin_page.js", JS),
    embedded!("js/observed.js", JS),
    embedded!("js/scenarios.js", JS),
    embedded!("js/streams.js", JS),
    embedded!("js/corrections.js", JS),
    embedded!("js/alerts.js", JS),
    embedded!("js/skill.js", JS),
    // The bundled Spanish provinces (INE `cod_prov`), from the demo data.
    Asset {
        path: "geo/spain_provinces.geojson",
        content_type: GEOJSON,
        body: include_bytes!("../../../data/spain/spain_provinces.geojson"),
    },
];

/// The embedded file at `path`, if any.
pub fn asset(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}
