use serde_json::json;
use trawl_testkit::{run_session, UdpExchange};

const CLIENT_SID: [u8; 8] = [0xc1, 0x1e, 0x47, 0x00, 0x00, 0x00, 0x00, 0x01];
const SERVER_SID: [u8; 8] = [0x5e, 0x4f, 0xe4, 0x00, 0x00, 0x00, 0x00, 0x02];

/// An OpenVPN control packet without tls-auth: opcode and key id, our session id,
/// the acknowledged packet ids (with the peer's session id when any), then, but for
/// P_ACK_V1, our packet id and the payload.
fn control(
    opcode: u8,
    sid: [u8; 8],
    acks: &[u32],
    peer: [u8; 8],
    pid: Option<u32>,
    payload: &[u8],
) -> Vec<u8> {
    let mut p = vec![opcode << 3];
    p.extend_from_slice(&sid);
    p.push(acks.len() as u8);
    for a in acks {
        p.extend_from_slice(&a.to_be_bytes());
    }
    if !acks.is_empty() {
        p.extend_from_slice(&peer);
    }
    if let Some(pid) = pid {
        p.extend_from_slice(&pid.to_be_bytes());
    }
    p.extend_from_slice(payload);
    p
}

fn u16s(v: &[u16]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_be_bytes()).collect()
}

fn ext(ty: u16, body: &[u8]) -> Vec<u8> {
    let mut e = ty.to_be_bytes().to_vec();
    e.extend_from_slice(&(body.len() as u16).to_be_bytes());
    e.extend_from_slice(body);
    e
}

/// A handshake message in a TLS handshake record.
fn record(ty: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![0x16, 3, 3];
    r.extend_from_slice(&((body.len() + 4) as u16).to_be_bytes());
    r.push(ty);
    r.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    r.extend_from_slice(body);
    r
}

/// OpenSSL's TLS 1.2 ClientHello, no SNI: four suites, supported groups x25519 and
/// secp256r1, point formats, two signature algorithms, encrypt-then-MAC, extended
/// master secret.
fn client_hello() -> Vec<u8> {
    let mut b = vec![3, 3];
    b.extend_from_slice(&[0x11; 32]);
    b.push(0); // no session id
    let suites = u16s(&[0xc02f, 0xc030, 0x009e, 0x00ff]);
    b.extend_from_slice(&(suites.len() as u16).to_be_bytes());
    b.extend_from_slice(&suites);
    b.extend_from_slice(&[1, 0]);
    let exts = [
        ext(0x000a, &[&[0, 4][..], &u16s(&[0x001d, 0x0017])].concat()),
        ext(0x000b, &[1, 0]),
        ext(0x000d, &[&[0, 4][..], &u16s(&[0x0401, 0x0804])].concat()),
        ext(0x0016, &[]),
        ext(0x0017, &[]),
    ]
    .concat();
    b.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    b.extend_from_slice(&exts);
    record(1, &b)
}

/// The server's answer: TLS 1.2, a 32-byte session id, ECDHE-RSA-AES256-GCM-SHA384,
/// renegotiation info, point formats, extended master secret.
fn server_hello() -> Vec<u8> {
    let mut b = vec![3, 3];
    b.extend_from_slice(&[0x22; 32]);
    b.push(32);
    b.extend(0u8..32);
    b.extend_from_slice(&[0xc0, 0x30, 0]);
    let exts = [ext(0xff01, &[0]), ext(0x000b, &[1, 0]), ext(0x0017, &[])].concat();
    b.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    b.extend_from_slice(&exts);
    record(2, &b)
}

