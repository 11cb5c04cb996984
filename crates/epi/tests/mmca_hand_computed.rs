//! Days 2, 3 and 4 of a 2-patch, 2-stratum toy computed by hand, term by
//! term, from the equations of Arenas et al. (PRX 10, 041055, 2020) as
//! MMCAcovid19.jl implements them (`compute_effective_population!`,
//! `compute_P!`, `update_prob!`), then compared with the model.
//!
//! The hand computation is written out per patch and stratum (no loop over
//! patches or edges), with the commuting sums done by hand from R:
//!
//!   R = [[0.9, 0.1],     patch 0: n = (1000, 500),  s = 50 km²
//!        [0.2, 0.8]]     patch 1: n = (2000, 1000), s = 200 km²
//!
//! Only the ten per-cell transition equations are a helper function.
//!
//! Tolerance: every compartment and observable agrees with the model to a
//! relative error ≤ 1e-12 (both exactly 0 where one is 0).

mod common;

use common::*;
use didymos_core::rng::member_rng;
use didymos_core::{MemberMut, Model};
use didymos_epi::mmca::kernel::Scratch;
use didymos_epi::mmca::{
    Containment, Edge, EpiParams, Metapopulation, MmcaModel, MmcaSetup, PopulationParams, Seed,
};

const TOL: f64 = 1e-12;

// Epidemic rates, strata (Y, O).
const BETA_I: f64 = 0.09;
const BETA_A: f64 = 0.05;
const ETA: [f64; 2] = [0.25, 0.2];
const ALPHA: [f64; 2] = [0.3, 0.6];
const MU: [f64; 2] = [0.9, 0.3];
const THETA: [f64; 2] = [0.1, 0.2];
const GAMMA: [f64; 2] = [0.05, 0.2];
const ZETA: [f64; 2] = [0.15, 0.1];
const LAMBDA: [f64; 2] = [0.8, 0.6];
const OMEGA: [f64; 2] = [0.1, 0.4];
const PSI: [f64; 2] = [0.14, 0.2];
const CHI: [f64; 2] = [0.05, 0.1];

// Population structure.
const K: [f64; 2] = [10.0, 6.0];
const K_H: [f64; 2] = [3.0, 4.0];
const K_W: [f64; 2] = [5.0, 1.0];
const P: [f64; 2] = [0.5, 1.0];
const XI: f64 = 0.01;
const SIGMA: f64 = 2.5;

/// [patch][stratum] populations.
const N: [[f64; 2]; 2] = [[1000.0, 500.0], [2000.0, 1000.0]];

type Cell = [f64; NC];
/// [patch][stratum] cells of shares.
type St = [[Cell; 2]; 2];

fn setup(n_days: usize, containments: Vec<(usize, Containment)>) -> MmcaSetup {
    MmcaSetup {
        calendar: calendar(n_days),
        epi: EpiParams {
            beta_i: BETA_I,
            beta_a: BETA_A,
            eta: ETA.to_vec(),
            alpha: ALPHA.to_vec(),
            mu: MU.to_vec(),
            theta: THETA.to_vec(),
            gamma: GAMMA.to_vec(),
            zeta: ZETA.to_vec(),
            lambda: LAMBDA.to_vec(),
            omega: OMEGA.to_vec(),
            psi: PSI.to_vec(),
            chi: CHI.to_vec(),
        },
        population: PopulationParams {
            strata: vec!["Y".into(), "O".into()],
            contact: vec![vec![0.6, 0.4], vec![0.3, 0.7]],
            k: K.to_vec(),
            k_home: K_H.to_vec(),
            k_work: K_W.to_vec(),
            p_mobility: P.to_vec(),
            xi: XI,
            sigma: SIGMA,
        },
        metapopulation: Metapopulation {
            ids: vec!["P0".into(), "P1".into()],
            area: vec![50.0, 200.0],
            population: vec![N[0].to_vec(), N[1].to_vec()],
        },
        edges: vec![
            Edge {
                source: 0,
                target: 0,
                ratio: 0.9,
            },
            Edge {
                source: 0,
                target: 1,
                ratio: 0.1,
            },
            Edge {
                source: 1,
                target: 0,
                ratio: 0.2,
            },
            Edge {
                source: 1,
                target: 1,
                ratio: 0.8,
            },
        ],
        seeds: vec![
            Seed {
                patch: 0,
                counts: vec![10.0, 5.0],
            },
            Seed {
                patch: 1,
                counts: vec![0.0, 4.0],
            },
        ],
        containments: timeline(containments),
    }
}

