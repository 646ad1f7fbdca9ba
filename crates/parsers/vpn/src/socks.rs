//! SOCKS 4/4a and 5 (Arkime's socks.c): the destination address, host and port, the
//! user (SOCKS 4 user id, SOCKS 5 username/password), tags for password use and
//! refused requests; once the proxy answers, the tunnelled stream is classified again
//! so HTTP, TLS, SMTP, ... attach to the session.

use std::net::{IpAddr, Ipv4Addr};

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_session::parsers::{classify_tcp, register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

#[derive(Clone, Copy, Debug)]
struct Ids {
    ip: FieldId,
    port: FieldId,
    user: FieldId,
    host: FieldId,
}

/// What a SOCKS 4 request asks for.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Request4 {
    /// Destination port.
    pub port: u16,
    /// Destination address; 0.0.0.x (SOCKS 4a) is None.
    pub ip: Option<Ipv4Addr>,
    /// User id, if any.
    pub user: Option<Vec<u8>>,
    /// SOCKS 4a host name (lower-cased), if any.
    pub host: Option<Vec<u8>>,
}

/// Reads a SOCKS 4 CONNECT/BIND request (Arkime's `socks4_classify`): at least eight
/// bytes ending in a NUL.
pub fn request4(data: &[u8]) -> Option<Request4> {
    if data.len() < 8 || data[data.len() - 1] != 0 {
        return None;
    }
    let mut r = Request4 {
        port: u16::from_be_bytes([data[2], data[3]]),
        ..Request4::default()
    };
    let a = [data[4], data[5], data[6], data[7]];
    let is_4a = a[..3] == [0, 0, 0] && a[3] != 0;
    if !is_4a && a != [0, 0, 0, 0] {
        r.ip = Some(Ipv4Addr::from(a));
    }
    let len = data.len();
    let mut i = 8;
    while i < len && data[i] != 0 {
        i += 1;
    }
    if i > 8 && i != len {
        r.user = Some(data[8..i].to_vec());
    }
    if r.ip.is_none() {
        i += 1;
        let start = i;
        while i < len && data[i] != 0 {
            i += 1;
        }
        if i > start && i != len {
            r.host = Some(data[start..i].to_ascii_lowercase());
        }
    }
    Some(r)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum S5 {
    None,
    VerRequest,
    VerReply,
    UserRequest,
    UserReply,
    ConnRequest,
    ConnReply,
    ConnData,
}

#[derive(Debug)]
enum Socks {
    V4 {
        ids: Ids,
        client: Dir,
        req: Request4,
        replied: bool,
    },
    V5 {
        ids: Ids,
        client: Dir,
        state: [S5; 2],
    },
}

impl Parser for Socks {
    fn name(&self) -> &'static str {
        match self {
            Socks::V4 { .. } => "socks4",
            Socks::V5 { .. } => "socks5",
        }
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
        match self {
            Socks::V4 {
                ids,
                client,
                req,
                replied,
            } => {
                if *replied {
                    classify_tcp(cx, s, data, dir);
                    return Parsed::Skip;
                }
                if dir == *client {
                    return Parsed::Done(0);
                }
                if data.len() >= 8 && data[0] == 0 && (0x5a..=0x5d).contains(&data[1]) {
                    let reg = &cx.shared.fields;
                    if let Some(ip) = req.ip {
                        s.fields.ip_add(reg, ids.ip, IpAddr::V4(ip));
                    }
                    s.fields.int_add(reg, ids.port, u32::from(req.port));
                    cx.add_protocol(s, "socks");
                    let reg = &cx.shared.fields;
                    if let Some(u) = req.user.take() {
                        s.fields.string_add(reg, ids.user, &latin1(&u));
                    }
                    if let Some(h) = req.host.take() {
                        s.fields.string_add(reg, ids.host, &latin1(&h));
                    }
                    classify_tcp(cx, s, &data[8..], dir);
                    *replied = true;
                    return Parsed::Done(8);
                }
                Parsed::Done(0)
            }
            Socks::V5 { ids, client, state } => v5(cx, s, *ids, *client, state, data, dir),
        }
    }
}

