//! DNS names as Arkime reads and prints them: compressed labels followed through at
//! most 11 pointers, bytes outside printable ASCII written in `cat -v` style (`M-`
//! for the high bit, `^` for control characters), and `xn--` labels decoded from
//! punycode the way GLib's `g_hostname_to_unicode` does.

use trawl_parser_common::cursor::Cursor;

/// Longest name kept (Arkime's 8000-byte name buffer).
const MAX_NAME: usize = 8000;

/// Why a name could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameError {
    /// More than 10 compression pointers followed (tagged `dns:bad-pointer-loop`).
    PointerLoop,
    /// A pointer past the message, or a reserved label type.
    Bad,
}

/// Reads a name at `r` (pointers are offsets into `full`), as Arkime's `dns_name`:
/// labels joined with dots, odd bytes escaped; an empty name is the root. `r` ends
/// after the name's terminating zero or its first pointer. A label longer than what
/// is left is dropped and reading goes on after its length byte.
pub fn read_name<'a>(full: &'a [u8], r: &mut Cursor<'a>) -> Result<Vec<u8>, NameError> {
    let mut out: Vec<u8> = Vec::new();
    let mut pointers = 0;
    // Following a pointer reads from a copy; errors there do not reach `r`.
    let mut tmp: Option<Cursor> = None;
    loop {
        let cur = match tmp.as_mut() {
            Some(t) => t,
            None => &mut *r,
        };
        if cur.remaining() == 0 {
            break;
        }
        let ch = cur.rest()[0];
        if ch == 0 {
            cur.skip(1);
            break;
        }
        if ch & 0xc0 == 0xc0 {
            if pointers > 10 {
                return Err(NameError::PointerLoop);
            }
            pointers += 1;
            let p = usize::from(cur.be16() & 0x3fff);
            if cur.is_error() {
                // A lone pointer byte at the end of the input.
                break;
            }
            if p >= full.len() {
                return Err(NameError::Bad);
            }
            tmp = Some(Cursor::new(&full[p..]));
            continue;
        }
        if ch & 0xc0 != 0 {
            return Err(NameError::Bad);
        }
        if !out.is_empty() {
            push(&mut out, b'.');
        }
        let n = usize::from(cur.u8());
        if n == 0 || n > cur.remaining() {
            // Arkime takes the dot back, if there is one.
            out.pop();
            continue;
        }
        for &c in cur.take(n).unwrap_or(&[]) {
            let mut c = c;
            if !c.is_ascii() {
                push(&mut out, b'M');
                push(&mut out, b'-');
                c &= 0x7f;
            }
            if !(0x20..0x7f).contains(&c) {
                push(&mut out, b'^');
                c ^= 0x40;
            }
            push(&mut out, c);
        }
    }
    Ok(out)
}

fn push(out: &mut Vec<u8>, c: u8) {
    if out.len() < MAX_NAME {
        out.push(c);
    }
}

/// `g_hostname_to_unicode`: each `xn--` label (any case) decoded from punycode, other
/// labels lower-cased. None when a label does not decode. The result may hold code
/// points that are not valid UTF-8 (GLib writes them anyway); callers check.
pub fn to_unicode(name: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(name.len());
    for (i, label) in name.split(|&c| c == b'.').enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        if label.len() >= 4 && label[..4].eq_ignore_ascii_case(b"xn--") {
            for cp in punycode_decode(&label[4..])? {
                push_unichar(&mut out, cp);
            }
        } else {
            out.extend(label.iter().map(u8::to_ascii_lowercase));
        }
    }
    Some(out)
}

/// GLib's `g_unichar_to_utf8`: up to six bytes, whatever the value.
fn push_unichar(out: &mut Vec<u8>, c: u32) {
    let (first, len) = match c {
        0..=0x7f => (0, 1),
        0x80..=0x7ff => (0xc0, 2),
        0x800..=0xffff => (0xe0, 3),
        0x1_0000..=0x1f_ffff => (0xf0, 4),
        0x20_0000..=0x3ff_ffff => (0xf8, 5),
        _ => (0xfc, 6),
    };
    let mut buf = [0u8; 6];
    let mut c = c;
    for i in (1..len).rev() {
        buf[i] = (c & 0x3f) as u8 | 0x80;
        c >>= 6;
    }
    buf[0] = c as u8 | first;
    out.extend_from_slice(&buf[..len]);
}

