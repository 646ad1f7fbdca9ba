//! `trawl capture`: Arkime's capture command line, offline files for now.
//!
//! Threads follow the capture design: this (main) thread is the reader: it reads
//! records, runs the enqueue phase, and hands packets in batches to the packet thread
//! that owns each session, through bounded queues (offline reading waits when a queue
//! is full instead of dropping). Packet threads save sessions into the output.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use crossbeam_channel::{bounded, Sender};
use trawl_config::{Config, Settings};
use trawl_output::{DocBuilder, DocConfig, DocOutput, DocSink, NullOutput, TestsOutput};
use trawl_packet::{DecodeTables, Decoder, Packet, PacketRc};
use trawl_readers::{expand_inputs, Input, InputSpec, OfflineReader, ReadError};
use trawl_session::{Command, PacketThread, ThreadStats};
use trawl_store::StoreOutput;

use super::setup;

mod command;
mod monitor;
mod queue;

pub use queue::stop_requested;

/// Arkime capture's options.
#[derive(Args, Debug, Default)]
pub struct CaptureArgs {
    /// Config file (Arkime config.ini format); built-in defaults when absent.
    #[arg(short = 'c', long = "config")]
    pub config: Option<PathBuf>,
    /// Node name; its section of the config overrides [default].
    #[arg(short = 'n', long = "node")]
    pub node: Option<String>,
    /// Offline pcap file (repeatable).
    #[arg(short = 'r', long = "pcapfile")]
    pub pcapfile: Vec<PathBuf>,
    /// Offline pcap directory (repeatable); files matching offlineFilenameRegex.
    #[arg(short = 'R', long = "pcapdir")]
    pub pcapdir: Vec<PathBuf>,
    /// With -R, descend into subdirectories.
    #[arg(long)]
    pub recursive: bool,
    /// With -R, process files in name order.
    #[arg(long)]
    pub sorted: bool,
    /// File listing pcap files, one per line (repeatable).
    #[arg(short = 'F', long = "filelist")]
    pub filelist: Vec<PathBuf>,
    /// key=value overriding the config file (repeatable).
    #[arg(short = 'o', long = "option")]
    pub option: Vec<String>,
    /// Print the session documents as JSON on stdout (Arkime's --tests); implies --dryrun.
    #[arg(long)]
    pub tests: bool,
    /// Write nothing: no pcap, no documents stored.
    #[arg(long)]
    pub dryrun: bool,
    /// Save every session between files.
    #[arg(long)]
    pub flush: bool,
    /// Read at most this many packets from each file.
    #[arg(long = "packetcnt")]
    pub packetcnt: Option<u64>,
    /// Tag added to every session (repeatable; `--tags` too, as in Arkime, where it is
    /// the same option: one tag per use, commas kept).
    #[arg(short = 't', long = "tag", alias = "tags")]
    pub tag: Vec<String>,
    /// FieldExpr=Value set on every session (repeatable).
    #[arg(long = "op")]
    pub op: Vec<String>,
    /// Only log errors.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Copy offline pcap into pcapDir (with a store).
    #[arg(long)]
    pub copy: bool,
    /// Capture live from this interface (repeatable, or `;`-separated); overrides
    /// `interface=` in the config.
    #[arg(short = 'i', long = "interface")]
    pub interface: Vec<String>,
    /// Print trawl's version (and the Arkime capture it follows) and exit.
    #[arg(short = 'v', long = "version")]
    pub version: bool,
    /// More logging: once debug, twice or more trace (Arkime's debug count).
    #[arg(short = 'd', long = "debug", action = clap::ArgAction::Count)]
    pub debug: u8,
    /// The host name in the stats documents (what remote viewers use to reach this
    /// node); the machine's name by default.
    #[arg(long = "host")]
    pub host: Option<String>,
    /// Skip certificate checks on https calls (trawl's cluster client is plain http:
    /// no effect).
    #[arg(long)]
    pub insecure: bool,
    /// Register the offline files read in place as unlocked (expiry may delete them).
    #[arg(long)]
    pub nolockpcap: bool,
    /// Arkime's libpcap offline reader (trawl reads pcap files itself: no effect).
    #[arg(long)]
    pub libpcap: bool,
    /// Write no session documents (pcap, files and stats documents still are).
    #[arg(long)]
    pub nospi: bool,
    /// Write no stats documents.
    #[arg(long)]
    pub nostats: bool,
    /// Go on past inputs that cannot be read without changing the exit status; with
    /// --delete, delete them too.
    #[arg(long)]
    pub ignoreerrors: bool,
    /// No index refresh at the end (with a cluster).
    #[arg(long)]
    pub norefresh: bool,
    /// Cloud credentials provider (Arkime's S3/SQS readers and writers: no effect).
    #[arg(long)]
    pub provider: Option<String>,
    /// Authentication profile (Arkime's cloud credentials: no effect).
    #[arg(long)]
    pub profile: Option<String>,
    /// With --dumpConfig, exit after printing the config.
    #[arg(long = "regressionTests")]
    pub regression_tests: bool,
    /// Print the config the capture runs with (the -o overrides, then every section)
    /// on stderr.
    #[arg(long = "dumpConfig")]
    pub dump_config: bool,
    /// Skip offline files the files registry already holds (not with --copy).
    #[arg(short = 's', long)]
    pub skip: bool,
    /// Process offline files again under their files registry entry, without warning.
    #[arg(long)]
    pub reprocess: bool,
    /// Delete each offline file once it has been read to its end (requires --copy).
    #[arg(long)]
    pub delete: bool,
    /// With -R: after the files there, read each new file closed in (or moved into)
    /// the directories, until SIGINT/SIGTERM or `shutdown`.
    #[arg(short = 'm', long)]
    pub monitor: bool,
    /// Arkime's scheme reader, its default offline reader: trawl's reader takes
    /// file://, http:// and https:// URIs always; no effect.
    #[arg(long)]
    pub scheme: bool,
    /// Listen for commands (Arkime's command.c: help, version, add-file, shutdown, ...)
    /// on this unix socket.
    #[arg(long = "command-socket")]
    pub command_socket: Option<PathBuf>,
    /// Offline: wait for `shutdown` on the command socket (or a signal) before exiting.
    #[arg(long = "command-wait")]
    pub command_wait: bool,
    /// A command to run at startup (repeatable); replies go to the log.
    #[arg(long = "command")]
    pub command: Vec<String>,
}

/// What `-v` prints: trawl's version and the Arkime capture it follows.
fn version_line() -> String {
    format!(
        "trawl {} (Arkime capture {ARKIME_VERSION} compatible)",
        env!("CARGO_PKG_VERSION")
    )
}

/// The Arkime capture whose command line, config and documents trawl follows.
const ARKIME_VERSION: &str = "6.7.1";

/// Logging on stderr: `-d` raises the level as Arkime's debug count does (once debug,
/// twice or more trace) and, as there, turns `-q` off; otherwise `RUST_LOG` or info
/// (errors only with `-q`).
fn init_logging(debug: u8, quiet: bool) {
    let level = match debug {
        0 => return setup::init_logging(quiet),
        1 => "debug,tantivy=info",
        _ => "trace",
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(tracing_subscriber::EnvFilter::new(level))
        .with_target(false)
        .try_init();
}

/// The combinations Arkime's capture refuses, refused with its words.
fn check_option_combinations(a: &CaptureArgs) -> Result<()> {
    if a.skip && a.copy {
        anyhow::bail!("Can't skip and copy pcap files (--skip with --copy)");
    }
    if a.delete && !a.copy {
        anyhow::bail!(
            "--delete requires --copy (a file read in place holds the packets its sessions point to)"
        );
    }
    if a.skip && a.reprocess {
        anyhow::bail!("--skip and --reprocess contradict each other: give one");
    }
    if a.monitor && a.pcapdir.is_empty() && a.command_socket.is_none() && a.command.is_empty() {
        anyhow::bail!("Must specify directories to monitor with -R");
    }
    if a.sorted && a.monitor {
        anyhow::bail!("--sorted cannot be used with --monitor");
    }
    Ok(())
}

/// One line on stderr for each Arkime option that has no meaning for trawl.
fn explain_ignored_options(a: &CaptureArgs) {
    if a.libpcap {
        tracing::warn!("--libpcap: trawl reads pcap files itself; ignored");
    }
    if a.insecure {
        tracing::warn!(
            "--insecure: trawl's cluster client speaks plain http (no certificates to check); ignored"
        );
    }
    if let Some(p) = &a.provider {
        tracing::warn!("--provider {p}: trawl has no cloud (S3/SQS) readers or writers; ignored");
    }
    if let Some(p) = &a.profile {
        tracing::warn!("--profile {p}: trawl has no cloud credentials to choose; ignored");
    }
    if a.regression_tests && !a.dump_config {
        tracing::warn!("--regressionTests: only changes --dumpConfig (exit after it); ignored");
    }
}

/// `--dumpConfig`, as Arkime prints it on stderr: the `-o` overrides, then every
/// section of the config with its keys, both in name order.
fn dump_config(cfg: &Config, overrides: &[(String, String)]) {
    use std::io::Write;
    let mut out = String::new();
    if !overrides.is_empty() {
        out.push_str("OVERRIDE:\n");
        let mut o: Vec<&(String, String)> = overrides.iter().collect();
        o.sort();
        for (k, v) in o {
            out.push_str(&format!("{k}={v}\n"));
        }
    }
    out.push_str("CONFIG:\n");
    let mut sections: Vec<&str> = cfg.section_names().collect();
    sections.sort_unstable();
    sections.dedup();
    for (i, name) in sections.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("[{name}]\n"));
        let mut keys: Vec<&(String, String)> =
            cfg.section(name).unwrap_or_default().iter().collect();
        keys.sort();
        for (k, v) in keys {
            out.push_str(&format!("{k}={v}\n"));
        }
    }
    let _ = std::io::stderr().write_all(out.as_bytes());
}

