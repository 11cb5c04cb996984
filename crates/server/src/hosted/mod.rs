//! The kinds of twin the service hosts, behind one face: an epidemic
//! (MMCA) twin or a flood (GR4J) twin. The API, ingest and the alert rules
//! ask [`Hosted`] what a twin has (calendar, locations, observables, strata);
//! the live loop runs every kind through the same steps with [`LiveTwin`].

pub mod epidemic;
pub mod flood;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use didymos_core::observation::{Stream, StreamSet};
use didymos_core::{Calendar, Date, Model};
use didymos_epi::twin::LoadedTwin;
use didymos_twin::checkpoint::Saved;
use didymos_twin::companions::WeeklyEnsemble;
use didymos_twin::filter::Filter;
use didymos_twin::predict::StreamForecast;
use serde::Serialize;
use utoipa::ToSchema;

use crate::store::{StoredObservation, StreamRow, ValueType};

pub use flood::FloodHosted;

/// What kind of twin a spec describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TwinKind {
    /// MMCA metapopulation epidemic twin (a spec with `[assimilation]`).
    Epidemic,
    /// GR4J rainfall–runoff twin of one basin (a spec with `[basin]`).
    Flood,
}

pub use didymos_hydro::spec::is_flood_spec_text;

/// A loaded twin of either kind (boxed: both are large).
pub enum Hosted {
    Epidemic(Box<LoadedTwin>),
    Flood(Box<FloodHosted>),
}

impl Hosted {
    /// Loads the spec at `path`. A flood twin is calibrated, unless
    /// `parameters` (stored when it was registered) are given.
    pub fn load(path: &Path, parameters: Option<&str>) -> Result<Hosted, String> {
        let text = didymos_core::fs::read_text(path, didymos_core::fs::SPEC_MAX_BYTES)
            .map_err(|e| format!("cannot read the spec: {e}"))?;
        if is_flood_spec_text(&text) {
            Ok(Hosted::Flood(Box::new(FloodHosted::load(
                path, parameters,
            )?)))
        } else {
            epidemic::load(path).map(|l| Hosted::Epidemic(Box::new(l)))
        }
    }
    pub fn kind(&self) -> TwinKind {
        match self {
            Hosted::Epidemic(_) => TwinKind::Epidemic,
            Hosted::Flood(_) => TwinKind::Flood,
        }
    }
    /// The epidemic twin, for what only it supports (scenario jobs).
    pub fn epidemic(&self) -> Option<&LoadedTwin> {
        match self {
            Hosted::Epidemic(l) => Some(l.as_ref()),
            Hosted::Flood(_) => None,
        }
    }
    /// The spec's `twin.name`.
    pub fn name(&self) -> &str {
        match self {
            Hosted::Epidemic(l) => &l.spec.name,
            Hosted::Flood(f) => &f.twin.spec.name,
        }
    }
    pub fn spec_path(&self) -> &Path {
        match self {
            Hosted::Epidemic(l) => &l.spec.spec_path,
            Hosted::Flood(f) => &f.twin.spec.spec_path,
        }
    }
    pub fn calendar(&self) -> Calendar {
        match self {
            Hosted::Epidemic(l) => l.calendar(),
            Hosted::Flood(f) => *f.noisy.calendar(),
        }
    }
    /// The locations records, streams and alert rules may name: the
    /// model's units, or the locations of streams reported through a
    /// `unit,location` lookup.
    pub fn locations(&self) -> &[String] {
        match self {
            Hosted::Epidemic(l) => &l.table.locations,
            Hosted::Flood(f) => &f.noisy.layout().units,
        }
    }
    pub fn strata(&self) -> &[String] {
        match self {
            Hosted::Epidemic(l) => &l.model.layout().strata,
            Hosted::Flood(f) => &f.noisy.layout().strata,
        }
    }
    /// What streams can feed: the epidemic spec's `[[assimilation.stream]]`
    /// columns, or the flood twin's `discharge`.
    pub fn observables(&self) -> Vec<String> {
        match self {
            Hosted::Epidemic(l) => l.assim.streams.iter().map(|s| s.column.clone()).collect(),
            Hosted::Flood(_) => vec![flood::OBSERVABLE.to_string()],
        }
    }
    /// Whether forecasts carry a weekly ensemble (that alert rules may read).
    pub fn has_weekly_ensemble(&self) -> bool {
        matches!(self, Hosted::Epidemic(_))
    }
    /// What streams can feed besides: series that forecasts follow but the
    /// filter does not fit (an epidemic stream's `leading_column`).
    pub fn leading_observables(&self) -> Vec<String> {
        match self {
            Hosted::Epidemic(l) => didymos_epi::twin::leading_columns(&l.assim),
            Hosted::Flood(_) => Vec::new(),
        }
    }
    /// Whether `observable` is fitted per stratum (records then need one).
    pub fn per_stratum(&self, observable: &str) -> bool {
        match self {
            Hosted::Epidemic(l) => l
                .assim
                .streams
                .iter()
                .any(|s| s.column == observable && s.per_stratum),
            Hosted::Flood(_) => false,
        }
    }
    /// Why `value` cannot be a value of the observable, if it cannot
    /// (beyond the stream's value type; see also
    /// [`crate::registry::TwinEntry::bad_value`]).
    pub fn bad_value(&self, value: f64) -> Option<&'static str> {
        match self {
            Hosted::Epidemic(_) => None,
            Hosted::Flood(_) => (value < 0.0).then_some("is negative: discharge is ≥ 0"),
        }
    }
    /// Checks a stream's unit (a flood twin converts discharge to mm/day).
    pub fn check_unit(&self, unit: &str) -> Result<(), String> {
        match self {
            Hosted::Epidemic(_) => Ok(()),
            Hosted::Flood(f) => f.to_mm_per_day(unit).map(|_| ()),
        }
    }
    /// The unit forecasts of a target are in, where the twin fixes one.
    pub fn forecast_unit(&self) -> Option<&'static str> {
        match self {
            Hosted::Epidemic(_) => None,
            Hosted::Flood(_) => Some(flood::UNIT),
        }
    }
    pub fn default_value_type(&self) -> ValueType {
        match self {
            Hosted::Epidemic(_) => ValueType::Count,
            Hosted::Flood(_) => ValueType::Real,
        }
    }
    pub fn default_members(&self) -> usize {
        match self {
            Hosted::Epidemic(l) => l.assim.members,
            Hosted::Flood(f) => f.twin.spec.assimilation.members,
        }
    }
    pub fn default_seed(&self) -> u64 {
        match self {
            Hosted::Epidemic(l) => l.spec.seed,
            Hosted::Flood(f) => f.twin.spec.assimilation.seed,
        }
    }
    /// Days forecast after each assimilation unless the request says.
    pub fn default_horizon(&self) -> usize {
        match self {
            Hosted::Epidemic(_) => 28,
            Hosted::Flood(f) => f.twin.spec.horizon,
        }
    }
    /// A flood twin's parameters (natural scale), by name.
    pub fn parameters(&self) -> Option<BTreeMap<String, f64>> {
        match self {
            Hosted::Epidemic(_) => None,
            Hosted::Flood(f) => Some(f.parameters()),
        }
    }
    /// The T-year flow of the observed record, for rules given a return period.
    pub fn return_period_flow(&self, years: f64) -> Result<f64, String> {
        match self {
            Hosted::Epidemic(_) => Err(
                "return periods are defined for flood twins (from their observed discharge record); give `threshold`"
                    .into(),
            ),
            Hosted::Flood(f) => f.return_period_flow(years),
        }
    }
    /// The spec and every data file it read, for provenance.
    pub fn inputs(&self) -> Vec<(&'static str, PathBuf)> {
        let mut out = vec![("spec", self.spec_path().to_path_buf())];
        match self {
            Hosted::Epidemic(l) => out.extend(l.spec.inputs.iter().map(|p| ("input", p.clone()))),
            Hosted::Flood(f) => {
                out.push(("forcing", f.twin.spec.forcing.clone()));
                out.push(("streamflow", f.twin.spec.streamflow.clone()));
            }
        }
        out
    }
}

