//! HTTP/1.x (Arkime's http.c): a TCP stream that starts with a request method or
//! `HTTP` gets a tokenizer per direction ([`crate::http_parser`]) and its pieces become
//! Arkime's http fields: methods and their counts, versions, status codes, hosts, URIs,
//! paths, query keys and values, cookies, headers (by name, and by value where
//! configured), user agents, X-Forwarded-For, basic and digest users, auth types, the
//! request body, body magic, and the MD5 and SHA-256 of every body.
//!
//! Arkime's quirks are kept where its documents show them: the request and response
//! state (URL, host, cookie and auth strings) is shared by both directions, header
//! names are cut at 39 bytes, the URL is written after the headers complete, and a
//! body that runs until the connection closes is hashed when the session is saved.

use md5::{Digest, Md5};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::Arc;
use trawl_config::{Config, ConfigError};
use trawl_fields::{flags, FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::text::hex;
use trawl_parser_common::text::{latin1, latin1_lower, memcasestr, until_nul};
use trawl_parser_common::value::{add_typed, trim_start};
use trawl_parser_common::{base64, magic, ntlm};
use trawl_session::parsers::{classify_tcp, register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

use crate::http_parser::{
    method, method_str, Callbacks, HttpParser, Kind as ParserKind, METHOD_STRINGS,
};

/// Longest URI written (longer ones are cut and tagged `http:url-truncated`).
const MAX_URL_LENGTH: usize = 4096;
/// Longest a header string grows by appending pieces.
const FIELD_MAX: usize = 8192;
/// Methods counted in `http.method-<NAME>` fields: DELETE up to CONNECT.
const MAX_COUNTED_METHOD: usize = 6;
/// Bytes of a header name kept (Arkime's 40-byte buffer with its NUL).
const HEADER_NAME_MAX: usize = 39;

/// How body magic is found (`magicMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MagicMode {
    /// Arkime's built-in signatures. `libmagic` and `both` use them too: trawl has
    /// no libmagic.
    Basic,
    /// No body magic.
    None,
}

/// Field ids and settings, set up once at registration and shared (`Arc`) by the
/// classifiers and every session's parser.
#[derive(Debug)]
pub struct HttpConfig {
    pub(crate) host: FieldId,
    urls: FieldId,
    tags_req: FieldId,
    tags_res: FieldId,
    header_req_field: FieldId,
    header_req_value: FieldId,
    header_res_field: FieldId,
    header_res_value: FieldId,
    pub(crate) md5: FieldId,
    pub(crate) sha256: Option<FieldId>,
    ver_req: FieldId,
    ver_res: FieldId,
    path: FieldId,
    key: FieldId,
    value: FieldId,
    cookie_key: FieldId,
    cookie_value: FieldId,
    pub(crate) method: FieldId,
    pub(crate) magic: FieldId,
    user: FieldId,
    auth_type: FieldId,
    pub(crate) status_code: FieldId,
    req_body: FieldId,
    method_counts: [FieldId; MAX_COUNTED_METHOD + 1],
    /// Request header name (lower case) -> field its value goes to.
    req_headers: HashMap<String, FieldId>,
    /// Response header name (lower case) -> field.
    res_headers: HashMap<String, FieldId>,
    parse_qs_value: bool,
    parse_cookie_value: bool,
    all_req: bool,
    all_res: bool,
    max_req_body: usize,
    req_body_only_utf8: bool,
    value_max_len: usize,
    pub(crate) magic_mode: MagicMode,
    /// What records NTLMSSP credentials of Authorization headers.
    ntlm: ntlm::Ntlm,
    /// The WebSocket fields, for sessions upgraded to it.
    websocket: crate::websocket::Ids,
}

/// Per-session state outside the two tokenizers (Arkime's `HTTPInfo_t`).
#[derive(Debug, Default)]
struct Info {
    url: Option<Vec<u8>>,
    host: Option<Vec<u8>>,
    cookie: Option<Vec<u8>>,
    auth: Option<Vec<u8>>,
    proxy_auth: Option<Vec<u8>>,
    value: [Option<Vec<u8>>; 2],
    header: [Vec<u8>; 2],
    pos: [Option<FieldId>; 2],
    method_counts: [u32; MAX_COUNTED_METHOD + 1],
    md5: [Md5; 2],
    sha256: [Sha256; 2],
    w_parsers: u8,
    in_header: u8,
    in_value: u8,
    in_body: u8,
    url_which: Dir,
    which: Dir,
    is_connect: u8,
    reclassify: u8,
    http2_upgrade: bool,
    websocket_upgrade: u8,
}

/// Appends a piece to a string that may not exist yet: a new string takes the whole
/// piece, a growing one stops at [`FIELD_MAX`].
fn append(s: &mut Option<Vec<u8>>, at: &[u8]) {
    match s {
        None => *s = Some(at.to_vec()),
        Some(v) => {
            if v.len() < FIELD_MAX {
                let n = at.len().min(FIELD_MAX - v.len());
                v.extend_from_slice(&at[..n]);
            }
        }
    }
}

/// The tokenizer callbacks with what they write to.
struct Cb<'a, 'c> {
    st: &'a mut Info,
    cfg: &'a HttpConfig,
    cx: &'a mut Cx<'c>,
    s: &'a mut Session,
}

impl Cb<'_, '_> {
    fn add_str(&mut self, id: FieldId, b: &[u8]) {
        let v = latin1(b);
        let reg = &self.cx.shared.fields;
        self.s.fields.string_add(reg, id, &v);
    }

    fn add_str_lower(&mut self, id: FieldId, b: &[u8]) {
        let v = latin1_lower(b);
        let reg = &self.cx.shared.fields;
        self.s.fields.string_add(reg, id, &v);
    }

    fn tag(&mut self, t: &str) {
        self.cx.add_tag(self.s, t);
    }

    /// A header's value into the field configured for it, by that field's type; the
    /// values of headers without a field of their own are lower-cased and cut.
    fn add_header_value(&mut self, id: FieldId, v: &[u8]) {
        if id == self.cfg.header_req_value || id == self.cfg.header_res_value {
            let v = trim_start(v);
            let n = v.len().min(self.cfg.value_max_len);
            self.add_str_lower(id, &v[..n]);
        } else {
            let reg = &self.cx.shared.fields;
            add_typed(&mut self.s.fields, reg, id, v);
        }
    }

    /// The value gathered for the current header of this direction.
    fn flush_value(&mut self) {
        let which = self.st.which;
        if let Some(id) = self.st.pos[which].take() {
            let mut v = self.st.value[which].take().unwrap_or_default();
            self.add_header_value(id, &v);
            v.clear();
            self.st.value[which] = Some(v);
        }
    }

    fn parse_cookie(&mut self, c: &[u8]) {
        let cfg = self.cfg;
        for (is_value, v) in cookies(c, cfg.parse_cookie_value) {
            self.add_str(
                if is_value {
                    cfg.cookie_value
                } else {
                    cfg.cookie_key
                },
                v,
            );
        }
    }

    fn parse_authorization(&mut self, auth: &[u8]) {
        let a = authorization(auth);
        if let Some(t) = a.scheme {
            self.add_str_lower(self.cfg.auth_type, t);
        }
        if let Some(u) = a.user {
            self.add_str(self.cfg.user, &u);
        }
        if let Some(b64) = a.ntlm {
            self.cfg.ntlm.record_base64(self.cx, self.s, b64);
        }
    }

    fn parse_url(&mut self, url: &[u8]) {
        let cfg = self.cfg;
        let (path, pieces) = query(url, cfg.parse_qs_value);
        self.add_str(cfg.path, path);
        if let Some(p) = path_protocol(path) {
            if !self.cx.has_protocol(self.s, p) {
                self.cx.add_protocol(self.s, p);
            }
        }
        for (is_value, raw) in pieces {
            let field = if is_value { cfg.value } else { cfg.key };
            match unescape(raw) {
                Some(v) => self.add_str(field, &v),
                None => self.add_str(field, raw),
            }
        }
    }
}

/// What Arkime's HTTP/2 parser shares with HTTP/1 (http.c's `http_common_*`).
impl HttpConfig {
    /// A header of a request (`is_req`) or response: its name into the has-header
    /// field, its value into the field configured for it, if any
    /// (`http_common_add_header`).
    pub(crate) fn common_add_header(
        &self,
        cx: &mut Cx,
        s: &mut Session,
        is_req: bool,
        name: &[u8],
        value: &[u8],
    ) {
        let lower = latin1_lower(name);
        let reg = &cx.shared.fields;
        s.fields.string_add(
            reg,
            if is_req { self.tags_req } else { self.tags_res },
            &lower,
        );
        let map = if is_req {
            &self.req_headers
        } else {
            &self.res_headers
        };
        let pos = match map.get(&lower) {
            Some(id) => *id,
            None if is_req && self.all_req => {
                s.fields.string_add(reg, self.header_req_field, &lower);
                self.header_req_value
            }
            None if !is_req && self.all_res => {
                s.fields.string_add(reg, self.header_res_field, &lower);
                self.header_res_value
            }
            None => return,
        };
        if pos == self.header_req_value || pos == self.header_res_value {
            let v = trim_start(value);
            let v = &v[..v.len().min(self.value_max_len)];
            s.fields.string_add(reg, pos, &latin1_lower(v));
        } else {
            add_typed(&mut s.fields, reg, pos, value);
        }
    }

    /// A request's path and query (`http_common_parse_url`).
    pub(crate) fn common_parse_url(&self, cx: &mut Cx, s: &mut Session, url: &[u8]) {
        let mut st = Info::default();
        let mut cb = Cb {
            st: &mut st,
            cfg: self,
            cx,
            s,
        };
        cb.parse_url(url);
    }

    /// A Cookie header's keys (and values) (`http_common_parse_cookie`).
    pub(crate) fn common_parse_cookie(&self, cx: &mut Cx, s: &mut Session, c: &[u8]) {
        let mut st = Info::default();
        let mut cb = Cb {
            st: &mut st,
            cfg: self,
            cx,
            s,
        };
        cb.parse_cookie(c);
    }
}

/// The protocol a request path names (the HTTP sub-parsers Arkime's misc.c registers:
/// AD CS enrollment, WinRM), matched whole and without case.
pub fn path_protocol(path: &[u8]) -> Option<&'static str> {
    const PATHS: [(&str, &str); 12] = [
        ("/certsrv/", "adcs-web"),
        ("/certsrv/certfnsh.asp", "adcs-web"),
        ("/certsrv/certrqxt.asp", "adcs-web"),
        ("/certsrv/certrqma.asp", "adcs-web"),
        ("/certsrv/certrqus.asp", "adcs-web"),
        ("/certsrv/certcarc.asp", "adcs-web"),
        ("/certsrv/mscep/mscep.dll", "adcs-ndes"),
        ("/certsrv/mscep_admin/", "adcs-ndes"),
        ("/adpolicyprovider_cep_kerberos/service.svc/cep", "adcs-cep"),
        (
            "/adpolicyprovider_cep_usernamepassword/service.svc/cep",
            "adcs-cep",
        ),
        ("/enrollmentserver/service.svc", "adcs-ces"),
        ("/wsman", "winrm"),
    ];
    if path.is_empty() || path.len() >= 256 {
        return None;
    }
    PATHS
        .iter()
        .find(|(p, _)| p.as_bytes().eq_ignore_ascii_case(path))
        .map(|(_, proto)| *proto)
}

