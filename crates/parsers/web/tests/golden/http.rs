use base64::Engine;
use serde_json::json;
use trawl_testkit::{run_session, TcpConversation};

/// Two requests on one keep-alive connection, with every default option: a GET with
/// a query string, cookies, X-Forwarded-For and Basic credentials, its HTML answer,
/// then a form POST (a request body with a password in it) answered by a redirect.
#[test]
fn get_and_post_on_one_connection() {
    let get = b"GET /search/Results.html?q=rust%20lang&lang=en&flag HTTP/1.1\r\n\
        Host: WWW.Example.com:8080\r\n\
        User-Agent: trawl-test/1.0\r\n\
        X-Forwarded-For: 192.0.2.7,198.51.100.9\r\n\
        Cookie: session=abc123; theme=dark\r\n\
        Authorization: Basic dXNlcjpwYXNz\r\n\
        \r\n";
    let html = b"HTTP/1.1 200 OK\r\n\
        Content-Type: text/html\r\n\
        Content-Length: 31\r\n\
        \r\n\
        <html><body>hello</body></html>";
    let post = b"POST /login HTTP/1.1\r\n\
        Host: WWW.Example.com:8080\r\n\
        Content-Type: application/x-www-form-urlencoded\r\n\
        Content-Length: 27\r\n\
        \r\n\
        user=alice&password=secret1";
    let redirect = b"HTTP/1.1 302 Found\r\nLocation: /home\r\nContent-Length: 0\r\n\r\n";
    let frames = TcpConversation::new("10.0.0.1:51000", "10.0.0.2:8080")
        .handshake()
        // Headers and bodies cut across segments: the tokenizer carries on.
        .segment(48)
        .client(get)
        .server(html)
        .client(post)
        .server(redirect)
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "http"]));
    // The password in the POST body.
    assert_eq!(doc["tags"], json!(["http:password"]));
    assert_eq!(
        doc["http"],
        json!({
            // The Host header is a configured request header of the host field, so
            // its raw value goes in first; the lower-cased name without the port
            // follows once the headers are complete.
            "host": ["WWW.Example.com:8080", "www.example.com"],
            "hostCnt": 2,
            // The lower-cased Host header (port kept) and the request target.
            "uri": [
                "www.example.com:8080/search/Results.html?q=rust%20lang&lang=en&flag",
                "www.example.com:8080/login"
            ],
            "uriCnt": 2,
            "xffIp": ["192.0.2.7", "198.51.100.9"],
            "xffIpCnt": 2,
            // An address field also gets its country, AS and RIR (named after the
            // field less its last two letters); without GeoIP data they are "---",
            // "---" and "", as Arkime's db.c writes them.
            "xffGEO": ["---", "---"],
            "xffASN": ["---", "---"],
            "xffRIR": ["", ""],
            "useragent": ["trawl-test/1.0"],
            "useragentCnt": 1,
            "requestHeader": [
                "host",
                "user-agent",
                "x-forwarded-for",
                "cookie",
                "authorization",
                "content-type",
                "content-length"
            ],
            "requestHeaderCnt": 7,
            "responseHeader": ["content-type", "content-length", "location"],
            "responseHeaderCnt": 3,
            // hashlib.md5 of the HTML body, then of the POST body (the redirect has
            // none, so no digest).
            "md5": [
                "b336bf8614414b59147ad5cf7d8bbaac",
                "973206ab617a65154b613508923cb5f1"
            ],
            "md5Cnt": 2,
            "clientVersion": ["1.1"],
            "clientVersionCnt": 1,
            "serverVersion": ["1.1"],
            "serverVersionCnt": 1,
            "path": ["/search/Results.html", "/login"],
            "pathCnt": 2,
            // Keys end at '=' or '&': the trailing "flag" (neither follows it) is
            // not one. Values are off by default (parseQSValue).
            "key": ["q", "lang"],
            "keyCnt": 2,
            "cookieKey": ["session", "theme"],
            "cookieKeyCnt": 2,
            "method": ["GET", "POST"],
            "methodCnt": 2,
            "method-GET": 1,
            "method-POST": 1,
            "bodyMagic": ["text/html"],
            "bodyMagicCnt": 1,
            // base64 "dXNlcjpwYXNz" is "user:pass".
            "user": ["user"],
            "userCnt": 1,
            "authType": ["basic"],
            "authTypeCnt": 1,
            "statuscode": [200, 302],
            "statuscodeCnt": 2,
            // A small UTF-8 request body is kept (no count: the field has no CNT
            // flag), but only the piece the first body callback sees: the POST's
            // 121 header bytes end in the third 48-byte segment, so its body part
            // holds 144 - 121 = 23 bytes. Arkime keeps the first piece too. The
            // digest above covers the whole body.
            "requestBody": ["user=alice&password=sec"],
        })
    );
}

