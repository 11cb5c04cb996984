//! Which checkpoints a twin keeps on disk. They are large (members ×
//! state, some 40 MB for the Spain twin with 1,000 members), so only a few
//! stay; their runs' prov.json still name the others by hash.
//!
//! A checkpoint is only worth keeping if the twin could resume from it:
//! one of its current generation (a reset or a rewind to before its day
//! voids it) whose update recorded it (a superseded one's never was). Of
//! those, the newest few stay. A twin that rewinds for late values keeps
//! more, and besides them the newest of each of the weeks before, so a
//! correction weeks old goes back a week at most rather than to the start.

use std::path::Path;

use crate::store;
use crate::AppState;

/// Newest checkpoints kept by a twin that holds late values (retractions
/// still rewind it).
const KEPT: usize = 3;
/// Newest checkpoints kept by a twin that rewinds for late values…
const KEPT_REWINDING: usize = 8;
/// …and the weeks before them in which it keeps its newest one.
const WEEKS_REWINDING: i32 = 6;

/// Deletes the checkpoint files of `twin` that it no longer keeps.
pub fn prune(state: &AppState, twin: &str, late_values: &str) {
    let (recent, weeks) = match late_values {
        "rewind" => (KEPT_REWINDING, WEEKS_REWINDING),
        _ => (KEPT, 0),
    };
    let t = twin.to_string();
    let Ok(runs) = state
        .store
        .read_blocking(move |c| store::checkpoint_runs(c, &t))
    else {
        return;
    };
    let days: Vec<Option<i32>> = runs.iter().map(|r| r.valid_day).collect();
    for (run, keep) in runs.iter().zip(kept(&days, recent, weeks)) {
        if !keep {
            let _ = std::fs::remove_file(Path::new(&run.dir).join("checkpoint.bin"));
        }
    }
}

/// Which of the checkpoints to keep, given each one's day (days since
/// 1970-01-01; `None`: not one the twin could resume from), newest run
/// first: the `recent` newest days (the newest run of each), then the
/// newest of each calendar week (days since the epoch ÷ 7) for the
/// `weeks` weeks before the oldest of those. Weeks, not periods counted
/// back from the newest: a week's newest checkpoint stays its newest as
/// days go by, so it is still there when a correction needs it.
fn kept(days: &[Option<i32>], recent: usize, weeks: i32) -> Vec<bool> {
    let mut order: Vec<usize> = (0..days.len()).filter(|&i| days[i].is_some()).collect();
    // Newest day first; of runs for the same day, the newest run.
    order.sort_by_key(|&i| (std::cmp::Reverse(days[i]), i));
    let mut keep = vec![false; days.len()];
    let mut weeks_seen = Vec::new();
    let (mut newest, mut boundary_week) = (0, None);
    for (k, &i) in order.iter().enumerate() {
        let Some(day) = days[i] else { continue };
        // An older run for a day already kept adds nothing.
        if k > 0 && days[order[k - 1]] == Some(day) {
            continue;
        }
        let week = day.div_euclid(7);
        if newest < recent {
            newest += 1;
            keep[i] = true;
            weeks_seen.push(week);
            boundary_week = Some(week);
            continue;
        }
        let Some(b) = boundary_week else { break };
        if b - week > weeks {
            break;
        }
        if !weeks_seen.contains(&week) {
            weeks_seen.push(week);
            keep[i] = true;
        }
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::kept;

    #[test]
    fn the_newest_then_one_per_week_before_them() {
        // A checkpoint a day for 60 days (day 100 newest), newest run first.
        let days: Vec<Option<i32>> = (0..60).map(|k| Some(100 - k)).collect();
        let keep = kept(&days, 8, 6);
        let kept_days: Vec<i32> = days
            .iter()
            .zip(&keep)
            .filter(|(_, &k)| k)
            .map(|(d, _)| d.unwrap())
            .collect();
        // 100..=93 (weeks 14 and 13), then the newest of weeks 12 to 7.
        assert_eq!(
            kept_days,
            [100, 99, 98, 97, 96, 95, 94, 93, 90, 83, 76, 69, 62, 55]
        );
        // A holding twin: the newest three.
        assert_eq!(kept(&days, 3, 0).iter().filter(|&&k| k).count(), 3);
    }

    /// A twin updated daily, pruned after each update: the files deleted
    /// stay deleted, and a week's checkpoint must still be there weeks on.
    #[test]
    fn a_daily_twin_keeps_a_checkpoint_in_each_of_its_last_weeks() {
        let mut on_disk: Vec<i32> = Vec::new();
        for day in 0..120 {
            on_disk.insert(0, day);
            let days: Vec<Option<i32>> = on_disk.iter().map(|&d| Some(d)).collect();
            let keep = kept(&days, 8, 6);
            on_disk = on_disk
                .into_iter()
                .zip(keep)
                .filter(|(_, k)| *k)
                .map(|(d, _)| d)
                .collect();
        }
        // Days 119..=112 (weeks 17 and 16), then one in each of weeks 15 to 10.
        assert_eq!(on_disk.len(), 14, "{on_disk:?}");
        let weeks: Vec<i32> = on_disk[8..].iter().map(|d| d.div_euclid(7)).collect();
        assert_eq!(weeks, [15, 14, 13, 12, 11, 10], "{on_disk:?}");
    }

    #[test]
    fn void_checkpoints_are_never_kept_and_take_no_place() {
        // Newest run first: a superseded run (None), then a rewind left
        // days 50 and 49 behind (None) and the twin went on from day 40.
        let days = [None, Some(42), Some(41), None, None, Some(40), Some(30)];
        assert_eq!(
            kept(&days, 3, 2),
            [false, true, true, false, false, true, true]
        );
        assert_eq!(
            kept(&days, 2, 0),
            [false, true, true, false, false, false, false]
        );
    }

    #[test]
    fn of_two_runs_for_one_day_the_newer_is_kept() {
        let days = [Some(10), Some(10), Some(9)];
        assert_eq!(kept(&days, 2, 0), [true, false, true]);
    }
}
