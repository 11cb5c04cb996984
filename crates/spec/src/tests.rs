use std::path::Path;

use didymos_core::{Date, Prior};

use crate::{parse_date, Doc};

const TEXT: &str = r#"# a comment
[model]
name = "demo"
rate = 0.25
count = 12
whole = 30.0
start = 2020-02-09
quoted = "2020-03-01"
stamp = 2020-02-09T10:00:00
values = [1, 2.5, 3]
mixed = [1, "two"]
flag = true

[model.inner]
x = 1

[priors]
a = { dist = "uniform", low = 20, high = 2500 }
b = { dist = "normal", mean = 0.1, sd = -1 }
c = { dist = "uniform", low = 5 }
d = 3

[[event]]
date = 2020-03-01
value = 0.5

[[event]]
date = 2020-04-01
value = 1.5
"#;

fn path() -> &'static Path {
    Path::new("dir/twin.toml")
}

fn doc() -> Doc<'static> {
    Doc::parse(path(), TEXT).unwrap()
}

/// The 1-based line of the first line of TEXT containing `needle`.
fn line_of(needle: &str) -> u64 {
    TEXT.lines().position(|l| l.contains(needle)).unwrap() as u64 + 1
}

fn err<T>(r: didymos_core::Result<T>) -> String {
    match r {
        Err(e) => e.to_string(),
        Ok(_) => panic!("expected an error"),
    }
}

#[test]
fn values_know_their_line_and_path() {
    let doc = doc();
    let model = doc.root().section("model").unwrap();
    assert_eq!(model.path, "model");
    let rate = model.req("rate").unwrap();
    assert_eq!(rate.path, "model.rate");
    assert_eq!(rate.at().line, Some(line_of("rate = 0.25")));
    assert_eq!(rate.f64().unwrap(), 0.25);
    let e = err(rate.f64_in(0.5, 1.0, "a share in [0.5, 1]"));
    assert_eq!(
        e,
        format!(
            "dir/twin.toml, line {}, field `model.rate`: expected a share in [0.5, 1], found 0.25",
            line_of("rate = 0.25")
        )
    );
    // Array elements carry their index and their own line.
    let v = model.req("values").unwrap().array().unwrap();
    assert_eq!(v[1].path, "model.values[1]");
    assert_eq!(v[1].at().line, Some(line_of("values =")));
    // Sub-tables: the header's line and a dotted path.
    let inner = model.section("inner").unwrap();
    assert_eq!(inner.req("x").unwrap().path, "model.inner.x");
    assert_eq!(
        model.req("inner").unwrap().at().line,
        Some(line_of("[model.inner]"))
    );
}

#[test]
fn unknown_keys_are_reported_with_a_suggestion() {
    let doc = doc();
    let model = doc.root().section("model").unwrap();
    let valid = [
        "name", "rate", "count", "whole", "start", "quoted", "stamp", "values", "mixed", "flag",
    ];
    let e = err(model.check_keys(&valid));
    assert!(e.contains("field `model.inner`"), "{e}");
    assert!(
        e.contains(&format!("line {}", line_of("[model.inner]"))),
        "{e}"
    );
    assert!(e.contains("unknown key `inner`"), "{e}");

    let e = err(model.check_keys(&["name", "rte"]));
    assert!(e.contains("unknown key `rate`; did you mean `rte`?"), "{e}");
    assert!(e.contains(&format!("line {}", line_of("rate ="))), "{e}");

    let e = err(doc.root().check_keys(&["zzzzzzzzzz", "qqqqqqqqqq"]));
    assert!(e.contains("valid keys are: zzzzzzzzzz, qqqqqqqqqq"), "{e}");
    assert!(doc.root().check_keys(&["model", "priors", "event"]).is_ok());
}

#[test]
fn missing_keys_name_the_table_and_its_line() {
    let doc = doc();
    let model = doc.root().section("model").unwrap();
    let e = err(model.req("nope"));
    assert_eq!(
        e,
        format!(
            "dir/twin.toml, line {}, field `model.nope`: missing required key `nope`",
            line_of("[model]")
        )
    );
    assert!(model.get("nope").is_none());
    assert!(model.opt_section("nope").unwrap().is_none());
    let e = err(doc.root().section("absent"));
    assert!(e.contains("field `absent`") && !e.contains("line"), "{e}");
}

#[test]
fn type_errors_say_what_was_expected_and_found() {
    let doc = doc();
    let model = doc.root().section("model").unwrap();
    let f = |k: &str| model.req(k).unwrap();
    assert!(err(f("name").f64()).ends_with("expected a number, found a string"));
    assert!(err(f("rate").str()).ends_with("expected a string, found a number"));
    assert!(err(f("rate").int()).ends_with("expected a whole number, found a number"));
    assert!(err(f("rate").bool()).ends_with("expected true or false, found a number"));
    assert!(err(f("name").table()).ends_with("expected a table, found a string"));
    assert!(err(f("flag").array()).ends_with("expected an array, found a boolean"));
    assert!(err(f("rate").probability().and(f("count").probability()))
        .ends_with("expected a probability in [0, 1], found 12"));
    assert!(f("flag").bool().unwrap());
    assert_eq!(f("name").str().unwrap(), "demo");
}

