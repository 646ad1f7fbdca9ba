use std::net::Ipv6Addr;

use serde_json::json;
use trawl_testkit::{run_session, TcpConversation, UdpExchange};

const MAGIC: u32 = 0x2112_a442;

/// A STUN message: type, length, magic cookie, transaction id, then the attributes
/// (each type, length, value padded to four bytes).
fn message(ty: u16, txn: [u8; 12], attrs: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (t, v) in attrs {
        body.extend_from_slice(&t.to_be_bytes());
        body.extend_from_slice(&(v.len() as u16).to_be_bytes());
        body.extend_from_slice(v);
        body.resize(body.len().next_multiple_of(4), 0);
    }
    let mut m = ty.to_be_bytes().to_vec();
    m.extend_from_slice(&(body.len() as u16).to_be_bytes());
    m.extend_from_slice(&MAGIC.to_be_bytes());
    m.extend_from_slice(&txn);
    m.extend_from_slice(&body);
    m
}

/// An IPv4 address attribute value; XOR-ed with the cookie (RFC 5389 15.2) when
/// `xor`.
fn addr4(ip: [u8; 4], port: u16, xor: bool) -> Vec<u8> {
    let (mut p, mut a) = (port, u32::from_be_bytes(ip));
    if xor {
        p ^= (MAGIC >> 16) as u16;
        a ^= MAGIC;
    }
    let mut v = vec![0, 1];
    v.extend_from_slice(&p.to_be_bytes());
    v.extend_from_slice(&a.to_be_bytes());
    v
}

/// An IPv6 XOR address value: XOR-ed with the cookie and the transaction id.
fn xaddr6(ip: Ipv6Addr, port: u16, txn: [u8; 12]) -> Vec<u8> {
    let mut key = MAGIC.to_be_bytes().to_vec();
    key.extend_from_slice(&txn);
    let mut v = vec![0, 2];
    v.extend_from_slice(&(port ^ (MAGIC >> 16) as u16).to_be_bytes());
    v.extend(ip.octets().iter().zip(key).map(|(a, k)| a ^ k));
    v
}

#[test]
fn ice_binding_over_udp_behind_nat() {
    let txn = *b"ICEtxn000001";
    let request = message(
        0x0001,
        txn,
        &[
            (0x0006, b"4f2a:b7c1".to_vec()),        // USERNAME
            (0x0024, vec![0x6e, 0x7f, 0x1e, 0xff]), // PRIORITY
            (0x0025, vec![]),                       // USE-CANDIDATE
            (0x802a, vec![0; 8]),                   // ICE-CONTROLLING
            (0x0008, vec![0xab; 20]),               // MESSAGE-INTEGRITY
            (0x8028, vec![1, 2, 3, 4]),             // FINGERPRINT
        ],
    );
    // The server saw the client as 203.0.113.5:40123, neither end of this session:
    // the client is behind a NAT.
    let response = message(
        0x0101,
        txn,
        &[
            (0x0020, addr4([203, 0, 113, 5], 40123, true)), // XOR-MAPPED-ADDRESS
            (0x0001, addr4([203, 0, 113, 5], 40123, false)), // MAPPED-ADDRESS
            (0x8022, b"libjuice".to_vec()),                 // SOFTWARE
            (0x0008, vec![0xcd; 20]),
            (0x8028, vec![5, 6, 7, 8]),
        ],
    );
    let frames = UdpExchange::new("10.0.0.1:50000", "198.51.100.20:3478")
        .client(&request)
        .server(&response)
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "stun"]));
    assert_eq!(doc["tags"], json!(["stun:nat-discovered"]));
    // Each IP field also gets the document writer's GEO/ASN/RIR keys, empty here
    // (no GeoIP databases in the test).
    assert_eq!(
        doc["stun"],
        json!({
            "type": ["Binding Request", "Binding Response"],
            "typeCnt": 2,
            "username": ["4f2a:b7c1"],
            "usernameCnt": 1,
            "attributes": ["use-candidate", "ice-controlling", "fingerprint"],
            "attributesCnt": 3,
            "xorMappedIp": ["203.0.113.5"],
            "xorMappedIpCnt": 1,
            "xorMappedPort": [40123],
            "xorMappedPortCnt": 1,
            "xorMappedASN": ["---"],
            "xorMappedGEO": ["---"],
            "xorMappedRIR": [""],
            "mappedIp": ["203.0.113.5"],
            "mappedIpCnt": 1,
            "mappedASN": ["---"],
            "mappedGEO": ["---"],
            "mappedRIR": [""],
            "mappedPort": [40123],
            "mappedPortCnt": 1,
            "software": ["libjuice"],
            "softwareCnt": 1,
        })
    );
}

