//! Observed discharge as a core [`StreamSet`], so the generic filters
//! (didymos-assim) and the twin's filter/forecast code run the flood twin
//! unchanged.
//!
//! **Log space.** The stream uses the core log-normal noise,
//! ln(y + 1) ~ N(ln(ŷ + 1), σ²). To make that a relative error at every
//! flow, the stream measures discharge in litres per second: its
//! ascertainment converts the model's mm/day (× area/86 400), so y is in
//! the hundreds to thousands and ln(y + 1) ≈ ln y. The variance floor of
//! Kalman-type updates (1 unit²) is then negligible too.

use didymos_assim::{Eakf, EakfOptions, Learning, ParticleFilter, PfOptions, StateRepair};
use didymos_core::observation::{Aggregation, Ascertainment, Noise, StrataMode, Stream, StreamSet};
use didymos_core::{Date, Error, Located, Model, Result};
use didymos_forecast::{crps_samples, quantile};
use didymos_twin::filter::Filter;
use didymos_twin::learning::LearnSpec;
use didymos_twin::predict::forecast_with;

use crate::camels::Streamflow;
use crate::metrics::{kge, nse};
use crate::model::{repair, Gr4jModel, Gr4jOptions, DISCHARGE};

/// Name of the discharge stream.
pub const STREAM: &str = "discharge";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKind {
    /// Bootstrap particle filter (log-normal likelihood: truly log space).
    Particle,
    /// Ensemble adjustment Kalman filter on the states (parameters fixed).
    Eakf,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AssimilationSettings {
    pub filter: FilterKind,
    pub members: usize,
    pub seed: u64,
    /// σ of the observation error of ln Q.
    pub obs_log_sd: f64,
    /// Process noise (see [`Gr4jOptions`]).
    pub precip_log_sd: f64,
    pub routing_log_sd: f64,
    pub resample_threshold: f64,
    pub inflation: f64,
    /// Parameters the particle filter learns online (Liu–West); members
    /// start from the parameters' priors.
    pub learn: Option<LearnSpec>,
}

impl Default for AssimilationSettings {
    fn default() -> Self {
        AssimilationSettings {
            filter: FilterKind::Particle,
            members: 200,
            seed: 1,
            obs_log_sd: 0.1,
            precip_log_sd: 0.3,
            routing_log_sd: 0.05,
            resample_threshold: 0.5,
            inflation: 1.0,
            learn: None,
        }
    }
}

impl AssimilationSettings {
    /// The indices of the parameters `learn` names in `model`; an error
    /// at a name that matches none.
    pub fn learned_parameters(&self, model: &Gr4jModel) -> Result<Vec<usize>> {
        Ok(self.learning(model)?.map_or(Vec::new(), |l| l.params))
    }

    fn learning(&self, model: &Gr4jModel) -> Result<Option<Learning>> {
        self.learn
            .as_ref()
            .map(|l| l.learning(model.parameters()))
            .transpose()
    }

    /// The model with this process noise.
    pub fn noisy_model(&self, model: &Gr4jModel) -> Result<Gr4jModel> {
        model.with_options(Gr4jOptions {
            precip_log_sd: self.precip_log_sd,
            routing_log_sd: self.routing_log_sd,
            ..model.options()
        })
    }
}

/// Litres per second in one mm/day over `area_m2`.
pub fn litres_per_second_per_mm_day(area_m2: f64) -> f64 {
    area_m2 / 86_400.0
}

/// The discharge stream over the model's calendar, with observations up to
/// and including `cutoff` (all if `None`; none if before the start).
pub fn discharge_streams(
    model: &Gr4jModel,
    obs: &Streamflow,
    area_m2: f64,
    cutoff: Option<Date>,
    obs_log_sd: f64,
) -> Result<StreamSet> {
    let layout = model.layout();
    if !(area_m2.is_finite() && area_m2 > 0.0) {
        return Err(Error::input(
            Located::default().field("area"),
            "basin area must be > 0",
        ));
    }
    let aggregation = Aggregation::identity(&layout.units, 1, StrataMode::AllStrata)?;
    let scale = litres_per_second_per_mm_day(area_m2);
    let mut stream = Stream::new(STREAM, DISCHARGE, aggregation)
        .with_ascertainment(Ascertainment::Constant(scale))
        .with_noise(Noise::LogNormal { sd: obs_log_sd });
    let cal = *model.calendar();
    for (&date, &q) in obs.mm_per_day.range(cal.start..=cal.end) {
        if cutoff.is_some_and(|c| date > c) {
            break;
        }
        if let Some(day) = cal.day_in_range(date) {
            stream.insert(day, &layout.units[0], None, q * scale)?;
        }
    }
    StreamSet::new(vec![stream], 1, 1, model.observables().len())
}

/// A filter of `model` (already carrying its process noise) on `data`.
/// Parameters keep their values unless they have priors.
pub fn make_filter<'a>(
    model: &'a Gr4jModel,
    data: &'a StreamSet,
    s: &AssimilationSettings,
) -> Result<Filter<'a, Gr4jModel, StreamSet>> {
    let (pf, eakf) = filter_options(s, model)?;
    Ok(match s.filter {
        FilterKind::Particle => {
            Filter::Particle(ParticleFilter::new(model, data, s.members, s.seed, pf)?)
        }
        FilterKind::Eakf => Filter::Eakf(Eakf::new(model, data, s.members, s.seed, eakf)?),
    })
}

