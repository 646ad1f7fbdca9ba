//! ICMP and ICMPv6: sessions per address pair, type and code values (Arkime's
//! `parsers/icmp.c`).

use trawl_packet::wire::{Ipv4Header, Ipv6Header};
use trawl_packet::{
    session_id4, session_id6, DecodeTables, Packet, PacketMeta, PacketRc, SessionId, TrackingConfig,
};

use crate::{Cx, Dir, Session};

/// Session id: the address pair with zero ports.
pub fn create_session_id(t: &TrackingConfig, b: &[u8], m: &PacketMeta) -> SessionId {
    let ip = b.get(usize::from(m.ip_offset)..).unwrap_or(&[]);
    if m.v6 {
        match Ipv6Header::new_checked(ip) {
            Some(h) => session_id6(t, h.src_bytes(), 0, h.dst_bytes(), 0, m.vlan, m.vni),
            None => SessionId::default(),
        }
    } else {
        match Ipv4Header::new_checked(ip) {
            Some(h) => session_id4(t, h.src_bytes(), 0, h.dst_bytes(), 0, m.vlan, m.vni),
            None => SessionId::default(),
        }
    }
}

/// Enqueue for IP protocol 1 (`uw` is the icmp mprotocol).
pub fn enqueue(
    t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    _off: usize,
    _len: usize,
    uw: u32,
) -> PacketRc {
    let id = create_session_id(&t.opts.tracking, b, m);
    super::claim(m, uw, id)
}

/// Enqueue for IP protocol 58; only inside IPv6.
pub fn enqueue6(
    t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    uw: u32,
) -> PacketRc {
    if !m.v6 {
        return PacketRc::Corrupt;
    }
    enqueue(t, b, m, off, len, uw)
}

/// Direction and data bytes.
pub fn pre_process(cx: &mut Cx, s: &mut Session, pkt: &mut Packet, is_new: bool) -> bool {
    if is_new {
        cx.add_protocol(s, "icmp");
    }
    pkt.meta.direction = super::addr_direction(s, pkt);
    let n = (pkt.meta.len as usize).saturating_sub(usize::from(pkt.meta.payload_offset));
    s.flows[Dir::from_bit(pkt.meta.direction)].databytes += n as u64;
    false
}

/// Type and code of each packet; the first pair is kept for the community id.
pub fn process(cx: &mut Cx, s: &mut Session, pkt: Packet) {
    if pkt.meta.payload_len < 2 {
        return;
    }
    let p = pkt.payload();
    let (Some(&ty), Some(&code)) = (p.first(), p.get(1)) else {
        return;
    };
    if s.icmp_info == [0, 0] {
        s.icmp_info = [ty, code];
    }
    let (f, c) = (&cx.shared.fields, &cx.shared.core);
    s.fields.int_add(f, c.icmp_type, u32::from(ty));
    s.fields.int_add(f, c.icmp_code, u32::from(code));
}
