//! HPACK (RFC 7541) header block decoding, as nghttp2's inflater does it for Arkime's
//! HTTP/2 parser: static and dynamic tables, Huffman strings, dynamic table size
//! updates, and header blocks fed in pieces (a HEADERS frame, then CONTINUATIONs).
//!
//! nghttp2's rules kept here: a table size update is allowed only before the first
//! header of a block and up to 4096 (its default, which Arkime never changes); string
//! lengths are capped at 65536; an integer that overflows 32 bits, an index of 0 or past
//! the tables, a Huffman string with EOS or with more than 7 bits of padding (or
//! padding that is not all ones), and a block that ends inside a representation are
//! errors; after an error the inflater stays broken and every later call fails.

use std::collections::VecDeque;

/// nghttp2's default (and, in Arkime, only) dynamic table size.
pub const DEFAULT_TABLE_SIZE: usize = 4096;
/// Longest name or value nghttp2 accepts.
const MAX_STRING: u64 = 65536;
/// Bytes an entry costs beyond its name and value.
const ENTRY_OVERHEAD: usize = 32;

/// The inflater is broken: the input was not valid HPACK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError;

/// What the header callback tells the inflater.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Go on decoding.
    Continue,
    /// Stop here and forget the rest of the block (nghttp2's end of headers).
    Stop,
}

/// How a call ended (when it did not fail).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inflated {
    /// All input used; the block goes on in the next piece.
    More,
    /// The block ended (the piece was its last).
    Final,
    /// The callback stopped it.
    Stopped,
}

/// One representation, decoded.
enum Rep {
    SizeUpdate(usize),
    Header(Vec<u8>, Vec<u8>, bool),
}

/// A header block decoder for one direction of a connection.
#[derive(Debug)]
pub struct Inflater {
    /// Newest entry first.
    table: VecDeque<(Vec<u8>, Vec<u8>)>,
    /// Sum of the entries' sizes.
    size: usize,
    /// Current maximum size (changed by size updates).
    max_size: usize,
    /// The most a size update may ask for.
    settings_max: usize,
    /// Bytes of a representation not yet complete.
    pending: Vec<u8>,
    /// A header was decoded in the current block (no size update allowed now).
    in_block: bool,
    bad: bool,
}

impl Default for Inflater {
    fn default() -> Self {
        Inflater::with_table_size(DEFAULT_TABLE_SIZE)
    }
}

impl Inflater {
    /// An inflater whose dynamic table holds at most `max` bytes.
    pub fn with_table_size(max: usize) -> Self {
        Inflater {
            table: VecDeque::new(),
            size: 0,
            max_size: max,
            settings_max: max,
            pending: Vec::new(),
            in_block: false,
            bad: false,
        }
    }

    /// Entries of the dynamic table, newest first.
    pub fn entries(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.table.iter().map(|(n, v)| (n.as_slice(), v.as_slice()))
    }

    /// Size of the dynamic table in RFC 7541 terms.
    pub fn table_size(&self) -> usize {
        self.size
    }

    /// Whether an error broke it.
    pub fn is_bad(&self) -> bool {
        self.bad
    }

    /// Ends the current block (nghttp2's `nghttp2_hd_inflate_end_headers`).
    pub fn end_headers(&mut self) {
        self.in_block = false;
        self.pending.clear();
    }

    /// Decodes a piece of a header block, calling `emit` with each header's name and
    /// value; `last` when the piece ends the block (END_HEADERS).
    pub fn inflate(
        &mut self,
        input: &[u8],
        last: bool,
        mut emit: impl FnMut(&[u8], &[u8]) -> Flow,
    ) -> Result<Inflated, DecodeError> {
        if self.bad {
            return Err(DecodeError);
        }
        let mut buf = std::mem::take(&mut self.pending);
        buf.extend_from_slice(input);
        let mut pos = 0;
        while pos < buf.len() {
            match self.decode_one(&buf[pos..]) {
                Err(e) => {
                    self.bad = true;
                    return Err(e);
                }
                Ok(None) => {
                    if last {
                        // The block ends inside a representation.
                        self.bad = true;
                        return Err(DecodeError);
                    }
                    self.pending = buf.split_off(pos);
                    return Ok(Inflated::More);
                }
                Ok(Some((n, rep))) => {
                    pos += n;
                    match rep {
                        Rep::SizeUpdate(v) => {
                            self.max_size = v;
                            self.evict(0);
                        }
                        Rep::Header(name, value, index) => {
                            self.in_block = true;
                            if index {
                                self.insert(&name, &value);
                            }
                            if emit(&name, &value) == Flow::Stop {
                                self.end_headers();
                                return Ok(Inflated::Stopped);
                            }
                        }
                    }
                }
            }
        }
        Ok(if last {
            Inflated::Final
        } else {
            Inflated::More
        })
    }

