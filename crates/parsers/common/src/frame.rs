//! Framing of message-oriented protocols over TCP: where a message ends, and the loop
//! that hands each whole message to a parser and tells the framework what to keep.
//!
//! A parser's `parse` is typically
//!
//! ```ignore
//! const FRAMING: LengthPrefix = LengthPrefix::be(2, 2).range(7, 8192);
//! fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
//!     for_each_frame(data, |b| FRAMING.frame(b), |msg| {
//!         self.message(cx, s, msg, dir);
//!         ControlFlow::Continue(())
//!     })
//! }
//! ```
//!
//! and the framework keeps the bytes of a message that is not whole yet
//! ([`Parsed::Incomplete`]), so that the parser sees it whole the next time.

use std::ops::ControlFlow;

use trawl_session::parsers::Parsed;

/// What the front of a run of bytes holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A whole message of this many bytes, header included.
    Whole(usize),
    /// A message that is not all there yet: it needs this many bytes in all (a
    /// header's size when even the length is not there yet).
    Partial {
        /// Bytes the message needs, from its first byte.
        needed: usize,
    },
    /// Not this protocol: a bad header, or a length out of range.
    Bad,
}

/// The framing of protocols whose header carries the message length: a big- or
/// little-endian length of 1 to 4 bytes at a fixed offset, counting the whole message
/// or the bytes after some header, with a range of whole lengths accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LengthPrefix {
    at: usize,
    width: u8,
    little_endian: bool,
    plus: usize,
    min: usize,
    max: usize,
}

impl LengthPrefix {
    /// A big-endian length of `width` bytes (1 to 4) at offset `at`, counting the
    /// whole message.
    pub const fn be(at: usize, width: u8) -> Self {
        assert!(width >= 1 && width <= 4);
        LengthPrefix {
            at,
            width,
            little_endian: false,
            plus: 0,
            min: 0,
            max: usize::MAX,
        }
    }

    /// A little-endian length of `width` bytes (1 to 4) at offset `at`, counting the
    /// whole message.
    pub const fn le(at: usize, width: u8) -> Self {
        let mut l = Self::be(at, width);
        l.little_endian = true;
        l
    }

    /// The length leaves out `n` bytes (usually the header before and including it):
    /// a message is the length plus `n`.
    pub const fn plus(mut self, n: usize) -> Self {
        self.plus = n;
        self
    }

    /// Whole messages outside `min..=max` bytes are not this protocol.
    pub const fn range(mut self, min: usize, max: usize) -> Self {
        self.min = min;
        self.max = max;
        self
    }

    /// Bytes needed to read the length.
    pub const fn header(&self) -> usize {
        self.at + self.width as usize
    }

    /// The whole length of the message starting `b`, if its length field is there
    /// (not checked against the range).
    pub fn length(&self, b: &[u8]) -> Option<usize> {
        let field = b.get(self.at..self.header())?;
        let v = field.iter().enumerate().fold(0usize, |v, (i, &x)| {
            let shift = if self.little_endian {
                8 * i
            } else {
                8 * (field.len() - 1 - i)
            };
            v | usize::from(x) << shift
        });
        Some(v.saturating_add(self.plus))
    }

    /// What the front of `b` holds.
    pub fn frame(&self, b: &[u8]) -> Frame {
        let Some(len) = self.length(b) else {
            return Frame::Partial {
                needed: self.header(),
            };
        };
        if len < self.min || len > self.max {
            Frame::Bad
        } else if len > b.len() {
            Frame::Partial { needed: len }
        } else {
            Frame::Whole(len)
        }
    }
}

