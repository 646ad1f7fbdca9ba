//! The special-protocol mprotocols (ARP, SCTP, ESP, IGMP, PIM, LLDP, OSPF, IS-IS, XID,
//! ES-IS, DHCP, DHCPv6) on hand-built frames: the enqueue phase through the decoder
//! (mprotocol, offsets, session id), then the packet thread (protocols, direction,
//! data bytes, fields and tags), plus truncated and malformed variants.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use trawl_fields::{FieldRegistry, FieldValue};
use trawl_packet::{DecodeTables, DecoderOptions, Packet, PacketMeta, PacketRc, ETHERTYPE_XID};
use trawl_session::parsers::Classifiers;
use trawl_session::{register_builtin, CoreSettings, MProtocols, Session, SessionSink, Shared};
use trawl_testkit::run::Harness;
use trawl_testkit::wire;

/// What a saved session looked like.
#[derive(Clone, Debug, Default)]
struct Doc {
    mprotocol: String,
    ports: (u16, u16),
    addrs: (Option<IpAddr>, Option<IpAddr>),
    ip_protocol: u8,
    packets: [u32; 2],
    databytes: [u64; 2],
    first_bytes: [Vec<u8>; 2],
    stop_saving: u32,
    closing: bool,
    /// Field values by expression ("protocols", "tags", "ospf.msgType", ...).
    fields: BTreeMap<String, Vec<String>>,
}

impl Doc {
    fn values(&self, expr: &str) -> Vec<&str> {
        self.fields
            .get(expr)
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }
}

fn strings(v: &FieldValue) -> Vec<String> {
    let mut out: Vec<String> = match v {
        FieldValue::Int(n) => vec![n.to_string()],
        FieldValue::IntList(l) => l.iter().map(u32::to_string).collect(),
        FieldValue::IntSet(s) => s.as_slice().iter().map(u32::to_string).collect(),
        FieldValue::Str(s) => vec![s.clone()],
        FieldValue::StrList(l) => l.clone(),
        FieldValue::StrSet(s) => s.as_slice().to_vec(),
        FieldValue::Ip(ip) => vec![ip.to_string()],
        FieldValue::IpSet(s) => s.as_slice().iter().map(IpAddr::to_string).collect(),
        FieldValue::FloatList(l) => l.iter().map(f64::to_string).collect(),
        FieldValue::Objects(v) => v.clone(),
    };
    out.sort();
    out
}

struct Collect(Arc<Mutex<Vec<Doc>>>);

impl SessionSink for Collect {
    fn save(&mut self, shared: &Shared, s: &mut Session, _final: bool) {
        let mut fields = BTreeMap::new();
        for id in s.fields.present() {
            if let (Some(def), Some(v)) = (shared.fields.get(id), s.fields.get(id)) {
                fields.insert(def.expression.clone(), strings(v));
            }
        }
        let ip = s.ip_protocol != 0;
        self.0.lock().unwrap().push(Doc {
            mprotocol: shared
                .mprotocols
                .get(s.mprotocol)
                .map_or(String::new(), |m| m.name.to_string()),
            ports: (s.port1, s.port2),
            addrs: (ip.then(|| s.src_ip()), ip.then(|| s.dst_ip())),
            ip_protocol: s.ip_protocol,
            packets: s.flows.each_ref().map(|f| f.packets),
            databytes: s.flows.each_ref().map(|f| f.databytes),
            first_bytes: s.flows.each_ref().map(|f| f.first_bytes().to_vec()),
            stop_saving: s.stop_saving,
            closing: s.closing,
            fields,
        });
    }
}

struct Rig {
    h: Harness,
    out: Arc<Mutex<Vec<Doc>>>,
}

impl Rig {
    fn new(settings: CoreSettings) -> Rig {
        let out = Arc::new(Mutex::new(Vec::new()));
        let sink = Collect(Arc::clone(&out));
        let h = Harness::new(
            settings,
            |_: &mut Classifiers, _: &mut FieldRegistry| {},
            |_| Box::new(sink),
        );
        Rig { h, out }
    }

    fn esp() -> Rig {
        Rig::new(CoreSettings {
            track_esp: true,
            ..CoreSettings::default()
        })
    }

