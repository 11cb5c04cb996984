//! A backtest must only use the data available at each origin: its forecast
//! at an origin is bit-identical to the forecast of a filter that only ever
//! saw the observations up to that origin, and observations after the last
//! origin change none of its forecasts. Both hold with weekday factors
//! estimated from the data, which the full record's set holds for days
//! after each origin. On a record with revisions, each origin sees each
//! value as it had been issued by then.

mod common;

use common::*;
use didymos_core::observation::{Stream, StreamSet, WeekdayEffect};
use didymos_core::Model;
use didymos_epi::mmca::MmcaModel;
use didymos_twin::backtest::{backtest, backtest_as_issued, BacktestOptions, Vintage, MODEL};
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

// A backtest on a record with revisions sees each value as it had been
// issued by each origin: its forecast there is bit-identical to that of a
// filter that only ever read the record as it stood that day (provisional
// values and all), while its scores use the final values. One origin's
// revision reaches back before an earlier origin, so the filter is forked
// out of origin order.

/// The record as issued by the end of `origin`: the days in `provisional`
/// at 60% of their final counts (rounded down), nothing after the origin.
fn as_issued(
    model: &MmcaModel,
    full: &StreamSet,
    origin: usize,
    provisional: &[usize],
) -> StreamSet {
    let mut s = full.streams()[0].clone();
    s.data.retain(|&day, _| day <= origin);
    for day in provisional {
        for v in s.data.get_mut(day).expect("a day with data").iter_mut() {
            *v = v.map(|x| (x * 0.6).floor());
        }
    }
    stream_set(model, vec![s])
}

fn check_as_issued(make: MakeFilter, what: &str) {
    let model = match what {
        "pf" => model(DAYS, 0.04, 0.2),
        _ => model_patchwise(DAYS, 0.04),
    };
    let stream = infections_stream(&model, 20.0);
    let template = stream_set(&model, vec![stream.clone()]);
    let truth = simulate_truth(&model, model.parameters().values(), &template, DAYS, 5);
    let full = observed(&model, &stream, &truth, DAYS);
    // Origin 14: its last three days provisional. Origin 21: final by then.
    // Origin 28: its last three days, and day 10, which a late correction
    // revised after day 28 (so before origin 14 was forecast).
    let provisional: [Vec<usize>; 3] = [vec![12, 13, 14], vec![], vec![10, 26, 27, 28]];
    let vintages: Vec<Option<Vintage>> = ORIGINS
        .iter()
        .zip(&provisional)
        .map(|(&origin, days)| {
            let first = *days.iter().min()?;
            Some(Vintage {
                data: as_issued(&model, &full, origin, days),
                leading: vec![None],
                first_revised: first,
            })
        })
        .collect();
    let bt = backtest_as_issued(make(&model, &full), &full, &[], &vintages, &opts(), |_| {
        Ok(None)
    })
    .expect("backtest");
    let consolidated = backtest(make(&model, &full), &full, &opts()).expect("backtest");
    assert_eq!(bt.forecasts.len(), ORIGINS.len());
    for (k, &origin) in ORIGINS.iter().enumerate() {
        let (o, got) = &bt.forecasts[k];
        assert_eq!(*o, origin);
        let known = as_issued(&model, &full, origin, &provisional[k]);
        let mut f = make(&model, &known);
        f.advance_to(origin).expect("filter");
        let fc = forecast(
            f.ensemble(),
            f.history(),
            &f.log_weights(),
            &known,
            7 * WEEKS,
            FORECAST_SEED,
        )
        .expect("forecast");
        let (a, b) = (sample_bits(&fc), sample_bits(got));
        let differ = a.iter().zip(&b).filter(|(x, y)| x != y).count();
        assert!(
            a.len() == b.len() && differ == 0,
            "{what}: origin {origin}: {differ} of {} samples differ from a filter that read only \
             the record as issued then",
            a.len()
        );
        let final_fc = sample_bits(&consolidated.forecasts[k].1);
        if provisional[k].is_empty() {
            assert_eq!(
                b, final_fc,
                "{what}: origin {origin} had nothing provisional"
            );
        } else {
            assert_ne!(
                b, final_fc,
                "{what}: origin {origin}: the provisional values changed nothing"
            );
        }
    }
    // Scored on the final values: every score's truth is the consolidated
    // backtest's for the same target.
    let truth_of =
        |s: &didymos_twin::backtest::Score| (s.origin, s.location.clone(), s.weeks_ahead);
    let final_truth: std::collections::HashMap<_, f64> = consolidated
        .scores
        .iter()
        .filter(|s| s.forecaster == MODEL)
        .map(|s| (truth_of(s), s.truth))
        .collect();
    let model_scores: Vec<_> = bt.scores.iter().filter(|s| s.forecaster == MODEL).collect();
    assert!(!model_scores.is_empty());
    for s in model_scores {
        assert_eq!(
            Some(&s.truth),
            final_truth.get(&truth_of(s)),
            "{what}: {s:?}"
        );
    }
}

#[test]
fn pf_backtest_sees_each_value_as_issued_by_each_origin() {
    check_as_issued(make_pf, "pf");
}

#[test]
fn eakf_backtest_sees_each_value_as_issued_by_each_origin() {
    check_as_issued(make_eakf, "eakf");
}

/// A horizon computed as `last day − origin` with the last day before the
/// origin wraps round to near 2⁶⁴ days: the forecast refuses it instead of
/// aborting on the allocation (`didymos scenario` once did).
#[test]
fn a_horizon_ending_before_the_origin_is_an_error() {
    let model = model_for("pf");
    let (truth, stream) = setup(&model, false);
    let data = observed(&model, &stream, &truth, 14);
    let mut f = make_pf(&model, &data);
    f.advance_to(14).expect("filter");
    let horizon = 10usize.wrapping_sub(14);
    let Err(e) = forecast(
        f.ensemble(),
        f.history(),
        &f.log_weights(),
        &data,
        horizon,
        FORECAST_SEED,
    ) else {
        panic!("a horizon ending before the origin was accepted");
    };
    assert!(e.to_string().contains("before the origin"), "{e}");
}
