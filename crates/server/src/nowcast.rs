//! What the live loop needs to nowcast: which day the stored record
//! stands at, how far back its revisions are read, and when there is
//! news for a twin whose checkpoint stays behind its forecast origin.
//!
//! A nowcasting twin reads the last days' counts as incomplete, scaled by
//! how complete counts of that age have been (learnt from the record's
//! own revisions: `didymos_epi::inputs::ObservationTable::completeness`).
//! Those days are provisional, so the twin checkpoints before the first of
//! them and reads them afresh at every update, as `didymos forecast
//! --until` does with a file's `issued_column`.

use didymos_core::observation::StreamSet;
use didymos_core::timestamp::day_of;
use didymos_core::{Calendar, Date};

use crate::jobs::{Nowcast, ProvisionalDays};

use crate::store::{self, StoredObservation, TwinRow};
use crate::AppState;

/// Days before the forecast origin whose rows an update reads: the
/// longest reporting delay learnt (56 days) plus the 56-day window the
/// completeness is learnt over, and a week to spare.
pub const LOOKBACK_DAYS: i32 = 56 + 56 + 7;

/// The day the stored record stands at: the last day a row was issued
/// (its `issued` time, else its arrival). `None` without rows.
pub fn vintage(rows: &[StoredObservation]) -> Option<Date> {
    rows.iter()
        .map(|o| day_of(o.issued_ms.unwrap_or(o.received_ms)).max(o.day))
        .max()
        .map(Date::from_days_since_epoch)
}

/// Whether anything was stored or retracted since `row`'s last nowcast
/// update read its rows (always, before its first).
pub fn has_news(state: &AppState, row: &TwinRow) -> Result<bool, String> {
    let Some(read) = row.nowcast_read_ms else {
        return Ok(true);
    };
    let id = row.id.clone();
    let last = state
        .store
        .read_blocking(move |c| store::last_change_ms(c, &id))
        .map_err(|e| e.to_string())?;
    Ok(last.is_some_and(|t| t >= read))
}

/// Records that an update read `row`'s rows through day `target` (days
/// since 1970-01-01) at `read_ms` and published from them (if the twin was
/// not reset or rewound meanwhile). Not if rows for a later day had come
/// by then (a day not yet complete): those are news still.
pub fn record_read(
    state: &AppState,
    row: &TwinRow,
    target: i32,
    read_ms: i64,
) -> Result<(), String> {
    let (id, generation) = (row.id.clone(), row.generation);
    state
        .store
        .write_blocking(move |c| {
            if store::stored_after_day(c, &id, target, read_ms)? {
                return Ok(());
            }
            store::set_nowcast_read(c, &id, generation, read_ms)
        })
        .map_err(|e| e.to_string())
}

/// What `data`, read as the record stood at `vintage`, holds as
/// incomplete: for the forecast, so its users see which days are
/// provisional and how complete they were taken to be.
pub fn provisional(data: &StreamSet, calendar: &Calendar, vintage: Date) -> Nowcast {
    Nowcast {
        vintage: vintage.to_string(),
        provisional: data
            .streams()
            .iter()
            .filter(|s| !s.completeness.is_empty())
            .map(|s| ProvisionalDays {
                target: s.name.clone(),
                dates: s
                    .completeness
                    .keys()
                    .map(|&d| calendar.date_of(d).to_string())
                    .collect(),
                reported_share: s
                    .completeness
                    .values()
                    .map(|share| (share * 1000.0).round() / 1000.0)
                    .collect(),
            })
            .collect(),
    }
}