fn latin1(b: &[u8]) -> String {
    trawl_parser_common::text::latin1(b)
}

fn v5(
    cx: &mut Cx,
    s: &mut Session,
    ids: Ids,
    client: Dir,
    state: &mut [S5; 2],
    data: &[u8],
    dir: Dir,
) -> Parsed {
    let other = dir.other();
    let n = data.len();
    let reg = &cx.shared.fields;
    match state[dir] {
        S5::VerRequest => {
            if n < 3 {
                return Parsed::Skip;
            }
            state[dir] = if data[2] == 0 {
                S5::ConnRequest
            } else {
                S5::UserRequest
            };
            state[other] = S5::VerReply;
            Parsed::Done(0)
        }
        S5::VerReply => {
            if n < 2 || data[0] != 5 || data[1] > 2 {
                return Parsed::Skip;
            }
            cx.add_protocol(s, "socks");
            if state[client] == S5::ConnData {
                state[dir] = S5::ConnReply;
            } else if data[1] == 0 {
                state[client] = S5::ConnRequest;
                state[dir] = S5::ConnReply;
            } else if data[1] == 2 {
                state[client] = S5::UserRequest;
                state[dir] = S5::UserReply;
            } else {
                return Parsed::Skip;
            }
            Parsed::Done(2)
        }
        S5::UserRequest => {
            let ulen = data.get(1).map_or(0, |&l| usize::from(l));
            if n < 2 || data[0] != 1 || 3 + ulen > n || 3 + ulen + usize::from(data[ulen + 2]) > n {
                return Parsed::Skip;
            }
            s.fields
                .string_add(reg, ids.user, &latin1(&data[2..2 + ulen]));
            cx.add_tag(s, "socks:password");
            state[dir] = S5::ConnRequest;
            Parsed::Done(3 + ulen + usize::from(data[ulen + 2]))
        }
        S5::UserReply => {
            if n < 2 || data[0] != 1 {
                return Parsed::Skip;
            }
            if data[1] != 0 {
                cx.add_tag(s, "socks:auth-failed");
                return Parsed::Skip;
            }
            state[dir] = S5::ConnReply;
            Parsed::Done(2)
        }
        S5::ConnRequest => {
            if n < 6 || data[0] != 5 || data[1] != 1 || data[2] != 0 {
                return Parsed::Skip;
            }
            state[dir] = S5::ConnData;
            let consumed = match data[3] {
                1 => {
                    if n < 10 {
                        return Parsed::Skip;
                    }
                    let ip = Ipv4Addr::new(data[4], data[5], data[6], data[7]);
                    s.fields.ip_add(reg, ids.ip, IpAddr::V4(ip));
                    let port = u16::from_be_bytes([data[8], data[9]]);
                    s.fields.int_add(reg, ids.port, u32::from(port));
                    10
                }
                3 => {
                    let hl = usize::from(data[4]);
                    if n < hl + 7 {
                        return Parsed::Skip;
                    }
                    let port = u16::from_be_bytes([data[5 + hl], data[6 + hl]]);
                    let host = trawl_parser_common::text::latin1_lower(&data[5..5 + hl]);
                    s.fields.string_add(reg, ids.host, &host);
                    s.fields.int_add(reg, ids.port, u32::from(port));
                    7 + hl
                }
                4 => {
                    if n < 22 {
                        return Parsed::Skip;
                    }
                    22
                }
                _ => return Parsed::Done(0),
            };
            classify_tcp(cx, s, &data[consumed..], dir);
            Parsed::Done(consumed)
        }
        S5::ConnReply => {
            if n < 6 || data[0] != 5 || data[2] != 0 {
                return Parsed::Skip;
            }
            if data[1] != 0 {
                cx.add_tag(s, "socks:connect-failed");
                return Parsed::Skip;
            }
            state[dir] = S5::ConnData;
            let consumed = match data[3] {
                1 => 10,
                3 => 7 + usize::from(data[4]),
                4 => 22,
                _ => return Parsed::Done(0),
            };
            if n < consumed {
                return Parsed::Skip;
            }
            classify_tcp(cx, s, &data[consumed..], dir);
            Parsed::Done(consumed)
        }
        S5::ConnData => {
            classify_tcp(cx, s, data, dir);
            Parsed::Skip
        }
        S5::None => Parsed::Skip,
    }
}

