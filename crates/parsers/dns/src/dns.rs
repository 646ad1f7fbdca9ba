//! DNS, LLMNR and mDNS (Arkime's dns.c): each query of a session becomes one entry of
//! the `dns` object field, keyed by id, opcode, class, type and name, with its hosts
//! (query name, CNAME and MX targets), addresses of those hosts, name and mail server
//! hosts and addresses (`parseDNSRecordAll`), punycode names, header flags, status
//! and the answers themselves (`dnsOutputAnswers`: A, AAAA, NS, CNAME, MX, TXT, HTTPS,
//! CAA, RRSIG, NSEC, DS and the class, type, TTL and name of any other record).
//!
//! Over UDP every datagram is a message; over TCP messages are framed by a 2-byte
//! length. The entries are written as JSON when the session is saved, in the order of
//! Arkime's object hash; their hosts, server names, statuses and query fields are also
//! kept in fields of their own (not written) for rules, plugins and searches, as
//! Arkime's internal `dns.host`, `host.dns.nameserver`, ... fields are.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use std::ops::ControlFlow;

use trawl_config::{Config, ConfigError};
use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind as FKind};
use trawl_parser_common::cursor::Cursor;
use trawl_parser_common::frame::{for_each_frame, Frame, LengthPrefix};
use trawl_parser_common::order::hash_order;
use trawl_parser_common::text::{json_str, json_str_unquoted, memstr, until_nul};
use trawl_session::parsers::{has_parser, port, register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

use crate::name::{read_name, to_unicode, NameError};

/// The names of query classes Arkime knows.
fn class_name(c: u16) -> Option<&'static str> {
    Some(match c {
        1 => "IN",
        2 => "CS",
        3 => "CH",
        4 => "HS",
        255 => "ANY",
        _ => return None,
    })
}

/// The names of record types Arkime knows.
pub fn type_name(t: u16) -> Option<&'static str> {
    Some(match t {
        1 => "A",
        2 => "NS",
        3 => "MD",
        4 => "MF",
        5 => "CNAME",
        6 => "SOA",
        7 => "MB",
        8 => "MG",
        9 => "MR",
        10 => "NULL",
        11 => "WKS",
        12 => "PTR",
        13 => "HINFO",
        14 => "MINFO",
        15 => "MX",
        16 => "TXT",
        17 => "RP",
        18 => "AFSDB",
        19 => "X25",
        20 => "ISDN",
        21 => "RT",
        22 => "NSAP",
        23 => "NSAPPTR",
        24 => "SIG",
        25 => "KEY",
        26 => "PX",
        27 => "GPOS",
        28 => "AAAA",
        29 => "LOC",
        30 => "NXT",
        31 => "EID",
        32 => "NIMLOC",
        33 => "SRV",
        34 => "ATMA",
        35 => "NAPTR",
        36 => "KX",
        37 => "CERT",
        38 => "A6",
        39 => "DNAME",
        40 => "SINK",
        41 => "OPT",
        42 => "APL",
        43 => "DS",
        44 => "SSHFP",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        49 => "DHCID",
        50 => "NSEC3",
        51 => "NSEC3PARAM",
        52 => "TLSA",
        55 => "HIP",
        65 => "HTTPS",
        99 => "SPF",
        108 => "EUI48",
        109 => "EUI64",
        249 => "TKEY",
        250 => "TSIG",
        251 => "IXFR",
        252 => "AXFR",
        253 => "MAILB",
        254 => "MAILA",
        255 => "ANY",
        256 => "URI",
        257 => "CAA",
        _ => return None,
    })
}

const RCODES: [&str; 24] = [
    "NOERROR",
    "FORMERR",
    "SERVFAIL",
    "NXDOMAIN",
    "NOTIMPL",
    "REFUSED",
    "YXDOMAIN",
    "YXRRSET",
    "NXRRSET",
    "NOTAUTH",
    "NOTZONE",
    "DSOTYPENI",
    "12",
    "13",
    "14",
    "15",
    "BADSIG_VERS",
    "BADKEY",
    "BADTIME",
    "BADMODE",
    "BADNAME",
    "BADALG",
    "BADTRUNC",
    "BADCOOKIE",
];
const OPCODES: [&str; 6] = ["QUERY", "IQUERY", "STATUS", "3", "NOTIFY", "UPDATE"];
const FLAGS: [&str; 7] = ["AA", "TC", "RD", "RA", "Z", "AD", "CD"];
const ROOT: &[u8] = b"<root>";

/// What kind of name service a session carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// DNS (port 53).
    Dns,
    /// LLMNR (port 5355).
    Llmnr,
    /// Multicast DNS (port 5353).
    Mdns,
}

/// The data of one answer record.
#[derive(Clone, Debug, PartialEq)]
pub enum Rdata {
    /// An A or AAAA address.
    Ip(IpAddr),
    /// An NS target.
    Ns(Vec<u8>),
    /// A CNAME target.
    Cname(Vec<u8>),
    /// An MX preference and exchange.
    Mx(u16, Vec<u8>),
    /// TXT strings.
    Txt(Vec<Vec<u8>>),
    /// HTTPS/SVCB, already in presentation form after "HTTPS ".
    Https(String),
    /// CAA flags, tag, value.
    Caa(u8, Vec<u8>, Vec<u8>),
    /// RRSIG, in presentation form after "RRSIG ".
    Rrsig(String),
    /// NSEC next name and type list.
    Nsec(Vec<u8>, String),
    /// DS, in presentation form after "DS ".
    Ds(String),
    /// A record whose data is not written.
    Other,
}

/// One answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// Owner name (Unicode where it decodes), or `<root>`.
    pub name: Vec<u8>,
    /// Record type number.
    pub rtype: u16,
    /// Record class number (mDNS cache-flush bit removed).
    pub class: u16,
    /// TTL.
    pub ttl: u32,
    /// The data.
    pub data: Rdata,
}

