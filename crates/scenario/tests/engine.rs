//! The scenario engine on a toy stochastic SIR model with two units.

use didymos_core::{
    Calendar, Date, Ensemble, MemberMut, MemberRng, Model, ObservableDef, ParamDef, ParameterSpace,
    Result, RunOptions, StateLayout,
};
use didymos_scenario::{
    difference, exceedance, run_scenarios, summarise, Options, Outcome, ParamChange, ParamOp,
    Posterior, Scenario,
};
use rand_distr::{Distribution, StandardNormal};

struct Sir {
    layout: StateLayout,
    space: ParameterSpace,
    observables: Vec<ObservableDef>,
    calendar: Calendar,
}

const BETA: usize = 0;

impl Sir {
    fn new() -> Sir {
        let s = |x: &str| x.to_string();
        let start = Date::from_ymd(2020, 3, 1).unwrap();
        Sir {
            layout: StateLayout {
                units: vec![s("a"), s("b")],
                strata: vec![s("all")],
                variables: vec![s("S"), s("I"), s("R")],
            },
            space: ParameterSpace::new(vec![
                ParamDef::new("beta", 0.3, (0.0, 2.0)),
                ParamDef::new("gamma", 0.1, (0.0, 1.0)),
            ]),
            observables: vec![
                ObservableDef {
                    name: s("new_infections"),
                    description: s("per day"),
                    is_flow: true,
                },
                ObservableDef {
                    name: s("infectious"),
                    description: s("persons"),
                    is_flow: false,
                },
            ],
            calendar: Calendar::new(start, start.add_days(80)).unwrap(),
        }
    }
}

