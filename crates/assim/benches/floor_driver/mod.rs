//! What the two hand-written bounds (`pf_fused_floor`, `pf_lanes_floor`)
//! share: the data file written by `pf_linear_gaussian`, the knobs, and the
//! timing table.

use std::time::Instant;

/// The simulated series `t,y1,y2` (header skipped).
pub fn read_data(path: &std::path::Path) -> Vec<[f64; 2]> {
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

/// Reads `PF_NS`, `PF_RUNS`, `PF_BENCH_DIR`, `PF_SKIP_DRAWS`, then times
/// `run(data[..T], N, seed, draws)` (returning the log-likelihood) for
/// T = 20, 200 and every N, printing the median ns per particle-step and
/// the mean log-likelihood. `title` names the bound.
pub fn time_table(
    title: &str,
    n_multiple: usize,
    run: impl Fn(&[[f64; 2]], usize, u64, bool) -> f64,
) {
    let ns: Vec<usize> = std::env::var("PF_NS")
        .unwrap_or_else(|_| "1000,10000,100000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("PF_NS: numbers"))
        .collect();
    assert!(
        ns.iter().all(|n| n % n_multiple == 0),
        "PF_NS: multiples of {n_multiple}"
    );
    let runs: u64 = std::env::var("PF_RUNS").map_or(3, |s| s.parse().expect("PF_RUNS"));
    let dir = std::env::var("PF_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let data = read_data(&dir.join("pf_lg_data.csv"));
    let draws = std::env::var("PF_SKIP_DRAWS").map_or(true, |v| v != "1");
    println!(
        "# {title}, {runs} runs per row (median){}",
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

/// One day's weighting, given the log-weights with today's likelihood added
/// and their maximum `mx`: returns the conditional log-likelihood, and
/// `true` with `anc` filled (systematic, uniform `u()`) and the log-weights
/// reset when ESS < N/2; otherwise the log-weights are renormalised.
pub fn weigh(
    lw: &mut [f64],
    mx: f64,
    w: &mut [f64],
    anc: &mut [usize],
    u: impl FnOnce() -> f64,
) -> (f64, bool) {
    let n = lw.len();
    let nf = n as f64;
    let (mut sum, mut sum2) = ([0.0; 4], [0.0; 4]);
    let mut wc = w.chunks_exact_mut(4);
    for (wc, lc) in (&mut wc).zip(lw.chunks_exact(4)) {
        for k in 0..4 {
            wc[k] = didymos_core::math::exp(lc[k] - mx);
            sum[k] += wc[k];
            sum2[k] += wc[k] * wc[k];
        }
    }
    let tail = n - wc.into_remainder().len();
    for (wi, l) in w[tail..].iter_mut().zip(&lw[tail..]) {
        *wi = didymos_core::math::exp(l - mx);
        sum[0] += *wi;
        sum2[0] += *wi * *wi;
    }
    let sum = (sum[0] + sum[1]) + (sum[2] + sum[3]);
    let sum2 = (sum2[0] + sum2[1]) + (sum2[2] + sum2[3]);
    let cond = mx + sum.ln() - nf.ln();
    if sum * sum / sum2 >= 0.5 * nf {
        lw.iter_mut().for_each(|l| *l -= cond);
        return (cond, false);
    }
    let u = u();
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
    lw.iter_mut().for_each(|l| *l = 0.0);
    (cond, true)
}
