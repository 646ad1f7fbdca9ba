//! MPLS (ethertype 0x8847): labels until the bottom of stack, then IPv4 or IPv6.

use crate::{
    tunnel, DecodeTables, PacketMeta, PacketRc, ETHERTYPE_IP, ETHERTYPE_IPV6, ETHERTYPE_MPLS,
};

fn enqueue(
    t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    mut off: usize,
    mut len: usize,
    _uw: u32,
) -> PacketRc {
    loop {
        if len < 24 {
            return PacketRc::Corrupt;
        }
        let Some(&label) = b.get(off + 2) else {
            return PacketRc::Corrupt;
        };
        off += 4;
        len -= 4;
        if label & 1 != 0 {
            m.tunnel |= tunnel::MPLS;
            return match b.get(off).map(|v| v >> 4) {
                Some(4) => t.run_ethernet_cb(b, m, off, len, ETHERTYPE_IP),
                Some(6) if len >= 40 => t.run_ethernet_cb(b, m, off, len, ETHERTYPE_IPV6),
                Some(6) => PacketRc::Corrupt,
                _ => PacketRc::UnknownEther,
            };
        }
    }
}

pub(super) fn register(t: &mut DecodeTables) {
    t.set_ethernet_cb(ETHERTYPE_MPLS, enqueue, 0);
}

#[cfg(test)]
mod tests {
    use crate::encap::test_util::*;
    use crate::{tunnel, PacketRc};

    #[test]
    fn two_labels_then_ipv4() {
        let mut p = vec![0, 0x10, 0x00, 64, 0, 0x20, 0x01, 64];
        p.extend_from_slice(&inner());
        let frame = ether(0x8847, &p);
        let (rc, m) = decode(&frame);
        assert_eq!(rc, PacketRc::DoProcess);
        assert_eq!(m.tunnel, tunnel::MPLS);
        assert_eq!(m.ip_offset, 14 + 8);
        truncations_are_safe(&frame);
    }

    #[test]
    fn one_label_then_ipv6() {
        let mut p = vec![0, 0x10, 0x01, 64];
        p.extend_from_slice(&inner6());
        let (rc, m) = decode(&ether(0x8847, &p));
        assert_eq!(rc, PacketRc::DoProcess);
        assert!(m.v6);
        assert_eq!(m.ip_offset, 14 + 4);
    }

    #[test]
    fn unknown_payload_and_short_stacks() {
        let mut p = vec![0, 0x10, 0x01, 64];
        p.extend_from_slice(&[0x55; 40]);
        let (rc, m) = decode(&ether(0x8847, &p));
        assert_eq!(rc, PacketRc::UnknownEther);
        assert_eq!(m.tunnel, tunnel::MPLS);
        // Labels without a bottom of stack run out of bytes.
        assert_eq!(decode(&ether(0x8847, &[0; 40])).0, PacketRc::Corrupt);
        // An IPv6 version nibble with fewer than 40 bytes behind it.
        let mut p = vec![0, 0x10, 0x01, 64];
        p.extend_from_slice(&[0x60; 30]);
        assert_eq!(decode(&ether(0x8847, &p)).0, PacketRc::Corrupt);
    }
}
