//! The packets of matching sessions as one pcap, read back from the files their
//! `packetPos` points into and written in time order, for `trawl pcap` and the API's
//! `/api/sessions/pcap`.
//!
//! An export runs in two steps so that its memory does not grow with the answer:
//! [`plan`] reads every packet once to learn its time (and finds the unreadable
//! ones), keeping the bytes of the first few MiB; [`Export::write_to`] writes them
//! in time order, reading the others again as it goes.

use std::collections::HashMap;
use std::io::Write;

use anyhow::Result;
use trawl_writer::PcapFile;

use crate::source::SessionSource;

/// Packet bytes kept from the planning read; past this, packets are read again when
/// written.
const KEEP_BYTES: usize = 16 << 20;

/// One file position per packet: (file number, byte offset of its record header).
pub fn decode_positions(pos: &[i64], gap_encoded: impl Fn(u32) -> bool) -> Vec<(u32, u64)> {
    let mut out = Vec::with_capacity(pos.len());
    let (mut file, mut last, mut last_gap, mut gap) = (0u32, 0i64, 0i64, false);
    for &v in pos {
        if v < 0 {
            file = u32::try_from(v.unsigned_abs()).unwrap_or(0);
            gap = gap_encoded(file);
            // As Arkime's viewer: a new file restarts positions, not the last gap.
            last = 0;
            continue;
        }
        let p = if gap {
            let g = if v == 0 { last_gap } else { v };
            last_gap = g;
            last = last.saturating_add(g);
            last
        } else {
            v
        };
        if file != 0 && p > 0 {
            out.push((file, p as u64));
        }
    }
    out
}

/// What an export did.
#[derive(Clone, Debug, Default)]
pub struct ExportReport {
    /// Packets written (after planning: packets to write).
    pub packets: u64,
    /// Sessions with packets that could not be read (file missing, corrupt).
    pub bad_sessions: u64,
    /// Packets that could not be read.
    pub bad_packets: u64,
    /// Packets left out because their file has another link type or byte order.
    pub other_link: u64,
    /// Sessions left out because their packets are on another node, by node.
    pub other_nodes: std::collections::BTreeMap<String, u64>,
}

/// One packet to write.
struct Planned {
    ns: u128,
    /// Index into [`Export::sources`].
    source: u32,
    pos: u64,
    /// Its record header and bytes, if kept from the planning read.
    kept: Option<Box<([u8; 16], Vec<u8>)>>,
}

/// An export planned by [`plan`], ready to be written.
pub struct Export {
    header: [u8; 24],
    sources: Vec<(String, PcapFile)>,
    packets: Vec<Planned>,
    report: ExportReport,
}

/// The global header of an export with no packet: little-endian, µs, Ethernet.
fn empty_header() -> [u8; 24] {
    let mut h = [0u8; 24];
    h[..4].copy_from_slice(&[0xd4, 0xc3, 0xb2, 0xa1]);
    h[4..6].copy_from_slice(&2u16.to_le_bytes());
    h[6..8].copy_from_slice(&4u16.to_le_bytes());
    h[16..20].copy_from_slice(&262_144u32.to_le_bytes());
    h[20..24].copy_from_slice(&1u32.to_le_bytes());
    h
}

