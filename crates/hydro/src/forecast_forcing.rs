//! Forecast forcing from a file: what the weather is expected to do after a
//! forecast origin, as one trace (deterministic) or several (an ensemble;
//! member m follows trace m mod k).
//!
//! CSV with a header, one row per (date, trace):
//!
//! | column | meaning |
//! |---|---|
//! | `date` | YYYY-MM-DD |
//! | `trace` | optional: trace id (any text; default one trace) |
//! | `precip_mm` | precipitation over the day, mm ≥ 0 |
//! | `tmean_c` | mean temperature, °C ... |
//! | `tmin_c`, `tmax_c` | ... or the minimum and maximum (mean = their average) |
//!
//! Every trace must cover every day of the forecast horizon; rows before
//! the first day or after the last are ignored. Errors name the file, line
//! and column; missing days are named as date ranges.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use didymos_core::{Date, Error, Located, Result};

use crate::forcing::ForcingTrace;

/// Values of one row.
#[derive(Debug, Clone, Copy)]
struct Row {
    line: usize,
    precip: f64,
    tmean: f64,
}

fn at(path: &Path, line: usize, column: &str) -> Located {
    Located::file(path).at_line(line as u64).field(column)
}

/// Contiguous runs of `dates` as `a..b` (or `a`), comma-separated.
fn ranges(dates: &[Date]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < dates.len() {
        let mut j = i;
        while j + 1 < dates.len() && dates[j + 1] == dates[j].add_days(1) {
            j += 1;
        }
        out.push(if i == j {
            dates[i].to_string()
        } else {
            format!("{}..{}", dates[i], dates[j])
        });
        i = j + 1;
    }
    out.join(", ")
}

/// Reads the traces for the `horizon` days after `origin`, with PET from
/// the mean temperature at `latitude` (Oudin, as for the record).
pub fn read_forecast_forcing(
    path: &Path,
    origin: Date,
    horizon: usize,
    latitude: f64,
) -> Result<Vec<ForcingTrace>> {
    let text = didymos_core::fs::read_text(path, didymos_core::fs::DATA_MAX_BYTES)?;
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let header: Vec<String> =
        match lines.next() {
            Some((_, h)) => h.split(',').map(|c| c.trim().to_string()).collect(),
            None => return Err(Error::input(
                Located::file(path).at_line(1),
                "empty file: expected a header `date,trace,precip_mm,tmean_c` (or tmin_c,tmax_c)",
            )),
        };
    const KNOWN: [&str; 6] = ["date", "trace", "precip_mm", "tmean_c", "tmin_c", "tmax_c"];
    if let Some(c) = header.iter().find(|c| !KNOWN.contains(&c.as_str())) {
        return Err(Error::input(
            at(path, 1, c),
            format!("unknown column `{c}`; the columns are {}", KNOWN.join(", ")),
        ));
    }
    let col = |name: &str| header.iter().position(|c| c == name);
    let need = |name: &str| {
        col(name).ok_or_else(|| {
            Error::input(
                Located::file(path).at_line(1).field(name),
                format!("missing column `{name}`"),
            )
        })
    };
    let (date_c, precip_c) = (need("date")?, need("precip_mm")?);
    let trace_c = col("trace");
    let temp = match (col("tmean_c"), col("tmin_c"), col("tmax_c")) {
        (Some(m), None, None) => Temp::Mean(m),
        (None, Some(lo), Some(hi)) => Temp::MinMax(lo, hi),
        _ => {
            return Err(Error::input(
                Located::file(path).at_line(1).field("tmean_c"),
                "give either `tmean_c` or both `tmin_c` and `tmax_c`",
            ))
        }
    };
    let first = origin.add_days(1);
    let last = origin.add_days(horizon as i32);
    let mut traces: BTreeMap<String, BTreeMap<Date, Row>> = BTreeMap::new();
    for (n, l) in lines {
        if l.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = l.split(',').map(str::trim).collect();
        if cells.len() != header.len() {
            return Err(Error::input(
                Located::file(path).at_line(n as u64),
                format!("{} values for {} columns", cells.len(), header.len()),
            ));
        }
        let date: Date = cells[date_c].parse().map_err(|_| {
            Error::input(
                at(path, n, "date"),
                format!("`{}` is not a YYYY-MM-DD date", cells[date_c]),
            )
        })?;
        let num = |c: usize| -> Result<f64> {
            match cells[c].parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(x),
                _ => Err(Error::input(
                    at(path, n, &header[c]),
                    format!("`{}` is not a finite number", cells[c]),
                )),
            }
        };
        let precip = num(precip_c)?;
        if precip < 0.0 {
            return Err(Error::input(
                at(path, n, "precip_mm"),
                format!("{precip} mm: precipitation must be ≥ 0"),
            ));
        }
        let tmean = match temp {
            Temp::Mean(m) => num(m)?,
            Temp::MinMax(lo, hi) => {
                let (a, b) = (num(lo)?, num(hi)?);
                if a > b {
                    return Err(Error::input(
                        at(path, n, "tmin_c"),
                        format!("tmin {a} °C is above tmax {b} °C"),
                    ));
                }
                0.5 * (a + b)
            }
        };
        if !(-90.0..=60.0).contains(&tmean) {
            return Err(Error::input(
                at(
                    path,
                    n,
                    if matches!(temp, Temp::Mean(_)) {
                        "tmean_c"
                    } else {
                        "tmax_c"
                    },
                ),
                format!("{tmean} °C is outside −90…60 °C"),
            ));
        }
        let trace = trace_c.map_or(String::new(), |c| cells[c].to_string());
        let rows = traces.entry(trace.clone()).or_default();
        if let Some(prev) = rows.get(&date) {
            return Err(Error::input(
                Located::file(path).at_line(n as u64).field("date"),
                format!(
                    "{date}{} is also on line {}",
                    trace_label(&trace),
                    prev.line
                ),
            ));
        }
        rows.insert(
            date,
            Row {
                line: n,
                precip,
                tmean,
            },
        );
    }
    if traces.is_empty() {
        return Err(Error::input(Located::file(path), "no forcing rows"));
    }
    let wanted: BTreeSet<Date> = (0..horizon as i32).map(|h| first.add_days(h)).collect();
    let mut out = Vec::new();
    for (trace, rows) in &traces {
        let missing: Vec<Date> = wanted
            .iter()
            .filter(|d| !rows.contains_key(d))
            .copied()
            .collect();
        if !missing.is_empty() {
            return Err(Error::input(
                Located::file(path),
                format!(
                    "forecast forcing{} lacks {} (the forecast runs {first}..{last})",
                    trace_label(trace),
                    ranges(&missing)
                ),
            ));
        }
        let (precip, tmean): (Vec<f64>, Vec<f64>) = wanted
            .iter()
            .map(|d| (rows[d].precip, rows[d].tmean))
            .unzip();
        out.push(ForcingTrace::from_temperature(
            first, latitude, precip, tmean,
        ));
    }
    Ok(out)
}

