//! A lenient BER reader with the semantics of Arkime's `arkime_parsers_asn_get_tlv`:
//! the class bits of a tag are dropped, a length past the end is cut to what is
//! left, and anything malformed ends the read.

/// One element: constructed?, tag number, value.
pub type Tlv<'a> = (bool, u32, &'a [u8]);

/// Reads the element at the front of `b` and advances past it.
pub fn tlv<'a>(b: &mut &'a [u8]) -> Option<Tlv<'a>> {
    if b.len() < 2 {
        return None;
    }
    let mut d = *b;
    let first = d[0];
    d = &d[1..];
    let pc = first & 0x20 != 0;
    let mut tag = u32::from(first & 0x1f);
    if tag == 0x1f {
        tag = 0;
        loop {
            let (&c, rest) = d.split_first()?;
            d = rest;
            tag = tag << 7 | u32::from(c & 0x7f);
            if c & 0x80 == 0 {
                break;
            }
            if tag & 0xfe00_0000 != 0 {
                return None;
            }
        }
    }
    let (&l, rest) = d.split_first()?;
    d = rest;
    if l == 0x80 {
        return None;
    }
    let mut len = usize::from(l);
    if l & 0x80 != 0 {
        let n = usize::from(l & 0x7f);
        if n > 4 || d.len() < n {
            return None;
        }
        len = d[..n].iter().fold(0usize, |a, &c| a << 8 | usize::from(c));
        d = &d[n..];
    }
    let len = len.min(d.len());
    let (v, rest) = d.split_at(len);
    *b = rest;
    Some((pc, tag, v))
}

/// Up to `max` elements of `d` in order; with `wrapper`, `d` must be one constructed
/// SEQUENCE whose contents are read instead (none otherwise).
pub fn sequence(d: &[u8], max: usize, wrapper: bool) -> Vec<Tlv<'_>> {
    let mut b = d;
    if wrapper {
        match tlv(&mut b) {
            Some((true, 16, inner)) => b = inner,
            _ => return Vec::new(),
        }
    }
    let mut out = Vec::new();
    while out.len() < max {
        match tlv(&mut b) {
            Some(t) => out.push(t),
            None => break,
        }
    }
    out
}

/// The string of an element: its value, or for a constructed one the value inside.
pub fn as_string<'a>(t: &Tlv<'a>) -> Option<&'a [u8]> {
    if !t.0 {
        return Some(t.2);
    }
    let mut b = t.2;
    tlv(&mut b).map(|x| x.2)
}

/// The integer of an element (1 to 4 bytes, big-endian), unwrapping a constructed one.
pub fn as_int(t: &Tlv<'_>) -> Option<u32> {
    let v = if t.0 {
        let mut b = t.2;
        tlv(&mut b)?.2
    } else {
        t.2
    };
    if v.is_empty() || v.len() > 4 {
        return None;
    }
    Some(v.iter().fold(0u32, |a, &c| a << 8 | u32::from(c)))
}

/// Encodes one element with a short-form length (values under 128 bytes), for building
/// messages in tests.
pub fn encode(tag: u8, v: &[u8]) -> Vec<u8> {
    let mut o = Vec::with_capacity(v.len() + 2);
    o.push(tag);
    o.push(u8::try_from(v.len()).unwrap_or(0x7f).min(0x7f));
    o.extend_from_slice(v);
    o
}

/// An OBJECT IDENTIFIER value in dotted form.
pub fn oid(v: &[u8]) -> String {
    let mut out = String::new();
    let mut first = true;
    let mut n: u64 = 0;
    for &c in v {
        if n & 0xfe00_0000_0000_0000 != 0 {
            break;
        }
        n = n << 7 | u64::from(c & 0x7f);
        if c & 0x80 != 0 {
            continue;
        }
        if first {
            first = false;
            let (a, b) = match n {
                0..=39 => (0, n),
                40..=79 => (1, n - 40),
                _ => (2, n - 80),
            };
            out = format!("{a}.{b}");
        } else {
            out.push('.');
            out.push_str(&n.to_string());
        }
        n = 0;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_and_oids() {
        let mut b: &[u8] = &[0x30, 0x03, 0x02, 0x01, 0x05, 0xff];
        let (pc, tag, v) = tlv(&mut b).unwrap();
        assert!(pc);
        assert_eq!((tag, v), (16, &[0x02, 0x01, 0x05][..]));
        assert_eq!(b, &[0xff]);
        // Long length, and a length past the end cut short.
        let mut b: &[u8] = &[0x04, 0x81, 0x05, b'a', b'b'];
        assert_eq!(tlv(&mut b), Some((false, 4, &b"ab"[..])));
        assert_eq!(tlv(&mut &[0x04, 0x80, 0][..]), None, "indefinite");
        assert_eq!(tlv(&mut &[0x04][..]), None);
        assert_eq!(
            tlv(&mut &[0x04, 0x85, 1, 2, 3, 4, 5][..]),
            None,
            "5 length bytes"
        );
        assert_eq!(oid(&[0x2b, 6, 1, 2, 1, 1, 5, 0]), "1.3.6.1.2.1.1.5.0");
        assert_eq!(oid(&[0x2b, 6, 1, 4, 1, 0x82, 0x37]), "1.3.6.1.4.1.311");
    }
}