/// Cookie keys (false) and, when `values`, values (true), in order, from a Cookie
/// header (Arkime's `http_common_parse_cookie`). Keys may be empty.
pub fn cookies(c: &[u8], values: bool) -> Vec<(bool, &[u8])> {
    let mut out = Vec::new();
    let end = c.len();
    let mut start = 0;
    while start < end {
        while start < end && c[start].is_ascii_whitespace() {
            start += 1;
        }
        let Some(eq) = c[start..]
            .iter()
            .position(|&b| b == b'=')
            .map(|i| start + i)
        else {
            break;
        };
        out.push((false, &c[start..eq]));
        let semi = c[eq + 1..]
            .iter()
            .position(|&b| b == b';')
            .map(|i| eq + 1 + i);
        if values {
            let mut v = eq + 1;
            while v < end && c[v].is_ascii_whitespace() {
                v += 1;
            }
            if v < end && Some(v) != semi {
                out.push((true, &c[v..semi.unwrap_or(end)]));
            }
        }
        let Some(semi) = semi else { break };
        start = semi + 1;
    }
    out
}

/// What an Authorization (or WWW-Authenticate) value gives.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Auth<'a> {
    /// The scheme, as sent (lower-cased when stored).
    pub scheme: Option<&'a [u8]>,
    /// The user of a Basic or Digest credential.
    pub user: Option<Vec<u8>>,
    /// The base64 blob of an NTLM or Negotiate credential.
    pub ntlm: Option<&'a [u8]>,
}

