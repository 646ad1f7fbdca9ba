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
    let Some(d) = b.get(off..off + len).filter(|d| d.len() >= 4) else {
        return PacketRc::Corrupt;
    };
    let hl = usize::from(d[1] & 0x3f) * 4;
    if hl < 8 || len < hl {
        return PacketRc::Corrupt;
    }
    let ty = match d[3] {
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
}
