//! IETF QUIC (Arkime's quic.c, its `quic_ietf` part): a client's Initial packets are
//! protected with keys anyone can derive from the packet's destination connection id
//! (RFC 9001 section 5.2), so the sensor removes the header protection, decrypts the
//! payload, gathers the CRYPTO frames (the ClientHello may span several packets, in any
//! order) and hands the ClientHello to TLS: SNI (`host.http`), JA3/JA4 (JA4 with its
//! `q` prefix), the `tls:has_ech` tag. The session gets the `quic` protocol once a
//! CRYPTO frame is seen.
//!
//! Arkime's rules, kept: only datagrams of 1100 to 3000 bytes (a client's first flight
//! is padded to at least 1200), only the first packet of a datagram, client packets
//! only (a non-empty destination id, a source id of at most 16 bytes), the payload is
//! decrypted without checking the AEAD tag, CRYPTO bytes past offset 8000 are dropped,
//! and the parser gives up after 16 packets (both directions counted).
//!
//! One difference: QUIC v2 (RFC 9369) is decoded as its RFC says, with its own Initial
//! packet type (`0b01`) and its own key labels (`quicv2 key`...). Arkime's parser uses
//! the v1 type and labels for v2 too, so it never reads a v2 ClientHello.

use aes::cipher::{BlockEncrypt, KeyInit, KeyIvInit, StreamCipher};
use hkdf::Hkdf;
use sha2::Sha256;
use trawl_parser_common::cursor::{at, Cursor};
use trawl_parser_tls::TlsFields;
use trawl_session::parsers::{has_parser, register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

/// QUIC v2's version number (RFC 9369).
pub const VERSION_2: u32 = 0x6b33_43cf;

/// The version numbers whose Initial packets are decoded (Arkime's classifiers): v1,
/// v2, drafts 27 to 29 and Facebook's mvfst (draft 27).
pub const VERSIONS: [u32; 6] = [
    1,
    VERSION_2,
    0xff00_001d,
    0xff00_001c,
    0xff00_001b,
    0xface_b002,
];

/// Initial salts (RFC 9001 section 5.2, RFC 9369 section 3.3.1, and the drafts').
const SALT_DRAFT_23: [u8; 20] = [
    0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65,
    0xbe, 0xf9, 0xf5, 0x02,
];
const SALT_DRAFT_29: [u8; 20] = [
    0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0,
    0x43, 0x90, 0xa8, 0x99,
];
const SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];
const SALT_V2: [u8; 20] = [
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb,
    0xf9, 0xbd, 0x2e, 0xd9,
];

/// Smallest and largest datagram looked at.
const MIN_DATAGRAM: usize = 1100;
const MAX_DATAGRAM: usize = 3000;
/// Most plaintext bytes decrypted from one packet.
const MAX_PLAIN: usize = 3000;
/// CRYPTO stream bytes kept (Arkime's buffer).
const CRYPTO_MAX: usize = 8000;
/// Packets after which the parser gives up.
const MAX_PACKETS: u8 = 16;
/// Bytes of the AEAD tag at the end of a packet.
const TAG_LEN: usize = 16;

/// The salt of a version, as Arkime picks it: v2, then v1 and draft 33 on, drafts 29
/// to 32, and draft 23's for the rest (mvfst included).
fn salt(version: u32) -> &'static [u8; 20] {
    let draft = |min: u32| version >> 8 == 0x00ff_0000 && version & 0xff >= min;
    if version == VERSION_2 {
        &SALT_V2
    } else if version == 1 || draft(33) {
        &SALT_V1
    } else if draft(29) {
        &SALT_DRAFT_29
    } else {
        &SALT_DRAFT_23
    }
}

/// HKDF-Expand-Label (RFC 8446 section 7.1) with an empty context.
fn expand_label(secret: &Hkdf<Sha256>, label: &str, out: &mut [u8]) {
    let full = b"tls13 ".iter().chain(label.as_bytes());
    let mut info = Vec::with_capacity(4 + 6 + label.len());
    info.extend_from_slice(&(out.len() as u16).to_be_bytes());
    info.push((6 + label.len()) as u8);
    info.extend(full);
    info.push(0);
    // Lengths here are at most 32 bytes, far below HKDF-SHA256's limit.
    let _ = secret.expand(&info, out);
}

/// A client's Initial keys: header protection, packet protection and IV.
#[derive(Debug, PartialEq, Eq)]
pub struct InitialKeys {
    pub hp: [u8; 16],
    pub key: [u8; 16],
    pub iv: [u8; 12],
}

/// Derives the client's Initial keys from the client's destination connection id.
pub fn client_initial_keys(version: u32, dcid: &[u8]) -> InitialKeys {
    let initial = Hkdf::<Sha256>::new(Some(salt(version)), dcid);
    let mut client = [0u8; 32];
    expand_label(&initial, "client in", &mut client);
    // Only a full-size PRK is refused, and `client` is one.
    let client = Hkdf::<Sha256>::from_prk(&client).unwrap_or(initial);
    let (hp, key, iv) = if version == VERSION_2 {
        ("quicv2 hp", "quicv2 key", "quicv2 iv")
    } else {
        ("quic hp", "quic key", "quic iv")
    };
    let mut k = InitialKeys {
        hp: [0; 16],
        key: [0; 16],
        iv: [0; 12],
    };
    expand_label(&client, hp, &mut k.hp);
    expand_label(&client, key, &mut k.key);
    expand_label(&client, iv, &mut k.iv);
    k
}

