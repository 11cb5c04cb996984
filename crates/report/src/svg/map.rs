//! Choropleth: one `<path data-id>` per area, filled by its value on a
//! sequential scale, with a projection fitted to the viewBox.

use std::collections::{HashMap, HashSet};

use super::color::{gradient_stops, sequential, NO_DATA};
use super::WIDTH;
use crate::error::{ReportError, Result};
use crate::geojson::{describe_key, read_features, Feature};
use crate::report::Choropleth;
use crate::text::{coord, escape, fixed_trimmed, styled};

const MARGIN: f64 = 20.0;
const MAX_MAP_HEIGHT: f64 = 560.0;
const LEGEND_HEIGHT: f64 = 70.0;

/// The map as a standalone SVG document.
pub fn render(map: &Choropleth) -> Result<String> {
    let name = &map.name;
    super::check_name(name)?;
    let features = read_features(name, &map.geojson, &map.key, map.name_property.as_deref())?;
    let by_id = match_areas(map, &features)?;
    let (lo, hi) = domain(map)?;
    let projection = Projection::fit(&features)
        .ok_or_else(|| ReportError::invalid(name, "the GeoJSON has no features to draw"))?;
    let map_height = projection.height;
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
    for (id, v) in &map.values {
        let feature = by_id[id.as_str()];
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
) -> Result<HashMap<&'a str, &'a Feature>> {
    let name = &map.name;
    let mut by_id: HashMap<&str, &Feature> = HashMap::with_capacity(features.len());
    for f in features {
        if by_id.insert(f.id.as_str(), f).is_some() {
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

/// Equirectangular projection with longitudes shrunk by cos(mid-latitude),
/// so shapes keep their proportions near that latitude, scaled and centred
/// to fill the map area.
struct Projection {
    min_lon: f64,
    max_lat: f64,
    x_scale: f64,
    scale: f64,
    x_offset: f64,
    height: f64,
}

impl Projection {
    fn fit(features: &[Feature]) -> Option<Projection> {
        let (mut min_lon, mut max_lon) = (f64::INFINITY, f64::NEG_INFINITY);
        let (mut min_lat, mut max_lat) = (f64::INFINITY, f64::NEG_INFINITY);
        let positions = features
            .iter()
            .flat_map(|f| f.polygons.iter().flatten().flatten());
        for &[lon, lat] in positions {
            min_lon = min_lon.min(lon);
            max_lon = max_lon.max(lon);
            min_lat = min_lat.min(lat);
            max_lat = max_lat.max(lat);
        }
        if !min_lon.is_finite() {
            return None;
        }
        let x_scale = ((min_lat + max_lat) / 2.0).to_radians().cos();
        let width = ((max_lon - min_lon) * x_scale).max(1e-9);
        let height = (max_lat - min_lat).max(1e-9);
        let usable = WIDTH - 2.0 * MARGIN;
        let scale = (usable / width).min(MAX_MAP_HEIGHT / height);
        Some(Projection {
            min_lon,
            max_lat,
            x_scale,
            scale,
            x_offset: MARGIN + (usable - width * scale) / 2.0,
            height: height * scale,
        })
    }

    /// Path data for all of a feature's rings. One decimal of an SVG unit is
    /// finer than a screen pixel; points that round onto their predecessor
    /// are dropped, which shrinks detailed coastlines a lot.
    fn path(&self, feature: &Feature) -> String {
        let mut d = String::new();
        for ring in feature.polygons.iter().flatten() {
            let mut last: Option<(String, String)> = None;
            let mut count = 0;
            for &[lon, lat] in ring {
                let x = fixed_trimmed(
                    self.x_offset + (lon - self.min_lon) * self.x_scale * self.scale,
                    1,
                );
                let y = fixed_trimmed((self.max_lat - lat) * self.scale, 1);
                if last.as_ref() == Some(&(x.clone(), y.clone())) {
                    continue;
                }
                d.push(if count == 0 { 'M' } else { 'L' });
                d.push_str(&format!("{x} {y}"));
                count += 1;
                last = Some((x, y));
            }
            d.push('Z');
        }
        d
    }
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