    fn mp(&self, name: &str) -> u8 {
        self.h
            .shared()
            .mprotocols
            .id(name)
            .unwrap_or_else(|| panic!("{name} is registered"))
    }

    /// The enqueue phase alone.
    fn enqueue(&mut self, frame: &[u8]) -> Option<Packet> {
        self.h
            .decoder
            .enqueue(Packet::from_bytes(frame, 1, 1_000, 0))
    }

    /// Both phases; panics if the frame does not decode.
    fn feed(&mut self, frame: &[u8], sec: u32) -> PacketMeta {
        self.h.feed(frame, 1, sec).expect("decodes")
    }

    /// Saves every session and returns what was saved, sorted by mprotocol.
    fn docs(&mut self) -> Vec<Doc> {
        self.h.flush();
        let mut d = self.out.lock().unwrap().clone();
        d.sort_by(|a, b| a.mprotocol.cmp(&b.mprotocol).then(a.ports.cmp(&b.ports)));
        d
    }

    /// Every prefix of `frame` goes through both phases without panicking.
    fn truncations_are_safe(&mut self, frame: &[u8]) {
        for n in 0..frame.len() {
            self.h.feed(&frame[..n], 1, 2_000);
        }
        self.h.flush();
    }
}

const MAC_A: [u8; 6] = [0x00, 0x1d, 0x09, 0xf0, 0x92, 0xab];
const MAC_B: [u8; 6] = [0x00, 0x1a, 0x6b, 0x6c, 0x0c, 0xcc];

fn ether(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    wire::ethernet(src, dst, ethertype, payload)
}

/// An 802.3 frame: the length field, then `llc_and_data`.
fn ieee8023(dst: [u8; 6], src: [u8; 6], llc_and_data: &[u8]) -> Vec<u8> {
    ether(dst, src, llc_and_data.len() as u16, llc_and_data)
}

/// fe80::`last`.
fn link_local(last: u8) -> IpAddr {
    let mut a = [0u8; 16];
    a[..2].copy_from_slice(&[0xfe, 0x80]);
    a[15] = last;
    IpAddr::from(a)
}

/// An IPv6 packet between fe80::`src` and fe80::`dst` with a UDP datagram.
fn udp6(src: u8, dst: u8, sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let (s, d) = (link_local(src), link_local(dst));
    wire::ip(s, d, 17, 0, &wire::udp(s, sport, d, dport, data))
}

/// An Ethernet frame with an IPv4 packet of protocol `proto`.
fn ip4_frame(proto: u8, src: [u8; 4], dst: [u8; 4], payload: &[u8]) -> Vec<u8> {
    ether(
        MAC_B,
        MAC_A,
        0x0800,
        &wire::ipv4(src, dst, proto, 1, payload),
    )
}

/// An Ethernet frame with an IPv4 packet with a UDP datagram.
fn udp4_frame(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let udp = wire::udp(src.into(), sport, dst.into(), dport, data);
    ip4_frame(17, src, dst, &udp)
}

// ------------------------------------------------------------------------------ ARP

fn arp(op: u8, sha: [u8; 6], spa: [u8; 4], tha: [u8; 6], tpa: [u8; 4]) -> Vec<u8> {
    let mut a = vec![0, 1, 8, 0, 6, 4, 0, op];
    a.extend_from_slice(&sha);
    a.extend_from_slice(&spa);
    a.extend_from_slice(&tha);
    a.extend_from_slice(&tpa);
    a
}

