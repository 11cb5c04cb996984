//! "Did you mean ...?" for unknown keys.

/// The candidate closest to `unknown`, if any is reasonably close.
pub fn closest<'a>(
    unknown: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(&str, f64)> = None;
    for c in candidates {
        let score =
            strsim::normalized_damerau_levenshtein(&unknown.to_lowercase(), &c.to_lowercase());
        if best.is_none_or(|(_, s)| score > s) {
            best = Some((c, score));
        }
    }
    best.filter(|(_, s)| *s >= 0.4).map(|(c, _)| c)
}

/// A message for an unknown key, suggesting the closest valid one.
pub fn unknown_key_message<'a>(
    key: &str,
    valid: impl IntoIterator<Item = &'a str> + Clone,
) -> String {
    match closest(key, valid.clone()) {
        Some(c) => format!("unknown key `{key}`; did you mean `{c}`?"),
        None => {
            let all: Vec<&str> = valid.into_iter().collect();
            format!("unknown key `{key}`; valid keys are: {}", all.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn suggests_greek_key() {
        assert_eq!(closest("βI", ["βᴵ", "βᴬ", "scale_β"]), Some("βᴵ"));
        assert_eq!(
            closest(
                "kappa0_filenme",
                ["kappa0_filename", "mobility_matrix_filename"]
            ),
            Some("kappa0_filename")
        );
        assert_eq!(closest("zzzzzzzz", ["abc"]), None);
    }
}
