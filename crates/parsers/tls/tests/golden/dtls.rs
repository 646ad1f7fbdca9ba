//! DTLS over UDP: the client's ClientHello datagram gives JA4 (and ja4_r), the
//! server's Certificate message the `cert` objects; DTLS writes no version, cipher or
//! JA3 (Arkime's dtls.c reads only those two messages).

use serde_json::json;
use trawl_testkit::{run_session, UdpExchange};

const SELF_SERVER: &[u8] = include_bytes!("../../src/testdata/ssl-selfsign-server.bin");

/// A DTLS handshake message: type, length, message sequence, fragment offset 0 and
/// the whole body as the fragment.
fn message(ty: u8, seq: u16, body: &[u8]) -> Vec<u8> {
    let len = &(body.len() as u32).to_be_bytes()[1..];
    let mut m = vec![ty];
    m.extend_from_slice(len);
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(&[0, 0, 0]);
    m.extend_from_slice(len);
    m.extend_from_slice(body);
    m
}

/// A DTLS 1.2 handshake record (epoch 0) holding `msg`.
fn record(seq: u8, msg: &[u8]) -> Vec<u8> {
    let mut r = vec![22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, seq];
    r.extend_from_slice(&(msg.len() as u16).to_be_bytes());
    r.extend_from_slice(msg);
    r
}

fn extension(v: &mut Vec<u8>, ty: u16, data: &[u8]) {
    v.extend_from_slice(&ty.to_be_bytes());
    v.extend_from_slice(&(data.len() as u16).to_be_bytes());
    v.extend_from_slice(data);
}

/// A DTLS 1.2 ClientHello body: no session id, an empty cookie, ciphers
/// ECDHE-ECDSA-AES128-GCM, a GREASE value, ECDHE-RSA-AES128-GCM and
/// RSA-AES128-GCM; SNI, supported groups, point formats, signature algorithms,
/// use_srtp and extended master secret.
fn client_hello() -> Vec<u8> {
    let mut h = vec![0xfe, 0xfd];
    h.extend_from_slice(&[0x5a; 32]);
    h.extend_from_slice(&[0, 0]); // session id, cookie
    h.extend_from_slice(&[0, 8, 0xc0, 0x2b, 0x0a, 0x0a, 0xc0, 0x2f, 0x00, 0x9c]);
    h.extend_from_slice(&[1, 0]); // null compression
    let mut e = Vec::new();
    let name = b"media.example.org";
    let mut sni = ((name.len() + 3) as u16).to_be_bytes().to_vec();
    sni.push(0);
    sni.extend_from_slice(&(name.len() as u16).to_be_bytes());
    sni.extend_from_slice(name);
    extension(&mut e, 0x0000, &sni);
    extension(&mut e, 0x000a, &[0, 4, 0, 0x1d, 0, 0x17]);
    extension(&mut e, 0x000b, &[1, 0]);
    extension(&mut e, 0x000d, &[0, 4, 0x04, 0x03, 0x08, 0x04]);
    extension(&mut e, 0x000e, &[0, 2, 0, 1, 0]);
    extension(&mut e, 0x0017, &[]);
    h.extend_from_slice(&(e.len() as u16).to_be_bytes());
    h.extend_from_slice(&e);
    h
}

/// A DTLS 1.2 ServerHello body (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256).
fn server_hello() -> Vec<u8> {
    let mut h = vec![0xfe, 0xfd];
    h.extend_from_slice(&[0xa5; 32]);
    h.push(0);
    h.extend_from_slice(&[0xc0, 0x2f, 0]);
    h.extend_from_slice(&[0, 0]);
    h
}

#[test]
fn client_hello_ja4_and_server_certificate() {
    let hello = record(0, &message(1, 0, &client_hello()));
    // The server's flight in one datagram: ServerHello, Certificate (the
    // self-signed certificate of ssl-selfsign.pcap), ServerHelloDone.
    let mut flight = record(0, &message(2, 0, &server_hello()));
    flight.extend(record(
        1,
        &message(11, 1, &crate::certificate_body(SELF_SERVER)),
    ));
    flight.extend(record(2, &message(14, 2, &[])));
    let frames = UdpExchange::new("10.1.1.1:40001", "10.1.1.2:4433")
        .client(&hello)
        .server(&flight)
        // Encrypted records later (epoch 1, ChangeCipherSpec then application
        // data): the parser stops at the first datagram that is not handshake.
        .client(&[20, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1])
        .server(&[23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 1, 0, 2, 9, 9])
        .frames();
    // As in ssl-selfsign.pcap, so that the certificate's remaining time is Arkime's.
    let frames = crate::starting_at(frames, 1_519_400_125);
    let doc = run_session(crate::register_with(crate::regression_config()), &frames);
    assert_eq!(doc["protocol"], json!(["udp", "dtls"]));
    // JA4: "d" for DTLS, "d2" for DTLS 1.2 (0xfefd, no supported_versions), "d" for
    // the SNI, 3 ciphers (GREASE left out), 6 extensions (SNI counted, not listed),
    // no ALPN "00". Python: sha256(b"009c,c02b,c02f").hexdigest()[:12] and
    // sha256(b"000a,000b,000d,000e,0017_0403,0804").hexdigest()[:12].
    assert_eq!(
        doc["tls"],
        json!({
            "ja4": ["dd2d030600_b80a1783d7a2_ea3353a255f3"],
            "ja4Cnt": 1,
            "ja4_r": ["dd2d030600_009c,c02b,c02f_000a,000b,000d,000e,0017_0403,0804"],
            "ja4_rCnt": 1,
        })
    );
    // DTLS does not write the SNI as a host.
    assert_eq!(doc.get("http"), None);
    assert_eq!(doc["cert"], json!([crate::selfsign_cert()]));
    assert_eq!(doc["certCnt"], json!(1));
    assert_eq!(doc["tags"], json!(["cert:self-signed"]));
}

#[test]
fn without_ja4_raw_only_ja4() {
    let frames = UdpExchange::new("10.1.1.1:40002", "10.1.1.2:4433")
        .client(&record(0, &message(1, 0, &client_hello())))
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "dtls"]));
    assert_eq!(
        doc["tls"],
        json!({"ja4": ["dd2d030600_b80a1783d7a2_ea3353a255f3"], "ja4Cnt": 1})
    );
    assert_eq!(doc.get("cert"), None);
}
