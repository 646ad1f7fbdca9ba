//! IETF QUIC: client Initial packets built and protected here with a real AES-GCM
//! (the `aes-gcm` crate, with the RFC 9001 keys trawl derives, which its unit tests
//! check against the RFCs), then decrypted by the capture.

use aes::cipher::BlockEncrypt;
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::Aes128Gcm;
use md5::{Digest, Md5};
use serde_json::json;
use sha2::Sha256;
use trawl_parser_vpn::quic_ietf::{client_initial_keys, VERSION_2};
use trawl_testkit::{run_session, UdpExchange};

const DCID: [u8; 8] = [0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08];

fn ext(kind: u16, body: &[u8]) -> Vec<u8> {
    let mut e = kind.to_be_bytes().to_vec();
    e.extend_from_slice(&(body.len() as u16).to_be_bytes());
    e.extend_from_slice(body);
    e
}

/// A TLS 1.3 ClientHello handshake message (with its 4-byte header) for `host`:
/// ciphers 1301-1303, extensions server_name, supported_groups (x25519, P-256),
/// ALPN h3, signature_algorithms (0403, 0804), supported_versions (TLS 1.3),
/// key_share (empty) and quic_transport_parameters, in that order.
fn client_hello(host: &str) -> Vec<u8> {
    let mut sni = vec![0];
    sni.extend_from_slice(&(host.len() as u16).to_be_bytes());
    sni.extend_from_slice(host.as_bytes());
    let mut sni_list = (sni.len() as u16).to_be_bytes().to_vec();
    sni_list.extend_from_slice(&sni);
    let mut exts = ext(0, &sni_list);
    exts.extend(ext(10, &[0, 4, 0x00, 0x1d, 0x00, 0x17]));
    exts.extend(ext(16, &[0, 3, 2, b'h', b'3']));
    exts.extend(ext(13, &[0, 4, 0x04, 0x03, 0x08, 0x04]));
    exts.extend(ext(43, &[2, 0x03, 0x04]));
    exts.extend(ext(51, &[0, 0]));
    exts.extend(ext(57, &[0x01, 0x02, 0x67, 0x10]));
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&[0x42; 32]); // random
    body.push(0); // session id
    body.extend_from_slice(&[0, 6, 0x13, 0x01, 0x13, 0x02, 0x13, 0x03]);
    body.extend_from_slice(&[1, 0]); // compression: null
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend_from_slice(&exts);
    let mut m = vec![1];
    m.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    m.extend_from_slice(&body);
    m
}

/// A CRYPTO frame: type 6, offset and length as 2-byte varints, the bytes.
fn crypto(offset: usize, b: &[u8]) -> Vec<u8> {
    let mut f = vec![6];
    f.extend_from_slice(&(0x4000 | offset as u16).to_be_bytes());
    f.extend_from_slice(&(0x4000 | b.len() as u16).to_be_bytes());
    f.extend_from_slice(b);
    f
}

