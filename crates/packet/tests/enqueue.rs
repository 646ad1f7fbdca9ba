//! The enqueue phase on hand-built packets: link layers, VLANs, IPv4/IPv6, TCP/UDP
//! validation, fragments, and corrupt input.

use std::sync::Arc;

use std::net::IpAddr;

use trawl_packet::{DecodeTables, Decoder, DecoderOptions, Packet, PacketRc};
use trawl_testkit::wire::{self, TcpHeader};

const TCP_MP: u8 = 5;
const UDP_MP: u8 = 6;

fn tables(opts: DecoderOptions) -> Arc<DecodeTables> {
    let mut t = DecodeTables::new(opts);
    t.set_tcp_udp_mprotocols(TCP_MP, UDP_MP);
    Arc::new(t)
}

fn decoder() -> Decoder {
    Decoder::new(tables(DecoderOptions::default()))
}

fn ipv4(proto: u8, src: [u8; 4], dst: [u8; 4], id: u16, frag: u16, payload: &[u8]) -> Vec<u8> {
    wire::ipv4_frag(src, dst, proto, id, frag, payload)
}

/// A TCP segment at sequence number 1.
fn tcp(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, flags: u8, data: &[u8]) -> Vec<u8> {
    let h = TcpHeader {
        sport,
        dport,
        seq: 1,
        ack: 0,
        flags,
        window: 0xffff,
    };
    wire::tcp(src.into(), dst.into(), h, data)
}

fn udp(
    src: impl Into<IpAddr>,
    dst: impl Into<IpAddr>,
    sport: u16,
    dport: u16,
    data: &[u8],
) -> Vec<u8> {
    wire::udp(src.into(), sport, dst.into(), dport, data)
}

fn ether(ethertype: u16, vlans: &[u16], payload: &[u8]) -> Vec<u8> {
    let (dst, src) = ([0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]);
    wire::ethernet_vlan(src, dst, vlans, ethertype, payload)
}

/// 2001:db8::`last`.
fn doc6(last: u8) -> [u8; 16] {
    let mut a = [0u8; 16];
    a[..4].copy_from_slice(&[0x20, 1, 0x0d, 0xb8]);
    a[15] = last;
    a
}

/// fe80::`last`.
fn link6(last: u8) -> [u8; 16] {
    let mut a = [0u8; 16];
    a[..2].copy_from_slice(&[0xfe, 0x80]);
    a[15] = last;
    a
}

#[test]
fn ethernet_vlan_ipv4_tcp() {
    let mut d = decoder();
    let ip = ipv4(
        6,
        [10, 0, 0, 1],
        [10, 0, 0, 2],
        1,
        0,
        &tcp([10, 0, 0, 1], [10, 0, 0, 2], 1234, 80, 0x02, b""),
    );
    let p = d
        .enqueue(Packet::from_bytes(
            &ether(0x0800, &[100, 200], &ip),
            1,
            1,
            0,
        ))
        .expect("processed");
    let m = &p.meta;
    assert_eq!(m.mprotocol, TCP_MP);
    assert_eq!(m.ip_protocol, 6);
    assert_eq!(m.ether_offset, 0);
    assert_eq!(m.ip_offset, 22);
    assert_eq!(m.payload_offset, 42);
    assert_eq!(m.payload_len, 20);
    assert_eq!(m.vlan, 100, "the first VLAN tag is the packet's VLAN");
    assert!(m.vlan_copy);
    assert!(!m.v6);
    assert_eq!(m.session_id.len(), 16);
    assert_ne!(m.hash, 0);
    assert_eq!(d.stats[PacketRc::DoProcess as usize], 1);
}

