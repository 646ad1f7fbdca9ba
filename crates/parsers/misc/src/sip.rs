//! SIP (Arkime's sip.c, RFC 3261) over UDP and TCP: request methods, response status
//! codes, Call-ID, From, To, User-Agent, Via and Contact headers (compact forms too),
//! and users from SIP URIs and Digest authorization. Over TCP each message's headers
//! are read once complete and its body (Content-Length) skipped.

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_session::parsers::{over_fixed_buffer, register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

use trawl_parser_common::text::memstr;

/// Default parser buffer cap (Arkime's `arkime_parser_buf_create`).
const MAX_BUF: usize = 8192;
/// TCP parse calls before the parser stops.
const MAX_CALLS: u32 = 200;

const METHODS: [&str; 14] = [
    "ACK",
    "BYE",
    "CANCEL",
    "INVITE",
    "INFO",
    "MESSAGE",
    "NOTIFY",
    "OPTIONS",
    "PRACK",
    "PUBLISH",
    "REGISTER",
    "REFER",
    "SUBSCRIBE",
    "UPDATE",
];

#[derive(Clone, Copy, Debug)]
struct Ids {
    method: FieldId,
    status: FieldId,
    call_id: FieldId,
    from: FieldId,
    to: FieldId,
    user_agent: FieldId,
    via: FieldId,
    contact: FieldId,
    user: FieldId,
}

/// What one message's headers say.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// Request method.
    pub method: Option<String>,
    /// Response status code (100-699).
    pub status: Option<u32>,
    /// (field, value) pairs in header order: "callid", "from", "to", "useragent",
    /// "via", "contact", "user".
    pub values: Vec<(&'static str, String)>,
    /// Content-Length (0 when absent).
    pub content_length: usize,
}

/// Arkime's `arkime_atoin`: optional spaces and sign, then digits.
fn atoin(b: &[u8]) -> i64 {
    let mut i = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    let mut sign = 1;
    match b.get(i) {
        Some(b'-') => {
            sign = -1;
            i += 1;
        }
        Some(b'+') => i += 1,
        _ => {}
    }
    let mut n: i64 = 0;
    for &c in b.get(i..).unwrap_or(&[]) {
        if !c.is_ascii_digit() {
            break;
        }
        n = n.wrapping_mul(10).wrapping_add(i64::from(c - b'0'));
    }
    sign * n
}

fn find_case(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The user part of the first `sip:`/`sips:` URI in a header value.
fn uri_user(v: &[u8]) -> Option<&[u8]> {
    let start = match find_case(v, b"sip:") {
        Some(p) => p + 4,
        None => find_case(v, b"sips:")? + 5,
    };
    let rest = &v[start..];
    for (i, &c) in rest.iter().enumerate() {
        if c == b'@' {
            return (i > 0).then(|| &rest[..i]);
        }
        if matches!(c, b'>' | b';' | b' ') {
            return None;
        }
    }
    None
}

/// Splits `data` into lines (CRLF or LF), stopping at the first empty one.
fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = data;
    std::iter::from_fn(move || {
        let nl = rest.iter().position(|&c| c == b'\n')?;
        let line = if nl > 0 && rest[nl - 1] == b'\r' {
            &rest[..nl - 1]
        } else {
            &rest[..nl]
        };
        rest = &rest[nl + 1..];
        (!line.is_empty()).then_some(line)
    })
}

/// Reads a message's start line and headers.
pub fn message(data: &[u8]) -> Message {
    let mut m = Message::default();
    for (i, line) in lines(data).enumerate() {
        if i == 0 {
            if line.starts_with(b"SIP/2.0") {
                if line.len() >= 12 && line.starts_with(b"SIP/2.0 ") {
                    let code = atoin(&line[8..]);
                    if (100..700).contains(&code) {
                        m.status = Some(code as u32);
                    }
                }
            } else {
                let sp = line.iter().take(20).position(|&c| c == b' ');
                if let Some(sp) = sp.filter(|&p| p > 0) {
                    let method = &line[..sp];
                    if METHODS.iter().any(|x| x.as_bytes() == method)
                        && line.len() >= sp + 10
                        && memstr(line, b"SIP/2.0")
                    {
                        m.method = Some(text(method));
                    }
                }
            }
            continue;
        }
        let Some(colon) = line.iter().position(|&c| c == b':') else {
            continue;
        };
        if colon == 0 {
            continue;
        }
        let vstart = colon
            + 1
            + line[colon + 1..]
                .iter()
                .take_while(|&&c| c == b' ' || c == b'\t')
                .count();
        if vstart >= line.len() {
            continue;
        }
        let (name, value) = (&line[..colon], &line[vstart..]);
        let is = |full: &str, compact: u8| {
            name.eq_ignore_ascii_case(full.as_bytes())
                || (compact != 0 && name.len() == 1 && name[0].eq_ignore_ascii_case(&compact))
        };
        if is("Call-ID", b'i') {
            m.values.push(("callid", text(value)));
        } else if is("From", b'f') || is("To", b't') {
            let key = if is("From", b'f') { "from" } else { "to" };
            m.values.push((key, text(value)));
            if let Some(u) = uri_user(value) {
                m.values.push(("user", text(u)));
            }
        } else if is("User-Agent", 0) {
            m.values.push(("useragent", text(value)));
        } else if is("Via", b'v') {
            m.values.push(("via", text(value)));
        } else if is("Contact", b'm') {
            m.values.push(("contact", text(value)));
        } else if is("Authorization", 0) {
            if let Some(p) = find_case(value, b"username=\"") {
                let u = &value[p + 10..];
                if let Some(q) = u.iter().position(|&c| c == b'"') {
                    m.values.push(("user", text(&u[..q])));
                }
            }
        } else if is("Content-Length", b'l') {
            let n = atoin(value);
            if n >= 0 {
                m.content_length = n as usize;
            }
        }
    }
    m
}

fn add(cx: &mut Cx, s: &mut Session, ids: &Ids, m: &Message) {
    let reg = &cx.shared.fields;
    if let Some(x) = &m.method {
        s.fields.string_add(reg, ids.method, x);
    }
    if let Some(c) = m.status {
        s.fields.int_add(reg, ids.status, c);
    }
    for (k, v) in &m.values {
        let id = match *k {
            "callid" => ids.call_id,
            "from" => ids.from,
            "to" => ids.to,
            "useragent" => ids.user_agent,
            "via" => ids.via,
            "contact" => ids.contact,
            _ => ids.user,
        };
        s.fields.string_add(reg, id, v);
    }
}

#[derive(Debug)]
struct SipUdp {
    ids: Ids,
}

impl Parser for SipUdp {
    fn name(&self) -> &'static str {
        "sip"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir) -> Parsed {
        let m = message(data);
        add(cx, s, &self.ids, &m);
        Parsed::Done(0)
    }
}

