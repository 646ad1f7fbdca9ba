use serde_json::json;
use trawl_testkit::{run_session, UdpExchange};

/// A RADIUS message: code, identifier, length, a 16-byte authenticator, attributes
/// (type, length including the two header bytes, value).
fn message(code: u8, id: u8, attrs: &[(u8, &[u8])]) -> Vec<u8> {
    let mut m = vec![code, id, 0, 0];
    m.extend_from_slice(&[0x5a; 16]);
    for (t, v) in attrs {
        m.push(*t);
        m.push(v.len() as u8 + 2);
        m.extend_from_slice(v);
    }
    let n = m.len() as u16;
    m[2..4].copy_from_slice(&n.to_be_bytes());
    m
}

#[test]
fn access_request_and_accept() {
    let request = message(
        1,
        7,
        &[
            (1, b"bob@example.com"), // User-Name
            (2, &[0x11; 16]),        // User-Password (hidden)
            (4, &[10, 0, 0, 1]),     // NAS-IP-Address
            (5, &[0, 0, 0, 12]),     // NAS-Port
            (31, b"00163E5A0B1C"),   // Calling-Station-Id, 12 hex digits
            (66, b"192.0.2.33"),     // Tunnel-Client-Endpoint
            (61, &[0, 0, 0, 15]),    // NAS-Port-Type: Ethernet (not kept)
        ],
    );
    let accept = message(
        2,
        7,
        &[
            (6, &[0, 0, 0, 2]),  // Service-Type: Framed
            (8, &[10, 1, 2, 3]), // Framed-IP-Address
        ],
    );
    let frames = UdpExchange::new("10.0.0.1:51812", "10.0.0.2:1812")
        .client(&request)
        .server(&accept)
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "radius"]));
    // The MAC is the station id in pairs joined by ':' and lower-cased (Arkime's
    // radius.c); the user field has no count (defined without the CNT flag). Each IP
    // field also gets its ASN, GEO and RIR beside it, as Arkime writes them when no
    // GeoIP database knows the address ("---", "---", "").
    assert_eq!(
        doc["radius"],
        json!({
            "user": ["bob@example.com"],
            "mac": ["00:16:3e:5a:0b:1c"],
            "macCnt": 1,
            "endpointIp": ["192.0.2.33"],
            "endpointIpCnt": 1,
            "endpointASN": ["---"],
            "endpointGEO": ["---"],
            "endpointRIR": [""],
            "framedIp": ["10.1.2.3"],
            "framedIpCnt": 1,
            "framedASN": ["---"],
            "framedGEO": ["---"],
            "framedRIR": [""],
            "msgType": ["access-request", "access-accept"],
            "msgTypeCnt": 2,
            "nasIp": ["10.0.0.1"],
            "nasIpCnt": 1,
            "nasASN": ["---"],
            "nasGEO": ["---"],
            "nasRIR": [""],
            "nasPort": [12],
            "nasPortCnt": 1,
        })
    );
}

#[test]
fn accounting_on_the_old_port() {
    // Accounting-Request (4) and -Response (5) on 1646, Arkime's other accounting port.
    let request = message(
        4,
        9,
        &[
            (40, &[0, 0, 0, 1]), // Acct-Status-Type: Start
            (1, b"carol"),
            (4, &[10, 0, 0, 1]),
            (8, &[10, 1, 2, 9]),
        ],
    );
    let response = message(5, 9, &[]);
    let frames = UdpExchange::new("10.0.0.1:40000", "10.0.0.2:1646")
        .client(&request)
        .server(&response)
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "radius"]));
    assert_eq!(
        doc["radius"],
        json!({
            "user": ["carol"],
            "framedIp": ["10.1.2.9"],
            "framedIpCnt": 1,
            "framedASN": ["---"],
            "framedGEO": ["---"],
            "framedRIR": [""],
            "msgType": ["accounting-request", "accounting-response"],
            "msgTypeCnt": 2,
            "nasIp": ["10.0.0.1"],
            "nasIpCnt": 1,
            "nasASN": ["---"],
            "nasGEO": ["---"],
            "nasRIR": [""],
        })
    );
}
