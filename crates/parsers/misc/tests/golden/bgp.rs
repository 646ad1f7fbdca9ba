use serde_json::json;
use trawl_testkit::{run_session, TcpConversation};

/// A BGP message: the 16-byte all-ones marker, the length (header included), the
/// type and the body.
fn message(ty: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![0xff; 16];
    m.extend_from_slice(&((19 + body.len()) as u16).to_be_bytes());
    m.push(ty);
    m.extend_from_slice(body);
    m
}

/// An OPEN: version 4, the AS, hold time 180, the BGP identifier, no parameters.
fn open(asn: u16, id: [u8; 4]) -> Vec<u8> {
    let mut b = vec![4];
    b.extend_from_slice(&asn.to_be_bytes());
    b.extend_from_slice(&180u16.to_be_bytes());
    b.extend_from_slice(&id);
    b.push(0);
    message(1, &b)
}

#[test]
fn message_types_of_a_peering() {
    let keepalive = message(4, &[]);
    // An UPDATE announcing 192.0.2.0/24: no withdrawn routes, ORIGIN IGP, AS_PATH
    // 65001, NEXT_HOP 10.0.0.1, then the NLRI.
    let attrs = [
        0x40, 1, 1, 0, // ORIGIN IGP
        0x40, 2, 4, 2, 1, 0xfd, 0xe9, // AS_PATH: one AS_SEQUENCE of 65001
        0x40, 3, 4, 10, 0, 0, 1, // NEXT_HOP
    ];
    let mut update = vec![0, 0];
    update.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    update.extend_from_slice(&attrs);
    update.extend_from_slice(&[24, 192, 0, 2]);
    // ROUTE-REFRESH (type 5) is not one of the names: nothing added for it.
    let refresh = message(5, &[0, 1, 0, 1]);
    // A Cease NOTIFICATION (code 6, subcode 2: administrative shutdown).
    let cease = message(3, &[6, 2]);
    // The client's OPEN and a KEEPALIVE in one segment: only the chunk's first
    // message is read, as in Arkime.
    let mut open_and_keepalive = open(65001, [10, 0, 0, 1]);
    open_and_keepalive.extend_from_slice(&keepalive);

    let frames = TcpConversation::new("10.0.0.1:50179", "10.0.0.2:179")
        .handshake()
        .client(&open_and_keepalive)
        .server(&open(65002, [10, 0, 0, 2]))
        .server(&keepalive)
        .client(&message(2, &update))
        .client(&refresh)
        .server(&cease)
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "bgp"]));
    assert_eq!(
        doc["bgp"],
        json!({"type": ["OPEN", "KEEPALIVE", "UPDATE", "NOTIFICATION"]})
    );
}

#[test]
fn a_bad_length_stops_the_parser() {
    // A marker and a length past 4096: the parser unregisters, so the KEEPALIVE
    // after it adds nothing; the protocol stays.
    let mut bad = vec![0xff; 16];
    bad.extend_from_slice(&[0x20, 0x00, 1]);
    let frames = TcpConversation::new("10.0.0.1:50179", "10.0.0.2:179")
        .handshake()
        .client(&bad)
        .client(&message(4, &[]))
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "bgp"]));
    assert_eq!(doc["bgp"], json!(null));
}
