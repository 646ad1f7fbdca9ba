//! The test kit: packets built from scratch and a capture run in-process, so that a
//! test in any crate can say "these bytes on the wire make this document".
//!
//! * [`wire`] builds headers (Ethernet, IPv4/IPv6, TCP/UDP/SCTP) with lengths and
//!   checksums right.
//! * [`TcpConversation`], [`UdpExchange`] and [`SctpAssociation`] build whole
//!   exchanges as timestamped frames.
//! * [`run_session`] / [`run_sessions`] put frames through the packet decoder, a
//!   packet thread with the given parsers registered, and the document writer, and
//!   return the documents as JSON, exactly as `--tests` would print their bodies.
//! * [`pcap`] writes frames as a pcap file (for `trawl sample` and tests of the
//!   readers).

pub mod conversation;
pub mod run;
pub mod wire;

pub use conversation::{
    frame_at_ms, SctpAssociation, Side, TcpConversation, UdpExchange, CLIENT_MAC, SERVER_MAC,
    START_SECS,
};
pub use run::{run_session, run_sessions, Registrar};

/// pcap's link type for Ethernet.
pub const LINKTYPE_ETHERNET: u32 = 1;
/// pcap's link type for raw IPv4.
pub const LINKTYPE_IPV4: u32 = 228;

/// One captured frame: its time, link type and bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Seconds since the epoch.
    pub ts_sec: u32,
    /// Microseconds.
    pub ts_usec: u32,
    /// pcap link type of `bytes`.
    pub linktype: u32,
    /// The frame.
    pub bytes: Vec<u8>,
}

impl Frame {
    /// An Ethernet frame at this time.
    pub fn ethernet(ts_sec: u32, ts_usec: u32, bytes: Vec<u8>) -> Frame {
        Frame {
            ts_sec,
            ts_usec,
            linktype: LINKTYPE_ETHERNET,
            bytes,
        }
    }
}

/// A classic little-endian microsecond pcap file of `frames` (all must share the
/// first frame's link type; Ethernet when there are none).
pub fn pcap(frames: &[Frame]) -> Vec<u8> {
    let linktype = frames.first().map_or(LINKTYPE_ETHERNET, |f| f.linktype);
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&linktype.to_le_bytes());
    for f in frames {
        assert_eq!(f.linktype, linktype, "one link type per pcap file");
        out.extend_from_slice(&f.ts_sec.to_le_bytes());
        out.extend_from_slice(&f.ts_usec.to_le_bytes());
        out.extend_from_slice(&(f.bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(&f.bytes);
    }
    out
}
