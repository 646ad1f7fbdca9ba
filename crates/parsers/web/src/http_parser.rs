//! The HTTP/1.x message tokenizer Arkime's http.c drives: a byte-at-a-time state
//! machine with the behaviour of the `http_parser` 2.0 that Arkime builds (non-strict
//! mode, with Arkime's two leniencies: a request target that is not a URL is taken as a
//! path, and a header line without a colon starts its value at the first odd byte).
//!
//! It reports pieces through [`Callbacks`] as they are found and keeps no bytes: a
//! URL, header name or value, or body split across calls arrives in several pieces.
//! Where it stops on an error, [`HttpParser::execute`] returns how far it got and every
//! later call returns 0, as the C parser does; Arkime then stops parsing that direction.

/// What the tokenizer reports. `p` is the parser, for its method, status and version.
pub trait Callbacks {
    /// A message starts.
    fn on_message_begin(&mut self, p: &HttpParser);
    /// A piece of the request target.
    fn on_url(&mut self, p: &HttpParser, at: &[u8]);
    /// A piece of a header name.
    fn on_header_field(&mut self, p: &HttpParser, at: &[u8]);
    /// A piece of a header value (possibly empty).
    fn on_header_value(&mut self, p: &HttpParser, at: &[u8]);
    /// The headers are complete; return true if the message has no body (a response
    /// to HEAD, or the tunnel after a CONNECT).
    fn on_headers_complete(&mut self, p: &HttpParser) -> bool;
    /// A piece of the body (chunk framing removed).
    fn on_body(&mut self, p: &HttpParser, at: &[u8]);
    /// The message is complete.
    fn on_message_complete(&mut self, p: &HttpParser);
}

/// Which messages the parser expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Requests only.
    Request,
    /// Responses only.
    Response,
    /// Decided by the first message.
    Both,
}

/// Why the parser stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// End of stream in the middle of a message.
    InvalidEofState,
    /// More than 80 KiB of header bytes.
    HeaderOverflow,
    /// A bad HTTP version.
    InvalidVersion,
    /// A bad status code.
    InvalidStatus,
    /// A bad method.
    InvalidMethod,
    /// A bad request target.
    InvalidUrl,
    /// LF expected after the request line.
    LfExpected,
    /// A byte that cannot start a header name.
    InvalidHeaderToken,
    /// A non-digit in Content-Length, or an overflow.
    InvalidContentLength,
    /// A non-hex chunk size.
    InvalidChunkSize,
    /// A bad fixed string ("HTTP").
    InvalidConstant,
    /// Other (the C parser's HPE_UNKNOWN).
    Unknown,
}

/// `http_parser`'s method numbers; [`method_str`] gives their names.
pub mod method {
    pub const DELETE: u8 = 0;
    pub const GET: u8 = 1;
    pub const HEAD: u8 = 2;
    pub const POST: u8 = 3;
    pub const PUT: u8 = 4;
    pub const CONNECT: u8 = 5;
    pub const OPTIONS: u8 = 6;
    pub const TRACE: u8 = 7;
    pub const COPY: u8 = 8;
    pub const LOCK: u8 = 9;
    pub const MKCOL: u8 = 10;
    pub const MOVE: u8 = 11;
    pub const PROPFIND: u8 = 12;
    pub const PROPPATCH: u8 = 13;
    pub const SEARCH: u8 = 14;
    pub const UNLOCK: u8 = 15;
    pub const ACL: u8 = 16;
    pub const BIND: u8 = 17;
    pub const REBIND: u8 = 18;
    pub const UNBIND: u8 = 19;
    pub const MKCALENDAR: u8 = 20;
    pub const REPORT: u8 = 21;
    pub const MKACTIVITY: u8 = 22;
    pub const CHECKOUT: u8 = 23;
    pub const MERGE: u8 = 24;
    pub const MSEARCH: u8 = 25;
    pub const NOTIFY: u8 = 26;
    pub const SUBSCRIBE: u8 = 27;
    pub const UNSUBSCRIBE: u8 = 28;
    pub const PATCH: u8 = 29;
    pub const PURGE: u8 = 30;
    pub const LINK: u8 = 31;
    pub const UNLINK: u8 = 32;
    pub const SOURCE: u8 = 33;
    pub const PRI: u8 = 34;
    pub const QUERY: u8 = 35;
}

/// The method name table of the C parser (its names are matched against the rest of
/// a method and written as the method).
pub const METHOD_STRINGS: [&str; 36] = [
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
];

/// The name Arkime writes for method number `m`.
pub fn method_str(m: u8) -> &'static str {
    METHOD_STRINGS
        .get(usize::from(m))
        .copied()
        .unwrap_or("<unknown>")
}

const F_CHUNKED: u8 = 1;
const F_CONNECTION_KEEP_ALIVE: u8 = 2;
const F_CONNECTION_CLOSE: u8 = 4;
const F_TRAILING: u8 = 8;
const F_UPGRADE: u8 = 16;
const F_SKIPBODY: u8 = 32;

const MAX_HEADER_SIZE: u32 = 80 * 1024;

