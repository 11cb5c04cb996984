//! One step of the live loop for one twin: assimilate the days that are
//! complete since the last checkpoint (resuming the filter from it, never
//! refitting), save the new checkpoint, forecast from it, evaluate the
//! alert rules, and publish. Runs on a blocking thread. The steps are the
//! same for every kind of twin; what differs (its data, filter and
//! forecast) is behind [`LiveTwin`].
//!
//! A day is complete when data for a later day has arrived, when every
//! location of the twin has reported for it (a total, or every stratum),
//! or when the twin's streams have been quiet for its `settle_ms`. Values
//! for a day already assimilated (its checkpoint recorded) are stored and
//! wait for a reassimilation, or, for a twin whose late values rewind, send
//! it back to an earlier checkpoint at once: the past of a filter is never
//! rewritten in place. A value stored or retracted while an update that
//! covers its day runs supersedes that update, and the next one reads it.
//!
//! A twin that nowcasts (see [`crate::nowcast`]) reads its last days as
//! incomplete and checkpoints before them, so each update reads them
//! afresh; it updates again whenever anything is stored or retracted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use didymos_core::Date;
use didymos_twin::checkpoint;
use didymos_twin::companions::WeeklyEnsemble;
use didymos_twin::predict::StreamForecast;

use crate::hosted::{Hosted, LiveTwin};
use crate::nowcast;
use crate::registry::TwinEntry;
use crate::store::{self, now_ms, StoredObservation, TwinRow};
use crate::AppState;

/// What the worker should do next for this twin.
#[derive(Debug, Default)]
pub struct StepOutcome {
    /// Look again after this long (data wait for their day to complete).
    pub recheck_after: Option<Duration>,
}

pub fn new_run_id(kind: &str) -> String {
    use rand::Rng;
    let n: u32 = rand::thread_rng().gen();
    format!("{kind}-{}-{n:08x}", now_ms())
}

/// Assimilates and forecasts `twin` if it has complete new days.
pub fn step(state: &AppState, twin: &TwinEntry) -> Result<StepOutcome, String> {
    let id = twin.id.clone();
    let row = state
        .store
        .read_blocking(move |c| store::get_twin(c, &id))
        .map_err(|e| e.to_string())?;
    let id = twin.id.clone();
    let Some((last_day, last_received)) = state
        .store
        .read_blocking(move |c| store::last_day(c, &id))
        .map_err(|e| e.to_string())?
    else {
        return Ok(StepOutcome::default());
    };
    let cal = twin.hosted.calendar();
    // Day 1 holds the initial condition; data start to count after it.
    let done_through = row
        .assimilated_through()
        .map_err(|e| e.to_string())?
        .unwrap_or(cal.start.days_since_epoch());
    if last_day <= done_through {
        return Ok(StepOutcome::default());
    }
    let quiet_for = now_ms() - last_received;
    let complete = quiet_for >= row.settle_ms as i64 || day_complete(state, twin, last_day)?;
    let target = if complete { last_day } else { last_day - 1 };
    let recheck = (!complete)
        .then(|| Duration::from_millis((row.settle_ms as i64 - quiet_for).max(10) as u64));
    // A nowcasting twin's checkpoint stays behind its last forecast: its
    // days since are redone only when something changed.
    if target <= done_through || row.nowcast && !nowcast::has_news(state, &row)? {
        return Ok(StepOutcome {
            recheck_after: recheck,
        });
    }
    assimilate_and_forecast(state, twin, &row, done_through, target)?;
    Ok(StepOutcome {
        recheck_after: recheck,
    })
}

/// Every location has a total, or every stratum, on `day`.
fn day_complete(state: &AppState, twin: &TwinEntry, day: i32) -> Result<bool, String> {
    let id = twin.id.clone();
    let cells = state
        .store
        .read_blocking(move |c| store::cells_on_day(c, &id, day))
        .map_err(|e| e.to_string())?;
    let n_strata = twin.strata().len();
    let mut per_location: BTreeMap<&str, (bool, usize)> = BTreeMap::new();
    for (loc, stratum) in &cells {
        let Some(loc) = loc else { continue };
        let e = per_location.entry(loc.as_str()).or_default();
        match stratum {
            None => e.0 = true,
            Some(_) => e.1 += 1,
        }
    }
    Ok(twin.locations().iter().all(|u| {
        per_location
            .get(u.as_str())
            .is_some_and(|&(total, strata)| total || strata >= n_strata)
    }))
}

fn assimilate_and_forecast(
    state: &AppState,
    twin: &TwinEntry,
    row: &TwinRow,
    done_through: i32,
    target: i32,
) -> Result<(), String> {
    match &twin.hosted {
        Hosted::Epidemic(t) => run(state, twin, t.as_ref(), row, done_through, target),
        Hosted::Flood(t) => run(state, twin, t.as_ref(), row, done_through, target),
    }
}

