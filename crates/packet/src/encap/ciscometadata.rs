//! Cisco metadata (ethertype 0x8909): a 6-byte header then the real ethertype.

use crate::{DecodeTables, PacketMeta, PacketRc, ETHERTYPE_DETECT};

fn enqueue(
    t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    _uw: u32,
) -> PacketRc {
    if len < 8 || super::region(b, off, len).is_none() {
        return PacketRc::Corrupt;
    }
    t.run_ethernet_cb(b, m, off + 6, len - 6, ETHERTYPE_DETECT)
}

pub(super) fn register(t: &mut DecodeTables) {
    t.set_ethernet_cb(0x8909, enqueue, 0);
}

#[cfg(test)]
mod tests {
    use crate::encap::test_util::*;
    use crate::PacketRc;

    #[test]
    fn metadata_then_ipv4() {
        let mut p = vec![1, 1, 0, 1, 0, 2, 0x08, 0x00];
        p.extend_from_slice(&inner());
        let frame = ether(0x8909, &p);
        assert_eq!(decode(&frame).0, PacketRc::DoProcess);
        truncations_are_safe(&frame);
    }

    #[test]
    fn short_metadata_is_corrupt() {
        let frame = ether(0x8909, &[1, 1, 0, 1, 0, 2, 0x08]);
        assert_eq!(decode(&frame).0, PacketRc::Corrupt);
    }

    #[test]
    fn metadata_then_unknown_ethertype() {
        let mut p = vec![1, 1, 0, 1, 0, 2, 0x12, 0x34];
        p.extend_from_slice(&[0; 20]);
        assert_eq!(decode(&ether(0x8909, &p)).0, PacketRc::UnknownEther);
    }
}
