//! The rules engine through the packet thread: rules read from YAML act on sessions
//! at session creation (fieldSet on ports and addresses), when a classifier adds a
//! protocol (fieldSet on a stored field), and before the final save (counts, NOT
//! conditions, `_flipSrcDst`, `_dontSaveSPI`), plus `filenameOps`.

use std::io::Write;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use trawl_fields::{FieldRegistry, FieldValue};
use trawl_packet::{Decoder, Packet};
use trawl_rules::engine::InputOps;
use trawl_session::parsers::Classifiers;
use trawl_session::{
    define_core_fields, CoreSettings, Cx, Dir, PacketThread, Session, SessionSink, Shared,
};
use trawl_testkit::run::Harness;
use trawl_testkit::wire::{self, TcpHeader};

/// What was saved: (source port, destination port, tags, protocols, stop_spi).
type Saved = Arc<Mutex<Vec<(u16, u16, Vec<String>, Vec<String>, bool)>>>;

struct Collect(Saved);

fn strs(s: &Session, id: u16) -> Vec<String> {
    match s.fields.get(id) {
        Some(FieldValue::StrSet(v)) => v.as_slice().to_vec(),
        _ => vec![],
    }
}

impl SessionSink for Collect {
    fn save(&mut self, shared: &Shared, s: &mut Session, _final: bool) {
        let c = &shared.core;
        self.0.lock().unwrap().push((
            s.port1,
            s.port2,
            strs(s, c.tags),
            strs(s, c.protocols),
            s.stop_spi,
        ));
    }
}

fn hello(cx: &mut Cx, s: &mut Session, _d: &[u8], _dir: Dir, _uw: u32) {
    cx.add_protocol(s, "hello");
}

const RULES: &str = r#"---
version: 1
rules:
  - name: "port range and count"
    when: "fieldSet"
    fields:
      port.dst:
        - 400-500
      port.dst:
        - 7000-7001
      protocols.cnt: 1
    ops:
      "protocols": "portrule"
  - name: "protocol set"
    when: "fieldSet"
    fields:
      protocols:
        - hello
    ops:
      tags: "saw-hello"
  - name: "not"
    when: "beforeFinalSave"
    fields:
      packets.src: ${two}
      "!packets.dst": 1
    ops:
      tags: "src-2-not-dst-1"
  - name: "flip"
    when: "beforeFinalSave"
    fields:
      port.dst: 9999
      ip.src: 10.0.0.0/24
    ops:
      _flipSrcDst: 1
  - name: "unknown field is skipped"
    when: "fieldSet"
    fields:
      no.such.field: 1
    ops:
      tags: "never"
"#;

fn setup(
    rules: &str,
    inputs: &[String],
    filename_ops: &[String],
) -> (Decoder, PacketThread, Saved) {
    let (d, pt, out, table) = setup_inputs(rules, filename_ops, &[]);
    for (i, name) in inputs.iter().enumerate() {
        table.start_input(i as u16, || name.clone(), &[]);
    }
    (d, pt, out)
}

/// The engine with `filenameOps` and `--op`s (`initial`, `FieldExpr=value`), and the
/// table of the inputs' operations the reader grows as inputs start.
fn setup_inputs(
    rules: &str,
    filename_ops: &[String],
    initial: &[&str],
) -> (Decoder, PacketThread, Saved, Arc<InputOps>) {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(rules.as_bytes()).unwrap();
    // Rules are built once the parsers' fields are defined, and become the hooks.
    let engine = std::cell::RefCell::new(None);
    let table = std::cell::RefCell::new(None);
    let out = Arc::new(Mutex::new(Vec::new()));
    let sink = Collect(Arc::clone(&out));
    let h = Harness::with(
        CoreSettings::new(1),
        &[],
        |c: &mut Classifiers, fields: &mut FieldRegistry| {
            c.register_tcp("hello", 1, 0, b"HELLO", hello);
            let var = |n: &str| (n == "two").then(|| "2".to_string());
            let path = f.path().display().to_string();
            let rules =
                trawl_rules::build_rules(&[path], &[], &[], &var, fields).expect("rules load");
            let fops = trawl_rules::filename_ops::compile(filename_ops, fields).unwrap();
            let inputs = Arc::new(InputOps::new(fops));
            *table.borrow_mut() = Some(Arc::clone(&inputs));
            let initial_ops = initial
                .iter()
                .map(|o| trawl_rules::filename_ops::parse_op(o, fields).unwrap())
                .collect();
            *engine.borrow_mut() = Some(trawl_rules::Engine {
                rules,
                inputs,
                initial_ops,
            });
        },
        |shared| Shared {
            hooks: Box::new(engine.take().expect("rules built")),
            ..shared
        },
        |_| Box::new(sink),
    );
    let table = table.take().expect("table built");
    (h.decoder, h.thread, out, table)
}

