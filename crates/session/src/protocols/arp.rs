//! ARP (ethertype 0x0806): one session per target IP of requests / sender IP of
//! replies; replies record the sender's IP and MAC (the trustworthy binding).

use std::net::{IpAddr, Ipv4Addr};

use trawl_fields::{flags::CNT, FieldRegistry, FieldType};
use trawl_packet::{DecodeTables, Packet, PacketMeta, PacketRc, SessionId, TrackingConfig};

use crate::{Cx, MProtocols, Session};

/// ARP's ethertype.
pub const ETHERTYPE_ARP: u16 = 0x0806;

/// Defines ARP's fields.
pub fn define_fields(r: &mut FieldRegistry) {
    r.define(
        "arp",
        "lotermfield",
        "arp.mac",
        "ARP Sender MAC",
        "arp.mac",
        "Ethernet sender hardware address from ARP replies",
        FieldType::StrHash,
        CNT,
    );
    r.define(
        "arp",
        "termfield",
        "arp.oui",
        "ARP Sender OUI",
        "arp.oui",
        "Ethernet sender OUI from ARP replies",
        FieldType::StrHash,
        CNT,
    );
    r.define(
        "arp",
        "integer",
        "arp.opcode",
        "ARP Opcode",
        "arp.opcode",
        "ARP operation (1=request, 2=reply)",
        FieldType::IntGHash,
        CNT,
    );
    r.define(
        "arp",
        "ip",
        "arp.ip",
        "ARP Sender IP",
        "arp.ip",
        "Sender protocol address from ARP replies",
        FieldType::IpGHash,
        CNT,
    );
}

fn id(mp: u8, d: &[u8]) -> SessionId {
    let mut raw = [0u8; 8];
    raw[0] = 8;
    raw[1] = mp;
    let at = if d.get(7) == Some(&1) { 24 } else { 14 };
    if let Some(ip) = d.get(at..at + 4) {
        raw[2..6].copy_from_slice(ip);
    }
    SessionId::from_raw(&raw)
}

/// Session id from the packet's ARP payload.
pub fn create_session_id(_t: &TrackingConfig, b: &[u8], m: &PacketMeta) -> SessionId {
    id(
        m.mprotocol,
        b.get(usize::from(m.payload_offset)..).unwrap_or(&[]),
    )
}

/// Validates Ethernet/IPv4 ARP requests and replies.
pub fn enqueue(
    _t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    uw: u32,
) -> PacketRc {
    let Some(d) = b.get(off..off + len).filter(|d| d.len() >= 28) else {
        return PacketRc::Corrupt;
    };
    if d[..7] != [0, 1, 8, 0, 6, 4, 0] || !(1..=2).contains(&d[7]) {
        return PacketRc::Corrupt;
    }
    super::set_payload(m, off, len);
    let id = id(uw as u8, d);
    super::claim(m, uw, id)
}

/// Opcode of every packet; sender IP and MAC of replies.
pub fn pre_process(cx: &mut Cx, s: &mut Session, pkt: &mut Packet, is_new: bool) -> bool {
    if is_new {
        cx.add_protocol(s, "arp");
    }
    let f = &cx.shared.fields;
    let d = pkt.payload();
    let Some(&op) = d.get(7) else { return false };
    if let Some(id) = f.by_expression("arp.opcode") {
        s.fields.int_add(f, id, u32::from(op));
    }
    if op == 2 {
        if let (Some(ip), Some(id)) = (d.get(14..18), f.by_expression("arp.ip")) {
            s.fields
                .ip_add(f, id, IpAddr::V4(Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3])));
        }
        if let (Some(mac), Some(mid), Some(oid)) = (
            d.get(8..14),
            f.by_expression("arp.mac"),
            f.by_expression("arp.oui"),
        ) {
            let mut a = [0u8; 6];
            a.copy_from_slice(mac);
            let text = a
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(":");
            if s.fields.string_add(f, mid, &text) {
                if let Some(o) = cx.shared.lookups.load().oui(&a) {
                    s.fields.string_add(f, oid, o);
                }
            }
        }
    }
    false
}

/// Registers the mprotocol, its fields and the ethertype.
pub fn register(m: &mut MProtocols, t: &mut DecodeTables, f: &mut FieldRegistry) {
    define_fields(f);
    let mp = m.mprotocol_register(super::other_mprotocol(
        "arp",
        create_session_id,
        pre_process,
    ));
    t.set_ethernet_cb(ETHERTYPE_ARP, enqueue, u32::from(mp));
}
