//! The MMCA metapopulation model of Arenas et al., PRX 10, 041055 (2020),
//! with the semantics of MMCAcovid19.jl as run by EpiSim.jl.

pub mod setup;

pub use setup::*;
