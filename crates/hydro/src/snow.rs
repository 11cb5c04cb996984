//! CemaNeige, single layer (Valéry, Andréassian & Perrin 2014): a
//! degree-day snow routine whose melt waits for the pack's thermal state
//! to reach 0 °C.
//!
//! - solid fraction of precipitation: given by the forcing (airGR's rule:
//!   Hydrotel from Tmin/Tmax below 1,500 m, see [`crate::forcing`]), or by
//!   the USACE rule: 1 at T ≤ −1 °C, 0 at T ≥ 3 °C, linear between;
//! - thermal state eTG ← min(0, CTG·eTG + (1 − CTG)·T);
//! - potential melt = min(G, Kf·(T − 0)) when eTG = 0 and T > 0;
//! - melt = (0.9·min(G/Gthr, 1) + 0.1) · potential melt, where Gthr is 0.9 ×
//!   the mean annual solid precipitation (computed by the model from its
//!   forcing record).

/// All-snow and all-rain temperatures (°C).
const T_SNOW: f64 = -1.0;
const T_RAIN: f64 = 3.0;
/// Melt starts above this temperature (°C).
const T_MELT: f64 = 0.0;
/// Share of the potential melt that happens even with a thin pack.
const MIN_SPEED: f64 = 0.1;
/// Gthr as a share of the mean annual solid precipitation.
pub const GTHRESHOLD_FACTOR: f64 = 0.9;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SnowParams {
    /// Thermal-state weighting coefficient CTG in [0, 1].
    pub ctg: f64,
    /// Degree-day melt factor Kf, mm °C⁻¹ day⁻¹.
    pub kf: f64,
    /// Melt threshold Gthr (mm): below it melt slows towards `MIN_SPEED`.
    pub gthreshold: f64,
}

/// One day of the snow routine.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SnowDay {
    pub solid: f64,
    pub liquid: f64,
    pub melt: f64,
}

impl SnowDay {
    /// Water handed on to the rainfall–runoff model (mm).
    pub fn outflow(&self) -> f64 {
        self.liquid + self.melt
    }
}

/// Fraction of precipitation falling as snow at daily mean temperature `t`.
pub fn solid_fraction(t: f64) -> f64 {
    ((T_RAIN - t) / (T_RAIN - T_SNOW)).clamp(0.0, 1.0)
}

/// Advance the pack `g` (mm SWE) and thermal state `etg` (°C, ≤ 0) by one
/// day of precipitation `p` (mm) at mean temperature `t` (°C).
pub fn snow_day(sp: &SnowParams, g: &mut f64, etg: &mut f64, p: f64, t: f64) -> SnowDay {
    snow_day_with_fraction(sp, g, etg, p, t, solid_fraction(t))
}

/// As [`snow_day`], with the share of `p` falling as snow given.
pub fn snow_day_with_fraction(
    sp: &SnowParams,
    g: &mut f64,
    etg: &mut f64,
    p: f64,
    t: f64,
    fraction: f64,
) -> SnowDay {
    let solid = p * fraction;
    let liquid = p - solid;
    *g += solid;
    *etg = (sp.ctg * *etg + (1.0 - sp.ctg) * t).min(0.0);
    let potential = if *etg == 0.0 && t > T_MELT {
        (sp.kf * (t - T_MELT)).min(*g)
    } else {
        0.0
    };
    let ratio = if sp.gthreshold > 0.0 {
        (*g / sp.gthreshold).min(1.0)
    } else {
        1.0
    };
    let melt = ((1.0 - MIN_SPEED) * ratio + MIN_SPEED) * potential;
    *g -= melt;
    SnowDay {
        solid,
        liquid,
        melt,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_and_melt() {
        assert_eq!(solid_fraction(-2.0), 1.0);
        assert_eq!(solid_fraction(5.0), 0.0);
        assert!((solid_fraction(1.0) - 0.5).abs() < 1e-15);
        let sp = SnowParams {
            ctg: 0.5,
            kf: 4.0,
            gthreshold: 100.0,
        };
        let (mut g, mut etg) = (0.0, 0.0);
        let d = snow_day(&sp, &mut g, &mut etg, 10.0, -5.0);
        assert_eq!((d.solid, d.melt, g, etg), (10.0, 0.0, 10.0, -2.5));
        // Warm day, but the pack is still cold: eTG = 0.5·(−2.5) + 0.5·2 < 0.
        let d = snow_day(&sp, &mut g, &mut etg, 0.0, 2.0);
        assert_eq!(d.melt, 0.0);
        // eTG reaches 0: potential 4·6 = 24 capped at G = 10; ratio 0.1.
        let d = snow_day(&sp, &mut g, &mut etg, 0.0, 6.0);
        assert_eq!(etg, 0.0);
        assert!((d.melt - (0.9 * 0.1 + 0.1) * 10.0).abs() < 1e-12);
        assert!((g - 8.1).abs() < 1e-12);
    }
}
