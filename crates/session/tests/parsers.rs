//! The parser framework through the packet thread: classifiers by content and port,
//! parsers fed each direction's bytes in order (TCP reassembled), unregistering, and
//! disableParsers.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use trawl_fields::{FieldRegistry, FieldValue};
use trawl_packet::{Decoder, Packet};
use trawl_session::parsers::{port, register_parser, Classifiers, Parsed, Parser};
use trawl_session::{CoreSettings, Cx, Dir, PacketThread, Session, SessionSink, Shared};
use trawl_testkit::run::Harness;
use trawl_testkit::wire::{self, TcpHeader};

/// What the test parser saw, per session (by source port).
type Seen = Arc<Mutex<Vec<(u16, [Vec<u8>; 2], Vec<String>)>>>;

struct Collect(Seen);

impl SessionSink for Collect {
    fn save(&mut self, shared: &Shared, s: &mut Session, _final: bool) {
        let protos = match s.fields.get(shared.core.protocols) {
            Some(FieldValue::StrSet(v)) => v.as_slice().to_vec(),
            _ => vec![],
        };
        let seen = SEEN.lock().unwrap().remove(&s.port1).unwrap_or_default();
        self.0.lock().unwrap().push((s.port1, seen, protos));
    }
}

static SEEN: Mutex<std::collections::BTreeMap<u16, [Vec<u8>; 2]>> =
    Mutex::new(std::collections::BTreeMap::new());

/// Records every byte it is given; unregisters after `limit` bytes in total.
#[derive(Debug)]
struct Recorder {
    limit: usize,
    got: usize,
}

impl Parser for Recorder {
    fn name(&self) -> &'static str {
        "recorder"
    }
    fn parse(&mut self, _cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
        SEEN.lock().unwrap().entry(s.port1).or_default()[dir].extend_from_slice(data);
        self.got += data.len();
        if self.got >= self.limit {
            Parsed::Skip
        } else {
            Parsed::Done(data.len())
        }
    }
}

fn classify(cx: &mut Cx, s: &mut Session, _data: &[u8], _dir: Dir, uw: u32) {
    cx.add_protocol(s, if uw == 1 { "hello" } else { "portproto" });
    register_parser(
        s,
        Box::new(Recorder {
            limit: 1000,
            got: 0,
        }),
    );
}

fn classify_small(cx: &mut Cx, s: &mut Session, _data: &[u8], _dir: Dir, _uw: u32) {
    cx.add_protocol(s, "small");
    register_parser(s, Box::new(Recorder { limit: 3, got: 0 }));
}

/// Carries another stream after a 4-byte "OPEN" greeting (as SOCKS or STARTTLS do):
/// the bytes after it are classified again.
#[derive(Debug)]
struct Tunnel {
    open: bool,
}

impl Parser for Tunnel {
    fn name(&self) -> &'static str {
        "tunnel"
    }
    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
        if !self.open {
            self.open = data == b"OPEN";
            return Parsed::Done(data.len());
        }
        trawl_session::parsers::classify_tcp(cx, s, data, dir);
        Parsed::Skip
    }
}

fn classify_tunnel(cx: &mut Cx, s: &mut Session, _data: &[u8], _dir: Dir, _uw: u32) {
    cx.add_protocol(s, "tunnel");
    register_parser(s, Box::new(Tunnel { open: false }));
}

fn setup(disabled: &[String]) -> (Decoder, PacketThread, Seen) {
    let out = Arc::new(Mutex::new(Vec::new()));
    let sink = Collect(Arc::clone(&out));
    let h = Harness::with(
        CoreSettings::new(1),
        disabled,
        |c: &mut Classifiers, _: &mut FieldRegistry| {
            c.register_tcp("hello", 1, 0, b"HELLO", classify);
            c.register_port("portproto", 2, 7000, port::UDP, classify);
            c.register_port("portproto", 2, 7001, port::UDP, classify);
            c.register_udp("small", 3, 1, b"\xab", classify_small);
            c.register_tcp("tunnel", 4, 0, b"OPEN", classify_tunnel);
        },
        |s| s,
        |_| Box::new(sink),
    );
    (h.decoder, h.thread, out)
}

