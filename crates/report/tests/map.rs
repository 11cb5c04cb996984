//! The choropleth on the real 52 Spanish provinces, id matching in both
//! directions, and GeoJSON that cannot be drawn.

mod common;

use std::collections::HashSet;

use common::{check_balanced, count, spain_map, spain_provinces};
use didymos_report::{parse_geojson, Choropleth, FeatureKey, ReportError, ValueStyle};
use serde_json::json;

#[test]
fn one_path_per_province_with_titles() {
    let svg = spain_map().to_svg().unwrap();
    check_balanced(&svg, false).unwrap();
    assert_eq!(count(&svg, "<path"), 52);
    assert_eq!(count(&svg, "<path data-id=\""), 52);
    let ids: HashSet<String> = svg
        .split("<path data-id=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .collect();
    let expected: HashSet<String> = spain_provinces().into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, expected);
    assert!(svg.contains("<title>Madrid (28): people per km² "));
    // Ceuta and Melilla have no value: grey, and said so.
    assert!(svg.contains("<path data-id=\"51\" fill=\"#bdbdbd\""));
    assert!(svg.contains("people per km² no data</title>"));
    assert!(svg.contains(">no data</text>"));
    // Madrid is the densest province, so it gets the darkest colour.
    assert!(svg.contains("<path data-id=\"28\" data-value=\""));
    assert!(svg
        .split("<path data-id=\"28\"")
        .nth(1)
        .unwrap()
        .contains("fill=\"#081d58\""));
}

#[test]
fn standalone_map_is_an_svg_document() {
    let svg = spain_map().to_svg().unwrap();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.ends_with("</svg>"));
    assert!(svg.contains("viewBox=\"0 0 800 "));
    assert_eq!(svg, spain_map().to_svg().unwrap());
}

#[test]
fn unmatched_ids_are_named_in_both_directions() {
    let mut map = spain_map();
    map.values.retain(|(id, _)| id != "28" && id != "08");
    map.values.push(("99".into(), Some(1.0)));
    let err = map.to_svg().unwrap_err();
    match &err {
        ReportError::Unmatched {
            areas_without_feature,
            features_without_area,
            ..
        } => {
            assert_eq!(areas_without_feature, &["99"]);
            let mut f = features_without_area.clone();
            f.sort();
            assert_eq!(f, ["08", "28"]);
        }
        other => panic!("expected Unmatched, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("property `cod_prov`"), "{msg}");
    assert!(msg.contains("1 area(s) have no feature: `99`"), "{msg}");
    assert!(msg.contains("2 feature(s) have no area"), "{msg}");
    assert!(msg.contains("`28`") && msg.contains("`08`"), "{msg}");
}

#[test]
fn wrong_key_property_lists_the_available_ones() {
    let mut map = spain_map();
    map.key = FeatureKey::Property("code".into());
    let msg = map.to_svg().unwrap_err().to_string();
    assert!(msg.contains("has no property `code`"), "{msg}");
    assert!(msg.contains("cod_prov"), "{msg}");
}

#[test]
fn duplicate_and_non_finite_values_are_errors() {
    let mut map = spain_map();
    map.values.push(("28".into(), Some(3.0)));
    let msg = map.to_svg().unwrap_err().to_string();
    assert!(
        msg.contains("area `28` is given more than one value"),
        "{msg}"
    );

    let mut map = spain_map();
    map.values[0].1 = Some(f64::NAN);
    let msg = map.to_svg().unwrap_err().to_string();
    assert!(msg.contains("not a finite number"), "{msg}");
}

fn square(x: f64, y: f64) -> serde_json::Value {
    json!([[
        [x, y],
        [x + 1.0, y],
        [x + 1.0, y + 1.0],
        [x, y + 1.0],
        [x, y]
    ]])
}

fn tiny_map(geojson: serde_json::Value, key: FeatureKey) -> Choropleth {
    Choropleth {
        name: "tiny".into(),
        title: "Tiny".into(),
        caption: String::new(),
        geojson,
        key,
        name_property: None,
        values: vec![("a".into(), Some(0.25)), ("7".into(), Some(0.75))],
        value_label: "chance of exceeding".into(),
        value_style: ValueStyle::Percent,
        domain: Some((0.0, 1.0)),
    }
}

#[test]
fn feature_ids_polygons_and_integer_ids_work() {
    let geojson = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "a", "properties": {},
         "geometry": {"type": "Polygon", "coordinates": square(0.0, 40.0)}},
        {"type": "Feature", "id": 7, "properties": {},
         "geometry": {"type": "MultiPolygon", "coordinates": [square(2.0, 40.0), square(4.0, 41.0)]}},
    ]});
    let svg = tiny_map(geojson, FeatureKey::FeatureId).to_svg().unwrap();
    assert_eq!(count(&svg, "<path data-id="), 2);
    assert!(svg.contains("<title>a (a): chance of exceeding 25%</title>"));
    assert!(svg.contains(">100%</text>"));
    // Both squares of the MultiPolygon are in the one path.
    let seven = common::between(&svg, "<path data-id=\"7\"", "</path>");
    assert_eq!(count(seven, "M"), 2);
}