fn parse_kv(list: &[String], what: &str) -> Result<Vec<(String, String)>> {
    list.iter()
        .map(|s| {
            s.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.to_string()))
                .with_context(|| format!("{what} '{s}' is not key=value"))
        })
        .collect()
}

/// Runs a capture.
pub fn run(args: CaptureArgs) -> Result<ExitCode> {
    if args.version {
        println!("{}", version_line());
        return Ok(ExitCode::SUCCESS);
    }
    init_logging(args.debug, args.quiet);
    check_option_combinations(&args)?;
    explain_ignored_options(&args);
    let node = args.node.clone().unwrap_or_else(setup::default_node_name);
    let host = args.host.clone().unwrap_or_else(setup::default_node_name);
    let overrides = parse_kv(&args.option, "-o")?;
    let cfg = Config::load(args.config.as_deref(), &node, &overrides)?;
    if args.debug > 0 {
        tracing::debug!("{}", version_line());
        tracing::debug!("debug = {}", args.debug);
        tracing::debug!("nodeName = {node}");
        tracing::debug!("hostName = {host}");
    }
    if args.dump_config {
        dump_config(&cfg, &overrides);
        if args.regression_tests {
            return Ok(ExitCode::SUCCESS);
        }
    }
    let settings = Settings::from_config(&cfg)?;
    let dry_run = args.dryrun || args.tests;

    // `file://` directories are local ones.
    let dirs: Vec<PathBuf> = args.pcapdir.iter().map(|d| strip_file_scheme(d)).collect();
    let name_regex = match settings.offline_filename_regex.as_str() {
        "" => r"(?i)\.(pcap|cap)$".to_string(),
        r => r.to_string(),
    };
    let file_regex = regex::Regex::new(&name_regex).map_err(|e| {
        anyhow::anyhow!("offlineFilenameRegex '{name_regex}' is not a valid regex: {e}")
    })?;
    // Inputs that arrive while capture runs: --monitor, add-file on the command socket.
    let queue = Arc::new(queue::Queue::default());
    // --monitor watches before the directories are listed (as Arkime), so that no file
    // closed in between is missed.
    let dir_monitor = if args.monitor && !dirs.is_empty() {
        let m = monitor::Monitor::start(file_regex.clone(), Arc::clone(&queue))?;
        let flags = monitor::WatchFlags {
            recursive: args.recursive,
            skip: None,
            delete: None,
            notify: None,
            ops: None,
        };
        for d in &dirs {
            m.watch(d, &flags)?;
        }
        Some(m)
    } else {
        None
    };
    let spec = InputSpec {
        files: args.pcapfile.clone(),
        dirs,
        recursive: args.recursive,
        sorted: args.sorted,
        file_lists: args.filelist.clone(),
        name_regex: name_regex.clone(),
    };
    let files = expand_inputs(&spec)?;
    // Offline without files to start with: --monitor, --command, or --command-wait
    // with a command socket, as Arkime's capture.
    let offline_wanted = !files.is_empty()
        || args.monitor
        || !args.command.is_empty()
        || (args.command_wait && args.command_socket.is_some());
    // Live interfaces: -i, else the config's interface= when no files are given.
    let interfaces: Vec<String> = if !args.interface.is_empty() {
        args.interface
            .iter()
            .flat_map(|i| i.split(';'))
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .map(str::to_string)
            .collect()
    } else if !offline_wanted {
        settings.interface.clone()
    } else {
        Vec::new()
    };
    if !offline_wanted && interfaces.is_empty() {
        anyhow::bail!("nothing to read: give pcap files with -r, -R or -F, or interfaces with -i or interface=");
    }
    if offline_wanted && !interfaces.is_empty() {
        anyhow::bail!("give either pcap files (-r, -R, -F) or interfaces (-i), not both");
    }
    let live = !interfaces.is_empty();
    // Offline, keep waiting for inputs once those there are read.
    let waiting = !live && (args.monitor || args.command_wait);
    // The command socket is there from the start (commands are served once reading
    // can begin).
    let command_listener = match &args.command_socket {
        Some(p) => Some(command::bind(p)?),
        None => None,
    };
    // `bpf=` filters offline reads too, as Arkime applies it to every reader; a filter
    // that does not compile is an error here (live readers compile it themselves).
    let offline_bpf = match settings.bpf.as_deref().filter(|f| !f.trim().is_empty()) {
        Some(f) if !live => {
            Some(trawl_rules::BpfFilter::new(f).map_err(|e| anyhow::anyhow!("bpf: {e}"))?)
        }
        _ => None,
    };
    // Interfaces are opened first, while still root; then root is dropped.
    let sources = if live {
        let s = open_live(&cfg, &settings, &interfaces)?;
        crate::privileges::drop_to(
            settings.drop_user.as_deref(),
            settings.drop_group.as_deref(),
        )?;
        crate::signals::install();
        s
    } else {
        // Offline too: the first SIGINT/SIGTERM stops reading and the capture ends
        // as if the files had ended (sessions flushed, outputs drained).
        crate::signals::install();
        Vec::new()
    };
    // One capture per dataDir: refuse before reading a packet or registering a file.
    // Taken after root is dropped, so that the lock file (and everything after it in
    // dataDir) belongs to dropUser, which the service runs as.
    let _lock = if dry_run {
        None
    } else {
        crate::datadir::warn_if_root_on_others(&settings.data_dir);
        Some(crate::datadir::lock(&settings.data_dir)?)
    };

    // The files registry (none in a dry run); with Elasticsearch its documents also go
    // to the files index, where Arkime's viewer finds the pcap of a session. `-s` and
    // `--reprocess` consult it before anything is read.
    let registry = if dry_run {
        None
    } else {
        Some(Arc::new(
            trawl_writer::FilesRegistry::open(&settings.data_dir.join("files"), &node)
                .context("opening the files registry")?,
        ))
    };
    // Offline inputs that are missing or refused are said, left out and counted.
    let mut unread = 0usize;
    let (files, reuse) = if live {
        (Vec::new(), Vec::new())
    } else {
        select_inputs(files, registry.as_deref(), &args, &mut unread)
    };
    if !live && files.is_empty() && !waiting && args.command.is_empty() {
        if unread > 0 && !args.ignoreerrors {
            tracing::error!("no input could be read");
            return Ok(ExitCode::from(1));
        }
        tracing::info!("nothing to read: every input was skipped or could not be read");
        return Ok(ExitCode::SUCCESS);
    }

    let built = setup::build(&cfg, &settings, &args.tag, &args.op)?;
    // After the rules are loaded: the keys they refer to as ${key} are used.
    cfg.warn_unknown_keys();
    // Where documents go: stdout for --tests, nowhere for --dryrun, Elasticsearch or
    // OpenSearch when `elasticsearch=` names a cluster, else the embedded store under
    // dataDir.
    let mut store: Option<Arc<StoreOutput>> = None;
    let mut es_out: Option<Arc<trawl_es::EsOutput>> = None;
    let mut cluster: Option<Arc<trawl_cluster::Client>> = None;
    let output: Arc<dyn DocOutput> = if args.tests {
        Arc::new(TestsOutput::stdout())
    } else if dry_run
        || (args.nospi
            && !cfg
                .get("elasticsearch")
                .is_some_and(|v| v.split(',').any(|u| !u.trim().is_empty())))
    {
        // --nospi without a cluster: the store would hold nothing.
        Arc::new(NullOutput::default())
    } else if cfg
        .get("elasticsearch")
        .is_some_and(|v| v.split(',').any(|u| !u.trim().is_empty()))
    {
        let mut es = trawl_es::EsConfig::new(&settings.elasticsearch, &settings.data_dir)?;
        es.bulk_size = cfg.get_int("dbBulkSize", 1_000_000, 10_000, 10_000_000)? as usize;
        es.drain_timeout = std::time::Duration::from_secs_f64(cfg.get_double(
            "elasticsearchDrainTimeout",
            30.0,
            0.1,
            86_400.0,
        )?);
        es.request_timeout =
            std::time::Duration::from_secs(
                cfg.get_int("elasticsearchTimeout", 60, 1, 86_400)? as u64
            );
        es.spool_when_unreachable = cfg.get_bool("elasticsearchSpoolWhenUnreachable", false)?;
        if let Some(a) = cfg.get("elasticsearchBasicAuth").filter(|a| !a.is_empty()) {
            use base64::Engine;
            // Either user:password or its base64 already, as Arkime accepts.
            let v = if a.contains(':') {
                base64::engine::general_purpose::STANDARD.encode(a)
            } else {
                a.to_string()
            };
            es.auth = Some(format!("Basic {v}"));
        }
        if let Some(k) = cfg.get("elasticsearchAPIKey").filter(|k| !k.is_empty()) {
            es.auth = Some(format!("ApiKey {k}"));
        }
        tracing::info!("session documents go to {}", es.urls.join(", "));
        let spool_when_unreachable = es.spool_when_unreachable;
        let o = trawl_es::EsOutput::start(es).context("starting the Elasticsearch output")?;
        es_out = Some(Arc::clone(&o));
        cluster = cluster_setup(
            &cfg,
            &settings,
            &built.shared.fields,
            spool_when_unreachable,
        )?;
        o
    } else {
        let fields = trawl_store::fields_of(&built.shared.fields);
        // The field definitions beside the store, for searches without this config.
        if let Err(e) = trawl_store::fielddefs::save(&settings.data_dir, &built.shared.fields) {
            tracing::warn!(
                "recording the field definitions in {}: {e}",
                trawl_store::fielddefs::path(&settings.data_dir).display()
            );
        }
        let retention = store_retention(&cfg)?;
        let s = Arc::new(
            StoreOutput::start_with(&settings.data_dir, fields, retention).with_context(|| {
                format!(
                    "opening the session store in {}",
                    settings.data_dir.display()
                )
            })?,
        );
        store = Some(Arc::clone(&s));
        s
    };

    let doc_cfg = DocConfig {
        node: node.clone(),
        prefix: settings.prefix.clone(),
        rotate: settings.rotate,
        gap_packet_pos: settings.gap_packet_pos,
        enable_packet_len: settings.enable_packet_len,
        auto_generate_id: u8::from(settings.auto_generate_id == trawl_config::AutoGenerateId::On),
    };

    // Where packets go: nowhere in a dry run; with --copy into pcapDir through the
    // simple writer; otherwise they stay in the files read, registered as locked files.
    if let Some(r) = &registry {
        if let Some(c) = &cluster {
            r.set_numberer(cluster_numberer(Arc::clone(c), &settings.prefix, &node));
        }
        if let Some(es) = &es_out {
            let es = Arc::clone(es);
            let index = format!("{}files", settings.prefix);
            r.set_mirror(Box::new(move |f: &trawl_writer::FileInfo| {
                es.emit(trawl_output::Doc {
                    index: index.clone(),
                    id: Some(format!("{}-{}", f.node, f.num)),
                    body: serde_json::to_string(f).unwrap_or_default(),
                });
            }));
        }
    }
    let pcap = PcapOutput::new(
        &cfg,
        &settings,
        &node,
        registry.clone(),
        InPlace {
            copy: args.copy || live,
            locked: !args.nolockpcap,
        },
    )?;

    // --nospi: no session documents, as Arkime's capture (its --tests output stays);
    // the cluster output still takes the files and stats documents.
    let session_output: Arc<dyn DocOutput> = if args.nospi && !args.tests {
        tracing::info!("--nospi: no session documents are written");
        Arc::new(NullOutput::default())
    } else {
        Arc::clone(&output)
    };
    let threads = (settings.packet_threads as usize).max(1);
    let mut senders: Vec<Sender<Command>> = Vec::with_capacity(threads);
    let mut handles = Vec::with_capacity(threads);
    for t in 0..threads {
        let (tx, rx) = bounded::<Command>(64);
        let shared = Arc::clone(&built.shared);
        let sink = DocSink::new(
            DocBuilder::new(doc_cfg.clone(), &shared, t as u16),
            Arc::clone(&session_output),
        );
        let pt = PacketThread::new(t as u16, shared, Box::new(sink), pcap.writer(t));
        handles.push(
            std::thread::Builder::new()
                .name(format!("trawl-pkt{t}"))
                .spawn(move || pt.run(rx))
                .context("starting a packet thread")?,
        );
        senders.push(tx);
    }

    // Lookup files are watched while capturing (Arkime checks every minute too).
    let (stop_monitor, monitor_rx) = crossbeam_channel::bounded::<()>(0);
    let monitor = setup::monitor_lookups(
        built.lookup_source.clone(),
        Arc::clone(&built.shared.lookups),
        std::time::Duration::from_secs(60),
        monitor_rx,
    )
    .context("starting the lookup monitor")?;

    // The command interface (--command-socket, --command): what `set` changes and
    // `packet-stats` shows.
    let run_stats = Arc::new(command::RunStats::default());
    let standalone_vars = command::Vars::from_args(&args);
    let ctx = (command_listener.is_some() || !args.command.is_empty()).then(|| {
        Arc::new(command::Ctx {
            queue: Arc::clone(&queue),
            shared: Arc::clone(&built.shared),
            vars: command::Vars::from_args(&args),
            stats: Arc::clone(&run_stats),
            plugins: built
                .shared
                .plugins
                .iter()
                .map(|p| p.name().to_string())
                .collect(),
            offline: !live,
            copy: args.copy,
            monitor_default: args.monitor,
            sorted_default: args.sorted,
            delete_default: args.delete,
            regex: file_regex.clone(),
            monitor: std::sync::Mutex::new(dir_monitor.clone()),
            senders: std::sync::Mutex::new(senders.clone()),
            version: version_line(),
            arkime_version: ARKIME_VERSION,
        })
    });
    if let (Some(l), Some(c)) = (command_listener, &ctx) {
        command::serve(l, Arc::clone(c))?;
    }
    // --command: run before reading starts, as Arkime's arkime_command_start.
    if let Some(c) = &ctx {
        for line in &args.command {
            tracing::info!("command: {line}");
            c.run(line, None);
        }
    }
    let ctx_vars = ctx.as_ref().map_or(&standalone_vars, |c| &c.vars);

    let started = Instant::now();
    if live {
        let pcap_dir = if cfg.get("pcapDir").is_some() {
            settings
                .pcap_dir
                .first()
                .map(PathBuf::from)
                .unwrap_or_default()
        } else {
            settings.data_dir.join("raw")
        };
        let stats = (!args.nostats).then(|| {
            let mut w = crate::stats::StatsWriter::new(&settings.data_dir, &node, pcap_dir);
            w.set_host(&host);
            if let Some(es) = &es_out {
                w.send_to(Arc::clone(es) as Arc<dyn DocOutput>, &settings.prefix);
            }
            w
        });
        let live_stats = run_live(sources, &built, &senders, stats, &run_stats);
        if let Some(c) = &ctx {
            if let Ok(mut s) = c.senders.lock() {
                s.clear();
            }
        }
        drop(senders);
        if let Some(p) = &args.command_socket {
            let _ = std::fs::remove_file(p);
        }
        let stats = join_packet_threads(handles)?;
        let written = pcap.finish();
        output.finish();
        // --norefresh: as Arkime's, no refresh at exit.
        refresh_cluster(
            cluster.as_deref().filter(|_| !args.norefresh),
            &settings.prefix,
        );
        let lost_docs = report_outputs(store.as_deref(), es_out.as_deref(), &settings, &written);
        drop(stop_monitor);
        let _ = monitor.join();
        tracing::info!(
            "stopped after {:.1}s: {} packets received, {} dropped by the kernel, {} dropped on full queues; processed {} packets, saved {} documents, wrote {} bytes of pcap{}",
            started.elapsed().as_secs_f64(),
            live_stats.received,
            live_stats.dropped + live_stats.if_dropped,
            live_stats.queue_dropped,
            stats.packets,
            stats.saves,
            written.bytes,
            if written.write_errors > 0 { format!(" ({} write errors)", written.write_errors) } else { String::new() },
        );
        return Ok(exit_status(
            false,
            lost_docs,
            written.dropped_bytes + u64::from(written.write_errors > 0),
        ));
    }
    let mut reader = ReaderLoop::new(
        Decoder::new(Arc::clone(&built.tables)),
        senders,
        args.packetcnt,
    );
    reader.bpf = offline_bpf;
    // Node stats while reading, as Arkime's capture writes them in every mode but a
    // dry run: the stats document every 2 s, dstats every 5, 60 and 600 s.
    let stats_thread = if dry_run || args.tests || args.nostats {
        None
    } else {
        let counters = Arc::new(crate::stats::Counters::default());
        reader.counters = Some(Arc::clone(&counters));
        let pcap_dir = settings
            .pcap_dir
            .first()
            .map(PathBuf::from)
            .unwrap_or_else(|| settings.data_dir.clone());
        let mut w = crate::stats::StatsWriter::new(&settings.data_dir, &node, pcap_dir);
        w.set_host(&host);
        if let Some(es) = &es_out {
            w.send_to(Arc::clone(es) as Arc<dyn DocOutput>, &settings.prefix);
        }
        Some((
            crate::stats::StatsThread::start(w, Arc::clone(&counters))?,
            counters,
        ))
    };
    let total_bytes: u64 = files
        .iter()
        .filter_map(|f| match f {
            Input::File(p) => std::fs::metadata(p).ok(),
            Input::Url(_) => None,
        })
        .map(|m| m.len())
        .sum();
    let bar =
        (std::io::stderr().is_terminal() && total_bytes > 64 << 20 && !args.quiet && !waiting)
            .then(|| {
                let b = indicatif::ProgressBar::new(total_bytes);
                b.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{elapsed_precise} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} {msg}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                b
            });
    reader.run_stats = Some(Arc::clone(&run_stats));
    // The command line's inputs first, then those that arrive (--monitor, add-file),
    // as Arkime's scheme reader: with --monitor or --command-wait until a stop.
    let mut initial: std::collections::VecDeque<(Input, Option<u32>)> =
        files.iter().cloned().zip(reuse.iter().copied()).collect();
    let initial_count = initial.len();
    if waiting {
        tracing::info!(
            "reading {}, then waiting for {} until SIGINT/SIGTERM{}",
            super::count(initial_count as u64, "input", "inputs"),
            if args.monitor {
                "new files"
            } else {
                "commands"
            },
            if args.command_socket.is_some() {
                " or shutdown"
            } else {
                ""
            }
        );
    }
    let mut failed_files = 0usize;
    let mut attempted = 0usize;
    let mut next_pos = 0usize;
    // The inputs (by order read) whose packets the packet threads have all processed
    // are those before this one.
    let mut drained_upto = 0usize;
    let vars = ctx_vars;
    loop {
        if stop_requested() {
            let left = initial.len() + queue.len();
            if left > 0 {
                tracing::info!("stop requested: {left} files not read");
            }
            break;
        }
        let (input, reuse, item) = match initial.pop_front() {
            Some((i, r)) => (i, r, None),
            None => {
                let Some(item) = queue.next(waiting) else {
                    break;
                };
                let skip = item.skip.unwrap_or_else(|| command::Vars::get(&vars.skip));
                let reprocess = command::Vars::get(&vars.reprocess);
                // The registry is read (every entry) only when it decides: a long
                // --monitor run must not read it again for every new file.
                let known = match &registry {
                    Some(r) if skip || reprocess => r.list(),
                    _ => Vec::new(),
                };
                match select_one(&item.input, &known, registry.is_some(), skip, reprocess) {
                    Selected::Read(i, r) => (i, r, Some(item)),
                    Selected::Skip => {
                        // Done before the notice: a `file-status` sent after it
                        // must not see this input as current.
                        queue.done();
                        if let Some(c) = &item.notify {
                            c.send(&format!("file-error filename={}\n", item.input));
                        }
                        continue;
                    }
                    Selected::Unread => {
                        unread += 1;
                        // Done before the notice: a `file-status` sent after it
                        // must not see this input as current.
                        queue.done();
                        if let Some(c) = &item.notify {
                            c.send(&format!("file-error filename={}\n", item.input));
                        }
                        continue;
                    }
                }
            }
        };
        // Reader positions: the command line's inputs 0.., then the others wrap
        // around the positions after them.
        let pos = if next_pos < READER_SLOTS {
            next_pos
        } else {
            let spare = READER_SLOTS - initial_count.min(READER_SLOTS - 1);
            // A position is reused once the packets of the input that had it before
            // are processed (its file number and operations are looked up by
            // position), as Arkime's reader waits for a slot to drain.
            if next_pos - spare >= drained_upto {
                reader.drain();
                drained_upto = next_pos;
            }
            READER_SLOTS - spare + (next_pos - READER_SLOTS) % spare
        } as u16;
        next_pos += 1;
        // The input's operations (filenameOps on its real path or URI, as Arkime
        // matches them; add-file's --op), in place before its first packet is sent.
        built.input_ops.start_input(
            pos,
            || ops_name(&input),
            item.as_ref()
                .and_then(|i| i.ops.as_deref())
                .map_or(&[][..], Vec::as_slice),
        );
        attempted += 1;
        let shown = input.display();
        if let Some(b) = &bar {
            b.set_message(shown.clone());
        }
        let ignore_errors = command::Vars::get(&vars.ignoreerrors);
        let truncated_before = reader.truncated_files;
        let read = match pcap.register(pos, &input, reuse) {
            Ok(()) => reader.read_file(&input, pos, bar.as_ref()),
            Err(e) => Err(e.context(format!("registering {shown}"))),
        };
        if let Err(e) = &read {
            failed_files += 1;
            if ignore_errors {
                tracing::warn!("{e:#} (--ignoreerrors: going on)");
            } else {
                tracing::error!("{e:#}");
            }
        }
        // --delete (with --copy, so the packets are in pcapDir): only a file read to
        // its end, as Arkime's capture; with --ignoreerrors one that failed too.
        let delete = item.as_ref().and_then(|i| i.delete).unwrap_or(args.delete);
        if let (true, false, Input::File(f)) = (delete, dry_run, &input) {
            let whole =
                read.is_ok() && reader.truncated_files == truncated_before && !stop_requested();
            if whole || (read.is_err() && ignore_errors) {
                match std::fs::remove_file(f) {
                    Ok(()) => tracing::info!("--delete: deleted {}", f.display()),
                    Err(e) => tracing::error!("--delete: cannot delete {}: {e}", f.display()),
                }
            } else {
                tracing::warn!("--delete: {} kept (not read to its end)", f.display());
            }
        }
        if command::Vars::get(&vars.flush) {
            reader.flush_sessions();
        }
        if let Some(item) = &item {
            if waiting {
                match &read {
                    Ok(r) => tracing::info!(
                        "{}: {} packets, {} bytes read",
                        item.input,
                        r.packets,
                        r.bytes
                    ),
                    Err(_) => tracing::info!("{}: not read to its end", item.input),
                }
            }
            // --notify: once the packet threads have processed the file's packets.
            if let Some(c) = item.notify.clone() {
                let msg = match &read {
                    Ok(r) => format!(
                        "file-done filename={} packets={} bytes={}\n",
                        item.input, r.packets, r.bytes
                    ),
                    Err(_) => format!("file-error filename={}\n", item.input),
                };
                reader.after_packets(Box::new(move || c.send(&msg)));
            }
            queue.done();
        }
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    // The packet threads end once every queue to them is closed.
    if let Some(c) = &ctx {
        if let Ok(mut s) = c.senders.lock() {
            s.clear();
        }
    }
    let bpf_skipped = reader.bpf_skipped;
    let truncated_files = reader.truncated_files;
    let decoder_stats = reader.decoder.stats;
    let frag = reader.decoder.frag_stats();
    let packets_read = reader.packets_read;
    let bytes_read = reader.bytes_read;
    drop(reader);
    tracing::debug!("all packets read; waiting for the packet threads");
    let stats = join_packet_threads(handles)?;
    tracing::debug!("packet threads done; closing the outputs");
    // The last stats document, then the outputs close.
    if let Some((t, counters)) = stats_thread {
        counters
            .sessions
            .store(stats.saves, std::sync::atomic::Ordering::Relaxed);
        t.stop();
    }
    // Closing the pcap files updates their documents, which may go to the output too.
    let written = pcap.finish();
    output.finish();
    // --norefresh: as Arkime's, no refresh at exit.
    refresh_cluster(
        cluster.as_deref().filter(|_| !args.norefresh),
        &settings.prefix,
    );
    let lost_docs = report_outputs(store.as_deref(), es_out.as_deref(), &settings, &written);
    drop(stop_monitor);
    let _ = monitor.join();

    let secs = started.elapsed().as_secs_f64();
    let mut drops = String::new();
    for (i, n) in decoder_stats.iter().enumerate() {
        if i != PacketRc::DoProcess as usize && *n > 0 {
            drops.push_str(&format!(" {}={}", PacketRc::NAMES[i], n));
        }
    }
    tracing::info!(
        "read {} files, {} packets, {} bytes in {:.2}s; processed {} packets, saved {} documents{}{}{}",
        attempted - failed_files,
        packets_read,
        bytes_read,
        secs,
        stats.packets,
        stats.saves,
        if drops.is_empty() { String::new() } else { format!("; not processed:{drops}") },
        if frag.dropped > 0 { format!("; fragments dropped={}", frag.dropped) } else { String::new() },
        if stats.early_saves > 0 { format!("; sessions saved early (maxStreams)={}", stats.early_saves) } else { String::new() },
    );
    if stats.parser_errors + stats.parser_overflows > 0 {
        tracing::info!(
            "parsers that stopped on bytes not of their protocol: {}; on messages longer than they keep: {}",
            stats.parser_errors,
            stats.parser_overflows
        );
    }
    if bpf_skipped > 0 {
        tracing::info!("{bpf_skipped} packets did not match bpf= and were skipped");
    }
    if truncated_files > 0 {
        tracing::warn!("{truncated_files} files ended inside a packet record (kept up to there)");
    }
    // Inputs not read (missing, refused, not pcap, failed): the exit status says so,
    // unless --ignoreerrors.
    let ignore_errors = command::Vars::get(&ctx_vars.ignoreerrors);
    let not_read = if ignore_errors {
        0
    } else {
        unread + failed_files
    };
    if not_read > 0 && !(failed_files == attempted && attempted > 0) {
        tracing::error!(
            "exit status {SOME_INPUTS_NOT_READ}: {not_read} of {} inputs could not be read (see above)",
            attempted + unread
        );
    }
    if let Some(p) = &args.command_socket {
        let _ = std::fs::remove_file(p);
    }
    let status = exit_status(
        failed_files == attempted && attempted > 0 && !ignore_errors,
        lost_docs,
        written.dropped_bytes + u64::from(written.write_errors > 0),
    );
    if status == ExitCode::SUCCESS && not_read > 0 {
        return Ok(ExitCode::from(SOME_INPUTS_NOT_READ));
    }
    Ok(status)
}

