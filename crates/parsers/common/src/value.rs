//! Header values into fields by the field's type, as Arkime's HTTP and SMTP parsers
//! do for configured headers (`http_common_add_header_value`,
//! `smtp_email_add_value`), with the C library's number and address readers.

use std::net::{IpAddr, Ipv4Addr};

use trawl_fields::{FieldId, FieldRegistry, FieldType, Fields};

use crate::text::{latin1, until_nul};

/// C's `isspace`.
pub fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// The bytes after leading `isspace` bytes.
pub fn trim_start(v: &[u8]) -> &[u8] {
    let start = v.iter().position(|c| !is_space(*c)).unwrap_or(v.len());
    &v[start..]
}

/// C's `atoi` (Arkime's `arkime_atoin`): leading blanks, a sign, digits.
pub fn atoi(b: &[u8]) -> i32 {
    let b = trim_start(b);
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let mut v: i64 = 0;
    for d in digits.iter().take_while(|c| c.is_ascii_digit()) {
        v = v.wrapping_mul(10).wrapping_add(i64::from(d - b'0'));
    }
    (if neg { v.wrapping_neg() } else { v }) as i32
}

/// C's `atof` on the leading number of at most 31 bytes.
pub fn atof(b: &[u8]) -> f64 {
    let s = latin1(&b[..b.len().min(31)]);
    let t = s.trim_start();
    let n = t
        .char_indices()
        .take_while(|(i, c)| {
            c.is_ascii_digit() || *c == '.' || ((*c == '-' || *c == '+') && *i == 0)
        })
        .count();
    t[..n].parse().unwrap_or(0.0)
}

/// An address as Arkime reads one from text (`arkime_field_parse_ip`): with a dot, the
/// way `inet_aton` takes it (decimal, octal or hex parts, one to four of them, a blank
/// and anything after it allowed at the end, none before); else IPv6.
pub fn parse_ip(s: &[u8]) -> Option<IpAddr> {
    let s = until_nul(s);
    if s.contains(&b'.') {
        return inet_aton(s).map(IpAddr::V4);
    }
    std::str::from_utf8(s).ok()?.parse().ok().map(IpAddr::V6)
}

fn inet_aton(s: &[u8]) -> Option<Ipv4Addr> {
    let mut parts: Vec<u32> = Vec::with_capacity(4);
    let mut i = 0;
    let val = loop {
        if !s.get(i)?.is_ascii_digit() {
            return None;
        }
        let (base, from) = if s[i] == b'0' {
            if matches!(s.get(i + 1), Some(b'x' | b'X'))
                && s.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit())
            {
                (16, i + 2)
            } else {
                (8, i)
            }
        } else {
            (10, i)
        };
        let mut v: u64 = 0;
        let mut j = from;
        while let Some(d) = s.get(j).and_then(|&c| char::from(c).to_digit(base)) {
            v = v * u64::from(base) + u64::from(d);
            if v > 0xffff_ffff {
                return None;
            }
            j += 1;
        }
        i = j;
        if s.get(i) == Some(&b'.') {
            if parts.len() > 2 || v > 0xff {
                return None;
            }
            parts.push(v as u32);
            i += 1;
        } else {
            break v as u32;
        }
    };
    if s.get(i).is_some_and(|&c| !is_space(c)) {
        return None;
    }
    let ip = match parts.len() {
        0 => val,
        1 if val <= 0xff_ffff => (parts[0] << 24) | val,
        2 if val <= 0xffff => (parts[0] << 24) | (parts[1] << 16) | val,
        3 if val <= 0xff => (parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | val,
        _ => return None,
    };
    Some(Ipv4Addr::from(ip))
}

/// Adds a header value to `id` by the field's type: leading blanks dropped; integers
/// by `atoi`, floats by `atof`, strings as they are, addresses split at commas (each
/// read by [`parse_ip`]); object fields take nothing.
pub fn add_typed(fields: &mut Fields, reg: &FieldRegistry, id: FieldId, v: &[u8]) {
    let v = trim_start(v);
    let Some(ty) = reg.get(id).map(|d| d.ty) else {
        return;
    };
    match ty {
        FieldType::Int
        | FieldType::IntArray
        | FieldType::IntArrayUnique
        | FieldType::IntHash
        | FieldType::IntGHash => {
            fields.int_add(reg, id, atoi(v) as u32);
        }
        FieldType::Float | FieldType::FloatArray | FieldType::FloatGHash => {
            fields.float_add(reg, id, atof(v));
        }
        FieldType::Str | FieldType::StrArray | FieldType::StrHash | FieldType::StrGHash => {
            fields.string_add(reg, id, &latin1(v));
        }
        FieldType::Ip | FieldType::IpGHash => {
            for part in until_nul(v).split(|&c| c == b',') {
                if let Some(ip) = parse_ip(part) {
                    fields.ip_add(reg, id, ip);
                }
            }
        }
        FieldType::Object => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_like_inet_aton() {
        let v4 = |s: &str| Some(IpAddr::V4(s.parse().unwrap()));
        assert_eq!(parse_ip(b"10.1.2.3"), v4("10.1.2.3"));
        assert_eq!(parse_ip(b"10.1.2.3 junk"), v4("10.1.2.3"));
        assert_eq!(parse_ip(b"0x0a.010.1"), v4("10.8.0.1"));
        assert_eq!(parse_ip(b"10.65535"), v4("10.0.255.255"));
        // No leading blank: the second address of "a, b" is lost, as in Arkime.
        assert_eq!(parse_ip(b" 10.1.2.3"), None);
        assert_eq!(parse_ip(b"256.1.1.1"), None);
        assert_eq!(parse_ip(b"1.2.3.4.5"), None);
        assert_eq!(parse_ip(b"1.2.3.4x"), None);
        assert_eq!(
            parse_ip(b"2001:db8::1"),
            Some(IpAddr::V6("2001:db8::1".parse().unwrap()))
        );
        assert_eq!(parse_ip(b"unknown"), None);
    }

    #[test]
    fn numbers_like_c() {
        assert_eq!(atoi(b" 42x"), 42);
        assert_eq!(atoi(b"-7"), -7);
        assert_eq!(atoi(b"x"), 0);
        assert_eq!(atof(b"1.5 q"), 1.5);
        assert_eq!(atof(b"q"), 0.0);
    }
}
