//! X.509 certificates as Arkime's certs.c reads them: a loose DER walk that keeps the
//! issuer/subject CN, O and OU strings, the serial, the validity, the public key
//! algorithm and curve, the subjectAltName DNS names and the CA bit, and renders each
//! certificate as one object of the session's `cert` field.

use std::fmt::Write;

use trawl_parser_common::text::{json_str, until_nul as cstr};

use sha1::{Digest, Sha1};

/// Deepest nesting walked (malicious nesting stops here).
const MAX_DEPTH: usize = 20;

/// One DER element: constructed bit, tag number, contents.
struct Tlv<'a> {
    constructed: bool,
    tag: u32,
    value: &'a [u8],
}

/// Reads one element from the front of `b`, advancing it; a length past the end is
/// cut to what is there, as Arkime does.
fn tlv<'a>(b: &mut &'a [u8]) -> Option<Tlv<'a>> {
    if b.len() < 2 {
        return None;
    }
    let mut i = 0;
    let first = b[i];
    i += 1;
    let constructed = first & 0x20 != 0;
    let mut tag = u32::from(first & 0x1f);
    if tag == 0x1f {
        tag = 0;
        loop {
            let ch = *b.get(i)?;
            i += 1;
            tag = (tag << 7) | u32::from(ch & 0x7f);
            if ch & 0x80 == 0 {
                break;
            }
            if tag & 0xFE00_0000 != 0 {
                return None;
            }
        }
    }
    let ch = *b.get(i)?;
    i += 1;
    if ch == 0x80 {
        return None;
    }
    let mut len = 0usize;
    if ch & 0x80 != 0 {
        let cnt = usize::from(ch & 0x7f);
        if cnt > 4 {
            return None;
        }
        for _ in 0..cnt {
            len = (len << 8) | usize::from(*b.get(i)?);
            i += 1;
        }
    } else {
        len = usize::from(ch);
    }
    let rest = b.get(i..)?;
    let len = len.min(rest.len());
    let (value, after) = rest.split_at(len);
    *b = after;
    Some(Tlv {
        constructed,
        tag,
        value,
    })
}

/// Dotted form of an encoded OID.
fn oid_string(v: &[u8]) -> String {
    let mut out = String::new();
    let mut first = true;
    let mut value: u64 = 0;
    for &x in v {
        if value & 0xFE00_0000_0000_0000 != 0 {
            break;
        }
        value = (value << 7) | u64::from(x & 0x7f);
        if x & 0x80 != 0 {
            continue;
        }
        if first {
            first = false;
            let _ = match value {
                0..=39 => write!(out, "0.{value}"),
                40..=79 => write!(out, "1.{}", value - 40),
                _ => write!(out, "2.{}", value - 80),
            };
        } else {
            let _ = write!(out, ".{value}");
        }
        value = 0;
    }
    out
}

/// OpenSSL short names of the key algorithms and curves Arkime reports.
fn oid_short_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "1.2.840.113549.1.1.1" => "rsaEncryption",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.113549.1.3.1" => "dhKeyAgreement",
        "1.2.840.10040.4.1" => "DSA",
        "1.2.840.10045.2.1" => "id-ecPublicKey",
        "1.3.101.110" => "X25519",
        "1.3.101.111" => "X448",
        "1.3.101.112" => "ED25519",
        "1.3.101.113" => "ED448",
        "1.2.840.10045.3.1.1" => "prime192v1",
        "1.2.840.10045.3.1.7" => "prime256v1",
        "1.3.132.0.10" => "secp256k1",
        "1.3.132.0.33" => "secp224r1",
        "1.3.132.0.34" => "secp384r1",
        "1.3.132.0.35" => "secp521r1",
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1",
        "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1",
        "1.3.36.3.3.2.8.1.1.13" => "brainpoolP512r1",
        "1.2.156.10197.1.301" => "SM2",
        _ => return None,
    })
}

/// A string as Arkime keeps it: bytes plus whether they are UTF-8.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertStr {
    bytes: Vec<u8>,
    utf8: bool,
}

/// CN, O and OU of a name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names {
    /// Common names (lower-cased).
    pub cn: Vec<CertStr>,
    /// Organization names.
    pub on: Vec<CertStr>,
    /// Organizational units.
    pub ou: Vec<CertStr>,
}

