//! Catch-all sessions for what the capture cannot decode, as `saveUnknownPackets` asks:
//! corrupt packets (by MAC pair or IP pair), unknown ethertypes (MAC pair + ethertype)
//! and unknown IP protocols (IP pair + protocol). Arkime's `mprotocol.c`.

use trawl_packet::wire::{Ipv4Header, Ipv6Header};
use trawl_packet::{DecodeTables, Packet, PacketMeta, PacketRc, SessionId, TrackingConfig};

use crate::{Cx, Session};

/// mprotocol ids the enqueue callbacks assign, packed in the user word.
fn ids(uw: u32) -> (u8, u8) {
    ((uw & 0xff) as u8, ((uw >> 8) & 0xff) as u8)
}

/// Packs the corrupt-ether and corrupt-ip ids into a user word.
pub fn pack_ids(ether: u8, ip: u8) -> u32 {
    u32::from(ether) | u32::from(ip) << 8
}

fn ether_id(mp: u8, b: &[u8], m: &PacketMeta, with_type: bool) -> SessionId {
    let mut raw = [0u8; 16];
    raw[0] = 16;
    raw[1] = mp;
    let eo = usize::from(m.ether_offset);
    let want = if with_type { 14 } else { 12 };
    let src = b.get(eo..).unwrap_or(&[]);
    let n = src.len().min(want);
    raw[2..2 + n].copy_from_slice(&src[..n]);
    SessionId::from_raw(&raw)
}

fn ip_id(mp: u8, b: &[u8], m: &PacketMeta, proto: u8) -> SessionId {
    let ip = b.get(usize::from(m.ip_offset)..).unwrap_or(&[]);
    if m.v6 {
        let mut raw = [0u8; 36];
        raw[0] = 36;
        raw[1] = mp;
        if let Some(h) = Ipv6Header::new_checked(ip) {
            raw[2..18].copy_from_slice(&h.src_bytes());
            raw[18..34].copy_from_slice(&h.dst_bytes());
        }
        raw[34] = proto;
        SessionId::from_raw(&raw)
    } else {
        let mut raw = [0u8; 12];
        raw[0] = 12;
        raw[1] = mp;
        if let Some(h) = Ipv4Header::new_checked(ip) {
            raw[2..6].copy_from_slice(&h.src_bytes());
            raw[6..10].copy_from_slice(&h.dst_bytes());
        }
        raw[10] = proto;
        SessionId::from_raw(&raw)
    }
}

/// Corrupt packets: by IP pair when an IP header was found, else by MAC pair.
pub fn corrupt_enqueue(
    _t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    _off: usize,
    _len: usize,
    uw: u32,
) -> PacketRc {
    let (ether_mp, ip_mp) = ids(uw);
    m.payload_offset = 0;
    m.payload_len = m.len;
    let min = if m.v6 { 40 } else { 20 };
    if m.ip_offset != 0 && usize::from(m.ip_offset) + min <= m.len as usize {
        let id = ip_id(ip_mp, b, m, 0);
        super::claim(m, u32::from(ip_mp), id)
    } else {
        let id = ether_id(ether_mp, b, m, false);
        super::claim(m, u32::from(ether_mp), id)
    }
}

/// Unknown ethertypes (`uw` is the unknown-ether mprotocol).
pub fn unknown_ether_enqueue(
    _t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    uw: u32,
) -> PacketRc {
    if (m.len as usize).saturating_sub(usize::from(m.ether_offset)) < 14 {
        return PacketRc::Corrupt;
    }
    super::set_payload(m, off, len);
    let id = ether_id(uw as u8, b, m, true);
    super::claim(m, uw, id)
}

/// Unknown IP protocols (`uw` is the unknown-ip mprotocol).
pub fn unknown_ip_enqueue(
    _t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    uw: u32,
) -> PacketRc {
    super::set_payload(m, off, len);
    let id = ip_id(uw as u8, b, m, m.ip_protocol);
    super::claim(m, uw, id)
}

/// The enqueue callbacks set the id; this only rebuilds it for completeness.
pub fn create_session_id(_t: &TrackingConfig, _b: &[u8], m: &PacketMeta) -> SessionId {
    m.session_id
}

fn pre(cx: &mut Cx, s: &mut Session, is_new: bool, name: &str) -> bool {
    if is_new {
        cx.add_protocol(s, name);
    }
    false
}

/// corrupt-ether pre-process.
pub fn corrupt_ether_pre(cx: &mut Cx, s: &mut Session, _p: &mut Packet, is_new: bool) -> bool {
    pre(cx, s, is_new, "corrupt-ether")
}
/// corrupt-ip pre-process.
pub fn corrupt_ip_pre(cx: &mut Cx, s: &mut Session, _p: &mut Packet, is_new: bool) -> bool {
    pre(cx, s, is_new, "corrupt-ip")
}
/// unknown-ether pre-process.
pub fn unknown_ether_pre(cx: &mut Cx, s: &mut Session, _p: &mut Packet, is_new: bool) -> bool {
    pre(cx, s, is_new, "unknown-ether")
}
/// unknown-ip pre-process.
pub fn unknown_ip_pre(cx: &mut Cx, s: &mut Session, _p: &mut Packet, is_new: bool) -> bool {
    pre(cx, s, is_new, "unknown-ip")
}
