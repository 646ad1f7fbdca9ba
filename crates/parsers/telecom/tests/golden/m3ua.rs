use serde_json::json;
use trawl_testkit::{run_session, SctpAssociation, Side};

/// M2UA's and M3UA's SCTP payload protocol ids.
const PPID_M2UA: u32 = 2;
const PPID_M3UA: u32 = 3;

/// A message: version 1, class, type, length, parameters.
fn ua(class: u8, ty: u8, params: &[u8]) -> Vec<u8> {
    let mut m = vec![1, 0, class, ty];
    m.extend_from_slice(&((8 + params.len()) as u32).to_be_bytes());
    m.extend_from_slice(params);
    m
}

/// A parameter, padded to four bytes.
fn param(tag: u16, data: &[u8]) -> Vec<u8> {
    let mut p = tag.to_be_bytes().to_vec();
    p.extend_from_slice(&((4 + data.len()) as u16).to_be_bytes());
    p.extend_from_slice(data);
    while !p.len().is_multiple_of(4) {
        p.push(0);
    }
    p
}

/// M3UA Transfer Data: Protocol Data with OPC 600, DPC 500, `si`, NI 2, MP 0, SLS 1.
fn m3ua_data(si: u8, user: &[u8]) -> Vec<u8> {
    let mut pd = vec![0, 0, 0x02, 0x58, 0, 0, 0x01, 0xf4, si, 2, 0, 1];
    pd.extend_from_slice(user);
    ua(1, 1, &param(0x0210, &pd))
}

/// An SCCP Unitdata: class 0, called address with PC 0x0123 (bytes 23 01), calling
/// address with PC 0x0456 (bytes 56 04), both routed on SSN (146, then 147), then
/// the data.
fn udt(data: &[u8]) -> Vec<u8> {
    let mut m = vec![0x09, 0x00, 3, 7, 11];
    m.extend_from_slice(&[4, 0x43, 0x23, 0x01, 146]);
    m.extend_from_slice(&[4, 0x43, 0x56, 0x04, 147]);
    m.push(data.len() as u8);
    m.extend_from_slice(data);
    m
}

/// A TLV with a one-byte length.
fn tlv(tag: u8, v: &[u8]) -> Vec<u8> {
    let mut t = vec![tag, v.len() as u8];
    t.extend_from_slice(v);
    t
}

/// A TCAP Begin with CAP v2's application context (0.4.0.0.1.0.50.1) and one
/// Invoke: invoke id `id`, operation `op`, then `args` as a SEQUENCE.
fn begin(id: u8, op: u8, args: &[u8]) -> Vec<u8> {
    let acn = tlv(0x06, &[0x04, 0x00, 0x00, 0x01, 0x00, 0x32, 0x01]);
    let aarq = tlv(0x60, &tlv(0xa1, &acn));
    let mut ext = tlv(0x06, &[0x00, 0x11, 0x86, 0x05, 0x01, 0x01, 0x01]);
    ext.extend(tlv(0xa0, &aarq));
    let dialogue = tlv(0x6b, &tlv(0x28, &ext));
    let mut inv = tlv(0x02, &[id]);
    inv.extend(tlv(0x02, &[op]));
    inv.extend(tlv(0x30, args));
    let mut body = tlv(0x48, &[0xde, 0xad, 0xbe, 0xef]);
    body.extend(dialogue);
    body.extend(tlv(0x6c, &tlv(0xa1, &inv)));
    tlv(0x62, &body)
}

/// initialDP's arguments: serviceKey, calledPartyNumber 33612345678 (odd count),
/// callingPartyNumber 4420 (even), iMSI 208150123456789.
fn initial_dp_args() -> Vec<u8> {
    let mut a = tlv(0x80, &[0x05]);
    a.extend(tlv(0x82, &[0x84, 0x10, 0x33, 0x16, 0x32, 0x54, 0x76, 0x08]));
    a.extend(tlv(0x83, &[0x03, 0x13, 0x44, 0x02]));
    a.extend(tlv(0x8a, &[0x02, 0x18, 0x05, 0x21, 0x43, 0x65, 0x87, 0xf9]));
    a
}

