//! MMCA benchmarks, `harness = false` (no criterion: compile time matters on
//! 2-core CI).
//!
//!     cargo bench -p didymos-epi --bench mmca -- <case>...
//!
//! Cases:
//! - `day52`, `day2850`: one member, one thread, the config's full date range
//!   with its daily κ₀ series, `observe: false`; time per simulated day
//!   (median and min of repeats), plus a breakdown of where a day goes
//!   (`Model::step` with a reused scratch, the regime it rebuilds, the
//!   ensemble's overhead, observe: true) timed the same way. Only public,
//!   stable API is used (the `Model` trait, `MmcaModel::regime`), so that
//!   kernel refactors do not break this file.
//! - `ensemble`: 256 members × 2,850 zones × 100 days on all cores, `beta_i`
//!   drawn from a normal prior, for the model's preferred batch size and for
//!   8/16/32/64 members per batch (repeats interleaved across batch sizes).
//! - `all`: everything (the default).
//!
//! Timings are wall time and on-CPU time (from `/proc/.../schedstat`, which
//! leaves out time spent waiting for a core: on a shared machine it is the
//! steadier of the two). Each case ends with the process's peak
//! resident memory (VmHWM); that is per process, so `bench/run.sh` runs each
//! case in its own process.
//!
//! Environment: `MMCA_BENCH_REPEATS` (day cases, default 7),
//! `MMCA_BENCH_ENSEMBLE_REPEATS` (default 3), `MMCA_BENCH_BATCHES` (e.g.
//! `16,32` or `preferred`: only these batch sizes), `MMCA_BENCH_OBSERVE`
//! (`0`: skip the ensemble run with observe: true, at the first batch size;
//! `only`: run just that one).
//!
//! Lines starting with `RESULT` are `key=value` pairs for scripts.

use std::hint::black_box;
mod support;

use std::path::{Path, PathBuf};
use std::time::Instant;

use didymos_core::rng::member_rng;
use didymos_core::{Ensemble, Located, MemberMut, Model, Prior, RunOptions};
use didymos_epi::episim::{load_episim, EpisimOptions};
use didymos_epi::mmca::MmcaModel;
use support::*;

const ENSEMBLE_MEMBERS: usize = 256;
const ENSEMBLE_DAYS: usize = 100;
const ENSEMBLE_BATCHES: [usize; 4] = [8, 16, 32, 64];
const SEED: u64 = 20261122;
/// Minimum wall time of one day-case sample, seconds: a sample averages as
/// many full-range runs as fit, so that the on-CPU clock (tick resolution)
/// and 52-zone runs of ~3 ms are measured accurately.
const SAMPLE_S: f64 = 0.5;

struct Instance {
    config: PathBuf,
    data: PathBuf,
    /// As shown in the "skipped" message: relative to the repository root.
    shown: &'static str,
}

fn spain() -> Instance {
    let data = repo_root().join("data/spain");
    Instance {
        config: data.join("config.json"),
        data,
        shown: "data/spain",
    }
}

fn mitma() -> Instance {
    let data = repo_root().join("../shared/data/epidemic/mitma_zones");
    Instance {
        config: data.join("config_MMCACovid19.json"),
        data,
        shown: "../shared/data/epidemic/mitma_zones",
    }
}

/// The instance's model, or `None` (with a "skipped" line) when its data
/// folder is absent or does not load.
fn load(inst: &Instance, case: &str) -> Option<MmcaModel> {
    if !inst.config.is_file() {
        println!("{case}: skipped: {} not found", inst.shown);
        return None;
    }
    let t0 = Instant::now();
    let (setup, warnings) = match load_episim(&inst.config, &inst.data, &EpisimOptions::default()) {
        Ok(x) => x,
        Err(e) => {
            println!("{case}: skipped: cannot load {}: {e}", inst.shown);
            return None;
        }
    };
    let load_s = t0.elapsed().as_secs_f64();
    let model = match MmcaModel::new(setup) {
        Ok(m) => m,
        Err(e) => {
            println!("{case}: skipped: invalid model for {}: {e}", inst.shown);
            return None;
        }
    };
    let net = model.network();
    println!(
        "{case}: {} patches, {} strata, {} edges, {} days ({} steps), {} containments, {} warnings, \
         loaded in {load_s:.3} s",
        net.n_patches,
        net.n_strata,
        net.outgoing.nnz(),
        model.calendar().n_days(),
        model.calendar().n_days() - 1,
        model.setup().containments.len(),
        warnings.len()
    );
    Some(model)
}

