use serde_json::json;
use trawl_testkit::{run_session, TcpConversation};

use crate::ntlm::{authenticate, negotiate, utf16};

/// A TDS packet: type, status 1 (end of message), big-endian length, SPID 0,
/// packet id, window 0, then the payload.
fn packet(ty: u8, id: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![ty, 0x01];
    p.extend_from_slice(&((payload.len() + 8) as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0, id, 0]);
    p.extend_from_slice(payload);
    p
}

/// A client PRELOGIN (type 0x12): version, encryption off, instance, thread id,
/// MARS and trace id options.
fn prelogin() -> Vec<u8> {
    let data: [&[u8]; 6] = [
        &[0x10, 0x00, 0x07, 0xd0, 0x00, 0x00],
        &[0x00],
        &[0x00],
        &[0x00, 0x00, 0x1a, 0x2b],
        &[0x00],
        &[0x5a; 36],
    ];
    let mut table = Vec::new();
    let mut off = data.len() * 5 + 1;
    for (i, d) in data.iter().enumerate() {
        table.push(i as u8);
        table.extend_from_slice(&(off as u16).to_be_bytes());
        table.extend_from_slice(&(d.len() as u16).to_be_bytes());
        off += d.len();
    }
    table.push(0xff);
    packet(0x12, 1, &[table, data.concat()].concat())
}

/// A LOGIN7 (type 0x10) for `user` (SQL authentication) or, with `sspi`,
/// integrated authentication carrying that token.
fn login7(user: &str, sspi: &[u8]) -> Vec<u8> {
    let strings = [
        utf16("WS01"),   // host name
        utf16(user),     // user name
        utf16("pw"),     // password (obfuscation does not matter here)
        utf16("sqlcmd"), // application
        utf16("db1"),    // server
        Vec::new(),      // extension
        utf16("ODBC"),   // client interface
        Vec::new(),      // language
        utf16("master"), // database
    ];
    let mut fixed = Vec::new();
    fixed.extend_from_slice(&[0; 4]); // length, set below
    fixed.extend_from_slice(&0x7400_0004u32.to_le_bytes()); // TDS 7.4
    fixed.extend_from_slice(&4096u32.to_le_bytes());
    fixed.extend_from_slice(&[0, 0, 0, 7]); // client program version
    fixed.extend_from_slice(&4242u32.to_le_bytes()); // client pid
    fixed.extend_from_slice(&[0; 4]); // connection id
    let flags2 = if sspi.is_empty() { 0x03 } else { 0x83 }; // fIntSecurity
    fixed.extend_from_slice(&[0xe0, flags2, 0x00, 0x00]);
    fixed.extend_from_slice(&[0; 4]); // time zone
    fixed.extend_from_slice(&0x0409u32.to_le_bytes()); // LCID
    let mut payload = Vec::new();
    let mut at = 94;
    for (i, s) in strings.iter().enumerate() {
        fixed.extend_from_slice(&(at as u16).to_le_bytes());
        fixed.extend_from_slice(&((s.len() / 2) as u16).to_le_bytes());
        payload.extend_from_slice(s);
        at += s.len();
        if i == 8 {
            fixed.extend_from_slice(&[0x00, 0x16, 0x3e, 0x5a, 0x0b, 0x1c]); // client id
        }
    }
    // SSPI (bytes, not characters), attach file, change password, long SSPI length.
    fixed.extend_from_slice(&(at as u16).to_le_bytes());
    fixed.extend_from_slice(&(sspi.len() as u16).to_le_bytes());
    payload.extend_from_slice(sspi);
    at += sspi.len();
    fixed.extend_from_slice(&(at as u16).to_le_bytes());
    fixed.extend_from_slice(&[0, 0]);
    fixed.extend_from_slice(&(at as u16).to_le_bytes());
    fixed.extend_from_slice(&[0, 0]);
    fixed.extend_from_slice(&[0; 4]);
    assert_eq!(fixed.len(), 94);
    let mut body = [fixed, payload].concat();
    let n = body.len() as u32;
    body[..4].copy_from_slice(&n.to_le_bytes());
    packet(0x10, 1, &body)
}

/// The server's answer as one tabular result packet (type 4); its content is not read.
fn tabular(payload: &[u8]) -> Vec<u8> {
    packet(0x04, 1, payload)
}

#[test]
fn prelogin_then_sql_login() {
    let frames = TcpConversation::new("10.0.0.5:55000", "10.0.0.30:1433")
        .handshake()
        .client(&prelogin())
        .server(&tabular(&[
            0x00, 0x00, 0x0b, 0x00, 0x06, 0x01, 0x00, 0x11, 0x00, 0x01, 0xff,
        ]))
        // The LOGIN7 packet in two segments: the parser waits for all of it.
        .segment(100)
        .client(&login7("AppUser", &[]))
        .segment(1460)
        .server(&tabular(&[0xad, 0x36, 0x00, 0x01, 0x74, 0x00, 0x00, 0x04]))
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "tds"]));
    // The UCS-2 user name, lower-cased, into the core user field.
    assert_eq!(doc["user"], json!(["appuser"]));
}

#[test]
fn integrated_login_with_ntlm() {
    // LOGIN7 with an empty user name and the NTLM negotiate as SSPI data; the
    // server's challenge comes back in an SSPI token of a tabular result (not read);
    // the client's authenticate message is an SSPI packet (type 0x11).
    let frames = TcpConversation::new("10.0.0.5:55001", "10.0.0.30:1433")
        .handshake()
        .client(&prelogin())
        .server(&tabular(&[
            0x00, 0x00, 0x0b, 0x00, 0x06, 0x01, 0x00, 0x11, 0x00, 0x01, 0xff,
        ]))
        .client(&login7("", &negotiate()))
        .server(&tabular(&[0xed, 0x10, 0x00]))
        .client(&packet(0x11, 1, &authenticate()))
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "tds", "ntlm"]));
    assert_eq!(
        doc["ntlm"],
        json!({
            "domain": ["EXAMPLE"],
            "domainCnt": 1,
            "host": ["WS01"],
            "hostCnt": 1,
            "version": ["10.0.19041"],
            "versionCnt": 1,
            "type": [1, 3],
            "typeCnt": 2,
        })
    );
    assert_eq!(doc["user"], json!(["alice"]));
}

#[test]
fn login7_and_sspi_packet_in_one_segment() {
    // The LOGIN7 (NTLM negotiate) and the SSPI packet (authenticate) sent together:
    // both are read from the one segment.
    let frames = TcpConversation::new("10.0.0.5:55002", "10.0.0.30:1433")
        .handshake()
        .client(&[login7("", &negotiate()), packet(0x11, 1, &authenticate())].concat())
        .server(&tabular(&[0xed, 0x10, 0x00]))
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "tds", "ntlm"]));
    assert_eq!(doc["ntlm"]["type"], json!([1, 3]));
    assert_eq!(doc["user"], json!(["alice"]));
}