fn classify4(s: &mut Session, data: &[u8], dir: Dir, ids: Ids) {
    let Some(req) = request4(data) else {
        return;
    };
    if trawl_session::parsers::has_parser(s, "socks4") {
        return;
    }
    register_parser(
        s,
        Box::new(Socks::V4 {
            ids,
            client: dir,
            req,
            replied: false,
        }),
    );
}

fn classify5(s: &mut Session, data: &[u8], dir: Dir, ids: Ids) {
    let n = data.len();
    if n < 3 || data[1] < 1 || usize::from(data[1]) != n - 2 || data[2] > 3 {
        return;
    }
    if trawl_session::parsers::has_parser(s, "socks5") {
        return;
    }
    let mut state = [S5::None; 2];
    state[dir] = S5::VerRequest;
    register_parser(
        s,
        Box::new(Socks::V5 {
            ids,
            client: dir,
            state,
        }),
    );
}

/// The SOCKS fields, in definition order: IP, host, host tokens (a viewer-only
/// definition), port, user.
pub const FIELDS: [FieldSpec; 5] = [
    FieldSpec::new("socks", FieldType::Ip)
        .named("ip.socks", "socks.ip", Kind::Ip)
        .text("IP", "SOCKS destination IP"),
    FieldSpec::new("socks", FieldType::Str)
        .named("host.socks", "socks.host", Kind::LoTermField)
        .text("Socks Hostname", "SOCKS destination host")
        .category("host"),
    FieldSpec::new("socks", FieldType::Str)
        .named("host.socks.tokens", "socks.hostTokens", Kind::LoTextField)
        .text("Hostname Tokens", "SOCKS Hostname Tokens")
        .flags(Flags::FAKE),
    FieldSpec::new("socks", FieldType::Int)
        .named("port.socks", "socks.port", Kind::Integer)
        .text("Port", "SOCKS destination port")
        .category("port"),
    FieldSpec::new("socks", FieldType::Str)
        .named("socks.user", "socks.user", Kind::TermField)
        .text("User", "SOCKS authenticated user")
        .category("user"),
];

/// Defines the SOCKS fields and registers the classifiers.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [ip, host, _, port, user] = f.define_all(&FIELDS);
    let ids = Ids {
        ip,
        port,
        user,
        host,
    };
    c.register_tcp("socks5", 0, 0, b"\x05", move |_, s, data, dir, _| {
        classify5(s, data, dir, ids)
    });
    for p in [b"\x04\x02", b"\x04\x01"] {
        c.register_tcp("socks4", 0, 0, p, move |_, s, data, dir, _| {
            classify4(s, data, dir, ids)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socks4_requests() {
        // CONNECT 10.0.0.1:80 as "bob".
        let r = request4(b"\x04\x01\x00\x50\x0a\x00\x00\x01bob\x00").unwrap();
        assert_eq!(r.port, 80);
        assert_eq!(r.ip, Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(r.user.as_deref(), Some(&b"bob"[..]));
        assert_eq!(r.host, None);
        // SOCKS 4a: no user, a host name.
        let r = request4(b"\x04\x01\x01\xbb\x00\x00\x00\x01\x00Example.COM\x00").unwrap();
        assert_eq!((r.ip, r.user), (None, None));
        assert_eq!(r.host.as_deref(), Some(&b"example.com"[..]));
        assert_eq!(request4(b"\x04\x01\x00\x50\x0a\x00\x00\x01bob"), None);
        assert_eq!(request4(b"\x04\x01\x00"), None);
        let full = b"\x04\x01\x01\xbb\x00\x00\x00\x01\x00Example.COM\x00";
        for n in 0..=full.len() {
            let _ = request4(&full[..n]);
        }
    }
}
