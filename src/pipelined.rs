//! Encoding on one thread while another writes.
//!
//! Writing a multi-megabyte image is two costs of the same order: encoding
//! it (HEX records: user time) and copying the bytes into the page cache
//! (the `write` calls: system time). [`write_pipelined`] runs the encoder
//! on a second thread that hands over 64 KiB blocks, so the two overlap;
//! at most three blocks exist at a time, so memory stays flat.

use std::io::{self, Write};
use std::sync::mpsc::{self, Receiver, SyncSender};

/// Bytes per block handed from the encoder to the writer.
const BLOCK: usize = 64 * 1024;

/// Writes to `out` what `encode` writes, `encode` running on another thread.
///
/// A failed write stops the encoder at its next block; the error returned
/// is then the write's. An encoder error is returned as is, after the
/// blocks before it were written.
pub fn write_pipelined<E>(out: &mut dyn Write, encode: E) -> io::Result<()>
where
    E: FnOnce(&mut dyn Write) -> io::Result<()> + Send,
{
    let (filled_sender, filled) = mpsc::sync_channel(1);
    let (empty_sender, empty) = mpsc::channel();
    std::thread::scope(|scope| {
        let encoder = scope.spawn(move || {
            let mut blocks = Blocks {
                current: Vec::with_capacity(BLOCK),
                filled: filled_sender,
                empty,
            };
            encode(&mut blocks)?;
            blocks.hand_over()
        });
        let mut written = Ok(());
        for mut block in &filled {
            written = out.write_all(&block);
            if written.is_err() {
                break;
            }
            block.clear();
            // The encoder may be gone already, with nothing left to fill.
            let _ = empty_sender.send(block);
        }
        // Unblocks an encoder waiting to hand over a block after a failure.
        drop(filled);
        let encoded = encoder
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        written.and(encoded)
    })
}

/// The encoder's end: fills a block and hands it over when it is full.
struct Blocks {
    current: Vec<u8>,
    filled: SyncSender<Vec<u8>>,
    /// Blocks the writer is done with, to fill again.
    empty: Receiver<Vec<u8>>,
}

impl Blocks {
    fn hand_over(&mut self) -> io::Result<()> {
        if self.current.is_empty() {
            return Ok(());
        }
        let next = self
            .empty
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BLOCK));
        let full = std::mem::replace(&mut self.current, next);
        self.filled
            .send(full)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the writer stopped"))
    }
}

impl Write for Blocks {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.current.len() == BLOCK {
            self.hand_over()?;
        }
        let n = bytes.len().min(BLOCK - self.current.len());
        self.current.extend_from_slice(&bytes[..n]);
        Ok(n)
    }

    /// Blocks go out as they fill and the last one when the encoder is done.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes that fail after `limit` bytes.
    struct FailingAfter {
        written: Vec<u8>,
        limit: usize,
    }

    impl Write for FailingAfter {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            if self.written.len() + bytes.len() > self.limit {
                return Err(io::Error::other("disk full"));
            }
            self.written.extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_byte_arrives_in_order_whatever_the_write_sizes() {
        let expected: Vec<u8> = (0..700_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut out = Vec::new();
        write_pipelined(&mut out, |w| {
            // Small writes, one larger than a block, and an empty one.
            let (head, rest) = expected.split_at(1000);
            for chunk in head.chunks(3) {
                w.write_all(chunk)?;
            }
            w.write_all(&[])?;
            w.write_all(&rest[..200_000])?;
            for chunk in rest[200_000..].chunks(44) {
                w.write_all(chunk)?;
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(out.len(), expected.len());
        assert!(out == expected);
    }

    #[test]
    fn a_failed_write_stops_the_encoder_and_is_the_error() {
        let mut out = FailingAfter {
            written: Vec::new(),
            limit: 3 * BLOCK,
        };
        let mut encoded = 0;
        let error = write_pipelined(&mut out, |w| {
            for _ in 0..100 {
                w.write_all(&[0xAB; BLOCK])?;
                encoded += 1;
            }
            Ok(())
        })
        .unwrap_err();
        assert_eq!(error.to_string(), "disk full");
        assert_eq!(out.written.len(), 3 * BLOCK);
        assert!(encoded < 10, "the encoder went on for {encoded} blocks");
    }

    #[test]
    fn an_encoder_error_comes_after_what_it_wrote() {
        let mut out = Vec::new();
        let error = write_pipelined(&mut out, |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("bad image"))
        })
        .unwrap_err();
        assert_eq!(error.to_string(), "bad image");
        assert!(out.is_empty(), "the unfinished block is not handed over");
    }
}
