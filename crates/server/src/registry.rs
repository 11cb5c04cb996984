//! The twins the server keeps loaded: each one's model (from its spec, of
//! either kind, see [`crate::hosted`]) and its registered streams, so that
//! ingest validates without the store.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use didymos_core::Date;

use crate::hosted::epidemic::Populations;
use crate::hosted::Hosted;
use crate::store::{StreamRow, TwinRow, ValueType};

pub struct TwinEntry {
    pub id: String,
    pub hosted: Hosted,
    pub streams: RwLock<HashMap<String, StreamRow>>,
    /// An epidemic twin's populations, the bound on every count.
    populations: Option<Populations>,
}

impl TwinEntry {
    pub fn start(&self) -> Date {
        self.hosted.calendar().start
    }
    pub fn end(&self) -> Date {
        self.hosted.calendar().end
    }
    pub fn locations(&self) -> &[String] {
        self.hosted.locations()
    }
    pub fn strata(&self) -> &[String] {
        self.hosted.strata()
    }
    pub fn stream(&self, name: &str) -> Option<StreamRow> {
        self.streams.read().ok()?.get(name).cloned()
    }
    pub fn set_stream(&self, row: StreamRow) {
        if let Ok(mut s) = self.streams.write() {
            s.insert(row.name.clone(), row);
        }
    }
    /// What streams may feed (and forecasts and rules may name).
    pub fn observables(&self) -> Vec<String> {
        self.hosted.observables()
    }
    /// Why `value` cannot be stored at `location` (and `stratum`), beyond
    /// the stream's value type: more people than live there, or what the
    /// kind of twin rules out. Acknowledged data stay, so a value no member
    /// could produce would stop the twin's filter at every later update.
    pub fn bad_value(
        &self,
        value: f64,
        value_type: ValueType,
        location: &str,
        stratum: Option<&str>,
    ) -> Option<String> {
        let people = match (&self.populations, value_type) {
            (Some(p), ValueType::Count) => p.exceeded(value, location, stratum),
            _ => None,
        };
        people.or_else(|| self.hosted.bad_value(value).map(str::to_string))
    }
    /// A copy of the registered streams.
    pub fn streams(&self) -> HashMap<String, StreamRow> {
        self.streams.read().map(|s| s.clone()).unwrap_or_default()
    }
}

#[derive(Default)]
pub struct Registry {
    twins: RwLock<HashMap<String, Arc<TwinEntry>>>,
}

impl Registry {
    pub fn get(&self, id: &str) -> Option<Arc<TwinEntry>> {
        self.twins.read().ok()?.get(id).cloned()
    }
    pub fn insert(&self, row: &TwinRow, hosted: Hosted, streams: Vec<StreamRow>) -> Arc<TwinEntry> {
        let populations = hosted.epidemic().map(Populations::of);
        let entry = Arc::new(TwinEntry {
            id: row.id.clone(),
            populations,
            hosted,
            streams: RwLock::new(streams.into_iter().map(|s| (s.name.clone(), s)).collect()),
        });
        if let Ok(mut t) = self.twins.write() {
            t.insert(row.id.clone(), entry.clone());
        }
        entry
    }
    pub fn remove(&self, id: &str) {
        if let Ok(mut t) = self.twins.write() {
            t.remove(id);
        }
    }
    pub fn ids(&self) -> Vec<String> {
        self.twins
            .read()
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default()
    }
}