/// The scheme and user (or NTLM blob) of an auth header (Arkime's
/// `arkime_http_parse_authorization`).
pub fn authorization(auth: &[u8]) -> Auth<'_> {
    let mut out = Auth::default();
    let s = until_nul(auth);
    let skip_ws = |b: &[u8]| -> usize {
        b.iter()
            .position(|c| !c.is_ascii_whitespace())
            .unwrap_or(b.len())
    };
    let s = &s[skip_ws(s)..];
    let Some(space) = s.iter().position(|&c| c == b' ') else {
        return out;
    };
    out.scheme = Some(&s[..space]);
    let starts = |p: &[u8]| s.len() >= p.len() && s[..p.len()].eq_ignore_ascii_case(p);
    if starts(b"ntlm") || starts(b"negotiate") {
        let b64 = &s[space..];
        let b64 = &b64[skip_ws(b64)..];
        if !b64.is_empty() {
            out.ntlm = Some(b64);
        }
        return out;
    }
    if starts(b"basic") {
        let rest = &s[5..];
        let rest = &rest[skip_ws(rest)..];
        if rest.len() < 2 || rest.starts_with(b"token=") {
            return out;
        }
        let decoded = base64::decode(rest);
        if decoded.is_empty() {
            return out;
        }
        let decoded = until_nul(&decoded);
        let user = decoded
            .iter()
            .position(|&c| c == b':')
            .map_or(decoded, |i| &decoded[..i]);
        out.user = Some(user.to_vec());
    } else if starts(b"digest") {
        // Arkime skips five bytes here, not six; harmless as "username" is searched.
        let rest = &s[5..];
        let rest = &rest[skip_ws(rest)..];
        let Some(u) = find(rest, b"username") else {
            return out;
        };
        let mut r = &rest[u + 8..];
        r = &r[skip_ws(r)..];
        if r.first() != Some(&b'=') {
            return out;
        }
        r = &r[1..];
        r = &r[skip_ws(r)..];
        let quote = r.first() == Some(&b'"');
        if quote {
            r = &r[1..];
        }
        let end = r
            .iter()
            .position(|&c| if quote { c == b'"' } else { c == b',' })
            .unwrap_or(r.len());
        out.user = Some(r[..end].to_vec());
    }
    out
}

/// The path of a request target and its query pieces, still escaped: keys (false)
/// and, when `values`, values (true), in order (Arkime's `http_common_parse_url`).
pub fn query(url: &[u8], values: bool) -> (&[u8], Vec<(bool, &[u8])>) {
    let Some(q) = url.iter().position(|&c| c == b'?') else {
        return (url, Vec::new());
    };
    let mut out = Vec::new();
    let mut is_value = false;
    let mut start = q + 1;
    let mut ch = start;
    while ch < url.len() {
        if url[ch] == b'&' || url[ch] == b'=' {
            if ch != start && (values || !is_value) {
                out.push((is_value, &url[start..ch]));
            }
            start = ch + 1;
            is_value = url[ch] == b'=';
        }
        ch += 1;
    }
    if values && is_value && ch > start {
        out.push((true, &url[start..ch]));
    }
    (&url[..q], out)
}

impl Callbacks for Cb<'_, '_> {
    fn on_message_begin(&mut self, _p: &HttpParser) {
        let w = self.st.which;
        let bit = w.bit();
        self.st.in_header &= !bit;
        self.st.in_value &= !bit;
        self.st.in_body &= !bit;
        self.st.md5[w] = Md5::new();
        self.st.sha256[w] = Sha256::new();
    }

    fn on_url(&mut self, _p: &HttpParser, at: &[u8]) {
        if self.st.url.is_none() {
            self.st.url_which = self.st.which;
        }
        append(&mut self.st.url, at);
    }

    fn on_header_field(&mut self, _p: &HttpParser, at: &[u8]) {
        let w = self.st.which;
        let bit = w.bit();
        if self.st.in_value & bit != 0 {
            self.st.in_value &= !bit;
            self.st.header[w].clear();
            if self.st.pos[w].is_some() {
                self.flush_value();
            }
        }
        self.st.in_header |= bit;
        let h = &mut self.st.header[w];
        let room = HEADER_NAME_MAX.saturating_sub(h.len());
        h.extend_from_slice(&at[..at.len().min(room)]);
    }

    fn on_header_value(&mut self, _p: &HttpParser, at: &[u8]) {
        let cfg = self.cfg;
        let w = self.st.which;
        let bit = w.bit();
        let request = w == self.st.url_which;
        if self.st.in_value & bit == 0 {
            self.st.in_value |= bit;
            let lower = latin1_lower(&self.st.header[w]);
            let map = if request {
                &cfg.req_headers
            } else {
                &cfg.res_headers
            };
            let mut pos = map.get(&lower).copied();
            if pos.is_none() {
                if request && self.cfg.all_req {
                    self.add_str(self.cfg.header_req_field, lower.as_bytes());
                    pos = Some(self.cfg.header_req_value);
                } else if !request && self.cfg.all_res {
                    self.add_str(self.cfg.header_res_field, lower.as_bytes());
                    pos = Some(self.cfg.header_res_value);
                }
            }
            self.st.pos[w] = pos;
            if request {
                self.add_str(self.cfg.tags_req, lower.as_bytes());
            } else {
                self.add_str(self.cfg.tags_res, lower.as_bytes());
                if lower == "upgrade" && at.starts_with(b"h2c") {
                    self.st.http2_upgrade = true;
                }
            }
            if lower == "upgrade" && at.len() >= 9 && at[..9].eq_ignore_ascii_case(b"websocket") {
                self.st.websocket_upgrade = 1;
            }
        }

        let name = until_nul(&self.st.header[w]);
        let is = |n: &[u8]| name.eq_ignore_ascii_case(n);
        if request {
            if is(b"host") {
                append(&mut self.st.host, at);
            } else if is(b"cookie") {
                append(&mut self.st.cookie, at);
            } else if is(b"authorization") {
                append(&mut self.st.auth, at);
            } else if is(b"proxy-authorization") {
                append(&mut self.st.proxy_auth, at);
            }
        } else if is(b"www-authenticate") {
            append(&mut self.st.auth, at);
        } else if is(b"proxy-authenticate") {
            append(&mut self.st.proxy_auth, at);
        }

        if self.st.pos[w].is_some() {
            append(&mut self.st.value[w], at);
        }
    }

