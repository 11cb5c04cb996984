#!/usr/bin/env python3
"""The Python `particles` peer of Didymos's bootstrap particle filter.

Same 4-d linear-Gaussian model as ``crates/assim/tests/common/mod.rs`` and
``crates/assim/benches/pf_linear_gaussian.rs``:

    x_1 ~ N(m0, I4),  m0 = (1, -1, 0.5, 0)
    x_{t+1} = A x_t + e,  A = 0.9 blockdiag(R(pi/6), R(pi/6)),  e ~ N(0, 0.25 I4)
    y_t = C x_t + n,  C = [[1, 0, 0.5, 0], [0, 0.5, 0, 1]],  n ~ N(0, I2)

written as a ``particles.state_space_models.StateSpaceModel`` with
``particles.distributions.MvNormal`` laws, filtered with
``particles.SMC(fk=Bootstrap(ssm, data), N=N, resampling='systematic',
ESSrmin=0.5)`` on the SAME data, read from the CSV that the Rust bench
writes (``target/pf_lg_data.csv``: ``t,y1,y2``; the T = 20 runs use its
first 20 rows).

``particles`` resamples at the start of step t when the ESS after step t-1
fell below ESSrmin * N; Didymos resamples right after weighting day t when
ESS < 0.5 N. Both are the same decision on the same weights.

Timed per run: constructing ``SMC`` and ``pf.run()`` (the analogue of
``ParticleFilter::new(..).advance_to(T)``), one numpy seed per run. Run with
OMP_NUM_THREADS=1 etc. (``run.sh`` sets them) so numpy/BLAS stay on one
thread. Also computes the exact log-likelihood with a plain numpy Kalman
filter (and, as a cross-check, ``particles.kalman.Kalman``).

Writes a CSV with the same columns as the Rust bench's ``pf_lg_rust.csv``
plus one ``kalman`` row per T.
"""

import argparse
import csv
import sys
import time

import numpy as np

import particles
from particles import distributions as dists
from particles import kalman as pkalman
from particles import state_space_models as ssms

THETA = np.pi / 6.0
RHO = 0.9
Q_SD = 0.5
M0 = np.array([1.0, -1.0, 0.5, 0.0])
C = np.array([[1.0, 0.0, 0.5, 0.0], [0.0, 0.5, 0.0, 1.0]])
R_SD = 1.0


def a_matrix(rho=RHO, theta=THETA):
    s, c = np.sin(theta), np.cos(theta)
    r = np.array([[c, -s], [s, c]])
    a = np.zeros((4, 4))
    a[:2, :2] = r
    a[2:, 2:] = r
    return rho * a


A = a_matrix()
COV_X = Q_SD**2 * np.eye(4)
COV_Y = R_SD**2 * np.eye(2)
COV_0 = np.eye(4)


class LinGauss4(ssms.StateSpaceModel):
    """x_t in R^4, y_t in R^2; rows of xp / x are particles."""

    def PX0(self):
        return dists.MvNormal(loc=M0, cov=COV_0)

    def PX(self, t, xp):
        return dists.MvNormal(loc=xp @ A.T, cov=COV_X)

    def PY(self, t, xp, x):
        return dists.MvNormal(loc=x @ C.T, cov=COV_Y)


def kalman_loglik(y):
    """Plain Kalman filter: log p(y_1..y_T)."""
    m, p = M0.copy(), COV_0.copy()
    ll = 0.0
    for t, yt in enumerate(y):
        if t > 0:
            m = A @ m
            p = A @ p @ A.T + COV_X
        s = C @ p @ C.T + COV_Y
        v = yt - C @ m
        sign, logdet = np.linalg.slogdet(s)
        assert sign > 0
        ll += -0.5 * (len(yt) * np.log(2 * np.pi) + logdet + v @ np.linalg.solve(s, v))
        k = p @ C.T @ np.linalg.inv(s)
        m = m + k @ v
        p = p - k @ C @ p
    return ll


