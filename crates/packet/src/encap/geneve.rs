//! Geneve (UDP 6081).

use crate::{tunnel, DecodeTables, PacketMeta, PacketRc};

fn enqueue(
    t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    _uw: u32,
) -> PacketRc {
    // Arkime wants more than the fixed 8 bytes.
    let Some(h) = super::header::<8>(b, off, len).filter(|_| len > 8) else {
        return PacketRc::UnknownIp;
    };
    if h[0] & 0xc0 != 0 || h[1] & 0x3f != 0 {
        return PacketRc::UnknownIp;
    }
    let proto = u16::from_be_bytes([h[2], h[3]]);
    m.vni = u32::from_be_bytes([0, h[4], h[5], h[6]]);
    let hl = 8 + usize::from(h[0] & 0x3f) * 4;
    if hl > len || proto == 0 {
        // Options past the end, or protocol 0 (no ethertype; not Ethernet).
        return PacketRc::UnknownIp;
    }
    m.tunnel |= tunnel::GENEVE;
    t.run_ethernet_cb(b, m, off + hl, len - hl, proto)
}

pub(super) fn register(t: &mut DecodeTables) {
    t.set_udpport_enqueue_cb(6081, enqueue, 0);
}

#[cfg(test)]
mod tests {
    use crate::encap::test_util::*;
    use crate::{tunnel, PacketRc};

    #[test]
    fn geneve_with_options_carries_ethernet() {
        let mut g = vec![0x01, 0, 0x65, 0x58, 0, 0, 9, 0, 1, 2, 3, 4];
        g.extend_from_slice(&ether(0x0800, &inner()));
        let frame = ether(
            0x0800,
            &ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], &udp(5555, 6081, &g)),
        );
        let (rc, m) = decode(&frame);
        assert_eq!(rc, PacketRc::DoProcess);
        assert_eq!((m.vni, m.tunnel), (9, tunnel::GENEVE));
        assert_eq!(m.ether_offset, 14 + 20 + 8 + 12);
        truncations_are_safe(&frame);
    }

    #[test]
    fn protocol_zero_and_overlong_options_stay_plain_udp() {
        let mut g = vec![0x00, 0, 0, 0, 0, 0, 9, 0];
        g.extend_from_slice(&inner());
        let frame = ether(
            0x0800,
            &ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], &udp(5555, 6081, &g)),
        );
        let (rc, m) = decode(&frame);
        assert_eq!(rc, PacketRc::DoProcess);
        assert_eq!((m.mprotocol, m.ip_offset, m.tunnel), (UDP, 14, 0));

        // 63 words of options do not fit.
        let mut g = vec![0x3f, 0, 0x08, 0x00, 0, 0, 9, 0];
        g.extend_from_slice(&inner());
        let frame = ether(
            0x0800,
            &ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], &udp(5555, 6081, &g)),
        );
        let (rc, m) = decode(&frame);
        assert_eq!((rc, m.mprotocol, m.tunnel), (PacketRc::DoProcess, UDP, 0));
    }

    #[test]
    fn geneve_carries_ipv4_by_ethertype() {
        let mut g = vec![0x00, 0, 0x08, 0x00, 0x01, 0x02, 0x03, 0];
        g.extend_from_slice(&inner());
        let frame = ether(
            0x0800,
            &ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], &udp(5555, 6081, &g)),
        );
        let (rc, m) = decode(&frame);
        assert_eq!(rc, PacketRc::DoProcess);
        assert_eq!(
            (m.vni, m.ip_offset, m.outer_ip_offset),
            (0x010203, 14 + 20 + 8 + 8, 14)
        );
    }
}
