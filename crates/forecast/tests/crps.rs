//! Sample CRPS against its O(n²) definition, the normal closed form and,
//! when installed, `properscoring.crps_ensemble`.

use std::io::Write;
use std::process::{Command, Stdio};

use didymos_forecast::{crps_samples, crps_sorted};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn crps_naive(x: &[f64], y: f64) -> f64 {
    let n = x.len() as f64;
    let a: f64 = x.iter().map(|v| (v - y).abs()).sum::<f64>() / n;
    let b: f64 = x
        .iter()
        .map(|u| x.iter().map(|v| (u - v).abs()).sum::<f64>())
        .sum::<f64>()
        / (n * n);
    a - 0.5 * b
}

#[test]
fn matches_the_quadratic_definition() {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    for n in [1usize, 2, 3, 10, 257, 1000] {
        let x: Vec<f64> = (0..n).map(|_| rng.gen_range(-50.0..150.0)).collect();
        for y in [-100.0, 0.0, 37.5, 400.0] {
            let fast = crps_samples(&x, y).unwrap();
            let slow = crps_naive(&x, y);
            assert!(
                (fast - slow).abs() <= 1e-12 * slow.abs().max(1e-300),
                "n={n} y={y}: {fast} vs {slow}"
            );
        }
    }
    // Already sorted: the same value without sorting again.
    let mut x: Vec<f64> = (0..500).map(|_| rng.gen_range(0.0..90.0)).collect();
    let unsorted = crps_samples(&x, 40.0).unwrap();
    x.sort_by(f64::total_cmp);
    assert_eq!(crps_sorted(&x, 40.0).unwrap(), unsorted);
    x.swap(0, 499);
    let err = crps_sorted(&x, 40.0).unwrap_err().to_string();
    assert!(err.contains("not sorted"), "{err}");
    assert!(crps_sorted(&[], 1.0).is_err());
    assert!(crps_sorted(&[1.0, f64::INFINITY], 1.0).is_err());
    // A single sample is the absolute error.
    assert_eq!(crps_samples(&[3.0], 5.0).unwrap(), 2.0);
    assert!(crps_samples(&[], 5.0).is_err());
    assert!(crps_samples(&[1.0, f64::NAN], 5.0).is_err());
}

/// erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): ample for a
/// Monte-Carlo comparison.
fn erf(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let p = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let r = 1.0 - p * (-x * x).exp();
    if x >= 0.0 {
        r
    } else {
        -r
    }
}

#[test]
fn approaches_the_normal_closed_form() {
    // CRPS(N(μ, σ²), y) = σ [z(2Φ(z) − 1) + 2φ(z) − 1/√π], z = (y − μ)/σ.
    let (mu, sigma) = (3.0, 2.0);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let x: Vec<f64> = (0..10_000)
        .flat_map(|_| {
            // Box–Muller: two independent normals per pair of uniforms.
            let u1: f64 = 1.0 - rng.gen::<f64>();
            let u2: f64 = rng.gen();
            let r = (-2.0 * u1.ln()).sqrt();
            let t = std::f64::consts::TAU * u2;
            [mu + sigma * r * t.cos(), mu + sigma * r * t.sin()]
        })
        .collect();
    assert_eq!(x.len(), 20_000);
    for y in [3.0, 0.5, 8.0] {
        let z: f64 = (y - mu) / sigma;
        let cdf = 0.5 * (1.0 + erf(z / std::f64::consts::SQRT_2));
        let pdf = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let exact = sigma * (z * (2.0 * cdf - 1.0) + 2.0 * pdf - 1.0 / std::f64::consts::PI.sqrt());
        let got = crps_samples(&x, y).unwrap();
        assert!((got - exact).abs() < 0.03, "y={y}: {got} vs {exact}");
    }
}

#[test]
fn matches_properscoring_if_installed() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let x: Vec<f64> = (0..500).map(|_| rng.gen_range(0.0..100.0)).collect();
    let ys = [-5.0, 20.0, 55.5, 130.0];
    let script = "import sys, numpy as np, properscoring as ps\n\
                  lines = sys.stdin.read().split('\\n')\n\
                  x = np.array([float(v) for v in lines[0].split()])\n\
                  for y in lines[1].split(): print(repr(float(ps.crps_ensemble(float(y), x))))\n";
    let child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        didymos_core::skipped!("properscoring not installed (pip install properscoring)");
        return;
    };
    let fmt = |v: &[f64]| {
        v.iter()
            .map(|a| format!("{a:e}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let input = format!("{}\n{}\n", fmt(&x), fmt(&ys));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if !out.status.success() {
        didymos_core::skipped!("properscoring not installed (pip install properscoring)");
        return;
    }
    let got: Vec<f64> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert_eq!(got.len(), ys.len());
    for (&y, want) in ys.iter().zip(got) {
        let ours = crps_samples(&x, y).unwrap();
        assert!(
            (ours - want).abs() <= 1e-10 * want.abs(),
            "y={y}: {ours} vs {want}"
        );
    }
    println!("compared {} CRPS values with properscoring", ys.len());
}
