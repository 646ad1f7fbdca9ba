//! SMB over TCP port 445, each message in its NetBIOS session header. Arkime's smb.c
//! reads, from SMB2 requests, the share of TREE CONNECT and the file of CREATE, from
//! the NEGOTIATE response the dialect; from SMB1 also the session setup's strings and
//! NTLMSSP blob, and the dialect the server picked from the client's list.

use serde_json::json;
use trawl_testkit::{run_session, TcpConversation};

use crate::utf16;

/// A NetBIOS session message around `smb`.
fn netbios(smb: &[u8]) -> Vec<u8> {
    let mut m = (smb.len() as u32).to_be_bytes().to_vec();
    m[0] = 0;
    m.extend_from_slice(smb);
    m
}

/// An SMB2 message: the 64-byte header (command, flags bit 0 for a response,
/// message id) and the body.
fn smb2(cmd: u16, response: bool, msg_id: u64, body: &[u8]) -> Vec<u8> {
    let mut h = vec![0u8; 64];
    h[..4].copy_from_slice(b"\xfeSMB");
    h[4..6].copy_from_slice(&64u16.to_le_bytes());
    h[12..14].copy_from_slice(&cmd.to_le_bytes());
    h[14..16].copy_from_slice(&1u16.to_le_bytes()); // credits
    h[16..20].copy_from_slice(&u32::from(response).to_le_bytes());
    h[24..32].copy_from_slice(&msg_id.to_le_bytes());
    h.extend_from_slice(body);
    netbios(&h)
}

fn le16(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_le_bytes());
}

fn le32(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_le_bytes());
}

/// NEGOTIATE request offering SMB 2.0.2 to 3.1.1.
fn negotiate_request() -> Vec<u8> {
    let dialects = [0x0202u16, 0x0210, 0x0300, 0x0302, 0x0311];
    let mut b = Vec::new();
    le16(&mut b, 36);
    le16(&mut b, dialects.len() as u16);
    le16(&mut b, 1); // signing enabled
    le16(&mut b, 0);
    le32(&mut b, 0x7f); // capabilities
    b.extend_from_slice(&[0x11; 16]); // client GUID
    b.extend_from_slice(&[0; 8]); // no negotiate contexts
    for d in dialects {
        le16(&mut b, d);
    }
    smb2(0, false, 0, &b)
}

/// NEGOTIATE response choosing `dialect`, with a short security blob.
fn negotiate_response(dialect: u16) -> Vec<u8> {
    let blob = [0x60, 0x06, 0x06, 0x04, 0x2b, 0x06, 0x01, 0x05];
    let mut b = Vec::new();
    le16(&mut b, 65);
    le16(&mut b, 1);
    le16(&mut b, dialect);
    le16(&mut b, 0);
    b.extend_from_slice(&[0x22; 16]); // server GUID
    le32(&mut b, 0x2f);
    for _ in 0..3 {
        le32(&mut b, 8 << 20); // max transact, read, write
    }
    b.extend_from_slice(&[0; 16]); // system time, start time
    le16(&mut b, 64 + 64);
    le16(&mut b, blob.len() as u16);
    le32(&mut b, 0);
    b.extend_from_slice(&blob);
    smb2(0, true, 0, &b)
}

/// SESSION SETUP request carrying an NTLMSSP NEGOTIATE message.
fn session_setup(msg_id: u64) -> Vec<u8> {
    let mut ntlm = b"NTLMSSP\0".to_vec();
    le32(&mut ntlm, 1);
    le32(&mut ntlm, 0xe208_8297);
    ntlm.extend_from_slice(&[0; 16]);
    let mut b = Vec::new();
    le16(&mut b, 25);
    b.extend_from_slice(&[0, 1]);
    le32(&mut b, 1);
    le32(&mut b, 0);
    le16(&mut b, 64 + 24);
    le16(&mut b, ntlm.len() as u16);
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(&ntlm);
    smb2(1, false, msg_id, &b)
}

/// TREE CONNECT request for `path`.
fn tree_connect(msg_id: u64, path: &str) -> Vec<u8> {
    let p = utf16(path);
    let mut b = Vec::new();
    le16(&mut b, 9);
    le16(&mut b, 0);
    le16(&mut b, 64 + 8);
    le16(&mut b, p.len() as u16);
    b.extend_from_slice(&p);
    smb2(3, false, msg_id, &b)
}

/// CREATE request for `name`.
fn create(msg_id: u64, name: &str) -> Vec<u8> {
    let n = utf16(name);
    let mut b = Vec::new();
    le16(&mut b, 57);
    b.extend_from_slice(&[0, 0]); // security flags, oplock
    le32(&mut b, 2); // impersonation
    b.extend_from_slice(&[0; 16]); // create flags, reserved
    le32(&mut b, 0x0012_0089); // desired access
    le32(&mut b, 0x80); // attributes
    le32(&mut b, 7); // share access
    le32(&mut b, 1); // disposition: open
    le32(&mut b, 0x40); // options
    le16(&mut b, 64 + 56);
    le16(&mut b, n.len() as u16);
    le32(&mut b, 0);
    le32(&mut b, 0);
    b.extend_from_slice(&n);
    smb2(5, false, msg_id, &b)
}