#[test]
fn arp_request_and_reply_share_the_session_of_the_asked_ip() {
    let mut r = Rig::new(CoreSettings::default());
    let asked = [10, 10, 10, 1];
    let req = ether(
        [0xff; 6],
        MAC_B,
        0x0806,
        &arp(1, MAC_B, [10, 10, 10, 2], [0; 6], asked),
    );
    let rep = ether(
        MAC_B,
        MAC_A,
        0x0806,
        &arp(2, MAC_A, asked, MAC_B, [10, 10, 10, 2]),
    );

    let m = r.feed(&req, 1);
    assert_eq!(m.mprotocol, r.mp("arp"));
    assert_eq!((m.payload_offset, m.payload_len), (14, 28));
    assert_eq!(
        m.session_id.as_bytes(),
        &[8, r.mp("arp"), 10, 10, 10, 1, 0, 0]
    );
    let m2 = r.feed(&rep, 1);
    assert_eq!(m2.session_id, m.session_id);

    let docs = r.docs();
    assert_eq!(docs.len(), 1);
    let d = &docs[0];
    assert_eq!(d.values("protocols"), ["arp"]);
    assert_eq!(d.values("arp.opcode"), ["1", "2"]);
    assert_eq!(d.values("arp.ip"), ["10.10.10.1"]);
    assert_eq!(d.values("arp.mac"), ["00:1d:09:f0:92:ab"]);
    assert_eq!((d.ip_protocol, d.addrs), (0, (None, None)));
    assert_eq!(d.packets[0] + d.packets[1], 2);
}

#[test]
fn malformed_and_truncated_arp_is_not_a_session() {
    let mut r = Rig::new(CoreSettings::default());
    let good = arp(1, MAC_B, [10, 10, 10, 2], [0; 6], [10, 10, 10, 1]);
    for (i, v) in [(4, 5u8), (1, 6), (7, 3)] {
        let mut bad = good.clone();
        bad[i] = v;
        assert!(r.enqueue(&ether([0xff; 6], MAC_B, 0x0806, &bad)).is_none());
    }
    assert!(r
        .enqueue(&ether([0xff; 6], MAC_B, 0x0806, &good[..27]))
        .is_none());
    assert_eq!(r.h.decoder.stats[PacketRc::Corrupt as usize], 4);
    r.truncations_are_safe(&ether([0xff; 6], MAC_B, 0x0806, &good));
    assert!(r.docs().iter().all(|d| d.mprotocol == "arp"));
}

// ----------------------------------------------------------------------------- SCTP

fn init(tsn: u32) -> Vec<u8> {
    let mut b = vec![0, 0, 0, 7, 0, 1, 0, 0, 0, 1, 0, 1];
    b.extend_from_slice(&tsn.to_be_bytes());
    wire::sctp_chunk(1, 0, &b)
}

/// A DATA chunk with its B/E `flags`, of stream 0.
fn data(tsn: u32, flags: u8, proto: u32, bytes: &[u8]) -> Vec<u8> {
    let mut c = wire::sctp_data(tsn, 0, 0, proto, bytes);
    c[1] = flags;
    c
}

fn sctp(sport: u16, dport: u16, chunks: &[Vec<u8>]) -> Vec<u8> {
    wire::sctp(sport, dport, 1, chunks)
}

const CLIENT: [u8; 4] = [10, 1, 0, 1];
const SERVER: [u8; 4] = [10, 1, 0, 2];

#[test]
fn sctp_session_direction_reassembly_and_close() {
    let mut r = Rig::new(CoreSettings::default());
    let c2s = |chunks: &[Vec<u8>]| ip4_frame(132, CLIENT, SERVER, &sctp(40000, 80, chunks));
    let s2c = |chunks: &[Vec<u8>]| ip4_frame(132, SERVER, CLIENT, &sctp(80, 40000, chunks));

    let m = r.feed(&c2s(&[init(100)]), 1);
    assert_eq!(m.mprotocol, r.mp("sctp"));
    assert_eq!(m.payload_offset, 14 + 20);
    r.feed(
        &s2c(&[wire::sctp_chunk(
            2,
            0,
            &[0, 0, 0, 9, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 50],
        )]),
        1,
    );
    // The end of a client message arrives before its beginning.
    r.feed(&c2s(&[data(101, 0x01, 46, b"lo world")]), 2);
    r.feed(&c2s(&[data(100, 0x02, 46, b"hel")]), 2);
    // An unfragmented server message.
    r.feed(&s2c(&[data(50, 0x03, 47, b"response")]), 3);
    // Arkime closes on chunk type 9.
    r.feed(&s2c(&[wire::sctp_chunk(9, 0, &[])]), 4);

    let docs = r.docs();
    assert_eq!(docs.len(), 1);
    let d = &docs[0];
    assert_eq!(d.mprotocol, "sctp");
    assert_eq!(d.values("protocols"), ["sctp"]);
    assert_eq!(d.ports, (40000, 80));
    assert_eq!(d.packets, [3, 3]);
    assert_eq!(d.first_bytes[0], b"hello wo");
    assert_eq!(d.first_bytes[1], b"response");
    assert_eq!(d.values("sctp.protoId"), ["46", "47"]);
    // Data bytes: each SCTP payload minus the 12-byte common header.
    let c2s_bytes = [
        init(100),
        data(101, 1, 46, b"lo world"),
        data(100, 2, 46, b"hel"),
    ]
    .iter()
    .map(|c| c.len() as u64)
    .sum::<u64>();
    assert_eq!(d.databytes[0], c2s_bytes);
    assert!(d.closing);
}

