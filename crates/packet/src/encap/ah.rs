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
    let Some(d) = b.get(off..off + len).filter(|d| d.len() >= 2) else {
        return PacketRc::Corrupt;
    };
    let hl = (usize::from(d[1]) + 2) * 4;
    if hl >= len {
        return PacketRc::Corrupt;
    }
    t.run_ip_cb(b, m, off + hl, len - hl, d[0])
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
}
