//! The vaccinated-compartment extension, after MMCACovid19Vac.jl in spirit
//! (a leaky vaccine with separate protection against infection and severe
//! disease), reduced to what scenarios need.
//!
//! **Layout.** With `vaccination_layout`, each (patch, stratum) record has 4
//! compartments after CH: SV, EV, AV, IV (vaccinated susceptible, exposed,
//! asymptomatic, symptomatic): a stride of 15 instead of 11. Vaccinated
//! people who leave IV join the common PH/PD/R chain (and HR/HD/D), so
//! those compartments count everyone.
//!
//! **Doses.** Each day t of a campaign (`from..=to`), before the step
//! t → t+1, `daily_share × Σᵢ nᵢ` doses (persons, a fixed number per day)
//! are given. Only unconfined, never-vaccinated susceptibles (S) are
//! eligible; doses are assumed targeted (none is spent on E, A, I, R or CH).
//! Strata are served in `priority` order: a stratum takes doses up to its
//! eligible persons Σᵢ Sᵢᵍnᵢᵍ, spread over patches in proportion to them
//! (the same share fᵍ of every patch's S moves to SV), and what is left
//! passes to the next stratum. A stratum whose S is exhausted (fᵍ = 1) is
//! covered; doses left after the last priority stratum are not used. Strata
//! not listed are never vaccinated.
//!
//! **Protection.** SV is infected with probability (1 − e_inf)·Π, Π being
//! the susceptibles' infection probability that day (leaky). EV → AV → IV
//! with the stratum's η and α; AV and IV infect exactly like A and I. IV
//! leaves at μ; the severe branches (I → PH with μ(1−θ)γ, I → PD with μθ)
//! are multiplied by c = (1 − e_sev)/(1 − e_inf) and the rest recovers, so a
//! vaccinated person's overall risk of a severe outcome is (1 − e_inf)·c =
//! 1 − e_sev times the unvaccinated one (c = 0 when e_inf = 1: nobody is
//! infected then anyway). Confinement (CH) draws only on S: vaccinated
//! susceptibles are never confined, but count as "safe" in the base of
//! CHᵢ = (1−ϕ)κ₀·base^σ.
//!
//! **Observables** include the vaccinated flows: new_infected adds AV·α·n,
//! new_hospitalized adds IV·n·c·μ(1−θ)γ; deaths and occupancy come from the
//! common D, HR and HD.

use super::kernel::Transitions;
use super::network::Network;
use super::Compartment as C;

/// Index of SV, EV, AV, IV in a 15-compartment record.
pub const SV: usize = 11;
pub const EV: usize = 12;
pub const AV: usize = 13;
pub const IV: usize = 14;

pub const VACCINATED_NAMES: [&str; 4] = ["SV", "EV", "AV", "IV"];

/// The vaccine's effect on the vaccinated compartments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VaccineEffect {
    /// 1 − e_inf: the vaccinated susceptible's infection probability factor.
    pub leak: f64,
    /// c = (1 − e_sev)/(1 − e_inf): the factor of the severe branches.
    pub severe: f64,
}

impl Default for VaccineEffect {
    /// No protection (used while nobody is vaccinated).
    fn default() -> Self {
        VaccineEffect {
            leak: 1.0,
            severe: 1.0,
        }
    }
}

impl VaccineEffect {
    pub fn new(efficacy_infection: f64, efficacy_severe: f64) -> VaccineEffect {
        let leak = 1.0 - efficacy_infection;
        let severe = if leak > 0.0 {
            ((1.0 - efficacy_severe) / leak).clamp(0.0, 1.0)
        } else {
            0.0
        };
        VaccineEffect { leak, severe }
    }
}

/// A campaign, resolved to persons per day.
#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    pub from: usize,
    pub to: usize,
    /// Doses per day, persons.
    pub doses: f64,
    /// 0-based strata in priority order.
    pub priority: Vec<usize>,
}

/// Give one day's doses of `campaign` to one member's state (stride 15).
pub fn give_doses(net: &Network, campaign: &Campaign, state: &mut [f64]) {
    const W: usize = 15;
    let g_n = net.n_strata;
    let mut left = campaign.doses;
    for &g in &campaign.priority {
        if left <= 0.0 {
            break;
        }
        let eligible: f64 = (0..net.n_patches)
            .map(|i| state[(i * g_n + g) * W + C::S as usize] * net.pop[i * g_n + g])
            .sum();
        if eligible <= 0.0 {
            continue;
        }
        let share = (left / eligible).min(1.0);
        for i in 0..net.n_patches {
            let x = &mut state[(i * g_n + g) * W..][..W];
            let moved = if share == 1.0 {
                x[C::S as usize]
            } else {
                share * x[C::S as usize]
            };
            x[C::S as usize] -= moved;
            x[SV] += moved;
        }
        left -= share * eligible;
    }
}

/// The vaccinated compartments' step, after [`super::kernel`]'s `advance`
/// has updated the first 11 from their own old values: it adds IV's
/// outflows to PH, PD and R.
#[inline]
pub fn advance_vaccinated(x: &mut [f64], big_pi: f64, t: &Transitions, v: &VaccineEffect) {
    let (sv, ev, av, iv) = (x[SV], x[EV], x[AV], x[IV]);
    let inf = v.leak * big_pi;
    x[SV] = (1.0 - inf) * sv;
    x[EV] = t.keep_e * ev + inf * sv;
    x[AV] = t.keep_a * av + t.eta * ev;
    x[IV] = t.keep_i * iv + t.alpha * av;
    let to_ph = v.severe * t.i_to_ph;
    let to_pd = v.severe * t.i_to_pd;
    let to_r = t.i_to_r + (t.i_to_ph - to_ph) + (t.i_to_pd - to_pd);
    x[C::PH as usize] += to_ph * iv;
    x[C::PD as usize] += to_pd * iv;
    x[C::R as usize] += to_r * iv;
}
