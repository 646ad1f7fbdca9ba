//! SMTP (Arkime's smtp.c): a line state machine per direction over commands, the
//! message headers after DATA or BDAT, and MIME parts. It writes senders and
//! receivers (envelope and headers), HELO/EHLO names, subjects decoded from RFC 2047
//! in the charsets they name, message ids, content types, user agents, hosts and
//! addresses from Received headers, AUTH LOGIN/PLAIN users, attachment filenames with
//! the MD5, SHA-256 and magic of base64 parts, every header name (and value when
//! `parseSMTPHeaderAll`), `smtpIpHeaders` addresses, and tags for STARTTLS, AUTH and
//! the server's answer to each message. After STARTTLS the stream is classified again
//! (TLS attaches) and SMTP stops.

use std::collections::HashMap;
use std::sync::Arc;
use trawl_parser_common::text::hex;

use md5::{Digest, Md5};
use sha2::Sha256;
use trawl_config::{Config, ConfigError, MagicMode};
use trawl_fields::{FieldId, FieldRegistry, FieldType, Flags};
use trawl_parser_common::text::{
    latin1, latin1_lower, memcasestr, memstr, until_nul, utf8_or_latin1,
};
use trawl_parser_common::value::{add_typed, atoi, is_space, parse_ip};
use trawl_parser_common::{base64, magic, ntlm};
use trawl_session::parsers::{classify_tcp, register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

use crate::fields::{self, EmailIds};

/// Longest line before the parser gives up (`smtp:line-too-long`).
const MAX_LINE_LEN: usize = 10_000;
/// Most MIME boundaries remembered.
const MAX_BOUNDARIES: usize = 128;
/// Largest decoded subject or filename (Arkime's output buffer).
const MAX_DECODED: usize = 0xfff;

/// What a header's value feeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Header {
    Subject,
    Dst,
    Src,
    Id,
    Received,
    ContentType,
    /// A plain field, by its type.
    Field(FieldId),
}

/// Field ids and settings, set up at registration.
#[derive(Debug)]
pub struct SmtpConfig {
    ids: EmailIds,
    headers: HashMap<String, Header>,
    ip_headers: Vec<String>,
    header_all: bool,
    magic: bool,
    ntlm: ntlm::Ntlm,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    Cmd,
    CmdReturn,
    AuthLogin,
    AuthLoginReturn,
    AuthPlain,
    AuthPlainReturn,
    DataHeader,
    DataHeaderReturn,
    DataHeaderDone,
    Data,
    DataReturn,
    Ignore,
    TlsOk,
    TlsOkReturn,
    Tls,
    Mime,
    MimeReturn,
    MimeDone,
    MimeData,
    MimeDataReturn,
}

/// Per-session state (Arkime's `SMTPInfo_t`).
#[derive(Debug)]
struct Smtp {
    cfg: Arc<SmtpConfig>,
    boundaries: Vec<Vec<u8>>,
    state: [St; 2],
    need_status: [bool; 2],
    /// The line being read. The framework keeps the bytes of an unfinished one and
    /// the parser reads them again (see [`Mark`]); it is kept here between runs only
    /// where Arkime's state machine carries a line over (see [`Smtp::run`]).
    line: [Vec<u8>; 2],
    b64: [base64::Step; 2],
    bdat_remaining: [u32; 2],
    md5: [Md5; 2],
    sha256: [Sha256; 2],
    base64_decode: u8,
    first_in_content: u8,
    seen_headers: u8,
    in_bdat: u8,
    in_ntlm_auth: bool,
}

fn starts_ci(line: &[u8], p: &[u8]) -> bool {
    line.len() >= p.len() && line[..p.len()].eq_ignore_ascii_case(p)
}

/// The text between an optional opening `start` and the first `stop` (Arkime's
/// `smtp_remove_matching`), after leading blanks.
pub fn remove_matching(s: &[u8], start: u8, stop: u8) -> &[u8] {
    let s = until_nul(s);
    let mut i = s.iter().position(|c| !is_space(*c)).unwrap_or(s.len());
    if s.get(i) == Some(&start) {
        i += 1;
    }
    let rest = &s[i..];
    let end = rest.iter().position(|&c| c == stop).unwrap_or(rest.len());
    &rest[..end]
}

/// A MIME parameter value: a quoted string, or a token up to `;` or a blank.
pub fn param_value(s: &[u8]) -> &[u8] {
    let s = until_nul(s);
    let i = s.iter().position(|c| !is_space(*c)).unwrap_or(s.len());
    let s = &s[i..];
    if s.first() == Some(&b'"') {
        let r = &s[1..];
        let end = r.iter().position(|&c| c == b'"').unwrap_or(r.len());
        return &r[..end];
    }
    let end = s
        .iter()
        .position(|&c| c == b';' || is_space(c))
        .unwrap_or(s.len());
    &s[..end]
}

