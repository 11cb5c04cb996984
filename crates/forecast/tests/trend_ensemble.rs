//! The damped trend and quantile averaging against values worked by hand.

use didymos_forecast::{
    damped_trend, lead_ratio, quantile_average, QuantileForecast, TrendOptions,
};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

/// History 0, 3, 8: ln(1 + y) = 0, ln 4, ln 9; changes ln 4 and ln 2.25,
/// so the slope is ln 2.25 = 2 ln 1.5, and the spread (population sd of the
/// two changes) is (ln 4 − ln 2.25)/2 = ln(4/2.25)/2.
#[test]
fn damped_trend_matches_hand_values() {
    let opts = TrendOptions {
        levels: vec![0.1, 0.5, 0.9],
        ..TrendOptions::default()
    };
    let f = damped_trend(&[0.0, 3.0, 8.0], &[1, 2], &opts).unwrap();
    let slope = 2.0 * 1.5f64.ln();
    let sd = (4.0f64 / 2.25).ln() / 2.0;
    let z90 = 1.281_551_565_544_600_4; // Φ⁻¹(0.9)
                                       // h = 1: centre ln 9 + 0.5·slope = ln(9·1.5) → median 13.5 − 1.
    let m1 = f[0].values()[1];
    assert!(close(m1, 12.5), "{m1}");
    assert!(close(f[0].values()[2], 13.5 * (sd * z90).exp() - 1.0));
    assert!(close(f[0].values()[0], 13.5 * (-sd * z90).exp() - 1.0));
    // h = 2: centre ln 9 + 0.75·slope, sd·√2.
    let c2 = 9.0 * (0.75 * slope).exp();
    assert!(close(f[1].values()[1], c2 - 1.0));
    assert!(close(
        f[1].values()[2],
        c2 * (sd * 2f64.sqrt() * z90).exp() - 1.0
    ));
}

#[test]
fn damping_zero_is_persistence_and_one_is_a_straight_line() {
    let hist = [10.0, 20.0, 40.0];
    let at = |phi: f64, h: u32| {
        let opts = TrendOptions {
            damping: phi,
            ..TrendOptions::default()
        };
        damped_trend(&hist, &[h], &opts).unwrap()[0]
            .median()
            .unwrap()
    };
    assert!(close(at(0.0, 3), 40.0));
    // ln(1 + y) grows by ln(41/21) a step.
    assert!(close(at(1.0, 2), 41.0 * (41.0f64 / 21.0).powi(2) - 1.0));
}

#[test]
fn flat_series_gets_the_floor_spread_and_quantiles_stay_at_or_above_zero() {
    let f = damped_trend(&[0.0, 0.0, 0.0], &[1, 4], &TrendOptions::default()).unwrap();
    for q in &f {
        assert!(q.values().iter().all(|&v| v >= 0.0));
        assert_eq!(q.median(), Some(0.0));
    }
    // e^{0.05·√4·Φ⁻¹(0.99)} − 1 at the top level.
    let top = *f[1].values().last().unwrap();
    assert!(
        close(top, (0.1 * 2.326_347_874_040_840_8f64).exp_m1()),
        "{top}"
    );
}

#[test]
fn bad_history_and_settings_are_errors_that_say_why() {
    let o = TrendOptions::default();
    let e = damped_trend(&[1.0], &[1], &o).unwrap_err().to_string();
    assert!(e.contains("at least two"), "{e}");
    let e = damped_trend(&[1.0, -2.0], &[1], &o)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("observation 1 is -2") && e.contains("y ≥ 0"),
        "{e}"
    );
    let e = damped_trend(&[1.0, f64::NAN], &[1], &o)
        .unwrap_err()
        .to_string();
    assert!(e.contains("observation 1 is NaN"), "{e}");
    assert!(damped_trend(&[1.0, 2.0], &[0], &o).is_err());
    let bad = TrendOptions {
        damping: 1.5,
        ..TrendOptions::default()
    };
    let e = damped_trend(&[1.0, 2.0], &[1], &bad)
        .unwrap_err()
        .to_string();
    assert!(e.contains("damping 1.5"), "{e}");
}

#[test]
fn quantile_average_is_level_by_level() {
    let a = QuantileForecast::new(vec![0.25, 0.5, 0.75], vec![1.0, 2.0, 3.0]).unwrap();
    let b = QuantileForecast::new(vec![0.25, 0.5, 0.75], vec![3.0, 6.0, 11.0]).unwrap();
    let e = quantile_average(&[(&a, 1.0), (&b, 1.0)]).unwrap();
    assert_eq!(e.values(), &[2.0, 4.0, 7.0]);
    let e = quantile_average(&[(&a, 3.0), (&b, 1.0)]).unwrap();
    assert_eq!(e.values(), &[1.5, 3.0, 5.0]);
    assert_eq!(e.levels(), a.levels());
}

