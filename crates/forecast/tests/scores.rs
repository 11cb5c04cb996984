//! WIS, bias and coverage against values worked out by hand.

use didymos_forecast::{bias, interval_coverage, wis, QuantileForecast};

/// Levels 0.1, 0.25, 0.5, 0.75, 0.9 with values 2, 4, 5, 6, 9: K = 2
/// intervals, α = 0.2 → [2, 9] and α = 0.5 → [4, 6]; c = 1/(K+½) = 0.4.
/// Dispersion = 0.4·(0.1·7 + 0.25·2) = 0.4·1.2 = 0.48 for every y.
fn five() -> QuantileForecast {
    QuantileForecast::new(
        vec![0.1, 0.25, 0.5, 0.75, 0.9],
        vec![2.0, 4.0, 5.0, 6.0, 9.0],
    )
    .unwrap()
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-12, "{a} != {b}");
}

fn check(y: f64, total: f64, under: f64, over: f64) {
    let w = wis(&five(), y).unwrap();
    close(w.wis, total);
    close(w.dispersion, 0.48);
    close(w.underprediction, under);
    close(w.overprediction, over);
    close(w.dispersion + w.underprediction + w.overprediction, w.wis);
}

#[test]
fn wis_on_the_median() {
    // ½·0 + 0.1·7 + 0.25·2 = 1.2; /2.5 = 0.48.
    check(5.0, 0.48, 0.0, 0.0);
}

#[test]
fn wis_below_every_quantile() {
    // y = 0: ½|0−5| = 2.5; IS_0.2 = 7 + 10·(2−0) = 27, ×0.1 = 2.7;
    // IS_0.5 = 2 + 4·(4−0) = 18, ×0.25 = 4.5. (2.5+2.7+4.5)/2.5 = 3.88.
    // Overprediction = (2.5 + 2 + 4)/2.5 = 3.4.
    check(0.0, 3.88, 0.0, 3.4);
}

#[test]
fn wis_above_every_quantile() {
    // y = 12: ½·7 = 3.5; IS_0.2 = 7 + 10·3 = 37 → 3.7; IS_0.5 = 2 + 4·6 = 26
    // → 6.5. (3.5+3.7+6.5)/2.5 = 5.48; underprediction (3.5+3+6)/2.5 = 5.
    check(12.0, 5.48, 5.0, 0.0);
}

#[test]
fn wis_inside_the_intervals() {
    // y = 3: ½·2 = 1; IS_0.2 = 7 → 0.7; IS_0.5 = 2 + 4·1 = 6 → 1.5.
    // 3.2/2.5 = 1.28; overprediction (1 + 1)/2.5 = 0.8.
    check(3.0, 1.28, 0.0, 0.8);
    // y = 5.5: ½·0.5 = 0.25 and no interval penalty: 1.45/2.5 = 0.58.
    check(5.5, 0.58, 0.1, 0.0);
}

#[test]
fn wis_of_a_single_interval() {
    // K = 1, α = 0.5, [1, 3], m = 2, y = 4: ½·2 = 1; IS = 2 + 4·1 = 6, ×0.25
    // = 1.5; (1 + 1.5)/1.5 = 5/3.
    let f = QuantileForecast::new(vec![0.25, 0.5, 0.75], vec![1.0, 2.0, 3.0]).unwrap();
    close(wis(&f, 4.0).unwrap().wis, 5.0 / 3.0);
}

#[test]
fn bias_by_hand() {
    let f = five();
    close(bias(&f, 5.0).unwrap(), 0.0);
    close(bias(&f, 0.0).unwrap(), 1.0);
    close(bias(&f, 12.0).unwrap(), -1.0);
    // y = 3 < median: max{τ: q_τ ≤ 3} = 0.1 → 1 − 0.2.
    close(bias(&f, 3.0).unwrap(), 0.8);
    // y = 4 lands on q_0.25: 1 − 0.5.
    close(bias(&f, 4.0).unwrap(), 0.5);
    // y = 5.5 > median: min{τ: q_τ ≥ 5.5} = 0.75 → 1 − 1.5.
    close(bias(&f, 5.5).unwrap(), -0.5);
    close(bias(&f, 9.0).unwrap(), -0.8);
}

