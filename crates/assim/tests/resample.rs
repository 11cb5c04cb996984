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
