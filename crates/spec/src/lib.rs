//! Located views of spec documents: every value knows the file it came
//! from, the line it is on (where the format keeps spans) and its key path
//! from the root, so readers fail with ONE user-facing
//! [`Error::input`](didymos_core::Error::input) such as
//!
//! ```text
//! twin.toml, line 12, field `model.rate`: expected a probability in [0, 1], found 1.5
//! ```
//!
//! and an unknown key is reported with the closest valid one
//! (`unknown key `horizn`; did you mean `horizon`?`).
//!
//! - [`Doc`] parses TOML (with [`toml_edit`], which keeps spans) into an
//!   owned tree of [`Item`]s, each with its line;
//! - [`Section`] is a table of that tree: [`Section::check_keys`],
//!   [`Section::req`], [`Section::get`], [`Section::section`], …;
//! - [`Field`] is one value: typed, range-checked accessors
//!   ([`Field::f64_in`], [`Field::int_in`], [`Field::date`],
//!   [`Field::tables`], [`Field::prior`], …) whose errors name the field.
//!
//! The tree is format-neutral: a front end for another format (a JSON
//! config, say) builds [`Item`]s itself (with `line: None` where the
//! format keeps no spans) and reads them with the same [`Field`] and
//! [`Section`] code, so both formats validate and report alike.
//!
//! This crate is domain-neutral: it knows nothing of any model's keys.
#![forbid(unsafe_code)]

mod toml_doc;
mod tree;
mod variant;

pub use toml_doc::Doc;
pub use tree::{Field, Item, Node, Section};
pub use variant::with_setting;

use didymos_core::Date;

/// Parse a `YYYY-MM-DD` date (a trailing time part is ignored). The year
/// must have exactly four digits: besides being what every input uses, it
/// keeps absurd years away from the core's day arithmetic, which could
/// overflow on them.
pub fn parse_date(s: &str) -> Option<Date> {
    let year = s.trim().split('-').next()?;
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests;
