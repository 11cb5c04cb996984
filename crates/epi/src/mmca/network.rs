//! Read-only structure shared by all members: rounded populations and the
//! commuting network in both directions (compressed rows).
//!
//! The reference code walks an edge list and, per edge, multiplies the
//! compartments by a per-stratum mobility weight that depends on the
//! current mobility share pᵍ. Factoring pᵍ out,
//!
//! ```text
//! Σ_e ρ[h,i]·n[h,i]·((1−pₕ)δᵢⱼ + pₕRᵢⱼ) = (1−pₕ)·x[h,j] + pₕ·Σ_{i→j} Rᵢⱼ·x[h,i],
//! ```
//!
//! turns the hot loop into a plain sparse product with the fixed matrix Rᵀ,
//! independent of confinement, so the edges are never rebuilt when κ₀
//! changes and a batch of members can share one pass over them.

use didymos_core::{Error, Located, Result};

use super::setup::{Edge, Metapopulation};

/// Compressed rows: row r owns `ptr[r]..ptr[r+1]` of `col`/`val`.
#[derive(Debug, Clone, PartialEq)]
pub struct Csr {
    pub ptr: Vec<usize>,
    pub col: Vec<u32>,
    pub val: Vec<f64>,
}

impl Csr {
    fn from_triplets(n: usize, mut t: Vec<(u32, u32, f64)>) -> Csr {
        t.sort_by_key(|&(r, c, _)| (r, c));
        let mut ptr = vec![0usize; n + 1];
        for &(r, _, _) in &t {
            ptr[r as usize + 1] += 1;
        }
        for r in 0..n {
            ptr[r + 1] += ptr[r];
        }
        Csr {
            ptr,
            col: t.iter().map(|x| x.1).collect(),
            val: t.iter().map(|x| x.2).collect(),
        }
    }
    pub fn row(&self, r: usize) -> (&[u32], &[f64]) {
        let (a, b) = (self.ptr[r], self.ptr[r + 1]);
        (&self.col[a..b], &self.val[a..b])
    }
    pub fn nnz(&self) -> usize {
        self.col.len()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    pub n_patches: usize,
    pub n_strata: usize,
    /// nᵢᵍ rounded half-to-even (Julia's `round`, as EpiSim), `[i*G + g]`.
    pub pop: Vec<f64>,
    /// nᵢ = Σ_g nᵢᵍ.
    pub pop_patch: Vec<f64>,
    /// Nᵍ = Σ_i nᵢᵍ.
    pub pop_stratum: Vec<f64>,
    /// sᵢ.
    pub area: Vec<f64>,
    /// Incoming edges by target j: (source i, Rᵢⱼ).
    pub incoming: Csr,
    /// Outgoing edges by source i: (target j, Rᵢⱼ).
    pub outgoing: Csr,
    /// Σ_{i→j} Rᵢⱼ·nᵢᵍ, `[j*G + g]`: commuters arriving if everyone moved.
    pub arriving: Vec<f64>,
}

impl Network {
    pub fn new(meta: &Metapopulation, n_strata: usize, edges: &[Edge]) -> Result<Network> {
        let m = meta.ids.len();
        let g_n = n_strata;
        let mut pop = Vec::with_capacity(m * g_n);
        for (i, row) in meta.population.iter().enumerate() {
            if row.len() != g_n {
                return Err(Error::input(
                    Located::default().field(format!("population of patch {}", meta.ids[i])),
                    format!("{} strata given, {g_n} expected", row.len()),
                ));
            }
            pop.extend(row.iter().map(|x| x.round_ties_even()));
        }
        let pop_patch: Vec<f64> = pop.chunks(g_n).map(|r| r.iter().sum()).collect();
        let pop_stratum: Vec<f64> = (0..g_n)
            .map(|g| (0..m).map(|i| pop[i * g_n + g]).sum())
            .collect();

        // EpiSim's correct_self_loops: an origin with no outgoing edge keeps
        // all its residents at home (Rᵢᵢ = 1). The zero self-loops it adds to
        // the other origins contribute nothing here and are left out.
        let mut has_out = vec![false; m];
        let mut trip = Vec::with_capacity(edges.len() + m);
        for e in edges {
            if e.source >= m || e.target >= m {
                return Err(Error::input(
                    Located::default().field("mobility edge"),
                    format!("{e:?} refers to a patch beyond {m}"),
                ));
            }
            has_out[e.source] = true;
            trip.push((e.source as u32, e.target as u32, e.ratio));
        }
        for (i, _) in has_out.iter().enumerate().filter(|(_, h)| !**h) {
            trip.push((i as u32, i as u32, 1.0));
        }
        let outgoing = Csr::from_triplets(m, trip.clone());
        let incoming = Csr::from_triplets(m, trip.into_iter().map(|(i, j, r)| (j, i, r)).collect());

        let mut arriving = vec![0.0; m * g_n];
        for j in 0..m {
            let (src, r) = incoming.row(j);
            for (&i, &r) in src.iter().zip(r) {
                for g in 0..g_n {
                    arriving[j * g_n + g] += r * pop[i as usize * g_n + g];
                }
            }
        }
        Ok(Network {
            n_patches: m,
            n_strata: g_n,
            pop,
            pop_patch,
            pop_stratum,
            area: meta.area.clone(),
            incoming,
            outgoing,
            arriving,
        })
    }
}
