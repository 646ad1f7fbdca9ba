use serde_json::json;
use trawl_testkit::{run_session, UdpExchange};

/// A 48-byte NTP packet: LI/version/mode, stratum, poll, precision, root delay and
/// dispersion, reference id, then the four timestamps.
fn packet(version: u8, mode: u8, stratum: u8, ref_id: [u8; 4], transmit: u32) -> Vec<u8> {
    let mut p = vec![(version << 3) | mode, stratum, 6, 0xe9];
    p.extend_from_slice(&[0, 0, 0x01, 0x2c]); // root delay
    p.extend_from_slice(&[0, 0, 0x02, 0x58]); // root dispersion
    p.extend_from_slice(&ref_id);
    p.extend_from_slice(&[0; 24]); // reference, origin, receive
    p.extend_from_slice(&transmit.to_be_bytes());
    p.extend_from_slice(&[0; 4]);
    assert_eq!(p.len(), 48);
    p
}

#[test]
fn client_request_and_server_reply() {
    let frames = UdpExchange::new("10.0.0.5:123", "192.0.2.10:123")
        // A v4 client request: stratum 0, no reference id.
        .client(&packet(4, 3, 0, [0; 4], 0xe9f0_0000))
        // A stratum 2 server whose reference is 192.0.2.1.
        .server(&packet(4, 4, 2, [192, 0, 2, 1], 0xe9f0_0001))
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "ntp"]));
    // For stratum 2-15 the reference id is an address, written as 8 hex digits.
    assert_eq!(
        doc["ntp"],
        json!({
            "version": [4],
            "versionCnt": 1,
            "mode": ["client", "server"],
            "modeCnt": 2,
            "stratum": ["unspecified", "secondary"],
            "stratumCnt": 2,
            "refId": ["c0000201"],
            "refIdCnt": 1,
        })
    );
}

#[test]
fn primary_server_names_its_clock() {
    let frames = UdpExchange::new("10.0.0.5:40123", "192.0.2.11:123")
        .client(&packet(3, 3, 0, [0; 4], 1))
        // Stratum 1: the reference id is the clock's ASCII name, trailing NULs cut.
        .server(&packet(3, 4, 1, *b"GPS\0", 2))
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "ntp"]));
    assert_eq!(
        doc["ntp"],
        json!({
            "version": [3],
            "versionCnt": 1,
            "mode": ["client", "server"],
            "modeCnt": 2,
            "stratum": ["unspecified", "primary"],
            "stratumCnt": 2,
            "refId": ["GPS"],
            "refIdCnt": 1,
        })
    );
}
