//! `trawl db`: Arkime's cluster layout (`init`, `info`, `expire`, `wipe`, as Arkime's
//! `db.pl` does them) when a cluster is named (`--elasticsearch`, or `elasticsearch=`
//! in the config); otherwise `info` and `expire` work on the embedded store's
//! partitions.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use trawl_cluster::layout::{self, DB_VERSION};
use trawl_cluster::Client;
use trawl_config::{Config, Settings};
use trawl_store::Store;

use super::sessions::StoreArgs;
use super::setup;

/// `trawl db` subcommands.
#[derive(Subcommand, Debug)]
pub enum DbCmd {
    /// Create Arkime's indices, aliases, templates and field documents on the cluster
    /// (as Arkime's `db.pl URL init`, schema version 86).
    Init(InitArgs),
    /// The cluster's Arkime indices (or the embedded store's partitions): documents,
    /// sizes, schema version.
    Info(ClusterArgs),
    /// Delete the sessions indices (or store partitions) older than --days.
    Expire(ExpireArgs),
    /// Delete all session data on the cluster, keeping users, saved queries,
    /// parliament and configs (as Arkime's `db.pl URL wipe`).
    Wipe(WipeArgs),
    /// Merge each embedded store partition's segments into one, at the lowest CPU
    /// priority (as Arkime's `db.pl URL optimize`): searches and aggregations of a
    /// merged partition read one term dictionary and column per field. Partitions a
    /// running capture is writing are left alone.
    Optimize(OptimizeArgs),
}

/// Options of `trawl db optimize`.
#[derive(Args, Debug)]
pub struct OptimizeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Only these partitions (names as `trawl db info` shows them); default all.
    #[arg(long, value_delimiter = ',')]
    pub partition: Vec<String>,
}

/// Where `trawl db` works.
#[derive(Args, Debug)]
pub struct ClusterArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// OpenSearch/Elasticsearch URL(s), comma-separated; default the config's
    /// `elasticsearch=`. Without either, the embedded store.
    #[arg(long, value_name = "URL")]
    pub elasticsearch: Option<String>,
    /// Index name prefix (a `_` is appended); default the config's `prefix=`, `arkime_`.
    #[arg(long)]
    pub prefix: Option<String>,
}

/// Options of `trawl db init`.
#[derive(Args, Debug)]
pub struct InitArgs {
    #[command(flatten)]
    pub target: ClusterArgs,
    /// Erase and recreate a prefix that is already initialized (ALL its data: sessions,
    /// files, stats, users, ...; pcap files on disk stay).
    #[arg(long)]
    pub force: bool,
    /// Do nothing when the prefix is already at schema version 86 (db.pl's --ifneeded).
    #[arg(long)]
    pub ifneeded: bool,
    /// Shards per sessions index (default: the number of data nodes, at most 24).
    #[arg(long)]
    pub shards: Option<u32>,
    /// Replicas per sessions index.
    #[arg(long, default_value_t = 0)]
    pub replicas: u32,
    /// Most shards of one sessions index per node (default 1, or what shards and
    /// replicas need).
    #[arg(long = "shardsPerNode", alias = "shards-per-node")]
    pub shards_per_node: Option<u32>,
    /// Sessions index refresh interval, seconds.
    #[arg(long, default_value_t = 60)]
    pub refresh: u32,
}

/// Options of `trawl db expire`.
#[derive(Args, Debug)]
pub struct ExpireArgs {
    #[command(flatten)]
    pub target: ClusterArgs,
    /// Keep sessions newer than this many days (whole indices or partitions go).
    #[arg(long)]
    pub days: f64,
}

/// Options of `trawl db wipe`.
#[derive(Args, Debug)]
pub struct WipeArgs {
    #[command(flatten)]
    pub target: ClusterArgs,
    /// Do not ask (needed when stdin is not a terminal).
    #[arg(long)]
    pub force: bool,
}

