use serde_json::json;
use trawl_testkit::{run_session, TcpConversation};

/// A message: type and chunk type, little-endian length (header included), body.
fn msg(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut m = kind.to_vec();
    m.extend_from_slice(&((8 + body.len()) as u32).to_le_bytes());
    m.extend_from_slice(body);
    m
}

/// An OPC UA String: little-endian length (-1 for null), bytes.
fn string(v: &mut Vec<u8>, s: Option<&[u8]>) {
    match s {
        Some(s) => {
            v.extend_from_slice(&(s.len() as u32).to_le_bytes());
            v.extend_from_slice(s);
        }
        None => v.extend_from_slice(&(-1i32).to_le_bytes()),
    }
}

const POLICY: &[u8] = b"http://opcfoundation.org/UA/SecurityPolicy#None";

/// An OpenSecureChannel chunk: secure channel id, then the asymmetric security
/// header (policy URI, sender certificate, receiver thumbprint: null), sequence
/// header and a token of the body.
fn opn(channel: u32) -> Vec<u8> {
    let mut b = channel.to_le_bytes().to_vec();
    string(&mut b, Some(POLICY));
    string(&mut b, None);
    string(&mut b, None);
    b.extend_from_slice(&1u32.to_le_bytes()); // sequence number
    b.extend_from_slice(&1u32.to_le_bytes()); // request id
    b.extend_from_slice(&[0x01, 0x00, 0xbe, 0x01]); // OpenSecureChannelRequest node id
    b.extend_from_slice(&[0; 24]);
    msg(b"OPNF", &b)
}

#[test]
fn hello_and_open_secure_channel() {
    // Hello: protocol version 0, receive/send buffer 65536, max message and chunk
    // count 0, endpoint URL.
    let mut hel = Vec::new();
    for v in [0u32, 65536, 65536, 0, 0] {
        hel.extend_from_slice(&v.to_le_bytes());
    }
    string(&mut hel, Some(b"opc.tcp://plc-7.example:4840/UA/Server"));
    let hel = msg(b"HELF", &hel);
    let mut ack = Vec::new();
    for v in [0u32, 65536, 65536, 0x0100_0000, 0] {
        ack.extend_from_slice(&v.to_le_bytes());
    }
    let ack = msg(b"ACKF", &ack);
    let frames = TcpConversation::new("10.11.0.5:52100", "10.11.0.7:4840")
        .handshake()
        .client(&hel)
        .server(&ack)
        // The OpenSecureChannel in 16-byte pieces: read once whole.
        .segment(16)
        .client(&opn(0))
        .segment(1460)
        .server(&opn(5))
        .client(&msg(b"CLOF", &[5, 0, 0, 0, 1, 0, 0, 0]))
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "opcua"]));
    // No certificates: the sender certificates are null.
    assert_eq!(
        doc["opcua"],
        json!({
            "endpointUrl": ["opc.tcp://plc-7.example:4840/UA/Server"],
            "endpointUrlCnt": 1,
            "securityPolicyUri": ["http://opcfoundation.org/UA/SecurityPolicy#None"],
            "securityPolicyUriCnt": 1,
        })
    );
    assert_eq!(doc.get("cert"), None);
}
