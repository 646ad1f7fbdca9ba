use serde_json::json;
use trawl_testkit::{run_session, TcpConversation};

/// A BER element with a short or long (0x81/0x82) definite length.
fn el(tag: u8, v: &[u8]) -> Vec<u8> {
    let mut o = vec![tag];
    match v.len() {
        n @ 0..=127 => o.push(n as u8),
        n @ 128..=255 => o.extend_from_slice(&[0x81, n as u8]),
        n => {
            o.push(0x82);
            o.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    o.extend_from_slice(v);
    o
}

/// An ACSE message: [APPLICATION 0] { called AP title [2], called invocation id [4],
/// calling AP title [6], calling invocation id [8], user information [30] }, the
/// titles as absolute OIDs, the ids as INTEGERs, the user information an EXTERNAL
/// [8] holding [1] { EPSEM flags, EPSEM data }.
fn acse(
    called: &[u8],
    called_id: &[u8],
    calling: &[u8],
    calling_id: &[u8],
    epsem: &[u8],
) -> Vec<u8> {
    let body = [
        el(0xa2, &el(0x06, called)),
        el(0xa4, &el(0x02, called_id)),
        el(0xa6, &el(0x06, calling)),
        el(0xa8, &el(0x02, calling_id)),
        el(0xbe, &el(0x28, &el(0x81, epsem))),
    ]
    .concat();
    el(0x60, &body)
}

#[test]
fn request_and_response_titles_ids_and_epsem_flags() {
    // 2.16.124.113620.1.22.0 (the relay) and 2.16.124.113620.1.22.3.1001 (the
    // meter), base-128 encoded: first byte 2*40+16 = 0x60, 113620 = 86 f7 54,
    // 1001 = 87 69 (Python: hand-checked encoder).
    let relay = [0x60, 0x7c, 0x86, 0xf7, 0x54, 0x01, 0x16, 0x00];
    let meter = [0x60, 0x7c, 0x86, 0xf7, 0x54, 0x01, 0x16, 0x03, 0x87, 0x69];
    // Request: EPSEM flags 0x84 (reserved bit, security mode 1, response control 0)
    // and a Read of table 1 (0x30 00 01), padded out to make the outer length
    // long-form.
    let mut req_epsem = vec![0x84, 0x04, 0x30, 0x00, 0x01];
    req_epsem.extend_from_slice(&[0x00; 150]);
    let request = acse(
        &relay,
        &0x1234_5678u32.to_be_bytes(),
        &meter,
        &[7],
        &req_epsem,
    );
    // Response: security mode 2, response control 1. The called invocation id is
    // 0x80000000, past a signed 32-bit integer: not recorded.
    let response = acse(
        &meter,
        &[0x80, 0x00, 0x00, 0x00],
        &relay,
        &[0x01, 0x00],
        &[0x89, 0x03, 0x00, 0x00, 0x00],
    );
    assert_eq!(&request[..2], &[0x60, 0x81], "long-form length");
    let frames = TcpConversation::new("10.9.0.2:50000", "10.9.0.3:1153")
        .handshake()
        // The request in 50-byte pieces: buffered until the element is whole.
        .segment(50)
        .client(&request)
        .segment(1460)
        .server(&response)
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "c1222"]));
    assert_eq!(
        doc["c1222"],
        json!({
            "calledApTitle": ["2.16.124.113620.1.22.0", "2.16.124.113620.1.22.3.1001"],
            "calledApTitleCnt": 2,
            "callingApTitle": ["2.16.124.113620.1.22.3.1001", "2.16.124.113620.1.22.0"],
            "callingApTitleCnt": 2,
            "calledApInvocationId": [305419896],
            "calledApInvocationIdCnt": 1,
            "callingApInvocationId": [7, 256],
            "callingApInvocationIdCnt": 2,
            "securityMode": ["cleartext-with-auth", "ciphertext-with-auth"],
            "securityModeCnt": 2,
            "responseControl": ["always", "on-exception"],
            "responseControlCnt": 2,
        })
    );
}
