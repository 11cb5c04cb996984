//! Return-period flows and exceedance probabilities.

mod common;
use common::*;
use didymos_hydro::warning::{
    annual_maxima, return_period_flow, DischargeForecast, ReturnPeriodMethod,
};

#[test]
fn gumbel_by_moments() {
    let am = [10.0, 20.0, 30.0];
    // m = 20, s = 10, β = 10·√6/π, μ = m − γβ; Q₂ = μ − β ln(ln 2).
    let beta = 10.0 * 6f64.sqrt() / std::f64::consts::PI;
    let mu = 20.0 - 0.5772156649015329 * beta;
    let q2 = mu - beta * (2f64.ln()).ln();
    let got = return_period_flow(&am, 2.0, ReturnPeriodMethod::Gumbel).unwrap();
    assert!((got - q2).abs() < 1e-12, "{got} vs {q2}");
    assert!((q2 - 18.36).abs() < 0.01, "{q2}");
    let q100 = return_period_flow(&am, 100.0, ReturnPeriodMethod::Gumbel).unwrap();
    assert!(q100 > 30.0);
    assert!(return_period_flow(&am, 1.0, ReturnPeriodMethod::Gumbel).is_err());
    assert!(return_period_flow(&[5.0], 2.0, ReturnPeriodMethod::Gumbel).is_err());
}

#[test]
fn empirical_plotting_positions() {
    // n = 3: ranks 1, 2, 3 have T = 4, 2, 4/3.
    let am = [10.0, 30.0, 20.0];
    let f = |t| return_period_flow(&am, t, ReturnPeriodMethod::Empirical).unwrap();
    assert_eq!(f(2.0), 20.0);
    assert_eq!(f(4.0), 30.0);
    assert!((f(3.0) - 25.0).abs() < 1e-12);
    assert_eq!(f(1.2), 10.0);
    assert!(return_period_flow(&am, 5.0, ReturnPeriodMethod::Empirical).is_err());
}

#[test]
fn exceedance_from_samples_and_observed_maxima() {
    let fc = DischargeForecast {
        origin: date("2002-01-01"),
        samples: vec![vec![1.0, 2.0, 3.0, 4.0], vec![5.0, 1.0, 1.0, 1.0]],
    };
    assert_eq!(fc.exceedance(2.5), vec![0.5, 0.25]);
    // Members 0 (day 2), 2 and 3 (day 1) exceed at some time.
    assert_eq!(fc.exceedance_any(2.5), 0.75);
    let b = basin(&bundled_dir(), "01022500");
    let am = annual_maxima(&b.flow);
    assert_eq!(
        am.iter().map(|x| x.0).collect::<Vec<_>>(),
        vec![2000, 2001, 2002]
    );
    assert!(am.iter().all(|(_, q)| *q > 5.0 && *q < 100.0), "{am:?}");
}
