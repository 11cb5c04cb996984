//! Shared fixtures: a synthetic forecast, scenarios, the 52 Spanish
//! provinces with values, and a small tag-balance checker.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use didymos_core::Date;
use didymos_report::{
    parse_geojson, Choropleth, FanChart, FeatureKey, QuantileBandPoint, QuantileRow,
    QuantileSummary, QuantileTable, Report, ScenarioChart, ScenarioSeries, Section, Text,
    ValueStyle,
};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn d(s: &str) -> Date {
    s.parse().unwrap()
}

pub fn spain_geojson() -> serde_json::Value {
    let path = workspace_root().join("data/spain/spain_provinces.geojson");
    parse_geojson(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// (province id, population density) from the metapopulation table, whose
/// `id` column matches the GeoJSON's `cod_prov` property.
pub fn spain_provinces() -> Vec<(String, f64)> {
    let path = workspace_root().join("data/spain/metapopulation_data.csv");
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (id, area, total) = (col("id"), col("area"), col("total"));
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let density = f[total].parse::<f64>().unwrap() / f[area].parse::<f64>().unwrap();
            (f[id].to_string(), density)
        })
        .collect()
}

/// A smooth synthetic epidemic curve: observations up to the cut-off and
/// widening bands after it.
pub fn fan_chart(name: &str) -> FanChart {
    let start = d("2020-03-01");
    let cutoff = d("2020-04-10");
    let curve = |t: f64| 40.0 + 900.0 * (-((t - 45.0) / 18.0).powi(2)).exp();
    let observed = (0..41)
        .map(|t| {
            let wobble = if t % 3 == 0 { 1.08 } else { 0.95 };
            (start.add_days(t), (curve(f64::from(t)) * wobble).round())
        })
        .collect();
    let bands = (41..80)
        .map(|t| {
            let m = curve(f64::from(t));
            let w = 0.02 * f64::from(t - 40);
            QuantileBandPoint {
                date: start.add_days(t),
                q05: m * (1.0 - 2.0 * w).max(0.05),
                q25: m * (1.0 - w).max(0.3),
                q50: m,
                q75: m * (1.0 + w),
                q95: m * (1.0 + 2.5 * w),
            }
        })
        .collect();
    FanChart {
        name: name.to_string(),
        title: "Daily admissions in <Madrid> & surroundings".to_string(),
        caption: "Observed counts and the forecast made at the data cut-off.".to_string(),
        y_label: "admissions per day".to_string(),
        observed,
        bands,
        cutoff: Some(cutoff),
    }
}

pub fn scenario_chart() -> ScenarioChart {
    let start = d("2020-04-11");
    let series = |label: &str, factor: f64| ScenarioSeries {
        label: label.to_string(),
        bands: (0..40)
            .map(|t| {
                let m = 500.0 * (factor * f64::from(t) / 40.0).exp();
                QuantileBandPoint {
                    date: start.add_days(t),
                    q05: m * 0.7,
                    q25: m * 0.85,
                    q50: m,
                    q75: m * 1.15,
                    q95: m * 1.4,
                }
            })
            .collect(),
    };
    ScenarioChart {
        name: "scenarios".to_string(),
        title: "What if: three policies".to_string(),
        caption: "Medians and 90% bands of each scenario.".to_string(),
        y_label: "admissions per day".to_string(),
        scenarios: vec![
            series("no change", 0.3),
            series("schools closed", -0.4),
            series("lockdown \"strict\"", -1.2),
        ],
        observed: Vec::new(),
    }
}

/// All 52 provinces; a few without data.
pub fn spain_map() -> Choropleth {
    let values = spain_provinces()
        .into_iter()
        .map(|(id, density)| {
            let v = if id == "51" || id == "52" {
                None
            } else {
                Some(density)
            };
            (id, v)
        })
        .collect();
    Choropleth {
        name: "spain-map".to_string(),
        title: "Population density by province".to_string(),
        caption: "People per km²; Ceuta and Melilla left without data on purpose.".to_string(),
        geojson: spain_geojson(),
        key: FeatureKey::Property("cod_prov".to_string()),
        name_property: Some("name".to_string()),
        values,
        value_label: "people per km²".to_string(),
        value_style: ValueStyle::Number,
        domain: None,
    }
}

