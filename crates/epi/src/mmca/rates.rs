//! A member's parameter vector: the space the model publishes, and its
//! resolution into the kernel's per-member rates.

use didymos_core::{ParamDef, ParameterSpace, Transform};

use super::kernel::{MemberRates, PerPatch, Transitions};
use super::model::{BETA_SCALE, RATE_NAMES};
use super::setup::MmcaSetup;
use super::MmcaModel;

impl MmcaModel {
    pub(super) fn parameter_space(setup: &MmcaSetup) -> ParameterSpace {
        let prob = |name: String, v: f64| {
            ParamDef::new(name, v, (0.0, 1.0)).with_transform(Transform::Logit {
                low: 0.0,
                high: 1.0,
            })
        };
        let e = &setup.epi;
        let mut defs = vec![
            prob("beta_i".into(), e.beta_i),
            prob("beta_a".into(), e.beta_a),
        ];
        // Multiplies both infectivities; 1 reproduces the reference exactly.
        defs.push(ParamDef::new("beta_scale", 1.0, (0.0, 1e6)).with_transform(Transform::Log));
        let rates = [
            &e.eta, &e.alpha, &e.mu, &e.theta, &e.gamma, &e.zeta, &e.lambda, &e.omega, &e.psi,
            &e.chi,
        ];
        for (name, values) in RATE_NAMES.iter().zip(rates) {
            for (g, label) in setup.population.strata.iter().enumerate() {
                defs.push(prob(
                    format!("{name}.{label}"),
                    values.get(g).copied().unwrap_or(f64::NAN),
                ));
            }
        }
        // Per-patch multipliers of transmission in the patch (where the
        // infection happens); all 1 reproduces the reference exactly.
        for id in &setup.metapopulation.ids {
            defs.push(
                ParamDef::new(format!("beta_scale.{id}"), 1.0, (0.0, 1e6))
                    .with_transform(Transform::Log),
            );
        }
        ParameterSpace::new(defs)
    }

    pub(super) fn rates(&self, params: &[f64]) -> MemberRates {
        let g_n = self.net.n_strata;
        let scale = params[BETA_SCALE];
        let local = &params[self.first_patch_scale..];
        // Without regional multipliers (the reference model, and every
        // member not being filtered per patch) one logarithm serves all
        // patches; x·1.0 = x, so the result is the same bit for bit.
        let uniform = local.iter().all(|&l| l == 1.0);
        let ln_escape = |beta: f64| -> PerPatch {
            if uniform {
                return PerPatch::Uniform((1.0 - (beta * scale).min(1.0)).ln());
            }
            PerPatch::Each(
                local
                    .iter()
                    .map(|l| (1.0 - (beta * scale * l).min(1.0)).ln())
                    .collect(),
            )
        };
        let rate = |k: usize, g: usize| params[3 + k * g_n + g];
        MemberRates {
            ln_escape_a: ln_escape(params[1]),
            ln_escape_i: ln_escape(params[0]),
            strata: (0..g_n)
                .map(|g| {
                    Transitions::new(
                        rate(0, g),
                        rate(1, g),
                        rate(2, g),
                        rate(3, g),
                        rate(4, g),
                        rate(5, g),
                        rate(6, g),
                        rate(7, g),
                        rate(8, g),
                        rate(9, g),
                    )
                })
                .collect(),
        }
    }
}
