//! Liu–West online learning of a static parameter, against the exact
//! posterior computed by a grid over the Kalman likelihood.

mod common;

use common::*;
use didymos_assim::{LiuWest, LiuWestOptions};
use didymos_core::{Located, Prior};

#[test]
fn liu_west_learns_a_static_offset() {
    let mut space = LinGauss::default_space();
    let prior = Prior::Normal { mean: 0.0, sd: 2.0 };
    space
        .set_prior("offset", prior.clone(), &Located::default())
        .unwrap();
    let model = LinGauss::new(space);
    let data = simulate(20_151_117, T, 0.9, 1.0, 1.0);
    let (post_mean, post_sd) = offset_posterior(&data, &prior);
    let mut lw = LiuWest::new(&model, &data, 2000, 3, LiuWestOptions::default()).unwrap();
    lw.advance_to(T).unwrap();
    let est = lw.filter().param_mean()[P_OFFSET];
    eprintln!("offset: exact posterior {post_mean:.3} ± {post_sd:.3}; Liu-West {est:.3}");
    assert!(
        (est - post_mean).abs() < 0.5 * post_sd,
        "LW {est} vs {post_mean} ± {post_sd}"
    );

    // Incremental == batch.
    let mut b = LiuWest::new(&model, &data, 2000, 3, LiuWestOptions::default()).unwrap();
    b.advance_to(7).unwrap();
    b.advance_to(T).unwrap();
    assert_eq!(
        b.filter().log_lik().to_bits(),
        lw.filter().log_lik().to_bits()
    );
}
