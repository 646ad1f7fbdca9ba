use md5::{Digest, Md5};
use serde_json::json;
use trawl_testkit::{run_session, TcpConversation};

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// A frame: 24-bit length, type, flags, stream id, payload.
fn frame(ty: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut f = len.to_be_bytes()[1..].to_vec();
    f.extend_from_slice(&[ty, flags]);
    f.extend_from_slice(&stream.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

fn md5_hex(b: &[u8]) -> String {
    Md5::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

/// A string literal without Huffman coding (under 127 bytes).
fn lit(s: &str) -> Vec<u8> {
    let mut v = vec![s.len() as u8];
    v.extend_from_slice(s.as_bytes());
    v
}

/// The client's bytes: the preface, an empty SETTINGS, a GET on stream 1 in one
/// HEADERS frame, then a second GET on stream 3 in a HEADERS and a CONTINUATION.
fn client() -> Vec<u8> {
    let mut block1 = vec![0x82, 0x86]; // :method GET, :scheme http (static 2, 6)
                                       // :authority (static 1) with incremental indexing; the host loses its port.
    block1.push(0x41);
    block1.extend(lit("www.example.com:8080"));
    // :path (static 4) with indexing: a path and a query.
    block1.push(0x44);
    block1.extend(lit("/search?q=rust&lang=en"));
    // user-agent (static 58) with indexing: 0x40 | 58.
    block1.push(0x7a);
    block1.extend(lit("curl/8"));
    // cookie (static 32) without indexing: 4-bit prefix 15, then 17.
    block1.extend([0x0f, 0x11]);
    block1.extend(lit("a=1; b=2"));
    // A new name with indexing.
    block1.push(0x40);
    block1.extend(lit("X-Foo"));
    block1.extend(lit("bar"));
    let mut c = PREFACE.to_vec();
    c.extend(frame(4, 0, 0, &[]));
    c.extend(frame(1, 0x4 | 0x1, 1, &block1));
    // Stream 3: GET from the static table, :authority as the dynamic entry made
    // above (62 is the newest, x-foo, then user-agent, :path, :authority: 65; the
    // cookie was not indexed), then
    // :path "/" (static 4) in the CONTINUATION, and a Huffman-coded value (RFC 7541
    // C.4.1's "www.example.com") for a new header.
    let mut part1 = vec![0x82, 0x86, 0x80 | 65];
    let mut part2 = vec![0x84, 0x00];
    part2.extend(lit("x-host"));
    part2.extend([
        0x8c, 0xf1, 0xe3, 0xc2, 0xe5, 0xf2, 0x3a, 0x6b, 0xa0, 0xab, 0x90, 0xf4, 0xff,
    ]);
    // The first fragment ends inside the x-host representation's name.
    part1.extend(&part2[..3]);
    c.extend(frame(1, 0x1, 3, &part1));
    c.extend(frame(9, 0x4, 3, &part2[3..]));
    c
}

const BODY1: &[u8] = b"<html>hello</html>";
const BODY3: &[u8] = b"second body";

/// The server's bytes: SETTINGS, a 200 with a content type and a body in two DATA
/// frames (the second padded) on stream 1, a 404 with a body on stream 3.
fn server() -> Vec<u8> {
    let mut s = frame(4, 0, 0, &[0, 3, 0, 0, 0, 100]);
    // :status 200 (static 8), content-type (static 31) without indexing.
    let mut block = vec![0x88, 0x0f, 0x10];
    block.extend(lit("text/html"));
    s.extend(frame(1, 0x4, 1, &block));
    s.extend(frame(0, 0, 1, &BODY1[..6]));
    // PADDED: pad length 3, the rest of the body, 3 bytes of padding; END_STREAM.
    let mut padded = vec![3];
    padded.extend_from_slice(&BODY1[6..]);
    padded.extend_from_slice(&[0, 0, 0]);
    s.extend(frame(0, 0x8 | 0x1, 1, &padded));
    // :status 404 (static 13) on stream 3, then its body.
    s.extend(frame(1, 0x4, 3, &[0x8d]));
    s.extend(frame(0, 0x1, 3, BODY3));
    s
}

fn expected_http() -> serde_json::Value {
    json!({
        "host": ["www.example.com"],
        "hostCnt": 1,
        "method": ["GET"],
        "methodCnt": 1,
        "path": ["/search", "/"],
        "pathCnt": 2,
        "key": ["q", "lang"],
        "keyCnt": 2,
        "cookieKey": ["a", "b"],
        "cookieKeyCnt": 2,
        // Names lower-cased; user-agent also has a field of its own.
        "requestHeader": ["user-agent", "cookie", "x-foo", "x-host"],
        "requestHeaderCnt": 4,
        "useragent": ["curl/8"],
        "useragentCnt": 1,
        "responseHeader": ["content-type"],
        "responseHeaderCnt": 1,
        "statuscode": [200, 404],
        "statuscodeCnt": 2,
        "md5": [md5_hex(BODY1), md5_hex(BODY3)],
        "md5Cnt": 2,
        "bodyMagic": ["text/html"],
        "bodyMagicCnt": 1,
    })
}

/// HTTP/2 with prior knowledge: the client starts with the preface.
#[test]
fn prior_knowledge() {
    let frames = TcpConversation::new("10.0.0.1:50000", "10.0.0.2:80")
        .handshake()
        .client(&client())
        .server(&server())
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "http", "http2"]));
    let mut want = expected_http();
    // The preface also reads as an HTTP/1 request (PRI * HTTP/2.0), as in Arkime.
    want["method"] = json!(["PRI", "GET"]);
    want["methodCnt"] = json!(2);
    want["uri"] = json!(["*"]);
    want["uriCnt"] = json!(1);
    want["clientVersion"] = json!(["2.0"]);
    want["clientVersionCnt"] = json!(1);
    assert_eq!(doc["http"], want);
}

