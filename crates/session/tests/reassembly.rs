//! TCP reassembly through the whole capture path (the test kit's conversations, the
//! decoder, the packet thread and the document writer): a parser that writes back
//! what it was given shows each direction's bytes arrive once and in order, across a
//! sequence number wrap, out of order and retransmitted.

use serde_json::json;
use trawl_fields::{FieldRegistry, FieldSpec, FieldType, Kind};
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};
use trawl_testkit::wire::tcp_flag::{ACK, PSH};
use trawl_testkit::{run_session, Side, TcpConversation};

const FIELDS: [FieldSpec; 2] = [
    FieldSpec::new("echo", FieldType::StrArray)
        .named("echo.src", "echo.src", Kind::TermField)
        .text("From source", "What the source sent"),
    FieldSpec::new("echo", FieldType::StrArray)
        .named("echo.dst", "echo.dst", Kind::TermField)
        .text("From destination", "What the destination sent"),
];

/// Keeps every byte it is given, and writes it out when the session is saved.
#[derive(Debug)]
struct Echo {
    ids: [u16; 2],
    got: [Vec<u8>; 2],
}

impl Parser for Echo {
    fn name(&self) -> &'static str {
        "echo"
    }
    fn parse(&mut self, _cx: &mut Cx, _s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
        self.got[dir].extend_from_slice(data);
        Parsed::Done(data.len())
    }
    fn save(&mut self, cx: &mut Cx, s: &mut Session, _final: bool) {
        for d in Dir::BOTH {
            let text = String::from_utf8_lossy(&self.got[d]).into_owned();
            s.fields
                .string_add(&cx.shared.fields, self.ids[d.index()], &text);
        }
    }
}

fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let ids = f.define_all(&FIELDS);
    c.register_port(
        "echo",
        0,
        7,
        trawl_session::parsers::port::TCP_DST,
        move |cx, s, _, _, _| {
            // Classifiers run again whenever the parsers have consumed everything.
            if cx.has_protocol(s, "echo") {
                return;
            }
            cx.add_protocol(s, "echo");
            register_parser(
                s,
                Box::new(Echo {
                    ids,
                    got: [Vec::new(), Vec::new()],
                }),
            );
        },
    );
}

#[test]
fn in_order_across_the_sequence_wrap() {
    // The client's data starts 3 bytes before the wrap; the server's 2 before.
    let frames = TcpConversation::new("10.0.0.1:40000", "10.0.0.2:7")
        .initial_seqs(u32::MAX - 3, u32::MAX - 2)
        .segment(4)
        .handshake()
        .client(b"hello, wrapped world")
        .server(b"and back again")
        .frames();
    let doc = run_session(register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "echo"]));
    assert_eq!(doc["echo"]["src"], json!(["hello, wrapped world"]));
    assert_eq!(doc["echo"]["dst"], json!(["and back again"]));
}

#[test]
fn out_of_order_and_retransmitted_segments_across_the_wrap() {
    let isn = u32::MAX - 5;
    let c = TcpConversation::new("10.0.0.1:40001", "10.0.0.2:7")
        .initial_seqs(isn, 1000)
        .handshake();
    // Data starts at isn + 1: "abcdef" ends at the wrap, "ghij" and "klmn" follow it.
    // They arrive as klmn, abcdef, abcdef (again), ghij.
    let base = c.frames();
    let part = |from: u32, data: &[u8]| {
        TcpConversation::new("10.0.0.1:40001", "10.0.0.2:7")
            .initial_seqs(from, 1001)
            .acks(false)
            .wait_us(10_000)
            .send(Side::Client, PSH | ACK, data)
            .frames()
    };
    let start = isn.wrapping_add(1);
    let mut frames = base;
    frames.extend(part(start.wrapping_add(10), b"klmn"));
    frames.extend(part(start, b"abcdef"));
    frames.extend(part(start, b"abcdef"));
    frames.extend(part(start.wrapping_add(6), b"ghij"));
    frames.sort_by_key(|f| (f.ts_sec, f.ts_usec));
    let doc = run_session(register, &frames);
    assert_eq!(doc["echo"]["src"], json!(["abcdefghijklmn"]));
    assert_eq!(doc["tags"], json!(["out-of-order-src"]));
}

#[test]
fn a_retransmission_spanning_the_wrap_delivers_only_its_new_bytes() {
    // "abcdef" crosses the wrap and is delivered; then a longer retransmission from
    // the same start brings "gh". Its start is before the wrap and the expected
    // sequence number after it: only a wrap-aware comparison sees it continues the
    // stream (a plain `next < seq` would hold it, and everything after, forever).
    let isn = u32::MAX - 3;
    let start = isn.wrapping_add(1);
    let mut frames = TcpConversation::new("10.0.0.1:40002", "10.0.0.2:7")
        .initial_seqs(isn, 1000)
        .handshake()
        .client(b"abcdef")
        .frames();
    frames.extend(
        TcpConversation::new("10.0.0.1:40002", "10.0.0.2:7")
            .initial_seqs(start, 1001)
            .acks(false)
            .wait_us(20_000)
            .send(Side::Client, PSH | ACK, b"abcdefgh")
            .send(Side::Client, PSH | ACK, b"ij")
            .frames(),
    );
    let doc = run_session(register, &frames);
    assert_eq!(doc["echo"]["src"], json!(["abcdefghij"]));
}