/// One query and what its responses said (Arkime's `DNS_t`).
#[derive(Clone, Debug, Default)]
pub struct Entry {
    uid: u16,
    opcode: u8,
    qclass: u16,
    qtype: u16,
    /// Query name (Unicode), or `<root>`.
    pub host: Vec<u8>,
    /// Hosts: the query name and CNAME/MX targets.
    pub hosts: Vec<Vec<u8>>,
    /// Name server hosts (`parseDNSRecordAll`).
    pub ns_hosts: Vec<Vec<u8>>,
    /// Mail server hosts (`parseDNSRecordAll`).
    pub mx_hosts: Vec<Vec<u8>>,
    /// Names that contained `xn--`, lower-cased.
    pub puny: Vec<Vec<u8>>,
    /// Addresses of the hosts.
    pub ips: Vec<IpAddr>,
    /// Addresses of the name servers.
    pub ns_ips: Vec<IpAddr>,
    /// Addresses of the mail servers.
    pub mx_ips: Vec<IpAddr>,
    /// Response code, once a response was seen.
    pub rcode: Option<usize>,
    /// AA TC RD - RA Z AD CD bits.
    pub header_flags: u8,
    /// Answers, in the order seen.
    pub answers: Vec<Answer>,
}

fn add_unique<T: PartialEq>(v: &mut Vec<T>, x: T) -> bool {
    if v.contains(&x) {
        false
    } else {
        v.push(x);
        true
    }
}

impl Entry {
    /// Arkime's `dns_hash` of the entry's key.
    pub fn key_hash(&self) -> u32 {
        let mut h: u32 = 0x811c_9dc5;
        for &c in until_nul(&self.host) {
            h ^= u32::from(c);
            h = h.wrapping_mul(0x0100_0193);
        }
        h ^ ((u32::from(self.opcode) << 24) | (u32::from(self.uid) << 8))
            ^ ((u32::from(self.qtype) << 16) | u32::from(self.qclass))
    }

