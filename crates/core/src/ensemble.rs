//! An ensemble of model members stepped in parallel batches.
//!
//! Determinism: a member's parameters, initial state and random stream
//! depend only on (seed, member index). Batches are fixed by member index,
//! not by thread, and the model promises that a member's result does not
//! depend on its batch mates, so the outcome is bit-identical whatever the
//! thread count.
//!
//! Storage is flat and member-major: all parameters in one `Vec<f64>`
//! (member m's at `m·n_params..(m+1)·n_params`), likewise states and
//! observables, so stepping, copying and resampling touch contiguous memory
//! and allocate nothing once warm.

use rayon::prelude::*;

use crate::blocks::BlockColumns;
use crate::error::{Error, Result};
use crate::model::{MemberMut, Model};
use crate::rng::{member_rng, MemberRng};

/// Random-stream purposes, kept apart so one use never shifts another.
const STREAM_PARAMS: u64 = 1;
const STREAM_PROCESS: u64 = 2;

/// Values per rayon task below which splitting further costs more than it
/// saves (tiny models get several hundred members per task).
const MIN_TASK_VALUES: usize = 8192;

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

/// Per worker thread: a model scratch and the previous-state buffer for
/// `observe`, kept across steps so that a warm step allocates nothing.
type Workspace<S> = std::sync::Mutex<(S, Vec<f64>)>;

pub struct Ensemble<'m, M: Model> {
    model: &'m M,
    seed: u64,
    n: usize,
    n_params: usize,
    n_state: usize,
    n_obs: usize,
    params: Vec<f64>,
    states: Vec<f64>,
    observations: Vec<f64>,
    rngs: Vec<MemberRng>,
    day: usize,
    /// Buffer `resample` gathers into and swaps with, so resampling every
    /// day allocates nothing after the first time.
    spare: [Vec<f64>; 3],
    workspaces: Vec<Workspace<M::Scratch>>,
}

/// A copy to carry on from independently: same members, parameters,
/// states, observables and random streams (so both copies draw the same
/// numbers from here on); working buffers are not copied.
impl<M: Model> Clone for Ensemble<'_, M> {
    fn clone(&self) -> Self {
        Ensemble {
            model: self.model,
            seed: self.seed,
            n: self.n,
            n_params: self.n_params,
            n_state: self.n_state,
            n_obs: self.n_obs,
            params: self.params.clone(),
            states: self.states.clone(),
            observations: self.observations.clone(),
            rngs: self.rngs.clone(),
            day: self.day,
            spare: Default::default(),
            workspaces: Vec::new(),
        }
    }
}

/// One rayon task of `step`: its first member, member count, and its
/// members' parameters, states, streams and observables.
type StepTask<'a> = (
    usize,
    usize,
    &'a mut [f64],
    &'a mut [f64],
    &'a mut [MemberRng],
    &'a mut [f64],
);

/// Member `m`'s row of a flat member-major array with rows of `w` values.
#[inline]
fn row(v: &[f64], w: usize, m: usize) -> &[f64] {
    &v[m * w..(m + 1) * w]
}
#[inline]
fn row_mut(v: &mut [f64], w: usize, m: usize) -> &mut [f64] {
    &mut v[m * w..(m + 1) * w]
}

/// The `n` rows of width `w` (possibly 0) of a flat array of `n·w` values.
fn rows_mut(v: &mut [f64], w: usize, n: usize) -> RowsMut<'_> {
    if w == 0 {
        RowsMut::Empty(n)
    } else {
        RowsMut::Rows(v.chunks_exact_mut(w))
    }
}

enum RowsMut<'a> {
    Rows(std::slice::ChunksExactMut<'a, f64>),
    Empty(usize),
}

impl<'a> Iterator for RowsMut<'a> {
    type Item = &'a mut [f64];
    #[inline(always)]
    fn next(&mut self) -> Option<&'a mut [f64]> {
        match self {
            RowsMut::Rows(it) => it.next(),
            RowsMut::Empty(0) => None,
            RowsMut::Empty(k) => {
                *k -= 1;
                Some(Default::default())
            }
        }
    }
}

fn observables_len<M: Model>(model: &M) -> usize {
    model.layout().units.len() * model.layout().strata.len() * model.observables().len()
}