/// Both filters' options as the settings say for `model` (also for
/// resuming one from a checkpoint, which records which of the two it was).
pub fn filter_options(
    s: &AssimilationSettings,
    model: &Gr4jModel,
) -> Result<(PfOptions, EakfOptions)> {
    let learn = s.learning(model)?;
    Ok((
        PfOptions {
            resample_threshold: s.resample_threshold,
            learn,
            ..Default::default()
        },
        EakfOptions {
            inflation: s.inflation,
            repair: StateRepair::Custom(std::sync::Arc::new(repair)),
            ..Default::default()
        },
    ))
}

/// 1-day-ahead forecasts of discharge (mm/day) for target days
/// `first..=last`: at each origin t − 1 the filter has seen data up to
/// t − 1 only, and the twin's generic `forecast_with` runs one day on.
#[derive(Debug, Clone, PartialEq)]
pub struct OneDayAhead {
    pub days: Vec<usize>,
    pub observed: Vec<Option<f64>>,
    pub median: Vec<f64>,
    /// Sample CRPS per day with an observation (mm/day).
    pub crps: Vec<f64>,
}

impl OneDayAhead {
    pub fn nse(&self) -> f64 {
        nse(&self.median, &self.observed)
    }
    pub fn kge(&self) -> f64 {
        kge(&self.median, &self.observed)
    }
    pub fn mean_crps(&self) -> f64 {
        self.crps.iter().sum::<f64>() / self.crps.len().max(1) as f64
    }
}

/// Run `filter` to each origin and forecast one day; `observed[d - 1]` is
/// the observation of day d (mm/day), `area_m2` converts back from L/s.
pub fn one_day_ahead(
    mut filter: Filter<'_, Gr4jModel, StreamSet>,
    data: &StreamSet,
    observed: &[Option<f64>],
    area_m2: f64,
    first: usize,
    last: usize,
    seed: u64,
) -> Result<OneDayAhead> {
    if first < 2 {
        return Err(Error::Other(
            "the first target day needs an origin (≥ 2)".into(),
        ));
    }
    let scale = litres_per_second_per_mm_day(area_m2);
    let mut out = OneDayAhead {
        days: Vec::new(),
        observed: Vec::new(),
        median: Vec::new(),
        crps: Vec::new(),
    };
    for day in first..=last {
        filter.advance_to(day - 1)?;
        let ens = filter.ensemble();
        let fc = forecast_with(
            ens.model(),
            ens,
            filter.history(),
            &filter.log_weights(),
            data,
            1,
            seed,
        )?;
        let mut samples: Vec<f64> = fc[0].values[0][0].iter().map(|v| v / scale).collect();
        let obs = observed.get(day - 1).copied().flatten();
        if let Some(y) = obs {
            out.crps.push(crps_samples(&samples, y)?);
        }
        out.median.push(quantile(&mut samples, 0.5)?);
        out.days.push(day);
        out.observed.push(obs);
    }
    Ok(out)
}
