use serde_json::json;
use trawl_testkit::{run_session, UdpExchange};

/// An AVP: code, flags, length of the value, reserved; the value padded to four
/// bytes.
fn avp(code: u16, value: &[u8]) -> Vec<u8> {
    let mut a = code.to_be_bytes().to_vec();
    a.extend_from_slice(&[0, 0]);
    a.extend_from_slice(&(value.len() as u16).to_be_bytes());
    a.extend_from_slice(&[0, 0]);
    a.extend_from_slice(value);
    while !a.len().is_multiple_of(4) {
        a.push(0);
    }
    a
}

/// A PANA message: reserved, length, flags, type, session id, sequence number, AVPs.
fn msg(flags: u16, ty: u16, session: u32, seq: u32, avps: &[Vec<u8>]) -> Vec<u8> {
    let body = avps.concat();
    let mut m = vec![0, 0];
    m.extend_from_slice(&((16 + body.len()) as u16).to_be_bytes());
    m.extend_from_slice(&flags.to_be_bytes());
    m.extend_from_slice(&ty.to_be_bytes());
    m.extend_from_slice(&session.to_be_bytes());
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(&body);
    m
}

const REQUEST: u16 = 0x8000;
const START: u16 = 0x4000;
const COMPLETE: u16 = 0x2000;
const EAP_PAYLOAD: u16 = 2;

#[test]
fn authentication_with_an_eap_identity() {
    let sid = 0x0a1b_2c3d;
    // EAP-Request/Identity (code 1, type 1) with no data: no identity.
    let eap_req = [1, 1, 0, 5, 1];
    // EAP-Response/Identity (code 2, type 1): "alice@example.net".
    let mut eap_rsp = vec![2, 1, 0, 22, 1];
    eap_rsp.extend_from_slice(b"alice@example.net");
    let frames = UdpExchange::new("10.10.0.7:716", "10.10.0.1:716")
        // PANA-Client-Initiate: session id 0 (none yet).
        .client(&msg(0, 1, 0, 0, &[]))
        // PANA-Auth-Request with the start bit; PRF-Algorithm (6) and
        // Integrity-Algorithm (4) offers.
        .server(&msg(
            REQUEST | START,
            2,
            sid,
            100,
            &[avp(6, &5u32.to_be_bytes()), avp(4, &12u32.to_be_bytes())],
        ))
        .client(&msg(START, 2, sid, 100, &[avp(6, &5u32.to_be_bytes())]))
        .server(&msg(REQUEST, 2, sid, 101, &[avp(EAP_PAYLOAD, &eap_req)]))
        .client(&msg(0, 2, sid, 101, &[avp(EAP_PAYLOAD, &eap_rsp)]))
        // Result-Code (7): PANA_SUCCESS (0), with the complete bit.
        .server(&msg(REQUEST | COMPLETE, 2, sid, 102, &[avp(7, &[0; 4])]))
        // PANA-Termination-Request, Termination-Cause (9) logout (1).
        .client(&msg(REQUEST, 3, sid, 200, &[avp(9, &1u32.to_be_bytes())]))
        .server(&msg(0, 3, sid, 200, &[]))
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "pana"]));
    // The session id as 8 hex digits; the initiation's 0 is not recorded.
    assert_eq!(
        doc["pana"],
        json!({
            "msgType": ["client-initiation", "auth", "termination"],
            "msgTypeCnt": 3,
            "sessionId": ["0a1b2c3d"],
            "sessionIdCnt": 1,
            "user": ["alice@example.net"],
            "userCnt": 1,
        })
    );
}
