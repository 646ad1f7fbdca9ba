use serde_json::json;
use trawl_testkit::{run_session, TcpConversation};

/// An SSH binary packet: length, padding length, the payload (message code first)
/// and four bytes of padding.
fn record(payload: &[u8]) -> Vec<u8> {
    let mut r = Vec::new();
    r.extend_from_slice(&((payload.len() + 1 + 4) as u32).to_be_bytes());
    r.push(4);
    r.extend_from_slice(payload);
    r.extend_from_slice(&[0; 4]);
    r
}

fn name_list(v: &mut Vec<u8>, s: &str) {
    v.extend_from_slice(&(s.len() as u32).to_be_bytes());
    v.extend_from_slice(s.as_bytes());
}

/// A KEXINIT (code 20) with these algorithm lists, each direction's the same.
fn kexinit(kex: &str, enc: &str, mac: &str, comp: &str) -> Vec<u8> {
    let mut p = vec![20];
    p.extend_from_slice(&[0x42; 16]); // cookie
    name_list(&mut p, kex);
    name_list(&mut p, "ssh-ed25519");
    for l in [enc, enc, mac, mac, comp, comp, "", ""] {
        name_list(&mut p, l);
    }
    p.extend_from_slice(&[0, 0, 0, 0, 0]); // first_kex_packet_follows, reserved
    p
}

#[test]
fn banners_hassh_of_both_sides_and_the_host_key() {
    let kex = "curve25519-sha256,diffie-hellman-group14-sha256";
    let client = kexinit(
        kex,
        "aes128-ctr,chacha20-poly1305@openssh.com",
        "hmac-sha2-256",
        "none",
    );
    let server = kexinit(
        kex,
        "aes256-gcm@openssh.com",
        "hmac-sha2-512",
        "none,zlib@openssh.com",
    );
    // The ECDH reply (code 33) starts with the server's host key blob.
    let mut key = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20".to_vec();
    key.extend(0u8..32);
    let mut reply = vec![33];
    reply.extend_from_slice(&(key.len() as u32).to_be_bytes());
    reply.extend_from_slice(&key);
    reply.extend_from_slice(&[0; 8]);

    let frames = TcpConversation::new("10.0.0.1:50022", "10.0.0.2:22")
        .handshake()
        .server(b"SSH-2.0-OpenSSH_9.6\r\n")
        .client(b"SSH-2.0-PuTTY_Release_0.80\r\n")
        .client(&record(&client))
        .server(&record(&server))
        // Split mid-record: the parser waits for the rest.
        .segment(20)
        .server(&record(&reply))
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "ssh"]));
    // HASSH is the MD5 of "kex;enc;mac;comp" of the client's lists (HASSH server: of
    // the server's); the digests below are Python's hashlib.md5 of those strings.
    assert_eq!(
        doc["ssh"],
        json!({
            "version": ["ssh-2.0-openssh_9.6", "ssh-2.0-putty_release_0.80"],
            "versionCnt": 2,
            "hassh": ["bd8c54c012642518e1dcd3d8b4507aa7"],
            "hasshCnt": 1,
            "hasshServer": ["131a67b1ec8fa7e1e8c5db8bc3b1a423"],
            "hasshServerCnt": 1,
            // base64 of the key blob.
            "key": ["AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"],
            "keyCnt": 1,
        })
    );
}
