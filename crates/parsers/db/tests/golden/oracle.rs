use serde_json::json;
use trawl_testkit::{run_session, TcpConversation};

/// A TNS CONNECT packet (type 1) carrying `data` at offset 58, as sqlplus sends it.
fn connect(data: &[u8]) -> Vec<u8> {
    let total = 58 + data.len();
    let mut p = (total as u16).to_be_bytes().to_vec();
    p.extend_from_slice(&[0, 0, 1, 0, 0, 0]); // checksum, type, flags, header checksum
    p.extend_from_slice(&[0x01, 0x3e]); // version 318
    p.extend_from_slice(&[0x01, 0x2c]); // lowest compatible version 300
    p.extend_from_slice(&[0x0c, 0x41]); // service options
    p.extend_from_slice(&[0x20, 0x00]); // SDU
    p.extend_from_slice(&[0xff, 0xff]); // TDU
    p.extend_from_slice(&[0x7f, 0x08]); // protocol characteristics
    p.extend_from_slice(&[0, 0]); // line turnaround
    p.extend_from_slice(&[0, 1]); // value of 1 in hardware
    p.extend_from_slice(&(data.len() as u16).to_be_bytes());
    p.extend_from_slice(&58u16.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0x08, 0x00]); // max receivable data
    p.extend_from_slice(&[0x41, 0x41]); // connect flags
    p.resize(58, 0); // trace items, connection id
    p.extend_from_slice(data);
    p
}

#[test]
fn connect_names_host_user_and_service() {
    let data = b"(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=DB1.example.com)(PORT=1521))\
(CONNECT_DATA=(SERVICE_NAME=ORCL.example.com)(CID=(PROGRAM=sqlplus)(HOST=ClientPC)(USER=Scott))))";
    // ACCEPT (type 2): version 315, options, SDU, TDU, no data.
    let accept = [
        0x00, 0x20, 0, 0, 2, 0, 0, 0, 0x01, 0x3b, 0x00, 0x00, 0x20, 0x00, 0xff, 0xff, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x41, 0x01, 0, 0, 0, 0, 0, 0,
    ];
    let frames = TcpConversation::new("10.0.0.5:54000", "10.0.0.20:1521")
        .handshake()
        .client(&connect(data))
        .server(&accept)
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "oracle"]));
    // Each value is the first "KEY=" up to ')', lower-cased: the first HOST= is the
    // server's address, not the client's CID host.
    assert_eq!(
        doc["oracle"],
        json!({
            "user": "scott",
            "host": "db1.example.com",
            "service": "orcl.example.com",
        })
    );
}