/// A raw IPv4 packet (link type 228) between 10.0.0.`src` and 10.0.0.`dst`.
fn ip(proto: u8, src: u8, dst: u8, l4: &[u8]) -> Vec<u8> {
    wire::ipv4([10, 0, 0, src], [10, 0, 0, dst], proto, 0, l4)
}

fn addr(last: u8) -> IpAddr {
    IpAddr::from([10, 0, 0, last])
}

/// A TCP segment between 10.0.0.1 and 10.0.0.2 (`fwd`: from .1).
fn tcp(sport: u16, dport: u16, seq: u32, flags: u8, data: &[u8], fwd: bool) -> Vec<u8> {
    let (s, d) = if fwd { (1, 2) } else { (2, 1) };
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

fn feed(d: &mut Decoder, pt: &mut PacketThread, bytes: &[u8], reader_pos: u16) {
    let mut pkt = Packet::from_bytes(bytes, 228, 1, 0);
    pkt.meta.reader_pos = reader_pos;
    let p = d.enqueue(pkt).expect("decodes");
    pt.process_packet(p);
}

fn saved_for(out: &Saved, port: u16) -> (u16, u16, Vec<String>, Vec<String>, bool) {
    out.lock()
        .unwrap()
        .iter()
        .find(|s| s.0 == port || s.1 == port)
        .cloned()
        .unwrap_or_else(|| panic!("no session on port {port}"))
}

#[test]
fn rules_act_at_each_stage() {
    let (mut d, mut pt, out) = setup(RULES, &[], &[]);
    // UDP to 7000: port.dst in range and one protocol (udp) at creation.
    feed(&mut d, &mut pt, &udp(5000, 7000, b"x"), 0);
    // UDP to 8000: no port match.
    feed(&mut d, &mut pt, &udp(5001, 8000, b"x"), 0);
    // TCP whose first bytes are HELLO: the classifier adds "hello", a fieldSet rule tags.
    feed(&mut d, &mut pt, &tcp(40000, 80, 0, 0x02, b"", true), 0);
    feed(&mut d, &mut pt, &tcp(80, 40000, 500, 0x12, b"", false), 0);
    feed(&mut d, &mut pt, &tcp(40000, 80, 1, 0x18, b"HELLO", true), 0);
    feed(&mut d, &mut pt, &tcp(80, 40000, 501, 0x18, b"ok", false), 0);
    // Two packets one way, none back: the NOT rule tags it; it goes to 9999 from
    // 10.0.0.1, so the flip rule swaps its ends.
    feed(&mut d, &mut pt, &udp(5002, 9999, b"a"), 0);
    feed(&mut d, &mut pt, &udp(5002, 9999, b"b"), 0);
    pt.flush_all();

    let a = saved_for(&out, 7000);
    assert!(a.3.contains(&"portrule".to_string()), "{a:?}");
    let b = saved_for(&out, 8000);
    assert!(!b.3.contains(&"portrule".to_string()), "{b:?}");
    let c = saved_for(&out, 40000);
    assert!(c.3.contains(&"hello".to_string()));
    assert!(c.2.contains(&"saw-hello".to_string()), "{c:?}");
    assert!(
        !c.3.contains(&"portrule".to_string()),
        "80 is not in a range"
    );
    let e = saved_for(&out, 9999);
    assert!(e.2.contains(&"src-2-not-dst-1".to_string()), "{e:?}");
    assert_eq!((e.0, e.1), (9999, 5002), "flipped");
    assert!(out
        .lock()
        .unwrap()
        .iter()
        .all(|s| !s.2.contains(&"never".to_string())));
}

#[test]
fn dont_save_spi_and_filename_ops() {
    let rules = "version: 1\nrules:\n  - name: drop\n    when: beforeFinalSave\n    fields:\n      port.dst: 53\n    ops:\n      _dontSaveSPI: 1\n";
    let inputs = vec![
        "in/gre-sample.pcap".to_string(),
        "in/other.pcap".to_string(),
    ];
    let (mut d, mut pt, out) = setup(rules, &inputs, &[r"tags=/gre-(.*)\.pcap%gretest-\1".into()]);
    feed(&mut d, &mut pt, &udp(5000, 53, b"x"), 0);
    feed(&mut d, &mut pt, &udp(5001, 54, b"x"), 0);
    feed(&mut d, &mut pt, &udp(5002, 55, b"x"), 1);
    pt.flush_all();
    assert!(saved_for(&out, 53).4, "_dontSaveSPI set");
    assert!(!saved_for(&out, 54).4);
    assert_eq!(saved_for(&out, 54).2, vec!["gretest-sample".to_string()]);
    assert!(saved_for(&out, 55).2.is_empty(), "other file: no op");
}

#[test]
fn inputs_that_start_later_get_their_filename_ops_and_add_file_ops() {
    // The rules match none of these sessions; --op tags=cli on every session.
    let (mut d, mut pt, out, table) = setup_inputs(
        RULES,
        &[r"tags=/gre-(.*)\.pcap%gretest-\1".into()],
        &["tags=cli"],
    );
    let tag_of = |v: &str| {
        trawl_rules::filename_ops::parse_op(&format!("tags={v}"), &pt.shared().fields).unwrap()
    };
    let file = tag_of("file");
    // The command line's input 0: no filenameOps match.
    table.start_input(0, || "/in/a.pcap".into(), &[]);
    feed(&mut d, &mut pt, &udp(5000, 60, b"x"), 0);
    // Later, after the engine went to the packet thread: input 1 (a gre- file, from
    // add-file --op tags=file).
    table.start_input(1, || "/in/gre-late.pcap".into(), &[file]);
    feed(&mut d, &mut pt, &udp(5001, 61, b"x"), 1);
    // Position 0 reused by another input: its sessions created from then on get its
    // operations, not the old input's.
    table.start_input(0, || "/in/gre-again.pcap".into(), &[]);
    feed(&mut d, &mut pt, &udp(5002, 62, b"x"), 0);
    pt.flush_all();
    assert_eq!(saved_for(&out, 60).2, ["cli"]);
    // --op first, then filenameOps, then add-file's (Arkime's order).
    assert_eq!(saved_for(&out, 61).2, ["cli", "gretest-late", "file"]);
    assert_eq!(saved_for(&out, 62).2, ["cli", "gretest-again"]);
}

#[test]
fn structural_errors_stop_loading() {
    let none = |_: &str| None;
    for bad in [
        "rules: []\n",
        "version: 1\nrules:\n  - when: fieldSet\n    fields:\n      port.dst: 1\n    ops:\n      tags: x\n",
        "version: 1\nrules:\n  - name: a\n    when: sometimes\n    fields:\n      port.dst: 1\n    ops:\n      tags: x\n",
        "version: 1\nrules:\n  - name: a\n    when: fieldSet\n    fields:\n      \"!port.dst\": 1\n    ops:\n      tags: x\n",
        "version: 1\nrules:\n  - name: a\n    when: fieldSet\n    fields:\n      port.dst: 9-1\n    ops:\n      tags: x\n",
        "version: 1\nrules:\n  - name: a\n    when: fieldSet\n    fields:\n      ip.src: 10.0.0.0/40\n    ops:\n      tags: x\n",
    ] {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bad.as_bytes()).unwrap();
        let mut reg = FieldRegistry::new();
        define_core_fields(&mut reg);
        let r = trawl_rules::build_rules(&[f.path().display().to_string()], &[], &[], &none, &mut reg);
        assert!(r.is_err(), "{bad}");
    }
}
