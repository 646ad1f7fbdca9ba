//! SMB 1 and 2/3 (Arkime's smb.c): messages framed by their NetBIOS session header,
//! up to 8 KiB of each direction kept by the framework, with Arkime's rule for what
//! is parsed at once (see [`Smb::feed`]). From requests: shares connected to (TREE
//! CONNECT), files opened, created and deleted, the session setup's OS, version,
//! domain and user, and the NTLMSSP authenticate message inside its security blob
//! (also into the `ntlm.*` fields); from responses: the negotiated dialect.

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::ber;
use trawl_parser_common::cursor::Cursor;
use trawl_parser_common::ntlm::{self, Ntlm};
use trawl_parser_common::text::{latin1, ucs2le, until_nul};
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

/// Most bytes buffered per direction, and the longest message parsed.
const MAX_BUFFER: usize = 8192;
const MAX_SMB1_DIALECTS: usize = 10;

/// Whether the first bytes of a stream are an SMB message in a NetBIOS session frame.
pub fn is_smb(data: &[u8]) -> bool {
    matches!(data.get(4), Some(0xff | 0xfe)) && data.get(5..8) == Some(b"SMB")
}

#[derive(Clone, Copy, Debug)]
struct Ids {
    share: FieldId,
    filename: FieldId,
    os: FieldId,
    domain: FieldId,
    version: FieldId,
    dialect: FieldId,
    user: FieldId,
    host: FieldId,
    ntlm: Ntlm,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    Netbios,
    Header,
    Skip,
    Smb1TreeConnectAndx,
    Smb1Delete,
    Smb1OpenAndx,
    Smb1CreateAndx,
    Smb1SetupAndx,
    Smb1NegotiateReq,
    Smb1NegotiateRsp,
    Smb2TreeConnect,
    Smb2Create,
    Smb2Negotiate,
}

/// What a message adds to the session.
#[derive(Debug, PartialEq, Eq)]
pub enum Found {
    /// A share path.
    Share(Vec<u8>),
    /// A file name.
    Filename(Vec<u8>),
    /// OS.
    Os(Vec<u8>),
    /// Version (native LAN manager).
    Version(Vec<u8>),
    /// Domain.
    Domain(Vec<u8>),
    /// User.
    User(Vec<u8>),
    /// Workstation.
    Host(Vec<u8>),
    /// The negotiated dialect.
    Dialect(Vec<u8>),
    /// An NTLMSSP message (for the `ntlm.*` fields).
    Ntlm(Vec<u8>),
    /// A tag.
    Tag(&'static str),
}

/// A string of a message: UTF-16LE converted when `unicode`, else the bytes; None if
/// empty or not convertible.
fn smb_string(b: &[u8], unicode: bool) -> Option<Vec<u8>> {
    if b.is_empty() {
        return None;
    }
    if unicode {
        ucs2le(b)
    } else {
        Some(b.to_vec())
    }
}

/// The strings of a NUL-separated list (only those ended by a NUL), converted first.
fn nul_split(b: &[u8], unicode: bool, max: usize) -> Vec<Vec<u8>> {
    let Some(out) = (if unicode { ucs2le(b) } else { Some(b.to_vec()) }) else {
        return Vec::new();
    };
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, &c) in out.iter().enumerate() {
        if parts.len() >= max {
            break;
        }
        if c == 0 {
            parts.push(out[start..i].to_vec());
            start = i + 1;
        }
    }
    parts
}

/// The security blob of a session setup: a raw or SPNEGO-wrapped NTLMSSP message.
fn security_blob(data: &[u8], out: &mut Vec<Found>) {
    if data.len() >= 8 && &data[..8] == b"NTLMSSP\0" {
        out.push(Found::Ntlm(data.to_vec()));
        return;
    }
    let mut b = data;
    let Some((_, 1, v)) = ber::tlv(&mut b) else {
        return;
    };
    let mut b = v;
    let Some((_, 16, v)) = ber::tlv(&mut b) else {
        return;
    };
    let mut b = v;
    let Some((_, 2, v)) = ber::tlv(&mut b) else {
        return;
    };
    let mut b = v;
    let Some((_, 4, value)) = ber::tlv(&mut b) else {
        return;
    };
    if value.len() < 7 || &value[..7] != b"NTLMSSP" {
        return;
    }
    out.push(Found::Ntlm(value.to_vec()));
    let mut m = Cursor::new(value);
    m.skip(8);
    if m.le32() != 3 {
        return;
    }
    let mut bufs = [(0usize, 0usize); 6];
    for b in &mut bufs {
        let len = usize::from(m.le16());
        m.skip(2);
        let off = m.le32() as usize;
        if m.is_error() || off > value.len() || len > value.len() - off {
            out.push(Found::Tag("smb:bad-security-blob"));
            return;
        }
        *b = (off, len);
    }
    let get = |i: usize| {
        let (off, len) = bufs[i];
        if len == 0 {
            None
        } else {
            ucs2le(&value[off..off + len])
        }
    };
    out.extend(get(2).map(Found::Domain));
    out.extend(get(3).map(Found::User));
    out.extend(get(4).map(Found::Host));
}