/// Effective populations and normalisation of one mobility/contact regime.
struct Regime {
    p: [f64; 2],
    /// ñ[patch][stratum].
    n_eff: [[f64; 2]; 2],
    /// zᵍ·(2 − exp(−ξ ñᵢ/sᵢ)), [patch][stratum].
    norm: [[f64; 2]; 2],
}

/// Regime for mobility shares `p` and contacts `k` (compute_effective_population!).
fn regime(p: [f64; 2], k: [f64; 2]) -> Regime {
    // Commuters that would arrive if everybody moved, Σᵢ Rᵢⱼ nᵢᵍ, by hand:
    //   into 0: Y 0.9·1000 + 0.2·2000 = 1300, O 0.9·500 + 0.2·1000 = 650
    //   into 1: Y 0.1·1000 + 0.8·2000 = 1700, O 0.1·500 + 0.8·1000 = 850
    let n_eff_0y = (1.0 - p[0]) * 1000.0 + p[0] * 1300.0;
    let n_eff_0o = (1.0 - p[1]) * 500.0 + p[1] * 650.0;
    let n_eff_1y = (1.0 - p[0]) * 2000.0 + p[0] * 1700.0;
    let n_eff_1o = (1.0 - p[1]) * 1000.0 + p[1] * 850.0;
    let n_eff_0 = n_eff_0y + n_eff_0o;
    let n_eff_1 = n_eff_1y + n_eff_1o;
    // Density factor f(x) = 2 − exp(−ξ x), x = ñᵢ / sᵢ.
    let f0 = 2.0 - (-XI * n_eff_0 / 50.0).exp();
    let f1 = 2.0 - (-XI * n_eff_1 / 200.0).exp();
    // zᵍ = kᵍ Nᵍ / Σᵢ f(ñᵢ/sᵢ) ñᵢᵍ, with N^Y = 3000 and N^O = 1500.
    let z_y = k[0] * 3000.0 / (f0 * n_eff_0y + f1 * n_eff_1y);
    let z_o = k[1] * 1500.0 / (f0 * n_eff_0o + f1 * n_eff_1o);
    Regime {
        p,
        n_eff: [[n_eff_0y, n_eff_0o], [n_eff_1y, n_eff_1o]],
        norm: [[z_y * f0, z_o * f0], [z_y * f1, z_o * f1]],
    }
}

/// The regime before any containment: pᵍ, kᵍ.
fn free_regime() -> Regime {
    let r = regime(P, K);
    // My own arithmetic: ñ = (1150, 650 | 1850, 850).
    assert_eq!(r.n_eff, [[1150.0, 650.0], [1850.0, 850.0]]);
    r
}

/// The regime after a containment (κ₀, δ): pᵍ_eff = (1−κ₀)pᵍ,
/// kᵍ_eff = kᵍ_h κ₀ + (kᵍ_h + kᵍ_w)(1−δ)(1−κ₀), and the LAST stratum keeps
/// its home contacts, k^O_eff = k^O_h.
fn confined_regime(kappa0: f64, delta: f64) -> Regime {
    let p = [(1.0 - kappa0) * P[0], (1.0 - kappa0) * P[1]];
    let k_y = K_H[0] * kappa0 + (K_H[0] + K_W[0]) * (1.0 - delta) * (1.0 - kappa0);
    let k_o = K_H[1];
    regime(p, [k_y, k_o])
}

