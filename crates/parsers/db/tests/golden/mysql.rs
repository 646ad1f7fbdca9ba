use serde_json::json;
use trawl_testkit::{run_session, TcpConversation};

/// A MySQL packet: 3-byte little-endian payload length, sequence id, payload.
fn packet(seq: u8, payload: &[u8]) -> Vec<u8> {
    let n = payload.len() as u32;
    let mut p = n.to_le_bytes()[..3].to_vec();
    p.push(seq);
    p.extend_from_slice(payload);
    p
}

/// A protocol-10 server greeting announcing `version`.
fn greeting(version: &str) -> Vec<u8> {
    let mut g = vec![0x0a];
    g.extend_from_slice(version.as_bytes());
    g.push(0);
    g.extend_from_slice(&42u32.to_le_bytes()); // connection id
    g.extend_from_slice(b"abcdefgh\0"); // auth data, part 1, and filler
    g.extend_from_slice(&[0xff, 0xff, 0xff, 0x02, 0x00, 0xff, 0xdf, 21]);
    g.extend_from_slice(&[0; 10]);
    g.extend_from_slice(b"ijklmnopqrst\0");
    g.extend_from_slice(b"caching_sha2_password\0");
    packet(0, &g)
}

/// A HandshakeResponse41 with these capability flags and user (and, when it is a
/// real login, a scramble, a database and the auth plugin).
fn login(caps: u32, user: Option<&str>) -> Vec<u8> {
    let mut l = caps.to_le_bytes().to_vec();
    l.extend_from_slice(&0x0100_0000u32.to_le_bytes()); // max packet
    l.push(0xff); // utf8mb4
    l.extend_from_slice(&[0; 23]);
    if let Some(u) = user {
        l.extend_from_slice(u.as_bytes());
        l.push(0);
        l.push(32);
        l.extend_from_slice(&[0x77; 32]);
        l.extend_from_slice(b"shop\0caching_sha2_password\0");
    }
    packet(1, &l)
}

/// CLIENT_LONG_PASSWORD, FOUND_ROWS, LONG_FLAG, CONNECT_WITH_DB, LOCAL_FILES,
/// PROTOCOL_41, TRANSACTIONS, SECURE_CONNECTION, MULTI_*, PLUGIN_AUTH...: no SSL.
const CAPS: u32 = 0x00af_a68f;
/// CLIENT_SSL (0x0800): the second byte's 0x08 bit.
const CLIENT_SSL: u32 = 0x0800;

#[test]
fn greeting_and_login() {
    assert_eq!(CAPS & CLIENT_SSL, 0);
    let frames = TcpConversation::new("10.0.0.5:52000", "10.0.0.7:3306")
        .handshake()
        .server(&greeting("8.0.36"))
        .client(&login(CAPS, Some("Root")))
        .server(&packet(2, &[0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00]))
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "mysql"]));
    // Both fields are single strings; the user is lower-cased.
    assert_eq!(
        doc["mysql"],
        json!({
            "user": "root",
            "version": "8.0.36",
        })
    );
}

#[test]
fn ssl_request_has_no_user() {
    // The 32-byte SSL request: capabilities with CLIENT_SSL and nothing after the
    // filler; then the TLS handshake (classified again; no TLS parser here).
    let client_hello = [0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00];
    let frames = TcpConversation::new("10.0.0.5:52001", "10.0.0.7:3306")
        .handshake()
        .server(&greeting("5.7.44-log"))
        .client(&login(CAPS | CLIENT_SSL, None))
        .client(&client_hello)
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "mysql"]));
    assert_eq!(doc["mysql"], json!({ "version": "5.7.44-log" }));
}