    /// Evicts the oldest entries until `room` more bytes fit.
    fn evict(&mut self, room: usize) {
        while self.size + room > self.max_size {
            let Some((n, v)) = self.table.pop_back() else {
                break;
            };
            self.size -= n.len() + v.len() + ENTRY_OVERHEAD;
        }
    }

    fn insert(&mut self, name: &[u8], value: &[u8]) {
        let room = name.len() + value.len() + ENTRY_OVERHEAD;
        self.evict(room);
        // An entry bigger than the table empties it and is not kept.
        if room <= self.max_size {
            self.table.push_front((name.to_vec(), value.to_vec()));
            self.size += room;
        }
    }

    /// The entry at 1-based `index` (static table first).
    fn get(&self, index: u32) -> Option<(&[u8], &[u8])> {
        let i = usize::try_from(index).ok()?.checked_sub(1)?;
        if let Some((n, v)) = STATIC_TABLE.get(i) {
            return Some((n.as_bytes(), v.as_bytes()));
        }
        self.table
            .get(i - STATIC_TABLE.len())
            .map(|(n, v)| (n.as_slice(), v.as_slice()))
    }

    /// The largest valid index.
    fn max_index(&self) -> u64 {
        (self.table.len() + STATIC_TABLE.len()) as u64
    }

    /// One representation from the start of `b` (not empty): its length and what it
    /// says, None when `b` ends inside it.
    fn decode_one(&self, b: &[u8]) -> Result<Option<(usize, Rep)>, DecodeError> {
        let first = b[0];
        if first & 0xe0 == 0x20 {
            if self.in_block {
                return Err(DecodeError);
            }
            let max = self.settings_max as u64;
            return Ok(integer(b, 5, max)?.map(|(v, n)| (n, Rep::SizeUpdate(v as usize))));
        }
        if first & 0x80 != 0 {
            let Some((idx, n)) = integer(b, 7, self.max_index())? else {
                return Ok(None);
            };
            let (name, value) = self.get(idx).ok_or(DecodeError)?;
            return Ok(Some((n, Rep::Header(name.to_vec(), value.to_vec(), false))));
        }
        let index = first & 0x40 != 0;
        let (name, mut pos) = if first == 0x40 || first == 0 || first == 0x10 {
            let Some((name, n)) = string(&b[1..])? else {
                return Ok(None);
            };
            (name, 1 + n)
        } else {
            let prefix = if index { 6 } else { 4 };
            let Some((idx, n)) = integer(b, prefix, self.max_index())? else {
                return Ok(None);
            };
            let (name, _) = self.get(idx).ok_or(DecodeError)?;
            (name.to_vec(), n)
        };
        let Some((value, n)) = string(&b[pos..])? else {
            return Ok(None);
        };
        pos += n;
        Ok(Some((pos, Rep::Header(name, value, index))))
    }
}

/// An integer with a `prefix`-bit prefix (nghttp2's `decode_length`: at most 32 bits,
/// checked against `max` as it grows): the value and its length, None when `b` ends
/// first.
fn integer(b: &[u8], prefix: u32, max: u64) -> Result<Option<(u32, usize)>, DecodeError> {
    let k = (1u32 << prefix) - 1;
    let Some(&first) = b.first() else {
        return Ok(None);
    };
    let mut n = u32::from(first) & k;
    if n != k {
        if u64::from(n) > max {
            return Err(DecodeError);
        }
        return Ok(Some((n, 1)));
    }
    let mut shift = 0u32;
    for (i, &c) in b.iter().enumerate().skip(1) {
        let add = u32::from(c & 0x7f);
        if shift >= 32 || (u32::MAX >> shift) < add {
            return Err(DecodeError);
        }
        let add = add << shift;
        n = n.checked_add(add).ok_or(DecodeError)?;
        if u64::from(n) > max {
            return Err(DecodeError);
        }
        if c & 0x80 == 0 {
            return Ok(Some((n, i + 1)));
        }
        shift += 7;
    }
    if u64::from(n) > max {
        return Err(DecodeError);
    }
    Ok(None)
}

