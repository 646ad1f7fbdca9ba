//! ERSPAN type II (ethertype 0x88be) and type III (0x22eb): the mirrored session's
//! VLAN, then the mirrored Ethernet frame.

use super::Cursor;
use crate::{DecodeTables, PacketMeta, PacketRc, ETHERTYPE_ETHER};

fn type2(
    t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    _uw: u32,
) -> PacketRc {
    let Some(h) = super::header::<8>(b, off, len) else {
        return PacketRc::Corrupt;
    };
    if h[0] >> 4 != 1 {
        return PacketRc::UnknownEther;
    }
    // Version (4 bits) and the mirrored session's VLAN (12 bits).
    m.vlan = u16::from_be_bytes([h[0], h[1]]) & 0xfff;
    t.run_ethernet_cb(b, m, off + 8, len - 8, ETHERTYPE_ETHER)
}

fn type3(
    t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    _uw: u32,
) -> PacketRc {
    let (Some(h), Some(d)) = (super::header::<12>(b, off, len), super::region(b, off, len)) else {
        return PacketRc::Corrupt;
    };
    if h[0] >> 4 != 2 {
        return PacketRc::UnknownEther;
    }
    let mut c = Cursor::new(d);
    m.vlan = c.u16() & 0xfff;
    c.skip(8);
    let sub = c.u16();
    if sub & 1 != 0 {
        c.skip(8);
    }
    if c.is_err() {
        return PacketRc::Corrupt;
    }
    t.run_ethernet_cb(b, m, off + c.pos(), c.remaining(), ETHERTYPE_ETHER)
}

pub(super) fn register(t: &mut DecodeTables) {
    t.set_ethernet_cb(0x88be, type2, 0);
    t.set_ethernet_cb(0x22eb, type3, 0);
}

#[cfg(test)]
mod tests {
    use crate::encap::test_util::*;
    use crate::PacketRc;

    #[test]
    fn erspan2_in_gre_sets_vlan_and_outer_mac() {
        let mut er = vec![0x10, 0x64, 0, 0, 0, 0, 0, 0];
        er.extend_from_slice(&ether(0x0800, &inner()));
        let mut gre = vec![0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 1];
        gre.extend_from_slice(&er);
        let frame = ether(0x0800, &ipv4(47, [10, 0, 0, 1], [10, 0, 0, 2], &gre));
        let (rc, m) = decode(&frame);
        assert_eq!(rc, PacketRc::DoProcess);
        assert_eq!(m.vlan, 100);
        assert_eq!(m.outer_ether_offset, 0);
        assert_eq!(m.ether_offset, 14 + 20 + 8 + 8);
        truncations_are_safe(&frame);
    }

    fn erspan3(subheader: u16, optional: bool) -> Vec<u8> {
        let mut er = vec![0x20, 0x2a, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8];
        er[10..12].copy_from_slice(&subheader.to_be_bytes());
        if optional {
            er.extend_from_slice(&[0xee; 8]);
        }
        er.extend_from_slice(&ether(0x0800, &inner()));
        ether(0x22eb, &er)
    }

    #[test]
    fn erspan3_with_and_without_platform_subheader() {
        for (sub, opt) in [(0u16, false), (1, true)] {
            let frame = erspan3(sub, opt);
            let (rc, m) = decode(&frame);
            assert_eq!(rc, PacketRc::DoProcess);
            assert_eq!(m.vlan, 42);
            assert_eq!(
                usize::from(m.ether_offset),
                14 + 12 + if opt { 8 } else { 0 }
            );
            assert_eq!(m.mprotocol, UDP);
            truncations_are_safe(&frame);
        }
    }

    #[test]
    fn wrong_versions_are_unknown_and_short_headers_corrupt() {
        let mut bad2 = vec![0x20, 0x64, 0, 0, 0, 0, 0, 0];
        bad2.extend_from_slice(&ether(0x0800, &inner()));
        assert_eq!(decode(&ether(0x88be, &bad2)).0, PacketRc::UnknownEther);
        let mut bad3 = erspan3(0, false);
        bad3[14] = 0x10;
        assert_eq!(decode(&bad3).0, PacketRc::UnknownEther);
        assert_eq!(
            decode(&ether(0x88be, &[0x10, 0, 0, 0, 0, 0, 0])).0,
            PacketRc::Corrupt
        );
        assert_eq!(decode(&ether(0x22eb, &[0x20; 11])).0, PacketRc::Corrupt);
    }

    #[test]
    fn gre_without_sequence_is_erspan_type1() {
        // Type I: GRE protocol 0x88be without the sequence bit, no ERSPAN header.
        let mut gre = vec![0x00, 0x00, 0x88, 0xbe];
        gre.extend_from_slice(&ether(0x0800, &inner()));
        let frame = ether(0x0800, &ipv4(47, [10, 0, 0, 1], [10, 0, 0, 2], &gre));
        let (rc, m) = decode(&frame);
        assert_eq!(rc, PacketRc::DoProcess);
        assert_eq!((m.ether_offset, m.vlan), (14 + 20 + 4, 0));
    }
}
