//! `Gr4jModel`: GR4J with CemaNeige behind the domain-neutral `Model` trait.
//!
//! State per member (one unit, one stratum): snow pack and thermal state,
//! production and routing stores, the UH1/UH2 buffers, and the day's
//! fluxes (effective precipitation, actual ET, exchange, discharge) so that
//! `observe` can read them. Day d's state is the end of date(d); the step
//! d → d + 1 applies date(d + 1)'s forcing. The forcing is shared,
//! read-only data on the model.
//!
//! Initial state: stores filled to `production_fill`·X1 and
//! `routing_fill`·X3, then the first `spin_up_days` of forcing are run once
//! (no noise) and the resulting stores start day 1, which is then run with
//! its own forcing.
//!
//! Optional process noise so that filters have spread: each member's
//! precipitation is multiplied by a mean-one log-normal factor
//! exp(σₚz − σₚ²/2) per day, and its routing store by exp(σᵣz − σᵣ²/2).
//! Routing noise adds or removes water outside the balance.

use std::sync::Arc;

use didymos_core::{
    Calendar, Error, Located, MemberMut, MemberRng, Model, ObservableDef, ParamDef, ParameterSpace,
    Result, StateLayout, Transform,
};
use rand_distr::{Distribution, StandardNormal};

use crate::forcing::{DayForcing, Forcing};
use crate::gr4j::{gr4j_day, Gr4jParams, Gr4jStores, UnitHydrographs, UH1_SLOTS, UH2_SLOTS};
use crate::gr4j::{X4_MAX, X4_MIN};
use crate::snow::{snow_day_with_fraction, SnowParams, GTHRESHOLD_FACTOR};
use crate::state::Stores;
pub use crate::state::{repair, slot, total_storage, Scratch};

/// Parameter names in parameter-vector order.
pub const PARAM_NAMES: [&str; 6] = ["x1", "x2", "x3", "x4", "snow_ctg", "snow_kf"];

/// Observables in output order.
pub const OBSERVABLES: [&str; 6] = [
    "discharge",
    "precipitation",
    "actual_et",
    "groundwater_exchange",
    "storage",
    "snow_pack",
];
/// Index of `discharge` among the observables.
pub const DISCHARGE: usize = 0;

/// Initial state and process noise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gr4jOptions {
    pub spin_up_days: usize,
    pub production_fill: f64,
    pub routing_fill: f64,
    /// σₚ of the daily log-normal precipitation multiplier (0: none).
    pub precip_log_sd: f64,
    /// σᵣ of the daily log-normal routing-store multiplier (0: none).
    pub routing_log_sd: f64,
}

impl Default for Gr4jOptions {
    fn default() -> Self {
        Gr4jOptions {
            spin_up_days: 365,
            production_fill: 0.3,
            routing_fill: 0.5,
            precip_log_sd: 0.0,
            routing_log_sd: 0.0,
        }
    }
}

/// A deterministic run (no process noise), one value per day 1..=n.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Simulation {
    pub discharge: Vec<f64>,
    pub precipitation: Vec<f64>,
    pub actual_et: Vec<f64>,
    pub exchange: Vec<f64>,
    /// Total storage at the end of each day (mm).
    pub storage: Vec<f64>,
    /// Total storage before day 1 was run (after spin-up).
    pub initial_storage: f64,
}

pub struct Gr4jModel {
    forcing: Arc<Forcing>,
    opts: Gr4jOptions,
    calendar: Calendar,
    layout: StateLayout,
    space: ParameterSpace,
    observables: Vec<ObservableDef>,
    gthreshold: f64,
}

/// GR4J + CemaNeige's parameters with their starting values and bounds.
pub(crate) fn default_space() -> ParameterSpace {
    let log =
        |n: &str, v: f64, b: (f64, f64)| ParamDef::new(n, v, b).with_transform(Transform::Log);
    ParameterSpace::new(vec![
        log("x1", 350.0, (1.0, 1e4)),
        ParamDef::new("x2", 0.0, (-50.0, 50.0)),
        log("x3", 90.0, (1.0, 5e3)),
        log("x4", 1.7, (X4_MIN, X4_MAX)),
        ParamDef::new("snow_ctg", 0.25, (0.0, 1.0)).with_transform(Transform::Logit {
            low: 0.0,
            high: 1.0,
        }),
        log("snow_kf", 3.7, (0.0, 50.0)),
    ])
}

