//! `MmcaModel`: the MMCA setup behind the domain-neutral `Model` trait.

use didymos_core::{
    Calendar, Error, Located, MemberMut, MemberRng, Model, ObservableDef, ParamDef, ParameterSpace,
    Result, StateLayout, Transform,
};

use rand::Rng;
use rand_distr::StandardNormal;

use super::kernel::{step_batch, DayContext, MemberRates, PerPatch, Scratch, Transitions};
use super::network::Network;
use super::regime::Regime;
use super::setup::MmcaSetup;
use super::{Compartment, COMPARTMENT_NAMES, N_COMPARTMENTS};

/// Per-stratum rates in parameter-vector order, with their reference names.
pub const RATE_NAMES: [&str; 10] = [
    "eta", "alpha", "mu", "theta", "gamma", "zeta", "lambda", "omega", "psi", "chi",
];

/// Index of `beta_scale` in the parameter vector.
pub const BETA_SCALE: usize = 2;

pub const OBSERVABLES: [&str; 3] = ["new_infected", "new_hospitalized", "new_deaths"];

/// Process noise for filtering: the transmission multiplier `beta_scale`
/// follows a random walk in log space, log b(t+1) = log b(t) + σ·ε with
/// ε ~ N(0, 1) drawn from the member's own stream, so a filter can track a
/// changing effective reproduction number. σ = 0 (the default) is the
/// deterministic reference model.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ProcessNoise {
    pub log_beta_sd: f64,
    /// The same for each patch's own multiplier `beta_scale.<patch>`, so a
    /// filter can follow regional differences.
    pub log_beta_patch_sd: f64,
}

pub struct MmcaModel {
    setup: MmcaSetup,
    noise: ProcessNoise,
    net: Network,
    layout: StateLayout,
    space: ParameterSpace,
    observables: Vec<ObservableDef>,
    /// Index of the first per-patch multiplier `beta_scale.<patch>`; they
    /// close the parameter vector, one per patch in layout order.
    first_patch_scale: usize,
}

impl MmcaModel {
    pub fn new(setup: MmcaSetup) -> Result<MmcaModel> {
        let g_n = setup.population.strata.len();
        if g_n == 0 {
            return Err(Error::input(
                Located::default().field("strata"),
                "at least one stratum is needed",
            ));
        }
        let net = Network::new(&setup.metapopulation, g_n, &setup.edges)?;
        let layout = StateLayout {
            units: setup.metapopulation.ids.clone(),
            strata: setup.population.strata.clone(),
            variables: COMPARTMENT_NAMES.iter().map(|s| s.to_string()).collect(),
        };
        let space = Self::parameter_space(&setup);
        let first_patch_scale = space.len() - setup.metapopulation.ids.len();
        let observables = vec![
            ObservableDef {
                name: OBSERVABLES[0].into(),
                description: "new symptomatic infections (A → I) per day, persons".into(),
                is_flow: true,
            },
            ObservableDef {
                name: OBSERVABLES[1].into(),
                description: "new hospitalisations (I → PH) per day, persons".into(),
                is_flow: true,
            },
            ObservableDef {
                name: OBSERVABLES[2].into(),
                description: "new deaths (D(t) − D(t−1)) per day, persons".into(),
                is_flow: true,
            },
        ];
        let model = MmcaModel {
            setup,
            noise: ProcessNoise::default(),
            net,
            layout,
            space,
            observables,
            first_patch_scale,
        };
        model.check_params(&model.space.values())?;
        Ok(model)
    }