#[derive(Debug)]
struct SipTcp {
    ids: Ids,
    /// Per direction, body bytes (Content-Length) still to pass over. Counted here
    /// rather than dropped by the framework (a `consumed` past the end): Arkime calls
    /// the parser for every segment, a body's too, and stops after MAX_CALLS.
    skipping: [usize; 2],
    calls: u32,
}

impl Parser for SipTcp {
    fn name(&self) -> &'static str {
        "sip"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
        let owed = self.skipping[dir].min(data.len());
        self.skipping[dir] -= owed;
        let data = &data[owed..];
        // Arkime's fixed MAX_BUF buffer: held and new bytes that do not fit end the parse.
        if over_fixed_buffer(cx, s, data, MAX_BUF, "sip:headers-too-long") {
            return Parsed::Skip;
        }
        let mut at = 0;
        while data.len() - at > 4 {
            let b = &data[at..];
            let Some(end) = b.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4) else {
                if b.len() >= MAX_BUF {
                    cx.add_tag(s, "sip:headers-too-long");
                    return Parsed::Skip;
                }
                break;
            };
            let m = message(&b[..end]);
            add(cx, s, &self.ids, &m);
            at += end;
            let body = m.content_length.min(data.len() - at);
            at += body;
            self.skipping[dir] = m.content_length - body;
        }
        self.calls += 1;
        if self.calls > MAX_CALLS {
            return Parsed::Skip;
        }
        Parsed::Incomplete {
            consumed: owed + at,
            needed: 0,
        }
    }

    fn max_held(&self) -> usize {
        MAX_BUF
    }
}

/// Whether a stream's first bytes look like SIP (`SIP/2.0` in the first 200).
pub fn looks_like_sip(d: &[u8]) -> bool {
    d.len() >= 12 && memstr(&d[..d.len().min(200)], b"SIP/2.0")
}

fn classify(cx: &mut Cx, s: &mut Session, d: &[u8], tcp: bool, ids: Ids) {
    if cx.has_protocol(s, "sip") || !looks_like_sip(d) {
        return;
    }
    cx.add_protocol(s, "sip");
    if tcp {
        register_parser(
            s,
            Box::new(SipTcp {
                ids,
                skipping: [0; 2],
                calls: 0,
            }),
        );
    } else {
        register_parser(s, Box::new(SipUdp { ids }));
    }
}

const SIP: FieldSpec = FieldSpec::new("sip", FieldType::StrGHash).flags(Flags::CNT);

