use serde_json::json;
use trawl_testkit::{run_session, TcpConversation, UdpExchange};

/// An ONC RPC call: xid, CALL (0), RPC version 2, program, version, procedure, then
/// AUTH_NULL credentials and verifier.
fn call(xid: u32, program: u32, version: u32, procedure: u32) -> Vec<u8> {
    let mut m = Vec::new();
    for w in [xid, 0, 2, program, version, procedure, 0, 0, 0, 0] {
        m.extend_from_slice(&w.to_be_bytes());
    }
    m
}

/// A reply: xid, REPLY (1), accepted, AUTH_NULL verifier, success, `result`.
fn reply(xid: u32, result: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    for w in [xid, 1, 0, 0, 0, 0] {
        m.extend_from_slice(&w.to_be_bytes());
    }
    m.extend_from_slice(result);
    m
}

#[test]
fn udp_programs() {
    for (program, name) in [(100000, "portmap"), (100005, "mount"), (100003, "nfs")] {
        let frames = UdpExchange::new("10.0.0.5:891", "10.0.0.9:2049")
            .client(&call(0x1234_5678, program, 3, 0))
            .server(&reply(0x1234_5678, &[0, 0, 0, 0]))
            .frames();
        let doc = run_session(crate::register, &frames);
        assert_eq!(doc["protocol"], json!(["udp", name]), "program {program}");
    }
    // A reply first, or a program outside Arkime's list (100024, status): nothing.
    for first in [reply(1, &[0; 4]), call(1, 100024, 1, 0)] {
        let frames = UdpExchange::new("10.0.0.5:892", "10.0.0.9:111")
            .client(&first)
            .frames();
        let doc = run_session(crate::register, &frames);
        assert_eq!(doc["protocol"], json!(["udp"]));
    }
}

#[test]
fn nfs_over_tcp() {
    // The record mark (last fragment, 40 bytes) before the call.
    let c = call(0x0000_0042, 100003, 4, 1);
    let mut rec = (0x8000_0000u32 | c.len() as u32).to_be_bytes().to_vec();
    rec.extend_from_slice(&c);
    let frames = TcpConversation::new("10.0.0.5:700", "10.0.0.9:2049")
        .handshake()
        .client(&rec)
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "nfs"]));
    // Portmap over TCP is not named (Arkime's rpc classifier is UDP only).
    let c = call(0x0000_0043, 100000, 2, 3);
    let mut rec = (0x8000_0000u32 | c.len() as u32).to_be_bytes().to_vec();
    rec.extend_from_slice(&c);
    let frames = TcpConversation::new("10.0.0.5:701", "10.0.0.9:111")
        .handshake()
        .client(&rec)
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp"]));
}