#[test]
fn both_directions_share_a_hash() {
    let mut d = decoder();
    let a = ipv4(
        17,
        [10, 0, 0, 1],
        [10, 0, 0, 2],
        1,
        0,
        &udp([10, 0, 0, 1], [10, 0, 0, 2], 5000, 53, b"q"),
    );
    let b = ipv4(
        17,
        [10, 0, 0, 2],
        [10, 0, 0, 1],
        2,
        0,
        &udp([10, 0, 0, 2], [10, 0, 0, 1], 53, 5000, b"r"),
    );
    let pa = d.enqueue(Packet::from_bytes(&a, 228, 1, 0)).expect("a");
    let pb = d.enqueue(Packet::from_bytes(&b, 228, 1, 0)).expect("b");
    assert_eq!(pa.meta.mprotocol, UDP_MP);
    assert_eq!(pa.meta.session_id, pb.meta.session_id);
    assert_eq!(pa.meta.hash, pb.meta.hash);
}

#[test]
fn null_and_sll_link_types() {
    let mut d = decoder();
    let ip = ipv4(
        17,
        [1, 1, 1, 1],
        [2, 2, 2, 2],
        1,
        0,
        &udp([1, 1, 1, 1], [2, 2, 2, 2], 1, 2, b"x"),
    );
    let mut null = vec![2, 0, 0, 0];
    null.extend_from_slice(&ip);
    assert!(d.enqueue(Packet::from_bytes(&null, 0, 1, 0)).is_some());
    let mut sll = vec![0, 0, 0, 1, 0, 6, 0, 1, 2, 3, 4, 5, 0, 0, 0x08, 0x00];
    sll.extend_from_slice(&ip);
    let p = d.enqueue(Packet::from_bytes(&sll, 113, 1, 0)).expect("sll");
    assert_eq!(p.meta.ip_offset, 16);
}

#[test]
fn ipv6_with_hop_by_hop_then_udp() {
    let mut d = decoder();
    // A hop-by-hop header (next header UDP, 8 bytes of padding), then UDP.
    let mut hbh = vec![17, 0, 0, 0, 0, 0, 0, 0];
    hbh.extend_from_slice(&udp(doc6(1), doc6(2), 1000, 2000, b"hello"));
    let ip6 = wire::ipv6(doc6(1), doc6(2), 0, &hbh);
    let p = d
        .enqueue(Packet::from_bytes(&ether(0x86dd, &[], &ip6), 1, 1, 0))
        .expect("v6");
    assert!(p.meta.v6);
    assert_eq!(p.meta.ip_protocol, 17);
    assert_eq!(p.meta.payload_offset, 14 + 40 + 8);
    assert_eq!(p.meta.session_id.len(), 40);
}

#[test]
fn fragments_are_reassembled_in_any_order() {
    let mut d = decoder();
    let payload = udp([10, 0, 0, 1], [10, 0, 0, 2], 7, 9, &[0xab; 40]);
    let (first, second) = payload.split_at(24);
    let f1 = ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], 77, 0x2000, first);
    let f2 = ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], 77, 3, second);
    assert!(d
        .enqueue(Packet::from_bytes(&ether(0x0800, &[], &f1), 1, 5, 0))
        .is_none());
    let p = d
        .enqueue(Packet::from_bytes(&ether(0x0800, &[], &f2), 1, 6, 0))
        .expect("whole datagram");
    assert!(p.meta.was_frag);
    assert_eq!(p.meta.mprotocol, UDP_MP);
    assert_eq!(p.payload().len(), payload.len());
    assert_eq!(&p.payload()[8..], &[0xab; 40]);
    assert_eq!(
        p.meta.ts_sec, 6,
        "the rebuilt packet has the completing fragment's time"
    );
    assert_eq!(d.frag_stats().reassembled, 1);
    assert_eq!(d.frag_stats().pending, 0);
}

#[test]
fn a_hole_keeps_fragments_waiting() {
    let mut d = decoder();
    let f1 = ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], 5, 0x2000, &[0; 16]);
    let f3 = ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], 5, 4, &[0; 8]);
    assert!(d
        .enqueue(Packet::from_bytes(&ether(0x0800, &[], &f1), 1, 1, 0))
        .is_none());
    assert!(d
        .enqueue(Packet::from_bytes(&ether(0x0800, &[], &f3), 1, 1, 0))
        .is_none());
    assert_eq!(d.frag_stats().pending, 1);
}