    fn on_headers_complete(&mut self, p: &HttpParser) -> bool {
        let w = self.st.which;
        let bit = w.bit();
        let mut skip_body = false;
        if p.method == method::CONNECT {
            self.st.reclassify |= bit;
            self.st.is_connect |= bit;
        } else if self.st.is_connect != 0 && (200..300).contains(&p.status_code) {
            // The answer to a CONNECT: after these headers this direction carries the
            // tunnel, which is classified, not hashed as a body.
            self.st.reclassify |= bit;
            self.st.is_connect |= bit;
            skip_body = true;
        }

        let version = format!("{}.{}", p.http_major, p.http_minor);
        let reg = &self.cx.shared.fields;
        if p.status_code == 0 {
            if let Some(c) = self.st.method_counts.get_mut(usize::from(p.method)) {
                *c += 1;
            }
            self.s
                .fields
                .string_add(reg, self.cfg.method, method_str(p.method));
            self.s.fields.string_add(reg, self.cfg.ver_req, &version);
        } else {
            self.s
                .fields
                .int_add(reg, self.cfg.status_code, u32::from(p.status_code));
            self.s.fields.string_add(reg, self.cfg.ver_res, &version);
        }

        if self.st.in_value & bit != 0 && self.st.pos[w].is_some() {
            self.flush_value();
        }
        self.st.header[0].clear();
        self.st.header[1].clear();

        // A C `char` is signed: bytes from 0x80 count as control characters too.
        let control = self
            .st
            .url
            .as_ref()
            .is_some_and(|url| until_nul(url).iter().any(|&c| !(32..128).contains(&c)));
        if control {
            self.tag("http:control-char");
        }

        if let Some(c) = self.st.cookie.take() {
            if c.first().is_some_and(|&b| b != 0) {
                self.parse_cookie(&c);
            }
            self.st.cookie = Some(Vec::new());
        }
        if let Some(a) = self.st.auth.take() {
            if a.first().is_some_and(|&b| b != 0) {
                self.parse_authorization(&a);
            }
            self.st.auth = Some(Vec::new());
        }
        if let Some(a) = self.st.proxy_auth.take() {
            if a.first().is_some_and(|&b| b != 0) {
                self.parse_authorization(&a);
            }
            self.st.proxy_auth = Some(Vec::new());
        }

        if let Some(h) = self.st.host.as_mut() {
            h.make_ascii_lowercase();
        }

        let mut truncated = false;
        let mut cut = |mut v: Vec<u8>| {
            if v.len() > MAX_URL_LENGTH {
                truncated = true;
                v.truncate(MAX_URL_LENGTH);
            }
            v
        };
        match (self.st.url.take(), self.st.host.take()) {
            (Some(url), Some(host)) => {
                let hs = until_nul(&host);
                let name = hs.iter().position(|&c| c == b':').map_or(hs, |i| &hs[..i]);
                self.add_str(self.cfg.host, name);
                self.parse_url(&url);
                let uri = if url.first() != Some(&b'/') {
                    // An absolute URI: keep it as is when the host is near its start.
                    match find(until_nul(&url), hs) {
                        Some(off) if off <= 8 => cut(url),
                        _ => {
                            let mut v = hs.to_vec();
                            v.push(b';');
                            v.extend_from_slice(&url);
                            cut(v)
                        }
                    }
                } else {
                    let mut v = hs.to_vec();
                    v.extend_from_slice(&url);
                    cut(v)
                };
                self.add_str(self.cfg.urls, &uri);
            }
            (Some(url), None) => {
                let uri = cut(url);
                self.add_str(self.cfg.urls, &uri);
            }
            (None, Some(host)) => {
                let hs = until_nul(&host);
                let name = hs.iter().position(|&c| c == b':').map_or(hs, |i| &hs[..i]);
                self.add_str(self.cfg.host, name);
            }
            (None, None) => {}
        }
        if truncated {
            self.tag("http:url-truncated");
        }

        self.cx.add_protocol(self.s, "http");
        if self.st.websocket_upgrade != 0 && p.status_code == 101 {
            self.cx.add_protocol(self.s, "websocket");
            self.st.websocket_upgrade = 2;
        }
        skip_body
    }

    fn on_body(&mut self, _p: &HttpParser, at: &[u8]) {
        let w = self.st.which;
        let bit = w.bit();
        if self.st.in_body & bit == 0 {
            if memcasestr(at, b"password=")
                || memcasestr(at, b"passwd=")
                || memcasestr(at, b"pass=")
            {
                self.tag("http:password");
            }
            if self.cfg.magic_mode == MagicMode::Basic {
                if let Some(m) = magic::basic(at) {
                    let reg = &self.cx.shared.fields;
                    self.s.fields.string_add(reg, self.cfg.magic, m);
                }
            }
            self.st.in_body |= bit;
            if w == self.st.url_which && !at.is_empty() && at.len() <= self.cfg.max_req_body {
                let utf8 = std::str::from_utf8(at).is_ok() && !at.contains(&0);
                if !self.cfg.req_body_only_utf8 || utf8 {
                    self.add_str(self.cfg.req_body, at);
                }
            }
        }
        self.st.md5[w].update(at);
        if self.cfg.sha256.is_some() {
            self.st.sha256[w].update(at);
        }
    }

