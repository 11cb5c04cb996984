//! Block particle filter on K independent copies of the 4-d linear-Gaussian
//! model of `common`: each copy is one block, so the exact log-likelihood
//! is the sum of K Kalman filters, and the bootstrap filter over whole
//! members degenerates as K grows while the block filter does not.
// A block owning one range of values is the usual case, not a mistake.
#![allow(clippy::single_range_in_vec_init)]

mod common;

use std::sync::Arc;

use common::{a_matrix, kalman, simulate, LgData, LinGauss, C, M0, P_RHO, Q_SD, T};
use didymos_assim::{Block, Blocks, ParticleFilter, PfOptions};
use didymos_core::{
    Calendar, DataModel, Date, MemberMut, MemberRng, Model, ObservableDef, ParameterSpace, Result,
    StateLayout,
};

/// K independent copies of the 4-d model; unit k's state is x[4k..4k+4],
/// its observables y[2k..2k+2]. Parameters (shared): rho, offset, r_sd.
struct Copies {
    layout: StateLayout,
    space: ParameterSpace,
    observables: Vec<ObservableDef>,
    calendar: Calendar,
}

impl Copies {
    fn new(k: usize) -> Self {
        let s = |x: &str| x.to_string();
        let start = Date::from_ymd(2020, 1, 1).unwrap();
        Copies {
            layout: StateLayout {
                units: (0..k).map(|u| format!("u{u}")).collect(),
                strata: vec![s("all")],
                variables: vec![s("x1"), s("x2"), s("x3"), s("x4")],
            },
            space: LinGauss::default_space(),
            observables: ["y1", "y2"]
                .iter()
                .map(|n| ObservableDef {
                    name: s(n),
                    description: s("C x"),
                    is_flow: false,
                })
                .collect(),
            calendar: Calendar::new(start, start.add_days(T as i32 + 10)).unwrap(),
        }
    }
    fn k(&self) -> usize {
        self.layout.units.len()
    }
}

impl Model for Copies {
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
        for x in state.chunks_exact_mut(4) {
            for (v, m) in x.iter_mut().zip(M0) {
                *v = m + rng.normal();
            }
        }
        Ok(())
    }
    fn step(&self, _day: usize, batch: &mut [MemberMut<'_>], _scratch: &mut ()) {
        for m in batch.iter_mut() {
            let a = a_matrix(m.params[P_RHO]);
            for x in m.state.chunks_exact_mut(4) {
                let old = [x[0], x[1], x[2], x[3]];
                for (i, row) in a.iter().enumerate() {
                    let ax: f64 = row.iter().zip(&old).map(|(r, v)| r * v).sum();
                    x[i] = ax + Q_SD * m.rng.normal();
                }
            }
        }
    }
    fn observe(
        &self,
        _d: usize,
        _p: &[f64],
        _prev: Option<&[f64]>,
        state: &[f64],
        out: &mut [f64],
    ) {
        for (o, x) in out.chunks_exact_mut(2).zip(state.chunks_exact(4)) {
            for (v, row) in o.iter_mut().zip(C) {
                *v = row.iter().zip(x).map(|(c, s)| c * s).sum::<f64>();
            }
        }
    }
}

/// Unit k observes `series[k]` (r = 1); observation order is unit-major.
struct CopiesData {
    series: Vec<LgData>,
}

impl DataModel for CopiesData {
    fn window(&self) -> usize {
        1
    }
    fn has_data(&self, day: usize) -> bool {
        (1..=T).contains(&day)
    }
    fn log_lik(&self, day: usize, params: &[f64], history: &[&[f64]]) -> f64 {
        self.log_lik_terms(day, params, history)
            .unwrap()
            .iter()
            .sum()
    }
    fn log_lik_terms(&self, day: usize, _p: &[f64], history: &[&[f64]]) -> Option<Vec<f64>> {
        let pred = history.last().unwrap();
        let ln2pi = (2.0 * std::f64::consts::PI).ln();
        Some(
            self.observed(day)
                .iter()
                .zip(pred.iter())
                .map(|(y, p)| -0.5 * (y - p).powi(2) - 0.5 * ln2pi)
                .collect(),
        )
    }
    fn observed(&self, day: usize) -> Vec<f64> {
        self.series.iter().flat_map(|s| s.y[day - 1]).collect()
    }
    fn predict(&self, _day: usize, _p: &[f64], history: &[&[f64]], out: &mut [f64]) {
        out.copy_from_slice(history.last().unwrap());
    }
    fn error_variance(&self, _day: usize, _i: usize, _mean: f64) -> f64 {
        1.0
    }
}

fn setup(k: usize) -> (Copies, CopiesData, f64) {
    let series: Vec<LgData> = (0..k)
        .map(|u| simulate(500 + u as u64, T, 0.9, 0.0, 1.0))
        .collect();
    let exact = series
        .iter()
        .map(|s| kalman(s, 0.9, 0.0, 1.0).log_lik)
        .sum();
    (Copies::new(k), CopiesData { series }, exact)
}

/// One block per copy: its state, its observables, its two observations.
fn blocks(model: &Copies) -> Arc<Blocks> {
    blocks_observed(model, 2)
}

