//! The sequential colour scale of maps: light for low, dark for high
//! (ColorBrewer YlGnBu anchors, linearly interpolated).

use crate::text::coord;

const ANCHORS: [[u8; 3]; 9] = [
    [0xff, 0xff, 0xd9],
    [0xed, 0xf8, 0xb1],
    [0xc7, 0xe9, 0xb4],
    [0x7f, 0xcd, 0xbb],
    [0x41, 0xb6, 0xc4],
    [0x1d, 0x91, 0xc0],
    [0x22, 0x5e, 0xa8],
    [0x25, 0x34, 0x94],
    [0x08, 0x1d, 0x58],
];

/// Fill of areas with no value; mid grey stands apart from the scale's
/// palest yellow.
pub const NO_DATA: &str = "#bdbdbd";

/// Colour for `t` in [0, 1] (clamped) as `#rrggbb`.
pub fn sequential(t: f64) -> String {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let pos = t * (ANCHORS.len() - 1) as f64;
    let i = (pos.floor() as usize).min(ANCHORS.len() - 2);
    let f = pos - i as f64;
    let (a, b) = (ANCHORS[i], ANCHORS[i + 1]);
    let mix = |k: usize| (f64::from(a[k]) + (f64::from(b[k]) - f64::from(a[k])) * f).round() as u8;
    format!("#{:02x}{:02x}{:02x}", mix(0), mix(1), mix(2))
}

/// `<linearGradient>` stops reproducing the scale left to right.
pub fn gradient_stops() -> String {
    let n = ANCHORS.len() - 1;
    (0..=n)
        .map(|i| {
            let [r, g, b] = ANCHORS[i];
            format!(
                "<stop offset=\"{}\" stop-color=\"#{r:02x}{g:02x}{b:02x}\"/>",
                coord(i as f64 / n as f64)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_and_clamping() {
        assert_eq!(sequential(0.0), "#ffffd9");
        assert_eq!(sequential(1.0), "#081d58");
        assert_eq!(sequential(2.0), "#081d58");
        assert_eq!(sequential(f64::NAN), "#ffffd9");
    }
}
