//! The byte reader of every parser, with the semantics of Arkime's BSB ("byte stream
//! buffer"): once a read runs past the end the reader is in error for good, reports
//! nothing remaining, and every later read fails. Numbers read past the end are 0
//! (or, with the `*_into` readers, leave their target unchanged, as Arkime's
//! `BSB_IMPORT_*` macros do); the TLS fingerprints and many fields depend on exactly
//! what happens on truncated input.

/// A reader over borrowed bytes.
#[derive(Clone, Copy, Debug)]
pub struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    err: bool,
}

impl<'a> Cursor<'a> {
    /// A reader over `data`.
    #[inline]
    pub fn new(data: &'a [u8]) -> Self {
        Cursor {
            data,
            pos: 0,
            err: false,
        }
    }

    /// A reader already in error.
    #[inline]
    pub fn errored() -> Self {
        Cursor {
            data: &[],
            pos: 0,
            err: true,
        }
    }

    /// Whether a read has failed.
    #[inline]
    pub fn is_error(&self) -> bool {
        self.err
    }

    /// Bytes read so far.
    #[inline]
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left (0 once in error).
    #[inline]
    pub fn remaining(&self) -> usize {
        if self.err {
            0
        } else {
            self.data.len().saturating_sub(self.pos)
        }
    }

    /// The unread bytes (none once in error).
    #[inline]
    pub fn rest(&self) -> &'a [u8] {
        if self.err {
            &[]
        } else {
            self.data.get(self.pos..).unwrap_or(&[])
        }
    }

    /// Takes `n` bytes, or fails (and enters error).
    #[inline]
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.err || n > self.remaining() {
            self.err = true;
            return None;
        }
        let s = self.data.get(self.pos..self.pos + n);
        self.pos += n;
        s
    }

    /// Takes `n` bytes, or none (and enters error).
    #[inline]
    pub fn take_or_empty(&mut self, n: usize) -> &'a [u8] {
        self.take(n).unwrap_or(&[])
    }

    /// Skips `n` bytes.
    #[inline]
    pub fn skip(&mut self, n: usize) {
        let _ = self.take(n);
    }

    /// Reads `N` bytes.
    #[inline]
    pub fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N).and_then(|b| b.try_into().ok())
    }

    /// Reads a byte (0 past the end).
    #[inline]
    pub fn u8(&mut self) -> u8 {
        self.array::<1>().map_or(0, |b| b[0])
    }

    /// Reads a big-endian u16 (0 past the end).
    #[inline]
    pub fn be16(&mut self) -> u16 {
        self.array().map_or(0, u16::from_be_bytes)
    }

    /// Reads a little-endian u16 (0 past the end).
    #[inline]
    pub fn le16(&mut self) -> u16 {
        self.array().map_or(0, u16::from_le_bytes)
    }

    /// Reads a big-endian 24-bit number (0 past the end).
    #[inline]
    pub fn be24(&mut self) -> u32 {
        self.array::<3>()
            .map_or(0, |b| u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }

    /// Reads a big-endian u32 (0 past the end).
    #[inline]
    pub fn be32(&mut self) -> u32 {
        self.array().map_or(0, u32::from_be_bytes)
    }

    /// Reads a little-endian u32 (0 past the end).
    #[inline]
    pub fn le32(&mut self) -> u32 {
        self.array().map_or(0, u32::from_le_bytes)
    }

    /// Reads a big-endian u64 (0 past the end).
    #[inline]
    pub fn be64(&mut self) -> u64 {
        self.array().map_or(0, u64::from_be_bytes)
    }

    /// Reads a little-endian u64 (0 past the end).
    #[inline]
    pub fn le64(&mut self) -> u64 {
        self.array().map_or(0, u64::from_le_bytes)
    }

    /// Reads a byte into `x` (left unchanged past the end).
    #[inline]
    pub fn u8_into(&mut self, x: &mut u32) {
        if let Some(b) = self.array::<1>() {
            *x = u32::from(b[0]);
        }
    }

    /// Reads a big-endian u16 into `x` (left unchanged past the end).
    #[inline]
    pub fn be16_into(&mut self, x: &mut u32) {
        if let Some(b) = self.array() {
            *x = u32::from(u16::from_be_bytes(b));
        }
    }

    /// A reader over the next `n` bytes (an errored one if they are not there).
    #[inline]
    pub fn sub(&mut self, n: usize) -> Cursor<'a> {
        match self.take(n) {
            Some(s) => Cursor::new(s),
            None => Cursor::errored(),
        }
    }

    /// Limits the reader to `n` more bytes, if that is fewer than it has.
    #[inline]
    pub fn shrink(&mut self, n: usize) {
        if !self.err && self.pos + n < self.data.len() {
            self.data = &self.data[..self.pos + n];
        }
    }
}

