use serde_json::json;
use trawl_testkit::{run_session, TcpConversation, UdpExchange};

const SDP: &str = "v=0\r\no=alice 2890844526 2890844526 IN IP4 10.0.0.1\r\ns=-\r\n\
c=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\n";

fn invite() -> Vec<u8> {
    format!(
        "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@10.0.0.1\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:alice@10.0.0.1:5060>\r\n\
User-Agent: Linphone/5.2.0\r\n\
Content-Type: application/sdp\r\n\
Content-Length: {}\r\n\r\n{SDP}",
        SDP.len()
    )
    .into_bytes()
}

/// A response to the INVITE (or, with `cseq`, another request) from Bob.
fn response(status: &str, cseq: &str) -> Vec<u8> {
    format!(
        "SIP/2.0 {status}\r\n\
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds\r\n\
To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@10.0.0.1\r\n\
CSeq: {cseq}\r\n\
Contact: <sip:bob@10.0.0.2>\r\n\
Server: Asterisk PBX 20.5.0\r\n\
Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

#[test]
fn a_call_over_udp() {
    // ACK and BYE in compact form: v (Via), t (To), f (From), i (Call-ID), l.
    let ack = b"ACK sip:bob@10.0.0.2 SIP/2.0\r\n\
v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKnashds8\r\n\
t: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n\
f: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
i: a84b4c76e66710@10.0.0.1\r\n\
CSeq: 314159 ACK\r\n\
l: 0\r\n\r\n";
    let bye = b"BYE sip:bob@10.0.0.2 SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKnashds9\r\n\
To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@10.0.0.1\r\n\
CSeq: 314160 BYE\r\n\
Content-Length: 0\r\n\r\n";
    let frames = UdpExchange::new("10.0.0.1:5060", "10.0.0.2:5060")
        .client(&invite())
        .server(&response("100 Trying", "314159 INVITE"))
        .server(&response("180 Ringing", "314159 INVITE"))
        .server(&response("200 OK", "314159 INVITE"))
        .client(ack)
        .client(bye)
        .server(&response("200 OK", "314160 BYE"))
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "sip"]));
    // Values in first-seen order, each once; users from the From/To URIs.
    assert_eq!(
        doc["sip"],
        json!({
            "method": ["INVITE", "ACK", "BYE"],
            "methodCnt": 3,
            "callid": ["a84b4c76e66710@10.0.0.1"],
            "callidCnt": 1,
            "from": ["Alice <sip:alice@atlanta.example.com>;tag=1928301774"],
            "fromCnt": 1,
            "to": [
                "Bob <sip:bob@biloxi.example.com>",
                "Bob <sip:bob@biloxi.example.com>;tag=a6c85cf",
            ],
            "toCnt": 2,
            "useragent": ["Linphone/5.2.0"],
            "useragentCnt": 1,
            "via": [
                "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds",
                "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKnashds8",
                "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKnashds9",
            ],
            "viaCnt": 3,
            "contact": ["<sip:alice@10.0.0.1:5060>", "<sip:bob@10.0.0.2>"],
            "contactCnt": 2,
            "user": ["bob", "alice"],
            "userCnt": 2,
            "statuscode": [100, 180, 200],
            "statuscodeCnt": 3,
        })
    );
}

