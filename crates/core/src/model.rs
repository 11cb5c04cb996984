//! The `Model` trait: the only thing algorithms know about a model.
//!
//! Like pomp's basic components, a model is split into an initializer, a
//! process step, an observation function (what the model predicts that can
//! be measured), and a named parameter space. A member's state and
//! parameters are flat `f64` slices so that filters and forecasters can
//! copy, resample and update them without knowing the domain.

use crate::error::Result;
use crate::params::ParameterSpace;
use crate::rng::MemberRng;
use crate::time::Calendar;

/// How a member's flat state vector is laid out: `units × strata × variables`,
/// variables fastest. Index of (unit u, stratum s, variable v) is
/// `(u * strata.len() + s) * variables.len() + v`.
///
/// "Units" are the spatial cells a model is resolved on (patches, grid cells),
/// "strata" the groups inside a unit (age groups; a single stratum for
/// lumped models).
#[derive(Debug, Clone, PartialEq)]
pub struct StateLayout {
    pub units: Vec<String>,
    pub strata: Vec<String>,
    pub variables: Vec<String>,
}

impl StateLayout {
    pub fn len(&self) -> usize {
        self.units.len() * self.strata.len() * self.variables.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn index(&self, unit: usize, stratum: usize, var: usize) -> usize {
        (unit * self.strata.len() + stratum) * self.variables.len() + var
    }
    pub fn variable_index(&self, name: &str) -> Option<usize> {
        self.variables.iter().position(|v| v == name)
    }
}

/// Something the model predicts that can be measured, resolved per unit
/// and stratum. Observation output uses the same layout as the state with
/// the observables as variables.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservableDef {
    pub name: String,
    pub description: String,
    /// True for per-day flows (incidence), false for stocks (prevalence).
    pub is_flow: bool,
}

/// One ensemble member as the process step sees it.
pub struct MemberMut<'a> {
    /// The member's index in the ensemble (stable across runs).
    pub index: usize,
    /// Mutable so that a step may evolve time-varying parameters (a random
    /// walk on transmission, say) with the member's own random stream.
    pub params: &'a mut [f64],
    pub state: &'a mut [f64],
    pub rng: &'a mut MemberRng,
}

pub trait Model: Send + Sync {
    /// Reusable working memory for one batch of members.
    type Scratch: Default + Send;

    fn layout(&self) -> &StateLayout;
    fn parameters(&self) -> &ParameterSpace;
    fn observables(&self) -> &[ObservableDef];
    fn calendar(&self) -> &Calendar;

    /// Check a member's parameters (natural scale) before use.
    fn check_params(&self, _params: &[f64]) -> Result<()> {
        Ok(())
    }

    /// Fill `state` with the initial condition (day 1).
    fn init(&self, params: &[f64], state: &mut [f64], rng: &mut MemberRng) -> Result<()>;

    /// Advance every member of `batch` from `day` to `day + 1`. Members are
    /// stepped together so a model can read shared structure (a mobility
    /// network, say) once per batch rather than once per member. The result
    /// for a member must not depend on which other members share its batch.
    fn step(&self, day: usize, batch: &mut [MemberMut<'_>], scratch: &mut Self::Scratch);

    /// Observables on `day` given the state that day and the state the day
    /// before (`None` on day 1). `out` has `units × strata × observables`.
    fn observe(
        &self,
        day: usize,
        params: &[f64],
        prev: Option<&[f64]>,
        state: &[f64],
        out: &mut [f64],
    );

    /// How many members one `step` call should handle; 1 for models with no
    /// shared structure to amortise.
    fn preferred_batch(&self) -> usize {
        1
    }

    /// The units' total size (e.g. population) used to check conservation;
    /// `None` for models without a conserved quantity.
    fn conserved_total(&self, _state: &[f64]) -> Option<f64> {
        None
    }
}