    fn on_message_complete(&mut self, _p: &HttpParser) {
        let w = self.st.which;
        if self.st.in_body & w.bit() == 0 {
            return;
        }
        let md5 = hex(&std::mem::take(&mut self.st.md5[w]).finalize());
        let reg = &self.cx.shared.fields;
        self.s.fields.string_add(reg, self.cfg.md5, &md5);
        if let Some(id) = self.cfg.sha256 {
            let sha = hex(&std::mem::take(&mut self.st.sha256[w]).finalize());
            self.s.fields.string_add(reg, id, &sha);
        }
    }
}

/// Position of `needle` in `hay` (`strstr`; an empty needle is found at 0).
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `%XX` unescaping as GLib's `g_uri_unescape_segment` does it: None for a `%` not
/// followed by two hex digits, or for an escaped NUL. `+` stays `+`.
fn unescape(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            let h = |c: u8| (c as char).to_digit(16);
            let (Some(a), Some(b)) = (
                s.get(i + 1).copied().and_then(h),
                s.get(i + 2).copied().and_then(h),
            ) else {
                return None;
            };
            let c = (a * 16 + b) as u8;
            if c == 0 {
                return None;
            }
            out.push(c);
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The HTTP parser of one session.
#[derive(Debug)]
struct Http {
    cfg: Arc<HttpConfig>,
    parsers: [HttpParser; 2],
    st: Info,
}

impl Http {
    fn flush_method_counts(&mut self, cx: &mut Cx, s: &mut Session) {
        let reg = &cx.shared.fields;
        for (i, c) in self.st.method_counts.iter_mut().enumerate() {
            if *c != 0 {
                s.fields.int_add(reg, self.cfg.method_counts[i], *c);
                *c = 0;
            }
        }
    }
}

impl Parser for Http {
    fn name(&self) -> &'static str {
        "http"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
        if self.st.http2_upgrade {
            classify_tcp(cx, s, data, dir);
            return Parsed::Skip;
        }
        if self.st.websocket_upgrade == 2 {
            // The frames from here on are WebSocket's (they get these bytes too).
            crate::websocket::attach(self.cfg.websocket, s);
            return Parsed::Skip;
        }
        let bit = dir.bit();
        self.st.which = dir;
        if self.st.is_connect != 0 && self.st.reclassify & bit != 0 {
            self.st.reclassify &= !bit;
            classify_tcp(cx, s, data, dir);
            if self.st.reclassify == 0 && self.st.is_connect == 3 {
                self.flush_method_counts(cx, s);
                return Parsed::Skip;
            }
            return Parsed::Done(0);
        }
        if self.st.w_parsers & bit == 0 {
            return Parsed::Done(0);
        }
        let cfg = &*self.cfg;
        let mut rest = data;
        while !rest.is_empty() {
            let mut cb = Cb {
                st: &mut self.st,
                cfg,
                cx: &mut *cx,
                s: &mut *s,
            };
            let n = self.parsers[dir].execute(&mut cb, rest);
            if n == 0 {
                self.st.w_parsers &= !bit;
                if self.st.w_parsers == 0 {
                    return Parsed::Skip;
                }
                break;
            }
            rest = &rest[n.min(rest.len())..];
        }
        Parsed::Done(0)
    }

    fn save(&mut self, cx: &mut Cx, s: &mut Session, final_: bool) {
        self.flush_method_counts(cx, s);
        if !final_ {
            return;
        }
        let cfg = &*self.cfg;
        // End of stream: a body read until the close completes now.
        for d in 0..2 {
            if self.st.w_parsers & (1 << d) != 0 {
                let mut cb = Cb {
                    st: &mut self.st,
                    cfg,
                    cx: &mut *cx,
                    s: &mut *s,
                };
                self.parsers[d].execute(&mut cb, &[]);
            }
        }
    }
}

fn classify(cx: &mut Cx, s: &mut Session, cfg: &Arc<HttpConfig>) {
    if cx.has_protocol(s, "http") {
        return;
    }
    cx.add_protocol(s, "http");
    let st = Info {
        w_parsers: 3,
        ..Info::default()
    };
    register_parser(
        s,
        Box::new(Http {
            cfg: Arc::clone(cfg),
            parsers: [
                HttpParser::new(ParserKind::Both),
                HttpParser::new(ParserKind::Both),
            ],
            st,
        }),
    );
}

/// Defines the fields of one `[headers-http-request]`/`[headers-http-response]` section
/// (Arkime's `arkime_config_load_header`) into `map`.
fn load_headers(
    f: &mut FieldRegistry,
    entries: &[(String, String)],
    section: &str,
    help_base: &str,
    exp_base: &str,
    db_base: &str,
    map: &mut HashMap<String, FieldId>,
) {
    for (name, value) in entries {
        let mut kind = "termfield";
        let mut numeric = false;
        let mut ip = false;
        let mut unique = true;
        let mut count = false;
        for v in value.split(';').map(str::trim) {
            match v {
                "type:integer" | "type:seconds" | "type:date" => {
                    numeric = true;
                    kind = &v[5..];
                }
                "type:ip" => ip = true,
                "unique:false" => unique = false,
                "count:true" => count = true,
                _ => {}
            }
        }
        if map.contains_key(name) {
            tracing::warn!("ignoring field {name} for {section}: already defined");
            continue;
        }
        let ty = if ip {
            kind = "ip";
            FieldType::IpGHash
        } else if numeric {
            if unique {
                FieldType::IntGHash
            } else {
                FieldType::IntArray
            }
        } else if unique {
            FieldType::StrHash
        } else {
            FieldType::StrArray
        };
        let exp = format!("{exp_base}{name}");
        let id = f.define(
            "http",
            kind,
            &exp,
            &exp,
            &format!("{db_base}{name}"),
            &format!("{help_base}{name}"),
            ty,
            if count { flags::CNT } else { 0 },
        );
        map.insert(name.clone(), id);
    }
}

