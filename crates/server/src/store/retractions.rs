//! Retracting observations: a value that should never have been sent
//! (a wrong count, a test message) is marked, not deleted, so the runs
//! that read it can still be traced. If the twin's filter has already
//! taken it in, the twin goes back in the same transaction to its newest
//! valid checkpoint before that day (the priors when none is kept) and
//! reads its standing record again from there: a filter's past is not
//! edited in place.

use rusqlite::{params, Connection, OptionalExtension};

use super::{StoreError, StoreResult};

/// Which observations a retraction names.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    /// These observations, by id.
    Ids(Vec<i64>),
    /// Every observation of `stream` timed in `[from_ms, to_ms]`, at
    /// `location` and `stratum` where given.
    Cells {
        stream: String,
        from_ms: i64,
        to_ms: i64,
        location: Option<String>,
        stratum: Option<String>,
    },
}

/// An observation a selection matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Matched {
    pub id: i64,
    pub stream: String,
    pub day: i32,
    pub retracted: bool,
}

/// The twin's observations that `selection` names. Ids that are not the
/// twin's are an error naming (the first few of) them; so is a selection
/// that matches nothing, which is more likely a typing slip than a wish.
pub fn select(conn: &Connection, twin: &str, selection: &Selection) -> StoreResult<Vec<Matched>> {
    let row = |r: &rusqlite::Row<'_>| {
        Ok(Matched {
            id: r.get(0)?,
            stream: r.get(1)?,
            day: r.get(2)?,
            retracted: r.get::<_, Option<i64>>(3)?.is_some(),
        })
    };
    match selection {
        Selection::Ids(ids) => {
            let mut st = conn.prepare_cached(
                "SELECT id, stream, day, retracted_ms FROM observations WHERE twin_id = ?1 AND id = ?2",
            )?;
            let mut found = Vec::with_capacity(ids.len());
            let mut missing = Vec::new();
            for &id in ids {
                match st.query_row(params![twin, id], row).optional()? {
                    Some(m) => found.push(m),
                    None => missing.push(id),
                }
            }
            if !missing.is_empty() {
                let shown: Vec<String> = missing.iter().take(5).map(i64::to_string).collect();
                let more = match missing.len() {
                    n if n > 5 => format!(" and {} more", n - 5),
                    _ => String::new(),
                };
                return Err(StoreError::NotFound(format!(
                    "twin `{twin}` has no observation with id {}{more}",
                    shown.join(", ")
                )));
            }
            Ok(found)
        }
        Selection::Cells {
            stream,
            from_ms,
            to_ms,
            location,
            stratum,
        } => {
            let mut st = conn.prepare_cached(
                // A stream bound to a location or stratum stores its
                // observations without one.
                "SELECT o.id, o.stream, o.day, o.retracted_ms
                 FROM observations o LEFT JOIN streams s ON s.twin_id = o.twin_id AND s.name = o.stream
                 WHERE o.twin_id = ?1 AND o.stream = ?2 AND o.t_ms >= ?3 AND o.t_ms <= ?4
                   AND (?5 IS NULL OR coalesce(o.location, s.location) = ?5)
                   AND (?6 IS NULL OR coalesce(o.stratum, s.stratum) = ?6)
                 ORDER BY o.id",
            )?;
            let found = st
                .query_map(
                    params![twin, stream, from_ms, to_ms, location, stratum],
                    row,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            if found.is_empty() {
                return Err(StoreError::NotFound(format!(
                    "no observation of stream `{stream}`{}{} in that time range",
                    location
                        .as_ref()
                        .map_or(String::new(), |l| format!(" at location `{l}`")),
                    stratum
                        .as_ref()
                        .map_or(String::new(), |s| format!(" in stratum `{s}`"))
                )));
            }
            Ok(found)
        }
    }
}

/// What a retraction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retraction {
    /// Newly retracted ids.
    pub retracted: Vec<i64>,
    /// Ids the selection named that were retracted before.
    pub already_retracted: usize,
    /// The twin went back to read its record again, because its filter
    /// had taken in a retracted value.
    pub reassimilating: bool,
    /// Where it went back to: a checkpoint's date, or `start`.
    pub rewound_to: Option<String>,
}