/// RFC 3492 decoding as GLib's `punycode_decode` does it.
pub fn punycode_decode(input: &[u8]) -> Option<Vec<u32>> {
    const BASE: u32 = 36;
    const TMIN: u32 = 1;
    const TMAX: u32 = 26;
    let adapt = |delta: u32, numpoints: u32, first: bool| {
        let mut delta = if first { delta / 700 } else { delta / 2 };
        delta += delta / numpoints;
        let mut k = 0;
        while delta > ((BASE - TMIN) * TMAX) / 2 {
            delta /= BASE - TMIN;
            k += BASE;
        }
        k + ((BASE - TMIN + 1) * delta) / (delta + 38)
    };
    let digit = |c: u8| -> u32 {
        match c {
            b'0'..=b'9' => u32::from(c - b'0') + 26,
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a'),
            _ => BASE,
        }
    };
    let mut n: u32 = 0x80;
    let mut i: u32 = 0;
    let mut bias: u32 = 72;
    let mut out: Vec<u32> = Vec::new();
    // The basic code points run up to the last '-' (if it is not the first byte).
    let mut rest = input;
    if let Some(split) = input.iter().rposition(|&c| c == b'-').filter(|&p| p > 0) {
        for &c in &input[..split] {
            if c >= 0x80 {
                return None;
            }
            out.push(u32::from(c));
        }
        rest = &input[split + 1..];
    }
    let mut it = rest.iter();
    while it.len() > 0 {
        let oldi = i;
        let mut w: u32 = 1;
        let mut k = BASE;
        loop {
            let d = digit(*it.next()?);
            if d >= BASE || d > (u32::MAX - i) / w {
                return None;
            }
            i += d * w;
            let t = if k <= bias {
                TMIN
            } else if k >= bias + TMAX {
                TMAX
            } else {
                k - bias
            };
            if d < t {
                break;
            }
            if w > u32::MAX / (BASE - t) {
                return None;
            }
            w *= BASE - t;
            k += BASE;
        }
        let len = out.len() as u32 + 1;
        bias = adapt(i - oldi, len, oldi == 0);
        if i / len > u32::MAX - n {
            return None;
        }
        n += i / len;
        i %= len;
        out.insert(i as usize, n);
        i += 1;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(msg: &[u8], at: usize) -> (Result<Vec<u8>, NameError>, usize) {
        let mut r = Cursor::new(msg);
        r.skip(at);
        let n = read_name(msg, &mut r);
        (n, r.pos())
    }

    #[test]
    fn labels_pointers_and_escapes() {
        // "www.github.com" at 0, then a pointer to "github.com" at 4.
        let msg = b"\x03www\x06github\x03com\x00\xc0\x04";
        assert_eq!(name(msg, 0), (Ok(b"www.github.com".to_vec()), 16));
        assert_eq!(name(msg, 16), (Ok(b"github.com".to_vec()), 18));
        assert_eq!(name(b"\x00", 0), (Ok(Vec::new()), 1));
        assert_eq!(name(b"\x02a\x01\x01\xe9\x00", 0).0, Ok(b"a^A.M-i".to_vec()));
        // A pointer past the message; a reserved label type; a loop.
        assert_eq!(name(b"\xc0\x09", 0).0, Err(NameError::Bad));
        assert_eq!(name(b"\x40", 0).0, Err(NameError::Bad));
        assert_eq!(name(b"\xc0\x00", 0).0, Err(NameError::PointerLoop));
        // A label longer than the rest is dropped.
        assert_eq!(name(b"\x01a\x09\x01b", 0).0, Ok(b"a.b".to_vec()));
    }

    #[test]
    fn punycode() {
        let s = to_unicode(b"xn--bcher-kva.example").unwrap();
        assert_eq!(String::from_utf8(s).unwrap(), "bücher.example");
        let s = to_unicode(b"XN--80akhbyknj4f.com").unwrap();
        assert_eq!(String::from_utf8(s).unwrap(), "испытание.com");
        assert_eq!(to_unicode(b"xn--ab!.com"), None);
        assert_eq!(to_unicode(b"plain.COM").unwrap(), b"plain.com");
        for n in 0..20 {
            let _ = to_unicode(&b"xn--80akhbyknj4f.com"[..n]);
        }
    }

    #[test]
    fn no_panic_on_any_input() {
        let msg = b"\x03www\x06github\x03com\x00\xc0\x04\xc0\x10\x3f";
        for start in 0..msg.len() {
            for end in start..=msg.len() {
                let _ = name(&msg[..end], start.min(end));
            }
        }
    }
}