#[test]
fn registration_over_tcp_with_a_body_and_split_headers() {
    let register = |cseq: u32, auth: &str| {
        format!(
            "REGISTER sip:ims.example SIP/2.0\r\n\
Via: SIP/2.0/TCP 10.0.0.1:50600;branch=z9hG4bK-reg{cseq}\r\n\
From: <sip:carol@ims.example>;tag=77\r\n\
To: <sip:carol@ims.example>\r\n\
Call-ID: reg-1@10.0.0.1\r\n\
CSeq: {cseq} REGISTER\r\n\
{auth}\
Contact: <sip:carol@10.0.0.1:50600;transport=tcp>\r\n\
User-Agent: Zoiper rv2.10\r\n\
Content-Length: 0\r\n\r\n"
        )
        .into_bytes()
    };
    let challenge = b"SIP/2.0 401 Unauthorized\r\n\
Via: SIP/2.0/TCP 10.0.0.1:50600;branch=z9hG4bK-reg1\r\n\
From: <sip:carol@ims.example>;tag=77\r\n\
To: <sip:carol@ims.example>;tag=srv1\r\n\
Call-ID: reg-1@10.0.0.1\r\n\
CSeq: 1 REGISTER\r\n\
WWW-Authenticate: Digest realm=\"ims.example\", nonce=\"abc\"\r\n\
Content-Type: text/plain\r\n\
Content-Length: 28\r\n\r\n\
Authentication is required.\n";
    let second = register(
        2,
        "Authorization: Digest username=\"carol.private@ims.example\", realm=\"ims.example\", nonce=\"abc\", response=\"0123\"\r\n",
    );
    let ok = b"SIP/2.0 200 OK\r\nCall-ID: reg-1@10.0.0.1\r\nl: 0\r\n\r\n";
    let frames = TcpConversation::new("10.0.0.1:50600", "10.0.0.2:5060")
        .handshake()
        .client(&register(1, ""))
        // The 401's body (Content-Length 28) is skipped, not read as headers.
        .server(challenge)
        // The second REGISTER in 64-byte segments: read once its headers are whole.
        .segment(64)
        .client(&second)
        .segment(1460)
        .server(ok)
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "sip"]));
    assert_eq!(
        doc["sip"],
        json!({
            "method": ["REGISTER"],
            "methodCnt": 1,
            "callid": ["reg-1@10.0.0.1"],
            "callidCnt": 1,
            "from": ["<sip:carol@ims.example>;tag=77"],
            "fromCnt": 1,
            "to": ["<sip:carol@ims.example>", "<sip:carol@ims.example>;tag=srv1"],
            "toCnt": 2,
            "useragent": ["Zoiper rv2.10"],
            "useragentCnt": 1,
            "via": [
                "SIP/2.0/TCP 10.0.0.1:50600;branch=z9hG4bK-reg1",
                "SIP/2.0/TCP 10.0.0.1:50600;branch=z9hG4bK-reg2",
            ],
            "viaCnt": 2,
            "contact": ["<sip:carol@10.0.0.1:50600;transport=tcp>"],
            "contactCnt": 1,
            // From the URIs, then the Digest username.
            "user": ["carol", "carol.private@ims.example"],
            "userCnt": 2,
            "statuscode": [401, 200],
            "statuscodeCnt": 2,
        })
    );
}

#[test]
fn tcp_messages_in_one_segment_and_a_body_across_segments() {
    let request = |method: &str, body: &str| {
        format!(
            "{method} sip:bob@b.example SIP/2.0\r\nCall-ID: c1\r\nl: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    };
    // Three requests in one segment, the second with a body of 2 bytes.
    let requests = [
        request("OPTIONS", ""),
        request("MESSAGE", "hi"),
        request("INFO", ""),
    ]
    .concat();
    // A body of 3000 bytes over three segments of 1460, with what would read as a
    // 599 response in its middle: skipped, not read. The 202 after it shares the
    // body's last segment.
    let mut body = vec![b'x'; 1500];
    body.extend_from_slice(b"SIP/2.0 599 Fake\r\n\r\n");
    body.resize(3000, b'x');
    let mut answers = b"SIP/2.0 200 OK\r\nCall-ID: c1\r\nContent-Length: 3000\r\n\r\n".to_vec();
    answers.extend_from_slice(&body);
    answers.extend_from_slice(b"SIP/2.0 202 Accepted\r\nCall-ID: c1\r\nl: 0\r\n\r\n");
    let frames = TcpConversation::new("10.0.0.1:50601", "10.0.0.2:5060")
        .handshake()
        .client(&requests)
        .server(&answers)
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "sip"]));
    assert_eq!(
        doc["sip"],
        json!({
            "method": ["OPTIONS", "MESSAGE", "INFO"],
            "methodCnt": 3,
            "callid": ["c1"],
            "callidCnt": 1,
            "statuscode": [200, 202],
            "statuscodeCnt": 2,
        })
    );
}