/// The exit status of a capture that read some inputs but not all (missing, not pcap,
/// unreadable, or refused by --reprocess); the log names each.
pub const SOME_INPUTS_NOT_READ: u8 = 4;

/// What to do with one offline input.
enum Selected {
    /// Read it, under this files registry entry (`--reprocess`) or a new one.
    Read(Input, Option<u32>),
    /// Skipped (`-s`, already processed): not an error.
    Skip,
    /// Cannot be read (said in the log): counts as not read.
    Unread,
}

/// Whether to read one offline input (a path or a URI, as given). A file that cannot
/// be opened, or a URI of a scheme trawl does not read (`s3://`), is said and left
/// out (not registered); an input the registry already holds (a file under its real
/// path, a URL as written) is skipped with `skip`, read again under its entry with
/// `reprocess`, else read again with a warning, as a new entry. With `reprocess`, an
/// input the registry lacks is refused, as Arkime's capture refuses it.
fn select_one(
    given: &str,
    known: &[trawl_writer::FileInfo],
    have_registry: bool,
    skip: bool,
    reprocess: bool,
) -> Selected {
    let input = match Input::parse(given) {
        Ok(i) => i,
        Err(e) => {
            tracing::error!("{e}");
            return Selected::Unread;
        }
    };
    let name = match &input {
        // Not opened here: a FIFO gives its bytes to one open only, the reader's.
        Input::File(f) => match std::fs::metadata(f).and_then(|_| std::fs::canonicalize(f)) {
            Ok(c) => c.display().to_string(),
            Err(e) => {
                tracing::error!("{}: {e}; not read", f.display());
                return Selected::Unread;
            }
        },
        Input::Url(u) => u.clone(),
    };
    let shown = input.display();
    let seen = known
        .iter()
        .filter(|i| i.name == name)
        .max_by_key(|i| i.num);
    match seen {
        Some(i) if skip => {
            tracing::info!(
                "skipping {shown}: already processed (files registry entry {})",
                i.num
            );
            Selected::Skip
        }
        Some(i) if reprocess => {
            tracing::info!(
                "reprocessing {shown} under its files registry entry {}",
                i.num
            );
            Selected::Read(input, Some(i.num))
        }
        Some(i) => {
            tracing::warn!(
                "{shown} was already processed (files registry entry {}); processing it again \
                 (-s skips such files, --reprocess reuses the entry)",
                i.num
            );
            Selected::Read(input, None)
        }
        None if reprocess && have_registry => {
            tracing::error!(
                "Can't reprocess {shown}: the files registry has no entry for it; not read"
            );
            Selected::Unread
        }
        None => Selected::Read(input, None),
    }
}

