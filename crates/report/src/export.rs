//! Writing a report to disk: the page, and each figure as a standalone SVG
//! in `figures/` beside it. Every file is written atomically.

use std::path::{Path, PathBuf};

use didymos_core::fs::write_atomic;

use crate::error::Result;
use crate::report::Report;

/// The files [`write_report`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenReport {
    pub html: PathBuf,
    /// `figures/<name>.svg` next to the page, in section order.
    pub figures: Vec<PathBuf>,
}

/// Renders `report` and writes it to `html_path`, with each figure as
/// `figures/<name>.svg` in the same directory. Figures are written first so
/// that a page on disk always has its figures beside it.
pub fn write_report(report: &Report, html_path: &Path) -> Result<WrittenReport> {
    let rendered = crate::render(report)?;
    let dir = match html_path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut figures = Vec::with_capacity(rendered.figures.len());
    for (name, svg) in &rendered.figures {
        let path = dir.join("figures").join(format!("{name}.svg"));
        write_atomic(&path, svg.as_bytes())?;
        figures.push(path);
    }
    write_atomic(html_path, rendered.html.as_bytes())?;
    Ok(WrittenReport {
        html: html_path.to_path_buf(),
        figures,
    })
}
