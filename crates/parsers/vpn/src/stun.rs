//! STUN and TURN (RFC 5389, RFC 5766; Arkime's stun.c): message types, mapped,
//! XOR-mapped, relayed and peer addresses and ports, user names, software, realm,
//! error codes and flag attributes, over UDP or TCP; `stun:nat-discovered` when the
//! XOR-mapped address is neither end of the session.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::ControlFlow;

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::frame::{for_each_frame, Frame, LengthPrefix};
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

const MAGIC: u32 = 0x2112_a442;
/// Most bytes buffered per direction on TCP (Arkime's default parser buffer).
const MAX_BUF: usize = 8192;
/// Over TCP: the 20-byte header, whose length counts the attributes after it; a
/// message longer than the buffer is not read.
const TCP_MESSAGE: LengthPrefix = LengthPrefix::be(2, 2).plus(20).range(20, MAX_BUF);

/// What the front of a TCP stream holds (the length is read once the whole header
/// is there, as Arkime does).
fn tcp_frame(b: &[u8]) -> Frame {
    if b.len() < 20 {
        Frame::Partial { needed: 20 }
    } else {
        TCP_MESSAGE.frame(b)
    }
}

#[derive(Clone, Copy, Debug)]
struct Ids {
    msg_type: FieldId,
    mapped: (FieldId, FieldId),
    xor_mapped: (FieldId, FieldId),
    xor_relayed: (FieldId, FieldId),
    xor_peer: (FieldId, FieldId),
    username: FieldId,
    software: FieldId,
    realm: FieldId,
    error: FieldId,
    attributes: FieldId,
}

fn method_name(m: u16) -> Option<&'static str> {
    Some(match m {
        0x01 => "Binding",
        0x03 => "Allocate",
        0x04 => "Refresh",
        0x06 => "Send",
        0x07 => "Data",
        0x08 => "CreatePermission",
        0x09 => "ChannelBind",
        0x0a => "Connect",
        0x0b => "ConnectionBind",
        0x0c => "ConnectionAttempt",
        0x80 => "GooglePing",
        _ => return None,
    })
}

const CLASSES: [&str; 4] = ["Request", "Indication", "Response", "Error"];

/// Which address attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Addr {
    /// MAPPED-ADDRESS.
    Mapped,
    /// XOR-MAPPED-ADDRESS.
    XorMapped,
    /// XOR-RELAYED-ADDRESS.
    XorRelayed,
    /// XOR-PEER-ADDRESS.
    XorPeer,
}

/// What one message holds.
#[derive(Debug, Default, PartialEq)]
pub struct Message<'a> {
    /// "Method Class".
    pub msg_type: Option<String>,
    /// Addresses: which, port, and the address if its family was readable.
    pub addrs: Vec<(Addr, u16, Option<IpAddr>)>,
    /// USERNAME values.
    pub usernames: Vec<&'a [u8]>,
    /// SOFTWARE values.
    pub software: Vec<&'a [u8]>,
    /// REALM values.
    pub realms: Vec<&'a [u8]>,
    /// ERROR-CODE values.
    pub errors: Vec<u32>,
    /// Flag attributes seen.
    pub attributes: Vec<&'static str>,
}

fn address(v: &[u8], xor: Option<&[u8]>) -> Option<(u16, Option<IpAddr>)> {
    if v.len() < 8 {
        return None;
    }
    let family = v[1];
    let mut port = u16::from_be_bytes([v[2], v[3]]);
    if xor.is_some() {
        port ^= (MAGIC >> 16) as u16;
    }
    let ip = match family {
        1 => {
            let mut n = u32::from_be_bytes([v[4], v[5], v[6], v[7]]);
            if xor.is_some() {
                n ^= MAGIC;
            }
            Some(IpAddr::V4(Ipv4Addr::from(n)))
        }
        2 if v.len() >= 20 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(&v[4..20]);
            if let Some(txn) = xor {
                let mut key = [0u8; 16];
                key[..4].copy_from_slice(&MAGIC.to_be_bytes());
                key[4..].copy_from_slice(txn);
                for (b, k) in a.iter_mut().zip(key) {
                    *b ^= k;
                }
            }
            Some(IpAddr::V6(Ipv6Addr::from(a)))
        }
        _ => None,
    };
    Some((port, ip))
}