/// Π[patch][stratum]: the probability that a susceptible resident is
/// infected today (compute_P! and update_prob!).
fn infection_probability(x: &St, reg: &Regime) -> [[f64; 2]; 2] {
    // Asymptomatic and symptomatic persons per patch and stratum.
    let a_0y = x[0][0][A] * 1000.0;
    let a_0o = x[0][1][A] * 500.0;
    let a_1y = x[1][0][A] * 2000.0;
    let a_1o = x[1][1][A] * 1000.0;
    let i_0y = x[0][0][I] * 1000.0;
    let i_0o = x[0][1][I] * 500.0;
    let i_1y = x[1][0][I] * 2000.0;
    let i_1o = x[1][1][I] * 1000.0;
    let (py, po) = (reg.p[0], reg.p[1]);
    let ne = &reg.n_eff;
    // Share of patch j's effective population of stratum h that is A (or I):
    // residents who stay, (1 − pₕ)·xⱼ, plus commuters pₕ·Σᵢ Rᵢⱼ xᵢ.
    let sa_0y = ((1.0 - py) * a_0y + py * (0.9 * a_0y + 0.2 * a_1y)) / ne[0][0];
    let sa_0o = ((1.0 - po) * a_0o + po * (0.9 * a_0o + 0.2 * a_1o)) / ne[0][1];
    let sa_1y = ((1.0 - py) * a_1y + py * (0.1 * a_0y + 0.8 * a_1y)) / ne[1][0];
    let sa_1o = ((1.0 - po) * a_1o + po * (0.1 * a_0o + 0.8 * a_1o)) / ne[1][1];
    let si_0y = ((1.0 - py) * i_0y + py * (0.9 * i_0y + 0.2 * i_1y)) / ne[0][0];
    let si_0o = ((1.0 - po) * i_0o + po * (0.9 * i_0o + 0.2 * i_1o)) / ne[0][1];
    let si_1y = ((1.0 - py) * i_1y + py * (0.1 * i_0y + 0.8 * i_1y)) / ne[1][0];
    let si_1o = ((1.0 - po) * i_1o + po * (0.1 * i_0o + 0.8 * i_1o)) / ne[1][1];
    // Contact-weighted: Pᴬ[j,g] = Σₕ C[g,h]·(A share of h in j); C = [[.6,.4],[.3,.7]].
    let qa_0y = 0.6 * sa_0y + 0.4 * sa_0o;
    let qa_0o = 0.3 * sa_0y + 0.7 * sa_0o;
    let qa_1y = 0.6 * sa_1y + 0.4 * sa_1o;
    let qa_1o = 0.3 * sa_1y + 0.7 * sa_1o;
    let qi_0y = 0.6 * si_0y + 0.4 * si_0o;
    let qi_0o = 0.3 * si_0y + 0.7 * si_0o;
    let qi_1y = 0.6 * si_1y + 0.4 * si_1o;
    let qi_1o = 0.3 * si_1y + 0.7 * si_1o;
    // P[j,g] = 1 − (1−βᴬ)^(norm·Pᴬ) (1−βᴵ)^(norm·Pᴵ).
    let nm = &reg.norm;
    let p_0y = 1.0 - (1.0 - BETA_A).powf(nm[0][0] * qa_0y) * (1.0 - BETA_I).powf(nm[0][0] * qi_0y);
    let p_0o = 1.0 - (1.0 - BETA_A).powf(nm[0][1] * qa_0o) * (1.0 - BETA_I).powf(nm[0][1] * qi_0o);
    let p_1y = 1.0 - (1.0 - BETA_A).powf(nm[1][0] * qa_1y) * (1.0 - BETA_I).powf(nm[1][0] * qi_1y);
    let p_1o = 1.0 - (1.0 - BETA_A).powf(nm[1][1] * qa_1o) * (1.0 - BETA_I).powf(nm[1][1] * qi_1o);
    // τ[i,g] = Σⱼ Rᵢⱼ P[j,g].
    let tau_0y = 0.9 * p_0y + 0.1 * p_1y;
    let tau_0o = 0.9 * p_0o + 0.1 * p_1o;
    let tau_1y = 0.2 * p_0y + 0.8 * p_1y;
    let tau_1o = 0.2 * p_0o + 0.8 * p_1o;
    // Π[i,g] = (1 − p_g) P[i,g] + p_g τ[i,g].
    [
        [
            (1.0 - py) * p_0y + py * tau_0y,
            (1.0 - po) * p_0o + po * tau_0o,
        ],
        [
            (1.0 - py) * p_1y + py * tau_1y,
            (1.0 - po) * p_1o + po * tau_1o,
        ],
    ]
}

