//! IMAP: the folders the client selects or examines, and the From, To, Cc and
//! Subject headers of a message the server returns in a FETCH response.

use serde_json::json;
use trawl_testkit::{run_session, TcpConversation};

#[test]
fn folders_and_fetched_headers() {
    // The literal is the 138 bytes of the header lines and the blank line.
    let fetched = b"* 1 FETCH (UID 4827 BODY[HEADER.FIELDS (FROM TO CC SUBJECT)] {138}\r\n\
From: \"Alice\" <Alice@Example.com>\r\n\
To: bob@example.net, \"Carol C\" <carol@example.net>\r\n\
Cc: dave@example.org\r\n\
Subject: Lunch on Friday?\r\n\
\r\n\
)\r\n\
a4 OK Fetch completed (0.001 + 0.000 secs).\r\n";
    let frames = TcpConversation::new("10.1.1.20:50143", "10.1.1.2:143")
        .handshake()
        .server(
            b"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE \
AUTH=PLAIN] Dovecot ready.\r\n",
        )
        .client(b"a1 LOGIN alice secret\r\n")
        .server(b"a1 OK Logged in\r\n")
        .client(b"a2 SELECT \"Sent Items\"\r\n")
        .server(b"* 2 EXISTS\r\n* 0 RECENT\r\na2 OK [READ-WRITE] Select completed.\r\n")
        .client(b"a3 EXAMINE INBOX\r\n")
        .server(b"* 7 EXISTS\r\na3 OK [READ-ONLY] Examine completed.\r\n")
        .client(b"a4 UID FETCH 4827 (BODY.PEEK[HEADER.FIELDS (FROM TO CC SUBJECT)])\r\n")
        // The response in 40-byte segments: header lines are joined across them.
        .segment(40)
        .server(fetched)
        .segment(1460)
        .client(b"a5 LOGOUT\r\n")
        .server(b"* BYE Logging out\r\na5 OK Logout completed.\r\n")
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "imap"]));
    // Addresses lower-cased, a quoted display name skipped; the subject as written;
    // the quoted folder without its quotes.
    assert_eq!(
        doc["email"],
        json!({
            "src": ["alice@example.com"],
            "srcCnt": 1,
            "dst": ["bob@example.net", "carol@example.net", "dave@example.org"],
            "dstCnt": 3,
            "subject": ["Lunch on Friday?"],
            "subjectCnt": 1,
            "folder": ["Sent Items", "INBOX"],
            "folderCnt": 2,
        })
    );
}
