use serde_json::json;
use trawl_testkit::{run_session, TcpConversation};

/// The SSLRequest: length 8, code 80877103.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// A protocol 3.0 StartupMessage with these parameters.
fn startup(params: &[(&str, &str)]) -> Vec<u8> {
    let mut b = vec![0, 0, 0, 0, 0, 3, 0, 0];
    for (k, v) in params {
        b.extend_from_slice(k.as_bytes());
        b.push(0);
        b.extend_from_slice(v.as_bytes());
        b.push(0);
    }
    b.push(0);
    let n = b.len() as u32;
    b[..4].copy_from_slice(&n.to_be_bytes());
    b
}

/// A backend message: type byte, length (counting itself), body.
fn backend(ty: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![ty];
    m.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
    m.extend_from_slice(body);
    m
}

#[test]
fn ssl_refused_then_startup() {
    let frames = TcpConversation::new("10.0.0.5:53000", "10.0.0.8:5432")
        .handshake()
        .client(&SSL_REQUEST)
        .server(b"N")
        .client(&startup(&[
            ("user", "bob"),
            ("database", "shop"),
            ("application_name", "psql"),
            ("client_encoding", "UTF8"),
        ]))
        // AuthenticationMD5Password with its salt.
        .server(&backend(b'R', &[0, 0, 0, 5, 0x01, 0x02, 0x03, 0x04]))
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "postgresql"]));
    assert_eq!(
        doc["postgresql"],
        json!({
            "user": "bob",
            "db": "shop",
            "app": "psql",
        })
    );
}

#[test]
fn startup_without_ssl_request() {
    let frames = TcpConversation::new("10.0.0.5:53001", "10.0.0.8:5432")
        .handshake()
        .client(&startup(&[("user", "report"), ("database", "sales")]))
        // AuthenticationOk.
        .server(&backend(b'R', &[0, 0, 0, 0]))
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "postgresql"]));
    assert_eq!(
        doc["postgresql"],
        json!({
            "user": "report",
            "db": "sales",
        })
    );
}
