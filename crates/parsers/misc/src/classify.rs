//! Arkime's misc.c: protocols recognized by their first bytes (or a port) and only
//! named, without a parser. Each entry of [`TABLE`] is a classifier; most add their
//! protocol whenever the pattern matches, some check a little more first.

use trawl_fields::{FieldId, FieldRegistry};
use trawl_parser_common::cursor::Cursor;
use trawl_parser_common::frame::LengthPrefix;
use trawl_session::parsers::{port, Classifiers};
use trawl_session::{Cx, Dir, Session};

/// Where a classifier looks.
#[derive(Clone, Copy, Debug)]
enum On {
    /// TCP bytes: (offset, pattern).
    Tcp(usize, &'static [u8]),
    /// UDP bytes: (offset, pattern).
    Udp(usize, &'static [u8]),
    /// TCP and UDP bytes.
    Both(usize, &'static [u8]),
    /// A port of these kinds (`port::*`).
    Port(u16, u32),
}

/// A further check before the protocol is added.
#[derive(Clone, Copy)]
enum Check {
    /// On the first bytes only.
    Data(fn(&[u8]) -> bool),
    /// On the session too (ports, protocols already found).
    Session(fn(&Cx, &Session, &[u8]) -> bool),
}

struct Entry {
    /// The protocol added (also the classifier's name for `disableParsers`).
    proto: &'static str,
    on: On,
    check: Option<Check>,
}

const fn simple(proto: &'static str, on: On) -> Entry {
    Entry {
        proto,
        on,
        check: None,
    }
}

const fn checked(proto: &'static str, on: On, check: fn(&[u8]) -> bool) -> Entry {
    Entry {
        proto,
        on,
        check: Some(Check::Data(check)),
    }
}

const fn with_session(
    proto: &'static str,
    on: On,
    check: fn(&Cx, &Session, &[u8]) -> bool,
) -> Entry {
    Entry {
        proto,
        on,
        check: Some(Check::Session(check)),
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

fn gh0st(d: &[u8]) -> bool {
    if d.len() < 15 || d[13] != 0x78 || d[14] != 0x9c {
        return false;
    }
    let len = d.len();
    let win = d[8] == 0 && d[7] == 0 && (usize::from(d[6]) << 8 | usize::from(d[5])) == len;
    let mac = d[5] == 0 && d[6] == 0 && (usize::from(d[7]) << 8 | usize::from(d[8])) == len;
    win || mac || (d[7] == 0 && d[8] == 0 && d[11] == 0 && d[12] == 0)
}

fn lmtp(d: &[u8]) -> bool {
    contains(d, b"LMTP")
}

fn vnc(d: &[u8]) -> bool {
    d.len() >= 12 && d[7] == b'.' && d[11] == 0x0a
}

fn jabber(d: &[u8]) -> bool {
    d.get(5..).is_some_and(|r| contains(r, b"jabber"))
}

fn syslog(d: &[u8]) -> bool {
    for &c in d.iter().skip(2) {
        if c == b'>' {
            return true;
        }
        if !c.is_ascii_digit() {
            return false;
        }
    }
    false
}

fn flap(d: &[u8]) -> bool {
    // A 6-byte header whose last two bytes are the length of the data after it.
    let Some(flen) = LengthPrefix::be(4, 2).plus(6).length(d) else {
        return false;
    };
    d.len() >= flen && (d.len() == flen || d.get(flen) == Some(&b'*'))
}

fn tacacs(_: &Cx, s: &Session, _: &[u8]) -> bool {
    s.port1 == 49 || s.port2 == 49
}

fn dropbox(d: &[u8]) -> bool {
    d.get(1..).is_some_and(|r| contains(r, b"host_int"))
}

fn kafka(d: &[u8]) -> bool {
    d.len() >= 10
        && d[4] == 0
        && d[5] <= 6
        && d[7] == 0
        && LengthPrefix::be(2, 2).plus(4).length(d) == Some(d.len())
}

fn thrift(d: &[u8]) -> bool {
    d.len() > 20 && d[4] == 0x80 && d[5] == 0x01 && d[6] == 0
}

fn rip(_: &Cx, s: &Session, _: &[u8]) -> bool {
    s.port1 == 520 || s.port2 == 520
}

fn aruba_papi(d: &[u8]) -> bool {
    d.len() >= 20 && d[0] == 0x49 && d[1] == 0x72
}

fn sccp(d: &[u8]) -> bool {
    d.len() > 20 && d.len() >= usize::from(d[0]) + 8 && d[1..8] == [0; 7]
}

fn wudo(d: &[u8]) -> bool {
    d.len() >= 15 && (d[..4] == [0; 4] || d.starts_with(b"\x0eSwarm protocol"))
}

fn hdfs(d: &[u8]) -> bool {
    d.len() >= 10 && d[5] == 0x0a
}

/// HSRP v1 (`hsrp`) or v2 (`hsrpv2`, told apart by its first byte when added).
fn hsrp(_: &Cx, s: &Session, d: &[u8]) -> bool {
    s.port1 == s.port2
        && d.len() >= 3
        && ((d[0] == 0 && d[1] == 3) || (d[0] == 1 && d[1] == 40 && d[2] == 2))
}

fn safet(d: &[u8]) -> bool {
    d.len() >= 24 && usize::from(d[2]) == d.len()
}

fn telnet(d: &[u8]) -> bool {
    d.len() >= 3 && d[0] == 0xff && d[1] >= 0xfa
}

fn omron_udp(d: &[u8]) -> bool {
    d.len() >= 12 && d[1] == 0
}

fn omron_tcp(d: &[u8]) -> bool {
    d.len() >= 16 && d.starts_with(b"FINS")
}

fn netflow(d: &[u8]) -> bool {
    if d.len() < 24 {
        return false;
    }
    let mut c = Cursor::new(d);
    c.skip(2);
    let count = usize::from(c.be16());
    c.skip(4);
    let systime = c.be32();
    count != 0 && count <= 200 && count * 16 <= d.len() && systime >= 1_000_000_000
}

fn ipfix(d: &[u8]) -> bool {
    if d.len() < 16 {
        return false;
    }
    let mut c = Cursor::new(d);
    c.skip(2);
    let len = usize::from(c.be16());
    let t = c.be32();
    len == d.len() && len >= 16 && t >= 1_000_000_000
}

fn sflow(d: &[u8]) -> bool {
    d.len() >= 28 && d[4..7] == [0, 0, 0] && (d[7] == 1 || (d[7] == 2 && d.len() >= 40))
}

fn ident(d: &[u8]) -> bool {
    contains(d, b"USERID") || contains(d, b"ERROR")
}

fn ssdp_response(cx: &Cx, s: &Session, d: &[u8]) -> bool {
    !cx.has_protocol(s, "ssdp")
        && (contains(d, b"\r\nST:") || contains(d, b"\r\nUSN:") || contains(d, b"UPnP"))
}

fn plex_response(cx: &Cx, s: &Session, d: &[u8]) -> bool {
    !cx.has_protocol(s, "plex-gdm") && contains(d, b"plex/media-")
}

fn smartview(cx: &Cx, s: &Session, d: &[u8]) -> bool {
    !cx.has_protocol(s, "samsung-smartview")
        && s.addr2[12..16] == [224, 0, 0, 7]
        && contains(d, b"uuid:")
}

fn wireguard(d: &[u8]) -> bool {
    if d.len() < 4 || d[1..4] != [0, 0, 0] {
        return false;
    }
    match d[0] {
        1 => d.len() == 148,
        2 => d.len() == 92,
        _ => true,
    }
}

use On::{Both, Port, Tcp, Udp};

/// Every misc.c classifier, in Arkime's registration order.
static TABLE: &[Entry] = &[
    simple("bittorrent", Tcp(0, b"\x13BitTorrent protocol")),
    simple("bittorrent", Tcp(0, b"BSYNC\x00")),
    simple("bittorrent", Udp(0, b"d1:a")),
    simple("bittorrent", Udp(0, b"d1:r")),
    simple("bittorrent", Udp(0, b"d1:q")),
    simple("bitcoin", Tcp(0, b"\xf9\xbe\xb4\xd9")),
    simple("bitcoin", Tcp(0, b"\xf9\xbe\xb4\xfe")),
    checked("gh0st", Tcp(13, b"\x78"), gh0st),
    checked("lmtp", Tcp(0, b"220 "), lmtp),
    checked("lmtp", Tcp(0, b"220-"), lmtp),
    checked("vnc", Tcp(0, b"RFB 0"), vnc),
    simple("redis", Tcp(0, b"+PONG")),
    simple("redis", Tcp(0, b"\x2a\x31\x0d\x0a\x24")),
    simple("redis", Tcp(0, b"\x2a\x32\x0d\x0a\x24")),
    simple("redis", Tcp(0, b"\x2a\x33\x0d\x0a\x24")),
    simple("redis", Tcp(0, b"\x2a\x34\x0d\x0a\x24")),
    simple("redis", Tcp(0, b"\x2a\x35\x0d\x0a\x24")),
    simple("redis", Tcp(0, b"-NOAUTH ")),
    simple("mongo", Tcp(8, b"\x00\x00\x00\x00\xd4\x07\x00\x00")),
    simple("mongo", Tcp(8, b"\xff\xff\xff\xff\xd4\x07\x00\x00")),
    checked("jabber", Tcp(0, b"<?xml"), jabber),
    simple("thrift", Tcp(0, b"\x80\x01\x00\x01\x00\x00\x00")),
    checked("thrift", Tcp(0, b"\x00\x00"), thrift),
    simple(
        "aerospike",
        Tcp(0, b"\x02\x01\x00\x00\x00\x00\x00\x4e\x6e\x6f\x64\x65"),
    ),
    simple(
        "aerospike",
        Tcp(0, b"\x02\x01\x00\x00\x00\x00\x00\x23\x6e\x6f\x64\x65"),
    ),
    simple(
        "cassandra",
        Tcp(
            0,
            b"\x00\x00\x00\x25\x80\x01\x00\x01\x00\x00\x00\x0c\x73\x65\x74\x5f",
        ),
    ),
    simple(
        "cassandra",
        Tcp(
            0,
            b"\x00\x00\x00\x1d\x80\x01\x00\x01\x00\x00\x00\x10\x64\x65\x73\x63",
        ),
    ),
    simple("bjnp", Udp(0, b"BJNP")),
    checked("syslog", Both(0, b"<1"), syslog),
    checked("syslog", Both(0, b"<2"), syslog),
    checked("syslog", Both(0, b"<3"), syslog),
    checked("syslog", Both(0, b"<4"), syslog),
    checked("syslog", Both(0, b"<5"), syslog),
    checked("syslog", Both(0, b"<6"), syslog),
    checked("syslog", Both(0, b"<7"), syslog),
    checked("syslog", Both(0, b"<8"), syslog),
    checked("syslog", Both(0, b"<9"), syslog),
    checked("flap", Tcp(0, b"\x2a\x01"), flap),
    simple("nsclient", Tcp(0, b"NSClient")),
    simple("nsclient", Tcp(0, b"None&")),
    simple("ssdp", Udp(0, b"M-SEARCH ")),
    simple("ssdp", Udp(0, b"NOTIFY * ")),
    with_session("ssdp", Udp(0, b"HTTP/1."), ssdp_response),
    simple("bsdp", Udp(0, b"SEARCH BSDP/")),
    simple("bsdp", Udp(0, b"NOTIFY BSDP/")),
    simple("sddp", Udp(0, b"NOTIFY ALIVE SDDP/")),
    simple("plex-gdm", Udp(0, b"UPDATE * ")),
    simple("plex-gdm", Udp(0, b"VUPDATE * ")),
    with_session("plex-gdm", Udp(0, b"HTTP/1."), plex_response),
    with_session("samsung-smartview", Udp(0, b"{\"data\":"), smartview),
    simple("whatsapp", Tcp(0, b"ED\x00\x01")),
    simple("ubiquiti-ubnt", Udp(0, b"\"3DU")),
    simple("zabbix", Tcp(0, b"ZBXD\x01")),
    simple("rmi", Tcp(0, b"\x4a\x52\x4d\x49\x00\x02\x4b")),
    with_session("tacacs", Both(0, b"\xc0\x01\x01"), tacacs),
    with_session("tacacs", Both(0, b"\xc0\x01\x02"), tacacs),
    with_session("tacacs", Both(0, b"\xc0\x02\x01"), tacacs),
    with_session("tacacs", Both(0, b"\xc0\x03\x01"), tacacs),
    with_session("tacacs", Both(0, b"\xc0\x03\x02"), tacacs),
    with_session("tacacs", Both(0, b"\xc1\x01\x01"), tacacs),
    with_session("tacacs", Both(0, b"\xc1\x01\x02"), tacacs),
    simple("flash-policy", Tcp(0, b"<policy-file-request/>")),
    checked("dropbox-lan-sync", Port(17500, port::UDP), dropbox),
    checked("kafka", Tcp(0, b"\x00\x00"), kafka),
    simple("steam-friends", Udp(0, b"VS01")),
    simple("valve-a2s", Udp(0, b"\xff\xff\xff\xff\x54\x53\x6f\x75")),
    simple("steam-ihscp", Tcp(0, b"\xa4\x00\x00\x00\x56\x54\x30\x31")),
    simple("honeywell-tcc", Tcp(0, b"\x43\x42\x4b\x50\x50\x52\x05\x50")),
    simple("pjl", Tcp(0, b"\x1b\x25\x2d\x31\x32\x33\x34\x35")),
    simple("pjl", Tcp(0, b"\x40\x50\x4a\x4c\x20")),
    with_session("rip", Udp(0, b"\x01\x01\x00\x00"), rip),
    with_session("rip", Udp(0, b"\x01\x02\x00\x00"), rip),
    with_session("rip", Udp(0, b"\x02\x01\x00\x00"), rip),
    with_session("rip", Udp(0, b"\x02\x02\x00\x00"), rip),
    simple("nzsql", Tcp(0, b"\x00\x00\x00\x08\x00\x01\x00\x03")),
    simple("splunk", Tcp(0, b"--splunk-cooked-mode")),
    simple(
        "splunk-replication",
        Tcp(6, b"\x00\x06\x00\x00\x00\x05_raw"),
    ),
    checked("aruba-papi", Port(8211, port::UDP), aruba_papi),
    simple("x11", Tcp(0, b"\x6c\x00\x0b\x00")),
    simple("memcached", Tcp(0, b"flush_all")),
    simple("memcached", Tcp(0, b"STORED\r\n")),
    simple("memcached", Tcp(0, b"END\r\n")),
    simple("memcached", Tcp(0, b"VALUE ")),
    simple("memcached", Udp(6, b"\x00\x00stats")),
    simple("memcached", Udp(6, b"\x00\x00gets ")),
    checked("netflow", Udp(0, b"\x00\x05"), netflow),
    checked("netflow", Udp(0, b"\x00\x07"), netflow),
    checked("netflow", Udp(0, b"\x00\x09"), netflow),
    checked("ipfix", Udp(0, b"\x00\x0a"), ipfix),
    checked("sflow", Udp(0, b"\x00\x00\x00\x05"), sflow),
    simple("rpc-over-http", Tcp(0, b"RPC_IN_DATA ")),
    simple("rpc-over-http", Tcp(0, b"RPC_OUT_DATA ")),
    simple("hbase", Tcp(0, b"HBas\x00")),
    simple("hadoop", Tcp(0, b"hrpc\x09")),
    checked("hdfs", Tcp(0, b"\x00\x1c\x50"), hdfs),
    checked("hdfs", Tcp(0, b"\x00\x1c\x51"), hdfs),
    checked("hdfs", Tcp(0, b"\x00\x1c\x55"), hdfs),
    simple("zookeeper", Tcp(0, b"zk_version")),
    simple("zookeeper", Tcp(0, b"mntr\n")),
    simple("zookeeper", Tcp(0, b"\x00\x00\x00\x2c\x00\x00\x00\x00")),
    simple("zookeeper", Tcp(0, b"\x00\x00\x00\x2d\x00\x00\x00\x00")),
    checked("sccp", Port(2000, port::TCP_DST), sccp),
    checked("wudo", Port(7680, port::TCP_DST), wudo),
    with_session("hsrp", Port(1985, port::UDP), hsrp),
    with_session("hsrp", Port(2029, port::UDP), hsrp),
    simple("elasticsearch", Tcp(0, b"ES\x00\x00")),
    checked("safet", Port(23294, port::UDP), safet),
    checked("telnet", Port(23, port::TCP_DST), telnet),
    checked("omron-fins", Port(9600, port::UDP_DST), omron_udp),
    checked("omron-fins", Port(9600, port::TCP_DST), omron_tcp),
    simple("whois", Port(43, port::TCP_DST)),
    simple("finger", Port(79, port::TCP_DST)),
    checked("ident", Port(113, port::TCP_DST), ident),
    simple("rtsp", Tcp(0, b"RTSP/1.0 ")),
    simple("rmi", Tcp(0, b"JRMI\x00")),
    checked("wireguard", Udp(0, b"\x01\x00\x00\x00"), wireguard),
    checked("wireguard", Udp(0, b"\x02\x00\x00\x00"), wireguard),
    simple("esio", Udp(0, b"ESIO")),
    simple("gearman", Tcp(0, b"\x00REQ")),
    simple("gearman", Tcp(0, b"\x00RES")),
];

/// Adds the protocol of entry `uw` when its check passes.
fn table_classify(cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir, uw: u32) {
    let Some(e) = TABLE.get(uw as usize) else {
        return;
    };
    let pass = match e.check {
        None => true,
        Some(Check::Data(c)) => c(data),
        Some(Check::Session(c)) => c(cx, s, data),
    };
    if pass {
        let name = if e.proto == "hsrp" && data.first() == Some(&1) {
            "hsrpv2"
        } else {
            e.proto
        };
        cx.add_protocol(s, name);
    }
}

/// The `USER name` line of a plain-text login (not IRC's), into the `user` field.
fn user_classify(cx: &mut Cx, s: &mut Session, data: &[u8], id: FieldId) {
    if data.len() <= 5 || contains(data, b"\nNICK ") || contains(data, b" +iw ") {
        return;
    }
    let end = data[5..]
        .iter()
        .position(|c| c.is_ascii_whitespace())
        .map_or(data.len(), |p| p + 5);
    let name = String::from_utf8_lossy(&data[5..end]).to_lowercase();
    let reg = &cx.shared.fields;
    s.fields.string_add(reg, id, &name);
}

/// NetBIOS datagram service (port 138): a direct or broadcast datagram, and SMB when
/// an SMB header appears anywhere in it (mailslot messages).
fn nbds_classify(cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir, _uw: u32) {
    if cx.has_protocol(s, "nbds") || !nbds(data) {
        return;
    }
    cx.add_protocol(s, "nbds");
    if contains(data, b"\xffSMB") || contains(data, b"\xfeSMB") {
        cx.add_protocol(s, "smb");
    }
}

fn nbds(d: &[u8]) -> bool {
    d.len() >= 14 && (0x10..=0x12).contains(&d[0])
}

/// Registers every misc.c classifier (the `USER` one writes the core `user` field,
/// which `f` must hold).
pub fn register(c: &mut Classifiers, f: &FieldRegistry) {
    for (i, e) in TABLE.iter().enumerate() {
        let uw = i as u32;
        match e.on {
            Tcp(off, p) => c.register_tcp(e.proto, uw, off, p, table_classify),
            Udp(off, p) => c.register_udp(e.proto, uw, off, p, table_classify),
            Both(off, p) => {
                c.register_tcp(e.proto, uw, off, p, table_classify);
                c.register_udp(e.proto, uw, off, p, table_classify);
            }
            Port(p, kinds) => c.register_port(e.proto, uw, p, kinds, table_classify),
        }
    }
    if let Some(user) = f.by_db("user") {
        c.register_tcp("user", 0, 0, b"USER ", move |cx, s, data, _, _| {
            user_classify(cx, s, data, user)
        });
    }
    c.register_port("nbds", 0, 138, port::UDP, nbds_classify);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_on_real_shapes() {
        // kafka: a length prefix equal to the rest, a small api key.
        let k = [0, 0, 0, 10, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0];
        assert!(kafka(&k));
        assert!(!kafka(&k[..12]), "length no longer matches");
        assert!(syslog(b"<134>Oct 11"));
        assert!(!syslog(b"<13a>"));
        assert!(!syslog(b"<1"), "no closing >");
        assert!(telnet(&[0xff, 0xfd, 0x18]));
        assert!(!telnet(&[0xff, 0xf0, 0x18]));
        assert!(flap(&[b'*', 1, 0, 1, 0, 2, b'a', b'b']));
        assert!(
            flap(&[b'*', 1, 0, 1, 0, 1, b'a', b'*', 1]),
            "another frame follows"
        );
        assert!(!flap(&[b'*', 1, 0, 1, 0, 9, b'a']), "short frame");
        let mut nf = vec![0u8; 48];
        nf[1] = 5;
        nf[3] = 2;
        nf[8..12].copy_from_slice(&1_600_000_000u32.to_be_bytes());
        assert!(netflow(&nf));
        nf[8..12].copy_from_slice(&5u32.to_be_bytes());
        assert!(!netflow(&nf), "time before 2001");
        let mut ipf = vec![0u8; 16];
        ipf[1] = 10;
        ipf[3] = 16;
        ipf[4..8].copy_from_slice(&1_600_000_000u32.to_be_bytes());
        assert!(ipfix(&ipf));
        assert!(!ipfix(&ipf[..15]));
        let mut wg = vec![0u8; 148];
        wg[0] = 1;
        let mut dgm = vec![0x11, 0x02, 0, 1, 10, 0, 0, 1, 0, 138, 0, 0xbb, 0, 0];
        assert!(nbds(&dgm));
        dgm[0] = 0x13;
        assert!(!nbds(&dgm));
        assert!(!nbds(&[0x10; 13]));
        assert!(wireguard(&wg));
        assert!(!wireguard(&wg[..100]));
        assert!(thrift(
            b"\x00\x00\x00\x20\x80\x01\x00\x01\x00\x00\x00\x03abc\x00\x00\x00\x01\x0c\x00\x00"
        ));
        assert!(!thrift(
            b"\x00\x00\x00\x20\x80\x02\x00\x01\x00\x00\x00\x03abc\x00\x00\x00\x01\x0c\x00\x00"
        ));
    }

    #[test]
    fn no_check_panics_on_short_or_odd_input() {
        for e in TABLE {
            if let Some(Check::Data(c)) = e.check {
                for n in 0..40 {
                    for fill in [0u8, 0x2a, 0xff] {
                        let _ = c(&vec![fill; n]);
                    }
                }
            }
        }
    }
}
