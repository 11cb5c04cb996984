//! One error type for user-facing failures. Every variant that comes from
//! user input carries where it came from (file, line, field) so the message
//! can point at the exact place to fix.

use std::fmt;
use std::path::PathBuf;

/// Where in the user's input something went wrong. Any part may be unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Located {
    pub file: Option<PathBuf>,
    /// 1-based line number in `file` (for CSV: the physical line, header = 1).
    pub line: Option<u64>,
    /// Column name, config key path (e.g. `section.key[2]`) or field.
    pub field: Option<String>,
}

impl Located {
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Located {
            file: Some(path.into()),
            ..Default::default()
        }
    }
    pub fn at_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(p) = &self.file {
            parts.push(p.display().to_string());
        }
        if let Some(l) = self.line {
            parts.push(format!("line {l}"));
        }
        if let Some(k) = &self.field {
            parts.push(format!("field `{k}`"));
        }
        if parts.is_empty() {
            f.write_str("<input>")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad user input: a value, a key, a file shape.
    #[error("{at}: {msg}")]
    Input { at: Located, msg: String },
    /// An I/O failure on a named path.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A numerical invariant broke (NaN, negative mass). Never expected on
    /// valid input; reported instead of silently writing garbage.
    #[error("numerical failure: {0}")]
    Numerical(String),
    #[error("{0}")]
    Other(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn input(at: Located, msg: impl Into<String>) -> Self {
        Error::Input {
            at,
            msg: msg.into(),
        }
    }
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// A number as a message shows it: plain where that is short, in
/// exponent form where plain would run to hundreds of digits (`1e308`
/// rather than a 1 followed by 308 zeros).
pub fn show_number(x: f64) -> String {
    let a = x.abs();
    if x.is_finite() && a != 0.0 && !(1e-6..1e15).contains(&a) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod show_number_tests {
    use super::show_number;
    #[test]
    fn short_for_any_magnitude() {
        assert_eq!(show_number(1e308), "1e308");
        assert_eq!(show_number(-2.5e-300), "-2.5e-300");
        assert_eq!(
            show_number(9_223_372_036_854_775_807.0),
            "9.223372036854776e18"
        );
        assert_eq!(show_number(0.5), "0.5");
        assert_eq!(show_number(100_000.0), "100000");
        assert_eq!(show_number(-1.0), "-1");
        assert_eq!(show_number(f64::NAN), "NaN");
        assert_eq!(show_number(f64::NEG_INFINITY), "-inf");
    }
}
