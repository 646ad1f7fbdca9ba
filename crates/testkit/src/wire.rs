//! Header builders, the emit side of `trawl_packet::wire`: each returns the header
//! followed by its payload, with lengths and checksums filled in, so that what they
//! make is what a capture of a real stack would hold.

use std::net::IpAddr;

/// IP protocol numbers the builders use.
pub mod proto {
    /// ICMP.
    pub const ICMP: u8 = 1;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// SCTP.
    pub const SCTP: u8 = 132;
}

/// Ethertypes the builders use.
pub mod ethertype {
    /// IPv4.
    pub const IPV4: u16 = 0x0800;
    /// ARP.
    pub const ARP: u16 = 0x0806;
    /// IPv6.
    pub const IPV6: u16 = 0x86dd;
    /// 802.1Q VLAN tag.
    pub const VLAN: u16 = 0x8100;
}

/// TCP flag bits, as the decoder reads them.
pub use trawl_packet::wire::tcp_flags as tcp_flag;

/// The Internet checksum (RFC 1071) of the concatenation of `parts`.
pub fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum = 0u32;
    let mut odd: Option<u8> = None;
    for p in parts {
        for &b in p.iter() {
            match odd.take() {
                Some(hi) => sum += u32::from(u16::from_be_bytes([hi, b])),
                None => odd = Some(b),
            }
        }
    }
    if let Some(hi) = odd {
        sum += u32::from(hi) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An Ethernet II frame.
pub fn ethernet(src: [u8; 6], dst: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    ethernet_vlan(src, dst, &[], ethertype, payload)
}

/// An Ethernet II frame with 802.1Q tags, outermost first.
pub fn ethernet_vlan(
    src: [u8; 6],
    dst: [u8; 6],
    vlans: &[u16],
    ethertype: u16,
    payload: &[u8],
) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + 4 * vlans.len() + payload.len());
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    for v in vlans {
        f.extend_from_slice(&ethertype::VLAN.to_be_bytes());
        f.extend_from_slice(&v.to_be_bytes());
    }
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// An IPv4 header (no options, don't-fragment set, TTL 64) and its payload.
pub fn ipv4(src: [u8; 4], dst: [u8; 4], protocol: u8, id: u16, payload: &[u8]) -> Vec<u8> {
    ipv4_frag(src, dst, protocol, id, 0x4000, payload)
}

/// An IPv4 header with `frag` as its flags and fragment offset word (0x2000 more
/// fragments, low 13 bits the offset in 8-byte units).
pub fn ipv4_frag(
    src: [u8; 4],
    dst: [u8; 4],
    protocol: u8,
    id: u16,
    frag: u16,
    payload: &[u8],
) -> Vec<u8> {
    let mut h = Vec::with_capacity(20 + payload.len());
    h.extend_from_slice(&[0x45, 0]);
    h.extend_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
    h.extend_from_slice(&id.to_be_bytes());
    h.extend_from_slice(&frag.to_be_bytes());
    h.extend_from_slice(&[64, protocol, 0, 0]);
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    let c = checksum(&[&h]);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    h.extend_from_slice(payload);
    h
}

/// An IPv6 header (hop limit 64) and its payload.
pub fn ipv6(src: [u8; 16], dst: [u8; 16], next_header: u8, payload: &[u8]) -> Vec<u8> {
    let mut h = Vec::with_capacity(40 + payload.len());
    h.extend_from_slice(&[0x60, 0, 0, 0]);
    h.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    h.extend_from_slice(&[next_header, 64]);
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    h.extend_from_slice(payload);
    h
}

/// An IPv4 or IPv6 packet from `src` to `dst` (both of one family; an IPv4 address
/// beside an IPv6 one is taken as IPv4-mapped).
pub fn ip(src: IpAddr, dst: IpAddr, protocol: u8, id: u16, payload: &[u8]) -> Vec<u8> {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => ipv4(s.octets(), d.octets(), protocol, id, payload),
        (s, d) => ipv6(v6(s), v6(d), protocol, payload),
    }
}

fn v6(a: IpAddr) -> [u8; 16] {
    match a {
        IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
        IpAddr::V6(a) => a.octets(),
    }
}

/// The transport checksum of `segment` with the pseudo-header of `src` → `dst`.
fn l4_checksum(src: IpAddr, dst: IpAddr, protocol: u8, segment: &[u8]) -> u16 {
    let len = segment.len() as u32;
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => checksum(&[
            &s.octets(),
            &d.octets(),
            &[0, protocol],
            &(len as u16).to_be_bytes(),
            segment,
        ]),
        (s, d) => checksum(&[
            &v6(s),
            &v6(d),
            &len.to_be_bytes(),
            &[0, 0, 0, protocol],
            segment,
        ]),
    }
}

