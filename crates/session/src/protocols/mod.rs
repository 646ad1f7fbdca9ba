//! The built-in mprotocols, one file each: TCP and UDP, ICMP, and the special
//! protocols that make sessions of their own (ARP, SCTP, ESP, IGMP, PIM, LLDP, ...),
//! plus the unknown/corrupt catch-alls. Each registers with
//! [`MProtocols::mprotocol_register`] and hooks its enqueue callback into the
//! [`DecodeTables`].

pub mod arp;
pub mod dhcp;
pub mod esis;
pub mod esp;
pub mod icmp;
pub mod igmp;
pub mod isis;
pub mod lldp;
pub mod ospf;
pub mod pim;
pub mod sctp;
pub mod tcp;
pub mod udp;
pub mod unknown;
pub mod xid;

use trawl_packet::wire::{Ipv4Header, Ipv6Header, TcpHeader, UdpHeader};
use trawl_packet::{
    DecodeTables, Packet, PacketMeta, PacketRc, SessionId, TrackingConfig, ETHERTYPE_CORRUPT,
    ETHERTYPE_UNKNOWN, IPPROTO_UNKNOWN,
};

use trawl_fields::FieldRegistry;

use crate::{mapped, CoreSettings, MProtocol, MProtocols, Session, SessionType};

/// Ends an enqueue callback that claims the packet for mprotocol `mp` (the callback's
/// user word) with session id `id`; an empty id (no room for it) is corrupt.
pub fn claim(m: &mut PacketMeta, mp: u32, id: SessionId) -> PacketRc {
    if id.is_empty() {
        return PacketRc::Corrupt;
    }
    m.session_id = id;
    m.mprotocol = (mp & 0xff) as u8;
    m.hash = trawl_packet::session_hash(&id);
    PacketRc::DoProcess
}

/// Marks `off..off+len` of the packet as the mprotocol's payload.
pub fn set_payload(m: &mut PacketMeta, off: usize, len: usize) {
    m.payload_offset = off.min(usize::from(u16::MAX)) as u16;
    m.payload_len = len as u32;
}

/// Direction of a packet of an address-pair session (ICMP, ESP): 0 when it goes from
/// the session's source address to its destination.
pub fn addr_direction(s: &Session, pkt: &Packet) -> u8 {
    u8::from(!same_addrs(s, pkt))
}

/// The IP addresses of a packet's innermost IP header, as 16-byte (mapped) arrays.
pub fn packet_addrs(pkt: &Packet) -> ([u8; 16], [u8; 16]) {
    let ip = pkt
        .bytes()
        .get(usize::from(pkt.meta.ip_offset)..)
        .unwrap_or(&[]);
    if pkt.meta.v6 {
        Ipv6Header::new_checked(ip).map_or(([0; 16], [0; 16]), |h| (h.src_bytes(), h.dst_bytes()))
    } else {
        Ipv4Header::new_checked(ip).map_or(([0; 16], [0; 16]), |h| {
            (mapped(h.src_bytes()), mapped(h.dst_bytes()))
        })
    }
}

/// Whether the packet goes from the session's source address to its destination.
pub fn same_addrs(s: &Session, pkt: &Packet) -> bool {
    let (src, dst) = packet_addrs(pkt);
    src == s.addr1 && dst == s.addr2
}

/// The 5-tuple id of a TCP or UDP packet.
pub fn tuple_session_id(t: &TrackingConfig, b: &[u8], m: &PacketMeta) -> SessionId {
    let ip = b.get(usize::from(m.ip_offset)..).unwrap_or(&[]);
    let l4 = b.get(usize::from(m.payload_offset)..).unwrap_or(&[]);
    let ports = if m.ip_protocol == 6 {
        TcpHeader::new_checked(l4).map(|h| (h.src_port(), h.dst_port()))
    } else {
        UdpHeader::new_checked(l4).map(|h| (h.src_port(), h.dst_port()))
    };
    let Some((sp, dp)) = ports else {
        return SessionId::default();
    };
    if m.v6 {
        Ipv6Header::new_checked(ip).map_or(SessionId::default(), |h| {
            trawl_packet::session_id6(t, h.src_bytes(), sp, h.dst_bytes(), dp, m.vlan, m.vni)
        })
    } else {
        Ipv4Header::new_checked(ip).map_or(SessionId::default(), |h| {
            trawl_packet::session_id4(t, h.src_bytes(), sp, h.dst_bytes(), dp, m.vlan, m.vni)
        })
    }
}

