//! Online parameter learning as a twin spec asks for it: the `learn` and
//! `learn_delta` keys of an assimilation section, read the same way for
//! every domain, and resolved against the model once it is built.

use didymos_assim::Learning;
use didymos_core::{Located, ParameterSpace, Result};
use didymos_spec::Section;

/// `learn = ["beta_i", "rate.*"]` with `learn_delta` (default 0.99):
/// parameter names or prefixes ending in `*`, each with where it was
/// written, and the Liu–West discount δ ∈ (1/3, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct LearnSpec {
    pub names: Vec<(String, Located)>,
    pub delta: f64,
}

/// The keys [`LearnSpec::read`] reads, for a section's list of valid keys.
pub const LEARN_KEYS: [&str; 2] = ["learn", "learn_delta"];

impl LearnSpec {
    /// `learn` and `learn_delta` of `sec`; `None` without `learn`. The
    /// caller refuses `learn` where its filter cannot learn.
    pub fn read(sec: &Section) -> Result<Option<Self>> {
        let Some(f) = sec.get("learn") else {
            return match sec.get("learn_delta") {
                Some(d) => Err(d.error("learn_delta needs learn (the parameters to learn)")),
                None => Ok(None),
            };
        };
        let mut names = Vec::new();
        for item in f.array()? {
            names.push((item.str()?.to_string(), item.at()));
        }
        if names.is_empty() {
            return Err(f.error("expected at least one parameter name"));
        }
        let delta = match sec.get("learn_delta") {
            Some(d) => {
                let x = d.f64_in(0.0, 1.0, "a discount factor in (1/3, 1]")?;
                if x <= 1.0 / 3.0 {
                    return Err(d.error(format!(
                        "expected a discount factor in (1/3, 1], found {}",
                        didymos_core::show_number(x)
                    )));
                }
                x
            }
            None => 0.99,
        };
        Ok(Some(LearnSpec { names, delta }))
    }

    /// The filter option for a model with parameters `space`; an error at
    /// the name that matches none of them.
    pub fn learning(&self, space: &ParameterSpace) -> Result<Learning> {
        Ok(Learning {
            delta: self.delta,
            params: space.resolve(&self.names)?,
        })
    }
}
