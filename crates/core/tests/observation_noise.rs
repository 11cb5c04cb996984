//! Observation noise: normalisation, limits, sampling moments and agreement
//! with scipy.stats.

use didymos_core::observation::Noise;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn total_mass(noise: Noise, mean: f64, y_max: u64) -> f64 {
    (0..=y_max)
        .map(|y| noise.log_pmf(y as f64, mean).exp())
        .sum()
}

#[test]
fn poisson_pmf_sums_to_one() {
    for mean in [0.01, 0.1, 1.0, 5.5, 30.0, 200.0, 1500.0] {
        let s = total_mass(Noise::Poisson, mean, 4000);
        assert!((s - 1.0).abs() < 1e-10, "mean {mean}: {s}");
    }
}

#[test]
fn negbinomial_pmf_sums_to_one() {
    for k in [0.5, 2.0, 10.0, 100.0] {
        for mean in [0.05, 0.5, 3.0, 25.0, 150.0] {
            let s = total_mass(Noise::NegBinomial { dispersion: k }, mean, 30_000);
            assert!((s - 1.0).abs() < 1e-9, "k {k}, mean {mean}: {s}");
        }
    }
}

#[test]
fn zero_mean_is_a_point_mass_at_zero() {
    for noise in [
        Noise::Poisson,
        Noise::NegBinomial { dispersion: 3.0 },
        Noise::NegBinomial {
            dispersion: f64::INFINITY,
        },
    ] {
        assert_eq!(noise.log_pmf(0.0, 0.0), 0.0);
        assert_eq!(noise.log_pmf(1.0, 0.0), f64::NEG_INFINITY);
        assert_eq!(noise.log_pmf(0.0, -1.0), 0.0);
        // Non-counts are impossible.
        assert_eq!(noise.log_pmf(1.5, 2.0), f64::NEG_INFINITY);
        assert_eq!(noise.log_pmf(-1.0, 2.0), f64::NEG_INFINITY);
        // A tiny (clamped) mean gives a finite value.
        assert!(noise.log_pmf(3.0, 1e-10).is_finite());
    }
    // Log-normal is fine at 0: ln(0+1) vs ln(0+1).
    let ln = Noise::LogNormal { sd: 0.5 };
    assert!(ln.log_pmf(0.0, 0.0).is_finite());
}

#[test]
fn negbinomial_with_huge_dispersion_is_poisson() {
    let nb = Noise::NegBinomial { dispersion: 1e10 };
    for mean in [0.3, 4.0, 60.0, 800.0] {
        for y in [0.0, 1.0, 3.0, 55.0, 70.0, 790.0] {
            let a = nb.log_pmf(y, mean);
            let b = Noise::Poisson.log_pmf(y, mean);
            assert!(
                (a - b).abs() < 1e-6 * b.abs().max(1.0),
                "y {y} mean {mean}: {a} vs {b}"
            );
        }
    }
    let inf = Noise::NegBinomial {
        dispersion: f64::INFINITY,
    };
    assert_eq!(inf.log_pmf(4.0, 2.5), Noise::Poisson.log_pmf(4.0, 2.5));
}

fn moments(noise: Noise, mean: f64, seed: u64) -> (f64, f64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = 20_000;
    let draws: Vec<f64> = (0..n).map(|_| noise.sample(mean, &mut rng)).collect();
    let m = draws.iter().sum::<f64>() / n as f64;
    let v = draws.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
    (m, v)
}