/// A string literal: its bytes (Huffman-decoded when flagged) and its length on the
/// wire, None when `b` ends first (a Huffman string already broken fails at once).
fn string(b: &[u8]) -> Result<Option<(Vec<u8>, usize)>, DecodeError> {
    let Some(&first) = b.first() else {
        return Ok(None);
    };
    let huffman = first & 0x80 != 0;
    let Some((len, n)) = integer(b, 7, MAX_STRING)? else {
        return Ok(None);
    };
    let len = len as usize;
    let rest = &b[n..];
    if rest.len() < len {
        if huffman {
            huffman_decode(rest, false)?;
        }
        return Ok(None);
    }
    let raw = &rest[..len];
    let v = if huffman {
        huffman_decode(raw, true)?
    } else {
        raw.to_vec()
    };
    Ok(Some((v, n + len)))
}

/// The Huffman decoding tree: per node, the child for bit 0 and bit 1; a child below
/// 0x8000 is a node, else 0x8000 + the symbol.
fn tree() -> &'static [[u16; 2]] {
    static TREE: std::sync::OnceLock<Vec<[u16; 2]>> = std::sync::OnceLock::new();
    TREE.get_or_init(|| {
        let mut nodes: Vec<[u16; 2]> = vec![[0, 0]];
        for (sym, &(code, len)) in HUFFMAN.iter().enumerate() {
            let mut at = 0usize;
            for i in (0..len).rev() {
                let bit = ((code >> i) & 1) as usize;
                if i == 0 {
                    nodes[at][bit] = 0x8000 + sym as u16;
                } else {
                    if nodes[at][bit] == 0 {
                        nodes.push([0, 0]);
                        nodes[at][bit] = (nodes.len() - 1) as u16;
                    }
                    at = usize::from(nodes[at][bit]);
                }
            }
        }
        nodes
    })
}

/// Decodes a Huffman string; `fin`: it is whole (so its padding is checked).
pub fn huffman_decode(b: &[u8], fin: bool) -> Result<Vec<u8>, DecodeError> {
    let t = tree();
    let mut out = Vec::with_capacity(b.len() * 8 / 5);
    let mut at = 0usize;
    // Bits since the last symbol, and whether all were ones.
    let mut depth = 0u32;
    let mut ones = true;
    for &c in b {
        for i in (0..8).rev() {
            let bit = usize::from((c >> i) & 1);
            let next = t.get(at).map_or(0, |n| n[bit]);
            depth += 1;
            ones &= bit == 1;
            if next >= 0x8000 {
                let sym = next - 0x8000;
                if sym > 255 {
                    // EOS inside a string.
                    return Err(DecodeError);
                }
                out.push(sym as u8);
                at = 0;
                depth = 0;
                ones = true;
            } else if next == 0 {
                return Err(DecodeError);
            } else {
                at = usize::from(next);
            }
        }
    }
    if fin && (depth > 7 || !ones) {
        return Err(DecodeError);
    }
    Ok(out)
}

