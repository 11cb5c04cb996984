//! Everything that defines one MMCA run, already validated. Loaders (EpiSim
//! files, the native twin spec) build a [`MmcaSetup`]; the model consumes it.

use didymos_core::{Calendar, Timeline};

/// Per-stratum epidemic rates and infectivities (Arenas et al. 2020,
/// MMCAcovid19.jl names in comments). All are probabilities per day.
#[derive(Debug, Clone, PartialEq)]
pub struct EpiParams {
    /// βᴵ: infectivity of symptomatic infected.
    pub beta_i: f64,
    /// βᴬ: infectivity of asymptomatic infected (explicit, or scale_β·βᴵ).
    pub beta_a: f64,
    /// ηᵍ: E → A.
    pub eta: Vec<f64>,
    /// αᵍ: A → I.
    pub alpha: Vec<f64>,
    /// μᵍ: leaving I.
    pub mu: Vec<f64>,
    /// θᵍ: direct death probability (I → PD).
    pub theta: Vec<f64>,
    /// γᵍ: hospitalisation (ICU) probability (I → PH).
    pub gamma: Vec<f64>,
    /// ζᵍ: PD → D.
    pub zeta: Vec<f64>,
    /// λᵍ: PH → HR/HD.
    pub lambda: Vec<f64>,
    /// ωᵍ: fatality probability in hospital (PH → HD).
    pub omega: Vec<f64>,
    /// ψᵍ: HD → D.
    pub psi: Vec<f64>,
    /// χᵍ: HR → R.
    pub chi: Vec<f64>,
}

/// Population structure and contact parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationParams {
    /// Stratum labels, e.g. ["Y", "M", "O"]. The LAST stratum keeps its home
    /// contacts under confinement (the "elders" rule of the reference code).
    pub strata: Vec<String>,
    /// C: G×G contact matrix, row = stratum of the susceptible.
    pub contact: Vec<Vec<f64>>,
    /// kᵍ: contacts per day.
    pub k: Vec<f64>,
    /// kᵍ_h: contacts at home.
    pub k_home: Vec<f64>,
    /// kᵍ_w: contacts at work.
    pub k_work: Vec<f64>,
    /// pᵍ: share of the stratum that commutes.
    pub p_mobility: Vec<f64>,
    /// ξ: density factor.
    pub xi: f64,
    /// σ: average household size.
    pub sigma: f64,
}

/// Patches: ids, areas and population per stratum (persons, as read: the
/// model rounds them as EpiSim does).
#[derive(Debug, Clone, PartialEq)]
pub struct Metapopulation {
    pub ids: Vec<String>,
    /// sᵢ in km².
    pub area: Vec<f64>,
    /// `population[patch][stratum]`.
    pub population: Vec<Vec<f64>>,
}

/// One commuting edge, 0-based patch indices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    pub source: usize,
    pub target: usize,
    /// Share of the source's residents who travel to the target daily.
    pub ratio: f64,
}

/// Seeds: person counts placed in the A compartment, per stratum.
#[derive(Debug, Clone, PartialEq)]
pub struct Seed {
    /// 0-based patch index.
    pub patch: usize,
    pub counts: Vec<f64>,
}

/// A confinement measure applied on a day (MMCAcovid19.jl's NPI).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Containment {
    /// κ₀: mobility reduction, in [0, 1].
    pub kappa0: f64,
    /// ϕ: permeability of confined households, in [0, 1].
    pub phi: f64,
    /// δ: social distancing, in [0, 1].
    pub delta: f64,
}

/// A complete, validated MMCA run definition.
#[derive(Debug, Clone, PartialEq)]
pub struct MmcaSetup {
    pub calendar: Calendar,
    pub epi: EpiParams,
    pub population: PopulationParams,
    pub metapopulation: Metapopulation,
    pub edges: Vec<Edge>,
    pub seeds: Vec<Seed>,
    /// Containments by 1-based day; several on one day are not allowed.
    pub containments: Timeline<Containment>,
}