/// `trawl db optimize` on the embedded store under `data_dir`.
fn optimize(data_dir: &std::path::Path, only: &[String]) -> Result<ExitCode> {
    use trawl_store::merge::{lowest_priority, merge_partition, Merged};
    let root = trawl_store::sessions_dir(data_dir);
    let store = Store::open(data_dir)?;
    let names: Vec<String> = store
        .partition_names()
        .into_iter()
        .map(str::to_string)
        .collect();
    drop(store);
    for n in only {
        if !names.contains(n) {
            bail!("no partition {n} in {}", root.display());
        }
    }
    lowest_priority();
    let (mut merged, mut busy) = (0u64, 0u64);
    for name in names.iter().filter(|n| only.is_empty() || only.contains(n)) {
        let t0 = std::time::Instant::now();
        let dir = trawl_store::partition_dir(&root, name)
            .ok_or_else(|| anyhow::anyhow!("bad partition name {name}"))?;
        match merge_partition(&dir)? {
            Merged::Done(n) => {
                merged += 1;
                println!(
                    "{name}: {n} segments merged into one ({:.1} s)",
                    t0.elapsed().as_secs_f64()
                );
            }
            Merged::Single => println!("{name}: one segment already"),
            Merged::Busy => {
                busy += 1;
                println!("{name}: being written by a capture; left alone");
            }
        }
    }
    println!(
        "{} merged, {busy} being written",
        super::count(merged, "partition", "partitions")
    );
    Ok(ExitCode::SUCCESS)
}

/// A cluster to work on: its client, URL(s) and prefix.
struct Target {
    client: Client,
    url: String,
    prefix: String,
}

/// The cluster the arguments and config name, if any.
fn target(a: &ClusterArgs, cfg: &Config, st: &Settings, slow: bool) -> Result<Option<Target>> {
    let url = match &a.elasticsearch {
        Some(u) => u.clone(),
        None => match cfg
            .get("elasticsearch")
            .filter(|v| v.split(',').any(|u| !u.trim().is_empty()))
        {
            Some(u) => u.to_string(),
            None => return Ok(None),
        },
    };
    if url.split(',').all(|u| u.trim().is_empty()) {
        bail!("--elasticsearch needs a URL");
    }
    let prefix = match &a.prefix {
        Some(p) => layout::normalize_prefix(p).map_err(anyhow::Error::msg)?,
        None => st.prefix.clone(),
    };
    let auth = trawl_cluster::client::auth_header(
        cfg.get("elasticsearchBasicAuth"),
        cfg.get("elasticsearchAPIKey"),
    );
    let secs = cfg.get_int("elasticsearchTimeout", 60, 1, 86_400)? as u64;
    // db.pl gives init and wipe at least 240 s: index creation waits for the cluster.
    let secs = if slow { secs.max(240) } else { secs };
    let client = Client::from_config(&url, auth, Duration::from_secs(secs));
    Ok(Some(Target {
        url: client.urls().join(","),
        client,
        prefix,
    }))
}

fn no_cluster(what: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "`trawl db {what}` works on an OpenSearch/Elasticsearch cluster: give --elasticsearch URL or set elasticsearch= in the config"
    )
}

/// The server, checked; a warning for the OpenSearch release Arkime's viewer refuses.
fn server(t: &Target) -> Result<layout::Server> {
    let s = layout::server(&t.client).with_context(|| format!("cluster {}", t.url))?;
    if s.distribution == "opensearch" && s.version == "2.19.0" {
        eprintln!(
            "trawl: warning: Arkime does not support OpenSearch 2.19.0 (its viewer refuses it); use another 2.x"
        );
    }
    Ok(s)
}