#[test]
fn coverage() {
    let f = QuantileForecast::new(
        vec![0.05, 0.25, 0.5, 0.75, 0.95],
        vec![1.0, 4.0, 5.0, 6.0, 10.0],
    )
    .unwrap();
    assert!(interval_coverage(&f, 5.0, 0.5).unwrap());
    assert!(interval_coverage(&f, 6.0, 0.5).unwrap()); // closed interval
    assert!(!interval_coverage(&f, 3.0, 0.5).unwrap());
    assert!(interval_coverage(&f, 3.0, 0.9).unwrap());
    assert!(interval_coverage(&f, 10.0, 0.9).unwrap());
    assert!(!interval_coverage(&f, 10.5, 0.9).unwrap());
    assert!(!interval_coverage(&f, 0.5, 0.9).unwrap());
    // five() has no 0.05/0.95 levels.
    assert!(interval_coverage(&five(), 3.0, 0.9).is_err());
}

#[test]
fn invalid_forecasts_are_refused() {
    let new = |l: &[f64], v: &[f64]| QuantileForecast::new(l.to_vec(), v.to_vec());
    assert!(new(&[0.25, 0.5], &[1.0]).is_err());
    assert!(new(&[0.5, 0.25], &[1.0, 2.0]).is_err());
    assert!(new(&[0.0, 0.5], &[1.0, 2.0]).is_err());
    assert!(new(&[0.25, 0.5, 0.75], &[1.0, 3.0, 2.0]).is_err());
    assert!(new(&[0.25, 0.5], &[1.0, f64::NAN]).is_err());
    // Valid, but WIS needs symmetric pairs and the median.
    let asym = new(&[0.1, 0.5, 0.75], &[1.0, 2.0, 3.0]).unwrap();
    assert!(wis(&asym, 2.0).is_err());
    let upper_only = new(&[0.25, 0.5, 0.75, 0.8], &[1.0, 2.0, 3.0, 4.0]).unwrap();
    assert!(wis(&upper_only, 2.0).is_err());
    let no_median = new(&[0.25, 0.75], &[1.0, 3.0]).unwrap();
    assert!(wis(&no_median, 2.0).is_err());
    assert!(bias(&no_median, 2.0).is_err());
    assert!(wis(&five(), f64::NAN).is_err());
}

#[test]
fn exceedance_interpolates_between_quantiles() {
    let f = five();
    // On a quantile: 1 − its level.
    close(f.exceedance(5.0), 0.5);
    close(f.exceedance(6.0), 0.25);
    // Between 6 (0.75) and 9 (0.9): a third of the way, F = 0.8.
    close(f.exceedance(7.0), 0.2);
    // Between 2 (0.1) and 4 (0.25): F = 0.1 + 0.15·0.5 = 0.175.
    close(f.exceedance(3.0), 0.825);
    // Outside the outer quantiles: the bounds they give.
    close(f.exceedance(1.0), 0.9);
    close(f.exceedance(9.0), 0.1);
    close(f.exceedance(1e9), 0.1);
    // Exactly the decimal bound, so that "more than 0.01" is not met by
    // rounding: 1 − 0.99 in binary is above 0.01.
    let hub = QuantileForecast::new(vec![0.01, 0.5, 0.99], vec![1.0, 2.0, 3.0]).unwrap();
    assert_eq!(hub.exceedance(3.0), 0.01);
    assert_eq!(hub.exceedance(0.0), 0.99);
    // It falls as the threshold rises.
    let mut last = 1.0;
    for k in 0..=120 {
        let p = f.exceedance(k as f64 / 10.0);
        assert!(p <= last, "{p} after {last} at {}", k as f64 / 10.0);
        last = p;
    }
}

#[test]
fn exceedance_of_a_point_mass_counts_its_highest_level() {
    // Half the mass at zero: P(Y > 0) is 0.5, not more.
    let f = QuantileForecast::new(
        vec![0.1, 0.25, 0.5, 0.75, 0.9],
        vec![0.0, 0.0, 0.0, 4.0, 8.0],
    )
    .unwrap();
    close(f.exceedance(0.0), 0.5);
    close(f.exceedance(2.0), 0.375);
    let zeros = QuantileForecast::new(vec![0.1, 0.5, 0.9], vec![0.0; 3]).unwrap();
    close(zeros.exceedance(0.0), 0.1);
    close(zeros.exceedance(-1.0), 0.9);
}