    /// The entry as Arkime's `dns_save` writes it; `geo` gives the country and RIR of
    /// an address.
    pub fn to_json(
        &self,
        answers: bool,
        geo: &dyn Fn(IpAddr) -> (Option<String>, Option<String>),
    ) -> String {
        let mut o = String::from("{");
        o.push_str("\"opcode\":\"");
        o.push_str(OPCODES.get(usize::from(self.opcode)).copied().unwrap_or(""));
        o.push_str("\",\"queryHost\":");
        json_str(&mut o, &self.host, true);
        o.push(',');
        if let Some(c) = class_name(self.qclass) {
            o.push_str(&format!("\"qc\":\"{c}\","));
        } else if self.qclass != 0 {
            o.push_str(&format!("\"qc\":\"CLASS{}\",", self.qclass));
        }
        if let Some(t) = type_name(self.qtype) {
            o.push_str(&format!("\"qt\":\"{t}\","));
        } else if self.qtype != 0 {
            o.push_str(&format!("\"qt\":\"TYPE{}\",", self.qtype));
        }
        for (key, list) in [
            ("host", &self.hosts),
            ("nameserverHost", &self.ns_hosts),
            ("mailserverHost", &self.mx_hosts),
            ("puny", &self.puny),
        ] {
            if list.is_empty() {
                continue;
            }
            o.push_str(&format!("\"{key}Cnt\":{},\"{key}\":[", list.len()));
            for (i, h) in list.iter().enumerate() {
                if i > 0 {
                    o.push(',');
                }
                json_str(&mut o, h, key != "puny");
            }
            o.push_str("],");
        }
        for (key, list) in [
            ("ip", &self.ips),
            ("nameserverIp", &self.ns_ips),
            ("mailserverIp", &self.mx_ips),
        ] {
            if list.is_empty() {
                continue;
            }
            let stem = &key[..key.len() - 2];
            let infos: Vec<_> = list.iter().map(|ip| geo(*ip)).collect();
            let strs = |v: Vec<String>| {
                v.iter()
                    .map(|s| {
                        let mut q = String::new();
                        json_str(&mut q, s.as_bytes(), true);
                        q
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            };
            o.push_str(&format!("\"{key}Cnt\":{},", list.len()));
            o.push_str(&format!(
                "\"{key}\":[{}],",
                strs(list.iter().map(|ip| ip.to_string()).collect())
            ));
            o.push_str(&format!(
                "\"{stem}GEO\":[{}],",
                strs(
                    infos
                        .iter()
                        .map(|(c, _)| c.clone().unwrap_or_else(|| "---".into()))
                        .collect()
                )
            ));
            o.push_str(&format!(
                "\"{stem}RIR\":[{}],",
                strs(
                    infos
                        .iter()
                        .map(|(_, r)| r.clone().unwrap_or_default())
                        .collect()
                )
            ));
        }
        if self.header_flags != 0 {
            let f: Vec<String> = FLAGS
                .iter()
                .enumerate()
                .filter(|(i, _)| self.header_flags & (1 << (6 - i)) != 0)
                .map(|(_, f)| format!("\"{f}\""))
                .collect();
            o.push_str(&format!("\"headerFlags\":[{}],", f.join(",")));
        }
        if let Some(rc) = self.rcode {
            o.push_str(&format!(
                "\"status\":\"{}\",",
                RCODES.get(rc).copied().unwrap_or("")
            ));
            if answers {
                o.push_str(&format!("\"answersCnt\":{},", self.answers.len()));
                if !self.answers.is_empty() {
                    o.push_str("\"answers\":[");
                    for (i, a) in self.answers.iter().enumerate() {
                        if i > 0 {
                            o.push(',');
                        }
                        answer_json(&mut o, a);
                    }
                    o.push_str("],");
                }
            }
        }
        o.pop();
        o.push('}');
        o
    }
}

fn answer_json(o: &mut String, a: &Answer) {
    o.push('{');
    match &a.data {
        Rdata::Ip(ip) => o.push_str(&format!("\"ip\":\"{ip}\",")),
        Rdata::Ns(n) => {
            o.push_str("\"nameserver\":");
            json_str(o, n, true);
            o.push(',');
        }
        Rdata::Cname(n) => {
            o.push_str("\"cname\":");
            json_str(o, n, true);
            o.push(',');
        }
        Rdata::Mx(p, n) => {
            o.push_str(&format!("\"priority\":{p},\"mx\":"));
            json_str(o, n, true);
            o.push(',');
        }
        Rdata::Txt(t) => {
            if !t.is_empty() {
                o.push_str("\"txt\":[");
                for (i, s) in t.iter().enumerate() {
                    if i > 0 {
                        o.push(',');
                    }
                    json_str(o, s, true);
                }
                o.push_str("],");
            }
        }
        Rdata::Https(s) => {
            o.push_str("\"https\":\"HTTPS ");
            o.push_str(s);
            o.push_str("\",");
        }
        Rdata::Caa(f, tag, value) => {
            o.push_str(&format!("\"caa\":\"CAA {f} "));
            json_str_unquoted(o, tag, true);
            o.push(' ');
            json_str_unquoted(o, value, true);
            o.push_str("\",");
        }
        Rdata::Rrsig(s) => {
            o.push_str("\"rrsig\":\"RRSIG ");
            o.push_str(s);
            o.push_str("\",");
        }
        Rdata::Nsec(next, types) => {
            o.push_str("\"nsec\":\"NSEC ");
            json_str_unquoted(o, next, true);
            o.push(' ');
            json_str_unquoted(o, types.as_bytes(), true);
            o.push_str("\",");
        }
        Rdata::Ds(s) => o.push_str(&format!("\"ds\":\"DS {s}\",")),
        Rdata::Other => {}
    }
    if let Some(c) = class_name(a.class) {
        o.push_str(&format!("\"class\":\"{c}\","));
    }
    if let Some(t) = type_name(a.rtype) {
        o.push_str(&format!("\"type\":\"{t}\","));
    }
    o.push_str(&format!("\"ttl\":{},", a.ttl));
    o.push_str("\"name\":");
    json_str(o, &a.name, true);
    o.push('}');
}

/// What one message adds, besides entries: tags, and values for the internal fields.
#[derive(Debug, Default)]
pub struct Events {
    /// Tags to add.
    pub tags: Vec<&'static str>,
}

/// The entries of a session.
#[derive(Debug, Default)]
pub struct Entries {
    /// In the order they were created.
    pub list: Vec<Entry>,
}

impl Entries {
    /// Parses one message (Arkime's `dns_parser`); `record_all` is `parseDNSRecordAll`.
    /// Returns false if it was not a message Arkime reads (too short, an opcode above
    /// UPDATE).
    pub fn message<'d>(
        &mut self,
        kind: Kind,
        data: &'d [u8],
        record_all: bool,
        ev: &mut Events,
    ) -> bool {
        if data.len() < 17 {
            return false;
        }
        let uid = u16::from_be_bytes([data[0], data[1]]);
        let qr = data[2] >> 7 != 0;
        let opcode = (data[2] >> 3) & 0xf;
        if opcode > 5 {
            return false;
        }
        let count = |i: usize| usize::from(u16::from_be_bytes([data[i], data[i + 1]]));
        let qd = count(4);
        let sections = [count(6), count(8), count(10)];
        let mdns = kind == Kind::Mdns;
        if qd != 1 && !mdns {
            ev.tags.push("dns:qdcount-not-1");
            return true;
        }
        // The body, after the 12-byte header.
        let mut r = Cursor::new(data);
        r.skip(12);
        // Names read from the message body take pointers relative to the message.
        let read = |r: &mut Cursor<'d>, ev: &mut Events| -> Option<Vec<u8>> {
            match read_name(data, r) {
                Ok(n) => Some(n),
                Err(NameError::PointerLoop) => {
                    ev.tags.push("dns:bad-pointer-loop");
                    None
                }
                Err(NameError::Bad) => None,
            }
        };

        let (host, raw, qtype, qclass) = if qd == 0 {
            (ROOT.to_vec(), ROOT.to_vec(), 0, 0)
        } else {
            let Some(name) = read(&mut r, ev) else {
                return true;
            };
            if r.is_error() {
                return true;
            }
            let host = if name.is_empty() {
                ROOT.to_vec()
            } else {
                match to_unicode(&name) {
                    Some(h) => h,
                    None => {
                        ev.tags.push(bad_name_tag(&name));
                        return true;
                    }
                }
            };
            let qtype = r.be16();
            let mut qclass = r.be16();
            if mdns {
                qclass &= 0x7fff;
            }
            (host, name, qtype, qclass)
        };

        let found = self.list.iter().position(|e| {
            e.uid == uid
                && e.opcode == opcode
                && e.qclass == qclass
                && e.qtype == qtype
                && until_nul(&e.host) == until_nul(&host)
        });
        let idx = match found {
            Some(i) => i,
            None => {
                let mut e = Entry {
                    uid,
                    opcode,
                    qclass,
                    qtype,
                    host: host.clone(),
                    ..Entry::default()
                };
                if host != ROOT {
                    if std::str::from_utf8(until_nul(&host)).is_ok() {
                        add_unique(&mut e.hosts, until_nul(&host).to_vec());
                    }
                    if memstr(&raw, b"xn--") {
                        add_unique(&mut e.puny, raw.to_ascii_lowercase());
                    }
                }
                self.list.push(e);
                self.list.len() - 1
            }
        };
        if !qr {
            return true;
        }
        let e = &mut self.list[idx];
        if mdns && qd > 1 {
            for _ in 1..qd {
                if r.is_error() {
                    break;
                }
                let _ = read(&mut r, ev);
                if r.is_error() {
                    return true;
                }
                r.skip(4);
            }
            if r.is_error() {
                return true;
            }
        }
        e.rcode = Some(usize::from(data[3] & 0xf));

        for (section, &n) in sections.iter().enumerate() {
            for _ in 0..n {
                if r.is_error() {
                    break;
                }
                let Some(name) = read(&mut r, ev) else { break };
                if r.is_error() {
                    break;
                }
                let owner = if name.is_empty() {
                    ROOT.to_vec()
                } else {
                    if memstr(&name, b"xn--") {
                        add_unique(&mut e.puny, name.to_ascii_lowercase());
                    }
                    to_unicode(&name).unwrap_or_else(|| name.clone())
                };
                let rtype = r.be16();
                let mut class = r.be16();
                if mdns {
                    class &= 0x7fff;
                }
                let ttl = r.be32();
                let rdlength = usize::from(r.be16());
                if r.remaining() < rdlength {
                    break;
                }
                // EDNS(0): the OPT record's TTL carries the upper bits of the rcode.
                if rtype == 41 && section == 2 {
                    let ext = (ttl >> 24) & 0xff;
                    if ext != 0 {
                        let full = ((ext << 4) | u32::from(data[3] & 0x0f)) as usize;
                        if full < RCODES.len() {
                            e.rcode = Some(full);
                        }
                    }
                }
                if class != 1 {
                    r.skip(rdlength);
                    continue;
                }
                let rd_start = r.pos();
                r.skip(rdlength);
                let rd_end = rd_start + rdlength;
                let rdata = &data[rd_start..rd_end];
                // The record data: reads stop at its end, names point anywhere.
                let mut rd = Cursor::new(&data[..rd_end]);
                rd.skip(rd_start);
                let Some(d) = e.rdata(rtype, &owner, rdata, data, rd, record_all, ev) else {
                    continue;
                };
                e.answers.push(Answer {
                    name: owner,
                    rtype,
                    class,
                    ttl,
                    data: d,
                });
            }
        }
        e.header_flags = ((data[2] & 0x07) << 4) | ((data[3] & 0xf0) >> 4);
        true
    }
}