/// The command line's offline inputs to read, each with the files registry entry to
/// reuse ([`select_one`] for each; those not read are counted in `unread`).
fn select_inputs(
    files: Vec<PathBuf>,
    registry: Option<&trawl_writer::FilesRegistry>,
    a: &CaptureArgs,
    unread: &mut usize,
) -> (Vec<Input>, Vec<Option<u32>>) {
    let known = registry.map(|r| r.list()).unwrap_or_default();
    let mut out = Vec::with_capacity(files.len());
    let mut reuse = Vec::with_capacity(files.len());
    for f in files {
        let given = f.to_string_lossy();
        match select_one(&given, &known, registry.is_some(), a.skip, a.reprocess) {
            Selected::Read(i, r) => {
                out.push(i);
                reuse.push(r);
            }
            Selected::Skip => {}
            Selected::Unread => *unread += 1,
        }
    }
    (out, reuse)
}

/// The name `filenameOps` are matched against: a file's real path (as given when it
/// has none, such as `-` for stdin), a URL as written, as Arkime's readers match them.
fn ops_name(input: &Input) -> String {
    match input {
        Input::File(p) => std::fs::canonicalize(p)
            .unwrap_or_else(|_| p.clone())
            .display()
            .to_string(),
        Input::Url(u) => u.clone(),
    }
}

