//! HTTP/2 in clear text (Arkime's http2.c): a TCP stream that starts with the
//! connection preface (prior knowledge, or the client's first bytes after an HTTP/1.1
//! `Upgrade: h2c` answered by the server, which HTTP hands on for classifying) gets
//! its frames read per direction. Header blocks (HEADERS, PUSH_PROMISE and their
//! CONTINUATIONs) are HPACK-decoded ([`crate::hpack`]) into Arkime's http fields:
//! `:method`, `:authority` (the host, cut at a colon), `:path` (path, query keys and
//! values), `:status`, and every other header as HTTP/1 records it (by name, and by
//! value where configured; cookies' keys). DATA frames are hashed per stream and
//! direction (MD5 and SHA-256 when a frame with END_STREAM completes the body) and
//! their first bytes give the body magic.
//!
//! Arkime's rules, odd ones included:
//! - each direction holds at most 20000 bytes of unread frames; more and the parser
//!   gives up (for both directions);
//! - a DATA frame is read as it arrives (its bytes are not held); one over 1 MiB is
//!   tagged `http2:data-frame-too-large` and never read, so the direction stalls;
//! - the preface is dropped only when more than its 24 bytes are held;
//! - a CONTINUATION is read as the frame type before it, so after a PUSH_PROMISE its
//!   first four bytes are skipped as a promised stream id;
//! - only 16 streams are tracked at once: header blocks of a 17th are not decoded at
//!   all (the decoder's table then drifts from the sender's, as in Arkime);
//! - stream 0 is a stream like any other (its slot is id 1);
//! - a header block decoding error breaks that direction's decoder for good;
//! - more than 256 headers or 65536 bytes of names and values in one frame stop its
//!   block (tag `http2:hpack-budget-exceeded`);
//! - a DATA frame on a stream not tracked is tagged `http2:data-frame-after-close`;
//! - END_STREAM is looked at on every frame type (SETTINGS and PING ACKs share its bit).

use md5::{Digest, Md5};
use sha2::Sha256;
use std::sync::Arc;
use trawl_parser_common::magic;
use trawl_parser_common::text::{hex, latin1};
use trawl_parser_common::value::atoi;
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

use crate::hpack::{Flow, Inflated, Inflater};
use crate::http::{HttpConfig, MagicMode};

/// The client connection preface.
pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// Bytes of unread frames held per direction (Arkime's `MAX_HTTP2_SIZE`).
const MAX_HTTP2_SIZE: usize = 20000;
/// Streams tracked at once.
const MAX_STREAMS: usize = 16;
/// Largest DATA frame read.
const MAX_DATA_FRAME: usize = 1 << 20;
/// Headers, and bytes of names and values, decoded from one frame.
const MAX_HEADERS: usize = 256;
const MAX_HEADER_BYTES: usize = 65536;

const DATA: u8 = 0;
const HEADERS: u8 = 1;
const RST_STREAM: u8 = 3;
const PUSH_PROMISE: u8 = 5;
const CONTINUATION: u8 = 9;

const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const PADDED: u8 = 0x8;
const PRIORITY: u8 = 0x20;

/// One tracked stream.
#[derive(Debug, Default)]
struct Stream {
    /// Stream id + 1 (0: a free slot).
    id: u32,
    /// Directions that ended it (bit per direction).
    ended: u8,
    /// Directions whose body is being hashed.
    hashing: u8,
    md5: [Md5; 2],
    sha256: [Sha256; 2],
}

/// What reading one frame did.
enum Frame {
    /// It was read: its length with its header.
    Used(usize),
    /// It is not all here yet (or never will be read): wait for more bytes.
    Wait,
    /// A DATA frame goes on past these bytes: the rest is read as it comes.
    DataPending,
}

/// The HTTP/2 parser of one session.
#[derive(Debug)]
struct Http2 {
    cfg: Arc<HttpConfig>,
    inflater: [Inflater; 2],
    last_type: [u8; 2],
    data_padding: [u8; 2],
    is_end: [bool; 2],
    data_needed: [usize; 2],
    data_stream: [u32; 2],
    /// The direction the preface came from (requests).
    which: Dir,
    streams: Vec<Stream>,
}

impl Http2 {
    fn new(cfg: Arc<HttpConfig>, which: Dir) -> Self {
        Http2 {
            cfg,
            inflater: Default::default(),
            last_type: [0; 2],
            data_padding: [0; 2],
            is_end: [false; 2],
            data_needed: [0; 2],
            data_stream: [0; 2],
            which,
            streams: Vec::new(),
        }
    }

