//! The twins the server keeps loaded: each one's model (from its spec) and
//! its registered streams, so that ingest validates without the store.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, RwLock};

use didymos_core::{Date, Model};
use didymos_epi::inputs::ObservationTable;
use didymos_epi::spec::load_spec;
use didymos_epi::twin::{twin_model, LoadedTwin};

use crate::store::{StreamRow, TwinRow};

pub struct TwinEntry {
    pub id: String,
    pub loaded: LoadedTwin,
    pub streams: RwLock<HashMap<String, StreamRow>>,
}

impl TwinEntry {
    pub fn start(&self) -> Date {
        self.loaded.calendar().start
    }
    pub fn end(&self) -> Date {
        self.loaded.calendar().end
    }
    pub fn units(&self) -> &[String] {
        &self.loaded.model.layout().units
    }
    pub fn strata(&self) -> &[String] {
        &self.loaded.model.layout().strata
    }
    pub fn stream(&self, name: &str) -> Option<StreamRow> {
        self.streams.read().ok()?.get(name).cloned()
    }
    pub fn set_stream(&self, row: StreamRow) {
        if let Ok(mut s) = self.streams.write() {
            s.insert(row.name.clone(), row);
        }
    }
    /// The `[[assimilation.stream]]` columns a service stream may feed.
    pub fn observables(&self) -> Vec<String> {
        self.loaded
            .assim
            .streams
            .iter()
            .map(|s| s.column.clone())
            .collect()
    }
}

/// Loads the spec at `path` as a twin the service can filter. The error
/// is the CLI's text for the same spec.
pub fn load_loaded_twin(path: &Path) -> Result<LoadedTwin, String> {
    let (spec, warnings) = load_spec(path).map_err(|e| e.to_string())?;
    for w in &warnings {
        tracing::warn!("{}: {w}", path.display());
    }
    let (spec, assim, model) = twin_model(spec).map_err(|e| e.to_string())?;
    let table = ObservationTable {
        variables: assim.streams.iter().map(|s| s.column.clone()).collect(),
        locations: model.layout().units.clone(),
        strata: model.layout().strata.clone(),
        rows: BTreeMap::new(),
    };
    Ok(LoadedTwin {
        observations: path.to_path_buf(),
        spec,
        assim,
        model,
        table,
    })
}

#[derive(Default)]
pub struct Registry {
    twins: RwLock<HashMap<String, Arc<TwinEntry>>>,
}

impl Registry {
    pub fn get(&self, id: &str) -> Option<Arc<TwinEntry>> {
        self.twins.read().ok()?.get(id).cloned()
    }
    pub fn insert(
        &self,
        row: &TwinRow,
        loaded: LoadedTwin,
        streams: Vec<StreamRow>,
    ) -> Arc<TwinEntry> {
        let entry = Arc::new(TwinEntry {
            id: row.id.clone(),
            loaded,
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
