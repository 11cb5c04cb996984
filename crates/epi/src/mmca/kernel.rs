//! One day of the MMCA Markov chain for a batch of members.
//!
//! Batch buffers are laid out `[patch][member][value]` so the two sparse
//! products over the commuting network read each edge once per batch and
//! then run a short contiguous loop over members (which the compiler
//! vectorises).

use didymos_core::{math, MemberRng};

use super::binomial::advance_binomial;
use super::network::Network;
use super::regime::Regime;
use super::setup::Containment;
use super::spmm::spmm;
use super::vaccination::{advance_vaccinated, VaccineEffect, AV, IV, SV};
use super::{Compartment as C, N_COMPARTMENTS};

/// Per-member rates, already resolved from the member's parameter vector.
#[derive(Debug, Clone)]
pub struct MemberRates {
    /// ln(1 − βᴬ) and ln(1 − βᴵ): the infection probability is computed as
    /// 1 − exp(norm·(Pᴬ ln(1−βᴬ) + Pᴵ ln(1−βᴵ))), one exp instead of two pows.
    /// Per patch: the global and local transmission scales applied.
    pub ln_escape_a: PerPatch,
    pub ln_escape_i: PerPatch,
    /// Transition coefficients per stratum, `[g]`.
    pub strata: Vec<Transitions>,
}

/// One stratum's transition coefficients, products of its rates taken once
/// per member and day instead of once per patch. Each product keeps the
/// reference's left-to-right association, so results are the same bits as
/// multiplying the rates out in place.
#[derive(Debug, Clone)]
pub struct Transitions {
    pub eta: f64,
    pub alpha: f64,
    pub zeta: f64,
    pub chi: f64,
    pub psi: f64,
    pub keep_e: f64,
    pub keep_a: f64,
    pub keep_i: f64,
    pub keep_ph: f64,
    pub keep_pd: f64,
    pub keep_hr: f64,
    pub keep_hd: f64,
    /// μ(1−θ)γ: symptomatic to hospital-bound (PH).
    pub i_to_ph: f64,
    /// μθ: symptomatic to death-bound (PD).
    pub i_to_pd: f64,
    /// μ(1−θ)(1−γ): symptomatic recovering at home.
    pub i_to_r: f64,
    /// λ(1−ω), λω: admissions recovering (HR) and dying (HD).
    pub ph_to_hr: f64,
    pub ph_to_hd: f64,
}

impl Transitions {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        eta: f64,
        alpha: f64,
        mu: f64,
        theta: f64,
        gamma: f64,
        zeta: f64,
        lambda: f64,
        omega: f64,
        psi: f64,
        chi: f64,
    ) -> Transitions {
        Transitions {
            eta,
            alpha,
            zeta,
            chi,
            psi,
            keep_e: 1.0 - eta,
            keep_a: 1.0 - alpha,
            keep_i: 1.0 - mu,
            keep_ph: 1.0 - lambda,
            keep_pd: 1.0 - zeta,
            keep_hr: 1.0 - chi,
            keep_hd: 1.0 - psi,
            i_to_ph: mu * (1.0 - theta) * gamma,
            i_to_pd: mu * theta,
            i_to_r: mu * (1.0 - theta) * (1.0 - gamma),
            ph_to_hr: lambda * (1.0 - omega),
            ph_to_hd: lambda * omega,
        }
    }
}

/// A per-patch value that is usually the same everywhere: members without
/// regional multipliers then carry one number, not a vector per day.
#[derive(Debug, Clone)]
pub enum PerPatch {
    Uniform(f64),
    Each(Vec<f64>),
}

impl PerPatch {
    #[inline]
    pub fn at(&self, patch: usize) -> f64 {
        match self {
            PerPatch::Uniform(x) => *x,
            PerPatch::Each(v) => v[patch],
        }
    }
}

/// Reusable batch buffers.
#[derive(Default)]
pub struct Scratch {
    /// Infectious persons (A then I, per stratum): `[i][b][2G]`.
    infectious: Vec<f64>,
    /// The same for the mobile strata only (pᵍ ≠ 0): `[i][b][2K]`.
    mobile_inf: Vec<f64>,
    /// Rᵀ·mobile_inf.
    arriving: Vec<f64>,
    /// Infection probability P: `[j][b][G]`.
    prob: Vec<f64>,
    /// P of the mobile strata: `[j][b][K]`.
    mobile_prob: Vec<f64>,
    /// τ = R·P (mobile strata): `[i][b][K]`.
    tau: Vec<f64>,
    /// Mobile strata, and each stratum's position among them.
    mobile: Vec<usize>,
    slot: Vec<usize>,
}

/// What a day's step shares across the batch.
pub struct DayContext<'a> {
    pub net: &'a Network,
    pub contact: &'a [Vec<f64>],
    /// The regime in force on day t.
    pub regime: &'a Regime,
    /// A containment applied on day t: it releases and re-draws the
    /// confined households.
    pub today: Option<&'a Containment>,
    /// σ, the household size exponent.
    pub sigma: f64,
    /// Protection of the vaccinated compartments (stride 15 only).
    pub vaccine: VaccineEffect,
}

