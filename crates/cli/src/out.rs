//! Standard output that survives its reader going away.
//!
//! `println!` panics when stdout is a closed pipe, so `didymos prov export
//! RUN | head -1` ended in "failed printing to stdout: Broken pipe". The
//! command's files are its real output and must still be written in full,
//! so a closed stdout only silences what is left to print; any other write
//! error is reported once on stderr.

use std::fmt;
use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static REPORTED: AtomicBool = AtomicBool::new(false);

/// Write `args` to stdout, with a newline when `newline`.
pub fn write(args: fmt::Arguments<'_>, newline: bool) {
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(args).and_then(|()| {
        if newline {
            out.write_all(b"\n")
        } else {
            Ok(())
        }
    });
    if let Err(e) = written {
        if e.kind() != ErrorKind::BrokenPipe && !REPORTED.swap(true, Ordering::Relaxed) {
            eprintln!("warning: cannot write to stdout: {e}");
        }
    }
}

/// `print!` through [`write()`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::out::write(format_args!($($arg)*), false) };
}

/// `println!` through [`write()`].
macro_rules! outln {
    ($($arg:tt)*) => { $crate::out::write(format_args!($($arg)*), true) };
}
