//! One patch, one stratum, no mobility: the MMCA reduces to a scalar
//! discrete-time SEAIR chain with hospital and death branches.
//!
//! For M = 1, G = 1 the reference equations give: ñ = (1−p)n + p·Rₗₗ·n = n
//! (the self-loop correction sets Rₗₗ = 1), f = 2 − exp(−ξn/s),
//! z = k·N/(f·ñ) = k/f, so norm = z·f = k; Pᴬ = C₁₁·A·n/ñ = C₁₁·A (shares),
//! Pᴵ = C₁₁·I; τ = Rₗₗ·P = P and Π = (1−p)P + pτ = P with
//!
//!   P(t) = 1 − (1−βᴬ)^(k·C₁₁·A(t)) · (1−βᴵ)^(k·C₁₁·I(t)).
//!
//! Tolerance: every compartment every day within 1e-10 relative, or 1e-14
//! absolute for values below 1e-4 (where a relative comparison of two
//! near-cancelling roundings is meaningless).

mod common;

use common::*;
use didymos_epi::mmca::{EpiParams, Metapopulation, MmcaModel, MmcaSetup, PopulationParams, Seed};

const DAYS: usize = 300;
const N: f64 = 1_000_000.0;
const SEED_A: f64 = 20.0;
const K: f64 = 9.0;
const C11: f64 = 1.0;

fn epi() -> EpiParams {
    // The config's middle stratum (M), θ raised to exercise PD.
    EpiParams {
        beta_i: 0.0903,
        beta_a: 0.046053,
        eta: vec![0.2747252747252747],
        alpha: vec![0.641025641025641],
        mu: vec![0.3125],
        theta: vec![0.01],
        gamma: vec![0.01],
        zeta: vec![0.12820512820512822],
        lambda: vec![1.0],
        omega: vec![0.04],
        psi: vec![0.14285714285714285],
        chi: vec![0.047619047619047616],
    }
}

fn setup(p: f64, area: f64) -> MmcaSetup {
    MmcaSetup {
        calendar: calendar(DAYS),
        epi: epi(),
        population: PopulationParams {
            strata: vec!["all".into()],
            contact: vec![vec![C11]],
            k: vec![K],
            k_home: vec![3.0],
            k_work: vec![4.0],
            p_mobility: vec![p],
            xi: 0.01,
            sigma: 2.5,
        },
        metapopulation: Metapopulation {
            ids: vec!["X".into()],
            area: vec![area],
            population: vec![vec![N]],
        },
        edges: vec![],
        seeds: vec![Seed {
            patch: 0,
            counts: vec![SEED_A],
        }],
        containments: timeline(vec![]),
    }
}

/// The scalar chain, written independently of the model.
fn plain_loop() -> Vec<[f64; NC]> {
    let e = epi();
    let (eta, alpha, mu, theta, gamma) = (e.eta[0], e.alpha[0], e.mu[0], e.theta[0], e.gamma[0]);
    let (zeta, lambda, omega, psi, chi) = (e.zeta[0], e.lambda[0], e.omega[0], e.psi[0], e.chi[0]);
    let mut x = [0.0; NC];
    x[A] = SEED_A / N;
    x[S] = (N - SEED_A) / N;
    let mut out = vec![x];
    for _ in 1..DAYS {
        let p = 1.0 - (1.0 - e.beta_a).powf(K * C11 * x[A]) * (1.0 - e.beta_i).powf(K * C11 * x[I]);
        let mut y = [0.0; NC];
        y[S] = (1.0 - p) * x[S];
        y[E] = (1.0 - eta) * x[E] + p * x[S];
        y[A] = (1.0 - alpha) * x[A] + eta * x[E];
        y[I] = (1.0 - mu) * x[I] + alpha * x[A];
        y[PH] = (1.0 - lambda) * x[PH] + mu * (1.0 - theta) * gamma * x[I];
        y[PD] = (1.0 - zeta) * x[PD] + mu * theta * x[I];
        y[HR] = (1.0 - chi) * x[HR] + lambda * (1.0 - omega) * x[PH];
        y[HD] = (1.0 - psi) * x[HD] + lambda * omega * x[PH];
        y[R] = x[R] + chi * x[HR] + mu * (1.0 - theta) * (1.0 - gamma) * x[I];
        y[D] = x[D] + zeta * x[PD] + psi * x[HD];
        x = y;
        out.push(x);
    }
    out
}

fn close(a: f64, b: f64) -> bool {
    if a.abs().max(b.abs()) < 1e-4 {
        (a - b).abs() <= 1e-14
    } else {
        rel_err(a, b) <= 1e-10
    }
}