/// Hands each whole message at the front of `data` (as `framing` finds them) to
/// `message`, until one is not whole or `message` breaks with a result. Returns what
/// the parser returns to the framework: [`Parsed::Incomplete`] for the unfinished
/// message (whose bytes the framework keeps), [`Parsed::Error`] at bytes that are not
/// the protocol, or the result `message` broke with.
pub fn for_each_frame(
    data: &[u8],
    framing: impl Fn(&[u8]) -> Frame,
    mut message: impl FnMut(&[u8]) -> ControlFlow<Parsed>,
) -> Parsed {
    let mut at = 0;
    loop {
        let rest = &data[at..];
        match framing(rest) {
            Frame::Whole(n) => {
                // A framing that says a message of no bytes would loop for ever.
                let n = n.clamp(1, rest.len().max(1));
                if rest.is_empty() {
                    return Parsed::Incomplete {
                        consumed: at,
                        needed: 0,
                    };
                }
                if let ControlFlow::Break(p) = message(&rest[..n]) {
                    return p;
                }
                at += n;
            }
            Frame::Partial { needed } => {
                return Parsed::Incomplete {
                    consumed: at,
                    needed,
                }
            }
            Frame::Bad => return Parsed::Error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TPKT: LengthPrefix = LengthPrefix::be(2, 2).range(7, 8192);

    #[test]
    fn reads_lengths_of_each_width_and_order() {
        let b = [0x01, 0x02, 0x03, 0x04, 0x05];
        assert_eq!(LengthPrefix::be(0, 1).length(&b), Some(1));
        assert_eq!(LengthPrefix::be(1, 2).length(&b), Some(0x0203));
        assert_eq!(LengthPrefix::le(1, 2).length(&b), Some(0x0302));
        assert_eq!(LengthPrefix::be(1, 3).length(&b), Some(0x020304));
        assert_eq!(LengthPrefix::le(1, 4).length(&b), Some(0x05040302));
        assert_eq!(LengthPrefix::be(0, 4).plus(4).length(&b), Some(0x01020308));
        assert_eq!(LengthPrefix::be(3, 4).length(&b), None);
    }

    #[test]
    fn frames_whole_partial_and_bad() {
        let f = [3, 0, 0, 7, 2, 0xf0, 0x80, 9];
        assert_eq!(TPKT.frame(&f), Frame::Whole(7));
        assert_eq!(TPKT.frame(&f[..6]), Frame::Partial { needed: 7 });
        assert_eq!(TPKT.frame(&f[..3]), Frame::Partial { needed: 4 });
        assert_eq!(TPKT.frame(&[3, 0, 0, 6]), Frame::Bad);
        assert_eq!(TPKT.frame(&[3, 0, 0x20, 1]), Frame::Bad);
    }

    #[test]
    fn loop_hands_on_whole_messages_and_keeps_the_rest() {
        // Two whole messages, then three bytes of a third of 7.
        let mut d = vec![3, 0, 0, 7, 1, 1, 1, 3, 0, 0, 8, 2, 2, 2, 2];
        d.extend_from_slice(&[3, 0, 0]);
        let mut seen = Vec::new();
        let r = for_each_frame(
            &d,
            |b| TPKT.frame(b),
            |m| {
                seen.push(m.to_vec());
                ControlFlow::Continue(())
            },
        );
        assert_eq!(seen, vec![d[..7].to_vec(), d[7..15].to_vec()]);
        assert_eq!(
            r,
            Parsed::Incomplete {
                consumed: 15,
                needed: 4
            }
        );
        // All whole: nothing kept, nothing needed.
        let r = for_each_frame(&d[..15], |b| TPKT.frame(b), |_| ControlFlow::Continue(()));
        assert_eq!(
            r,
            Parsed::Incomplete {
                consumed: 15,
                needed: 4
            }
        );
    }

    #[test]
    fn loop_stops_at_bad_bytes_or_when_told() {
        let d = [3, 0, 0, 7, 1, 1, 1, 3, 0, 0, 2];
        let mut n = 0;
        let r = for_each_frame(
            &d,
            |b| TPKT.frame(b),
            |_| {
                n += 1;
                ControlFlow::Continue(())
            },
        );
        assert_eq!((r, n), (Parsed::Error, 1));
        let r = for_each_frame(&d, |b| TPKT.frame(b), |_| ControlFlow::Break(Parsed::Skip));
        assert_eq!(r, Parsed::Skip);
    }

    #[test]
    fn a_zero_length_framing_cannot_loop_for_ever() {
        let mut n = 0;
        let r = for_each_frame(
            &[1, 2, 3],
            |_| Frame::Whole(0),
            |_| {
                n += 1;
                ControlFlow::Continue(())
            },
        );
        assert_eq!(n, 3);
        assert_eq!(
            r,
            Parsed::Incomplete {
                consumed: 3,
                needed: 0
            }
        );
    }
}
