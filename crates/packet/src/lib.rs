//! Packets and the enqueue phase, the first of a packet's two phases in the capture
//! design: on the reader thread, decode and validate the link layer, tunnels and IP,
//! pick the packet's mprotocol and compute its session id and hash, so the packet can
//! be handed to the packet thread that owns its session.
//!
//! Special protocols and tunnels register callbacks into [`DecodeTables`] by ethertype,
//! IP protocol or UDP port (Arkime's `arkime_packet_set_ethernet_cb`, `..._ip_cb`,
//! `..._udpport_enqueue_cb`).

pub mod encap;
mod enqueue;
mod frags;
mod session_id;
pub mod wire;

pub use enqueue::{
    DecodeTables, Decoder, DecoderOptions, EnqueueCb, EnqueueFn, SaveUnknownPackets,
};
pub use frags::FragStats;
pub use session_id::{
    session_hash, session_id4, session_id6, SessionId, SessionIdTracking, TrackingConfig,
};

use trawl_readers::Chunk;

// Pseudo ethertypes below 1500 cannot clash with real ones (those values are 802.3
// lengths), so they name internal dispatch targets, as in Arkime.
/// Pseudo ethertype: an Ethernet frame follows.
pub const ETHERTYPE_ETHER: u16 = 0;
/// Pseudo ethertype for the unknown-ethertype mprotocol.
pub const ETHERTYPE_UNKNOWN: u16 = 1;
/// Pseudo ethertype: read the real one from the next two bytes.
pub const ETHERTYPE_DETECT: u16 = 2;
/// Pseudo ethertype that hands corrupt packets to the corrupt mprotocol.
pub const ETHERTYPE_CORRUPT: u16 = 3;
/// Pseudo ethertype for 802.2 XID frames.
pub const ETHERTYPE_XID: u16 = 4;
/// NSH.
pub const ETHERTYPE_NSH: u16 = 0x894f;
/// MPLS unicast.
pub const ETHERTYPE_MPLS: u16 = 0x8847;
/// 802.1Q VLAN.
pub const ETHERTYPE_VLAN: u16 = 0x8100;
/// 802.1ad QinQ.
pub const ETHERTYPE_QINQ: u16 = 0x88a8;
/// IPv4.
pub const ETHERTYPE_IP: u16 = 0x0800;
/// IPv6.
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
/// Transparent Ethernet bridging.
pub const ETHERTYPE_TEB: u16 = 0x6558;
/// Raw frame relay.
pub const ETHERTYPE_RAWFR: u16 = 0x6559;
/// The IP protocol slot Arkime uses for the unknown-IP mprotocol.
pub const IPPROTO_UNKNOWN: u16 = 255;
/// The number of IP protocol slots.
pub const IPPROTO_MAX: usize = 256;
/// Deepest nesting of tunnels before a packet counts as corrupt.
pub const MAX_TUNNEL_DEPTH: u8 = 12;
/// Largest packet the capture keeps (Arkime's pktlen is 16 bits).
pub const PACKET_MAX_LEN: usize = 0xffff;

/// Tunnel bits set in [`PacketMeta::tunnel`]; each adds its protocol name to the session.
pub mod tunnel {
    /// GRE.
    pub const GRE: u16 = 0x01;
    /// PPPoE.
    pub const PPPOE: u16 = 0x02;
    /// MPLS.
    pub const MPLS: u16 = 0x04;
    /// PPP.
    pub const PPP: u16 = 0x08;
    /// GTP.
    pub const GTP: u16 = 0x10;
    /// VXLAN.
    pub const VXLAN: u16 = 0x20;
    /// VXLAN-GPE.
    pub const VXLAN_GPE: u16 = 0x40;
    /// Geneve.
    pub const GENEVE: u16 = 0x80;

