//! Reading a stream in large shared chunks: records are handed out as (chunk, offset)
//! so packets borrow the bytes read instead of copying them. A record cut by the end
//! of a chunk is carried, alone, to the start of the next one.

use std::io::Read;
use std::sync::Arc;

use crate::Chunk;

/// Default chunk size.
pub const CHUNK_SIZE: usize = 1 << 20;

pub(crate) struct ChunkedSource {
    inner: Box<dyn Read + Send>,
    chunk: Chunk,
    pos: usize,
    base: u64,
    eof: bool,
    /// An error met after some bytes were read: those are handed out first (a
    /// stream cut mid-way keeps the packets before the cut), then this.
    pending: Option<std::io::Error>,
    chunk_size: usize,
}

impl ChunkedSource {
    pub(crate) fn new(inner: Box<dyn Read + Send>, chunk_size: usize) -> Self {
        ChunkedSource {
            inner,
            chunk: Arc::new(Vec::new()),
            pos: 0,
            base: 0,
            eof: false,
            pending: None,
            chunk_size: chunk_size.max(64),
        }
    }

    /// Offset in the stream of the next unread byte.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn available(&self) -> usize {
        self.chunk.len() - self.pos
    }

    /// Makes `n` bytes available at the read position; Ok(false) if the stream ends
    /// before that.
    pub(crate) fn ensure(&mut self, n: usize) -> std::io::Result<bool> {
        if self.available() >= n {
            return Ok(true);
        }
        if self.eof {
            return match self.pending.take() {
                Some(e) => Err(e),
                None => Ok(false),
            };
        }
        let cap = self.chunk_size.max(n);
        let mut next = Vec::with_capacity(cap);
        next.extend_from_slice(&self.chunk[self.pos..]);
        let kept = next.len();
        let want = (cap - kept) as u64;
        match (&mut self.inner).take(want).read_to_end(&mut next) {
            Ok(got) if (got as u64) < want => self.eof = true,
            Ok(_) => {}
            // Nothing new: the error now.
            Err(e) if next.len() == kept => return Err(e),
            // Bytes before the error (read_to_end keeps them): those first.
            Err(e) => {
                self.eof = true;
                self.pending = Some(e);
            }
        }
        self.base += self.pos as u64;
        self.pos = 0;
        self.chunk = Arc::new(next);
        if self.available() >= n {
            return Ok(true);
        }
        match self.pending.take() {
            Some(e) => Err(e),
            None => Ok(false),
        }
    }

    /// The next `n` available bytes (call [`Self::ensure`] first).
    pub(crate) fn peek(&self, n: usize) -> &[u8] {
        let end = (self.pos + n).min(self.chunk.len());
        &self.chunk[self.pos..end]
    }

    /// Consumes `n` bytes, returning the chunk and their offset in it.
    pub(crate) fn take(&mut self, n: usize) -> (Chunk, u32) {
        let start = self.pos;
        self.pos = (self.pos + n).min(self.chunk.len());
        (Arc::clone(&self.chunk), start as u32)
    }

    /// Bytes left in the stream's current chunk (for error messages at the end).
    pub(crate) fn remaining_in_chunk(&self) -> usize {
        self.available()
    }
}
