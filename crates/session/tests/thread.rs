//! The packet thread on hand-built packets: idle timeouts as packet time moves,
//! maxPackets segments, maxStreams early saves, TCP close.

use std::sync::{Arc, Mutex};

use trawl_lookup::Lookups;

use std::net::IpAddr;

use trawl_fields::FieldRegistry;
use trawl_packet::{Decoder, Packet};
use trawl_session::parsers::Classifiers;
use trawl_session::{CoreSettings, PacketThread, RootId, Session, SessionSink, Shared};
use trawl_testkit::run::Harness;
use trawl_testkit::wire::{self, TcpHeader};

#[derive(Clone, Debug, PartialEq)]
struct Saved {
    ports: (u16, u16),
    packets: [u32; 2],
    first_final: bool,
    root: RootId,
    closing: bool,
    oui: Option<String>,
}

struct Collect(Arc<Mutex<Vec<Saved>>>);

impl SessionSink for Collect {
    fn save(&mut self, shared: &Shared, s: &mut Session, final_: bool) {
        let oui = match s.fields.get(shared.core.oui_src) {
            Some(trawl_fields::FieldValue::StrSet(v)) => v.as_slice().first().cloned(),
            _ => None,
        };
        self.0.lock().unwrap().push(Saved {
            ports: (s.port1, s.port2),
            packets: s.flows.each_ref().map(|f| f.packets),
            first_final: final_,
            root: s.root_id.clone(),
            closing: s.closing,
            oui,
        });
    }
}

type Setup = (
    Decoder,
    PacketThread,
    Arc<Mutex<Vec<Saved>>>,
    Arc<arc_swap::ArcSwap<Lookups>>,
);

fn setup(settings: CoreSettings) -> (Decoder, PacketThread, Arc<Mutex<Vec<Saved>>>) {
    let (d, pt, out, _) = setup_with_lookups(settings);
    (d, pt, out)
}

fn setup_with_lookups(settings: CoreSettings) -> Setup {
    let lookups = Arc::new(arc_swap::ArcSwap::from_pointee(Lookups::empty()));
    let out = Arc::new(Mutex::new(Vec::new()));
    let sink = Collect(Arc::clone(&out));
    let h = Harness::with(
        settings,
        &[],
        |_: &mut Classifiers, _: &mut FieldRegistry| {},
        |shared| Shared {
            lookups: Arc::clone(&lookups),
            ..shared
        },
        |_| Box::new(sink),
    );
    (h.decoder, h.thread, out, lookups)
}

/// A raw IPv4 packet (link type 228): UDP with four bytes, or a TCP segment of
/// `flags` at `seq`; the lower port is 10.0.0.1's.
fn frame(proto: u8, sport: u16, dport: u16, flags: u8, seq: u32) -> Vec<u8> {
    let (src, dst) = if sport < dport {
        ([10, 0, 0, 2], [10, 0, 0, 1])
    } else {
        ([10, 0, 0, 1], [10, 0, 0, 2])
    };
    let (s, d) = (IpAddr::from(src), IpAddr::from(dst));
    let l4 = if proto == 17 {
        wire::udp(s, sport, d, dport, &[1, 2, 3, 4])
    } else {
        let h = TcpHeader {
            sport,
            dport,
            seq,
            ack: 0,
            flags,
            window: 0xffff,
        };
        wire::tcp(s, d, h, &[])
    };
    wire::ipv4(src, dst, proto, 0, &l4)
}

fn feed(d: &mut Decoder, pt: &mut PacketThread, bytes: &[u8], sec: u32) {
    let p = d
        .enqueue(Packet::from_bytes(bytes, 228, sec, 0))
        .expect("decodes");
    pt.process_commands();
    pt.process_packet(p);
}

#[test]
fn idle_udp_sessions_time_out_by_packet_time() {
    let (mut d, mut pt, out) = setup(CoreSettings::new(1));
    feed(&mut d, &mut pt, &frame(17, 1000, 53, 0, 0), 0);
    feed(&mut d, &mut pt, &frame(17, 1000, 53, 0, 0), 1);
    // Another session moves time to 100: A (last seen at 1) is now idle > 60 s, but
    // the check runs before each packet with the previous packet's time.
    feed(&mut d, &mut pt, &frame(17, 2000, 53, 0, 0), 100);
    assert!(out.lock().unwrap().is_empty());
    feed(&mut d, &mut pt, &frame(17, 1000, 53, 0, 0), 101);
    {
        let o = out.lock().unwrap();
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].ports, (1000, 53));
        assert_eq!(o[0].packets, [2, 0]);
    }
    pt.flush_all();
    let o = out.lock().unwrap();
    assert_eq!(o.len(), 3, "the late A packet made a new session");
}

