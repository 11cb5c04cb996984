//! Interventions as data: what a what-if scenario changes in an MMCA twin.
//!
//! [`MmcaModel::with_interventions`] returns a copy of a model with them in
//! force. Days are 1-based days of the model's calendar, windows inclusive.
//! A measure active on day t governs the step t → t+1 (as a containment on
//! day t does), so the state on `from` is unchanged and the state on `to`+1
//! is the first to show the measure's last day.
//!
//! - **Confinement** (κ₀, ϕ, δ) on `from..=to`: the baseline's containments
//!   on those days are removed and the measure is applied *every* day of the
//!   window, as a daily κ₀ series enters the model (each day releases the
//!   confined households and re-confines CHᵢ = (1−ϕ)κ₀·base^σ; pᵍ and kᵍ take
//!   the confined form). On `to`+1, unless the baseline itself has a
//!   measure that day or another confinement of the scenario starts, the
//!   baseline's measure in force on `to`+1 is re-applied (a containment
//!   day: CH is re-drawn with it). If the baseline had none in force, `to`+1
//!   is a *release*: CH returns to S and pᵍ, kᵍ return to their free values.
//! - **Mobility**: on `from..=to`, each commuting share Rᵢⱼ (i ≠ j) of an
//!   edge into (`Inflow`) or out of (`Outflow`) a chosen patch, or both, is
//!   multiplied by `scale`; the removed share stays home (added to Rᵢᵢ), so
//!   rows still sum to 1. Several mobility measures in force on one day
//!   multiply on the edges they share. The model keeps one network per
//!   stretch of days with the same measures; without mobility measures it
//!   uses the baseline network, as before.
//! - **Contacts**: on `from..=to`, the effective contacts kᵍ of `stratum`
//!   (after confinement) are multiplied by `scale` before the normalisation
//!   zᵍ = kᵍNᵍ / Σᵢ f(ñᵢ)ñᵢᵍ. Since C's row g is the susceptible's stratum,
//!   this lowers the infection pressure *on* stratum g (school closure: Y);
//!   the pressure that g exerts on other strata is left as it is.
//! - **Vaccination**: see [`super::vaccination`].

use didymos_core::{Error, Located, Result};

use super::setup::Containment;
use super::vaccination::{Campaign, VaccineEffect};
use super::windows::confinement_schedule;
use super::{MmcaModel, COMPARTMENT_NAMES, N_COMPARTMENTS, VACCINATED_NAMES};

/// Which commuting edges a mobility measure scales.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Edges into the chosen patches (from other patches).
    Inflow,
    /// Edges out of the chosen patches (to other patches).
    Outflow,
    Both,
}

/// One intervention; `from..=to` are 1-based calendar days.
#[derive(Debug, Clone, PartialEq)]
pub enum Intervention {
    Confinement {
        from: usize,
        to: usize,
        containment: Containment,
    },
    Mobility {
        from: usize,
        to: usize,
        /// 0-based patch indices.
        patches: Vec<usize>,
        direction: Direction,
        /// Multiplier of the commuting shares, ≥ 0 (0 = full cordon).
        scale: f64,
    },
    Contacts {
        from: usize,
        to: usize,
        /// 0-based stratum index.
        stratum: usize,
        /// Multiplier of the stratum's contacts, ≥ 0.
        scale: f64,
    },
    Vaccination {
        from: usize,
        to: usize,
        /// Share of the total population vaccinated per day, in [0, 1].
        daily_share: f64,
        /// 0-based strata, served in this order.
        priority: Vec<usize>,
        efficacy_infection: f64,
        /// ≥ efficacy_infection.
        efficacy_severe: f64,
    },
}

impl Intervention {
    pub fn window(&self) -> (usize, usize) {
        match *self {
            Intervention::Confinement { from, to, .. }
            | Intervention::Mobility { from, to, .. }
            | Intervention::Contacts { from, to, .. }
            | Intervention::Vaccination { from, to, .. } => (from, to),
        }
    }
    pub fn kind(&self) -> &'static str {
        match self {
            Intervention::Confinement { .. } => "confinement",
            Intervention::Mobility { .. } => "mobility",
            Intervention::Contacts { .. } => "contacts",
            Intervention::Vaccination { .. } => "vaccination",
        }
    }
    /// Whether `self` and `other` would contradict each other: same kind,
    /// overlapping windows and (for mobility and contacts) the same target.
    pub fn conflicts_with(&self, other: &Intervention) -> bool {
        let ((a0, a1), (b0, b1)) = (self.window(), other.window());
        if a0 > b1 || b0 > a1 {
            return false;
        }
        use Intervention as I;
        match (self, other) {
            (I::Confinement { .. }, I::Confinement { .. }) => true,
            (I::Vaccination { .. }, I::Vaccination { .. }) => true,
            (I::Contacts { stratum: a, .. }, I::Contacts { stratum: b, .. }) => a == b,
            (I::Mobility { patches: a, .. }, I::Mobility { patches: b, .. }) => {
                a.iter().any(|p| b.contains(p))
            }
            _ => false,
        }
    }
}

/// The first pair (i, j), i < j, of conflicting interventions.
pub fn first_conflict(list: &[Intervention]) -> Option<(usize, usize)> {
    (0..list.len()).find_map(|i| {
        (i + 1..list.len())
            .find(|&j| list[i].conflicts_with(&list[j]))
            .map(|j| (i, j))
    })
}

/// Contact multipliers: (from, to, stratum, scale).
pub(crate) type ContactWindow = (usize, usize, usize, f64);

fn bad(field: &str, msg: String) -> Error {
    Error::input(Located::default().field(field.to_string()), msg)
}

