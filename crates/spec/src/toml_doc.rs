//! TOML text → the located tree, keeping the line of every key and value.

use std::path::Path;

use didymos_core::{Date, Error, Located, Result};

use crate::tree::{Item, Node, Section};

/// A parsed TOML document and the file it is read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc<'a> {
    path: &'a Path,
    entries: Vec<(String, Item)>,
}

impl<'a> Doc<'a> {
    /// Parse `text`; `path` locates errors. A syntax error names its line.
    pub fn parse(path: &'a Path, text: &str) -> Result<Self> {
        let lines = LineIndex::new(text);
        let doc = toml_edit::ImDocument::parse(text).map_err(|e| {
            let mut at = Located::file(path);
            at.line = e.span().map(|s| lines.line(s.start));
            Error::input(
                at,
                format!("invalid TOML: {}", e.message().trim().replace('\n', "; ")),
            )
        })?;
        Ok(Doc {
            path,
            entries: table_entries(doc.as_table(), &lines),
        })
    }

    /// The file the document is read from.
    pub fn path(&self) -> &'a Path {
        self.path
    }

    /// The top-level table.
    pub fn root(&self) -> Section<'_> {
        Section::root(self.path, &self.entries)
    }
}

fn table_entries(t: &toml_edit::Table, lines: &LineIndex) -> Vec<(String, Item)> {
    t.iter()
        .map(|(k, item)| {
            let key_line = t
                .key(k)
                .and_then(|key| key.span())
                .map(|s| lines.line(s.start));
            (k.to_string(), from_item(item, lines, key_line))
        })
        .collect()
}

fn from_table(t: &toml_edit::Table, lines: &LineIndex, key_line: Option<u64>) -> Item {
    Item {
        node: Node::Table(table_entries(t, lines)),
        line: t.span().map(|s| lines.line(s.start)).or(key_line),
    }
}

fn from_item(item: &toml_edit::Item, lines: &LineIndex, key_line: Option<u64>) -> Item {
    match item {
        toml_edit::Item::None => Item {
            node: Node::Null,
            line: key_line,
        },
        toml_edit::Item::Value(v) => from_value(v, lines, key_line),
        toml_edit::Item::Table(t) => from_table(t, lines, key_line),
        toml_edit::Item::ArrayOfTables(a) => Item {
            node: Node::Array(a.iter().map(|t| from_table(t, lines, key_line)).collect()),
            line: key_line,
        },
    }
}

fn from_value(v: &toml_edit::Value, lines: &LineIndex, key_line: Option<u64>) -> Item {
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
        V::Array(a) => Node::Array(a.iter().map(|e| from_value(e, lines, None)).collect()),
        V::InlineTable(t) => Node::Table(
            t.iter()
                .map(|(k, e)| {
                    let kl = t
                        .key(k)
                        .and_then(|key| key.span())
                        .map(|s| lines.line(s.start));
                    (k.to_string(), from_value(e, lines, kl.or(line)))
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