    /// The slot of a stream, made (in a free slot or a new one) when `create`.
    fn slot(&mut self, stream: u32, create: bool) -> Option<usize> {
        let id = (stream & 0x7fff_ffff) + 1;
        if let Some(i) = self.streams.iter().position(|s| s.id == id) {
            return Some(i);
        }
        if !create {
            return None;
        }
        if let Some(i) = self.streams.iter().position(|s| s.id == 0) {
            self.streams[i].id = id;
            return Some(i);
        }
        if self.streams.len() == MAX_STREAMS {
            return None;
        }
        self.streams.push(Stream {
            id,
            ..Stream::default()
        });
        Some(self.streams.len() - 1)
    }

    fn free(&mut self, stream: u32) {
        let id = (stream & 0x7fff_ffff) + 1;
        if let Some(s) = self.streams.iter_mut().find(|s| s.id == id) {
            *s = Stream::default();
        }
    }

    /// Reads the frame at the start of `buf` (at least its 9-byte header).
    fn frame(&mut self, cx: &mut Cx, s: &mut Session, d: Dir, buf: &[u8]) -> Frame {
        let len = usize::from(buf[0]) << 16 | usize::from(buf[1]) << 8 | usize::from(buf[2]);
        let mut ty = buf[3];
        let flags = buf[4];
        let stream = u32::from_be_bytes([buf[5], buf[6], buf[7], buf[8]]);
        let rest = &buf[9..];
        let w = d.index();
        if ty == DATA {
            if len > MAX_DATA_FRAME {
                cx.add_tag(s, "http2:data-frame-too-large");
                return Frame::Wait;
            }
            let here = len.min(rest.len());
            self.data_stream[w] = stream;
            self.data_needed[w] = len - here;
            self.data(cx, s, d, flags, stream, &rest[..here], true);
            if self.data_needed[w] != 0 {
                return Frame::DataPending;
            }
        }
        if len > rest.len() {
            return Frame::Wait;
        }
        let payload = &rest[..len];
        if ty == CONTINUATION {
            ty = self.last_type[w];
        }
        match ty {
            HEADERS => self.headers(cx, s, d, flags, stream, payload, false),
            PUSH_PROMISE => self.headers(cx, s, d, flags, stream, payload, true),
            RST_STREAM => self.free(stream),
            _ => {}
        }
        self.last_type[w] = ty;
        if flags & END_STREAM != 0 {
            if let Some(i) = self.slot(stream, false) {
                self.streams[i].ended |= 1 << w;
                if self.streams[i].ended == 3 {
                    self.free(stream);
                }
            }
        }
        Frame::Used(9 + len)
    }

    /// A HEADERS or PUSH_PROMISE payload: padding, then the priority or the promised
    /// stream id, then a piece of a header block.
    #[allow(clippy::too_many_arguments)]
    fn headers(
        &mut self,
        cx: &mut Cx,
        s: &mut Session,
        d: Dir,
        flags: u8,
        stream: u32,
        payload: &[u8],
        promise: bool,
    ) {
        let mut p = payload;
        if flags & PADDED != 0 {
            let Some(&pad) = p.first() else {
                return;
            };
            let pad = usize::from(pad);
            if pad >= p.len() {
                return;
            }
            p = &p[1..p.len() - pad];
        }
        let skip = if promise {
            4
        } else if flags & PRIORITY != 0 {
            5
        } else {
            0
        };
        let Some(block) = p.get(skip..) else {
            return;
        };
        self.header_block(cx, s, d, flags, stream, block);
    }

    /// Decodes a piece of a header block into fields.
    fn header_block(
        &mut self,
        cx: &mut Cx,
        s: &mut Session,
        d: Dir,
        flags: u8,
        stream: u32,
        block: &[u8],
    ) {
        if self.slot(stream, true).is_none() {
            return;
        }
        let is_req = d == self.which;
        let cfg = &*self.cfg;
        let inflater = &mut self.inflater[d.index()];
        let (mut count, mut bytes, mut over) = (0usize, 0usize, false);
        let r = inflater.inflate(block, flags & END_HEADERS != 0, |name, value| {
            count += 1;
            bytes += name.len() + value.len();
            if count > MAX_HEADERS || bytes > MAX_HEADER_BYTES {
                over = true;
                return Flow::Stop;
            }
            header(cfg, cx, s, is_req, name, value);
            Flow::Continue
        });
        if over {
            cx.add_tag(s, "http2:hpack-budget-exceeded");
        }
        match r {
            Ok(Inflated::Final) => inflater.end_headers(),
            Ok(_) => {}
            Err(_) => tracing::debug!("http2: header block decoding failed"),
        }
    }

