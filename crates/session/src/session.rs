//! A session: the state a packet thread keeps for one flow (or one MAC pair, ...).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use trawl_fields::Fields;
use trawl_packet::SessionId;

use crate::protocols::sctp::SctpState;
use crate::protocols::tcp::TcpState;

/// Session tables are separate per type (Arkime's `SESSION_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum SessionType {
    /// TCP.
    Tcp = 0,
    /// UDP.
    Udp = 1,
    /// ICMP and ICMPv6.
    Icmp = 2,
    /// SCTP.
    Sctp = 3,
    /// ESP.
    Esp = 4,
    /// Everything else (ARP, unknown, corrupt, ...).
    Other = 5,
}

impl SessionType {
    /// Number of types.
    pub const COUNT: usize = 6;
}

/// How the session's rootId stands (sessions split by mid-session saves share one).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum RootId {
    /// Never split.
    #[default]
    None,
    /// Split; the next document written assigns the id.
    Pending,
    /// The id all segments carry.
    Id(String),
}

/// A timestamp as (seconds, microseconds).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timeval {
    /// Seconds.
    pub sec: u64,
    /// Microseconds.
    pub usec: u32,
}

impl Timeval {
    /// Milliseconds since the epoch.
    pub fn millis(&self) -> u64 {
        self.sec * 1000 + u64::from(self.usec) / 1000
    }
}

/// What one direction of a session carried.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flow {
    /// Packets since the last save.
    pub packets: u32,
    /// Bytes since the last save.
    pub bytes: u64,
    /// Payload bytes since the last save.
    pub databytes: u64,
    /// Payload bytes over the whole session.
    pub total_databytes: u64,
    /// Payload bytes the parsers consumed.
    pub consumed: u64,
    /// The first payload bytes, [`Flow::first_bytes_len`] of them set.
    pub first_bytes: [u8; 8],
    /// How many of `first_bytes` are set.
    pub first_bytes_len: u8,
}

impl Flow {
    /// The first payload bytes seen.
    pub fn first_bytes(&self) -> &[u8] {
        &self.first_bytes[..usize::from(self.first_bytes_len).min(8)]
    }

    /// Keeps the first of `data` while fewer than 8 first bytes are kept.
    pub fn add_first_bytes(&mut self, data: &[u8]) {
        let have = usize::from(self.first_bytes_len).min(8);
        let n = (8 - have).min(data.len());
        self.first_bytes[have..have + n].copy_from_slice(&data[..n]);
        self.first_bytes_len = (have + n) as u8;
    }

    /// Starts the counts of a new document (a mid-session save).
    pub fn reset_counts(&mut self) {
        self.packets = 0;
        self.bytes = 0;
        self.databytes = 0;
    }
}

/// One session.
#[derive(Debug)]
pub struct Session {
    /// Its id.
    pub id: SessionId,
    /// Hash of the id.
    pub hash: u32,
    /// Table it lives in.
    pub ses: SessionType,
    /// mprotocol that owns it.
    pub mprotocol: u8,
    /// Packet thread that owns it.
    pub thread: u16,
    /// Source address (IPv4 as mapped IPv6, as Arkime keeps it).
    pub addr1: [u8; 16],
    /// Destination address.
    pub addr2: [u8; 16],
    /// Source port.
    pub port1: u16,
    /// Destination port.
    pub port2: u16,
    /// Addresses are IPv6.
    pub v6: bool,
    /// IP protocol (0 for non-IP sessions).
    pub ip_protocol: u8,
    /// TOS of the first packet.
    pub ip_tos: u8,
    /// First packet time.
    pub first_packet: Timeval,
    /// Last packet time.
    pub last_packet: Timeval,
    /// When the session is next due for a save (closing or long-open).
    pub save_time: u64,
    /// What each direction carried, indexed by [`crate::Dir`] (or 0 and 1).
    pub flows: [Flow; 2],
    /// Ethertype of the first packets.
    pub ethertype: u16,
    /// Packet positions: `-fileNum` markers then offsets.
    pub file_pos: Vec<i64>,
    /// Packet lengths parallel to `file_pos` (0 for markers), when `enablePacketLen`.
    pub file_len: Vec<u16>,
    /// Files the packets are in.
    pub file_num: Vec<u32>,
    /// File of the last packet written.
    pub last_file_num: u32,
    /// Field values.
    pub fields: Fields,
    /// Documents written so far.
    pub segments: u32,
    /// Shared id of split sessions.
    pub root_id: RootId,
    /// Packets beyond this count are not written to pcap.
    pub stop_saving: u32,
    /// Don't save SPI data for this session.
    pub stop_spi: bool,
    /// Save a segment at the next packet.
    pub mid_save: bool,
    /// On the closing queue.
    pub closing: bool,
    /// Tagged pcap-disk-overload already.
    pub disk_overload: bool,
    /// Minimum packets before the document is written.
    pub min_saving: u32,
    /// First ICMP type and code.
    pub icmp_info: [u8; 2],
    /// TCP state, for TCP sessions.
    pub tcp: Option<Box<TcpState>>,
    /// SCTP state, for SCTP sessions.
    pub sctp: Option<Box<SctpState>>,
    /// Parsers attached by classifiers, in order, each with the bytes the framework
    /// keeps for it.
    pub parsers: Vec<crate::parsers::ParserSlot>,
    /// How many parser passes are running (a parser handing bytes on nests one).
    pub parser_depth: u8,
}