/// Advance `states` (one flat state per member) from day t to t+1. `W` is
/// the record stride: 11, or 15 with the vaccinated compartments (a
/// constant, so the plain model's loops compile exactly as before). With
/// `rngs` (one per member), the transitions are drawn: the binomial chain
/// (`binomial.rs`); the vaccinated compartments stay deterministic.
pub fn step_batch<const W: usize>(
    day: &DayContext<'_>,
    rates: &[MemberRates],
    states: &mut [&mut [f64]],
    mut rngs: Option<&mut [&mut MemberRng]>,
    s: &mut Scratch,
) {
    let DayContext {
        net,
        contact,
        regime,
        today,
        sigma,
        vaccine,
    } = *day;
    let vaccinated = W > N_COMPARTMENTS;
    let m = net.n_patches;
    let g_n = net.n_strata;
    let b_n = states.len();
    // Only strata that commute (pᵍ ≠ 0) need the two sparse products: for
    // pᵍ = 0, (1−p)·x + p·(Rᵀx) is x bit for bit (0·finite = 0, x + 0 = x).
    s.mobile.clear();
    s.mobile
        .extend((0..g_n).filter(|&g| regime.p_eff[g] != 0.0));
    s.slot.clear();
    s.slot.resize(g_n, usize::MAX);
    for (k, &g) in s.mobile.iter().enumerate() {
        s.slot[g] = k;
    }
    let k_n = s.mobile.len();
    let w_inf = b_n * 2 * g_n;
    let w_g = b_n * g_n;
    let w_mi = b_n * 2 * k_n;
    let w_mg = b_n * k_n;
    s.infectious.resize(m * w_inf, 0.0);
    s.mobile_inf.resize(m * w_mi, 0.0);
    s.arriving.resize(m * w_mi, 0.0);
    s.prob.resize(m * w_g, 0.0);
    s.mobile_prob.resize(m * w_mg, 0.0);
    s.tau.resize(m * w_mg, 0.0);

    for i in 0..m {
        for (b, st) in states.iter().enumerate() {
            let out = &mut s.infectious[i * w_inf + b * 2 * g_n..][..2 * g_n];
            for g in 0..g_n {
                let n = net.pop[i * g_n + g];
                let x = &st[(i * g_n + g) * W..];
                if vaccinated {
                    out[g] = (x[C::A as usize] + x[AV]) * n;
                    out[g_n + g] = (x[C::I as usize] + x[IV]) * n;
                } else {
                    out[g] = x[C::A as usize] * n;
                    out[g_n + g] = x[C::I as usize] * n;
                }
            }
            let mob = &mut s.mobile_inf[i * w_mi + b * 2 * k_n..][..2 * k_n];
            for (k, &g) in s.mobile.iter().enumerate() {
                mob[k] = out[g];
                mob[k_n + k] = out[g_n + g];
            }
        }
    }
    if k_n > 0 {
        spmm(&net.incoming, &s.mobile_inf, &mut s.arriving, w_mi);
    }

    // P_jᵍ: probability that a susceptible of stratum g in patch j is
    // infected today, from the asymptomatic and symptomatic present in j.
    let mut present = vec![0.0; 2 * g_n];
    for j in 0..m {
        for (b, r) in rates.iter().enumerate() {
            let at = j * w_inf + b * 2 * g_n;
            let here = &s.infectious[at..at + 2 * g_n];
            let arriving = &s.arriving[j * w_mi + b * 2 * k_n..][..2 * k_n];
            let inv_n_eff = &regime.inv_n_eff[j * g_n..][..g_n];
            for part in 0..2 {
                // part 0: asymptomatic (A), part 1: symptomatic (I).
                let (here, arriving) = (&here[part * g_n..][..g_n], &arriving[part * k_n..][..k_n]);
                let out = &mut present[part * g_n..][..g_n];
                for g in 0..g_n {
                    let p = regime.p_eff[g];
                    out[g] = if p == 0.0 {
                        here[g] * inv_n_eff[g]
                    } else {
                        ((1.0 - p) * here[g] + p * arriving[s.slot[g]]) * inv_n_eff[g]
                    };
                }
            }
            for (g, c_row) in contact.iter().enumerate() {
                let (mut pa, mut pi) = (0.0, 0.0);
                for (h, c) in c_row.iter().enumerate() {
                    pa += c * present[h];
                    pi += c * present[g_n + h];
                }
                // Skip zero terms so that β = 1 (ln 0 = −∞) gives 0·(−∞) = 0,
                // as (1−β)^0 = 1 in the reference.
                let mut e = 0.0;
                if pa != 0.0 {
                    e += pa * r.ln_escape_a.at(j);
                }
                if pi != 0.0 {
                    e += pi * r.ln_escape_i.at(j);
                }
                // The exponent for now; exponentiated below in one pass.
                s.prob[j * w_g + b * g_n + g] = regime.norm[j * g_n + g] * e;
            }
        }
    }
    // A separate branch-free pass, so that it vectorises.
    for p in s.prob.iter_mut() {
        *p = -math::exp_m1(*p);
    }
    for j in 0..m {
        for b in 0..b_n {
            let pm = &mut s.mobile_prob[j * w_mg + b * k_n..][..k_n];
            for (k, &g) in s.mobile.iter().enumerate() {
                pm[k] = s.prob[j * w_g + b * g_n + g];
            }
        }
    }
    if k_n > 0 {
        spmm(&net.outgoing, &s.mobile_prob, &mut s.tau, w_mg);
    }

    for (b, (st, r)) in states.iter_mut().zip(rates).enumerate() {
        for i in 0..m {
            // Confined households: a containment day releases those confined
            // before and confines a new share CHᵢ of the susceptible.
            let ch = match today {
                None => 0.0,
                Some(c) => confined_share::<W>(net, st, i, c, sigma),
            };
            for g in 0..g_n {
                let p = regime.p_eff[g];
                let prob = s.prob[i * w_g + b * g_n + g];
                // τ sums P over outgoing shares that add up to 1 only within
                // input tolerance; keep Π a probability.
                let big_pi = if p == 0.0 {
                    prob.min(1.0)
                } else {
                    let tau = s.tau[i * w_mg + b * k_n + s.slot[g]];
                    ((1.0 - p) * prob + p * tau).min(1.0)
                };
                let x = &mut st[(i * g_n + g) * W..][..W];
                let mut sus = x[C::S as usize];
                if today.is_some() {
                    sus += x[C::CH as usize];
                    x[C::CH as usize] = ch * sus;
                }
                match rngs.as_deref_mut() {
                    None => advance(x, sus, big_pi, ch, &r.strata[g]),
                    Some(rngs) => {
                        let n = net.pop[i * g_n + g];
                        advance_binomial(x, sus, big_pi, ch, &r.strata[g], n, rngs[b]);
                    }
                }
                if vaccinated {
                    advance_vaccinated(x, big_pi, &r.strata[g], &vaccine);
                }
            }
        }
    }
}

