//! The report in a real browser: headless Chromium parses the page, a
//! probe script measures what it built (so structure and drawn geometry are
//! checked as the browser sees them, not as our strings claim), and a
//! screenshot is kept under `target/test-artifacts/report/`.
//!
//! Needs Chromium (`apt-get install chromium`, or `$CHROMIUM`); without it
//! the test says SKIPPED rather than passing silently.

mod common;

use std::path::PathBuf;

use common::{between, count, sample_report, spain_provinces};
use didymos_report::chromium::Chromium;
use didymos_report::write_report;

/// Counts and sizes measured inside the page, appended to the DOM as JSON.
const PROBE: &str = r#"<script>
(() => {
  const fig = (name) => document.querySelector('#fig-' + name + ' > svg');
  const map = fig('spain-map'), fan = fig('fan-madrid'), sc = fig('scenarios');
  const box = (el) => { const b = el.getBBox(); return b.width > 0 && b.height > 0; };
  const r = {
    svgNamespace: map.namespaceURI,
    mapPaths: map.querySelectorAll('path').length,
    mapIds: new Set([...map.querySelectorAll('path[data-id]')].map(p => p.dataset.id)).size,
    mapPathsWithArea: [...map.querySelectorAll('path')].filter(box).length,
    mapTitles: map.querySelectorAll('path > title').length,
    observed: fan.querySelectorAll('circle[data-series="observed"]').length,
    scenarioMedians: [...sc.querySelectorAll('path[data-series="median"]')].filter(box).length,
    fan: {},
  };
  for (const s of ['band-90', 'band-50', 'median']) {
    const p = fan.querySelector('path[data-series="' + s + '"]');
    r.fan[s] = p ? { d: p.getAttribute('d').length, length: p.getTotalLength(), drawn: box(p) } : null;
  }
  const pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(r);
  document.body.appendChild(pre);
})();
</script></body>"#;

fn artifact_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| common::workspace_root().join("target"));
    target.join("test-artifacts/report")
}

#[test]
fn chromium_renders_the_report() {
    let Some(chromium) = Chromium::find() else {
        didymos_core::skipped!("chromium not installed (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let written = write_report(&sample_report(), &dir.path().join("report.html")).unwrap();
    let html = std::fs::read_to_string(&written.html).unwrap();

    // 1. The page as it is (no script): the browser's serialised DOM.
    let dom = chromium.dump_dom(&written.html).unwrap();
    let map = between(&dom, "<figure id=\"fig-spain-map\"", "</figure>");
    assert_eq!(
        count(map, "<path"),
        52,
        "one path per province in the parsed map"
    );
    assert_eq!(count(map, "<path data-id=\""), 52);
    for (id, _) in spain_provinces() {
        assert_eq!(
            count(map, &format!("<path data-id=\"{id}\"")),
            1,
            "province {id}"
        );
    }
    let fan = between(&dom, "<figure id=\"fig-fan-madrid\"", "</figure>");
    for series in ["band-90", "band-50", "median"] {
        let path = between(fan, &format!("data-series=\"{series}\""), ">");
        assert!(path.contains(" d=\"M"), "{series} has no path data: {path}");
    }
    assert_eq!(count(fan, "data-series=\"observed\""), 41);

    // 2. A copy with a probe script: what the browser laid out.
    let probe_page = dir.path().join("probe.html");
    std::fs::write(&probe_page, html.replacen("</body>", PROBE, 1)).unwrap();
    let dom = chromium.dump_dom(&probe_page).unwrap();
    let json = between(&dom, "<pre id=\"probe\">", "</pre>");
    let json = &json["<pre id=\"probe\">".len()..json.len() - "</pre>".len()];
    let probe: serde_json::Value = serde_json::from_str(json).unwrap();
    eprintln!("probe: {probe}");
    assert_eq!(probe["svgNamespace"], "http://www.w3.org/2000/svg");
    assert_eq!(probe["mapPaths"], 52);
    assert_eq!(probe["mapIds"], 52);
    assert_eq!(
        probe["mapPathsWithArea"], 52,
        "every province is drawn with an area"
    );
    assert_eq!(probe["mapTitles"], 52);
    assert_eq!(probe["observed"], 41);
    assert_eq!(probe["scenarioMedians"], 3);
    for series in ["band-90", "band-50", "median"] {
        let s = &probe["fan"][series];
        assert!(s["d"].as_u64().unwrap() > 100, "{series}: {s}");
        assert!(s["length"].as_f64().unwrap() > 100.0, "{series}: {s}");
        assert_eq!(s["drawn"], true, "{series}: {s}");
    }

    // 3. Screenshots kept for people to look at.
    let artifacts = artifact_dir();
    std::fs::create_dir_all(&artifacts).unwrap();
    let png = artifacts.join("report.png");
    let _ = std::fs::remove_file(&png);
    chromium
        .screenshot(&written.html, &png, 1280, 2400)
        .unwrap();
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        bytes.len() > 50_000,
        "screenshot is only {} bytes",
        bytes.len()
    );
    let map_png = artifacts.join("spain-map.png");
    let map_svg = written
        .figures
        .iter()
        .find(|p| p.ends_with("spain-map.svg"))
        .unwrap();
    chromium.screenshot(map_svg, &map_png, 800, 700).unwrap();
    assert!(std::fs::metadata(&map_png).unwrap().len() > 10_000);
    // The page itself too, to open next to the screenshot.
    std::fs::write(artifacts.join("report.html"), &html).unwrap();
    eprintln!("screenshots in {}", artifacts.display());
}
