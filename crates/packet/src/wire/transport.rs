//! TCP and UDP headers.

/// TCP flag bits.
#[allow(dead_code)]
pub mod tcp_flags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;
    /// URG.
    pub const URG: u8 = 0x20;
    /// ECE.
    pub const ECE: u8 = 0x40;
    /// CWR.
    pub const CWR: u8 = 0x80;
}

/// A TCP header whose fixed 20 bytes are present.
#[derive(Clone, Copy, Debug)]
pub struct TcpHeader<'a>(&'a [u8; 20]);

impl<'a> TcpHeader<'a> {
    /// Views the first 20 bytes of `b`.
    pub fn new_checked(b: &'a [u8]) -> Option<Self> {
        b.get(..20)?.try_into().ok().map(TcpHeader)
    }
    /// Source port.
    pub fn src_port(&self) -> u16 {
        u16::from_be_bytes([self.0[0], self.0[1]])
    }
    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        u16::from_be_bytes([self.0[2], self.0[3]])
    }
    /// Sequence number.
    pub fn seq(&self) -> u32 {
        u32::from_be_bytes([self.0[4], self.0[5], self.0[6], self.0[7]])
    }
    /// Acknowledgement number.
    pub fn ack(&self) -> u32 {
        u32::from_be_bytes([self.0[8], self.0[9], self.0[10], self.0[11]])
    }
    /// Header length in bytes (data offset × 4).
    pub fn header_len(&self) -> usize {
        usize::from(self.0[12] >> 4) * 4
    }
    /// The reserved/AE bit (lowest bit of byte 12).
    pub fn ae(&self) -> bool {
        self.0[12] & 0x01 != 0
    }
    /// Flag byte (see [`tcp_flags`]).
    pub fn flags(&self) -> u8 {
        self.0[13]
    }
    /// Window.
    pub fn window(&self) -> u16 {
        u16::from_be_bytes([self.0[14], self.0[15]])
    }
}

/// A UDP header (8 bytes) known to be present.
#[derive(Clone, Copy, Debug)]
pub struct UdpHeader<'a>(&'a [u8; 8]);

impl<'a> UdpHeader<'a> {
    /// Views the first 8 bytes of `b`.
    pub fn new_checked(b: &'a [u8]) -> Option<Self> {
        b.get(..8)?.try_into().ok().map(UdpHeader)
    }
    /// Source port.
    pub fn src_port(&self) -> u16 {
        u16::from_be_bytes([self.0[0], self.0[1]])
    }
    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        u16::from_be_bytes([self.0[2], self.0[3]])
    }
    /// Length field (header + payload).
    pub fn len(&self) -> usize {
        usize::from(u16::from_be_bytes([self.0[4], self.0[5]]))
    }
    /// Whether the length field is zero.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_fields() {
        let b = [
            0xf0, 0x0a, 0, 80, 0xc8, 0x93, 0x6c, 0x3f, 0, 0, 0, 1, 0x81, 0x12, 0, 0, 0, 0, 0, 0,
        ];
        let t = TcpHeader::new_checked(&b).unwrap();
        assert_eq!(t.src_port(), 61450);
        assert_eq!(t.dst_port(), 80);
        assert_eq!(t.seq(), 0xc893_6c3f);
        assert_eq!(t.ack(), 1);
        assert_eq!(t.header_len(), 32);
        assert!(t.ae());
        assert_eq!(t.flags(), tcp_flags::SYN | tcp_flags::ACK);
        assert_eq!(t.window(), 0);
        assert!(TcpHeader::new_checked(&b[..10]).is_none());
    }

    #[test]
    fn udp_fields() {
        let b = [0, 53, 0xc0, 0x01, 0, 12, 0, 0];
        let u = UdpHeader::new_checked(&b).unwrap();
        assert_eq!((u.src_port(), u.dst_port(), u.len()), (53, 49153, 12));
        assert!(UdpHeader::new_checked(&b[..7]).is_none());
    }
}