impl Model for Sir {
    type Scratch = ();
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
    fn init(&self, _p: &[f64], state: &mut [f64], _rng: &mut MemberRng) -> Result<()> {
        state.copy_from_slice(&[990.0, 10.0, 0.0, 1000.0, 0.0, 0.0]);
        Ok(())
    }
    fn step(&self, _day: usize, batch: &mut [MemberMut<'_>], _s: &mut ()) {
        for m in batch.iter_mut() {
            // Multiplicative noise on transmission: members differ, and the
            // engine must give each the same draws in every scenario.
            let eps: f64 = StandardNormal.sample(m.rng);
            let beta = m.params[BETA] * (0.2 * eps).exp();
            let gamma = m.params[1];
            let x = m.state.to_vec();
            let coupled = [0.9 * x[1] + 0.1 * x[4], 0.1 * x[1] + 0.9 * x[4]];
            for u in 0..2 {
                let (s, i, r) = (x[3 * u], x[3 * u + 1], x[3 * u + 2]);
                let inf = (beta * s * coupled[u] / 1000.0).min(s);
                let rec = gamma * i;
                m.state[3 * u] = s - inf;
                m.state[3 * u + 1] = i + inf - rec;
                m.state[3 * u + 2] = r + rec;
            }
        }
    }
    fn observe(&self, _d: usize, _p: &[f64], prev: Option<&[f64]>, state: &[f64], out: &mut [f64]) {
        for u in 0..2 {
            out[2 * u] = prev.map_or(0.0, |p| p[3 * u] - state[3 * u]);
            out[2 * u + 1] = state[3 * u + 1];
        }
    }
}

fn identity(s: &[f64]) -> Result<Vec<f64>> {
    Ok(s.to_vec())
}

/// A posterior on day 20: a prior ensemble with spread in beta, run there.
fn posterior(model: &Sir) -> Posterior {
    let params = (0..64)
        .map(|m| vec![0.25 + 0.002 * m as f64, 0.1])
        .collect();
    let mut ens = Ensemble::with_params(model, params, 7).unwrap();
    ens.run_to(20, &RunOptions::default(), |_| {});
    let w = (0..ens.len()).map(|m| -0.01 * m as f64).collect();
    Posterior::from_ensemble(&ens, w)
}

fn run(model: &Sir, changes: Vec<Vec<ParamChange>>) -> Vec<Outcome> {
    let post = posterior(model);
    let lift: &(dyn Fn(&[f64]) -> Result<Vec<f64>> + Sync) = &identity;
    let scenarios: Vec<Scenario<'_, Sir>> = changes
        .into_iter()
        .enumerate()
        .map(|(i, c)| Scenario {
            name: format!("s{i}"),
            model,
            lift,
            changes: c,
        })
        .collect();
    let opts = Options {
        horizon_day: 60,
        seed: 11,
        members: Some(100),
    };
    run_scenarios(&post, &scenarios, &opts).unwrap()
}

#[test]
fn a_scenario_equal_to_the_baseline_differs_by_exactly_zero() {
    let model = Sir::new();
    let out = run(&model, vec![vec![], vec![]]);
    assert_eq!(out[0].values, out[1].values);
    for k in 0..2 {
        for u in 0..3 {
            let d = difference(&out[0], &out[1], k, u).unwrap();
            assert_eq!(d.averted.as_array(), [0.0; 5]);
            assert_eq!(d.mean, 0.0);
            assert_eq!(d.prob_fewer, 0.0);
        }
    }
    // And members do differ (process noise, weights), so zero is not trivial.
    let total = out[0].unit("total").unwrap();
    let last = &out[0].values[0][total][10];
    assert!(last.iter().any(|v| (v - last[0]).abs() > 1e-6));
}

#[test]
fn lower_transmission_averts_infections_in_every_member() {
    let model = Sir::new();
    let halve = ParamChange {
        day: 25,
        index: BETA,
        op: ParamOp::Factor(0.5),
    };
    let out = run(&model, vec![vec![], vec![halve]]);
    let total = out[0].unit("total").unwrap();
    let d = difference(&out[0], &out[1], 0, total).unwrap();
    // Common random numbers: every member is better off, so even the 5%
    // quantile of the paired difference is positive.
    assert!(d.averted.q05 > 0.0, "{:?}", d.averted);
    assert_eq!(d.prob_fewer, 1.0);
    // Before the change (days 21..24) the trajectories are identical.
    for t in 0..4 {
        assert_eq!(out[0].values[0][total][t], out[1].values[0][total][t]);
    }
    assert_ne!(out[0].values[0][total][5], out[1].values[0][total][5]);
    // Exceedance falls with the intervention.
    let k = out[0].observable("infectious").unwrap();
    let sum = summarise(&out[0]).unwrap();
    let peak = sum
        .iter()
        .find(|x| x.observable == "infectious" && x.unit == "total")
        .unwrap()
        .peak_size
        .q50;
    let e0 = exceedance(&out[0], k, total, peak);
    let e1 = exceedance(&out[1], k, total, peak);
    assert!(e0.within_horizon > 0.3 && e0.within_horizon < 0.7, "{e0:?}");
    assert!(e1.within_horizon < e0.within_horizon, "{e0:?} {e1:?}");
}

#[test]
fn results_do_not_depend_on_thread_count() {
    let model = Sir::new();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let two = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let a = one.install(|| run(&model, vec![vec![]]));
    let b = two.install(|| run(&model, vec![vec![]]));
    assert_eq!(a, b);
}

#[test]
fn summaries_have_peaks_cumulatives_and_quantiles_in_order() {
    let model = Sir::new();
    let out = run(&model, vec![vec![]]);
    let s = summarise(&out[0]).unwrap();
    assert_eq!(s.len(), 2 * 3);
    for x in &s {
        let q = x.peak_size.as_array();
        assert!(q.windows(2).all(|w| w[0] <= w[1]), "{q:?}");
        assert_eq!(x.daily.len(), 40);
        assert_eq!(x.cumulative.is_some(), x.observable == "new_infections");
    }
}

#[test]
fn a_horizon_before_the_branch_is_an_error() {
    let model = Sir::new();
    let post = posterior(&model);
    let lift: &(dyn Fn(&[f64]) -> Result<Vec<f64>> + Sync) = &identity;
    let s = [Scenario {
        name: "x".into(),
        model: &model,
        lift,
        changes: vec![],
    }];
    let opts = Options {
        horizon_day: 20,
        seed: 1,
        members: None,
    };
    let e = run_scenarios(&post, &s, &opts).unwrap_err().to_string();
    assert!(e.contains("must come after the branch day 20"), "{e}");
}