#[test]
fn short_sctp_is_corrupt_and_truncations_are_safe() {
    let mut r = Rig::new(CoreSettings::default());
    let short = ip4_frame(132, CLIENT, SERVER, &[0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
    assert!(r.enqueue(&short).is_none());
    assert_eq!(r.h.decoder.stats[PacketRc::Corrupt as usize], 1);
    // A chunk length under 4 or past the end stops the walk without harm.
    r.feed(
        &ip4_frame(
            132,
            CLIENT,
            SERVER,
            &sctp(1, 2, &[vec![0, 3, 0, 2], vec![0, 3, 0xff, 0xff]]),
        ),
        1,
    );
    let frame = ip4_frame(
        132,
        CLIENT,
        SERVER,
        &sctp(1, 2, &[init(5), data(5, 3, 1, b"abcdefgh")]),
    );
    r.truncations_are_safe(&frame);
    assert!(r.docs().iter().all(|d| d.mprotocol == "sctp"));
}

// ------------------------------------------------------------------------------ ESP

fn esp(spi: u32, seq: u32) -> Vec<u8> {
    let mut e = spi.to_be_bytes().to_vec();
    e.extend_from_slice(&seq.to_be_bytes());
    e.extend_from_slice(&[0xab; 32]);
    e
}

#[test]
fn esp_sessions_by_address_pair_stop_saving_after_one_packet() {
    let mut r = Rig::esp();
    let a = [10, 0, 0, 1];
    let b = [10, 0, 0, 2];
    let m = r.feed(&ip4_frame(50, a, b, &esp(7, 1)), 1);
    assert_eq!((m.mprotocol, m.ip_protocol), (r.mp("esp"), 50));
    assert_eq!(m.session_id.len(), 16);
    r.feed(&ip4_frame(50, b, a, &esp(8, 1)), 1);
    r.feed(&ip4_frame(50, a, b, &esp(7, 2)), 2);
    let docs = r.docs();
    assert_eq!(docs.len(), 1);
    let d = &docs[0];
    assert_eq!(d.values("protocols"), ["esp"]);
    assert_eq!(d.packets, [2, 1]);
    // Everything after the 8-byte SPI and sequence number.
    assert_eq!(d.databytes, [64, 32]);
    assert_eq!(d.stop_saving, 1);
    assert_eq!(d.values("tags"), ["truncated-pcap"]);
    assert_eq!(d.ports, (0, 0));
}

#[test]
fn esp_behind_ah_keeps_ip_protocol_51() {
    let mut r = Rig::esp();
    let mut ah = vec![50, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1];
    ah.extend_from_slice(&esp(7, 1));
    let m = r.feed(&ip4_frame(51, [10, 0, 0, 1], [10, 0, 0, 2], &ah), 1);
    assert_eq!((m.mprotocol, m.ip_protocol), (r.mp("esp"), 51));
    // Data bytes count from the IP payload (AH included), as Arkime's do.
    assert_eq!(m.payload_offset, 14 + 20);
    let docs = r.docs();
    assert_eq!(
        (docs[0].ip_protocol, docs[0].databytes[0]),
        (51, 12 + 40 - 8)
    );
}

#[test]
fn esp_without_track_esp_is_unknown_ip() {
    let mut r = Rig::new(CoreSettings::default());
    assert!(r.h.shared().mprotocols.id("esp").is_none());
    assert!(r
        .enqueue(&ip4_frame(50, [10, 0, 0, 1], [10, 0, 0, 2], &esp(7, 1)))
        .is_none());
    assert_eq!(r.h.decoder.stats[PacketRc::UnknownIp as usize], 1);
    let mut r = Rig::esp();
    r.truncations_are_safe(&ip4_frame(50, [10, 0, 0, 1], [10, 0, 0, 2], &esp(7, 1)));
}

// --------------------------------------------------- IGMP, PIM, LLDP, XID: one session

#[test]
fn igmp_and_pim_lump_every_packet_into_one_session_each() {
    let mut r = Rig::new(CoreSettings::default());
    let igmp = [0x16, 0, 0xfa, 0x04, 239, 1, 1, 1];
    let m = r.feed(&ip4_frame(2, [20, 0, 1, 100], [224, 0, 0, 22], &igmp), 1);
    assert_eq!(m.mprotocol, r.mp("igmp"));
    assert_eq!(m.session_id.as_bytes(), &[4, r.mp("igmp"), 0, 0]);
    assert_eq!((m.payload_offset, m.payload_len), (34, 8));
    let m2 = r.feed(&ip4_frame(2, [20, 0, 1, 7], [224, 0, 0, 1], &igmp), 2);
    assert_eq!(m2.session_id, m.session_id);

    let pim = [0x20, 0, 0, 0, 0, 1, 0, 2, 0, 105];
    let m = r.feed(&ip4_frame(103, [10, 0, 0, 1], [224, 0, 0, 13], &pim), 3);
    assert_eq!(m.session_id.as_bytes(), &[4, r.mp("pim"), 0, 0]);
    r.feed(&ip4_frame(103, [10, 0, 0, 2], [224, 0, 0, 13], &pim), 3);

    let docs = r.docs();
    assert_eq!(docs.len(), 2);
    assert_eq!(
        (docs[0].mprotocol.as_str(), docs[0].values("protocols")),
        ("igmp", vec!["igmp"])
    );
    assert_eq!(docs[0].packets[0] + docs[0].packets[1], 2);
    // The first packet's addresses are the session's.
    assert_eq!(docs[0].addrs.1, Some(IpAddr::from([224, 0, 0, 22])));
    assert_eq!(docs[0].ip_protocol, 2);
    assert_eq!(
        (docs[1].mprotocol.as_str(), docs[1].values("protocols")),
        ("pim", vec!["pim"])
    );
    // Even an empty IGMP payload is accepted, as in Arkime.
    let m = r.feed(&ip4_frame(2, [10, 0, 0, 1], [224, 0, 0, 1], &[]), 4);
    assert_eq!((m.mprotocol, m.payload_len), (r.mp("igmp"), 0));
}

#[test]
fn lldp_frames_share_one_session() {
    let mut r = Rig::new(CoreSettings::default());
    let lldp_mac = [0x01, 0x80, 0xc2, 0, 0, 0x0e];
    let tlvs = [0x02, 0x07, 0x04, 0, 1, 0x30, 0xf9, 0xad, 0xa0, 0, 0];
    let m = r.feed(&ether(lldp_mac, MAC_A, 0x88cc, &tlvs), 1);
    assert_eq!(m.mprotocol, r.mp("lldp"));
    assert_eq!((m.payload_offset, m.payload_len), (14, tlvs.len() as u32));
    r.feed(&ether(lldp_mac, MAC_B, 0x88cc, &tlvs), 2);
    let docs = r.docs();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].values("protocols"), ["lldp"]);
    assert_eq!(
        docs[0].values("mac.src"),
        ["00:1a:6b:6c:0c:cc", "00:1d:09:f0:92:ab"]
    );
    assert_eq!(docs[0].ip_protocol, 0);
}

