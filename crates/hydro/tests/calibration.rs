//! Calibrate on 2000–2001 (KGE of √Q, differential evolution, a one-year
//! spin-up replaying 2000 so every calibration day is scored), validate on
//! 2002 (KGE and NSE of Q).

mod common;
use common::*;
use didymos_hydro::{calibrate, kge, nse, CalibrationOptions};

/// Calibrated validation (KGE, NSE) for a basin, printed for the record.
fn calibrate_and_validate(b: &Basin) -> (f64, f64, f64) {
    let o = CalibrationOptions::new(1, 731);
    let c = calibrate(&b.model, &b.observed, &o).unwrap();
    let sim = b.model.simulate(&c.params).unwrap();
    let (vs, vo) = (&sim.discharge[731..], &b.observed[731..]);
    let (cal_kge, cal_nse, val_kge, val_nse) = (
        kge(&sim.discharge[..731], &b.observed[..731]),
        nse(&sim.discharge[..731], &b.observed[..731]),
        kge(vs, vo),
        nse(vs, vo),
    );
    eprintln!(
        "{}: calibration KGE {cal_kge:.3} NSE {cal_nse:.3} (objective {:?} {:.3}); validation 2002 KGE {val_kge:.3} NSE {val_nse:.3}; params {:?}",
        b.id, o.objective, c.score, c.params
    );
    // The search is deterministic given its seed.
    assert_eq!(
        calibrate(&b.model, &b.observed, &o).unwrap().params,
        c.params
    );
    assert!(
        c.trace.windows(2).all(|w| w[1] >= w[0]),
        "best score never drops"
    );
    (cal_kge, val_kge, val_nse)
}

#[test]
fn narraguagus_01022500_reaches_the_target() {
    let b = basin(&bundled_dir(), "01022500");
    let (cal, val_kge, val_nse) = calibrate_and_validate(&b);
    assert!(cal > 0.9, "calibration KGE {cal}");
    assert!(val_kge >= 0.6, "validation KGE {val_kge}");
    assert!(val_nse > 0.3, "validation NSE {val_nse}");
}

#[test]
fn marsh_creek_01547700_from_shared_data() {
    let Some(b) = shared_basin("01547700") else {
        return;
    };
    let (cal, val_kge, val_nse) = calibrate_and_validate(&b);
    // Calibrated on KGE of √Q, the KGE of Q itself is lower here (0.68 with
    // seed 1, 0.77–0.78 with seeds 2–3).
    assert!(cal > 0.65, "calibration KGE {cal}");
    // The target is 0.6. This basin gives 0.616 with these
    // settings (seed 1) but 0.52–0.62 across seeds 1–10 and 0.56–0.58 with a
    // longer search (flood section of BENCHMARKS.md), so only a lower
    // bound is asserted.
    assert!(val_kge >= 0.5, "validation KGE {val_kge}");
    assert!(val_nse > 0.5, "validation NSE {val_nse}");
}
