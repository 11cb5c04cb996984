//! Variants of a spec's text: one setting changed, everything else (and
//! every comment on other lines) kept, for scripted experiments and tests
//! that must say exactly which settings they run with.

use didymos_core::{Error, Result};

/// `text` with the first line that sets `key` (`key = …`, at the start of
/// the line, its own comment included) replaced by `key = value`. `value`
/// is TOML (`"eakf"`, `0.015`). An error if no line sets `key`, so a spec
/// that changes cannot make a variant silently run other settings.
pub fn with_setting(text: &str, key: &str, value: &str) -> Result<String> {
    let prefix = format!("{key} = ");
    let mut found = false;
    let mut out = String::with_capacity(text.len() + value.len());
    for line in text.split_inclusive('\n') {
        if !found && line.starts_with(&prefix) {
            found = true;
            out.push_str(&prefix);
            out.push_str(value);
            out.push('\n');
        } else {
            out.push_str(line);
        }
    }
    if found {
        Ok(out)
    } else {
        Err(Error::Other(format!("no line sets `{key}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::with_setting;

    #[test]
    fn one_line_changes_and_the_rest_stays() {
        let text = "# spec\n[a]\nfilter = \"x\"   # which\nmembers = 3\n";
        let got = with_setting(text, "filter", "\"eakf\"").unwrap();
        assert_eq!(got, "# spec\n[a]\nfilter = \"eakf\"\nmembers = 3\n");
        let e = with_setting(text, "inflation", "1.1").unwrap_err();
        assert!(e.to_string().contains("no line sets `inflation`"), "{e}");
        // A key that only appears inside another line is not a setting.
        assert!(with_setting("# filter = 1\n", "filter", "2").is_err());
    }
}
