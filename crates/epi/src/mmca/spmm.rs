//! The kernel's sparse products over the commuting network, for rows of
//! `w` values (a batch of members times the mobile strata).

use super::network::Csr;

/// y[r][..] = Σ_{(c, v) in row r} v · x[c][..], rows of width `w`.
///
/// Accumulates in registers (a fixed-size local array) rather than in `y`:
/// accumulating in memory makes every edge wait on the previous edge's store
/// (store-to-load forwarding), which dominated the kernel for narrow rows.
/// The summation order is fixed by the CSR layout alone.
pub(super) fn spmm(a: &Csr, x: &[f64], y: &mut [f64], w: usize) {
    match w {
        1 => spmm_fixed::<1>(a, x, y),
        2 => spmm_fixed::<2>(a, x, y),
        3 => spmm_fixed::<3>(a, x, y),
        4 => spmm_fixed::<4>(a, x, y),
        6 => spmm_fixed::<6>(a, x, y),
        8 => spmm_fixed::<8>(a, x, y),
        _ => spmm_wide(a, x, y, w),
    }
}

fn spmm_fixed<const W: usize>(a: &Csr, x: &[f64], y: &mut [f64]) {
    for (r, yr) in y.chunks_exact_mut(W).enumerate() {
        let (cols, vals) = a.row(r);
        // Four partial sums (edges k mod 4), added pairwise at the end: one
        // running sum makes every edge wait for the previous addition, and
        // rows average ~40 edges. The order is fixed, so results do not
        // depend on threads or batch size.
        let mut acc = [[0.0; W]; 4];
        let mut cols4 = cols.chunks_exact(4);
        let mut vals4 = vals.chunks_exact(4);
        for (c4, v4) in (&mut cols4).zip(&mut vals4) {
            for lane in 0..4 {
                let xc = &x[c4[lane] as usize * W..][..W];
                for k in 0..W {
                    acc[lane][k] += v4[lane] * xc[k];
                }
            }
        }
        for (lane, (&c, &v)) in cols4.remainder().iter().zip(vals4.remainder()).enumerate() {
            let xc = &x[c as usize * W..][..W];
            for k in 0..W {
                acc[lane][k] += v * xc[k];
            }
        }
        for k in 0..W {
            yr[k] = (acc[0][k] + acc[1][k]) + (acc[2][k] + acc[3][k]);
        }
    }
}

fn spmm_wide(a: &Csr, x: &[f64], y: &mut [f64], w: usize) {
    const L: usize = 8;
    for (r, yr) in y.chunks_exact_mut(w).enumerate() {
        let (cols, vals) = a.row(r);
        let mut k0 = 0;
        while k0 + L <= w {
            let mut acc = [0.0; L];
            for (&c, &v) in cols.iter().zip(vals) {
                let xc = &x[c as usize * w + k0..][..L];
                for k in 0..L {
                    acc[k] += v * xc[k];
                }
            }
            yr[k0..k0 + L].copy_from_slice(&acc);
            k0 += L;
        }
        if k0 < w {
            let tail = &mut yr[k0..];
            tail.fill(0.0);
            for (&c, &v) in cols.iter().zip(vals) {
                let xc = &x[c as usize * w + k0..(c as usize + 1) * w];
                for (yk, xk) in tail.iter_mut().zip(xc) {
                    *yk += v * xk;
                }
            }
        }
    }
}
