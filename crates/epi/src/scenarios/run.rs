//! A scenarios file run through the generic engine (`didymos-scenario`):
//! one model per scenario with its interventions, states lifted into that
//! model's layout, parameter changes from their dates. The CLI and the
//! service both run scenarios this way.

use didymos_core::Result;
use didymos_scenario::{
    run_scenarios, Options, Outcome, ParamChange, ParamOp, Posterior, Scenario,
};

use super::{ParamOp as FileParamOp, ScenarioFile};
use crate::mmca::{Intervention, MmcaModel};

/// Runs every scenario of `file` from `post` on `base`, the twin with its
/// measures held from the branch day. If any scenario vaccinates, all use
/// the vaccinated layout, so that their outcomes compare member by member.
pub fn run_file(
    file: &ScenarioFile,
    base: &MmcaModel,
    post: &Posterior,
    opts: &Options,
) -> Result<Vec<Outcome>> {
    let vaccinates = file.scenarios.iter().any(|s| {
        s.interventions
            .iter()
            .any(|i| matches!(i, Intervention::Vaccination { .. }))
    });
    let models = file
        .scenarios
        .iter()
        .map(|s| base.with_interventions(&s.interventions, vaccinates))
        .collect::<Result<Vec<_>>>()?;
    let lifts: Vec<_> = models
        .iter()
        .map(|m| move |s: &[f64]| m.lift_state(base, s))
        .collect();
    let scenarios: Vec<Scenario<'_, MmcaModel>> = file
        .scenarios
        .iter()
        .zip(&models)
        .zip(&lifts)
        .map(|((def, m), lift)| Scenario {
            name: def.name.clone(),
            model: m,
            lift,
            changes: def
                .parameter_changes
                .iter()
                .map(|c| ParamChange {
                    day: c.day,
                    index: c.index,
                    op: match c.op {
                        FileParamOp::Factor(f) => ParamOp::Factor(f),
                        FileParamOp::Value(v) => ParamOp::Value(v),
                    },
                })
                .collect(),
        })
        .collect();
    run_scenarios(post, &scenarios, opts)
}

/// (observable, unit, threshold) for every capacity threshold of the file.
pub fn capacity_thresholds(file: &ScenarioFile) -> Vec<(usize, usize, f64)> {
    file.capacity
        .iter()
        .flat_map(|c| c.thresholds.iter().map(|&(u, t)| (c.observable, u, t)))
        .collect()
}