    /// Bytes of a DATA frame: the first of a frame (`initial`) carry its padding
    /// length; the last lose the padding, and with END_STREAM end the body.
    #[allow(clippy::too_many_arguments)]
    fn data(
        &mut self,
        cx: &mut Cx,
        s: &mut Session,
        d: Dir,
        flags: u8,
        stream: u32,
        bytes: &[u8],
        initial: bool,
    ) {
        let w = d.index();
        let mut b = bytes;
        if initial {
            if flags & PADDED != 0 {
                let Some((&pad, rest)) = b.split_first() else {
                    return;
                };
                self.data_padding[w] = pad;
                b = rest;
            } else {
                self.data_padding[w] = 0;
            }
            self.is_end[w] = flags & END_STREAM != 0;
        }
        if self.data_needed[w] == 0 {
            let pad = usize::from(self.data_padding[w]);
            if pad > b.len() {
                return;
            }
            b = &b[..b.len() - pad];
        }
        let Some(i) = self.slot(stream, false) else {
            cx.add_tag(s, "http2:data-frame-after-close");
            return;
        };
        let cfg = &*self.cfg;
        let reg = &cx.shared.fields;
        if initial && cfg.magic_mode == MagicMode::Basic {
            if let Some(m) = magic::basic(b) {
                s.fields.string_add(reg, cfg.magic, m);
            }
        }
        let st = &mut self.streams[i];
        let bit = 1u8 << w;
        if st.hashing & bit == 0 {
            st.md5[w] = Md5::new();
            st.sha256[w] = Sha256::new();
            st.hashing |= bit;
        }
        st.md5[w].update(b);
        if cfg.sha256.is_some() {
            st.sha256[w].update(b);
        }
        if self.is_end[w] && self.data_needed[w] == 0 {
            let md5 = hex(&std::mem::take(&mut st.md5[w]).finalize());
            s.fields.string_add(reg, cfg.md5, &md5);
            st.hashing &= !bit;
            if let Some(id) = cfg.sha256 {
                let sha = hex(&std::mem::take(&mut st.sha256[w]).finalize());
                s.fields.string_add(reg, id, &sha);
            }
        }
    }
}

/// One decoded header into fields.
fn header(cfg: &HttpConfig, cx: &mut Cx, s: &mut Session, is_req: bool, name: &[u8], value: &[u8]) {
    if name.first() == Some(&b':') {
        let reg = &cx.shared.fields;
        match name {
            b":method" => {
                s.fields.string_add(reg, cfg.method, &latin1(value));
            }
            b":authority" => {
                let host = value.split(|&c| c == b':').next().unwrap_or(value);
                s.fields.string_add(reg, cfg.host, &latin1(host));
            }
            b":path" => cfg.common_parse_url(cx, s, value),
            b":status" => {
                s.fields.int_add(reg, cfg.status_code, atoi(value) as u32);
            }
            _ => {}
        }
    } else {
        cfg.common_add_header(cx, s, is_req, name, value);
        if name == b"cookie" {
            cfg.common_parse_cookie(cx, s, value);
        }
    }
}

impl Parser for Http2 {
    fn name(&self) -> &'static str {
        "http2"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
        let w = dir.index();
        let all = data.len();
        let mut data = data;
        // The rest of a DATA frame begun earlier.
        if self.data_needed[w] > 0 {
            let used = self.data_needed[w].min(data.len());
            self.data_needed[w] -= used;
            let stream = self.data_stream[w];
            self.data(cx, s, dir, 0, stream, &data[..used], false);
            if used == data.len() {
                return Parsed::Done(0);
            }
            data = &data[used..];
        }
        // Arkime's fixed buffer: the held bytes and the new ones must fit.
        if data.len() > MAX_HTTP2_SIZE {
            return Parsed::Skip;
        }
        let mut pos = 0;
        if data.len() > PREFACE.len() && data.starts_with(PREFACE) {
            pos = PREFACE.len();
        }
        while data.len() - pos >= 9 {
            match self.frame(cx, s, dir, &data[pos..]) {
                Frame::Used(n) => pos += n,
                Frame::Wait => break,
                Frame::DataPending => return Parsed::Done(0),
            }
        }
        if pos >= data.len() {
            Parsed::Done(0)
        } else {
            // Counted from the start of all the bytes given.
            Parsed::Incomplete {
                consumed: all - data.len() + pos,
                needed: 0,
            }
        }
    }

    fn max_held(&self) -> usize {
        MAX_HTTP2_SIZE
    }
}

fn classify(cx: &mut Cx, s: &mut Session, dir: Dir, cfg: &Arc<HttpConfig>) {
    if cx.has_protocol(s, "http2") {
        return;
    }
    cx.add_protocol(s, "http2");
    register_parser(s, Box::new(Http2::new(Arc::clone(cfg), dir)));
}

