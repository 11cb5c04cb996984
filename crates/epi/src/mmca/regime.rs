//! The mobility/contact regime in force on a day: effective mobility pᵍ,
//! contacts kᵍ, effective populations and the normalisation zᵍ·f(ñᵢ).
//!
//! It depends only on the latest containment on or before the day (the
//! reference mutates these in place at each containment date and keeps them
//! until the next one), never on a member's state.

use didymos_core::math;

use super::network::Network;
use super::setup::{Containment, PopulationParams};

/// EpiSim replaces exact zeros in effective populations by this value to
/// avoid dividing by zero.
const EMPTY_POPULATION: f64 = 1e-7;

#[derive(Debug, Clone, PartialEq)]
pub struct Regime {
    pub p_eff: Vec<f64>,
    pub k_eff: Vec<f64>,
    /// ñᵢᵍ (with zero replaced), `[i*G + g]`.
    pub n_eff: Vec<f64>,
    /// 1/ñᵢᵍ: the kernel multiplies by it (a division per patch, stratum
    /// and member was a tenth of its time).
    pub inv_n_eff: Vec<f64>,
    /// zᵍ·(2 − exp(−ξ ñᵢ / sᵢ)), `[i*G + g]`.
    pub norm: Vec<f64>,
}

impl Regime {
    pub fn new(net: &Network, pop: &PopulationParams, in_force: Option<&Containment>) -> Regime {
        Regime::with_contact_scales(net, pop, in_force, &[])
    }

    /// The regime with kᵍ multiplied by `scale` for each `(g, scale)` (a
    /// scenario's contact reduction), before the normalisation.
    pub fn with_contact_scales(
        net: &Network,
        pop: &PopulationParams,
        in_force: Option<&Containment>,
        contact_scales: &[(usize, f64)],
    ) -> Regime {
        let g_n = net.n_strata;
        let (p_eff, mut k_eff) = match in_force {
            None => (pop.p_mobility.clone(), pop.k.clone()),
            Some(c) => {
                let p: Vec<f64> = pop
                    .p_mobility
                    .iter()
                    .map(|p| (1.0 - c.kappa0) * p)
                    .collect();
                let mut k: Vec<f64> = (0..g_n)
                    .map(|g| {
                        pop.k_home[g] * c.kappa0
                            + (pop.k_home[g] + pop.k_work[g]) * (1.0 - c.delta) * (1.0 - c.kappa0)
                    })
                    .collect();
                // The reference keeps the last stratum's home contacts under
                // confinement ("elders keep home contacts").
                k[g_n - 1] = pop.k_home[g_n - 1];
                (p, k)
            }
        };
        for &(g, s) in contact_scales {
            k_eff[g] *= s;
        }
        let m = net.n_patches;
        let mut n_eff = vec![0.0; m * g_n];
        let mut n_patch_eff = vec![0.0; m];
        for i in 0..m {
            for g in 0..g_n {
                let x =
                    (1.0 - p_eff[g]) * net.pop[i * g_n + g] + p_eff[g] * net.arriving[i * g_n + g];
                n_eff[i * g_n + g] = x;
                n_patch_eff[i] += x;
            }
        }
        for x in n_patch_eff.iter_mut().chain(n_eff.iter_mut()) {
            if *x == 0.0 {
                *x = EMPTY_POPULATION;
            }
        }
        // ξ = 0 with a zero area gives 0/0: no density effect then.
        let mut density: Vec<f64> = (0..m)
            .map(|i| {
                let r = pop.xi * n_patch_eff[i] / net.area[i];
                -(if r.is_nan() { 0.0 } else { r })
            })
            .collect();
        math::exp_in_place(&mut density);
        for d in &mut density {
            *d = 2.0 - *d;
        }
        let z: Vec<f64> = (0..g_n)
            .map(|g| {
                let denom: f64 = (0..m).map(|i| density[i] * n_eff[i * g_n + g]).sum();
                k_eff[g] * net.pop_stratum[g] / denom
            })
            .collect();
        let mut norm = Vec::with_capacity(m * g_n);
        for d in &density {
            norm.extend(z.iter().map(|z| z * d));
        }
        let inv_n_eff = n_eff.iter().map(|n| 1.0 / n).collect();
        Regime {
            p_eff,
            k_eff,
            n_eff,
            inv_n_eff,
            norm,
        }
    }
}