fn geometry_error(geometry: serde_json::Value) -> String {
    let geojson = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "a", "properties": {}, "geometry": geometry},
        {"type": "Feature", "id": "7", "properties": {},
         "geometry": {"type": "Polygon", "coordinates": square(2.0, 40.0)}},
    ]});
    tiny_map(geojson, FeatureKey::FeatureId)
        .to_svg()
        .unwrap_err()
        .to_string()
}

#[test]
fn malformed_geometry_is_a_clear_error() {
    let msg = geometry_error(json!({"type": "Point", "coordinates": [1.0, 40.0]}));
    assert!(
        msg.contains("feature 0 (id `a`)") && msg.contains("`Point` cannot be drawn"),
        "{msg}"
    );

    let msg =
        geometry_error(json!({"type": "Polygon", "coordinates": [[[0.0, 40.0], [1.0, 40.0]]]}));
    assert!(msg.contains("ring has 2 position(s)"), "{msg}");

    // A NaN put into a serde_json value becomes null.
    let nan =
        json!({"type": "Polygon", "coordinates": [[[f64::NAN, 40.0], [1.0, 40.0], [1.0, 41.0]]]});
    let msg = geometry_error(nan);
    assert!(msg.contains("not a finite number"), "{msg}");

    let msg =
        geometry_error(json!({"type": "Polygon", "coordinates": square(440_000.0, 4_470_000.0)}));
    assert!(msg.contains("WGS84"), "{msg}");

    let msg = geometry_error(json!(null));
    assert!(msg.contains("has no geometry"), "{msg}");

    let msg = tiny_map(json!({"type": "Feature"}), FeatureKey::FeatureId)
        .to_svg()
        .unwrap_err()
        .to_string();
    assert!(msg.contains("not a FeatureCollection"), "{msg}");
}

#[test]
fn nan_in_geojson_text_is_rejected_when_parsed() {
    let text = r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"a",
        "geometry":{"type":"Polygon","coordinates":[[[NaN,1],[2,1],[2,2]]]}}]}"#;
    let err = parse_geojson(text).unwrap_err();
    assert!(
        err.to_string().starts_with("GeoJSON is not valid JSON"),
        "{err}"
    );
}

#[test]
fn duplicate_feature_ids_are_errors() {
    let geojson = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "a", "geometry": {"type": "Polygon", "coordinates": square(0.0, 40.0)}},
        {"type": "Feature", "id": "a", "geometry": {"type": "Polygon", "coordinates": square(2.0, 40.0)}},
    ]});
    let msg = tiny_map(geojson, FeatureKey::FeatureId)
        .to_svg()
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("feature id `a`") && msg.contains("more than one feature"),
        "{msg}"
    );
}

/// The Canaries (provinces 35 and 38) lie ~1,500 km from the mainland: they
/// get one framed inset, which makes the mainland larger, and no inset
/// covers mainland areas.
#[test]
fn far_islands_go_into_an_inset() {
    let svg = spain_map().to_svg().unwrap();
    assert_eq!(count(&svg, "<rect class=\"inset\""), 1, "one inset frame");
    let frame = svg.split("<rect class=\"inset\"").nth(1).unwrap();
    let attr = |name: &str| -> f64 {
        let at = frame.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        frame[at..].split('"').next().unwrap().parse().unwrap()
    };
    let (x, y, w, h) = (attr("x"), attr("y"), attr("width"), attr("height"));
    // Every point of the Canary paths lies inside the frame.
    for id in ["35", "38"] {
        let d = svg
            .split(&format!("<path data-id=\"{id}\""))
            .nth(1)
            .unwrap()
            .split(" d=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        for pt in d.split(['M', 'L', 'Z']).filter(|p| !p.is_empty()) {
            let mut it = pt.split(' ').map(|v| v.parse::<f64>().unwrap());
            let (px, py) = (it.next().unwrap(), it.next().unwrap());
            assert!(
                px >= x && px <= x + w && py >= y && py <= y + h,
                "{id}: {px},{py}"
            );
        }
    }
}
