//! Whole exchanges as a capture would see them: a TCP conversation (handshake, data
//! each way, optional segmentation, teardown), a UDP exchange and an SCTP
//! association, as timestamped Ethernet frames.

use std::net::{IpAddr, SocketAddr};

use crate::wire::{self, ethertype, proto, tcp_flag, TcpHeader};
use crate::Frame;

/// The client's MAC address in built frames.
pub const CLIENT_MAC: [u8; 6] = [0x00, 0x1f, 0x5b, 0x10, 0x20, 0x30];
/// The server's MAC address in built frames.
pub const SERVER_MAC: [u8; 6] = [0x00, 0x13, 0x72, 0x40, 0x50, 0x60];
/// The first frame's time: 2023-11-14 22:13:20 UTC.
pub const START_SECS: u32 = 1_700_000_000;

/// A frame `ms` milliseconds after [`START_SECS`].
pub fn frame_at_ms(ms: u64, bytes: Vec<u8>) -> Frame {
    let us = ms * 1000;
    Frame::ethernet(
        START_SECS + (us / 1_000_000) as u32,
        (us % 1_000_000) as u32,
        bytes,
    )
}

/// Which side sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The side that opened the session (Arkime's source).
    Client,
    /// The other side.
    Server,
}

impl Side {
    fn index(self) -> usize {
        match self {
            Side::Client => 0,
            Side::Server => 1,
        }
    }
}

/// Endpoints, a clock and the frames made so far, shared by the exchanges.
#[derive(Clone, Debug)]
struct Link {
    ends: [SocketAddr; 2],
    macs: [[u8; 6]; 2],
    vlans: Vec<u16>,
    /// Microseconds since [`START_SECS`] of the next frame.
    at_us: u64,
    step_us: u64,
    ip_id: [u16; 2],
    frames: Vec<Frame>,
}

fn addr(s: &str) -> SocketAddr {
    s.parse()
        .unwrap_or_else(|_| panic!("{s:?} is not an address:port (IPv6 as [addr]:port)"))
}

impl Link {
    fn new(client: &str, server: &str) -> Link {
        Link {
            ends: [addr(client), addr(server)],
            macs: [CLIENT_MAC, SERVER_MAC],
            vlans: Vec::new(),
            at_us: 0,
            step_us: 1000,
            ip_id: [0x100, 0x200],
            frames: Vec::new(),
        }
    }

    fn ips(&self, from: Side) -> (IpAddr, IpAddr) {
        let i = from.index();
        (self.ends[i].ip(), self.ends[1 - i].ip())
    }

    fn ports(&self, from: Side) -> (u16, u16) {
        let i = from.index();
        (self.ends[i].port(), self.ends[1 - i].port())
    }

    /// Wraps a transport segment in IP and Ethernet and records it.
    fn emit(&mut self, from: Side, protocol: u8, segment: &[u8]) {
        let i = from.index();
        let (src, dst) = self.ips(from);
        self.ip_id[i] = self.ip_id[i].wrapping_add(1);
        let packet = wire::ip(src, dst, protocol, self.ip_id[i], segment);
        let et = if matches!((src, dst), (IpAddr::V4(_), IpAddr::V4(_))) {
            ethertype::IPV4
        } else {
            ethertype::IPV6
        };
        let frame = wire::ethernet_vlan(self.macs[i], self.macs[1 - i], &self.vlans, et, &packet);
        let t = self.at_us;
        self.at_us += self.step_us;
        self.frames.push(Frame::ethernet(
            START_SECS + (t / 1_000_000) as u32,
            (t % 1_000_000) as u32,
            frame,
        ));
    }
}

/// A TCP conversation, built step by step:
///
/// ```
/// use trawl_testkit::TcpConversation;
/// let frames = TcpConversation::new("10.0.0.1:40000", "10.0.0.2:22")
///     .handshake()
///     .server(b"SSH-2.0-OpenSSH_9.6\r\n")
///     .client(b"SSH-2.0-trawl\r\n")
///     .close()
///     .frames();
/// assert_eq!(frames.len(), 3 + 4 + 4);
/// ```
#[derive(Clone, Debug)]
pub struct TcpConversation {
    link: Link,
    /// Next sequence number each side sends.
    seq: [u32; 2],
    /// Largest segment; longer data is split.
    mss: usize,
    /// Whether data is acknowledged by a bare ACK from the other side.
    acks: bool,
}