/// Refuses an ensemble that cannot fit in memory before allocating it: an
/// absurd member count (`--members 100000000`) would otherwise overflow a
/// size or be killed by the kernel part-way, not answered with a message.
/// Anything that builds `n` members of `model` (an ensemble, a scenario
/// run, an IF2 swarm) checks this first.
pub fn check_fits<M: Model>(model: &M, n: usize) -> Result<()> {
    // Parameters, states twice (the resampling spare) and observables.
    let per_member = model.parameters().len() + 2 * model.layout().len() + observables_len(model);
    let bytes = (n as u128) * (per_member as u128) * 8;
    let gb = |b: u128| b as f64 / 1e9;
    let available = crate::fs::available_memory().map_or(u128::from(u64::MAX), u128::from);
    if bytes > available {
        return Err(Error::Other(format!(
            "{n} members need about {:.1} GB for their states alone ({per_member} values each), \
             more than the {:.1} GB of memory available: use fewer members",
            gb(bytes),
            gb(available)
        )));
    }
    Ok(())
}

impl<'m, M: Model> Ensemble<'m, M> {
    /// `n` members whose parameters are drawn from the model's priors
    /// (parameters without a prior keep their value).
    pub fn from_priors(model: &'m M, n: usize, seed: u64) -> Result<Self> {
        check_fits(model, n)?;
        let space = model.parameters();
        let np = space.len();
        let flat = if space.defs().iter().all(|d| d.prior.is_none()) {
            // Nothing random to draw: every member gets the values.
            let values = space.values();
            let mut flat = Vec::with_capacity(n * np);
            (0..n).for_each(|_| flat.extend_from_slice(&values));
            flat
        } else {
            let rows = (0..n)
                .into_par_iter()
                .map(|m| space.draw(&mut member_rng(seed, m as u64, STREAM_PARAMS)))
                .collect::<Result<Vec<_>>>()?;
            rows.concat()
        };
        Self::with_flat_params(model, n, flat, seed)
    }

    /// Members with the given parameter vectors, initialised on day 1.
    pub fn with_params(model: &'m M, params: Vec<Vec<f64>>, seed: u64) -> Result<Self> {
        let np = model.parameters().len();
        if let Some((m, p)) = params.iter().enumerate().find(|(_, p)| p.len() != np) {
            return Err(Error::Other(format!(
                "member {m} has {} parameters, the model has {np}",
                p.len()
            )));
        }
        let n = params.len();
        Self::with_flat_params(model, n, params.concat(), seed)
    }

