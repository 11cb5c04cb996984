//! GR4J unit hydrographs: ordinates ≥ 0, sum 1, and zero past the time base.

use didymos_hydro::gr4j::{sh1, sh2, UnitHydrographs};

#[test]
fn ordinates_sum_to_one() {
    for x4 in [0.5, 0.73, 1.0, 1.3, 2.0, 2.5, 3.7, 6.01, 9.99, 10.0] {
        let uh = UnitHydrographs::new(x4);
        let (s1, s2): (f64, f64) = (uh.uh1.iter().sum(), uh.uh2.iter().sum());
        assert!((s1 - 1.0).abs() < 1e-12, "UH1 X4={x4}: {s1}");
        assert!((s2 - 1.0).abs() < 1e-12, "UH2 X4={x4}: {s2}");
        assert!(uh.uh1.iter().chain(&uh.uh2).all(|o| *o >= 0.0));
        let n1 = x4.ceil() as usize;
        let n2 = (2.0 * x4).ceil() as usize;
        assert!(uh.uh1[n1..].iter().all(|o| *o == 0.0), "UH1 X4={x4}");
        assert!(uh.uh2[n2..].iter().all(|o| *o == 0.0), "UH2 X4={x4}");
        assert!(uh.uh1[n1 - 1] > 0.0 && uh.uh2[n2 - 1] > 0.0);
    }
}

#[test]
fn s_curves_match_the_formulas() {
    // X4 = 2.5: SH1(1) = (1/2.5)^2.5; SH2(3) = 1 − ½(2 − 3/2.5)^2.5.
    assert!((sh1(1.0, 2.5) - 0.4f64.powf(2.5)).abs() < 1e-15);
    assert!((sh2(3.0, 2.5) - (1.0 - 0.5 * 0.8f64.powf(2.5))).abs() < 1e-15);
    assert_eq!(sh1(2.5, 2.5), 1.0);
    assert_eq!(sh2(2.5, 2.5), 0.5);
    assert_eq!(sh2(5.0, 2.5), 1.0);
    // X4 < 1: everything of UH1 leaves on the first day.
    let uh = UnitHydrographs::new(0.5);
    assert_eq!(uh.uh1[0], 1.0);
    assert_eq!(uh.uh2[0], 1.0);
}
