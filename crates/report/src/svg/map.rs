//! Choropleth: one `<path data-id>` per area, filled by its value on a
//! sequential scale, with a projection fitted to the viewBox.

use std::collections::{HashMap, HashSet};

use super::color::{gradient_stops, sequential, NO_DATA};
use super::map_layout::MapLayout;
use crate::error::{ReportError, Result};
use crate::geojson::{describe_key, read_features, Feature};
use crate::report::Choropleth;
use crate::text::{coord, escape, styled};

pub(super) const MARGIN: f64 = 20.0;
pub(super) const MAX_MAP_HEIGHT: f64 = 560.0;
const LEGEND_HEIGHT: f64 = 70.0;

/// The map as a standalone SVG document.
pub fn render(map: &Choropleth) -> Result<String> {
    let name = &map.name;
    super::check_name(name)?;
    let features = read_features(name, &map.geojson, &map.key, map.name_property.as_deref())?;
    let by_id = match_areas(map, &features)?;
    let (lo, hi) = domain(map)?;
    let layout = MapLayout::fit(&features)
        .ok_or_else(|| ReportError::invalid(name, "the GeoJSON has no features to draw"))?;
    let map_height = layout.height;
    let height = MARGIN + map_height + LEGEND_HEIGHT;

    let described = map.values.iter().filter(|(_, v)| v.is_some()).count();
    let desc = format!(
        "Map of {} areas coloured by {}; {} with data, {} without.",
        map.values.len(),
        map.value_label,
        described,
        map.values.len() - described
    );
    let mut out = String::new();
    super::open(&mut out, name, height, &map.title, &desc);
    out.push_str(&format!(
        "<g class=\"areas\" stroke=\"#ffffff\" stroke-width=\"0.5\" stroke-linejoin=\"round\" \
         fill-rule=\"evenodd\" transform=\"translate(0 {})\">",
        coord(MARGIN)
    ));
    for frame in &layout.inset_frames {
        out.push_str(&format!(
            "<rect class=\"inset\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\" stroke-width=\"0.75\"/>",
            coord(frame[0]),
            coord(frame[1]),
            coord(frame[2]),
            coord(frame[3])
        ));
    }
    for (id, v) in &map.values {
        let (index, feature) = by_id[id.as_str()];
        let projection = &layout.projections[layout.group_of[index]];
        let label = feature.name.as_deref().unwrap_or(id);
        let (fill, shown, data_value) = match v {
            Some(x) => (
                sequential((x - lo) / (hi - lo)),
                styled(*x, map.value_style),
                format!(" data-value=\"{x}\""),
            ),
            None => (NO_DATA.to_string(), "no data".to_string(), String::new()),
        };
        out.push_str(&format!(
            "<path data-id=\"{}\"{data_value} fill=\"{fill}\" d=\"{}\"><title>{}</title></path>",
            escape(id),
            projection.path(feature),
            escape(&format!("{label} ({id}): {} {shown}", map.value_label)),
        ));
    }
    out.push_str("</g>");
    let any_missing = map.values.iter().any(|(_, v)| v.is_none());
    out.push_str(&legend(
        map,
        lo,
        hi,
        MARGIN + map_height + 10.0,
        any_missing,
    ));
    super::close(&mut out);
    Ok(out)
}

