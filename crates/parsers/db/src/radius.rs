//! RADIUS (Arkime's radius.c): on the RADIUS ports, each message's type and the
//! user, NAS address and port, framed address, calling MAC and tunnel endpoint.

use std::net::{IpAddr, Ipv4Addr};

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

#[derive(Clone, Copy, Debug)]
struct Ids {
    user: FieldId,
    mac: FieldId,
    endpoint_ip: FieldId,
    framed_ip: FieldId,
    msg_type: FieldId,
    nas_ip: FieldId,
    nas_port: FieldId,
}

fn code_name(code: u8) -> Option<&'static str> {
    Some(match code {
        1 => "access-request",
        2 => "access-accept",
        3 => "access-reject",
        4 => "accounting-request",
        5 => "accounting-response",
        11 => "access-challenge",
        12 => "status-server",
        13 => "status-client",
        _ => return None,
    })
}

/// One attribute the parser keeps.
#[derive(Debug, PartialEq)]
pub enum Attr<'a> {
    /// User-Name.
    User(&'a [u8]),
    /// NAS-IP-Address.
    NasIp(Ipv4Addr),
    /// NAS-Port.
    NasPort(u32),
    /// Framed-IP-Address.
    FramedIp(Ipv4Addr),
    /// Calling-Station-Id written as 12 hex digits, as a MAC.
    Mac(String),
    /// Tunnel-Client-Endpoint.
    Endpoint(IpAddr),
}

/// The attributes of one message (up to its Length; the rest is padding).
pub fn attributes(d: &[u8]) -> Vec<Attr<'_>> {
    let end = if d.len() >= 4 {
        d.len().min(usize::from(u16::from_be_bytes([d[2], d[3]])))
    } else {
        d.len()
    };
    let mut b = d.get(20..end).unwrap_or(&[]);
    let mut out = Vec::new();
    while b.len() > 2 {
        let (t, l) = (b[0], usize::from(b[1]));
        if l < 2 {
            break;
        }
        let Some(v) = b.get(2..l) else { break };
        b = &b[l..];
        let v4 = || <[u8; 4]>::try_from(v).ok().map(Ipv4Addr::from);
        match t {
            1 => out.push(Attr::User(v)),
            4 => out.extend(v4().map(Attr::NasIp)),
            5 => out.extend(
                <[u8; 4]>::try_from(v)
                    .ok()
                    .map(|p| Attr::NasPort(u32::from_be_bytes(p))),
            ),
            8 => out.extend(v4().map(Attr::FramedIp)),
            31 if v.len() == 12 => {
                let mut m = String::with_capacity(17);
                for (i, pair) in v.chunks(2).enumerate() {
                    if i > 0 {
                        m.push(':');
                    }
                    m.extend(pair.iter().map(|&c| char::from(c).to_ascii_lowercase()));
                }
                out.push(Attr::Mac(m));
            }
            66 => {
                if let Some(ip) = std::str::from_utf8(v).ok().and_then(|s| s.parse().ok()) {
                    out.push(Attr::Endpoint(ip));
                }
            }
            _ => {}
        }
    }
    out
}

#[derive(Debug)]
struct Radius {
    ids: Ids,
}

impl Parser for Radius {
    fn name(&self) -> &'static str {
        "radius"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir) -> Parsed {
        let reg = &cx.shared.fields;
        let ids = self.ids;
        if let Some(n) = data.first().and_then(|c| code_name(*c)) {
            s.fields.string_add(reg, ids.msg_type, n);
        }
        for a in attributes(data) {
            match a {
                Attr::User(u) => {
                    s.fields
                        .string_add(reg, ids.user, &String::from_utf8_lossy(u));
                }
                Attr::NasIp(ip) => {
                    s.fields.ip_add(reg, ids.nas_ip, IpAddr::V4(ip));
                }
                Attr::NasPort(p) => {
                    s.fields.int_add(reg, ids.nas_port, p);
                }
                Attr::FramedIp(ip) => {
                    s.fields.ip_add(reg, ids.framed_ip, IpAddr::V4(ip));
                }
                Attr::Mac(m) => {
                    s.fields.string_add(reg, ids.mac, &m);
                }
                Attr::Endpoint(ip) => {
                    s.fields.ip_add(reg, ids.endpoint_ip, ip);
                }
            }
        }
        Parsed::Done(0)
    }
}

