//! Packet sources for the capture: classic pcap and pcapng files (gzip compressed
//! too; local, or streamed from `http://` and `https://` URLs), read in large chunks
//! that the packets then borrow, the expansion of `-r`, `-R` and `-F` into the list
//! of files to read, and live interfaces ([`live`]).

mod http;
mod inputs;
pub mod live;
mod pcap;
mod pcapng;
mod source;
mod tls;

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

pub use http::{open_url, Input, UriError};
pub use inputs::{expand_inputs, InputError, InputSpec};
pub use source::CHUNK_SIZE;

use source::ChunkedSource;

/// Bytes read from a file in one go, shared (zero-copy) by all packets inside it.
pub type Chunk = std::sync::Arc<Vec<u8>>;

/// One packet record, borrowing its bytes from a shared chunk.
#[derive(Clone, Debug)]
pub struct Record {
    /// The chunk holding the packet.
    pub chunk: Chunk,
    /// Offset of the packet bytes in the chunk.
    pub start: u32,
    /// Captured length.
    pub caplen: u32,
    /// Length on the wire.
    pub origlen: u32,
    /// Seconds (64 bits: pcapng times can pass 2106).
    pub ts_sec: u64,
    /// Microseconds (nanosecond files are truncated, as libpcap does by default).
    pub ts_usec: u32,
    /// Link type of this record.
    pub linktype: u32,
    /// File offset of the record header (classic pcap: the first is 24) or block (pcapng).
    pub file_pos: u64,
}

impl Record {
    /// The packet bytes.
    pub fn data(&self) -> &[u8] {
        let s = self.start as usize;
        self.chunk.get(s..s + self.caplen as usize).unwrap_or(&[])
    }
}

/// Which format a file is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Classic pcap.
    Pcap {
        /// Nanosecond timestamps.
        nanos: bool,
        /// Big-endian headers.
        big_endian: bool,
    },
    /// pcapng.
    PcapNg,
}

/// Counters of one reader.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReaderStats {
    /// Records read (including skipped ones).
    pub records: u64,
    /// Bytes of records read, headers included.
    pub bytes: u64,
    /// Records longer than 65535 bytes, skipped as Arkime does.
    pub skipped_oversize: u64,
    /// Records captured shorter than they were on the wire.
    pub truncated_packets: u64,
}

/// Why a file could not be read (further).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The OS said no.
    #[error("{file}: {source}")]
    Io {
        /// File.
        file: String,
        /// Error.
        source: std::io::Error,
    },
    /// Not a pcap or pcapng file.
    #[error("{file}: not a pcap or pcapng file (unknown magic number)")]
    BadMagic {
        /// File.
        file: String,
    },
    /// The file ends inside something.
    #[error("{file}: truncated at byte {offset}: incomplete {what}")]
    Truncated {
        /// File.
        file: String,
        /// Where.
        offset: u64,
        /// What was cut.
        what: String,
    },
    /// A header makes no sense.
    #[error("{file}: corrupt at byte {offset}: {reason}")]
    Corrupt {
        /// File.
        file: String,
        /// Where.
        offset: u64,
        /// Why.
        reason: String,
    },
}

impl ReadError {
    fn io(file: &str, source: std::io::Error) -> Self {
        ReadError::Io {
            file: file.to_string(),
            source,
        }
    }
}

enum Kind {
    Pcap(pcap::Header),
    PcapNg(pcapng::PcapNg),
}

/// A classic pcap or pcapng file, chosen by magic.
pub struct OfflineReader {
    name: String,
    src: ChunkedSource,
    kind: Kind,
    stats: ReaderStats,
    done: bool,
}

impl OfflineReader {
    /// Opens a file.
    pub fn open(path: &Path) -> Result<Self, ReadError> {
        let name = path.display().to_string();
        let f = File::open(path).map_err(|e| ReadError::io(&name, e))?;
        Self::from_read(Box::new(f), &name)
    }

