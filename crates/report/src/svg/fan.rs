//! Fan chart: observations plus forecast bands (90%, 50%) and the median.

use super::frame::{Frame, LEGEND_TOP};
use super::{band_path, check_bands, check_observed, legend, median_path, LegendItem, Swatch};
use crate::error::{ReportError, Result};
use crate::report::FanChart;

const BAND_90: &str = "#c6dbef";
const BAND_50: &str = "#6baed6";
const MEDIAN: &str = "#08306b";
const OBSERVED: &str = "#111111";

/// The fan chart as a standalone SVG document.
pub fn render(chart: &FanChart) -> Result<String> {
    let name = &chart.name;
    super::check_name(name)?;
    check_observed(name, &chart.observed)?;
    check_bands(name, "forecast bands", &chart.bands, true)?;
    if chart.observed.is_empty() && chart.bands.is_empty() {
        return Err(ReportError::invalid(
            name,
            "nothing to draw: no observations and no forecast bands",
        ));
    }
    let dates = chart
        .observed
        .iter()
        .map(|(d, _)| *d)
        .chain(chart.bands.iter().map(|b| b.date))
        .chain(chart.cutoff);
    let values = chart
        .observed
        .iter()
        .map(|(_, v)| *v)
        .chain(chart.bands.iter().flat_map(|b| [b.q05, b.q95]));
    let frame = Frame::fit(dates, values)
        .ok_or_else(|| ReportError::invalid(name, "nothing to draw: no dates"))?;

    let items = [
        LegendItem {
            swatch: Swatch::Area {
                fill: BAND_90,
                opacity: 1.0,
            },
            label: "90% of forecasts fall in this band".into(),
        },
        LegendItem {
            swatch: Swatch::Area {
                fill: BAND_50,
                opacity: 1.0,
            },
            label: "half of forecasts fall in this band".into(),
        },
        LegendItem {
            swatch: Swatch::Line { stroke: MEDIAN },
            label: "median forecast".into(),
        },
        LegendItem {
            swatch: Swatch::Point { fill: OBSERVED },
            label: "observed".into(),
        },
    ];
    let (legend_svg, legend_height) = legend(
        &items,
        frame.area.left,
        LEGEND_TOP,
        frame.area.right - frame.area.left,
    );
    let height = LEGEND_TOP + legend_height + 12.0;

    let mut out = String::new();
    super::open(&mut out, name, height, &chart.title, &describe(chart));
    frame.draw_axes(&mut out, &chart.y_label);
    if !chart.bands.is_empty() {
        let x = |d| frame.x(d);
        let y = |v| frame.y(v);
        out.push_str(&format!(
            "<g class=\"forecast\"><path class=\"band-90\" data-series=\"band-90\" fill=\"{BAND_90}\" d=\"{}\"/>\
             <path class=\"band-50\" data-series=\"band-50\" fill=\"{BAND_50}\" d=\"{}\"/>\
             <path class=\"median\" data-series=\"median\" fill=\"none\" stroke=\"{MEDIAN}\" \
             stroke-width=\"2.5\" stroke-linejoin=\"round\" d=\"{}\"/></g>",
            band_path(&chart.bands, x, y, |b| b.q05, |b| b.q95),
            band_path(&chart.bands, x, y, |b| b.q25, |b| b.q75),
            median_path(&chart.bands, x, y),
        ));
    }
    frame.draw_observed(&mut out, &chart.observed);
    if let Some(cutoff) = chart.cutoff {
        frame.draw_cutoff(&mut out, cutoff);
    }
    out.push_str(&legend_svg);
    super::close(&mut out);
    Ok(out)
}

/// A one-sentence text alternative for screen readers (raw text: `open`
/// escapes it).
fn describe(chart: &FanChart) -> String {
    let mut s = format!("{}: {} observation(s)", chart.y_label, chart.observed.len());
    if let (Some(first), Some(last)) = (chart.bands.first(), chart.bands.last()) {
        s.push_str(&format!(
            " and forecast bands from {} to {} (median on {}: {})",
            first.date,
            last.date,
            last.date,
            crate::text::value(last.q50)
        ));
    }
    s.push('.');
    s
}