/// RFC 7541 Appendix B: each symbol's Huffman code (left-aligned in the low
/// `len` bits of the `u32`) and its length in bits; symbol 256 is EOS.
const HUFFMAN: [(u32, u8); 257] = [
    (0x1ff8, 13),
    (0x7fffd8, 23),
    (0xfffffe2, 28),
    (0xfffffe3, 28),
    (0xfffffe4, 28),
    (0xfffffe5, 28),
    (0xfffffe6, 28),
    (0xfffffe7, 28),
    (0xfffffe8, 28),
    (0xffffea, 24),
    (0x3ffffffc, 30),
    (0xfffffe9, 28),
    (0xfffffea, 28),
    (0x3ffffffd, 30),
    (0xfffffeb, 28),
    (0xfffffec, 28),
    (0xfffffed, 28),
    (0xfffffee, 28),
    (0xfffffef, 28),
    (0xffffff0, 28),
    (0xffffff1, 28),
    (0xffffff2, 28),
    (0x3ffffffe, 30),
    (0xffffff3, 28),
    (0xffffff4, 28),
    (0xffffff5, 28),
    (0xffffff6, 28),
    (0xffffff7, 28),
    (0xffffff8, 28),
    (0xffffff9, 28),
    (0xffffffa, 28),
    (0xffffffb, 28),
    (0x14, 6),
    (0x3f8, 10),
    (0x3f9, 10),
    (0xffa, 12),
    (0x1ff9, 13),
    (0x15, 6),
    (0xf8, 8),
    (0x7fa, 11),
    (0x3fa, 10),
    (0x3fb, 10),
    (0xf9, 8),
    (0x7fb, 11),
    (0xfa, 8),
    (0x16, 6),
    (0x17, 6),
    (0x18, 6),
    (0x0, 5),
    (0x1, 5),
    (0x2, 5),
    (0x19, 6),
    (0x1a, 6),
    (0x1b, 6),
    (0x1c, 6),
    (0x1d, 6),
    (0x1e, 6),
    (0x1f, 6),
    (0x5c, 7),
    (0xfb, 8),
    (0x7ffc, 15),
    (0x20, 6),
    (0xffb, 12),
    (0x3fc, 10),
    (0x1ffa, 13),
    (0x21, 6),
    (0x5d, 7),
    (0x5e, 7),
    (0x5f, 7),
    (0x60, 7),
    (0x61, 7),
    (0x62, 7),
    (0x63, 7),
    (0x64, 7),
    (0x65, 7),
    (0x66, 7),
    (0x67, 7),
    (0x68, 7),
    (0x69, 7),
    (0x6a, 7),
    (0x6b, 7),
    (0x6c, 7),
    (0x6d, 7),
    (0x6e, 7),
    (0x6f, 7),
    (0x70, 7),
    (0x71, 7),
    (0x72, 7),
    (0xfc, 8),
    (0x73, 7),
    (0xfd, 8),
    (0x1ffb, 13),
    (0x7fff0, 19),
    (0x1ffc, 13),
    (0x3ffc, 14),
    (0x22, 6),
    (0x7ffd, 15),
    (0x3, 5),
    (0x23, 6),
    (0x4, 5),
    (0x24, 6),
    (0x5, 5),
    (0x25, 6),
    (0x26, 6),
    (0x27, 6),
    (0x6, 5),
    (0x74, 7),
    (0x75, 7),
    (0x28, 6),
    (0x29, 6),
    (0x2a, 6),
    (0x7, 5),
    (0x2b, 6),
    (0x76, 7),
    (0x2c, 6),
    (0x8, 5),
    (0x9, 5),
    (0x2d, 6),
    (0x77, 7),
    (0x78, 7),
    (0x79, 7),
    (0x7a, 7),
    (0x7b, 7),
    (0x7ffe, 15),
    (0x7fc, 11),
    (0x3ffd, 14),
    (0x1ffd, 13),
    (0xffffffc, 28),
    (0xfffe6, 20),
    (0x3fffd2, 22),
    (0xfffe7, 20),
    (0xfffe8, 20),
    (0x3fffd3, 22),
    (0x3fffd4, 22),
    (0x3fffd5, 22),
    (0x7fffd9, 23),
    (0x3fffd6, 22),
    (0x7fffda, 23),
    (0x7fffdb, 23),
    (0x7fffdc, 23),
    (0x7fffdd, 23),
    (0x7fffde, 23),
    (0xffffeb, 24),
    (0x7fffdf, 23),
    (0xffffec, 24),
    (0xffffed, 24),
    (0x3fffd7, 22),
    (0x7fffe0, 23),
    (0xffffee, 24),
    (0x7fffe1, 23),
    (0x7fffe2, 23),
    (0x7fffe3, 23),
    (0x7fffe4, 23),
    (0x1fffdc, 21),
    (0x3fffd8, 22),
    (0x7fffe5, 23),
    (0x3fffd9, 22),
    (0x7fffe6, 23),
    (0x7fffe7, 23),
    (0xffffef, 24),
    (0x3fffda, 22),
    (0x1fffdd, 21),
    (0xfffe9, 20),
    (0x3fffdb, 22),
    (0x3fffdc, 22),
    (0x7fffe8, 23),
    (0x7fffe9, 23),
    (0x1fffde, 21),
    (0x7fffea, 23),
    (0x3fffdd, 22),
    (0x3fffde, 22),
    (0xfffff0, 24),
    (0x1fffdf, 21),
    (0x3fffdf, 22),
    (0x7fffeb, 23),
    (0x7fffec, 23),
    (0x1fffe0, 21),
    (0x1fffe1, 21),
    (0x3fffe0, 22),
    (0x1fffe2, 21),
    (0x7fffed, 23),
    (0x3fffe1, 22),
    (0x7fffee, 23),
    (0x7fffef, 23),
    (0xfffea, 20),
    (0x3fffe2, 22),
    (0x3fffe3, 22),
    (0x3fffe4, 22),
    (0x7ffff0, 23),
    (0x3fffe5, 22),
    (0x3fffe6, 22),
    (0x7ffff1, 23),
    (0x3ffffe0, 26),
    (0x3ffffe1, 26),
    (0xfffeb, 20),
    (0x7fff1, 19),
    (0x3fffe7, 22),
    (0x7ffff2, 23),
    (0x3fffe8, 22),
    (0x1ffffec, 25),
    (0x3ffffe2, 26),
    (0x3ffffe3, 26),
    (0x3ffffe4, 26),
    (0x7ffffde, 27),
    (0x7ffffdf, 27),
    (0x3ffffe5, 26),
    (0xfffff1, 24),
    (0x1ffffed, 25),
    (0x7fff2, 19),
    (0x1fffe3, 21),
    (0x3ffffe6, 26),
    (0x7ffffe0, 27),
    (0x7ffffe1, 27),
    (0x3ffffe7, 26),
    (0x7ffffe2, 27),
    (0xfffff2, 24),
    (0x1fffe4, 21),
    (0x1fffe5, 21),
    (0x3ffffe8, 26),
    (0x3ffffe9, 26),
    (0xffffffd, 28),
    (0x7ffffe3, 27),
    (0x7ffffe4, 27),
    (0x7ffffe5, 27),
    (0xfffec, 20),
    (0xfffff3, 24),
    (0xfffed, 20),
    (0x1fffe6, 21),
    (0x3fffe9, 22),
    (0x1fffe7, 21),
    (0x1fffe8, 21),
    (0x7ffff3, 23),
    (0x3fffea, 22),
    (0x3fffeb, 22),
    (0x1ffffee, 25),
    (0x1ffffef, 25),
    (0xfffff4, 24),
    (0xfffff5, 24),
    (0x3ffffea, 26),
    (0x7ffff4, 23),
    (0x3ffffeb, 26),
    (0x7ffffe6, 27),
    (0x3ffffec, 26),
    (0x3ffffed, 26),
    (0x7ffffe7, 27),
    (0x7ffffe8, 27),
    (0x7ffffe9, 27),
    (0x7ffffea, 27),
    (0x7ffffeb, 27),
    (0xffffffe, 28),
    (0x7ffffec, 27),
    (0x7ffffed, 27),
    (0x7ffffee, 27),
    (0x7ffffef, 27),
    (0x7fffff0, 27),
    (0x3ffffee, 26),
    (0x3fffffff, 30),
];

