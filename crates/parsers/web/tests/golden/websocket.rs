use serde_json::json;
use trawl_testkit::{run_session, TcpConversation};

/// A frame with a payload under 126 bytes, masked with `mask` when given.
fn frame(opcode: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    assert!(payload.len() < 126);
    let mut f = vec![0x80 | opcode, payload.len() as u8];
    match mask {
        Some(m) => {
            f[1] |= 0x80;
            f.extend_from_slice(&m);
            f.extend(payload.iter().enumerate().map(|(i, b)| b ^ m[i & 3]));
        }
        None => f.extend_from_slice(payload),
    }
    f
}

/// An HTTP/1.1 upgrade (RFC 6455's example key and accept), then frames each way:
/// masked from the client as the RFC requires, some split across segments.
#[test]
fn upgrade_then_text_binary_and_close_frames() {
    let upgrade = b"GET /chat HTTP/1.1\r\n\
        Host: ws.example.com\r\n\
        Upgrade: websocket\r\n\
        Connection: Upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Sec-WebSocket-Version: 13\r\n\
        \r\n";
    let switching = b"HTTP/1.1 101 Switching Protocols\r\n\
        Upgrade: websocket\r\n\
        Connection: Upgrade\r\n\
        Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
        \r\n";
    let mask = Some([0x37, 0xfa, 0x21, 0x3d]);
    let mut close = 1000u16.to_be_bytes().to_vec();
    close.extend_from_slice(b"bye");
    let frames = TcpConversation::new("10.0.0.1:51003", "10.0.0.2:80")
        .handshake()
        .client(upgrade)
        .server(switching)
        .client(&frame(1, b"Hello", mask))
        // Frames cut in pieces from here: the parser buffers each direction.
        .segment(4)
        .server(&frame(1, b"Hello, client!", None))
        .server(&frame(2, &[1, 2, 3], None))
        .client(&frame(8, &close, mask))
        .server(&frame(8, &1000u16.to_be_bytes(), None))
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "http", "websocket"]));
    assert_eq!(doc["http"]["statuscode"], json!([101]));
    assert_eq!(
        doc["websocket"],
        json!({
            "opcode": ["Text", "Binary", "Close"],
            "opcodeCnt": 3,
            // Both close frames carry 1000; only the client's gives a reason.
            "closeCode": [1000],
            "closeCodeCnt": 1,
            "closeReason": ["bye"],
            "closeReasonCnt": 1,
            // 5 + 14 + 3 + 5 + 2 payload bytes in 5 frames, 2 masked.
            "payloadBytes": 29,
            "frameCnt": 5,
            "textSample": ["Hello", "Hello, client!"],
            "textSampleCnt": 2,
            "maskedFromClient": 2,
        })
    );
}

const UPGRADE: &[u8] = b"GET /chat HTTP/1.1\r\nHost: ws.example.com\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Sec-WebSocket-Version: 13\r\n\r\n";
const SWITCHING: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

/// An unmasked binary frame of `n` zero bytes, with a 16-bit length.
fn long_binary(n: u16) -> Vec<u8> {
    let mut f = vec![0x82, 126];
    f.extend_from_slice(&n.to_be_bytes());
    f.resize(4 + usize::from(n), 0);
    f
}

/// Two frames in one segment are both read; a frame longer than the 8192 bytes the
/// parser keeps is counted from its header, its payload skipped as it goes by, and
/// the frame after it (in the same segment as its end) read.
#[test]
fn two_frames_in_a_segment_and_a_frame_too_long_to_keep() {
    let mask = Some([1, 2, 3, 4]);
    let frames = TcpConversation::new("10.0.0.1:51004", "10.0.0.2:80")
        .handshake()
        .client(UPGRADE)
        .server(SWITCHING)
        .client(&[frame(9, b"", mask), frame(1, b"two", mask)].concat())
        // 10004 + 7 bytes in segments of 1460: the last one holds the binary
        // frame's last 1244 bytes and the whole text frame.
        .server(&[long_binary(10000), frame(1, b"after", None)].concat())
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "http", "websocket"]));
    assert_eq!(doc["tags"], json!(null));
    assert_eq!(
        doc["websocket"],
        json!({
            "opcode": ["Ping", "Text", "Binary"],
            "opcodeCnt": 3,
            // 0 + 3 + 10000 + 5 payload bytes in 4 frames, the client's 2 masked.
            "payloadBytes": 10008,
            "frameCnt": 4,
            "textSample": ["two", "after"],
            "textSampleCnt": 2,
            "maskedFromClient": 2,
        })
    );
}

/// Arkime's buffer takes a segment only whole: a frame of 8004 bytes (short enough
/// to wait for) whose end comes in a segment with more after it overflows the 8192
/// bytes kept, and the parser gives up.
#[test]
fn a_segment_that_does_not_fit_ends_the_parse() {
    let frames = TcpConversation::new("10.0.0.1:51005", "10.0.0.2:80")
        .handshake()
        .client(UPGRADE)
        .server(SWITCHING)
        .server(&frame(1, b"first", None))
        // 8004 + 6 + 1004 bytes: 5 * 1460 kept, then a sixth segment of 1460
        // (the frame's last 704 bytes and more): 8760 > 8192.
        .server(
            &[
                long_binary(8000),
                frame(1, b"lost", None),
                long_binary(1000),
            ]
            .concat(),
        )
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["tags"], json!(["websocket:frame-too-long"]));
    assert_eq!(doc["websocket"]["opcode"], json!(["Text"]));
    assert_eq!(doc["websocket"]["textSample"], json!(["first"]));
}
