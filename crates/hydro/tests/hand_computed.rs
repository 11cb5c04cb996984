//! Three days of GR4J computed by hand here, step by step with the paper's
//! formulas (Perrin et al. 2003), independently of the crate's code.
//!
//! X1 = 100, X2 = 1, X3 = 50, X4 = 1 (so UH1 = [1], UH2 = [½, ½]); warm
//! days (10 °C: no snow); stores start at S = 30, R = 25; no spin-up.

use didymos_core::{Calendar, Date};
use didymos_hydro::{Forcing, ForcingTrace, Gr4jModel, Gr4jOptions};

#[test]
fn three_days_by_hand() {
    let (x1, x2, x3) = (100.0f64, 1.0f64, 50.0f64);
    let precip = [10.0, 0.0, 5.0];
    let pet = [2.0, 3.0, 5.0];

    let mut s = 30.0f64;
    let mut r = 25.0f64;
    let mut uh2_pending = 0.0f64; // UH2's second half, due tomorrow
    let mut q = Vec::new();
    let mut aet = Vec::new();
    for d in 0..3 {
        let (p, e) = (precip[d], pet[d]);
        // Interception and the production store.
        let (pn, en) = if p >= e { (p - e, 0.0) } else { (0.0, e - p) };
        let ps =
            x1 * (1.0 - (s / x1).powi(2)) * (pn / x1).tanh() / (1.0 + s / x1 * (pn / x1).tanh());
        let es = s * (2.0 - s / x1) * (en / x1).tanh() / (1.0 + (1.0 - s / x1) * (en / x1).tanh());
        s = s + ps - es;
        let perc = s * (1.0 - (1.0 + (4.0 * s / (9.0 * x1)).powi(4)).powf(-0.25));
        s -= perc;
        let pr = perc + pn - ps;
        // UH1 = [1]: 90 % of today's Pr arrives today; UH2 = [½, ½].
        let q9 = 0.9 * pr;
        let q1 = 0.5 * 0.1 * pr + uh2_pending;
        uh2_pending = 0.5 * 0.1 * pr;
        // Exchange, routing store, direct flow.
        let f = x2 * (r / x3).powf(3.5);
        r = (r + q9 + f).max(0.0);
        let qr = r * (1.0 - (1.0 + (r / x3).powi(4)).powf(-0.25));
        r -= qr;
        let qd = (q1 + f).max(0.0);
        q.push(qr + qd);
        aet.push(p.min(e) + es);
    }

    let start = Date::from_ymd(2001, 7, 1).unwrap();
    let trace = ForcingTrace {
        precip: precip.to_vec(),
        tmean: vec![10.0; 3],
        pet: pet.to_vec(),
    };
    let forcing = Forcing::new(start, 45.0, trace).unwrap();
    let cal = Calendar::new(start, start.add_days(2)).unwrap();
    let opts = Gr4jOptions {
        spin_up_days: 0,
        production_fill: 0.3,
        routing_fill: 0.5,
        ..Default::default()
    };
    let model = Gr4jModel::new("hand", forcing, cal, opts).unwrap();
    let sim = model.simulate(&[x1, x2, x3, 1.0, 0.25, 3.7]).unwrap();
    for d in 0..3 {
        assert!(
            (sim.discharge[d] - q[d]).abs() < 1e-12,
            "day {d}: {} vs {}",
            sim.discharge[d],
            q[d]
        );
        assert!((sim.actual_et[d] - aet[d]).abs() < 1e-12, "day {d}");
    }
    // Rough magnitudes, so a shared misreading of the formulas would show.
    assert!(q[0] > 0.5 && q[0] < 3.0, "{q:?}");
    assert!(q[1] < q[0]);
}
