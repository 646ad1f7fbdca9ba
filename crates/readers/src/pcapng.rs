//! pcapng: section header, interface description, enhanced/simple/obsolete packet
//! blocks; other blocks are skipped. Each interface keeps its link type, snaplen and
//! timestamp resolution and offset.

use crate::source::ChunkedSource;
use crate::{ReadError, ReaderStats, Record};

const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 1;
const OBSOLETE_PB: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;
/// A block larger than this is taken for corrupt.
const MAX_BLOCK: u32 = 16 << 20;

#[derive(Clone, Debug)]
struct Interface {
    linktype: u32,
    snaplen: u32,
    /// Timestamp units per second.
    units: u64,
    offset_secs: i64,
}

pub(crate) struct PcapNg {
    big_endian: bool,
    ifaces: Vec<Interface>,
}

fn rd32(b: &[u8], off: usize, be: bool) -> Option<u32> {
    let s: [u8; 4] = b.get(off..off + 4)?.try_into().ok()?;
    Some(if be {
        u32::from_be_bytes(s)
    } else {
        u32::from_le_bytes(s)
    })
}

fn rd16(b: &[u8], off: usize, be: bool) -> Option<u16> {
    let s: [u8; 2] = b.get(off..off + 2)?.try_into().ok()?;
    Some(if be {
        u16::from_be_bytes(s)
    } else {
        u16::from_le_bytes(s)
    })
}

/// Whether these four bytes start a pcapng section.
pub(crate) fn is_pcapng(m: [u8; 4]) -> bool {
    u32::from_le_bytes(m) == SHB
}

fn parse_idb(body: &[u8], be: bool) -> Option<Interface> {
    let linktype = u32::from(rd16(body, 0, be)?);
    let snaplen = rd32(body, 4, be)?;
    let mut units = 1_000_000u64;
    let mut offset_secs = 0i64;
    let mut o = 8;
    while o + 4 <= body.len() {
        let code = rd16(body, o, be)?;
        let len = usize::from(rd16(body, o + 2, be)?);
        let val = body.get(o + 4..o + 4 + len)?;
        match code {
            0 => break,
            9 if len >= 1 => {
                let v = val[0];
                let exp = u32::from(v & 0x7f);
                units = if v & 0x80 == 0 {
                    10u64.checked_pow(exp).unwrap_or(0)
                } else {
                    1u64.checked_shl(exp).unwrap_or(0)
                };
                if units == 0 {
                    return None;
                }
            }
            14 if len >= 8 => {
                let b: [u8; 8] = val[..8].try_into().ok()?;
                offset_secs = if be {
                    i64::from_be_bytes(b)
                } else {
                    i64::from_le_bytes(b)
                };
            }
            _ => {}
        }
        o += 4 + len.div_ceil(4) * 4;
    }
    Some(Interface {
        linktype,
        snaplen,
        units,
        offset_secs,
    })
}

/// Seconds and microseconds of a 64-bit pcapng time, as libpcap gives them (its
/// `time_t` seconds pass 2106).
fn to_sec_usec(i: &Interface, ts: u64) -> (u64, u32) {
    let secs = ts / i.units;
    let frac = ts % i.units;
    let usec = (u128::from(frac) * 1_000_000 / u128::from(i.units)) as u32;
    ((secs as i64).wrapping_add(i.offset_secs) as u64, usec)
}

impl PcapNg {
    /// Reads the first section header.
    pub(crate) fn open(src: &mut ChunkedSource, name: &str) -> Result<PcapNg, ReadError> {
        let mut ng = PcapNg {
            big_endian: false,
            ifaces: Vec::new(),
        };
        ng.read_shb(src, name)?;
        Ok(ng)
    }

    fn read_shb(&mut self, src: &mut ChunkedSource, name: &str) -> Result<(), ReadError> {
        let at = src.offset();
        if !src.ensure(12).map_err(|e| ReadError::io(name, e))? {
            return Err(ReadError::Truncated {
                file: name.into(),
                offset: at,
                what: "section header block".into(),
            });
        }
        let h = src.peek(12);
        let bom = [h[8], h[9], h[10], h[11]];
        self.big_endian = match bom {
            [0x1a, 0x2b, 0x3c, 0x4d] => true,
            [0x4d, 0x3c, 0x2b, 0x1a] => false,
            _ => {
                return Err(ReadError::Corrupt {
                    file: name.into(),
                    offset: at,
                    reason: "bad byte-order magic".into(),
                })
            }
        };
        let len = rd32(h, 4, self.big_endian).unwrap_or(0);
        if !(28..=MAX_BLOCK).contains(&len) || !len.is_multiple_of(4) {
            return Err(ReadError::Corrupt {
                file: name.into(),
                offset: at,
                reason: format!("section header length {len}"),
            });
        }
        if !src
            .ensure(len as usize)
            .map_err(|e| ReadError::io(name, e))?
        {
            return Err(ReadError::Truncated {
                file: name.into(),
                offset: at,
                what: "section header block".into(),
            });
        }
        src.take(len as usize);
        self.ifaces.clear();
        Ok(())
    }

