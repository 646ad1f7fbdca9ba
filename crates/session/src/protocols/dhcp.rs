//! DHCP (UDP 67/68) and DHCPv6 (UDP 546/547) as their own sessions: by client MAC for
//! DHCP and by transaction id for DHCPv6, as Arkime does. (Their fields belong to the
//! parser framework.)

use trawl_packet::{DecodeTables, Packet, PacketMeta, PacketRc, SessionId, TrackingConfig};

use crate::{CoreSettings, Cx, MProtocol, MProtocols, Session};

/// DHCPv6 message types Arkime names (1 to 21); others are not DHCPv6.
const DHCPV6_TYPES: u8 = 22;

fn id4(mp: u8, d: &[u8]) -> SessionId {
    let mut raw = [0u8; 8];
    raw[0] = 8;
    raw[1] = mp;
    if let Some(mac) = d.get(28..34) {
        raw[2..8].copy_from_slice(mac);
    }
    SessionId::from_raw(&raw)
}

fn id6(mp: u8, d: &[u8]) -> SessionId {
    let mut raw = [0u8; 8];
    raw[0] = 8;
    raw[1] = mp;
    if let Some(x) = d.get(1..4) {
        raw[2..5].copy_from_slice(x);
    }
    SessionId::from_raw(&raw)
}

/// Session id of a DHCP packet.
pub fn create_session_id(_t: &TrackingConfig, b: &[u8], m: &PacketMeta) -> SessionId {
    id4(
        m.mprotocol,
        b.get(usize::from(m.payload_offset)..).unwrap_or(&[]),
    )
}

/// Session id of a DHCPv6 packet.
pub fn create_session_id6(_t: &TrackingConfig, b: &[u8], m: &PacketMeta) -> SessionId {
    id6(
        m.mprotocol,
        b.get(usize::from(m.payload_offset)..).unwrap_or(&[]),
    )
}

/// BOOTP with the DHCP magic cookie, Ethernet hardware addresses.
pub fn enqueue(
    _t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    uw: u32,
) -> PacketRc {
    let Some(d) = b.get(off..off + len).filter(|d| d.len() >= 256) else {
        return PacketRc::UnknownIp;
    };
    if !(d[0] == 1 || d[0] == 2)
        || d[236..240] != [0x63, 0x82, 0x53, 0x63]
        || d[1] != 1
        || d[2] != 6
    {
        return PacketRc::UnknownIp;
    }
    super::set_payload(m, off, len);
    let id = id4(uw as u8, d);
    super::claim(m, uw, id)
}

/// DHCPv6 messages of a known type.
pub fn enqueue6(
    _t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    uw: u32,
) -> PacketRc {
    let Some(d) = b.get(off..off + len).filter(|d| d.len() >= 4) else {
        return PacketRc::UnknownIp;
    };
    if d[0] == 0 || d[0] >= DHCPV6_TYPES {
        return PacketRc::UnknownIp;
    }
    super::set_payload(m, off, len);
    let id = id6(uw as u8, d);
    super::claim(m, uw, id)
}

fn pre(cx: &mut Cx, s: &mut Session, pkt: &mut Packet, is_new: bool, name: &str) -> bool {
    let po = usize::from(pkt.meta.payload_offset);
    let Some(u) = po.checked_sub(8).and_then(|o| pkt.bytes().get(o..o + 4)) else {
        return false;
    };
    let (sp, dp) = (
        u16::from_be_bytes([u[0], u[1]]),
        u16::from_be_bytes([u[2], u[3]]),
    );
    if is_new {
        s.port1 = sp;
        s.port2 = dp;
        cx.add_protocol(s, "udp");
        cx.add_protocol(s, name);
    }
    pkt.meta.direction = u8::from(!(s.port1 == sp && s.port2 == dp));
    s.databytes[usize::from(pkt.meta.direction & 1)] += u64::from(pkt.meta.payload_len);
    false
}

/// DHCP pre-process.
pub fn pre_process(cx: &mut Cx, s: &mut Session, pkt: &mut Packet, is_new: bool) -> bool {
    pre(cx, s, pkt, is_new, "dhcp")
}

/// DHCPv6 pre-process.
pub fn pre_process6(cx: &mut Cx, s: &mut Session, pkt: &mut Packet, is_new: bool) -> bool {
    pre(cx, s, pkt, is_new, "dhcpv6")
}

/// Registers the dhcp and dhcpv6 mprotocols and their UDP ports.
pub fn register(m: &mut MProtocols, t: &mut DecodeTables, s: &CoreSettings) {
    let dhcp = m.mprotocol_register(MProtocol {
        timeout: s.dhcp_timeout,
        ..super::other_mprotocol("dhcp", create_session_id, pre_process)
    });
    let dhcp6 = m.mprotocol_register(MProtocol {
        timeout: s.dhcp_timeout,
        ..super::other_mprotocol("dhcpv6", create_session_id6, pre_process6)
    });
    for port in [67, 68] {
        t.set_udpport_enqueue_cb(port, enqueue, u32::from(dhcp));
    }
    for port in [546, 547] {
        t.set_udpport_enqueue_cb(port, enqueue6, u32::from(dhcp6));
    }
}
