//! An ensemble of model members stepped in parallel batches.
//!
//! Determinism: a member's parameters, initial state and random stream
//! depend only on (seed, member index). Batches are fixed by member index,
//! not by thread, and the model promises that a member's result does not
//! depend on its batch mates, so the outcome is bit-identical whatever the
//! thread count.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::model::{MemberMut, Model};
use crate::rng::{member_rng, MemberRng};

/// Random-stream purposes, kept apart so one use never shifts another.
const STREAM_PARAMS: u64 = 1;
const STREAM_PROCESS: u64 = 2;

#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Members per batch; `None` uses the model's preference.
    pub batch_size: Option<usize>,
    /// Compute observables after each step.
    pub observe: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            batch_size: None,
            observe: true,
        }
    }
}

pub struct Ensemble<'m, M: Model> {
    model: &'m M,
    seed: u64,
    params: Vec<Vec<f64>>,
    states: Vec<Vec<f64>>,
    observations: Vec<Vec<f64>>,
    rngs: Vec<MemberRng>,
    day: usize,
    /// Buffers `resample` gathers into and swaps with, so resampling every
    /// day allocates nothing after the first time.
    spare: [Vec<Vec<f64>>; 3],
    /// Per worker thread (rayon thread index): a model scratch and the
    /// previous-state buffer for `observe`, kept across steps so that a
    /// warm step allocates nothing.
    workspaces: Vec<std::sync::Mutex<(M::Scratch, Vec<f64>)>>,
}

impl<'m, M: Model> Ensemble<'m, M> {
    /// `n` members whose parameters are drawn from the model's priors
    /// (parameters without a prior keep their value).
    pub fn from_priors(model: &'m M, n: usize, seed: u64) -> Result<Self> {
        let params = (0..n)
            .map(|m| {
                let mut r = member_rng(seed, m as u64, STREAM_PARAMS);
                model.parameters().draw(&mut r)
            })
            .collect::<Result<Vec<_>>>()?;
        Self::with_params(model, params, seed)
    }

    /// Members with the given parameter vectors, initialised on day 1.
    pub fn with_params(model: &'m M, params: Vec<Vec<f64>>, seed: u64) -> Result<Self> {
        let n_state = model.layout().len();
        let n_obs =
            model.layout().units.len() * model.layout().strata.len() * model.observables().len();
        let mut rngs: Vec<MemberRng> = (0..params.len())
            .map(|m| member_rng(seed, m as u64, STREAM_PROCESS))
            .collect();
        let mut states = vec![vec![0.0; n_state]; params.len()];
        let mut observations = vec![vec![0.0; n_obs]; params.len()];
        for (m, p) in params.iter().enumerate() {
            if p.len() != model.parameters().len() {
                return Err(Error::Other(format!(
                    "member {m} has {} parameters, the model has {}",
                    p.len(),
                    model.parameters().len()
                )));
            }
            model.check_params(p)?;
            model.init(p, &mut states[m], &mut rngs[m])?;
            model.observe(1, p, None, &states[m], &mut observations[m]);
        }
        Ok(Ensemble {
            model,
            seed,
            params,
            states,
            observations,
            rngs,
            day: 1,
            spare: Default::default(),
            workspaces: Vec::new(),
        })
    }

    /// Rebuild an ensemble from saved parts (a checkpoint). Every member
    /// needs parameters, state, current observables and its random stream.
    pub fn from_parts(
        model: &'m M,
        seed: u64,
        day: usize,
        params: Vec<Vec<f64>>,
        states: Vec<Vec<f64>>,
        observations: Vec<Vec<f64>>,
        rngs: Vec<MemberRng>,
    ) -> Result<Self> {
        let n = params.len();
        let n_state = model.layout().len();
        let n_obs =
            model.layout().units.len() * model.layout().strata.len() * model.observables().len();
        let shapes_ok = states.len() == n
            && observations.len() == n
            && rngs.len() == n
            && params.iter().all(|p| p.len() == model.parameters().len())
            && states.iter().all(|s| s.len() == n_state)
            && observations.iter().all(|o| o.len() == n_obs);
        if !shapes_ok || day == 0 {
            return Err(Error::Other(
                "saved ensemble does not fit the model's shape".into(),
            ));
        }
        Ok(Ensemble {
            model,
            seed,
            params,
            states,
            observations,
            rngs,
            day,
            spare: Default::default(),
            workspaces: Vec::new(),
        })
    }

    /// Member `m`'s random stream (to save it in a checkpoint).
    pub fn rng(&self, member: usize) -> &MemberRng {
        &self.rngs[member]
    }

