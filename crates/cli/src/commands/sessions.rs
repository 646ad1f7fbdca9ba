//! `trawl sessions EXPR`: searches the embedded store with Arkime's expression
//! language and prints the matching sessions (a table, JSON lines, or CSV).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use trawl_config::{Config, Settings};
use trawl_fields::FieldRegistry;
use trawl_store::{SearchOpts, Store};

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
}

/// Time window and ordering options.
#[derive(Args, Debug, Default, Clone)]
pub struct WindowArgs {
    /// Sessions from the last this many hours (-1 or absent: all time).
    #[arg(long)]
    pub date: Option<f64>,
    /// Sessions ending at or after this time (unix seconds, fractions allowed, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, UTC).
    #[arg(long)]
    pub start: Option<String>,
    /// Sessions starting at or before this time (same forms as --start).
    #[arg(long)]
    pub stop: Option<String>,
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

/// Parses a time argument to ms.
pub fn parse_time(s: &str) -> Result<i64> {
    let t = s.trim();
    if let Ok(n) = t.parse::<i64>() {
        return Ok(n.saturating_mul(1000));
    }
    if let Ok(f) = t.parse::<f64>() {
        if f.is_finite() {
            return Ok((f * 1000.0).round() as i64);
        }
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(d) = chrono::NaiveDateTime::parse_from_str(t.trim_end_matches('Z'), fmt) {
            return Ok(d.and_utc().timestamp_millis());
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        if let Some(dt) = d.and_hms_opt(0, 0, 0) {
            return Ok(dt.and_utc().timestamp_millis());
        }
    }
    anyhow::bail!("'{s}' is not a time (unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)")
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

/// The database name of a field given by expression (a count such as `host.http.cnt`
/// too) or database name.
pub fn db_name(reg: &FieldRegistry, name: &str) -> String {
    if let Some(d) = reg.by_expression(name).and_then(|id| reg.get(id)) {
        return d.db_field.clone();
    }
    reg.count_fields()
        .find(|(e, _)| e == name)
        .map_or_else(|| name.to_string(), |(_, db)| db)
}

/// The values at a dotted path of a JSON document (arrays flattened).
pub fn values_at(v: &serde_json::Value, path: &str) -> Vec<String> {
    let mut cur = vec![v];
    for part in path.split('.') {
        let mut next = Vec::new();
        for c in cur {
            match c.get(part) {
                Some(serde_json::Value::Array(a)) => next.extend(a.iter()),
                Some(x) => next.push(x),
                None => {}
            }
        }
        cur = next;
    }
    cur.into_iter()
        .flat_map(|x| match x {
            serde_json::Value::Array(a) => a.iter().map(scalar).collect::<Vec<_>>(),
            other => vec![scalar(other)],
        })
        .collect()
}

fn scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn fmt_time(ms: &str) -> String {
    ms.parse::<i64>()
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map_or_else(
            || ms.to_string(),
            |d| d.format("%Y-%m-%d %H:%M:%S").to_string(),
        )
}

/// Compiles `expr` (empty: everything).
pub fn compile(expr: Option<&str>, reg: &FieldRegistry) -> Result<trawl_query::Query> {
    match expr.map(str::trim).filter(|e| !e.is_empty()) {
        None => Ok(trawl_query::Query::And(Vec::new())),
        Some(e) => trawl_query::compile(e, reg).map_err(|m| anyhow::anyhow!("expression: {m}")),
    }
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
    let (_cfg, st) = a.store.load()?;
    let reg = setup::field_registry(&st);
    let q = compile(a.expression.as_deref(), &reg)?;
    let (start_ms, stop_ms) = a.window.range()?;
    let (sort_name, desc) = if let Some(n) = a.sort.strip_prefix('-') {
        (n, true)
    } else if let Some(n) = a.sort.strip_suffix(":desc") {
        (n, true)
    } else {
        (a.sort.strip_suffix(":asc").unwrap_or(&a.sort), false)
    };
    let store = Store::open(&st.data_dir)?;
    let opts = SearchOpts {
        start_ms,
        stop_ms,
        limit: a.limit,
        sort: (db_name(&reg, sort_name), desc),
    };
    let (total, hits) = store.search(&q, &opts)?;
    let columns: Vec<String> = match &a.fields {
        Some(f) => f
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| db_name(&reg, s))
            .collect(),
        None => DEFAULT_COLUMNS.iter().map(|s| s.to_string()).collect(),
    };
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
                columns.iter().map(|c| esc(c)).collect::<Vec<_>>().join(",")
            )?;
            for r in &rows {
                writeln!(
                    out,
                    "{}",
                    r.iter().map(|c| esc(c)).collect::<Vec<_>>().join(",")
                )?;
            }
        } else {
            let mut width: Vec<usize> = columns.iter().map(|c| c.len()).collect();
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
            writeln!(out, "{}", line(&columns))?;
            for r in &rows {
                writeln!(out, "{}", line(r))?;
            }
        }
    }
    out.flush()?;
    if !a.json && !a.csv {
        eprintln!("{} of {} matching sessions", hits.len(), total);
    }
    Ok(ExitCode::SUCCESS)
}
