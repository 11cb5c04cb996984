//! GR4J (Perrin, Michel & Andréassian 2003): a production store (capacity
//! X1), groundwater exchange (X2), a routing store (capacity X3) and two
//! unit hydrographs with time base X4 (UH1) and 2·X4 (UH2).
//!
//! One day, with liquid input P and potential evapotranspiration E:
//! - interception: Pn = max(P − E, 0), En = max(E − P, 0);
//! - production store S: Ps = X1(1 − (S/X1)²)·tanh(Pn/X1) / (1 + S/X1·tanh(Pn/X1)),
//!   Es = S(2 − S/X1)·tanh(En/X1) / (1 + (1 − S/X1)·tanh(En/X1)),
//!   S ← S + Ps − Es, percolation Perc = S(1 − (1 + (4S/(9X1))⁴)^(−1/4));
//! - Pr = Perc + Pn − Ps, 90 % through UH1, 10 % through UH2;
//! - exchange F = X2·(R/X3)^(7/2); R ← max(0, R + Q9 + F),
//!   Qr = R(1 − (1 + (R/X3)⁴)^(−1/4)); Qd = max(0, Q1 + F); Q = Qr + Qd.
//!
//! The unit hydrographs come from the S-curves SH1(t) = (t/X4)^(5/2) on
//! [0, X4] and SH2(t) = ½(t/X4)^(5/2) on [0, X4], 1 − ½(2 − t/X4)^(5/2) on
//! [X4, 2X4]; ordinate j is SH(j) − SH(j − 1).
//!
//! The convolution buffers hold water already in the unit hydrographs:
//! slot k leaves k days from now. Keeping them as state makes the water
//! balance exact: P + exchange = AET + Q + Δ(S + R + buffers).

/// Largest X4 (days) the fixed-size buffers hold.
pub const X4_MAX: f64 = 10.0;
/// Smallest X4 (days).
pub const X4_MIN: f64 = 0.5;
/// UH1 has ⌈X4⌉ ordinates, UH2 ⌈2·X4⌉.
pub const UH1_SLOTS: usize = X4_MAX as usize;
pub const UH2_SLOTS: usize = 2 * X4_MAX as usize;
const EXPONENT: f64 = 2.5;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gr4jParams {
    /// Production store capacity (mm).
    pub x1: f64,
    /// Groundwater exchange coefficient (mm/day; negative = loss).
    pub x2: f64,
    /// Routing store capacity (mm).
    pub x3: f64,
    /// Unit-hydrograph time base (days), in [`X4_MIN`, `X4_MAX`].
    pub x4: f64,
}

/// S-curve of UH1 at time `t` (days).
pub fn sh1(t: f64, x4: f64) -> f64 {
    if t <= 0.0 {
        0.0
    } else if t < x4 {
        (t / x4).powf(EXPONENT)
    } else {
        1.0
    }
}

/// S-curve of UH2 at time `t` (days).
pub fn sh2(t: f64, x4: f64) -> f64 {
    if t <= 0.0 {
        0.0
    } else if t <= x4 {
        0.5 * (t / x4).powf(EXPONENT)
    } else if t < 2.0 * x4 {
        1.0 - 0.5 * (2.0 - t / x4).powf(EXPONENT)
    } else {
        1.0
    }
}

/// The ordinates of both unit hydrographs for one X4 (zero beyond their
/// time base).
#[derive(Debug, Clone, PartialEq)]
pub struct UnitHydrographs {
    pub x4: f64,
    pub uh1: [f64; UH1_SLOTS],
    pub uh2: [f64; UH2_SLOTS],
}

impl UnitHydrographs {
    /// `x4` is clamped to [`X4_MIN`, `X4_MAX`].
    pub fn new(x4: f64) -> Self {
        let x4 = x4.clamp(X4_MIN, X4_MAX);
        let mut uh1 = [0.0; UH1_SLOTS];
        let mut uh2 = [0.0; UH2_SLOTS];
        for (j, o) in uh1.iter_mut().enumerate() {
            let t = (j + 1) as f64;
            *o = sh1(t, x4) - sh1(t - 1.0, x4);
        }
        for (j, o) in uh2.iter_mut().enumerate() {
            let t = (j + 1) as f64;
            *o = sh2(t, x4) - sh2(t - 1.0, x4);
        }
        UnitHydrographs { x4, uh1, uh2 }
    }
}