/// States, in the C order: everything up to `HeadersDone` counts as header bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum State {
    Dead,
    StartReqOrRes,
    ResOrRespH,
    StartRes,
    ResH,
    ResHT,
    ResHTT,
    ResHTTP,
    ResFirstHttpMajor,
    ResHttpMajor,
    ResFirstHttpMinor,
    ResHttpMinor,
    ResFirstStatusCode,
    ResStatusCode,
    ResStatus,
    ResLineAlmostDone,
    StartReq,
    ReqMethod,
    ReqSpacesBeforeUrl,
    ReqSchema,
    ReqSchemaSlash,
    ReqSchemaSlashSlash,
    ReqServerStart,
    ReqServer,
    ReqServerWithAt,
    ReqPath,
    ReqQueryStringStart,
    ReqQueryString,
    ReqFragmentStart,
    ReqFragment,
    ReqHttpStart,
    ReqHttpH,
    ReqHttpHT,
    ReqHttpHTT,
    ReqHttpHTTP,
    ReqFirstHttpMajor,
    ReqHttpMajor,
    ReqFirstHttpMinor,
    ReqHttpMinor,
    ReqLineAlmostDone,
    HeaderFieldStart,
    HeaderField,
    HeaderValueStart,
    HeaderValue,
    HeaderValueLws,
    HeaderAlmostDone,
    ChunkSizeStart,
    ChunkSize,
    ChunkParameters,
    ChunkSizeAlmostDone,
    HeadersAlmostDone,
    HeadersDone,
    ChunkData,
    ChunkDataAlmostDone,
    ChunkDataDone,
    BodyIdentity,
    BodyIdentityEof,
    MessageDone,
}

/// What the header name being read may turn out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hs {
    General,
    C,
    Co,
    Con,
    MatchingConnection,
    MatchingProxyConnection,
    MatchingContentLength,
    MatchingTransferEncoding,
    MatchingUpgrade,
    Connection,
    ContentLength,
    TransferEncoding,
    Upgrade,
    MatchingTransferEncodingChunked,
    MatchingConnectionKeepAlive,
    MatchingConnectionClose,
    TransferEncodingChunked,
    ConnectionKeepAlive,
    ConnectionClose,
}

const CR: u8 = b'\r';
const LF: u8 = b'\n';

/// Header-name bytes, lower-cased; 0 for bytes that cannot be in a name. Non-strict
/// mode also lets a space through.
fn token(c: u8) -> u8 {
    match c {
        b' ' => b' ',
        b'A'..=b'Z' => c.to_ascii_lowercase(),
        b'a'..=b'z' | b'0'..=b'9' => c,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_'
        | b'`' | b'|' | b'~' => c,
        _ => 0,
    }
}

/// Bytes allowed in a path, query or fragment (non-strict: also tab, form feed and
/// every byte with the high bit set).
fn is_url_char(c: u8) -> bool {
    match c {
        b'\t' | 0x0c => true,
        b'#' | b'?' => false,
        0x21..=0x7e => true,
        0x80..=0xff => true,
        _ => false,
    }
}

fn is_alpha(c: u8) -> bool {
    (c | 0x20).is_ascii_lowercase()
}

fn is_userinfo_char(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'-' | b'_'
                | b'.'
                | b'!'
                | b'~'
                | b'*'
                | b'\''
                | b'('
                | b')'
                | b'%'
                | b';'
                | b':'
                | b'&'
                | b'='
                | b'+'
                | b'$'
                | b','
        )
}

fn unhex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// The state after one request-target byte, `Dead` when the byte is not allowed.
fn parse_url_char(s: State, ch: u8) -> State {
    use State::*;
    if ch == b' ' || ch == CR || ch == LF {
        return Dead;
    }
    match s {
        ReqSpacesBeforeUrl => {
            if ch == b'/' || ch == b'*' {
                return ReqPath;
            }
            if is_alpha(ch) {
                return ReqSchema;
            }
        }
        ReqSchema => {
            if is_alpha(ch) {
                return s;
            }
            if ch == b':' {
                return ReqSchemaSlash;
            }
            // Arkime's leniency: not a scheme after all, take it as a path.
            return ReqPath;
        }
        ReqSchemaSlash if ch == b'/' => return ReqSchemaSlashSlash,
        ReqSchemaSlashSlash if ch == b'/' => return ReqServerStart,
        ReqServerWithAt | ReqServerStart | ReqServer => {
            if s == ReqServerWithAt && ch == b'@' {
                return Dead;
            }
            if ch == b'/' {
                return ReqPath;
            }
            if ch == b'?' {
                return ReqQueryStringStart;
            }
            if ch == b'@' {
                return ReqServerWithAt;
            }
            if is_userinfo_char(ch) || ch == b'[' || ch == b']' {
                return ReqServer;
            }
        }
        ReqPath => {
            if is_url_char(ch) {
                return s;
            }
            match ch {
                b'?' => return ReqQueryStringStart,
                b'#' => return ReqFragmentStart,
                _ => {}
            }
        }
        ReqQueryStringStart | ReqQueryString => {
            if is_url_char(ch) || ch == b'?' {
                return ReqQueryString;
            }
            if ch == b'#' {
                return ReqFragmentStart;
            }
        }
        ReqFragmentStart => {
            if is_url_char(ch) || ch == b'?' {
                return ReqFragment;
            }
            if ch == b'#' {
                return s;
            }
        }
        ReqFragment if is_url_char(ch) || ch == b'?' || ch == b'#' => return s,
        _ => {}
    }
    Dead
}

/// One direction's tokenizer.
#[derive(Clone, Debug)]
pub struct HttpParser {
    kind: Kind,
    flags: u8,
    state: State,
    header_state: Hs,
    index: u8,
    nread: u32,
    content_length: u64,
    /// Major version of the current message.
    pub http_major: u16,
    /// Minor version of the current message.
    pub http_minor: u16,
    /// Status code of the latest response (0 while only requests were seen).
    pub status_code: u16,
    /// Method of the latest request (see [`method`]).
    pub method: u8,
    /// The message switches protocols (Upgrade header, or CONNECT).
    pub upgrade: bool,
    error: Option<Error>,
}

