//! A member's flat state vector: where each store and flux sits, packing
//! and unpacking, and the repair a Kalman-type update needs.

use crate::gr4j::{Gr4jStores, UnitHydrographs, UH1_SLOTS, UH2_SLOTS, X4_MAX, X4_MIN};

/// Positions in a member's state vector.
pub mod slot {
    use super::{UH1_SLOTS, UH2_SLOTS};
    pub const SNOW: usize = 0;
    pub const THERMAL: usize = 1;
    pub const PRODUCTION: usize = 2;
    pub const ROUTING: usize = 3;
    pub const UH1: usize = 4;
    pub const UH2: usize = UH1 + UH1_SLOTS;
    pub const PRECIP: usize = UH2 + UH2_SLOTS;
    pub const AET: usize = PRECIP + 1;
    pub const EXCHANGE: usize = PRECIP + 2;
    pub const DISCHARGE: usize = PRECIP + 3;
    pub const LEN: usize = PRECIP + 4;
}

/// Per-batch working memory: unit hydrographs of the last X4 seen.
#[derive(Default)]
pub struct Scratch {
    uh: Option<UnitHydrographs>,
}

impl Scratch {
    pub(crate) fn uh(&mut self, x4: f64) -> &UnitHydrographs {
        if self
            .uh
            .as_ref()
            .is_none_or(|u| u.x4 != x4.clamp(X4_MIN, X4_MAX))
        {
            self.uh = Some(UnitHydrographs::new(x4));
        }
        self.uh.as_ref().expect("just set")
    }
}

/// A member's stores, unpacked from its state vector.
pub(crate) struct Stores {
    pub snow: f64,
    pub thermal: f64,
    pub gr4j: Gr4jStores,
}

impl Stores {
    pub fn read(s: &[f64]) -> Self {
        let mut g = Gr4jStores {
            production: s[slot::PRODUCTION],
            routing: s[slot::ROUTING],
            uh1: [0.0; UH1_SLOTS],
            uh2: [0.0; UH2_SLOTS],
        };
        g.uh1.copy_from_slice(&s[slot::UH1..slot::UH2]);
        g.uh2.copy_from_slice(&s[slot::UH2..slot::PRECIP]);
        Stores {
            snow: s[slot::SNOW],
            thermal: s[slot::THERMAL],
            gr4j: g,
        }
    }
    pub fn write(&self, s: &mut [f64]) {
        s[slot::SNOW] = self.snow;
        s[slot::THERMAL] = self.thermal;
        s[slot::PRODUCTION] = self.gr4j.production;
        s[slot::ROUTING] = self.gr4j.routing;
        s[slot::UH1..slot::UH2].copy_from_slice(&self.gr4j.uh1);
        s[slot::UH2..slot::PRECIP].copy_from_slice(&self.gr4j.uh2);
    }
    pub fn total(&self) -> f64 {
        self.snow + self.gr4j.total()
    }
}

/// Total water (mm) in a member's state.
pub fn total_storage(state: &[f64]) -> f64 {
    state[slot::SNOW] + state[slot::PRODUCTION..slot::PRECIP].iter().sum::<f64>()
}

/// Keep an adjusted state physical (for Kalman-type updates): stores in
/// [0, capacity], buffers and snow ≥ 0, thermal state ≤ 0.
pub fn repair(params: &[f64], state: &mut [f64]) {
    state[slot::SNOW] = state[slot::SNOW].max(0.0);
    state[slot::THERMAL] = state[slot::THERMAL].min(0.0);
    state[slot::PRODUCTION] = state[slot::PRODUCTION].clamp(0.0, params[0]);
    state[slot::ROUTING] = state[slot::ROUTING].clamp(0.0, params[2]);
    state[slot::UH1..slot::PRECIP]
        .iter_mut()
        .for_each(|v| *v = v.max(0.0));
}
