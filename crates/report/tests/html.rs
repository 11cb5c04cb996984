//! The page as a whole: balanced markup, escaping, accessibility,
//! self-containment and byte-identical reruns.

mod common;

use common::{check_balanced, count, sample_report};
use didymos_report::{render_html, Grid, Report, Section, Text};

#[test]
fn page_is_balanced_and_every_figure_closed() {
    let html = render_html(&sample_report()).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    check_balanced(&html, true).unwrap();
    assert_eq!(count(&html, "<figure"), 3);
    assert_eq!(count(&html, "</figure>"), 3);
    assert_eq!(count(&html, "<svg"), 3);
    assert_eq!(count(&html, "</svg>"), 3);
    assert_eq!(count(&html, "<figcaption>"), 3);
}

#[test]
fn user_strings_are_escaped() {
    let html = render_html(&sample_report()).unwrap();
    assert!(html.contains("<title>Twin report &lt;b&gt;bold&lt;/b&gt; &amp; co</title>"));
    assert!(html.contains("abc123&lt;script&gt;"));
    assert!(html.contains("Numbers &lt; 5 &amp; &quot;quoted&quot; text."));
    assert!(html.contains("lockdown &quot;strict&quot;"));
    assert!(html.contains("Daily admissions in &lt;Madrid&gt; &amp; surroundings"));
    assert!(!html.contains("<b>"));
    assert!(!html.to_lowercase().contains("<script"));
}

#[test]
fn page_is_self_contained() {
    let html = render_html(&sample_report()).unwrap();
    // The only URL is the SVG namespace, which is a name, not a fetch.
    let urls = count(&html, "http://") + count(&html, "https://");
    assert_eq!(urls, count(&html, "xmlns=\"http://www.w3.org/2000/svg\""));
    for fetcher in ["<link", "<script", " src=", "@import", "url(http"] {
        assert!(!html.contains(fetcher), "page contains {fetcher}");
    }
}

#[test]
fn page_is_accessible() {
    let html = render_html(&sample_report()).unwrap();
    assert_eq!(count(&html, "role=\"img\""), 3);
    assert_eq!(count(&html, "aria-label=\""), 3 + 1); // figures + metadata list
    assert!(html.contains("<meta name=\"viewport\""));
    assert!(html.contains("<th scope=\"col\">Scenario</th>"));
    assert!(html.contains("<th scope=\"row\">schools closed</th>"));
    assert!(html.contains("<td class=\"num\">1,234</td>"));
    assert!(html.contains("<td class=\"num\">987 to 1,481</td>"));
    assert!(html.contains("<dt>ensemble size</dt><dd>200</dd>"));
}

#[test]
fn rendering_twice_gives_identical_bytes() {
    let a = render_html(&sample_report()).unwrap();
    let b = render_html(&sample_report()).unwrap();
    assert_eq!(a.as_bytes(), b.as_bytes());
}

#[test]
fn text_only_report_renders() {
    let report = Report {
        title: "Plain".into(),
        subtitle: String::new(),
        metadata: Vec::new(),
        sections: vec![Section::Text(Text {
            heading: String::new(),
            paragraphs: vec!["one".into(), "two".into()],
        })],
    };
    let html = render_html(&report).unwrap();
    check_balanced(&html, true).unwrap();
    assert!(html.contains("<p>one</p><p>two</p>"));
    assert!(!html.contains("<dl"));
}

#[test]
fn bad_table_rows_are_errors() {
    let mut report = sample_report();
    for section in &mut report.sections {
        if let Section::Table(t) = section {
            t.rows[1].labels.pop();
        }
    }
    let err = render_html(&report).unwrap_err().to_string();
    assert!(
        err.contains("row 2 has 1 label(s) for 2 label column(s)"),
        "{err}"
    );

    let mut report = sample_report();
    for section in &mut report.sections {
        if let Section::Table(t) = section {
            t.rows[0].summary.q25 = f64::NAN;
        }
    }
    let err = render_html(&report).unwrap_err().to_string();
    assert!(err.contains("non-finite quantile"), "{err}");
}

#[test]
fn a_grid_is_a_table_of_escaped_cells() {
    let grid = |rows: Vec<Vec<String>>| Report {
        title: "Scores".into(),
        subtitle: String::new(),
        metadata: Vec::new(),
        sections: vec![Section::Grid(Grid {
            title: "By horizon".into(),
            caption: "Lower is <better>".into(),
            headers: vec!["Forecaster".into(), "Relative WIS".into()],
            numeric: vec![false, true],
            rows,
        })],
    };
    let html = render_html(&grid(vec![
        vec!["twin & co".into(), "0.75".into()],
        vec!["trend".into(), "0.83".into()],
    ]))
    .unwrap();
    check_balanced(&html, true).unwrap();
    assert!(
        html.contains("<caption>Lower is &lt;better&gt;</caption>"),
        "{html}"
    );
    assert!(html.contains("<th scope=\"col\" class=\"num\">Relative WIS</th>"));
    assert!(
        html.contains("<tr><th scope=\"row\">twin &amp; co</th><td class=\"num\">0.75</td></tr>")
    );
    let err = render_html(&grid(vec![vec!["short".into()]]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("row 1 has 1 cell(s) for 2 column(s)"), "{err}");
}