/// Per-direction state and the dialects a client offered (Arkime's `SMBInfo_t`).
#[derive(Debug)]
struct Smb {
    ids: Ids,
    /// Per direction: how many bytes the framework keeps for it (Arkime's buffer,
    /// handed back in front of the next bytes).
    held: [usize; 2],
    remlen: [u32; 2],
    flags2: [u16; 2],
    version: [u8; 2],
    state: [St; 2],
    dialects: Vec<Vec<u8>>,
}

impl Smb {
    fn new(ids: Ids) -> Self {
        Smb {
            ids,
            held: [0; 2],
            remlen: [0; 2],
            flags2: [0; 2],
            version: [0; 2],
            state: [St::Netbios; 2],
            dialects: Vec::new(),
        }
    }

    /// One step of an SMB1 message; true when more bytes are needed.
    fn smb1(&mut self, b: &mut Cursor, w: Dir, out: &mut Vec<Found>) -> bool {
        let start = b.pos();
        let unicode = self.flags2[w] & 0x8000 != 0;
        match self.state[w] {
            St::Header => {
                if b.remaining() < 32 {
                    return true;
                }
                b.skip(4);
                let cmd = b.u8();
                b.skip(4);
                let flags = b.u8();
                self.flags2[w] = b.le16();
                b.skip(20);
                self.state[w] = if flags & 0x80 == 0 {
                    match cmd {
                        0x06 => St::Smb1Delete,
                        0x2d => St::Smb1OpenAndx,
                        0x72 => St::Smb1NegotiateReq,
                        0x73 => St::Smb1SetupAndx,
                        0x75 => St::Smb1TreeConnectAndx,
                        0xa2 => St::Smb1CreateAndx,
                        _ => St::Skip,
                    }
                } else if cmd == 0x72 {
                    St::Smb1NegotiateRsp
                } else {
                    St::Skip
                };
            }
            st => {
                let n = self.remlen[w] as usize;
                if b.remaining() < n {
                    return true;
                }
                let mut m = Cursor::new(b.take_or_empty(n));
                self.remlen[w] = 0;
                self.state[w] = St::Netbios;
                match st {
                    St::Smb1CreateAndx | St::Smb1OpenAndx | St::Smb1Delete => {
                        let wc = usize::from(m.u8());
                        m.skip(wc * 2 + 3);
                        if !m.is_error() {
                            out.extend(smb_string(m.rest(), unicode).map(Found::Filename));
                        }
                    }
                    St::Smb1TreeConnectAndx => {
                        m.skip(6);
                        let pass = usize::from(m.be16());
                        m.skip(2 + pass);
                        let offset = if m.pos().is_multiple_of(2) { 2 } else { 1 };
                        if !m.is_error() && offset <= m.remaining() {
                            out.extend(smb_string(&m.rest()[offset..], unicode).map(Found::Share));
                        }
                    }
                    St::Smb1SetupAndx => {
                        let wc = m.u8();
                        if wc == 12 {
                            m.skip(14);
                            let sec = usize::from(m.le16());
                            m.skip(10);
                            if !m.is_error() && sec <= m.remaining() {
                                security_blob(&m.rest()[..sec], out);
                                m.skip(sec);
                                m.skip(m.pos() % 2);
                                if !m.is_error() {
                                    let p = nul_split(m.rest(), unicode, 3);
                                    let mut it = p.into_iter();
                                    for f in [Found::Os, Found::Version, Found::Domain] {
                                        if let Some(v) = it.next().filter(|v| !v.is_empty()) {
                                            out.push(f(v));
                                        }
                                    }
                                }
                            }
                        } else if wc == 13 {
                            m.skip(14);
                            let ansi = usize::from(m.le16());
                            let uni = usize::from(m.le16());
                            m.skip(10 + ansi + uni);
                            m.skip(m.pos() % 2);
                            if !m.is_error() {
                                let p = nul_split(m.rest(), unicode, 4);
                                let mut it = p.into_iter();
                                for f in [Found::User, Found::Domain, Found::Os, Found::Version] {
                                    if let Some(v) = it.next().filter(|v| !v.is_empty()) {
                                        out.push(f(v));
                                    }
                                }
                            }
                        }
                    }
                    St::Smb1NegotiateReq => {
                        m.skip(1);
                        let count = m.le16();
                        if count > 0 && !m.is_error() {
                            self.negotiate_request(m.rest());
                        }
                    }
                    St::Smb1NegotiateRsp => {
                        let wc = m.u8();
                        if wc >= 13 {
                            let d = usize::from(m.le16());
                            if !m.is_error() {
                                if let Some(name) = self.dialects.get(d) {
                                    out.push(Found::Dialect(name.clone()));
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        let used = (b.pos() - start) as u32;
        self.remlen[w] = self.remlen[w].saturating_sub(used);
        false
    }

    fn negotiate_request(&mut self, d: &[u8]) {
        let mut b = Cursor::new(d);
        while self.dialects.len() < MAX_SMB1_DIALECTS && b.remaining() > 0 {
            b.skip(1);
            let rest = b.rest();
            let Some(end) = rest.iter().position(|&c| c == 0) else {
                break;
            };
            self.dialects.push(rest[..end].to_vec());
            b.skip(end + 1);
        }
    }

    /// One step of an SMB2/3 message; true when more bytes are needed.
    fn smb2(&mut self, b: &mut Cursor, w: Dir, out: &mut Vec<Found>) -> bool {
        let start = b.pos();
        match self.state[w] {
            St::Header => {
                if b.remaining() < 64 {
                    return true;
                }
                if self.remlen[w] < 64 {
                    self.state[w] = St::Skip;
                    return false;
                }
                b.skip(12);
                let cmd = b.le16();
                b.skip(2);
                let flags = b.le32();
                b.skip(44);
                self.state[w] = if flags & 1 == 0 {
                    match cmd {
                        3 => St::Smb2TreeConnect,
                        5 => St::Smb2Create,
                        _ => St::Skip,
                    }
                } else if cmd == 0 {
                    St::Smb2Negotiate
                } else {
                    St::Skip
                };
                let used = (b.pos() - start) as u32;
                self.remlen[w] = self.remlen[w].saturating_sub(used);
            }
            st => {
                let n = self.remlen[w] as usize;
                if b.remaining() < n {
                    return true;
                }
                let mut m = Cursor::new(b.take_or_empty(n));
                self.remlen[w] = 0;
                self.state[w] = St::Netbios;
                match st {
                    St::Smb2Negotiate => {
                        m.skip(4);
                        let d = m.le16();
                        if !m.is_error() && d != 0 && d != 0x02ff {
                            out.push(Found::Dialect(
                                format!("SMB {}.{}.{}", (d >> 8) & 0xf, (d >> 4) & 0xf, d & 0xf)
                                    .into_bytes(),
                            ));
                        }
                    }
                    St::Smb2TreeConnect => {
                        m.skip(4);
                        let off = usize::from(m.le16());
                        let len = usize::from(m.le16());
                        if !m.is_error() && off >= 72 {
                            m.skip(off - 72);
                            if !m.is_error() && len <= m.remaining() {
                                out.extend(smb_string(&m.rest()[..len], true).map(Found::Share));
                            }
                        }
                    }
                    St::Smb2Create => {
                        m.skip(44);
                        let off = usize::from(m.le16());
                        let len = usize::from(m.le16());
                        if !m.is_error() && off >= 112 {
                            m.skip(off - 112);
                            if !m.is_error() && len <= m.remaining() {
                                out.extend(ucs2le(&m.rest()[..len]).map(Found::Filename));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        false
    }

    /// Parses what `data` adds to direction `w` (Arkime's `smb_parser`): the bytes the
    /// framework kept for it (the last [`Smb::feed`]'s answer) followed by the new ones.
    /// Some(bytes of `data`'s end to keep for the next call), or None when the parser
    /// gives up on the session.
    ///
    /// Arkime's buffering is kept as it is, as what SMB reads depends on it. The bytes
    /// of a call are parsed where they are while nothing is kept; once bytes are kept
    /// (at most 8 KiB: the unfinished message), the new bytes are added to them only as
    /// many as fit in 8 KiB at a time, and each such window is parsed on its own. A
    /// message whose body is longer than 8 KiB is thus read only when the whole of it
    /// comes in bytes read where they are; once it has to be kept the parser gives up
    /// (as it does when more than 8 KiB would be kept).
    fn feed(&mut self, data: &[u8], w: Dir, out: &mut Vec<Found>) -> Option<usize> {
        // Arkime's buffer is data[start..start + held]; the new bytes not yet added to
        // it start at `fresh` (always start + held).
        let mut held = std::mem::take(&mut self.held[w]).min(data.len());
        let mut start = 0;
        let mut fresh = held;
        while fresh < data.len() {
            // Either the new bytes themselves, or the buffer with as many added as fit.
            let from_buf = held > 0;
            let end = if from_buf {
                fresh + (data.len() - fresh).min(MAX_BUFFER.saturating_sub(held))
            } else {
                data.len()
            };
            let added = end - fresh;
            fresh = end;
            if self.state[w] != St::Skip && self.remlen[w] as usize > MAX_BUFFER {
                return None;
            }
            let mut b = Cursor::new(&data[start..end]);
            let mut done = false;
            while !done && b.remaining() > 0 {
                match self.state[w] {
                    St::Netbios => {
                        if b.remaining() < 5 {
                            done = true;
                            continue;
                        }
                        b.skip(1);
                        self.remlen[w] = b.be24();
                        if self.remlen[w] < 32 {
                            self.state[w] = St::Skip;
                            continue;
                        }
                        self.version[w] = b.rest().first().copied().unwrap_or(0);
                        self.state[w] = St::Header;
                    }
                    St::Skip => {
                        let r = b.remaining() as u32;
                        if r < self.remlen[w] {
                            self.remlen[w] -= r;
                            b.skip(r as usize);
                        } else {
                            b.skip(self.remlen[w] as usize);
                            self.remlen[w] = 0;
                            self.state[w] = St::Netbios;
                        }
                    }
                    _ => {
                        done = if self.version[w] == 0xff {
                            self.smb1(&mut b, w, out)
                        } else {
                            self.smb2(&mut b, w, out)
                        };
                    }
                }
            }
            if b.is_error() {
                return None;
            }
            let rest = b.remaining();
            if rest > MAX_BUFFER && (b.pos() != 0 || !from_buf) {
                return None;
            }
            if added == 0 && b.pos() == 0 {
                // A full buffer that parsing does not shorten (Arkime would loop).
                return None;
            }
            start += b.pos();
            held = rest;
        }
        self.held[w] = held;
        Some(held)
    }
}

impl Parser for Smb {
    fn name(&self) -> &'static str {
        "smb"
    }

    fn max_held(&self) -> usize {
        MAX_BUFFER
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
        let mut found = Vec::new();
        let kept = self.feed(data, dir, &mut found);
        let ids = self.ids;
        for f in found {
            let reg = &cx.shared.fields;
            let (id, v) = match f {
                Found::Share(v) => (ids.share, v),
                Found::Filename(v) => (ids.filename, v),
                Found::Os(v) => (ids.os, v),
                Found::Version(v) => (ids.version, v),
                Found::Domain(v) => (ids.domain, v),
                Found::User(v) => (ids.user, v),
                Found::Host(v) => (ids.host, v),
                Found::Dialect(v) => (ids.dialect, v),
                Found::Ntlm(m) => {
                    ids.ntlm.record(cx, s, &m);
                    continue;
                }
                Found::Tag(t) => {
                    cx.add_tag(s, t);
                    continue;
                }
            };
            s.fields.string_add(reg, id, &latin1(until_nul(&v)));
        }
        match kept {
            Some(0) => Parsed::Done(0),
            Some(k) => Parsed::Incomplete {
                consumed: data.len() - k,
                needed: 0,
            },
            // Arkime unregisters without counting an error: a message too long to
            // keep (a parse error cannot happen, the states check their lengths).
            None => Parsed::Skip,
        }
    }
}

fn classify(ids: Ids, cx: &mut Cx, s: &mut Session, data: &[u8]) {
    if !is_smb(data) || cx.has_protocol(s, "smb") {
        return;
    }
    cx.add_protocol(s, "smb");
    register_parser(s, Box::new(Smb::new(ids)));
}

const SMB: FieldSpec = FieldSpec::new("smb", FieldType::StrHash).flags(Flags::CNT);

/// smb.c's fields, in its order.
const FIELDS: [FieldSpec; 9] = [
    SMB.named("smb.share", "smb.share", Kind::TermField)
        .text("Share", "SMB shares connected to"),
    SMB.named("smb.fn", "smb.filename", Kind::TermField)
        .text("Filename", "SMB files opened, created, deleted"),
    SMB.named("smb.os", "smb.os", Kind::TermField)
        .text("OS", "SMB OS information"),
    SMB.named("smb.domain", "smb.domain", Kind::TermField)
        .text("Domain", "SMB domain"),
    SMB.named("smb.ver", "smb.version", Kind::TermField)
        .text("Version", "SMB Version information"),
    SMB.named("smb.dialect", "smb.dialect", Kind::TermField)
        .text("Dialect", "SMB Dialect information")
        .ty(FieldType::Str)
        .flags(Flags::NONE),
    SMB.named("smb.user", "smb.user", Kind::TermField)
        .text("User", "SMB User")
        .category("user"),
    SMB.named("host.smb", "smb.host", Kind::TermField)
        .text("SMB Host", "SMB Host name")
        .category("host"),
    SMB.named("host.smb.tokens", "smb.hostTokens", Kind::LoTextField)
        .text("Hostname Tokens", "SMB Host Tokens")
        .flags(Flags::FAKE),
];

/// Defines the SMB fields and registers the classifier.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [share, filename, os, domain, version, dialect, user, host, _] = f.define_all(&FIELDS);
    let ids = Ids {
        share,
        filename,
        os,
        domain,
        version,
        dialect,
        user,
        host,
        ntlm: ntlm::fields(f),
    };
    c.register_tcp("smb", 0, 5, b"SMB", move |cx, s, data, _, _| {
        classify(ids, cx, s, data)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        assert!(is_smb(b"\x00\x00\x00\x85\xffSMBr"));
        assert!(is_smb(b"\x00\x00\x00\x85\xfeSMB@"));
        assert!(!is_smb(b"\x00\x00\x00\x85\xfdSMB"));
        assert!(!is_smb(b"\x00\x00\x00"));
    }

    fn ids() -> Ids {
        Ids {
            share: 0,
            filename: 1,
            os: 2,
            domain: 3,
            version: 4,
            dialect: 5,
            user: 6,
            host: 7,
            ntlm: ntlm::fields(&mut FieldRegistry::new()),
        }
    }

    /// Feeds `pieces` to direction `w` one after the other as the framework does: the
    /// bytes kept after each are handed back in front of the next. The bytes kept at
    /// the end, or None once the parser gave up.
    fn feed_all(s: &mut Smb, pieces: &[&[u8]], w: Dir, out: &mut Vec<Found>) -> Option<usize> {
        let mut held = Vec::new();
        for p in pieces {
            held.extend_from_slice(p);
            let k = s.feed(&held, w, out)?;
            held.drain(..held.len() - k);
        }
        Some(held.len())
    }

    /// An SMB2 message: NetBIOS header, 64-byte SMB2 header, body.
    fn smb2(cmd: u16, flags: u32, body: &[u8]) -> Vec<u8> {
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(b"\xfeSMB");
        h[12..14].copy_from_slice(&cmd.to_le_bytes());
        h[16..20].copy_from_slice(&flags.to_le_bytes());
        h.extend_from_slice(body);
        let mut m = vec![0, 0, 0, 0];
        m[1..4].copy_from_slice(&(h.len() as u32).to_be_bytes()[1..]);
        m.extend_from_slice(&h);
        m
    }

    #[test]
    fn smb2_tree_connect_and_dialect_in_any_pieces() {
        let path: Vec<u8> = "\\\\srv\\share"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let mut body = vec![9, 0, 0, 0];
        body.extend_from_slice(&72u16.to_le_bytes());
        body.extend_from_slice(&(path.len() as u16).to_le_bytes());
        body.extend_from_slice(&path);
        let req = smb2(3, 0, &body);
        let rsp = smb2(0, 1, &[65, 0, 0, 0, 0x11, 0x03]);
        for chunk in 1..=req.len() {
            let mut s = Smb::new(ids());
            let mut out = Vec::new();
            let pieces: Vec<&[u8]> = req.chunks(chunk).collect();
            assert_eq!(feed_all(&mut s, &pieces, Dir::Src, &mut out), Some(0));
            assert_eq!(s.feed(&rsp, Dir::Dst, &mut out), Some(0));
            assert_eq!(
                out,
                [
                    Found::Share(b"\\\\srv\\share".to_vec()),
                    Found::Dialect(b"SMB 3.1.1".to_vec())
                ],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn no_panic_on_truncation_or_mutation() {
        let path: Vec<u8> = "a\\b.txt"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let mut body = vec![0u8; 48];
        body[44..46].copy_from_slice(&112u16.to_le_bytes());
        body[46..48].copy_from_slice(&(path.len() as u16).to_le_bytes());
        body.extend_from_slice(&path);
        let req = smb2(5, 0, &body);
        let mut seed = 3u32;
        for n in 0..=req.len() {
            let mut s = Smb::new(ids());
            let _ = feed_all(&mut s, &[&req[..n], &req[n..]], Dir::Src, &mut Vec::new());
        }
        for _ in 0..3000 {
            let mut m = req.clone();
            for _ in 0..3 {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let i = (seed >> 8) as usize % m.len();
                m[i] = (seed >> 16) as u8;
            }
            let mut s = Smb::new(ids());
            let _ = s.feed(&m, Dir::Src, &mut Vec::new());
        }
        let mut s = Smb::new(ids());
        let mut out = Vec::new();
        assert_eq!(s.feed(&req, Dir::Src, &mut out), Some(0));
        assert_eq!(out, [Found::Filename(b"a\\b.txt".to_vec())]);
    }

    /// An SMB2 CREATE request for a name of `len` UTF-16 units.
    fn create(len: usize) -> Vec<u8> {
        let path: Vec<u8> = "f"
            .repeat(len)
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let mut body = vec![0u8; 48];
        body[44..46].copy_from_slice(&112u16.to_le_bytes());
        body[46..48].copy_from_slice(&(path.len() as u16).to_le_bytes());
        body.extend_from_slice(&path);
        smb2(5, 0, &body)
    }

    #[test]
    fn messages_kept_and_parsed_in_8k_windows() {
        // 100 messages of 132 bytes: the first 10 bytes alone, then the rest, which
        // the 6 bytes kept get added to at most 8 KiB at a time.
        let one = create(8);
        assert_eq!(one.len(), 4 + 64 + 48 + 16);
        let many: Vec<u8> = (0..100).flat_map(|_| one.clone()).collect();
        let mut s = Smb::new(ids());
        let mut out = Vec::new();
        assert_eq!(
            feed_all(&mut s, &[&many[..10], &many[10..]], Dir::Src, &mut out),
            Some(0)
        );
        assert_eq!(out.len(), 100);
        // A last message cut short is kept, from its start.
        let mut s = Smb::new(ids());
        let cut = &many[..many.len() - 7];
        assert_eq!(
            s.feed(cut, Dir::Src, &mut Vec::new()),
            Some(one.len() - 7 - 4 - 64)
        );
    }

    #[test]
    fn a_body_over_8k_is_read_only_when_not_kept() {
        let big = create(4200);
        assert!(big.len() - 68 > MAX_BUFFER);
        // All at once: read.
        let mut s = Smb::new(ids());
        let mut out = Vec::new();
        assert_eq!(s.feed(&big, Dir::Src, &mut out), Some(0));
        assert_eq!(out, [Found::Filename(b"f".repeat(4200))]);
        // Its header and 32 bytes first: the body is kept, and as it cannot fit the
        // parser gives up at the next bytes.
        let mut s = Smb::new(ids());
        let mut out = Vec::new();
        assert_eq!(s.feed(&big[..100], Dir::Src, &mut out), Some(32));
        assert_eq!(s.feed(&big[68..], Dir::Src, &mut out), None);
        assert_eq!(out, []);
        // Four bytes kept (a NetBIOS header is 5): the rest added only up to 8 KiB,
        // so the body is again kept unfinished, and the parser gives up.
        let mut s = Smb::new(ids());
        assert_eq!(
            feed_all(&mut s, &[&big[..4], &big[4..]], Dir::Src, &mut out),
            None
        );
        assert_eq!(out, []);
        // More than 8 KiB left unfinished in one run: the parser gives up at once.
        let mut s = Smb::new(ids());
        assert_eq!(s.feed(&big[..big.len() - 1], Dir::Src, &mut out), None);
    }
}