#[test]
fn xid_frames_share_one_session_and_need_three_bytes() {
    let mut r = Rig::new(CoreSettings::default());
    // DSAP 0, SSAP 1 (response), control 0xaf (XID), then the XID information.
    let xid = [0x00, 0x01, 0xaf, 0x81, 0x01, 0x00];
    let m = r.feed(&ieee8023([0xff; 6], MAC_A, &xid), 1);
    assert_eq!(m.mprotocol, r.mp("xid"));
    assert_eq!((m.payload_offset, m.payload_len), (14, 6));
    assert_eq!(m.session_id.as_bytes(), &[4, r.mp("xid"), 0, 0]);
    r.feed(&ieee8023([0xff; 6], MAC_A, &xid), 2);
    let docs = r.docs();
    assert_eq!((docs.len(), docs[0].values("protocols")), (1, vec!["xid"]));

    // The 802.3 decoder always leaves at least 3 bytes; called directly with fewer,
    // the callback says corrupt.
    let mut tables = DecodeTables::new(DecoderOptions::default());
    let mut f = FieldRegistry::new();
    register_builtin(
        &mut MProtocols::new(),
        &mut tables,
        &mut f,
        &CoreSettings::default(),
    );
    let frame = ieee8023([0xff; 6], MAC_A, &xid);
    let mut meta = PacketMeta {
        linktype: 1,
        len: frame.len() as u32,
        ..PacketMeta::default()
    };
    assert_eq!(
        tables.run_ethernet_cb(&frame, &mut meta, 14, 2, ETHERTYPE_XID),
        PacketRc::Corrupt
    );
}