#[test]
fn turn_allocation_over_tcp() {
    let t1 = *b"TURNtxn00001";
    let t2 = *b"TURNtxn00002";
    let t3 = *b"TURNtxn00003";
    let peer: Ipv6Addr = "2001:db8::42".parse().unwrap();
    // Allocate without credentials, REQUESTED-TRANSPORT UDP.
    let alloc = message(0x0003, t1, &[(0x0019, vec![17, 0, 0, 0])]);
    // 401 with the realm and a nonce.
    let challenge = message(
        0x0113,
        t1,
        &[
            (0x0009, b"\x00\x00\x04\x01Unauthorized".to_vec()), // ERROR-CODE 401
            (0x0014, b"turn.example.org".to_vec()),             // REALM
            (0x0015, b"f00dcafe".to_vec()),                     // NONCE
            (0x8022, b"Coturn-4.6.2 'Gorst'".to_vec()),
        ],
    );
    let alloc2 = message(
        0x0003,
        t2,
        &[
            (0x0019, vec![17, 0, 0, 0]),
            (0x0006, b"carol".to_vec()),
            (0x0014, b"turn.example.org".to_vec()),
            (0x0015, b"f00dcafe".to_vec()),
            (0x0008, vec![0x11; 20]),
        ],
    );
    let allocated = message(
        0x0103,
        t2,
        &[
            (0x0016, addr4([198, 51, 100, 20], 49152, true)), // XOR-RELAYED-ADDRESS
            (0x0020, addr4([10, 0, 0, 1], 50001, true)),      // XOR-MAPPED: the client
            (0x000d, 600u32.to_be_bytes().to_vec()),          // LIFETIME
        ],
    );
    let permission = message(
        0x0008,
        t3,
        &[
            (0x0012, xaddr6(peer, 0, t3)), // XOR-PEER-ADDRESS
            (0x0006, b"carol".to_vec()),
            (0x0008, vec![0x22; 20]),
        ],
    );
    let granted = message(0x0108, t3, &[]);
    // A Refresh with LIFETIME 0 (release the allocation) and its answer.
    let t4 = *b"TURNtxn00004";
    let refresh = message(0x0004, t4, &[(0x000d, vec![0; 4])]);
    let refreshed = message(0x0104, t4, &[(0x000d, vec![0; 4])]);
    let frames = TcpConversation::new("10.0.0.1:50001", "198.51.100.20:3478")
        .handshake()
        .client(&alloc)
        .server(&challenge)
        // The authenticated request in 30-byte segments: read once whole.
        .segment(30)
        .client(&alloc2)
        .segment(1460)
        .server(&allocated)
        // Two messages in one segment each way.
        .client(&[permission, refresh].concat())
        .server(&[granted, refreshed].concat())
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "stun"]));
    // The mapped address is the client's own: no NAT tag.
    assert_eq!(doc["tags"], json!(null));
    assert_eq!(
        doc["stun"],
        json!({
            "type": [
                "Allocate Request",
                "Allocate Error",
                "Allocate Response",
                "CreatePermission Request",
                "Refresh Request",
                "CreatePermission Response",
                "Refresh Response",
            ],
            "typeCnt": 7,
            "error": [401],
            "errorCnt": 1,
            "realm": ["turn.example.org"],
            "realmCnt": 1,
            "software": ["Coturn-4.6.2 'Gorst'"],
            "softwareCnt": 1,
            "username": ["carol"],
            "usernameCnt": 1,
            "xorRelayedIp": ["198.51.100.20"],
            "xorRelayedIpCnt": 1,
            "xorRelayedPort": [49152],
            "xorRelayedPortCnt": 1,
            "xorRelayedASN": ["---"],
            "xorRelayedGEO": ["---"],
            "xorRelayedRIR": [""],
            "xorMappedIp": ["10.0.0.1"],
            "xorMappedIpCnt": 1,
            "xorMappedPort": [50001],
            "xorMappedPortCnt": 1,
            "xorMappedASN": ["---"],
            "xorMappedGEO": ["---"],
            "xorMappedRIR": [""],
            "xorPeerIp": ["2001:db8::42"],
            "xorPeerIpCnt": 1,
            "xorPeerPort": [0],
            "xorPeerPortCnt": 1,
            "xorPeerASN": ["---"],
            "xorPeerGEO": ["---"],
            "xorPeerRIR": [""],
        })
    );
}

#[test]
fn tcp_message_longer_than_the_buffer_ends_the_parse() {
    let t1 = *b"TURNtxn00001";
    let alloc = message(0x0003, t1, &[(0x0019, vec![17, 0, 0, 0])]);
    // A header whose length (8173 bytes of attributes, 8193 in all) is one more
    // than the 8192 bytes the parser keeps: tagged, and nothing after it is read,
    // not even the other direction.
    let mut long = message(0x0003, *b"TURNtxn00002", &[]);
    long[2..4].copy_from_slice(&8173u16.to_be_bytes());
    let frames = TcpConversation::new("10.0.0.1:50002", "198.51.100.20:3478")
        .handshake()
        .client(&[alloc, long].concat())
        .server(&message(0x0103, t1, &[]))
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "stun"]));
    assert_eq!(doc["tags"], json!(["stun:message-too-long"]));
    assert_eq!(
        doc["stun"],
        json!({"type": ["Allocate Request"], "typeCnt": 1})
    );
}