/// Reads one message (the whole datagram, or one framed TCP message); None means the
/// bytes are not STUN (stop parsing).
pub fn message(d: &[u8]) -> Option<Message<'_>> {
    if d.len() < 20 {
        return None;
    }
    let ty = u16::from_be_bytes([d[0], d[1]]);
    let len = usize::from(u16::from_be_bytes([d[2], d[3]]));
    let cookie = u32::from_be_bytes([d[4], d[5], d[6], d[7]]);
    let txn = &d[8..20];
    if cookie != MAGIC {
        if len + 20 != d.len() {
            return None;
        }
    } else if len + 20 > d.len() {
        return None;
    }
    let method = (ty & 0x000f) | ((ty & 0x00e0) >> 1) | ((ty & 0x3e00) >> 2);
    let class = usize::from(((ty & 0x0010) >> 4) | ((ty & 0x0100) >> 7));
    let mut m = Message {
        msg_type: method_name(method).map(|n| format!("{n} {}", CLASSES[class])),
        ..Message::default()
    };
    let mut b = &d[20..20 + len];
    while b.len() >= 4 {
        let t = u16::from_be_bytes([b[0], b[1]]);
        let l = usize::from(u16::from_be_bytes([b[2], b[3]]));
        b = &b[4..];
        if l > b.len() {
            break;
        }
        let v = &b[..l];
        let which = match t {
            0x0001 => Some((Addr::Mapped, None)),
            0x0020 | 0x8020 => Some((Addr::XorMapped, Some(txn))),
            0x0016 => Some((Addr::XorRelayed, Some(txn))),
            0x0012 => Some((Addr::XorPeer, Some(txn))),
            _ => None,
        };
        if let Some((a, xor)) = which {
            if let Some((port, ip)) = address(v, xor) {
                m.addrs.push((a, port, ip));
            }
        }
        match t {
            0x0006 if (1..513).contains(&l) => m.usernames.push(v),
            0x8022 if (1..763).contains(&l) => m.software.push(v),
            0x0014 if (1..763).contains(&l) => m.realms.push(v),
            0x0025 => m.attributes.push("use-candidate"),
            0x8029 => m.attributes.push("ice-controlled"),
            0x802a => m.attributes.push("ice-controlling"),
            0x8028 => m.attributes.push("fingerprint"),
            0x0009 if l >= 4 => m.errors.push(u32::from(v[2]) * 100 + u32::from(v[3])),
            _ => {}
        }
        let padded = (l + 3) & !3;
        b = b.get(padded..).unwrap_or(&[]);
    }
    Some(m)
}

fn add(cx: &mut Cx, s: &mut Session, ids: &Ids, m: &Message<'_>) {
    let reg = &cx.shared.fields;
    let mut nat = false;
    if let Some(t) = &m.msg_type {
        s.fields.string_add(reg, ids.msg_type, t);
    }
    for &(a, port, ip) in &m.addrs {
        let (ip_id, port_id) = match a {
            Addr::Mapped => ids.mapped,
            Addr::XorMapped => ids.xor_mapped,
            Addr::XorRelayed => ids.xor_relayed,
            Addr::XorPeer => ids.xor_peer,
        };
        s.fields.int_add(reg, port_id, u32::from(port));
        if let Some(ip) = ip {
            s.fields.ip_add(reg, ip_id, ip);
            let same_family = matches!(ip, IpAddr::V6(_)) == s.v6;
            if a == Addr::XorMapped && same_family && ip != s.src_ip() && ip != s.dst_ip() {
                nat = true;
            }
            if a == Addr::XorMapped && !same_family {
                nat = true;
            }
        }
    }
    for (list, id) in [
        (&m.usernames, ids.username),
        (&m.software, ids.software),
        (&m.realms, ids.realm),
    ] {
        for v in list {
            s.fields.string_add(reg, id, &String::from_utf8_lossy(v));
        }
    }
    for e in &m.errors {
        s.fields.int_add(reg, ids.error, *e);
    }
    for a in &m.attributes {
        s.fields.string_add(reg, ids.attributes, a);
    }
    if nat {
        cx.add_tag(s, "stun:nat-discovered");
    }
}

#[derive(Debug)]
struct Stun {
    ids: Ids,
    tcp: bool,
}