/// What the live loop needs of a hosted twin; the steps around it
/// (completeness, checkpoints, provenance, storing, alerts) are shared.
pub trait LiveTwin {
    type M: Model;
    /// The data the filter assimilates: the stored `rows` (days after the
    /// checkpoint, and for a nowcast the weeks before) up to `cutoff`;
    /// with a `vintage`, as they stood at its end, the last days scaled as
    /// incomplete ([`StreamSet::first_incomplete_day`]) as the rows'
    /// revisions show. Kinds that do not nowcast ignore it.
    fn data(
        &self,
        streams: &HashMap<String, StreamRow>,
        rows: &[StoredObservation],
        cutoff: Date,
        vintage: Option<Date>,
    ) -> Result<StreamSet, String>;
    /// A fresh filter on day 1.
    fn start<'a>(
        &'a self,
        data: &'a StreamSet,
        members: usize,
        seed: u64,
    ) -> Result<Filter<'a, Self::M, StreamSet>, String>;
    /// The filter saved at `checkpoint`, continued on `data`.
    fn resume<'a>(
        &'a self,
        checkpoint: &Path,
        data: &'a StreamSet,
    ) -> Result<(Filter<'a, Self::M, StreamSet>, Saved), String>;
    /// Predictive samples `horizon` days past the filter's day.
    fn forecast(
        &self,
        filter: &Filter<'_, Self::M, StreamSet>,
        data: &StreamSet,
        horizon: usize,
    ) -> Result<Vec<StreamForecast>, String>;
    /// Adds what a checkpoint of this kind records besides the ensemble.
    fn checkpoint_meta(&self, _meta: &mut serde_json::Value) {}
    /// For scoring published forecasts: each forecast target of `data`'s
    /// record, the stream holding its observations, and the factor from
    /// that stream's values to the forecast's unit (1: the same).
    fn scored_streams<'d>(&self, data: &'d StreamSet) -> Vec<(String, &'d Stream, f64)> {
        data.streams()
            .iter()
            .map(|s| (s.name.clone(), s, 1.0))
            .collect()
    }
    /// Days of the record, ending at the origin, that [`Self::weekly_ensemble`]
    /// reads (0: this kind has none).
    fn history_days(&self) -> usize {
        0
    }
    /// The weekly ensemble of the forecast `fc` with its statistical
    /// companions, from `rows` (the last [`Self::history_days`] up to
    /// `cutoff`, the origin; with a `vintage`, as in [`Self::data`]).
    fn weekly_ensemble(
        &self,
        _streams: &HashMap<String, StreamRow>,
        _rows: &[StoredObservation],
        _cutoff: Date,
        _vintage: Option<Date>,
        _fc: &[StreamForecast],
    ) -> Result<Vec<WeeklyEnsemble>, String> {
        Ok(Vec::new())
    }
}