/// A response to `cmd` with a zeroed body of `len` bytes after its structure size.
fn response(cmd: u16, msg_id: u64, structure: u16, len: usize) -> Vec<u8> {
    let mut b = Vec::new();
    le16(&mut b, structure);
    b.resize(2 + len, 0);
    smb2(cmd, true, msg_id, &b)
}

#[test]
fn smb2_negotiate_session_setup_tree_connect_create() {
    let frames = TcpConversation::new("192.168.10.20:49731", "192.168.10.5:445")
        .handshake()
        .client(&negotiate_request())
        .server(&negotiate_response(0x0311))
        .client(&session_setup(1))
        .server(&response(1, 1, 9, 6))
        // The TREE CONNECT in 10-byte segments: SMB buffers up to a whole message.
        .segment(10)
        .client(&tree_connect(2, "\\\\fs01\\projects"))
        .segment(1460)
        .server(&response(3, 2, 16, 14))
        // Two CREATEs in one segment.
        .client(
            &[
                create(3, "reports\\q3.xlsx"),
                create(4, "r\u{e9}sum\u{e9}.txt"),
            ]
            .concat(),
        )
        .server(&response(5, 3, 89, 86))
        .server(&response(5, 4, 89, 86))
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "smb"]));
    // The dialect "SMB 3.1.1" is 0x0311 nibble by nibble (a single-valued field);
    // the share and file names are UTF-16LE made UTF-8, and as the smb fields are
    // not flagged UTF-8, Arkime's writer shows each byte of "é" (c3 a9) as a Latin-1
    // character: "rÃ©sumÃ©.txt". SMB2's SESSION SETUP is not read (Arkime reads
    // user, domain and host only from SMB1's), so there is no `ntlm` and no `user`.
    assert_eq!(
        doc["smb"],
        json!({
            "dialect": "SMB 3.1.1",
            "share": ["\\\\fs01\\projects"],
            "shareCnt": 1,
            "filename": ["reports\\q3.xlsx", "r\u{c3}\u{a9}sum\u{c3}\u{a9}.txt"],
            "filenameCnt": 2,
        })
    );
    assert_eq!(doc.get("ntlm"), None);
    assert_eq!(doc.get("user"), None);
}

/// An SMB1 message: the 32-byte header (command, flags 0x80 for a response, flags2
/// with Unicode and extended security) and the body (word count first).
fn smb1(cmd: u8, response: bool, body: &[u8]) -> Vec<u8> {
    let mut h = vec![0u8; 32];
    h[..4].copy_from_slice(b"\xffSMB");
    h[4] = cmd;
    h[9] = if response { 0x98 } else { 0x18 };
    h[10..12].copy_from_slice(&0xc807u16.to_le_bytes());
    h.extend_from_slice(body);
    netbios(&h)
}

