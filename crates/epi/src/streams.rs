//! Bind observed counts (an [`ObservationTable`]) to the MMCA twin's
//! observables as core [`StreamSet`]s, the data side of every filter.

use didymos_core::observation::{
    Aggregation, Ascertainment, Delay, Noise, StrataMode, Stream, StreamSet,
};
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
    pub ascertainment: Ascertainment,
    pub noise: Noise,
    /// Fit each stratum separately instead of the per-location total.
    pub per_stratum: bool,
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
        let mode = if spec.per_stratum {
            StrataMode::PerStratum
        } else {
            StrataMode::AllStrata
        };
        let aggregation = Aggregation::identity(&layout.units, n_strata, mode)?;
        let mut stream = Stream::new(spec.column.clone(), observable, aggregation)
            .with_delay(spec.delay.clone())
            .with_ascertainment(spec.ascertainment.clone())
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
    StreamSet::new(
        streams,
        layout.units.len(),
        n_strata,
        model.observables().len(),
    )
}
