//! The report's maps: expected incidence per 100,000 in the baseline
//! scenario, and the chance of exceeding capacity where thresholds were
//! given.

use didymos_report::{Choropleth, FeatureKey, ValueStyle};

use super::{baseline_series, ReportArgs};
use crate::scenario_bundle::Bundle;

pub(crate) fn feature_key(args: &ReportArgs) -> FeatureKey {
    match &args.geojson_id {
        Some(p) => FeatureKey::Property(p.clone()),
        None => FeatureKey::FeatureId,
    }
}

pub(super) fn incidence_map(
    b: &Bundle,
    observable: &str,
    geojson: serde_json::Value,
    args: &ReportArgs,
) -> Choropleth {
    let per_100k: Vec<(String, Option<f64>)> = b
        .units
        .iter()
        .zip(&b.population)
        .map(|(u, pop)| {
            let v = baseline_series(b, observable)
                .find(|s| &s.unit == u)
                .and_then(|s| s.cumulative)
                .filter(|_| *pop > 0.0)
                .map(|c| c.q50 / pop * 1e5);
            (u.clone(), v)
        })
        .collect();
    // A few extreme areas (small populations) would wash out the rest of
    // the scale: above the 95th percentile everything is the darkest colour.
    let mut sorted: Vec<f64> = per_100k.iter().filter_map(|x| x.1).collect();
    sorted.sort_by(f64::total_cmp);
    let domain = match (sorted.first(), sorted.last()) {
        (Some(&lo), Some(&hi)) if sorted.len() >= 20 => {
            let p95 = sorted[(sorted.len() * 95).div_ceil(100) - 1];
            (p95 < hi && lo < p95).then_some((lo, p95))
        }
        _ => None,
    };
    let caption = match domain {
        Some((_, top)) => format!(
            "Median of the baseline scenario ({}); areas above {top:.0} share the darkest colour.",
            b.baseline
        ),
        None => format!("Median of the baseline scenario ({}).", b.baseline),
    };
    Choropleth {
        name: format!("map-{observable}"),
        title: format!(
            "Expected {} per 100,000 people, {} to {}",
            observable.replace('_', " "),
            b.first_date,
            b.meta.horizon
        ),
        caption,
        geojson,
        key: feature_key(args),
        name_property: args.geojson_name.clone(),
        values: per_100k,
        value_label: "per 100,000".into(),
        value_style: ValueStyle::Number,
        domain,
    }
}

/// Probability of exceeding capacity in the baseline, where the scenarios
/// file gave thresholds.
pub(super) fn exceedance_map(
    b: &Bundle,
    geojson: serde_json::Value,
    args: &ReportArgs,
) -> Option<Choropleth> {
    let rows: Vec<_> = b
        .exceedance
        .iter()
        .filter(|e| e.scenario == b.baseline && e.unit != "total")
        .collect();
    let first = rows.first()?;
    let values = b
        .units
        .iter()
        .map(|u| {
            let v = rows
                .iter()
                .find(|e| &e.unit == u && e.observable == first.observable)
                .map(|e| e.within_horizon);
            (u.clone(), v)
        })
        .collect();
    Some(Choropleth {
        name: "map-capacity".into(),
        title: format!(
            "Chance that {} exceeds capacity by {}",
            first.observable.replace('_', " "),
            b.meta.horizon
        ),
        caption: format!(
            "Share of runs of the baseline scenario ({}) that go over the area's threshold on at least one day; grey: no threshold given.",
            b.baseline
        ),
        geojson,
        key: feature_key(args),
        name_property: args.geojson_name.clone(),
        values,
        value_label: "chance".into(),
        value_style: ValueStyle::Percent,
        domain: Some((0.0, 1.0)),
    })
}