/// Registers every built-in mprotocol and its enqueue callbacks.
pub fn register_all(
    m: &mut MProtocols,
    t: &mut DecodeTables,
    f: &mut FieldRegistry,
    s: &CoreSettings,
) {
    let corrupt_ether = m.mprotocol_register(MProtocol {
        name: "corrupt-ether",
        ses: SessionType::Other,
        create_session_id: unknown::create_session_id,
        pre_process: unknown::corrupt_ether_pre,
        process: None,
        free: None,
        mid_save: None,
        timeout: 60,
    });
    let corrupt_ip = m.mprotocol_register(MProtocol {
        name: "corrupt-ip",
        pre_process: unknown::corrupt_ip_pre,
        ..m.get(corrupt_ether).cloned().expect("just registered")
    });
    let unknown_ether = m.mprotocol_register(MProtocol {
        name: "unknown-ether",
        pre_process: unknown::unknown_ether_pre,
        ..m.get(corrupt_ether).cloned().expect("just registered")
    });
    let unknown_ip = m.mprotocol_register(MProtocol {
        name: "unknown-ip",
        pre_process: unknown::unknown_ip_pre,
        ..m.get(corrupt_ether).cloned().expect("just registered")
    });
    t.set_ethernet_cb(
        ETHERTYPE_CORRUPT,
        unknown::corrupt_enqueue,
        unknown::pack_ids(corrupt_ether, corrupt_ip),
    );
    t.set_ethernet_cb(
        ETHERTYPE_UNKNOWN,
        unknown::unknown_ether_enqueue,
        u32::from(unknown_ether),
    );
    t.set_ip_cb(
        IPPROTO_UNKNOWN,
        unknown::unknown_ip_enqueue,
        u32::from(unknown_ip),
    );

    let tcp = m.mprotocol_register(MProtocol {
        name: "tcp",
        ses: SessionType::Tcp,
        create_session_id: tcp::create_session_id,
        pre_process: tcp::pre_process,
        process: Some(tcp::process),
        free: Some(tcp::free),
        mid_save: Some(tcp::mid_save),
        timeout: s.tcp_timeout,
    });
    let udp = m.mprotocol_register(MProtocol {
        name: "udp",
        ses: SessionType::Udp,
        create_session_id: udp::create_session_id,
        pre_process: udp::pre_process,
        process: Some(udp::process),
        free: None,
        mid_save: None,
        timeout: s.udp_timeout,
    });
    t.set_tcp_udp_mprotocols(tcp, udp);

    let icmp = m.mprotocol_register(MProtocol {
        name: "icmp",
        ses: SessionType::Icmp,
        create_session_id: icmp::create_session_id,
        pre_process: icmp::pre_process,
        process: Some(icmp::process),
        free: None,
        mid_save: None,
        timeout: s.icmp_timeout,
    });
    let icmpv6 = m.mprotocol_register(MProtocol {
        name: "icmpv6",
        ..m.get(icmp).cloned().expect("just registered")
    });
    t.set_ip_cb(1, icmp::enqueue, u32::from(icmp));
    t.set_ip_cb(58, icmp::enqueue6, u32::from(icmpv6));

    // The special protocols that make sessions of their own.
    arp::register(m, t, f);
    igmp::register(m, t);
    pim::register(m, t);
    lldp::register(m, t);
    isis::register(m, t, f);
    xid::register(m, t);
    esis::register(m, t, f);
    ospf::register(m, t, f);
    sctp::register(m, t, f, s);
    if s.track_esp {
        esp::register(m, t, s);
    }
    dhcp::register(m, t, f, s);
}

/// An mprotocol of the "other" session table with Arkime's 600 s timeout and no
/// process, free or mid-save callbacks (ARP, IGMP, PIM, LLDP, ...).
pub fn other_mprotocol(
    name: &'static str,
    create_session_id: crate::CreateSessionIdFn,
    pre_process: crate::PreProcessFn,
) -> MProtocol {
    MProtocol {
        name,
        ses: SessionType::Other,
        create_session_id,
        pre_process,
        process: None,
        free: None,
        mid_save: None,
        timeout: 600,
    }
}

/// The id of protocols that put all their packets in one session: the length (4) and
/// the mprotocol id (IGMP, PIM, LLDP, IS-IS, XID, ES-IS).
pub fn single_session_id(mprotocol: u8) -> SessionId {
    SessionId::from_raw(&[4, mprotocol, 0, 0])
}

/// Enqueue for a one-session protocol (`uw` is its mprotocol): no checks; the bytes
/// from `off` on are the payload.
pub fn single_session_enqueue(
    _t: &DecodeTables,
    _b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    uw: u32,
) -> PacketRc {
    set_payload(m, off, len);
    let id = single_session_id(uw as u8);
    claim(m, uw, id)
}
