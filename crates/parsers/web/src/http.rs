//! HTTP/1.x (Arkime's http.c), recognition only for now: a TCP stream that starts with
//! a request method or `HTTP` is marked `http`. The HTTP fields (methods, hosts, URIs,
//! headers, bodies and their hashes, ...) are not decoded yet.

use trawl_session::parsers::Classifiers;
use trawl_session::{Cx, Session};

/// The request methods whose names start an HTTP stream (those of the HTTP parser
/// Arkime uses), then `HTTP` for a stream seen from its response.
pub const STARTS: [&str; 37] = [
    "DELETE",
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "CONNECT",
    "OPTIONS",
    "TRACE",
    "COPY",
    "LOCK",
    "MKCOL",
    "MOVE",
    "PROPFIND",
    "PROPPATCH",
    "SEARCH",
    "UNLOCK",
    "ACL",
    "BIND",
    "REBIND",
    "UNBIND",
    "MKCALENDAR",
    "REPORT",
    "MKACTIVITY",
    "CHECKOUT",
    "MERGE",
    "M-SEARCH",
    "NOTIFY",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "PATCH",
    "PURGE",
    "LINK",
    "UNLINK",
    "SOURCE",
    "PRI",
    "QUERY",
    "HTTP",
];

fn classify(cx: &mut Cx, s: &mut Session, _data: &[u8], _dir: usize, _uw: u32) {
    if !cx.has_protocol(s, "http") {
        cx.add_protocol(s, "http");
    }
}

/// Registers the HTTP classifiers.
pub fn register(c: &mut Classifiers) {
    for m in STARTS {
        c.register_tcp("http", 0, 0, m.as_bytes(), classify);
    }
}
