//! A thin, located view of a TOML document (toml_edit keeps spans), so the
//! flood spec can name the file, line and key path of every error and
//! suggest the closest valid key.

use std::path::Path;

use didymos_core::suggest::unknown_key_message;
use didymos_core::{Date, Error, Located, Prior, Result};
use toml_edit::{ImDocument, Item, TableLike};

pub(crate) struct Doc<'a> {
    pub path: &'a Path,
    doc: ImDocument<&'a str>,
    line_starts: Vec<usize>,
}

impl<'a> Doc<'a> {
    pub fn parse(path: &'a Path, text: &'a str) -> Result<Self> {
        let line_starts: Vec<usize> = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let line = |pos: usize| line_starts.partition_point(|&s| s <= pos) as u64;
        let doc = ImDocument::parse(text).map_err(|e| {
            let mut at = Located::file(path);
            at.line = e.span().map(|s| line(s.start));
            Error::input(at, format!("invalid TOML: {}", e.message().trim()))
        })?;
        Ok(Doc {
            path,
            doc,
            line_starts,
        })
    }

    fn line(&self, pos: usize) -> u64 {
        self.line_starts.partition_point(|&s| s <= pos) as u64
    }

    pub fn root(&self) -> Table<'_> {
        Table {
            doc: self,
            path: String::new(),
            table: self.doc.as_table(),
            line: None,
        }
    }
}

#[derive(Clone)]
pub(crate) struct Table<'a> {
    doc: &'a Doc<'a>,
    path: String,
    table: &'a dyn TableLike,
    line: Option<u64>,
}

pub(crate) struct Field<'a> {
    doc: &'a Doc<'a>,
    pub path: String,
    pub item: &'a Item,
    line: Option<u64>,
}

impl<'a> Table<'a> {
    fn at(&self) -> Located {
        let mut at = Located::file(self.doc.path);
        at.line = self.line;
        if !self.path.is_empty() {
            at.field = Some(self.path.clone());
        }
        at
    }

    fn child(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// Every key must be one of `valid`.
    pub fn check_keys(&self, valid: &[&str]) -> Result<()> {
        for (k, _) in self.table.iter() {
            if !valid.contains(&k) {
                let f = self.get(k).expect("key just listed");
                return Err(f.error(unknown_key_message(k, valid.iter().copied())));
            }
        }
        Ok(())
    }

    pub fn keys(&self) -> Vec<String> {
        self.table.iter().map(|(k, _)| k.to_string()).collect()
    }

    pub fn get(&self, key: &str) -> Option<Field<'a>> {
        let (k, item) = self.table.get_key_value(key)?;
        Some(Field {
            doc: self.doc,
            path: self.child(key),
            item,
            line: k.span().map(|s| self.doc.line(s.start)).or(self.line),
        })
    }

    pub fn req(&self, key: &str) -> Result<Field<'a>> {
        self.get(key).ok_or_else(|| {
            let mut at = self.at();
            at.field = Some(self.child(key));
            Error::input(at, format!("missing required key `{}`", self.child(key)))
        })
    }

    pub fn section(&self, key: &str) -> Result<Table<'a>> {
        self.req(key)?.table()
    }

    pub fn opt_section(&self, key: &str) -> Result<Option<Table<'a>>> {
        self.get(key).map(|f| f.table()).transpose()
    }
}

impl<'a> Field<'a> {
    pub fn at(&self) -> Located {
        let mut at = Located::file(self.doc.path).field(self.path.clone());
        at.line = self.line;
        at
    }

    pub fn error(&self, msg: impl Into<String>) -> Error {
        Error::input(self.at(), msg)
    }

