//! The MMCA metapopulation model of Arenas et al., PRX 10, 041055 (2020),
//! with the semantics of MMCAcovid19.jl as run by EpiSim.jl.
//!
//! State per (patch, stratum): the 11 compartments below as shares of the
//! stratum's (rounded) population, so they sum to 1; scenario models with
//! vaccination append 4 more (see [`vaccination`]).

mod binomial;
pub mod interventions;
pub mod kernel;
pub mod model;
pub mod network;
mod rates;
pub mod regime;
pub mod setup;
mod spmm;
pub mod vaccination;
mod windows;

pub use interventions::{Direction, Intervention};
pub use model::{MmcaModel, ProcessNoise, BETA_SCALE, OBSERVABLES, RATE_NAMES};
pub use setup::*;
pub use vaccination::VACCINATED_NAMES;

pub const N_COMPARTMENTS: usize = 11;

/// Compartments in EpiSim's output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compartment {
    S = 0,
    E,
    A,
    I,
    PH,
    PD,
    HR,
    HD,
    R,
    D,
    /// Susceptibles in safely confined households.
    CH,
}

pub const COMPARTMENT_NAMES: [&str; N_COMPARTMENTS] =
    ["S", "E", "A", "I", "PH", "PD", "HR", "HD", "R", "D", "CH"];