/// One block per copy, with `per_copy` observations each.
fn blocks_observed(model: &Copies, per_copy: usize) -> Arc<Blocks> {
    let parts = (0..model.k())
        .map(|u| Block {
            name: format!("u{u}"),
            params: vec![],
            states: vec![4 * u..4 * u + 4],
            observables: vec![2 * u..2 * u + 2],
        })
        .collect();
    Arc::new(Blocks::new(model, parts, Arc::new(move |_day, j| Some(j / per_copy))).unwrap())
}

fn block_opts(model: &Copies) -> PfOptions {
    PfOptions {
        blocks: Some(blocks(model)),
        ..PfOptions::default()
    }
}

fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, v.sqrt())
}

#[test]
fn independent_blocks_give_the_sum_of_the_exact_log_likelihoods() {
    let (model, data, exact) = setup(6);
    let lls: Vec<f64> = (1..=16)
        .map(|seed| {
            let mut pf =
                ParticleFilter::new(&model, &data, 1000, seed, block_opts(&model)).unwrap();
            pf.advance_to(T).unwrap();
            assert!(pf.records().iter().all(|r| r.resampled));
            pf.log_lik()
        })
        .collect();
    let (m, sd) = mean_sd(&lls);
    let se = sd / (lls.len() as f64).sqrt();
    // The log of an unbiased likelihood estimate is biased down by about
    // half its variance; allow that on top of 3 standard errors.
    let tol = 3.0 * se + 0.5 * sd * sd;
    assert!(
        (m - exact).abs() <= tol,
        "block PF mean log-lik {m:.3} (sd {sd:.3}) vs exact {exact:.3}, tol {tol:.3}"
    );
}

#[test]
fn block_filter_keeps_its_particles_where_the_whole_member_filter_collapses() {
    let (model, data, exact) = setup(40);
    let n = 500;
    let mut whole = ParticleFilter::new(&model, &data, n, 3, PfOptions::default()).unwrap();
    whole.advance_to(T).unwrap();
    let mut block = ParticleFilter::new(&model, &data, n, 3, block_opts(&model)).unwrap();
    block.advance_to(T).unwrap();
    let median_ess = |pf: &ParticleFilter<'_, Copies, CopiesData>| {
        let mut e: Vec<f64> = pf.records().iter().map(|r| r.ess).collect();
        e.sort_by(f64::total_cmp);
        e[e.len() / 2]
    };
    // Whole members: 80 observations a day, one member takes the weight.
    assert!(
        median_ess(&whole) < 5.0,
        "whole-member ESS {}",
        median_ess(&whole)
    );
    // Blocks: even the smallest of the 40 blocks' ESS (what a record
    // keeps) stays a fair share of n.
    assert!(
        median_ess(&block) > 0.05 * n as f64,
        "block ESS {}",
        median_ess(&block)
    );
    // The block filter's estimate is near the exact value (its log is
    // biased down by about half its variance, ~0.1 a block here, and has
    // an sd of about 2.5); the whole-member one is hundreds below it.
    let err_block = (block.log_lik() - exact).abs();
    let err_whole = (whole.log_lik() - exact).abs();
    assert!(
        err_block < 20.0,
        "block {:.2} vs exact {exact:.2}",
        block.log_lik()
    );
    assert!(
        err_whole > 20.0 * err_block.max(1.0),
        "whole {:.2}",
        whole.log_lik()
    );

    // Each difference, in units of the Kalman posterior sd, is Monte-Carlo
    // error: its RMS over the 160 components is about 1/√ESS (0.13 for a
    // plain filter of 500 particles on each copy alone, resampling daily).
    let rms_z = |pf: &ParticleFilter<'_, Copies, CopiesData>| {
        let mean = pf.state_mean();
        let mut z2 = Vec::new();
        for (u, s) in data.series.iter().enumerate() {
            let k = kalman(s, 0.9, 0.0, 1.0);
            let (m, p) = (k.means.last().unwrap(), k.covs.last().unwrap());
            z2.extend((0..4).map(|i| (mean[4 * u + i] - m[i]).powi(2) / p[i][i]));
        }
        (z2.iter().sum::<f64>() / z2.len() as f64).sqrt()
    };
    let (rms, rms_whole) = (rms_z(&block), rms_z(&whole));
    assert!(
        rms < 0.25,
        "RMS of (filtered mean − Kalman) / sd = {rms:.3}"
    );
    assert!(rms_whole > 3.0 * rms, "whole-member RMS {rms_whole:.3}");
}

#[test]
fn block_filter_is_bit_identical_across_threads_and_batches() {
    let (model, data, _) = setup(5);
    let run = |threads: usize, batch: Option<usize>| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut opts = block_opts(&model);
            opts.run.batch_size = batch;
            // 1,500 members: the block gather runs in several pieces.
            let mut pf = ParticleFilter::new(&model, &data, 1500, 11, opts).unwrap();
            pf.advance_to(T).unwrap();
            let states: Vec<u64> = pf
                .ensemble()
                .flat_states()
                .iter()
                .map(|x| x.to_bits())
                .collect();
            (pf.log_lik().to_bits(), states)
        })
    };
    let a = run(1, None);
    assert_eq!(a, run(2, None));
    assert_eq!(a, run(2, Some(7)));
}

