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