fn bad_name_tag(name: &[u8]) -> &'static str {
    if name.len() > 4 && memstr(name, b"xn--") {
        "bad-punycode"
    } else {
        "bad-hostname"
    }
}

impl Entry {
    fn is_host(&self, name: &[u8]) -> bool {
        until_nul(&self.host) == until_nul(name) || self.hosts.iter().any(|h| h == name)
    }

    /// Adds a name found in a record to `list` (Arkime's `dns_add_host`): decoded,
    /// and noted as punycode; None (and a tag) if it does not decode to UTF-8.
    fn add_host(&mut self, which: HostList, name: &[u8], ev: &mut Events) -> Option<Vec<u8>> {
        let host = match to_unicode(name) {
            Some(h) if std::str::from_utf8(until_nul(&h)).is_ok() => h,
            _ => {
                ev.tags.push(bad_name_tag(name));
                return None;
            }
        };
        let list = match which {
            HostList::Hosts => &mut self.hosts,
            HostList::Ns => &mut self.ns_hosts,
            HostList::Mx => &mut self.mx_hosts,
        };
        add_unique(list, until_nul(&host).to_vec());
        if memstr(name, b"xn--") {
            add_unique(&mut self.puny, name.to_ascii_lowercase());
        }
        Some(host)
    }

    /// The data of one IN-class record; None drops the answer.
    #[allow(clippy::too_many_arguments)]
    fn rdata<'m>(
        &mut self,
        rtype: u16,
        owner: &[u8],
        rdata: &[u8],
        full: &'m [u8],
        mut rd: Cursor<'m>,
        record_all: bool,
        ev: &mut Events,
    ) -> Option<Rdata> {
        // Names inside the record data: pointers into the whole message, reading
        // stops at the end of the record. (Only an MX record of under 2 bytes comes
        // here with `rd` in error: no name fits in what is left of it, so reading
        // from the errored reader gives the same None.)
        let name_in_rd = |rd: &mut Cursor<'m>, ev: &mut Events| -> Option<Vec<u8>> {
            match read_name(full, rd) {
                Ok(n) if !n.is_empty() && !rd.is_error() => Some(n),
                Err(NameError::PointerLoop) => {
                    ev.tags.push("dns:bad-pointer-loop");
                    None
                }
                _ => None,
            }
        };
        let addr = |ip: IpAddr, e: &mut Entry| {
            if e.is_host(owner) {
                add_unique(&mut e.ips, ip);
            }
        };
        match rtype {
            1 => {
                let b: [u8; 4] = rdata.try_into().ok()?;
                let ip = IpAddr::V4(Ipv4Addr::from(b));
                addr(ip, self);
                if record_all {
                    if self.ns_hosts.iter().any(|h| h == owner) {
                        add_unique(&mut self.ns_ips, ip);
                    }
                    if self.mx_hosts.iter().any(|h| h == owner) {
                        add_unique(&mut self.mx_ips, ip);
                    }
                }
                Some(Rdata::Ip(ip))
            }
            28 => {
                let b: [u8; 16] = rdata.try_into().ok()?;
                let v6 = Ipv6Addr::from(b);
                let ip = match v6.to_ipv4_mapped() {
                    Some(v4) => IpAddr::V4(v4),
                    None => IpAddr::V6(v6),
                };
                addr(ip, self);
                if self.ns_hosts.iter().any(|h| h == owner) {
                    add_unique(&mut self.ns_ips, ip);
                }
                if self.mx_hosts.iter().any(|h| h == owner) {
                    add_unique(&mut self.mx_ips, ip);
                }
                Some(Rdata::Ip(ip))
            }
            2 => {
                let n = name_in_rd(&mut rd, ev)?;
                if record_all {
                    Some(Rdata::Ns(self.add_host(HostList::Ns, &n, ev)?))
                } else {
                    Some(Rdata::Ns(to_unicode(&n)?))
                }
            }
            5 => {
                let n = name_in_rd(&mut rd, ev)?;
                Some(Rdata::Cname(self.add_host(HostList::Hosts, &n, ev)?))
            }
            15 => {
                let pref = rd.be16();
                let n = name_in_rd(&mut rd, ev)?;
                let list = if record_all {
                    HostList::Mx
                } else {
                    HostList::Hosts
                };
                Some(Rdata::Mx(pref, self.add_host(list, &n, ev)?))
            }
            16 => {
                let mut t = Cursor::new(rdata);
                let mut out = Vec::new();
                while t.remaining() > 0 {
                    let n = usize::from(t.u8());
                    let s = t.take(n)?;
                    if n > 0 {
                        out.push(until_nul(s).to_vec());
                    }
                }
                Some(Rdata::Txt(out))
            }
            65 => Some(Rdata::Https(svcb(rdata, ev)?)),
            257 => {
                if rdata.len() < 3 {
                    return None;
                }
                let flags = rdata[0];
                let tag_len = usize::from(rdata[1]);
                let value_len = rdata.len().wrapping_sub(tag_len + 2) & 0xffff;
                let tag = rdata.get(2..2 + tag_len)?;
                let value = rdata.get(2 + tag_len..2 + tag_len + value_len)?;
                Some(Rdata::Caa(
                    flags,
                    until_nul(tag).to_vec(),
                    until_nul(value).to_vec(),
                ))
            }
            46 => {
                if rdata.len() < 18 {
                    return None;
                }
                let covered = rd.be16();
                let alg = rd.u8();
                let labels = rd.u8();
                let orig = rd.be32();
                let exp = rd.be32();
                let inc = rd.be32();
                let tag = rd.be16();
                let n = name_in_rd(&mut rd, ev)?;
                let signer = to_unicode(&n).unwrap_or(n);
                let mut s = format!(
                    "{} {alg} {labels} {orig} {exp} {inc} {tag} ",
                    type_name(covered).unwrap_or("UNKNOWN")
                );
                json_str_unquoted(&mut s, &signer, true);
                Some(Rdata::Rrsig(s))
            }
            47 => {
                let n = name_in_rd(&mut rd, ev)?;
                let next = to_unicode(&n).unwrap_or(n);
                let mut types: Vec<String> = Vec::new();
                let mut b = Cursor::new(rd.rest());
                while b.remaining() >= 2 {
                    let window = u16::from(b.u8());
                    let len = usize::from(b.u8());
                    if len > b.remaining() || len > 32 {
                        break;
                    }
                    for (i, &byte) in b.take(len).unwrap_or(&[]).iter().enumerate() {
                        for bit in 0..8u16 {
                            if byte & (0x80 >> bit) != 0 {
                                let t = window * 256 + i as u16 * 8 + bit;
                                types.push(type_name(t).map_or(format!("TYPE{t}"), str::to_string));
                            }
                        }
                    }
                }
                Some(Rdata::Nsec(next, types.join(" ")))
            }
            43 => {
                if rdata.len() < 5 {
                    return None;
                }
                let digest: String = rdata[4..].iter().map(|b| format!("{b:02X}")).collect();
                Some(Rdata::Ds(format!(
                    "{} {} {} {digest}",
                    u16::from_be_bytes([rdata[0], rdata[1]]),
                    rdata[2],
                    rdata[3]
                )))
            }
            _ => Some(Rdata::Other),
        }
    }
}

