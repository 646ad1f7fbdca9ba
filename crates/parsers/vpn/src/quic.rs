//! Google QUIC (Arkime's quic.c, the gQUIC part): the version, server name and user
//! agent from a client's unencrypted CHLO, for versions Q024-Q043 (public header, then
//! a stream frame) and Q046-Q048 (found by scanning for `CHLO`). IETF QUIC (encrypted
//! Initial packets) and Q05x are not decoded yet.

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::cursor::at;
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

#[derive(Clone, Copy, Debug)]
struct Ids {
    host: FieldId,
    ua: FieldId,
    version: FieldId,
}

/// What a CHLO holds.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Chlo<'a> {
    /// A message tag was read (the session is QUIC).
    pub quic: bool,
    /// SNI values.
    pub hosts: Vec<&'a [u8]>,
    /// UAID values.
    pub user_agents: Vec<&'a [u8]>,
    /// VER values.
    pub versions: Vec<&'a [u8]>,
    /// A CHLO whose tag index fits (Arkime's parser reports success then).
    pub chlo: bool,
}

/// Reads a handshake message (tag, count, padding, then `count` tag/end-offset pairs
/// and the values).
pub fn chlo(d: &[u8]) -> Chlo<'_> {
    let mut c = Chlo::default();
    let (Some(tag), Some(n)) = (d.get(..4), at::le16(d, 4).map(usize::from)) else {
        return c;
    };
    if d.len() < 8 {
        return c;
    }
    c.quic = true;
    let rest = &d[8..];
    if tag != b"CHLO" || rest.len() < n * 8 + 8 {
        return c;
    }
    c.chlo = true;
    let (index, values) = rest.split_at(n * 8);
    let mut start = 0usize;
    for e in index.chunks_exact(8) {
        let end = u32::from_le_bytes([e[4], e[5], e[6], e[7]]) as usize;
        if end > values.len() || start > end {
            break;
        }
        let v = &values[start..end];
        if !v.is_empty() {
            match &e[..4] {
                b"SNI\0" => c.hosts.push(v),
                b"UAID" => c.user_agents.push(v),
                b"VER\0" => c.versions.push(v),
                _ => {}
            }
        }
        start = end;
    }
    c
}

/// What a Q024-Q043 client packet leads to.
#[derive(Debug, PartialEq, Eq)]
pub enum Packet<'a> {
    /// Not readable yet; try the next packet.
    Wait,
    /// Not a version this reads: stop.
    Stop,
    /// The handshake bytes of the first stream frame.
    Handshake(&'a [u8]),
}

/// Reads a Q024-Q043 packet up to its first stream frame's data.
pub fn packet_2445(d: &[u8]) -> Packet<'_> {
    if d.len() < 9 || d[0] & 0x02 != 0 {
        return Packet::Wait;
    }
    let flags = d[0];
    let mut off = 1;
    if flags & 0x08 != 0 {
        off += 8;
    }
    if d.len() < off + 5 {
        return Packet::Wait;
    }
    let mut version = 0u32;
    if flags & 0x01 != 0 && d[off] == b'Q' {
        let digit = |b: u8| u32::from(b.wrapping_sub(b'0'));
        version = digit(d[off + 1]) * 100 + digit(d[off + 2]) * 10 + digit(d[off + 3]);
        off += 4;
    }
    if version < 24 {
        return Packet::Stop;
    }
    off += match (flags & 0x30) >> 4 {
        0 => 1,
        n => usize::from(n) * 2,
    };
    off += 12;
    if version < 34 {
        off += 1;
    }
    let Some(mut b) = d.get(off..) else {
        return Packet::Wait;
    };
    let Some((&ty, rest)) = b.split_first() else {
        return Packet::Wait;
    };
    b = rest;
    if ty & 0x80 == 0 {
        return Packet::Wait;
    }
    let off_len = if ty & 0x1c != 0 {
        usize::from((ty & 0x1c) >> 2) + 1
    } else {
        0
    };
    let stream_len = usize::from(ty & 0x03) + 1;
    let Some(rest) = b.get(stream_len + off_len..) else {
        return Packet::Wait;
    };
    b = rest;
    let mut len = b.len();
    if ty & 0x20 != 0 {
        let Some(l) = at::le16(b, 0).map(usize::from) else {
            return Packet::Wait;
        };
        // Some implementations write this length big-endian.
        len = if l == 4 { 1024 } else { l };
        b = &b[2..];
    }
    Packet::Handshake(&b[..len.min(b.len())])
}