/// RFC 7541 Appendix A: the static table (index 1 first).
const STATIC_TABLE: [(&str, &str); 61] = [
    (":authority", ""),
    (":method", "GET"),
    (":method", "POST"),
    (":path", "/"),
    (":path", "/index.html"),
    (":scheme", "http"),
    (":scheme", "https"),
    (":status", "200"),
    (":status", "204"),
    (":status", "206"),
    (":status", "304"),
    (":status", "400"),
    (":status", "404"),
    (":status", "500"),
    ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"),
    ("accept-language", ""),
    ("accept-ranges", ""),
    ("accept", ""),
    ("access-control-allow-origin", ""),
    ("age", ""),
    ("allow", ""),
    ("authorization", ""),
    ("cache-control", ""),
    ("content-disposition", ""),
    ("content-encoding", ""),
    ("content-language", ""),
    ("content-length", ""),
    ("content-location", ""),
    ("content-range", ""),
    ("content-type", ""),
    ("cookie", ""),
    ("date", ""),
    ("etag", ""),
    ("expect", ""),
    ("expires", ""),
    ("from", ""),
    ("host", ""),
    ("if-match", ""),
    ("if-modified-since", ""),
    ("if-none-match", ""),
    ("if-range", ""),
    ("if-unmodified-since", ""),
    ("last-modified", ""),
    ("link", ""),
    ("location", ""),
    ("max-forwards", ""),
    ("proxy-authenticate", ""),
    ("proxy-authorization", ""),
    ("range", ""),
    ("referer", ""),
    ("refresh", ""),
    ("retry-after", ""),
    ("server", ""),
    ("set-cookie", ""),
    ("strict-transport-security", ""),
    ("transfer-encoding", ""),
    ("user-agent", ""),
    ("vary", ""),
    ("via", ""),
    ("www-authenticate", ""),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    type Pairs = Vec<(String, String)>;

    fn block(inf: &mut Inflater, b: &[u8]) -> Result<Pairs, DecodeError> {
        let mut out = Vec::new();
        let r = inf.inflate(b, true, |n, v| {
            out.push((
                String::from_utf8_lossy(n).into_owned(),
                String::from_utf8_lossy(v).into_owned(),
            ));
            Flow::Continue
        })?;
        assert_eq!(r, Inflated::Final);
        inf.end_headers();
        Ok(out)
    }

    fn pairs(p: &[(&str, &str)]) -> Pairs {
        p.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn table(inf: &Inflater) -> Pairs {
        inf.entries()
            .map(|(n, v)| {
                (
                    String::from_utf8_lossy(n).into_owned(),
                    String::from_utf8_lossy(v).into_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn c2_literals_and_indexed() {
        // C.2.1: literal with indexing.
        let mut d = Inflater::default();
        let b = hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");
        assert_eq!(
            block(&mut d, &b).unwrap(),
            pairs(&[("custom-key", "custom-header")])
        );
        assert_eq!(table(&d), pairs(&[("custom-key", "custom-header")]));
        assert_eq!(d.table_size(), 55);
        // C.2.2: literal without indexing.
        let mut d = Inflater::default();
        let b = hex("040c 2f73 616d 706c 652f 7061 7468");
        assert_eq!(
            block(&mut d, &b).unwrap(),
            pairs(&[(":path", "/sample/path")])
        );
        assert_eq!(d.table_size(), 0);
        // C.2.3: literal never indexed.
        let mut d = Inflater::default();
        let b = hex("1008 7061 7373 776f 7264 0673 6563 7265 74");
        assert_eq!(block(&mut d, &b).unwrap(), pairs(&[("password", "secret")]));
        assert_eq!(d.table_size(), 0);
        // C.2.4: indexed.
        let mut d = Inflater::default();
        assert_eq!(
            block(&mut d, &hex("82")).unwrap(),
            pairs(&[(":method", "GET")])
        );
        assert_eq!(d.table_size(), 0);
    }

    /// C.3 (plain) and C.4 (Huffman): three requests on one connection.
    fn requests(blocks: [&str; 3]) {
        let mut d = Inflater::default();
        let r1 = [(":method", "GET"), (":scheme", "http"), (":path", "/")];
        let mut want = pairs(&r1);
        want.push((":authority".into(), "www.example.com".into()));
        assert_eq!(block(&mut d, &hex(blocks[0])).unwrap(), want);
        assert_eq!(table(&d), pairs(&[(":authority", "www.example.com")]));
        assert_eq!(d.table_size(), 57);
        want.push(("cache-control".into(), "no-cache".into()));
        assert_eq!(block(&mut d, &hex(blocks[1])).unwrap(), want);
        let t2 = [
            ("cache-control", "no-cache"),
            (":authority", "www.example.com"),
        ];
        assert_eq!(table(&d), pairs(&t2));
        assert_eq!(d.table_size(), 110);
        let want = pairs(&[
            (":method", "GET"),
            (":scheme", "https"),
            (":path", "/index.html"),
            (":authority", "www.example.com"),
            ("custom-key", "custom-value"),
        ]);
        assert_eq!(block(&mut d, &hex(blocks[2])).unwrap(), want);
        let t3 = [
            ("custom-key", "custom-value"),
            ("cache-control", "no-cache"),
            (":authority", "www.example.com"),
        ];
        assert_eq!(table(&d), pairs(&t3));
        assert_eq!(d.table_size(), 164);
    }

    #[test]
    fn c3_requests_without_huffman() {
        requests([
            "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
            "8286 84be 5808 6e6f 2d63 6163 6865",
            "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
        ]);
    }

    #[test]
    fn c4_requests_with_huffman() {
        requests([
            "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
            "8286 84be 5886 a8eb 1064 9cbf",
            "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
        ]);
    }

    /// C.5 (plain) and C.6 (Huffman): three responses with a 256-byte table, so
    /// entries are evicted.
    fn responses(blocks: [&str; 3]) {
        let mut d = Inflater::with_table_size(256);
        let date1 = "Mon, 21 Oct 2013 20:13:21 GMT";
        let loc = "https://www.example.com";
        let r1 = [
            (":status", "302"),
            ("cache-control", "private"),
            ("date", date1),
            ("location", loc),
        ];
        assert_eq!(block(&mut d, &hex(blocks[0])).unwrap(), pairs(&r1));
        let t1 = [
            ("location", loc),
            ("date", date1),
            ("cache-control", "private"),
            (":status", "302"),
        ];
        assert_eq!(table(&d), pairs(&t1));
        assert_eq!(d.table_size(), 222);
        let mut r2 = r1;
        r2[0] = (":status", "307");
        assert_eq!(block(&mut d, &hex(blocks[1])).unwrap(), pairs(&r2));
        let t2 = [
            (":status", "307"),
            ("location", loc),
            ("date", date1),
            ("cache-control", "private"),
        ];
        assert_eq!(table(&d), pairs(&t2));
        assert_eq!(d.table_size(), 222);
        let date2 = "Mon, 21 Oct 2013 20:13:22 GMT";
        let cookie = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";
        let r3 = [
            (":status", "200"),
            ("cache-control", "private"),
            ("date", date2),
            ("location", loc),
            ("content-encoding", "gzip"),
            ("set-cookie", cookie),
        ];
        assert_eq!(block(&mut d, &hex(blocks[2])).unwrap(), pairs(&r3));
        let t3 = [
            ("set-cookie", cookie),
            ("content-encoding", "gzip"),
            ("date", date2),
        ];
        assert_eq!(table(&d), pairs(&t3));
        assert_eq!(d.table_size(), 215);
    }

    #[test]
    fn c5_responses_without_huffman() {
        responses([
            "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
             2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70
             6c65 2e63 6f6d",
            "4803 3330 37c1 c0bf",
            "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
             54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
             5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e
             3d31",
        ]);
    }

    #[test]
    fn c6_responses_with_huffman() {
        responses([
            "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
             2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
            "4883 640e ffc1 c0bf",
            "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
             77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
             9587 3160 65c0 03ed 4ee5 b106 3d50 07",
        ]);
    }

    #[test]
    fn blocks_in_pieces_decode_the_same() {
        let b = hex("8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf");
        let mut whole = Inflater::default();
        let want = block(&mut whole, &b).unwrap_err();
        // Index 63 (0xbf) needs two dynamic entries: an error on an empty table.
        assert_eq!(want, DecodeError);
        let b = hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf");
        let want = block(&mut Inflater::default(), &b).unwrap();
        for cut in 0..=b.len() {
            for cut2 in cut..=b.len() {
                let mut d = Inflater::default();
                let mut got = Vec::new();
                let mut push = |n: &[u8], v: &[u8]| {
                    got.push((
                        String::from_utf8_lossy(n).into_owned(),
                        String::from_utf8_lossy(v).into_owned(),
                    ));
                    Flow::Continue
                };
                assert_eq!(d.inflate(&b[..cut], false, &mut push), Ok(Inflated::More));
                assert_eq!(
                    d.inflate(&b[cut..cut2], false, &mut push),
                    Ok(Inflated::More)
                );
                assert_eq!(d.inflate(&b[cut2..], true, &mut push), Ok(Inflated::Final));
                assert_eq!(got, want);
                assert_eq!(d.table_size(), 57 + 54);
            }
        }
    }

    #[test]
    fn errors_as_nghttp2() {
        // Index 0.
        assert!(block(&mut Inflater::default(), &[0x80]).is_err());
        // Index past the static table with an empty dynamic one.
        assert!(block(&mut Inflater::default(), &[0xbe]).is_err());
        assert_eq!(block(&mut Inflater::default(), &[0xbd]).unwrap().len(), 1);
        // A block ending inside a representation.
        assert!(block(&mut Inflater::default(), &[0x40, 0x03, b'a']).is_err());
        // Table size updates: up to 4096, only at the start of a block.
        let mut d = Inflater::default();
        assert_eq!(block(&mut d, &hex("3fe1 1f 82")).unwrap().len(), 1);
        assert!(block(&mut Inflater::default(), &hex("3fe2 1f")).is_err());
        assert!(block(&mut Inflater::default(), &hex("82 20")).is_err());
        // Two updates before the first header are fine; 0 empties the table.
        let mut d = Inflater::default();
        block(&mut d, &hex("400a 6375 7374 6f6d 2d6b 6579 0161")).unwrap();
        assert_eq!(d.table_size(), 43);
        block(&mut d, &hex("20 3f e1 1f 82")).unwrap();
        assert_eq!(d.table_size(), 0);
        // Integer overflow: more than 32 bits.
        assert!(block(&mut Inflater::default(), &hex("3f 80 80 80 80 80 00")).is_err());
        assert_eq!(
            block(&mut Inflater::default(), &hex("3f 80 80 80 80 00"))
                .unwrap()
                .len(),
            0
        );
        // A string over 65536 bytes.
        assert!(block(&mut Inflater::default(), &hex("00 7f 82 80 04")).is_err());
        // Huffman: EOS inside, padding of 8 ones, padding with a zero.
        assert!(huffman_decode(&hex("ffff ffff"), true).is_err());
        assert!(huffman_decode(&hex("1f ff"), true).is_err());
        assert_eq!(huffman_decode(&hex("1f"), true).unwrap(), b"a");
        assert!(huffman_decode(&hex("1e"), true).is_err());
        // Broken for good.
        let mut d = Inflater::default();
        assert!(block(&mut d, &[0x80]).is_err());
        assert!(d.is_bad());
        assert!(block(&mut d, &[0x82]).is_err());
        // An entry bigger than the table empties it.
        let mut d = Inflater::with_table_size(40);
        block(&mut d, &hex("4001 61 0162")).unwrap();
        assert_eq!(d.table_size(), 34);
        block(&mut d, &hex("4001 61 0a62 6262 6262 6262 6262 62")).unwrap();
        assert_eq!(d.table_size(), 0);
    }

    #[test]
    fn stop_forgets_the_rest_of_the_block() {
        let mut d = Inflater::default();
        let mut n = 0;
        let r = d.inflate(&hex("8286 84"), true, |_, _| {
            n += 1;
            if n == 2 {
                Flow::Stop
            } else {
                Flow::Continue
            }
        });
        assert_eq!(r, Ok(Inflated::Stopped));
        assert_eq!(n, 2);
        // A size update is allowed again: the block ended.
        assert_eq!(block(&mut d, &hex("20 82")).unwrap().len(), 1);
    }

    #[test]
    fn every_prefix_and_mutation_is_safe() {
        let b =
            hex("88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab");
        for n in 0..=b.len() {
            let _ = block(&mut Inflater::default(), &b[..n]);
            for i in 0..n {
                let mut m = b[..n].to_vec();
                m[i] ^= 0xa5;
                let _ = block(&mut Inflater::with_table_size(256), &m);
            }
        }
    }
}
