#!/usr/bin/env python3
"""A numpy/scipy.sparse peer of Didymos's MMCA daily step.

A straightforward vectorised implementation of the same Markov chain
(Arenas et al. 2020, MMCAcovid19.jl's ``update_prob!``/``compute_P!``, as
driven by EpiSim.jl), written independently of the Rust code from the
published equations. It serves two purposes:

* a speed peer: time per simulated day, single-threaded, on the same
  inputs as ``cargo bench -p didymos-epi --bench mmca``;
* a cross-check: the daily national totals of the three observables
  (``new_infected``, ``new_hospitalized``, ``new_deaths``) written here are
  compared with the ``didymos run --episim`` output by ``bench/run.sh``.

Inputs are EpiSim.jl's (config JSON with Greek keys and its CSVs). Semantics
(ARCHITECTURE.md, "MMCA semantics"): populations rounded half-to-even
(numpy.round), origins without outgoing edges get a self-loop Rᵢᵢ = 1,
seeds in A with S = n − A, and a κ₀ file gives one containment per dated
row (ϕ = ϕs[0], δ = δs[0], δ = 0 where κ₀ = 0) that sets the regime before
the step t → t+1 and persists until the next one; confined households are
released and re-drawn on each containment day.

Two forms of the mobility sums are available:

* ``factored`` (default, timed): Σ_i ρ[h,i]·n[h,i]·((1−pₕ)δᵢⱼ + pₕRᵢⱼ) is
  computed as (1−pₕ)·x[j,h] + pₕ·(Rᵀx)[j,h], one sparse product with the
  fixed Rᵀ per day (what a numpy user would write);
* ``edges``: the reference's own form, per-edge weights
  mobilityᵍ[e] = nᵢᵍ((1−pᵍ)δᵢⱼ + pᵍRᵢⱼ) rebuilt on every containment day
  (with the zero self-loops ``correct_self_loops`` adds), one sparse matrix
  per stratum.

Usage:
  mmca_numpy.py time  CONFIG DATA_DIR [--repeats N] [--form F] [--label L]
  mmca_numpy.py run   CONFIG DATA_DIR --out TOTALS.csv [--form F]
  mmca_numpy.py compare TOTALS.csv DIDYMOS_OBSERVABLES.csv
"""

import os

# Single-threaded: set before numpy/scipy load their BLAS.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import unicodedata  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

EMPTY_POPULATION = 1e-7
OBSERVABLES = ("new_infected", "new_hospitalized", "new_deaths")
RATES = ("η", "α", "μ", "θ", "γ", "ζ", "λ", "ω", "ψ", "χ")


# --------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------

def _nfc(s):
    return unicodedata.normalize("NFC", s)


def _get(section, key, default=None):
    """Look a Greek key up whatever its Unicode normalisation."""
    want = _nfc(key)
    for k, v in section.items():
        if _nfc(k) == want:
            return v
    if default is not None:
        return default
    raise KeyError(key)


def _has(section, key):
    want = _nfc(key)
    return any(_nfc(k) == want for k in section)


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


