//! VXLAN (UDP 4789) and VXLAN-GPE (UDP 4790).

use crate::{
    tunnel, DecodeTables, PacketMeta, PacketRc, ETHERTYPE_ETHER, ETHERTYPE_IP, ETHERTYPE_IPV6,
    ETHERTYPE_NSH,
};

/// The fixed 8-byte header, when more than those 8 bytes are there.
fn fixed(b: &[u8], off: usize, len: usize) -> Option<[u8; 8]> {
    super::header::<8>(b, off, len).filter(|_| len > 8)
}

fn vni(h: &[u8; 8]) -> u32 {
    u32::from_be_bytes([0, h[4], h[5], h[6]])
}

fn vxlan(
    t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    _uw: u32,
) -> PacketRc {
    let Some(h) = fixed(b, off, len) else {
        return PacketRc::UnknownIp;
    };
    if h[0] & 0x77 != 0 || h[1] & 0xb7 != 0 {
        return PacketRc::UnknownIp;
    }
    if h[0] & 0x08 != 0 {
        m.vni = vni(&h);
    }
    m.tunnel |= tunnel::VXLAN;
    t.run_ethernet_cb(b, m, off + 8, len - 8, ETHERTYPE_ETHER)
}

fn gpe(
    t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    _uw: u32,
) -> PacketRc {
    let Some(h) = fixed(b, off, len) else {
        return PacketRc::UnknownIp;
    };
    if h[0] & 0xf0 != 0 || h[1] != 0 {
        return PacketRc::UnknownIp;
    }
    if h[0] & 0x08 != 0 {
        m.vni = vni(&h);
    }
    m.tunnel |= tunnel::VXLAN_GPE;
    let ty = match h[3] {
        1 => ETHERTYPE_IP,
        2 => ETHERTYPE_IPV6,
        3 => ETHERTYPE_ETHER,
        4 => ETHERTYPE_NSH,
        _ => return PacketRc::UnknownIp,
    };
    t.run_ethernet_cb(b, m, off + 8, len - 8, ty)
}

pub(super) fn register(t: &mut DecodeTables) {
    t.set_udpport_enqueue_cb(4789, vxlan, 0);
    t.set_udpport_enqueue_cb(4790, gpe, 0);
}

#[cfg(test)]
mod tests {
    use crate::encap::test_util::*;
    use crate::{tunnel, PacketRc};

    #[test]
    fn vxlan_sets_vni_and_decodes_inner_frame() {
        let mut vx = vec![0x08, 0, 0, 0, 0x00, 0x12, 0x34, 0];
        vx.extend_from_slice(&ether(0x0800, &inner()));
        let frame = ether(
            0x0800,
            &ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], &udp(5555, 4789, &vx)),
        );
        let (rc, m) = decode(&frame);
        assert_eq!(rc, PacketRc::DoProcess);
        assert_eq!(m.vni, 0x1234);
        assert_eq!(m.tunnel, tunnel::VXLAN);
        assert_eq!(m.ether_offset, 14 + 20 + 8 + 8);
        truncations_are_safe(&frame);
    }

    #[test]
    fn not_vxlan_stays_plain_udp() {
        let frame = ether(
            0x0800,
            &ipv4(
                17,
                [10, 0, 0, 1],
                [10, 0, 0, 2],
                &udp(5555, 4789, &[0xff; 20]),
            ),
        );
        let (rc, m) = decode(&frame);
        assert_eq!(rc, PacketRc::DoProcess);
        assert_eq!(m.mprotocol, UDP);
        assert_eq!(m.ip_offset, 14);
    }

    #[test]
    fn gpe_carries_ipv4() {
        let mut g = vec![0x0c, 0, 0, 1, 0, 0, 7, 0];
        g.extend_from_slice(&inner());
        let frame = ether(
            0x0800,
            &ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], &udp(5555, 4790, &g)),
        );
        let (rc, m) = decode(&frame);
        assert_eq!(rc, PacketRc::DoProcess);
        assert_eq!((m.vni, m.tunnel), (7, tunnel::VXLAN_GPE));
    }

    #[test]
    fn gpe_carries_nsh_and_rejects_unknown_next_protocols() {
        let mut g = vec![0x0c, 0, 0, 4, 0, 0, 8, 0];
        g.extend_from_slice(&[0x00, 0x02, 0x01, 0x01, 0, 0, 1, 0xff]);
        g.extend_from_slice(&inner());
        let frame = ether(
            0x0800,
            &ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], &udp(5555, 4790, &g)),
        );
        let (rc, m) = decode(&frame);
        assert_eq!(rc, PacketRc::DoProcess);
        assert_eq!(m.ip_offset, 14 + 20 + 8 + 8 + 8);
        truncations_are_safe(&frame);

        let mut g = vec![0x0c, 0, 0, 9, 0, 0, 8, 0];
        g.extend_from_slice(&inner());
        let frame = ether(
            0x0800,
            &ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], &udp(5555, 4790, &g)),
        );
        let (rc, m) = decode(&frame);
        assert_eq!(
            (rc, m.mprotocol, m.ip_offset),
            (PacketRc::DoProcess, UDP, 14)
        );
    }

    #[test]
    fn vxlan_without_the_i_flag_keeps_vni_zero() {
        let mut vx = vec![0x00, 0, 0, 0, 0x00, 0x12, 0x34, 0];
        vx.extend_from_slice(&ether(0x0800, &inner()));
        let frame = ether(
            0x0800,
            &ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], &udp(5555, 4789, &vx)),
        );
        let (rc, m) = decode(&frame);
        assert_eq!(
            (rc, m.vni, m.tunnel),
            (PacketRc::DoProcess, 0, tunnel::VXLAN)
        );
    }
}
