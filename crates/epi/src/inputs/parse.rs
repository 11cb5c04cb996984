//! Parsing JSON and TOML text into the shared [`Item`] tree, and back to
//! JSON for handing a subtree to a serde type.

use std::path::Path;

use didymos_core::{Date, Error, Located, Result};

use super::tree::{Item, Node};

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

/// Parse TOML into the tree, keeping the line of every key and value.
pub(crate) fn parse_toml(path: &Path, text: &str) -> Result<Item> {
    let lines = LineIndex::new(text);
    let doc = toml_edit::ImDocument::parse(text).map_err(|e| {
        let mut at = Located::file(path);
        at.line = e.span().map(|s| lines.line(s.start));
        Error::input(
            at,
            format!("invalid TOML: {}", e.message().trim().replace('\n', "; ")),
        )
    })?;
    Ok(from_toml_table(doc.as_table(), &lines, None))
}

fn from_toml_table(t: &toml_edit::Table, lines: &LineIndex, line: Option<u64>) -> Item {
    let entries = t
        .iter()
        .map(|(k, item)| {
            let key_line = t
                .key(k)
                .and_then(|key| key.span())
                .map(|s| lines.line(s.start));
            (k.to_string(), from_toml_item(item, lines, key_line))
        })
        .collect();
    Item {
        node: Node::Table(entries),
        line,
    }
}

fn from_toml_item(item: &toml_edit::Item, lines: &LineIndex, key_line: Option<u64>) -> Item {
    match item {
        toml_edit::Item::None => Item {
            node: Node::Null,
            line: key_line,
        },
        toml_edit::Item::Value(v) => from_toml_value(v, lines, key_line),
        toml_edit::Item::Table(t) => {
            from_toml_table(t, lines, t.span().map(|s| lines.line(s.start)).or(key_line))
        }
        toml_edit::Item::ArrayOfTables(a) => {
            let items = a
                .iter()
                .map(|t| {
                    from_toml_table(t, lines, t.span().map(|s| lines.line(s.start)).or(key_line))
                })
                .collect();
            Item {
                node: Node::Array(items),
                line: key_line,
            }
        }
    }
}

fn from_toml_value(v: &toml_edit::Value, lines: &LineIndex, key_line: Option<u64>) -> Item {
    use toml_edit::Value as V;
    // A key's line is the better pointer for scalars; array elements have
    // no key, so they use their own span.
    let line = key_line.or_else(|| v.span().map(|s| lines.line(s.start)));
    let node = match v {
        V::String(s) => Node::Str(s.value().clone()),
        V::Integer(i) => Node::Int(*i.value()),
        V::Float(x) => Node::Float(*x.value()),
        V::Boolean(b) => Node::Bool(*b.value()),
        V::Datetime(d) => {
            let dt = d.value();
            match (dt.date, dt.time) {
                (Some(date), None) => Date::from_ymd(
                    i32::from(date.year),
                    u32::from(date.month),
                    u32::from(date.day),
                )
                .map_or(Node::OtherTime, Node::Date),
                _ => Node::OtherTime,
            }
        }
        V::Array(a) => Node::Array(a.iter().map(|e| from_toml_value(e, lines, None)).collect()),
        V::InlineTable(t) => Node::Table(
            t.iter()
                .map(|(k, e)| {
                    let kl = t
                        .key(k)
                        .and_then(|key| key.span())
                        .map(|s| lines.line(s.start));
                    (k.to_string(), from_toml_value(e, lines, kl.or(line)))
                })
                .collect(),
        ),
    };
    Item { node, line }
}

/// Byte offset → 1-based line.
struct LineIndex {
    newlines: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        LineIndex {
            newlines: text.match_indices('\n').map(|(i, _)| i).collect(),
        }
    }
    fn line(&self, offset: usize) -> u64 {
        self.newlines.partition_point(|&n| n < offset) as u64 + 1
    }
}

/// Convert a tree node to JSON, to hand it to a serde type (priors).
pub(crate) fn to_json(item: &Item) -> serde_json::Value {
    use serde_json::Value as J;
    match &item.node {
        Node::Null | Node::OtherTime => J::Null,
        Node::Bool(b) => J::Bool(*b),
        Node::Int(i) => J::from(*i),
        Node::Float(x) => serde_json::Number::from_f64(*x).map_or(J::Null, J::Number),
        Node::Str(s) => J::String(s.clone()),
        Node::Date(d) => J::String(d.to_string()),
        Node::Array(a) => J::Array(a.iter().map(to_json).collect()),
        Node::Table(t) => J::Object(t.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
    }
}
