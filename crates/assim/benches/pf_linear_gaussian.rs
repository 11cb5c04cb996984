//! Bootstrap particle filter on the 4-d linear-Gaussian model of the test
//! suite, timed for comparison with the Python `particles` library
//! (`bench/pf/particles_lg.py`, driven by `bench/pf/run.sh`).
//!
//! `cargo bench -p didymos-assim --bench pf_linear_gaussian` (harness = false,
//! no criterion). For each (T, N, threads) it times
//! `ParticleFilter::new(..).advance_to(T)` (construction included: drawing
//! the members' parameters, seeding their streams and the initial states),
//! reports the median wall time of the runs, ns per particle-step
//! (median / (N·T)) and the log-likelihood estimates (one seed per run, so
//! their spread is the Monte-Carlo error).
//!
//! The model is a copy of `tests/common/mod.rs` (bench code cannot import
//! test modules): x₁ ~ N((1,−1,0.5,0), I₄), x_{t+1} = A x_t + ε,
//! A = 0.9·blockdiag(R(π/6), R(π/6)), ε ~ N(0, 0.25 I₄);
//! y_t = C x_t + η, C = [[1,0,0.5,0],[0,0.5,0,1]], η ~ N(0, I₂). The only
//! change is that `step` copies the 4-d state to a stack array instead of a
//! `Vec` (the test version allocates once per member and day, which would
//! be charged to the filter here).
//!
//! It writes (paths relative to the workspace `target/` directory, or
//! `$PF_BENCH_DIR` when set):
//! - `pf_lg_data.csv`: `t,y1,y2`, the simulated series (T_max rows; the
//!   T = 20 runs use its first 20 rows, which equal a 20-day simulation
//!   with the same seed because the draws are sequential);
//! - `pf_lg_rust.csv`: one row per configuration, read by `run.sh`.
//!
//! Environment knobs: `PF_NS` (default `1000,10000,100000`), `PF_TS`
//! (default `20,200`), `PF_THREADS` (default `1,2`), `PF_RUNS` (default 5),
//! `PF_BATCH` (extra batch sizes to time besides the model's default, e.g.
//! `256`; default none), `PF_THRESHOLD` (default 0.5, the `particles`
//! default `ESSrmin`).
//!
//! Process noise uses `MemberRng::normal` (core's ziggurat over the
//! counter-based member stream), and `log_lik` takes ln r once per member;
//! otherwise the model is the test suite's.

use std::fmt::Write as _;
use std::time::Instant;

use didymos_assim::{ParticleFilter, PfOptions};
use didymos_core::{
    Calendar, DataModel, Date, MemberMut, MemberRng, Model, ObservableDef, ParamDef,
    ParameterSpace, Result, RunOptions, StateLayout, Transform,
};
use rand::SeedableRng;

const DATA_SEED: u64 = 20_151_116;
const THETA: f64 = std::f64::consts::PI / 6.0;
const Q_SD: f64 = 0.5;
const M0: [f64; 4] = [1.0, -1.0, 0.5, 0.0];
const C: [[f64; 4]; 2] = [[1.0, 0.0, 0.5, 0.0], [0.0, 0.5, 0.0, 1.0]];
const P_RHO: usize = 0;
const P_OFFSET: usize = 1;
const P_RSD: usize = 2;

type M4 = [[f64; 4]; 4];

fn a_matrix(rho: f64) -> M4 {
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

struct LinGauss {
    layout: StateLayout,
    space: ParameterSpace,
    observables: Vec<ObservableDef>,
    calendar: Calendar,
}

impl LinGauss {
    fn new(t_max: usize) -> Self {
        let s = |x: &str| x.to_string();
        let start = Date::from_ymd(2020, 1, 1).unwrap();
        let space = ParameterSpace::new(vec![
            ParamDef::new("rho", 0.9, (0.0, 1.0)).with_transform(Transform::Logit {
                low: 0.0,
                high: 1.0,
            }),
            ParamDef::new("offset", 0.0, (-10.0, 10.0)),
            ParamDef::new("r_sd", 1.0, (1e-3, 100.0)).with_transform(Transform::Log),
        ]);
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
            calendar: Calendar::new(start, start.add_days(t_max as i32 + 10)).unwrap(),
        }
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
            let mut x = [0.0; 4];
            x.copy_from_slice(m.state);
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

struct LgData {
    y: Vec<[f64; 2]>,
    r_sd: f64,
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
        // ln r once per member (the test model takes it per component).
        let norm = -r.ln() - 0.5 * ln2pi;
        self.y[day - 1]
            .iter()
            .zip(pred.iter())
            .map(|(y, p)| -0.5 * ((y - p) / r).powi(2) + norm)
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

/// y_1..y_n as in `tests/common::simulate` (rho 0.9, offset 0, r_sd 1).
fn simulate(seed: u64, n: usize) -> LgData {
    let (rho, offset, r_sd) = (0.9, 0.0, 1.0);
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

fn env_list(name: &str, default: &str) -> Vec<usize> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_string())
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.trim()
                .parse()
                .unwrap_or_else(|_| panic!("{name}: not a number: {s}"))
        })
        .collect()
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let k = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / k;
    let sd = if xs.len() > 1 {
        (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (k - 1.0)).sqrt()
    } else {
        0.0
    };
    (m, sd)
}