/// A `file://` URI as the path it names; other paths as they are.
fn strip_file_scheme(p: &std::path::Path) -> PathBuf {
    match p.to_str().and_then(|s| s.strip_prefix("file://")) {
        Some(rest) => PathBuf::from(rest),
        None => p.to_path_buf(),
    }
}

/// Logs what the store and the pcap writer did, and returns how many session documents
/// were lost (neither indexed nor kept anywhere).
fn report_outputs(
    store: Option<&StoreOutput>,
    es: Option<&trawl_es::EsOutput>,
    settings: &Settings,
    written: &trawl_writer::WriterStats,
) -> u64 {
    // The Elasticsearch output logged its own summary when it finished.
    let mut lost_docs = es.map_or(0, |es| es.stats.lost());
    if let Some(st) = store {
        let n = |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
        let failed = n(&st.stats.failed);
        if failed > 0 {
            tracing::error!(
                "session store: {failed} documents could not be indexed{}",
                if n(&st.stats.disk_full) > 0 {
                    " (the disk was full)"
                } else {
                    ""
                }
            );
        }
        lost_docs += failed;
        let ints_failed = n(&st.stats.ints_failed);
        if ints_failed > 0 {
            tracing::error!(
                "session store: the integers of {ints_failed} commits could not be written"
            );
        }
        tracing::info!(
            "session store {}: {} documents indexed, {} commits{}",
            trawl_store::sessions_dir(&settings.data_dir).display(),
            n(&st.stats.indexed),
            n(&st.stats.commits),
            match n(&st.stats.queue_full) {
                0 => String::new(),
                q => format!(", queue full {q} times"),
            }
        );
        let (merged, unmerged) = (n(&st.stats.merged_on_close), n(&st.stats.left_unmerged));
        if merged + unmerged > 0 {
            tracing::info!(
                "session store: {merged} closed partitions merged into one segment in the background, {unmerged} left as they were (trawl db optimize merges them); at most {} open at once",
                n(&st.stats.most_open)
            );
        }
        let expired = n(&st.stats.expired_partitions);
        if expired > 0 {
            tracing::info!(
                "session store: retention deleted {expired} partitions ({} documents)",
                n(&st.stats.expired_docs)
            );
        }
    }
    if written.write_errors > 0 {
        tracing::error!(
            "pcap writing failed on {} files; {} bytes of packets were not written",
            written.write_errors,
            written.dropped_bytes
        );
    }
    lost_docs
}

/// The exit status of a capture: 1 when no input could be read at all (as for a
/// startup error), 3 when documents or packets were lost (the log has the counts),
/// else 0.
fn exit_status(nothing_read: bool, lost_docs: u64, lost_pcap: u64) -> ExitCode {
    if nothing_read {
        ExitCode::from(1)
    } else if lost_docs > 0 || lost_pcap > 0 {
        tracing::error!(
            "exit status 3: {lost_docs} session documents and {lost_pcap} bytes of packets were lost (see above)"
        );
        ExitCode::from(LOST)
    } else {
        ExitCode::SUCCESS
    }
}

/// The exit status of a capture that lost documents or packets.
pub const LOST: u8 = 3;

/// `simpleCompression` (Arkime's default is zstd), `simpleCompressionBlockSize`,
/// `simpleZstdLevel`.
fn simple_compression(cfg: &Config) -> Result<Option<trawl_writer::ZstdBlocks>> {
    let block = cfg.get_int("simpleCompressionBlockSize", 64000, 8191, 0xfffff)? as u32;
    let level = cfg.get_int("simpleZstdLevel", 0, 0, 22)? as i32;
    match cfg.get_str("simpleCompression", "zstd").as_str() {
        "none" => Ok(None),
        "zstd" => Ok(Some(trawl_writer::ZstdBlocks::new(block, level))),
        "gzip" => {
            tracing::warn!("simpleCompression=gzip is not written by trawl; using zstd");
            Ok(Some(trawl_writer::ZstdBlocks::new(block, level)))
        }
        other => anyhow::bail!("simpleCompression: unknown value '{other}' (none, zstd or gzip)"),
    }
}

