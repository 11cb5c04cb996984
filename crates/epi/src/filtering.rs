//! How the generic filters should treat the MMCA twin.
//!
//! With one observation per province and per day, a global transmission
//! scale cannot follow 52 different local epidemics. So the EAKF estimates
//! each patch's own multiplier `beta_scale.<patch>`, and it is localised:
//! an observation of a location updates only the multipliers and states of
//! the patches that make it up (Pei & Shaman's county-level scheme).
//! Compartment shares are clamped at ≥ 0 and renormalised per (patch,
//! stratum) after each update, so population stays conserved.

use std::collections::{BTreeMap, HashMap};

use didymos_assim::{EakfOptions, Quantity, StateRepair};
use didymos_core::observation::StreamSet;
use didymos_core::Model;

use crate::mmca::MmcaModel;

/// EAKF options for `model` observed through `data`.
pub fn mmca_eakf_options(model: &MmcaModel, data: &StreamSet, inflation: f64) -> EakfOptions {
    let layout = model.layout();
    let g_n = layout.strata.len();
    let first = model.first_patch_scale();
    let unit_of: HashMap<&str, usize> = layout
        .units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.as_str(), i))
        .collect();
    // Per day with data, the patch of each observation (in `observed` order).
    let obs_unit: BTreeMap<usize, Vec<Option<usize>>> = data
        .days()
        .map(|day| {
            let units = data
                .entries(day)
                .iter()
                .map(|&(s, l)| {
                    let loc = &data.streams()[s].aggregation.locations()[l];
                    unit_of.get(loc.location.as_str()).copied()
                })
                .collect();
            (day, units)
        })
        .collect();
    let stride = model.stride();
    let per_patch = g_n * stride;
    let localize = move |day: usize, j: usize, q: Quantity| -> f64 {
        let units = match obs_unit.get(&day) {
            Some(u) => u,
            None => return 0.0,
        };
        let Some(Some(unit)) = units.get(j) else {
            return 0.0;
        };
        let same = |u: usize| if u == *unit { 1.0 } else { 0.0 };
        match q {
            Quantity::Param(k) if k >= first => same(k - first),
            Quantity::Param(_) => 0.0,
            Quantity::State(i) => same(i / per_patch),
            Quantity::Predicted(k) => units.get(k).copied().flatten().map_or(0.0, same),
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
        ..EakfOptions::default()
    }
}