/// The ten transition equations for one cell (update_prob!); `sus` is the
/// susceptible share available today, `ch` the patch's new confined share
/// (0 on days without a containment). CH is carried over unchanged.
fn transitions(x: &Cell, sus: f64, pi: f64, ch: f64, g: usize) -> Cell {
    let mut y = [0.0; NC];
    y[S] = (1.0 - pi) * (1.0 - ch) * sus;
    y[E] = (1.0 - ETA[g]) * x[E] + pi * (1.0 - ch) * sus;
    y[A] = (1.0 - ALPHA[g]) * x[A] + ETA[g] * x[E];
    y[I] = (1.0 - MU[g]) * x[I] + ALPHA[g] * x[A];
    y[PH] = (1.0 - LAMBDA[g]) * x[PH] + MU[g] * (1.0 - THETA[g]) * GAMMA[g] * x[I];
    y[PD] = (1.0 - ZETA[g]) * x[PD] + MU[g] * THETA[g] * x[I];
    y[HR] = (1.0 - CHI[g]) * x[HR] + LAMBDA[g] * (1.0 - OMEGA[g]) * x[PH];
    y[HD] = (1.0 - PSI[g]) * x[HD] + LAMBDA[g] * OMEGA[g] * x[PH];
    y[R] = x[R] + CHI[g] * x[HR] + MU[g] * (1.0 - THETA[g]) * (1.0 - GAMMA[g]) * x[I];
    y[D] = x[D] + ZETA[g] * x[PD] + PSI[g] * x[HD];
    y[CH] = x[CH];
    y
}

/// One day without a containment on that day (the regime may still be a
/// confined one from an earlier containment; CH persists).
fn step_plain(x: &St, reg: &Regime) -> St {
    let pi = infection_probability(x, reg);
    [
        [
            transitions(&x[0][0], x[0][0][S], pi[0][0], 0.0, 0),
            transitions(&x[0][1], x[0][1][S], pi[0][1], 0.0, 1),
        ],
        [
            transitions(&x[1][0], x[1][0][S], pi[1][0], 0.0, 0),
            transitions(&x[1][1], x[1][1][S], pi[1][1], 0.0, 1),
        ],
    ]
}

/// CHᵢ = (1−ϕ)κ₀·(Σ_g (S+PH+PD+HR+HD+D+R+CH)·nᵢᵍ / nᵢ)^σ for patch `i`.
fn confined_share(x: &St, i: usize, c: &Containment) -> f64 {
    let safe = |y: &Cell| y[S] + y[PH] + y[PD] + y[HR] + y[HD] + y[D] + y[R] + y[CH];
    let n_i = N[i][0] + N[i][1];
    let base = (safe(&x[i][0]) * N[i][0] + safe(&x[i][1]) * N[i][1]) / n_i;
    (1.0 - c.phi) * c.kappa0 * base.powf(SIGMA)
}

/// One day on which containment `c` is applied: the confined CH return to S,
/// a share CHᵢ of (S + CH_old) is confined, the rest is exposed as usual.
fn step_containment(x: &St, c: &Containment) -> St {
    let reg = confined_regime(c.kappa0, c.delta);
    let pi = infection_probability(x, &reg);
    let ch = [confined_share(x, 0, c), confined_share(x, 1, c)];
    let cell = |i: usize, g: usize| {
        let sus = x[i][g][S] + x[i][g][CH];
        let mut y = transitions(&x[i][g], sus, pi[i][g], ch[i], g);
        y[CH] = ch[i] * sus;
        y
    };
    [[cell(0, 0), cell(0, 1)], [cell(1, 0), cell(1, 1)]]
}

/// Day 1: seeds in A, S = (n − A)/n.
fn day1() -> St {
    let mut x = [[[0.0; NC]; 2]; 2];
    x[0][0][A] = 10.0 / 1000.0;
    x[0][0][S] = 990.0 / 1000.0;
    x[0][1][A] = 5.0 / 500.0;
    x[0][1][S] = 495.0 / 500.0;
    x[1][0][S] = 1.0;
    x[1][1][A] = 4.0 / 1000.0;
    x[1][1][S] = 996.0 / 1000.0;
    x
}

