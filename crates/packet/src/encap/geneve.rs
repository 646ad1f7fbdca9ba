//! Geneve (UDP 6081).

use super::Cursor;
use crate::{tunnel, DecodeTables, PacketMeta, PacketRc};

fn enqueue(
    t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    _uw: u32,
) -> PacketRc {
    let Some(d) = b.get(off..off + len).filter(|d| d.len() > 8) else {
        return PacketRc::UnknownIp;
    };
    if d[0] & 0xc0 != 0 || d[1] & 0x3f != 0 {
        return PacketRc::UnknownIp;
    }
    let mut c = Cursor::new(d);
    let optlen = c.u8() & 0x3f;
    c.skip(1);
    let proto = c.u16();
    m.vni = u32::from(d[4]) << 16 | u32::from(d[5]) << 8 | u32::from(d[6]);
    c.skip(4);
    c.skip(usize::from(optlen) * 4);
    if c.is_err() || proto == 0 {
        return PacketRc::UnknownIp;
    }
    m.tunnel |= tunnel::GENEVE;
    t.run_ethernet_cb(b, m, off + c.pos(), c.remaining(), proto)
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
}