#[test]
fn sample_moments_match() {
    // Poisson: SE(mean) ≈ 0.019, SD(var) ≈ 0.075.
    let (m, v) = moments(Noise::Poisson, 7.3, 1);
    assert!((m - 7.3).abs() < 0.08, "{m}");
    assert!((v - 7.3).abs() < 0.4, "{v}");

    // Negative binomial: var = 20 + 400/3.
    let nb = Noise::NegBinomial { dispersion: 3.0 };
    let (m, v) = moments(nb, 20.0, 2);
    let var = nb.variance(20.0);
    assert!((var - (20.0 + 400.0 / 3.0)).abs() < 1e-12);
    assert!((m - 20.0).abs() < 0.4, "{m}");
    assert!((v - var).abs() < 0.08 * var, "{v} vs {var}");

    // Large means work and stay whole numbers.
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for noise in [Noise::Poisson, Noise::NegBinomial { dispersion: 50.0 }] {
        let x = noise.sample(1e9, &mut rng);
        assert_eq!(x.fract(), 0.0);
        assert!((x / 1e9 - 1.0).abs() < 0.7, "{x}");
    }
    let (m, _) = moments(Noise::Poisson, 1e7, 4);
    assert!((m / 1e7 - 1.0).abs() < 1e-3, "{m}");

    // Log-normal: E[y] = (μ+1)e^{sd²/2} − 1, variance as documented.
    let ln = Noise::LogNormal { sd: 0.2 };
    let (m, v) = moments(ln, 50.0, 5);
    let expect_m = 51.0 * (0.02f64).exp() - 1.0;
    assert!((m - expect_m).abs() < 0.25, "{m} vs {expect_m}");
    let var = ln.variance(50.0);
    assert!((v - var).abs() < 0.08 * var, "{v} vs {var}");

    // Zero means give zero.
    assert_eq!(Noise::Poisson.sample(0.0, &mut rng), 0.0);
    assert_eq!(nb.sample(-3.0, &mut rng), 0.0);
}

#[test]
fn validate_rejects_bad_parameters() {
    assert!(Noise::NegBinomial { dispersion: 0.0 }.validate().is_err());
    assert!(Noise::NegBinomial {
        dispersion: f64::NAN
    }
    .validate()
    .is_err());
    assert!(Noise::NegBinomial {
        dispersion: f64::INFINITY
    }
    .validate()
    .is_ok());
    assert!(Noise::LogNormal { sd: -1.0 }.validate().is_err());
    assert!(Noise::LogNormal { sd: 0.3 }.validate().is_ok());
}

/// (y, mean, k) reference points; k = 0 means Poisson.
const POINTS: &[(f64, f64, f64)] = &[
    (0.0, 0.5, 0.0),
    (3.0, 2.5, 0.0),
    (17.0, 9.0, 0.0),
    (120.0, 100.0, 0.0),
    (950.0, 1000.0, 0.0),
    (0.0, 4.0, 0.0),
    (0.0, 0.5, 1.5),
    (3.0, 2.5, 0.7),
    (17.0, 9.0, 5.0),
    (120.0, 100.0, 12.0),
    (950.0, 1000.0, 40.0),
    (2.0, 30.0, 0.1),
    (40.0, 35.0, 1e4),
    (70.0, 60.0, 3.0),
    (300.0, 280.0, 5e4),
    (90.0, 100.0, 2e3),
];

#[test]
fn log_pmf_matches_scipy() {
    let has_scipy = std::process::Command::new("python3")
        .args(["-c", "import scipy"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !has_scipy {
        didymos_core::skipped!("scipy not installed (pip install scipy)");
        return;
    }
    let points: Vec<String> = POINTS
        .iter()
        .map(|(y, m, k)| format!("({y:?},{m:?},{k:?})"))
        .collect();
    let script = format!(
        "from scipy.stats import poisson, nbinom\n\
         for y, m, k in [{}]:\n\
         \x20   v = poisson.logpmf(y, m) if k == 0 else nbinom.logpmf(y, k, k/(k+m))\n\
         \x20   print(repr(float(v)))\n",
        points.join(",")
    );
    let out = std::process::Command::new("python3")
        .args(["-c", &script])
        .output()
        .expect("python3 ran a moment ago");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let refs: Vec<f64> = text.lines().map(|l| l.trim().parse().unwrap()).collect();
    assert_eq!(refs.len(), POINTS.len());
    for (&(y, m, k), r) in POINTS.iter().zip(refs) {
        let noise = if k == 0.0 {
            Noise::Poisson
        } else {
            Noise::NegBinomial { dispersion: k }
        };
        let v = noise.log_pmf(y, m);
        assert!(
            (v - r).abs() < 1e-10,
            "{noise:?} y {y} mean {m}: ours {v}, scipy {r} (diff {:e})",
            v - r
        );
    }
}