/// A raw IPv4 packet (link type 228) between 10.0.0.`src` and 10.0.0.`dst`.
fn ip(proto: u8, src: u8, dst: u8, l4: &[u8]) -> Vec<u8> {
    wire::ipv4([10, 0, 0, src], [10, 0, 0, dst], proto, 0, l4)
}

fn addr(last: u8) -> IpAddr {
    IpAddr::from([10, 0, 0, last])
}

/// A TCP segment; the higher port is the client's, at 10.0.0.1.
fn tcp(sport: u16, dport: u16, seq: u32, flags: u8, data: &[u8]) -> Vec<u8> {
    let (s, d) = if sport > dport { (1, 2) } else { (2, 1) };
    let h = TcpHeader {
        sport,
        dport,
        seq,
        ack: 0,
        flags,
        window: 0xffff,
    };
    ip(6, s, d, &wire::tcp(addr(s), addr(d), h, data))
}

/// A UDP datagram from 10.0.0.1 to 10.0.0.2.
fn udp(sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    ip(17, 1, 2, &wire::udp(addr(1), sport, addr(2), dport, data))
}

fn feed(d: &mut Decoder, pt: &mut PacketThread, bytes: &[u8]) {
    let p = d
        .enqueue(Packet::from_bytes(bytes, 228, 1, 0))
        .expect("decodes");
    pt.process_commands();
    pt.process_packet(p);
}

#[test]
fn tcp_content_classifier_and_in_order_delivery() {
    let (mut d, mut pt, out) = setup(&[]);
    feed(&mut d, &mut pt, &tcp(40001, 25, 100, 0x02, b""));
    feed(&mut d, &mut pt, &tcp(25, 40001, 900, 0x12, b""));
    // Client data arrives out of order: "WORLD" before "HELLO ".
    feed(&mut d, &mut pt, &tcp(40001, 25, 107, 0x18, b"WORLD"));
    feed(&mut d, &mut pt, &tcp(40001, 25, 101, 0x18, b"HELLO "));
    feed(&mut d, &mut pt, &tcp(25, 40001, 901, 0x18, b"250 ok"));
    pt.flush_all();
    let o = out.lock().unwrap();
    let (_, seen, protos) = o.iter().find(|x| x.0 == 40001).expect("session");
    assert!(protos.contains(&"hello".to_string()), "{protos:?}");
    assert_eq!(seen[0], b"HELLO WORLD", "reassembled in sequence order");
    assert_eq!(seen[1], b"250 ok");
}

#[test]
fn udp_port_classifier_and_unregister() {
    let (mut d, mut pt, out) = setup(&[]);
    feed(&mut d, &mut pt, &udp(7000, 9, b"abcd"));
    feed(&mut d, &mut pt, &udp(7000, 9, b"efgh"));
    feed(&mut d, &mut pt, &udp(5555, 9, b"\x00\xab\x01"));
    feed(&mut d, &mut pt, &udp(5555, 9, b"more"));
    pt.flush_all();
    let o = out.lock().unwrap();
    let by = |p: u16| o.iter().find(|x| x.0 == p).expect("session");
    assert_eq!(by(7000).1[0], b"abcdefgh");
    assert!(by(7000).2.contains(&"portproto".to_string()));
    // The small parser unregistered after its 3-byte limit: it never saw "more".
    assert_eq!(by(5555).1[0], b"\x00\xab\x01");
    assert!(by(5555).2.contains(&"small".to_string()));
}

