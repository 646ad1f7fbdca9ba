use serde_json::json;
use trawl_testkit::{run_session, UdpExchange};

use crate::{cat, der};

/// An OBJECT IDENTIFIER from its dotted form (arcs below 128 after the first two).
fn oid(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u8> = dotted.split('.').map(|a| a.parse().unwrap()).collect();
    let mut v = vec![arcs[0] * 40 + arcs[1]];
    v.extend_from_slice(&arcs[2..]);
    der(0x06, &v)
}

/// A v1/v2c message: version (0 = v1, 1 = v2c), community, PDU.
fn message(version: u8, community: &str, pdu: Vec<u8>) -> Vec<u8> {
    der(
        0x30,
        &cat(&[der(0x02, &[version]), der(0x04, community.as_bytes()), pdu]),
    )
}

/// A PDU with request id, error status and index, and these bindings.
fn pdu(tag: u8, error: u8, bindings: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let list: Vec<Vec<u8>> = bindings
        .iter()
        .map(|(o, v)| der(0x30, &cat(&[oid(o), v.clone()])))
        .collect();
    der(
        tag,
        &cat(&[
            der(0x02, &[0x3f, 0x1a]),
            der(0x02, &[error]),
            der(0x02, &[0]),
            der(0x30, &list.concat()),
        ]),
    )
}

const SYS_DESCR: &str = "1.3.6.1.2.1.1.1.0";
const SYS_NAME: &str = "1.3.6.1.2.1.1.5.0";

#[test]
fn v2c_get_and_response() {
    let null = || vec![0x05, 0x00];
    let get = message(
        1,
        "public",
        pdu(0xa0, 0, &[(SYS_DESCR, null()), (SYS_NAME, null())]),
    );
    let response = message(
        1,
        "public",
        pdu(
            0xa2,
            0,
            &[
                (SYS_DESCR, der(0x04, b"Linux router 6.1.0")),
                (SYS_NAME, der(0x04, b"router1")),
            ],
        ),
    );
    // A set request refused: error status readOnly (4).
    let set = message(
        1,
        "private",
        pdu(0xa3, 0, &[(SYS_NAME, der(0x04, b"core1"))]),
    );
    let refused = message(
        1,
        "private",
        pdu(0xa2, 4, &[(SYS_NAME, der(0x04, b"core1"))]),
    );
    let frames = UdpExchange::new("10.0.0.5:40161", "10.0.0.254:161")
        .client(&get)
        .server(&response)
        .client(&set)
        .server(&refused)
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "snmp"]));
    // Version byte 1 is v2c, written 2; sets keep the first-seen order.
    assert_eq!(
        doc["snmp"],
        json!({
            "version": [2],
            "versionCnt": 1,
            "community": ["public", "private"],
            "communityCnt": 2,
            "error": ["readOnly"],
            "errorCnt": 1,
            "variable": [SYS_DESCR, SYS_NAME],
            "variableCnt": 2,
            "type": ["GetRequest", "GetResponse", "SetRequest"],
            "typeCnt": 3,
        })
    );
}

#[test]
fn v2c_trap_names_its_trap_oid() {
    // SNMPv2-Trap (0xa7): sysUpTime.0, then snmpTrapOID.0 = linkDown.
    let trap = message(
        1,
        "traps",
        pdu(
            0xa7,
            0,
            &[
                ("1.3.6.1.2.1.1.3.0", der(0x43, &[0x01, 0x02, 0x03])),
                ("1.3.6.1.6.3.1.1.4.1.0", oid("1.3.6.1.6.3.1.1.5.3")),
                ("1.3.6.1.2.1.2.2.1.1.2", der(0x02, &[2])),
            ],
        ),
    );
    let frames = UdpExchange::new("10.0.0.254:50000", "10.0.0.5:162")
        .client(&trap)
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "snmp"]));
    assert_eq!(
        doc["snmp"],
        json!({
            "version": [2],
            "versionCnt": 1,
            "community": ["traps"],
            "communityCnt": 1,
            "variable": ["1.3.6.1.2.1.1.3.0", "1.3.6.1.6.3.1.1.4.1.0", "1.3.6.1.2.1.2.2.1.1.2"],
            "variableCnt": 3,
            "type": ["SNMPv2-Trap"],
            "typeCnt": 1,
            "trapOid": ["1.3.6.1.6.3.1.1.5.3"],
            "trapOidCnt": 1,
        })
    );
}

#[test]
fn v3_auth_priv_engine_and_user() {
    // msgGlobalData: id, max size, flags 0x07 (auth, priv, reportable), model 3 (USM).
    let global = der(
        0x30,
        &cat(&[
            der(0x02, &[0x12, 0x34]),
            der(0x02, &[0x00, 0xff, 0xe3]),
            der(0x04, &[0x07]),
            der(0x02, &[3]),
        ]),
    );
    let engine = [
        0x80, 0x00, 0x1f, 0x88, 0x80, 0x59, 0xdc, 0x48, 0x61, 0x45, 0xa2, 0x63,
    ];
    // UsmSecurityParameters: engine id, boots, time, user, auth and priv parameters.
    let usm = der(
        0x30,
        &cat(&[
            der(0x04, &engine),
            der(0x02, &[0x05]),
            der(0x02, &[0x00, 0xa1, 0x22]),
            der(0x04, b"monitor"),
            der(0x04, &[0xaa; 12]),
            der(0x04, &[0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08]),
        ]),
    );
    let msg = der(
        0x30,
        &cat(&[
            der(0x02, &[3]),
            global,
            der(0x04, &usm),
            // The scoped PDU, encrypted.
            der(0x04, &[0x5c; 40]),
        ]),
    );
    let frames = UdpExchange::new("10.0.0.5:40162", "10.0.0.254:161")
        .client(&msg)
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "snmp"]));
    // The engine id in lower-case hex; the user goes to the core user field.
    assert_eq!(
        doc["snmp"],
        json!({
            "version": [3],
            "versionCnt": 1,
            "secLevel": ["authPriv"],
            "secLevelCnt": 1,
            "engineId": ["80001f888059dc486145a263"],
            "engineIdCnt": 1,
        })
    );
    assert_eq!(doc["user"], json!(["monitor"]));
}
