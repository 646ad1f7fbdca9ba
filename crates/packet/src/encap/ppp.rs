//! PPPoE session frames (ethertype 0x8864) and PPP as carried by GRE/PPTP (0x880b).

use super::Cursor;
use crate::{tunnel, DecodeTables, PacketMeta, PacketRc, ETHERTYPE_IP, ETHERTYPE_IPV6};

fn pppoe(
    t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    _uw: u32,
) -> PacketRc {
    let d = b.get(off..off + len).unwrap_or(&[]);
    let mut c = Cursor::new(d);
    let (ver, code) = (c.u8(), c.u8());
    if c.is_err() || ver != 0x11 || code != 0 {
        return PacketRc::Corrupt;
    }
    c.skip(2);
    let plen = usize::from(c.u16());
    let ty = c.u16();
    if c.is_err() || plen < 2 || plen + 6 > len {
        return PacketRc::Corrupt;
    }
    m.tunnel |= tunnel::PPPOE;
    match ty {
        0x21 => t.run_ethernet_cb(b, m, off + c.pos(), plen - 2, ETHERTYPE_IP),
        0x57 => t.run_ethernet_cb(b, m, off + c.pos(), plen - 2, ETHERTYPE_IPV6),
        _ => PacketRc::UnknownEther,
    }
}

fn pptp_ppp(
    t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    _uw: u32,
) -> PacketRc {
    let d = b.get(off..off + len).unwrap_or(&[]);
    let mut c = Cursor::new(d);
    let mut b0 = c.u8();
    if c.is_err() {
        return PacketRc::Corrupt;
    }
    if b0 == 0xff {
        c.skip(1);
        b0 = c.u8();
        if c.is_err() {
            return PacketRc::Corrupt;
        }
    }
    let proto = if b0 & 1 != 0 {
        u16::from(b0)
    } else {
        let b1 = c.u8();
        if c.is_err() {
            return PacketRc::Corrupt;
        }
        u16::from(b0) << 8 | u16::from(b1)
    };
    m.tunnel |= tunnel::PPP;
    match proto {
        0x21 => t.run_ethernet_cb(b, m, off + c.pos(), c.remaining(), ETHERTYPE_IP),
        0x57 => t.run_ethernet_cb(b, m, off + c.pos(), c.remaining(), ETHERTYPE_IPV6),
        _ => PacketRc::UnknownEther,
    }
}

pub(super) fn register(t: &mut DecodeTables) {
    t.set_ethernet_cb(0x880b, pptp_ppp, 0);
    t.set_ethernet_cb(0x8864, pppoe, 0);
}

#[cfg(test)]
mod tests {
    use crate::encap::test_util::*;
    use crate::{tunnel, PacketRc};

    #[test]
    fn pppoe_session_carries_ipv4() {
        let inner = inner();
        let mut p = vec![0x11, 0, 0, 1];
        p.extend_from_slice(&((inner.len() + 2) as u16).to_be_bytes());
        p.extend_from_slice(&[0, 0x21]);
        p.extend_from_slice(&inner);
        let frame = ether(0x8864, &p);
        let (rc, m) = decode(&frame);
        assert_eq!(rc, PacketRc::DoProcess);
        assert_eq!(m.tunnel, tunnel::PPPOE);
        truncations_are_safe(&frame);
    }

    #[test]
    fn ppp_in_gre_with_hdlc_framing() {
        let mut gre = vec![0x30, 0x81, 0x88, 0x0b, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1];
        gre.extend_from_slice(&[0xff, 0x03, 0x00, 0x21]);
        gre.extend_from_slice(&inner());
        let frame = ether(0x0800, &ipv4(47, [10, 0, 0, 1], [10, 0, 0, 2], &gre));
        let (rc, m) = decode(&frame);
        assert_eq!(rc, PacketRc::DoProcess, "{m:?}");
        assert_eq!(m.tunnel, tunnel::GRE | tunnel::PPP);
        truncations_are_safe(&frame);
    }

    #[test]
    fn pfc_protocol_and_ipv6() {
        // PPP without HDLC framing, one-byte (compressed) protocol 0x21.
        let mut gre = vec![0x30, 0x01, 0x88, 0x0b, 0, 0, 0, 0, 0, 0, 0, 1, 0x21];
        gre.extend_from_slice(&inner());
        let frame = ether(0x0800, &ipv4(47, [10, 0, 0, 1], [10, 0, 0, 2], &gre));
        let (rc, m) = decode(&frame);
        assert_eq!(rc, PacketRc::DoProcess);
        assert_eq!(m.ip_offset, 14 + 20 + 12 + 1);
        // Two-byte protocol 0x0057: IPv6.
        let mut gre = vec![0x30, 0x01, 0x88, 0x0b, 0, 0, 0, 0, 0, 0, 0, 1, 0x00, 0x57];
        gre.extend_from_slice(&inner6());
        let frame = ether(0x0800, &ipv4(47, [10, 0, 0, 1], [10, 0, 0, 2], &gre));
        let (rc, m) = decode(&frame);
        assert_eq!(rc, PacketRc::DoProcess);
        assert!(m.v6);
    }

    #[test]
    fn pppoe_rejects_what_arkime_rejects() {
        let inner = inner();
        let pppoe = |ver: u8, code: u8, plen: usize, proto: u16| {
            let mut p = vec![ver, code, 0, 1];
            p.extend_from_slice(&(plen as u16).to_be_bytes());
            p.extend_from_slice(&proto.to_be_bytes());
            p.extend_from_slice(&inner);
            ether(0x8864, &p)
        };
        let ok = inner.len() + 2;
        assert_eq!(decode(&pppoe(0x12, 0, ok, 0x21)).0, PacketRc::Corrupt);
        assert_eq!(decode(&pppoe(0x11, 9, ok, 0x21)).0, PacketRc::Corrupt);
        assert_eq!(decode(&pppoe(0x11, 0, 1, 0x21)).0, PacketRc::Corrupt);
        assert_eq!(decode(&pppoe(0x11, 0, ok + 100, 0x21)).0, PacketRc::Corrupt);
        let (rc, m) = decode(&pppoe(0x11, 0, ok, 0xc021));
        assert_eq!((rc, m.tunnel), (PacketRc::UnknownEther, tunnel::PPPOE));
    }
}