fn compare(label: &str, model: &MmcaModel, reference: &[[f64; NC]]) -> f64 {
    let traj = simulate(model);
    assert_eq!(traj.states.len(), DAYS);
    let mut worst: f64 = 0.0;
    for (d, (st, x)) in traj.states.iter().zip(reference).enumerate() {
        for c in 0..NC {
            assert!(
                close(st[c], x[c]),
                "{label}: day {}, {}: model {:e}, plain loop {:e} (rel {:e})",
                d + 1,
                NAMES[c],
                st[c],
                x[c],
                rel_err(st[c], x[c])
            );
            if st[c].abs().max(x[c].abs()) >= 1e-4 {
                worst = worst.max(rel_err(st[c], x[c]));
            }
        }
    }
    eprintln!("{label}: worst relative error (values ≥ 1e-4) {worst:e}");
    worst
}

#[test]
fn single_patch_matches_the_scalar_chain_for_300_days() {
    let reference = plain_loop();
    // Neither the mobility share nor the area matter for one isolated patch.
    for (p, area) in [(0.0, 100.0), (1.0, 100.0), (0.37, 3.5), (0.5, 0.0)] {
        let model = MmcaModel::new(setup(p, area)).unwrap();
        compare(&format!("p = {p}, area = {area}"), &model, &reference);
    }
}

/// S∞ of the discrete chain: with S(t+1) = (1 − P(t))S(t) and
/// ln(1 − P) = k·C₁₁·(A ln(1−βᴬ) + I ln(1−βᴵ)), summing over all days and
/// using Σₜ α·A(t) = Σₜ μ·I(t) = 1 − S∞ (everybody infected passes once
/// through A and through I; E(1) = I(1) = 0, S(1) + A(1) = 1) gives
///
///   ln(S∞ / S(1)) = −R₀ (1 − S∞),  R₀ = −k·C₁₁·(ln(1−βᴬ)/α + ln(1−βᴵ)/μ).
fn final_size() -> (f64, f64) {
    let e = epi();
    let r0 = -K * C11 * ((1.0 - e.beta_a).ln() / e.alpha[0] + (1.0 - e.beta_i).ln() / e.mu[0]);
    let s1 = (N - SEED_A) / N;
    // Root of g(s) = ln(s/s1) + r0 (1 − s) in (0, 1/r0): g(0+) = −∞, g(1/r0) > 0.
    let (mut lo, mut hi) = (1e-300, 1.0 / r0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if (mid / s1).ln() + r0 * (1.0 - mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (r0, 0.5 * (lo + hi))
}

#[test]
fn full_epidemic_peaks_and_reaches_the_final_size() {
    let reference = plain_loop();
    let model = MmcaModel::new(setup(0.5, 100.0)).unwrap();
    let traj = simulate(&model);
    let (r0, s_inf) = final_size();
    assert!(r0 > 2.0, "R0 = {r0}");
    // A full epidemic: the infected share rises, peaks, and dies out.
    let infected: Vec<f64> = traj.states.iter().map(|x| x[E] + x[A] + x[I]).collect();
    let (peak_day, peak) =
        infected
            .iter()
            .enumerate()
            .fold((0, 0.0), |b, (d, &v)| if v > b.1 { (d + 1, v) } else { b });
    eprintln!("R0 = {r0:.4}, S∞ = {s_inf:.10}, peak day {peak_day}, peak E+A+I = {peak:.4}");
    assert!(peak > 0.05, "peak infected share {peak}");
    assert!(
        peak_day > 10 && peak_day < DAYS - 100,
        "peak on day {peak_day}"
    );
    assert!(
        infected[DAYS - 1] < 1e-6 * peak,
        "still {} infected on the last day",
        infected[DAYS - 1]
    );
    // Monotone rise to the peak and fall after it (no oscillation).
    for d in 1..peak_day - 1 {
        assert!(
            infected[d] >= infected[d - 1] * 0.999_999,
            "not rising on day {}",
            d + 1
        );
    }
    for d in peak_day..DAYS {
        assert!(
            infected[d] < infected[d - 1],
            "not falling on day {}",
            d + 1
        );
    }
    // Final size: the model's S on the last day against the plain loop (1e-10)
    // and against the final-size relation (1e-6: the epidemic is not quite
    // over on day 300 — the check above bounds what is left).
    let last = traj.state(DAYS);
    assert!(rel_err(last[S], reference[DAYS - 1][S]) <= 1e-10);
    let e = rel_err(last[S], s_inf);
    eprintln!(
        "S(300) = {:.10}, final-size relation {s_inf:.10}, rel {e:e}",
        last[S]
    );
    assert!(
        e <= 1e-6,
        "S(300) = {} vs S∞ = {s_inf} (rel {e:e})",
        last[S]
    );
    // Everybody who left S ends in R or D (or is still in the tail).
    let removed = last[R] + last[D];
    assert!(
        rel_err(removed, 1.0 - last[S]) <= 1e-5,
        "R + D = {removed}, 1 − S = {}",
        1.0 - last[S]
    );
}
