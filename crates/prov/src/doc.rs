//! Small helpers for PROV-JSON values: qualified names, typed literals and
//! key-sorted objects (independent of serde_json's `preserve_order`).

use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub(crate) type Obj = BTreeMap<String, Value>;

/// `{"$": name, "type": "xsd:QName"}`, as the `prov` Python package writes
/// `prov:type` values.
pub(crate) fn qname(name: &str) -> Value {
    typed(name, "xsd:QName")
}

pub(crate) fn typed(value: &str, ty: &str) -> Value {
    let mut o = Obj::new();
    o.insert("$".into(), Value::from(value));
    o.insert("type".into(), Value::from(ty));
    to_value(o)
}

pub(crate) fn to_value(o: Obj) -> Value {
    Value::Object(o.into_iter().collect::<Map<String, Value>>())
}

/// Rebuilds every object with its keys in sorted order.
pub(crate) fn sorted(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let b: BTreeMap<String, Value> = m.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(b.into_iter().collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// The string form of an attribute: a plain string, or a typed literal's `$`.
pub(crate) fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) => o.get("$").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

/// Makes a string usable as the local part of a qualified name.
pub(crate) fn local_part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// argv as one line a POSIX shell would split back into the same words.
pub(crate) fn shell_join(argv: &[String]) -> String {
    let quote = |a: &String| {
        if !a.is_empty()
            && a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
        {
            a.clone()
        } else {
            format!("'{}'", a.replace('\'', r"'\''"))
        }
    };
    argv.iter().map(quote).collect::<Vec<_>>().join(" ")
}
