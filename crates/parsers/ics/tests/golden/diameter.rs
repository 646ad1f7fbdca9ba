use serde_json::json;
use trawl_testkit::{run_session, SctpAssociation, Side, TcpConversation};

/// Diameter's SCTP payload protocol id (RFC 6733).
const PPID_DIAMETER: u32 = 46;
/// 3GPP's vendor id.
const VENDOR_3GPP: u32 = 10415;

/// An AVP: code, flags (M set; V when a vendor id is given), length, vendor id,
/// data, padded to four bytes.
fn avp(code: u32, vendor: Option<u32>, data: &[u8]) -> Vec<u8> {
    let len = 8 + if vendor.is_some() { 4 } else { 0 } + data.len();
    let mut a = code.to_be_bytes().to_vec();
    a.push(if vendor.is_some() { 0xc0 } else { 0x40 });
    a.extend_from_slice(&(len as u32).to_be_bytes()[1..]);
    if let Some(v) = vendor {
        a.extend_from_slice(&v.to_be_bytes());
    }
    a.extend_from_slice(data);
    while !a.len().is_multiple_of(4) {
        a.push(0);
    }
    a
}

/// A message: version 1, length, flags (0x80 for a request), command code,
/// application id, hop-by-hop and end-to-end ids, AVPs.
fn message(request: bool, code: u32, app: u32, hop: u32, avps: &[Vec<u8>]) -> Vec<u8> {
    let body = avps.concat();
    let mut m = vec![1];
    m.extend_from_slice(&((20 + body.len()) as u32).to_be_bytes()[1..]);
    m.push(if request { 0x80 } else { 0 });
    m.extend_from_slice(&code.to_be_bytes()[1..]);
    m.extend_from_slice(&app.to_be_bytes());
    m.extend_from_slice(&hop.to_be_bytes());
    m.extend_from_slice(&(hop ^ 0x5a5a_0000).to_be_bytes());
    m.extend_from_slice(&body);
    m
}

#[test]
fn capabilities_exchange_and_watchdog_over_tcp() {
    let host_ip = [0, 1, 10, 6, 0, 1]; // Host-IP-Address: family 1 (IPv4), 10.6.0.1
    let cer = message(
        true,
        257,
        0,
        1,
        &[
            avp(264, None, b"mme.epc.example.org"),
            avp(296, None, b"epc.example.org"),
            avp(257, None, &host_ip),
            avp(266, None, &VENDOR_3GPP.to_be_bytes()), // Vendor-Id
            avp(269, None, b"trawl-mme"),               // Product-Name
        ],
    );
    let cea = message(
        false,
        257,
        0,
        1,
        &[
            avp(268, None, &2001u32.to_be_bytes()), // DIAMETER_SUCCESS
            avp(264, None, b"hss.epc.example.org"),
            avp(296, None, b"epc.example.org"),
        ],
    );
    let dwr = message(
        true,
        280,
        0,
        2,
        &[
            avp(264, None, b"mme.epc.example.org"),
            avp(296, None, b"epc.example.org"),
        ],
    );
    // An answer to an unknown command of an unknown application, with a Result-Code
    // that is not four bytes long (ignored).
    let odd = message(
        false,
        8_388_620,
        16_777_999,
        3,
        &[avp(268, None, &[0, 0, 7])],
    );
    let frames = TcpConversation::new("10.6.0.1:38681", "10.6.0.2:3868")
        .handshake()
        // The CER in 40-byte segments: buffered until whole.
        .segment(40)
        .client(&cer)
        .segment(1460)
        .server(&cea)
        .client(&dwr)
        .server(&odd)
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "diameter"]));
    assert_eq!(
        doc["diameter"],
        json!({
            "cmd": [
                "Capabilities-Exchange-Request (257)",
                "Capabilities-Exchange-Answer (257)",
                "Device-Watchdog-Request (280)",
                "Answer (8388620)"
            ],
            "cmdCnt": 4,
            "app": ["Common (0)", "16777999"],
            "appCnt": 2,
            "originHost": ["mme.epc.example.org", "hss.epc.example.org"],
            "originHostCnt": 2,
            "originRealm": ["epc.example.org"],
            "originRealmCnt": 1,
            "resultCode": [2001],
            "resultCodeCnt": 1,
        })
    );
}

#[test]
fn s6a_update_location_over_sctp() {
    let session = b"mme.epc.example.org;1700000000;42";
    let ulr = message(
        true,
        316,
        16_777_251,
        7,
        &[
            avp(263, None, session),
            avp(264, None, b"mme.epc.example.org"),
            avp(296, None, b"epc.example.org"),
            avp(293, None, b"hss.epc.example.org"),
            avp(283, None, b"epc.example.org"),
            avp(1, None, b"001010123456789"),
            avp(1032, Some(VENDOR_3GPP), &1004u32.to_be_bytes()), // RAT-Type: EUTRAN
            avp(1405, Some(VENDOR_3GPP), &0x22u32.to_be_bytes()), // ULR-Flags
        ],
    );
    let ula = message(
        false,
        316,
        16_777_251,
        7,
        &[
            avp(263, None, session),
            avp(268, None, &2001u32.to_be_bytes()),
            avp(264, None, b"hss.epc.example.org"),
            avp(296, None, b"epc.example.org"),
            avp(1406, Some(VENDOR_3GPP), &1u32.to_be_bytes()), // ULA-Flags
        ],
    );
    let frames = SctpAssociation::new("10.6.1.1:36412", "10.6.1.2:3868")
        .data(Side::Client, PPID_DIAMETER, &ulr)
        .data(Side::Server, PPID_DIAMETER, &ula)
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["sctp", "diameter"]));
    assert_eq!(
        doc["diameter"],
        json!({
            "cmd": ["Update-Location-Request (316)", "Update-Location-Answer (316)"],
            "cmdCnt": 2,
            "app": ["3GPP-S6a (16777251)"],
            "appCnt": 1,
            "sessionId": ["mme.epc.example.org;1700000000;42"],
            "sessionIdCnt": 1,
            "originHost": ["mme.epc.example.org", "hss.epc.example.org"],
            "originHostCnt": 2,
            "originRealm": ["epc.example.org"],
            "originRealmCnt": 1,
            "destHost": ["hss.epc.example.org"],
            "destHostCnt": 1,
            "destRealm": ["epc.example.org"],
            "destRealmCnt": 1,
            "user": ["001010123456789"],
            "userCnt": 1,
            "resultCode": [2001],
            "resultCodeCnt": 1,
        })
    );
}
