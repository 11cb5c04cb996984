//! A 4-dimensional linear-Gaussian state-space model, its data and an exact
//! Kalman filter, shared by the assimilation tests.
//!
//! This follows the layout of pomp's `tests/kalman.R` (4-d state, 2-d
//! observation, rotation-type transition) but pomp's source is not
//! reachable from here, so the matrices are our own, stated explicitly:
//!
//! - x₁ ~ N(m0, P0), m0 = (1, −1, 0.5, 0), P0 = I₄ (day 1 = initial state);
//! - x_{t+1} = A x_t + ε, A = ρ · blockdiag(R(θ), R(θ)), R(θ) the 2-d
//!   rotation by θ = π/6, ρ = 0.9; ε ~ N(0, Q), Q = 0.5² I₄;
//! - y_t = C x_t + b·1 + η, C = [[1, 0, 0.5, 0], [0, 0.5, 0, 1]], η ~ N(0, R),
//!   R = r² I₂, r = 1, offset b = 0 unless a test says otherwise;
//! - data on days 1..=T, T = 20, simulated with a seeded `MemberRng` stream.
//!
//! Parameters (in order): `rho` (A scale), `offset` (b), `r_sd` (r).
#![allow(dead_code)]

use didymos_core::{
    Calendar, DataModel, Date, MemberMut, MemberRng, Model, ObservableDef, ParamDef,
    ParameterSpace, Result, StateLayout, Transform,
};
use rand::SeedableRng;

pub const T: usize = 20;
pub const THETA: f64 = std::f64::consts::PI / 6.0;
pub const Q_SD: f64 = 0.5;
pub const M0: [f64; 4] = [1.0, -1.0, 0.5, 0.0];
pub const C: [[f64; 4]; 2] = [[1.0, 0.0, 0.5, 0.0], [0.0, 0.5, 0.0, 1.0]];
pub const P_RHO: usize = 0;
pub const P_OFFSET: usize = 1;
pub const P_RSD: usize = 2;

pub type M4 = [[f64; 4]; 4];

pub fn a_matrix(rho: f64) -> M4 {
    let (s, c) = THETA.sin_cos();
    let mut a = [[0.0; 4]; 4];
    for b in [0, 2] {
        a[b][b] = rho * c;
        a[b][b + 1] = -rho * s;
        a[b + 1][b] = rho * s;
        a[b + 1][b + 1] = rho * c;
    }
    a
}

pub struct LinGauss {
    layout: StateLayout,
    space: ParameterSpace,
    observables: Vec<ObservableDef>,
    calendar: Calendar,
}

impl LinGauss {
    pub fn new(space: ParameterSpace) -> Self {
        let s = |x: &str| x.to_string();
        let start = Date::from_ymd(2020, 1, 1).unwrap();
        LinGauss {
            layout: StateLayout {
                units: vec![s("all")],
                strata: vec![s("all")],
                variables: vec![s("x1"), s("x2"), s("x3"), s("x4")],
            },
            space,
            observables: ["y1", "y2"]
                .iter()
                .map(|n| ObservableDef {
                    name: s(n),
                    description: s("C x + offset"),
                    is_flow: false,
                })
                .collect(),
            calendar: Calendar::new(start, start.add_days(T as i32 + 10)).unwrap(),
        }
    }

    /// The default parameter space: rho = 0.9, offset = 0, r_sd = 1, no priors.
    pub fn default_space() -> ParameterSpace {
        ParameterSpace::new(vec![
            ParamDef::new("rho", 0.9, (0.0, 1.0)).with_transform(Transform::Logit {
                low: 0.0,
                high: 1.0,
            }),
            ParamDef::new("offset", 0.0, (-10.0, 10.0)),
            ParamDef::new("r_sd", 1.0, (1e-3, 100.0)).with_transform(Transform::Log),
        ])
    }
}

fn normal(rng: &mut MemberRng) -> f64 {
    rng.normal()
}