/// Registers the preface classifier; the fields are HTTP's (`cfg`, from
/// [`crate::http::register`]).
pub fn register(c: &mut Classifiers, cfg: Arc<HttpConfig>) {
    c.register_tcp("http2", 0, 0, PREFACE, move |cx, s, _, dir, _| {
        classify(cx, s, dir, &cfg)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};
    use trawl_testkit::{run_session, TcpConversation};

    fn frame(ty: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let mut f = (payload.len() as u32).to_be_bytes()[1..].to_vec();
        f.extend_from_slice(&[ty, flags]);
        f.extend_from_slice(&stream.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    fn run(client: &[&[u8]], server: &[&[u8]]) -> Value {
        let mut conv = TcpConversation::new("10.0.0.1:40000", "10.0.0.2:80").handshake();
        for c in client {
            conv = conv.client(c);
        }
        for s in server {
            conv = conv.server(s);
        }
        let frames = conv.close().frames();
        run_session(
            |c, f| {
                trawl_parser_common::ntlm::register(c, f);
                crate::register(c, f, &trawl_testkit::run::default_config()).unwrap();
            },
            &frames,
        )
    }

    /// The preface and a GET for /x (`:path` as a literal without indexing).
    fn request() -> Vec<u8> {
        let mut c = PREFACE.to_vec();
        c.extend(frame(
            HEADERS,
            END_HEADERS | END_STREAM,
            1,
            b"\x82\x04\x02/x",
        ));
        c
    }

    #[test]
    fn every_prefix_of_a_request() {
        let c = request();
        for n in 0..=c.len() {
            let doc = run(&[&c[..n]], &[]);
            let path = &doc["http"]["path"];
            if n == c.len() {
                assert_eq!(*path, json!(["/x"]), "{n} bytes");
            } else {
                // A frame is read only when all of it is here.
                assert_eq!(*path, Value::Null, "{n} bytes");
            }
            let http2 = doc["protocol"]
                .as_array()
                .is_some_and(|p| p.contains(&json!("http2")));
            assert_eq!(http2, n >= PREFACE.len(), "{n} bytes");
        }
    }

    #[test]
    fn mutated_requests_do_not_panic() {
        let c = request();
        for i in 0..c.len() {
            for x in [0x01, 0x80, 0xff] {
                let mut m = c.clone();
                m[i] ^= x;
                run(&[&m], &[&frame(HEADERS, END_HEADERS, 1, b"\x88")]);
            }
        }
    }

    #[test]
    fn preface_alone_is_dropped_with_the_next_bytes() {
        // Arkime drops the preface only when more than its 24 bytes are held: alone
        // it is read as a frame header that never completes, until the next segment.
        let c = request();
        let doc = run(&[&c[..24], &c[24..]], &[]);
        assert_eq!(doc["http"]["path"], json!(["/x"]));
    }

    #[test]
    fn gives_up_past_its_buffer() {
        // A HEADERS frame announcing 30000 bytes never completes: once more than
        // 20000 bytes are held the parser gives up, for the other direction too.
        let mut c = PREFACE.to_vec();
        c.extend(frame(HEADERS, END_HEADERS, 1, b"\x82"));
        let mut big = (30000u32).to_be_bytes()[1..].to_vec();
        big.extend_from_slice(&[HEADERS, END_HEADERS, 0, 0, 0, 3]);
        let chunk = vec![0u8; 8000];
        let resp = frame(HEADERS, END_HEADERS, 1, b"\x88");
        // 9 + 8000 held: fine; the server is read.
        let doc = run(&[&c, &big, &chunk], &[&resp]);
        assert_eq!(doc["http"]["statuscode"], json!([200]));
        // 9 + 24000 held: over; the server's frames are not read.
        let doc = run(&[&c, &big, &chunk, &chunk, &chunk], &[&resp]);
        assert_eq!(doc["http"]["statuscode"], Value::Null);
        assert_eq!(doc["http"]["method"], json!(["PRI", "GET"]));
    }

    #[test]
    fn data_after_close_and_too_large() {
        let mut c = PREFACE.to_vec();
        c.extend(frame(DATA, 0, 5, b"abc"));
        let doc = run(&[&c], &[]);
        assert_eq!(doc["tags"], json!(["http2:data-frame-after-close"]));
        let mut c = PREFACE.to_vec();
        let mut huge = (0x10_0001u32).to_be_bytes()[1..].to_vec();
        huge.extend_from_slice(&[DATA, 0, 0, 0, 0, 1]);
        c.extend(huge);
        let doc = run(&[&c], &[]);
        assert_eq!(doc["tags"], json!(["http2:data-frame-too-large"]));
    }
}
