//! `trawl db info` and `trawl db expire`: the embedded store's partitions.

use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};
use trawl_store::Store;

use super::sessions::StoreArgs;

/// `trawl db` subcommands.
#[derive(Subcommand, Debug)]
pub enum DbCmd {
    /// Partitions of the session store: documents, size on disk, time span.
    Info(StoreArgs),
    /// Deletes the partitions whose newest session is older than --days.
    Expire(ExpireArgs),
}

/// Options of `trawl db expire`.
#[derive(Args, Debug)]
pub struct ExpireArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Keep partitions with sessions newer than this many days.
    #[arg(long)]
    pub days: f64,
}

fn fmt_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |d| d.format("%Y-%m-%d %H:%M:%S").to_string(),
    )
}

/// Runs a `trawl db` command.
pub fn run(cmd: DbCmd) -> Result<ExitCode> {
    match cmd {
        DbCmd::Info(a) => {
            let (_cfg, st) = a.load()?;
            let store = Store::open(&st.data_dir)?;
            let info = store.info();
            println!(
                "store: {}",
                trawl_store::sessions_dir(&st.data_dir).display()
            );
            let (mut docs, mut bytes) = (0u64, 0u64);
            for p in &info {
                docs += p.docs;
                bytes += p.bytes;
                let span = p.span.map_or_else(String::new, |(a, b)| {
                    format!("  {} .. {}", fmt_ms(a), fmt_ms(b))
                });
                println!(
                    "{:<24} {:>10} docs {:>12} bytes{span}",
                    p.name, p.docs, p.bytes
                );
            }
            println!(
                "{} partitions, {docs} documents, {bytes} bytes{}",
                info.len(),
                bytes
                    .checked_div(docs)
                    .map_or_else(String::new, |b| format!(" ({b} bytes per document)"))
            );
        }
        DbCmd::Expire(a) => {
            let (_cfg, st) = a.store.load()?;
            if a.days.is_nan() || a.days < 0.0 {
                anyhow::bail!("--days must be a number of days, 0 or more");
            }
            let cutoff = chrono::Utc::now().timestamp_millis() - (a.days * 86_400_000.0) as i64;
            let gone = Store::open(&st.data_dir)?.expire(cutoff)?;
            for g in &gone {
                println!("deleted {g}");
            }
            println!("{} partitions deleted", gone.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}
