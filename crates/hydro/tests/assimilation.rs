//! Assimilating observed discharge (log-normal errors, particle filter via
//! the generic twin code) beats the same noisy model without assimilation
//! for the 1-day-ahead forecast over 2002.

mod common;
use common::*;
use didymos_core::Located;
use didymos_hydro::assimilate::{discharge_streams, make_filter, one_day_ahead, FilterKind};
use didymos_hydro::{calibrate, AssimilationSettings, CalibrationOptions};

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