#[derive(Clone, Copy)]
enum HostList {
    Hosts,
    Ns,
    Mx,
}

/// An HTTPS/SVCB record in presentation form (after "HTTPS "), or None when Arkime
/// drops it. Names inside take pointers relative to the record data, as Arkime reads
/// them.
fn svcb(rdata: &[u8], ev: &mut Events) -> Option<String> {
    if rdata.len() < 3 {
        return None;
    }
    let mut r = Cursor::new(rdata);
    let priority = r.be16();
    let name = match read_name(rdata, &mut r) {
        Ok(n) => n,
        Err(NameError::PointerLoop) => {
            ev.tags.push("dns:bad-pointer-loop");
            return None;
        }
        Err(NameError::Bad) => return None,
    };
    if r.is_error() {
        return None;
    }
    let target = if name.is_empty() {
        b".".to_vec()
    } else {
        to_unicode(&name)?
    };
    let mut s = format!("{priority} ");
    json_str_unquoted(&mut s, &target, true);
    s.push(' ');
    while r.remaining() >= 4 {
        let key = r.be16();
        let len = usize::from(r.be16());
        if len > r.remaining() {
            break;
        }
        let v = r.take(len).unwrap_or(&[]);
        match key {
            1 => {
                s.push_str("alpn=");
                let mut a = Cursor::new(v);
                let mut first = true;
                while a.remaining() > 1 {
                    let n = usize::from(a.u8());
                    if let Some(p) = a.take(n) {
                        if !first {
                            s.push(',');
                        }
                        first = false;
                        json_str_unquoted(&mut s, p, true);
                    }
                }
                s.push(' ');
            }
            3 if len == 2 => s.push_str(&format!("port={} ", u16::from_be_bytes([v[0], v[1]]))),
            4 => {
                let ips: Vec<String> = v
                    .chunks_exact(4)
                    .map(|c| Ipv4Addr::new(c[0], c[1], c[2], c[3]).to_string())
                    .collect();
                s.push_str(&format!("ipv4hint={} ", ips.join(",")));
            }
            6 => {
                let ips: Vec<String> = v
                    .chunks_exact(16)
                    .map(|c| {
                        let b: [u8; 16] = c.try_into().unwrap_or([0; 16]);
                        let v6 = Ipv6Addr::from(b);
                        v6.to_ipv4_mapped()
                            .map_or_else(|| v6.to_string(), |v4| v4.to_string())
                    })
                    .collect();
                s.push_str(&format!("ipv6hint={} ", ips.join(",")));
            }
            _ => {}
        }
    }
    s.pop();
    Some(s)
}

/// Field ids: the object field and the internal (unwritten) ones.
#[derive(Clone, Copy, Debug)]
pub struct Ids {
    dns: FieldId,
    host: FieldId,
    ns_host: FieldId,
    mx_host: FieldId,
    puny: FieldId,
    status: FieldId,
    opcode: FieldId,
    qtype: FieldId,
    qclass: FieldId,
    qhost: FieldId,
    answers: bool,
    record_all: bool,
}

/// The DNS parser of one session.
#[derive(Debug)]
struct Dns {
    ids: Ids,
    kind: Kind,
    /// TCP: messages framed by a 2-byte length.
    tcp: bool,
    entries: Entries,
    /// The session is on port 53 while its classifier named another service: Arkime
    /// then leaves it to the DNS classifier.
    skip: bool,
}

/// Most bytes kept per direction over TCP.
const MAX_TCP: usize = 8192;

/// A message over TCP: a 2-byte length, then at least a 17-byte message.
const TCP_MESSAGE: LengthPrefix = LengthPrefix::be(0, 2).plus(2).range(2 + 17, usize::MAX);

/// The TCP message at the front of `b`; one too long to keep is handed on whole (as
/// far as it goes) for the parser to skip.
fn tcp_frame(b: &[u8]) -> Frame {
    match TCP_MESSAGE.frame(b) {
        Frame::Partial { needed } if needed > MAX_TCP => Frame::Whole(needed),
        f => f,
    }
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Dns => "dns",
        Kind::Llmnr => "llmnr",
        Kind::Mdns => "mdns",
    }
}