/// A variable-length integer (RFC 9000 section 16), read as Arkime reads it: 0 and the
/// cursor's error when the bytes run out.
fn varint(c: &mut Cursor<'_>) -> u64 {
    let Some(&first) = c.rest().first() else {
        c.skip(1);
        return 0;
    };
    match first >> 6 {
        0 => u64::from(c.u8()),
        1 => u64::from(c.be16() & 0x3fff),
        2 => u64::from(c.be32() & 0x3fff_ffff),
        _ => c.be64() & 0x3fff_ffff_ffff_ffff,
    }
}

/// Removes the protection of a client Initial packet at the start of `d` and decrypts
/// its payload into `out`, returning the plaintext's length. None when `d` is not a
/// client Initial this reads.
pub fn decrypt_client_initial(d: &[u8], out: &mut [u8; MAX_PLAIN]) -> Option<usize> {
    let mut c = Cursor::new(d);
    let flags = c.u8();
    let version = c.be32();
    let initial_type = if version == VERSION_2 { 0xd0 } else { 0xc0 };
    if flags & 0xf0 != initial_type {
        return None;
    }
    let dlen = usize::from(c.u8());
    let dcid = c.take_or_empty(dlen);
    // Server packets (to a client that chose an empty id) are not read.
    if dlen == 0 {
        return None;
    }
    let slen = usize::from(c.u8());
    if slen > 16 {
        return None;
    }
    c.skip(slen);
    let token = varint(&mut c);
    if token > c.remaining() as u64 {
        return None;
    }
    c.skip(token as usize);
    let len = varint(&mut c);
    if c.is_error() || len < 100 || len > c.remaining() as u64 {
        return None;
    }
    let len = len as usize;
    let pn_at = c.pos();
    let sample: [u8; 16] = d.get(pn_at + 4..pn_at + 20)?.try_into().ok()?;

    let keys = client_initial_keys(version, dcid);
    let mut mask = sample.into();
    aes::Aes128::new(&keys.hp.into()).encrypt_block(&mut mask);
    let first = flags ^ (mask[0] & 0x0f);
    let pn_len = usize::from(first & 0x03) + 1;
    let mut nonce = [0u8; 16];
    nonce[..12].copy_from_slice(&keys.iv);
    for i in 0..pn_len {
        nonce[12 - pn_len + i] ^= d[pn_at + i] ^ mask[i + 1];
    }
    // AES-GCM's payload counter starts at 2 (1 is the tag's).
    nonce[15] = 2;
    let n = len.checked_sub(pn_len + TAG_LEN)?.min(MAX_PLAIN);
    let body = d.get(pn_at + pn_len..pn_at + pn_len + n)?;
    out[..n].copy_from_slice(body);
    ctr::Ctr32BE::<aes::Aes128>::new(&keys.key.into(), &nonce.into())
        .apply_keystream(&mut out[..n]);
    Some(n)
}

/// Calls `f(offset, bytes)` for the CRYPTO frames of a decrypted payload, stopping at
/// the first frame that is neither PADDING, PING nor CRYPTO (as Arkime does). True when
/// a CRYPTO frame was seen.
pub fn crypto_frames(plain: &[u8], mut f: impl FnMut(u64, &[u8])) -> bool {
    let mut c = Cursor::new(plain);
    let mut crypto = false;
    while !c.is_error() && c.remaining() > 1 {
        match c.u8() {
            0 | 1 => continue,
            6 => {
                crypto = true;
                let offset = varint(&mut c);
                let len = varint(&mut c);
                if c.is_error() || len > c.remaining() as u64 {
                    break;
                }
                f(offset, c.take_or_empty(len as usize));
            }
            _ => break,
        }
    }
    crypto
}

/// A session's CRYPTO stream so far (Arkime's `QUICIetfInfo_t`).
#[derive(Debug)]
struct IetfQuic {
    tls: TlsFields,
    buf: Box<[u8; CRYPTO_MAX]>,
    /// End of the furthest bytes copied.
    end: u16,
    /// Bytes copied in all (equal to `end` when there is no gap and no overlap).
    copied: u16,
    packets: u8,
}

impl IetfQuic {
    fn add(&mut self, offset: u64, b: &[u8]) {
        let Ok(offset) = usize::try_from(offset) else {
            return;
        };
        if offset >= CRYPTO_MAX {
            return;
        }
        let n = b.len().min(CRYPTO_MAX - offset);
        self.buf[offset..offset + n].copy_from_slice(&b[..n]);
        self.end = self.end.max((offset + n) as u16);
        self.copied = self.copied.wrapping_add(n as u16);
    }