/// The addresses of a To/Cc/From value: the part in angle brackets, else the text up
/// to a comma, after a quoted display name (Arkime's `smtp_parse_email_addresses`).
/// With `imap`, as imap.c reads them: a line end also ends an address, and empty
/// ones are skipped.
pub fn addresses(d: &[u8], imap: bool) -> Vec<&[u8]> {
    let stop = |c: u8| c == b',' || (imap && (c == b'\r' || c == b'\n'));
    let mut out = Vec::new();
    let end = d.len();
    let mut i = 0;
    while i < end {
        while i < end && is_space(d[i]) {
            i += 1;
        }
        let mut start = i;
        if i < end && d[i] == b'"' {
            i += 1;
            while i < end && d[i] != b'"' {
                i += 1;
            }
            i += 1;
            while i < end && is_space(d[i]) {
                i += 1;
            }
            start = i.min(end);
        }
        while i < end && d[i] != b'<' && !stop(d[i]) {
            i += 1;
        }
        if i < end && d[i] == b'<' {
            i += 1;
            start = i;
            while i < end && d[i] != b'>' {
                i += 1;
            }
        }
        let stop_at = i.min(end);
        if !imap || stop_at > start.min(end) {
            out.push(&d[start.min(end)..stop_at]);
        }
        while i < end && !stop(d[i]) {
            i += 1;
        }
        if i < end && (imap || d[i] == b',') {
            i += 1;
        }
    }
    out
}

/// What a Received header names.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Received<'a> {
    /// Host names after `from` and `by` (the domain part when there is an `@`).
    pub hosts: Vec<&'a [u8]>,
    /// Addresses in square brackets.
    pub ips: Vec<&'a [u8]>,
}

/// Hosts and bracketed addresses of a Received value (Arkime's
/// `smtp_parse_email_received`).
pub fn received(d: &[u8]) -> Received<'_> {
    let mut out = Received::default();
    let end = d.len();
    let word = |i: usize| -> (usize, usize) {
        let mut from = i;
        let mut j = i;
        while j < end && d[j] != b' ' && d[j] != b')' {
            if d[j] == b'@' {
                from = j + 1;
            }
            j += 1;
        }
        (from, j)
    };
    let mut i = 0;
    while i < end {
        if end - i > 10 {
            if d[i..].starts_with(b"from ") && (i == 0 || d[i - 1] != b'-') {
                i += 5;
                while i < end && is_space(d[i]) {
                    i += 1;
                }
                if d.get(i) == Some(&b'[') {
                    i += 1;
                    let s = i;
                    while i < end && d[i] != b']' {
                        i += 1;
                    }
                    out.ips.push(&d[s..i]);
                    i += 1;
                    continue;
                }
                let (from, j) = word(i);
                out.hosts.push(&d[from.min(j)..j]);
                i = j;
            } else if d[i..].starts_with(b"by ") {
                i += 3;
                while i < end && is_space(d[i]) {
                    i += 1;
                }
                let (from, j) = word(i);
                out.hosts.push(&d[from.min(j)..j]);
                i = j;
            }
        }
        if d.get(i) == Some(&b'[') {
            i += 1;
            let s = i;
            while i < end && d[i] != b']' {
                i += 1;
            }
            out.ips.push(&d[s..i]);
        }
        i += 1;
    }
    out
}