#[test]
fn asp_handshake_then_camel_and_isup() {
    let frames = SctpAssociation::new("10.30.0.1:2905", "10.30.0.2:2905")
        // ASPUP and ASPUP Ack (class 3): the session is M3UA, nothing read.
        .data(Side::Client, PPID_M3UA, &ua(3, 1, &[]))
        .data(Side::Server, PPID_M3UA, &ua(3, 4, &[]))
        // initialDP (0) over SCCP.
        .data(
            Side::Client,
            PPID_M3UA,
            &m3ua_data(3, &udt(&begin(1, 0, &initial_dp_args()))),
        )
        // An ISUP IAM-looking user part (SI 5): named only.
        .data(Side::Client, PPID_M3UA, &m3ua_data(5, &[0x01, 0x00, 0x01]))
        // connect (20) from the other side: its SEQUENCE is not read for numbers.
        .data(
            Side::Server,
            PPID_M3UA,
            &m3ua_data(
                3,
                &udt(&begin(2, 20, &tlv(0x83, &[0x03, 0x13, 0x99, 0x99]))),
            ),
        )
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(
        doc["protocol"],
        json!(["sctp", "m3ua", "sccp", "camel", "isup"])
    );
    assert_eq!(doc["m3ua"], json!({"si": [3, 5], "siCnt": 2}));
    assert_eq!(
        doc["sccp"],
        json!({"src": [0x0456], "srcCnt": 1, "dst": [0x0123], "dstCnt": 1})
    );
    assert_eq!(doc["tcap"], json!({"opcode": [0, 20], "opcodeCnt": 2}));
    assert_eq!(
        doc["camel"],
        json!({
            "op": ["initialDP", "connect"],
            "opCnt": 2,
            "calling": ["4420"],
            "callingCnt": 1,
            "called": ["33612345678"],
            "calledCnt": 1,
            "imsi": ["208150123456789"],
            "imsiCnt": 1,
        })
    );
}

#[test]
fn m2ua_protocol_data_2_and_tup() {
    // MTP3 messages: SIO (SI in the low nibble), a 4-byte routing label, user part.
    let mut tup = vec![0x84, 0, 0, 0, 0];
    tup.extend_from_slice(&[0x11, 0x22]);
    let mut sccp = vec![0x83, 0, 0, 0, 0];
    // A UDT whose data is TCAP of an unknown context: SCCP only.
    sccp.extend(udt(&[0x64, 0x03, 0x49, 0x01, 0x07]));
    // Protocol Data 2: a length indicator byte first.
    let pd2 = |m: &[u8]| {
        let mut d = vec![0x3f];
        d.extend_from_slice(m);
        ua(6, 1, &param(0x0301, &d))
    };
    let frames = SctpAssociation::new("10.30.1.1:2904", "10.30.1.2:2904")
        .data(Side::Client, PPID_M2UA, &pd2(&tup))
        .data(Side::Client, PPID_M2UA, &pd2(&sccp))
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["sctp", "m2ua", "tup", "sccp"]));
    assert_eq!(doc["m3ua"], json!({"si": [4, 3], "siCnt": 2}));
    assert_eq!(
        doc["sccp"],
        json!({"src": [0x0456], "srcCnt": 1, "dst": [0x0123], "dstCnt": 1})
    );
    assert!(doc.get("tcap").is_none());
    assert!(doc.get("camel").is_none());
}

#[test]
fn unknown_service_indicator_stops_the_parser() {
    let frames = SctpAssociation::new("10.30.2.1:2905", "10.30.2.2:2905")
        // SI 9 has no parser: Arkime unregisters, so the ISUP message after it is
        // not read.
        .data(Side::Client, PPID_M3UA, &m3ua_data(9, &[0; 4]))
        .data(Side::Client, PPID_M3UA, &m3ua_data(5, &[0; 4]))
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["sctp", "m3ua"]));
    assert_eq!(doc["m3ua"], json!({"si": [9], "siCnt": 1}));
}

#[test]
fn not_version_1_is_not_m3ua() {
    let mut m = m3ua_data(5, &[0; 4]);
    m[0] = 2;
    let frames = SctpAssociation::new("10.30.3.1:2905", "10.30.3.2:2905")
        .data(Side::Client, PPID_M3UA, &m)
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["sctp"]));
    assert!(doc.get("m3ua").is_none());
}
