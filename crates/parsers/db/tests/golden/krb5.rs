use serde_json::json;
use trawl_testkit::{run_session, TcpConversation, UdpExchange};

use crate::{cat, der};

fn int(n: u8) -> Vec<u8> {
    der(0x02, &[n])
}

/// PrincipalName { name-type [0], name-string [1] SEQUENCE OF GeneralString }.
fn principal(name_type: u8, names: &[&str]) -> Vec<u8> {
    let strings: Vec<Vec<u8>> = names.iter().map(|n| der(0x1b, n.as_bytes())).collect();
    der(
        0x30,
        &cat(&[
            der(0xa0, &int(name_type)),
            der(0xa1, &der(0x30, &strings.concat())),
        ]),
    )
}

/// An AS-REQ (`app` 0x6a) or TGS-REQ (0x6c) as Windows sends it: a PA-PAC-REQUEST
/// pre-authentication element, then the body (KDC options, cname, realm, sname, till,
/// nonce, etypes).
fn kdc_req(app: u8, msg_type: u8, cname: &str, sname: &[&str], etypes: &[u8]) -> Vec<u8> {
    let pac_request = der(0x30, &der(0xa0, &der(0x01, &[0xff])));
    let padata = der(
        0x30,
        &der(
            0x30,
            &cat(&[
                der(0xa1, &der(0x02, &[0x00, 0x80])),
                der(0xa2, &der(0x04, &pac_request)),
            ]),
        ),
    );
    let etype_list: Vec<Vec<u8>> = etypes.iter().map(|&e| int(e)).collect();
    let body = der(
        0x30,
        &cat(&[
            der(0xa0, &der(0x03, &[0x00, 0x40, 0x81, 0x00, 0x10])),
            der(0xa1, &principal(1, &[cname])),
            der(0xa2, &der(0x1b, b"EXAMPLE.COM")),
            der(0xa3, &principal(2, sname)),
            der(0xa5, &der(0x18, b"20370913024805Z")),
            der(0xa7, &der(0x02, &[0x1c, 0x9e, 0x2a, 0x5f])),
            der(0xa8, &der(0x30, &etype_list.concat())),
        ]),
    );
    der(
        app,
        &der(
            0x30,
            &cat(&[
                der(0xa1, &int(5)),
                der(0xa2, &int(msg_type)),
                der(0xa3, &padata),
                der(0xa4, &body),
            ]),
        ),
    )
}

/// A KRB-ERROR [APPLICATION 30] with this error code, about the service `sname` of
/// EXAMPLE.COM.
fn krb_error(code: u8, sname: &[&str]) -> Vec<u8> {
    der(
        0x7e,
        &der(
            0x30,
            &cat(&[
                der(0xa0, &int(5)),
                der(0xa1, &int(30)),
                der(0xa4, &der(0x18, b"20240501120000Z")),
                der(0xa5, &der(0x02, &[0x01, 0xe2, 0x40])),
                der(0xa6, &int(code)),
                der(0xa9, &der(0x1b, b"EXAMPLE.COM")),
                der(0xaa, &principal(2, sname)),
            ]),
        ),
    )
}

/// A TCP record: the 4-byte big-endian length, then the message.
fn record(msg: &[u8]) -> Vec<u8> {
    let mut r = (msg.len() as u32).to_be_bytes().to_vec();
    r.extend_from_slice(msg);
    r
}

#[test]
fn tcp_as_request_and_preauth_required_error() {
    let req = kdc_req(0x6a, 10, "alice", &["krbtgt", "EXAMPLE.COM"], &[18, 17, 23]);
    // Over 127 bytes, both outer lengths take the 0x81 form, so the pvno
    // (a1 03 02 01 05) sits where the TCP classifier at offset 11 looks.
    assert_eq!((req[1], req[4]), (0x81, 0x81));
    let frames = TcpConversation::new("10.0.0.5:49731", "10.0.0.1:88")
        .handshake()
        // The record split in three: the parser buffers until its length is there.
        .segment(60)
        .client(&record(&req))
        .segment(1460)
        .server(&record(&krb_error(25, &["krbtgt", "EXAMPLE.COM"])))
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "krb5"]));
    // The realm of the request and of the error is one value (a set); the error's
    // sname is the request's; the two-part sname is joined with '/'.
    assert_eq!(
        doc["krb5"],
        json!({
            "realm": ["EXAMPLE.COM"],
            "realmCnt": 1,
            "cname": ["alice"],
            "cnameCnt": 1,
            "sname": ["krbtgt/EXAMPLE.COM"],
            "snameCnt": 1,
            "etype": ["aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96", "rc4-hmac"],
            "etypeCnt": 3,
            "error": ["KDC_ERR_PREAUTH_REQUIRED"],
            "errorCnt": 1,
        })
    );
}

#[test]
fn udp_tgs_request_and_unknown_principal_error() {
    let req = kdc_req(
        0x6c,
        12,
        "alice",
        &["cifs", "fs1.example.com"],
        &[18, 23, 3],
    );
    // Both lengths in the 0x81 form: the UDP classifier at offset 7 matches.
    assert_eq!((req[1], req[4]), (0x81, 0x81));
    let frames = UdpExchange::new("10.0.0.5:54002", "10.0.0.1:88")
        .client(&req)
        .server(&krb_error(7, &["cifs", "fs1.example.com"]))
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "krb5"]));
    assert_eq!(
        doc["krb5"],
        json!({
            "realm": ["EXAMPLE.COM"],
            "realmCnt": 1,
            "cname": ["alice"],
            "cnameCnt": 1,
            "sname": ["cifs/fs1.example.com"],
            "snameCnt": 1,
            "etype": ["aes256-cts-hmac-sha1-96", "rc4-hmac", "des-cbc-md5"],
            "etypeCnt": 3,
            "error": ["KDC_ERR_S_PRINCIPAL_UNKNOWN"],
            "errorCnt": 1,
        })
    );
}

#[test]
fn tcp_records_are_read_one_per_call_as_in_arkime() {
    let as_req = kdc_req(0x6a, 10, "alice", &["krbtgt", "EXAMPLE.COM"], &[18]);
    let tgs_req = kdc_req(0x6c, 12, "alice", &["cifs", "fs1.example.com"], &[23]);
    let last = kdc_req(0x6c, 12, "alice", &["http", "www.example.com"], &[3]);
    let frames = TcpConversation::new("10.0.0.5:49732", "10.0.0.1:88")
        .handshake()
        // Two records in one segment: Arkime reads the first, and keeps the second
        // until more bytes come in that direction.
        .client(&cat(&[record(&as_req), record(&tgs_req)]))
        // These bring the second in; the third waits in turn, and nothing follows.
        .client(&record(&last))
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "krb5"]));
    assert_eq!(
        doc["krb5"]["sname"],
        json!(["krbtgt/EXAMPLE.COM", "cifs/fs1.example.com"])
    );
    assert_eq!(
        doc["krb5"]["etype"],
        json!(["aes256-cts-hmac-sha1-96", "rc4-hmac"])
    );
}
