//! GRE (IP protocol 47): standard (RFC 2784/2890) and enhanced (PPTP) headers.

use super::Cursor;
use crate::{tunnel, DecodeTables, PacketMeta, PacketRc, ETHERTYPE_ETHER};

fn enqueue(
    t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    _uw: u32,
) -> PacketRc {
    m.tunnel |= tunnel::GRE;
    let Some(d) = b.get(off..off + len).filter(|d| d.len() >= 4) else {
        return PacketRc::Corrupt;
    };
    let mut c = Cursor::new(d);
    let flags = c.u16();
    let mut ty = c.u16();
    match flags & 0x7 {
        1 => {
            c.skip(4); // payload length, call id
            if flags & 0x1000 != 0 {
                c.skip(4);
            }
            if flags & 0x0080 != 0 {
                c.skip(4);
            }
        }
        0 => {
            if flags & 0xc000 != 0 {
                c.skip(4); // checksum and offset
            }
            if flags & 0x2000 != 0 {
                c.skip(4); // key
            }
            if flags & 0x1000 != 0 {
                c.skip(4); // sequence
            }
            if flags & 0x4000 != 0 {
                while !c.is_err() {
                    c.skip(3);
                    let l = c.u8();
                    if l == 0 {
                        break;
                    }
                    c.skip(usize::from(l));
                }
            }
        }
        _ => return PacketRc::UnknownEther,
    }
    if c.is_err() {
        return PacketRc::Corrupt;
    }
    if ty == 0 {
        // Keepalives carry type 0, which is not Ethernet bridging.
        return PacketRc::UnknownEther;
    }
    if ty == 0x88be && flags & 0x1000 == 0 {
        // ERSPAN type I has no ERSPAN header.
        ty = ETHERTYPE_ETHER;
    }
    t.run_ethernet_cb(b, m, off + c.pos(), c.remaining(), ty)
}

pub(super) fn register(t: &mut DecodeTables) {
    t.set_ip_cb(47, enqueue, 0);
}

#[cfg(test)]
mod tests {
    use crate::encap::test_util::*;
    use crate::{tunnel, PacketRc};

    #[test]
    fn gre_with_key_carries_ipv4() {
        let mut gre = vec![0x20, 0x00, 0x08, 0x00, 0, 0, 0, 42];
        gre.extend_from_slice(&inner());
        let frame = ether(0x0800, &ipv4(47, [10, 0, 0, 1], [10, 0, 0, 2], &gre));
        let (rc, m) = decode(&frame);
        assert_eq!(rc, PacketRc::DoProcess);
        assert_eq!(m.tunnel, tunnel::GRE);
        assert_eq!(m.mprotocol, UDP);
        assert_eq!(m.outer_ip_offset, 14);
        assert_eq!(m.ip_offset, 14 + 20 + 8);
        truncations_are_safe(&frame);
    }

    #[test]
    fn keepalive_and_bad_versions_are_not_decoded() {
        let frame = ether(
            0x0800,
            &ipv4(47, [10, 0, 0, 1], [10, 0, 0, 2], &[0, 0, 0, 0, 1, 2, 3, 4]),
        );
        assert_eq!(decode(&frame).0, PacketRc::UnknownEther);
        let frame = ether(
            0x0800,
            &ipv4(47, [10, 0, 0, 1], [10, 0, 0, 2], &[0, 3, 8, 0, 1, 2, 3, 4]),
        );
        assert_eq!(decode(&frame).0, PacketRc::UnknownEther);
    }
}