// ------------------------------------------------------------------ IS-IS and ES-IS

fn isis(pdu_type: u8, rest: &[u8]) -> Vec<u8> {
    // LLC (0xfe 0xfe 0x03), NLPID 0x83, length indicator, version, id length, type.
    let mut p = vec![0xfe, 0xfe, 0x03, 0x83, 0x1b, 0x01, 0x00, pdu_type];
    p.extend_from_slice(rest);
    ieee8023([0x01, 0x80, 0xc2, 0, 0, 0x15], MAC_A, &p)
}

#[test]
fn isis_records_pdu_types() {
    let mut r = Rig::new(CoreSettings::default());
    let m = r.feed(&isis(0x10, &[1, 0, 0, 0, 0, 0]), 1);
    assert_eq!(m.mprotocol, r.mp("isis"));
    // The payload starts after the NLPID.
    assert_eq!(m.payload_offset, 14 + 4);
    r.feed(&isis(0x14, &[]), 1);
    r.feed(&isis(0x19, &[]), 2);
    r.feed(&isis(0x1f, &[]), 2);
    // Three bytes of PDU: too short for the type.
    r.feed(
        &ieee8023(
            [0x01, 0x80, 0xc2, 0, 0, 0x15],
            MAC_A,
            &[0xfe, 0xfe, 0x03, 0x83, 0x1b, 1, 0],
        ),
        3,
    );
    let docs = r.docs();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].values("protocols"), ["isis"]);
    assert_eq!(
        docs[0].values("isis.msgType"),
        ["err-len-3", "l2-csnp", "l2-lsp", "lan-l2-hello", "unk-31"]
    );
    let mut r = Rig::new(CoreSettings::default());
    r.truncations_are_safe(&isis(0x10, &[1, 2, 3]));
}

#[test]
fn esis_records_pdu_types() {
    let mut r = Rig::new(CoreSettings::default());
    let m = r.feed(
        &ether([9, 0, 0x2b, 0, 0, 5], MAC_A, 0x890d, &[4, 1, 0, 0]),
        1,
    );
    assert_eq!((m.mprotocol, m.payload_offset), (r.mp("esis"), 14));
    r.feed(&ether([9, 0, 0x2b, 0, 0, 5], MAC_A, 0x890d, &[2]), 1);
    r.feed(&ether([9, 0, 0x2b, 0, 0, 5], MAC_A, 0x890d, &[9, 9]), 1);
    let docs = r.docs();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].values("protocols"), ["esis"]);
    assert_eq!(docs[0].values("esis.type"), ["esh", "ish", "unknown-9"]);
    assert_eq!(docs[0].packets[0] + docs[0].packets[1], 3);
}

// ----------------------------------------------------------------------------- OSPF

fn ospf(version: u8, ty: u8, router: [u8; 4], auth: u16) -> Vec<u8> {
    let mut o = vec![version, ty, 0, 44];
    o.extend_from_slice(&router);
    o.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    o.extend_from_slice(&auth.to_be_bytes());
    o.extend_from_slice(&[0; 28]);
    o
}