/// A protected client Initial packet carrying `frames`, padded to a 1200-byte
/// datagram: header, 2-byte packet number `pn`, AES-128-GCM payload and tag, then
/// header protection.
fn initial(version: u32, dcid: &[u8], pn: u16, frames: &[u8]) -> Vec<u8> {
    let keys = client_initial_keys(version, dcid);
    let kind = if version == VERSION_2 { 0xd0 } else { 0xc0 };
    let mut p = vec![kind | 0x01]; // 2-byte packet number
    p.extend_from_slice(&version.to_be_bytes());
    p.push(dcid.len() as u8);
    p.extend_from_slice(dcid);
    p.push(0); // source id: empty
    p.push(0); // token: none
    let header_len = p.len() + 2 + 2;
    let mut payload = frames.to_vec();
    payload.resize(1200 - header_len - 16, 0); // PADDING frames
    p.extend_from_slice(&(0x4000 | (2 + payload.len() + 16) as u16).to_be_bytes());
    let pn_at = p.len();
    p.extend_from_slice(&pn.to_be_bytes());
    let mut nonce = keys.iv;
    nonce[10] ^= (pn >> 8) as u8;
    nonce[11] ^= pn as u8;
    let tag = Aes128Gcm::new(&keys.key.into())
        .encrypt_in_place_detached(&nonce.into(), &p, &mut payload)
        .expect("encrypts");
    p.extend_from_slice(&payload);
    p.extend_from_slice(&tag);
    let mut mask = <[u8; 16]>::try_from(&p[pn_at + 4..pn_at + 20])
        .unwrap()
        .into();
    aes::Aes128::new(&keys.hp.into()).encrypt_block(&mut mask);
    p[0] ^= mask[0] & 0x0f;
    p[pn_at] ^= mask[1];
    p[pn_at + 1] ^= mask[2];
    assert_eq!(p.len(), 1200);
    p
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The TLS fields the ClientHello above gives. JA3: version 771, the ciphers, the
/// extensions in order, the groups, no point formats. JA4: QUIC, TLS 1.3, SNI, 3
/// ciphers, 7 extensions, ALPN h3; then the first 12 hex digits of the SHA-256 of the
/// sorted ciphers, and of the sorted extensions without SNI and ALPN followed by the
/// signature algorithms.
fn expected_tls() -> serde_json::Value {
    let ja3 = "771,4865-4866-4867,0-10-16-13-43-51-57,29-23,";
    let h12 = |s: &str| hex(&Sha256::digest(s.as_bytes()))[..12].to_string();
    let ja4 = format!(
        "q13d0307h3_{}_{}",
        h12("1301,1302,1303"),
        h12("000a,000d,002b,0033,0039_0403,0804")
    );
    json!({
        "ja3": [hex(&Md5::digest(ja3.as_bytes()))],
        "ja3Cnt": 1,
        "ja4": [ja4],
        "ja4Cnt": 1,
    })
}

#[test]
fn v1_client_hello_in_one_packet() {
    let hello = client_hello("example.org");
    let frames = UdpExchange::new("10.0.0.1:51000", "192.0.2.10:443")
        .client(&initial(1, &DCID, 0, &crypto(0, &hello)))
        .frames();
    let doc = run_session(crate::register_with_tls, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "quic"]));
    assert_eq!(doc["http"], json!({"host": ["example.org"], "hostCnt": 1}));
    assert_eq!(doc["tls"], expected_tls());
    assert!(doc.get("quic").is_none(), "IETF QUIC fills TLS's fields");
}

#[test]
fn client_hello_over_two_packets_out_of_order() {
    // The second half comes first, in a packet that also holds a PING; a server
    // Initial (empty destination id) in between is not read.
    let hello = client_hello("split.example.net");
    let (a, b) = hello.split_at(60);
    let mut second = vec![1];
    second.extend(crypto(60, b));
    let mut server = vec![0xc1];
    server.extend_from_slice(&1u32.to_be_bytes());
    server.extend_from_slice(&[0, 8]);
    server.extend_from_slice(&[0x77; 8]);
    server.resize(1200, 0x5a);
    let frames = UdpExchange::new("10.0.0.1:51001", "192.0.2.10:443")
        .client(&initial(1, &DCID, 1, &second))
        .server(&server)
        .client(&initial(1, &DCID, 2, &crypto(0, a)))
        .frames();
    let doc = run_session(crate::register_with_tls, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "quic"]));
    assert_eq!(doc["http"]["host"], json!(["split.example.net"]));
    assert_eq!(doc["tls"], expected_tls());

    // The first half alone: a QUIC session, but no ClientHello to read.
    let frames = UdpExchange::new("10.0.0.1:51002", "192.0.2.10:443")
        .client(&initial(1, &DCID, 2, &crypto(0, a)))
        .frames();
    let doc = run_session(crate::register_with_tls, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "quic"]));
    assert!(doc.get("tls").is_none() && doc.get("http").is_none());
}

#[test]
fn v2_and_draft_29_keys() {
    for (version, host) in [(VERSION_2, "v2.example"), (0xff00_001d, "draft29.example")] {
        let dcid = [0x11, 0x22, 0x33, 0x44];
        let frames = UdpExchange::new("10.0.0.1:51003", "192.0.2.10:443")
            .client(&initial(version, &dcid, 7, &crypto(0, &client_hello(host))))
            .frames();
        let doc = run_session(crate::register_with_tls, &frames);
        assert_eq!(doc["protocol"], json!(["udp", "quic"]), "{version:x}");
        assert_eq!(doc["http"]["host"], json!([host]));
    }
}

#[test]
fn not_read_short_datagrams_or_wrong_keys() {
    let hello = client_hello("example.org");
    // Under 1100 bytes: Arkime's parser does not look (a client's first flight is
    // padded to 1200).
    let p = initial(1, &DCID, 0, &crypto(0, &hello));
    let mut short = p.clone();
    short.truncate(1099);
    // Another version's keys: the payload decrypts to noise.
    let mut other = p.clone();
    other[1..5].copy_from_slice(&0xff00_001du32.to_be_bytes());
    for bytes in [short, other] {
        let frames = UdpExchange::new("10.0.0.1:51004", "192.0.2.10:443")
            .client(&bytes)
            .frames();
        let doc = run_session(crate::register_with_tls, &frames);
        assert!(doc.get("tls").is_none(), "{doc}");
    }
}
