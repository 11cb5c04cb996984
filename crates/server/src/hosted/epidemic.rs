//! The epidemic (MMCA) twin in the service: its spec loaded without the
//! spec's observation file (the service's store feeds it), the stored
//! rows as an observation table, and the live loop's steps.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use didymos_core::observation::StreamSet;
use didymos_core::{Date, Model};
use didymos_epi::inputs::ObservationTable;
use didymos_epi::mmca::MmcaModel;
use didymos_epi::spec::load_spec;
use didymos_epi::streams::{build_leading_streams, build_streams, observation_locations};
use didymos_epi::twin::{observation_columns, twin_model, LoadedTwin};
use didymos_twin::checkpoint::{self, Saved};
use didymos_twin::companions::{history_days, weekly_ensembles, WeeklyEnsemble};
use didymos_twin::filter::Filter;
use didymos_twin::predict::{forecast_with, StreamForecast};

use super::LiveTwin;
use crate::store::{StoredObservation, StreamRow};

/// Loads the spec at `path` as a twin the service can filter. The error
/// is the CLI's text for the same spec.
pub fn load(path: &Path) -> Result<LoadedTwin, String> {
    let (spec, warnings) = load_spec(path).map_err(|e| e.to_string())?;
    for w in &warnings {
        tracing::warn!("{}: {w}", path.display());
    }
    let (spec, assim, model) = twin_model(spec).map_err(|e| e.to_string())?;
    let locations = observation_locations(&model, &assim.streams).map_err(|e| e.to_string())?;
    let table = ObservationTable {
        variables: observation_columns(&assim),
        locations,
        strata: model.layout().strata.clone(),
        rows: BTreeMap::new(),
        revisions: BTreeMap::new(),
    };
    Ok(LoadedTwin {
        observations: path.to_path_buf(),
        spec,
        assim,
        model,
        table,
    })
}

/// The most people a count can be, per location and stratum, worked out
/// once per twin (ingest checks every record against it).
pub struct Populations {
    strata: Vec<String>,
    /// A model unit's population by stratum.
    by_unit: HashMap<String, Vec<f64>>,
    total: f64,
}

impl Populations {
    pub fn of(twin: &LoadedTwin) -> Populations {
        let meta = &twin.model.setup().metapopulation;
        Populations {
            strata: twin.model.layout().strata.clone(),
            by_unit: meta
                .ids
                .iter()
                .cloned()
                .zip(meta.population.iter().cloned())
                .collect(),
            total: meta.population.iter().flatten().sum(),
        }
    }

    /// Why `value` cannot be a count at `location` (and `stratum`), if it
    /// is more people than live there: the unit's (or its stratum's)
    /// population for a model unit, the whole twin's for a location that
    /// streams report through a lookup.
    pub fn exceeded(&self, value: f64, location: &str, stratum: Option<&str>) -> Option<String> {
        let row = self.by_unit.get(location);
        let k = stratum.and_then(|s| self.strata.iter().position(|x| x == s));
        let cap = match (row, k) {
            (Some(row), Some(k)) if k < row.len() => row[k],
            (Some(row), _) => row.iter().sum(),
            (None, _) => self.total,
        };
        if value <= cap {
            return None;
        }
        let whose = match (row, k) {
            (Some(row), Some(k)) if k < row.len() => {
                format!(
                    "the population of `{location}`, stratum `{}`",
                    self.strata[k]
                )
            }
            (Some(_), _) => format!("the population of `{location}`"),
            (None, _) => "the twin's whole population".into(),
        };
        Some(format!(
            "is more than {whose} ({}): no count of people can exceed it",
            didymos_core::show_number(cap.round())
        ))
    }
}