pub fn averted_table() -> QuantileTable {
    let row = |s: &str, o: &str, m: f64| QuantileRow {
        labels: vec![s.to_string(), o.to_string()],
        summary: QuantileSummary {
            q05: m * 0.4,
            q25: m * 0.8,
            q50: m,
            q75: m * 1.2,
            q95: m * 1.7,
        },
    };
    QuantileTable {
        title: "Outcomes averted".to_string(),
        caption: "Paired differences against no change.".to_string(),
        label_headers: vec!["Scenario".to_string(), "Outcome".to_string()],
        median_header: "Median difference".to_string(),
        rows: vec![
            row("schools closed", "admissions", 1234.0),
            row("lockdown", "deaths", 87.5),
        ],
    }
}

pub fn sample_report() -> Report {
    Report {
        title: "Twin report <b>bold</b> & co".to_string(),
        subtitle: "Forecast from 2020-04-10".to_string(),
        metadata: vec![
            ("data cut-off".to_string(), "2020-04-10".to_string()),
            ("ensemble size".to_string(), "200".to_string()),
            ("seed".to_string(), "42".to_string()),
            ("git commit".to_string(), "abc123<script>".to_string()),
        ],
        sections: vec![
            Section::Text(Text {
                heading: "Summary".to_string(),
                paragraphs: vec!["Numbers < 5 & \"quoted\" text.".to_string()],
            }),
            Section::FanChart(fan_chart("fan-madrid")),
            Section::ScenarioChart(scenario_chart()),
            Section::Map(spain_map()),
            Section::Table(averted_table()),
        ],
    }
}

/// Checks that every element opened is closed in order. `html` mode knows
/// HTML's void elements and skips `<style>`; XML mode (SVG) needs every
/// element closed or self-closed, and entities only of the escaped kinds.
pub fn check_balanced(doc: &str, html: bool) -> Result<(), String> {
    const VOID: [&str; 6] = ["meta", "link", "br", "img", "hr", "input"];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = doc;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        if !html {
            check_entities(text)?;
        }
        rest = &rest[open..];
        let close = rest.find('>').ok_or("unterminated tag")?;
        let tag = &rest[1..close];
        rest = &rest[close + 1..];
        if !html {
            check_entities(tag)?;
        }
        if tag.starts_with('!') || tag.starts_with('?') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack.pop().ok_or(format!("</{name}> closes nothing"))?;
            if top != name.trim() {
                return Err(format!("</{name}> closes <{top}>"));
            }
            continue;
        }
        let name: String = tag
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '/')
            .collect();
        if tag.ends_with('/') || (html && VOID.contains(&name.as_str())) {
            continue;
        }
        if html && name == "style" {
            let end = rest.find("</style>").ok_or("unclosed <style>")?;
            rest = &rest[end + "</style>".len()..];
            continue;
        }
        stack.push(name);
    }
    if stack.is_empty() {
        Ok(())
    } else {
        Err(format!("unclosed: {stack:?}"))
    }
}

fn check_entities(text: &str) -> Result<(), String> {
    for (i, _) in text.match_indices('&') {
        let ok = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
            .iter()
            .any(|e| text[i..].starts_with(e));
        if !ok {
            return Err(format!(
                "bare & in {:?}",
                &text[i..(i + 12).min(text.len())]
            ));
        }
    }
    Ok(())
}

/// Occurrences of `needle` in `hay`.
pub fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

/// The text from `start` (inclusive) to the first `end` after it.
pub fn between<'a>(hay: &'a str, start: &str, end: &str) -> &'a str {
    let i = hay
        .find(start)
        .unwrap_or_else(|| panic!("{start} not found"));
    let from = i + start.len();
    let j = hay[from..]
        .find(end)
        .unwrap_or_else(|| panic!("{end} not found"))
        + from;
    &hay[i..j + end.len()]
}