    pub fn table(self) -> Result<Table<'a>> {
        let table = self
            .item
            .as_table_like()
            .ok_or_else(|| self.error("expected a table"))?;
        Ok(Table {
            doc: self.doc,
            path: self.path,
            table,
            line: self.line,
        })
    }

    /// An array of tables (`[[name]]`), each located at its own index.
    pub fn tables(self) -> Result<Vec<Table<'a>>> {
        let array = self
            .item
            .as_array_of_tables()
            .ok_or_else(|| self.error("expected an array of tables ([[…]])"))?;
        Ok(array
            .iter()
            .enumerate()
            .map(|(i, t)| Table {
                doc: self.doc,
                path: format!("{}[{i}]", self.path),
                table: t,
                line: t.span().map(|s| self.doc.line(s.start)).or(self.line),
            })
            .collect())
    }

    pub fn str(&self) -> Result<&'a str> {
        self.item
            .as_str()
            .ok_or_else(|| self.error("expected a string"))
    }

    pub fn f64(&self) -> Result<f64> {
        let x = match (self.item.as_float(), self.item.as_integer()) {
            (Some(x), _) => x,
            (None, Some(i)) => i as f64,
            _ => return Err(self.error("expected a number")),
        };
        if !x.is_finite() {
            return Err(self.error(format!("expected a finite number, found {x}")));
        }
        Ok(x)
    }

    /// A number in `[lo, hi]`; `what` names the range in messages.
    pub fn f64_in(&self, lo: f64, hi: f64, what: &str) -> Result<f64> {
        let x = self.f64()?;
        if !(lo..=hi).contains(&x) {
            return Err(self.error(format!("expected {what}, found {x}")));
        }
        Ok(x)
    }

    /// A whole number in `[lo, hi]`.
    pub fn int_in(&self, lo: i64, hi: i64) -> Result<i64> {
        let i = self
            .item
            .as_integer()
            .ok_or_else(|| self.error("expected a whole number"))?;
        if !(lo..=hi).contains(&i) {
            return Err(self.error(format!(
                "expected a whole number in [{lo}, {hi}], found {i}"
            )));
        }
        Ok(i)
    }

    /// A date as `"YYYY-MM-DD"` or a TOML local date.
    pub fn date(&self) -> Result<Date> {
        if let Some(s) = self.item.as_str() {
            return s
                .parse()
                .map_err(|e: didymos_core::time::DateParseError| self.error(e.to_string()));
        }
        let d = self
            .item
            .as_datetime()
            .and_then(|dt| dt.date)
            .ok_or_else(|| self.error("expected a date \"YYYY-MM-DD\""))?;
        Date::from_ymd(i32::from(d.year), u32::from(d.month), u32::from(d.day))
            .ok_or_else(|| self.error("not a valid date"))
    }

    pub fn f64_array(&self) -> Result<Vec<f64>> {
        let a = self
            .item
            .as_array()
            .ok_or_else(|| self.error("expected an array of numbers"))?;
        a.iter()
            .enumerate()
            .map(|(i, v)| match (v.as_float(), v.as_integer()) {
                (Some(x), _) if x.is_finite() => Ok(x),
                (None, Some(n)) => Ok(n as f64),
                _ => Err(Error::input(
                    self.at().field(format!("{}[{i}]", self.path)),
                    "expected a finite number",
                )),
            })
            .collect()
    }

    /// A prior table such as `{ dist = "uniform", low = 20, high = 2500 }`.
    pub fn prior(&self) -> Result<Prior> {
        let hint = "(e.g. { dist = \"uniform\", low = 20, high = 2500 })";
        let text = match self.item {
            Item::Table(t) => t.to_string(),
            Item::Value(v) if v.is_inline_table() => format!("p = {v}"),
            _ => return Err(self.error(format!("expected a prior table {hint}"))),
        };
        let parsed: toml::Table = toml::from_str(&text)
            .map_err(|e| self.error(format!("invalid prior: {} {hint}", e.message())))?;
        let value = match self.item {
            Item::Table(_) => toml::Value::Table(parsed),
            _ => parsed
                .get("p")
                .cloned()
                .unwrap_or(toml::Value::Boolean(false)),
        };
        let prior: Prior = value.try_into().map_err(|e: toml::de::Error| {
            self.error(format!("invalid prior: {} {hint}", e.message()))
        })?;
        prior.validate(&self.at())?;
        Ok(prior)
    }
}
