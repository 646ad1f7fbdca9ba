//! `trawl sessions EXPR`: searches the embedded store (or the cluster `elasticsearch=`
//! names) with Arkime's expression
//! language and prints the matching sessions (a table, JSON lines, or CSV).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use std::sync::Arc;
use trawl_config::{Config, Settings};
use trawl_query::{Bounding, SearchOpts};
use trawl_viewer::search::{bind_files, compile, parse_time, shown_field, sort_field, values_at};
use trawl_viewer::SessionSource;

use super::setup;

/// Options every store command takes, as `trawl capture` does.
#[derive(Args, Debug, Default, Clone)]
pub struct StoreArgs {
    /// Config file (Arkime config.ini format); built-in defaults when absent.
    #[arg(short = 'c', long = "config")]
    pub config: Option<PathBuf>,
    /// Node name; its section of the config overrides [default].
    #[arg(short = 'n', long = "node")]
    pub node: Option<String>,
    /// key=value overriding the config file (repeatable).
    #[arg(short = 'o', long = "option")]
    pub option: Vec<String>,
    /// Only log errors.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

impl StoreArgs {
    /// Loads the config and settings.
    pub fn load(&self) -> Result<(Config, Settings)> {
        setup::init_logging(self.quiet);
        let node = self.node.clone().unwrap_or_else(setup::default_node_name);
        let overrides = self
            .option
            .iter()
            .map(|s| {
                s.split_once('=')
                    .map(|(k, v)| (k.trim().to_string(), v.to_string()))
                    .with_context(|| format!("-o '{s}' is not key=value"))
            })
            .collect::<Result<Vec<_>>>()?;
        let cfg = Config::load(self.config.as_deref(), &node, &overrides)?;
        let st = Settings::from_config(&cfg)?;
        Ok((cfg, st))
    }

    /// The node name these options give.
    pub fn node_name(&self) -> String {
        self.node.clone().unwrap_or_else(setup::default_node_name)
    }

    /// Where the sessions are: the cluster `elasticsearch=` names, else the embedded
    /// store under dataDir (which must exist: a mistyped dataDir would otherwise
    /// search an empty store without a word).
    pub fn source(&self, cfg: &Config, st: &Settings) -> Result<Arc<dyn SessionSource>> {
        if let Some(client) = setup::cluster_client(cfg, st)? {
            let sessions = trawl_cluster::search::ClusterSessions::new(client, &st.prefix);
            return Ok(Arc::new(trawl_viewer::Cluster::new(
                sessions,
                &self.node_name(),
            )));
        }
        if !st.data_dir.is_dir() {
            anyhow::bail!(
                "dataDir {} is not a directory: no sessions there (capture into it first)",
                st.data_dir.display()
            );
        }
        Ok(Arc::new(trawl_viewer::Embedded::new(&st.data_dir)))
    }

