//! TPKT (RFC 1006) framing, as the ISO-transport parsers (S7comm, RDP) read it from
//! their buffers: version 3, a reserved byte, a big-endian length that includes the
//! 4-byte header.

/// The TPKT header's size.
pub const HEADER: usize = 4;

/// What the start of a buffer holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tpkt {
    /// Not TPKT, or a length outside `min..=max`: the stream is not this protocol.
    Bad,
    /// A frame of this total length (header included) that is not all there yet.
    Partial,
    /// A whole frame of this total length.
    Whole(usize),
}

/// Reads the TPKT header at the start of `b` (which holds at least [`HEADER`] bytes).
pub fn frame(b: &[u8], min: usize, max: usize) -> Tpkt {
    if b.len() < HEADER {
        return Tpkt::Partial;
    }
    if b[0] != 3 {
        return Tpkt::Bad;
    }
    let len = usize::from(u16::from_be_bytes([b[2], b[3]]));
    if !(min..=max).contains(&len) {
        Tpkt::Bad
    } else if len > b.len() {
        Tpkt::Partial
    } else {
        Tpkt::Whole(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames() {
        let f = [3, 0, 0, 7, 2, 0xf0, 0x80, 9];
        assert_eq!(frame(&f, 7, 8192), Tpkt::Whole(7));
        assert_eq!(frame(&f[..6], 7, 8192), Tpkt::Partial);
        assert_eq!(frame(&f[..2], 7, 8192), Tpkt::Partial);
        assert_eq!(frame(&f, 8, 8192), Tpkt::Bad);
        assert_eq!(frame(&[4, 0, 0, 7], 4, 8192), Tpkt::Bad);
    }
}
