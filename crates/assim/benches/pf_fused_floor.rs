//! A bound, not a product: the bootstrap filter on the 4-d linear-Gaussian
//! model of `pf_linear_gaussian`, written as one fused single-threaded loop
//! over flat arrays (no `Model`/`DataModel` calls, no history, no tasks),
//! with the same member streams (`MemberRng`) and ziggurat draws, the same
//! systematic resampling rule (ESS < N/2) and the same data file. It tells
//! how far a leaner generic path could go on this machine before the
//! Gaussian draws and weights themselves would have to be vectorised.
//!
//! `cargo bench -p didymos-assim --bench pf_fused_floor` after
//! `bench/pf/run.sh` (or the `pf_linear_gaussian` bench) has written
//! `target/pf_lg_data.csv`. Knobs: `PF_NS` (default `1000,10000,100000`),
//! `PF_RUNS` (default 3), `PF_BENCH_DIR` (where the data file is),
//! `PF_SKIP_DRAWS=1` (no process noise: what everything but the Gaussian
//! draws costs; the log-likelihood is then not the model's).

use std::time::Instant;

use didymos_core::MemberRng;

const Q_SD: f64 = 0.5;
const M0: [f64; 4] = [1.0, -1.0, 0.5, 0.0];
const LN_2PI: f64 = 1.837_877_066_409_345_5;

fn read_data(path: &std::path::Path) -> Vec<[f64; 2]> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e} (run bench/pf/run.sh first)", path.display()));
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<f64> = l.split(',').skip(1).map(|x| x.parse().unwrap()).collect();
            [f[0], f[1]]
        })
        .collect()
}

/// One filter pass; returns the log-likelihood estimate.
fn run(y: &[[f64; 2]], n: usize, seed: u64, draws: bool) -> f64 {
    let q = if draws { Q_SD } else { 0.0 };
    let noise = |r: &mut MemberRng| if draws { q * r.normal() } else { 0.0 };
    let th = std::f64::consts::PI / 6.0;
    let (s, c) = th.sin_cos();
    let (a, b) = (0.9 * c, 0.9 * s);
    let mut rngs: Vec<MemberRng> = (0..n).map(|m| MemberRng::new(seed, m as u64)).collect();
    let mut x = vec![[0.0f64; 4]; n];
    let mut spare = vec![[0.0f64; 4]; n];
    let (mut lw, mut w, mut anc) = (vec![0.0f64; n], vec![0.0f64; n], vec![0usize; n]);
    for (xi, r) in x.iter_mut().zip(rngs.iter_mut()) {
        for (v, m) in xi.iter_mut().zip(M0) {
            *v = m + r.normal();
        }
    }
    let mut resampler = MemberRng::new(seed, u64::MAX);
    let nf = n as f64;
    let mut ll = 0.0;
    for (day, yt) in y.iter().enumerate() {
        if day > 0 {
            for (xi, r) in x.iter_mut().zip(rngs.iter_mut()) {
                let p = *xi;
                xi[0] = a * p[0] - b * p[1] + noise(r);
                xi[1] = b * p[0] + a * p[1] + noise(r);
                xi[2] = a * p[2] - b * p[3] + noise(r);
                xi[3] = b * p[2] + a * p[3] + noise(r);
            }
        }
        let mut mx = f64::NEG_INFINITY;
        for (xi, l) in x.iter().zip(lw.iter_mut()) {
            let (o1, o2) = (xi[0] + 0.5 * xi[2], 0.5 * xi[1] + xi[3]);
            *l += -0.5 * ((yt[0] - o1).powi(2) + (yt[1] - o2).powi(2)) - LN_2PI;
            mx = mx.max(*l);
        }
        let (mut sum, mut sum2) = (0.0, 0.0);
        for (wi, l) in w.iter_mut().zip(&lw) {
            *wi = didymos_core::math::exp(l - mx);
            sum += *wi;
            sum2 += *wi * *wi;
        }
        let cond = mx + sum.ln() - nf.ln();
        ll += cond;
        if sum * sum / sum2 < 0.5 * nf {
            let u = resampler.uniform();
            let scale = nf / sum;
            let (mut cum, mut j) = (0.0, 0usize);
            for (i, wi) in w.iter().enumerate() {
                cum += wi * scale;
                let end = didymos_assim::stats::offspring_end(cum, 1.0, u, n);
                while j < end {
                    anc[j] = i;
                    j += 1;
                }
            }
            anc[j..].iter_mut().for_each(|a| *a = n - 1);
            for (d, &i) in spare.iter_mut().zip(&anc) {
                *d = x[i];
            }
            std::mem::swap(&mut x, &mut spare);
            lw.iter_mut().for_each(|l| *l = 0.0);
        } else {
            lw.iter_mut().for_each(|l| *l -= cond);
        }
    }
    ll
}

fn main() {
    let ns: Vec<usize> = std::env::var("PF_NS")
        .unwrap_or_else(|_| "1000,10000,100000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("PF_NS: numbers"))
        .collect();
    let runs: u64 = std::env::var("PF_RUNS").map_or(3, |s| s.parse().expect("PF_RUNS"));
    let dir = std::env::var("PF_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let data = read_data(&dir.join("pf_lg_data.csv"));
    let draws = std::env::var("PF_SKIP_DRAWS").map_or(true, |v| v != "1");
    println!(
        "# fused single-threaded bound, {runs} runs per row (median){}",
        if draws { "" } else { ", no Gaussian draws" }
    );
    println!(
        "{:>5} {:>7} {:>10} {:>12}",
        "T", "N", "ns/pstep", "loglik_mean"
    );
    for t in [20, 200].into_iter().filter(|&t| t <= data.len()) {
        for &n in &ns {
            let mut secs = Vec::new();
            let mut lls = Vec::new();
            for seed in 1..=runs {
                let t0 = Instant::now();
                lls.push(run(&data[..t], n, seed, draws));
                secs.push(t0.elapsed().as_secs_f64());
            }
            secs.sort_by(f64::total_cmp);
            let med = secs[secs.len() / 2];
            let mean = lls.iter().sum::<f64>() / lls.len() as f64;
            println!(
                "{t:>5} {n:>7} {:>10.1} {mean:>12.3}",
                med * 1e9 / (n * t) as f64
            );
        }
    }
}
