//! DHCP (UDP 67/68) and DHCPv6 (UDP 546/547) as their own sessions: by client MAC for
//! DHCP and by transaction id for DHCPv6, as Arkime does; each message's type,
//! transaction id, client MAC and OUI, host name, vendor class and requested address.

use std::net::{IpAddr, Ipv4Addr};

use trawl_fields::{flags, FieldId, FieldRegistry, FieldType};
use trawl_packet::{DecodeTables, Packet, PacketMeta, PacketRc, SessionId, TrackingConfig};

use crate::{CoreSettings, Cx, Dir, MProtocol, MProtocols, Session};

const V4_TYPES: [&str; 19] = [
    "",
    "DISCOVER",
    "OFFER",
    "REQUEST",
    "DECLINE",
    "ACK",
    "NAK",
    "RELEASE",
    "INFORM",
    "FORCERENEW",
    "LEASEQUERY",
    "LEASEUNASSIGNED",
    "LEASEUNKNOWN",
    "LEASEACTIVE",
    "BULKLEASEQUERY",
    "LEASEQUERYDONE",
    "ACTIVELEASEQUERY",
    "LEASEQUERYSTATUS",
    "TLS",
];

const V6_TYPES: [&str; 22] = [
    "",
    "SOLICIT",
    "ADVERTISE",
    "REQUEST",
    "CONFIRM",
    "RENEW",
    "REBIND",
    "REPLY",
    "RELEASE",
    "DECLINE",
    "RECONFIGURE",
    "INFORMATION_REQUEST",
    "RELAY_FORW",
    "RELAY_REPL",
    "LEASEQUERY",
    "LEASEQUERY_REPLY",
    "LEASEQUERY_DONE",
    "LEASEQUERY_DATA",
    "RECONFIGURE_REQUEST",
    "RECONFIGURE_REPLY",
    "DHCPV4_QUERY",
    "DHCPV4_RESPONSE",
];

/// What a DHCP or DHCPv6 message adds to its session.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Dhcp<'a> {
    /// Message type name.
    pub msg_type: Option<&'static str>,
    /// Transaction id, hex without leading zeros.
    pub id: Option<String>,
    /// Client hardware addresses (chaddr, client identifier).
    pub macs: Vec<&'a [u8]>,
    /// Host names (option 12, FQDN option 81), lower-cased.
    pub hosts: Vec<String>,
    /// Vendor class (option 60; DHCPv6 option 16).
    pub class_id: Vec<&'a [u8]>,
    /// Requested addresses (option 50).
    pub request_ip: Vec<Ipv4Addr>,
}

/// Reads a DHCP message (at least 256 bytes).
pub fn parse_v4(d: &[u8]) -> Option<Dhcp<'_>> {
    if d.len() < 256 {
        return None;
    }
    let mut m = Dhcp::default();
    if d[1] == 1 {
        m.macs.push(&d[28..34]);
    }
    m.id = Some(format!(
        "{:x}",
        u32::from_be_bytes([d[4], d[5], d[6], d[7]])
    ));
    let mut b = &d[240..];
    while b.len() >= 2 {
        let t = b[0];
        b = &b[1..];
        if t == 255 {
            break;
        }
        if t == 0 {
            continue;
        }
        let l = usize::from(b[0]);
        b = &b[1..];
        if l > b.len() {
            break;
        }
        let (v, rest) = b.split_at(l);
        b = rest;
        match t {
            _ if l == 0 => {}
            12 => m.hosts.push(String::from_utf8_lossy(v).to_lowercase()),
            53 if l == 1 => {
                if let Some(n) = V4_TYPES.get(usize::from(v[0])).filter(|n| !n.is_empty()) {
                    m.msg_type = Some(n);
                }
            }
            60 => m.class_id.push(v),
            50 if l == 4 => m.request_ip.push(Ipv4Addr::new(v[0], v[1], v[2], v[3])),
            61 if l == 7 && v[0] == 1 => m.macs.push(&v[1..7]),
            81 if l >= 3 && v[0] == 0 => m
                .hosts
                .push(String::from_utf8_lossy(&v[3..]).to_lowercase()),
            _ => {}
        }
    }
    Some(m)
}