class Instance:
    """An EpiSim MMCACovid19 instance, as arrays."""

    def __init__(self, config_path, data_dir):
        with open(config_path, encoding="utf-8") as f:
            cfg = json.load(f)
        sim, data = cfg["simulation"], cfg["data"]
        epi, pop, npi = cfg["epidemic_params"], cfg["population_params"], cfg["NPI"]

        self.start = dt.date.fromisoformat(sim["start_date"])
        self.end = dt.date.fromisoformat(sim["end_date"])
        self.T = (self.end - self.start).days + 1

        self.labels = [str(x) for x in pop["G_labels"]]
        G = len(self.labels)
        self.G = G
        self.C = np.array(_get(pop, "C"), dtype=float)
        self.k = np.array(_get(pop, "kᵍ"), dtype=float)
        self.k_h = np.array(_get(pop, "kᵍ_h"), dtype=float)
        self.k_w = np.array(_get(pop, "kᵍ_w"), dtype=float)
        self.p = np.array(_get(pop, "pᵍ"), dtype=float)
        self.xi = float(_get(pop, "ξ"))
        self.sigma = float(_get(pop, "σ"))

        self.beta_i = float(_get(epi, "βᴵ"))
        if _has(epi, "βᴬ"):
            self.beta_a = float(_get(epi, "βᴬ"))
        else:
            self.beta_a = float(_get(epi, "scale_β")) * self.beta_i
        self.rates = {r: np.array(_get(epi, r + "ᵍ"), dtype=float) for r in RATES}

        d = lambda key: os.path.join(data_dir, data[key])  # noqa: E731
        meta = read_csv(d("metapopulation_data_filename"))
        self.ids = [r["id"] for r in meta]
        M = len(meta)
        self.M = M
        self.area = np.array([float(r["area"]) for r in meta])
        # Julia's round (EpiSim): half to even, as numpy.round.
        self.n = np.round(np.array([[float(r[g]) for g in self.labels] for r in meta]))  # (M, G)

        mob = read_csv(d("mobility_matrix_filename"))
        src = np.array([int(r["source_idx"]) - 1 for r in mob], dtype=np.int64)
        dst = np.array([int(r["target_idx"]) - 1 for r in mob], dtype=np.int64)
        ratio = np.array([float(r["ratio"]) for r in mob])
        # correct_self_loops: an origin with no outgoing edge keeps everyone
        # home (Rᵢᵢ = 1); the others get a zero self-loop if they lack one
        # (it matters only for the per-edge form's (1−p)δᵢⱼ term).
        has_out = np.zeros(M, dtype=bool)
        has_out[src] = True
        has_self = np.zeros(M, dtype=bool)
        has_self[src[src == dst]] = True
        add1 = np.flatnonzero(~has_out & ~has_self)
        add0 = np.flatnonzero(has_out & ~has_self)
        self.src = np.concatenate([src, add1, add0])
        self.dst = np.concatenate([dst, add1, add0])
        self.ratio = np.concatenate([ratio, np.ones(len(add1)), np.zeros(len(add0))])
        # R[i, j] = Rᵢⱼ; explicit zeros are kept out of the sparse products.
        keep = self.ratio != 0.0
        self.R = sp.csr_matrix((self.ratio[keep], (self.src[keep], self.dst[keep])), shape=(M, M))
        self.RT = self.R.T.tocsr()

        seed_scale = float(sim.get("scale_seeds", 1.0))
        self.A0 = np.zeros((M, G))
        for r in read_csv(d("initial_condition_filename")):
            self.A0[int(r["idx"]) - 1] = [float(r[g]) * seed_scale for g in self.labels]

        # Containments by day: {t: (κ₀, ϕ, δ)}.
        self.containments = {}
        if data.get("kappa0_filename"):
            phi = float(_get(npi, "ϕs")[0])
            delta = float(_get(npi, "δs")[0])
            for r in read_csv(d("kappa0_filename")):
                t = (dt.date.fromisoformat(r["date"]) - self.start).days + 1
                if 1 <= t <= self.T:
                    k0 = float(r["reduction"])
                    self.containments[t] = (k0, phi, 0.0 if k0 == 0.0 else delta)
        else:
            for t, k0, phi, delta in zip(_get(npi, "tᶜs"), _get(npi, "κ₀s"), _get(npi, "ϕs"), _get(npi, "δs")):
                self.containments[int(t)] = (float(k0), float(phi), float(delta))

    def date(self, t):
        return self.start + dt.timedelta(days=t - 1)


# --------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------

S, E, A, I, PH, PD, HR, HD, R, D, CH = range(11)


