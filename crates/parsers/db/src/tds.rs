//! TDS, Microsoft SQL Server and Sybase (Arkime's tds.c): the user name of a TDS 7
//! LOGIN7 packet (UCS-2) or of a TDS 4.2/5.0 login packet, into `user`; the NTLMSSP
//! messages of a LOGIN7's SSPI data and of SSPI packets, into the ntlm fields.

use std::ops::ControlFlow;

use trawl_fields::{FieldId, FieldRegistry};
use trawl_parser_common::frame::{for_each_frame, Frame, LengthPrefix};
use trawl_parser_common::ntlm;
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

/// Most bytes kept per direction.
const MAX_BUF: usize = 8192;

/// A TDS 7 packet: type, status, a big-endian length of the whole packet, SPID,
/// packet id, window.
const PACKET: LengthPrefix = LengthPrefix::be(2, 2).range(8, MAX_BUF);

/// The packet at the front of `b`: as in Arkime, its length is read once the whole
/// 8-byte header is there.
fn packet(b: &[u8]) -> Frame {
    if b.len() < 8 {
        Frame::Partial { needed: 8 }
    } else {
        PACKET.frame(b)
    }
}

/// The TDS 4.2/5.0 login packet is read once more than this many bytes are there.
const LOGIN42: usize = 598;

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

/// The SSPI data of a LOGIN7 packet body (offset at 78, length at 80, or the long
/// length at 90 when the short one is 0xffff).
pub fn login7_sspi(pkt: &[u8]) -> Option<&[u8]> {
    if pkt.len() < 86 {
        return None;
    }
    let off = usize::from(u16::from_le_bytes([pkt[78], pkt[79]]));
    let mut len = usize::from(u16::from_le_bytes([pkt[80], pkt[81]]));
    if len == 0xffff && pkt.len() >= 94 {
        len = u32::from_le_bytes([pkt[90], pkt[91], pkt[92], pkt[93]]) as usize;
    }
    if len < 12 || off > pkt.len() || len > pkt.len() - off {
        return None;
    }
    Some(&pkt[off..off + len])
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
    ntlm: ntlm::Ntlm,
    v7: bool,
}

impl Parser for Tds {
    fn name(&self) -> &'static str {
        "tds"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
        // Arkime's buffer refuses bytes beyond its cap, before any packet is read:
        // more than MAX_BUF held and new bytes together ends the parser.
        if data.len() > MAX_BUF {
            cx.add_tag(s, "tds:packet-too-long");
            return Parsed::Skip;
        }
        let reg = &cx.shared.fields;
        if !self.v7 {
            // Only the client's login packet is read; the server's bytes are kept
            // (towards the cap) as Arkime's buffer keeps them.
            if dir == Dir::Dst {
                return Parsed::Incomplete {
                    consumed: 0,
                    needed: 0,
                };
            }
            if data.len() > LOGIN42 {
                if let Some(u) = login42_user(data) {
                    s.fields.string_add(reg, self.user, &u);
                }
                return Parsed::Skip;
            }
            return Parsed::Incomplete {
                consumed: 0,
                needed: LOGIN42 + 1,
            };
        }
        let r = for_each_frame(data, packet, |b| {
            let pkt = &b[8..];
            if b[0] == 0x10 && dir == Dir::Src {
                if let Some(u) = login7_user(pkt) {
                    s.fields.string_add(&cx.shared.fields, self.user, &u);
                }
                if let Some(x) = login7_sspi(pkt) {
                    self.ntlm.record(cx, s, x);
                }
            } else if b[0] == 0x11 && !pkt.is_empty() {
                self.ntlm.record(cx, s, pkt);
            }
            ControlFlow::Continue(())
        });
        if r == Parsed::Error {
            cx.add_tag(s, "tds:packet-too-long");
        }
        r
    }

    fn max_held(&self) -> usize {
        MAX_BUF
    }
}

fn classify(
    cx: &mut Cx,
    s: &mut Session,
    data: &[u8],
    dir: Dir,
    user: Option<FieldId>,
    ntlm: ntlm::Ntlm,
) {
    if dir != Dir::Src || cx.has_protocol(s, "tds") {
        return;
    }
    let v7 = match data.first() {
        Some(0x10 | 0x12) if data.len() >= 50 => true,
        Some(0x02) if data.len() >= 512 => false,
        _ => return,
    };
    let Some(user) = user else {
        return;
    };
    cx.add_protocol(s, "tds");
    register_parser(s, Box::new(Tds { user, ntlm, v7 }));
}

/// Registers the TDS classifiers (the `user` field is a core field).
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let user = f.by_db("user");
    let ntlm = ntlm::fields(f);
    c.register_tcp(
        "tds",
        0,
        0,
        b"\x02\x00\x02\x00\x00\x00\x01\x00",
        move |cx, s, d, dir, _| classify(cx, s, d, dir, user, ntlm),
    );
    for pattern in [b"\x10\x01", b"\x12\x01"] {
        c.register_tcp("tds7", 0, 0, pattern, move |cx, s, d, dir, _| {
            classify(cx, s, d, dir, user, ntlm)
        });
    }
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

    #[test]
    fn login7_sspi_data() {
        let mut p = vec![0u8; 94];
        let blob = b"NTLMSSP\0\x01\0\0\0\x07\x82";
        p[78..80].copy_from_slice(&94u16.to_le_bytes());
        p[80..82].copy_from_slice(&(blob.len() as u16).to_le_bytes());
        p.extend_from_slice(blob);
        assert_eq!(login7_sspi(&p), Some(&blob[..]));
        assert_eq!(login7_sspi(&p[..100]), None, "blob cut short");
        // The long length, when the short one is 0xffff.
        p[80..82].copy_from_slice(&0xffffu16.to_le_bytes());
        p[90..94].copy_from_slice(&(blob.len() as u32).to_le_bytes());
        assert_eq!(login7_sspi(&p), Some(&blob[..]));
        // Shorter than an NTLMSSP header: nothing.
        p[80..82].copy_from_slice(&11u16.to_le_bytes());
        assert_eq!(login7_sspi(&p), None);
    }
}
