//! A bounds-checked byte reader with Arkime's "sticky error" semantics: once a read
//! runs past the end, the reader is in error, reports nothing remaining, and every
//! later read fails without changing its target. The TLS fingerprints depend on
//! exactly what happens on truncated input, so the hello parsers use this reader.

/// A reader over borrowed bytes.
#[derive(Clone, Copy, Debug)]
pub struct Bsb<'a> {
    data: &'a [u8],
    pos: usize,
    err: bool,
}

impl<'a> Bsb<'a> {
    /// A reader over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Bsb {
            data,
            pos: 0,
            err: false,
        }
    }

    /// A reader already in error.
    pub fn errored() -> Self {
        Bsb {
            data: &[],
            pos: 0,
            err: true,
        }
    }

    /// Whether a read has failed.
    pub fn is_error(&self) -> bool {
        self.err
    }

    /// Bytes left (0 once in error).
    pub fn remaining(&self) -> usize {
        if self.err {
            0
        } else {
            self.data.len().saturating_sub(self.pos)
        }
    }

    /// The unread bytes.
    pub fn rest(&self) -> &'a [u8] {
        if self.err {
            &[]
        } else {
            self.data.get(self.pos..).unwrap_or(&[])
        }
    }

    /// Takes `n` bytes, or fails (and enters error).
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.err || n > self.remaining() {
            self.err = true;
            return None;
        }
        let s = self.data.get(self.pos..self.pos + n);
        self.pos += n;
        s
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize) {
        let _ = self.take(n);
    }

    /// Reads a byte into `x` (left unchanged on failure).
    pub fn u8_into(&mut self, x: &mut u32) {
        if let Some(b) = self.take(1) {
            *x = u32::from(b[0]);
        }
    }

    /// Reads a big-endian u16 into `x` (left unchanged on failure).
    pub fn u16_into(&mut self, x: &mut u32) {
        if let Some(b) = self.take(2) {
            *x = u32::from(b[0]) << 8 | u32::from(b[1]);
        }
    }

    /// A sub-reader over the next `n` bytes (an errored one if they are not there).
    pub fn sub(&mut self, n: usize) -> Bsb<'a> {
        match self.take(n) {
            Some(s) => Bsb::new(s),
            None => Bsb::errored(),
        }
    }

    /// Limits the reader to `n` more bytes, if that is fewer than it has.
    pub fn shrink(&mut self, n: usize) {
        if !self.err && self.pos + n < self.data.len() {
            self.data = &self.data[..self.pos + n];
        }
    }
}