/// Reads the packets of `hits` once, in their sessions' order, to learn their times
/// and which cannot be read. Sessions whose files are missing or corrupt are logged
/// and counted; an export of the others follows.
pub fn plan(source: &dyn SessionSource, hits: &[trawl_store::Hit]) -> Result<Export> {
    // (node, file number) → index into `sources`, or None when it cannot be read.
    let mut opened: HashMap<(String, u32), Option<u32>> = HashMap::new();
    let mut sources: Vec<(String, PcapFile)> = Vec::new();
    let mut packets: Vec<Planned> = Vec::new();
    let mut out_header: Option<[u8; 24]> = None;
    let mut kept_bytes = 0usize;
    let mut report = ExportReport::default();
    for h in hits {
        let v: serde_json::Value = serde_json::from_str(&h.source).unwrap_or_default();
        let node = v
            .get("node")
            .and_then(|n| n.as_str())
            .unwrap_or("")
            .to_string();
        if !source.reads_node(&node) {
            *report.other_nodes.entry(node).or_default() += 1;
            continue;
        }
        let pos: Vec<i64> = v
            .get("packetPos")
            .and_then(|p| p.as_array())
            .map(|a| a.iter().filter_map(serde_json::Value::as_i64).collect())
            .unwrap_or_default();
        let gap = |num: u32| {
            source
                .file(&node, num)
                .and_then(|f| f.packet_pos_encoding)
                .is_some_and(|e| e == "gap0")
        };
        let mut session_bad = false;
        for (num, p) in decode_positions(&pos, gap) {
            let idx = *opened.entry((node.clone(), num)).or_insert_with(|| {
                let Some(info) = source.file(&node, num) else {
                    tracing::error!(
                        "session {}: file {node}-{num} is not in the files registry",
                        h.id
                    );
                    return None;
                };
                match PcapFile::open(&info) {
                    Ok(s) => {
                        sources.push((info.name.clone(), s));
                        u32::try_from(sources.len() - 1).ok()
                    }
                    Err(e) => {
                        tracing::error!("session {}: {}: {e}", h.id, info.name);
                        None
                    }
                }
            });
            let Some((idx, (name, src))) =
                idx.and_then(|i| Some((i, sources.get_mut(i as usize)?)))
            else {
                session_bad = true;
                report.bad_packets += 1;
                continue;
            };
            let header = *out_header.get_or_insert(src.header);
            let same_link = header[20..24] == src.header[20..24] && header[..4] == src.header[..4];
            match src.record(p) {
                Ok(r) => {
                    if !same_link {
                        report.other_link += 1;
                        continue;
                    }
                    let kept = (kept_bytes < KEEP_BYTES).then(|| {
                        kept_bytes += r.data.len() + 16;
                        Box::new((r.header, r.data))
                    });
                    packets.push(Planned {
                        ns: r.ns,
                        source: idx,
                        pos: p,
                        kept,
                    });
                }
                Err(e) => {
                    tracing::error!("session {}: packet at {name}:{p}: {e:#}", h.id);
                    session_bad = true;
                    report.bad_packets += 1;
                }
            }
        }
        if session_bad {
            report.bad_sessions += 1;
        }
    }
    // Time order (stable: packets of one time keep their sessions' order); a packet
    // shared by two matching sessions (never, for one capture) would appear twice.
    packets.sort_by_key(|p| p.ns);
    report.packets = packets.len() as u64;
    Ok(Export {
        header: out_header.unwrap_or_else(empty_header),
        sources,
        packets,
        report,
    })
}

impl Export {
    /// What planning found: the packets to write and those that could not be read.
    pub fn report(&self) -> &ExportReport {
        &self.report
    }

    /// Writes the pcap to `w`: the global header, then each packet in time order. A
    /// packet that cannot be read again (its file changed since planning) is logged,
    /// counted and left out; an error of `w` ends the export.
    pub fn write_to(mut self, w: &mut dyn Write) -> Result<ExportReport> {
        w.write_all(&self.header)?;
        let mut report = self.report.clone();
        report.packets = 0;
        for p in self.packets.drain(..) {
            match p.kept {
                Some(k) => {
                    w.write_all(&k.0)?;
                    w.write_all(&k.1)?;
                }
                None => {
                    let Some((name, src)) = self.sources.get_mut(p.source as usize) else {
                        continue;
                    };
                    match src.record(p.pos) {
                        Ok(r) => {
                            w.write_all(&r.header)?;
                            w.write_all(&r.data)?;
                        }
                        Err(e) => {
                            tracing::error!("packet at {name}:{}: {e:#}", p.pos);
                            report.bad_packets += 1;
                            continue;
                        }
                    }
                }
            }
            report.packets += 1;
        }
        w.flush()?;
        Ok(report)
    }
}

/// Plans and writes in one step.
pub fn export(
    source: &dyn SessionSource,
    hits: &[trawl_store::Hit],
    w: &mut dyn Write,
) -> Result<ExportReport> {
    plan(source, hits)?.write_to(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_gap_positions() {
        assert_eq!(
            decode_positions(&[-3, 24, 100, -4, 24], |_| false),
            vec![(3, 24), (3, 100), (4, 24)]
        );
        // gap0: 24, then +76 (100), then 0 = the same gap again (176).
        assert_eq!(
            decode_positions(&[-1, 24, 76, 0, -2, 24, 0], |_| true),
            vec![(1, 24), (1, 100), (1, 176), (2, 24), (2, 48)]
        );
        assert!(
            decode_positions(&[24, 100], |_| false).is_empty(),
            "no file yet"
        );
        // Extreme values neither panic nor wrap.
        let d = decode_positions(&[i64::MIN, 5, -1, i64::MAX, i64::MAX, 0], |_| true);
        assert_eq!(d, vec![(1, i64::MAX as u64); 3]);
    }
}