#[test]
fn whole_numbers_and_arrays() {
    let doc = doc();
    let model = doc.root().section("model").unwrap();
    let f = |k: &str| model.req(k).unwrap();
    assert_eq!(f("count").int_in(1, 100).unwrap(), 12);
    assert_eq!(f("whole").int().unwrap(), 30);
    let e = err(f("count").int_in(1, 10));
    assert!(
        e.ends_with("field `model.count`: expected a whole number in [1, 10], found 12"),
        "{e}"
    );
    assert_eq!(f("values").f64_array().unwrap(), vec![1.0, 2.5, 3.0]);
    let e = err(f("mixed").f64_array());
    assert!(
        e.contains("field `model.mixed[1]`") && e.ends_with("expected a number, found a string"),
        "{e}"
    );
    let e = err(f("values").vec_f64(2, "one per group", |x| x.f64()));
    assert!(
        e.ends_with("expected 2 entries (one per group), found 3"),
        "{e}"
    );
}

#[test]
fn dates_from_toml_dates_and_strings() {
    let doc = doc();
    let model = doc.root().section("model").unwrap();
    let f = |k: &str| model.req(k).unwrap();
    assert_eq!(
        f("start").date().unwrap(),
        Date::from_ymd(2020, 2, 9).unwrap()
    );
    assert_eq!(
        f("quoted").date().unwrap(),
        Date::from_ymd(2020, 3, 1).unwrap()
    );
    assert!(err(f("stamp").date()).ends_with("expected a date YYYY-MM-DD, found a date/time"));
    assert!(err(f("name").date()).ends_with("`demo` is not a date of the form YYYY-MM-DD"));
    assert_eq!(parse_date("2020-01-31"), Date::from_ymd(2020, 1, 31));
    assert_eq!(parse_date("20200-01-31"), None);
    assert_eq!(parse_date("2020-02-30"), None);
}

#[test]
fn arrays_of_tables_are_located_per_index() {
    let doc = doc();
    let events = doc.root().req("event").unwrap().tables().unwrap();
    assert_eq!(events.len(), 2);
    let v = events[1].req("value").unwrap();
    assert_eq!(v.path, "event[1].value");
    assert_eq!(v.at().line, Some(line_of("value = 1.5")));
    let e = err(events[1].req("nope"));
    let second_header = TEXT
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("[[event]]"))
        .nth(1)
        .unwrap()
        .0 as u64
        + 1;
    assert!(e.contains(&format!("line {second_header}")), "{e}");
    assert!(e.contains("field `event[1].nope`"), "{e}");
    let model = doc.root().section("model").unwrap();
    let e = err(model.req("rate").unwrap().tables());
    assert!(
        e.ends_with("expected an array of tables ([[…]]), found a number"),
        "{e}"
    );
    let e = err(model.req("values").unwrap().tables());
    assert!(
        e.contains("field `model.values[0]`") && e.ends_with("expected a table, found a number"),
        "{e}"
    );
}

#[test]
fn priors_are_read_and_validated() {
    let doc = doc();
    let priors = doc.root().section("priors").unwrap();
    let ex = "{ dist = \"uniform\", low = 1, high = 2 }";
    let names: Vec<&str> = priors.entries().map(|(k, _)| k).collect();
    assert_eq!(names, ["a", "b", "c", "d"]);
    let p = |k: &str| priors.req(k).unwrap().prior(ex);
    assert_eq!(
        p("a").unwrap(),
        Prior::Uniform {
            low: 20.0,
            high: 2500.0
        }
    );
    let e = err(p("b"));
    assert!(
        e.contains("field `priors.b`") && e.contains("sd > 0"),
        "{e}"
    );
    let e = err(p("c"));
    assert!(
        e.contains("field `priors.c`")
            && e.contains("invalid prior: missing field `high`")
            && e.ends_with(&format!("(e.g. {ex})")),
        "{e}"
    );
    let e = err(p("d"));
    assert!(
        e.ends_with(&format!(
            "expected a prior table (e.g. {ex}), found a number"
        )),
        "{e}"
    );
}

#[test]
fn syntax_errors_name_the_line() {
    let e = err(Doc::parse(path(), "a = 1\n[b\nc = 2\n"));
    assert!(
        e.starts_with("dir/twin.toml, line 2: invalid TOML:") && !e.contains('\n'),
        "{e}"
    );
}

#[test]
fn a_tree_built_by_another_front_end_reads_alike() {
    use crate::{Field, Item, Node};
    let item = |node| Item { node, line: None };
    let root = item(Node::Table(vec![
        ("gone".into(), item(Node::Null)),
        ("x".into(), item(Node::Array(vec![item(Node::Int(1))]))),
    ]));
    let root = Field::root(Path::new("c.json"), &root).table().unwrap();
    assert!(root.get("gone").is_none(), "null counts as absent");
    let e = err(root.req("x").unwrap().array().unwrap()[0].str());
    assert_eq!(e, "c.json, field `x[0]`: expected a string, found a number");
}