    /// The protocol name each bit adds, in Arkime's order.
    pub const NAMES: [(u16, &str); 8] = [
        (GRE, "gre"),
        (PPPOE, "pppoe"),
        (PPP, "ppp"),
        (MPLS, "mpls"),
        (GTP, "gtp"),
        (VXLAN, "vxlan"),
        (VXLAN_GPE, "vxlan-gpe"),
        (GENEVE, "geneve"),
    ];
}

/// What the enqueue phase decided for a packet (Arkime's `ArkimePacketRC`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketRc {
    /// Hand to a packet thread.
    DoProcess = 0,
    /// Dropped by an IP filter.
    IpDropped = 1,
    /// Dropped because the packet thread's queue was full.
    OverloadDropped = 2,
    /// Failed validation.
    Corrupt = 3,
    /// Unknown ethertype (and not saved as a session).
    UnknownEther = 4,
    /// Unknown IP protocol (and not saved as a session).
    UnknownIp = 5,
    /// Dropped by an ip:port filter.
    IpPortDropped = 6,
    /// Kept by someone else for now (an IPv4 fragment waiting for the rest).
    DontProcessOrFree = 7,
    /// Dropped as a duplicate.
    DuplicateDropped = 8,
}

impl PacketRc {
    /// Number of variants, for counter arrays.
    pub const COUNT: usize = 9;
    /// Names for counters and logs.
    pub const NAMES: [&'static str; Self::COUNT] = [
        "processed",
        "ip-dropped",
        "overload-dropped",
        "corrupt",
        "unknown-ether",
        "unknown-ip",
        "ipport-dropped",
        "held",
        "duplicate-dropped",
    ];
}

/// Where a packet's bytes live: borrowed from the reader's chunk, or owned (a packet
/// rebuilt from fragments).
#[derive(Clone, Debug)]
pub enum PacketData {
    /// Bytes `start..start+len` of a shared read chunk.
    Shared {
        /// The chunk.
        chunk: Chunk,
        /// Offset of the packet in it.
        start: u32,
    },
    /// Bytes owned by the packet.
    Owned(Box<[u8]>),
}

/// An IPv6 fragment header, with where it sits in the packet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Frag6 {
    /// Offset of the fragment header in the packet.
    pub header_at: u16,
    /// Offset of the byte that names the fragment header (to patch on reassembly).
    pub next_header_at: u16,
    /// The header after the fragment header.
    pub next: u8,
    /// Fragment offset in 8-byte units.
    pub offset: u16,
    /// More fragments follow.
    pub more: bool,
    /// Identification.
    pub ident: u32,
}

/// Everything the enqueue phase learns about a packet.
#[derive(Clone, Debug, Default)]
pub struct PacketMeta {
    /// Capture time, seconds (64 bits, as a `struct timeval`'s).
    pub ts_sec: u64,
    /// Capture time, microseconds.
    pub ts_usec: u32,
    /// Bytes of the packet in use (Arkime's pktlen).
    pub len: u32,
    /// Offset of the packet's record in the file it was read from.
    pub file_pos: u64,
    /// Which input (file or interface) it came from.
    pub reader_pos: u16,
    /// Link type of the packet's first byte.
    pub linktype: u32,
    /// Offset of the innermost Ethernet header.
    pub ether_offset: u16,
    /// Offset of the Ethernet header before it (equal when there is one).
    pub outer_ether_offset: u16,
    /// Offset of the innermost IP header.
    pub ip_offset: u16,
    /// Offset of the IP header before it (equal when there is one).
    pub outer_ip_offset: u16,
    /// Offset of the IP payload (or of whatever the mprotocol treats as payload).
    pub payload_offset: u16,
    /// Length of that payload.
    pub payload_len: u32,
    /// First VLAN id seen.
    pub vlan: u16,
    /// The VLAN was read from an Ethernet/SLL header (counted there, not again as dot1q).
    pub vlan_copy: bool,
    /// VXLAN/Geneve network id.
    pub vni: u32,
    /// [`tunnel`] bits.
    pub tunnel: u16,
    /// Nesting depth, to stop runaway recursion.
    pub tunnel_depth: u8,
    /// Innermost IP is IPv6.
    pub v6: bool,
    /// The IP header before it is IPv6.
    pub outer_v6: bool,
    /// The mprotocol that owns the packet's session.
    pub mprotocol: u8,
    /// The innermost IP protocol.
    pub ip_protocol: u8,
    /// 0: from the session's source; 1: from its destination.
    pub direction: u8,
    /// Rebuilt from IPv4 or IPv6 fragments.
    pub was_frag: bool,
    /// The IPv6 fragment header, when the packet is an IPv6 fragment.
    pub frag6: Option<Frag6>,
    /// Hash of the session id.
    pub hash: u32,
    /// The session id.
    pub session_id: SessionId,
}

