use serde_json::json;
use trawl_testkit::{run_session, TcpConversation};

#[test]
fn socks5_with_a_password_then_ssh() {
    // ssh -o ProxyCommand='nc -X 5 -x proxy:1080 %h %p' through a proxy asking for
    // a user name and password (RFC 1928, RFC 1929).
    let frames = TcpConversation::new("10.0.0.1:53000", "10.0.0.9:1080")
        .handshake()
        .client(&[5, 2, 0, 2]) // no authentication or user/password
        .server(&[5, 2]) // user/password
        .client(b"\x01\x05alice\x06s3cret")
        .server(&[1, 0])
        // CONNECT github.com:22 by name.
        .client(b"\x05\x01\x00\x03\x0agithub.com\x00\x16")
        .server(&[5, 0, 0, 1, 10, 0, 0, 9, 0xd2, 0x1e])
        // The tunnelled stream is classified again: SSH.
        .server(b"SSH-2.0-babeld-1f0633a6\r\n")
        .client(b"SSH-2.0-OpenSSH_9.6\r\n")
        .close()
        .frames();
    let doc = run_session(crate::register_with_misc, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "socks", "ssh"]));
    assert_eq!(
        doc["socks"],
        json!({"host": "github.com", "port": 22, "user": "alice"})
    );
    assert_eq!(doc["tags"], json!(["socks:password"]));
    assert_eq!(
        doc["ssh"]["version"],
        json!(["ssh-2.0-babeld-1f0633a6", "ssh-2.0-openssh_9.6"])
    );
}

#[test]
fn socks5_refused() {
    // No authentication, CONNECT to an IPv4 address, and the proxy refuses
    // (reply 5: connection refused).
    let frames = TcpConversation::new("10.0.0.1:53001", "10.0.0.9:1080")
        .handshake()
        .client(&[5, 1, 0])
        .server(&[5, 0])
        .client(&[5, 1, 0, 1, 192, 0, 2, 10, 0x01, 0xbb])
        .server(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0])
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "socks"]));
    assert_eq!(doc["socks"], json!({"ip": "192.0.2.10", "port": 443}));
    assert_eq!(doc["tags"], json!(["socks:connect-failed"]));
}

#[test]
fn socks4a_by_name_then_ssh() {
    // SOCKS 4a: CONNECT port 22, address 0.0.0.1 (a name follows), user "bob",
    // then the host name; the proxy grants it (0x5a) and the server's banner
    // follows in the same segment.
    //
    // The bytes after the 8-byte reply are classified (SSH is found), but, as in
    // Arkime's arkime_packet_process_data, the SOCKS parser's "consumed 8" does not
    // advance the data the next parser sees: the new SSH parser gets the whole
    // segment, starting with the reply, takes it for a binary packet with an
    // impossible length and stops, so neither banner is recorded.
    let mut reply = vec![0, 0x5a, 0, 0, 0, 0, 0, 0];
    reply.extend_from_slice(b"SSH-2.0-OpenSSH_8.4p1 Debian-5\r\n");
    let frames = TcpConversation::new("10.0.0.1:53002", "10.0.0.9:1080")
        .handshake()
        .client(b"\x04\x01\x00\x16\x00\x00\x00\x01bob\x00Git.Example.ORG\x00")
        .server(&reply)
        .client(b"SSH-2.0-OpenSSH_9.6\r\n")
        .close()
        .frames();
    let doc = run_session(crate::register_with_misc, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "socks", "ssh"]));
    // The host lower-cased; no IP for 4a.
    assert_eq!(
        doc["socks"],
        json!({"host": "git.example.org", "port": 22, "user": "bob"})
    );
    assert_eq!(doc["ssh"], json!(null));
}