/// The embedded store's retention: `storeMaxG` (GB, or a percentage of the disk, as
/// `freeSpaceG`) and `storeDays` (partitions whose newest session is older go).
fn store_retention(cfg: &trawl_config::Config) -> Result<trawl_store::retention::Retention> {
    use trawl_store::retention::{Retention, SizeCap};
    let max_size = match cfg.get_opt_str("storeMaxG") {
        Some(v) => Some(SizeCap::parse(&v).with_context(|| {
            format!(
                "storeMaxG: '{v}' is not a percentage of the disk (10%) or a number of GB above 0"
            )
        })?),
        None => None,
    };
    let max_days = match cfg.get_opt_str("storeDays") {
        Some(v) => Some(
            v.trim()
                .parse::<f64>()
                .ok()
                .filter(|d| d.is_finite() && *d > 0.0)
                .with_context(|| format!("storeDays: '{v}' is not a number of days above 0"))?,
        ),
        None => None,
    };
    Ok(Retention { max_size, max_days })
}

/// The reader side: reads records, runs the enqueue phase and batches packets per
/// packet thread.
struct ReaderLoop {
    decoder: Decoder,
    senders: Vec<Sender<Command>>,
    batches: Vec<Vec<Packet>>,
    packetcnt: Option<u64>,
    packets_read: u64,
    bytes_read: u64,
    skipped: u64,
    /// `bpf=` for offline reads: packets it does not match are skipped.
    bpf: Option<trawl_rules::BpfFilter>,
    /// Packets `bpf` skipped.
    bpf_skipped: u64,
    /// Files that ended inside a record.
    truncated_files: u64,
    /// What the stats thread reports, brought up to date with each batch sent.
    counters: Option<Arc<crate::stats::Counters>>,
    /// What `packet-stats` shows, brought up to date likewise.
    run_stats: Option<Arc<command::RunStats>>,
}

/// What was read from one input.
#[derive(Debug, Default)]
struct FileRead {
    /// Packets read.
    packets: u64,
    /// Bytes of the input read (of the decompressed stream for a compressed one).
    bytes: u64,
}

const BATCH: usize = 256;

impl ReaderLoop {
    fn new(decoder: Decoder, senders: Vec<Sender<Command>>, packetcnt: Option<u64>) -> Self {
        let n = senders.len();
        ReaderLoop {
            decoder,
            senders,
            batches: (0..n).map(|_| Vec::with_capacity(BATCH)).collect(),
            packetcnt,
            packets_read: 0,
            bytes_read: 0,
            skipped: 0,
            bpf: None,
            bpf_skipped: 0,
            truncated_files: 0,
            counters: None,
            run_stats: None,
        }
    }

    /// Reads one input (a file, or a URL streamed) to its end, or to a stop, or to
    /// `--packetcnt`; what was read before an error is kept.
    fn read_file(
        &mut self,
        input: &Input,
        pos: u16,
        bar: Option<&indicatif::ProgressBar>,
    ) -> Result<FileRead> {
        let shown = input.display();
        let mut r = match OfflineReader::open_input(input) {
            Ok(r) => r,
            // A zero-length file holds no packets; say so and go on.
            Err(ReadError::Truncated { offset: 0, .. }) if matches!(input, Input::File(p) if std::fs::metadata(p).is_ok_and(|m| m.len() == 0)) =>
            {
                tracing::warn!("{shown}: empty file");
                return Ok(FileRead::default());
            }
            Err(e) => return Err(e.into()),
        };
        if !DecodeTables::supports_linktype(r.linktype()) {
            anyhow::bail!("{shown}: link type {} is not supported", r.linktype());
        }
        let mut n = 0u64;
        let mut last_pos = 0u64;
        loop {
            if self.packetcnt.is_some_and(|max| n >= max) {
                break;
            }
            if stop_requested() {
                tracing::info!("stop requested: {shown} stopped after {n} packets");
                break;
            }
            let rec = match r.next_record() {
                Ok(Some(rec)) => rec,
                Ok(None) => break,
                // A file cut inside a record (a capture stopped mid-write) ends there:
                // warn and keep what was read, as Arkime does (its exit status stays 0).
                Err(e @ ReadError::Truncated { .. }) => {
                    tracing::warn!("{e}; {n} packets read from {shown}");
                    self.truncated_files += 1;
                    break;
                }
                Err(e) => {
                    self.flush_batches();
                    self.count_reader(r.stats());
                    return Err(anyhow::Error::new(e)
                        .context(format!("{n} packets read from {shown} before the error")));
                }
            };
            n += 1;
            self.packets_read += 1;
            self.bytes_read += u64::from(rec.caplen) + 16;
            if let Some(b) = bar {
                if rec.file_pos > last_pos + (1 << 20) {
                    b.inc(rec.file_pos - last_pos);
                    last_pos = rec.file_pos;
                }
            }
            if let Some(f) = &self.bpf {
                use trawl_rules::PacketFilter;
                if !f.matches(rec.linktype, rec.data()) {
                    self.bpf_skipped += 1;
                    continue;
                }
            }
            let pkt = Packet::from_record(rec, pos);
            if let Some(p) = self.decoder.enqueue(pkt) {
                let t = (p.meta.hash as usize) % self.senders.len();
                self.batches[t].push(p);
                if self.batches[t].len() >= BATCH {
                    self.send(t);
                }
            }
        }
        self.flush_batches();
        self.count_reader(r.stats());
        Ok(FileRead {
            packets: n,
            bytes: r.position(),
        })
    }

    fn count_reader(&mut self, st: &trawl_readers::ReaderStats) {
        if st.skipped_oversize > 0 {
            tracing::warn!(
                "{} records longer than 65535 bytes skipped",
                st.skipped_oversize
            );
        }
        if st.truncated_packets > 0 {
            tracing::warn!(
                "{} packets were captured shorter than they were on the wire",
                st.truncated_packets
            );
        }
        self.skipped += st.skipped_oversize;
    }

    fn send(&mut self, t: usize) {
        if let Some(c) = &self.counters {
            c.packets
                .store(self.packets_read, std::sync::atomic::Ordering::Relaxed);
            c.bytes
                .store(self.bytes_read, std::sync::atomic::Ordering::Relaxed);
        }
        if let Some(r) = &self.run_stats {
            use std::sync::atomic::Ordering::Relaxed;
            r.received.store(self.packets_read, Relaxed);
            for (a, v) in r.rc.iter().zip(self.decoder.stats.iter()) {
                a.store(*v, Relaxed);
            }
        }
        let batch = std::mem::replace(&mut self.batches[t], Vec::with_capacity(BATCH));
        // Offline: block until the packet thread has room rather than drop.
        let _ = self.senders[t].send(Command::Batch(batch));
    }

    fn flush_batches(&mut self) {
        for t in 0..self.senders.len() {
            if !self.batches[t].is_empty() {
                self.send(t);
            }
        }
    }

    /// Runs `f` once every packet thread has processed the packets sent so far.
    fn after_packets(&mut self, f: Box<dyn FnOnce() + Send>) {
        self.flush_batches();
        let left = Arc::new(std::sync::atomic::AtomicUsize::new(self.senders.len()));
        let f = Arc::new(std::sync::Mutex::new(Some(f)));
        for s in &self.senders {
            let (left, f) = (Arc::clone(&left), Arc::clone(&f));
            let last = move |_: &mut PacketThread| {
                if left.fetch_sub(1, std::sync::atomic::Ordering::AcqRel) == 1 {
                    if let Some(f) = f.lock().ok().and_then(|mut g| g.take()) {
                        f();
                    }
                }
            };
            let _ = s.send(Command::Func(Box::new(last)));
        }
    }

    /// Waits until every packet thread has processed the packets sent so far (not at
    /// all when they have ended).
    fn drain(&mut self) {
        let (tx, rx) = crossbeam_channel::bounded::<()>(1);
        self.after_packets(Box::new(move || {
            let _ = tx.send(());
        }));
        // Err: the packet threads are gone (and `tx` with their commands).
        let _ = rx.recv();
    }

    fn flush_sessions(&mut self) {
        self.flush_batches();
        for s in &self.senders {
            let _ = s.send(Command::Func(Box::new(|pt: &mut PacketThread| {
                pt.flush_all()
            })));
        }
    }
}

impl Drop for ReaderLoop {
    fn drop(&mut self) {
        self.flush_batches();
    }
}

/// How the offline inputs are registered when read in place.
struct InPlace {
    /// Copy the packets into pcapDir instead (--copy, or a live capture).
    copy: bool,
    /// Register the inputs as locked (expiry leaves them alone); not with
    /// --nolockpcap, as Arkime's capture.
    locked: bool,
}

/// Reader positions (a packet's `reader_pos`, one per input read) that the file
/// numbers of offline inputs read in place are looked up by: set when an input is
/// registered, before its first packet is sent to the packet threads.
const READER_SLOTS: usize = 1 << 16;