    /// Reads from any stream (stdin, tests).
    pub fn from_read(src: Box<dyn Read + Send>, name: &str) -> Result<Self, ReadError> {
        Self::with_chunk_size(src, name, CHUNK_SIZE)
    }

    /// As [`Self::from_read`] with a given chunk size.
    pub fn with_chunk_size(
        src: Box<dyn Read + Send>,
        name: &str,
        chunk_size: usize,
    ) -> Result<Self, ReadError> {
        let mut src = ChunkedSource::new(src, chunk_size);
        if !src.ensure(4).map_err(|e| ReadError::io(name, e))? {
            return Err(ReadError::Truncated {
                file: name.into(),
                offset: 0,
                what: "file header".into(),
            });
        }
        let m = src.peek(4);
        if m[0] == 0x1f && m[1] == 0x8b {
            // gzip: restart on the decompressed stream (offsets are of that stream).
            let rest: Box<dyn Read + Send> = Box::new(RestThenTail { src: Some(src) });
            let gz = flate2::read::MultiGzDecoder::new(BufReader::new(rest));
            return Self::with_chunk_size(Box::new(gz), name, chunk_size);
        }
        let m = [m[0], m[1], m[2], m[3]];
        let kind = if pcapng::is_pcapng(m) {
            Kind::PcapNg(pcapng::PcapNg::open(&mut src, name)?)
        } else {
            Kind::Pcap(pcap::read_header(&mut src, name)?)
        };
        Ok(OfflineReader {
            name: name.to_string(),
            src,
            kind,
            stats: ReaderStats::default(),
            done: false,
        })
    }

    /// The file's link type (pcapng: its first interface's).
    pub fn linktype(&self) -> u32 {
        match &self.kind {
            Kind::Pcap(h) => h.linktype,
            Kind::PcapNg(n) => n.linktype(),
        }
    }

    /// The file's snapshot length.
    pub fn snaplen(&self) -> u32 {
        match &self.kind {
            Kind::Pcap(h) => h.snaplen,
            Kind::PcapNg(n) => n.snaplen(),
        }
    }

    /// The format.
    pub fn format(&self) -> Format {
        match &self.kind {
            Kind::Pcap(h) => Format::Pcap {
                nanos: h.nanos,
                big_endian: h.big_endian,
            },
            Kind::PcapNg(_) => Format::PcapNg,
        }
    }

    /// The next record. Ok(None) at a clean end of file. Err for a truncated or corrupt
    /// file, saying where; records before it were returned, and afterwards the reader
    /// only returns Ok(None).
    #[inline]
    pub fn next_record(&mut self) -> Result<Option<Record>, ReadError> {
        if self.done {
            return Ok(None);
        }
        let r = match &mut self.kind {
            Kind::Pcap(h) => pcap::next_record(&mut self.src, h, &self.name, &mut self.stats),
            Kind::PcapNg(n) => n.next_record(&mut self.src, &self.name, &mut self.stats),
        };
        if !matches!(r, Ok(Some(_))) {
            self.done = true;
        }
        r
    }

    /// Counters.
    pub fn stats(&self) -> &ReaderStats {
        &self.stats
    }

    /// Bytes of the stream consumed so far (of the decompressed stream for a
    /// compressed file): a file read to its end, its size.
    pub fn position(&self) -> u64 {
        self.src.offset()
    }
}

/// Replays what a [`ChunkedSource`] already buffered, then its remaining stream.
struct RestThenTail {
    src: Option<ChunkedSource>,
}

impl Read for RestThenTail {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let Some(src) = self.src.as_mut() else {
            return Ok(0);
        };
        let n = src.remaining_in_chunk().min(buf.len());
        if n > 0 {
            buf[..n].copy_from_slice(src.peek(n));
            src.take(n);
            return Ok(n);
        }
        if src.ensure(1)? {
            return self.read(buf);
        }
        self.src = None;
        Ok(0)
    }
}
