//! The day-dependent pieces of a scenario model: the containment schedule
//! with its confinement windows, and one commuting network per stretch of
//! days with the same mobility measures (semantics in
//! [`super::interventions`]).

use didymos_core::{Result, Timeline};

use super::interventions::{Direction, Intervention};
use super::network::Network;
use super::setup::{Containment, Edge};
use super::MmcaModel;

impl MmcaModel {
    /// One network per stretch of days with the same mobility measures.
    pub(super) fn mobility_networks(
        &self,
        ivs: &[Intervention],
    ) -> Result<Vec<(usize, usize, Network)>> {
        let mob: Vec<(usize, usize, &[usize], Direction, f64)> = ivs
            .iter()
            .filter_map(|iv| match iv {
                Intervention::Mobility {
                    from,
                    to,
                    patches,
                    direction,
                    scale,
                } => Some((*from, *to, patches.as_slice(), *direction, *scale)),
                _ => None,
            })
            .collect();
        let mut cuts: Vec<usize> = mob.iter().flat_map(|w| [w.0, w.1 + 1]).collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut out = Vec::new();
        for seg in cuts.windows(2) {
            let (a, b) = (seg[0], seg[1] - 1);
            let active: Vec<_> = mob.iter().filter(|w| w.0 <= a && b <= w.1).collect();
            if active.is_empty() {
                continue;
            }
            let m = self.net.n_patches;
            let mut factor_in = vec![1.0; m];
            let mut factor_out = vec![1.0; m];
            for &&(_, _, patches, dir, scale) in &active {
                for &p in patches {
                    if dir != Direction::Outflow {
                        factor_in[p] *= scale;
                    }
                    if dir != Direction::Inflow {
                        factor_out[p] *= scale;
                    }
                }
            }
            let edges = scale_edges(&self.setup.edges, &factor_in, &factor_out);
            let net = Network::new(&self.setup.metapopulation, self.net.n_strata, &edges)?;
            out.push((a, b, net));
        }
        Ok(out)
    }
}

/// Edges i → j (i ≠ j) scaled by out[i]·in[j]; what is removed stays home.
fn scale_edges(edges: &[Edge], factor_in: &[f64], factor_out: &[f64]) -> Vec<Edge> {
    let mut home = vec![0.0; factor_in.len()];
    let mut out: Vec<Edge> = Vec::with_capacity(edges.len());
    for e in edges {
        if e.source == e.target {
            continue;
        }
        let f = factor_out[e.source] * factor_in[e.target];
        let kept = e.ratio * f;
        home[e.source] += e.ratio - kept;
        if kept != 0.0 {
            out.push(Edge { ratio: kept, ..*e });
        }
    }
    // Self-loops (given or not) receive what was removed; a source that
    // had none and lost nothing needs none.
    let mut has_self = vec![false; factor_in.len()];
    for e in edges.iter().filter(|e| e.source == e.target) {
        has_self[e.source] = true;
        out.push(Edge {
            ratio: e.ratio + home[e.source],
            ..*e
        });
    }
    for (i, &h) in home.iter().enumerate() {
        if !has_self[i] && h > 0.0 {
            out.push(Edge {
                source: i,
                target: i,
                ratio: h,
            });
        }
    }
    out
}

/// The containment schedule with the scenario's confinements (module doc).
/// `None` events are releases.
pub(super) fn confinement_schedule(
    base: &Timeline<Option<Containment>>,
    ivs: &[Intervention],
) -> Timeline<Option<Containment>> {
    let windows: Vec<(usize, usize, Containment)> = ivs
        .iter()
        .filter_map(|iv| match *iv {
            Intervention::Confinement {
                from,
                to,
                containment,
            } => Some((from, to, containment)),
            _ => None,
        })
        .collect();
    if windows.is_empty() {
        return base.clone();
    }
    let inside = |d: usize| windows.iter().any(|w| w.0 <= d && d <= w.1);
    let mut events: Vec<(usize, Option<Containment>)> = base
        .iter()
        .filter(|(d, _)| !inside(*d))
        .map(|(d, c)| (d, *c))
        .collect();
    for &(from, to, c) in &windows {
        events.extend((from..=to).map(|d| (d, Some(c))));
        let after = to + 1;
        if !inside(after) && base.on(after).next().is_none() {
            events.push((after, base.in_force(after).copied().flatten()));
        }
    }
    events.into_iter().collect()
}