/// The HTTP parser's options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpOptions {
    /// `supportSha256`: also hash bodies with SHA-256.
    pub support_sha256: bool,
    /// `[headers-http-request]`: more request headers to keep.
    pub headers_request: Vec<(String, String)>,
    /// `[headers-http-response]`: more response headers to keep.
    pub headers_response: Vec<(String, String)>,
    /// `magicMode` is not `none`: find bodies' content types.
    pub magic: bool,
    /// `parseQSValue`.
    pub parse_qs_value: bool,
    /// `parseCookieValue`.
    pub parse_cookie_value: bool,
    /// `parseHTTPHeaderRequestAll`.
    pub all_req: bool,
    /// `parseHTTPHeaderResponseAll`.
    pub all_res: bool,
    /// `maxReqBody` (0 to 0x7fff, default 256).
    pub max_req_body: u32,
    /// `reqBodyOnlyUtf8` (default true).
    pub req_body_only_utf8: bool,
    /// `parseHTTPHeaderValueMaxLen` (1 to 2048, default 1024).
    pub value_max_len: u32,
}

impl HttpOptions {
    /// Reads them from the config.
    pub fn from_config(cfg: &Config) -> Result<HttpOptions, ConfigError> {
        let uint = |key: &str, d: u32, min: u32, max: u32| -> Result<u32, ConfigError> {
            let v = cfg.get_int(key, d.into(), min.into(), max.into())?;
            Ok(u32::try_from(v).unwrap_or(max))
        };
        let section = |name: &str| cfg.section(name).map(<[_]>::to_vec).unwrap_or_default();
        Ok(HttpOptions {
            support_sha256: cfg.get_bool("supportSha256", false)?,
            headers_request: section("headers-http-request"),
            headers_response: section("headers-http-response"),
            magic: trawl_config::MagicMode::from_config(cfg)? != trawl_config::MagicMode::None,
            parse_qs_value: cfg.get_bool("parseQSValue", false)?,
            parse_cookie_value: cfg.get_bool("parseCookieValue", false)?,
            all_req: cfg.get_bool("parseHTTPHeaderRequestAll", false)?,
            all_res: cfg.get_bool("parseHTTPHeaderResponseAll", false)?,
            max_req_body: uint("maxReqBody", 256, 0, 0x7fff)?,
            req_body_only_utf8: cfg.get_bool("reqBodyOnlyUtf8", true)?,
            value_max_len: uint("parseHTTPHeaderValueMaxLen", 1024, 1, 2048)?,
        })
    }
}

const HTTP: FieldSpec = FieldSpec::new("http", FieldType::StrHash).flags(Flags::CNT);
const FAKE: FieldSpec = FieldSpec::new("http", FieldType::StrHash).flags(Flags::FAKE);
const HEADERS: FieldSpec = FieldSpec::new("http", FieldType::StrArray);
const METHOD_COUNT: FieldSpec = FieldSpec::new("http", FieldType::Int);

/// The HTTP fields defined before `http.sha256` (the fake ones are for the viewer).
pub const FIELDS: [FieldSpec; 16] = [
    HTTP.named("host.http", "http.host", Kind::LoTermField)
        .text("HTTP Host", "HTTP host header field")
        .category("host"),
    FAKE.named("host.http.tokens", "http.hostTokens", Kind::LoTextField)
        .text("HTTP Host Tokens", "HTTP host Tokens header field"),
    HTTP.named("http.uri", "http.uri", Kind::TermField)
        .text("HTTP URI", "URIs for request")
        .category("url,host"),
    FAKE.named("http.uri.tokens", "http.uriTokens", Kind::LoTextField)
        .text("HTTP URI Tokens", "URI tokens for request"),
    HTTP.named("ip.xff", "http.xffIp", Kind::Ip)
        .text("HTTP XFF IP", "X-Forwarded-For Header")
        .ty(FieldType::IpGHash)
        .category("ip"),
    HTTP.named("http.user-agent", "http.useragent", Kind::TermField)
        .text("HTTP Useragent", "User-Agent Header"),
    FAKE.named(
        "http.user-agent.tokens",
        "http.useragentTokens",
        Kind::LoTextField,
    )
    .text("HTTP Useragent Tokens", "User-Agent Header Tokens"),
    HTTP.named(
        "http.hasheader.src",
        "http.requestHeader",
        Kind::LoTermField,
    )
    .text("HTTP Src Header", "Request has header present"),
    HTTP.named(
        "http.hasheader.dst",
        "http.responseHeader",
        Kind::LoTermField,
    )
    .text("HTTP Dst Header", "Response has header present"),
    HEADERS
        .named(
            "http.header.request.field",
            "http.requestHeaderField",
            Kind::LoTermField,
        )
        .text("Request Header Fields", "Contains Request header fields")
        .flags(Flags::NODB),
    HEADERS
        .named(
            "http.hasheader.src.value",
            "http.requestHeaderValue",
            Kind::LoTermField,
        )
        .text("Request Header Values", "Contains request header values")
        .flags(Flags::CNT),
    HEADERS
        .named(
            "http.header.response.field",
            "http.responseHeaderField",
            Kind::LoTermField,
        )
        .text("Response Header fields", "Contains response header fields")
        .flags(Flags::NODB),
    HEADERS
        .named(
            "http.hasheader.dst.value",
            "http.responseHeaderValue",
            Kind::LoTermField,
        )
        .text("Response Header Values", "Contains response header values")
        .flags(Flags::CNT),
    FAKE.named("http.hasheader", "hhall", Kind::LoTermField)
        .text(
            "Has Src or Dst Header",
            "Shorthand for http.hasheader.src or http.hasheader.dst",
        ),
    FAKE.named("http.hasheader.value", "hhvalueall", Kind::LoTermField)
        .text(
            "Has Value in Src or Dst Header",
            "Shorthand for http.hasheader.src.value or http.hasheader.dst.value",
        ),
    HTTP.named("http.md5", "http.md5", Kind::LoTermField)
        .text("HTTP Body MD5", "MD5 of http body response")
        .category("md5"),
];

/// `http.sha256`, defined (after [`FIELDS`]) only with `supportSha256`.
pub const SHA256_FIELD: FieldSpec = HTTP
    .named("http.sha256", "http.sha256", Kind::LoTermField)
    .text("HTTP Body SHA256", "SHA256 of http body response")
    .category("sha256");

