//! Classic libpcap files: a 24-byte header then 16-byte record headers, either byte
//! order, microsecond or nanosecond stamps.

use crate::source::ChunkedSource;
use crate::{ReadError, ReaderStats, Record};

/// Largest record a file may claim before it is taken for corrupt: libpcap's
/// maximum snapshot length, or the file's own snaplen if larger.
const MAX_SANE_CAPLEN: u32 = 262_144;
/// Records longer than this are skipped and counted (Arkime's packet length is 16 bits).
pub const PACKET_MAX_LEN: u32 = 0xffff;

/// The parsed global header.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Header {
    pub big_endian: bool,
    pub nanos: bool,
    pub snaplen: u32,
    pub linktype: u32,
}

/// Recognizes a classic pcap magic number: (big endian, nanosecond stamps).
pub(crate) fn magic(m: [u8; 4]) -> Option<(bool, bool)> {
    match m {
        [0xd4, 0xc3, 0xb2, 0xa1] => Some((false, false)),
        [0xa1, 0xb2, 0xc3, 0xd4] => Some((true, false)),
        [0x4d, 0x3c, 0xb2, 0xa1] => Some((false, true)),
        [0xa1, 0xb2, 0x3c, 0x4d] => Some((true, true)),
        _ => None,
    }
}

fn u32_at(b: &[u8], off: usize, be: bool) -> u32 {
    let a = [b[off], b[off + 1], b[off + 2], b[off + 3]];
    if be {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    }
}

pub(crate) fn read_header(src: &mut ChunkedSource, name: &str) -> Result<Header, ReadError> {
    // The magic decides first, so a file that is not a pcap says so even when short.
    let full = src.ensure(24).map_err(|e| ReadError::io(name, e))?;
    let h = src.peek(24);
    let m = [0, 1, 2, 3].map(|i| h.get(i).copied().unwrap_or(0));
    let (big_endian, nanos) = magic(m).ok_or_else(|| ReadError::BadMagic {
        file: name.to_string(),
    })?;
    if !full {
        return Err(ReadError::Truncated {
            file: name.to_string(),
            offset: 0,
            what: "pcap file header".into(),
        });
    }
    let snaplen = u32_at(h, 16, big_endian);
    // The upper bits of the link type field carry FCS information in some files.
    let linktype = u32_at(h, 20, big_endian) & 0x03ff_ffff;
    src.take(24);
    Ok(Header {
        big_endian,
        nanos,
        snaplen,
        linktype,
    })
}

/// Reads the next record; Ok(None) at a clean end.
pub(crate) fn next_record(
    src: &mut ChunkedSource,
    h: &Header,
    name: &str,
    stats: &mut ReaderStats,
) -> Result<Option<Record>, ReadError> {
    loop {
        let at = src.offset();
        if !src.ensure(16).map_err(|e| ReadError::io(name, e))? {
            if src.remaining_in_chunk() > 0 {
                return Err(ReadError::Truncated {
                    file: name.to_string(),
                    offset: at,
                    what: "record header".into(),
                });
            }
            return Ok(None);
        }
        let r = src.peek(16);
        let be = h.big_endian;
        let (sec, frac, caplen, origlen) = (
            u32_at(r, 0, be),
            u32_at(r, 4, be),
            u32_at(r, 8, be),
            u32_at(r, 12, be),
        );
        if caplen > MAX_SANE_CAPLEN.max(h.snaplen) {
            return Err(ReadError::Corrupt {
                file: name.to_string(),
                offset: at,
                reason: format!(
                    "record claims {caplen} captured bytes, more than the snapshot length"
                ),
            });
        }
        let total = 16 + caplen as usize;
        if !src.ensure(total).map_err(|e| ReadError::io(name, e))? {
            return Err(ReadError::Truncated {
                file: name.to_string(),
                offset: at,
                what: format!(
                    "record of {caplen} bytes ({} present)",
                    src.remaining_in_chunk().saturating_sub(16)
                ),
            });
        }
        let (chunk, start) = src.take(total);
        stats.records += 1;
        stats.bytes += total as u64;
        if caplen > PACKET_MAX_LEN {
            stats.skipped_oversize += 1;
            continue;
        }
        if caplen < origlen {
            stats.truncated_packets += 1;
        }
        return Ok(Some(Record {
            chunk,
            start: start + 16,
            caplen,
            origlen,
            ts_sec: u64::from(sec),
            ts_usec: if h.nanos { frac / 1000 } else { frac },
            linktype: h.linktype,
            file_pos: at,
        }));
    }
}
