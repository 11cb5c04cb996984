//! Either filter behind one face, so assimilate, forecast and backtest do
//! not care which one keeps the twin in step.

use didymos_assim::{Eakf, ObsHistory, ParticleFilter};
use didymos_core::{DataModel, Ensemble, Model, Result};

pub enum Filter<'a, M: Model, D: DataModel> {
    /// Bootstrap particle filter: weighted members, a likelihood estimate.
    Particle(ParticleFilter<'a, M, D>),
    /// Ensemble adjustment Kalman filter: equally weighted members.
    Eakf(Eakf<'a, M, D>),
}

impl<'a, M: Model, D: DataModel> Filter<'a, M, D> {
    pub fn advance_to(&mut self, day: usize) -> Result<()> {
        match self {
            Filter::Particle(f) => f.advance_to(day),
            Filter::Eakf(f) => f.advance_to(day),
        }
    }
    pub fn ensemble(&self) -> &Ensemble<'a, M> {
        match self {
            Filter::Particle(f) => f.ensemble(),
            Filter::Eakf(f) => f.ensemble(),
        }
    }
    pub fn history(&self) -> &ObsHistory {
        match self {
            Filter::Particle(f) => f.history(),
            Filter::Eakf(f) => f.history(),
        }
    }
    /// Log-weights normalised so that uniform = 0.
    pub fn log_weights(&self) -> Vec<f64> {
        match self {
            Filter::Particle(f) => f.log_weights().to_vec(),
            Filter::Eakf(f) => vec![0.0; f.ensemble().len()],
        }
    }
    /// The particle filter's log-likelihood estimate (the EAKF has none).
    pub fn log_lik(&self) -> Option<f64> {
        match self {
            Filter::Particle(f) => Some(f.log_lik()),
            Filter::Eakf(_) => None,
        }
    }
    /// The last day whose data has been assimilated (0: none yet).
    pub fn assimilated_through(&self) -> usize {
        match self {
            Filter::Particle(f) => f.assimilated_through(),
            Filter::Eakf(f) => f.assimilated_through(),
        }
    }
    /// A copy that reads `data` from here on (see
    /// [`ParticleFilter::fork`]).
    pub fn fork<'b>(&self, data: &'b D) -> Result<Filter<'b, M, D>>
    where
        'a: 'b,
    {
        Ok(match self {
            Filter::Particle(f) => Filter::Particle(f.fork(data)?),
            Filter::Eakf(f) => Filter::Eakf(f.fork(data)?),
        })
    }
    pub fn kind(&self) -> &'static str {
        match self {
            Filter::Particle(f) if f.blocks().is_some() => "block-pf",
            Filter::Particle(_) => "pf",
            Filter::Eakf(_) => "eakf",
        }
    }
}