#[test]
fn corrupt_packets_are_counted_not_panicking() {
    let mut d = decoder();
    let good = ether(
        0x0800,
        &[7],
        &ipv4(
            6,
            [10, 0, 0, 1],
            [10, 0, 0, 2],
            1,
            0,
            &tcp([10, 0, 0, 1], [10, 0, 0, 2], 1, 2, 0x10, b"data"),
        ),
    );
    // Every truncation of a good packet decodes without panicking; most are corrupt.
    for n in 0..good.len() {
        let _ = d.enqueue(Packet::from_bytes(&good[..n], 1, 1, 0));
    }
    // A TCP data offset past the packet is corrupt.
    let mut bad = good.clone();
    bad[18 + 20 + 12] = 0xf0;
    assert!(d.enqueue(Packet::from_bytes(&bad, 1, 1, 0)).is_none());
    assert!(d.stats[PacketRc::Corrupt as usize] > 10);
    // Every link type with garbage.
    for lt in [
        0u32, 1, 12, 101, 107, 113, 127, 228, 229, 239, 274, 276, 9999,
    ] {
        for len in [5usize, 20, 60] {
            let junk: Vec<u8> = (0..len).map(|i| (i * 37 + lt as usize) as u8).collect();
            let _ = d.enqueue(Packet::from_bytes(&junk, lt, 1, 0));
        }
    }
}

#[test]
fn unknown_ethertype_is_counted() {
    let mut d = decoder();
    assert!(d
        .enqueue(Packet::from_bytes(&ether(0x88b5, &[], &[0; 30]), 1, 1, 0))
        .is_none());
    assert_eq!(d.stats[PacketRc::UnknownEther as usize], 1);
}

fn udp_ip() -> Vec<u8> {
    ipv4(
        17,
        [10, 9, 9, 1],
        [10, 9, 9, 2],
        1,
        0,
        &udp([10, 9, 9, 1], [10, 9, 9, 2], 4000, 53, b"query"),
    )
}

fn decode_link(linktype: u32, frame: &[u8]) -> Option<Packet> {
    decoder().enqueue(Packet::from_bytes(frame, linktype, 1, 0))
}

#[test]
fn sll2_link_type() {
    let mut f = vec![
        0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
    ];
    f.extend_from_slice(&udp_ip());
    let p = decode_link(276, &f).expect("sll2");
    assert_eq!((p.meta.ip_offset, p.meta.mprotocol), (20, UDP_MP));
}

#[test]
fn frame_relay_with_nlpid_ip() {
    let mut f = vec![0x18, 0x41, 0x03, 0xcc];
    f.extend_from_slice(&udp_ip());
    let p = decode_link(107, &f).expect("frame relay");
    assert_eq!(p.meta.ip_offset, 4);
}

#[test]
fn nflog_finds_the_payload_tlv() {
    // family AF_INET, version 0, resource id; then a prefix TLV and the payload TLV (type 9).
    let mut f = vec![2, 0, 0, 1];
    f.extend_from_slice(&[8, 0, 10, 0, b'f', b'w', 0, 0]);
    let ip = udp_ip();
    f.extend_from_slice(&((ip.len() + 4) as u16).to_le_bytes());
    f.extend_from_slice(&[9, 0]);
    f.extend_from_slice(&ip);
    let p = decode_link(239, &f).expect("nflog");
    assert_eq!(p.meta.ip_offset, 16);
    assert!(
        decode_link(239, &[7, 0, 0, 0, 4, 0, 9, 0, 1, 2, 3, 4, 5, 6]).is_none(),
        "unknown family"
    );
}

#[test]
fn radiotap_80211_data_with_snap() {
    let mut f = vec![0, 0, 8, 0, 0, 0, 0, 0]; // radiotap header, 8 bytes
    f.push(8); // data frame
    f.extend_from_slice(&[0; 23]); // rest of the 24-byte 802.11 header
    f.extend_from_slice(&[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00]);
    f.extend_from_slice(&udp_ip());
    let p = decode_link(127, &f).expect("radiotap");
    assert_eq!(p.meta.ip_offset, 8 + 24 + 8);
}

