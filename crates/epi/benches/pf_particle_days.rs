//! Particle filter throughput on the MMCA twins: particle-days per second.
//!
//!     cargo bench -p didymos-epi --bench pf_particle_days -- [spain52] [mitma2850]
//!
//! For each instance, `didymos_assim::ParticleFilter` (the product filter,
//! generic over `Model`) runs 1,000 particles (`PF_PD_N`) over the first
//! 30 days (`PF_PD_DAYS`) of the instance's calendar on all rayon threads
//! (`RAYON_NUM_THREADS`, 2 on the reference machine), with
//! `beta_i ~ Normal(β, 0.1 β)` per particle. The data are synthetic: one
//! run of the model with its default parameters gives each unit's daily new
//! symptomatic infections (strata summed), and each particle is scored on
//! every unit every day with a Gaussian approximation to a Poisson count,
//! log N(y; p, 1 + p). That makes the data model's cost O(units) per
//! particle, like a real per-patch stream, without needing observed data
//! for the 2,850-zone instance.
//!
//! Reported: wall time and on-CPU time (all threads, `/proc/self/task/*/
//! schedstat`) per repeat (median of `PF_PD_REPEATS`, default 3, each
//! including the filter's construction), particle-days per second
//! (N·days / median wall), resampled days and mean ESS, peak RSS.
//!
//! Instances: `spain52` reads `data/spain` (52 provinces, in this
//! repository); `mitma2850` reads EpiSim's MITMA example from
//! `../shared/data/epidemic/mitma_zones` (AGPL: read from there, never
//! copied into this repository) and prints
//! `mitma2850: skipped: ../shared/data/epidemic/mitma_zones not found`
//! when it is absent. Lines starting with `RESULT` are `key=value` pairs.

mod support;

use std::path::Path;
use std::time::Instant;

use didymos_assim::{ParticleFilter, PfOptions};
use didymos_core::{DataModel, Ensemble, Located, Model, Prior, RunOptions};
use didymos_epi::episim::{load_episim, EpisimOptions};
use didymos_epi::mmca::MmcaModel;
use support::*;

const SEED: u64 = 20261122;

/// Per-unit daily counts `y[day − 1][unit]` of observable 0, strata summed.
struct UnitCounts {
    units: usize,
    strata: usize,
    n_observables: usize,
    y: Vec<Vec<f64>>,
}

impl UnitCounts {
    fn unit_totals(&self, row: &[f64], out: &mut Vec<f64>) {
        out.clear();
        let per_unit = self.strata * self.n_observables;
        out.extend((0..self.units).map(|u| {
            (0..self.strata)
                .map(|s| row[u * per_unit + s * self.n_observables])
                .sum::<f64>()
        }));
    }
}

impl DataModel for UnitCounts {
    fn window(&self) -> usize {
        1
    }
    fn has_data(&self, day: usize) -> bool {
        (1..=self.y.len()).contains(&day)
    }
    fn log_lik(&self, day: usize, _params: &[f64], history: &[&[f64]]) -> f64 {
        let row = history[history.len() - 1];
        let per_unit = self.strata * self.n_observables;
        let y = &self.y[day - 1];
        let mut ll = 0.0;
        for (u, &yu) in y.iter().enumerate() {
            let p: f64 = (0..self.strata)
                .map(|s| row[u * per_unit + s * self.n_observables])
                .sum();
            let v = 1.0 + p.max(0.0);
            ll -= 0.5 * ((yu - p) * (yu - p) / v + v.ln());
        }
        ll
    }
    fn observed(&self, day: usize) -> Vec<f64> {
        self.y[day - 1].clone()
    }
    fn predict(&self, _day: usize, _params: &[f64], history: &[&[f64]], out: &mut [f64]) {
        let mut t = Vec::new();
        self.unit_totals(history[history.len() - 1], &mut t);
        out.copy_from_slice(&t);
    }
    fn error_variance(&self, _day: usize, _index: usize, mean: f64) -> f64 {
        1.0 + mean.max(0.0)
    }
}