impl MmcaModel {
    /// A copy of this model with `interventions` in force (semantics in the
    /// module doc). `vaccination_layout` adds the vaccinated compartments
    /// (required when a vaccination is given; allowed without one, so that
    /// every scenario of a comparison can share one layout).
    pub fn with_interventions(
        &self,
        interventions: &[Intervention],
        vaccination_layout: bool,
    ) -> Result<MmcaModel> {
        if self.has_interventions() {
            return Err(Error::Other(
                "with_interventions: apply all interventions at once to the plain model".into(),
            ));
        }
        for iv in interventions {
            self.check_intervention(iv)?;
        }
        if let Some((i, j)) = first_conflict(interventions) {
            return Err(bad(
                "intervention",
                format!(
                    "interventions {} and {} ({}) overlap in time on the same target",
                    i + 1,
                    j + 1,
                    interventions[i].kind()
                ),
            ));
        }
        let mut m = self.clone();
        m.schedule = confinement_schedule(&self.schedule, interventions);
        m.networks = self.mobility_networks(interventions)?;
        m.contact_windows = interventions
            .iter()
            .filter_map(|iv| match *iv {
                Intervention::Contacts {
                    from,
                    to,
                    stratum,
                    scale,
                } => Some((from, to, stratum, scale)),
                _ => None,
            })
            .collect();
        let total: f64 = self.net.pop_patch.iter().sum();
        m.campaigns = interventions
            .iter()
            .filter_map(|iv| match iv {
                Intervention::Vaccination {
                    from,
                    to,
                    daily_share,
                    priority,
                    ..
                } => Some(Campaign {
                    from: *from,
                    to: *to,
                    doses: daily_share * total,
                    priority: priority.clone(),
                }),
                _ => None,
            })
            .collect();
        let mut effects = interventions.iter().filter_map(|iv| match *iv {
            Intervention::Vaccination {
                efficacy_infection,
                efficacy_severe,
                ..
            } => Some(VaccineEffect::new(efficacy_infection, efficacy_severe)),
            _ => None,
        });
        if let Some(first) = effects.next() {
            if !vaccination_layout {
                return Err(bad(
                    "vaccination",
                    "a vaccination needs the vaccinated layout (vaccination_layout = true)".into(),
                ));
            }
            // The vaccinated compartments hold one cohort: its protection
            // must not depend on which campaign vaccinated whom.
            if effects.any(|e| e != first) {
                return Err(bad(
                    "vaccination",
                    "all vaccinations of a scenario must have the same efficacies".into(),
                ));
            }
            m.vaccine = first;
        }
        if vaccination_layout {
            m.stride = N_COMPARTMENTS + VACCINATED_NAMES.len();
            m.layout.variables = COMPARTMENT_NAMES
                .iter()
                .chain(VACCINATED_NAMES.iter())
                .map(|s| s.to_string())
                .collect();
        }
        Ok(m)
    }

    /// Map a state of `base` (same patches and strata) into this model's
    /// layout: the vaccinated compartments start empty.
    pub fn lift_state(&self, base: &MmcaModel, state: &[f64]) -> Result<Vec<f64>> {
        let (from, to) = (base.stride, self.stride);
        let records = self.net.pop.len();
        if base.layout.units != self.layout.units || base.layout.strata != self.layout.strata {
            return Err(Error::Other(
                "lift_state: the two models have different patches or strata".into(),
            ));
        }
        if state.len() != records * from {
            return Err(Error::Other(format!(
                "lift_state: state has {} values, the base layout {}",
                state.len(),
                records * from
            )));
        }
        if from == to {
            return Ok(state.to_vec());
        }
        let mut out = vec![0.0; records * to];
        for (src, dst) in state.chunks_exact(from).zip(out.chunks_exact_mut(to)) {
            let keep = from.min(to);
            if src[keep..].iter().any(|&x| x != 0.0) {
                return Err(Error::Other(
                    "lift_state: the state has vaccinated persons this layout cannot hold".into(),
                ));
            }
            dst[..keep].copy_from_slice(&src[..keep]);
        }
        Ok(out)
    }

    /// Bounds that the model needs to run safely; the scenario loader
    /// checks the same with file positions first.
    fn check_intervention(&self, iv: &Intervention) -> Result<()> {
        let (from, to) = iv.window();
        let n_days = self.setup.calendar.n_days();
        if from == 0 || from > to || to > n_days {
            return Err(bad(
                iv.kind(),
                format!("window {from}..={to} is not within days 1..={n_days}"),
            ));
        }
        let (m, g_n) = (self.net.n_patches, self.net.n_strata);
        let unit = |x: f64| (0.0..=1.0).contains(&x);
        let ok = match iv {
            Intervention::Confinement { containment: c, .. } => {
                unit(c.kappa0) && unit(c.phi) && unit(c.delta)
            }
            Intervention::Mobility { patches, scale, .. } => {
                patches.iter().all(|&p| p < m) && scale.is_finite() && *scale >= 0.0
            }
            Intervention::Contacts { stratum, scale, .. } => {
                *stratum < g_n && scale.is_finite() && *scale >= 0.0
            }
            Intervention::Vaccination {
                daily_share,
                priority,
                efficacy_infection: ei,
                efficacy_severe: es,
                ..
            } => {
                priority.iter().all(|&g| g < g_n)
                    && unit(*daily_share)
                    && unit(*ei)
                    && unit(*es)
                    && es >= ei
            }
        };
        if !ok {
            return Err(bad(iv.kind(), format!("out-of-range values in {iv:?}")));
        }
        Ok(())
    }
}
