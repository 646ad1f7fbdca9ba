//! ISAKMP / IKEv1 / IKEv2 (RFC 2408, RFC 2409, RFC 7296; Arkime's isakmp.c) over UDP
//! 500, and 4500 when the datagram starts with the four-zero non-ESP marker: SPIs,
//! version, exchange type, vendor ids, and from the cleartext SA payloads the
//! encryption, hash/PRF, DH group and authentication method; X.509 certificates in
//! CERT payloads go to TLS's certificate fields.

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::cursor::Cursor;
use trawl_parser_common::text::hex;
use trawl_parser_tls::CertState;
use trawl_session::parsers::{port, register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

/// NAT traversal port: IKE datagrams there carry a 4-byte zero marker first.
const NATT_PORT: u16 = 4500;
/// The fixed ISAKMP header.
const HEADER: usize = 28;

const SA_V1: u8 = 1;
const CERT_V1: u8 = 6;
const VENDOR_ID_V1: u8 = 13;
const SA_V2: u8 = 33;
const CERT_V2: u8 = 37;
const VENDOR_ID_V2: u8 = 43;

#[derive(Clone, Copy, Debug)]
struct Ids {
    initiator_spi: FieldId,
    responder_spi: FieldId,
    version: FieldId,
    exchange_type: FieldId,
    vendor_id: FieldId,
    encryption: FieldId,
    hash: FieldId,
    dh_group: FieldId,
    auth_method: FieldId,
}

fn exchange_v1(t: u8) -> Option<&'static str> {
    Some(match t {
        0 => "none",
        1 => "base",
        2 => "identity-protection",
        3 => "authentication-only",
        4 => "aggressive",
        5 => "informational",
        32 => "quick-mode",
        33 => "new-group-mode",
        _ => return None,
    })
}

fn exchange_v2(t: u8) -> Option<&'static str> {
    Some(match t {
        34 => "ike-sa-init",
        35 => "ike-auth",
        36 => "create-child-sa",
        37 => "informational",
        _ => return None,
    })
}

fn encryption_v1(v: u16) -> Option<&'static str> {
    Some(match v {
        1 => "des-cbc",
        2 => "idea-cbc",
        3 => "blowfish-cbc",
        4 => "rc5-r16-b64-cbc",
        5 => "3des-cbc",
        6 => "cast-cbc",
        7 => "aes-cbc",
        8 => "camellia-cbc",
        _ => return None,
    })
}

fn encryption_v2(v: u16) -> Option<&'static str> {
    Some(match v {
        1 => "des-iv64",
        2 => "des",
        3 => "3des",
        4 => "rc5",
        5 => "idea",
        6 => "cast",
        7 => "blowfish",
        8 => "3idea",
        9 => "des-iv32",
        11 => "null",
        12 => "aes-cbc",
        13 => "aes-ctr",
        14 => "aes-ccm-8",
        15 => "aes-ccm-12",
        16 => "aes-ccm-16",
        18 => "aes-gcm-8",
        19 => "aes-gcm-12",
        20 => "aes-gcm-16",
        21 => "null-auth-aes-gmac",
        23 => "camellia-cbc",
        24 => "camellia-ctr",
        25 => "camellia-ccm-8",
        26 => "camellia-ccm-12",
        27 => "camellia-ccm-16",
        28 => "chacha20-poly1305",
        _ => return None,
    })
}

fn hash_v1(v: u16) -> Option<&'static str> {
    Some(match v {
        1 => "md5",
        2 => "sha1",
        3 => "tiger",
        4 => "sha2-256",
        5 => "sha2-384",
        6 => "sha2-512",
        _ => return None,
    })
}

fn prf_v2(v: u16) -> Option<&'static str> {
    Some(match v {
        1 => "prf-hmac-md5",
        2 => "prf-hmac-sha1",
        3 => "prf-hmac-tiger",
        4 => "prf-aes128-xcbc",
        5 => "prf-hmac-sha2-256",
        6 => "prf-hmac-sha2-384",
        7 => "prf-hmac-sha2-512",
        _ => return None,
    })
}

