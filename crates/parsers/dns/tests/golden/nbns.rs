//! NetBIOS name service: a name query to a WINS server and its positive answer.

use serde_json::json;
use trawl_testkit::{run_session, UdpExchange};

/// A NetBIOS name, first-level encoded (RFC 1001 §14.1): padded with spaces to 15
/// bytes, the suffix byte, each byte as two letters 'A' + nibble; length 0x20 before,
/// the empty scope's zero after.
fn encoded(name: &str, suffix: u8) -> Vec<u8> {
    let mut b = format!("{name:<15}").into_bytes();
    b.push(suffix);
    let mut v = vec![0x20];
    for c in b {
        v.push(b'A' + (c >> 4));
        v.push(b'A' + (c & 0x0f));
    }
    v.push(0);
    v
}

#[test]
fn name_query_and_positive_response() {
    // Query: id, flags (RD), one question: FILESERVER<20>, type NB (0x20), class IN.
    let mut query = vec![0x81, 0x02, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    query.extend_from_slice(&encoded("FILESERVER", 0x20));
    query.extend_from_slice(&[0x00, 0x20, 0x00, 0x01]);
    // Response: QR, AA, RD, RA; one answer with the full name, type NB, class IN,
    // TTL 300000, and one address entry (NB flags, 10.0.0.7).
    let mut resp = vec![0x81, 0x02, 0x85, 0x80, 0, 0, 0, 1, 0, 0, 0, 0];
    resp.extend_from_slice(&encoded("FILESERVER", 0x20));
    resp.extend_from_slice(&[0x00, 0x20, 0x00, 0x01]);
    resp.extend_from_slice(&300_000u32.to_be_bytes());
    resp.extend_from_slice(&[0x00, 0x06, 0x00, 0x00, 10, 0, 0, 7]);

    let frames = UdpExchange::new("10.0.0.5:137", "10.0.0.2:137")
        .client(&query)
        .server(&resp)
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "nbns"]));
    // The question's name is a name and (in a query) a queried host; the answer's
    // name is a name (already there) and a host; its address an IP, with the geo
    // companions every IP hash field has (no databases: "---" and "").
    assert_eq!(
        doc["nbns"],
        json!({
            "name": ["FILESERVER"],
            "nameCnt": 1,
            "queryType": ["NB"],
            "queryTypeCnt": 1,
            "queryHost": ["FILESERVER"],
            "queryHostCnt": 1,
            "host": ["FILESERVER"],
            "hostCnt": 1,
            "ip": ["10.0.0.7"],
            "ipCnt": 1,
            "GEO": ["---"],
            "ASN": ["---"],
            "RIR": [""],
        })
    );
}