#[test]
fn quantile_average_refuses_mismatched_levels_and_bad_weights() {
    let a = QuantileForecast::new(vec![0.25, 0.5, 0.75], vec![1.0, 2.0, 3.0]).unwrap();
    let c = QuantileForecast::new(vec![0.1, 0.5, 0.9], vec![1.0, 2.0, 3.0]).unwrap();
    let e = quantile_average(&[(&a, 1.0), (&c, 1.0)])
        .unwrap_err()
        .to_string();
    assert!(e.contains("part 1") && e.contains("same levels"), "{e}");
    let e = quantile_average(&[(&a, 0.0)]).unwrap_err().to_string();
    assert!(e.contains("weight 0 is 0"), "{e}");
    assert!(quantile_average(&[]).is_err());
}

/// Target 10, 20, 30 and leading 100, 100, 300 (weekly): the ratio is
/// (30 + 20)/(100 + 100) = 0.25 a week later, so the median is
/// 0.25 · 300 = 75 at every horizon; the spread is the target's log-change
/// sd, (ln 31 − ln 21 and ln 21 − ln 11: population sd = half their
/// difference), times √h.
#[test]
fn lead_ratio_matches_hand_values() {
    let opts = TrendOptions {
        levels: vec![0.1, 0.5, 0.9],
        ..TrendOptions::default()
    };
    let f = lead_ratio(&[10.0, 20.0, 30.0], &[100.0, 100.0, 300.0], &[1, 4], &opts)
        .unwrap()
        .unwrap();
    let sd = ((21.0f64 / 11.0).ln() - (31.0f64 / 21.0).ln()) / 2.0;
    let z90 = 1.281_551_565_544_600_4;
    for (q, h) in f.iter().zip([1.0f64, 4.0]) {
        assert!(close(q.values()[1], 75.0), "{:?}", q.values());
        assert!(close(
            q.values()[2],
            76.0 * (sd * h.sqrt() * z90).exp() - 1.0
        ));
    }
    // A leading series that showed nothing for two weeks gives no ratio.
    assert!(lead_ratio(&[1.0, 2.0, 3.0], &[0.0, 0.0, 5.0], &[1], &opts)
        .unwrap()
        .is_none());
    let e = lead_ratio(&[1.0, 2.0], &[1.0, 2.0, 3.0], &[1], &opts)
        .unwrap_err()
        .to_string();
    assert!(e.contains("three weeks of the target"), "{e}");
    let e = lead_ratio(&[1.0, 2.0, 3.0], &[1.0, -2.0, 3.0], &[1], &opts)
        .unwrap_err()
        .to_string();
    assert!(e.contains("leading week 1 is -2"), "{e}");
}

/// Between whole steps (an epiweek ending h = 5/7 of a week on): the damped
/// sum φ + … + φʰ is φ(1 − φʰ)/(1 − φ), the spread sd·√h; whole steps give
/// the term-by-term sum bit for bit.
#[test]
fn horizons_between_whole_steps_extend_the_damped_sum() {
    use didymos_forecast::{damped_trend_at, lead_ratio_at};
    let opts = TrendOptions {
        levels: vec![0.1, 0.5, 0.9],
        ..TrendOptions::default()
    };
    let history = [0.0, 3.0, 8.0];
    let whole = damped_trend(&history, &[1, 2, 3], &opts).unwrap();
    let at = damped_trend_at(&history, &[1.0, 2.0, 3.0], &opts).unwrap();
    assert_eq!(whole, at);
    let h = 5.0 / 7.0;
    let f = damped_trend_at(&history, &[h], &opts).unwrap();
    let slope = 2.0 * 1.5f64.ln();
    let sd = (4.0f64 / 2.25).ln() / 2.0;
    let steps = 0.5 * (1.0 - 0.5f64.powf(h)) / 0.5;
    let centre = 9.0f64.ln() + slope * steps;
    assert!(close(f[0].values()[1], centre.exp() - 1.0));
    let z90 = 1.281_551_565_544_600_4;
    assert!(close(
        f[0].values()[2],
        (centre + sd * h.sqrt() * z90).exp() - 1.0
    ));
    // The median lies between the origin's level and one step's.
    let (m0, m1) = (8.0, whole[0].values()[1]);
    assert!(m0 < f[0].values()[1] && f[0].values()[1] < m1);
    // φ = 1: h steps of the slope; φ = 0: the last level.
    for (damping, want) in [(1.0, 9.0 * (slope * h).exp() - 1.0), (0.0, 8.0)] {
        let o = TrendOptions {
            damping,
            ..opts.clone()
        };
        let f = damped_trend_at(&history, &[h], &o).unwrap();
        assert!(close(f[0].values()[1], want), "φ = {damping}");
    }
    // The lead: the same median at any horizon, spread √h.
    let lead = lead_ratio_at(&[1.0, 2.0, 4.0], &[10.0, 10.0, 20.0], &[h, 1.0], &opts)
        .unwrap()
        .unwrap();
    assert_eq!(lead[0].values()[1], lead[1].values()[1]);
    assert!(lead[0].values()[2] < lead[1].values()[2]);
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let err = damped_trend_at(&history, &[bad], &opts).unwrap_err();
        assert!(
            err.to_string().contains("horizons are finite and > 0"),
            "{err}"
        );
    }
}
