//! GTP-U (UDP 2152): the user-plane header and its extension headers, then IP.

use super::Cursor;
use crate::{tunnel, DecodeTables, PacketMeta, PacketRc, ETHERTYPE_IP, ETHERTYPE_IPV6};

fn enqueue(
    t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    _uw: u32,
) -> PacketRc {
    let (Some(h), Some(d)) = (super::header::<4>(b, off, len), super::region(b, off, len)) else {
        return PacketRc::UnknownIp;
    };
    // Version 1 with PT set, a G-PDU (type 255), and a length that covers the rest.
    if len <= 12
        || h[0] & 0xf0 != 0x30
        || h[1] != 0xff
        || usize::from(u16::from_be_bytes([h[2], h[3]])) + 8 != len
    {
        return PacketRc::UnknownIp;
    }
    let mut c = Cursor::new(d);
    let flags = c.u8();
    c.skip(7);
    let mut next = 0;
    if flags & 0x7 != 0 {
        c.skip(3);
        next = c.u8();
    }
    while next != 0 && !c.is_err() {
        let ext = c.u8();
        if ext == 0 {
            return PacketRc::UnknownIp;
        }
        c.skip(usize::from(ext) * 4 - 2);
        next = c.u8();
    }
    if c.is_err() {
        return PacketRc::UnknownIp;
    }
    m.tunnel |= tunnel::GTP;
    let ty = if d.get(c.pos()).is_some_and(|v| v & 0xf0 == 0x60) {
        ETHERTYPE_IPV6
    } else {
        ETHERTYPE_IP
    };
    t.run_ethernet_cb(b, m, off + c.pos(), c.remaining(), ty)
}

pub(super) fn register(t: &mut DecodeTables) {
    t.set_udpport_enqueue_cb(2152, enqueue, 0);
}

#[cfg(test)]
mod tests {
    use crate::encap::test_util::*;
    use crate::{tunnel, PacketRc};

    #[test]
    fn gtp_u_carries_ipv4() {
        let inner = inner();
        let mut g = vec![0x30, 0xff];
        g.extend_from_slice(&(inner.len() as u16).to_be_bytes());
        g.extend_from_slice(&[0, 0, 0, 1]);
        g.extend_from_slice(&inner);
        let frame = ether(
            0x0800,
            &ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], &udp(2152, 2152, &g)),
        );
        let (rc, m) = decode(&frame);
        assert_eq!(rc, PacketRc::DoProcess);
        assert_eq!(m.tunnel, tunnel::GTP);
        assert_eq!(m.ip_offset, 14 + 20 + 8 + 8);
        truncations_are_safe(&frame);
    }

    fn gtp(flags: u8, ext: &[u8], inner: &[u8]) -> Vec<u8> {
        let mut rest = Vec::new();
        if flags & 7 != 0 {
            rest.extend_from_slice(&[0, 1, 0]);
        }
        rest.extend_from_slice(ext);
        rest.extend_from_slice(inner);
        let mut g = vec![flags, 0xff];
        g.extend_from_slice(&(rest.len() as u16).to_be_bytes());
        g.extend_from_slice(&[0, 0, 0, 7]);
        g.extend_from_slice(&rest);
        ether(
            0x0800,
            &ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], &udp(2152, 2152, &g)),
        )
    }

    #[test]
    fn extension_headers_then_ipv6() {
        // E flag; next extension 0x85 (one 4-byte PDU session container), then none.
        let frame = gtp(0x34, &[0x85, 1, 0x10, 0x09, 0x00], &inner6());
        let (rc, m) = decode(&frame);
        assert_eq!(rc, PacketRc::DoProcess);
        assert!(m.v6);
        assert_eq!(m.tunnel, tunnel::GTP);
        assert_eq!(m.ip_offset, 14 + 20 + 8 + 8 + 4 + 4);
        truncations_are_safe(&frame);
    }

    #[test]
    fn not_gtp_u_stays_plain_udp() {
        // A zero extension length.
        let (rc, m) = decode(&gtp(0x34, &[0x85, 0, 0, 0, 0], &inner()));
        assert_eq!((rc, m.mprotocol, m.tunnel), (PacketRc::DoProcess, UDP, 0));
        // Wrong message type.
        let mut f = gtp(0x30, &[], &inner());
        f[14 + 20 + 8 + 1] = 1;
        let (rc, m) = decode(&f);
        assert_eq!((rc, m.mprotocol, m.tunnel), (PacketRc::DoProcess, UDP, 0));
        // Length that does not cover the datagram.
        let mut f = gtp(0x30, &[], &inner());
        f[14 + 20 + 8 + 3] ^= 1;
        let (rc, m) = decode(&f);
        assert_eq!((rc, m.mprotocol, m.tunnel), (PacketRc::DoProcess, UDP, 0));
    }
}
