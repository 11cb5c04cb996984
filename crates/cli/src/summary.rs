//! The short end-of-run report: national peaks and totals per observable.

use std::path::Path;
use std::time::Duration;

use didymos_core::{Calendar, Error, Model, Result};
use didymos_epi::mmca::MmcaModel;

pub struct Summary {
    calendar: Calendar,
    names: Vec<String>,
    /// Flows (per day) have totals; stocks (occupancy) only peaks.
    is_flow: Vec<bool>,
    /// `[observable][day - 1]`, summed over patches and strata.
    totals: Vec<Vec<f64>>,
    n_patches: usize,
    population: f64,
}

impl Summary {
    pub fn new(model: &MmcaModel, calendar: Calendar) -> Summary {
        let names: Vec<String> = model.observables().iter().map(|o| o.name.clone()).collect();
        Summary {
            calendar,
            totals: vec![vec![0.0; calendar.n_days()]; names.len()],
            names,
            is_flow: model.observables().iter().map(|o| o.is_flow).collect(),
            n_patches: model.layout().units.len(),
            population: model.network().pop.iter().sum(),
        }
    }

    pub fn add(&mut self, day: usize, observable: usize, value: f64) {
        self.totals[observable][day - 1] += value;
    }

    fn peak(&self, k: usize) -> (usize, f64) {
        self.totals[k]
            .iter()
            .enumerate()
            .fold((1, f64::NEG_INFINITY), |best, (d, &v)| {
                if v > best.1 {
                    (d + 1, v)
                } else {
                    best
                }
            })
    }

    pub fn print(&self, name: &str, members: usize, elapsed: Duration) {
        outln!(
            "{name}: {} patches, {:.0} people, {} → {} ({} days), {members} member(s), {:.2} s",
            self.n_patches,
            self.population,
            self.calendar.start,
            self.calendar.end,
            self.calendar.n_days(),
            elapsed.as_secs_f64()
        );
        outln!(
            "{:<18} {:>14} {:>12} {:>16}",
            "observable",
            "total",
            "peak date",
            "peak"
        );
        for (k, n) in self.names.iter().enumerate() {
            let (d, v) = self.peak(k);
            let total = if self.is_flow[k] {
                format!("{:.0}", self.totals[k].iter().sum::<f64>())
            } else {
                "(a level)".into()
            };
            outln!(
                "{n:<18} {total:>14} {:>12} {v:>16.1}",
                self.calendar.date_of(d)
            );
        }
    }

    pub fn write_json(&self, path: &Path, name: &str, members: usize, seed: u64) -> Result<()> {
        let observables: serde_json::Map<String, serde_json::Value> = self
            .names
            .iter()
            .enumerate()
            .map(|(k, n)| {
                let (d, v) = self.peak(k);
                let v = serde_json::json!({
                    "total": self.is_flow[k].then(|| self.totals[k].iter().sum::<f64>()),
                    "peak_date": self.calendar.date_of(d).to_string(),
                    "peak_value": v,
                });
                (n.clone(), v)
            })
            .collect();
        let doc = serde_json::json!({
            "twin": name,
            "start": self.calendar.start.to_string(),
            "end": self.calendar.end.to_string(),
            "patches": self.n_patches,
            "population": self.population,
            "members": members,
            "seed": seed,
            "observables": observables,
        });
        let text = serde_json::to_string_pretty(&doc).map_err(|e| Error::Other(e.to_string()))?;
        didymos_core::fs::write_atomic(path, (text + "\n").as_bytes())
    }
}