#[test]
fn disabled_parsers_do_not_classify() {
    let (mut d, mut pt, out) = setup(&["hello".to_string(), "portproto.so".to_string()]);
    // Ports of its own: the recorder is shared by the tests running in parallel.
    feed(&mut d, &mut pt, &udp(7001, 9, b"abcd"));
    feed(&mut d, &mut pt, &tcp(40002, 25, 1, 0x18, b"HELLO"));
    pt.flush_all();
    let o = out.lock().unwrap();
    assert!(
        o.iter().all(|x| x.1 == [Vec::<u8>::new(), Vec::new()]),
        "{o:?}"
    );
    assert!(o
        .iter()
        .all(|x| !x.2.iter().any(|p| p == "hello" || p == "portproto")));
}

#[test]
fn registry_reports_its_classifiers() {
    let mut c = Classifiers::new(&["x".to_string()]);
    assert!(c.is_empty());
    c.register_tcp("a", 0, 0, b"GET ", classify);
    c.register_tcp("b", 0, 4, b"\x01", classify);
    c.register_port("a", 0, 80, port::TCP, classify);
    c.register_udp("x", 0, 0, b"zz", classify);
    assert_eq!(
        c.len(),
        4,
        "two content classifiers and one port classifier on both ports"
    );
    assert_eq!(c.names(), vec!["a", "b"]);
}

#[test]
fn parsers_attached_by_a_parser_get_the_same_bytes() {
    let (mut d, mut pt, out) = setup(&[]);
    feed(&mut d, &mut pt, &tcp(40003, 1080, 100, 0x02, b""));
    feed(&mut d, &mut pt, &tcp(1080, 40003, 900, 0x12, b""));
    feed(&mut d, &mut pt, &tcp(40003, 1080, 101, 0x18, b"OPEN"));
    // The tunnelled stream starts with HELLO: the recorder attached by the "hello"
    // classifier must see these very bytes, not only the ones after them.
    feed(
        &mut d,
        &mut pt,
        &tcp(40003, 1080, 105, 0x18, b"HELLO inside"),
    );
    feed(&mut d, &mut pt, &tcp(40003, 1080, 117, 0x18, b" more"));
    pt.flush_all();
    let o = out.lock().unwrap();
    let (_, seen, protos) = o.iter().find(|x| x.0 == 40003).expect("session");
    assert!(
        protos.contains(&"tunnel".to_string()) && protos.contains(&"hello".to_string()),
        "{protos:?}"
    );
    assert_eq!(seen[0], b"HELLO inside more");
}

/// The whole messages a framed parser was handed, and how often it ran.
type FramedRuns = (Vec<Vec<u8>>, usize);

/// What each framed parser saw, by source port.
static FRAMES: Mutex<std::collections::BTreeMap<u16, FramedRuns>> =
    Mutex::new(std::collections::BTreeMap::new());

/// The most a [`Framed`] parser has the framework keep.
const FRAMED_MAX: usize = 32;

/// A parser of messages `M|N, total length (u8), payload`, buffered by the framework:
/// `M` messages too long to keep are skipped, `N` ones are waited for (and overflow).
#[derive(Debug)]
struct Framed;

impl Parser for Framed {
    fn name(&self) -> &'static str {
        "framed"
    }
    fn parse(&mut self, _cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir) -> Parsed {
        let mut frames = FRAMES.lock().unwrap();
        let seen = frames.entry(s.port1).or_default();
        seen.1 += 1;
        let mut at = 0;
        loop {
            let b = &data[at..];
            if b.len() < 2 {
                return Parsed::Incomplete {
                    consumed: at,
                    needed: 2,
                };
            }
            let total = usize::from(b[1]);
            if !matches!(b[0], b'M' | b'N') || total < 2 {
                return Parsed::Error;
            }
            if b[0] == b'M' && total > FRAMED_MAX {
                // Too long to keep: drop it, some of it still to come.
                return Parsed::Incomplete {
                    consumed: at + total,
                    needed: 0,
                };
            }
            if total > b.len() {
                return Parsed::Incomplete {
                    consumed: at,
                    needed: total,
                };
            }
            seen.0.push(b[2..total].to_vec());
            at += total;
        }
    }
    fn max_held(&self) -> usize {
        FRAMED_MAX
    }
}