def particles_kalman_loglik(y):
    ssm = pkalman.MVLinearGauss(F=A, G=C, covX=COV_X, covY=COV_Y, mu0=M0, cov0=COV_0)
    kf = pkalman.Kalman(ssm=ssm, data=list(y))
    kf.filter()
    return float(np.sum(kf.logpyt))


def run_once(data, n, seed):
    np.random.seed(seed)
    t0 = time.perf_counter()
    fk = ssms.Bootstrap(ssm=LinGauss4(), data=data)
    pf = particles.SMC(fk=fk, N=n, resampling="systematic", ESSrmin=0.5)
    pf.run()
    dt = time.perf_counter() - t0
    n_rs = int(np.sum(pf.summaries.rs_flags)) if pf.summaries is not None else -1
    return dt, float(pf.logLt), n_rs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="target/pf_lg_data.csv")
    ap.add_argument("--out", default="target/pf_lg_particles.csv")
    ap.add_argument("--ns", default="1000,10000,100000")
    ap.add_argument("--ts", default="20,200")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument(
        "--runs-large",
        type=int,
        default=3,
        help="runs when N*T >= 5e6 (N = 100000, T = 200 takes tens of seconds a run)",
    )
    a = ap.parse_args()

    with open(a.data) as f:
        rows = list(csv.DictReader(f))
    y_all = np.array([[float(r["y1"]), float(r["y2"])] for r in rows])
    ns = [int(x) for x in a.ns.split(",") if x]
    ts = [int(x) for x in a.ts.split(",") if x]
    if max(ts) > len(y_all):
        sys.exit(f"{a.data} has {len(y_all)} rows, need {max(ts)}")

    out = [
        "impl,T,N,threads,batch,runs,median_s,min_s,ns_per_pstep,loglik_mean,"
        "loglik_sd,loglik_runs,resample_threshold,resampled_days"
    ]
    print(
        f"# particles {getattr(particles, '__version__', '?')}, numpy {np.__version__}; "
        "SMC(Bootstrap, resampling='systematic', ESSrmin=0.5)"
    )
    print(f"{'T':>5} {'N':>7} {'runs':>4} {'median_s':>10} {'ns/pstep':>10} "
          f"{'loglik_mean':>11} {'ll_sd':>8} {'resamp':>7}")
    for t in ts:
        y = y_all[:t]
        exact = kalman_loglik(y)
        check = particles_kalman_loglik(y)
        assert abs(exact - check) < 1e-8, (exact, check)
        print(f"# T = {t}: exact Kalman log-likelihood {exact:.6f} "
              f"(particles.kalman.Kalman: {check:.6f})")
        out.append(f"kalman,{t},0,1,,1,0,0,0,{exact:.6f},0,{exact:.6f},,0")
        for n in ns:
            runs = a.runs_large if n * t >= 5_000_000 else a.runs
            runs = max(runs, 1)
            res = [run_once(y, n, seed) for seed in range(1, runs + 1)]
            secs = [r[0] for r in res]
            lls = np.array([r[1] for r in res])
            med = float(np.median(secs))
            nsps = med * 1e9 / (n * t)
            sd = float(np.std(lls, ddof=1)) if runs > 1 else 0.0
            n_rs = res[-1][2]
            print(f"{t:>5} {n:>7} {runs:>4} {med:>10.4f} {nsps:>10.1f} "
                  f"{lls.mean():>11.4f} {sd:>8.4f} {n_rs:>3}/{t}", flush=True)
            out.append(
                f"particles,{t},{n},1,,{runs},{med:.6f},{min(secs):.6f},{nsps:.3f},"
                f"{lls.mean():.6f},{sd:.6f},{';'.join(f'{x:.6f}' for x in lls)},0.5,{n_rs}"
            )
    with open(a.out, "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"wrote {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
