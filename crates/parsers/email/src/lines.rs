//! Lines of each direction for the IMAP and POP3 parsers: split at LF, a CR before it
//! dropped, a line split across packets joined, at most 16 KiB buffered.

/// Most bytes of one unfinished line.
pub const MAX_LINE: usize = 16_384;

/// Each direction's unfinished line.
#[derive(Debug, Default)]
pub struct Lines {
    buf: [Vec<u8>; 2],
}

impl Lines {
    /// Calls `f` with each complete line of `data` (direction `w`) until it returns
    /// false; keeps the unfinished tail. Returns false when a line outgrows
    /// [`MAX_LINE`] (the caller tags and stops) or `f` stopped.
    pub fn feed(&mut self, w: usize, mut data: &[u8], mut f: impl FnMut(&[u8]) -> bool) -> bool {
        let buf = &mut self.buf[w & 1];
        while !data.is_empty() {
            let Some(nl) = data.iter().position(|&c| c == b'\n') else {
                if buf.len() + data.len() > MAX_LINE {
                    return false;
                }
                buf.extend_from_slice(data);
                return true;
            };
            let mut line = &data[..nl];
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            let go_on = if buf.is_empty() {
                f(line)
            } else {
                if buf.len() + line.len() > MAX_LINE {
                    return false;
                }
                buf.extend_from_slice(line);
                // A CR that ended the buffered part (CRLF split across packets).
                if buf.last() == Some(&b'\r') {
                    buf.pop();
                }
                let r = f(buf);
                buf.clear();
                r
            };
            data = &data[nl + 1..];
            if !go_on {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_and_splits() {
        let mut l = Lines::default();
        let mut got = Vec::new();
        for piece in [&b"a1 SEL"[..], b"ECT x\r", b"\nb\r\nc"] {
            assert!(l.feed(0, piece, |line| {
                got.push(line.to_vec());
                true
            }));
        }
        assert_eq!(got, [b"a1 SELECT x".to_vec(), b"b".to_vec()]);
        let big = vec![b'x'; MAX_LINE + 1];
        assert!(!l.feed(1, &big, |_| true));
    }
}