/// Observables of day t from the hand states of day t and t−1.
fn observables(x: &St, prev: Option<&St>) -> [[[f64; NO]; 2]; 2] {
    let mut o = [[[0.0; NO]; 2]; 2];
    for (i, row) in o.iter_mut().enumerate() {
        for (g, ob) in row.iter_mut().enumerate() {
            let n = N[i][g];
            ob[NEW_INFECTED] = x[i][g][A] * n * ALPHA[g];
            ob[NEW_HOSPITALIZED] = x[i][g][I] * n * (MU[g] * (1.0 - THETA[g]) * GAMMA[g]);
            ob[NEW_DEATHS] = match prev {
                None => 0.0,
                Some(p) => x[i][g][D] * n - p[i][g][D] * n,
            };
            ob[HOSPITAL_OCCUPANCY] = (x[i][g][HR] + x[i][g][HD]) * n;
        }
    }
    o
}

fn compare_state(label: &str, model_state: &[f64], hand: &St) -> f64 {
    let mut worst: f64 = 0.0;
    for i in 0..2 {
        for g in 0..2 {
            for c in 0..NC {
                let m = model_state[sx(2, i, g, c)];
                let h = hand[i][g][c];
                let e = rel_err(m, h);
                worst = worst.max(e);
                assert!(
                    e <= TOL,
                    "{label}: patch {i}, stratum {g}, {}: model {m:e}, hand {h:e} (rel {e:e})",
                    NAMES[c]
                );
            }
        }
    }
    worst
}

fn compare_obs(label: &str, model_obs: &[f64], hand: &[[[f64; NO]; 2]; 2]) -> f64 {
    let mut worst: f64 = 0.0;
    for i in 0..2 {
        for g in 0..2 {
            for k in 0..NO {
                let m = model_obs[ox(2, i, g, k)];
                let h = hand[i][g][k];
                let e = rel_err(m, h);
                worst = worst.max(e);
                assert!(e <= TOL, "{label}: patch {i}, stratum {g}, observable {k}: model {m:e}, hand {h:e} (rel {e:e})");
            }
        }
    }
    worst
}

fn nonzero(x: &St, c: usize) -> bool {
    x.iter().flatten().any(|cell| cell[c] > 0.0)
}

#[test]
fn days_2_to_4_without_containment() {
    let model = MmcaModel::new(setup(4, vec![])).unwrap();
    assert_eq!(model.network().pop, vec![1000.0, 500.0, 2000.0, 1000.0]);
    let traj = simulate(&model);
    let reg = free_regime();
    let d1 = day1();
    let d2 = step_plain(&d1, &reg);
    let d3 = step_plain(&d2, &reg);
    let d4 = step_plain(&d3, &reg);
    // The hand days exercise the chain: E on day 2, I and R on day 3, HR, HD
    // and D on day 4.
    assert!(
        nonzero(&d2, E)
            && nonzero(&d3, I)
            && nonzero(&d3, PH)
            && nonzero(&d3, PD)
            && nonzero(&d3, R)
    );
    assert!(nonzero(&d4, HR) && nonzero(&d4, HD) && nonzero(&d4, D));
    let mut worst: f64 = 0.0;
    for (day, hand, prev) in [
        (1, &d1, None),
        (2, &d2, Some(&d1)),
        (3, &d3, Some(&d2)),
        (4, &d4, Some(&d3)),
    ] {
        worst = worst.max(compare_state(&format!("day {day}"), traj.state(day), hand));
        worst = worst.max(compare_obs(
            &format!("day {day}"),
            traj.obs(day),
            &observables(hand, prev),
        ));
    }
    eprintln!("no containment: worst relative error {worst:e}");
}

