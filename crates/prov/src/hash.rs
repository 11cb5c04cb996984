//! Streaming SHA-256, RFC 3339 UTC times and run ids.

use crate::{io_err, Result};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// SHA-256 (lower-case hex) and size in bytes of a file, read in 64 KiB chunks.
///
/// Only regular files: a device such as `/dev/zero` would be hashed for
/// ever, opening a FIFO waits for a writer, and a pipe already read by the
/// run hashes as empty, so none of them could be traced or re-run.
pub fn sha256_file(path: &Path) -> Result<(String, u64)> {
    let meta = std::fs::metadata(path).map_err(io_err(path))?;
    if !meta.is_file() {
        return Err(io_err(path)(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (a folder, device, pipe or socket); provenance hashes every \
             input, so write it to a file first",
        )));
    }
    let mut file = std::fs::File::open(path).map_err(io_err(path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(io_err(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex(&hasher.finalize()), size))
}

pub(crate) fn sha256_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The current time as RFC 3339 UTC with milliseconds, e.g. `2026-11-22T03:52:01.123Z`.
pub fn now_rfc3339() -> String {
    format_rfc3339(SystemTime::now())
}

pub(crate) fn format_rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (y, m, day) = civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        s / 3600,
        (s / 60) % 60,
        s % 60,
        d.subsec_millis()
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A fresh run id: the UTC start time plus 8 hex digits that differ between
/// runs started in the same second (time in ns, process id and a counter).
pub(crate) fn new_run_id(started: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let seed = format!(
        "{nanos}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let compact: String = started
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .take_while(|c| *c != '.')
        .collect();
    format!("{compact}Z-{}", &sha256_bytes(seed.as_bytes())[..8])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_known_instants() {
        let t = UNIX_EPOCH + Duration::from_millis(951_782_400_123); // 2000-02-29
        assert_eq!(format_rfc3339(t), "2000-02-29T00:00:00.123Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_795_319_521);
        assert_eq!(format_rfc3339(t), "2026-11-22T03:52:01.000Z");
    }

    #[test]
    fn run_ids_are_distinct() {
        let a = new_run_id("2026-11-22T03:52:01.000Z");
        let b = new_run_id("2026-11-22T03:52:01.000Z");
        assert!(a.starts_with("20261122T035201Z-"), "{a}");
        assert_ne!(a, b);
    }
}
