//! The built-in scenarios. Their TOML is the documentation of the scenario
//! format: `presets/normal.toml` shows and explains every key.

/// `normal`: ordinary reporting, no regime change.
pub const NORMAL: &str = include_str!("../presets/normal.toml");
/// `critical`: normal reporting plus a mobility shock, a transmission
/// surge, a new variant and a reporting outage followed by a dump.
pub const CRITICAL: &str = include_str!("../presets/critical.toml");

pub const NAMES: [&str; 2] = ["normal", "critical"];

/// The preset's TOML, if `name` is one.
pub fn preset(name: &str) -> Option<&'static str> {
    match name {
        "normal" => Some(NORMAL),
        "critical" => Some(CRITICAL),
        _ => None,
    }
}
