//! The flood twin spec (errors name the key and line) and the twin end to
//! end on the bundled demo: calibrate, forecast, warn; the generic twin
//! backtest runs on it unchanged.

mod common;
use common::*;
use didymos_core::Model;
use didymos_hydro::spec::{load_flood_spec, parse_flood_spec};
use didymos_hydro::twin::FloodTwin;
use didymos_hydro::ForcingTrace;
use didymos_twin::backtest::{backtest, BacktestOptions};

fn demo() -> std::path::PathBuf {
    repo_root().join("data/flood/twin.toml")
}

fn demo_with(from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(demo()).unwrap();
    assert!(text.contains(from), "{from}");
    text.replacen(from, to, 1)
}

fn error_of(text: &str) -> String {
    parse_flood_spec(&demo(), text).unwrap_err().to_string()
}

#[test]
fn demo_spec_loads() {
    let s = load_flood_spec(&demo()).unwrap();
    assert_eq!(s.name, "narraguagus");
    assert_eq!(s.calibration_end, date("2001-12-31"));
    assert_eq!(s.parameters.len(), 6);
    assert_eq!(s.calibration.ranges.len(), 6);
    assert_eq!(s.thresholds, vec![5.0, 10.0]);
    assert!(s.forcing.exists() && s.streamflow.exists());
}

#[test]
fn spec_errors_name_key_and_line() {
    let e = error_of(&demo_with("horizon = 7", "horizn = 7"));
    assert!(
        e.contains("twin.toml") && e.contains("forecast.horizn"),
        "{e}"
    );
    assert!(e.contains("did you mean `horizon`"), "{e}");
    assert!(e.contains("line "), "{e}");

    let e = error_of(&demo_with("x4 = 1.7 ", "x5 = 1.7 "));
    assert!(
        e.contains("parameters.x5") && e.contains("did you mean"),
        "{e}"
    );

    let e = error_of(&demo_with(
        "calibration_end = \"2001-12-31\"",
        "calibration_end = \"2003-01-01\"",
    ));
    assert!(e.contains("time.calibration_end"), "{e}");

    let e = error_of(&demo_with("filter = \"pf\"", "filter = \"enkf\""));
    assert!(
        e.contains("assimilation.filter") && e.contains("pf, eakf"),
        "{e}"
    );

    let e = error_of(&demo_with(
        "[calibration]",
        "[priors]\nx1 = { dist = \"uniform\", low = 5 }\n[calibration]",
    ));
    assert!(
        e.contains("priors.x1") && e.contains("invalid prior"),
        "{e}"
    );

    // A search range outside the parameter's bounds is refused where it
    // is written, not when the calibration starts.
    let e = error_of(&demo_with("x1 = [20, 2500]", "x1 = [0.0, 2500]"));
    assert!(
        e.contains("calibration.ranges.x1") && e.contains("line 39") && e.contains("[1, 10000]"),
        "{e}"
    );

    let e = error_of(&demo_with("name = \"narraguagus\"", ""));
    assert!(e.contains("twin.name") && e.contains("missing"), "{e}");

    let e = error_of("[twin\nname = 1");
    assert!(e.contains("invalid TOML") && e.contains("line 1"), "{e}");

    // Online learning: the particle filter only, names the model knows
    // (checked when the twin loads, at the line that names them).
    let learn = |line: &str| demo_with("filter = \"pf\"", &format!("filter = \"pf\"\n{line}"));
    let e = error_of(&learn("learn_delta = 0.9"));
    assert!(
        e.contains("assimilation.learn_delta") && e.contains("needs learn"),
        "{e}"
    );
    let e = error_of(&learn("learn = [\"x1\"]\nlearn_delta = 0.2"));
    assert!(e.contains("(1/3, 1]"), "{e}");
    let e = error_of(&demo_with(
        "filter = \"pf\"",
        "filter = \"eakf\"\nlearn = [\"x1\"]",
    ));
    assert!(
        e.contains("assimilation.learn") && e.contains("particle filter"),
        "{e}"
    );
    let spec = parse_flood_spec(&demo(), &learn("learn = [\"x1\", \"x9\"]")).unwrap();
    let e = FloodTwin::from_spec(spec).err().unwrap().to_string();
    assert!(
        e.contains("assimilation.learn[1]") && e.contains("did you mean") && e.contains("line "),
        "{e}"
    );
    let spec = parse_flood_spec(&demo(), &learn("learn = [\"x*\"]")).unwrap();
    let twin = FloodTwin::from_spec(spec).unwrap();
    let model = twin.noisy_model().unwrap();
    let params = twin.spec.assimilation.learned_parameters(&model).unwrap();
    assert_eq!(params.len(), 4, "x1 … x4");
    // Calibration leaves learned parameters alone, and is skipped when it
    // has nothing else to do.
    let quick = |learn: &str| {
        let text = demo_with("filter = \"pf\"", &format!("filter = \"pf\"\n{learn}"))
            .replace("population = 30", "population = 4")
            .replace("generations = 60", "generations = 2");
        FloodTwin::from_spec(parse_flood_spec(&demo(), &text).unwrap()).unwrap()
    };
    let mut twin = quick("learn = [\"x*\"]");
    let before = twin.model.parameters().values();
    let c = twin
        .calibrate()
        .unwrap()
        .expect("snow parameters left to calibrate");
    let after = twin.model.parameters().values();
    assert_eq!(&after[..4], &before[..4], "x1 … x4 untouched");
    assert_ne!(&after[4..], &before[4..], "snow parameters calibrated");
    assert_eq!(after, c.params);
    let mut twin = quick("learn = [\"x*\", \"snow_*\"]");
    assert!(twin.calibrate().unwrap().is_none());
    assert_eq!(twin.model.parameters().values(), before);

    // Data problems surface when the twin loads.
    let text = demo_with("01022500_streamflow_qc.txt\"", "nothing.txt\"");
    let spec = parse_flood_spec(&demo(), &text).unwrap();
    let e = FloodTwin::from_spec(spec).err().unwrap().to_string();
    assert!(e.contains("nothing.txt"), "{e}");
}

