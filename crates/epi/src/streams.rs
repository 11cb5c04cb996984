//! Bind observed counts (an [`ObservationTable`]) to the MMCA twin's
//! observables as core [`StreamSet`]s, the data side of every filter.

use didymos_core::observation::{
    Aggregation, Ascertainment, Delay, Noise, StrataMode, Stream, StreamSet, WeekdayEffect,
};
use std::path::PathBuf;

use didymos_core::{Date, Error, Located, Model, Result};

use crate::inputs::ObservationTable;
use crate::mmca::MmcaModel;

/// How one column of the observation table is seen by the model.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamSpec {
    /// Column of the observation table, e.g. `new_hospitalized`.
    pub column: String,
    /// Model observable it measures, e.g. `new_hospitalized`.
    pub observable: String,
    pub delay: Delay,
    pub ascertainment: DatedAscertainment,
    pub noise: Noise,
    /// Fit each stratum separately instead of the per-location total.
    pub per_stratum: bool,
    /// A `unit,location` CSV mapping model units onto the locations the
    /// stream reports (e.g. 2,850 zones onto 52 provinces); `None`: each
    /// unit reports as itself.
    pub aggregation: Option<PathBuf>,
    /// Another column of the observation table that this one follows with
    /// a lag (cases before admissions): not fitted, only read by the lead
    /// forecaster that companions the twin's forecasts.
    pub leading: Option<String>,
    /// A weekly reporting pattern; `None`: every day alike.
    pub weekday: Option<WeekdaySpec>,
}

/// How a stream's weekday factors are set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WeekdaySpec {
    /// Given factors, Sunday first (scaled to average 1 when the stream is
    /// built).
    Factors([f64; 7]),
    /// Estimated from the stream's daily totals over this many trailing
    /// weeks before each day ([`WeekdayEffect::fit`]).
    Estimate { window_weeks: usize },
}

/// The share of the model flow that is reported, as the spec gives it:
/// one value, or values that hold from a date on (the first also before
/// it), so a stream such as confirmed cases can follow changes in testing.
#[derive(Debug, Clone, PartialEq)]
pub enum DatedAscertainment {
    Constant(f64),
    /// `(from, value)` with strictly increasing dates.
    From(Vec<(Date, f64)>),
}

impl DatedAscertainment {
    /// On the model's day axis: a date before day 1 holds from day 1 (the
    /// latest such date wins), a date after the calendar is never reached.
    fn on_calendar(&self, cal: &didymos_core::Calendar) -> Ascertainment {
        match self {
            DatedAscertainment::Constant(a) => Ascertainment::Constant(*a),
            DatedAscertainment::From(points) => {
                let mut steps: Vec<(usize, f64)> = Vec::with_capacity(points.len());
                for &(date, value) in points {
                    let day = cal.day_of(date).max(1);
                    if day > cal.n_days() as i64 {
                        break;
                    }
                    let day = day as usize;
                    match steps.last_mut() {
                        Some(last) if last.0 == day => last.1 = value,
                        _ => steps.push((day, value)),
                    }
                }
                if steps.is_empty() {
                    // Every date lies after the calendar: the first value
                    // holds throughout.
                    steps.push((1, points[0].1));
                }
                Ascertainment::Daily(steps)
            }
        }
    }
}

/// How `spec`'s stream sums the model's cells into its locations.
pub fn stream_aggregation(model: &MmcaModel, spec: &StreamSpec) -> Result<Aggregation> {
    let layout = model.layout();
    let mode = if spec.per_stratum {
        StrataMode::PerStratum
    } else {
        StrataMode::AllStrata
    };
    let n_strata = layout.strata.len();
    match &spec.aggregation {
        None => Aggregation::identity(&layout.units, n_strata, mode),
        Some(path) => {
            let a = Aggregation::from_csv(path, &layout.units, n_strata, mode)?;
            if a.is_empty() {
                return Err(Error::input(
                    Located::file(path),
                    "the aggregation maps no model unit to a location",
                ));
            }
            Ok(a)
        }
    }
}