class Mmca:
    def __init__(self, inst, form="factored", p_form="pow"):
        self.inst = inst
        self.form = form
        self.p_form = p_form
        G = inst.G
        self.pop_patch = inst.n.sum(axis=1)  # nᵢ
        self.pop_stratum = inst.n.sum(axis=0)  # Nᵍ
        self.arriving_all = inst.RT @ inst.n  # Σ_{i→j} Rᵢⱼ nᵢᵍ
        r = inst.rates
        self.eta, self.alpha, self.mu, self.theta, self.gamma = r["η"], r["α"], r["μ"], r["θ"], r["γ"]
        self.zeta, self.lam, self.omega, self.psi, self.chi = r["ζ"], r["λ"], r["ω"], r["ψ"], r["χ"]
        self.set_regime(inst.p.copy(), inst.k.copy())
        assert G == len(self.eta)

    def set_regime(self, p_eff, k_eff):
        """update_population_params!: effective populations and norm."""
        inst = self.inst
        self.p_eff, self.k_eff = p_eff, k_eff
        n_eff = (1.0 - p_eff) * inst.n + p_eff * self.arriving_all
        n_patch_eff = n_eff.sum(axis=1)
        n_eff[n_eff == 0.0] = EMPTY_POPULATION
        n_patch_eff[n_patch_eff == 0.0] = EMPTY_POPULATION
        with np.errstate(divide="ignore", invalid="ignore"):
            r = inst.xi * n_patch_eff / inst.area
        r[np.isnan(r)] = 0.0  # ξ = 0 on a zero area: no density effect
        density = 2.0 - np.exp(-r)
        z = k_eff * self.pop_stratum / (density[:, None] * n_eff).sum(axis=0)
        self.n_eff = n_eff
        self.norm = z[None, :] * density[:, None]
        if self.form == "edges":
            # mobilityᵍ[e] = nᵢᵍ((1−pᵍ)δᵢⱼ + pᵍRᵢⱼ), one (target × source)
            # matrix per stratum.
            w = (inst.src == inst.dst)[:, None] * (1.0 - p_eff) + p_eff * inst.ratio[:, None]
            w = inst.n[inst.src] * w
            self.W = [sp.csr_matrix((w[:, g], (inst.dst, inst.src)), shape=(inst.M, inst.M)) for g in range(inst.G)]

    def apply_containment(self, c):
        k0, _phi, delta = c
        inst = self.inst
        p = (1.0 - k0) * inst.p
        k = inst.k_h * k0 + (inst.k_h + inst.k_w) * (1.0 - delta) * (1.0 - k0)
        k[-1] = inst.k_h[-1]  # the last stratum keeps its home contacts
        self.set_regime(p, k)

    def initial_state(self):
        inst = self.inst
        x = np.zeros((11, inst.M, inst.G))
        with np.errstate(divide="ignore", invalid="ignore"):
            a = np.where(inst.n > 0, inst.A0 / inst.n, 0.0)
            s = np.where(inst.n > 0, (inst.n - inst.A0) / inst.n, 0.0)
        x[A], x[S] = a, s
        return x

    def present(self, rho):
        """Σ over arriving edges of ρ·mobility, per target patch and stratum."""
        if self.form == "edges":
            return np.stack([self.W[g] @ rho[:, g] for g in range(self.inst.G)], axis=1)
        x = rho * self.inst.n
        return (1.0 - self.p_eff) * x + self.p_eff * (self.inst.RT @ x)

    def step(self, x, t):
        """Advance x (11 × M × G shares) from day t to t+1, in place."""
        inst = self.inst
        c = inst.containments.get(t)
        if c is not None:
            self.apply_containment(c)

        # compute_P!: infection probability of a susceptible present in j.
        ya = self.present(x[A]) / self.n_eff
        yi = self.present(x[I]) / self.n_eff
        pa = ya @ inst.C.T  # Σ_h C[g,h]·…
        pi = yi @ inst.C.T
        if self.p_form == "pow":  # the reference's formula
            P = 1.0 - (1.0 - inst.beta_a) ** (self.norm * pa) * (1.0 - inst.beta_i) ** (self.norm * pi)
        else:
            if self.p_form == "exp":  # Didymos's rewrite: one exp of a sum of logs
                e = pa * np.log(1.0 - inst.beta_a) + pi * np.log(1.0 - inst.beta_i)
                P = 1.0 - np.exp(self.norm * e)
            else:  # expm1: without the cancellation of 1 − (≈1) for small P
                e = pa * np.log1p(-inst.beta_a) + pi * np.log1p(-inst.beta_i)
                P = -np.expm1(self.norm * e)
        tau = inst.R @ P  # τᵢᵍ = Σ_j Rᵢⱼ Pⱼᵍ
        big_pi = np.minimum((1.0 - self.p_eff) * P + self.p_eff * tau, 1.0)

        if c is not None:
            k0, phi, _ = c
            safe = (x[S] + x[PH] + x[PD] + x[HR] + x[HD] + x[D] + x[R] + x[CH]) * inst.n
            with np.errstate(divide="ignore", invalid="ignore"):
                base = np.clip(safe.sum(axis=1) / self.pop_patch, 0.0, 1.0)
            chi_ = np.where(self.pop_patch > 0, (1.0 - phi) * k0 * base ** inst.sigma, 0.0)[:, None]
            sus = x[S] + x[CH]
            x[CH] = chi_ * sus
        else:
            chi_ = 0.0
            sus = x[S].copy()

        e, a, i, ph, pd, hr, hd = x[E].copy(), x[A].copy(), x[I].copy(), x[PH].copy(), x[PD].copy(), x[HR].copy(), x[HD].copy()
        eta, alpha, mu, theta, gamma = self.eta, self.alpha, self.mu, self.theta, self.gamma
        zeta, lam, omega, psi, chi = self.zeta, self.lam, self.omega, self.psi, self.chi
        x[S] = (1.0 - big_pi) * (1.0 - chi_) * sus
        x[E] = (1.0 - eta) * e + big_pi * (1.0 - chi_) * sus
        x[A] = (1.0 - alpha) * a + eta * e
        x[I] = (1.0 - mu) * i + alpha * a
        x[PH] = (1.0 - lam) * ph + mu * (1.0 - theta) * gamma * i
        x[PD] = (1.0 - zeta) * pd + mu * theta * i
        x[HR] = (1.0 - chi) * hr + lam * (1.0 - omega) * ph
        x[HD] = (1.0 - psi) * hd + lam * omega * ph
        x[R] = x[R] + chi * hr + mu * (1.0 - theta) * (1.0 - gamma) * i
        x[D] = x[D] + zeta * pd + psi * hd

    def observe(self, x, prev):
        """National totals of the three observables on one day."""
        n = self.inst.n
        ni = (x[A] * n * self.alpha).sum()
        nh = (x[I] * n * (self.mu * (1.0 - self.theta) * self.gamma)).sum()
        nd = 0.0 if prev is None else (x[D] * n - prev * n).sum()
        return ni, nh, nd


# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------

def cmd_time(args):
    t0 = time.perf_counter()
    inst = Instance(args.config, args.data_dir)
    load_s = time.perf_counter() - t0
    steps = inst.T - 1
    # Like the Rust bench: a sample repeats the full range for >= 0.5 s;
    # sample 0 is a warm-up. Wall (perf_counter) and on-CPU (thread_time).
    wall, cpu = [], []
    for rep in range(args.repeats + 1):
        w0, c0, days = time.perf_counter(), time.thread_time(), 0
        while days == 0 or time.perf_counter() - w0 < 0.5:
            model = Mmca(inst, args.form, args.p_form)
            x = model.initial_state()
            for t in range(1, inst.T):
                model.step(x, t)
            days += steps
        if rep > 0:
            wall.append((time.perf_counter() - w0) / days)
            cpu.append((time.thread_time() - c0) / days)
    total = float((x[:10].sum(axis=0) * inst.n).sum() + (x[CH] * inst.n).sum())
    ms = lambda v: (statistics.median(v) * 1e3, min(v) * 1e3)  # noqa: E731
    (wm, wn), (cm, cn) = ms(wall), ms(cpu)
    print(
        f"numpy {args.label} form={args.form} M={inst.M} G={inst.G} days={steps} "
        f"containments={len(inst.containments)} repeats={args.repeats} load_s={load_s:.3f} "
        f"median_ms_per_day={wm:.4f} min_ms_per_day={wn:.4f} "
        f"cpu_median_ms_per_day={cm:.4f} cpu_min_ms_per_day={cn:.4f} "
        f"population_check={total:.6f}/{inst.n.sum():.0f}"
    )


