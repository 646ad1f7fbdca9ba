//! Tunnels and encapsulations decoded in the enqueue phase: GRE, ERSPAN, VXLAN and
//! VXLAN-GPE, Geneve, GTP-U, MPLS, PPP and PPPoE, NSH, Cisco metadata, and AH. Each
//! registers itself into the [`DecodeTables`] by ethertype, IP protocol or UDP port,
//! marks the packet's `tunnel` bits where Arkime does, and hands the inner bytes on.

mod ah;
mod ciscometadata;
mod erspan;
mod geneve;
mod gre;
mod gtp;
mod mpls;
mod nsh;
mod ppp;
mod vxlan;

use crate::{wire, DecodeTables};

/// The first `N` bytes of the `len` bytes at `off`, when all `len` are there and
/// `len >= N`: a fixed-size header whose constant indices cannot go out of bounds.
pub(crate) fn header<const N: usize>(b: &[u8], off: usize, len: usize) -> Option<[u8; N]> {
    if len < N || off.checked_add(len)? > b.len() {
        return None;
    }
    wire::array::<N>(b, off)
}

/// The `len` bytes at `off`, if all there.
pub(crate) fn region(b: &[u8], off: usize, len: usize) -> Option<&[u8]> {
    b.get(off..off.checked_add(len)?)
}

/// A read cursor that, like Arkime's BSB, turns an overrun into an error flag
/// instead of a panic.
pub(crate) struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
    err: bool,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Self {
        Cursor {
            b,
            pos: 0,
            err: false,
        }
    }
    pub(crate) fn skip(&mut self, n: usize) {
        if self.err || n > self.remaining() {
            self.err = true;
        } else {
            self.pos += n;
        }
    }
    pub(crate) fn u8(&mut self) -> u8 {
        let v = if self.err {
            None
        } else {
            self.b.get(self.pos).copied()
        };
        match v {
            Some(x) => {
                self.pos += 1;
                x
            }
            None => {
                self.err = true;
                0
            }
        }
    }
    pub(crate) fn u16(&mut self) -> u16 {
        let hi = self.u8();
        let lo = self.u8();
        u16::from(hi) << 8 | u16::from(lo)
    }
    pub(crate) fn is_err(&self) -> bool {
        self.err
    }
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }
    pub(crate) fn remaining(&self) -> usize {
        self.b.len().saturating_sub(self.pos)
    }
}

/// Registers every built-in encapsulation.
pub fn register_all(t: &mut DecodeTables) {
    gre::register(t);
    erspan::register(t);
    vxlan::register(t);
    geneve::register(t);
    gtp::register(t);
    mpls::register(t);
    ppp::register(t);
    nsh::register(t);
    ciscometadata::register(t);
    ah::register(t);
}

#[cfg(test)]
pub(crate) mod test_util {
    use crate::{DecodeTables, DecoderOptions, PacketMeta, PacketRc};

    pub const TCP: u8 = 5;
    pub const UDP: u8 = 6;

    pub fn tables() -> DecodeTables {
        let mut t = DecodeTables::new(DecoderOptions::default());
        t.set_tcp_udp_mprotocols(TCP, UDP);
        super::register_all(&mut t);
        t
    }

    pub fn ipv4(proto: u8, src: [u8; 4], dst: [u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut h = vec![0x45, 0, 0, 0, 0, 1, 0, 0, 64, proto, 0, 0];
        h[2..4].copy_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
        h.extend_from_slice(&src);
        h.extend_from_slice(&dst);
        h.extend_from_slice(payload);
        h
    }

    pub fn udp(sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
        let mut u = Vec::new();
        u.extend_from_slice(&sport.to_be_bytes());
        u.extend_from_slice(&dport.to_be_bytes());
        u.extend_from_slice(&((8 + data.len()) as u16).to_be_bytes());
        u.extend_from_slice(&[0, 0]);
        u.extend_from_slice(data);
        u
    }

    pub fn ether(ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0xaa, 0, 0, 0, 0, 1, 0xbb, 0, 0, 0, 0, 2];
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    pub fn ipv6(next: u8, payload: &[u8]) -> Vec<u8> {
        let mut h = vec![0x60, 0, 0, 0];
        h.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        h.extend_from_slice(&[next, 64]);
        h.extend_from_slice(&[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        h.extend_from_slice(&[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        h.extend_from_slice(payload);
        h
    }

    /// An inner UDP datagram in IPv6.
    pub fn inner6() -> Vec<u8> {
        ipv6(17, &udp(3333, 4444, b"inner6"))
    }

    /// An inner UDP datagram in IPv4 the tunnels carry.
    pub fn inner() -> Vec<u8> {
        ipv4(
            17,
            [192, 168, 0, 1],
            [192, 168, 0, 2],
            &udp(1111, 2222, b"inner!"),
        )
    }

    /// Decodes an Ethernet frame.
    pub fn decode(frame: &[u8]) -> (PacketRc, PacketMeta) {
        let t = tables();
        let mut m = PacketMeta {
            linktype: 1,
            len: frame.len() as u32,
            ..Default::default()
        };
        let rc = t.link(frame, &mut m);
        (rc, m)
    }

    /// Every truncation of `frame` decodes without panicking.
    pub fn truncations_are_safe(frame: &[u8]) {
        let t = tables();
        for n in 0..frame.len() {
            let mut m = PacketMeta {
                linktype: 1,
                len: n as u32,
                ..Default::default()
            };
            let _ = t.link(&frame[..n], &mut m);
        }
    }
}
