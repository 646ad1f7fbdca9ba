//! UDP: direction, data bytes, first payload bytes (Arkime's `parsers/udp.c`).

use trawl_packet::wire::UdpHeader;
use trawl_packet::{Packet, PacketMeta, SessionId, TrackingConfig};

use crate::parsers::{self, Transport};
use crate::{Cx, Dir, Session};

/// Session id of a UDP packet.
pub fn create_session_id(t: &TrackingConfig, b: &[u8], m: &PacketMeta) -> SessionId {
    super::tuple_session_id(t, b, m)
}

/// Sets ports on a new session, the direction, and counts data bytes.
pub fn pre_process(cx: &mut Cx, s: &mut Session, pkt: &mut Packet, is_new: bool) -> bool {
    let po = usize::from(pkt.meta.payload_offset);
    let Some(h) = pkt.bytes().get(po..).and_then(UdpHeader::new_checked) else {
        return false;
    };
    let (sport, dport, ulen) = (h.src_port(), h.dst_port(), h.len());
    if is_new {
        s.port1 = sport;
        s.port2 = dport;
        cx.add_protocol(s, "udp");
    }
    pkt.meta.direction =
        u8::from(!(super::same_addrs(s, pkt) && s.port1 == sport && s.port2 == dport));
    let avail = (pkt.meta.len as usize).saturating_sub(po);
    let dblen = ulen.min(avail) as i64 - 8;
    if dblen > 0 {
        s.flows[Dir::from_bit(pkt.meta.direction)].databytes += dblen as u64;
    }
    false
}

/// Records the first payload bytes of each direction.
pub fn process(cx: &mut Cx, s: &mut Session, pkt: Packet) {
    let po = usize::from(pkt.meta.payload_offset);
    let b = pkt.bytes();
    let Some(h) = b.get(po..).and_then(UdpHeader::new_checked) else {
        return;
    };
    let len = h.len().min(pkt.meta.payload_len as usize) as i64 - 8;
    if len <= 0 {
        return;
    }
    let data = b.get(po + 8..).unwrap_or(&[]);
    let data = &data[..(len as usize).min(data.len())];
    let dir = Dir::from_bit(pkt.meta.direction);
    if s.flows[dir].first_bytes_len == 0 {
        s.flows[dir].add_first_bytes(data);
        parsers::classify(cx, s, data, dir, Transport::Udp);
        if cx.shared.yara_every_packet {
            parsers::yara(cx, s, data);
        }
    }
    parsers::process_data(cx, s, data, dir);
}
