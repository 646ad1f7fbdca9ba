use serde_json::json;
use trawl_testkit::{run_sessions, UdpExchange};

#[test]
fn a_read_request_and_its_transfer() {
    // The client asks the server's port 69 for a file; the server answers from a new
    // port (its transfer ID, RFC 1350 section 4), so the transfer is another session,
    // which is not TFTP to Arkime (neither port is 69).
    let request = UdpExchange::new("10.0.0.1:40000", "10.0.0.2:69")
        .client(b"\x00\x01rfc1350.txt\x00octet\x00blksize\x00512\x00")
        // The client gave up waiting and asked again, then wrote a file.
        .client(b"\x00\x01rfc1350.txt\x00octet\x00")
        .client(b"\x00\x02upload.bin\x00netascii\x00")
        .frames();
    let mut data = b"\x00\x03\x00\x01".to_vec();
    data.extend_from_slice(&[b'x'; 100]);
    let transfer = UdpExchange::new("10.0.0.1:40000", "10.0.0.2:51234")
        .at_ms(100)
        .server(&data)
        .client(b"\x00\x04\x00\x01")
        .frames();
    let mut frames = request;
    frames.extend(transfer);
    let docs = run_sessions(crate::register, &frames);
    assert_eq!(docs.len(), 2);
    let (req, xfer) = if docs[0]["destination"]["port"] == json!(69) {
        (&docs[0], &docs[1])
    } else {
        (&docs[1], &docs[0])
    };
    assert_eq!(req["protocol"], json!(["udp", "tftp"]));
    assert_eq!(
        req["tftp"],
        json!({
            "opcode": ["rrq", "wrq"],
            "opcodeCnt": 2,
            "filename": ["rfc1350.txt", "upload.bin"],
            "filenameCnt": 2,
        })
    );
    assert_eq!(xfer["protocol"], json!(["udp"]));
    assert_eq!(xfer["tftp"], json!(null));
}

#[test]
fn an_error_from_port_69_and_a_bad_request() {
    // A request with an empty mode is not a valid start.
    let frames = UdpExchange::new("10.0.0.1:40001", "10.0.0.2:69")
        .client(b"\x00\x01file.txt\x00\x00")
        .server(b"\x00\x05\x00\x04Illegal TFTP operation\x00")
        .frames();
    let docs = run_sessions(crate::register, &frames);
    assert_eq!(docs.len(), 1);
    // The first datagram of each direction goes through the classifiers (Arkime's
    // udp_process); the server's ERROR is a valid start, so the session becomes TFTP
    // on it, and the parser, registered then, reads that same datagram.
    assert_eq!(docs[0]["protocol"], json!(["udp", "tftp"]));
    assert_eq!(
        docs[0]["tftp"],
        json!({"opcode": ["error"], "opcodeCnt": 1})
    );
}
