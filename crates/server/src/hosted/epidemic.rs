//! The epidemic (MMCA) twin in the service: its spec loaded without the
//! spec's observation file (the service's store feeds it), the stored
//! rows as an observation table, and the live loop's steps.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use didymos_core::observation::StreamSet;
use didymos_core::{Date, Model};
use didymos_epi::inputs::{Issue, Key, ObservationTable};
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

/// A stored value's cell: (date, location index, stratum index or `None`
/// for a location total, variable index).
type Cell = (Date, usize, Option<usize>, usize);

/// A cell's values in arrival order, each with the day it was issued.
type Versions = Vec<(Date, f64)>;

/// The observation table the filter sees for the new rows: per cell, the
/// last value that arrived; a location total (no stratum) replaces the
/// strata of its day. With `revisions`, it also keeps each row's issues
/// (see [`ObservationTable::revisions`]), dated by the records' `issued`
/// time or else their arrival, for reading the record as it stood on a
/// day and learning how complete recent counts are.
pub fn table_of(
    twin: &LoadedTwin,
    streams: &HashMap<String, StreamRow>,
    rows: &[StoredObservation],
    revisions: bool,
) -> ObservationTable {
    // The fitted columns and the leading ones (which only the weekly
    // ensemble reads).
    let variables = twin.table.variables.clone();
    // The locations records may name: the model's units, or the locations
    // of streams aggregated through a lookup (set when the twin was loaded).
    let (units, strata) = (&twin.table.locations, &twin.model.layout().strata);
    // Each cell's values in arrival order, with the day each was issued.
    let mut cells: BTreeMap<Cell, Versions> = BTreeMap::new();
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
        let issued = didymos_core::timestamp::day_of(o.issued_ms.unwrap_or(o.received_ms));
        let issued = Date::from_days_since_epoch(issued).max(date);
        cells
            .entry((date, loc, stratum, col))
            .or_default()
            .push((issued, o.value));
    }
    let width = (variables.len(), strata.len());
    let last = cells.iter().filter_map(|(k, v)| Some((*k, v.last()?.1)));
    let table_rows = collapse(last, width);
    let revisions = if revisions {
        issues(&cells, width)
    } else {
        BTreeMap::new()
    };
    ObservationTable {
        variables,
        locations: units.to_vec(),
        strata: strata.to_vec(),
        rows: table_rows,
        revisions,
    }
}

/// Table rows from cell values: a location total goes in stratum 0 and
/// sets the day's other strata to 0.
fn collapse(
    cells: impl Iterator<Item = (Cell, f64)>,
    (n_variables, n_strata): (usize, usize),
) -> BTreeMap<Key, Vec<Option<f64>>> {
    let (by_stratum, totals): (Vec<_>, Vec<_>) = cells.partition(|(k, _)| k.2.is_some());
    let mut rows: BTreeMap<Key, Vec<Option<f64>>> = BTreeMap::new();
    let blank = vec![None; n_variables];
    for ((date, loc, stratum, col), v) in by_stratum {
        let s = stratum.unwrap_or(0);
        rows.entry((date, loc, s)).or_insert(blank.clone())[col] = Some(v);
    }
    for ((date, loc, _, col), v) in totals {
        rows.entry((date, loc, 0)).or_insert(blank.clone())[col] = Some(v);
        for s in 1..n_strata {
            if let Some(r) = rows.get_mut(&(date, loc, s)) {
                r[col] = Some(0.0);
            }
        }
    }
    rows
}