impl Parser for Stun {
    fn name(&self) -> &'static str {
        "stun"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir) -> Parsed {
        if !self.tcp {
            return match message(data) {
                Some(m) => {
                    add(cx, s, &self.ids, &m);
                    Parsed::Done(0)
                }
                None => Parsed::Error,
            };
        }
        // Arkime appends each segment to a buffer of at most MAX_BUF bytes before it
        // reads any message, and unregisters when the bytes kept and the new ones do
        // not fit: the same rule here, before the messages are read.
        if data.len() > MAX_BUF {
            return Parsed::Skip;
        }
        let r = for_each_frame(data, tcp_frame, |m| {
            // A whole message that does not read as STUN is passed over.
            if let Some(m) = message(m) {
                add(cx, s, &self.ids, &m);
            }
            ControlFlow::Continue(())
        });
        if r == Parsed::Error {
            cx.add_tag(s, "stun:message-too-long");
        }
        r
    }

    fn max_held(&self) -> usize {
        MAX_BUF
    }
}

fn attach(cx: &mut Cx, s: &mut Session, tcp: bool, ids: Ids) {
    cx.add_protocol(s, "stun");
    register_parser(s, Box::new(Stun { ids, tcp }));
}

fn classify_udp(cx: &mut Cx, s: &mut Session, d: &[u8], ids: Ids) {
    if d.len() < 20 || cx.has_protocol(s, "stun") {
        return;
    }
    if d[4..8] != MAGIC.to_be_bytes() {
        let len = usize::from(u16::from_be_bytes([d[2], d[3]]));
        if len + 20 != d.len() || d[0] > 1 {
            return;
        }
    }
    attach(cx, s, false, ids);
}

fn classify_tcp(cx: &mut Cx, s: &mut Session, d: &[u8], ids: Ids) {
    if d.len() < 20 || cx.has_protocol(s, "stun") {
        return;
    }
    if d[4..8] != MAGIC.to_be_bytes() || d[0] & 0xc0 != 0 {
        return;
    }
    attach(cx, s, true, ids);
}

fn classify_rsp(cx: &mut Cx, s: &mut Session, d: &[u8], _dir: Dir, _uw: u32) {
    if !cx.has_protocol(s, "stun") && d.len() > 7 && d[7..].windows(4).any(|w| w == b"STUN") {
        cx.add_protocol(s, "stun");
    }
}

const STUN: FieldSpec = FieldSpec::new("stun", FieldType::StrGHash).flags(Flags::CNT);
const IP: FieldSpec = STUN.ty(FieldType::IpGHash);
const INT: FieldSpec = STUN.ty(FieldType::IntGHash);

/// The STUN fields, in definition order: type, mapped IP and port, XOR-mapped IP and
/// port, username, software, realm, error code, XOR-relayed IP and port, XOR-peer IP
/// and port, attributes.
pub const FIELDS: [FieldSpec; 14] = [
    STUN.named("stun.type", "stun.type", Kind::TermField)
        .text("Message Type", "STUN message type"),
    IP.named("stun.mapped-ip", "stun.mappedIp", Kind::Ip)
        .text("Mapped IP", "STUN MAPPED-ADDRESS IP"),
    INT.named("stun.mapped-port", "stun.mappedPort", Kind::Integer)
        .text("Mapped Port", "STUN MAPPED-ADDRESS port"),
    IP.named("stun.xor-mapped-ip", "stun.xorMappedIp", Kind::Ip).text(
        "XOR Mapped IP",
        "STUN XOR-MAPPED-ADDRESS IP (external/NAT IP)",
    ),
    INT.named("stun.xor-mapped-port", "stun.xorMappedPort", Kind::Integer)
        .text("XOR Mapped Port", "STUN XOR-MAPPED-ADDRESS port"),
    STUN.named("stun.username", "stun.username", Kind::TermField)
        .text("Username", "STUN username (ICE credentials)")
        .category("user"),
    STUN.named("stun.software", "stun.software", Kind::TermField)
        .text("Software", "STUN software attribute"),
    STUN.named("stun.realm", "stun.realm", Kind::TermField)
        .text("Realm", "STUN realm"),
    INT.named("stun.error", "stun.error", Kind::Integer)
        .text("Error Code", "STUN error code"),
    IP.named("stun.xor-relayed-ip", "stun.xorRelayedIp", Kind::Ip).text(
        "XOR Relayed IP",
        "TURN XOR-RELAYED-ADDRESS IP (relay server allocated address)",
    ),
    INT.named("stun.xor-relayed-port", "stun.xorRelayedPort", Kind::Integer)
        .text("XOR Relayed Port", "TURN XOR-RELAYED-ADDRESS port"),
    IP.named("stun.xor-peer-ip", "stun.xorPeerIp", Kind::Ip).text(
        "XOR Peer IP",
        "TURN XOR-PEER-ADDRESS IP (remote peer relayed through TURN server)",
    ),
    INT.named("stun.xorPeerPort", "stun.xorPeerPort", Kind::Integer)
        .text("XOR Peer Port", "TURN XOR-PEER-ADDRESS port")
        .category("port"),
    STUN.named("stun.attributes", "stun.attributes", Kind::TermField).text(
        "Attributes",
        "STUN/TURN protocol attributes/flags (fingerprint, ice-controlled, ice-controlling, use-candidate)",
    ),
];

