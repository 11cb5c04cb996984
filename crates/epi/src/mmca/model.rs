//! `MmcaModel`: the MMCA setup behind the domain-neutral `Model` trait.

use didymos_core::{
    Calendar, Error, Located, MemberMut, MemberRng, Model, ObservableDef, ParameterSpace, Result,
    StateLayout, Timeline,
};

use rand::Rng;
use rand_distr::StandardNormal;

use super::interventions::ContactWindow;
use super::kernel::{step_batch, DayContext, MemberRates, Scratch};
use super::network::Network;
use super::regime::Regime;
use super::setup::{Containment, MmcaSetup};
use super::vaccination::{give_doses, Campaign, VaccineEffect, AV, IV};
use super::{Compartment, COMPARTMENT_NAMES, N_COMPARTMENTS};

/// Per-stratum rates in parameter-vector order, with their reference names.
pub const RATE_NAMES: [&str; 10] = [
    "eta", "alpha", "mu", "theta", "gamma", "zeta", "lambda", "omega", "psi", "chi",
];

/// Index of `beta_scale` in the parameter vector.
pub const BETA_SCALE: usize = 2;

pub const OBSERVABLES: [&str; 4] = [
    "new_infected",
    "new_hospitalized",
    "new_deaths",
    "hospital_occupancy",
];

/// What the kernel does on a release day (a scenario's confinement ending
/// with no baseline measure to return to): CH goes back to S and nobody is
/// confined again ((1−ϕ)κ₀ = 0).
const RELEASE: Containment = Containment {
    kappa0: 0.0,
    phi: 1.0,
    delta: 0.0,
};

/// Process noise for filtering: the transmission multiplier `beta_scale`
/// follows a random walk in log space, log b(t+1) = log b(t) + σ·ε with
/// ε ~ N(0, 1) drawn from the member's own stream, so a filter can track a
/// changing effective reproduction number. σ = 0 (the default) is the
/// deterministic reference model.
///
/// The patches' own multipliers may also be partially pooled: each day,
/// log bₚ ← (1−θ)·log bₚ + θ·mean_q(log b_q) + σₚ·ε, within each member. A
/// patch with few observations then cannot drift far from the others,
/// which otherwise it does (a random walk the data barely constrain) until
/// its forecasts explode when cases return; θ = 0 is independent walks.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ProcessNoise {
    pub log_beta_sd: f64,
    /// The same for each patch's own multiplier `beta_scale.<patch>`, so a
    /// filter can follow regional differences.
    pub log_beta_patch_sd: f64,
    /// θ per day, in [0, 1): the pull of each patch's log multiplier
    /// towards the member's mean over patches.
    pub log_beta_pooling: f64,
    /// Draw each day's transitions (binomial chain) instead of taking their
    /// expectation: demographic noise, which matters where counts are small.
    pub binomial_chain: bool,
    /// σ of a daily multiplicative noise on each patch's infected
    /// compartments (E, A, I together, every stratum by the same factor
    /// exp(σε − σ²/2), mean 1), taken from or given back to S so each
    /// (patch, stratum) still sums to 1. Model error in the epidemic's
    /// level, which a particle filter can only correct by choosing among
    /// members that differ in it; 0 (the default) draws nothing.
    pub log_infected_sd: f64,
}