    /// The link type of the first interface seen so far (1 before any).
    pub(crate) fn linktype(&self) -> u32 {
        self.ifaces.first().map_or(1, |i| i.linktype)
    }

    /// The snaplen of the first interface.
    pub(crate) fn snaplen(&self) -> u32 {
        self.ifaces.first().map_or(0, |i| i.snaplen)
    }

    /// Reads until the next packet; Ok(None) at a clean end.
    pub(crate) fn next_record(
        &mut self,
        src: &mut ChunkedSource,
        name: &str,
        stats: &mut ReaderStats,
    ) -> Result<Option<Record>, ReadError> {
        loop {
            let at = src.offset();
            if !src.ensure(8).map_err(|e| ReadError::io(name, e))? {
                if src.remaining_in_chunk() > 0 {
                    return Err(ReadError::Truncated {
                        file: name.into(),
                        offset: at,
                        what: "block header".into(),
                    });
                }
                return Ok(None);
            }
            let h = src.peek(8);
            let btype = rd32(h, 0, self.big_endian).unwrap_or(0);
            if btype == SHB {
                self.read_shb(src, name)?;
                continue;
            }
            let len = rd32(h, 4, self.big_endian).unwrap_or(0);
            if !(12..=MAX_BLOCK).contains(&len) || !len.is_multiple_of(4) {
                return Err(ReadError::Corrupt {
                    file: name.into(),
                    offset: at,
                    reason: format!("block length {len}"),
                });
            }
            let len = len as usize;
            if !src.ensure(len).map_err(|e| ReadError::io(name, e))? {
                return Err(ReadError::Truncated {
                    file: name.into(),
                    offset: at,
                    what: format!("block of {len} bytes"),
                });
            }
            let be = self.big_endian;
            let block = src.peek(len);
            let body = &block[8..len - 4];
            let corrupt = |reason: &str| ReadError::Corrupt {
                file: name.into(),
                offset: at,
                reason: reason.into(),
            };
            // (interface, timestamp, caplen, origlen, data offset in block)
            let pkt: Option<(usize, u64, u32, u32, usize)> = match btype {
                IDB => {
                    let i = parse_idb(body, be)
                        .ok_or_else(|| corrupt("malformed interface description"))?;
                    self.ifaces.push(i);
                    None
                }
                EPB => {
                    let (Some(ifc), Some(hi), Some(lo), Some(cap), Some(orig)) = (
                        rd32(body, 0, be),
                        rd32(body, 4, be),
                        rd32(body, 8, be),
                        rd32(body, 12, be),
                        rd32(body, 16, be),
                    ) else {
                        return Err(corrupt("enhanced packet block too short"));
                    };
                    Some((
                        ifc as usize,
                        u64::from(hi) << 32 | u64::from(lo),
                        cap,
                        orig,
                        28,
                    ))
                }
                OBSOLETE_PB => {
                    let (Some(ifc), Some(hi), Some(lo), Some(cap), Some(orig)) = (
                        rd16(body, 0, be),
                        rd32(body, 4, be),
                        rd32(body, 8, be),
                        rd32(body, 12, be),
                        rd32(body, 16, be),
                    ) else {
                        return Err(corrupt("packet block too short"));
                    };
                    Some((
                        usize::from(ifc),
                        u64::from(hi) << 32 | u64::from(lo),
                        cap,
                        orig,
                        28,
                    ))
                }
                SPB => {
                    let orig = rd32(body, 0, be)
                        .ok_or_else(|| corrupt("simple packet block too short"))?;
                    let snap = self.ifaces.first().map_or(u32::MAX, |i| {
                        if i.snaplen == 0 {
                            u32::MAX
                        } else {
                            i.snaplen
                        }
                    });
                    let cap = orig.min(snap).min((len - 16) as u32);
                    Some((0, 0, cap, orig, 12))
                }
                _ => None,
            };
            let Some((ifc, ts, cap, orig, data_off)) = pkt else {
                src.take(len);
                continue;
            };
            let Some(iface) = self.ifaces.get(ifc).cloned() else {
                return Err(corrupt(&format!(
                    "packet for interface {ifc}, which was not described"
                )));
            };
            if data_off + cap as usize > len - 4 {
                return Err(corrupt("packet data runs past its block"));
            }
            let (chunk, start) = src.take(len);
            stats.records += 1;
            stats.bytes += len as u64;
            if cap > crate::pcap::PACKET_MAX_LEN {
                stats.skipped_oversize += 1;
                continue;
            }
            if cap < orig {
                stats.truncated_packets += 1;
            }
            let (ts_sec, ts_usec) = if btype == SPB {
                (0, 0)
            } else {
                to_sec_usec(&iface, ts)
            };
            return Ok(Some(Record {
                chunk,
                start: start + data_off as u32,
                caplen: cap,
                origlen: orig,
                ts_sec,
                ts_usec,
                linktype: iface.linktype,
                file_pos: at,
            }));
        }
    }
}