/// The observation table the filter sees for the new rows: per cell, the
/// last value that arrived; a location total (no stratum) replaces the
/// strata of its day.
pub fn table_of(
    twin: &LoadedTwin,
    streams: &HashMap<String, StreamRow>,
    rows: &[StoredObservation],
) -> ObservationTable {
    // The fitted columns and the leading ones (which only the weekly
    // ensemble reads).
    let variables = twin.table.variables.clone();
    // The locations records may name: the model's units, or the locations
    // of streams aggregated through a lookup (set when the twin was loaded).
    let (units, strata) = (&twin.table.locations, &twin.model.layout().strata);
    let mut cells: BTreeMap<(Date, usize, Option<usize>, usize), f64> = BTreeMap::new();
    for o in rows {
        let Some(s) = streams.get(&o.stream) else {
            continue;
        };
        let Some(col) = variables.iter().position(|v| *v == s.observable) else {
            continue;
        };
        let Some(loc) = o
            .location
            .as_ref()
            .and_then(|l| units.iter().position(|u| u == l))
        else {
            continue;
        };
        let stratum = o
            .stratum
            .as_ref()
            .and_then(|x| strata.iter().position(|u| u == x));
        let date = Date::from_days_since_epoch(o.day);
        cells.insert((date, loc, stratum, col), o.value);
    }
    let mut table_rows: BTreeMap<(Date, usize, usize), Vec<Option<f64>>> = BTreeMap::new();
    let blank = vec![None; variables.len()];
    for (&(date, loc, stratum, col), &v) in cells.iter().filter(|(k, _)| k.2.is_some()) {
        let s = stratum.unwrap_or(0);
        table_rows.entry((date, loc, s)).or_insert(blank.clone())[col] = Some(v);
    }
    for (&(date, loc, _, col), &v) in cells.iter().filter(|(k, _)| k.2.is_none()) {
        table_rows.entry((date, loc, 0)).or_insert(blank.clone())[col] = Some(v);
        for s in 1..strata.len() {
            if let Some(r) = table_rows.get_mut(&(date, loc, s)) {
                r[col] = Some(0.0);
            }
        }
    }
    ObservationTable {
        variables,
        locations: units.to_vec(),
        strata: strata.to_vec(),
        rows: table_rows,
        // The store keeps each cell's latest value: the live twin reads
        // the record as it stands now.
        revisions: BTreeMap::new(),
    }
}

impl LiveTwin for LoadedTwin {
    type M = MmcaModel;

    fn data(
        &self,
        streams: &HashMap<String, StreamRow>,
        rows: &[StoredObservation],
        cutoff: Date,
    ) -> Result<StreamSet, String> {
        let table = table_of(self, streams, rows);
        build_streams(&self.model, &table, &self.assim.streams, Some(cutoff))
            .map_err(|e| e.to_string())
    }

    fn start<'a>(
        &'a self,
        data: &'a StreamSet,
        members: usize,
        seed: u64,
    ) -> Result<Filter<'a, MmcaModel, StreamSet>, String> {
        self.filter(data, members, seed).map_err(|e| e.to_string())
    }

    fn resume<'a>(
        &'a self,
        ck: &Path,
        data: &'a StreamSet,
    ) -> Result<(Filter<'a, MmcaModel, StreamSet>, Saved), String> {
        checkpoint::resume(
            ck,
            &self.model,
            data,
            self.pf_options(data).map_err(|e| e.to_string())?,
            self.eakf_options(data),
        )
        .map_err(|e| e.to_string())
    }

    fn forecast(
        &self,
        filter: &Filter<'_, MmcaModel, StreamSet>,
        data: &StreamSet,
        horizon: usize,
    ) -> Result<Vec<StreamForecast>, String> {
        let ens = filter.ensemble();
        // Measures after the origin are unknown at the origin: hold those in force.
        let frozen = self
            .model
            .with_containments_until(ens.day())
            .map_err(|e| e.to_string())?;
        forecast_with(
            &frozen,
            ens,
            filter.history(),
            &filter.log_weights(),
            data,
            horizon,
            ens.seed(),
        )
        .map_err(|e| e.to_string())
    }

    fn history_days(&self) -> usize {
        history_days(&self.assim.companions)
    }

    fn weekly_ensemble(
        &self,
        streams: &HashMap<String, StreamRow>,
        rows: &[StoredObservation],
        cutoff: Date,
        fc: &[StreamForecast],
    ) -> Result<Vec<WeeklyEnsemble>, String> {
        let err = |e: didymos_core::Error| e.to_string();
        let table = table_of(self, streams, rows);
        let specs = &self.assim.streams;
        let data = build_streams(&self.model, &table, specs, Some(cutoff)).map_err(err)?;
        let leading =
            build_leading_streams(&self.model, &table, specs, Some(cutoff)).map_err(err)?;
        let origin = self
            .calendar()
            .day_in_range(cutoff)
            .ok_or_else(|| format!("{cutoff} is outside the twin's range"))?;
        let ensembles = weekly_ensembles(
            fc,
            (&data, &leading),
            (origin, cutoff),
            &self.assim.companions,
        )
        .map_err(err)?;
        for (stream, locations) in &ensembles.left_out {
            tracing::debug!(
                "weekly ensemble: {stream} has no trend at {} (under two weeks of data, or a negative week)",
                locations.join(", ")
            );
        }
        Ok(ensembles.forecasts)
    }
}
