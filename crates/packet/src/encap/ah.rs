//! IPsec AH (IP protocol 51): skipped, decoding continues with the next protocol.

use crate::{DecodeTables, PacketMeta, PacketRc};

fn enqueue(
    t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    _uw: u32,
) -> PacketRc {
    // Next header, then the payload length in 32-bit words minus 2.
    let Some([next, plen]) = super::header::<2>(b, off, len) else {
        return PacketRc::Corrupt;
    };
    let hl = (usize::from(plen) + 2) * 4;
    if hl >= len {
        return PacketRc::Corrupt;
    }
    t.run_ip_cb(b, m, off + hl, len - hl, next)
}

pub(super) fn register(t: &mut DecodeTables) {
    t.set_ip_cb(51, enqueue, 0);
}

#[cfg(test)]
mod tests {
    use crate::encap::test_util::*;
    use crate::PacketRc;

    #[test]
    fn ah_then_unknown_protocol() {
        let mut ah = vec![50, 4, 0, 0];
        ah.extend_from_slice(&[0; 20]);
        ah.extend_from_slice(&[0xaa; 16]);
        let frame = ether(0x0800, &ipv4(51, [10, 0, 0, 1], [10, 0, 0, 2], &ah));
        assert_eq!(decode(&frame).0, PacketRc::UnknownIp);
        truncations_are_safe(&frame);
    }

    #[test]
    fn header_length_past_the_end_is_corrupt() {
        // Payload length 4 means a 24-byte header, but only 8 bytes follow.
        let frame = ether(
            0x0800,
            &ipv4(51, [10, 0, 0, 1], [10, 0, 0, 2], &[50, 4, 0, 0, 1, 2, 3, 4]),
        );
        assert_eq!(decode(&frame).0, PacketRc::Corrupt);
        let frame = ether(0x0800, &ipv4(51, [10, 0, 0, 1], [10, 0, 0, 2], &[50]));
        assert_eq!(decode(&frame).0, PacketRc::Corrupt);
    }

    #[test]
    fn ah_hands_on_through_the_ip_callbacks_only() {
        // AH (next header 4, payload length 1: a 12-byte header) before an IPv4 packet.
        // As in Arkime, AH continues through the IP protocol callbacks, and IP-in-IP is
        // not one of them (the IP decoders handle it themselves): unknown IP.
        let mut ah = vec![4, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2];
        ah.extend_from_slice(&inner());
        let frame = ether(0x0800, &ipv4(51, [10, 0, 0, 1], [10, 0, 0, 2], &ah));
        let (rc, m) = decode(&frame);
        assert_eq!(rc, PacketRc::UnknownIp);
        assert_eq!((m.ip_offset, m.ip_protocol), (14, 51));
    }
}
