//! `trawl serve`: Arkime's viewer API over the embedded store or a cluster (the `trawl-viewer`
//! crate), on loopback by default.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use trawl_viewer::search::MAX_SESSIONS_QUERIED;

use super::sessions::StoreArgs;
use super::setup;

/// Options of `trawl serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on (loopback by default; the API has no authentication).
    #[arg(long, default_value = "127.0.0.1:8005")]
    pub listen: String,
    /// Worker threads answering requests.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
}

/// Runs `trawl serve` until killed.
pub fn run(a: ServeArgs) -> Result<ExitCode> {
    let (cfg, st) = a.store.load()?;
    let source = a.store.source(&cfg, &st)?;
    // As Arkime's viewer: no search returns more than maxSessionsQueried sessions.
    let max = cfg.get_int(
        "maxSessionsQueried",
        MAX_SESSIONS_QUERIED as i64,
        1,
        i64::from(u32::MAX),
    )?;
    let reg = setup::field_registry(&st);
    let what = source.describe();
    let viewer = trawl_viewer::Viewer::new(source, reg, usize::try_from(max).unwrap_or(1));
    trawl_viewer::serve(&a.listen, a.threads, viewer, |addr| {
        tracing::info!("serving {what} on http://{addr}");
        // Tests and scripts read the address from stdout.
        println!("listening on http://{addr}");
    })?;
    Ok(ExitCode::SUCCESS)
}
