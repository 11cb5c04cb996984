//! Reporting delays and the special functions behind them.

use didymos_core::observation::{erf, erfc, gamma_cdf, gamma_p, gamma_q, lognormal_cdf, Delay};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn incomplete_gamma_matches_known_values() {
    // P(2, 1) = 1 − 2/e.
    let e = std::f64::consts::E;
    assert!(close(gamma_p(2.0, 1.0), 1.0 - 2.0 / e, 1e-15));
    assert!(close(gamma_cdf(2.0, 1.0, 1.0), 1.0 - 2.0 / e, 1e-15));
    // P(1, x) = 1 − e^{−x}.
    for x in [0.01f64, 0.7, 2.0, 9.0, 40.0] {
        assert!(close(gamma_p(1.0, x), -(-x).exp_m1(), 1e-14), "{x}");
    }
    // Reference values from scipy.special.gammainc / gammaincc (scipy 1.x).
    let table = [
        (3.5, 2.0, 0.22022259152428406, 0.779777408475716),
        (10.0, 30.0, 0.9999928782491372, 7.121750862815593e-06),
        (10.0, 3.0, 0.0011024881301154815, 0.9988975118698845),
        (0.3, 5.0, 0.9993486812492816, 0.0006513187507184515),
        (50.0, 45.0, 0.24680203440017026, 0.7531979655998298),
        (1.0, 0.7, 0.5034146962085905, 0.4965853037914095),
    ];
    for (a, x, p, q) in table {
        assert!(
            close(gamma_p(a, x), p, 1e-13),
            "P({a},{x}) = {}",
            gamma_p(a, x)
        );
        let rq = (gamma_q(a, x) - q).abs() / q;
        assert!(rq < 1e-12, "Q({a},{x}) = {}", gamma_q(a, x));
    }
    assert_eq!(gamma_p(2.0, 0.0), 0.0);
    assert_eq!(gamma_cdf(2.0, 1.0, -1.0), 0.0);
    assert!(gamma_p(-1.0, 1.0).is_nan());
}

#[test]
fn erf_and_erfc_match_known_values() {
    // (x, erf, erfc) from Python's math module.
    let table = [
        (0.1, 0.1124629160182849, 0.8875370839817152),
        (0.5, 0.5204998778130465, 0.4795001221869535),
        (1.0, 0.8427007929497149, 0.15729920705028513),
        (2.0, 0.9953222650189527, 0.004677734981047265),
        (3.0, 0.9999779095030014, 2.2090496998585438e-05),
        (5.0, 0.9999999999984626, 1.5374597944280351e-12),
        (-1.5, -0.9661051464753108, 1.9661051464753108),
    ];
    for (x, ef, efc) in table {
        assert!(close(erf(x), ef, 1e-14), "erf({x}) = {}", erf(x));
        assert!(
            (erfc(x) - efc).abs() / efc < 1e-13,
            "erfc({x}) = {}",
            erfc(x)
        );
    }
    assert_eq!(erfc(0.0), 1.0);
    assert_eq!(erf(0.0), 0.0);
}

#[test]
fn lognormal_cdf_is_half_at_the_median() {
    for (mu, sigma) in [(0.0, 1.0), (1.7, 0.4), (-0.5, 2.0)] {
        let median = f64::exp(mu);
        assert!(close(lognormal_cdf(mu, sigma, median), 0.5, 1e-15));
        assert!(lognormal_cdf(mu, sigma, median * 3.0) > 0.5);
    }
    assert_eq!(lognormal_cdf(0.0, 1.0, 0.0), 0.0);
}

fn sums_to_one(d: &Delay) -> bool {
    close(d.pmf.iter().sum::<f64>(), 1.0, 1e-12) && d.pmf.iter().all(|p| *p >= 0.0)
}

#[test]
fn discretised_pmfs_match_scipy_and_sum_to_one() {
    // scipy: diff(gamma.cdf(arange(0, 12), 4, scale=1.25)), renormalised.
    let gamma_ref = [
        0.009307268151080421,
        0.07148014897744627,
        0.1460316859900871,
        0.18061629853052752,
        0.17328355027727904,
        0.14272755624086586,
        0.10620241778831986,
        0.07349950740176948,
        0.04817882766958567,
        0.03027677734794015,
        0.018395961625098607,
    ];
    let g = Delay::discretised_gamma(5.0, 2.5, 10).unwrap();
    assert_eq!(g.len(), 11);
    assert!(sums_to_one(&g));
    for (a, b) in g.pmf.iter().zip(gamma_ref) {
        assert!(close(*a, b, 1e-13), "{a} vs {b}");
    }
    // scipy: lognorm with mean 6, sd 3.
    let ln_ref = [
        0.0002005678965435034,
        0.01939120898598827,
        0.09704423661125128,
        0.16863852700021245,
        0.18548528179486434,
        0.16339835605495867,
        0.12799578898649974,
        0.09392363158175823,
        0.06641354164798186,
        0.04599687759704013,
        0.0315119818429015,
    ];
    let l = Delay::discretised_lognormal(6.0, 3.0, 10).unwrap();
    assert!(sums_to_one(&l));
    for (a, b) in l.pmf.iter().zip(ln_ref) {
        assert!(close(*a, b, 1e-13), "{a} vs {b}");
    }
}

#[test]
fn discretised_means_are_close_to_requested() {
    // P(d ≤ X < d+1) is the law of floor(X), whose mean is ≈ E[X] − 1/2.
    for (mean, sd) in [(3.0, 1.5), (5.0, 2.5), (8.0, 3.0), (12.0, 6.0)] {
        let g = Delay::discretised_gamma(mean, sd, 120).unwrap();
        let l = Delay::discretised_lognormal(mean, sd, 120).unwrap();
        for d in [g, l] {
            assert!(sums_to_one(&d));
            assert!(
                close(d.mean() + 0.5, mean, 0.1),
                "mean {mean}, sd {sd}: {}",
                d.mean()
            );
        }
    }
}

#[test]
fn convolution_and_constructors() {
    let d = Delay::from_pmf(vec![2.0, 1.0, 1.0]).unwrap();
    assert_eq!(d.pmf, vec![0.5, 0.25, 0.25]);
    // t = last: 0.5·8 + 0.25·4 + 0.25·2.
    assert!(close(d.convolve(&[1.0, 2.0, 4.0, 8.0]), 5.5, 1e-15));
    // Days before the start contribute 0.
    assert!(close(d.convolve(&[4.0, 8.0]), 5.0, 1e-15));
    assert_eq!(d.convolve(&[]), 0.0);
    assert_eq!(Delay::none().convolve(&[3.0, 7.0]), 7.0);
    assert_eq!(Delay::none().len(), 1);

    assert!(Delay::from_pmf(vec![]).is_err());
    assert!(Delay::from_pmf(vec![1.0, -0.1]).is_err());
    assert!(Delay::from_pmf(vec![0.0, 0.0]).is_err());
    assert!(Delay::discretised_gamma(0.0, 1.0, 10).is_err());
    assert!(Delay::discretised_lognormal(3.0, -1.0, 10).is_err());
    assert!(Delay {
        pmf: vec![0.5, 0.4]
    }
    .validate()
    .is_err());
}
