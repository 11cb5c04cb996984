//! Combining forecasters: the weighted average of their quantiles at each
//! level ("Vincentisation"), as the US Forecast Hub's first ensembles
//! did. The average of non-decreasing quantile vectors is non-decreasing,
//! so the result is a valid forecast; its median lies between the parts'.

use didymos_core::{Error, Result};

use crate::scores::QuantileForecast;

/// Σ wᵢ·qᵢ / Σ wᵢ level by level. Every part must have the same levels;
/// weights must be finite and > 0.
pub fn quantile_average(parts: &[(&QuantileForecast, f64)]) -> Result<QuantileForecast> {
    let Some((first, _)) = parts.first() else {
        return Err(Error::Other(
            "an ensemble needs at least one forecast".into(),
        ));
    };
    let levels = first.levels();
    let mut values = vec![0.0; levels.len()];
    let mut total = 0.0;
    for (i, (q, w)) in parts.iter().enumerate() {
        if !(w.is_finite() && *w > 0.0) {
            return Err(Error::Other(format!(
                "ensemble weight {i} is {w}: weights must be finite and > 0"
            )));
        }
        if q.levels() != levels {
            return Err(Error::Other(format!(
                "ensemble part {i} has levels {:?}, part 0 {:?}: quantile averaging needs the same levels",
                q.levels(),
                levels
            )));
        }
        for (v, &x) in values.iter_mut().zip(q.values()) {
            *v += w * x;
        }
        total += w;
    }
    values.iter_mut().for_each(|v| *v /= total);
    QuantileForecast::new(levels.to_vec(), values)
}