    /// `n` members with parameters given flat, member-major
    /// (`n × n_params` values), initialised on day 1.
    pub fn with_flat_params(model: &'m M, n: usize, params: Vec<f64>, seed: u64) -> Result<Self> {
        let np = model.parameters().len();
        if params.len() != n * np {
            return Err(Error::Other(format!(
                "{} parameter values for {n} members of {np} parameters",
                params.len()
            )));
        }
        let n_state = model.layout().len();
        let n_obs = observables_len(model);
        let mut rngs: Vec<MemberRng> = (0..n)
            .map(|m| member_rng(seed, m as u64, STREAM_PROCESS))
            .collect();
        let mut states = vec![0.0; n * n_state];
        let mut observations = vec![0.0; n * n_obs];
        let per_task = (MIN_TASK_VALUES / (n_state + np + 1)).clamp(1, 1024);
        let init_one = |m: usize, s: &mut [f64], r: &mut MemberRng| {
            let p = row(&params, np, m);
            model.check_params(p)?;
            model.init(p, s, r)
        };
        let inits: Vec<Result<()>> = if n_state == 0 {
            rngs.iter_mut()
                .enumerate()
                .map(|(m, r)| init_one(m, &mut [], r))
                .collect()
        } else {
            states
                .par_chunks_mut(n_state)
                .with_min_len(per_task)
                .zip(rngs.par_iter_mut())
                .enumerate()
                .map(|(m, (s, r))| init_one(m, s, r))
                .collect()
        };
        // The first failing member by index, whatever the thread count.
        inits.into_iter().collect::<Result<Vec<()>>>()?;
        if n_obs > 0 {
            observations
                .par_chunks_mut(n_obs)
                .with_min_len(per_task)
                .enumerate()
                .for_each(|(m, o)| {
                    model.observe(1, row(&params, np, m), None, row(&states, n_state, m), o)
                });
        }
        Ok(Ensemble {
            model,
            seed,
            n,
            n_params: np,
            n_state,
            n_obs,
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
        let np = model.parameters().len();
        let n_state = model.layout().len();
        let n_obs = observables_len(model);
        let shapes_ok = states.len() == n
            && observations.len() == n
            && rngs.len() == n
            && params.iter().all(|p| p.len() == np)
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
            n,
            n_params: np,
            n_state,
            n_obs,
            params: params.concat(),
            states: states.concat(),
            observations: observations.concat(),
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
        self.n
    }
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
    /// The day the members' states are at.
    pub fn day(&self) -> usize {
        self.day
    }
    /// Values per member: parameters, state, observables.
    pub fn widths(&self) -> (usize, usize, usize) {
        (self.n_params, self.n_state, self.n_obs)
    }
    pub fn params(&self, member: usize) -> &[f64] {
        row(&self.params, self.n_params, member)
    }
    pub fn state(&self, member: usize) -> &[f64] {
        row(&self.states, self.n_state, member)
    }
    /// Observables of `member` on the current day (see [`Model::observe`]).
    pub fn observation(&self, member: usize) -> &[f64] {
        row(&self.observations, self.n_obs, member)
    }
    /// Every member's parameters, member-major (`len() × n_params`).
    pub fn flat_params(&self) -> &[f64] {
        &self.params
    }
    /// Every member's state, member-major (`len() × n_state`).
    pub fn flat_states(&self) -> &[f64] {
        &self.states
    }
    /// Every member's current observables, member-major (`len() × n_obs`).
    pub fn flat_observations(&self) -> &[f64] {
        &self.observations
    }

    /// Mutable parameters of `member` (natural scale), for filters that
    /// update or perturb them.
    pub fn params_mut(&mut self, member: usize) -> &mut [f64] {
        row_mut(&mut self.params, self.n_params, member)
    }
    /// Mutable state of `member`, for filters that adjust it.
    pub fn state_mut(&mut self, member: usize) -> &mut [f64] {
        row_mut(&mut self.states, self.n_state, member)
    }
    /// Parameters and state of `member`, both mutable at once.
    pub fn member_mut(&mut self, member: usize) -> (&mut [f64], &mut [f64]) {
        (
            row_mut(&mut self.params, self.n_params, member),
            row_mut(&mut self.states, self.n_state, member),
        )
    }

    /// Replace member `i` by a copy of member `ancestors[i]` (parameters,
    /// state and current observables). Each member keeps its own random
    /// stream, so a resampled run stays a function of (seed, member index)
    /// and is deterministic. Panics if `ancestors` has the wrong length or
    /// names a member that does not exist.
    pub fn resample(&mut self, ancestors: &[usize]) {
        assert_eq!(ancestors.len(), self.len(), "one ancestor per member");
        let [sp, ss, so] = &mut self.spare;
        gather(&mut self.params, sp, self.n_params, ancestors);
        gather(&mut self.states, ss, self.n_state, ancestors);
        gather(&mut self.observations, so, self.n_obs, ancestors);
    }

    /// Block resampling: each block's parameter, state and observable
    /// columns of member i are copied from member `ancestors[b][i]`;
    /// columns in no block, and every member's random stream, stay.
    /// Panics if a layout's width does not match the ensemble's.
    pub fn resample_blocks(
        &mut self,
        params: &BlockColumns,
        states: &BlockColumns,
        observables: &BlockColumns,
        ancestors: &[Vec<usize>],
    ) {
        let (np, ns, no) = (self.n_params, self.n_state, self.n_obs);
        assert_eq!(
            (params.width(), states.width(), observables.width()),
            (np, ns, no),
            "block columns must match the ensemble's widths"
        );
        let [sp, ss, so] = &mut self.spare;
        for (rows, spare, cols) in [
            (&mut self.params, sp, params),
            (&mut self.states, ss, states),
            (&mut self.observations, so, observables),
        ] {
            if cols.is_empty() {
                continue;
            }
            spare.resize(rows.len(), 0.0);
            cols.gather(rows, spare, ancestors);
            std::mem::swap(rows, spare);
        }
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
        let (n, np, ns, no) = (self.n, self.n_params, self.n_state, self.n_obs);
        // A rayon task takes several model batches so that small models do
        // not pay a task, a scratch and a buffer per member. Batch
        // boundaries stay fixed by member index; the model promises results
        // independent of batch mates anyway, so the task size (which depends
        // on the thread count) cannot change any result.
        let threads = rayon::current_num_threads();
        let min_members = (MIN_TASK_VALUES / (np + ns + no + 1)).max(1);
        let per_task = n.div_ceil(4 * threads).max(min_members).div_ceil(batch) * batch;
        if self.workspaces.len() < threads {
            self.workspaces.resize_with(threads, Default::default);
        }
        let workspaces = &self.workspaces;
        // Cut the flat arrays into tasks by member range.
        let mut tasks = Vec::with_capacity(n.div_ceil(per_task));
        let (mut ps, mut ss, mut rs, mut os) = (
            &mut self.params[..],
            &mut self.states[..],
            &mut self.rngs[..],
            &mut self.observations[..],
        );
        let mut first = 0;
        while first < n {
            let k = per_task.min(n - first);
            let (p0, p1) = std::mem::take(&mut ps).split_at_mut(k * np);
            let (s0, s1) = std::mem::take(&mut ss).split_at_mut(k * ns);
            let (r0, r1) = std::mem::take(&mut rs).split_at_mut(k);
            let (o0, o1) = std::mem::take(&mut os).split_at_mut(k * no);
            (ps, ss, rs, os) = (p1, s1, r1, o1);
            tasks.push((first, k, p0, s0, r0, o0));
            first += k;
        }
        let run_task = |(first, k, ps, ss, rs, os): StepTask<'_>| {
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
            if observe {
                prev.clear();
                prev.extend_from_slice(ss);
            }
            let mut members: Vec<MemberMut<'_>> = Vec::with_capacity(batch.min(k));
            let mut prow = rows_mut(ps, np, k);
            let mut srow = rows_mut(ss, ns, k);
            let mut orow = rows_mut(os, no, k);
            let mut rit = rs.iter_mut();
            let mut start = 0;
            while start < k {
                let b = batch.min(k - start);
                members.clear();
                for j in 0..b {
                    let (Some(params), Some(state), Some(rng)) =
                        (prow.next(), srow.next(), rit.next())
                    else {
                        unreachable!("one row per member");
                    };
                    members.push(MemberMut {
                        index: first + start + j,
                        params,
                        state,
                        rng,
                    });
                }
                model.step(day, &mut members, scratch);
                if observe {
                    let before = &prev[start * ns..(start + b) * ns];
                    for (j, (mm, o)) in members.iter().zip(orow.by_ref()).enumerate() {
                        let before = &before[j * ns..(j + 1) * ns];
                        model.observe(day + 1, mm.params, Some(before), mm.state, o);
                    }
                }
                start += b;
            }
        };
        if tasks.len() == 1 {
            tasks.into_iter().for_each(run_task);
        } else {
            tasks.into_par_iter().for_each(run_task);
        }
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

/// Row `i` of `rows` (width `w`) ← row `ancestors[i]`, gathered into
/// `spare` and swapped, so nothing is allocated once `spare` has the shape.
fn gather(rows: &mut Vec<f64>, spare: &mut Vec<f64>, w: usize, ancestors: &[usize]) {
    if w == 0 {
        return;
    }
    spare.resize(rows.len(), 0.0);
    gather_rows(rows, spare, w, ancestors);
    std::mem::swap(rows, spare);
}

/// `dst` row i ← `src` row `ancestors[i]`, rows of `w` values, member-major;
/// in parallel pieces of several hundred members (small widths copy
/// without a `memcpy` call per row). Panics if an ancestor is out of range
/// or the lengths do not match.
pub fn gather_rows(src: &[f64], dst: &mut [f64], w: usize, ancestors: &[usize]) {
    assert_eq!(dst.len(), ancestors.len() * w, "one ancestor per row");
    if w == 0 {
        return;
    }
    let piece = (MIN_TASK_VALUES / w).max(1);
    let run = |(d, a): (&mut [f64], &[usize])| match w {
        1 => gather_fixed::<1>(src, d, a),
        2 => gather_fixed::<2>(src, d, a),
        3 => gather_fixed::<3>(src, d, a),
        4 => gather_fixed::<4>(src, d, a),
        5 => gather_fixed::<5>(src, d, a),
        6 => gather_fixed::<6>(src, d, a),
        7 => gather_fixed::<7>(src, d, a),
        8 => gather_fixed::<8>(src, d, a),
        _ => {
            for (d, &a) in d.chunks_exact_mut(w).zip(a) {
                d.copy_from_slice(row(src, w, a));
            }
        }
    };
    if ancestors.len() <= piece {
        run((dst, ancestors));
    } else {
        dst.par_chunks_mut(piece * w)
            .zip(ancestors.par_chunks(piece))
            .for_each(run);
    }
}

#[inline(always)]
fn gather_fixed<const W: usize>(src: &[f64], dst: &mut [f64], ancestors: &[usize]) {
    for (d, &a) in dst.chunks_exact_mut(W).zip(ancestors) {
        let s: &[f64; W] = src[a * W..a * W + W].try_into().expect("width W");
        let d: &mut [f64; W] = d.try_into().expect("width W");
        *d = *s;
    }
}