fn radius_port(p: u16) -> bool {
    (1812..=1813).contains(&p) || (1645..=1646).contains(&p)
}

fn classify(cx: &mut Cx, s: &mut Session, data: &[u8], ids: Ids) {
    if data.len() < 20 || data.len() < usize::from(u16::from_be_bytes([data[2], data[3]])) {
        return;
    }
    if !radius_port(s.port1) && !radius_port(s.port2) {
        return;
    }
    register_parser(s, Box::new(Radius { ids }));
    cx.add_protocol(s, "radius");
}

const RADIUS: FieldSpec = FieldSpec::new("radius", FieldType::StrGHash).flags(Flags::CNT);
const RADIUS_IP: FieldSpec = RADIUS.ty(FieldType::IpGHash);

/// The RADIUS fields, in the order of [`Ids`].
pub const FIELDS: [FieldSpec; 7] = [
    RADIUS
        .named("radius.user", "radius.user", Kind::TermField)
        .text("User", "RADIUS user")
        .flags(Flags::NONE)
        .category("user"),
    RADIUS
        .named("radius.mac", "radius.mac", Kind::LoTermField)
        .text("MAC", "RADIUS MAC"),
    RADIUS_IP
        .named("radius.endpoint-ip", "radius.endpointIp", Kind::Ip)
        .text("Endpoint IP", "RADIUS endpoint IP addresses for session"),
    RADIUS_IP
        .named("radius.framed-ip", "radius.framedIp", Kind::Ip)
        .text("Framed IP", "RADIUS framed IP addresses for session"),
    RADIUS
        .named("radius.msgType", "radius.msgType", Kind::LoTermField)
        .text("Msg Type", "RADIUS message type"),
    RADIUS_IP
        .named("radius.nasIp", "radius.nasIp", Kind::Ip)
        .text("NAS IP", "RADIUS NAS IP address"),
    RADIUS
        .ty(FieldType::IntGHash)
        .named("radius.nasPort", "radius.nasPort", Kind::Integer)
        .text("NAS Port", "RADIUS NAS port"),
];

/// Registers the RADIUS fields and classifiers.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [user, mac, endpoint_ip, framed_ip, msg_type, nas_ip, nas_port] = f.define_all(&FIELDS);
    let ids = Ids {
        user,
        mac,
        endpoint_ip,
        framed_ip,
        msg_type,
        nas_ip,
        nas_port,
    };
    for code in 1u8..=5 {
        c.register_udp("radius", 0, 0, &[code], move |cx, s, d, _, _| {
            classify(cx, s, d, ids)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_request_attributes() {
        let mut m = vec![1u8, 7, 0, 0];
        m.extend_from_slice(&[0; 16]);
        m.extend_from_slice(&[1, 5, b'b', b'o', b'b']);
        m.extend_from_slice(&[4, 6, 10, 0, 0, 1]);
        m.extend_from_slice(&[5, 6, 0, 0, 0, 7]);
        m.extend_from_slice(&[31, 14]);
        m.extend_from_slice(b"00AABBCCDDEE");
        m.extend_from_slice(&[66, 11]);
        m.extend_from_slice(b"192.0.2.9");
        m.extend_from_slice(&[8, 5, 1, 2, 3]);
        let n = m.len() as u16;
        m[2..4].copy_from_slice(&n.to_be_bytes());
        m.extend_from_slice(&[1, 4, b'x', b'y']); // padding past Length
        let a = attributes(&m);
        assert_eq!(a[0], Attr::User(b"bob"));
        assert_eq!(a[1], Attr::NasIp(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(a[2], Attr::NasPort(7));
        assert_eq!(a[3], Attr::Mac("00:aa:bb:cc:dd:ee".into()));
        assert_eq!(a[4], Attr::Endpoint("192.0.2.9".parse().unwrap()));
        assert_eq!(a.len(), 5, "short framed ip skipped, padding ignored");
        for cut in 0..m.len() {
            let _ = attributes(&m[..cut]);
        }
    }
}
