//! IPv4 and IPv6 fixed headers.

use std::net::{Ipv4Addr, Ipv6Addr};

/// An IPv4 header whose fixed 20 bytes are known to be present.
#[derive(Clone, Copy, Debug)]
pub struct Ipv4Header<'a>(&'a [u8; 20]);

impl<'a> Ipv4Header<'a> {
    /// Views the first 20 bytes of `b`, or None if shorter.
    pub fn new_checked(b: &'a [u8]) -> Option<Self> {
        b.get(..20)?.try_into().ok().map(Ipv4Header)
    }
    /// IP version nibble.
    pub fn version(&self) -> u8 {
        self.0[0] >> 4
    }
    /// Header length in bytes (IHL × 4).
    pub fn header_len(&self) -> usize {
        usize::from(self.0[0] & 0x0f) * 4
    }
    /// The TOS byte.
    pub fn tos(&self) -> u8 {
        self.0[1]
    }
    /// Total length field.
    pub fn total_len(&self) -> usize {
        usize::from(u16::from_be_bytes([self.0[2], self.0[3]]))
    }
    /// Identification field.
    pub fn ident(&self) -> u16 {
        u16::from_be_bytes([self.0[4], self.0[5]])
    }
    /// Flags and fragment offset as on the wire.
    pub fn frag_field(&self) -> u16 {
        u16::from_be_bytes([self.0[6], self.0[7]])
    }
    /// More-fragments flag.
    pub fn more_frags(&self) -> bool {
        self.frag_field() & 0x2000 != 0
    }
    /// Fragment offset in 8-byte units.
    pub fn frag_offset(&self) -> u16 {
        self.frag_field() & 0x1fff
    }
    /// Time to live.
    pub fn ttl(&self) -> u8 {
        self.0[8]
    }
    /// Protocol number.
    pub fn protocol(&self) -> u8 {
        self.0[9]
    }
    /// Source address octets.
    pub fn src_bytes(&self) -> [u8; 4] {
        [self.0[12], self.0[13], self.0[14], self.0[15]]
    }
    /// Destination address octets.
    pub fn dst_bytes(&self) -> [u8; 4] {
        [self.0[16], self.0[17], self.0[18], self.0[19]]
    }
    /// Source address.
    pub fn src(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.src_bytes())
    }
    /// Destination address.
    pub fn dst(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.dst_bytes())
    }
}

/// An IPv6 fixed header (40 bytes) known to be present.
#[derive(Clone, Copy, Debug)]
pub struct Ipv6Header<'a>(&'a [u8; 40]);

impl<'a> Ipv6Header<'a> {
    /// Views the first 40 bytes of `b`, or None if shorter.
    pub fn new_checked(b: &'a [u8]) -> Option<Self> {
        b.get(..40)?.try_into().ok().map(Ipv6Header)
    }
    /// Version nibble.
    pub fn version(&self) -> u8 {
        self.0[0] >> 4
    }
    /// The first 32 bits (version, traffic class, flow label).
    pub fn vtc_flow(&self) -> u32 {
        u32::from_be_bytes([self.0[0], self.0[1], self.0[2], self.0[3]])
    }
    /// DSCP: the upper six bits of the traffic class.
    pub fn dscp(&self) -> u8 {
        ((self.vtc_flow() >> 22) & 0x3f) as u8
    }
    /// Payload length field.
    pub fn payload_len(&self) -> usize {
        usize::from(u16::from_be_bytes([self.0[4], self.0[5]]))
    }
    /// Next header.
    pub fn next_header(&self) -> u8 {
        self.0[6]
    }
    /// Hop limit.
    pub fn hop_limit(&self) -> u8 {
        self.0[7]
    }
    /// Source address octets.
    pub fn src_bytes(&self) -> [u8; 16] {
        let mut a = [0u8; 16];
        a.copy_from_slice(&self.0[8..24]);
        a
    }
    /// Destination address octets.
    pub fn dst_bytes(&self) -> [u8; 16] {
        let mut a = [0u8; 16];
        a.copy_from_slice(&self.0[24..40]);
        a
    }
    /// Source address.
    pub fn src(&self) -> Ipv6Addr {
        Ipv6Addr::from(self.src_bytes())
    }
    /// Destination address.
    pub fn dst(&self) -> Ipv6Addr {
        Ipv6Addr::from(self.dst_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_fields() {
        let b = [
            0x45, 0xb8, 0x00, 0x54, 0x12, 0x34, 0x20, 0x03, 64, 6, 0, 0, 10, 0, 0, 1, 192, 168, 1,
            2,
        ];
        let h = Ipv4Header::new_checked(&b).unwrap();
        assert_eq!(h.version(), 4);
        assert_eq!(h.header_len(), 20);
        assert_eq!(h.tos() >> 2, 46);
        assert_eq!(h.total_len(), 84);
        assert!(h.more_frags());
        assert_eq!(h.frag_offset(), 3);
        assert_eq!(h.src(), Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(h.dst(), Ipv4Addr::new(192, 168, 1, 2));
        assert!(Ipv4Header::new_checked(&b[..19]).is_none());
    }

    #[test]
    fn ipv6_fields() {
        let mut b = [0u8; 40];
        b[0] = 0x6b;
        b[1] = 0x80; // traffic class 0xb8 -> dscp 46
        b[5] = 8;
        b[6] = 17;
        b[7] = 255;
        b[23] = 1;
        b[39] = 2;
        let h = Ipv6Header::new_checked(&b).unwrap();
        assert_eq!(h.version(), 6);
        assert_eq!(h.dscp(), 46);
        assert_eq!(h.payload_len(), 8);
        assert_eq!(h.next_header(), 17);
        assert_eq!(h.hop_limit(), 255);
        assert_eq!(h.src(), "::1".parse::<Ipv6Addr>().unwrap());
        assert!(Ipv6Header::new_checked(&b[..39]).is_none());
    }
}
