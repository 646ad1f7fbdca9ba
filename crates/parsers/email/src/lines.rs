//! Lines of each direction for the IMAP and POP3 parsers: split at LF, a CR before it
//! dropped. The framework keeps an unfinished line ([`Parsed::Incomplete`] with
//! `consumed` at the end of the last whole line, `needed` 0) and hands it back in
//! front of the next bytes; at most [`MAX_LINE`] bytes of one are kept.
//!
//! Arkime's imap.c and pop3.c buffer the unfinished line themselves, and their checks
//! depend on what was buffered, so [`Lines`] remembers how many bytes at the front of
//! the next run are the kept line:
//! * the unfinished line at the end of a run longer than [`MAX_LINE`] is over-long;
//! * a line that began in kept bytes is over-long when longer than [`MAX_LINE`] (its
//!   CR left out); a whole line within one run has no cap;
//! * a line that began in kept bytes and ended in new ones loses a second CR (Arkime
//!   strips the new part's CR, then the joined line's).

use trawl_session::parsers::Parsed;
use trawl_session::Dir;

/// Most bytes of one unfinished line.
pub const MAX_LINE: usize = 16_384;

/// Per direction, the bytes of an unfinished line the framework keeps.
#[derive(Debug, Default)]
pub struct Lines {
    held: [usize; 2],
}

/// Why [`Lines::feed`] stopped before the end of the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The line callback said so.
    Asked,
    /// A line outgrew [`MAX_LINE`] (the caller tags and unregisters).
    TooLong,
}

/// A line without its LF and the CR before it.
fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

impl Lines {
    /// Calls `f` with each whole line of `data` (direction `w`: the unfinished line
    /// kept from its last run, then new bytes) until it returns false. Returns what
    /// to tell the framework (the unfinished line to keep), or why it stopped.
    pub fn feed(
        &mut self,
        w: Dir,
        data: &[u8],
        mut f: impl FnMut(&[u8]) -> bool,
    ) -> Result<Parsed, Stop> {
        let held = std::mem::take(&mut self.held[w]).min(data.len());
        let mut at = 0;
        while let Some(nl) = data[at..].iter().position(|&c| c == b'\n') {
            let nl = at + nl;
            let mut line = strip_cr(&data[at..nl]);
            if at == 0 && held > 0 {
                if line.len() > MAX_LINE {
                    return Err(Stop::TooLong);
                }
                if nl > held {
                    line = strip_cr(line);
                }
            }
            at = nl + 1;
            if !f(line) {
                return Err(Stop::Asked);
            }
        }
        let rest = data.len() - at;
        if rest > MAX_LINE {
            return Err(Stop::TooLong);
        }
        self.held[w] = rest;
        Ok(Parsed::Incomplete {
            consumed: at,
            needed: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The framework's part: keeps what `feed` leaves and hands it back in front.
    fn run(
        l: &mut Lines,
        kept: &mut Vec<u8>,
        w: Dir,
        piece: &[u8],
    ) -> (Vec<Vec<u8>>, Result<Parsed, Stop>) {
        kept.extend_from_slice(piece);
        let mut got = Vec::new();
        let r = l.feed(w, kept, |line| {
            got.push(line.to_vec());
            true
        });
        if let Ok(Parsed::Incomplete { consumed, .. }) = r {
            kept.drain(..consumed);
        }
        (got, r)
    }

    #[test]
    fn joins_and_splits() {
        let mut l = Lines::default();
        let mut kept = Vec::new();
        let mut got = Vec::new();
        for piece in [&b"a1 SEL"[..], b"ECT x\r", b"\nb\r\nc"] {
            let (g, r) = run(&mut l, &mut kept, Dir::Src, piece);
            assert!(r.is_ok());
            got.extend(g);
        }
        assert_eq!(got, [b"a1 SELECT x".to_vec(), b"b".to_vec()]);
        assert_eq!(kept, b"c");
        // The unfinished line kept is longer than the cap.
        let big = vec![b'x'; MAX_LINE + 1];
        assert_eq!(l.feed(Dir::Dst, &big, |_| true), Err(Stop::TooLong));
        // A whole line within one run has no cap.
        let mut long = vec![b'x'; MAX_LINE + 10];
        long.extend_from_slice(b"\r\nok");
        let r = l.feed(Dir::Dst, &long, |_| true);
        assert_eq!(
            r,
            Ok(Parsed::Incomplete {
                consumed: MAX_LINE + 12,
                needed: 0
            })
        );
    }

    #[test]
    fn a_line_that_began_in_kept_bytes_is_capped() {
        let mut l = Lines::default();
        let mut kept = Vec::new();
        let (_, r) = run(&mut l, &mut kept, Dir::Src, &vec![b'x'; MAX_LINE - 2]);
        assert!(r.is_ok());
        // Exactly the cap with its CR left out: read.
        let (g, r) = run(&mut l, &mut kept, Dir::Src, b"yy\r\n");
        assert!(r.is_ok());
        assert_eq!(g[0].len(), MAX_LINE);
        let (_, r) = run(&mut l, &mut kept, Dir::Src, &vec![b'x'; MAX_LINE - 2]);
        assert!(r.is_ok());
        let (_, r) = run(&mut l, &mut kept, Dir::Src, b"yyy\r\n");
        assert_eq!(r, Err(Stop::TooLong));
    }

    #[test]
    fn crs_of_a_line_across_runs_as_arkime() {
        let mut l = Lines::default();
        let mut kept = Vec::new();
        // The new part ends "\r\r": both go.
        let _ = run(&mut l, &mut kept, Dir::Src, b"ab");
        let (g, _) = run(&mut l, &mut kept, Dir::Src, b"c\r\r\n");
        assert_eq!(g, [b"abc".to_vec()]);
        // Within one run only one goes.
        let (g, _) = run(&mut l, &mut kept, Dir::Src, b"abc\r\r\n");
        assert_eq!(g, [b"abc\r".to_vec()]);
        // A CR kept, the LF new: the CR goes.
        let _ = run(&mut l, &mut kept, Dir::Dst, b"ab\r");
        let (g, _) = run(&mut l, &mut kept, Dir::Dst, b"\nd\n");
        assert_eq!(g, [b"ab".to_vec(), b"d".to_vec()]);
        // A callback that stops.
        assert_eq!(l.feed(Dir::Src, b"a\nb\n", |_| false), Err(Stop::Asked));
    }
}
