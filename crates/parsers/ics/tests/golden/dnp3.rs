use serde_json::json;
use trawl_testkit::{run_session, TcpConversation, UdpExchange};

/// CRC-16/DNP: reflected polynomial 0x3D65 (0xA6BC reversed), initial 0, result
/// inverted, sent low byte first.
fn crc(d: &[u8]) -> [u8; 2] {
    let mut c: u16 = 0;
    for &b in d {
        c ^= u16::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xa6bc
            } else {
                c >> 1
            };
        }
    }
    (!c).to_le_bytes()
}

/// A link-layer frame from `src` to `dst` with this control byte and user data
/// (transport header, application header and objects), CRCs after the header and
/// after each 16-byte block.
fn frame(ctrl: u8, dst: u16, src: u16, user: &[u8]) -> Vec<u8> {
    let mut h = vec![0x05, 0x64, (5 + user.len()) as u8, ctrl];
    h.extend_from_slice(&dst.to_le_bytes());
    h.extend_from_slice(&src.to_le_bytes());
    let mut f = h.clone();
    f.extend_from_slice(&crc(&h));
    for block in user.chunks(16) {
        f.extend_from_slice(block);
        f.extend_from_slice(&crc(block));
    }
    f
}

#[test]
fn the_crc_is_dnp3s() {
    // CRC-16/DNP's check value for "123456789" is 0xEA82.
    assert_eq!(crc(b"123456789"), [0x82, 0xea]);
}

#[test]
fn master_and_outstation_over_tcp() {
    // Master 1 to outstation 10. Request link status (no user data), then a Read of
    // class 0 (group 60 variation 1, all objects).
    let link = frame(0xc9, 10, 1, &[]);
    let read = frame(0xc4, 10, 1, &[0xc0, 0xc1, 0x01, 0x3c, 0x01, 0x06]);
    // Link status reply, then the response (129): IIN, two analog inputs (group 30
    // variation 1, start-stop 0-1), 20 bytes of user data in two CRC blocks.
    let status = frame(0x0b, 1, 10, &[]);
    let response = frame(
        0x44,
        1,
        10,
        &[
            0xc0, 0xc1, 0x81, 0x00, 0x00, 0x1e, 0x01, 0x00, 0x00, 0x01, 0x01, 0xe8, 0x03, 0x00,
            0x00, 0x01, 0xd0, 0x07, 0x00, 0x00,
        ],
    );
    // Direct Operate (5): a CROB (group 12 variation 1), latch on.
    let operate = frame(
        0xc4,
        10,
        1,
        &[
            0xc1, 0xc2, 0x05, 0x0c, 0x01, 0x28, 0x01, 0x00, 0x03, 0x00, 0x03, 0x01, 0xe8, 0x03,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ],
    );
    let mut first = link.clone();
    first.extend_from_slice(&read);
    let frames = TcpConversation::new("10.5.0.1:40100", "10.5.0.10:20000")
        .handshake()
        // Two frames in one segment.
        .client(&first)
        .server(&status)
        // The response split mid-block: buffered until whole.
        .segment(13)
        .server(&response)
        .segment(1460)
        // Noise before the next frame: skipped up to the start bytes.
        .client(&[b"\x00\x05junk".as_slice(), &operate].concat())
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "dnp3"]));
    // Addresses of every frame, function codes (byte 12: after the header's CRC,
    // the transport header and the application control) of those with user data.
    assert_eq!(
        doc["dnp3"],
        json!({
            "src": [1, 10],
            "srcCnt": 2,
            "dst": [10, 1],
            "dstCnt": 2,
            "func": [1, 129, 5],
            "funcCnt": 3,
            "funcName": ["Read", "Response", "DirectOperate"],
            "funcNameCnt": 3,
        })
    );
}

#[test]
fn unsolicited_response_over_udp() {
    // An outstation (address 4) sends an unsolicited response (130) to master 3; the
    // master confirms (0).
    let unsol = frame(0x44, 3, 4, &[0xc0, 0xf0, 0x82, 0x80, 0x00]);
    let confirm = frame(0xc4, 4, 3, &[0xc0, 0xd0, 0x00]);
    let frames = UdpExchange::new("10.5.1.4:20000", "10.5.1.3:20000")
        .client(&unsol)
        .server(&confirm)
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "dnp3"]));
    assert_eq!(
        doc["dnp3"],
        json!({
            "src": [4, 3],
            "srcCnt": 2,
            "dst": [3, 4],
            "dstCnt": 2,
            "func": [130, 0],
            "funcCnt": 2,
            "funcName": ["UnsolicitedResponse", "Confirm"],
            "funcNameCnt": 2,
        })
    );
}