/// Quoted-printable of an encoded word (`_` is a space), up to `?=`.
fn quoted_decode(s: &[u8]) -> Vec<u8> {
    let s = until_nul(s);
    let hex = |c: u8| char::from(c).to_digit(16).map_or(0, |d| d as u8);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'=' => {
                match (s.get(i + 1), s.get(i + 2)) {
                    (Some(&a), Some(&b)) if a != b'\n' => {
                        // Not hex digits: the C table gives 0 for those.
                        let both =
                            char::from(a).is_ascii_hexdigit() && char::from(b).is_ascii_hexdigit();
                        out.push(if both { hex(a) << 4 | hex(b) } else { 0 });
                        i += 2;
                    }
                    _ => break,
                }
            }
            b'_' => out.push(b' '),
            b'?' if s.get(i + 1) == Some(&b'=') => break,
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// Bytes in `charset` converted to UTF-8 as iconv would, or None where it fails.
pub fn to_utf8(b: &[u8], charset: &[u8]) -> Option<Vec<u8>> {
    let name = latin1_lower(charset);
    match name.as_str() {
        "utf-8" | "utf8" => std::str::from_utf8(b).ok().map(|_| b.to_vec()),
        "us-ascii" | "ascii" => b.is_ascii().then(|| b.to_vec()),
        "iso-8859-1" | "iso8859-1" | "iso_8859-1" | "latin1" | "l1" | "cp819" => Some(
            b.iter()
                .map(|&c| char::from(c))
                .collect::<String>()
                .into_bytes(),
        ),
        "cp1252" | "windows-1252" => {
            // Five bytes have no character in iconv's CP1252.
            if b.iter()
                .any(|c| matches!(c, 0x81 | 0x8d | 0x8f | 0x90 | 0x9d))
            {
                return None;
            }
            decode_with(encoding_rs::WINDOWS_1252, b)
        }
        "ks_c_5601-1987" | "cp949" => decode_with(encoding_rs::EUC_KR, b),
        _ => decode_with(encoding_rs::Encoding::for_label(name.as_bytes())?, b),
    }
}

fn decode_with(e: &'static encoding_rs::Encoding, b: &[u8]) -> Option<Vec<u8>> {
    e.decode_without_bom_handling_and_without_replacement(b)
        .map(|s| s.into_owned().into_bytes())
}

/// An RFC 2047 header value as Arkime decodes it for subjects and filenames: encoded
/// words (B or Q, any charset) to UTF-8, the text between them from CP1252, a space
/// between two encoded words dropped. Where a word cannot be decoded the raw value is
/// kept; output that is not UTF-8 becomes "Error Decoding".
pub fn decode_encoded(input: &[u8]) -> Vec<u8> {
    let input = until_nul(input);
    let end = input.len();
    let mut out: Vec<u8> = Vec::new();
    let push = |out: &mut Vec<u8>, b: &[u8]| {
        let room = MAX_DECODED.saturating_sub(out.len());
        out.extend_from_slice(&b[..b.len().min(room)]);
    };
    let mut i = 0;
    while i < end {
        let start_q = memfind(&input[i..], b"=?").map(|p| i + p);
        if start_q != Some(i) {
            let stop = start_q.unwrap_or(end);
            let extra = usize::from(start_q.is_some() && i + 1 == stop && input[i] == b' ');
            let Some(text) = to_utf8(&input[i + extra..stop], b"CP1252") else {
                return input.to_vec();
            };
            push(&mut out, &text);
            i = stop;
            continue;
        }
        let Some(question) = input[i + 2..]
            .iter()
            .position(|&c| c == b'?')
            .map(|p| i + 2 + p)
        else {
            return input.to_vec();
        };
        if end - question < 5 {
            return input.to_vec();
        }
        let Some(end_q) = memfind(&input[question + 3..], b"?=").map(|p| question + 3 + p) else {
            return input.to_vec();
        };
        let charset = &input[i + 2..question];
        let charset: &[u8] = if charset.eq_ignore_ascii_case(b"windows-1251") {
            b"CP1251"
        } else if charset.eq_ignore_ascii_case(b"windows-1252") {
            b"CP1252"
        } else {
            charset
        };
        if question + 3 != end_q {
            let decoded = match input[question + 1] {
                b'B' | b'b' => {
                    let text = &input[question + 3..end_q];
                    if text.len() >= 2 {
                        base64::decode(text)
                    } else {
                        Vec::new()
                    }
                }
                b'Q' | b'q' => {
                    // Two bytes must follow (the second may be the closing `?`).
                    if input.len() > question + 4 {
                        quoted_decode(&input[question + 3..])
                    } else {
                        Vec::new()
                    }
                }
                _ => return input.to_vec(),
            };
            if charset.eq_ignore_ascii_case(b"utf-8") {
                push(&mut out, &decoded);
            } else {
                let Some(text) = to_utf8(&decoded, charset) else {
                    return input.to_vec();
                };
                push(&mut out, &text);
            }
        }
        i = end_q + 2;
    }
    if std::str::from_utf8(&out).is_err() {
        return b"Error Decoding".to_vec();
    }
    out
}

fn memfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl Smtp {
    fn new(cfg: Arc<SmtpConfig>) -> Self {
        Smtp {
            cfg,
            boundaries: Vec::new(),
            state: [St::Cmd; 2],
            need_status: [false; 2],
            line: [Vec::with_capacity(100), Vec::with_capacity(100)],
            b64: [base64::Step::default(); 2],
            bdat_remaining: [0; 2],
            md5: [Md5::new(), Md5::new()],
            sha256: [Sha256::new(), Sha256::new()],
            base64_decode: 0,
            first_in_content: 0,
            seen_headers: 0,
            in_bdat: 0,
            in_ntlm_auth: false,
        }
    }

    fn add_boundary(&mut self, s: &[u8]) {
        if self.boundaries.len() < MAX_BOUNDARIES {
            self.boundaries.push(param_value(s).to_vec());
        }
    }

    /// One complete header line of the message (`line` of direction `w`).
    fn header_line(&mut self, cx: &mut Cx, s: &mut Session, cfg: &SmtpConfig, w: Dir) {
        let reg = &cx.shared.fields;
        let ids = &cfg.ids;
        let line = std::mem::take(&mut self.line[w]);
        let text = until_nul(&line);
        let Some(colon) = text.iter().position(|&c| c == b':') else {
            self.line[w] = line;
            return;
        };
        let lower = latin1_lower(&text[..colon]);
        s.fields.string_add(reg, ids.has_header, &lower);
        let value = &line[colon + 1..];
        let mut consumed = false;
        if let Some(h) = cfg.headers.get(&lower) {
            match *h {
                Header::Subject => {
                    let v = if line.get(8) != Some(&b' ') {
                        cx.add_tag(s, "smtp:missing-subject-space");
                        line.get(8..).unwrap_or(&[])
                    } else {
                        &line[9..]
                    };
                    let d = decode_encoded(v);
                    s.fields.string_add(reg, ids.subject, &utf8_or_latin1(&d));
                }
                Header::Dst | Header::Src => {
                    let id = if *h == Header::Dst { ids.dst } else { ids.src };
                    for a in addresses(value, false) {
                        s.fields.string_add(reg, id, &latin1_lower(a));
                    }
                }
                Header::Id => {
                    s.fields
                        .string_add(reg, ids.id, &latin1(remove_matching(value, b'<', b'>')));
                }
                Header::Received => {
                    let r = received(value);
                    for ip in r.ips {
                        if let Some(ip) = parse_ip(ip) {
                            s.fields.ip_add(reg, ids.ip, ip);
                        }
                    }
                    for h in r.hosts {
                        s.fields.string_add(reg, ids.host, &latin1_lower(h));
                    }
                }
                Header::ContentType => {
                    let v = line.get(13..).unwrap_or(&[]);
                    let v = &v[v.iter().position(|c| !is_space(*c)).unwrap_or(v.len())..];
                    s.fields.string_add(reg, ids.content_type, &latin1(v));
                    if let Some(p) = find_ci(v, b"boundary=") {
                        self.add_boundary(&v[p + 9..]);
                    }
                }
                Header::Field(id) => add_typed(&mut s.fields, reg, id, value),
            }
            consumed = true;
        }
        if !consumed {
            for h in &cfg.ip_headers {
                if lower.eq_ignore_ascii_case(h) {
                    let v = line.get(h.len() + 1..).unwrap_or(&[]);
                    if let Some(ip) = parse_ip(remove_matching(v, b'[', b']')) {
                        s.fields.ip_add(reg, ids.ip, ip);
                    }
                    consumed = true;
                }
            }
        }
        if cfg.header_all && !consumed {
            s.fields.string_add(reg, ids.header_field, &lower);
            add_typed(&mut s.fields, reg, ids.header_value, value);
        }
        let mut line = line;
        line.clear();
        self.line[w] = line;
    }

    /// A MIME part header line.
    fn mime_header_line(&mut self, cx: &mut Cx, s: &mut Session, cfg: &SmtpConfig, w: Dir) {
        let line = std::mem::take(&mut self.line[w]);
        if starts_ci(&line, b"content-type:") {
            let v = &line[13..];
            let v = &v[v.iter().position(|c| !is_space(*c)).unwrap_or(v.len())..];
            if let Some(p) = find_ci(v, b"boundary=") {
                self.add_boundary(&v[p + 9..]);
            }
        } else if starts_ci(&line, b"content-disposition:") {
            let v = &line[20..];
            let v = &v[v.iter().position(|c| !is_space(*c)).unwrap_or(v.len())..];
            if let Some(p) = find_ci(v, b"filename=") {
                let name = remove_matching(&v[p + 9..], b'"', b'"');
                let d = decode_encoded(name);
                s.fields
                    .string_add(&cx.shared.fields, cfg.ids.filename, &utf8_or_latin1(&d));
            }
        } else if starts_ci(&line, b"content-transfer-encoding:")
            && memcasestr(&line[26..], b"base64")
        {
            self.base64_decode |= w.bit();
        }
        let mut line = line;
        line.clear();
        self.line[w] = line;
    }

    fn run(
        &mut self,
        cx: &mut Cx,
        s: &mut Session,
        cfg: &SmtpConfig,
        data: &[u8],
        w: Dir,
    ) -> Parsed {
        let other = w.other();
        let bit = w.bit();
        let ids = &cfg.ids;
        let mut mark = Mark::new(self, w, 0);
        // The line carried into this run, given back if it ends at the first mark.
        let carried = self.line[w].clone();
        // need_status[w] raised since the mark (the other direction sees it).
        let mut raised = false;
        let mut i = 0;
        while i < data.len() {
            if self.line[w].is_empty() {
                mark = Mark::new(self, w, i);
                raised = false;
            }
            let c = data[i];
            // `continue` below looks at the same byte again in the new state, as the
            // C code's `continue` does; falling through consumes it.
            match self.state[w] {
                St::Cmd | St::AuthLogin | St::AuthPlain | St::Data | St::MimeData => {
                    if c == b'\r' {
                        self.state[w] = match self.state[w] {
                            St::Cmd => St::CmdReturn,
                            St::AuthLogin => St::AuthLoginReturn,
                            St::AuthPlain => St::AuthPlainReturn,
                            St::Data => St::DataReturn,
                            _ => St::MimeDataReturn,
                        };
                    } else {
                        self.line[w].push(c);
                    }
                }
                St::CmdReturn => {
                    // A server "334 <base64>" or a bare client base64 line while NTLM
                    // authentication goes on.
                    let ntlm_line = self.in_ntlm_auth && {
                        let raw = &self.line[w];
                        let b64 = match raw.strip_prefix(b"334 ") {
                            Some(b) if raw.len() > 4 => b,
                            _ => &raw[..],
                        };
                        self.cfg.ntlm.record_base64(cx, s, b64)
                    };
                    if ntlm_line {
                        self.state[w] = St::Cmd;
                        self.line[w].clear();
                        if c != b'\n' {
                            continue;
                        }
                    } else {
                        let reg = &cx.shared.fields;
                        let line = until_nul(&self.line[w]).to_vec();
                        let mut next = St::Cmd;
                        if self.need_status[other] {
                            self.need_status[other] = false;
                            cx.add_tag(s, &format!("smtp:statuscode:{}", atoi(&line)));
                            next = self.state[w];
                        } else if starts_ci(&line, b"MAIL FROM:") {
                            let v = remove_matching(&line[10..], b'<', b'>');
                            s.fields.string_add(reg, ids.src, &latin1_lower(v));
                        } else if starts_ci(&line, b"RCPT TO:") {
                            let v = remove_matching(&line[8..], b'<', b'>');
                            s.fields.string_add(reg, ids.dst, &latin1_lower(v));
                        } else if starts_ci(&line, b"DATA") {
                            next = St::DataHeader;
                            self.seen_headers |= bit;
                        } else if starts_ci(&line, b"BDAT")
                            && self.line[w].len() > 5
                            && matches!(self.line[w][4], b' ' | b'\t')
                        {
                            let n = atoi(&self.line[w][5..]);
                            if !(0..=(1 << 30)).contains(&n) {
                                cx.add_tag(s, "smtp:bad-bdat");
                                return Parsed::Skip;
                            }
                            self.in_bdat |= bit;
                            self.bdat_remaining[w] = n as u32 + 1;
                            if self.seen_headers & bit != 0 {
                                next = St::Data;
                            } else {
                                self.seen_headers |= bit;
                                next = St::DataHeader;
                            }
                        } else if starts_ci(&line, b"AUTH LOGIN") {
                            cx.add_tag(s, "smtp:authlogin");
                            if self.line[w].len() > 11 {
                                let user = base64::decode(&line[11.min(line.len())..]);
                                if !user.is_empty() {
                                    s.fields.string_add(reg, ids.user, &latin1_lower(&user));
                                }
                            } else {
                                next = St::AuthLogin;
                            }
                        } else if starts_ci(&line, b"AUTH PLAIN") {
                            cx.add_tag(s, "smtp:authplain");
                            if self.line[w].len() > 11 {
                                let d = base64::decode(&line[11.min(line.len())..]);
                                if let Some(u) = plain_user(&d) {
                                    s.fields.string_add(reg, ids.user, &latin1_lower(u));
                                }
                            } else {
                                next = St::AuthPlain;
                            }
                        } else if starts_ci(&line, b"AUTH NTLM") {
                            cx.add_tag(s, "smtp:authntlm");
                            self.in_ntlm_auth = true;
                            if self.line[w].len() > 10 {
                                let b64 = self.line[w][10..].to_vec();
                                self.cfg.ntlm.record_base64(cx, s, &b64);
                            }
                        } else if starts_ci(&line, b"STARTTLS") {
                            cx.add_tag(s, "smtp:starttls");
                            self.state[w] = St::Tls;
                            self.state[other] = St::TlsOk;
                            return Parsed::Done(0);
                        } else if starts_ci(&line, b"HELO ") || starts_ci(&line, b"EHLO ") {
                            s.fields
                                .string_add(reg, ids.hello, &latin1_lower(&line[5..]));
                            s.fields.string_remove(cx.shared.core.protocols, "ftp");
                        }
                        self.state[w] = next;
                        self.line[w].clear();
                        if c != b'\n' {
                            continue;
                        }
                    }
                }
                St::AuthLoginReturn | St::AuthPlainReturn => {
                    let d = base64::decode(until_nul(&self.line[w]));
                    let user = if self.state[w] == St::AuthLoginReturn {
                        (!d.is_empty()).then_some(&d[..])
                    } else {
                        plain_user(&d)
                    };
                    if let Some(u) = user {
                        s.fields
                            .string_add(&cx.shared.fields, ids.user, &latin1_lower(u));
                    }
                    self.line[w].clear();
                    self.state[w] = St::Cmd;
                }
                St::DataHeader => {
                    if c == b'\r' {
                        self.state[w] = St::DataHeaderReturn;
                    } else {
                        self.line[w].push(c);
                    }
                }
                St::DataHeaderReturn => {
                    let line = until_nul(&self.line[w]);
                    if line == b"." {
                        self.need_status[w] = true;
                        raised = true;
                        self.state[w] = St::Cmd;
                    } else if line.is_empty() {
                        self.state[w] = St::Data;
                    } else {
                        self.state[w] = St::DataHeaderDone;
                    }
                    if c != b'\n' {
                        continue;
                    }
                }
                St::DataHeaderDone => {
                    self.state[w] = St::DataHeader;
                    if c == b' ' || c == b'\t' {
                        // A folded header continues on this line.
                        self.line[w].push(b' ');
                    } else if !until_nul(&self.line[w]).contains(&b':') {
                        self.line[w].clear();
                    } else {
                        self.header_line(cx, s, cfg, w);
                        if c != b'\n' {
                            continue;
                        }
                    }
                }
                St::DataReturn | St::MimeDataReturn => {
                    let line = until_nul(&self.line[w]);
                    if self.in_bdat & bit == 0 && line == b"." {
                        self.need_status[w] = true;
                        raised = true;
                        self.state[w] = St::Cmd;
                    } else {
                        let raw = &self.line[w];
                        let found = raw.starts_with(b"--")
                            && self
                                .boundaries
                                .iter()
                                .any(|b| raw.len() >= b.len() + 2 && raw[2..].starts_with(b));
                        if found {
                            if self.base64_decode & bit != 0 {
                                let md5 = hex(&std::mem::take(&mut self.md5[w]).finalize());
                                s.fields.string_add(&cx.shared.fields, ids.md5, &md5);
                                let sha = hex(&std::mem::take(&mut self.sha256[w]).finalize());
                                if let Some(id) = ids.sha256 {
                                    s.fields.string_add(&cx.shared.fields, id, &sha);
                                }
                            }
                            self.first_in_content |= bit;
                            self.base64_decode &= !bit;
                            self.b64[w] = base64::Step::default();
                            self.md5[w] = Md5::new();
                            self.sha256[w] = Sha256::new();
                            self.state[w] = St::Mime;
                        } else if self.state[w] == St::MimeDataReturn {
                            if self.base64_decode & bit != 0 && raw.len() < 20_000 {
                                let mut buf = Vec::with_capacity(raw.len());
                                self.b64[w].decode(raw, &mut buf);
                                self.md5[w].update(&buf);
                                if ids.sha256.is_some() {
                                    self.sha256[w].update(&buf);
                                }
                                if self.first_in_content & bit != 0 {
                                    self.first_in_content &= !bit;
                                    if cfg.magic {
                                        if let Some(m) = magic::basic(&buf) {
                                            s.fields.string_add(&cx.shared.fields, ids.magic, m);
                                        }
                                    }
                                }
                            }
                            self.state[w] = St::MimeData;
                        } else {
                            self.state[w] = St::Data;
                        }
                    }
                    self.line[w].clear();
                    if c != b'\n' {
                        continue;
                    }
                }
                St::Ignore => return Parsed::Done(0),
                St::TlsOk => {
                    if c == b'\r' {
                        self.state[w] = St::TlsOkReturn;
                    } else {
                        self.line[w].push(c);
                    }
                }
                St::TlsOkReturn => {
                    self.state[w] = St::Tls;
                    if c != b'\n' {
                        continue;
                    }
                }
                St::Tls => {
                    let rest = &data[i..];
                    if rest.len() > 5 && rest.starts_with(b"EHLO ") {
                        // The server refused: back to commands.
                        self.line[w].clear();
                        self.state[w] = St::Cmd;
                        self.state[other] = St::CmdReturn;
                        continue;
                    }
                    self.state[w] = St::Ignore;
                    classify_tcp(cx, s, rest, w);
                    return Parsed::Skip;
                }
                St::Mime => {
                    if c == b'\r' {
                        self.state[w] = St::MimeReturn;
                    } else {
                        self.line[w].push(c);
                    }
                }
                St::MimeReturn => {
                    let line = until_nul(&self.line[w]);
                    if line.is_empty() {
                        self.state[w] = St::MimeData;
                    } else if line == b"." {
                        self.need_status[w] = true;
                        raised = true;
                        self.state[w] = St::Cmd;
                    } else {
                        self.state[w] = St::MimeDone;
                    }
                    if c != b'\n' {
                        continue;
                    }
                }
                St::MimeDone => {
                    self.state[w] = St::Mime;
                    if c == b' ' || c == b'\t' {
                        self.line[w].push(c);
                    } else {
                        self.mime_header_line(cx, s, cfg, w);
                        if c != b'\n' {
                            continue;
                        }
                    }
                }
            }

            if self.line[w].len() > MAX_LINE_LEN {
                cx.add_tag(s, "smtp:line-too-long");
                return Parsed::Skip;
            }
            i += 1;
            if self.in_bdat & bit != 0 {
                self.bdat_remaining[w] = self.bdat_remaining[w].wrapping_sub(1);
                if self.bdat_remaining[w] == 0 {
                    self.state[w] = St::Cmd;
                    self.in_bdat &= !bit;
                }
            }
        }
        if self.line[w].is_empty() {
            mark = Mark::new(self, w, data.len());
            raised = false;
        }
        // Arkime's state machine carries a line over where rereading it would not do
        // the same: a message's "." that raised need_status (the other direction may
        // answer before this one goes on) stays at the front of the next command line,
        // and the server's line after STARTTLS is read as a command once the client
        // says EHLO again (that direction sets this one's state). There the line is
        // kept here and all the bytes are consumed.
        if raised || matches!(self.state[w], St::TlsOk | St::TlsOkReturn | St::Tls) {
            return Parsed::Incomplete {
                consumed: data.len(),
                needed: 0,
            };
        }
        // Otherwise the framework keeps the bytes from the last point where no line
        // was under way, and this run's state goes back to that point.
        self.state[w] = mark.state;
        self.bdat_remaining[w] = mark.bdat_remaining;
        self.in_bdat = self.in_bdat & !bit | mark.in_bdat;
        self.line[w].clear();
        if mark.at == 0 {
            self.line[w] = carried;
        }
        Parsed::Incomplete {
            consumed: mark.at,
            needed: 0,
        }
    }
}

/// A point in a run where no line is under way (or the run's start), with the
/// direction's state there: the framework keeps the bytes from it, and the next run
/// reads them again from this state. Between a mark and the end of a run nothing is
/// written and the other direction is not touched (what is, ends a line), so reading
/// again does what reading on would have.
#[derive(Clone, Copy, Debug)]
struct Mark {
    at: usize,
    state: St,
    bdat_remaining: u32,
    in_bdat: u8,
}

impl Mark {
    fn new(p: &Smtp, w: Dir, at: usize) -> Mark {
        Mark {
            at,
            state: p.state[w],
            bdat_remaining: p.bdat_remaining[w],
            in_bdat: p.in_bdat & (w.bit()),
        }
    }
}

/// The user of an AUTH PLAIN credential: between the first and second NUL.
fn plain_user(d: &[u8]) -> Option<&[u8]> {
    let n1 = d.iter().position(|&c| c == 0)?;
    let rest = &d[n1 + 1..];
    let n2 = rest.iter().position(|&c| c == 0)?;
    Some(&rest[..n2])
}

fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

impl Parser for Smtp {
    fn name(&self) -> &'static str {
        "smtp"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
        let cfg = Arc::clone(&self.cfg);
        self.run(cx, s, &cfg, data, dir)
    }

    /// Bytes since the last mark: a line of at most [`MAX_LINE_LEN`] bytes read, and
    /// the line ends and folds left out of it (at most 2 bytes for each one it keeps).
    fn max_held(&self) -> usize {
        3 * MAX_LINE_LEN + 16
    }
}