/// One certificate's information.
#[derive(Clone, Debug, Default)]
pub struct CertInfo {
    /// Seconds since the epoch.
    pub not_before: u64,
    /// Seconds since the epoch.
    pub not_after: u64,
    /// Issuer names.
    pub issuer: Names,
    /// Subject names.
    pub subject: Names,
    /// subjectAltName DNS names (lower-cased).
    pub alt: Vec<String>,
    /// Serial number bytes (at most 256).
    pub serial: Vec<u8>,
    /// SHA-1 of the DER, colon-separated hex.
    pub hash: String,
    /// keyCertSign set in keyUsage.
    pub is_ca: bool,
    /// Public key algorithm short name.
    pub public_algorithm: Option<&'static str>,
    /// EC curve short name.
    pub curve: Option<&'static str>,
    /// Tags the parse produced ("bad-altname", "cert:pre-epoch-time").
    pub tags: Vec<&'static str>,
}

impl CertInfo {
    /// Arkime's identity for de-duplication: serial and names.
    pub fn same_as(&self, o: &CertInfo) -> bool {
        self.serial == o.serial && self.issuer == o.issuer && self.subject == o.subject
    }

    /// Arkime's hash of a certificate (decides the output order).
    pub fn order_hash(&self) -> u32 {
        let counts = ((self.issuer.cn.len() as u32) << 18)
            | ((self.issuer.on.len() as u32) << 12)
            | ((self.subject.cn.len() as u32) << 6)
            | (self.subject.on.len() as u32);
        match (self.serial.first(), self.serial.last()) {
            (Some(&f), Some(&l)) => (u32::from(f) << 28) | (u32::from(l) << 24) | counts,
            _ => counts,
        }
    }

    /// Whether it looks self-signed (one CN each, equal, and equal or absent orgs).
    pub fn looks_self_signed(&self) -> bool {
        let orgs = match (self.subject.on.as_slice(), self.issuer.on.as_slice()) {
            ([a], [b]) => cstr(&a.bytes) == cstr(&b.bytes),
            ([], []) => true,
            _ => false,
        };
        let cns = match (self.subject.cn.as_slice(), self.issuer.cn.as_slice()) {
            ([a], [b]) => cstr(&a.bytes) == cstr(&b.bytes),
            _ => false,
        };
        !self.is_ca && orgs && cns
    }

    /// The JSON object Arkime writes for this certificate; `first_packet` is the
    /// session's first packet time in seconds.
    pub fn to_json(&self, first_packet: u64) -> String {
        let mut o = String::from("{");
        let _ = write!(o, "\"hash\":\"{}\",", self.hash);
        if let Some(a) = self.public_algorithm {
            let _ = write!(o, "\"publicAlgorithm\":\"{a}\",");
        }
        if let Some(c) = self.curve {
            let _ = write!(o, "\"curve\":\"{c}\",");
        }
        let lists = [
            ("issuerCN", &self.issuer.cn),
            ("issuerON", &self.issuer.on),
            ("issuerOU", &self.issuer.ou),
            ("subjectCN", &self.subject.cn),
            ("subjectON", &self.subject.on),
            ("subjectOU", &self.subject.ou),
        ];
        for (k, l) in lists {
            if l.is_empty() {
                continue;
            }
            let _ = write!(o, "\"{k}\":[");
            for (i, s) in l.iter().enumerate() {
                if i > 0 {
                    o.push(',');
                }
                json_str(&mut o, &s.bytes, s.utf8);
            }
            o.push_str("],");
        }
        if !self.serial.is_empty() {
            o.push_str("\"serial\":\"");
            for b in &self.serial {
                let _ = write!(o, "{b:02x}");
            }
            o.push_str("\",");
        }
        if !self.alt.is_empty() {
            let _ = write!(o, "\"altCnt\":{},\"alt\":[", self.alt.len());
            for (i, s) in self.alt.iter().enumerate() {
                if i > 0 {
                    o.push(',');
                }
                json_str(&mut o, s.as_bytes(), true);
            }
            o.push_str("],");
        }
        let nb = self.not_before as i64;
        let na = self.not_after as i64;
        let fp = first_packet as i64;
        let _ = write!(
            o,
            "\"notBefore\":{},\"notAfter\":{},",
            nb.wrapping_mul(1000),
            na.wrapping_mul(1000)
        );
        let remaining = if self.not_after < first_packet {
            0
        } else {
            na.wrapping_sub(fp)
        };
        let valid = na.wrapping_sub(nb);
        let _ = write!(
            o,
            "\"remainingDays\":{},\"remainingSeconds\":{remaining},\"validDays\":{},\"validSeconds\":{valid}}}",
            remaining / 86400,
            valid / 86400
        );
        o
    }
}

fn two(v: &[u8], at: usize) -> i64 {
    let d = |i: usize| match v.get(i) {
        Some(c) if c.is_ascii_digit() => i64::from(c - b'0'),
        _ => 0,
    };
    d(at) * 10 + d(at + 1)
}

