//! Writing whole files so that a crash or an error never leaves one that
//! looks complete: the bytes go to a hidden temporary file in the same
//! directory, are synced, then renamed over the target.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Write `bytes` to `path` atomically, creating the parent directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let name = path
        .file_name()
        .ok_or_else(|| Error::Other(format!("{}: not a file path", path.display())))?;
    // The process id keeps two runs writing the same target from sharing a
    // temporary file.
    let tmp = dir.join(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    let result = written
        .map_err(|e| Error::io(&tmp, e))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e)));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The most bytes read from a spec or configuration file (TOML or JSON).
pub const SPEC_MAX_BYTES: u64 = 64 << 20;
/// The most bytes read from one data file (a table, a series, a matrix).
pub const DATA_MAX_BYTES: u64 = 2 << 30;

/// A file opened for reading at most a set number of bytes. Inputs are
/// read whole or record by record, so a path such as `/dev/zero`, or a
/// CSV "line" with no end, would otherwise fill memory before any error;
/// past the limit a read fails, naming the limit. FIFOs and process
/// substitutions still work (they are read, not measured).
pub struct LimitedFile {
    file: std::fs::File,
    left: u64,
    limit: u64,
}

/// Opens `path` to read at most `limit` bytes (a regular file that is
/// already larger is refused at once).
pub fn open_limited(path: &Path, limit: u64) -> Result<LimitedFile> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::Other(format!(
            "{}: a folder, not a file",
            path.display()
        )));
    }
    if meta.is_file() && meta.len() > limit {
        return Err(Error::io(path, too_large(limit)));
    }
    Ok(LimitedFile {
        file,
        left: limit,
        limit,
    })
}

fn too_large(limit: u64) -> std::io::Error {
    let shown = if limit < 1 << 20 {
        format!("{limit} bytes")
    } else if limit.is_multiple_of(1 << 30) {
        format!("{} GiB", limit >> 30)
    } else {
        format!("{} MiB", limit >> 20)
    };
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("larger than {shown}, the most read from one input (is the path right?)"),
    )
}

impl std::io::Read for LimitedFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // At the limit: only the end of the file is acceptable.
            let mut probe = [0u8; 1];
            return match self.file.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(too_large(self.limit)),
            };
        }
        let n = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let got = self.file.read(&mut buf[..n])?;
        self.left -= got as u64;
        Ok(got)
    }
}

/// Reads a whole text file of at most `limit` bytes.
pub fn read_text(path: &Path, limit: u64) -> Result<String> {
    use std::io::Read;
    let mut text = String::new();
    open_limited(path, limit)?
        .read_to_string(&mut text)
        .map_err(|e| Error::io(path, e))?;
    Ok(text)
}

/// Reads a whole file of at most `limit` bytes.
pub fn read_bytes(path: &Path, limit: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    open_limited(path, limit)?
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    Ok(bytes)
}

/// Memory the kernel says is available to new allocations (Linux's
/// `MemAvailable`), in bytes; `None` where that is not known.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stop_at_the_limit() {
        let dir = tempfile_dir("limit");
        let path = dir.join("a.txt");
        std::fs::write(&path, "0123456789").unwrap();
        assert_eq!(read_text(&path, 10).unwrap(), "0123456789");
        let e = read_text(&path, 9).unwrap_err().to_string();
        assert!(
            e.contains("a.txt") && e.contains("larger than 9 bytes"),
            "{e}"
        );
        // A device that never ends: refused after the limit, not after memory.
        let e = read_bytes(Path::new("/dev/zero"), 1 << 20)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("/dev/zero") && e.contains("larger than 1 MiB"),
            "{e}"
        );
        let e = read_text(&dir, 10).unwrap_err().to_string();
        assert!(e.contains("a folder"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("didymos-fs-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn writes_whole_file_and_leaves_no_temporary() {
        let dir = std::env::temp_dir().join(format!("didymos-fs-{}", std::process::id()));
        let path = dir.join("sub/out.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