#[test]
fn bad_blocks_are_refused_with_a_reason() {
    let model = Copies::new(2);
    let overlap = vec![
        Block {
            name: "a".into(),
            states: vec![0..5],
            ..Block::default()
        },
        Block {
            name: "b".into(),
            states: vec![4..8],
            ..Block::default()
        },
    ];
    let e = Blocks::new(&model, overlap, Arc::new(|_, j| Some(j / 2))).unwrap_err();
    assert!(e.to_string().contains("both claim column 4"), "{e}");

    // An observation in no block stops the filter with its description.
    let (model, data, _) = setup(2);
    let parts = vec![Block {
        name: "u0".into(),
        states: vec![0..4],
        observables: vec![0..2],
        ..Block::default()
    }];
    let only_first = Blocks::new(&model, parts, Arc::new(|_, j| (j < 2).then_some(0))).unwrap();
    let opts = PfOptions {
        blocks: Some(Arc::new(only_first)),
        ..PfOptions::default()
    };
    let mut pf = ParticleFilter::new(&model, &data, 50, 1, opts).unwrap();
    let e = pf.advance_to(3).unwrap_err().to_string();
    assert!(e.contains("observation 2 belongs to no block"), "{e}");
    assert!(e.contains("2020-01-01"), "{e}");
}

#[test]
fn a_block_no_member_explains_is_named() {
    let (model, mut data, _) = setup(3);
    data.series[1].y[4][0] = f64::INFINITY; // day 5, copy 1: impossible
    let mut pf = ParticleFilter::new(&model, &data, 100, 2, block_opts(&model)).unwrap();
    let e = pf.advance_to(T).unwrap_err().to_string();
    assert!(e.contains("block `u1`"), "{e}");
    assert!(e.contains("day 5"), "{e}");
    assert!(e.contains("observation 2"), "{e}");
}

/// Each copy's first observable only, read from whole rows (`narrow`
/// false) or from rows that keep just those columns (`narrow` true, by
/// `history_columns`).
struct FirstOnly<'a> {
    series: &'a [LgData],
    columns: Option<Vec<usize>>,
}

impl DataModel for FirstOnly<'_> {
    fn window(&self) -> usize {
        2
    }
    fn has_data(&self, day: usize) -> bool {
        (1..=T).contains(&day)
    }
    fn log_lik(&self, day: usize, p: &[f64], history: &[&[f64]]) -> f64 {
        self.log_lik_terms(day, p, history).unwrap().iter().sum()
    }
    fn log_lik_terms(&self, day: usize, _p: &[f64], history: &[&[f64]]) -> Option<Vec<f64>> {
        let step = if self.columns.is_some() { 1 } else { 2 };
        // Today's value plus a tenth of yesterday's: the window is read.
        let at = |k: usize| {
            let last = history.last().unwrap()[step * k];
            let before = history.first().unwrap()[step * k];
            last + 0.1 * before
        };
        Some(
            self.observed(day)
                .iter()
                .enumerate()
                .map(|(k, y)| -0.5 * (y - at(k)).powi(2))
                .collect(),
        )
    }
    fn observed(&self, day: usize) -> Vec<f64> {
        self.series.iter().map(|s| s.y[day - 1][0]).collect()
    }
    fn predict(&self, _day: usize, _p: &[f64], _h: &[&[f64]], _out: &mut [f64]) {
        unreachable!("particle filters do not predict")
    }
    fn error_variance(&self, _day: usize, _i: usize, _mean: f64) -> f64 {
        1.0
    }
    fn history_columns(&self) -> Option<&[usize]> {
        self.columns.as_deref()
    }
}

#[test]
fn histories_keep_only_the_columns_the_data_model_reads() {
    let (model, data, _) = setup(5);
    let one_per_copy = PfOptions {
        blocks: Some(blocks_observed(&model, 1)),
        ..PfOptions::default()
    };
    for opts in [one_per_copy, PfOptions::default()] {
        let run = |columns: Option<Vec<usize>>| {
            let d = FirstOnly {
                series: &data.series,
                columns,
            };
            let mut pf = ParticleFilter::new(&model, &d, 300, 9, opts.clone()).unwrap();
            pf.advance_to(T).unwrap();
            let width = pf.history().n_obs();
            let rows: Vec<f64> = pf.history().rows(17).concat();
            (
                pf.log_lik(),
                pf.ensemble().flat_states().to_vec(),
                width,
                rows,
            )
        };
        let whole = run(None);
        let narrow = run(Some((0..5).map(|k| 2 * k).collect()));
        assert_eq!((whole.2, narrow.2), (10, 5));
        assert_eq!(whole.0.to_bits(), narrow.0.to_bits());
        assert!(whole.1 == narrow.1, "same members");
        // The kept rows are the whole rows' even columns.
        let evens: Vec<f64> = whole.3.iter().step_by(2).copied().collect();
        assert_eq!(evens, narrow.3);
    }
}