#[test]
fn udp_handshake_hands_tls_over() {
    let hello = client_hello();
    let (first, rest) = hello.split_at(40);
    let frames = UdpExchange::new("10.0.0.1:41194", "10.0.0.2:1194")
        // P_CONTROL_HARD_RESET_CLIENT_V2 (7): 14 bytes without tls-auth.
        .client(&control(7, CLIENT_SID, &[], [0; 8], Some(0), &[]))
        // P_CONTROL_HARD_RESET_SERVER_V2 (8).
        .server(&control(8, SERVER_SID, &[0], CLIENT_SID, Some(0), &[]))
        // The ClientHello split over two P_CONTROL_V1 (4): gathered, then read.
        .client(&control(4, CLIENT_SID, &[0], SERVER_SID, Some(1), first))
        .client(&control(4, CLIENT_SID, &[], [0; 8], Some(2), rest))
        .server(&control(
            4,
            SERVER_SID,
            &[1, 2],
            CLIENT_SID,
            Some(1),
            &server_hello(),
        ))
        // P_ACK_V1 (5): nothing to read.
        .client(&control(5, CLIENT_SID, &[1], SERVER_SID, None, &[]))
        // P_DATA_V2 (9): the tunnel is up, the parser stops.
        .client(&[0x48, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef])
        .frames();
    let doc = run_session(crate::register_with_tls, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "openvpn"]));
    // JA3 is the MD5 of "771,49199-49200-158-255,10-11-13-22-23,29-23,0", JA3S of
    // "771,49200,65281-11-23" (Python's hashlib.md5). JA4 starts with "q": Arkime
    // writes 't' only for TCP. Its parts are SHA-256 prefixes (hashlib.sha256, 12 hex
    // digits) of "009e,00ff,c02f,c030" and of
    // "000a,000b,000d,0016,0017_0401,0804".
    assert_eq!(
        doc["tls"],
        json!({
            "version": ["TLSv1.2"],
            "versionCnt": 1,
            "cipher": ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"],
            "cipherCnt": 1,
            "ja3": ["d783cf9710ddf4bbc65994d341092f2a"],
            "ja3Cnt": 1,
            "ja3s": ["e54965894d6b45ecb4323c7ea3d6c115"],
            "ja3sCnt": 1,
            "ja4": ["q12i040500_9c0314f64b5a_a1c90c792856"],
            "ja4Cnt": 1,
            // The server's session id in hex (no count: the field has no CNT flag).
            "dstSessionId": ["000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"],
        })
    );
}

#[test]
fn tcp_hard_reset_with_tls_auth() {
    // Over TCP each packet has a 2-byte length; with tls-auth (SHA-1) the client's
    // hard reset is 42 bytes: HMAC, replay packet id and time before the acks.
    let mut reset = vec![0x38];
    reset.extend_from_slice(&CLIENT_SID);
    reset.extend_from_slice(&[0x77; 20]); // HMAC
    reset.extend_from_slice(&[0, 0, 0, 1]); // replay packet id
    reset.extend_from_slice(&0x6550_0000u32.to_be_bytes()); // time
    reset.extend_from_slice(&[0, 0, 0, 0, 0]); // no acks, packet id 0
    let mut framed = (reset.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&reset);
    let frames = trawl_testkit::TcpConversation::new("10.0.0.1:41195", "10.0.0.2:1194")
        .handshake()
        .client(&framed)
        .close()
        .frames();
    let doc = run_session(crate::register_with_tls, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "openvpn"]));
    assert_eq!(doc["tls"], json!(null));
}

/// `p` with the 2-byte length OpenVPN puts before each record over TCP.
fn tcp_framed(p: &[u8]) -> Vec<u8> {
    let mut f = (p.len() as u16).to_be_bytes().to_vec();
    f.extend_from_slice(p);
    f
}

#[test]
fn tcp_records_split_across_segments_and_two_in_one() {
    let reset = tcp_framed(&control(7, CLIENT_SID, &[], [0; 8], Some(0), &[]));
    // The ClientHello's control record goes in segments of 23 bytes: neither the
    // 2-byte length, the OpenVPN header nor the TLS record arrive whole at once.
    let hello = tcp_framed(&control(
        4,
        CLIENT_SID,
        &[0],
        SERVER_SID,
        Some(1),
        &client_hello(),
    ));
    // The server's hard reset and its ServerHello in one segment: both are read.
    let mut answer = tcp_framed(&control(8, SERVER_SID, &[0], CLIENT_SID, Some(0), &[]));
    answer.extend_from_slice(&tcp_framed(&control(
        4,
        SERVER_SID,
        &[1],
        CLIENT_SID,
        Some(1),
        &server_hello(),
    )));
    let frames = trawl_testkit::TcpConversation::new("10.0.0.1:41196", "10.0.0.2:1194")
        .handshake()
        .client(&reset)
        .segment(23)
        .client(&hello)
        .segment(1460)
        .server(&answer)
        .close()
        .frames();
    let doc = run_session(crate::register_with_tls, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "openvpn"]));
    // The same handshake as over UDP: the same JA3, JA3S and JA4 hashes, but JA4
    // starts with 't' for TCP.
    assert_eq!(
        doc["tls"],
        json!({
            "version": ["TLSv1.2"],
            "versionCnt": 1,
            "cipher": ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"],
            "cipherCnt": 1,
            "ja3": ["d783cf9710ddf4bbc65994d341092f2a"],
            "ja3Cnt": 1,
            "ja3s": ["e54965894d6b45ecb4323c7ea3d6c115"],
            "ja3sCnt": 1,
            "ja4": ["t12i040500_9c0314f64b5a_a1c90c792856"],
            "ja4Cnt": 1,
            "dstSessionId": ["000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"],
        })
    );
}