/// CHᵢ = (1−ϕ)·κ₀·(share of the patch that is not E, A or I)^σ. The base is
/// clamped to [0, 1]: rounding can push it a hair below 0 (a negative base to
/// a fractional power is NaN, EpiSim's DomainError) or above 1 (with κ₀ = 1,
/// ϕ = 0 that would confine more than all susceptibles and make S negative).
/// Vaccinated susceptibles (SV) count as safe; vaccinated E, A, I do not.
fn confined_share<const W: usize>(
    net: &Network,
    st: &[f64],
    i: usize,
    c: &Containment,
    sigma: f64,
) -> f64 {
    let g_n = net.n_strata;
    let n_i = net.pop_patch[i];
    if n_i <= 0.0 {
        return 0.0;
    }
    let mut safe = 0.0;
    for g in 0..g_n {
        let x = &st[(i * g_n + g) * W..][..W];
        let mut not_infected = x[C::S as usize]
            + x[C::PH as usize]
            + x[C::PD as usize]
            + x[C::HR as usize]
            + x[C::HD as usize]
            + x[C::D as usize]
            + x[C::R as usize]
            + x[C::CH as usize];
        if W > N_COMPARTMENTS {
            not_infected += x[SV];
        }
        safe += not_infected * net.pop[i * g_n + g];
    }
    (1.0 - c.phi) * c.kappa0 * math::pow_nonneg((safe / n_i).clamp(0.0, 1.0), sigma)
}

/// The transition equations of the paper for one patch and stratum.
/// `sus` is the susceptible share available today (S plus released CH).
#[inline]
fn advance(x: &mut [f64], sus: f64, big_pi: f64, ch: f64, t: &Transitions) {
    let (e, a, i) = (x[C::E as usize], x[C::A as usize], x[C::I as usize]);
    let (ph, pd) = (x[C::PH as usize], x[C::PD as usize]);
    let (hr, hd) = (x[C::HR as usize], x[C::HD as usize]);
    // Association mirrors the reference so rounding matches it closely.
    x[C::S as usize] = (1.0 - big_pi) * (1.0 - ch) * sus;
    x[C::E as usize] = t.keep_e * e + big_pi * (1.0 - ch) * sus;
    x[C::A as usize] = t.keep_a * a + t.eta * e;
    x[C::I as usize] = t.keep_i * i + t.alpha * a;
    x[C::PH as usize] = t.keep_ph * ph + t.i_to_ph * i;
    x[C::PD as usize] = t.keep_pd * pd + t.i_to_pd * i;
    x[C::HR as usize] = t.keep_hr * hr + t.ph_to_hr * ph;
    x[C::HD as usize] = t.keep_hd * hd + t.ph_to_hd * ph;
    x[C::R as usize] = x[C::R as usize] + t.chi * hr + t.i_to_r * i;
    x[C::D as usize] = x[C::D as usize] + t.zeta * pd + t.psi * hd;
}