    /// The ClientHello, once the stream holds all of it from offset 0.
    fn client_hello(&self) -> Option<&[u8]> {
        let held = &self.buf[..usize::from(self.end)];
        let len = at::be24(held, 1)? as usize;
        (self.copied == self.end && held[0] == 1 && held.len() >= 4 + len).then_some(held)
    }
}

impl Parser for IetfQuic {
    fn name(&self) -> &'static str {
        "quic-ietf"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, d: &[u8], _dir: Dir) -> Parsed {
        self.packets += 1;
        if self.packets >= MAX_PACKETS {
            return Parsed::Skip;
        }
        if !(MIN_DATAGRAM..=MAX_DATAGRAM).contains(&d.len()) {
            return Parsed::Done(0);
        }
        let mut plain = [0u8; MAX_PLAIN];
        let Some(n) = decrypt_client_initial(d, &mut plain) else {
            return Parsed::Done(0);
        };
        if crypto_frames(&plain[..n], |offset, b| self.add(offset, b)) {
            cx.add_protocol(s, "quic");
        }
        if let Some(hello) = self.client_hello() {
            self.tls.process_client_hello(cx, s, hello);
            return Parsed::Skip;
        }
        Parsed::Done(0)
    }
}

/// Registers the classifiers of the IETF versions (the version at offset 1).
pub fn register(c: &mut Classifiers, tls: Option<TlsFields>) {
    let Some(tls) = tls else {
        return;
    };
    for v in VERSIONS {
        c.register_udp("quic", 0, 1, &v.to_be_bytes(), move |_, s, _, _, _| {
            if has_parser(s, "quic-ietf") {
                return;
            }
            register_parser(
                s,
                Box::new(IetfQuic {
                    tls,
                    buf: Box::new([0; CRYPTO_MAX]),
                    end: 0,
                    copied: 0,
                    packets: 0,
                }),
            );
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 9001 Appendix A.1 and RFC 9369 Appendix A.1: the client keys of the
    /// destination id 8394c8f03e515708.
    #[test]
    fn initial_keys_match_the_rfcs() {
        let dcid = hex("8394c8f03e515708");
        let v1 = client_initial_keys(1, &dcid);
        assert_eq!(v1.key.to_vec(), hex("1f369613dd76d5467730efcbe3b1a22d"));
        assert_eq!(v1.iv.to_vec(), hex("fa044b2f42a3fd3b46fb255c"));
        assert_eq!(v1.hp.to_vec(), hex("9f50449e04a0e810283a1e9933adedd2"));
        let v2 = client_initial_keys(VERSION_2, &dcid);
        assert_eq!(v2.key.to_vec(), hex("8b1a0bc121284290a29e0971b5cd045d"));
        assert_eq!(v2.iv.to_vec(), hex("91f73e2351d8fa91660e909f"));
        assert_eq!(v2.hp.to_vec(), hex("45b95e15235d6f45a6b19cbcb0294ba9"));
    }

    #[test]
    fn salts_by_version() {
        assert_eq!(salt(1), &SALT_V1);
        assert_eq!(salt(0xff00_0021), &SALT_V1);
        assert_eq!(salt(0xff00_001d), &SALT_DRAFT_29);
        assert_eq!(salt(0xff00_001c), &SALT_DRAFT_23);
        assert_eq!(salt(0xface_b002), &SALT_DRAFT_23);
        assert_eq!(salt(VERSION_2), &SALT_V2);
    }

    #[test]
    fn varints() {
        for (bytes, v) in [
            (&[0x25][..], 37u64),
            (&[0x7b, 0xbd], 15293),
            (&[0x9d, 0x7f, 0x3e, 0x7d], 494_878_333),
            (
                &[0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c],
                151_288_809_941_952_652,
            ),
        ] {
            let mut c = Cursor::new(bytes);
            assert_eq!(varint(&mut c), v);
            assert!(!c.is_error());
            let mut short = Cursor::new(&bytes[..bytes.len() - 1]);
            varint(&mut short);
            assert!(short.is_error() || bytes.len() == 1);
        }
        let mut empty = Cursor::new(&[]);
        assert_eq!(varint(&mut empty), 0);
        assert!(empty.is_error());
    }

    #[test]
    fn crypto_frames_in_order_of_the_payload() {
        // PADDING, CRYPTO(5, "world"), PING, CRYPTO(0, "hello"), ACK, CRYPTO (not read).
        let p = b"\x00\x06\x05\x05world\x01\x06\x00\x05hello\x02\x06\x00\x01x";
        let mut seen = Vec::new();
        assert!(crypto_frames(p, |o, b| seen.push((o, b.to_vec()))));
        assert_eq!(seen, vec![(5, b"world".to_vec()), (0, b"hello".to_vec())]);
        // A CRYPTO frame longer than what is left ends the walk.
        let mut seen = 0;
        assert!(crypto_frames(b"\x06\x00\x09abc", |_, _| seen += 1));
        assert_eq!(seen, 0);
        assert!(!crypto_frames(b"\x00\x00\x00", |_, _| unreachable!()));
        for n in 0..p.len() {
            crypto_frames(&p[..n], |_, _| {});
        }
    }
}