impl Gr4jModel {
    /// A model of basin `name` over `calendar`; `forcing` must cover the
    /// calendar (its observed record) and the spin-up.
    pub fn new(
        name: &str,
        forcing: Forcing,
        calendar: Calendar,
        opts: Gr4jOptions,
    ) -> Result<Self> {
        let at = Located::default().field("time");
        if calendar.start < forcing.start() || calendar.end > forcing.end() {
            return Err(Error::input(
                at,
                format!(
                    "simulated range {} … {} is not inside the forcing record {} … {}",
                    calendar.start,
                    calendar.end,
                    forcing.start(),
                    forcing.end()
                ),
            ));
        }
        let spin_end = calendar.start.add_days(opts.spin_up_days as i32 - 1);
        if opts.spin_up_days > 0 && spin_end > forcing.end() {
            return Err(Error::input(
                at.field("spin_up_days"),
                format!(
                    "spin-up needs forcing until {spin_end}, the record ends {}",
                    forcing.end()
                ),
            ));
        }
        let ok = |x: f64| x.is_finite() && x >= 0.0;
        let fills =
            (0.0..=1.0).contains(&opts.production_fill) && (0.0..=1.0).contains(&opts.routing_fill);
        if !(ok(opts.precip_log_sd) && ok(opts.routing_log_sd) && fills) {
            return Err(Error::input(
                Located::default().field("options"),
                "noise sds must be finite and ≥ 0, store fills in [0, 1]",
            ));
        }
        let observables = OBSERVABLES
            .iter()
            .zip([true, true, true, true, false, false])
            .zip([
                "discharge at the outlet, mm/day",
                "precipitation the member received (after its noise), mm/day",
                "actual evapotranspiration, mm/day",
                "net groundwater exchange actually applied (gain > 0), mm/day",
                "water in snow, stores and unit hydrographs, mm",
                "snow water equivalent, mm",
            ])
            .map(|((n, f), d)| ObservableDef {
                name: n.to_string(),
                description: d.to_string(),
                is_flow: f,
            })
            .collect();
        let mut variables: Vec<String> = [
            "snow_pack",
            "thermal_state",
            "production_store",
            "routing_store",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        variables.extend((0..UH1_SLOTS).map(|k| format!("uh1_{k}")));
        variables.extend((0..UH2_SLOTS).map(|k| format!("uh2_{k}")));
        variables.extend(
            [
                "precipitation",
                "actual_et",
                "groundwater_exchange",
                "discharge",
            ]
            .map(String::from),
        );
        let gthreshold = GTHRESHOLD_FACTOR * forcing.mean_annual_solid_precip();
        Ok(Gr4jModel {
            forcing: Arc::new(forcing),
            opts,
            calendar,
            layout: StateLayout {
                units: vec![name.to_string()],
                strata: vec!["all".into()],
                variables,
            },
            space: default_space(),
            observables,
            gthreshold,
        })
    }

    /// The same model (parameters, options, calendar, melt threshold) with
    /// other forcing from the same start: the record cut at a forecast
    /// origin with forecast traces appended, say. The new forcing need not
    /// reach the calendar's end (the model then runs dry persistence).
    pub fn with_forcing(&self, forcing: Forcing) -> Result<Self> {
        if forcing.start() != self.forcing.start() {
            return Err(Error::input(
                Located::default().field("forcing"),
                format!(
                    "new forcing starts {}, the model's {}",
                    forcing.start(),
                    self.forcing.start()
                ),
            ));
        }
        Ok(Gr4jModel {
            forcing: Arc::new(forcing),
            opts: self.opts,
            calendar: self.calendar,
            layout: self.layout.clone(),
            space: self.space.clone(),
            observables: self.observables.clone(),
            gthreshold: self.gthreshold,
        })
    }

    /// The same model with other options (noise, spin-up).
    pub fn with_options(&self, opts: Gr4jOptions) -> Result<Self> {
        let mut m = Gr4jModel::new(
            &self.layout.units[0],
            (*self.forcing).clone(),
            self.calendar,
            opts,
        )?;
        m.space = self.space.clone();
        m.gthreshold = self.gthreshold;
        Ok(m)
    }

    pub fn forcing(&self) -> &Forcing {
        &self.forcing
    }
    pub fn options(&self) -> Gr4jOptions {
        self.opts
    }
    /// Mutable parameter space, to attach priors or set calibrated values.
    pub fn parameters_mut(&mut self) -> &mut ParameterSpace {
        &mut self.space
    }
    /// CemaNeige's melt threshold Gthr (mm).
    pub fn gthreshold(&self) -> f64 {
        self.gthreshold
    }

    fn split(&self, p: &[f64]) -> (Gr4jParams, SnowParams) {
        (
            Gr4jParams {
                x1: p[0],
                x2: p[1],
                x3: p[2],
                x4: p[3],
            },
            SnowParams {
                ctg: p[4],
                kf: p[5],
                gthreshold: self.gthreshold,
            },
        )
    }

    /// One day of snow + GR4J; returns (precip, aet, exchange, discharge).
    fn day(&self, p: &[f64], uh: &UnitHydrographs, st: &mut Stores, f: DayForcing) -> [f64; 4] {
        let (gp, sp) = self.split(p);
        let snow = snow_day_with_fraction(
            &sp,
            &mut st.snow,
            &mut st.thermal,
            f.precip,
            f.tmean,
            f.solid_fraction,
        );
        let d = gr4j_day(&gp, uh, &mut st.gr4j, snow.outflow(), f.pet);
        [f.precip, d.actual_et, d.exchange, d.discharge]
    }

    fn spun_up(&self, p: &[f64], uh: &UnitHydrographs) -> Stores {
        let (gp, _) = self.split(p);
        let mut st = Stores {
            snow: 0.0,
            thermal: 0.0,
            gr4j: Gr4jStores::filled(&gp, self.opts.production_fill, self.opts.routing_fill),
        };
        for k in 0..self.opts.spin_up_days {
            let f = self.forcing.at(self.calendar.start.add_days(k as i32), 0);
            self.day(p, uh, &mut st, f);
        }
        st
    }

    /// A noise-free run of days 1..=`last_day` with parameters `p`.
    pub fn simulate_until(&self, p: &[f64], last_day: usize) -> Result<Simulation> {
        self.check_params(p)?;
        let uh = UnitHydrographs::new(p[3]);
        let mut st = self.spun_up(p, &uh);
        let mut sim = Simulation {
            initial_storage: st.total(),
            ..Default::default()
        };
        for d in 1..=last_day {
            let f = self.forcing.at(self.calendar.date_of(d), 0);
            let [pr, aet, ex, q] = self.day(p, &uh, &mut st, f);
            sim.discharge.push(q);
            sim.precipitation.push(pr);
            sim.actual_et.push(aet);
            sim.exchange.push(ex);
            sim.storage.push(st.total());
        }
        Ok(sim)
    }

    /// A noise-free run over the whole calendar.
    pub fn simulate(&self, p: &[f64]) -> Result<Simulation> {
        self.simulate_until(p, self.calendar.n_days())
    }

    /// Run `date`'s forcing on one member's state, with its noise.
    fn advance(
        &self,
        p: &[f64],
        uh: &UnitHydrographs,
        state: &mut [f64],
        member: usize,
        day: usize,
        rng: &mut MemberRng,
    ) {
        let mut f = self.forcing.at(self.calendar.date_of(day), member);
        let mut st = Stores::read(state);
        let lognormal = |sd: f64, rng: &mut MemberRng| {
            let z: f64 = StandardNormal.sample(rng);
            (sd * z - 0.5 * sd * sd).exp()
        };
        if self.opts.precip_log_sd > 0.0 {
            f.precip *= lognormal(self.opts.precip_log_sd, rng);
        }
        if self.opts.routing_log_sd > 0.0 {
            st.gr4j.routing =
                (st.gr4j.routing * lognormal(self.opts.routing_log_sd, rng)).min(p[2]);
        }
        let fluxes = self.day(p, uh, &mut st, f);
        st.write(state);
        state[slot::PRECIP..slot::LEN].copy_from_slice(&fluxes);
    }
}

impl Model for Gr4jModel {
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
        &self.calendar
    }