#[test]
fn max_packets_saves_segments_sharing_a_root_id() {
    let mut st = CoreSettings::new(1);
    st.max_packets = 3;
    let (mut d, mut pt, out) = setup(st);
    for i in 0..7 {
        feed(&mut d, &mut pt, &frame(17, 1000, 53, 0, 0), i);
    }
    pt.flush_all();
    let o = out.lock().unwrap();
    let counts: Vec<u32> = o.iter().map(|s| s.packets[0]).collect();
    assert_eq!(counts, vec![3, 3, 1]);
    assert_eq!(
        o.iter().map(|s| s.first_final).collect::<Vec<_>>(),
        vec![false, false, true]
    );
    assert!(o.iter().all(|s| s.root != RootId::None));
}

#[test]
fn max_streams_saves_the_oldest_early() {
    let mut st = CoreSettings::new(1);
    st.max_streams[1] = 2; // UDP
    let (mut d, mut pt, out) = setup(st);
    for (i, port) in [1001u16, 1002, 1003, 1004].into_iter().enumerate() {
        feed(&mut d, &mut pt, &frame(17, port, 53, 0, 0), i as u32);
    }
    // Before the fourth session's packet three were open: the oldest was saved.
    let early: Vec<u16> = out.lock().unwrap().iter().map(|s| s.ports.0).collect();
    assert_eq!(early, vec![1001], "oldest saved first, not dropped");
    // The cap is checked before every packet: three open again, the next oldest goes.
    feed(&mut d, &mut pt, &frame(17, 1004, 53, 0, 0), 5);
    let early: Vec<u16> = out.lock().unwrap().iter().map(|s| s.ports.0).collect();
    assert_eq!(early, vec![1001, 1002]);
    assert_eq!(pt.stats.early_saves, 2);
    pt.flush_all();
    assert_eq!(out.lock().unwrap().len(), 4);
}

#[test]
fn tcp_fin_handshake_closes_after_the_closing_timeout() {
    let (mut d, mut pt, out) = setup(CoreSettings::new(1));
    // Client 1000 -> server 80 (the frame helper orders addresses by port).
    feed(&mut d, &mut pt, &frame(6, 1000, 80, 0x02, 100), 0);
    feed(&mut d, &mut pt, &frame(6, 80, 1000, 0x12, 500), 0);
    feed(&mut d, &mut pt, &frame(6, 1000, 80, 0x11, 101), 1);
    feed(&mut d, &mut pt, &frame(6, 80, 1000, 0x11, 501), 1);
    feed(&mut d, &mut pt, &frame(6, 1000, 80, 0x10, 102), 1);
    assert!(out.lock().unwrap().is_empty());
    // Time passes beyond tcpClosingTimeout (5 s) on another session.
    feed(&mut d, &mut pt, &frame(17, 3000, 53, 0, 0), 7);
    feed(&mut d, &mut pt, &frame(17, 3000, 53, 0, 0), 8);
    let o = out.lock().unwrap();
    assert_eq!(o.len(), 1);
    assert_eq!(o[0].ports, (1000, 80));
    assert_eq!(o[0].packets, [3, 2]);
    assert!(o[0].closing);
}

#[test]
fn swapped_lookup_tables_apply_without_stopping_the_thread() {
    let (mut d, mut pt, out, lookups) = setup_with_lookups(CoreSettings::new(1));
    let eth = |sport: u16| {
        let mut f = vec![0, 0x11, 0x22, 0, 0, 1, 0, 0x11, 0x22, 0, 0, 2, 0x08, 0x00];
        f.extend_from_slice(&frame(17, sport, 53, 0, 0));
        f
    };
    let feed_eth = |d: &mut Decoder, pt: &mut PacketThread, sport: u16| {
        let p = d
            .enqueue(Packet::from_bytes(&eth(sport), 1, 1, 0))
            .expect("decodes");
        pt.process_commands();
        pt.process_packet(p);
    };
    feed_eth(&mut d, &mut pt, 1000);
    let t = tempfile::tempdir().unwrap();
    let oui = t.path().join("oui.txt");
    std::fs::write(&oui, "00:11:22\tVend\tVendor Inc.\n").unwrap();
    let mut src = trawl_lookup::LookupSource::new(Some(oui), None, vec![], vec![], vec![]);
    lookups.store(Arc::new(src.load().unwrap()));
    feed_eth(&mut d, &mut pt, 2000);
    pt.flush_all();
    let o = out.lock().unwrap();
    let by_port = |p: u16| o.iter().find(|s| s.ports.0 == p).unwrap().oui.clone();
    assert_eq!(by_port(1000), None, "looked up before the swap");
    assert_eq!(by_port(2000).as_deref(), Some("Vendor Inc."));
}
