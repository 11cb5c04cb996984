//! Assimilating observed discharge (log-normal errors, particle filter via
//! the generic twin code) beats the same noisy model without assimilation
//! for the 1-day-ahead forecast over 2002; and learning the parameters
//! online does most of what calibration does.

mod common;
use common::*;
use didymos_core::Located;
use didymos_hydro::assimilate::{discharge_streams, make_filter, one_day_ahead, FilterKind};
use didymos_hydro::{calibrate, AssimilationSettings, CalibrationOptions};
use didymos_twin::learning::LearnSpec;

fn compare(mut b: Basin, settings: &AssimilationSettings) -> (f64, f64) {
    let c = calibrate(&b.model, &b.observed, &CalibrationOptions::new(1, 731)).unwrap();
    for (name, v) in ["x1", "x2", "x3", "x4", "snow_ctg", "snow_kf"]
        .iter()
        .zip(&c.params)
    {
        b.model
            .parameters_mut()
            .set_value(name, *v, &Located::default())
            .unwrap();
    }
    let model = settings.noisy_model(&b.model).unwrap();
    let data = discharge_streams(&model, &b.flow, b.area_m2, None, settings.obs_log_sd).unwrap();
    let with = make_filter(&model, &data, settings).unwrap();
    let da = one_day_ahead(with, &data, &b.observed, b.area_m2, 732, 1096, 5).unwrap();
    let none = discharge_streams(
        &model,
        &b.flow,
        b.area_m2,
        Some(date("1999-12-31")),
        settings.obs_log_sd,
    )
    .unwrap();
    let without = make_filter(&model, &none, settings).unwrap();
    let ol = one_day_ahead(without, &none, &b.observed, b.area_m2, 732, 1096, 5).unwrap();
    // Persistence (tomorrow = today's observation), for reference only.
    let persist: Vec<f64> = (732..=1096)
        .map(|d| b.observed[d - 2].unwrap_or(f64::NAN))
        .collect();
    let truth = &b.observed[731..];
    eprintln!(
        "{} persistence: NSE {:.3} KGE {:.3}",
        b.id,
        didymos_hydro::nse(&persist, truth),
        didymos_hydro::kge(&persist, truth)
    );
    eprintln!(
        "{} {:?}: 1-day-ahead 2002 with assimilation NSE {:.3} KGE {:.3} CRPS {:.3} mm/d; \
         open loop NSE {:.3} KGE {:.3} CRPS {:.3} mm/d",
        b.id,
        settings.filter,
        da.nse(),
        da.kge(),
        da.mean_crps(),
        ol.nse(),
        ol.kge(),
        ol.mean_crps()
    );
    assert_eq!(da.days.len(), 365);
    assert!(
        da.nse() > ol.nse() + 0.05,
        "NSE {} vs {}",
        da.nse(),
        ol.nse()
    );
    assert!(da.kge() > ol.kge(), "KGE {} vs {}", da.kge(), ol.kge());
    assert!(
        da.mean_crps() < ol.mean_crps(),
        "CRPS {} vs {}",
        da.mean_crps(),
        ol.mean_crps()
    );
    (da.nse(), ol.nse())
}

#[test]
fn particle_filter_beats_open_loop_01022500() {
    compare(
        basin(&bundled_dir(), "01022500"),
        &AssimilationSettings::default(),
    );
}

#[test]
fn eakf_beats_open_loop_01022500() {
    let s = AssimilationSettings {
        filter: FilterKind::Eakf,
        members: 50,
        ..Default::default()
    };
    compare(basin(&bundled_dir(), "01022500"), &s);
}

#[test]
fn particle_filter_beats_open_loop_01547700() {
    let Some(b) = shared_basin("01547700") else {
        return;
    };
    compare(b, &AssimilationSettings::default());
}

/// A basin with no calibration: the particle filter learns GR4J's four
/// parameters online (Liu–West) from uniform priors over the calibration
/// ranges, through 2000–2001, and forecasts 2002 one day ahead. Against
/// the same filter on the uncalibrated starting values, and against the
/// calibrated twin (differential evolution on 2000–2001, then filtering).
#[test]
fn learning_parameters_online_stands_in_for_calibration_01022500() {
    use didymos_core::Prior;
    let b = basin(&bundled_dir(), "01022500");
    let days = (732, 1096);
    let run = |model: &didymos_hydro::Gr4jModel, settings: &AssimilationSettings| {
        let model = settings.noisy_model(model).unwrap();
        let data =
            discharge_streams(&model, &b.flow, b.area_m2, None, settings.obs_log_sd).unwrap();
        let filter = make_filter(&model, &data, settings).unwrap();
        one_day_ahead(filter, &data, &b.observed, b.area_m2, days.0, days.1, 5).unwrap()
    };
    let plain = AssimilationSettings::default();
    let fixed = run(&b.model, &plain);

    let copy = || b.model.with_options(b.model.options()).unwrap();
    let mut learning_model = copy();
    for (name, low, high) in [
        ("x1", 20.0, 2500.0),
        ("x2", -10.0, 5.0),
        ("x3", 5.0, 1000.0),
        ("x4", 0.5, 6.0),
    ] {
        learning_model
            .parameters_mut()
            .set_prior(name, Prior::Uniform { low, high }, &Located::default())
            .unwrap();
    }
    let learn = AssimilationSettings {
        learn: Some(LearnSpec {
            names: ["x1", "x2", "x3", "x4"]
                .iter()
                .map(|n| (n.to_string(), Located::default()))
                .collect(),
            delta: 0.99,
        }),
        ..AssimilationSettings::default()
    };
    let learned = run(&learning_model, &learn);

    let mut calibrated = copy();
    let c = calibrate(&b.model, &b.observed, &CalibrationOptions::new(1, 731)).unwrap();
    for (name, v) in ["x1", "x2", "x3", "x4", "snow_ctg", "snow_kf"]
        .iter()
        .zip(&c.params)
    {
        calibrated
            .parameters_mut()
            .set_value(name, *v, &Located::default())
            .unwrap();
    }
    let best = run(&calibrated, &plain);
    eprintln!(
        "1-day-ahead 2002, NSE / KGE / CRPS mm/d: starting values {:.3} / {:.3} / {:.3}; \
         learned online {:.3} / {:.3} / {:.3}; calibrated {:.3} / {:.3} / {:.3}",
        fixed.nse(),
        fixed.kge(),
        fixed.mean_crps(),
        learned.nse(),
        learned.kge(),
        learned.mean_crps(),
        best.nse(),
        best.kge(),
        best.mean_crps()
    );
    // Measured over filter seeds 1–4: NSE 0.864–0.885, CRPS 0.251–0.268.
    // Learning closes at least half of the gap calibration closes.
    let gap = fixed.mean_crps() - best.mean_crps();
    assert!(gap > 0.0, "calibration helps: {gap}");
    assert!(
        learned.mean_crps() < fixed.mean_crps() - 0.5 * gap,
        "learned CRPS {} vs {} (starting values) and {} (calibrated)",
        learned.mean_crps(),
        fixed.mean_crps(),
        best.mean_crps()
    );
    assert!(
        learned.nse() > fixed.nse() + 0.05,
        "{} vs {}",
        learned.nse(),
        fixed.nse()
    );
}
