//! TDS, Microsoft SQL Server and Sybase (Arkime's tds.c): the user name of a TDS 7
//! LOGIN7 packet (UCS-2) or of a TDS 4.2/5.0 login packet, into `user`.
//! (The SSPI/NTLM blob of a LOGIN7 is not decoded yet.)

use trawl_fields::{FieldId, FieldRegistry};
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser, ParserBuf};
use trawl_session::{Cx, Session};

/// Most bytes buffered per direction.
const MAX_BUF: usize = 8192;

/// The user name of a LOGIN7 packet body (after the 8-byte packet header).
pub fn login7_user(pkt: &[u8]) -> Option<String> {
    if pkt.len() < 86 {
        return None;
    }
    let off = usize::from(u16::from_le_bytes([pkt[40], pkt[41]]));
    let chars = usize::from(u16::from_le_bytes([pkt[42], pkt[43]]));
    if chars == 0 {
        return None;
    }
    let raw = pkt.get(off..off + chars * 2)?;
    let units: Vec<u16> = raw
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    // UCS-2: no surrogate pairs allowed.
    if units.iter().any(|u| (0xd800..0xe000).contains(u)) {
        return None;
    }
    Some(String::from_utf16_lossy(&units).to_lowercase())
}

/// The user name of a TDS 4.2/5.0 login packet (length-prefixed at offset 39/69).
pub fn login42_user(buf: &[u8]) -> Option<String> {
    let n = usize::from(*buf.get(69)?);
    let u = buf.get(39..39 + n)?;
    Some(String::from_utf8_lossy(u).to_lowercase())
}

#[derive(Debug)]
struct Tds {
    user: FieldId,
    v7: bool,
    buf: ParserBuf,
}

impl Parser for Tds {
    fn name(&self) -> &'static str {
        "tds"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: usize) -> Parsed {
        let dir = dir & 1;
        if !self.buf.add(dir, data) {
            cx.add_tag(s, "tds:packet-too-long");
            return Parsed::Unregister;
        }
        let reg = &cx.shared.fields;
        if !self.v7 {
            if self.buf.get(0).len() > 598 {
                if let Some(u) = login42_user(self.buf.get(0)) {
                    s.fields.string_add(reg, self.user, &u);
                }
                return Parsed::Unregister;
            }
            return Parsed::Consumed(0);
        }
        let b = self.buf.get(dir);
        let mut pos = 0;
        while pos + 8 <= b.len() {
            let len = usize::from(u16::from_be_bytes([b[pos + 2], b[pos + 3]]));
            if !(8..=MAX_BUF).contains(&len) {
                cx.add_tag(s, "tds:packet-too-long");
                return Parsed::Unregister;
            }
            if pos + len > b.len() {
                break;
            }
            if b[pos] == 0x10 && dir == 0 {
                if let Some(u) = login7_user(&b[pos + 8..pos + len]) {
                    s.fields.string_add(reg, self.user, &u);
                }
            }
            pos += len;
        }
        self.buf.del(dir, pos);
        Parsed::Consumed(0)
    }
}

fn classify(cx: &mut Cx, s: &mut Session, data: &[u8], dir: usize, _uw: u32) {
    if dir != 0 || cx.has_protocol(s, "tds") {
        return;
    }
    let v7 = match data.first() {
        Some(0x10 | 0x12) if data.len() >= 50 => true,
        Some(0x02) if data.len() >= 512 => false,
        _ => return,
    };
    let Some(user) = cx.shared.fields.by_db("user") else {
        return;
    };
    cx.add_protocol(s, "tds");
    register_parser(
        s,
        Box::new(Tds {
            user,
            v7,
            buf: ParserBuf::new(MAX_BUF),
        }),
    );
}

/// Registers the TDS classifiers (the `user` field is a core field).
pub fn register(c: &mut Classifiers, _f: &mut FieldRegistry) {
    c.register_tcp("tds", 0, 0, b"\x02\x00\x02\x00\x00\x00\x01\x00", classify);
    c.register_tcp("tds7", 0, 0, b"\x10\x01", classify);
    c.register_tcp("tds7", 0, 0, b"\x12\x01", classify);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_users() {
        let mut p = vec![0u8; 94];
        let name: Vec<u8> = "SA".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        p[40..42].copy_from_slice(&94u16.to_le_bytes());
        p[42..44].copy_from_slice(&2u16.to_le_bytes());
        p.extend_from_slice(&name);
        assert_eq!(login7_user(&p).as_deref(), Some("sa"));
        assert_eq!(login7_user(&p[..95]), None, "name cut short");
        assert_eq!(login7_user(&p[..80]), None, "too short for the fixed part");
        let mut old = vec![0u8; 600];
        old[39..42].copy_from_slice(b"Bob");
        old[69] = 3;
        assert_eq!(login42_user(&old).as_deref(), Some("bob"));
        old[69] = 255;
        assert_eq!(login42_user(&old[..100]), None);
    }
}
