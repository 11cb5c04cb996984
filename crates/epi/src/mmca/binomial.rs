//! The binomial-chain variant of one patch and stratum's day: the same
//! transitions as the deterministic chain, but each compartment's exits are
//! drawn (binomial, and multinomial where there are several destinations)
//! instead of taken as their expectation. Small places then have the chance
//! events (fade-out, a late spark) that the deterministic chain smooths
//! away, and a filter gets demographic noise where counts are low.
//!
//! States are shares of a population that the filters may leave
//! fractional, so a compartment holds c = ⌊c⌋ + f persons: its ⌊c⌋ whole
//! persons move by binomial draws, and the fraction f moves as one unit
//! with the same probabilities. Moves subtract from one compartment what
//! they add to another, so the population is conserved and nothing goes
//! negative; each move's mean is the deterministic flow.

use didymos_core::{rng, MemberRng};
use rand::Rng;

use super::kernel::Transitions;
use super::Compartment as C;

/// Persons leaving a compartment of `c` persons, each with probability `p`.
fn leaving(c: f64, p: f64, rng: &mut MemberRng) -> f64 {
    if c <= 0.0 || p <= 0.0 {
        return 0.0;
    }
    let p = p.min(1.0);
    let whole = c.floor();
    let mut k = 0.0;
    if whole >= 1.0 {
        k = rng::binomial(whole as u64, p, rng) as f64;
    }
    let frac = c - whole;
    if frac > 0.0 && rng.gen::<f64>() < p {
        k += frac;
    }
    k
}

/// Splits `k` leavers among destinations with probabilities proportional
/// to `weights` (a multinomial by successive binomials; the fraction of
/// `k`, if any, goes to one destination drawn with the same weights).
fn split<const D: usize>(k: f64, weights: [f64; D], rng: &mut MemberRng) -> [f64; D] {
    let mut out = [0.0; D];
    let total: f64 = weights.iter().sum();
    if k <= 0.0 || total <= 0.0 {
        return out;
    }
    let whole = k.floor();
    let mut left = whole;
    let mut rest = total;
    for d in 0..D - 1 {
        let p = if rest > 0.0 {
            (weights[d] / rest).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let n = if left >= 1.0 && p > 0.0 {
            rng::binomial(left as u64, p, rng) as f64
        } else {
            0.0
        };
        out[d] = n;
        left -= n;
        rest -= weights[d];
    }
    out[D - 1] = left;
    let frac = k - whole;
    if frac > 0.0 {
        let mut u = rng.gen::<f64>() * total;
        let mut d = 0;
        while d < D - 1 && u >= weights[d] {
            u -= weights[d];
            d += 1;
        }
        out[d] += frac;
    }
    out
}

/// One day for a stratum of `n` persons, as `kernel::advance` but drawn.
/// `sus` is today's susceptible share (S plus released CH), `ch` the share
/// of it confined today.
pub(crate) fn advance_binomial(
    x: &mut [f64],
    sus: f64,
    big_pi: f64,
    ch: f64,
    t: &Transitions,
    n: f64,
    rng: &mut MemberRng,
) {
    if n <= 0.0 {
        return;
    }
    let old = |c: C| x[c as usize] * n;
    let (e, a, i) = (old(C::E), old(C::A), old(C::I));
    let (ph, pd, hr, hd) = (old(C::PH), old(C::PD), old(C::HR), old(C::HD));
    let (r, d) = (old(C::R), old(C::D));
    let free = (1.0 - ch) * sus * n;
    let infected = leaving(free, big_pi, rng);
    let e_to_a = leaving(e, t.eta, rng);
    let a_to_i = leaving(a, t.alpha, rng);
    let i_out = leaving(i, t.i_to_ph + t.i_to_pd + t.i_to_r, rng);
    let [i_to_ph, i_to_pd, i_to_r] = split(i_out, [t.i_to_ph, t.i_to_pd, t.i_to_r], rng);
    let ph_out = leaving(ph, t.ph_to_hr + t.ph_to_hd, rng);
    let [ph_to_hr, ph_to_hd] = split(ph_out, [t.ph_to_hr, t.ph_to_hd], rng);
    let pd_to_d = leaving(pd, t.zeta, rng);
    let hr_to_r = leaving(hr, t.chi, rng);
    let hd_to_d = leaving(hd, t.psi, rng);

    let mut set = |c: C, persons: f64| x[c as usize] = persons.max(0.0) / n;
    set(C::S, free - infected);
    set(C::E, e + infected - e_to_a);
    set(C::A, a + e_to_a - a_to_i);
    set(C::I, i + a_to_i - i_out);
    set(C::PH, ph + i_to_ph - ph_out);
    set(C::PD, pd + i_to_pd - pd_to_d);
    set(C::HR, hr + ph_to_hr - hr_to_r);
    set(C::HD, hd + ph_to_hd - hd_to_d);
    set(C::R, r + hr_to_r + i_to_r);
    set(C::D, d + pd_to_d + hd_to_d);
}