fn dh_group(v: u16) -> Option<&'static str> {
    Some(match v {
        1 => "modp768",
        2 => "modp1024",
        5 => "modp1536",
        14 => "modp2048",
        15 => "modp3072",
        16 => "modp4096",
        17 => "modp6144",
        18 => "modp8192",
        19 => "ecp256",
        20 => "ecp384",
        21 => "ecp521",
        22 => "modp1024s160",
        23 => "modp2048s224",
        24 => "modp2048s256",
        25 => "ecp192",
        26 => "ecp224",
        27 => "brainpoolp224",
        28 => "brainpoolp256",
        29 => "brainpoolp384",
        30 => "brainpoolp512",
        31 => "curve25519",
        32 => "curve448",
        _ => return None,
    })
}

fn auth_method(v: u16) -> Option<&'static str> {
    Some(match v {
        1 => "psk",
        2 => "dss-sig",
        3 => "rsa-sig",
        4 | 5 => "rsa-enc",
        64221 => "hybrid-rsa",
        65001 => "xauth-psk",
        65005 => "xauth-rsa",
        _ => return None,
    })
}

/// Vendor ids known by their first eight bytes.
const VENDORS: [(&[u8; 8], &str); 17] = [
    (b"\x4a\x13\x1c\x81\x07\x03\x58\x45", "rfc3947-nat-t"),
    (b"\x90\xcb\x80\x91\x3e\xbb\x69\x6e", "draft-ietf-nat-t-02"),
    (b"\xcd\x60\x46\x43\x35\xdf\x21\xf8", "draft-ietf-nat-t-03"),
    (b"\x7d\x94\x19\xa6\x53\x10\xca\x6f", "draft-ietf-nat-t-rfc"),
    (b"\xaf\xca\xd7\x13\x68\xa1\xf1\xc9", "dpd"),
    (b"\x12\xf5\xf2\x8c\x45\x71\x68\xa9", "cisco-unity"),
    (b"\x09\x00\x26\x89\xdf\xd6\xb7\x12", "xauth"),
    (b"\x1f\x07\xf7\x0e\xaa\x65\x14\xd3", "cisco-concentrator"),
    (b"\x40\x48\xb7\xd5\x6e\xbc\xe8\x85", "ikev2"),
    (b"\x4d\x53\x2d\x4d\x61\x6d\x69\x65", "ms-ikev2"),
    (b"\x1e\x2b\x51\x69\x05\x99\x1c\x7d", "windows"),
    (b"\x4f\x45\x2e\x48\x4a\x52\x41\x4e", "fortigate"),
    (b"\x16\x6f\x93\x2d\x55\xeb\x64\xd8", "strongswan"),
    (b"\x69\x93\x69\x22\x87\x41\xc6\xd4", "openswan"),
    (b"\x4f\x50\x45\x4e\x53\x77\x61\x6e", "openswan2"),
    (b"\xfb\xf4\x76\x14\x98\x40\x31\xfa", "checkpoint"),
    (b"\xf4\xed\x19\xe0\xc1\x14\xeb\x51", "checkpoint-ng"),
];

/// A vendor id's name, or the hex of its first sixteen bytes.
fn vendor(v: &[u8]) -> String {
    VENDORS
        .iter()
        .find(|(p, _)| v.starts_with(&p[..]))
        .map_or_else(|| hex(&v[..v.len().min(16)]), |(_, n)| (*n).to_string())
}

/// What one datagram holds, in the order Arkime adds it.
#[derive(Debug, Default, PartialEq)]
pub struct Message<'a> {
    /// Initiator SPI, hex.
    pub initiator_spi: String,
    /// Responder SPI, hex, when not all zero.
    pub responder_spi: Option<String>,
    /// "major.minor".
    pub version: String,
    /// The exchange type's name, when known.
    pub exchange_type: Option<&'static str>,
    /// Values from the payloads, in order: (which field, value).
    pub values: Vec<(Value, String)>,
    /// DER certificates (X.509 signature encoding) from CERT payloads.
    pub certs: Vec<&'a [u8]>,
}

/// Which field a payload value goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    /// isakmp.vendor-id.
    VendorId,
    /// isakmp.encryption.
    Encryption,
    /// isakmp.hash.
    Hash,
    /// isakmp.dh-group.
    DhGroup,
    /// isakmp.auth-method.
    AuthMethod,
}

fn push(out: &mut Vec<(Value, String)>, v: Value, name: Option<&'static str>) {
    if let Some(n) = name {
        out.push((v, n.to_string()));
    }
}