impl HttpParser {
    /// A parser for `kind` messages.
    pub fn new(kind: Kind) -> Self {
        HttpParser {
            kind,
            flags: 0,
            state: match kind {
                Kind::Request => State::StartReq,
                Kind::Response => State::StartRes,
                Kind::Both => State::StartReqOrRes,
            },
            header_state: Hs::General,
            index: 0,
            nread: 0,
            content_length: 0,
            http_major: 0,
            http_minor: 0,
            status_code: 0,
            method: 0,
            upgrade: false,
            error: None,
        }
    }

    /// Why it stopped, if it did.
    pub fn error(&self) -> Option<Error> {
        self.error
    }

    /// Whether the body runs to the end of the stream (a response without length).
    pub fn message_needs_eof(&self) -> bool {
        if self.kind == Kind::Request {
            return false;
        }
        if self.status_code / 100 == 1
            || self.status_code == 204
            || self.status_code == 304
            || self.flags & F_SKIPBODY != 0
        {
            return false;
        }
        if self.flags & F_CHUNKED != 0 || self.content_length != u64::MAX {
            return false;
        }
        true
    }

    fn start_state(&self) -> State {
        if self.kind == Kind::Request {
            State::StartReq
        } else {
            State::StartRes
        }
    }

    fn fail(&mut self, e: Error, p: usize) -> usize {
        self.error = Some(e);
        p
    }