/// An NTLMSSP message: the fixed part (signature, type, then `fixed` with the
/// security buffer descriptors at `bufs` pointing into the payload that follows).
fn ntlmssp(
    mtype: u32,
    fixed_len: usize,
    bufs: &[(usize, &[u8])],
    rest: &[(usize, &[u8])],
) -> Vec<u8> {
    let mut m = vec![0u8; fixed_len];
    m[..8].copy_from_slice(b"NTLMSSP\0");
    m[8..12].copy_from_slice(&mtype.to_le_bytes());
    for (at, v) in rest {
        m[*at..*at + v.len()].copy_from_slice(v);
    }
    for (at, v) in bufs {
        let len = (v.len() as u16).to_le_bytes();
        let off = (m.len() as u32).to_le_bytes();
        m[*at..*at + 2].copy_from_slice(&len);
        m[*at + 2..*at + 4].copy_from_slice(&len);
        m[*at + 4..*at + 8].copy_from_slice(&off);
        m.extend_from_slice(v);
    }
    m
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// The 8-byte VERSION structure: major, minor, build (LE), reserved, NTLM revision 15.
fn version(major: u8, minor: u8, build: u16) -> Vec<u8> {
    let b = build.to_le_bytes();
    vec![major, minor, b[0], b[1], 0, 0, 0, 15]
}

/// NEGOTIATE_UNICODE | NEGOTIATE_NTLM | NEGOTIATE_VERSION.
const FLAGS: u32 = 0x0000_0001 | 0x0000_0200 | 0x0200_0000;

/// NTLM over HTTP: the client's NEGOTIATE (type 1) and AUTHENTICATE (type 3) in
/// Authorization headers, the server's CHALLENGE (type 2) in WWW-Authenticate.
#[test]
fn ntlm_handshake_in_authorization_headers() {
    let flags = FLAGS.to_le_bytes();
    let client_version = version(10, 0, 19041);
    // Type 1: domain (16) and workstation (24) in OEM characters, flags at 12,
    // version at 32, payload from 40.
    let negotiate = ntlmssp(
        1,
        40,
        &[(16, b"CORP"), (24, b"WKS01")],
        &[(12, &flags), (32, &client_version)],
    );
    // Type 2: target name (12) in UTF-16, flags at 20, version at 48, payload
    // from 56.
    let target = utf16("CORPSRV");
    let challenge = ntlmssp(
        2,
        56,
        &[(12, &target)],
        &[
            (20, &flags),
            (24, b"\x01\x23\x45\x67\x89\xab\xcd\xef"),
            (48, &version(10, 0, 20348)),
        ],
    );
    // Type 3: LM (12) and NT (20) responses, domain (28), user (36), workstation (44)
    // in UTF-16, flags at 60, version at 64, payload from 88 (after the MIC).
    let (dom, user, wks) = (utf16("CORP"), utf16("alice"), utf16("WKS01"));
    let authenticate = ntlmssp(
        3,
        88,
        &[
            (12, &[0x11; 24]),
            (20, &[0x22; 24]),
            (28, &dom),
            (36, &user),
            (44, &wks),
        ],
        &[(60, &flags), (64, &client_version)],
    );
    let b64 = |m: &[u8]| base64::engine::general_purpose::STANDARD.encode(m);
    let req = |m: &[u8]| {
        format!(
            "GET /intranet/ HTTP/1.1\r\nHost: intranet.corp.example\r\n\
             Authorization: NTLM {}\r\n\r\n",
            b64(m)
        )
    };
    let unauthorized = format!(
        "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: NTLM {}\r\nContent-Length: 0\r\n\r\n",
        b64(&challenge)
    );
    let frames = TcpConversation::new("10.0.0.1:51001", "10.0.0.2:80")
        .handshake()
        .client(req(&negotiate).as_bytes())
        .server(unauthorized.as_bytes())
        .client(req(&authenticate).as_bytes())
        .server(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "http", "ntlm"]));
    assert_eq!(
        doc["ntlm"],
        json!({
            "type": [1, 2, 3],
            "typeCnt": 3,
            // The negotiate's OEM domain and the authenticate's UTF-16 one agree.
            "domain": ["CORP"],
            "domainCnt": 1,
            "host": ["WKS01"],
            "hostCnt": 1,
            "targetName": ["CORPSRV"],
            "targetNameCnt": 1,
            // The client's (types 1 and 3), then the server's.
            "version": ["10.0.19041", "10.0.20348"],
            "versionCnt": 2,
        })
    );
    // The authenticating user goes to the core user field.
    assert_eq!(doc["user"], json!(["alice"]));
    assert_eq!(doc["userCnt"], json!(1));
    assert_eq!(
        doc["http"],
        json!({
            "host": ["intranet.corp.example"],
            "hostCnt": 1,
            "uri": ["intranet.corp.example/intranet/"],
            "uriCnt": 1,
            "requestHeader": ["host", "authorization"],
            "requestHeaderCnt": 2,
            "responseHeader": ["www-authenticate", "content-length"],
            "responseHeaderCnt": 2,
            // hashlib.md5(b"ok"); too short for body magic.
            "md5": ["444bcb3a3fcf8389296c49467f27e1d6"],
            "md5Cnt": 1,
            "clientVersion": ["1.1"],
            "clientVersionCnt": 1,
            "serverVersion": ["1.1"],
            "serverVersionCnt": 1,
            "path": ["/intranet/"],
            "pathCnt": 1,
            "method": ["GET"],
            "methodCnt": 1,
            "method-GET": 2,
            // Both directions' auth headers: the scheme, lower-cased; no http.user
            // for NTLM.
            "authType": ["ntlm"],
            "authTypeCnt": 1,
            "statuscode": [401, 200],
            "statuscodeCnt": 2,
        })
    );
}

