//! `trawl pcap EXPR -o out.pcap`: the packets of the matching sessions, read back from
//! the pcap files their `packetPos` points into, written in time order.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use trawl_query::SearchOpts;
use trawl_viewer::export::export;
use trawl_viewer::search::{bind_files, compile};

use super::sessions::{StoreArgs, WindowArgs};

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
    let (cfg, st) = a.store.load()?;
    let (source, reg) = a.store.open(&cfg, &st)?;
    let q = bind_files(compile(a.expression.as_deref(), &reg)?, &*source)?;
    let (start_ms, stop_ms) = a.window.range()?;
    let (total, hits) = source.search(
        &q,
        &SearchOpts {
            start_ms,
            stop_ms,
            bounding: a.window.bounding,
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
    let r = export(&*source, &hits, &mut w)?;
    w.flush()?;
    for (node, n) in &r.other_nodes {
        tracing::warn!(
            "{n} sessions live on node {node}: their packets are there (export them with -n {node} on its machine)"
        );
    }
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
    let other: u64 = r.other_nodes.values().sum();
    tracing::info!(
        "{} packets of {} sessions written",
        r.packets,
        hits.len() as u64 - other
    );
    Ok(if r.bad_sessions > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