    /// Parses `data`, calling back as pieces are found; returns the bytes used, which
    /// is less than `data.len()` after an error or when the message switches protocols.
    /// An empty `data` means end of stream: a body read until then completes.
    pub fn execute<C: Callbacks>(&mut self, cb: &mut C, data: &[u8]) -> usize {
        use State::*;
        if self.error.is_some() {
            return 0;
        }
        let len = data.len();
        if len == 0 {
            return match self.state {
                BodyIdentityEof => {
                    cb.on_message_complete(self);
                    0
                }
                Dead | StartReqOrRes | StartRes | StartReq => 0,
                _ => {
                    self.error = Some(Error::InvalidEofState);
                    1
                }
            };
        }

        let mut header_field_mark = None;
        let mut header_value_mark = None;
        let mut url_mark = None;
        let mut body_mark: Option<usize> = None;
        match self.state {
            HeaderField => header_field_mark = Some(0),
            HeaderValue => header_value_mark = Some(0),
            ReqPath | ReqSchema | ReqSchemaSlash | ReqSchemaSlashSlash | ReqServerStart
            | ReqServer | ReqServerWithAt | ReqQueryStringStart | ReqQueryString
            | ReqFragmentStart | ReqFragment => url_mark = Some(0),
            _ => {}
        }

        let mut p = 0;
        while p < len {
            let ch = data[p];
            if self.state <= HeadersDone {
                self.nread += 1;
                if self.nread > MAX_HEADER_SIZE {
                    return self.fail(Error::HeaderOverflow, p);
                }
            }
            // One pass per state the byte goes through (C's `goto reexecute_byte`).
            loop {
                match self.state {
                    Dead => {
                        // Unused in non-strict mode: a new message may always follow.
                        if ch != CR && ch != LF {
                            return self.fail(Error::Unknown, p);
                        }
                    }
                    StartReqOrRes => {
                        if ch == CR || ch == LF {
                            break;
                        }
                        self.flags = 0;
                        self.content_length = u64::MAX;
                        if ch == b'H' {
                            self.state = ResOrRespH;
                            cb.on_message_begin(self);
                        } else {
                            self.kind = Kind::Request;
                            self.state = StartReq;
                            continue;
                        }
                    }
                    ResOrRespH => {
                        if ch == b'T' {
                            self.kind = Kind::Response;
                            self.state = ResHT;
                        } else {
                            if ch != b'E' {
                                return self.fail(Error::InvalidConstant, p);
                            }
                            self.kind = Kind::Request;
                            self.method = method::HEAD;
                            self.index = 2;
                            self.state = ReqMethod;
                        }
                    }
                    StartRes => {
                        self.flags = 0;
                        self.content_length = u64::MAX;
                        match ch {
                            b'H' => self.state = ResH,
                            CR | LF => {}
                            _ => return self.fail(Error::InvalidConstant, p),
                        }
                        // Called for a stray CR or LF between responses too.
                        cb.on_message_begin(self);
                    }
                    ResH => self.state = ResHT,
                    ResHT => self.state = ResHTT,
                    ResHTT => self.state = ResHTTP,
                    ResHTTP => self.state = ResFirstHttpMajor,
                    ResFirstHttpMajor => {
                        if !ch.is_ascii_digit() {
                            return self.fail(Error::InvalidVersion, p);
                        }
                        self.http_major = u16::from(ch - b'0');
                        self.state = ResHttpMajor;
                    }
                    ResHttpMajor => {
                        if ch == b'.' {
                            self.state = ResFirstHttpMinor;
                            break;
                        }
                        if !ch.is_ascii_digit() {
                            return self.fail(Error::InvalidVersion, p);
                        }
                        self.http_major = self.http_major * 10 + u16::from(ch - b'0');
                        if self.http_major > 999 {
                            return self.fail(Error::InvalidVersion, p);
                        }
                    }
                    ResFirstHttpMinor => {
                        if !ch.is_ascii_digit() {
                            return self.fail(Error::InvalidVersion, p);
                        }
                        self.http_minor = u16::from(ch - b'0');
                        self.state = ResHttpMinor;
                    }
                    ResHttpMinor => {
                        if ch == b' ' {
                            self.state = ResFirstStatusCode;
                            break;
                        }
                        if !ch.is_ascii_digit() {
                            return self.fail(Error::InvalidVersion, p);
                        }
                        self.http_minor = self.http_minor * 10 + u16::from(ch - b'0');
                        if self.http_minor > 999 {
                            return self.fail(Error::InvalidVersion, p);
                        }
                    }
                    ResFirstStatusCode => {
                        if !ch.is_ascii_digit() {
                            if ch == b' ' {
                                break;
                            }
                            return self.fail(Error::InvalidStatus, p);
                        }
                        self.status_code = u16::from(ch - b'0');
                        self.state = ResStatusCode;
                    }
                    ResStatusCode => {
                        if !ch.is_ascii_digit() {
                            match ch {
                                b' ' => self.state = ResStatus,
                                CR => self.state = ResLineAlmostDone,
                                LF => self.state = HeaderFieldStart,
                                _ => return self.fail(Error::InvalidStatus, p),
                            }
                            break;
                        }
                        self.status_code = self.status_code * 10 + u16::from(ch - b'0');
                        if self.status_code > 999 {
                            return self.fail(Error::InvalidStatus, p);
                        }
                    }
                    ResStatus => {
                        if ch == CR {
                            self.state = ResLineAlmostDone;
                        } else if ch == LF {
                            self.state = HeaderFieldStart;
                        }
                    }
                    ResLineAlmostDone => self.state = HeaderFieldStart,
                    StartReq => {
                        if ch == CR || ch == LF {
                            break;
                        }
                        self.flags = 0;
                        self.content_length = u64::MAX;
                        if !is_alpha(ch) {
                            return self.fail(Error::InvalidMethod, p);
                        }
                        self.index = 1;
                        self.method = match ch {
                            b'A' => method::ACL,
                            b'B' => method::BIND,
                            b'C' => method::CONNECT,
                            b'D' => method::DELETE,
                            b'G' => method::GET,
                            b'H' => method::HEAD,
                            b'L' => method::LOCK,
                            b'M' => method::MKCOL,
                            b'N' => method::NOTIFY,
                            b'O' => method::OPTIONS,
                            b'P' => method::POST,
                            b'Q' => method::QUERY,
                            b'R' => method::REPORT,
                            b'S' => method::SUBSCRIBE,
                            b'T' => method::TRACE,
                            b'U' => method::UNLOCK,
                            _ => return self.fail(Error::InvalidMethod, p),
                        };
                        self.state = ReqMethod;
                        cb.on_message_begin(self);
                    }
                    ReqMethod => {
                        if ch == 0 {
                            return self.fail(Error::InvalidMethod, p);
                        }
                        let matcher = method_str(self.method).as_bytes();
                        let want = matcher.get(usize::from(self.index)).copied().unwrap_or(0);
                        let (m, i) = (self.method, self.index);
                        if ch == b' ' && want == 0 {
                            self.state = ReqSpacesBeforeUrl;
                        } else if ch == want {
                        } else if m == method::CONNECT {
                            if i == 1 && ch == b'H' {
                                self.method = method::CHECKOUT;
                            } else if i == 2 && ch == b'P' {
                                self.method = method::COPY;
                            } else {
                                return self.fail(Error::Unknown, p);
                            }
                        } else if m == method::MKCOL {
                            self.method = match (i, ch) {
                                (1, b'O') => method::MOVE,
                                (1, b'E') => method::MERGE,
                                (1, b'-') => method::MSEARCH,
                                (2, b'A') => method::MKACTIVITY,
                                (3, b'A') => method::MKCALENDAR,
                                _ => return self.fail(Error::Unknown, p),
                            };
                        } else if m == method::SUBSCRIBE {
                            self.method = match (i, ch) {
                                (1, b'E') => method::SEARCH,
                                (1, b'O') => method::SOURCE,
                                _ => return self.fail(Error::Unknown, p),
                            };
                        } else if m == method::LOCK {
                            if i == 1 && ch == b'I' {
                                self.method = method::LINK;
                            } else {
                                return self.fail(Error::Unknown, p);
                            }
                        } else if i == 1 && m == method::POST {
                            self.method = match ch {
                                b'R' => method::PROPFIND,
                                b'U' => method::PUT,
                                b'A' => method::PATCH,
                                _ => return self.fail(Error::Unknown, p),
                            };
                        } else if i == 2 {
                            // As in the C parser, a mismatch here on any other method
                            // is let through.
                            match (m, ch) {
                                (method::PUT, b'R') => self.method = method::PURGE,
                                (method::UNLOCK, b'S') => self.method = method::UNSUBSCRIBE,
                                (method::UNLOCK, b'B') => self.method = method::UNBIND,
                                (method::PROPFIND, b'I') => self.method = method::PRI,
                                (method::REPORT, b'B') => self.method = method::REBIND,
                                _ => {}
                            }
                        } else if i == 3 && m == method::UNLOCK && ch == b'I' {
                            self.method = method::UNLINK;
                        } else if i == 4 && m == method::PROPFIND && ch == b'P' {
                            self.method = method::PROPPATCH;
                        } else {
                            return self.fail(Error::InvalidMethod, p);
                        }
                        self.index = self.index.wrapping_add(1);
                    }
                    ReqSpacesBeforeUrl => {
                        if ch == b' ' {
                            break;
                        }
                        url_mark.get_or_insert(p);
                        if self.method == method::CONNECT {
                            self.state = ReqServerStart;
                        }
                        self.state = parse_url_char(self.state, ch);
                        if self.state == Dead {
                            return self.fail(Error::InvalidUrl, p);
                        }
                    }
                    ReqSchema | ReqSchemaSlash | ReqSchemaSlashSlash | ReqServerStart => {
                        if ch == b' ' || ch == CR || ch == LF {
                            return self.fail(Error::InvalidUrl, p);
                        }
                        self.state = parse_url_char(self.state, ch);
                        if self.state == Dead {
                            return self.fail(Error::InvalidUrl, p);
                        }
                    }
                    ReqServer | ReqServerWithAt | ReqPath | ReqQueryStringStart
                    | ReqQueryString | ReqFragmentStart | ReqFragment => match ch {
                        b' ' => {
                            self.state = ReqHttpStart;
                            if let Some(m) = url_mark.take() {
                                cb.on_url(self, &data[m..p]);
                            }
                        }
                        CR | LF => {
                            self.http_major = 0;
                            self.http_minor = 9;
                            self.state = if ch == CR {
                                ReqLineAlmostDone
                            } else {
                                HeaderFieldStart
                            };
                            if let Some(m) = url_mark.take() {
                                cb.on_url(self, &data[m..p]);
                            }
                        }
                        _ => {
                            self.state = parse_url_char(self.state, ch);
                            if self.state == Dead {
                                return self.fail(Error::InvalidUrl, p);
                            }
                        }
                    },
                    ReqHttpStart => match ch {
                        b'H' => self.state = ReqHttpH,
                        b' ' => {}
                        _ => return self.fail(Error::InvalidConstant, p),
                    },
                    ReqHttpH => self.state = ReqHttpHT,
                    ReqHttpHT => self.state = ReqHttpHTT,
                    ReqHttpHTT => self.state = ReqHttpHTTP,
                    ReqHttpHTTP => self.state = ReqFirstHttpMajor,
                    ReqFirstHttpMajor => {
                        if !(b'1'..=b'9').contains(&ch) {
                            return self.fail(Error::InvalidVersion, p);
                        }
                        self.http_major = u16::from(ch - b'0');
                        self.state = ReqHttpMajor;
                    }
                    ReqHttpMajor => {
                        if ch == b'.' {
                            self.state = ReqFirstHttpMinor;
                            break;
                        }
                        if !ch.is_ascii_digit() {
                            return self.fail(Error::InvalidVersion, p);
                        }
                        self.http_major = self.http_major * 10 + u16::from(ch - b'0');
                        if self.http_major > 999 {
                            return self.fail(Error::InvalidVersion, p);
                        }
                    }
                    ReqFirstHttpMinor => {
                        if !ch.is_ascii_digit() {
                            return self.fail(Error::InvalidVersion, p);
                        }
                        self.http_minor = u16::from(ch - b'0');
                        self.state = ReqHttpMinor;
                    }
                    ReqHttpMinor => {
                        if ch == CR {
                            self.state = ReqLineAlmostDone;
                            break;
                        }
                        if ch == LF {
                            self.state = HeaderFieldStart;
                            break;
                        }
                        if !ch.is_ascii_digit() {
                            return self.fail(Error::InvalidVersion, p);
                        }
                        self.http_minor = self.http_minor * 10 + u16::from(ch - b'0');
                        if self.http_minor > 999 {
                            return self.fail(Error::InvalidVersion, p);
                        }
                    }
                    ReqLineAlmostDone => {
                        if ch != LF {
                            return self.fail(Error::LfExpected, p);
                        }
                        self.state = HeaderFieldStart;
                    }
                    HeaderFieldStart => {
                        if ch == CR {
                            self.state = HeadersAlmostDone;
                            break;
                        }
                        if ch == LF {
                            // A bare LF ends the headers too.
                            self.state = HeadersAlmostDone;
                            continue;
                        }
                        let c = token(ch);
                        if c == 0 {
                            return self.fail(Error::InvalidHeaderToken, p);
                        }
                        header_field_mark.get_or_insert(p);
                        self.index = 0;
                        self.state = HeaderField;
                        self.header_state = match c {
                            b'c' => Hs::C,
                            b'p' => Hs::MatchingProxyConnection,
                            b't' => Hs::MatchingTransferEncoding,
                            b'u' => Hs::MatchingUpgrade,
                            _ => Hs::General,
                        };
                    }
                    HeaderField => {
                        let c = token(ch);
                        if c != 0 {
                            self.match_header_name(c, ch);
                            break;
                        }
                        self.state = match ch {
                            CR => HeaderAlmostDone,
                            LF => HeaderFieldStart,
                            // ':' or, Arkime's leniency, any other byte.
                            _ => HeaderValueStart,
                        };
                        if let Some(m) = header_field_mark.take() {
                            cb.on_header_field(self, &data[m..p]);
                        }
                    }
                    HeaderValueStart => {
                        if ch == b' ' || ch == b'\t' {
                            break;
                        }
                        header_value_mark.get_or_insert(p);
                        self.state = HeaderValue;
                        self.index = 0;
                        if ch == CR {
                            self.header_state = Hs::General;
                            self.state = HeaderAlmostDone;
                            if let Some(m) = header_value_mark.take() {
                                cb.on_header_value(self, &data[m..p]);
                            }
                            break;
                        }
                        if ch == LF {
                            self.state = HeaderFieldStart;
                            if let Some(m) = header_value_mark.take() {
                                cb.on_header_value(self, &data[m..p]);
                            }
                            break;
                        }
                        let c = ch | 0x20;
                        match self.header_state {
                            Hs::Upgrade => {
                                self.flags |= F_UPGRADE;
                                self.header_state = Hs::General;
                            }
                            Hs::TransferEncoding => {
                                self.header_state = if c == b'c' {
                                    Hs::MatchingTransferEncodingChunked
                                } else {
                                    Hs::General
                                };
                            }
                            Hs::ContentLength => {
                                if !ch.is_ascii_digit() {
                                    return self.fail(Error::InvalidContentLength, p);
                                }
                                self.content_length = u64::from(ch - b'0');
                            }
                            Hs::Connection => {
                                self.header_state = match c {
                                    b'k' => Hs::MatchingConnectionKeepAlive,
                                    b'c' => Hs::MatchingConnectionClose,
                                    _ => Hs::General,
                                };
                            }
                            _ => self.header_state = Hs::General,
                        }
                    }
                    HeaderValue => {
                        if ch == CR || ch == LF {
                            self.state = HeaderAlmostDone;
                            if let Some(m) = header_value_mark.take() {
                                cb.on_header_value(self, &data[m..p]);
                            }
                            if ch == LF {
                                continue;
                            }
                            break;
                        }
                        if let Err(e) = self.match_header_value(ch) {
                            return self.fail(e, p);
                        }
                    }
                    HeaderAlmostDone => {
                        self.state = HeaderValueLws;
                        match self.header_state {
                            Hs::ConnectionKeepAlive => self.flags |= F_CONNECTION_KEEP_ALIVE,
                            Hs::ConnectionClose => self.flags |= F_CONNECTION_CLOSE,
                            Hs::TransferEncodingChunked => self.flags |= F_CHUNKED,
                            _ => {}
                        }
                    }
                    HeaderValueLws => {
                        if ch == b' ' || ch == b'\t' {
                            self.state = HeaderValueStart;
                        } else {
                            self.state = HeaderFieldStart;
                            continue;
                        }
                    }
                    HeadersAlmostDone => {
                        if self.flags & F_TRAILING != 0 {
                            // The end of a chunked message's trailers.
                            self.state = self.start_state();
                            cb.on_message_complete(self);
                            break;
                        }
                        self.state = HeadersDone;
                        self.upgrade =
                            self.flags & F_UPGRADE != 0 || self.method == method::CONNECT;
                        if cb.on_headers_complete(self) {
                            self.flags |= F_SKIPBODY;
                        }
                        continue;
                    }
                    HeadersDone => {
                        self.nread = 0;
                        if self.upgrade {
                            // The rest is another protocol: stop after this byte.
                            self.state = self.start_state();
                            cb.on_message_complete(self);
                            return p + 1;
                        }
                        if self.flags & F_SKIPBODY != 0 {
                            self.state = self.start_state();
                            cb.on_message_complete(self);
                        } else if self.flags & F_CHUNKED != 0 {
                            self.state = ChunkSizeStart;
                        } else if self.content_length == 0 {
                            self.state = self.start_state();
                            cb.on_message_complete(self);
                        } else if self.content_length != u64::MAX {
                            self.state = BodyIdentity;
                        } else if self.kind == Kind::Request || !self.message_needs_eof() {
                            self.state = self.start_state();
                            cb.on_message_complete(self);
                        } else {
                            self.state = BodyIdentityEof;
                        }
                    }
                    BodyIdentity => {
                        let to_read = self.content_length.min((len - p) as u64);
                        let start = *body_mark.get_or_insert(p);
                        self.content_length -= to_read;
                        p += to_read as usize - 1;
                        if self.content_length == 0 {
                            self.state = MessageDone;
                            body_mark = None;
                            cb.on_body(self, &data[start..=p]);
                            continue;
                        }
                    }
                    BodyIdentityEof => {
                        body_mark.get_or_insert(p);
                        p = len - 1;
                    }
                    MessageDone => {
                        self.state = self.start_state();
                        cb.on_message_complete(self);
                    }
                    ChunkSizeStart => {
                        let Some(v) = unhex(ch) else {
                            return self.fail(Error::InvalidChunkSize, p);
                        };
                        self.content_length = u64::from(v);
                        self.state = ChunkSize;
                    }
                    ChunkSize => {
                        if ch == CR {
                            self.state = ChunkSizeAlmostDone;
                            break;
                        }
                        let Some(v) = unhex(ch) else {
                            if ch == b';' || ch == b' ' {
                                self.state = ChunkParameters;
                                break;
                            }
                            return self.fail(Error::InvalidChunkSize, p);
                        };
                        match self
                            .content_length
                            .checked_mul(16)
                            .and_then(|t| t.checked_add(u64::from(v)))
                        {
                            Some(t) if t != u64::MAX => self.content_length = t,
                            _ => return self.fail(Error::InvalidContentLength, p),
                        }
                    }
                    ChunkParameters => {
                        if ch == CR {
                            self.state = ChunkSizeAlmostDone;
                        }
                    }
                    ChunkSizeAlmostDone => {
                        self.nread = 0;
                        if self.content_length == 0 {
                            self.flags |= F_TRAILING;
                            self.state = HeaderFieldStart;
                        } else {
                            self.state = ChunkData;
                        }
                    }
                    ChunkData => {
                        let to_read = self.content_length.min((len - p) as u64);
                        body_mark.get_or_insert(p);
                        self.content_length -= to_read;
                        p += to_read as usize - 1;
                        if self.content_length == 0 {
                            self.state = ChunkDataAlmostDone;
                        }
                    }
                    ChunkDataAlmostDone => {
                        self.state = ChunkDataDone;
                        if let Some(m) = body_mark.take() {
                            cb.on_body(self, &data[m..p]);
                        }
                    }
                    ChunkDataDone => {
                        self.nread = 0;
                        self.state = ChunkSizeStart;
                    }
                }
                break;
            }
            p += 1;
        }

        // Whatever piece is still open at the end of the bytes.
        if let Some(m) = header_field_mark {
            cb.on_header_field(self, &data[m..]);
        }
        if let Some(m) = header_value_mark {
            cb.on_header_value(self, &data[m..]);
        }
        if let Some(m) = url_mark {
            cb.on_url(self, &data[m..]);
        }
        if let Some(m) = body_mark {
            cb.on_body(self, &data[m..]);
        }
        len
    }

