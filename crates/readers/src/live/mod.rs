//! Live packet sources, the reader threads of a sensor: libpcap (`pcapReadMethod=
//! libpcap`, the default) and an AF_PACKET TPACKET_V3 ring (`tpacketv3`). Each hands
//! out batches of [`Record`]s that borrow one chunk copied from the kernel's buffer,
//! so packets after that are not copied again, and reports the kernel's counts of
//! packets received and dropped.

#[allow(unsafe_code)] // SAFETY notes at each block: it calls the OS.
mod libpcap;
#[allow(unsafe_code)] // SAFETY notes at each block: it calls the OS.
mod tpacketv3;

use std::time::Duration;

pub use libpcap::Libpcap;
pub use tpacketv3::TpacketV3;

use crate::Record;

/// How long a source waits for packets before returning an empty batch, so the
/// caller can notice a stop request.
pub const POLL: Duration = Duration::from_millis(100);

/// What a live source is opened with (Arkime's `snapLen`, `bpf`, promiscuous mode,
/// and the ring's block size and fanout for TPACKET_V3).
#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// Bytes kept of each packet.
    pub snaplen: u32,
    /// Put the interface into promiscuous mode.
    pub promisc: bool,
    /// Capture filter (tcpdump syntax).
    pub bpf: Option<String>,
    /// TPACKET_V3 block size (`tpacketv3BlockSize`).
    pub block_size: u32,
    /// TPACKET_V3 blocks in the ring.
    pub num_blocks: u32,
    /// TPACKET_V3 fanout group joined by every socket of one interface, when several
    /// threads read it (`tpacketv3NumThreads`).
    pub fanout_group: Option<u16>,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            snaplen: 16384,
            promisc: true,
            bpf: None,
            block_size: 1 << 20,
            num_blocks: 64,
            fanout_group: None,
        }
    }
}

/// Kernel counters of a live source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiveStats {
    /// Packets the kernel handed to the capture.
    pub received: u64,
    /// Packets the kernel dropped because the capture's buffer was full.
    pub dropped: u64,
    /// Packets the interface or driver dropped (libpcap only).
    pub if_dropped: u64,
}

/// Why a live source failed.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// Opening the interface failed (no such interface, no permission, bad filter).
    #[error("{interface}: {message}")]
    Open {
        /// The interface.
        interface: String,
        /// What went wrong.
        message: String,
    },
    /// Reading failed after the interface was open.
    #[error("{interface}: reading: {message}")]
    Read {
        /// The interface.
        interface: String,
        /// What went wrong.
        message: String,
    },
}

/// A live packet source.
pub trait LiveSource: Send {
    /// The interface name.
    fn interface(&self) -> &str;
    /// The link type of its packets.
    fn linktype(&self) -> u32;
    /// Appends the packets that arrived (waiting at most [`POLL`] for the first).
    fn next_batch(&mut self, out: &mut Vec<Record>) -> Result<(), LiveError>;
    /// The kernel's counters so far.
    fn stats(&mut self) -> LiveStats;
}

/// Opens `interface` with the given `pcapReadMethod`.
pub fn open(
    method: &str,
    interface: &str,
    opts: &LiveOptions,
) -> Result<Box<dyn LiveSource>, LiveError> {
    match method {
        "tpacketv3" | "tpacketv3-libpcap" => Ok(Box::new(TpacketV3::open(interface, opts)?)),
        "libpcap" | "pcap" | "" => Ok(Box::new(Libpcap::open(interface, opts)?)),
        other => Err(LiveError::Open {
            interface: interface.to_string(),
            message: format!("pcapReadMethod={other} is not supported (libpcap or tpacketv3)"),
        }),
    }
}

/// Packs packets into one chunk as they arrive, then hands them out as records.
pub(crate) struct Batcher {
    data: Vec<u8>,
    /// (start, caplen, origlen, sec, usec) of each packet.
    meta: Vec<(u32, u32, u32, u32, u32)>,
}

impl Batcher {
    pub(crate) fn new() -> Self {
        Batcher {
            data: Vec::with_capacity(1 << 20),
            meta: Vec::with_capacity(1024),
        }
    }

    pub(crate) fn push(&mut self, bytes: &[u8], origlen: u32, sec: u32, usec: u32) {
        let start = self.data.len() as u32;
        self.data.extend_from_slice(bytes);
        self.meta
            .push((start, bytes.len() as u32, origlen, sec, usec));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.meta.is_empty()
    }

    /// Moves the packets into `out` as records of one shared chunk.
    pub(crate) fn drain_into(&mut self, linktype: u32, out: &mut Vec<Record>) {
        if self.meta.is_empty() {
            return;
        }
        let chunk = std::sync::Arc::new(std::mem::replace(
            &mut self.data,
            Vec::with_capacity(1 << 20),
        ));
        for &(start, caplen, origlen, ts_sec, ts_usec) in &self.meta {
            out.push(Record {
                chunk: std::sync::Arc::clone(&chunk),
                start,
                caplen,
                origlen,
                ts_sec: u64::from(ts_sec),
                ts_usec,
                linktype,
                file_pos: 0,
            });
        }
        self.meta.clear();
    }
}
