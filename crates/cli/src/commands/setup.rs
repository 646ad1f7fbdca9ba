//! Start-up shared by commands: logging, and building the capture's read-mostly data
//! (fields, mprotocols, decode tables, lookups) from the configuration.

use std::sync::Arc;

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use trawl_config::{Config, Settings};
use trawl_fields::FieldRegistry;

use arc_swap::ArcSwap;
use trawl_lookup::LookupSource;
use trawl_packet::{DecodeTables, DecoderOptions, SessionIdTracking, TrackingConfig};
use trawl_session::{define_core_fields, register_builtin, CoreSettings, MProtocols, Shared};

/// Logs to stderr; `RUST_LOG` refines the level.
pub fn init_logging(quiet: bool) {
    // tantivy logs every commit at info; keep its warnings only.
    let default = if quiet { "error" } else { "info,tantivy=warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

/// The host name, Arkime's default node name.
pub fn default_node_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "trawl".to_string())
}

/// What the capture shares between threads.
pub struct Built {
    /// Packet-thread data.
    pub shared: Arc<Shared>,
    /// Reader-thread data.
    pub tables: Arc<DecodeTables>,
    /// Where the lookup tables came from, to reload them when they change.
    pub lookup_source: LookupSource,
    /// The operations of each input (`filenameOps`, `add-file --op`), by reader
    /// position: the reader sets them as each input starts.
    pub input_ops: Arc<trawl_rules::engine::InputOps>,
}

