//! The built-in mprotocols, one file each: TCP and UDP, ICMP, and the special
//! protocols that make sessions of their own (ARP, SCTP, ESP, IGMP, PIM, LLDP, ...),
//! plus the unknown/corrupt catch-alls. Each registers with
//! [`MProtocols::mprotocol_register`] and hooks its enqueue callback into the
//! [`DecodeTables`].

pub mod arp;
pub mod dhcp;
pub mod esp;
pub mod icmp;
pub mod lumped;
pub mod ospf;
pub mod sctp;
pub mod tcp;
pub mod udp;
pub mod unknown;

use trawl_packet::wire::{Ipv4Header, Ipv6Header, TcpHeader, UdpHeader};
use trawl_packet::{
    DecodeTables, Packet, PacketMeta, SessionId, TrackingConfig, ETHERTYPE_CORRUPT,
    ETHERTYPE_UNKNOWN, IPPROTO_UNKNOWN,
};

use trawl_fields::FieldRegistry;

use crate::{mapped, CoreSettings, MProtocol, MProtocols, Session, SessionType};

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

    let other = |name: &'static str, create: crate::CreateSessionIdFn, pre: crate::PreProcessFn| {
        MProtocol {
            name,
            ses: SessionType::Other,
            create_session_id: create,
            pre_process: pre,
            process: None,
            free: None,
            mid_save: None,
            timeout: 600,
        }
    };
    arp::define_fields(f);
    let arp_mp = m.mprotocol_register(other("arp", arp::create_session_id, arp::pre_process));
    t.set_ethernet_cb(0x0806, arp::enqueue, u32::from(arp_mp));
    for (name, pre, kind) in [
        (
            "igmp",
            lumped::igmp_pre as crate::PreProcessFn,
            Lumped::Ip(2),
        ),
        ("pim", lumped::pim_pre, Lumped::Ip(103)),
        ("lldp", lumped::lldp_pre, Lumped::Ether(0x88cc)),
        ("isis", lumped::isis_pre, Lumped::Ether(0x83)),
        ("xid", lumped::xid_pre, Lumped::Xid),
        ("esis", lumped::esis_pre, Lumped::Ether(0x890d)),
    ] {
        let id = u32::from(m.mprotocol_register(other(name, lumped::create_session_id, pre)));
        match kind {
            Lumped::Ip(p) => t.set_ip_cb(p, lumped::enqueue, id),
            Lumped::Ether(e) => t.set_ethernet_cb(e, lumped::enqueue, id),
            Lumped::Xid => t.set_ethernet_cb(trawl_packet::ETHERTYPE_XID, lumped::enqueue_xid, id),
        }
    }
    let ospf_mp = m.mprotocol_register(other("ospf", ospf::create_session_id, ospf::pre_process));
    t.set_ip_cb(89, ospf::enqueue, u32::from(ospf_mp));

    sctp::define_fields(f);
    let sctp_mp = m.mprotocol_register(MProtocol {
        name: "sctp",
        ses: SessionType::Sctp,
        create_session_id: sctp::create_session_id,
        pre_process: sctp::pre_process,
        process: Some(sctp::process),
        free: Some(sctp::free),
        mid_save: None,
        timeout: s.sctp_timeout,
    });
    t.set_ip_cb(132, sctp::enqueue, u32::from(sctp_mp));

    if s.track_esp {
        let esp_mp = m.mprotocol_register(MProtocol {
            name: "esp",
            ses: SessionType::Esp,
            create_session_id: esp::create_session_id,
            pre_process: esp::pre_process,
            process: None,
            free: None,
            mid_save: None,
            timeout: s.esp_timeout,
        });
        t.set_ip_cb(50, esp::enqueue, u32::from(esp_mp));
    }

    let dhcp_mp = m.mprotocol_register(MProtocol {
        timeout: s.dhcp_timeout,
        ..other("dhcp", dhcp::create_session_id, dhcp::pre_process)
    });
    let dhcp6_mp = m.mprotocol_register(MProtocol {
        timeout: s.dhcp_timeout,
        ..other("dhcpv6", dhcp::create_session_id6, dhcp::pre_process6)
    });
    for port in [67, 68] {
        t.set_udpport_enqueue_cb(port, dhcp::enqueue, u32::from(dhcp_mp));
    }
    for port in [546, 547] {
        t.set_udpport_enqueue_cb(port, dhcp::enqueue6, u32::from(dhcp6_mp));
    }
}

/// Where a lumped protocol registers.
enum Lumped {
    Ip(u16),
    Ether(u16),
    Xid,
}