/// The stores of one member (mm).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gr4jStores {
    pub production: f64,
    pub routing: f64,
    pub uh1: [f64; UH1_SLOTS],
    pub uh2: [f64; UH2_SLOTS],
}

impl Gr4jStores {
    /// Stores filled to the given shares of X1 and X3, buffers empty.
    pub fn filled(p: &Gr4jParams, production_share: f64, routing_share: f64) -> Self {
        Gr4jStores {
            production: production_share * p.x1,
            routing: routing_share * p.x3,
            uh1: [0.0; UH1_SLOTS],
            uh2: [0.0; UH2_SLOTS],
        }
    }

    /// Water held in all stores and buffers (mm).
    pub fn total(&self) -> f64 {
        self.production + self.routing + self.uh1.iter().sum::<f64>() + self.uh2.iter().sum::<f64>()
    }
}

/// One day's fluxes (mm/day).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Gr4jDay {
    /// Actual evapotranspiration: interception plus store evaporation Es.
    pub actual_et: f64,
    pub percolation: f64,
    /// Net groundwater exchange actually applied (gain > 0, loss < 0),
    /// after the routing store and direct flow were kept ≥ 0.
    pub exchange: f64,
    pub routed: f64,
    pub direct: f64,
    pub discharge: f64,
}

/// Advance `s` by one day of liquid input `p` and PET `e` (mm/day).
pub fn gr4j_day(
    par: &Gr4jParams,
    uh: &UnitHydrographs,
    s: &mut Gr4jStores,
    p: f64,
    e: f64,
) -> Gr4jDay {
    let x1 = par.x1;
    let (pn, en) = if p >= e { (p - e, 0.0) } else { (0.0, e - p) };
    let intercepted = p - pn;
    let ratio = s.production / x1;
    let ps = if pn > 0.0 {
        let t = (pn / x1).tanh();
        x1 * (1.0 - ratio * ratio) * t / (1.0 + ratio * t)
    } else {
        0.0
    };
    let es = if en > 0.0 {
        let t = (en / x1).tanh();
        s.production * (2.0 - ratio) * t / (1.0 + (1.0 - ratio) * t)
    } else {
        0.0
    };
    s.production += ps - es;
    let q = (4.0 / 9.0 * s.production / x1).powi(4);
    let perc = s.production * (1.0 - (1.0 + q).powf(-0.25));
    s.production -= perc;
    let pr = perc + (pn - ps);

    let q9 = convolve(&mut s.uh1, &uh.uh1, 0.9 * pr);
    let q1 = convolve(&mut s.uh2, &uh.uh2, 0.1 * pr);

    let f = par.x2 * (s.routing / par.x3).powf(3.5);
    let before = s.routing + q9;
    s.routing = (before + f).max(0.0);
    let gained_routing = s.routing - before;
    let r4 = (s.routing / par.x3).powi(4);
    let routed = s.routing * (1.0 - (1.0 + r4).powf(-0.25));
    s.routing -= routed;
    let direct = (q1 + f).max(0.0);
    Gr4jDay {
        actual_et: intercepted + es,
        percolation: perc,
        exchange: gained_routing + (direct - q1),
        routed,
        direct,
        discharge: routed + direct,
    }
}

/// Add `input` spread by `ordinates` to `buffer`, release slot 0 and shift.
fn convolve<const N: usize>(buffer: &mut [f64; N], ordinates: &[f64; N], input: f64) -> f64 {
    for (b, o) in buffer.iter_mut().zip(ordinates) {
        *b += o * input;
    }
    let out = buffer[0];
    buffer.copy_within(1.., 0);
    buffer[N - 1] = 0.0;
    out
}
