use serde_json::json;
use trawl_testkit::{run_session, UdpExchange};

/// A PTPv2 message: type (low nibble), version 2, length, domain 0, flags, zero
/// correction, the clock identity, port 1, sequence 7, then `body` bytes.
fn message(kind: u8, clock: [u8; 8], body: usize) -> Vec<u8> {
    let len = 34 + body;
    let mut m = vec![kind, 0x02];
    m.extend_from_slice(&(len as u16).to_be_bytes());
    m.extend_from_slice(&[0, 0, 0x02, 0x00]);
    m.extend_from_slice(&[0; 12]);
    m.extend_from_slice(&clock);
    m.extend_from_slice(&[0x00, 0x01, 0x00, 0x07, 0x00, 0x00]);
    m.resize(len, 0);
    m
}

const GRANDMASTER: [u8; 8] = [0xec, 0x46, 0x70, 0xff, 0xfe, 0x0a, 0x1b, 0x2c];
const SLAVE: [u8; 8] = [0x00, 0x0c, 0x29, 0xff, 0xfe, 0x11, 0x22, 0x33];

#[test]
fn event_messages_on_319() {
    // Sync from the grandmaster, Delay_Req from the slave, a reserved type 5
    // (clock only), and a message whose length overruns the datagram (ignored).
    let mut bad = message(0x9, [0xaa; 8], 10);
    bad.truncate(40);
    let frames = UdpExchange::new("10.1.1.1:319", "224.0.1.129:319")
        .client(&message(0x0, GRANDMASTER, 10))
        .server(&message(0x1, SLAVE, 10))
        .client(&message(0x5, [0x01; 8], 0))
        .client(&bad)
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "ptp"]));
    assert_eq!(
        doc["ptp"],
        json!({
            "msgType": ["sync", "delay-req"],
            "msgTypeCnt": 2,
            "clockId": ["ec:46:70:ff:fe:0a:1b:2c", "00:0c:29:ff:fe:11:22:33", "01:01:01:01:01:01:01:01"],
            "clockIdCnt": 3,
        })
    );
}

#[test]
fn announce_on_320_and_not_ptp() {
    let frames = UdpExchange::new("10.1.1.1:320", "224.0.1.129:320")
        .client(&message(0xb, GRANDMASTER, 30))
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["ptp"]["msgType"], json!(["announce"]));

    // Version 1 on the PTP port is not classified.
    let mut v1 = message(0x0, GRANDMASTER, 10);
    v1[1] = 0x01;
    let frames = UdpExchange::new("10.1.1.1:319", "224.0.1.129:319")
        .client(&v1)
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp"]));
    assert!(doc.get("ptp").is_none());
}