/// The live step for a twin of any kind `T`.
fn run<T: LiveTwin>(
    state: &AppState,
    twin: &TwinEntry,
    domain: &T,
    row: &TwinRow,
    done_through: i32,
    target: i32,
) -> Result<(), String> {
    let started = Instant::now();
    let cal = twin.hosted.calendar();
    let target_date = Date::from_days_since_epoch(target).min(cal.end);
    let target_day = cal
        .day_in_range(target_date)
        .ok_or_else(|| format!("{target_date} is outside the twin's range"))?;
    let id = twin.id.clone();
    // Anything stored or retracted from now on for the days read here was
    // not seen by this update (see `store::set_checkpoint`).
    let read_ms = now_ms();
    // A nowcast also reads the weeks before, whose revisions show how
    // complete the last days are.
    let read_after = match row.nowcast {
        true => done_through.min(target - nowcast::LOOKBACK_DAYS),
        false => done_through,
    };
    let rows = state
        .store
        .read_blocking(move |c| store::observations_between_days(c, &id, read_after, target))
        .map_err(|e| e.to_string())?;
    let vintage = row.nowcast.then(|| nowcast::vintage(&rows)).flatten();
    let data = domain.data(&twin.streams(), &rows, target_date, vintage)?;

    let previous = row.checkpoint_path.as_ref().map(PathBuf::from);
    let (mut filter, from_day) = match &previous {
        Some(ck) => {
            let (f, saved) = domain.resume(ck, &data)?;
            (f, saved.day)
        }
        None => (domain.start(&data, row.members, row.seed)?, 1),
    };
    // Provisional days (a nowcast's last, still incomplete counts) are
    // read afresh by every update: the checkpoint stays before them. One
    // already past the first of them (the learnt delay grew) stays where
    // it is until the days catch up; a reassimilation re-reads them.
    let keep_day = data
        .first_incomplete_day()
        .map_or(target_day, |d| d.saturating_sub(1).min(target_day));
    let kept = match keep_day {
        d if d >= target_day || d <= from_day => None,
        d => {
            filter.advance_to(d).map_err(|e| e.to_string())?;
            Some(filter.fork(&data).map_err(|e| e.to_string())?)
        }
    };
    filter.advance_to(target_day).map_err(|e| e.to_string())?;
    let assimilated_ms = started.elapsed().as_millis() as u64;

    // The forecast first: it is what users wait for. A crash before the
    // checkpoint below is saved only means these days are assimilated
    // again at restart, giving the same forecast (same seed, same data).
    let horizon = row.horizon_days.min(cal.n_days() - target_day);
    let forecast = match horizon {
        0 => None,
        h => {
            let t0 = Instant::now();
            let fc = domain.forecast(&filter, &data, h)?;
            let origin = cal.date_of(filter.ensemble().day());
            let members = filter.ensemble().len();
            let simulate_ms = t0.elapsed().as_millis() as u64;
            let t1 = Instant::now();
            let weekly = weekly_ensemble(
                state,
                twin,
                domain,
                (target, vintage),
                target_date,
                &fc,
                (read_after, &rows),
            )?;
            let ensemble_ms = t1.elapsed().as_millis() as u64;
            Some(crate::jobs::publish_forecast(
                state,
                twin,
                (&fc, &weekly),
                (origin, members),
                started,
                (simulate_ms, ensemble_ms),
                vintage.map(|v| nowcast::provisional(&data, &cal, v)),
            )?)
        }
    };
    let saving = match (&kept, keep_day > from_day) {
        (Some(k), _) => Some((k, keep_day)),
        (None, true) => Some((&filter, target_day)),
        (None, false) => None,
    };
    let Some((saving, checkpoint_day)) = saving else {
        // Every new day is still provisional: no checkpoint to add. The
        // forecast came from the last one and the rows read.
        if let Some(f) = &forecast {
            let obs_file = f.run_dir.join("observations.csv");
            write_observations(&obs_file, &rows)?;
            let mut used = vec![("observations", obs_file.as_path())];
            used.extend(previous.as_deref().map(|p| ("checkpoint", p)));
            crate::jobs::record_forecast(state, twin, f, &used)?;
        }
        nowcast::record_read(state, row, target, read_ms)?;
        return Ok(());
    };
    let checkpoint_date = cal.date_of(checkpoint_day);

    let run_id = new_run_id("assimilate");
    let run_dir = state.runs_dir().join(&run_id);
    std::fs::create_dir_all(&run_dir).map_err(|e| e.to_string())?;
    let ck = run_dir.join("checkpoint.bin");
    let mut meta = serde_json::json!({
        "twin": twin.id,
        "spec": twin.hosted.spec_path(),
        "data_cutoff": checkpoint_date.to_string(),
    });
    domain.checkpoint_meta(&mut meta);
    checkpoint::save(&ck, saving, meta).map_err(|e| e.to_string())?;
    let mut result = serde_json::json!({
        "from_day": cal.date_of(from_day).to_string(),
        "through": target_date.to_string(),
        "resumed_from": previous,
        "observations": rows.len(),
        "members": filter.ensemble().len(),
        "filter": filter.kind(),
        "elapsed_ms": assimilated_ms,
    });
    if let Some(v) = vintage {
        result["nowcast"] = serde_json::json!({
            "vintage": v.to_string(),
            "checkpoint_through": checkpoint_date.to_string(),
        });
    }
    let obs_file = run_dir.join("observations.csv");
    write_observations(&obs_file, &rows)?;
    let mut prov = crate::jobs::recorder(
        "assimilate",
        &[&twin.id, "--until", &checkpoint_date.to_string()],
    );
    crate::jobs::record_spec(&mut prov, &twin.hosted)?;
    let prov_err = |e: didymos_prov::Error| e.to_string();
    prov.used("observations", &obs_file).map_err(prov_err)?;
    if let Some(p) = &previous {
        prov.used("checkpoint", p).map_err(prov_err)?;
    }
    prov.generated("checkpoint", &ck).map_err(prov_err)?;
    prov.finish(&run_dir).map_err(prov_err)?;
    crate::jobs::record_finished_run(state, &twin.id, &run_id, "assimilate", &run_dir, &result)?;
    let record = store::NewCheckpoint {
        twin: twin.id.clone(),
        generation: row.generation,
        path: ck.to_string_lossy().into_owned(),
        day: checkpoint_day,
        date: checkpoint_date.to_string(),
        run: run_id.clone(),
        read_ms,
    };
    let kept = state
        .store
        .write_blocking(move |c| store::set_checkpoint(c, &record, now_ms()))
        .map_err(|e| e.to_string())?;
    // The forecast is out either way, so its provenance is recorded either
    // way: it came from this checkpoint (and, for provisional days after
    // it, the rows read), kept or not.
    if let Some(f) = &forecast {
        let mut used = vec![("checkpoint", ck.as_path())];
        if checkpoint_day < target_day {
            used.push(("observations", obs_file.as_path()));
        }
        crate::jobs::record_forecast(state, twin, f, &used)?;
    }
    if !kept {
        // The twin was reset, or a value for a day it read was stored or
        // retracted, while this update ran; that marked it dirty, so an
        // update that sees it follows. Nothing will resume from this
        // checkpoint (the run is marked superseded, its prov.json keeps the
        // file's hash).
        tracing::info!(
            "twin `{}`: update superseded by a change to its data",
            twin.id
        );
        let _ = std::fs::remove_file(&ck);
        return Ok(());
    }
    if row.nowcast {
        nowcast::record_read(state, row, target, read_ms)?;
    }
    crate::events::publish(&state.events, "assimilation", &twin.id, result);
    crate::retention::prune(state, &twin.id, &row.late_values);
    Ok(())
}

