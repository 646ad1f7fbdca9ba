//! POP3: the user of the USER command (then the parser is done).

use serde_json::json;
use trawl_testkit::{run_session, TcpConversation};

#[test]
fn user_command() {
    let frames = TcpConversation::new("10.1.1.20:50110", "10.1.1.2:110")
        .handshake()
        .server(b"+OK POP3 server ready <1896.697170952@pop.example.com>\r\n")
        .client(b"CAPA\r\n")
        // A USER line from the server (its capability list) is not a user.
        .server(b"+OK Capability list follows\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n")
        // The USER line in 5-byte segments: joined by the framework.
        .segment(5)
        .client(b"USER  Alice.Smith \r\n")
        .segment(1460)
        .server(b"+OK\r\n")
        .client(b"PASS secret\r\n")
        .server(b"+OK Logged in.\r\n")
        .client(b"STAT\r\n")
        .server(b"+OK 2 320\r\n")
        .client(b"QUIT\r\n")
        .server(b"+OK Logging out.\r\n")
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "pop3"]));
    // The core user field: blanks around the name trimmed, lower-cased.
    assert_eq!(doc["user"], json!(["alice.smith"]));
    assert_eq!(doc["userCnt"], json!(1));
}