/// The same bytes in segments of every size from 1 to 40 after the preface (which
/// must come whole in the first segment: only that one is classified, as in
/// Arkime): the same document.
#[test]
fn frames_split_across_segments() {
    let c = client();
    let conversation = |mss: usize| {
        TcpConversation::new("10.0.0.1:50000", "10.0.0.2:80")
            .handshake()
            .client(&c[..PREFACE.len()])
            .segment(mss)
            .client(&c[PREFACE.len()..])
            .server(&server())
            .close()
            .frames()
    };
    // A large segment size: every frame whole.
    let want = run_session(crate::register, &conversation(1400));
    assert_eq!(want["protocol"], json!(["tcp", "http", "http2"]));
    let mut http = expected_http();
    http["method"] = json!(["PRI", "GET"]);
    http["methodCnt"] = json!(2);
    http["uri"] = json!(["*"]);
    http["uriCnt"] = json!(1);
    http["clientVersion"] = json!(["2.0"]);
    http["clientVersionCnt"] = json!(1);
    assert_eq!(want["http"], http);
    for mss in 1..=40 {
        let doc = run_session(crate::register, &conversation(mss));
        // The body magic comes from the bytes of a DATA frame in the segment that
        // holds its header: with small segments there are fewer.
        let mut got = doc["http"].clone();
        let mut w = http.clone();
        if !padded_body_completes(mss) {
            w["md5"] = json!([md5_hex(BODY3)]);
            w["md5Cnt"] = json!(1);
        }
        for k in ["bodyMagic", "bodyMagicCnt"] {
            got.as_object_mut().unwrap().remove(k);
            w.as_object_mut().unwrap().remove(k);
        }
        assert_eq!(got, w, "segments of {mss}");
    }
}

/// Whether stream 1's body (its second DATA frame padded with 3 bytes: header at
/// server bytes 52..61, pad length at 61, payload to 77) completes with segments of
/// `mss` bytes. Arkime's rules: a frame's pad length must be in the segment that ends
/// its header (else neither its padding nor its END_STREAM is kept), and the padding
/// is cut from the frame's last piece only, which must hold all of it (else the body
/// is never finished).
fn padded_body_completes(mss: usize) -> bool {
    let (header_end, end, pad) = (61, 77, 3);
    if header_end % mss == 0 {
        return false;
    }
    let first_segment_end = header_end.div_ceil(mss) * mss;
    first_segment_end >= end || end - (end - 1) / mss * mss >= pad
}

/// Every prefix of each side, and bytes flipped: no panic.
#[test]
fn truncated_and_mutated() {
    let (c, s) = (client(), server());
    for n in 0..=c.len().max(s.len()) {
        let frames = TcpConversation::new("10.0.0.1:50000", "10.0.0.2:80")
            .handshake()
            .client(&c[..n.min(c.len())])
            .server(&s[..n.min(s.len())])
            .close()
            .frames();
        run_session(crate::register, &frames);
    }
    for i in (24..c.len()).step_by(3) {
        let mut m = c.clone();
        m[i] ^= 0x5a;
        let mut t = s.clone();
        t[i % s.len()] ^= 0xa5;
        let frames = TcpConversation::new("10.0.0.1:50000", "10.0.0.2:80")
            .handshake()
            .client(&m)
            .server(&t)
            .close()
            .frames();
        run_session(crate::register, &frames);
    }
}

/// HTTP/1.1 upgraded to h2c: the response on stream 1 comes as HTTP/2 frames after
/// the 101 and the client's preface.
#[test]
fn upgrade_h2c() {
    let req = b"GET /up HTTP/1.1\r\nHost: h2.example\r\nConnection: Upgrade, HTTP2-Settings\r\n\
        Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n";
    let switching =
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n";
    let mut preface = PREFACE.to_vec();
    preface.extend(frame(4, 0, 0, &[]));
    let mut resp = frame(4, 0, 0, &[]);
    resp.extend(frame(1, 0x4, 1, &[0x88]));
    resp.extend(frame(0, 0x1, 1, b"upgraded"));
    let frames = TcpConversation::new("10.0.0.1:50001", "10.0.0.2:80")
        .handshake()
        .client(req)
        .server(switching)
        .client(&preface)
        .server(&resp)
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "http", "http2"]));
    let http = &doc["http"];
    assert_eq!(http["method"], json!(["GET"]));
    assert_eq!(http["path"], json!(["/up"]));
    assert_eq!(http["statuscode"], json!([101, 200]));
    assert_eq!(http["md5"], json!([md5_hex(b"upgraded")]));
}

/// A header block that does not decode (index 0) stops that direction's headers for
/// good; the other direction goes on.
#[test]
fn decoding_error_breaks_one_direction() {
    let mut c = PREFACE.to_vec();
    c.extend(frame(1, 0x5, 1, &[0x82, 0x80, 0x86]));
    c.extend(frame(1, 0x5, 3, &[0x83]));
    let mut s = frame(1, 0x4, 1, &[0x88]);
    s.extend(frame(1, 0x4, 3, &[0x8d]));
    let frames = TcpConversation::new("10.0.0.1:50002", "10.0.0.2:80")
        .handshake()
        .client(&c)
        .server(&s)
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    // GET came before the bad index; POST (stream 3) is never decoded.
    assert_eq!(doc["http"]["method"], json!(["PRI", "GET"]));
    assert_eq!(doc["http"]["statuscode"], json!([200, 404]));
}