    /// One more byte of a header name (already a token byte `c`).
    fn match_header_name(&mut self, c: u8, ch: u8) {
        const CONNECTION: &[u8] = b"connection";
        const PROXY_CONNECTION: &[u8] = b"proxy-connection";
        const CONTENT_LENGTH: &[u8] = b"content-length";
        const TRANSFER_ENCODING: &[u8] = b"transfer-encoding";
        const UPGRADE: &[u8] = b"upgrade";
        let step = |p: &mut Self, word: &[u8], done: Hs| {
            p.index = p.index.saturating_add(1);
            let i = usize::from(p.index);
            if word.get(i) != Some(&c) {
                p.header_state = Hs::General;
            } else if i == word.len() - 1 {
                p.header_state = done;
            }
        };
        match self.header_state {
            Hs::General => {}
            Hs::C => {
                self.index += 1;
                self.header_state = if c == b'o' { Hs::Co } else { Hs::General };
            }
            Hs::Co => {
                self.index += 1;
                self.header_state = if c == b'n' { Hs::Con } else { Hs::General };
            }
            Hs::Con => {
                self.index += 1;
                self.header_state = match c {
                    b'n' => Hs::MatchingConnection,
                    b't' => Hs::MatchingContentLength,
                    _ => Hs::General,
                };
            }
            Hs::MatchingConnection => step(self, CONNECTION, Hs::Connection),
            Hs::MatchingProxyConnection => step(self, PROXY_CONNECTION, Hs::Connection),
            Hs::MatchingContentLength => step(self, CONTENT_LENGTH, Hs::ContentLength),
            Hs::MatchingTransferEncoding => step(self, TRANSFER_ENCODING, Hs::TransferEncoding),
            Hs::MatchingUpgrade => step(self, UPGRADE, Hs::Upgrade),
            Hs::Connection | Hs::ContentLength | Hs::TransferEncoding | Hs::Upgrade
                if ch != b' ' =>
            {
                self.header_state = Hs::General;
            }
            _ => {}
        }
    }

