//! A small document tree shared by the JSON (EpiSim) and TOML (twin spec)
//! front ends, so both validate with the same code and report errors the
//! same way: file, line where known (TOML keeps spans, `serde_json::Value`
//! does not), and the key path, e.g. `epidemic_params.ηᵍ[2]`.

use std::path::Path;

use didymos_core::suggest::unknown_key_message;
use didymos_core::{Date, Error, Located, Result};

use super::parse_date;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// A TOML local date (`start = 2020-02-09`, unquoted).
    Date(Date),
    /// A TOML date-time or time: only reported as the wrong type.
    OtherTime,
    Array(Vec<Item>),
    Table(Vec<(String, Item)>),
}

/// A node with the line it starts on, if known.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Item {
    pub node: Node,
    pub line: Option<u64>,
}

impl Node {
    fn type_name(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Int(_) | Node::Float(_) => "a number",
            Node::Str(_) => "a string",
            Node::Date(_) | Node::OtherTime => "a date/time",
            Node::Array(_) => "an array",
            Node::Table(_) => "a table",
        }
    }
}

/// A value in the tree together with where it is.
#[derive(Clone)]
pub(crate) struct Field<'a> {
    pub file: &'a Path,
    /// Key path from the root, e.g. `population.k[1]`.
    pub path: String,
    pub item: &'a Item,
}

/// A table in the tree.
#[derive(Clone)]
pub(crate) struct Section<'a> {
    pub file: &'a Path,
    pub path: String,
    entries: &'a [(String, Item)],
    line: Option<u64>,
}

impl<'a> Field<'a> {
    pub fn root(file: &'a Path, item: &'a Item) -> Self {
        Field {
            file,
            path: String::new(),
            item,
        }
    }

    pub fn at(&self) -> Located {
        let mut at = Located::file(self.file);
        at.line = self.item.line;
        if !self.path.is_empty() {
            at.field = Some(self.path.clone());
        }
        at
    }

    pub fn error(&self, msg: impl Into<String>) -> Error {
        Error::input(self.at(), msg)
    }

    fn wrong_type(&self, expected: &str) -> Error {
        self.error(format!(
            "expected {expected}, found {}",
            self.item.node.type_name()
        ))
    }

    pub fn f64(&self) -> Result<f64> {
        let x = match self.item.node {
            Node::Int(i) => i as f64,
            Node::Float(x) => x,
            _ => return Err(self.wrong_type("a number")),
        };
        if !x.is_finite() {
            return Err(self.error(format!("expected a finite number, found {x}")));
        }
        Ok(x)
    }

    /// A number in `[lo, hi]`; `what` describes the range in messages.
    pub fn f64_in(&self, lo: f64, hi: f64, what: &str) -> Result<f64> {
        let x = self.f64()?;
        if !(lo..=hi).contains(&x) {
            return Err(self.error(format!("expected {what}, found {x}")));
        }
        Ok(x)
    }

    pub fn probability(&self) -> Result<f64> {
        self.f64_in(0.0, 1.0, "a probability in [0, 1]")
    }

    pub fn non_negative(&self) -> Result<f64> {
        self.f64_in(0.0, f64::INFINITY, "a number ≥ 0")
    }

    pub fn positive(&self) -> Result<f64> {
        let x = self.f64()?;
        if x <= 0.0 {
            return Err(self.error(format!("expected a number > 0, found {x}")));
        }
        Ok(x)
    }

    /// A whole number (an integral float such as `100.0` is accepted, as
    /// Julia's JSON reader would).
    pub fn int(&self) -> Result<i64> {
        match self.item.node {
            Node::Int(i) => Ok(i),
            Node::Float(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Ok(x as i64),
            _ => Err(self.wrong_type("a whole number")),
        }
    }

    pub fn bool(&self) -> Result<bool> {
        match self.item.node {
            Node::Bool(b) => Ok(b),
            _ => Err(self.wrong_type("true or false")),
        }
    }

    pub fn str(&self) -> Result<&'a str> {
        match &self.item.node {
            Node::Str(s) => Ok(s),
            _ => Err(self.wrong_type("a string")),
        }
    }

    /// A date: a `"YYYY-MM-DD"` string or a TOML local date.
    pub fn date(&self) -> Result<Date> {
        match &self.item.node {
            Node::Date(d) => Ok(*d),
            Node::Str(s) => parse_date(s)
                .ok_or_else(|| self.error(format!("`{s}` is not a date of the form YYYY-MM-DD"))),
            _ => Err(self.wrong_type("a date YYYY-MM-DD")),
        }
    }

    pub fn array(&self) -> Result<Vec<Field<'a>>> {
        let Node::Array(items) = &self.item.node else {
            return Err(self.wrong_type("an array"));
        };
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, item)| Field {
                file: self.file,
                path: format!("{}[{i}]", self.path),
                item,
            })
            .collect())
    }

    /// An array of exactly `len` entries when `len` is given; `what` names
    /// the expected length in the message (e.g. "one per stratum").
    pub fn array_len(&self, len: usize, what: &str) -> Result<Vec<Field<'a>>> {
        let items = self.array()?;
        if items.len() != len {
            return Err(self.error(format!(
                "expected {len} entries ({what}), found {}",
                items.len()
            )));
        }
        Ok(items)
    }

    /// A vector of `len` numbers, each checked by `check`.
    pub fn vec_f64(
        &self,
        len: usize,
        what: &str,
        check: fn(&Field<'a>) -> Result<f64>,
    ) -> Result<Vec<f64>> {
        self.array_len(len, what)?.iter().map(check).collect()
    }

    pub fn table(&self) -> Result<Section<'a>> {
        let Node::Table(entries) = &self.item.node else {
            return Err(self.wrong_type("a table"));
        };
        Ok(Section {
            file: self.file,
            path: self.path.clone(),
            entries,
            line: self.item.line,
        })
    }
}

impl<'a> Section<'a> {
    fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub fn keys(&self) -> impl Iterator<Item = Field<'a>> + '_ {
        self.entries.iter().map(|(k, item)| Field {
            file: self.file,
            path: self.key_path(k),
            item,
        })
    }

    pub fn names(&self) -> impl Iterator<Item = &'a str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    /// Every key must be one of `valid`; the first that is not is an error
    /// naming its path and suggesting the closest valid key.
    pub fn check_keys(&self, valid: &[&str]) -> Result<()> {
        for (k, item) in self.entries {
            if !valid.contains(&k.as_str()) {
                let f = Field {
                    file: self.file,
                    path: self.key_path(k),
                    item,
                };
                return Err(f.error(unknown_key_message(k, valid.iter().copied())));
            }
        }
        Ok(())
    }

    /// The value of `key`; an explicit JSON `null` counts as absent.
    pub fn get(&self, key: &str) -> Option<Field<'a>> {
        self.entries
            .iter()
            .find(|(k, item)| k == key && item.node != Node::Null)
            .map(|(k, item)| Field {
                file: self.file,
                path: self.key_path(k),
                item,
            })
    }

    pub fn req(&self, key: &str) -> Result<Field<'a>> {
        self.get(key).ok_or_else(|| {
            let mut at = Located::file(self.file).field(self.key_path(key));
            at.line = self.line;
            Error::input(at, format!("missing required key `{key}`"))
        })
    }

    pub fn opt_section(&self, key: &str) -> Result<Option<Section<'a>>> {
        self.get(key).map(|f| f.table()).transpose()
    }

    pub fn section(&self, key: &str) -> Result<Section<'a>> {
        self.req(key)?.table()
    }
}