/// Seconds since the epoch of a (possibly un-normalized) UTC date, like `timegm`.
fn timegm(year: i64, mon0: i64, mday: i64, h: i64, m: i64, s: i64) -> i64 {
    let y = year + mon0.div_euclid(12);
    let mo = mon0.rem_euclid(12) + 1;
    // Days from civil (Howard Hinnant's algorithm).
    let yy = if mo <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468 + (mday - 1);
    days * 86400 + h * 3600 + m * 60 + s
}

/// Arkime's reading of a UTCTime (tag 23) or GeneralizedTime (tag 24); the bool is
/// true when the time was before the epoch (and so clamped to 0).
fn parse_time(tag: u32, v: &[u8]) -> (u64, bool) {
    let at = |i: usize| v.get(i).copied().unwrap_or(0);
    let val = if tag == 23 && v.len() > 12 {
        let mut off = 0;
        if v.len() >= 17 && at(12) != b'Z' {
            off = two(v, 13) * 3600 + two(v, 15) * 60;
        }
        if at(12) == b'+' {
            off = -off;
        }
        let mut y = two(v, 0);
        if y < 50 {
            y += 100;
        }
        timegm(
            y + 1900,
            two(v, 2) - 1,
            two(v, 4),
            two(v, 6),
            two(v, 8),
            two(v, 10),
        ) + off
    } else if tag == 24 && v.len() >= 10 {
        let year = two(v, 0) * 100 + two(v, 2);
        let (mon, mday, h) = (two(v, 4) - 1, two(v, 6), two(v, 8));
        let (mut mi, mut s) = (0, 0);
        let zone = |c: u8| c == b'Z' || c == b'+' || c == b'-';
        let pos = if v.len() < 12 || zone(at(10)) {
            10
        } else {
            mi = two(v, 10);
            if v.len() < 14 || zone(at(12)) {
                12
            } else {
                s = two(v, 12);
                if v.len() < 15 || zone(at(14)) || at(14) != b'.' {
                    14
                } else {
                    18
                }
            }
        };
        let base = timegm(year, mon, mday, h, mi, s);
        if pos == v.len() {
            base
        } else {
            let mut off = 0;
            if pos + 5 <= v.len() && (at(pos) == b'+' || at(pos) == b'-') {
                off = two(v, pos + 1) * 3600 + two(v, pos + 3) * 60;
                if at(pos) == b'+' {
                    off = -off;
                }
            }
            base + off
        }
    } else {
        0
    };
    if val < 0 {
        (0, true)
    } else {
        (val as u64, false)
    }
}

fn names(n: &mut Names, mut b: &[u8], depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let mut last_oid = String::new();
    while !b.is_empty() {
        let Some(t) = tlv(&mut b) else { return };
        if t.constructed {
            names(n, t.value, depth + 1);
        } else if t.tag == 6 {
            last_oid = oid_string(t.value);
        } else if !last_oid.is_empty() && matches!(t.tag, 12 | 19 | 20) {
            let utf8 = t.tag == 12;
            let v = cstr(t.value);
            match last_oid.as_str() {
                "2.5.4.3" => {
                    let bytes = if utf8 {
                        String::from_utf8_lossy(v).to_lowercase().into_bytes()
                    } else {
                        v.to_ascii_lowercase()
                    };
                    n.cn.push(CertStr { bytes, utf8 });
                }
                "2.5.4.10" => n.on.push(CertStr {
                    bytes: v.to_vec(),
                    utf8,
                }),
                "2.5.4.11" => n.ou.push(CertStr {
                    bytes: v.to_vec(),
                    utf8,
                }),
                _ => {}
            }
        }
    }
}

fn key_usage(ci: &mut CertInfo, b: &mut &[u8]) {
    while b.len() >= 2 {
        let Some(t) = tlv(b) else { return };
        if t.tag == 4 && t.value.len() >= 4 && t.value[0] == 3 {
            ci.is_ca = t.value[3] & 0x04 != 0;
        }
    }
}

fn alt_names(ci: &mut CertInfo, b: &mut &[u8], last_oid: &mut String, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    while b.len() >= 2 {
        let Some(t) = tlv(b) else { return };
        if t.constructed {
            let mut inner = t.value;
            alt_names(ci, &mut inner, last_oid, depth + 1);
        } else if t.tag == 6 {
            *last_oid = oid_string(t.value);
            if last_oid == "2.5.29.15" {
                key_usage(ci, b);
            }
            if last_oid != "2.5.29.17" {
                last_oid.clear();
            }
        } else if !last_oid.is_empty() && t.tag == 4 {
            let mut inner = t.value;
            alt_names(ci, &mut inner, last_oid, depth + 1);
            return;
        } else if !last_oid.is_empty() && t.tag == 2 {
            // GLib's UTF-8 check, which Arkime uses, refuses NUL bytes too.
            match std::str::from_utf8(t.value)
                .ok()
                .filter(|s| !s.contains('\0'))
            {
                Some(s) => ci.alt.push(
                    cstr(s.as_bytes())
                        .to_ascii_lowercase()
                        .iter()
                        .map(|&c| char::from(c))
                        .collect::<String>(),
                ),
                None => ci.tags.push("bad-altname"),
            }
        }
    }
    last_oid.clear();
}

