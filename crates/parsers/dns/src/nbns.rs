//! NetBIOS Name Service (Arkime's nbns.c, RFC 1001/1002) on UDP port 137: the names
//! of questions and resource records (first-level decoded, trailing spaces trimmed),
//! query types, the names queried, the names and addresses answers carry.

use std::net::{IpAddr, Ipv4Addr};

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::cursor::Cursor;
use trawl_session::parsers::{port, register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

/// Shortest datagram read: header, one encoded name and its type and class.
const MIN_LEN: usize = 50;

#[derive(Clone, Copy, Debug)]
struct Ids {
    name: FieldId,
    query_type: FieldId,
    query_host: FieldId,
    host: FieldId,
    ip: FieldId,
}

/// What one datagram says, in the order Arkime adds it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// Query types (NB, NBSTAT) of the questions.
    pub query_types: Vec<&'static str>,
    /// Names of questions and records.
    pub names: Vec<String>,
    /// Names of questions, when the datagram is a query.
    pub query_hosts: Vec<String>,
    /// Names of resource records.
    pub hosts: Vec<String>,
    /// Addresses of NB records.
    pub ips: Vec<Ipv4Addr>,
}

/// Decodes the 32 bytes of a first-level encoded name (two letters A-P per byte; the
/// 16th byte, the suffix, is left out), keeping printable characters and trimming
/// the space padding. `strict` refuses a name with a letter outside A-P; otherwise
/// decoding stops there.
fn label(d: &[u8], strict: bool) -> Option<String> {
    let mut out = String::new();
    for pair in d.get(..30)?.chunks_exact(2) {
        let ok = |c: u8| (b'A'..=b'P').contains(&c);
        if !ok(pair[0]) || !ok(pair[1]) {
            if strict {
                return None;
            }
            break;
        }
        let c = ((pair[0] - b'A') << 4) | (pair[1] - b'A');
        if (0x20..=0x7e).contains(&c) {
            out.push(char::from(c));
        }
    }
    let n = out.trim_end_matches(' ').len();
    out.truncate(n);
    Some(out)
}

/// Skips a name's scope labels up to their terminating zero (a label running past the
/// end leaves the reader in error).
fn skip_scope(c: &mut Cursor) {
    while c.remaining() > 0 {
        let l = c.u8();
        if l == 0 {
            break;
        }
        c.skip(usize::from(l));
    }
}

/// Reads a datagram; what was read before a malformed part is kept.
pub fn message(d: &[u8]) -> Message {
    let mut m = Message::default();
    if d.len() < MIN_LEN {
        return m;
    }
    let mut c = Cursor::new(d);
    c.skip(2);
    let flags = c.be16();
    let qd = c.be16();
    let an = c.be16();
    let ns = c.be16();
    let ar = c.be16();
    let query = flags & 0x8000 == 0;
    for _ in 0..qd {
        if c.rest().first() != Some(&0x20) || c.remaining() < 33 {
            return m;
        }
        let Some(name) = label(&c.rest()[1..], true) else {
            return m;
        };
        c.skip(33);
        skip_scope(&mut c);
        // Type and class.
        let qtype = c.be16();
        c.skip(2);
        if c.is_error() {
            return m;
        }
        match qtype {
            0x20 => m.query_types.push("NB"),
            0x21 => m.query_types.push("NBSTAT"),
            _ => {}
        }
        if !name.is_empty() {
            m.names.push(name.clone());
            if query {
                m.query_hosts.push(name);
            }
        }
    }
    let records = u32::from(an) + u32::from(ns) + u32::from(ar);
    for _ in 0..records {
        if c.remaining() == 0 {
            return m;
        }
        let first = c.u8();
        let name = if first & 0xc0 == 0xc0 {
            // A pointer to a name earlier in the datagram.
            if c.remaining() == 0 {
                return m;
            }
            let second = c.u8();
            let off = (usize::from(first & 0x3f) << 8) | usize::from(second);
            if off + 33 <= d.len() && d[off] == 0x20 {
                label(&d[off + 1..], false).unwrap_or_default()
            } else {
                String::new()
            }
        } else if first == 0x20 {
            if c.remaining() < 32 {
                return m;
            }
            let n = label(c.rest(), false).unwrap_or_default();
            c.skip(32);
            skip_scope(&mut c);
            n
        } else {
            return m;
        };
        // Type, class, TTL, data length, data.
        let rtype = c.be16();
        c.skip(6);
        let rdlen = usize::from(c.be16());
        let Some(rdata) = c.take(rdlen) else {
            return m;
        };
        if !name.is_empty() {
            m.names.push(name.clone());
            m.hosts.push(name);
        }
        if rtype == 0x20 && rdlen >= 6 {
            for rec in rdata.chunks_exact(6) {
                m.ips.push(Ipv4Addr::new(rec[2], rec[3], rec[4], rec[5]));
            }
        }
    }
    m
}

/// Whether a datagram to or from port 137 looks like NBNS: a header then an encoded
/// name whose first letters are A-P.
pub fn looks_like_nbns(d: &[u8]) -> bool {
    d.len() >= MIN_LEN && d[12] == 0x20 && d[13..17].iter().all(|c| (b'A'..=b'P').contains(c))
}

#[derive(Debug)]
struct Nbns {
    ids: Ids,
}

