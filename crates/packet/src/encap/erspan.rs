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
    let Some(d) = b.get(off..off + len).filter(|d| d.len() >= 8) else {
        return PacketRc::Corrupt;
    };
    if d[0] >> 4 != 1 {
        return PacketRc::UnknownEther;
    }
    m.vlan = u16::from_be_bytes([d[0], d[1]]) & 0xfff;
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
    let Some(d) = b.get(off..off + len).filter(|d| d.len() >= 12) else {
        return PacketRc::Corrupt;
    };
    if d[0] >> 4 != 2 {
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
}
