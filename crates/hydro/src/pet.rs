//! Potential evapotranspiration after Oudin et al. (2005), from daily mean
//! air temperature and the extraterrestrial radiation of the day and
//! latitude (FAO-56, Allen et al. 1998, eqs. 21–25).

use std::f64::consts::PI;

/// Solar constant, MJ m⁻² min⁻¹ (FAO-56).
const SOLAR_CONSTANT: f64 = 0.0820;
/// Latent heat of vaporisation λ, MJ kg⁻¹.
const LATENT_HEAT: f64 = 2.45;
/// Density of water ρ, kg m⁻³.
const WATER_DENSITY: f64 = 1000.0;

/// Extraterrestrial radiation Rₑ (MJ m⁻² day⁻¹) on day-of-year `doy`
/// (1…366) at `latitude_deg` (degrees, south negative).
pub fn extraterrestrial_radiation(doy: u32, latitude_deg: f64) -> f64 {
    let phi = latitude_deg.to_radians();
    let j = f64::from(doy);
    // Inverse relative Earth–Sun distance and solar declination.
    let dr = 1.0 + 0.033 * (2.0 * PI * j / 365.0).cos();
    let decl = 0.409 * (2.0 * PI * j / 365.0 - 1.39).sin();
    // Sunset hour angle; the clamp gives polar day (π) and night (0).
    let ws = (-phi.tan() * decl.tan()).clamp(-1.0, 1.0).acos();
    let re = 24.0 * 60.0 / PI
        * SOLAR_CONSTANT
        * dr
        * (ws * phi.sin() * decl.sin() + phi.cos() * decl.cos() * ws.sin());
    re.max(0.0)
}

/// Oudin PET (mm/day): Rₑ/(λρ)·(T + 5)/100 where T + 5 > 0, else 0.
pub fn oudin_pet(tmean_c: f64, doy: u32, latitude_deg: f64) -> f64 {
    if tmean_c + 5.0 <= 0.0 {
        return 0.0;
    }
    let re = extraterrestrial_radiation(doy, latitude_deg);
    // Rₑ/(λρ) is in m/day; × 1000 gives mm/day.
    re / (LATENT_HEAT * WATER_DENSITY) * 1000.0 * (tmean_c + 5.0) / 100.0
}

/// Day of year (1 = 1 January) of a civil date.
pub fn day_of_year(date: didymos_core::Date) -> u32 {
    let (y, _, _) = date.ymd();
    let jan1 = didymos_core::Date::from_ymd(y, 1, 1).expect("1 January always exists");
    (date.days_since(jan1) + 1) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fao56_example_8() {
        // FAO-56 example 8: 20°S, 3 September (J = 246): Rₐ = 32.2 MJ m⁻² d⁻¹.
        let re = extraterrestrial_radiation(246, -20.0);
        assert!((re - 32.2).abs() < 0.05, "{re}");
    }

    #[test]
    fn pet_is_zero_below_minus_five_and_grows_with_temperature() {
        assert_eq!(oudin_pet(-6.0, 180, 45.0), 0.0);
        let a = oudin_pet(10.0, 180, 45.0);
        let b = oudin_pet(20.0, 180, 45.0);
        assert!(a > 0.0 && b > a);
        // Mid-latitude summer: a few mm/day.
        assert!((3.0..7.0).contains(&b), "{b}");
        let d = didymos_core::Date::from_ymd(2000, 3, 1).unwrap();
        assert_eq!(day_of_year(d), 61);
    }
}
