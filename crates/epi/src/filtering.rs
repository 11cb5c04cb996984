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

use didymos_assim::{Block, Blocks, EakfOptions, Quantity, StateRepair, Support};
use didymos_core::observation::StreamSet;
use didymos_core::{Model, Result};

use crate::mmca::MmcaModel;

/// The model units behind each (stream, location), sorted: one unit for a
/// stream reported per unit, several for one aggregated to coarser
/// locations (an observation of a province covers all its zones).
fn observed_units(model: &MmcaModel, data: &StreamSet) -> Vec<Vec<Vec<usize>>> {
    let g_n = model.layout().strata.len();
    data.streams()
        .iter()
        .map(|s| {
            s.aggregation
                .cells()
                .iter()
                .map(|cells| {
                    let mut u: Vec<usize> = cells.iter().map(|c| c / g_n).collect();
                    u.sort_unstable();
                    u.dedup();
                    u
                })
                .collect()
        })
        .collect()
}

/// EAKF options for `model` observed through `data`.
pub fn mmca_eakf_options(model: &MmcaModel, data: &StreamSet, inflation: f64) -> EakfOptions {
    let layout = model.layout();
    let g_n = layout.strata.len();
    let first = model.first_patch_scale();
    let units_of: Vec<Vec<Arc<[usize]>>> = observed_units(model, data)
        .into_iter()
        .map(|s| s.into_iter().map(Arc::from).collect())
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
        repair: StateRepair::Custom(std::sync::Arc::new(repair)),
        localize: Some(std::sync::Arc::new(localize)),
        support: Some(std::sync::Arc::new(support)),
        ..EakfOptions::default()
    }
}

/// Blocks for the block particle filter: the patches that some observation
/// reports on together (one patch for a stream reported per patch, all
/// patches of a group for one aggregated through a lookup; groups that
/// share a patch merge). A block owns its patches' compartments,
/// multipliers `beta_scale.<patch>` and observables; the national
/// multiplier and patches no stream observes stay with their member.
pub fn mmca_blocks(model: &MmcaModel, data: &StreamSet) -> Result<Blocks> {
    let layout = model.layout();
    let (p_n, g_n) = (layout.units.len(), layout.strata.len());
    let n_o = model.observables().len();
    // Union-find over patches, joined by each observation's patches.
    let mut parent: Vec<usize> = (0..p_n).collect();
    fn root(parent: &mut [usize], mut u: usize) -> usize {
        while parent[u] != u {
            parent[u] = parent[parent[u]];
            u = parent[u];
        }
        u
    }
    let units_of = observed_units(model, data);
    let mut observed = vec![false; p_n];
    for us in units_of.iter().flatten() {
        for &u in us {
            observed[u] = true;
            let (a, b) = (root(&mut parent, us[0]), root(&mut parent, u));
            parent[b] = a;
        }
    }
    // Blocks in order of their first patch.
    let mut block_of_root = vec![usize::MAX; p_n];
    let mut members: Vec<Vec<usize>> = Vec::new();
    for u in (0..p_n).filter(|&u| observed[u]) {
        let r = root(&mut parent, u);
        if block_of_root[r] == usize::MAX {
            block_of_root[r] = members.len();
            members.push(Vec::new());
        }
        members[block_of_root[r]].push(u);
    }
    let block_of_unit: Vec<usize> = (0..p_n)
        .map(|u| {
            if observed[u] {
                block_of_root[root(&mut parent, u)]
            } else {
                usize::MAX
            }
        })
        .collect();
    let per_patch = g_n * model.stride();
    let first = model.first_patch_scale();
    let parts = members
        .iter()
        .map(|us| Block {
            name: us
                .iter()
                .map(|&u| layout.units[u].as_str())
                .collect::<Vec<_>>()
                .join("+"),
            params: us.iter().map(|u| first + u).collect(),
            states: us
                .iter()
                .map(|u| u * per_patch..(u + 1) * per_patch)
                .collect(),
            observables: us
                .iter()
                .map(|u| u * g_n * n_o..(u + 1) * g_n * n_o)
                .collect(),
        })
        .collect();
    // Per day with data, each observation's block.
    let by_day: BTreeMap<usize, Vec<usize>> = data
        .days()
        .map(|day| {
            let blocks = data
                .entries(day)
                .iter()
                .map(|&(s, l)| {
                    units_of[s][l]
                        .first()
                        .map_or(usize::MAX, |&u| block_of_unit[u])
                })
                .collect();
            (day, blocks)
        })
        .collect();
    Blocks::new(
        model,
        parts,
        Arc::new(move |day, j| {
            by_day
                .get(&day)
                .and_then(|b| b.get(j))
                .copied()
                .filter(|&b| b != usize::MAX)
        }),
    )
}