/// Builds fields, mprotocols, decode tables and lookups.
pub fn build(cfg: &Config, st: &Settings, tags: &[String], ops: &[String]) -> Result<Built> {
    let core_settings = core_settings(st);
    let tracking = TrackingConfig {
        mode: match st.session_id_tracking {
            trawl_config::SessionIdTracking::None => SessionIdTracking::None,
            trawl_config::SessionIdTracking::Vlan => SessionIdTracking::Vlan,
            trawl_config::SessionIdTracking::Vni => SessionIdTracking::Vni,
        },
        collapse: st
            .vlan_vni_collapse
            .iter()
            .flat_map(|(to, from)| from.iter().map(move |f| (*f, *to)))
            .collect(),
    };
    let opts = DecoderOptions {
        tracking: tracking.clone(),
        save: st.save_unknown_packets.clone(),
        disable_ip4_defrag: st.disable_ip4_defrag,
        enable_ip6_defrag: st.enable_ip6_defrag,
        trim_ethernet_padding: st.trim_ethernet_padding,
        frags_timeout: st.frags_timeout,
        max_frags: st.max_frags as usize,
    };
    let mut tables = DecodeTables::new(opts);
    trawl_packet::encap::register_all(&mut tables);
    let mut fields = FieldRegistry::new();
    let core = define_core_fields(&mut fields);
    let mut mprotocols = MProtocols::new();
    register_builtin(&mut mprotocols, &mut tables, &mut fields, &core_settings);

    let mut source = LookupSource::new(
        st.oui_file.as_ref().map(PathBuf::from),
        st.rir_file.as_ref().map(PathBuf::from),
        st.geolite2_country.iter().map(PathBuf::from).collect(),
        st.geolite2_asn.iter().map(PathBuf::from).collect(),
        cfg.section("override-ips")
            .map(|s| s.to_vec())
            .unwrap_or_default(),
    );
    let lookups = source.load().context("loading lookup tables")?;

    let mut classifiers = trawl_session::parsers::Classifiers::new(&st.disable_parsers);
    trawl_parsers::register_all(&mut classifiers, &mut fields, cfg)?;
    let plugins = load_plugins(cfg, st, &mut fields)?;
    // As Arkime's config.ops: FieldExpr=value, the expression up to the first '='.
    let initial_ops = ops
        .iter()
        .map(|o| {
            trawl_rules::filename_ops::parse_op(o, &fields)
                .map_err(|e| anyhow::anyhow!("--op: {e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    let filename_ops = trawl_rules::filename_ops::compile(&st.filename_ops, &fields)
        .map_err(anyhow::Error::msg)?;
    let input_ops = Arc::new(trawl_rules::engine::InputOps::new(filename_ops));
    // Through resolve_var, so that the keys rules refer to count as used.
    let var = |name: &str| cfg.resolve_var(&format!("${{{name}}}")).ok();
    let rules = trawl_rules::build_rules(
        &st.rules_files,
        &st.dont_save_bpfs,
        &st.min_packets_save_bpfs,
        &var,
        &mut fields,
    )?;
    let shared = Shared {
        settings: core_settings,
        fields,
        core,
        mprotocols,
        lookups: Arc::new(ArcSwap::from_pointee(lookups)),
        tracking,
        initial_tags: tags.to_vec(),
        hooks: Box::new(trawl_rules::Engine {
            rules,
            initial_ops,
            inputs: Arc::clone(&input_ops),
        }),
        classifiers,
        plugins,
        yara: match &st.yara {
            Some(path) => Some(load_yara(Path::new(path))?),
            None => None,
        },
        yara_every_packet: cfg.get_bool("yaraEveryPacket", false)?,
    };
    Ok(Built {
        shared: Arc::new(shared),
        tables: Arc::new(tables),
        lookup_source: source,
        input_ops,
    })
}

/// The packet threads' settings from the config.
/// The `yara=` rules file, compiled.
#[cfg(feature = "yara")]
fn load_yara(path: &Path) -> Result<Box<dyn trawl_session::ContentScanner>> {
    Ok(Box::new(
        trawl_yara::Yara::load(path).map_err(anyhow::Error::msg)?,
    ))
}

/// Built without the `yara` feature: a config that asks for yara is refused rather
/// than run without it.
#[cfg(not(feature = "yara"))]
fn load_yara(path: &Path) -> Result<Box<dyn trawl_session::ContentScanner>> {
    anyhow::bail!(
        "yara={} is set, but this trawl was built without yara (cargo's --no-default-features); \
         build it with the default features, or remove yara= from the config",
        path.display()
    )
}

pub fn core_settings(st: &Settings) -> CoreSettings {
    let mut c = CoreSettings::new(st.packet_threads as usize);
    let caps = st.session_caps();
    c.max_streams = [
        caps.tcp, caps.udp, caps.icmp, caps.sctp, caps.esp, caps.other,
    ];
    c.max_tcp_out_of_order = st.max_tcp_out_of_order_packets as usize;
    c.max_sctp_out_of_order = st.max_sctp_out_of_order_packets as usize;
    c.tcp_save_timeout = st.tcp_save_timeout;
    c.tcp_closing_timeout = st.tcp_closing_timeout;
    c.max_packets = st.max_packets;
    c.enable_packet_len = st.enable_packet_len;
    c.tcp_timeout = st.tcp_timeout;
    c.udp_timeout = st.udp_timeout;
    c.icmp_timeout = st.icmp_timeout;
    c.sctp_timeout = st.sctp_timeout;
    c.esp_timeout = st.esp_timeout;
    c.dhcp_timeout = st.dhcp_timeout;
    c.track_esp = st.track_esp;
    c.esp_save_packets = st.esp_save_packets;
    c
}

/// Reloads the lookup tables when one of their files changes, checking every
/// `every`, until `stop` is dropped. The new tables are swapped in whole; a file that
/// fails to load keeps the old tables and is logged.
pub fn monitor_lookups(
    mut source: LookupSource,
    target: Arc<ArcSwap<trawl_lookup::Lookups>>,
    every: std::time::Duration,
    stop: crossbeam_channel::Receiver<()>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("trawl-lookups".into())
        .spawn(move || {
            while let Err(crossbeam_channel::RecvTimeoutError::Timeout) = stop.recv_timeout(every) {
                if !source.changed() {
                    continue;
                }
                match source.load() {
                    Ok(l) => {
                        target.store(Arc::new(l));
                        tracing::info!("lookup tables reloaded");
                    }
                    Err(e) => {
                        tracing::error!("lookup tables not reloaded, keeping the old ones: {e}")
                    }
                }
            }
        })
}

/// The field registry a capture with these settings would have (core, mprotocol,
/// parser and plugin fields), for commands that search rather than capture.
pub fn field_registry(cfg: &Config, st: &Settings) -> Result<FieldRegistry> {
    let core_settings = core_settings(st);
    let mut tables = DecodeTables::new(DecoderOptions::default());
    let mut fields = FieldRegistry::new();
    define_core_fields(&mut fields);
    let mut mprotocols = MProtocols::new();
    register_builtin(&mut mprotocols, &mut tables, &mut fields, &core_settings);
    let mut classifiers = trawl_session::parsers::Classifiers::new(&[]);
    trawl_parsers::register_all(&mut classifiers, &mut fields, cfg)?;
    for name in &st.plugins {
        match name.trim_end_matches(".so") {
            "test" => {
                trawl_plugins::test::TestPlugin::new(&mut fields);
            }
            "zeekintel" => {
                trawl_plugins::zeekintel::define_fields(&mut fields);
            }
            _ => {}
        }
    }
    arkime_texts(&mut fields);
    // The fields the store was written with that this config does not define.
    let n = trawl_store::fielddefs::load_into(&st.data_dir, &mut fields);
    if n > 0 {
        tracing::debug!("{n} field definitions from the store");
    }
    Ok(fields)
}

/// Gives the fields the document writer makes (`ip.src`, `bytes`, the TCP flag
/// counts, ...), defined without viewer text, the names and help Arkime's `fields`
/// documents give them ("Src IP"), for column headers and the page.
fn arkime_texts(fields: &mut FieldRegistry) {
    let docs = trawl_cluster::layout::seed_field_docs()
        .into_iter()
        .chain(trawl_cluster::layout::capture_field_docs());
    for (exp, doc) in docs {
        let Some(id) = fields.by_expression(&exp) else {
            continue;
        };
        let untexted = fields
            .get(id)
            .is_some_and(|d| d.friendly.is_empty() || d.friendly == d.expression);
        let text = |k: &str| {
            doc.get(k)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        };
        let friendly = text("friendlyName");
        if untexted && !friendly.is_empty() {
            fields.set_texts(id, &friendly, &text("help"));
        }
    }
}

/// The plugins `plugins=` names that trawl has (others are reported and skipped).
fn load_plugins(
    cfg: &Config,
    st: &Settings,
    fields: &mut FieldRegistry,
) -> Result<Vec<Box<dyn trawl_session::Plugin>>> {
    let mut out: Vec<Box<dyn trawl_session::Plugin>> = Vec::new();
    for name in &st.plugins {
        match name.trim_end_matches(".so") {
            "test" => out.push(Box::new(trawl_plugins::test::TestPlugin::new(fields))),
            "scrubspi" => {
                let entries = cfg
                    .section("scrubspi")
                    .map(<[_]>::to_vec)
                    .unwrap_or_default();
                let p = trawl_plugins::scrubspi::ScrubSpi::new(&entries, fields)
                    .map_err(|e| anyhow::anyhow!("scrubspi: {e}"))?;
                out.push(Box::new(p));
            }
            "zeekintel" => {
                trawl_plugins::zeekintel::define_fields(fields);
                let z = trawl_plugins::zeekintel::ZeekIntel::new(
                    &cfg.get_list("zeekIntelFiles", ""),
                    &cfg.get_str("zeekIntelTag", "zeek:intel"),
                    fields,
                )?;
                out.push(Box::new(z));
            }
            other => tracing::warn!("plugin '{other}' is not available in trawl; skipped"),
        }
    }
    Ok(out)
}

/// A client for the cluster `elasticsearch=` names, with the config's credentials
/// and `elasticsearchTimeout`; `None` when the config names no cluster (the embedded
/// store is used).
pub fn cluster_client(cfg: &Config, st: &Settings) -> Result<Option<trawl_cluster::Client>> {
    let named = cfg
        .get("elasticsearch")
        .is_some_and(|v| v.split(',').any(|u| !u.trim().is_empty()));
    if !named {
        return Ok(None);
    }
    // The URLs as the capture's output reads them: checked, credentials taken out.
    let es = trawl_es::EsConfig::new(&st.elasticsearch, &st.data_dir)?;
    let auth = trawl_cluster::client::auth_header(
        cfg.get("elasticsearchBasicAuth"),
        cfg.get("elasticsearchAPIKey"),
    )
    .or(es.auth);
    let timeout = cfg.get_int("elasticsearchTimeout", 60, 1, 86_400)? as u64;
    Ok(Some(trawl_cluster::Client::new(
        &es.urls,
        auth,
        std::time::Duration::from_secs(timeout),
    )))
}
