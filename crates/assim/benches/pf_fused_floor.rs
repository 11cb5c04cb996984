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

mod floor_driver;

use didymos_core::MemberRng;

const Q_SD: f64 = 0.5;
const M0: [f64; 4] = [1.0, -1.0, 0.5, 0.0];
const LN_2PI: f64 = 1.837_877_066_409_345_5;

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
        let (cond, resampled) =
            floor_driver::weigh(&mut lw, mx, &mut w, &mut anc, || resampler.uniform());
        ll += cond;
        if resampled {
            for (d, &i) in spare.iter_mut().zip(&anc) {
                *d = x[i];
            }
            std::mem::swap(&mut x, &mut spare);
        }
    }
    ll
}

fn main() {
    floor_driver::time_table("fused single-threaded bound", 1, run);
}
