//! A backtest must only use the data available at each origin: its forecast
//! at an origin is bit-identical to the forecast of a filter that only ever
//! saw the observations up to that origin, and observations after the last
//! origin change none of its forecasts. Both hold with weekday factors
//! estimated from the data, which the full record's set holds for days
//! after each origin.

mod common;

use common::*;
use didymos_core::observation::{Stream, StreamSet, WeekdayEffect};
use didymos_core::Model;
use didymos_epi::mmca::MmcaModel;
use didymos_twin::backtest::{backtest, BacktestOptions};
use didymos_twin::filter::Filter;
use didymos_twin::predict::{forecast, StreamForecast};

const DAYS: usize = 42;
const ORIGINS: [usize; 3] = [14, 21, 28];
const WEEKS: usize = 2;
const MEMBERS: usize = 60;
const FILTER_SEED: u64 = 31;
const FORECAST_SEED: u64 = 2024;

type MakeFilter = for<'a> fn(&'a MmcaModel, &'a StreamSet) -> Filter<'a, MmcaModel, StreamSet>;

fn make_pf<'a>(m: &'a MmcaModel, d: &'a StreamSet) -> Filter<'a, MmcaModel, StreamSet> {
    pf(m, d, MEMBERS, FILTER_SEED)
}
fn make_eakf<'a>(m: &'a MmcaModel, d: &'a StreamSet) -> Filter<'a, MmcaModel, StreamSet> {
    eakf(m, d, MEMBERS, FILTER_SEED)
}

fn opts() -> BacktestOptions {
    BacktestOptions {
        origins: ORIGINS.to_vec(),
        weeks: WEEKS,
        seed: FORECAST_SEED,
        companions: Default::default(),
    }
}

/// Every forecast sample as bits, `[stream][location][h][member]` flattened.
fn sample_bits(fc: &[StreamForecast]) -> Vec<u64> {
    fc.iter()
        .flat_map(|s| s.values.iter().flatten().flat_map(|v| bits(v)))
        .collect()
}

fn setup(model: &MmcaModel, weekday: bool) -> (Truth, Stream) {
    // Two weeks' window: estimates from day 21 on, so origins 21 and 28
    // forecast with factors a set cut there could not have had later on.
    let effect = weekday.then(|| WeekdayEffect::estimated(2, 3).expect("effect"));
    let stream = infections_stream(model, 20.0).with_weekday(effect);
    let template = stream_set(model, vec![stream.clone()]);
    let params = model.parameters().values();
    (simulate_truth(model, params, &template, DAYS, 5), stream)
}

fn check_origins_see_only_their_past(make: MakeFilter, what: &str, weekday: bool) {
    let model = model_for(what);
    let (truth, stream) = setup(&model, weekday);
    let full = observed(&model, &stream, &truth, DAYS);
    if weekday {
        let w = full.streams()[0].weekday.as_ref().expect("effect");
        let last = *ORIGINS.last().expect("origins");
        assert_ne!(w.factors_on(last + 1), &[1.0; 7], "estimated by then");
        assert_ne!(w.factors_on(DAYS), w.factors_on(last + 1), "moves after");
    }
    let bt = backtest(make(&model, &full), &full, &opts()).expect("backtest");
    assert_eq!(bt.forecasts.len(), ORIGINS.len());
    assert!(!bt.scores.is_empty(), "{what}: the backtest scored nothing");
    for (&origin, (bt_origin, bt_fc)) in ORIGINS.iter().zip(&bt.forecasts) {
        assert_eq!(*bt_origin, origin);
        let cut = observed(&model, &stream, &truth, origin);
        let mut f = make(&model, &cut);
        f.advance_to(origin).expect("filter");
        let fc = forecast(
            f.ensemble(),
            f.history(),
            &f.log_weights(),
            &cut,
            7 * WEEKS,
            FORECAST_SEED,
        )
        .expect("forecast");
        assert_eq!(fc.len(), bt_fc.len());
        for (a, b) in fc.iter().zip(bt_fc) {
            assert_eq!(a.stream, b.stream);
            assert_eq!(a.locations, b.locations);
        }
        let (a, b) = (sample_bits(&fc), sample_bits(bt_fc));
        let differ = a.iter().zip(&b).filter(|(x, y)| x != y).count();
        assert!(
            a.len() == b.len() && differ == 0,
            "{what}: origin {origin}: {differ} of {} forecast samples differ between the backtest \
             (all data) and a filter given only data up to the origin",
            a.len()
        );
    }
}

fn model_for(what: &str) -> MmcaModel {
    match what {
        "pf" => model(DAYS, 0.04, 0.2),
        _ => model_patchwise(DAYS, 0.04),
    }
}

#[test]
fn pf_backtest_forecasts_use_only_data_up_to_each_origin() {
    check_origins_see_only_their_past(make_pf, "pf", false);
}

#[test]
fn eakf_backtest_forecasts_use_only_data_up_to_each_origin() {
    check_origins_see_only_their_past(make_eakf, "eakf", false);
}

#[test]
fn estimated_weekday_factors_use_only_data_up_to_each_origin() {
    check_origins_see_only_their_past(make_pf, "pf", true);
    check_later_data_changes_nothing(make_eakf, "eakf", true);
}

fn check_later_data_changes_nothing(make: MakeFilter, what: &str, weekday: bool) {
    let model = model_for(what);
    let (truth, stream) = setup(&model, weekday);
    let last = *ORIGINS.last().expect("origins");
    let full = observed(&model, &stream, &truth, DAYS);
    let base = backtest(make(&model, &full), &full, &opts()).expect("backtest");

    // After the last origin: change values, drop one, add one beyond the
    // calendar's data.
    let mut s = full.streams()[0].clone();
    for day in [last + 1, last + 5, DAYS] {
        for v in s.data.get_mut(&day).expect("day with data").iter_mut() {
            *v = Some(v.unwrap_or(0.0) * 3.0 + 17.0);
        }
    }
    s.data.get_mut(&(last + 2)).expect("day")[0] = None;
    let later = stream_set(&model, vec![s]);
    let bt = backtest(make(&model, &later), &later, &opts()).expect("backtest");
    for ((o1, a), (o2, b)) in base.forecasts.iter().zip(&bt.forecasts) {
        assert_eq!(o1, o2);
        assert!(
            sample_bits(a) == sample_bits(b),
            "{what}: origin {o1}: changing data after the last origin ({last}) changed the forecast"
        );
    }
    // The scores see the changed truth, so they must differ: the change
    // did reach the data model.
    assert_ne!(
        base.scores, bt.scores,
        "{what}: perturbation did not reach the scored truth"
    );

    // Sensitivity check: the same change on a day before the last origin
    // does change that origin's forecast.
    let mut s = full.streams()[0].clone();
    for v in s.data.get_mut(&(last - 1)).expect("day").iter_mut() {
        *v = Some(v.unwrap_or(0.0) * 3.0 + 17.0);
    }
    let earlier = stream_set(&model, vec![s]);
    let bt = backtest(make(&model, &earlier), &earlier, &opts()).expect("backtest");
    let (a, b) = (
        &base.forecasts.last().expect("f").1,
        &bt.forecasts.last().expect("f").1,
    );
    assert_ne!(
        sample_bits(a),
        sample_bits(b),
        "{what}: data before the origin had no effect"
    );
}

#[test]
fn pf_data_after_last_origin_changes_no_forecast() {
    check_later_data_changes_nothing(make_pf, "pf", false);
}

#[test]
fn eakf_data_after_last_origin_changes_no_forecast() {
    check_later_data_changes_nothing(make_eakf, "eakf", false);
}