#[test]
fn ospf_records_type_router_area_and_auth_from_the_first_packets() {
    let mut r = Rig::new(CoreSettings::default());
    let a = [10, 0, 0, 1];
    let all = [224, 0, 0, 5];
    let m = r.feed(&ip4_frame(89, a, all, &ospf(2, 1, [172, 16, 0, 2], 0)), 1);
    assert_eq!(m.mprotocol, r.mp("ospf"));
    assert_eq!((m.payload_offset, m.payload_len), (34, 44));
    for i in 0..10 {
        r.feed(
            &ip4_frame(89, a, all, &ospf(2, 2, [172, 16, 0, 2], 0)),
            2 + i,
        );
    }
    // The twelfth packet is past the first ten: not looked at.
    r.feed(&ip4_frame(89, a, all, &ospf(2, 5, [172, 16, 0, 9], 1)), 20);
    // Another pair: version 2 with simple authentication, then a version it ignores.
    let b = [10, 0, 0, 2];
    r.feed(&ip4_frame(89, b, all, &ospf(2, 9, [172, 16, 0, 1], 1)), 21);
    r.feed(&ip4_frame(89, b, all, &ospf(4, 4, [1, 1, 1, 1], 0)), 21);
    // Too short for the common header.
    r.feed(
        &ip4_frame(89, b, all, &[2, 1, 0, 11, 1, 2, 3, 4, 5, 6, 7]),
        22,
    );

    let docs = r.docs();
    assert_eq!(docs.len(), 2);
    let (d1, d2) = if docs[0].addrs.0 == Some(IpAddr::from(a)) {
        (&docs[0], &docs[1])
    } else {
        (&docs[1], &docs[0])
    };
    assert_eq!(d1.values("protocols"), ["ospf"]);
    assert_eq!(d1.values("ospf.msgType"), ["DBDesc", "Hello"]);
    assert_eq!(d1.values("ospf.routerId"), ["172.16.0.2"]);
    assert_eq!(d1.values("ospf.areaId"), ["0.0.0.0"]);
    assert_eq!(d1.values("tags"), ["ospf:auth-null"]);
    assert_eq!(d1.packets[0], 12);
    assert_eq!(d2.values("ospf.msgType"), ["unk-9"]);
    assert_eq!(d2.values("ospf.routerId"), ["172.16.0.1"]);
    assert_eq!(d2.values("tags"), ["ospf:auth-simple"]);
    assert_eq!(d2.packets[0], 3);
    let mut r = Rig::new(CoreSettings::default());
    r.truncations_are_safe(&ip4_frame(89, a, all, &ospf(2, 1, [172, 16, 0, 2], 0)));
}

// ----------------------------------------------------------------------- DHCP, DHCPv6

fn bootp(op: u8, chaddr: [u8; 6]) -> Vec<u8> {
    let mut d = vec![0u8; 300];
    d[0] = op;
    d[1] = 1;
    d[2] = 6;
    d[4..8].copy_from_slice(&[0x12, 0x34, 0x56, 0x78]);
    d[28..34].copy_from_slice(&chaddr);
    d[236..240].copy_from_slice(&[0x63, 0x82, 0x53, 0x63]);
    d[240..243].copy_from_slice(&[53, 1, 1]);
    d[243] = 0xff;
    d
}

#[test]
fn dhcp_sessions_follow_the_client_mac() {
    let mut r = Rig::new(CoreSettings::default());
    let disc = udp4_frame([0, 0, 0, 0], [255, 255, 255, 255], 68, 67, &bootp(1, MAC_A));
    let m = r.feed(&disc, 1);
    assert_eq!(m.mprotocol, r.mp("dhcp"));
    assert_eq!((m.payload_offset, m.payload_len), (14 + 20 + 8, 300));
    let mut id = vec![8, r.mp("dhcp")];
    id.extend_from_slice(&MAC_A);
    assert_eq!(m.session_id.as_bytes(), &id[..]);
    // The server's answer, between other addresses, is the same session.
    let offer = udp4_frame([10, 0, 0, 1], [10, 0, 0, 50], 67, 68, &bootp(2, MAC_A));
    r.feed(&offer, 1);
    // Another client is another session.
    r.feed(
        &udp4_frame([0, 0, 0, 0], [255, 255, 255, 255], 68, 67, &bootp(1, MAC_B)),
        2,
    );

    let docs = r.docs();
    assert_eq!(docs.len(), 2);
    for d in &docs {
        assert_eq!(d.mprotocol, "dhcp");
        assert_eq!(d.values("protocols"), ["dhcp", "udp"]);
        assert_eq!(d.ports, (68, 67));
    }
    let both = docs
        .iter()
        .find(|d| d.packets == [1, 1])
        .expect("the MAC_A session");
    assert_eq!(both.databytes, [300, 300]);
}