impl TcpConversation {
    /// A conversation from `client` to `server` (each `addr:port`, IPv6 as
    /// `[addr]:port`), nothing sent yet.
    pub fn new(client: &str, server: &str) -> TcpConversation {
        TcpConversation {
            link: Link::new(client, server),
            seq: [0x1000_0000, 0x5000_0000],
            mss: 1460,
            acks: true,
        }
    }

    /// Starts each side's sequence numbers at these (to test wrap-around).
    pub fn initial_seqs(mut self, client: u32, server: u32) -> Self {
        self.seq = [client, server];
        self
    }

    /// Splits later data into segments of at most `mss` bytes.
    pub fn segment(mut self, mss: usize) -> Self {
        self.mss = mss.max(1);
        self
    }

    /// Whether each data segment is followed by a bare ACK (the default).
    pub fn acks(mut self, on: bool) -> Self {
        self.acks = on;
        self
    }

    /// Tags the frames with these 802.1Q VLANs.
    pub fn vlans(mut self, vlans: &[u16]) -> Self {
        self.link.vlans = vlans.to_vec();
        self
    }

    /// Microseconds between frames (1000 by default).
    pub fn step_us(mut self, us: u64) -> Self {
        self.link.step_us = us;
        self
    }

    /// Lets `us` microseconds pass before the next frame.
    pub fn wait_us(mut self, us: u64) -> Self {
        self.link.at_us += us;
        self
    }

    /// Puts the next frame `ms` milliseconds after [`START_SECS`].
    pub fn at_ms(mut self, ms: u64) -> Self {
        self.link.at_us = ms * 1000;
        self
    }

    /// One raw segment from `from` with these flags and data, its sequence number
    /// advanced as TCP would (SYN and FIN count one).
    pub fn send(mut self, from: Side, flags: u8, data: &[u8]) -> Self {
        let i = from.index();
        let (sport, dport) = self.link.ports(from);
        let ack = if flags & tcp_flag::ACK != 0 {
            self.seq[1 - i]
        } else {
            0
        };
        let h = TcpHeader {
            sport,
            dport,
            seq: self.seq[i],
            ack,
            flags,
            window: 0xfaf0,
        };
        let (src, dst) = self.link.ips(from);
        let seg = wire::tcp(src, dst, h, data);
        self.link.emit(from, proto::TCP, &seg);
        let used = data.len() as u32 + u32::from(flags & (tcp_flag::SYN | tcp_flag::FIN) != 0);
        self.seq[i] = self.seq[i].wrapping_add(used);
        self
    }

    /// SYN, SYN-ACK, ACK.
    pub fn handshake(self) -> Self {
        self.send(Side::Client, tcp_flag::SYN, &[])
            .send(Side::Server, tcp_flag::SYN | tcp_flag::ACK, &[])
            .send(Side::Client, tcp_flag::ACK, &[])
    }

    /// Data from `from`, in segments of at most the MSS, each acknowledged unless
    /// [`Self::acks`] turned that off.
    pub fn data(mut self, from: Side, data: &[u8]) -> Self {
        let other = match from {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        };
        for chunk in data.chunks(self.mss) {
            self = self.send(from, tcp_flag::PSH | tcp_flag::ACK, chunk);
            if self.acks {
                self = self.send(other, tcp_flag::ACK, &[]);
            }
        }
        self
    }

    /// Data from the client.
    pub fn client(self, data: &[u8]) -> Self {
        self.data(Side::Client, data)
    }

    /// Data from the server.
    pub fn server(self, data: &[u8]) -> Self {
        self.data(Side::Server, data)
    }

    /// The client closes: FIN, the server's FIN-ACK, the client's ACK... as four
    /// segments (FIN, ACK, FIN, ACK).
    pub fn close(self) -> Self {
        self.send(Side::Client, tcp_flag::FIN | tcp_flag::ACK, &[])
            .send(Side::Server, tcp_flag::ACK, &[])
            .send(Side::Server, tcp_flag::FIN | tcp_flag::ACK, &[])
            .send(Side::Client, tcp_flag::ACK, &[])
    }

