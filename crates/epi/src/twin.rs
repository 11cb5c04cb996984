//! An MMCA twin with its observations, ready to filter: what `didymos
//! assimilate`, `forecast`, `scenario` and the service share.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use didymos_assim::{Eakf, EakfOptions, ParticleFilter, PfOptions};
use didymos_core::observation::{Noise, Stream, StreamSet};
use didymos_core::{Calendar, Date, Error, Model, Result};
use didymos_twin::filter::Filter;

use crate::filtering::{mmca_blocks, mmca_eakf_options};
use crate::inputs::{read_observations, ObservationColumns, ObservationTable};
use crate::mmca::{MmcaModel, ProcessNoise};
use crate::spec::{load_spec, TwinSpec};
use crate::spec_assim::AssimilationSpec;
use crate::streams::{build_leading_streams, build_streams, observation_locations};

/// The observation file's columns a twin reads: each stream's, then the
/// [`leading_columns`].
pub fn observation_columns(assim: &AssimilationSpec) -> Vec<String> {
    let mut cols: Vec<String> = assim.streams.iter().map(|s| s.column.clone()).collect();
    cols.extend(leading_columns(assim));
    cols
}

/// The streams' leading columns that are not themselves fitted, each once:
/// read, never assimilated.
pub fn leading_columns(assim: &AssimilationSpec) -> Vec<String> {
    let mut cols: Vec<String> = Vec::new();
    for lead in assim.streams.iter().filter_map(|s| s.leading.as_ref()) {
        if !cols.contains(lead) && !assim.streams.iter().any(|s| s.column == *lead) {
            cols.push(lead.clone());
        }
    }
    cols
}

/// A twin spec with its model and observations, ready to filter.
pub struct LoadedTwin {
    pub spec: TwinSpec,
    pub assim: AssimilationSpec,
    pub model: MmcaModel,
    pub table: ObservationTable,
    pub observations: PathBuf,
}

pub fn load_twin(spec_path: &Path, observations: Option<&Path>) -> Result<LoadedTwin> {
    let (spec, warnings) = load_spec(spec_path)?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let (spec, assim, model) = twin_model(spec)?;
    let observations = observations
        .map(Path::to_path_buf)
        .or_else(|| assim.observations.clone())
        .ok_or_else(|| {
            Error::Other(
                "no observations: give --observations FILE or assimilation.observations".into(),
            )
        })?;
    let cols = ObservationColumns {
        date: assim.date_column.clone(),
        location: assim.location_column.clone(),
        stratum: assim.stratum_column.clone(),
        variables: observation_columns(&assim),
        whole_numbers: assim
            .streams
            .iter()
            .filter(|s| matches!(s.noise, Noise::Poisson | Noise::NegBinomial { .. }))
            .map(|s| s.column.clone())
            .collect(),
    };
    let locations = observation_locations(&model, &assim.streams)?;
    let table = read_observations(&observations, &cols, &locations, &model.layout().strata)?;
    Ok(LoadedTwin {
        spec,
        assim,
        model,
        table,
        observations,
    })
}

/// A loaded spec's `[assimilation]` section and its model, with the
/// process noise and priors the filters need, but no observations: the
/// service reads those from its own store instead of the spec's file.
pub fn twin_model(spec: TwinSpec) -> Result<(TwinSpec, AssimilationSpec, MmcaModel)> {
    let assim = spec.assimilation.clone().ok_or_else(|| {
        Error::Other(format!(
            "{}: the spec has no [assimilation] section (see data/spain/twin-2020.toml)",
            spec.spec_path.display()
        ))
    })?;
    let mut model = MmcaModel::new(spec.setup.clone())?.with_process_noise(ProcessNoise {
        log_beta_sd: assim.log_beta_sd,
        log_beta_patch_sd: assim.log_beta_patch_sd,
        log_beta_pooling: assim.log_beta_pooling,
        binomial_chain: assim.binomial_chain,
        log_infected_sd: assim.log_infected_sd,
    })?;
    for (name, prior, at) in &spec.priors {
        model.parameters_mut().set_prior(name, prior.clone(), at)?;
    }
    // Unknown `learn` names fail with the spec, not when a filter is built.
    if let Some(l) = &assim.learn {
        l.learning(model.parameters())?;
    }
    Ok((spec, assim, model))
}

impl LoadedTwin {
    pub fn streams(&self, cutoff: Option<Date>) -> Result<StreamSet> {
        build_streams(&self.model, &self.table, &self.assim.streams, cutoff)
    }
    /// Each stream's leading series (`leading_column`), same cutoff; `None`
    /// where a stream has none.
    pub fn leading_streams(&self, cutoff: Option<Date>) -> Result<Vec<Option<Stream>>> {
        build_leading_streams(&self.model, &self.table, &self.assim.streams, cutoff)
    }
    /// A fresh filter of the spec's kind on day 1.
    pub fn filter<'a>(
        &'a self,
        data: &'a StreamSet,
        members: usize,
        seed: u64,
    ) -> Result<Filter<'a, MmcaModel, StreamSet>> {
        Ok(match self.assim.filter.as_str() {
            "eakf" => Filter::Eakf(Eakf::new(
                &self.model,
                data,
                members,
                seed,
                self.eakf_options(data),
            )?),
            _ => Filter::Particle(ParticleFilter::new(
                &self.model,
                data,
                members,
                seed,
                self.pf_options(data)?,
            )?),
        })
    }
    pub fn eakf_options(&self, data: &StreamSet) -> EakfOptions {
        mmca_eakf_options(&self.model, data, self.assim.inflation)
    }
    /// Particle filter options; with `filter = "block-pf"`, the blocks of
    /// the patches that `data` observes.
    pub fn pf_options(&self, data: &StreamSet) -> Result<PfOptions> {
        let blocks = match self.assim.filter.as_str() {
            "block-pf" => Some(Arc::new(mmca_blocks(&self.model, data)?)),
            _ => None,
        };
        let learn = self
            .assim
            .learn
            .as_ref()
            .map(|l| l.learning(self.model.parameters()))
            .transpose()?;
        Ok(PfOptions {
            resample_threshold: self.assim.resample_threshold,
            blocks,
            learn,
            ..PfOptions::default()
        })
    }
    pub fn calendar(&self) -> Calendar {
        *self.model.calendar()
    }
    /// The last date with data inside the simulated range.
    pub fn last_data_date(&self) -> Result<Date> {
        let cal = self.calendar();
        self.table
            .dates()
            .into_iter()
            .rev()
            .find(|d| cal.day_in_range(*d).is_some())
            .ok_or_else(|| {
                Error::Other(format!(
                    "{}: no observation falls inside {}..{}",
                    self.observations.display(),
                    cal.start,
                    cal.end
                ))
            })
    }
    pub fn day_of(&self, date: Date, what: &str) -> Result<usize> {
        self.calendar().day_within(date, what)
    }
}