fn public_key(ci: &mut CertInfo, mut b: &[u8]) {
    let mut inner = tlv(&mut b).map(|t| t.value);
    let oid = inner.as_mut().and_then(tlv);
    let Some(oid) = oid else {
        ci.public_algorithm = Some("corrupt");
        return;
    };
    let name = oid_string(oid.value);
    let short = oid_short_name(&name);
    ci.public_algorithm = Some(short.unwrap_or("unknown"));
    if name == "1.2.840.10045.2.1" {
        let param = inner.as_mut().and_then(tlv);
        ci.curve = Some(match param {
            Some(p) if p.value.len() <= 12 => {
                oid_short_name(&oid_string(p.value)).unwrap_or("unknown")
            }
            _ => "corrupt",
        });
    }
}

/// Parses one DER certificate; None when its structure is too broken (Arkime then
/// stops reading the chain).
pub fn parse_certificate(der: &[u8]) -> Option<CertInfo> {
    let mut ci = CertInfo::default();
    let digest = Sha1::digest(der);
    ci.hash = digest
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":");
    let mut b = der;
    let cert = tlv(&mut b)?;
    let mut b = cert.value;
    let tbs = tlv(&mut b)?;
    let mut b = tbs.value;
    let mut serial = tlv(&mut b)?;
    if serial.constructed {
        serial = tlv(&mut b)?;
    }
    ci.serial = serial.value[..serial.value.len().min(256)].to_vec();
    tlv(&mut b)?; // signature algorithm
    let issuer = tlv(&mut b)?;
    names(&mut ci.issuer, issuer.value, 0);
    let validity = tlv(&mut b)?;
    let mut vb = validity.value;
    let nb = tlv(&mut vb)?;
    let (t, pre) = parse_time(nb.tag, nb.value);
    ci.not_before = t;
    if pre {
        ci.tags.push("cert:pre-epoch-time");
    }
    let na = tlv(&mut vb)?;
    let (t, pre) = parse_time(na.tag, na.value);
    ci.not_after = t;
    if pre {
        ci.tags.push("cert:pre-epoch-time");
    }
    let subject = tlv(&mut b)?;
    names(&mut ci.subject, subject.value, 0);
    let spki = tlv(&mut b)?;
    public_key(&mut ci, spki.value);
    if !b.is_empty() {
        let ext = tlv(&mut b)?;
        let mut eb = ext.value;
        let mut last = String::new();
        alt_names(&mut ci, &mut eb, &mut last, 0);
    }
    Some(ci)
}

/// The certificates of a Certificate handshake message body; stops at the first
/// broken one, as Arkime does.
pub fn parse_certificate_list(data: &[u8]) -> Vec<CertInfo> {
    let mut out = Vec::new();
    let mut b = data.get(3..).unwrap_or(&[]);
    while b.len() > 3 {
        let l = usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2]);
        let clen = (b.len() - 3).min(l);
        match parse_certificate(&b[3..3 + clen]) {
            Some(c) => out.push(c),
            None => break,
        }
        b = &b[3 + clen..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A subjectAltName extension (OID 2.5.29.17, then an OCTET STRING holding the
    /// SEQUENCE of GeneralNames) with the dNSNames `names`.
    fn san(names: &[&[u8]]) -> Vec<u8> {
        let mut seq = Vec::new();
        for n in names {
            seq.push(0x82);
            seq.push(n.len() as u8);
            seq.extend_from_slice(n);
        }
        let mut octets = vec![0x30, seq.len() as u8];
        octets.extend_from_slice(&seq);
        let mut ext = vec![0x06, 0x03, 0x55, 0x1d, 0x11, 0x04, octets.len() as u8];
        ext.extend_from_slice(&octets);
        let mut whole = vec![0x30, ext.len() as u8];
        whole.extend_from_slice(&ext);
        whole
    }

    #[test]
    fn alt_names_with_a_nul_or_bad_utf8_are_dropped_and_tagged() {
        for (bad, why) in [
            (&b"evil.com\0.good.com"[..], "NUL"),
            (b"\xffbad.com", "UTF-8"),
        ] {
            let ext = san(&[b"Good.Example.com", bad]);
            let mut ci = CertInfo::default();
            alt_names(&mut ci, &mut &ext[..], &mut String::new(), 0);
            assert_eq!(ci.alt, vec!["good.example.com".to_string()], "{why}");
            assert_eq!(ci.tags, vec!["bad-altname"], "{why}");
        }
    }
}
