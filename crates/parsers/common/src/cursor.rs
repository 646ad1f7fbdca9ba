//! A byte reader with the semantics of Arkime's BSB: reads past the end yield zero
//! and leave the reader empty and in error for good.

/// A reader that, like Arkime's, turns empty for good once a read runs past the end.
pub struct Cur<'a> {
    /// The bytes left.
    pub d: &'a [u8],
    /// A read ran past the end.
    pub err: bool,
}

impl<'a> Cur<'a> {
    /// A reader over `d`.
    pub fn new(d: &'a [u8]) -> Self {
        Cur { d, err: false }
    }
    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize) {
        match self.d.get(n..) {
            Some(r) if !self.err => self.d = r,
            _ => {
                self.err = true;
                self.d = &[];
            }
        }
    }
    /// Reads a byte (0 past the end).
    pub fn u8(&mut self) -> u8 {
        let v = self.d.first().copied().unwrap_or(0);
        self.skip(1);
        v
    }
    /// Reads a big-endian u16 (0 past the end).
    pub fn u16(&mut self) -> u16 {
        let v = match self.d {
            [a, b, ..] => u16::from_be_bytes([*a, *b]),
            _ => 0,
        };
        self.skip(2);
        v
    }
    /// Takes `n` bytes (none past the end).
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let v = self.d.get(..n).unwrap_or(&[]);
        self.skip(n);
        v
    }
}