fn transform_v1(out: &mut Vec<(Value, String)>, mut b: Cursor<'_>) {
    if b.remaining() < 4 {
        return;
    }
    b.skip(4);
    while b.remaining() >= 4 && !b.is_error() {
        let attr = b.be16();
        if attr & 0x8000 != 0 {
            let value = b.be16();
            match attr & 0x7fff {
                1 => push(out, Value::Encryption, encryption_v1(value)),
                2 => push(out, Value::Hash, hash_v1(value)),
                3 => push(out, Value::AuthMethod, auth_method(value)),
                4 => push(out, Value::DhGroup, dh_group(value)),
                _ => {}
            }
        } else {
            let len = b.be16();
            b.skip(usize::from(len));
        }
    }
}

fn transform_v2(out: &mut Vec<(Value, String)>, mut b: Cursor<'_>) {
    if b.remaining() < 4 {
        return;
    }
    let ty = b.u8();
    b.skip(1);
    let id = b.be16();
    match ty {
        1 => push(out, Value::Encryption, encryption_v2(id)),
        2 => push(out, Value::Hash, prf_v2(id)),
        4 => push(out, Value::DhGroup, dh_group(id)),
        _ => {}
    }
}

/// A proposal's transforms; `min` is the least bytes a transform (and what is left
/// before one) takes: 4 in IKEv1, 8 in IKEv2.
fn proposal(out: &mut Vec<(Value, String)>, mut b: Cursor<'_>, v2: bool) {
    let min = if v2 { 8 } else { 4 };
    if b.remaining() < min {
        return;
    }
    b.skip(2);
    let spi_size = b.u8();
    let transforms = b.u8();
    if spi_size > 0 {
        b.skip(usize::from(spi_size));
    }
    for _ in 0..transforms {
        if b.remaining() < min || b.is_error() {
            break;
        }
        b.skip(2);
        let len = usize::from(b.be16());
        if len < min || len > b.remaining() + 4 {
            break;
        }
        let t = b.sub(len - 4);
        if v2 {
            transform_v2(out, t);
        } else {
            transform_v1(out, t);
        }
    }
}

fn sa_v1(out: &mut Vec<(Value, String)>, mut b: Cursor<'_>) {
    if b.remaining() < 8 {
        return;
    }
    let doi = b.be32();
    b.skip(4);
    if doi != 1 {
        return;
    }
    while b.remaining() >= 4 && !b.is_error() {
        let next = b.u8();
        b.skip(1);
        let len = usize::from(b.be16());
        if len < 4 || len > b.remaining() + 4 {
            break;
        }
        let p = b.sub(len - 4);
        proposal(out, p, false);
        if next == 0 {
            break;
        }
    }
}

fn sa_v2(out: &mut Vec<(Value, String)>, mut b: Cursor<'_>) {
    while b.remaining() >= 8 && !b.is_error() {
        let last = b.u8();
        b.skip(1);
        let len = usize::from(b.be16());
        if len < 8 || len > b.remaining() + 4 {
            break;
        }
        let p = b.sub(len - 4);
        proposal(out, p, true);
        if last == 0 {
            break;
        }
    }
}

/// A CERT payload's certificate when its encoding is 4 (X.509 signature) and it is
/// not empty.
fn x509_der(v: &[u8]) -> Option<&[u8]> {
    match v {
        [4, der @ ..] if !der.is_empty() => Some(der),
        _ => None,
    }
}