def cmd_run(args):
    inst = Instance(args.config, args.data_dir)
    model = Mmca(inst, args.form, args.p_form)
    x = model.initial_state()
    rows = [(inst.date(1), *model.observe(x, None))]
    for t in range(1, inst.T):
        prev_d = x[D].copy()
        model.step(x, t)
        rows.append((inst.date(t + 1), *model.observe(x, prev_d)))
    with open(args.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["date", *OBSERVABLES])
        for d, *v in rows:
            w.writerow([d.isoformat(), *(repr(float(y)) for y in v)])
    print(f"wrote {args.out} ({len(rows)} days, {inst.M} patches, form={args.form}, p-form={args.p_form})")


def cmd_compare(args):
    ours = {}
    for r in read_csv(args.totals):
        for k in OBSERVABLES:
            ours[(r["date"], k)] = float(r[k])
    theirs = {}
    for r in read_csv(args.observables):
        if r["variable"] not in OBSERVABLES:
            continue  # observables the peer does not model (e.g. occupancy)
        key = (r["date"], r["variable"])
        theirs[key] = theirs.get(key, 0.0) + float(r["value"])
    missing = sorted(set(ours) ^ set(theirs))
    if missing:
        print(f"compare: {len(missing)} (date, variable) keys differ, e.g. {missing[:3]}")
        sys.exit(1)
    worst = {k: (0.0, None, 0.0) for k in OBSERVABLES}  # rel, date, abs
    for (d, k), a in ours.items():
        b = theirs[(d, k)]
        scale = max(abs(a), abs(b))
        rel = abs(a - b) / scale if scale > 0 else 0.0
        if rel > worst[k][0]:
            worst[k] = (rel, d, abs(a - b))
    overall = max(v[0] for v in worst.values())
    for k, (rel, d, ab) in worst.items():
        print(f"compare {k}: max_rel_diff={rel:.3e} (on {d}, abs {ab:.3e} persons)")
    print(f"compare max_rel_diff={overall:.3e} over {len(ours)} daily national totals")
    if overall > args.tolerance:
        print(f"compare FAILED: {overall:.3e} > {args.tolerance:.0e}")
        sys.exit(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("time", "run"):
        p = sub.add_parser(name)
        p.add_argument("config")
        p.add_argument("data_dir")
        p.add_argument("--form", choices=("factored", "edges"), default="factored")
        p.add_argument("--p-form", choices=("pow", "exp", "expm1"), default="pow",
                       help="infection probability: the reference's two powers (default), "
                       "Didymos's exp of a sum of logs, or expm1")
        if name == "time":
            p.add_argument("--repeats", type=int, default=5)
            p.add_argument("--label", default="")
        else:
            p.add_argument("--out", required=True)
    p = sub.add_parser("compare")
    p.add_argument("totals")
    p.add_argument("observables")
    p.add_argument("--tolerance", type=float, default=1e-9)
    args = ap.parse_args()
    {"time": cmd_time, "run": cmd_run, "compare": cmd_compare}[args.cmd](args)


if __name__ == "__main__":
    main()