/// Reads a DHCPv6 message.
pub fn parse_v6(d: &[u8]) -> Option<Dhcp<'_>> {
    let ty = *d.first()?;
    if d.len() < 4 || ty == 0 || usize::from(ty) >= V6_TYPES.len() {
        return None;
    }
    let mut m = Dhcp {
        msg_type: Some(V6_TYPES[usize::from(ty)]),
        ..Dhcp::default()
    };
    let start = if ty == 12 || ty == 13 {
        if d.len() < 34 {
            return Some(m);
        }
        34
    } else {
        m.id = Some(format!("{:x}", u32::from_be_bytes([0, d[1], d[2], d[3]])));
        4
    };
    let mut b = &d[start..];
    while b.len() >= 4 {
        let code = u16::from_be_bytes([b[0], b[1]]);
        let l = usize::from(u16::from_be_bytes([b[2], b[3]]));
        b = &b[4..];
        if l > b.len() {
            break;
        }
        let (v, rest) = b.split_at(l);
        b = rest;
        if code == 16 && l > 0 {
            m.class_id.push(v);
        }
    }
    Some(m)
}

fn field(cx: &Cx, exp: &str) -> Option<FieldId> {
    cx.shared.fields.by_expression(exp)
}

fn add(cx: &mut Cx, s: &mut Session, m: &Dhcp<'_>) {
    let shared = cx.shared;
    let reg = &shared.fields;
    if let (Some(id), Some(t)) = (field(cx, "dhcp.type"), m.msg_type) {
        s.fields.string_add(reg, id, t);
    }
    if let (Some(id), Some(x)) = (field(cx, "dhcp.id"), &m.id) {
        s.fields.string_add(reg, id, x);
    }
    if let (Some(mac), Some(oui)) = (field(cx, "dhcp.mac"), field(cx, "dhcp.oui")) {
        for a in &m.macs {
            crate::thread::mac_oui_add(shared, s, mac, oui, Some(a));
        }
    }
    if let Some(id) = field(cx, "dhcp.host") {
        for h in &m.hosts {
            s.fields.string_add(reg, id, h);
        }
    }
    if let Some(id) = field(cx, "dhcp.classId") {
        for c in &m.class_id {
            s.fields.string_add(reg, id, &String::from_utf8_lossy(c));
        }
    }
    if let Some(id) = field(cx, "dhcp.requestIp") {
        for ip in &m.request_ip {
            s.fields.ip_add(reg, id, IpAddr::V4(*ip));
        }
    }
}

/// DHCP process: the message's fields.
pub fn process(cx: &mut Cx, s: &mut Session, pkt: Packet) {
    if let Some(m) = parse_v4(pkt.payload()) {
        add(cx, s, &m);
    }
}

/// DHCPv6 process: the message's fields.
pub fn process6(cx: &mut Cx, s: &mut Session, pkt: Packet) {
    if let Some(m) = parse_v6(pkt.payload()) {
        add(cx, s, &m);
    }
}