/// Registers the STUN fields and classifiers.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [msg_type, mapped_ip, mapped_port, xor_mapped_ip, xor_mapped_port, username, software, realm, error, xor_relayed_ip, xor_relayed_port, xor_peer_ip, xor_peer_port, attributes] =
        f.define_all(&FIELDS);
    let ids = Ids {
        msg_type,
        mapped: (mapped_ip, mapped_port),
        xor_mapped: (xor_mapped_ip, xor_mapped_port),
        xor_relayed: (xor_relayed_ip, xor_relayed_port),
        xor_peer: (xor_peer_ip, xor_peer_port),
        username,
        software,
        realm,
        error,
        attributes,
    };
    for p in [&b"\x00\x01\x00"[..], b"\x00\x03\x00", b"\x01\x01\x00"] {
        c.register_udp("stun", 0, 0, p, move |cx, s, d, _, _| {
            classify_udp(cx, s, d, ids)
        });
    }
    for p in [
        &b"\x00\x01\x00"[..],
        b"\x00\x03\x00",
        b"\x00\x04\x00",
        b"\x00\x08\x00",
        b"\x00\x09\x00",
        b"\x01\x01\x00",
        b"\x01\x03\x00",
    ] {
        c.register_tcp("stun", 0, 0, p, move |cx, s, d, _, _| {
            classify_tcp(cx, s, d, ids)
        });
    }
    c.register_udp("stun", 0, 0, b"RSP/", classify_rsp);
    c.register_tcp("stun", 0, 0, b"RSP/", classify_rsp);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binding_response() {
        let txn = [7u8; 12];
        let mut m = vec![0x01, 0x01, 0, 0];
        m.extend_from_slice(&MAGIC.to_be_bytes());
        m.extend_from_slice(&txn);
        // XOR-MAPPED-ADDRESS 192.0.2.1:32853
        let port = 32853u16 ^ (MAGIC >> 16) as u16;
        let ip = u32::from(Ipv4Addr::new(192, 0, 2, 1)) ^ MAGIC;
        m.extend_from_slice(&[0x00, 0x20, 0, 8, 0, 1]);
        m.extend_from_slice(&port.to_be_bytes());
        m.extend_from_slice(&ip.to_be_bytes());
        m.extend_from_slice(&[0x80, 0x22, 0, 3, b'a', b'b', b'c', 0]);
        m.extend_from_slice(&[0x80, 0x28, 0, 4, 1, 2, 3, 4]);
        let n = (m.len() - 20) as u16;
        m[2..4].copy_from_slice(&n.to_be_bytes());
        let r = message(&m).unwrap();
        assert_eq!(r.msg_type.as_deref(), Some("Binding Response"));
        assert_eq!(
            r.addrs,
            vec![(Addr::XorMapped, 32853, Some("192.0.2.1".parse().unwrap()))]
        );
        assert_eq!(r.software, vec![&b"abc"[..]]);
        assert_eq!(r.attributes, vec!["fingerprint"]);
        for cut in 0..m.len() {
            let _ = message(&m[..cut]);
        }
        assert!(message(&m[..19]).is_none());
    }
}