/// A BER element (definite lengths up to 64 KiB).
fn ber(tag: u8, v: &[u8]) -> Vec<u8> {
    let mut e = vec![tag];
    match v.len() {
        n @ 0..=127 => e.push(n as u8),
        n @ 128..=255 => e.extend_from_slice(&[0x81, n as u8]),
        n => {
            e.push(0x82);
            e.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    e.extend_from_slice(v);
    e
}

/// An NTLMSSP AUTHENTICATE message (Unicode, version 10.0.19041) from
/// `domain\user` on `host`.
fn ntlm_authenticate(domain: &str, user: &str, host: &str) -> Vec<u8> {
    let (d, u, h) = (utf16(domain), utf16(user), utf16(host));
    let lm = [0u8; 24];
    let nt = [0x5au8; 24];
    let key = [0x33u8; 16];
    let mut payload_at = 88u32; // header, version and MIC
    let mut m = b"NTLMSSP\0".to_vec();
    le32(&mut m, 3);
    let mut payload = Vec::new();
    for part in [&lm[..], &nt, &d, &u, &h, &key] {
        le16(&mut m, part.len() as u16);
        le16(&mut m, part.len() as u16);
        le32(&mut m, payload_at);
        payload_at += part.len() as u32;
        payload.extend_from_slice(part);
    }
    le32(&mut m, 0xe288_8215); // flags: Unicode, version, ...
    m.extend_from_slice(&[10, 0]);
    le16(&mut m, 19041);
    m.extend_from_slice(&[0, 0, 0, 15]);
    m.extend_from_slice(&[0; 16]); // MIC
    assert_eq!(m.len(), 88);
    m.extend_from_slice(&payload);
    m
}

#[test]
fn smb1_negotiate_session_setup_with_ntlmssp() {
    // NEGOTIATE: the client's dialects, each after a 0x02 buffer format byte.
    let mut dialects = Vec::new();
    for d in ["PC NETWORK PROGRAM 1.0", "LANMAN1.0", "NT LM 0.12"] {
        dialects.push(2);
        dialects.extend_from_slice(d.as_bytes());
        dialects.push(0);
    }
    let mut neg = vec![0];
    le16(&mut neg, dialects.len() as u16);
    neg.extend_from_slice(&dialects);
    // The response picks index 2; its 17 words follow.
    let mut neg_rsp = vec![17];
    le16(&mut neg_rsp, 2);
    neg_rsp.resize(1 + 34, 0);
    neg_rsp.extend_from_slice(&[0, 0]);

    // SESSION SETUP ANDX, 12 words (extended security): the SPNEGO negTokenResp
    // around the NTLMSSP AUTHENTICATE, then native OS and LAN manager, Unicode and
    // padded to an even offset.
    let token = ntlm_authenticate("CORP", "alice", "WS-0042");
    let blob = ber(0xa1, &ber(0x30, &ber(0xa2, &ber(0x04, &token))));
    let mut setup = vec![12, 0xff, 0, 0, 0];
    setup.extend_from_slice(&[0x04, 0x11, 0x32, 0, 0, 0, 0, 0, 0, 0]);
    le16(&mut setup, blob.len() as u16);
    setup.extend_from_slice(&[0, 0, 0, 0, 0xd4, 0, 0, 0x80]);
    let strings = [
        utf16("Windows 7 Professional 7601 Service Pack 1\0"),
        utf16("Windows 7 Professional 6.1\0"),
        utf16("\0"),
    ]
    .concat();
    // The strings start at an even offset (the 32-byte header is even).
    let pad = (setup.len() + 2 + blob.len()) % 2;
    le16(&mut setup, (blob.len() + pad + strings.len()) as u16);
    setup.extend_from_slice(&blob);
    setup.resize(setup.len() + pad, 0);
    setup.extend_from_slice(&strings);

    // TREE CONNECT ANDX: 4 words (flags, a 1-byte password), the password, then the
    // path (at an even offset already) and the service. Arkime reads the password
    // length big-endian one byte early (the flags' high byte and the length's low
    // byte): 1 here too, so the path is found after the password.
    let mut tree = vec![4, 0xff, 0, 0, 0];
    le16(&mut tree, 0x0008); // flags
    le16(&mut tree, 1); // password length
    let path = utf16("\\\\FS01\\IPC$\0");
    le16(&mut tree, (1 + path.len() + 6) as u16);
    tree.push(0); // password
    tree.extend_from_slice(&path);
    tree.extend_from_slice(b"?????\0");

    let frames = TcpConversation::new("192.168.10.21:1043", "192.168.10.5:445")
        .handshake()
        .client(&smb1(0x72, false, &neg))
        .server(&smb1(0x72, true, &neg_rsp))
        .client(&smb1(0x73, false, &setup))
        .server(&smb1(0x73, true, &[0, 0, 0]))
        .client(&smb1(0x75, false, &tree))
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "smb", "ntlm"]));
    assert_eq!(
        doc["smb"],
        json!({
            "dialect": "NT LM 0.12",
            "domain": ["CORP"],
            "domainCnt": 1,
            "host": ["WS-0042"],
            "hostCnt": 1,
            "os": ["Windows 7 Professional 7601 Service Pack 1"],
            "osCnt": 1,
            "share": ["\\\\FS01\\IPC$"],
            "shareCnt": 1,
            "user": ["alice"],
            "userCnt": 1,
            "version": ["Windows 7 Professional 6.1"],
            "versionCnt": 1,
        })
    );
    // The NTLMSSP message also fills ntlm.* and the core user field.
    assert_eq!(
        doc["ntlm"],
        json!({
            "domain": ["CORP"],
            "domainCnt": 1,
            "host": ["WS-0042"],
            "hostCnt": 1,
            "type": [3],
            "typeCnt": 1,
            "version": ["10.0.19041"],
            "versionCnt": 1,
        })
    );
    assert_eq!(doc["user"], json!(["alice"]));
}

/// A CREATE whose body is over 8 KiB (a 4,200-character name: 8,400 bytes of
/// UTF-16LE after the 56-byte structure).
fn long_create(msg_id: u64) -> Vec<u8> {
    create(msg_id, &"d".repeat(4200))
}

#[test]
fn smb2_message_over_8k_is_read_only_when_it_comes_whole() {
    let big = long_create(3);
    assert!(big.len() > 4 + 64 + 8192);
    // In one segment Arkime reads it where it is, without keeping it.
    let frames = TcpConversation::new("192.168.10.20:49740", "192.168.10.5:445")
        .handshake()
        .client(&tree_connect(2, "\\\\fs01\\big"))
        .segment(9000)
        .client(&big)
        .segment(1460)
        .client(&create(4, "after.txt"))
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(
        doc["smb"]["filename"],
        json!(["d".repeat(4200), "after.txt"])
    );
    // In 1,460-byte segments its unfinished body has to be kept, and as more than
    // 8 KiB is never kept, smb gives up on the session: neither it nor the CREATE
    // after it is read (the share before is).
    let frames = TcpConversation::new("192.168.10.20:49741", "192.168.10.5:445")
        .handshake()
        .client(&tree_connect(2, "\\\\fs01\\big"))
        .client(&big)
        .client(&create(4, "after.txt"))
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "smb"]));
    assert_eq!(
        doc["smb"],
        json!({"share": ["\\\\fs01\\big"], "shareCnt": 1})
    );
}
