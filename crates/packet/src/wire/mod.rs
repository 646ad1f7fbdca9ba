//! Checked, zero-copy views over borrowed header bytes. Every accessor reads inside the
//! slice the view was checked against, so none can panic.

mod ip;
mod transport;

pub use ip::{Ipv4Header, Ipv6Header};
pub use transport::{tcp_flags, TcpHeader, UdpHeader};

/// Big-endian u16 at `off`, if the bytes are there.
#[inline]
pub fn be16(b: &[u8], off: usize) -> Option<u16> {
    let s = b.get(off..off.checked_add(2)?)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

/// Big-endian u32 at `off`, if the bytes are there.
#[inline]
pub fn be32(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Byte at `off`, if there.
#[inline]
pub fn u8_at(b: &[u8], off: usize) -> Option<u8> {
    b.get(off).copied()
}

/// `N` bytes at `off`, if there.
#[inline]
pub fn array<const N: usize>(b: &[u8], off: usize) -> Option<[u8; N]> {
    b.get(off..off.checked_add(N)?)?.try_into().ok()
}
