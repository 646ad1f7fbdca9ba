//! misc.c's classifier-only protocols: each case is a short exchange (first bytes
//! from the client, or from the server when the server speaks first) and the
//! protocols the session ends up with.

use serde_json::{json, Value};
use trawl_testkit::{run_session, TcpConversation, UdpExchange};

#[derive(Clone, Copy)]
enum T {
    Tcp,
    Udp,
}

struct Case {
    what: &'static str,
    transport: T,
    client: &'static str,
    server: &'static str,
    /// (from the server?, bytes), in order.
    data: Vec<(bool, Vec<u8>)>,
    protocols: &'static [&'static str],
}

fn case(
    what: &'static str,
    transport: T,
    server_port: &'static str,
    first: &[u8],
    protocols: &'static [&'static str],
) -> Case {
    Case {
        what,
        transport,
        client: "10.0.0.1:40000",
        server: server_port,
        data: vec![(false, first.to_vec())],
        protocols,
    }
}

impl Case {
    fn from(mut self, client: &'static str) -> Case {
        self.client = client;
        self
    }

    fn server_first(mut self) -> Case {
        for d in &mut self.data {
            d.0 = !d.0;
        }
        self
    }

    fn reply(mut self, bytes: &[u8]) -> Case {
        self.data.push((true, bytes.to_vec()));
        self
    }

