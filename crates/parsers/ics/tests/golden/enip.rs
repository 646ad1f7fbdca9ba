use serde_json::json;
use trawl_testkit::{run_session, TcpConversation, UdpExchange};

/// An encapsulation message: command, body length, session handle, status, sender
/// context, options (all little-endian), then the body.
fn msg(cmd: u16, session: u32, status: u32, body: &[u8]) -> Vec<u8> {
    let mut m = cmd.to_le_bytes().to_vec();
    m.extend_from_slice(&(body.len() as u16).to_le_bytes());
    m.extend_from_slice(&session.to_le_bytes());
    m.extend_from_slice(&status.to_le_bytes());
    m.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
    m.extend_from_slice(&[0; 4]);
    m.extend_from_slice(body);
    m
}

/// A SendRRData/SendUnitData body: interface handle 0, timeout 10, then the common
/// packet format items (type, length, data).
fn cpf(items: &[(u16, &[u8])]) -> Vec<u8> {
    let mut b = vec![0, 0, 0, 0, 10, 0];
    b.extend_from_slice(&(items.len() as u16).to_le_bytes());
    for (ty, d) in items {
        b.extend_from_slice(&ty.to_le_bytes());
        b.extend_from_slice(&(d.len() as u16).to_le_bytes());
        b.extend_from_slice(d);
    }
    b
}

/// A ListIdentity reply body: one identity item (0x0c) with protocol version 1, a
/// socket address, vendor, device type, product code, revision, status, serial, the
/// product name and the state.
fn identity_reply(vendor: u16, device: u16, name: &[u8]) -> Vec<u8> {
    let mut d = vec![1, 0];
    d.extend_from_slice(&[0, 2, 0xaf, 0x12, 10, 9, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0]);
    d.extend_from_slice(&vendor.to_le_bytes());
    d.extend_from_slice(&device.to_le_bytes());
    d.extend_from_slice(&[0x37, 0x00, 11, 2, 0x60, 0x00, 0x78, 0x56, 0x34, 0x12]);
    d.push(name.len() as u8);
    d.extend_from_slice(name);
    d.push(3);
    let mut b = vec![1, 0, 0x0c, 0];
    b.extend_from_slice(&(d.len() as u16).to_le_bytes());
    b.extend_from_slice(&d);
    b
}

#[test]
fn explicit_messaging_over_tcp() {
    // RegisterSession (protocol version 1, options 0) and its reply with handle 0x42.
    let reg = msg(0x65, 0, 0, &[1, 0, 0, 0]);
    let reg_rsp = msg(0x65, 0x42, 0, &[1, 0, 0, 0]);
    // Unconnected Get_Attribute_Single (0x0e) of Identity (class 1) instance 1
    // attribute 7, behind a null address item.
    let get = msg(
        0x6f,
        0x42,
        0,
        &cpf(&[
            (0, &[]),
            (0xb2, &[0x0e, 3, 0x20, 0x01, 0x24, 0x01, 0x30, 0x07]),
        ]),
    );
    // The reply (0x8e): named after its service, without a class.
    let get_rsp = msg(
        0x6f,
        0x42,
        0,
        &cpf(&[(0, &[]), (0xb2, &[0x8e, 0, 0, 0, b'x'])]),
    );
    // Read_Tag (0x4c) of symbol "ab" in a connected item (sequence 1 first): a data
    // segment, no class. Then Forward_Open (0x54) of the Connection Manager (6) via a
    // port segment, and an unnamed service 0x33 of class 0x6b, in one segment.
    let read = msg(
        0x70,
        0x42,
        0,
        &cpf(&[
            (0xa1, &[1, 0, 0, 0]),
            (0xb1, &[1, 0, 0x4c, 2, 0x91, 2, b'a', b'b', 1, 0]),
        ]),
    );
    let mut more = msg(
        0x6f,
        0x42,
        0,
        &cpf(&[(0xb2, &[0x54, 3, 0x01, 0x00, 0x20, 0x06, 0x24, 0x01])]),
    );
    more.extend(msg(0x6f, 0x42, 0, &cpf(&[(0xb2, &[0x33, 1, 0x20, 0x6b])])));
    // An error reply from the device: status 1 and an unnamed service reply 0xff.
    let err = msg(0x70, 0x42, 1, &cpf(&[(0xb1, &[1, 0, 0xff, 0, 8, 0])]));
    let unreg = msg(0x66, 0x42, 0, &[]);

    let frames = TcpConversation::new("10.40.1.100:50001", "10.40.1.10:44818")
        .handshake()
        .client(&reg)
        .server(&reg_rsp)
        .client(&get)
        .server(&get_rsp)
        // Cut the client's next messages mid-header and mid-body.
        .segment(30)
        .client(&read)
        .client(&more)
        .server(&err)
        .client(&unreg)
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "enip", "cip"]));
    assert_eq!(
        doc["enip"],
        json!({
            "command": ["RegisterSession", "SendRRData", "SendUnitData", "UnRegisterSession"],
            "commandCnt": 4,
            "status": [0, 1],
            "statusCnt": 2,
            "service": ["Get_Attribute_Single", "Read_Tag", "Forward_Open", "Service-0x33", "Reply"],
            "serviceCnt": 5,
            "class": ["Identity", "Connection Manager", "Class-0x6b"],
            "classCnt": 3,
        })
    );
}