fn bench(case: &str, config: &Path, data: &Path, shown: &str) {
    if !config.is_file() {
        println!("{case}: skipped: {shown} not found");
        return;
    }
    let t0 = Instant::now();
    let setup = match load_episim(config, data, &EpisimOptions::default()) {
        Ok((s, _)) => s,
        Err(e) => {
            println!("{case}: skipped: cannot load {shown}: {e}");
            return;
        }
    };
    let mut model = match MmcaModel::new(setup) {
        Ok(m) => m,
        Err(e) => {
            println!("{case}: skipped: invalid model for {shown}: {e}");
            return;
        }
    };
    let load_s = t0.elapsed().as_secs_f64();
    let n = env_usize("PF_PD_N", 1000);
    let days = env_usize("PF_PD_DAYS", 30).min(model.calendar().n_days());
    let repeats = env_usize("PF_PD_REPEATS", 3).max(1);
    let layout = model.layout().clone();
    let (units, strata) = (layout.units.len(), layout.strata.len());
    let n_observables = model.observables().len();

    // Synthetic data: one run with the default parameters.
    let truth_params = model.parameters().values();
    let mut truth = Ensemble::with_params(&model, vec![truth_params], SEED ^ 0x7472_7574)
        .expect("a valid truth member");
    let mut y = Vec::with_capacity(days);
    let counts = UnitCounts {
        units,
        strata,
        n_observables,
        y: Vec::new(),
    };
    let mut row = Vec::new();
    counts.unit_totals(truth.observation(0), &mut row);
    y.push(row.clone());
    truth.run_to(days, &RunOptions::default(), |e| {
        counts.unit_totals(e.observation(0), &mut row);
        y.push(row.clone());
    });
    let data = UnitCounts { y, ..counts };

    let beta_i = model.setup().epi.beta_i;
    model
        .parameters_mut()
        .set_prior(
            "beta_i",
            Prior::Normal {
                mean: beta_i,
                sd: 0.1 * beta_i,
            },
            &Located::default(),
        )
        .expect("a valid prior");
    let model = model;
    let threads = rayon::current_num_threads();
    println!(
        "{case}: {units} units × {strata} strata, state {} values/particle, {n} particles × \
         {days} days on {threads} threads, preferred batch {}, {repeats} repeats (loaded in \
         {load_s:.2} s)",
        layout.len(),
        model.preferred_batch()
    );
    let (mut walls, mut cpus) = (Vec::new(), Vec::new());
    let mut summary = String::new();
    for r in 0..repeats {
        let c0 = process_cpu_s();
        let t0 = Instant::now();
        let mut pf = ParticleFilter::new(&model, &data, n, SEED + r as u64, PfOptions::default())
            .expect("a particle filter");
        pf.advance_to(days).expect("no collapse");
        let wall = t0.elapsed().as_secs_f64();
        let cpu = process_cpu_s() - c0;
        let rec = pf.records();
        let resampled = rec.iter().filter(|d| d.resampled).count();
        let mean_ess = rec.iter().map(|d| d.ess).sum::<f64>() / rec.len() as f64;
        println!(
            "{case}: repeat {r}: {wall:.3} s wall, {cpu:.3} s CPU, {:.0} particle-days/s, \
             log-lik {:.2}, resampled {resampled}/{}, mean ESS {mean_ess:.1}",
            (n * days) as f64 / wall,
            pf.log_lik(),
            rec.len()
        );
        summary = format!("resampled={resampled} days_with_data={}", rec.len());
        walls.push(wall);
        cpus.push(cpu);
        drop(pf);
    }
    let wall = median(&walls);
    let cpu = median(&cpus);
    let pd = (n * days) as f64;
    println!(
        "RESULT case={case} units={units} particles={n} days={days} threads={threads} \
         wall_s={wall:.4} cpu_s={cpu:.4} particle_days_per_s={:.1} cpu_us_per_particle_day={:.2} \
         {summary} peak_rss_mib={:.0}",
        pd / wall,
        cpu * 1e6 / pd,
        peak_rss_mib().unwrap_or(f64::NAN)
    );
}

fn main() {
    // `cargo bench` passes `--bench`; other arguments choose cases.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let want = |c: &str| args.is_empty() || args.iter().any(|a| a == c || a == "all");
    let root = repo_root();
    if want("spain52") {
        let d = root.join("data/spain");
        bench("spain52", &d.join("config.json"), &d, "data/spain");
    }
    if want("mitma2850") {
        let d = root.join("../shared/data/epidemic/mitma_zones");
        bench(
            "mitma2850",
            &d.join("config_MMCACovid19.json"),
            &d,
            "../shared/data/epidemic/mitma_zones",
        );
    }
}