#[derive(Clone, Copy)]
enum Temp {
    Mean(usize),
    MinMax(usize, usize),
}

fn trace_label(trace: &str) -> String {
    if trace.is_empty() {
        String::new()
    } else {
        format!(" (trace `{trace}`)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fc.csv");
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }
    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }
    fn err(text: &str) -> String {
        let (_d, p) = write(text);
        read_forecast_forcing(&p, d("2002-04-01"), 3, 44.6)
            .expect_err("expected an error")
            .to_string()
    }

    #[test]
    fn ensemble_traces_cover_the_horizon() {
        let (_d, p) = write(
            "date,trace,precip_mm,tmin_c,tmax_c\n\
             2002-04-01,a,9,0,10\n\
             2002-04-02,a,1,0,10\n2002-04-03,a,2,2,8\n2002-04-04,a,3,0,4\n\
             2002-04-02,b,10,0,10\n2002-04-03,b,20,2,8\n2002-04-04,b,30,0,4\n\
             2002-04-05,b,99,0,4\n",
        );
        let t = read_forecast_forcing(&p, d("2002-04-01"), 3, 44.6).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].precip, vec![1.0, 2.0, 3.0]);
        assert_eq!(t[1].precip, vec![10.0, 20.0, 30.0]);
        assert_eq!(t[0].tmean, vec![5.0, 5.0, 2.0]);
        assert!(t[0].pet.iter().all(|e| *e > 0.0));
    }

    #[test]
    fn bad_files_name_line_column_and_missing_dates() {
        let m = err("date,precip_mm,tmean_c\n2002-04-02,1,5\n2002-04-05,1,5\n");
        assert!(m.contains("lacks 2002-04-03..2002-04-04"), "{m}");
        assert!(m.contains("2002-04-02..2002-04-04"), "{m}");
        let m = err("date,precip_mm,tmean_c\n2002-04-02,-1,5\n");
        assert!(
            m.contains("line 2") && m.contains("precip_mm") && m.contains("≥ 0"),
            "{m}"
        );
        let m = err("date,precip_mm,tmin_c,tmax_c\n2002-04-02,1,9,3\n");
        assert!(m.contains("line 2") && m.contains("tmin_c"), "{m}");
        let m = err("date,precip_mm,tmean_c\n2002-04-02,1,5\n2002-04-02,2,5\n");
        assert!(m.contains("line 3") && m.contains("also on line 2"), "{m}");
        let m = err("date,precip_mm,tmean_c,wind\n");
        assert!(m.contains("unknown column `wind`"), "{m}");
        let m = err("date,precip_mm\n2002-04-02,1\n");
        assert!(m.contains("tmean_c"), "{m}");
        let m = err("date,precip_mm,tmean_c\n2002-04-02,x,5\n");
        assert!(
            m.contains("line 2") && m.contains("`x` is not a finite number"),
            "{m}"
        );
        let m = err("date,precip_mm,tmean_c\n02-04-2002,1,5\n");
        assert!(m.contains("line 2") && m.contains("date"), "{m}");
        let m = err("date,precip_mm,tmean_c\n2002-04-02,1,500\n");
        assert!(m.contains("500"), "{m}");
        assert!(err("").contains("empty file"));
    }
}
