//! The wastewater signal: each patch's new infections (the model's
//! `new_infected`, all strata) convolved with a shedding curve, per person,
//! times `copies_per_infection` (a nominal concentration, copies per litre),
//! measured with log-normal noise (the median is the expected
//! concentration) on the configured weekdays. A measurement below the
//! detection limit is published as the limit itself with `flag =
//! "censored"`: the true value is somewhere below `value`. The noise-free
//! concentration goes to the truth file under the stream's name.

use didymos_core::rng::member_rng;
use didymos_core::{Error, Result};
use rand_distr::{Distribution, Normal};

use crate::config::WastewaterConfig;
use crate::purpose;
use crate::record::{Record, CENSORED};
use crate::truth::Truth;

/// Expected concentration per (location in `cfg.locations` order, day).
pub fn expected_concentration(cfg: &WastewaterConfig, truth: &Truth) -> Result<Vec<Vec<f64>>> {
    let infected = truth
        .observables
        .iter()
        .position(|o| o == "new_infected")
        .ok_or_else(|| {
            Error::Other("wastewater needs the model observable `new_infected`".into())
        })?;
    Ok(cfg
        .locations
        .iter()
        .map(|&u| {
            let inf: Vec<f64> = (0..truth.n_days())
                .map(|t| truth.total(t, u, infected))
                .collect();
            let per_person = cfg.copies_per_infection / truth.population[u].max(1.0);
            (0..inf.len())
                .map(|t| per_person * cfg.shedding.convolve(&inf[..=t]))
                .collect()
        })
        .collect())
}

/// The published samples.
pub fn generate_wastewater(
    cfg: &WastewaterConfig,
    expected: &[Vec<f64>],
    truth: &Truth,
    seed: u64,
    out: &mut Vec<Record>,
) {
    for (&u, conc) in cfg.locations.iter().zip(expected) {
        let mut rng = member_rng(seed, u as u64, purpose::WASTEWATER);
        // sd was validated as finite and > 0.
        let Ok(noise) = Normal::new(0.0, cfg.sd) else {
            return;
        };
        for (t, &c) in conc.iter().enumerate() {
            let z: f64 = noise.sample(&mut rng);
            if !cfg.sample_weekdays.contains(&truth.dates[t].iso_weekday()) {
                continue;
            }
            let measured = c * z.exp();
            let censored = measured < cfg.detection_limit;
            let value = if censored {
                cfg.detection_limit
            } else {
                (measured * 10.0).round() / 10.0
            };
            out.push(Record {
                stream: cfg.name.clone(),
                time: truth.dates[t].to_string(),
                location: Some(truth.units[u].clone()),
                stratum: None,
                value,
                issued: None,
                flag: censored.then(|| CENSORED.to_string()),
            });
        }
    }
}
