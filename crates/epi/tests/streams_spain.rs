//! Real 2020 hospitalisations bound to the MMCA twin as a data model.

use std::path::{Path, PathBuf};

use didymos_core::observation::{Delay, Noise};
use didymos_core::{DataModel, Date, Ensemble, Model, RunOptions};
use didymos_epi::inputs::{read_observations, ObservationColumns};
use didymos_epi::mmca::MmcaModel;
use didymos_epi::spec::load_spec;
use didymos_epi::streams::{build_streams, StreamSpec};

fn spain() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/spain")
}

#[test]
fn cutoff_hides_later_data_and_likelihood_is_finite() {
    let (spec, _) = load_spec(&spain().join("twin-2020.toml")).unwrap();
    let model = MmcaModel::new(spec.setup).unwrap();
    let cols = ObservationColumns {
        date: "date".into(),
        location: "province_ine".into(),
        stratum: Some("age_group".into()),
        issued: None,
        variables: vec!["new_hospitalized".into()],
        whole_numbers: vec!["new_hospitalized".into()],
    };
    let table = read_observations(
        &spain().join("spain_provinces_covid19_daily_by_age_2020.csv"),
        &cols,
        &model.layout().units,
        &model.layout().strata,
    )
    .unwrap();
    let stream = StreamSpec {
        leading: None,
        weekday: None,
        column: "new_hospitalized".into(),
        observable: "new_hospitalized".into(),
        delay: Delay::discretised_gamma(4.0, 2.0, 14).unwrap(),
        ascertainment: didymos_epi::streams::DatedAscertainment::Constant(1.0),
        noise: Noise::NegBinomial { dispersion: 10.0 },
        per_stratum: false,
        aggregation: None,
    };
    let cutoff: Date = "2020-04-15".parse().unwrap();
    let data = build_streams(&model, &table, std::slice::from_ref(&stream), Some(cutoff)).unwrap();
    let cal = *model.calendar();
    let last = cal.day_of(cutoff) as usize;
    assert!(data.has_data(last));
    assert!(
        !(last + 1..=cal.n_days()).any(|d| data.has_data(d)),
        "no data after the cut-off"
    );
    assert_eq!(data.observed(last).len(), 52);

    // A model run gives a finite log-likelihood on every day with data.
    let mut ens = Ensemble::with_params(&model, vec![model.parameters().values()], 1).unwrap();
    let mut history: Vec<Vec<f64>> = vec![ens.observation(0).to_vec()];
    let mut total = 0.0;
    while ens.day() < last {
        ens.step(&RunOptions::default());
        history.push(ens.observation(0).to_vec());
        let day = ens.day();
        if data.has_data(day) {
            let w = data.window().min(history.len());
            let rows: Vec<&[f64]> = history[history.len() - w..]
                .iter()
                .map(Vec::as_slice)
                .collect();
            let ll = data.log_lik(day, ens.params(0), &rows);
            assert!(ll.is_finite(), "day {day}: {ll}");
            total += ll;
        }
    }
    assert!(total < 0.0);
    let unknown = StreamSpec {
        leading: None,
        observable: "new_hospitalised".into(),
        ..stream
    };
    let err = build_streams(&model, &table, &[unknown], None)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("did you mean `new_hospitalized`"), "{err}");
}
