//! Scenario comparison: each scenario's median and 90% band on shared axes.

use super::frame::{Frame, LEGEND_TOP};
use super::{band_path, check_bands, check_observed, legend, median_path, LegendItem, Swatch};
use crate::error::{ReportError, Result};
use crate::report::ScenarioChart;
use crate::text::escape;

/// Okabe–Ito colours, distinguishable with the common colour-vision
/// deficiencies; yellow comes last as it is faint on white.
pub const PALETTE: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#B8A200",
];
/// 90% bands overlap, so each is light enough for the others to show through.
const BAND_OPACITY: f64 = 0.18;

/// The scenario chart as a standalone SVG document.
pub fn render(chart: &ScenarioChart) -> Result<String> {
    let name = &chart.name;
    super::check_name(name)?;
    if chart.scenarios.is_empty() {
        return Err(ReportError::invalid(name, "no scenarios to draw"));
    }
    if chart.scenarios.len() > PALETTE.len() {
        return Err(ReportError::invalid(
            name,
            format!(
                "{} scenarios: at most {} can be told apart in one chart; split them",
                chart.scenarios.len(),
                PALETTE.len()
            ),
        ));
    }
    check_observed(name, &chart.observed)?;
    for s in &chart.scenarios {
        check_bands(name, &format!("scenario `{}`", s.label), &s.bands, false)?;
        if s.bands.is_empty() {
            return Err(ReportError::invalid(
                name,
                format!("scenario `{}` has no forecast points", s.label),
            ));
        }
    }
    let dates = chart.observed.iter().map(|(d, _)| *d).chain(
        chart
            .scenarios
            .iter()
            .flat_map(|s| s.bands.iter().map(|b| b.date)),
    );
    let values = chart.observed.iter().map(|(_, v)| *v).chain(
        chart
            .scenarios
            .iter()
            .flat_map(|s| s.bands.iter().flat_map(|b| [b.q05, b.q95])),
    );
    let frame = Frame::fit(dates, values)
        .ok_or_else(|| ReportError::invalid(name, "nothing to draw: no dates"))?;

    let mut items: Vec<LegendItem> = chart
        .scenarios
        .iter()
        .zip(PALETTE)
        .map(|(s, colour)| LegendItem {
            swatch: Swatch::LineOnArea {
                colour,
                opacity: BAND_OPACITY,
            },
            label: format!("{} (median; shaded: 90% of forecasts)", s.label),
        })
        .collect();
    if !chart.observed.is_empty() {
        items.push(LegendItem {
            swatch: Swatch::Point { fill: "#111111" },
            label: "observed".into(),
        });
    }
    let (legend_svg, legend_height) = legend(
        &items,
        frame.area.left,
        LEGEND_TOP,
        frame.area.right - frame.area.left,
    );
    let height = LEGEND_TOP + legend_height + 12.0;

    let labels: Vec<&str> = chart.scenarios.iter().map(|s| s.label.as_str()).collect();
    let desc = format!(
        "{} under {} scenario(s): {}.",
        chart.y_label,
        labels.len(),
        labels.join(", ")
    );
    let mut out = String::new();
    super::open(&mut out, name, height, &chart.title, &desc);
    frame.draw_axes(&mut out, &chart.y_label);
    let x = |d| frame.x(d);
    let y = |v| frame.y(v);
    // All bands first, then all medians, so no band hides a median.
    out.push_str("<g class=\"scenario-bands\">");
    for (s, colour) in chart.scenarios.iter().zip(PALETTE) {
        out.push_str(&format!(
            "<path data-series=\"band-90\" data-scenario=\"{}\" fill=\"{colour}\" \
             fill-opacity=\"{BAND_OPACITY}\" d=\"{}\"/>",
            escape(&s.label),
            band_path(&s.bands, x, y, |b| b.q05, |b| b.q95),
        ));
    }
    out.push_str("</g><g class=\"scenario-medians\">");
    for (s, colour) in chart.scenarios.iter().zip(PALETTE) {
        out.push_str(&format!(
            "<path data-series=\"median\" data-scenario=\"{}\" fill=\"none\" stroke=\"{colour}\" \
             stroke-width=\"2.5\" stroke-linejoin=\"round\" d=\"{}\"><title>{}</title></path>",
            escape(&s.label),
            median_path(&s.bands, x, y),
            escape(&s.label),
        ));
    }
    out.push_str("</g>");
    frame.draw_observed(&mut out, &chart.observed);
    out.push_str(&legend_svg);
    super::close(&mut out);
    Ok(out)
}
