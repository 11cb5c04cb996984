//! A tidy file appears at its path only when complete; nothing is left
//! behind otherwise.

use std::path::Path;

use didymos_core::Date;
use didymos_store::{read_tidy, Format, TidyWriter};

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn push_some(w: &mut TidyWriter, n: usize) {
    let d: Date = "2020-03-16".parse().unwrap();
    for i in 0..n {
        w.push(d.add_days(i as i32 / 10), "01001", "Y", "I", i as f64)
            .unwrap();
    }
}

#[test]
fn dropping_without_finish_leaves_nothing() {
    let root = tempfile::tempdir().unwrap();
    for format in Format::ALL {
        // A missing parent directory is created.
        let dir = root.path().join(format!("nested-{format}")).join("deeper");
        let path = dir.join(format!("out.{format}"));
        let mut w = TidyWriter::create(&path, format).unwrap();
        push_some(&mut w, 5000);

        // While writing, only a hidden temporary file exists.
        let during = listing(&dir);
        assert_eq!(during.len(), 1, "{during:?}");
        assert!(
            during[0].starts_with(&format!(".out.{format}.partial-")),
            "{during:?}"
        );
        assert!(!path.exists());

        drop(w);
        assert!(!path.exists());
        assert_eq!(listing(&dir), Vec::<String>::new());
    }
}

#[test]
fn finish_publishes_only_the_final_file() {
    let dir = tempfile::tempdir().unwrap();
    for format in Format::ALL {
        let path = dir.path().join(format!("out.{format}"));
        let mut w = TidyWriter::create(&path, format).unwrap();
        push_some(&mut w, 5000);
        assert_eq!(w.finish().unwrap(), path);
        assert_eq!(read_tidy(&path).unwrap().len(), 5000);
    }
    assert_eq!(listing(dir.path()), ["out.csv", "out.parquet"]);
}

#[test]
fn an_abandoned_rewrite_keeps_the_previous_file_intact() {
    let dir = tempfile::tempdir().unwrap();
    for format in Format::ALL {
        let path = dir.path().join(format!("out.{format}"));
        let mut w = TidyWriter::create(&path, format).unwrap();
        push_some(&mut w, 10);
        w.finish().unwrap();
        let before = std::fs::read(&path).unwrap();

        let mut w = TidyWriter::create(&path, format).unwrap();
        push_some(&mut w, 20_000);
        drop(w);
        assert_eq!(std::fs::read(&path).unwrap(), before);

        // A finished rewrite replaces it.
        let mut w = TidyWriter::create(&path, format).unwrap();
        push_some(&mut w, 30);
        w.finish().unwrap();
        assert_eq!(read_tidy(&path).unwrap().len(), 30);
    }
    assert_eq!(listing(dir.path()), ["out.csv", "out.parquet"]);
}