#[test]
fn twin_calibrates_forecasts_and_warns() {
    let mut twin = FloodTwin::load(&demo()).unwrap();
    twin.spec.assimilation.members = 100;
    let c = twin.calibrate().unwrap().expect("the demo calibrates");
    let skill = twin.skill().unwrap();
    // The search's score is its objective (KGE of √Q) on the calibration
    // period, for the parameters the twin now holds.
    let sim = twin
        .model
        .simulate(&twin.model.parameters().values())
        .unwrap();
    let k = twin.calibration_last_day();
    let objective = twin.spec.calibration.objective;
    assert_eq!(objective, didymos_hydro::Objective::KgeSqrt);
    assert!((objective.score(&sim.discharge[..k], &twin.observed[..k]) - c.score).abs() < 1e-12);
    assert!(skill.calibration_kge > 0.9, "{skill:?}");
    assert!(skill.validation_kge >= 0.6, "{skill:?}");

    // Hindcast from 2002-10-01 with the observed forcing.
    let fc = twin.forecast(date("2002-10-01"), 7, Vec::new()).unwrap();
    assert_eq!(fc.horizon(), 7);
    assert_eq!(fc.date(1), date("2002-10-02"));
    let warnings = twin.warnings(&fc).unwrap();
    assert_eq!(warnings.len(), 3, "two thresholds and the 2-year flow");
    for w in &warnings {
        assert!(w.daily.iter().all(|p| (0.0..=1.0).contains(p)));
        assert!(w.any >= w.daily.iter().cloned().fold(0.0, f64::max));
    }
    // Ensemble forecast forcing after the end of the record: a wet and a
    // dry trace; the wet half of the members must see more discharge.
    let end = date("2002-12-31");
    let wet = ForcingTrace::from_temperature(end.add_days(1), 44.8, vec![40.0; 5], vec![8.0; 5]);
    let dry = ForcingTrace::from_temperature(end.add_days(1), 44.8, vec![0.0; 5], vec![8.0; 5]);
    let fc = twin.forecast(end, 5, vec![wet, dry]).unwrap();
    let q3 = &fc.samples[2];
    let pick = |parity: usize| -> Vec<f64> {
        q3.iter()
            .enumerate()
            .filter(|(m, _)| m % 2 == parity)
            .map(|(_, q)| *q)
            .collect()
    };
    let (w, d) = (pick(0), pick(1));
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    // Members are resampled before forecasting, so trace = member mod 2 of
    // the forecast ensemble.
    assert!(
        mean(&w) > 2.0 * mean(&d),
        "wet {} dry {}",
        mean(&w),
        mean(&d)
    );
    // Half the members (the wet trace) exceed a level between the two.
    let p = fc.exceedance(0.5 * (mean(&w) + mean(&d)));
    assert!(p[2] > 0.3 && p[2] < 0.7, "{p:?}");
}

#[test]
fn generic_backtest_runs_on_the_flood_twin() {
    let twin = FloodTwin::load(&demo()).unwrap();
    let model = twin.noisy_model().unwrap();
    let data = twin.streams(&model, None).unwrap();
    let mut settings = twin.spec.assimilation.clone();
    settings.members = 50;
    let filter = didymos_hydro::assimilate::make_filter(&model, &data, &settings).unwrap();
    let origins: Vec<usize> = (0..6).map(|k| 760 + 50 * k).collect();
    let bt = backtest(
        filter,
        &data,
        &BacktestOptions {
            origins,
            weeks: 1,
            seed: 3,
            companions: Default::default(),
        },
    )
    .unwrap();
    assert_eq!(bt.forecasts.len(), 6);
    assert!(bt.scores.iter().all(|s| s.wis.is_finite()));
    assert_eq!(model.calendar().n_days(), 1096);
}