/// The in-place writer over [`READER_SLOTS`] (Arkime's `offlineInfo[readerPos]`):
/// positions point into the input that was read; a dry run has file number 0.
struct SlotWriter {
    slots: Arc<[std::sync::atomic::AtomicU32]>,
}

impl trawl_session::PacketWriter for SlotWriter {
    fn write(&mut self, _s: &trawl_session::Session, pkt: &Packet) -> Option<(u32, u64)> {
        let num = self
            .slots
            .get(usize::from(pkt.meta.reader_pos))
            .map_or(0, |n| n.load(std::sync::atomic::Ordering::Relaxed));
        Some((num, pkt.meta.file_pos))
    }
}

/// Where a capture's packets are written.
enum PcapOutput {
    /// Positions into the inputs read, registered one by one as they are read (no
    /// registry in a dry run: file number 0).
    InPlace {
        slots: Arc<[std::sync::atomic::AtomicU32]>,
        registry: Option<Arc<trawl_writer::FilesRegistry>>,
        node: String,
        locked: bool,
        gap_packet_pos: bool,
    },
    /// Copies into pcapDir.
    Copy {
        cfg: Arc<trawl_writer::SimpleConfig>,
        registry: Arc<trawl_writer::FilesRegistry>,
        thread: trawl_writer::WriterThread,
    },
}

impl PcapOutput {
    fn new(
        cfg: &Config,
        st: &Settings,
        node: &str,
        registry: Option<Arc<trawl_writer::FilesRegistry>>,
        how: InPlace,
    ) -> Result<Self> {
        let copy = how.copy;
        let in_place = |registry| PcapOutput::InPlace {
            slots: (0..READER_SLOTS)
                .map(|_| std::sync::atomic::AtomicU32::new(0))
                .collect(),
            registry,
            node: node.to_string(),
            locked: how.locked,
            gap_packet_pos: st.gap_packet_pos,
        };
        // No registry: a dry run, nothing is written.
        let Some(registry) = registry else {
            return Ok(in_place(None));
        };
        if copy {
            // pcapDir defaults to the data directory when the config does not set it.
            let dirs: Vec<PathBuf> = if cfg.get("pcapDir").is_some() {
                st.pcap_dir.iter().map(PathBuf::from).collect()
            } else {
                vec![st.data_dir.join("raw")]
            };
            trawl_writer::check_dirs(&dirs).map_err(anyhow::Error::msg)?;
            let wcfg = Arc::new(trawl_writer::SimpleConfig {
                dirs,
                node: node.to_string(),
                max_file_size: st.max_file_size_bytes(),
                max_file_time: (st.max_file_time_m > 0)
                    .then(|| std::time::Duration::from_secs(u64::from(st.max_file_time_m) * 60)),
                write_size: 0x40000,
                gap_packet_pos: st.gap_packet_pos,
                zstd: simple_compression(cfg)?,
            });
            let spec = cfg.get_str("freeSpaceG", "5%");
            let need = trawl_writer::expire::FreeSpace::parse(&spec).with_context(|| {
                format!("freeSpaceG: '{spec}' is not a percentage (5%) or a number of GB")
            })?;
            let expiry = trawl_writer::Expiry {
                dirs: wcfg.dirs.clone(),
                need,
                space: Box::new(trawl_writer::expire::disk_space),
            };
            let thread = trawl_writer::WriterThread::start(
                Arc::clone(&registry),
                Box::new(trawl_writer::create_file),
                2000,
                Some(expiry),
            )
            .context("starting the pcap writer")?;
            return Ok(PcapOutput::Copy {
                cfg: wcfg,
                registry,
                thread,
            });
        }
        Ok(in_place(Some(registry)))
    }