/// Containments on day 2 (κ₀ = 0.5, ϕ = 0.2, δ = 0.3) and day 4 (κ₀ = 0.2,
/// ϕ = 0.5, δ = 0.1). Day 2 is unchanged; the step 2 → 3 uses the confined
/// regime and confines CH; 3 → 4 keeps that regime and CH; 4 → 5 releases
/// CH into S and confines anew under the second regime.
#[test]
fn days_2_to_5_with_containments_on_days_2_and_4() {
    let c2 = containment(0.5, 0.2, 0.3);
    let c4 = containment(0.2, 0.5, 0.1);
    let model = MmcaModel::new(setup(5, vec![(2, c2), (4, c4)])).unwrap();
    let traj = simulate(&model);
    // By hand: k^Y_eff = 3·0.5 + 8·0.7·0.5 = 4.3, k^O_eff = k^O_h = 4;
    // p_eff = (0.25, 0.5).
    let r2 = confined_regime(0.5, 0.3);
    assert_eq!(r2.p, [0.25, 0.5]);
    assert_eq!(r2.n_eff, [[1075.0, 575.0], [1925.0, 925.0]]);

    let d1 = day1();
    let d2 = step_plain(&d1, &free_regime());
    let d3 = step_containment(&d2, &c2);
    let d4 = step_plain(&d3, &r2);
    let d5 = step_containment(&d4, &c4);
    assert!(d3[0][0][CH] > 0.0 && d3[1][1][CH] > 0.0);
    // CH persists on day 4 (no containment on day 3).
    for i in 0..2 {
        for g in 0..2 {
            assert_eq!(d4[i][g][CH], d3[i][g][CH]);
        }
    }
    let mut worst: f64 = 0.0;
    for (day, hand, prev) in [
        (1, &d1, None),
        (2, &d2, Some(&d1)),
        (3, &d3, Some(&d2)),
        (4, &d4, Some(&d3)),
        (5, &d5, Some(&d4)),
    ] {
        worst = worst.max(compare_state(&format!("day {day}"), traj.state(day), hand));
        worst = worst.max(compare_obs(
            &format!("day {day}"),
            traj.obs(day),
            &observables(hand, prev),
        ));
    }
    eprintln!("containments: worst relative error {worst:e}");
}

/// A state with every compartment non-zero (CH included), stepped once by the
/// model directly, so that every term of every transition equation and the
/// release of previously confined households are checked in one step.
fn busy_state() -> St {
    let cell = |v: [f64; NC]| {
        let s: f64 = v.iter().sum();
        v.map(|x| x / s)
    };
    [
        [
            cell([
                0.55, 0.04, 0.03, 0.02, 0.011, 0.007, 0.013, 0.009, 0.2, 0.01, 0.11,
            ]),
            cell([
                0.61, 0.02, 0.015, 0.03, 0.02, 0.012, 0.018, 0.006, 0.15, 0.019, 0.1,
            ]),
        ],
        [
            cell([
                0.7, 0.01, 0.02, 0.01, 0.005, 0.003, 0.004, 0.002, 0.2, 0.001, 0.045,
            ]),
            cell([
                0.5, 0.05, 0.04, 0.06, 0.03, 0.02, 0.025, 0.015, 0.18, 0.03, 0.05,
            ]),
        ],
    ]
}

fn model_step(model: &MmcaModel, day: usize, x: &St) -> Vec<f64> {
    let mut state = vec![0.0; 4 * NC];
    for i in 0..2 {
        for g in 0..2 {
            state[sx(2, i, g, 0)..][..NC].copy_from_slice(&x[i][g]);
        }
    }
    let mut params = model.parameters().values();
    let mut rng = member_rng(1, 0, 0);
    let mut batch = [MemberMut {
        index: 0,
        params: &mut params,
        state: &mut state,
        rng: &mut rng,
    }];
    model.step(day, &mut batch, &mut Scratch::default());
    state
}

#[test]
fn one_step_from_a_busy_state() {
    let x = busy_state();
    // Free regime, no containment on the day: CH stays as it is.
    let model = MmcaModel::new(setup(10, vec![])).unwrap();
    let e1 = compare_state(
        "busy, free",
        &model_step(&model, 3, &x),
        &step_plain(&x, &free_regime()),
    );
    // Containment on day 3: previously confined households return to S, the
    // base includes them, and a new share is confined.
    let c = containment(0.6, 0.25, 0.4);
    let model = MmcaModel::new(setup(10, vec![(3, c)])).unwrap();
    let e2 = compare_state(
        "busy, containment",
        &model_step(&model, 3, &x),
        &step_containment(&x, &c),
    );
    // The day after: the regime of day 3 is still in force, CH persists.
    let e3 = compare_state(
        "busy, day after containment",
        &model_step(&model, 4, &x),
        &step_plain(&x, &confined_regime(0.6, 0.4)),
    );
    eprintln!("busy state: worst relative errors {e1:e}, {e2:e}, {e3:e}");
}
