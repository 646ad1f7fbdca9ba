use serde_json::json;
use trawl_testkit::{run_session, TcpConversation, UdpExchange};

/// A TPKT frame (version 3) around an X.224 TPDU.
fn tpkt(x224: &[u8]) -> Vec<u8> {
    let mut f = vec![3, 0];
    f.extend_from_slice(&((x224.len() + 4) as u16).to_be_bytes());
    f.extend_from_slice(x224);
    f
}

/// An X.224 Connection Request: the mstshash cookie, then an RDP_NEG_REQ asking for
/// `protocols`.
fn request(user: &str, protocols: u32) -> Vec<u8> {
    let mut x = vec![0, 0xe0, 0, 0, 0, 0, 0];
    x.extend_from_slice(format!("Cookie: mstshash={user}\r\n").as_bytes());
    x.extend_from_slice(&[1, 0, 8, 0]);
    x.extend_from_slice(&protocols.to_le_bytes());
    x[0] = (x.len() - 1) as u8;
    tpkt(&x)
}

/// An X.224 Connection Confirm with an RDP_NEG_RSP selecting `protocol`.
fn confirm(protocol: u32) -> Vec<u8> {
    let mut x = vec![14, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0x0f, 8, 0];
    x.extend_from_slice(&protocol.to_le_bytes());
    tpkt(&x)
}

/// A PER length (X.691: one byte below 128, else two with the top bit set).
fn per(n: usize) -> Vec<u8> {
    if n < 128 {
        vec![n as u8]
    } else {
        vec![0x80 | (n >> 8) as u8, n as u8]
    }
}

/// An MCS Connect Initial whose GCC Conference Create Request carries one user data
/// block, the client core data (TS_UD_CS_CORE, 216 bytes with its header) of `name`
/// with a US English keyboard and build 2600; laid out as MS-RDPBCGR 4.1.3's example
/// (same domain parameters, lengths recomputed). `per_length` keeps the PER length
/// of the user data that follows "Duca" in a real PDU.
fn connect_initial(name: &str, per_length: bool) -> Vec<u8> {
    let mut core = Vec::new();
    core.extend_from_slice(&0x0008_0004u32.to_le_bytes()); // version
    core.extend_from_slice(&1280u16.to_le_bytes());
    core.extend_from_slice(&1024u16.to_le_bytes());
    core.extend_from_slice(&0xca01u16.to_le_bytes()); // colorDepth
    core.extend_from_slice(&0xaa03u16.to_le_bytes()); // SASSequence
    core.extend_from_slice(&0x0409u32.to_le_bytes()); // keyboardLayout
    core.extend_from_slice(&2600u32.to_le_bytes()); // clientBuild
    let mut client_name = [0u8; 32];
    for (i, u) in name.encode_utf16().enumerate() {
        client_name[2 * i..2 * i + 2].copy_from_slice(&u.to_le_bytes());
    }
    core.extend_from_slice(&client_name);
    core.resize(212, 0); // keyboard type and the rest, zeros
    let mut block = vec![0x01, 0xc0];
    block.extend_from_slice(&((core.len() + 4) as u16).to_le_bytes());
    block.extend_from_slice(&core);

    // ConnectData: T.124's object id, then the ConnectGCCPDU (a Conference Create
    // Request whose user data key is the H.221 non-standard "Duca").
    let mut pdu = vec![0x00, 0x08, 0x00, 0x10, 0x00, 0x01, 0xc0, 0x00];
    pdu.extend_from_slice(b"Duca");
    if per_length {
        pdu.extend(per(block.len()));
    }
    pdu.extend_from_slice(&block);
    let mut gcc = vec![0x00, 0x05, 0x00, 0x14, 0x7c, 0x00, 0x01];
    gcc.extend(per(pdu.len()));
    gcc.extend_from_slice(&pdu);

    let mut ber = vec![
        0x04, 0x01, 0x01, 0x04, 0x01, 0x01, 0x01, 0x01, 0xff, // domain selectors, upward
        0x30, 0x19, 0x02, 0x01, 0x22, 0x02, 0x01, 0x02, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01, 0x02,
        0x01, 0x00, 0x02, 0x01, 0x01, 0x02, 0x02, 0xff, 0xff, 0x02, 0x01, 0x02, // target
        0x30, 0x19, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x02,
        0x01, 0x00, 0x02, 0x01, 0x01, 0x02, 0x02, 0x04, 0x20, 0x02, 0x01, 0x02, // min
        0x30, 0x1c, 0x02, 0x02, 0xff, 0xff, 0x02, 0x02, 0xfc, 0x17, 0x02, 0x02, 0xff, 0xff, 0x02,
        0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01, 0x02, 0x02, 0xff, 0xff, 0x02, 0x01,
        0x02, // max
        0x04, 0x82, // userData
    ];
    ber.extend_from_slice(&(gcc.len() as u16).to_be_bytes());
    ber.extend_from_slice(&gcc);
    // X.224 Data TPDU (length 2, code 0xf0, EOT), then Connect-Initial's BER tag
    // and two-byte length.
    let mut x = vec![0x02, 0xf0, 0x80, 0x7f, 0x65, 0x82];
    x.extend_from_slice(&(ber.len() as u16).to_be_bytes());
    x.extend_from_slice(&ber);
    tpkt(&x)
}