/// Reads one datagram (after any non-ESP marker); None when it is shorter than the
/// ISAKMP header.
pub fn message(d: &[u8]) -> Option<Message<'_>> {
    if d.len() < HEADER {
        return None;
    }
    let mut b = Cursor::new(d);
    let ispi = b.take_or_empty(8);
    let rspi = b.take_or_empty(8);
    let mut next = b.u8();
    let version = b.u8();
    let exchange = b.u8();
    let flags = b.u8();
    b.skip(8);
    let major = version >> 4;
    let v2 = major == 2;
    let mut m = Message {
        initiator_spi: hex(ispi),
        responder_spi: rspi.iter().any(|&x| x != 0).then(|| hex(rspi)),
        version: format!("{major}.{}", version & 0x0f),
        exchange_type: if v2 {
            exchange_v2(exchange)
        } else {
            exchange_v1(exchange)
        },
        ..Message::default()
    };
    // IKEv2 only has cleartext payloads in IKE_SA_INIT; IKEv1 flags encryption.
    let encrypted = if v2 {
        exchange != 34
    } else {
        flags & 0x01 != 0
    };
    if encrypted {
        return Some(m);
    }
    while next != 0 && b.remaining() >= 4 && !b.is_error() {
        let current = next;
        next = b.u8();
        b.skip(1);
        let len = usize::from(b.be16());
        if len < 4 || len > b.remaining() + 4 {
            break;
        }
        let p = b.sub(len - 4);
        match current {
            SA_V1 if !v2 => sa_v1(&mut m.values, p),
            SA_V2 if v2 => sa_v2(&mut m.values, p),
            VENDOR_ID_V1 | VENDOR_ID_V2 => {
                let v = p.rest();
                if !v.is_empty() {
                    m.values.push((Value::VendorId, vendor(v)));
                }
            }
            CERT_V1 | CERT_V2 => m.certs.extend(x509_der(p.rest())),
            _ => {}
        }
    }
    Some(m)
}

/// The bytes after the non-ESP marker on port 4500 (None when it is missing: ESP).
fn strip_marker<'a>(s: &Session, d: &'a [u8]) -> Option<&'a [u8]> {
    if s.port1 == NATT_PORT || s.port2 == NATT_PORT {
        match d {
            [0, 0, 0, 0, rest @ ..] => Some(rest),
            _ => None,
        }
    } else {
        Some(d)
    }
}

#[derive(Debug)]
struct Isakmp {
    ids: Ids,
    certs: CertState,
}

impl Parser for Isakmp {
    fn name(&self) -> &'static str {
        "isakmp"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir) -> Parsed {
        let Some(m) = strip_marker(s, data).and_then(message) else {
            return Parsed::Done(0);
        };
        let ids = &self.ids;
        let reg = &cx.shared.fields;
        s.fields
            .string_add(reg, ids.initiator_spi, &m.initiator_spi);
        if let Some(r) = &m.responder_spi {
            s.fields.string_add(reg, ids.responder_spi, r);
        }
        s.fields.string_add(reg, ids.version, &m.version);
        if let Some(e) = m.exchange_type {
            s.fields.string_add(reg, ids.exchange_type, e);
        }
        for (which, v) in &m.values {
            let id = match which {
                Value::VendorId => ids.vendor_id,
                Value::Encryption => ids.encryption,
                Value::Hash => ids.hash,
                Value::DhGroup => ids.dh_group,
                Value::AuthMethod => ids.auth_method,
            };
            s.fields.string_add(reg, id, v);
        }
        for c in &m.certs {
            self.certs.process_single_certificate(cx, s, c);
        }
        Parsed::Done(0)
    }

    fn save(&mut self, _cx: &mut Cx, _s: &mut Session, _final: bool) {
        self.certs.saved();
    }
}

/// Whether the first bytes look like an ISAKMP header Arkime accepts.
fn looks_like_isakmp(d: &[u8]) -> bool {
    if d.len() < HEADER {
        return false;
    }
    let (version, exchange, flags) = (d[17], d[18], d[19]);
    match version >> 4 {
        1 => !((6..32).contains(&exchange) || (34..240).contains(&exchange)) && flags & 0xf8 == 0,
        2 => (34..=37).contains(&exchange) && flags & 0xc7 == 0,
        _ => false,
    }
}

fn classify(cx: &mut Cx, s: &mut Session, d: &[u8], ids: Ids) {
    if cx.has_protocol(s, "isakmp") {
        return;
    }
    if !strip_marker(s, d).is_some_and(looks_like_isakmp) {
        return;
    }
    cx.add_protocol(s, "isakmp");
    register_parser(
        s,
        Box::new(Isakmp {
            ids,
            certs: CertState::default(),
        }),
    );
}

const TERM: FieldSpec = FieldSpec::new("isakmp", FieldType::StrGHash).flags(Flags::CNT);

