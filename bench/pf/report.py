#!/usr/bin/env python3
"""Table and checks for bench/pf/run.sh (standard library only).

Reads the Rust bench's CSV (pf_lg_rust.csv) and the `particles` peer's
(pf_lg_particles.csv, which also carries the exact Kalman log-likelihood per
T) and prints, per (T, N): ns per particle-step of Didymos's ParticleFilter
on 1 and 2 threads (the model's batch size, and the first extra batch size
timed with PF_BATCH if any), of `particles`, the speed ratio particles / Didymos (1 thread), and whether
each log-likelihood agrees with the exact Kalman value within Monte-Carlo
error.

Agreement: the log of an unbiased likelihood estimate is biased low by about
sigma^2/2, where sigma is its Monte-Carlo sd. sigma is pooled over the
Didymos and `particles` runs at the same (T, N) (same algorithm, so the same
spread; 3 to 5 runs each are too few to trust one sd alone). A mean passes
when |mean - exact| <= 3 sigma / sqrt(runs) + sigma^2 / 2. Exit status 1 if
any check fails.
"""

import csv
import math
import sys

TARGET = 30.0


def load(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def runs_of(row):
    return [float(x) for x in row["loglik_runs"].split(";") if x]


def main():
    rust_path, py_path = sys.argv[1], sys.argv[2]
    md = "--markdown" in sys.argv
    rows = load(rust_path) + load(py_path)
    exact = {int(r["T"]): float(r["loglik_mean"]) for r in rows if r["impl"] == "kalman"}

    def pick(impl, t, n, threads=None, batch=None):
        for r in rows:
            if (r["impl"] == impl and int(r["T"]) == t and int(r["N"]) == n
                    and (threads is None or int(r["threads"]) == threads)
                    and (batch is None or r["batch"] == batch)):
                return r
        return None

    keys = sorted({(int(r["T"]), int(r["N"])) for r in rows if r["impl"] == "didymos"})
    extra = sorted({r["batch"] for r in rows if r["impl"] == "didymos" and r["batch"] != "model"})
    xb = extra[0] if extra else None
    header = ["T", "N", "didymos 1 thr", "didymos 2 thr",
              f"batch {xb} 1 thr", f"batch {xb} 2 thr", "particles",
              "ratio (1 thr)", "ratio (2 thr)", f"ratio (batch {xb}, best)",
              "loglik didymos", "loglik particles", "Kalman",
              "ll check didymos / particles (|mean − Kalman| ≤ tol)"]
    out = []
    failed = False
    for t, n in keys:
        d1 = pick("didymos", t, n, 1, "model")
        d2 = pick("didymos", t, n, 2, "model")
        b1 = pick("didymos", t, n, 1, xb) if xb else None
        b2 = pick("didymos", t, n, 2, xb) if xb else None
        pp = pick("particles", t, n)
        if d1 is None or pp is None:
            continue
        ns = lambda r: float(r["ns_per_pstep"]) if r else float("nan")
        ratio = lambda r: ns(pp) / ns(r) if r else float("nan")
        pooled = runs_of(d1) + runs_of(pp)
        # pooled within-group sd
        ss, dof = 0.0, 0
        for g in (runs_of(d1), runs_of(pp)):
            if len(g) > 1:
                m = sum(g) / len(g)
                ss += sum((x - m) ** 2 for x in g)
                dof += len(g) - 1
        sigma = math.sqrt(ss / dof) if dof else float("nan")
        ex = exact.get(t, float("nan"))
        verdicts = []
        for name, r in (("didymos", d1), ("particles", pp)):
            g = runs_of(r)
            m = sum(g) / len(g)
            tol = 3 * sigma / math.sqrt(len(g)) + sigma**2 / 2
            ok = abs(m - ex) <= tol
            failed |= not ok
            verdicts.append(f"{'ok' if ok else 'FAIL'} ({abs(m - ex):.3f} {'≤' if ok else '>'} {tol:.3f})")
        fmt_ll = lambda r: f"{float(r['loglik_mean']):.3f} ± {float(r['loglik_sd']):.3f}"
        out.append([
            str(t), str(n), f"{ns(d1):.1f}", f"{ns(d2):.1f}", f"{ns(b1):.1f}", f"{ns(b2):.1f}",
            f"{ns(pp):.1f}", f"{ratio(d1):.2f}×", f"{ratio(d2):.2f}×",
            f"{max(ratio(b1), ratio(b2)):.2f}×" if xb else "nan×",
            fmt_ll(d1), fmt_ll(pp), f"{ex:.3f}", " / ".join(verdicts),
        ])
    if md:
        header = [h.replace("|", "\\|") for h in header]
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---" for _ in header) + "|")
        for r in out:
            print("| " + " | ".join(r) + " |")
    else:
        w = [max(len(h), *(len(r[i]) for r in out)) for i, h in enumerate(header)]
        print("  ".join(h.rjust(w[i]) for i, h in enumerate(header)))
        for r in out:
            print("  ".join(c.rjust(w[i]) for i, c in enumerate(r)))
    print(f"\nns per particle-step (median wall time / (N·T)); ratio = particles ÷ didymos; "
          f"target ≥ {TARGET:.0f}×. Log-likelihoods: mean ± sd over runs (one seed each).")
    best = [float(r[7].rstrip("×")) for r in out]
    if best:
        print(f"ParticleFilter (1 thread) vs particles: {min(best):.2f}× to {max(best):.2f}× "
              f"— {'meets' if min(best) >= TARGET else 'MISSES'} the {TARGET:.0f}× target")
    if failed:
        print("log-likelihood check FAILED", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
