//! DCE/RPC over TCP (connection-oriented PDUs): the BIND names interfaces (UUID,
//! version, and for the well-known ones a name that is also a protocol), every PDU
//! its message type, a REQUEST its operation number.

use serde_json::json;
use trawl_testkit::{run_session, TcpConversation};

/// A UUID in NDR little-endian order (first three groups byte-swapped).
fn uuid_le(s: &str) -> Vec<u8> {
    let hex: Vec<u8> = s
        .split('-')
        .flat_map(|g| {
            (0..g.len())
                .step_by(2)
                .map(move |i| u8::from_str_radix(&g[i..i + 2], 16).unwrap())
        })
        .collect();
    let mut b = hex.clone();
    b[..4].reverse();
    b[4..6].reverse();
    b[6..8].reverse();
    b
}

/// A little-endian PDU of type `ptype` with call id `call`, its fragment length
/// filled in.
fn pdu(ptype: u8, call: u32, body: &[u8]) -> Vec<u8> {
    let mut d = vec![5, 0, ptype, 3, 0x10, 0, 0, 0, 0, 0, 0, 0];
    d.extend_from_slice(&call.to_le_bytes());
    d.extend_from_slice(body);
    let n = d.len() as u16;
    d[8..10].copy_from_slice(&n.to_le_bytes());
    d
}

/// NDR's transfer syntax, 8a885d04-1ceb-11c9-9fe8-08002b104860 version 2.
fn ndr() -> Vec<u8> {
    let mut t = uuid_le("8a885d04-1ceb-11c9-9fe8-08002b104860");
    t.extend_from_slice(&2u32.to_le_bytes());
    t
}

/// A BIND with these (interface UUID, major version) presentation contexts.
fn bind(call: u32, ifaces: &[(&str, u16)]) -> Vec<u8> {
    let mut b = vec![
        0xb8,
        0x10,
        0xb8,
        0x10,
        0,
        0,
        0,
        0,
        ifaces.len() as u8,
        0,
        0,
        0,
    ];
    for (i, (uuid, ver)) in ifaces.iter().enumerate() {
        b.extend_from_slice(&(i as u16).to_le_bytes());
        b.extend_from_slice(&[1, 0]); // one transfer syntax
        b.extend_from_slice(&uuid_le(uuid));
        b.extend_from_slice(&ver.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes()); // minor
        b.extend_from_slice(&ndr());
    }
    pdu(11, call, &b)
}

/// The BIND_ACK accepting `n` contexts.
fn bind_ack(call: u32, n: u8) -> Vec<u8> {
    let mut b = vec![0xb8, 0x10, 0xb8, 0x10, 0x53, 0xf0, 0, 0];
    b.extend_from_slice(&[4, 0]);
    b.extend_from_slice(b"135\0");
    b.extend_from_slice(&[0, 0]); // align
    b.extend_from_slice(&[n, 0, 0, 0]);
    for _ in 0..n {
        b.extend_from_slice(&[0, 0, 0, 0]);
        b.extend_from_slice(&ndr());
    }
    pdu(12, call, &b)
}

/// A REQUEST for operation `opnum` on context 0.
fn request(call: u32, opnum: u16, stub: &[u8]) -> Vec<u8> {
    let mut b = (stub.len() as u32).to_le_bytes().to_vec();
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&opnum.to_le_bytes());
    b.extend_from_slice(stub);
    pdu(0, call, &b)
}

/// A RESPONSE.
fn response(call: u32, stub: &[u8]) -> Vec<u8> {
    let mut b = (stub.len() as u32).to_le_bytes().to_vec();
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.extend_from_slice(stub);
    pdu(2, call, &b)
}

#[test]
fn bind_two_interfaces_then_requests() {
    let drsuapi = "e3514235-4b06-11d1-ab04-00c04fc2dcd2";
    let unknown = "01234567-89ab-cdef-0123-456789abcdef";
    let frames = TcpConversation::new("10.20.0.7:50110", "10.20.0.2:49667")
        .handshake()
        // The BIND in 30-byte segments: the parser waits for its fragment length.
        .segment(30)
        .client(&bind(1, &[(drsuapi, 4), (unknown, 1)]))
        .segment(1460)
        .server(&bind_ack(1, 2))
        // Two requests in one segment, both read.
        .client(&[request(2, 0, &[0; 24]), request(3, 3, &[1; 40])].concat())
        .server(&response(2, &[0; 16]))
        .server(&response(3, &[0; 16]))
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    // drsuapi is a known interface: its name is also a protocol.
    assert_eq!(doc["protocol"], json!(["tcp", "dcerpc", "drsuapi"]));
    assert_eq!(
        doc["dcerpc"],
        json!({
            "interface": ["drsuapi"],
            "interfaceCnt": 1,
            // Each type once (a set), in the order seen.
            "msgType": ["bind", "bind-ack", "request", "response"],
            "msgTypeCnt": 4,
            "opnum": [0, 3],
            "opnumCnt": 2,
            "uuid": [drsuapi, unknown],
            "uuidCnt": 2,
            // Major versions, as text.
            "version": ["4", "1"],
            "versionCnt": 2,
        })
    );
}

#[test]
fn a_fragment_length_under_the_header_ends_the_parse() {
    let drsuapi = "e3514235-4b06-11d1-ab04-00c04fc2dcd2";
    let mut bad = request(2, 7, &[]);
    bad[8..10].copy_from_slice(&8u16.to_le_bytes());
    let frames = TcpConversation::new("10.20.0.7:50111", "10.20.0.2:135")
        .handshake()
        .client(&bind(1, &[(drsuapi, 4)]))
        .server(&bind_ack(1, 1))
        .client(&bad)
        // Not read: the parser is gone.
        .client(&request(3, 9, &[]))
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "dcerpc", "drsuapi"]));
    assert_eq!(doc["tags"], json!(["dcerpc:bad-fraglen"]));
    assert_eq!(
        doc["dcerpc"],
        json!({
            "interface": ["drsuapi"],
            "interfaceCnt": 1,
            "msgType": ["bind", "bind-ack"],
            "msgTypeCnt": 2,
            "uuid": [drsuapi],
            "uuidCnt": 1,
            "version": ["4"],
            "versionCnt": 1,
        })
    );
}
