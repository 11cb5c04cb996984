//! Moving parameters between the natural and the estimation scale
//! ([`Transform`](didymos_core::Transform)) without producing infinities at the bounds.

use didymos_core::{ParamDef, ParameterSpace};

/// Natural → estimation scale. The value is first clamped to the
/// parameter's bounds and, for log/logit transforms, nudged just inside
/// the transform's domain so the result is always finite.
pub fn to_est(def: &ParamDef, x: f64) -> f64 {
    use didymos_core::Transform::*;
    let (lo, hi) = def.bounds;
    let x = x.clamp(lo, hi);
    let x = match def.transform {
        Identity => x,
        Log => x.max(f64::MIN_POSITIVE),
        Logit { low, high } => {
            let eps = 1e-12 * (high - low);
            x.clamp(low + eps, high - eps)
        }
    };
    def.transform.to_estimation(x)
}

/// Estimation → natural scale, clamped to the parameter's bounds.
pub fn to_nat(def: &ParamDef, y: f64) -> f64 {
    let (lo, hi) = def.bounds;
    def.transform.to_natural(y).clamp(lo, hi)
}

/// Indices of the parameters named in `names`, or an error naming the first
/// unknown one.
pub fn indices(space: &ParameterSpace, names: &[String]) -> didymos_core::Result<Vec<usize>> {
    names
        .iter()
        .map(|n| {
            space.index_of(n).ok_or_else(|| {
                didymos_core::Error::Other(didymos_core::suggest::unknown_key_message(
                    n,
                    space.names(),
                ))
            })
        })
        .collect()
}

/// Indices of the parameters whose prior is neither absent nor fixed: the
/// default set a filter estimates.
pub fn free_parameters(space: &ParameterSpace) -> Vec<usize> {
    use didymos_core::Prior;
    space
        .defs()
        .iter()
        .enumerate()
        .filter(|(_, d)| matches!(&d.prior, Some(p) if !matches!(p, Prior::Fixed { .. })))
        .map(|(i, _)| i)
        .collect()
}