    pub fn model(&self) -> &M {
        self.model
    }
    pub fn seed(&self) -> u64 {
        self.seed
    }
    pub fn len(&self) -> usize {
        self.states.len()
    }
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }
    /// The day the members' states are at.
    pub fn day(&self) -> usize {
        self.day
    }
    pub fn params(&self, member: usize) -> &[f64] {
        &self.params[member]
    }
    pub fn state(&self, member: usize) -> &[f64] {
        &self.states[member]
    }
    /// Observables of `member` on the current day (see [`Model::observe`]).
    pub fn observation(&self, member: usize) -> &[f64] {
        &self.observations[member]
    }

    /// Mutable parameters of `member` (natural scale), for filters that
    /// update or perturb them.
    pub fn params_mut(&mut self, member: usize) -> &mut [f64] {
        &mut self.params[member]
    }
    /// Mutable state of `member`, for filters that adjust it.
    pub fn state_mut(&mut self, member: usize) -> &mut [f64] {
        &mut self.states[member]
    }
    /// Parameters and state of `member`, both mutable at once.
    pub fn member_mut(&mut self, member: usize) -> (&mut [f64], &mut [f64]) {
        (&mut self.params[member], &mut self.states[member])
    }

    /// Replace member `i` by a copy of member `ancestors[i]` (parameters,
    /// state and current observables). Each member keeps its own random
    /// stream, so a resampled run stays a function of (seed, member index)
    /// and is deterministic. Panics if `ancestors` has the wrong length or
    /// names a member that does not exist.
    pub fn resample(&mut self, ancestors: &[usize]) {
        assert_eq!(ancestors.len(), self.len(), "one ancestor per member");
        let [sp, ss, so] = &mut self.spare;
        gather(&mut self.params, sp, ancestors);
        gather(&mut self.states, ss, ancestors);
        gather(&mut self.observations, so, ancestors);
    }

    /// Advance all members by one day.
    pub fn step(&mut self, opts: &RunOptions) {
        let model = self.model;
        let day = self.day;
        let batch = opts
            .batch_size
            .unwrap_or_else(|| model.preferred_batch())
            .max(1);
        let observe = opts.observe;
        // A rayon task takes several model batches so that small models do
        // not pay a task, a scratch and a buffer per member. Batch
        // boundaries stay fixed by member index; the model promises results
        // independent of batch mates anyway, so the task size (which depends
        // on the thread count) cannot change any result.
        let tasks = 4 * rayon::current_num_threads();
        let per_task = self.len().div_ceil(tasks).div_ceil(batch).max(1) * batch;
        let n_state = model.layout().len();
        let threads = rayon::current_num_threads();
        if self.workspaces.len() < threads {
            self.workspaces.resize_with(threads, Default::default);
        }
        let workspaces = &self.workspaces;
        self.params
            .par_chunks_mut(per_task)
            .zip(self.states.par_chunks_mut(per_task))
            .zip(self.rngs.par_chunks_mut(per_task))
            .zip(self.observations.par_chunks_mut(per_task))
            .enumerate()
            .for_each(|(t, (((ps, ss), rs), os))| {
                // A worker runs one task at a time, so its slot is free; a
                // fresh workspace is only used outside a rayon pool.
                let mut own = None;
                let mut slot = rayon::current_thread_index()
                    .and_then(|i| workspaces.get(i))
                    .and_then(|w| w.try_lock().ok());
                let (scratch, prev) = match slot.as_deref_mut() {
                    Some(w) => (&mut w.0, &mut w.1),
                    None => {
                        let w = own.insert((M::Scratch::default(), Vec::new()));
                        (&mut w.0, &mut w.1)
                    }
                };
                let chunks = ps
                    .chunks_mut(batch)
                    .zip(ss.chunks_mut(batch))
                    .zip(rs.chunks_mut(batch))
                    .zip(os.chunks_mut(batch));
                for (b, (((ps, ss), rs), os)) in chunks.enumerate() {
                    let first = t * per_task + b * batch;
                    if observe {
                        prev.clear();
                        ss.iter().for_each(|s| prev.extend_from_slice(s));
                    }
                    let mut members: Vec<MemberMut<'_>> = ps
                        .iter_mut()
                        .zip(ss.iter_mut())
                        .zip(rs.iter_mut())
                        .enumerate()
                        .map(|(k, ((p, s), r))| MemberMut {
                            index: first + k,
                            params: p,
                            state: s,
                            rng: r,
                        })
                        .collect();
                    model.step(day, &mut members, scratch);
                    drop(members);
                    if observe {
                        for (k, o) in os.iter_mut().enumerate() {
                            let before = &prev[k * n_state..(k + 1) * n_state];
                            model.observe(day + 1, &ps[k], Some(before), &ss[k], o);
                        }
                    }
                }
            });
        self.day += 1;
    }

    /// Step until `to_day`, calling `on_day` after each new day.
    pub fn run_to(&mut self, to_day: usize, opts: &RunOptions, mut on_day: impl FnMut(&Self)) {
        while self.day < to_day {
            self.step(opts);
            on_day(self);
        }
    }
}

/// `rows[i] ← rows[ancestors[i]]`, copying into `spare`'s allocations and
/// swapping, so no vector is allocated once `spare` has its shape.
fn gather(rows: &mut Vec<Vec<f64>>, spare: &mut Vec<Vec<f64>>, ancestors: &[usize]) {
    spare.resize_with(rows.len(), Vec::new);
    spare
        .par_iter_mut()
        .zip(ancestors.par_iter())
        .for_each(|(dst, &a)| {
            dst.clear();
            dst.extend_from_slice(&rows[a]);
        });
    std::mem::swap(rows, spare);
}