impl Dns {
    fn handle(&mut self, cx: &mut Cx, s: &mut Session, msg: &[u8]) {
        let mut ev = Events::default();
        if msg.len() >= 17 && (msg[2] >> 3) & 0xf <= 5 {
            cx.add_protocol(s, kind_name(self.kind));
        }
        self.entries
            .message(self.kind, msg, self.ids.record_all, &mut ev);
        for t in ev.tags {
            cx.add_tag(s, t);
        }
    }
}

impl Parser for Dns {
    fn name(&self) -> &'static str {
        kind_name(self.kind)
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir) -> Parsed {
        if self.skip {
            return Parsed::Done(0);
        }
        if !self.tcp {
            self.handle(cx, s, data);
            return Parsed::Done(0);
        }
        // Arkime's buffer refuses bytes beyond its cap: the parser gives up (even if
        // whole messages are there).
        if data.len() > MAX_TCP {
            return Parsed::Skip;
        }
        // Each message after its 2-byte length; a length under 17 is not DNS.
        let mut at = 0;
        for_each_frame(data, tcp_frame, |msg| {
            let len = TCP_MESSAGE.length(msg).unwrap_or(0);
            if len > MAX_TCP {
                // Too long to keep: skipped, here and in the bytes still to come.
                cx.add_tag(s, "dns:tcp-message-too-long");
                return ControlFlow::Break(Parsed::Incomplete {
                    consumed: at + len,
                    needed: 0,
                });
            }
            self.handle(cx, s, &msg[2..]);
            at += msg.len();
            ControlFlow::Continue(())
        })
    }

    fn max_held(&self) -> usize {
        MAX_TCP
    }

    fn save(&mut self, cx: &mut Cx, s: &mut Session, _final: bool) {
        let shared = cx.shared;
        let ids = self.ids;
        if self.entries.list.is_empty() {
            return;
        }
        let reg = &shared.fields;
        let lookups = shared.lookups.load();
        let geo = |ip: IpAddr| {
            let i = lookups.ip_info(ip);
            (i.country.clone(), i.rir.clone())
        };
        let list = std::mem::take(&mut self.entries.list);
        let hashes: Vec<u32> = list.iter().map(Entry::key_hash).collect();
        for i in hash_order(&hashes) {
            let e = &list[i];
            s.fields
                .object_add(reg, ids.dns, e.to_json(ids.answers, &geo));
            let mut str_add = |id: FieldId, v: &[u8]| {
                s.fields
                    .string_add(reg, id, &String::from_utf8_lossy(until_nul(v)));
            };
            for h in &e.hosts {
                str_add(ids.host, h);
            }
            if e.host != ROOT {
                str_add(ids.host, &e.host);
                str_add(ids.qhost, &e.host);
            }
            for h in &e.ns_hosts {
                str_add(ids.ns_host, h);
            }
            for h in &e.mx_hosts {
                str_add(ids.mx_host, h);
            }
            for h in &e.puny {
                str_add(ids.puny, h);
            }
            str_add(
                ids.opcode,
                OPCODES
                    .get(usize::from(e.opcode))
                    .copied()
                    .unwrap_or("")
                    .as_bytes(),
            );
            if let Some(c) = class_name(e.qclass) {
                str_add(ids.qclass, c.as_bytes());
            }
            if let Some(t) = type_name(e.qtype) {
                str_add(ids.qtype, t.as_bytes());
            }
            if let Some(rc) = e.rcode {
                str_add(ids.status, RCODES.get(rc).copied().unwrap_or("").as_bytes());
            }
        }
    }
}

fn classify_tcp(cx: &mut Cx, s: &mut Session, ids: Ids) {
    if s.port2 != 53 || cx.has_protocol(s, "dns") {
        return;
    }
    cx.add_protocol(s, "dns");
    register_parser(
        s,
        Box::new(Dns {
            ids,
            kind: Kind::Dns,
            tcp: true,
            entries: Entries::default(),
            skip: false,
        }),
    );
}

fn classify_udp(s: &mut Session, ids: Ids, kind: Kind) {
    // One parser per kind (Arkime registers by function and kind).
    if has_parser(s, kind_name(kind)) {
        return;
    }
    // LLMNR/mDNS classifiers on a session that is also on port 53 leave it to DNS.
    let skip = kind != Kind::Dns && (s.port1 == 53 || s.port2 == 53);
    register_parser(
        s,
        Box::new(Dns {
            ids,
            kind,
            tcp: false,
            entries: Entries::default(),
            skip,
        }),
    );
}

/// The DNS parser's options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DnsOptions {
    /// `dnsOutputAnswers` (default true): write the answers as `dns.answers`.
    pub output_answers: bool,
    /// `parseDNSRecordAll` (default false): parse every record, not only the first
    /// answers.
    pub record_all: bool,
}

impl DnsOptions {
    /// Reads them from the config (the node's section, its class, `[default]`).
    pub fn from_config(cfg: &Config) -> Result<DnsOptions, ConfigError> {
        Ok(DnsOptions {
            output_answers: cfg.get_bool("dnsOutputAnswers", true)?,
            record_all: cfg.get_bool("parseDNSRecordAll", false)?,
        })
    }
}

const DNS_IP: FieldSpec = FieldSpec::new("dns", FieldType::IpGHash);
const DNS_STR: FieldSpec = FieldSpec::new("dns", FieldType::StrHash);
const FAKE_CNT: Flags = Flags::CNT.and(Flags::FAKE);

/// A field only the viewer knows (Arkime defines it for searches and the answers
/// inside the entries): the friendly name is also the help.
const fn answer(
    expression: &'static str,
    db: &'static str,
    kind: FKind,
    friendly: &'static str,
) -> FieldSpec {
    DNS_STR
        .named(expression, db, kind)
        .text(friendly, friendly)
        .flags(Flags::FAKE)
}