/// The ISAKMP fields, in the order of [`Ids`].
pub const FIELDS: [FieldSpec; 9] = [
    TERM.named(
        "isakmp.initiator-spi",
        "isakmp.initiatorSpi",
        Kind::TermField,
    )
    .text("Initiator SPI", "ISAKMP initiator security parameter index"),
    TERM.named(
        "isakmp.responder-spi",
        "isakmp.responderSpi",
        Kind::TermField,
    )
    .text("Responder SPI", "ISAKMP responder security parameter index"),
    TERM.named("isakmp.version", "isakmp.version", Kind::TermField)
        .text("Version", "ISAKMP version"),
    TERM.named(
        "isakmp.exchange-type",
        "isakmp.exchangeType",
        Kind::TermField,
    )
    .text("Exchange Type", "ISAKMP exchange type"),
    TERM.named("isakmp.vendor-id", "isakmp.vendorId", Kind::TermField)
        .text("Vendor ID", "ISAKMP vendor identifier"),
    TERM.named("isakmp.encryption", "isakmp.encryption", Kind::TermField)
        .text("Encryption", "ISAKMP encryption algorithm"),
    TERM.named("isakmp.hash", "isakmp.hash", Kind::TermField)
        .text("Hash/PRF", "ISAKMP hash or PRF algorithm"),
    TERM.named("isakmp.dh-group", "isakmp.dhGroup", Kind::TermField)
        .text("DH Group", "ISAKMP Diffie-Hellman group"),
    TERM.named("isakmp.auth-method", "isakmp.authMethod", Kind::TermField)
        .text("Auth Method", "ISAKMP authentication method"),
];

/// Registers the ISAKMP fields and the classifiers on UDP 500 and 4500.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [initiator_spi, responder_spi, version, exchange_type, vendor_id, encryption, hash, dh_group, auth_method] =
        f.define_all(&FIELDS);
    let ids = Ids {
        initiator_spi,
        responder_spi,
        version,
        exchange_type,
        vendor_id,
        encryption,
        hash,
        dh_group,
        auth_method,
    };
    for p in [500, NATT_PORT] {
        c.register_port("isakmp", 0, p, port::UDP, move |cx, s, d, _, _| {
            classify(cx, s, d, ids)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(next: u8, version: u8, exchange: u8, flags: u8, rspi: [u8; 8]) -> Vec<u8> {
        let mut m = vec![1, 2, 3, 4, 5, 6, 7, 8];
        m.extend_from_slice(&rspi);
        m.extend_from_slice(&[next, version, exchange, flags, 0, 0, 0, 0, 0, 0, 0, 0]);
        m
    }

    #[test]
    fn ikev1_sa_and_vendor() {
        let mut m = header(SA_V1, 0x10, 2, 0, [0; 8]);
        // SA: DOI 1, situation, one proposal with one transform.
        let transform = [
            0, 0, 0, 20, 1, 1, 0, 0, 0x80, 1, 0, 7, 0x80, 2, 0, 2, 0x80, 3, 0, 1, 0x80, 4, 0, 14,
        ];
        let mut prop = vec![0, 0, 0, 0, 1, 1, 0, 1];
        prop.extend_from_slice(&transform);
        let pl = prop.len() as u16;
        prop[2..4].copy_from_slice(&pl.to_be_bytes());
        let tl = transform.len() as u16;
        prop[10..12].copy_from_slice(&tl.to_be_bytes());
        let mut sa = vec![VENDOR_ID_V1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1];
        sa.extend_from_slice(&prop);
        let sl = sa.len() as u16;
        sa[2..4].copy_from_slice(&sl.to_be_bytes());
        m.extend_from_slice(&sa);
        m.extend_from_slice(&[0, 0, 0, 12, 0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9]);
        let r = message(&m).unwrap();
        assert_eq!(r.initiator_spi, "0102030405060708");
        assert_eq!(r.responder_spi, None);
        assert_eq!(r.version, "1.0");
        assert_eq!(r.exchange_type, Some("identity-protection"));
        let names: Vec<_> = r.values.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(names, ["aes-cbc", "sha1", "psk", "modp2048", "dpd"]);
        for cut in 0..m.len() {
            let _ = message(&m[..cut]);
            let _ = looks_like_isakmp(&m[..cut]);
        }
        assert!(message(&m[..27]).is_none());
        assert!(looks_like_isakmp(&m));
    }

    #[test]
    fn unknown_vendor_is_hex() {
        assert_eq!(vendor(&[0xab; 20]), "ab".repeat(16));
        assert_eq!(vendor(&[1, 2]), "0102");
    }
}