/// Runs a `trawl db` command.
pub fn run(cmd: DbCmd) -> Result<ExitCode> {
    match cmd {
        DbCmd::Init(a) => {
            let (cfg, st) = a.target.store.load()?;
            let t = target(&a.target, &cfg, &st, true)?.ok_or_else(|| no_cluster("init"))?;
            init(&a, &t, &cfg, &st)
        }
        DbCmd::Info(a) => {
            let (cfg, st) = a.store.load()?;
            match target(&a, &cfg, &st, false)? {
                Some(t) => cluster_info(&t),
                None => store_info(&st),
            }
        }
        DbCmd::Expire(a) => {
            let (cfg, st) = a.target.store.load()?;
            if a.days.is_nan() || a.days < 0.0 {
                bail!("--days must be a number of days, 0 or more");
            }
            match target(&a.target, &cfg, &st, false)? {
                Some(t) => {
                    server(&t)?;
                    let now = chrono::Utc::now().timestamp_millis();
                    let gone =
                        layout::expire(&t.client, &t.prefix, a.days, now).with_context(|| {
                            format!("expiring {}", layout::sessions_pattern(&t.prefix))
                        })?;
                    for g in &gone {
                        println!("deleted {g}");
                    }
                    println!(
                        "{} deleted",
                        super::count(gone.len() as u64, "sessions index", "sessions indices")
                    );
                    Ok(ExitCode::SUCCESS)
                }
                None => {
                    let cutoff =
                        chrono::Utc::now().timestamp_millis() - (a.days * 86_400_000.0) as i64;
                    let gone = Store::open(&st.data_dir)?.expire(cutoff)?;
                    for g in &gone {
                        println!("deleted {g}");
                    }
                    println!(
                        "{} deleted",
                        super::count(gone.len() as u64, "partition", "partitions")
                    );
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
        DbCmd::Optimize(a) => {
            let (_, st) = a.store.load()?;
            optimize(&st.data_dir, &a.partition)
        }
        DbCmd::Wipe(a) => {
            let (cfg, st) = a.target.store.load()?;
            let t = target(&a.target, &cfg, &st, true)?.ok_or_else(|| no_cluster("wipe"))?;
            wipe(&a, &t)
        }
    }
}

fn init(a: &InitArgs, t: &Target, cfg: &Config, st: &Settings) -> Result<ExitCode> {
    server(t)?;
    let opts = layout::InitOptions {
        shards: a.shards,
        replicas: a.replicas,
        shards_per_node: a.shards_per_node,
        refresh_secs: a.refresh,
    };
    // Refuse impossible settings before anything is erased.
    let nodes = layout::data_nodes(&t.client).with_context(|| format!("cluster {}", t.url))?;
    layout::SessionsSettings::compute(&opts, nodes)
        .map_err(|e| anyhow::anyhow!("{e} at {}", t.url))?;
    let version = layout::db_version(&t.client, &t.prefix)
        .with_context(|| format!("reading the schema version at {}", t.url))?;
    if let Some(v) = version {
        if a.ifneeded && v == DB_VERSION {
            println!(
                "{} prefix '{}' is already at schema version {v}; nothing to do",
                t.url, t.prefix
            );
            return Ok(ExitCode::SUCCESS);
        }
        if !a.force {
            bail!(
                "the cluster at {} already has Arkime's layout for prefix '{}' (schema version {v}); \
                 `trawl db init --force` erases ALL of it (sessions, files, stats, users, ...; pcap files on disk stay), \
                 as Arkime's db.pl init does",
                t.url,
                t.prefix
            );
        }
        eprintln!(
            "trawl: erasing prefix '{}' at {} (schema version {v})",
            t.prefix, t.url
        );
    }
    let reg = setup::field_registry(cfg, st)?;
    let r = layout::init(&t.client, &t.prefix, &reg, &opts)
        .with_context(|| format!("initializing prefix '{}' at {}", t.prefix, t.url))?;
    if !r.deleted.is_empty() {
        println!(
            "deleted {}",
            super::count(r.deleted.len() as u64, "index", "indices")
        );
    }
    println!(
        "created {} indices with aliases, {} templates ({}), {} field documents",
        r.created.len(),
        r.templates.len(),
        r.templates.join(", "),
        r.fields
    );
    if let Some(s) = &r.sessions {
        println!(
            "sessions indices: {} shards, {} replicas, {} shards per node, refresh {}s ({} data nodes)",
            s.shards, s.replicas, s.shards_per_node, s.refresh_secs, r.data_nodes
        );
    }
    println!(
        "{} prefix '{}' is at schema version {DB_VERSION}",
        t.url, t.prefix
    );
    Ok(ExitCode::SUCCESS)
}

/// Asks for `word` on the terminal; false unless typed exactly.
fn confirm(word: &str, question: &str) -> Result<bool> {
    eprint!("Type \"{word}\" to continue - {question} ");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim() == word)
}

fn wipe(a: &WipeArgs, t: &Target) -> Result<ExitCode> {
    server(t)?;
    match layout::db_version(&t.client, &t.prefix)? {
        Some(DB_VERSION) => {}
        Some(v) => bail!(
            "wipe needs schema version {DB_VERSION}; prefix '{}' at {} is at {v}: upgrade it with Arkime's db.pl first",
            t.prefix,
            t.url
        ),
        None => bail!(
            "prefix '{}' at {} was never initialized: nothing to wipe",
            t.prefix,
            t.url
        ),
    }
    if !a.force {
        if !std::io::stdin().is_terminal() {
            bail!("wipe deletes all session data: stdin is not a terminal to confirm on, give --force");
        }
        eprintln!(
            "This deletes ALL session data of prefix '{}' at {} (sessions, files, stats, fields, hunts, ...). \
             It keeps users, saved queries, parliament and configs, and the pcap files on disk.",
            t.prefix, t.url
        );
        if !confirm("WIPE", "do you want to wipe everything?")? {
            eprintln!("trawl: not wiped");
            return Ok(ExitCode::from(1));
        }
    }
    let r = layout::wipe(&t.client, &t.prefix)
        .with_context(|| format!("wiping prefix '{}' at {}", t.prefix, t.url))?;
    println!(
        "deleted {} indices, recreated {}, kept {}",
        r.deleted.len(),
        r.recreated.len(),
        r.kept.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

fn cluster_info(t: &Target) -> Result<ExitCode> {
    server(t)?;
    let i = layout::info(&t.client, &t.prefix).with_context(|| format!("cluster {}", t.url))?;
    println!("Cluster:            {} at {}", i.server.cluster_name, t.url);
    println!(
        "Server:             {} {}",
        i.server.distribution, i.server.version
    );
    println!("Data nodes:         {}", i.data_nodes);
    println!("Prefix:             '{}'", t.prefix);
    match i.db_version {
        Some(v) => println!("DB version:         {v}"),
        None => println!("DB version:         none (not initialized: run `trawl db init`)"),
    }
    if let Some(s) = &i.sessions_settings {
        println!(
            "Sessions template:  {} shards, {} replicas, {} shards per node, refresh {}s",
            s.shards, s.replicas, s.shards_per_node, s.refresh_secs
        );
    }
    let sum = |v: &[layout::IndexInfo]| {
        v.iter()
            .fold((0u64, 0u64), |(d, b), i| (d + i.docs, b + i.bytes))
    };
    let (docs, bytes) = sum(&i.sessions);
    println!(
        "Sessions indices:   {} ({docs} documents, {bytes} bytes)",
        i.sessions.len()
    );
    for s in &i.sessions {
        println!("  {:<40} {:>12} docs {:>14} bytes", s.name, s.docs, s.bytes);
    }
    let (hdocs, hbytes) = sum(&i.history);
    println!(
        "History indices:    {} ({hdocs} documents, {hbytes} bytes)",
        i.history.len()
    );
    for s in i.admin.iter().chain(&i.other) {
        println!("{:<40} {:>14} docs {:>14} bytes", s.name, s.docs, s.bytes);
    }
    Ok(ExitCode::SUCCESS)
}

fn store_info(st: &Settings) -> Result<ExitCode> {
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
            format!("  {} .. {}", super::fmt_ms(a), super::fmt_ms(b))
        });
        println!(
            "{:<24} {:>10} docs {:>12} bytes{span}",
            p.name, p.docs, p.bytes
        );
    }
    println!(
        "{}, {}, {bytes} bytes{}",
        super::count(info.len() as u64, "partition", "partitions"),
        super::count(docs, "document", "documents"),
        bytes
            .checked_div(docs)
            .map_or_else(String::new, |b| format!(" ({b} bytes per document)"))
    );
    Ok(ExitCode::SUCCESS)
}