    /// The sessions to search and the fields to search them by: the config's, and
    /// those the sessions were written with (the store's `fields.json`, the cluster's
    /// `fields` index).
    pub fn open(
        &self,
        cfg: &Config,
        st: &Settings,
    ) -> Result<(Arc<dyn SessionSource>, trawl_fields::FieldRegistry)> {
        let source = self.source(cfg, st)?;
        let mut reg = setup::field_registry(cfg, st)?;
        let n = trawl_viewer::search::define_source_fields(&mut reg, &*source);
        if n > 0 {
            tracing::debug!("{n} field definitions from {}", source.describe());
        }
        Ok((source, reg))
    }
}

/// Time window and ordering options.
#[derive(Args, Debug, Default, Clone)]
pub struct WindowArgs {
    /// Sessions from the last this many hours (-1 or absent: all time).
    #[arg(long)]
    pub date: Option<f64>,
    /// Start of the time window (unix seconds, fractions allowed, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, UTC).
    #[arg(long)]
    pub start: Option<String>,
    /// End of the time window (same forms as --start).
    #[arg(long)]
    pub stop: Option<String>,
    /// Which session times must be in the window, as Arkime's `bounding`: last (the
    /// last packet, the default), first, both, either (the session overlaps the
    /// window) or database (when it was written).
    #[arg(long, default_value = "last", value_parser = parse_bounding)]
    pub bounding: Bounding,
}

fn parse_bounding(s: &str) -> Result<Bounding, String> {
    Bounding::parse(s).ok_or_else(|| "one of last, first, both, either, database".to_string())
}

/// Options of `trawl sessions`.
#[derive(Args, Debug, Default)]
pub struct SessionsArgs {
    /// The search expression (Arkime's syntax); empty or absent matches every session.
    pub expression: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub window: WindowArgs,
    /// Print each session's document as a JSON line ({"_id","_index","_source"}).
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV with the chosen fields.
    #[arg(long)]
    pub csv: bool,
    /// Comma-separated fields to show (expressions such as ip.src or database names).
    #[arg(long)]
    pub fields: Option<String>,
    /// Numeric field to sort by (expression or database name), `field:desc` (or
    /// `--sort=-field`) for descending.
    #[arg(long, default_value = "firstPacket")]
    pub sort: String,
    /// Most sessions printed.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
}

impl WindowArgs {
    /// (start, stop) in ms.
    pub fn range(&self) -> Result<(Option<i64>, Option<i64>)> {
        let mut start = self.start.as_deref().map(parse_time).transpose()?;
        let stop = self.stop.as_deref().map(parse_time).transpose()?;
        if let Some(h) = self.date.filter(|h| *h > 0.0) {
            let now = chrono::Utc::now().timestamp_millis();
            start = Some(now - (h * 3_600_000.0) as i64);
        }
        Ok((start, stop))
    }
}

fn fmt_time(ms: &str) -> String {
    ms.parse::<i64>()
        .map_or_else(|_| ms.to_string(), super::fmt_ms)
}

const DEFAULT_COLUMNS: &[&str] = &[
    "firstPacket",
    "source.ip",
    "source.port",
    "destination.ip",
    "destination.port",
    "protocol",
    "network.packets",
    "network.bytes",
];

/// Runs `trawl sessions`.
pub fn run(a: SessionsArgs) -> Result<ExitCode> {
    let (cfg, st) = a.store.load()?;
    if setup::cluster_client(&cfg, &st)?.is_none()
        && !trawl_store::sessions_dir(&st.data_dir).is_dir()
    {
        anyhow::bail!(
            "no session store in dataDir {} (capture into it first, or set dataDir= or elasticsearch=)",
            st.data_dir.display()
        );
    }
    let (source, reg) = a.store.open(&cfg, &st)?;
    let q = bind_files(compile(a.expression.as_deref(), &reg)?, &*source)?;
    let (start_ms, stop_ms) = a.window.range()?;
    let (sort_name, desc) = if let Some(n) = a.sort.strip_prefix('-') {
        (n, true)
    } else if let Some(n) = a.sort.strip_suffix(":desc") {
        (n, true)
    } else {
        (a.sort.strip_suffix(":asc").unwrap_or(&a.sort), false)
    };
    let opts = SearchOpts {
        start_ms,
        stop_ms,
        bounding: a.window.bounding,
        limit: a.limit,
        sort: (sort_field(&reg, sort_name)?, desc),
    };
    let (total, hits) = source.search(&q, &opts)?;
    // (header as asked, database name) of each column.
    let asked: Vec<(String, String)> = match &a.fields {
        Some(f) => f
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Ok((s.to_string(), shown_field(&reg, s)?)))
            .collect::<Result<_>>()?,
        None => DEFAULT_COLUMNS
            .iter()
            .map(|s| (s.to_string(), s.to_string()))
            .collect(),
    };
    let (headers, columns): (Vec<String>, Vec<String>) = asked.into_iter().unzip();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if a.json {
        for h in &hits {
            writeln!(
                out,
                "{{\"_id\":{},\"_index\":{},\"_source\":{}}}",
                serde_json::Value::String(h.id.clone()),
                serde_json::Value::String(h.partition.clone()),
                h.source
            )?;
        }
    } else {
        let rows: Vec<Vec<String>> = hits
            .iter()
            .map(|h| {
                let v: serde_json::Value = serde_json::from_str(&h.source).unwrap_or_default();
                columns
                    .iter()
                    .map(|c| {
                        let vals = values_at(&v, c);
                        if !a.csv && matches!(c.as_str(), "firstPacket" | "lastPacket") {
                            vals.iter()
                                .map(|x| fmt_time(x))
                                .collect::<Vec<_>>()
                                .join(",")
                        } else {
                            vals.join(",")
                        }
                    })
                    .collect()
            })
            .collect();
        if a.csv {
            let esc = |s: &str| {
                if s.contains([',', '"', '\n']) {
                    format!("\"{}\"", s.replace('"', "\"\""))
                } else {
                    s.to_string()
                }
            };
            writeln!(
                out,
                "{}",
                headers.iter().map(|c| esc(c)).collect::<Vec<_>>().join(",")
            )?;
            for r in &rows {
                writeln!(
                    out,
                    "{}",
                    r.iter().map(|c| esc(c)).collect::<Vec<_>>().join(",")
                )?;
            }
        } else {
            let mut width: Vec<usize> = headers.iter().map(|c| c.chars().count()).collect();
            for r in &rows {
                for (w, c) in width.iter_mut().zip(r) {
                    *w = (*w).max(c.chars().count());
                }
            }
            let line = |cells: &[String]| -> String {
                cells
                    .iter()
                    .zip(&width)
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_string()
            };
            writeln!(out, "{}", line(&headers))?;
            for r in &rows {
                writeln!(out, "{}", line(r))?;
            }
        }
    }
    out.flush()?;
    if !a.json && !a.csv {
        eprintln!(
            "{} of {}",
            hits.len(),
            super::count(total, "matching session", "matching sessions")
        );
    }
    Ok(ExitCode::SUCCESS)
}