#[derive(Debug)]
struct Quic {
    ids: Ids,
    newer: bool,
}

impl Quic {
    fn add(&self, cx: &mut Cx, s: &mut Session, c: &Chlo<'_>) {
        if c.quic {
            cx.add_protocol(s, "quic");
        }
        let reg = &cx.shared.fields;
        for (list, id) in [
            (&c.hosts, self.ids.host),
            (&c.user_agents, self.ids.ua),
            (&c.versions, self.ids.version),
        ] {
            for v in list {
                s.fields.string_add(reg, id, &String::from_utf8_lossy(v));
            }
        }
    }
}

impl Parser for Quic {
    fn name(&self) -> &'static str {
        "quic"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, d: &[u8], _dir: Dir) -> Parsed {
        if self.newer {
            if d.len() < 20 || d[1] != b'Q' || d[0] & 0xc0 != 0xc0 {
                return Parsed::Skip;
            }
            let digit = |b: u8| u32::from(b.wrapping_sub(b'0'));
            let v = digit(d[2]) * 100 + digit(d[3]) * 10 + digit(d[4]);
            if !(46..=48).contains(&v) {
                return Parsed::Skip;
            }
            let end = d.len() - 20;
            if let Some(p) = (5..end).find(|&o| d[o..].starts_with(b"CHLO")) {
                let c = chlo(&d[p..]);
                self.add(cx, s, &c);
                return Parsed::Skip;
            }
            return Parsed::Done(0);
        }
        match packet_2445(d) {
            Packet::Wait => Parsed::Done(0),
            Packet::Stop => Parsed::Skip,
            Packet::Handshake(h) => {
                let c = chlo(h);
                self.add(cx, s, &c);
                Parsed::Skip
            }
        }
    }
}

/// Facebook's Zero protocol over TCP: QUIC crypto messages after a 9-byte header
/// (Arkime's `quic_fb_tcp_parser`). Whatever the direction, bytes are gathered until
/// the first message is whole.
#[derive(Debug)]
struct FbZero {
    ids: Ids,
    buf: Vec<u8>,
}

/// Most bytes gathered (Arkime's parser buffer).
const FBZERO_MAX: usize = 8192;

impl Parser for FbZero {
    fn name(&self) -> &'static str {
        "fbzero"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, d: &[u8], _dir: Dir) -> Parsed {
        let room = FBZERO_MAX - self.buf.len();
        self.buf.extend_from_slice(&d[..d.len().min(room)]);
        let Some(len) = at::le16(&self.buf, 5).map(usize::from) else {
            return Parsed::Done(0);
        };
        if len + 9 > FBZERO_MAX {
            return Parsed::Skip;
        }
        if self.buf.len() < len + 9 {
            return Parsed::Done(0);
        }
        let c = chlo(&self.buf[9..len + 9]);
        Quic {
            ids: self.ids,
            newer: false,
        }
        .add(cx, s, &c);
        if c.chlo {
            cx.add_protocol(s, "fbzero");
        }
        Parsed::Skip
    }
}

fn classify_fbzero(s: &mut Session, d: &[u8], dir: Dir, ids: Ids) {
    if dir != Dir::Src || d.len() <= 13 {
        return;
    }
    register_parser(
        s,
        Box::new(FbZero {
            ids,
            buf: Vec::new(),
        }),
    );
}

