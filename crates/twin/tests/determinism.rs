//! The whole pipeline (filter, forecast, backtest) is bit-identical under
//! rayon pools of 1 and 2 threads, and for any batch size.

mod common;

use common::*;
use didymos_assim::{Eakf, ParticleFilter, PfOptions};
use didymos_core::observation::StreamSet;
use didymos_core::{Model, RunOptions};
use didymos_epi::filtering::mmca_eakf_options;
use didymos_epi::mmca::MmcaModel;
use didymos_twin::backtest::{backtest, BacktestOptions};
use didymos_twin::filter::Filter;
use didymos_twin::predict::forecast;

const DAYS: usize = 42;
const T: usize = 28;
const MEMBERS: usize = 64;

fn data(model: &MmcaModel) -> StreamSet {
    let stream = infections_stream(model, 20.0);
    let template = stream_set(model, vec![stream.clone()]);
    let truth = simulate_truth(model, model.parameters().values(), &template, DAYS, 3);
    observed(model, &stream, &truth, DAYS)
}

fn run_opts(batch: Option<usize>) -> RunOptions {
    RunOptions {
        batch_size: batch,
        observe: true,
    }
}

/// Filter to day T, forecast 14 days, then a short backtest; everything as
/// bits.
fn pipeline(
    filter: impl Fn() -> Filter<'static, MmcaModel, StreamSet>,
    data: &StreamSet,
    seed: u64,
) -> Vec<u64> {
    let mut f = filter();
    f.advance_to(T).expect("filter");
    let e = f.ensemble();
    let mut out: Vec<u64> = Vec::new();
    for m in 0..e.len() {
        out.extend(bits(e.params(m)));
        out.extend(bits(e.state(m)));
    }
    out.extend(bits(&f.log_weights()));
    out.extend(f.log_lik().map(f64::to_bits));
    let fc = forecast(e, f.history(), &f.log_weights(), data, 14, seed).expect("forecast");
    out.extend(
        fc.iter()
            .flat_map(|s| s.values.iter().flatten().flat_map(|v| bits(v))),
    );
    let opts = BacktestOptions {
        origins: vec![14, 21],
        weeks: 2,
        seed,
        companions: Default::default(),
    };
    let bt = backtest(filter(), data, &opts).expect("backtest");
    for (_, fc) in &bt.forecasts {
        out.extend(
            fc.iter()
                .flat_map(|s| s.values.iter().flatten().flat_map(|v| bits(v))),
        );
    }
    out.extend(
        bt.scores
            .iter()
            .flat_map(|s| [s.wis.to_bits(), s.median.to_bits()]),
    );
    out
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("pool")
        .install(f)
}

fn leak<T>(x: T) -> &'static T {
    Box::leak(Box::new(x))
}

fn check(what: &str, run: impl Fn(Option<usize>, u64) -> Vec<u64> + Sync) {
    let one = in_pool(1, || run(None, 11));
    let two = in_pool(2, || run(None, 11));
    let two_b3 = in_pool(2, || run(Some(3), 11));
    assert!(!one.is_empty());
    let diff = |a: &[u64], b: &[u64]| a.iter().zip(b).filter(|(x, y)| x != y).count();
    assert!(
        one.len() == two.len() && diff(&one, &two) == 0,
        "{what}: 1 vs 2 threads: {} of {} values differ",
        diff(&one, &two),
        one.len()
    );
    assert!(
        one.len() == two_b3.len() && diff(&one, &two_b3) == 0,
        "{what}: 1 thread vs 2 threads with batches of 3: {} of {} values differ",
        diff(&one, &two_b3),
        one.len()
    );
    // The comparison is not vacuous: another forecast seed changes it.
    let other = in_pool(2, || run(None, 12));
    assert_ne!(
        one, other,
        "{what}: output does not depend on the forecast seed"
    );
}

#[test]
fn particle_filter_pipeline_is_thread_count_invariant() {
    let model = leak(model(DAYS, 0.04, 0.2));
    let data = leak(data(model));
    check("pf", |batch, seed| {
        let make = move || {
            let opts = PfOptions {
                run: run_opts(batch),
                ..PfOptions::default()
            };
            Filter::Particle(ParticleFilter::new(model, data, MEMBERS, 8, opts).expect("pf"))
        };
        pipeline(make, data, seed)
    });
}

#[test]
fn eakf_pipeline_is_thread_count_invariant() {
    let model = leak(model_patchwise(DAYS, 0.04));
    let data = leak(data(model));
    check("eakf", |batch, seed| {
        let make = move || {
            let mut opts = mmca_eakf_options(model, data, 1.02);
            opts.run = run_opts(batch);
            Filter::Eakf(Eakf::new(model, data, MEMBERS, 8, opts).expect("eakf"))
        };
        pipeline(make, data, seed)
    });
}

#[test]
fn block_particle_filter_pipeline_is_thread_count_invariant() {
    // Patchwise walks and noise on each patch's level: every block's
    // resampling and every member's draws are exercised.
    let model = leak(
        model_patchwise(DAYS, 0.04)
            .with_process_noise(didymos_epi::mmca::ProcessNoise {
                log_beta_patch_sd: 0.04,
                log_infected_sd: 0.1,
                ..Default::default()
            })
            .expect("noise"),
    );
    let data = leak(data(model));
    let blocks =
        std::sync::Arc::new(didymos_epi::filtering::mmca_blocks(model, data).expect("blocks"));
    assert_eq!(
        blocks.len(),
        model.layout().units.len(),
        "one block per patch"
    );
    check("block-pf", |batch, seed| {
        let blocks = blocks.clone();
        let make = move || {
            let opts = PfOptions {
                run: run_opts(batch),
                blocks: Some(blocks.clone()),
                ..PfOptions::default()
            };
            Filter::Particle(ParticleFilter::new(model, data, MEMBERS, 8, opts).expect("block-pf"))
        };
        pipeline(make, data, seed)
    });
}