impl Parser for Nbns {
    fn name(&self) -> &'static str {
        "nbns"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir) -> Parsed {
        if data.len() < MIN_LEN {
            return Parsed::Done(0);
        }
        if !cx.has_protocol(s, "nbns") {
            cx.add_protocol(s, "nbns");
        }
        let m = message(data);
        let reg = &cx.shared.fields;
        let ids = &self.ids;
        for t in &m.query_types {
            s.fields.string_add(reg, ids.query_type, t);
        }
        for n in &m.names {
            s.fields.string_add(reg, ids.name, n);
        }
        for n in &m.query_hosts {
            s.fields.string_add(reg, ids.query_host, n);
        }
        for n in &m.hosts {
            s.fields.string_add(reg, ids.host, n);
        }
        for ip in &m.ips {
            s.fields.ip_add(reg, ids.ip, IpAddr::V4(*ip));
        }
        Parsed::Done(0)
    }
}

fn classify(cx: &mut Cx, s: &mut Session, d: &[u8], ids: Ids) {
    if cx.has_protocol(s, "nbns") || !looks_like_nbns(d) {
        return;
    }
    register_parser(s, Box::new(Nbns { ids }));
}

const NBNS: FieldSpec = FieldSpec::new("nbns", FieldType::StrGHash).flags(Flags::CNT);

/// The NBNS fields, in Arkime's order of definition.
pub const FIELDS: [FieldSpec; 5] = [
    NBNS.named("nbns.name", "nbns.name", Kind::TermField)
        .text("Name", "NetBIOS names"),
    NBNS.named("nbns.queryType", "nbns.queryType", Kind::TermField)
        .text("Query Type", "NetBIOS query types"),
    NBNS.named("nbns.queryHost", "nbns.queryHost", Kind::TermField)
        .text("Query Host", "NetBIOS hosts being queried"),
    NBNS.named("nbns.host", "nbns.host", Kind::TermField)
        .text("Host", "NetBIOS hosts from responses"),
    NBNS.named("nbns.ip", "nbns.ip", Kind::Ip)
        .text("IP", "IP addresses from NetBIOS responses")
        .ty(FieldType::IpGHash),
];

/// Registers the NBNS fields and classifier.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [name, query_type, query_host, host, ip] = f.define_all(&FIELDS);
    let ids = Ids {
        name,
        query_type,
        query_host,
        host,
        ip,
    };
    c.register_port("nbns", 0, 137, port::UDP, move |cx, s, d, _, _| {
        classify(cx, s, d, ids)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name first-level encoded, space padded to 15, with suffix `sfx`.
    fn encode(name: &str, sfx: u8) -> Vec<u8> {
        let mut b = format!("{name:<15}").into_bytes();
        b.push(sfx);
        let mut out = vec![0x20];
        for c in b {
            out.push(b'A' + (c >> 4));
            out.push(b'A' + (c & 15));
        }
        out.push(0);
        out
    }

    fn query(name: &str) -> Vec<u8> {
        let mut d = vec![0x12, 0x34, 0x01, 0x10, 0, 1, 0, 0, 0, 0, 0, 0];
        d.extend_from_slice(&encode(name, 0));
        d.extend_from_slice(&[0, 0x20, 0, 1]);
        d
    }

    #[test]
    fn query_and_response() {
        let q = query("WORKGROUP");
        assert!(looks_like_nbns(&q));
        let m = message(&q);
        assert_eq!(m.query_types, ["NB"]);
        assert_eq!(m.names, ["WORKGROUP"]);
        assert_eq!(m.query_hosts, ["WORKGROUP"]);
        // A response: no question, one NB answer with two addresses, then an answer
        // whose name points back at the first.
        let mut r = vec![0x12, 0x34, 0x85, 0x00, 0, 0, 0, 2, 0, 0, 0, 0];
        r.extend_from_slice(&encode("MDJR98", 0x20));
        r.extend_from_slice(&[0, 0x20, 0, 1, 0, 0, 0, 60, 0, 12]);
        r.extend_from_slice(&[0, 0, 192, 168, 239, 129, 0x60, 0, 10, 0, 0, 1]);
        r.extend_from_slice(&[0xc0, 12, 0, 0x20, 0, 1, 0, 0, 0, 60, 0, 6]);
        r.extend_from_slice(&[0, 0, 10, 0, 0, 2]);
        let m = message(&r);
        assert!(m.query_hosts.is_empty());
        assert_eq!(m.hosts, ["MDJR98", "MDJR98"]);
        assert_eq!(
            m.ips,
            [
                Ipv4Addr::new(192, 168, 239, 129),
                Ipv4Addr::new(10, 0, 0, 1),
                Ipv4Addr::new(10, 0, 0, 2)
            ]
        );
        // Truncated anywhere: what came before stays, nothing panics.
        for n in 0..r.len() {
            let _ = message(&r[..n]);
            let _ = looks_like_nbns(&r[..n]);
        }
        assert_eq!(message(&r[..r.len() - 3]).ips.len(), 2);
    }

    #[test]
    fn bad_names() {
        let mut q = query("HOST");
        q[14] = b'Z';
        assert!(!looks_like_nbns(&q));
        assert_eq!(message(&q), Message::default());
        // Embedded spaces stay; only the padding goes.
        assert_eq!(message(&query("MY PC")).names, ["MY PC"]);
        // A scope label is skipped; one running past the end stops the reading.
        let mut q = query("HOST");
        q.splice(45..45, *b"\x03lan");
        assert_eq!(message(&q).query_types, ["NB"]);
        let mut q = query("HOST");
        q[45] = 5;
        assert_eq!(message(&q), Message::default());
    }
}
