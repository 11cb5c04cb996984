//! KGE and NSE on values worked out by hand.

use didymos_hydro::metrics::kge_parts;
use didymos_hydro::{kge, nse};

fn some(v: &[f64]) -> Vec<Option<f64>> {
    v.iter().map(|x| Some(*x)).collect()
}

#[test]
fn perfect_fit_is_one() {
    let o = [1.0, 3.0, 2.0, 5.0];
    assert_eq!(nse(&o, &some(&o)), 1.0);
    assert!((kge(&o, &some(&o)) - 1.0).abs() < 1e-15);
}

#[test]
fn known_values() {
    let obs = some(&[1.0, 2.0, 3.0, 4.0]);
    // Mean of the observations predicts NSE 0.
    assert!(nse(&[2.5; 4], &obs).abs() < 1e-15);
    // s = o + 1: Σ(s−o)² = 4, Σ(o−ō)² = 5 → NSE = 0.2.
    let sim = [2.0, 3.0, 4.0, 5.0];
    assert!((nse(&sim, &obs) - 0.2).abs() < 1e-15);
    // r = 1, α = 1, β = 3.5/2.5 = 1.4 → KGE = 1 − 0.4 = 0.6.
    let k = kge_parts(&sim, &obs);
    assert!((k.r - 1.0).abs() < 1e-12 && (k.alpha - 1.0).abs() < 1e-12);
    assert!((k.beta - 1.4).abs() < 1e-12);
    assert!((k.kge - 0.6).abs() < 1e-12);
    // s = 2o: r = 1, α = 2, β = 2 → KGE = 1 − √2.
    let sim2 = [2.0, 4.0, 6.0, 8.0];
    assert!((kge(&sim2, &obs) - (1.0 - 2f64.sqrt())).abs() < 1e-12);
    // Reversed: r = −1, α = 1, β = 1 → KGE = −1; NSE = 1 − 20/5 = −3.
    let rev = [4.0, 3.0, 2.0, 1.0];
    assert!((kge(&rev, &obs) + 1.0).abs() < 1e-12);
    assert!((nse(&rev, &obs) + 3.0).abs() < 1e-12);
}

#[test]
fn missing_values_are_skipped() {
    let obs = vec![Some(1.0), None, Some(3.0), Some(f64::NAN)];
    let sim = [1.0, 100.0, 3.0, 7.0];
    assert_eq!(nse(&sim, &obs), 1.0);
    assert!(nse(&sim, &[None, None, None, None]).is_nan());
}
