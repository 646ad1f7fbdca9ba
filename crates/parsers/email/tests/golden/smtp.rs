//! SMTP: the envelope (EHLO, MAIL FROM, RCPT TO), the message headers after DATA,
//! a MIME attachment decoded from base64 and hashed, the server's answer to the
//! message as a tag; then the same with the options that change what is kept.

use serde_json::json;
use trawl_testkit::{run_session, TcpConversation};

/// The server's side of a plain delivery: greeting, EHLO answer, the three 250s and
/// the 354 before the message.
fn session(message: &[u8]) -> Vec<trawl_testkit::Frame> {
    TcpConversation::new("192.0.2.10:51000", "198.51.100.25:25")
        .handshake()
        .server(b"220 mx.example.net ESMTP Postfix\r\n")
        .client(b"EHLO client.example.com\r\n")
        .server(b"250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n")
        .client(b"MAIL FROM:<Alice@Example.com> SIZE=1024\r\n")
        .server(b"250 2.1.0 Ok\r\n")
        .client(b"RCPT TO:<bob@example.net>\r\n")
        .server(b"250 2.1.5 Ok\r\n")
        .client(b"DATA\r\n")
        .server(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        // The message in small segments: lines cross segment boundaries.
        .segment(64)
        .client(message)
        .segment(1460)
        .server(b"250 2.0.0 Ok: queued as 4A1B2C3D\r\n")
        .client(b"QUIT\r\n")
        .server(b"221 2.0.0 Bye\r\n")
        .close()
        .frames()
}

#[test]
fn envelope_headers_and_a_base64_attachment() {
    // The subject is the B-encoded UTF-8 of "Quarterly report – Q1" (Python:
    // base64.b64encode("Quarterly report – Q1".encode())). The attachment is the
    // 43-byte 1x1 GIF 47494638396101000100800000000000ffffff21f90401000000002c000000
    // 00010001000002024401003b, base64 wrapped at 32 characters.
    let message = b"Received: from client.example.com (client.example.com [192.0.2.10])\r\n\
\tby mx.example.net (Postfix) with ESMTP id 4A1B2C3D\r\n\
\tfor <bob@example.net>; Mon,  1 Jan 2024 12:00:00 +0000 (UTC)\r\n\
From: \"Alice Example\" <alice@example.com>\r\n\
To: Bob <bob@example.net>, carol@example.net\r\n\
Subject: =?UTF-8?B?UXVhcnRlcmx5IHJlcG9ydCDigJMgUTE=?=\r\n\
Message-ID: <20240101120000.1234@client.example.com>\r\n\
MIME-Version: 1.0\r\n\
X-Mailer: TestMailer 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"XXBOUNDARYXX\"\r\n\
\r\n\
This is a multi-part message in MIME format.\r\n\
--XXBOUNDARYXX\r\n\
Content-Type: text/plain; charset=us-ascii\r\n\
\r\n\
Hello Bob, the pixel is attached.\r\n\
--XXBOUNDARYXX\r\n\
Content-Type: image/gif; name=\"pixel.gif\"\r\n\
Content-Disposition: attachment;\r\n\
\x20filename=\"pixel.gif\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
R0lGODlhAQABAIAAAAAAAP///yH5BAEA\r\n\
AAAALAAAAAABAAEAAAICRAEAOw==\r\n\
--XXBOUNDARYXX--\r\n\
.\r\n";
    let doc = run_session(crate::register, &session(message));
    assert_eq!(doc["protocol"], json!(["tcp", "smtp"]));
    // The server's reply to the message.
    assert_eq!(doc["tags"], json!(["smtp:statuscode:250"]));
    // Senders and receivers lower-cased, from the envelope and the headers (a set);
    // Received: the hosts after "from" and "by", the bracketed address; every header
    // name; the attachment's name (its folded Content-Disposition joined), the MD5
    // of the decoded bytes (Python: hashlib.md5(gif).hexdigest()) and their magic.
    assert_eq!(
        doc["email"],
        json!({
            "host": ["client.example.com", "mx.example.net"],
            "hostCnt": 2,
            "useragent": ["TestMailer 1.0"],
            "useragentCnt": 1,
            "src": ["alice@example.com"],
            "srcCnt": 1,
            "dst": ["bob@example.net", "carol@example.net"],
            "dstCnt": 2,
            "subject": ["Quarterly report – Q1"],
            "subjectCnt": 1,
            "id": ["20240101120000.1234@client.example.com"],
            "idCnt": 1,
            "contentType": ["multipart/mixed; boundary=\"XXBOUNDARYXX\""],
            "contentTypeCnt": 1,
            "mimeVersion": ["1.0"],
            "mimeVersionCnt": 1,
            "filename": ["pixel.gif"],
            "filenameCnt": 1,
            "md5": ["a5098c60b3b0c879a2c7af6c68b7b53f"],
            "md5Cnt": 1,
            "ip": ["192.0.2.10"],
            "ipCnt": 1,
            "GEO": ["---"],
            "ASN": ["---"],
            "RIR": [""],
            "header": [
                "received",
                "from",
                "to",
                "subject",
                "message-id",
                "mime-version",
                "x-mailer",
                "content-type"
            ],
            "headerCnt": 8,
            "bodyMagic": ["image/gif"],
            "bodyMagicCnt": 1,
            "smtpHello": ["client.example.com"],
            "smtpHelloCnt": 1,
        })
    );
}

#[test]
fn sha256_all_headers_ip_headers_and_a_custom_header() {
    let ini = "supportSha256=true\n\
parseSMTPHeaderAll=true\n\
smtpIpHeaders=X-Originating-IP:\n\
magicMode=none\n\
[headers-email]\n\
x-priority=type:integer\n";
    // A Q-encoded Latin-1 subject; the attachment is "Meeting notes: Friday 10:00,
    // room 4.\n" (37 bytes), base64 split over two lines.
    let message = b"From: alice@example.com\r\n\
To: bob@example.net\r\n\
Subject: =?ISO-8859-1?Q?Caf=E9_menu?=\r\n\
X-Originating-IP: [198.51.100.7]\r\n\
X-Priority: 3\r\n\
X-Spam-Score: 0.1\r\n\
Content-Type: multipart/mixed; boundary=b1\r\n\
\r\n\
--b1\r\n\
Content-Disposition: attachment; filename=notes.txt\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
TWVldGluZyBub3RlczogRnJpZGF5IDEw\r\n\
OjAwLCByb29tIDQuCg==\r\n\
--b1--\r\n\
.\r\n";
    let doc = run_session(|c, f| crate::register_with(c, f, ini), &session(message));
    // The IP header feeds the address (and is not an "other" header); the custom
    // header is an integer field of its own, without a count; the one header nothing
    // else takes is kept by name and value (parseSMTPHeaderAll). The digests are
    // Python's hashlib.md5 / hashlib.sha256 of the attachment's bytes. No magic.
    assert_eq!(
        doc["email"],
        json!({
            "src": ["alice@example.com"],
            "srcCnt": 1,
            "dst": ["bob@example.net"],
            "dstCnt": 1,
            "subject": ["Café menu"],
            "subjectCnt": 1,
            "contentType": ["multipart/mixed; boundary=b1"],
            "contentTypeCnt": 1,
            "filename": ["notes.txt"],
            "filenameCnt": 1,
            "md5": ["d49e27da0302de1b6a2a74424ab6e337"],
            "md5Cnt": 1,
            "sha256": ["9bdf3636d08000adbb94b569bbef380d4dd29194c82fbec36f2761cc7c37f2fd"],
            "sha256Cnt": 1,
            "ip": ["198.51.100.7"],
            "ipCnt": 1,
            "GEO": ["---"],
            "ASN": ["---"],
            "RIR": [""],
            "header": [
                "from",
                "to",
                "subject",
                "x-originating-ip",
                "x-priority",
                "x-spam-score",
                "content-type"
            ],
            "headerCnt": 7,
            "headerField": ["x-spam-score"],
            "headerValue": ["0.1"],
            "headerValueCnt": 1,
            "header-x-priority": [3],
            "smtpHello": ["client.example.com"],
            "smtpHelloCnt": 1,
        })
    );
}

#[test]
fn a_headers_only_message_leaves_its_dot_before_the_next_command() {
    // The message is one header and the ".", in 5-byte segments. As in Arkime's
    // smtp.c, a "." read while still in the headers raises the wait for the server's
    // status (the 250 gives the tag) but stays in the line, so the next command reads
    // ".MAIL FROM:..." and its sender is not taken.
    let frames = TcpConversation::new("192.0.2.10:51001", "198.51.100.25:25")
        .handshake()
        .server(b"220 mx.example.net ESMTP Postfix\r\n")
        .client(b"EHLO client.example.com\r\n")
        .server(b"250 mx.example.net\r\n")
        .client(b"MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n")
        .server(b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data\r\n")
        .segment(5)
        .client(b"Subject: hi\r\n.\r\n")
        .segment(1460)
        .server(b"250 2.0.0 Ok: queued\r\n")
        .client(b"MAIL FROM:<second@example.com>\r\n")
        // Its answer is not a status of a message (no second tag).
        .server(b"502 5.5.2 Error: command not recognized\r\n")
        .client(b"QUIT\r\n")
        .server(b"221 2.0.0 Bye\r\n")
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "smtp"]));
    assert_eq!(doc["tags"], json!(["smtp:statuscode:250"]));
    assert_eq!(doc["email"]["src"], json!(["alice@example.com"]));
    assert_eq!(doc["email"]["dst"], json!(["bob@example.net"]));
    assert_eq!(doc["email"]["subject"], json!(["hi"]));
    assert_eq!(doc["email"]["header"], json!(["subject"]));
}