/// A TCP segment's header fields.
#[derive(Clone, Copy, Debug)]
pub struct TcpHeader {
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// Flags ([`tcp_flag`] bits).
    pub flags: u8,
    /// Window.
    pub window: u16,
}

/// A TCP header (no options) and its data, checksummed for `src` → `dst`.
pub fn tcp(src: IpAddr, dst: IpAddr, h: TcpHeader, data: &[u8]) -> Vec<u8> {
    let mut t = Vec::with_capacity(20 + data.len());
    t.extend_from_slice(&h.sport.to_be_bytes());
    t.extend_from_slice(&h.dport.to_be_bytes());
    t.extend_from_slice(&h.seq.to_be_bytes());
    t.extend_from_slice(&h.ack.to_be_bytes());
    t.extend_from_slice(&[0x50, h.flags]);
    t.extend_from_slice(&h.window.to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 0]);
    t.extend_from_slice(data);
    let c = l4_checksum(src, dst, proto::TCP, &t);
    t[16..18].copy_from_slice(&c.to_be_bytes());
    t
}

/// A UDP header and its data, checksummed for `src` → `dst`.
pub fn udp(src: IpAddr, sport: u16, dst: IpAddr, dport: u16, data: &[u8]) -> Vec<u8> {
    let mut u = Vec::with_capacity(8 + data.len());
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((8 + data.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(data);
    let c = l4_checksum(src, dst, proto::UDP, &u);
    u[6..8].copy_from_slice(&c.to_be_bytes());
    u
}

/// One SCTP chunk: type, flags and value (padded to 4 bytes).
pub fn sctp_chunk(kind: u8, flags: u8, value: &[u8]) -> Vec<u8> {
    let mut c = Vec::with_capacity(4 + value.len() + 3);
    c.extend_from_slice(&[kind, flags]);
    c.extend_from_slice(&((4 + value.len()) as u16).to_be_bytes());
    c.extend_from_slice(value);
    while c.len() % 4 != 0 {
        c.push(0);
    }
    c
}

/// An SCTP DATA chunk (unfragmented: B and E set) of stream `stream` with payload
/// protocol id `ppid`.
pub fn sctp_data(tsn: u32, stream: u16, seq: u16, ppid: u32, data: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(12 + data.len());
    v.extend_from_slice(&tsn.to_be_bytes());
    v.extend_from_slice(&stream.to_be_bytes());
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&ppid.to_be_bytes());
    v.extend_from_slice(data);
    sctp_chunk(0, 0x03, &v)
}

/// An SCTP common header with its chunks, its CRC32c checksum filled in.
pub fn sctp(sport: u16, dport: u16, vtag: u32, chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&sport.to_be_bytes());
    p.extend_from_slice(&dport.to_be_bytes());
    p.extend_from_slice(&vtag.to_be_bytes());
    p.extend_from_slice(&[0; 4]);
    for c in chunks {
        p.extend_from_slice(c);
    }
    let c = crc32c(&p);
    p[8..12].copy_from_slice(&c.to_le_bytes());
    p
}

/// CRC-32C (Castagnoli), bit by bit: the kit builds few packets.
fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82f6_3b78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_header_checksum_verifies() {
        let p = ipv4([10, 0, 0, 1], [10, 0, 0, 2], proto::UDP, 7, b"abc");
        assert_eq!(p.len(), 23);
        assert_eq!(u16::from_be_bytes([p[2], p[3]]), 23);
        // A header with its checksum in place sums to zero.
        assert_eq!(checksum(&[&p[..20]]), 0);
    }

    #[test]
    fn tcp_and_udp_checksums_verify_over_the_pseudo_header() {
        let (s, d): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let h = TcpHeader {
            sport: 1,
            dport: 2,
            seq: 3,
            ack: 4,
            flags: tcp_flag::ACK,
            window: 100,
        };
        let t = tcp(s, d, h, b"odd");
        assert_eq!(l4_checksum(s, d, proto::TCP, &t), 0);
        let (s6, d6): (IpAddr, IpAddr) = ("fe80::1".parse().unwrap(), "fe80::2".parse().unwrap());
        let u = udp(s6, 53, d6, 5353, b"query");
        assert_eq!(l4_checksum(s6, d6, proto::UDP, &u), 0);
    }

    #[test]
    fn crc32c_of_the_rfc_3720_vector() {
        // RFC 3720 B.4: 32 bytes of zeros.
        assert_eq!(crc32c(&[0u8; 32]), 0x8a91_36aa);
    }

    #[test]
    fn sctp_chunks_are_padded() {
        let c = sctp_data(1, 0, 0, 46, b"12345");
        assert_eq!(c.len(), 4 + 12 + 8);
        assert_eq!(u16::from_be_bytes([c[2], c[3]]), 4 + 12 + 5);
    }
}
