//! `Ensemble::resample` copies parameters, states and observables while
//! each member keeps its own random stream.

mod common;

use common::*;
use didymos_core::{Ensemble, RunOptions};

#[test]
fn resample_copies_members_but_not_streams() {
    let model = LinGauss::new(LinGauss::default_space());
    let params = vec![
        vec![0.9, 0.0, 1.0],
        vec![0.5, 1.0, 2.0],
        vec![0.7, 2.0, 1.5],
    ];
    let mut e = Ensemble::with_params(&model, params.clone(), 9).unwrap();
    let mut f = Ensemble::with_params(&model, params, 9).unwrap();
    e.step(&RunOptions::default());
    f.step(&RunOptions::default());
    e.resample(&[2, 2, 0]);
    for (i, a) in [2, 2, 0].into_iter().enumerate() {
        assert_eq!(e.params(i), f.params(a));
        assert_eq!(e.state(i), f.state(a));
        assert_eq!(e.observation(i), f.observation(a));
    }
    // Members 0 and 1 start equal but draw different process noise.
    e.step(&RunOptions::default());
    assert_ne!(e.state(0), e.state(1));
    // Mutable access reaches the members.
    e.params_mut(0)[P_RHO] = 0.1;
    assert_eq!(e.params(0)[P_RHO], 0.1);
    e.state_mut(1).fill(0.0);
    assert!(e.state(1).iter().all(|&x| x == 0.0));
}

/// The offspring-count form of systematic resampling gives the ancestors
/// of the textbook two-pointer loop (up to rounding at exact ties), never
/// a zero-weight member, and exactly n of them.
#[test]
fn systematic_matches_two_pointer_reference() {
    use didymos_assim::stats::systematic;
    use didymos_core::rng::member_rng;
    fn reference(w: &[f64], u: f64, n: usize) -> Vec<usize> {
        let total: f64 = w.iter().sum();
        let (mut cum, mut j, mut out) = (0.0, 0, Vec::with_capacity(n));
        for k in 0..n {
            let target = (u + k as f64) / n as f64 * total;
            while j < w.len() - 1 && cum + w[j] <= target {
                cum += w[j];
                j += 1;
            }
            out.push(j);
        }
        out
    }
    let (mut same, mut all) = (0usize, 0usize);
    for case in 0..200u64 {
        let mut r = member_rng(5, case, 9);
        let len = 1 + (case as usize * 37) % 3000;
        let n = if case % 3 == 0 {
            len
        } else {
            1 + (case as usize * 11) % 2000
        };
        let log_w: Vec<f64> = (0..len)
            .map(|i| {
                if i % 7 == 3 {
                    f64::NEG_INFINITY
                } else {
                    3.0 * r.normal()
                }
            })
            .collect();
        let u = r.uniform();
        let got = systematic(&log_w, u, n);
        assert_eq!(got.len(), n);
        assert!(got.windows(2).all(|p| p[0] <= p[1]));
        assert!(
            got.iter().all(|&a| log_w[a].is_finite()),
            "zero-weight ancestor"
        );
        let m = log_w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = log_w.iter().map(|x| (x - m).exp()).collect();
        let want = reference(&w, u, n);
        same += got.iter().zip(&want).filter(|(a, b)| a == b).count();
        all += n;
    }
    assert!(same as f64 >= 0.9999 * all as f64, "{same} of {all} agree");
}
