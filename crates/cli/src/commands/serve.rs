//! `trawl serve`: the analyst page and Arkime's viewer API over the embedded store or a
//! cluster (the `trawl-viewer` crate). Loopback by default; listening anywhere else
//! needs users (`trawl user add`), and `certFile`/`keyFile` give it TLS.

use std::net::ToSocketAddrs;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;
use trawl_viewer::auth::{Auth, Users};
use trawl_viewer::search::MAX_SESSIONS_QUERIED;

use super::sessions::StoreArgs;

/// Options of `trawl serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on [default: the config's viewHost:viewPort, else 127.0.0.1:8005].
    /// Any address but loopback needs users (`trawl user add`).
    #[arg(long)]
    pub listen: Option<String>,
    /// The users file [default: the config's usersFile, else <dataDir>/users].
    #[arg(long)]
    pub users: Option<PathBuf>,
    /// Worker threads answering requests.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
}

/// The users file of `users` or the config.
pub fn users_file(
    users: Option<PathBuf>,
    cfg: &trawl_config::Config,
    data_dir: &std::path::Path,
) -> PathBuf {
    users
        .or_else(|| {
            cfg.get("usersFile")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| data_dir.join("users"))
}

/// Runs `trawl serve` until killed.
pub fn run(a: ServeArgs) -> Result<ExitCode> {
    let (cfg, st) = a.store.load()?;
    let listen = match a.listen {
        Some(l) => l,
        None => {
            let host = cfg.get_str("viewHost", "127.0.0.1");
            let port = cfg.get_int("viewPort", 8005, 0, 65535)?;
            if host.contains(':') && !host.starts_with('[') {
                format!("[{host}]:{port}")
            } else {
                format!("{host}:{port}")
            }
        }
    };
    let addrs: Vec<std::net::SocketAddr> = listen
        .to_socket_addrs()
        .with_context(|| format!("cannot listen on {listen}"))?
        .collect();
    let users_path = users_file(a.users, &cfg, &st.data_dir);
    let users = Users::load(&users_path)?;
    let open = addrs.iter().any(|s| !s.ip().is_loopback());
    if open && users.is_empty() {
        bail!(
            "listening on {listen} (not loopback) needs authentication, and {} has no users: \
             add one with `trawl user add NAME`, or listen on 127.0.0.1",
            users_path.display()
        );
    }
    let tls = match (
        cfg.get("certFile").filter(|v| !v.is_empty()),
        cfg.get("keyFile").filter(|v| !v.is_empty()),
    ) {
        (Some(c), Some(k)) => Some((PathBuf::from(c), PathBuf::from(k))),
        (None, None) => None,
        _ => bail!("certFile and keyFile go together: set both for TLS, or neither"),
    };
    let (source, reg) = a.store.open(&cfg, &st)?;
    // As Arkime's viewer: no search returns more than maxSessionsQueried sessions.
    let max = cfg.get_int(
        "maxSessionsQueried",
        MAX_SESSIONS_QUERIED as i64,
        1,
        i64::from(u32::MAX),
    )?;
    let what = source.describe();
    let viewer = trawl_viewer::Viewer::new(source, reg, usize::try_from(max).unwrap_or(1));
    let scheme = if tls.is_some() { "https" } else { "http" };
    let auth = (!users.is_empty()).then(|| Auth::new(users, tls.is_some()));
    let logins = if auth.is_some() {
        "users of "
    } else {
        "no login (loopback only), "
    };
    let opts = trawl_viewer::ServeOptions { auth, tls };
    trawl_viewer::serve(&listen, a.threads, viewer, opts, |addr| {
        tracing::info!(
            "serving {what} on {scheme}://{addr}, {logins}{}",
            users_path.display()
        );
        // Tests and scripts read the address from stdout.
        println!("listening on {scheme}://{addr}");
    })?;
    Ok(ExitCode::SUCCESS)
}