fn classify(s: &mut Session, d: &[u8], newer: bool, ids: Ids) {
    let ok = d.len() > 100
        && if newer {
            d[0] & 0xc0 == 0xc0
        } else {
            d[0] & 0x83 == 0x01
        };
    if !ok {
        return;
    }
    register_parser(s, Box::new(Quic { ids, newer }));
}

const QUIC: FieldSpec = FieldSpec::new("quic", FieldType::StrGHash).flags(Flags::CNT);

/// The QUIC fields, in definition order: host, host tokens (a viewer-only
/// definition), user agent, version.
pub const FIELDS: [FieldSpec; 4] = [
    QUIC.named("host.quic", "quic.host", Kind::LoTermField)
        .text("QUIC Hostname", "QUIC host header field")
        .category("host"),
    QUIC.named("host.quic.tokens", "quic.hostTokens", Kind::LoTextField)
        .text("Hostname Tokens", "QUIC host tokens header field")
        .flags(Flags::FAKE),
    QUIC.named("quic.user-agent", "quic.useragent", Kind::TermField)
        .text("User-Agent", "User-Agent"),
    QUIC.named("quic.version", "quic.version", Kind::TermField)
        .text("Version", "QUIC Version"),
];

/// Registers the QUIC fields and the gQUIC classifiers.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [host, _, ua, version] = f.define_all(&FIELDS);
    let ids = Ids { host, ua, version };
    c.register_udp("quic", 1, 1, b"Q04", move |_, s, d, _, _| {
        classify(s, d, true, ids)
    });
    c.register_tcp("fbzero", 0, 0, b"\x31QTV", move |_, s, d, dir, _| {
        classify_fbzero(s, d, dir, ids)
    });
    for v in [&b"Q04"[..], b"Q03", b"Q02"] {
        c.register_udp("quic", 0, 9, v, move |_, s, d, _, _| {
            classify(s, d, false, ids)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chlo_bytes() -> Vec<u8> {
        let mut m = b"CHLO".to_vec();
        m.extend_from_slice(&3u16.to_le_bytes());
        m.extend_from_slice(&[0, 0]);
        for (tag, end) in [(b"SNI\0", 13u32), (b"UAID", 19), (b"VER\0", 23)] {
            m.extend_from_slice(tag);
            m.extend_from_slice(&end.to_le_bytes());
        }
        m.extend_from_slice(b"www.google.frChromeQ024");
        m.extend_from_slice(&[0; 8]);
        m
    }

    #[test]
    fn client_hello_tags() {
        let m = chlo_bytes();
        let c = chlo(&m);
        assert!(c.quic && c.chlo);
        assert_eq!(c.hosts, vec![&b"www.google.fr"[..]]);
        assert_eq!(c.user_agents, vec![&b"Chrome"[..]]);
        assert_eq!(c.versions, vec![&b"Q024"[..]]);
        for n in 0..m.len() {
            let _ = chlo(&m[..n]);
        }
        let mut shlo = m.clone();
        shlo[..4].copy_from_slice(b"SHLO");
        assert_eq!(chlo(&shlo).hosts.len(), 0);
        assert!(chlo(&shlo).quic && !chlo(&shlo).chlo);
    }

    #[test]
    fn q024_packet() {
        // Flags: version + 8-byte CID, 1-byte packet number.
        let mut p = vec![0x09];
        p.extend_from_slice(&[1; 8]);
        p.extend_from_slice(b"Q024");
        p.push(1); // packet number
        p.extend_from_slice(&[0; 12]); // hash
        p.push(0); // private flags (< Q034)
        p.push(0xa0); // stream frame, data length present, 1-byte stream id
        p.push(1);
        let m = chlo_bytes();
        p.extend_from_slice(&(m.len() as u16).to_le_bytes());
        p.extend_from_slice(&m);
        assert_eq!(packet_2445(&p), Packet::Handshake(&m[..]));
        let mut old = p.clone();
        old[12] = b'1';
        assert_eq!(packet_2445(&old), Packet::Stop, "Q014");
        for n in 0..p.len() {
            let _ = packet_2445(&p[..n]);
        }
    }
}