/// Every location an observation file may name: the model's units for
/// streams without an aggregation, and the locations of those with one
/// (in that order, without repeats).
pub fn observation_locations(model: &MmcaModel, specs: &[StreamSpec]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut add = |name: &str, out: &mut Vec<String>| {
        if seen.insert(name.to_string()) {
            out.push(name.to_string());
        }
    };
    if specs.is_empty() || specs.iter().any(|s| s.aggregation.is_none()) {
        for u in &model.layout().units {
            add(u, &mut out);
        }
    }
    for spec in specs.iter().filter(|s| s.aggregation.is_some()) {
        for loc in stream_aggregation(model, spec)?.locations() {
            add(&loc.location, &mut out);
        }
    }
    Ok(out)
}

/// Streams for `specs`, using only observations dated on or before
/// `cutoff` (so a forecast made on `cutoff` never sees later data) and
/// inside the model's calendar.
pub fn build_streams(
    model: &MmcaModel,
    table: &ObservationTable,
    specs: &[StreamSpec],
    cutoff: Option<Date>,
) -> Result<StreamSet> {
    let layout = model.layout();
    let cal = *model.calendar();
    let n_strata = layout.strata.len();
    let mut streams = Vec::new();
    for spec in specs {
        let at = Located::default().field(format!("streams.{}", spec.column));
        let observable = model
            .observables()
            .iter()
            .position(|o| o.name == spec.observable)
            .ok_or_else(|| {
                let names: Vec<&str> = model
                    .observables()
                    .iter()
                    .map(|o| o.name.as_str())
                    .collect();
                Error::input(
                    at.clone(),
                    didymos_core::suggest::unknown_key_message(&spec.observable, names),
                )
            })?;
        let column = table.variable_index(&spec.column).ok_or_else(|| {
            Error::input(
                at.clone(),
                format!("the observation file has no column `{}`", spec.column),
            )
        })?;
        let aggregation = stream_aggregation(model, spec)?;
        let mut stream = Stream::new(spec.column.clone(), observable, aggregation)
            .with_delay(spec.delay.clone())
            .with_ascertainment(spec.ascertainment.on_calendar(&cal))
            .with_weekday(
                spec.weekday
                    .map(|w| {
                        let day1 = (cal.start.iso_weekday() % 7) as usize;
                        match w {
                            WeekdaySpec::Factors(f) => WeekdayEffect::new(f, day1),
                            WeekdaySpec::Estimate { window_weeks } => {
                                WeekdayEffect::estimated(window_weeks, day1)
                            }
                        }
                    })
                    .transpose()
                    .map_err(|e| Error::input(at.clone(), e))?,
            )
            .with_noise(spec.noise);
        for (&(date, loc, stratum), values) in &table.rows {
            if cutoff.is_some_and(|c| date > c) {
                break;
            }
            let Some(day) = cal.day_in_range(date) else {
                continue;
            };
            let location = &table.locations[loc];
            if spec.per_stratum {
                if let Some(v) = values[column] {
                    stream.insert(day, location, Some(stratum), v)?;
                }
            } else if stratum == 0 {
                if let Some(v) = table.total(column, date, loc) {
                    stream.insert(day, location, None, v)?;
                }
            }
        }
        streams.push(stream);
    }
    // Filters then keep histories of the observables the streams read only
    // (hospitalisations: 1 of the model's 4), a quarter of the memory,
    // resampling and checkpoint size, with the same numbers.
    Ok(StreamSet::new(
        streams,
        layout.units.len(),
        n_strata,
        model.observables().len(),
    )?
    .compact())
}

/// For each of `specs`, the stream of its leading column (same locations,
/// strata handling and cutoff; no observation model, never fitted), or
/// `None` where it has none.
pub fn build_leading_streams(
    model: &MmcaModel,
    table: &ObservationTable,
    specs: &[StreamSpec],
    cutoff: Option<Date>,
) -> Result<Vec<Option<Stream>>> {
    specs
        .iter()
        .map(|spec| {
            let Some(column) = &spec.leading else {
                return Ok(None);
            };
            let as_stream = StreamSpec {
                column: column.clone(),
                leading: None,
                ..spec.clone()
            };
            let set = build_streams(model, table, std::slice::from_ref(&as_stream), cutoff)?;
            Ok(set.streams().first().cloned())
        })
        .collect()
}
