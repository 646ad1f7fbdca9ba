use serde_json::json;
use trawl_testkit::{run_session, TcpConversation};

#[test]
fn nicknames_and_channels_the_client_sends() {
    let frames = TcpConversation::new("10.0.0.1:51000", "10.0.0.2:6667")
        .handshake()
        // The server speaks first: a line starting ':' with " NOTICE " classifies.
        .server(b":irc.example.net NOTICE * :*** Looking up your hostname...\r\n")
        .client(b"NICK alice\r\nUSER alice 0 * :Alice Liddell\r\n")
        .server(b":irc.example.net 001 alice :Welcome to ExampleNet alice\r\n")
        .client(b"JOIN #rust\r\n")
        // The server's lines (dir 1) are not read: no channel from its JOIN echo.
        .server(b":alice!alice@10.0.0.1 JOIN #server-echo\r\n")
        // A line split across segments: its rest is skipped up to the newline, NULs
        // after it too, then the next line is read.
        .client(b"PRIVMSG #rust :hello th")
        .client(b"ere\r\n\x00\x00JOIN #go,#c key\r\n")
        .client(b"NICK alice_\r\nQUIT :bye\r\n")
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "irc"]));
    // The JOIN target runs to the first space, CR or LF: "#go,#c" is one value.
    assert_eq!(
        doc["irc"],
        json!({
            "nick": ["alice", "alice_"],
            "nickCnt": 2,
            "channel": ["#rust", "#go,#c"],
            "channelCnt": 2,
        })
    );
}

#[test]
fn a_user_line_without_nick_is_not_irc() {
    // An FTP-style login: USER alone is not IRC (misc.c's USER classifier takes the
    // user name instead), and ':' lines without NOTICE are not either.
    let frames = TcpConversation::new("10.0.0.1:51001", "10.0.0.2:2121")
        .handshake()
        .client(b"USER Mallory\r\n")
        .server(b":x 451 * :You have not registered\r\n")
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp"]));
    assert_eq!(doc["irc"], json!(null));
    assert_eq!(doc["user"], json!(["mallory"]));
}