#[test]
fn nla_negotiation_then_tls() {
    // mstsc asks for TLS, CredSSP and CredSSP with early user authorization; the
    // server picks CredSSP; TLS follows, which ends the parse (not a TPKT).
    let frames = TcpConversation::new("10.0.0.1:49700", "10.0.0.2:3389")
        .handshake()
        .client(&request("Administrator", 0x0b))
        .server(&confirm(2))
        .client(b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00")
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "rdp"]));
    assert_eq!(
        doc["rdp"],
        json!({
            "requestedProtocols": ["ssl", "nla", "nla-ext"],
            "requestedProtocolsCnt": 3,
            "selectedProtocol": ["nla"],
            "selectedProtocolCnt": 1,
        })
    );
    // The cookie's user, lower-cased.
    assert_eq!(doc["user"], json!(["administrator"]));
}

#[test]
fn standard_security_and_the_client_core_data() {
    // Standard RDP security: the MCS Connect Initial is in clear after the confirm.
    // Arkime's parser reads GCC user data blocks right after "Duca", but a real
    // ConnectGCCPDU has a PER length there (0x81 0x1c in MS-RDPBCGR's example): then
    // the first "block" has a nonsense length and nothing is read. Only without
    // that length is the client core data found.
    for (per_length, rdp) in [
        (
            true,
            json!({
                "requestedProtocols": ["rdp"],
                "requestedProtocolsCnt": 1,
                "selectedProtocol": ["rdp"],
                "selectedProtocolCnt": 1,
            }),
        ),
        (
            false,
            json!({
                "clientName": ["ELTONS-DEV2"],
                "clientNameCnt": 1,
                "keyboardLayout": ["en-US"],
                "keyboardLayoutCnt": 1,
                "clientBuild": [2600],
                "clientBuildCnt": 1,
                "requestedProtocols": ["rdp"],
                "requestedProtocolsCnt": 1,
                "selectedProtocol": ["rdp"],
                "selectedProtocolCnt": 1,
            }),
        ),
    ] {
        let frames = TcpConversation::new("10.0.0.1:49701", "10.0.0.2:3389")
            .handshake()
            .client(&request("eltons", 0))
            .server(&confirm(0))
            // The Connect Initial in 100-byte segments: the parser waits for the frame.
            .segment(100)
            .client(&connect_initial("ELTONS-DEV2", per_length))
            .close()
            .frames();
        let doc = run_session(crate::register, &frames);
        assert_eq!(doc["protocol"], json!(["tcp", "rdp"]));
        assert_eq!(doc["rdp"], rdp, "PER length {per_length}");
        assert_eq!(doc["user"], json!(["eltons"]));
    }
}

#[test]
fn rdpudp_syn() {
    // An RDPEUDP SYN datagram: snSourceAck 0xffffffff, receive window, flags (SYN).
    let mut syn = vec![0xff, 0xff, 0xff, 0xff, 0x00, 0x40, 0x00, 0x01];
    syn.extend_from_slice(&[0; 1224]);
    let frames = UdpExchange::new("10.0.0.1:49702", "10.0.0.2:3389")
        .client(&syn)
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "rdpudp"]));
}

#[test]
fn two_frames_in_one_segment() {
    // The client's request and (standard security) Connect Initial in one segment: both
    // are read. The client is done (MCS) but the server has not confirmed yet, so the
    // parser goes on to the confirm, after which both sides are done.
    let frames = TcpConversation::new("10.0.0.1:49703", "10.0.0.2:3389")
        .handshake()
        .client(&[request("eltons", 0), connect_initial("ELTONS-DEV2", false)].concat())
        .server(&confirm(0))
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "rdp"]));
    assert_eq!(
        doc["rdp"],
        json!({
            "clientName": ["ELTONS-DEV2"],
            "clientNameCnt": 1,
            "keyboardLayout": ["en-US"],
            "keyboardLayoutCnt": 1,
            "clientBuild": [2600],
            "clientBuildCnt": 1,
            "requestedProtocols": ["rdp"],
            "requestedProtocolsCnt": 1,
            "selectedProtocol": ["rdp"],
            "selectedProtocolCnt": 1,
        })
    );
    assert_eq!(doc["user"], json!(["eltons"]));
}

#[test]
fn more_than_8_kib_held_gives_up() {
    // After request and confirm (the client is not done yet), the client sends a
    // Connect Initial padded to 8000 bytes and 500 more bytes, in 1460-byte segments.
    // Arkime keeps at most 8 KiB per direction: the sixth segment takes it to 8500
    // bytes, and it gives up with a tag before reading the frame, although the frame is
    // whole among them: no client core data.
    let mut big = connect_initial("ELTONS-DEV2", false);
    big.resize(8000, 0);
    big[2..4].copy_from_slice(&8000u16.to_be_bytes());
    let frames = TcpConversation::new("10.0.0.1:49704", "10.0.0.2:3389")
        .handshake()
        .client(&request("eltons", 0))
        .server(&confirm(0))
        .client(&[big, vec![0; 500]].concat())
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["tags"], json!(["rdp:frame-too-long"]));
    assert_eq!(
        doc["rdp"],
        json!({
            "requestedProtocols": ["rdp"],
            "requestedProtocolsCnt": 1,
            "selectedProtocol": ["rdp"],
            "selectedProtocolCnt": 1,
        })
    );
}