/// The SIP fields, in definition order: method, Call-ID, From, To, User-Agent, Via,
/// Contact, user, status code.
pub const FIELDS: [FieldSpec; 9] = [
    SIP.named("sip.method", "sip.method", Kind::TermField)
        .text("Method", "SIP method (INVITE, BYE, REGISTER, etc.)"),
    SIP.named("sip.callid", "sip.callid", Kind::TermField)
        .text("Call ID", "SIP Call-ID header"),
    SIP.named("sip.from", "sip.from", Kind::TermField)
        .text("From", "SIP From header"),
    SIP.named("sip.to", "sip.to", Kind::TermField)
        .text("To", "SIP To header"),
    SIP.named("sip.user-agent", "sip.useragent", Kind::TermField)
        .text("User-Agent", "SIP User-Agent header"),
    SIP.named("sip.via", "sip.via", Kind::TermField)
        .text("Via", "SIP Via headers"),
    SIP.named("sip.contact", "sip.contact", Kind::TermField)
        .text("Contact", "SIP Contact header"),
    SIP.named("sip.user", "sip.user", Kind::TermField)
        .text("User", "SIP user from URI or auth")
        .category("user"),
    SIP.named("sip.statuscode", "sip.statuscode", Kind::Integer)
        .text("Status Code", "SIP response status codes")
        .ty(FieldType::IntGHash),
];

/// Registers the SIP fields and classifiers.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [method, call_id, from, to, user_agent, via, contact, user, status] = f.define_all(&FIELDS);
    let ids = Ids {
        method,
        status,
        call_id,
        from,
        to,
        user_agent,
        via,
        contact,
        user,
    };
    for p in [
        &b"SIP/2.0"[..],
        b"INVITE sip:",
        b"REGISTER sip:",
        b"OPTIONS sip:",
        b"NOTIFY sip:",
    ] {
        c.register_udp("sip", 0, 0, p, move |cx, s, d, _, _| {
            classify(cx, s, d, false, ids)
        });
        c.register_tcp("sip", 1, 0, p, move |cx, s, d, _, _| {
            classify(cx, s, d, true, ids)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGISTER: &[u8] = b"REGISTER sip:ims.example SIP/2.0\r\n\
Via: SIP/2.0/TCP [fd00::1]:5060;branch=z9hG4bK1;rport\r\n\
f: <sip:alice@ims.example>;tag=1\r\n\
To: <tel:263734>\r\n\
Call-ID: abc123\r\n\
Authorization: Digest username=\"263734@imstest.lan\",realm=\"x\"\r\n\
User-Agent: iOS/8.1 (12B411) iPhone\r\n\
Contact: <sip:[fd00::1]:5060>\r\n\
l: 4\r\n\r\nbody";

    #[test]
    fn request_headers() {
        let m = message(REGISTER);
        assert_eq!(m.method.as_deref(), Some("REGISTER"));
        assert_eq!(m.content_length, 4);
        let get = |k: &str| -> Vec<&str> {
            m.values
                .iter()
                .filter(|(x, _)| *x == k)
                .map(|(_, v)| v.as_str())
                .collect()
        };
        assert_eq!(
            get("via"),
            ["SIP/2.0/TCP [fd00::1]:5060;branch=z9hG4bK1;rport"]
        );
        assert_eq!(get("from"), ["<sip:alice@ims.example>;tag=1"]);
        assert_eq!(get("to"), ["<tel:263734>"]);
        assert_eq!(get("user"), ["alice", "263734@imstest.lan"]);
        assert_eq!(get("callid"), ["abc123"]);
        assert_eq!(get("contact"), ["<sip:[fd00::1]:5060>"]);
        assert_eq!(get("useragent"), ["iOS/8.1 (12B411) iPhone"]);
        for n in 0..REGISTER.len() {
            let _ = message(&REGISTER[..n]);
        }
    }

    #[test]
    fn responses_and_non_sip() {
        let m = message(b"SIP/2.0 401 Unauthorized\r\nl: 0\r\n\r\n");
        assert_eq!(m.status, Some(401));
        assert_eq!(message(b"SIP/2.0 99 x\r\n\r\n").status, None);
        assert_eq!(message(b"FOO sip:x SIP/2.0\r\n\r\n").method, None);
        assert!(looks_like_sip(REGISTER));
        assert!(!looks_like_sip(b"GET / HTTP/1.1\r\n\r\n"));
        assert_eq!(atoin(b" -12x"), -12);
        assert_eq!(uri_user(b"<sips:bob@h>"), Some(&b"bob"[..]));
        assert_eq!(uri_user(b"<sip:h;x@y>"), None);
    }
}