/// Each area's feature; an error naming every id without a partner, in
/// both directions, and rejecting duplicates.
fn match_areas<'a>(
    map: &Choropleth,
    features: &'a [Feature],
) -> Result<HashMap<&'a str, (usize, &'a Feature)>> {
    let name = &map.name;
    let mut by_id: HashMap<&str, (usize, &Feature)> = HashMap::with_capacity(features.len());
    for (i, f) in features.iter().enumerate() {
        if by_id.insert(f.id.as_str(), (i, f)).is_some() {
            return Err(ReportError::GeoJson {
                figure: name.clone(),
                at: format!("{} `{}`", describe_key(&map.key), f.id),
                msg: "is used by more than one feature; merge them into one MultiPolygon".into(),
            });
        }
    }
    let mut areas = HashSet::with_capacity(map.values.len());
    for (id, v) in &map.values {
        if !areas.insert(id.as_str()) {
            return Err(ReportError::invalid(
                name,
                format!("area `{id}` is given more than one value"),
            ));
        }
        if let Some(x) = v {
            if !x.is_finite() {
                return Err(ReportError::invalid(
                    name,
                    format!("the value of area `{id}` is not a finite number ({x}); use None for no data"),
                ));
            }
        }
    }
    let areas_without_feature: Vec<String> = map
        .values
        .iter()
        .filter(|(id, _)| !by_id.contains_key(id.as_str()))
        .map(|(id, _)| id.clone())
        .collect();
    let features_without_area: Vec<String> = features
        .iter()
        .filter(|f| !areas.contains(f.id.as_str()))
        .map(|f| f.id.clone())
        .collect();
    if !areas_without_feature.is_empty() || !features_without_area.is_empty() {
        return Err(ReportError::Unmatched {
            figure: name.clone(),
            key: describe_key(&map.key),
            areas_without_feature,
            features_without_area,
        });
    }
    Ok(by_id)
}

/// The colour scale's limits: given, or the values' range (widened when
/// flat so that the one value still maps to a colour).
fn domain(map: &Choropleth) -> Result<(f64, f64)> {
    if let Some((lo, hi)) = map.domain {
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(ReportError::invalid(
                &map.name,
                format!("colour scale domain ({lo}, {hi}) must be finite with low < high"),
            ));
        }
        return Ok((lo, hi));
    }
    let values = map.values.iter().filter_map(|(_, v)| *v);
    let lo = values.clone().fold(f64::INFINITY, f64::min);
    let hi = values.fold(f64::NEG_INFINITY, f64::max);
    Ok(if !lo.is_finite() {
        (0.0, 1.0)
    } else if lo == hi {
        (lo - 0.5, hi + 0.5)
    } else {
        (lo, hi)
    })
}

/// Gradient bar with labelled ticks, and a grey "no data" swatch when some
/// area has no value. Drawn with rects and lines only, so the map's `<path>`
/// elements are exactly its areas.
fn legend(map: &Choropleth, lo: f64, hi: f64, top: f64, any_missing: bool) -> String {
    const BAR_X: f64 = MARGIN;
    const BAR_WIDTH: f64 = 320.0;
    let grad_id = format!("scale-{}", map.name);
    let bar_y = top + 18.0;
    let mut out = format!(
        "<g class=\"map-legend\" font-size=\"12\" fill=\"#222\"><defs><linearGradient id=\"{grad_id}\">{}</linearGradient></defs>\
         <text x=\"{}\" y=\"{}\" font-size=\"13\">{}</text>\
         <rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"12\" fill=\"url(#{grad_id})\" stroke=\"#999\" stroke-width=\"0.5\"/>",
        gradient_stops(),
        coord(BAR_X),
        coord(top + 10.0),
        escape(&map.value_label),
        coord(BAR_X),
        coord(bar_y),
        coord(BAR_WIDTH),
    );
    for (v, anchor) in [(lo, "start"), ((lo + hi) / 2.0, "middle"), (hi, "end")] {
        let x = coord(BAR_X + (v - lo) / (hi - lo) * BAR_WIDTH);
        out.push_str(&format!(
            "<line x1=\"{x}\" x2=\"{x}\" y1=\"{}\" y2=\"{}\" stroke=\"#555\"/>\
             <text x=\"{x}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
            coord(bar_y + 12.0),
            coord(bar_y + 16.0),
            coord(bar_y + 29.0),
            escape(&styled(v, map.value_style)),
        ));
    }
    if any_missing {
        let x = BAR_X + BAR_WIDTH + 40.0;
        out.push_str(&format!(
            "<rect x=\"{}\" y=\"{}\" width=\"24\" height=\"12\" fill=\"{NO_DATA}\"/>\
             <text x=\"{}\" y=\"{}\" dominant-baseline=\"middle\">no data</text>",
            coord(x),
            coord(bar_y),
            coord(x + 30.0),
            coord(bar_y + 6.0),
        ));
    }
    out.push_str("</g>");
    out
}
