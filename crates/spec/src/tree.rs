//! The document tree and its located views: file, line where known (TOML
//! keeps spans, a JSON value does not), and the key path, e.g.
//! `params.rates[2]`.

use std::path::Path;

use didymos_core::suggest::unknown_key_message;
use didymos_core::{show_number, Date, Error, Located, Prior, Result};

use crate::parse_date;

/// A value of the tree, whatever format it was read from.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A JSON `null`: [`Section::get`] treats the key as absent.
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
pub struct Item {
    pub node: Node,
    pub line: Option<u64>,
}

impl Node {
    /// The type as messages name it ("a number", "a table", …).
    pub fn type_name(&self) -> &'static str {
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
#[derive(Debug, Clone)]
pub struct Field<'a> {
    pub file: &'a Path,
    /// Key path from the root, e.g. `section.values[1]`.
    pub path: String,
    pub item: &'a Item,
}

/// A table in the tree.
#[derive(Debug, Clone)]
pub struct Section<'a> {
    pub file: &'a Path,
    /// Key path from the root; empty for the root itself.
    pub path: String,
    entries: &'a [(String, Item)],
    line: Option<u64>,
}

impl<'a> Field<'a> {
    /// The root of a tree read from `file` (no key path).
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

    /// An input error at this field.
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
            return Err(self.error(format!(
                "expected a finite number, found {}",
                show_number(x)
            )));
        }
        Ok(x)
    }

    /// A number in `[lo, hi]`; `what` describes the range in messages.
    pub fn f64_in(&self, lo: f64, hi: f64, what: &str) -> Result<f64> {
        let x = self.f64()?;
        if !(lo..=hi).contains(&x) {
            return Err(self.error(format!("expected {what}, found {}", show_number(x))));
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
            return Err(self.error(format!("expected a number > 0, found {}", show_number(x))));
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

    /// A whole number in `[lo, hi]`.
    pub fn int_in(&self, lo: i64, hi: i64) -> Result<i64> {
        let i = self.int()?;
        if !(lo..=hi).contains(&i) {
            return Err(self.error(format!(
                "expected a whole number in [{lo}, {hi}], found {i}"
            )));
        }
        Ok(i)
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

    /// An array of finite numbers, of any length.
    pub fn f64_array(&self) -> Result<Vec<f64>> {
        self.array()?.iter().map(Field::f64).collect()
    }

    /// An array of tables (`[[name]]`, or an inline array of inline
    /// tables), each located at its own index: `name[0]`, `name[1]`, ….
    pub fn tables(&self) -> Result<Vec<Section<'a>>> {
        if !matches!(self.item.node, Node::Array(_)) {
            return Err(self.wrong_type("an array of tables ([[…]])"));
        }
        self.array()?.iter().map(Field::table).collect()
    }

    /// A prior table such as `{ dist = "normal", mean = 0.1, sd = 0.01 }`
    /// (the core's [`Prior`], validated); `example` is shown in messages.
    pub fn prior(&self, example: &str) -> Result<Prior> {
        if !matches!(self.item.node, Node::Table(_)) {
            return Err(self.wrong_type(&format!("a prior table (e.g. {example})")));
        }
        let value = to_toml(self.item).unwrap_or(toml::Value::Boolean(false));
        let prior: Prior = value.try_into().map_err(|e: toml::de::Error| {
            self.error(format!(
                "invalid prior: {} (e.g. {example})",
                e.message().trim()
            ))
        })?;
        prior.validate(&self.at())?;
        Ok(prior)
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
    /// The top-level table of a document read from `file`.
    pub(crate) fn root(file: &'a Path, entries: &'a [(String, Item)]) -> Self {
        Section {
            file,
            path: String::new(),
            entries,
            line: None,
        }
    }

    fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// Each value, in document order.
    pub fn keys(&self) -> impl Iterator<Item = Field<'a>> + '_ {
        self.entries.iter().map(|(k, item)| Field {
            file: self.file,
            path: self.key_path(k),
            item,
        })
    }

    /// Each key with its value, in document order.
    pub fn entries(&self) -> impl Iterator<Item = (&'a str, Field<'a>)> + '_ {
        self.entries.iter().map(|(k, item)| {
            let f = Field {
                file: self.file,
                path: self.key_path(k),
                item,
            };
            (k.as_str(), f)
        })
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

    /// The value of `key`, or an error at this table naming the key.
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

/// The subtree as a `toml::Value`, to hand to a serde type. Nulls (only a
/// JSON front end makes them) and times other than dates are left out.
fn to_toml(item: &Item) -> Option<toml::Value> {
    use toml::Value as T;
    Some(match &item.node {
        Node::Null | Node::OtherTime => return None,
        Node::Bool(b) => T::Boolean(*b),
        Node::Int(i) => T::Integer(*i),
        Node::Float(x) => T::Float(*x),
        Node::Str(s) => T::String(s.clone()),
        Node::Date(d) => T::String(d.to_string()),
        Node::Array(a) => T::Array(a.iter().filter_map(to_toml).collect()),
        Node::Table(t) => T::Table(
            t.iter()
                .filter_map(|(k, v)| Some((k.clone(), to_toml(v)?)))
                .collect(),
        ),
    })
}
