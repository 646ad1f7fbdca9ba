//! Base64 decoding with GLib's semantics (`g_base64_decode_step`), which Arkime's
//! parsers use for credentials and attachments: bytes outside the alphabet are
//! skipped, `=` counts as a zero digit that suppresses its output byte, and a decode
//! may be continued across calls (a MIME part arrives line by line).

/// The digit of a base64 byte; `=` is 0, bytes outside the alphabet None.
fn rank(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        b'=' => 0,
        _ => return None,
    }))
}

/// A decode in progress (GLib's `state` and `save`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Step {
    state: i32,
    save: u32,
}

impl Step {
    /// Decodes `input`, appending whole groups to `out`; returns the bytes appended.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> usize {
        let before = out.len();
        let mut v = self.save;
        let mut i = self.state;
        let mut last = [0u8; 2];
        if i < 0 {
            i = -i;
            last[0] = b'=';
        }
        for &c in input {
            let Some(r) = rank(c) else { continue };
            last[1] = last[0];
            last[0] = c;
            v = (v << 6) | r;
            i += 1;
            if i == 4 {
                out.push((v >> 16) as u8);
                if last[1] != b'=' {
                    out.push((v >> 8) as u8);
                }
                if last[0] != b'=' {
                    out.push(v as u8);
                }
                i = 0;
            }
        }
        self.save = v;
        self.state = if last[0] == b'=' { -i } else { i };
        out.len() - before
    }
}

/// A whole decode (`g_base64_decode_inplace`): fewer than two bytes decode to nothing.
pub fn decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 3);
    if input.len() > 1 {
        Step::default().decode(input, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_glib() {
        assert_eq!(decode(b"aGk="), b"hi");
        assert_eq!(decode(b"aA=="), b"h");
        assert_eq!(decode(b"a G\r\nk ="), b"hi");
        assert_eq!(decode(b"YWJj"), b"abc");
        assert_eq!(decode(b"YWJ"), b"", "an incomplete group gives nothing");
        assert_eq!(decode(b"Y"), b"");
        assert_eq!(decode(b"!!"), b"");
    }

    #[test]
    fn continues_across_lines() {
        let text = b"VGhlIHF1aWNrIGJyb3duIGZveA==";
        let mut whole = Vec::new();
        Step::default().decode(text, &mut whole);
        assert_eq!(whole, b"The quick brown fox");
        for cut in 0..text.len() {
            let mut s = Step::default();
            let mut out = Vec::new();
            s.decode(&text[..cut], &mut out);
            s.decode(&text[cut..], &mut out);
            assert_eq!(out, whole, "cut at {cut}");
        }
    }
}
