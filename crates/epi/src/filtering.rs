//! How the generic filters should treat the MMCA twin.
//!
//! With one observation per province and per day, a global transmission
//! scale cannot follow 52 different local epidemics. So the EAKF estimates
//! each patch's own multiplier `beta_scale.<patch>`, and it is localised:
//! an observation of a location updates only the multipliers and states of
//! the patches that make it up (Pei & Shaman's county-level scheme): one
//! patch for a stream reported per patch, all patches of a group for a
//! stream aggregated through a lookup.
//! Compartment shares are clamped at ≥ 0 and renormalised per (patch,
//! stratum) after each update, so population stays conserved.

use std::collections::BTreeMap;
use std::sync::Arc;

use didymos_assim::{EakfOptions, Quantity, StateRepair, Support};
use didymos_core::observation::StreamSet;
use didymos_core::Model;

use crate::mmca::MmcaModel;

/// EAKF options for `model` observed through `data`.
pub fn mmca_eakf_options(model: &MmcaModel, data: &StreamSet, inflation: f64) -> EakfOptions {
    let layout = model.layout();
    let g_n = layout.strata.len();
    let first = model.first_patch_scale();
    // The model units behind each (stream, location): one unit for a
    // stream reported per unit, several for one aggregated to coarser
    // locations (an observation of a province updates all its zones).
    let units_of: Vec<Vec<Arc<[usize]>>> = data
        .streams()
        .iter()
        .map(|s| {
            s.aggregation
                .cells()
                .iter()
                .map(|cells| {
                    let mut u: Vec<usize> = cells.iter().map(|c| c / g_n).collect();
                    u.sort_unstable();
                    u.dedup();
                    Arc::from(u)
                })
                .collect()
        })
        .collect();
    // Per day with data, the units of each observation (in `observed` order).
    let obs_units: Arc<BTreeMap<usize, Vec<Arc<[usize]>>>> = Arc::new(
        data.days()
            .map(|day| {
                let units = data
                    .entries(day)
                    .iter()
                    .map(|&(s, l)| units_of[s][l].clone())
                    .collect();
                (day, units)
            })
            .collect(),
    );
    let stride = model.stride();
    let per_patch = g_n * stride;
    // Where an observation can reach: its units' multipliers and states,
    // and the day's other observations that share a unit with it. With
    // 2,850 zones a province reaches 2% of the state, and the filter need
    // not ask the localiser about the rest.
    let reach = obs_units.clone();
    let support = move |day: usize, j: usize| -> Support {
        let Some(mine) = reach.get(&day).and_then(|u| u.get(j)) else {
            return Support::default();
        };
        Support {
            params: mine.iter().map(|u| first + u).collect(),
            states: mine
                .iter()
                .map(|u| u * per_patch..(u + 1) * per_patch)
                .collect(),
            predicted: reach[&day]
                .iter()
                .enumerate()
                .filter(|(_, other)| other.iter().any(|u| mine.binary_search(u).is_ok()))
                .map(|(k, _)| k)
                .collect(),
        }
    };
    let localize = move |day: usize, j: usize, q: Quantity| -> f64 {
        let Some(units) = obs_units.get(&day) else {
            return 0.0;
        };
        let Some(mine) = units.get(j) else {
            return 0.0;
        };
        let has = |u: usize| {
            if mine.len() == 1 {
                mine[0] == u
            } else {
                mine.binary_search(&u).is_ok()
            }
        };
        let weight = |yes: bool| if yes { 1.0 } else { 0.0 };
        match q {
            Quantity::Param(k) if k >= first => weight(has(k - first)),
            Quantity::Param(_) => 0.0,
            Quantity::State(i) => weight(has(i / per_patch)),
            Quantity::Predicted(k) => units
                .get(k)
                .map_or(0.0, |other| weight(other.iter().any(|&u| has(u)))),
        }
    };
    let pop = model.network().pop.clone();
    let repair = move |_params: &[f64], state: &mut [f64]| {
        for (block, n) in state.chunks_mut(stride).zip(&pop) {
            block.iter_mut().for_each(|x| *x = x.max(0.0));
            let total: f64 = block.iter().sum();
            if *n > 0.0 && total > 0.0 {
                block.iter_mut().for_each(|x| *x /= total);
            }
        }
    };
    let estimate = layout
        .units
        .iter()
        .map(|u| format!("beta_scale.{u}"))
        .collect();
    EakfOptions {
        inflation,
        estimate: Some(estimate),
        repair: StateRepair::Custom(Box::new(repair)),
        localize: Some(Box::new(localize)),
        support: Some(Box::new(support)),
        ..EakfOptions::default()
    }
}