fn main() {
    let ns = env_list("PF_NS", "1000,10000,100000");
    let ts = env_list("PF_TS", "20,200");
    let threads = env_list("PF_THREADS", "1,2");
    let runs = env_list("PF_RUNS", "5")[0].max(1);
    let extra_batches = env_list("PF_BATCH", "");
    let threshold: f64 = std::env::var("PF_THRESHOLD")
        .ok()
        .map(|s| s.parse().expect("PF_THRESHOLD: not a number"))
        .unwrap_or(0.5);
    let out_dir = std::env::var("PF_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    std::fs::create_dir_all(&out_dir).unwrap();

    let t_max = *ts.iter().max().unwrap();
    let model = LinGauss::new(t_max);
    let full = simulate(DATA_SEED, t_max);
    let mut csv = String::from("t,y1,y2\n");
    for (t, y) in full.y.iter().enumerate() {
        writeln!(csv, "{},{:.17e},{:.17e}", t + 1, y[0], y[1]).unwrap();
    }
    std::fs::write(out_dir.join("pf_lg_data.csv"), csv).unwrap();

    // batch sizes: the model's default (None → preferred_batch = 1) first.
    let mut batches: Vec<Option<usize>> = vec![None];
    batches.extend(extra_batches.iter().map(|&b| Some(b)));

    println!(
        "# didymos ParticleFilter, linear-Gaussian 4-d, resample when ESS < {threshold}·N \
         (systematic), {runs} runs per row, seeds 1..={runs}"
    );
    println!(
        "# size_of::<MemberRng>() = {} bytes per member stream",
        std::mem::size_of::<MemberRng>()
    );
    println!(
        "{:>5} {:>7} {:>3} {:>6} {:>11} {:>10} {:>11} {:>8} {:>6}",
        "T", "N", "thr", "batch", "median_s", "ns/pstep", "loglik_mean", "ll_sd", "resamp"
    );
    let mut rows = String::from(
        "impl,T,N,threads,batch,runs,median_s,min_s,ns_per_pstep,loglik_mean,loglik_sd,loglik_runs,resample_threshold,resampled_days\n",
    );
    for &t in &ts {
        let data = LgData {
            y: full.y[..t].to_vec(),
            r_sd: full.r_sd,
        };
        for &n in &ns {
            let mut ll_first_thread: Option<Vec<f64>> = None;
            for &th in &threads {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(th)
                    .build()
                    .unwrap();
                for &batch in &batches {
                    let opts = PfOptions {
                        resample_threshold: threshold,
                        run: RunOptions {
                            batch_size: batch,
                            observe: true,
                        },
                        ..PfOptions::default()
                    };
                    let mut secs = Vec::with_capacity(runs);
                    let mut lls = Vec::with_capacity(runs);
                    let mut resampled = 0usize;
                    for seed in 1..=runs as u64 {
                        let (dt, ll, rs) = pool.install(|| {
                            let t0 = Instant::now();
                            let mut pf =
                                ParticleFilter::new(&model, &data, n, seed, opts.clone()).unwrap();
                            pf.advance_to(t).unwrap();
                            let dt = t0.elapsed().as_secs_f64();
                            let rs = pf.records().iter().filter(|r| r.resampled).count();
                            assert_eq!(pf.records().len(), t);
                            // dropping the filter (freeing N·(several) Vecs)
                            // happens outside the timed region.
                            (dt, pf.log_lik(), rs)
                        });
                        secs.push(dt);
                        lls.push(ll);
                        resampled = rs;
                    }
                    match &ll_first_thread {
                        None => ll_first_thread = Some(lls.clone()),
                        Some(base) => assert!(
                            base.iter()
                                .zip(&lls)
                                .all(|(a, b)| a.to_bits() == b.to_bits()),
                            "log-likelihood differs across thread counts / batch sizes"
                        ),
                    }
                    let med = median(&secs);
                    let min = secs.iter().copied().fold(f64::INFINITY, f64::min);
                    let nsps = med * 1e9 / (n as f64 * t as f64);
                    let (m, sd) = mean_sd(&lls);
                    let bstr = batch.map_or("model".to_string(), |b| b.to_string());
                    println!(
                        "{t:>5} {n:>7} {th:>3} {bstr:>6} {med:>11.5} {nsps:>10.1} {m:>11.4} {sd:>8.4} {resampled:>3}/{t}"
                    );
                    let ll_runs: Vec<String> = lls.iter().map(|x| format!("{x:.6}")).collect();
                    writeln!(
                        rows,
                        "didymos,{t},{n},{th},{bstr},{runs},{med:.6},{min:.6},{nsps:.3},{m:.6},{sd:.6},{},{threshold},{resampled}",
                        ll_runs.join(";")
                    )
                    .unwrap();
                }
            }
        }
    }
    let path = out_dir.join("pf_lg_rust.csv");
    std::fs::write(&path, rows).unwrap();
    eprintln!(
        "wrote {} and {}",
        out_dir.join("pf_lg_data.csv").display(),
        path.display()
    );
}