/// Options from the config: query values and cookie values parsed, SHA-256 of
/// bodies, every response header kept, and two request headers of their own
/// (`[headers-http-request]`): a counted string and an integer.
#[test]
fn options_query_and_cookie_values_custom_headers_and_sha256() {
    let cfg = trawl_testkit::run::config(
        "[default]\n\
         parseQSValue=true\n\
         parseCookieValue=true\n\
         supportSha256=true\n\
         parseHTTPHeaderResponseAll=true\n\
         [headers-http-request]\n\
         referer=type:string;count:true\n\
         x-request-id=type:integer\n",
    );
    let req = b"GET /api/v1/items?id=42&name=caf%C3%A9&empty=&tag=a+b HTTP/1.1\r\n\
        Host: api.example.org\r\n\
        Referer: https://www.example.org/start\r\n\
        X-Request-Id: 12345\r\n\
        Cookie: sid=xyz; lang = en-US; flag=\r\n\
        \r\n";
    let res = b"HTTP/1.1 200 OK\r\n\
        Content-Type: application/json\r\n\
        Content-Length: 15\r\n\
        X-Trace: ABC\r\n\
        \r\n\
        {\"items\":[1,2]}";
    let frames = TcpConversation::new("10.0.0.1:51002", "10.0.0.2:80")
        .handshake()
        .client(req)
        .server(res)
        .close()
        .frames();
    let doc = run_session(crate::with_config(cfg), &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "http"]));
    assert_eq!(
        doc["http"],
        json!({
            "host": ["api.example.org"],
            "hostCnt": 1,
            "uri": ["api.example.org/api/v1/items?id=42&name=caf%C3%A9&empty=&tag=a+b"],
            "uriCnt": 1,
            "requestHeader": ["host", "referer", "x-request-id", "cookie"],
            "requestHeaderCnt": 4,
            "responseHeader": ["content-type", "content-length", "x-trace"],
            "responseHeaderCnt": 3,
            // parseHTTPHeaderResponseAll: every response header without a field of
            // its own, and its value lower-cased.
            "responseHeaderField": ["content-type", "content-length", "x-trace"],
            "responseHeaderValue": ["application/json", "15", "abc"],
            "responseHeaderValueCnt": 3,
            // hashlib.md5 / hashlib.sha256 of the JSON body.
            "md5": ["b78d9a9ee45fc5ce889fad1e62bf3087"],
            "md5Cnt": 1,
            "sha256": ["02d21651bf4a0c676159456cd47d09d4ac585db5ed1324ac191f3e98640846a3"],
            "sha256Cnt": 1,
            "clientVersion": ["1.1"],
            "clientVersionCnt": 1,
            "serverVersion": ["1.1"],
            "serverVersionCnt": 1,
            "path": ["/api/v1/items"],
            "pathCnt": 1,
            // "empty=" has an empty value, which is skipped; "+" is not unescaped.
            "key": ["id", "name", "empty", "tag"],
            "keyCnt": 4,
            // %C3%A9 unescapes to the UTF-8 bytes of "é"; the field is not UTF-8
            // flagged, so the writer takes each byte as Latin-1, as Arkime's does.
            "value": ["42", "caf\u{c3}\u{a9}", "a+b"],
            "valueCnt": 3,
            // A key runs from after the blanks to the '=' (so "lang " keeps its
            // space); "flag=" has no value.
            "cookieKey": ["sid", "lang ", "flag"],
            "cookieKeyCnt": 3,
            "cookieValue": ["xyz", "en-US"],
            "cookieValueCnt": 2,
            "method": ["GET"],
            "methodCnt": 1,
            "method-GET": 1,
            "bodyMagic": ["application/json"],
            "bodyMagicCnt": 1,
            "statuscode": [200],
            "statuscodeCnt": 1,
            // The configured request headers: http.request-<name>.
            "request-referer": ["https://www.example.org/start"],
            "request-refererCnt": 1,
            "request-x-request-id": [12345],
        })
    );
}