/// Numbers at a position of a fixed layout, read out of order (a header's length field,
/// a descriptor's offset): None when the bytes are not all there.
pub mod at {
    fn bytes<const N: usize>(d: &[u8], at: usize) -> Option<[u8; N]> {
        d.get(at..at.checked_add(N)?)?.try_into().ok()
    }

    /// A big-endian u16 at `at`.
    #[inline]
    pub fn be16(d: &[u8], at: usize) -> Option<u16> {
        bytes(d, at).map(u16::from_be_bytes)
    }

    /// A little-endian u16 at `at`.
    #[inline]
    pub fn le16(d: &[u8], at: usize) -> Option<u16> {
        bytes(d, at).map(u16::from_le_bytes)
    }

    /// A big-endian 24-bit number at `at`.
    #[inline]
    pub fn be24(d: &[u8], at: usize) -> Option<u32> {
        bytes::<3>(d, at).map(|[a, b, c]| u32::from_be_bytes([0, a, b, c]))
    }

    /// A big-endian u32 at `at`.
    #[inline]
    pub fn be32(d: &[u8], at: usize) -> Option<u32> {
        bytes(d, at).map(u32::from_be_bytes)
    }

    /// A little-endian u32 at `at`.
    #[inline]
    pub fn le32(d: &[u8], at: usize) -> Option<u32> {
        bytes(d, at).map(u32::from_le_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::Cursor;

    #[test]
    fn reads_numbers_in_both_orders() {
        let d = [
            1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
        ];
        let mut c = Cursor::new(&d);
        assert_eq!(c.u8(), 1);
        assert_eq!(c.be16(), 0x0203);
        assert_eq!(c.le16(), 0x0504);
        assert_eq!(c.be24(), 0x060708);
        assert_eq!(c.be32(), 0x090a0b0c);
        assert_eq!(c.le32(), 0x100f0e0d);
        assert_eq!(c.pos(), 16);
        assert_eq!(c.rest(), &[17, 18, 19]);
        let mut c = Cursor::new(&d);
        assert_eq!(c.be64(), 0x0102030405060708);
        assert_eq!(c.le64(), 0x100f0e0d0c0b0a09);
    }

    #[test]
    fn a_read_past_the_end_is_an_error_for_good() {
        let d = [1, 2, 3];
        let mut c = Cursor::new(&d);
        assert_eq!(c.be32(), 0);
        assert!(c.is_error());
        assert_eq!(c.remaining(), 0);
        assert_eq!(c.rest(), &[] as &[u8]);
        // Bytes that were there are not readable any more.
        assert_eq!(c.u8(), 0);
        assert_eq!(c.take(0), None);
        let mut x = 7;
        c.u8_into(&mut x);
        c.be16_into(&mut x);
        assert_eq!(x, 7);
    }

    #[test]
    fn into_readers_set_their_target_when_the_bytes_are_there() {
        let mut c = Cursor::new(&[0xab, 0x01, 0x02]);
        let mut x = 0;
        c.u8_into(&mut x);
        assert_eq!(x, 0xab);
        c.be16_into(&mut x);
        assert_eq!(x, 0x0102);
    }

    #[test]
    fn sub_readers_and_shrinking() {
        let d = [1, 2, 3, 4, 5, 6];
        let mut c = Cursor::new(&d);
        let mut s = c.sub(2);
        assert_eq!((s.u8(), s.u8(), s.remaining()), (1, 2, 0));
        assert!(c.sub(9).is_error());
        assert!(c.is_error());
        let mut c = Cursor::new(&d);
        c.skip(1);
        c.shrink(2);
        assert_eq!(c.rest(), &[2, 3]);
        c.shrink(5);
        assert_eq!(c.rest(), &[2, 3]);
        assert_eq!(c.take_or_empty(3), &[] as &[u8]);
    }

    #[test]
    fn numbers_at_a_position() {
        let d = [1, 2, 3, 4, 5];
        assert_eq!(super::at::be16(&d, 3), Some(0x0405));
        assert_eq!(super::at::le16(&d, 0), Some(0x0201));
        assert_eq!(super::at::be24(&d, 2), Some(0x030405));
        assert_eq!(super::at::be32(&d, 1), Some(0x02030405));
        assert_eq!(super::at::le32(&d, 0), Some(0x04030201));
        assert_eq!(super::at::be16(&d, 4), None);
        assert_eq!(super::at::be24(&d, 3), None);
        assert_eq!(super::at::le32(&d, 2), None);
        assert_eq!(super::at::le32(&d, usize::MAX), None);
    }
}
