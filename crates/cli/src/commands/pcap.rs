//! `trawl pcap EXPR -o out.pcap`: the packets of the matching sessions, read back from
//! the pcap files their `packetPos` points into, written in time order.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use trawl_store::{SearchOpts, Store};
use trawl_writer::{FilesRegistry, PcapFile};

use super::sessions::{compile, StoreArgs, WindowArgs};
use super::setup;

/// Options of `trawl pcap`.
#[derive(Args, Debug)]
pub struct PcapArgs {
    /// The search expression (Arkime's syntax); empty matches every session.
    pub expression: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub window: WindowArgs,
    /// Where to write the pcap ("-" for stdout). `-o out.pcap` works too: a `-o`
    /// value without `=` is the output file, one with `=` a config override.
    #[arg(long = "out", short = 'w')]
    pub out: Option<PathBuf>,
    /// Most sessions exported.
    #[arg(long, default_value_t = 100_000)]
    pub limit: usize,
}

/// One file position per packet: (file number, byte offset of its record header).
pub fn decode_positions(pos: &[i64], gap_encoded: impl Fn(u32) -> bool) -> Vec<(u32, u64)> {
    let mut out = Vec::with_capacity(pos.len());
    let (mut file, mut last, mut last_gap, mut gap) = (0u32, 0i64, 0i64, false);
    for &v in pos {
        if v < 0 {
            file = u32::try_from(-v).unwrap_or(0);
            gap = gap_encoded(file);
            // As Arkime's viewer: a new file restarts positions, not the last gap.
            last = 0;
            continue;
        }
        let p = if gap {
            let g = if v == 0 { last_gap } else { v };
            last_gap = g;
            last += g;
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

/// A packet read back: (time in ns, record header, data).
type Exported = (u128, [u8; 16], Vec<u8>);

/// Runs `trawl pcap`.
pub fn run(mut a: PcapArgs) -> Result<ExitCode> {
    let (paths, overrides): (Vec<String>, Vec<String>) =
        a.store.option.drain(..).partition(|o| !o.contains('='));
    a.store.option = overrides;
    let out = match (a.out.take(), paths.as_slice()) {
        (Some(o), []) => o,
        (None, [p]) => PathBuf::from(p),
        (None, []) => anyhow::bail!("give the output file: -o out.pcap (or -w)"),
        _ => anyhow::bail!("give one output file"),
    };
    let (_cfg, st) = a.store.load()?;
    let reg = setup::field_registry(&st);
    let q = compile(a.expression.as_deref(), &reg)?;
    let (start_ms, stop_ms) = a.window.range()?;
    let store = Store::open(&st.data_dir)?;
    let (total, hits) = store.search(
        &q,
        &SearchOpts {
            start_ms,
            stop_ms,
            limit: a.limit,
            ..SearchOpts::default()
        },
    )?;
    if (hits.len() as u64) < total {
        tracing::warn!(
            "{total} sessions match; exporting the first {} (--limit)",
            hits.len()
        );
    }
    let sink: Box<dyn Write> = if out.as_os_str() == "-" {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(File::create(&out).with_context(|| format!("creating {}", out.display()))?)
    };
    let mut w = BufWriter::new(sink);
    let r = export(&st.data_dir, &hits, &mut w)?;
    w.flush()?;
    if r.other_link > 0 {
        tracing::warn!(
            "{} packets from files of another link type or byte order were left out",
            r.other_link
        );
    }
    if r.bad_sessions > 0 {
        tracing::error!(
            "{} sessions had {} packets that could not be read; the rest were exported",
            r.bad_sessions,
            r.bad_packets
        );
    }
    tracing::info!("{} packets of {} sessions written", r.packets, hits.len());
    Ok(if r.bad_sessions > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// What an export did.
#[derive(Debug, Default)]
pub struct ExportReport {
    /// Packets written.
    pub packets: u64,
    /// Sessions with packets that could not be read (file missing, corrupt).
    pub bad_sessions: u64,
    /// Packets that could not be read.
    pub bad_packets: u64,
    /// Packets left out because their file has another link type or byte order.
    pub other_link: u64,
}

/// Writes the packets of `hits` as one pcap, in time order, to `w`. Sessions whose
/// files are missing or corrupt are logged and counted; the others are written.
pub fn export(
    data_dir: &std::path::Path,
    hits: &[trawl_store::Hit],
    w: &mut dyn Write,
) -> Result<ExportReport> {
    let files_dir = data_dir.join("files");
    let mut registries: HashMap<String, FilesRegistry> = HashMap::new();
    let mut sources: HashMap<(String, u32), Option<PcapFile>> = HashMap::new();
    let mut packets: Vec<Exported> = Vec::new();
    let mut out_header: Option<[u8; 24]> = None;
    let (mut bad_sessions, mut bad_packets, mut other_link) = (0u64, 0u64, 0u64);
    for h in hits {
        let v: serde_json::Value = serde_json::from_str(&h.source).unwrap_or_default();
        let node = v
            .get("node")
            .and_then(|n| n.as_str())
            .unwrap_or("")
            .to_string();
        let pos: Vec<i64> = v
            .get("packetPos")
            .and_then(|p| p.as_array())
            .map(|a| a.iter().filter_map(serde_json::Value::as_i64).collect())
            .unwrap_or_default();
        if !registries.contains_key(&node) {
            registries.insert(node.clone(), FilesRegistry::open(&files_dir, &node)?);
        }
        let registry = &registries[&node];
        let gap = |num: u32| {
            registry
                .get(num)
                .and_then(|f| f.packet_pos_encoding)
                .is_some_and(|e| e == "gap0")
        };
        let mut session_bad = false;
        for (num, p) in decode_positions(&pos, gap) {
            let src = sources.entry((node.clone(), num)).or_insert_with(|| {
                let Some(info) = registry.get(num) else {
                    tracing::error!(
                        "session {}: file {node}-{num} is not in the files registry",
                        h.id
                    );
                    return None;
                };
                match PcapFile::open(&info) {
                    Ok(s) => Some(s),
                    Err(e) => {
                        tracing::error!("session {}: {}: {e}", h.id, info.name);
                        None
                    }
                }
            });
            let Some(src) = src else {
                session_bad = true;
                bad_packets += 1;
                continue;
            };
            let header = *out_header.get_or_insert(src.header);
            let same_link = header[20..24] == src.header[20..24] && header[..4] == src.header[..4];
            match src.record(p) {
                Ok(trawl_writer::Record {
                    ns,
                    header: rh,
                    data,
                }) => {
                    if !same_link {
                        other_link += 1;
                        continue;
                    }
                    packets.push((ns, rh, data));
                }
                Err(e) => {
                    tracing::error!("session {}: packet at {node}-{num}:{p}: {e:#}", h.id);
                    session_bad = true;
                    bad_packets += 1;
                }
            }
        }
        if session_bad {
            bad_sessions += 1;
        }
    }
    // Time order; a packet shared by two matching sessions (never, for one capture)
    // would appear twice.
    packets.sort_by_key(|p| p.0);
    let header = out_header.unwrap_or_else(|| {
        let mut h = [0u8; 24];
        h[..4].copy_from_slice(&[0xd4, 0xc3, 0xb2, 0xa1]);
        h[4..6].copy_from_slice(&2u16.to_le_bytes());
        h[6..8].copy_from_slice(&4u16.to_le_bytes());
        h[16..20].copy_from_slice(&262_144u32.to_le_bytes());
        h[20..24].copy_from_slice(&1u32.to_le_bytes());
        h
    });
    w.write_all(&header)?;
    for (_, rh, data) in &packets {
        w.write_all(rh)?;
        w.write_all(data)?;
    }
    Ok(ExportReport {
        packets: packets.len() as u64,
        bad_sessions,
        bad_packets,
        other_link,
    })
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
    }
}