/// The DNS fields defined after the `dns` object, in Arkime's order.
pub const FIELDS: [FieldSpec; 24] = [
    DNS_IP
        .named("ip.dns", "dns.ip", FKind::Ip)
        .text("DNS IP", "IP from DNS result")
        .flags(FAKE_CNT)
        .category("ip"),
    DNS_IP
        .named("ip.dns.nameserver", "dns.nameserverIp", FKind::Ip)
        .text("DNS NS IP", "IPs for nameservers")
        .flags(FAKE_CNT)
        .category("ip"),
    DNS_IP
        .named("ip.dns.mailserver", "dns.mailserverIp", FKind::Ip)
        .text("DNS MX IP", "IPs for mailservers")
        .flags(FAKE_CNT)
        .category("ip"),
    DNS_IP
        .named("ip.dns.all", "dnsipall", FKind::Ip)
        .text("DNS All IP", "Shorthand for ip.dns or ip.dns.nameserver")
        .flags(Flags::FAKE),
    DNS_STR
        .named("host.dns", "dns.host", FKind::LoTermField)
        .text("DNS Host", "DNS lookup hostname")
        .flags(FAKE_CNT)
        .category("host"),
    DNS_STR
        .named("host.dns.tokens", "dns.hostTokens", FKind::LoTextField)
        .text("Hostname Tokens", "DNS lookup hostname tokens")
        .flags(Flags::FAKE),
    DNS_STR
        .named("host.dns.all", "dnshostall", FKind::LoTermField)
        .text(
            "DNS All Host",
            "Shorthand for host.dns or host.dns.nameserver",
        )
        .flags(Flags::FAKE),
    answer(
        "dns.answer.cnt",
        "dns.answersCnt",
        FKind::Integer,
        "DNS Answers Cnt",
    ),
    answer(
        "dns.answer.type",
        "dns.answers.type",
        FKind::UpTermField,
        "DNS Answer Type",
    ),
    answer(
        "dns.answer.class",
        "dns.answers.class",
        FKind::UpTermField,
        "DNS Answer Class",
    ),
    answer(
        "dns.answer.ttl",
        "dns.answers.ttl",
        FKind::Integer,
        "DNS Answer TTL",
    ),
    answer(
        "dns.answer.ip",
        "dns.answers.ip",
        FKind::Ip,
        "DNS Answer IP",
    ),
    answer(
        "dns.answer.cname",
        "dns.answers.cname",
        FKind::TermField,
        "DNS Answer CNAME",
    ),
    answer(
        "dns.answer.ns",
        "dns.answers.nameserver",
        FKind::TermField,
        "DNS Answer NS",
    ),
    answer(
        "dns.answer.mx",
        "dns.answers.mx",
        FKind::TermField,
        "DNS Answer MX",
    ),
    answer(
        "dns.answer.priority",
        "dns.answers.priority",
        FKind::Integer,
        "DNS Answer Priority",
    ),
    answer(
        "dns.answer.https",
        "dns.answers.https",
        FKind::TermField,
        "DNS Answer HTTPS",
    ),
    answer(
        "dns.answer.txt",
        "dns.answers.txt",
        FKind::TermField,
        "DNS Answer TXT",
    ),
    answer(
        "dns.answer.caa",
        "dns.answers.caa",
        FKind::TermField,
        "DNS Answer CAA",
    ),
    answer(
        "dns.answer.rrsig",
        "dns.answers.rrsig",
        FKind::TermField,
        "DNS Answer RRSIG",
    ),
    answer(
        "dns.answer.nsec",
        "dns.answers.nsec",
        FKind::TermField,
        "DNS Answer NSEC",
    ),
    answer(
        "dns.answer.ds",
        "dns.answers.ds",
        FKind::TermField,
        "DNS Answer DS",
    ),
    answer(
        "dns.header_flags",
        "dns.headerFlags",
        FKind::UpTermField,
        "DNS Header Flags",
    ),
    answer(
        "dns.answer.name",
        "dns.answers.name",
        FKind::TermField,
        "DNS Name",
    ),
];

/// An internal field: kept in the session, not written (its expression is also its
/// friendly name and help).
const fn internal(expression: &'static str, db: &'static str, kind: FKind) -> FieldSpec {
    DNS_STR
        .named(expression, db, kind)
        .text(expression, expression)
        .flags(Flags::NOSAVE)
}

/// The values inside the entries that rules, plugins (zeek intel matches the host
/// ones) and searches look at: kept in the session but not written, as Arkime's
/// internal fields of these names hold them. `dns.host` has no database name of its
/// own (the entries' `host` lists are `host.dns`).
pub const INTERNAL: [FieldSpec; 9] = [
    internal("dns.host", "", FKind::LoTermField).category("host"),
    internal(
        "host.dns.nameserver",
        "dns.nameserverHost",
        FKind::LoTermField,
    )
    .category("host"),
    internal(
        "host.dns.mailserver",
        "dns.mailserverHost",
        FKind::LoTermField,
    )
    .category("host"),
    internal("dns.query.host", "dns.queryHost", FKind::LoTermField).category("host"),
    internal("dns.puny", "dns.puny", FKind::LoTermField).category("host"),
    internal("dns.status", "dns.status", FKind::UpTermField),
    internal("dns.opcode", "dns.opcode", FKind::UpTermField),
    internal("dns.query.type", "dns.qt", FKind::UpTermField),
    internal("dns.query.class", "dns.qc", FKind::UpTermField),
];

