use serde_json::json;
use trawl_testkit::{run_session, TcpConversation};

use crate::ntlm::{authenticate, challenge, negotiate};
use crate::{cat, der};

/// An LDAPMessage: message id, then the protocol op.
fn message(id: u8, op: Vec<u8>) -> Vec<u8> {
    der(0x30, &cat(&[der(0x02, &[id]), op]))
}

/// A BindRequest [APPLICATION 0]: version 3, the name, the authentication choice.
fn bind(id: u8, name: &str, auth: Vec<u8>) -> Vec<u8> {
    message(
        id,
        der(
            0x60,
            &cat(&[der(0x02, &[3]), der(0x04, name.as_bytes()), auth]),
        ),
    )
}

/// A BindResponse [APPLICATION 1]: result code, matched DN, diagnostic message.
fn bind_response(id: u8, code: u8, matched_dn: &[u8]) -> Vec<u8> {
    message(
        id,
        der(
            0x61,
            &cat(&[der(0x0a, &[code]), der(0x04, matched_dn), der(0x04, b"")]),
        ),
    )
}

#[test]
fn simple_bind_then_search() {
    // SearchRequest [APPLICATION 3]: base, scope subtree, never deref, no limits,
    // types only false, filter (cn=*) as present [7], attributes (mail).
    let search = message(
        2,
        der(
            0x63,
            &cat(&[
                der(0x04, b"dc=example,dc=com"),
                der(0x0a, &[2]),
                der(0x0a, &[0]),
                der(0x02, &[0]),
                der(0x02, &[0]),
                der(0x01, &[0]),
                der(0x87, b"cn"),
                der(0x30, &der(0x04, b"mail")),
            ]),
        ),
    );
    // SearchResultEntry [APPLICATION 4] and SearchResultDone [APPLICATION 5].
    let entry = message(
        2,
        der(
            0x64,
            &cat(&[
                der(0x04, b"cn=bob,dc=example,dc=com"),
                der(
                    0x30,
                    &der(
                        0x30,
                        &cat(&[
                            der(0x04, b"mail"),
                            der(0x31, &der(0x04, b"bob@example.com")),
                        ]),
                    ),
                ),
            ]),
        ),
    );
    let done = message(
        2,
        der(
            0x65,
            &cat(&[der(0x0a, &[0]), der(0x04, b""), der(0x04, b"")]),
        ),
    );
    let unbind = message(3, vec![0x42, 0x00]);
    let frames = TcpConversation::new("10.0.0.5:51200", "10.0.0.9:389")
        .handshake()
        .client(&bind(1, "cn=admin,dc=example,dc=com", der(0x80, b"secret")))
        .server(&bind_response(1, 0, b""))
        .client(&search)
        .server(&[entry, done].concat())
        .client(&unbind)
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "ldap"]));
    assert_eq!(
        doc["ldap"],
        json!({
            "authtype": ["simple"],
            "authtypeCnt": 1,
            "bindname": ["cn=admin,dc=example,dc=com"],
            "bindnameCnt": 1,
        })
    );
}

#[test]
fn sicily_ntlm_bind() {
    // Active Directory's NTLM bind: sicilyNegotiate [10] with the type 1 message, the
    // DC answers with the type 2 message in the matched DN (result
    // saslBindInProgress, 14), then sicilyResponse [11] with the type 3 message.
    let frames = TcpConversation::new("10.0.0.5:51201", "10.0.0.1:389")
        .handshake()
        .client(&bind(1, "", der(0x8a, &negotiate())))
        .server(&bind_response(1, 14, &challenge()))
        .client(&bind(2, "", der(0x8b, &authenticate())))
        .server(&bind_response(2, 0, b""))
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "ldap", "ntlm"]));
    // An empty bind name is written <ROOT>, as Arkime does.
    assert_eq!(
        doc["ldap"],
        json!({
            "authtype": ["ntlmsspNegotiate", "ntlmsspAuth"],
            "authtypeCnt": 2,
            "bindname": ["<ROOT>"],
            "bindnameCnt": 1,
        })
    );
    // The client's messages are read first (its direction comes first at save): type 1
    // and 3, then the DC's type 2. Domain, user and host are the UTF-16LE strings of
    // the type 3 message; the target name that of the type 2.
    assert_eq!(
        doc["ntlm"],
        json!({
            "domain": ["EXAMPLE"],
            "domainCnt": 1,
            "host": ["WS01"],
            "hostCnt": 1,
            "targetName": ["EXAMPLE"],
            "targetNameCnt": 1,
            "version": ["10.0.19041", "10.0.17763"],
            "versionCnt": 2,
            "type": [1, 3, 2],
            "typeCnt": 3,
        })
    );
    assert_eq!(doc["user"], json!(["alice"]));
}

#[test]
fn split_binds_then_a_direction_read_past_6000_bytes() {
    // The first bind in segments of 16 bytes, with a second bind in the same segment
    // as its end; both are kept by the framework and read together.
    let first = bind(1, "cn=alice,dc=example,dc=com", der(0x80, b"secret"));
    let second = bind(2, "", der(0x80, b""));
    // A modify request [APPLICATION 6] with a 6100-byte value: past 6000 bytes the
    // direction is read (what is there of this message too) and given up, so the
    // third bind, after it, is never read.
    let big = message(
        3,
        der(
            0x66,
            &cat(&[
                der(0x04, b"cn=alice,dc=example,dc=com"),
                der(
                    0x30,
                    &der(
                        0x30,
                        &cat(&[
                            der(0x0a, &[2]),
                            der(
                                0x30,
                                &cat(&[
                                    der(0x04, b"description"),
                                    der(0x31, &der(0x04, &[b'x'; 6100])),
                                ]),
                            ),
                        ]),
                    ),
                ),
            ]),
        ),
    );
    let third = bind(4, "cn=bob,dc=example,dc=com", der(0x80, b"pw"));
    let mut start = first.clone();
    start.extend_from_slice(&second);
    let frames = TcpConversation::new("10.0.0.5:51202", "10.0.0.9:389")
        .handshake()
        .segment(16)
        .client(&first[..first.len() - 3])
        .client(&cat(&[first[first.len() - 3..].to_vec(), second]))
        .segment(1460)
        .server(&bind_response(1, 0, b""))
        .client(&big)
        .client(&third)
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "ldap"]));
    assert_eq!(
        doc["ldap"],
        json!({
            "authtype": ["simple", "none"],
            "authtypeCnt": 2,
            "bindname": ["cn=alice,dc=example,dc=com", "<ROOT>"],
            "bindnameCnt": 2,
        })
    );
}