fn classify_framed(cx: &mut Cx, s: &mut Session, _data: &[u8], _dir: Dir, _uw: u32) {
    cx.add_protocol(s, "framed");
    register_parser(s, Box::new(Framed));
}

/// A thread with only the framed parser's classifiers.
fn setup_framed() -> (Decoder, PacketThread) {
    let h = Harness::new(
        CoreSettings::new(1),
        |c: &mut Classifiers, _: &mut FieldRegistry| {
            c.register_tcp("framed", 0, 0, b"M", classify_framed);
            c.register_tcp("framed", 0, 0, b"N", classify_framed);
        },
        |_| Box::new(Collect(Arc::new(Mutex::new(Vec::new())))),
    );
    (h.decoder, h.thread)
}

/// Opens a connection from client port `sport` to port 26 and sends `segments` in
/// order; returns the framed parser's messages and runs.
fn run_framed(sport: u16, segments: &[&[u8]]) -> (Vec<Vec<u8>>, usize, PacketThread) {
    let (mut d, mut pt) = setup_framed();
    feed(&mut d, &mut pt, &tcp(sport, 26, 100, 0x02, b""));
    feed(&mut d, &mut pt, &tcp(26, sport, 900, 0x12, b""));
    let mut seq = 101;
    for seg in segments {
        feed(&mut d, &mut pt, &tcp(sport, 26, seq, 0x18, seg));
        seq += seg.len() as u32;
    }
    pt.flush_all();
    let (msgs, runs) = FRAMES.lock().unwrap().remove(&sport).unwrap_or_default();
    (msgs, runs, pt)
}

#[test]
fn framework_keeps_unfinished_messages_and_waits_for_what_is_needed() {
    let (msgs, runs, pt) = run_framed(
        41001,
        &[
            b"M\x05ab",  // 3 of a 5-byte message
            b"cM\x04xy", // its end, then a whole message
            b"M\x0612",  // 4 of 6
            b"34",       // the rest
            b"M\x08",    // the header of an 8-byte message
            b"abc",      // still short of 8: the parser is not run
            b"def",      // now whole
        ],
    );
    let want: Vec<&[u8]> = vec![b"abc", b"xy", b"1234", b"abcdef"];
    assert_eq!(msgs, want);
    // Runs: one per segment but the one that left the message short of `needed`.
    assert_eq!(runs, 6);
    assert_eq!((pt.stats.parser_errors, pt.stats.parser_overflows), (0, 0));
}

#[test]
fn a_consumed_count_past_the_bytes_drops_the_rest_of_a_long_message() {
    // A 40-byte message (more than the parser keeps): 12 bytes now, 28 later, then a
    // message of its own in the same segment.
    let mut later = vec![b'.'; 28];
    later.extend_from_slice(b"M\x03z");
    let (msgs, _, pt) = run_framed(41002, &[b"M\x28..........", &later]);
    assert_eq!(msgs, vec![b"z".to_vec()]);
    assert_eq!(pt.stats.parser_overflows, 0);
}

#[test]
fn needing_more_than_the_parser_keeps_unregisters_it_and_is_counted() {
    let mut rest = vec![b'.'; 28];
    rest.extend_from_slice(b"N\x03z");
    let (msgs, runs, pt) = run_framed(41003, &[b"N\x28..........", &rest]);
    assert!(msgs.is_empty());
    assert_eq!(runs, 1, "not run again after it overflowed");
    assert_eq!((pt.stats.parser_errors, pt.stats.parser_overflows), (0, 1));
}

#[test]
fn bytes_that_are_not_the_protocol_unregister_the_parser_and_are_counted() {
    let (msgs, runs, pt) = run_framed(41004, &[b"M\x03aM\x01", b"M\x03b"]);
    assert_eq!(msgs, vec![b"a".to_vec()]);
    assert_eq!(runs, 1);
    assert_eq!((pt.stats.parser_errors, pt.stats.parser_overflows), (1, 0));
}