    fn parameter_space(setup: &MmcaSetup) -> ParameterSpace {
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

    /// The stochastic variant (see [`ProcessNoise`]).
    pub fn with_process_noise(mut self, noise: ProcessNoise) -> Result<MmcaModel> {
        let ok = |x: f64| x.is_finite() && x >= 0.0;
        if !(ok(noise.log_beta_sd) && ok(noise.log_beta_patch_sd)) {
            return Err(Error::input(
                Located::default().field("log_beta_sd"),
                "must be a finite number ≥ 0",
            ));
        }
        self.noise = noise;
        Ok(self)
    }

    /// The same model with every containment after `day` removed: the
    /// measures in force on `day` simply persist. Forecasts made on `day`
    /// use it, so they never read mobility data from after their origin.
    pub fn with_containments_until(&self, day: usize) -> Result<MmcaModel> {
        let mut setup = self.setup.clone();
        setup.containments = self
            .setup
            .containments
            .iter()
            .filter(|(d, _)| *d <= day)
            .map(|(d, c)| (d, *c))
            .collect();
        let mut m = MmcaModel::new(setup)?.with_process_noise(self.noise)?;
        m.space = self.space.clone();
        Ok(m)
    }

    /// Index of `beta_scale.<first patch>` in the parameter vector.
    pub fn first_patch_scale(&self) -> usize {
        self.first_patch_scale
    }

    pub fn process_noise(&self) -> ProcessNoise {
        self.noise
    }

    pub fn setup(&self) -> &MmcaSetup {
        &self.setup
    }
    pub fn network(&self) -> &Network {
        &self.net
    }
    /// Mutable parameter space, to attach priors from a twin spec.
    pub fn parameters_mut(&mut self) -> &mut ParameterSpace {
        &mut self.space
    }

    fn rates(&self, params: &[f64]) -> MemberRates {
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

    /// Regime in force on `day`: the latest containment on or before it.
    pub fn regime(&self, day: usize) -> Regime {
        Regime::new(
            &self.net,
            &self.setup.population,
            self.setup.containments.in_force(day),
        )
    }

    /// Persons in compartment `c` of (patch, stratum) for a state.
    pub fn persons(&self, state: &[f64], patch: usize, stratum: usize, c: Compartment) -> f64 {
        state[self.layout.index(patch, stratum, c as usize)]
            * self.net.pop[patch * self.net.n_strata + stratum]
    }
}

impl Model for MmcaModel {
    type Scratch = Scratch;

    fn layout(&self) -> &StateLayout {
        &self.layout
    }
    fn parameters(&self) -> &ParameterSpace {
        &self.space
    }
    fn observables(&self) -> &[ObservableDef] {
        &self.observables
    }
    fn calendar(&self) -> &Calendar {
        &self.setup.calendar
    }

    fn check_params(&self, params: &[f64]) -> Result<()> {
        for (d, &v) in self.space.defs().iter().zip(params) {
            if !(v.is_finite() && (d.bounds.0..=d.bounds.1).contains(&v)) {
                return Err(Error::input(
                    Located::default().field(d.name.clone()),
                    format!("{v} is outside [{}, {}]", d.bounds.0, d.bounds.1),
                ));
            }
        }
        Ok(())
    }

    /// EpiSim's initial condition: seeds in A, S = n − A, both as shares of
    /// the rounded population (0 where the population is 0).
    fn init(&self, _params: &[f64], state: &mut [f64], _rng: &mut MemberRng) -> Result<()> {
        let g_n = self.net.n_strata;
        let mut seeded = vec![0.0; self.net.pop.len()];
        for seed in &self.setup.seeds {
            for (g, &c) in seed.counts.iter().enumerate() {
                seeded[seed.patch * g_n + g] = c;
            }
        }
        state.fill(0.0);
        for (ig, (&n, &a)) in self.net.pop.iter().zip(&seeded).enumerate() {
            if a > n {
                let (i, g) = (ig / g_n, ig % g_n);
                return Err(Error::input(
                    Located::default().field(format!(
                        "seeds[{}][{}]",
                        self.layout.units[i], self.layout.strata[g]
                    )),
                    format!("{a} seeds exceed the stratum's population of {n}"),
                ));
            }
            if n > 0.0 {
                state[ig * N_COMPARTMENTS + Compartment::S as usize] = (n - a) / n;
                state[ig * N_COMPARTMENTS + Compartment::A as usize] = a / n;
            }
        }
        Ok(())
    }

    fn step(&self, day: usize, batch: &mut [MemberMut<'_>], scratch: &mut Scratch) {
        if self.noise.log_beta_sd > 0.0 {
            for m in batch.iter_mut() {
                let eps: f64 = m.rng.sample(StandardNormal);
                m.params[BETA_SCALE] =
                    (m.params[BETA_SCALE].ln() + self.noise.log_beta_sd * eps).exp();
            }
        }
        if self.noise.log_beta_patch_sd > 0.0 {
            let sd = self.noise.log_beta_patch_sd;
            for m in batch.iter_mut() {
                for x in &mut m.params[self.first_patch_scale..] {
                    let eps: f64 = m.rng.sample(StandardNormal);
                    *x = (x.ln() + sd * eps).exp();
                }
            }
        }
        let regime = self.regime(day);
        let today = self.setup.containments.on(day).next();
        let rates: Vec<MemberRates> = batch.iter().map(|m| self.rates(m.params)).collect();
        let mut states: Vec<&mut [f64]> = batch.iter_mut().map(|m| &mut *m.state).collect();
        let ctx = DayContext {
            net: &self.net,
            contact: &self.setup.population.contact,
            regime: &regime,
            today,
            sigma: self.setup.population.sigma,
        };
        step_batch(&ctx, &rates, &mut states, scratch);
    }

    fn observe(
        &self,
        _day: usize,
        params: &[f64],
        prev: Option<&[f64]>,
        state: &[f64],
        out: &mut [f64],
    ) {
        let g_n = self.net.n_strata;
        // Only four per-stratum rates are needed: read them in place.
        let rate = |k: usize, g: usize| params[3 + k * g_n + g];
        let alpha: Vec<f64> = (0..g_n).map(|g| rate(1, g)).collect();
        let hosp: Vec<f64> = (0..g_n)
            .map(|g| rate(2, g) * (1.0 - rate(3, g)) * rate(4, g))
            .collect();
        for (ig, &n) in self.net.pop.iter().enumerate() {
            let g = ig % g_n;
            let x = &state[ig * N_COMPARTMENTS..][..N_COMPARTMENTS];
            let o = &mut out[ig * 3..][..3];
            o[0] = x[Compartment::A as usize] * n * alpha[g];
            o[1] = x[Compartment::I as usize] * n * hosp[g];
            o[2] = match prev {
                None => 0.0,
                Some(p) => {
                    x[Compartment::D as usize] * n
                        - p[ig * N_COMPARTMENTS + Compartment::D as usize] * n
                }
            };
        }
    }

    fn preferred_batch(&self) -> usize {
        32
    }

    fn conserved_total(&self, state: &[f64]) -> Option<f64> {
        Some(
            state
                .chunks(N_COMPARTMENTS)
                .zip(&self.net.pop)
                .map(|(x, n)| x.iter().sum::<f64>() * n)
                .sum(),
        )
    }
}