#[test]
fn raw_ipv6_and_null_ipv6() {
    let u = udp(link6(1), link6(2), 1000, 2000, b"x");
    let ip6 = wire::ipv6(link6(1), link6(2), 17, &u);
    assert!(decode_link(229, &ip6).expect("raw v6").meta.v6);
    assert!(
        decode_link(101, &ip6)
            .expect("linktype raw, version nibble 6")
            .meta
            .v6
    );
    let mut null = vec![30, 0, 0, 0];
    null.extend_from_slice(&ip6);
    assert!(decode_link(0, &null).expect("null v6").meta.v6);
}

#[test]
fn ipv6_in_ipv4_records_the_outer_header() {
    let u = udp(doc6(1), doc6(2), 1000, 2000, b"x");
    let ip6 = wire::ipv6(doc6(1), doc6(2), 17, &u);
    let outer = ipv4(41, [192, 0, 2, 1], [192, 0, 2, 2], 1, 0, &ip6);
    let p = decode_link(228, &outer).expect("6in4");
    assert!(p.meta.v6 && !p.meta.outer_v6);
    assert_eq!((p.meta.outer_ip_offset, p.meta.ip_offset), (0, 20));
}

#[test]
fn unsupported_link_type_is_corrupt_not_a_panic() {
    assert!(!DecodeTables::supports_linktype(147));
    let mut d = decoder();
    assert!(d
        .enqueue(Packet::from_bytes(&udp_ip(), 147, 1, 0))
        .is_none());
    assert_eq!(d.stats[PacketRc::Corrupt as usize], 1);
}

/// An IPv6 packet whose payload is a fragment header then `data`.
fn ip6_fragment(ident: u32, offset_units: u16, more: bool, next: u8, data: &[u8]) -> Vec<u8> {
    let mut frag = vec![next, 0];
    frag.extend_from_slice(&((offset_units << 3) | u16::from(more)).to_be_bytes());
    frag.extend_from_slice(&ident.to_be_bytes());
    frag.extend_from_slice(data);
    ether(0x86dd, &[], &wire::ipv6(doc6(1), doc6(2), 44, &frag))
}

#[test]
fn ipv6_fragments_are_reassembled_when_enabled() {
    let mut d = Decoder::new(tables(DecoderOptions {
        enable_ip6_defrag: true,
        ..Default::default()
    }));
    let dgram = udp(doc6(1), doc6(2), 3000, 4000, &[0x5a; 40]);
    let (a, b) = dgram.split_at(16);
    // Second half first.
    assert!(d
        .enqueue(Packet::from_bytes(
            &ip6_fragment(9, 2, false, 17, b),
            1,
            1,
            0
        ))
        .is_none());
    let p = d
        .enqueue(Packet::from_bytes(
            &ip6_fragment(9, 0, true, 17, a),
            1,
            2,
            0,
        ))
        .expect("whole");
    assert!(p.meta.v6 && p.meta.was_frag);
    assert_eq!(p.meta.mprotocol, UDP_MP);
    assert_eq!(p.meta.ip_protocol, 17);
    assert_eq!(p.payload(), dgram.as_slice());
    assert_eq!(
        p.bytes().len(),
        14 + 40 + dgram.len(),
        "the fragment header is gone"
    );
    // An atomic fragment (offset 0, no more) is whole at once.
    let p = d
        .enqueue(Packet::from_bytes(
            &ip6_fragment(10, 0, false, 17, &dgram),
            1,
            3,
            0,
        ))
        .expect("atomic");
    assert_eq!(p.payload(), dgram.as_slice());
}

#[test]
fn ipv6_fragments_are_dropped_as_arkime_drops_them_by_default() {
    let mut d = decoder();
    let frame = ip6_fragment(11, 0, false, 17, &udp(doc6(1), doc6(2), 1, 2, b"x"));
    assert!(d.enqueue(Packet::from_bytes(&frame, 1, 1, 0)).is_none());
    assert_eq!(d.stats[PacketRc::UnknownIp as usize], 1);
}