fn classify(cx: &mut Cx, s: &mut Session, data: &[u8], cfg: &Arc<SmtpConfig>) {
    if data.len() < 5 {
        return;
    }
    let smtp = data.starts_with(b"HELO ")
        || data.starts_with(b"EHLO ")
        || ((data.starts_with(b"220 ") || data.starts_with(b"220-"))
            && memstr(until_nul(data), b"SMTP"));
    if !smtp || cx.has_protocol(s, "smtp") {
        return;
    }
    cx.add_protocol(s, "smtp");
    register_parser(s, Box::new(Smtp::new(Arc::clone(cfg))));
}

/// The SMTP parser's options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpOptions {
    /// `supportSha256`: also hash attachments with SHA-256.
    pub support_sha256: bool,
    /// `[headers-email]`: more headers to keep, each `name=type:…;count:…`.
    pub headers: Vec<(String, String)>,
    /// `smtpIpHeaders`: headers holding addresses, lower case without the colon.
    pub ip_headers: Vec<String>,
    /// `parseSMTPHeaderAll`: keep every header name and value.
    pub header_all: bool,
    /// `magicMode` is not `none`: find attachments' content types.
    pub magic: bool,
}

impl SmtpOptions {
    /// Reads them from the config.
    pub fn from_config(cfg: &Config) -> Result<SmtpOptions, ConfigError> {
        let ip_headers = cfg
            .get_list("smtpIpHeaders", "")
            .into_iter()
            .map(|h| {
                let lower = h.to_ascii_lowercase();
                lower.strip_suffix(':').map(str::to_string).unwrap_or(lower)
            })
            .filter(|h| !h.is_empty())
            .collect();
        Ok(SmtpOptions {
            support_sha256: cfg.get_bool("supportSha256", false)?,
            headers: cfg
                .section("headers-email")
                .map(<[_]>::to_vec)
                .unwrap_or_default(),
            ip_headers,
            header_all: cfg.get_bool("parseSMTPHeaderAll", false)?,
            magic: MagicMode::from_config(cfg)? != MagicMode::None,
        })
    }
}