#[test]
fn an_unknown_command_ends_the_tcp_parse() {
    let nop = msg(0x00, 0, 0, &[]);
    let odd = msg(0x99, 0, 7, &[]);
    let list = msg(0x04, 0, 3, &[]);
    let frames = TcpConversation::new("10.40.1.100:50010", "10.40.1.10:44818")
        .handshake()
        .client(&nop)
        .client(&odd)
        .client(&list)
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "enip"]));
    // Neither the unknown command's status nor anything after it.
    assert_eq!(
        doc["enip"],
        json!({"command": ["NOP"], "commandCnt": 1, "status": [0], "statusCnt": 1})
    );
}

#[test]
fn list_identity_over_udp() {
    // A ListIdentity request (no body) and two replies: Schneider Electric (5), an
    // unknown vendor 9999 with status 8 hiding its identity, and a non-zero status.
    let req = msg(0x63, 0, 0, &[]);
    let rsp = msg(0x63, 0, 0, &identity_reply(5, 0x0e, b"Synthetic-PLC"));
    let hidden = msg(0x63, 0, 8, &identity_reply(9999, 0x0c, b"Hidden"));
    let frames = UdpExchange::new("10.40.2.100:50002", "10.40.2.10:44818")
        .client(&req)
        .server(&rsp)
        .server(&hidden)
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "enip"]));
    assert_eq!(
        doc["enip"],
        json!({
            "command": ["ListIdentity"],
            "commandCnt": 1,
            "status": [0, 8],
            "statusCnt": 2,
            "vendor": ["Schneider Electric"],
            "vendorCnt": 1,
            "deviceType": ["DeviceType-0x000e"],
            "deviceTypeCnt": 1,
            "product": ["Synthetic-PLC"],
            "productCnt": 1,
        })
    );
}

#[test]
fn udp_needs_an_exact_length_to_classify() {
    // Implicit I/O port 2222: the first datagram's length field says 4 bytes more
    // than it carries, so the session is not ENIP.
    let mut short = msg(0x6f, 0, 0, &cpf(&[(0xb2, &[0x0e, 1, 0x20, 0x01])]));
    short[2] += 4;
    let frames = UdpExchange::new("10.40.3.100:50006", "10.40.3.10:2222")
        .client(&short)
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp"]));
    assert!(doc.get("enip").is_none());
}

#[test]
fn a_message_over_arkimes_buffer_is_tagged() {
    // SendRRData saying 8169 body bytes: 8193 with the header, one more than Arkime's
    // 8192-byte parser buffer. The header alone classifies; the parser gives up at it.
    let mut big = msg(0x6f, 0, 0, &[]);
    big[2..4].copy_from_slice(&8169u16.to_le_bytes());
    let frames = TcpConversation::new("10.40.1.100:50011", "10.40.1.10:44818")
        .handshake()
        .client(&big)
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "enip"]));
    assert_eq!(doc["tags"], json!(["enip:message-too-long"]));
    assert!(doc.get("enip").is_none());
}