    fn run(&self) -> Value {
        let frames = match self.transport {
            T::Tcp => {
                let mut c = TcpConversation::new(self.client, self.server).handshake();
                for (server, d) in &self.data {
                    c = if *server { c.server(d) } else { c.client(d) };
                }
                c.close().frames()
            }
            T::Udp => {
                let mut c = UdpExchange::new(self.client, self.server);
                for (server, d) in &self.data {
                    c = if *server { c.server(d) } else { c.client(d) };
                }
                c.frames()
            }
        };
        run_session(crate::register, &frames)
    }
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// A NetBIOS name, first-level encoded (RFC 1001 14.1), with its length byte and
/// the empty scope.
fn nb_name(name: &str, suffix: u8) -> Vec<u8> {
    let mut raw = format!("{name:<15}").into_bytes();
    raw.push(suffix);
    let mut v = vec![32];
    for b in raw {
        v.push(b'A' + (b >> 4));
        v.push(b'A' + (b & 0x0f));
    }
    v.push(0);
    v
}

fn cases() -> Vec<Case> {
    use T::{Tcp, Udp};
    // NetFlow v5: header (version 5, one record, uptime, a 2023 export time, ...),
    // then one 48-byte record.
    let mut netflow = cat(&[
        &[0, 5, 0, 1],
        &1_000u32.to_be_bytes(),
        &1_700_000_000u32.to_be_bytes(),
        &[0; 12],
    ]);
    netflow.extend_from_slice(&[10, 0, 0, 5, 10, 0, 0, 6]);
    netflow.resize(24 + 48, 0);
    // IPFIX: version 10, the message length, export time, sequence, domain, one
    // template set.
    let mut ipfix = cat(&[
        &[0, 10, 0, 0],
        &1_700_000_000u32.to_be_bytes(),
        &[0, 0, 0, 1, 0, 0, 0, 0],
        &[0, 2, 0, 12, 1, 0, 0, 1, 0, 8, 0, 4],
    ]);
    let n = ipfix.len() as u16;
    ipfix[2..4].copy_from_slice(&n.to_be_bytes());
    // WireGuard handshake initiation: type 1, three reserved zeros, 144 more bytes.
    let mut wg = vec![1, 0, 0, 0];
    wg.extend((0..144).map(|i| i as u8));
    // Kafka Metadata v0 request: size, api key 3, version 0, correlation id, client
    // id "rdkafka", no topics.
    let body = cat(&[&[0, 3, 0, 0, 0, 0, 0, 1, 0, 7], b"rdkafka", &[0, 0, 0, 0]]);
    let kafka = cat(&[&(body.len() as u32).to_be_bytes(), &body]);
    // NetBIOS direct group datagram to the browser mailslot, with an SMB inside.
    let mut dgm = cat(&[
        &[0x11, 0x02, 0x81, 0x23, 10, 0, 0, 1, 0, 138],
        &[0, 0, 0, 0],
        &nb_name("WORKSTATION", 0),
        &nb_name("WORKGROUP", 0x1d),
        b"\xffSMB\x25\x00\x00\x00\x00",
    ]);
    dgm.extend_from_slice(b"\\MAILSLOT\\BROWSE\x00");
    let n = (dgm.len() - 14) as u16;
    dgm[10..12].copy_from_slice(&n.to_be_bytes());
    // HSRPv2 group state TLV (type 1, length 40, version 2, hello, active, IPv4,
    // group 1, MAC, priority 100, hello 3000 ms, hold 10000 ms, virtual IP).
    let hsrp2 = cat(&[
        &[1, 40, 2, 0, 6, 4, 0, 1],
        &[0x00, 0x00, 0x0c, 0x9f, 0xf0, 0x01],
        &100u32.to_be_bytes(),
        &3000u32.to_be_bytes(),
        &10000u32.to_be_bytes(),
        &[10, 0, 0, 254],
        &[0; 12],
    ]);
    // Mongo OP_QUERY: length, request id, responseTo 0, opcode 2004, flags,
    // "admin.$cmd", skip, return, then a document.
    let q = cat(&[
        &[0, 0, 0, 0],
        b"admin.$cmd\x00",
        &[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff],
        &[
            0x13, 0, 0, 0, 0x10, b'i', b's', b'M', b'a', b's', b't', b'e', b'r', 0,
        ],
        &[1, 0, 0, 0, 0],
    ]);
    let mongo = cat(&[
        &((16 + q.len()) as u32).to_le_bytes(),
        &[1, 0, 0, 0],
        &[0, 0, 0, 0],
        &2004u32.to_le_bytes(),
        &q,
    ]);
    let mut bitcoin = b"\xf9\xbe\xb4\xd9version\x00\x00\x00\x00\x00".to_vec();
    bitcoin.extend_from_slice(&86u32.to_le_bytes());
    bitcoin.extend_from_slice(&[0x5d, 0xf6, 0xe0, 0xe2]);
    bitcoin.extend_from_slice(&[0; 86]);
    let mut bt = b"\x13BitTorrent protocol".to_vec();
    bt.extend_from_slice(&[0, 0, 0, 0, 0, 0x10, 0, 5]);
    bt.extend_from_slice(&[0xaa; 20]);
    bt.extend_from_slice(b"-qB4650-abcdefghijkl");

    vec![
        case("bittorrent handshake", Tcp, "10.0.0.2:6881", &bt, &["tcp", "bittorrent"]),
        case(
            "bittorrent DHT query",
            Udp,
            "10.0.0.2:6881",
            b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe",
            &["udp", "bittorrent"],
        ),
        case("bitcoin version", Tcp, "10.0.0.2:8333", &bitcoin, &["tcp", "bitcoin"]),
        case("vnc banner", Tcp, "10.0.0.2:5900", b"RFB 003.008\n", &["tcp", "vnc"])
            .server_first(),
        case(
            "redis command",
            Tcp,
            "10.0.0.2:6379",
            b"*1\r\n$4\r\nPING\r\n",
            &["tcp", "redis"],
        ),
        case("mongo OP_QUERY", Tcp, "10.0.0.2:27017", &mongo, &["tcp", "mongo"]),
        case(
            "jabber stream",
            Tcp,
            "10.0.0.2:5222",
            b"<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' \
xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>",
            &["tcp", "jabber"],
        ),
        case(
            "syslog over UDP",
            Udp,
            "10.0.0.2:514",
            b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
            &["udp", "syslog"],
        ),
        case(
            "syslog needs digits then >",
            Udp,
            "10.0.0.2:514",
            b"<3x>not syslog",
            &["udp"],
        ),
        case(
            "flap (AIM) frame",
            Tcp,
            "10.0.0.2:5190",
            &[b'*', 1, 0x12, 0x34, 0, 4, 0, 0, 0, 1],
            &["tcp", "flap"],
        ),
        case(
            "ssdp search",
            Udp,
            "239.255.255.250:1900",
            b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\n\
MX: 1\r\nST: ssdp:all\r\n\r\n",
            &["udp", "ssdp"],
        ),
        case(
            "ssdp unicast answer",
            Udp,
            "10.0.0.1:50000",
            b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nST: upnp:rootdevice\r\n\
USN: uuid:2f402f80-da50-11e1-9b23-001788255acc::upnp:rootdevice\r\n\r\n",
            &["udp", "ssdp"],
        )
        .from("10.0.0.2:1900"),
        case(
            "tacacs+ authentication start",
            Tcp,
            "10.0.0.2:49",
            &[0xc0, 0x01, 0x01, 0x00, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 8, 1, 1, 1, 1, 0, 0, 0, 0],
            &["tcp", "tacacs"],
        ),
        case(
            "tacacs+ bytes off port 49",
            Tcp,
            "10.0.0.2:4949",
            &[0xc0, 0x01, 0x01, 0x00, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 8, 1, 1, 1, 1, 0, 0, 0, 0],
            &["tcp"],
        ),
        case(
            "dropbox lan sync",
            Udp,
            "255.255.255.255:17500",
            b"{\"host_int\": 123456789, \"version\": [2, 0], \"displayname\": \"\", \"port\": 17500, \"namespaces\": [1]}",
            &["udp", "dropbox-lan-sync"],
        )
        .from("10.0.0.1:17500"),
        case("kafka metadata", Tcp, "10.0.0.2:9092", &kafka, &["tcp", "kafka"]),
        case(
            "rip v2 response",
            Udp,
            "224.0.0.9:520",
            &cat(&[&[2, 2, 0, 0, 0, 2, 0, 0, 10, 1, 0, 0], &[255, 255, 255, 0], &[0; 4], &[0, 0, 0, 1]]),
            &["udp", "rip"],
        )
        .from("10.0.0.1:520"),
        case(
            "splunk forwarder",
            Tcp,
            "10.0.0.2:9997",
            b"--splunk-cooked-mode-v3--\x00\x00\x00\x00",
            &["tcp", "splunk"],
        ),
        case(
            "memcached answer",
            Tcp,
            "10.0.0.2:11211",
            b"get foo\r\n",
            &["tcp", "memcached"],
        )
        .reply(b"VALUE foo 0 3\r\nbar\r\nEND\r\n"),
        case("netflow v5", Udp, "10.0.0.2:2055", &netflow, &["udp", "netflow"]),
        case("ipfix", Udp, "10.0.0.2:4739", &ipfix, &["udp", "ipfix"]),
        case("hsrpv2 hello", Udp, "224.0.0.102:1985", &hsrp2, &["udp", "hsrpv2"])
            .from("10.0.0.3:1985"),
        case(
            "hsrp v1 advertise",
            Udp,
            "224.0.0.2:1985",
            &[0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            &["udp", "hsrp"],
        )
        .from("10.0.0.3:1985"),
        case("hsrp needs equal ports", Udp, "224.0.0.102:1985", &hsrp2, &["udp"]),
        case(
            "elasticsearch transport",
            Tcp,
            "10.0.0.2:9300",
            b"ES\x00\x00\x00\x2b\x00\x00\x00\x00\x00\x00\x00\x01\x08",
            &["tcp", "elasticsearch"],
        ),
        case(
            "telnet negotiation from the server",
            Tcp,
            "10.0.0.2:23",
            b"\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27",
            &["tcp", "telnet"],
        )
        .server_first(),
        case(
            "telnet port without IAC",
            Tcp,
            "10.0.0.2:23",
            b"login: ",
            &["tcp"],
        )
        .server_first(),
        case("whois by port", Tcp, "10.0.0.2:43", b"example.com\r\n", &["tcp", "whois"]),
        case("ident answer", Tcp, "10.0.0.2:113", b"6193, 23\r\n", &["tcp", "ident"])
            .reply(b"6193, 23 : USERID : UNIX : stjohns\r\n"),
        case(
            "rtsp answer",
            Tcp,
            "10.0.0.2:554",
            b"OPTIONS rtsp://10.0.0.2/stream RTSP/1.0\r\nCSeq: 1\r\n\r\n",
            &["tcp", "rtsp"],
        )
        .reply(b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: DESCRIBE, SETUP, PLAY\r\n\r\n"),
        case("wireguard initiation", Udp, "10.0.0.2:51820", &wg, &["udp", "wireguard"]),
        case(
            "wireguard initiation of the wrong size",
            Udp,
            "10.0.0.2:51820",
            &wg[..100],
            &["udp"],
        ),
        case("nbds with smb", Udp, "10.0.0.255:138", &dgm, &["udp", "nbds", "smb"])
            .from("10.0.0.1:138"),
    ]
}

#[test]
fn classifier_only_protocols() {
    let mut wrong = Vec::new();
    for c in cases() {
        let doc = c.run();
        if doc["protocol"] != json!(c.protocols) {
            wrong.push(format!(
                "{}: {} != {:?}",
                c.what, doc["protocol"], c.protocols
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