#[test]
fn not_dhcp_on_the_dhcp_ports_is_plain_udp() {
    let mut r = Rig::new(CoreSettings::default());
    let udp_mp = r.mp("udp");
    let mut no_cookie = bootp(1, MAC_A);
    no_cookie[236] = 0;
    let mut bad_htype = bootp(1, MAC_A);
    bad_htype[1] = 6;
    let mut bad_op = bootp(3, MAC_A);
    bad_op[0] = 3;
    for payload in [
        no_cookie,
        bad_htype,
        bad_op,
        bootp(1, MAC_A)[..255].to_vec(),
    ] {
        let frame = udp4_frame([10, 0, 0, 9], [10, 0, 0, 1], 68, 67, &payload);
        let m = r.enqueue(&frame).expect("udp");
        assert_eq!((m.meta.mprotocol, m.meta.payload_offset), (udp_mp, 34));
    }
    r.truncations_are_safe(&udp4_frame([0; 4], [255; 4], 68, 67, &bootp(1, MAC_A)));
}

#[test]
fn dhcpv6_sessions_follow_the_transaction_id() {
    let mut r = Rig::new(CoreSettings::default());
    let mut solicit = vec![1, 0xab, 0xcd, 0xef];
    solicit.extend_from_slice(&[0, 8, 0, 2, 0, 0]);
    let m = r.feed(
        &ether(MAC_B, MAC_A, 0x86dd, &udp6(1, 2, 546, 547, &solicit)),
        1,
    );
    assert_eq!(m.mprotocol, r.mp("dhcpv6"));
    assert_eq!(m.payload_offset, 14 + 40 + 8);
    assert_eq!(
        m.session_id.as_bytes(),
        &[8, r.mp("dhcpv6"), 0xab, 0xcd, 0xef, 0, 0, 0]
    );
    // (The IP decoders call port callbacks only for more than 8 bytes of UDP payload.)
    let advertise = [2, 0xab, 0xcd, 0xef, 0, 8, 0, 2, 0, 0, 0, 0];
    r.feed(
        &ether(MAC_A, MAC_B, 0x86dd, &udp6(2, 1, 547, 546, &advertise)),
        1,
    );
    // Message types up to 21 are DHCPv6 (RECONFIGURE_REQUEST, 18, included); 22 is not.
    let m = r.feed(
        &ether(
            MAC_B,
            MAC_A,
            0x86dd,
            &udp6(1, 2, 546, 547, &[18, 0, 0, 1, 0, 8, 0, 2, 0, 0]),
        ),
        2,
    );
    assert_eq!(m.mprotocol, r.mp("dhcpv6"));
    let m = r.feed(
        &ether(
            MAC_B,
            MAC_A,
            0x86dd,
            &udp6(1, 2, 546, 547, &[22, 0, 0, 1, 0, 8, 0, 2, 0, 0]),
        ),
        2,
    );
    assert_eq!(m.mprotocol, r.mp("udp"));

    let docs = r.docs();
    let d = docs
        .iter()
        .find(|d| d.mprotocol == "dhcpv6" && d.packets == [1, 1])
        .expect("the 0xabcdef session");
    assert_eq!(d.values("protocols"), ["dhcpv6", "udp"]);
    assert_eq!(d.ports, (546, 547));
    assert_eq!(d.databytes, [10, 12]);
    assert!(d.addrs.0.is_some_and(|a| a.is_ipv6()));
    r.truncations_are_safe(&ether(
        MAC_B,
        MAC_A,
        0x86dd,
        &udp6(1, 2, 546, 547, &solicit),
    ));
}
