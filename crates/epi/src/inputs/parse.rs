//! Parsing EpiSim's JSON config into the located tree of `didymos-spec`
//! (the TOML front end is `didymos_spec::Doc`).

use std::path::Path;

use didymos_core::{Error, Located, Result};
use didymos_spec::{Item, Node};

/// Parse JSON into the tree (no line numbers: `serde_json::Value` keeps
/// none; syntax errors do carry theirs).
pub(crate) fn parse_json(path: &Path, text: &str) -> Result<Item> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        Error::input(
            Located::file(path).at_line(e.line() as u64),
            format!("invalid JSON: {e}"),
        )
    })?;
    Ok(from_json(&v))
}

fn from_json(v: &serde_json::Value) -> Item {
    use serde_json::Value as J;
    let node = match v {
        J::Null => Node::Null,
        J::Bool(b) => Node::Bool(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Node::Int(i),
            None => Node::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => Node::Str(s.clone()),
        J::Array(a) => Node::Array(a.iter().map(from_json).collect()),
        J::Object(o) => Node::Table(o.iter().map(|(k, v)| (k.clone(), from_json(v))).collect()),
    };
    Item { node, line: None }
}