/// Every issue of the rows of each (date, location) that had a value
/// issued after its date or more than once: for each day something of it
/// was issued, its rows as they stood then (an issue equal to the one
/// before is not one).
fn issues(cells: &BTreeMap<Cell, Versions>, width: (usize, usize)) -> BTreeMap<Key, Vec<Issue>> {
    let mut out: BTreeMap<Key, Vec<Issue>> = BTreeMap::new();
    let mut groups: BTreeMap<(Date, usize), Vec<(&Cell, &Versions)>> = BTreeMap::new();
    for (k, v) in cells {
        groups.entry((k.0, k.1)).or_default().push((k, v));
    }
    for ((date, _), group) in groups {
        let revised = group
            .iter()
            .any(|(_, v)| v.len() > 1 || v.first().is_some_and(|(i, _)| *i > date));
        if !revised {
            continue;
        }
        let mut days: Vec<Date> = group
            .iter()
            .flat_map(|(_, v)| v.iter().map(|(i, _)| *i))
            .collect();
        days.sort_unstable();
        days.dedup();
        for day in days {
            // Each cell's last arrival issued by `day`.
            let known = group.iter().filter_map(|(k, v)| {
                let value = v.iter().rev().find(|(i, _)| *i <= day)?.1;
                Some((**k, value))
            });
            for (key, values) in collapse(known, width) {
                let seen = out.entry(key).or_default();
                if seen.last().is_none_or(|(_, v)| *v != values) {
                    seen.push((day, values));
                }
            }
        }
    }
    out
}

impl LiveTwin for LoadedTwin {
    type M = MmcaModel;

    fn data(
        &self,
        streams: &HashMap<String, StreamRow>,
        rows: &[StoredObservation],
        cutoff: Date,
        vintage: Option<Date>,
    ) -> Result<StreamSet, String> {
        let table = table_of(self, streams, rows, vintage.is_some());
        match vintage {
            Some(v) => self.streams_issued(&table, v, cutoff),
            None => build_streams(&self.model, &table, &self.assim.streams, Some(cutoff)),
        }
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
        vintage: Option<Date>,
        fc: &[StreamForecast],
    ) -> Result<Vec<WeeklyEnsemble>, String> {
        let err = |e: didymos_core::Error| e.to_string();
        let table = table_of(self, streams, rows, vintage.is_some());
        let specs = &self.assim.streams;
        let (data, leading) = match vintage {
            Some(v) => (
                self.streams_issued(&table, v, cutoff).map_err(err)?,
                self.leading_streams_issued(&table, v, cutoff)
                    .map_err(err)?,
            ),
            None => (
                build_streams(&self.model, &table, specs, Some(cutoff)).map_err(err)?,
                build_leading_streams(&self.model, &table, specs, Some(cutoff)).map_err(err)?,
            ),
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: &str) -> Date {
        day.parse().unwrap()
    }

    /// One location, two strata, one variable: stratum 0 first at 4, then
    /// 9 three days on and sent again unchanged; stratum 1 once, on its
    /// date; a later total replaces both.
    #[test]
    fn issues_are_the_rows_as_they_stood_each_day_something_came() {
        let date = d("2020-03-01");
        let mut cells: BTreeMap<Cell, Versions> = BTreeMap::new();
        cells.insert(
            (date, 0, Some(0), 0),
            vec![(date, 4.0), (d("2020-03-04"), 9.0), (d("2020-03-06"), 9.0)],
        );
        cells.insert((date, 0, Some(1), 0), vec![(date, 2.0)]);
        let issued = issues(&cells, (1, 2));
        assert_eq!(
            issued[&(date, 0, 0)],
            vec![(date, vec![Some(4.0)]), (d("2020-03-04"), vec![Some(9.0)])]
        );
        // Part of a revised day: its one issue is listed too.
        assert_eq!(issued[&(date, 0, 1)], vec![(date, vec![Some(2.0)])]);

        cells.insert((date, 0, None, 0), vec![(d("2020-03-08"), 12.0)]);
        let issued = issues(&cells, (1, 2));
        assert_eq!(
            issued[&(date, 0, 0)].last(),
            Some(&(d("2020-03-08"), vec![Some(12.0)]))
        );
        assert_eq!(
            issued[&(date, 0, 1)].last(),
            Some(&(d("2020-03-08"), vec![Some(0.0)]))
        );
        let last = cells.iter().map(|(k, v)| (*k, v.last().unwrap().1));
        let rows = collapse(last, (1, 2));
        for (key, list) in &issued {
            assert_eq!(list.last().map(|l| &l.1), rows.get(key), "{key:?}");
        }

        // A day issued once, on its date, has no issues.
        let mut on_time: BTreeMap<Cell, Versions> = BTreeMap::new();
        on_time.insert((date, 0, Some(0), 0), vec![(date, 4.0)]);
        assert!(issues(&on_time, (1, 2)).is_empty());
    }
}