impl Model for LinGauss {
    type Scratch = ();
    fn layout(&self) -> &StateLayout {
        &self.layout
    }
    fn parameters(&self) -> &ParameterSpace {
        &self.space
    }
    fn observables(&self) -> &[ObservableDef] {
        &self.observables
    }
    fn calendar(&self) -> &Calendar {
        &self.calendar
    }
    fn init(&self, _params: &[f64], state: &mut [f64], rng: &mut MemberRng) -> Result<()> {
        for (x, m) in state.iter_mut().zip(M0) {
            *x = m + normal(rng);
        }
        Ok(())
    }
    fn step(&self, _day: usize, batch: &mut [MemberMut<'_>], _scratch: &mut ()) {
        for m in batch.iter_mut() {
            let a = a_matrix(m.params[P_RHO]);
            let x: Vec<f64> = m.state.to_vec();
            for (i, row) in a.iter().enumerate() {
                let ax: f64 = row.iter().zip(&x).map(|(r, v)| r * v).sum();
                m.state[i] = ax + Q_SD * normal(m.rng);
            }
        }
    }
    fn observe(
        &self,
        _d: usize,
        params: &[f64],
        _p: Option<&[f64]>,
        state: &[f64],
        out: &mut [f64],
    ) {
        for (o, row) in out.iter_mut().zip(C) {
            *o = row.iter().zip(state).map(|(c, x)| c * x).sum::<f64>() + params[P_OFFSET];
        }
    }
}

/// Observations y_1..y_T with Gaussian noise; `r_sd` in `error_variance`
/// is the known (true) noise level, `log_lik` uses the member's `r_sd`.
pub struct LgData {
    pub y: Vec<[f64; 2]>,
    pub r_sd: f64,
}

impl DataModel for LgData {
    fn window(&self) -> usize {
        1
    }
    fn has_data(&self, day: usize) -> bool {
        (1..=self.y.len()).contains(&day)
    }
    fn log_lik(&self, day: usize, params: &[f64], history: &[&[f64]]) -> f64 {
        let pred = history.last().unwrap();
        let r = params[P_RSD];
        let ln2pi = (2.0 * std::f64::consts::PI).ln();
        self.y[day - 1]
            .iter()
            .zip(pred.iter())
            .map(|(y, p)| -0.5 * ((y - p) / r).powi(2) - r.ln() - 0.5 * ln2pi)
            .sum()
    }
    fn observed(&self, day: usize) -> Vec<f64> {
        self.y[day - 1].to_vec()
    }
    fn predict(&self, _day: usize, _params: &[f64], history: &[&[f64]], out: &mut [f64]) {
        out.copy_from_slice(history.last().unwrap());
    }
    fn error_variance(&self, _day: usize, _i: usize, _mean: f64) -> f64 {
        self.r_sd * self.r_sd
    }
}

/// Simulate y_1..y_n from the model with parameters (rho, offset, r_sd).
pub fn simulate(seed: u64, n: usize, rho: f64, offset: f64, r_sd: f64) -> LgData {
    let mut rng = MemberRng::seed_from_u64(seed);
    let a = a_matrix(rho);
    let mut x: Vec<f64> = M0.iter().map(|m| m + normal(&mut rng)).collect();
    let mut y = Vec::with_capacity(n);
    for t in 0..n {
        if t > 0 {
            x = a
                .iter()
                .map(|row| {
                    row.iter().zip(&x).map(|(r, v)| r * v).sum::<f64>() + Q_SD * normal(&mut rng)
                })
                .collect();
        }
        let mut yt = [0.0; 2];
        for (o, row) in yt.iter_mut().zip(C) {
            *o = row.iter().zip(&x).map(|(c, v)| c * v).sum::<f64>()
                + offset
                + r_sd * normal(&mut rng);
        }
        y.push(yt);
    }
    LgData { y, r_sd }
}

/// Exact Kalman filter: total log-likelihood and the filtered means and
/// covariances on each day.
pub struct KalmanOut {
    pub log_lik: f64,
    pub means: Vec<[f64; 4]>,
    pub covs: Vec<M4>,
}

fn mat_mul(a: &M4, b: &M4) -> M4 {
    let mut c = [[0.0; 4]; 4];
    for i in 0..4 {
        for j in 0..4 {
            c[i][j] = (0..4).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    c
}

fn transpose(a: &M4) -> M4 {
    let mut t = [[0.0; 4]; 4];
    for i in 0..4 {
        for j in 0..4 {
            t[i][j] = a[j][i];
        }
    }
    t
}

pub fn kalman(data: &LgData, rho: f64, offset: f64, r_sd: f64) -> KalmanOut {
    let a = a_matrix(rho);
    let mut m = M0;
    let mut p: M4 = [[0.0; 4]; 4];
    (0..4).for_each(|i| p[i][i] = 1.0);
    let ln2pi = (2.0 * std::f64::consts::PI).ln();
    let mut out = KalmanOut {
        log_lik: 0.0,
        means: Vec::new(),
        covs: Vec::new(),
    };
    for (t, y) in data.y.iter().enumerate() {
        if t > 0 {
            let mut am = [0.0; 4];
            for (i, row) in a.iter().enumerate() {
                am[i] = (0..4).map(|k| row[k] * m[k]).sum();
            }
            m = am;
            p = mat_mul(&mat_mul(&a, &p), &transpose(&a));
            (0..4).for_each(|i| p[i][i] += Q_SD * Q_SD);
        }
        // PCᵀ (4×2), S = C P Cᵀ + R (2×2).
        let mut pct = [[0.0; 2]; 4];
        for i in 0..4 {
            for j in 0..2 {
                pct[i][j] = (0..4).map(|k| p[i][k] * C[j][k]).sum();
            }
        }
        let mut s = [[0.0; 2]; 2];
        for i in 0..2 {
            for j in 0..2 {
                s[i][j] = (0..4).map(|k| C[i][k] * pct[k][j]).sum();
            }
            s[i][i] += r_sd * r_sd;
        }
        let det = s[0][0] * s[1][1] - s[0][1] * s[1][0];
        let si = [
            [s[1][1] / det, -s[0][1] / det],
            [-s[1][0] / det, s[0][0] / det],
        ];
        let v: Vec<f64> = (0..2)
            .map(|i| y[i] - (0..4).map(|k| C[i][k] * m[k]).sum::<f64>() - offset)
            .collect();
        let quad: f64 = (0..2)
            .map(|i| (0..2).map(|j| v[i] * si[i][j] * v[j]).sum::<f64>())
            .sum();
        out.log_lik += -0.5 * (2.0 * ln2pi + det.ln() + quad);
        // K = P Cᵀ S⁻¹; m += K v; P -= K C P.
        let mut k = [[0.0; 2]; 4];
        for i in 0..4 {
            for j in 0..2 {
                k[i][j] = (0..2).map(|l| pct[i][l] * si[l][j]).sum();
            }
        }
        for i in 0..4 {
            m[i] += k[i][0] * v[0] + k[i][1] * v[1];
        }
        let mut np = p;
        for i in 0..4 {
            for j in 0..4 {
                np[i][j] -= (0..2).map(|l| k[i][l] * pct[j][l]).sum::<f64>();
            }
        }
        p = np;
        out.means.push(m);
        out.covs.push(p);
    }
    out
}

/// Exact posterior mean and sd of the offset b under `prior` (rho = 0.9,
/// r_sd = 1 known): prior × Kalman likelihood on a grid over [−3, 5].
pub fn offset_posterior(data: &LgData, prior: &didymos_core::Prior) -> (f64, f64) {
    let grid: Vec<(f64, f64)> = (0..=800)
        .map(|i| -3.0 + 0.01 * i as f64)
        .map(|b| (b, prior.ln_pdf(b) + kalman(data, 0.9, b, 1.0).log_lik))
        .collect();
    let mx = grid.iter().map(|g| g.1).fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = grid.iter().map(|g| (g.1 - mx).exp()).collect();
    let z: f64 = w.iter().sum();
    let mean = grid.iter().zip(&w).map(|(g, w)| g.0 * w).sum::<f64>() / z;
    let var = grid
        .iter()
        .zip(&w)
        .map(|(g, w)| (g.0 - mean).powi(2) * w)
        .sum::<f64>()
        / z;
    (mean, var.sqrt())
}
