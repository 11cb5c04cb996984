//! Times writing a realistic-sized tidy output (~10 million rows) in both
//! formats. Run with
//! `cargo run --release -p didymos-store --example write_throughput [--read] [DIR]`;
//! `--read` also times reading each file back with `read_tidy`.

use std::time::Instant;

use didymos_core::Date;
use didymos_store::{Format, TidyWriter};

const VARIABLES: [&str; 12] = [
    "S",
    "E",
    "A",
    "I",
    "PH",
    "PD",
    "HR",
    "HD",
    "R",
    "D",
    "CH",
    "new_cases",
];
const AGES: [&str; 3] = ["Y", "M", "O"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let read = args.iter().any(|a| a == "--read");
    let tmp;
    let dir = match args.into_iter().find(|a| a != "--read") {
        Some(d) => std::path::PathBuf::from(d),
        None => {
            tmp = tempfile::tempdir()?;
            tmp.path().to_path_buf()
        }
    };
    // Shaped like an MMCA run over Spain: 2,850 patches, 100 days.
    let patches: Vec<String> = (0..2850).map(|i| format!("{:05}", 1001 + i)).collect();
    let start: Date = "2020-02-09".parse()?;
    let days = 100;

    for format in [Format::Parquet, Format::Csv] {
        let path = dir.join(format!("bench.{format}"));
        let t = Instant::now();
        let mut w = TidyWriter::create(&path, format)?;
        // Cheap xorshift so values do not compress unrealistically well.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for d in 0..days {
            let date = start.add_days(d);
            for p in &patches {
                for a in AGES {
                    for v in VARIABLES {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        let value = (x >> 11) as f64 / (1u64 << 53) as f64 * 1e4;
                        w.push(date, p, a, v, value)?;
                    }
                }
            }
        }
        let rows = w.rows_written();
        let path = w.finish()?;
        let secs = t.elapsed().as_secs_f64();
        let bytes = std::fs::metadata(&path)?.len();
        println!(
            "{format:>7}: {rows} rows in {secs:.2} s = {:.1} M rows/s, {:.0} MiB",
            rows as f64 / secs / 1e6,
            bytes as f64 / (1 << 20) as f64
        );
        if !read {
            continue;
        }
        let t = Instant::now();
        let n = didymos_store::read_tidy(&path)?.len();
        println!(
            "{format:>7}: read back {n} rows in {:.2} s",
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