#[derive(Clone)]
pub struct MmcaModel {
    pub(crate) setup: MmcaSetup,
    noise: ProcessNoise,
    pub(crate) net: Network,
    pub(crate) layout: StateLayout,
    space: ParameterSpace,
    observables: Vec<ObservableDef>,
    /// Index of the first per-patch multiplier `beta_scale.<patch>`; they
    /// close the parameter vector, one per patch in layout order.
    pub(crate) first_patch_scale: usize,
    /// The containments the model runs: the setup's, and with scenario
    /// confinements `None` events that release (back to no containment).
    pub(crate) schedule: Timeline<Option<Containment>>,
    /// Compartments per (patch, stratum): 11, or 15 with vaccination.
    pub(crate) stride: usize,
    /// Scenario measures (empty for the plain model): networks by window
    /// (from, to, network), contact multipliers, vaccination campaigns.
    pub(crate) networks: Vec<(usize, usize, Network)>,
    pub(crate) contact_windows: Vec<ContactWindow>,
    pub(crate) campaigns: Vec<Campaign>,
    pub(crate) vaccine: VaccineEffect,
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
            ObservableDef {
                name: OBSERVABLES[3].into(),
                description: "persons in hospital (HR + HD), a stock".into(),
                is_flow: false,
            },
        ];
        let schedule = setup
            .containments
            .iter()
            .map(|(d, c)| (d, Some(*c)))
            .collect();
        let model = MmcaModel {
            setup,
            noise: ProcessNoise::default(),
            net,
            layout,
            space,
            observables,
            first_patch_scale,
            schedule,
            stride: N_COMPARTMENTS,
            networks: Vec::new(),
            contact_windows: Vec::new(),
            campaigns: Vec::new(),
            vaccine: VaccineEffect::default(),
        };
        model.check_params(&model.space.values())?;
        Ok(model)
    }

    /// Scale each patch's E, A and I by one log-normal factor (mean 1),
    /// moving the difference from or to S; a factor that would take more
    /// than S is cut to take exactly S.
    fn jitter_infected(&self, m: &mut MemberMut<'_>) {
        let sd = self.noise.log_infected_sd;
        let g_n = self.layout.strata.len();
        let w = self.stride;
        let (s, e, a, i) = (
            Compartment::S as usize,
            Compartment::E as usize,
            Compartment::A as usize,
            Compartment::I as usize,
        );
        for p in 0..self.layout.units.len() {
            let eps: f64 = m.rng.sample(StandardNormal);
            let f = (sd * eps - 0.5 * sd * sd).exp();
            for block in m.state[p * g_n * w..(p + 1) * g_n * w].chunks_exact_mut(w) {
                let infected = block[e] + block[a] + block[i];
                if infected <= 0.0 {
                    continue;
                }
                let f = f.min((infected + block[s]) / infected);
                block[s] = (block[s] - infected * (f - 1.0)).max(0.0);
                block[e] *= f;
                block[a] *= f;
                block[i] *= f;
            }
        }
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
        if !(ok(noise.log_infected_sd) && noise.log_infected_sd <= 2.0) {
            return Err(Error::input(
                Located::default().field("log_infected_sd"),
                "must be a finite number in [0, 2]",
            ));
        }
        if !(ok(noise.log_beta_pooling) && noise.log_beta_pooling < 1.0) {
            return Err(Error::input(
                Located::default().field("log_beta_pooling"),
                "must be a rate per day in [0, 1)",
            ));
        }
        self.noise = noise;
        Ok(self)
    }

    /// The same model with every containment after `day` removed: the
    /// measures in force on `day` simply persist. Forecasts made on `day`
    /// use it, so they never read mobility data from after their origin.
    pub fn with_containments_until(&self, day: usize) -> Result<MmcaModel> {
        let mut m = self.clone();
        m.setup.containments = self
            .setup
            .containments
            .iter()
            .filter(|(d, _)| *d <= day)
            .map(|(d, c)| (d, *c))
            .collect();
        m.schedule = self
            .schedule
            .iter()
            .filter(|(d, _)| *d <= day)
            .map(|(d, c)| (d, *c))
            .collect();
        Ok(m)
    }

    /// Whether scenario measures (other than confinements) are set.
    pub fn has_interventions(&self) -> bool {
        !(self.networks.is_empty() && self.contact_windows.is_empty() && self.campaigns.is_empty())
            || self.stride != N_COMPARTMENTS
            || self.schedule.len() != self.setup.containments.len()
            || self.schedule.iter().any(|(_, c)| c.is_none())
    }

    /// Compartments per (patch, stratum): 11, or 15 with vaccination.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The containment schedule the model runs (`None`: a release).
    pub fn containment_schedule(&self) -> &Timeline<Option<Containment>> {
        &self.schedule
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

    /// Regime in force on `day`: the latest containment on or before it
    /// (with a scenario's network and contact multipliers of the day).
    pub fn regime(&self, day: usize) -> Regime {
        let in_force = self.schedule.in_force(day).and_then(|c| c.as_ref());
        let net = self.network_on(day);
        if self.contact_windows.is_empty() {
            return Regime::new(net, &self.setup.population, in_force);
        }
        let scales: Vec<(usize, f64)> = self
            .contact_windows
            .iter()
            .filter(|w| w.0 <= day && day <= w.1)
            .map(|w| (w.2, w.3))
            .collect();
        Regime::with_contact_scales(net, &self.setup.population, in_force, &scales)
    }

    /// The commuting network in force on `day`.
    pub fn network_on(&self, day: usize) -> &Network {
        self.networks
            .iter()
            .find(|w| w.0 <= day && day <= w.1)
            .map_or(&self.net, |w| &w.2)
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
        let w = self.stride;
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
                state[ig * w + Compartment::S as usize] = (n - a) / n;
                state[ig * w + Compartment::A as usize] = a / n;
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
        let (sd, theta) = (self.noise.log_beta_patch_sd, self.noise.log_beta_pooling);
        if sd > 0.0 || theta > 0.0 {
            for m in batch.iter_mut() {
                let scales = &mut m.params[self.first_patch_scale..];
                let centre = scales.iter().map(|x| x.ln()).sum::<f64>() / scales.len() as f64;
                for x in scales.iter_mut() {
                    // No draw without noise, so θ alone leaves the streams as they were.
                    let eps: f64 = if sd > 0.0 {
                        m.rng.sample(StandardNormal)
                    } else {
                        0.0
                    };
                    *x = ((1.0 - theta) * x.ln() + theta * centre + sd * eps).exp();
                }
            }
        }
        if self.noise.log_infected_sd > 0.0 {
            for m in batch.iter_mut() {
                self.jitter_infected(m);
            }
        }
        let regime = self.regime(day);
        let today = self
            .schedule
            .on(day)
            .next()
            .map(|c| c.as_ref().unwrap_or(&RELEASE));
        let net = self.network_on(day);
        for c in self
            .campaigns
            .iter()
            .filter(|c| c.from <= day && day <= c.to)
        {
            for m in batch.iter_mut() {
                give_doses(net, c, m.state);
            }
        }
        let rates: Vec<MemberRates> = batch.iter().map(|m| self.rates(m.params)).collect();
        // The deterministic chain needs no random streams: only the binomial
        // one gathers them.
        let (mut states, mut rngs): (Vec<&mut [f64]>, Vec<&mut MemberRng>) =
            if self.noise.binomial_chain {
                batch
                    .iter_mut()
                    .map(|m| (&mut *m.state, &mut *m.rng))
                    .unzip()
            } else {
                (
                    batch.iter_mut().map(|m| &mut *m.state).collect(),
                    Vec::new(),
                )
            };
        let rngs = self.noise.binomial_chain.then_some(rngs.as_mut_slice());
        let ctx = DayContext {
            net,
            contact: &self.setup.population.contact,
            regime: &regime,
            today,
            sigma: self.setup.population.sigma,
            vaccine: self.vaccine,
        };
        if self.stride == N_COMPARTMENTS {
            step_batch::<N_COMPARTMENTS>(&ctx, &rates, &mut states, rngs, scratch);
        } else {
            step_batch::<{ N_COMPARTMENTS + 4 }>(&ctx, &rates, &mut states, rngs, scratch);
        }
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
        let (w, k) = (self.stride, OBSERVABLES.len());
        let vaccinated = w > N_COMPARTMENTS;
        for (ig, &n) in self.net.pop.iter().enumerate() {
            let g = ig % g_n;
            let x = &state[ig * w..][..w];
            let o = &mut out[ig * k..][..k];
            o[0] = x[Compartment::A as usize] * n * alpha[g];
            o[1] = x[Compartment::I as usize] * n * hosp[g];
            if vaccinated {
                o[0] += x[AV] * n * alpha[g];
                o[1] += x[IV] * n * (self.vaccine.severe * hosp[g]);
            }
            o[2] = match prev {
                None => 0.0,
                Some(p) => x[Compartment::D as usize] * n - p[ig * w + Compartment::D as usize] * n,
            };
            o[3] = (x[Compartment::HR as usize] + x[Compartment::HD as usize]) * n;
        }
    }

    fn preferred_batch(&self) -> usize {
        32
    }

    fn conserved_total(&self, state: &[f64]) -> Option<f64> {
        Some(
            state
                .chunks(self.stride)
                .zip(&self.net.pop)
                .map(|(x, n)| x.iter().sum::<f64>() * n)
                .sum(),
        )
    }
}