/// The HTTP fields defined after `http.sha256`.
pub const MORE_FIELDS: [FieldSpec; 14] = [
    FAKE.named("http.version", "httpversion", Kind::TermField)
        .text("HTTP Version", "HTTP version number"),
    HTTP.named("http.version.src", "http.clientVersion", Kind::TermField)
        .text("HTTP Src Version", "Request HTTP version number"),
    HTTP.named("http.version.dst", "http.serverVersion", Kind::TermField)
        .text("HTTP Dst Version", "Response HTTP version number"),
    HTTP.named("http.uri.path", "http.path", Kind::TermField)
        .text("HTTP URI Path", "Path portion of URI"),
    HTTP.named("http.uri.key", "http.key", Kind::TermField)
        .text("HTTP QS Keys", "Keys from query string of URI"),
    HTTP.named("http.uri.value", "http.value", Kind::TermField)
        .text("HTTP QS Values", "Values from query string of URI"),
    HTTP.named("http.cookie.key", "http.cookieKey", Kind::TermField)
        .text(
            "HTTP Cookie Keys",
            "The keys to cookies sent up in requests",
        ),
    HTTP.named("http.cookie.value", "http.cookieValue", Kind::TermField)
        .text(
            "HTTP Cookie Values",
            "The values of cookies sent in requests",
        ),
    HTTP.named("http.method", "http.method", Kind::TermField)
        .text("HTTP Request Method", "HTTP Request Method"),
    HTTP.named("http.bodymagic", "http.bodyMagic", Kind::TermField)
        .text(
            "HTTP Body Magic",
            "The content type of body determined by libfile/magic",
        ),
    HTTP.named("http.user", "http.user", Kind::TermField)
        .text("HTTP User", "HTTP Auth User")
        .category("user"),
    HTTP.named("http.authtype", "http.authType", Kind::LoTermField)
        .text("HTTP Auth Type", "HTTP Auth Type"),
    HTTP.named("http.statuscode", "http.statuscode", Kind::Integer)
        .text("HTTP Status Code", "Response HTTP numeric status code")
        .ty(FieldType::IntGHash),
    HTTP.named("http.reqbody", "http.requestBody", Kind::TermField)
        .text("HTTP Request Body", "HTTP Request Body")
        .flags(Flags::NONE),
];

/// `http.method-<NAME>` counts, for the methods up to [`MAX_COUNTED_METHOD`] in the
/// tokenizer's order ([`method_str`]).
pub const METHOD_COUNT_FIELDS: [FieldSpec; MAX_COUNTED_METHOD + 1] = [
    METHOD_COUNT
        .named("http.method.DELETE", "http.method-DELETE", Kind::Integer)
        .text(
            "Method DELETE Count",
            "Number of DELETE method calls in session",
        ),
    METHOD_COUNT
        .named("http.method.GET", "http.method-GET", Kind::Integer)
        .text("Method GET Count", "Number of GET method calls in session"),
    METHOD_COUNT
        .named("http.method.HEAD", "http.method-HEAD", Kind::Integer)
        .text(
            "Method HEAD Count",
            "Number of HEAD method calls in session",
        ),
    METHOD_COUNT
        .named("http.method.POST", "http.method-POST", Kind::Integer)
        .text(
            "Method POST Count",
            "Number of POST method calls in session",
        ),
    METHOD_COUNT
        .named("http.method.PUT", "http.method-PUT", Kind::Integer)
        .text("Method PUT Count", "Number of PUT method calls in session"),
    METHOD_COUNT
        .named("http.method.CONNECT", "http.method-CONNECT", Kind::Integer)
        .text(
            "Method CONNECT Count",
            "Number of CONNECT method calls in session",
        ),
    METHOD_COUNT
        .named("http.method.OPTIONS", "http.method-OPTIONS", Kind::Integer)
        .text(
            "Method OPTIONS Count",
            "Number of OPTIONS method calls in session",
        ),
];