fn min(xs: &[f64]) -> f64 {
    xs.iter().copied().fold(f64::INFINITY, f64::min)
}

/// On-CPU time of the calling thread, in seconds (NaN if unavailable).
/// The kernel updates it at scheduler ticks, so it is read only around
/// stretches of at least [`SAMPLE_S`] of continuous work.
fn thread_cpu_s() -> f64 {
    schedstat_s(Path::new("/proc/thread-self/schedstat")).unwrap_or(f64::NAN)
}

/// Run `run` (one full-range simulation, returning the simulated steps)
/// repeatedly for at least [`SAMPLE_S`] on the calling thread; wall and
/// on-CPU seconds per simulated day, and the number of runs.
fn sample(run: &mut dyn FnMut() -> usize) -> (f64, f64, usize) {
    let (c0, t0) = (thread_cpu_s(), Instant::now());
    let (mut steps, mut n) = (0usize, 0usize);
    while n == 0 || t0.elapsed().as_secs_f64() < SAMPLE_S {
        steps += run();
        n += 1;
    }
    let (wall, cpu) = (t0.elapsed().as_secs_f64(), thread_cpu_s() - c0);
    (wall / steps as f64, cpu / steps as f64, n)
}

/// A cheap fingerprint of states, to show that results do not depend on
/// batch size or thread count (and to compare builds bit for bit).
fn fingerprint(states: impl Iterator<Item = f64>) -> u64 {
    states.fold(0xcbf2_9ce4_8422_2325u64, |h, x| {
        (h ^ x.to_bits()).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Per-day timings of one variant: wall and on-CPU seconds per day.
#[derive(Default)]
struct PerDay {
    wall: Vec<f64>,
    cpu: Vec<f64>,
}

impl PerDay {
    fn push(&mut self, (wall, cpu, _): (f64, f64, usize)) {
        self.wall.push(wall);
        self.cpu.push(cpu);
    }
    fn report(&self, case: &str, what: &str, extra: &str) {
        let ms = |xs: &[f64]| (median(xs) * 1e3, min(xs) * 1e3);
        let ((wm, wn), (cm, cn)) = (ms(&self.wall), ms(&self.cpu));
        println!(
            "  {what:<28} wall median {wm:>7.4} min {wn:>7.4} | cpu median {cm:>7.4} min {cn:>7.4} ms/day (n={})",
            self.wall.len()
        );
        println!(
            "RESULT case={case} metric={what} median_ms_per_day={wm:.6} min_ms_per_day={wn:.6} \
             cpu_median_ms_per_day={cm:.6} cpu_min_ms_per_day={cn:.6} repeats={}{extra}",
            self.wall.len()
        );
    }
}

/// Single member, single thread: the full date range, repeated. Variants
/// are interleaved within each repeat so that machine noise hits them alike;
/// repeat 0 is a warm-up and is not recorded.
fn bench_day(case: &str, inst: &Instance) {
    let Some(model) = load(inst, case) else {
        return;
    };
    let repeats = env_usize("MMCA_BENCH_REPEATS", 7);
    let n_days = model.calendar().n_days();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool");
    let params = model.parameters().values();
    let mut init = vec![0.0; model.layout().len()];
    model
        .init(&params, &mut init, &mut member_rng(SEED, 0, 2))
        .expect("valid initial state");

    let mut ensemble_step = PerDay::default();
    let mut ensemble_obs = PerDay::default();
    let mut model_step = PerDay::default();
    let mut regime = PerDay::default();
    let mut fp = 0;
    let mut runs_per_sample = 0;
    for rep in 0..=repeats {
        // Repeat 0 is a warm-up. Variants are interleaved within a repeat so
        // that machine noise hits them alike.
        // 1. What a user gets: Ensemble::step, in a one-thread pool.
        for (observe, out) in [(false, &mut ensemble_step), (true, &mut ensemble_obs)] {
            let opts = RunOptions {
                batch_size: Some(1),
                observe,
            };
            let t = pool.install(|| {
                sample(&mut || {
                    let mut ens = Ensemble::with_params(&model, vec![params.clone()], SEED)
                        .expect("valid parameters");
                    while ens.day() < n_days {
                        ens.step(&opts);
                    }
                    if !observe {
                        fp = fingerprint(ens.state(0).iter().copied());
                    }
                    n_days - 1
                })
            });
            runs_per_sample = t.2;
            if rep > 0 {
                out.push(t);
            }
        }

        // 2. Model::step with one reused Scratch (regime + rates + kernel).
        let mut scratch = <MmcaModel as Model>::Scratch::default();
        let t = sample(&mut || {
            let mut state = init.clone();
            let mut p = params.clone();
            let mut rng = member_rng(SEED, 0, 2);
            for d in 1..n_days {
                let mut batch = [MemberMut {
                    index: 0,
                    params: &mut p,
                    state: &mut state,
                    rng: &mut rng,
                }];
                model.step(d, &mut batch, &mut scratch);
            }
            black_box(&state);
            n_days - 1
        });
        if rep > 0 {
            model_step.push(t);
        }

        // 3. The regime alone (Model::step rebuilds it every day).
        let t = sample(&mut || {
            for d in 1..n_days {
                black_box(model.regime(black_box(d)));
            }
            n_days - 1
        });
        if rep > 0 {
            regime.push(t);
        }
    }
    println!(
        "  ({repeats} samples after a warm-up; a sample averages {runs_per_sample} full-range runs)"
    );
    ensemble_step.report(case, "ensemble_step", &format!(" fingerprint={fp:016x}"));
    model_step.report(case, "model_step(reused_scratch)", "");
    regime.report(case, "regime_only", "");
    ensemble_obs.report(case, "ensemble_step(observe=true)", "");
    // Kernel + rates, derived: Model::step minus the regime it rebuilds.
    let derived = |a: &[f64], b: &[f64]| (median(a) - median(b)) * 1e3;
    let (w, c) = (
        derived(&model_step.wall, &regime.wall),
        derived(&model_step.cpu, &regime.cpu),
    );
    println!(
        "  {:<28} wall ~{w:>7.4} | cpu ~{c:>7.4} ms/day (model_step − regime_only, medians)",
        "kernel+rates(derived)"
    );
    println!(
        "RESULT case={case} metric=kernel_rates_derived median_ms_per_day={w:.6} cpu_median_ms_per_day={c:.6}"
    );
}

/// 256 members × 2,850 zones × 100 days on all cores, by batch size.
fn bench_ensemble(case: &str) {
    let inst = mitma();
    let Some(mut model) = load(&inst, case) else {
        return;
    };
    let beta_i = model.setup().epi.beta_i;
    let prior = Prior::Normal {
        mean: beta_i,
        sd: 0.1 * beta_i,
    };
    model
        .parameters_mut()
        .set_prior("beta_i", prior, &Located::default())
        .expect("a valid prior");
    let model = model;
    let repeats = env_usize("MMCA_BENCH_ENSEMBLE_REPEATS", 3);
    let preferred = model.preferred_batch();
    let mut batches = vec![preferred];
    batches.extend(ENSEMBLE_BATCHES.iter().copied().filter(|&b| b != preferred));
    if let Ok(list) = std::env::var("MMCA_BENCH_BATCHES") {
        let only: Vec<usize> = list
            .split(',')
            .filter_map(|x| match x.trim() {
                "preferred" => Some(preferred),
                x => x.parse().ok(),
            })
            .filter(|&b| b > 0)
            .collect();
        if !only.is_empty() {
            batches = only;
        }
    }
    let observe = std::env::var("MMCA_BENCH_OBSERVE").unwrap_or_default();
    let (plain_runs, observe_runs) = match observe.as_str() {
        "0" => (true, false),
        "only" => (false, true),
        _ => (true, true),
    };
    let threads = rayon::current_num_threads();
    println!(
        "{case}: {ENSEMBLE_MEMBERS} members × {} patches × {ENSEMBLE_DAYS} days on {threads} threads, \
         beta_i ~ Normal({beta_i}, {:.6}), preferred batch {preferred}, {repeats} repeats",
        model.network().n_patches,
        0.1 * beta_i
    );
    let to_day = 1 + ENSEMBLE_DAYS;
    assert!(
        to_day <= model.calendar().n_days(),
        "the config's date range is shorter than {ENSEMBLE_DAYS} days"
    );

    // (wall s, on-CPU s of all threads, init wall s, fingerprint)
    let run = |batch: usize, observe: bool| -> (f64, f64, f64, u64) {
        let opts = RunOptions {
            batch_size: Some(batch),
            observe,
        };
        let (c0, t0) = (process_cpu_s(), Instant::now());
        let mut ens = Ensemble::from_priors(&model, ENSEMBLE_MEMBERS, SEED).expect("valid priors");
        let t_init = t0.elapsed().as_secs_f64();
        while ens.day() < to_day {
            ens.step(&opts);
        }
        let (wall, cpu) = (t0.elapsed().as_secs_f64(), process_cpu_s() - c0);
        let fp = fingerprint((0..ens.len()).flat_map(|m| ens.state(m).iter().copied()));
        (wall, cpu, t_init, fp)
    };

    let mut rows: Vec<(usize, bool)> = Vec::new();
    if plain_runs {
        rows.extend(batches.iter().map(|&b| (b, false)));
    }
    if observe_runs {
        rows.push((batches[0], true));
    }
    // Warm-up (thread start, first-touch page faults); not recorded. Note
    // that a process's history matters: glibc raises its mmap threshold
    // after a large block is freed, so after a run with bigger per-step
    // scratch buffers (a larger batch) later runs page-fault less. For
    // figures of a fresh process, run one batch size per process, as
    // `bench/run.sh` does.
    black_box(run(rows[0].0, rows[0].1));
    // Repeats interleaved across batch sizes: noise hits all alike.
    let mut samples: Vec<Vec<(f64, f64, f64, u64)>> = vec![Vec::new(); rows.len()];
    for _ in 0..repeats {
        for (k, &(b, observe)) in rows.iter().enumerate() {
            samples[k].push(run(b, observe));
        }
    }
    let member_days = (ENSEMBLE_MEMBERS * ENSEMBLE_DAYS) as f64;
    let mut prints = Vec::new();
    for (&(b, observe), s) in rows.iter().zip(&samples) {
        let wall: Vec<f64> = s.iter().map(|x| x.0).collect();
        let cpu: Vec<f64> = s.iter().map(|x| x.1).collect();
        let init: Vec<f64> = s.iter().map(|x| x.2).collect();
        let fp = s.last().map_or(0, |x| x.3);
        if !observe {
            prints.push(fp);
        }
        let tag = match (b == preferred, observe) {
            (_, true) => " observe",
            (true, false) => " preferred",
            _ => "",
        };
        println!(
            "  batch {b:>3}{tag:<10} wall median {:>7.3} s min {:>7.3} s | cpu median {:>7.3} s | init {:>5.3} s | \
             {:.4} ms cpu/member-day",
            median(&wall),
            min(&wall),
            median(&cpu),
            median(&init),
            median(&cpu) * 1e3 / member_days
        );
        println!(
            "RESULT case={case} metric={} batch={b} preferred={} median_s={:.6} min_s={:.6} cpu_median_s={:.6} \
             init_s={:.6} threads={threads} repeats={repeats} fingerprint={fp:016x}",
            if observe { "ensemble_total_observe" } else { "ensemble_total" },
            b == preferred,
            median(&wall),
            min(&wall),
            median(&cpu),
            median(&init)
        );
    }
    let same = prints.windows(2).all(|w| w[0] == w[1]);
    println!("  final states bit-identical across batch sizes: {same}");
    println!("RESULT case={case} metric=ensemble_identical_across_batches value={same}");
}

fn print_peak(case: &str) {
    match peak_rss_mib() {
        Some(mib) => {
            println!("{case}: peak resident memory (VmHWM) {mib:.1} MiB");
            println!("RESULT case={case} metric=peak_rss_mib value={mib:.1}");
        }
        None => println!("{case}: peak resident memory unavailable (no /proc/self/status)"),
    }
}

fn main() {
    // `cargo bench` appends `--bench`; flags are ignored, the rest are cases.
    let mut cases: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if cases.is_empty() {
        cases.push("all".into());
    }
    let known = ["day52", "day2850", "ensemble", "all"];
    if let Some(bad) = cases.iter().find(|c| !known.contains(&c.as_str())) {
        eprintln!("unknown case `{bad}`; cases are {}", known.join(", "));
        std::process::exit(2);
    }
    let all = cases.iter().any(|c| c == "all");
    let want = |c: &str| all || cases.iter().any(|x| x == c);
    println!(
        "mmca bench: {} rayon threads available",
        rayon::current_num_threads()
    );
    let mut ran = Vec::new();
    if want("day52") {
        bench_day("day52", &spain());
        ran.push("day52");
    }
    if want("day2850") {
        bench_day("day2850", &mitma());
        ran.push("day2850");
    }
    if want("ensemble") {
        bench_ensemble("ensemble");
        ran.push("ensemble");
    }
    // VmHWM is per process: with several cases it is the peak of them all.
    print_peak(&ran.join("+"));
}