    /// One more byte of a header value.
    fn match_header_value(&mut self, ch: u8) -> Result<(), Error> {
        const CHUNKED: &[u8] = b"chunked";
        const KEEP_ALIVE: &[u8] = b"keep-alive";
        const CLOSE: &[u8] = b"close";
        let c = ch | 0x20;
        let step = |p: &mut Self, word: &[u8], done: Hs| {
            p.index = p.index.saturating_add(1);
            let i = usize::from(p.index);
            if word.get(i) != Some(&c) {
                p.header_state = Hs::General;
            } else if i == word.len() - 1 {
                p.header_state = done;
            }
        };
        match self.header_state {
            Hs::General | Hs::Connection | Hs::TransferEncoding => {}
            Hs::ContentLength => {
                if ch == b' ' {
                    return Ok(());
                }
                if !ch.is_ascii_digit() {
                    return Err(Error::InvalidContentLength);
                }
                match self
                    .content_length
                    .checked_mul(10)
                    .and_then(|t| t.checked_add(u64::from(ch - b'0')))
                {
                    Some(t) if t != u64::MAX => self.content_length = t,
                    _ => return Err(Error::InvalidContentLength),
                }
            }
            Hs::MatchingTransferEncodingChunked => step(self, CHUNKED, Hs::TransferEncodingChunked),
            Hs::MatchingConnectionKeepAlive => step(self, KEEP_ALIVE, Hs::ConnectionKeepAlive),
            Hs::MatchingConnectionClose => step(self, CLOSE, Hs::ConnectionClose),
            Hs::TransferEncodingChunked | Hs::ConnectionKeepAlive | Hs::ConnectionClose => {
                if ch != b' ' {
                    self.header_state = Hs::General;
                }
            }
            _ => {
                self.state = State::HeaderValue;
                self.header_state = Hs::General;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records events, joining split pieces, so any cut of the input gives the same log.
    #[derive(Default)]
    struct Log {
        ev: Vec<String>,
        skip_body: bool,
    }

    impl Log {
        fn piece(&mut self, tag: &str, at: &[u8]) {
            let s = String::from_utf8_lossy(at);
            match self.ev.last_mut() {
                Some(last) if last.starts_with(tag) => last.push_str(&s),
                _ => self.ev.push(format!("{tag}{s}")),
            }
        }
    }

    impl Callbacks for Log {
        fn on_message_begin(&mut self, _p: &HttpParser) {
            self.ev.push("begin".into());
        }
        fn on_url(&mut self, _p: &HttpParser, at: &[u8]) {
            self.piece("url:", at);
        }
        fn on_header_field(&mut self, _p: &HttpParser, at: &[u8]) {
            self.piece("field:", at);
        }
        fn on_header_value(&mut self, _p: &HttpParser, at: &[u8]) {
            self.piece("value:", at);
        }
        fn on_headers_complete(&mut self, p: &HttpParser) -> bool {
            self.ev.push(format!(
                "headers {} {} {}.{}",
                method_str(p.method),
                p.status_code,
                p.http_major,
                p.http_minor
            ));
            self.skip_body
        }
        fn on_body(&mut self, _p: &HttpParser, at: &[u8]) {
            self.piece("body:", at);
        }
        fn on_message_complete(&mut self, _p: &HttpParser) {
            self.ev.push("complete".into());
        }
    }

    /// Feeds `data` in `chunk`-byte pieces, as Arkime's loop does (stopping the
    /// direction when a call uses nothing), then the end of stream.
    fn run(data: &[u8], chunk: usize) -> (Vec<String>, Option<Error>) {
        let mut p = HttpParser::new(Kind::Both);
        let mut log = Log::default();
        'outer: for piece in data.chunks(chunk) {
            let mut rest = piece;
            while !rest.is_empty() {
                let n = p.execute(&mut log, rest);
                if n == 0 {
                    break 'outer;
                }
                rest = &rest[n..];
            }
        }
        p.execute(&mut log, &[]);
        (log.ev, p.error())
    }

    const GET: &[u8] =
        b"GET /a/b?x=1&y=%41 HTTP/1.1\r\nHost: Example.COM:8080\r\nUser-Agent: t\r\n\r\n";

    #[test]
    fn request_any_split() {
        let (ev, err) = run(GET, GET.len());
        assert_eq!(err, None);
        assert_eq!(
            ev,
            [
                "begin",
                "url:/a/b?x=1&y=%41",
                "field:Host",
                "value:Example.COM:8080",
                "field:User-Agent",
                "value:t",
                "headers GET 0 1.1",
                "complete"
            ]
        );
        for chunk in 1..GET.len() {
            assert_eq!(run(GET, chunk).0, ev, "chunk {chunk}");
        }
    }

    #[test]
    fn response_bodies() {
        let cl =
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 304 Not Modified\r\n\r\n";
        let (ev, err) = run(cl, cl.len());
        assert_eq!(err, None);
        assert_eq!(
            ev,
            [
                "begin",
                "field:Content-Length",
                "value:5",
                "headers DELETE 200 1.1",
                "body:hello",
                "complete",
                "begin",
                "headers DELETE 304 1.1",
                "complete"
            ]
        );
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nTrailer: 1\r\n\r\n";
        let (ev, err) = run(chunked, chunked.len());
        assert_eq!(err, None);
        let body: Vec<_> = ev.iter().filter(|e| e.starts_with("body:")).collect();
        assert_eq!(body, ["body:abcde"]);
        assert_eq!(ev.last().map(String::as_str), Some("complete"));
        for chunk in 1..chunked.len() {
            assert_eq!(run(chunked, chunk).0, ev, "chunk {chunk}");
        }
        // No length: the body runs to the end of the stream and completes there.
        let eof = b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\nall of it";
        let (ev, _) = run(eof, 7);
        assert_eq!(&ev[ev.len() - 2..], ["body:all of it", "complete"]);
    }

    #[test]
    fn head_response_skips_body() {
        let mut p = HttpParser::new(Kind::Both);
        let mut log = Log {
            skip_body: true,
            ..Log::default()
        };
        let r = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nHTTP/1.1 404 x\r\n\r\n";
        assert_eq!(p.execute(&mut log, r), r.len());
        assert_eq!(log.ev.iter().filter(|e| *e == "complete").count(), 2);
    }

    #[test]
    fn methods_as_the_c_parser_reads_them() {
        // A mismatch at the third byte of most methods is let through.
        let (ev, err) = run(b"GEX / HTTP/1.1\r\n\r\n", 100);
        assert_eq!(err, None);
        assert!(ev.contains(&"headers GET 0 1.1".to_string()));
        // The HTTP/2 preface reads as a PRI request for `*`, then fails on "SM".
        assert_eq!(method_str(method::PRI), "PRI");
        let (ev, _) = run(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 100);
        assert!(ev.contains(&"headers PRI 0 2.0".to_string()), "{ev:?}");
        let (ev, _) = run(b"M-SEARCH * HTTP/1.1\r\n\r\n", 3);
        assert!(ev.contains(&"headers M-SEARCH 0 1.1".to_string()));
        let (ev, _) = run(b"HEAD / HTTP/1.0\r\n\r\n", 1);
        assert!(ev.contains(&"headers HEAD 0 1.0".to_string()));
        // CONNECT: the rest of the bytes are another protocol.
        let c = b"CONNECT a.b:443 HTTP/1.1\r\nHost: a.b:443\r\n\r\n\x16\x03\x01";
        let mut p = HttpParser::new(Kind::Both);
        let mut log = Log::default();
        assert_eq!(p.execute(&mut log, c), c.len() - 3);
        assert!(p.upgrade);
        assert_eq!(log.ev[1], "url:a.b:443");
    }

    #[test]
    fn leniencies_and_errors() {
        // A header without a colon starts its value at the first odd byte (a space
        // is a name byte in non-strict mode).
        let (ev, err) = run(b"GET / HTTP/1.1\r\nFoo\tbar\r\nA b\r\n\r\n", 100);
        assert_eq!(err, None);
        assert!(ev.contains(&"field:Foo".to_string()));
        assert!(ev.contains(&"value:bar".to_string()));
        assert!(ev.contains(&"field:A b".to_string()));
        // Errors stop the parser for good.
        let (_, err) = run(b"GET / HTTP/x.1\r\n\r\n", 100);
        assert_eq!(err, Some(Error::InvalidVersion));
        let (_, err) = run(b"HTTP/1.1 2x0 OK\r\n\r\n", 100);
        assert_eq!(err, Some(Error::InvalidStatus));
        let (_, err) = run(b"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", 100);
        assert_eq!(err, Some(Error::InvalidContentLength));
        let (_, err) = run(b"GET / HTTP/1.1\r\nContent-Length: 99\r\n\r\nab", 100);
        assert_eq!(err, Some(Error::InvalidEofState));
        let mut big = b"GET / HTTP/1.1\r\nX: ".to_vec();
        big.resize(90 * 1024, b'a');
        let (_, err) = run(&big, 4096);
        assert_eq!(err, Some(Error::HeaderOverflow));
    }

    #[test]
    fn no_panic_on_any_prefix_or_mutation() {
        let inputs: [&[u8]; 3] = [
            GET,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nabcde\r\n0\r\n\r\n",
            b"POST http://u:p@h:1/p?q#f HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc",
        ];
        let mut seed = 0x1234_5678u32;
        for input in inputs {
            for n in 0..=input.len() {
                let _ = run(&input[..n], 5);
            }
            for _ in 0..2000 {
                let mut m = input.to_vec();
                for _ in 0..3 {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    let i = (seed >> 8) as usize % m.len();
                    m[i] = (seed >> 20) as u8;
                }
                let _ = run(&m, 1 + (seed as usize % 9));
            }
        }
    }
}