    fn check_params(&self, p: &[f64]) -> Result<()> {
        let bad = |i: usize, why: &str| {
            Err(Error::input(
                Located::default().field(PARAM_NAMES[i]),
                format!(
                    "{} = {} {why}",
                    PARAM_NAMES[i],
                    didymos_core::show_number(p[i])
                ),
            ))
        };
        if p.len() != PARAM_NAMES.len() {
            return Err(Error::Other(format!(
                "GR4J takes {} parameters, got {}",
                PARAM_NAMES.len(),
                p.len()
            )));
        }
        for (i, def) in self.space.defs().iter().enumerate() {
            let (lo, hi) = def.bounds;
            if !(p[i].is_finite() && (lo..=hi).contains(&p[i])) {
                return bad(i, &format!("is outside [{lo}, {hi}]"));
            }
        }
        Ok(())
    }

    fn init(&self, params: &[f64], state: &mut [f64], rng: &mut MemberRng) -> Result<()> {
        self.check_params(params)?;
        let uh = UnitHydrographs::new(params[3]);
        self.spun_up(params, &uh).write(state);
        // Day 1 is the first simulated date, run with its own forcing.
        self.advance(params, &uh, state, 0, 1, rng);
        Ok(())
    }

    fn step(&self, day: usize, batch: &mut [MemberMut<'_>], scratch: &mut Scratch) {
        for m in batch.iter_mut() {
            let uh = scratch.uh(m.params[3]);
            self.advance(m.params, uh, m.state, m.index, day + 1, m.rng);
        }
    }

    fn observe(
        &self,
        _day: usize,
        _p: &[f64],
        _prev: Option<&[f64]>,
        state: &[f64],
        out: &mut [f64],
    ) {
        out[0] = state[slot::DISCHARGE];
        out[1] = state[slot::PRECIP];
        out[2] = state[slot::AET];
        out[3] = state[slot::EXCHANGE];
        out[4] = total_storage(state);
        out[5] = state[slot::SNOW];
    }
}
