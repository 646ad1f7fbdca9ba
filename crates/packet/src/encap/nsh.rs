//! Network Service Header (ethertype 0x894f).

use crate::{
    DecodeTables, PacketMeta, PacketRc, ETHERTYPE_ETHER, ETHERTYPE_IP, ETHERTYPE_IPV6,
    ETHERTYPE_MPLS, ETHERTYPE_NSH,
};

fn enqueue(
    t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    _uw: u32,
) -> PacketRc {
    let Some(h) = super::header::<4>(b, off, len) else {
        return PacketRc::Corrupt;
    };
    // Length in 4-byte words, then the next protocol.
    let hl = usize::from(h[1] & 0x3f) * 4;
    if hl < 8 || len < hl {
        return PacketRc::Corrupt;
    }
    let ty = match h[3] {
        1 => ETHERTYPE_IP,
        2 => ETHERTYPE_IPV6,
        3 => ETHERTYPE_ETHER,
        4 => ETHERTYPE_NSH,
        5 => ETHERTYPE_MPLS,
        _ => return PacketRc::Corrupt,
    };
    t.run_ethernet_cb(b, m, off + hl, len - hl, ty)
}

pub(super) fn register(t: &mut DecodeTables) {
    t.set_ethernet_cb(ETHERTYPE_NSH, enqueue, 0);
}

#[cfg(test)]
mod tests {
    use crate::encap::test_util::*;
    use crate::PacketRc;

    #[test]
    fn nsh_then_ipv4() {
        let mut n = vec![0x00, 0x02, 0x01, 0x01, 0, 0, 1, 0xff];
        n.extend_from_slice(&inner());
        let frame = ether(0x894f, &n);
        let (rc, m) = decode(&frame);
        assert_eq!(rc, PacketRc::DoProcess);
        assert_eq!(m.ip_offset, 14 + 8);
        truncations_are_safe(&frame);
    }

    #[test]
    fn nsh_next_protocols() {
        // Next protocol 5: MPLS, then IPv4.
        let mut n = vec![0x00, 0x02, 0x01, 0x05, 0, 0, 1, 0xff, 0, 0x10, 0x01, 64];
        n.extend_from_slice(&inner());
        let (rc, m) = decode(&ether(0x894f, &n));
        assert_eq!(rc, PacketRc::DoProcess);
        assert_eq!(m.ip_offset, 14 + 8 + 4);
        // Next protocol 3: Ethernet.
        let mut n = vec![0x00, 0x02, 0x01, 0x03, 0, 0, 1, 0xff];
        n.extend_from_slice(&ether(0x0800, &inner()));
        let (rc, m) = decode(&ether(0x894f, &n));
        assert_eq!(rc, PacketRc::DoProcess);
        assert_eq!((m.outer_ether_offset, m.ether_offset), (0, 14 + 8));
    }

    #[test]
    fn bad_lengths_and_types_are_corrupt() {
        let mut n = vec![0x00, 0x01, 0x01, 0x01, 0, 0, 1, 0xff];
        n.extend_from_slice(&inner());
        assert_eq!(
            decode(&ether(0x894f, &n)).0,
            PacketRc::Corrupt,
            "length under 8"
        );
        n[1] = 0x3f;
        assert_eq!(
            decode(&ether(0x894f, &n)).0,
            PacketRc::Corrupt,
            "length past the end"
        );
        n[1] = 0x02;
        n[3] = 9;
        assert_eq!(
            decode(&ether(0x894f, &n)).0,
            PacketRc::Corrupt,
            "unknown next protocol"
        );
    }
}
