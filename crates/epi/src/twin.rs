//! An MMCA twin with its observations, ready to filter: what `didymos
//! assimilate`, `forecast`, `scenario` and the service share.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use didymos_assim::{Eakf, EakfOptions, ParticleFilter, PfOptions};
use didymos_core::observation::{Noise, Stream, StreamSet};
use didymos_core::{Calendar, Date, Error, Model, Result};
use didymos_twin::backtest::Vintage;
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
        issued: assim.issued_column.clone(),
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
    /// The streams up to `cutoff` (all: `None`), as issued by then when
    /// the record has revisions: what a forecaster had on that day. The
    /// last days' counts are then incomplete: each stream's expected values
    /// there are scaled by the record's completeness at that lag (see
    /// [`ObservationTable::completeness`]).
    pub fn streams(&self, cutoff: Option<Date>) -> Result<StreamSet> {
        self.streams_from(&self.table_at(cutoff), cutoff)
    }
    /// Each stream's leading series (`leading_column`), same cutoff and
    /// completeness; `None` where a stream has none.
    pub fn leading_streams(&self, cutoff: Option<Date>) -> Result<Vec<Option<Stream>>> {
        self.leading_from(&self.table_at(cutoff), cutoff)
    }
    /// The streams of `record`, a record with its revisions that is not
    /// the spec's (the service's store), as issued by the end of `vintage`
    /// and up to `cutoff` (at most `vintage`), with the last days read as
    /// incomplete as `record`'s revisions known by `vintage` show: what
    /// [`streams`](Self::streams) gives for the spec's own record at
    /// `cutoff` = `vintage`.
    pub fn streams_issued(
        &self,
        record: &ObservationTable,
        vintage: Date,
        cutoff: Date,
    ) -> Result<StreamSet> {
        self.scaled_streams(
            &record.as_issued(vintage),
            record,
            Some(cutoff),
            Some(vintage),
        )
    }
    /// [`leading_streams`](Self::leading_streams) of `record`, as
    /// [`streams_issued`](Self::streams_issued).
    pub fn leading_streams_issued(
        &self,
        record: &ObservationTable,
        vintage: Date,
        cutoff: Date,
    ) -> Result<Vec<Option<Stream>>> {
        self.scaled_leading(
            &record.as_issued(vintage),
            record,
            Some(cutoff),
            Some(vintage),
        )
    }
    /// [`streams`](Self::streams) from `table`, the record as it stood at
    /// `cutoff`.
    fn streams_from(&self, table: &ObservationTable, cutoff: Option<Date>) -> Result<StreamSet> {
        self.scaled_streams(table, &self.table, cutoff, cutoff)
    }
    fn leading_from(
        &self,
        table: &ObservationTable,
        cutoff: Option<Date>,
    ) -> Result<Vec<Option<Stream>>> {
        self.scaled_leading(table, &self.table, cutoff, cutoff)
    }
    /// The streams of `issued` (a record as issued) up to `cutoff`, each
    /// scaled by the completeness that `record`'s revisions show at
    /// `vintage`.
    fn scaled_streams(
        &self,
        issued: &ObservationTable,
        record: &ObservationTable,
        cutoff: Option<Date>,
        vintage: Option<Date>,
    ) -> Result<StreamSet> {
        let mut set = build_streams(&self.model, issued, &self.assim.streams, cutoff)?;
        if let Some(day) = vintage.filter(|_| !record.revisions.is_empty()) {
            for si in 0..set.streams().len() {
                let shares = self.completeness(record, &set.streams()[si].name, day);
                set.set_completeness(si, shares);
            }
        }
        Ok(set)
    }
    fn scaled_leading(
        &self,
        issued: &ObservationTable,
        record: &ObservationTable,
        cutoff: Option<Date>,
        vintage: Option<Date>,
    ) -> Result<Vec<Option<Stream>>> {
        let mut leading = build_leading_streams(&self.model, issued, &self.assim.streams, cutoff)?;
        if let Some(day) = vintage.filter(|_| !record.revisions.is_empty()) {
            for s in leading.iter_mut().flatten() {
                s.completeness = self.completeness(record, &s.name, day);
            }
        }
        Ok(leading)
    }
    /// Per calendar day up to `day`, the share of column `column`'s final
    /// count that `record` shows issued by then, where it is not 1.
    fn completeness(
        &self,
        record: &ObservationTable,
        column: &str,
        day: Date,
    ) -> std::collections::BTreeMap<usize, f64> {
        const WINDOW_DAYS: i32 = 56;
        let cal = self.calendar();
        let variable = record.variable_index(column);
        let Some(variable) = variable.filter(|_| self.assim.nowcast) else {
            return Default::default();
        };
        let shares = record.completeness(variable, day, WINDOW_DAYS);
        shares
            .iter()
            .enumerate()
            .filter(|(_, &share)| share != 1.0)
            .filter_map(|(k, &share)| Some((cal.day_in_range(day.add_days(-(k as i32)))?, share)))
            .collect()
    }
    fn table_at(&self, cutoff: Option<Date>) -> std::borrow::Cow<'_, ObservationTable> {
        match cutoff {
            Some(day) if !self.table.revisions.is_empty() => {
                std::borrow::Cow::Owned(self.table.as_issued(day))
            }
            _ => std::borrow::Cow::Borrowed(&self.table),
        }
    }
    /// Whether some values were revised, or first issued, after their date.
    pub fn has_revisions(&self) -> bool {
        !self.table.revisions.is_empty()
    }
    /// For each origin (a day of the calendar), the record as issued by its
    /// end where that differs from the final record (`None`: final by then).
    pub fn vintages(&self, origins: &[usize]) -> Result<Vec<Option<Vintage>>> {
        let cal = self.calendar();
        origins
            .iter()
            .map(|&origin| {
                let date = cal.date_of(origin);
                let Some(first) = self.table.first_revised_after(date) else {
                    return Ok(None);
                };
                let first_revised = if first < cal.start {
                    1
                } else {
                    cal.day_within(first, "a revised date")?
                };
                let issued = self.table.as_issued(date);
                Ok(Some(Vintage {
                    data: self.streams_from(&issued, Some(date))?,
                    leading: self.leading_from(&issued, Some(date))?,
                    first_revised,
                }))
            })
            .collect()
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