/// Defines the email fields and the `[headers-email]` ones, and registers the
/// classifiers.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry, st: &SmtpOptions) {
    let ids = fields::define(f, st.support_sha256);
    let mut headers = HashMap::new();
    for (name, h) in [
        ("cc", Header::Dst),
        ("to", Header::Dst),
        ("from", Header::Src),
        ("message-id", Header::Id),
        ("content-type", Header::ContentType),
        ("subject", Header::Subject),
        ("x-mailer", Header::Field(ids.ua)),
        ("user-agent", Header::Field(ids.ua)),
        ("mime-version", Header::Field(ids.mime_version)),
        ("received", Header::Received),
    ] {
        headers.insert(name.to_string(), h);
    }
    for (name, value) in &st.headers {
        if headers.contains_key(name) {
            tracing::warn!("ignoring field {name} for headers-email: already defined");
            continue;
        }
        let (mut numeric, mut ip, mut unique, mut count) = (false, false, true, false);
        let mut kind = "termfield";
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
        let ty = match (ip, numeric, unique) {
            (true, _, _) => {
                kind = "ip";
                FieldType::IpGHash
            }
            (false, true, true) => FieldType::IntGHash,
            (false, true, false) => FieldType::IntArray,
            (false, false, true) => FieldType::StrHash,
            (false, false, false) => FieldType::StrArray,
        };
        let exp = format!("email.{name}");
        let id = f.define(
            "email",
            kind,
            &exp,
            &exp,
            &format!("email.header-{name}"),
            &format!("Email header {name}"),
            ty,
            if count { Flags::CNT.0 } else { 0 },
        );
        headers.insert(name.clone(), Header::Field(id));
    }
    let cfg = Arc::new(SmtpConfig {
        ids,
        headers,
        ip_headers: st.ip_headers.clone(),
        header_all: st.header_all,
        magic: st.magic,
        ntlm: ntlm::fields(f),
    });
    for p in [&b"HELO"[..], b"EHLO", b"220 ", b"220-"] {
        let cfg = Arc::clone(&cfg);
        c.register_tcp("smtp", 0, 0, p, move |cx, s, data, _, _| {
            classify(cx, s, data, &cfg)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> trawl_config::Config {
        trawl_config::Config::from_str(text, "test.ini", "test", &[]).unwrap()
    }

    #[test]
    fn options_from_the_config() {
        let d = SmtpOptions::from_config(&config("[default]\n")).unwrap();
        assert!(d.magic && !d.header_all && !d.support_sha256);
        assert!(d.ip_headers.is_empty() && d.headers.is_empty());
        let c = config(
            "[default]\nsmtpIpHeaders=X-Originating-IP:;X-Barracuda-Apparent-Source-IP\n\
             parseSMTPHeaderAll=true\nmagicMode=basic\n[headers-email]\nx-priority=type:integer\n",
        );
        let o = SmtpOptions::from_config(&c).unwrap();
        assert_eq!(
            o.ip_headers,
            ["x-originating-ip", "x-barracuda-apparent-source-ip"]
        );
        assert!(o.header_all && o.magic);
        assert_eq!(o.headers.len(), 1);
    }

    #[test]
    fn envelope_pieces() {
        assert_eq!(remove_matching(b" <a@b.c> SIZE=10", b'<', b'>'), b"a@b.c");
        assert_eq!(remove_matching(b"a@b.c", b'<', b'>'), b"a@b.c");
        assert_eq!(param_value(b"\"=_b1\"; x"), b"=_b1");
        assert_eq!(param_value(b" abc;def"), b"abc");
        assert_eq!(plain_user(b"\0bob\0pw"), Some(&b"bob"[..]));
        assert_eq!(plain_user(b"bob"), None);
    }

    #[test]
    fn address_lists() {
        let got = addresses(b" \"Doe, J\" <J@X.com>, plain@y.org ,<z@w>", false);
        assert_eq!(got, [&b"J@X.com"[..], b"plain@y.org ", b"z@w"]);
        assert_eq!(addresses(b"", false), Vec::<&[u8]>::new());
        assert_eq!(
            addresses(b" \"A B\" <a@b.c>, d@e.f", true),
            [&b"a@b.c"[..], b"d@e.f"]
        );
        assert_eq!(addresses(b" , ", true), Vec::<&[u8]>::new());
    }

    #[test]
    fn received_hosts_and_ips() {
        let r = received(
            b" from mail.example.org (mail.example.org [10.1.2.3]) by mx.test.net (Postfix) with ESMTP id X",
        );
        assert_eq!(r.hosts, [&b"mail.example.org"[..], b"mx.test.net"]);
        assert_eq!(r.ips, [&b"10.1.2.3"[..]]);
        let r = received(b" from [192.168.1.9] by user@relay.example ");
        assert_eq!(r.ips, [&b"192.168.1.9"[..]]);
        assert_eq!(r.hosts, [&b"relay.example"[..]]);
    }

    #[test]
    fn encoded_words() {
        assert_eq!(decode_encoded(b"plain text"), b"plain text");
        assert_eq!(
            decode_encoded(b"=?UTF-8?Q?caf=C3=A9_ok?="),
            "café ok".as_bytes()
        );
        assert_eq!(
            decode_encoded(b"=?iso-8859-1?B?Y2Fm6Q==?="),
            "café".as_bytes()
        );
        // The space between two encoded words goes.
        assert_eq!(decode_encoded(b"=?utf-8?q?a?= =?utf-8?q?b?="), b"ab");
        // Text around words is read as CP1252; only a lone space is dropped.
        assert_eq!(decode_encoded(b"x\x80 =?utf-8?q?y?="), "x€ y".as_bytes());
        // Undecodable: the raw value.
        assert_eq!(decode_encoded(b"=?utf-8?x?abc?="), b"=?utf-8?x?abc?=");
        assert_eq!(decode_encoded(b"=?utf-8?q"), b"=?utf-8?q");
        // Decoded bytes that are not UTF-8.
        assert_eq!(decode_encoded(b"=?utf-8?B?6Q==?="), b"Error Decoding");
        assert_eq!(decode_encoded(b"=?utf-8?B??="), b"");
        let s = b"=?ISO-8859-1?Q?=E9t=E9?= et =?UTF-8?B?w6l0w6k=?=";
        assert_eq!(decode_encoded(s), "été et été".as_bytes());
        for n in 0..=s.len() {
            let _ = decode_encoded(&s[..n]);
        }
    }

    #[test]
    fn charsets() {
        assert_eq!(
            to_utf8(b"\xe9", b"ISO-8859-1").as_deref(),
            Some("é".as_bytes())
        );
        assert_eq!(to_utf8(b"\x80", b"CP1252").as_deref(), Some("€".as_bytes()));
        assert_eq!(to_utf8(b"\x81", b"CP1252"), None);
        assert_eq!(to_utf8(b"\xe9", b"utf-8"), None);
        assert_eq!(to_utf8(b"x", b"no-such-charset"), None);
    }
}