/// Defines the HTTP fields (and the configured header fields), then the WebSocket
/// fields the HTTP parser hands upgraded sessions to, and registers the classifiers.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry, st: &HttpOptions) -> Arc<HttpConfig> {
    // Authorization headers may carry NTLMSSP (the fields are Arkime's core ones:
    // defined already when every family is registered).
    let ntlm = ntlm::fields(f);
    let [host, _, urls, _, xff, ua, _, tags_req, tags_res, header_req_field, header_req_value, header_res_field, header_res_value, _, _, md5] =
        f.define_all(&FIELDS);
    let sha256 = st.support_sha256.then(|| f.define_spec(&SHA256_FIELD));
    let [_, ver_req, ver_res, path, key, value, cookie_key, cookie_value, method_f, magic_f, user, auth_type, status_code, req_body] =
        f.define_all(&MORE_FIELDS);
    let method_counts = f.define_all(&METHOD_COUNT_FIELDS);

    let mut req_headers = HashMap::new();
    req_headers.insert("x-forwarded-for".to_string(), xff);
    req_headers.insert("user-agent".to_string(), ua);
    req_headers.insert("host".to_string(), host);
    let mut res_headers = HashMap::new();
    load_headers(
        f,
        &st.headers_request,
        "headers-http-request",
        "Request header ",
        "http.request.",
        "http.request-",
        &mut req_headers,
    );
    load_headers(
        f,
        &st.headers_response,
        "headers-http-response",
        "Response header ",
        "http.response.",
        "http.response-",
        &mut res_headers,
    );
    let websocket = crate::websocket::register(f);

    let magic_mode = if !st.magic {
        MagicMode::None
    } else {
        MagicMode::Basic
    };
    let cfg = Arc::new(HttpConfig {
        host,
        urls,
        tags_req,
        tags_res,
        header_req_field,
        header_req_value,
        header_res_field,
        header_res_value,
        md5,
        sha256,
        ver_req,
        ver_res,
        path,
        key,
        value,
        cookie_key,
        cookie_value,
        method: method_f,
        magic: magic_f,
        user,
        auth_type,
        status_code,
        req_body,
        method_counts,
        req_headers,
        res_headers,
        parse_qs_value: st.parse_qs_value,
        parse_cookie_value: st.parse_cookie_value,
        all_req: st.all_req,
        all_res: st.all_res,
        max_req_body: st.max_req_body as usize,
        req_body_only_utf8: st.req_body_only_utf8,
        value_max_len: st.value_max_len as usize,
        magic_mode,
        ntlm,
        websocket,
    });
    // A stream starts with a request method the tokenizer knows, or (TCP only) with
    // `HTTP` when it is seen from its response.
    for m in METHOD_STRINGS {
        let tcp = Arc::clone(&cfg);
        c.register_tcp("http", 0, 0, m.as_bytes(), move |cx, s, _, _, _| {
            classify(cx, s, &tcp)
        });
        let sctp = Arc::clone(&cfg);
        c.register_sctp("http", 0, 0, m.as_bytes(), move |cx, s, _, _, _| {
            classify(cx, s, &sctp)
        });
    }
    let response = Arc::clone(&cfg);
    c.register_tcp("http", 0, 0, b"HTTP", move |cx, s, _, _, _| {
        classify(cx, s, &response)
    });
    cfg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> trawl_config::Config {
        trawl_config::Config::from_str(text, "test.ini", "test", &[]).unwrap()
    }

    #[test]
    fn options_from_the_config() {
        let d = HttpOptions::from_config(&config("[default]\n")).unwrap();
        assert!(d.magic && d.req_body_only_utf8 && !d.parse_qs_value && !d.support_sha256);
        assert_eq!((d.max_req_body, d.value_max_len), (256, 1024));
        let c = config(
            "[default]\nmagicMode=none\nparseQSValue=true\nparseCookieValue=true\n\
             maxReqBody=2000\nparseHTTPHeaderValueMaxLen=9999\nsupportSha256=true\n\
             parseHTTPHeaderRequestAll=true\nparseHTTPHeaderResponseAll=true\n\
             [headers-http-request]\nreferer=type:string;count:true\n",
        );
        let o = HttpOptions::from_config(&c).unwrap();
        assert!(!o.magic && o.parse_qs_value && o.parse_cookie_value && o.support_sha256);
        assert!(o.all_req && o.all_res);
        // Out of range is clamped, as Arkime does.
        assert_eq!((o.max_req_body, o.value_max_len), (2000, 2048));
        assert_eq!(
            o.headers_request,
            [("referer".to_string(), "type:string;count:true".to_string())]
        );
        let bad = config("[default]\nmagicMode=sometimes\n");
        let e = HttpOptions::from_config(&bad).unwrap_err().to_string();
        assert!(e.contains("magicMode"), "{e}");
    }

    #[test]
    fn method_count_fields_follow_the_tokenizer() {
        for (i, spec) in METHOD_COUNT_FIELDS.iter().enumerate() {
            let m = method_str(i as u8);
            assert_eq!(spec.expression, format!("http.method.{m}"));
            assert_eq!(spec.db, format!("http.method-{m}"));
            assert_eq!(spec.friendly, format!("Method {m} Count"));
            assert_eq!(spec.help, format!("Number of {m} method calls in session"));
        }
    }

    #[test]
    fn sub_protocols_by_path() {
        assert_eq!(path_protocol(b"/wsman"), Some("winrm"));
        assert_eq!(path_protocol(b"/WSMan"), Some("winrm"));
        assert_eq!(path_protocol(b"/certsrv/certfnsh.asp"), Some("adcs-web"));
        assert_eq!(path_protocol(b"/wsman/x"), None);
        assert_eq!(path_protocol(b""), None);
    }

    #[test]
    fn cookie_pieces() {
        let c = b" a=1; b = 2;c=;=x; d";
        let got: Vec<(bool, &[u8])> = cookies(c, true);
        assert_eq!(
            got,
            [
                (false, &b"a"[..]),
                (true, b"1"),
                (false, b"b "),
                (true, b"2"),
                (false, b"c"),
                (false, b""),
                (true, b"x"),
            ]
        );
        assert!(cookies(c, false).iter().all(|(v, _)| !v));
    }

    #[test]
    fn query_pieces() {
        let (path, q) = query(b"/p/a?x=1&y=%41&z&=v&w=", true);
        assert_eq!(path, b"/p/a");
        let want: [(bool, &[u8]); 7] = [
            (false, b"x"),
            (true, b"1"),
            (false, b"y"),
            (true, b"%41"),
            (false, b"z"),
            (true, b"v"),
            (false, b"w"),
        ];
        assert_eq!(q, want);
        let (_, q) = query(b"/?a=1&b=2", false);
        assert_eq!(q, [(false, &b"a"[..]), (false, b"b")]);
        assert_eq!(query(b"/plain", true), (&b"/plain"[..], vec![]));
    }

    #[test]
    fn unescaping_like_glib() {
        assert_eq!(unescape(b"a%20b+c").as_deref(), Some(&b"a b+c"[..]));
        assert_eq!(unescape(b"%zz"), None);
        assert_eq!(unescape(b"%4"), None);
        assert_eq!(unescape(b"a%00"), None);
        assert_eq!(unescape(b"%e9").as_deref(), Some(&[0xe9][..]));
    }

    #[test]
    fn auth_headers() {
        // "user:pass"
        let a = authorization(b"Basic dXNlcjpwYXNz");
        assert_eq!(a.scheme, Some(&b"Basic"[..]));
        assert_eq!(a.user.as_deref(), Some(&b"user"[..]));
        let a = authorization(b"Digest username=\"Mufasa\", realm=\"x\"");
        assert_eq!(a.user.as_deref(), Some(&b"Mufasa"[..]));
        let a = authorization(b"Digest realm=x, username = bob, nonce=1");
        assert_eq!(a.user.as_deref(), Some(&b"bob"[..]));
        let a = authorization(b"NTLM  TlRMTVNTUAAB");
        assert_eq!((a.scheme, a.user), (Some(&b"NTLM"[..]), None));
        assert_eq!(a.ntlm, Some(&b"TlRMTVNTUAAB"[..]));
        assert_eq!(authorization(b"Basic"), Auth::default());
        assert_eq!(authorization(b"Basic token=abc").user, None);
        let d = b"Digest username=\"Mufasa\", realm=\"x\"";
        for n in 0..=d.len() {
            let _ = authorization(&d[..n]);
            let _ = authorization(&b"Basic dXNlcjpwYXNz"[..n.min(18)]);
        }
    }
}