/// The DHCP fields, as Arkime's dhcp.c defines them.
fn define_fields(f: &mut FieldRegistry) {
    let cnt = flags::CNT;
    let s = FieldType::StrHash;
    f.define(
        "dhcp",
        "uptermfield",
        "dhcp.type",
        "DHCP Type",
        "dhcp.type",
        "DHCP Type",
        s,
        cnt,
    );
    let host = f.define(
        "dhcp",
        "lotermfield",
        "dhcp.host",
        "DHCP Host",
        "dhcp.host",
        "DHCP Host",
        s,
        cnt,
    );
    f.set_category(host, "host");
    f.define(
        "dhcp",
        "lotextfield",
        "dhcp.host.tokens",
        "Hostname Tokens",
        "dhcp.hostTokens",
        "DHCP Hostname Tokens",
        s,
        flags::FAKE,
    );
    f.define(
        "dhcp",
        "lotermfield",
        "dhcp.mac",
        "DHCP Client MAC",
        "dhcp.mac",
        "Client ethernet MAC",
        s,
        cnt,
    );
    f.define(
        "dhcp",
        "termfield",
        "dhcp.oui",
        "DHCP Client OUI",
        "dhcp.oui",
        "Client ethernet OUI",
        s,
        cnt,
    );
    f.define(
        "dhcp",
        "lotermfield",
        "dhcp.id",
        "DHCP Transaction id",
        "dhcp.id",
        "DHCP Transaction Id",
        s,
        cnt,
    );
    f.define(
        "dhcp",
        "termfield",
        "dhcp.classId",
        "DHCP Vendor Class",
        "dhcp.classId",
        "DHCP Vendor Class Identifier",
        s,
        cnt,
    );
    f.define(
        "dhcp",
        "ip",
        "dhcp.requestIp",
        "DHCP Request IP",
        "dhcp.requestIp",
        "DHCP Requested IP Address",
        FieldType::IpGHash,
        cnt,
    );
}

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
    s.flows[Dir::from_bit(pkt.meta.direction)].databytes += u64::from(pkt.meta.payload_len);
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

/// Registers the dhcp and dhcpv6 mprotocols, their fields and their UDP ports.
pub fn register(m: &mut MProtocols, t: &mut DecodeTables, f: &mut FieldRegistry, s: &CoreSettings) {
    define_fields(f);
    let dhcp = m.mprotocol_register(MProtocol {
        timeout: s.dhcp_timeout,
        process: Some(process),
        ..super::other_mprotocol("dhcp", create_session_id, pre_process)
    });
    let dhcp6 = m.mprotocol_register(MProtocol {
        timeout: s.dhcp_timeout,
        process: Some(process6),
        ..super::other_mprotocol("dhcpv6", create_session_id6, pre_process6)
    });
    for port in [67, 68] {
        t.set_udpport_enqueue_cb(port, enqueue, u32::from(dhcp));
    }
    for port in [546, 547] {
        t.set_udpport_enqueue_cb(port, enqueue6, u32::from(dhcp6));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dhcp_and_v6_messages() {
        let mut d = vec![0u8; 240];
        d[0] = 1;
        d[1] = 1;
        d[2] = 6;
        d[4..8].copy_from_slice(&[0, 0, 0x3d, 0x1d]);
        d[28..34].copy_from_slice(&[0, 0x0b, 0x82, 1, 0xfc, 0x42]);
        d[236..240].copy_from_slice(&[0x63, 0x82, 0x53, 0x63]);
        d.extend_from_slice(&[
            53, 1, 3, 0, 50, 4, 192, 168, 0, 10, 12, 4, b'P', b'C', b'-', b'1',
        ]);
        d.extend_from_slice(&[81, 6, 0, 0, 0, b'a', b'.', b'b', 255]);
        d.resize(300, 0);
        let m = parse_v4(&d).unwrap();
        assert_eq!(m.msg_type, Some("REQUEST"));
        assert_eq!(m.id.as_deref(), Some("3d1d"));
        assert_eq!(m.request_ip, vec![Ipv4Addr::new(192, 168, 0, 10)]);
        assert_eq!(m.hosts, vec!["pc-1".to_string(), "a.b".to_string()]);
        assert_eq!(m.macs, vec![&[0, 0x0b, 0x82, 1, 0xfc, 0x42][..]]);
        assert!(parse_v4(&d[..255]).is_none());
        // An option longer than the message ends the options, without panic.
        let mut bad = d.clone();
        bad[241] = 200;
        bad.truncate(256);
        assert_eq!(parse_v4(&bad).unwrap().msg_type, None);

        let v6 = [1u8, 0x10, 0x08, 0x74, 0, 16, 0, 3, b'x', b'y', b'z'];
        let m = parse_v6(&v6).unwrap();
        assert_eq!(
            (m.msg_type, m.id.as_deref()),
            (Some("SOLICIT"), Some("100874"))
        );
        assert_eq!(m.class_id, vec![&b"xyz"[..]]);
        assert!(parse_v6(&[0, 1, 2, 3]).is_none());
        assert!(parse_v6(&[1, 2]).is_none());
    }
}
