//! TPKT (RFC 1006) framing, as the ISO-transport parsers (S7comm, RDP) read it: version
//! 3, a reserved byte, a big-endian length that includes the 4-byte header. Used with
//! [`crate::frame::for_each_frame`].

use crate::frame::{Frame, LengthPrefix};

/// The TPKT header's size.
pub const HEADER: usize = 4;

/// What the front of `b` holds, for frames of `min..=max` bytes (header included):
/// [`Frame::Partial`] until the 4-byte header is there (Arkime reads nothing of a
/// header that is not whole), [`Frame::Bad`] for a version other than 3 or a length out
/// of range.
pub fn frame(b: &[u8], min: usize, max: usize) -> Frame {
    if b.len() < HEADER {
        return Frame::Partial { needed: HEADER };
    }
    if b[0] != 3 {
        return Frame::Bad;
    }
    LengthPrefix::be(2, 2).range(min, max).frame(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames() {
        let f = [3, 0, 0, 7, 2, 0xf0, 0x80, 9];
        assert_eq!(frame(&f, 7, 8192), Frame::Whole(7));
        assert_eq!(frame(&f[..6], 7, 8192), Frame::Partial { needed: 7 });
        assert_eq!(frame(&f[..2], 7, 8192), Frame::Partial { needed: 4 });
        // The version is only judged with the whole header there.
        assert_eq!(frame(&[4, 0, 0], 4, 8192), Frame::Partial { needed: 4 });
        assert_eq!(frame(&f, 8, 8192), Frame::Bad);
        assert_eq!(frame(&[3, 0, 0x20, 1], 4, 8192), Frame::Bad);
        assert_eq!(frame(&[4, 0, 0, 7], 4, 8192), Frame::Bad);
        // A header-only frame is whole.
        assert_eq!(frame(&[3, 0, 0, 4, 3], 4, 8192), Frame::Whole(4));
    }
}
