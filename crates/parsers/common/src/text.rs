//! Bytes to field strings the way Arkime's document writer renders them.
//!
//! Arkime keeps field strings as C strings (a NUL ends them) and, for fields not flagged
//! as UTF-8, writes every byte >= 0x80 as the Latin-1 character of that value. Turning
//! the bytes into such a `String` up front gives the same document text.

/// The bytes up to the first NUL.
#[inline]
pub fn until_nul(b: &[u8]) -> &[u8] {
    b.iter().position(|&x| x == 0).map_or(b, |p| &b[..p])
}

/// A field string from raw bytes: cut at the first NUL, each byte a Latin-1 character.
#[inline]
pub fn latin1(b: &[u8]) -> String {
    until_nul(b).iter().map(|&c| char::from(c)).collect()
}

/// A field string for a field flagged as UTF-8 (Arkime's `FORCE_UTF8`): cut at the
/// first NUL, valid UTF-8 kept, every byte of an invalid sequence a Latin-1 character.
pub fn utf8_or_latin1(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    for chunk in until_nul(b).utf8_chunks() {
        out.push_str(chunk.valid());
        out.extend(chunk.invalid().iter().map(|&c| char::from(c)));
    }
    out
}

/// Appends `b` as a JSON string the way Arkime's document writer escapes it
/// (`arkime_db_js0n_str`): it stops at a NUL; with `utf8`, well-formed UTF-8 sequences
/// pass through; every other byte from 0x80 is written as its Latin-1 character.
pub fn json_str(out: &mut String, b: &[u8], utf8: bool) {
    out.push('"');
    json_str_unquoted(out, b, utf8);
    out.push('"');
}

/// [`json_str`] without the quotes (`arkime_db_js0n_str_unquoted`).
pub fn json_str_unquoted(out: &mut String, b: &[u8], utf8: bool) {
    use std::fmt::Write;
    let b = until_nul(b);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if (0x20..0x80).contains(&c) && c != b'"' && c != b'\\' {
            out.push(char::from(c));
            i += 1;
            continue;
        }
        if utf8 && c >= 0x80 {
            let n = match c {
                0xc2..=0xdf => 2,
                0xe0..=0xef => 3,
                0xf0..=0xf4 => 4,
                _ => 0,
            };
            if let Some(Ok(s)) = b.get(i..i + n).filter(|_| n > 0).map(std::str::from_utf8) {
                out.push_str(s);
                i += n;
                continue;
            }
        }
        match c {
            0x08 => out.push_str("\\b"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            0x0c => out.push_str("\\f"),
            b'\t' => out.push_str("\\t"),
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            c if c < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c);
            }
            c => out.push(char::from(c)),
        }
        i += 1;
    }
}

/// UTF-16LE bytes to UTF-8 as iconv's UCS-2LE converts them (Arkime's
/// `g_convert(..., "utf-8", "ucs-2le")`): None for an odd length or a surrogate. NULs
/// are kept; Arkime's string fields end at the first one ([`latin1`] does that).
pub fn ucs2le(b: &[u8]) -> Option<Vec<u8>> {
    if !b.len().is_multiple_of(2) {
        return None;
    }
    let mut out = String::with_capacity(b.len() / 2);
    for pair in b.chunks_exact(2) {
        out.push(char::from_u32(u32::from(u16::from_le_bytes([
            pair[0], pair[1],
        ])))?);
    }
    Some(out.into_bytes())
}

/// Lower-case hex of the bytes (digests, ids).
pub fn hex(b: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

/// [`latin1`] of the bytes, ASCII letters lower-cased (`g_ascii_strdown`).
#[inline]
pub fn latin1_lower(b: &[u8]) -> String {
    until_nul(b)
        .iter()
        .map(|&c| char::from(c.to_ascii_lowercase()))
        .collect()
}

/// Whether `needle` occurs in `hay` (Arkime's `arkime_memstr`).
#[inline]
pub fn memstr(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// Whether `needle` occurs in `hay` ignoring ASCII case (`arkime_memcasestr`).
#[inline]
pub fn memcasestr(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_cuts_at_nul_and_maps_high_bytes() {
        assert_eq!(latin1(b"ab\0cd"), "ab");
        assert_eq!(latin1(&[0x41, 0xe9]), "A\u{e9}");
        // A UTF-8 sequence is two Latin-1 characters, as Arkime writes it.
        assert_eq!(latin1("é".as_bytes()), "\u{c3}\u{a9}");
        assert_eq!(latin1_lower(b"Content-TYPE"), "content-type");
        assert_eq!(hex(&[0, 0xab, 0x10]), "00ab10");
        assert_eq!(utf8_or_latin1("é\0x".as_bytes()), "é");
        assert_eq!(utf8_or_latin1(&[b'a', 0xe9, b'b']), "a\u{e9}b");
        assert_eq!(utf8_or_latin1(&[0xc3]), "\u{c3}");
        assert_eq!(ucs2le(b"a\0\0\0b\0").as_deref(), Some(&b"a\0b"[..]));
        assert_eq!(ucs2le(b"a\0b"), None, "odd length");
        assert_eq!(ucs2le(b"\x00\xd8"), None, "a lone surrogate");
        let mut o = String::new();
        json_str(&mut o, "a\"\\\n\u{1}é\0z".as_bytes(), true);
        assert_eq!(o, "\"a\\\"\\\\\\n\\u0001é\"");
        let mut o = String::new();
        json_str(&mut o, "é".as_bytes(), false);
        assert_eq!(o, "\"\u{c3}\u{a9}\"");
    }

    #[test]
    fn substring_search() {
        assert!(memstr(b"xx password= yy", b"password="));
        assert!(!memstr(b"passwor", b"password"));
        assert!(memcasestr(b"user=a&PASS=b", b"pass="));
        assert!(!memcasestr(b"", b"pass="));
    }
}
