use serde_json::json;
use trawl_testkit::{run_session, TcpConversation, UdpExchange};

/// A gQUIC handshake message: tag, number of entries, two bytes of padding, then
/// each entry's tag and end offset (little-endian) and the values.
fn handshake(tag: &[u8; 4], entries: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
    let mut m = tag.to_vec();
    m.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    m.extend_from_slice(&[0, 0]);
    let mut end = 0u32;
    let mut values = Vec::new();
    for (t, v) in entries {
        end += v.len() as u32;
        m.extend_from_slice(*t);
        m.extend_from_slice(&end.to_le_bytes());
        values.extend_from_slice(v);
    }
    m.extend_from_slice(&values);
    m
}

/// Chrome's CHLO: tags in increasing order, padded with PAD so the message is
/// `size` bytes.
fn chlo(version: &[u8], size: usize) -> Vec<u8> {
    let ua = b"Chrome/72.0.3626.121 Windows NT 10.0; Win64; x64";
    let fixed = handshake(
        b"CHLO",
        &[
            (b"PAD\0", b""),
            (b"SNI\0", b"www.google.com"),
            (b"VER\0", version),
            (b"AEAD", b"AESG"),
            (b"UAID", ua),
        ],
    );
    let pad = vec![b'-'; size - fixed.len()];
    handshake(
        b"CHLO",
        &[
            (b"PAD\0", &pad),
            (b"SNI\0", b"www.google.com"),
            (b"VER\0", version),
            (b"AEAD", b"AESG"),
            (b"UAID", ua),
        ],
    )
}

#[test]
fn q043_client_hello() {
    // Public header: flags 0x09 (version present, 8-byte connection id, 1-byte
    // packet number), the connection id, "Q043", packet number 1, the 12-byte
    // message hash; then a stream frame (0xa0: data length present, no offset,
    // 1-byte stream id) on stream 1 whose length is big-endian 1024 (0x04 0x00),
    // which Arkime's parser, reading little-endian, takes for 4 and maps to 1024.
    let mut p = vec![0x09];
    p.extend_from_slice(&[0x5c, 0x1f, 0x8e, 0x77, 0x01, 0x02, 0x03, 0x04]);
    p.extend_from_slice(b"Q043");
    p.push(1);
    p.extend_from_slice(&[0x3a; 12]);
    p.extend_from_slice(&[0xa0, 0x01, 0x04, 0x00]);
    p.extend_from_slice(&chlo(b"Q043", 1024));
    p.resize(1350, 0); // padding frames
                       // The server's REJ is not read: the parser stops after the CHLO.
    let mut rej = vec![0x08];
    rej.extend_from_slice(&[0x5c, 0x1f, 0x8e, 0x77, 0x01, 0x02, 0x03, 0x04]);
    rej.extend_from_slice(&[0x55; 200]);
    let frames = UdpExchange::new("10.0.0.1:60000", "142.250.0.100:443")
        .client(&p)
        .server(&rej)
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "quic"]));
    assert_eq!(
        doc["quic"],
        json!({
            "host": ["www.google.com"],
            "hostCnt": 1,
            "useragent": ["Chrome/72.0.3626.121 Windows NT 10.0; Win64; x64"],
            "useragentCnt": 1,
            "version": ["Q043"],
            "versionCnt": 1,
        })
    );
}

#[test]
fn q046_client_hello() {
    // Q046's long header: 0xc3, "Q046", connection id lengths (0x50: an 8-byte
    // destination id), the id, a 4-byte packet number; the CHLO is found by
    // scanning for its tag.
    let mut p = vec![0xc3];
    p.extend_from_slice(b"Q046");
    p.push(0x50);
    p.extend_from_slice(&[0x91, 0x12, 0x23, 0x34, 0x45, 0x56, 0x67, 0x78]);
    p.extend_from_slice(&[0, 0, 0, 1]);
    p.extend_from_slice(&[0xa0, 0x01, 0x04, 0x00]);
    p.extend_from_slice(&chlo(b"Q046", 1024));
    p.resize(1350, 0);
    let frames = UdpExchange::new("10.0.0.1:60001", "142.250.0.100:443")
        .client(&p)
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "quic"]));
    assert_eq!(doc["quic"]["host"], json!(["www.google.com"]));
    assert_eq!(doc["quic"]["version"], json!(["Q046"]));
}

#[test]
fn facebook_zero_over_tcp() {
    // Zero's 9-byte header ("1QTV", a byte, the message length little-endian at
    // offset 5, two bytes), then a CHLO; sent in two segments.
    let m = handshake(
        b"CHLO",
        &[(b"SNI\0", b"graph.facebook.com"), (b"VER\0", b"QTV1")],
    );
    let mut z = b"1QTV\x01".to_vec();
    z.extend_from_slice(&(m.len() as u16).to_le_bytes());
    z.extend_from_slice(&[0, 0]);
    z.extend_from_slice(&m);
    let frames = TcpConversation::new("10.0.0.1:52000", "157.240.0.35:443")
        .handshake()
        .segment(30)
        .client(&z)
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "quic", "fbzero"]));
    assert_eq!(
        doc["quic"],
        json!({
            "host": ["graph.facebook.com"],
            "hostCnt": 1,
            "version": ["QTV1"],
            "versionCnt": 1,
        })
    );
}