impl Session {
    /// A fresh session.
    pub fn new(id: SessionId, hash: u32, ses: SessionType, mprotocol: u8, thread: u16) -> Session {
        Session {
            id,
            hash,
            ses,
            mprotocol,
            thread,
            addr1: [0; 16],
            addr2: [0; 16],
            port1: 0,
            port2: 0,
            v6: false,
            ip_protocol: 0,
            ip_tos: 0,
            first_packet: Timeval::default(),
            last_packet: Timeval::default(),
            save_time: 0,
            flows: [Flow::default(); 2],
            ethertype: 0,
            file_pos: Vec::new(),
            file_len: Vec::new(),
            file_num: Vec::new(),
            last_file_num: 0,
            fields: Fields::new(),
            segments: 0,
            root_id: RootId::None,
            stop_saving: 0xffff,
            stop_spi: false,
            mid_save: false,
            closing: false,
            disk_overload: false,
            min_saving: 0,
            icmp_info: [0; 2],
            tcp: None,
            sctp: None,
            parsers: Vec::new(),
            parser_depth: 0,
        }
    }

    /// Source address.
    pub fn src_ip(&self) -> IpAddr {
        addr(&self.addr1, self.v6)
    }

    /// Destination address.
    pub fn dst_ip(&self) -> IpAddr {
        addr(&self.addr2, self.v6)
    }

    /// Swaps source and destination.
    pub fn flip_src_dst(&mut self) {
        std::mem::swap(&mut self.addr1, &mut self.addr2);
        std::mem::swap(&mut self.port1, &mut self.port2);
    }

    /// Source address as 4 bytes, for IPv4 sessions.
    pub fn addr1_v4(&self) -> [u8; 4] {
        [
            self.addr1[12],
            self.addr1[13],
            self.addr1[14],
            self.addr1[15],
        ]
    }

    /// Destination address as 4 bytes, for IPv4 sessions.
    pub fn addr2_v4(&self) -> [u8; 4] {
        [
            self.addr2[12],
            self.addr2[13],
            self.addr2[14],
            self.addr2[15],
        ]
    }
}

/// An IPv4 address as IPv4-mapped IPv6 bytes.
pub fn mapped(a: [u8; 4]) -> [u8; 16] {
    let mut m = [0u8; 16];
    m[10] = 0xff;
    m[11] = 0xff;
    m[12..].copy_from_slice(&a);
    m
}

fn addr(a: &[u8; 16], v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::from(*a))
    } else {
        IpAddr::V4(Ipv4Addr::new(a[12], a[13], a[14], a[15]))
    }
}

impl Session {
    /// Packets of both directions since the last save.
    pub fn packets(&self) -> u32 {
        self.flows[0].packets + self.flows[1].packets
    }
}
