//! The stdout (or any writer) target: one JSON record per line (NDJSON).

use std::io::Write;

use super::{SendOutcome, Sink};
use crate::record::Record;

pub struct LineSink<'w> {
    out: &'w mut dyn Write,
    /// Flush after each batch, so a paced or rate-limited replay reaches
    /// the reader when it is sent, not when a buffer fills.
    flush_each: bool,
    buf: Vec<u8>,
}

impl<'w> LineSink<'w> {
    pub fn new(out: &'w mut dyn Write, flush_each: bool) -> Self {
        LineSink {
            out,
            flush_each,
            buf: Vec::with_capacity(1 << 16),
        }
    }
    fn write_buf(&mut self) -> std::io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }
}

impl Sink for LineSink<'_> {
    fn send(&mut self, batch: &[Record], _index: u64) -> SendOutcome {
        for r in batch {
            self.buf.extend_from_slice(r.to_wire_json().as_bytes());
            self.buf.push(b'\n');
        }
        let done = if self.flush_each {
            self.write_buf().and_then(|()| self.out.flush())
        } else if self.buf.len() >= 1 << 16 {
            self.write_buf()
        } else {
            Ok(())
        };
        match done {
            Ok(()) => SendOutcome::accepted(batch.len()),
            Err(e) => SendOutcome::failed(batch.len(), format!("write: {e}")),
        }
    }
    fn finish(&mut self) -> Result<(), String> {
        self.write_buf()
            .and_then(|()| self.out.flush())
            .map_err(|e| format!("write: {e}"))
    }
}