    /// Registers an offline input read in place before its packets are read, under
    /// `reuse` (`--reprocess`) or a new number, as reader position `pos`: a file
    /// under its real path, a URL as written (as Arkime's inplace writer registers
    /// the scheme reader's URI). Nothing to do when copying or in a dry run.
    fn register(&self, pos: u16, input: &Input, reuse: Option<u32>) -> Result<()> {
        let PcapOutput::InPlace {
            slots,
            registry: Some(registry),
            node,
            locked,
            gap_packet_pos,
        } = self
        else {
            return Ok(());
        };
        let num = match reuse {
            Some(n) => n,
            None => {
                let num = registry.next_num()?;
                let (name, filesize) = match input {
                    Input::File(p) => (
                        std::fs::canonicalize(p)
                            .unwrap_or_else(|_| p.clone())
                            .display()
                            .to_string(),
                        std::fs::metadata(p).ok().map(|m| m.len()),
                    ),
                    Input::Url(u) => (u.clone(), None),
                };
                registry.put(&trawl_writer::FileInfo {
                    num,
                    name,
                    node: node.clone(),
                    locked: u8::from(*locked),
                    filesize,
                    packet_pos_encoding: gap_packet_pos.then(|| "gap0".to_string()),
                    ..Default::default()
                })?;
                num
            }
        };
        slots[usize::from(pos)].store(num, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    fn writer(&self, t: usize) -> Box<dyn trawl_session::PacketWriter> {
        match self {
            PcapOutput::InPlace { slots, .. } => Box::new(SlotWriter {
                slots: Arc::clone(slots),
            }),
            PcapOutput::Copy {
                cfg,
                registry,
                thread,
            } => Box::new(trawl_writer::SimpleWriter::new(
                Arc::clone(cfg),
                Arc::clone(registry),
                thread,
                t,
            )),
        }
    }

    /// Waits for the writes (after every packet thread has finished).
    fn finish(self) -> trawl_writer::WriterStats {
        match self {
            PcapOutput::InPlace { .. } => trawl_writer::WriterStats::default(),
            PcapOutput::Copy { thread, .. } => thread.finish(),
        }
    }
}

/// Opens every live source: per interface one (libpcap) or `tpacketv3NumThreads`
/// sockets in a fanout group (TPACKET_V3).
fn open_live(
    cfg: &Config,
    st: &Settings,
    interfaces: &[String],
) -> Result<Vec<Box<dyn trawl_readers::live::LiveSource>>> {
    let method = st.pcap_read_method.as_str();
    let threads = if method.starts_with("tpacketv3") {
        cfg.get_int("tpacketv3NumThreads", 2, 1, 6)? as usize
    } else {
        1
    };
    let block = cfg.get_int("tpacketv3BlockSize", 1 << 21, 1 << 16, 1 << 31)? as u32;
    let mut out = Vec::new();
    for (n, iface) in interfaces.iter().enumerate() {
        let opts = trawl_readers::live::LiveOptions {
            snaplen: st.snap_len,
            promisc: true,
            bpf: st.bpf.clone(),
            block_size: block,
            num_blocks: 32,
            fanout_group: (threads > 1)
                .then(|| ((std::process::id() as u16) ^ (n as u16 * 0x101)) | 1),
        };
        for _ in 0..threads {
            let src = trawl_readers::live::open(method, iface, &opts)
                .with_context(|| format!("opening interface {iface} ({method})"))?;
            if !DecodeTables::supports_linktype(src.linktype()) {
                anyhow::bail!("{iface}: link type {} is not supported", src.linktype());
            }
            out.push(src);
        }
        tracing::info!(
            "capturing on {iface} with {method} ({threads} reader{})",
            if threads > 1 { "s" } else { "" }
        );
    }
    Ok(out)
}

/// Counters of a live capture.
#[derive(Debug, Default)]
struct LiveTotals {
    received: u64,
    dropped: u64,
    if_dropped: u64,
    queue_dropped: u64,
}

/// Runs a reader thread per live source until a stop signal: records to the enqueue
/// phase, batches to packet threads (dropped and counted when a thread's queue is
/// full), and once a second the packet threads are told the time so idle sessions
/// are saved; every 60 seconds the counters are logged.
fn run_live(
    sources: Vec<Box<dyn trawl_readers::live::LiveSource>>,
    built: &setup::Built,
    senders: &[Sender<Command>],
    mut stats: Option<crate::stats::StatsWriter>,
    run_stats: &command::RunStats,
) -> LiveTotals {
    use std::sync::atomic::{AtomicU64, Ordering};
    let counters = Arc::new(crate::stats::Counters::default());
    let open_sessions: Arc<Vec<AtomicU64>> =
        Arc::new((0..senders.len()).map(|_| AtomicU64::new(0)).collect());
    let saved_sessions: Arc<Vec<AtomicU64>> =
        Arc::new((0..senders.len()).map(|_| AtomicU64::new(0)).collect());
    let mut readers = Vec::new();
    for mut src in sources {
        let tables = Arc::clone(&built.tables);
        let senders: Vec<Sender<Command>> = senders.to_vec();
        let counters = Arc::clone(&counters);
        let name = src.interface().to_string();
        let spawned = std::thread::Builder::new()
            .name(format!("trawl-rd-{name}"))
            .spawn(move || {
                let mut decoder = Decoder::new(tables);
                let mut batches: Vec<Vec<Packet>> = (0..senders.len())
                    .map(|_| Vec::with_capacity(BATCH))
                    .collect();
                let mut recs = Vec::with_capacity(4096);
                let send = |b: &mut Vec<Packet>, tx: &Sender<Command>| {
                    let n = b.len() as u64;
                    let full = std::mem::replace(b, Vec::with_capacity(BATCH));
                    if tx.try_send(Command::Batch(full)).is_err() {
                        counters.overload_dropped.fetch_add(n, Ordering::Relaxed);
                    }
                };
                let mut kernel_seen = 0u64;
                let mut polled = Instant::now();
                let mut flushed = Instant::now();
                while !stop_requested() {
                    if let Err(e) = src.next_batch(&mut recs) {
                        tracing::error!("{e}");
                        break;
                    }
                    if polled.elapsed() >= std::time::Duration::from_secs(1) {
                        polled = Instant::now();
                        let st = src.stats();
                        let k = st.dropped + st.if_dropped;
                        counters
                            .kernel_dropped
                            .fetch_add(k.saturating_sub(kernel_seen), Ordering::Relaxed);
                        kernel_seen = k.max(kernel_seen);
                    }
                    let recs_seen = recs.len();
                    counters
                        .packets
                        .fetch_add(recs.len() as u64, Ordering::Relaxed);
                    counters.bytes.fetch_add(
                        recs.iter().map(|r| u64::from(r.origlen)).sum::<u64>(),
                        Ordering::Relaxed,
                    );
                    for rec in recs.drain(..) {
                        if let Some(p) = decoder.enqueue(Packet::from_record(rec, 0)) {
                            let t = (p.meta.hash as usize) % senders.len();
                            batches[t].push(p);
                            if batches[t].len() >= BATCH {
                                send(&mut batches[t], &senders[t]);
                            }
                        }
                    }
                    // Partial batches go on every few milliseconds (or when the link
                    // is idle), so live traffic is not held back, yet the packet
                    // threads' queues carry full batches under load.
                    if recs_seen == 0 || flushed.elapsed() >= std::time::Duration::from_millis(5) {
                        flushed = Instant::now();
                        for (t, b) in batches.iter_mut().enumerate() {
                            if !b.is_empty() {
                                send(b, &senders[t]);
                            }
                        }
                    }
                }
                src.stats()
            });
        match spawned {
            Ok(h) => readers.push(h),
            Err(e) => tracing::error!("starting the reader for {name}: {e}"),
        }
    }
    let mut last_log = Instant::now();
    let mut last_stats = Instant::now();
    while !stop_requested() && readers.iter().any(|h| !h.is_finished()) {
        std::thread::sleep(std::time::Duration::from_millis(200));
        run_stats
            .received
            .store(counters.packets.load(Ordering::Relaxed), Ordering::Relaxed);
        run_stats.dropped.store(
            counters.kernel_dropped.load(Ordering::Relaxed)
                + counters.overload_dropped.load(Ordering::Relaxed),
            Ordering::Relaxed,
        );
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        for (t, tx) in senders.iter().enumerate() {
            let open = Arc::clone(&open_sessions);
            let saved = Arc::clone(&saved_sessions);
            let _ = tx.try_send(Command::Func(Box::new(move |pt: &mut PacketThread| {
                pt.tick(now);
                open[t].store(pt.session_count() as u64, Ordering::Relaxed);
                saved[t].store(pt.stats.saves, Ordering::Relaxed);
            })));
        }
        if last_stats.elapsed() >= std::time::Duration::from_secs(2) {
            last_stats = Instant::now();
            let open: u64 = open_sessions
                .iter()
                .map(|a| a.load(Ordering::Relaxed))
                .sum();
            let saved: u64 = saved_sessions
                .iter()
                .map(|a| a.load(Ordering::Relaxed))
                .sum();
            counters.sessions.store(saved, Ordering::Relaxed);
            if let Some(Err(e)) = stats.as_mut().map(|s| s.write(&counters, open, 2)) {
                tracing::warn!("writing the stats documents: {e}");
            }
        }
        if last_log.elapsed() >= std::time::Duration::from_secs(60) {
            last_log = Instant::now();
            let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
            tracing::info!(
                "live: {} packets, {} bytes; dropped: {} by the kernel, {} on full queues; {} sessions open",
                get(&counters.packets),
                get(&counters.bytes),
                get(&counters.kernel_dropped),
                get(&counters.overload_dropped),
                open_sessions.iter().map(|a| a.load(Ordering::Relaxed)).sum::<u64>()
            );
        }
    }
    tracing::info!("stopping: flushing sessions");
    let mut totals = LiveTotals::default();
    for h in readers {
        if let Ok(st) = h.join() {
            totals.received += st.received;
            totals.dropped += st.dropped;
            totals.if_dropped += st.if_dropped;
        }
    }
    totals.queue_dropped = counters.overload_dropped.load(Ordering::Relaxed);
    if let Some(s) = stats.as_mut() {
        let _ = s.write(&counters, 0, 2);
    }
    totals
}

/// Waits for the packet threads (their queues closed) and adds up their counters.
fn join_packet_threads(handles: Vec<std::thread::JoinHandle<ThreadStats>>) -> Result<ThreadStats> {
    let mut stats = ThreadStats::default();
    for h in handles {
        match h.join() {
            Ok(s) => {
                stats.packets += s.packets;
                stats.saves += s.saves;
                stats.early_saves += s.early_saves;
                stats.parser_errors += s.parser_errors;
                stats.parser_overflows += s.parser_overflows;
            }
            Err(_) => anyhow::bail!("a packet thread panicked"),
        }
    }
    Ok(stats)
}

/// What capture does on a cluster before it reads anything, as Arkime's capture: the
/// schema must be there (`trawl db init` or Arkime's `db.pl init`) at a version capture
/// can write, and the `fields` index learns the fields it lacks. A cluster that cannot
/// be reached is an error unless `elasticsearchSpoolWhenUnreachable` says to spool;
/// then this run numbers its files from its own sequence under dataDir (`None`).
fn cluster_setup(
    cfg: &Config,
    settings: &Settings,
    fields: &trawl_fields::FieldRegistry,
    spool_when_unreachable: bool,
) -> Result<Option<Arc<trawl_cluster::Client>>> {
    let client =
        setup::cluster_client(cfg, settings)?.context("elasticsearch= names no cluster")?;
    let prefix = &settings.prefix;
    match trawl_cluster::layout::check_for_capture(&client, prefix) {
        Ok(v) => tracing::debug!("cluster schema version {v}"),
        Err(trawl_cluster::ClusterError::Unreachable { url, reason }) if spool_when_unreachable => {
            tracing::warn!(
                "cannot check the schema at {url} ({reason}); spooling until it answers, \
                 file numbers from dataDir's own sequence"
            );
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    }
    match trawl_cluster::layout::put_fields(&client, prefix, fields) {
        Ok(0) => {}
        Ok(n) => tracing::info!("{n} new fields written to {prefix}fields"),
        Err(e) => tracing::warn!("{prefix}fields not updated: {e}"),
    }
    Ok(Some(Arc::new(client)))
}

/// File numbers from the cluster's sequence index, as Arkime's capture takes them, so
/// that sensors sharing a cluster never share a number. While the cluster does not
/// answer, the capture waits for it (a file cannot be written without its number),
/// saying so every 30 s, for at most 10 minutes.
fn cluster_numberer(
    client: Arc<trawl_cluster::Client>,
    prefix: &str,
    node: &str,
) -> trawl_writer::Numberer {
    let (prefix, node) = (prefix.to_string(), node.to_string());
    Box::new(move || {
        let start = Instant::now();
        let mut said = None::<Instant>;
        let mut pause = std::time::Duration::from_millis(200);
        loop {
            match trawl_cluster::layout::next_file_num(&client, &prefix, &node) {
                Ok(n) => {
                    if said.is_some() {
                        tracing::info!("file number {n} from {prefix}sequence");
                    }
                    return Ok(n);
                }
                Err(e) => {
                    if start.elapsed() > std::time::Duration::from_secs(600) {
                        return Err(format!("{prefix}sequence: {e}"));
                    }
                    if said.is_none_or(|t| t.elapsed().as_secs() >= 30) {
                        tracing::warn!("waiting for a file number from {prefix}sequence: {e}");
                        said = Some(Instant::now());
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(std::time::Duration::from_secs(5));
                }
            }
        }
    })
}

/// As Arkime's capture on exit: the indices it wrote are refreshed, so what it sent is
/// searchable when it returns.
fn refresh_cluster(cluster: Option<&trawl_cluster::Client>, prefix: &str) {
    let Some(c) = cluster else { return };
    let path = format!("/{prefix}sessions3-*,{prefix}files/_refresh?ignore_unavailable=true");
    if let Err(e) = c.ok("POST", &path, None) {
        tracing::debug!("refresh at exit: {e}");
    }
}