/// Defines the DNS fields and registers the classifiers.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry, st: &DnsOptions) {
    // The object field: `Kind` has no "object" kind, so it is defined the long way.
    let dns = f.define(
        "dns",
        "object",
        "dns",
        "DNS Query/Responses",
        "dns",
        "DNS Query/Responses",
        FieldType::Object,
        Flags::CNT.0,
    );
    f.define_all(&FIELDS);
    let [host, ns_host, mx_host, qhost, puny, status, opcode, qtype, qclass] =
        f.define_all(&INTERNAL);
    let ids = Ids {
        dns,
        host,
        ns_host,
        mx_host,
        puny,
        status,
        opcode,
        qtype,
        qclass,
        qhost,
        answers: st.output_answers,
        record_all: st.record_all,
    };
    c.register_port("dns", 0, 53, port::TCP_DST, move |cx, s, _, _, _| {
        classify_tcp(cx, s, ids)
    });
    c.register_port("dns", 0, 53, port::UDP, move |_, s, _, _, _| {
        classify_udp(s, ids, Kind::Dns)
    });
    c.register_port("llmnr", 1, 5355, port::UDP, move |_, s, _, _, _| {
        classify_udp(s, ids, Kind::Llmnr)
    });
    c.register_port("mdns", 2, 5353, port::UDP, move |_, s, _, _, _| {
        classify_udp(s, ids, Kind::Mdns)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> trawl_config::Config {
        trawl_config::Config::from_str(text, "test.ini", "test", &[]).unwrap()
    }

    #[test]
    fn options_from_the_config() {
        let d = DnsOptions::from_config(&config("[default]\n")).unwrap();
        assert_eq!(
            d,
            DnsOptions {
                output_answers: true,
                record_all: false
            }
        );
        let c = config("[default]\ndnsOutputAnswers=false\nparseDNSRecordAll=true\n");
        let d = DnsOptions::from_config(&c).unwrap();
        assert!(!d.output_answers && d.record_all);
        let bad = config("[default]\nparseDNSRecordAll=perhaps\n");
        let e = DnsOptions::from_config(&bad).unwrap_err().to_string();
        assert!(e.contains("parseDNSRecordAll"), "{e}");
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // The first query and response of the regression suite's dns-udp.pcap.
    const QUERY: &str = "e03901000001000000000000037777770667697468756203636f6d0000010001";
    const RESPONSE: &str = "e03981800001000200040004037777770667697468756203636f6d0000010001c00c00050001000007bc0002c010c01000010001000000040004c01efc80c01000020001000001480014036e7333037031360664796e656374036e657400c01000020001000001480006036e7332c04ec01000020001000001480006036e7334c04ec01000020001000001480006036e7331c04ec06a0001000100000e1000040a025f0cc04a0001000100000e1000040a025f0cc08e0001000100000e1000040a025f0cc07c0001000100000e1000040a025f0c";

    fn run(msgs: &[Vec<u8>], record_all: bool) -> (Entries, Events) {
        let mut e = Entries::default();
        let mut ev = Events::default();
        for m in msgs {
            e.message(Kind::Dns, m, record_all, &mut ev);
        }
        (e, ev)
    }

    #[test]
    fn query_and_response_as_arkime_wrote_them() {
        let (e, ev) = run(&[hex(QUERY), hex(RESPONSE)], true);
        assert!(ev.tags.is_empty());
        assert_eq!(e.list.len(), 1, "the response joins its query");
        let d = &e.list[0];
        assert_eq!(d.host, b"www.github.com");
        assert_eq!(
            d.hosts,
            [b"www.github.com".to_vec(), b"github.com".to_vec()]
        );
        assert_eq!(d.ips, ["192.30.252.128".parse::<IpAddr>().unwrap()]);
        let ns: Vec<&[u8]> = d.ns_hosts.iter().map(Vec::as_slice).collect();
        assert_eq!(
            ns,
            [
                &b"ns3.p16.dynect.net"[..],
                b"ns2.p16.dynect.net",
                b"ns4.p16.dynect.net",
                b"ns1.p16.dynect.net"
            ]
        );
        assert_eq!(d.ns_ips, ["10.2.95.12".parse::<IpAddr>().unwrap()]);
        assert_eq!(d.answers.len(), 10);
        assert_eq!(d.answers[0].data, Rdata::Cname(b"github.com".to_vec()));
        assert_eq!(d.answers[0].ttl, 1980);
        assert_eq!(d.rcode, Some(0));
        let json = d.to_json(true, &|_| (Some("US".into()), None));
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["opcode"], "QUERY");
        assert_eq!(v["qt"], "A");
        assert_eq!(v["status"], "NOERROR");
        assert_eq!(v["headerFlags"], serde_json::json!(["RD", "RA"]));
        assert_eq!(v["answersCnt"], 10);
        assert_eq!(
            v["answers"][1],
            serde_json::json!({"ip":"192.30.252.128","class":"IN","type":"A","ttl":4,"name":"github.com"})
        );
        assert_eq!(v["GEO"], serde_json::json!(["US"]));
        assert_eq!(v["RIR"], serde_json::json!([""]));
    }

    #[test]
    fn without_record_all_servers_are_not_collected() {
        let (e, _) = run(&[hex(QUERY), hex(RESPONSE)], false);
        assert!(e.list[0].ns_hosts.is_empty());
        assert!(matches!(e.list[0].answers[2].data, Rdata::Ns(_)));
    }

    #[test]
    fn odd_messages() {
        // Two questions: only tagged (not mDNS).
        let mut two = hex(QUERY);
        two[5] = 2;
        let (e, ev) = run(&[two], false);
        assert!(e.list.is_empty());
        assert_eq!(ev.tags, ["dns:qdcount-not-1"]);
        // Opcode 6 and short messages are not DNS to Arkime.
        let mut op = hex(QUERY);
        op[2] = 6 << 3;
        assert!(run(&[op], false).0.list.is_empty());
        assert!(run(&[hex(QUERY)[..16].to_vec()], false).0.list.is_empty());
    }

    #[test]
    fn record_data_shorter_than_its_fields() {
        // An MX answer whose data is one byte (found by the any_udp fuzz target: the
        // preference read ran past the record).
        let mut m = hex(QUERY);
        m[2] = 0x81;
        m[7] = 2;
        m.extend_from_slice(&[0xc0, 0x0c, 0, 15, 0, 1, 0, 0, 0, 60, 0, 1, 0xff]);
        // Then an A record, which reads fine.
        m.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1]);
        let (e, _) = run(&[m], true);
        assert_eq!(e.list[0].answers.len(), 1);
        assert_eq!(
            e.list[0].answers[0].data,
            Rdata::Ip("10.0.0.1".parse().unwrap())
        );
    }

    #[test]
    fn no_panic_on_truncation_or_mutation() {
        let resp = hex(RESPONSE);
        for n in 0..=resp.len() {
            let (e, _) = run(&[hex(QUERY), resp[..n].to_vec()], true);
            for d in &e.list {
                let _ = d.to_json(true, &|_| (None, None));
            }
        }
        let mut seed = 7u32;
        for _ in 0..3000 {
            let mut m = resp.clone();
            for _ in 0..4 {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let i = (seed >> 8) as usize % m.len();
                m[i] = (seed >> 16) as u8;
            }
            let (e, _) = run(&[m], true);
            for d in &e.list {
                let _ = d.to_json(true, &|_| (None, None));
            }
        }
    }
}