/// The forecast's weekly ensemble with its companions, from the last
/// `history_days` of the stored record (not the whole record: the step
/// stays within its latency budget however long the twin has run). Empty
/// for twins without one and for horizons under a week.
fn weekly_ensemble<T: LiveTwin>(
    state: &AppState,
    twin: &TwinEntry,
    domain: &T,
    (target, vintage): (i32, Option<Date>),
    target_date: Date,
    fc: &[StreamForecast],
    (read_after, read): (i32, &[StoredObservation]),
) -> Result<Vec<WeeklyEnsemble>, String> {
    let days = domain.history_days();
    if days == 0 {
        return Ok(Vec::new());
    }
    let id = twin.id.clone();
    let days = match vintage {
        Some(_) => days.max(nowcast::LOOKBACK_DAYS as usize),
        None => days,
    };
    let from = target - days as i32;
    // The update's own rows, where they reach back far enough (a
    // nowcast's do): the same snapshot, not read again.
    if read_after == from {
        return domain.weekly_ensemble(&twin.streams(), read, target_date, vintage, fc);
    }
    if read_after < from {
        let rows: Vec<StoredObservation> = read.iter().filter(|o| o.day > from).cloned().collect();
        return domain.weekly_ensemble(&twin.streams(), &rows, target_date, vintage, fc);
    }
    let rows = state
        .store
        .read_blocking(move |c| store::observations_between_days(c, &id, from, target))
        .map_err(|e| e.to_string())?;
    domain.weekly_ensemble(&twin.streams(), &rows, target_date, vintage, fc)
}

fn write_observations(path: &Path, rows: &[StoredObservation]) -> Result<(), String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| e.to_string();
    w.write_record(["id", "stream", "time", "location", "stratum", "value"])
        .map_err(err)?;
    for o in rows {
        w.write_record([
            o.id.to_string(),
            o.stream.clone(),
            didymos_core::timestamp::format_time(o.t_ms),
            o.location.clone().unwrap_or_default(),
            o.stratum.clone().unwrap_or_default(),
            o.value.to_string(),
        ])
        .map_err(err)?;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    didymos_core::fs::write_atomic(path, &bytes).map_err(|e| e.to_string())
}