    /// The frames so far.
    pub fn frames(&self) -> Vec<Frame> {
        self.link.frames.clone()
    }
}

/// A UDP exchange between two endpoints, one datagram per call.
#[derive(Clone, Debug)]
pub struct UdpExchange {
    link: Link,
}

impl UdpExchange {
    /// An exchange between `client` and `server` (`addr:port`).
    pub fn new(client: &str, server: &str) -> UdpExchange {
        UdpExchange {
            link: Link::new(client, server),
        }
    }

    /// A datagram from `from`.
    pub fn send(mut self, from: Side, data: &[u8]) -> Self {
        let (src, dst) = self.link.ips(from);
        let (sport, dport) = self.link.ports(from);
        let seg = wire::udp(src, sport, dst, dport, data);
        self.link.emit(from, proto::UDP, &seg);
        self
    }

    /// A datagram from the client.
    pub fn client(self, data: &[u8]) -> Self {
        self.send(Side::Client, data)
    }

    /// A datagram from the server.
    pub fn server(self, data: &[u8]) -> Self {
        self.send(Side::Server, data)
    }

    /// Microseconds between frames (1000 by default).
    pub fn step_us(mut self, us: u64) -> Self {
        self.link.step_us = us;
        self
    }

    /// Puts the next frame `ms` milliseconds after [`START_SECS`].
    pub fn at_ms(mut self, ms: u64) -> Self {
        self.link.at_us = ms * 1000;
        self
    }

    /// The frames so far.
    pub fn frames(&self) -> Vec<Frame> {
        self.link.frames.clone()
    }
}

/// An SCTP association: DATA chunks each way (no INIT handshake; the capture makes
/// sessions from data).
#[derive(Clone, Debug)]
pub struct SctpAssociation {
    link: Link,
    tsn: [u32; 2],
    vtag: [u32; 2],
}

impl SctpAssociation {
    /// An association between `client` and `server` (`addr:port`).
    pub fn new(client: &str, server: &str) -> SctpAssociation {
        SctpAssociation {
            link: Link::new(client, server),
            tsn: [1, 1],
            vtag: [0x1111_1111, 0x2222_2222],
        }
    }

    /// A DATA chunk from `from` on stream 0 with payload protocol id `ppid`.
    pub fn data(mut self, from: Side, ppid: u32, data: &[u8]) -> Self {
        let i = from.index();
        let (sport, dport) = self.link.ports(from);
        let chunk = wire::sctp_data(self.tsn[i], 0, (self.tsn[i] - 1) as u16, ppid, data);
        self.tsn[i] += 1;
        let p = wire::sctp(sport, dport, self.vtag[1 - i], &[chunk]);
        self.link.emit(from, proto::SCTP, &p);
        self
    }

    /// The frames so far.
    pub fn frames(&self) -> Vec<Frame> {
        self.link.frames.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversation_sequence_numbers_follow_tcp() {
        let f = TcpConversation::new("10.0.0.1:1000", "10.0.0.2:80")
            .initial_seqs(u32::MAX - 1, 7)
            .segment(3)
            .handshake()
            .client(b"abcde")
            .frames();
        // SYN, SYN-ACK, ACK, then two data segments each acknowledged.
        assert_eq!(f.len(), 3 + 4);
        let seq = |f: &Frame| {
            let t = &f.bytes[14 + 20..];
            u32::from_be_bytes([t[4], t[5], t[6], t[7]])
        };
        assert_eq!(seq(&f[0]), u32::MAX - 1);
        // After the SYN, data starts one further, and wraps.
        assert_eq!(seq(&f[3]), u32::MAX);
        assert_eq!(seq(&f[5]), 2);
        assert_eq!(&f[5].bytes[14 + 40..], b"de");
        // Timestamps step a millisecond.
        assert_eq!((f[1].ts_sec, f[1].ts_usec), (START_SECS, 1000));
    }

    #[test]
    fn ipv6_endpoints_make_ipv6_frames() {
        let f = UdpExchange::new("[2001:db8::1]:5000", "[2001:db8::2]:53")
            .client(b"q")
            .frames();
        assert_eq!(&f[0].bytes[12..14], &ethertype::IPV6.to_be_bytes());
        assert_eq!(f[0].bytes.len(), 14 + 40 + 8 + 1);
    }
}
