use serde_json::json;
use trawl_testkit::{run_session, TcpConversation};

#[test]
fn a_login_and_two_transfers() {
    let frames = TcpConversation::new("10.0.0.1:52000", "10.0.0.2:21")
        .handshake()
        // A multi-line greeting: the first 220 line with text is the banner, its
        // "-" and spaces trimmed.
        .server(b"220-Welcome to the example FTP service -\r\n220 Please log in\r\n")
        .client(b"USER Anonymous\r\n")
        .server(b"331 Please specify the password.\r\n")
        .client(b"PASS guest@example.com\r\n")
        .server(b"230 Login successful.\r\n")
        .client(b"  cwd   /pub  \r\n")
        .server(b"250 Directory successfully changed.\r\n")
        .client(b"TYPE I\r\nPASV\r\n")
        .server(b"200 Switching to Binary mode.\r\n")
        .server(b"227 Entering Passive Mode (10,0,0,2,195,80).\r\n")
        // A command split across segments is read once its line is whole.
        .client(b"STOR up")
        .client(b"load.bin\r\n")
        .server(b"150 Ok to send data.\r\n226 Transfer complete.\r\n")
        .client(b"RETR README.txt\r\n")
        .server(b"150 Opening BINARY mode data connection for README.txt (1024 bytes).\r\n")
        .server(b"226 Transfer complete.\r\n")
        // Not a command (a digit in it): nothing.
        .client(b"X1Y2\r\n")
        .client(b"QUIT\r\n")
        .server(b"221 Goodbye.\r\n")
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "ftp"]));
    assert_eq!(
        doc["ftp"],
        json!({
            "command": ["USER", "PASS", "CWD", "TYPE", "PASV", "STOR", "RETR", "QUIT"],
            "commandCnt": 8,
            "filename": ["upload.bin", "README.txt"],
            "filenameCnt": 2,
            "responseCode": [220, 331, 230, 250, 200, 227, 150, 226, 221],
            "responseCodeCnt": 9,
            "banner": ["Welcome to the example FTP service"],
            "bannerCnt": 1,
        })
    );
    // USER's argument, lower-cased, goes to the session's user; PASS only tags.
    assert_eq!(doc["user"], json!(["anonymous"]));
    assert_eq!(doc["tags"], json!(["ftp:password"]));
}

#[test]
fn a_mail_greeting_takes_ftp_back() {
    // A 220 greeting without SMTP/LMTP/TLS in it looks like FTP until the client's
    // EHLO: then the FTP fields and protocol are removed and the parser stops.
    let frames = TcpConversation::new("10.0.0.1:52001", "10.0.0.2:25")
        .handshake()
        .server(b"220 mx.example.org ready\r\n")
        .client(b"EHLO client.example.org\r\n")
        .server(b"250-mx.example.org\r\n250 8BITMIME\r\n")
        .client(b"QUIT\r\n")
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp"]));
    assert_eq!(doc["ftp"], json!(null));
}

#[test]
fn a_line_longer_than_4_kib_ends_the_parse() {
    // Arkime keeps at most 4096 bytes of an unfinished line: the third 1460-byte
    // segment of a 5000-byte SITE argument goes past that, and the parser stops for
    // both directions; the RETR after it and the server's 200 are not read.
    let mut long = b"SITE ".to_vec();
    long.extend([b'a'; 5000]);
    long.extend_from_slice(b"\r\nRETR x\r\n");
    let frames = TcpConversation::new("10.0.0.1:52002", "10.0.0.2:21")
        .handshake()
        .server(b"220 FTP ready\r\n")
        .client(b"USER Bob\r\n")
        .server(b"331 Password?\r\n")
        .client(&long)
        .server(b"200 OK\r\n")
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "ftp"]));
    assert_eq!(
        doc["ftp"],
        json!({
            "command": ["USER"],
            "commandCnt": 1,
            "responseCode": [220, 331],
            "responseCodeCnt": 2,
            "banner": ["FTP ready"],
            "bannerCnt": 1,
        })
    );
    assert_eq!(doc["user"], json!(["bob"]));
}
