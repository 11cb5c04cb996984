//! Small numerical helpers: log-sum-exp, effective sample size, systematic
//! resampling. All sums run in index order (deterministic).

/// log Σ exp(xᵢ), −∞ for an empty slice or when every xᵢ is −∞.
pub fn log_sum_exp(xs: &[f64]) -> f64 {
    let m = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY || m.is_nan() {
        return f64::NEG_INFINITY;
    }
    m + xs.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}

/// log of the mean of exp(xᵢ).
pub fn log_mean_exp(xs: &[f64]) -> f64 {
    log_sum_exp(xs) - (xs.len() as f64).ln()
}

/// Effective sample size (Σw)²/Σw² of the weights exp(log_w).
pub fn ess(log_w: &[f64]) -> f64 {
    let m = log_w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return 0.0;
    }
    let (s, s2) = log_w.iter().fold((0.0, 0.0), |(s, s2), x| {
        let w = (x - m).exp();
        (s + w, s2 + w * w)
    });
    s * s / s2
}

/// Systematic resampling: `n` ancestors drawn with probabilities ∝
/// exp(log_w) using the single uniform `u ∈ [0, 1)`. Empty if there is no
/// positive weight (callers check for collapse first).
pub fn systematic(log_w: &[f64], u: f64, n: usize) -> Vec<usize> {
    let m = log_w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = log_w.iter().map(|&x| weight(x - m)).collect();
    let total: f64 = w.iter().sum();
    if w.is_empty() || !(total > 0.0 && total.is_finite()) {
        return Vec::new();
    }
    let mut counts = Vec::new();
    let mut out = Vec::new();
    let mut cum = 0.0;
    let scale = n as f64 / total;
    counts.extend(w.iter().map(|&x| {
        cum += x;
        offspring_end(cum, scale, u, n)
    }));
    ancestors_from_ends(&counts, n, &mut out);
    out
}

/// exp(x) for weights: 0 for −∞, [`didymos_core::math::exp`] otherwise
/// (vectorisable, the same bits on every machine).
#[inline(always)]
pub fn weight(x: f64) -> f64 {
    let e = didymos_core::math::exp(x);
    if x == f64::NEG_INFINITY {
        0.0
    } else {
        e
    }
}

/// Systematic resampling by offspring counts: member j's offspring are the
/// targets k with Cⱼ₋₁ ≤ (k + u)·total/n < Cⱼ (Cⱼ the cumulative weight),
/// i.e. the k in [endⱼ₋₁, endⱼ) with endⱼ = ⌈n·Cⱼ/total − u⌉ clamped to
/// 0..=n. `cum · scale` with `scale = n / total`.
#[inline(always)]
pub fn offspring_end(cum: f64, scale: f64, u: f64, n: usize) -> usize {
    // ⌈x⌉ without a libm call (baseline x86-64 has no rounding
    // instruction): truncate, add one if that fell short. `as` saturates
    // (negative → 0, NaN → 0), and x < 0 gives 0 either way.
    let x = cum * scale - u;
    let t = x as usize;
    let c = t + usize::from((t as f64) < x);
    c.min(n)
}

/// Ancestors from the offspring ends (non-decreasing, see
/// [`offspring_end`]): member j fills `out[ends[j−1]..ends[j]]`. Branch-free:
/// each member writes its index at its first slot (members without
/// offspring write into a spare slot past the end), then a running maximum
/// fills the runs, since ancestors are non-decreasing. Slots past the last
/// end (rounding) go to the last member with offspring.
pub fn ancestors_from_ends(ends: &[usize], n: usize, out: &mut Vec<usize>) {
    out.clear();
    out.resize(n + 1, 0);
    let mut start = 0;
    for (j, &e) in ends.iter().enumerate() {
        let at = if e > start { start } else { n };
        out[at] = j;
        start = e;
    }
    out.truncate(n);
    let mut cur = 0;
    for a in out.iter_mut() {
        cur = cur.max(*a);
        *a = cur;
    }
}

/// Weighted mean of the rows `xs` with weights `exp(log_w)`.
pub fn weighted_mean(xs: &[&[f64]], log_w: &[f64]) -> Vec<f64> {
    let m = log_w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let dim = xs.first().map_or(0, |x| x.len());
    let mut acc = vec![0.0; dim];
    let mut total = 0.0;
    for (x, lw) in xs.iter().zip(log_w) {
        let w = (lw - m).exp();
        if w == 0.0 {
            continue;
        }
        total += w;
        for (a, v) in acc.iter_mut().zip(x.iter()) {
            *a += w * v;
        }
    }
    acc.iter_mut().for_each(|a| *a /= total);
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lse_and_ess() {
        let x = [0.0f64, 0.0, 0.0, 0.0];
        assert!((log_sum_exp(&x) - 4f64.ln()).abs() < 1e-15);
        assert!((ess(&x) - 4.0).abs() < 1e-12);
        assert_eq!(log_sum_exp(&[f64::NEG_INFINITY; 3]), f64::NEG_INFINITY);
        let y = [0.0, f64::NEG_INFINITY, f64::NEG_INFINITY];
        assert!((ess(&y) - 1.0).abs() < 1e-12);
        assert!((log_sum_exp(&[1000.0, 1000.0]) - (1000.0 + 2f64.ln())).abs() < 1e-9);
    }

    #[test]
    fn systematic_counts() {
        let lw = [0.5f64.ln(), 0.25f64.ln(), f64::NEG_INFINITY, 0.25f64.ln()];
        for u in [0.0, 0.3, 0.999_999] {
            let a = systematic(&lw, u, 8);
            let c = |k| a.iter().filter(|&&x| x == k).count();
            assert_eq!((c(0), c(1), c(2), c(3)), (4, 2, 0, 2), "u = {u}: {a:?}");
        }
        let lw = [f64::NEG_INFINITY, 0.0, f64::NEG_INFINITY];
        assert_eq!(systematic(&lw, 0.99, 3), vec![1, 1, 1]);
    }
}