/// Marks the standing observations among `ids` (already checked to be
/// `twin`'s) as retracted, and resets the twin when one of them is on a day
/// its checkpoint has assimilated.
pub fn retract(
    conn: &Connection,
    twin: &str,
    ids: &[i64],
    reason: &str,
    now_ms: i64,
) -> StoreResult<Retraction> {
    let mut mark = conn.prepare_cached(
        "UPDATE observations SET retracted_ms = ?3, retraction_reason = ?4
         WHERE twin_id = ?1 AND id = ?2 AND retracted_ms IS NULL
         RETURNING day",
    )?;
    let mut retracted = Vec::new();
    let mut earliest_day = i32::MAX;
    for &id in ids {
        let day: Option<i32> = mark
            .query_row(params![twin, id, now_ms, reason], |r| r.get(0))
            .optional()?;
        if let Some(day) = day {
            retracted.push(id);
            earliest_day = earliest_day.min(day);
        }
    }
    let already_retracted = ids.len() - retracted.len();
    let rewound = match retracted.is_empty() {
        true => super::Rewind::NotNeeded,
        false => super::rewind(conn, twin, earliest_day)?,
    };
    Ok(Retraction {
        retracted,
        already_retracted,
        reassimilating: rewound != super::Rewind::NotNeeded,
        rewound_to: rewound.label(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{insert_batch, observations_between_days, NewObservation};

    fn store_with_twin() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::store::schema::migrate(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO twins (id, name, spec_path, spec_sha256, members, seed, horizon_days, settle_ms, created_ms)
             VALUES ('t', 't', 'spec.toml', '', 10, 1, 7, 1000, 0)",
            [],
        )
        .unwrap();
        conn
    }

    fn obs(day: i32, location: &str, value: f64) -> NewObservation {
        NewObservation {
            stream: "hosp".into(),
            t_ms: day as i64 * 86_400_000,
            day,
            location: Some(location.into()),
            stratum: None,
            value,
            issued_ms: None,
        }
    }

    #[test]
    fn a_retracted_value_gives_way_to_the_one_before_it() {
        let conn = store_with_twin();
        insert_batch(&conn, "t", &[obs(10, "a", 5.0)], None, 1).unwrap();
        insert_batch(&conn, "t", &[obs(10, "a", 5000.0)], None, 2).unwrap();
        let wrong = Selection::Cells {
            stream: "hosp".into(),
            from_ms: 10 * 86_400_000,
            to_ms: 10 * 86_400_000,
            location: Some("a".into()),
            stratum: None,
        };
        let all = select(&conn, "t", &wrong).unwrap();
        assert_eq!(all.len(), 2);
        let r = retract(&conn, "t", &[all[1].id], "typo", 3).unwrap();
        assert_eq!(r.retracted, vec![all[1].id]);
        assert!(!r.reassimilating, "nothing was assimilated yet");
        let standing = observations_between_days(&conn, "t", 0, 20).unwrap();
        assert_eq!(standing.len(), 1);
        assert_eq!(standing[0].value, 5.0);
        // Retracting it again changes nothing.
        let again = retract(&conn, "t", &[all[1].id], "typo", 4).unwrap();
        assert!(again.retracted.is_empty());
        assert_eq!(again.already_retracted, 1);
    }

    #[test]
    fn retracting_an_assimilated_day_resets_the_twin() {
        let conn = store_with_twin();
        insert_batch(&conn, "t", &[obs(10, "a", 5.0), obs(12, "a", 7.0)], None, 1).unwrap();
        conn.execute(
            "UPDATE twins SET checkpoint_path = 'ck', checkpoint_day = 3, checkpoint_date = '1970-01-12'",
            [],
        )
        .unwrap();
        let ids: Vec<i64> = select(&conn, "t", &Selection::Ids(vec![1, 2]))
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect();
        // Day 12 (1970-01-13) is after the checkpoint: no reset.
        assert!(
            !retract(&conn, "t", &ids[1..], "x", 2)
                .unwrap()
                .reassimilating
        );
        let twin = crate::store::get_twin(&conn, "t").unwrap();
        assert_eq!(twin.checkpoint_date.as_deref(), Some("1970-01-12"));
        // Day 10 (1970-01-11) was assimilated: reset.
        assert!(
            retract(&conn, "t", &ids[..1], "x", 3)
                .unwrap()
                .reassimilating
        );
        let twin = crate::store::get_twin(&conn, "t").unwrap();
        assert_eq!(twin.checkpoint_date, None);
        assert_eq!(twin.generation, 1);
    }

    /// An update that read its rows before a retraction (or a new value)
    /// for a day it covers does not record its checkpoint, even though the
    /// change came too early to rewind anything.
    #[test]
    fn an_update_that_missed_a_change_is_superseded() {
        let conn = store_with_twin();
        insert_batch(
            &conn,
            "t",
            &[obs(10, "a", 5.0), obs(11, "a", 6.0)],
            None,
            100,
        )
        .unwrap();
        let ck = |read_ms: i64| crate::store::NewCheckpoint {
            twin: "t".into(),
            generation: 0,
            path: "ck".into(),
            day: 2,
            date: "1970-01-12".into(),
            run: "r".into(),
            read_ms,
        };
        // Read at 200; day 11 (1970-01-12) retracted at 300, before the
        // checkpoint existed: the retraction had nothing to rewind.
        let ids: Vec<i64> = select(&conn, "t", &Selection::Ids(vec![2]))
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect();
        assert!(!retract(&conn, "t", &ids, "x", 300).unwrap().reassimilating);
        let run = |id: &str| crate::store::RunRow {
            id: id.into(),
            twin_id: "t".into(),
            kind: "assimilate".into(),
            status: "succeeded".into(),
            progress: 1.0,
            created_ms: 0,
            finished_ms: Some(0),
            error: None,
            result: None,
            dir: "d".into(),
        };
        crate::store::insert_run(&conn, &run("r")).unwrap();
        assert!(!crate::store::set_checkpoint(&conn, &ck(200), 400).unwrap());
        // Its run does not claim a checkpoint the twin never used.
        let r = crate::store::get_run(&conn, "r").unwrap();
        assert_eq!(r.status, "superseded");
        assert!(r.error.unwrap().contains("stored or retracted"));
        // An update that read after it records its checkpoint.
        conn.execute("DELETE FROM runs", []).unwrap();
        crate::store::insert_run(&conn, &run("r")).unwrap();
        assert!(crate::store::set_checkpoint(&conn, &ck(301), 400).unwrap());
        assert_eq!(
            crate::store::get_run(&conn, "r").unwrap().status,
            "succeeded"
        );
        // A value for a later day does not concern it.
        insert_batch(&conn, "t", &[obs(12, "a", 7.0)], None, 500).unwrap();
        assert!(crate::store::set_checkpoint(&conn, &ck(301), 600).unwrap());
        // An update from before a reset is superseded too, and says why.
        crate::store::clear_checkpoint(&conn, "t").unwrap();
        assert!(!crate::store::set_checkpoint(&conn, &ck(700), 800).unwrap());
        let r = crate::store::get_run(&conn, "r").unwrap();
        assert_eq!(r.status, "superseded");
        assert!(r.error.unwrap().contains("reset or rewound"));
        assert_eq!(
            crate::store::get_twin(&conn, "t").unwrap().checkpoint_date,
            None
        );
    }

    #[test]
    fn unknown_ids_and_empty_selections_are_named() {
        let conn = store_with_twin();
        insert_batch(&conn, "t", &[obs(10, "a", 5.0)], None, 1).unwrap();
        let e = select(&conn, "t", &Selection::Ids(vec![1, 99, 100])).unwrap_err();
        assert!(e.to_string().contains("id 99, 100"), "{e}");
        let e = select(
            &conn,
            "t",
            &Selection::Cells {
                stream: "hosp".into(),
                from_ms: 0,
                to_ms: i64::MAX,
                location: Some("b".into()),
                stratum: None,
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("at location `b`"), "{e}");
    }
}