/// A packet: its bytes and what the enqueue phase learnt about it.
#[derive(Clone, Debug)]
pub struct Packet {
    /// The bytes.
    pub data: PacketData,
    /// The metadata.
    pub meta: PacketMeta,
}

impl Packet {
    /// A packet over a reader record.
    #[inline]
    pub fn from_record(rec: trawl_readers::Record, reader_pos: u16) -> Packet {
        let len = rec.caplen.min(PACKET_MAX_LEN as u32);
        Packet {
            meta: PacketMeta {
                ts_sec: rec.ts_sec,
                ts_usec: rec.ts_usec,
                len,
                file_pos: rec.file_pos,
                reader_pos,
                linktype: rec.linktype,
                ..PacketMeta::default()
            },
            data: PacketData::Shared {
                chunk: rec.chunk,
                start: rec.start,
            },
        }
    }

    /// A packet that owns its bytes (tests, rebuilt fragments).
    pub fn from_bytes(bytes: &[u8], linktype: u32, ts_sec: u32, ts_usec: u32) -> Packet {
        let len = bytes.len().min(PACKET_MAX_LEN);
        Packet {
            meta: PacketMeta {
                ts_sec: u64::from(ts_sec),
                ts_usec,
                len: len as u32,
                linktype,
                file_pos: 24,
                ..PacketMeta::default()
            },
            data: PacketData::Owned(bytes[..len].into()),
        }
    }

    /// Copies the bytes out of the shared read chunk, so a packet kept for long (an
    /// out-of-order TCP segment, a fragment) does not keep the whole chunk alive.
    pub fn make_owned(&mut self) {
        if let PacketData::Shared { .. } = self.data {
            let owned: Box<[u8]> = self.bytes().into();
            self.data = PacketData::Owned(owned);
        }
    }

    /// The packet's bytes in use (`meta.len` of them).
    #[inline]
    pub fn bytes(&self) -> &[u8] {
        let all: &[u8] = match &self.data {
            PacketData::Shared { chunk, start } => {
                let s = *start as usize;
                chunk.get(s..).unwrap_or(&[])
            }
            PacketData::Owned(b) => b,
        };
        all.get(..self.meta.len as usize).unwrap_or(all)
    }

    /// The bytes and the metadata, the latter mutable (for decoders).
    #[inline]
    pub fn split_mut(&mut self) -> (&[u8], &mut PacketMeta) {
        let all: &[u8] = match &self.data {
            PacketData::Shared { chunk, start } => chunk.get(*start as usize..).unwrap_or(&[]),
            PacketData::Owned(b) => b,
        };
        let len = (self.meta.len as usize).min(all.len());
        (&all[..len], &mut self.meta)
    }

    /// The IP payload the enqueue phase found.
    pub fn payload(&self) -> &[u8] {
        let b = self.bytes();
        let s = usize::from(self.meta.payload_offset);
        let e = s
            .saturating_add(self.meta.payload_len as usize)
            .min(b.len());
        b.get(s..e).unwrap_or(&[])
    }

    /// Capture time in microseconds.
    pub fn ts_micros(&self) -> u64 {
        self.meta.ts_sec * 1_000_000 + u64::from(self.meta.ts_usec)
    }
}
