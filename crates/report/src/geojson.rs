//! Reading a GeoJSON FeatureCollection of (Multi)Polygons in lon/lat into
//! plain rings, keyed by area id. Anything else is an error that says which
//! feature and what is wrong, since a silently skipped feature would leave a
//! hole in the map that looks like missing data.

use serde_json::Value;

use crate::error::{ReportError, Result};
use crate::report::FeatureKey;

/// A ring of (longitude, latitude) positions.
pub type Ring = Vec<[f64; 2]>;
/// Outer ring first, then holes.
pub type Polygon = Vec<Ring>;

#[derive(Debug, Clone)]
pub struct Feature {
    pub id: String,
    pub name: Option<String>,
    pub polygons: Vec<Polygon>,
}

/// Parses GeoJSON text (e.g. a file's contents).
pub fn parse_geojson(text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| ReportError::GeoJsonText(e.to_string()))
}

/// How `key` reads, for messages: "property `cod_prov`" or "feature id".
pub fn describe_key(key: &FeatureKey) -> String {
    match key {
        FeatureKey::Property(p) => format!("property `{p}`"),
        FeatureKey::FeatureId => "feature id".to_string(),
    }
}

/// Every feature's id, optional name and polygons, in file order.
pub fn read_features(
    figure: &str,
    geojson: &Value,
    key: &FeatureKey,
    name_property: Option<&str>,
) -> Result<Vec<Feature>> {
    let err = |at: String, msg: String| ReportError::GeoJson {
        figure: figure.to_string(),
        at,
        msg,
    };
    if geojson.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(err("top level".into(), "is not a FeatureCollection".into()));
    }
    let features = geojson
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| err("top level".into(), "has no `features` array".into()))?;
    let mut out = Vec::with_capacity(features.len());
    for (i, feature) in features.iter().enumerate() {
        let id = feature_id(feature, key).map_err(|msg| err(format!("feature {i}"), msg))?;
        let at = format!("feature {i} (id `{id}`)");
        let name = name_property
            .and_then(|p| feature.get("properties")?.get(p)?.as_str())
            .map(str::to_string);
        let geometry = feature
            .get("geometry")
            .filter(|g| !g.is_null())
            .ok_or_else(|| err(at.clone(), "has no geometry".into()))?;
        let polygons = read_geometry(geometry).map_err(|msg| err(at.clone(), msg))?;
        out.push(Feature { id, name, polygons });
    }
    Ok(out)
}

fn feature_id(feature: &Value, key: &FeatureKey) -> Result<String, String> {
    let value = match key {
        FeatureKey::FeatureId => feature.get("id").ok_or("has no `id`")?,
        FeatureKey::Property(p) => {
            let props = feature
                .get("properties")
                .and_then(Value::as_object)
                .ok_or("has no `properties` object")?;
            props.get(p).ok_or_else(|| {
                let names: Vec<&str> = props.keys().map(String::as_str).collect();
                format!(
                    "has no property `{p}` (its properties are: {})",
                    names.join(", ")
                )
            })?
        }
    };
    match value {
        Value::String(s) => Ok(s.clone()),
        // Integer ids are common (`"id": 28`); they match the area "28".
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
        other => Err(format!(
            "its {} is {other}, not a string or an integer",
            crate::geojson::describe_key(key)
        )),
    }
}

fn read_geometry(geometry: &Value) -> Result<Vec<Polygon>, String> {
    let kind = geometry
        .get("type")
        .and_then(Value::as_str)
        .ok_or("geometry has no `type`")?;
    let coords = geometry
        .get("coordinates")
        .ok_or("geometry has no `coordinates`")?;
    match kind {
        "Polygon" => Ok(vec![read_polygon(coords)?]),
        "MultiPolygon" => {
            let parts = coords
                .as_array()
                .ok_or("MultiPolygon coordinates are not an array")?;
            if parts.is_empty() {
                return Err("MultiPolygon has no polygons".into());
            }
            parts.iter().map(read_polygon).collect()
        }
        other => Err(format!(
            "geometry type `{other}` cannot be drawn as an area (only Polygon and MultiPolygon)"
        )),
    }
}

fn read_polygon(coords: &Value) -> Result<Polygon, String> {
    let rings = coords
        .as_array()
        .ok_or("polygon coordinates are not an array of rings")?;
    if rings.is_empty() {
        return Err("polygon has no rings".into());
    }
    rings.iter().map(read_ring).collect()
}

fn read_ring(ring: &Value) -> Result<Ring, String> {
    let positions = ring.as_array().ok_or("ring is not an array of positions")?;
    if positions.len() < 3 {
        return Err(format!(
            "ring has {} position(s); a ring needs at least 3",
            positions.len()
        ));
    }
    positions.iter().map(read_position).collect()
}

fn read_position(p: &Value) -> Result<[f64; 2], String> {
    let xy = p
        .as_array()
        .filter(|a| a.len() >= 2)
        .ok_or_else(|| format!("position {p} is not [longitude, latitude]"))?;
    // A NaN built in code becomes JSON null, so "not a number" covers it.
    let num = |v: &Value| v.as_f64().filter(|x| x.is_finite());
    let (Some(lon), Some(lat)) = (num(&xy[0]), num(&xy[1])) else {
        return Err(format!(
            "position {p} has a coordinate that is not a finite number"
        ));
    };
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(format!(
            "position [{lon}, {lat}] is outside longitude/latitude range; \
             is the GeoJSON in WGS84 (EPSG:4326)?"
        ));
    }
    Ok([lon, lat])
}
