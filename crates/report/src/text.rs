//! Escaping and number formatting. Every number in a report goes through
//! here, so the same input always gives byte-identical output (fixed decimal
//! places, no locale, no `-0`).

use std::fmt::Write;

/// Escapes text for HTML and XML, in element content and in quoted
/// attribute values alike.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab/newline are not allowed in
            // XML 1.0; dropping them keeps a standalone SVG parseable.
            c if c.is_control() && c != '\t' && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

/// A coordinate in SVG user units: at most 2 decimals, trailing zeros
/// trimmed, never `-0`.
pub fn coord(v: f64) -> String {
    fixed_trimmed(v, 2)
}

/// `v` with `decimals` decimal places, trailing zeros (and a trailing point)
/// removed.
pub fn fixed_trimmed(v: f64, decimals: usize) -> String {
    let mut s = format!("{v:.decimals$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".to_string();
    }
    s
}

/// A value for people to read (tooltips, tables, legends): precision falls
/// with magnitude, thousands are grouped ("12,346", "3.14", "0.0123").
pub fn value(v: f64) -> String {
    let a = v.abs();
    let decimals = if a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else if a >= 1.0 || a == 0.0 {
        2
    } else {
        // Three significant digits for small values.
        let mut d = 3;
        let mut m = a * 10.0;
        while m < 1.0 && d < 12 {
            m *= 10.0;
            d += 1;
        }
        d
    };
    grouped(v, decimals)
}

/// `v` as a percentage of 1 ("0.237" → "23.7%").
pub fn percent(v: f64) -> String {
    let p = v * 100.0;
    let decimals = if p.abs() >= 10.0 || p == 0.0 { 0 } else { 1 };
    format!("{}%", fixed_trimmed(p, decimals))
}

/// A map value as its [`ValueStyle`](crate::ValueStyle) asks.
pub fn styled(v: f64, style: crate::ValueStyle) -> String {
    match style {
        crate::ValueStyle::Number => value(v),
        crate::ValueStyle::Percent => percent(v),
    }
}

/// `v` with `decimals` places and a comma between groups of thousands.
pub fn grouped(v: f64, decimals: usize) -> String {
    let s = fixed_trimmed(v, decimals);
    let (sign, rest) = match s.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", s.as_str()),
    };
    let (int, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    let mut out = String::from(sign);
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if let Some(f) = frac {
        let _ = write!(out, ".{f}");
    }
    out
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// English abbreviated month name for 1..=12.
pub fn month_abbrev(m: u32) -> &'static str {
    MONTHS[(m.clamp(1, 12) - 1) as usize]
}

/// Whether `name` is safe as a file stem and an element id.
pub fn is_slug(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("a\u{0}b"), "ab");
    }

    #[test]
    fn numbers_are_fixed_and_trimmed() {
        assert_eq!(coord(-0.001), "0");
        assert_eq!(coord(12.5), "12.5");
        assert_eq!(coord(3.0), "3");
        assert_eq!(value(12345.6), "12,346");
        assert_eq!(value(-1234567.0), "-1,234,567");
        assert_eq!(value(4.567), "4.57");
        assert_eq!(value(0.012345), "0.0123");
        assert_eq!(value(0.0), "0");
        assert_eq!(percent(0.237), "24%");
        assert_eq!(percent(0.0456), "4.6%");
    }
}
